package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddygateway/caddy-gateway/internal/traffic"
)

// trafficRequest is a request as Caddy hands it to handlers: with vars
// and the original request.
func trafficRequest(path string) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{"client_ip": "203.0.113.7", "start_time": time.Now()})
	ctx = context.WithValue(ctx, caddyhttp.OriginalRequestCtxKey, *r)
	return r.WithContext(ctx)
}

// withTraffic resets the process's recorder and registry for a test.
func withTraffic(t *testing.T) *traffic.Recorder {
	oldT, oldR := processState.traffic, processState.registry
	t.Cleanup(func() { processState.traffic, processState.registry = oldT, oldR })
	processState.traffic = traffic.New(nil)
	processState.registry = registry.New(zap.NewNop())
	return processState.traffic
}

// serveCounted runs h as the first gateway handler would: starting the
// record, serving, finishing.
func serveCounted(w http.ResponseWriter, r *http.Request, h func(w http.ResponseWriter, r *http.Request) error) (err error) {
	if rec, rw := trafficStart(w, r); rec != nil {
		defer rec.finish(r, &err)
		w = rw
	}
	return h(w, r)
}

// TestTrafficRecording: one count per request, under the routed service,
// else the registered service its path names, else (other); refusals by
// kind, whether written or returned for handle_errors; a second handler
// starts no second record.
func TestTrafficRecording(t *testing.T) {
	tr := withTraffic(t)
	if _, _, err := processState.registry.Register(registry.Registration{Service: "orders", ID: "a", Address: "127.0.0.1:9"}); err != nil {
		t.Fatal(err)
	}
	routed := func(w http.ResponseWriter, r *http.Request) error {
		vars := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
		trafficRouted(vars, "payments") // dynamic registry routed it
		w.WriteHeader(http.StatusBadGateway)
		return nil
	}
	cases := []struct {
		path string
		h    func(w http.ResponseWriter, r *http.Request) error
	}{
		{"/x/y", routed},
		{"/orders/1", func(w http.ResponseWriter, r *http.Request) error { // a nested gateway handler
			return serveCounted(w, r, func(w http.ResponseWriter, r *http.Request) error {
				return refuse(w, r, http.StatusUnauthorized, "no", []byte("{}"))
			})
		}},
		{"/orders/2", func(w http.ResponseWriter, r *http.Request) error { // for handle_errors
			trafficRefused(r, traffic.Refused503Circuit)
			return caddyhttp.Error(http.StatusServiceUnavailable, errors.New("open"))
		}},
		{"/orders/3", func(w http.ResponseWriter, r *http.Request) error {
			recordShed(r)
			w.WriteHeader(http.StatusServiceUnavailable)
			return nil
		}},
		{"/orders/4", func(w http.ResponseWriter, r *http.Request) error { // the waf
			w.WriteHeader(http.StatusForbidden)
			return nil
		}},
		{"/orders/5", func(w http.ResponseWriter, r *http.Request) error {
			caddykit.NoteCacheResult(r, traffic.CacheHit)
			_, err := w.Write([]byte("stored"))
			return err
		}},
		{"/unknown/6", func(w http.ResponseWriter, r *http.Request) error {
			return refuse(w, r, http.StatusTooManyRequests, "slow down", []byte("{}"))
		}},
	}
	for _, c := range cases {
		_ = serveCounted(httptest.NewRecorder(), trafficRequest(c.path), c.h)
	}
	// a request whose record is counted does not count again (handle_errors' handlers)
	r := trafficRequest("/orders/7")
	_ = serveCounted(httptest.NewRecorder(), r, func(w http.ResponseWriter, r *http.Request) error { return nil })
	_ = serveCounted(httptest.NewRecorder(), r, func(w http.ResponseWriter, r *http.Request) error { return nil })

	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) // the second is over
	v := tr.Read(5)
	got := map[string]traffic.Totals{}
	for _, s := range v.Services {
		got[s.Name] = s.Total
	}
	want := map[string]traffic.Totals{
		"payments": {Requests: 1, Class5xx: 1},
		"orders": {Requests: 6, Class2xx: 2, Class4xx: 2, Class5xx: 2, Refused401: 1, Refused403: 1,
			Refused503Circuit: 1, Refused503Shed: 1, CacheHit: 1},
		traffic.Other: {Requests: 1, Class4xx: 1, Refused429: 1},
	}
	for name, w := range want {
		g := got[name]
		g.P50, g.P99 = nil, nil
		if g != w {
			t.Errorf("%s: %+v, want %+v", name, g, w)
		}
	}
	if len(got) != 3 {
		t.Errorf("services %v", got)
	}
}

// BenchmarkTrafficPerRequest is what the dashboard's traffic costs a
// request: the record started by the first gateway handler, the service
// noted by dynamic registry, the answer counted.
func BenchmarkTrafficPerRequest(b *testing.B) {
	old := processState.traffic
	processState.traffic = traffic.New(nil)
	b.Cleanup(func() { processState.traffic = old })
	r := trafficRequest("/hello_service/x")
	vars := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	w := nopWriter{http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		delete(vars, trafficVar) // a new request
		rec, rw := trafficStart(w, r)
		trafficRouted(vars, "hello_service")
		rw.WriteHeader(http.StatusOK)
		var err error
		rec.finish(r, &err)
	}
}

// nopWriter is a response writer that does nothing, so the benchmark
// measures the recording alone.
type nopWriter struct{ h http.Header }

func (w nopWriter) Header() http.Header       { return w.h }
func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (nopWriter) WriteHeader(int)             {}
