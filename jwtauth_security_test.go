package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestJWTAmbiguousCredentials: a request carrying two different tokens is
// refused; which one an upstream would read is anyone's guess.
func TestJWTAmbiguousCredentials(t *testing.T) {
	good := sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims(), nil)
	none := craft(t, map[string]any{"alg": "none", "typ": "JWT"}, map[string]any{"sub": "admin"}, func(string) []byte { return nil })
	j := newJWT(t, &JWTAuth{Secret: testSecret, From: []TokenSource{
		{Type: "header", Name: "Authorization"}, {Type: "cookie", Name: "session"}, {Type: "query", Name: "access_token"},
	}})
	twoHeaders := bearer(good)
	twoHeaders.Header.Add("Authorization", "Bearer "+none)
	sameTwice := bearer(good)
	sameTwice.Header.Add("Authorization", "Bearer "+good)
	headerAndQuery := httptest.NewRequest("GET", "/?access_token="+none, nil)
	headerAndQuery.Header.Set("Authorization", "Bearer "+good)
	headerAndCookie := bearer(good)
	headerAndCookie.Header.Set("Cookie", "session="+none)
	twoCookies := httptest.NewRequest("GET", "/", nil)
	twoCookies.Header.Add("Cookie", "session="+good)
	twoCookies.Header.Add("Cookie", "session="+none)
	twoParams := httptest.NewRequest("GET", "/?access_token="+good+"&access_token="+none, nil)
	for name, r := range map[string]*http.Request{
		"two Authorization headers":           twoHeaders,
		"the same Authorization header twice": sameTwice,
		"header and a different query token":  headerAndQuery,
		"header and a different cookie token": headerAndCookie,
		"two different cookies":               twoCookies,
		"two different query tokens":          twoParams,
	} {
		res := serveJWT(t, j, r)
		if res.passed || res.code != http.StatusBadRequest || res.body["error"] != "invalid_request" ||
			!strings.Contains(res.header.Get("WWW-Authenticate"), `error="invalid_request"`) {
			t.Errorf("%s: passed=%v %d %v", name, res.passed, res.code, res.body)
		}
	}
	// one token sent two ways is one token
	same := bearer(good)
	same.Header.Set("Cookie", "session="+good)
	if res := serveJWT(t, j, same); !res.passed {
		t.Errorf("the same token in the header and a cookie: %d %v", res.code, res.body)
	}
}

// TestJWTClaimHeaderSpellings: every spelling an upstream may fold into the
// claim header's name is removed, so a client cannot choose the user id.
func TestJWTClaimHeaderSpellings(t *testing.T) {
	j := newJWT(t, &JWTAuth{Secret: testSecret, Optional: true, ClaimHeaders: []ClaimHeader{{Claim: "sub", Header: "X-User-Id"}}})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header["X-User-Id"] = []string{"forged1"}
	r.Header["X_User_Id"] = []string{"forged2"}
	r.Header["X_user_id"] = []string{"forged3"}
	r.Header["x-user-id"] = []string{"forged4"}
	r.Header["X-USER_ID"] = []string{"forged5"}
	r.Header["X-User-Ids"] = []string{"kept"}
	res := serveJWT(t, j, r)
	for name, v := range res.upstream {
		if strings.HasPrefix(strings.Join(v, ""), "forged") {
			t.Errorf("the client's %s: %v reached the upstream", name, v)
		}
	}
	if res.upstream.Get("X-User-Ids") != "kept" {
		t.Errorf("an unrelated header was removed")
	}
	// with a token, exactly one header with the claim goes upstream
	r = bearer(sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims(), nil))
	r.Header["X_User_Id"] = []string{"forged"}
	res = serveJWT(t, j, r)
	if len(res.upstream) != 2 || res.upstream.Get("X-User-Id") != "user-42" {
		t.Errorf("upstream headers with a token: %v", res.upstream)
	}
}

func TestJWTPreflightCheck(t *testing.T) {
	pre := func() *http.Request {
		r := httptest.NewRequest("OPTIONS", "/", nil)
		r.Header.Set("Origin", "https://app.example")
		r.Header.Set("Access-Control-Request-Method", "POST")
		return r
	}
	if res := serveJWT(t, newJWT(t, &JWTAuth{Secret: testSecret, Preflight: "check"}), pre()); res.passed || res.code != 401 {
		t.Fatalf("preflight check: a preflight without a token got %d, passed=%v", res.code, res.passed)
	}
	if res := serveJWT(t, newJWT(t, &JWTAuth{Secret: testSecret, Preflight: "pass"}), pre()); !res.passed {
		t.Fatalf("preflight pass: %d", res.code)
	}
	if err := (&JWTAuth{Secret: testSecret, Preflight: "skip"}).Validate(); err == nil {
		t.Fatal("preflight skip accepted")
	}
}

// TestJWTRefusalHeadersAreFresh: Caddy's header directive edits header
// values in place; a refusal must never hand it a slice another response
// shares.
func TestJWTRefusalHeadersAreFresh(t *testing.T) {
	j := newJWT(t, &JWTAuth{Secret: testSecret})
	for i := range 3 {
		res := serveJWT(t, j, httptest.NewRequest("GET", "/", nil))
		if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="restricted"` {
			t.Fatalf("refusal %d: WWW-Authenticate %q", i, got)
		}
		// what `header` does: edit in place
		res.header["Www-Authenticate"][0] = "edited"
		res.header["Content-Type"][0] = "edited"
	}
}

// TestJWTRefusalGoesThroughErrorRoutes: with handle_errors, the 401 is a
// caddyhttp.Error (the headers set), as Caddy's own auth does.
func TestJWTRefusalGoesThroughErrorRoutes(t *testing.T) {
	j := newJWT(t, &JWTAuth{Secret: testSecret})
	r := httptest.NewRequest("GET", "/", nil)
	srv := &caddyhttp.Server{Errors: &caddyhttp.HTTPErrorConfig{Routes: caddyhttp.RouteList{{}}}}
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.ServerCtxKey, srv))
	r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddyhttp.NewTestReplacer(r)))
	rec := httptest.NewRecorder()
	err := j.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil }))
	var he caddyhttp.HandlerError
	if !errorsAs(err, &he) || he.StatusCode != 401 {
		t.Fatalf("with error routes: %v, want a 401 HandlerError", err)
	}
	if rec.Header().Get("WWW-Authenticate") == "" || rec.Body.Len() != 0 {
		t.Fatalf("with error routes: headers %v, body %q", rec.Header(), rec.Body)
	}
}

// TestJWTLogsRedactQueryTokens: a token in the query string never reaches
// the plugin's log lines.
func TestJWTLogsRedactQueryTokens(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	j := newJWT(t, &JWTAuth{Secret: testSecret, From: []TokenSource{{Type: "query", Name: "t"}}})
	j.logger = zap.New(core)
	secretish := sign(t, jwt.SigningMethodHS256, []byte("another secret of at least 32 bytes!!"), validClaims(), nil)
	res := serveJWT(t, j, httptest.NewRequest("GET", "/x?a=1&t="+secretish+"&access_token=abc&b=2", nil))
	if res.code != 401 {
		t.Fatalf("%d", res.code)
	}
	if logs.Len() == 0 {
		t.Fatal("no log line")
	}
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			s, _ := v.(string)
			if strings.Contains(s, secretish[:20]) || strings.Contains(s, "abc") {
				t.Errorf("log field %s holds a token: %q", k, s)
			}
		}
		if uri, _ := e.ContextMap()["uri"].(string); uri != "/x?a=1&t=REDACTED&access_token=REDACTED&b=2" {
			t.Errorf("uri logged as %q", uri)
		}
	}
}

// TestJWTSecretRotation: several secrets verify at once, so tokens signed
// with the old and the new one both pass while clients move over; a kid
// header picks its secret.
func TestJWTSecretRotation(t *testing.T) {
	oldSecret, newSecret := testSecret, "the-new-secret-of-at-least-32-bytes!!"
	j := newJWT(t, &JWTAuth{Secret: oldSecret, Secrets: []HMACSecret{{Secret: newSecret, KeyID: "2026-11"}}})
	signed := func(secret string, kid string) string {
		var header map[string]any
		if kid != "" {
			header = map[string]any{"kid": kid}
		}
		return sign(t, jwt.SigningMethodHS256, []byte(secret), validClaims(), header)
	}
	for name, c := range map[string]struct {
		token string
		pass  bool
	}{
		"old secret":                  {signed(oldSecret, ""), true},
		"new secret":                  {signed(newSecret, ""), true},
		"new secret, its kid":         {signed(newSecret, "2026-11"), true},
		"old secret, the new kid":     {signed(oldSecret, "2026-11"), false},
		"new secret, an unknown kid":  {signed(newSecret, "other"), true},
		"another secret":              {signed("yet-another-secret-of-32-bytes-or-more", ""), false},
		"another secret, a known kid": {signed("yet-another-secret-of-32-bytes-or-more", "2026-11"), false},
	} {
		if res := serveJWT(t, j, bearer(c.token)); res.passed != c.pass {
			t.Errorf("%s: passed=%v, want %v (%d %v)", name, res.passed, c.pass, res.code, res.body)
		}
	}
	// the old secret removed: its tokens stop working
	only := newJWT(t, &JWTAuth{Secrets: []HMACSecret{{Secret: newSecret, KeyID: "2026-11"}}})
	if res := serveJWT(t, only, bearer(signed(oldSecret, ""))); res.passed {
		t.Fatal("a token of a removed secret passed")
	}
	if err := (&JWTAuth{Secrets: []HMACSecret{{Secret: newSecret, KeyID: "a"}, {Secret: oldSecret, KeyID: "a"}}}).loadSecrets(); err == nil {
		t.Fatal("two secrets with one key ID accepted")
	}
}
