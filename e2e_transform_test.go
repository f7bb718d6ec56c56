package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/golang-jwt/jwt/v5"
)

// TestE2ETransformBehindJWT runs jwt_auth + transform + reverse_proxy
// through a real Caddy: the caller's identity goes into the request body
// whatever the body claims, internal fields leave the response, a gzip
// response is edited and stays gzip, and a body that tries to smuggle a
// second id is refused before the upstream sees it.
func TestE2ETransformBehindJWT(t *testing.T) {
	secret := "transform-secret-transform-secret-tr"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	var mu sync.Mutex
	var got []string
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"orders-1"`)
		fmt.Fprintf(w, `{"order":{"id":7,"owner":%q},"internal":{"db":"10.0.0.5","trace":"abc"}}`, r.Header.Get("X-User-Id"))
	})
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		claim_header sub X-User-Id
	}
	transform {
		request {
			set user.id {http.auth.user.id}
			delete user.role
			rename qty quantity
		}
		response {
			delete internal
			rename order.owner order.owned_by
		}
	}
	encode gzip {
		minimum_length 1
	}
	reverse_proxy %s
}`, o.addr()))
	token := liveToken(t, secret, jwt.MapClaims{"sub": "alice"})
	h := http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}

	code, body := g.call("POST", g.url("/orders"), `{"user":{"id":"bob","role":"admin"},"qty":2}`, h)
	if code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	testenv.JSONEqual(t, []byte(got[0]), `{"user":{"id":"alice"},"quantity":2}`)
	testenv.JSONEqual(t, []byte(body), `{"order":{"id":7,"owned_by":"alice"}}`)

	// with gzip between transform and the upstream (encode), the answer is
	// edited and still gzip, its ETag weak
	req, _ := http.NewRequest("GET", g.url("/orders/7"), nil)
	req.Header = h.Clone()
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Etag"), "W/") ||
		resp.Header.Get("Content-Length") != fmt.Sprint(len(raw)) {
		t.Fatalf("gzip answer: %d %v %s", resp.StatusCode, resp.Header, raw)
	}
	testenv.JSONEqual(t, testenv.Decode(t, "gzip", raw), `{"order":{"id":7,"owned_by":"alice"}}`)

	// a second spelling of id, and broken JSON, never reach the upstream
	before := len(got)
	for _, bad := range []string{`{"user":{"id":"x","Id":"bob"}}`, `{"user":{"id":"x","\u0069d":"bob"}}`, `{"user":`} {
		if code, body := g.call("POST", g.url("/orders"), bad, h); code != 400 || !strings.Contains(body, `"error":"bad request"`) {
			t.Fatalf("%s: %d %s", bad, code, body)
		}
	}
	// a body that is not declared JSON passes untouched (documented)
	g.call("POST", g.url("/orders"), `{"user":{"id":"bob"}}`, http.Header{"Authorization": h["Authorization"], "Content-Type": {"text/plain"}})
	if len(got) != before+1 || got[before] != `{"user":{"id":"bob"}}` {
		t.Fatalf("upstream saw %q", got[before:])
	}
	// without a token, jwt_auth answers before transform
	if code, _ := g.call("POST", g.url("/orders"), `{}`, http.Header{"Content-Type": {"application/json"}}); code != 401 {
		t.Fatalf("no token: %d", code)
	}
}

// TestE2ETransformReadmeExample runs README's transformation example as
// written (its site address moved to the test's port) and checks what
// README says it does.
func TestE2ETransformReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Transformation")
	m := caddyfileBlock.FindStringSubmatch(section)
	if m == nil {
		t.Fatal("README's Transformation section has no caddyfile block")
	}
	secret := "readme-secret-readme-secret-readme-se"
	t.Setenv("JWT_SECRET", secret)
	var mu sync.Mutex
	var path, body, user, version string
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		path, body, user, version = r.URL.RequestURI(), string(b), r.Header.Get("X-User-Id"), r.Header.Get("X-Api-Version")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Powered-By", "v1")
		fmt.Fprint(w, `{"id":42,"firstName":"Ada","lastName":"Lovelace","internal_id":"db-7"}`)
	})
	g := startGateway(t, "", strings.Replace(m[1], "api.example.com {", "http://127.0.0.1:{HTTP} {", 1))
	g.register("users", fmt.Sprintf(`{"address": %q}`, o.addr()))
	h := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "alice"})}, "Content-Type": {"application/json"}}
	req, _ := http.NewRequest("POST", g.url("/v2/users?debug=1"), strings.NewReader(`{"first_name":"Ada","last_name":"Lovelace","owner":"mallory"}`))
	req.Header = h
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if resp.StatusCode != 200 || path != "/api/v1/users" || user != "alice" || version != "2" {
		t.Fatalf("%d; upstream saw %s as %q (version %q)", resp.StatusCode, path, user, version)
	}
	testenv.JSONEqual(t, []byte(body), `{"firstName":"Ada","lastName":"Lovelace","owner":"alice"}`)
	testenv.JSONEqual(t, answer, `{"id":42,"first_name":"Ada","last_name":"Lovelace","api_version":2}`)
	if resp.Header.Get("X-Powered-By") != "" || resp.Header.Get("Server") != "" {
		t.Fatalf("response headers: %v", resp.Header)
	}
}

// transformGuardSite is docs/transform.md's Caddyfile with the guard, as
// written, with jwt_auth in front (so the set has a caller to put in) and
// the site and upstream moved to the test's.
func transformGuardSite(t *testing.T, upstream string) string {
	t.Helper()
	doc, err := os.ReadFile("docs/transform.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range caddyfileBlock.FindAllStringSubmatch(string(doc), -1) {
		if !strings.Contains(m[1], "@notjson") {
			continue
		}
		site := strings.Replace(m[1], "api.example.com {", "http://127.0.0.1:{HTTP} {\n\tjwt_auth {\n\t\tsecret {env.GATEWAY_TEST_JWT_SECRET}\n\t}", 1)
		return strings.Replace(site, "localhost:9000", upstream, 1)
	}
	t.Fatal("docs/transform.md has no Caddyfile with the @notjson guard")
	return ""
}

// TestE2ETransformContentTypes sends, through docs/transform.md's own
// Caddyfile (guard and transform), a body setting user.id to bob under
// every Content-Type an attacker may try. An upstream that reads the body
// as JSON whatever its type (Gin's ShouldBindJSON, FastAPI with no
// Content-Type) must never see bob: each request is edited (the upstream
// sees alice, the caller) or refused with 415.
func TestE2ETransformContentTypes(t *testing.T) {
	secret := "transform-ct-secret-transform-ct-secret"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	var mu sync.Mutex
	var seen []string
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	g := startGateway(t, "", transformGuardSite(t, o.addr()))
	auth := "Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "alice"})
	const bob = `{"user":{"id":"bob"}}`
	utf16be := func(s string) string {
		var b strings.Builder
		for _, c := range s {
			b.WriteByte(0)
			b.WriteRune(c)
		}
		return b.String()
	}
	for _, tc := range []struct {
		ct   []string // the Content-Type lines; nil: none
		body string
		want int // 204: edited (the upstream sees alice); else the refusal
	}{
		{[]string{"application/json"}, bob, 204},
		{[]string{"APPLICATION/JSON"}, bob, 204},
		{[]string{"application/json; charset=UTF-8"}, bob, 204},
		{[]string{"application/vnd.api+json"}, bob, 204},
		{[]string{"application/ld+json; profile=\"x\""}, bob, 204},
		{[]string{"application/stream+json"}, bob, 204}, // Spring reads */*+json
		{[]string{"text/json"}, bob, 204},
		{[]string{"application/x-json"}, bob, 204},
		{[]string{"application/jsonx"}, bob, 204},  // Echo binds by prefix
		{[]string{"application/json x"}, bob, 415}, // Gin reads the part before a space
		{[]string{"application/json\tx"}, bob, 415},
		{[]string{"application/json,text/plain"}, bob, 415},
		{[]string{"text/plain,application/json"}, bob, 415},
		{[]string{"application/json; charset=utf-16"}, bob, 415},
		{[]string{"application/json; charset=\"utf-7\""}, bob, 415},
		{[]string{"application/json; charset*=utf-16''"}, bob, 415},
		{[]string{"application/json; charset=utf-8; charset=utf-16"}, bob, 415},
		{[]string{"text/plain", "application/json"}, bob, 415}, // which one does the upstream read?
		{[]string{"application/json", "text/plain"}, bob, 415},
		{[]string{"application/json", "application/json"}, bob, 415},
		{[]string{"text/plain"}, bob, 415},                     // the guard
		{[]string{"text/plain; x=application/json"}, bob, 415}, // the guard
		{nil, bob, 204},                    // FastAPI reads a body without Content-Type as JSON
		{[]string{""}, bob, 204},           // so does it an empty one
		{nil, " \r\n\t[" + bob + "]", 400}, // an array: no user.id to set
		{nil, "\xef\xbb\xbf" + bob, 415},   // Python decodes a UTF-8 BOM
		{nil, utf16be(bob), 415},           // and UTF-16
		{nil, "\xff\xfe" + utf16be(bob)[1:] + "\x00", 415},
	} {
		name := fmt.Sprintf("%q %.20q", tc.ct, tc.body)
		mu.Lock()
		seen = nil
		mu.Unlock()
		h := http.Header{"Authorization": {auth}}
		if tc.ct != nil {
			h["Content-Type"] = tc.ct
		}
		code, answer := g.call("POST", g.url("/orders"), tc.body, h)
		mu.Lock()
		got := seen
		mu.Unlock()
		if code != tc.want {
			t.Errorf("%s: %d %s (upstream saw %q), want %d", name, code, answer, got, tc.want)
			continue
		}
		switch {
		case code == 204 && (len(got) != 1 || strings.Contains(got[0], "bob") || !strings.Contains(got[0], `"alice"`)):
			t.Errorf("%s: the upstream saw %q", name, got)
		case code != 204 && len(got) != 0:
			t.Errorf("%s: refused, yet the upstream saw %q", name, got)
		}
	}
	// a body without Content-Type that is not JSON passes untouched
	h := http.Header{"Authorization": {auth}}
	for _, body := range []string{"hello bob", "\x01\x02binary"} {
		mu.Lock()
		seen = nil
		mu.Unlock()
		if code, answer := g.call("PUT", g.url("/files/1"), body, h); code != 204 || len(seen) != 1 || seen[0] != body {
			t.Errorf("%q without Content-Type: %d %s, the upstream saw %q", body, code, answer, seen)
		}
	}
}

// TestE2ETransformMemoryBeforeData opens connections that each declare a
// 1 MB JSON body and send one byte of it: the gateway's heap grows with
// the bytes that arrived, not with what Content-Length declares.
func TestE2ETransformMemoryBeforeData(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	transform {
		request {
			set user.id x
		}
	}
	reverse_proxy %s
}`, o.addr()))
	// the gateway answers (and has warmed up) before the measure
	if code, _ := g.call("POST", g.url("/"), `{}`, http.Header{"Content-Type": {"application/json"}}); code != 204 {
		t.Fatalf("warm-up: %d", code)
	}
	const conns, declared = 64, 1_000_000
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.httpPort))
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", declared)
	}
	// each handler reads its one byte within milliseconds; watch the heap
	// for a while
	var grown int64
	for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if grown = int64(heap()) - int64(before); grown > conns*declared/4 {
			break
		}
	}
	t.Logf("%d connections declaring %d bytes and sending 1: the heap grew %d KiB", conns, declared, grown>>10)
	if grown > conns*declared/4 {
		t.Fatalf("the heap grew %d MiB for %d connections that sent one byte each", grown>>20, conns)
	}
}

// TestE2ETransformExpectContinueTooLarge: a declared JSON body over
// max_body is refused with 413 before it is read, so a client that asked
// Expect: 100-continue never sends it (Go's server answers 100 Continue
// only when the handler reads).
func TestE2ETransformExpectContinueTooLarge(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	transform {
		request {
			set user.id x
		}
		max_body 1KiB
	}
	reverse_proxy %s
}`, o.addr()))
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/problem+json"} {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.httpPort))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", ct)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		status, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || !strings.HasPrefix(status, "HTTP/1.1 413 ") {
			t.Errorf("%s: the first answer to a declared 5000-byte body over max_body 1KiB was %q (%v), want 413", ct, status, err)
		}
	}
	if n := o.hits.Load(); n != 0 {
		t.Fatalf("the upstream was called %d times", n)
	}
}
