package gateway

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/consumers"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// TestE2EAPIKey: api_key through a real Caddy: the placeholders of an
// accepted key, every refusal (with and without handle_errors), keys from
// a query parameter (redacted in the log) and the Authorization scheme,
// and the access log's user_id.
func TestE2EAPIKey(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "access.log")
	g := startGateway(t, consumerPlans, `
http://127.0.0.1:{HTTP} {
	log {
		output file `+logFile+`
		format filter {
			request>uri query {
				replace key REDACTED
			}
			request>headers>X-Api-Key replace REDACTED
		}
	}
	api_key {
		from header X-Api-Key
		from query key
		from authorization ApiKey
	}
	respond "{http.auth.user.id} {http.auth.user.consumer} {http.auth.user.plan} {http.auth.user.key_id} {http.auth.user.metadata.team}"
}
http://localhost:{HTTP} {
	api_key
	respond "ok"
	handle_errors {
		respond "handled {err.status_code}: {err.message}"
	}
}`)
	g.adminCall("POST", "/consumers/", `{"id": "acme", "plan": "pro", "metadata": {"team": "red"}}`)
	g.adminCall("POST", "/consumers/", `{"id": "nop"}`)
	keyID, key := g.createKey("acme", `{"name": "ci"}`)
	_, nopKey := g.createKey("nop", "")
	_, shortKey := g.createKey("acme", fmt.Sprintf(`{"expires": %q}`, time.Now().Add(1500*time.Millisecond).UTC().Format(time.RFC3339Nano)))

	hdr := func(k, v string) http.Header { return http.Header{k: {v}} }
	want := "acme acme pro " + keyID + " red"
	for _, c := range []struct {
		name   string
		url    string
		header http.Header
	}{
		{"header", g.url("/"), hdr("X-Api-Key", key)},
		{"query", g.url("/?key=" + key), nil},
		{"authorization", g.url("/"), hdr("Authorization", "ApiKey "+key)},
		{"the same key twice", g.url("/?key=" + key), hdr("X-Api-Key", key)},
	} {
		if ans := fetchWith(t, g.client, "GET", c.url, c.header); ans.code != 200 || ans.body != want {
			t.Errorf("%s: %d %q, want %q", c.name, ans.code, ans.body, want)
		}
	}
	// a consumer without a plan gets the default plan
	if ans := fetchWith(t, g.client, "GET", g.url("/"), hdr("X-Api-Key", nopKey)); ans.code != 200 || !strings.HasPrefix(ans.body, "nop nop free ") {
		t.Errorf("a consumer of an undefined plan: %d %q", ans.code, ans.body)
	}

	_, unknown := consumers.NewKey()
	typo := key[:len(key)-1] + "a"
	if typo == key {
		typo = key[:len(key)-1] + "b"
	}
	refusals := []struct {
		name   string
		header http.Header
		status int
		reason string
	}{
		{"no key", nil, 401, ""},
		{"malformed", hdr("X-Api-Key", typo), 401, "malformed"},
		{"unknown", hdr("X-Api-Key", unknown), 401, "not valid"},
		{"two keys", http.Header{"X-Api-Key": {key}, "Authorization": {"ApiKey " + unknown}}, 400, ""},
		{"two Authorization fields", http.Header{"Authorization": {"Basic dXNlcjpwYXNz", "ApiKey " + key}}, 400, ""},
		{"two Authorization fields, key first", http.Header{"Authorization": {"ApiKey " + key, "Bearer x.y.z"}}, 400, ""},
	}
	for _, c := range refusals {
		ans := fetchWith(t, g.client, "GET", g.url("/"), c.header)
		wa := ans.header.Get("WWW-Authenticate")
		if ans.code != c.status || !strings.HasPrefix(wa, `ApiKey realm="restricted"`) || !strings.Contains(wa, c.reason) ||
			ans.header.Get("Cache-Control") != "no-store" || !strings.Contains(ans.body, `"error"`) {
			t.Errorf("%s: %d %q WWW-Authenticate %q", c.name, ans.code, ans.body, wa)
		}
	}
	// through handle_errors
	local := fmt.Sprintf("http://localhost:%d/", g.httpPort)
	if ans := fetchWith(t, g.client, "GET", local, hdr("X-Api-Key", unknown)); ans.code != 401 ||
		ans.body != "handled 401: api_key: the API key is not valid" || !strings.HasPrefix(ans.header.Get("WWW-Authenticate"), "ApiKey realm=") {
		t.Errorf("401 through handle_errors: %d %q %v", ans.code, ans.body, ans.header)
	}
	if ans := fetchWith(t, g.client, "GET", local, hdr("X-Api-Key", key)); ans.code != 200 {
		t.Errorf("a good key on the second site: %d %q", ans.code, ans.body)
	}

	// expiry, disabling, revocation and a plan change, each after the key
	// was accepted (and cached)
	if ans := fetchWith(t, g.client, "GET", g.url("/"), hdr("X-Api-Key", shortKey)); ans.code != 200 {
		t.Errorf("the short key before it expires: %d", ans.code)
	}
	testenv.Eventually(t, 5*time.Second, "the short key did not expire", func() bool {
		ans := fetchWith(t, g.client, "GET", g.url("/"), hdr("X-Api-Key", shortKey))
		return ans.code == 401 && strings.Contains(ans.header.Get("WWW-Authenticate"), "expired")
	})
	g.adminCall("PATCH", "/consumers/acme", `{"disabled": true}`)
	if ans := fetchWith(t, g.client, "GET", g.url("/"), hdr("X-Api-Key", key)); ans.code != 401 || !strings.Contains(ans.header.Get("WWW-Authenticate"), "disabled") {
		t.Errorf("a disabled consumer: %d %v", ans.code, ans.header)
	}
	g.adminCall("PATCH", "/consumers/acme", `{"disabled": false, "plan": "free", "metadata": {"team": "blue"}}`)
	if ans := fetchWith(t, g.client, "GET", g.url("/"), hdr("X-Api-Key", key)); ans.code != 200 || ans.body != "acme acme free "+keyID+" blue" {
		t.Errorf("after a change of plan and metadata: %d %q", ans.code, ans.body)
	}
	g.adminCall("DELETE", "/consumers/acme/keys/"+keyID, "")
	if ans := fetchWith(t, g.client, "GET", g.url("/"), hdr("X-Api-Key", key)); ans.code != 401 {
		t.Errorf("a deleted key: %d", ans.code)
	}

	// the access log names the consumer and, with Caddy's filter on the
	// query parameter and the header, never holds the key
	testenv.Eventually(t, 5*time.Second, "the access log has no user_id", func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), `"user_id":"acme"`)
	})
	b, _ := os.ReadFile(logFile)
	if strings.Contains(string(b), key) {
		t.Errorf("the access log holds the key:\n%s", b)
	}
}

// TestE2EAPIKeyHideKey: with hide_key the upstream never sees the key (not
// in the header, the Authorization field nor the query, whose other
// parameters are kept as they were); without it, it is forwarded as sent.
func TestE2EAPIKeyHideKey(t *testing.T) {
	up := newBackend(t, "up")
	g := startGateway(t, consumerPlans, `
http://127.0.0.1:{HTTP} {
	route /hidden/* {
		api_key {
			from header X-Api-Key
			from query key
			from authorization ApiKey
			hide_key
		}
		reverse_proxy `+up.addr()+` {
			header_up X-Consumer {http.auth.user.consumer}
		}
	}
	route /shown/* {
		api_key
		reverse_proxy `+up.addr()+`
	}
}`)
	g.adminCall("POST", "/consumers/", `{"id": "acme"}`)
	_, key := g.createKey("acme", "")
	last := func() *http.Request {
		up.mu.Lock()
		defer up.mu.Unlock()
		return up.last
	}
	for _, c := range []struct {
		name   string
		path   string
		header http.Header
	}{
		{"header", "/hidden/a?z=1&b=%20x", http.Header{"X-Api-Key": {key}}},
		{"authorization", "/hidden/a?z=1&b=%20x", http.Header{"Authorization": {"ApiKey " + key}}},
		{"query", "/hidden/a?z=1&key=" + key + "&b=%20x", nil},
	} {
		if ans := fetchWith(t, g.client, "GET", g.url(c.path), c.header); ans.code != 200 {
			t.Fatalf("%s: %d %q", c.name, ans.code, ans.body)
		}
		r := last()
		if r.Header.Get("X-Api-Key") != "" || r.Header.Get("Authorization") != "" || strings.Contains(r.URL.RawQuery, key) {
			t.Errorf("%s: the upstream saw the key: %v %q", c.name, r.Header, r.URL.RawQuery)
		}
		if r.URL.RawQuery != "z=1&b=%20x" || r.Header.Get("X-Consumer") != "acme" {
			t.Errorf("%s: upstream got query %q consumer %q", c.name, r.URL.RawQuery, r.Header.Get("X-Consumer"))
		}
	}
	fetchWith(t, g.client, "GET", g.url("/shown/a"), http.Header{"X-Api-Key": {key}})
	if r := last(); r.Header.Get("X-Api-Key") != key {
		t.Errorf("without hide_key the key is forwarded as sent: %v", r.Header)
	}
}
