package gateway

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAdminCreateConsumers: consumers created per second through
// Caddy's admin endpoint (POST /consumers/, 8 clients on kept-alive
// connections), persisted to storage as in production.
func BenchmarkAdminCreateConsumers(b *testing.B) {
	g := startGateway(b, consumerPlans, "")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 10 * time.Second}
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				body := fmt.Sprintf(`{"id": "bench-%d", "plan": "pro", "metadata": {"team": "t%d"}}`, i, i%10)
				resp, err := client.Post("http://"+g.admin+"/consumers/", "application/json", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "consumers/s")
	if failed.Load() > 0 {
		b.Fatalf("%d of %d creations failed", failed.Load(), b.N)
	}
}
