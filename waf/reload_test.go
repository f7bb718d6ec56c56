package waf

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// countEngines is how many rule engines the loaded configs hold.
func countEngines() int {
	n := 0
	engines.Range(func(any, any) bool { n++; return true })
	return n
}

// loadSites loads a config of n sites on their own ports, each with
// `waf` and the given extra line in its waf block for the site's index.
func loadSites(t *testing.T, ports []int, backend string, wafBlock func(i int) string, extra string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("{\n\tadmin off\n\tpersist_config off\n\tlog {\n\t\toutput discard\n\t}\n}\n")
	for i, p := range ports {
		fmt.Fprintf(&b, "http://127.0.0.1:%d {\n\twaf {\n\t\t%s\n\t}\n\t%s\n\treverse_proxy %s\n}\n", p, wafBlock(i), extra, backend)
	}
	raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(b.String()), nil)
	if err != nil {
		t.Fatalf("adapting: %v\n%s", err, b.String())
	}
	if err := caddy.Load(raw, true); err != nil {
		t.Fatalf("loading: %v", err)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections() // as reloadSite
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSitesAndReloadsShareOneEngine: ten sites with the same settings
// hold one rule engine, twenty reloads keep it (no new engine, the heap
// flat), every site still refuses an attack with it, and an engine no
// config uses any more is let go.
func TestSitesAndReloadsShareOneEngine(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer backend.Close()
	upstream := strings.TrimPrefix(backend.URL, "http://")
	ports := make([]int, 10)
	for i := range ports {
		ports[i] = freePort(t)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	same := func(int) string { return "paranoia 1" }

	loadSites(t, ports, upstream, same, "")
	if n := countEngines(); n != 1 {
		t.Fatalf("10 sites with the same settings hold %d rule engines, want 1", n)
	}
	var first any
	engines.Range(func(_, v any) bool { first = v; return false })
	base := heapAfterGC()
	for i := range 20 {
		// alternate two configs, as an operator's reloads do
		loadSites(t, ports, upstream, same, fmt.Sprintf("header X-Load %d", i%2))
		if n := countEngines(); n != 1 {
			t.Fatalf("after reload %d: %d rule engines, want 1", i+1, n)
		}
	}
	var now any
	engines.Range(func(_, v any) bool { now = v; return false })
	if now != first {
		t.Fatal("a reload that keeps the settings built a new rule engine")
	}
	if grown := int64(heapAfterGC()) - int64(base); grown > 16<<20 {
		t.Fatalf("20 reloads of 10 waf sites grew the heap by %d MiB, want it flat (< 16 MiB)", grown>>20)
	}
	for _, p := range ports {
		code, _ := send(t, fmt.Sprintf("http://127.0.0.1:%d", p), probe{name: "sqli", method: "GET", path: "/?id=1'%20UNION%20SELECT%20password%20FROM%20users--"})
		if code != http.StatusForbidden {
			t.Fatalf("site on port %d answered %d to SQL injection after the reloads, want 403", p, code)
		}
	}

	// different settings, different engines; the old one is let go
	loadSites(t, ports, upstream, func(i int) string { return fmt.Sprintf("paranoia %d", 1+i%2) }, "")
	if n := countEngines(); n != 2 {
		t.Fatalf("sites at paranoia 1 and 2 hold %d rule engines, want 2", n)
	}
	loadSites(t, ports, upstream, func(int) string { return "paranoia 2" }, "")
	if n := countEngines(); n != 1 {
		t.Fatalf("after the paranoia 1 sites went: %d rule engines, want 1", n)
	}
}

// reloadSite loads, in place of the running config, one site on port
// whose handlers are block then respond ok (what a reload of an edited
// Caddyfile does).
func reloadSite(t *testing.T, port, block string) {
	t.Helper()
	cfg := fmt.Sprintf("{\n\tadmin off\n\tpersist_config off\n\tlog {\n\t\toutput discard\n\t}\n}\nhttp://127.0.0.1:%s {\n\t%s\n\trespond ok\n}\n", port, block)
	raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(raw, true); err != nil {
		t.Fatal(err)
	}
	// the old server closed its connections: a kept-alive one reused
	// for the next request was reset now and then (a CI run)
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// TestEditedRulesFileGetsANewEngine: the engine is named by the rule
// files' contents, not their names, so a reload after editing one loads
// the edit.
func TestEditedRulesFileGetsANewEngine(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "extra.conf")
	write := func(arg string) {
		rule := fmt.Sprintf("SecRule ARGS:probe \"@streq %s\" \"id:10001,phase:2,deny,status:403,log\"\n", arg)
		if err := os.WriteFile(rules, []byte(rule), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	base := startCaddyWith(t, "waf {\n\t\trules "+rules+"\n\t}", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	if code, _ := send(t, base, probe{name: "one", method: "GET", path: "/?probe=one"}); code != http.StatusForbidden {
		t.Fatalf("the extra rule did not refuse probe=one: %d", code)
	}
	write("two")
	// the same config again (a reload): the edited file must be read
	reloadSite(t, port, "waf {\n\t\trules "+rules+"\n\t}")
	if code, _ := send(t, base, probe{name: "two", method: "GET", path: "/?probe=two"}); code != http.StatusForbidden {
		t.Fatalf("after editing the rules file and reloading, probe=two answered %d, want 403", code)
	}
	if code, _ := send(t, base, probe{name: "one", method: "GET", path: "/?probe=one"}); code != http.StatusOK {
		t.Fatalf("after editing the rules file and reloading, probe=one answered %d, want 200", code)
	}
	if n := countEngines(); n != 1 {
		t.Fatalf("%d rule engines after the edit, want 1 (the old one let go)", n)
	}
}

// TestEditedIncludedFilesGetANewEngine: the engine is named by the files
// the rules files include and the data files they read too, so a reload
// after editing one loads the edit, and the requests the old rules let
// through (and remembered) are inspected again. Before, only the files
// named in the Caddyfile counted (attack 65): an edited exclusions file
// or word list applied only after a restart.
func TestEditedIncludedFilesGetANewEngine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "waf.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	write("main.conf", "Include "+filepath.Join(dir, "waf.d")+"/*.conf\nSecRule ARGS:w \"@pmFromFile words.txt\" \"id:10005,phase:2,deny,status:403,log\"\n")
	write("waf.d/a.conf", "SecRule ARGS:probe \"@streq one\" \"id:10004,phase:2,deny,status:403,log\"\n")
	write("words.txt", "alpha\n")
	block := "waf {\n\t\trules " + filepath.Join(dir, "main.conf") + "\n\t\tverdict_cache on\n\t}"
	base := startCaddyWith(t, block, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	reload := func() { reloadSite(t, port, block) }
	expect := func(path string, want int) {
		t.Helper()
		if code, _ := send(t, base, probe{name: path, method: "GET", path: path}); code != want {
			t.Fatalf("%s: %d, want %d", path, code, want)
		}
	}
	expect("/?probe=one", http.StatusForbidden)
	expect("/?w=alpha", http.StatusForbidden)
	for range 2 { // let through, and remembered
		expect("/?probe=two", http.StatusOK)
		expect("/?w=beta", http.StatusOK)
	}
	write("waf.d/b.conf", "SecRule ARGS:probe \"@streq two\" \"id:10006,phase:2,deny,status:403,log\"\n")
	reload()
	expect("/?probe=two", http.StatusForbidden)
	expect("/?w=beta", http.StatusOK)
	// an edited data file gets a new engine, whose matcher is built from
	// the new words (Coraza keeps a matcher by the file's name while an
	// engine that built it lives, as the old one does during a reload:
	// datafile.go names it by the words too); a word taken out is let
	// through again
	key := engineKey("d", []string{filepath.Join(dir, "main.conf")})
	write("words.txt", "alpha\nbeta\n")
	if engineKey("d", []string{filepath.Join(dir, "main.conf")}) == key {
		t.Fatal("an edited data file keeps the engine's key")
	}
	reload()
	expect("/?w=beta", http.StatusForbidden)
	write("words.txt", "beta\n")
	reload()
	expect("/?w=alpha", http.StatusOK)
	expect("/?w=beta", http.StatusForbidden)
	// a renamed file too
	write("words2.txt", "alpha\nbeta\n")
	write("main.conf", "Include "+filepath.Join(dir, "waf.d")+"/*.conf\nSecRule ARGS:w \"@pmFromFile words2.txt\" \"id:10005,phase:2,deny,status:403,log\"\n")
	reload()
	expect("/?w=alpha", http.StatusForbidden)
	if n := countEngines(); n != 1 {
		t.Fatalf("%d rule engines after the edits, want 1 (the old ones let go)", n)
	}
}
