package consumers

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAuthenticate: a known key, an unknown key id and a known id
// with a wrong secret cost the same (one SHA-256 and one constant-time
// compare); compare the three ns/op.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	s := NewStore()
	if _, err := s.Create(ctx, Consumer{ID: "acme"}); err != nil {
		b.Fatal(err)
	}
	key, k, err := s.AddKey(ctx, "acme", "", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	_, unknown := NewKey()
	wrong := KeyPrefix + k.ID + "_" + unknown[len(KeyPrefix)+keyIDLen+1:checksumFrom]
	wrong += checksum(wrong)
	now := time.Now()
	for _, c := range []struct{ name, key string }{{"known", key}, {"unknown_id", unknown}, {"wrong_secret", wrong}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Authenticate(c.key, now)
			}
		})
	}
}

// BenchmarkMemoryPerConsumer reports the heap one consumer with one key
// takes in a store of GATEWAY_BENCH_CONSUMERS consumers (default 100000;
// README's figure is at 1000000). Run with -benchtime 1x.
func BenchmarkMemoryPerConsumer(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("GATEWAY_BENCH_CONSUMERS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := NewStore()
		for i := range n {
			id := "consumer-" + strconv.Itoa(i)
			if _, err := s.Create(ctx, Consumer{ID: id, Plan: "pro"}); err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.AddKey(ctx, id, "", time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "bytes/consumer")
		runtime.KeepAlive(s)
	}
}
