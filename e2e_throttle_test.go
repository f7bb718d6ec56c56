package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestE2EThrottlePerIP(t *testing.T) {
	sites := `
http://127.0.0.1:{HTTP} {
	throttle {
		rate 5/1m
	}
	respond "ok"
}`
	g := startGateway(t, "", sites)
	for i := range 5 {
		ans := fetch(t, g.client, g.url("/"))
		want := fmt.Sprintf(`"throttle";r=%d;t=%d`, 4-i, 12*(i+1))
		if ans.code != 200 || ans.header.Get("RateLimit") != want || ans.header.Get("RateLimit-Policy") != `"throttle";q=5;w=60` {
			t.Fatalf("request %d: %d RateLimit %q Policy %q", i+1, ans.code, ans.header.Get("RateLimit"), ans.header.Get("RateLimit-Policy"))
		}
	}
	ans := fetch(t, g.client, g.url("/"))
	var body map[string]any
	_ = json.Unmarshal([]byte(ans.body), &body)
	if ans.code != 429 || ans.header.Get("Retry-After") != "12" || body["retry_after"] != 12.0 ||
		ans.header.Get("Content-Type") != "application/json" || ans.header.Get("RateLimit") != `"throttle";r=0;t=60` {
		t.Fatalf("6th: %d Retry-After %q RateLimit %q body %s", ans.code, ans.header.Get("Retry-After"), ans.header.Get("RateLimit"), ans.body)
	}

	// X-Forwarded-For from a peer that is not a trusted proxy opens no new bucket
	spoofed := fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Forwarded-For": {"198.51.100.9"}})
	if spoofed.code != 429 {
		t.Fatalf("a spoofed X-Forwarded-For got a fresh budget: %d", spoofed.code)
	}

	// a reload with the same settings keeps the buckets
	g.load("", sites)
	if ans := fetch(t, g.client, g.url("/")); ans.code != 429 {
		t.Fatalf("after a reload: %d; the client got a fresh burst", ans.code)
	}
}

func TestE2EThrottleHonoursTrustedProxies(t *testing.T) {
	g := startGateway(t, `servers {
		trusted_proxies static 127.0.0.1/32
	}`, `
http://127.0.0.1:{HTTP} {
	throttle {
		rate 1/1m
	}
	respond "{client_ip}"
}`)
	for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		ans := fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Forwarded-For": {ip}})
		if ans.code != 200 || ans.body != ip {
			t.Fatalf("client %s behind a trusted proxy: %d %q", ip, ans.code, ans.body)
		}
	}
	if ans := fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Forwarded-For": {"198.51.100.1"}}); ans.code != 429 {
		t.Fatalf("second request of a client behind a trusted proxy: %d", ans.code)
	}
}

// TestE2EThrottlePerUserAfterJWT limits per IP for everyone and per user
// behind jwt_auth, with no `order` line: throttle must run after jwt_auth to
// see the user.
func TestE2EThrottlePerUserAfterJWT(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	throttle {
		zone per_user
		key {http.auth.user.id}
		rate 2/1m
	}
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
	}
	throttle {
		zone per_ip
		rate 100/1m
	}
	respond "hello {http.auth.user.id}"
}`)
	alice := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "alice"})}}
	bob := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": "bob"})}}
	for i := range 2 {
		ans := fetchWith(t, g.client, "GET", g.url("/"), alice)
		if ans.code != 200 || ans.body != "hello alice" {
			t.Fatalf("alice: %d %q", ans.code, ans.body)
		}
		// both blocks announce their policies and counters
		policies := strings.Join(ans.header.Values("RateLimit-Policy"), ", ")
		counters := strings.Join(ans.header.Values("RateLimit"), ", ")
		if policies != `"per_user";q=2;w=60, "per_ip";q=100;w=60` ||
			counters != fmt.Sprintf(`"per_user";r=%d;t=%d, "per_ip";r=%d;t=%d`, 1-i, 30*(i+1), 99-i, (i+1)) {
			t.Fatalf("alice %d: RateLimit-Policy %q RateLimit %q", i+1, policies, counters)
		}
	}
	// refused by per_user, the request never reaches (nor consumes) per_ip
	ans := fetchWith(t, g.client, "GET", g.url("/"), alice)
	if ans.code != 429 || ans.header.Get("Retry-After") != "30" || strings.Join(ans.header.Values("RateLimit-Policy"), ", ") != `"per_user";q=2;w=60` {
		t.Fatalf("alice's third request: %d Retry-After %q policies %q", ans.code, ans.header.Get("Retry-After"), ans.header.Values("RateLimit-Policy"))
	}
	// bob, from the same IP, has his own budget
	if ans := fetchWith(t, g.client, "GET", g.url("/"), bob); ans.code != 200 || ans.body != "hello bob" {
		t.Fatalf("bob: %d %q", ans.code, ans.body)
	}
}

func TestE2EThrottleZoneSharedAcrossRoutes(t *testing.T) {
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	route /a {
		throttle {
			zone shared
			rate 3/1m
		}
		respond "a"
	}
	route /b {
		throttle {
			zone shared
			rate 3/1m
		}
		respond "b"
	}
	route /c {
		throttle {
			rate 3/1m
		}
		respond "c"
	}
}`)
	for _, path := range []string{"/a", "/b", "/a"} {
		if ans := fetch(t, g.client, g.url(path)); ans.code != 200 {
			t.Fatalf("%s: %d", path, ans.code)
		}
	}
	if ans := fetch(t, g.client, g.url("/b")); ans.code != 429 {
		t.Fatalf("/b after 3 requests to the shared zone: %d", ans.code)
	}
	if ans := fetch(t, g.client, g.url("/c")); ans.code != 200 {
		t.Fatalf("/c has its own zone: %d", ans.code)
	}
}

func TestE2EThrottleZoneWithTwoDefinitionsFailsToLoad(t *testing.T) {
	g := startGateway(t, "", "http://127.0.0.1:{HTTP} {\n\trespond ok\n}")
	err := g.tryLoad("", `
http://127.0.0.1:{HTTP} {
	route /a {
		throttle {
			zone shared
			rate 3/1m
		}
	}
	route /b {
		throttle {
			zone shared
			rate 4/1m
		}
	}
}`)
	if err == nil || !strings.Contains(err.Error(), `zone "shared" is used with different settings`) {
		t.Fatalf("err = %v", err)
	}
}

// TestE2ETrustedProxiesStrict shows what docs/throttle.md says: behind a
// trusted proxy that appends to X-Forwarded-For, Caddy's default client IP
// is the left-most entry, which the client wrote, so a client can drain
// someone else's bucket; with trusted_proxies_strict it cannot.
func TestE2ETrustedProxiesStrict(t *testing.T) {
	for _, strict := range []bool{false, true} {
		globals := "servers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}"
		if strict {
			globals = "servers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t\ttrusted_proxies_strict\n\t}"
		}
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			g := startGateway(t, globals, `
http://127.0.0.1:{HTTP} {
	throttle {
		rate 1/1h
	}
	respond "ok"
}`)
			// the attacker claims the victim's address; the proxy appends the attacker's
			fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Forwarded-For": {"203.0.113.9, 198.51.100.66"}})
			// the victim's first request, through the same proxy
			victim := fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Forwarded-For": {"203.0.113.9"}})
			switch {
			case !strict && victim.code != http.StatusTooManyRequests:
				t.Fatalf("without trusted_proxies_strict the attacker did not reach the victim's bucket (%d): the documented risk changed", victim.code)
			case strict && victim.code != http.StatusOK:
				t.Fatalf("with trusted_proxies_strict the victim got %d: the attacker drained its bucket", victim.code)
			}
		})
	}
}
