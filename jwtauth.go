package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/net/http/httpguts"
	"golang.org/x/time/rate"

	"github.com/caddygateway/caddy-gateway/internal/jwtverify"
	"github.com/caddygateway/caddy-gateway/internal/oidc"
)

// jwt_auth defaults.
const (
	defaultRealm          = "restricted"
	defaultMaxTokenSize   = 8 << 10
	defaultTokenCacheSize = 10000
	defaultJWKSRefresh    = 15 * time.Minute
	defaultJWKSCooldown   = time.Minute
	defaultJWKSTimeout    = 3 * time.Second
)

// JWTAuth authenticates requests with a JSON Web Token.
//
// The token is read from the Authorization header (`Bearer <jwt>`, or a bare
// `<jwt>` as simple clients send it) or from the configured sources. It must
// be signed with one of the allowed algorithms by one of the configured keys,
// and pass the time checks (exp, nbf, iat, with leeway) and the configured
// issuer, audience and required claims.
//
// The algorithm is never taken from the token alone: it must be in
// `algorithms`, which defaults to what the configured keys can verify. `none`
// is never accepted, and an HMAC token is only ever checked against the
// secret, never against a public key. The token's jku, x5u, jwk and x5c
// headers are ignored.
//
// On success, the placeholder {http.auth.user.id} holds the `sub` claim
// (empty, but set, for a token without one) and
// {http.auth.user.<claim>} each top-level claim (strings as they are, numbers
// and booleans in JSON form, arrays of scalars joined with commas, objects as
// JSON), for access logs, `throttle` keys and headers. `claim_header` copies
// claims into request headers for the upstream.
//
// A request without a token, or with a token that fails, is refused with
// 401, `Cache-Control: no-store` and `WWW-Authenticate: Bearer realm="..."`
// (RFC 6750), with `error="invalid_token"` and a short `error_description`
// when a token was sent (a request with two different tokens gets 400 and
// `error="invalid_request"`). Without handle_errors routes for the site, the
// handler writes that answer itself, with a small JSON body; with them, it
// returns the status as a Caddy error (message `jwt_auth: <description>`,
// for {err.status_code} and {err.message}) with those headers already set,
// and the error routes answer. With `optional`, a request without a token
// goes on anonymously (a bad token is still refused). CORS preflight requests
// (OPTIONS with Origin and Access-Control-Request-Method, and no body: a
// browser's preflight never has one) go on untouched.
//
// Verified tokens are cached (keyed by the whole token, for at most a minute
// and never past their exp), so a repeated token costs a lookup rather than a
// signature check.
type JWTAuth struct {
	// The HMAC secret for HS256, HS384 and HS512 tokens. Placeholders such as
	// {env.JWT_SECRET} or {file./run/secrets/jwt} are replaced when the config
	// loads.
	Secret string `json:"secret,omitempty"`

	// More HMAC secrets, for rotation: a token verifies with any of them
	// (with the one whose key_id matches the token's kid header, when it
	// has one that matches). Placeholders as for Secret.
	Secrets []HMACSecret `json:"secrets,omitempty"`

	// PEM files with public keys (RSA, ECDSA or Ed25519; a PUBLIC KEY, RSA
	// PUBLIC KEY or CERTIFICATE block) for RS*, PS*, ES* and EdDSA tokens.
	PublicKeys []string `json:"public_keys,omitempty"`

	// URLs of JSON Web Key Sets. A token's `kid` picks the key. The sets are
	// fetched when the config loads, refreshed every JWKSRefresh, and
	// refetched on an unknown kid at most once per JWKSCooldown; when an
	// endpoint fails, the last good set stays in use.
	JWKS []string `json:"jwks,omitempty"`

	// How often the JWKS are refreshed. Default: 15m.
	JWKSRefresh caddy.Duration `json:"jwks_refresh,omitempty"`

	// The least time between two refetches caused by unknown kids, so that
	// tokens with made-up kids cannot make the gateway hammer the JWKS
	// endpoint. Default: 1m.
	JWKSCooldown caddy.Duration `json:"jwks_cooldown,omitempty"`

	// The longest a JWKS fetch may take, and so the longest a request with an
	// unknown kid may wait for one. Default: 3s.
	JWKSTimeout caddy.Duration `json:"jwks_timeout,omitempty"`

	// The signing algorithms accepted. Default: every algorithm the
	// configured keys can verify (HS256/384/512 for a secret; RS*/PS* for RSA
	// keys; ES256, ES384 or ES512 for ECDSA keys by curve; EdDSA for Ed25519;
	// RS*, PS*, ES* and EdDSA for JWKS).
	Algorithms []string `json:"algorithms,omitempty"`

	// Accepted issuers; when set, the token's `iss` must be one of them.
	//
	// OpenID Connect discovery: with one issuer and no secret, public_key
	// or jwks, the issuer names the OpenID Provider the keys come from. Its
	// metadata (<issuer>/.well-known/openid-configuration) must name that
	// same issuer, and its jwks_uri gives the keys, refreshed every
	// JWKSRefresh and refetched for an unknown kid at most once per
	// JWKSCooldown; when the provider cannot be reached, the last good
	// keys stay in use (the log and the dashboard say so). The issuer must
	// be an https URL (http only on a loopback address). A provider that
	// is down when the config loads does not stop it loading: tokens are
	// refused with 401 until its keys arrive.
	Issuers []string `json:"issuers,omitempty"`

	// Accepted audiences; when set, the token's `aud` must contain one.
	Audiences []string `json:"audiences,omitempty"`

	// Clock skew allowed when checking exp, nbf and iat. Default: 0.
	Leeway caddy.Duration `json:"leeway,omitempty"`

	// Claims that must be present, e.g. exp or sub.
	Require []string `json:"require,omitempty"`

	// Where to look for the token, in order. Default: the Authorization
	// header.
	From []TokenSource `json:"from,omitempty"`

	// Claims to pass upstream in request headers. A header of that name sent
	// by the client is always removed first, token or not.
	ClaimHeaders []ClaimHeader `json:"claim_headers,omitempty"`

	// Let requests without a token through, anonymously. A request with a
	// token that fails is still refused.
	Optional bool `json:"optional,omitempty"`

	// What to do with CORS preflight requests (OPTIONS with Origin and
	// Access-Control-Request-Method, and no body), which browsers send
	// without credentials: "pass" lets them through to the next handler
	// unauthenticated, "check" treats them as any other request. Default:
	// pass. With the cors directive in front (it answers preflights
	// itself), preflights never reach jwt_auth; without it, "pass" lets the
	// upstream answer them, so use "check" when the upstream does not
	// handle CORS.
	Preflight string `json:"preflight,omitempty"`

	// The realm in the WWW-Authenticate header. Default: restricted.
	Realm string `json:"realm,omitempty"`

	// The claim naming the consumer (see the consumers app) the token's
	// holder belongs to, so that one plan governs API keys and tokens
	// alike. A token naming an existing, enabled consumer sets
	// {http.auth.user.consumer} and {http.auth.user.plan} (the consumer's
	// plan, whatever a claim of that name says), and `throttle { plan }`
	// applies that plan; a token naming a consumer that does not exist or
	// is disabled is refused with 401; a token without the claim is no
	// consumer's. {http.auth.user.id} stays the token's sub. Default: none.
	ConsumerClaim string `json:"consumer_claim,omitempty"`

	// The longest token accepted, in bytes, checked before any parsing.
	// Default: 8192.
	MaxTokenSize int `json:"max_token_size,omitempty"`

	// How many verified tokens to remember. Default: 10000. Negative: no
	// cache.
	CacheSize int `json:"cache_size,omitempty"`

	keys     jwtverify.Keys
	allowed  map[string]bool
	verifier *jwtverify.Verifier[*verifiedToken]
	sources  []TokenSource
	// sourceNames name the sources for response_cache (credentialSourceVar)
	sourceNames []string
	headers     []ClaimHeader // with canonical header names
	// claimHeaderNames are the claim headers' names in lower case with '-'
	claimHeaderNames []string
	refusals         map[refusal]refusalAnswer
	logger           *zap.Logger
	now              func() time.Time
	jwksCancel       context.CancelFunc
	discoveryKey     string        // with discovery: its key set in processState.identityProviders
	consumers        *ConsumersApp // with consumer_claim
	consumerRefusal  refusalAnswer
	counters         jwtCounters
}

// jwtCounters are the handler's metrics, resolved once at provision so a
// request only adds to a counter.
type jwtCounters struct {
	verified, cached, anonymous, preflight prometheus.Counter
	refused                                map[refusal]prometheus.Counter
}

func newJWTCounters() jwtCounters {
	c := jwtCounters{
		verified:  metrics.jwtRequests.WithLabelValues("accepted", "verified"),
		cached:    metrics.jwtRequests.WithLabelValues("accepted", "cache"),
		anonymous: metrics.jwtRequests.WithLabelValues("anonymous", ""),
		preflight: metrics.jwtRequests.WithLabelValues("preflight", ""),
		refused:   make(map[refusal]prometheus.Counter),
	}
	for _, r := range jwtverify.Reasons() {
		c.refused[r] = metrics.jwtRequests.WithLabelValues("refused", r.String())
	}
	return c
}

// HMACSecret is one HMAC secret, optionally named by a key ID.
type HMACSecret struct {
	// The secret; placeholders are replaced when the config loads.
	Secret string `json:"secret"`
	// The kid header of the tokens signed with it. Optional.
	KeyID string `json:"key_id,omitempty"`
}

// TokenSource is a place to read the token from.
type TokenSource struct {
	// header, cookie or query.
	Type string `json:"type"`
	// The header, cookie or query parameter name.
	Name string `json:"name"`
}

// ClaimHeader copies a claim into a request header.
type ClaimHeader struct {
	Claim  string `json:"claim"`
	Header string `json:"header"`
}

// CaddyModule returns the Caddy module information.
func (JWTAuth) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.jwt_auth",
		New: func() caddy.Module { return new(JWTAuth) },
	}
}

// Provision loads the keys, resolves the secret's placeholders, starts the
// JWKS refresher and builds everything the request path uses.
func (j *JWTAuth) Provision(ctx caddy.Context) error {
	if j.logger == nil { // tests set their own
		j.logger = ctx.Logger()
	}
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	j.counters = newJWTCounters()
	if j.now == nil {
		j.now = time.Now
	}
	if err := j.loadKeys(ctx); err != nil {
		return err
	}
	j.buildSources()
	if j.MaxTokenSize == 0 {
		j.MaxTokenSize = defaultMaxTokenSize
	}
	if j.CacheSize == 0 {
		j.CacheSize = defaultTokenCacheSize
	}
	j.verifier = jwtverify.New(jwtverify.Config[*verifiedToken]{
		Keys: j.keys, Allowed: j.allowed, Issuers: j.Issuers, Audiences: j.Audiences,
		Leeway: time.Duration(j.Leeway), Require: j.Require, MaxTokenSize: j.MaxTokenSize,
		CacheSize: max(0, j.CacheSize), Now: func() time.Time { return j.now() }, Prepare: j.newVerified,
	})
	if j.Realm == "" {
		j.Realm = defaultRealm
	}
	j.refusals = buildRefusals(j.Realm)
	if j.ConsumerClaim != "" {
		app, err := ctx.App("consumers")
		if err != nil {
			return err
		}
		j.consumers = app.(*ConsumersApp)
		j.consumerRefusal = buildConsumerRefusal(j.Realm)
	}
	processState.credentials.add(j, j.credentialSources())
	return nil
}

// credentialSources are the fields and query parameters tokens are read
// from: response_cache counts a request carrying one as credentialed, and
// logs redact such parameters.
func (j *JWTAuth) credentialSources() credentialSources {
	var cs credentialSources
	for _, s := range j.sources {
		switch s.Type {
		case "header":
			cs.headers = append(cs.headers, s.Name)
		case "query":
			cs.query = append(cs.query, s.Name)
		}
	}
	return cs
}

// loadKeys resolves the secrets, reads the PEM keys, starts the JWKS
// refresher, and sets the accepted algorithms: algorithms, or else what
// the keys can verify.
func (j *JWTAuth) loadKeys(ctx caddy.Context) error {
	if err := j.loadSecrets(); err != nil {
		return err
	}
	derived := map[string]bool{}
	if len(j.keys.Secrets) > 0 {
		for _, a := range jwtverify.HMACAlgorithms {
			derived[a] = true
		}
	}
	j.keys.PEM = map[string][]jwt.VerificationKey{}
	for _, file := range j.PublicKeys {
		key, algs, err := jwtverify.LoadPublicKey(file)
		if err != nil {
			return fmt.Errorf("jwt_auth: %w", err)
		}
		family := jwtverify.Family(algs[0])
		j.keys.PEM[family] = append(j.keys.PEM[family], key)
		for _, a := range algs {
			derived[a] = true
		}
	}
	if len(j.JWKS) > 0 || j.discovers() {
		for _, a := range slices.Concat(jwtverify.RSAAlgorithms, jwtverify.ECAlgorithms, jwtverify.EdDSAAlgorithms) {
			derived[a] = true
		}
	}
	switch {
	case len(j.JWKS) > 0:
		if err := j.startJWKS(ctx); err != nil {
			return err
		}
	case j.discovers():
		if err := j.startDiscovery(); err != nil {
			return err
		}
	}
	j.allowed = derived
	if len(j.Algorithms) > 0 {
		j.allowed = map[string]bool{}
		for _, a := range j.Algorithms {
			j.allowed[a] = true
		}
	}
	return nil
}

// buildSources prepares where tokens are read from and which headers carry
// claims upstream.
func (j *JWTAuth) buildSources() {
	j.sources = j.From
	if len(j.sources) == 0 {
		j.sources = []TokenSource{{Type: "header", Name: "Authorization"}}
	}
	j.sourceNames = make([]string, len(j.sources))
	for i, s := range j.sources {
		j.sourceNames[i] = credentialSourceOf(s.Type, s.Name)
		switch s.Type {
		case "header":
			j.sources[i].Name = http.CanonicalHeaderKey(s.Name)
		}
	}
	j.headers = make([]ClaimHeader, len(j.ClaimHeaders))
	for i, ch := range j.ClaimHeaders {
		j.headers[i] = ClaimHeader{Claim: ch.Claim, Header: http.CanonicalHeaderKey(ch.Header)}
		j.claimHeaderNames = append(j.claimHeaderNames, strings.ReplaceAll(strings.ToLower(ch.Header), "_", "-"))
	}
}

// loadSecrets resolves the HMAC secrets' placeholders.
func (j *JWTAuth) loadSecrets() error {
	all := j.Secrets
	if j.Secret != "" {
		all = append([]HMACSecret{{Secret: j.Secret}}, all...)
	}
	j.keys.SecretsByKid = map[string][]byte{}
	repl := caddy.NewReplacer()
	for _, hs := range all {
		secret := repl.ReplaceKnown(hs.Secret, "")
		if secret == "" {
			return fmt.Errorf("jwt_auth: secret %q is empty once its placeholders are replaced; is the environment variable set?", hs.Secret)
		}
		if len(secret) < 32 {
			j.logger.Warn("jwt_auth: an HMAC secret is shorter than 32 bytes; RFC 7518 asks for at least the hash size (32 bytes for HS256)")
		}
		j.keys.Secrets = append(j.keys.Secrets, []byte(secret))
		if hs.KeyID != "" {
			if _, dup := j.keys.SecretsByKid[hs.KeyID]; dup {
				return fmt.Errorf("jwt_auth: two secrets have the key ID %q", hs.KeyID)
			}
			j.keys.SecretsByKid[hs.KeyID] = []byte(secret)
		}
	}
	return nil
}

func (j *JWTAuth) startJWKS(ctx caddy.Context) error {
	for _, u := range j.JWKS {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
			return fmt.Errorf("jwt_auth: jwks %q is not an http(s) URL", u)
		}
	}
	refresh := cmpDuration(j.JWKSRefresh, defaultJWKSRefresh)
	cooldown := cmpDuration(j.JWKSCooldown, defaultJWKSCooldown)
	timeout := cmpDuration(j.JWKSTimeout, defaultJWKSTimeout)
	jctx, cancel := context.WithCancel(ctx)
	j.jwksCancel = cancel
	logger := j.logger
	transport := &countingTransport{next: http.DefaultTransport}
	kf, err := keyfunc.NewDefaultOverrideCtx(jctx, j.JWKS, keyfunc.Override{
		Client:            &http.Client{Timeout: timeout, Transport: transport, CheckRedirect: oidc.RefuseRedirect},
		HTTPTimeout:       timeout,
		RefreshInterval:   refresh,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(cooldown), 1),
		// a request waits for a refetch no longer than the timeout; when the
		// cooldown has not passed, it does not wait at all
		RateLimitWaitMax: timeout,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				if _, ok := transport.fetched.Load(u); !ok {
					logger.Error("jwt_auth: fetching a JWKS failed; no key set fetched yet from it, so tokens signed with its keys are refused until a fetch succeeds",
						zap.String("url", u), zap.Error(err))
					return
				}
				logger.Error("jwt_auth: fetching a JWKS failed; keeping the last good set", zap.String("url", u), zap.Error(err))
			}
		},
	})
	if err != nil {
		cancel()
		return fmt.Errorf("jwt_auth: jwks: %w", err)
	}
	j.keys.JWKS = kf
	return nil
}

// discovers tells whether the keys come from OpenID Connect discovery: no
// key configured, and issuers configured (Validate requires exactly one).
func (j *JWTAuth) discovers() bool {
	return j.Secret == "" && len(j.Secrets) == 0 && len(j.PublicKeys) == 0 && len(j.JWKS) == 0 && len(j.Issuers) > 0
}

// startDiscovery follows the issuer's keys (internal/oidc), in a key set
// shared through processState by every jwt_auth with the same issuer and
// settings: a reload keeps the keys (a reload while the provider is down
// must not lose the last good ones) and makes no new fetch. The first
// fetch runs in the background, so a provider that is down does not stop
// the config from loading.
func (j *JWTAuth) startDiscovery() error {
	if len(j.Issuers) != 1 {
		return fmt.Errorf("jwt_auth: OpenID Connect discovery takes one issuer, got %d; give each provider its own jwt_auth, or configure jwks", len(j.Issuers))
	}
	issuer := j.Issuers[0]
	if err := oidc.CheckURL("issuer", issuer); err != nil {
		return fmt.Errorf("jwt_auth: %w", err)
	}
	timeout := cmpDuration(j.JWKSTimeout, defaultJWKSTimeout)
	refresh := cmpDuration(j.JWKSRefresh, defaultJWKSRefresh)
	cooldown := cmpDuration(j.JWKSCooldown, defaultJWKSCooldown)
	key := fmt.Sprintf("%s %d %d %d", issuer, timeout, refresh, cooldown)
	v, _, err := processState.identityProviders.LoadOrNew(key, func() (caddy.Destructor, error) {
		return newDiscoveredKeys(issuer, timeout, refresh, cooldown), nil
	})
	if err != nil {
		return err
	}
	j.discoveryKey = key
	j.keys.JWKS = v.(*discoveredKeys).KeySet
	return nil
}

// discoveredKeys is an OpenID Provider's key set kept current in the
// background until the last jwt_auth using it is cleaned up.
type discoveredKeys struct {
	*oidc.KeySet
	cancel context.CancelFunc
}

// Destruct stops the refreshes.
func (d *discoveredKeys) Destruct() error {
	d.cancel()
	return nil
}

func newDiscoveredKeys(issuer string, timeout, refresh, cooldown time.Duration) *discoveredKeys {
	// the process's logger, not a config's: the key set outlives configs
	logger := caddy.Log().Named("http.handlers.jwt_auth").With(zap.String("issuer", issuer))
	var failing atomic.Bool
	ks := oidc.NewKeySet(oidc.KeySetConfig{
		Issuer:   issuer,
		Client:   oidc.NewClient(timeout),
		Timeout:  timeout,
		Refresh:  refresh,
		Cooldown: cooldown,
		OnRefresh: func(err error, keptOld bool) {
			result := "ok"
			if err != nil {
				result = "error"
			}
			metrics.jwksFetches.WithLabelValues(issuer, result).Inc()
			switch {
			case err != nil && keptOld:
				failing.Store(true)
				logger.Error("jwt_auth: fetching the OpenID Provider's keys failed; keeping the last good keys", zap.Error(err))
			case err != nil:
				failing.Store(true)
				logger.Error("jwt_auth: fetching the OpenID Provider's keys failed; no keys fetched yet, so its tokens are refused until a fetch succeeds", zap.Error(err))
			case failing.Swap(false):
				logger.Info("jwt_auth: the OpenID Provider's keys are fetched again")
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	go ks.Run(ctx)
	return &discoveredKeys{KeySet: ks, cancel: cancel}
}

func cmpDuration(d caddy.Duration, fallback time.Duration) time.Duration {
	if d > 0 {
		return time.Duration(d)
	}
	return fallback
}

// Validate rejects configurations that cannot verify anything or that would
// accept what they should not.
func (j *JWTAuth) Validate() error {
	if j.Secret == "" && len(j.Secrets) == 0 && len(j.PublicKeys) == 0 && len(j.JWKS) == 0 && len(j.Issuers) == 0 {
		return fmt.Errorf("jwt_auth: no key configured; set secret, public_key, jwks, or issuer for OpenID Connect discovery")
	}
	if j.discovers() {
		if len(j.Issuers) != 1 {
			return fmt.Errorf("jwt_auth: OpenID Connect discovery takes one issuer, got %d; give each provider its own jwt_auth, or configure jwks", len(j.Issuers))
		}
		if err := oidc.CheckURL("issuer", j.Issuers[0]); err != nil {
			return fmt.Errorf("jwt_auth: %w", err)
		}
	}
	for _, a := range j.Algorithms {
		if err := jwtverify.CheckAlgorithm(a); err != nil {
			return fmt.Errorf("jwt_auth: %w", err)
		}
		family := jwtverify.Family(a)
		switch {
		case family == "HMAC" && len(j.keys.Secrets) == 0 && j.Secret == "" && len(j.Secrets) == 0:
			return fmt.Errorf("jwt_auth: algorithms lists %s but no secret is configured", a)
		case family != "HMAC" && len(j.keys.PEM[family]) == 0 && len(j.PublicKeys) == 0 && len(j.JWKS) == 0 && !j.discovers():
			return fmt.Errorf("jwt_auth: algorithms lists %s but no public_key or jwks can verify it", a)
		}
	}
	for _, s := range j.sources {
		switch s.Type {
		case "header", "cookie", "query":
		default:
			return fmt.Errorf("jwt_auth: token source %q must be header, cookie or query", s.Type)
		}
		if s.Name == "" {
			return fmt.Errorf("jwt_auth: token source %s needs a name", s.Type)
		}
	}
	for _, ch := range j.ClaimHeaders {
		if ch.Claim == "" || !httpguts.ValidHeaderFieldName(ch.Header) {
			return fmt.Errorf("jwt_auth: claim_header %q %q: need a claim and a valid header name", ch.Claim, ch.Header)
		}
	}
	if j.MaxTokenSize < 0 {
		return fmt.Errorf("jwt_auth: max_token_size must be positive")
	}
	switch j.Preflight {
	case "", "pass", "check":
	default:
		return fmt.Errorf("jwt_auth: preflight %q must be pass or check", j.Preflight)
	}
	if strings.ContainsAny(j.Realm, "\"\\\r\n") {
		return fmt.Errorf("jwt_auth: realm %q must not contain quotes, backslashes or line breaks", j.Realm)
	}
	return nil
}

// Cleanup stops the JWKS refresher and forgets the token sources.
func (j *JWTAuth) Cleanup() error {
	processState.credentials.remove(j)
	if j.discoveryKey != "" {
		_, _ = processState.identityProviders.Delete(j.discoveryKey)
	}
	if j.jwksCancel != nil {
		j.jwksCancel()
	}
	return nil
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (j *JWTAuth) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (err error) {
	if rec, rw := trafficStart(w, r); rec != nil {
		defer rec.finish(r, &err)
		w = rw
	}
	// a client may never choose what the claim headers say
	j.stripClaimHeaders(r.Header)
	if j.Preflight != "check" && isPreflight(r) {
		j.counters.preflight.Inc()
		return next.ServeHTTP(w, r)
	}

	token, src, ambiguous := j.extract(r)
	if ambiguous {
		return j.refuse(w, r, jwtverify.Ambiguous, nil)
	}
	if token == "" {
		if j.Optional {
			j.counters.anonymous.Inc()
			return next.ServeHTTP(w, r)
		}
		return j.refuse(w, r, jwtverify.NoToken, nil)
	}
	v, cached, why, err := j.verifier.Verify(token)
	if why != 0 {
		return j.refuse(w, r, why, err)
	}
	if cached {
		j.counters.cached.Inc()
	} else {
		j.counters.verified.Inc()
	}

	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	repl.Map(v.provider)
	caddyhttp.SetVar(r.Context(), credentialSourceVar, j.sourceNames[src])
	if j.consumers != nil {
		if err := j.bindConsumer(w, r, repl, v); err != nil {
			return err
		}
	}
	for i, h := range j.headers {
		if val := v.headers[i]; val != "" {
			r.Header[h.Header] = []string{val}
		}
	}
	return next.ServeHTTP(w, r)
}

// isPreflight tells a CORS preflight: OPTIONS with Origin and
// Access-Control-Request-Method, and no body, no Cookie and no
// Authorization. A browser's preflight never carries a body or
// credentials (Fetch standard); an OPTIONS that does is an ordinary
// request dressed as a preflight (to pass authentication and reach what
// follows, waf's CPU and the upstream, with its payload) and is checked
// like any other.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.ContentLength == 0 && len(r.TransferEncoding) == 0 &&
		len(r.Header["Cookie"]) == 0 && len(r.Header["Authorization"]) == 0 &&
		r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// bindConsumer makes the request its consumer's, when the token names one
// (consumer_claim), or refuses it when that consumer does not exist or is
// disabled.
func (j *JWTAuth) bindConsumer(w http.ResponseWriter, r *http.Request, repl *caddy.Replacer, v *verifiedToken) error {
	if !v.hasConsumer {
		return nil
	}
	// a claim that is there but empty, null or not a string names no
	// consumer and is refused like an unknown one: taken for "no claim",
	// it would escape the consumer's quota
	c, ok := processState.consumers.store.Get(v.consumer)
	if v.consumer == "" || !ok || c.Disabled {
		j.counters.refused[jwtverify.Invalid].Inc()
		w.Header()["Www-Authenticate"] = []string{j.consumerRefusal.wwwAuthenticate}
		return refuse(w, r, http.StatusUnauthorized, "jwt_auth: the token's consumer is unknown or disabled", j.consumerRefusal.body)
	}
	plan, _ := j.consumers.plan(c.Plan)
	caddyhttp.SetVar(r.Context(), consumerVar, c.ID)
	repl.Set(userPrefix+"consumer", c.ID)
	repl.Set(userPrefix+"plan", plan)
	return nil
}

// buildConsumerRefusal is the 401 of a token naming an unknown or disabled
// consumer.
func buildConsumerRefusal(realm string) refusalAnswer {
	const desc = "the token's consumer is unknown or disabled"
	b, _ := json.Marshal(map[string]string{"error": "invalid_token", "error_description": desc})
	return refusalAnswer{wwwAuthenticate: fmt.Sprintf(`Bearer realm=%q, error="invalid_token", error_description=%q`, realm, desc),
		body: append(b, '\n')}
}

// stripClaimHeaders removes every request header that an upstream could
// take for one of the claim headers: the name in any case, and with '_'
// for '-' (CGI, PHP, nginx and others fold both into one name).
func (j *JWTAuth) stripClaimHeaders(h http.Header) {
	if len(j.claimHeaderNames) == 0 {
		return
	}
	for name := range h {
		if j.isClaimHeader(name) {
			delete(h, name)
		}
	}
}

func (j *JWTAuth) isClaimHeader(name string) bool {
	for _, want := range j.claimHeaderNames {
		if len(name) != len(want) {
			continue
		}
		same := true
		for i := 0; i < len(name) && same; i++ {
			c := name[i]
			if c == '_' {
				c = '-'
			} else if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			same = c == want[i]
		}
		if same {
			return true
		}
	}
	return false
}

// extract returns the token the request carries. A request that carries
// two different tokens (two Authorization headers, or a header token and a
// different cookie or query token) is ambiguous: which one an upstream
// reads is anyone's guess, so it is refused rather than guessed.
func (j *JWTAuth) extract(r *http.Request) (token string, src int, ambiguous bool) {
	return extractToken(j.sources, r)
}

// extractToken is extract for any list of sources (header names
// canonical), shared by jwt_auth and token_introspection.
func extractToken(sources []TokenSource, r *http.Request) (token string, src int, ambiguous bool) {
	for i, s := range sources {
		var tok string
		var dup bool
		switch s.Type {
		case "header":
			switch vals := r.Header[s.Name]; len(vals) {
			case 0:
			case 1:
				tok = tokenFromHeader(vals[0])
			default:
				dup = true // two headers of one name: never guess which counts
			}
		case "cookie":
			tok, dup = cookieValue(r.Header["Cookie"], s.Name)
		case "query":
			tok, dup = queryValue(r.URL.RawQuery, s.Name)
		}
		if dup {
			return "", 0, true
		}
		if tok == "" {
			continue
		}
		if token != "" && tok != token {
			return "", 0, true
		}
		if token == "" {
			src = i
		}
		token = tok
	}
	return token, src, false
}

// tokenFromHeader reads `Bearer <token>` (any case) or a bare token. Another
// scheme (e.g. Basic) is not a token.
func tokenFromHeader(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	if strings.ContainsAny(v, " \t") {
		return ""
	}
	return v
}

// cookieValue returns the value of the cookie name, and whether the request
// sends that cookie more than once with different values.
func cookieValue(lines []string, name string) (value string, dup bool) {
	found := false
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			if !ok || k != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if found && v != value {
				return "", true
			}
			value, found = v, true
		}
	}
	return value, false
}

// queryValue returns the value of the query parameter name, and whether
// the query holds it more than once with different values.
func queryValue(raw, name string) (value string, dup bool) {
	found := false
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			un, err := url.QueryUnescape(v)
			if err != nil {
				return "", true // unreadable: never guess
			}
			v = un
		}
		if found && v != value {
			return "", true
		}
		value, found = v, true
	}
	return value, false
}

// verifiedToken is what the request path needs of a verified token.
type verifiedToken struct {
	vars     map[string]any     // "http.auth.user.<claim>" -> value
	provider caddy.ReplacerFunc // serves vars; made once, so no request allocates it
	headers  []string           // claim header values, "" when absent or unsafe

	// consumer_claim: whether the token has the claim, and its value when
	// it is a non-empty string ("" otherwise)
	hasConsumer bool
	consumer    string
}

// consumerPlaceholder tells the placeholders only a consumer sets
// (bindConsumer, api_key): a token's claims of these names never fill
// them, so that a token cannot pass for a consumer, a plan, a key or a
// consumer's metadata to what follows.
func consumerPlaceholder(key string) bool {
	rest, ok := strings.CutPrefix(key, userPrefix)
	if !ok {
		return false
	}
	switch rest {
	case "consumer", "plan", "key_id", "metadata":
		return true
	}
	return strings.HasPrefix(rest, "metadata.")
}

const userPrefix = "http.auth.user."

func (j *JWTAuth) newVerified(claims jwt.MapClaims) *verifiedToken {
	v := &verifiedToken{
		vars:    make(map[string]any, len(claims)+1),
		headers: make([]string, len(j.headers)),
	}
	for name, val := range claims {
		v.vars[userPrefix+name] = claimString(val)
	}
	// {http.auth.user.id} is set whenever a token was accepted, to "" when
	// it has no sub (service tokens): it marks the request authenticated
	// (response_cache then never shares a per-caller answer with it).
	v.vars[userPrefix+"id"] = ""
	if sub, ok := v.vars[userPrefix+"sub"]; ok {
		v.vars[userPrefix+"id"] = sub
	}
	for i, h := range j.headers {
		if s, ok := v.vars[userPrefix+h.Claim].(string); ok && httpguts.ValidHeaderFieldValue(s) {
			v.headers[i] = s
		}
	}
	if j.ConsumerClaim != "" {
		var raw any
		raw, v.hasConsumer = claims[j.ConsumerClaim]
		v.consumer, _ = raw.(string)
	}
	vars := v.vars
	v.provider = func(key string) (any, bool) {
		if consumerPlaceholder(key) {
			return nil, false
		}
		val, ok := vars[key]
		return val, ok
	}
	return v
}

// claimString renders a claim for placeholders and headers.
func claimString(val any) string {
	switch x := val.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				b, _ := json.Marshal(x)
				return string(b)
			}
			parts = append(parts, claimString(e))
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(val)
	return string(b)
}

// refusal is why a request is refused: the verifier's reasons, and the
// request-level ones (no token, two tokens), all jwtverify.Reason values.
type refusal = jwtverify.Reason

// refusalAnswer is a 401 answer built once at provision.
type refusalAnswer struct {
	wwwAuthenticate string
	body            []byte
}

func buildRefusals(realm string) map[refusal]refusalAnswer {
	answers := make(map[refusal]refusalAnswer)
	for _, r := range jwtverify.Reasons() {
		reason := [2]string{r.String(), r.Description()}
		header := fmt.Sprintf(`Bearer realm=%q`, realm)
		body := map[string]string{"error": "unauthorized", "error_description": reason[1]}
		switch r {
		case jwtverify.NoToken:
		case jwtverify.Ambiguous: // RFC 6750 3.1: a malformed request is invalid_request, 400
			header += fmt.Sprintf(`, error="invalid_request", error_description=%q`, reason[1])
			body["error"] = "invalid_request"
		default:
			header += fmt.Sprintf(`, error="invalid_token", error_description=%q`, reason[1])
			body["error"] = "invalid_token"
		}
		b, _ := json.Marshal(body)
		answers[r] = refusalAnswer{wwwAuthenticate: header, body: append(b, '\n')}
	}
	return answers
}

func (j *JWTAuth) refuse(w http.ResponseWriter, r *http.Request, why refusal, err error) error {
	if c := j.counters.refused[why]; c != nil {
		c.Inc()
	}
	if c := j.logger.Check(zapcore.DebugLevel, "jwt_auth refused a request"); c != nil {
		ip, _, splitErr := net.SplitHostPort(r.RemoteAddr)
		if splitErr != nil {
			ip = r.RemoteAddr
		}
		fields := []zap.Field{zap.String("reason", why.String()), zap.String("remote_ip", ip),
			zap.String("uri", redactURI(r.URL))}
		if err != nil {
			fields = append(fields, zap.Error(err))
		}
		c.Write(fields...)
	}
	a := j.refusals[why]
	w.Header()["Www-Authenticate"] = []string{a.wwwAuthenticate}
	status := http.StatusUnauthorized
	if why == jwtverify.Ambiguous {
		status = http.StatusBadRequest
	}
	return refuse(w, r, status, "jwt_auth: "+why.Description(), a.body)
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	jwt_auth [<matcher>] {
//		secret <hmac-secret> [<kid>]
//		public_key <file.pem...>
//		jwks <url...>
//		jwks_refresh <duration>
//		jwks_cooldown <duration>
//		jwks_timeout <duration>
//		algorithms <alg...>
//		issuer <iss...>          # alone (no key): OpenID Connect discovery of <iss>
//		audience <aud...>
//		leeway <duration>
//		require <claim...>
//		from header <name> | cookie <name> | query <param>
//		claim_header <claim> <header>
//		optional
//		preflight pass|check
//		realm <realm>
//		consumer_claim <claim>
//		max_token_size <bytes>
//		cache_size <n>|off
//	}
func (j *JWTAuth) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("jwt_auth takes a block, not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		o := option{d: d, name: d.Val(), args: d.RemainingArgs()}
		handled, err := j.unmarshalKeyOption(o)
		if !handled {
			handled, err = j.unmarshalClaimOption(o)
		}
		if !handled {
			handled, err = j.unmarshalRequestOption(o)
		}
		if !handled {
			return d.Errf("unrecognized subdirective %q; jwt_auth knows: secret, public_key, jwks, jwks_refresh, jwks_cooldown, "+
				"jwks_timeout, algorithms, issuer, audience, leeway, require, from, claim_header, optional, preflight, realm, consumer_claim, "+
				"max_token_size, cache_size", o.name)
		}
		if err != nil {
			return err
		}
	}
	if j.Secret == "" && len(j.Secrets) == 0 && len(j.PublicKeys) == 0 && len(j.JWKS) == 0 {
		// OpenID Connect discovery: the issuer names the provider
		switch {
		case len(j.Issuers) == 0:
			return d.Err("no key configured; set secret, public_key, jwks, or issuer <url> for OpenID Connect discovery")
		case len(j.Issuers) > 1:
			return d.Errf("issuer: OpenID Connect discovery (no secret, public_key or jwks) takes one issuer, got %d: %s", len(j.Issuers), strings.Join(j.Issuers, " "))
		}
		if err := oidc.CheckURL("issuer", j.Issuers[0]); err != nil {
			return d.Errf("%v (OpenID Connect discovery: no secret, public_key or jwks is configured)", err)
		}
	}
	return nil
}

// option is one subdirective line: its name and arguments.
type option struct {
	d    *caddyfile.Dispenser
	name string
	args []string
}

func (o option) one() (string, error) {
	if len(o.args) != 1 {
		return "", o.d.Errf("%s takes one argument, got %d", o.name, len(o.args))
	}
	return o.args[0], nil
}

func (o option) some() ([]string, error) {
	if len(o.args) == 0 {
		return nil, o.d.Errf("%s needs at least one argument", o.name)
	}
	return o.args, nil
}

func (o option) duration() (caddy.Duration, error) {
	s, err := o.one()
	if err != nil {
		return 0, err
	}
	dur, err := caddy.ParseDuration(s)
	if err != nil || dur < 0 {
		return 0, o.d.Errf("%s %q is not a duration such as 30s", o.name, s)
	}
	return caddy.Duration(dur), nil
}

// unmarshalKeyOption reads the subdirectives about keys and algorithms.
func (j *JWTAuth) unmarshalKeyOption(o option) (handled bool, err error) {
	switch o.name {
	case "secret":
		// secret <value> [<kid>]; repeatable, for rotation
		switch {
		case len(o.args) == 0 || len(o.args) > 2:
			err = o.d.Errf("secret takes the secret and, optionally, its key ID: secret <value> [<kid>]")
		case j.Secret == "" && len(j.Secrets) == 0 && len(o.args) == 1:
			j.Secret = o.args[0]
		default:
			hs := HMACSecret{Secret: o.args[0]}
			if len(o.args) == 2 {
				hs.KeyID = o.args[1]
			}
			j.Secrets = append(j.Secrets, hs)
		}
	case "public_key":
		var files []string
		files, err = o.some()
		for _, f := range files {
			// a literal path is read now, so a missing or wrong file is an
			// error at its line
			if err == nil && !strings.ContainsRune(f, '{') {
				if _, _, perr := jwtverify.LoadPublicKey(f); perr != nil {
					err = o.d.Err(perr.Error())
				}
			}
		}
		j.PublicKeys = append(j.PublicKeys, files...)
	case "jwks":
		var urls []string
		urls, err = o.some()
		j.JWKS = append(j.JWKS, urls...)
	case "jwks_refresh":
		j.JWKSRefresh, err = o.duration()
	case "jwks_cooldown":
		j.JWKSCooldown, err = o.duration()
	case "jwks_timeout":
		j.JWKSTimeout, err = o.duration()
	case "algorithms":
		var algs []string
		algs, err = o.some()
		for _, a := range algs {
			if err == nil {
				if aerr := jwtverify.CheckAlgorithm(a); aerr != nil {
					err = o.d.Err(aerr.Error())
				}
			}
		}
		j.Algorithms = append(j.Algorithms, algs...)
	default:
		return false, nil
	}
	return true, err
}

// unmarshalClaimOption reads the subdirectives about the token's claims.
func (j *JWTAuth) unmarshalClaimOption(o option) (handled bool, err error) {
	var list []string
	switch o.name {
	case "issuer":
		list, err = o.some()
		j.Issuers = append(j.Issuers, list...)
	case "audience":
		list, err = o.some()
		j.Audiences = append(j.Audiences, list...)
	case "leeway":
		j.Leeway, err = o.duration()
	case "require":
		list, err = o.some()
		j.Require = append(j.Require, list...)
	default:
		return false, nil
	}
	return true, err
}

// unmarshalRequestOption reads the subdirectives about requests: where the
// token is, what goes upstream, and the answers.
func (j *JWTAuth) unmarshalRequestOption(o option) (handled bool, err error) {
	d, args := o.d, o.args
	switch o.name {
	case "from":
		if len(args) != 2 {
			return true, d.Errf("from takes two arguments: header <name>, cookie <name> or query <param>")
		}
		switch args[0] {
		case "header", "cookie", "query":
		default:
			return true, d.Errf("from %q: want header, cookie or query", args[0])
		}
		j.From = append(j.From, TokenSource{Type: args[0], Name: args[1]})
	case "claim_header":
		if len(args) != 2 {
			return true, d.Errf("claim_header takes two arguments: <claim> <header>")
		}
		j.ClaimHeaders = append(j.ClaimHeaders, ClaimHeader{Claim: args[0], Header: args[1]})
	case "optional":
		if len(args) != 0 {
			return true, d.Errf("optional takes no arguments")
		}
		j.Optional = true
	case "preflight":
		if j.Preflight, err = o.one(); err == nil && j.Preflight != "pass" && j.Preflight != "check" {
			err = d.Errf("preflight %q must be pass or check", j.Preflight)
		}
	case "realm":
		j.Realm, err = o.one()
	case "consumer_claim":
		j.ConsumerClaim, err = o.one()
	case "max_token_size":
		var s string
		if s, err = o.one(); err == nil {
			if j.MaxTokenSize, err = strconv.Atoi(s); err != nil || j.MaxTokenSize < 1 {
				return true, d.Errf("max_token_size %q must be a positive number of bytes", s)
			}
		}
	case "cache_size":
		var s string
		if s, err = o.one(); err == nil {
			if s == "off" {
				j.CacheSize = -1
			} else if j.CacheSize, err = strconv.Atoi(s); err != nil || j.CacheSize < 1 {
				return true, d.Errf("cache_size %q must be a positive number or off", s)
			}
		}
	default:
		return false, nil
	}
	return true, err
}

// Interface guards
var (
	_ caddy.Provisioner           = (*JWTAuth)(nil)
	_ caddy.Validator             = (*JWTAuth)(nil)
	_ caddy.CleanerUpper          = (*JWTAuth)(nil)
	_ caddyhttp.MiddlewareHandler = (*JWTAuth)(nil)
	_ caddyfile.Unmarshaler       = (*JWTAuth)(nil)
)
