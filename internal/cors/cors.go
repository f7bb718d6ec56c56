// Package cors decides the CORS protocol of the Fetch standard
// (https://fetch.spec.whatwg.org/#http-cors-protocol) for a gateway: which
// origins, methods and request headers a cross-origin caller may use, and
// the header values that say so. It knows nothing of net/http: the Caddy
// layer reads the request headers and writes the answers.
package cors

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is what a user configures.
type Config struct {
	// Origins: exact origins (scheme://host[:port]), patterns whose host
	// starts with "*." (https://*.example.com: one or more whole labels in
	// front of example.com), "null" (only when listed), or "*" for any
	// origin (only without Credentials).
	Origins []string
	// Methods allowed in preflights and actual requests; default GET, HEAD,
	// POST.
	Methods []string
	// Headers a request may carry beyond the CORS-safelisted ones; "*"
	// allows any (only without Credentials).
	Headers []string
	// Expose lists the response headers a page may read.
	Expose []string
	// Credentials lets the page send cookies and HTTP authentication, and
	// read the answer.
	Credentials bool
	// MaxAge is how long a browser may cache a preflight answer; 0 leaves
	// it to the browser.
	MaxAge time.Duration
	// PrivateNetwork answers Private Network Access preflights of allowed
	// origins.
	PrivateNetwork bool
}

// Policy is a checked Config, ready for requests. It is safe for concurrent
// use and never changes.
type Policy struct {
	anyOrigin   bool
	exact       map[string]bool
	patterns    []pattern
	methods     []string
	anyHeader   bool
	headers     map[string]bool // lower case
	expose      string
	credentials bool
	maxAge      string
	private     bool
}

type pattern struct {
	scheme string // "https://"
	suffix string // ".example.com" (with the port, if any)
}

// New checks c and returns its Policy; the error says what is wrong.
func New(c Config) (*Policy, error) {
	p := &Policy{exact: map[string]bool{}, headers: map[string]bool{}, credentials: c.Credentials, private: c.PrivateNetwork}
	if len(c.Origins) == 0 {
		return nil, errors.New("no origins: name the origins that may call, e.g. origins https://app.example.com")
	}
	for _, o := range c.Origins {
		if err := p.addOrigin(o); err != nil {
			return nil, err
		}
	}
	if p.anyOrigin && c.Credentials {
		return nil, errors.New(`origins * with credentials: browsers refuse a wildcard origin on credentialed requests; list the origins`)
	}
	p.methods = []string{"GET", "HEAD", "POST"}
	if len(c.Methods) > 0 {
		p.methods = nil
		for _, m := range c.Methods {
			if m == "" || strings.IndexFunc(m, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
				return nil, fmt.Errorf("method %q is not an HTTP method name", m)
			}
			// Fetch normalizes these to upper case; others are case-sensitive
			if up := strings.ToUpper(m); slices.Contains([]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}, up) {
				m = up
			}
			p.methods = append(p.methods, m)
		}
	}
	for _, h := range c.Headers {
		if h == "*" {
			if c.Credentials {
				return nil, errors.New(`headers * with credentials: browsers do not honour the wildcard on credentialed requests; list the headers`)
			}
			p.anyHeader = true
			continue
		}
		if h == "" || strings.IndexFunc(h, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
			return nil, fmt.Errorf("header %q is not a header name", h)
		}
		p.headers[strings.ToLower(h)] = true
	}
	for _, h := range c.Expose {
		if h == "" || strings.IndexFunc(h, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
			return nil, fmt.Errorf("expose: %q is not a header name", h)
		}
	}
	p.expose = strings.Join(c.Expose, ", ")
	if c.MaxAge < 0 {
		return nil, fmt.Errorf("max_age %s is negative", c.MaxAge)
	}
	if c.MaxAge > 0 {
		p.maxAge = strconv.FormatInt(int64(c.MaxAge/time.Second), 10)
	}
	return p, nil
}

func (p *Policy) addOrigin(o string) error {
	switch {
	case o == "*":
		p.anyOrigin = true
		return nil
	case o == "null":
		p.exact["null"] = true
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("origin %q is not scheme://host[:port], e.g. https://app.example.com", o)
	}
	host := strings.ToLower(u.Host)
	// browsers leave the default port out of an origin
	if (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80") {
		host = strings.TrimSuffix(host, ":"+u.Port())
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		if strings.Contains(rest, "*") || !strings.Contains(strings.TrimSuffix(rest, ":"+u.Port()), ".") {
			return fmt.Errorf("origin pattern %q: the * must stand for whole labels in front of a domain of at least two labels, e.g. https://*.example.com", o)
		}
		p.patterns = append(p.patterns, pattern{scheme: u.Scheme + "://", suffix: "." + rest})
		return nil
	}
	if strings.Contains(host, "*") {
		return fmt.Errorf("origin pattern %q: a * may only open the host, as in https://*.example.com", o)
	}
	p.exact[u.Scheme+"://"+host] = true
	return nil
}

// AnyOrigin reports whether every origin is allowed (origins *, without
// credentials): the answers then do not depend on the origin.
func (p *Policy) AnyOrigin() bool { return p.anyOrigin }

// AllowOrigin reports whether a request from origin (the Origin header's
// value) may read the answer.
func (p *Policy) AllowOrigin(origin string) bool {
	if origin == "" {
		return false
	}
	if origin == "null" {
		return p.exact["null"] // an opaque origin: only when listed
	}
	if p.anyOrigin {
		return true
	}
	// origins are serialized in lower case by browsers; compare as such
	o := origin
	if hasUpper(o) {
		o = strings.ToLower(o)
	}
	if p.exact[o] {
		return true
	}
	for _, pt := range p.patterns {
		if rest, ok := strings.CutPrefix(o, pt.scheme); ok {
			if label, ok := strings.CutSuffix(rest, pt.suffix); ok && validLabels(label) {
				return true
			}
		}
	}
	return false
}

// validLabels reports whether s is one or more DNS labels joined by dots
// (what a * of a pattern stands for): no empty label, no port, no
// userinfo, nothing but letters, digits and hyphens.
func validLabels(s string) bool {
	if s == "" {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// AllowMethod reports whether method may be used.
func (p *Policy) AllowMethod(method string) bool { return slices.Contains(p.methods, method) }

// AllowHeaders reports whether every header named in an
// Access-Control-Request-Headers value (a comma-separated list; several
// header lines are joined) may be sent.
func (p *Policy) AllowHeaders(requested []string) bool {
	if p.anyHeader {
		return true
	}
	for _, line := range requested {
		for name := range strings.SplitSeq(line, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !p.headers[strings.ToLower(name)] {
				return false
			}
		}
	}
	return true
}

// AllowOriginValue is the Access-Control-Allow-Origin value for an allowed
// origin: "*" when any origin may call without credentials, else the origin.
func (p *Policy) AllowOriginValue(origin string) string {
	if p.anyOrigin && origin != "null" {
		return "*"
	}
	return origin
}

// Credentials reports whether Access-Control-Allow-Credentials: true is sent.
func (p *Policy) Credentials() bool { return p.credentials }

// Expose is the Access-Control-Expose-Headers value ("" for none).
func (p *Policy) Expose() string { return p.expose }

// MaxAge is the Access-Control-Max-Age value ("" for none).
func (p *Policy) MaxAge() string { return p.maxAge }

// PrivateNetwork reports whether Private Network Access preflights of
// allowed origins are answered.
func (p *Policy) PrivateNetwork() bool { return p.private }

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// isTokenChar reports whether r may appear in an HTTP token (RFC 9110).
func isTokenChar(r rune) bool {
	if r >= 0x80 || r <= ' ' {
		return false
	}
	return !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
}
