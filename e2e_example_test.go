package gateway

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/golang-jwt/jwt/v5"
)

// exampleConfig returns Caddyfile.example with its ports and storage moved
// to ones chosen at run time, as the test gateway g uses them.
func exampleConfig(t *testing.T, g *testGateway) string {
	t.Helper()
	raw, err := os.ReadFile("Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	adminPort := strings.TrimPrefix(g.admin, "127.0.0.1:")
	cfg := string(raw)
	for old, repl := range map[string]string{
		"admin localhost:2019":    "admin localhost:" + adminPort,
		"http_port 8080":          fmt.Sprintf("http_port %d", g.httpPort),
		"https_port 8443":         fmt.Sprintf("https_port %d", g.httpsPort),
		"localhost:8443 {":        fmt.Sprintf("localhost:%d {", g.httpsPort),
		"./caddy-data":            g.storageDir,
		"http://localhost:2020 {": fmt.Sprintf("http://localhost:%d {", testenv.FreePort(t)),
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("Caddyfile.example no longer has %q", old)
		}
		cfg = strings.ReplaceAll(cfg, old, repl)
	}
	quiet := "\tpersist_config off\n"
	if os.Getenv("GATEWAY_TEST_LOG") == "" {
		quiet += "\tlog {\n\t\toutput discard\n\t}\n"
	}
	return strings.Replace(cfg, "\n{\n", "\n{\n"+quiet, 1)
}

// startExample runs Caddyfile.example in this process and returns the
// gateway and an HTTPS client that trusts the gateway's local CA.
func startExample(t *testing.T) (*testGateway, *http.Client) {
	t.Helper()
	g := startGateway(t, "", "http://127.0.0.1:{HTTP} {\n\trespond starting\n}")
	example := exampleConfig(t, g)
	g.admin = strings.Replace(g.admin, "127.0.0.1", "localhost", 1)
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(example), nil)
	if err != nil {
		t.Fatalf("adapting Caddyfile.example: %v", err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading Caddyfile.example: %v", err)
	}

	client := tlsClient(t, g.storageDir)
	return g, client
}

var exampleSecretRE = regexp.MustCompile(`secret \{\$JWT_SECRET:([^}]+)\}`)

// exampleSecret is the secret Caddyfile.example's jwt_auth uses here.
func exampleSecret(t *testing.T) string {
	t.Helper()
	if s := os.Getenv("JWT_SECRET"); s != "" {
		return s
	}
	raw, err := os.ReadFile("Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	m := exampleSecretRE.FindSubmatch(raw)
	if m == nil {
		t.Fatal("Caddyfile.example has no `secret {$JWT_SECRET:...}` line")
	}
	return string(m[1])
}

func TestE2ECaddyfileExample(t *testing.T) {
	g, client := startExample(t)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	g.register("hello_service", fmt.Sprintf(`{"address": %q, "ttl": "30s"}`, a.addr()))

	secret := exampleSecret(t)
	// bare, as the seed's client sends it; a user each, within the per-user limit
	asUser := func(sub string) http.Header {
		return http.Header{"Authorization": {liveToken(t, secret, jwt.MapClaims{"sub": sub})}}
	}
	user := asUser("user-7")
	base := fmt.Sprintf("https://localhost:%d", g.httpsPort)
	testenv.Eventually(t, 10*time.Second, "the HTTPS site did not answer with a certificate from the local CA", func() bool {
		_, err := client.Get(base + "/")
		return err == nil
	})
	if ans := fetch(t, client, base+"/hello_service/greet"); ans.code != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", ans.code)
	}

	// a service registers over TLS through registry_api with a service token
	service := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"role": "service", "sub": "svc", "services": "hello_service"})}}
	g.client = client
	// a service token may only register the services its claim lists
	otherService := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"role": "service", "sub": "svc2", "services": []string{"orders", "billing"}})}}
	if code, body := g.call("POST", base+"/registry/services/hello_service", fmt.Sprintf(`{"address": %q}`, b.addr()), otherService); code != http.StatusForbidden {
		t.Fatalf("registration of a service the token does not list: %d %s", code, body)
	}
	if code, body := g.call("POST", base+"/registry/services/hello_service", fmt.Sprintf(`{"address": %q}`, b.addr()), asUser("user-x")); code != http.StatusForbidden {
		t.Fatalf("registration with a user token: %d %s", code, body)
	}
	if code, body := g.call("POST", base+"/registry/services/hello_service", fmt.Sprintf(`{"address": %q}`, b.addr()), service); code != http.StatusCreated {
		t.Fatalf("registration with a service token: %d %s", code, body)
	}

	seen := map[string]int{}
	for range 10 {
		ans := fetchWith(t, client, "GET", base+"/hello_service/greet", user)
		if ans.code != http.StatusOK || ans.path != "/greet" {
			t.Fatalf("through the example gateway: %d, backend saw path %q", ans.code, ans.path)
		}
		seen[ans.instance]++
	}
	if seen["a"] != 5 || seen["b"] != 5 {
		t.Fatalf("round_robin answered %v, want 5 each", seen)
	}
	if got := a.lastRequest().Header.Get("X-User-Id"); got != "user-7" {
		t.Fatalf("X-User-Id upstream = %q", got)
	}
	other := asUser("user-8")
	if ans := fetchWith(t, client, "GET", base+"/hello_service", other); ans.code != http.StatusOK || ans.path != "/" {
		t.Fatalf("/hello_service: %d, backend saw path %q, want /", ans.code, ans.path)
	}
	if ans := fetchWith(t, client, "GET", base+"/nobody/x", other); ans.code != http.StatusServiceUnavailable {
		t.Fatalf("unregistered service: %d, want 503", ans.code)
	}

	// user-7 has used the burst of 10 (refilled one per second): requests
	// are soon refused, with headers
	var ans answer
	for i := 0; i < 30; i++ {
		if ans = fetchWith(t, client, "GET", base+"/hello_service/greet", user); ans.code != http.StatusOK {
			break
		}
	}
	if ans.code != http.StatusTooManyRequests || ans.header.Get("Retry-After") != "1" ||
		strings.Join(ans.header.Values("RateLimit-Policy"), ", ") != `"per_ip";q=300;w=60, "per_user";q=10;w=10` {
		t.Fatalf("over one user's burst: %d Retry-After %q RateLimit-Policy %q", ans.code,
			ans.header.Get("Retry-After"), ans.header.Values("RateLimit-Policy"))
	}
	if got := ans.header.Values("RateLimit"); len(got) != 2 || !strings.HasPrefix(got[1], `"per_user";r=0;t=10`) {
		t.Fatalf("RateLimit %q", got)
	}

	// a service's public answers are cached; its per-user answers are not
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		if strings.HasPrefix(r.URL.Path, "/public/") {
			w.Header().Set("Cache-Control", "public, max-age=30")
		}
		fmt.Fprintf(w, `{"user": %q}`, r.Header.Get("X-User-Id"))
	})
	g.register("catalog", fmt.Sprintf(`{"address": %q}`, o.addr()))
	for _, sub := range []string{"user-20", "user-21"} {
		ans = fetchWith(t, client, "GET", base+"/catalog/public/list", asUser(sub))
		if ans.code != http.StatusOK || ans.body != `{"user": "user-20"}` {
			t.Fatalf("public answer for %s: %d %q %q", sub, ans.code, ans.body, ans.header.Get("Cache-Status"))
		}
		ans = fetchWith(t, client, "GET", base+"/catalog/me", asUser(sub))
		if ans.code != http.StatusOK || ans.body != fmt.Sprintf(`{"user": %q}`, sub) {
			t.Fatalf("per-user answer for %s: %d %q", sub, ans.code, ans.body)
		}
	}
	if got := o.hits.Load(); got != 3 {
		t.Fatalf("the service was asked %d times, want 3 (the public answer once)", got)
	}
	// the service name is stripped from the path before the cache: another
	// service's /public/list is another resource all the same
	if ans = fetchWith(t, client, "GET", base+"/hello_service/public/list", asUser("user-22")); ans.code != http.StatusOK || ans.instance == "" {
		t.Fatalf("hello_service answered by another service's stored answer: %d %q %q", ans.code, ans.body, ans.header.Get("Cache-Status"))
	}
	// purged by the URL the client asked for, before the rewrite
	if code, body := g.adminCall("DELETE", "/response_cache/?url="+base+"/catalog/public/list", ""); code != http.StatusOK || !strings.Contains(body, `"purged":1`) {
		t.Fatalf("purge by the client's URL: %d %s", code, body)
	}

	// a consumer with an API key, on the free plan: its quota in headers;
	// a bad key gets 401; a token naming the consumer (org) is on its plan
	if code, body := g.adminCall("POST", "/consumers/", `{"id": "acme", "plan": "free"}`); code != http.StatusCreated {
		t.Fatalf("creating a consumer: %d %s", code, body)
	}
	_, key := g.createKey("acme", `{"name": "walk-through"}`)
	ans = fetchWith(t, client, "GET", base+"/hello_service/greet", http.Header{"X-Api-Key": {key}})
	if ans.code != http.StatusOK || ans.header.Get("X-Quota-Limit") != "1000" || ans.header.Get("X-Quota-Remaining") != "999" {
		t.Fatalf("with an API key: %d %q %v", ans.code, ans.body, ans.header)
	}
	ans = fetchWith(t, client, "GET", base+"/hello_service/greet", http.Header{"X-Api-Key": {key[:len(key)-2] + "xx"}})
	if ans.code != http.StatusUnauthorized || !strings.HasPrefix(ans.header.Get("WWW-Authenticate"), "ApiKey") {
		t.Fatalf("with a mistyped API key: %d %v", ans.code, ans.header)
	}
	ans = fetchWith(t, client, "GET", base+"/hello_service/greet", http.Header{"Authorization": {liveToken(t, secret, jwt.MapClaims{"sub": "user-30", "org": "acme"})}})
	if ans.code != http.StatusOK || ans.header.Get("X-Quota-Remaining") != "998" {
		t.Fatalf("a token naming the consumer: %d %v", ans.code, ans.header)
	}
}
