package gateway

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddygateway/caddy-gateway/modules/responsecache"
	"github.com/golang-jwt/jwt/v5"
)

// The attacks of issue 28 on response_cache, each through a real Caddy.

// perCallerOrigin answers with who called, cacheable for a minute but
// without `private`, as many APIs forget.
func perCallerOrigin(t *testing.T, who func(r *http.Request) string) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "data of %s", who(r))
	})
}

// A forward_auth that checks X-Api-Key: bob never gets alice's /me.
func TestE2ECacheForwardAuthAPIKeyNeverShared(t *testing.T) {
	auth := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Api-Key") {
		case "key-alice":
			w.Header().Set("X-User", "alice")
		case "key-bob":
			w.Header().Set("X-User", "bob")
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	o := perCallerOrigin(t, func(r *http.Request) string { return r.Header.Get("X-User") })
	site := func(opts string) string {
		return fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	forward_auth %s {
		uri /check
		copy_headers X-User
	}
	response_cache {
		%s
	}
	reverse_proxy %s
}`, auth.addr(), opts, o.addr())
	}
	g := startGateway(t, "", site(""))
	for _, c := range []struct{ key, want string }{{"key-alice", "alice"}, {"key-bob", "bob"}, {"key-alice", "alice"}} {
		a := fetchWith(t, g.client, "GET", g.url("/me"), http.Header{"X-Api-Key": {c.key}})
		if a.code != 200 || a.body != "data of "+c.want {
			t.Fatalf("X-Api-Key %s got %d %q (%q), want data of %s", c.key, a.code, a.body, a.header.Get("Cache-Status"), c.want)
		}
	}

	// a field of one's own, named with credentials
	auth.mu.Lock()
	auth.handler = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-User", r.Header.Get("X-Partner-Secret"))
	}
	auth.mu.Unlock()
	g.load("", site("credentials header X-Partner-Secret"))
	probe := func(path string) string {
		fetchWith(t, g.client, "GET", g.url(path), http.Header{"X-Partner-Secret": {"p0"}})
		return fetchWith(t, g.client, "GET", g.url(path), http.Header{"X-Partner-Secret": {"p0"}}).header.Get("Cache-Status")
	}
	n := 0
	next := func() string { n++; return fmt.Sprintf("/probe%d", n) }
	// a connection the old config's server accepted during the reload
	// may still answer the first requests
	testenv.Eventually(t, 5*time.Second, "the new config answers", func() bool { return !strings.Contains(probe(next()), "hit") })
	for _, who := range []string{"p1", "p2"} {
		a := fetchWith(t, g.client, "GET", g.url("/partner"), http.Header{"X-Partner-Secret": {who}})
		if a.body != "data of "+who {
			t.Fatalf("credentials header: %s got %q (%q)", who, a.body, a.header.Get("Cache-Status"))
		}
	}
	// and a key part naming it separates callers: each has entries of their own
	g.load("", site("credentials header X-Partner-Secret\n\t\tkey {http.request.header.X-Partner-Secret}"))
	testenv.Eventually(t, 5*time.Second, "the new config answers", func() bool { return strings.Contains(probe(next()), "hit") })
	hits := o.hits.Load()
	for range 2 {
		for _, who := range []string{"p1", "p2"} {
			if a := fetchWith(t, g.client, "GET", g.url("/own"), http.Header{"X-Partner-Secret": {who}}); a.body != "data of "+who {
				t.Fatalf("separating key: %s got %q", who, a.body)
			}
		}
	}
	if got := o.hits.Load() - hits; got != 2 {
		t.Fatalf("separating credential key: upstream asked %d times for two callers twice, want 2", got)
	}
}

// jwt_auth reading a header of its own, with tokens that have no sub:
// accepted tokens make the request credentialed whatever their claims, and
// a key naming the user, empty for them, does not make their answers
// shared.
func TestE2ECacheJWTWithoutSubNeverShared(t *testing.T) {
	secret := "trust-secret-trust-secret-trust-secret"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	o := perCallerOrigin(t, func(r *http.Request) string { return r.Header.Get("X-Client") })
	site := func(key string) string {
		return fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		from header X-Api-Token
		claim_header client_id X-Client
	}
	response_cache {
		%s
	}
	reverse_proxy %s
}`, key, o.addr())
	}
	alice := http.Header{"X-Api-Token": {liveToken(t, secret, jwt.MapClaims{"sub": nil, "client_id": "alice"})}}
	bob := http.Header{"X-Api-Token": {liveToken(t, secret, jwt.MapClaims{"sub": nil, "client_id": "bob"})}}
	g := startGateway(t, "", site(""))
	for _, key := range []string{"", "key {http.auth.user.id}"} {
		g.load("", site(key))
		if key != "" {
			// a connection the old config's server accepted during the
			// reload may still answer the first request
			testenv.Eventually(t, 5*time.Second, "the new config answers", func() bool {
				return strings.Contains(fetchWith(t, g.client, "GET", g.url("/probe"), alice).header.Get("Cache-Status"), "unkeyed")
			})
		}
		for _, c := range []struct {
			h    http.Header
			want string
		}{{alice, "alice"}, {bob, "bob"}, {alice, "alice"}} {
			a := fetchWith(t, g.client, "GET", g.url("/me"), c.h)
			if a.code != 200 || a.body != "data of "+c.want {
				t.Fatalf("%q: got %d %q (%q), want data of %s", key, a.code, a.body, a.header.Get("Cache-Status"), c.want)
			}
			if key != "" && !strings.Contains(a.header.Get("Cache-Status"), "detail=unkeyed-credentials") {
				t.Fatalf("%q: Cache-Status %q does not say the request passed", key, a.header.Get("Cache-Status"))
			}
		}
	}
}

// Key parts carry their template: {http.auth.user.id} in one handler and
// {http.request.header.X-User} in another never read each other's entries.
func TestE2ECacheKeyPartsCarryTheirTemplate(t *testing.T) {
	secret := "template-secret-template-secret-templ"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	o := perCallerOrigin(t, func(r *http.Request) string {
		if u := r.Header.Get("X-User-Id"); u != "" {
			return "verified " + u
		}
		return "claimed " + r.Header.Get("X-User")
	})
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	@token header Authorization *
	handle @token {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
			claim_header sub X-User-Id
		}
		response_cache {
			key {http.auth.user.id}
		}
		reverse_proxy %[1]s
	}
	handle {
		response_cache {
			key {http.request.header.X-User}
		}
		reverse_proxy %[1]s
	}
}`, o.addr()))
	alice := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "alice"})}}
	if a := fetchWith(t, g.client, "GET", g.url("/me"), alice); a.body != "data of verified alice" {
		t.Fatalf("alice got %q", a.body)
	}
	if a := fetchWith(t, g.client, "GET", g.url("/me"), alice); !strings.HasPrefix(a.header.Get("Cache-Status"), responsecache.CacheName+"; hit") {
		t.Fatalf("alice's second request was not a hit: %q", a.header.Get("Cache-Status"))
	}
	a := fetchWith(t, g.client, "GET", g.url("/me"), http.Header{"X-User": {"alice"}})
	if a.body != "data of claimed alice" {
		t.Fatalf("X-User: alice read %q (%q), alice's verified entry", a.body, a.header.Get("Cache-Status"))
	}
}

// A client that reads slowly never holds the callers coalesced behind it:
// they get the response as soon as the upstream has sent it. (What decided
// it before: whether the response fit in the kernel's socket buffers, up
// to tcp_wmem's 4 MB here; past them the leader's writes, and so its
// reading of the upstream, went at its client's pace.)
func TestE2ECacheCoalescedWaitersDoNotWaitForASlowReader(t *testing.T) {
	testenv.SkipInShortMode(t, "streams 12 MB to a reader that stalls (8 s)")
	const size = 12 << 20
	body := strings.Repeat("x", size)
	var asked atomic.Int32
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Length", fmt.Sprint(size))
		io.WriteString(w, body)
	})
	g := startGateway(t, "", cacheSite(o, "max_item_size 16MiB"))

	// the slow reader: a tiny receive window, and it reads nothing
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.httpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /big HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", g.httpPort)
	for deadline := time.Now().Add(5 * time.Second); asked.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the slow reader's request never reached the upstream")
		}
		time.Sleep(5 * time.Millisecond)
	}

	start := time.Now()
	a := fetch(t, g.client, g.url("/big"))
	took := time.Since(start)
	if a.code != 200 || len(a.body) != size {
		t.Fatalf("waiter got %d, %d bytes", a.code, len(a.body))
	}
	// the coalescing bound is 10s; a waiter held by the slow reader takes it
	if took > 5*time.Second {
		t.Fatalf("the waiter took %v: held by the slow reader", took)
	}
	if got := asked.Load(); got != 1 {
		t.Fatalf("upstream asked %d times, want 1 (the waiter coalesced)", got)
	}
	if cs := a.header.Get("Cache-Status"); !strings.Contains(cs, "collapsed") {
		t.Fatalf("waiter's Cache-Status %q: not coalesced", cs)
	}

	// and the slow reader gets its answer, at its own pace (a 4 KB window
	// on loopback moves some 40 KB/s: the first 64 KB are enough to check)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, got); err != nil || resp.StatusCode != 200 || string(got) != body[:len(got)] {
		t.Fatalf("slow reader: %d, %v", resp.StatusCode, err)
	}
}

// The debug lines response_cache writes carry URLs without the credentials
// in their query, whichever parameter jwt_auth reads tokens from.
func TestE2ECacheLogsRedactCredentials(t *testing.T) {
	secret := "redact-secret-redact-secret-redact-sec"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		io.WriteString(w, "ok")
	})
	logFile := filepath.Join(t.TempDir(), "cache.log")
	g := startGateway(t, fmt.Sprintf(`log cachelog {
		output file %s
		level DEBUG
		include http.handlers.response_cache
	}`, logFile), fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		from query tk
	}
	response_cache
	reverse_proxy %s
}`, o.addr()))
	token := liveToken(t, secret, jwt.MapClaims{"sub": "alice"})
	if a := fetch(t, g.client, g.url("/doc?tk="+token)); a.code != 200 {
		t.Fatalf("got %d %q", a.code, a.body)
	}
	// an unsafe method invalidates, and logs the URL too
	g.call("POST", g.url("/doc?tk="+token), "{}", nil)
	logs, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logs), `"stored"`) || !strings.Contains(string(logs), "tk=REDACTED") {
		t.Fatalf("no stored line with the redacted URL in the log:\n%s", logs)
	}
	if strings.Contains(string(logs), token) || strings.Contains(string(logs), token[:20]) {
		t.Fatalf("the token reached the log:\n%s", logs)
	}
}

// A client that goes away in the middle of a cacheable download never
// takes the gateway down (found by the fresh attack: the pump that writes
// the leader's answer wrote after the request had ended, and panicked).
func TestE2ECacheClientAbortingADownload(t *testing.T) {
	const size = 2 << 20
	body := strings.Repeat("y", size)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, body)
	})
	g := startGateway(t, "", cacheSite(o, ""))
	for i := range 6 {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.httpPort))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /file%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", i, g.httpPort)
		buf := make([]byte, 100)
		_, _ = io.ReadFull(conn, buf)
		if i%2 == 0 {
			conn.(*net.TCPConn).SetLinger(0) // a reset
		}
		conn.Close()
	}
	time.Sleep(300 * time.Millisecond)
	// still serving, and what was fetched whole is stored
	if a := fetch(t, g.client, g.url("/after")); a.code != 200 || len(a.body) != size {
		t.Fatalf("after the aborted downloads: %d, %d bytes", a.code, len(a.body))
	}
}

// Clients that never read cannot make the cache hold more than max_size/2
// of responses it has not stored yet (found by the fresh attack: 40 such
// connections held 310 MB beside a 4 MiB cache; 20 readers of 6 MiB held
// 250 MiB here before the budget).
func TestE2ECacheSlowReadersHoldBoundedMemory(t *testing.T) {
	testenv.SkipInShortMode(t, "holds 20 stalled readers of 6 MB (2 s)")
	const size, conns = 6 << 20, 20 // more than the kernel's socket buffers take
	body := strings.Repeat("z", size)
	var asked atomic.Int32
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		if r.URL.Path == "/again" {
			io.WriteString(w, "small")
			return
		}
		asked.Add(1)
		io.WriteString(w, body)
	})
	g := startGateway(t, "", cacheSite(o, "max_size 16MiB\n\t\tmax_item_size 8MiB"))
	before := liveHeap()
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range conns {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.httpPort))
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		open = append(open, conn)
		fmt.Fprintf(conn, "GET /slow/%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", i, g.httpPort)
	}
	// Measured once every response is stuck (the in-flight bytes no longer
	// change for half a second), not while they still stream: a heap read
	// mid-transfer counts the garbage of buffers being grown and dropped
	// (a single GC keeps what dies during its own cycle), which is what
	// -race's slower run on a loaded machine showed (22-39 MiB). The
	// bytes may settle at 0: every response that reached the budget gave
	// up keeping and streams through, and on a loaded machine (CI) all 20
	// can reach it before any is stuck, so what is waited for is every
	// request at the origin and then no change for half a second.
	var inflight int64
	last, since := int64(-1), time.Now()
	var seen []int64 // for the failure message
	defer func() {
		if t.Failed() {
			t.Logf("origin asked %d times; in-flight bytes seen: %v", asked.Load(), seen)
		}
	}()
	testenv.Eventually(t, 15*time.Second, "the in-flight bytes settle", func() bool {
		inflight = responsecache.Stats().InflightBytes
		if inflight != last {
			last, since = inflight, time.Now()
			if len(seen) < 64 {
				seen = append(seen, inflight)
			}
		}
		return asked.Load() == conns && time.Since(since) >= 500*time.Millisecond
	})
	grew := liveHeap() - before
	t.Logf("heap grew %.1f MiB with %d clients not reading 6 MiB answers; the cache counts %.1f MiB in flight",
		float64(grew)/(1<<20), conns, float64(inflight)/(1<<20))
	if budget := int64(16<<20) / 2; inflight > budget {
		t.Fatalf("%d bytes in flight, over max_size/2 (%d)", inflight, budget)
	}
	// what the cache counts is what it takes: the kept buffers' capacity
	// (not their length), and no buffer pinned by a write to a client that
	// does not read; beside it, the proxies' and the pumps' own small
	// buffers (32 KiB each) and the connections'
	if limit := inflight + 4<<20; grew > limit {
		t.Fatalf("heap grew %.1f MiB, over the %.1f MiB the cache counts in flight plus 4 MiB",
			float64(grew)/(1<<20), float64(inflight)/(1<<20))
	}
	for _, c := range open {
		c.Close()
	}
	open = nil
	// the budget comes back whole once they are gone
	testenv.Eventually(t, 5*time.Second, "the in-flight bytes return to 0", func() bool {
		return responsecache.Stats().InflightBytes == 0
	})
}

// A key part that tells one credential apart says nothing of the others
// the request carries (found by the fresh attack): a cookie key beside a
// token, an app's X-Api-Key beside a user's Authorization, a claim that
// is not the user. None of these may hand one user's answer to another.
func TestE2ECacheKeyMustTellEveryCredentialApart(t *testing.T) {
	secret := "covers-secret-covers-secret-covers-sec"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		who := r.Header.Get("Authorization")
		if c, err := r.Cookie("session"); err == nil {
			who += " session " + c.Value
			http.SetCookie(w, &http.Cookie{Name: "session", Value: c.Value})
		}
		fmt.Fprintf(w, "data of %s", who)
	})
	g := startGateway(t, "", cacheSite(o, "key {http.request.cookie.lang}"))
	for _, c := range []struct{ h http.Header }{
		{http.Header{"Authorization": {"Bearer alice"}, "Cookie": {"lang=en"}}},
		{http.Header{"Cookie": {"lang=en; session=VICTIM"}}},
	} {
		fetchWith(t, g.client, "GET", g.url("/cookie"), c.h)
		a := fetchWith(t, g.client, "GET", g.url("/cookie"), http.Header{"Cookie": {"lang=en"}})
		if a.body != "data of " || len(a.header["Set-Cookie"]) > 0 {
			t.Fatalf("key of one cookie: the attacker got %q, Set-Cookie %q (%q)", a.body, a.header["Set-Cookie"], a.header.Get("Cache-Status"))
		}
	}

	g.load("", cacheSite(o, "key {http.request.header.X-Api-Key}"))
	app := "mobile-app-key"
	fetchWith(t, g.client, "GET", g.url("/app"), http.Header{"X-Api-Key": {app}, "Authorization": {"Bearer alice"}})
	if a := fetchWith(t, g.client, "GET", g.url("/app"), http.Header{"X-Api-Key": {app}, "Authorization": {"Bearer bob"}}); a.body != "data of Bearer bob" {
		t.Fatalf("key of the app's key: bob got %q (%q)", a.body, a.header.Get("Cache-Status"))
	}

	g.load("", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
	}
	response_cache {
		key {http.auth.user.role}
	}
	reverse_proxy %s
}`, o.addr()))
	alice := "Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "alice", "role": "user"})
	bob := "Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "bob", "role": "user"})
	fetchWith(t, g.client, "GET", g.url("/role"), http.Header{"Authorization": {alice}})
	if a := fetchWith(t, g.client, "GET", g.url("/role"), http.Header{"Authorization": {bob}}); a.body != "data of "+bob {
		t.Fatalf("key of a claim that is not the user: bob got %q (%q)", a.body, a.header.Get("Cache-Status"))
	}
}

// A Set-Cookie on a 304 revalidation is the revalidating caller's: it goes
// to that caller and never into the stored entry (found by the second
// fresh attack: the 304 merge stored alice's refreshed session, and every
// later caller got it as a hit).
func TestE2ECacheRevalidationSetCookieNeverStored(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=1")
		w.Header().Set("Etag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.Header().Set("Set-Cookie", "session=for-"+r.Header.Get("Authorization"))
			w.Header().Set("Cache-Control", `public, max-age=60, private="X-Private"`)
			w.Header().Set("X-Private", "for-"+r.Header.Get("Authorization"))
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "shared")
	})
	g := startGateway(t, "", cacheSite(o, ""))
	mustStatus(t, fetch(t, g.client, g.url("/who")), 200, "fwd=uri-miss; stored")
	time.Sleep(1100 * time.Millisecond)
	a := fetchWith(t, g.client, "GET", g.url("/who"), http.Header{"Authorization": {"alice"}})
	if a.body != "shared" || a.header.Get("Set-Cookie") != "session=for-alice" {
		t.Fatalf("the revalidating caller: %q, Set-Cookie %q (%q)", a.body, a.header.Get("Set-Cookie"), a.header.Get("Cache-Status"))
	}
	for _, h := range []http.Header{{"Authorization": {"bob"}}, nil} {
		b := fetchWith(t, g.client, "GET", g.url("/who"), h)
		if !strings.Contains(b.header.Get("Cache-Status"), "hit") || len(b.header["Set-Cookie"]) > 0 || b.header.Get("X-Private") != "" {
			t.Fatalf("a later caller (%v) got Set-Cookie %q, X-Private %q (%q)", h, b.header["Set-Cookie"], b.header.Get("X-Private"), b.header.Get("Cache-Status"))
		}
	}
}

// A request's Host header does not reach another site's entries in a
// store the sites share (found by the third fresh attack: sent to one
// port with another site's Host, it read, and poisoned, that site's
// entries, past its transform, and a catch-all site read one bound to an
// internal address).
func TestE2ECacheHostCannotReachAnotherServersEntries(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "from the site on %s", r.Header.Get("X-Site"))
	})
	other := testenv.FreePort(t)
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	response_cache
	reverse_proxy %[1]s {
		header_up X-Site public
	}
}
http://127.0.0.1:%[2]d {
	response_cache
	reverse_proxy %[1]s {
		header_up X-Site internal
	}
}`, o.addr(), other))
	internal := fmt.Sprintf("http://127.0.0.1:%d/doc", other)
	if a := fetch(t, g.client, internal); a.body != "from the site on internal" {
		t.Fatalf("internal site: %q", a.body)
	}
	// the public site, asked with the internal site's Host (the first
	// site's address matches any Host on its port)
	req, _ := http.NewRequest("GET", g.url("/doc"), nil)
	req.Host = fmt.Sprintf("127.0.0.1:%d", other)
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) == "from the site on internal" {
		t.Fatalf("the public site answered from the internal site's entry (%q)", resp.Header.Get("Cache-Status"))
	}
}

// A 304 to a credentialed revalidation changes only how the shared entry
// may be reused, never adds the caller's fields; a 304 that says private
// or no-store ends the entry (found by the third fresh attack).
func TestE2ECacheRevalidationKeepsTheEntryShared(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Etag", `"v1"`)
		w.Header().Set("Cache-Control", "public, max-age=1")
		if r.Header.Get("If-None-Match") == `"v1"` {
			if r.URL.Query().Get("private") != "" {
				w.Header().Set("Cache-Control", "private, max-age=60")
			} else {
				w.Header().Set("Cache-Control", "public, max-age=60")
			}
			w.Header().Set("Authentication-Info", "for-"+r.Header.Get("Authorization"))
			w.Header().Set("X-Session", "for-"+r.Header.Get("Authorization"))
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "shared")
	})
	g := startGateway(t, "", cacheSite(o, ""))
	for _, path := range []string{"/fields", "/fields?private=1"} {
		fetch(t, g.client, g.url(path))
		time.Sleep(1100 * time.Millisecond)
		fetchWith(t, g.client, "GET", g.url(path), http.Header{"Authorization": {"alice"}})
		b := fetch(t, g.client, g.url(path))
		if b.header.Get("Authentication-Info") != "" || b.header.Get("X-Session") != "" {
			t.Fatalf("%s: a later caller got alice's fields %v (%q)", path, b.header, b.header.Get("Cache-Status"))
		}
		if strings.Contains(path, "private") && strings.Contains(b.header.Get("Cache-Status"), "hit") {
			t.Fatalf("%s: the entry a private 304 revalidated is still shared (%q)", path, b.header.Get("Cache-Status"))
		}
	}
}

// api_key's consumers are told apart by key {http.auth.user.id}: each has
// entries of its own (found by the third fresh attack: every request with
// a valid key passed the cache as unkeyed, since the key's own field was
// not known to be what the user id stands for).
func TestE2ECacheKeyedByAPIKeyConsumer(t *testing.T) {
	o := perCallerOrigin(t, func(r *http.Request) string { return r.Header.Get("X-Consumer") })
	g := startGateway(t, "consumers {\n\t\tplan free {\n\t\t\trate 1000/1s\n\t\t}\n\t\tdefault_plan free\n\t}", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	api_key
	response_cache {
		key {http.auth.user.id}
	}
	reverse_proxy %s {
		header_up X-Consumer {http.auth.user.id}
	}
}`, o.addr()))
	keys := map[string]string{}
	for _, id := range []string{"acme", "globex"} {
		if code, body := g.adminCall("POST", "/consumers/", fmt.Sprintf(`{"id":%q}`, id)); code != 201 {
			t.Fatalf("creating %s: %d %s", id, code, body)
		}
		code, body := g.adminCall("POST", "/consumers/"+id+"/keys", `{}`)
		var k struct{ Key string }
		if code != 201 || json.Unmarshal([]byte(body), &k) != nil || k.Key == "" {
			t.Fatalf("a key for %s: %d %s", id, code, body)
		}
		keys[id] = k.Key
	}
	hits := o.hits.Load()
	for range 2 {
		for id, key := range keys {
			a := fetchWith(t, g.client, "GET", g.url("/me"), http.Header{"X-Api-Key": {key}})
			if a.body != "data of "+id || strings.Contains(a.header.Get("Cache-Status"), "unkeyed") {
				t.Fatalf("%s: %q (%q)", id, a.body, a.header.Get("Cache-Status"))
			}
		}
	}
	if got := o.hits.Load() - hits; got != 2 {
		t.Fatalf("upstream asked %d times for two consumers twice, want 2 (each consumer's answer reused)", got)
	}
}

// A GET that carries what the key leaves out, a body (a "fat GET", by
// Content-Length or chunked) or a method-override header, goes to the
// origin uncached: an origin that reads it cannot plant its answer for
// every caller of the URL. A fresh-eyes attack stored a fat GET's answer
// and served it to the next plain GET.
func TestE2ECacheFatGETAndMethodOverrideNeverStored(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "method %s body %q", cmp.Or(r.Header.Get("X-HTTP-Method-Override"), r.Method), body)
	})
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	response_cache
	reverse_proxy %s
}`, o.addr()))
	send := func(path string, body io.Reader, h http.Header) answer {
		t.Helper()
		req, err := http.NewRequest("GET", g.url(path), body)
		if err != nil {
			t.Fatal(err)
		}
		maps.Copy(req.Header, h)
		resp, err := g.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{code: resp.StatusCode, header: resp.Header, body: string(b)}
	}
	for _, c := range []struct {
		name, path, detail string
		body               func() io.Reader
		h                  http.Header
	}{
		{"a body by Content-Length", "/fat", "request-body", func() io.Reader { return strings.NewReader("evil") }, nil},
		// a reader of unknown length: sent chunked
		{"a chunked body", "/chunked", "request-body", func() io.Reader { return io.MultiReader(strings.NewReader("evil")) }, nil},
		{"X-HTTP-Method-Override", "/override", "method-override", func() io.Reader { return nil }, http.Header{"X-Http-Method-Override": {"DELETE"}}},
		{"X-HTTP-Method", "/override2", "method-override", func() io.Reader { return nil }, http.Header{"X-Http-Method": {"DELETE"}}},
		{"X-Method-Override", "/override3", "method-override", func() io.Reader { return nil }, http.Header{"X-Method-Override": {"DELETE"}}},
	} {
		for range 2 { // the second would be a hit if the first were stored
			a := send(c.path, c.body(), c.h)
			if a.code != 200 || !strings.Contains(a.header.Get("Cache-Status"), "fwd=bypass; detail="+c.detail) {
				t.Fatalf("%s: %d %q, Cache-Status %q: want it passed to the origin uncached (detail=%s)", c.name, a.code, a.body, a.header.Get("Cache-Status"), c.detail)
			}
		}
		before := o.hits.Load()
		if a := send(c.path, nil, nil); a.body != `method GET body ""` || o.hits.Load() != before+1 {
			t.Fatalf("%s: a plain GET after it got %q (origin asked %d times): it was served what the other stored", c.name, a.body, o.hits.Load()-before)
		}
	}
}

// {http.auth.user.id} in the key is a caller only within the realm that
// vouched for it: the same sub from two issuers, or a consumer and a
// token's sub of the same name, never share an entry; the same sub from
// the same issuer does. A fresh-eyes attack got idp-a's alice's answer
// with idp-b's alice, and a consumer's with a token whose sub was its id.
func TestE2ECacheUserIDIsKeyedWithItsRealm(t *testing.T) {
	secret := "realm-secret-realm-secret-realm-secret"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		// a placeholder a handler did not set is passed on as written
		known := func(h string) string {
			if v := r.Header.Get(h); !strings.HasPrefix(v, "{") {
				return v
			}
			return ""
		}
		fmt.Fprintf(w, "data of %s via %s%s", r.Header.Get("X-User"), known("X-Iss"), known("X-Consumer"))
	})
	g := startGateway(t, "consumers {\n\t\tplan free {\n\t\t\trate 1000/1s\n\t\t}\n\t\tdefault_plan free\n\t}", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	@apikey header X-Api-Key *
	@token header Authorization *
	api_key @apikey
	jwt_auth @token {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		issuer idp-a idp-b
	}
	response_cache {
		key {http.auth.user.id}
	}
	reverse_proxy %s {
		header_up X-User {http.auth.user.id}
		header_up X-Iss {http.auth.user.iss}
		header_up X-Consumer {http.auth.user.consumer}
	}
}`, o.addr()))
	if code, body := g.adminCall("POST", "/consumers/", `{"id":"alice"}`); code != 201 {
		t.Fatalf("creating alice: %d %s", code, body)
	}
	code, body := g.adminCall("POST", "/consumers/alice/keys", `{}`)
	var k struct{ Key string }
	if code != 201 || json.Unmarshal([]byte(body), &k) != nil || k.Key == "" {
		t.Fatalf("a key for alice: %d %s", code, body)
	}
	token := func(iss string) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "iss": iss, "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + s
	}
	callers := []struct {
		name string
		h    http.Header
		want string
	}{
		{"the consumer alice", http.Header{"X-Api-Key": {k.Key}}, "data of alice via alice"},
		{"alice of idp-a", http.Header{"Authorization": {token("idp-a")}}, "data of alice via idp-a"},
		{"alice of idp-b", http.Header{"Authorization": {token("idp-b")}}, "data of alice via idp-b"},
	}
	hits := o.hits.Load()
	for round := range 2 {
		for _, c := range callers {
			a := fetchWith(t, g.client, "GET", g.url("/me"), c.h)
			if a.code != 200 || a.body != c.want {
				t.Fatalf("round %d, %s: %d %q (%q), want %q", round, c.name, a.code, a.body, a.header.Get("Cache-Status"), c.want)
			}
		}
	}
	if got := o.hits.Load() - hits; got != 3 {
		t.Fatalf("upstream asked %d times for three callers twice, want 3 (each one's answer reused)", got)
	}
}
