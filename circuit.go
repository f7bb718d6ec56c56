package gateway

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/breaker"
	"github.com/caddygateway/caddy-gateway/internal/traffic"
)

func init() {
	caddy.RegisterModule(CircuitBreaker{})
}

// circuit_breaker defaults.
const (
	defaultFailureRatio     = 0.5
	defaultMinRequests      = 20
	defaultCircuitWindow    = 30 * time.Second
	defaultOpenFor          = 30 * time.Second
	defaultHalfOpenRequests = 3
	defaultCircuitKeys      = 10000
	defaultMinClients       = 3
	defaultClientFailures   = 2
	defaultTrialTimeout     = 5 * time.Second
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
// Open, it answers 503 at once, with Retry-After and a small JSON body (or,
// when the site has handle_errors routes, returns a 503 Caddy error with
// Retry-After set, for those routes to answer), for open_for. Then it is
// half-open: it lets half_open_requests trial requests through, at most one
// at a time per client, none more for a client whose trial failed (others
// still get 503); when that many succeed it closes; when trials of
// min(half_open_requests, min_clients) distinct clients fail, it opens
// again. A trial that has not answered
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
	engine    *breaker.Breaker
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
	if err := cb.setup(ctx.Logger()); err != nil {
		return err
	}
	processState.circuits.Store(cb, struct{}{})
	return nil
}

// Cleanup takes the handler off the dashboard's list.
func (cb *CircuitBreaker) Cleanup() error {
	processState.circuits.Delete(cb)
	return nil
}

func (cb *CircuitBreaker) setup(logger *zap.Logger) error {
	cb.logger = logger
	if cb.now == nil {
		cb.now = monotonicNow
	}
	orDefault(&cb.Name, "circuit_breaker")
	orDefault(&cb.FailureRatio, defaultFailureRatio)
	orDefault(&cb.MinRequests, defaultMinRequests)
	orDefault(&cb.Window, caddy.Duration(defaultCircuitWindow))
	orDefault(&cb.OpenFor, caddy.Duration(defaultOpenFor))
	orDefault(&cb.HalfOpenRequests, defaultHalfOpenRequests)
	orDefault(&cb.MaxKeys, defaultCircuitKeys)
	orDefault(&cb.ClientKey, "{http.auth.user.id}")
	orDefault(&cb.MinClients, defaultMinClients)
	orDefault(&cb.ClientFailures, defaultClientFailures)
	orDefault(&cb.TrialTimeout, caddy.Duration(defaultTrialTimeout))
	if len(cb.FailureStatus) == 0 {
		cb.FailureStatus = []string{"5xx"}
	}
	cb.clientKey = newTemplate(cb.ClientKey)
	var err error
	if cb.failures, err = parseStatusSet(cb.FailureStatus); err != nil {
		return err
	}
	cb.key = newTemplate(cb.Key)
	cb.engine = breaker.New(breaker.Config{
		FailureRatio: cb.FailureRatio, MinRequests: cb.MinRequests, Window: time.Duration(cb.Window),
		OpenFor: time.Duration(cb.OpenFor), HalfOpenRequests: cb.HalfOpenRequests, MaxKeys: cb.MaxKeys,
		MinClients: cb.MinClients, ClientFailures: cb.ClientFailures, TrialTimeout: time.Duration(cb.TrialTimeout),
	}, cb.transitioned)
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
	if err := checkTemplate(cb.Key); err != nil {
		return fmt.Errorf("circuit_breaker: key %w", err)
	}
	if err := checkTemplate(cb.ClientKey); err != nil {
		return fmt.Errorf("circuit_breaker: client_key %w", err)
	}
	return nil
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (cb *CircuitBreaker) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (err error) {
	if rec, rw := trafficStart(w, r); rec != nil {
		defer rec.finish(r, &err)
		w = rw
	}
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	key := cb.key.raw
	if !cb.key.plain {
		key = cb.key.render(repl)
		key = boundKey(key) // keys come from requests: bound what each costs to remember
	}
	t, retry, ok := cb.engine.Admit(key, cb.clientOf(repl), cb.now())
	if !ok {
		cb.rejected.Inc()
		trafficRefused(r, traffic.Refused503Circuit)
		return cb.reject(w, r, retry)
	}

	rec := &statusRecorder{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	finished := false
	defer func() {
		if !finished {
			// reverse_proxy's http.ErrAbortHandler panic (the client went
			// away mid-answer): a trial must not be left to time out as
			// failed, which would open the circuit again
			cb.engine.Abandon(t)
		}
	}()
	err = next.ServeHTTP(rec, r)
	finished = true
	if r.Context().Err() != nil || errors.Is(err, context.Canceled) || caddyhttp.GetVar(r.Context(), loadShedVar) != nil {
		// the client went away, or load_shed (inside the breaker) shed
		// the request before the service saw it: that says nothing
		// about the service
		cb.engine.Abandon(t)
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
	cb.engine.Done(t, cb.now(), status != 0 && cb.failures(status), instance)
	return err
}

// clientOf is the hash of who the request comes from.
func (cb *CircuitBreaker) clientOf(repl *caddy.Replacer) uint64 {
	return cb.clientKey.clientHash(circuitSeed, repl)
}

var circuitSeed = maphash.MakeSeed()

// transitioned logs and counts a circuit's change of state.
func (cb *CircuitBreaker) transitioned(tr breaker.Transition) {
	switch tr.To {
	case breaker.Open:
		cb.opened.Inc()
		if tr.Requests > 0 {
			cb.logger.Warn("circuit opened", zap.String("breaker", cb.Name), zap.String("key", tr.Key),
				zap.Int64("requests", tr.Requests), zap.Int64("failures", tr.Failures), zap.Int("failing_clients", tr.FailingClients),
				zap.Int("failing_instances", tr.FailingInstances), zap.Int("instances", tr.Seen),
				zap.Duration("open_for", time.Duration(cb.OpenFor)))
		}
	case breaker.HalfOpen:
		cb.halfOpen.Inc()
	case breaker.Closed:
		cb.closed.Inc()
	}
	processState.traffic.Mark(time.Now(), cb.Name, tr.Key, tr.To.String())
	cb.logger.Info("circuit state changed", zap.String("breaker", cb.Name), zap.String("key", tr.Key),
		zap.String("to", tr.To.String()))
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

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	circuit_breaker [<matcher>] {
//		name <name>
//		key <template>
//		failure_ratio <0..1>
//		min_requests <n>
//		window <duration>
//		open_for <duration>
//		half_open_requests <n>
//		failure_status <code|class...>
//		max_keys <n>
//		client_key <template>
//		min_clients <n>
//		client_failures <n>
//		trial_timeout <duration>
//	}
func (cb *CircuitBreaker) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("circuit_breaker takes a block, not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		args := d.RemainingArgs()
		if opt == "failure_status" {
			if len(args) == 0 {
				return d.Errf("failure_status needs at least one status or class, e.g. 5xx 429")
			}
			cb.FailureStatus = append(cb.FailureStatus, args...)
			continue
		}
		if len(args) != 1 {
			return d.Errf("%s takes one argument, got %d", opt, len(args))
		}
		arg := args[0]
		positive := func() (int, error) {
			n, err := strconv.Atoi(arg)
			if err != nil || n < 1 {
				return 0, d.Errf("%s %q must be a positive whole number", opt, arg)
			}
			return n, nil
		}
		duration := func() (caddy.Duration, error) {
			dur, err := caddy.ParseDuration(arg)
			if err != nil || dur <= 0 {
				return 0, d.Errf("%s %q is not a positive duration such as 30s", opt, arg)
			}
			return caddy.Duration(dur), nil
		}
		var err error
		switch opt {
		case "name":
			cb.Name = arg
		case "key", "client_key":
			if err := checkTemplate(arg); err != nil {
				return d.Errf("%s %v", opt, err)
			}
			if opt == "key" {
				cb.Key = arg
			} else {
				cb.ClientKey = arg
			}
		case "failure_ratio":
			cb.FailureRatio, err = strconv.ParseFloat(strings.TrimSuffix(arg, "%"), 64)
			if err == nil && strings.HasSuffix(arg, "%") {
				cb.FailureRatio /= 100
			}
			if err != nil || cb.FailureRatio <= 0 || cb.FailureRatio > 1 {
				return d.Errf("failure_ratio %q must be more than 0 and at most 1 (or 1%% to 100%%)", arg)
			}
		case "min_requests":
			cb.MinRequests, err = positive()
		case "half_open_requests":
			cb.HalfOpenRequests, err = positive()
		case "max_keys":
			cb.MaxKeys, err = positive()
		case "window":
			cb.Window, err = duration()
		case "open_for":
			cb.OpenFor, err = duration()
		case "min_clients":
			cb.MinClients, err = positive()
		case "client_failures":
			cb.ClientFailures, err = positive()
		case "trial_timeout":
			cb.TrialTimeout, err = duration()
		default:
			return d.Errf("unrecognized subdirective %q; circuit_breaker knows: name, key, failure_ratio, min_requests, window, "+
				"open_for, half_open_requests, failure_status, max_keys, client_key, min_clients, client_failures, trial_timeout", opt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*CircuitBreaker)(nil)
	_ caddy.CleanerUpper          = (*CircuitBreaker)(nil)
	_ caddy.Validator             = (*CircuitBreaker)(nil)
	_ caddyhttp.MiddlewareHandler = (*CircuitBreaker)(nil)
	_ caddyfile.Unmarshaler       = (*CircuitBreaker)(nil)
)
