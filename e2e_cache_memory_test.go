package gateway

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
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

// Hits written to clients that never read pin the stored body they are
// written from; when that entry then leaves the store (invalidated by an
// unsafe method, replaced by a no-cache refetch), the body stays in memory
// until the client is gone. Found by the sixth fresh attack: 60 rounds of
// store, stuck hit, POST grew the heap by 233 MiB through max_size 16MiB.
// Such bytes count against the in-flight half of max_size until the last
// writer is done, and a response to store when that half is spent passes
// through unkept: the heap stays within max_size plus half of it.
func TestE2ECacheSlowHitsOfDroppedEntriesStayBounded(t *testing.T) {
	testenv.SkipInShortMode(t, "holds 20 stalled readers of 6 MB hits per case")
	const size, rounds, maxSize = 6_000_000, 20, 16 << 20 // more than the kernel's socket buffers take
	body := strings.Repeat("h", size)
	for _, tc := range []struct {
		name string
		drop func(g *testGateway, client *http.Client, path string)
	}{
		{"invalidated by POST", func(g *testGateway, client *http.Client, path string) {
			fetchWith(t, client, "POST", g.url(path), nil)
		}},
		{"replaced by a no-cache refetch", func(g *testGateway, client *http.Client, path string) {
			fetchWith(t, client, "GET", g.url(path), http.Header{"Cache-Control": {"no-cache"}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet {
					io.WriteString(w, "done")
					return
				}
				w.Header().Set("Cache-Control", "max-age=600")
				w.Header().Set("Content-Length", strconv.Itoa(size))
				io.WriteString(w, body)
			})
			g := startGateway(t, "", cacheSite(o, "max_size 16MiB\n\t\tmax_item_size 8MiB"))
			client := &http.Client{Timeout: 30 * time.Second}
			defer client.CloseIdleConnections()
			const path = "/big"
			before := liveHeap()
			var stuck []net.Conn
			defer func() {
				for _, c := range stuck {
					c.Close()
				}
			}()
			hits := 0
			for range rounds {
				if a := fetch(t, client, g.url(path)); a.code != 200 || len(a.body) != size {
					t.Fatalf("GET: %d, %d bytes", a.code, len(a.body))
				}
				conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.httpPort))
				if err != nil {
					t.Fatal(err)
				}
				_ = conn.(*net.TCPConn).SetReadBuffer(4096)
				stuck = append(stuck, conn)
				fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, g.httpPort)
				head := make([]byte, 512)
				n, _ := io.ReadAtLeast(conn, head, 200)
				if strings.Contains(string(head[:n]), "; hit") {
					hits++
				}
				time.Sleep(50 * time.Millisecond) // the write blocks on the full window
				tc.drop(g, client, path)
			}
			client.CloseIdleConnections()
			grew := liveHeap() - before
			cs := responsecache.Stats()
			t.Logf("%d stuck clients (%d hits): heap grew %.1f MiB; stored %.1f MiB, in flight %.1f MiB",
				rounds, hits, float64(grew)/(1<<20), float64(cs.StoredBytes)/(1<<20), float64(cs.InflightBytes)/(1<<20))
			// the first stuck request at least is a hit (later ones find
			// nothing stored once the held bytes spend the in-flight half:
			// the responses passed through unkept)
			if hits == 0 {
				t.Fatal("none of the stuck requests was a hit: the case tests nothing")
			}
			if limit := int64(maxSize)*3/2 + 4<<20; grew > limit {
				t.Fatalf("heap grew %.1f MiB with %d clients not reading hits, over max_size plus half plus 4 MiB (%.1f MiB)",
					float64(grew)/(1<<20), rounds, float64(limit)/(1<<20))
			}
			if cs.InflightBytes > maxSize/2+size+1<<20 {
				t.Fatalf("%d bytes counted in flight, over max_size/2 and one response", cs.InflightBytes)
			}
			for _, c := range stuck {
				c.Close()
			}
			stuck = nil
			// once they are gone, nothing stays counted, and responses are
			// stored again
			testenv.Eventually(t, 5*time.Second, "the held bytes are given back", func() bool {
				return responsecache.Stats().InflightBytes == 0
			})
			fetch(t, client, g.url(path))
			if a := fetch(t, client, g.url(path)); !strings.Contains(a.header.Get("Cache-Status"), "hit") {
				t.Fatalf("after the clients left: Cache-Status %q, want a hit", a.header.Get("Cache-Status"))
			}
		})
	}
}
