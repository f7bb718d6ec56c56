package caddykit

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Credentials: where requests carry them, for every module that must know.
//
// A request carries a credential when it has a field or query parameter
// that some authentication reads (Authorization, Cookie, the common API-key
// fields, and whatever the loaded jwt_auth handlers and response_cache's
// `credentials` name), or when an authentication handler accepted it
// (it set {http.auth.user.id}, even to nothing: a token without `sub` still
// names a caller). response_cache never shares a per-caller answer between
// such requests, and no log line the plugin writes holds the value of a
// credential query parameter.
//
// The sources the loaded modules name are kept in one process-wide set
// (credentials, below), added at Provision (AddCredentialSources) and
// removed at Cleanup (RemoveCredentialSources): during a reload the new
// config adds its sources before the old one removes its own, so nothing
// is ever uncounted. It lives here, not in the root's processState, so
// that the module packages under modules/ reach it without importing the
// root.

// defaultCredentialHeaders are the request fields that carry a credential
// in common APIs, whatever the config says.
var defaultCredentialHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie",
	"X-Api-Key", "Api-Key", "X-Auth-Token", "X-Access-Token", "X-Api-Token",
}

// defaultCredentialQuery are the query parameters that make a request
// credentialed for response_cache. (Redaction in logs is broader:
// credentialParams in redact.go.)
var defaultCredentialQuery = []string{"access_token", "api_key", "apikey"}

// CredentialSources names request fields and query parameters that carry a
// credential.
type CredentialSources struct {
	Headers []string // field names (AddCredentialSources canonicalizes them)
	Query   []string
	// the same as sources ("header:<Name>", "query:<lower name>"), made
	// once per change of the set so the request path builds no string
	headerSources, querySources []string
}

// credentialSet is the process-wide union of the sources the loaded
// modules read credentials from, with the defaults. Reads are lock-free.
type credentialSet struct {
	mu     sync.Mutex
	owners map[any]CredentialSources
	snap   atomic.Pointer[CredentialSources]
}

// credentials is the process-wide set: the sources of the modules of every
// loaded config (two during a reload), with the defaults.
var credentials = newCredentialSet()

// AddCredentialSources records the sources a module reads credentials from
// until RemoveCredentialSources(owner): response_cache counts a request
// carrying one as credentialed, and logs redact such query parameters.
// Modules call it from Provision.
func AddCredentialSources(owner any, s CredentialSources) { credentials.add(owner, s) }

// RemoveCredentialSources forgets owner's sources; modules call it from
// Cleanup.
func RemoveCredentialSources(owner any) { credentials.remove(owner) }

// CredentialHeaders are the request fields counted as credentials now: the
// defaults and those of every loaded module.
func CredentialHeaders() []string { return slices.Clone(credentials.current().Headers) }

func newCredentialSet() *credentialSet {
	c := &credentialSet{owners: map[any]CredentialSources{}}
	c.publish()
	return c
}

// add records owner's sources until remove(owner).
func (c *credentialSet) add(owner any, s CredentialSources) {
	for i, h := range s.Headers {
		s.Headers[i] = http.CanonicalHeaderKey(h)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.owners[owner] = s
	c.publish()
}

// remove forgets owner's sources.
func (c *credentialSet) remove(owner any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.owners[owner]; ok {
		delete(c.owners, owner)
		c.publish()
	}
}

// publish makes the union readable; c.mu is held (or c is new).
func (c *credentialSet) publish() {
	u := CredentialSources{
		Headers: slices.Clone(defaultCredentialHeaders),
		Query:   slices.Clone(defaultCredentialQuery),
	}
	for _, s := range c.owners {
		for _, h := range s.Headers {
			if !slices.Contains(u.Headers, h) {
				u.Headers = append(u.Headers, h)
			}
		}
		for _, q := range s.Query {
			if !slices.ContainsFunc(u.Query, func(x string) bool { return strings.EqualFold(x, q) }) {
				u.Query = append(u.Query, q)
			}
		}
	}
	for _, h := range u.Headers {
		u.headerSources = append(u.headerSources, "header:"+h)
	}
	for _, q := range u.Query {
		u.querySources = append(u.querySources, "query:"+strings.ToLower(q))
	}
	c.snap.Store(&u)
}

// current is the union now.
func (c *credentialSet) current() *CredentialSources { return c.snap.Load() }

// CredentialSourceVar is the request variable an authentication handler
// of this plugin sets to the source it read the credential from
// ("header:Authorization", "cookie:session", "query:access_token"), so
// that response_cache knows which credential {http.auth.user.id} stands
// for. Without it (Caddy's basic_auth) it is the Authorization field.
const CredentialSourceVar = "gateway.credential_source"

// AuthRealmVar is the request variable an authentication handler of this
// plugin sets to who vouched for {http.auth.user.id}: "api_key" (a
// consumer), "jwt_auth" and the token's iss, "token_introspection" and its
// endpoint. The same id from two realms is two callers (a sub "alice" from
// two identity providers, a consumer "alice" and a token's sub "alice"):
// response_cache keys {http.auth.user.id} with it. Caddy's basic_auth and
// others set none: "".
const AuthRealmVar = "gateway.auth_realm"

// CredentialSourceOf names a source in CredentialSourceVar's notation:
// "header:<Canonical>", "query:<lower>"; the Authorization scheme of
// api_key is the Authorization field.
func CredentialSourceOf(kind, name string) string {
	switch kind {
	case "query":
		return "query:" + strings.ToLower(name)
	case "authorization":
		return "header:Authorization"
	case "cookie":
		return "cookie:" + name
	}
	return "header:" + http.CanonicalHeaderKey(name)
}

// RequestCredentials are the credentials a request carries.
type RequestCredentials struct {
	// sources present: "header:<Canonical-Name>" or "query:<lower name>"
	sources []string
	// an authentication handler accepted it ({http.auth.user.id} is set),
	// from authSource, in the same notation (a cookie: header:Cookie)
	authenticated bool
	authSource    string
	// who vouched for {http.auth.user.id} (AuthRealmVar), "" when unsaid
	realm string
}

// Realm is who vouched for {http.auth.user.id} (AuthRealmVar): the same id
// from two realms is two callers.
func (c *RequestCredentials) Realm() string { return c.realm }

// AuthenticatedBy tells whether an authentication handler accepted the
// request, and the source it read the credential from.
func (c *RequestCredentials) AuthenticatedBy() (source string, ok bool) {
	return c.authSource, c.authenticated
}

// Any tells whether the request carries a credential or was authenticated.
func (c *RequestCredentials) Any() bool { return c.authenticated || len(c.sources) > 0 }

// CoveredBy tells whether every credential of the request is told apart
// by the covered sources (of key parts that have a value): a credential
// field or parameter by a part naming it, the authenticated caller by
// {http.auth.user.id} ("user"), which also stands for the source the
// authenticator read. A request without credentials is covered by nothing.
func (c *RequestCredentials) CoveredBy(covered []string) bool {
	if !c.Any() {
		return false
	}
	user := slices.Contains(covered, "user")
	if c.authenticated && !user {
		return false
	}
	for _, s := range c.sources {
		if !slices.Contains(covered, s) && !(user && s == c.authSource) {
			return false
		}
	}
	return true
}

// CredentialsOf finds the credentials a request carries: the credential
// fields and query parameters of the process-wide set that it has, and
// whether (and from what) an authentication handler accepted it.
func CredentialsOf(r *http.Request, repl *caddy.Replacer) RequestCredentials {
	var c RequestCredentials
	if repl != nil {
		if _, ok := repl.Get("http.auth.user.id"); ok {
			c.authenticated = true
			c.authSource = "header:Authorization"
			c.realm, _ = caddyhttp.GetVar(r.Context(), AuthRealmVar).(string)
			if src, ok := caddyhttp.GetVar(r.Context(), CredentialSourceVar).(string); ok && src != "" {
				c.authSource = src
				if strings.HasPrefix(src, "cookie:") {
					c.authSource = "header:Cookie"
				}
			}
		}
	}
	s := credentials.current()
	for i, h := range s.Headers {
		if len(r.Header[h]) > 0 {
			c.sources = append(c.sources, s.headerSources[i])
		}
	}
	if r.URL.RawQuery != "" {
		c.sources = appendQueryNames(c.sources, r.URL.RawQuery, s.Query, s.querySources)
	}
	return c
}

// appendQueryNames appends "query:<name>" for each of names that a raw
// query has (in any case, and as PHP and Rails read it: name[] and
// name[x] are name; ';' separates parameters as '&' does for some
// servers), allocating only for names with escapes.
func appendQueryNames(out []string, raw string, names, sources []string) []string {
	for raw != "" {
		i := strings.IndexAny(raw, "&;")
		part := raw
		if i >= 0 {
			part, raw = raw[:i], raw[i+1:]
		} else {
			raw = ""
		}
		k, _, _ := strings.Cut(part, "=")
		k = normalizeParamName(k)
		for i, n := range names {
			if strings.EqualFold(k, n) && !slices.Contains(out, sources[i]) {
				out = append(out, sources[i])
			}
		}
	}
	return out
}

// normalizeParamName is a query parameter's name as servers may read it:
// unescaped, cut at '[' (name[] and name[x] are name to PHP and Rails),
// without the blanks and control bytes around it.
func normalizeParamName(k string) string {
	if strings.ContainsAny(k, "%+") {
		if u, err := url.QueryUnescape(k); err == nil {
			k = u
		}
	}
	if i := strings.IndexByte(k, '['); i >= 0 {
		k = k[:i]
	}
	return strings.TrimFunc(k, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// IsCredential tells whether a covered source (KeyCovers) is a credential:
// the authenticated user, or a field or parameter of the process-wide set.
func IsCredential(cover string) bool {
	if cover == "user" {
		return true
	}
	s := credentials.current()
	if h, ok := strings.CutPrefix(cover, "header:"); ok {
		return slices.Contains(s.Headers, h)
	}
	if q, ok := strings.CutPrefix(cover, "query:"); ok {
		return slices.ContainsFunc(s.Query, func(n string) bool { return strings.EqualFold(n, q) })
	}
	return false
}

// KeyCovers is what a response_cache key template tells apart: "user"
// for {http.auth.user.id}, "header:<Name>" for {http.request.header.Name}
// and "query:<name>" for {http.request.uri.query.name}. Other
// placeholders (other claims, one cookie) separate no caller.
func KeyCovers(tpl string) []string {
	var out []string
	rest := tpl
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			return out
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return out
		}
		name := rest[open+1 : open+end]
		rest = rest[open+end+1:]
		switch {
		case name == "http.auth.user.id":
			out = append(out, "user")
		case strings.HasPrefix(name, "http.request.header."):
			out = append(out, "header:"+http.CanonicalHeaderKey(strings.TrimPrefix(name, "http.request.header.")))
		case strings.HasPrefix(name, "http.request.uri.query."):
			out = append(out, "query:"+strings.ToLower(strings.TrimPrefix(name, "http.request.uri.query.")))
		}
	}
}
