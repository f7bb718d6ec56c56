package registry

import "github.com/prometheus/client_golang/prometheus"

// The registry's Prometheus metrics, created once per process so that their
// values carry on across config reloads; the Caddy layer registers them into
// each config's metrics registry ([Collectors]). Labels are service names
// and event kinds, both bounded.
var metrics = struct {
	registryInstances *prometheus.GaugeVec
	registryEvents    *prometheus.CounterVec
	healthTransitions *prometheus.CounterVec
}{
	registryInstances: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "caddy_gateway", Subsystem: "registry", Name: "instances",
		Help: "Registered instances per service, and how many of them are healthy.",
	}, []string{"service", "state"}),
	registryEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "registry", Name: "events_total",
		Help: "Registry events: registered, renewed, deregistered, expired, restored, deregistered_unhealthy, refused.",
	}, []string{"event"}),
	healthTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy_gateway", Subsystem: "registry", Name: "health_transitions_total",
		Help: "Active health check transitions of registered instances, by service and new state (healthy, unhealthy).",
	}, []string{"service", "to"}),
}

// Collectors returns the registry's metrics, for a Prometheus registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{metrics.registryInstances, metrics.registryEvents, metrics.healthTransitions}
}
