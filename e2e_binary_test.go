package gateway

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/golang-jwt/jwt/v5"
)

// The tests in this file run the programs a user runs: a Caddy binary built
// with xcaddy exactly as README.md says, and the example programs, as
// separate processes talking over loopback.
//
// Building Caddy takes a minute or two. GATEWAY_CADDY_BIN=<path> uses a
// binary built before (the tests still run in full).

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// goCommand is the go command the tests run under (go test puts its
// GOROOT/bin first on PATH).
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go" // the build then fails saying go is not found
}

// builtPrograms builds Caddy with this plugin (via xcaddy) and the example
// programs once per test run, and returns the directory holding them.
func builtPrograms(t *testing.T) string {
	t.Helper()
	testenv.SkipInShortMode(t, "builds Caddy with xcaddy")
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "gateway-bin-")
		if buildErr != nil {
			return
		}
		repo, err := os.Getwd()
		if err != nil {
			buildErr = err
			return
		}
		caddyBin := filepath.Join(buildDir, "caddy")
		if prebuilt := os.Getenv("GATEWAY_CADDY_BIN"); prebuilt != "" {
			caddyBin = prebuilt
			buildErr = os.Symlink(prebuilt, filepath.Join(buildDir, "caddy"))
		} else {
			// xcaddy is a tool of the e2e/ module (its go.mod), not of the
			// module users import
			buildErr = run(repo, goCommand(), "-C", filepath.Join(repo, "e2e"), "tool", "xcaddy", "build", "v2.11.9",
				"--with", "github.com/caddygateway/caddy-gateway@v0.0.0="+repo, "--output", caddyBin)
		}
		if buildErr != nil {
			return
		}
		for _, example := range []string{"hello-service", "client"} {
			if buildErr = run(repo, goCommand(), "build", "-o", filepath.Join(buildDir, example), "./examples/"+example); buildErr != nil {
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("building the programs: %v", buildErr)
	}
	return buildDir
}

// runOutput runs a program to its end and returns its standard output.
func runOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// process is a started program whose output is kept for the test's log.
type process struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	out   *safeBuffer
	lines chan string // stdout, line by line
	done  chan struct{}
}

type safeBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a program; it is killed (by its PID) when the test ends.
func start(t *testing.T, name string, args ...string) *process {
	t.Helper()
	p := &process{t: t, name: filepath.Base(name), cmd: exec.Command(name, args...), out: new(safeBuffer), done: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out.Write([]byte(sc.Text() + "\n"))
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	p.lines = lines
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("output of %s:\n%s", p.name, p.out)
		}
	})
	return p
}

func (p *process) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stop sends sig and waits for the process to end.
func (p *process) stop(sig syscall.Signal) {
	p.t.Helper()
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Fatalf("%s did not stop on %v", p.name, sig)
	}
}

var listeningRE = regexp.MustCompile(`listening on http://(\S+)`)

// startHelloService runs examples/hello-service and returns it with the
// address it listens on.
func startHelloService(t *testing.T, bin string, args ...string) (*process, string) {
	t.Helper()
	p := start(t, filepath.Join(bin, "hello-service"), append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	select {
	case line := <-p.lines:
		if m := listeningRE.FindStringSubmatch(line); m != nil {
			return p, m[1]
		}
		t.Fatalf("hello-service said %q", line)
	case <-time.After(15 * time.Second):
		t.Fatalf("hello-service did not start: %s", p.out)
	}
	return nil, ""
}

// startCaddyBinary runs the built Caddy with a Caddyfile and waits for its
// admin endpoint.
func startCaddyBinary(t *testing.T, bin, caddyfile, admin string) *process {
	t.Helper()
	p := start(t, filepath.Join(bin, "caddy"), "run", "--config", caddyfile, "--adapter", "caddyfile")
	testenv.Eventually(t, 20*time.Second, "caddy's admin endpoint did not come up", func() bool {
		resp, err := http.Get("http://" + admin + "/config/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// TestBinaryWalkthrough is README.md's walk-through: the gateway started
// with Caddyfile.example, two hello-service instances, a third one in the
// seed's text mode, load balancing, deregistration on SIGTERM, and a restart
// of the gateway that keeps the registrations.
func TestBinaryWalkthrough(t *testing.T) {
	bin := builtPrograms(t)
	ports := &testGateway{t: t, admin: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), httpPort: testenv.FreePort(t),
		httpsPort: testenv.FreePort(t), storageDir: t.TempDir()}
	caddyfile := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(caddyfile, []byte(exampleConfig(t, ports)), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := strings.Replace(ports.admin, "127.0.0.1", "localhost", 1)
	registry := "http://" + admin + "/registry"
	gw := startCaddyBinary(t, bin, caddyfile, admin)

	// the seed's client: 401 without a token, the service's answer with one
	cacert := filepath.Join(ports.storageDir, "pki", "authorities", "local", "root.crt")
	client := tlsClient(t, ports.storageDir)
	base := fmt.Sprintf("https://localhost:%d", ports.httpsPort)
	clientArgs := []string{"-cacert", cacert, "-url", base + "/hello_service/greet"}

	one, addr1 := startHelloService(t, bin, "-registry", registry, "-ttl", "1m")
	// the second instance registers over TLS through registry_api, with a
	// service token minted by the example client
	serviceToken := strings.TrimSpace(runOutput(t, filepath.Join(bin, "client"), "-token-only", "-claim", "role=service", "-claim", "services=hello_service"))
	_, addr2 := startHelloService(t, bin, "-registry", base+"/registry", "-cacert", cacert, "-token", serviceToken, "-ttl", "1m")
	// the example client's token is accepted (its secret and issuer match
	// Caddyfile.example); the other requests each come from a user of their
	// own, so the per-user limit (bursts of 10) stays out of the way
	clientToken := http.Header{"Authorization": {strings.TrimSpace(runOutput(t, filepath.Join(bin, "client"), "-token-only"))}}
	users := 0
	user := func() http.Header {
		users++
		return http.Header{"Authorization": {liveToken(t, exampleSecret(t), jwt.MapClaims{"sub": fmt.Sprintf("walker-%d", users)})}}
	}

	testenv.Eventually(t, 10*time.Second, "both instances did not register", func() bool {
		resp, err := http.Get(registry + "/services/hello_service")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.Contains(string(b), addr1) && strings.Contains(string(b), addr2)
	})
	out := runOutput(t, filepath.Join(bin, "client"), clientArgs...)
	without, with, ok := strings.Cut(out, "With the token")
	if !ok || !strings.Contains(without, "Response: 401 Unauthorized") || !strings.Contains(without, `WWW-Authenticate: Bearer realm="restricted"`) ||
		!strings.Contains(with, "Response: 200 OK") || !strings.Contains(with, "Hello from the Service!") {
		t.Fatalf("the example client printed:\n%s", out)
	}

	if ans := fetchWith(t, client, "GET", base+"/hello_service/greet", clientToken); ans.code != http.StatusOK {
		t.Fatalf("the example client's token: %d %s", ans.code, ans.body)
	}
	seen := map[string]int{}
	for range 10 {
		ans := fetchWith(t, client, "GET", base+"/hello_service/greet", user())
		if ans.code != http.StatusOK || ans.path != "/greet" || !strings.Contains(ans.body, "Hello from the Service!") {
			t.Fatalf("through the gateway: %d %s", ans.code, ans.body)
		}
		seen[ans.instance]++
	}
	// 11 requests in all with the client's: round_robin alternates
	if seen[addr1]+seen[addr2] != 10 || seen[addr1] < 5 || seen[addr2] < 5 {
		t.Fatalf("answers by instance %v, want 5 or 6 from each of %s and %s", seen, addr1, addr2)
	}

	// the service's public answers are cached for everyone (response_cache),
	// until purged on the admin endpoint
	first := fetchWith(t, client, "GET", base+"/hello_service/public/news", user())
	second := fetchWith(t, client, "GET", base+"/hello_service/public/news", user())
	if first.code != http.StatusOK || !strings.Contains(first.body, "generated_at") || second.body != first.body ||
		second.header.Get("Cache-Status") != "caddy-gateway; hit" {
		t.Fatalf("public answers: %d %q then %q (%q)", first.code, first.body, second.body, second.header.Get("Cache-Status"))
	}
	req, _ := http.NewRequest(http.MethodDelete, "http://"+admin+"/response_cache/", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("purge: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if third := fetchWith(t, client, "GET", base+"/hello_service/public/news", user()); third.body == first.body {
		t.Fatalf("still the stored answer after the purge: %q", third.body)
	}

	// SIGTERM: the instance deregisters itself; the other takes everything
	one.stop(syscall.SIGTERM)
	for range 5 {
		if ans := fetchWith(t, client, "GET", base+"/hello_service/greet", user()); ans.code != http.StatusOK || ans.instance != addr2 {
			t.Fatalf("after one instance stopped: %d from %q, want %s", ans.code, ans.instance, addr2)
		}
	}

	// the seed's text registration
	compat, addr3 := startHelloService(t, bin, "-registry", registry, "-compat", "-name", "seed_service")
	testenv.Eventually(t, 10*time.Second, "the -compat instance did not register", func() bool {
		return fetchWith(t, client, "GET", base+"/seed_service/", user()).instance == addr3
	})

	// restart the gateway: the registrations are back before any renewal
	// (the services renew every 20s)
	gw.stop(syscall.SIGINT)
	startCaddyBinary(t, bin, caddyfile, admin)
	client = tlsClient(t, ports.storageDir)
	for _, tc := range []struct{ path, want string }{{"/hello_service/x", addr2}, {"/seed_service/x", addr3}} {
		var ans answer
		testenv.Eventually(t, 10*time.Second, "the gateway did not answer after the restart", func() bool {
			resp, err := client.Get(base + tc.path)
			if err != nil {
				return false
			}
			resp.Body.Close()
			ans = fetchWith(t, client, "GET", base+tc.path, user())
			return true
		})
		if ans.code != http.StatusOK || ans.instance != tc.want {
			t.Fatalf("%s after the restart: %d from %q, want %s", tc.path, ans.code, ans.instance, tc.want)
		}
	}

	compat.stop(syscall.SIGTERM)
	if ans := fetchWith(t, client, "GET", base+"/seed_service/x", user()); ans.code != http.StatusServiceUnavailable {
		t.Fatalf("after the -compat instance deregistered: %d, want 503", ans.code)
	}
}

// tlsClient trusts the local CA of the gateway whose storage is dir.
func tlsClient(t *testing.T, dir string) *http.Client {
	t.Helper()
	var pool *x509.CertPool
	testenv.Eventually(t, 10*time.Second, "no local CA root certificate", func() bool {
		pem, err := os.ReadFile(filepath.Join(dir, "pki", "authorities", "local", "root.crt"))
		if err != nil {
			return false
		}
		pool = x509.NewCertPool()
		return pool.AppendCertsFromPEM(pem)
	})
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
}
