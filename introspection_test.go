package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
)

// fakeIntrospection is an introspection endpoint answering every token
// with answer (the token under "token"), counting calls.
type fakeIntrospection struct {
	*httptest.Server
	calls  atomic.Int64
	answer func(token string) map[string]any
}

func newFakeIntrospection(t testing.TB, answer func(token string) map[string]any) *fakeIntrospection {
	f := &fakeIntrospection{answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if id, secret, _ := r.BasicAuth(); id != "gw" || secret != "gw-secret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(f.answer(r.PostFormValue("token")))
	}))
	t.Cleanup(f.Close)
	return f
}

func newIntrospection(t testing.TB, ti *TokenIntrospection) *TokenIntrospection {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	ti.ClientID = "gw"
	if ti.ClientSecret == "" {
		ti.ClientSecret = "gw-secret"
	}
	ti.logger = zap.NewNop()
	if err := ti.Provision(ctx); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	if err := ti.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	t.Cleanup(func() { _ = ti.Cleanup() })
	return ti
}

// serveIntrospection runs ti on r.
func serveIntrospection(t testing.TB, ti *TokenIntrospection, r *http.Request) (result, *http.Request) {
	t.Helper()
	repl := caddyhttp.NewTestReplacer(r)
	ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{})
	r = r.WithContext(ctx)
	rec := httptest.NewRecorder()
	res := result{repl: repl}
	var seen *http.Request
	if err := ti.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		res.passed, seen = true, r
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	res.code, res.header = rec.Code, rec.Header()
	return res, seen
}

func TestIntrospectionSetsUserPlaceholdersAndCredentialSource(t *testing.T) {
	f := newFakeIntrospection(t, func(tok string) map[string]any {
		switch tok {
		case "user-token":
			return map[string]any{"active": true, "sub": "alice", "scope": "read write", "client_id": "web",
				"exp": float64(time.Now().Add(time.Hour).Unix()), "groups": []any{"a", "b"}, "plan": "gold"}
		case "service-token":
			return map[string]any{"active": true, "client_id": "batch"}
		}
		return map[string]any{"active": false}
	})
	ti := newIntrospection(t, &TokenIntrospection{Endpoint: f.URL, From: []TokenSource{{Type: "header", Name: "x-idp-token"}}})
	if !slices.Contains(caddykit.CredentialHeaders(), "X-Idp-Token") {
		t.Fatal("response_cache does not count X-Idp-Token as a credential")
	}

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Idp-Token", "user-token")
	res, seen := serveIntrospection(t, ti, r)
	if !res.passed {
		t.Fatalf("refused: %d", res.code)
	}
	for k, want := range map[string]string{"id": "alice", "scope": "read write", "client_id": "web", "groups": "a,b"} {
		if got, _ := res.repl.GetString("http.auth.user." + k); got != want {
			t.Errorf("{http.auth.user.%s} = %q, want %q", k, got, want)
		}
	}
	if v, ok := res.repl.Get("http.auth.user.plan"); ok {
		t.Errorf("a claim named plan filled a consumer's placeholder: %v", v)
	}
	creds := caddykit.CredentialsOf(seen, res.repl)
	if src, ok := creds.AuthenticatedBy(); !ok || src != "header:X-Idp-Token" {
		t.Fatalf("credentials %+v", creds)
	}

	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Idp-Token", "service-token")
	if res, _ := serveIntrospection(t, ti, r); !res.passed || func() string { s, _ := res.repl.GetString("http.auth.user.id"); return s }() != "batch" {
		t.Fatalf("a token without sub: passed %v", res.passed)
	}

	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Idp-Token", "nope")
	if res, _ := serveIntrospection(t, ti, r); res.passed || res.code != 401 ||
		res.header.Get("WWW-Authenticate") != `Bearer realm="restricted", error="invalid_token", error_description="the token is not active"` {
		t.Fatalf("inactive: %d %v", res.code, res.header)
	}
}

func TestIntrospectionWrongClientSecretIs503NotUnauthorized(t *testing.T) {
	f := newFakeIntrospection(t, func(string) map[string]any { return map[string]any{"active": true} })
	ti := newIntrospection(t, &TokenIntrospection{Endpoint: f.URL, ClientSecret: "wrong"})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer tok")
	res, _ := serveIntrospection(t, ti, r)
	if res.passed || res.code != 503 || res.header.Get("Retry-After") == "" {
		t.Fatalf("%d %v, passed %v", res.code, res.header, res.passed)
	}
}

func TestIntrospectionSecretFromTheEnvironment(t *testing.T) {
	f := newFakeIntrospection(t, func(string) map[string]any { return map[string]any{"active": true, "sub": "x"} })
	t.Setenv("GW_TEST_INTROSPECTION_SECRET", "gw-secret")
	ti := newIntrospection(t, &TokenIntrospection{Endpoint: f.URL, ClientSecret: "{env.GW_TEST_INTROSPECTION_SECRET}"})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer tok")
	if res, _ := serveIntrospection(t, ti, r); !res.passed {
		t.Fatalf("%d", res.code)
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	empty := &TokenIntrospection{Endpoint: f.URL, ClientID: "gw", ClientSecret: "{env.GW_TEST_UNSET_SECRET}", logger: zap.NewNop()}
	if err := empty.Provision(ctx); err == nil {
		t.Fatal("an unset secret was accepted")
	}
	_ = empty.Cleanup()
}

// BenchmarkAuthCacheHit puts a request with an introspected token whose
// answer is cached beside jwt_auth's cached verification of an RS256
// token: the same handler path, one lookup each.
func BenchmarkAuthCacheHit(b *testing.B) {
	k := getKeys(b)
	rs := sign(b, jwt.SigningMethodRS256, k.rsa, validClaims(), nil)
	j := newJWT(b, &JWTAuth{PublicKeys: []string{k.pem("rsa.pem")}, Issuers: []string{"my_issuer"}})
	f := newFakeIntrospection(b, func(string) map[string]any {
		return map[string]any{"active": true, "sub": "alice", "scope": "read", "client_id": "web", "exp": float64(time.Now().Add(time.Hour).Unix())}
	})
	ti := newIntrospection(b, &TokenIntrospection{Endpoint: f.URL})
	for _, c := range []struct {
		name  string
		h     caddyhttp.MiddlewareHandler
		token string
	}{
		{"jwt_auth-RS256", j, rs},
		{"token_introspection", ti, "opaque-GtUzfCVyFXS4OdgQobVKCO3-ugykDs4UvZYbohg7wqf"},
	} {
		b.Run(c.name, func(b *testing.B) {
			base := httptest.NewRequest("GET", "/hello_service", nil)
			base.Header.Set("Authorization", "Bearer "+c.token)
			w := httptest.NewRecorder()
			_ = c.h.ServeHTTP(w, benchRequest(base), passThrough) // warm the cache
			b.ReportAllocs()
			for b.Loop() {
				if err := c.h.ServeHTTP(w, benchRequest(base), passThrough); err != nil {
					b.Fatal(err)
				}
			}
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
}

// BenchmarkIntrospectionColdCache sends each token once, to a cold cache:
// every request makes one call (calls/token), at the cost of one round
// trip to the endpoint (a loopback httptest server here).
func BenchmarkIntrospectionColdCache(b *testing.B) {
	f := newFakeIntrospection(b, func(string) map[string]any { return map[string]any{"active": true, "sub": "a"} })
	ti := newIntrospection(b, &TokenIntrospection{Endpoint: f.URL})
	w := httptest.NewRecorder()
	n := 0
	for b.Loop() {
		base := httptest.NewRequest("GET", "/", nil)
		base.Header.Set("Authorization", fmt.Sprint("Bearer token-", n))
		n++
		if err := ti.ServeHTTP(w, benchRequest(base), passThrough); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.calls.Load())/float64(n), "calls/token")
}
