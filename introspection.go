package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/introspect"
	"github.com/caddygateway/caddy-gateway/internal/oidc"
)

func init() {
	caddy.RegisterModule(TokenIntrospection{})
}

// TokenIntrospection authenticates requests with opaque OAuth 2.0 access
// tokens (tokens that are not JWTs), by asking the identity provider's
// introspection endpoint (RFC 7662) whether each is active.
//
// The token is read from the Authorization header (`Bearer <token>`) or
// from the configured sources, as jwt_auth reads it. The gateway
// authenticates to the endpoint with client_id and client_secret
// (client_secret_basic); the endpoint is configured, or discovered from
// the issuer's OpenID Connect metadata (introspection_endpoint).
//
// On an active token, {http.auth.user.id} holds the answer's `sub` (or,
// without one, as for client-credentials tokens, its `client_id`; empty
// but set without either) and {http.auth.user.<member>} each member of the
// answer (scope, client_id, username, exp, any other claim), rendered as
// jwt_auth renders claims; throttle, circuit_breaker, response_cache (which
// treats the request as credentialed) and access logs use them the same
// way.
//
// A request without a token, or whose token is not active, is refused
// with 401, `Cache-Control: no-store` and `WWW-Authenticate: Bearer
// realm="..."` (with `error="invalid_token"` when a token was sent); a
// request with two different tokens gets 400. When the endpoint cannot
// answer (unreachable, slow, 5xx, an unreadable answer, a wrong client
// secret), the request is refused with 503 and Retry-After: the token may
// be good, so it is neither called invalid nor let through. Refusals go
// through handle_errors when the site has error routes (message
// `token_introspection: <description>`), as jwt_auth's do. CORS preflights
// go on untouched.
//
// Answers are remembered by the SHA-256 of the token, never the token:
// active ones for at most cache_ttl and never past the token's exp (so a
// revoked token stops working within cache_ttl), inactive ones for
// inactive_cache_ttl; each table holds a bounded number of entries.
// Concurrent requests with the same token make one call, and at most
// max_concurrent calls are in flight.
type TokenIntrospection struct {
	// The provider's issuer URL: the introspection endpoint is read from
	// its OpenID Connect metadata (<issuer>/.well-known/openid-configuration,
	// whose issuer must be this one). Either issuer or endpoint.
	Issuer string `json:"issuer,omitempty"`

	// The introspection endpoint's URL. https (http only on a loopback
	// address). Either issuer or endpoint.
	Endpoint string `json:"endpoint,omitempty"`

	// The gateway's client ID at the provider. Required.
	ClientID string `json:"client_id,omitempty"`

	// The gateway's client secret; placeholders such as
	// {env.INTROSPECTION_SECRET} or {file./run/secrets/idp} are replaced
	// when the config loads. Required.
	ClientSecret string `json:"client_secret,omitempty"`

	// Where to look for the token, in order. Default: the Authorization
	// header.
	From []TokenSource `json:"from,omitempty"`

	// The longest an active answer is trusted, and so the longest a
	// revoked token keeps working. Never past the token's exp. Default: 1m.
	CacheTTL caddy.Duration `json:"cache_ttl,omitempty"`

	// How long an inactive answer is remembered. Default: 10s.
	InactiveCacheTTL caddy.Duration `json:"inactive_cache_ttl,omitempty"`

	// How many active answers to remember. Default: 10000.
	CacheSize int `json:"cache_size,omitempty"`

	// How many inactive answers to remember. Default: 1000.
	InactiveCacheSize int `json:"inactive_cache_size,omitempty"`

	// The longest a call to the endpoint (and a discovery) may take.
	// Default: 3s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// The most calls to the endpoint in flight at once; a request that
	// cannot get one within timeout is answered 503. Default: 64.
	MaxConcurrent int `json:"max_concurrent,omitempty"`

	// The longest token accepted, in bytes, checked before anything else.
	// Default: 8192.
	MaxTokenSize int `json:"max_token_size,omitempty"`

	// Let requests without a token through, anonymously. A token that is
	// not active is still refused.
	Optional bool `json:"optional,omitempty"`

	// The realm in the WWW-Authenticate header. Default: restricted.
	Realm string `json:"realm,omitempty"`

	engine      *atomic.Pointer[introspect.Introspector[*introspected]] // nil until discovered
	sources     []TokenSource
	sourceNames []string
	realm       any // caddykit.AuthRealmVar: the issuer, else the endpoint (boxed once)
	secret      string
	answers     map[string]refusalAnswer
	logger      *zap.Logger
	now         func() time.Time
	cancel      context.CancelFunc
	counters    map[[2]string]prometheus.Counter
}

// The refusals' descriptions, by reason.
var introspectionRefusals = map[string]string{
	"no_token":     "a bearer token is required",
	"ambiguous":    "the request carries more than one token; send exactly one",
	"too_large":    "the token is too large",
	"inactive":     "the token is not active",
	"unavailable":  "the token cannot be checked now; retry later",
	"undiscovered": "the token cannot be checked yet; retry later",
}

// CaddyModule returns the Caddy module information.
func (TokenIntrospection) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.token_introspection",
		New: func() caddy.Module { return new(TokenIntrospection) },
	}
}

// Provision resolves the client secret, builds the answers and the
// engine, and starts the discovery of the endpoint when issuer is set.
func (t *TokenIntrospection) Provision(ctx caddy.Context) error {
	if t.logger == nil {
		t.logger = ctx.Logger()
	}
	if t.now == nil {
		t.now = time.Now
	}
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	t.counters = map[[2]string]prometheus.Counter{}
	for _, o := range [][2]string{{"active", "call"}, {"active", "cache"}, {"inactive", "call"}, {"inactive", "cache"},
		{"unavailable", ""}, {"anonymous", ""}, {"preflight", ""}, {"no_token", ""}, {"ambiguous", ""}, {"too_large", ""}} {
		t.counters[o] = metrics.introspections.WithLabelValues(o[0], o[1])
	}
	t.secret = caddy.NewReplacer().ReplaceKnown(t.ClientSecret, "")
	if t.secret == "" {
		return fmt.Errorf("token_introspection: client_secret %q is empty once its placeholders are replaced; is the environment variable set?", t.ClientSecret)
	}
	if t.Realm == "" {
		t.Realm = defaultRealm
	}
	t.answers = map[string]refusalAnswer{}
	for why, desc := range introspectionRefusals {
		header := fmt.Sprintf(`Bearer realm=%q`, t.Realm)
		body := map[string]string{"error": "unauthorized", "error_description": desc}
		switch why {
		case "no_token":
		case "ambiguous":
			header += fmt.Sprintf(`, error="invalid_request", error_description=%q`, desc)
			body["error"] = "invalid_request"
		case "unavailable", "undiscovered":
			header = ""
			body["error"] = "temporarily_unavailable"
		default:
			header += fmt.Sprintf(`, error="invalid_token", error_description=%q`, desc)
			body["error"] = "invalid_token"
		}
		b, _ := json.Marshal(body)
		t.answers[why] = refusalAnswer{wwwAuthenticate: header, body: append(b, '\n')}
	}
	t.sources = append([]TokenSource(nil), t.From...)
	if len(t.sources) == 0 {
		t.sources = []TokenSource{{Type: "header", Name: "Authorization"}}
	}
	t.sourceNames = make([]string, len(t.sources))
	var cs caddykit.CredentialSources
	for i, s := range t.sources {
		t.sourceNames[i] = caddykit.CredentialSourceOf(s.Type, s.Name)
		switch s.Type {
		case "header":
			t.sources[i].Name = http.CanonicalHeaderKey(s.Name)
			cs.Headers = append(cs.Headers, s.Name)
		case "query":
			cs.Query = append(cs.Query, s.Name)
		}
	}
	caddykit.AddCredentialSources(t, cs)

	t.realm = "token_introspection\x00" + cmp.Or(t.Issuer, t.Endpoint)
	t.engine = new(atomic.Pointer[introspect.Introspector[*introspected]])
	if t.Endpoint != "" {
		t.engine.Store(t.newEngine(t.Endpoint))
		return nil
	}
	if err := oidc.CheckURL("issuer", t.Issuer); err != nil {
		return fmt.Errorf("token_introspection: %w", err)
	}
	dctx, cancel := context.WithCancel(ctx)
	t.cancel = cancel
	go t.discover(dctx)
	return nil
}

// newEngine builds the engine for an endpoint.
func (t *TokenIntrospection) newEngine(endpoint string) *introspect.Introspector[*introspected] {
	return introspect.New(introspect.Config[*introspected]{
		Endpoint: endpoint, ClientID: t.ClientID, ClientSecret: t.secret,
		Timeout: time.Duration(t.Timeout),
		MaxTTL:  time.Duration(t.CacheTTL), InactiveTTL: time.Duration(t.InactiveCacheTTL),
		CacheSize: t.CacheSize, InactiveCacheSize: t.InactiveCacheSize,
		MaxConcurrent: t.MaxConcurrent, MaxTokenSize: t.MaxTokenSize,
		Now: func() time.Time { return t.now() }, Prepare: newIntrospected,
	})
}

// discover reads the issuer's metadata until it names an introspection
// endpoint (retrying after 1s, doubling up to a minute): a provider that
// is down when the config loads does not stop it loading, and requests
// get 503 until the endpoint is known.
func (t *TokenIntrospection) discover(ctx context.Context) {
	timeout := cmpDuration(t.Timeout, introspect.DefaultTimeout)
	client := oidc.NewClient(timeout)
	for retry := time.Second; ; retry = min(2*retry, time.Minute) {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		m, err := oidc.Discover(cctx, client, t.Issuer)
		cancel()
		if err == nil && m.IntrospectionEndpoint == "" {
			err = errors.New("the provider's metadata names no introspection_endpoint; configure endpoint")
		}
		if err == nil {
			t.engine.Store(t.newEngine(m.IntrospectionEndpoint))
			t.logger.Info("token_introspection: introspection endpoint discovered",
				zap.String("issuer", t.Issuer), zap.String("endpoint", m.IntrospectionEndpoint))
			return
		}
		if ctx.Err() != nil {
			return
		}
		t.logger.Error("token_introspection: discovering the introspection endpoint failed; tokens are answered 503 until it succeeds",
			zap.String("issuer", t.Issuer), zap.Error(err), zap.Duration("retry_in", retry))
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

// Validate rejects configurations that cannot work.
func (t *TokenIntrospection) Validate() error {
	switch {
	case t.Issuer == "" && t.Endpoint == "":
		return errors.New("token_introspection: set endpoint, or issuer to discover it")
	case t.Issuer != "" && t.Endpoint != "":
		return errors.New("token_introspection: set endpoint or issuer, not both")
	case t.ClientID == "":
		return errors.New("token_introspection: client_id is required")
	}
	if t.Endpoint != "" {
		if err := oidc.CheckURL("endpoint", t.Endpoint); err != nil {
			return fmt.Errorf("token_introspection: %w", err)
		}
	}
	for _, s := range t.From {
		switch s.Type {
		case "header", "cookie", "query":
		default:
			return fmt.Errorf("token_introspection: token source %q must be header, cookie or query", s.Type)
		}
		if s.Name == "" {
			return fmt.Errorf("token_introspection: token source %s needs a name", s.Type)
		}
	}
	if t.CacheSize < 0 || t.InactiveCacheSize < 0 || t.MaxConcurrent < 0 || t.MaxTokenSize < 0 {
		return errors.New("token_introspection: cache_size, inactive_cache_size, max_concurrent and max_token_size must be positive")
	}
	if strings.ContainsAny(t.Realm, "\"\\\r\n") {
		return fmt.Errorf("token_introspection: realm %q must not contain quotes, backslashes or line breaks", t.Realm)
	}
	return nil
}

// Cleanup stops the discovery and forgets the token sources.
func (t *TokenIntrospection) Cleanup() error {
	caddykit.RemoveCredentialSources(t)
	if t.cancel != nil {
		t.cancel()
	}
	return nil
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (t *TokenIntrospection) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (err error) {
	if rec, rw := trafficStart(w, r); rec != nil {
		// the dashboard's traffic counts the answer (traffic.go)
		defer rec.finish(r, &err)
		w = rw
	}
	if isPreflight(r) {
		t.counters[[2]string{"preflight", ""}].Inc()
		return next.ServeHTTP(w, r)
	}
	token, src, ambiguous := extractToken(t.sources, r)
	if ambiguous {
		return t.refuse(w, r, "ambiguous", http.StatusBadRequest, 0, nil)
	}
	if token == "" {
		if t.Optional {
			t.counters[[2]string{"anonymous", ""}].Inc()
			return next.ServeHTTP(w, r)
		}
		return t.refuse(w, r, "no_token", http.StatusUnauthorized, 0, nil)
	}
	engine := t.engine.Load()
	if engine == nil {
		return t.refuse(w, r, "undiscovered", http.StatusServiceUnavailable, time.Second, nil)
	}
	a, err := engine.Check(r.Context(), token)
	if err != nil {
		var u *introspect.UnavailableError
		if errors.As(err, &u) {
			return t.refuse(w, r, "unavailable", http.StatusServiceUnavailable, u.RetryAfter, err)
		}
		return t.refuse(w, r, "too_large", http.StatusUnauthorized, 0, err)
	}
	source := "call"
	if a.Cached {
		source = "cache"
	}
	if !a.Active {
		t.counters[[2]string{"inactive", source}].Inc()
		return t.refuse(w, r, "inactive", http.StatusUnauthorized, 0, nil)
	}
	t.counters[[2]string{"active", source}].Inc()
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	repl.Map(a.Val.provider)
	caddyhttp.SetVar(r.Context(), caddykit.CredentialSourceVar, t.sourceNames[src])
	caddyhttp.SetVar(r.Context(), caddykit.AuthRealmVar, t.realm)
	return next.ServeHTTP(w, r)
}

// refuse answers a refused request: 401 (400 for two tokens) with
// WWW-Authenticate, or 503 with Retry-After.
func (t *TokenIntrospection) refuse(w http.ResponseWriter, r *http.Request, why string, status int, retry time.Duration, err error) error {
	if c := t.counters[[2]string{why, ""}]; c != nil {
		c.Inc()
	}
	if why == "undiscovered" {
		t.counters[[2]string{"unavailable", ""}].Inc()
	}
	level := zapcore.DebugLevel
	if why == "unavailable" && !errors.Is(err, introspect.ErrBackingOff) {
		level = zapcore.ErrorLevel // a call failed; calls skipped in the backoff after it are not logged again
	}
	if c := t.logger.Check(level, "token_introspection refused a request"); c != nil {
		ip, _, splitErr := net.SplitHostPort(r.RemoteAddr)
		if splitErr != nil {
			ip = r.RemoteAddr
		}
		fields := []zap.Field{zap.String("reason", why), zap.String("remote_ip", ip), zap.String("uri", caddykit.RedactURI(r.URL))}
		if err != nil {
			fields = append(fields, zap.Error(err))
		}
		c.Write(fields...)
	}
	a := t.answers[why]
	if a.wwwAuthenticate != "" {
		w.Header()["Www-Authenticate"] = []string{a.wwwAuthenticate}
	}
	if status == http.StatusServiceUnavailable {
		w.Header()["Retry-After"] = []string{strconv.FormatInt(max(1, retryAfterSeconds(int64(retry))), 10)}
	}
	return refuse(w, r, status, "token_introspection: "+introspectionRefusals[why], a.body)
}

// introspected is what the request path needs of an active token: the
// placeholders, served by one function made once per answer.
type introspected struct {
	provider caddy.ReplacerFunc
}

// newIntrospected prepares an active answer's placeholders:
// {http.auth.user.<member>} for each member and {http.auth.user.id} (sub,
// else client_id, else empty). A member named like a consumer's
// placeholder (consumer, plan, key_id, metadata) never fills it.
func newIntrospected(claims map[string]any) *introspected {
	vars := make(map[string]any, len(claims)+1)
	for name, val := range claims {
		vars[userPrefix+name] = claimString(val)
	}
	vars[userPrefix+"id"] = ""
	if sub, ok := claims["sub"].(string); ok && sub != "" {
		vars[userPrefix+"id"] = sub
	} else if cid, ok := claims["client_id"].(string); ok {
		vars[userPrefix+"id"] = cid
	}
	return &introspected{provider: func(key string) (any, bool) {
		if consumerPlaceholder(key) {
			return nil, false
		}
		val, ok := vars[key]
		return val, ok
	}}
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	token_introspection [<matcher>] {
//		issuer <url>                 # or: endpoint <url>
//		endpoint <url>
//		client_id <id>
//		client_secret <secret>       # e.g. {env.INTROSPECTION_SECRET}
//		from header <name> | cookie <name> | query <param>
//		cache_ttl <duration>
//		inactive_cache_ttl <duration>
//		cache_size <n>
//		inactive_cache_size <n>
//		timeout <duration>
//		max_concurrent <n>
//		max_token_size <bytes>
//		optional
//		realm <realm>
//	}
func (t *TokenIntrospection) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("token_introspection takes a block, not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		o := option{d: d, name: d.Val(), args: d.RemainingArgs()}
		var err error
		switch o.name {
		case "issuer", "endpoint":
			var u string
			if u, err = o.one(); err == nil {
				if cerr := oidc.CheckURL(o.name, u); cerr != nil {
					return d.Err(cerr.Error())
				}
			}
			if o.name == "issuer" {
				t.Issuer = u
			} else {
				t.Endpoint = u
			}
			if t.Issuer != "" && t.Endpoint != "" {
				return d.Errf("%s: set endpoint or issuer (which discovers the endpoint), not both", o.name)
			}
		case "client_id":
			t.ClientID, err = o.one()
		case "client_secret":
			t.ClientSecret, err = o.one()
		case "from":
			if len(o.args) != 2 {
				return d.Errf("from takes two arguments: header <name>, cookie <name> or query <param>")
			}
			switch o.args[0] {
			case "header", "cookie", "query":
			default:
				return d.Errf("from %q: want header, cookie or query", o.args[0])
			}
			t.From = append(t.From, TokenSource{Type: o.args[0], Name: o.args[1]})
		case "cache_ttl":
			t.CacheTTL, err = o.duration()
		case "inactive_cache_ttl":
			t.InactiveCacheTTL, err = o.duration()
		case "timeout":
			t.Timeout, err = o.duration()
		case "cache_size", "inactive_cache_size", "max_concurrent", "max_token_size":
			var s string
			var n int
			if s, err = o.one(); err == nil {
				if n, err = strconv.Atoi(s); err != nil || n < 1 {
					return d.Errf("%s %q must be a positive number", o.name, s)
				}
			}
			switch o.name {
			case "cache_size":
				t.CacheSize = n
			case "inactive_cache_size":
				t.InactiveCacheSize = n
			case "max_concurrent":
				t.MaxConcurrent = n
			default:
				t.MaxTokenSize = n
			}
		case "optional":
			if len(o.args) != 0 {
				return d.Errf("optional takes no arguments")
			}
			t.Optional = true
		case "realm":
			t.Realm, err = o.one()
		default:
			return d.Errf("unrecognized subdirective %q; token_introspection knows: issuer, endpoint, client_id, client_secret, from, "+
				"cache_ttl, inactive_cache_ttl, cache_size, inactive_cache_size, timeout, max_concurrent, max_token_size, optional, realm", o.name)
		}
		if err != nil {
			return err
		}
	}
	switch {
	case t.Issuer == "" && t.Endpoint == "":
		return d.Err("token_introspection: set endpoint <url>, or issuer <url> to discover it")
	case t.ClientID == "" || t.ClientSecret == "":
		return d.Err("token_introspection: client_id and client_secret are required (the gateway's credentials at the provider)")
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*TokenIntrospection)(nil)
	_ caddy.Validator             = (*TokenIntrospection)(nil)
	_ caddy.CleanerUpper          = (*TokenIntrospection)(nil)
	_ caddyhttp.MiddlewareHandler = (*TokenIntrospection)(nil)
	_ caddyfile.Unmarshaler       = (*TokenIntrospection)(nil)
)
