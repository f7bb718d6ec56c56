package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	"github.com/golang-jwt/jwt/v5"

	_ "github.com/caddygateway/caddy-gateway" // the plugin, as one `--with` builds it
	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// The harness below is the root's e2e_helpers_test.go cut to what the tests
// here use: a real Caddy with the plugin in the test's process.

// caddyMu serializes the tests that run Caddy in this process: Caddy's
// running config is a process-wide singleton.
var caddyMu sync.Mutex

// testGateway is a real Caddy with this plugin, running in the test's
// process, with its admin endpoint and HTTP port chosen at run time.
type testGateway struct {
	t          testing.TB
	admin      string // host:port of the admin endpoint
	httpPort   int
	httpsPort  int
	storageDir string
	client     *http.Client
}

// startGateway runs Caddy with the given global options (inside the global
// block) and site blocks, from the state a new process starts with. In
// both, {HTTP} stands for the HTTP port. The gateway is stopped when the
// test ends.
func startGateway(t testing.TB, globals, sites string) *testGateway {
	t.Helper()
	caddyMu.Lock()
	g := &testGateway{
		t:          t,
		admin:      fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
		httpPort:   testenv.FreePort(t),
		httpsPort:  testenv.FreePort(t),
		storageDir: t.TempDir(),
		client:     &http.Client{Timeout: 10 * time.Second},
	}
	caddykit.ResetProcessState()
	t.Cleanup(func() {
		if err := caddy.Stop(); err != nil {
			t.Errorf("stopping caddy: %v", err)
		}
		caddyMu.Unlock()
	})
	logOutput := "discard"
	if os.Getenv("GATEWAY_TEST_LOG") != "" {
		logOutput = "stderr"
	}
	caddyfile := fmt.Sprintf(`{
	admin %s
	http_port %d
	https_port %d
	persist_config off
	skip_install_trust
	storage file_system %s
	log {
		output %s
		level DEBUG
	}
	%s
}
%s
`, g.admin, g.httpPort, g.httpsPort, g.storageDir, logOutput, globals, strings.ReplaceAll(sites, "{HTTP}", fmt.Sprint(g.httpPort)))
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapting the Caddyfile: %v\n%s", err, caddyfile)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading the config: %v", err)
	}
	return g
}

// url returns the gateway's URL for path.
func (g *testGateway) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", g.httpPort, path)
}

// adminCall sends a request to the admin endpoint.
func (g *testGateway) adminCall(method, path, body string) (int, string) {
	return g.call(method, "http://"+g.admin+path, body, nil)
}

// call sends a request and fails the test when no answer comes (a
// connection closed before any answer is retried a few times).
func (g *testGateway) call(method, url, body string, header http.Header) (int, string) {
	g.t.Helper()
	var resp *http.Response
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var req *http.Request
		req, err = http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			g.t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		if resp, err = g.client.Do(req); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// register registers an instance on the admin endpoint and fails the test
// unless it is accepted.
func (g *testGateway) register(service, body string) {
	g.t.Helper()
	code, answer := g.adminCall("POST", "/registry/services/"+service, body)
	if code != http.StatusCreated && code != http.StatusOK {
		g.t.Fatalf("registering %s %s: %d %s", service, body, code, answer)
	}
}

// createKey makes a key for a consumer on the admin endpoint.
func (g *testGateway) createKey(consumer, body string) (id, key string) {
	g.t.Helper()
	code, ans := g.adminCall("POST", "/consumers/"+consumer+"/keys", body)
	if code != http.StatusCreated {
		g.t.Fatalf("creating a key for %s: %d %s", consumer, code, ans)
	}
	var k struct{ ID, Key string }
	if err := json.Unmarshal([]byte(ans), &k); err != nil || k.Key == "" {
		g.t.Fatalf("key answer: %s", ans)
	}
	return k.ID, k.Key
}

// origin is a backend running the test's handler.
type origin struct{ srv *httptest.Server }

func newOrigin(t *testing.T, h http.HandlerFunc) *origin {
	o := &origin{srv: httptest.NewServer(h)}
	t.Cleanup(o.srv.Close)
	return o
}

// addr is the origin's host:port.
func (o *origin) addr() string { return strings.TrimPrefix(o.srv.URL, "http://") }

// liveToken is an HS256 token from my_issuer for user-7, valid for an
// hour, with claims added (or, when nil, removed).
func liveToken(t *testing.T, secret string, claims jwt.MapClaims) string {
	t.Helper()
	base := jwt.MapClaims{"sub": "user-7", "iss": "my_issuer", "role": "reader", "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, base).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
