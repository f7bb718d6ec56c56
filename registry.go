package gateway

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/registry"
)

func init() {
	caddy.RegisterModule(ServiceRegistry{})
}

// ServiceRegistry is the service_registry app: the settings of the process's
// one service registry. Registrations are made at run time through the
// registration API (admin.api.registry, registry_api) and survive config
// reloads; with persistence on (the default) they are written to Caddy's
// configured storage shortly after every change and restored when Caddy
// starts, so they survive a restart too.
//
// The app does not need to be configured: the registry modules load it with
// its defaults.
type ServiceRegistry struct {
	// The lease given to an instance that registers without a ttl. Without
	// renewal within the lease, the instance is removed. Default: 0, which
	// means such instances stay until they are deregistered.
	DefaultTTL caddy.Duration `json:"default_ttl,omitempty"`

	// The most instances the registry holds in all; a registration over it
	// is refused with 409. Default: 10000.
	MaxInstances int `json:"max_instances,omitempty"`

	// The most instances one service may have; a registration over it is
	// refused with 409. Default: 1000.
	MaxInstancesPerService int `json:"max_instances_per_service,omitempty"`

	// Whether registrations are written to Caddy's storage (the `storage`
	// global option; by default the file system in Caddy's data directory)
	// and restored at start. Default: true.
	Persist *bool `json:"persist,omitempty"`

	// The path every instance is health checked at (GET http://<address><path>;
	// a 2xx or 3xx answer passes). Default: none, so only instances that
	// registered a health path are checked.
	HealthPath string `json:"health_path,omitempty"`

	// How often instances are checked. Default: 10s.
	HealthInterval caddy.Duration `json:"health_interval,omitempty"`

	// How long a check may take. Default: 2s.
	HealthTimeout caddy.Duration `json:"health_timeout,omitempty"`

	// Consecutive failed checks that take an instance out of rotation.
	// Default: 2.
	HealthFails int `json:"health_fails,omitempty"`

	// Consecutive passed checks that put it back. Default: 1.
	HealthPasses int `json:"health_passes,omitempty"`

	// Deregister an instance that stays unhealthy this long. Default: 0,
	// never.
	DeregisterUnhealthyAfter caddy.Duration `json:"deregister_unhealthy_after,omitempty"`

	// Cluster mode: keep the registrations in Redis, shared by every
	// gateway that names the same server. Persistence to Caddy's storage is
	// then off: Redis holds the registrations.
	Redis *caddykit.RedisConfig `json:"redis,omitempty"`

	// In cluster mode, how often the whole registry is read from Redis, to
	// heal changes a gateway missed. Default: 10s.
	ResyncInterval caddy.Duration `json:"resync_interval,omitempty"`

	// IP ranges (CIDR, or single addresses) that registered addresses must
	// be in. Default: none, so any address that no other rule refuses. A
	// loopback address registered through registry_api must be in a range
	// listed here that is itself loopback (e.g. 127.0.0.1/32). Whatever this
	// says, the admin endpoint, the gateway's own listeners, link-local,
	// unspecified and multicast addresses are always refused.
	Allow []string `json:"allow,omitempty"`

	// IP ranges that registered addresses must not be in; deny wins over
	// allow. Host names are resolved for the check.
	Deny []string `json:"deny,omitempty"`

	registry *registry.Registry
	ctx      caddy.Context
	policy   addrpolicy.Policy
	storage  registry.Storage
	logger   *zap.Logger
	redis    *caddykit.RedisHandle
}

// CaddyModule returns the Caddy module information.
func (ServiceRegistry) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "service_registry",
		New: func() caddy.Module { return new(ServiceRegistry) },
	}
}

// Provision restores persisted registrations the first time the process
// provisions the app, before any server starts, so a restarted gateway routes
// to the restored instances from its first request.
func (sr *ServiceRegistry) Provision(ctx caddy.Context) error {
	sr.logger = ctx.Logger()
	sr.ctx = ctx
	sr.registry = processState.registry
	for _, list := range []struct {
		name string
		in   []string
		out  *[]netip.Prefix
	}{{"allow", sr.Allow, &sr.policy.Allow}, {"deny", sr.Deny, &sr.policy.Deny}} {
		for _, s := range list.in {
			p, err := addrpolicy.ParsePrefix(s)
			if err != nil {
				return fmt.Errorf("service_registry: %s: %w", list.name, err)
			}
			*list.out = append(*list.out, p)
		}
	}
	sr.policy.Admin = adminListeners(ctx, sr.logger)
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	if sr.Redis != nil {
		h, err := sr.Redis.Connect()
		if err != nil {
			return fmt.Errorf("service_registry: %w", err)
		}
		sr.redis = h
		return nil // Redis holds the registrations: nothing to restore from storage
	}
	if sr.persistOn() {
		sr.storage = ctx.Storage()
		if err := sr.registry.Restore(ctx, sr.storage, sr.settings(), sr.logger); err != nil {
			return err
		}
	}
	return nil
}

// Validate rejects settings that cannot work.
func (sr *ServiceRegistry) Validate() error {
	if sr.DefaultTTL < 0 || (sr.DefaultTTL > 0 && time.Duration(sr.DefaultTTL) < registry.MinTTL) {
		return fmt.Errorf("service_registry: default_ttl %s must be at least %s (or 0 for no lease)",
			time.Duration(sr.DefaultTTL), registry.MinTTL)
	}
	if sr.MaxInstances < 0 {
		return fmt.Errorf("service_registry: max_instances %d must be positive", sr.MaxInstances)
	}
	if sr.MaxInstancesPerService < 0 {
		return fmt.Errorf("service_registry: max_instances_per_service %d must be positive", sr.MaxInstancesPerService)
	}
	if err := registry.ValidateHealthPath(sr.HealthPath); err != nil {
		return fmt.Errorf("service_registry: %w", err)
	}
	if sr.HealthInterval < 0 || (sr.HealthInterval > 0 && time.Duration(sr.HealthInterval) < 100*time.Millisecond) {
		return fmt.Errorf("service_registry: health_interval %s must be at least 100ms", time.Duration(sr.HealthInterval))
	}
	if sr.Redis != nil && sr.Persist != nil && *sr.Persist {
		return fmt.Errorf("service_registry: persist on and backend redis: Redis holds the registrations in cluster mode; drop `persist on`")
	}
	if sr.HealthTimeout < 0 || sr.HealthFails < 0 || sr.HealthPasses < 0 || sr.DeregisterUnhealthyAfter < 0 {
		return fmt.Errorf("service_registry: health_timeout, health_fails, health_passes and deregister_unhealthy_after must be positive")
	}
	return nil
}

func (sr *ServiceRegistry) persistOn() bool {
	return sr.Redis == nil && (sr.Persist == nil || *sr.Persist)
}

func (sr *ServiceRegistry) settings() registry.Settings {
	policy := sr.policy
	return registry.Settings{
		DefaultTTL:    time.Duration(sr.DefaultTTL),
		MaxInstances:  sr.MaxInstances,
		MaxPerService: sr.MaxInstancesPerService,
		Health: registry.HealthSettings{
			Path:            sr.HealthPath,
			Interval:        time.Duration(sr.HealthInterval),
			Timeout:         time.Duration(sr.HealthTimeout),
			Fails:           sr.HealthFails,
			Passes:          sr.HealthPasses,
			DeregisterAfter: time.Duration(sr.DeregisterUnhealthyAfter),
		},
		Policy: &policy,
	}
}

// Start applies the settings to the registry and starts writing changes to
// storage.
func (sr *ServiceRegistry) Start() error {
	// every app of the config is provisioned by now: the http app's
	// listeners are known
	sr.policy.Own = serverListeners(sr.ctx, sr.logger)
	sr.policy.LocalIPs = localIPs()
	a := registry.Attachment{Settings: sr.settings(), Logger: sr.logger,
		ResyncInterval: time.Duration(sr.ResyncInterval)}
	if sr.persistOn() {
		a.Storage = sr.storage
	}
	if sr.redis != nil {
		a.Redis = sr.redis.Conn
	}
	sr.registry.Attach(sr, a)
	return nil
}

// Stop flushes registrations to storage if this app is still the one in
// charge (a config reload starts the new app before stopping the old one),
// and lets go of its Redis client.
func (sr *ServiceRegistry) Stop() error {
	sr.registry.Detach(sr)
	sr.redis.Release()
	sr.redis = nil
	return nil
}

// Cleanup lets go of the Redis client when the app never started (a config
// that failed to load).
func (sr *ServiceRegistry) Cleanup() error {
	sr.redis.Release()
	sr.redis = nil
	return nil
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
	if sr.Redis != nil && !sr.Redis.Configured() {
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
	case "persist", "backend", "redis_timeout":
		return unmarshalStoreOption(d, "service_registry", opt, &sr.Persist, &sr.Redis)
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

// Interface guards
var (
	_ caddy.App             = (*ServiceRegistry)(nil)
	_ caddy.Provisioner     = (*ServiceRegistry)(nil)
	_ caddy.Validator       = (*ServiceRegistry)(nil)
	_ caddy.CleanerUpper    = (*ServiceRegistry)(nil)
	_ caddyfile.Unmarshaler = (*ServiceRegistry)(nil)
)
