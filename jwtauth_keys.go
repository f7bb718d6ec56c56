package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/caddyserver/caddy/v2"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/caddygateway/caddy-gateway/internal/jwtverify"
	"github.com/caddygateway/caddy-gateway/internal/oidc"
)

// jwt_auth's keys: HMAC secrets, PEM public keys, JWKS endpoints and the
// key sets of OpenID Providers found by discovery (internal/oidc), loaded
// at Provision and shared through processState where they must outlive a
// reload. jwtauth.go holds the module; the verifier is internal/jwtverify.

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
