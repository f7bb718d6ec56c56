package gateway

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// corsSites: a browser app on https://app.example.com calls an API behind
// jwt_auth and throttle, with no `order` line: cors must run before both.
const corsSites = `
http://127.0.0.1:{HTTP} {
	cors {
		origins https://app.example.com https://*.preview.example.com
		methods GET POST DELETE
		headers Authorization Content-Type
		expose RateLimit X-Request-Id
		credentials
		max_age 10m
		private_network
	}
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
	}
	throttle {
		key {http.auth.user.id}
		rate 2/1h
	}
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}
`

func TestE2ECORS(t *testing.T) {
	secret := "cors-secret-cors-secret-cors-secret-x"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, "", corsSites)
	be := newBackend(t, "a")
	g.register("api", fmt.Sprintf(`{"address": %q}`, be.addr()))
	url := g.url("/api/items")
	bearer := "Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "user-cors"})
	app := "https://app.example.com"

	preflight := func(origin, method, headers string) answer {
		h := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method}}
		if headers != "" {
			h["Access-Control-Request-Headers"] = []string{headers}
		}
		return fetchWith(t, g.client, "OPTIONS", url, h)
	}

	t.Run("preflight of an allowed origin is answered before authentication", func(t *testing.T) {
		ans := preflight(app, "DELETE", "authorization,content-type")
		h := ans.header
		if ans.code != 204 || h.Get("Access-Control-Allow-Origin") != app || h.Get("Access-Control-Allow-Methods") != "DELETE" ||
			h.Get("Access-Control-Allow-Headers") != "authorization,content-type" || h.Get("Access-Control-Allow-Credentials") != "true" ||
			h.Get("Access-Control-Max-Age") != "600" || !strings.Contains(h.Get("Vary"), "Access-Control-Request-Headers") {
			t.Fatalf("preflight: %d %v", ans.code, h)
		}
		if h.Get("WWW-Authenticate") != "" || h.Get("RateLimit") != "" {
			t.Fatalf("the preflight went through jwt_auth or throttle: %v", h)
		}
		ans = fetchWith(t, g.client, "OPTIONS", url, http.Header{"Origin": {"https://x.preview.example.com"},
			"Access-Control-Request-Method": {"GET"}, "Access-Control-Request-Private-Network": {"true"}})
		if ans.code != 204 || ans.header.Get("Access-Control-Allow-Origin") != "https://x.preview.example.com" ||
			ans.header.Get("Access-Control-Allow-Private-Network") != "true" {
			t.Fatalf("a pattern origin with private network access: %d %v", ans.code, ans.header)
		}
	})

	t.Run("disallowed origins, methods and headers get no CORS headers", func(t *testing.T) {
		for _, c := range []struct{ origin, method, headers string }{
			{"https://evil.example", "GET", ""},
			{"https://app.example.com.evil.example", "GET", ""},
			{"https://preview.example.com", "GET", ""}, // the * stands for at least one label
			{"null", "GET", ""},
			{"http://app.example.com", "GET", ""},
			{app, "PUT", ""},
			{app, "GET", "authorization, x-secret"},
		} {
			ans := preflight(c.origin, c.method, c.headers)
			if ans.code != 204 || ans.header.Get("Access-Control-Allow-Origin") != "" || ans.header.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("preflight %+v: %d %v", c, ans.code, ans.header)
			}
		}
		if be.hitCount() != 0 {
			t.Fatalf("%d preflights reached the service", be.hitCount())
		}
	})

	t.Run("actual responses, refusals included, are readable by the page", func(t *testing.T) {
		ans := fetchWith(t, g.client, "GET", url, http.Header{"Origin": {app}, "Authorization": {bearer}})
		h := ans.header
		if ans.code != 200 || h.Get("Access-Control-Allow-Origin") != app || h.Get("Access-Control-Allow-Credentials") != "true" ||
			h.Get("Access-Control-Expose-Headers") != "RateLimit, X-Request-Id" || !hasVary(h, "Origin") || h.Get("RateLimit") == "" {
			t.Fatalf("actual response: %d %v", ans.code, h)
		}
		ans = fetchWith(t, g.client, "GET", url, http.Header{"Origin": {app}})
		if ans.code != 401 || ans.header.Get("Access-Control-Allow-Origin") != app || !hasVary(ans.header, "Origin") {
			t.Fatalf("401 without a token: %d %v", ans.code, ans.header)
		}
		fetchWith(t, g.client, "GET", url, http.Header{"Origin": {app}, "Authorization": {bearer}})
		ans = fetchWith(t, g.client, "GET", url, http.Header{"Origin": {app}, "Authorization": {bearer}})
		if ans.code != 429 || ans.header.Get("Access-Control-Allow-Origin") != app || ans.header.Get("Retry-After") == "" {
			t.Fatalf("429: %d %v", ans.code, ans.header)
		}
		ans = fetchWith(t, g.client, "GET", url, http.Header{"Origin": {"https://evil.example"}})
		if ans.header.Get("Access-Control-Allow-Origin") != "" || !hasVary(ans.header, "Origin") {
			t.Fatalf("a disallowed origin's answer: %d %v", ans.code, ans.header)
		}
		ans = fetchWith(t, g.client, "GET", url, http.Header{"Origin": {app, "https://evil.example"}})
		if ans.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("two Origin headers got CORS headers: %v", ans.header)
		}
	})
}

// TestE2ECORSOwnsTheHeaders: an upstream that answers CORS itself (here:
// echoing any origin with credentials, a common mistake) cannot open the
// route to an origin the gateway refuses, nor send a second
// Access-Control-Allow-Origin to an allowed one.
func TestE2ECORSOwnsTheHeaders(t *testing.T) {
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	cors {
		origins https://app.example.com
	}
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}
`)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", cmp.Or(r.Header.Get("Origin"), "*"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Vary", "Accept-Encoding")
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(echo.Close)
	g.register("echo", fmt.Sprintf(`{"address": %q}`, strings.TrimPrefix(echo.URL, "http://")))

	ans := fetchWith(t, g.client, "GET", g.url("/echo/"), http.Header{"Origin": {"https://evil.example"}})
	if ans.code != 200 || ans.header.Get("Access-Control-Allow-Origin") != "" || ans.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("the upstream's CORS headers reached a refused origin: %v", ans.header)
	}
	// nor a request without Origin (found by the fresh attack: the
	// upstream's Access-Control-Allow-Origin: * and -Credentials passed)
	ans = fetchWith(t, g.client, "GET", g.url("/echo/"), nil)
	if ans.code != 200 || ans.header.Get("Access-Control-Allow-Origin") != "" || ans.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("the upstream's CORS headers reached a request without Origin: %v", ans.header)
	}
	ans = fetchWith(t, g.client, "GET", g.url("/echo/"), http.Header{"Origin": {"https://app.example.com"}})
	if got := ans.header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != "https://app.example.com" ||
		ans.header.Get("Access-Control-Allow-Credentials") != "" || !hasVary(ans.header, "Origin") || !hasVary(ans.header, "Accept-Encoding") {
		t.Fatalf("an allowed origin: %v", ans.header)
	}
}

func hasVary(h http.Header, name string) bool {
	for _, line := range h.Values("Vary") {
		for v := range strings.SplitSeq(line, ",") {
			if strings.EqualFold(strings.TrimSpace(v), name) {
				return true
			}
		}
	}
	return false
}

// TestE2ECORSWithHandleErrors: with error routes, the 401 comes from
// handle_errors and still carries the CORS headers.
func TestE2ECORSWithHandleErrors(t *testing.T) {
	t.Setenv("GATEWAY_TEST_JWT_SECRET", "handle-errors-secret-handle-errors-secret")
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	cors {
		origins https://app.example.com
	}
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
	}
	respond "never"
	handle_errors {
		respond "handled {err.status_code}"
	}
}
`)
	ans := fetchWith(t, g.client, "GET", g.url("/x"), http.Header{"Origin": {"https://app.example.com"}})
	if ans.code != 401 || ans.body != "handled 401" || ans.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || !hasVary(ans.header, "Origin") {
		t.Fatalf("401 through handle_errors: %d %q %v", ans.code, ans.body, ans.header)
	}
}
