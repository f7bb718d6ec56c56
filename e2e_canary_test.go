package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// TestE2ECanaryRecipe runs the canary recipe of docs/registry.md through a
// real Caddy: v1 at weight 19 and v2 at weight 1 share the traffic 95/5, a
// header pins a client to v2, and draining v1 (weight 0), then
// deregistering it, under load, fails no request.
func TestE2ECanaryRecipe(t *testing.T) {
	testenv.SkipInShortMode(t, "drives 20k requests through Caddy")
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	reverse_proxy {
		dynamic registry svc {
			match version {http.request.header.X-Version}
		}
		lb_policy registry_weighted
		transport http {
			keepalive_idle_conns_per_host 64
		}
	}
}`)
	v1, v2 := newBackend(t, "v1"), newBackend(t, "v2")
	g.register("svc", fmt.Sprintf(`{"id": "v1", "address": %q, "weight": 19, "metadata": {"version": "1"}}`, v1.addr()))
	g.register("svc", fmt.Sprintf(`{"id": "v2", "address": %q, "weight": 1, "metadata": {"version": "2"}}`, v2.addr()))
	if _, body := g.adminCall("GET", "/registry/services/svc/v1", ""); !containsJSON(body, `"weight":19`) {
		t.Fatalf("the API does not show the weight: %s", body)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	call := func(header http.Header) (int, string) {
		req, _ := http.NewRequest("GET", g.url("/"), nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var answer struct{ Instance string }
		_ = json.Unmarshal(body, &answer)
		return resp.StatusCode, answer.Instance
	}

	// 20k requests (5% ± 1% is over six standard deviations wide);
	// TestWeightedSelection draws 100k choices without the network
	const n = 20000
	var canary, failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= n {
				code, who := call(nil)
				switch {
				case code != http.StatusOK:
					failed.Add(1)
				case who == "v2":
					canary.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed", failed.Load(), n)
	}
	if share := float64(canary.Load()) / n; math.Abs(share-0.05) > 0.01 {
		t.Fatalf("the canary (weight 1 of 20) got %.2f%% of %d requests, want 5%% ± 1%%", share*100, n)
	}

	for range 50 {
		if code, who := call(http.Header{"X-Version": {"2"}}); code != http.StatusOK || who != "v2" {
			t.Fatalf("X-Version: 2 answered %d by %q, want v2", code, who)
		}
	}

	// drain v1 under load, then deregister it: no request fails
	stop := make(chan struct{})
	var served atomic.Int64
	failed.Store(0)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, _ := call(nil); code != http.StatusOK {
					failed.Add(1)
				}
				served.Add(1)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	g.register("svc", fmt.Sprintf(`{"id": "v1", "address": %q, "weight": 0, "metadata": {"version": "1"}}`, v1.addr()))
	time.Sleep(200 * time.Millisecond) // in-flight requests to v1 finish
	drained := v1.hitCount()
	time.Sleep(300 * time.Millisecond)
	if v1.hitCount() != drained {
		t.Errorf("v1 got %d requests after it was drained", v1.hitCount()-drained)
	}
	if code, _ := g.adminCall("DELETE", "/registry/services/svc/v1", ""); code != http.StatusNoContent {
		t.Fatalf("deregistering the drained v1: %d", code)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || served.Load() < 100 {
		t.Fatalf("drain and deregister under load: %d of %d requests failed", failed.Load(), served.Load())
	}
}

// containsJSON reports whether body, compacted, holds fragment.
func containsJSON(body, fragment string) bool {
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return false
	}
	compact, _ := json.Marshal(v)
	return strings.Contains(string(compact), fragment)
}
