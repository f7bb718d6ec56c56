package registry

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.uber.org/zap"
)

// BenchmarkRegistryMemory reports the live heap per registered instance
// (one metadata entry, a lease, ten instances per service), after GC.
func BenchmarkRegistryMemory(b *testing.B) {
	const n = 100000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
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
