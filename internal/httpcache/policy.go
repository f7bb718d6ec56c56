package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// heuristicallyCacheable are the status codes RFC 9110 §15.1 defines as
// cacheable by default: a response with one of them may be given heuristic
// freshness when it has none of its own.
func heuristicallyCacheable(status int) bool {
	switch status {
	case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501:
		return true
	}
	return false
}

// understood are the status codes whose caching rules this cache knows; a
// response with must-understand and another status is not stored.
func understood(status int) bool {
	return heuristicallyCacheable(status) || status == 302 || status == 303 || status == 307 ||
		status == 400 || status == 403 || status == 500 || status == 502 || status == 503 || status == 504
}

// HeuristicCap bounds heuristic freshness (10% of the time since
// Last-Modified) so that a resource untouched for years is not served
// unchanged for months.
const HeuristicCap = 24 * time.Hour

// Policy is what a response_cache adds to the RFC's rules.
type Policy struct {
	// DefaultTTL, when positive, is the freshness of a storable response
	// without any (instead of the RFC's Last-Modified heuristic).
	DefaultTTL time.Duration
	// StaleWhileRevalidate and StaleIfError are the windows used when the
	// response does not give its own.
	StaleWhileRevalidate, StaleIfError time.Duration
	// Separated is true when the cache key separates callers (e.g. by the
	// authenticated user), so that requests with Authorization may reuse
	// and store responses like any other (RFC 9111 §3.5 protects callers
	// only while they share entries).
	Separated bool
}

// Storable tells whether a response to a GET may be stored by a shared
// cache (RFC 9111 §3), and why not when it may not. authorized is true when
// the request carried credentials. sc are the response's Surrogate-Control
// directives for this cache, nil when it has none: its no-store and max-age
// take precedence over Cache-Control's no-store and freshness.
func (p Policy) Storable(status int, h http.Header, req, resp Directives, sc *Directives, authorized bool) (bool, string) {
	if sc != nil {
		if sc.NoStore {
			return false, "surrogate-control no-store"
		}
		if sc.MaxAge >= 0 {
			resp.NoStore = false
			resp.MaxAge = sc.MaxAge
		}
	}
	switch {
	case status < 200 || status == 206 || status == 304:
		return false, "status"
	case req.NoStore:
		return false, "request no-store"
	case resp.NoStore:
		return false, "no-store"
	case resp.Private && len(resp.PrivateFields) == 0:
		return false, "private"
	case resp.MustUnderstand && !understood(status):
		return false, "must-understand"
	case authorized && !p.Separated && !resp.Public && resp.SMaxAge < 0 && !resp.MustRevalidate:
		return false, "authorization"
	}
	if hasVaryStar(h) {
		return false, "vary *"
	}
	explicit := resp.Public || resp.MaxAge >= 0 || resp.SMaxAge >= 0 || len(h["Expires"]) > 0
	if explicit || heuristicallyCacheable(status) {
		return true, ""
	}
	// Without freshness, a validator lets a later request revalidate it.
	if resp.NoCache && (h.Get("Etag") != "" || h.Get("Last-Modified") != "") {
		return true, ""
	}
	return false, "not cacheable"
}

// Lifetime is the freshness lifetime of a response (RFC 9111 §4.2.1) for a
// shared cache; a Surrogate-Control max-age (sc) comes first.
func (p Policy) Lifetime(status int, h http.Header, resp Directives, sc *Directives) time.Duration {
	switch {
	case sc != nil && sc.MaxAge >= 0:
		return sc.MaxAge
	case resp.SMaxAge >= 0:
		return resp.SMaxAge
	case resp.MaxAge >= 0:
		return resp.MaxAge
	}
	if exp := h["Expires"]; len(exp) > 0 {
		if len(exp) > 1 {
			return 0
		}
		e, err := http.ParseTime(exp[0])
		if err != nil {
			return 0 // an invalid Expires (e.g. "0") means already expired
		}
		date, ok := dateOf(h)
		if !ok {
			return 0
		}
		if d := e.Sub(date); d > 0 {
			return d
		}
		return 0
	}
	if !heuristicallyCacheable(status) && !resp.Public {
		return 0
	}
	if p.DefaultTTL > 0 {
		return p.DefaultTTL
	}
	if lm, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		date, ok := dateOf(h)
		if ok && date.After(lm) {
			return min(date.Sub(lm)/10, HeuristicCap)
		}
	}
	return 0
}

// dateOf reads the Date field of a stored response.
func dateOf(h http.Header) (time.Time, bool) {
	v := h["Date"]
	if len(v) != 1 {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v[0])
	return t, err == nil
}

// hasVaryStar tells whether the response varies on everything.
func hasVaryStar(h http.Header) bool {
	for _, line := range h["Vary"] {
		for _, f := range strings.Split(line, ",") {
			if strings.TrimSpace(f) == "*" {
				return true
			}
		}
	}
	return false
}

// InitialAge is the response's age when it was received (RFC 9111 §4.2.3):
// the larger of its Age field and the time its Date says it has been
// under way, plus the time the request took.
func InitialAge(h http.Header, requestTime, responseTime time.Time) time.Duration {
	apparent := time.Duration(0)
	if date, ok := dateOf(h); ok && responseTime.After(date) {
		apparent = responseTime.Sub(date)
	}
	ageValue := time.Duration(0)
	if a := h["Age"]; len(a) > 0 {
		// One delta-seconds; anything else (several values, a sign, a
		// fraction, parameters) makes the response count as stale.
		d, ok := time.Duration(0), len(a) == 1
		if ok {
			d, ok = deltaSeconds(strings.TrimSpace(a[0]))
		}
		if !ok {
			return maxDeltaSeconds * time.Second
		}
		ageValue = d
	}
	corrected := ageValue + responseTime.Sub(requestTime)
	return max(apparent, corrected)
}

// VaryFields returns the request fields a response varies on, canonical
// and in order, nil for none.
func VaryFields(h http.Header) []string {
	var out []string
	for _, line := range h["Vary"] {
		for _, f := range strings.Split(line, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, http.CanonicalHeaderKey(f))
			}
		}
	}
	return out
}

// VaryValues is the key of a request among the variants of a response that
// varies on fields: each field's lines, joined, with whitespace around
// commas normalized (RFC 9111 §4.1 lets a cache normalize).
func VaryValues(req http.Header, fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f)
		b.WriteByte(0)
		vals := req[f]
		if vals == nil {
			b.WriteByte(1) // absent differs from empty
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			for j, part := range strings.Split(v, ",") {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strings.TrimSpace(part))
			}
		}
		b.WriteByte(0)
	}
	return b.String()
}
