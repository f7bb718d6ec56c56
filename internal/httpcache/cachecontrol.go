// Package httpcache is the engine of the gateway's response_cache: the rules
// of an HTTP shared cache (RFC 9111, RFC 5861's stale-while-revalidate and
// stale-if-error), a bounded store of responses (W-TinyLFU eviction by
// github.com/maypok86/otter/v2) with purges by URL and tag, and request
// coalescing. It knows HTTP header fields but nothing of Caddy.
package httpcache

import (
	"strings"
	"time"
)

// Directives are the Cache-Control directives this cache acts on, from a
// request or a response. Durations are -1 when the directive is absent.
type Directives struct {
	MaxAge, SMaxAge          time.Duration
	MaxStale                 time.Duration // request: -1 absent; MaxStaleAny for a bare max-stale
	MinFresh                 time.Duration
	StaleWhileRevalidate     time.Duration
	StaleIfError             time.Duration
	NoCache, NoStore         bool
	NoCacheFields            []string // response no-cache="a, b": those fields need revalidation
	Private                  bool
	PrivateFields            []string // response private="a": those fields are not stored
	Public                   bool
	MustRevalidate           bool
	ProxyRevalidate          bool
	OnlyIfCached             bool
	MustUnderstand, NoTransf bool
	Immutable                bool
}

// MaxStaleAny is a bare max-stale: any staleness is acceptable.
const MaxStaleAny = time.Duration(1<<63 - 1)

// maxDeltaSeconds is where delta-seconds saturate (RFC 9111 §1.2.2 says
// 2^31 at least; larger values count as that).
const maxDeltaSeconds = 1 << 31

// ParseCacheControl reads the Cache-Control field lines of a message. Unknown
// directives are ignored; a directive whose argument is invalid counts as
// the most conservative reading (RFC 9111 §4.2.1: an invalid max-age makes
// the response stale). A directive given twice keeps its first value.
func ParseCacheControl(lines []string) Directives {
	d := Directives{MaxAge: -1, SMaxAge: -1, MaxStale: -1, MinFresh: -1, StaleWhileRevalidate: -1, StaleIfError: -1}
	seen := 0
	for _, line := range lines {
		for len(line) > 0 {
			var name, arg string
			var quoted, hasArg bool
			name, arg, quoted, hasArg, line = nextDirective(line)
			if name == "" {
				continue
			}
			switch strings.ToLower(name) {
			case "max-age":
				d.MaxAge = seconds(d.MaxAge, arg, hasArg, quoted, &seen, 1)
			case "s-maxage":
				d.SMaxAge = seconds(d.SMaxAge, arg, hasArg, quoted, &seen, 2)
			case "min-fresh":
				d.MinFresh = seconds(d.MinFresh, arg, hasArg, quoted, &seen, 4)
			case "stale-while-revalidate":
				d.StaleWhileRevalidate = seconds(d.StaleWhileRevalidate, arg, hasArg, quoted, &seen, 8)
			case "stale-if-error":
				d.StaleIfError = seconds(d.StaleIfError, arg, hasArg, quoted, &seen, 16)
			case "max-stale":
				if seen&32 != 0 {
					continue
				}
				seen |= 32
				if !hasArg {
					d.MaxStale = MaxStaleAny
				} else if v, ok := deltaSeconds(arg); ok {
					d.MaxStale = v
				} // an invalid max-stale is ignored: it cannot make anything fresher
			case "no-cache":
				d.NoCache = true
				if hasArg {
					d.NoCacheFields = append(d.NoCacheFields, fieldNames(arg)...)
				}
			case "no-store":
				d.NoStore = true
			case "private":
				d.Private = true
				if hasArg {
					d.PrivateFields = append(d.PrivateFields, fieldNames(arg)...)
				}
			case "public":
				d.Public = true
			case "must-revalidate":
				d.MustRevalidate = true
			case "proxy-revalidate":
				d.ProxyRevalidate = true
			case "only-if-cached":
				d.OnlyIfCached = true
			case "must-understand":
				d.MustUnderstand = true
			case "no-transform":
				d.NoTransf = true
			case "immutable":
				d.Immutable = true
			}
		}
	}
	return d
}

// seconds parses a delta-seconds argument once (bit marks the directive as
// seen). A present directive with a missing or invalid argument reads as 0,
// the conservative value for max-age and s-maxage; for the stale windows 0
// means none.
func seconds(cur time.Duration, arg string, hasArg, quoted bool, seen *int, bit int) time.Duration {
	if *seen&bit != 0 {
		return cur
	}
	*seen |= bit
	if !hasArg {
		return 0
	}
	v, ok := deltaSeconds(arg)
	if !ok {
		return 0
	}
	return v
}

// deltaSeconds parses 1*DIGIT, saturating at 2^31 seconds.
func deltaSeconds(s string) (time.Duration, bool) {
	if s == "" || len(s) > 64 {
		return 0, false
	}
	n := int64(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < maxDeltaSeconds {
			n = n*10 + int64(c-'0')
		}
	}
	if n > maxDeltaSeconds {
		n = maxDeltaSeconds
	}
	return time.Duration(n) * time.Second, true
}

// nextDirective splits the first directive off a Cache-Control list.
func nextDirective(s string) (name, arg string, quoted, hasArg bool, rest string) {
	s = strings.TrimLeft(s, " \t,")
	i := 0
	for i < len(s) && s[i] != '=' && s[i] != ',' {
		i++
	}
	name = strings.TrimSpace(s[:i])
	if i == len(s) || s[i] == ',' {
		return name, "", false, false, s[i:]
	}
	s = strings.TrimLeft(s[i+1:], " \t")
	hasArg = true
	if strings.HasPrefix(s, `"`) {
		quoted = true
		var b strings.Builder
		j := 1
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' && j+1 < len(s) {
				j++
			}
			b.WriteByte(s[j])
		}
		rest = s[min(j+1, len(s)):]
		if k := strings.IndexByte(rest, ','); k >= 0 {
			rest = rest[k:]
		} else {
			rest = ""
		}
		return name, b.String(), quoted, hasArg, rest
	}
	j := strings.IndexByte(s, ',')
	if j < 0 {
		j = len(s)
	}
	return name, strings.TrimSpace(s[:j]), false, hasArg, s[j:]
}

// fieldNames splits a quoted list of field names.
func fieldNames(arg string) []string {
	var out []string
	for _, f := range strings.Split(arg, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// SurrogateName is this cache's device token in Surrogate-Capability and
// in targeted Surrogate-Control directives (W3C Edge Architecture).
const SurrogateName = "caddy-gateway"

// SurrogateCapability is the Surrogate-Capability member this cache adds to
// the requests it forwards.
const SurrogateCapability = SurrogateName + `="Surrogate/1.0"`

// ParseSurrogateControl reads the Surrogate-Control lines of a response
// (W3C Edge Architecture 1.0): the untargeted directives, overridden by
// those targeted at this cache (";caddy-gateway"); directives targeted at
// other devices are ignored. It returns nil when the response has no
// Surrogate-Control for this cache. Of the directives, max-age=N[+M] (M:
// how long it may be served stale) and no-store are acted on.
func ParseSurrogateControl(lines []string, target string) *Directives {
	if len(lines) == 0 {
		return nil
	}
	var mine, any []string
	for _, line := range lines {
		for _, part := range splitOutsideQuotes(line) {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if i := strings.LastIndexByte(part, ';'); i >= 0 {
				if strings.EqualFold(strings.TrimSpace(part[i+1:]), target) {
					mine = append(mine, part[:i])
				}
				continue
			}
			any = append(any, part)
		}
	}
	list := any
	if len(mine) > 0 {
		list = mine
	}
	if len(list) == 0 {
		return nil
	}
	d := Directives{MaxAge: -1, SMaxAge: -1, MaxStale: -1, MinFresh: -1, StaleWhileRevalidate: -1, StaleIfError: -1}
	for _, p := range list {
		name, arg, hasArg := strings.Cut(p, "=")
		switch strings.ToLower(name) {
		case "no-store":
			d.NoStore = true
		case "max-age":
			if !hasArg || d.MaxAge >= 0 {
				continue
			}
			fresh, stale, _ := strings.Cut(arg, "+")
			if v, ok := deltaSeconds(fresh); ok {
				d.MaxAge = v
				if s, ok := deltaSeconds(stale); ok {
					d.StaleWhileRevalidate = s
				}
			}
		}
	}
	return &d
}

// splitOutsideQuotes splits a list on commas that are not inside quotes.
func splitOutsideQuotes(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
