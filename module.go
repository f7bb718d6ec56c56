// Package gateway turns Caddy into an API gateway: services register
// themselves with the gateway at run time, and Caddy's reverse_proxy routes
// and load-balances requests to whatever is registered.
//
// The plugin adds these Caddy modules (README.md's table lists the same;
// modules_doc_test.go checks that both name every module registered):
//
//   - http.reverse_proxy.upstreams.registry (Caddyfile: `dynamic registry
//     <service>` inside reverse_proxy): the registered instances of a service
//     as reverse_proxy's upstreams.
//   - http.reverse_proxy.selection_policies.registry_weighted (Caddyfile:
//     `lb_policy registry_weighted`): a selection policy honouring the
//     registered weights (canaries, draining).
//   - service_registry (Caddyfile: the global option `service_registry`):
//     the registry's settings: default lease, memory caps, persistence.
//   - admin.api.registry: the registration API on Caddy's admin endpoint,
//     under /registry/.
//   - http.handlers.registry_api (Caddyfile: `registry_api`): the same
//     registration API on a site route, for services on other hosts.
//   - http.handlers.jwt_auth (Caddyfile: `jwt_auth`): JWT authentication.
//   - http.handlers.api_key (Caddyfile: `api_key`): authentication by a
//     consumer's API key.
//   - http.handlers.token_introspection (Caddyfile: `token_introspection`):
//     authentication by opaque tokens, checked with the identity provider's
//     RFC 7662 introspection endpoint.
//   - http.handlers.throttle (Caddyfile: `throttle`): rate limits, with the
//     app throttle keeping per-config bookkeeping of its zones.
//   - throttle: that app (no settings; loaded by the throttle handlers).
//   - http.handlers.circuit_breaker (Caddyfile: `circuit_breaker`): fast
//     503s for a failing service.
//   - http.handlers.load_shed (Caddyfile: `load_shed`): 503s for what a
//     saturated service cannot take, under a concurrency limit learned from
//     its latency, shared fairly between clients.
//   - http.handlers.response_cache (Caddyfile: `response_cache`): an HTTP
//     cache (RFC 9111), in memory or shared through Redis (package
//     modules/responsecache).
//   - admin.api.response_cache: purging that cache on Caddy's admin
//     endpoint, under /response_cache/ (package modules/responsecache).
//   - http.handlers.transform (Caddyfile: `transform`): edits to JSON
//     request and response bodies.
//   - http.handlers.gateway_cors (Caddyfile: `cors`): CORS for browser apps
//     on other origins.
//   - http.handlers.gateway_dashboard (Caddyfile: `gateway_dashboard`): the
//     live dashboard page and its JSON.
//   - consumers (Caddyfile: the global option `consumers`): the plans
//     consumers belong to (rates, calendar quotas) and where consumers are
//     kept.
//   - admin.api.consumers: the consumers API on Caddy's admin endpoint,
//     under /consumers/: consumers, their API keys, their quota use.
//
// The web application firewall, http.handlers.gateway_waf (Caddyfile:
// `waf`), is a separate Go module in waf/, so that a build without it does
// not carry Coraza.
//
// Refusals (401, 429, 503, ...) are written by respond.go's refuse: the
// handler's own JSON answer, or a Caddy error for the site's handle_errors
// routes when it has them. Active health checks of registered instances run
// in the registry engine (internal/registry/health.go). metrics.go holds the
// modules' Prometheus metrics and registers the registry's own (created in
// internal/registry/metrics.go, so they outlive a config load).
//
// Everything a config load builds lives on the module values Caddy creates
// for that load. The few things that must outlive a load are owned by the
// package-level variable [processState] and nothing else.
package gateway

import (
	"sync"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddygateway/caddy-gateway/internal/traffic"
	"github.com/caddyserver/caddy/v2"
)

// Every module registers itself in its own file (the file that holds its
// whole Caddy surface); this file owns the state that outlives a reload.
func init() {
	caddykit.OnProcessReset(func() { // what a new process starts with, for the end-to-end tests
		processState.registry = registry.New(caddy.Log().Named("service_registry"))
		processState.consumers = newConsumerState()
		processState.traffic = traffic.New(nil)
	})
}

// processState owns every piece of state that must survive a config reload:
// the one package-level owner of state in this plugin.
//
// Caddy creates every module anew on each config load (and the admin API
// modules on each load too, without ever cleaning them up), so state kept on
// a module would be lost whenever a user changes the Caddyfile. Registrations
// are made at run time by the services themselves; losing them on a reload
// would make every service unreachable until its next renewal. So the
// registry lives here, created once per process; modules hold a pointer to
// it and the service_registry app applies its settings to it on each load.
// Likewise the rate limiters' buckets: a reload that keeps a zone's settings
// must not hand every client a fresh burst.
var processState = struct {
	// registry holds every registered service instance.
	registry *registry.Registry
	// zones holds the throttle zones' buckets (zoneState), reference
	// counted by the throttle handlers using them: during a reload the new
	// config takes its reference before the old one lets go, so an unchanged
	// zone carries on. With backend redis in mode leased it holds the
	// zone's lease table (leaseState) instead, so a reload neither loses
	// nor re-takes the shares this gateway holds.
	zones *caddy.UsagePool
	// circuits holds the circuit_breaker handlers of the loaded configs
	// (*CircuitBreaker keys), from Provision to Cleanup, for the dashboard
	// to read their states; it holds no state of its own.
	circuits *sync.Map
	// consumers holds the consumers and their keys (the admin API changes
	// them at run time, so a reload must not lose them), the quota counts
	// (a reload must not hand every consumer a fresh quota), and who
	// writes them to storage (consumerState, consumers.go).
	consumers *consumerState
	// loadShed holds load_shed's learned limits (loadShedState), one per
	// load_shed name, reference counted by the handlers using them: a
	// reload must not throw away what was learned about the services'
	// capacity (a fresh limit would let a saturated service be overrun,
	// or cut a large one down, until relearned), nor lose count of the
	// requests in flight across it.
	loadShed *caddy.UsagePool
	// traffic holds the last 15 minutes of traffic per second, for the
	// dashboard (traffic.go): a reload must not blank the charts an
	// operator is watching, least of all the reload that was meant to fix
	// what they show.
	traffic *traffic.Recorder
	// identityProviders holds the key sets jwt_auth discovers from OpenID
	// Providers (*discoveredKeys, one per issuer and settings), reference
	// counted by the handlers using them: a reload while a provider is
	// down keeps its last good keys, and makes no new fetch. The dashboard
	// shows whether each provider answers.
	identityProviders *caddy.UsagePool
}{
	registry:  registry.New(caddy.Log().Named("service_registry")),
	zones:     caddy.NewUsagePool(),
	circuits:  new(sync.Map),
	consumers: newConsumerState(),
	loadShed:  caddy.NewUsagePool(),
	traffic:   traffic.New(nil),

	identityProviders: caddy.NewUsagePool(),
}
