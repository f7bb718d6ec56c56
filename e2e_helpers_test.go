package gateway

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

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

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
// block) and site blocks. In both, {HTTP} stands for the HTTP port. The
// gateway is stopped when the test ends.
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
	caddykit.ResetProcessState() // what a new process starts with
	t.Cleanup(func() {
		if err := caddy.Stop(); err != nil {
			t.Errorf("stopping caddy: %v", err)
		}
		caddyMu.Unlock()
	})
	g.load(globals, sites)
	return g
}

// restart stops Caddy, forgets all in-memory state as a new process would,
// and starts Caddy again with the same storage.
func (g *testGateway) restart(globals, sites string) {
	g.t.Helper()
	if err := caddy.Stop(); err != nil {
		g.t.Fatalf("stopping caddy: %v", err)
	}
	caddykit.ResetProcessState()
	g.load(globals, sites)
}

// load adapts and loads a config, as a reload does.
func (g *testGateway) load(globals, sites string) {
	g.t.Helper()
	if err := g.tryLoad(globals, sites); err != nil {
		g.t.Fatal(err)
	}
}

func (g *testGateway) tryLoad(globals, sites string) error {
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
	cfg, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		return fmt.Errorf("adapting the Caddyfile: %v\n%s", err, caddyfile)
	}
	for _, w := range warnings {
		if !strings.Contains(w.Message, "not formatted") {
			g.t.Logf("caddyfile warning: %s", w)
		}
	}
	if err := caddy.Load(cfg, true); err != nil {
		return fmt.Errorf("loading the config: %v", err)
	}
	// Caddy 2.11 stops the previous config's servers in goroutines that Load
	// only sees started: until one has called Shutdown, its accept loop still
	// shares the listener and can take a new connection, which the old config
	// then serves. Give them a moment to close their listeners; the tests that
	// check what a reload changed also wait for it (testenv.Eventually).
	time.Sleep(50 * time.Millisecond)
	// the servers of the previous config close their idle connections
	g.client.CloseIdleConnections()
	return nil
}

// url returns the gateway's URL for path.
func (g *testGateway) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", g.httpPort, path)
}

// adminCall sends a request to the admin endpoint.
func (g *testGateway) adminCall(method, path, body string) (int, string) {
	return g.call(method, "http://"+g.admin+path, body, nil)
}

// call sends a request. A connection closed before any answer is retried a
// few times: right after a reload, Caddy's old server (or old admin server)
// can accept a connection while it hands its listener over, then close it.
// Statuses and bodies are never retried.
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

// get requests path through the gateway and returns the status and, for a
// backend's answer, which backend answered.
func (g *testGateway) get(path string) (int, string) {
	g.t.Helper()
	code, body := g.call("GET", g.url(path), "", nil)
	var answer struct{ Instance string }
	_ = json.Unmarshal([]byte(body), &answer)
	return code, answer.Instance
}

// answer is what a request through the gateway returned: the status and,
// when a backend answered, which one and the path it saw.
type answer struct {
	code     int
	instance string
	path     string
	header   http.Header
	body     string
}

// fetch sends a GET and returns the answer. A request that gets no answer
// fails the test with t.Errorf, not t.Fatal, so fetch may be called from
// any goroutine; the answer is then zero but for body, which says why.
// Goroutines that must stop at a failure use tryFetch.
func fetch(t testing.TB, client *http.Client, url string) answer {
	t.Helper()
	return fetchWith(t, client, "GET", url, nil)
}

// fetchWith is fetch with a method and request headers.
func fetchWith(t testing.TB, client *http.Client, method, url string, header http.Header) answer {
	t.Helper()
	ans, err := tryFetch(client, method, url, header)
	if err != nil {
		t.Errorf("%v", err) // never t.Fatal: callers run on goroutines of their own too
		ans.body = err.Error()
	}
	return ans
}

// tryFetch sends a request and returns the answer, or an error when none
// came (a connection closed before any answer is retried a few times, as
// in testGateway.call).
func tryFetch(client *http.Client, method, url string, header http.Header) (answer, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return answer{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	for attempt := 0; err != nil && attempt < 5; attempt++ { // see testGateway.call
		time.Sleep(50 * time.Millisecond)
		resp, err = client.Do(req)
	}
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var who struct{ Instance, Path string }
	_ = json.Unmarshal(b, &who)
	return answer{code: resp.StatusCode, instance: who.Instance, path: who.Path, header: resp.Header, body: string(b)}, nil
}

// backend is a real HTTP server on 127.0.0.1 that says who it is.
type backend struct {
	name string
	srv  *httptest.Server
	mu   sync.Mutex
	hits int
	last *http.Request
}

func newBackend(t testing.TB, name string) *backend {
	b := &backend{name: name}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.hits++
		b.last = r.Clone(r.Context())
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"message": "Hello from the Service!", "instance": %q, "path": %q}`, name, r.URL.Path)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// addr is the backend's host:port.
func (b *backend) addr() string { return strings.TrimPrefix(b.srv.URL, "http://") }

func (b *backend) hitCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits
}
