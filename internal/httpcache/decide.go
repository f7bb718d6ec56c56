package httpcache

import (
	"net/http"
	"strconv"
	"time"
)

// Request is what the cache knows of a GET or HEAD when it decides what to
// do with it.
type Request struct {
	CC         Directives // the request's Cache-Control (Pragma: no-cache as no-cache)
	Credential bool       // it carries a credential, or was authenticated
	Separated  bool       // the key tells this caller apart from others
	Range      bool       // it asks for a range
	Policy     Policy
}

// Waits tells whether the request may wait for another one fetching the
// same resource and take its answer (it would not with no-cache or
// max-age=0).
func (q Request) Waits() bool { return !q.CC.NoCache && q.CC.MaxAge != 0 }

// Action is what the handler does with a request.
type Action uint8

const (
	// Fetch: go upstream, and store the response when it may be stored.
	Fetch Action = iota
	// Serve: answer with the stored entry.
	Serve
	// ServeThenRevalidate: answer with the stale entry, then revalidate
	// it (stale-while-revalidate).
	ServeThenRevalidate
	// Revalidate: ask upstream, conditionally when the entry has
	// validators; the entry may answer instead within stale-if-error.
	Revalidate
	// Pass: go upstream and store nothing (a range the store cannot
	// answer).
	Pass
	// Unsatisfiable: only-if-cached without an entry that may answer: 504.
	Unsatisfiable
)

// Decision is the cache's answer for one request: what to do, with which
// entry, and what Cache-Status (RFC 9211) says of it.
type Decision struct {
	Action Action
	Entry  *Entry // the entry served or revalidated; nil for Fetch, Pass and Unsatisfiable
	Status string // Cache-Status parameters after the cache's name
	Stale  bool   // Entry is answered stale
}

// Decide says what to do with a request given the entry the store found
// for it (nil when none; keyFound when the key had entries but none for
// this request's Vary values).
func Decide(q Request, e *Entry, keyFound bool, now time.Time) Decision {
	if e != nil && q.Credential && !q.Separated && !SharedForCredentials(e.CC) {
		e = nil // RFC 9111 §3.5: not for a request with credentials
	}
	if q.Range {
		// a range of a fresh stored complete response is served from it;
		// otherwise the request goes upstream as it is, and partial
		// responses are not stored
		if e != nil && e.Status == http.StatusOK && e.TTL(now) > 0 && !e.CC.NoCache && !q.CC.NoCache &&
			(q.CC.MaxAge < 0 || e.Age(now) <= q.CC.MaxAge) {
			return Decision{Action: Serve, Entry: e, Status: "hit"}
		}
		return Decision{Action: Pass, Status: "fwd=bypass; detail=range"}
	}
	if e != nil {
		if d, ok := decideStored(q, e, now); ok {
			return d
		}
	}
	if q.CC.OnlyIfCached {
		return Decision{Action: Unsatisfiable, Status: "fwd=miss; detail=only-if-cached"}
	}
	if keyFound {
		return Decision{Action: Fetch, Status: "fwd=vary-miss"}
	}
	return Decision{Action: Fetch, Status: "fwd=uri-miss"}
}

// decideStored is what a stored entry allows: an answer when it is fresh
// enough for the request, a stale one where max-stale or
// stale-while-revalidate allow it, else a revalidation (none under
// only-if-cached: ok is false).
func decideStored(q Request, e *Entry, now time.Time) (Decision, bool) {
	age := e.Age(now)
	ttl := e.Lifetime - age
	mustValidate := q.CC.NoCache || e.CC.NoCache ||
		(q.CC.MaxAge >= 0 && age > q.CC.MaxAge) ||
		(q.CC.MinFresh >= 0 && ttl < q.CC.MinFresh)
	if ttl > 0 && !mustValidate {
		return Decision{Action: Serve, Entry: e, Status: "hit"}, true
	}
	staleOK := !mustValidate && !e.CC.MustRevalidate && !e.CC.ProxyRevalidate && e.CC.SMaxAge < 0
	stale := "hit; ttl=" + strconv.FormatInt(int64(ttl/time.Second), 10) + "; detail="
	if ttl <= 0 && staleOK && q.CC.MaxStale >= -ttl {
		return Decision{Action: Serve, Entry: e, Status: stale + "max-stale", Stale: true}, true
	}
	swr := e.CC.StaleWhileRevalidate
	if e.SC != nil && e.SC.StaleWhileRevalidate >= 0 {
		swr = e.SC.StaleWhileRevalidate
	}
	if swr < 0 {
		swr = q.Policy.StaleWhileRevalidate
	}
	if ttl <= 0 && staleOK && -ttl <= swr {
		return Decision{Action: ServeThenRevalidate, Entry: e, Status: stale + "stale-while-revalidate", Stale: true}, true
	}
	if q.CC.OnlyIfCached {
		return Decision{}, false
	}
	// with validators a conditional request; without, a plain one (still
	// able to fall back on the stored response within stale-if-error)
	return Decision{Action: Revalidate, Entry: e}, true
}

// SharedForCredentials tells whether a stored response may answer a
// request with credentials (RFC 9111 §3.5).
func SharedForCredentials(cc Directives) bool {
	return cc.Public || cc.SMaxAge >= 0 || cc.MustRevalidate
}
