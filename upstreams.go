package gateway

import (
	"fmt"
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
//		dynamic registry <service>
//	}
//
// The upstreams are the service's live instances ordered by instance ID, so
// lb_policy (round_robin, first, ...), retries (lb_try_duration) and passive
// health checks (fail_duration, max_fails) work as documented for
// reverse_proxy. A service with no live instance has no upstreams, so
// reverse_proxy answers 503 (after retrying for lb_try_duration, if set).
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

	registry *registry.Registry
	service  template
	log      *zap.Logger
}

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
	u.service = newTemplate(u.Service)
	u.log = ctx.Logger()
	return nil
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
	return nil
}

// GetUpstreams returns fresh upstreams for the service's live instances:
// reverse_proxy changes the values it is given, so they are never shared
// between requests. It allocates the upstreams and nothing else.
func (u *RegistryUpstreams) GetUpstreams(r *http.Request) ([]*reverseproxy.Upstream, error) {
	service := u.service.raw
	if !u.service.plain {
		service = u.service.render(r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer))
	}
	if markHop(r) {
		u.logger().Warn("loop detected: a request came back to the gateway that proxied it; answering 508",
			zap.String("service", service), zap.String("uri", redactURI(r.URL)))
		return loopUpstreams(), nil
	}
	dials := u.registry.Dials(service)
	if len(dials) == 0 {
		return nil, nil
	}
	ups := make([]reverseproxy.Upstream, len(dials))
	out := make([]*reverseproxy.Upstream, len(dials))
	for i, dial := range dials {
		ups[i].Dial = dial
		out[i] = &ups[i]
	}
	return out, nil
}

// Interface guards
var (
	_ reverseproxy.UpstreamSource = (*RegistryUpstreams)(nil)
	_ caddy.Provisioner           = (*RegistryUpstreams)(nil)
	_ caddy.Validator             = (*RegistryUpstreams)(nil)
)
