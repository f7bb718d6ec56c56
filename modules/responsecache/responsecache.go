// Package responsecache is the `response_cache` handler
// (http.handlers.response_cache): an HTTP shared cache (RFC 9111) in
// memory, optionally shared between gateways through Redis, with the
// caching decisions made by internal/httpcache; and its purge API on
// Caddy's admin endpoint (admin.api.response_cache, under
// /response_cache/).
//
// Files: responsecache.go (the module: registration, config, lifecycle,
// ServeHTTP, Caddyfile, guards), responsecache_admin.go (the purge API),
// cachestore.go (the stores the handlers share, which outlive a reload),
// cachestore_redis.go (the store shared through Redis), metrics.go (the
// package's state owner, its Prometheus metrics and Stats for the
// dashboard).
package responsecache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"
	"go.uber.org/zap"
	"golang.org/x/net/http/httpguts"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/httpcache"
)

func init() {
	caddy.RegisterModule(ResponseCache{})
	caddy.RegisterModule(adminResponseCacheAPI{})
}

// response_cache defaults.
const (
	defaultCacheMaxSize     = 128 << 20
	defaultCacheMaxItemSize = 4 << 20
	// coalesceWait bounds how long a request waits for another one fetching
	// the same resource before going upstream itself.
	coalesceWait = 10 * time.Second
	// staleRetain is how long a stored response is kept past its freshness
	// (for revalidation, max-stale and the stale windows) unless those
	// windows are longer.
	staleRetain = 10 * time.Minute
	// CacheName names this cache in Cache-Status (RFC 9211).
	CacheName = "caddy-gateway"
)

// ResponseCache is an HTTP shared cache (RFC 9111) in front of the handlers
// after it, typically reverse_proxy: it stores the responses they give to
// GET requests and answers later requests with them while they are fresh,
// revalidates stale ones with conditional requests, and serves stale ones
// where RFC 5861's stale-while-revalidate and stale-if-error (of the
// response, or of this handler's defaults) allow, for example while the
// upstream fails or a circuit_breaker after it is open.
//
// It obeys the request's and the response's Cache-Control (max-age,
// s-maxage, no-cache, no-store, private, public, must-revalidate,
// proxy-revalidate, min-fresh, max-stale, only-if-cached), Expires, Age,
// Vary (several variants per resource; Vary: * is never stored), and
// invalidates a URL's stored responses when an unsafe method (POST, PUT,
// DELETE, PATCH, ...) succeeds on it or names it in Location or
// Content-Location. A HEAD is answered from a stored GET. Requests with
// Range go upstream untouched and partial responses are never stored.
//
// Credentials: a request that carries a credential — Authorization,
// Cookie, a common API-key field (X-Api-Key, Api-Key, X-Auth-Token,
// X-Access-Token, X-Api-Token), the access_token, api_key or apikey query
// parameter, any field or parameter a loaded jwt_auth reads tokens from or
// `credentials` names — or that an authentication handler before this one
// accepted (jwt_auth, basic_auth: {http.auth.user.id} is set, even empty),
// is answered from, and may store, only responses marked public, s-maxage
// or must-revalidate (RFC 9111 §3.5, extended to all of these) — unless
// the key tells apart every credential the request carries
// ({http.auth.user.id} the authenticated user and the credential its
// authentication read, {http.request.header.<Name>} that field,
// {http.request.uri.query.<name>} that parameter) with parts that have a
// value for it, in which case each caller has entries of their own. A
// credentialed request that the key means to tell apart and cannot (a
// token without `sub` under `key {http.auth.user.id}`, an Authorization
// beside the X-Api-Key the key names) passes the cache: it is neither
// answered from nor stored under an entry other callers would share.
// Responses that set cookies are stored only for separated requests.
//
// Every response carries a Cache-Status field (RFC 9211) and hits an Age
// field. Concurrent misses for one resource make one upstream request; the
// others wait for it (at most 10s, then go upstream themselves). Stored
// responses live in memory, at most max_size bytes of bodies and headers,
// evicted by W-TinyLFU; they survive config reloads that keep max_size,
// max_item_size and backend. The admin endpoint purges them:
// DELETE /response_cache/ (all), ?url=<url>, ?tag=<tag> (Cache-Tag or
// Surrogate-Key of the response).
type ResponseCache struct {
	// The bytes of stored responses (bodies and headers) in all. Default:
	// 128MiB.
	MaxSize int64 `json:"max_size,omitempty"`

	// Responses larger than this pass through without being stored (and
	// without being held in memory whole). Default: 4MiB.
	MaxItemSize int64 `json:"max_item_size,omitempty"`

	// More parts of the cache key, beyond the method and URL: placeholder
	// templates expanded per request, e.g. {http.auth.user.id} for
	// entries of each authenticated user, or {http.request.header.X-Tenant}.
	// Each part is keyed with its template, so two templates that render
	// the same value never share an entry.
	Key []string `json:"key,omitempty"`

	// More request fields that carry a credential (beyond Authorization,
	// Cookie, the common API-key fields and what jwt_auth reads), such as
	// one a forward_auth checks: a request with one is credentialed, and a
	// key part naming it tells them apart. Values never reach the logs.
	CredentialHeaders []string `json:"credential_headers,omitempty"`

	// More query parameters that carry a credential, as CredentialHeaders.
	CredentialQuery []string `json:"credential_query,omitempty"`

	// The freshness given to storable responses that have none of their
	// own (no max-age, s-maxage or Expires). Default: none, and RFC 9111's
	// heuristic applies instead (10% of the time since Last-Modified, at
	// most a day).
	DefaultTTL caddy.Duration `json:"default_ttl,omitempty"`

	// How long past its freshness a stored response may be served while it
	// is revalidated after the answer, when the response does not say
	// (stale-while-revalidate). Default: 0 (only when the response says).
	StaleWhileRevalidate caddy.Duration `json:"stale_while_revalidate,omitempty"`

	// How long past its freshness a stored response may be served when the
	// upstream fails (an error, a 5xx, an open circuit), when the response
	// does not say (stale-if-error). Default: 0 (only when the response
	// says).
	StaleIfError caddy.Duration `json:"stale_if_error,omitempty"`

	// Redis (one server, Sentinel or Cluster: see RedisConfig; a bare
	// string is read as a URL) to share stored responses with other
	// gateways using the same one. Responses are still served from memory;
	// Redis is asked on a local miss. Default: none.
	Redis *caddykit.RedisConfig `json:"redis,omitempty"`

	store    *cacheStore
	poolKey  string
	policy   httpcache.Policy
	keyParts []cacheKeyPart
	logger   *zap.Logger
}

// cacheKeyPart is one key template, and the credentials it tells apart
// when it has a value (caddykit.KeyCovers).
type cacheKeyPart struct {
	tpl    string
	covers []string
}

// CaddyModule returns the Caddy module information.
func (ResponseCache) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.response_cache",
		New: func() caddy.Module { return new(ResponseCache) },
	}
}

// Provision sets defaults and takes the store (shared with the previous
// config when the settings match).
func (rc *ResponseCache) Provision(ctx caddy.Context) error {
	rc.logger = ctx.Logger()
	if rc.MaxSize == 0 {
		rc.MaxSize = defaultCacheMaxSize
	}
	if rc.MaxItemSize == 0 {
		rc.MaxItemSize = defaultCacheMaxItemSize
	}
	if err := rc.Validate(); err != nil {
		return err
	}
	rc.policy = httpcache.Policy{
		DefaultTTL:           time.Duration(rc.DefaultTTL),
		StaleWhileRevalidate: time.Duration(rc.StaleWhileRevalidate),
		StaleIfError:         time.Duration(rc.StaleIfError),
	}
	rc.keyParts = rc.keyParts[:0]
	for _, k := range rc.Key {
		rc.keyParts = append(rc.keyParts, cacheKeyPart{tpl: k, covers: caddykit.KeyCovers(k)})
	}
	caddykit.AddCredentialSources(rc, caddykit.CredentialSources{
		Headers: slices.Clone(rc.CredentialHeaders), Query: slices.Clone(rc.CredentialQuery)})
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	redisKey, _ := json.Marshal(rc.Redis)
	rc.poolKey = fmt.Sprintf("%d|%d|%s", rc.MaxSize, rc.MaxItemSize, redisKey)
	val, _, err := stores().LoadOrNew(rc.poolKey, func() (caddy.Destructor, error) {
		return newCacheStore(uint64(rc.MaxSize), rc.Redis, caddy.Log().Named("response_cache"))
	})
	if err != nil {
		return err
	}
	rc.store = val.(*cacheStore)
	return nil
}

// Validate checks the settings.
func (rc *ResponseCache) Validate() error {
	switch {
	case rc.MaxSize < 0:
		return errors.New("max_size must be positive")
	case rc.MaxItemSize < 0:
		return errors.New("max_item_size must be positive")
	case rc.MaxItemSize > rc.MaxSize && rc.MaxSize > 0:
		return fmt.Errorf("max_item_size (%d) is larger than max_size (%d)", rc.MaxItemSize, rc.MaxSize)
	case rc.MaxItemSize > 1<<30:
		return errors.New("max_item_size is at most 1GiB")
	case rc.DefaultTTL < 0 || rc.StaleWhileRevalidate < 0 || rc.StaleIfError < 0:
		return errors.New("default_ttl, stale_while_revalidate and stale_if_error cannot be negative")
	}
	for _, k := range rc.Key {
		if strings.TrimSpace(k) == "" {
			return errors.New("a key part is empty")
		}
		if err := caddykit.CheckTemplate(k); err != nil {
			return fmt.Errorf("key %v", err)
		}
	}
	for _, h := range rc.CredentialHeaders {
		if !httpguts.ValidHeaderFieldName(h) {
			return fmt.Errorf("credentials header %q is not a header field name", h)
		}
	}
	for _, q := range rc.CredentialQuery {
		if q == "" || strings.ContainsAny(q, "&=# ") {
			return fmt.Errorf("credentials query %q is not a query parameter name", q)
		}
	}
	if rc.Redis != nil {
		return rc.Redis.Check()
	}
	return nil
}

// Cleanup lets go of the store (the last config using it frees it) and
// forgets the credential sources.
func (rc *ResponseCache) Cleanup() error {
	caddykit.RemoveCredentialSources(rc)
	if rc.poolKey != "" {
		_, err := stores().Delete(rc.poolKey)
		return err
	}
	return nil
}

// cacheRequest is what ServeHTTP works out about one request.
type cacheRequest struct {
	key     string // the store key: method-independent URL + key parts
	url     string // the effective URL, for invalidation and purges
	q       httpcache.Request
	unkeyed bool // credentialed, but every key part that would tell it apart is empty
}

// ServeHTTP answers from the store or goes on to next, storing what it
// answers.
func (rc *ResponseCache) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (err error) {
	if rec, rw := caddykit.StartTraffic(w, r); rec != nil {
		defer func() { rec.Finish(r, err) }()
		w = rw
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions, http.MethodTrace, "PROPFIND", "SEARCH", "QUERY":
		return rc.pass(w, r, next, "fwd=method")
	default:
		return rc.serveUnsafe(w, r, next)
	}
	if detail := unkeyedInput(r); detail != "" {
		// the origin may answer from what the key leaves out: stored, that
		// answer would go to every caller of the URL (cache poisoning)
		cacheMetric(r, cacheBypass)
		return rc.pass(w, r, next, "fwd=bypass; detail="+detail)
	}
	cr := rc.describe(r)
	if cr.unkeyed {
		// the key was to tell this caller apart and cannot: an entry under
		// it would be shared by every such caller
		cacheMetric(r, cacheBypass)
		return rc.pass(w, r, next, "fwd=bypass; detail=unkeyed-credentials")
	}
	e, keyFound := rc.store.lookup(r.Context(), cr.key, r.Header)
	now := time.Now()
	d := httpcache.Decide(cr.q, e, keyFound, now)
	switch d.Action {
	case httpcache.Serve:
		cacheMetric(r, map[bool]cacheResult{false: cacheHit, true: cacheStale}[d.Stale])
		rc.serveEntry(w, r, d.Entry, now, d.Status)
		return nil
	case httpcache.ServeThenRevalidate:
		cacheMetric(r, cacheStale)
		rc.serveEntry(w, r, d.Entry, now, d.Status)
		rc.revalidateAfter(w, r, next, cr, d.Entry)
		return nil
	case httpcache.Revalidate:
		return rc.revalidate(w, r, next, cr, d.Entry)
	case httpcache.Pass:
		cacheMetric(r, cacheBypass)
		return rc.pass(w, r, next, d.Status)
	case httpcache.Unsatisfiable:
		cacheMetric(r, cacheMiss)
		return rc.onlyIfCached(w, d.Status)
	}
	return rc.miss(w, r, next, cr, d.Status)
}

// methodOverrides are the headers with which frameworks (Express's
// method-override, Rails, Symfony, ASP.NET, Google's APIs) let a client
// turn a GET or POST into another method.
var methodOverrides = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// unkeyedInput says why a GET or HEAD carries something that can change
// the origin's answer but is not in the cache key: a body (a "fat GET",
// declared by Content-Length or sent chunked) or a method-override header.
// Such a request goes to the origin uncached, neither served from the
// store nor stored; "" when it has none.
func unkeyedInput(r *http.Request) string {
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return "request-body"
	}
	for _, h := range methodOverrides {
		if _, ok := r.Header[h]; ok {
			return "method-override"
		}
	}
	return ""
}

// describe works out a request's key and directives.
func (rc *ResponseCache) describe(r *http.Request) cacheRequest {
	cr := cacheRequest{q: httpcache.Request{Policy: rc.policy}}
	cr.q.CC = httpcache.ParseCacheControl(r.Header["Cache-Control"])
	if len(r.Header["Cache-Control"]) == 0 && pragmaNoCache(r.Header) {
		cr.q.CC.NoCache = true
	}
	_, cr.q.Range = r.Header["Range"]
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	creds := caddykit.CredentialsOf(r, repl)
	cr.q.Credential = creds.Any()
	var rewritten string
	cr.url, rewritten = effectiveURL(r)
	var b strings.Builder
	b.Grow(len(cr.url) + len(rewritten) + 16)
	b.WriteString(cr.url)
	b.WriteByte(0)
	b.WriteString(rewritten)
	// the server the request came in on: the Host header is the client's,
	// and sites on other listeners (another port, a bind to an internal
	// address) share a store when their settings match; their entries
	// must not answer each other's Host
	if srv, ok := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server); ok {
		for _, ln := range srv.Listen {
			writeKeyPart(&b, ln)
		}
	}
	separating, byUser := false, false
	var coveredBuf [8]string
	covered := coveredBuf[:0]
	for _, part := range rc.keyParts {
		v := part.tpl
		if repl != nil {
			v = repl.ReplaceAll(part.tpl, "")
		}
		separating = separating || slices.ContainsFunc(part.covers, caddykit.IsCredential)
		if v != "" {
			covered = append(covered, part.covers...)
		}
		byUser = byUser || slices.Contains(part.covers, "user")
		// each part with its template (two templates rendering one value
		// are different keys), each after its length: values may hold any
		// byte (a claim with a NUL), and "a" + "b\x00c" must not be
		// "a\x00b" + "c"
		writeKeyPart(&b, part.tpl)
		writeKeyPart(&b, v)
	}
	// {http.auth.user.id} is a caller only within the realm that vouched
	// for it: a sub "alice" from two identity providers, or a consumer
	// "alice" and a token's sub "alice", are two callers
	if byUser {
		writeKeyPart(&b, creds.Realm())
	}
	// separated only when every credential the request carries is told
	// apart by the key: a key of the app's X-Api-Key says nothing of the
	// user's Authorization beside it
	cr.q.Separated = creds.CoveredBy(covered)
	cr.unkeyed = cr.q.Credential && separating && !cr.q.Separated
	cr.key = b.String()
	cr.q.Policy.Separated = cr.q.Separated
	return cr
}

// writeKeyPart appends one length-prefixed part to a key.
func writeKeyPart(b *strings.Builder, s string) {
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteByte(':')
	b.WriteString(s)
}

// pragmaNoCache tells whether a request has Pragma: no-cache (RFC 9111
// §5.4: only when it has no Cache-Control).
func pragmaNoCache(h http.Header) bool {
	for _, v := range h["Pragma"] {
		if strings.Contains(strings.ToLower(v), "no-cache") {
			return true
		}
	}
	return false
}

// effectiveURL is the URL a request is stored under, as the client asked
// for it: scheme, host (lower case, without the scheme's default port) and
// request target (raw path and query as received, so /a/../b and /b are
// different entries). When the handlers before the cache rewrote the
// target (uri strip_prefix, rewrite), rewritten is the target they made,
// which is part of the key too; otherwise it is empty.
func effectiveURL(r *http.Request) (url, rewritten string) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	target := r.URL.RequestURI()
	if orig := originalURL(r); orig != nil {
		if o := orig.RequestURI(); o != target {
			target, rewritten = o, target
		}
	}
	return canonicalURL(scheme, r.Host, target), rewritten
}

// originalURL is the request's URL before any handler rewrote it.
func originalURL(r *http.Request) *neturl.URL {
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.URL != nil {
		return orig.URL
	}
	return r.URL
}

// canonicalURL joins scheme, host and request target the way effectiveURL
// and the purge API both do.
func canonicalURL(scheme, host, target string) string {
	host = strings.ToLower(host)
	if scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	} else if scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host + target
}

// serveEntry writes a stored response: a 304 when the request's own
// validators match it, the body unless the request is a HEAD.
func (rc *ResponseCache) serveEntry(w http.ResponseWriter, r *http.Request, e *httpcache.Entry, now time.Time, status string) {
	h := w.Header()
	copyStoredHeader(h, e.Header)
	h["Age"] = []string{strconv.FormatInt(int64(e.Age(now)/time.Second), 10)}
	addCacheStatus(h, status)
	if _, ok := r.Header["Range"]; ok && e.Status == http.StatusOK {
		rc.store.mem.BeginServe(e)
		defer rc.store.mem.EndServe(e)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(e.Body)) // Range, If-Range, conditionals
		return
	}
	if httpcache.IsConditional(r.Header) && httpcache.NotModified(r.Header, e) {
		for _, k := range []string{"Content-Length", "Content-Type", "Content-Encoding", "Content-Range", "Transfer-Encoding", "Trailer"} {
			delete(h, k)
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead && len(e.Body) > 0 {
		rc.store.mem.BeginServe(e) // the body stays in use while it is written (a slow client)
		defer rc.store.mem.EndServe(e)
		_, _ = w.Write(e.Body)
	}
}

// copyStoredHeader copies a stored response's fields into a response's
// header, every value in a slice of the response's own (one backing array),
// as Caddy's header directive edits values in place.
//
// Like reverse_proxy, it adds to what the handlers before the cache set
// (throttle's RateLimit, say), which stays first.
func copyStoredHeader(dst, src http.Header) {
	n := 0
	for k, vs := range src {
		n += len(vs) + len(dst[k])
	}
	vals := make([]string, n)
	i := 0
	for k, vs := range src {
		if k == "Surrogate-Control" {
			continue // for this cache, not for clients
		}
		start := i
		i += copy(vals[i:], dst[k])
		i += copy(vals[i:], vs)
		dst[k] = vals[start:i:i]
	}
}

// headerMark records how many values each field of a response's header had
// when the cache passed the request on: what the handlers before it set,
// as opposed to what the upstream sent.
type headerMark []struct {
	k string
	n int
}

func markHeader(h http.Header) headerMark {
	m := make(headerMark, 0, len(h))
	for k, vs := range h {
		m = append(m, struct {
			k string
			n int
		}{k, len(vs)})
	}
	return m
}

func (m headerMark) count(k string) int {
	for _, e := range m {
		if e.k == k {
			return e.n
		}
	}
	return 0
}

// upstream copies the fields (and values) added to h since the mark: the
// response to store, without the headers of the handlers before the cache.
func (m headerMark) upstream(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if n := m.count(k); len(vs) > n {
			out[k] = append([]string(nil), vs[n:]...)
		}
	}
	return out
}

// reset takes h back to the mark, dropping what the upstream added (a 304
// or an error that the cache answers in its stead).
func (m headerMark) reset(h http.Header) {
	for k, vs := range h {
		n := m.count(k)
		if n == 0 {
			delete(h, k)
		} else if len(vs) > n {
			h[k] = vs[:n:n]
		}
	}
}

// addCacheStatus appends this cache's member to the Cache-Status list
// (caches closer to the origin come first).
func addCacheStatus(h http.Header, params string) {
	v := CacheName + "; " + params
	if prev := h["Cache-Status"]; len(prev) > 0 {
		h["Cache-Status"] = append(prev[:len(prev):len(prev)], v)
		return
	}
	h["Cache-Status"] = []string{v}
}

// onlyIfCached answers a request that forbids going upstream when nothing
// stored can answer it (RFC 9111 §5.2.1.7).
func (rc *ResponseCache) onlyIfCached(w http.ResponseWriter, status string) error {
	h := w.Header()
	addCacheStatus(h, status)
	h["Content-Type"] = []string{"application/json"}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(http.StatusGatewayTimeout)
	_, _ = w.Write([]byte(`{"error":"not in the cache, and the request said only-if-cached"}` + "\n"))
	return nil
}

// pass sends a request on without the cache, marking the response.
func (rc *ResponseCache) pass(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, status string) error {
	cw := &cacheWriter{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, decide: func(int, http.Header) writeMode {
		return modePass
	}, status: status}
	return cw.finish(next.ServeHTTP(cw, r))
}

// serveUnsafe sends an unsafe request on and, when it succeeds,
// invalidates its URL and the URLs of its Location and Content-Location
// on the same host (RFC 9111 §4.4).
func (rc *ResponseCache) serveUnsafe(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	url, _ := effectiveURL(r)
	cw := &cacheWriter{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, status: "fwd=method"}
	cw.decide = func(code int, h http.Header) writeMode {
		if code < 400 {
			n := rc.store.invalidate(url)
			for _, f := range []string{"Location", "Content-Location"} {
				if u := sameOriginURL(r, h.Get(f)); u != "" {
					n += rc.store.invalidate(u)
				}
			}
			if n > 0 {
				if ce := rc.logger.Check(zap.DebugLevel, "invalidated by unsafe method"); ce != nil {
					ce.Write(zap.String("method", r.Method), zap.String("url", caddykit.RedactURL(url)), zap.Int("keys", n))
				}
			}
		}
		return modePass
	}
	return cw.finish(next.ServeHTTP(cw, r))
}

// sameOriginURL resolves a Location or Content-Location value against the
// request and returns its effective URL when it is on the request's own
// scheme and host (another host's entries are not the request's to drop).
func sameOriginURL(r *http.Request, ref string) string {
	if ref == "" {
		return ""
	}
	u, err := originalURL(r).Parse(ref)
	if err != nil {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if u.Host != "" && (!strings.EqualFold(u.Host, r.Host) || (u.Scheme != "" && u.Scheme != scheme)) {
		return ""
	}
	return canonicalURL(scheme, r.Host, u.RequestURI())
}

// miss sends a request upstream for a response to store, coalescing
// concurrent misses for one key.
func (rc *ResponseCache) miss(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, cr cacheRequest, fwd string) error {
	if !cr.q.Waits() {
		cacheMetric(r, cacheMiss) // it would not take a waiter's answer
		return rc.fetch(w, r, next, cr, fwd, nil)
	}
	f, leader := rc.store.flights.Join(cr.key)
	if !leader {
		if f.Wait(r.Context(), coalesceWait) {
			now := time.Now()
			e, _ := rc.store.lookup(r.Context(), cr.key, r.Header)
			if d := httpcache.Decide(cr.q, e, true, now); d.Action == httpcache.Serve && !d.Stale {
				cacheMetric(r, cacheCoalesced)
				rc.serveEntry(w, r, d.Entry, now, fwd+"; collapsed")
				return nil
			}
		}
		cacheMetric(r, cacheMiss)
		return rc.fetch(w, r, next, cr, fwd, nil)
	}
	cacheMetric(r, cacheMiss)
	landed := false
	land := func() {
		if !landed {
			landed = true
			rc.store.flights.Land(cr.key, f)
		}
	}
	defer land()
	return rc.fetch(w, r, next, cr, fwd, land)
}

// fetch sends the request on and stores the response when it may.
// decided, when not nil, is called as soon as it is known whether the
// response will be stored (so coalesced waiters go on).
func (rc *ResponseCache) fetch(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, cr cacheRequest, fwd string, decided func()) error {
	addSurrogateCapability(r.Header)
	cw := rc.storingWriter(w, r, cr, fwd, time.Now(), decided)
	// reverse_proxy ends a response it cannot complete (the client or the
	// upstream went away) by panicking with http.ErrAbortHandler: the pump
	// must be gone before the panic reaches the server, which then ends
	// the response the pump writes to
	defer cw.abandonPump()
	return cw.finish(next.ServeHTTP(cw, r))
}

// storingWriter makes the writer that passes a response on and keeps a
// copy to store when it may be stored.
func (rc *ResponseCache) storingWriter(w http.ResponseWriter, r *http.Request, cr cacheRequest, fwd string, reqTime time.Time, decided func()) *cacheWriter {
	cw := &cacheWriter{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, limit: rc.MaxItemSize, status: fwd,
		mark: markHeader(w.Header()), inflight: &rc.store.inflight, inflightMax: rc.MaxSize / 2, mem: rc.store.mem}
	cw.decide = func(code int, h http.Header) writeMode {
		stored, mode := rc.prepareStore(r, cr, code, h, reqTime, cw)
		if stored {
			cw.status = fwd + "; stored"
		} else if decided != nil {
			decided()
		}
		return mode
	}
	if decided != nil {
		cw.done = decided
	}
	return cw
}

// prepareStore decides whether a response is stored; when it is, it sets
// up cw to make the entry once the body is complete.
func (rc *ResponseCache) prepareStore(r *http.Request, cr cacheRequest, code int, h http.Header, reqTime time.Time, cw *cacheWriter) (bool, writeMode) {
	if r.Method != http.MethodGet {
		return false, modePass // a HEAD's response has no body to store
	}
	resp := httpcache.ParseCacheControl(h["Cache-Control"])
	sc := httpcache.ParseSurrogateControl(h["Surrogate-Control"], httpcache.SurrogateName)
	ok, why := cr.q.Policy.Storable(code, h, cr.q.CC, resp, sc, cr.q.Credential)
	if ok && (len(cr.key) > httpcache.MaxKeyBytes || len(cr.url) > httpcache.MaxKeyBytes) {
		ok, why = false, "key too long" // the store would refuse it: say so in Cache-Status
	}
	if ok && len(h["Set-Cookie"]) > 0 && !cr.q.Separated {
		ok, why = false, "set-cookie"
	}
	if ok {
		if cl := h.Get("Content-Length"); cl != "" {
			if n, err := strconv.ParseInt(cl, 10, 64); err != nil || n > rc.MaxItemSize {
				ok, why = false, "too large"
			}
		}
	}
	if !ok {
		if ce := rc.logger.Check(zap.DebugLevel, "not stored"); ce != nil {
			ce.Write(zap.String("url", caddykit.RedactURL(cr.url)), zap.Int("status", code), zap.String("reason", why))
		}
		delete(h, "Surrogate-Control")
		return false, modePass
	}
	respTime := time.Now()
	stored := cw.mark.upstream(h)
	delete(h, "Surrogate-Control")
	for _, f := range resp.PrivateFields {
		delete(stored, http.CanonicalHeaderKey(f))
	}
	for _, f := range unstoredFields {
		delete(stored, f)
	}
	if d := stored["Date"]; len(d) != 1 || !validDate(d[0]) {
		// RFC 9110 §6.6.1: a missing or invalid Date becomes the time of receipt
		stored["Date"] = []string{respTime.UTC().Format(http.TimeFormat)}
	}
	cw.store = func(body []byte) {
		e := httpcache.NewEntry(code, stored, body, reqTime, respTime)
		e.Lifetime = cr.q.Policy.Lifetime(code, stored, e.CC, e.SC)
		e.URL = cr.url
		e.VaryKey = httpcache.VaryValues(r.Header, e.VaryFields)
		e.Retain = rc.retain(e.CC)
		rc.store.put(cr.key, e)
		if ce := rc.logger.Check(zap.DebugLevel, "stored"); ce != nil {
			ce.Write(zap.String("url", caddykit.RedactURL(cr.url)), zap.Int("status", code), zap.Int("bytes", len(body)), zap.Duration("lifetime", e.Lifetime))
		}
	}
	return true, modeTee
}

// unstoredFields are connection-specific or proxy-authentication fields,
// which describe one hop and are never stored.
var unstoredFields = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Transfer-Encoding", "Upgrade",
	"Proxy-Authenticate", "Proxy-Authentication-Info", "Proxy-Authorization"}

func validDate(s string) bool {
	_, err := http.ParseTime(s)
	return err == nil
}

// retain is how long past its freshness an entry stays stored.
func (rc *ResponseCache) retain(cc httpcache.Directives) time.Duration {
	return max(staleRetain, cc.StaleWhileRevalidate, cc.StaleIfError, rc.policy.StaleWhileRevalidate, rc.policy.StaleIfError)
}

// staleIfError tells how long past its freshness e may answer when the
// upstream fails.
func (rc *ResponseCache) staleIfError(cr cacheRequest, e *httpcache.Entry) time.Duration {
	if e.CC.MustRevalidate || e.CC.ProxyRevalidate || e.CC.NoCache || e.CC.SMaxAge >= 0 {
		return -1
	}
	sie := e.CC.StaleIfError
	if sie < 0 {
		sie = cr.q.Policy.StaleIfError
	}
	if cr.q.CC.StaleIfError >= 0 {
		sie = cr.q.CC.StaleIfError
	}
	return sie
}

// revalidate asks the upstream whether a stored response is still good (a
// conditional request with its validators): a 304 refreshes it and it
// answers; a new response replaces it; a failure lets it answer stale
// within stale-if-error.
func (rc *ResponseCache) revalidate(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, cr cacheRequest, e *httpcache.Entry) error {
	now := time.Now()
	sieOK := -e.TTL(now) <= rc.staleIfError(cr, e)
	saved := swapConditionals(r.Header, e)
	addSurrogateCapability(r.Header)
	restore := func() { restoreConditionals(r.Header, saved) }
	cw, held, reqTime := rc.revalidatingWriter(w, r, cr, func(code int) bool { return code >= 500 && sieOK }, restore)
	defer cw.release()
	err := next.ServeHTTP(cw, r)
	restore()
	// when the cache answers instead, it drops the fields the handlers
	// after it set; an error it does not answer goes on to Caddy's error
	// handling with them (load_shed's Retry-After, a refusal's
	// Cache-Control: no-store: dropping them there left a shed 503 for a
	// stale URL without Retry-After)
	switch {
	case cw.mode == modeHold && cw.code == http.StatusNotModified:
		cw.mark.reset(w.Header())
		n := rc.refresh(cr, e, *held, reqTime)
		if sc := (*held)["Set-Cookie"]; len(sc) > 0 {
			// the 304's cookies are this caller's: passed on, never stored
			w.Header()["Set-Cookie"] = append([]string(nil), sc...)
		}
		rc.serveEntry(w, r, n, time.Now(), "fwd=stale; fwd-status=304")
		return nil
	case cw.mode == modeHold: // a 5xx within stale-if-error
		cw.mark.reset(w.Header())
		cacheMetric(r, cacheStale)
		rc.serveEntry(w, r, e, time.Now(), "fwd=stale; fwd-status="+strconv.Itoa(cw.code)+"; detail=stale-if-error")
		return nil
	case err != nil && !cw.wrote && sieOK && clientStillThere(r):
		cw.mark.reset(w.Header())
		cacheMetric(r, cacheStale)
		if ce := rc.logger.Check(zap.DebugLevel, "served stale on error"); ce != nil {
			ce.Write(zap.String("url", caddykit.RedactURL(cr.url)), zap.Error(err))
		}
		rc.serveEntry(w, r, e, time.Now(), "fwd=stale; detail=stale-if-error")
		return nil
	}
	return cw.finish(err)
}

// clientStillThere tells whether the request's client has not gone away.
func clientStillThere(r *http.Request) bool { return r.Context().Err() == nil }

// revalidateAfter revalidates a stale response that was just served
// (stale-while-revalidate), after the answer was flushed to the client, in
// the same request, so the request's replacer and variables are never
// shared with another goroutine. Only one request per key revalidates.
func (rc *ResponseCache) revalidateAfter(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, cr cacheRequest, e *httpcache.Entry) {
	f, leader := rc.store.flights.Join("swr\x00" + cr.key)
	if !leader {
		return
	}
	defer rc.store.flights.Land("swr\x00"+cr.key, f)
	_ = http.NewResponseController(w).Flush()
	bg := r.WithContext(context.WithoutCancel(r.Context()))
	bg.Header = r.Header.Clone()
	swapConditionals(bg.Header, e) // the client's own validators were answered already
	addSurrogateCapability(bg.Header)
	// a 5xx is held: the stale one keeps answering
	cw, held, reqTime := rc.revalidatingWriter(discardWriter{h: http.Header{}}, bg, cr, func(code int) bool { return code >= 500 }, nil)
	defer cw.release()
	err := next.ServeHTTP(cw, bg)
	if cw.mode == modeHold && cw.code == http.StatusNotModified {
		rc.refresh(cr, e, *held, reqTime)
		return
	}
	if err != nil {
		if ce := rc.logger.Check(zap.DebugLevel, "background revalidation failed"); ce != nil {
			ce.Write(zap.String("url", caddykit.RedactURL(cr.url)), zap.Error(err))
		}
		return
	}
	_ = cw.finish(nil)
}

// revalidatingWriter makes the writer of a revalidation: it holds a 304
// (whose fields it keeps in *held) and the responses hold names, and
// otherwise calls onPass (when not nil) and passes the response on,
// storing it when it may.
func (rc *ResponseCache) revalidatingWriter(w http.ResponseWriter, r *http.Request, cr cacheRequest, hold func(code int) bool, onPass func()) (*cacheWriter, *http.Header, time.Time) {
	reqTime := time.Now()
	cw := rc.storingWriter(w, r, cr, "fwd=stale", reqTime, nil)
	store := cw.decide
	held := new(http.Header)
	cw.decide = func(code int, h http.Header) writeMode {
		if code == http.StatusNotModified || hold(code) {
			*held = cw.mark.upstream(h)
			return modeHold
		}
		if onPass != nil {
			onPass()
		}
		return store(code, h)
	}
	return cw, held, reqTime
}

// refresh stores e updated by a 304's fields (RFC 9111 §4.3.4) and returns
// the new entry.
func (rc *ResponseCache) refresh(cr cacheRequest, e *httpcache.Entry, h304 http.Header, reqTime time.Time) *httpcache.Entry {
	if cc := httpcache.ParseCacheControl(h304["Cache-Control"]); cc.NoStore || (cc.Private && len(cc.PrivateFields) == 0 && !cr.q.Separated) {
		// the 304 says the response may no longer be stored (or shared):
		// it answers this caller, and the stored copies go
		rc.store.invalidate(cr.url)
		return e
	}
	n := e.Updated(h304, reqTime, time.Now(), cr.q.Credential && !cr.q.Separated)
	n.Lifetime = cr.q.Policy.Lifetime(n.Status, n.Header, n.CC, n.SC)
	rc.store.put(cr.key, n)
	cacheMetric(nil, cacheRevalidated)
	return n
}

// addSurrogateCapability tells the upstream that this cache obeys
// Surrogate-Control (W3C Edge Architecture).
func addSurrogateCapability(h http.Header) {
	h["Surrogate-Capability"] = append(h["Surrogate-Capability"], httpcache.SurrogateCapability)
}

// swapConditionals replaces a request's validators by the stored
// response's, returning the request's own.
func swapConditionals(h http.Header, e *httpcache.Entry) [2][]string {
	saved := [2][]string{h["If-None-Match"], h["If-Modified-Since"]}
	delete(h, "If-None-Match")
	delete(h, "If-Modified-Since")
	if et := e.ETag(); et != "" {
		h["If-None-Match"] = []string{et}
	}
	if lm := e.LastModified(); lm != "" {
		h["If-Modified-Since"] = []string{lm}
	}
	return saved
}

func restoreConditionals(h http.Header, saved [2][]string) {
	delete(h, "If-None-Match")
	delete(h, "If-Modified-Since")
	if saved[0] != nil {
		h["If-None-Match"] = saved[0]
	}
	if saved[1] != nil {
		h["If-Modified-Since"] = saved[1]
	}
}

// writeMode is what a cacheWriter does with a response.
type writeMode uint8

const (
	modeUndecided writeMode = iota
	modePass                // to the client only
	modeTee                 // to the client, and kept to store
	modeHold                // kept only (a 304 or an error the cache answers instead)
)

// cacheWriter passes a response to the client and keeps a copy of what is
// to be stored, up to limit bytes (beyond, the copy is dropped and the
// response streams through).
type cacheWriter struct {
	*caddyhttp.ResponseWriterWrapper
	decide func(code int, h http.Header) writeMode
	store  func(body []byte)
	done   func()
	status string // this cache's Cache-Status parameters for a forwarded response
	limit  int64
	mark   headerMark // the header as the handlers before the cache left it
	mode   writeMode
	code   int
	wrote  bool
	over   bool
	buf    []byte
	pump   *clientPump // the leader of coalesced misses writes to its client through one
	// inflight counts the bytes every cacheWriter of the store keeps of
	// responses not yet stored (held is this one's share, the capacity of
	// buf: what it takes in memory, not just what it holds so far): past
	// inflightMax, a response is no longer kept and streams through, so
	// slow clients cannot make the gateway hold more than max_size/2
	// besides the store
	inflight    *atomic.Int64
	inflightMax int64
	held        int64
	// mem, when not nil, is the store whose Held bytes (entries that left
	// it while hits were still being written from them) count against
	// inflightMax too: clients that never read a hit cannot pin more than
	// that besides the store either
	mem *httpcache.Store
}

// WriteHeader decides, on the final status, what happens to the response.
func (cw *cacheWriter) WriteHeader(code int) {
	if cw.mode != modeUndecided {
		return
	}
	if code < 200 {
		cw.ResponseWriterWrapper.WriteHeader(code) // 1xx pass through
		return
	}
	cw.code = code
	cw.mode = cw.decide(code, cw.ResponseWriterWrapper.Header())
	if cw.mode == modeHold {
		return
	}
	cw.wrote = true
	addCacheStatus(cw.ResponseWriterWrapper.Header(), cw.status)
	cw.ResponseWriterWrapper.WriteHeader(code)
	if cw.mode == modeTee && cw.done != nil {
		// others wait for this response: the upstream is read at its own
		// speed, not at this client's (the header goes out now, from this
		// goroutine, before the pump writes anything)
		_ = http.NewResponseController(cw.ResponseWriterWrapper).Flush()
		cw.pump = startClientPump(cw.ResponseWriterWrapper)
	}
}

// Write passes and keeps body bytes as the mode says.
func (cw *cacheWriter) Write(p []byte) (int, error) {
	if cw.mode == modeUndecided {
		cw.WriteHeader(http.StatusOK)
	}
	switch cw.mode {
	case modeHold:
		return len(p), nil
	case modeTee:
		if !cw.over {
			if int64(len(cw.buf)+len(p)) > cw.limit || !cw.grow(len(p)) {
				// too large, or the store's in-flight bytes are spent: the
				// waiters go on, what the pump holds goes out, and the
				// rest streams through unkept
				if cw.done != nil {
					cw.done()
				}
				if cw.pump != nil {
					cw.pump.stop()
					cw.pump = nil
				}
				cw.over, cw.buf = true, nil
				cw.release()
			} else if cw.pump != nil {
				cw.buf = cw.pump.append(cw.buf, p)
				return len(p), nil
			} else {
				cw.buf = append(cw.buf, p...)
			}
		}
	}
	return cw.ResponseWriterWrapper.Write(p)
}

// grow makes room in buf for n more bytes, when the store's in-flight
// budget has room for the larger buffer. It grows buf itself (not append)
// so that what is counted is the buffer's capacity, the memory it takes:
// doubling up to 256 KiB, then by 256 KiB or a quarter, whichever is more,
// never past max_item_size.
func (cw *cacheWriter) grow(n int) bool {
	need := len(cw.buf) + n
	if need <= cap(cw.buf) {
		return true
	}
	c := cap(cw.buf)
	newCap := max(need, min(2*c, c+256<<10), c+c/4, 4096)
	if cw.limit > 0 {
		newCap = int(min(int64(newCap), max(cw.limit, int64(need))))
	}
	if !cw.keep(newCap - c) {
		return false
	}
	buf := make([]byte, len(cw.buf), newCap)
	copy(buf, cw.buf)
	if cw.pump != nil {
		cw.pump.replace(buf)
	}
	cw.buf = buf
	return true
}

// keep counts n more bytes kept, when the store's in-flight budget has
// room for them.
func (cw *cacheWriter) keep(n int) bool {
	if cw.inflight == nil {
		return true
	}
	var pinned int64
	if cw.mem != nil {
		pinned = cw.mem.Held()
	}
	if cw.inflight.Add(int64(n))+pinned > cw.inflightMax {
		cw.inflight.Add(-int64(n))
		return false
	}
	cw.held += int64(n)
	return true
}

// release gives back what this writer kept (stored, dropped or given up).
func (cw *cacheWriter) release() {
	if cw.inflight != nil && cw.held != 0 {
		cw.inflight.Add(-cw.held)
		cw.held = 0
	}
}

// Flush passes a flush on, but not while the response is held or not yet
// decided (the client's writer would send its headers, status 200, then).
func (cw *cacheWriter) Flush() {
	if cw.pump != nil {
		cw.pump.flush()
		return
	}
	if cw.mode == modePass || cw.mode == modeTee {
		_ = http.NewResponseController(cw.ResponseWriterWrapper).Flush()
	}
}

// ReadFrom copies through Write: the embedded wrapper's ReadFrom would
// hand the body to the client's writer directly (io.Copy prefers it, as
// file_server's does), and the cache would store it empty.
func (cw *cacheWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(caddykit.WriteOnly{Writer: cw}, r)
}

// finish stores what was kept once the handlers after the cache are done
// without error, and passes their error on.
func (cw *cacheWriter) finish(err error) error {
	if cw.mode == modeUndecided && err == nil {
		cw.WriteHeader(http.StatusOK)
	}
	if err == nil && cw.mode == modeTee && !cw.over && cw.store != nil {
		body := cw.buf
		if body == nil {
			body = []byte{}
		}
		cw.store(body)
	}
	if cw.pump != nil {
		if cw.done != nil {
			cw.done() // the waiters read the stored response now
		}
		cw.pump.stop()
		cw.pump = nil
	}
	cw.release() // stored, or given up; and no longer held for the client
	if err != nil && !cw.wrote {
		// an error answered by Caddy's error handling still says where it came from
		addCacheStatus(cw.ResponseWriterWrapper.Header(), cw.status)
	}
	return err
}

// abandonPump ends a pump still running when the handlers after the cache
// did not return (a panic): what it has not written is dropped, and a
// write blocked on a slow client is cut short.
func (cw *cacheWriter) abandonPump() {
	if cw.pump != nil {
		cw.pump.abandon()
		cw.pump = nil
	}
	cw.release()
}

// clientPump writes a response to the client from the buffer the cache
// keeps of it anyway (at most max_item_size), on a goroutine of its own,
// so that the handlers after the cache read the upstream at the upstream's
// speed. It serves the leader of coalesced misses: the waiters get the
// stored response as soon as the upstream has sent it, however slowly the
// leader's client reads (a small TCP window, HTTP/2 flow control).
//
// It writes from a small buffer of its own (out), never from the kept
// buffer itself: a write blocked on a client that does not read would
// otherwise pin the kept buffer's old array after the cache grew it, up to
// twice what the in-flight budget counts.
type clientPump struct {
	w    http.ResponseWriter
	wake chan struct{} // one token: there is something to do
	done chan struct{} // closed when the pump has returned
	out  []byte        // what the pump writes next, copied from buf

	mu        sync.Mutex
	buf       []byte // the response so far; bytes are only ever appended
	sent      int    // what went to the client (all of buf once failed)
	flushing  bool
	ending    bool
	abandoned bool
	failed    bool // a write to the client failed
}

func startClientPump(w http.ResponseWriter) *clientPump {
	p := &clientPump{w: w, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go p.run()
	return p
}

// append adds b to the kept body (buf, owned by the caller) and hands the
// result to the pump; it returns the new buffer.
func (p *clientPump) append(buf, b []byte) []byte {
	p.mu.Lock()
	buf = append(buf, b...) // within its capacity: cacheWriter.grow made room
	p.buf = buf
	if p.failed { // nothing more goes to the client: kept for the store only
		p.sent = len(buf)
	}
	p.mu.Unlock()
	p.poke()
	return buf
}

// replace hands the pump the kept buffer's new, larger array (the same
// bytes so far), so the old one is no longer referenced.
func (p *clientPump) replace(buf []byte) {
	p.mu.Lock()
	p.buf = buf
	p.mu.Unlock()
}

// pumpChunk is the most the pump copies out of the kept buffer for one
// write to the client.
const pumpChunk = 32 << 10

// abandon ends the pump at once: nothing more is written, and a write
// blocked on the client is cut short by a deadline in the past.
//
// The deadline goes to the innermost writer (net/http's, whose deadline
// is the connection's or the stream's, safe from any goroutine), not
// through the writers between: Caddy's IdleTimeoutWriter keeps deadline
// state that only the goroutine writing may touch (the race detector
// caught this pump's write and this call meeting there). That writer
// sets its own idle deadline before each write it passes on, which may
// land after this one: the past deadline is set again until the pump has
// returned.
func (p *clientPump) abandon() {
	p.mu.Lock()
	p.ending, p.abandoned = true, true
	p.mu.Unlock()
	p.poke()
	rc := http.NewResponseController(innermostWriter(p.w))
	for {
		_ = rc.SetWriteDeadline(time.Now())
		select {
		case <-p.done:
			return
		case <-time.After(abandonRetry):
		}
	}
}

// abandonRetry is how often abandon sets the past deadline again while
// the pump has not returned.
const abandonRetry = 20 * time.Millisecond

// innermostWriter follows Unwrap to the writer that all the others wrap.
func innermostWriter(w http.ResponseWriter) http.ResponseWriter {
	for range 64 { // a bound on a chain that would wrap itself
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		inner := u.Unwrap()
		if inner == nil {
			break
		}
		w = inner
	}
	return w
}

func (p *clientPump) flush() {
	p.mu.Lock()
	p.flushing = true
	p.mu.Unlock()
	p.poke()
}

// stop waits until everything appended has been written (or the client
// failed) and the pump has returned.
func (p *clientPump) stop() {
	p.mu.Lock()
	p.ending = true
	p.mu.Unlock()
	p.poke()
	<-p.done
}

func (p *clientPump) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *clientPump) run() {
	defer close(p.done)
	for {
		p.mu.Lock()
		// appends never change bytes already there; the copy lets the
		// write hold no reference to buf's array
		chunk := p.buf[p.sent:]
		if len(chunk) > 0 {
			if p.out == nil {
				p.out = make([]byte, pumpChunk)
			}
			chunk = p.out[:copy(p.out, chunk)]
		}
		flushing, ending := p.flushing, p.ending
		if len(chunk) == 0 {
			p.flushing = false
		}
		if p.abandoned {
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		if len(chunk) > 0 {
			if _, err := p.w.Write(chunk); err != nil {
				// the client is gone: the writer goes on for the store alone
				p.mu.Lock()
				p.failed, p.sent = true, len(p.buf)
				p.mu.Unlock()
				p.drain()
				return
			}
			p.mu.Lock()
			p.sent += len(chunk)
			p.mu.Unlock()
			continue
		}
		if flushing {
			_ = http.NewResponseController(p.w).Flush()
		}
		if ending {
			return
		}
		<-p.wake
	}
}

// drain waits, after the client failed, for stop: what is appended is kept
// for the store but no longer sent.
func (p *clientPump) drain() {
	for {
		p.mu.Lock()
		ending := p.ending
		p.mu.Unlock()
		if ending {
			return
		}
		<-p.wake
	}
}

// discardWriter is where a background revalidation's response goes.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	response_cache [<matcher>] {
//		max_size <size>
//		max_item_size <size>
//		key <template...>
//		default_ttl <duration>
//		stale_while_revalidate <duration>
//		stale_if_error <duration>
//		credentials header|query <name...>
//		backend redis <url>
//	}
func (rc *ResponseCache) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("response_cache takes a block (max_size, key, ...), not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		args := d.RemainingArgs()
		switch opt {
		case "max_size", "max_item_size":
			if len(args) != 1 {
				return d.Errf("%s takes one size, such as 64MiB", opt)
			}
			n, err := humanize.ParseBytes(args[0])
			if err != nil || n == 0 || n > 1<<40 {
				return d.Errf("%s: %q is not a size such as 64MiB or 512KB", opt, args[0])
			}
			if opt == "max_size" {
				rc.MaxSize = int64(n)
			} else {
				rc.MaxItemSize = int64(n)
			}
		case "key":
			if len(args) == 0 {
				return d.Errf("key needs at least one template, such as {http.auth.user.id}")
			}
			rc.Key = append(rc.Key, args...)
		case "default_ttl", "stale_while_revalidate", "stale_if_error":
			if len(args) != 1 {
				return d.Errf("%s takes one duration, such as 30s", opt)
			}
			dur, err := caddy.ParseDuration(args[0])
			if err != nil || dur < 0 {
				return d.Errf("%s: %q is not a duration such as 30s or 5m", opt, args[0])
			}
			*map[string]*caddy.Duration{"default_ttl": &rc.DefaultTTL, "stale_while_revalidate": &rc.StaleWhileRevalidate,
				"stale_if_error": &rc.StaleIfError}[opt] = caddy.Duration(dur)
		case "backend":
			r, err := caddykit.ParseRedisBackend(d, "response_cache", args)
			if err != nil {
				return err
			}
			rc.Redis = r
		case "credentials":
			if len(args) < 2 || (args[0] != "header" && args[0] != "query") {
				return d.Errf("credentials takes `header <name...>` or `query <name...>`, such as credentials header X-Api-Key")
			}
			if args[0] == "header" {
				rc.CredentialHeaders = append(rc.CredentialHeaders, args[1:]...)
			} else {
				rc.CredentialQuery = append(rc.CredentialQuery, args[1:]...)
			}
		default:
			return d.Errf("unknown response_cache option %q (max_size, max_item_size, key, default_ttl, stale_while_revalidate, stale_if_error, credentials, backend)", opt)
		}
	}
	if err := rc.Validate(); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*ResponseCache)(nil)
	_ caddy.Validator             = (*ResponseCache)(nil)
	_ caddy.CleanerUpper          = (*ResponseCache)(nil)
	_ caddyhttp.MiddlewareHandler = (*ResponseCache)(nil)
	_ http.Flusher                = (*cacheWriter)(nil)
	_ caddyfile.Unmarshaler       = (*ResponseCache)(nil)
)
