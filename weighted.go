package gateway

import (
	"fmt"
	"math/rand/v2"
	"net/http"

	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
)

func init() {
	caddy.RegisterModule(RegistryWeighted{})
}

// RegistryWeighted is reverse_proxy's selection policy that honours the
// weights registered instances carry. In a Caddyfile:
//
//	reverse_proxy {
//		dynamic registry <service>
//		lb_policy registry_weighted [<key>]
//	}
//
// Each request goes to an available upstream with a probability
// proportional to its weight (instances at weight 0 are drained: the
// registry never offers them). With a key (placeholders expanded per
// request, e.g. {http.auth.user.id}), the choice is a hash of the key
// instead of a random number: one user stays on one instance, and users
// spread in proportion to the weights. Upstreams that do not come from the
// registry weigh 1 each.
type RegistryWeighted struct {
	// Key, when set, makes the choice sticky: the same value picks the
	// same instance while the service's instances and weights stay the
	// same. An empty expansion: a random choice.
	Key string `json:"key,omitempty"`

	key template
}

// CaddyModule returns the Caddy module information.
func (RegistryWeighted) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.reverse_proxy.selection_policies.registry_weighted",
		New: func() caddy.Module { return new(RegistryWeighted) },
	}
}

// Provision prepares the key template.
func (s *RegistryWeighted) Provision(caddy.Context) error {
	s.key = newTemplate(s.Key)
	return nil
}

// Validate checks the key's placeholders.
func (s *RegistryWeighted) Validate() error {
	if err := checkTemplate(s.Key); err != nil {
		return fmt.Errorf("lb_policy registry_weighted: the key %w", err)
	}
	return nil
}

// Select picks an available upstream in proportion to its weight.
func (s *RegistryWeighted) Select(pool reverseproxy.UpstreamPool, r *http.Request, _ http.ResponseWriter) *reverseproxy.Upstream {
	var rt *registry.Route
	vars, _ := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	if vars != nil {
		rt, _ = vars[routeVar].(*registry.Route)
	}
	weight := func(u *reverseproxy.Upstream) int {
		if rt == nil {
			return 1
		}
		return rt.Weight(u.Dial)
	}
	total := 0
	for _, u := range pool {
		if u.Available() {
			total += weight(u)
		}
	}
	if total == 0 {
		return nil
	}
	x := -1
	if s.Key != "" {
		if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
			if key := s.key.render(repl); key != "" {
				x = int(fnv1a(key) % uint64(total))
			}
		}
	}
	if x < 0 {
		x = rand.IntN(total)
	}
	for _, u := range pool {
		if u.Available() {
			if x -= weight(u); x < 0 {
				return u
			}
		}
	}
	return nil
}

// UnmarshalCaddyfile reads `lb_policy registry_weighted [<key>]`.
func (s *RegistryWeighted) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the policy's name
	if d.NextArg() {
		s.Key = d.Val()
		if err := checkTemplate(s.Key); err != nil {
			return d.Errf("registry_weighted key %v", err)
		}
	}
	if d.NextArg() {
		return d.Errf("registry_weighted takes one key at most; unexpected %q", d.Val())
	}
	if d.NextBlock(0) {
		return d.Errf("registry_weighted takes no block; unexpected %q", d.Val())
	}
	return nil
}

// Interface guards
var (
	_ reverseproxy.Selector = (*RegistryWeighted)(nil)
	_ caddy.Provisioner     = (*RegistryWeighted)(nil)
	_ caddy.Validator       = (*RegistryWeighted)(nil)
	_ caddyfile.Unmarshaler = (*RegistryWeighted)(nil)
)
