package gateway

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"
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
// (processState.credentials), added at Provision and removed at Cleanup:
// during a reload the new config adds its sources before the old one
// removes its own, so nothing is ever uncounted.

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

// credentialSources names request fields and query parameters that carry a
// credential.
type credentialSources struct {
	headers []string // canonical field names
	query   []string
}

// credentialSet is the process-wide union of the sources the loaded
// modules read credentials from, with the defaults. Reads are lock-free.
type credentialSet struct {
	mu     sync.Mutex
	owners map[any]credentialSources
	snap   atomic.Pointer[credentialSources]
}

func newCredentialSet() *credentialSet {
	c := &credentialSet{owners: map[any]credentialSources{}}
	c.publish()
	return c
}

// add records owner's sources until remove(owner).
func (c *credentialSet) add(owner any, s credentialSources) {
	for i, h := range s.headers {
		s.headers[i] = http.CanonicalHeaderKey(h)
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
	u := credentialSources{
		headers: slices.Clone(defaultCredentialHeaders),
		query:   slices.Clone(defaultCredentialQuery),
	}
	for _, s := range c.owners {
		for _, h := range s.headers {
			if !slices.Contains(u.headers, h) {
				u.headers = append(u.headers, h)
			}
		}
		for _, q := range s.query {
			if !slices.ContainsFunc(u.query, func(x string) bool { return strings.EqualFold(x, q) }) {
				u.query = append(u.query, q)
			}
		}
	}
	c.snap.Store(&u)
}

// current is the union now.
func (c *credentialSet) current() *credentialSources { return c.snap.Load() }

// carriesCredential tells whether a request carries a credential or was
// accepted by an authentication handler.
func carriesCredential(r *http.Request, repl *caddy.Replacer) bool {
	if repl != nil {
		if _, ok := repl.Get("http.auth.user.id"); ok {
			return true
		}
	}
	s := processState.credentials.current()
	for _, h := range s.headers {
		if len(r.Header[h]) > 0 {
			return true
		}
	}
	return r.URL.RawQuery != "" && queryHasAny(r.URL.RawQuery, s.query)
}

// queryHasAny tells whether a raw query has a parameter named (in any case)
// as one of names, allocating only for names with escapes.
func queryHasAny(raw string, names []string) bool {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(part, "=")
		if strings.ContainsAny(k, "%+") {
			if u, err := url.QueryUnescape(k); err == nil {
				k = u
			}
		}
		for _, n := range names {
			if strings.EqualFold(k, n) {
				return true
			}
		}
	}
	return false
}
