package jwtverify

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestCriticalHeaderRefused: RFC 7515 §4.1.11: a token with crit names
// extensions that must be understood; this verifier understands none, so
// it refuses any (found by the fresh attack: crit ["exp"] was accepted).
func TestCriticalHeaderRefused(t *testing.T) {
	c := newClock()
	secret := []byte("a-secret-of-at-least-thirty-two-bytes!!")
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}}})
	if _, _, why, err := v.Verify(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "a"}, nil)); why != 0 {
		t.Fatalf("a plain token: %v %v", why, err)
	}
	for _, crit := range []any{[]string{"exp"}, []string{}, "b64"} {
		if _, _, why, err := v.Verify(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "a"}, map[string]any{"crit": crit})); why != Invalid {
			t.Errorf("crit %v: %v (%v), want refused as invalid", crit, why, err)
		}
	}
}
