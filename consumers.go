package gateway

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/consumers"
)

func init() {
	caddy.RegisterModule(ConsumersApp{})
	caddy.RegisterModule(adminConsumersAPI{})
}

// ConsumersApp is the consumers app: the plans consumers belong to and
// where consumers are kept. Consumers and their API keys are made at run
// time on the admin endpoint (/consumers/, admin.api.consumers), survive
// config reloads, and are written to Caddy's storage (the `storage` global
// option) shortly after every change and restored when Caddy starts.
//
// The app does not need to be configured: the api_key handler loads it
// with its defaults (no plans, quotas in UTC).
type ConsumersApp struct {
	// The plans, by name: each sets the rates `throttle { plan }` applies
	// to its consumers and the quotas api_key enforces.
	Plans map[string]*Plan `json:"plans,omitempty"`

	// The plan of consumers created without one, and of consumers whose
	// plan is not (or no longer) defined. Default: none, so such consumers
	// have no rates and no quotas.
	DefaultPlan string `json:"default_plan,omitempty"`

	// The IANA time zone (e.g. Europe/Paris) in which quota days, weeks
	// and months start. Default: UTC.
	Timezone string `json:"timezone,omitempty"`

	// Whether consumers are written to Caddy's storage and restored at
	// start. Default: true, and off in cluster mode (Redis holds them).
	Persist *bool `json:"persist,omitempty"`

	// Cluster mode: keep the consumers, their keys and the quota counts in
	// Redis, shared by every gateway naming the same server. A change made
	// on one gateway works on the others within a second; while Redis is
	// unreachable, changes (revocations included) are refused with 503
	// rather than made on one gateway only, and requests are checked
	// against the last known consumers.
	Redis *caddykit.RedisConfig `json:"redis,omitempty"`

	// In cluster mode, how often the whole set is compared with Redis, to
	// heal changes a gateway missed. Default: 10s.
	ResyncInterval caddy.Duration `json:"resync_interval,omitempty"`

	loc     *time.Location
	plans   map[string]*Plan
	counter consumers.Counter
	redis   *caddykit.RedisHandle
	ctx     caddy.Context
	logger  *zap.Logger
}

// Plan is what a plan gives its consumers.
type Plan struct {
	// Rates applied by `throttle { plan }` to each consumer of the plan,
	// as throttle's own rates.
	Rates []Rate `json:"rates,omitempty"`

	// Quotas per calendar window, each "<n>/day", "<n>/week" (from
	// Monday) or "<n>/month", enforced by api_key: a request over one is
	// refused with 429.
	Quotas []string `json:"quotas,omitempty"`

	quotas []consumers.Quota
}

// consumerState is the consumers' part of processState: the store, the
// quota counts, and who writes the store to storage.
type consumerState struct {
	store   *consumers.Store
	counter consumers.Counter

	mu        sync.Mutex
	restored  bool // the store was read from storage by this process
	persister *consumers.Persister
	sync      *consumers.RedisSync // cluster mode
	syncKey   string               // the Redis client the sync uses
	owner     *ConsumersApp        // the running app, which writes the store

	// app is the running app's settings (plans, time zone), for the admin
	// API, which Caddy does not hand the apps.
	app atomic.Pointer[ConsumersApp]
}

func newConsumerState() *consumerState {
	s := consumers.NewStore()
	return &consumerState{store: s, counter: consumers.NewMemoryCounter(time.Now)}
}

// CaddyModule returns the Caddy module information.
func (ConsumersApp) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "consumers",
		New: func() caddy.Module { return new(ConsumersApp) },
	}
}

// Provision reads the plans and, the first time the process provisions the
// app, restores the consumers from storage before any server starts.
func (a *ConsumersApp) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	a.logger = ctx.Logger()
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	a.loc = time.UTC
	if a.Timezone != "" {
		loc, err := time.LoadLocation(a.Timezone)
		if err != nil {
			return fmt.Errorf("consumers: timezone %q is not an IANA time zone such as Europe/Paris: %v", a.Timezone, err)
		}
		a.loc = loc
	}
	a.counter = processState.consumers.counter
	if a.Redis != nil {
		h, err := a.Redis.Connect()
		if err != nil {
			return fmt.Errorf("consumers: %w", err)
		}
		a.redis = h
		a.counter = consumers.RedisCounter{Conn: h.Conn}
	}
	a.plans = make(map[string]*Plan, len(a.Plans))
	for name, p := range a.Plans {
		if p == nil {
			p = new(Plan)
		}
		p.quotas = p.quotas[:0]
		for _, s := range p.Quotas {
			q, err := consumers.ParseQuota(s)
			if err != nil {
				return fmt.Errorf("consumers: plan %q: %v", name, err)
			}
			p.quotas = append(p.quotas, q)
		}
		if len(p.Rates) > 0 {
			if err := (&Throttle{Rates: p.Rates}).checkRates(); err != nil {
				return fmt.Errorf("consumers: plan %q: %v", name, err)
			}
		}
		a.plans[name] = p
	}
	st := processState.consumers
	st.mu.Lock()
	defer st.mu.Unlock()
	if a.persistOn() && !st.restored {
		list, err := consumers.Load(ctx, ctx.Storage(), a.logger)
		if err != nil {
			return fmt.Errorf("consumers: %w", err)
		}
		st.store.Restore(list)
		if m, ok := st.counter.(*consumers.MemoryCounter); ok {
			if err := consumers.LoadCounts(ctx, ctx.Storage(), m); err != nil {
				a.logger.Error("quota counts not restored; they start from zero", zap.Error(err))
			}
		}
		st.restored = true
		if len(list) > 0 {
			a.logger.Info("consumers restored from storage", zap.Int("consumers", len(list)))
		}
	}
	return nil
}

// Validate rejects settings that cannot work.
func (a *ConsumersApp) Validate() error {
	if a.Redis != nil && a.Persist != nil && *a.Persist {
		return fmt.Errorf("consumers: persist on and backend redis: Redis holds the consumers in cluster mode; drop `persist on`")
	}
	if a.DefaultPlan != "" {
		if _, ok := a.Plans[a.DefaultPlan]; !ok {
			return fmt.Errorf("consumers: default_plan %q is not a plan defined here (plans: %v)", a.DefaultPlan, a.planNames())
		}
	}
	for name := range a.Plans {
		if err := consumers.ValidateID(name); err != nil {
			return fmt.Errorf("consumers: plan name %q: use letters, digits and . _ - only", name)
		}
	}
	return nil
}

func (a *ConsumersApp) planNames() []string {
	names := make([]string, 0, len(a.Plans))
	for n := range a.Plans {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (a *ConsumersApp) persistOn() bool { return a.Redis == nil && (a.Persist == nil || *a.Persist) }

// Start makes this app the one the admin API reads and, with persistence
// on, has changes written to storage. During a reload the new app starts
// before the old one stops, so the writer carries on.
func (a *ConsumersApp) Start() error {
	st := processState.consumers
	st.mu.Lock()
	defer st.mu.Unlock()
	st.app.Store(a)
	st.owner = a
	if a.persistOn() && st.persister == nil {
		st.persister = consumers.NewPersister(st.store, a.ctx.Storage(), a.logger)
		if m, ok := st.counter.(*consumers.MemoryCounter); ok {
			st.persister.SaveCounts(m)
		}
		st.persister.Start()
		st.store.OnChange(st.persister.Changed)
	}
	if !a.persistOn() && st.persister != nil {
		st.stopPersisterLocked()
	}
	switch {
	case a.redis == nil && st.sync != nil:
		st.stopSyncLocked()
	case a.redis != nil && (st.sync == nil || st.syncKey != a.redis.Key()):
		st.stopSyncLocked()
		st.store.SetBackend(consumers.RedisBackend{Conn: a.redis.Conn})
		st.sync = consumers.NewRedisSync(a.redis.Conn, st.store, time.Duration(a.ResyncInterval), a.logger)
		st.syncKey = a.redis.Key()
		st.sync.Start() // reads the consumers before the servers take requests
	}
	return nil
}

// Stop writes pending changes to storage if this app is still the one in
// charge (a reload has started its successor already).
func (a *ConsumersApp) Stop() error {
	st := processState.consumers
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.owner != a {
		a.redis.Release()
		a.redis = nil
		return nil
	}
	st.owner = nil
	st.app.CompareAndSwap(a, nil)
	st.stopPersisterLocked()
	st.stopSyncLocked()
	a.redis.Release()
	a.redis = nil
	return nil
}

// Cleanup lets go of the Redis client of an app that is not running (a
// config that failed to load, or the previous one after a reload).
func (a *ConsumersApp) Cleanup() error {
	a.redis.Release()
	a.redis = nil
	return nil
}

func (st *consumerState) stopSyncLocked() {
	if st.sync == nil {
		return
	}
	st.sync.Stop()
	st.sync = nil
	st.syncKey = ""
	st.store.SetBackend(nil)
}

func (st *consumerState) stopPersisterLocked() {
	if st.persister == nil {
		return
	}
	st.store.OnChange(nil)
	st.persister.Stop(true)
	st.persister = nil
}

// plan returns a consumer's plan: its own if defined, else the default
// plan, else nil.
func (a *ConsumersApp) plan(name string) (string, *Plan) {
	if p, ok := a.plans[name]; ok {
		return name, p
	}
	if a.DefaultPlan != "" {
		return a.DefaultPlan, a.plans[a.DefaultPlan]
	}
	return name, nil
}

// usage reads a consumer's use of its plan's quotas.
func (a *ConsumersApp) usage(ctx context.Context, c *consumers.Consumer) (string, []consumers.Use, error) {
	name, p := a.plan(c.Plan)
	if p == nil || len(p.quotas) == 0 {
		return name, nil, nil
	}
	uses, err := a.counter.Read(ctx, c.ID, consumers.Windows(p.quotas, time.Now(), a.loc))
	return name, uses, err
}

// UnmarshalCaddyfile sets up the app from the `consumers` global option.
// Syntax:
//
//	consumers {
//		plan <name> {
//			rate <n>/<duration> [burst <n>]
//			quota <n>/day|week|month
//		}
//		default_plan <name>
//		timezone <IANA name>
//		persist on|off
//		backend redis <url>
//		redis_timeout <duration>
//		resync_interval <duration>
//	}
//
// `rate` and `quota` may each be given several times.
func (a *ConsumersApp) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume option name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "plan":
			if !d.NextArg() {
				return d.Err("plan needs a name, e.g. plan pro { ... }")
			}
			name := d.Val()
			if d.NextArg() {
				return d.ArgErr()
			}
			if _, dup := a.Plans[name]; dup {
				return d.Errf("plan %q is defined twice", name)
			}
			p := new(Plan)
			for d.NextBlock(1) {
				switch d.Val() {
				case "rate":
					r, err := parseRateArgs(d)
					if err != nil {
						return err
					}
					p.Rates = append(p.Rates, r)
				case "quota":
					if !d.NextArg() {
						return d.ArgErr()
					}
					if _, err := consumers.ParseQuota(d.Val()); err != nil {
						return d.Errf("plan %q: %v", name, err)
					}
					p.Quotas = append(p.Quotas, d.Val())
					if d.NextArg() {
						return d.ArgErr()
					}
				default:
					return d.Errf("unrecognized plan setting %q; a plan knows rate and quota", d.Val())
				}
			}
			if a.Plans == nil {
				a.Plans = map[string]*Plan{}
			}
			a.Plans[name] = p
		case "default_plan", "timezone":
			opt := d.Val()
			if !d.NextArg() {
				return d.ArgErr()
			}
			if opt == "default_plan" {
				a.DefaultPlan = d.Val()
			} else {
				a.Timezone = d.Val()
			}
			if d.NextArg() {
				return d.ArgErr()
			}
		case "persist", "backend", "redis_timeout":
			if err := unmarshalStoreOption(d, "consumers", d.Val(), &a.Persist, &a.Redis); err != nil {
				return err
			}
		case "resync_interval":
			if err := positiveDuration(d, "resync_interval", &a.ResyncInterval); err != nil {
				return err
			}
		default:
			return d.Errf("unrecognized subdirective %q; consumers knows: plan, default_plan, timezone, persist, backend, redis_timeout, resync_interval", d.Val())
		}
	}
	return nil
}

// parseRateArgs reads `<n>/<duration> [burst <n>]` after `rate`.
func parseRateArgs(d *caddyfile.Dispenser) (Rate, error) {
	if !d.NextArg() {
		return Rate{}, d.ArgErr()
	}
	r, err := parseRate(d.Val())
	if err != nil {
		return Rate{}, d.Err(err.Error())
	}
	if d.NextArg() {
		if d.Val() != "burst" || !d.NextArg() {
			return Rate{}, d.Errf("after the rate, only `burst <n>`; got %q", d.Val())
		}
		n, err := strconv.Atoi(d.Val())
		if err != nil || n < 1 {
			return Rate{}, d.Errf("burst %q must be a positive whole number", d.Val())
		}
		r.Burst = n
	}
	return r, nil
}

// Interface guards
var (
	_ caddy.App             = (*ConsumersApp)(nil)
	_ caddy.Provisioner     = (*ConsumersApp)(nil)
	_ caddy.Validator       = (*ConsumersApp)(nil)
	_ caddy.CleanerUpper    = (*ConsumersApp)(nil)
	_ caddyfile.Unmarshaler = (*ConsumersApp)(nil)
)
