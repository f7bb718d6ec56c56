package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// newRedisThrottle sets up a throttle handler in cluster mode, as one
// gateway would; each call is another gateway with its own config load.
func newRedisThrottle(t testing.TB, th *Throttle, redisURL string, zones ...*ThrottleZones) *Throttle {
	t.Helper()
	if len(zones) == 0 {
		zones = append(zones, newZones())
	}
	th.Redis = &caddykit.RedisConfig{URL: redisURL, Timeout: caddy.Duration(200 * time.Millisecond)}
	h, err := th.Redis.Connect()
	if err != nil {
		t.Fatal(err)
	}
	th.redis = h
	if err := th.setup(zones[0], zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = th.Cleanup() })
	return th
}

func TestRedisThrottleExactCounts(t *testing.T) {
	rs := testenv.StartRedis(t)
	th := newRedisThrottle(t, &Throttle{Zone: "exact", Rates: []Rate{perWindow(5, time.Minute)}}, rs.URL())
	for i := range 5 {
		res := hit(t, th, "10.0.0.1", nil)
		if !res.passed || !strings.HasPrefix(res.header.Get("RateLimit"), `"exact";r=`+string(rune('4'-i))+";t=") {
			t.Fatalf("request %d: passed=%v RateLimit %q", i+1, res.passed, res.header.Get("RateLimit"))
		}
	}
	res := hit(t, th, "10.0.0.1", nil)
	if res.passed || res.code != 429 || res.header.Get("Retry-After") != "12" {
		t.Fatalf("6th: %d Retry-After %q", res.code, res.header.Get("Retry-After"))
	}
	if !hit(t, th, "10.0.0.2", nil).passed {
		t.Fatal("another client was refused")
	}
	// a bucket's key lives as long as the bucket is not full again
	keys := rs.Keys("caddy_gateway:throttle:*")
	if len(keys) != 2 {
		t.Fatalf("keys in Redis: %v", keys)
	}
	for _, k := range keys {
		ttl := rs.Client().PTTL(context.Background(), k).Val()
		if ttl <= 0 || ttl > time.Minute+time.Second {
			t.Errorf("%s expires in %v; want at most the time to refill (1m)", k, ttl)
		}
	}
}

func TestRedisThrottleCompositeRatesConsumeNothingWhenRefused(t *testing.T) {
	rs := testenv.StartRedis(t)
	th := newRedisThrottle(t, &Throttle{Zone: "api", Rates: []Rate{perWindow(2, time.Hour), perWindow(3, 24*time.Hour)}}, rs.URL())
	hit(t, th, "k", nil)
	hit(t, th, "k", nil)
	res := hit(t, th, "k", nil) // refused by the hourly rate
	if res.passed || !strings.Contains(res.header.Get("RateLimit"), `"api-2";r=1;`) {
		t.Fatalf("3rd: passed=%v RateLimit %q; the daily rate must keep 1", res.passed, res.header.Get("RateLimit"))
	}
}

// TestRedisThrottleSharedByGateways: two gateways (two configs, two clients)
// naming one Redis share one budget, exactly, also under parallel load.
func TestRedisThrottleSharedByGateways(t *testing.T) {
	rs := testenv.StartRedis(t)
	a := newRedisThrottle(t, &Throttle{Zone: "shared", Rates: []Rate{perWindow(5, time.Minute)}}, rs.URL())
	b := newRedisThrottle(t, &Throttle{Zone: "shared", Rates: []Rate{perWindow(5, time.Minute)}}, rs.URL())
	passed := 0
	for i := range 10 {
		g := a
		if i%2 == 1 {
			g = b
		}
		if hit(t, g, "10.0.0.1", nil).passed {
			passed++
		}
	}
	if passed != 5 {
		t.Fatalf("%d of 10 requests through two gateways passed; want 5", passed)
	}

	// in parallel, in both modes: exact asks Redis per request, so the
	// gateways admit exactly the burst; leased spends shares of 5 locally,
	// and a share left unspent past its TTL (a goroutine held back over a
	// second under -race on a busy machine) expires instead of going to
	// the other gateway, so leased admits at most the burst and at least
	// the burst less one share per gateway (docs/cluster.md)
	for _, mode := range []struct {
		name  string
		short int64 // how many under the burst the mode may admit
	}{{"exact", 0}, {"leased", 2 * 5}} {
		c := newRedisThrottle(t, &Throttle{Zone: "parallel-" + mode.name, Mode: mode.name, Rates: []Rate{perWindow(100, time.Hour)}}, rs.URL())
		d := newRedisThrottle(t, &Throttle{Zone: "parallel-" + mode.name, Mode: mode.name, Rates: []Rate{perWindow(100, time.Hour)}}, rs.URL())
		var ok, failed atomic.Int64
		var wg sync.WaitGroup
		for w := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := c
				if w%2 == 1 {
					g = d
				}
				var tats [maxRates]int64
				for range 15 {
					allowed, _, _, err := g.remote.Take(context.Background(), "one-key", tats[:1])
					switch {
					case err != nil:
						failed.Add(1) // timed out: Redis may have counted it
					case allowed:
						ok.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		// a call that timed out (the 200 ms redis_timeout, under -race on
		// a busy machine) may have taken a token unseen, so it may leave
		// one fewer (in mode leased, a share fewer), never one more
		n, f := ok.Load(), failed.Load()
		t.Logf("mode %s: %d of 300 parallel requests passed, %d timed out", mode.name, n, f)
		if n > 100 || n+f*(1+mode.short) < 100-mode.short {
			t.Fatalf("mode %s: %d of 300 parallel requests passed and %d timed out; want the burst, 100, or at most %d fewer (and fewer by the timed out)", mode.name, n, f, mode.short)
		}
	}
}

func TestRedisThrottleOnError(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	allow := newRedisThrottle(t, &Throttle{Zone: "a", Rates: []Rate{perWindow(1, time.Minute)}}, rs.URL())
	deny := newRedisThrottle(t, &Throttle{Zone: "d", Rates: []Rate{perWindow(1, time.Minute)}, OnError: "deny"}, rs.URL())
	rs.Stop()
	for range 3 {
		if res := hit(t, allow, "k", nil); !res.passed || res.header.Get("RateLimit") != "" {
			t.Fatalf("on_error allow with Redis down: passed=%v headers %v", res.passed, res.header)
		}
	}
	res := hit(t, deny, "k", nil)
	if res.passed || res.code != http.StatusServiceUnavailable || res.header.Get("Retry-After") != "1" || res.body["error"] != "rate limiter unavailable" {
		t.Fatalf("on_error deny with Redis down: %d %v", res.code, res.body)
	}
	// Redis back (empty): limits apply again
	rs.Start()
	testenv.Eventually(t, 5*time.Second, "limits did not apply again after Redis came back", func() bool {
		first := hit(t, deny, "k2", nil)
		return first.passed && !hit(t, deny, "k2", nil).passed
	})
}

// BenchmarkRedisThrottleDecision measures a decision in Redis on loopback:
// one script round trip.
func BenchmarkRedisThrottleDecision(b *testing.B) {
	rs := testenv.StartRedis(b)
	th := newRedisThrottle(b, &Throttle{Zone: "bench", Mode: "exact", Rates: []Rate{perWindow(1_000_000, time.Second)}}, rs.URL())
	var tats [maxRates]int64
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := th.remote.Take(ctx, "203.0.113.7", tats[:1]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRedisThrottleHandlerPassesRequestContext(t *testing.T) {
	rs := testenv.StartRedis(t)
	th := newRedisThrottle(t, &Throttle{Zone: "ctx", Rates: []Rate{perWindow(5, time.Minute)}}, rs.URL())
	r := httptest.NewRequest("GET", "/", nil)
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{"client_ip": "10.0.0.9"}))
	cancel() // the client is gone: Redis is not asked, on_error applies
	r = r.WithContext(ctx)
	caddyhttp.NewTestReplacer(r)
	rec := httptest.NewRecorder()
	reached := false
	_ = th.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { reached = true; return nil }))
	if !reached {
		t.Fatal("on_error allow did not let the request through")
	}
	if keys := rs.Keys("caddy_gateway:throttle:*"); len(keys) != 0 {
		t.Fatalf("a canceled request was counted: %v", keys)
	}
}

// TestRedisThrottlePlantedValuesCountAsAbsent: values in the throttle's
// keys that the script did not write (NaN, far-future numbers, another
// type) neither let a client through unlimited nor block it forever. Mode
// exact, so that every request reads the planted value (internal/lease's
// TestRedisPlantedValues checks the lease script).
func TestRedisThrottlePlantedValuesCountAsAbsent(t *testing.T) {
	rs := testenv.StartRedis(t)
	th := newRedisThrottle(t, &Throttle{Zone: "planted", Mode: "exact", Rates: []Rate{perWindow(2, time.Minute)}}, rs.URL())
	hit(t, th, "10.0.0.1", nil) // creates the key, so the test learns its name
	keys := rs.Keys("caddy_gateway:throttle:planted*")
	if len(keys) != 1 {
		t.Fatalf("keys: %v", keys)
	}
	key := keys[0]
	ctx := context.Background()
	for _, plant := range []func(){
		func() { rs.Client().Set(ctx, key, "nan", 0) },
		func() { rs.Client().Set(ctx, key, "inf", 0) },
		func() { rs.Client().Set(ctx, key, "1e30", 0) },
		func() { rs.Client().Set(ctx, key, "12.5", 0) },
		func() { rs.Client().Del(ctx, key); rs.Client().HSet(ctx, key, "x", "1") },
	} {
		plant()
		passed := 0
		for range 5 {
			res := hit(t, th, "10.0.0.1", nil)
			if res.code != 0 && res.code != 200 && res.code != 429 {
				t.Fatalf("answered %d (on_error?)", res.code)
			}
			if res.passed {
				passed++
			}
			if !res.passed && res.header.Get("Retry-After") == "0" {
				t.Fatal("Retry-After: 0")
			}
		}
		if passed != 2 {
			t.Fatalf("after a planted value, %d of 5 requests passed; want the burst of 2", passed)
		}
		rs.Client().Del(ctx, key)
	}
}

func TestThrottleZoneIdentityIncludesTheBackend(t *testing.T) {
	rs := testenv.StartRedis(t)
	zones := newZones()
	newRedisThrottle(t, &Throttle{Zone: "shared", Rates: []Rate{perWindow(2, time.Minute)}}, rs.URL(), zones)
	th := &Throttle{Zone: "shared", Rates: []Rate{perWindow(2, time.Minute)}}
	if err := th.setup(zones, zap.NewNop()); err == nil || !strings.Contains(err.Error(), "backend") {
		t.Fatalf("a zone used in memory and in Redis: %v", err)
	}
}

// TestRedisThrottleRefusedKeyStaysRefusedWhenRedisFails: a key Redis was
// refusing stays refused (429) while Redis cannot be asked, in both modes;
// on_error applies only to keys the gateway knows nothing against. Before
// the fix the refused key went through unlimited under on_error allow (a
// fresh-eyes attack: ~1000 admitted in 6 s against a bound of 35).
func TestRedisThrottleRefusedKeyStaysRefusedWhenRedisFails(t *testing.T) {
	for _, mode := range []string{"exact", "leased"} {
		t.Run(mode, func(t *testing.T) {
			rs := testenv.StartOwnRedis(t)
			clk := new(fakeNanos)
			th := &Throttle{Zone: "r" + mode, Mode: mode, Rates: []Rate{perWindow(1, time.Minute)}}
			th.now = clk.now
			th = newRedisThrottle(t, th, rs.URL())
			if !hit(t, th, "hot", nil).passed || hit(t, th, "hot", nil).passed {
				t.Fatal("the limit does not apply with Redis up")
			}
			rs.Stop()
			for i := range 20 {
				clk.advance(5 * time.Second) // well past the refusal's wait (60 s in all)
				if res := hit(t, th, "hot", nil); res.passed || res.code != http.StatusTooManyRequests {
					t.Fatalf("request %d of the refused key with Redis down: passed=%v code %d", i, res.passed, res.code)
				}
			}
			if !hit(t, th, "new", nil).passed {
				t.Fatal("on_error allow did not apply to a key nothing is known against")
			}
			rs.Start()
			testenv.Eventually(t, 5*time.Second, "the refused key was not asked again after Redis came back (empty)", func() bool {
				return hit(t, th, "hot", nil).passed
			})
		})
	}
}
