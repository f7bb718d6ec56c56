package httpcache

import (
	"net/http"
	"strings"
)

// NotModified tells whether a client's conditional GET or HEAD is answered
// 304 by the stored response e (RFC 9111 §4.3.2): If-None-Match by weak
// comparison of entity tags; without it, If-Modified-Since against the
// entry's Last-Modified (or Date).
func NotModified(req http.Header, e *Entry) bool {
	if inm := req["If-None-Match"]; len(inm) > 0 {
		etag := e.ETag()
		if etag == "" {
			return false
		}
		for _, line := range inm {
			for _, t := range splitETags(line) {
				if t == "*" || weakEqual(t, etag) {
					return true
				}
			}
		}
		return false
	}
	ims := req.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	since, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	lm := e.LastModified()
	if lm == "" {
		lm = headerValue(e.Header, "Date")
	}
	t, err := http.ParseTime(lm)
	if err != nil {
		return false
	}
	return !t.After(since)
}

// IsConditional tells whether a request carries a validator a cache may
// answer with 304.
func IsConditional(req http.Header) bool {
	return len(req["If-None-Match"]) > 0 || len(req["If-Modified-Since"]) > 0
}

func weakEqual(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// splitETags splits an If-None-Match line into entity tags, respecting
// commas inside quotes.
func splitETags(s string) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out
		}
		if s[0] == '*' {
			out = append(out, "*")
			s = s[1:]
			continue
		}
		start := 0
		if strings.HasPrefix(s, "W/") {
			start = 2
		}
		if start >= len(s) || s[start] != '"' {
			// not an entity tag: skip to the next comma
			i := strings.IndexByte(s, ',')
			if i < 0 {
				return out
			}
			s = s[i:]
			continue
		}
		end := strings.IndexByte(s[start+1:], '"')
		if end < 0 {
			return out
		}
		out = append(out, s[:start+end+2])
		s = s[start+end+2:]
	}
}
