package gateway

import (
	"context"
	"embed"
	"encoding/json"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/caddygateway/caddy-gateway/internal/oidc"
	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddygateway/caddy-gateway/modules/responsecache"
)

func init() {
	caddy.RegisterModule(GatewayDashboard{})
}

// dashboardAssets is the page: HTML, script and style, nothing fetched
// from elsewhere.
//
//go:embed assets/dashboard/index.html assets/dashboard/app.js assets/dashboard/style.css assets/dashboard/traffic.js
var dashboardAssets embed.FS

// GatewayDashboard serves a read-only page of the gateway's state and
// traffic, and the JSON it reads (state.json and traffic.json, beside the
// page). In a Caddyfile:
//
//	http://localhost:2020 {
//		bind 127.0.0.1 [::1]
//		gateway_dashboard
//	}
//
// It serves the page at any path that does not end in one of its files, so
// it can sit under a prefix (`handle_path /dashboard/* { gateway_dashboard
// }`). Put it on a loopback-only site or behind your own authentication: it
// shows every registered address. Nothing it serves changes anything, and
// the JSON holds no secret (no token, key or Redis password).
type GatewayDashboard struct{}

// CaddyModule returns the Caddy module information.
func (GatewayDashboard) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.gateway_dashboard",
		New: func() caddy.Module { return new(GatewayDashboard) },
	}
}

// ServeHTTP answers GET and HEAD with the page, its files, or state.json.
func (GatewayDashboard) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return caddyhttp.Error(http.StatusMethodNotAllowed, nil)
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	file, ctype := "index.html", "text/html; charset=utf-8"
	switch path.Base(r.URL.Path) {
	case "state.json":
		body, err := json.Marshal(dashboardState(time.Now()))
		if err != nil {
			return caddyhttp.Error(http.StatusInternalServerError, err)
		}
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return nil
	case "traffic.json":
		body, err := trafficJSON(r.URL.Query())
		if err != nil {
			return caddyhttp.Error(http.StatusBadRequest, err)
		}
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return nil
	case "app.js", "traffic.js":
		file, ctype = path.Base(r.URL.Path), "text/javascript; charset=utf-8"
	case "style.css":
		file, ctype = "style.css", "text/css; charset=utf-8"
	}
	body, err := dashboardAssets.ReadFile("assets/dashboard/" + file)
	if err != nil {
		return caddyhttp.Error(http.StatusInternalServerError, err)
	}
	h.Set("Content-Type", ctype)
	_, _ = w.Write(body)
	return nil
}

// The JSON of state.json (see docs/dashboard.md).
type (
	dashState struct {
		GeneratedAt time.Time     `json:"generated_at"`
		Registry    dashRegistry  `json:"registry"`
		Services    []dashService `json:"services"`
		Circuits    []dashCircuit `json:"circuits"`
		Throttle    dashThrottle  `json:"throttle"`
		JWT         dashJWT       `json:"jwt_auth"`
		Cache       dashCache     `json:"response_cache"`
		Consumers   dashConsumers `json:"consumers"`
		LoadShed    dashLoadShed  `json:"load_shed"`
	}
	// dashLoadShed is load_shed's state by name (loadshed.go).
	dashLoadShed  = []LoadShedView
	dashConsumers struct {
		Total int `json:"total"`
		Keys  int `json:"keys"`
		// Listed are the first consumers by id (at most dashConsumersShown),
		// with their keys' ids (never a key) and quota use.
		Listed []dashConsumer `json:"listed"`
		// Requests counts throttle { plan }'s decisions by plan.
		Requests map[string]map[string]int64 `json:"requests_by_plan"`
	}
	dashConsumer struct {
		ID       string    `json:"id"`
		Plan     string    `json:"plan"`
		Disabled bool      `json:"disabled,omitempty"`
		Keys     []keyView `json:"keys"`
		Quotas   []useView `json:"quotas"`
		QuotaErr string    `json:"quota_error,omitempty"`
	}
	dashCache struct {
		Requests    map[string]int64 `json:"requests"` // hit, miss, stale, coalesced, revalidated, bypass
		StoredBytes uint64           `json:"stored_bytes"`
		Keys        int              `json:"keys"`
	}
	dashRegistry struct {
		Backend        string `json:"backend"` // memory or redis
		RedisReachable *bool  `json:"redis_reachable,omitempty"`
		Instances      int    `json:"instances"`
	}
	dashService struct {
		Name      string         `json:"name"`
		Instances []dashInstance `json:"instances"`
	}
	dashInstance struct {
		ID             string            `json:"id"`
		Address        string            `json:"address"`
		Metadata       map[string]string `json:"metadata,omitempty"`
		Weight         int               `json:"weight"`
		Healthy        bool              `json:"healthy"`
		UnhealthySince *time.Time        `json:"unhealthy_since,omitempty"`
		CheckedAt      *time.Time        `json:"checked_at,omitempty"`
		LeaseLeft      *float64          `json:"lease_left_seconds,omitempty"`
		RegisteredVia  string            `json:"registered_via,omitempty"`
	}
	dashCircuit struct {
		Name string            `json:"name"`
		Keys map[string]string `json:"keys"` // key -> closed, open, half_open
	}
	dashThrottle struct {
		Zones     []dashZone                  `json:"zones"`
		Decisions map[string]map[string]int64 `json:"decisions"` // zone -> decision -> count
	}
	dashZone struct {
		Name string `json:"name"`
		Keys int    `json:"tracked_keys"`
	}
	dashJWT struct {
		Outcomes map[string]int64 `json:"outcomes"` // accepted, anonymous, preflight, refused
		Refused  map[string]int64 `json:"refused"`  // by reason
		// Providers are the OpenID Providers jwt_auth discovers keys from:
		// when keys were last fetched, and the last fetch's error if it failed
		Providers []oidc.Status `json:"identity_providers"`
	}
)

// dashboardState reads the gateway's state now. It reads what the
// registry, the breakers and the zones expose and the plugin's counters;
// it takes no lock any request path waits on for long.
func dashboardState(now time.Time) dashState {
	st := dashState{GeneratedAt: now.UTC(), Services: []dashService{}, Circuits: []dashCircuit{}}
	reg := processState.registry
	cluster, reachable := reg.Mode()
	st.Registry.Backend = "memory"
	if cluster {
		st.Registry.Backend = "redis"
		st.Registry.RedisReachable = &reachable
	}
	for after, more := "", true; more; {
		var page []registry.Service
		page, more = reg.ServicesPage(after, listChunk, listBudget)
		for _, s := range page {
			st.Services = append(st.Services, dashService{Name: s.Name, Instances: dashInstances(s.Instances, now)})
			st.Registry.Instances += len(s.Instances)
			after = s.Name
		}
	}
	processState.circuits.Range(func(k, _ any) bool {
		cb := k.(*CircuitBreaker)
		c := dashCircuit{Name: cb.Name, Keys: map[string]string{}}
		for key, state := range cb.engine.States() {
			c.Keys[key] = state.String()
		}
		st.Circuits = append(st.Circuits, c)
		return true
	})
	slices.SortFunc(st.Circuits, func(a, b dashCircuit) int { return strings.Compare(a.Name, b.Name) })
	st.Throttle = dashboardThrottle()
	st.JWT = dashJWT{Outcomes: map[string]int64{}, Refused: map[string]int64{}, Providers: []oidc.Status{}}
	processState.identityProviders.Range(func(_, v any) bool {
		if d, ok := v.(*discoveredKeys); ok {
			st.JWT.Providers = append(st.JWT.Providers, d.Status())
		}
		return true
	})
	slices.SortFunc(st.JWT.Providers, func(a, b oidc.Status) int { return strings.Compare(a.Issuer, b.Issuer) })
	for _, s := range counterValues(metrics.jwtRequests) {
		st.JWT.Outcomes[s.labels["outcome"]] += s.value
		if s.labels["outcome"] == "refused" {
			st.JWT.Refused[s.labels["reason"]] += s.value
		}
	}
	cs := responsecache.Stats()
	st.Cache = dashCache{Requests: cs.Requests, StoredBytes: cs.StoredBytes, Keys: cs.Keys}
	st.Consumers = dashboardConsumers()
	st.LoadShed = loadShedSnapshot()
	return st
}

func dashInstances(list []registry.Instance, now time.Time) []dashInstance {
	out := make([]dashInstance, 0, len(list))
	for _, inst := range list {
		d := dashInstance{ID: inst.ID, Address: inst.Address, Metadata: inst.Metadata, Weight: inst.Weight,
			Healthy: inst.Healthy(), RegisteredVia: inst.RegisteredVia()}
		if since := inst.UnhealthySince(); !since.IsZero() {
			d.UnhealthySince = &since
		}
		if at := inst.CheckedAt(); !at.IsZero() {
			d.CheckedAt = &at
		}
		if !inst.ExpiresAt.IsZero() {
			left := max(inst.ExpiresAt.Sub(now).Seconds(), 0)
			d.LeaseLeft = &left
		}
		out = append(out, d)
	}
	return out
}

// dashConsumersShown bounds the consumers the dashboard lists: it reads
// each one's quota use every second.
const dashConsumersShown = 50

// dashboardConsumers reads the first consumers with their keys and quota
// use, and the decisions by plan.
func dashboardConsumers() dashConsumers {
	cs := processState.consumers
	d := dashConsumers{Listed: []dashConsumer{}, Requests: map[string]map[string]int64{}}
	d.Total, d.Keys = cs.store.Len()
	app := cs.app.Load()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, c := range cs.store.List("", dashConsumersShown) {
		v := viewConsumer(c)
		dc := dashConsumer{ID: c.ID, Plan: c.Plan, Disabled: c.Disabled, Keys: v.Keys, Quotas: []useView{}}
		if app != nil {
			plan, uses, err := app.usage(ctx, c)
			dc.Plan = plan
			if err != nil {
				dc.QuotaErr = err.Error()
			}
			for _, u := range uses {
				dc.Quotas = append(dc.Quotas, viewUse(u))
			}
		}
		d.Listed = append(d.Listed, dc)
	}
	for _, s := range counterValues(metrics.consumerRequests) {
		plan := s.labels["plan"]
		if d.Requests[plan] == nil {
			d.Requests[plan] = map[string]int64{}
		}
		d.Requests[plan][s.labels["decision"]] += s.value
	}
	return d
}

// dashboardThrottle reads the zones' tracked keys and the decision counts.
func dashboardThrottle() dashThrottle {
	t := dashThrottle{Zones: []dashZone{}, Decisions: map[string]map[string]int64{}}
	processState.zones.Range(func(k, v any) bool {
		if z, ok := v.(zoneState); ok {
			t.Zones = append(t.Zones, dashZone{Name: zoneDisplayName(k.(string)), Keys: z.Keys()})
		}
		return true
	})
	slices.SortFunc(t.Zones, func(a, b dashZone) int { return strings.Compare(a.Name, b.Name) })
	for _, s := range counterValues(metrics.throttleDecisions) {
		zone := s.labels["zone"]
		if t.Decisions[zone] == nil {
			t.Decisions[zone] = map[string]int64{}
		}
		t.Decisions[zone][s.labels["decision"]] += s.value
	}
	return t
}

// zoneDisplayName is a zone's pool key without its settings ("zone api
// <identity>" -> "api", "unnamed #2 <identity>" -> "unnamed #2").
func zoneDisplayName(poolKey string) string {
	if name, ok := strings.CutPrefix(poolKey, "zone "); ok {
		name, _, _ = strings.Cut(name, " ")
		return name
	}
	parts := strings.SplitN(poolKey, " ", 3)
	if len(parts) >= 2 {
		return parts[0] + " " + parts[1]
	}
	return poolKey
}

// series is one series of a counter vector: its labels and value.
type series struct {
	labels map[string]string
	value  int64
}

// counterValues reads a counter vector's series.
func counterValues(vec *prometheus.CounterVec) []series {
	ch := make(chan prometheus.Metric, 64)
	go func() { vec.Collect(ch); close(ch) }()
	var out []series
	for m := range ch {
		var pb dto.Metric
		if m.Write(&pb) != nil || pb.Counter == nil {
			continue
		}
		s := series{labels: map[string]string{}, value: int64(pb.Counter.GetValue())}
		for _, l := range pb.Label {
			s.labels[l.GetName()] = l.GetValue()
		}
		out = append(out, s)
	}
	return out
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	gateway_dashboard [<matcher>]
//
// It takes no arguments and no block.
func (*GatewayDashboard) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("gateway_dashboard takes no arguments; unexpected %q", d.Val())
	}
	if d.NextBlock(0) {
		return d.Errf("gateway_dashboard takes no block; unexpected %q", d.Val())
	}
	return nil
}

// Interface guards
var _ caddyhttp.MiddlewareHandler = (*GatewayDashboard)(nil)

// Interface guards
var _ caddyfile.Unmarshaler = (*GatewayDashboard)(nil)
