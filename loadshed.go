package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/loadshed"
	"github.com/caddygateway/caddy-gateway/internal/registry"
)

func init() {
	caddy.RegisterModule(LoadShed{})
}

// load_shed defaults the engine does not hold.
const (
	defaultLoadShedName    = "load_shed"
	maxLoadShedPriorities  = 64
	loadShedRetryAfterSecs = 1
	// loadShedMetricKeys bounds the keys labelled in the metrics per
	// load_shed name; the others are summed under the key "(other)"
	loadShedMetricKeys = 50
)

// LoadShed keeps a saturated service serving: it limits the requests in
// flight to what it wraps (typically reverse_proxy), per key, to a limit it
// learns from their latency, and answers the excess at once with 503
// Service Unavailable and `Retry-After: 1`, so that what is admitted is
// answered in time instead of everything timing out in the service's queue.
//
// The limit follows the latency: it grows while requests take no longer
// than tolerance times the least latency seen, and shrinks when they start
// queueing in the service (a gradient of latency, as Envoy's adaptive
// concurrency filter and Netflix's concurrency-limits do; see
// docs/load_shed.md). Only the service's answers below 500 set that least
// latency (a slow 5xx or proxy error may only shrink the limit), and a
// request with a body is timed from when its body was read in full. With `service`, naming a service of the registry, the
// limits are per live instance of it, so the limit grows and shrinks with
// the instances registered.
//
// When the limit is reached, a request waits at most max_wait in a queue of
// queue_size. A freed slot goes to the highest priority, then to the client
// (client_key) with the fewest requests in flight (round-robin between
// equals), so as slots free each client is brought towards an equal share
// and a heavy client cannot crowd light ones out of the slots that free.
// Slots already held are not taken back: a client whose requests were
// admitted without contention and hang upstream holds them until they end,
// so bound that with reverse_proxy's response_header_timeout and
// read_timeout. They cannot lock the others out for long, though: when no
// slot within the limit has freed for ten least latencies (at least 1 s),
// clients under their share are admitted over the limit, up to twice the
// limit in flight, until a slot frees again. A client that holds its share of the
// slots (limit / clients) and of the queue (queue_size / clients) is
// refused at once; a full queue takes a newcomer only by pushing out a
// waiter that ranks below it (lower priority, or a client with more
// requests). A request that gets no slot costs the service nothing.
//
// Refusals are 503 with Retry-After and a small JSON body, or, when the site
// has handle_errors routes, a 503 Caddy error with Retry-After set, for
// those routes to answer ({err.status_code}, {err.message}).
//
// Learned limits outlive config reloads: handlers with the same name share
// one state (the default name is the service, or else "load_shed"), and a
// reload that keeps the name keeps its limits and the requests in flight.
type LoadShed struct {
	// A name for the logs, metrics and dashboard; handlers with the same
	// name share their limits. Default: the service as written (a
	// placeholder template too, e.g. {http.request.uri.path.0}), or
	// load_shed.
	Name string `json:"name,omitempty"`

	// What separates limits: a placeholder template, e.g.
	// {http.request.uri.path.0}. Default: the service (one limit per
	// service), or one limit for everything this handler sees.
	Key string `json:"key,omitempty"`

	// Service names the registry service (or a placeholder template for
	// it) the handler protects: the limits below are then per live
	// instance, and the limit in force is that times the instances
	// registered. Default: none (limits are for the key as a whole).
	Service string `json:"service,omitempty"`

	// Who a request comes from, for the fair share: a placeholder
	// template. Default: {http.auth.user.id} (set by jwt_auth and api_key),
	// and the client IP when that is empty.
	ClientKey string `json:"client_key,omitempty"`

	// Priority is a placeholder template whose value, looked up in
	// Priorities, ranks a request when slots are scarce: higher is served
	// first and shed last. Default: every request has DefaultPriority.
	Priority string `json:"priority,omitempty"`

	// Priorities maps values of Priority to levels, e.g. {"gold": 2,
	// "silver": 1}. At most 64 values.
	Priorities map[string]int `json:"priorities,omitempty"`

	// DefaultPriority is the level of values not in Priorities. Default: 0.
	DefaultPriority int `json:"default_priority,omitempty"`

	// The limit a new key starts with. Default: 20.
	InitialLimit int `json:"initial_limit,omitempty"`

	// The least limit. Default: 4.
	MinLimit int `json:"min_limit,omitempty"`

	// The greatest limit. Default: 1000.
	MaxLimit int `json:"max_limit,omitempty"`

	// How much slower than the least latency seen requests may get before
	// the limit shrinks: 1.25 means 25% slower. At least 1. Default: 1.25.
	Tolerance float64 `json:"tolerance,omitempty"`

	// The most requests that wait for a slot, per key; negative: none
	// wait (and there is no fair share). Default: 100.
	QueueSize int `json:"queue_size,omitempty"`

	// The longest a request waits for a slot. Default: half the key's
	// least latency, from 5ms to 250ms (50ms until a latency is measured),
	// so a request waits for the next slots its fair share gives it but
	// no more than half a request's time.
	MaxWait caddy.Duration `json:"max_wait,omitempty"`

	// The most keys tracked; beyond, new keys share one limit (the key
	// "(overflow)") until a key unused for a minute is dropped. Default:
	// 1000.
	MaxKeys int `json:"max_keys,omitempty"`

	key       template
	service   template
	clientKey template
	priority  template
	poolKey   string
	engine    *loadshed.Limiter
	registry  *registry.Registry
	logger    *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (LoadShed) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.load_shed",
		New: func() caddy.Module { return new(LoadShed) },
	}
}

// loadShedState is one name's limits as processState.loadShed holds them,
// so they outlive config reloads.
type loadShedState struct{ *loadshed.Limiter }

// Destruct implements caddy.Destructor; the engine holds no goroutine.
func (loadShedState) Destruct() error { return nil }

// Provision applies the defaults and takes the name's shared state.
func (ls *LoadShed) Provision(ctx caddy.Context) error {
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	ls.logger = ctx.Logger()
	if ls.Service != "" {
		if _, err := ctx.App("service_registry"); err != nil {
			return err
		}
	}
	return ls.setup(processState.registry)
}

// setup does the work of Provision that needs no Caddy context.
func (ls *LoadShed) setup(reg *registry.Registry) error {
	ls.registry = reg
	if ls.logger == nil {
		ls.logger = zap.NewNop()
	}
	orDefault(&ls.Name, cmp.Or(ls.Service, defaultLoadShedName))
	orDefault(&ls.Key, ls.Service)
	orDefault(&ls.ClientKey, "{http.auth.user.id}")
	ls.key = newTemplate(ls.Key)
	ls.service = newTemplate(ls.Service)
	ls.clientKey = newTemplate(ls.ClientKey)
	ls.priority = newTemplate(ls.Priority)
	cfg := loadshed.Config{
		InitialLimit: ls.InitialLimit, MinLimit: ls.MinLimit, MaxLimit: ls.MaxLimit, Tolerance: ls.Tolerance,
		QueueSize: ls.QueueSize, MaxWait: time.Duration(ls.MaxWait), MaxKeys: ls.MaxKeys,
	}
	ls.poolKey = "load_shed " + ls.Name
	val, loaded, err := processState.loadShed.LoadOrNew(ls.poolKey, func() (caddy.Destructor, error) {
		return loadShedState{loadshed.New(cfg)}, nil
	})
	if err != nil {
		return err
	}
	ls.engine = val.(loadShedState).Limiter
	if loaded {
		// a reload (or another handler of the name): keep what was
		// learned, apply these settings
		ls.engine.Reconfigure(cfg)
	}
	return nil
}

// Validate checks the settings.
func (ls *LoadShed) Validate() error {
	switch {
	case ls.MinLimit < 0 || ls.MaxLimit < 0 || ls.InitialLimit < 0:
		return fmt.Errorf("load_shed: limits must be positive")
	case ls.MaxLimit > 0 && ls.MinLimit > ls.MaxLimit:
		return fmt.Errorf("load_shed: min_limit %d is above max_limit %d", ls.MinLimit, ls.MaxLimit)
	case ls.Tolerance != 0 && (ls.Tolerance < 1 || ls.Tolerance > 10):
		return fmt.Errorf("load_shed: tolerance %v must be from 1 (no slower than the least latency) to 10", ls.Tolerance)
	case ls.MaxWait < 0:
		return fmt.Errorf("load_shed: max_wait must be positive")
	case ls.QueueSize > 100000:
		return fmt.Errorf("load_shed: queue_size %d: the most is 100000", ls.QueueSize)
	case ls.MaxKeys < 0:
		return fmt.Errorf("load_shed: max_keys %d must be positive", ls.MaxKeys)
	case len(ls.Priorities) > maxLoadShedPriorities:
		return fmt.Errorf("load_shed: %d priorities; the most is %d", len(ls.Priorities), maxLoadShedPriorities)
	case len(ls.Priorities) > 0 && ls.Priority == "":
		return fmt.Errorf("load_shed: priorities are given but not the priority placeholder they map")
	}
	for name, tpl := range map[string]string{"key": ls.Key, "service": ls.Service, "client_key": ls.ClientKey, "priority": ls.Priority} {
		if err := checkTemplate(tpl); err != nil {
			return fmt.Errorf("load_shed: %s %w", name, err)
		}
	}
	if ls.Service != "" && !strings.ContainsRune(ls.Service, '{') {
		if err := registry.ValidateServiceName(ls.Service); err != nil {
			return fmt.Errorf("load_shed: service: %w", err)
		}
	}
	return nil
}

// Cleanup lets go of the name's state; it lives on while another config
// (the next one, during a reload) still uses it.
func (ls *LoadShed) Cleanup() error {
	if ls.poolKey == "" {
		return nil
	}
	_, err := processState.loadShed.Delete(ls.poolKey)
	return err
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (ls *LoadShed) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (err error) {
	rec, rw := trafficStart(w, r)
	if rec != nil {
		// the dashboard's traffic counts the answer (traffic.go)
		defer rec.finish(r, &err)
		w = rw
	}
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	req := loadshed.Request{Key: ls.key.raw, Units: 1, Client: ls.clientOf(repl), Priority: ls.DefaultPriority}
	if !ls.key.plain {
		req.Key = ls.key.render(repl)
		req.Key = boundKey(req.Key) // keys come from requests: bound what each costs to remember
	}
	if ls.Service != "" {
		req.Units = len(ls.registry.Dials(ls.service.render(repl)))
		if req.Units == 0 {
			// no live instance: nothing to protect, and reverse_proxy
			// answers at once; no key either, or requests naming
			// services that do not exist would fill max_keys
			return next.ServeHTTP(w, r)
		}
	}
	if ls.Priority != "" {
		if p, ok := ls.Priorities[ls.priority.render(repl)]; ok {
			req.Priority = p
		}
	}
	t, err := ls.engine.Acquire(r.Context(), req)
	if err != nil {
		if r.Context().Err() != nil {
			// the client gave up while waiting: nothing to answer
			return caddyhttp.Error(499, err)
		}
		reason := "queue_full"
		if errors.Is(err, loadshed.ErrMaxWait) {
			reason = "max_wait"
		}
		if ce := ls.logger.Check(zap.DebugLevel, "request shed"); ce != nil {
			ce.Write(zap.String("load_shed", ls.Name), zap.String("key", req.Key), zap.String("reason", reason))
		}
		caddyhttp.SetVar(r.Context(), loadShedVar, reason)
		recordShed(r)
		return ls.reject(w, r)
	}
	var body *measuredBody
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		// the service's time starts when it has the whole body: a slow
		// upload is the client's time (only requests with a body pay this
		// allocation)
		body = &measuredBody{ReadCloser: r.Body, left: r.ContentLength, engine: ls.engine}
		r.Body = body
		defer func() { r.Body = body.ReadCloser }()
	}
	finished := false
	defer func() {
		if !finished {
			// reverse_proxy ends a response it cannot finish (the client
			// went away while the answer was being copied to it) by
			// panicking with http.ErrAbortHandler: the slot is still
			// given back, as no sample (a fresh-eyes attack leaked one
			// slot per download it aborted, up to twice the limit, and
			// every client got 503 from then on)
			t.Abandon()
		}
	}()
	err = next.ServeHTTP(w, r)
	finished = true
	if r.Context().Err() != nil || errors.Is(err, context.Canceled) {
		// the client gave up (or went away): its time says when it
		// stopped waiting, not how long the service takes, so it is no
		// sample (see Ticket.Abandon)
		t.Abandon()
		return err
	}
	if body != nil {
		if body.readAt == 0 {
			// answered before its body was read in full: how long the
			// upload took is in its time, and how long the service took
			// is not known
			t.Abandon()
			return err
		}
		t.MeasureFrom(body.readAt)
	}
	// a request that failed without an answer from the service
	// (reverse_proxy's 502 when it cannot connect, 504 on its timeouts),
	// a 5xx answer and a 4xx refusal count as failures (see Ticket.Done):
	// a slow one may shrink the limit, none sets the baseline
	t.Done(err == nil && !failedOrRefused(repl, rec))
	return err
}

// failedOrRefused reports whether the service answered with a 5xx (it
// failed) or a 4xx (it refused: often at once, without the work a request
// costs, so its time is no measure of the service's): the status
// reverse_proxy got from it, else (another handler) the status written.
// (A fresh-eyes attack looped a fast 404 under a service's key: from four
// client keys, 4xx answers as latency samples pulled the baseline from
// 187 ms to under 100 ms even with the mean over clients, and the limit to
// its least; TestFastAnswersOfManyClientKeys in internal/loadshed.)
func failedOrRefused(repl *caddy.Replacer, rec *trafficRecord) bool {
	if v, ok := repl.Get("http.reverse_proxy.status_code"); ok {
		status, _ := v.(int)
		return status >= 400
	}
	return rec != nil && rec.status >= 400
}

// measuredBody notes, on the engine's clock, when a request's body has
// been read in full (EOF, or its Content-Length read).
type measuredBody struct {
	io.ReadCloser
	left   int64 // bytes to read; negative: unknown (chunked)
	readAt int64
	engine *loadshed.Limiter
}

func (b *measuredBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	if b.readAt == 0 && (err == io.EOF || b.left == 0) {
		b.readAt = max(b.engine.Now(), 1)
	}
	return n, err
}

// clientOf is the hash of who the request comes from.
func (ls *LoadShed) clientOf(repl *caddy.Replacer) uint64 {
	return ls.clientKey.clientHash(loadShedSeed, repl)
}

var loadShedSeed = maphash.MakeSeed()

// loadShedVar is the request variable load_shed sets on a request it
// sheds (to the reason, queue_full or max_wait), so a circuit_breaker
// around it does not count the 503 as the service's failure; also
// {http.vars.gateway.load_shed} in logs and handle_errors.
const loadShedVar = "gateway.load_shed"

// loadShedBody is the refusal's JSON body, the same for every refusal.
var loadShedBody = []byte(`{"error":"service overloaded: request shed","retry_after":` + strconv.Itoa(loadShedRetryAfterSecs) + "}\n")

func (ls *LoadShed) reject(w http.ResponseWriter, r *http.Request) error {
	w.Header()["Retry-After"] = []string{strconv.Itoa(loadShedRetryAfterSecs)}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		// a body not read: the connection cannot carry another request;
		// without one it stays open, so a shed client does not pay a new
		// connection for its retry
		closeUnread(w, r)
	}
	return refuse(w, r, http.StatusServiceUnavailable, "load_shed: service overloaded, request shed", loadShedBody)
}

// LoadShedView is one load_shed name's state: the dashboard shows it, and
// other views (charts) may read it through [loadShedSnapshot].
type LoadShedView struct {
	Name string              `json:"name"`
	Keys []loadshed.KeyState `json:"keys"`
}

// loadShedSnapshot returns every load_shed name's keys (sorted by name,
// then key). It takes each key's lock briefly, as a request does.
func loadShedSnapshot() []LoadShedView {
	out := []LoadShedView{}
	processState.loadShed.Range(func(k, v any) bool {
		st, ok := v.(loadShedState)
		if !ok {
			return true
		}
		keys := st.Snapshot()
		slices.SortFunc(keys, func(a, b loadshed.KeyState) int { return strings.Compare(a.Key, b.Key) })
		out = append(out, LoadShedView{Name: strings.TrimPrefix(k.(string), "load_shed "), Keys: keys})
		return true
	})
	slices.SortFunc(out, func(a, b LoadShedView) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// loadShedCollector reports the load_shed keys' state as Prometheus
// metrics. Keys come from requests, so per name only the first
// loadShedMetricKeys keys (by name) are labelled; the rest are summed
// under the key "(other)".
type loadShedCollector struct {
	limit, inFlight, queued, shed *prometheus.Desc
}

func newLoadShedCollector() *loadShedCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("caddy_gateway_load_shed_"+name, help, append([]string{"name", "key"}, labels...), nil)
	}
	return &loadShedCollector{
		limit:    d("limit", "The concurrency limit in force, by load_shed name and key."),
		inFlight: d("in_flight", "Requests in flight, by load_shed name and key."),
		queued:   d("queued", "Requests waiting for a slot, by load_shed name and key."),
		shed:     d("shed_total", "Requests answered 503, by load_shed name, key and reason (queue_full, max_wait).", "reason"),
	}
}

// Describe implements prometheus.Collector.
func (c *loadShedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.limit
	ch <- c.inFlight
	ch <- c.queued
	ch <- c.shed
}

// Collect implements prometheus.Collector.
func (c *loadShedCollector) Collect(ch chan<- prometheus.Metric) {
	for _, v := range loadShedSnapshot() {
		keys := v.Keys
		if len(keys) > loadShedMetricKeys {
			other := loadshed.KeyState{Key: "(other)"}
			for _, k := range keys[loadShedMetricKeys:] {
				other.Limit += k.Limit
				other.InFlight += k.InFlight
				other.Queued += k.Queued
				other.ShedQueueFull += k.ShedQueueFull
				other.ShedMaxWait += k.ShedMaxWait
			}
			keys = append(keys[:loadShedMetricKeys:loadShedMetricKeys], other)
		}
		for _, k := range keys {
			ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(k.Limit), v.Name, k.Key)
			ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(k.InFlight), v.Name, k.Key)
			ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(k.Queued), v.Name, k.Key)
			ch <- prometheus.MustNewConstMetric(c.shed, prometheus.CounterValue, float64(k.ShedQueueFull), v.Name, k.Key, "queue_full")
			ch <- prometheus.MustNewConstMetric(c.shed, prometheus.CounterValue, float64(k.ShedMaxWait), v.Name, k.Key, "max_wait")
		}
	}
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	load_shed [<matcher>] {
//		name <name>
//		key <template>
//		service <service|template>
//		client_key <template>
//		priority <template> {
//			<value> <level>
//			default <level>
//		}
//		initial_limit <n>
//		min_limit <n>
//		max_limit <n>
//		tolerance <ratio>
//		queue_size <n>
//		max_wait <duration>
//		max_keys <n>
//	}
//
// queue_size 0 means no queue.
func (ls *LoadShed) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("load_shed takes a block, not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		if opt == "priority" {
			if err := ls.unmarshalPriority(d); err != nil {
				return err
			}
			continue
		}
		args := d.RemainingArgs()
		if len(args) != 1 {
			return d.Errf("%s takes one argument, got %d", opt, len(args))
		}
		arg := args[0]
		count := func(least int) (int, error) {
			n, err := strconv.Atoi(arg)
			if err != nil || n < least {
				return 0, d.Errf("%s %q must be a whole number from %d up", opt, arg, least)
			}
			return n, nil
		}
		var err error
		switch opt {
		case "name":
			ls.Name = arg
		case "key", "client_key", "service":
			if err := checkTemplate(arg); err != nil {
				return d.Errf("%s %v", opt, err)
			}
			switch opt {
			case "key":
				ls.Key = arg
			case "client_key":
				ls.ClientKey = arg
			default:
				if !strings.ContainsRune(arg, '{') {
					if err := registry.ValidateServiceName(arg); err != nil {
						return d.Errf("service %v", err)
					}
				}
				ls.Service = arg
			}
		case "initial_limit":
			ls.InitialLimit, err = count(1)
		case "min_limit":
			ls.MinLimit, err = count(1)
		case "max_limit":
			ls.MaxLimit, err = count(1)
		case "max_keys":
			ls.MaxKeys, err = count(1)
		case "queue_size":
			ls.QueueSize, err = count(0)
			if ls.QueueSize == 0 {
				ls.QueueSize = -1
			}
		case "tolerance":
			ls.Tolerance, err = strconv.ParseFloat(arg, 64)
			if err != nil || ls.Tolerance < 1 || ls.Tolerance > 10 {
				return d.Errf("tolerance %q must be a ratio from 1 to 10, e.g. 1.25 for 25%% slower than the least latency", arg)
			}
		case "max_wait":
			dur, perr := caddy.ParseDuration(arg)
			if perr != nil || dur <= 0 {
				return d.Errf("max_wait %q is not a positive duration such as 50ms", arg)
			}
			ls.MaxWait = caddy.Duration(dur)
		default:
			return d.Errf("unrecognized subdirective %q; load_shed knows: name, key, service, client_key, priority, "+
				"initial_limit, min_limit, max_limit, tolerance, queue_size, max_wait, max_keys", opt)
		}
		if err != nil {
			return err
		}
	}
	if ls.MinLimit > 0 && ls.MaxLimit > 0 && ls.MinLimit > ls.MaxLimit {
		return d.Errf("min_limit %d is above max_limit %d", ls.MinLimit, ls.MaxLimit)
	}
	return nil
}

// unmarshalPriority reads `priority <template> { <value> <level>...
// default <level> }`.
func (ls *LoadShed) unmarshalPriority(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.Errf("priority needs a placeholder, e.g. priority {http.auth.user.plan} { gold 2 }")
	}
	if err := checkTemplate(d.Val()); err != nil {
		return d.Errf("priority %v", err)
	}
	ls.Priority = d.Val()
	if d.NextArg() {
		return d.Errf("priority takes one placeholder and a block, got another argument %q", d.Val())
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		value := d.Val()
		if !d.NextArg() || d.CountRemainingArgs() > 0 {
			return d.Errf("priority %s: write `%s <level>` with one whole number", value, value)
		}
		level, err := strconv.Atoi(d.Val())
		if err != nil || level < -1000 || level > 1000 {
			return d.Errf("priority %s: level %q must be a whole number from -1000 to 1000", value, d.Val())
		}
		if value == "default" {
			ls.DefaultPriority = level
			continue
		}
		if ls.Priorities == nil {
			ls.Priorities = map[string]int{}
		}
		if _, dup := ls.Priorities[value]; dup {
			return d.Errf("priority %s is given twice", value)
		}
		if len(ls.Priorities) == maxLoadShedPriorities {
			return d.Errf("priority: more than %d values", maxLoadShedPriorities)
		}
		ls.Priorities[value] = level
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*LoadShed)(nil)
	_ caddy.CleanerUpper          = (*LoadShed)(nil)
	_ caddy.Validator             = (*LoadShed)(nil)
	_ caddyhttp.MiddlewareHandler = (*LoadShed)(nil)
	_ caddyfile.Unmarshaler       = (*LoadShed)(nil)
	_ prometheus.Collector        = (*loadShedCollector)(nil)
	_ caddy.Destructor            = loadShedState{}
)
