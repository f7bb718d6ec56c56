package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeProvider serves discovery and a key set that tests change.
type fakeProvider struct {
	srv       *httptest.Server
	issuer    string // what the metadata says; "" = the server's URL
	mu        sync.Mutex
	keys      []map[string]any
	down      atomic.Bool
	jwksCalls atomic.Int64
	oversize  atomic.Bool
}

func newFakeProvider(t *testing.T) *fakeProvider {
	p := &fakeProvider{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		switch r.URL.Path {
		case WellKnownPath:
			iss := p.issuer
			if iss == "" {
				iss = p.srv.URL
			}
			doc := map[string]any{"issuer": iss, "jwks_uri": p.srv.URL + "/jwks"}
			if p.oversize.Load() {
				doc["padding"] = strings.Repeat("x", MaxDiscoveryBytes)
			}
			_ = json.NewEncoder(w).Encode(doc)
		case "/jwks":
			p.jwksCalls.Add(1)
			p.mu.Lock()
			defer p.mu.Unlock()
			_ = json.NewEncoder(w).Encode(map[string]any{"keys": p.keys})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeProvider) setKeys(keys ...map[string]any) {
	p.mu.Lock()
	p.keys = keys
	p.mu.Unlock()
}

type signer struct {
	kid string
	key *rsa.PrivateKey
}

func newSigner(t testing.TB, kid string) signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, key: k}
}

func (s signer) jwk() map[string]any {
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "RSA", "kid": s.kid, "use": "sig", "alg": "RS256",
		"n": b64(s.key.N.Bytes()), "e": b64(big.NewInt(int64(s.key.E)).Bytes())}
}

func (s signer) token(t testing.TB) *jwt.Token {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "u"})
	tok.Header["kid"] = s.kid
	raw, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newKeySet(p *fakeProvider, clock *fakeClock) *KeySet {
	return NewKeySet(KeySetConfig{Issuer: p.srv.URL, Cooldown: time.Minute, Now: clock.Now})
}

func TestKeySetFetchesAndFindsKeysByKid(t *testing.T) {
	p := newFakeProvider(t)
	a := newSigner(t, "a")
	p.setKeys(a.jwk())
	ks := newKeySet(p, &fakeClock{now: time.Unix(1e9, 0)})
	// no fetch yet (a provider down at start): the first token fetches
	key, err := ks.Keyfunc(a.token(t))
	if err != nil || !a.key.PublicKey.Equal(key) {
		t.Fatalf("key %v, %v", key, err)
	}
	st := ks.Status()
	if st.Keys != 1 || st.JWKSURI != p.srv.URL+"/jwks" || st.LastError != "" {
		t.Fatalf("status %+v", st)
	}
}

func TestKeySetUnknownKidRefetchesOncePerCooldown(t *testing.T) {
	p := newFakeProvider(t)
	a, b, c := newSigner(t, "a"), newSigner(t, "b"), newSigner(t, "c")
	p.setKeys(a.jwk())
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	ks := newKeySet(p, clock)
	if err := ks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// the provider rotates: b replaces a
	p.setKeys(b.jwk())
	gen := ks.Generation()
	if _, err := ks.Keyfunc(b.token(t)); err != nil {
		t.Fatalf("new kid after a refetch: %v", err)
	}
	if got := p.jwksCalls.Load(); got != 2 {
		t.Fatalf("%d key set fetches, want 2 (start, one refetch)", got)
	}
	if ks.Generation() == gen {
		t.Fatal("a removed key did not change the generation")
	}
	// the old key is gone, and within the cooldown no kid makes a fetch
	for _, s := range []signer{a, c, c} {
		if _, err := ks.Keyfunc(s.token(t)); !errors.Is(err, ErrUnknownKid) {
			t.Fatalf("kid %s: %v", s.kid, err)
		}
	}
	if got := p.jwksCalls.Load(); got != 2 {
		t.Fatalf("%d fetches within the cooldown, want 2", got)
	}
	p.setKeys(b.jwk(), c.jwk())
	clock.Add(time.Minute)
	if _, err := ks.Keyfunc(c.token(t)); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
	if got := p.jwksCalls.Load(); got != 3 {
		t.Fatalf("%d fetches, want 3", got)
	}
}

func TestKeySetConcurrentUnknownKidsShareOneRefetch(t *testing.T) {
	p := newFakeProvider(t)
	a, b := newSigner(t, "a"), newSigner(t, "b")
	p.setKeys(a.jwk())
	ks := newKeySet(p, &fakeClock{now: time.Unix(1e9, 0)})
	if err := ks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.setKeys(a.jwk(), b.jwk())
	tok := b.token(t)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ks.Keyfunc(tok); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := p.jwksCalls.Load(); got != 2 {
		t.Fatalf("%d fetches for 50 concurrent unknown kids, want 2", got)
	}
	if failed.Load() != 0 {
		t.Fatalf("%d requests failed", failed.Load())
	}
}

func TestKeySetProviderDownKeepsLastGoodKeys(t *testing.T) {
	p := newFakeProvider(t)
	a := newSigner(t, "a")
	p.setKeys(a.jwk())
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	var kept []bool
	ks := NewKeySet(KeySetConfig{Issuer: p.srv.URL, Now: clock.Now, OnRefresh: func(err error, keptOld bool) {
		if err != nil {
			kept = append(kept, keptOld)
		}
	}})
	if err := ks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.down.Store(true)
	clock.Add(time.Hour)
	if err := ks.Refresh(context.Background()); err == nil {
		t.Fatal("a refresh from a provider that is down succeeded")
	}
	if _, err := ks.Keyfunc(a.token(t)); err != nil {
		t.Fatalf("the last good key: %v", err)
	}
	st := ks.Status()
	if st.LastError == "" || !st.LastErrorAt.Equal(clock.Now()) || !st.LastSuccess.Equal(time.Unix(1e9, 0)) || st.Keys != 1 {
		t.Fatalf("status %+v", st)
	}
	if len(kept) != 1 || !kept[0] {
		t.Fatalf("OnRefresh kept = %v", kept)
	}
}

func TestKeySetRefusesWhatItShouldNot(t *testing.T) {
	a := newSigner(t, "a")
	tests := map[string]func(p *fakeProvider){
		"issuer mismatch": func(p *fakeProvider) { p.issuer = "https://evil.example" },
		"oversize":        func(p *fakeProvider) { p.oversize.Store(true) },
		"too many keys": func(p *fakeProvider) {
			keys := make([]map[string]any, MaxKeys+1)
			for i := range keys {
				keys[i] = a.jwk()
				keys[i]["kid"] = fmt.Sprint(i)
			}
			p.setKeys(keys...)
		},
		"no usable key": func(p *fakeProvider) {
			k := a.jwk()
			k["use"] = "enc"
			p.setKeys(k, map[string]any{"kty": "oct", "k": "c2VjcmV0"})
		},
	}
	for name, setup := range tests {
		t.Run(name, func(t *testing.T) {
			p := newFakeProvider(t)
			p.setKeys(a.jwk())
			setup(p)
			ks := newKeySet(p, &fakeClock{now: time.Unix(1e9, 0)})
			err := ks.Refresh(context.Background())
			if err == nil {
				t.Fatal("accepted")
			}
			if name == "issuer mismatch" && !errors.Is(err, ErrIssuerMismatch) {
				t.Fatalf("error %v", err)
			}
			if _, err := ks.Keyfunc(a.token(t)); err == nil {
				t.Fatal("a key from a refused fetch")
			}
		})
	}
}

func TestKeyOfAnotherAlgorithmIsRefused(t *testing.T) {
	p := newFakeProvider(t)
	a := newSigner(t, "a")
	k := a.jwk()
	k["alg"] = "PS256"
	p.setKeys(k)
	ks := newKeySet(p, &fakeClock{now: time.Unix(1e9, 0)})
	if err := ks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Keyfunc(a.token(t)); !errors.Is(err, ErrKeyAlg) {
		t.Fatalf("RS256 token, PS256 key: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://idp.example/realms/x": true,
		"http://127.0.0.1:8080":        true,
		"http://localhost:9000/":       true,
		"http://[::1]:80":              true,
		"http://idp.example":           false,
		"ftp://idp.example":            false,
		"idp.example":                  false,
		"https://u:p@idp.example":      false,
		"https://idp.example/?a=b":     false,
		"https://idp.example/#x":       false,
	} {
		if err := CheckURL("issuer", u); (err == nil) != ok {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func FuzzParseKeySet(f *testing.F) {
	a := newSigner(f, "a")
	good, _ := json.Marshal(map[string]any{"keys": []any{a.jwk()}})
	f.Add(good)
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		table, err := parseKeySet(b)
		if err == nil && (len(table.all) == 0 || len(table.all) > MaxKeys) {
			t.Fatalf("%d keys accepted", len(table.all))
		}
	})
}
