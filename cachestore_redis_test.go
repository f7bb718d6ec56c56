package gateway

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"

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
		s, err := newCacheStore(1<<20, rs.URL(), zap.NewNop())
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
		return len(rs.Keys(cacheRedisPrefix+"e:*")) == 0
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
	s, err := newCacheStore(1<<20, rs.URL(), zap.NewNop())
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
