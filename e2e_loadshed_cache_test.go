package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Every shed 503 carries Retry-After, with handle_errors and
// response_cache too: for a URL the cache holds (stale, so it revalidates
// through load_shed) the cache dropped the fields the handlers after it had
// set once they returned an error (it meant to answer from the cache
// instead), and the 503 that handle_errors then wrote had no Retry-After
// (uncached URLs, and sites without handle_errors, kept it).
func TestE2ELoadShedRetryAfterThroughTheCache(t *testing.T) {
	release := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			<-release
		}
		// stored for two seconds (one could be gone by Date's one-second
		// resolution before the second request), then revalidated, never
		// served stale on error
		w.Header().Set("Cache-Control", "max-age=2, must-revalidate")
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprintln(w, "item")
	}))
	t.Cleanup(be.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	g := startGateway(t, "", fmt.Sprintf(`
http://127.0.0.1:{HTTP} {
	response_cache
	load_shed {
		name cached
		initial_limit 1
		min_limit 1
		max_limit 1
		queue_size 0
	}
	reverse_proxy %s
	handle_errors {
		respond "handled {err.status_code} {http.vars.gateway.load_shed}" {err.status_code}
	}
}`, strings.TrimPrefix(be.URL, "http://")))
	if a := fetch(t, g.client, g.url("/item")); a.code != 200 {
		t.Fatalf("first GET /item: %d %q", a.code, a.body)
	}
	if a := fetch(t, g.client, g.url("/item")); a.code != 200 || !strings.Contains(a.header.Get("Cache-Status"), "hit") {
		t.Fatalf("second GET /item: %d, Cache-Status %q: want a hit", a.code, a.header.Get("Cache-Status"))
	}
	time.Sleep(2100 * time.Millisecond) // stale now
	// the one slot is taken
	held := make(chan answer, 1)
	go func() { held <- fetch(t, g.client, g.url("/hold")) }()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if s, ok := loadShedKeyState("cached", ""); ok && s.InFlight == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the held request never took the slot")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, path := range []string{"/item", "/other"} { // held by the cache (stale), and not
		a := fetch(t, g.client, g.url(path))
		if a.code != http.StatusServiceUnavailable || a.body != "handled 503 queue_full" {
			t.Errorf("GET %s with the slot taken: %d %q, want handle_errors' 503", path, a.code, a.body)
			continue
		}
		if got := a.header.Get("Retry-After"); got != "1" {
			t.Errorf("GET %s, shed through handle_errors: Retry-After %q, want 1 (Cache-Status %q)", path, got, a.header.Get("Cache-Status"))
		}
	}
	close(release)
	if a := <-held; a.code != 200 {
		t.Errorf("the held request: %d %q", a.code, a.body)
	}
}
