package gateway

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// clusterMember is one gateway's registry in cluster mode, on the real
// clock, resyncing every interval.
func clusterMember(t *testing.T, rs *redisServer, resync time.Duration) *Registry {
	t.Helper()
	r := newRegistry(systemClock{}, zap.NewNop())
	h, err := (&RedisConfig{URL: rs.url(), Timeout: caddy.Duration(200 * time.Millisecond)}).connect()
	if err != nil {
		t.Fatal(err)
	}
	remote := newRedisRegistry(r, h, resync, zap.NewNop())
	owner := new(ServiceRegistry)
	r.attach(owner, testSettings, nil, remote, zap.NewNop())
	t.Cleanup(func() {
		r.detach(owner)
		h.release()
	})
	<-remote.ready // subscribed and resynced once
	return r
}

func sees(r *Registry, service string, want ...string) func() bool {
	return func() bool { return slices.Equal(r.dials(service), want) }
}

// TestClusterRegistryPropagates: changes reach the other gateway through
// the published events (the resync is an hour away) and leases run out
// everywhere.
func TestClusterRegistryPropagates(t *testing.T) {
	rs := startRedis(t)
	a, b := clusterMember(t, rs, time.Hour), clusterMember(t, rs, time.Hour)

	if _, _, err := a.Register(Registration{Service: "svc", ID: "one", Address: "10.0.0.1:80"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.dials("svc"), []string{"10.0.0.1:80"}) {
		t.Fatal("the registering gateway does not route to its own registration at once")
	}
	eventually(t, 5*time.Second, "a registration on A did not reach B", sees(b, "svc", "10.0.0.1:80"))

	if _, _, err := b.Register(Registration{Service: "svc", ID: "two", Address: "10.0.0.2:80", TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a registration on B did not reach A", sees(a, "svc", "10.0.0.1:80", "10.0.0.2:80"))
	// the lease runs out everywhere, in Redis too
	eventually(t, 5*time.Second, "the lease did not expire on A", sees(a, "svc", "10.0.0.1:80"))
	eventually(t, 5*time.Second, "the lease did not expire on B", sees(b, "svc", "10.0.0.1:80"))
	if keys := rs.keys(redisInstancePrefix + "svc/two"); len(keys) != 0 {
		t.Fatalf("Redis still holds the expired instance: %v", keys)
	}

	if found, err := b.Deregister("svc", "one"); err != nil || !found {
		t.Fatalf("deregister on B: %v %v", found, err)
	}
	eventually(t, 5*time.Second, "a deregistration on B did not reach A", sees(a, "svc"))
}

func TestClusterRegistryResyncHealsMissedChanges(t *testing.T) {
	rs := startRedis(t)
	a := clusterMember(t, rs, 200*time.Millisecond)
	// a change written to Redis without an event (as if the event was lost)
	c := rs.client()
	if err := c.Set(context.Background(), redisInstanceKey("svc", "x"),
		`{"service":"svc","id":"x","address":"10.0.0.9:80"}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the resync did not pick up an instance only Redis had", sees(a, "svc", "10.0.0.9:80"))
	c.Del(context.Background(), redisInstanceKey("svc", "x"))
	eventually(t, 5*time.Second, "the resync did not drop an instance Redis no longer has", sees(a, "svc"))
}

// TestClusterRegistryRidesOutARedisRestart: while Redis is down, routing
// goes on and registrations answer 503; Redis comes back empty (no
// persistence) and the gateways write back what they know.
func TestClusterRegistryRidesOutARedisRestart(t *testing.T) {
	rs := startOwnRedis(t)
	a, b := clusterMember(t, rs, 200*time.Millisecond), clusterMember(t, rs, 200*time.Millisecond)
	if _, _, err := a.Register(Registration{Service: "svc", ID: "one", Address: "10.0.0.1:80", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "B did not see the registration", sees(b, "svc", "10.0.0.1:80"))

	rs.stop()
	_, _, err := a.Register(Registration{Service: "svc", ID: "two", Address: "10.0.0.2:80"})
	if statusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("registration with Redis down: %v; want a 503", err)
	}
	if _, err := a.Deregister("svc", "one"); statusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("deregistration with Redis down: %v; want a 503", err)
	}
	eventually(t, 5*time.Second, "the gateways did not notice the outage", func() bool {
		return a.remote.isDown() && b.remote.isDown()
	})
	for _, r := range []*Registry{a, b} {
		if !slices.Equal(r.dials("svc"), []string{"10.0.0.1:80"}) {
			t.Fatalf("routing lost the last known registrations while Redis was down: %v", r.dials("svc"))
		}
	}

	rs.start() // empty
	eventually(t, 10*time.Second, "the gateways did not write their registrations back", func() bool {
		return len(rs.keys(redisInstancePrefix+"*")) == 1
	})
	ttl := rs.client().PTTL(context.Background(), redisInstanceKey("svc", "one")).Val()
	if ttl <= 0 || ttl > time.Hour {
		t.Fatalf("written back with lease %v; want what was left of the hour", ttl)
	}
	eventually(t, 10*time.Second, "registrations did not work again", func() bool {
		_, _, err := a.Register(Registration{Service: "svc", ID: "two", Address: "10.0.0.2:80"})
		return err == nil
	})
	eventually(t, 5*time.Second, "B did not catch up", sees(b, "svc", "10.0.0.1:80", "10.0.0.2:80"))
}
