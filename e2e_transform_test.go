package gateway

import (
	"fmt"
	"io"
	"net/http"
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
