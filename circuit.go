package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
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
	defaultMinClients       = 3
	defaultClientFailures   = 2
	defaultTrialTimeout     = 5 * time.Second
	// per circuit, the most clients and instances whose share of the
	// failures is tracked within the window
	maxTrackedClients   = 256
	maxTrackedInstances = 64
)

// CircuitBreaker stops sending requests to what it wraps (typically
// reverse_proxy) while that fails, so a failing service is not buried under
// traffic and clients get a fast answer.
//
// Per key (for example the service name) it watches the responses of the
// handlers after it. Closed, it lets everything through and counts failures
// over a sliding window; it opens when, within the window, at least
// min_requests were seen, the failure ratio reaches failure_ratio, the
// failures came from at least min_clients distinct clients, and (when it
// wraps reverse_proxy) from at least half of the instances that answered.
// Open, it answers 503 at once, with Retry-After and a small JSON body, for
// open_for. Then it is half-open: it lets half_open_requests trial requests
// through, at most one at a time per client, none more for a client whose
// trial failed (others still get 503); when that many succeed it closes; when trials of min(half_open_requests, min_clients)
// distinct clients fail, it opens again. A trial that has not answered
// within trial_timeout counts as failed and frees its slot.
//
// It is built so that clients cannot switch a service off for everyone:
// one client adds at most client_failures failures per window (a client is
// client_key, by default the authenticated user or else the client IP), so
// a few clients requesting a path that fails cannot open it; trials cannot
// be held by hanging requests; and failures confined to some instances are
// left to reverse_proxy's passive health checks (fail_duration,
// unhealthy_status), which take those instances out, rather than opening
// the circuit of the whole service.
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

	// Who a request comes from, for min_clients and client_failures: a
	// placeholder template. Default: {http.auth.user.id} (set by jwt_auth),
	// and the client IP when that is empty.
	ClientKey string `json:"client_key,omitempty"`

	// The fewest distinct clients whose failures can open the circuit
	// (and reopen it from half-open). Default: 3.
	MinClients int `json:"min_clients,omitempty"`

	// The most failures one client adds to the count per window; more are
	// not counted. Default: 2.
	ClientFailures int `json:"client_failures,omitempty"`

	// How long a half-open trial may take before it counts as failed and
	// frees its slot. Default: 5s.
	TrialTimeout caddy.Duration `json:"trial_timeout,omitempty"`

	key       template
	clientKey template
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
	if cb.ClientKey == "" {
		cb.ClientKey = "{http.auth.user.id}"
	}
	if cb.MinClients == 0 {
		cb.MinClients = defaultMinClients
	}
	if cb.ClientFailures == 0 {
		cb.ClientFailures = defaultClientFailures
	}
	if cb.TrialTimeout == 0 {
		cb.TrialTimeout = caddy.Duration(defaultTrialTimeout)
	}
	cb.clientKey = newTemplate(cb.ClientKey)
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
	case cb.MinClients < 1:
		return fmt.Errorf("circuit_breaker: min_clients %d must be at least 1", cb.MinClients)
	case cb.ClientFailures < 1:
		return fmt.Errorf("circuit_breaker: client_failures %d must be at least 1", cb.ClientFailures)
	case cb.TrialTimeout <= 0:
		return fmt.Errorf("circuit_breaker: trial_timeout must be positive")
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
	// clients and instances seen in the window, with their failures
	clients   map[uint64]*share
	instances map[string]*share
	// half-open: the trials of this round, in flight or failed, one per
	// client, and how many succeeded
	trials    []trialSlot
	successes int
	// round numbers the half-open rounds; a trial counts only in the
	// round that admitted it (one that finishes late, after the circuit
	// opened and half-opened again, tested nothing of the new round)
	round uint64
	// roundEnds is when an undecided half-open round ends: it opens again
	// if a trial failed, or starts a new round (so a client whose trial
	// failed gets another)
	roundEnds int64
}

// share is what one client or instance contributed within the window.
type share struct {
	since              int64 // start of its window
	requests, failures int64
}

// trialSlot is one half-open trial.
type trialSlot struct {
	client   uint64
	deadline int64
	failed   bool // finished, failed (the slot stays: the client had its turn)
	done     bool // finished, passed
}

// ticket is what admit hands a request and record takes back.
type ticket struct {
	trial  bool
	round  uint64
	client uint64
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (cb *CircuitBreaker) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	key := cb.key.raw
	if !cb.key.plain {
		key = cb.key.render(repl)
		if len(key) > maxKeyLen {
			// keys come from requests: bound what each costs to remember
			sum := sha256.Sum256([]byte(key))
			key = "sha256:" + hex.EncodeToString(sum[:16])
		}
	}
	client := cb.clientOf(repl)
	c := cb.circuitFor(key)
	t, retry, ok := cb.admit(c, key, cb.now(), client)
	if !ok {
		cb.rejected.Inc()
		return cb.reject(w, r, retry)
	}

	rec := &statusRecorder{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	err := next.ServeHTTP(rec, r)
	if r.Context().Err() != nil || errors.Is(err, context.Canceled) {
		// the client went away: that says nothing about the service
		cb.forget(c, t)
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
	instance, _ := repl.GetString("http.reverse_proxy.upstream.hostport")
	cb.record(c, key, cb.now(), status != 0 && cb.failures(status), t, instance)
	return err
}

// clientOf is the hash of who the request comes from.
func (cb *CircuitBreaker) clientOf(repl *caddy.Replacer) uint64 {
	id := cb.clientKey.render(repl)
	if id == "" {
		ip, _ := repl.GetString("http.vars.client_ip")
		return maphash.String(circuitSeed, "ip\x00"+ip)
	}
	return maphash.String(circuitSeed, "k\x00"+id)
}

var circuitSeed = maphash.MakeSeed()

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
func (cb *CircuitBreaker) admit(c *circuit, key string, now int64, client uint64) (t ticket, retry int64, ok bool) {
	t.client = client
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateOpen {
		if now < c.openUntil {
			return t, c.openUntil - now, false
		}
		cb.transition(c, key, stateHalfOpen)
	}
	if c.state != stateHalfOpen {
		return t, 0, true
	}
	if now >= c.roundEnds {
		if c.anyTrialFailed() {
			c.openUntil = now + int64(cb.OpenFor)
			cb.transition(c, key, stateOpen)
			return t, c.openUntil - now, false
		}
		cb.transition(c, key, stateHalfOpen)
	}
	// trials that did not answer in time count as failed
	for i := range c.trials {
		if s := &c.trials[i]; !s.done && !s.failed && now >= s.deadline {
			s.failed = true
			if cb.trialsFailedLocked(c, key, now) {
				return t, c.openUntil - now, false
			}
		}
	}
	inFlight := 0
	for _, s := range c.trials {
		if s.client == client && !s.done {
			// one trial in flight per client; a client whose trial failed
			// has had its say this round
			return t, int64(time.Second), false
		}
		if !s.done && !s.failed {
			inFlight++
		}
	}
	if inFlight+c.successes >= cb.HalfOpenRequests {
		return t, int64(time.Second), false
	}
	c.trials = append(c.trials, trialSlot{client: client, deadline: now + int64(cb.TrialTimeout)})
	return ticket{trial: true, round: c.round, client: client}, 0, true
}

// trialsFailedLocked reopens the circuit when trials of enough distinct
// clients failed this round, and reports whether it did.
func (cb *CircuitBreaker) trialsFailedLocked(c *circuit, key string, now int64) bool {
	failed := 0
	for _, s := range c.trials {
		if s.failed {
			failed++
		}
	}
	if failed < min(cb.HalfOpenRequests, cb.MinClients) {
		return false
	}
	c.openUntil = now + int64(cb.OpenFor)
	cb.transition(c, key, stateOpen)
	return true
}

// record counts one finished request; instance is the upstream that
// answered it ("" when unknown).
func (cb *CircuitBreaker) record(c *circuit, key string, now int64, failed bool, t ticket, instance string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.trial {
		if c.state != stateHalfOpen || t.round != c.round {
			return // a trial of an earlier round: it says nothing of this one
		}
		slot := c.slotOf(t.client)
		if slot == nil {
			return // timed out meanwhile: already counted as failed
		}
		if failed {
			slot.failed = true
			cb.trialsFailedLocked(c, key, now)
			return
		}
		slot.done = true
		if c.successes++; c.successes >= cb.HalfOpenRequests {
			cb.transition(c, key, stateClosed)
		}
		return
	}
	if c.state != stateClosed {
		return // a request let through before the circuit opened
	}
	window := int64(cb.Window)
	cs := trackShare(&c.clients, t.client, now, window, maxTrackedClients)
	if failed && cs != nil && cs.failures >= int64(cb.ClientFailures) {
		return // this client has had its say in this window
	}
	if cs != nil {
		cs.requests++
		if failed {
			cs.failures++
		}
	}
	if instance != "" {
		if is := trackShare(&c.instances, instance, now, window, maxTrackedInstances); is != nil {
			is.requests++
			if failed {
				is.failures++
			}
		}
	}
	idx := now / cb.bucketLen
	b := &c.buckets[idx%circuitBuckets]
	if b.index != idx {
		b.index, b.total, b.failures = idx, 0, 0
	}
	b.total++
	if !failed {
		return
	}
	b.failures++
	var total, failures int64
	for i := range c.buckets {
		if idx-c.buckets[i].index < circuitBuckets {
			total += c.buckets[i].total
			failures += c.buckets[i].failures
		}
	}
	if total < int64(cb.MinRequests) || float64(failures) < cb.FailureRatio*float64(total) {
		return
	}
	failingClients := countFailing(c.clients, now, window, func(s *share) bool { return s.failures > 0 })
	if failingClients < cb.MinClients {
		return
	}
	seen := countFailing(c.instances, now, window, func(*share) bool { return true })
	failingInstances := countFailing(c.instances, now, window, func(s *share) bool { return float64(s.failures) >= cb.FailureRatio*float64(s.requests) })
	if seen > 1 && 2*failingInstances < seen {
		return // failures confined to some instances: passive health's job
	}
	c.openUntil = now + int64(cb.OpenFor)
	cb.transition(c, key, stateOpen)
	cb.logger.Warn("circuit opened", zap.String("breaker", cb.Name), zap.String("key", key),
		zap.Int64("requests", total), zap.Int64("failures", failures), zap.Int("failing_clients", failingClients),
		zap.Int("failing_instances", failingInstances), zap.Int("instances", seen),
		zap.Duration("open_for", time.Duration(cb.OpenFor)))
}

func (c *circuit) anyTrialFailed() bool {
	for _, s := range c.trials {
		if s.failed {
			return true
		}
	}
	return false
}

// slotOf returns the trial of client still in flight, if any.
func (c *circuit) slotOf(client uint64) *trialSlot {
	for i := range c.trials {
		if s := &c.trials[i]; s.client == client && !s.done && !s.failed {
			return s
		}
	}
	return nil
}

// trackShare returns the share of k within the window, starting a new one
// when its window passed; nil when the table is full of current shares.
func trackShare[K comparable](m *map[K]*share, k K, now, window int64, limit int) *share {
	if *m == nil {
		*m = make(map[K]*share)
	}
	s := (*m)[k]
	if s != nil && now-s.since < window {
		return s
	}
	if s == nil && len(*m) >= limit {
		for key, old := range *m {
			if now-old.since >= window {
				delete(*m, key)
			}
		}
		if len(*m) >= limit {
			return nil
		}
	}
	s = &share{since: now}
	(*m)[k] = s
	return s
}

func countFailing[K comparable](m map[K]*share, now, window int64, failing func(*share) bool) int {
	n := 0
	for _, s := range m {
		if now-s.since < window && failing(s) {
			n++
		}
	}
	return n
}

// forget undoes a trial that did not finish because its client left.
func (cb *CircuitBreaker) forget(c *circuit, t ticket) {
	if !t.trial {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateHalfOpen || t.round != c.round {
		return
	}
	for i := range c.trials {
		if s := c.trials[i]; s.client == t.client && !s.done && !s.failed {
			c.trials = append(c.trials[:i], c.trials[i+1:]...)
			return
		}
	}
}

// transition changes state; c.mu is held.
func (cb *CircuitBreaker) transition(c *circuit, key string, to int) {
	c.state = to
	c.trials, c.successes = c.trials[:0], 0
	switch to {
	case stateOpen:
		cb.opened.Inc()
	case stateHalfOpen:
		c.round++
		c.roundEnds = cb.now() + int64(cb.OpenFor)
		cb.halfOpen.Inc()
	case stateClosed:
		cb.closed.Inc()
		c.buckets = [circuitBuckets]struct{ index, total, failures int64 }{}
		clear(c.clients)
		clear(c.instances)
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
