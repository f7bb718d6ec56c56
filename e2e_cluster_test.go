package gateway

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// clusterGateway is one Caddy process of a cluster sharing one Redis.
type clusterGateway struct {
	admin, base string
}

// startClusterGateway starts a gateway on redisURL that resyncs every
// 200ms.
func startClusterGateway(t *testing.T, bin, redisURL string) clusterGateway {
	t.Helper()
	return startClusterGatewayResyncing(t, bin, redisURL, "200ms")
}

func startClusterGatewayResyncing(t *testing.T, bin, redisURL, resync string) clusterGateway {
	t.Helper()
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	port := testenv.FreePort(t)
	caddyfile := fmt.Sprintf(`{
	admin %s
	http_port %d
	https_port %d
	persist_config off
	storage file_system %s
	service_registry {
		backend redis %s
		redis_timeout 200ms
		resync_interval %s
	}
}

http://127.0.0.1:%d {
	handle /limited* {
		throttle {
			zone shared
			key {http.request.header.X-Key}
			rate 5/1m
			backend redis %s
			# exact: every request asks Redis, so the outage below
			# shows on_error deny at once (leased: e2e_lease_test.go)
			mode exact
			on_error deny
		}
		respond "ok"
	}
	handle {
		reverse_proxy {
			dynamic registry {http.request.uri.path.0}
		}
	}
}
`, admin, port, testenv.FreePort(t), t.TempDir(), redisURL, resync, port, redisURL)
	file := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(file, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	startCaddyBinary(t, bin, file, admin)
	return clusterGateway{admin: "http://" + admin, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestClusterTwoGateways runs two gateway processes on one Redis: what is
// registered through one answers through the other, deregistrations and
// lease expiries reach both, one rate limit holds across both, and a Redis
// outage and restart (empty) are ridden out.
func TestClusterTwoGateways(t *testing.T) {
	bin := builtPrograms(t)
	rs := testenv.StartOwnRedis(t)
	a := startClusterGateway(t, bin, rs.URL())
	b := startClusterGateway(t, bin, rs.URL())
	client := &http.Client{Timeout: 5 * time.Second}
	be := newBackend(t, "be")
	other := newBackend(t, "other")

	if code := post(t, a.admin+"/registry/services/svc", fmt.Sprintf(`{"address": %q, "id": "be", "ttl": "1h"}`, be.addr())); code != 201 {
		t.Fatalf("register through A: %d", code)
	}
	testenv.Eventually(t, 5*time.Second, "B does not route to what was registered through A", func() bool {
		return fetch(t, client, b.base+"/svc/").instance == "be"
	})

	// a short lease registered through B runs out on both
	if code := post(t, b.admin+"/registry/services/short", fmt.Sprintf(`{"address": %q, "ttl": "1s"}`, other.addr())); code != 201 {
		t.Fatalf("register through B: %d", code)
	}
	testenv.Eventually(t, 5*time.Second, "A does not route to what was registered through B", func() bool {
		return fetch(t, client, a.base+"/short/").instance == "other"
	})
	for name, g := range map[string]clusterGateway{"A": a, "B": b} {
		testenv.Eventually(t, 5*time.Second, "the lease did not run out on "+name, func() bool {
			return fetch(t, client, g.base+"/short/").code == http.StatusServiceUnavailable
		})
	}

	// one limit across both gateways: 5 in all
	passed := 0
	for i := range 10 {
		g := a
		if i%2 == 1 {
			g = b
		}
		if fetchWith(t, client, "GET", g.base+"/limited", http.Header{"X-Key": {"everyone"}}).code == 200 {
			passed++
		}
	}
	if passed != 5 {
		t.Fatalf("%d of 10 requests through two gateways passed rate 5/1m; want 5", passed)
	}

	// a deregistration through B reaches A
	req, _ := http.NewRequest("DELETE", b.admin+"/registry/services/svc/be", nil)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("deregister through B: %v %v", resp, err)
	}
	testenv.Eventually(t, 5*time.Second, "A still routes to what was deregistered through B", func() bool {
		return fetch(t, client, a.base+"/svc/").code == http.StatusServiceUnavailable
	})

	// Redis goes away: routing goes on, registrations and the deny-limiter answer 503
	if code := post(t, a.admin+"/registry/services/svc", fmt.Sprintf(`{"address": %q, "id": "be", "ttl": "1h"}`, be.addr())); code != 201 {
		t.Fatalf("register again: %d", code)
	}
	testenv.Eventually(t, 5*time.Second, "B does not see the new registration", func() bool {
		return fetch(t, client, b.base+"/svc/").instance == "be"
	})
	rs.Stop()
	testenv.Eventually(t, 5*time.Second, "the gateways do not answer registrations with 503 while Redis is down", func() bool {
		return post(t, a.admin+"/registry/services/later", fmt.Sprintf(`{"address": %q}`, other.addr())) == http.StatusServiceUnavailable &&
			post(t, b.admin+"/registry/services/later", fmt.Sprintf(`{"address": %q}`, other.addr())) == http.StatusServiceUnavailable
	})
	for name, g := range map[string]clusterGateway{"A": a, "B": b} {
		if ans := fetch(t, client, g.base+"/svc/"); ans.code != 200 || ans.instance != "be" {
			t.Fatalf("%s with Redis down: %d %q; routing must go on", name, ans.code, ans.instance)
		}
		// a key nothing is known against gets on_error (deny: 503); a
		// key Redis refused stays refused (429), not released by it
		if ans := fetchWith(t, client, "GET", g.base+"/limited", http.Header{"X-Key": {"someone"}}); ans.code != http.StatusServiceUnavailable {
			t.Fatalf("%s's limiter (on_error deny) with Redis down, a new key: %d, want 503", name, ans.code)
		}
		if ans := fetchWith(t, client, "GET", g.base+"/limited", http.Header{"X-Key": {"everyone"}}); ans.code != http.StatusTooManyRequests {
			t.Fatalf("%s's limiter with Redis down, a key Redis refused: %d, want 429", name, ans.code)
		}
	}
	if code := post(t, a.admin+"/registry/services/later", fmt.Sprintf(`{"address": %q}`, other.addr())); code != http.StatusServiceUnavailable {
		t.Fatalf("registration with Redis down: %d, want 503", code)
	}

	// Redis comes back empty: the gateways write back what they know, and catch up
	rs.Start()
	testenv.Eventually(t, 10*time.Second, "registrations do not work again after Redis came back", func() bool {
		return post(t, a.admin+"/registry/services/later", fmt.Sprintf(`{"address": %q}`, other.addr())) < 300
	})
	testenv.Eventually(t, 5*time.Second, "B did not catch up", func() bool {
		return fetch(t, client, b.base+"/later/").instance == "other"
	})
	if ans := fetch(t, client, b.base+"/svc/"); ans.instance != "be" {
		t.Fatalf("the registration from before the outage was lost: %d", ans.code)
	}
	if keys := rs.Keys("{caddy_gateway:registry}:instance:svc/be"); len(keys) != 1 {
		t.Fatal("the registration from before the outage was not written back to Redis")
	}
}

// TestClusterLeaseHeldFromTheFirstSecondOfAnOutage: Redis stops between two
// resyncs (an hour apart), before any call to it has failed. An instance
// renewed with a ttl of 3s is still routed by both gateways 5s later: each
// asked Redis before letting the lease run out, found it unreachable and
// held the lease. When Redis comes back (empty), the gateways write the
// instance back; never renewed again, it then runs out on both within its
// ttl and the grace (noticing Redis is back takes up to a second).
func TestClusterLeaseHeldFromTheFirstSecondOfAnOutage(t *testing.T) {
	bin := builtPrograms(t)
	rs := testenv.StartOwnRedis(t)
	a := startClusterGatewayResyncing(t, bin, rs.URL(), "1h")
	b := startClusterGatewayResyncing(t, bin, rs.URL(), "1h")
	client := &http.Client{Timeout: 5 * time.Second}
	be := newBackend(t, "be")
	reg := fmt.Sprintf(`{"address": %q, "id": "be", "ttl": "3s"}`, be.addr())

	if code := post(t, a.admin+"/registry/services/svc", reg); code != 201 {
		t.Fatalf("register through A: %d", code)
	}
	if code := post(t, a.admin+"/registry/services/svc", reg); code != 200 {
		t.Fatalf("renew through A: %d", code)
	}
	testenv.Eventually(t, 5*time.Second, "B does not route to what was registered through A", func() bool {
		return fetch(t, client, b.base+"/svc/").instance == "be"
	})

	rs.Stop()
	time.Sleep(5 * time.Second)
	for name, g := range map[string]clusterGateway{"A": a, "B": b} {
		if ans := fetch(t, client, g.base+"/svc/"); ans.code != 200 || ans.instance != "be" {
			t.Fatalf("%s, 5s into a Redis outage, dropped an instance whose 3s lease ran out during it: %d %q", name, ans.code, ans.instance)
		}
	}

	rs.Start() // empty
	back := time.Now()
	testenv.Eventually(t, 5*time.Second, "the instance was not written back to Redis", func() bool {
		return len(rs.Keys("{caddy_gateway:registry}:instance:svc/be")) == 1
	})
	for name, g := range map[string]clusterGateway{"A": a, "B": b} {
		if ans := fetch(t, client, g.base+"/svc/"); ans.instance != "be" {
			t.Fatalf("%s dropped the instance when Redis came back: %d", name, ans.code)
		}
	}
	// not renewed since: leases run again, and it goes within ttl + grace
	const ttlAndGrace = 3*time.Second + 1500*time.Millisecond
	for name, g := range map[string]clusterGateway{"A": a, "B": b} {
		testenv.Eventually(t, ttlAndGrace+3*time.Second, "the lease did not run out on "+name+" after Redis came back", func() bool {
			return fetch(t, client, g.base+"/svc/").code == http.StatusServiceUnavailable
		})
	}
	if took := time.Since(back); took > ttlAndGrace+500*time.Millisecond {
		t.Fatalf("the lease ran out %v after Redis came back; want at most its ttl and the grace (%v)", took, ttlAndGrace)
	}
}
