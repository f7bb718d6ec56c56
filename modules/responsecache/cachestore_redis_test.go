package responsecache

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/httpcache"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

func sharedEntryFor(url, body string, h http.Header) *httpcache.Entry {
	e := httpcache.NewEntry(200, h, []byte(body), time.Now(), time.Now())
	e.Lifetime, e.Retain, e.URL = time.Minute, time.Minute, url
	return e
}

// TestCacheSharedThroughRedis runs two stores on one Redis, as two
// gateways would: what one stores the other finds, a purge or an
// invalidation on either reaches both, and a Redis that is gone costs a
// lookup nothing but a miss.
func TestCacheSharedThroughRedis(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	newStore := func() *cacheStore {
		s, err := newCacheStore(1<<20, &caddykit.RedisConfig{URL: rs.URL()}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Destruct() })
		return s
	}
	a, b := newStore(), newStore()
	ctx := context.Background()
	const url = "http://example.com/a"
	key := url + "\x00"
	a.put(key, sharedEntryFor(url, "from a", http.Header{"Cache-Tag": {"t1"}}))
	testenv.Eventually(t, 5*time.Second, "b finds what a stored", func() bool {
		e, _ := b.lookup(ctx, key, http.Header{})
		return e != nil && string(e.Body) == "from a"
	})
	if e := b.mem.Lookup(key, http.Header{}); e == nil || e.URL != url || e.Lifetime != time.Minute || len(e.Tags) != 1 {
		t.Fatalf("the shared entry in b's memory: %+v", e)
	}

	// an invalidation on b (an unsafe method) reaches a's memory and Redis
	b.invalidate(url)
	testenv.Eventually(t, 5*time.Second, "a drops the invalidated URL", func() bool {
		return a.mem.Lookup(key, http.Header{}) == nil
	})
	testenv.Eventually(t, 5*time.Second, "Redis drops it", func() bool {
		return len(rs.Keys(RedisPrefix+"e:*")) == 0
	})

	// a purge by tag through the admin path (purgeNow) reaches both
	a.put(key, sharedEntryFor(url, "again", http.Header{"Cache-Tag": {"t2"}}))
	testenv.Eventually(t, 5*time.Second, "b finds the new entry", func() bool {
		e, _ := b.lookup(ctx, key, http.Header{})
		return e != nil && string(e.Body) == "again"
	})
	if _, err := a.shared.purgeNow(ctx, purgeTag, "t2", []byte(`{"kind":"tag","arg":"t2"}`)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, "both drop the tagged entry", func() bool {
		return a.mem.Lookup(key, http.Header{}) == nil && b.mem.Lookup(key, http.Header{}) == nil
	})
	if e, _ := b.lookup(ctx, key, http.Header{}); e != nil {
		t.Fatal("the purged entry came back from Redis")
	}

	// Redis gone: a lookup is a plain miss, quickly
	a.put("other\x00", sharedEntryFor("http://example.com/o", "local", nil))
	rs.Stop()
	start := time.Now()
	if e, _ := b.lookup(ctx, "missing\x00", http.Header{}); e != nil {
		t.Fatal("found something in a Redis that is down")
	}
	if e, _ := a.lookup(ctx, "other\x00", http.Header{}); e == nil || string(e.Body) != "local" {
		t.Fatal("the local entry must still answer while Redis is down")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("lookups took %v with Redis down", d)
	}
}

// TestCacheSharedEntriesAreChecked feeds a store entries in Redis that it
// must not take: another key's (a hash collision or a forged value), an
// invalid status, garbage.
func TestCacheSharedEntriesAreChecked(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	s, err := newCacheStore(1<<20, &caddykit.RedisConfig{URL: rs.URL()}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destruct()
	key := "http://example.com/x\x00"
	c := rs.Client()
	ctx := context.Background()
	for i, v := range []string{
		`{"key":"http://example.com/other\u0000","url":"http://example.com/other","status":200,"header":{},"body":"b3RoZXI=","lifetime":60000000000}`,
		`{"key":"http://example.com/x\u0000","url":"http://example.com/x","status":99,"header":{},"lifetime":60000000000}`,
		`not json`,
	} {
		c.HSet(ctx, hashKey("e", key), string(rune('a'+i)), v)
	}
	if e, _ := s.lookup(ctx, key, http.Header{}); e != nil {
		t.Fatalf("took a bad shared entry: %+v", e)
	}
}

// TestCachePurgeWinsOverEarlierPublish: gateway a stores a response and
// its publish to Redis is held up (a's background writer is busy) while
// gateway b purges it, by URL, tag or everything. When a's publish finally
// runs it must not bring the purged response back: Redis and both
// gateways' memories hold nothing, and a response fetched after the purge
// is shared as before.
func TestCachePurgeWinsOverEarlierPublish(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	ctx := context.Background()
	for _, kind := range []purgeKind{purgeURL, purgeTag, purgeAll} {
		t.Run(string(kind), func(t *testing.T) {
			newStore := func() *cacheStore {
				s, err := newCacheStore(1<<20, &caddykit.RedisConfig{URL: rs.URL()}, zap.NewNop())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Destruct() })
				return s
			}
			a, b := newStore(), newStore()
			url := "http://example.com/" + string(kind)
			key, tag := url+"\x00", "tag-"+string(kind)
			arg := map[purgeKind]string{purgeURL: url, purgeTag: tag}[kind]

			held, release := make(chan struct{}), make(chan struct{})
			a.shared.enqueue(func(context.Context) { close(held); <-release })
			<-held
			a.put(key, sharedEntryFor(url, "fetched before the purge", http.Header{"Cache-Tag": {tag}}))
			time.Sleep(5 * time.Millisecond)

			// b purges, as the admin API does: its memory, then Redis and every gateway
			switch kind {
			case purgeURL:
				b.mem.InvalidateURL(arg)
			case purgeTag:
				b.mem.PurgeTag(arg)
			default:
				b.mem.PurgeAll()
			}
			msg, _ := json.Marshal(purgeMessage{Kind: kind, Arg: arg})
			if _, err := b.shared.purgeNow(ctx, kind, arg, msg); err != nil {
				t.Fatal(err)
			}
			close(release) // a's publish runs now, after the purge
			drained := make(chan struct{})
			a.shared.enqueue(func(context.Context) { close(drained) })
			<-drained
			testenv.Eventually(t, 5*time.Second, "a applies the purge", func() bool {
				return a.mem.Lookup(key, http.Header{}) == nil
			})
			time.Sleep(50 * time.Millisecond)
			if n := rs.Client().Exists(ctx, hashKey("e", key)).Val(); n != 0 {
				t.Fatal("the purged response landed in Redis after the purge")
			}
			if e, _ := b.lookup(ctx, key, http.Header{}); e != nil {
				t.Fatalf("b found the purged response: %q", e.Body)
			}
			if a.mem.Lookup(key, http.Header{}) != nil || b.mem.Lookup(key, http.Header{}) != nil {
				t.Fatal("a memory holds the purged response")
			}

			// fetched after the purge: shared as before
			a.put(key, sharedEntryFor(url, "fetched after", http.Header{"Cache-Tag": {tag}}))
			testenv.Eventually(t, 5*time.Second, "b finds what a stored after the purge", func() bool {
				e, _ := b.lookup(ctx, key, http.Header{})
				return e != nil && string(e.Body) == "fetched after"
			})
		})
	}
}

// TestCacheSharedReadersCompareGenerations: an entry in Redis from before
// the last purge of everything (read in the moment between that purge's
// raise of the generation and its sweep) is not taken; and what a gateway
// read from Redis before a purge it has applied since is not kept.
func TestCacheSharedReadersCompareGenerations(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	ctx := context.Background()
	newStore := func() *cacheStore {
		s, err := newCacheStore(1<<20, &caddykit.RedisConfig{URL: rs.URL()}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Destruct() })
		return s
	}
	a, b := newStore(), newStore()
	const url = "http://example.com/r"
	key := url + "\x00"
	a.put(key, sharedEntryFor(url, "old", nil))
	testenv.Eventually(t, 5*time.Second, "the entry reaches Redis", func() bool {
		return rs.Client().Exists(ctx, hashKey("e", key)).Val() == 1
	})
	// the raise of a purge of everything, its sweep not done yet
	if err := purgeAllScript.Run(ctx, rs.Client(), []string{genKey, genAllKey}).Err(); err != nil {
		t.Fatal(err)
	}
	if e, _ := b.lookup(ctx, key, http.Header{}); e != nil {
		t.Fatal("b took an entry from before a purge of everything")
	}

	// b reads an entry, then applies a purge before storing it: not kept
	c := newStore()
	c.put(key, sharedEntryFor(url, "new", nil))
	testenv.Eventually(t, 5*time.Second, "the new entry reaches Redis", func() bool {
		return rs.Client().Exists(ctx, hashKey("e", key)).Val() == 1
	})
	began := time.Now()
	b.mem.InvalidateURL(url)
	e := sharedEntryFor(url, "new", nil)
	if b.mem.PutSince(key, e, began) || b.mem.Lookup(key, http.Header{}) != nil {
		t.Fatal("b kept a response read from Redis before a purge it applied")
	}
}

// TestCacheRefusedPublishDropsLocalCopy: a gateway that missed a purge's
// message (pub/sub does not repeat it) learns of the purge when Redis
// refuses its publish, and drops its own copy.
func TestCacheRefusedPublishDropsLocalCopy(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	a, err := newCacheStore(1<<20, &caddykit.RedisConfig{URL: rs.URL()}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Destruct()
	const url = "http://example.com/m"
	key := url + "\x00"
	held, release := make(chan struct{}), make(chan struct{})
	a.shared.enqueue(func(context.Context) { close(held); <-release })
	<-held
	a.put(key, sharedEntryFor(url, "fetched before the purge", nil))
	time.Sleep(5 * time.Millisecond)
	// the purge as another gateway makes it, its message lost
	if err := purgeScopeScript.Run(context.Background(), rs.Client(),
		[]string{genKey, hashKey("gen:u", url), hashKey("u", url)}, 60000).Err(); err != nil {
		t.Fatal(err)
	}
	close(release)
	drained := make(chan struct{})
	a.shared.enqueue(func(context.Context) { close(drained) })
	<-drained
	if a.mem.Lookup(key, http.Header{}) != nil {
		t.Fatal("the gateway kept a response its publish learnt was purged")
	}
	if rs.Client().Exists(context.Background(), hashKey("e", key)).Val() != 0 {
		t.Fatal("the purged response landed in Redis")
	}
}

// TestCacheGenerationsKnownAtATime: the generation known at a time is the
// last one noted at or before it, never one noted later; nothing is known
// before the first note.
func TestCacheGenerationsKnownAtATime(t *testing.T) {
	var g generations
	before := time.Now()
	time.Sleep(time.Millisecond)
	g.observe(5)
	t5 := time.Now()
	time.Sleep(time.Millisecond)
	g.observe(3) // an older answer arriving late: no news
	g.observe(9)
	t9 := time.Now()
	if _, ok := g.at(before); ok {
		t.Fatal("a generation known before the first note")
	}
	if gen, ok := g.at(t5); !ok || gen != 5 {
		t.Fatalf("at t5: %d %v, want 5", gen, ok)
	}
	if gen, ok := g.at(t9); !ok || gen != 9 {
		t.Fatalf("at t9: %d %v, want 9", gen, ok)
	}
	for i := range 2 * maxGenerations {
		g.observe(int64(10 + i))
	}
	if len(g.obs) > maxGenerations {
		t.Fatalf("%d generations remembered", len(g.obs))
	}
	if _, ok := g.at(t5); ok {
		t.Fatal("a generation forgotten is still answered for")
	}
}

// TestCachePurgesAreNeverDropped: an invalidation reaches Redis and the
// other gateways even when the background queue is full (Redis slow) or
// Redis is down when it is made: it waits until Redis takes it. (The
// queue used to drop it, and the other gateway served the invalidated
// response until its TTL.)
func TestCachePurgesAreNeverDropped(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	ctx := context.Background()
	newStore := func() *cacheStore {
		s, err := newCacheStore(1<<20, &caddykit.RedisConfig{URL: rs.URL()}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Destruct() })
		return s
	}
	a, b := newStore(), newStore()
	drain := func(s *cacheStore) {
		done := make(chan struct{})
		s.shared.enqueue(func(context.Context) { close(done) })
		<-done
	}
	storeShared := func(url string) string {
		key := url + "\x00"
		a.put(key, sharedEntryFor(url, "old", http.Header{}))
		drain(a)
		if e, _ := b.lookup(ctx, key, http.Header{}); e == nil {
			t.Fatal("b did not find a's entry in Redis")
		}
		return key
	}
	gone := func(what, key string) {
		t.Helper()
		// the guarantee is "never dropped", not a time: on a loaded
		// machine under -race, Redis calls that time out put the store
		// in backoff and the purge is retried each second
		testenv.Eventually(t, 30*time.Second, what, func() bool {
			return rs.Client().Exists(ctx, hashKey("e", key)).Val() == 0 && b.mem.Lookup(key, http.Header{}) == nil
		})
	}

	// a full queue
	key := storeShared("http://example.com/full")
	held, release := make(chan struct{}), make(chan struct{})
	a.shared.enqueue(func(context.Context) { close(held); <-release })
	<-held
	for range sharedQueueLength + 1 {
		a.shared.enqueue(func(context.Context) {})
	}
	a.invalidate("http://example.com/full")
	close(release)
	gone("the invalidation made while the queue was full reaches Redis and b", key)

	// Redis down when the invalidation is made
	key = storeShared("http://example.com/down")
	rs.Stop()
	a.invalidate("http://example.com/down")
	time.Sleep(1500 * time.Millisecond) // a fails, and holds the purge
	rs.Start()
	gone("the invalidation made while Redis was down reaches it once it is back", key)
}

// TestCachePurgeRetriesDoNotSpin: a purge that cannot reach Redis is tried
// again a second later, once. Before, the failed purge was put back with a
// wake-up, so the worker tried again at once, in a loop, each time arming
// one more one-second timer: a Redis outage of a few seconds made
// hundreds of thousands of goroutines when the timers fired (the soak's
// Redis restarts grew a Caddy's resident set by a gigabyte).
func TestCachePurgeRetriesDoNotSpin(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	s, err := newCacheStore(1<<20, &caddykit.RedisConfig{URL: rs.URL()}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Destruct() })
	rs.Stop()
	base := runtime.NumGoroutine()
	s.invalidate("http://example.com/down")
	peak := base
	for deadline := time.Now().Add(2500 * time.Millisecond); time.Now().Before(deadline); {
		peak = max(peak, runtime.NumGoroutine())
		time.Sleep(5 * time.Millisecond)
	}
	if peak > base+20 {
		t.Errorf("a purge held while Redis is down: %d goroutines at the peak, %d before (the retry spins)", peak, base)
	}
	rs.Start()
}
