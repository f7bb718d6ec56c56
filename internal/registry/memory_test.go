package registry

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.uber.org/zap"
)

// filledRegistry is a registry of n instances: ten per service, one
// metadata entry and a lease each.
func filledRegistry(b *testing.B, n int) *Registry {
	r := New(zap.NewNop())
	r.settings.MaxInstances, r.settings.MaxPerService = n, 1000
	r.settings.Policy = testSettings.Policy
	for i := range n {
		reg := Registration{
			Service:  fmt.Sprintf("svc%06d", i/10),
			ID:       fmt.Sprintf("i%07d", i),
			Address:  fmt.Sprintf("10.%d.%d.%d:8080", i>>16&0xff, i>>8&0xff, i&0xff),
			TTL:      time.Hour,
			Metadata: map[string]string{"zone": fmt.Sprintf("z%d", i%3)},
		}
		if _, _, err := r.Register(reg); err != nil {
			b.Fatal(err)
		}
	}
	return r
}

// BenchmarkRegistryMemory reports the live heap per registered instance
// (one metadata entry, a lease, ten instances per service), after GC.
func BenchmarkRegistryMemory(b *testing.B) {
	const n = 100000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := filledRegistry(b, n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/instance")
		runtime.KeepAlive(r)
		r.DeregisterService("x") // keep r alive and used
	}
}

// BenchmarkRestore100k restores 100k instances (10k service records).
func BenchmarkRestore100k(b *testing.B) {
	const n = 100000
	storage := newMemStorage()
	r := filledRegistry(b, n)
	p := newPersister(r, storage, zap.NewNop())
	var werr error
	r.names.Ascend(func(s string) bool {
		werr = p.writeService(context.Background(), s)
		return werr == nil
	})
	if werr != nil {
		b.Fatal(werr)
	}
	b.ResetTimer()
	for b.Loop() {
		fresh := New(zap.NewNop())
		if err := fresh.Restore(context.Background(), storage, Settings{MaxInstances: n, MaxPerService: 1000, Policy: testSettings.Policy}, zap.NewNop()); err != nil {
			b.Fatal(err)
		}
		if fresh.Len() != n {
			b.Fatalf("restored %d", fresh.Len())
		}
	}
}

// BenchmarkRegisterAtSize: one new registration (and its deregistration,
// to keep the size) in a registry of 10k and of 100k instances; the cost
// should not depend on the size.
func BenchmarkRegisterAtSize(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			r := New(zap.NewNop())
			r.settings.MaxInstances, r.settings.MaxPerService = 2*n, 1000
			r.settings.Policy = testSettings.Policy
			for i := range n {
				if _, _, err := r.Register(Registration{Service: fmt.Sprintf("svc%06d", i/10), ID: fmt.Sprintf("i%07d", i),
					Address: "10.0.0.1:8080", TTL: time.Hour, Metadata: map[string]string{"zone": "eu"}}); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			for b.Loop() {
				svc := fmt.Sprintf("svc%06d", i%(n/10))
				if _, _, err := r.Register(Registration{Service: svc, ID: "new", Address: "10.0.0.2:8080", TTL: time.Hour,
					Metadata: map[string]string{"zone": "eu"}}); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Deregister(svc, "new"); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
