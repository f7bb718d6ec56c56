package gateway

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/consumers"
)

func init() {
	caddy.RegisterModule(APIKey{})
}

// APIKey authenticates requests by a consumer's API key (see the consumers
// app and the consumers API on the admin endpoint, which makes the keys).
//
// The key is read from a request header (X-Api-Key by default), the
// Authorization field with the scheme ApiKey (`Authorization: ApiKey
// <key>`) or a query parameter, as `from` says; a query parameter named
// here is redacted in every log line the plugin writes, and response_cache
// treats requests holding it as credentialed.
//
// On success it sets these placeholders, for Caddy's access log (which
// logs {http.auth.user.id} as user_id), throttle (`throttle { plan }`),
// circuit_breaker, response_cache and transform:
//
//   - {http.auth.user.id} and {http.auth.user.consumer}: the consumer's id;
//   - {http.auth.user.plan}: its plan (the default plan when its own is
//     not defined);
//   - {http.auth.user.key_id}: the id of the key used (never the key);
//   - {http.auth.user.metadata.<name>}: each entry of its metadata.
//
// A request without a key, or with a key that is malformed (the checksum
// catches typos before any lookup), unknown, deleted, expired or whose
// consumer is disabled, is refused with 401, `Cache-Control: no-store` and
// `WWW-Authenticate: ApiKey realm="<realm>"` (with error="invalid_key" for
// a bad key); a request with a key in two places, or (with from
// authorization) more than one Authorization field, gets 400. Like jwt_auth's,
// these refusals go to the site's handle_errors routes when it has them
// ({err.status_code}, {err.message}), else a small JSON body is written.
type APIKey struct {
	// Where the key is read, in order; a request with keys in two of them
	// is refused. Default: the header X-Api-Key.
	From []KeySource `json:"from,omitempty"`

	// The realm in the WWW-Authenticate header. Default: restricted.
	Realm string `json:"realm,omitempty"`

	// Let requests without any key through, unauthenticated (a request
	// with a bad key is still refused). Default: false.
	Optional bool `json:"optional,omitempty"`

	// Remove the key from the request once it is accepted: the header,
	// the Authorization field (scheme ApiKey) or the query parameter it
	// was read from, so that the upstream never sees the raw key (it gets
	// the consumer as placeholders, e.g. header_up X-Consumer
	// {http.auth.user.consumer}). Default: false, as an upstream may read
	// the key itself, and a response_cache keyed by the key's header or
	// parameter after api_key would find it empty (key it by
	// {http.auth.user.id} instead).
	HideKey bool `json:"hide_key,omitempty"`

	store *consumers.Store
	app   *ConsumersApp
	// cache holds the keys this handler accepted, so that a repeated key
	// costs a lookup and no hash. Like jwt_auth's token cache, it holds
	// the keys themselves, in memory only, while the config is loaded.
	cache   *keyCache
	logger  *zap.Logger
	answers [5]apiKeyAnswer
	now     func() time.Time

	accepted  prometheus.Counter
	anonymous prometheus.Counter
	ambiguous prometheus.Counter
	refused   [5]prometheus.Counter // by reason; [noKey]: no key at all
}

// noKey indexes the answer and counter of a request without a key (the
// slot of consumers.Accepted, which is never refused).
const noKey = consumers.Accepted

// KeySource is a place a request may carry its API key.
type KeySource struct {
	// header, query or authorization.
	Kind string `json:"kind"`
	// The header field or query parameter (for authorization: the scheme,
	// ApiKey).
	Name string `json:"name,omitempty"`
}

type apiKeyAnswer struct {
	wwwAuthenticate string
	body            []byte
}

// CaddyModule returns the Caddy module information.
func (APIKey) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.api_key",
		New: func() caddy.Module { return new(APIKey) },
	}
}

// Provision loads the consumers app and prepares the refusals.
func (h *APIKey) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	app, err := ctx.App("consumers")
	if err != nil {
		return err
	}
	h.app = app.(*ConsumersApp)
	h.store = processState.consumers.store
	h.prepare()
	return nil
}

// prepare sets defaults and builds the refusals once, so that no request
// allocates them.
func (h *APIKey) prepare() {
	h.cache = &keyCache{m: map[string]*checkedKey{}}
	if h.now == nil {
		h.now = time.Now
	}
	if len(h.From) == 0 {
		h.From = []KeySource{{Kind: "header", Name: "X-Api-Key"}}
	}
	for i, s := range h.From {
		if s.Kind == "header" {
			h.From[i].Name = http.CanonicalHeaderKey(s.Name)
		}
		if s.Kind == "authorization" && s.Name == "" {
			h.From[i].Name = "ApiKey"
		}
	}
	if h.Realm == "" {
		h.Realm = "restricted"
	}
	for why := consumers.Accepted; why <= consumers.Disabled; why++ {
		header := fmt.Sprintf("ApiKey realm=%q", h.Realm)
		body := map[string]string{"error": "unauthorized", "error_description": "an API key is required"}
		if why != consumers.Accepted {
			header += fmt.Sprintf(`, error="invalid_key", error_description=%q`, why.Description())
			body = map[string]string{"error": "invalid_key", "error_description": why.Description()}
		}
		b, _ := json.Marshal(body)
		h.answers[why] = apiKeyAnswer{wwwAuthenticate: header, body: append(b, '\n')}
		h.refused[why] = metrics.apiKeyRequests.WithLabelValues("refused", why.String())
	}
	h.refused[noKey] = metrics.apiKeyRequests.WithLabelValues("refused", "no_key")
	h.ambiguous = metrics.apiKeyRequests.WithLabelValues("refused", "ambiguous")
	h.accepted = metrics.apiKeyRequests.WithLabelValues("accepted", "")
	h.anonymous = metrics.apiKeyRequests.WithLabelValues("anonymous", "")
	caddykit.AddCredentialSources(h, h.credentialSources())
}

func (h *APIKey) credentialSources() caddykit.CredentialSources {
	var s caddykit.CredentialSources
	for _, src := range h.From {
		switch src.Kind {
		case "header":
			s.Headers = append(s.Headers, src.Name)
		case "query":
			s.Query = append(s.Query, src.Name)
		}
	}
	return s
}

// Validate checks the sources.
func (h *APIKey) Validate() error {
	for _, s := range h.From {
		switch s.Kind {
		case "header", "query":
			if s.Name == "" {
				return fmt.Errorf("api_key: from %s needs a name", s.Kind)
			}
		case "authorization":
			if !strings.EqualFold(s.Name, "ApiKey") {
				return fmt.Errorf("api_key: from authorization %q: the scheme is ApiKey", s.Name)
			}
		default:
			return fmt.Errorf("api_key: from %q: want header <name>, query <name> or authorization ApiKey", s.Kind)
		}
	}
	return nil
}

// Cleanup forgets the handler's credential sources.
func (h *APIKey) Cleanup() error {
	caddykit.RemoveCredentialSources(h)
	return nil
}

// extract finds the request's key; two different keys are ambiguous.
func (h *APIKey) extract(r *http.Request) (key, source string, ambiguous bool) {
	var query url.Values
	for _, s := range h.From {
		var v string
		switch s.Kind {
		case "header":
			vals := r.Header[s.Name]
			if len(vals) > 1 {
				return "", "", true
			}
			if len(vals) == 1 {
				v = strings.TrimSpace(vals[0])
			}
		case "query":
			if r.URL.RawQuery == "" {
				continue
			}
			if query == nil {
				query = r.URL.Query()
			}
			vals := query[s.Name]
			if len(vals) > 1 {
				return "", "", true
			}
			if len(vals) == 1 {
				v = vals[0]
			}
		case "authorization":
			// one Authorization field at most, as jwt_auth: with a second
			// one (Basic, Bearer) the upstream would see credentials the
			// gateway did not check
			if len(r.Header["Authorization"]) > 1 {
				return "", "", true
			}
			for _, a := range r.Header["Authorization"] {
				scheme, rest, ok := strings.Cut(a, " ")
				if ok && strings.EqualFold(scheme, s.Name) {
					if v != "" {
						return "", "", true
					}
					v = strings.TrimSpace(rest)
				}
			}
		}
		if v == "" {
			continue
		}
		if key != "" && key != v {
			return "", "", true
		}
		if key == "" {
			source = caddykit.CredentialSourceOf(s.Kind, s.Name)
		}
		key = v
	}
	return key, source, false
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *APIKey) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (err error) {
	if rec, rw := trafficStart(w, r); rec != nil {
		defer rec.finish(r, &err)
		w = rw
	}
	key, source, ambiguous := h.extract(r)
	if ambiguous {
		h.ambiguous.Inc()
		w.Header()["Www-Authenticate"] = []string{h.answers[noKey].wwwAuthenticate}
		return refuse(w, r, http.StatusBadRequest, "api_key: the request holds more than one API key",
			[]byte(`{"error":"invalid_request","error_description":"the request holds more than one API key"}`+"\n"))
	}
	if key == "" {
		if h.Optional {
			h.anonymous.Inc()
			return next.ServeHTTP(w, r)
		}
		return h.refuse(w, r, noKey)
	}
	ck := h.checked(key)
	if ck == nil {
		c, why := h.store.Authenticate(key, h.now())
		if why != consumers.Accepted {
			return h.refuse(w, r, why)
		}
		ck = h.remember(key, c)
	}
	h.accepted.Inc()
	caddyhttp.SetVar(r.Context(), consumerVar, ck.consumerVar)
	// {http.auth.user.id} stands for this key (response_cache's key)
	caddyhttp.SetVar(r.Context(), caddykit.CredentialSourceVar, source)
	caddyhttp.SetVar(r.Context(), caddykit.AuthRealmVar, "api_key")
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	repl.Map(ck.provider)
	if h.HideKey {
		h.hide(r)
	}
	return next.ServeHTTP(w, r)
}

// hide removes the accepted key from every place it was read from (hide_key).
// extract has made sure these places hold that key and no other.
func (h *APIKey) hide(r *http.Request) {
	for _, s := range h.From {
		switch s.Kind {
		case "header":
			delete(r.Header, s.Name)
		case "authorization":
			if vals := r.Header["Authorization"]; len(vals) == 1 {
				if scheme, _, ok := strings.Cut(vals[0], " "); ok && strings.EqualFold(scheme, s.Name) {
					delete(r.Header, "Authorization")
				}
			}
		case "query":
			r.URL.RawQuery = dropQueryParam(r.URL.RawQuery, s.Name)
			r.RequestURI = r.URL.RequestURI()
		}
	}
}

// dropQueryParam removes a parameter from a raw query and keeps the rest
// as it was (order and encoding).
func dropQueryParam(raw, name string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil && uk == name {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}

// checkedKey is a key this handler accepted, with what a request that
// carries it needs, made once.
type checkedKey struct {
	keyID    string
	consumer *consumers.Consumer // the consumer as it was then
	hash     consumers.Hash
	expires  int64 // unix ns; 0: never
	provider caddy.ReplacerFunc
	// consumerVar is the consumer's id as the request variable holds it,
	// boxed once rather than on every request
	consumerVar any
}

// keyCache maps a key to its check. (A map under a read lock rather than
// a sync.Map, whose Load would box the key string: an allocation per
// request.)
type keyCache struct {
	mu sync.RWMutex
	m  map[string]*checkedKey
}

// maxCheckedKeys bounds the cache of accepted keys; when it is full it
// starts afresh.
const maxCheckedKeys = 10000

// checked returns the cached check of a key that still works as it did:
// the store still gives its key id to the same consumer value (any change
// to the consumer, its plan or its keys replaces that value) with the same
// hash, and it has not expired. A key is cached only once accepted, so a
// hit (faster than a full check) tells a caller only that the key it holds
// is good, which the answer says anyway.
func (h *APIKey) checked(key string) *checkedKey {
	h.cache.mu.RLock()
	ck := h.cache.m[key]
	h.cache.mu.RUnlock()
	if ck == nil {
		return nil
	}
	holder, hash, expires := h.store.Holder(ck.keyID)
	if holder != ck.consumer || hash != ck.hash || (expires != 0 && h.now().UnixNano() >= expires) {
		h.cache.mu.Lock()
		delete(h.cache.m, key)
		h.cache.mu.Unlock()
		return nil
	}
	return ck
}

// remember caches an accepted key.
func (h *APIKey) remember(key string, c *consumers.Consumer) *checkedKey {
	keyID := consumers.KeyID(key)
	_, hash, expires := h.store.Holder(keyID)
	plan, _ := h.app.plan(c.Plan)
	ck := &checkedKey{keyID: keyID, consumer: c, hash: hash, expires: expires, consumerVar: c.ID}
	ck.provider = func(name string) (any, bool) {
		rest, ok := strings.CutPrefix(name, userPrefix)
		if !ok {
			return nil, false
		}
		switch rest {
		case "id", "consumer":
			return c.ID, true
		case "plan":
			return plan, true
		case "key_id":
			return keyID, true
		}
		if m, ok := strings.CutPrefix(rest, "metadata."); ok {
			v, ok := c.Metadata[m]
			return v, ok
		}
		return nil, false
	}
	h.cache.mu.Lock()
	if len(h.cache.m) >= maxCheckedKeys {
		clear(h.cache.m)
	}
	h.cache.m[key] = ck
	h.cache.mu.Unlock()
	return ck
}

// refuse answers 401 with WWW-Authenticate.
func (h *APIKey) refuse(w http.ResponseWriter, r *http.Request, why consumers.Reason) error {
	h.refused[why].Inc()
	if c := h.logger.Check(zapcore.DebugLevel, "api_key refused a request"); c != nil {
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		reason := why.String()
		if why == noKey {
			reason = "no_key"
		}
		c.Write(zap.String("reason", reason), zap.String("remote_ip", ip), zap.String("uri", caddykit.RedactURI(r.URL)))
	}
	a := h.answers[why]
	w.Header()["Www-Authenticate"] = []string{a.wwwAuthenticate}
	msg := "api_key: an API key is required"
	if why != noKey {
		msg = "api_key: " + why.Description()
	}
	return refuse(w, r, http.StatusUnauthorized, msg, a.body)
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	api_key [<matcher>] {
//		from header <name> | query <name> | authorization ApiKey
//		realm <realm>
//		optional
//		hide_key [on|off]
//	}
//
// `from` may be given several times; without it the key is read from the
// header X-Api-Key.
func (h *APIKey) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "from":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return d.Errf("from takes two arguments: header <name>, query <name> or authorization ApiKey; got %q", args)
			}
			switch args[0] {
			case "header", "query":
			case "authorization":
				if !strings.EqualFold(args[1], "ApiKey") {
					return d.Errf("from authorization %q: the scheme is ApiKey", args[1])
				}
			default:
				return d.Errf("from %q: want header <name>, query <name> or authorization ApiKey", args[0])
			}
			h.From = append(h.From, KeySource{Kind: args[0], Name: args[1]})
		case "realm":
			if !d.NextArg() {
				return d.ArgErr()
			}
			h.Realm = d.Val()
			if d.NextArg() {
				return d.ArgErr()
			}
		case "optional":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.Optional = true
		case "hide_key":
			h.HideKey = true
			if d.NextArg() {
				switch d.Val() {
				case "on":
				case "off":
					h.HideKey = false
				default:
					return d.Errf("hide_key takes on or off, not %q", d.Val())
				}
				if d.NextArg() {
					return d.ArgErr()
				}
			}
		default:
			return d.Errf("unrecognized subdirective %q; api_key knows: from, realm, optional, hide_key", d.Val())
		}
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*APIKey)(nil)
	_ caddy.Validator             = (*APIKey)(nil)
	_ caddy.CleanerUpper          = (*APIKey)(nil)
	_ caddyhttp.MiddlewareHandler = (*APIKey)(nil)
	_ caddyfile.Unmarshaler       = (*APIKey)(nil)
)
