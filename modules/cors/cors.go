// Package cors is the `cors` handler (http.handlers.gateway_cors): CORS for the
// routes it wraps, with the decisions made by internal/cors.
package cors

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	engine "github.com/caddygateway/caddy-gateway/internal/cors"
)

func init() {
	caddy.RegisterModule(CORS{})
}

// CORS lets browser pages of other origins call the routes it wraps, by
// the CORS protocol of the Fetch standard. It answers preflight requests
// itself (204) before any authentication, so they never reach jwt_auth or
// the service, and adds the CORS headers to the actual responses of
// allowed origins, refusals (401, 403, 429, 503) included, so the page can
// read them. A disallowed origin or method gets no CORS headers: the
// browser then keeps the answer from the page.
//
// On its routes the gateway owns CORS: Access-Control-* headers an upstream
// sends are replaced by the gateway's.
//
// The decisions are made by internal/cors, written for this handler rather
// than taken from a middleware library: Caddy's `header` directive edits
// header values in place, so every value set here is a fresh slice, which
// net/http CORS middlewares (github.com/rs/cors) do not guarantee, and their
// wildcard origins match any characters where this one matches whole DNS
// labels.
type CORS struct {
	// The origins that may call: exact origins (https://app.example.com),
	// patterns whose * stands for one or more whole labels
	// (https://*.example.com), "null" (never allowed unless listed), or
	// "*" for any origin (not with credentials).
	Origins []string `json:"origins,omitempty"`

	// The methods pages may use. Default: GET, HEAD, POST.
	Methods []string `json:"methods,omitempty"`

	// The request headers pages may send beyond the CORS-safelisted ones
	// (e.g. Authorization, Content-Type for JSON); "*" for any (not with
	// credentials). Default: none.
	Headers []string `json:"headers,omitempty"`

	// The response headers pages may read beyond the CORS-safelisted ones
	// (e.g. RateLimit, X-Request-Id).
	Expose []string `json:"expose,omitempty"`

	// Let pages send cookies and HTTP authentication with
	// `credentials: "include"` and read the answers.
	Credentials bool `json:"credentials,omitempty"`

	// How long a browser may cache a preflight answer. Default: unset (the
	// browser's own default, 5s in Chromium).
	MaxAge caddy.Duration `json:"max_age,omitempty"`

	// Answer Private Network Access preflights (a public page calling a
	// gateway on a private address) of allowed origins.
	PrivateNetwork bool `json:"private_network,omitempty"`

	policy *engine.Policy
	// preflightVary is the Vary value of every preflight answer
	preflightVary string
}

// CaddyModule returns the Caddy module information.
func (CORS) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.gateway_cors",
		New: func() caddy.Module { return new(CORS) },
	}
}

// Provision compiles the policy.
func (c *CORS) Provision(caddy.Context) error {
	p, err := engine.New(c.config())
	if err != nil {
		return fmt.Errorf("cors: %w", err)
	}
	c.policy = p
	c.preflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
	if c.PrivateNetwork {
		c.preflightVary += ", Access-Control-Request-Private-Network"
	}
	return nil
}

func (c *CORS) config() engine.Config {
	return engine.Config{Origins: c.Origins, Methods: c.Methods, Headers: c.Headers, Expose: c.Expose,
		Credentials: c.Credentials, MaxAge: time.Duration(c.MaxAge), PrivateNetwork: c.PrivateNetwork}
}

// Validate checks the settings (Provision has compiled them).
func (c *CORS) Validate() error {
	if c.policy == nil {
		return fmt.Errorf("cors: not provisioned")
	}
	return nil
}

// ServeHTTP answers preflights and marks actual responses.
func (c *CORS) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	origins := r.Header["Origin"]
	origin := ""
	if len(origins) == 1 { // two Origin headers: no browser sends that; no CORS
		origin = origins[0]
	}
	h := w.Header()
	if r.Method == http.MethodOptions && len(origins) > 0 && len(r.Header["Access-Control-Request-Method"]) > 0 {
		addVary(h, c.preflightVary)
		c.preflight(h, r, origin)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if !c.policy.AnyOrigin() || c.Credentials {
		addVary(h, "Origin")
	}
	// without Origin (not a browser's cross-origin request) nothing is
	// allowed: the upstream's Access-Control-* fields are dropped all the
	// same, since the gateway owns CORS on this route and a browser may
	// reuse a cached copy for a cross-origin request
	allowed := origin != "" && c.policy.AllowOrigin(origin) && c.policy.AllowMethod(r.Method)
	if allowed {
		c.actual(h, origin)
	}
	cw := &corsWriter{c: c, origin: origin, allowed: allowed}
	cw.ResponseWriter = w
	return next.ServeHTTP(cw, r)
}

// preflight sets the answer's headers when the origin, the method and the
// headers are allowed, and none otherwise.
func (c *CORS) preflight(h http.Header, r *http.Request, origin string) {
	method := r.Header.Get("Access-Control-Request-Method")
	requested := r.Header["Access-Control-Request-Headers"]
	if origin == "" || !c.policy.AllowOrigin(origin) || !c.policy.AllowMethod(method) || !c.policy.AllowHeaders(requested) {
		return
	}
	// one backing array for every value, each slice capped at its one
	// element: fresh per response, and an append or an in-place edit of
	// one never reaches another
	vals := make([]string, 0, 6)
	set := func(name, value string) {
		vals = append(vals, value)
		h[name] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	set("Access-Control-Allow-Origin", c.policy.AllowOriginValue(origin))
	set("Access-Control-Allow-Methods", method)
	if len(requested) == 1 {
		// the names themselves, not "*": a wildcard never covers
		// Authorization
		set("Access-Control-Allow-Headers", requested[0])
	} else if len(requested) > 1 {
		set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	}
	if c.Credentials {
		set("Access-Control-Allow-Credentials", "true")
	}
	if v := c.policy.MaxAge(); v != "" {
		set("Access-Control-Max-Age", v)
	}
	if c.PrivateNetwork && r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		set("Access-Control-Allow-Private-Network", "true")
	}
}

// actual sets the headers of an allowed origin's actual response, each a
// fresh slice (one backing array, each slice capped at its element),
// replacing any set before.
func (c *CORS) actual(h http.Header, origin string) {
	dropCORSHeaders(h)
	vals := [3]string{c.policy.AllowOriginValue(origin), "true", c.policy.Expose()}
	backing := vals[:] // escapes: one allocation for the three values
	h["Access-Control-Allow-Origin"] = backing[0:1:1]
	if c.Credentials {
		h["Access-Control-Allow-Credentials"] = backing[1:2:2]
	}
	if vals[2] != "" {
		h["Access-Control-Expose-Headers"] = backing[2:3:3]
	}
}

// intact reports whether h holds exactly the headers actual set for
// origin: nothing the upstream added or changed.
func (c *CORS) intact(h http.Header, origin string) bool {
	n := 0
	for k, v := range h {
		if !strings.HasPrefix(k, "Access-Control-") {
			continue
		}
		n++
		var want string
		switch k {
		case "Access-Control-Allow-Origin":
			want = c.policy.AllowOriginValue(origin)
		case "Access-Control-Allow-Credentials":
			want = "true"
		case "Access-Control-Expose-Headers":
			want = c.policy.Expose()
		default:
			return false
		}
		if len(v) != 1 || v[0] != want {
			return false
		}
	}
	expected := 1
	if c.Credentials {
		expected++
	}
	if c.policy.Expose() != "" {
		expected++
	}
	return n == expected
}

// dropCORSHeaders removes every Access-Control-* header.
func dropCORSHeaders(h http.Header) {
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
}

// addVary adds value to the Vary header unless a Vary line holds it
// already, without touching the slice it had (it may be shared).
func addVary(h http.Header, value string) {
	prev := h["Vary"]
	for _, v := range prev {
		if v == value || v == "*" {
			return
		}
	}
	h["Vary"] = append(prev[:len(prev):len(prev)], value)
}

// corsWriter puts the gateway's CORS headers on the response when it
// starts, after the upstream's headers were copied in: an allowed origin
// gets the gateway's, any other none at all (an upstream that echoes every
// origin must not open the route to origins the gateway refuses).
type corsWriter struct {
	caddyhttp.ResponseWriterWrapper
	c       *CORS
	origin  string
	allowed bool
	started bool
}

func (cw *corsWriter) start() {
	if cw.started {
		return
	}
	cw.started = true
	h := cw.ResponseWriter.Header()
	switch {
	case !cw.allowed:
		dropCORSHeaders(h)
	case !cw.c.intact(h, cw.origin):
		cw.c.actual(h, cw.origin)
	}
	if !cw.c.policy.AnyOrigin() || cw.c.Credentials {
		addVary(h, "Origin")
	}
}

func (cw *corsWriter) WriteHeader(status int) {
	if status >= 200 || status == http.StatusSwitchingProtocols {
		cw.start()
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *corsWriter) Write(b []byte) (int, error) {
	cw.start()
	return cw.ResponseWriter.Write(b)
}

func (cw *corsWriter) ReadFrom(r io.Reader) (int64, error) {
	cw.start()
	return cw.ResponseWriterWrapper.ReadFrom(r)
}

// FlushError is what http.ResponseController calls: a flush before the
// first write starts the response.
func (cw *corsWriter) FlushError() error {
	cw.start()
	return http.NewResponseController(cw.ResponseWriter).Flush()
}

// Hijack starts the response (a WebSocket upgrade written by hand).
func (cw *corsWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	cw.start()
	return http.NewResponseController(cw.ResponseWriter).Hijack()
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	cors [<matcher>] {
//		origins <origin...>
//		methods <method...>
//		headers <header...>
//		expose <header...>
//		credentials
//		max_age <duration>
//		private_network
//	}
func (c *CORS) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("cors takes a block (origins, methods, ...), not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		args := d.RemainingArgs()
		switch opt {
		case "origins", "methods", "headers", "expose":
			if len(args) == 0 {
				return d.Errf("%s needs at least one value", opt)
			}
			field := map[string]*[]string{"origins": &c.Origins, "methods": &c.Methods, "headers": &c.Headers, "expose": &c.Expose}[opt]
			*field = append(*field, args...)
		case "credentials", "private_network":
			if len(args) != 0 {
				return d.Errf("%s takes no argument; unexpected %q", opt, args[0])
			}
			if opt == "credentials" {
				c.Credentials = true
			} else {
				c.PrivateNetwork = true
			}
		case "max_age":
			if len(args) != 1 {
				return d.Errf("max_age takes one duration, e.g. max_age 10m")
			}
			dur, err := caddy.ParseDuration(args[0])
			if err != nil || dur < 0 {
				return d.Errf("max_age %q is not a duration such as 10m", args[0])
			}
			c.MaxAge = caddy.Duration(dur)
		default:
			return d.Errf("unrecognized subdirective %q; cors knows: origins, methods, headers, expose, credentials, max_age, private_network", opt)
		}
	}
	// what depends only on these values fails here, with the file and line
	if _, err := engine.New(c.config()); err != nil {
		return d.Errf("%v", err)
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*CORS)(nil)
	_ caddy.Validator             = (*CORS)(nil)
	_ caddyhttp.MiddlewareHandler = (*CORS)(nil)
	_ caddyfile.Unmarshaler       = (*CORS)(nil)
)
