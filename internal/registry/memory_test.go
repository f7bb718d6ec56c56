package registry

import (
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
