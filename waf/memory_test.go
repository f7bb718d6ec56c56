package waf

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Character classes of the dear requests' random text: every printable
// class (most of it matches some rule; '%', '&', '+' and '\' left out, or
// the text reads as encoded and is refused at once over the decoding
// budget), and letters, digits and spaces (matching no rule: the request
// passes to the upstream).
const (
	everyClass = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$'()*,-./:;<=>?@[]^_`{|}~\t"
	plainText  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
	alphaNum   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// randomText is n bytes of random characters of the given classes: no two
// calls give the same text, so no cache (Coraza's, RE2's) is hit twice.
func randomText(rng *rand.Rand, n int, classes string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = classes[rng.IntN(len(classes))]
	}
	return string(b)
}

// oneRandomField is the largest body inspected, of random text: one JSON
// field of up to 14,000 characters, escaped to at most body_limit bytes.
func oneRandomField(rng *rand.Rand, classes string) request {
	text := randomText(rng, 14000, classes)
	body := fmt.Sprintf(`{"q":%q}`, text)
	for len(body) > defaultBodyLimit {
		text = text[:len(text)-200]
		body = fmt.Sprintf(`{"q":%q}`, text)
	}
	return request{"/api/items", body, ""}
}

// manyRandomArguments is the dearest request by arguments, of random
// text: 127 JSON fields of 100 characters (fewer bytes where escaping
// would take the body over body_limit), 64 query parameters and 64
// cookies of 12 letters and digits (255 arguments: the cap on all places
// together is 256, and a derived argument or two comes with the
// random text now and then). Most of its memory is Coraza's cache
// of transformed values, an entry per argument and transformation.
func manyRandomArguments(rng *rand.Rand, classes string) request {
	var body, query, cookie strings.Builder
	body.WriteString("{")
	for i := range defaultMaxArguments - 1 {
		if i > 0 {
			body.WriteString(",")
		}
		if i > 0 && i < defaultMaxArguments/2 {
			query.WriteString("&")
			cookie.WriteString("; ")
		}
		field := fmt.Sprintf(`"f%03d":%q`, i, randomText(rng, 100, classes))
		if body.Len()+len(field) > defaultBodyLimit-2 {
			field = fmt.Sprintf(`"f%03d":"x"`, i)
		}
		body.WriteString(field)
		if i < defaultMaxArguments/2 {
			fmt.Fprintf(&query, "q%d=%s", i, randomText(rng, 12, alphaNum))
			fmt.Fprintf(&cookie, "c%d=%s", i, randomText(rng, 12, alphaNum))
		}
	}
	body.WriteString("}")
	return request{"/api/items?" + query.String(), body.String(), cookie.String()}
}

// TestDearRequestsReleaseMemory: through a real Caddy, the dearest
// requests the default limits let through, of random text (nothing
// cached twice), keep nothing in Go's heap once answered, and a request
// passed to its upstream holds next to nothing of its inspection while
// the upstream answers. A fresh-eyes attack saw a Caddy's resident set
// rise from 118 to about 220 MB over some 110 such requests. Before the
// fix, each request passed to a slow upstream held Coraza's transaction,
// 21 MB of cached transformed values for the request of 381 random
// arguments, until the upstream had answered and the client had read it:
// six of them held 126 MB.
func TestDearRequestsReleaseMemory(t *testing.T) {
	var arrived atomic.Int32
	hold := make(chan struct{})
	base := startCaddyWith(t, "waf", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Hold") != "" {
			arrived.Add(1)
			<-hold
		}
	}))
	rng := rand.New(rand.NewPCG(29, 1))
	var mu sync.Mutex // rng
	client := &http.Client{Timeout: 120 * time.Second}
	send := func(r request, header string) int {
		req, _ := http.NewRequest("POST", base+r.path, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Mozilla/5.0 gateway-test")
		if r.cookie != "" {
			req.Header.Set("Cookie", r.cookie)
		}
		if header != "" {
			req.Header.Set("X-Hold", header)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	dear := func(i int) request {
		mu.Lock()
		defer mu.Unlock()
		switch i % 4 {
		case 0:
			return oneRandomField(rng, everyClass) // refused (403), inspected whole
		case 1:
			return manyRandomArguments(rng, everyClass) // refused (403)
		case 2:
			return oneRandomField(rng, plainText) // passed (200)
		default:
			return manyRandomArguments(rng, plainText) // passed (200)
		}
	}
	for i := range 4 { // every kind once: what is built once is built
		send(dear(i), "")
	}
	before := heapAfterGC()
	rssBefore, re2Before := residentKB()

	// the soak: dear requests of every kind from two clients
	n := 40
	if raceEnabled {
		n = 8
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	codes := map[int]int{}
	var wg sync.WaitGroup
	for c := range 2 {
		wg.Go(func() {
			for i := c; i < n; i += 2 {
				code := send(dear(i), "")
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	runtime.ReadMemStats(&m1)
	after := heapAfterGC()
	rssAfter, re2After := residentKB()
	t.Logf("%d dear requests (status: count %v): %d MB allocated a request; Go heap after GC %.1f -> %.1f MB; resident %d -> %d MB, of which RE2's memory %d -> %d MB",
		n, codes, (m1.TotalAlloc-m0.TotalAlloc)/uint64(n)>>20, float64(before)/(1<<20), float64(after)/(1<<20), rssBefore>>10, rssAfter>>10, re2Before>>10, re2After>>10)
	// (random text of letters and digits matches some rule now and then,
	// and one random 12-character value in a couple of hundred decodes
	// as base64 to text: with 127 body fields, two such values are more
	// derived arguments than max_arguments leaves room for, 400)
	nRefused := codes[http.StatusForbidden] + codes[http.StatusBadRequest]
	if codes[http.StatusOK]+nRefused != n || codes[http.StatusOK] < n/4 || nRefused < n/2 {
		t.Fatalf("status: count %v, want at least %d passed, at least %d refused, none else", codes, n/4, n/2)
	}
	if grown := int64(after) - int64(before); grown > 8<<20 {
		t.Errorf("%d dear requests left Go's heap %d MB larger after they were answered", n, grown>>20)
	}

	// requests held upstream: what each holds while its upstream answers
	const held = 6
	var refused atomic.Int32
	results := make(chan int, held)
	for i := range held {
		r := dear(3) // many arguments, passed: the dearest in memory
		go func() {
			code := send(r, strconv.Itoa(i))
			if code != http.StatusOK {
				refused.Add(1)
			}
			results <- code
		}()
	}
	deadline := time.Now().Add(120 * time.Second)
	for arrived.Load()+refused.Load() < held && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	holding, upstream := heapAfterGC(), int64(arrived.Load())
	close(hold)
	for range held {
		<-results
	}
	if upstream < held/2 {
		t.Fatalf("%d of %d requests reached the upstream, %d refused", upstream, held, refused.Load())
	}
	each := (int64(holding) - int64(after)) / upstream
	t.Logf("%d dear requests held upstream: Go heap after GC %.1f MB, %+d KB each", upstream, float64(holding)/(1<<20), each>>10)
	if each > 1<<20 {
		t.Errorf("each request held upstream holds %d KB of Go's heap, want under 1 MB: its inspection is kept while the upstream answers", each>>10)
	}
}

// residentKB is this process's resident set and, within it, RE2's
// WebAssembly memory (the mapping that the 4 GiB reservation of
// github.com/wasilibs/go-re2 grows into), in KB; zeros where /proc does not
// say.
func residentKB() (rss, re2 int64) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	var size, last, prev int64
	var reserved bool
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 2 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			prev, last = last, 0
			reserved = fields[1] == "---p"
		case fields[0] == "Size:":
			size, _ = strconv.ParseInt(fields[1], 10, 64)
		case fields[0] == "Rss:":
			last, _ = strconv.ParseInt(fields[1], 10, 64)
			rss += last
			if reserved && size > 1<<20 { // a reservation over 1 GiB: RE2's, after what it has grown into
				re2 = prev
			}
		}
	}
	return rss, re2
}

// TestInspectionsInProgressBounded: many dear requests at once are
// inspected a few at a time (one per core, two at least), so Go's live
// heap holds a few inspections' worth, not one per request: before the
// bound, sixteen clients sending the dearest request of random text took
// a Caddy from 115 to 725 MB resident, each inspection in progress
// holding up to 21 MB. And a client that sends its body slowly is waited
// for outside the bound: clients stalled in their bodies, more than
// there are slots, do not keep a request from being inspected.
func TestInspectionsInProgressBounded(t *testing.T) {
	base, _ := startCaddy(t, "waf")
	host := strings.TrimPrefix(base, "http://")
	slots := cap(inspectionSlots())

	// stalled bodies: more clients than slots, each 10 bytes into 1000
	for range slots + 2 {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/items HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nUser-Agent: gateway-test\r\n\r\n{\"a\": \"bc", host)
	}
	time.Sleep(200 * time.Millisecond)
	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	resp, err := client.Post(base+"/api/items", "application/json", strings.NewReader(`{"name": "stalled clients hold no slot"}`))
	if err != nil {
		t.Fatalf("with %d clients stalled in their bodies (%d slots): %v", slots+2, slots, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with clients stalled in their bodies: %d, want 200", resp.StatusCode)
	}
	t.Logf("a request with %d clients stalled in their bodies (%d slots): 200 in %v", slots+2, slots, time.Since(start))

	// a burst of dear requests at once, the live heap sampled meanwhile
	rng := rand.New(rand.NewPCG(29, 2))
	burst := max(16, 4*slots)
	reqs := make([]request, burst)
	for i := range reqs {
		reqs[i] = manyRandomArguments(rng, plainText)
	}
	before := heapAfterGC()
	var wg sync.WaitGroup
	var done atomic.Int32
	for _, r := range reqs {
		wg.Go(func() {
			defer done.Add(1)
			req, _ := http.NewRequest("POST", base+r.path, strings.NewReader(r.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "Mozilla/5.0 gateway-test")
			req.Header.Set("Cookie", r.cookie)
			resp, err := (&http.Client{Timeout: 300 * time.Second}).Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	var peak uint64
	for done.Load() < int32(burst) {
		time.Sleep(50 * time.Millisecond)
		peak = max(peak, heapAfterGC())
	}
	wg.Wait()
	grown := int64(peak) - int64(before)
	t.Logf("%d dear requests at once, %d slots: live heap at most %.1f MB over %.1f MB before (%.1f MB a slot)", burst, slots, float64(grown)/(1<<20), float64(before)/(1<<20), float64(grown)/float64(slots)/(1<<20))
	// each inspection in progress holds up to 21 MB, and the samples hold
	// what the inspections allocate while the collector runs (tens of MB
	// a second each): half the burst's worth is well over the slots'
	// (twice the slots) and well under the whole burst's (242 MB of 16
	// at once, before the bound, on 2 cores; 126 MB with it)
	if limit := int64(burst/2) * 24 << 20; grown > limit {
		t.Errorf("%d dear requests at once grew the live heap by %d MB, over %d MB (24 MB for half of them): they were inspected all at once, not %d at a time", burst, grown>>20, limit>>20, slots)
	}
}
