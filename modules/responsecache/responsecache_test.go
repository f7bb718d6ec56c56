package responsecache

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// BenchmarkResponseCache: what response_cache costs in the handler, without
// the network: a hit (the stored response's fields copied, Age and
// Cache-Status added, the body written), a miss that stores (max-age=0,
// refetched and stored each time) and a response it cannot store.
func BenchmarkResponseCache(b *testing.B) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	rc := &ResponseCache{MaxSize: 64 << 20}
	if err := rc.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	defer rc.Cleanup()
	rc.logger = zap.NewNop() // the handler's own cost, not a debug log's
	date := []string{time.Now().UTC().Format(http.TimeFormat)}
	body := []byte(`{"message":"Hello from the Service!","instance":"127.0.0.1:9090","path":"/"}`)
	upstream := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Date"] = date
		switch r.URL.Path {
		case "/hit":
			h["Cache-Control"] = []string{"public, max-age=3600"}
		case "/refetch":
			h["Cache-Control"] = []string{"public, max-age=0"}
		case "/private":
			h["Cache-Control"] = []string{"private"}
		}
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(body)
		return err
	})
	for _, path := range []string{"/hit", "/refetch", "/private"} {
		b.Run(path[1:], func(b *testing.B) {
			r := httptest.NewRequest("GET", "http://example.com"+path, nil)
			w := &headerOnlyWriter{h: http.Header{}}
			_ = rc.ServeHTTP(w, r, upstream)
			clear(w.h)
			_ = rc.ServeHTTP(w, r, upstream)
			if got, want := w.h.Get("Cache-Status") == CacheName+"; hit", path == "/hit"; got != want {
				b.Fatalf("%s: Cache-Status %q", path, w.h.Get("Cache-Status"))
			}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				if err := rc.ServeHTTP(w, r, upstream); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCacheHoldsAFlushedRevalidation: an upstream's 304 that is flushed
// at once must not reach the client: the cache answers with the stored
// response instead.
func TestCacheHoldsAFlushedRevalidation(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	rc := &ResponseCache{MaxSize: 8 << 20}
	if err := rc.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	defer rc.Cleanup()
	date := time.Now().UTC().Format(http.TimeFormat)
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "max-age=0")
		w.Header().Set("Etag", `"e"`)
		w.Header().Set("Date", date)
		if r.Header.Get("If-None-Match") == `"e"` {
			w.WriteHeader(http.StatusNotModified)
			http.NewResponseController(w).Flush()
			return nil
		}
		_, err := w.Write([]byte("stored body"))
		return err
	})
	url := "http://example.com/flush-" + fmt.Sprint(time.Now().UnixNano())
	for i, want := range []string{"fwd=uri-miss; stored", "fwd=stale; fwd-status=304"} {
		rec := httptest.NewRecorder()
		if err := rc.ServeHTTP(rec, httptest.NewRequest("GET", url, nil), next); err != nil {
			t.Fatal(err)
		}
		res := rec.Result() // the header as sent, not as the map holds it now
		if res.StatusCode != 200 || rec.Body.String() != "stored body" || res.Header.Get("Cache-Status") != CacheName+"; "+want {
			t.Fatalf("request %d: %d %q %q", i+1, res.StatusCode, rec.Body.String(), res.Header.Get("Cache-Status"))
		}
	}
}

// TestCacheKeyPartsCannotRunTogether: key parts whose values hold the
// separator (claims may hold any character) cannot make two callers' keys
// equal.
func TestCacheKeyPartsCannotRunTogether(t *testing.T) {
	rc := &ResponseCache{Key: []string{"{http.auth.user.id}", "{http.auth.user.tenant}"}}
	rc.keyParts = []cacheKeyPart{{tpl: rc.Key[0], covers: caddykit.KeyCovers(rc.Key[0])}, {tpl: rc.Key[1], covers: caddykit.KeyCovers(rc.Key[1])}}
	key := func(user, tenant string) string {
		r := httptest.NewRequest("GET", "http://example.com/x", nil)
		repl := caddyhttp.NewTestReplacer(r)
		repl.Set("http.auth.user.id", user)
		repl.Set("http.auth.user.tenant", tenant)
		return rc.describe(r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))).key
	}
	if key("x\x00y", "z") == key("x", "y\x00z") {
		t.Fatal("two callers' key parts ran together into one key")
	}
	if first, again := key("alice", "acme"), key("alice", "acme"); first != again {
		t.Fatal("the same caller must get the same key")
	}
}

// TestCacheCountsWhatKeptBuffersTake: the in-flight budget counts the
// memory a response being kept takes (its buffer's capacity), not only
// the bytes it holds so far; before, a buffer grown by append could take
// up to twice what was counted, so slow clients could hold more than
// max_size/2.
func TestCacheCountsWhatKeptBuffersTake(t *testing.T) {
	var inflight atomic.Int64
	cw := &cacheWriter{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: httptest.NewRecorder()},
		limit: 8 << 20, mode: modeTee, inflight: &inflight, inflightMax: 1 << 20}
	chunk := make([]byte, 3000)
	for range 100 {
		if _, err := cw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if cw.over || len(cw.buf) != 300_000 {
		t.Fatalf("kept %d bytes (over: %v), want 300000", len(cw.buf), cw.over)
	}
	if got := inflight.Load(); got != int64(cap(cw.buf)) {
		t.Fatalf("counted %d bytes in flight; the buffer takes %d", got, cap(cw.buf))
	}
	// past the budget, the response is no longer kept and what it held
	// is given back
	for range 300 {
		_, _ = cw.Write(chunk)
	}
	if !cw.over || inflight.Load() != 0 {
		t.Fatalf("over the budget: over %v, %d bytes still counted", cw.over, inflight.Load())
	}
}
