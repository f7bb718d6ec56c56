package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/registry"
	"go.uber.org/zap"
)

// TestListingPages: following the Link headers of ?limit= pages visits
// every service once, in name order, and the pages of one service's
// instances likewise; the unpaged listing (written in chunks) has them all.
func TestListingPages(t *testing.T) {
	reg := newTestRegistry(t, registry.Settings{MaxInstances: 5000, MaxPerService: 1000})
	api := apiServer{reg: reg, logger: zap.NewNop()}
	const services = listChunk*2 + 7 // more than two chunks of the unpaged listing
	for i := range services {
		mustRegister(t, reg, registry.Registration{Service: fmt.Sprintf("svc%04d", i), Address: "10.0.0.1:80"})
	}
	for i := range 25 {
		mustRegister(t, reg, registry.Registration{Service: "big", ID: fmt.Sprintf("i%02d", i), Address: "10.0.0.2:80"})
	}

	var names []string
	next := "/registry/services?limit=100"
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("the pages do not end")
		}
		code, header, body := apiCall(t, api, "GET", next, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", next, code, body)
		}
		page := body.(map[string]any)
		if len(page) > 100 {
			t.Fatalf("a page of limit 100 has %d services", len(page))
		}
		for name := range page {
			names = append(names, name)
		}
		next = linkNext(t, header)
	}
	if len(names) != services+1 {
		t.Fatalf("the pages hold %d services, want %d", len(names), services+1)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Fatalf("service %s on two pages", n)
		}
		seen[n] = true
	}

	code, _, body := apiCall(t, api, "GET", "/registry/services", "")
	if all := body.(map[string]any); code != http.StatusOK || len(all) != services+1 || len(all["big"].([]any)) != 25 {
		t.Fatalf("unpaged listing: %d, %d services", code, len(all))
	}
	_, _, body = apiCall(t, api, "GET", "/registry/services?after=svc0500", "")
	if rest := body.(map[string]any); len(rest) != services-501 {
		t.Fatalf("after=svc0500 gave %d services, want %d", len(rest), services-501)
	}

	var ids []string
	next = "/registry/services/big?limit=10"
	for next != "" {
		code, header, body := apiCall(t, api, "GET", next, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", next, code, body)
		}
		for _, inst := range body.([]any) {
			ids = append(ids, inst.(map[string]any)["id"].(string))
		}
		next = linkNext(t, header)
	}
	if len(ids) != 25 || ids[0] != "i00" || ids[24] != "i24" {
		t.Fatalf("instance pages: %v", ids)
	}

	for _, bad := range []string{"0", "-1", "x", "10001"} {
		code, _, body := apiCall(t, api, "GET", "/registry/services?limit="+bad, "")
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body), "limit") {
			t.Errorf("limit=%s: %d %v, want a 400 about the limit", bad, code, body)
		}
	}
	if code, _, _ := apiCall(t, api, "GET", "/registry/services/nobody?limit=5", ""); code != http.StatusNotFound {
		t.Errorf("a page of an unknown service: %d, want 404", code)
	}
	if code, _, body := apiCall(t, api, "GET", "/registry/services?after=zzz", ""); code != http.StatusOK || len(body.(map[string]any)) != 0 {
		t.Errorf("after the last service: %d %v, want 200 {}", code, body)
	}
}

// linkNext returns the next page's path from a Link header ("" without one).
func linkNext(t *testing.T, h http.Header) string {
	t.Helper()
	link := h.Get("Link")
	if link == "" {
		return ""
	}
	target, ok := strings.CutPrefix(link, "<")
	target, rest, ok2 := strings.Cut(target, ">")
	if !ok || !ok2 || rest != `; rel="next"` {
		t.Fatalf("Link header %q", link)
	}
	if _, err := url.Parse(target); err != nil {
		t.Fatalf("Link target %q: %v", target, err)
	}
	return target
}

// TestListingStopsWhenTheClientGoes: a write error ends the listing.
func TestListingStopsWhenTheClientGoes(t *testing.T) {
	reg := newTestRegistry(t)
	for i := range 600 {
		mustRegister(t, reg, registry.Registration{Service: fmt.Sprintf("svc%04d", i), Address: "10.0.0.1:80"})
	}
	w := &failingWriter{ResponseRecorder: httptest.NewRecorder(), okWrites: 3}
	apiServer{reg: reg, logger: zap.NewNop()}.ServeHTTP(w, httptest.NewRequest("GET", "/registry/services", nil))
	if w.writes != 4 {
		t.Fatalf("%d writes; the listing should stop at the first failed one (the 4th)", w.writes)
	}
}

type failingWriter struct {
	*httptest.ResponseRecorder
	okWrites, writes int
}

func (f *failingWriter) Write(b []byte) (int, error) {
	f.writes++
	if f.writes > f.okWrites {
		return 0, fmt.Errorf("connection reset")
	}
	return f.ResponseRecorder.Write(b)
}

// BenchmarkListing100k: the whole listing of 100k instances (10k services).
func BenchmarkListing100k(b *testing.B) {
	const n = 100000
	reg := newTestRegistry(b, registry.Settings{MaxInstances: n, MaxPerService: 1000})
	for i := range n {
		if _, _, err := reg.Register(registry.Registration{Service: fmt.Sprintf("svc%06d", i/10), ID: fmt.Sprintf("i%07d", i),
			Address: fmt.Sprintf("10.%d.%d.%d:8080", i>>16&0xff, i>>8&0xff, i&0xff), TTL: time.Hour,
			Metadata: map[string]string{"zone": "eu"}}); err != nil {
			b.Fatal(err)
		}
	}
	api := apiServer{reg: reg, logger: zap.NewNop()}
	req := httptest.NewRequest("GET", "/registry/services", nil)
	for b.Loop() {
		w := &countingWriter{header: http.Header{}}
		api.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.n < n*100 {
			b.Fatalf("%d, %d bytes", w.status, w.n)
		}
		b.ReportMetric(float64(w.n), "bytes")
	}
}

type countingWriter struct {
	header http.Header
	status int
	n      int
}

func (c *countingWriter) Header() http.Header { return c.header }
func (c *countingWriter) WriteHeader(s int)   { c.status = s }
func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.n += len(b)
	return len(b), nil
}

// TestListingChunksByInstances: the unpaged listing reads the registry in
// pieces of about listBudget instances, so one hold of the lock never
// copies more than a few services, and still lists everything.
func TestListingChunksByInstances(t *testing.T) {
	reg := newTestRegistry(t, registry.Settings{MaxInstances: 5000, MaxPerService: 1000})
	for s := range 4 {
		for i := range 900 {
			mustRegister(t, reg, registry.Registration{Service: fmt.Sprintf("svc%d", s), ID: fmt.Sprintf("i%03d", i), Address: "10.0.0.1:80"})
		}
	}
	page, more := reg.ServicesPage("", listChunk, listBudget)
	if len(page) != 3 || !more {
		t.Fatalf("a piece of budget %d holds %d services (more: %v), want 3 and more", listBudget, len(page), more)
	}
	page, more = reg.ServicesPage("svc2", listChunk, listBudget)
	if len(page) != 1 || more {
		t.Fatalf("the last piece holds %d services (more: %v)", len(page), more)
	}
	code, _, body := apiCall(t, apiServer{reg: reg, logger: zap.NewNop()}, "GET", "/registry/services", "")
	n := 0
	for _, list := range body.(map[string]any) {
		n += len(list.([]any))
	}
	if code != http.StatusOK || n != 3600 {
		t.Fatalf("unpaged listing: %d, %d instances, want 3600", code, n)
	}
}
