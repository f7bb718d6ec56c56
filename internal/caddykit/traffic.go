package caddykit

import (
	"net/http"

	"github.com/caddygateway/caddy-gateway/internal/traffic"
)

// The dashboard's traffic (docs/dashboard.md) is kept by the root package
// (traffic.go): the first of the gateway's handlers on a request's route
// starts the request's record, the others mark it. Module packages cannot
// import the root, so they reach it through these hooks, which the root
// sets once in its init. Unset (a program that does not link the root),
// they record nothing.

// TrafficRecord is a request's record, for the handler that started it.
type TrafficRecord interface {
	// Finish counts the request once its handler returned err.
	Finish(r *http.Request, err error)
}

// TrafficHooks are the root's traffic recording.
type TrafficHooks struct {
	// Start starts the request's record unless a handler before did
	// (then it returns nil and w).
	Start func(w http.ResponseWriter, r *http.Request) (TrafficRecord, http.ResponseWriter)
	// Cache notes response_cache's result for the request.
	Cache func(r *http.Request, result traffic.Cache)
}

var trafficHooks TrafficHooks

// SetTrafficHooks installs the root's traffic recording; the root calls it
// from init, before any request.
func SetTrafficHooks(h TrafficHooks) { trafficHooks = h }

// StartTraffic starts the request's record, unless a handler before did.
// The caller that gets a record owns it: it serves the request with the
// returned writer, then calls Finish. At the top of ServeHTTP (with a
// named error result):
//
//	if rec, rw := caddykit.StartTraffic(w, r); rec != nil {
//		defer func() { rec.Finish(r, err) }()
//		w = rw
//	}
//
// (err passed by value from a deferred closure: a pointer through the
// interface would move err to the heap, one allocation per request.)
func StartTraffic(w http.ResponseWriter, r *http.Request) (TrafficRecord, http.ResponseWriter) {
	if trafficHooks.Start == nil {
		return nil, w
	}
	return trafficHooks.Start(w, r)
}

// NoteCacheResult notes response_cache's result for the request:
// traffic.CacheHit (a stored answer served: fresh, stale, coalesced or
// revalidated) or traffic.CacheMiss.
func NoteCacheResult(r *http.Request, result traffic.Cache) {
	if trafficHooks.Cache != nil {
		trafficHooks.Cache(r, result)
	}
}
