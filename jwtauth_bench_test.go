package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/caddygateway/caddy-gateway/internal/jwtverify"
)

// FuzzJWTAuth sends arbitrary Authorization headers, cookies and query
// strings through the handler. It must never panic, must answer 200 or 401,
// and must only let a request through when its token really is signed with
// the configured secret and valid.
func FuzzJWTAuth(f *testing.F) {
	good := sign(f, jwt.SigningMethodHS256, []byte(testSecret), validClaims(), nil)
	for _, s := range []string{
		"Bearer " + good, good, "bearer " + good + " ", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a.b.c",
		"Bearer " + good + "x", "Bearer " + good[:len(good)-5], "eyJhbGciOiJub25lIn0.e30.",
	} {
		f.Add(s, "session="+good, "access_token="+good)
	}
	f.Add("", "", "")
	f.Add("", "session=\""+good+"\"", "a=%zz&access_token="+good)
	j := newJWT(f, &JWTAuth{Secret: testSecret, Issuers: []string{"my_issuer"}, From: []TokenSource{
		{Type: "header", Name: "Authorization"}, {Type: "cookie", Name: "session"}, {Type: "query", Name: "access_token"},
	}})
	check := jwt.NewParser(jwt.WithValidMethods(jwtverify.HMACAlgorithms), jwt.WithTimeFunc(func() time.Time { return fixedNow }),
		jwt.WithIssuer("my_issuer"))

	f.Fuzz(func(t *testing.T, authorization, cookie, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		if authorization != "" {
			r.Header["Authorization"] = []string{authorization}
		}
		if cookie != "" {
			r.Header["Cookie"] = []string{cookie}
		}
		token, _, ambiguous := j.extract(r)
		res := serveJWT(t, j, r)
		switch {
		case ambiguous && (res.passed || res.code != http.StatusBadRequest):
			t.Fatalf("two different tokens: passed=%v %d", res.passed, res.code)
		case ambiguous:
		case res.passed:
			if _, err := check.Parse(token, func(*jwt.Token) (any, error) { return []byte(testSecret), nil }); err != nil {
				t.Fatalf("let through a token golang-jwt refuses (%v): %q", err, token)
			}
		case res.code != http.StatusUnauthorized:
			t.Fatalf("answered %d", res.code)
		}
	})
}

// benchRequest builds what Caddy hands a handler: a request with a replacer.
func benchRequest(r *http.Request) *http.Request {
	repl := caddy.NewReplacer()
	return r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
}

var passThrough = caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })

func BenchmarkJWTVerify(b *testing.B) {
	k := getKeys(b)
	for _, a := range []struct {
		name   string
		method jwt.SigningMethod
		key    any
	}{
		{"HS256", jwt.SigningMethodHS256, []byte(testSecret)},
		{"HS512", jwt.SigningMethodHS512, []byte(testSecret)},
		{"RS256", jwt.SigningMethodRS256, k.rsa},
		{"PS256", jwt.SigningMethodPS256, k.rsa},
		{"ES256", jwt.SigningMethodES256, k.ec256},
		{"ES384", jwt.SigningMethodES384, k.ec384},
		{"ES512", jwt.SigningMethodES512, k.ec521},
		{"EdDSA", jwt.SigningMethodEdDSA, k.ed},
	} {
		token := sign(b, a.method, a.key, validClaims(), nil)
		for _, cached := range []bool{false, true} {
			name := a.name + "/miss"
			size := -1
			if cached {
				name, size = a.name+"/cache-hit", 0
			}
			b.Run(name, func(b *testing.B) {
				j := newJWT(b, &JWTAuth{Secret: testSecret, CacheSize: size,
					PublicKeys: []string{k.pem("rsa.pem"), k.pem("ec256.pem"), k.pem("ec384.pem"), k.pem("ec521.pem"), k.pem("ed.pem")}})
				b.ReportAllocs()
				for b.Loop() {
					if _, _, why, err := j.verifier.Verify(token); why != 0 {
						b.Fatal(why, err)
					}
				}
			})
		}
	}
}

// BenchmarkJWTHandler is the whole handler per request: extraction,
// verification (or a cache hit), placeholders and a claim header. Its
// per-iteration setup (a request with a replacer, as Caddy builds it) is
// measured alone by BenchmarkJWTHandler/setup-only; the handler's own cost is
// the difference.
func BenchmarkJWTHandler(b *testing.B) {
	k := getKeys(b)
	hs := sign(b, jwt.SigningMethodHS256, []byte(testSecret), validClaims(), nil)
	rs := sign(b, jwt.SigningMethodRS256, k.rsa, validClaims(), nil)
	for _, c := range []struct {
		name  string
		token string
		cache int
	}{
		{"HS256/miss", hs, -1},
		{"HS256/cache-hit", hs, 0},
		{"RS256/miss", rs, -1},
		{"RS256/cache-hit", rs, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			j := newJWT(b, &JWTAuth{Secret: testSecret, PublicKeys: []string{k.pem("rsa.pem")}, CacheSize: c.cache,
				Issuers: []string{"my_issuer"}, ClaimHeaders: []ClaimHeader{{Claim: "sub", Header: "X-User-Id"}}})
			base := httptest.NewRequest("GET", "/hello_service", nil)
			base.Header.Set("Authorization", "Bearer "+c.token)
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
	b.Run("setup-only", func(b *testing.B) {
		base := httptest.NewRequest("GET", "/hello_service", nil)
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			_ = passThrough.ServeHTTP(w, benchRequest(base))
		}
	})
}
