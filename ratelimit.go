package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/gcra"
)

func init() {
	caddy.RegisterModule(Throttle{})
	caddy.RegisterModule(ThrottleZones{})
}

// throttle defaults and limits.
const (
	// DefaultMaxKeys bounds the keys one zone tracks (about 60 bytes each
	// with one rate, so about 6 MB).
	DefaultMaxKeys = 100000
	defaultKey     = "{http.vars.client_ip}"
	// IPv6 clients are counted by their /64 by default
	defaultIPv6Prefix = 64
	maxRates          = 8
	// the largest burst accepted
	maxBurst = 1_000_000_000
	// keys longer than this are stored as hashedKeyMark and the hex of
	// their SHA-256 (boundKey), bounding memory
	maxKeyLen = 64
)

// Throttle limits the rate of requests per key (by default per client IP).
//
// It uses GCRA, the token bucket written as one timestamp per key: `rate
// 5/1m` lets 5 requests through at once (the burst), then one every 12s. All
// rates of a block are checked together; a request over any of them is
// refused and consumes nothing from any.
//
// A refused request is answered with 429, `Cache-Control: no-store` and a
// Retry-After header (whole seconds, rounded up). Without handle_errors routes
// for the site, the handler writes that answer itself, with a small JSON body;
// with them, it returns a 429 Caddy error (message `throttle: too many
// requests`) with those headers already set, and the error routes answer.
// Passed and refused responses carry the RateLimit-Policy and RateLimit
// header fields of draft-ietf-httpapi-ratelimit-headers (the structured
// fields of drafts 08 to 11). With dry_run, nothing is refused: what would
// have been is logged, and no rate-limit headers are sent.
//
// Memory is bounded by max_keys per zone: a key whose bucket is full again
// carries no information and is dropped first; under a flood of new keys,
// sampled keys are evicted (an evicted key starts again with a full bucket).
type Throttle struct {
	// What to count requests by: a placeholder template. Default:
	// {http.vars.client_ip} (the client IP, which honours the server's
	// trusted_proxies). When the whole key renders empty (for example
	// {http.auth.user.id} for an anonymous request), the client IP is used.
	Key string `json:"key,omitempty"`

	// The rates, all checked together. At least one; at most 8.
	Rates []Rate `json:"rates,omitempty"`

	// The name of the state: blocks with the same zone share one set of
	// buckets (and must have the same key and rates). Without a name, each
	// block has its own. A zone whose definition is unchanged keeps its
	// buckets across config reloads.
	Zone string `json:"zone,omitempty"`

	// The most keys the zone tracks. Default: 100000.
	MaxKeys int `json:"max_keys,omitempty"`

	// The prefix length by which IPv6 clients are counted when the key is
	// the client IP (the default key): one client commonly holds a whole
	// /64, so counting single addresses would let it take 2^64 buckets.
	// 128 counts each address. Default: 64.
	IPv6Prefix int `json:"ipv6_prefix,omitempty"`

	// Only log what would be refused; refuse nothing and send no headers.
	DryRun bool `json:"dry_run,omitempty"`

	// Cluster mode: make the decisions in Redis, so that every gateway
	// naming the same server shares the buckets. Redis drops a bucket when
	// it is full again; max_keys bounds the keys a gateway holds leases for
	// (leased mode).
	Redis *caddykit.RedisConfig `json:"redis,omitempty"`

	// How cluster mode decides: "leased" takes a share of a key's
	// allowance from Redis in one call and spends it locally (one Redis
	// call per share; together the gateways admit at most min(gateways ×
	// share, rate × 1s) + 1 more than the limit over any interval, see
	// docs/cluster.md); "exact" asks Redis for every request (one round
	// trip per decision, never over the limit). Default: leased.
	Mode string `json:"mode,omitempty"`

	// Leased mode: the requests taken from Redis per call. Default: the
	// smallest burst / 20, at least 1 (at most the smallest burst).
	LeaseShare int `json:"lease_share,omitempty"`

	// What to do when Redis fails (unreachable, or slower than its
	// timeout): "allow" lets the request through, unlimited; "deny" answers
	// 503. It applies only to keys the gateway knows nothing against: a
	// key Redis was refusing stays refused (429) until Redis answers for it
	// again. Default: allow.
	OnError string `json:"on_error,omitempty"`

	// Apply the caller's plan (the consumers app) instead of rates of its
	// own: each consumer ({http.auth.user.consumer}, set by api_key, or by
	// jwt_auth's consumer_claim) is limited by its plan's rates, in a zone
	// per plan ("plan:<name>", shared by every `throttle { plan }`), and by
	// its plan's quotas, refused with 429 and Retry-After until the quota
	// renews. A request without a consumer, or whose plan has no rates and
	// no quotas, passes. Cannot be combined with rate or key.
	Plan bool `json:"plan,omitempty"`

	plan       *planThrottle
	zone       *gcra.Zone
	rates      []gcra.Rate
	redis      *caddykit.RedisHandle
	remote     *redisLimiter
	poolKey    string
	policyName string
	key        template
	ipv6Bits   int
	// emptyKeyOnce logs the first request whose key renders empty
	emptyKeyOnce *sync.Once
	policyValue  string
	logger       *zap.Logger
	now          func() int64
	allowed      prometheus.Counter
	refused      prometheus.Counter
	dryRefused   prometheus.Counter
	failures     prometheus.Counter
}

// Rate is a number of events per window, with a burst.
type Rate struct {
	// How many requests per window.
	Events int `json:"events"`
	// The window, e.g. 1m.
	Window caddy.Duration `json:"window"`
	// How many requests may come at once (the bucket size). Default: Events.
	Burst int `json:"burst,omitempty"`
}

// String writes the rate as in the Caddyfile, e.g. 5/1m.
func (r Rate) String() string {
	return strconv.Itoa(r.Events) + "/" + time.Duration(r.Window).String()
}

// CaddyModule returns the Caddy module information.
func (Throttle) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.throttle",
		New: func() caddy.Module { return new(Throttle) },
	}
}

// Provision finds or creates the zone's state and prepares the headers.
func (t *Throttle) Provision(ctx caddy.Context) error {
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return err
	}
	app, err := ctx.App("throttle")
	if err != nil {
		return err
	}
	if t.Plan {
		return t.provisionPlan(ctx, app.(*ThrottleZones))
	}
	if t.Redis != nil {
		if t.redis, err = t.Redis.Connect(); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
	}
	return t.setup(app.(*ThrottleZones), ctx.Logger())
}

func (t *Throttle) setup(zones *ThrottleZones, logger *zap.Logger) error {
	t.logger = logger
	if t.now == nil {
		t.now = monotonicNow
	}
	if t.Key == "" {
		t.Key = defaultKey
	}
	if t.MaxKeys == 0 {
		t.MaxKeys = DefaultMaxKeys
	}
	t.key = newTemplate(t.Key)
	t.emptyKeyOnce = new(sync.Once)
	t.ipv6Bits = t.IPv6Prefix
	if t.ipv6Bits == 0 {
		t.ipv6Bits = defaultIPv6Prefix
	}
	if err := t.checkRates(); err != nil {
		return err
	}
	rates := make([]gcra.Rate, len(t.Rates))
	for i, r := range t.Rates {
		rates[i] = gcra.NewRate(r.Events, time.Duration(r.Window), r.Burst)
	}

	t.rates = rates
	zoneID, err := t.claimState(zones)
	if err != nil {
		return err
	}
	switch t.OnError {
	case "", "allow", "deny":
	default:
		return fmt.Errorf("throttle: on_error %q must be allow or deny", t.OnError)
	}
	switch t.Mode {
	case "", "leased", "exact":
	default:
		return fmt.Errorf("throttle: mode %q must be leased or exact", t.Mode)
	}
	if t.LeaseShare < 0 {
		return fmt.Errorf("throttle: lease_share %d must be positive", t.LeaseShare)
	}
	if t.redis != nil {
		t.remote = newRedisLimiter(t.redis, zoneID, rates, t.OnError != "deny", t.MaxKeys, t.now, t.logger)
		t.poolKey = ""
		if t.Mode != "exact" {
			if err := t.leaseFrom(zoneID); err != nil {
				return err
			}
		}
	} else {
		val, _, err := processState.zones.LoadOrNew(t.poolKey, func() (caddy.Destructor, error) {
			return zoneState{gcra.NewZone(rates, t.MaxKeys, t.now)}, nil
		})
		if err != nil {
			return err
		}
		t.zone = val.(zoneState).Zone
	}

	policies := make([]string, len(rates))
	for i, r := range rates {
		policies[i] = fmt.Sprintf("%q;q=%d;w=%d", t.policyID(i), r.Burst, r.Window)
	}
	t.policyValue = strings.Join(policies, ", ")
	t.allowed = metrics.throttleDecisions.WithLabelValues(t.policyName, "allowed")
	t.refused = metrics.throttleDecisions.WithLabelValues(t.policyName, "refused")
	t.dryRefused = metrics.throttleDecisions.WithLabelValues(t.policyName, "dry_run_refused")
	t.failures = metrics.throttleDecisions.WithLabelValues(t.policyName, "backend_error")
	return nil
}

// claimState names the limiter state this block counts in: its identity
// (what it counts, and how), the key of its buckets in the process's pool
// (a named zone's, or the n-th unnamed block's with these settings, so a
// reload keeps them), and the id of its keys in Redis.
func (t *Throttle) claimState(zones *ThrottleZones) (zoneID string, err error) {
	backend := "memory"
	if t.redis != nil {
		sum := sha256.Sum256([]byte(t.redis.Key()))
		backend = "redis:" + hex.EncodeToString(sum[:8])
	}
	identity := fmt.Sprintf("key=%s max=%d v6=%d backend=%s", t.Key, t.MaxKeys, t.ipv6Bits, backend)
	for _, r := range t.rates {
		identity += fmt.Sprintf(" %d/%d", r.Interval, r.Tolerance)
	}
	if t.Zone != "" {
		if err := zones.define(t.Zone, identity); err != nil {
			return "", err
		}
		t.poolKey = "zone " + t.Zone + " " + identity
		t.policyName = t.Zone
		return redisZoneID(t.Zone, identity), nil
	}
	n := zones.occurrence(identity)
	t.poolKey = fmt.Sprintf("unnamed #%d %s", n, identity)
	t.policyName = "throttle"
	return redisZoneID(fmt.Sprintf("unnamed-%d", n), identity), nil
}

func (t *Throttle) policyID(i int) string {
	if len(t.Rates) == 1 {
		return t.policyName
	}
	return t.policyName + "-" + strconv.Itoa(i+1)
}

func (t *Throttle) checkRates() error {
	if len(t.Rates) == 0 {
		return fmt.Errorf("throttle: no rate; write e.g. `rate 100/1m`")
	}
	if len(t.Rates) > maxRates {
		return fmt.Errorf("throttle: %d rates; at most %d", len(t.Rates), maxRates)
	}
	for _, r := range t.Rates {
		if r.Events < 1 || r.Window <= 0 {
			return fmt.Errorf("throttle: rate %s: need at least 1 event per positive window", r)
		}
		if int64(r.Window)/int64(r.Events) < 1 {
			return fmt.Errorf("throttle: rate %s is faster than one request per nanosecond", r)
		}
		if r.Burst < 0 || r.Burst > maxBurst {
			return fmt.Errorf("throttle: burst %d must be from 1 to %d", r.Burst, maxBurst)
		}
		interval := int64(r.Window) / int64(r.Events)
		if burst := max(int64(r.Burst), int64(r.Events)); burst > math.MaxInt64/interval {
			return fmt.Errorf("throttle: rate %s with burst %d spans more time than can be counted; use a shorter window or a smaller burst", r, burst)
		}
		if t.Redis != nil && interval < int64(time.Microsecond) {
			return fmt.Errorf("throttle: rate %s is faster than one request per microsecond, the finest Redis mode counts in", r)
		}
	}
	return nil
}

// Validate checks the settings.
func (t *Throttle) Validate() error {
	if t.Plan && (len(t.Rates) > 0 || (t.Key != "" && t.Key != defaultKey)) {
		return fmt.Errorf("throttle: plan applies the plan's rates to each consumer; drop rate and key from this block")
	}
	if t.MaxKeys < 0 {
		return fmt.Errorf("throttle: max_keys %d must be positive", t.MaxKeys)
	}
	if (t.Mode != "" || t.LeaseShare != 0) && t.Redis == nil {
		return fmt.Errorf("throttle: mode and lease_share apply to backend redis only")
	}
	if err := checkTemplate(t.Key); err != nil {
		return fmt.Errorf("throttle: key %w", err)
	}
	if t.IPv6Prefix < 0 || t.IPv6Prefix > 128 {
		return fmt.Errorf("throttle: ipv6_prefix %d must be from 1 to 128", t.IPv6Prefix)
	}
	if strings.ContainsAny(t.Zone, "\"\\") {
		return fmt.Errorf("throttle: zone %q must not contain quotes or backslashes", t.Zone)
	}
	return nil
}

// Cleanup releases the zone's state; it lives on while another config (the
// next one, during a reload) still uses it.
func (t *Throttle) Cleanup() error {
	if t.plan != nil {
		return t.plan.cleanup()
	}
	// the zone first: a lease table that goes returns its tokens through
	// the Redis client, released after it
	var err error
	if t.poolKey != "" {
		_, err = processState.zones.Delete(t.poolKey)
	}
	t.redis.Release()
	t.redis = nil
	return err
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (t *Throttle) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (err error) {
	if rec, rw := trafficStart(w, r); rec != nil {
		defer rec.finish(r, &err)
		w = rw
	}
	if t.plan != nil {
		return t.plan.serve(w, r, next)
	}
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	key := t.renderKey(repl)
	var tats [maxRates]int64
	var allowed bool
	var now, wait int64
	if t.remote != nil {
		var err error
		if allowed, wait, now, err = t.remote.Take(r.Context(), key, tats[:len(t.Rates)]); err != nil {
			t.failures.Inc()
			if proceed, refusal := t.remote.failed(w, r, t.policyName, err); !proceed {
				return refusal
			}
			return next.ServeHTTP(w, r)
		}
	} else {
		now = t.now()
		allowed, wait = t.zone.Take(key, now, tats[:len(t.Rates)])
	}

	switch {
	case allowed:
		t.allowed.Inc()
	case t.DryRun:
		t.dryRefused.Inc()
	default:
		t.refused.Inc()
	}
	at := time.Now()
	processState.traffic.Zone(t.policyName, at).Decision(at, !allowed && !t.DryRun)
	if t.DryRun {
		if !allowed {
			t.logger.Info("throttle would refuse a request (dry_run)", zap.String("zone", t.policyName),
				t.keyField(key), zap.Duration("retry_after", time.Duration(wait)))
		}
		return next.ServeHTTP(w, r)
	}

	// several throttle blocks on one request each add their own items
	h := w.Header()
	// fresh slices: `header` edits values in place
	if prev := h["Ratelimit-Policy"]; prev == nil {
		h["Ratelimit-Policy"] = []string{t.policyValue}
	} else {
		h["Ratelimit-Policy"] = append(prev[:len(prev):len(prev)], t.policyValue)
	}
	if prev := h["Ratelimit"]; prev == nil {
		h["Ratelimit"] = []string{t.rateLimitValue(now, tats[:len(t.Rates)])}
	} else {
		h["Ratelimit"] = append(prev[:len(prev):len(prev)], t.rateLimitValue(now, tats[:len(t.Rates)]))
	}
	if allowed {
		return next.ServeHTTP(w, r)
	}

	retry := retryAfterSeconds(wait)
	if c := t.logger.Check(zapcore.DebugLevel, "throttle refused a request"); c != nil {
		c.Write(zap.String("zone", t.policyName), t.keyField(key), zap.Int64("retry_after", retry))
	}
	h["Retry-After"] = []string{strconv.FormatInt(retry, 10)}
	b := make([]byte, 0, 64)
	b = append(b, `{"error":"too many requests","retry_after":`...)
	b = strconv.AppendInt(b, retry, 10)
	b = append(b, "}\n"...)
	return refuse(w, r, http.StatusTooManyRequests, "throttle: too many requests", b)
}

// renderKey turns the key template into this request's key.
//
// Keys are kept apart by origin: the client-IP fallback of an empty custom
// key starts with a NUL byte, and a custom key that happens to start with
// one gets another, so no client can pick a custom key (say, an API key
// header holding someone's IP address) that lands in the bucket an
// anonymous client is counted in.
func (t *Throttle) renderKey(repl *caddy.Replacer) string {
	if t.Key == defaultKey {
		ip, _ := repl.GetString("http.vars.client_ip")
		return t.clientKey(ip)
	}
	key := t.key.render(repl)
	if key == "" {
		t.emptyKeyOnce.Do(func() {
			t.logger.Warn("throttle: the key rendered empty; such requests are counted by client IP (logged once per block)",
				zap.String("zone", t.policyName), zap.String("key", t.Key))
		})
		ip, _ := repl.GetString("http.vars.client_ip")
		return fallbackKeyMark + t.clientKey(ip)
	}
	key = boundKey(key)
	if key[0] == fallbackKeyMark[0] {
		key = fallbackKeyMark + key
	}
	return key
}

// boundKey bounds what a key taken from a request costs to remember: a
// key of up to maxKeyLen bytes is kept as it is, a longer one as
// hashedKeyMark and the hex of its SHA-256 (71 bytes). A hashed key is
// longer than maxKeyLen, so no key kept as it is can equal one: a client
// cannot name the bucket (or circuit, or load_shed queue) of a long key by
// sending its digest. Used by throttle (memory, exact and leased modes
// alike), circuit_breaker and load_shed.
func boundKey(key string) string {
	if len(key) <= maxKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return hashedKeyMark + hex.EncodeToString(sum[:])
}

// hashedKeyMark starts every hashed key (boundKey).
const hashedKeyMark = "sha256:"

// fallbackKeyMark starts the key of a request counted by its client IP
// because the custom key rendered empty.
const fallbackKeyMark = "\x00"

// clientKey is the key of a client IP: the address itself for IPv4, its
// ipv6_prefix network for IPv6 (one client commonly holds a whole /64).
func (t *Throttle) clientKey(ip string) string {
	if t.ipv6Bits >= 128 || strings.IndexByte(ip, ':') < 0 {
		return ip
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4In6() {
		return ip
	}
	p, err := addr.WithZone("").Prefix(t.ipv6Bits)
	if err != nil {
		return ip
	}
	return p.String()
}

// keyField is a key for the logs: a client address as it is, any other key
// (an API key, a token) only as a hash prefix, since keys may be secrets.
func (t *Throttle) keyField(key string) zap.Field {
	if t.Key == defaultKey {
		return zap.String("key", key)
	}
	if ip, ok := strings.CutPrefix(key, fallbackKeyMark); ok && !strings.HasPrefix(ip, fallbackKeyMark) {
		return zap.String("key", ip)
	}
	sum := sha256.Sum256([]byte(key))
	return zap.String("key_sha256", hex.EncodeToString(sum[:8]))
}

// rateLimitValue writes the RateLimit field: per rate, the requests left
// now (r) and the seconds until the bucket is full again (t).
func (t *Throttle) rateLimitValue(now int64, tats []int64) string {
	var buf [160]byte
	b := buf[:0]
	for i, r := range t.rates {
		if i > 0 {
			b = append(b, ", "...)
		}
		tat := max(tats[i], now)
		remaining := (now + r.Tolerance - tat) / r.Interval
		reset := (tat - now + int64(time.Second) - 1) / int64(time.Second)
		b = strconv.AppendQuote(b, t.policyID(i))
		b = append(b, ";r="...)
		b = strconv.AppendInt(b, max(0, min(remaining, int64(r.Burst))), 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, reset, 10)
	}
	return string(b)
}

// processStart anchors the monotonic clock the limiters count in.
var processStart = time.Now()

func monotonicNow() int64 { return int64(time.Since(processStart)) }

// zoneState is one zone's buckets (a gcra.Zone) as the package-level pool
// processState.zones holds them, so they outlive config reloads.
type zoneState struct{ *gcra.Zone }

// Destruct stops the sweeper when the last config using the zone is gone.
func (z zoneState) Destruct() error {
	z.Close()
	return nil
}

// ThrottleZones is the per-config-load bookkeeping of throttle zones. It is
// loaded on its own by throttle handlers and has no settings. It checks that
// a zone name means one definition within a config, and numbers the blocks
// without a zone name, so that each keeps its own state, across reloads too.
type ThrottleZones struct {
	mu      *sync.Mutex
	defined map[string]string
	counts  map[string]int
}

// CaddyModule returns the Caddy module information.
func (ThrottleZones) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID: "throttle",
		New: func() caddy.Module {
			return &ThrottleZones{mu: new(sync.Mutex), defined: map[string]string{}, counts: map[string]int{}}
		},
	}
}

func (z *ThrottleZones) define(name, identity string) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if prev, ok := z.defined[name]; ok && prev != identity {
		return fmt.Errorf("throttle: zone %q is used with different settings (key, rates, burst, max_keys, ipv6_prefix or backend) in two places; blocks sharing a zone must have the same settings", name)
	}
	z.defined[name] = identity
	return nil
}

func (z *ThrottleZones) occurrence(identity string) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.counts[identity]
	z.counts[identity]++
	return n
}

// Start implements caddy.App; there is nothing to start.
func (*ThrottleZones) Start() error { return nil }

// Stop implements caddy.App; there is nothing to stop.
func (*ThrottleZones) Stop() error { return nil }

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	throttle [<matcher>] {
//		plan
//		key <template>
//		rate <n>/<duration>
//		burst <n>
//		zone <name>
//		max_keys <n>
//		ipv6_prefix <bits>
//		dry_run
//		backend redis <url>
//		mode leased|exact
//		lease_share <n>
//		on_error allow|deny
//		redis_timeout <duration>
//	}
//
// rate is repeatable; burst applies to every rate of the block. plan takes
// the rates from the caller's plan instead (then neither rate nor key).
// mode and lease_share apply to backend redis.
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
		if opt == "plan" {
			if len(args) != 0 {
				return d.Errf("plan takes no arguments: the plan is the caller's")
			}
			t.Plan = true
			continue
		}
		if opt == "backend" {
			rc, err := caddykit.ParseRedisBackend(d, "throttle", args)
			if err != nil {
				return err
			}
			if t.Redis != nil && rc.Timeout == 0 {
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
	if len(t.Rates) == 0 && !t.Plan {
		return d.Err("no rate; write e.g. `rate 100/1m`, or `plan` for the caller's plan")
	}
	if t.Plan && (len(t.Rates) > 0 || t.Key != "") {
		return d.Err("plan applies the caller's plan: drop rate and key from this block")
	}
	if t.Redis != nil && !t.Redis.Configured() {
		return d.Err("redis_timeout without `backend redis <url>`")
	}
	if t.OnError != "" && t.Redis == nil {
		return d.Err("on_error applies to `backend redis <url>` only")
	}
	if (t.Mode != "" || t.LeaseShare != 0) && t.Redis == nil {
		return d.Err("mode and lease_share apply to `backend redis <url>` only")
	}
	if t.Mode == "exact" && t.LeaseShare != 0 {
		return d.Err("lease_share applies to mode leased only")
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
	case "mode":
		if arg != "leased" && arg != "exact" {
			return d.Errf("mode %q must be leased (the default: local spending of shares taken from Redis) or exact (one Redis call per request)", arg)
		}
		t.Mode = arg
	case "lease_share":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return d.Errf("lease_share %q must be a positive whole number", arg)
		}
		t.LeaseShare = n
	case "redis_timeout":
		dur, err := caddy.ParseDuration(arg)
		if err != nil || dur <= 0 {
			return d.Errf("redis_timeout %q is not a positive duration such as 100ms", arg)
		}
		if t.Redis == nil {
			t.Redis = &caddykit.RedisConfig{}
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
		return d.Errf("unrecognized subdirective %q; throttle knows: key, rate, burst, zone, max_keys, ipv6_prefix, dry_run, backend, mode, lease_share, on_error, redis_timeout", opt)
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

// Interface guards
var (
	_ caddy.Provisioner           = (*Throttle)(nil)
	_ caddy.Validator             = (*Throttle)(nil)
	_ caddy.CleanerUpper          = (*Throttle)(nil)
	_ caddyhttp.MiddlewareHandler = (*Throttle)(nil)
	_ caddy.App                   = (*ThrottleZones)(nil)
	_ caddy.Destructor            = zoneState{}
	_ caddyfile.Unmarshaler       = (*Throttle)(nil)
)
