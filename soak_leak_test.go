package gateway

// Leak tests behind the soak run (go run ./bench -soak, docs/soak.md): what
// the hour showed, in seconds. Each counts something that must not grow
// with the number of reloads, Redis restarts or requests.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddygateway/caddy-gateway/modules/responsecache"
	"github.com/caddyserver/caddy/v2"
)

// soakGlobals and soakSite are the soak's stack (without the waf, another
// module), in cluster mode on url; variant changes the rates and the
// transform, so every reload provisions new modules.
func soakGlobals(url string) string {
	return fmt.Sprintf(`service_registry {
		backend redis %[1]s
		resync_interval 1s
		health_path /healthz
		health_interval 1s
		allow 127.0.0.1/32
	}
	consumers {
		plan free {
			rate 5/1s
			quota 1000/day
		}
		default_plan free
		backend redis %[1]s
	}`, url)
}

func soakSite(url string, variant int) string {
	return fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	route {
		cors {
			origins http://app.example
		}
		throttle {
			zone per_ip
			rate %[2]d/1s
			backend redis %[1]s
		}
		@apikey header X-Api-Key *
		api_key @apikey
		@token not header X-Api-Key *
		jwt_auth @token {
			secret soak-secret-soak-secret-soak-secret-0123
		}
		throttle {
			plan
			backend redis %[1]s
		}
		handle {
			vars service {http.request.uri.path.0}
			uri strip_prefix /{vars.service}
			transform {
				response {
					set v %[2]d
				}
			}
			response_cache {
				backend redis %[1]s
			}
			circuit_breaker {
				key {vars.service}
			}
			reverse_proxy {
				dynamic registry {vars.service}
			}
		}
	}
}
http://127.0.0.1:{HTTP}/dashboard* {
	gateway_dashboard
}`, url, 1000+variant%2)
}

// settledGoroutines is the number of goroutines once it stops falling
// (connections closing, timers of the last config ending).
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 40 {
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		m := runtime.NumGoroutine()
		if m >= n {
			return min(n, m)
		}
		n = m
	}
	return n
}

func poolSize(p *caddy.UsagePool) int {
	n := 0
	p.Range(func(any, any) bool { n++; return true })
	return n
}

// TestReloadsLeakNoGoroutines reloads the soak's stack, in cluster mode,
// many times under a little traffic, and counts the goroutines and the
// shared pools: after a warm-up, 30 more reloads must not add goroutines
// (a leak of one per reload would add 30) nor pool entries.
func TestReloadsLeakNoGoroutines(t *testing.T) {
	rs := testenv.StartRedis(t)
	backend := newBackend(t, "soak")
	g := startGateway(t, soakGlobals(rs.URL()), soakSite(rs.URL(), 0))
	testenv.Eventually(t, 10*time.Second, "the registry sets itself up in Redis", func() bool {
		code, _ := g.adminCall("POST", "/registry/services/svc", fmt.Sprintf(`{"address": %q, "ttl": "30s"}`, backend.addr()))
		return code == http.StatusOK || code == http.StatusCreated
	})
	traffic := func() {
		for range 5 {
			code, _ := g.get("/svc/x")
			if code != http.StatusUnauthorized { // no token: jwt_auth refuses, after throttle counted
				t.Fatalf("GET /svc/x: %d", code)
			}
		}
	}
	reload := func(n int) {
		for i := range n {
			g.load(soakGlobals(rs.URL()), soakSite(rs.URL(), i+1))
			traffic()
		}
	}
	reload(6)
	g.client.CloseIdleConnections()
	before := settledGoroutines()
	pools := []int{caddykit.RedisClients(), poolSize(processState.zones), responsecache.Stats().Stores}
	reload(30)
	g.client.CloseIdleConnections()
	after := settledGoroutines()
	t.Logf("goroutines: %d after the warm-up, %d after 30 more reloads", before, after)
	if after > before+5 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("30 reloads: %d goroutines, %d before (a leak per reload); stacks:\n%s", after, before, summarizeStacks(string(buf)))
	}
	if got := []int{caddykit.RedisClients(), poolSize(processState.zones), responsecache.Stats().Stores}; fmt.Sprint(got) != fmt.Sprint(pools) {
		t.Errorf("30 reloads: pools (redis clients, zones, caches) %v, were %v", got, pools)
	}
}

// summarizeStacks counts goroutines by their top function, largest first.
func summarizeStacks(all string) string {
	counts := map[string]int{}
	for _, g := range strings.Split(all, "\n\n") {
		lines := strings.Split(g, "\n")
		key := ""
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, "runtime.") && !strings.HasPrefix(l, "sync.") && !strings.HasPrefix(l, "internal/") {
				key = l
				break
			}
		}
		counts[key]++
	}
	var sb strings.Builder
	for k, v := range counts {
		if v > 1 {
			fmt.Fprintf(&sb, "%5d %s\n", v, k)
		}
	}
	return sb.String()
}

// TestRedisRestartsLeakNoGoroutines restarts the stack's Redis three times
// under a little traffic (API-key and token requests, purges by POST), and
// counts the goroutines once things settle: a restart must not leave any
// behind (pub/sub loops, resyncs, retry timers).
func TestRedisRestartsLeakNoGoroutines(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	backend := newBackend(t, "soak")
	g := startGateway(t, soakGlobals(rs.URL()), soakSite(rs.URL(), 0))
	register := func() bool {
		code, _ := g.adminCall("POST", "/registry/services/svc", fmt.Sprintf(`{"address": %q, "ttl": "30s"}`, backend.addr()))
		return code == http.StatusOK || code == http.StatusCreated
	}
	testenv.Eventually(t, 10*time.Second, "the registry sets itself up in Redis", register)
	code, body := g.adminCall("POST", "/consumers/", `{"id": "acme"}`)
	if code != http.StatusCreated {
		t.Fatalf("creating a consumer: %d %s", code, body)
	}
	code, body = g.adminCall("POST", "/consumers/acme/keys", `{}`)
	if code != http.StatusCreated {
		t.Fatalf("creating a key: %d %s", code, body)
	}
	var k struct{ Key string }
	if err := json.Unmarshal([]byte(body), &k); err != nil {
		t.Fatal(err)
	}
	traffic := func() {
		for range 10 {
			_, _ = g.call("GET", g.url("/svc/x"), "", http.Header{"X-Api-Key": {k.Key}})
			_, _ = g.call("POST", g.url("/svc/x"), "{}", http.Header{"X-Api-Key": {k.Key}, "Content-Type": {"application/json"}})
			_, _ = g.get("/svc/x")
		}
	}
	restart := func() {
		rs.Stop()
		traffic()
		time.Sleep(1500 * time.Millisecond)
		traffic()
		rs.Start()
		testenv.Eventually(t, 10*time.Second, "the registry reaches Redis again", register)
		time.Sleep(1500 * time.Millisecond) // resyncs, resubscriptions, the held purges
		traffic()
	}
	restart()
	g.client.CloseIdleConnections()
	before := settledGoroutines()
	for range 3 {
		restart()
	}
	g.client.CloseIdleConnections()
	after := settledGoroutines()
	t.Logf("goroutines: %d after the first restart, %d after three more", before, after)
	if after > before+5 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("3 Redis restarts: %d goroutines, %d before; stacks:\n%s", after, before, summarizeStacks(string(buf)))
	}
}
