package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/gcra"
)

// Cluster mode of throttle: `throttle { backend redis <url> }`.
//
// The same GCRA decision as in memory, made atomically in Redis by one
// script that checks every rate of the block and commits only when all
// pass. Time is Redis's own (TIME), so the gateways' clocks need not agree.
// A bucket's key expires when the bucket is full again, so Redis holds only
// buckets that carry information. The keys of one request share a hash tag,
// so the script also runs on a Redis Cluster node.

// gcraScript: KEYS are the request's bucket, one key per rate; ARGV holds
// each rate's interval and tolerance in microseconds. It returns
// {allowed (1/0), wait µs, now µs, TAT µs per rate (after, or as it stands
// when refused)}.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local allowed = 1
local wait = 0
local cur, nxt = {}, {}
for i = 1, n do
  local interval = tonumber(ARGV[2*i-1])
  local tolerance = tonumber(ARGV[2*i])
  -- a value that is not what this script writes (another type, not a
  -- whole number, NaN, or further ahead than any allowed request can put
  -- it) counts as absent: a planted value can neither block a client
  -- forever nor let it through unlimited
  local ok, raw = pcall(redis.call, 'GET', KEYS[i])
  local tat = ok and tonumber(raw) or 0
  if tat ~= tat or tat ~= math.floor(tat) or tat > now + tolerance + interval then tat = 0 end
  if tat < now then tat = now end
  cur[i] = tat
  nxt[i] = tat + interval
  local over = nxt[i] - now - tolerance
  if over > 0 then
    allowed = 0
    if over > wait then wait = over end
  end
end
local out = {allowed, wait, now}
for i = 1, n do
  if allowed == 1 then
    redis.call('SET', KEYS[i], string.format('%d', nxt[i]), 'PX', math.floor((nxt[i] - now) / 1000) + 1)
    out[3 + i] = nxt[i]
  else
    out[3 + i] = cur[i]
  end
end
return out
`)

// redisLimiter makes throttle's decisions in Redis.
type redisLimiter struct {
	h       *redisHandle
	prefix  string // caddy_gateway:throttle:<zone id>:
	argv    []any
	nRates  int
	allow   bool // on_error allow
	logger  *zap.Logger
	lastLog atomic.Int64 // unix seconds of the last error logged
}

func newRedisLimiter(h *redisHandle, zoneID string, rates []gcra.Rate, allowOnError bool, logger *zap.Logger) *redisLimiter {
	rl := &redisLimiter{h: h, prefix: "caddy_gateway:throttle:" + zoneID + ":", nRates: len(rates), allow: allowOnError, logger: logger}
	for _, r := range rates {
		rl.argv = append(rl.argv, r.Interval/int64(time.Microsecond), r.Tolerance/int64(time.Microsecond))
	}
	return rl
}

// redisZoneID names a zone's keys: what a zone is called and how it counts,
// so gateways with the same config share buckets and changed rates start
// afresh, as in memory.
func redisZoneID(name, def string) string {
	sum := sha256.Sum256([]byte(def))
	return name + ":" + hex.EncodeToString(sum[:6])
}

// take decides one request in Redis. The times it returns (now and the TATs)
// are in nanoseconds on Redis's clock.
func (rl *redisLimiter) take(ctx context.Context, key string, tats []int64) (allowed bool, wait, now int64, err error) {
	if err := rl.h.ready(); err != nil {
		return false, 0, 0, err // Redis failed moments ago: on_error at once
	}
	// the whole call, dial included, within redis_timeout
	ctx, cancel := context.WithTimeout(ctx, rl.h.timeout)
	defer cancel()
	defer func() { rl.h.result(err) }()
	keys := make([]string, rl.nRates)
	for i := range keys {
		// the {…} hash tag keeps a request's keys on one Cluster slot
		keys[i] = rl.prefix + "{" + key + "}:" + strconv.Itoa(i)
	}
	res, err := gcraScript.Run(ctx, rl.h.client, keys, rl.argv...).Int64Slice()
	if err != nil {
		return false, 0, 0, err
	}
	if len(res) != 3+rl.nRates {
		return false, 0, 0, fmt.Errorf("the rate limit script answered %d values, want %d", len(res), 3+rl.nRates)
	}
	for i := range tats {
		tats[i] = res[3+i] * int64(time.Microsecond)
	}
	return res[0] == 1, res[1] * int64(time.Microsecond), res[2] * int64(time.Microsecond), nil
}

// failed handles a Redis error by on_error: with allow the request goes on
// (unlimited, proceed), with deny it is refused with 503 (see refuse).
// Errors are logged at most once a second.
func (rl *redisLimiter) failed(w http.ResponseWriter, r *http.Request, zone string, err error) (proceed bool, refusal error) {
	now := time.Now().Unix()
	if last := rl.lastLog.Load(); now != last && rl.lastLog.CompareAndSwap(last, now) {
		rl.logger.Error("throttle: Redis failed; applying on_error", zap.String("zone", zone), zap.String("redis", rl.h.url),
			zap.Bool("allow", rl.allow), zap.Error(err))
	}
	if rl.allow {
		return true, nil
	}
	w.Header()["Retry-After"] = []string{"1"}
	return false, refuse(w, r, http.StatusServiceUnavailable, "throttle: the rate limiter is unavailable",
		[]byte(`{"error":"rate limiter unavailable","retry_after":1}`+"\n"))
}
