package gateway

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
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
		"admin localhost:2019": "admin localhost:" + adminPort,
		"http_port 8080":       fmt.Sprintf("http_port %d", g.httpPort),
		"https_port 8443":      fmt.Sprintf("https_port %d", g.httpsPort),
		"localhost:8443 {":     fmt.Sprintf("localhost:%d {", g.httpsPort),
		"./caddy-data":         g.storageDir,
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

func TestE2ECaddyfileExample(t *testing.T) {
	g, client := startExample(t)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	g.register("hello_service", fmt.Sprintf(`{"address": %q, "ttl": "30s"}`, a.addr()))
	g.register("hello_service", fmt.Sprintf(`{"address": %q, "ttl": "30s"}`, b.addr()))

	base := fmt.Sprintf("https://localhost:%d", g.httpsPort)
	var resp *http.Response
	eventually(t, 10*time.Second, "the HTTPS site did not answer with a certificate from the local CA", func() bool {
		var err error
		resp, err = client.Get(base + "/hello_service/greet")
		return err == nil
	})
	resp.Body.Close()

	seen := map[string]int{}
	for range 10 {
		ans := fetch(t, client, base+"/hello_service/greet")
		if ans.code != http.StatusOK || ans.path != "/greet" {
			t.Fatalf("through the example gateway: %d, backend saw path %q", ans.code, ans.path)
		}
		seen[ans.instance]++
	}
	if seen["a"] != 5 || seen["b"] != 5 {
		t.Fatalf("round_robin answered %v, want 5 each", seen)
	}
	if ans := fetch(t, client, base+"/hello_service"); ans.code != http.StatusOK || ans.path != "/" {
		t.Fatalf("/hello_service: %d, backend saw path %q, want /", ans.code, ans.path)
	}
	if ans := fetch(t, client, base+"/nobody/x"); ans.code != http.StatusServiceUnavailable {
		t.Fatalf("unregistered service: %d, want 503", ans.code)
	}
}
