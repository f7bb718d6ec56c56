package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddygateway/caddy-gateway/modules/responsecache"
)

// topologySite is a gateway whose registry, throttle and response_cache
// all use the Redis backend block given.
func topologySite(backend string, origin string) (globals, sites string) {
	globals = fmt.Sprintf(`service_registry {
		backend redis {
			%s
		}
		redis_timeout 300ms
		resync_interval 500ms
	}`, backend)
	sites = fmt.Sprintf(`http://127.0.0.1:{HTTP} {
	handle /limited* {
		throttle {
			zone topo
			key {http.request.header.X-Client}
			rate 5/1m
			backend redis {
				%[1]s
			}
			on_error deny
		}
		respond "ok"
	}
	handle /cached* {
		response_cache {
			backend redis {
				%[1]s
			}
		}
		reverse_proxy %[2]s
	}
	handle {
		reverse_proxy {
			dynamic registry {http.request.uri.path.0}
		}
	}
}`, backend, origin)
	return globals, sites
}

// stream is a series of requests sent until stopped, with the time and
// status of each.
type stream struct {
	mu      sync.Mutex
	results []streamResult
}

type streamResult struct {
	at   time.Time
	code int
	id   string
}

func (s *stream) add(code int, id string) {
	s.mu.Lock()
	s.results = append(s.results, streamResult{at: time.Now(), code: code, id: id})
	s.mu.Unlock()
}

func (s *stream) all() []streamResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]streamResult(nil), s.results...)
}

// runStreams sends, until stop is closed, registrations of new instances
// of service "reg" (ids r0, r1, ...), requests routed to service "svc", and
// throttled requests (each from a new client, so none is refused for its
// rate). It returns when stop is closed and every sender has finished.
func runStreams(t *testing.T, g *testGateway, backendAddr string, stop chan struct{}) (regs, routes, limited *stream) {
	regs, routes, limited = &stream{}, &stream{}, &stream{}
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	var n atomic.Int64
	loop := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				f()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	loop(func() {
		id := fmt.Sprintf("r%d", n.Add(1))
		req, _ := http.NewRequest("POST", "http://"+g.admin+"/registry/services/reg",
			strings.NewReader(fmt.Sprintf(`{"address": %q, "id": %q, "ttl": "1h"}`, backendAddr, id)))
		resp, err := client.Do(req)
		if err != nil {
			regs.add(0, id)
			return
		}
		resp.Body.Close()
		regs.add(resp.StatusCode, id)
	})
	loop(func() {
		a, err := tryFetch(client, "GET", g.url("/svc/"), nil)
		if err != nil {
			routes.add(0, "")
			return
		}
		routes.add(a.code, "")
	})
	var clients atomic.Int64
	loop(func() {
		a, err := tryFetch(client, "GET", g.url("/limited"), http.Header{"X-Client": {fmt.Sprint(clients.Add(1))}})
		if err != nil {
			limited.add(0, "")
			return
		}
		limited.add(a.code, "")
	})
	<-stop
	wg.Wait()
	return regs, routes, limited
}

// acknowledged lists the ids of the registrations that were answered 201.
func acknowledged(regs *stream) []string {
	var ids []string
	for _, r := range regs.all() {
		if r.code == http.StatusCreated {
			ids = append(ids, r.id)
		}
	}
	return ids
}

// mustHoldRegistrations checks that every id is registered in Redis (with
// exists) and listed by the gateway.
func mustHoldRegistrations(t *testing.T, g *testGateway, ids []string, exists func(key string) bool) {
	t.Helper()
	var missing []string
	for _, id := range ids {
		if !exists(redisRegistryKey("reg", id)) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged registrations are not in Redis: %v", len(missing), len(ids), missing)
	}
	code, body := g.adminCall("GET", "/registry/services/reg?limit=1000", "")
	if code != 200 {
		t.Fatalf("listing: %d %s", code, body)
	}
	for _, id := range ids {
		if !strings.Contains(body, fmt.Sprintf(`"id":%q`, id)) {
			t.Fatalf("the gateway does not list acknowledged registration %s", id)
		}
	}
}

// registerSoon registers an instance once the registry has set Redis up
// (a gateway refuses writes, 503, until its first resync).
func registerSoon(t *testing.T, g *testGateway, service, body string) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "registering "+body+" kept failing", func() bool {
		code, _ := g.adminCall("POST", "/registry/services/"+service, body)
		return code == http.StatusCreated || code == http.StatusOK
	})
}

func redisRegistryKey(service, id string) string {
	return "{caddy_gateway:registry}:instance:" + service + "/" + id
}

// TestE2ERedisSentinelFailover: a master, a replica and three sentinels;
// the master is killed during a stream of registrations, routed requests
// and throttled requests. Routing never stops; registrations and
// throttled requests answer 503 only during the failover (none before the
// kill, none once the new master has answered for a moment); afterwards
// every acknowledged registration is in the new master and listed (the
// write-back covers what asynchronous replication lost).
func TestE2ERedisSentinelFailover(t *testing.T) {
	st := testenv.StartSentinel(t)
	origin := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "o") })
	globals, sites := topologySite(fmt.Sprintf("sentinel %s %s", st.MasterName, strings.Join(st.Addrs(), " ")), origin.addr())
	g := startGateway(t, globals, sites)
	be := newBackend(t, "be")
	registerSoon(t, g, "svc", fmt.Sprintf(`{"address": %q, "id": "be", "ttl": "1h"}`, be.addr()))
	if code, inst := g.get("/svc/"); code != 200 || inst != "be" {
		t.Fatalf("routing before the failover: %d %q", code, inst)
	}

	stop := make(chan struct{})
	var regs, routes, limited *stream
	done := make(chan struct{})
	go func() { regs, routes, limited = runStreams(t, g, be.addr(), stop); close(done) }()
	time.Sleep(time.Second)
	old := st.Master()
	killedAt := time.Now()
	old.Stop()
	newMaster := st.WaitForNewMaster(old, 20*time.Second)
	failedOverAt := time.Now()
	t.Logf("failover took %v", failedOverAt.Sub(killedAt))
	time.Sleep(5 * time.Second) // the stream goes on against the new master
	close(stop)
	<-done

	for _, r := range routes.all() {
		if r.code != 200 {
			t.Fatalf("routing stopped: %d at %v after the kill", r.code, r.at.Sub(killedAt))
		}
	}
	// after the failover, a write answers as soon as the client has
	// reconnected and the backoff (up to 2s) has run out
	settled := failedOverAt.Add(3 * time.Second)
	for name, s := range map[string]*stream{"registration": regs, "throttled request": limited} {
		ok, okLate, refusedLate := 0, 0, 0
		for _, r := range s.all() {
			switch {
			case r.code == 200 || r.code == 201:
				ok++
				if r.at.After(settled) {
					okLate++
				}
			case r.code != 503:
				t.Errorf("a %s answered %d at %v after the kill", name, r.code, r.at.Sub(killedAt))
			case r.at.Before(killedAt):
				t.Errorf("a %s answered 503 before the kill", name)
			case r.at.After(settled):
				refusedLate++
			}
		}
		t.Logf("%ss: %d answered, %d refused (503) during the failover", name, ok, len(s.all())-ok)
		if refusedLate > 0 {
			t.Errorf("%d %ss answered 503 more than 3s after the failover", refusedLate, name)
		}
		if ok == 0 || okLate == 0 {
			t.Errorf("%d %ss succeeded, %d of them after the failover: the gateway did not follow the new master", ok, name, okLate)
		}
	}
	ids := acknowledged(regs)
	t.Logf("%d registrations acknowledged, %d routed requests, %d throttled requests", len(ids), len(routes.all()), len(limited.all()))
	testenv.Eventually(t, 10*time.Second, "acknowledged registrations are missing from the new master", func() bool {
		for _, id := range ids {
			if newMaster.Client().Exists(context.Background(), redisRegistryKey("reg", id)).Val() != 1 {
				return false
			}
		}
		return true
	})
	mustHoldRegistrations(t, g, ids, func(key string) bool {
		return newMaster.Client().Exists(context.Background(), key).Val() == 1
	})
}

// TestE2ERedisCluster: a three-master Redis Cluster made with
// `redis-cli --cluster create`: the registry, a throttle's limit and
// response_cache's sharing work on it; a migration of the registry's slot
// to another master during a stream of registrations, and then that
// master's restart, lose no acknowledged registration.
func TestE2ERedisCluster(t *testing.T) {
	cl := testenv.StartCluster(t, 3)
	var hits atomic.Int64
	origin := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "v=%d", hits.Add(1))
	})
	globals, sites := topologySite("cluster "+strings.Join(cl.Addrs(), " "), origin.addr())
	g := startGateway(t, globals, sites)
	ctx := context.Background()
	cc := cl.Client()
	be := newBackend(t, "be")
	registerSoon(t, g, "svc", fmt.Sprintf(`{"address": %q, "id": "be", "ttl": "1h"}`, be.addr()))
	if code, inst := g.get("/svc/"); code != 200 || inst != "be" {
		t.Fatalf("routing: %d %q", code, inst)
	}

	// one limit, counted in the cluster: 5 of 10
	passed := 0
	for range 10 {
		if a := fetchWith(t, g.client, "GET", g.url("/limited"), http.Header{"X-Client": {"one"}}); a.code == 200 {
			passed++
		} else if a.code != 429 {
			t.Fatalf("throttled request: %d %s", a.code, a.body)
		}
	}
	if passed != 5 {
		t.Fatalf("%d of 10 passed a 5/1m limit", passed)
	}

	// the cache shares through the cluster
	fetch(t, g.client, g.url("/cached"))
	testenv.Eventually(t, 5*time.Second, "the cached entry did not reach the cluster", func() bool {
		return len(cl.NodeOf(responsecache.RedisPrefix).Keys(responsecache.RedisPrefix+"e:*")) == 1
	})
	g.restart(globals, sites)
	if a := fetch(t, g.client, g.url("/cached")); a.body != "v=1" {
		t.Fatalf("after a restart the shared entry was not used: %q (origin asked %d times)", a.body, hits.Load())
	}
	registerSoon(t, g, "svc", fmt.Sprintf(`{"address": %q, "id": "be", "ttl": "1h"}`, be.addr()))

	// a slot migration during registrations
	from := cl.NodeOf(redisRegistryKey("reg", "x"))
	var to *testenv.RedisServer
	for _, n := range cl.Nodes {
		if n != from {
			to = n
			break
		}
	}
	stop := make(chan struct{})
	var regs *stream
	done := make(chan struct{})
	go func() { regs, _, _ = runStreams(t, g, be.addr(), stop); close(done) }()
	time.Sleep(500 * time.Millisecond)
	cl.MoveSlot(redisRegistryKey("reg", "x"), to, 20*time.Millisecond)
	time.Sleep(time.Second)
	// and a restart of the master that holds the registry now
	to.Stop()
	time.Sleep(500 * time.Millisecond)
	to.Start()
	cl.WaitOK()
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	if cl.NodeOf(redisRegistryKey("reg", "x")) != to {
		t.Fatal("the registry's slot did not move")
	}
	ids := acknowledged(regs)
	t.Logf("%d registrations acknowledged across the migration and the restart", len(ids))
	if len(ids) < 20 {
		t.Fatalf("only %d registrations acknowledged", len(ids))
	}
	testenv.Eventually(t, 10*time.Second, "acknowledged registrations are missing from the cluster", func() bool {
		for _, id := range ids {
			if cc.Exists(ctx, redisRegistryKey("reg", id)).Val() != 1 {
				return false
			}
		}
		return true
	})
	mustHoldRegistrations(t, g, ids, func(key string) bool { return cc.Exists(ctx, key).Val() == 1 })
	// writes work after it all
	registerSoon(t, g, "svc", fmt.Sprintf(`{"address": %q, "id": "after", "ttl": "1h"}`, be.addr()))
}

// TestE2ERedisTLSAndACL: a Redis that speaks only TLS, with the default
// user off and an ACL user for the gateway: the backend block's rediss://
// URL, tls_ca, username and password (from an environment placeholder)
// reach it; without the password the config loads but every call fails.
func TestE2ERedisTLSAndACL(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := testenv.WriteTLSFiles(t, dir, "127.0.0.1")
	rs := testenv.StartRedisWith(t, "--port", "0", "--tls-port", "{port}", "--tls-cert-file", cert, "--tls-key-file", key,
		"--tls-ca-cert-file", ca, "--tls-auth-clients", "no",
		"--user", "default", "off", "--user", "gateway", "on", ">s3cret-pw", "~*", "&*", "+@all")
	port := rs.Port
	t.Setenv("GATEWAY_TEST_REDIS_PASSWORD", "s3cret-pw")
	backend := fmt.Sprintf("url rediss://127.0.0.1:%d/0\n\t\t\tusername gateway\n\t\t\tpassword {env.GATEWAY_TEST_REDIS_PASSWORD}\n\t\t\ttls_ca %s", port, ca)
	origin := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "o") })
	globals, sites := topologySite(backend, origin.addr())
	g := startGateway(t, globals, sites)
	be := newBackend(t, "be")
	registerSoon(t, g, "svc", fmt.Sprintf(`{"address": %q, "id": "be", "ttl": "1h"}`, be.addr()))
	passed := 0
	for range 8 {
		if fetchWith(t, g.client, "GET", g.url("/limited"), http.Header{"X-Client": {"one"}}).code == 200 {
			passed++
		}
	}
	if passed != 5 {
		t.Fatalf("%d of 8 passed a 5/1m limit kept in the TLS Redis", passed)
	}

	// the wrong password: the throttle denies (on_error deny), the
	// registry refuses writes
	t.Setenv("GATEWAY_TEST_REDIS_PASSWORD", "wrong")
	globals, sites = topologySite(backend+"\n\t\t\ttimeout 200ms", origin.addr())
	g.restart(globals, sites)
	if a := fetchWith(t, g.client, "GET", g.url("/limited"), http.Header{"X-Client": {"two"}}); a.code != 503 {
		t.Fatalf("with the wrong password a throttled request got %d", a.code)
	}
	if code, _ := g.adminCall("POST", "/registry/services/svc", fmt.Sprintf(`{"address": %q, "id": "x"}`, be.addr())); code != 503 {
		t.Fatalf("with the wrong password a registration got %d", code)
	}
}
