package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddygateway/caddy-gateway/internal/traffic"
	"github.com/caddygateway/caddy-gateway/modules/responsecache"
)

// The dashboard's traffic (docs/dashboard.md): every request that meets
// one of the gateway's handlers is counted once, under its service, in
// processState.traffic (internal/traffic keeps the last 15 minutes per
// second).
//
// The first of the gateway's handlers on a request's route (jwt_auth,
// api_key, throttle, response_cache, circuit_breaker; load_shed too)
// starts its record with trafficStart: it wraps the response writer to see
// the status, and counts the answer when the handler returns. The handlers
// after it find the record in the request's vars and mark it: `dynamic
// registry` with the service it routed to, refusals with their kind
// (trafficRefused), response_cache with hit or miss. A request no
// `dynamic registry` routed (refused before, or answered by the cache) is
// counted under the service its original path's first segment names, when
// that is a registered service, else under "(other)": the names are always
// registered services, so a client cannot make up series.

// trafficVar is the request variable that holds the request's
// *trafficRecord; a nil one once it is counted.
const trafficVar = "gateway.traffic"

// trafficRecord is one request's record: the writer that notes its status,
// and what the handlers marked.
type trafficRecord struct {
	caddyhttp.ResponseWriterWrapper
	status  int
	start   time.Time
	vars    map[string]any // the request's vars
	service string         // the registered service dynamic registry routed to
	refusal traffic.Refusal
	cache   traffic.Cache
	done    bool // counted: what handle_errors' handlers mark counts no more
	// the process's recorder and registry, taken when the request came
	// in: a record finishes after its answer is sent, by when a test may
	// have swapped processState's for the next one's
	recorder *traffic.Recorder
	registry *registry.Registry
}

// A record is one allocation per request, not pooled: it stays in the
// request's vars after it is counted (finish may not write the vars map:
// reverse_proxy's dials, which can outlive the request, read it), so a
// pooled record would be marked by another request's handle_errors.

// trafficStart starts the request's record, unless a handler before did.
// The caller that gets a record owns it: it serves the request with the
// returned writer, then calls finish. Use it at the top of ServeHTTP
// (with a named error result):
//
//	if rec, rw := trafficStart(w, r); rec != nil {
//		defer rec.finish(r, &err)
//		w = rw
//	}
func trafficStart(w http.ResponseWriter, r *http.Request) (*trafficRecord, http.ResponseWriter) {
	vars, ok := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	if !ok {
		return nil, w
	}
	if _, seen := vars[trafficVar]; seen {
		return nil, w
	}
	// latency counts from when Caddy took the request, as its
	// {http.request.duration} does; that saves reading the clock here
	start, ok := vars["start_time"].(time.Time)
	if !ok {
		start = time.Now()
	}
	rec := &trafficRecord{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, start: start, vars: vars,
		recorder: processState.traffic, registry: processState.registry}
	vars[trafficVar] = rec
	return rec, rec
}

// trafficOf is the request's record, nil when none is open.
func trafficOf(r *http.Request) *trafficRecord {
	vars, _ := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	if rec, _ := vars[trafficVar].(*trafficRecord); rec != nil && !rec.done {
		return rec
	}
	return nil
}

// trafficRefused marks the request refused (the first refusal marked
// stands). The refuse helper marks 401 and 429; circuit_breaker marks its
// 503s.
func trafficRefused(r *http.Request, why traffic.Refusal) {
	if rec := trafficOf(r); rec != nil && rec.refusal == traffic.NotRefused {
		rec.refusal = why
	}
}

// recordShed marks a request load_shed refused with 503, so the dashboard
// counts it as shed. load_shed calls it before it refuses (and, to count
// requests it is the first gateway handler of, trafficStart at the top of
// its ServeHTTP).
func recordShed(r *http.Request) { trafficRefused(r, traffic.Refused503Shed) }

// trafficRouted notes the service dynamic registry routed the request to.
func trafficRouted(vars map[string]any, service string) {
	if rec, _ := vars[trafficVar].(*trafficRecord); rec != nil && !rec.done {
		rec.service = service
	}
}

// trafficCache notes response_cache's result for the request
// (caddykit.NoteCacheResult).
func trafficCache(r *http.Request, result traffic.Cache) {
	if rec := trafficOf(r); rec != nil {
		rec.cache = result
	}
}

// The module packages under modules/ reach the records through caddykit.
func init() {
	caddykit.SetTrafficHooks(caddykit.TrafficHooks{
		Start: func(w http.ResponseWriter, r *http.Request) (caddykit.TrafficRecord, http.ResponseWriter) {
			if rec, rw := trafficStart(w, r); rec != nil {
				return rec, rw
			}
			return nil, w // never a nil *trafficRecord in a non-nil interface
		},
		Cache: trafficCache,
	})
}

func (rec *trafficRecord) WriteHeader(code int) {
	if rec.status == 0 && code >= 200 {
		rec.status = code
	}
	rec.ResponseWriterWrapper.WriteHeader(code)
}

func (rec *trafficRecord) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriterWrapper.Write(b)
}

// Finish is finish, for caddykit.TrafficRecord.
func (rec *trafficRecord) Finish(r *http.Request, err error) { rec.finish(r, &err) }

// finish counts the request, once its handler returned *errp.
func (rec *trafficRecord) finish(r *http.Request, errp *error) {
	now := time.Now()
	status := rec.status
	if err := *errp; status == 0 && err != nil {
		if r.Context().Err() != nil || errors.Is(err, context.Canceled) {
			status = 499 // the client went away before an answer
		} else {
			status = http.StatusInternalServerError
			var he caddyhttp.HandlerError
			if errors.As(err, &he) && he.StatusCode != 0 {
				status = he.StatusCode // the status the error routes answer with
			}
		}
	}
	refusal := rec.refusal
	if refusal == traffic.NotRefused && status == http.StatusForbidden && rec.service == "" && rec.cache == traffic.NoCache {
		refusal = traffic.Refused403 // refused before routing: the waf (a module of its own, it cannot mark)
	}
	name := rec.service
	if name == "" {
		name = requestService(r, rec.registry)
	}
	// counted: handle_errors' handlers start no second record (the vars
	// still hold this one) and mark nothing more
	rec.done = true
	latency := now.Sub(rec.start)
	cache := rec.cache
	tr := rec.recorder

	tr.Service(name, now).Record(now, status, latency, refusal, cache)
	if sec := now.Unix(); trafficSampled.Load() != sec && trafficSampled.Swap(sec) != sec {
		tr.StoredBytes(now, responsecache.StoredBytes()) // once a second at most
	}
}

// trafficSampled is the last second the cache's stored bytes were sampled.
var trafficSampled atomic.Int64

// requestService is the registered service the request's original path
// names in its first segment, or traffic.Other.
func requestService(r *http.Request, reg *registry.Registry) string {
	p := r.URL.Path
	if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.URL != nil {
		p = or.URL.Path
	}
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		p = p[:i]
	}
	if p != "" && reg.Route(p) != nil {
		return p
	}
	return traffic.Other
}

// defaultTrafficWindow is traffic.json's window when none is asked for.
const defaultTrafficWindow = 300

// trafficJSON is traffic.json: the last `window` seconds (1 to 900,
// default 300) per second, with totals over them; with `since` (a unix
// second), only the seconds after it per second (the totals still over the
// window), as docs/dashboard.md describes.
func trafficJSON(q url.Values) ([]byte, error) {
	tr := processState.traffic
	tr.StoredBytes(time.Now(), responsecache.StoredBytes()) // a sample even while no request comes
	n := defaultTrafficWindow
	if window := q.Get("window"); window != "" {
		var err error
		if n, err = strconv.Atoi(window); err != nil || n < 1 || n > traffic.Seconds {
			return nil, fmt.Errorf("traffic.json: window %q must be a number of seconds from 1 to %d", window, traffic.Seconds)
		}
	}
	v := tr.Read(n)
	if since := q.Get("since"); since != "" {
		s, err := strconv.ParseInt(since, 10, 64)
		if err != nil || s < 0 {
			return nil, fmt.Errorf("traffic.json: since %q is not a unix time in seconds", since)
		}
		v = v.After(s)
	}
	return json.Marshal(struct {
		traffic.View
		Window      int `json:"window_seconds"`
		MaxServices int `json:"max_services"`
		BoundBytes  int `json:"memory_bound_bytes"`
	}{v, n, traffic.MaxServices, tr.BoundBytes()})
}
