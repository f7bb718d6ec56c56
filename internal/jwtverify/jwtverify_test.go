package jwtverify

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var secret = []byte("a-secret-of-at-least-32-bytes-for-hs256")

func newVerifier(now *time.Time) *Verifier[string] {
	return New(Config[string]{
		Keys:         Keys{Secrets: [][]byte{secret}},
		Allowed:      map[string]bool{"HS256": true},
		MaxTokenSize: 8192,
		CacheSize:    100,
		Now:          func() time.Time { return *now },
		Prepare:      func(c jwt.MapClaims) string { s, _ := c["sub"].(string); return s },
	})
}

func token(t *testing.T, claims jwt.MapClaims, method jwt.SigningMethod) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyAndCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(&now)
	tok := token(t, jwt.MapClaims{"sub": "alice", "exp": now.Add(30 * time.Second).Unix()}, jwt.SigningMethodHS256)
	if sub, cached, why, err := v.Verify(tok); sub != "alice" || cached || why != 0 {
		t.Fatalf("first: %q cached=%v %v %v", sub, cached, why, err)
	}
	if _, cached, _, _ := v.Verify(tok); !cached {
		t.Fatal("a repeated token was not served from the cache")
	}
	// the cache never outlives the token's exp
	now = now.Add(31 * time.Second)
	if _, cached, why, _ := v.Verify(tok); cached || why != Expired {
		t.Fatalf("after exp: cached=%v why=%v", cached, why)
	}
}

func TestVerifyRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(&now)
	hs512 := token(t, jwt.MapClaims{"sub": "a"}, jwt.SigningMethodHS512)
	if _, _, why, _ := v.Verify(hs512); why != Algorithm {
		t.Fatalf("HS512 outside the allowlist: %v", why)
	}
	if _, _, why, _ := v.Verify("a.b"); why != Malformed {
		t.Fatalf("two segments: %v", why)
	}
	if _, _, why, _ := v.Verify(string(make([]byte, 9000))); why != TooLarge {
		t.Fatalf("oversized: %v", why)
	}
}

func TestAlgorithms(t *testing.T) {
	for alg, family := range map[string]string{"HS256": "HMAC", "PS512": "RSA", "ES384": "EC", "EdDSA": "EdDSA", "none": "", "HS257": ""} {
		if got := Family(alg); got != family {
			t.Errorf("Family(%s) = %q, want %q", alg, got, family)
		}
	}
	for _, bad := range []string{"none", "NONE", "nOnE", "HS257"} {
		if CheckAlgorithm(bad) == nil {
			t.Errorf("CheckAlgorithm(%q) accepted it", bad)
		}
	}
	if Classify(errors.Join(jwt.ErrTokenExpired)) != Expired || Classify(errors.New("other")) != Invalid {
		t.Fatal("Classify")
	}
	for _, r := range Reasons() {
		if r.String() == "" || r.Description() == "" {
			t.Errorf("reason %d has no name or description", r)
		}
	}
}
