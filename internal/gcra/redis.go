package gcra

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"
)

// RedisZone makes Zone's decisions in Redis, for cluster mode: every
// gateway on the same Redis shares the buckets.
//
// The decision is made atomically by one script that checks every rate and
// commits only when all pass. Time is Redis's own (TIME), so the gateways'
// clocks need not agree. A bucket's key expires when the bucket is full
// again, so Redis holds only buckets that carry information. The keys of
// one request share a hash tag, so the script also runs on a Redis Cluster
// node.
type RedisZone struct {
	conn   *redisconn.Conn
	prefix string // caddy_gateway:throttle:<zone id>:
	argv   []any
	nRates int
}

// NewRedisZone returns the zone named id (the same id on every gateway that
// shares it) with the given rates.
func NewRedisZone(conn *redisconn.Conn, id string, rates []Rate) *RedisZone {
	z := &RedisZone{conn: conn, prefix: "caddy_gateway:throttle:" + id + ":", nRates: len(rates)}
	for _, r := range rates {
		z.argv = append(z.argv, r.Interval/int64(time.Microsecond), r.Tolerance/int64(time.Microsecond))
	}
	return z
}

// script: KEYS are the request's bucket, one key per rate; ARGV holds
// each rate's interval and tolerance in microseconds. It returns
// {allowed (1/0), wait µs, now µs, TAT µs per rate (after, or as it stands
// when refused)}.
var script = redis.NewScript(`
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

// Take decides one request for key: allowed or not, how long to wait when
// not, and Redis's time; tats receives each rate's theoretical arrival time
// (after the request, or as it stands when refused). All times are in
// nanoseconds on Redis's clock. A Redis that failed moments ago is not
// called (redisconn.ErrBackoff).
func (z *RedisZone) Take(ctx context.Context, key string, tats []int64) (allowed bool, wait, now int64, err error) {
	if err := z.conn.Ready(); err != nil {
		return false, 0, 0, err
	}
	// the whole call, dial included, within the timeout
	ctx, cancel := context.WithTimeout(ctx, z.conn.Timeout)
	defer cancel()
	defer func() { z.conn.Result(err) }()
	keys := make([]string, z.nRates)
	for i := range keys {
		// the {…} hash tag keeps a request's keys on one Cluster slot
		keys[i] = z.prefix + "{" + key + "}:" + strconv.Itoa(i)
	}
	res, err := script.Run(ctx, z.conn.Client, keys, z.argv...).Int64Slice()
	if err != nil {
		return false, 0, 0, err
	}
	if len(res) != 3+z.nRates {
		return false, 0, 0, fmt.Errorf("the rate limit script answered %d values, want %d", len(res), 3+z.nRates)
	}
	for i := range tats {
		tats[i] = res[3+i] * int64(time.Microsecond)
	}
	return res[0] == 1, res[1] * int64(time.Microsecond), res[2] * int64(time.Microsecond), nil
}
