package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"go.uber.org/zap"
)

// putEvent is another gateway's put event; an instance without a weight
// gets the default, as in any value a gateway writes.
func putEvent(t *testing.T, v int64, inst Instance) string {
	t.Helper()
	if inst.Weight == 0 {
		inst.Weight = DefaultWeight
	}
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
	cs := newClusterSync(r, nil, time.Hour, zap.NewNop())
	a := Instance{Service: "svc", ID: "x", Address: "10.0.0.1:80"}
	b := Instance{Service: "svc", ID: "x", Address: "10.0.0.2:80"}

	cs.apply(putEvent(t, 5, b))
	cs.apply(putEvent(t, 4, a)) // older, arriving late
	if got := r.Dials("svc"); !slices.Equal(got, []string{"10.0.0.2:80"}) {
		t.Fatalf("an older put overwrote a newer one: %v", got)
	}
	cs.apply(delEvent(t, 7, "svc", "x"))
	cs.apply(putEvent(t, 6, a)) // written before the deletion
	if got := r.Dials("svc"); len(got) != 0 {
		t.Fatalf("a put older than a deletion brought the instance back: %v", got)
	}
	cs.apply(putEvent(t, 8, a))
	if got := r.Dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
		t.Fatalf("a put newer than the deletion was dropped: %v", got)
	}
	// a deletion older than the entry leaves it
	cs.apply(delEvent(t, 2, "svc", "x"))
	if got := r.Dials("svc"); len(got) != 1 {
		t.Fatalf("an old deletion removed a newer entry: %v", got)
	}
	// a change of weight or metadata from another gateway changes the route
	r.IndexMetadata()
	drained := Instance{Service: "svc", ID: "x", Address: "10.0.0.1:80", Weight: 0}
	cs.apply(putEvent(t, 9, Instance{Service: "svc", ID: "x", Address: "10.0.0.1:80", Weight: 3, Metadata: map[string]string{"v": "2"}}))
	if rt := r.Route("svc"); rt == nil || rt.Weight("10.0.0.1:80") != 3 || rt.CountMatching([]Constraint{{Key: "v", Values: []string{"2"}}}) != 1 {
		t.Fatalf("a weight or metadata change from another gateway did not reach the route")
	}
	ev, _ := json.Marshal(registryEvent{V: 10, Origin: "peer", Op: "put", Instance: &drained})
	cs.apply(string(ev))
	if got := r.Dials("svc"); len(got) != 0 {
		t.Fatalf("another gateway drained the instance, this one still routes to it: %v", got)
	}
	// an event whose key and value disagree, or with a refused address, is ignored
	cs.apply(putEvent(t, 9, Instance{Service: "svc", ID: "y", Address: "169.254.169.254:80"}))
	if _, ok := r.Instance("svc", "y"); ok {
		t.Fatal("a link-local address from Redis was accepted")
	}
}

// TestClusterConcurrentWritesConverge: two gateways write the same
// instance with different addresses at once, many times; once the events
// have arrived, both route to what Redis holds (no resync: it is an hour
// away).
func TestClusterConcurrentWritesConverge(t *testing.T) {
	rs := testenv.StartRedis(t)
	a, b := clusterMember(t, rs, time.Hour), clusterMember(t, rs, time.Hour)
	c := rs.Client()
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
		testenv.Eventually(t, 5*time.Second, fmt.Sprintf("round %d: gateways disagree with Redis (%s)", round, inst.Address), func() bool {
			return slices.Equal(a.Dials("svc"), want) && slices.Equal(b.Dials("svc"), want)
		})
	}
}

// TestClusterOutageKeepsLeases: while Redis is unreachable, no lease runs
// out (no service can renew); when it is back, the gateways write their
// instances back with fresh leases and nothing acknowledged is lost.
func TestClusterOutageKeepsLeases(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	a, b := clusterMember(t, rs, 200*time.Millisecond), clusterMember(t, rs, 200*time.Millisecond)
	if _, _, err := a.Register(Registration{Service: "svc", ID: "one", Address: "10.0.0.1:80", TTL: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "B did not see the registration", sees(b, "svc", "10.0.0.1:80"))
	rs.Stop()
	testenv.Eventually(t, 5*time.Second, "the gateways did not notice the outage", func() bool {
		return a.remote.isDown() && b.remote.isDown()
	})
	time.Sleep(3 * time.Second) // longer than the lease
	for name, g := range map[string]*Registry{"A": a, "B": b} {
		if got := g.Dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
			t.Fatalf("%s expired a lease while Redis was down: %v", name, got)
		}
	}
	rs.Start() // empty
	testenv.Eventually(t, 10*time.Second, "the instance was not written back", func() bool {
		return len(rs.Keys(redisInstancePrefix+"*")) == 1
	})
	if ttl := rs.Client().PTTL(context.Background(), redisInstanceKey("svc", "one")).Val(); ttl < time.Second {
		t.Fatalf("written back with a lease of %v; want a fresh one (2s)", ttl)
	}
	testenv.Eventually(t, 10*time.Second, "the gateways did not leave the outage", func() bool {
		return !a.remote.isDown() && !b.remote.isDown()
	})
	// leases run again: without a renewal the instance goes everywhere
	testenv.Eventually(t, 10*time.Second, "the lease did not run out after the outage", func() bool {
		return len(a.Dials("svc")) == 0 && len(b.Dials("svc")) == 0
	})
}

// TestClusterRedisFailsFast: once a call found Redis down, the next ones
// do not wait for it.
func TestClusterRedisFailsFast(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	h := testConn(t, rs, 200*time.Millisecond)
	rs.Stop()
	cs := newClusterSync(nil, h, time.Hour, zap.NewNop())
	if _, err := cs.put(Instance{Service: "s", ID: "i", Address: "10.0.0.1:80"}); err == nil {
		t.Fatal("a write to a stopped Redis succeeded")
	}
	if _, err := cs.put(Instance{Service: "s", ID: "i", Address: "10.0.0.1:80"}); !errors.Is(err, redisconn.ErrBackoff) {
		t.Fatalf("the second write went to a Redis known to be down: %v", err)
	}
}

// TestClusterResyncSkipsWhatItCannotRead: no key under the registry's
// prefix can stop the resync: other types, over-long values, values whose
// key disagrees, refused addresses and injections over the caps are
// skipped, and everything else is synced.
func TestClusterResyncSkipsWhatItCannotRead(t *testing.T) {
	rs := testenv.StartRedis(t)
	ctx := context.Background()
	c := rs.Client()
	c.Set(ctx, redisVersionKey, 100, 0)
	good := func(service, id, addr string) string {
		b, _ := json.Marshal(redisValue{V: 1, Instance: &Instance{Service: service, ID: id, Address: addr, Weight: DefaultWeight}})
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
	remote := newClusterSync(r, testConn(t, rs, time.Second), 100*time.Millisecond, zap.NewNop())
	s := testSettings
	s.MaxPerService = 10
	owner := new(int)
	r.attach(owner, s, nil, remote, zap.NewNop())
	t.Cleanup(func() { r.detach(owner) })
	<-remote.ready

	if got := r.Dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
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
	testenv.Eventually(t, 5*time.Second, "the resync did not follow a deletion", sees(r, "svc"))
	if n := c.Exists(ctx, redisInstancePrefix+"svc/ok").Val(); n != 0 {
		t.Fatal("a deleted instance was written back")
	}
}

// TestClusterForgedDeleteIsUndone: a delete event published by someone
// else than a gateway (with a made-up version) takes the instance out
// until the next resync, which puts back what Redis holds.
func TestClusterForgedDeleteIsUndone(t *testing.T) {
	rs := testenv.StartRedis(t)
	a := clusterMember(t, rs, 200*time.Millisecond)
	if _, _, err := a.Register(Registration{Service: "svc", ID: "x", Address: "10.0.0.1:80"}); err != nil {
		t.Fatal(err)
	}
	forged, _ := json.Marshal(registryEvent{V: 1 << 60, Origin: "attacker", Op: "del", Service: "svc", IDs: []string{"x"}})
	if err := rs.Client().Publish(context.Background(), redisEventsChannel, forged).Err(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "the forged deletion was not applied at all (the test sees nothing)", sees(a, "svc"))
	testenv.Eventually(t, 5*time.Second, "a resync did not undo a forged deletion", sees(a, "svc", "10.0.0.1:80"))
}

// TestClusterResyncAppliesInChunks: a resync larger than a chunk lets
// registrations in between its chunks, and ends as if applied at once: what
// the snapshot holds is there, what was local before it and is missing
// from it is gone, and a registration made during it stays.
func TestClusterResyncAppliesInChunks(t *testing.T) {
	r, _ := newTestRegistry()
	r.settings.MaxInstances, r.settings.MaxPerService = 10000, 1000
	cs := newClusterSync(r, nil, time.Hour, zap.NewNop())
	mustRegister(t, r, Registration{Service: "old", Address: "10.9.0.1:80"}) // not in the snapshot
	snap := redisSnapshot{version: 1, seq: r.changeSeq()}
	const n = applyChunk*3 + 17
	for i := range n {
		inst := Instance{Service: fmt.Sprintf("svc%03d", i%300), ID: fmt.Sprintf("i%04d", i), Address: fmt.Sprintf("10.0.%d.%d:80", i/250, i%250+1), Weight: DefaultWeight}
		snap.instances = append(snap.instances, remoteInstance{key: redisInstanceKey(inst.Service, inst.ID), inst: inst, version: 1})
	}
	chunks := 0
	applyChunkHook = func() {
		chunks++
		// would deadlock if the resync held the lock across chunks
		mustRegister(t, r, Registration{Service: "during", ID: fmt.Sprintf("d%d", chunks), Address: "10.9.0.2:80"})
	}
	t.Cleanup(func() { applyChunkHook = nil })
	r.applyRemote(snap.instances, &snap, cs)
	applyChunkHook = nil

	if chunks != 4 {
		t.Fatalf("%d chunks for %d entries, want 4", chunks, n)
	}
	if _, ok := r.Instance("old", "10.9.0.1:80"); ok {
		t.Error("a local instance missing from the snapshot survived the resync")
	}
	if got, _ := r.Instances("during"); len(got) != chunks {
		t.Errorf("%d of the %d registrations made during the resync survived it", len(got), chunks)
	}
	if r.Len() != n+chunks {
		t.Errorf("registry holds %d, want %d", r.Len(), n+chunks)
	}
	if got := r.Dials("svc007"); len(got) != len(slices.DeleteFunc(slices.Clone(snap.instances), func(ri remoteInstance) bool { return ri.inst.Service != "svc007" })) {
		t.Errorf("svc007 routes %d instances", len(got))
	}
}

// TestClusterLeasesHeldFromTheFirstSecondOfAnOutage: Redis stops between
// two resyncs, and no call to it fails before a lease runs out. The lease
// must not run out: the gateway asks Redis first, finds it unreachable and
// holds every lease until it is back. Once it is, the instance (never
// renewed) is written back and runs out one ttl later, plus the grace:
// the outage's resync interval, for noticing that Redis is back.
func TestClusterLeasesHeldFromTheFirstSecondOfAnOutage(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	a, b := clusterMember(t, rs, time.Hour), clusterMember(t, rs, time.Hour)
	const ttl = time.Second
	if _, _, err := a.Register(Registration{Service: "svc", ID: "one", Address: "10.0.0.1:80", TTL: ttl}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "B did not see the registration", sees(b, "svc", "10.0.0.1:80"))
	rs.Stop()
	time.Sleep(ttl + 1500*time.Millisecond) // the lease has run out, the next resync is an hour away
	for name, g := range map[string]*Registry{"A": a, "B": b} {
		if got := g.Dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
			t.Fatalf("%s expired a lease while Redis was down, before anything had told it so: %v", name, got)
		}
		if !g.remote.isDown() {
			t.Fatalf("%s holds the lease but does not know Redis is down", name)
		}
	}

	rs.Start() // empty
	back := time.Now()
	testenv.Eventually(t, 5*time.Second, "the instance was not written back", func() bool {
		return len(rs.Keys(redisInstancePrefix+"*")) == 1
	})
	for name, g := range map[string]*Registry{"A": a, "B": b} {
		if got := g.Dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
			t.Fatalf("%s lost the instance when Redis came back: %v", name, got)
		}
	}
	// never renewed: it runs out within ttl + grace of Redis's return
	grace := outageResyncInterval + 500*time.Millisecond
	testenv.Eventually(t, ttl+grace+2*time.Second, "the lease did not run out after Redis came back", func() bool {
		return len(a.Dials("svc")) == 0 && len(b.Dials("svc")) == 0
	})
	if took := time.Since(back); took > ttl+grace {
		t.Fatalf("the lease ran out %v after Redis came back; want at most its ttl (%v) + %v", took, ttl, grace)
	}
}

// TestClusterExpiryChecksRedisOncePerBatch: leases running out one after
// another cost one PING per expiryCheckGap at most, not one each, and all
// of them still run out while Redis is up.
func TestClusterExpiryChecksRedisOncePerBatch(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	a := clusterMember(t, rs, time.Hour)
	pings := func() int {
		info := rs.Client().Info(context.Background(), "commandstats").Val()
		for line := range strings.SplitSeq(info, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_ping:calls="); ok {
				n, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
				return n
			}
		}
		return 0
	}
	const n = 40
	before := pings()
	start := time.Now()
	for i := range n {
		if _, _, err := a.Register(Registration{Service: "svc", ID: fmt.Sprint("i", i), Address: fmt.Sprintf("10.0.0.%d:80", i+1), TTL: time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	spread := time.Since(start)
	testenv.Eventually(t, 5*time.Second, "the leases did not run out with Redis up", sees(a, "svc"))
	// one per gap over the spread of the expiries, one more, and the
	// subscription's own health check
	got, most := pings()-before, int(spread/expiryCheckGap)+3
	t.Logf("%d leases running out over %v cost %d PINGs", n, spread, got)
	if got > most {
		t.Fatalf("%d leases running out over %v cost %d PINGs; want at most %d", n, spread, got, most)
	}
}

// TestClusterReloadDuringAnOutageKeepsLeases: a config reload attaches a
// new sync while Redis is down, before any call has failed; the new sync
// knows nothing yet, and must still hold the leases.
func TestClusterReloadDuringAnOutageKeepsLeases(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	a := clusterMember(t, rs, time.Hour)
	if _, _, err := a.Register(Registration{Service: "svc", ID: "one", Address: "10.0.0.1:80", TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	rs.Stop()
	owner := new(int)
	a.attach(owner, testSettings, nil, newClusterSync(a, testConn(t, rs, 200*time.Millisecond), time.Hour, zap.NewNop()), zap.NewNop())
	t.Cleanup(func() { a.detach(owner) })
	time.Sleep(2 * time.Second)
	if got := a.Dials("svc"); !slices.Equal(got, []string{"10.0.0.1:80"}) {
		t.Fatalf("a lease ran out during an outage after a reload: %v", got)
	}
	rs.Start()
	testenv.Eventually(t, 5*time.Second, "the instance was not written back after the reload", func() bool {
		return len(rs.Keys(redisInstancePrefix+"*")) == 1
	})
	testenv.Eventually(t, 5*time.Second, "the lease did not run out once Redis was back", sees(a, "svc"))
}
