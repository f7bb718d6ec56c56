package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
)

// newUpstreamRequest returns a request carrying a replacer, as Caddy's
// server hands it to reverse_proxy.
func newUpstreamRequest(path string) *http.Request {
	req := httptest.NewRequest("GET", path, nil)
	repl := caddyhttp.NewTestReplacer(req)
	return req.WithContext(context.WithValue(req.Context(), caddy.ReplacerCtxKey, repl))
}

func TestGetUpstreamsReturnsFreshValuesInOrder(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, registry.Registration{Service: "hello", ID: "b", Address: "127.0.0.1:2"})
	mustRegister(t, r, registry.Registration{Service: "hello", ID: "a", Address: "127.0.0.1:1"})
	u := &RegistryUpstreams{Service: "hello", registry: r, service: newTemplate("hello")}
	req := newUpstreamRequest("/")

	first, err := u.GetUpstreams(req)
	if err != nil || len(first) != 2 || first[0].Dial != "127.0.0.1:1" || first[1].Dial != "127.0.0.1:2" {
		t.Fatalf("GetUpstreams = %v, %v", first, err)
	}
	first[0].Dial = "changed by the proxy"
	second, _ := u.GetUpstreams(req)
	if second[0] == first[0] || second[0].Dial != "127.0.0.1:1" {
		t.Fatal("GetUpstreams returned a value it had handed out before")
	}
}

func TestGetUpstreamsExpandsPlaceholders(t *testing.T) {
	r := newTestRegistry(t)
	mustRegister(t, r, registry.Registration{Service: "hello_service", Address: "127.0.0.1:1"})
	mustRegister(t, r, registry.Registration{Service: "other", Address: "127.0.0.1:2"})
	u := &RegistryUpstreams{Service: "{http.request.uri.path.0}", registry: r, service: newTemplate("{http.request.uri.path.0}")}
	for path, want := range map[string]string{"/hello_service/greet": "127.0.0.1:1", "/other": "127.0.0.1:2", "/nobody/x": "", "/": ""} {
		ups, err := u.GetUpstreams(newUpstreamRequest(path))
		if err != nil {
			t.Fatal(err)
		}
		if want == "" && len(ups) != 0 || want != "" && (len(ups) != 1 || ups[0].Dial != want) {
			t.Errorf("%s: upstreams %v, want %q", path, ups, want)
		}
	}
}

// TestSubsetWindows: a service larger than the subset gives each request a
// window of k consecutive instances; random windows reach every instance;
// a key gives the same window every time, and different keys spread.
func TestSubsetWindows(t *testing.T) {
	r := newTestRegistry(t)
	const n = 50
	var all []string
	for i := range n {
		addr := fmt.Sprintf("10.0.0.%d:80", i+1)
		mustRegister(t, r, registry.Registration{Service: "svc", ID: fmt.Sprintf("i%02d", i), Address: addr})
		all = append(all, addr)
	}
	u := &RegistryUpstreams{Service: "svc", registry: r, Subset: 5}
	u.prepare()
	window := func(req *http.Request) []string {
		t.Helper()
		ups, err := u.GetUpstreams(req)
		if err != nil || len(ups) != 5 {
			t.Fatalf("GetUpstreams = %d upstreams, %v; want 5", len(ups), err)
		}
		var dials []string
		for _, up := range ups {
			dials = append(dials, up.Dial)
		}
		// consecutive in ID order, wrapping round
		start := slices.Index(all, dials[0])
		for i, d := range dials {
			if d != all[(start+i)%n] {
				t.Fatalf("window %v is not consecutive from %s", dials, dials[0])
			}
		}
		return dials
	}
	seen := map[string]bool{}
	for range 2000 {
		for _, d := range window(newUpstreamRequest("/")) {
			seen[d] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("random windows reached %d of %d instances", len(seen), n)
	}

	u.SubsetKey = "{http.request.header.X-User}"
	u.prepare()
	keyed := func(user string) []string {
		req := newUpstreamRequest("/")
		req.Header.Set("X-User", user)
		return window(req)
	}
	starts := map[string]bool{}
	for i := range 200 {
		user := fmt.Sprintf("user-%d", i)
		w := keyed(user)
		if again := keyed(user); !slices.Equal(w, again) {
			t.Fatalf("the same key got two windows: %v, %v", w, again)
		}
		starts[w[0]] = true
	}
	if len(starts) < n/2 {
		t.Fatalf("200 keys started windows at only %d of %d instances", len(starts), n)
	}

	u.Subset = -1 // all
	u.prepare()
	if ups, _ := u.GetUpstreams(newUpstreamRequest("/")); len(ups) != n || ups[0].Dial != all[0] {
		t.Fatalf("subset all gave %d upstreams starting at %v", len(ups), ups[0].Dial)
	}
	u.Subset = 0 // the default, over the service's size: every instance, in order
	u.prepare()
	r2 := newTestRegistry(t)
	mustRegister(t, r2, registry.Registration{Service: "svc", ID: "b", Address: "127.0.0.1:2"})
	mustRegister(t, r2, registry.Registration{Service: "svc", ID: "a", Address: "127.0.0.1:1"})
	u.registry = r2
	if ups, _ := u.GetUpstreams(newUpstreamRequest("/")); len(ups) != 2 || ups[0].Dial != "127.0.0.1:1" {
		t.Fatalf("a service under the subset size: %v", ups)
	}
}

func TestRegistryUpstreamsValidate(t *testing.T) {
	for svc, ok := range map[string]bool{"hello": true, "{http.request.uri.path.0}": true, "": false, "a b": false} {
		u := &RegistryUpstreams{Service: svc}
		if err := u.Validate(); (err == nil) != ok {
			t.Errorf("Validate(%q) = %v", svc, err)
		}
	}
}

func benchRegistry(b *testing.B, n int) (*registry.Registry, *RegistryUpstreams) {
	r := newTestRegistry(b)
	for i := range n {
		if _, _, err := r.Register(registry.Registration{Service: "svc", Address: fmt.Sprintf("10.0.%d.%d:8080", i/250, i%250+1)}); err != nil {
			b.Fatal(err)
		}
	}
	u := &RegistryUpstreams{Service: "svc", registry: r}
	u.prepare()
	return r, u
}

// BenchmarkGetUpstreams: with the default subset (8), a request to a
// service of 1000 instances costs what one to a service of 8 does.
func BenchmarkGetUpstreams(b *testing.B) {
	req := newUpstreamRequest("/svc/x")
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			_, u := benchRegistry(b, n)
			b.ReportAllocs()
			for b.Loop() {
				ups, _ := u.GetUpstreams(req)
				if len(ups) != min(n, defaultSubset) {
					b.Fatal(len(ups))
				}
			}
		})
	}
	b.Run("instances=1000/subset=all", func(b *testing.B) {
		_, u := benchRegistry(b, 1000)
		u.Subset = -1
		u.prepare()
		b.ReportAllocs()
		for b.Loop() {
			if ups, _ := u.GetUpstreams(req); len(ups) != 1000 {
				b.Fatal(len(ups))
			}
		}
	})
}

// BenchmarkGetUpstreamsWhileWriting measures the read path while another
// goroutine registers and deregisters without pause.
func BenchmarkGetUpstreamsWhileWriting(b *testing.B) {
	req := newUpstreamRequest("/svc/x")
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			r, u := benchRegistry(b, n)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					reg := registry.Registration{Service: "svc", ID: "churn", Address: "10.9.9.9:80", TTL: time.Hour}
					if i%2 == 0 {
						_, _, _ = r.Register(reg)
					} else {
						_, _ = r.Deregister("svc", "churn")
					}
				}
			}()
			b.ReportAllocs()
			for b.Loop() {
				ups, _ := u.GetUpstreams(req)
				if len(ups) < min(n, defaultSubset) {
					b.Fatal(len(ups))
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
		})
	}
}

func BenchmarkGetUpstreamsPlaceholder(b *testing.B) {
	_, u := benchRegistry(b, 10)
	u.Service = "{http.request.uri.path.0}"
	u.prepare()
	req := newUpstreamRequest("/svc/x")
	b.ReportAllocs()
	for b.Loop() {
		if ups, _ := u.GetUpstreams(req); len(ups) != min(10, defaultSubset) {
			b.Fatal(len(ups))
		}
	}
}

var sinkUpstreams []*reverseproxy.Upstream

// BenchmarkFreshUpstreamsFloor is what GetUpstreams cannot go below: the
// allocation of fresh upstream values that Caddy requires (it mutates them
// per request). Compare it with BenchmarkGetUpstreams/instances=10 (which offers 8).
func BenchmarkFreshUpstreamsFloor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ups := make([]reverseproxy.Upstream, defaultSubset)
		out := make([]*reverseproxy.Upstream, defaultSubset)
		for i := range ups {
			ups[i].Dial = "10.0.0.1:8080"
			out[i] = &ups[i]
		}
		sinkUpstreams = out
	}
}

// BenchmarkRegistryLookup is the registry's own share of GetUpstreams.
func BenchmarkRegistryLookup(b *testing.B) {
	r, _ := benchRegistry(b, 10)
	b.ReportAllocs()
	for b.Loop() {
		if len(r.Dials("svc")) != 10 {
			b.Fatal()
		}
	}
}

// BenchmarkGetUpstreamsMarksHop is GetUpstreams as inside Caddy, where the
// request has vars: the hop marker is added (a fresh header slice and one
// vars entry per request).
func BenchmarkGetUpstreamsMarksHop(b *testing.B) {
	req := newUpstreamRequest("/svc/x")
	vars := map[string]any{}
	req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, vars))
	_, u := benchRegistry(b, 10)
	b.ReportAllocs()
	for b.Loop() {
		delete(vars, hopVar)
		delete(req.Header, hopHeader)
		if ups, _ := u.GetUpstreams(req); len(ups) != min(10, defaultSubset) {
			b.Fatal(len(ups))
		}
	}
}
