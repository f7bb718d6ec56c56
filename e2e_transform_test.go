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
	jsonEqual(t, []byte(got[0]), `{"user":{"id":"alice"},"quantity":2}`)
	jsonEqual(t, []byte(body), `{"order":{"id":7,"owned_by":"alice"}}`)

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
	jsonEqual(t, decodeAny(t, "gzip", raw), `{"order":{"id":7,"owned_by":"alice"}}`)

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
	jsonEqual(t, []byte(body), `{"firstName":"Ada","lastName":"Lovelace","owner":"alice"}`)
	jsonEqual(t, answer, `{"id":42,"first_name":"Ada","last_name":"Lovelace","api_version":2}`)
	if resp.Header.Get("X-Powered-By") != "" || resp.Header.Get("Server") != "" {
		t.Fatalf("response headers: %v", resp.Header)
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
