package waf

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// BenchmarkWAF is the handler's own cost at paranoia 1: a small GET, a
// 2 KB JSON POST (the body inspected), and the dearest requests the
// default limits let through, before the next handler.
func BenchmarkWAF(b *testing.B) {
	w := provisioned(b, &WAF{})
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	body := `{"order": {"id": "A-1042", "customer": "Jane Doe", "email": "jane@example.com", "note": "` + strings.Repeat("Please deliver after five. ", 70) + `", "items": 3, "total": 37.5}}`
	var fields strings.Builder
	fields.WriteString("{")
	for i := 0; fields.Len() < 2000; i++ {
		if i > 0 {
			fields.WriteString(",")
		}
		fmt.Fprintf(&fields, `"field%d": "v%d"`, i, i)
	}
	fields.WriteString("}")
	worst := worstAllowed(defaultBodyLimit, defaultMaxArguments)
	for _, c := range []struct {
		name, method, path, body, cookie string
	}{
		// each GET distinct (a counter in the query), so the engine runs
		// every time; the same GET again is a verdict cache hit
		{"GET", "GET", "/api/items?page=2&sort=name&n=", "", ""},
		{"GET the same again", "GET", "/api/items?page=2&sort=name", "", ""},
		{"POST 2KB JSON", "POST", "/api/items?page=2&sort=name", body, ""},
		{"POST 2KB JSON of short fields", "POST", "/api/items?page=2&sort=name", fields.String(), ""},
		{"POST 16KiB JSON one field", "POST", "/api/items", oneField(defaultBodyLimit), ""},
		{"worst allowed", "POST", worst.path, worst.body, worst.cookie},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			defer func() { b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op") }()
			n := 0
			for b.Loop() {
				var body io.Reader // a GET has no body (http.NoBody), as through Caddy
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				path := c.path
				if strings.HasSuffix(path, "&n=") {
					n++
					path += strconv.Itoa(n)
				}
				req := httptest.NewRequest(c.method, path, body)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "Mozilla/5.0")
				req.Header.Set("Accept", "application/json")
				// as go run ./bench sends: a bearer token (an HS256 JWT)
				req.Header.Set("Authorization", benchToken)
				if c.cookie != "" {
					req.Header.Set("Cookie", c.cookie)
				}
				rec := httptest.NewRecorder()
				if err := w.ServeHTTP(rec, req, next); err != nil || rec.Code != http.StatusOK {
					b.Fatalf("%v %d", err, rec.Code)
				}
			}
		})
	}
}

// benchToken is an HS256 JWT's shape and length, as go run ./bench sends.
const benchToken = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTYzMTUwNzksImlzcyI6ImJlbmNoIiwic3ViIjoiYmVuY2gtdXNlciJ9.3bY0kq2v5Hc0m7Qy1cB9rXo8uYb3lZr6pWm2d4TqgEk"

// oneField is a JSON body of size bytes: one field of text.
func oneField(size int) string {
	text := strings.Repeat("lorem ipsum dolor sit amet ", size/27+1)
	return `{"text": "` + text[:size-12] + `"}`
}

type request struct{ path, body, cookie string }

// worstAllowed is the dearest request within the limits: 2 × maxArgs
// arguments in all (the cap on all places together), in the places that
// cost the most per argument, the cookies (maxArgs) and the query
// (maxArgs-1 parameters), and a JSON body of bodyLimit bytes in the one
// field left (a cost per argument and one per byte).
func worstAllowed(bodyLimit, maxArgs int) request {
	w := worstPerPlace(bodyLimit, maxArgs)
	var query strings.Builder
	for i := range maxArgs - 1 {
		fmt.Fprintf(&query, "&q%d=lorem+ipsum+dolor", i)
	}
	return request{"/api/items?" + query.String()[1:], oneField(bodyLimit), w.cookie}
}

// worstPerPlace is the dearest request within each place's limit, the
// dearest allowed before the cap on all places together (3 × maxArgs
// arguments, refused now): a JSON body of bodyLimit bytes in maxArgs
// fields, maxArgs query parameters and maxArgs cookies, all of text.
func worstPerPlace(bodyLimit, maxArgs int) request {
	var body, query, cookie strings.Builder
	per := bodyLimit/maxArgs - len(`"f000":"",`)
	text := strings.Repeat("lorem ipsum dolor sit amet ", per/27+1)[:per]
	body.WriteString("{")
	for i := range maxArgs {
		if i > 0 {
			body.WriteString(",")
			query.WriteString("&")
			cookie.WriteString("; ")
		}
		fmt.Fprintf(&body, `"f%03d":%q`, i, text)
		fmt.Fprintf(&query, "q%d=lorem+ipsum+dolor", i)
		fmt.Fprintf(&cookie, "c%d=loremipsumdolor", i)
	}
	body.WriteString("}")
	b := body.String()
	// to the byte: the last field's text shortened or padded
	if d := len(b) - bodyLimit; d > 0 {
		b = b[:len(b)-2-d] + `"}`
	} else {
		b = b[:len(b)-2] + strings.Repeat("x", -d) + `"}`
	}
	return request{"/api/items?" + query.String(), b, cookie.String()}
}

// cpuTime is the CPU this process has used (user and system): the cost
// of a request, robust to a busy machine where wall time is not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
