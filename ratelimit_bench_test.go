package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// benchThrottle is a handler on the real clock, with room for maxKeys keys,
// whose rate refuses nothing a benchmark sends.
func benchThrottle(b *testing.B, maxKeys int) *Throttle {
	return benchThrottleRate(b, maxKeys, perWindow(1_000_000_000, time.Second))
}

func benchThrottleRate(b *testing.B, maxKeys int, r Rate) *Throttle {
	th := &Throttle{Rates: []Rate{r}, MaxKeys: maxKeys}
	if err := th.setup(newZones(), zap.NewNop()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = th.Cleanup() })
	return th
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	return keys
}

// BenchmarkThrottleDecision is one limiter decision (zoneState.take) for a
// warm key: hashing, the shard lock, the GCRA arithmetic and the clock.
func BenchmarkThrottleDecision(b *testing.B) {
	b.Run("one-key", func(b *testing.B) {
		th := benchThrottle(b, DefaultMaxKeys)
		var tats [maxRates]int64
		b.ReportAllocs()
		for b.Loop() {
			if ok, _ := th.zone.Take("203.0.113.7", th.now(), tats[:1]); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("many-keys", func(b *testing.B) {
		th := benchThrottle(b, DefaultMaxKeys)
		keys := benchKeys(DefaultMaxKeys)
		var tats [maxRates]int64
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			th.zone.Take(keys[i%len(keys)], th.now(), tats[:1])
			i++
		}
	})
	b.Run("parallel-distinct-keys", func(b *testing.B) {
		th := benchThrottle(b, DefaultMaxKeys)
		keys := benchKeys(1024)
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var tats [maxRates]int64
			i := int(next.Add(1)) * 97
			for pb.Next() {
				th.zone.Take(keys[i%len(keys)], th.now(), tats[:1])
				i++
			}
		})
	})
	b.Run("parallel-one-key", func(b *testing.B) {
		th := benchThrottle(b, DefaultMaxKeys)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var tats [maxRates]int64
			for pb.Next() {
				th.zone.Take("203.0.113.7", th.now(), tats[:1])
			}
		})
	})
}

// BenchmarkThrottleMemory tracks one million keys and reports the heap they
// take, per key (key strings included).
func BenchmarkThrottleMemory(b *testing.B) {
	const n = 1_000_000
	keys := benchKeys(n)
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		// a slow rate, so no bucket is full again (and dropped) during the run
		th := &Throttle{Rates: []Rate{perWindow(1, time.Hour)}, MaxKeys: 2 * n}
		if err := th.setup(newZones(), zap.NewNop()); err != nil {
			b.Fatal(err)
		}
		var tats [maxRates]int64
		for _, k := range keys {
			th.zone.Take(string([]byte(k)), th.now(), tats[:1]) // a fresh string, as a request brings
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if got := th.zone.Keys(); got != n {
			b.Fatalf("tracks %d keys", got)
		}
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(th.zone.Keys()), "B/key")
		_ = th.Cleanup() // the next iteration must build its own zone
	}
}

// BenchmarkThrottleHandler is the whole handler per request (key, decision,
// both headers), minus nothing: compare with BenchmarkJWTHandler/setup-only
// for the per-request setup it includes.
func BenchmarkThrottleHandler(b *testing.B) {
	th := benchThrottle(b, DefaultMaxKeys)
	base := httptest.NewRequest("GET", "/", nil)
	base = base.WithContext(context.WithValue(base.Context(), caddyhttp.VarsCtxKey, map[string]any{"client_ip": "203.0.113.7"}))
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.Header()) // each response starts with no headers
		r := benchRequest(base)
		if err := th.ServeHTTP(w, r, passThrough); err != nil {
			b.Fatal(err)
		}
	}
	if w.Code != http.StatusOK {
		b.Fatal(w.Code)
	}
}
