package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
)

// fakeNanos is a controllable monotonic clock for limiters.
type fakeNanos struct{ ns atomic.Int64 }

func (c *fakeNanos) now() int64              { return c.ns.Load() }
func (c *fakeNanos) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newZones() *ThrottleZones {
	return ThrottleZones{}.CaddyModule().New().(*ThrottleZones)
}

// newThrottle sets a handler up as Provision does, in the given config
// load's bookkeeping, on a fake clock.
func newThrottle(t testing.TB, th *Throttle, zones *ThrottleZones, clk *fakeNanos) *Throttle {
	t.Helper()
	th.now = clk.now
	if err := th.setup(zones, zap.NewNop()); err != nil {
		t.Fatalf("setup: %v", err)
	}
	if err := th.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	t.Cleanup(func() { _ = th.Cleanup() })
	return th
}

func perWindow(events int, window time.Duration) Rate {
	return Rate{Events: events, Window: caddy.Duration(window)}
}

type throttled struct {
	code   int
	passed bool
	header http.Header
	body   map[string]any
}

// hit sends one request from clientIP, with extra vars (e.g. a user id
// set by jwt_auth) in the replacer.
func hit(t testing.TB, th *Throttle, clientIP string, set map[string]any) throttled {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{"client_ip": clientIP}))
	repl := caddyhttp.NewTestReplacer(r)
	for k, v := range set {
		repl.Set(k, v)
	}
	rec := httptest.NewRecorder()
	var res throttled
	if err := th.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		res.passed = true
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	res.code, res.header = rec.Code, rec.Header()
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			t.Fatalf("body is not JSON: %q", rec.Body)
		}
	}
	return res
}

func TestThrottleExactCounts(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Rates: []Rate{perWindow(5, time.Minute)}}, newZones(), clk)

	for i := range 5 {
		res := hit(t, th, "10.0.0.1", nil)
		want := fmt.Sprintf(`"throttle";r=%d;t=%d`, 4-i, 12*(i+1))
		if !res.passed || res.header.Get("RateLimit") != want || res.header.Get("RateLimit-Policy") != `"throttle";q=5;w=60` {
			t.Fatalf("request %d: passed=%v RateLimit %q Policy %q; want %q", i+1, res.passed,
				res.header.Get("RateLimit"), res.header.Get("RateLimit-Policy"), want)
		}
	}
	res := hit(t, th, "10.0.0.1", nil)
	if res.passed || res.code != 429 || res.header.Get("Retry-After") != "12" || res.body["retry_after"] != 12.0 ||
		res.header.Get("RateLimit") != `"throttle";r=0;t=60` {
		t.Fatalf("6th request: %d Retry-After %q RateLimit %q %v", res.code, res.header.Get("Retry-After"), res.header.Get("RateLimit"), res.body)
	}
	if other := hit(t, th, "10.0.0.2", nil); !other.passed {
		t.Fatal("another client was refused")
	}
	clk.advance(11 * time.Second)
	if res := hit(t, th, "10.0.0.1", nil); res.passed || res.header.Get("Retry-After") != "1" {
		t.Fatalf("after 11s: passed=%v Retry-After %q; want refused, 1", res.passed, res.header.Get("Retry-After"))
	}
	clk.advance(time.Second)
	if res := hit(t, th, "10.0.0.1", nil); !res.passed {
		t.Fatal("after 12s: refused; one more request should pass")
	}
	if res := hit(t, th, "10.0.0.1", nil); res.passed || res.header.Get("Retry-After") != "12" {
		t.Fatalf("right after: passed=%v Retry-After %q", res.passed, res.header.Get("Retry-After"))
	}
}

func TestThrottleRetryAfterRoundsUp(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Rates: []Rate{perWindow(3, time.Second)}}, newZones(), clk)
	for range 3 {
		hit(t, th, "10.0.0.1", nil)
	}
	if res := hit(t, th, "10.0.0.1", nil); res.passed || res.header.Get("Retry-After") != "1" {
		t.Fatalf("a wait of 333ms: Retry-After %q, want 1", res.header.Get("Retry-After"))
	}
}

func TestThrottleBurst(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Rates: []Rate{{Events: 1, Window: caddy.Duration(time.Second), Burst: 3}}}, newZones(), clk)
	for i := range 3 {
		if !hit(t, th, "k", nil).passed {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if res := hit(t, th, "k", nil); res.passed || res.header.Get("RateLimit-Policy") != `"throttle";q=3;w=3` {
		t.Fatalf("over the burst: passed=%v policy %q", res.passed, res.header.Get("RateLimit-Policy"))
	}
}

// TestThrottleCompositeRatesConsumeNothingWhenRefused checks that a request
// refused by one rate leaves the other rates' budgets alone.
func TestThrottleCompositeRatesConsumeNothingWhenRefused(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Zone: "api", Rates: []Rate{perWindow(2, time.Second), perWindow(3, time.Minute)}}, newZones(), clk)
	header := func(res throttled) string { return res.header.Get("RateLimit") }

	hit(t, th, "k", nil)
	if res := hit(t, th, "k", nil); !res.passed || header(res) != `"api-1";r=0;t=1, "api-2";r=1;t=40` {
		t.Fatalf("2nd: %v %q", res.passed, header(res))
	}
	// refused by the per-second rate: the per-minute rate keeps its 1
	if res := hit(t, th, "k", nil); res.passed || header(res) != `"api-1";r=0;t=1, "api-2";r=1;t=40` {
		t.Fatalf("3rd: %v %q", res.passed, header(res))
	}
	clk.advance(time.Second)
	if res := hit(t, th, "k", nil); !res.passed || header(res) != `"api-1";r=1;t=1, "api-2";r=0;t=59` {
		t.Fatalf("4th: %v %q", res.passed, header(res))
	}
	// refused by the per-minute rate: the per-second rate keeps its 1
	res := hit(t, th, "k", nil)
	if res.passed || header(res) != `"api-1";r=1;t=1, "api-2";r=0;t=59` || res.header.Get("Retry-After") != "19" {
		t.Fatalf("5th: %v %q Retry-After %q", res.passed, header(res), res.header.Get("Retry-After"))
	}
	if p := res.header.Get("RateLimit-Policy"); p != `"api-1";q=2;w=1, "api-2";q=3;w=60` {
		t.Fatalf("policy %q", p)
	}
}

func TestThrottleParallelHammeringOneKeyLetsExactlyTheBurstThrough(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Rates: []Rate{perWindow(100, time.Hour)}}, newZones(), clk)
	var passed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tats [maxRates]int64
			for range 40 {
				if ok, _ := th.zone.Take("one-key", clk.now(), tats[:1]); ok {
					passed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := passed.Load(); n != 100 {
		t.Fatalf("%d of 2000 parallel requests passed; want exactly the burst, 100", n)
	}
}

func TestThrottleFloodOfKeysStaysBounded(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Rates: []Rate{perWindow(10, time.Minute)}, MaxKeys: 5000}, newZones(), clk)
	var tats [maxRates]int64
	for i := range 200000 {
		th.zone.Take(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), clk.now(), tats[:1])
		if i%10000 == 0 {
			clk.advance(time.Millisecond)
			if n := th.zone.Keys(); n > 5000 {
				t.Fatalf("after %d keys the zone tracks %d; max_keys is 5000", i, n)
			}
		}
	}
	if n := th.zone.Keys(); n > 5000 || n < 4000 {
		t.Fatalf("the zone tracks %d keys; want at most max_keys 5000 (and close to it)", n)
	}
}

// TestThrottleDropsFullBucketsFirst fills a zone with idle keys whose
// buckets are full again and busy keys whose are not; new keys must push out
// idle ones only. (A zone this small has one shard; in larger zones the same
// holds within each of the shards the keys are spread over.)
func TestThrottleDropsFullBucketsFirst(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Rates: []Rate{perWindow(10, time.Minute)}, MaxKeys: 31}, newZones(), clk)
	var tats [maxRates]int64
	for i := range 20 {
		th.zone.Take(fmt.Sprintf("idle-%d", i), clk.now(), tats[:1])
	}
	clk.advance(10 * time.Second) // the idle keys' buckets (one 6s interval used) are full again
	for i := range 8 {
		for range 5 {
			th.zone.Take(fmt.Sprintf("busy-%d", i), clk.now(), tats[:1])
		}
	}
	for i := range 15 { // 43 keys for 31 places: 12 must go
		th.zone.Take(fmt.Sprintf("new-%d", i), clk.now(), tats[:1])
	}
	if n := th.zone.Keys(); n > 31 {
		t.Fatalf("%d keys tracked; max_keys is 31", n)
	}
	for i := range 8 {
		// a kept busy key has 4 left after this request; an evicted one 9
		th.zone.Take(fmt.Sprintf("busy-%d", i), clk.now(), tats[:1])
		r := th.zone.Rates()[0]
		remaining := (clk.now() + r.Tolerance - tats[0]) / r.Interval
		if remaining != 4 {
			t.Fatalf("busy key %d was evicted (remaining %d) while idle keys with full buckets were left", i, remaining)
		}
	}
}

func TestThrottleZoneSharedBetweenBlocks(t *testing.T) {
	clk := new(fakeNanos)
	zones := newZones()
	a := newThrottle(t, &Throttle{Zone: "shared", Rates: []Rate{perWindow(3, time.Minute)}}, zones, clk)
	b := newThrottle(t, &Throttle{Zone: "shared", Rates: []Rate{perWindow(3, time.Minute)}}, zones, clk)
	hit(t, a, "k", nil)
	hit(t, b, "k", nil)
	hit(t, a, "k", nil)
	if res := hit(t, b, "k", nil); res.passed {
		t.Fatal("two blocks of one zone did not share the budget")
	}
	unnamed1 := newThrottle(t, &Throttle{Rates: []Rate{perWindow(1, time.Minute)}}, zones, clk)
	unnamed2 := newThrottle(t, &Throttle{Rates: []Rate{perWindow(1, time.Minute)}}, zones, clk)
	hit(t, unnamed1, "k", nil)
	if res := hit(t, unnamed2, "k", nil); !res.passed {
		t.Fatal("two unnamed blocks with the same settings shared a budget")
	}

	c := &Throttle{Zone: "shared", Rates: []Rate{perWindow(4, time.Minute)}, now: clk.now}
	if err := c.setup(zones, zap.NewNop()); err == nil || !strings.Contains(err.Error(), `zone "shared" is used with different settings`) {
		t.Fatalf("a zone with two definitions: err = %v", err)
	}
}

// TestThrottleStateSurvivesReload provisions the same blocks in a second
// config load (as Caddy does, before cleaning up the first): the buckets
// carry on. Changed settings start afresh.
func TestThrottleStateSurvivesReload(t *testing.T) {
	clk := new(fakeNanos)
	first := newZones()
	named := newThrottle(t, &Throttle{Zone: "z", Rates: []Rate{perWindow(2, time.Minute)}}, first, clk)
	unnamed := newThrottle(t, &Throttle{Rates: []Rate{perWindow(2, time.Minute)}}, first, clk)
	for range 2 {
		hit(t, named, "k", nil)
		hit(t, unnamed, "k", nil)
	}

	second := newZones()
	named2 := newThrottle(t, &Throttle{Zone: "z", Rates: []Rate{perWindow(2, time.Minute)}}, second, clk)
	unnamed2 := newThrottle(t, &Throttle{Rates: []Rate{perWindow(2, time.Minute)}}, second, clk)
	changed := newThrottle(t, &Throttle{Zone: "z2", Rates: []Rate{perWindow(3, time.Minute)}}, second, clk)
	_ = named.Cleanup()
	_ = unnamed.Cleanup()
	named.poolKey, unnamed.poolKey = "", "" // cleaned up already

	if res := hit(t, named2, "k", nil); res.passed {
		t.Fatal("named zone: a reload handed the client a fresh burst")
	}
	if res := hit(t, unnamed2, "k", nil); res.passed {
		t.Fatal("unnamed block: a reload handed the client a fresh burst")
	}
	if res := hit(t, changed, "k", nil); !res.passed {
		t.Fatal("a zone with new settings did not start afresh")
	}
}

func TestThrottleKeys(t *testing.T) {
	clk := new(fakeNanos)
	zones := newZones()
	perUser := newThrottle(t, &Throttle{Key: "{http.auth.user.id}", Rates: []Rate{perWindow(1, time.Minute)}}, zones, clk)
	// two users behind one IP have a budget each
	if !hit(t, perUser, "10.0.0.1", map[string]any{"http.auth.user.id": "alice"}).passed ||
		!hit(t, perUser, "10.0.0.1", map[string]any{"http.auth.user.id": "bob"}).passed {
		t.Fatal("per-user key: users behind one IP share a budget")
	}
	if hit(t, perUser, "10.0.0.9", map[string]any{"http.auth.user.id": "alice"}).passed {
		t.Fatal("per-user key: a user's budget depends on their IP")
	}
	// an empty key (anonymous) falls back to the client IP
	if !hit(t, perUser, "10.0.0.5", nil).passed || !hit(t, perUser, "10.0.0.6", nil).passed {
		t.Fatal("anonymous requests from two IPs share one budget")
	}
	if hit(t, perUser, "10.0.0.5", nil).passed {
		t.Fatal("anonymous requests from one IP are not limited by IP")
	}

	mixed := newThrottle(t, &Throttle{Key: "{http.request.method} {http.vars.client_ip}", Rates: []Rate{perWindow(1, time.Minute)}}, zones, clk)
	if !hit(t, mixed, "10.0.0.1", nil).passed || hit(t, mixed, "10.0.0.1", nil).passed {
		t.Fatal("a template key does not count")
	}

	long := strings.Repeat("x", 1000)
	if k := perUser.renderKey(replacerWith(map[string]any{"http.auth.user.id": long})); len(k) != len(hashedKeyMark)+64 {
		t.Fatalf("a %d-byte key is stored as %d bytes; want the mark and the hex of its SHA-256", len(long), len(k))
	}
}

func replacerWith(vals map[string]any) *caddy.Replacer {
	repl := caddy.NewReplacer()
	for k, v := range vals {
		repl.Set(k, v)
	}
	return repl
}

func TestThrottleDryRun(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	clk := new(fakeNanos)
	th := &Throttle{Rates: []Rate{perWindow(1, time.Minute)}, DryRun: true, now: clk.now}
	if err := th.setup(newZones(), zap.New(core)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = th.Cleanup() })
	for i := range 3 {
		res := hit(t, th, "10.0.0.1", nil)
		if !res.passed || res.header.Get("RateLimit") != "" || res.header.Get("Retry-After") != "" {
			t.Fatalf("dry_run request %d: passed=%v headers %v", i+1, res.passed, res.header)
		}
	}
	entries := logs.FilterMessageSnippet("would refuse").All()
	if len(entries) != 2 || entries[0].ContextMap()["key"] != "10.0.0.1" {
		t.Fatalf("dry_run logged %d refusals (%v); want 2, with the key", len(entries), entries)
	}
}

func TestThrottleConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		th   Throttle
		says string
	}{
		{Throttle{}, "no rate"},
		{Throttle{Rates: []Rate{perWindow(0, time.Minute)}}, "at least 1 event"},
		{Throttle{Rates: []Rate{perWindow(1, 0)}}, "positive window"},
		{Throttle{Rates: []Rate{perWindow(10, 5)}}, "faster than one request per nanosecond"},
		{Throttle{Rates: make([]Rate, 9)}, "at most 8"},
	} {
		th := tc.th
		err := th.setup(newZones(), zap.NewNop())
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: err = %v, want %q", tc.th, err, tc.says)
		}
	}
	if err := (&Throttle{Zone: `a"b`}).Validate(); err == nil {
		t.Error("a zone name with a quote was accepted")
	}
}

func TestThrottleRateEdges(t *testing.T) {
	for _, c := range []struct {
		th   Throttle
		says string
	}{
		{Throttle{Rates: []Rate{{Events: 1, Window: caddy.Duration(365 * 24 * time.Hour), Burst: 1_000_000}}}, "spans more time"},
		{Throttle{Rates: []Rate{{Events: 1, Window: caddy.Duration(time.Second), Burst: 2_000_000_000}}}, "burst 2000000000 must be from 1"},
		{Throttle{Rates: []Rate{perWindow(10_000_000, time.Second)}, Redis: &caddykit.RedisConfig{URL: "redis://127.0.0.1:1"}}, "per microsecond"},
	} {
		if err := c.th.checkRates(); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v: %v, want it to say %q", c.th.Rates, err, c.says)
		}
	}
}
