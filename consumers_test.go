package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/consumers"
)

func TestConsumersCaddyfile(t *testing.T) {
	a := new(ConsumersApp)
	err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`consumers {
		plan free {
			rate 5/1s
			rate 100/1h burst 20
			quota 1000/day
			quota 20000/month
		}
		default_plan free
		timezone Europe/Paris
		backend redis redis://127.0.0.1:6379/0
		redis_timeout 100ms
		resync_interval 2s
	}`))
	if err != nil {
		t.Fatal(err)
	}
	p := a.Plans["free"]
	if len(p.Rates) != 2 || p.Rates[1].Burst != 20 || strings.Join(p.Quotas, " ") != "1000/day 20000/month" ||
		a.DefaultPlan != "free" || a.Timezone != "Europe/Paris" || a.Redis == nil || a.Redis.Timeout == 0 || a.ResyncInterval == 0 {
		t.Fatalf("parsed %+v, plan %+v", a, p)
	}
	for _, c := range []struct{ in, err string }{
		{"consumers {\n plan a {\n quota 10/hour\n }\n}", "day, week or month"},
		{"consumers {\n plan a {\n quota ten/day\n }\n}", "positive whole number"},
		{"consumers {\n plan a\n plan a\n}", "defined twice"},
		{"consumers {\n plan a {\n limit 1\n }\n}", "rate and quota"},
		{"consumers {\n colour red\n}", "consumers knows"},
		{"consumers {\n plan\n}", "needs a name"},
		{"consumers {\n plan a {\n rate 5/1s burst\n }\n}", "burst"},
	} {
		if err := new(ConsumersApp).UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.in)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: %v, want %q", c.in, err, c.err)
		}
	}
	for _, c := range []struct {
		app ConsumersApp
		err string
	}{
		{ConsumersApp{DefaultPlan: "gold"}, `default_plan "gold" is not a plan`},
		{ConsumersApp{Redis: &caddykit.RedisConfig{URL: "redis://x"}, Persist: new(true)}, "drop `persist on`"},
		{ConsumersApp{Plans: map[string]*Plan{"a b": {}}}, "plan name"},
	} {
		if err := c.app.Validate(); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%+v: %v, want %q", c.app, err, c.err)
		}
	}
}

func TestAPIKeyCaddyfile(t *testing.T) {
	h := new(APIKey)
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("api_key {\n from header X-Key\n from query key\n from authorization ApiKey\n realm api\n optional\n}")); err != nil {
		t.Fatal(err)
	}
	if len(h.From) != 3 || h.From[1] != (KeySource{Kind: "query", Name: "key"}) || h.Realm != "api" || !h.Optional {
		t.Fatalf("parsed %+v", h)
	}
	for _, c := range []struct{ in, err string }{
		{"api_key {\n from cookie k\n}", "want header"},
		{"api_key {\n from header\n}", "two arguments"},
		{"api_key {\n from authorization Bearer\n}", "the scheme is ApiKey"},
		{"api_key {\n colour red\n}", "api_key knows"},
		{"api_key extra", "wrong argument count"},
	} {
		if err := new(APIKey).UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.in)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: %v, want %q", c.in, err, c.err)
		}
	}
}

// TestAPIKeyOptional: with optional, a request without a key passes
// anonymously (no consumer variable, no placeholder), and a bad key is
// still refused.
func TestAPIKeyOptional(t *testing.T) {
	store := consumers.NewStore()
	h := &APIKey{store: store, app: &ConsumersApp{}, logger: zap.NewNop(), Optional: true}
	h.prepare()
	t.Cleanup(func() { _ = h.Cleanup() })
	var passed bool
	next := caddyhttp.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) error {
		passed = true
		if v := caddyhttp.GetVar(r.Context(), consumerVar); v != nil {
			t.Errorf("an anonymous request has the consumer %v", v)
		}
		return nil
	})
	r := benchRequest(httptest.NewRequest("GET", "/", nil))
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, next); err != nil || !passed {
		t.Fatalf("anonymous: %v, passed %v", err, passed)
	}
	_, bad := consumers.NewKey()
	passed = false
	r.Header.Set("X-Api-Key", bad)
	w = httptest.NewRecorder()
	_ = h.ServeHTTP(w, r, next)
	if passed || w.Code != http.StatusUnauthorized {
		t.Fatalf("a bad key with optional: passed %v, %d", passed, w.Code)
	}
}
