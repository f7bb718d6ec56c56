package httpcache

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

func entry(url, body string, h http.Header, req http.Header) *Entry {
	if h == nil {
		h = http.Header{}
	}
	e := NewEntry(200, h, []byte(body), time.Now(), time.Now())
	e.Lifetime, e.URL = time.Hour, url
	e.VaryKey = VaryValues(req, e.VaryFields)
	return e
}

func TestStoreVariantsAndInvalidation(t *testing.T) {
	s := NewStore(1<<20, nil)
	defer s.Close()
	url := "http://example.com/a"
	en := hdr("Accept-Language", "en")
	fr := hdr("Accept-Language", "fr")
	s.Put(url+"\x00", entry(url, "en", hdr("Vary", "Accept-Language"), en))
	s.Put(url+"\x00", entry(url, "fr", hdr("Vary", "Accept-Language"), fr))
	s.Put(url+"\x00alice", entry(url, "alice", nil, nil))
	if e := s.Lookup(url+"\x00", en); e == nil || string(e.Body) != "en" {
		t.Fatalf("en variant: %v", e)
	}
	if e := s.Lookup(url+"\x00", fr); e == nil || string(e.Body) != "fr" {
		t.Fatalf("fr variant: %v", e)
	}
	if e, found := s.LookupKey(url+"\x00", hdr("Accept-Language", "de")); e != nil || !found {
		t.Fatalf("de: %v %v (want a vary miss)", e, found)
	}
	// a newer response for the same variant replaces it
	s.Put(url+"\x00", entry(url, "en2", hdr("Vary", "Accept-Language"), en))
	if e := s.Lookup(url+"\x00", en); string(e.Body) != "en2" || len(s.Variants(url+"\x00")) != 2 {
		t.Fatalf("replace: %q, %d variants", e.Body, len(s.Variants(url+"\x00")))
	}
	// invalidating the URL drops every caller's and variant
	if n := s.InvalidateURL(url); n != 2 {
		t.Fatalf("InvalidateURL dropped %d keys, want 2", n)
	}
	if s.Lookup(url+"\x00", en) != nil || s.Lookup(url+"\x00alice", nil) != nil {
		t.Fatal("entries left after InvalidateURL")
	}
}

func TestStoreVariantsAreBounded(t *testing.T) {
	s := NewStore(1<<20, nil)
	defer s.Close()
	for i := range MaxVariants + 5 {
		req := hdr("X-V", fmt.Sprint(i))
		s.Put("k", entry("u", fmt.Sprint(i), hdr("Vary", "X-V"), req))
	}
	if n := len(s.Variants("k")); n != MaxVariants {
		t.Fatalf("%d variants kept, want %d", n, MaxVariants)
	}
	if s.Lookup("k", hdr("X-V", "0")) != nil || s.Lookup("k", hdr("X-V", fmt.Sprint(MaxVariants+4))) == nil {
		t.Fatal("the oldest variant must go first")
	}
}

func TestStoreTags(t *testing.T) {
	s := NewStore(1<<20, nil)
	defer s.Close()
	s.Put("a", entry("ua", "a", hdr("Cache-Tag", "products, p1"), nil))
	s.Put("b", entry("ub", "b", hdr("Surrogate-Key", "products p2"), nil))
	s.Put("c", entry("uc", "c", nil, nil))
	if n := s.PurgeTag("p1"); n != 1 || s.Lookup("a", nil) != nil || s.Lookup("b", nil) == nil {
		t.Fatalf("PurgeTag p1: %d", n)
	}
	// a replaced entry without the tag is no longer purged by it
	s.Put("b", entry("ub", "b2", nil, nil))
	if n := s.PurgeTag("products"); n != 0 || s.Lookup("b", nil) == nil {
		t.Fatalf("PurgeTag products after the tag went away: %d", n)
	}
	if n := s.PurgeAll(); n < 2 {
		t.Fatalf("PurgeAll: %d", n)
	}
	s.c.CleanUp()
	if s.Lookup("b", nil) != nil || s.Lookup("c", nil) != nil {
		t.Fatal("entries left after PurgeAll")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byURL) != 0 || len(s.byTag) != 0 {
		t.Fatalf("indexes not emptied: %v %v", s.byURL, s.byTag)
	}
}

// TestStoreIsBoundedAndIndexesFollowEviction stores far more than fits:
// the stored bytes stay within the maximum, and the URL and tag indexes
// hold only keys still stored.
func TestStoreIsBoundedAndIndexesFollowEviction(t *testing.T) {
	const max = 256 << 10
	s := NewStore(max, nil)
	defer s.Close()
	body := string(make([]byte, 4<<10))
	for i := range 2000 {
		s.Put(fmt.Sprint("k", i), entry(fmt.Sprint("u", i), body, hdr("Cache-Tag", fmt.Sprint("t", i%7)), nil))
	}
	s.c.CleanUp()
	bytes, keys := s.Stats()
	if bytes > max {
		t.Fatalf("stored %d bytes, more than %d", bytes, max)
	}
	if keys == 0 || keys > max/(4<<10) {
		t.Fatalf("%d keys stored", keys)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byURL) != keys {
		t.Fatalf("URL index has %d URLs for %d keys", len(s.byURL), keys)
	}
	for tag, set := range s.byTag {
		for k := range set {
			if _, ok := s.c.GetIfPresent(k); !ok {
				t.Fatalf("tag %d lists %s, which is gone", tag, k)
			}
		}
	}
}

// TestStoreMemory puts 75 MiB of responses into a store of 8 MiB: the
// heap grows by well under 40 MiB (the goal for the process's RSS).
func TestStoreMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 75 MiB")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewStore(8<<20, nil)
	defer s.Close()
	for i := range 1200 { // 1200 × 64 KiB = 75 MiB
		s.Put(fmt.Sprint("k", i), entry(fmt.Sprint("u", i), string(make([]byte, 64<<10)), nil, nil))
	}
	s.c.CleanUp()
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	stored, _ := s.Stats()
	t.Logf("stored %d bytes; heap grew by %.1f MiB", stored, float64(grown)/(1<<20))
	if stored > 8<<20 {
		t.Fatalf("stored %d bytes, more than 8 MiB", stored)
	}
	if grown > 20<<20 {
		t.Fatalf("heap grew by %d MiB", grown>>20)
	}
}

func TestStoreRetention(t *testing.T) {
	now := time.Now()
	s := NewStore(1<<20, func() time.Time { return now })
	defer s.Close()
	e := entry("u", "x", nil, nil)
	e.Lifetime, e.Retain = 10*time.Second, time.Minute
	v := &variants{list: []*Entry{e}}
	if got := s.retention(v); got < 69*time.Second || got > 70*time.Second {
		t.Fatalf("retention = %v, want ~70s (freshness + retain)", got)
	}
	now = now.Add(2 * time.Hour)
	if got := s.retention(v); got != time.Second {
		t.Fatalf("retention of a long-stale entry = %v, want the 1s floor", got)
	}
}

func TestFlights(t *testing.T) {
	var g Flights
	f, leader := g.Join("k")
	if !leader {
		t.Fatal("the first must lead")
	}
	var wg sync.WaitGroup
	landed := make(chan bool, 5)
	for range 5 {
		w, lead := g.Join("k")
		if lead || w != f {
			t.Fatal("later ones must wait on the same flight")
		}
		wg.Add(1)
		go func() { defer wg.Done(); landed <- w.Wait(context.Background(), 5*time.Second) }()
	}
	if n := g.Land("k", f); n != 5 {
		t.Fatalf("Land counted %d waiters", n)
	}
	wg.Wait()
	close(landed)
	for ok := range landed {
		if !ok {
			t.Fatal("a waiter did not see the landing")
		}
	}
	if _, lead := g.Join("k"); !lead {
		t.Fatal("after landing, a new flight starts")
	}
	// a waiter gives up after its bound, and when its client goes away
	f2, _ := g.Join("slow")
	w, _ := g.Join("slow")
	if w.Wait(context.Background(), 20*time.Millisecond) {
		t.Fatal("a flight that never lands must time out")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if w.Wait(ctx, time.Hour) {
		t.Fatal("a cancelled waiter must stop waiting")
	}
	g.Land("slow", f2)
}

// An entry that leaves the store while a response is being written from
// it (a hit to a client that does not read) stays in memory: Held counts
// it until the last such response is written, whichever way it left, and
// only the entries that left (a replacement keeps the other variants).
func TestStoreHeldCountsServedEntriesThatLeft(t *testing.T) {
	big := string(make([]byte, 10000))
	for _, tc := range []struct {
		name  string
		leave func(s *Store, key, url string, e *Entry)
	}{
		{"invalidated", func(s *Store, _, url string, _ *Entry) { s.InvalidateURL(url) }},
		{"purged", func(s *Store, _, _ string, _ *Entry) { s.PurgeAll() }},
		{"replaced", func(s *Store, key, url string, _ *Entry) {
			s.Put(key, entry(url, "new", hdr("Vary", "Accept-Language"), hdr("Accept-Language", "en")))
		}},
		{"removed beside another variant", func(s *Store, key, _ string, e *Entry) { s.Remove(key, e) }},
		{"evicted", func(s *Store, key, _ string, _ *Entry) {
			// W-TinyLFU admits newcomers asked for more often than it
			for i := 0; i < 5000; i++ {
				if _, ok := s.c.GetEntryQuietly(key); !ok {
					return
				}
				u := fmt.Sprintf("http://example.com/flood/%d", i)
				s.Put(u, entry(u, big, nil, nil))
				for range 3 {
					s.Lookup(u, nil)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(200_000, nil)
			defer s.Close()
			url := "http://example.com/a"
			key := url + "\x00"
			en := entry(url, big, hdr("Vary", "Accept-Language"), hdr("Accept-Language", "en"))
			fr := entry(url, big, hdr("Vary", "Accept-Language"), hdr("Accept-Language", "fr"))
			s.Put(key, en)
			s.Put(key, fr)
			s.BeginServe(en)
			s.BeginServe(en)
			s.BeginServe(fr)
			s.EndServe(fr) // done before anything left: never counted
			if h := s.Held(); h != 0 {
				t.Fatalf("held %d while everything is stored", h)
			}
			tc.leave(s, key, url, en)
			if s.Lookup(key, hdr("Accept-Language", "en")) == en {
				t.Fatal("the entry did not leave")
			}
			if h := s.Held(); h != int64(en.Size()) {
				t.Fatalf("held %d after it left with two writers, want its size %d", h, en.Size())
			}
			s.EndServe(en)
			if h := s.Held(); h != int64(en.Size()) {
				t.Fatalf("held %d with one writer left, want %d", h, en.Size())
			}
			// a writer that found it just before it left counts it again
			// while it writes
			s.EndServe(en)
			s.BeginServe(en)
			if h := s.Held(); h != int64(en.Size()) {
				t.Fatalf("held %d for a writer that began after it left, want %d", h, en.Size())
			}
			s.EndServe(en)
			if h := s.Held(); h != 0 {
				t.Fatalf("held %d once every writer is done", h)
			}
		})
	}
}

// Serving a hit allocates nothing for the accounting.
func TestStoreServeAllocatesNothing(t *testing.T) {
	s := NewStore(1<<20, nil)
	defer s.Close()
	e := entry("u", "body", nil, nil)
	s.Put("k", e)
	if n := testing.AllocsPerRun(1000, func() { s.BeginServe(e); s.EndServe(e) }); n != 0 {
		t.Fatalf("%.1f allocations per hit", n)
	}
}
