package consumers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"
)

// Cluster mode keeps the consumers in Redis, shared by every gateway that
// names the same server:
//
//   - {cgw:consumers} is a hash of consumer id → record (keys as hashes only);
//   - {cgw:consumers}:v is a hash of consumer id → version (the record's
//     updated_at in ns), so that a resync reads the versions and fetches
//     only the records that differ;
//   - every change is published on cgw:consumers:changes (the consumer's
//     id); each gateway then reads the record and applies it, so a change
//     made on one gateway works on all within the time of a round trip.
//
// A change is written to Redis before it is applied locally: while Redis is
// unreachable, changes (revocations included) are refused with
// ErrBackendDown rather than made on one gateway only. A resync every few
// seconds, and after a reconnection, heals what a gateway missed.
//
// {cgw:consumers}:present is set only by a refill, after every consumer a
// gateway knows is written: a Redis without it has lost its data
// (restarted without persistence, flushed), and the gateways write back
// what they know rather than delete every consumer. A change never sets
// it: one written to a flushed Redis leaves it holding that one consumer
// and no marker, and the next resync still refills (HSETNX: the newer
// record written by the change stays). Each refill writes a new random
// value (an epoch): a resync forgets a local consumer that Redis lacks
// only if the marker held the same epoch before its scan and after its
// reads, so a flush during a resync (Redis then looks empty, or holds
// only what was written or refilled since) never deletes consumers; an
// event whose record is missing deletes only while the marker is there.
const (
	// the {…} hash tag keeps the records, versions and marker in one slot
	// of a Redis Cluster, as the MULTI that writes a record and its
	// version together needs
	redisRecordsKey  = "{cgw:consumers}"
	redisVersionsKey = "{cgw:consumers}:v"
	redisChannel     = "cgw:consumers:changes"
	redisMarkerKey   = "{cgw:consumers}:present"
	quotaKeyPrefix   = "cgw:quota:"
	resyncBatch      = 500
)

// RedisBackend writes changes to Redis (Store.SetBackend).
type RedisBackend struct{ Conn *redisconn.Conn }

func (b RedisBackend) call(ctx context.Context, f func(ctx context.Context) error) error {
	if err := b.Conn.Ready(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, b.Conn.Timeout)
	defer cancel()
	err := f(ctx)
	b.Conn.Result(err)
	return err
}

// Save implements Backend.
func (b RedisBackend) Save(ctx context.Context, c *Consumer) error {
	rec, err := Encode(c)
	if err != nil {
		return err
	}
	return b.call(ctx, func(ctx context.Context) error {
		_, err := b.Conn.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, redisRecordsKey, c.ID, rec)
			p.HSet(ctx, redisVersionsKey, c.ID, strconv.FormatInt(c.UpdatedAt.UnixNano(), 10))
			p.Publish(ctx, redisChannel, c.ID)
			return nil
		})
		return err
	})
}

// Remove implements Backend.
func (b RedisBackend) Remove(ctx context.Context, id string) error {
	return b.call(ctx, func(ctx context.Context) error {
		_, err := b.Conn.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, redisRecordsKey, id)
			p.HDel(ctx, redisVersionsKey, id)
			p.Publish(ctx, redisChannel, id)
			return nil
		})
		return err
	})
}

// RedisSync keeps a store in step with Redis: the changes the other
// gateways publish, and a resync every interval.
type RedisSync struct {
	conn     *redisconn.Conn
	store    *Store
	logger   *zap.Logger
	interval time.Duration

	cancel context.CancelFunc
	done   chan struct{}
	warned sync.Once
}

// NewRedisSync makes a sync; Start starts it.
func NewRedisSync(conn *redisconn.Conn, store *Store, interval time.Duration, logger *zap.Logger) *RedisSync {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	return &RedisSync{conn: conn, store: store, logger: logger, interval: interval}
}

// Start subscribes to changes, then reads the whole store once (so that
// every change is in the read or in an event), and keeps applying.
func (s *RedisSync) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	ps := s.conn.Client.Subscribe(ctx, redisChannel)
	if _, err := ps.Receive(ctx); err != nil {
		s.logger.Warn("cannot subscribe to consumer changes in Redis yet; resyncing until it answers", zap.String("redis", s.conn.URL), zap.Error(err))
	}
	if err := s.Resync(ctx); err != nil {
		s.logger.Warn("reading the consumers from Redis failed; will retry", zap.String("redis", s.conn.URL), zap.Error(err))
	}
	go s.run(ctx, ps)
}

// Stop ends the sync.
func (s *RedisSync) Stop() {
	s.cancel()
	<-s.done
}

func (s *RedisSync) run(ctx context.Context, ps *redis.PubSub) {
	defer close(s.done)
	defer ps.Close()
	msgs := ps.ChannelWithSubscriptions() // resubscriptions too: a reconnection asks for a resync
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			switch m := m.(type) {
			case *redis.Message:
				if err := s.refresh(ctx, m.Payload); err != nil {
					failing = true
				}
			case *redis.Subscription:
				failing = s.Resync(ctx) != nil
			}
		case <-tick.C:
			err := s.Resync(ctx)
			if err != nil && !failing {
				s.logger.Error("resyncing the consumers from Redis failed; serving the last known consumers", zap.String("redis", s.conn.URL), zap.Error(err))
			}
			failing = err != nil
		}
	}
}

// refresh reads one consumer's record and applies it.
func (s *RedisSync) refresh(ctx context.Context, id string) error {
	if ValidateID(id) != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.conn.Timeout)
	defer cancel()
	var rec *redis.StringCmd
	var marker *redis.IntCmd
	_, err := s.conn.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		rec = p.HGet(ctx, redisRecordsKey, id)
		marker = p.Exists(ctx, redisMarkerKey)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	s.conn.Result(err)
	if err != nil {
		return err
	}
	b, err := rec.Bytes()
	if errors.Is(err, redis.Nil) {
		// gone, unless Redis lost its data (no marker): then the resync
		// refills rather than this gateway forgetting the consumer
		if _, ok := s.store.Get(id); ok && marker.Val() == 1 {
			s.store.Apply(id, nil)
		}
		return nil
	}
	if err != nil {
		return err
	}
	c, err := Decode(b)
	if err != nil || c.ID != id {
		s.warned.Do(func() {
			s.logger.Warn("ignoring an unreadable consumer record in Redis", zap.String("id", id), zap.Error(err))
		})
		return nil
	}
	s.store.Apply(id, c)
	return nil
}

// Resync reads the versions of every consumer in Redis and applies the
// records that differ from the local ones, and removes local consumers
// that Redis no longer holds.
func (s *RedisSync) Resync(ctx context.Context) error {
	epoch, present, err := s.epoch(ctx)
	if err != nil {
		return err
	}
	if !present {
		return s.refill(ctx)
	}
	remote := map[string]int64{}
	var cursor uint64
	for {
		cctx, cancel := context.WithTimeout(ctx, s.conn.Timeout)
		kv, next, err := s.conn.Client.HScan(cctx, redisVersionsKey, cursor, "", 1000).Result()
		cancel()
		s.conn.Result(err)
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v, _ := strconv.ParseInt(kv[i+1], 10, 64)
			remote[kv[i]] = v
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	var stale []string
	for id, v := range remote {
		if c, ok := s.store.Get(id); !ok || c.UpdatedAt.UnixNano() != v {
			stale = append(stale, id)
		}
	}
	err = s.readRecords(ctx, stale, func(id string, c *Consumer, found bool) {
		if found && c != nil { // not found: deleted meanwhile, its event removes it
			s.store.Apply(c.ID, c)
		}
	})
	if err != nil {
		return err
	}
	// local consumers Redis did not list: created after the scan, or gone
	var missing, gone []string
	for _, c := range s.store.All() {
		if _, ok := remote[c.ID]; !ok {
			missing = append(missing, c.ID)
		}
	}
	err = s.readRecords(ctx, missing, func(id string, c *Consumer, found bool) {
		switch {
		case !found:
			gone = append(gone, id)
		case c != nil:
			s.store.Apply(c.ID, c)
		}
	})
	if err != nil {
		return err
	}
	if len(gone) == 0 {
		return nil
	}
	// Forget them only if Redis kept its data all along: the same refill
	// epoch before the scan and after the reads. A flush in between (with
	// or without a refill since) would otherwise make every consumer look
	// gone, and a refill by this gateway would then drop them for all.
	after, present, err := s.epoch(ctx)
	if err != nil {
		return err
	}
	if !present || after != epoch {
		return nil // the next resync refills, or reads the refilled set
	}
	for _, id := range gone {
		s.store.Apply(id, nil)
	}
	return nil
}

// readRecords reads the records of ids from Redis in batches of
// resyncBatch and hands each to fn: found is false when Redis has none, c
// is nil when the record does not decode or names another id.
func (s *RedisSync) readRecords(ctx context.Context, ids []string, fn func(id string, c *Consumer, found bool)) error {
	for len(ids) > 0 {
		batch := ids[:min(resyncBatch, len(ids))]
		ids = ids[len(batch):]
		cctx, cancel := context.WithTimeout(ctx, s.conn.Timeout)
		vals, err := s.conn.Client.HMGet(cctx, redisRecordsKey, batch...).Result()
		cancel()
		s.conn.Result(err)
		if err != nil {
			return err
		}
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				fn(batch[i], nil, false)
				continue
			}
			c, err := Decode([]byte(str))
			if err != nil || c.ID != batch[i] {
				c = nil
			}
			fn(batch[i], c, true)
		}
	}
	return nil
}

// epoch reads the marker: the value its last refill wrote, and whether it
// is there at all.
func (s *RedisSync) epoch(ctx context.Context) (string, bool, error) {
	cctx, cancel := context.WithTimeout(ctx, s.conn.Timeout)
	defer cancel()
	v, err := s.conn.Client.Get(cctx, redisMarkerKey).Result()
	if errors.Is(err, redis.Nil) {
		s.conn.Result(nil)
		return "", false, nil
	}
	s.conn.Result(err)
	if err != nil {
		return "", false, err
	}
	return v, true, nil
}

// refill writes every local consumer to a Redis that lost its data.
func (s *RedisSync) refill(ctx context.Context) error {
	all := s.store.All()
	if len(all) > 0 {
		s.logger.Warn("Redis holds no consumers (restarted empty or flushed?); writing back the ones this gateway knows",
			zap.String("redis", s.conn.URL), zap.Int("consumers", len(all)))
	}
	for len(all) > 0 {
		batch := all[:min(resyncBatch, len(all))]
		all = all[len(batch):]
		cctx, cancel := context.WithTimeout(ctx, s.conn.Timeout)
		_, err := s.conn.Client.Pipelined(cctx, func(p redis.Pipeliner) error {
			for _, c := range batch {
				rec, err := Encode(c)
				if err != nil {
					return err
				}
				p.HSetNX(cctx, redisRecordsKey, c.ID, rec)
				p.HSetNX(cctx, redisVersionsKey, c.ID, strconv.FormatInt(c.UpdatedAt.UnixNano(), 10))
			}
			return nil
		})
		cancel()
		s.conn.Result(err)
		if err != nil {
			return err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, s.conn.Timeout)
	defer cancel()
	// a new epoch per refill: a resync that saw another one, or none,
	// around its reads knows Redis lost its data meanwhile
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	err := s.conn.Client.Set(cctx, redisMarkerKey, hex.EncodeToString(nonce[:]), 0).Err()
	s.conn.Result(err)
	return err
}

// RedisCounter counts quotas in Redis, exactly across gateways: one
// script checks every window of the request and counts it in all or none,
// and each count expires at its window's end.
type RedisCounter struct{ Conn *redisconn.Conn }

// takeScript: KEYS are the windows' counters; ARGV the limits, then the
// unix seconds their windows end. Returns {allowed, exceeded index (1-based,
// 0 if none), count of each window}.
var takeScript = redis.NewScript(`
local n = #KEYS
local counts = {}
for i = 1, n do
	local c = tonumber(redis.call('GET', KEYS[i]) or '0')
	counts[i] = c
	if c >= tonumber(ARGV[i]) then
		local out = {0, i}
		for j = 1, n do out[j + 2] = tonumber(redis.call('GET', KEYS[j]) or '0') end
		return out
	end
end
local out = {1, 0}
for i = 1, n do
	out[i + 2] = redis.call('INCR', KEYS[i])
	redis.call('EXPIREAT', KEYS[i], ARGV[n + i])
end
return out
`)

// redisCounterKey names a count; the consumer in braces keeps all of a
// consumer's windows in one Redis Cluster slot, as the script needs.
func redisCounterKey(consumer string, u Use) string {
	return quotaKeyPrefix + "{" + consumer + "}:" + u.Period.String() + ":" + strconv.FormatInt(u.Start.Unix(), 10)
}

// Take implements Counter.
func (rc RedisCounter) Take(ctx context.Context, consumer string, windows []Use) (Decision, error) {
	if err := rc.Conn.Ready(); err != nil {
		return Decision{}, err
	}
	keys := make([]string, len(windows))
	args := make([]any, 2*len(windows))
	for i, u := range windows {
		keys[i] = redisCounterKey(consumer, u)
		args[i] = u.Limit
		args[len(windows)+i] = u.End.Unix() + 60 // kept a minute past the window, for clocks a little apart
	}
	ctx, cancel := context.WithTimeout(ctx, rc.Conn.Timeout)
	defer cancel()
	res, err := takeScript.Run(ctx, rc.Conn.Client, keys, args...).Int64Slice()
	rc.Conn.Result(err)
	if err != nil {
		return Decision{}, err
	}
	if len(res) != 2+len(windows) {
		return Decision{}, fmt.Errorf("the quota script answered %d values for %d windows", len(res), len(windows))
	}
	d := Decision{Allowed: res[0] == 1, Uses: windows, Exceeded: int(res[1]) - 1}
	for i := range windows {
		d.Uses[i].Used = res[2+i]
	}
	return d, nil
}

// Read implements Counter.
func (rc RedisCounter) Read(ctx context.Context, consumer string, windows []Use) ([]Use, error) {
	if err := rc.Conn.Ready(); err != nil {
		return nil, err
	}
	keys := make([]string, len(windows))
	for i, u := range windows {
		keys[i] = redisCounterKey(consumer, u)
	}
	if len(keys) == 0 {
		return windows, nil
	}
	ctx, cancel := context.WithTimeout(ctx, rc.Conn.Timeout)
	defer cancel()
	vals, err := rc.Conn.Client.MGet(ctx, keys...).Result()
	rc.Conn.Result(err)
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		if s, ok := v.(string); ok {
			windows[i].Used, _ = strconv.ParseInt(s, 10, 64)
		}
	}
	return windows, nil
}
