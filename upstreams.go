package gateway

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(RegistryUpstreams{})
}

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

	// Match routes to the instances whose metadata matches: for every key,
	// one of its values. Values may hold placeholders, expanded per
	// request; a value that expands empty is dropped, and a key left
	// without values constrains nothing (so `match version
	// {http.request.header.X-Version}` lets a client pick a version, and
	// clients that do not pick get every version).
	Match map[string][]string `json:"match,omitempty"`

	// Fallback is what a request gets when no instance matches: "all"
	// (every instance of the service; the default) or "none" (503).
	Fallback string `json:"fallback,omitempty"`

	registry  *registry.Registry
	service   template
	subsetKey template
	subset    int
	matchers  []matcher
	log       *zap.Logger
}

// matcher is one key of Match, prepared at provision.
type matcher struct {
	key    string
	values []template
}

// The most keys and values Match may have: a request's constraints are
// built in fixed arrays, without allocating.
const (
	maxMatchKeys   = 8
	maxMatchValues = 32
)

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
	if len(u.Match) > 0 && u.registry != nil {
		u.registry.IndexMetadata()
	}
	u.matchers = u.matchers[:0]
	for _, key := range slices.Sorted(maps.Keys(u.Match)) {
		m := matcher{key: key}
		for _, v := range u.Match[key] {
			m.values = append(m.values, newTemplate(v))
		}
		u.matchers = append(u.matchers, m)
	}
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
	return validateMatch(u.Match, u.Fallback)
}

// validateMatch checks match and fallback, for Validate and the Caddyfile.
func validateMatch(match map[string][]string, fallback string) error {
	if fallback != "" && fallback != "all" && fallback != "none" {
		return fmt.Errorf("dynamic registry: fallback %q: want all (every instance when none matches) or none (503)", fallback)
	}
	if len(match) > maxMatchKeys {
		return fmt.Errorf("dynamic registry: match has %d keys; the most is %d", len(match), maxMatchKeys)
	}
	values := 0
	for key, vals := range match {
		if key == "" || len(vals) == 0 {
			return fmt.Errorf("dynamic registry: match %q: write a metadata key and at least one value", key)
		}
		for _, v := range vals {
			if err := checkTemplate(v); err != nil {
				return fmt.Errorf("dynamic registry: match %s: the value %w", key, err)
			}
		}
		values += len(vals)
	}
	if values > maxMatchValues {
		return fmt.Errorf("dynamic registry: match has %d values in all; the most is %d", values, maxMatchValues)
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
			zap.String("service", service), zap.String("uri", caddykit.RedactURI(r.URL)))
		return loopUpstreams(), nil
	}
	rt := u.registry.Route(service)
	if rt == nil {
		return nil, nil
	}
	rememberRoute(r, rt, service)
	if len(u.matchers) > 0 {
		if repl == nil {
			repl = r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
		}
		// The request's constraints, in arrays on the stack: validation
		// bounds their sizes, and they are indexed rather than appended to,
		// since an append could move them to the heap. A key whose values
		// all expand empty is left out.
		var keys [maxMatchKeys]registry.Constraint
		var values [maxMatchValues]string
		nk, nv := 0, 0
		for _, m := range u.matchers {
			from := nv
			for _, t := range m.values {
				if v := t.render(repl); v != "" && nv < len(values) {
					values[nv] = v
					nv++
				}
			}
			if nv > from && nk < len(keys) {
				keys[nk] = registry.Constraint{Key: m.key, Values: values[from:nv:nv]}
				nk++
			}
		}
		if nk > 0 {
			return u.matching(r, repl, rt, keys[:nk]), nil
		}
	}
	return u.window(r, repl, rt), nil
}

// window returns the upstreams of the whole service: all of it, or a
// window of subset instances.
func (u *RegistryUpstreams) window(r *http.Request, repl *caddy.Replacer, rt *registry.Route) []*reverseproxy.Upstream {
	n := len(rt.Dials)
	k, start := n, 0
	if u.subset > 0 && n > u.subset {
		k = u.subset
		start = u.windowStart(r, repl, n)
	}
	ups, out := freshUpstreams(k)
	for i := range k {
		j := start + i
		if j >= n {
			j -= n
		}
		ups[i].Dial = rt.Dials[j]
	}
	return out
}

// freshUpstreams allocates k upstreams (two allocations) and the pointers
// to them.
func freshUpstreams(k int) ([]reverseproxy.Upstream, []*reverseproxy.Upstream) {
	ups := make([]reverseproxy.Upstream, k)
	out := make([]*reverseproxy.Upstream, k)
	for i := range ups {
		out[i] = &ups[i]
	}
	return ups, out
}

// matching returns the upstreams of the instances that meet cs (a window
// of them, as for the whole service), or, when none does, what Fallback
// says: the whole service, or none (503).
func (u *RegistryUpstreams) matching(r *http.Request, repl *caddy.Replacer, rt *registry.Route, cs []registry.Constraint) []*reverseproxy.Upstream {
	count := rt.CountMatching(cs)
	if count == 0 {
		if u.Fallback == "none" {
			return nil
		}
		return u.window(r, repl, rt)
	}
	k, start := count, 0
	if u.subset > 0 && count > u.subset {
		k = u.subset
		start = u.windowStart(r, repl, count)
	}
	ups, out := freshUpstreams(k)
	filled := 0
	fill := func(pos int) bool {
		ups[filled].Dial = rt.Dials[pos]
		filled++
		return filled < k
	}
	rt.Matching(cs, start, fill)
	if filled < k { // the window wraps round
		rt.Matching(cs, 0, fill)
	}
	return out
}

// routeVar is the request variable that hands the service's Route from
// GetUpstreams to lb_policy registry_weighted.
const routeVar = "gateway.route"

// rememberRoute keeps rt in the request's vars, for registry_weighted,
// and notes the service for the dashboard's traffic.
func rememberRoute(r *http.Request, rt *registry.Route, service string) {
	if vars, ok := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any); ok {
		vars[routeVar] = rt
		trafficRouted(vars, service)
	}
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

// Interface guards
var (
	_ reverseproxy.UpstreamSource = (*RegistryUpstreams)(nil)
	_ caddy.Provisioner           = (*RegistryUpstreams)(nil)
	_ caddy.Validator             = (*RegistryUpstreams)(nil)
	_ caddyfile.Unmarshaler       = (*RegistryUpstreams)(nil)
)
