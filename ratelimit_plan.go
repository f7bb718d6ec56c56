package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/consumers"
)

// planThrottle is `throttle { plan }`: per plan, a throttle over the
// plan's rates keyed by consumer, and the plan's quotas.
type planThrottle struct {
	app     *ConsumersApp
	store   *consumers.Store
	parent  *Throttle
	limits  map[string]*Throttle // plan name -> its rates' throttle (plans with rates)
	plans   map[string]planCounters
	logger  *zap.Logger
	timeNow func() time.Time
}

// planCounters are a plan's metrics, resolved once.
type planCounters struct {
	allowed, overQuota, failed prometheus.Counter
	name                       string // the plan's, for the dashboard's traffic
}

// consumerVar is the request variable naming the consumer a plan applies
// to, set by api_key and by jwt_auth's consumer_claim. A variable rather
// than {http.auth.user.consumer}: a token's own claim named "consumer"
// would set that placeholder, and only the operator's config sets vars.
const consumerVar = "gateway_consumer"

// planAppliedVar marks a request a `throttle { plan }` has applied the
// plan to.
const planAppliedVar = "gateway_plan_applied"

// consumerKey is the throttle key of a plan's rates.
const consumerKey = "{http.vars." + consumerVar + "}"

// provisionPlan sets up the block from the consumers app's plans.
func (t *Throttle) provisionPlan(ctx caddy.Context, zones *ThrottleZones) error {
	app, err := ctx.App("consumers")
	if err != nil {
		return err
	}
	p := &planThrottle{app: app.(*ConsumersApp), store: processState.consumers.store, parent: t,
		limits: map[string]*Throttle{}, plans: map[string]planCounters{}, logger: ctx.Logger(), timeNow: time.Now}
	t.plan = p
	if len(p.app.plans) == 0 {
		p.logger.Warn("throttle { plan }: the consumers option defines no plan, so this block limits nothing; define plans in the global option consumers")
	}
	for name, plan := range p.app.plans {
		p.plans[name] = planCounters{
			allowed:   metrics.consumerRequests.WithLabelValues(name, "allowed"),
			overQuota: metrics.consumerRequests.WithLabelValues(name, "over_quota"),
			failed:    metrics.consumerRequests.WithLabelValues(name, "backend_error"),
			name:      name,
		}
		if len(plan.Rates) == 0 {
			continue
		}
		sub := &Throttle{Key: consumerKey, Rates: plan.Rates, Zone: "plan:" + name, MaxKeys: t.MaxKeys,
			DryRun: t.DryRun, Redis: t.Redis, OnError: t.OnError, Mode: t.Mode, LeaseShare: t.LeaseShare}
		if sub.Redis != nil {
			if sub.redis, err = sub.Redis.Connect(); err != nil {
				return fmt.Errorf("throttle: %w", err)
			}
		}
		if err := sub.setup(zones, ctx.Logger()); err != nil {
			_ = sub.Cleanup()
			return fmt.Errorf("throttle: plan %q: %w", name, err)
		}
		p.limits[name] = sub
	}
	return nil
}

func (p *planThrottle) cleanup() error {
	var errs []error
	for _, sub := range p.limits {
		errs = append(errs, sub.Cleanup())
	}
	return errors.Join(errs...)
}

// serve applies the consumer's plan: its rates, then its quotas.
func (p *planThrottle) serve(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	id, _ := caddyhttp.GetVar(r.Context(), consumerVar).(string)
	if id == "" {
		return next.ServeHTTP(w, r)
	}
	// a second `throttle { plan }` on the request's way (site and route
	// both) counts nothing more: the plan applies once per request
	if caddyhttp.GetVar(r.Context(), planAppliedVar) != nil {
		return next.ServeHTTP(w, r)
	}
	caddyhttp.SetVar(r.Context(), planAppliedVar, true)
	own := ""
	if c, ok := p.store.Get(id); ok {
		own = c.Plan // the plan now, even if it changed since the key was checked
	}
	name, plan := p.app.plan(own)
	if plan == nil {
		return next.ServeHTTP(w, r)
	}
	counters := p.plans[name]
	if len(plan.quotas) == 0 {
		if sub := p.limits[name]; sub != nil {
			return sub.ServeHTTP(w, r, next)
		}
		return next.ServeHTTP(w, r)
	}
	quota := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return p.takeQuota(w, r, next, id, plan, counters)
	})
	if sub := p.limits[name]; sub != nil {
		return sub.ServeHTTP(w, r, quota)
	}
	return quota(w, r)
}

// takeQuota counts the request in the plan's quotas, or refuses it with
// 429 until the used-up quota renews. It sets the quota headers:
// X-Quota-Limit, X-Quota-Remaining and X-Quota-Reset (seconds until the
// window renews) of the quota with the least left.
func (p *planThrottle) takeQuota(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, id string, plan *Plan, counters planCounters) error {
	now := p.timeNow()
	d, err := p.app.counter.Take(r.Context(), id, consumers.Windows(plan.quotas, now, p.app.loc))
	if err != nil {
		counters.failed.Inc()
		p.logger.Warn("counting a consumer's quota failed", zap.Error(err))
		if p.parent.OnError == "deny" {
			b := []byte(`{"error":"quota counts unavailable"}` + "\n")
			return refuse(w, r, http.StatusServiceUnavailable, "throttle: the quota counts are unreachable", b)
		}
		return next.ServeHTTP(w, r)
	}
	tight := d.Exceeded
	if tight < 0 {
		tight = 0
		for i, u := range d.Uses {
			if u.Remaining() < d.Uses[tight].Remaining() {
				tight = i
			}
		}
	}
	u := d.Uses[tight]
	reset := max(0, int64(u.End.Sub(now)+time.Second-1)/int64(time.Second))
	h := w.Header()
	if !p.parent.DryRun {
		h["X-Quota-Limit"] = []string{strconv.FormatInt(u.Limit, 10)}
		h["X-Quota-Remaining"] = []string{strconv.FormatInt(u.Remaining(), 10)}
		h["X-Quota-Reset"] = []string{strconv.FormatInt(reset, 10)}
	}
	processState.traffic.Plan(counters.name, now).Quota(now, !d.Allowed)
	if d.Allowed {
		counters.allowed.Inc()
		return next.ServeHTTP(w, r)
	}
	counters.overQuota.Inc()
	if p.parent.DryRun {
		p.logger.Info("throttle would refuse a request over quota (dry_run)", zap.String("quota", u.Quota.String()))
		return next.ServeHTTP(w, r)
	}
	h["Retry-After"] = []string{strconv.FormatInt(reset, 10)}
	renews := u.End.UTC().Format(time.RFC3339)
	b := fmt.Appendf(nil, `{"error":"quota exceeded","quota":%q,"renews_at":%q,"retry_after":%d}`+"\n", u.Quota.String(), renews, reset)
	return refuse(w, r, http.StatusTooManyRequests, "throttle: quota "+u.Quota.String()+" used up; it renews at "+renews, b)
}
