package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowBackend answers every request after delay, and records the most
// requests it had at once.
type slowBackend struct {
	srv            *httptest.Server
	delay          time.Duration
	inFlight, peak atomic.Int64
	hits           atomic.Int64
}

func newSlowBackend(t *testing.T, delay time.Duration) *slowBackend {
	b := &slowBackend{delay: delay}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := b.inFlight.Add(1)
		defer b.inFlight.Add(-1)
		for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
		}
		b.hits.Add(1)
		time.Sleep(b.delay)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"instance": "slow", "path": %q}`, r.URL.Path)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *slowBackend) addr() string { return strings.TrimPrefix(b.srv.URL, "http://") }

// parallel sends n GETs at once (each with the headers of header(i)) and
// returns the answers in order.
func parallel(t *testing.T, client *http.Client, url string, n int, header func(i int) http.Header) []answer {
	t.Helper()
	out := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = fetchWith(t, client, "GET", url, header(i))
		}()
	}
	wg.Wait()
	return out
}

func loadShedKey(name, key string) (limit, units int, ok bool) {
	for _, v := range loadShedSnapshot() {
		if v.Name != name {
			continue
		}
		for _, k := range v.Keys {
			if k.Key == key {
				return k.Limit, k.Units, true
			}
		}
	}
	return 0, 0, false
}

// At saturation, what the limit and the queue cannot take is answered 503
// with Retry-After at once, costs the backend nothing, and the backend
// never sees more than the limit; with handle_errors, those routes answer
// the refusal, and the metrics count it.
func TestE2ELoadShedSaturation(t *testing.T) {
	be := newSlowBackend(t, 300*time.Millisecond)
	g := startGateway(t, "", fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	load_shed {
		name shed_plain
		initial_limit 4
		min_limit 4
		max_limit 4
		queue_size 2
		max_wait 50ms
	}
	reverse_proxy %[1]s
}
http://localhost:{HTTP} {
	load_shed {
		name shed_errors
		initial_limit 4
		min_limit 4
		max_limit 4
		queue_size 2
		max_wait 50ms
	}
	reverse_proxy %[1]s
	handle_errors {
		respond "handled {err.status_code} {http.vars.gateway.load_shed}" {err.status_code}
	}
}`, be.addr()))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	start := time.Now()
	answers := parallel(t, client, g.url("/plain"), 20, func(int) http.Header { return nil })
	took := time.Since(start)
	var ok, shed int
	for _, a := range answers {
		switch a.code {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			shed++
			if got := a.header.Get("Retry-After"); got != "1" {
				t.Errorf("503 with Retry-After %q, want 1", got)
			}
			if !strings.Contains(a.body, `"error":"service overloaded: request shed"`) {
				t.Errorf("503 body %q", a.body)
			}
		default:
			t.Errorf("answer %d %q", a.code, a.body)
		}
	}
	if ok != 4 || shed != 16 {
		t.Errorf("%d answered, %d shed; want 4 (the limit) and 16 (the queued ones wait 50ms, less than a slot takes to free)", ok, shed)
	}
	if p := be.peak.Load(); p > 4 {
		t.Errorf("the backend had %d requests at once, over the limit of 4", p)
	}
	if h := be.hits.Load(); h != 4 {
		t.Errorf("the backend saw %d requests; the shed ones must cost it nothing", h)
	}
	if took > 2*time.Second {
		t.Errorf("20 requests took %v", took)
	}

	// with handle_errors: the site's error route answers, Retry-After kept
	answers = parallel(t, client, fmt.Sprintf("http://localhost:%d/x", g.httpPort), 12, func(int) http.Header { return nil })
	handled := 0
	for _, a := range answers {
		if a.code == http.StatusServiceUnavailable {
			if !strings.HasPrefix(a.body, "handled 503 ") || a.header.Get("Retry-After") != "1" {
				t.Errorf("refusal through handle_errors: %q, Retry-After %q", a.body, a.header.Get("Retry-After"))
			}
			handled++
		}
	}
	if handled != 8 {
		t.Errorf("%d refusals through handle_errors, want 8", handled)
	}

	_, metrics := g.adminCall("GET", "/metrics", "")
	for _, want := range []string{
		`caddy_gateway_load_shed_limit{key="",name="shed_plain"} 4`,
		`caddy_gateway_load_shed_in_flight{key="",name="shed_plain"} 0`,
		`caddy_gateway_load_shed_shed_total{key="",name="shed_plain",reason="max_wait"} 2`,
		`caddy_gateway_load_shed_shed_total{key="",name="shed_plain",reason="queue_full"} 14`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(metrics, "load_shed"))
		}
	}
}

// One client sending far more than the others does not crowd them out:
// a light client's request, sent while the heavy client fills the limit
// and the queue, is served at the next free slot.
func TestE2ELoadShedFairness(t *testing.T) {
	be := newSlowBackend(t, 200*time.Millisecond)
	g := startGateway(t, "", fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	load_shed {
		client_key {http.request.header.X-Client}
		initial_limit 2
		min_limit 2
		max_limit 2
		queue_size 20
		max_wait 10s
	}
	reverse_proxy %s
}`, be.addr()))
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	heavy := make(chan []answer)
	go func() {
		heavy <- parallel(t, client, g.url("/"), 22, func(int) http.Header { return http.Header{"X-Client": {"heavy"}} })
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var queued int
		for _, v := range loadShedSnapshot() {
			for _, k := range v.Keys {
				queued += k.Queued
			}
		}
		if queued == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the heavy client never filled the queue: %+v", loadShedSnapshot())
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	light := fetchWith(t, client, "GET", g.url("/"), http.Header{"X-Client": {"light"}})
	took := time.Since(start)
	if light.code != http.StatusOK {
		t.Fatalf("the light client got %d %q", light.code, light.body)
	}
	// first come, first served would take 20 queued / 2 slots × 200ms = 2s
	if took > time.Second {
		t.Errorf("the light client's request took %v behind the heavy client's queue; want the next slot (< 1s)", took)
	}
	var pushedOut int
	for _, a := range <-heavy {
		if a.code == http.StatusServiceUnavailable {
			pushedOut++
		}
	}
	if pushedOut != 1 {
		t.Errorf("%d of the heavy client's requests shed, want 1 (pushed out of the full queue by the light one)", pushedOut)
	}
}

// A reload that keeps the name keeps the learned limit; the limit scales
// with the registered instances of the service.
func TestE2ELoadShedReloadAndInstances(t *testing.T) {
	be := newSlowBackend(t, 20*time.Millisecond)
	site := func(maxWait string) string {
		return fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	load_shed {
		name learner
		initial_limit 4
		min_limit 2
		max_wait %s
	}
	reverse_proxy %s
}
http://localhost:{HTTP} {
	load_shed {
		service scaled
		min_limit 3
		max_limit 3
	}
	reverse_proxy {
		dynamic registry scaled
	}
}`, maxWait, be.addr())
	}
	g := startGateway(t, "", site("50ms"))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	// 16 clients in a loop for 2s: the limit grows from 4
	var wg sync.WaitGroup
	stop := time.Now().Add(2 * time.Second)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				fetch(t, client, g.url("/"))
			}
		}()
	}
	wg.Wait()
	learned, _, ok := loadShedKey("learner", "")
	if !ok || learned <= 4 {
		t.Fatalf("learned limit %d (found %v): want it above the initial 4 after 2s of 16 at once", learned, ok)
	}
	g.load("", site("80ms"))
	if after, _, _ := loadShedKey("learner", ""); after != learned {
		t.Errorf("after a reload the limit is %d, want the learned %d", after, learned)
	}

	// no instance yet: the request passes to reverse_proxy, which has no
	// upstream, and makes no key (requests naming services that do not
	// exist filled max_keys in a fresh-eyes attack)
	if a := fetch(t, client, fmt.Sprintf("http://localhost:%d/", g.httpPort)); a.code != http.StatusServiceUnavailable {
		t.Fatalf("no instance: %d %q, want reverse_proxy's 503", a.code, a.body)
	}
	if _, _, ok := loadShedKey("scaled", "scaled"); ok {
		t.Errorf("a request for a service without instances made a key")
	}

	// two instances of scaled: 3 per instance, 6 in all
	g.register("scaled", fmt.Sprintf(`{"id": "a", "address": %q}`, be.addr()))
	g.register("scaled", fmt.Sprintf(`{"id": "b", "address": %q}`, be.addr()))
	if a := fetch(t, client, fmt.Sprintf("http://localhost:%d/", g.httpPort)); a.code != http.StatusOK {
		t.Fatalf("through the registry: %d %q", a.code, a.body)
	}
	if limit, units, _ := loadShedKey("scaled", "scaled"); limit != 6 || units != 2 {
		t.Errorf("scaled: limit %d for %d instances, want 6 for 2", limit, units)
	}

	// the dashboard shows the keys
	var state struct {
		LoadShed []struct {
			Name string `json:"name"`
			Keys []struct {
				Key   string `json:"key"`
				Limit int    `json:"limit"`
			} `json:"keys"`
		} `json:"load_shed"`
	}
	st := dashboardState(time.Now())
	b, _ := json.Marshal(st)
	if err := json.Unmarshal(b, &state); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range state.LoadShed {
		for _, k := range v.Keys {
			found = found || (v.Name == "scaled" && k.Key == "scaled" && k.Limit == 6)
		}
	}
	if !found {
		t.Errorf("state.json's load_shed lacks scaled/scaled with limit 6: %s", b)
	}
}

// A client whose requests took every slot and hang upstream does not lock
// the others out: once no slot has freed for a while (1 s here, no latency
// being measured yet), a client under its fair share is admitted over the
// limit, up to twice it; the client holding the slots gets nothing more;
// once they free, the limit applies again.
func TestE2ELoadShedStuckSlots(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	var inFlight, peak atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if r.Header.Get("X-Hang") != "" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		} else {
			time.Sleep(100 * time.Millisecond)
		}
		fmt.Fprint(w, "ok")
	}))
	defer be.Close()
	g := startGateway(t, "", fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	load_shed {
		name shed_stuck
		client_key {http.request.header.X-Client}
		initial_limit 4
		min_limit 4
		max_limit 4
		queue_size 10
		max_wait 100ms
	}
	reverse_proxy %s
}`, strings.TrimPrefix(be.URL, "http://")))
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	heavy := http.Header{"X-Client": {"heavy"}}
	hung := make(chan []answer)
	go func() {
		hung <- parallel(t, client, g.url("/"), 4, func(int) http.Header { return http.Header{"X-Client": {"heavy"}, "X-Hang": {"1"}} })
	}()
	for deadline := time.Now().Add(5 * time.Second); inFlight.Load() < 4; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the heavy client's requests never reached the backend: %d", inFlight.Load())
		}
	}
	light := func() http.Header { return http.Header{"X-Client": {"light"}} }
	if a := fetchWith(t, client, "GET", g.url("/"), light()); a.code != http.StatusServiceUnavailable {
		t.Fatalf("a light request while the slots were just taken: %d, want 503 (the limit holds)", a.code)
	}
	time.Sleep(1100 * time.Millisecond)
	// two clients: a share of 2 each; the light one gets its 2 over the
	// limit, the heavy one nothing more
	for i, a := range parallel(t, client, g.url("/"), 2, func(int) http.Header { return light() }) {
		if a.code != http.StatusOK {
			t.Errorf("light request %d after the slots hung for 1.1s: %d %q, want 200", i, a.code, a.body)
		}
	}
	if a := fetchWith(t, client, "GET", g.url("/"), heavy); a.code != http.StatusServiceUnavailable {
		t.Errorf("the heavy client's request while it holds every slot: %d, want 503", a.code)
	}
	if p := peak.Load(); p > 8 {
		t.Errorf("the backend had %d requests at once, over twice the limit (8)", p)
	}
	free()
	for _, a := range <-hung {
		if a.code != http.StatusOK {
			t.Errorf("a hung request, released: %d", a.code)
		}
	}
	// the slots freed: the limit of 4 applies again
	peak.Store(0)
	var over uint64
	for _, v := range loadShedSnapshot() {
		if v.Name == "shed_stuck" {
			over = v.Keys[0].OverLimit
		}
	}
	if over != 2 {
		t.Errorf("%d requests admitted over the limit, want the light client's 2", over)
	}
	parallel(t, client, g.url("/"), 12, func(int) http.Header { return light() })
	if p := peak.Load(); p > 4 {
		t.Errorf("after the slots freed, the backend had %d requests at once, over the limit of 4", p)
	}
}

// A reload while the key is saturated applies at once: a lower max_limit
// holds the limit in force right after the reload, and the requests
// admitted under the old config still end as samples, freeing their
// slots. (Each config started the engine's clock afresh: every window
// seemed to start in the future for as long as the process had run, so
// nothing was learned and the old limit stood until then.)
func TestE2ELoadShedReloadWhileSaturated(t *testing.T) {
	be := newSlowBackend(t, 50*time.Millisecond)
	site := func(maxLimit int) string {
		return fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	load_shed {
		name reloaded
		initial_limit 20
		min_limit 2
		max_limit %d
		queue_size 0
	}
	reverse_proxy %s
}`, maxLimit, be.addr())
	}
	g := startGateway(t, "", site(100))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 40 { // more than the limit: saturated
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := client.Get(g.url("/"))
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	time.Sleep(1500 * time.Millisecond)
	before, _ := loadShedKeyState("reloaded", "")
	if before.InFlight < 10 || before.Admitted == 0 {
		t.Fatalf("not saturated before the reload: %+v", before)
	}
	g.load("", site(5))
	if s, _ := loadShedKeyState("reloaded", ""); s.Limit > 5 {
		t.Errorf("right after a reload to max_limit 5 the limit is %d (was %d)", s.Limit, before.Limit)
	}
	time.Sleep(time.Second)
	after, _ := loadShedKeyState("reloaded", "")
	if after.Limit > 5 || after.InFlight > 5 {
		t.Errorf("a second after the reload: limit %d, %d in flight; want at most 5", after.Limit, after.InFlight)
	}
	// learning went on: samples counted, with the service's latency
	if after.Admitted < before.Admitted+20 || after.Latency < 40*time.Millisecond || after.Latency > time.Second {
		t.Errorf("after the reload: %d samples (were %d), latest window %v; want more, of about 50ms", after.Admitted, before.Admitted, after.Latency)
	}
}

// A client that goes away while a large answer is being copied to it
// gives its slot back: reverse_proxy ends such a response by panicking
// with http.ErrAbortHandler, past the code after next.ServeHTTP (a
// fresh-eyes attack leaked a slot per aborted download, up to twice the
// limit, and every client got 503 from then on, through reloads).
func TestE2ELoadShedAbortedDownloadFreesItsSlot(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 16<<20)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		_, _ = w.Write(big)
	}))
	defer be.Close()
	g := startGateway(t, "", fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	load_shed {
		name downloads
		initial_limit 4
	}
	reverse_proxy %s
}`, be.Listener.Addr()))
	for i := range 3 {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.httpPort))
		if err != nil {
			t.Fatal(err)
		}
		tc := c.(*net.TCPConn)
		_ = tc.SetReadBuffer(4096)
		fmt.Fprintf(c, "GET /big/%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", i)
		buf := make([]byte, 4096)
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatalf("download %d: %v", i, err)
		}
		time.Sleep(50 * time.Millisecond) // the proxy is blocked writing to us
		_ = tc.SetLinger(0)               // close with a reset, mid-answer
		_ = c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, ok := loadShedKeyState("downloads", "")
		if ok && s.InFlight == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after three downloads were aborted: %+v (found %v), want nothing in flight", s, ok)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
