package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/golang-jwt/jwt/v5"
)

// TestE2EThrottlePlan: throttle { plan } applies each consumer's plan: its
// rates (429 with RateLimit headers) and its quotas (429 with Retry-After
// until the window renews, and quota headers), and a plan change applies
// at once.
func TestE2EThrottlePlan(t *testing.T) {
	g := startGateway(t, `consumers {
		plan free {
			quota 3/day
		}
		plan pro {
			rate 2/1m
			quota 1000/month
		}
		default_plan free
	}`, `
http://127.0.0.1:{HTTP} {
	api_key {
		optional
	}
	throttle {
		plan
	}
	respond "ok {http.auth.user.plan}"
}`)
	g.adminCall("POST", "/consumers/", `{"id": "small"}`)
	g.adminCall("POST", "/consumers/", `{"id": "big", "plan": "pro"}`)
	_, small := g.createKey("small", "")
	_, big := g.createKey("big", "")
	get := func(key string) answer {
		return fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Api-Key": {key}})
	}

	for i := range 3 {
		ans := get(small)
		if ans.code != 200 || ans.header.Get("X-Quota-Limit") != "3" || ans.header.Get("X-Quota-Remaining") != string(rune('2'-i)) {
			t.Fatalf("request %d within the quota: %d %q %v", i, ans.code, ans.body, ans.header)
		}
	}
	ans := get(small)
	now := time.Now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	var body struct {
		RenewsAt string `json:"renews_at"`
	}
	_ = json.Unmarshal([]byte(ans.body), &body)
	if ans.code != 429 || ans.header.Get("Retry-After") == "" || ans.header.Get("X-Quota-Remaining") != "0" ||
		!strings.Contains(ans.body, `"quota":"3/day"`) || body.RenewsAt != midnight.Format(time.RFC3339) {
		t.Fatalf("over the quota: %d %q %v (want renews_at %s)", ans.code, ans.body, ans.header, midnight.Format(time.RFC3339))
	}
	_, usage := g.adminCall("GET", "/consumers/small/usage", "")
	if !strings.Contains(usage, `"used":3`) || !strings.Contains(usage, `"remaining":0`) || !strings.Contains(usage, `"plan":"free"`) {
		t.Errorf("usage: %s", usage)
	}

	// the pro plan's rate: 2 a minute, then 429 from the rate with the quota untouched
	for i := range 2 {
		if ans := get(big); ans.code != 200 || ans.body != "ok pro" || ans.header.Get("RateLimit") == "" {
			t.Fatalf("pro request %d: %d %q %v", i, ans.code, ans.body, ans.header)
		}
	}
	if ans := get(big); ans.code != 429 || !strings.Contains(ans.body, "too many requests") || ans.header.Get("X-Quota-Limit") != "" {
		t.Fatalf("over the pro rate: %d %q %v", ans.code, ans.body, ans.header)
	}
	_, usage = g.adminCall("GET", "/consumers/big/usage", "")
	if !strings.Contains(usage, `"used":2`) || !strings.Contains(usage, `"quota":"1000/month"`) {
		t.Errorf("pro usage (the rate-limited request must not count): %s", usage)
	}

	// moving a consumer to another plan applies at once
	g.adminCall("PATCH", "/consumers/small", `{"plan": "pro"}`)
	if ans := get(small); ans.code != 200 || ans.header.Get("X-Quota-Limit") != "1000" {
		t.Fatalf("after the move to pro: %d %q %v", ans.code, ans.body, ans.header)
	}
	// an anonymous request is not a consumer: no plan applies
	if ans := fetch(t, g.client, g.url("/")); ans.code != 200 || ans.header.Get("X-Quota-Limit") != "" {
		t.Fatalf("anonymous: %d %v", ans.code, ans.header)
	}
	// a reload keeps the counts
	g.load(`consumers {
		plan free {
			quota 3/day
		}
		plan pro {
			rate 2/1m
			quota 1000/month
		}
		default_plan free
	}`, `
http://127.0.0.1:{HTTP} {
	api_key
	throttle {
		plan
	}
	respond "ok again"
}`)
	_, usage = g.adminCall("GET", "/consumers/big/usage", "")
	if !strings.Contains(usage, `"used":2`) {
		t.Errorf("the quota count after a reload: %s", usage)
	}
}

func TestThrottlePlanCaddyfile(t *testing.T) {
	for _, c := range []struct{ in, err string }{
		{"throttle {\n plan\n rate 1/1s\n}", "drop rate and key"},
		{"throttle {\n plan x\n}", "plan takes no arguments"},
	} {
		err := new(Throttle).UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.in))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: %v, want %q", c.in, err, c.err)
		}
	}
}

// TestE2EPlanSharedByKeysAndTokens: a JWT naming a consumer (consumer_claim)
// counts in the same quota as the consumer's API key; a token naming an
// unknown consumer is refused; a token's own "plan" claim changes nothing.
func TestE2EPlanSharedByKeysAndTokens(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, `consumers {
		plan free {
			quota 4/month
		}
		default_plan free
	}`, `
http://127.0.0.1:{HTTP} {
	route /key/* {
		api_key
		throttle {
			plan
		}
		respond "key {http.auth.user.id}"
	}
	route /jwt/* {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
			consumer_claim org
		}
		throttle {
			plan
		}
		respond "jwt {http.auth.user.id} {http.auth.user.consumer} {http.auth.user.plan}"
	}
}`)
	g.adminCall("POST", "/consumers/", `{"id": "acme"}`)
	_, key := g.createKey("acme", "")
	token := liveToken(t, secret, jwt.MapClaims{"org": "acme", "plan": "gold"})
	bearer := http.Header{"Authorization": {"Bearer " + token}}
	if ans := fetchWith(t, g.client, "GET", g.url("/jwt/"), bearer); ans.code != 200 || ans.body != "jwt user-7 acme free" {
		t.Fatalf("a token naming acme: %d %q", ans.code, ans.body)
	}
	fetchWith(t, g.client, "GET", g.url("/key/"), http.Header{"X-Api-Key": {key}})
	fetchWith(t, g.client, "GET", g.url("/jwt/"), bearer)
	if ans := fetchWith(t, g.client, "GET", g.url("/key/"), http.Header{"X-Api-Key": {key}}); ans.code != 200 || ans.header.Get("X-Quota-Remaining") != "0" {
		t.Fatalf("the fourth request of acme: %d %v", ans.code, ans.header)
	}
	if ans := fetchWith(t, g.client, "GET", g.url("/jwt/"), bearer); ans.code != 429 {
		t.Fatalf("the fifth request of acme, by token: %d", ans.code)
	}
	other := liveToken(t, secret, jwt.MapClaims{"org": "nobody"})
	if ans := fetchWith(t, g.client, "GET", g.url("/jwt/"), http.Header{"Authorization": {"Bearer " + other}}); ans.code != 401 ||
		!strings.Contains(ans.header.Get("WWW-Authenticate"), "consumer is unknown") {
		t.Fatalf("a token naming an unknown consumer: %d %v", ans.code, ans.header)
	}
	plain := liveToken(t, secret, jwt.MapClaims{"consumer": "acme"})
	if ans := fetchWith(t, g.client, "GET", g.url("/jwt/"), http.Header{"Authorization": {"Bearer " + plain}}); ans.code != 200 {
		t.Fatalf("a token without the consumer claim (a claim named consumer does not bind): %d %q", ans.code, ans.body)
	}
}

// TestE2EJWTClaimsCannotForgeConsumer: a token's own claims named like the
// consumer placeholders (consumer, plan, key_id, metadata.*) never reach
// them: without the consumer claim they stay unset, and with it they are
// the consumer's.
func TestE2EJWTClaimsCannotForgeConsumer(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, `consumers {
		plan free {
			quota 100/month
		}
		default_plan free
	}`, `
http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		consumer_claim org
	}
	respond "c={http.auth.user.consumer} p={http.auth.user.plan} k={http.auth.user.key_id} t={http.auth.user.metadata.team} m={http.auth.user.metadata}"
}`)
	g.adminCall("POST", "/consumers/", `{"id": "acme"}`)
	forged := jwt.MapClaims{"consumer": "evil", "plan": "gold", "key_id": "forged-kid", "metadata.team": "forged-team",
		"metadata": map[string]any{"team": "forged-team"}}
	for _, org := range []any{nil, "acme"} {
		claims := jwt.MapClaims{}
		for k, v := range forged {
			claims[k] = v
		}
		if org != nil {
			claims["org"] = org
		}
		ans := fetchWith(t, g.client, "GET", g.url("/"), http.Header{"Authorization": {"Bearer " + liveToken(t, secret, claims)}})
		if ans.code != 200 {
			t.Fatalf("org %v: %d %q", org, ans.code, ans.body)
		}
		for _, bad := range []string{"evil", "gold", "forged"} {
			if strings.Contains(ans.body, bad) {
				t.Errorf("org %v: the token's claims reached the consumer placeholders: %q", org, ans.body)
			}
		}
		if org != nil && !strings.HasPrefix(ans.body, "c=acme p=free ") {
			t.Errorf("org acme: %q", ans.body)
		}
	}
}

// TestE2EJWTEmptyConsumerClaimRefused: a consumer claim that is present
// but empty, null or not a string is refused like an unknown consumer,
// not taken for "no consumer" (which escapes the consumer's quota).
func TestE2EJWTEmptyConsumerClaimRefused(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, `consumers {
		plan free {
			quota 100/month
		}
		default_plan free
	}`, `
http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
		consumer_claim org
	}
	respond "ok {http.auth.user.id}"
}`)
	g.adminCall("POST", "/consumers/", `{"id": "acme"}`)
	g.adminCall("POST", "/consumers/", `{"id": "7"}`)
	for _, org := range []any{"", nil, 7.0, true, []any{"acme"}, map[string]any{"id": "acme"}} {
		// liveToken drops a nil claim: sign "org": null as it is
		tok := sign(t, jwt.SigningMethodHS256, []byte(secret), jwt.MapClaims{"sub": "user-7", "org": org,
			"exp": time.Now().Add(time.Hour).Unix()}, nil)
		if ans := fetchWith(t, g.client, "GET", g.url("/"), http.Header{"Authorization": {"Bearer " + tok}}); ans.code != 401 {
			t.Errorf("org %#v: %d %q; want 401", org, ans.code, ans.body)
		}
	}
	tok := liveToken(t, secret, jwt.MapClaims{})
	if ans := fetchWith(t, g.client, "GET", g.url("/"), http.Header{"Authorization": {"Bearer " + tok}}); ans.code != 200 {
		t.Errorf("a token without the consumer claim: %d %q", ans.code, ans.body)
	}
}

// TestE2EQuotaSurvivesRestart: in single-gateway mode the calendar quota
// counts are persisted with the consumers: a quota used before a restart
// stays used after it.
func TestE2EQuotaSurvivesRestart(t *testing.T) {
	globals := `consumers {
		plan free {
			quota 3/day
		}
		default_plan free
	}`
	sites := `
http://127.0.0.1:{HTTP} {
	api_key
	throttle {
		plan
	}
	respond "ok"
}`
	g := startGateway(t, globals, sites)
	g.adminCall("POST", "/consumers/", `{"id": "small"}`)
	_, key := g.createKey("small", "")
	get := func() answer {
		return fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Api-Key": {key}})
	}
	for i := range 2 {
		if ans := get(); ans.code != 200 {
			t.Fatalf("request %d: %d %q", i, ans.code, ans.body)
		}
	}
	g.restart(globals, sites)
	if ans := get(); ans.code != 200 || ans.header.Get("X-Quota-Remaining") != "0" {
		t.Fatalf("the third request after a restart: %d %v (the count was lost)", ans.code, ans.header)
	}
	if ans := get(); ans.code != 429 {
		t.Fatalf("the fourth request after a restart: %d; want 429", ans.code)
	}
}

// TestE2ETwoPlanBlocksCountOnce: two `throttle { plan }` blocks on one
// request's way count it once in the consumer's quota, not twice.
func TestE2ETwoPlanBlocksCountOnce(t *testing.T) {
	g := startGateway(t, `consumers {
		plan free {
			quota 3/day
		}
		default_plan free
	}`, `
http://127.0.0.1:{HTTP} {
	api_key
	throttle {
		plan
	}
	route {
		throttle {
			plan
		}
		respond "ok"
	}
}`)
	g.adminCall("POST", "/consumers/", `{"id": "small"}`)
	_, key := g.createKey("small", "")
	for i := range 3 {
		ans := fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Api-Key": {key}})
		if ans.code != 200 || ans.header.Get("X-Quota-Remaining") != strconv.Itoa(2-i) {
			t.Fatalf("request %d: %d %v", i, ans.code, ans.header)
		}
	}
}
