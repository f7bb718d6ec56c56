package gateway

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/loadshed"
)

// loadShedKeyState is the state of a load_shed name's key.
func loadShedKeyState(name, key string) (loadshed.KeyState, bool) {
	for _, v := range loadShedSnapshot() {
		if v.Name != name {
			continue
		}
		for _, k := range v.Keys {
			if k.Key == key {
				return k, true
			}
		}
	}
	return loadshed.KeyState{}, false
}

// At min_limit, only the service's answers re-measure the baseline: slow
// 5xx answers and slow uploads did (a window over the tolerance at
// min_limit became the baseline), so a key whose baseline was a few
// milliseconds got one of 200 ms and more, and its stall admission then
// waited ten times that. Now a 5xx is no baseline sample (a slow one still
// shrinks the limit), and a request with a body is measured from when its
// body was read in full.
func TestE2ELoadShedBaselineOnlyFromAnswers(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			time.Sleep(200 * time.Millisecond)
			http.Error(w, "upstream broke", http.StatusInternalServerError)
		case "/upload":
			_, _ = io.Copy(io.Discard, r.Body)
			fmt.Fprintln(w, "stored")
		default:
			fmt.Fprintln(w, "ok")
		}
	}))
	t.Cleanup(be.Close)
	g := startGateway(t, "", fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	load_shed {
		name baseline
		initial_limit 4
		min_limit 4
		max_limit 4
		max_wait 5s
	}
	reverse_proxy %s
}`, strings.TrimPrefix(be.URL, "http://")))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	// rounds of 4 at once (the limit), for at least d and until done
	// says so (at most 10 s)
	rounds := func(d time.Duration, done func(loadshed.KeyState) bool, send func() (int, error)) {
		t.Helper()
		for stop, limit := time.Now().Add(d), time.Now().Add(10*time.Second); time.Now().Before(limit); {
			if s, _ := loadShedKeyState("baseline", ""); time.Now().After(stop) && done(s) {
				return
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := send(); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
	}
	get := func(path string) func() (int, error) {
		return func() (int, error) {
			res, err := client.Get(g.url(path))
			if err != nil {
				return 0, err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode, nil
		}
	}
	baseline := func() time.Duration {
		s, ok := loadShedKeyState("baseline", "")
		if !ok {
			t.Fatalf("no state for load_shed baseline: %+v", loadShedSnapshot())
		}
		return s.MinLatency
	}
	always := func(loadshed.KeyState) bool { return true }
	rounds(time.Second, always, get("/"))
	quick := baseline()
	if quick <= 0 || quick > 50*time.Millisecond {
		t.Fatalf("baseline %v after quick answers", quick)
	}
	// until a window of 500s alone has closed (its mean is theirs)
	rounds(time.Second, func(s loadshed.KeyState) bool { return s.Latency > 150*time.Millisecond }, get("/fail"))
	s, _ := loadShedKeyState("baseline", "")
	if s.MinLatency > 50*time.Millisecond || s.Latency < 150*time.Millisecond {
		t.Errorf("after slow 500s at min_limit: baseline %v, want it still about %v; their window %v", s.MinLatency, quick, s.Latency)
	}
	if s.Limit != 4 {
		t.Errorf("limit %d", s.Limit)
	}
	// uploads that take the client 200 ms to send, stored at once
	upload := func() (int, error) {
		pr, pw := io.Pipe()
		go func() {
			for range 4 {
				time.Sleep(50 * time.Millisecond)
				_, _ = pw.Write([]byte(strings.Repeat("x", 1000)))
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", g.url("/upload"), pr)
		req.ContentLength = 4000
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return res.StatusCode, fmt.Errorf("upload: %d", res.StatusCode)
		}
		return res.StatusCode, nil
	}
	before := s.Admitted
	// until two windows of uploads alone have closed
	rounds(time.Second, func(s loadshed.KeyState) bool { return s.Admitted >= before+30 }, upload)
	s, _ = loadShedKeyState("baseline", "")
	if s.MinLatency > 50*time.Millisecond {
		t.Errorf("baseline %v after slow uploads at min_limit, want it still about %v", s.MinLatency, quick)
	}
	if s.Latency > 50*time.Millisecond {
		t.Errorf("the uploads' window %v: want their time from the body read in full, a few ms", s.Latency)
	}
}
