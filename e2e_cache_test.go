package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddygateway/caddy-gateway/modules/responsecache"
)

// origin is an upstream whose answers a test scripts, counting requests.
type origin struct {
	srv     *httptest.Server
	hits    atomic.Int64
	mu      sync.Mutex
	handler http.HandlerFunc
	last    http.Header
}

func newOrigin(t *testing.T, h http.HandlerFunc) *origin {
	o := &origin{handler: h}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		o.mu.Lock()
		h := o.handler
		o.last = r.Header.Clone()
		o.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) lastHeader() http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

func (o *origin) addr() string { return strings.TrimPrefix(o.srv.URL, "http://") }

// cacheSite is a site with response_cache in front of reverse_proxy to an
// origin; {OPTS} stands for the cache's options.
func cacheSite(o *origin, opts string) string {
	return fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	response_cache {
		%s
	}
	reverse_proxy %s
}`, opts, o.addr())
}

func mustStatus(t *testing.T, a answer, code int, cacheStatus string) {
	t.Helper()
	if a.code != code || !strings.HasPrefix(a.header.Get("Cache-Status"), responsecache.CacheName+"; "+cacheStatus) {
		t.Fatalf("got %d, Cache-Status %q; want %d, %q (body %q)", a.code, a.header.Get("Cache-Status"), code, cacheStatus, a.body)
	}
}

func TestE2ECacheServesStoresAndRevalidates(t *testing.T) {
	var version atomic.Int64
	version.Store(1)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		v := version.Load()
		switch r.URL.Path {
		case "/fresh":
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Cache-Tag", "products, p1")
		case "/nostore":
			w.Header().Set("Cache-Control", "no-store")
		case "/private":
			w.Header().Set("Cache-Control", "private, max-age=60")
		case "/short":
			w.Header().Set("Cache-Control", "max-age=1")
			w.Header().Set("ETag", `"e1"`)
			if r.Header.Get("If-None-Match") == `"e1"` {
				w.Header().Set("X-Revalidated", "yes")
				w.WriteHeader(http.StatusNotModified)
				return
			}
		case "/vary":
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Vary", "Accept-Language")
			fmt.Fprintf(w, "lang=%s v=%d", r.Header.Get("Accept-Language"), v)
			return
		case "/cookie":
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Set-Cookie", "session=abc")
		}
		fmt.Fprintf(w, "%s v=%d", r.URL.Path, v)
	})
	g := startGateway(t, "", cacheSite(o, ""))

	a := fetch(t, g.client, g.url("/fresh"))
	mustStatus(t, a, 200, "fwd=uri-miss; stored")
	a = fetch(t, g.client, g.url("/fresh"))
	mustStatus(t, a, 200, "hit")
	if a.body != "/fresh v=1" || a.header.Get("Age") == "" || o.hits.Load() != 1 {
		t.Fatalf("hit: body %q, Age %q, origin hits %d", a.body, a.header.Get("Age"), o.hits.Load())
	}
	// HEAD from the stored GET, without a body
	a = fetchWith(t, g.client, "HEAD", g.url("/fresh"), nil)
	mustStatus(t, a, 200, "hit")
	if a.body != "" || o.hits.Load() != 1 {
		t.Fatalf("HEAD: body %q, origin hits %d", a.body, o.hits.Load())
	}
	// the request's no-cache makes it go upstream
	a = fetchWith(t, g.client, "GET", g.url("/fresh"), http.Header{"Cache-Control": {"no-cache"}})
	if a.header.Get("Cache-Status") == responsecache.CacheName+"; hit" || o.hits.Load() != 2 {
		t.Fatalf("no-cache request answered from the cache: %q", a.header.Get("Cache-Status"))
	}
	// only-if-cached without a stored response: 504
	a = fetchWith(t, g.client, "GET", g.url("/never"), http.Header{"Cache-Control": {"only-if-cached"}})
	if a.code != http.StatusGatewayTimeout || o.hits.Load() != 2 {
		t.Fatalf("only-if-cached: %d, origin hits %d", a.code, o.hits.Load())
	}

	for _, path := range []string{"/nostore", "/private", "/cookie"} {
		before := o.hits.Load()
		fetch(t, g.client, g.url(path))
		a = fetch(t, g.client, g.url(path))
		if o.hits.Load() != before+2 || strings.Contains(a.header.Get("Cache-Status"), "hit") {
			t.Fatalf("%s was answered from the cache: %q", path, a.header.Get("Cache-Status"))
		}
		if path == "/cookie" && a.header.Get("Set-Cookie") != "session=abc" {
			t.Fatal("Set-Cookie must pass through")
		}
	}

	// Vary: one variant per language
	en := http.Header{"Accept-Language": {"en"}}
	fr := http.Header{"Accept-Language": {"fr"}}
	fetchWith(t, g.client, "GET", g.url("/vary"), en)
	a = fetchWith(t, g.client, "GET", g.url("/vary"), fr)
	mustStatus(t, a, 200, "fwd=vary-miss; stored")
	if a.body != "lang=fr v=1" {
		t.Fatalf("fr variant: %q", a.body)
	}
	a = fetchWith(t, g.client, "GET", g.url("/vary"), en)
	mustStatus(t, a, 200, "hit")
	if a.body != "lang=en v=1" {
		t.Fatalf("en variant: %q", a.body)
	}

	// revalidation: a stale response with an ETag is revalidated, the 304's
	// fields merged, the stored body served
	fetch(t, g.client, g.url("/short"))
	time.Sleep(1100 * time.Millisecond)
	before := o.hits.Load()
	a = fetch(t, g.client, g.url("/short"))
	mustStatus(t, a, 200, "fwd=stale; fwd-status=304")
	if a.body != "/short v=1" || a.header.Get("X-Revalidated") != "yes" || o.hits.Load() != before+1 ||
		o.lastHeader().Get("If-None-Match") != `"e1"` {
		t.Fatalf("revalidated: body %q, fields %v, origin saw %v", a.body, a.header, o.lastHeader())
	}
	// the client's own validator is answered by the cache
	a = fetchWith(t, g.client, "GET", g.url("/short"), http.Header{"If-None-Match": {`"e1"`}})
	if a.code != http.StatusNotModified || a.body != "" {
		t.Fatalf("conditional hit: %d %q", a.code, a.body)
	}

	// an unsafe method that succeeds invalidates the URL
	version.Store(2)
	code, _ := g.call("POST", g.url("/fresh"), "x", nil)
	if code != 200 {
		t.Fatalf("POST: %d", code)
	}
	a = fetch(t, g.client, g.url("/fresh"))
	mustStatus(t, a, 200, "fwd=uri-miss; stored")
	if a.body != "/fresh v=2" {
		t.Fatalf("after POST: %q", a.body)
	}

	// purges on the admin endpoint
	version.Store(3)
	if code, body := g.adminCall("DELETE", "/response_cache/?tag=p1", ""); code != 200 || !strings.Contains(body, `"purged":1`) {
		t.Fatalf("purge by tag: %d %s", code, body)
	}
	if a = fetch(t, g.client, g.url("/fresh")); a.body != "/fresh v=3" {
		t.Fatalf("after purge by tag: %q", a.body)
	}
	version.Store(4)
	if code, body := g.adminCall("DELETE", "/response_cache/?url="+g.url("/fresh"), ""); code != 200 || !strings.Contains(body, `"purged":1`) {
		t.Fatalf("purge by url: %d %s", code, body)
	}
	if a = fetch(t, g.client, g.url("/fresh")); a.body != "/fresh v=4" {
		t.Fatalf("after purge by url: %q", a.body)
	}
	version.Store(5)
	if code, body := g.adminCall("DELETE", "/response_cache/", ""); code != 200 || !strings.Contains(body, `"purged":`) {
		t.Fatalf("purge all: %d %s", code, body)
	}
	if a = fetch(t, g.client, g.url("/vary")); a.body != "lang= v=5" {
		t.Fatalf("after purge all: %q", a.body)
	}
	for _, bad := range []string{"/response_cache/?url=localhost/x", "/response_cache/?tag=", "/response_cache/?foo=1", "/response_cache/?url=http://a/&tag=b"} {
		if code, body := g.adminCall("DELETE", bad, ""); code != 400 {
			t.Errorf("DELETE %s: %d %s, want 400", bad, code, body)
		}
	}
	if code, _ := g.adminCall("GET", "/response_cache/", ""); code != 405 {
		t.Errorf("GET on the purge endpoint: %d, want 405", code)
	}
}

// TestE2ECacheNeverLeaksBetweenUsers puts jwt_auth in front of the cache
// and an upstream that answers each user with their own data, marked
// cacheable (max-age, not public), as many upstreams carelessly do.
func TestE2ECacheNeverLeaksBetweenUsers(t *testing.T) {
	secret := "cache-secret-cache-secret-cache-secret"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		if r.URL.Path == "/public" {
			w.Header().Set("Cache-Control", "public, max-age=60")
		}
		fmt.Fprintf(w, "data of %s", r.Header.Get("X-User-Id"))
	})
	site := func(key string) string {
		return fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		issuer my_issuer
		claim_header sub X-User-Id
		from header Authorization
		from cookie session
	}
	response_cache {
		%s
	}
	reverse_proxy %s
}`, key, o.addr())
	}
	g := startGateway(t, "", site(""))
	alice := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "alice"})}}
	bob := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "bob"})}}
	bobCookie := http.Header{"Cookie": {"session=" + liveToken(t, secret, jwt.MapClaims{"sub": "bob"})}}
	aliceCookie := http.Header{"Cookie": {"session=" + liveToken(t, secret, jwt.MapClaims{"sub": "alice"})}}

	// without a per-user key: RFC 9111 §3.5, nothing user-specific is shared
	for _, who := range []struct {
		h    http.Header
		want string
	}{{alice, "data of alice"}, {bob, "data of bob"}, {bobCookie, "data of bob"}, {aliceCookie, "data of alice"}, {alice, "data of alice"}} {
		a := fetchWith(t, g.client, "GET", g.url("/me"), who.h)
		if a.code != 200 || a.body != who.want || strings.Contains(a.header.Get("Cache-Status"), "hit") {
			t.Fatalf("shared cache, credentials: got %q (%q), want %q from upstream", a.body, a.header.Get("Cache-Status"), who.want)
		}
	}
	// public: one stored copy for everyone, as the upstream said
	fetchWith(t, g.client, "GET", g.url("/public"), alice)
	if a := fetchWith(t, g.client, "GET", g.url("/public"), bob); a.body != "data of alice" || !strings.HasPrefix(a.header.Get("Cache-Status"), responsecache.CacheName+"; hit") {
		t.Fatalf("public response not shared: %q %q", a.body, a.header.Get("Cache-Status"))
	}

	// with key {http.auth.user.id}: each user has entries of their own
	g.load("", site("key {http.auth.user.id}"))
	// right after a reload the old server can still accept a connection
	// and answer on it (see call), and the old config stores no
	// credentialed response: wait for a hit on the new one (CI once
	// counted 4 upstream requests below instead of 2), then count with
	// users nobody asked for yet
	for try := 0; ; try++ {
		a := fetchWith(t, g.client, "GET", g.url("/me"), alice)
		b := fetchWith(t, g.client, "GET", g.url("/me"), alice)
		if a.body != "data of alice" || b.body != "data of alice" {
			t.Fatalf("per-user key, after the reload: alice got %q, %q", a.body, b.body)
		}
		if strings.HasPrefix(b.header.Get("Cache-Status"), responsecache.CacheName+"; hit") {
			break
		}
		if try == 50 {
			t.Fatal("per-user key: no hit 50 times after the reload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	carol := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "carol"})}}
	dave := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "dave"})}}
	daveCookie := http.Header{"Cookie": {"session=" + liveToken(t, secret, jwt.MapClaims{"sub": "dave"})}}
	before := o.hits.Load()
	for i := 0; i < 3; i++ {
		for _, who := range []struct {
			h    http.Header
			want string
		}{{carol, "data of carol"}, {dave, "data of dave"}, {daveCookie, "data of dave"}} {
			a := fetchWith(t, g.client, "GET", g.url("/me"), who.h)
			if a.code != 200 || a.body != who.want {
				t.Fatalf("per-user key: got %q (%q), want %q", a.body, a.header.Get("Cache-Status"), who.want)
			}
		}
	}
	if got := o.hits.Load() - before; got != 2 {
		t.Fatalf("per-user key: upstream asked %d times for 2 users, want 2", got)
	}
	// a request jwt_auth refuses never reaches the cache
	if a := fetch(t, g.client, g.url("/me")); a.code != 401 || strings.Contains(a.body, "data of") {
		t.Fatalf("no token: %d %q", a.code, a.body)
	}
}

// TestE2ECacheKeyWithoutAuthenticationSeparatesNobody checks that a key
// naming the user, on a route where nothing authenticates, does not let
// requests with Authorization share stored responses (the key is empty for
// everyone).
func TestE2ECacheKeyWithoutAuthenticationSeparatesNobody(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, r.Header.Get("Authorization"))
	})
	g := startGateway(t, "", cacheSite(o, "key {http.auth.user.id}"))
	fetchWith(t, g.client, "GET", g.url("/x"), http.Header{"Authorization": {"Basic YTpi"}})
	a := fetchWith(t, g.client, "GET", g.url("/x"), http.Header{"Authorization": {"Basic Yzpk"}})
	if a.body != "Basic Yzpk" {
		t.Fatalf("another caller got %q", a.body)
	}
}

func TestE2ECacheCoalescesMisses(t *testing.T) {
	release := make(chan struct{})
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/private" {
			w.Header().Set("Cache-Control", "private")
		} else {
			w.Header().Set("Cache-Control", "max-age=60")
		}
		<-release
		fmt.Fprint(w, "slow answer")
	})
	g := startGateway(t, "", cacheSite(o, ""))
	const n = 20
	var wg sync.WaitGroup
	results := make(chan answer, n)
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); results <- fetch(t, g.client, g.url("/slow")) }()
	}
	time.Sleep(300 * time.Millisecond) // all of them waiting on the one upstream request
	close(release)
	wg.Wait()
	close(results)
	collapsed := 0
	for a := range results {
		if a.code != 200 || a.body != "slow answer" {
			t.Fatalf("coalesced request: %d %q", a.code, a.body)
		}
		if strings.Contains(a.header.Get("Cache-Status"), "collapsed") {
			collapsed++
		}
	}
	if got := o.hits.Load(); got != 1 || collapsed != n-1 {
		t.Fatalf("%d concurrent misses made %d upstream requests (%d collapsed), want 1 (%d)", n, got, collapsed, n-1)
	}
	// what cannot be stored is not waited for: each goes upstream
	o.hits.Store(0)
	results = make(chan answer, 5)
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); results <- fetch(t, g.client, g.url("/private")) }()
	}
	wg.Wait()
	close(results)
	for a := range results {
		if a.code != 200 || strings.Contains(a.header.Get("Cache-Status"), "hit") {
			t.Fatalf("private: %d %q", a.code, a.header.Get("Cache-Status"))
		}
	}
	if got := o.hits.Load(); got != 5 {
		t.Fatalf("5 requests for a private response made %d upstream requests", got)
	}
}

// TestE2ECacheStaleWhileTheCircuitIsOpen: a circuit_breaker behind the
// cache opens while the upstream fails; stored responses within
// stale_if_error keep being served, others get the breaker's 503.
func TestE2ECacheStaleWhileTheCircuitIsOpen(t *testing.T) {
	var failing atomic.Bool
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Cache-Control", "max-age=1")
		if r.URL.Path == "/strict" {
			w.Header().Set("Cache-Control", "max-age=1, must-revalidate")
		}
		fmt.Fprintf(w, "good %s", r.URL.Path)
	})
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	response_cache {
		stale_if_error 1m
	}
	circuit_breaker {
		min_requests 3
		min_clients 1
		client_failures 100
		failure_ratio 0.5
		open_for 1m
	}
	reverse_proxy %s
}`, o.addr()))
	fetch(t, g.client, g.url("/page"))
	fetch(t, g.client, g.url("/strict"))
	time.Sleep(1100 * time.Millisecond)
	failing.Store(true)
	// failures: stale answers while the upstream says 500
	a := fetch(t, g.client, g.url("/page"))
	mustStatus(t, a, 200, "fwd=stale; fwd-status=500; detail=stale-if-error")
	if a.body != "good /page" {
		t.Fatalf("stale answer: %q", a.body)
	}
	if a = fetch(t, g.client, g.url("/strict")); a.code != 500 {
		t.Fatalf("must-revalidate must not be served stale: %d %q", a.code, a.body)
	}
	for range 5 {
		fetch(t, g.client, g.url("/other"))
	}
	// the circuit is open now: the breaker answers 503 without asking the upstream
	before := o.hits.Load()
	if a = fetch(t, g.client, g.url("/other")); a.code != 503 {
		t.Fatalf("the circuit did not open: %d", a.code)
	}
	a = fetch(t, g.client, g.url("/page"))
	mustStatus(t, a, 200, "fwd=stale; fwd-status=503; detail=stale-if-error") // the breaker's own 503
	if a.body != "good /page" || o.hits.Load() != before {
		t.Fatalf("stale while open: %q, upstream asked %d times", a.body, o.hits.Load()-before)
	}
	if a = fetch(t, g.client, g.url("/strict")); a.code != 503 {
		t.Fatalf("must-revalidate while open: %d %q", a.code, a.body)
	}
}

func TestE2ECacheStaleWhileRevalidate(t *testing.T) {
	var version atomic.Int64
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		// two seconds: the revalidated response must still be fresh when
		// the loop below reads it, whatever Date's one-second resolution
		// takes of it
		w.Header().Set("Cache-Control", "max-age=2, stale-while-revalidate=60")
		fmt.Fprintf(w, "v=%d", version.Add(1))
	})
	g := startGateway(t, "", cacheSite(o, ""))
	fetch(t, g.client, g.url("/x"))
	time.Sleep(2100 * time.Millisecond)
	a := fetch(t, g.client, g.url("/x"))
	if a.body != "v=1" || !strings.Contains(a.header.Get("Cache-Status"), "stale-while-revalidate") {
		t.Fatalf("stale answer: %q %q", a.body, a.header.Get("Cache-Status"))
	}
	// the revalidation after the answer stored a fresh one
	var b answer
	for range 50 {
		if b = fetch(t, g.client, g.url("/x")); b.body == "v=2" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustStatus(t, b, 200, "hit")
	if b.body != "v=2" || o.hits.Load() != 2 {
		t.Fatalf("after background revalidation: %q, upstream asked %d times", b.body, o.hits.Load())
	}
}

func TestE2ECacheLargeResponsesStreamThrough(t *testing.T) {
	big := strings.Repeat("x", 300<<10)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		if r.URL.Path == "/chunked" {
			for i := 0; i < 3; i++ {
				fmt.Fprint(w, big[:100<<10])
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		fmt.Fprint(w, big)
	})
	g := startGateway(t, "", cacheSite(o, "max_item_size 256KiB"))
	for _, path := range []string{"/sized", "/chunked"} {
		for i := 0; i < 2; i++ {
			a := fetch(t, g.client, g.url(path))
			if a.code != 200 || len(a.body) != len(big) || strings.Contains(a.header.Get("Cache-Status"), "hit") {
				t.Fatalf("%s: %d, %d bytes, %q", path, a.code, len(a.body), a.header.Get("Cache-Status"))
			}
		}
	}
	if o.hits.Load() != 4 {
		t.Fatalf("upstream asked %d times, want 4 (nothing stored)", o.hits.Load())
	}
}

func TestE2ECacheSurvivesReload(t *testing.T) {
	var version atomic.Int64
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "v=%d", version.Add(1))
	})
	g := startGateway(t, "", cacheSite(o, "max_size 16MiB"))
	fetch(t, g.client, g.url("/x"))
	g.load("", cacheSite(o, "max_size 16MiB\n\t\tstale_if_error 1m"))
	if a := fetch(t, g.client, g.url("/x")); a.body != "v=1" {
		t.Fatalf("after a reload keeping max_size: %q %q", a.body, a.header.Get("Cache-Status"))
	}
	g.load("", cacheSite(o, "max_size 32MiB"))
	if a := fetch(t, g.client, g.url("/x")); a.body != "v=2" {
		t.Fatalf("after a reload changing max_size (a new store): %q", a.body)
	}
}

func TestE2ECacheRange(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("ETag", `"r1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader("0123456789"))
	})
	g := startGateway(t, "", cacheSite(o, ""))
	a := fetchWith(t, g.client, "GET", g.url("/r"), http.Header{"Range": {"bytes=2-4"}})
	if a.code != http.StatusPartialContent || a.body != "234" {
		t.Fatalf("range miss: %d %q", a.code, a.body)
	}
	fetch(t, g.client, g.url("/r"))
	before := o.hits.Load()
	a = fetchWith(t, g.client, "GET", g.url("/r"), http.Header{"Range": {"bytes=5-"}})
	if a.code != http.StatusPartialContent || a.body != "56789" || a.header.Get("Content-Range") != "bytes 5-9/10" || o.hits.Load() != before {
		t.Fatalf("range from a stored response: %d %q %q", a.code, a.body, a.header.Get("Content-Range"))
	}
	if a = fetch(t, g.client, g.url("/r")); a.body != "0123456789" {
		t.Fatalf("the stored response must stay whole: %q", a.body)
	}
}

// TestE2ECacheStoresOnlyTheUpstreamsFields: fields the handlers before the
// cache set (throttle's RateLimit, a header directive) are not stored and
// replayed to the next caller; each request gets its own.
func TestE2ECacheStoresOnlyTheUpstreamsFields(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		// max-age=2, not 1: Date has a second's resolution, so a response
		// stored at x.999 s was already a second old at x+1 s and the
		// second request revalidated instead of hitting (a CI run)
		w.Header().Set("Cache-Control", "max-age=2")
		w.Header().Set("ETag", `"x"`)
		w.Header().Set("X-From", "upstream")
		if r.Header.Get("If-None-Match") == `"x"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "body")
	})
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	route {
		throttle {
			rate 1000/1m
		}
		header X-Request {http.request.uuid}
		response_cache
		reverse_proxy %s
	}
}`, o.addr()))
	first := fetch(t, g.client, g.url("/x"))
	second := fetch(t, g.client, g.url("/x"))
	mustStatus(t, second, 200, "hit")
	for _, a := range []answer{first, second} {
		if len(a.header.Values("X-Request")) != 1 || len(a.header.Values("RateLimit")) != 1 || len(a.header.Values("X-From")) != 1 {
			t.Fatalf("fields: %v", a.header)
		}
	}
	if first.header.Get("X-Request") == second.header.Get("X-Request") || first.header.Get("RateLimit") == second.header.Get("RateLimit") {
		t.Fatalf("the hit replayed the first request's fields: %v / %v", first.header, second.header)
	}
	// after a revalidation (304), the answer has each field once
	time.Sleep(3100 * time.Millisecond)
	third := fetch(t, g.client, g.url("/x"))
	mustStatus(t, third, 200, "fwd=stale; fwd-status=304")
	if third.body != "body" || len(third.header.Values("Cache-Control")) != 1 || len(third.header.Values("X-From")) != 1 ||
		len(third.header.Values("RateLimit")) != 1 || len(third.header.Values("Etag")) != 1 {
		t.Fatalf("after revalidation: %q %v", third.body, third.header)
	}
}

// TestE2ECacheBackendRedis: with backend redis, a gateway that starts
// afresh (a new process, or another gateway) answers from what an earlier
// one stored, and an unsafe method on it drops the shared entry too.
func TestE2ECacheBackendRedis(t *testing.T) {
	rs := testenv.StartRedis(t)
	var version atomic.Int64
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "v=%d", version.Add(1))
	})
	site := cacheSite(o, "backend redis "+rs.URL())
	g := startGateway(t, "", site)
	fetch(t, g.client, g.url("/shared"))
	testenv.Eventually(t, 5*time.Second, "the entry reached Redis", func() bool {
		return len(rs.Keys(responsecache.RedisPrefix+"e:*")) == 1
	})
	g.restart("", site) // the store of the first life is gone with it
	a := fetch(t, g.client, g.url("/shared"))
	mustStatus(t, a, 200, "hit")
	if a.body != "v=1" || o.hits.Load() != 1 {
		t.Fatalf("after a restart: %q, upstream asked %d times", a.body, o.hits.Load())
	}
	if code, _ := g.call("DELETE", g.url("/shared"), "", nil); code != 200 {
		t.Fatalf("DELETE: %d", code)
	}
	testenv.Eventually(t, 5*time.Second, "the invalidation reached Redis", func() bool {
		return len(rs.Keys(responsecache.RedisPrefix+"e:*")) == 0
	})
	g.restart("", site)
	if a = fetch(t, g.client, g.url("/shared")); a.body != "v=3" {
		t.Fatalf("after the invalidation and a restart: %q", a.body)
	}
}

// TestE2ECacheInFrontOfFileServer: file_server writes bodies through
// io.Copy, which takes a writer's ReadFrom when it has one; the cache must
// still see (and store) every byte.
func TestE2ECacheInFrontOfFileServer(t *testing.T) {
	dir := t.TempDir()
	content := strings.Repeat("static content ", 5000)
	if err := os.WriteFile(filepath.Join(dir, "page.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "page.txt"), old, old); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	response_cache
	root * %s
	file_server
}`, dir))
	first := fetch(t, g.client, g.url("/page.txt"))
	mustStatus(t, first, 200, "fwd=uri-miss; stored")
	second := fetch(t, g.client, g.url("/page.txt"))
	mustStatus(t, second, 200, "hit") // heuristic freshness from Last-Modified
	if first.body != content || second.body != content {
		t.Fatalf("bodies: %d and %d bytes, want %d", len(first.body), len(second.body), len(content))
	}
}
