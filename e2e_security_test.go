package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestE2EDotSegmentsCannotBypassAuth: with jwt_auth on /registry/* and
// registry_api at the top of the site, Caddy's path matcher sees
// /registry/services/.. as /registry (no match, no auth); registry_api must
// refuse the path rather than register a service named "..".
func TestE2EDotSegmentsCannotBypassAuth(t *testing.T) {
	t.Setenv("GATEWAY_TEST_JWT_SECRET", "e2e-secret-e2e-secret-e2e-secret-e2e")
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	jwt_auth /registry/* {
		secret {env.GATEWAY_TEST_JWT_SECRET}
	}
	registry_api
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}`)
	// no redirect is followed: each answer is the one to the path as sent
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	paths := []string{"/registry/services/..", "/registry/services/%2e%2e", "/registry/services/%2E%2E/",
		"/registry/services/.", "/registry/services/%2e", "/registry/./services/x", "/registry/services/x/../y",
		"/registry/services/x/%2e%2e/y"}
	for _, path := range paths {
		// the site: 400 from registry_api, or 401 where the cleaned path
		// is still under /registry/ and jwt_auth runs first
		req, _ := http.NewRequest("POST", g.url(path), strings.NewReader(`{"address": "203.0.113.10:80"}`))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s on the site: %d, want 400 (or 401)", path, resp.StatusCode)
		}
		// the admin endpoint: 400, or the redirect to the cleaned path that
		// Go's ServeMux answers before any handler sees a raw dot segment
		req, _ = http.NewRequest("POST", "http://"+g.admin+path, strings.NewReader(`{"address": "203.0.113.10:80"}`))
		if resp, err = client.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && (resp.StatusCode < 300 || resp.StatusCode > 399) {
			t.Errorf("POST %s on the admin endpoint: %d, want 400 (or a redirect)", path, resp.StatusCode)
		}
	}
	// the request of the report: no token, registry_api acting on a path
	// that jwt_auth's matcher saw as /registry
	if code, body := g.call("POST", g.url("/registry/services/.."), `{"address": "203.0.113.10:80"}`, nil); code != http.StatusBadRequest {
		t.Errorf("POST /registry/services/..: %d %s, want 400", code, body)
	}
	if _, body := g.adminCall("GET", "/registry/services", ""); strings.TrimSpace(body) != "{}" {
		t.Fatalf("dot segments registered something: %s", body)
	}
	// a path that does not clean to /registry/* is still authenticated
	if code, _ := g.call("POST", g.url("/registry/services/x"), `{"address": "203.0.113.10:80"}`, nil); code != http.StatusUnauthorized {
		t.Fatalf("POST /registry/services/x without a token: %d, want 401", code)
	}
}

// TestE2EAddressesThatLeadBackInside: the admin endpoint, the gateway's own
// listeners and metadata addresses are refused with 403 naming the rule.
func TestE2EAddressesThatLeadBackInside(t *testing.T) {
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	registry_api
}`)
	adminPort := g.admin[strings.LastIndexByte(g.admin, ':')+1:]
	for _, c := range []struct{ base, addr, rule string }{
		{"http://" + g.admin, g.admin, "admin_endpoint"},
		{"http://" + g.admin, "localhost:" + adminPort, "admin_endpoint"},
		{"http://" + g.admin, "[::ffff:127.0.0.1]:" + adminPort, "admin_endpoint"},
		{"http://" + g.admin, fmt.Sprintf("127.0.0.1:%d", g.httpPort), "own_listener"},
		{"http://" + g.admin, "169.254.169.254:80", "link_local"},
		{"http://" + g.admin, "[::ffff:169.254.169.254]:80", "link_local"},
		{"http://" + g.admin, "[fe80::1]:80", "link_local"},
		{"http://" + g.admin, "0.0.0.0:80", "unspecified"},
		{"http://" + g.admin, "[::]:80", "unspecified"},
		{g.url(""), "127.0.0.1:9", "loopback"},
		{g.url(""), g.admin, "admin_endpoint"},
		{g.url(""), "169.254.169.254:80", "link_local"},
	} {
		code, body := g.call("POST", c.base+"/registry/services/x", fmt.Sprintf(`{"address": %q}`, c.addr), nil)
		var answer map[string]string
		_ = json.Unmarshal([]byte(body), &answer)
		if code != http.StatusForbidden || answer["rule"] != c.rule {
			t.Errorf("registering %s at %s: %d %s, want 403 by rule %s", c.addr, c.base, code, body, c.rule)
		}
	}
	if _, body := g.adminCall("GET", "/registry/services", ""); strings.TrimSpace(body) != "{}" {
		t.Fatalf("refused addresses were registered: %s", body)
	}
}

// TestE2ELoopIsRefused: a registered instance that proxies back to the
// gateway (here, a forwarding proxy; the address policy cannot see through
// it) makes a loop; the gateway answers 508 at the second pass.
func TestE2ELoopIsRefused(t *testing.T) {
	g := startGateway(t, "", routeByService)
	var hits atomic.Int64
	target, _ := url.Parse(g.url(""))
	forward := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) > 20 {
			http.Error(w, "too many", 500)
			return
		}
		r.URL.Path = "/loop" + r.URL.Path
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	g.register("loop", fmt.Sprintf(`{"address": %q}`, strings.TrimPrefix(proxy.URL, "http://")))
	ans := fetch(t, g.client, g.url("/loop/x"))
	if ans.code != http.StatusLoopDetected || !strings.Contains(ans.body, "loop detected") {
		t.Fatalf("a loop answered %d %q, want 508", ans.code, ans.body)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("the loop went round %d times, want 1", n)
	}
	// a client cannot make the gateway refuse its request with a made-up marker
	g.register("svc", fmt.Sprintf(`{"address": %q}`, newBackend(t, "a").addr()))
	if ans := fetchWith(t, g.client, "GET", g.url("/svc/x"), http.Header{"Caddy-Gateway-Hop": {"0123456789abcdef01234567"}}); ans.code != 200 {
		t.Fatalf("a request with a foreign hop marker: %d", ans.code)
	}
}

// TestE2ERefusalsAndCaddyHeaderDirective: `header` edits values in place;
// repeated refusals must each carry their own, unedited values; and with
// handle_errors, refusals go through the error routes with their headers.
func TestE2ERefusalsAndCaddyHeaderDirective(t *testing.T) {
	t.Setenv("GATEWAY_TEST_JWT_SECRET", "e2e-secret-e2e-secret-e2e-secret-e2e")
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	header >Content-Type json problem+json
	header >Retry-After 1 11
	route /auth/* {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
		}
	}
	route /limited/* {
		throttle {
			rate 1/1h
		}
		respond "ok"
	}
}
http://localhost:{HTTP} {
	route /auth/* {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
		}
	}
	route /limited/* {
		throttle {
			rate 1/1h
		}
		respond "ok"
	}
	handle_errors {
		respond "handled {err.status_code}: {err.message}"
	}
}`)
	for i := range 3 {
		ans := fetch(t, g.client, g.url("/auth/x"))
		if ans.code != 401 || ans.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("refusal %d: %d Content-Type %q %v %q", i, ans.code, ans.header.Get("Content-Type"), ans.header, ans.body)
		}
	}
	fetch(t, g.client, g.url("/limited/x"))
	for i := range 3 {
		ans := fetch(t, g.client, g.url("/limited/x"))
		if ans.code != 429 || ans.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("429 number %d: %d Content-Type %q", i, ans.code, ans.header.Get("Content-Type"))
		}
	}

	local := fmt.Sprintf("http://localhost:%d", g.httpPort)
	ans := fetch(t, g.client, local+"/auth/x")
	if ans.code != 401 || !strings.HasPrefix(ans.body, "handled 401: jwt_auth:") || !strings.HasPrefix(ans.header.Get("WWW-Authenticate"), "Bearer realm=") {
		t.Fatalf("401 with handle_errors: %d %q %v", ans.code, ans.body, ans.header)
	}
	fetch(t, g.client, local+"/limited/x")
	ans = fetch(t, g.client, local+"/limited/x")
	if ans.code != 429 || !strings.HasPrefix(ans.body, "handled 429: throttle:") || ans.header.Get("Retry-After") == "" || ans.header.Get("RateLimit") == "" {
		t.Fatalf("429 with handle_errors: %d %q %v", ans.code, ans.body, ans.header)
	}
}

// TestAdminListenersReadsTheConfig: the address policy learns the admin
// endpoint's address from the config being loaded (by reflection: Caddy
// has no getter for it), and the gateway's listeners from the http app.
// A Caddy upgrade that changes that shape fails here.
func TestAdminListenersReadsTheConfig(t *testing.T) {
	g := startGateway(t, "", routeByService)
	for _, tc := range []struct{ address, rule string }{
		{g.admin, "admin_endpoint"},
		// a site without bind listens everywhere, so loopback reaches it
		{fmt.Sprintf("127.0.0.1:%d", g.httpPort), "own_listener"},
	} {
		code, body := g.adminCall("POST", "/registry/services/svc", fmt.Sprintf(`{"address": %q}`, tc.address))
		if code != http.StatusForbidden || !strings.Contains(body, tc.rule) {
			t.Fatalf("registering %s: %d %s; want 403 naming %s", tc.address, code, body, tc.rule)
		}
	}
}
