package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/jwtverify"
)

// testKeys are generated once per test run.
type testKeys struct {
	rsa, rsaOther       *rsa.PrivateKey
	ec256, ec384, ec521 *ecdsa.PrivateKey
	ed                  ed25519.PrivateKey
	dir                 string // PEM files of the public keys
}

var (
	keysOnce sync.Once
	keys     testKeys
)

const testSecret = "a-test-secret-that-is-32-bytes-or-more"

func getKeys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		var err error
		keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		keys.rsaOther, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		keys.ec256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		keys.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(err)
		keys.ec521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		must(err)
		_, keys.ed, err = ed25519.GenerateKey(rand.Reader)
		must(err)
		keys.dir, err = os.MkdirTemp("", "jwt-keys-")
		must(err)
		for name, pub := range map[string]any{
			"rsa.pem": &keys.rsa.PublicKey, "ec256.pem": &keys.ec256.PublicKey, "ec384.pem": &keys.ec384.PublicKey,
			"ec521.pem": &keys.ec521.PublicKey, "ed.pem": keys.ed.Public(),
		} {
			der, err := x509.MarshalPKIXPublicKey(pub)
			must(err)
			must(os.WriteFile(filepath.Join(keys.dir, name), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600))
		}
	})
	return keys
}

func (k testKeys) pem(name string) string { return filepath.Join(k.dir, name) }

func (k testKeys) pemBytes(t testing.TB, name string) []byte {
	b, err := os.ReadFile(k.pem(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign makes a token with golang-jwt.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
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

// craft assembles a token by hand from a header, claims and a signature
// function, so that an attack is exactly what it says.
func craft(t testing.TB, header, claims map[string]any, sig func(input string) []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig(input))
}

func hmacSig(method *jwt.SigningMethodHMAC, key []byte) func(string) []byte {
	return func(input string) []byte {
		s, err := method.Sign(input, key)
		if err != nil {
			panic(err)
		}
		return s
	}
}

var fixedNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "user-42", "iss": "my_issuer", "aud": "gateway", "role": "admin",
		"iat": fixedNow.Add(-time.Minute).Unix(), "nbf": fixedNow.Add(-time.Minute).Unix(), "exp": fixedNow.Add(time.Hour).Unix(),
	}
}

// newJWT provisions and validates a handler as Caddy would, with its clock
// at fixedNow unless the test moves it.
func newJWT(t testing.TB, j *JWTAuth) *JWTAuth {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	now := fixedNow
	var mu sync.Mutex
	j.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	if err := j.Provision(ctx); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	j.logger = zap.NewNop() // Caddy's development logger, without a config, prints every refusal
	if err := j.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	t.Cleanup(func() { _ = j.Cleanup() })
	return j
}

func setClock(j *JWTAuth, now time.Time) { j.now = func() time.Time { return now } }

// result is what a handler did with a request.
type result struct {
	code     int
	header   http.Header
	body     map[string]string
	passed   bool        // the next handler ran
	upstream http.Header // the request's headers as the next handler saw them
	repl     *caddy.Replacer
}

// serveJWT runs j on r and fails the test (t.Fatal) when it returns an
// error or a body that is not JSON; from another goroutine, use tryServeJWT.
func serveJWT(t testing.TB, j *JWTAuth, r *http.Request) result {
	t.Helper()
	res, err := tryServeJWT(j, r)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// tryServeJWT runs j on r, returning what it did, or an error when it
// returned one or wrote a body that is not JSON.
func tryServeJWT(j *JWTAuth, r *http.Request) (result, error) {
	repl := caddyhttp.NewTestReplacer(r)
	r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
	rec := httptest.NewRecorder()
	res := result{repl: repl}
	err := j.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		res.passed = true
		res.upstream = r.Header.Clone()
		w.WriteHeader(http.StatusOK)
		return nil
	}))
	if err != nil {
		return res, fmt.Errorf("ServeHTTP returned %v", err)
	}
	res.code, res.header = rec.Code, rec.Header()
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			return res, fmt.Errorf("body is not JSON: %q", rec.Body)
		}
	}
	return res, nil
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest("GET", "/hello_service", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func TestJWTAcceptsAValidToken(t *testing.T) {
	j := newJWT(t, &JWTAuth{Secret: testSecret, Issuers: []string{"my_issuer"}, Audiences: []string{"gateway"},
		Require: []string{"exp", "sub"}, ClaimHeaders: []ClaimHeader{{Claim: "sub", Header: "X-User-Id"}, {Claim: "role", Header: "x-role"}}})
	claims := validClaims()
	claims["groups"] = []any{"a", "b"}
	claims["n"] = 1234567890
	token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), claims, nil)

	for name, r := range map[string]*http.Request{
		"Bearer": bearer(token),
		"bearer in lower case": func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "bearer  "+token)
			return r
		}(),
		"a bare token, as the seed's client sends it": func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", token)
			return r
		}(),
	} {
		r.Header.Set("X-User-Id", "forged")
		res := serveJWT(t, j, r)
		if !res.passed || res.code != http.StatusOK {
			t.Fatalf("%s: %d %v", name, res.code, res.body)
		}
		for ph, want := range map[string]string{
			"http.auth.user.id": "user-42", "http.auth.user.sub": "user-42", "http.auth.user.role": "admin",
			"http.auth.user.iss": "my_issuer", "http.auth.user.groups": "a,b", "http.auth.user.n": "1234567890",
		} {
			if got, _ := res.repl.GetString(ph); got != want {
				t.Errorf("%s: {%s} = %q, want %q", name, ph, got, want)
			}
		}
		if got := res.upstream.Values("X-User-Id"); len(got) != 1 || got[0] != "user-42" {
			t.Errorf("%s: X-User-Id upstream = %q, want only the claim", name, got)
		}
		if got := res.upstream.Get("X-Role"); got != "admin" {
			t.Errorf("%s: X-Role upstream = %q", name, got)
		}
	}
}

func TestJWTTokenSources(t *testing.T) {
	token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims(), nil)
	j := newJWT(t, &JWTAuth{Secret: testSecret, From: []TokenSource{
		{Type: "cookie", Name: "session"}, {Type: "query", Name: "access_token"}, {Type: "header", Name: "x-api-token"},
	}})
	for name, r := range map[string]*http.Request{
		"cookie": func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Cookie", "theme=dark; session="+token+"; x=1")
			return r
		}(),
		"query": httptest.NewRequest("GET", "/?a=1&access_token="+token, nil),
		"header": func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("X-Api-Token", token)
			return r
		}(),
	} {
		if res := serveJWT(t, j, r); !res.passed {
			t.Errorf("%s: %d %v", name, res.code, res.body)
		}
	}
	// with sources configured, Authorization is not read
	if res := serveJWT(t, j, bearer(token)); res.passed || res.code != 401 {
		t.Errorf("Authorization read although not configured: %d", res.code)
	}
}

func TestJWTRefusalAnswers(t *testing.T) {
	j := newJWT(t, &JWTAuth{Secret: testSecret, Realm: "gateway", ClaimHeaders: []ClaimHeader{{Claim: "sub", Header: "X-User-Id"}}})

	res := serveJWT(t, j, httptest.NewRequest("GET", "/", nil))
	if res.code != 401 || res.passed || res.header.Get("WWW-Authenticate") != `Bearer realm="gateway"` ||
		res.body["error"] != "unauthorized" || res.header.Get("Content-Type") != "application/json" {
		t.Fatalf("no token: %d %q %v", res.code, res.header.Get("WWW-Authenticate"), res.body)
	}
	claims := validClaims()
	claims["exp"] = fixedNow.Add(-time.Hour).Unix()
	res = serveJWT(t, j, bearer(sign(t, jwt.SigningMethodHS256, []byte(testSecret), claims, nil)))
	want := `Bearer realm="gateway", error="invalid_token", error_description="the token has expired"`
	if res.code != 401 || res.header.Get("WWW-Authenticate") != want || res.body["error"] != "invalid_token" ||
		res.body["error_description"] != "the token has expired" {
		t.Fatalf("expired: %d %q %v", res.code, res.header.Get("WWW-Authenticate"), res.body)
	}
	// a Basic credential is not a bearer token
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth("user", "pass")
	if res := serveJWT(t, j, r); res.code != 401 || res.body["error"] != "unauthorized" {
		t.Fatalf("Basic credentials: %d %v", res.code, res.body)
	}
}

func TestJWTOptionalAndPreflight(t *testing.T) {
	j := newJWT(t, &JWTAuth{Secret: testSecret, Optional: true, ClaimHeaders: []ClaimHeader{{Claim: "sub", Header: "X-User-Id"}}})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-User-Id", "forged")
	res := serveJWT(t, j, r)
	if !res.passed || res.upstream.Get("X-User-Id") != "" {
		t.Fatalf("optional without token: passed=%v X-User-Id=%q", res.passed, res.upstream.Get("X-User-Id"))
	}
	if id, ok := res.repl.Get("http.auth.user.id"); ok {
		t.Fatalf("anonymous request has a user id %v", id)
	}
	if res := serveJWT(t, j, bearer("not.a.token")); res.passed || res.code != 401 {
		t.Fatalf("optional with a bad token: %d", res.code)
	}

	strict := newJWT(t, &JWTAuth{Secret: testSecret})
	pre := httptest.NewRequest("OPTIONS", "/", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	if res := serveJWT(t, strict, pre); !res.passed {
		t.Fatalf("CORS preflight refused: %d", res.code)
	}
	plainOptions := httptest.NewRequest("OPTIONS", "/", nil)
	if res := serveJWT(t, strict, plainOptions); res.passed {
		t.Fatal("an OPTIONS request that is not a preflight passed without a token")
	}
	// a preflight's headers on a request with a body: not a browser's
	// preflight, but a way past authentication (to the WAF's CPU and the
	// upstream) with a body
	for _, te := range []bool{false, true} {
		withBody := httptest.NewRequest("OPTIONS", "/admin/delete-everything", strings.NewReader(`{"q":"x"}`))
		withBody.Header.Set("Origin", "https://app.example")
		withBody.Header.Set("Access-Control-Request-Method", "POST")
		if te {
			withBody.ContentLength, withBody.TransferEncoding = -1, []string{"chunked"}
		}
		if res := serveJWT(t, strict, withBody); res.passed || res.code != 401 {
			t.Fatalf("a preflight with a body (chunked %v) passed without a token: %d", te, res.code)
		}
	}
	// nor with cookies or an Authorization a browser never sends on one
	for _, h := range []http.Header{{"Cookie": {"c0=x; c1=y"}}, {"Authorization": {"Basic eDp5"}}} {
		withCreds := httptest.NewRequest("OPTIONS", "/a?q=1", nil)
		withCreds.Header.Set("Origin", "https://app.example")
		withCreds.Header.Set("Access-Control-Request-Method", "POST")
		maps.Copy(withCreds.Header, h)
		if res := serveJWT(t, strict, withCreds); res.passed || res.code != 401 {
			t.Fatalf("a preflight with %v passed without a token: %d", h, res.code)
		}
	}
}

// TestJWTAttacks is the table of attacks: each must be refused with 401 and
// the reason given.
func TestJWTAttacks(t *testing.T) {
	k := getKeys(t)
	jwksHits := new(atomic.Int64)
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jwksHits.Add(1)
		_, _ = w.Write(jwksJSON(t, map[string]any{"good": &k.rsa.PublicKey}))
	}))
	defer jwksSrv.Close()
	attackerHits := new(atomic.Int64)
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attackerHits.Add(1)
		_, _ = w.Write(jwksJSON(t, map[string]any{"evil": &k.rsaOther.PublicKey}))
	}))
	defer attacker.Close()

	hs256Only := newJWT(t, &JWTAuth{Secret: testSecret, Algorithms: []string{"HS256"}, Issuers: []string{"my_issuer"},
		Audiences: []string{"gateway"}, Require: []string{"sub"}})
	pemOnly := newJWT(t, &JWTAuth{PublicKeys: []string{k.pem("rsa.pem")}})
	both := newJWT(t, &JWTAuth{Secret: testSecret, PublicKeys: []string{k.pem("rsa.pem")}})
	withJWKS := newJWT(t, &JWTAuth{JWKS: []string{jwksSrv.URL}, JWKSCooldown: caddy.Duration(time.Hour)})

	good := sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims(), nil)
	parts := strings.Split(good, ".")
	with := func(change func(jwt.MapClaims)) string {
		c := validClaims()
		change(c)
		return sign(t, jwt.SigningMethodHS256, []byte(testSecret), c, nil)
	}
	pubPEM := k.pemBytes(t, "rsa.pem")
	rsaHeader := func(extra map[string]any) map[string]any {
		h := map[string]any{"alg": "RS256", "typ": "JWT"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	rsaSig := func(key *rsa.PrivateKey) func(string) []byte {
		return func(input string) []byte {
			s, err := jwt.SigningMethodRS256.Sign(input, key)
			if err != nil {
				panic(err)
			}
			return s
		}
	}
	otherJWK, _ := json.Marshal(jwkOf(t, "evil", &k.rsaOther.PublicKey))
	var otherJWKMap map[string]any
	_ = json.Unmarshal(otherJWK, &otherJWKMap)

	type attack struct {
		name    string
		handler *JWTAuth
		token   string
		reason  refusal
	}
	var attacks []attack
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		for _, sig := range []string{"", "c2lnbmF0dXJl"} {
			tok := craft(t, map[string]any{"alg": none, "typ": "JWT"}, validClaims(), func(string) []byte { return nil })
			attacks = append(attacks,
				attack{"alg " + none + " sig " + sig, hs256Only, tok + sig, jwtverify.Algorithm},
				attack{"alg " + none + " against public keys", both, tok + sig, jwtverify.Algorithm})
		}
	}
	attacks = append(attacks, []attack{
		{"HS256 signed with the RSA public key's PEM", pemOnly,
			craft(t, map[string]any{"alg": "HS256", "typ": "JWT"}, validClaims(), hmacSig(jwt.SigningMethodHS256, pubPEM)), jwtverify.Algorithm},
		{"HS256 signed with the RSA public key's PEM, secret also configured", both,
			craft(t, map[string]any{"alg": "HS256", "typ": "JWT"}, validClaims(), hmacSig(jwt.SigningMethodHS256, pubPEM)), jwtverify.Signature},
		{"HS512 where only HS256 is allowed", hs256Only, sign(t, jwt.SigningMethodHS512, []byte(testSecret), validClaims(), nil), jwtverify.Algorithm},
		{"HS256 from another secret", hs256Only, sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), validClaims(), nil), jwtverify.Signature},
		{"RS256 from another key", pemOnly, sign(t, jwt.SigningMethodRS256, k.rsaOther, validClaims(), nil), jwtverify.Signature},
		{"expired", hs256Only, with(func(c jwt.MapClaims) { c["exp"] = fixedNow.Add(-time.Second).Unix() }), jwtverify.Expired},
		{"not yet valid", hs256Only, with(func(c jwt.MapClaims) { c["nbf"] = fixedNow.Add(time.Minute).Unix() }), jwtverify.NotYetValid},
		{"issued in the future", hs256Only, with(func(c jwt.MapClaims) { c["iat"] = fixedNow.Add(time.Minute).Unix() }), jwtverify.IssuedInFuture},
		{"wrong issuer", hs256Only, with(func(c jwt.MapClaims) { c["iss"] = "someone_else" }), jwtverify.Issuer},
		{"no issuer", hs256Only, with(func(c jwt.MapClaims) { delete(c, "iss") }), jwtverify.Issuer},
		{"wrong audience", hs256Only, with(func(c jwt.MapClaims) { c["aud"] = []string{"other", "api"} }), jwtverify.Audience},
		{"required claim missing", hs256Only, with(func(c jwt.MapClaims) { delete(c, "sub") }), jwtverify.MissingClaim},
		{"tampered payload", hs256Only, parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"root","iss":"my_issuer","aud":"gateway"}`)) + "." + parts[2], jwtverify.Signature},
		{"tampered signature", hs256Only, parts[0] + "." + parts[1] + "." + flipChar(parts[2]), jwtverify.Signature},
		{"trailing data after the signature", hs256Only, good + "AA", jwtverify.Malformed},
		{"non-canonical trailing bits in the signature", hs256Only, good[:len(good)-1] + string(good[len(good)-1]^1), jwtverify.Malformed},
		{"a fourth segment", hs256Only, good + ".e30", jwtverify.Malformed},
		{"many dots", hs256Only, strings.Repeat(".", 5000), jwtverify.Malformed},
		{"not base64", hs256Only, "%%%.***.$$$", jwtverify.Malformed},
		{"oversized", hs256Only, good + strings.Repeat("A", defaultMaxTokenSize), jwtverify.TooLarge},
		{"kid with path characters", withJWKS, craft(t, rsaHeader(map[string]any{"kid": "../../../../etc/passwd"}), validClaims(), rsaSig(k.rsa)), jwtverify.UnknownKey},
		{"unknown kid", withJWKS, craft(t, rsaHeader(map[string]any{"kid": "nobody"}), validClaims(), rsaSig(k.rsa)), jwtverify.UnknownKey},
		{"jku pointing at a key server the config does not name", withJWKS,
			craft(t, rsaHeader(map[string]any{"kid": "evil", "jku": attacker.URL}), validClaims(), rsaSig(k.rsaOther)), jwtverify.UnknownKey},
		{"jwk header carrying the attacker's key", withJWKS,
			craft(t, rsaHeader(map[string]any{"kid": "good", "jwk": otherJWKMap}), validClaims(), rsaSig(k.rsaOther)), jwtverify.Signature},
		{"x5u header", pemOnly, craft(t, rsaHeader(map[string]any{"x5u": attacker.URL}), validClaims(), rsaSig(k.rsaOther)), jwtverify.Signature},
		{"HMAC token against a JWKS of public keys", withJWKS,
			craft(t, map[string]any{"alg": "HS256", "kid": "good"}, validClaims(), hmacSig(jwt.SigningMethodHS256, pubPEM)), jwtverify.Algorithm},
	}...)

	for _, a := range attacks {
		res := serveJWT(t, a.handler, bearer(a.token))
		wantDesc := a.reason.Description()
		if res.passed || res.code != 401 || res.body["error_description"] != wantDesc ||
			!strings.Contains(res.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: %d passed=%v %v; want 401 %q", a.name, res.code, res.passed, res.body, wantDesc)
		}
	}
	if n := attackerHits.Load(); n != 0 {
		t.Errorf("the gateway fetched keys from a URL named in a token: %d requests", n)
	}
	// one fetch at start, at most one refetch for all the unknown kids
	if n := jwksHits.Load(); n > 2 {
		t.Errorf("unknown kids made %d JWKS fetches; want at most 2 (start + one per cooldown)", n)
	}
	// the legitimate token of each handler still passes
	for name, h := range map[string]*JWTAuth{"hs256Only": hs256Only, "both": both} {
		if res := serveJWT(t, h, bearer(good)); !res.passed {
			t.Errorf("%s refused a good token: %v", name, res.body)
		}
	}
	if res := serveJWT(t, withJWKS, bearer(craft(t, rsaHeader(map[string]any{"kid": "good"}), validClaims(), rsaSig(k.rsa)))); !res.passed {
		t.Errorf("JWKS handler refused a good token: %v", res.body)
	}
}

func flipChar(s string) string {
	b := []byte(s)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}

func TestJWTCacheHonoursExpiry(t *testing.T) {
	k := getKeys(t)
	j := newJWT(t, &JWTAuth{PublicKeys: []string{k.pem("rsa.pem")}})
	claims := validClaims()
	claims["exp"] = fixedNow.Add(30 * time.Second).Unix()
	token := sign(t, jwt.SigningMethodRS256, k.rsa, claims, nil)
	if res := serveJWT(t, j, bearer(token)); !res.passed {
		t.Fatal(res.body)
	}
	if j.verifier.Len() != 1 {
		t.Fatalf("cache holds %d tokens after one verification", j.verifier.Len())
	}
	setClock(j, fixedNow.Add(29*time.Second))
	if res := serveJWT(t, j, bearer(token)); !res.passed {
		t.Fatal("cached token refused before exp")
	}
	setClock(j, fixedNow.Add(30*time.Second))
	if res := serveJWT(t, j, bearer(token)); res.passed || res.body["error_description"] != "the token has expired" {
		t.Fatalf("token accepted from the cache after exp: %v", res.body)
	}
}

func TestJWTCacheIsBounded(t *testing.T) {
	j := newJWT(t, &JWTAuth{Secret: testSecret, CacheSize: 64})
	for i := range 1000 {
		c := validClaims()
		c["jti"] = i
		if res := serveJWT(t, j, bearer(sign(t, jwt.SigningMethodHS256, []byte(testSecret), c, nil))); !res.passed {
			t.Fatal(res.body)
		}
	}
	if n := j.verifier.Len(); n > 64 {
		t.Fatalf("cache holds %d tokens; the bound is 64", n)
	}
}

func TestJWTConfigErrors(t *testing.T) {
	k := getKeys(t)
	dir := t.TempDir()
	priv := filepath.Join(dir, "priv.pem")
	der, _ := x509.MarshalPKCS8PrivateKey(k.rsa)
	_ = os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	junk := filepath.Join(dir, "junk.pem")
	_ = os.WriteFile(junk, []byte("not pem"), 0o600)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDER, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	smallFile := filepath.Join(dir, "small.pem")
	_ = os.WriteFile(smallFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: smallDER}), 0o600)

	for _, tc := range []struct {
		j    JWTAuth
		says string
	}{
		{JWTAuth{}, "no key configured"},
		{JWTAuth{Secret: "{env.GATEWAY_TEST_UNSET_VARIABLE}"}, "is empty once its placeholders are replaced"},
		{JWTAuth{Secret: testSecret, Algorithms: []string{"none"}}, `"none" is never accepted`},
		{JWTAuth{Secret: testSecret, Algorithms: []string{"HS257"}}, `unknown algorithm "HS257"`},
		{JWTAuth{Secret: testSecret, Algorithms: []string{"RS256"}}, "no public_key or jwks can verify it"},
		{JWTAuth{PublicKeys: []string{k.pem("rsa.pem")}, Algorithms: []string{"HS256"}}, "no secret is configured"},
		{JWTAuth{PublicKeys: []string{filepath.Join(dir, "missing.pem")}}, "no such file"},
		{JWTAuth{PublicKeys: []string{junk}}, "no PEM block found"},
		{JWTAuth{PublicKeys: []string{priv}}, "give the gateway only the public key"},
		{JWTAuth{PublicKeys: []string{smallFile}}, "RSA key of 1024 bits"},
		{JWTAuth{JWKS: []string{"ftp://keys"}}, "not an http(s) URL"},
		{JWTAuth{Secret: testSecret, From: []TokenSource{{Type: "body", Name: "x"}}}, "must be header, cookie or query"},
		{JWTAuth{Secret: testSecret, ClaimHeaders: []ClaimHeader{{Claim: "sub", Header: "Bad Header"}}}, "valid header name"},
		{JWTAuth{Secret: testSecret, Realm: `a"b`}, "must not contain quotes"},
	} {
		ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
		err := tc.j.Provision(ctx)
		if err == nil {
			err = tc.j.Validate()
		}
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: err = %v, want it to say %q", tc.j, err, tc.says)
		}
	}
}

func TestJWTDerivedAlgorithms(t *testing.T) {
	k := getKeys(t)
	j := newJWT(t, &JWTAuth{PublicKeys: []string{k.pem("ec384.pem"), k.pem("ed.pem")}})
	for alg, want := range map[string]bool{"ES384": true, "EdDSA": true, "ES256": false, "RS256": false, "HS256": false} {
		if j.allowed[alg] != want {
			t.Errorf("allowed[%s] = %v, want %v", alg, j.allowed[alg], want)
		}
	}
}

// jwksJSON serves public keys as a JWK Set; it is written with the standard
// library so that the gateway's JWKS reading is checked against an
// independent encoder.
func jwksJSON(t testing.TB, keys map[string]any) []byte {
	t.Helper()
	set := map[string][]any{"keys": {}}
	for kid, pub := range keys {
		set["keys"] = append(set["keys"], jwkOf(t, kid, pub))
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jwkOf(t testing.TB, kid string, pub any) map[string]string {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(k.N.Bytes()), "e": b64(bigE(k.E))}
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		ecdh, err := k.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		raw := ecdh.Bytes() // 0x04 || X || Y
		return map[string]string{"kty": "EC", "kid": kid, "use": "sig", "crv": k.Curve.Params().Name,
			"x": b64(raw[1 : 1+size]), "y": b64(raw[1+size:])}
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "kid": kid, "use": "sig", "crv": "Ed25519", "x": b64(k)}
	}
	t.Fatalf("no JWK for %T", pub)
	return nil
}

func bigE(e int) []byte {
	var b []byte
	for ; e > 0; e >>= 8 {
		b = append([]byte{byte(e)}, b...)
	}
	return b
}
