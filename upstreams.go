package gateway

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	"go.uber.org/zap"
)

// RegistryUpstreams is reverse_proxy's upstream source for the registered
// instances of a service. In a Caddyfile:
//
//	reverse_proxy {
//		dynamic registry <service> {
//			subset <k>|all [<key>]
//		}
//	}
//
// The upstreams are the service's live instances ordered by instance ID, so
// lb_policy (round_robin, first, ...), retries (lb_try_duration) and passive
// health checks (fail_duration, max_fails) work as documented for
// reverse_proxy. A service with no live instance has no upstreams, so
// reverse_proxy answers 503 (after retrying for lb_try_duration, if set).
//
// A service with more than k instances (default 8) gives each request a
// window of k consecutive instances (in ID order, wrapping round) instead
// of all of them, so that a request costs the same whatever the service's
// size. The window starts at a random instance, or, with a key, at the
// instance the key's hash points to: the same key, the same window. Each
// retry gets a new window.
//
// Active health checks do not run for dynamic upstreams in Caddy; passive
// ones do.
//
// Every request it routes carries this gateway's hop marker (the header
// Caddy-Gateway-Hop); a request that arrives with it already passed through
// this gateway, so a registration leads back to it: such a request is
// answered 508 Loop Detected at once instead of going round again.
type RegistryUpstreams struct {
	// The service whose instances are the upstreams. Placeholders are
	// expanded per request: `{http.request.uri.path.0}` routes
	// /hello_service/... to the service hello_service.
	Service string `json:"service,omitempty"`

	// Subset is the most upstreams one request is given, a window of the
	// service's instances (see above). 0: the default, 8; negative: all
	// instances, however many.
	Subset int `json:"subset,omitempty"`

	// SubsetKey picks the window by a hash of its value (placeholders
	// expanded per request) instead of at random, so that a hashing
	// lb_policy stays sticky: use the policy's own input, e.g.
	// `{http.request.remote.host}` with ip_hash. An empty value: random.
	SubsetKey string `json:"subset_key,omitempty"`

	registry  *registry.Registry
	service   template
	subsetKey template
	subset    int
	log       *zap.Logger
}

// defaultSubset is the window's size when Subset is 0: large enough for
// least_conn and random_choose to choose well, small enough that a request
// costs the same as to a service of a few instances.
const defaultSubset = 8

func (u *RegistryUpstreams) logger() *zap.Logger {
	if u.log == nil {
		return zap.NewNop()
	}
	return u.log
}

// CaddyModule returns the Caddy module information.
func (RegistryUpstreams) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.reverse_proxy.upstreams.registry",
		New: func() caddy.Module { return new(RegistryUpstreams) },
	}
}

// Provision loads the service_registry app (so its settings and persistence
// apply even when it is not configured) and decides once whether the service
// name needs placeholder expansion.
func (u *RegistryUpstreams) Provision(ctx caddy.Context) error {
	if _, err := ctx.App("service_registry"); err != nil {
		return err
	}
	u.registry = processState.registry
	u.prepare()
	u.log = ctx.Logger()
	return nil
}

// prepare does the work of Provision that needs no Caddy context.
func (u *RegistryUpstreams) prepare() {
	u.service = newTemplate(u.Service)
	u.subsetKey = newTemplate(u.SubsetKey)
	switch {
	case u.Subset == 0:
		u.subset = defaultSubset
	case u.Subset < 0:
		u.subset = 0 // all
	default:
		u.subset = u.Subset
	}
}

// Validate checks the service name, unless it is a placeholder template.
func (u *RegistryUpstreams) Validate() error {
	if u.Service == "" {
		return fmt.Errorf("dynamic registry: the service name is missing; write `dynamic registry <service>`")
	}
	if !strings.ContainsRune(u.Service, '{') {
		if err := registry.ValidateServiceName(u.Service); err != nil {
			return fmt.Errorf("dynamic registry: %w", err)
		}
	} else if err := checkTemplate(u.Service); err != nil {
		return fmt.Errorf("dynamic registry: the service %w", err)
	}
	if err := checkTemplate(u.SubsetKey); err != nil {
		return fmt.Errorf("dynamic registry: the subset key %w", err)
	}
	return nil
}

// GetUpstreams returns fresh upstreams for the service's live instances, at
// most the subset's size of them: reverse_proxy changes the values it is
// given, so they are never shared between requests. It allocates the
// upstreams and nothing else.
func (u *RegistryUpstreams) GetUpstreams(r *http.Request) ([]*reverseproxy.Upstream, error) {
	var repl *caddy.Replacer
	service := u.service.raw
	if !u.service.plain {
		repl = r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
		service = u.service.render(repl)
	}
	if markHop(r) {
		u.logger().Warn("loop detected: a request came back to the gateway that proxied it; answering 508",
			zap.String("service", service), zap.String("uri", redactURI(r.URL)))
		return loopUpstreams(), nil
	}
	dials := u.registry.Dials(service)
	n := len(dials)
	if n == 0 {
		return nil, nil
	}
	k, start := n, 0
	if u.subset > 0 && n > u.subset {
		k = u.subset
		start = u.windowStart(r, repl, n)
	}
	ups := make([]reverseproxy.Upstream, k)
	out := make([]*reverseproxy.Upstream, k)
	for i := range k {
		j := start + i
		if j >= n {
			j -= n
		}
		ups[i].Dial = dials[j]
		out[i] = &ups[i]
	}
	return out, nil
}

// windowStart is where a request's window of n instances begins: at the
// key's hash, or at random without a key (or with an empty one).
func (u *RegistryUpstreams) windowStart(r *http.Request, repl *caddy.Replacer, n int) int {
	if u.SubsetKey == "" {
		return rand.IntN(n)
	}
	if repl == nil {
		repl = r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	}
	key := u.subsetKey.render(repl)
	if key == "" {
		return rand.IntN(n)
	}
	return int(fnv1a(key) % uint64(n))
}

// fnv1a is the 64-bit FNV-1a hash of s: the same on every gateway, so
// gateways in a cluster give one key the same window.
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Interface guards
var (
	_ reverseproxy.UpstreamSource = (*RegistryUpstreams)(nil)
	_ caddy.Provisioner           = (*RegistryUpstreams)(nil)
	_ caddy.Validator             = (*RegistryUpstreams)(nil)
)
