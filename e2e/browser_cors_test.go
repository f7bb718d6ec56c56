package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
)

// corsPage is a browser app: it calls the gateway on another origin in
// four ways and leaves what it saw in window.result.
const corsPage = `<!doctype html><meta charset="utf-8"><title>app</title>
<script>
const gw = %q, token = %q;
async function call(name, init) {
  try {
    const r = await fetch(gw + "/api/items", init);
    return {status: r.status, body: await r.text(), requestId: r.headers.get("X-Request-Id"), rateLimit: r.headers.get("RateLimit")};
  } catch (e) {
    return {error: String(e)};
  }
}
(async () => {
  const out = {};
  out.bearer = await call("bearer", {headers: {"Authorization": "Bearer " + token}});
  out.noToken = await call("noToken", {});
  out.credentialed = await call("credentialed", {credentials: "include", headers: {"Authorization": "Bearer " + token}});
  out.put = await call("put", {method: "PUT", headers: {"Authorization": "Bearer " + token}});
  window.result = JSON.stringify(out);
})();
</script>`

type browserCall struct {
	Status    int
	Body      string
	RequestID string
	RateLimit string
	Error     string
}

// TestBrowserCORS: a real Chromium on one origin calls the gateway on
// another, through cors, jwt_auth and throttle.
func TestBrowserCORS(t *testing.T) {
	ctx := browser(t)
	secret := "browser-secret-browser-secret-browser"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	token := liveToken(t, secret, jwt.MapClaims{"sub": "browser-user"})

	var preflightsSeen atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			preflightsSeen.Add(1)
		}
		w.Header().Set("X-Request-Id", "req-42")
		fmt.Fprintf(w, "items for %s", r.Header.Get("X-User"))
	}))
	t.Cleanup(api.Close)

	// two page origins; the gateway allows only the first
	var gatewayURL string
	page := func() *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, corsPage, gatewayURL, token)
		}))
		t.Cleanup(s.Close)
		return s
	}
	allowed, refused := page(), page()

	g := startGateway(t, "", fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	cors {
		origins %s
		methods GET POST
		headers Authorization
		expose X-Request-Id RateLimit
		credentials
	}
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		claim_header sub X-User
	}
	throttle {
		key {http.auth.user.id}
		rate 100/1m
	}
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}
`, allowed.URL))
	gatewayURL = g.url("")
	gatewayURL = strings.TrimSuffix(gatewayURL, "/")
	g.register("api", fmt.Sprintf(`{"address": %q}`, strings.TrimPrefix(api.URL, "http://")))

	run := func(pageURL string) map[string]browserCall {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Navigate(pageURL)); err != nil {
			t.Fatalf("opening %s: %v", pageURL, err)
		}
		raw, err := chromedp.Run(ctx, chromedp.Poll[string]("window.result"))
		if err != nil {
			t.Fatalf("the page at %s left no result: %v", pageURL, err)
		}
		var out map[string]browserCall
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatalf("the page's result %q: %v", raw, err)
		}
		return out
	}

	out := run(allowed.URL)
	if c := out["bearer"]; c.Status != 200 || c.Body != "items for browser-user" || c.RequestID != "req-42" || c.RateLimit == "" {
		t.Errorf("a preflighted call with a bearer token: %+v", c)
	}
	if c := out["noToken"]; c.Status != 401 || !strings.Contains(c.Body, "unauthorized") {
		t.Errorf("without a token the page must read the 401: %+v", c)
	}
	if c := out["credentialed"]; c.Status != 200 || c.Body != "items for browser-user" {
		t.Errorf("a credentialed call: %+v", c)
	}
	if c := out["put"]; c.Error == "" {
		t.Errorf("PUT is not an allowed method, yet the page read the answer: %+v", c)
	}

	out = run(refused.URL)
	for name, c := range out {
		if c.Error == "" {
			t.Errorf("%s from a refused origin: the browser let the page read %+v", name, c)
		}
	}
	if n := preflightsSeen.Load(); n != 0 {
		t.Errorf("%d preflights reached the service", n)
	}
}
