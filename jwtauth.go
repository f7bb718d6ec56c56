package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/net/http/httpguts"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/jwtverify"
	"github.com/caddygateway/caddy-gateway/internal/oidc"
)

func init() {
	caddy.RegisterModule(JWTAuth{})
}

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
	// sourceNames name the sources for response_cache (caddykit.CredentialSourceVar)
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
	caddykit.AddCredentialSources(j, j.credentialSources())
	return nil
}

// credentialSources are the fields and query parameters tokens are read
// from: response_cache counts a request carrying one as credentialed, and
// logs redact such parameters.
func (j *JWTAuth) credentialSources() caddykit.CredentialSources {
	var cs caddykit.CredentialSources
	for _, s := range j.sources {
		switch s.Type {
		case "header":
			cs.Headers = append(cs.Headers, s.Name)
		case "query":
			cs.Query = append(cs.Query, s.Name)
		}
	}
	return cs
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
	caddykit.RemoveCredentialSources(j)
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
	caddyhttp.SetVar(r.Context(), caddykit.CredentialSourceVar, j.sourceNames[src])
	caddyhttp.SetVar(r.Context(), caddykit.AuthRealmVar, v.realm)
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
			zap.String("uri", caddykit.RedactURI(r.URL))}
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
