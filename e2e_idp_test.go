package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/idptest"
	"github.com/caddygateway/caddy-gateway/internal/oidc"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// These tests run against a real OpenID Provider (the npm package
// oidc-provider, internal/idptest): discovery, key rotation, issuer
// mismatch and a provider that is down for jwt_auth; active, expired,
// revoked and unknown tokens, the cache, coalescing and a provider that is
// down for token_introspection.

func bearerHeader(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// providerStatus is the dashboard's view of the provider discovered from
// issuer.
func providerStatus(issuer string) (oidc.Status, bool) {
	for _, s := range dashboardState(time.Now()).JWT.Providers {
		if s.Issuer == issuer {
			return s, true
		}
	}
	return oidc.Status{}, false
}

func TestE2EOIDCDiscoveryAndKeyRotation(t *testing.T) {
	testenv.SkipInShortMode(t, "runs an OpenID Provider (Node.js)")
	p := idptest.Start(t, "key-1")
	// the same provider under another spelling of its issuer: its
	// metadata names 127.0.0.1, so discovery must refuse it
	otherSpelling := strings.Replace(p.Issuer, "127.0.0.1", "localhost", 1)
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	handle /mismatch {
		jwt_auth {
			issuer %s
		}
		respond "mismatch accepted"
	}
	handle {
		jwt_auth {
			issuer %s
			audience %s
		}
		respond "{http.auth.user.id} {http.auth.user.tenant} {http.auth.user.scope}"
	}
}`, otherSpelling, p.Issuer, idptest.Resource))

	old := p.Token("app", idptest.Resource)
	unused := p.Token("app", idptest.Resource) // signed by key-1, first sent after the rotation
	testenv.Eventually(t, 5*time.Second, "a token signed by the provider's key is accepted", func() bool {
		code, _ := g.call("GET", g.url("/"), "", bearerHeader(old))
		return code == 200
	})
	if code, body := g.call("GET", g.url("/"), "", bearerHeader(old)); code != 200 || body != "app acme read" {
		t.Fatalf("discovered keys: %d %q", code, body)
	}
	if code, _ := g.call("GET", g.url("/"), "", bearerHeader(old+"x")); code != 401 {
		t.Fatalf("a forged signature: %d", code)
	}

	// issuer mismatch: nothing is accepted, and the dashboard says why
	if code, _ := g.call("GET", g.url("/mismatch"), "", bearerHeader(old)); code != 401 {
		t.Fatalf("issuer mismatch: %d", code)
	}
	if st, ok := providerStatus(otherSpelling); !ok || st.Keys != 0 || !strings.Contains(st.LastError, "names another issuer") {
		t.Fatalf("the dashboard's view of the mismatched issuer: %+v", st)
	}

	// rotation: the provider now signs with key-2 only
	p.Restart("key-2")
	fresh := p.Token("app", idptest.Resource)
	if code, body := g.call("GET", g.url("/"), "", bearerHeader(fresh)); code != 200 {
		t.Fatalf("a token of the new key: %d %s", code, body)
	}
	if got := p.Counts()["/jwks"]; got != 1 {
		t.Fatalf("%d key set fetches after the rotation, want 1 (one refetch for the new kid)", got)
	}
	for _, tok := range []string{old, unused, old} {
		if code, _ := g.call("GET", g.url("/"), "", bearerHeader(tok)); code != 401 {
			t.Fatalf("a token of the removed key: %d", code)
		}
	}
	if got := p.Counts()["/jwks"]; got != 1 {
		t.Fatalf("%d key set fetches after old tokens within the cooldown, want still 1", got)
	}
}

func TestE2EOIDCProviderDown(t *testing.T) {
	testenv.SkipInShortMode(t, "runs an OpenID Provider (Node.js)")
	p := idptest.Start(t, "key-1")
	p.Stop() // down when the config loads
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	jwt_auth {
		issuer %s
		jwks_refresh 300ms
		jwks_cooldown 200ms
	}
	respond "{http.auth.user.id}"
}`, p.Issuer))
	if code, _ := g.call("GET", g.url("/"), "", bearerHeader("eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0xIn0.e30.c2ln")); code != 401 {
		t.Fatalf("before any key: %d", code)
	}
	if st, _ := providerStatus(p.Issuer); st.LastError == "" || st.Keys != 0 {
		t.Fatalf("dashboard before any key: %+v", st)
	}
	p.Restart("key-1")
	tok := p.Token("app", idptest.Resource)
	testenv.Eventually(t, 5*time.Second, "keys arrive once the provider is up", func() bool {
		code, _ := g.call("GET", g.url("/"), "", bearerHeader(tok))
		return code == 200
	})
	spare := p.Token("app", idptest.Resource) // not yet seen by the gateway
	spare2 := p.Token("app", idptest.Resource)
	p.Stop()
	testenv.Eventually(t, 5*time.Second, "the dashboard says the provider is unreachable", func() bool {
		st, _ := providerStatus(p.Issuer)
		return st.LastError != "" && st.Keys == 1 && !st.LastSuccess.IsZero()
	})
	if code, body := g.call("GET", g.url("/"), "", bearerHeader(spare)); code != 200 || body != "app" {
		t.Fatalf("the last good keys with the provider down: %d %q", code, body)
	}
	// a reload while the provider is down keeps the last good keys
	g.load("", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	jwt_auth {
		issuer %s
		jwks_refresh 300ms
		jwks_cooldown 200ms
	}
	respond "reloaded {http.auth.user.id}"
}`, p.Issuer))
	// until the old server has shut down it may answer once more ("app"); a
	// lost key set answers 401 on both
	var code int
	var body string
	testenv.Eventually(t, 5*time.Second, "the reloaded config answers with the last good keys", func() bool {
		code, body = g.call("GET", g.url("/"), "", bearerHeader(spare2))
		return code != 200 || body == "reloaded app"
	})
	if code != 200 || body != "reloaded app" {
		t.Fatalf("the last good keys after a reload with the provider down: %d %q", code, body)
	}
}

func TestE2ETokenIntrospection(t *testing.T) {
	testenv.SkipInShortMode(t, "runs an OpenID Provider (Node.js)")
	p := idptest.Start(t, "key-1")
	t.Setenv("IDP_TEST_SECRET", "gateway-secret")
	g := startGateway(t, "", fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	token_introspection {
		issuer %s
		client_id gateway
		client_secret {env.IDP_TEST_SECRET}
		cache_ttl 2s
		inactive_cache_ttl 1s
	}
	respond "{http.auth.user.id} {http.auth.user.scope} {http.auth.user.client_id} {http.auth.user.tenant}"
}`, p.Issuer))
	tok := p.Token("app", "")
	testenv.Eventually(t, 5*time.Second, "the introspection endpoint is discovered", func() bool {
		code, _ := g.call("GET", g.url("/"), "", bearerHeader(tok))
		return code != 503
	})
	if code, body := g.call("GET", g.url("/"), "", bearerHeader(tok)); code != 200 || body != "app read app acme" {
		t.Fatalf("an active token: %d %q", code, body)
	}
	ans := fetchWith(t, g.client, "GET", g.url("/"), bearerHeader("not-a-token"))
	if ans.code != 401 || !strings.Contains(ans.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("an unknown token: %d %v", ans.code, ans.header)
	}
	if ans := fetchWith(t, g.client, "GET", g.url("/"), nil); ans.code != 401 || ans.header.Get("WWW-Authenticate") != `Bearer realm="restricted"` {
		t.Fatalf("no token: %d %v", ans.code, ans.header)
	}

	t.Run("expired", func(t *testing.T) {
		short := p.Token("short", "") // lives 2s
		if code, _ := g.call("GET", g.url("/"), "", bearerHeader(short)); code != 200 {
			t.Fatalf("before its exp: %d", code)
		}
		time.Sleep(time.Duration(p.TTLShort)*time.Second + 500*time.Millisecond)
		if code, _ := g.call("GET", g.url("/"), "", bearerHeader(short)); code != 401 {
			t.Fatalf("after its exp: %d", code)
		}
	})

	t.Run("revoked within cache_ttl", func(t *testing.T) {
		rev := p.Token("app", "")
		if code, _ := g.call("GET", g.url("/"), "", bearerHeader(rev)); code != 200 {
			t.Fatalf("before revocation: %d", code)
		}
		p.Revoke("app", rev)
		revoked := time.Now()
		testenv.Eventually(t, 3*time.Second, "a revoked token is refused within cache_ttl", func() bool {
			code, _ := g.call("GET", g.url("/"), "", bearerHeader(rev))
			return code == 401
		})
		if took := time.Since(revoked); took > 2500*time.Millisecond {
			t.Fatalf("refused after %v; cache_ttl is 2s", took)
		}
	})

	t.Run("100 concurrent requests, one call", func(t *testing.T) {
		fresh := p.Token("app", "")
		before := p.Counts()["/token/introspection"]
		var wg sync.WaitGroup
		codes := make([]int, 100)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = fetchWith(t, g.client, "GET", g.url("/"), bearerHeader(fresh)).code
			}()
		}
		wg.Wait()
		for i, c := range codes {
			if c != 200 {
				t.Fatalf("request %d: %d", i, c)
			}
		}
		if calls := p.Counts()["/token/introspection"] - before; calls != 1 {
			t.Fatalf("%d introspection calls for 100 concurrent requests with one token, want 1", calls)
		}
	})

	t.Run("provider down: 503, never 401 or 200", func(t *testing.T) {
		unseen := p.Token("app", "")
		p.Stop()
		ans := fetchWith(t, g.client, "GET", g.url("/"), bearerHeader(unseen))
		if ans.code != 503 || ans.header.Get("Retry-After") == "" || ans.header.Get("WWW-Authenticate") != "" {
			t.Fatalf("provider down: %d %v %s", ans.code, ans.header, ans.body)
		}
		if ans := fetchWith(t, g.client, "GET", g.url("/"), bearerHeader(unseen)); ans.code != 503 {
			t.Fatalf("provider down, again: %d", ans.code)
		}
	})
}
