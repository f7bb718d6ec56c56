package gateway

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
	"github.com/caddygateway/caddy-gateway/internal/jwtverify"
	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddygateway/caddy-gateway/modules/cors"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("service_registry", parseServiceRegistryOption)
	httpcaddyfile.RegisterHandlerDirective("registry_api", parseRegistryAPI)
	httpcaddyfile.RegisterHandlerDirective("jwt_auth", parseJWTAuth)
	httpcaddyfile.RegisterHandlerDirective("throttle", parseThrottle)
	httpcaddyfile.RegisterHandlerDirective("circuit_breaker", parseCircuitBreaker)
	httpcaddyfile.RegisterHandlerDirective("cors", parseHandler[cors.CORS])
	httpcaddyfile.RegisterHandlerDirective("gateway_dashboard", parseDashboard)
	httpcaddyfile.RegisterHandlerDirective("response_cache", parseResponseCache)
	httpcaddyfile.RegisterHandlerDirective("transform", parseTransform)

	// The order becomes cors, basic_auth, jwt_auth, throttle, forward_auth,
	// registry_api: CORS preflights answered before any authentication (a
	// browser sends them without credentials), then authentication first (so throttle can key on the user),
	// then limits; the registration API after every authentication directive
	// (Caddy's and this plugin's), all before handle, route and
	// reverse_proxy. Caddy only accepts its standard directives as anchors,
	// hence "before/after forward_auth" for the later ones.
	httpcaddyfile.RegisterDirectiveOrder("cors", httpcaddyfile.Before, "basic_auth")
	httpcaddyfile.RegisterDirectiveOrder("jwt_auth", httpcaddyfile.After, "basic_auth")
	httpcaddyfile.RegisterDirectiveOrder("throttle", httpcaddyfile.Before, "forward_auth")
	httpcaddyfile.RegisterDirectiveOrder("registry_api", httpcaddyfile.After, "forward_auth")
	// the breaker watches what it wraps: right before reverse_proxy
	httpcaddyfile.RegisterDirectiveOrder("circuit_breaker", httpcaddyfile.Before, "reverse_proxy")
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

// UnmarshalCaddyfile sets up the app from Caddyfile tokens. Syntax:
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
//		backend redis <url>
//		redis_timeout <duration>
//		resync_interval <duration>
//		allow <cidr...>
//		deny <cidr...>
//	}
func (sr *ServiceRegistry) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume option name
	if d.NextArg() {
		return d.ArgErr()
	}
	// the options that take one positive duration or whole number
	durations := map[string]*caddy.Duration{
		"resync_interval": &sr.ResyncInterval, "health_interval": &sr.HealthInterval,
		"health_timeout": &sr.HealthTimeout, "deregister_unhealthy_after": &sr.DeregisterUnhealthyAfter,
	}
	counts := map[string]*int{
		"max_instances": &sr.MaxInstances, "max_instances_per_service": &sr.MaxInstancesPerService,
		"health_fails": &sr.HealthFails, "health_passes": &sr.HealthPasses,
	}
	for d.NextBlock(0) {
		opt := d.Val()
		if err := sr.unmarshalOption(d, opt, durations, counts); err != nil {
			return err
		}
		if opt != "backend" && opt != "allow" && opt != "deny" && d.NextArg() {
			return d.Errf("%s takes one argument; unexpected %q", opt, d.Val())
		}
	}
	if sr.Redis != nil && sr.Redis.URL == "" {
		return d.Err("redis_timeout without `backend redis <url>`")
	}
	return nil
}

// unmarshalOption reads one option of the service_registry block.
func (sr *ServiceRegistry) unmarshalOption(d *caddyfile.Dispenser, opt string, durations map[string]*caddy.Duration, counts map[string]*int) error {
	if field, ok := durations[opt]; ok {
		return positiveDuration(d, opt, field)
	}
	if field, ok := counts[opt]; ok {
		if !d.NextArg() {
			return d.ArgErr()
		}
		n, err := strconv.Atoi(d.Val())
		if err != nil || n < 1 {
			return d.Errf("%s %q must be a positive whole number", opt, d.Val())
		}
		*field = n
		return nil
	}
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
	case "persist":
		if !d.NextArg() {
			return d.ArgErr()
		}
		on, err := parseOnOff(d)
		if err != nil {
			return err
		}
		sr.Persist = &on
	case "backend":
		rc, err := parseRedisBackend(d, "service_registry", d.RemainingArgs())
		if err != nil {
			return err
		}
		if sr.Redis != nil {
			rc.Timeout = sr.Redis.Timeout
		}
		sr.Redis = rc
	case "redis_timeout":
		if sr.Redis == nil {
			sr.Redis = &RedisConfig{}
		}
		return positiveDuration(d, opt, &sr.Redis.Timeout)
	case "allow", "deny":
		ranges := d.RemainingArgs()
		if len(ranges) == 0 {
			return d.Errf("%s needs at least one IP range, e.g. %s 10.0.0.0/8", opt, opt)
		}
		for _, r := range ranges {
			if _, err := addrpolicy.ParsePrefix(r); err != nil {
				return d.Errf("%s: %v", opt, err)
			}
		}
		if opt == "allow" {
			sr.Allow = append(sr.Allow, ranges...)
		} else {
			sr.Deny = append(sr.Deny, ranges...)
		}
	case "health_path":
		if !d.NextArg() {
			return d.ArgErr()
		}
		sr.HealthPath = d.Val()
	default:
		return d.Errf("unrecognized subdirective %q; service_registry knows: default_ttl, max_instances, max_instances_per_service, persist, "+
			"health_path, health_interval, health_timeout, health_fails, health_passes, deregister_unhealthy_after, "+
			"backend, redis_timeout, resync_interval, allow, deny", opt)
	}
	return nil
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

// UnmarshalCaddyfile sets up the upstream source from Caddyfile tokens.
// Syntax:
//
//	dynamic registry <service>
//
// <service> may hold placeholders, e.g. {http.request.uri.path.0}.
func (u *RegistryUpstreams) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume upstream source name
	if !d.NextArg() {
		return d.Errf("the service name is missing; write `dynamic registry <service>`")
	}
	u.Service = d.Val()
	if strings.ContainsRune(u.Service, '{') {
		if err := checkTemplate(u.Service); err != nil {
			return d.Errf("the service %v", err)
		}
	} else if err := registry.ValidateServiceName(u.Service); err != nil {
		return d.Errf("%v", err)
	}
	if d.NextArg() {
		return d.Errf("one service name expected, got another argument %q", d.Val())
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "subset":
			if err := u.unmarshalSubset(d); err != nil {
				return err
			}
		case "match":
			args := d.RemainingArgs()
			if len(args) < 2 {
				return d.Errf("match takes a metadata key and one or more values: `match <key> <value|placeholder>...`")
			}
			if u.Match == nil {
				u.Match = map[string][]string{}
			}
			if _, dup := u.Match[args[0]]; dup {
				return d.Errf("match %s is given twice; list every value on one line", args[0])
			}
			u.Match[args[0]] = args[1:]
		case "fallback":
			if !d.NextArg() || d.CountRemainingArgs() > 0 {
				return d.Errf("fallback takes one value: all or none")
			}
			u.Fallback = d.Val()
		default:
			return d.Errf("unknown dynamic registry option %q; known: subset, match, fallback", d.Val())
		}
	}
	if err := validateMatch(u.Match, u.Fallback); err != nil {
		return d.Errf("%v", strings.TrimPrefix(err.Error(), "dynamic registry: "))
	}
	return nil
}

// unmarshalSubset reads `subset <k>|all [<key>]`.
func (u *RegistryUpstreams) unmarshalSubset(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) < 1 || len(args) > 2 {
		return d.Errf("subset takes a size and an optional key: `subset <k>|all [<key>]`")
	}
	if args[0] == "all" {
		u.Subset = -1
	} else {
		k, err := strconv.Atoi(args[0])
		if err != nil || k < 1 {
			return d.Errf("subset %q: want a number of upstreams from 1 up, or all", args[0])
		}
		u.Subset = k
	}
	if len(args) == 2 {
		if u.Subset < 0 {
			return d.Errf("subset all takes no key: every request gets every instance")
		}
		if err := checkTemplate(args[1]); err != nil {
			return d.Errf("subset key %v", err)
		}
		u.SubsetKey = args[1]
	}
	return nil
}

// parseRegistryAPI sets up the registry_api handler. Syntax: see
// RegistryAPI.UnmarshalCaddyfile.
func parseRegistryAPI(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	api := new(RegistryAPI)
	if err := api.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return api, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	registry_api [<matcher>] {
//		services <name|placeholder>...
//	}
func (h *RegistryAPI) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("registry_api takes no arguments; unexpected %q", d.Val())
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "services":
			names := d.RemainingArgs()
			if len(names) == 0 {
				return d.Errf("services needs at least one service name or placeholder, e.g. services {http.auth.user.services}")
			}
			for _, n := range names {
				err := checkTemplate(n)
				if err == nil && !strings.ContainsRune(n, '{') {
					err = registry.ValidateServiceName(n)
				}
				if err != nil {
					return d.Errf("services: %v", err)
				}
			}
			h.Services = append(h.Services, names...)
		default:
			return d.Errf("unrecognized subdirective %q; registry_api knows: services", d.Val())
		}
	}
	return nil
}

// parseJWTAuth sets up the jwt_auth handler. Syntax: see
// JWTAuth.UnmarshalCaddyfile.
func parseJWTAuth(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	j := new(JWTAuth)
	if err := j.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return j, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	jwt_auth [<matcher>] {
//		secret <hmac-secret> [<kid>]
//		public_key <file.pem...>
//		jwks <url...>
//		jwks_refresh <duration>
//		jwks_cooldown <duration>
//		jwks_timeout <duration>
//		algorithms <alg...>
//		issuer <iss...>
//		audience <aud...>
//		leeway <duration>
//		require <claim...>
//		from header <name> | cookie <name> | query <param>
//		claim_header <claim> <header>
//		optional
//		preflight pass|check
//		realm <realm>
//		max_token_size <bytes>
//		cache_size <n>|off
//	}
func (j *JWTAuth) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("jwt_auth takes a block, not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		o := option{d: d, name: d.Val(), args: d.RemainingArgs()}
		handled, err := j.unmarshalKeyOption(o)
		if !handled {
			handled, err = j.unmarshalClaimOption(o)
		}
		if !handled {
			handled, err = j.unmarshalRequestOption(o)
		}
		if !handled {
			return d.Errf("unrecognized subdirective %q; jwt_auth knows: secret, public_key, jwks, jwks_refresh, jwks_cooldown, "+
				"jwks_timeout, algorithms, issuer, audience, leeway, require, from, claim_header, optional, preflight, realm, "+
				"max_token_size, cache_size", o.name)
		}
		if err != nil {
			return err
		}
	}
	if j.Secret == "" && len(j.Secrets) == 0 && len(j.PublicKeys) == 0 && len(j.JWKS) == 0 {
		return d.Err("no key configured; set secret, public_key or jwks")
	}
	return nil
}

// option is one subdirective line: its name and arguments.
type option struct {
	d    *caddyfile.Dispenser
	name string
	args []string
}

func (o option) one() (string, error) {
	if len(o.args) != 1 {
		return "", o.d.Errf("%s takes one argument, got %d", o.name, len(o.args))
	}
	return o.args[0], nil
}

func (o option) some() ([]string, error) {
	if len(o.args) == 0 {
		return nil, o.d.Errf("%s needs at least one argument", o.name)
	}
	return o.args, nil
}

func (o option) duration() (caddy.Duration, error) {
	s, err := o.one()
	if err != nil {
		return 0, err
	}
	dur, err := caddy.ParseDuration(s)
	if err != nil || dur < 0 {
		return 0, o.d.Errf("%s %q is not a duration such as 30s", o.name, s)
	}
	return caddy.Duration(dur), nil
}

// unmarshalKeyOption reads the subdirectives about keys and algorithms.
func (j *JWTAuth) unmarshalKeyOption(o option) (handled bool, err error) {
	switch o.name {
	case "secret":
		// secret <value> [<kid>]; repeatable, for rotation
		switch {
		case len(o.args) == 0 || len(o.args) > 2:
			err = o.d.Errf("secret takes the secret and, optionally, its key ID: secret <value> [<kid>]")
		case j.Secret == "" && len(j.Secrets) == 0 && len(o.args) == 1:
			j.Secret = o.args[0]
		default:
			hs := HMACSecret{Secret: o.args[0]}
			if len(o.args) == 2 {
				hs.KeyID = o.args[1]
			}
			j.Secrets = append(j.Secrets, hs)
		}
	case "public_key":
		var files []string
		files, err = o.some()
		for _, f := range files {
			// a literal path is read now, so a missing or wrong file is an
			// error at its line
			if err == nil && !strings.ContainsRune(f, '{') {
				if _, _, perr := jwtverify.LoadPublicKey(f); perr != nil {
					err = o.d.Err(perr.Error())
				}
			}
		}
		j.PublicKeys = append(j.PublicKeys, files...)
	case "jwks":
		var urls []string
		urls, err = o.some()
		j.JWKS = append(j.JWKS, urls...)
	case "jwks_refresh":
		j.JWKSRefresh, err = o.duration()
	case "jwks_cooldown":
		j.JWKSCooldown, err = o.duration()
	case "jwks_timeout":
		j.JWKSTimeout, err = o.duration()
	case "algorithms":
		var algs []string
		algs, err = o.some()
		for _, a := range algs {
			if err == nil {
				if aerr := jwtverify.CheckAlgorithm(a); aerr != nil {
					err = o.d.Err(aerr.Error())
				}
			}
		}
		j.Algorithms = append(j.Algorithms, algs...)
	default:
		return false, nil
	}
	return true, err
}

// unmarshalClaimOption reads the subdirectives about the token's claims.
func (j *JWTAuth) unmarshalClaimOption(o option) (handled bool, err error) {
	var list []string
	switch o.name {
	case "issuer":
		list, err = o.some()
		j.Issuers = append(j.Issuers, list...)
	case "audience":
		list, err = o.some()
		j.Audiences = append(j.Audiences, list...)
	case "leeway":
		j.Leeway, err = o.duration()
	case "require":
		list, err = o.some()
		j.Require = append(j.Require, list...)
	default:
		return false, nil
	}
	return true, err
}

// unmarshalRequestOption reads the subdirectives about requests: where the
// token is, what goes upstream, and the answers.
func (j *JWTAuth) unmarshalRequestOption(o option) (handled bool, err error) {
	d, args := o.d, o.args
	switch o.name {
	case "from":
		if len(args) != 2 {
			return true, d.Errf("from takes two arguments: header <name>, cookie <name> or query <param>")
		}
		switch args[0] {
		case "header", "cookie", "query":
		default:
			return true, d.Errf("from %q: want header, cookie or query", args[0])
		}
		j.From = append(j.From, TokenSource{Type: args[0], Name: args[1]})
	case "claim_header":
		if len(args) != 2 {
			return true, d.Errf("claim_header takes two arguments: <claim> <header>")
		}
		j.ClaimHeaders = append(j.ClaimHeaders, ClaimHeader{Claim: args[0], Header: args[1]})
	case "optional":
		if len(args) != 0 {
			return true, d.Errf("optional takes no arguments")
		}
		j.Optional = true
	case "preflight":
		if j.Preflight, err = o.one(); err == nil && j.Preflight != "pass" && j.Preflight != "check" {
			err = d.Errf("preflight %q must be pass or check", j.Preflight)
		}
	case "realm":
		j.Realm, err = o.one()
	case "max_token_size":
		var s string
		if s, err = o.one(); err == nil {
			if j.MaxTokenSize, err = strconv.Atoi(s); err != nil || j.MaxTokenSize < 1 {
				return true, d.Errf("max_token_size %q must be a positive number of bytes", s)
			}
		}
	case "cache_size":
		var s string
		if s, err = o.one(); err == nil {
			if s == "off" {
				j.CacheSize = -1
			} else if j.CacheSize, err = strconv.Atoi(s); err != nil || j.CacheSize < 1 {
				return true, d.Errf("cache_size %q must be a positive number or off", s)
			}
		}
	default:
		return false, nil
	}
	return true, err
}

// parseThrottle sets up the throttle handler. Syntax: see
// Throttle.UnmarshalCaddyfile.
func parseThrottle(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	t := new(Throttle)
	if err := t.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return t, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	throttle [<matcher>] {
//		key <template>
//		rate <n>/<duration>
//		burst <n>
//		zone <name>
//		max_keys <n>
//		ipv6_prefix <bits>
//		dry_run
//		backend redis <url>
//		on_error allow|deny
//		redis_timeout <duration>
//	}
//
// rate is repeatable; burst applies to every rate of the block.
func (t *Throttle) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("throttle takes a block, not the argument %q", d.Val())
	}
	burst := 0
	for d.NextBlock(0) {
		opt := d.Val()
		args := d.RemainingArgs()
		if opt == "dry_run" {
			if len(args) != 0 {
				return d.Errf("dry_run takes no arguments")
			}
			t.DryRun = true
			continue
		}
		if opt == "backend" {
			rc, err := parseRedisBackend(d, "throttle", args)
			if err != nil {
				return err
			}
			if t.Redis != nil {
				rc.Timeout = t.Redis.Timeout // a redis_timeout line came first
			}
			t.Redis = rc
			continue
		}
		if len(args) != 1 {
			return d.Errf("%s takes one argument, got %d", opt, len(args))
		}
		if err := t.unmarshalOption(d, opt, args[0], &burst); err != nil {
			return err
		}
	}
	if len(t.Rates) == 0 {
		return d.Err("no rate; write e.g. `rate 100/1m`")
	}
	if t.Redis != nil && t.Redis.URL == "" {
		return d.Err("redis_timeout without `backend redis <url>`")
	}
	if t.OnError != "" && t.Redis == nil {
		return d.Err("on_error applies to `backend redis <url>` only")
	}
	for i := range t.Rates {
		t.Rates[i].Burst = burst
	}
	return nil
}

// unmarshalOption reads one throttle option that takes one argument.
func (t *Throttle) unmarshalOption(d *caddyfile.Dispenser, opt, arg string, burst *int) error {
	switch opt {
	case "on_error":
		if arg != "allow" && arg != "deny" {
			return d.Errf("on_error %q must be allow or deny", arg)
		}
		t.OnError = arg
	case "redis_timeout":
		dur, err := caddy.ParseDuration(arg)
		if err != nil || dur <= 0 {
			return d.Errf("redis_timeout %q is not a positive duration such as 100ms", arg)
		}
		if t.Redis == nil {
			t.Redis = &RedisConfig{}
		}
		t.Redis.Timeout = caddy.Duration(dur)
	case "key":
		if err := checkTemplate(arg); err != nil {
			return d.Errf("key %v", err)
		}
		t.Key = arg
	case "rate":
		r, err := parseRate(arg)
		if err != nil {
			return d.Errf("%v", err)
		}
		t.Rates = append(t.Rates, r)
	case "burst":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return d.Errf("burst %q must be a positive whole number", arg)
		}
		*burst = n
	case "zone":
		t.Zone = arg
	case "max_keys":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return d.Errf("max_keys %q must be a positive whole number", arg)
		}
		t.MaxKeys = n
	case "ipv6_prefix":
		n, err := strconv.Atoi(strings.TrimPrefix(arg, "/"))
		if err != nil || n < 1 || n > 128 {
			return d.Errf("ipv6_prefix %q must be a prefix length from 1 to 128, e.g. 64", arg)
		}
		t.IPv6Prefix = n
	default:
		return d.Errf("unrecognized subdirective %q; throttle knows: key, rate, burst, zone, max_keys, ipv6_prefix, dry_run, backend, on_error, redis_timeout", opt)
	}
	return nil
}

// parseRate reads <n>/<duration>: 5/1m, 100/s, 1000/1h.
func parseRate(s string) (Rate, error) {
	events, window, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(events)
	if !ok || err != nil || n < 1 {
		return Rate{}, fmt.Errorf("rate %q must be <requests>/<duration>, e.g. 5/1m or 100/s", s)
	}
	parse := window
	if window != "" && (window[0] < '0' || window[0] > '9') && window[0] != '-' {
		parse = "1" + window // 100/s means 100 per 1s
	}
	dur, err := caddy.ParseDuration(parse)
	if err != nil || dur <= 0 {
		return Rate{}, fmt.Errorf("rate %q: %q is not a positive duration such as 1m or s", s, window)
	}
	return Rate{Events: n, Window: caddy.Duration(dur)}, nil
}

// parseCircuitBreaker sets up the circuit_breaker handler. Syntax: see
// CircuitBreaker.UnmarshalCaddyfile.
func parseCircuitBreaker(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	cb := new(CircuitBreaker)
	if err := cb.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return cb, nil
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

// parseRedisBackend reads the arguments of `backend redis <url>`.
func parseRedisBackend(d *caddyfile.Dispenser, directive string, args []string) (*RedisConfig, error) {
	if len(args) != 2 || args[0] != "redis" {
		return nil, d.Errf("%s: write `backend redis <url>`, e.g. backend redis redis://127.0.0.1:6379/0 or backend redis {env.REDIS_URL}", directive)
	}
	return &RedisConfig{URL: args[1]}, nil
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
	_ caddyfile.Unmarshaler = (*JWTAuth)(nil)
	_ caddyfile.Unmarshaler = (*Throttle)(nil)
	_ caddyfile.Unmarshaler = (*CircuitBreaker)(nil)
)

// parseDashboard sets up the gateway_dashboard handler:
//
//	gateway_dashboard [<matcher>]
//
// It takes no arguments and no block.
func parseDashboard(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	h.Next() // the directive's name
	if h.NextArg() {
		return nil, h.Errf("gateway_dashboard takes no arguments; unexpected %q", h.Val())
	}
	if h.NextBlock(0) {
		return nil, h.Errf("gateway_dashboard takes no block; unexpected %q", h.Val())
	}
	return new(GatewayDashboard), nil
}

func parseResponseCache(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	rc := new(ResponseCache)
	if err := rc.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return rc, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	response_cache [<matcher>] {
//		max_size <size>
//		max_item_size <size>
//		key <template...>
//		default_ttl <duration>
//		stale_while_revalidate <duration>
//		stale_if_error <duration>
//		credentials header|query <name...>
//		backend redis <url>
//	}
func (rc *ResponseCache) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("response_cache takes a block (max_size, key, ...), not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		args := d.RemainingArgs()
		switch opt {
		case "max_size", "max_item_size":
			if len(args) != 1 {
				return d.Errf("%s takes one size, such as 64MiB", opt)
			}
			n, err := humanize.ParseBytes(args[0])
			if err != nil || n == 0 || n > 1<<40 {
				return d.Errf("%s: %q is not a size such as 64MiB or 512KB", opt, args[0])
			}
			if opt == "max_size" {
				rc.MaxSize = int64(n)
			} else {
				rc.MaxItemSize = int64(n)
			}
		case "key":
			if len(args) == 0 {
				return d.Errf("key needs at least one template, such as {http.auth.user.id}")
			}
			rc.Key = append(rc.Key, args...)
		case "default_ttl", "stale_while_revalidate", "stale_if_error":
			if len(args) != 1 {
				return d.Errf("%s takes one duration, such as 30s", opt)
			}
			dur, err := caddy.ParseDuration(args[0])
			if err != nil || dur < 0 {
				return d.Errf("%s: %q is not a duration such as 30s or 5m", opt, args[0])
			}
			*map[string]*caddy.Duration{"default_ttl": &rc.DefaultTTL, "stale_while_revalidate": &rc.StaleWhileRevalidate,
				"stale_if_error": &rc.StaleIfError}[opt] = caddy.Duration(dur)
		case "backend":
			if len(args) != 2 || args[0] != "redis" {
				return d.Errf("backend takes `redis <url>`")
			}
			rc.Redis = args[1]
		case "credentials":
			if len(args) < 2 || (args[0] != "header" && args[0] != "query") {
				return d.Errf("credentials takes `header <name...>` or `query <name...>`, such as credentials header X-Api-Key")
			}
			if args[0] == "header" {
				rc.CredentialHeaders = append(rc.CredentialHeaders, args[1:]...)
			} else {
				rc.CredentialQuery = append(rc.CredentialQuery, args[1:]...)
			}
		default:
			return d.Errf("unknown response_cache option %q (max_size, max_item_size, key, default_ttl, stale_while_revalidate, stale_if_error, credentials, backend)", opt)
		}
	}
	if err := rc.Validate(); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

func parseTransform(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	t := new(Transform)
	if err := t.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return t, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	transform [<matcher>] {
//		request {
//			set <path> <value>
//			delete <path>
//			rename <from> <to>
//		}
//		response {
//			...
//		}
//		max_body <size>
//		on_error pass|fail
//	}
func (t *Transform) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("transform takes a block (request, response, max_body, on_error), not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		switch opt {
		case "request", "response":
			if d.NextArg() {
				return d.Errf("%s takes a block of set, delete and rename lines, not the argument %q", opt, d.Val())
			}
			ops := &t.Request
			if opt == "response" {
				ops = &t.Response
			}
			for nesting := d.Nesting(); d.NextBlock(nesting); {
				o := TransformOp{Op: d.Val()}
				args := d.RemainingArgs()
				switch o.Op {
				case "set":
					if len(args) != 2 {
						return d.Errf("set takes a path and a value (a JSON literal, or text with placeholders; quote it if it has spaces)")
					}
					o.Path, o.Value = args[0], args[1]
				case "delete":
					if len(args) != 1 {
						return d.Errf("delete takes one path")
					}
					o.Path = args[0]
				case "rename":
					if len(args) != 2 {
						return d.Errf("rename takes a path and its new path")
					}
					o.Path, o.To = args[0], args[1]
				default:
					return d.Errf("unknown %s operation %q: want set, delete or rename", opt, o.Op)
				}
				*ops = append(*ops, o)
			}
		case "max_body":
			args := d.RemainingArgs()
			if len(args) != 1 {
				return d.Errf("max_body takes one size, such as 1MiB")
			}
			n, err := humanize.ParseBytes(args[0])
			if err != nil || n == 0 || n > 1<<30 {
				return d.Errf("max_body: %q is not a size from 1 byte to 1GiB, such as 512KiB", args[0])
			}
			t.MaxBody = int64(n)
		case "on_error":
			args := d.RemainingArgs()
			if len(args) != 1 || (args[0] != "pass" && args[0] != "fail") {
				return d.Errf("on_error takes pass or fail")
			}
			t.OnError = args[0]
		default:
			return d.Errf("unknown transform option %q (request, response, max_body, on_error)", opt)
		}
	}
	if err := t.Validate(); err != nil {
		return d.Err(err.Error())
	}
	for _, side := range []struct {
		name string
		ops  []TransformOp
	}{{"request", t.Request}, {"response", t.Response}} {
		if _, err := compileOps(side.name, side.ops); err != nil {
			return d.Err(err.Error())
		}
	}
	return nil
}
