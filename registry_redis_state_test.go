package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

func putEvent(t *testing.T, v int64, inst Instance) string {
	t.Helper()
	b, err := json.Marshal(registryEvent{V: v, Origin: "peer", Op: "put", Instance: &inst})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func delEvent(t *testing.T, v int64, service string, ids ...string) string {
	t.Helper()
	b, _ := json.Marshal(registryEvent{V: v, Origin: "peer", Op: "del", Service: service, IDs: ids})
	return string(b)
}

// TestClusterEventsApplyInVersionOrder: whatever order changes arrive in,
// the newest (by the version Redis gave it) wins.
func TestClusterEventsApplyInVersionOrder(t *testing.T) {
	r, _ := newTestRegistry()
	rr := newRedisRegistry(r, nil, time.Hour, zap.NewNop())
	a := Instance{Service: "svc", ID: "x", Address: "10.0.0.1:80"}
	b := Instance{Service: "svc", ID: "x", Address: "10.0.0.2:80"}

	rr.apply(putEvent(t, 5, b))
	rr.apply(putEvent(t, 4, a)) // older, arriving late
	if got := r.dials("svc"); !slices.Equal(got, []string{"10.0.0.2:80"}) {
		t.Fatalf("an older put overwrote a newer one: %v", got)
	}
	rr.apply(delEvent(t, 7, "svc", "x"))
	rr.apply(putEvent(t, 6, a)) // written before the deletion
	if got := r.dials("svc"); len(got) != 0 {
		t.Fatalf("a put older than a deletion brought the instance back: %v", got)
	}
	rr.apply(putEvent(t, 8, a))
	if got := r.dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
		t.Fatalf("a put newer than the deletion was dropped: %v", got)
	}
	// a deletion older than the entry leaves it
	rr.apply(delEvent(t, 2, "svc", "x"))
	if got := r.dials("svc"); len(got) != 1 {
		t.Fatalf("an old deletion removed a newer entry: %v", got)
	}
	// an event whose key and value disagree, or with a refused address, is ignored
	rr.apply(putEvent(t, 9, Instance{Service: "svc", ID: "y", Address: "169.254.169.254:80"}))
	if _, ok := r.Instance("svc", "y"); ok {
		t.Fatal("a link-local address from Redis was accepted")
	}
}

// TestClusterConcurrentWritesConverge: two gateways write the same
// instance with different addresses at once, many times; once the events
// have arrived, both route to what Redis holds (no resync: it is an hour
// away).
func TestClusterConcurrentWritesConverge(t *testing.T) {
	rs := startRedis(t)
	a, b := clusterMember(t, rs, time.Hour), clusterMember(t, rs, time.Hour)
	c := rs.client()
	for round := range 40 {
		var wg sync.WaitGroup
		for i, g := range []*Registry{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, _ = g.Register(Registration{Service: "svc", ID: "x", Address: fmt.Sprintf("10.0.%d.%d:80", round, i+1)})
			}()
		}
		wg.Wait()
		value, err := c.Get(context.Background(), redisInstanceKey("svc", "x")).Result()
		if err != nil {
			t.Fatal(err)
		}
		inst, _, _ := parseRedisValue(value)
		want := []string{inst.Address}
		eventually(t, 5*time.Second, fmt.Sprintf("round %d: gateways disagree with Redis (%s)", round, inst.Address), func() bool {
			return slices.Equal(a.dials("svc"), want) && slices.Equal(b.dials("svc"), want)
		})
	}
}

// TestClusterOutageKeepsLeases: while Redis is unreachable, no lease runs
// out (no service can renew); when it is back, the gateways write their
// instances back with fresh leases and nothing acknowledged is lost.
func TestClusterOutageKeepsLeases(t *testing.T) {
	rs := startOwnRedis(t)
	a, b := clusterMember(t, rs, 200*time.Millisecond), clusterMember(t, rs, 200*time.Millisecond)
	if _, _, err := a.Register(Registration{Service: "svc", ID: "one", Address: "10.0.0.1:80", TTL: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "B did not see the registration", sees(b, "svc", "10.0.0.1:80"))
	rs.stop()
	eventually(t, 5*time.Second, "the gateways did not notice the outage", func() bool {
		return a.remote.isDown() && b.remote.isDown()
	})
	time.Sleep(3 * time.Second) // longer than the lease
	for name, g := range map[string]*Registry{"A": a, "B": b} {
		if got := g.dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
			t.Fatalf("%s expired a lease while Redis was down: %v", name, got)
		}
	}
	rs.start() // empty
	eventually(t, 10*time.Second, "the instance was not written back", func() bool {
		return len(rs.keys(redisInstancePrefix+"*")) == 1
	})
	if ttl := rs.client().PTTL(context.Background(), redisInstanceKey("svc", "one")).Val(); ttl < time.Second {
		t.Fatalf("written back with a lease of %v; want a fresh one (2s)", ttl)
	}
	eventually(t, 10*time.Second, "the gateways did not leave the outage", func() bool {
		return !a.remote.isDown() && !b.remote.isDown()
	})
	// leases run again: without a renewal the instance goes everywhere
	eventually(t, 10*time.Second, "the lease did not run out after the outage", func() bool {
		return len(a.dials("svc")) == 0 && len(b.dials("svc")) == 0
	})
}

// TestClusterRedisFailsFast: once a call found Redis down, the next ones
// do not wait for it.
func TestClusterRedisFailsFast(t *testing.T) {
	rs := startOwnRedis(t)
	h, err := (&RedisConfig{URL: rs.url(), Timeout: caddy.Duration(200 * time.Millisecond)}).connect()
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	rs.stop()
	rr := newRedisRegistry(nil, h, time.Hour, zap.NewNop())
	if _, err := rr.put(Instance{Service: "s", ID: "i", Address: "10.0.0.1:80"}); err == nil {
		t.Fatal("a write to a stopped Redis succeeded")
	}
	if _, err := rr.put(Instance{Service: "s", ID: "i", Address: "10.0.0.1:80"}); err != errRedisBackoff {
		t.Fatalf("the second write went to a Redis known to be down: %v", err)
	}
	opt := h.client.Options()
	if opt.MaxRetries > 0 || opt.DialerRetries != 1 {
		t.Fatalf("go-redis retries: MaxRetries %d DialerRetries %d", opt.MaxRetries, opt.DialerRetries)
	}
}

// TestClusterResyncSkipsWhatItCannotRead: no key under the registry's
// prefix can stop the resync: other types, over-long values, values whose
// key disagrees, refused addresses and injections over the caps are
// skipped, and everything else is synced.
func TestClusterResyncSkipsWhatItCannotRead(t *testing.T) {
	rs := startRedis(t)
	ctx := context.Background()
	c := rs.client()
	c.Set(ctx, redisVersionKey, 100, 0)
	good := func(service, id, addr string) string {
		b, _ := json.Marshal(redisValue{V: 1, Instance: &Instance{Service: service, ID: id, Address: addr}})
		return string(b)
	}
	// a value with a version ahead of the counter would hold off every
	// later write of its instance
	forged, _ := json.Marshal(redisValue{V: 1 << 60, Instance: &Instance{Service: "svc", ID: "forged", Address: "10.9.9.9:80"}})
	c.Set(ctx, redisInstancePrefix+"svc/forged", forged, 0)
	c.HSet(ctx, redisInstancePrefix+"svc/hash", "x", "1")
	c.Set(ctx, redisInstancePrefix+"svc/big", strings.Repeat("x", 600<<10), 0)
	c.Set(ctx, redisInstancePrefix+"svc/garbage", "{not json", 0)
	c.Set(ctx, redisInstancePrefix+"svc/mismatch", good("payments", "evil", "10.6.6.6:80"), 0)
	c.Set(ctx, redisInstancePrefix+"svc/metadata", good("svc", "metadata", "169.254.169.254:80"), 0)
	c.Set(ctx, redisInstancePrefix+"svc/ok", good("svc", "ok", "10.0.0.1:80"), 0)
	for i := range 30 {
		c.Set(ctx, redisInstancePrefix+fmt.Sprintf("flood/%d", i), good("flood", fmt.Sprint(i), fmt.Sprintf("10.1.0.%d:80", i+1)), 0)
	}
	r := newRegistry(systemClock{}, zap.NewNop())
	h, err := (&RedisConfig{URL: rs.url(), Timeout: caddy.Duration(time.Second)}).connect()
	if err != nil {
		t.Fatal(err)
	}
	remote := newRedisRegistry(r, h, 100*time.Millisecond, zap.NewNop())
	s := testSettings
	s.maxPerService = 10
	owner := new(ServiceRegistry)
	r.attach(owner, s, nil, remote, zap.NewNop())
	t.Cleanup(func() { r.detach(owner); h.release() })
	<-remote.ready

	if got := r.dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
		t.Fatalf("svc: %v, want only the good entry", got)
	}
	if _, ok := r.Instances("payments"); ok {
		t.Fatal("a value naming another service than its key was accepted")
	}
	if got, _ := r.Instances("flood"); len(got) != 10 {
		t.Fatalf("flood: %d instances; the cap per service is 10", len(got))
	}
	if remote.isDown() {
		t.Fatal("bad keys made Redis look unreachable")
	}
	// deleting in Redis is followed, not written back
	c.Del(ctx, redisInstancePrefix+"svc/ok")
	eventually(t, 5*time.Second, "the resync did not follow a deletion", sees(r, "svc"))
	if n := c.Exists(ctx, redisInstancePrefix+"svc/ok").Val(); n != 0 {
		t.Fatal("a deleted instance was written back")
	}
}

// TestClusterForgedDeleteIsUndone: a delete event published by someone
// else than a gateway (with a made-up version) takes the instance out
// until the next resync, which puts back what Redis holds.
func TestClusterForgedDeleteIsUndone(t *testing.T) {
	rs := startRedis(t)
	a := clusterMember(t, rs, 200*time.Millisecond)
	if _, _, err := a.Register(Registration{Service: "svc", ID: "x", Address: "10.0.0.1:80"}); err != nil {
		t.Fatal(err)
	}
	forged, _ := json.Marshal(registryEvent{V: 1 << 60, Origin: "attacker", Op: "del", Service: "svc", IDs: []string{"x"}})
	if err := rs.client().Publish(context.Background(), redisEventsChannel, forged).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the forged deletion was not applied at all (the test sees nothing)", sees(a, "svc"))
	eventually(t, 5*time.Second, "a resync did not undo a forged deletion", sees(a, "svc", "10.0.0.1:80"))
}
