package gateway

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// redisScriptCalls is how many scripts (EVAL, EVALSHA) Redis has run, from
// INFO commandstats.
func redisScriptCalls(t testing.TB, rs *testenv.RedisServer) int64 {
	t.Helper()
	info, err := rs.Client().Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, m := range regexp.MustCompile(`cmdstat_(?:evalsha|eval):calls=(\d+)`).FindAllStringSubmatch(info, -1) {
		v, _ := strconv.ParseInt(m[1], 10, 64)
		n += v
	}
	return n
}

func TestThrottleModeCaddyfile(t *testing.T) {
	parse := func(body string) (*Throttle, error) {
		th := new(Throttle)
		err := th.UnmarshalCaddyfile(caddyfile.NewTestDispenser("throttle {\n" + body + "\n}"))
		return th, err
	}
	th, err := parse("rate 5/1m\nbackend redis redis://127.0.0.1:6379\nmode exact")
	if err != nil || th.Mode != "exact" {
		t.Fatalf("mode exact: %v %q", err, th.Mode)
	}
	th, err = parse("rate 5/1m\nbackend redis redis://127.0.0.1:6379\nmode leased\nlease_share 3")
	if err != nil || th.Mode != "leased" || th.LeaseShare != 3 {
		t.Fatalf("mode leased: %v %q %d", err, th.Mode, th.LeaseShare)
	}
	for body, want := range map[string]string{
		"rate 5/1m\nbackend redis redis://h:1\nmode fast":                 `mode "fast" must be leased`,
		"rate 5/1m\nmode exact":                                           "apply to `backend redis <url>` only",
		"rate 5/1m\nlease_share 2":                                        "apply to `backend redis <url>` only",
		"rate 5/1m\nbackend redis redis://h:1\nlease_share 0":             `lease_share "0" must be a positive`,
		"rate 5/1m\nbackend redis redis://h:1\nmode exact\nlease_share 2": "lease_share applies to mode leased only",
		"rate 5/1m\nbackend redis redis://h:1\nmode":                      "mode takes one argument",
	} {
		if _, err := parse(body); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
	}
	if err := (&Throttle{Rates: []Rate{perWindow(5, time.Minute)}, Mode: "fast"}).setup(newZones(), nil); err == nil || !strings.Contains(err.Error(), "leased or exact") {
		t.Errorf("JSON mode fast: %v", err)
	}
	if err := (&Throttle{Rates: []Rate{perWindow(5, time.Minute)}, Mode: "exact"}).Validate(); err == nil || !strings.Contains(err.Error(), "backend redis only") {
		t.Errorf("JSON mode without redis: %v", err)
	}
}

// TestRedisThrottleLeasedCallsPerShare: in mode leased a key costs one
// Redis call per share, the headers count down, and the refusal is local
// until a share fits again.
func TestRedisThrottleLeasedCallsPerShare(t *testing.T) {
	rs := testenv.StartRedis(t)
	th := newRedisThrottle(t, &Throttle{Zone: "leased", Rates: []Rate{perWindow(100, time.Hour)}, LeaseShare: 20}, rs.URL())
	hit(t, th, "10.0.0.2", nil) // loads the script (EVALSHA, NOSCRIPT, EVAL)
	before := redisScriptCalls(t, rs)
	for i := range 100 {
		res := hit(t, th, "10.0.0.1", nil)
		if !res.passed {
			t.Fatalf("request %d refused within the burst", i+1)
		}
		if want := `"leased";r=` + strconv.Itoa(99-i) + ";t="; !strings.HasPrefix(res.header.Get("RateLimit"), want) {
			t.Fatalf("request %d: RateLimit %q, want %s…", i+1, res.header.Get("RateLimit"), want)
		}
	}
	if calls := redisScriptCalls(t, rs) - before; calls != 5 {
		t.Fatalf("100 requests on shares of 20 made %d Redis calls, want 5", calls)
	}
	res := hit(t, th, "10.0.0.1", nil)
	// a share of 20 at one per 36s refills in 12m
	if res.passed || res.code != 429 || res.header.Get("Retry-After") != "720" {
		t.Fatalf("101st: %d Retry-After %q", res.code, res.header.Get("Retry-After"))
	}
	calls := redisScriptCalls(t, rs)
	for range 50 {
		hit(t, th, "10.0.0.1", nil)
	}
	if n := redisScriptCalls(t, rs) - calls; n != 0 {
		t.Fatalf("50 refusals made %d Redis calls, want 0", n)
	}
}

// TestRedisThrottleModesShareBuckets: an exact and a leased gateway of one
// zone count in the same Redis buckets (a rolling change of mode keeps the
// limit).
func TestRedisThrottleModesShareBuckets(t *testing.T) {
	rs := testenv.StartRedis(t)
	leased := newRedisThrottle(t, &Throttle{Zone: "mixed", Rates: []Rate{perWindow(10, time.Hour)}, LeaseShare: 4}, rs.URL())
	exact := newRedisThrottle(t, &Throttle{Zone: "mixed", Mode: "exact", Rates: []Rate{perWindow(10, time.Hour)}}, rs.URL())
	passed := 0
	for i := range 30 {
		g := leased
		if i%2 == 1 {
			g = exact
		}
		if hit(t, g, "k", nil).passed {
			passed++
		}
	}
	if passed != 10 {
		t.Fatalf("%d passed through an exact and a leased gateway; want the burst of 10", passed)
	}
}

// TestRedisThrottleLeasedOnError: a lease held is spent while Redis is
// down; then on_error applies, as in mode exact.
func TestRedisThrottleLeasedOnError(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	deny := newRedisThrottle(t, &Throttle{Zone: "ld", Rates: []Rate{perWindow(100, time.Minute)}, LeaseShare: 3, OnError: "deny"}, rs.URL())
	allow := newRedisThrottle(t, &Throttle{Zone: "la", Rates: []Rate{perWindow(1, time.Minute)}}, rs.URL())
	if !hit(t, deny, "k", nil).passed {
		t.Fatal("refused")
	}
	rs.Stop()
	for i := range 2 {
		if !hit(t, deny, "k", nil).passed {
			t.Fatalf("request %d of the held lease refused with Redis down", i+2)
		}
	}
	res := hit(t, deny, "k", nil)
	if res.passed || res.code != http.StatusServiceUnavailable || res.header.Get("Retry-After") != "1" {
		t.Fatalf("on_error deny once the lease is spent: %d", res.code)
	}
	for range 3 {
		if res := hit(t, allow, "k", nil); !res.passed {
			t.Fatal("on_error allow refused with Redis down")
		}
	}
	rs.Start()
	testenv.Eventually(t, 5*time.Second, "limits did not apply again after Redis came back", func() bool {
		first := hit(t, allow, "k2", nil)
		return first.passed && !hit(t, allow, "k2", nil).passed
	})
}

// TestRedisThrottleLeaseOutlivesReload: the next config of the same zone
// spends the lease the previous one took (no lost share, no new call).
func TestRedisThrottleLeaseOutlivesReload(t *testing.T) {
	rs := testenv.StartRedis(t)
	old := newRedisThrottle(t, &Throttle{Zone: "reload", Rates: []Rate{perWindow(100, time.Hour)}, LeaseShare: 10}, rs.URL())
	hit(t, old, "k", nil)
	next := newRedisThrottle(t, &Throttle{Zone: "reload", Rates: []Rate{perWindow(100, time.Hour)}, LeaseShare: 10}, rs.URL())
	if err := old.Cleanup(); err != nil {
		t.Fatal(err)
	}
	calls := redisScriptCalls(t, rs)
	for range 9 {
		if !hit(t, next, "k", nil).passed {
			t.Fatal("refused")
		}
	}
	if n := redisScriptCalls(t, rs) - calls; n != 0 {
		t.Fatalf("the reloaded config made %d Redis calls spending the lease the old one took", n)
	}
}

// BenchmarkRedisThrottleLeased is BenchmarkRedisThrottleDecision in mode
// leased: decisions from a held share.
func BenchmarkRedisThrottleLeased(b *testing.B) {
	rs := testenv.StartRedis(b)
	th := newRedisThrottle(b, &Throttle{Zone: "bench-leased", Rates: []Rate{perWindow(1_000_000, time.Second)}}, rs.URL())
	var tats [maxRates]int64
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := th.remote.Take(ctx, "203.0.113.7", tats[:1]); err != nil {
			b.Fatal(err)
		}
	}
}
