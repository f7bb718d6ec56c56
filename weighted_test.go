package gateway

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	"go.uber.org/zap"
)

func weightPtr(w int) *int { return &w }

// inCaddy gives a request the vars a Caddy server gives it.
func inCaddy(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
}

func dialsOf(ups []*reverseproxy.Upstream) []string {
	var out []string
	for _, u := range ups {
		out = append(out, u.Dial)
	}
	return out
}

// TestMatchByMetadata: match keeps the instances whose metadata matches,
// placeholders expand per request, an empty expansion constrains nothing,
// and fallback decides what no match gets.
func TestMatchByMetadata(t *testing.T) {
	r := newTestRegistry(t)
	for _, in := range []struct{ id, version, zone string }{
		{"a", "1", "eu"}, {"b", "1", "us"}, {"c", "2", "eu"}, {"d", "2", "us"}, {"e", "3", ""},
	} {
		md := map[string]string{"version": in.version}
		if in.zone != "" {
			md["zone"] = in.zone
		}
		mustRegister(t, r, registry.Registration{Service: "svc", ID: in.id, Address: "10.0.0." + fmt.Sprint(in.id[0]-'a'+1) + ":80", Metadata: md})
	}
	u := &RegistryUpstreams{Service: "svc", registry: r, Subset: -1,
		Match: map[string][]string{"version": {"{http.request.header.X-Version}"}, "zone": {"{http.request.header.X-Zone}", "{http.request.header.X-Zone2}"}}}
	u.prepare()
	get := func(h map[string]string) []string {
		t.Helper()
		req := newUpstreamRequest("/")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		ups, err := u.GetUpstreams(req)
		if err != nil {
			t.Fatal(err)
		}
		return dialsOf(ups)
	}
	for _, c := range []struct {
		header map[string]string
		want   []string
	}{
		{map[string]string{"X-Version": "2"}, []string{"10.0.0.3:80", "10.0.0.4:80"}},
		{map[string]string{"X-Version": "2", "X-Zone": "us"}, []string{"10.0.0.4:80"}},
		{map[string]string{"X-Zone": "eu"}, []string{"10.0.0.1:80", "10.0.0.3:80"}},
		{map[string]string{"X-Zone": "eu", "X-Zone2": "us", "X-Version": "1"}, []string{"10.0.0.1:80", "10.0.0.2:80"}},
		{nil, []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80"}},                                 // no constraint
		{map[string]string{"X-Version": "9"}, []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80"}}, // fallback all
	} {
		got := get(c.header)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%v: %v, want %v", c.header, got, c.want)
		}
	}
	u.Fallback = "none"
	u.prepare()
	if got := get(map[string]string{"X-Version": "9"}); len(got) != 0 {
		t.Errorf("fallback none, no match: %v, want no upstream (503)", got)
	}
	if got := get(map[string]string{"X-Version": "3", "X-Zone": "eu"}); len(got) != 0 {
		t.Errorf("an instance without the key never matches it: %v", got)
	}

	// a window over the matching instances when they are more than the subset
	for i := range 30 {
		mustRegister(t, r, registry.Registration{Service: "svc", ID: fmt.Sprintf("v4-%02d", i), Address: fmt.Sprintf("10.0.4.%d:80", i+1),
			Metadata: map[string]string{"version": "4"}})
	}
	u.Subset = 4
	u.prepare()
	seen := map[string]bool{}
	for range 500 {
		got := get(map[string]string{"X-Version": "4"})
		if len(got) != 4 {
			t.Fatalf("a window of 4 over 30 matching: %v", got)
		}
		for _, d := range got {
			if d[:7] != "10.0.4." {
				t.Fatalf("the window holds %s, which does not match", d)
			}
			seen[d] = true
		}
	}
	if len(seen) != 30 {
		t.Fatalf("windows over the matching instances reached %d of 30", len(seen))
	}
}

// TestDrainedInstancesGetNoRequests: weight 0 keeps an instance registered
// and out of every request's upstreams; a renewal with a weight undrains.
func TestDrainedInstancesGetNoRequests(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, registry.Registration{Service: "svc", ID: "old", Address: "10.0.0.1:80"})
	mustRegister(t, r, registry.Registration{Service: "svc", ID: "new", Address: "10.0.0.2:80"})
	mustRegister(t, r, registry.Registration{Service: "svc", ID: "old", Address: "10.0.0.1:80", Weight: weightPtr(0)})
	if got := r.Dials("svc"); !slices.Equal(got, []string{"10.0.0.2:80"}) {
		t.Fatalf("after draining old: %v", got)
	}
	if inst, ok := r.Instance("svc", "old"); !ok || inst.Weight != 0 {
		t.Fatalf("a drained instance must stay registered: %+v %v", inst, ok)
	}
	mustRegister(t, r, registry.Registration{Service: "svc", ID: "new", Address: "10.0.0.2:80", Weight: weightPtr(0)})
	if got := r.Dials("svc"); len(got) != 0 {
		t.Fatalf("every instance drained: %v, want none (503)", got)
	}
	mustRegister(t, r, registry.Registration{Service: "svc", ID: "old", Address: "10.0.0.1:80", Weight: weightPtr(3)})
	if got := r.Dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
		t.Fatalf("after a renewal with weight 3: %v", got)
	}
	for _, bad := range []int{-1, registry.MaxWeight + 1} {
		if _, _, err := r.Register(registry.Registration{Service: "svc", Address: "10.0.0.3:80", Weight: weightPtr(bad)}); statusOf(err) != http.StatusBadRequest {
			t.Errorf("weight %d: %v, want a 400", bad, err)
		}
	}
}

// TestWeightedSelection: a canary at weight 1 beside an instance at 19
// gets 5% ± 1% of 100k choices; a key makes the choice sticky and still
// proportional across keys.
func TestWeightedSelection(t *testing.T) {
	testenv.SkipInShortMode(t, "draws 140,000 selections to measure the canary's share (9 s)")
	r := newTestRegistry(t)
	mustRegister(t, r, registry.Registration{Service: "svc", ID: "v1", Address: "10.0.0.1:80", Weight: weightPtr(19)})
	mustRegister(t, r, registry.Registration{Service: "svc", ID: "v2", Address: "10.0.0.2:80", Weight: weightPtr(1)})
	u := &RegistryUpstreams{Service: "svc", registry: r}
	u.prepare()
	policy := &RegistryWeighted{}
	if err := policy.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	choose := func(req *http.Request) string {
		ups, err := u.GetUpstreams(req)
		if err != nil || len(ups) != 2 {
			t.Fatalf("GetUpstreams: %v %v", ups, err)
		}
		for _, up := range ups {
			up.Host = new(reverseproxy.Host)
		}
		return policy.Select(ups, req, nil).Dial
	}
	const n = 100000
	canary := 0
	for range n {
		if choose(inCaddy(newUpstreamRequest("/"))) == "10.0.0.2:80" {
			canary++
		}
	}
	if share := float64(canary) / n; math.Abs(share-0.05) > 0.01 {
		t.Fatalf("the canary got %.2f%% of %d requests, want 5%% ± 1%%", share*100, n)
	}

	policy = &RegistryWeighted{Key: "{http.request.header.X-User}"}
	_ = policy.Provision(caddy.Context{})
	canary = 0
	const users = 20000
	for i := range users {
		req := inCaddy(newUpstreamRequest("/"))
		req.Header.Set("X-User", fmt.Sprintf("user-%d", i))
		first := choose(req)
		if again := choose(req); again != first {
			t.Fatalf("user-%d went to %s, then %s", i, first, again)
		}
		if first == "10.0.0.2:80" {
			canary++
		}
	}
	if share := float64(canary) / users; math.Abs(share-0.05) > 0.01 {
		t.Fatalf("keyed: the canary got %.2f%% of %d users, want 5%% ± 1%%", share*100, users)
	}

	// without the registry's route (a static upstream list): weight 1 each
	pool := reverseproxy.UpstreamPool{{Dial: "a:1", Host: new(reverseproxy.Host)}, {Dial: "b:1", Host: new(reverseproxy.Host)}}
	if got := policy.Select(pool, newUpstreamRequest("/"), nil); got == nil {
		t.Fatal("static upstreams: no choice")
	}
}

// BenchmarkGetUpstreamsMatch: choosing by metadata among 100 instances (25
// per version), against no match at all, inside Caddy (vars, hop marker);
// no allocation beyond the upstreams.
func BenchmarkGetUpstreamsMatch(b *testing.B) {
	r := newTestRegistry(b)
	for i := range 100 {
		if _, _, err := r.Register(registry.Registration{Service: "svc", ID: fmt.Sprintf("i%03d", i), Address: fmt.Sprintf("10.0.0.%d:80", i+1),
			Metadata: map[string]string{"version": fmt.Sprint(i % 4), "zone": fmt.Sprint(i % 2)}}); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		match map[string][]string
	}{
		{"no match", nil},
		{"match version (header)", map[string][]string{"version": {"{http.request.header.X-Version}"}}},
		{"match version and zone", map[string][]string{"version": {"{http.request.header.X-Version}"}, "zone": {"1"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			u := &RegistryUpstreams{Service: "svc", registry: r, Match: c.match}
			u.prepare()
			req := newUpstreamRequest("/")
			req.Header.Set("X-Version", "2")
			vars := map[string]any{}
			req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, vars))
			b.ReportAllocs()
			for b.Loop() {
				delete(vars, hopVar)
				delete(req.Header, hopHeader)
				if ups, _ := u.GetUpstreams(req); len(ups) != defaultSubset {
					b.Fatal(len(ups))
				}
			}
		})
	}
}

// TestWeightInTheAPI: the registration API takes, checks and shows weights.
func TestWeightInTheAPI(t *testing.T) {
	reg := newTestRegistry(t)
	api := apiServer{reg: reg, logger: zap.NewNop()}
	code, _, body := apiCall(t, api, "POST", "/registry/services/svc", `{"address": "10.0.0.1:80", "weight": 7}`)
	if code != http.StatusCreated || body.(map[string]any)["weight"] != 7.0 {
		t.Fatalf("register with weight 7: %d %v", code, body)
	}
	_, _, body = apiCall(t, api, "POST", "/registry/services/svc", `{"address": "10.0.0.2:80"}`)
	if body.(map[string]any)["weight"] != 1.0 {
		t.Fatalf("default weight: %v", body)
	}
	for _, bad := range []string{`-1`, `1.5`, `"3"`, `10001`} {
		code, _, body := apiCall(t, api, "POST", "/registry/services/svc", `{"address": "10.0.0.3:80", "weight": `+bad+`}`)
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body), "weight") {
			t.Errorf("weight %s: %d %v, want a 400 naming the weight", bad, code, body)
		}
	}
	_, _, body = apiCall(t, api, "POST", "/registry/services/svc", `{"address": "10.0.0.1:80", "weight": 0}`)
	if body.(map[string]any)["weight"] != 0.0 || !slices.Equal(reg.Dials("svc"), []string{"10.0.0.2:80"}) {
		t.Fatalf("drain by renewal: %v, routes %v", body, reg.Dials("svc"))
	}
}

// TestWeightedSelectionOfOtherUpstreams: upstreams a route does not hold
// (a static list, after a registry route was remembered for the request)
// weigh 1, so the policy still chooses.
func TestWeightedSelectionOfOtherUpstreams(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, registry.Registration{Service: "svc", ID: "a", Address: "10.0.0.1:80", Weight: weightPtr(5)})
	u := &RegistryUpstreams{Service: "svc", registry: r}
	u.prepare()
	req := inCaddy(newUpstreamRequest("/"))
	if _, err := u.GetUpstreams(req); err != nil {
		t.Fatal(err)
	}
	policy := &RegistryWeighted{}
	_ = policy.Provision(caddy.Context{})
	pool := reverseproxy.UpstreamPool{{Dial: "static:1", Host: new(reverseproxy.Host)}}
	if got := policy.Select(pool, req, nil); got == nil || got.Dial != "static:1" {
		t.Fatalf("a static upstream after a registry route: %v", got)
	}
}
