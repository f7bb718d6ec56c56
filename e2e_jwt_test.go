package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func (b *backend) lastRequest() *http.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

func liveToken(t *testing.T, secret string, claims jwt.MapClaims) string {
	t.Helper()
	base := jwt.MapClaims{"sub": "user-7", "iss": "my_issuer", "role": "reader", "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	return sign(t, jwt.SigningMethodHS256, []byte(secret), base, nil)
}

// jwtSites protects the gateway with jwt_auth, with no `order` line: the
// plugin's directive order must put jwt_auth before reverse_proxy.
const jwtSites = `
http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		issuer my_issuer
		require exp
		claim_header sub X-User-Id
		realm gateway
	}
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
		header_up X-Role {http.auth.user.role}
	}
}
`

func TestE2EJWTProtectsTheGateway(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, "", jwtSites)
	be := newBackend(t, "a")
	g.register("hello_service", fmt.Sprintf(`{"address": %q}`, be.addr()))
	url := g.url("/hello_service/x")

	ans := fetch(t, g.client, url)
	if ans.code != 401 || ans.header.Get("WWW-Authenticate") != `Bearer realm="gateway"` ||
		!strings.Contains(ans.body, `"error":"unauthorized"`) || be.hitCount() != 0 {
		t.Fatalf("no token: %d %q %s (backend hits %d)", ans.code, ans.header.Get("WWW-Authenticate"), ans.body, be.hitCount())
	}

	token := liveToken(t, secret, nil)
	for name, auth := range map[string]string{"Bearer": "Bearer " + token, "bare, as the seed's client": token} {
		ans := fetchWith(t, g.client, "GET", url, http.Header{"Authorization": {auth}, "X-User-Id": {"forged"}})
		if ans.code != 200 || ans.instance != "a" {
			t.Fatalf("%s: %d %s", name, ans.code, ans.body)
		}
		last := be.lastRequest()
		if got := last.Header.Values("X-User-Id"); len(got) != 1 || got[0] != "user-7" {
			t.Errorf("%s: backend saw X-User-Id %q, want only the token's sub", name, got)
		}
		if got := last.Header.Get("X-Role"); got != "reader" {
			t.Errorf("%s: {http.auth.user.role} upstream = %q", name, got)
		}
	}

	for name, tc := range map[string]struct {
		token, desc string
	}{
		"expired":      {liveToken(t, secret, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}), "the token has expired"},
		"no exp":       {liveToken(t, secret, jwt.MapClaims{"exp": nil}), "the token lacks a required claim"},
		"other issuer": {liveToken(t, secret, jwt.MapClaims{"iss": "elsewhere"}), "the token's issuer is not accepted"},
		"other secret": {liveToken(t, "not-the-secret-not-the-secret-not", nil), "the token's signature is invalid"},
	} {
		ans := fetchWith(t, g.client, "GET", url, http.Header{"Authorization": {"Bearer " + tc.token}})
		wantHeader := fmt.Sprintf(`Bearer realm="gateway", error="invalid_token", error_description=%q`, tc.desc)
		if ans.code != 401 || ans.header.Get("WWW-Authenticate") != wantHeader || !strings.Contains(ans.body, tc.desc) {
			t.Errorf("%s: %d %q %s", name, ans.code, ans.header.Get("WWW-Authenticate"), ans.body)
		}
	}

	// a CORS preflight reaches the service without a token
	ans = fetchWith(t, g.client, "OPTIONS", url, http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}})
	if ans.code != 200 || be.lastRequest().Method != "OPTIONS" {
		t.Fatalf("preflight: %d", ans.code)
	}
}

func TestE2EJWTSourcesAndOptional(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	route /cookie/* {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
			from cookie session
		}
		respond "cookie {http.auth.user.id}"
	}
	route /query/* {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
			from query access_token
		}
		respond "query {http.auth.user.id}"
	}
	route /header/* {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
			from header X-Api-Token
		}
		respond "header {http.auth.user.id}"
	}
	route /optional/* {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
			optional
			claim_header sub X-User-Id
		}
		respond "optional [{http.auth.user.id}] [{http.request.header.X-User-Id}]"
	}
}`)
	token := liveToken(t, secret, nil)
	for _, tc := range []struct {
		method, path string
		header       http.Header
		code         int
		body         string
	}{
		{"GET", "/cookie/x", http.Header{"Cookie": {"a=b; session=" + token}}, 200, "cookie user-7"},
		{"GET", "/cookie/x", http.Header{"Authorization": {"Bearer " + token}}, 401, ""},
		{"GET", "/query/x?access_token=" + token, nil, 200, "query user-7"},
		{"GET", "/header/x", http.Header{"X-Api-Token": {token}}, 200, "header user-7"},
		{"GET", "/header/x", http.Header{"X-Api-Token": {"Bearer " + token}}, 200, "header user-7"},
		// anonymous: no user placeholders are set (respond leaves unknown ones as they are)
		{"GET", "/optional/x", http.Header{"X-User-Id": {"forged"}}, 200, "optional [{http.auth.user.id}] []"},
		{"GET", "/optional/x", http.Header{"Authorization": {"Bearer " + token}}, 200, "optional [user-7] [user-7]"},
		{"GET", "/optional/x", http.Header{"Authorization": {"Bearer " + token + "x"}}, 401, ""},
	} {
		ans := fetchWith(t, g.client, tc.method, g.url(tc.path), tc.header)
		if ans.code != tc.code || (tc.body != "" && ans.body != tc.body) {
			t.Errorf("%s %s %v: %d %q; want %d %q", tc.method, tc.path, tc.header, ans.code, ans.body, tc.code, tc.body)
		}
	}
}

// TestE2ERegistrationBehindJWT: registry_api on a site route, behind
// jwt_auth, allowed only to tokens with the role "service".
func TestE2ERegistrationBehindJWT(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, "service_registry {\n allow 127.0.0.1/32\n}", `
http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
	}
	@register expression path('/registry/*') && {http.auth.user.role} == 'service'
	handle @register {
		registry_api
	}
	handle /registry/* {
		respond "registration needs a token with the role service" 403
	}
	handle {
		reverse_proxy {
			dynamic registry {http.request.uri.path.0}
		}
	}
}`)
	be := newBackend(t, "a")
	body := fmt.Sprintf(`{"address": %q}`, be.addr())
	reg := g.url("/registry/services/hello_service")
	if code, _ := g.call("POST", reg, body, nil); code != 401 {
		t.Fatalf("registration without a token: %d", code)
	}
	reader := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, nil)}}
	if code, _ := g.call("POST", reg, body, reader); code != 403 {
		t.Fatalf("registration with a reader's token: %d", code)
	}
	service := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"role": "service"})}}
	if code, answer := g.call("POST", reg, body, service); code != 201 {
		t.Fatalf("registration with a service token: %d %s", code, answer)
	}
	if ans := fetchWith(t, g.client, "GET", g.url("/hello_service/"), reader); ans.code != 200 || ans.instance != "a" {
		t.Fatalf("through the gateway: %d %s", ans.code, ans.body)
	}
}
