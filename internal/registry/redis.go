package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
)

// Cluster mode of the registry: `service_registry { backend redis <url> }`.
//
// Redis holds the registrations, one key per instance with the lease as the
// key's expiry, so Redis does the expiring. Each gateway keeps its own copy
// in memory (the request path still reads the local snapshot, never Redis)
// and keeps it current three ways:
//
//   - every write is one script that takes a version from a counter in
//     Redis, writes the key (the value carries the version) and publishes
//     the change with its version, which every gateway applies as it
//     arrives;
//   - leases expire locally at the same moment as in Redis (the remaining
//     time travels with each change, so clocks need not agree);
//   - a full resync every resync interval (the counter, then SCAN, GET and
//     PTTL) heals anything a gateway missed, e.g. while it was disconnected.
//
// Versions make the order of changes the order Redis gave them, whatever
// order they reach a gateway in: a change older than what a gateway holds
// for that instance (or than a deletion it saw, or than its last resync) is
// dropped. A gateway's own writes go through the same rule.
//
// Every value read from Redis is checked as strictly as the registration
// API checks its input: the key must name the instance's service and id,
// the registration must validate, the address policy must accept it, and
// the caps must hold; values over maxRedisValueBytes are not even read. An
// entry that fails is skipped (and logged once); the resync goes on.
//
// Registrations answer 503 while Redis is unreachable; routing goes on with
// the last copy, and no lease expires (self-preservation: no service can
// renew, so a lapsing lease says nothing about the instance). A lease runs
// out only once Redis is known to have been reachable at or after the
// moment it ran out: a call sent since then got an answer, or else one
// PING (bounded by the timeout, at most one per expiryCheckGap, one for
// all the leases due) says so; if it fails, Redis is down. When Redis is
// back (or came back empty, restarted without persistence: its run_id
// changed), each gateway first writes back what it knows with fresh leases
// (only where Redis lacks the key), then resyncs, so nothing is lost that
// any gateway still had.

// Every key of the registry carries the hash tag {caddy_gateway:registry},
// so all of them sit in one slot of a Redis Cluster, as the scripts (which
// write an instance, the version counter and the epoch together) need. The
// registry is small (max_instances bounds it), so one node holds it well.
const (
	redisInstancePrefix = "{caddy_gateway:registry}:instance:" // + service + "/" + id
	redisVersionKey     = "{caddy_gateway:registry}:version"
	// redisEpochKey exists once a gateway has set a Redis up for the
	// registry (version counter carried on, registrations written back);
	// writes are refused until it does, so nothing is written to a Redis
	// that restarted empty before the gateways know it did
	redisEpochKey      = "{caddy_gateway:registry}:epoch"
	redisEventsChannel = "caddy_gateway:registry:events"
	// defaultResyncInterval is how often a gateway reads the whole registry
	// from Redis in cluster mode.
	defaultResyncInterval = 10 * time.Second
	// maxRedisValueBytes bounds a registration value read from Redis
	maxRedisValueBytes = 16 << 10
	// while Redis is down, the resync tries this often to notice it is back
	outageResyncInterval = time.Second
	// while Redis is down, expired leases are looked at again this often
	outageExpiryRecheck = time.Second
	// leases that ran out are checked against Redis (one PING) at most
	// this often
	expiryCheckGap = 100 * time.Millisecond
	// how many bad keys are remembered so each is logged once
	maxWarnedKeys = 1000
)

func redisInstanceKey(service, id string) string { return redisInstancePrefix + service + "/" + id }

// putScript writes an instance with a new version and publishes it.
// KEYS: instance key, version key, epoch key. ARGV: instance JSON, lease in
// ms (0: none), "nx" to write only where the key is missing, channel,
// origin. Returns the version, or 0 when nx found the key; an error when
// the epoch key is missing.
var putScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[3]) == 0 then return redis.error_reply('NOEPOCH Redis restarted; the registry is not set up in it again yet') end
if ARGV[3] == 'nx' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local v = redis.call('INCR', KEYS[2])
local value = '{"v":' .. v .. ',"instance":' .. ARGV[1] .. '}'
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('SET', KEYS[1], value, 'PX', ttl)
else
  redis.call('SET', KEYS[1], value)
end
redis.call('PUBLISH', ARGV[4], '{"v":' .. v .. ',"origin":"' .. ARGV[5] .. '","op":"put","pttl_ms":' .. ttl .. ',"instance":' .. ARGV[1] .. '}')
return v
`)

// delScript deletes instances with a new version and publishes it. KEYS:
// version key, epoch key, then the instance keys. ARGV: channel, the
// event's other fields as JSON members. Returns the version; an error when
// the epoch key is missing.
var delScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('NOEPOCH Redis restarted; the registry is not set up in it again yet') end
local v = redis.call('INCR', KEYS[1])
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('PUBLISH', ARGV[1], '{"v":' .. v .. ',' .. ARGV[2] .. '}')
return v
`)

// setUpScript sets a Redis up for the registry: the version counter
// (KEYS[1]) is raised to ARGV[1] if it is lower, and the epoch key
// (KEYS[2]) is created.
var setUpScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1])) or 0
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('SET', KEYS[2], '1')
return 0
`)

// registryEvent is what gateways publish to each other.
type registryEvent struct {
	V        int64     `json:"v"`
	Origin   string    `json:"origin"`
	Op       string    `json:"op"` // "put" or "del"
	Instance *Instance `json:"instance,omitempty"`
	PTTL     int64     `json:"pttl_ms,omitempty"` // the lease left, in ms; 0: none
	Service  string    `json:"service,omitempty"`
	IDs      []string  `json:"ids,omitempty"`
}

// redisValue is an instance as stored in Redis. A value without a version
// (written by an earlier release) reads as version 0.
type redisValue struct {
	V        int64     `json:"v"`
	Instance *Instance `json:"instance"`
}

// clusterSync keeps a Registry in step with Redis.
type clusterSync struct {
	reg    *Registry
	h      *redisconn.Conn
	logger *zap.Logger
	origin string // this process, so it can skip its own events
	resync time.Duration

	bg    *background
	ready chan struct{} // closed once subscribed and resynced (or failed to)
	// resyncSoon asks for a resync now (a write failed)
	resyncSoon chan struct{}

	// down is set when a Redis call fails and cleared by a good resync;
	// while it is set, leases do not expire
	down atomic.Bool
	// contact is when the latest call to Redis that was answered was sent,
	// in ns since base on the registry's clock (noContact: none yet): a
	// lease that ran out no later than that ran out while Redis was
	// reachable
	now     func() time.Time
	base    time.Time
	contact atomic.Int64
	// checkMu makes the expiry's reachability checks one at a time;
	// lastCheck, under it, is when the last one sent its PING
	checkMu   sync.Mutex
	lastCheck time.Time

	// owned by the run goroutine
	runID  string // of the Redis server at the last good resync
	warned map[string]bool

	logOnce sync.Mutex
}

func newClusterSync(reg *Registry, h *redisconn.Conn, resync time.Duration, logger *zap.Logger) *clusterSync {
	var b [8]byte
	_, _ = rand.Read(b[:])
	if resync <= 0 {
		resync = defaultResyncInterval
	}
	now := time.Now
	if reg != nil {
		now = reg.clock.Now
	}
	cs := &clusterSync{reg: reg, h: h, logger: logger, origin: hex.EncodeToString(b[:]), resync: resync,
		ready: make(chan struct{}), resyncSoon: make(chan struct{}, 1), warned: map[string]bool{},
		now: now, base: now()}
	cs.contact.Store(noContact)
	return cs
}

const noContact = math.MinInt64

// answered notes that a call sent at sent got an answer from Redis.
func (cs *clusterSync) answered(sent time.Time) {
	ns := int64(sent.Sub(cs.base))
	for {
		cur := cs.contact.Load()
		if cur >= ns || cs.contact.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// reachedSince reports whether a call sent at or after t got an answer
// from Redis, from what the calls made so far say (no call is made).
func (cs *clusterSync) reachedSince(t time.Time) bool {
	ns := cs.contact.Load()
	return ns != noContact && !cs.base.Add(time.Duration(ns)).Before(t)
}

// checkReachable finds out, for leases that ran out at or before t,
// whether Redis was reachable since: unless a call answered since t or
// Redis is known to be down, it sends one PING, bounded by the client's
// timeout; a failure marks Redis down. Callers then look at isDown and
// reachedSince. It returns a time to ask again instead when a PING was
// sent less than expiryCheckGap ago, so leases running out one after
// another cost one PING per gap, not one each.
func (cs *clusterSync) checkReachable(t time.Time) (askAgainAt time.Time) {
	cs.checkMu.Lock()
	defer cs.checkMu.Unlock()
	if cs.down.Load() || cs.reachedSince(t) {
		return time.Time{}
	}
	sent := cs.now()
	if next := cs.lastCheck.Add(expiryCheckGap); !cs.lastCheck.IsZero() && sent.Before(next) {
		return next
	}
	cs.lastCheck = sent
	err := cs.h.Ready()
	if err == nil {
		ctx, cancel := cs.callCtx()
		err = cs.h.Client.Ping(ctx).Err()
		cancel()
		cs.h.Result(err)
	}
	if err != nil {
		cs.lost(err)
		return time.Time{}
	}
	cs.answered(sent)
	return time.Time{}
}

// lost marks Redis down after a failed check and asks the sync for a
// resync now, which then retries every outageResyncInterval until Redis
// is back.
func (cs *clusterSync) lost(err error) {
	if cs.down.CompareAndSwap(false, true) {
		cs.logger.Error("cannot reach Redis (checked before letting leases run out); routing on the last known registrations, registrations refused and leases kept until it is back",
			zap.String("redis", cs.h.URL), zap.Error(err))
	}
	select {
	case cs.resyncSoon <- struct{}{}:
	default:
	}
}

func (cs *clusterSync) start() { cs.bg = runInBackground(cs.run) }

// stop ends the sync and waits for it.
func (cs *clusterSync) stop() { cs.bg.stop() }

func (cs *clusterSync) isDown() bool { return cs.down.Load() }

func (cs *clusterSync) run(ctx context.Context) {
	pubsub := cs.h.Client.Subscribe(ctx, redisEventsChannel)
	defer pubsub.Close()
	// subscribed before the first resync: a change is then either in the
	// resync or in an event (if Redis is down, the resyncs catch up later)
	if _, err := pubsub.Receive(ctx); err != nil && ctx.Err() == nil {
		cs.logger.Warn("cannot subscribe to registry events in Redis yet", zap.String("redis", cs.h.URL), zap.Error(err))
	}
	msgs := pubsub.Channel() // go-redis reconnects and resubscribes by itself

	cs.resyncNow(ctx)
	close(cs.ready)
	tick := time.NewTimer(cs.interval())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			cs.apply(m.Payload)
		case <-tick.C:
			cs.resyncNow(ctx)
			tick.Reset(cs.interval())
		case <-cs.resyncSoon:
			cs.resyncNow(ctx)
			tick.Reset(cs.interval())
		}
	}
}

// interval is the time to the next resync: shorter while Redis is down,
// so its return is noticed soon.
func (cs *clusterSync) interval() time.Duration {
	if cs.down.Load() {
		return min(cs.resync, outageResyncInterval)
	}
	return cs.resync
}

// apply takes in another gateway's change. Events and resyncs run in one
// goroutine; versions order them against this gateway's own writes.
func (cs *clusterSync) apply(payload string) {
	if len(payload) > maxRedisValueBytes*4 {
		cs.warnOnce("event", "ignoring an over-long registry event from Redis", zap.Int("bytes", len(payload)))
		return
	}
	var ev registryEvent
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		cs.warnOnce("event", "ignoring an unreadable registry event from Redis", zap.Error(err))
		return
	}
	if ev.Origin == cs.origin {
		return // applied when it was made
	}
	switch ev.Op {
	case "put":
		if ev.Instance != nil {
			cs.reg.applyRemote([]remoteInstance{{
				key: redisInstanceKey(ev.Instance.Service, ev.Instance.ID), inst: *ev.Instance,
				left: time.Duration(ev.PTTL) * time.Millisecond, version: ev.V,
			}}, nil, cs)
		}
	case "del":
		if ValidateServiceName(ev.Service) != nil {
			return
		}
		cs.reg.mu.Lock()
		cs.reg.removeVersionedLocked(ev.Service, ev.IDs, ev.V)
		cs.reg.mu.Unlock()
	}
}

// callCtx bounds one Redis call, all of it (dial, write, read), by the
// client's timeout.
func (cs *clusterSync) callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), cs.h.Timeout)
}

// put writes an instance and tells the other gateways, in one script, and
// returns the version Redis gave the write.
func (cs *clusterSync) put(inst Instance) (int64, error) {
	return cs.write(inst, inst.TTL, false)
}

func (cs *clusterSync) write(inst Instance, lease time.Duration, onlyIfMissing bool) (int64, error) {
	if err := cs.h.Ready(); err != nil {
		cs.down.Store(true)
		return 0, err
	}
	value, err := json.Marshal(inst)
	if err != nil {
		return 0, err
	}
	nx := ""
	if onlyIfMissing {
		nx = "nx"
	}
	ctx, cancel := cs.callCtx()
	defer cancel()
	sent := cs.now()
	v, err := putScript.Run(ctx, cs.h.Client, []string{redisInstanceKey(inst.Service, inst.ID), redisVersionKey, redisEpochKey},
		string(value), lease.Milliseconds(), nx, redisEventsChannel, cs.origin).Int64()
	cs.failedWrite(err, sent)
	return v, err
}

// failedWrite notes how a write sent at sent went; a failed one means
// Redis is down, or restarted and not set up again yet; either way the
// sync should look now.
func (cs *clusterSync) failedWrite(err error, sent time.Time) {
	cs.h.Result(err)
	if err == nil {
		cs.answered(sent)
		return
	}
	cs.down.Store(true)
	select {
	case cs.resyncSoon <- struct{}{}:
	default:
	}
}

// del deletes instances and tells the other gateways, in one script, and
// returns the version Redis gave the deletion.
func (cs *clusterSync) del(service string, ids []string) (int64, error) {
	if err := cs.h.Ready(); err != nil {
		cs.down.Store(true)
		return 0, err
	}
	keys := make([]string, 0, len(ids)+2)
	keys = append(keys, redisVersionKey, redisEpochKey)
	for _, id := range ids {
		keys = append(keys, redisInstanceKey(service, id))
	}
	members, err := json.Marshal(registryEvent{Origin: cs.origin, Op: "del", Service: service, IDs: ids})
	if err != nil {
		return 0, err
	}
	// the event's fields without the braces; the script puts "v" first
	members = members[1 : len(members)-1]
	members = []byte(strings.TrimPrefix(string(members), `"v":0,`))
	ctx, cancel := cs.callCtx()
	defer cancel()
	sent := cs.now()
	v, err := delScript.Run(ctx, cs.h.Client, keys, redisEventsChannel, string(members)).Int64()
	cs.failedWrite(err, sent)
	return v, err
}

// resyncNow replaces the local copy with what Redis holds, after writing
// back what Redis lost, if it did. It does not hold up registrations:
// versions order it against them.
func (cs *clusterSync) resyncNow(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	wasDown := cs.down.Load()
	sent := cs.now()
	runID, err := cs.serverRunID(ctx)
	if err == nil && (cs.runID == "" || cs.runID != runID || wasDown) {
		// first contact, a restarted Redis, or the end of an outage
		err = cs.writeBack()
	}
	var snap redisSnapshot
	if err == nil {
		snap, err = cs.readAll(ctx)
		snap.restarted = cs.runID != "" && cs.runID != runID
	}
	cs.h.Result(err)
	if err != nil {
		if !wasDown && ctx.Err() == nil {
			cs.logger.Error("cannot reach Redis; routing on the last known registrations, registrations refused and leases kept until it is back",
				zap.String("redis", cs.h.URL), zap.Error(err))
		}
		cs.down.Store(true)
		return
	}
	if wasDown {
		cs.logger.Info("Redis is reachable again; registry resynced", zap.String("redis", cs.h.URL),
			zap.Int("instances", len(snap.instances)))
	}
	cs.runID = runID
	cs.reg.applyRemote(snap.instances, &snap, cs)
	cs.answered(sent)
	cs.down.Store(false)
}

// serverRunID returns the run_id of the server holding the registry: on
// a Redis Cluster, the master of the registry's slot (a slot migration or
// a failover there then counts as a restart: the write-back covers what
// the move lost).
func (cs *clusterSync) serverRunID(ctx context.Context) (string, error) {
	var node redis.Cmdable = cs.h.Client
	if cc, ok := cs.h.Client.(*redis.ClusterClient); ok {
		master, err := cc.MasterForKey(ctx, redisVersionKey)
		if err != nil {
			return "", err
		}
		node = master
	}
	info, err := node.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info, "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return id, nil
		}
	}
	return "", errors.New("INFO server has no run_id")
}

// writeBack writes every instance of the local copy that Redis lacks, with
// a fresh lease (no service could renew while Redis was unreachable), and
// gives the local copies the same fresh lease.
func (cs *clusterSync) writeBack() error {
	local := cs.reg.snapshotForWriteBack()
	// a Redis that restarted empty counts versions from 1 again: carry the
	// counter on from the highest version this gateway knows, so that
	// changes after the restart are newer than everything before it; and
	// let writes in again
	var highest int64
	for _, inst := range local {
		highest = max(highest, inst.version)
	}
	ctx, cancel := cs.callCtx()
	err := setUpScript.Run(ctx, cs.h.Client, []string{redisVersionKey, redisEpochKey}, highest).Err()
	cancel()
	if err != nil {
		return err
	}
	written := 0
	for _, inst := range local {
		v, err := cs.write(inst, inst.TTL, true)
		if err != nil {
			return err
		}
		if v > 0 {
			written++
			cs.reg.renewedByWriteBack(inst, v)
		}
	}
	if written > 0 {
		cs.logger.Info("wrote the registrations this gateway knows back to Redis (where missing)",
			zap.String("redis", cs.h.URL), zap.Int("instances", written))
	}
	return nil
}

// redisSnapshot is the registry as read from Redis: every entry written
// with a version up to version is in it (or was deleted or expired).
type redisSnapshot struct {
	version   int64
	instances []remoteInstance
	// seq is the local change counter when the snapshot began: a local
	// entry made no later than it was in Redis before the snapshot was read
	seq uint64
	// restarted: Redis restarted since the last good resync, so its
	// version counter started again and the local versions mean nothing
	restarted bool
}

// readAll reads every instance in Redis with its remaining lease. Entries
// that are not strings, are over maxRedisValueBytes or do not parse are
// skipped and logged once per key; they never stop the resync.
func (cs *clusterSync) readAll(ctx context.Context) (redisSnapshot, error) {
	snap := redisSnapshot{seq: cs.reg.changeSeq()}
	// the counter first: every write up to it is in what SCAN finds
	v, err := cs.h.Client.Get(ctx, redisVersionKey).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		var rerr redis.Error
		if !errors.As(err, &rerr) && !errors.Is(err, strconv.ErrSyntax) {
			return snap, err
		}
		cs.warnOnce(redisVersionKey, "the registry's version counter in Redis is not a number; ignoring it", zap.Error(err))
	}
	snap.version = v

	var keys []string
	err = redisconn.Scan(ctx, cs.h.Client, redisInstancePrefix+"*", 1000, func(key string) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return snap, err
	}
	const batch = 1000
	for start := 0; start < len(keys); start += batch {
		part := keys[start:min(start+batch, len(keys))]
		got, err := cs.readBatch(ctx, part)
		if err != nil {
			return snap, err
		}
		snap.instances = append(snap.instances, got...)
	}
	return snap, nil
}

func (cs *clusterSync) readBatch(ctx context.Context, keys []string) ([]remoteInstance, error) {
	lens := make([]*redis.IntCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	_, err := cs.h.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			lens[i] = p.StrLen(ctx, k)
			ttls[i] = p.PTTL(ctx, k)
		}
		return nil
	})
	if err != nil && !redisconn.IsReply(err) {
		return nil, err
	}
	gets := make([]*redis.StringCmd, len(keys))
	_, err = cs.h.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			n, err := lens[i].Result()
			switch {
			case err != nil:
				cs.warnOnce(k, "skipping a key in Redis that is not a registration (not a string)", zap.String("key", k), zap.Error(err))
			case n > maxRedisValueBytes:
				cs.warnOnce(k, "skipping an over-long registration value in Redis", zap.String("key", k), zap.Int64("bytes", n))
			case n > 0:
				gets[i] = p.Get(ctx, k)
			}
		}
		return nil
	})
	if err != nil && !redisconn.IsReply(err) {
		return nil, err
	}
	out := make([]remoteInstance, 0, len(keys))
	for i, k := range keys {
		if gets[i] == nil {
			continue
		}
		value, err := gets[i].Result()
		if err != nil {
			continue // expired or replaced between the two rounds
		}
		inst, version, err := parseRedisValue(value)
		if err != nil {
			cs.warnOnce(k, "skipping an unreadable registration in Redis", zap.String("key", k), zap.Error(err))
			continue
		}
		left, _ := ttls[i].Result()
		if left < 0 { // -1: no expiry
			left = 0
		}
		out = append(out, remoteInstance{key: k, inst: inst, left: left, version: version})
	}
	return out, nil
}

// parseRedisValue reads a registration value: {"v":N,"instance":{...}}, or
// a bare instance as an earlier release wrote it (version 0).
func parseRedisValue(value string) (Instance, int64, error) {
	// decoded in one pass (redisValue's *Instance would decode the
	// instance a second time, in Instance.UnmarshalJSON)
	var rv struct {
		V        int64         `json:"v"`
		Instance *instanceJSON `json:"instance"`
	}
	if err := json.Unmarshal([]byte(value), &rv); err == nil && rv.Instance != nil {
		var inst Instance
		if err := rv.Instance.to(&inst); err != nil {
			return Instance{}, 0, err
		}
		return inst, rv.V, nil
	}
	var inst Instance
	if err := json.Unmarshal([]byte(value), &inst); err != nil {
		return Instance{}, 0, err
	}
	return inst, 0, nil
}

// warnOnce logs a problem with a key the first time it is seen.
func (cs *clusterSync) warnOnce(key, msg string, fields ...zap.Field) {
	cs.logOnce.Lock()
	defer cs.logOnce.Unlock()
	if cs.warned[key] {
		return
	}
	if len(cs.warned) >= maxWarnedKeys {
		clear(cs.warned)
	}
	cs.warned[key] = true
	cs.logger.Warn(msg, fields...)
}

// remoteInstance is an instance as another gateway (or Redis) has it, with
// the key it was read from, the lease it has left (0: none) and the
// version of the write that made it.
type remoteInstance struct {
	key     string
	inst    Instance
	left    time.Duration
	version int64
}

// snapshotForWriteBack returns copies of the local instances.
func (r *Registry) snapshotForWriteBack() []Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Instance, 0, r.count)
	for _, instances := range r.services {
		for _, inst := range instances {
			out = append(out, inst.clone())
		}
	}
	return out
}

// renewedByWriteBack gives the local copy of inst the fresh lease and the
// version it was written back to Redis with, if it is still the same entry.
func (r *Registry) renewedByWriteBack(inst Instance, version int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.services[inst.Service][inst.ID]
	if cur == nil || cur.version != inst.version || cur.Address != inst.Address {
		return
	}
	cur.version = version
	if cur.TTL > 0 {
		cur.ExpiresAt = r.clock.Now().Add(cur.TTL)
		r.leases.moved(cur)
		r.scheduleLocked(cur.ExpiresAt)
	}
}

// newerLocked reports whether a change of service/id with this version is
// newer than everything this gateway knows of that instance.
func (r *Registry) newerLocked(service, id string, version int64) bool {
	if version <= r.versionFloor {
		return false
	}
	return r.newerThanKnownLocked(service, id, version)
}

// newerThanKnownLocked is newerLocked without the resync floor: for what a
// resync reads, which is as new as the floor it sets.
func (r *Registry) newerThanKnownLocked(service, id string, version int64) bool {
	if cur := r.services[service][id]; cur != nil && cur.version >= version {
		return false
	}
	if deleted, ok := r.tombstones[service+"/"+id]; ok && deleted.version >= version {
		return false
	}
	return true
}

// tombstone remembers a deletion in cluster mode until a resync covers it.
type tombstone struct {
	version int64
	seq     uint64
}

// changeSeq returns the local change counter.
func (r *Registry) changeSeq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}

// removeVersionedLocked applies a deletion with a version: an entry newer
// than it stays; a later, older write of the same instance is refused.
func (r *Registry) removeVersionedLocked(service string, ids []string, version int64) int {
	if r.tombstones == nil {
		r.tombstones = map[string]tombstone{}
	}
	r.seq++
	var gone []string
	for _, id := range ids {
		key := service + "/" + id
		if version > r.tombstones[key].version {
			r.tombstones[key] = tombstone{version: version, seq: r.seq}
		}
		if cur := r.services[service][id]; cur != nil && cur.version < version {
			gone = append(gone, id)
		}
	}
	return r.removeIDsLocked(service, gone)
}

// validRemote checks an instance read from Redis (or an event) as the
// registration API checks its input, against policy.
func validRemote(ri remoteInstance, policy *addrpolicy.Policy) (Registration, error) {
	reg := ri.inst.registration()
	if err := reg.Normalize(); err != nil {
		return reg, err
	}
	if ri.key != redisInstanceKey(reg.Service, reg.ID) {
		return reg, fmt.Errorf("the key %q does not name the instance's service %q and id %q", ri.key, reg.Service, reg.ID)
	}
	if _, err := netip.ParseAddrPort(reg.Address); err == nil {
		// names are checked, resolved, before every health probe
		if _, err := policy.Check(context.Background(), reg.Address, reg.Origin); err != nil {
			return reg, err
		}
	}
	return reg, nil
}

// applyChunk is how many entries of a resync are applied per hold of the
// registry's lock: registrations and the request path's route updates wait
// for one chunk at most, never for a whole resync.
const applyChunk = 1000

// checkedRemote is an entry from Redis that passed validRemote.
type checkedRemote struct {
	reg Registration
	ri  *remoteInstance
}

// applyRemote takes in instances from Redis or another gateway. With a
// snapshot version (a resync), they are the whole registry as of that
// version: local instances written no later and not among them go.
//
// Everything that needs no registry state (parsing, validation, the address
// policy) is done before taking the lock; the rest is done a chunk at a
// time. Nothing else applies remote changes meanwhile (events and resyncs
// run in one goroutine), and local writes are ordered by their versions and
// change counts, so applying in chunks ends where applying at once would.
func (r *Registry) applyRemote(list []remoteInstance, snapshot *redisSnapshot, cs *clusterSync) {
	r.mu.Lock()
	policy := r.settings.Policy
	r.mu.Unlock()
	checked := make([]checkedRemote, 0, len(list))
	var seen map[string]struct{}
	if snapshot != nil {
		seen = make(map[string]struct{}, len(list))
	}
	for i := range list {
		ri := &list[i]
		reg, err := validRemote(*ri, policy)
		if err == nil && snapshot != nil && ri.version > snapshot.version {
			// written after the counter was read (its event follows), or a
			// forged version that would hold off every later write
			err = fmt.Errorf("version %d is ahead of the registry's counter %d", ri.version, snapshot.version)
		}
		if err != nil {
			var refused *addrpolicy.RefusedError
			if errors.As(err, &refused) {
				err = refused
			}
			cs.warnOnce(ri.key, "ignoring a registration in Redis that this gateway does not accept",
				zap.String("key", ri.key), zap.Error(err))
			continue
		}
		if seen != nil {
			seen[ri.key] = struct{}{}
		}
		checked = append(checked, checkedRemote{reg: reg, ri: ri})
	}

	if snapshot != nil {
		r.mu.Lock()
		r.beginSnapshotLocked(snapshot)
		r.mu.Unlock()
	}
	for start := 0; start < len(checked); start += applyChunk {
		r.mu.Lock()
		changed := map[string]bool{}
		for _, c := range checked[start:min(start+applyChunk, len(checked))] {
			if r.applyOneLocked(c, snapshot != nil, cs) {
				changed[c.reg.Service] = true
			}
		}
		r.publishSetLocked(changed)
		r.mu.Unlock()
		if applyChunkHook != nil {
			applyChunkHook()
		}
	}
	if snapshot != nil {
		r.endSnapshot(snapshot, seen)
	}
}

// applyChunkHook, when set by a test, runs between two chunks of an
// applyRemote, with the lock released.
var applyChunkHook func()

// beginSnapshotLocked prepares for a resync's snapshot.
func (r *Registry) beginSnapshotLocked(snapshot *redisSnapshot) {
	if snapshot.restarted {
		// Redis counts versions from 1 again: what Redis holds now is the
		// truth, whatever version this gateway had for it
		for _, instances := range r.services {
			for _, inst := range instances {
				inst.version = 0
			}
		}
		clear(r.tombstones)
		r.versionFloor = 0
	}
	// a deletion this gateway saw before the snapshot began is in the
	// snapshot already (a forged one, with a made-up version, is not: the
	// snapshot undoes it)
	for k, t := range r.tombstones {
		if t.seq <= snapshot.seq {
			delete(r.tombstones, k)
		}
	}
}

// applyOneLocked takes in one checked entry and reports whether its
// service's routes changed.
func (r *Registry) applyOneLocked(c checkedRemote, fromSnapshot bool, cs *clusterSync) bool {
	reg, ri := c.reg, c.ri
	cur := r.services[reg.Service][reg.ID]
	if fromSnapshot && !r.newerThanKnownLocked(reg.Service, reg.ID, ri.version) ||
		!fromSnapshot && !r.newerLocked(reg.Service, reg.ID, ri.version) {
		return false // this gateway has this write, or a newer change, already
	}
	if cur == nil && (len(r.services[reg.Service]) >= r.settings.MaxPerService || r.count >= r.settings.MaxInstances) {
		cs.warnOnce(ri.key, "ignoring a registration in Redis: this gateway's registry is at its cap (max_instances, max_instances_per_service)",
			zap.String("key", ri.key))
		return false
	}
	inst := reg.instance(ri.inst.RegisteredAt, ri.inst.RenewedAt)
	inst.version = ri.version
	if ri.left > 0 {
		inst.ExpiresAt = r.clock.Now().Add(ri.left)
	}
	carryHealth(cur, inst)
	r.putLocked(inst)
	return routeChanged(cur, inst)
}

// endSnapshot removes what the snapshot shows gone, a chunk of services at
// a time: what this gateway held before the snapshot began was in Redis
// then, so if the snapshot lacks it, it is gone (deleted, expired, or never
// really there: a forged event). Then it raises the version floor.
func (r *Registry) endSnapshot(snapshot *redisSnapshot, seen map[string]struct{}) {
	var key []byte
	after := ""
	for more := true; more; {
		r.mu.Lock()
		var names []string
		names, more = r.namesAfterLocked(after, listChunkServices)
		changed := map[string]bool{}
		for _, service := range names {
			for _, id := range slices.Clone(r.order[service]) {
				inst := r.services[service][id]
				key = append(append(append(append(key[:0], redisInstancePrefix...), service...), '/'), id...)
				if _, ok := seen[string(key)]; !ok && inst.seq <= snapshot.seq {
					r.removeLocked(inst)
					changed[service] = true
				}
			}
		}
		r.publishSetLocked(changed)
		r.mu.Unlock()
		if len(names) > 0 {
			after = names[len(names)-1]
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.versionFloor = max(r.versionFloor, snapshot.version)
	for k, t := range r.tombstones {
		if t.version <= r.versionFloor {
			delete(r.tombstones, k)
		}
	}
}

// errBackendDown is answered with 503 while Redis cannot be written.
func errBackendDown(err error) error {
	return &registryError{kind: ErrBackendDown,
		msg: fmt.Sprintf("the registry's Redis backend is unavailable (%v); nothing was changed, try again", err)}
}
