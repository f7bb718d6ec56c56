package httpcache

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// Entry is one stored response. It is never changed once stored: a
// revalidation stores a new Entry in its place, so readers need no lock.
// Header is shared by every reader: copy it before handing it to anything
// that may edit it.
type Entry struct {
	Status       int
	Header       http.Header
	Body         []byte
	RequestTime  time.Time     // when the request that fetched it was sent
	ResponseTime time.Time     // when its response arrived
	InitialAge   time.Duration // its corrected age at ResponseTime
	Lifetime     time.Duration // its freshness lifetime
	CC           Directives    // its Cache-Control
	VaryFields   []string      // the request fields it varies on
	VaryKey      string        // the values of those fields in the request that fetched it
	SC           *Directives   // its Surrogate-Control for this cache, nil without
	Tags         []string      // its Cache-Tag and Surrogate-Key values
	URL          string        // the effective request URL, for purges
	Retain       time.Duration // how long past its freshness it stays stored (stale use, revalidation)
	size         uint32
	// serving is the number of responses being written from the entry
	// (Store.Serve to done), plus leftStore once it has left the store:
	// an entry that left while being written is counted in Store.Held
	// until its last writer is done
	serving atomic.Int64
}

// leftStore marks, in Entry.serving, an entry that is no longer stored.
const leftStore = 1 << 40

// NewEntry makes an entry of a response received at responseTime for a
// request sent at requestTime. The header is taken as it is (the caller
// gives a copy).
func NewEntry(status int, h http.Header, body []byte, requestTime, responseTime time.Time) *Entry {
	e := &Entry{Status: status, Header: h, Body: body, RequestTime: requestTime, ResponseTime: responseTime}
	e.CC = ParseCacheControl(h["Cache-Control"])
	e.SC = ParseSurrogateControl(h["Surrogate-Control"], SurrogateName)
	e.InitialAge = InitialAge(h, requestTime, responseTime)
	e.VaryFields = VaryFields(h)
	e.Tags = tagsOf(h)
	if waste := cap(body) - len(body); waste > 4<<10 && waste > cap(body)/4 {
		e.Body = append(make([]byte, 0, len(body)), body...) // the spare capacity of a grown buffer would stay alive
	}
	e.size = uint32(min(int64(cap(e.Body))+headerSize(h)+entryOverhead, 1<<32-1))
	return e
}

// entryOverhead is an entry's fixed cost: the struct, its parsed
// Surrogate-Control, and a rounding margin.
const entryOverhead = int64(unsafe.Sizeof(Entry{})+unsafe.Sizeof(Directives{})) + 64

// headerSize is what a header map keeps alive: the map (its slots of a
// name and a slice, 8 in a small map, and room to grow in a larger one),
// the names, the values and their slices.
func headerSize(h http.Header) int64 {
	n := int64(64)
	switch slots := int64(len(h)); {
	case slots > 8:
		n += 41 * slots * 5 / 2
	case slots > 0:
		n += 41 * 8
	}
	for k, vs := range h {
		n += int64(len(k)) + 16*int64(cap(vs))
		for _, v := range vs {
			n += int64(len(v))
		}
	}
	return n
}

// stringsSize is what a list of strings keeps alive (its strings' bytes
// when they are not shared with the header).
func stringsSize(l []string) int64 {
	n := 16 * int64(cap(l))
	for _, s := range l {
		n += int64(len(s))
	}
	return n
}

// weight is everything the entry keeps alive but its URL (which may share
// the key's bytes): body, header fields, the struct, and the strings set
// after NewEntry (VaryKey) or parsed out of the header.
func (e *Entry) weight() int64 {
	n := int64(e.size) + int64(len(e.VaryKey)) + stringsSize(e.VaryFields) + stringsSize(e.Tags) +
		stringsSize(e.CC.NoCacheFields) + stringsSize(e.CC.PrivateFields)
	if e.SC != nil {
		n += stringsSize(e.SC.NoCacheFields) + stringsSize(e.SC.PrivateFields)
	}
	return n
}

// Size is the bytes the entry counts for against the store's maximum, its
// URL included.
func (e *Entry) Size() int { return int(min(e.weight()+int64(len(e.URL)), 1<<31-1)) }

// Age is the entry's current age (RFC 9111 §4.2.3).
func (e *Entry) Age(now time.Time) time.Duration {
	return e.InitialAge + max(now.Sub(e.ResponseTime), 0)
}

// TTL is how long it stays fresh from now; negative once stale.
func (e *Entry) TTL(now time.Time) time.Duration { return e.Lifetime - e.Age(now) }

// ETag and LastModified are its validators ("" when it has none).
func (e *Entry) ETag() string         { return headerValue(e.Header, "Etag") }
func (e *Entry) LastModified() string { return headerValue(e.Header, "Last-Modified") }

// HasValidator tells whether it can be revalidated with a conditional request.
func (e *Entry) HasValidator() bool { return e.ETag() != "" || e.LastModified() != "" }

func headerValue(h http.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Matches tells whether the entry was stored for requests like req: the
// fields it varies on have the same values (RFC 9111 §4.1).
func (e *Entry) Matches(req http.Header) bool {
	if len(e.VaryFields) == 0 {
		return true
	}
	return VaryValues(req, e.VaryFields) == e.VaryKey
}

// tagsOf reads the Cache-Tag (comma-separated) and Surrogate-Key
// (space-separated) fields.
func tagsOf(h http.Header) []string {
	var tags []string
	for _, line := range h["Cache-Tag"] {
		for _, t := range strings.Split(line, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	for _, line := range h["Surrogate-Key"] {
		tags = append(tags, strings.Fields(line)...)
	}
	return tags
}

// cachingFields are what a 304 to a credentialed revalidation may change
// in an entry other callers share: how long and how it may be reused,
// never a field about the caller (a session, a token, Authentication-Info,
// Clear-Site-Data).
var cachingFields = []string{"Cache-Control", "Expires", "Date", "Last-Modified", "Surrogate-Control", "Cache-Tag", "Surrogate-Key"}

// Updated returns a copy of e with the header fields of a 304 response
// merged in (RFC 9111 §3.2, §4.3.4), as received at responseTime for a
// request sent at requestTime, its freshness to be set by the caller. A
// 304's Set-Cookie and the fields its private="..." names are never
// merged; with cachingOnly (a credentialed caller revalidated an entry
// others share) only the cachingFields are.
func (e *Entry) Updated(h304 http.Header, requestTime, responseTime time.Time, cachingOnly bool) *Entry {
	h := e.Header.Clone()
	private := ParseCacheControl(h304["Cache-Control"]).PrivateFields
	for k, v := range h304 {
		if cachingOnly && !slices.Contains(cachingFields, k) {
			continue
		}
		switch k {
		case "Content-Length", "Content-Encoding", "Content-Range", "Content-Md5", "Etag",
			"Transfer-Encoding", "Trailer", "Connection":
			continue // these describe the stored body, not the 304's; the entity tag selected it
		case "Set-Cookie":
			continue // the revalidating caller's, never every later caller's
		}
		if slices.ContainsFunc(private, func(f string) bool { return http.CanonicalHeaderKey(f) == k }) {
			continue
		}
		h[k] = append([]string(nil), v...)
	}
	n := NewEntry(e.Status, h, e.Body, requestTime, responseTime)
	n.VaryKey, n.URL, n.Retain = e.VaryKey, e.URL, e.Retain
	n.VaryFields = e.VaryFields // the variant stays where it was stored
	return n
}
