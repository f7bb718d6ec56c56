package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/caddyserver/caddy/v2"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/caddygateway/caddy-gateway/internal/jwtverify"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// The tokens and key sets these tests verify are made by an independent
// implementation of JOSE, github.com/go-jose/go-jose/v4 (smallstep's and
// Caddy's own dependency, so testing with it adds nothing to the modules a
// user's build lists), never by golang-jwt, which the verifier uses.

// interopSecret is the HMAC secret of these tests: go-jose refuses an HMAC
// key shorter than its hash (64 bytes for HS512).
const interopSecret = "interop-secret-interop-secret-interop-secret-interop-secret-64by"

// joseAlgs pairs each algorithm with the private key that signs it.
func joseAlgs(k testKeys) []struct {
	alg jose.SignatureAlgorithm
	key any
	pub any
} {
	return []struct {
		alg jose.SignatureAlgorithm
		key any
		pub any
	}{
		{jose.HS256, []byte(interopSecret), nil},
		{jose.HS384, []byte(interopSecret), nil},
		{jose.HS512, []byte(interopSecret), nil},
		{jose.RS256, k.rsa, &k.rsa.PublicKey},
		{jose.RS384, k.rsa, &k.rsa.PublicKey},
		{jose.RS512, k.rsa, &k.rsa.PublicKey},
		{jose.PS256, k.rsa, &k.rsa.PublicKey},
		{jose.PS384, k.rsa, &k.rsa.PublicKey},
		{jose.PS512, k.rsa, &k.rsa.PublicKey},
		{jose.ES256, k.ec256, &k.ec256.PublicKey},
		{jose.ES384, k.ec384, &k.ec384.PublicKey},
		{jose.ES512, k.ec521, &k.ec521.PublicKey},
		{jose.EdDSA, k.ed, k.ed.Public()},
	}
}

// joseToken signs the test's claims with key (a raw key, or a
// jose.JSONWebKey carrying a kid).
func joseToken(t *testing.T, alg jose.SignatureAlgorithm, key any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("go-jose signer %s: %v", alg, err)
	}
	claims := map[string]any{
		"sub": "jose-user", "iss": "my_issuer", "aud": []string{"gateway"},
		"iat": fixedNow.Add(-time.Minute).Unix(), "exp": fixedNow.Add(time.Hour).Unix(), "role": "reader",
	}
	signed, err := josejwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatalf("go-jose signing %s: %v", alg, err)
	}
	return signed
}

// TestJWTInteropWithGoJose verifies tokens made by an independent
// implementation, for every algorithm, against PEM keys.
func TestJWTInteropWithGoJose(t *testing.T) {
	k := getKeys(t)
	j := newJWT(t, &JWTAuth{Secret: interopSecret, Issuers: []string{"my_issuer"}, Audiences: []string{"gateway"},
		PublicKeys: []string{k.pem("rsa.pem"), k.pem("ec256.pem"), k.pem("ec384.pem"), k.pem("ec521.pem"), k.pem("ed.pem")}})
	for _, a := range joseAlgs(k) {
		res := serveJWT(t, j, bearer(joseToken(t, a.alg, a.key)))
		if !res.passed {
			t.Errorf("%s token from go-jose refused: %v", a.alg, res.body)
			continue
		}
		if id, _ := res.repl.GetString("http.auth.user.id"); id != "jose-user" {
			t.Errorf("%s: user id %q", a.alg, id)
		}
	}
}

// joseKeySet is a JWK Set written by go-jose, with kids.
func joseKeySet(t *testing.T, pubs map[string]any) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for kid, pub := range pubs {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: kid})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func joseSignedWithKid(t *testing.T, alg jose.SignatureAlgorithm, priv any, kid string) string {
	t.Helper()
	return joseToken(t, alg, jose.JSONWebKey{Key: priv, KeyID: kid})
}

// jwksServer serves whatever set it holds, counts requests, and can be made
// to fail or to hang.
type jwksServer struct {
	*httptest.Server
	set  atomic.Pointer[[]byte]
	hits atomic.Int64
	mode atomic.Int32 // 0 serve, 1 fail with 500, 2 hang
	stop chan struct{}
}

func newJWKSServer(t *testing.T, set []byte) *jwksServer {
	s := &jwksServer{stop: make(chan struct{})}
	s.set.Store(&set)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		switch s.mode.Load() {
		case 1:
			http.Error(w, "down", http.StatusInternalServerError)
			return
		case 2:
			select {
			case <-s.stop:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*s.set.Load())
	}))
	t.Cleanup(func() {
		close(s.stop)
		s.Close()
	})
	return s
}

func (s *jwksServer) serve(set []byte) { s.set.Store(&set) }

// TestJWTJWKSEveryAlgorithm verifies go-jose-made tokens against a go-jose-made
// JWKS, for every public-key algorithm.
func TestJWTJWKSEveryAlgorithm(t *testing.T) {
	k := getKeys(t)
	pubs := map[string]any{}
	for _, a := range joseAlgs(k) {
		if a.pub != nil {
			pubs[string(a.alg)] = a.pub
		}
	}
	srv := newJWKSServer(t, joseKeySet(t, pubs))
	j := newJWT(t, &JWTAuth{JWKS: []string{srv.URL}})
	for _, a := range joseAlgs(k) {
		tok := joseSignedWithKid(t, a.alg, a.key, string(a.alg))
		res := serveJWT(t, j, bearer(tok))
		if a.pub == nil {
			if res.passed || res.body["error_description"] != jwtverify.Algorithm.Description() {
				t.Errorf("%s accepted against a JWKS: %v", a.alg, res.body)
			}
			continue
		}
		if !res.passed {
			t.Errorf("%s with kid from the JWKS refused: %v", a.alg, res.body)
		}
	}
}

func TestJWTJWKSRotation(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, joseKeySet(t, map[string]any{"k1": &k.rsa.PublicKey}))
	j := newJWT(t, &JWTAuth{JWKS: []string{srv.URL}, CacheSize: -1, JWKSCooldown: caddy.Duration(time.Hour)})

	if res := serveJWT(t, j, bearer(joseSignedWithKid(t, jose.RS256, k.rsa, "k1"))); !res.passed {
		t.Fatalf("k1 before rotation: %v", res.body)
	}
	// rotation: k2 appears and k1 goes
	srv.serve(joseKeySet(t, map[string]any{"k2": &k.ec256.PublicKey}))
	if res := serveJWT(t, j, bearer(joseSignedWithKid(t, jose.ES256, k.ec256, "k2"))); !res.passed {
		t.Fatalf("a token with the new kid was refused: %v", res.body)
	}
	if res := serveJWT(t, j, bearer(joseSignedWithKid(t, jose.RS256, k.rsa, "k1"))); res.passed {
		t.Fatal("a token with the removed kid was accepted after the refetch")
	}
	before := srv.hits.Load()
	for i := range 20 {
		serveJWT(t, j, bearer(joseSignedWithKid(t, jose.RS256, k.rsa, fmt.Sprintf("made-up-%d", i))))
	}
	if n := srv.hits.Load() - before; n != 0 {
		t.Fatalf("20 made-up kids within the cooldown caused %d fetches; want 0", n)
	}
}

func TestJWTJWKSKeepsLastGoodSetWhenEndpointFails(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, joseKeySet(t, map[string]any{"k1": &k.rsa.PublicKey}))
	j := newJWT(t, &JWTAuth{JWKS: []string{srv.URL}, CacheSize: -1, JWKSRefresh: caddy.Duration(20 * time.Millisecond)})
	srv.mode.Store(1)
	start := srv.hits.Load()
	testenv.Eventually(t, 10*time.Second, "the JWKS was not refreshed", func() bool { return srv.hits.Load() >= start+3 })
	if res := serveJWT(t, j, bearer(joseSignedWithKid(t, jose.RS256, k.rsa, "k1"))); !res.passed {
		t.Fatalf("after failed refreshes, a token with a known kid was refused: %v", res.body)
	}
}

// TestJWTJWKSSlowEndpointDoesNotHoldRequests sends a token with an unknown
// kid while the JWKS endpoint hangs: the request must be answered once the
// JWKS timeout passes, not when the endpoint answers.
func TestJWTJWKSSlowEndpointDoesNotHoldRequests(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, joseKeySet(t, map[string]any{"k1": &k.rsa.PublicKey}))
	j := newJWT(t, &JWTAuth{JWKS: []string{srv.URL}, JWKSTimeout: caddy.Duration(200 * time.Millisecond)})
	srv.mode.Store(2) // hang until the test ends
	// the token is made here: t.Fatal is for the test's goroutine only
	req := bearer(joseSignedWithKid(t, jose.RS256, k.rsa, "new-kid"))
	type served struct {
		res result
		err error
	}
	done := make(chan served, 1)
	go func() {
		res, err := tryServeJWT(j, req)
		done <- served{res, err}
	}()
	select {
	case s := <-done:
		if s.err != nil {
			t.Fatal(s.err)
		}
		if res := s.res; res.passed || res.code != 401 {
			t.Fatalf("unknown kid with a hanging JWKS: %d", res.code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a request waited on a hanging JWKS endpoint")
	}
	// a known kid is still served from the set in memory
	if res := serveJWT(t, j, bearer(joseSignedWithKid(t, jose.RS256, k.rsa, "k1"))); !res.passed {
		t.Fatalf("known kid refused while the endpoint hangs: %v", res.body)
	}
}

// TestJWTJWKSStartupFailureSaysSo: a JWKS endpoint that fails before any
// fetch succeeded is reported as such, not as "keeping the last good set".
func TestJWTJWKSStartupFailureSaysSo(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, joseKeySet(t, map[string]any{"k1": &k.rsa.PublicKey}))
	srv.mode.Store(1)
	core, logs := observer.New(zapcore.ErrorLevel)
	newJWT(t, &JWTAuth{JWKS: []string{srv.URL}, logger: zap.New(core)})
	testenv.Eventually(t, 5*time.Second, "no log line for the failed fetch", func() bool { return logs.Len() > 0 })
	if msg := logs.All()[0].Message; !strings.Contains(msg, "no key set fetched yet") {
		t.Fatalf("a JWKS that never answered is logged as %q", msg)
	}
}
