// Package idptest runs a real OpenID Provider for tests: the npm package
// oidc-provider (a certified OpenID Provider implementation), installed
// with npm as internal/cachetests installs the HTTP cache test suite, and
// started on a loopback port with the small configuration in
// testdata/provider.mjs: the client_credentials grant for the clients
// "app", "short" (tokens that live TTLShort seconds) and "gateway" (the
// gateway's own, for introspection), each with the secret
// "<id>-secret"; JWT access tokens for the resource
// https://api.example, opaque ones otherwise; introspection and
// revocation.
package idptest

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Version is the oidc-provider version the tests run.
const Version = "9.13.3"

// Resource is the resource indicator for which the provider issues JWT
// access tokens.
const Resource = "https://api.example"

//go:embed testdata/provider.mjs
var script []byte

// Install makes sure oidc-provider is installed under dir (npm install,
// once) and returns dir with the provider's script in it.
func Install(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return "", errors.New("npm is not installed: the OpenID Provider of the tests runs on Node.js. Install nodejs and npm (apt-get install nodejs npm) or run .ci/run, which installs them")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "oidc-provider@"+Version)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm install oidc-provider@%s: %v\n%s", Version, err, out)
		}
	}
	// the script sits beside node_modules, so its imports resolve there
	if err := os.WriteFile(filepath.Join(dir, "provider.mjs"), script, 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

// DefaultDir is where Install puts the provider by default: the user's
// cache directory.
func DefaultDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "caddy-gateway", "oidc-provider-"+Version)
}

// Provider is a running oidc-provider.
type Provider struct {
	t      testing.TB
	dir    string
	Port   int
	Issuer string // http://127.0.0.1:<port>
	KID    string // the signing key's id
	// TTLShort is how long tokens of client "short" live, in seconds.
	TTLShort int
	cmd      *exec.Cmd
	client   *http.Client
}

// Start installs (once) and starts a provider on a free loopback port,
// signing with a new key named kid; it stops when the test ends.
func Start(t testing.TB, kid string) *Provider {
	t.Helper()
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Fatal("node is not installed: the OpenID Provider of the tests runs on Node.js (apt-get install nodejs npm, or run .ci/run)")
	}
	if major, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(strings.TrimSpace(string(out)), ".", 2)[0], "v")); major < 20 {
		t.Fatalf("oidc-provider %s needs Node.js 20 or later; node --version says %s", Version, strings.TrimSpace(string(out)))
	}
	dir, err := Install(DefaultDir())
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := &Provider{t: t, dir: dir, Port: port, Issuer: fmt.Sprintf("http://127.0.0.1:%d", port), TTLShort: 2,
		client: &http.Client{Timeout: 5 * time.Second}}
	p.Restart(kid)
	t.Cleanup(p.Stop)
	return p
}

// Restart stops the provider (if running) and starts it again on the same
// port with a new key named kid: the provider's keys rotate, and what it
// kept in memory (opaque tokens) is gone.
func (p *Provider) Restart(kid string) {
	p.t.Helper()
	p.Stop()
	p.KID = kid
	cmd := exec.Command("node", "provider.mjs")
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(p.Port), "KID="+kid, "TTL_SHORT="+strconv.Itoa(p.TTLShort))
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("starting the OpenID Provider (node): %v", err)
	}
	p.cmd = cmd
	for range 200 {
		if resp, err := p.client.Get(p.Issuer + "/.well-known/openid-configuration"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Stop()
	p.t.Fatal("the OpenID Provider did not start")
}

// Stop ends the provider (the tests' "provider down").
func (p *Provider) Stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		_, _ = p.cmd.Process.Wait()
	}
	p.cmd = nil
}

// Token gets an access token for client by the client_credentials grant:
// a JWT when resource is Resource, an opaque token when it is "".
func (p *Provider) Token(client, resource string) string {
	p.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}
	if resource != "" {
		form.Set("resource", resource)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	p.post("/token", client, form, &out)
	if out.AccessToken == "" {
		p.t.Fatal("the provider issued no token")
	}
	return out.AccessToken
}

// Revoke revokes a token of client.
func (p *Provider) Revoke(client, token string) {
	p.t.Helper()
	p.post("/token/revocation", client, url.Values{"token": {token}}, nil)
}

// Counts is how many requests each path of the provider received since it
// started.
func (p *Provider) Counts() map[string]int {
	p.t.Helper()
	resp, err := p.client.Get(p.Issuer + "/test/counts")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	counts := map[string]int{}
	if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
		p.t.Fatal(err)
	}
	return counts
}

func (p *Provider) post(path, client string, form url.Values, out any) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.Issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, client+"-secret")
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("POST %s: status %d", path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			p.t.Fatal(err)
		}
	}
}
