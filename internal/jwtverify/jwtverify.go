// Package jwtverify is the JSON Web Token verifier behind the jwt_auth
// handler: the algorithm allowlist enforced before any signature check,
// keys by algorithm family (an HMAC token only ever meets the secrets),
// HMAC secrets picked by kid for rotation, PEM keys, JWKS through keyfunc,
// the claim checks, and a bounded cache of verified tokens.
//
// It knows nothing of HTTP or Caddy: the caller hands it a token and gets
// back what it prepared from the claims (cached with the token), or the
// reason the token is refused.
package jwtverify

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// MaxCachedTokenSize: longer tokens are verified every time rather
	// than cached, which bounds the cache's memory.
	MaxCachedTokenSize = 4 << 10
	// CacheMaxAge: a verified token is trusted from the cache for at most
	// this long, so a key removed from a JWKS stops being honoured soon.
	CacheMaxAge = time.Minute
	cacheShards = 32
)

// The algorithms by family.
var (
	HMACAlgorithms  = []string{"HS256", "HS384", "HS512"}
	RSAAlgorithms   = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	ECAlgorithms    = []string{"ES256", "ES384", "ES512"}
	EdDSAAlgorithms = []string{"EdDSA"}
)

// Family is an algorithm's key family: HMAC, RSA, EC, EdDSA, or "" for an
// algorithm this package does not know.
func Family(alg string) string {
	switch {
	case slices.Contains(HMACAlgorithms, alg):
		return "HMAC"
	case slices.Contains(RSAAlgorithms, alg):
		return "RSA"
	case slices.Contains(ECAlgorithms, alg):
		return "EC"
	case alg == "EdDSA":
		return "EdDSA"
	}
	return ""
}

// CheckAlgorithm refuses none (in any spelling) and unknown algorithms.
func CheckAlgorithm(a string) error {
	if strings.EqualFold(a, "none") {
		return fmt.Errorf("algorithm %q is never accepted", a)
	}
	if Family(a) == "" {
		return fmt.Errorf("unknown algorithm %q; known: %s", a,
			strings.Join(slices.Concat(HMACAlgorithms, RSAAlgorithms, ECAlgorithms, EdDSAAlgorithms), " "))
	}
	return nil
}

// LoadPublicKey reads a PEM file (PUBLIC KEY, RSA PUBLIC KEY or
// CERTIFICATE) and returns its key and the algorithms it can verify. A
// private key, an RSA key under 2048 bits or an unknown curve is an error
// that says so.
func LoadPublicKey(file string) (any, []string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("public_key %q: %w", file, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, nil, fmt.Errorf("public_key %q: no PEM block found", file)
	}
	var key any
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		if strings.Contains(block.Type, "PRIVATE") {
			return nil, nil, fmt.Errorf("public_key %q holds a %s; give the gateway only the public key (openssl pkey -pubout)", file, block.Type)
		}
		return nil, nil, fmt.Errorf("public_key %q: unsupported PEM block %q; want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", file, block.Type)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("public_key %q: %w", file, err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, nil, fmt.Errorf("public_key %q: RSA key of %d bits; at least 2048 are required", file, k.N.BitLen())
		}
		return k, RSAAlgorithms, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return k, []string{"ES256"}, nil
		case elliptic.P384():
			return k, []string{"ES384"}, nil
		case elliptic.P521():
			return k, []string{"ES512"}, nil
		}
		return nil, nil, fmt.Errorf("public_key %q: unsupported curve %s", file, k.Curve.Params().Name)
	case ed25519.PublicKey:
		return k, EdDSAAlgorithms, nil
	}
	return nil, nil, fmt.Errorf("public_key %q: unsupported key type %T", file, key)
}

// Keys are the keys tokens are verified with.
type Keys struct {
	// Secrets are the HMAC secrets; SecretsByKid names some of them.
	Secrets      [][]byte
	SecretsByKid map[string][]byte
	// PEM are public keys by family (RSA, EC, EdDSA).
	PEM map[string][]jwt.VerificationKey
	// JWKS, when not nil, picks keys by the token's kid: keyfunc's
	// Keyfunc, or an OpenID Provider's discovered keys (internal/oidc).
	JWKS KeySource
}

// KeySource hands out the keys of a key set: the key for a token with a
// kid, every key for one without. A source that also has
// Generation() uint64 tells when keys were removed: tokens verified
// before are then verified again, not served from the cache.
type KeySource interface {
	Keyfunc(*jwt.Token) (any, error)
	VerificationKeySet(context.Context) (jwt.VerificationKeySet, error)
}

// generational is a KeySource that counts key removals.
type generational interface{ Generation() uint64 }

// Config says what a token must be.
type Config[T any] struct {
	Keys Keys
	// Allowed are the accepted algorithms.
	Allowed   map[string]bool
	Issuers   []string
	Audiences []string
	Leeway    time.Duration
	Require   []string
	// MaxTokenSize bounds a token before any parsing.
	MaxTokenSize int
	// CacheSize bounds the verified tokens remembered; 0: no cache.
	CacheSize int
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Prepare builds what the caller needs of verified claims; it is kept
	// with the token in the cache, so it runs once per verification.
	Prepare func(jwt.MapClaims) T
}

// Verifier verifies tokens.
type Verifier[T any] struct {
	cfg       Config[T]
	issuers   map[string]bool
	secretSet jwt.VerificationKeySet
	parser    *jwt.Parser
	cache     *cache[T]
	gen       generational // nil unless the key source counts removals
}

// New returns a verifier for cfg.
func New[T any](cfg Config[T]) *Verifier[T] {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &Verifier[T]{cfg: cfg, issuers: map[string]bool{}}
	for _, iss := range cfg.Issuers {
		v.issuers[iss] = true
	}
	for _, s := range cfg.Keys.Secrets {
		v.secretSet.Keys = append(v.secretSet.Keys, s)
	}
	opts := []jwt.ParserOption{
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return v.cfg.Now() }),
	}
	if len(cfg.Audiences) > 0 {
		opts = append(opts, jwt.WithAudience(cfg.Audiences...))
	}
	v.parser = jwt.NewParser(opts...)
	v.gen, _ = cfg.Keys.JWKS.(generational)
	if cfg.CacheSize > 0 {
		v.cache = newCache[T](cfg.CacheSize)
	}
	return v
}

// Verify checks token and returns what Prepare made of its claims (from
// the cache when it can, then cached is true), or why it is refused.
func (v *Verifier[T]) Verify(token string) (val T, cached bool, why Reason, err error) {
	if len(token) > v.cfg.MaxTokenSize {
		return val, false, TooLarge, fmt.Errorf("token of %d bytes; the most is %d", len(token), v.cfg.MaxTokenSize)
	}
	now := v.cfg.Now()
	var gen uint64
	if v.gen != nil {
		gen = v.gen.Generation()
	}
	if v.cache != nil {
		if e, ok := v.cache.get(token, now, gen); ok {
			return e, true, 0, nil
		}
	}
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(token, claims, v.keyFor); err != nil {
		return val, false, Classify(err), err
	}
	if len(v.issuers) > 0 {
		iss, _ := claims["iss"].(string)
		if !v.issuers[iss] {
			return val, false, Issuer, fmt.Errorf("issuer %q is not accepted", iss)
		}
	}
	for _, c := range v.cfg.Require {
		if _, ok := claims[c]; !ok {
			return val, false, MissingClaim, fmt.Errorf("claim %q is missing", c)
		}
	}
	val = v.cfg.Prepare(claims)
	if v.cache != nil && len(token) <= MaxCachedTokenSize {
		expires := now.Add(CacheMaxAge)
		if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
			if end := exp.Add(v.cfg.Leeway); end.Before(expires) {
				expires = end
			}
		}
		v.cache.put(token, val, expires, now, gen)
	}
	return val, false, 0, nil
}

var (
	errAlgorithm  = errors.New("algorithm not allowed")
	errUnknownKey = errors.New("no key matches the token")
	errCritical   = errors.New("the token names critical header parameters (crit), which this verifier does not understand")
)

// keyFor is the jwt.Keyfunc: golang-jwt calls it after parsing and before
// checking the signature. It enforces the algorithm allowlist and hands out
// only keys of the token's algorithm family.
func (v *Verifier[T]) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 §4.1.11: a token whose crit names extensions the
		// recipient does not process must be refused; this one processes
		// none
		return nil, errCritical
	}
	alg := t.Method.Alg()
	if !v.cfg.Allowed[alg] {
		return nil, fmt.Errorf("%w: %q", errAlgorithm, alg)
	}
	keys := v.cfg.Keys
	family := Family(alg)
	if family == "HMAC" {
		if kid, ok := t.Header["kid"].(string); ok {
			if secret, ok := keys.SecretsByKid[kid]; ok {
				return secret, nil
			}
		}
		if len(keys.Secrets) == 1 {
			return keys.Secrets[0], nil
		}
		return v.secretSet, nil
	}
	if keys.JWKS != nil {
		if _, hasKid := t.Header["kid"]; hasKid {
			key, err := keys.JWKS.Keyfunc(t)
			if err == nil {
				return key, nil
			}
			if len(keys.PEM[family]) == 0 {
				return nil, fmt.Errorf("%w: %w", errUnknownKey, err)
			}
		} else if set, err := keys.JWKS.VerificationKeySet(context.Background()); err == nil {
			all := slices.Concat(set.Keys, keys.PEM[family])
			if len(all) == 0 {
				return nil, errUnknownKey
			}
			return jwt.VerificationKeySet{Keys: all}, nil
		}
	}
	pem := keys.PEM[family]
	switch len(pem) {
	case 0:
		return nil, errUnknownKey
	case 1:
		return pem[0], nil
	}
	return jwt.VerificationKeySet{Keys: pem}, nil
}

// Reason is why a request is refused.
type Reason int

const (
	NoToken Reason = iota + 1
	TooLarge
	Malformed
	Algorithm
	UnknownKey
	Signature
	Expired
	NotYetValid
	IssuedInFuture
	Issuer
	Audience
	MissingClaim
	Invalid
	Ambiguous
)

// reasons are short, stable names for logs and metrics, and the
// description sent to the client.
var reasons = map[Reason][2]string{
	NoToken:        {"no_token", "a bearer token is required"},
	TooLarge:       {"too_large", "the token is too large"},
	Malformed:      {"malformed", "the token is malformed"},
	Algorithm:      {"algorithm", "the token's algorithm is not accepted"},
	UnknownKey:     {"unknown_key", "no key matches the token"},
	Signature:      {"signature", "the token's signature is invalid"},
	Expired:        {"expired", "the token has expired"},
	NotYetValid:    {"not_yet_valid", "the token is not valid yet"},
	IssuedInFuture: {"issued_in_future", "the token was issued in the future"},
	Issuer:         {"issuer", "the token's issuer is not accepted"},
	Audience:       {"audience", "the token's audience is not accepted"},
	MissingClaim:   {"missing_claim", "the token lacks a required claim"},
	Invalid:        {"invalid", "the token is invalid"},
	Ambiguous:      {"ambiguous", "the request carries more than one token; send exactly one"},
}

// Reasons returns every reason.
func Reasons() []Reason {
	out := make([]Reason, 0, len(reasons))
	for r := NoToken; r <= Ambiguous; r++ {
		out = append(out, r)
	}
	return out
}

// String is the reason's short name, e.g. expired.
func (r Reason) String() string { return reasons[r][0] }

// Description is a short sentence for the client, e.g. "the token has
// expired". It never holds key material.
func (r Reason) Description() string { return reasons[r][1] }

// Classify maps golang-jwt's errors (and the key function's) to a reason.
func Classify(err error) Reason {
	switch {
	case errors.Is(err, errCritical):
		return Invalid
	case errors.Is(err, errAlgorithm):
		return Algorithm
	case errors.Is(err, errUnknownKey):
		return UnknownKey
	case errors.Is(err, jwt.ErrTokenMalformed):
		return Malformed
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// an alg golang-jwt does not know (e.g. "NONE") or a keyfunc error
		return Algorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return Signature
	case errors.Is(err, jwt.ErrTokenExpired):
		return Expired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return NotYetValid
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return IssuedInFuture
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return Audience
	}
	return Invalid
}

// cache remembers verified tokens. It is split into shards, each with its
// own lock, so parallel requests rarely wait for each other; each shard
// holds a bounded number of entries.
type cache[T any] struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard[T]
}

type cacheShard[T any] struct {
	mu      sync.RWMutex
	entries map[string]cacheEntry[T]
	max     int
}

type cacheEntry[T any] struct {
	val     T
	expires time.Time
	gen     uint64 // the key source's generation when verified
}

func newCache[T any](size int) *cache[T] {
	c := &cache[T]{seed: maphash.MakeSeed()}
	per := max(1, (size+cacheShards-1)/cacheShards)
	for i := range c.shards {
		c.shards[i] = cacheShard[T]{entries: make(map[string]cacheEntry[T]), max: per}
	}
	return c
}

func (c *cache[T]) shard(token string) *cacheShard[T] {
	return &c.shards[maphash.String(c.seed, token)%cacheShards]
}

func (c *cache[T]) get(token string, now time.Time, gen uint64) (T, bool) {
	s := c.shard(token)
	s.mu.RLock()
	e, ok := s.entries[token]
	s.mu.RUnlock()
	if !ok || !now.Before(e.expires) || e.gen != gen {
		var zero T
		return zero, false
	}
	return e.val, true
}

func (c *cache[T]) put(token string, val T, expires, now time.Time, gen uint64) {
	s := c.shard(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) >= s.max {
		// drop expired entries; if none, drop an arbitrary one
		for k, e := range s.entries {
			if !now.Before(e.expires) {
				delete(s.entries, k)
			}
		}
		for k := range s.entries {
			if len(s.entries) < s.max {
				break
			}
			delete(s.entries, k)
		}
	}
	s.entries[token] = cacheEntry[T]{val: val, expires: expires, gen: gen}
}

// Len returns the number of cached tokens (for monitoring).
func (v *Verifier[T]) Len() int {
	if v.cache == nil {
		return 0
	}
	n := 0
	for i := range v.cache.shards {
		s := &v.cache.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}
