package gateway

import (
	"errors"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/caddygateway/caddy-gateway/internal/registry"
)

// The gateway's Prometheus metrics. They are created once per process and
// registered into each config's metrics registry (the one behind the admin
// endpoint's /metrics and the `metrics` directive), so their values carry on
// across config reloads. Labels are bounded: reasons, zones, breaker names
// and service names, never client keys.
var metrics = struct {
	jwtRequests        *prometheus.CounterVec
	jwksFetches        *prometheus.CounterVec
	throttleDecisions  *prometheus.CounterVec
	circuitTransitions *prometheus.CounterVec
	circuitRejected    *prometheus.CounterVec
	apiKeyRequests     *prometheus.CounterVec
	consumerRequests   *prometheus.CounterVec
	loadShed           *loadShedCollector
	introspections     *prometheus.CounterVec
}{
	jwtRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "jwt", Name: "requests_total",
		Help: "Requests seen by jwt_auth, by outcome (accepted, anonymous, preflight, refused) and reason.",
	}, []string{"outcome", "reason"}),
	jwksFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "jwt", Name: "jwks_fetches_total",
		Help: "JWKS fetches by URL and result (ok, error).",
	}, []string{"url", "result"}),
	throttleDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "throttle", Name: "decisions_total",
		Help: "Rate limit decisions by zone and decision (allowed, refused, dry_run_refused, backend_error).",
	}, []string{"zone", "decision"}),
	circuitTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "circuit", Name: "transitions_total",
		Help: "Circuit breaker state changes, by breaker and new state (open, half_open, closed).",
	}, []string{"breaker", "to"}),
	circuitRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "circuit", Name: "rejected_total",
		Help: "Requests answered 503 by an open (or full half-open) circuit, by breaker.",
	}, []string{"breaker"}),
	apiKeyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "api_key", Name: "requests_total",
		Help: "Requests seen by api_key, by outcome (accepted, anonymous, refused) and reason (no_key, ambiguous, malformed, unknown, expired, disabled).",
	}, []string{"outcome", "reason"}),
	consumerRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "consumers", Name: "requests_total",
		Help: "Consumers' requests seen by throttle { plan }, by plan (never by consumer: the series stay few) and decision (allowed, rate_limited, over_quota).",
	}, []string{"plan", "decision"}),
	loadShed: newLoadShedCollector(),
	introspections: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "introspection", Name: "requests_total",
		Help: "Requests seen by token_introspection, by outcome (active, inactive, unavailable, anonymous, preflight, no_token, ambiguous, too_large) and source (call, cache; empty without a check).",
	}, []string{"outcome", "source"}),
}

// registerMetrics adds the gateway's collectors to a config's registry; a
// collector already there (another module of the same config) is fine.
func registerMetrics(reg *prometheus.Registry) error {
	if reg == nil {
		return nil
	}
	collectors := []prometheus.Collector{
		metrics.jwtRequests, metrics.jwksFetches, metrics.throttleDecisions,
		metrics.circuitTransitions, metrics.circuitRejected,
		metrics.apiKeyRequests, metrics.consumerRequests,
		metrics.loadShed, metrics.introspections,
	}
	for _, c := range append(collectors, registry.Collectors()...) {
		var already prometheus.AlreadyRegisteredError
		if err := reg.Register(c); err != nil && !errors.As(err, &already) {
			return err
		}
	}
	return nil
}

// countingTransport counts JWKS fetches by URL and result.
type countingTransport struct {
	next http.RoundTripper
	// fetched remembers the URLs that answered once (url -> true)
	fetched sync.Map
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	result := "ok"
	if err != nil || resp.StatusCode >= 300 {
		result = "error"
	} else {
		c.fetched.Store(r.URL.String(), true)
	}
	metrics.jwksFetches.WithLabelValues(r.URL.String(), result).Inc()
	return resp, err
}
