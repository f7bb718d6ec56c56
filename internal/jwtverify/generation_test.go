package jwtverify

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// rotatingKeys is a KeySource whose one key can be removed, counting
// removals as internal/oidc's key sets do.
type rotatingKeys struct {
	key     atomic.Pointer[ed25519.PublicKey]
	removed atomic.Uint64
}

func (r *rotatingKeys) Keyfunc(*jwt.Token) (any, error) {
	if k := r.key.Load(); k != nil {
		return *k, nil
	}
	return nil, errors.New("no key")
}

func (r *rotatingKeys) VerificationKeySet(context.Context) (jwt.VerificationKeySet, error) {
	return jwt.VerificationKeySet{}, errors.New("no keys")
}

func (r *rotatingKeys) Generation() uint64 { return r.removed.Load() }

func TestARemovedKeyEmptiesTheCacheOfWhatItVerified(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	keys := &rotatingKeys{}
	keys.key.Store(&pub)
	now := time.Unix(1_800_000_000, 0)
	v := New(Config[string]{
		Keys: Keys{JWKS: keys}, Allowed: map[string]bool{"EdDSA": true}, MaxTokenSize: 8192, CacheSize: 100,
		Now: func() time.Time { return now }, Prepare: func(jwt.MapClaims) string { return "" },
	})
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"sub": "a"})
	tok.Header["kid"] = "k1"
	raw, err := tok.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, why, err := v.Verify(raw); why != 0 {
		t.Fatal(why, err)
	}
	if _, cached, _, _ := v.Verify(raw); !cached {
		t.Fatal("not cached")
	}
	keys.key.Store(nil)
	keys.removed.Add(1)
	if _, cached, why, _ := v.Verify(raw); cached || why != UnknownKey {
		t.Fatalf("after the key's removal: cached %v, why %v", cached, why)
	}
}
