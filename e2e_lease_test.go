package gateway

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/lease"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// startLeaseGateway starts a Caddy process whose /limited is throttled per
// X-Key header at rate, in Redis, in the given mode.
func startLeaseGateway(t *testing.T, bin, redisURL, rate, mode string) string {
	t.Helper()
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	port := testenv.FreePort(t)
	caddyfile := fmt.Sprintf(`{
	admin %s
	http_port %d
	https_port %d
	persist_config off
	storage file_system %s
}

http://127.0.0.1:%d {
	throttle {
		zone hot
		key {http.request.header.X-Key}
		rate %s
		backend redis %s
		mode %s
		on_error deny
		# a loaded test machine can be slow; a timeout would answer 503
		redis_timeout 2s
	}
	respond "ok"
}
`, admin, port, testenv.FreePort(t), t.TempDir(), port, rate, redisURL, mode)
	file := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(file, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	startCaddyBinary(t, bin, file, admin)
	return fmt.Sprintf("http://127.0.0.1:%d/limited", port)
}

// hammer sends requests to the gateways in turn from workers goroutines,
// each pausing pause between requests, for d; keys names the X-Key of the
// n-th request. It returns the 200s per key, the requests sent and the
// time from the first request to the last answer.
func hammer(t *testing.T, gateways []string, workers int, pause, d time.Duration, keys func(n int64) string) (map[string]int, int64, time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var sent atomic.Int64
	var mu sync.Mutex
	admitted := map[string]int{}
	began := time.Now()
	deadline := began.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				n := sent.Add(1)
				key := keys(n)
				req, _ := http.NewRequest("GET", gateways[w%len(gateways)], nil)
				req.Header.Set("X-Key", key)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					mu.Lock()
					admitted[key]++
					mu.Unlock()
				case 429:
				default:
					t.Errorf("answered %d", resp.StatusCode)
					return
				}
				time.Sleep(pause)
			}
		}()
	}
	wg.Wait()
	return admitted, sent.Load(), time.Since(began)
}

// TestE2ELeasedLimitsThreeGateways: three Caddy processes on one Redis
// hammer one key at about 10x its limit, then 50 keys at about 10x each:
// together they admit no more than the exact limit plus the stated bound,
// min(gateways × share, rate × TTL) + 1 per key, and not much less than
// the limit.
func TestE2ELeasedLimitsThreeGateways(t *testing.T) {
	bin := builtPrograms(t)
	rs := testenv.StartOwnRedis(t)
	const events = 50 // per second, burst the same
	var gateways []string
	for range 3 {
		gateways = append(gateways, startLeaseGateway(t, bin, rs.URL(), fmt.Sprintf("%d/1s", events), "leased"))
	}
	share := int64(max(1, events/lease.DefaultShareDivisor))
	boundExtra := func(perSecond int64) int64 {
		return min(3*share, perSecond*int64(lease.DefaultTTL/time.Second)) + 1
	}

	t.Run("one hot key", func(t *testing.T) {
		calls := redisScriptCalls(t, rs)
		admitted, sent, span := hammer(t, gateways, 12, 20*time.Millisecond, 3*time.Second, func(int64) string { return "hot" })
		exact := int64(events) + int64(float64(events)*span.Seconds()) + 1
		got := int64(admitted["hot"])
		calls = redisScriptCalls(t, rs) - calls
		t.Logf("sent %d in %v (%.1fx the limit), admitted %d: exact limit %d, bound %d; %d Redis calls",
			sent, span, float64(sent)/span.Seconds()/events, got, exact, exact+boundExtra(events), calls)
		if float64(sent)/span.Seconds() < 5*events {
			t.Fatalf("only %.0f requests/s sent; the test needs at least 5x the limit", float64(sent)/span.Seconds())
		}
		// the lower end is loose: on a loaded machine requests arrive late
		if got > exact+boundExtra(events) || got < exact*6/10 {
			t.Fatalf("admitted %d, want from %d to %d", got, exact*6/10, exact+boundExtra(events))
		}
		if calls > sent/3 {
			t.Fatalf("%d Redis calls for %d requests: the leases saved nothing", calls, sent)
		}
	})

	t.Run("50 keys", func(t *testing.T) {
		// 5 per second per key, 50 keys: 250/s allowed, ~2500/s offered
		// would take more than this machine; 50 keys at 10x of 2/s each
		// is 1000/s
		_ = rs.Client().FlushAll(t.Context())
		manyRate := int64(2)
		many := make([]string, 3)
		for i := range many {
			many[i] = startLeaseGateway(t, bin, rs.URL(), fmt.Sprintf("%d/1s", manyRate), "leased")
		}
		admitted, sent, span := hammer(t, many, 24, 20*time.Millisecond, 3*time.Second, func(n int64) string { return fmt.Sprintf("key-%d", n%50) })
		exact := manyRate + int64(float64(manyRate)*span.Seconds()) + 1
		bound := exact + min(3*1, manyRate) + 1
		total := 0
		for k, n := range admitted {
			total += n
			if int64(n) > bound {
				t.Errorf("key %s: admitted %d, over the bound %d", k, n, bound)
			}
		}
		t.Logf("sent %d in %v over 50 keys (%.1fx their limits), admitted %d: exact %d per key, bound %d per key",
			sent, span, float64(sent)/span.Seconds()/float64(50*manyRate), total, exact, bound)
		if len(admitted) != 50 || int64(total) < 50*exact*6/10 {
			t.Fatalf("admitted %d over %d keys, want at least %d over 50", total, len(admitted), 50*exact*6/10)
		}
	})
}
