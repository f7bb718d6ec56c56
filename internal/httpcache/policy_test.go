package httpcache

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseCacheControl(t *testing.T) {
	cases := []struct {
		in    string
		check func(d Directives) bool
	}{
		{"max-age=60", func(d Directives) bool { return d.MaxAge == 60*time.Second && d.SMaxAge == -1 }},
		{`max-age="60"`, func(d Directives) bool { return d.MaxAge == 60*time.Second }},
		{"max-age=60, max-age=1", func(d Directives) bool { return d.MaxAge == 60*time.Second }}, // first wins
		{"max-age=abc", func(d Directives) bool { return d.MaxAge == 0 }},                        // invalid: stale
		{"max-age=-1", func(d Directives) bool { return d.MaxAge == 0 }},
		{"max-age", func(d Directives) bool { return d.MaxAge == 0 }},
		{"max-age=99999999999999999999", func(d Directives) bool { return d.MaxAge == maxDeltaSeconds*time.Second }},
		{"MAX-AGE=5, S-MAXAGE=7", func(d Directives) bool { return d.MaxAge == 5*time.Second && d.SMaxAge == 7*time.Second }},
		{"no-cache, no-store", func(d Directives) bool { return d.NoCache && d.NoStore && len(d.NoCacheFields) == 0 }},
		{`no-cache="Set-Cookie, X-A"`, func(d Directives) bool {
			return d.NoCache && len(d.NoCacheFields) == 2 && d.NoCacheFields[1] == "X-A"
		}},
		{`private="X-Secret", public`, func(d Directives) bool { return d.Private && d.Public && d.PrivateFields[0] == "X-Secret" }},
		{"max-stale", func(d Directives) bool { return d.MaxStale == MaxStaleAny }},
		{"max-stale=10", func(d Directives) bool { return d.MaxStale == 10*time.Second }},
		{"max-stale=x", func(d Directives) bool { return d.MaxStale == -1 }},
		{"min-fresh=5, only-if-cached", func(d Directives) bool { return d.MinFresh == 5*time.Second && d.OnlyIfCached }},
		{"stale-while-revalidate=30, stale-if-error=60", func(d Directives) bool {
			return d.StaleWhileRevalidate == 30*time.Second && d.StaleIfError == 60*time.Second
		}},
		{"must-revalidate, proxy-revalidate, immutable, foo=\"a,b\", max-age=3", func(d Directives) bool {
			return d.MustRevalidate && d.ProxyRevalidate && d.Immutable && d.MaxAge == 3*time.Second
		}},
		{", ,,", func(d Directives) bool { return d.MaxAge == -1 && !d.NoCache }},
	}
	for _, c := range cases {
		if d := ParseCacheControl([]string{c.in}); !c.check(d) {
			t.Errorf("ParseCacheControl(%q) = %+v", c.in, d)
		}
	}
	// two lines are one list
	if d := ParseCacheControl([]string{"public", "max-age=9"}); !d.Public || d.MaxAge != 9*time.Second {
		t.Errorf("two lines: %+v", d)
	}
}

func TestParseSurrogateControl(t *testing.T) {
	if ParseSurrogateControl(nil, SurrogateName) != nil {
		t.Fatal("no field must give nil")
	}
	d := ParseSurrogateControl([]string{"max-age=60+30"}, SurrogateName)
	if d == nil || d.MaxAge != time.Minute || d.StaleWhileRevalidate != 30*time.Second {
		t.Fatalf("max-age=60+30: %+v", d)
	}
	if d := ParseSurrogateControl([]string{"max-age=10, no-store;caddy-gateway"}, SurrogateName); d == nil || !d.NoStore || d.MaxAge != -1 {
		t.Fatalf("a directive targeted at us overrides the untargeted ones: %+v", d)
	}
	if d := ParseSurrogateControl([]string{"no-store;other-cdn"}, SurrogateName); d != nil {
		t.Fatalf("directives for another device must be ignored: %+v", d)
	}
	if d := ParseSurrogateControl([]string{"MaX-aGe=5"}, SurrogateName); d == nil || d.MaxAge != 5*time.Second {
		t.Fatalf("case: %+v", d)
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestStorable(t *testing.T) {
	p := Policy{}
	none := ParseCacheControl(nil)
	cases := []struct {
		name       string
		status     int
		h          http.Header
		req        string
		authorized bool
		sep        bool
		want       bool
	}{
		{"max-age", 200, hdr("Cache-Control", "max-age=60"), "", false, false, true},
		{"no freshness, heuristic status", 200, hdr(), "", false, false, true},
		{"no freshness, 201", 201, hdr(), "", false, false, false},
		{"201 with max-age", 201, hdr("Cache-Control", "max-age=5"), "", false, false, true},
		{"599 public", 599, hdr("Cache-Control", "public"), "", false, false, true},
		{"no-store", 200, hdr("Cache-Control", "max-age=60, no-store"), "", false, false, false},
		{"request no-store", 200, hdr("Cache-Control", "max-age=60"), "no-store", false, false, false},
		{"private", 200, hdr("Cache-Control", "max-age=60, private"), "", false, false, false},
		{"private with fields", 200, hdr("Cache-Control", `max-age=60, private="X-A"`), "", false, false, true},
		{"partial", 206, hdr("Cache-Control", "max-age=60"), "", false, false, false},
		{"304", 304, hdr("Cache-Control", "max-age=60"), "", false, false, false},
		{"vary star", 200, hdr("Cache-Control", "max-age=60", "Vary", "Accept, *"), "", false, false, false},
		{"authorization, max-age only", 200, hdr("Cache-Control", "max-age=60"), "", true, false, false},
		{"authorization, public", 200, hdr("Cache-Control", "max-age=60, public"), "", true, false, true},
		{"authorization, s-maxage", 200, hdr("Cache-Control", "s-maxage=60"), "", true, false, true},
		{"authorization, must-revalidate", 200, hdr("Cache-Control", "max-age=60, must-revalidate"), "", true, false, true},
		{"authorization, separated key", 200, hdr("Cache-Control", "max-age=60"), "", true, true, true},
		{"must-understand unknown status", 299, hdr("Cache-Control", "max-age=60, must-understand"), "", false, false, false},
		{"must-understand known status", 200, hdr("Cache-Control", "max-age=60, must-understand, no-store"), "", false, false, false},
	}
	for _, c := range cases {
		p.Separated = c.sep
		resp := ParseCacheControl(c.h["Cache-Control"])
		req := none
		if c.req != "" {
			req = ParseCacheControl([]string{c.req})
		}
		if got, why := p.Storable(c.status, c.h, req, resp, nil, c.authorized); got != c.want {
			t.Errorf("%s: Storable = %v (%s), want %v", c.name, got, why, c.want)
		}
	}
	// Surrogate-Control overrides Cache-Control's no-store and freshness
	h := hdr("Cache-Control", "no-store")
	sc := ParseSurrogateControl([]string{"max-age=100"}, SurrogateName)
	if ok, why := p.Storable(200, h, none, ParseCacheControl(h["Cache-Control"]), sc, false); !ok {
		t.Errorf("surrogate max-age over no-store: %s", why)
	}
	h = hdr("Cache-Control", "max-age=100")
	sc = ParseSurrogateControl([]string{"no-store"}, SurrogateName)
	if ok, _ := p.Storable(200, h, none, ParseCacheControl(h["Cache-Control"]), sc, false); ok {
		t.Error("surrogate no-store must win")
	}
}

func TestLifetime(t *testing.T) {
	date := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	d := date.Format(http.TimeFormat)
	p := Policy{}
	cases := []struct {
		name   string
		status int
		h      http.Header
		want   time.Duration
	}{
		{"s-maxage over max-age", 200, hdr("Cache-Control", "max-age=10, s-maxage=20"), 20 * time.Second},
		{"max-age over Expires", 200, hdr("Cache-Control", "max-age=10", "Date", d, "Expires", date.Add(time.Hour).Format(http.TimeFormat)), 10 * time.Second},
		{"Expires - Date", 200, hdr("Date", d, "Expires", date.Add(time.Hour).Format(http.TimeFormat)), time.Hour},
		{"Expires in the past", 200, hdr("Date", d, "Expires", date.Add(-time.Hour).Format(http.TimeFormat)), 0},
		{"invalid Expires", 200, hdr("Date", d, "Expires", "0"), 0},
		{"two Expires", 200, hdr("Date", d, "Expires", date.Add(time.Hour).Format(http.TimeFormat), "Expires", date.Add(time.Hour).Format(http.TimeFormat)), 0},
		{"heuristic 10%", 200, hdr("Date", d, "Last-Modified", date.Add(-10*time.Hour).Format(http.TimeFormat)), time.Hour},
		{"heuristic capped", 200, hdr("Date", d, "Last-Modified", date.Add(-10000*time.Hour).Format(http.TimeFormat)), HeuristicCap},
		{"no heuristic for 201", 201, hdr("Date", d, "Last-Modified", date.Add(-10*time.Hour).Format(http.TimeFormat)), 0},
		{"nothing", 200, hdr("Date", d), 0},
	}
	for _, c := range cases {
		if got := p.Lifetime(c.status, c.h, ParseCacheControl(c.h["Cache-Control"]), nil); got != c.want {
			t.Errorf("%s: Lifetime = %v, want %v", c.name, got, c.want)
		}
	}
	p.DefaultTTL = 5 * time.Minute
	if got := p.Lifetime(200, hdr("Date", d, "Last-Modified", d), Directives{MaxAge: -1, SMaxAge: -1}, nil); got != 5*time.Minute {
		t.Errorf("default_ttl replaces the heuristic: %v", got)
	}
	if got := p.Lifetime(201, hdr("Date", d), Directives{MaxAge: -1, SMaxAge: -1}, nil); got != 0 {
		t.Errorf("default_ttl is only for cacheable statuses: %v", got)
	}
	sc := ParseSurrogateControl([]string{"max-age=7"}, SurrogateName)
	if got := p.Lifetime(200, hdr("Cache-Control", "max-age=3600"), ParseCacheControl([]string{"max-age=3600"}), sc); got != 7*time.Second {
		t.Errorf("surrogate max-age first: %v", got)
	}
}

func TestInitialAge(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	req := now.Add(-2 * time.Second)
	d := now.Add(-10 * time.Second).Format(http.TimeFormat)
	cases := []struct {
		h    http.Header
		want time.Duration
	}{
		{hdr("Date", now.Format(http.TimeFormat)), 2 * time.Second},                 // request took 2s
		{hdr("Date", d), 10 * time.Second},                                          // apparent age
		{hdr("Date", now.Format(http.TimeFormat), "Age", "100"), 102 * time.Second}, // Age + the trip
		{hdr("Age", "abc"), maxDeltaSeconds * time.Second},
		{hdr("Age", "-5"), maxDeltaSeconds * time.Second},
		{hdr("Age", "1.5"), maxDeltaSeconds * time.Second},
		{hdr("Age", "1", "Age", "2"), maxDeltaSeconds * time.Second},
		{hdr("Age", "7;x=1"), maxDeltaSeconds * time.Second},
	}
	for _, c := range cases {
		if got := InitialAge(c.h, req, now); got != c.want {
			t.Errorf("InitialAge(%v) = %v, want %v", c.h, got, c.want)
		}
	}
}

func TestVary(t *testing.T) {
	resp := hdr("Vary", "accept-language", "Vary", " Accept-Encoding ")
	fields := VaryFields(resp)
	if strings.Join(fields, ",") != "Accept-Language,Accept-Encoding" {
		t.Fatalf("VaryFields = %v", fields)
	}
	e := NewEntry(200, resp, nil, time.Now(), time.Now())
	e.VaryKey = VaryValues(hdr("Accept-Language", "en, fr", "Accept-Encoding", "gzip"), e.VaryFields)
	if !e.Matches(hdr("Accept-Language", "en,fr", "Accept-Encoding", "gzip")) {
		t.Error("whitespace around commas must not matter")
	}
	if e.Matches(hdr("Accept-Language", "de", "Accept-Encoding", "gzip")) {
		t.Error("another language must not match")
	}
	if e.Matches(hdr("Accept-Language", "en, fr")) {
		t.Error("a field absent from the request must not match one present")
	}
	e2 := NewEntry(200, hdr("Vary", "X-A"), nil, time.Now(), time.Now())
	e2.VaryKey = VaryValues(hdr(), e2.VaryFields)
	if e2.Matches(hdr("X-A", "")) {
		t.Error("an empty field is not an absent one")
	}
	if !e2.Matches(hdr()) {
		t.Error("absent matches absent")
	}
}

func TestNotModified(t *testing.T) {
	lm := "Wed, 01 Jan 2025 00:00:00 GMT"
	e := NewEntry(200, hdr("Etag", `W/"v1"`, "Last-Modified", lm, "Date", "Thu, 02 Jan 2025 00:00:00 GMT"), nil, time.Now(), time.Now())
	cases := []struct {
		req  http.Header
		want bool
	}{
		{hdr("If-None-Match", `"v1"`), true}, // weak comparison
		{hdr("If-None-Match", `"v0", W/"v1"`), true},
		{hdr("If-None-Match", `"a,b", "v1"`), true},
		{hdr("If-None-Match", `"v2"`), false},
		{hdr("If-None-Match", `*`), true},
		{hdr("If-None-Match", `"v2"`, "If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"), false}, // INM wins
		{hdr("If-Modified-Since", lm), true},
		{hdr("If-Modified-Since", "Tue, 31 Dec 2024 00:00:00 GMT"), false},
		{hdr("If-Modified-Since", "garbage"), false},
	}
	for _, c := range cases {
		if got := NotModified(c.req, e); got != c.want {
			t.Errorf("NotModified(%v) = %v, want %v", c.req, got, c.want)
		}
	}
	noLM := NewEntry(200, hdr("Date", "Thu, 02 Jan 2025 00:00:00 GMT"), nil, time.Now(), time.Now())
	if !NotModified(hdr("If-Modified-Since", "Thu, 02 Jan 2025 00:00:00 GMT"), noLM) {
		t.Error("without Last-Modified, Date is the modification time")
	}
}

func TestUpdatedKeepsWhatDescribesTheBody(t *testing.T) {
	e := NewEntry(200, hdr("Etag", `"a"`, "Content-Length", "3", "Content-Md5", "x", "X-Version", "1", "Cache-Control", "max-age=1"), []byte("abc"), time.Now(), time.Now())
	n := e.Updated(hdr("Etag", `"b"`, "Content-Length", "0", "Content-Md5", "y", "X-Version", "2", "Cache-Control", "max-age=60"), time.Now(), time.Now(), false)
	if n.Header.Get("Etag") != `"a"` || n.Header.Get("Content-Length") != "3" || n.Header.Get("Content-Md5") != "x" {
		t.Errorf("fields describing the stored body changed: %v", n.Header)
	}
	if n.Header.Get("X-Version") != "2" || n.CC.MaxAge != time.Minute || string(n.Body) != "abc" {
		t.Errorf("other fields must be updated: %v", n.Header)
	}
	if e.Header.Get("X-Version") != "1" {
		t.Error("the stored entry must not change")
	}
}
