package responsecache

import (
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/traffic"
)

// storesPtr holds response_cache's stored responses (*cacheStore), one per
// max_size, max_item_size and backend, reference counted by the handlers
// using them: the one package-level owner of state in this package.
//
// Caddy creates every handler anew on each config load; a store kept on the
// handler would be emptied by every reload, so every cached answer would be
// fetched again from the services at once (the thundering herd a cache is
// there to prevent). During a reload the new config takes its reference
// before the old one lets go, so a store whose settings did not change
// carries on with what it holds; the last handler to let go frees it.
// The admin API's purge and the dashboard read every live store here.
//
// It is held by an atomic pointer, read through stores(): the end-to-end
// tests reset it (caddykit.ResetProcessState) while a request of the
// config just stopped may still be finishing and reading StoredBytes, as
// the dashboard's traffic record does when a request ends (a race the
// detector reported in CI).
var storesPtr atomic.Pointer[caddy.UsagePool]

// stores is the live pool of stores.
func stores() *caddy.UsagePool { return storesPtr.Load() }

func init() {
	storesPtr.Store(caddy.NewUsagePool())
	// what a new process starts with, for the end-to-end tests
	caddykit.OnProcessReset(func() { storesPtr.Store(caddy.NewUsagePool()) })
}

// The cache's Prometheus metrics, created once per process and registered
// into each config's metrics registry (the one behind the admin endpoint's
// /metrics), so their values carry on across config reloads.
var metrics = struct {
	requests    *prometheus.CounterVec
	storedBytes prometheus.GaugeFunc
}{
	requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "cache", Name: "requests_total",
		Help: "Requests seen by response_cache, by result (hit, miss, stale, coalesced, revalidated, bypass).",
	}, []string{"result"}),
	storedBytes: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "caddy_gateway", Subsystem: "cache", Name: "stored_bytes",
		Help: "Bytes of responses (bodies and headers) stored by every response_cache of the process.",
	}, func() float64 { return float64(StoredBytes()) }),
}

// registerMetrics adds the cache's collectors to a config's registry; a
// collector already there (another handler of the same config) is fine.
func registerMetrics(reg *prometheus.Registry) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{metrics.requests, metrics.storedBytes} {
		var already prometheus.AlreadyRegisteredError
		if err := reg.Register(c); err != nil && !errors.As(err, &already) {
			return err
		}
	}
	return nil
}

type cacheResult int

const (
	cacheHit cacheResult = iota
	cacheMiss
	cacheStale
	cacheCoalesced
	cacheRevalidated
	cacheBypass
	cacheResults
)

var cacheCounters = func() [cacheResults]prometheus.Counter {
	var c [cacheResults]prometheus.Counter
	for i, name := range cacheResultNames {
		c[i] = metrics.requests.WithLabelValues(name)
	}
	return c
}()

// cacheMetric counts one request's result, and notes it for the
// dashboard's traffic (req may be nil).
func cacheMetric(req *http.Request, r cacheResult) {
	cacheCounters[r].Inc()
	if req == nil {
		return
	}
	switch r {
	case cacheHit, cacheStale, cacheCoalesced, cacheRevalidated:
		caddykit.NoteCacheResult(req, traffic.CacheHit)
	case cacheMiss:
		caddykit.NoteCacheResult(req, traffic.CacheMiss)
	}
}

// cacheResultNames are the results' label values, in cacheResult order.
var cacheResultNames = [cacheResults]string{"hit", "miss", "stale", "coalesced", "revalidated", "bypass"}

// CacheStats is what every response_cache of the process holds and has
// seen, for the dashboard and the dashboard's traffic.
type CacheStats struct {
	// Requests counts the requests seen since the process started, by
	// result (hit, miss, stale, coalesced, revalidated, bypass); results
	// never seen are left out.
	Requests map[string]int64
	// StoredBytes and Keys are what the live stores hold in memory.
	StoredBytes uint64
	Keys        int
	// InflightBytes are kept of responses being fetched, not yet stored,
	// and of entries that left the store while a hit was still being
	// written from them (at most max_size/2 per store, give or take a
	// response).
	InflightBytes int64
	// Stores is the number of live stores (one per max_size,
	// max_item_size and backend of the loaded configs).
	Stores int
}

// Stats sums the live stores and reads the request counters. It walks
// every store: call it once per dashboard refresh or sample, not per
// request.
func Stats() CacheStats {
	st := CacheStats{Requests: map[string]int64{}}
	for i, c := range cacheCounters {
		var m dto.Metric
		if c.Write(&m) == nil && m.Counter.GetValue() > 0 {
			st.Requests[cacheResultNames[i]] = int64(m.Counter.GetValue())
		}
	}
	stores().Range(func(_, v any) bool {
		if s, ok := v.(*cacheStore); ok {
			b, k := s.mem.Stats()
			st.StoredBytes += b
			st.Keys += k
			st.InflightBytes += s.inflight.Load() + s.mem.Held()
			st.Stores++
		}
		return true
	})
	return st
}

// StoredBytes sums the bytes the live stores hold in memory (bodies and
// headers): the caddy_gateway_cache_stored_bytes gauge, and the
// dashboard's traffic samples it once a second.
func StoredBytes() uint64 {
	var total uint64
	stores().Range(func(_, v any) bool {
		if s, ok := v.(*cacheStore); ok {
			b, _ := s.mem.Stats()
			total += b
		}
		return true
	})
	return total
}
