package httpcache

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzParseCacheControl feeds arbitrary Cache-Control and Surrogate-Control
// values (they come from clients and upstreams): no panic, and every
// duration is absent (-1) or within the saturated range.
func FuzzParseCacheControl(f *testing.F) {
	for _, s := range []string{"max-age=60", `no-cache="a,b", private`, "max-stale", `x="\"`, ",,=,", "max-age=60+30;caddy-gateway", "s-maxage=99999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []Directives{ParseCacheControl([]string{s}), ParseCacheControl(strings.Split(s, "\n"))} {
			for _, v := range []time.Duration{d.MaxAge, d.SMaxAge, d.MinFresh, d.StaleWhileRevalidate, d.StaleIfError} {
				if v < -1 || v > maxDeltaSeconds*time.Second {
					t.Fatalf("%q: duration %v out of range", s, v)
				}
			}
			if d.MaxStale < -1 {
				t.Fatalf("%q: max-stale %v", s, d.MaxStale)
			}
		}
		if sc := ParseSurrogateControl([]string{s}, SurrogateName); sc != nil && (sc.MaxAge < -1 || sc.MaxAge > maxDeltaSeconds*time.Second) {
			t.Fatalf("%q: surrogate max-age %v", s, sc.MaxAge)
		}
	})
}

// FuzzConditional feeds arbitrary If-None-Match, If-Modified-Since, Age,
// Vary and ETag values: no panic; an entity tag always matches itself.
func FuzzConditional(f *testing.F) {
	f.Add(`"a", W/"b"`, "Wed, 01 Jan 2025 00:00:00 GMT", "12", "Accept, *", `"a"`)
	f.Add(`*`, "x", "-1", ",,", `W/"`)
	f.Fuzz(func(t *testing.T, inm, ims, age, vary, etag string) {
		h := http.Header{"Etag": {etag}, "Age": {age}, "Vary": {vary}, "Last-Modified": {ims}}
		e := NewEntry(200, h, nil, time.Now(), time.Now())
		_ = NotModified(http.Header{"If-None-Match": {inm}}, e)
		_ = NotModified(http.Header{"If-Modified-Since": {ims}}, e)
		_ = VaryValues(http.Header{"Accept": {inm}}, e.VaryFields)
		if e.InitialAge < 0 {
			t.Fatalf("negative age for Age %q", age)
		}
		if strings.HasPrefix(etag, `"`) && strings.Count(etag, `"`) == 2 && strings.HasSuffix(etag, `"`) && !strings.Contains(etag, ",") {
			if !NotModified(http.Header{"If-None-Match": {etag}}, e) {
				t.Fatalf("entity tag %s does not match itself", etag)
			}
		}
	})
}
