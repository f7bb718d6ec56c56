package gateway

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/modules/cors"
	"github.com/caddygateway/caddy-gateway/modules/responsecache"
	"github.com/caddygateway/caddy-gateway/modules/transform"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("service_registry", parseServiceRegistryOption)
	httpcaddyfile.RegisterGlobalOption("consumers", parseConsumersOption)
	httpcaddyfile.RegisterHandlerDirective("registry_api", parseHandler[RegistryAPI])
	httpcaddyfile.RegisterHandlerDirective("jwt_auth", parseHandler[JWTAuth])
	httpcaddyfile.RegisterHandlerDirective("api_key", parseHandler[APIKey])
	httpcaddyfile.RegisterHandlerDirective("token_introspection", parseHandler[TokenIntrospection])
	httpcaddyfile.RegisterHandlerDirective("throttle", parseHandler[Throttle])
	httpcaddyfile.RegisterHandlerDirective("circuit_breaker", parseHandler[CircuitBreaker])
	httpcaddyfile.RegisterHandlerDirective("cors", parseHandler[cors.CORS])
	httpcaddyfile.RegisterHandlerDirective("gateway_dashboard", parseHandler[GatewayDashboard])
	httpcaddyfile.RegisterHandlerDirective("response_cache", parseHandler[responsecache.ResponseCache])
	httpcaddyfile.RegisterHandlerDirective("transform", parseHandler[transform.Transform])
	httpcaddyfile.RegisterHandlerDirective("load_shed", parseHandler[LoadShed])

	// The order becomes cors, basic_auth, api_key, jwt_auth, throttle, forward_auth,
	// registry_api: CORS preflights answered before any authentication (a
	// browser sends them without credentials), then authentication first (so throttle can key on the user),
	// then limits; the registration API after every authentication directive
	// (Caddy's and this plugin's), all before handle, route and
	// reverse_proxy. Caddy only accepts its standard directives as anchors,
	// hence "before/after forward_auth" for the later ones.
	httpcaddyfile.RegisterDirectiveOrder("cors", httpcaddyfile.Before, "basic_auth")
	httpcaddyfile.RegisterDirectiveOrder("jwt_auth", httpcaddyfile.After, "basic_auth")
	// api_key sorts right after basic_auth, so before jwt_auth: both
	// authenticate, in either order, before throttle
	httpcaddyfile.RegisterDirectiveOrder("api_key", httpcaddyfile.After, "basic_auth")
	// token_introspection last of the authentications (it may call the
	// provider; the others refuse from memory), right before throttle
	httpcaddyfile.RegisterDirectiveOrder("token_introspection", httpcaddyfile.Before, "forward_auth")
	httpcaddyfile.RegisterDirectiveOrder("throttle", httpcaddyfile.Before, "forward_auth")
	httpcaddyfile.RegisterDirectiveOrder("registry_api", httpcaddyfile.After, "forward_auth")
	// the breaker watches what it wraps: right before reverse_proxy
	httpcaddyfile.RegisterDirectiveOrder("circuit_breaker", httpcaddyfile.Before, "reverse_proxy")
	// load_shed right before reverse_proxy, so after circuit_breaker (a
	// request the open circuit refuses takes no slot, and the breaker
	// does not count load_shed's 503s as the service's failures) and
	// after response_cache (before encode: a cached answer never waits
	// for a slot); it registers after circuit_breaker, so Before puts it
	// between the two
	httpcaddyfile.RegisterDirectiveOrder("load_shed", httpcaddyfile.Before, "reverse_proxy")
	httpcaddyfile.RegisterDirectiveOrder("gateway_dashboard", httpcaddyfile.Before, "respond")
	// transform, then response_cache, right before encode: after
	// authentication (transform's placeholders name the user), limits and
	// request_header; transform outside the cache, so what the cache
	// stores is the upstream's answer, and an answer edited with one
	// user's placeholders is never stored for another; encode inside both,
	// so the cache keeps compressed variants (encode sets Vary) and
	// transform decodes them. Each Before puts its directive right before
	// encode, so transform goes first.
	httpcaddyfile.RegisterDirectiveOrder("transform", httpcaddyfile.Before, "encode")
	httpcaddyfile.RegisterDirectiveOrder("response_cache", httpcaddyfile.Before, "encode")
}

// parseHandler reads a handler directive with the handler's own
// UnmarshalCaddyfile, which lives beside the module.
func parseHandler[T any, PT interface {
	*T
	caddyhttp.MiddlewareHandler
	caddyfile.Unmarshaler
}](h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := PT(new(T))
	if err := m.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return m, nil
}

// parseServiceRegistryOption sets up the service_registry app from the
// global option:
//
//	service_registry {
//		default_ttl <duration>
//		max_instances <n>
//		max_instances_per_service <n>
//		persist on|off
//		health_path <path>
//		health_interval <duration>
//		health_timeout <duration>
//		health_fails <n>
//		health_passes <n>
//		deregister_unhealthy_after <duration>
//	}
func parseServiceRegistryOption(d *caddyfile.Dispenser, _ any) (any, error) {
	sr := new(ServiceRegistry)
	if err := sr.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: "service_registry", Value: caddyconfig.JSON(sr, nil)}, nil
}

// parseConsumersOption sets up the consumers app from the global option
// (syntax: ConsumersApp.UnmarshalCaddyfile).
func parseConsumersOption(d *caddyfile.Dispenser, _ any) (any, error) {
	a := new(ConsumersApp)
	if err := a.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: "consumers", Value: caddyconfig.JSON(a, nil)}, nil
}

// positiveDuration reads the one argument of opt, a duration above zero.
func positiveDuration(d *caddyfile.Dispenser, opt string, field *caddy.Duration) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	dur, err := caddy.ParseDuration(d.Val())
	if err != nil || dur <= 0 {
		return d.Errf("%s %q is not a positive duration such as 10s", opt, d.Val())
	}
	*field = caddy.Duration(dur)
	return nil
}

// unmarshalStoreOption reads the options every store of the plugin takes
// (the service_registry and consumers options): `persist on|off`,
// `backend redis <url>` and `redis_timeout <duration>`, the current token
// being opt (one of them).
func unmarshalStoreOption(d *caddyfile.Dispenser, directive, opt string, persist **bool, redis **caddykit.RedisConfig) error {
	switch opt {
	case "persist":
		if !d.NextArg() {
			return d.ArgErr()
		}
		on, err := parseOnOff(d)
		if err != nil {
			return err
		}
		*persist = &on
	case "backend":
		rc, err := caddykit.ParseRedisBackend(d, directive, d.RemainingArgs())
		if err != nil {
			return err
		}
		if *redis != nil && rc.Timeout == 0 {
			rc.Timeout = (*redis).Timeout // a redis_timeout line came first
		}
		*redis = rc
	case "redis_timeout":
		if *redis == nil {
			*redis = &caddykit.RedisConfig{}
		}
		return positiveDuration(d, opt, &(*redis).Timeout)
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
