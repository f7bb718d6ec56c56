// Package introspect checks opaque OAuth 2.0 tokens with the provider's
// introspection endpoint (RFC 7662), for the token_introspection handler.
//
// It remembers answers by the SHA-256 of the token (never the token
// itself): active ones for at most the token's remaining life (exp) and a
// configured bound, inactive ones briefly, each in a table of a stated
// number of entries. Concurrent checks of one token make one call; at
// most MaxConcurrent calls are in flight at once. When the endpoint
// cannot be reached, it answers Unavailable (the caller answers 503): a
// token it cannot check is neither accepted nor called invalid.
//
// It knows nothing of Caddy.
package introspect

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sync/singleflight"
)

// Bounds and defaults.
const (
	// MaxResponseBytes bounds an introspection answer; real ones are a
	// few hundred bytes.
	MaxResponseBytes = 64 << 10
	// DefaultCacheSize is the active answers remembered.
	DefaultCacheSize = 10000
	// DefaultInactiveCacheSize is the inactive answers remembered.
	DefaultInactiveCacheSize = 1000
	// DefaultMaxTTL bounds how long an active answer is trusted, so a
	// revoked token stops working within it.
	DefaultMaxTTL = time.Minute
	// DefaultInactiveTTL is how long an inactive answer is remembered.
	DefaultInactiveTTL = 10 * time.Second
	// DefaultTimeout bounds one call.
	DefaultTimeout = 3 * time.Second
	// DefaultMaxConcurrent bounds the calls in flight.
	DefaultMaxConcurrent = 64
	// DefaultBackoff is how long calls fail fast after the endpoint could
	// not be reached.
	DefaultBackoff = time.Second
	// DefaultMaxTokenSize bounds a token before it is hashed or sent.
	DefaultMaxTokenSize = 8 << 10

	shards = 32
)

// Config says where and how tokens are checked.
type Config[T any] struct {
	// Endpoint is the introspection endpoint's URL.
	Endpoint string
	// ClientID and ClientSecret authenticate the gateway to the endpoint
	// (client_secret_basic, RFC 6749 §2.3.1).
	ClientID, ClientSecret string
	// Client makes the calls. nil: a client with Timeout.
	Client *http.Client
	// Timeout bounds one call. Default: DefaultTimeout.
	Timeout time.Duration
	// MaxTTL bounds how long an active answer is remembered. Default:
	// DefaultMaxTTL. Negative: active answers are not remembered.
	MaxTTL time.Duration
	// InactiveTTL is how long an inactive answer is remembered. Default:
	// DefaultInactiveTTL. Negative: not remembered.
	InactiveTTL time.Duration
	// CacheSize and InactiveCacheSize bound the remembered answers.
	// Defaults: DefaultCacheSize, DefaultInactiveCacheSize.
	CacheSize, InactiveCacheSize int
	// MaxConcurrent bounds the calls in flight; a check that cannot get a
	// slot within Timeout is Unavailable. Default: DefaultMaxConcurrent.
	MaxConcurrent int
	// Backoff: after a call could not reach the endpoint (a network
	// error, a timeout, 502, 503 or 504), checks that would call answer
	// Unavailable for this long without calling. Default: DefaultBackoff.
	Backoff time.Duration
	// MaxTokenSize bounds a token. Default: DefaultMaxTokenSize.
	MaxTokenSize int
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Prepare builds what the caller needs of an active token's claims;
	// it is kept with the answer, so it runs once per call.
	Prepare func(claims map[string]any) T
}

// Errors of Check.
var (
	// ErrTooLarge: the token is longer than MaxTokenSize.
	ErrTooLarge = errors.New("the token is too large")
	// ErrBackingOff (inside an UnavailableError): no call was made, since
	// the endpoint could not be reached moments ago.
	ErrBackingOff = errors.New("the endpoint failed moments ago; not called again yet")
)

// UnavailableError is a check that could not be made: the caller answers
// 503 with Retry-After.
type UnavailableError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *UnavailableError) Error() string {
	return "the introspection endpoint is unavailable: " + e.Err.Error()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Answer is the outcome of a check.
type Answer[T any] struct {
	Active bool
	// Val is what Prepare made of an active token's claims.
	Val T
	// Cached: from the cache, without a call.
	Cached bool
}

// Introspector checks tokens.
type Introspector[T any] struct {
	cfg      Config[T]
	auth     string // the Authorization header value
	active   *cache[T]
	inactive *cache[T]
	group    singleflight.Group
	slots    chan struct{}
	failTill atomic.Int64 // unix ns until which calls fail fast
	calls    atomic.Int64
}

// New returns an Introspector for cfg.
func New[T any](cfg Config[T]) *Introspector[T] {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxTTL == 0 {
		cfg.MaxTTL = DefaultMaxTTL
	}
	if cfg.InactiveTTL == 0 {
		cfg.InactiveTTL = DefaultInactiveTTL
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.InactiveCacheSize <= 0 {
		cfg.InactiveCacheSize = DefaultInactiveCacheSize
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxTokenSize <= 0 {
		cfg.MaxTokenSize = DefaultMaxTokenSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout, CheckRedirect: refuseRedirect}
	}
	// RFC 6749 §2.3.1: the id and secret are form-encoded, then Basic
	cred := url.QueryEscape(cfg.ClientID) + ":" + url.QueryEscape(cfg.ClientSecret)
	return &Introspector[T]{
		cfg:      cfg,
		auth:     "Basic " + base64.StdEncoding.EncodeToString([]byte(cred)),
		active:   newCache[T](cfg.CacheSize),
		inactive: newCache[T](cfg.InactiveCacheSize),
		slots:    make(chan struct{}, cfg.MaxConcurrent),
	}
}

// Calls counts the calls made to the endpoint.
func (i *Introspector[T]) Calls() int64 { return i.calls.Load() }

// Len is the number of answers remembered (active, inactive).
func (i *Introspector[T]) Len() (active, inactive int) { return i.active.len(), i.inactive.len() }

// Check tells whether token is active: from the cache, or by a call (one
// for all concurrent checks of the token). The error is ErrTooLarge or an
// *UnavailableError.
func (i *Introspector[T]) Check(ctx context.Context, token string) (Answer[T], error) {
	if len(token) > i.cfg.MaxTokenSize {
		return Answer[T]{}, ErrTooLarge
	}
	// the hash of the token, never the token, is what is kept; the
	// token's bytes are hashed in place, not copied
	sum := sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
	now := i.cfg.Now()
	if e, ok := i.active.get(&sum, now); ok {
		return Answer[T]{Active: true, Val: e, Cached: true}, nil
	}
	if _, ok := i.inactive.get(&sum, now); ok {
		return Answer[T]{Cached: true}, nil
	}
	if till := i.failTill.Load(); now.UnixNano() < till {
		return Answer[T]{}, &UnavailableError{RetryAfter: time.Duration(till - now.UnixNano()),
			Err: ErrBackingOff}
	}
	// a copy for the call, so that sum (which the closure would capture)
	// stays on the stack of cache hits
	miss := new([32]byte)
	*miss = sum
	ch := i.group.DoChan(string(sum[:]), func() (any, error) {
		return i.call(token, miss)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return Answer[T]{}, res.Err
		}
		return res.Val.(Answer[T]), nil
	case <-ctx.Done():
		return Answer[T]{}, &UnavailableError{RetryAfter: time.Second, Err: ctx.Err()}
	}
}

// call asks the endpoint, remembers the answer and returns it. It runs
// under its own timeout, not a request's context: the requests waiting
// for it must not fail because the first one went away.
func (i *Introspector[T]) call(token string, sum *[32]byte) (Answer[T], error) {
	ctx, cancel := context.WithTimeout(context.Background(), i.cfg.Timeout)
	defer cancel()
	select {
	case i.slots <- struct{}{}:
		defer func() { <-i.slots }()
	case <-ctx.Done():
		return Answer[T]{}, &UnavailableError{RetryAfter: time.Second,
			Err: fmt.Errorf("%d introspection calls already in flight", i.cfg.MaxConcurrent)}
	}
	i.calls.Add(1)
	resp, err := i.post(ctx, token)
	if err != nil {
		return Answer[T]{}, err
	}
	now := i.cfg.Now()
	// an answer that says active for a token past its own exp is not
	// trusted: the token has expired whatever the endpoint's clock says
	if !resp.Active || resp.HasExp && !now.Before(resp.Exp) {
		if i.cfg.InactiveTTL > 0 {
			i.inactive.put(sum, Answer[T]{}.Val, now.Add(i.cfg.InactiveTTL), now)
		}
		return Answer[T]{}, nil
	}
	val := i.cfg.Prepare(resp.Claims)
	expires := now.Add(i.cfg.MaxTTL)
	if resp.HasExp && resp.Exp.Before(expires) {
		expires = resp.Exp
	}
	if i.cfg.MaxTTL > 0 && now.Before(expires) {
		i.active.put(sum, val, expires, now)
	}
	return Answer[T]{Active: true, Val: val}, nil
}

func (i *Introspector[T]) post(ctx context.Context, token string) (Response, error) {
	form := "token=" + url.QueryEscape(token) + "&token_type_hint=access_token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.cfg.Endpoint, strings.NewReader(form))
	if err != nil {
		return Response{}, &UnavailableError{RetryAfter: time.Second, Err: err}
	}
	req.Header["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	req.Header["Accept"] = []string{"application/json"}
	req.Header["Authorization"] = []string{i.auth}
	resp, err := i.cfg.Client.Do(req)
	if err != nil {
		// a transport error never holds the form, so never the token
		return Response{}, i.unreachable(err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
		return Response{}, i.unreachable(fmt.Errorf("POST %s: status %d", i.cfg.Endpoint, resp.StatusCode))
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
		return Response{}, &UnavailableError{RetryAfter: time.Second,
			Err: fmt.Errorf("POST %s: status %d (are client_id and client_secret right?)", i.cfg.Endpoint, resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return Response{}, i.unreachable(fmt.Errorf("reading the answer of %s: %w", i.cfg.Endpoint, err))
	}
	if len(body) > MaxResponseBytes {
		return Response{}, &UnavailableError{RetryAfter: time.Second,
			Err: fmt.Errorf("the answer of %s is larger than %d bytes", i.cfg.Endpoint, MaxResponseBytes)}
	}
	r, err := ParseResponse(body)
	if err != nil {
		return Response{}, &UnavailableError{RetryAfter: time.Second, Err: fmt.Errorf("the answer of %s: %w", i.cfg.Endpoint, err)}
	}
	return r, nil
}

// unreachable starts a backoff: for Backoff, checks that would call fail
// fast.
func (i *Introspector[T]) unreachable(err error) error {
	i.failTill.Store(i.cfg.Now().Add(i.cfg.Backoff).UnixNano())
	return &UnavailableError{RetryAfter: i.cfg.Backoff, Err: err}
}

// cache remembers answers by the token's SHA-256, in shards with their own
// locks, each holding a bounded number of entries.
type cache[T any] struct {
	shards [shards]cacheShard[T]
}

type cacheShard[T any] struct {
	mu      sync.RWMutex
	entries map[[32]byte]cacheEntry[T]
	max     int
}

type cacheEntry[T any] struct {
	val     T
	expires time.Time
}

func newCache[T any](size int) *cache[T] {
	c := &cache[T]{}
	per := max(1, (size+shards-1)/shards)
	for i := range c.shards {
		c.shards[i] = cacheShard[T]{entries: make(map[[32]byte]cacheEntry[T]), max: per}
	}
	return c
}

func (c *cache[T]) get(sum *[32]byte, now time.Time) (T, bool) {
	s := &c.shards[sum[0]%shards]
	s.mu.RLock()
	e, ok := s.entries[*sum]
	s.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		var zero T
		return zero, false
	}
	return e.val, true
}

func (c *cache[T]) put(sum *[32]byte, val T, expires, now time.Time) {
	s := &c.shards[sum[0]%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[*sum]; !ok && len(s.entries) >= s.max {
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
	s.entries[*sum] = cacheEntry[T]{val: val, expires: expires}
}

func (c *cache[T]) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}

// refuseRedirect is the default client's CheckRedirect: an introspection
// endpoint's redirect is not followed (it would carry the client's secret
// and the token to a host the configuration never named, perhaps over
// plain HTTP, and trust the answer from there); the call fails, and the
// request gets 503.
func refuseRedirect(req *http.Request, _ []*http.Request) error {
	return fmt.Errorf("the introspection endpoint redirected to %s://%s%s; redirects are not followed", req.URL.Scheme, req.URL.Host, req.URL.Path)
}
