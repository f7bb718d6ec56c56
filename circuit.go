package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// circuit_breaker defaults.
const (
	defaultFailureRatio     = 0.5
	defaultMinRequests      = 20
	defaultCircuitWindow    = 30 * time.Second
	defaultOpenFor          = 30 * time.Second
	defaultHalfOpenRequests = 3
	defaultCircuitKeys      = 10000
	circuitBuckets          = 10
)

// CircuitBreaker stops sending requests to what it wraps (typically
// reverse_proxy) while that fails, so a failing service is not buried under
// traffic and clients get a fast answer.
//
// Per key (for example the service name) it watches the responses of the
// handlers after it. Closed, it lets everything through and counts failures
// over a sliding window; when at least min_requests were seen in the window
// and the failure ratio reaches failure_ratio, it opens. Open, it answers
// 503 at once, with Retry-After and a small JSON body, for open_for. Then it
// is half-open: it lets half_open_requests trial requests through (others
// still get 503); if all succeed it closes, if one fails it opens again.
//
// A failure is a response whose status is in failure_status (default: any
// 5xx), or an error from the next handler with such a status. Requests the
// client gave up on do not count.
type CircuitBreaker struct {
	// A name for the logs and metrics. Default: circuit_breaker.
	Name string `json:"name,omitempty"`

	// What separates circuits: a placeholder template, e.g.
	// {http.request.uri.path.0} for one circuit per service. Default: one
	// circuit for everything this handler sees.
	Key string `json:"key,omitempty"`

	// The failure ratio (0 to 1) at which the circuit opens. Default: 0.5.
	FailureRatio float64 `json:"failure_ratio,omitempty"`

	// The fewest requests in the window before the ratio counts. Default: 20.
	MinRequests int `json:"min_requests,omitempty"`

	// The sliding window failures are counted over. Default: 30s.
	Window caddy.Duration `json:"window,omitempty"`

	// How long the circuit stays open before trying again. Default: 30s.
	OpenFor caddy.Duration `json:"open_for,omitempty"`

	// Trial requests let through when half-open. Default: 3.
	HalfOpenRequests int `json:"half_open_requests,omitempty"`

	// Statuses that count as failures: codes (503) or classes (5xx).
	// Default: 5xx.
	FailureStatus []string `json:"failure_status,omitempty"`

	// The most keys tracked; beyond, a closed circuit is forgotten.
	// Default: 10000.
	MaxKeys int `json:"max_keys,omitempty"`

	key       template
	failures  func(int) bool
	bucketLen int64
	mu        *sync.RWMutex // guards circuits
	circuits  map[string]*circuit
	logger    *zap.Logger
	now       func() int64
	opened    prometheus.Counter
	halfOpen  prometheus.Counter
	closed    prometheus.Counter
	rejected  prometheus.Counter
}

// CaddyModule returns the Caddy module information.
func (CircuitBreaker) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.circuit_breaker",
		New: func() caddy.Module { return new(CircuitBreaker) },
	}
}

// Provision applies the defaults and prepares the failure test.
func (cb *CircuitBreaker) Provision(ctx caddy.Context) error {
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	return cb.setup(ctx.Logger())
}

func (cb *CircuitBreaker) setup(logger *zap.Logger) error {
	cb.logger = logger
	if cb.now == nil {
		cb.now = monotonicNow
	}
	if cb.Name == "" {
		cb.Name = "circuit_breaker"
	}
	if cb.FailureRatio == 0 {
		cb.FailureRatio = defaultFailureRatio
	}
	if cb.MinRequests == 0 {
		cb.MinRequests = defaultMinRequests
	}
	if cb.Window == 0 {
		cb.Window = caddy.Duration(defaultCircuitWindow)
	}
	if cb.OpenFor == 0 {
		cb.OpenFor = caddy.Duration(defaultOpenFor)
	}
	if cb.HalfOpenRequests == 0 {
		cb.HalfOpenRequests = defaultHalfOpenRequests
	}
	if cb.MaxKeys == 0 {
		cb.MaxKeys = defaultCircuitKeys
	}
	if len(cb.FailureStatus) == 0 {
		cb.FailureStatus = []string{"5xx"}
	}
	var err error
	if cb.failures, err = parseStatusSet(cb.FailureStatus); err != nil {
		return err
	}
	cb.key = newTemplate(cb.Key)
	cb.bucketLen = max(1, int64(cb.Window)/circuitBuckets)
	cb.mu = new(sync.RWMutex)
	cb.circuits = make(map[string]*circuit)
	cb.opened = metrics.circuitTransitions.WithLabelValues(cb.Name, "open")
	cb.halfOpen = metrics.circuitTransitions.WithLabelValues(cb.Name, "half_open")
	cb.closed = metrics.circuitTransitions.WithLabelValues(cb.Name, "closed")
	cb.rejected = metrics.circuitRejected.WithLabelValues(cb.Name)
	return nil
}

// parseStatusSet reads status codes (503) and classes (5xx).
func parseStatusSet(specs []string) (func(int) bool, error) {
	var codes []int
	var classes []int
	for _, s := range specs {
		if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
			classes = append(classes, int(s[0]-'0'))
			continue
		}
		code, err := strconv.Atoi(s)
		if err != nil || code < 100 || code > 599 {
			return nil, fmt.Errorf("circuit_breaker: failure_status %q is not a status code (503) or class (5xx)", s)
		}
		codes = append(codes, code)
	}
	return func(status int) bool {
		for _, c := range codes {
			if status == c {
				return true
			}
		}
		for _, c := range classes {
			if status/100 == c {
				return true
			}
		}
		return false
	}, nil
}

// Validate checks the settings.
func (cb *CircuitBreaker) Validate() error {
	switch {
	case cb.FailureRatio <= 0 || cb.FailureRatio > 1:
		return fmt.Errorf("circuit_breaker: failure_ratio %v must be more than 0 and at most 1", cb.FailureRatio)
	case cb.MinRequests < 1:
		return fmt.Errorf("circuit_breaker: min_requests %d must be at least 1", cb.MinRequests)
	case cb.Window < caddy.Duration(time.Second):
		return fmt.Errorf("circuit_breaker: window %v must be at least 1s", time.Duration(cb.Window))
	case cb.OpenFor <= 0:
		return fmt.Errorf("circuit_breaker: open_for must be positive")
	case cb.HalfOpenRequests < 1:
		return fmt.Errorf("circuit_breaker: half_open_requests %d must be at least 1", cb.HalfOpenRequests)
	case cb.MaxKeys < 1:
		return fmt.Errorf("circuit_breaker: max_keys %d must be at least 1", cb.MaxKeys)
	}
	return nil
}

// circuit states
const (
	stateClosed = iota
	stateOpen
	stateHalfOpen
)

var stateNames = [...]string{"closed", "open", "half_open"}

// circuit is the state of one key.
type circuit struct {
	mu        sync.Mutex
	state     int
	openUntil int64
	buckets   [circuitBuckets]struct{ index, total, failures int64 }
	trials    int // half-open requests in flight
	successes int // half-open requests that succeeded
	// round numbers the half-open rounds; a trial counts only in the
	// round that admitted it (one that finishes late, after the circuit
	// opened and half-opened again, tested nothing of the new round)
	round uint64
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (cb *CircuitBreaker) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	key := cb.key.raw
	if !cb.key.plain {
		key = cb.key.render(r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer))
		if len(key) > maxKeyLen {
			// keys come from requests: bound what each costs to remember
			sum := sha256.Sum256([]byte(key))
			key = "sha256:" + hex.EncodeToString(sum[:16])
		}
	}
	c := cb.circuitFor(key)
	now := cb.now()
	trial, round, retry, ok := cb.admit(c, key, now)
	if !ok {
		cb.rejected.Inc()
		return cb.reject(w, r, retry)
	}

	rec := &statusRecorder{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	err := next.ServeHTTP(rec, r)
	if r.Context().Err() != nil || errors.Is(err, context.Canceled) {
		// the client went away: that says nothing about the service
		cb.forget(c, trial, round)
		return err
	}
	status := rec.status
	if err != nil {
		status = http.StatusInternalServerError
		var he caddyhttp.HandlerError
		if errors.As(err, &he) && he.StatusCode != 0 {
			status = he.StatusCode
		}
	}
	cb.record(c, key, cb.now(), status != 0 && cb.failures(status), trial, round)
	return err
}

func (cb *CircuitBreaker) circuitFor(key string) *circuit {
	cb.mu.RLock()
	c := cb.circuits[key]
	cb.mu.RUnlock()
	if c != nil {
		return c
	}
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if c = cb.circuits[key]; c != nil {
		return c
	}
	if len(cb.circuits) >= cb.MaxKeys {
		cb.evictLocked()
	}
	c = new(circuit)
	cb.circuits[key] = c
	return c
}

// evictLocked forgets a closed circuit (or, if all are open, any one).
func (cb *CircuitBreaker) evictLocked() {
	var victim string
	for k, c := range cb.circuits {
		c.mu.Lock()
		closed := c.state == stateClosed
		c.mu.Unlock()
		if closed {
			delete(cb.circuits, k)
			return
		}
		if victim == "" {
			victim = k
		}
	}
	delete(cb.circuits, victim)
}

// admit decides whether a request may go through, and whether it is a
// half-open trial; when not, retry is how long until it may.
func (cb *CircuitBreaker) admit(c *circuit, key string, now int64) (trial bool, round uint64, retry int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateOpen {
		if now < c.openUntil {
			return false, 0, c.openUntil - now, false
		}
		cb.transition(c, key, stateHalfOpen)
	}
	if c.state == stateHalfOpen {
		if c.trials+c.successes >= cb.HalfOpenRequests {
			return false, 0, int64(time.Second), false
		}
		c.trials++
		return true, c.round, 0, true
	}
	return false, 0, 0, true
}

// record counts one finished request.
func (cb *CircuitBreaker) record(c *circuit, key string, now int64, failed, trial bool, round uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if trial {
		if c.state != stateHalfOpen || round != c.round {
			return // a trial of an earlier round: it says nothing of this one
		}
		c.trials--
		if failed {
			c.openUntil = now + int64(cb.OpenFor)
			cb.transition(c, key, stateOpen)
			return
		}
		if c.successes++; c.successes >= cb.HalfOpenRequests {
			cb.transition(c, key, stateClosed)
		}
		return
	}
	if c.state != stateClosed {
		return // a request let through before the circuit opened
	}
	idx := now / cb.bucketLen
	b := &c.buckets[idx%circuitBuckets]
	if b.index != idx {
		b.index, b.total, b.failures = idx, 0, 0
	}
	b.total++
	if failed {
		b.failures++
	}
	if !failed {
		return
	}
	var total, failures int64
	for i := range c.buckets {
		if idx-c.buckets[i].index < circuitBuckets {
			total += c.buckets[i].total
			failures += c.buckets[i].failures
		}
	}
	if total >= int64(cb.MinRequests) && float64(failures) >= cb.FailureRatio*float64(total) {
		c.openUntil = now + int64(cb.OpenFor)
		cb.transition(c, key, stateOpen)
		cb.logger.Warn("circuit opened", zap.String("breaker", cb.Name), zap.String("key", key),
			zap.Int64("requests", total), zap.Int64("failures", failures), zap.Duration("open_for", time.Duration(cb.OpenFor)))
	}
}

// forget undoes a trial that did not finish.
func (cb *CircuitBreaker) forget(c *circuit, trial bool, round uint64) {
	if !trial {
		return
	}
	c.mu.Lock()
	if c.state == stateHalfOpen && round == c.round {
		c.trials--
	}
	c.mu.Unlock()
}

// transition changes state; c.mu is held.
func (cb *CircuitBreaker) transition(c *circuit, key string, to int) {
	c.state = to
	c.trials, c.successes = 0, 0
	if to == stateHalfOpen {
		c.round++
	}
	switch to {
	case stateOpen:
		cb.opened.Inc()
	case stateHalfOpen:
		cb.halfOpen.Inc()
	case stateClosed:
		cb.closed.Inc()
		c.buckets = [circuitBuckets]struct{ index, total, failures int64 }{}
	}
	cb.logger.Info("circuit state changed", zap.String("breaker", cb.Name), zap.String("key", key),
		zap.String("to", stateNames[to]))
}

func (cb *CircuitBreaker) reject(w http.ResponseWriter, r *http.Request, retry int64) error {
	secs := max(1, retryAfterSeconds(retry))
	w.Header()["Retry-After"] = []string{strconv.FormatInt(secs, 10)}
	b := make([]byte, 0, 96)
	b = append(b, `{"error":"service unavailable: circuit open","retry_after":`...)
	b = strconv.AppendInt(b, secs, 10)
	b = append(b, "}\n"...)
	return refuse(w, r, http.StatusServiceUnavailable, "circuit_breaker: service unavailable, circuit open", b)
}

// statusRecorder notes the status of the response it passes on.
type statusRecorder struct {
	*caddyhttp.ResponseWriterWrapper
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriterWrapper.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriterWrapper.Write(b)
}

// Interface guards
var (
	_ caddy.Provisioner           = (*CircuitBreaker)(nil)
	_ caddy.Validator             = (*CircuitBreaker)(nil)
	_ caddyhttp.MiddlewareHandler = (*CircuitBreaker)(nil)
)
