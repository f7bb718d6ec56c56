package gateway

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

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
