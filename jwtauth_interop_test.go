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
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/caddygateway/caddy-gateway/internal/jwtverify"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// jwxAlgs pairs each algorithm with the private key that signs it.
func jwxAlgs(k testKeys) []struct {
	alg jwa.SignatureAlgorithm
	key any
	pub any
} {
	return []struct {
		alg jwa.SignatureAlgorithm
		key any
		pub any
	}{
		{jwa.HS256(), []byte(testSecret), nil},
		{jwa.HS384(), []byte(testSecret), nil},
		{jwa.HS512(), []byte(testSecret), nil},
		{jwa.RS256(), k.rsa, &k.rsa.PublicKey},
		{jwa.RS384(), k.rsa, &k.rsa.PublicKey},
		{jwa.RS512(), k.rsa, &k.rsa.PublicKey},
		{jwa.PS256(), k.rsa, &k.rsa.PublicKey},
		{jwa.PS384(), k.rsa, &k.rsa.PublicKey},
		{jwa.PS512(), k.rsa, &k.rsa.PublicKey},
		{jwa.ES256(), k.ec256, &k.ec256.PublicKey},
		{jwa.ES384(), k.ec384, &k.ec384.PublicKey},
		{jwa.ES512(), k.ec521, &k.ec521.PublicKey},
		{jwa.EdDSA(), k.ed, k.ed.Public()},
	}
}

func jwxToken(t *testing.T, alg jwa.SignatureAlgorithm, key any) string {
	t.Helper()
	tok, err := jwxjwt.NewBuilder().Subject("jwx-user").Issuer("my_issuer").Audience([]string{"gateway"}).
		IssuedAt(fixedNow.Add(-time.Minute)).Expiration(fixedNow.Add(time.Hour)).Claim("role", "reader").Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwxjwt.Sign(tok, jwxjwt.WithKey(alg, key))
	if err != nil {
		t.Fatalf("jwx signing %s: %v", alg, err)
	}
	return string(signed)
}

// TestJWTInteropWithJWX verifies tokens made by an independent
// implementation, for every algorithm, against PEM keys.
func TestJWTInteropWithJWX(t *testing.T) {
	k := getKeys(t)
	j := newJWT(t, &JWTAuth{Secret: testSecret, Issuers: []string{"my_issuer"}, Audiences: []string{"gateway"},
		PublicKeys: []string{k.pem("rsa.pem"), k.pem("ec256.pem"), k.pem("ec384.pem"), k.pem("ec521.pem"), k.pem("ed.pem")}})
	for _, a := range jwxAlgs(k) {
		res := serveJWT(t, j, bearer(jwxToken(t, a.alg, a.key)))
		if !res.passed {
			t.Errorf("%s token from jwx refused: %v", a.alg, res.body)
			continue
		}
		if id, _ := res.repl.GetString("http.auth.user.id"); id != "jwx-user" {
			t.Errorf("%s: user id %q", a.alg, id)
		}
	}
}

// jwxKeySet is a JWK Set written by jwx, with kids.
func jwxKeySet(t *testing.T, pubs map[string]any) []byte {
	t.Helper()
	set := jwk.NewSet()
	for kid, pub := range pubs {
		key, err := jwk.Import(pub)
		if err != nil {
			t.Fatal(err)
		}
		if err := key.Set(jwk.KeyIDKey, kid); err != nil {
			t.Fatal(err)
		}
		if err := set.AddKey(key); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jwxSignedWithKid(t *testing.T, alg jwa.SignatureAlgorithm, priv any, kid string) string {
	t.Helper()
	key, err := jwk.Import(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	return jwxToken(t, alg, key)
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

// TestJWTJWKSEveryAlgorithm verifies jwx-made tokens against a jwx-made
// JWKS, for every public-key algorithm.
func TestJWTJWKSEveryAlgorithm(t *testing.T) {
	k := getKeys(t)
	pubs := map[string]any{}
	for _, a := range jwxAlgs(k) {
		if a.pub != nil {
			pubs[a.alg.String()] = a.pub
		}
	}
	srv := newJWKSServer(t, jwxKeySet(t, pubs))
	j := newJWT(t, &JWTAuth{JWKS: []string{srv.URL}})
	for _, a := range jwxAlgs(k) {
		tok := jwxSignedWithKid(t, a.alg, a.key, a.alg.String())
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
	srv := newJWKSServer(t, jwxKeySet(t, map[string]any{"k1": &k.rsa.PublicKey}))
	j := newJWT(t, &JWTAuth{JWKS: []string{srv.URL}, CacheSize: -1, JWKSCooldown: caddy.Duration(time.Hour)})

	if res := serveJWT(t, j, bearer(jwxSignedWithKid(t, jwa.RS256(), k.rsa, "k1"))); !res.passed {
		t.Fatalf("k1 before rotation: %v", res.body)
	}
	// rotation: k2 appears and k1 goes
	srv.serve(jwxKeySet(t, map[string]any{"k2": &k.ec256.PublicKey}))
	if res := serveJWT(t, j, bearer(jwxSignedWithKid(t, jwa.ES256(), k.ec256, "k2"))); !res.passed {
		t.Fatalf("a token with the new kid was refused: %v", res.body)
	}
	if res := serveJWT(t, j, bearer(jwxSignedWithKid(t, jwa.RS256(), k.rsa, "k1"))); res.passed {
		t.Fatal("a token with the removed kid was accepted after the refetch")
	}
	before := srv.hits.Load()
	for i := range 20 {
		serveJWT(t, j, bearer(jwxSignedWithKid(t, jwa.RS256(), k.rsa, fmt.Sprintf("made-up-%d", i))))
	}
	if n := srv.hits.Load() - before; n != 0 {
		t.Fatalf("20 made-up kids within the cooldown caused %d fetches; want 0", n)
	}
}

func TestJWTJWKSKeepsLastGoodSetWhenEndpointFails(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, jwxKeySet(t, map[string]any{"k1": &k.rsa.PublicKey}))
	j := newJWT(t, &JWTAuth{JWKS: []string{srv.URL}, CacheSize: -1, JWKSRefresh: caddy.Duration(20 * time.Millisecond)})
	srv.mode.Store(1)
	start := srv.hits.Load()
	testenv.Eventually(t, 10*time.Second, "the JWKS was not refreshed", func() bool { return srv.hits.Load() >= start+3 })
	if res := serveJWT(t, j, bearer(jwxSignedWithKid(t, jwa.RS256(), k.rsa, "k1"))); !res.passed {
		t.Fatalf("after failed refreshes, a token with a known kid was refused: %v", res.body)
	}
}

// TestJWTJWKSSlowEndpointDoesNotHoldRequests sends a token with an unknown
// kid while the JWKS endpoint hangs: the request must be answered once the
// JWKS timeout passes, not when the endpoint answers.
func TestJWTJWKSSlowEndpointDoesNotHoldRequests(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, jwxKeySet(t, map[string]any{"k1": &k.rsa.PublicKey}))
	j := newJWT(t, &JWTAuth{JWKS: []string{srv.URL}, JWKSTimeout: caddy.Duration(200 * time.Millisecond)})
	srv.mode.Store(2) // hang until the test ends
	// the token is made here: t.Fatal is for the test's goroutine only
	req := bearer(jwxSignedWithKid(t, jwa.RS256(), k.rsa, "new-kid"))
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
	if res := serveJWT(t, j, bearer(jwxSignedWithKid(t, jwa.RS256(), k.rsa, "k1"))); !res.passed {
		t.Fatalf("known kid refused while the endpoint hangs: %v", res.body)
	}
}

// TestJWTJWKSStartupFailureSaysSo: a JWKS endpoint that fails before any
// fetch succeeded is reported as such, not as "keeping the last good set".
func TestJWTJWKSStartupFailureSaysSo(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, jwxKeySet(t, map[string]any{"k1": &k.rsa.PublicKey}))
	srv.mode.Store(1)
	core, logs := observer.New(zapcore.ErrorLevel)
	newJWT(t, &JWTAuth{JWKS: []string{srv.URL}, logger: zap.New(core)})
	testenv.Eventually(t, 5*time.Second, "no log line for the failed fetch", func() bool { return logs.Len() > 0 })
	if msg := logs.All()[0].Message; !strings.Contains(msg, "no key set fetched yet") {
		t.Fatalf("a JWKS that never answered is logged as %q", msg)
	}
}
