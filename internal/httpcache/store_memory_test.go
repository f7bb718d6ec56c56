package httpcache

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestStoreWeightCountsKeyAndURL: an entry under a long key weighs its key
// and URL, not just its body and header fields.
func TestStoreWeightCountsKeyAndURL(t *testing.T) {
	weigh := func(url string) uint64 {
		s := NewStore(64<<20, nil)
		defer s.Close()
		s.Put(url+"\x00", entry(url, "body", hdr("Vary", "Accept-Language"), hdr("Accept-Language", "en")))
		s.c.CleanUp()
		b, _ := s.Stats()
		return b
	}
	short, long := weigh("http://example.com/a"), weigh("http://example.com/a"+strings.Repeat("x", 6000))
	if long < short+6000 {
		t.Fatalf("a key and URL 6000 bytes longer weigh %d bytes, against %d: they are not counted", long, short)
	}
	// the URL shares the key's bytes, so it is not counted twice
	if long > short+2*6000 {
		t.Fatalf("a key and URL 6000 bytes longer weigh %d bytes more", long-short)
	}
}

// TestStoreRefusesLongKeys: a key or URL over MaxKeyBytes is not stored,
// and the refusal is counted.
func TestStoreRefusesLongKeys(t *testing.T) {
	s := NewStore(64<<20, nil)
	defer s.Close()
	long := "http://example.com/" + strings.Repeat("x", MaxKeyBytes)
	if s.Put(long+"\x00", entry(long, "b", nil, nil)) {
		t.Fatal("Put took a key over MaxKeyBytes")
	}
	if s.Put("short", entry(long, "b", nil, nil)) {
		t.Fatal("Put took a URL over MaxKeyBytes")
	}
	if s.Lookup(long+"\x00", nil) != nil || s.Lookup("short", nil) != nil {
		t.Fatal("a long key or URL was stored")
	}
	if n, _ := s.Refused(); n != 2 {
		t.Fatalf("Refused counts %d long keys, want 2", n)
	}
	ok := "http://example.com/" + strings.Repeat("x", MaxKeyBytes-64)
	if !s.Put(ok+"\x00", entry(ok, "b", nil, nil)) || s.Lookup(ok+"\x00", nil) == nil {
		t.Fatal("a key under the bound must be stored")
	}
}

// TestStoreWeightCoversMemory stores 2000 keys of several shapes in a store
// they fit in: the heap grows by no more than the store counts.
func TestStoreWeightCoversMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	shapes := map[string]func(i int) (string, *Entry){
		"small": func(i int) (string, *Entry) {
			return fmt.Sprint("k", i), entry(fmt.Sprint("u", i), "x", nil, nil)
		},
		"long URL, tags, vary": func(i int) (string, *Entry) {
			url := fmt.Sprintf("http://example.com/%d/%s", i, strings.Repeat("p", 3000))
			h := hdr("Vary", "Accept-Language")
			h.Set("Cache-Tag", fmt.Sprintf("all, t%d, group%d", i, i%10))
			h.Set("Content-Type", "application/json")
			return url + "\x00" + strings.Repeat("q", 100), entry(url, `{"ok":true}`, h, hdr("Accept-Language", "en-GB,en;q=0.9"))
		},
		"variants": func(i int) (string, *Entry) {
			url := fmt.Sprintf("http://example.com/%d", i/8)
			h := hdr("Vary", "X-V")
			return url + "\x00", entry(url, "v", h, hdr("X-V", fmt.Sprint(i%8)))
		},
	}
	for name, mk := range shapes {
		t.Run(name, func(t *testing.T) {
			heap0 := liveHeap()
			s := NewStore(1<<30, nil)
			defer s.Close()
			for i := range 2000 {
				// only the store holds the entry and its key afterwards
				if k, e := mk(i); !s.Put(k, e) {
					t.Fatal("refused")
				}
			}
			s.c.CleanUp()
			grown := liveHeap() - heap0
			stored, count := s.Stats()
			t.Logf("%d keys: heap grew %d bytes, the store counts %d (%.2fx)", count, grown, stored, float64(stored)/float64(grown))
			if grown > int64(stored) {
				t.Fatalf("the heap grew by %d bytes, more than the %d the store counts", grown, stored)
			}
			runtime.KeepAlive(s)
		})
	}
}

// TestStoreIndexesFollowReplacement: a key stored again with another URL
// and other tags is listed under those only; one stored again over an
// expired value stays listed; an evicted one is not.
func TestStoreIndexesFollowReplacement(t *testing.T) {
	s := NewStore(1<<20, nil)
	defer s.Close()
	s.Put("k", entry("u1", "a", hdr("Cache-Tag", "a, b"), nil))
	s.Put("k", entry("u2", "b", hdr("Cache-Tag", "b, c"), nil))
	if n := s.InvalidateURL("u1"); n != 0 {
		t.Fatalf("the old URL still lists the key (%d)", n)
	}
	if n := s.PurgeTag("a"); n != 0 {
		t.Fatalf("the old tag still lists the key (%d)", n)
	}
	s.mu.Lock()
	urls, tags := len(s.byURL), len(s.byTag)
	s.mu.Unlock()
	if urls != 1 || tags != 2 {
		t.Fatalf("indexes hold %d URLs and %d tags, want 1 and 2", urls, tags)
	}
	if n := s.PurgeTag("b"); n != 1 || s.Lookup("k", nil) != nil {
		t.Fatalf("PurgeTag b: %d", n)
	}

	// stored again once expired (after its 1 s floor): still purgeable
	e := entry("u3", "old", hdr("Cache-Tag", "d"), nil)
	e.Lifetime = 0
	s.Put("x", e)
	time.Sleep(1200 * time.Millisecond)
	s.Put("x", entry("u3", "new", hdr("Cache-Tag", "d"), nil))
	if s.Lookup("x", nil) == nil {
		t.Fatal("the new value is not stored")
	}
	if n := s.InvalidateURL("u3"); n != 1 || s.Lookup("x", nil) != nil {
		t.Fatalf("InvalidateURL of a key stored over its expired value dropped %d keys", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byURL) != 0 || len(s.byTag) != 0 {
		t.Fatalf("indexes not emptied: %v %v", s.byURL, s.byTag)
	}
}

// TestStorePurgeWinsOverEarlierPut: a response whose fetch began before a
// purge (of everything, its URL or its tag) is not stored after it; one
// whose fetch began after is.
func TestStorePurgeWinsOverEarlierPut(t *testing.T) {
	purges := map[string]func(s *Store){
		"all": func(s *Store) { s.PurgeAll() },
		"url": func(s *Store) { s.InvalidateURL("u") },
		"tag": func(s *Store) { s.PurgeTag("t") },
	}
	for name, purge := range purges {
		t.Run(name, func(t *testing.T) {
			s := NewStore(1<<20, nil)
			defer s.Close()
			early := entry("u", "early", hdr("Cache-Tag", "t"), nil) // its fetch began now
			time.Sleep(time.Millisecond)
			purge(s)
			time.Sleep(time.Millisecond)
			s.Put("k", early)
			if e := s.Lookup("k", nil); e != nil {
				t.Fatalf("a response fetched before the purge was stored after it: %q", e.Body)
			}
			if _, n := s.Refused(); n != 1 {
				t.Fatalf("Refused counts %d purged, want 1", n)
			}
			if !s.Put("k", entry("u", "late", hdr("Cache-Tag", "t"), nil)) || s.Lookup("k", nil) == nil {
				t.Fatal("a response fetched after the purge must be stored")
			}
			// other URLs and tags are not held back by a purge of one
			if name != "all" && !s.Put("k2", entry("u2", "other", hdr("Cache-Tag", "t2"), nil)) {
				t.Fatal("a purge of one URL or tag held back another")
			}
		})
	}
}

// TestStorePurgeWinsOverConcurrentPut races puts of responses fetched
// before a purge against the purge: none is left stored.
func TestStorePurgeWinsOverConcurrentPut(t *testing.T) {
	s := NewStore(1<<20, nil)
	defer s.Close()
	for round := range 300 {
		key := fmt.Sprint("k", round)
		e := entry("u", "x", hdr("Cache-Tag", "t"), nil)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.Put(key, e) }()
		go func() {
			defer wg.Done()
			switch round % 3 {
			case 0:
				s.PurgeAll()
			case 1:
				s.InvalidateURL("u")
			default:
				s.PurgeTag("t")
			}
		}()
		wg.Wait()
		if s.Lookup(key, http.Header{}) != nil {
			t.Fatalf("round %d: a response fetched before a concurrent purge survived it", round)
		}
	}
}

// TestStorePurgeTimesAreBounded: the purge times of URLs and tags are
// bounded; those folded away still hold back every fetch that began before
// them.
func TestStorePurgeTimesAreBounded(t *testing.T) {
	s := NewStore(1<<20, nil)
	defer s.Close()
	early := entry("other", "x", nil, nil)
	time.Sleep(time.Millisecond)
	for i := range purgeScopes + 10 {
		s.InvalidateURL(fmt.Sprint("u", i))
	}
	s.mu.Lock()
	n := len(s.purged.url)
	s.mu.Unlock()
	if n > purgeScopes {
		t.Fatalf("%d URL purge times remembered", n)
	}
	if s.Put("k", early) {
		t.Fatal("a fetch older than folded purges was stored")
	}
	time.Sleep(time.Millisecond)
	if !s.Put("k", entry("other", "y", nil, nil)) {
		t.Fatal("a fetch after the purges must be stored")
	}
}
