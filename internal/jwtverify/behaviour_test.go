package jwtverify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// testKeys are one private key per family and curve, made once per run.
var testKeys = sync.OnceValue(func() (k struct {
	rsa              *rsa.PrivateKey
	p256, p384, p521 *ecdsa.PrivateKey
	ed               ed25519.PrivateKey
}) {
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	for _, c := range []struct {
		dst   **ecdsa.PrivateKey
		curve elliptic.Curve
	}{{&k.p256, elliptic.P256()}, {&k.p384, elliptic.P384()}, {&k.p521, elliptic.P521()}} {
		if *c.dst, err = ecdsa.GenerateKey(c.curve, rand.Reader); err != nil {
			panic(err)
		}
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	return k
})

var t0 = time.Unix(1_800_000_000, 0)

// fixedClock is a clock the test moves.
type fixedClock struct{ ns atomic.Int64 }

func newClock() *fixedClock               { c := new(fixedClock); c.ns.Store(t0.UnixNano()); return c }
func (c *fixedClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *fixedClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// sign makes a token of claims with method and key, with the header fields
// given.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// allAlgorithms allows every algorithm this package knows.
func allAlgorithms() map[string]bool {
	m := map[string]bool{}
	for _, fam := range [][]string{HMACAlgorithms, RSAAlgorithms, ECAlgorithms, EdDSAAlgorithms} {
		for _, a := range fam {
			m[a] = true
		}
	}
	return m
}

// verifier returns a verifier of cfg on clock c, preparing the sub claim.
func verifier(c *fixedClock, cfg Config[string]) *Verifier[string] {
	if cfg.MaxTokenSize == 0 {
		cfg.MaxTokenSize = 16 << 10
	}
	if cfg.Allowed == nil {
		cfg.Allowed = allAlgorithms()
	}
	cfg.Now = c.now
	cfg.Prepare = func(m jwt.MapClaims) string { s, _ := m["sub"].(string); return s }
	return New(cfg)
}

func pemKeys() map[string][]jwt.VerificationKey {
	k := testKeys()
	return map[string][]jwt.VerificationKey{
		"RSA":   {&k.rsa.PublicKey},
		"EC":    {&k.p256.PublicKey, &k.p384.PublicKey, &k.p521.PublicKey},
		"EdDSA": {k.ed.Public()},
	}
}

func TestEveryAlgorithmVerifies(t *testing.T) {
	k := testKeys()
	c := newClock()
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}, PEM: pemKeys()}})
	cases := []struct {
		method jwt.SigningMethod
		key    any
	}{
		{jwt.SigningMethodHS256, secret}, {jwt.SigningMethodHS384, secret}, {jwt.SigningMethodHS512, secret},
		{jwt.SigningMethodRS256, k.rsa}, {jwt.SigningMethodRS384, k.rsa}, {jwt.SigningMethodRS512, k.rsa},
		{jwt.SigningMethodPS256, k.rsa}, {jwt.SigningMethodPS384, k.rsa}, {jwt.SigningMethodPS512, k.rsa},
		{jwt.SigningMethodES256, k.p256}, {jwt.SigningMethodES384, k.p384}, {jwt.SigningMethodES512, k.p521},
		{jwt.SigningMethodEdDSA, k.ed},
	}
	for _, tc := range cases {
		alg := tc.method.Alg()
		tok := sign(t, tc.method, tc.key, jwt.MapClaims{"sub": alg}, nil)
		if sub, _, why, err := v.Verify(tok); sub != alg || why != 0 {
			t.Errorf("%s: %q %v %v", alg, sub, why, err)
		}
		// and a token of that algorithm whose signature is not the key's
		parts := strings.Split(tok, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sig[len(sig)/2] ^= 1
		bad := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
		if _, _, why, _ := v.Verify(bad); why != Signature {
			t.Errorf("%s with a flipped signature bit: %v, want signature", alg, why)
		}
	}
}

func TestAllowlistIsCheckedBeforeTheKey(t *testing.T) {
	k := testKeys()
	c := newClock()
	// the key could verify RS256, but only PS256 is allowed
	v := verifier(c, Config[string]{Keys: Keys{PEM: pemKeys()}, Allowed: map[string]bool{"PS256": true}})
	if _, _, why, _ := v.Verify(sign(t, jwt.SigningMethodRS256, k.rsa, jwt.MapClaims{}, nil)); why != Algorithm {
		t.Fatalf("RS256 outside the allowlist: %v, want algorithm", why)
	}
	if _, _, why, _ := v.Verify(sign(t, jwt.SigningMethodPS256, k.rsa, jwt.MapClaims{}, nil)); why != 0 {
		t.Fatalf("PS256: %v", why)
	}
}

func TestNoneIsNeverAccepted(t *testing.T) {
	c := newClock()
	// even by a verifier told to allow it, with every kind of key
	allowed := allAlgorithms()
	allowed["none"] = true
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}, PEM: pemKeys()}, Allowed: allowed})
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "admin"}, nil)
	if sub, _, why, _ := v.Verify(none); why == 0 || sub != "" {
		t.Fatalf("alg none was accepted (%q)", sub)
	}
	// other spellings, which golang-jwt does not know
	for _, alg := range []string{"NONE", "None", "nOnE"} {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","typ":"JWT"}`))
		p := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`))
		if _, _, why, _ := v.Verify(h + "." + p + "."); why != Algorithm {
			t.Errorf("alg %s: %v, want algorithm", alg, why)
		}
	}
}

func TestHMACNeverMeetsAPublicKey(t *testing.T) {
	k := testKeys()
	c := newClock()
	der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	// the classic confusion: an HS256 token whose secret is the public key,
	// sent to a gateway that knows that public key
	for _, forged := range []string{
		sign(t, jwt.SigningMethodHS256, pubPEM, jwt.MapClaims{"sub": "admin"}, nil),
		sign(t, jwt.SigningMethodHS256, der, jwt.MapClaims{"sub": "admin"}, nil),
	} {
		// with a secret of its own: the forged token meets only that
		v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}, PEM: pemKeys()}})
		if _, _, why, _ := v.Verify(forged); why != Signature {
			t.Errorf("HS256 signed with the public key, secret configured: %v, want signature", why)
		}
		// with no secret at all, HMAC allowed all the same: still no key
		v = verifier(c, Config[string]{Keys: Keys{PEM: pemKeys()}})
		if sub, _, why, _ := v.Verify(forged); why == 0 || sub != "" {
			t.Errorf("HS256 signed with the public key, no secret: accepted")
		}
	}
	// and the other way: an RS256 token meets no secret
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}}})
	if _, _, why, _ := v.Verify(sign(t, jwt.SigningMethodRS256, k.rsa, jwt.MapClaims{}, nil)); why != UnknownKey {
		t.Fatalf("RS256 with only a secret: %v, want unknown_key", why)
	}
}

func TestSecretsByKid(t *testing.T) {
	c := newClock()
	old, cur := []byte("the-old-secret-of-at-least-32-bytes!!"), []byte("the-new-secret-of-at-least-32-bytes!!")
	v := verifier(c, Config[string]{Keys: Keys{
		Secrets:      [][]byte{old, cur},
		SecretsByKid: map[string][]byte{"old": old, "new": cur},
	}})
	for _, tc := range []struct {
		name string
		key  []byte
		kid  any
		want Reason
	}{
		{"kid new, new secret", cur, "new", 0},
		{"kid old, old secret", old, "old", 0},
		// a kid that names a secret is held to it
		{"kid new, old secret", old, "new", Signature},
		// without a kid, or with one naming nothing, any secret will do
		{"no kid, old secret", old, nil, 0},
		{"unknown kid, new secret", cur, "v3", 0},
		{"kid not a string", cur, 7, 0},
		{"no kid, another secret", []byte("not-one-of-ours-but-at-least-32-bytes"), nil, Signature},
	} {
		h := map[string]any{}
		if tc.kid != nil {
			h["kid"] = tc.kid
		}
		if _, _, why, err := v.Verify(sign(t, jwt.SigningMethodHS256, tc.key, jwt.MapClaims{}, h)); why != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.name, why, err, tc.want)
		}
	}
}

func TestSeveralPublicKeysOfAFamily(t *testing.T) {
	c := newClock()
	a, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	v := verifier(c, Config[string]{Keys: Keys{PEM: map[string][]jwt.VerificationKey{"EC": {&a.PublicKey, &b.PublicKey}}}})
	for _, key := range []*ecdsa.PrivateKey{a, b} {
		if _, _, why, err := v.Verify(sign(t, jwt.SigningMethodES256, key, jwt.MapClaims{}, nil)); why != 0 {
			t.Fatalf("a configured key: %v %v", why, err)
		}
	}
	if _, _, why, _ := v.Verify(sign(t, jwt.SigningMethodES256, other, jwt.MapClaims{}, nil)); why != Signature {
		t.Fatalf("another key: %v, want signature", why)
	}
	// a family without keys
	if _, _, why, _ := v.Verify(sign(t, jwt.SigningMethodEdDSA, testKeys().ed, jwt.MapClaims{}, nil)); why != UnknownKey {
		t.Fatalf("EdDSA without an EdDSA key: %v, want unknown_key", why)
	}
}

// jwks is a JWKS holding Ed25519 public keys by kid.
func jwks(t *testing.T, keys map[string]ed25519.PublicKey) keyfunc.Keyfunc {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	set.Keys = []map[string]string{}
	for kid, pub := range keys {
		set.Keys = append(set.Keys, map[string]string{"kty": "OKP", "crv": "Ed25519", "kid": kid, "alg": "EdDSA",
			"use": "sig", "x": base64.RawURLEncoding.EncodeToString(pub)})
	}
	raw, _ := json.Marshal(set)
	k, err := keyfunc.NewJWKSetJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestJWKSKeySelection(t *testing.T) {
	c := newClock()
	pubA, privA, _ := ed25519.GenerateKey(rand.Reader)
	_, privPEM, _ := ed25519.GenerateKey(rand.Reader)
	_, privOther, _ := ed25519.GenerateKey(rand.Reader)
	set := jwks(t, map[string]ed25519.PublicKey{"a": pubA})
	onlyJWKS := verifier(c, Config[string]{Keys: Keys{JWKS: set}})
	withPEM := verifier(c, Config[string]{Keys: Keys{JWKS: set,
		PEM: map[string][]jwt.VerificationKey{"EdDSA": {privPEM.Public()}}}})
	for _, tc := range []struct {
		name string
		v    *Verifier[string]
		key  ed25519.PrivateKey
		kid  string
		want Reason
	}{
		{"kid a", onlyJWKS, privA, "a", 0},
		{"kid a, signed by another key", onlyJWKS, privOther, "a", Signature},
		{"unknown kid, no PEM key", onlyJWKS, privA, "zz", UnknownKey},
		{"no kid: every key of the set", onlyJWKS, privA, "", 0},
		{"no kid, another key", onlyJWKS, privOther, "", Signature},
		{"unknown kid, the PEM key", withPEM, privPEM, "zz", 0},
		{"no kid, the PEM key", withPEM, privPEM, "", 0},
		{"no kid, the JWKS key beside PEM", withPEM, privA, "", 0},
	} {
		h := map[string]any{}
		if tc.kid != "" {
			h["kid"] = tc.kid
		}
		if _, _, why, err := tc.v.Verify(sign(t, jwt.SigningMethodEdDSA, tc.key, jwt.MapClaims{}, h)); why != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.name, why, err, tc.want)
		}
	}
	// an empty set and no PEM key: nothing to verify with
	empty := verifier(c, Config[string]{Keys: Keys{JWKS: jwks(t, nil)}})
	if _, _, why, _ := empty.Verify(sign(t, jwt.SigningMethodEdDSA, privA, jwt.MapClaims{}, nil)); why != UnknownKey {
		t.Fatalf("empty JWKS: %v, want unknown_key", why)
	}
}

func TestTimeClaimsWithLeeway(t *testing.T) {
	c := newClock()
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}}, Leeway: 30 * time.Second})
	now := t0.Unix()
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
		want   Reason
	}{
		{"exp ahead", jwt.MapClaims{"exp": now + 60}, 0},
		{"exp 29s ago, in the leeway", jwt.MapClaims{"exp": now - 29}, 0},
		{"exp 31s ago", jwt.MapClaims{"exp": now - 31}, Expired},
		{"nbf 29s ahead, in the leeway", jwt.MapClaims{"nbf": now + 29}, 0},
		{"nbf 31s ahead", jwt.MapClaims{"nbf": now + 31}, NotYetValid},
		{"iat 29s ahead, in the leeway", jwt.MapClaims{"iat": now + 29}, 0},
		{"iat 31s ahead", jwt.MapClaims{"iat": now + 31}, IssuedInFuture},
		{"iat past", jwt.MapClaims{"iat": now - 3600}, 0},
		{"no time claims", jwt.MapClaims{}, 0},
		{"exp not a number", jwt.MapClaims{"exp": "tomorrow"}, Invalid},
	} {
		if _, _, why, err := v.Verify(sign(t, jwt.SigningMethodHS256, secret, tc.claims, nil)); why != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.name, why, err, tc.want)
		}
	}
	// no leeway: a second late is late
	strict := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}}})
	if _, _, why, _ := strict.Verify(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": now - 1}, nil)); why != Expired {
		t.Fatalf("no leeway, exp 1s ago: %v", why)
	}
}

func TestIssuerAudienceAndRequiredClaims(t *testing.T) {
	c := newClock()
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}},
		Issuers: []string{"https://idp.example", "https://idp2.example"}, Audiences: []string{"api", "admin"},
		Require: []string{"sub", "exp"}})
	exp := t0.Unix() + 60
	good := jwt.MapClaims{"iss": "https://idp2.example", "aud": "api", "sub": "u", "exp": exp}
	with := func(k string, val any) jwt.MapClaims {
		m := jwt.MapClaims{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if val == nil {
			delete(m, k)
		} else {
			m[k] = val
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
		want   Reason
	}{
		{"all good", good, 0},
		{"audience in a list", with("aud", []string{"other", "admin"}), 0},
		{"another issuer", with("iss", "https://evil.example"), Issuer},
		{"issuer differing in case", with("iss", "https://IDP.example"), Issuer},
		{"no issuer", with("iss", nil), Issuer},
		{"issuer not a string", with("iss", 5), Issuer},
		{"another audience", with("aud", "web"), Audience},
		// golang-jwt reports a missing aud as a missing required claim,
		// which Classify does not map: the client is told "invalid"
		{"no audience", with("aud", nil), Invalid},
		{"audience list without ours", with("aud", []string{"web", "cli"}), Audience},
		{"no sub", with("sub", nil), MissingClaim},
		{"no exp", with("exp", nil), MissingClaim},
	} {
		if _, _, why, err := v.Verify(sign(t, jwt.SigningMethodHS256, secret, tc.claims, nil)); why != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.name, why, err, tc.want)
		}
	}
}

func TestMalformedTokens(t *testing.T) {
	c := newClock()
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}}, MaxTokenSize: 1000})
	good := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "u"}, nil)
	parts := strings.Split(good, ".")
	for name, tok := range map[string]string{
		"empty":            "",
		"one segment":      "abc",
		"four segments":    good + ".x",
		"header not JSON":  base64.RawURLEncoding.EncodeToString([]byte("nope")) + "." + parts[1] + "." + parts[2],
		"payload not JSON": parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + "." + parts[2],
		"padded base64":    parts[0] + "=." + parts[1] + "." + parts[2],
	} {
		if _, _, why, _ := v.Verify(tok); why != Malformed {
			t.Errorf("%s: %v, want malformed", name, why)
		}
	}
	if _, _, why, _ := v.Verify(strings.Repeat("a", 1001)); why != TooLarge {
		t.Errorf("1001 bytes: %v, want too_large", why)
	}
}

func TestCacheBoundsAndExpiry(t *testing.T) {
	c := newClock()
	var prepared atomic.Int64
	v := New(Config[string]{
		Keys: Keys{Secrets: [][]byte{secret}}, Allowed: allAlgorithms(), MaxTokenSize: 64 << 10,
		CacheSize: 64, Now: c.now,
		Prepare: func(m jwt.MapClaims) string { prepared.Add(1); s, _ := m["sub"].(string); return s },
	})
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "u"}, nil)
	for i := range 3 {
		if _, cached, why, _ := v.Verify(tok); why != 0 || cached != (i > 0) {
			t.Fatalf("verification %d: cached %v, %v", i+1, cached, why)
		}
	}
	if prepared.Load() != 1 {
		t.Fatalf("Prepare ran %d times for one token, want once", prepared.Load())
	}
	// trusted from the cache for at most CacheMaxAge
	c.add(CacheMaxAge - time.Nanosecond)
	if _, cached, _, _ := v.Verify(tok); !cached {
		t.Fatal("not cached just before CacheMaxAge")
	}
	c.add(time.Nanosecond)
	if _, cached, why, _ := v.Verify(tok); cached || why != 0 {
		t.Fatalf("at CacheMaxAge: cached %v, %v; want verified again", cached, why)
	}
	// never past exp plus the leeway
	exp := c.now().Add(10 * time.Second).Unix()
	short := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": exp}, nil)
	v.Verify(short)
	c.add(10 * time.Second)
	if _, cached, why, _ := v.Verify(short); cached || why != Expired {
		t.Fatalf("at exp: cached %v, %v; want expired", cached, why)
	}
	// a failed token is never cached
	bad := sign(t, jwt.SigningMethodHS256, []byte("not-the-secret-but-32-bytes-long!!"), jwt.MapClaims{}, nil)
	for range 2 {
		if _, cached, why, _ := v.Verify(bad); cached || why != Signature {
			t.Fatalf("a bad token: cached %v, %v", cached, why)
		}
	}
	// a token over MaxCachedTokenSize is verified every time
	big := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"pad": strings.Repeat("x", MaxCachedTokenSize)}, nil)
	v.Verify(big)
	if _, cached, why, _ := v.Verify(big); cached || why != 0 {
		t.Fatalf("a large token: cached %v, %v", cached, why)
	}
	// the cache holds at most its size (rounded up to whole shards)
	for i := range 1000 {
		v.Verify(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"n": i}, nil))
	}
	if n := v.Len(); n > 64 || n < 32 {
		t.Fatalf("a cache of 64 holds %d tokens", n)
	}
	// expired entries make room before live ones
	c.add(2 * CacheMaxAge)
	v.Verify(tok)
	if _, cached, _, _ := v.Verify(tok); !cached {
		t.Fatal("a token verified after the others expired was not cached")
	}
}

func TestNoCache(t *testing.T) {
	c := newClock()
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}}})
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{}, nil)
	v.Verify(tok)
	if _, cached, _, _ := v.Verify(tok); cached || v.Len() != 0 {
		t.Fatal("a verifier without a cache cached")
	}
}

func TestConcurrentVerify(t *testing.T) {
	c := newClock()
	v := verifier(c, Config[string]{Keys: Keys{Secrets: [][]byte{secret}}, CacheSize: 32})
	toks := make([]string, 50)
	for i := range toks {
		toks[i] = sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": fmt.Sprint(i)}, nil)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				n := (i + w) % len(toks)
				if sub, _, why, err := v.Verify(toks[n]); why != 0 || sub != fmt.Sprint(n) {
					t.Errorf("token %d: %q %v %v", n, sub, why, err)
					return
				}
				if i%50 == 0 {
					v.Len()
				}
			}
		}()
	}
	wg.Wait()
}

// writePEM writes a PEM block to a file of the test's.
func writePEM(t *testing.T, typ string, der []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func pkixDER(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestLoadPublicKey(t *testing.T) {
	k := testKeys()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: t0, NotAfter: t0.Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.p384.Public(), k.p384)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file string
		algs string
		pub  crypto.PublicKey
	}{
		{"RSA PUBLIC KEY", writePEM(t, "PUBLIC KEY", pkixDER(t, &k.rsa.PublicKey)), "RS256 RS384 RS512 PS256 PS384 PS512", &k.rsa.PublicKey},
		{"PKCS#1", writePEM(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)), "RS256 RS384 RS512 PS256 PS384 PS512", &k.rsa.PublicKey},
		{"P-256", writePEM(t, "PUBLIC KEY", pkixDER(t, &k.p256.PublicKey)), "ES256", &k.p256.PublicKey},
		{"P-521", writePEM(t, "PUBLIC KEY", pkixDER(t, &k.p521.PublicKey)), "ES512", &k.p521.PublicKey},
		{"certificate, P-384", writePEM(t, "CERTIFICATE", cert), "ES384", &k.p384.PublicKey},
		{"Ed25519", writePEM(t, "PUBLIC KEY", pkixDER(t, k.ed.Public())), "EdDSA", k.ed.Public()},
	} {
		key, algs, err := LoadPublicKey(tc.file)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := strings.Join(algs, " "); got != tc.algs {
			t.Errorf("%s: algorithms %s, want %s", tc.name, got, tc.algs)
		}
		if eq, ok := key.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(tc.pub) {
			t.Errorf("%s: another key", tc.name)
		}
	}

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	privDER, _ := x509.MarshalPKCS8PrivateKey(k.p256)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	os.WriteFile(garbage, []byte("not a PEM file"), 0o600)
	for _, tc := range []struct {
		name, file, says string
	}{
		{"missing file", filepath.Join(t.TempDir(), "nope.pem"), "no such file"},
		{"not PEM", garbage, "no PEM block"},
		{"a private key", writePEM(t, "PRIVATE KEY", privDER), "pubout"},
		{"an unknown block", writePEM(t, "CERTIFICATE REQUEST", []byte{1}), "unsupported PEM block"},
		{"broken DER", writePEM(t, "PUBLIC KEY", []byte{1, 2, 3}), "public_key"},
		{"RSA of 1024 bits", writePEM(t, "PUBLIC KEY", pkixDER(t, &small.PublicKey)), "at least 2048"},
		{"P-224", writePEM(t, "PUBLIC KEY", pkixDER(t, &p224.PublicKey)), "unsupported curve"},
	} {
		if _, _, err := LoadPublicKey(tc.file); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.says)
		}
	}
}

func TestClassify(t *testing.T) {
	for err, want := range map[error]Reason{
		errAlgorithm:                 Algorithm,
		errUnknownKey:                UnknownKey,
		jwt.ErrTokenMalformed:        Malformed,
		jwt.ErrTokenUnverifiable:     Algorithm,
		jwt.ErrTokenSignatureInvalid: Signature,
		jwt.ErrTokenExpired:          Expired,
		jwt.ErrTokenNotValidYet:      NotYetValid,
		jwt.ErrTokenUsedBeforeIssued: IssuedInFuture,
		jwt.ErrTokenInvalidAudience:  Audience,
		jwt.ErrTokenInvalidIssuer:    Invalid,
	} {
		if got := Classify(fmt.Errorf("wrapped: %w", err)); got != want {
			t.Errorf("Classify(%v) = %v, want %v", err, got, want)
		}
	}
	names := map[string]bool{}
	for _, r := range Reasons() {
		if names[r.String()] {
			t.Errorf("two reasons are named %s", r)
		}
		names[r.String()] = true
	}
	if len(names) != int(Ambiguous) {
		t.Errorf("%d reasons, want %d", len(names), Ambiguous)
	}
}
