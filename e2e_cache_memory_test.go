package gateway

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/modules/responsecache"
)

// liveHeap is the Go heap in use after garbage collection (twice, so
// sync.Pools are emptied too).
func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// processRSS is the process's resident set size once the Go runtime has
// returned what it can to the system (0 where /proc is not).
func processRSS() int64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestE2ECacheMemoryStaysWithinMaxSize floods a real Caddy's
// response_cache { max_size 4MiB } with cacheable responses for unique long
// URLs: 1000 of 20 KB (over the key bound: not stored) and 3000 of 6 KB
// (stored, and evicted as they stop fitting). Everything an entry keeps
// alive counts against max_size, so the Go heap (measured in this process,
// where Caddy runs, after GC) grows by at most 1.5 × max_size plus 2 MiB
// of slack for the server's own buffers and pools.
func TestE2ECacheMemoryStaysWithinMaxSize(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 4000 requests with long URLs")
	}
	const maxSize = 4 << 20
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Cache-Tag", "flood, t"+strconv.Itoa(len(r.URL.Path)%7))
		w.Header().Set("Vary", "Accept-Language")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	g := startGateway(t, "", cacheSite(o, "max_size 4MiB"))
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	long := func(n, i int) string { // a unique path of n bytes
		p := fmt.Sprintf("/flood/%d/", i)
		return p + strings.Repeat("x", n-len(p))
	}
	get := func(path string) answer {
		return fetchWith(t, client, "GET", g.url(path), http.Header{"Accept-Language": {"en"}})
	}
	mustStatus(t, get(long(6000, -1)), 200, "fwd=uri-miss; stored")
	client.CloseIdleConnections()

	heap0, rss0 := liveHeap(), processRSS()
	flood := func(n, size, from int) {
		var wg sync.WaitGroup
		next := make(chan int)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					if a := get(long(size, i)); a.code != 200 {
						t.Errorf("%d bytes #%d: %d", size, i, a.code)
					}
				}
			}()
		}
		for i := range n {
			next <- from + i
		}
		close(next)
		wg.Wait()
	}
	flood(1000, 20000, 0)
	flood(3000, 6000, 1000)
	client.CloseIdleConnections()
	heap1, rss1 := liveHeap(), processRSS()

	cs := responsecache.Stats()
	stored, keys := cs.StoredBytes, cs.Keys
	grown := heap1 - heap0
	t.Logf("heap grew %.1f MiB, RSS %.1f MiB; the store counts %.1f MiB in %d keys (max_size %d MiB)",
		float64(grown)/(1<<20), float64(rss1-rss0)/(1<<20), float64(stored)/(1<<20), keys, maxSize>>20)

	if limit := int64(maxSize)*3/2 + 2<<20; grown > limit {
		t.Fatalf("heap grew by %.1f MiB under max_size %d MiB (limit %.1f MiB)",
			float64(grown)/(1<<20), maxSize>>20, float64(limit)/(1<<20))
	}
	if stored > maxSize {
		t.Fatalf("the store counts %d bytes, over max_size", stored)
	}
	// the 6 KB URLs are stored (the flood did not just miss); one asked
	// for again and again is admitted (W-TinyLFU may turn a newcomer away
	// while the store is full) ...
	if keys < 100 {
		t.Fatalf("only %d keys stored", keys)
	}
	hit := false
	for range 10 {
		if a := get(long(6000, 3999)); strings.Contains(a.header.Get("Cache-Status"), "hit") {
			hit = true
			break
		}
	}
	if !hit {
		t.Fatal("a 6 KB URL asked for 10 times was never a hit")
	}
	// ... and a 20 KB one is not
	if a := get(long(20000, 5)); strings.Contains(a.header.Get("Cache-Status"), "hit") {
		t.Fatalf("a 20 KB URL was stored: %q", a.header.Get("Cache-Status"))
	}
	// and its Cache-Status does not claim it was
	if cs := get(long(20000, 6)).header.Get("Cache-Status"); strings.Contains(cs, "stored") {
		t.Fatalf("a 20 KB URL's Cache-Status says it was stored: %q", cs)
	}
}
