package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/gcra"
	"github.com/caddygateway/caddy-gateway/internal/lease"
)

// Cluster mode of throttle: `throttle { backend redis <url> }`. The
// decisions are gcra.RedisZone's (mode exact: one Redis call each) or a
// lease.Table's (mode leased, the default: shares of the allowance taken
// from Redis and spent locally); this file adds on_error.

// redisLimiter makes throttle's decisions in Redis.
type redisLimiter struct {
	exact   *gcra.RedisZone
	leased  *lease.Table // nil in mode exact
	h       *caddykit.RedisHandle
	allow   bool // on_error allow
	logger  *zap.Logger
	lastLog atomic.Int64 // unix seconds of the last error logged
	// in mode exact, the keys Redis refused at their last answer (the
	// lease table does this in mode leased)
	refused *refusedKeys
}

func newRedisLimiter(h *caddykit.RedisHandle, zoneID string, rates []gcra.Rate, allowOnError bool, maxKeys int, now func() int64, logger *zap.Logger) *redisLimiter {
	return &redisLimiter{exact: gcra.NewRedisZone(h.Conn, zoneID, rates), h: h, allow: allowOnError, logger: logger,
		refused: newRefusedKeys(maxKeys, now)}
}

// Take decides one request for key: allowed, the wait when not, the time
// (Redis's in mode exact, the gateway's monotonic clock in mode leased)
// and each rate's TAT on that clock.
func (rl *redisLimiter) Take(ctx context.Context, key string, tats []int64) (allowed bool, wait, now int64, err error) {
	if rl.leased != nil {
		return rl.leased.Take(ctx, key, tats)
	}
	allowed, wait, now, err = rl.exact.Take(ctx, key, tats)
	if err != nil {
		if w, n, ok := rl.refused.hold(key, tats); ok {
			return false, w, n, nil
		}
		return false, 0, 0, err
	}
	rl.refused.note(key, allowed, wait, now, tats)
	return allowed, wait, now, nil
}

// refusedKeys remembers, in mode exact, the keys Redis refused at their
// last answer, so that while Redis cannot be asked (an outage, or calls
// timing out under a flood of new keys) they stay refused instead of
// getting on_error: on_error applies only to keys the gateway knows nothing
// against. A key leaves when Redis admits it again, or, while Redis
// answers, once its wait is over and room is needed. At most max_keys keys
// (a refusal that finds no room is not remembered: that key gets
// on_error).
type refusedKeys struct {
	now    func() int64 // local monotonic ns
	max    int          // per shard
	n      atomic.Int64 // keys remembered, so admissions skip the lock when none are
	seed   maphash.Seed
	shards [16]refusedShard
}

type refusedShard struct {
	mu sync.Mutex
	m  map[string]*redisRefusal
}

// redisRefusal is a key's last answer from Redis: a refusal.
type redisRefusal struct {
	until int64 // local ns when its wait is over
	now   int64 // Redis's time of the answer
	tats  [maxRates]int64
}

func newRefusedKeys(maxKeys int, now func() int64) *refusedKeys {
	r := &refusedKeys{now: now, max: max(1, maxKeys/16), seed: maphash.MakeSeed()}
	for i := range r.shards {
		r.shards[i].m = make(map[string]*redisRefusal)
	}
	return r
}

// note records Redis's answer for key.
func (r *refusedKeys) note(key string, allowed bool, wait, now int64, tats []int64) {
	if allowed && r.n.Load() == 0 {
		return
	}
	s := &r.shards[maphash.String(r.seed, key)&15]
	s.mu.Lock()
	defer s.mu.Unlock()
	if allowed {
		if _, ok := s.m[key]; ok {
			delete(s.m, key)
			r.n.Add(-1)
		}
		return
	}
	e := s.m[key]
	if e == nil {
		if len(s.m) >= r.max && !s.makeRoom(r.now()) {
			return
		}
		e = new(redisRefusal)
		s.m[key] = e
		r.n.Add(1)
	}
	e.until, e.now = r.now()+wait, now
	copy(e.tats[:], tats)
}

// makeRoom drops one key whose wait is over (Redis answers, so it would be
// asked again), sampling a few; reports whether it did.
func (s *refusedShard) makeRoom(now int64) bool {
	n := 0
	for k, e := range s.m {
		if now >= e.until {
			delete(s.m, k)
			return true
		}
		if n++; n >= 8 {
			break
		}
	}
	return false
}

// hold answers for key while Redis failed: refused (wait 1 s, the headers
// of its last answer) if Redis refused it last.
func (r *refusedKeys) hold(key string, tats []int64) (wait, now int64, ok bool) {
	if r.n.Load() == 0 {
		return 0, 0, false
	}
	s := &r.shards[maphash.String(r.seed, key)&15]
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil {
		return 0, 0, false
	}
	copy(tats, e.tats[:])
	return int64(time.Second), e.now, true
}

// leaseFrom sets up mode leased: the zone's lease table, held in
// processState.zones (so a reload keeps the shares this gateway holds
// instead of losing them) under the zone's pool key and the share.
func (t *Throttle) leaseFrom(zoneID string) error {
	cfg := lease.Config{Rates: t.rates, Share: int64(t.LeaseShare), TTL: lease.DefaultTTL, MaxKeys: t.MaxKeys, Now: t.now}
	key := fmt.Sprintf("lease %s share=%d", zoneID, t.LeaseShare)
	conn := t.redis.Conn
	val, _, err := processState.zones.LoadOrNew(key, func() (caddy.Destructor, error) {
		return newLeaseState(lease.New(lease.NewRedisStore(conn, zoneID, t.rates), cfg)), nil
	})
	if err != nil {
		return err
	}
	t.poolKey = key
	t.remote.leased = val.(*leaseState).Table
	return nil
}

// leaseState is a zone's lease table in processState.zones, with its
// sweeper, which gives idle keys' unspent tokens back to Redis every TTL.
type leaseState struct {
	*lease.Table
	stop chan struct{}
	done chan struct{}
}

func newLeaseState(t *lease.Table) *leaseState {
	s := &leaseState{Table: t, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(t.TTL())
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = t.Sweep(ctx) // a failed return only under-admits
				cancel()
			}
		}
	}()
	return s
}

// Destruct stops the sweeper and gives every unspent token back, when the
// last config using the zone is gone.
func (s *leaseState) Destruct() error {
	close(s.stop)
	<-s.done
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.ReturnAll(ctx) // a Redis that is down keeps them until they refill
	return nil
}

// redisZoneID names a zone's keys: what a zone is called and how it counts,
// so gateways with the same config share buckets and changed rates start
// afresh, as in memory.
func redisZoneID(name, identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return name + ":" + hex.EncodeToString(sum[:6])
}

// failed handles a Redis error by on_error: with allow the request goes on
// (unlimited, proceed), with deny it is refused with 503 (see refuse).
// Errors are logged at most once a second.
func (rl *redisLimiter) failed(w http.ResponseWriter, r *http.Request, zone string, err error) (proceed bool, refusal error) {
	now := time.Now().Unix()
	if last := rl.lastLog.Load(); now != last && rl.lastLog.CompareAndSwap(last, now) {
		rl.logger.Error("throttle: Redis failed; applying on_error", zap.String("zone", zone), zap.String("redis", rl.h.URL),
			zap.Bool("allow", rl.allow), zap.Error(err))
	}
	if rl.allow {
		return true, nil
	}
	w.Header()["Retry-After"] = []string{"1"}
	return false, refuse(w, r, http.StatusServiceUnavailable, "throttle: the rate limiter is unavailable",
		[]byte(`{"error":"rate limiter unavailable","retry_after":1}`+"\n"))
}

var _ caddy.Destructor = (*leaseState)(nil)
