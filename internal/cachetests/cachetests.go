// Package cachetests runs the public HTTP cache test suite
// (github.com/http-tests/cache-tests, the npm package http-cache-tests,
// whose results for browsers, CDNs and reverse proxies are published at
// https://cache-tests.fyi) against a cache: it installs the suite with npm,
// starts the suite's origin server, runs its client through the cache and
// scores the results the way the suite's own summary does (required,
// optimal and check tests; browser-only tests left out).
package cachetests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// Version is the suite's version this project measures with.
const Version = "0.4.5"

// Install makes sure the suite is installed under dir (npm install, once)
// and returns the package's directory.
func Install(dir string) (string, error) {
	pkg := filepath.Join(dir, "node_modules", "http-cache-tests")
	if _, err := os.Stat(filepath.Join(pkg, "cli.mjs")); err == nil {
		return pkg, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm is not installed: the HTTP cache test suite runs on Node.js. Install nodejs and npm (apt-get install nodejs npm) or run .ci/run, which installs them")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "http-cache-tests@"+Version)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install http-cache-tests@%s: %v\n%s", Version, err, out)
	}
	return pkg, nil
}

// DefaultDir is where Install puts the suite by default: the user's cache
// directory.
func DefaultDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "caddy-gateway", "http-cache-tests-"+Version)
}

// Server is the suite's origin server.
type Server struct {
	Port int
	cmd  *exec.Cmd
}

// StartServer starts the suite's origin server on a free loopback port.
func StartServer(pkg string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("node", "server/server.mjs")
	cmd.Dir = pkg
	cmd.Env = append(os.Environ(), "npm_config_protocol=http", "npm_config_port="+strconv.Itoa(port),
		"npm_config_pidfile="+filepath.Join(os.TempDir(), fmt.Sprintf("http-cache-tests-%d.pid", port)))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the suite's server (node): %v", err)
	}
	s := &Server{Port: port, cmd: cmd}
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return nil, errors.New("the suite's server did not start listening")
}

// Stop ends the server.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_, _ = s.cmd.Process.Wait()
	}
}

// Results are the suite's results: test id → true, or the reason it did
// not pass.
type Results map[string]any

// Run runs every test through the cache at base (e.g.
// http://127.0.0.1:8080).
func Run(ctx context.Context, pkg, base string) (Results, error) {
	cmd := exec.CommandContext(ctx, "node", "--no-warnings", "cli.mjs")
	cmd.Dir = pkg
	cmd.Env = append(os.Environ(), "npm_config_base="+base, "npm_package_config_id=", "npm_config_id=")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("running the suite: %v\n%s", err, stderr.String())
	}
	var r Results
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("reading the suite's results: %v\n%.500s\n%s", err, out.String(), stderr.String())
	}
	return r, nil
}

// Kinds returns each test's kind (required, optimal, check), as the
// suite's command line runs them (browser-only tests left out).
func Kinds(pkg string) (map[string]string, error) {
	script := `import tests from './tests/index.mjs'
import surrogate from './tests/surrogate-control.mjs'
tests.push(surrogate)
const kinds = {}
for (const s of tests) for (const t of s.tests) { if (t.browser_only) continue; kinds[t.id] = t.kind || 'required' }
console.log(JSON.stringify(kinds))`
	cmd := exec.Command("node", "--input-type=module", "-e", script)
	cmd.Dir = pkg
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the suite's tests: %v", err)
	}
	kinds := map[string]string{}
	return kinds, json.Unmarshal(out, &kinds)
}

// Score is a cache's score.
type Score struct {
	Passed, Total map[string]int      // by kind
	Failed        map[string][]string // by kind: test ids not passed, sorted
}

// Compute scores results against the tests' kinds.
func Compute(kinds map[string]string, r Results) Score {
	s := Score{Passed: map[string]int{}, Total: map[string]int{}, Failed: map[string][]string{}}
	for id, kind := range kinds {
		s.Total[kind]++
		if v, ok := r[id].(bool); ok && v {
			s.Passed[kind]++
		} else {
			s.Failed[kind] = append(s.Failed[kind], id)
		}
	}
	for _, ids := range s.Failed {
		sort.Strings(ids)
	}
	return s
}

// Published reads the results the suite ships for other caches
// (results/<name>.json), for a table next to ours.
func Published(pkg string) (map[string]Results, error) {
	files, err := filepath.Glob(filepath.Join(pkg, "results", "*.json"))
	if err != nil {
		return nil, err
	}
	out := map[string]Results{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r Results
		if json.Unmarshal(b, &r) == nil {
			out[filepath.Base(f[:len(f)-len(".json")])] = r
		}
	}
	return out, nil
}
