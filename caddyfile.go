package gateway

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("service_registry", parseServiceRegistryOption)
	httpcaddyfile.RegisterHandlerDirective("registry_api", parseRegistryAPI)
	httpcaddyfile.RegisterDirectiveOrder("registry_api", httpcaddyfile.After, "basic_auth")
}

// parseServiceRegistryOption sets up the service_registry app from the
// global option:
//
//	service_registry {
//		default_ttl <duration>
//		max_instances <n>
//		max_instances_per_service <n>
//		persist on|off
//	}
func parseServiceRegistryOption(d *caddyfile.Dispenser, _ any) (any, error) {
	sr := new(ServiceRegistry)
	if err := sr.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: "service_registry", Value: caddyconfig.JSON(sr, nil)}, nil
}

// UnmarshalCaddyfile sets up the app from Caddyfile tokens. Syntax:
//
//	service_registry {
//		default_ttl <duration>
//		max_instances <n>
//		max_instances_per_service <n>
//		persist on|off
//	}
func (sr *ServiceRegistry) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume option name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		opt := d.Val()
		switch opt {
		case "default_ttl":
			if !d.NextArg() {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(d.Val())
			if err != nil {
				return d.Errf("default_ttl %q is not a duration such as 30s: %v", d.Val(), err)
			}
			sr.DefaultTTL = caddy.Duration(dur)
		case "max_instances", "max_instances_per_service":
			if !d.NextArg() {
				return d.ArgErr()
			}
			n, err := strconv.Atoi(d.Val())
			if err != nil || n < 1 {
				return d.Errf("%s %q must be a positive whole number", opt, d.Val())
			}
			if opt == "max_instances" {
				sr.MaxInstances = n
			} else {
				sr.MaxInstancesPerService = n
			}
		case "persist":
			if !d.NextArg() {
				return d.ArgErr()
			}
			on, err := parseOnOff(d)
			if err != nil {
				return err
			}
			sr.Persist = &on
		default:
			return d.Errf("unknown service_registry option %q; the options are default_ttl, max_instances, max_instances_per_service, persist", opt)
		}
		if d.NextArg() {
			return d.Errf("service_registry: %s takes one argument; unexpected %q", opt, d.Val())
		}
	}
	return nil
}

// UnmarshalCaddyfile sets up the upstream source from Caddyfile tokens.
// Syntax:
//
//	dynamic registry <service>
//
// <service> may hold placeholders, e.g. {http.request.uri.path.0}.
func (u *RegistryUpstreams) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume upstream source name
	if !d.NextArg() {
		return d.Errf("dynamic registry: the service name is missing; write `dynamic registry <service>`")
	}
	u.Service = d.Val()
	if d.NextArg() {
		return d.Errf("dynamic registry: one service name expected, got another argument %q", d.Val())
	}
	if d.NextBlock(0) {
		return d.Errf("dynamic registry takes no block; unexpected %q", d.Val())
	}
	return nil
}

// parseRegistryAPI sets up the registry_api handler. Syntax:
//
//	registry_api [<matcher>]
func parseRegistryAPI(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	api := new(RegistryAPI)
	if err := api.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return api, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	registry_api [<matcher>]
func (h *RegistryAPI) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("registry_api takes no arguments; unexpected %q", d.Val())
	}
	if d.NextBlock(0) {
		return d.Errf("registry_api takes no block; unexpected %q", d.Val())
	}
	return nil
}

func parseOnOff(d *caddyfile.Dispenser) (bool, error) {
	switch d.Val() {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, d.Errf("%q must be on or off", d.Val())
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*ServiceRegistry)(nil)
	_ caddyfile.Unmarshaler = (*RegistryUpstreams)(nil)
	_ caddyfile.Unmarshaler = (*RegistryAPI)(nil)
)
