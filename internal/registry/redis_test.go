package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// clusterMember is one gateway's registry in cluster mode, on the real
// clock, resyncing every interval.
func clusterMember(t *testing.T, rs *testenv.RedisServer, resync time.Duration) *Registry {
	t.Helper()
	r := newRegistry(systemClock{}, zap.NewNop())
	remote := newClusterSync(r, testConn(t, rs, 200*time.Millisecond), resync, zap.NewNop())
	owner := new(int)
	r.attach(owner, testSettings, nil, remote, zap.NewNop())
	t.Cleanup(func() { r.detach(owner) })
	<-remote.ready // subscribed and resynced once
	return r
}

// testConn is a connection as the gateway makes them: one attempt per call,
// bounded by timeout, with a backoff.
func testConn(t *testing.T, rs *testenv.RedisServer, timeout time.Duration) *redisconn.Conn {
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", rs.Port),
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, PoolTimeout: timeout,
		ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { c.Close() })
	return &redisconn.Conn{Client: c, URL: rs.URL(), Timeout: timeout, Backoff: new(redisconn.Backoff)}
}

func sees(r *Registry, service string, want ...string) func() bool {
	return func() bool { return slices.Equal(r.Dials(service), want) }
}

// TestClusterRegistryPropagates: changes reach the other gateway through
// the published events (the resync is an hour away) and leases run out
// everywhere.
func TestClusterRegistryPropagates(t *testing.T) {
	rs := testenv.StartRedis(t)
	a, b := clusterMember(t, rs, time.Hour), clusterMember(t, rs, time.Hour)

	if _, _, err := a.Register(Registration{Service: "svc", ID: "one", Address: "10.0.0.1:80"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Dials("svc"), []string{"10.0.0.1:80"}) {
		t.Fatal("the registering gateway does not route to its own registration at once")
	}
	testenv.Eventually(t, 5*time.Second, "a registration on A did not reach B", sees(b, "svc", "10.0.0.1:80"))

	if _, _, err := b.Register(Registration{Service: "svc", ID: "two", Address: "10.0.0.2:80", TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "a registration on B did not reach A", sees(a, "svc", "10.0.0.1:80", "10.0.0.2:80"))
	// the lease runs out everywhere, in Redis too
	testenv.Eventually(t, 5*time.Second, "the lease did not expire on A", sees(a, "svc", "10.0.0.1:80"))
	testenv.Eventually(t, 5*time.Second, "the lease did not expire on B", sees(b, "svc", "10.0.0.1:80"))
	if keys := rs.Keys(redisInstancePrefix + "svc/two"); len(keys) != 0 {
		t.Fatalf("Redis still holds the expired instance: %v", keys)
	}

	if found, err := b.Deregister("svc", "one"); err != nil || !found {
		t.Fatalf("deregister on B: %v %v", found, err)
	}
	testenv.Eventually(t, 5*time.Second, "a deregistration on B did not reach A", sees(a, "svc"))
}

func TestClusterRegistryResyncHealsMissedChanges(t *testing.T) {
	rs := testenv.StartRedis(t)
	a := clusterMember(t, rs, 200*time.Millisecond)
	// a change written to Redis without an event (as if the event was lost)
	c := rs.Client()
	if err := c.Set(context.Background(), redisInstanceKey("svc", "x"),
		`{"service":"svc","id":"x","address":"10.0.0.9:80"}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "the resync did not pick up an instance only Redis had", sees(a, "svc", "10.0.0.9:80"))
	c.Del(context.Background(), redisInstanceKey("svc", "x"))
	testenv.Eventually(t, 5*time.Second, "the resync did not drop an instance Redis no longer has", sees(a, "svc"))
}

// TestClusterRegistryRidesOutARedisRestart: while Redis is down, routing
// goes on and registrations answer 503; Redis comes back empty (no
// persistence) and the gateways write back what they know.
func TestClusterRegistryRidesOutARedisRestart(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	a, b := clusterMember(t, rs, 200*time.Millisecond), clusterMember(t, rs, 200*time.Millisecond)
	if _, _, err := a.Register(Registration{Service: "svc", ID: "one", Address: "10.0.0.1:80", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "B did not see the registration", sees(b, "svc", "10.0.0.1:80"))

	rs.Stop()
	_, _, err := a.Register(Registration{Service: "svc", ID: "two", Address: "10.0.0.2:80"})
	if !errors.Is(err, ErrBackendDown) {
		t.Fatalf("registration with Redis down: %v; want a 503", err)
	}
	if _, err := a.Deregister("svc", "one"); !errors.Is(err, ErrBackendDown) {
		t.Fatalf("deregistration with Redis down: %v; want a 503", err)
	}
	testenv.Eventually(t, 5*time.Second, "the gateways did not notice the outage", func() bool {
		return a.remote.isDown() && b.remote.isDown()
	})
	for _, r := range []*Registry{a, b} {
		if !slices.Equal(r.Dials("svc"), []string{"10.0.0.1:80"}) {
			t.Fatalf("routing lost the last known registrations while Redis was down: %v", r.Dials("svc"))
		}
	}

	rs.Start() // empty
	testenv.Eventually(t, 10*time.Second, "the gateways did not write their registrations back", func() bool {
		return len(rs.Keys(redisInstancePrefix+"*")) == 1
	})
	ttl := rs.Client().PTTL(context.Background(), redisInstanceKey("svc", "one")).Val()
	if ttl <= 0 || ttl > time.Hour {
		t.Fatalf("written back with lease %v; want what was left of the hour", ttl)
	}
	testenv.Eventually(t, 10*time.Second, "registrations did not work again", func() bool {
		_, _, err := a.Register(Registration{Service: "svc", ID: "two", Address: "10.0.0.2:80"})
		return err == nil
	})
	testenv.Eventually(t, 5*time.Second, "B did not catch up", sees(b, "svc", "10.0.0.1:80", "10.0.0.2:80"))
}
