package lease

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/caddygateway/caddy-gateway/internal/gcra"
	"github.com/caddygateway/caddy-gateway/internal/redisconn"
)

// RedisStore keeps the allowance in Redis, in the keys and units of
// gcra.RedisZone (caddy_gateway:throttle:<zone id>:{<key>}:<rate>, TATs in
// µs on Redis's clock), so exact and leased gateways of one zone share the
// buckets. One call is one script on the key's hash slot ({<key>}), so it
// runs on a Redis Cluster.
type RedisStore struct {
	conn   *redisconn.Conn
	prefix string
	rates  []gcra.Rate
	argv   []any // give, want, then interval and tolerance (µs) and the given tokens' TAT (µs) per rate
}

// NewRedisStore returns the store of zone id (the same id on every gateway
// sharing it).
func NewRedisStore(conn *redisconn.Conn, id string, rates []gcra.Rate) *RedisStore {
	s := &RedisStore{conn: conn, prefix: "caddy_gateway:throttle:" + id + ":", rates: rates}
	s.argv = make([]any, 2, 2+3*len(rates))
	for _, r := range rates {
		s.argv = append(s.argv, r.Interval/int64(time.Microsecond), r.Tolerance/int64(time.Microsecond), 0)
	}
	return s
}

// leaseScript: KEYS are the key's buckets, one per rate; ARGV is give,
// want, then each rate's interval, tolerance and the given tokens' TAT
// (the one their grant left), in µs. It returns {granted, wait µs until
// want more fit, now µs, TAT µs per rate}.
//
// The give tokens are taken back only if every bucket still holds the TAT
// their grant left (nothing granted or returned since), and only as many as
// still lie ahead of now in every rate: then moving each TAT back by them
// leaves the state as if they had never been granted. Then up to want
// tokens are granted, as many as every rate has room for; each TAT moves on
// by the grant. A value that is not what the scripts write counts as
// absent, as in gcra's script.
var leaseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local give = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local n = #KEYS
local tats = {}
for i = 1, n do
  local interval = tonumber(ARGV[3*i])
  local tolerance = tonumber(ARGV[3*i + 1])
  local ok, raw = pcall(redis.call, 'GET', KEYS[i])
  local tat = ok and tonumber(raw) or 0
  if tat ~= tat or tat ~= math.floor(tat) or tat > now + tolerance + interval then tat = 0 end
  if give > 0 and tat ~= tonumber(ARGV[3*i + 2]) then give = 0 end
  if give > 0 then
    local ahead = math.floor((tat - now) / interval)
    if ahead < give then give = ahead end
  end
  tats[i] = tat
end
if give < 0 then give = 0 end
local grant = want
for i = 1, n do
  local interval = tonumber(ARGV[3*i])
  local tolerance = tonumber(ARGV[3*i + 1])
  local tat = tats[i] - give * interval
  if tat < now then tat = now end
  tats[i] = tat
  local room = math.floor((now + tolerance - tat) / interval)
  if room < grant then grant = room end
end
if grant < 0 then grant = 0 end
local wait = 0
local out = {grant, 0, now}
for i = 1, n do
  local interval = tonumber(ARGV[3*i])
  local tolerance = tonumber(ARGV[3*i + 1])
  local tat = tats[i] + grant * interval
  if grant > 0 or give > 0 then
    if tat > now then
      redis.call('SET', KEYS[i], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
    else
      redis.call('DEL', KEYS[i])
    end
  end
  local w = tat + want * interval - tolerance - now
  if w > wait then wait = w end
  out[3 + i] = tat
end
out[2] = wait
return out
`)

// Lease implements Store. A Redis that failed moments ago is not called
// (redisconn.ErrBackoff).
func (s *RedisStore) Lease(ctx context.Context, key string, give int64, gaveAt []int64, want int64, tats []int64) (granted, wait, now int64, err error) {
	if err := s.conn.Ready(); err != nil {
		return 0, 0, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.conn.Timeout)
	defer cancel()
	defer func() { s.conn.Result(err) }()
	res, err := leaseScript.Run(ctx, s.conn.Client, s.keys(key), s.args(give, gaveAt, want)...).Int64Slice()
	if err != nil {
		return 0, 0, 0, err
	}
	if len(res) != 3+len(s.rates) {
		return 0, 0, 0, fmt.Errorf("the lease script answered %d values, want %d", len(res), 3+len(s.rates))
	}
	for i := range tats {
		tats[i] = res[3+i] * int64(time.Microsecond)
	}
	return res[0], res[1] * int64(time.Microsecond), res[2] * int64(time.Microsecond), nil
}

func (s *RedisStore) args(give int64, gaveAt []int64, want int64) []any {
	argv := make([]any, len(s.argv))
	copy(argv, s.argv)
	if give <= 0 || len(gaveAt) != len(s.rates) {
		give = 0
	}
	argv[0], argv[1] = give, want
	if give > 0 {
		for i, at := range gaveAt {
			argv[4+3*i] = at / int64(time.Microsecond)
		}
	}
	return argv
}

func (s *RedisStore) keys(key string) []string {
	keys := make([]string, len(s.rates))
	for i := range keys {
		// the {…} hash tag keeps a key's buckets on one Cluster slot
		keys[i] = s.prefix + "{" + key + "}:" + strconv.Itoa(i)
	}
	return keys
}

// Return implements Returner: one pipeline of lease calls that give and
// take nothing. (A Cluster client splits the pipeline by node.)
func (s *RedisStore) Return(ctx context.Context, keys []string, counts []int64, gaveAt [][]int64) (err error) {
	if err := s.conn.Ready(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.conn.Timeout)
	defer cancel()
	defer func() { s.conn.Result(err) }()
	// make sure the script is known to every node before EVALSHA in a pipeline
	if err := leaseScript.Load(ctx, s.conn.Client).Err(); err != nil {
		return err
	}
	pipe := s.conn.Client.Pipeline()
	for i, k := range keys {
		leaseScript.EvalSha(ctx, pipe, s.keys(k), s.args(counts[i], gaveAt[i], 0)...)
	}
	_, err = pipe.Exec(ctx)
	return err
}
