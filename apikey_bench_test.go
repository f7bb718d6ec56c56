package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/consumers"
)

// BenchmarkAPIKeyHandler: api_key's check per request of a key it accepted
// before, to compare with jwt_auth's cached verification, which runs here
// too; and an unknown key, refused after the full check (SHA-256 and a
// constant-time compare).
func BenchmarkAPIKeyHandler(b *testing.B) {
	store := consumers.NewStore()
	ctx := context.Background()
	if _, err := store.Create(ctx, consumers.Consumer{ID: "acme", Plan: "pro", Metadata: map[string]string{"team": "red"}}); err != nil {
		b.Fatal(err)
	}
	key, _, err := store.AddKey(ctx, "acme", "", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	_, unknown := consumers.NewKey()
	h := &APIKey{store: store, app: &ConsumersApp{}, logger: zap.NewNop()}
	h.prepare()
	b.Cleanup(func() { _ = h.Cleanup() })
	for _, c := range []struct {
		name, key string
		want      int
	}{{"good-key", key, 200}, {"unknown-key", unknown, 401}} {
		b.Run(c.name, func(b *testing.B) {
			base := httptest.NewRequest("GET", "/hello_service", nil)
			base.Header.Set("X-Api-Key", c.key)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				_ = h.ServeHTTP(w, benchRequest(base), passThrough)
			}
			if w.Code != c.want {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
	b.Run("jwt_auth-HS256-cache-hit", func(b *testing.B) {
		hs := sign(b, jwt.SigningMethodHS256, []byte(testSecret), validClaims(), nil)
		j := newJWT(b, &JWTAuth{Secret: testSecret, Issuers: []string{"my_issuer"}})
		base := httptest.NewRequest("GET", "/hello_service", nil)
		base.Header.Set("Authorization", "Bearer "+hs)
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			if err := j.ServeHTTP(w, benchRequest(base), passThrough); err != nil {
				b.Fatal(err)
			}
		}
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	})
}
