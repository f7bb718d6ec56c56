package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Cluster mode of the registry: `service_registry { backend redis <url> }`.
//
// Redis holds the registrations, one key per instance with the lease as the
// key's expiry, so Redis does the expiring. Each gateway keeps its own copy
// in memory (the request path still reads the local snapshot, never Redis)
// and keeps it current three ways:
//
//   - every write is a MULTI of the key and a PUBLISH on one channel, which
//     every gateway applies as it arrives;
//   - leases expire locally at the same moment as in Redis (the remaining
//     time travels with each change, so clocks need not agree);
//   - a full resync every resync interval (SCAN and PTTL) heals anything a
//     gateway missed, e.g. while it was disconnected.
//
// Registrations answer 503 while Redis is unreachable; routing goes on with
// the last copy. When Redis comes back empty (restarted without persistence;
// its run_id changed) or after an outage, each gateway first writes back what
// it knows (SET NX, with the remaining leases), then resyncs, so nothing is
// lost that any gateway still had.

const (
	redisInstancePrefix = "caddy_gateway:registry:instance:" // + service + "/" + id
	redisEventsChannel  = "caddy_gateway:registry:events"
	// DefaultResyncInterval is how often a gateway reads the whole registry
	// from Redis in cluster mode.
	DefaultResyncInterval = 10 * time.Second
)

func redisInstanceKey(service, id string) string { return redisInstancePrefix + service + "/" + id }

// registryEvent is what gateways publish to each other.
type registryEvent struct {
	Origin   string    `json:"origin"`
	Op       string    `json:"op"` // "put" or "del"
	Instance *Instance `json:"instance,omitempty"`
	PTTL     int64     `json:"pttl_ms,omitempty"` // the lease left, in ms; 0: none
	Service  string    `json:"service,omitempty"`
	IDs      []string  `json:"ids,omitempty"`
}

// redisRegistry keeps a Registry in step with Redis.
type redisRegistry struct {
	reg    *Registry
	h      *redisHandle
	logger *zap.Logger
	origin string // this process, so it can skip its own events
	resync time.Duration

	stop chan struct{}
	done chan struct{}

	// owned by the run goroutine
	runID       string // of the Redis server at the last good resync
	unreachable bool   // a resync failed since the last good one
}

func newRedisRegistry(reg *Registry, h *redisHandle, resync time.Duration, logger *zap.Logger) *redisRegistry {
	var b [8]byte
	_, _ = rand.Read(b[:])
	if resync <= 0 {
		resync = DefaultResyncInterval
	}
	return &redisRegistry{reg: reg, h: h, logger: logger, origin: hex.EncodeToString(b[:]), resync: resync,
		stop: make(chan struct{}), done: make(chan struct{})}
}

func (rr *redisRegistry) start() { go rr.run() }

// halt stops the sync and waits for it.
func (rr *redisRegistry) halt() {
	close(rr.stop)
	<-rr.done
}

func (rr *redisRegistry) run() {
	defer close(rr.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-rr.stop
		cancel()
	}()
	pubsub := rr.h.client.Subscribe(ctx, redisEventsChannel)
	defer pubsub.Close()
	// subscribed before the first resync: a change is then either in the
	// resync or in an event (if Redis is down, the resyncs catch up later)
	if _, err := pubsub.Receive(ctx); err != nil && ctx.Err() == nil {
		rr.logger.Warn("cannot subscribe to registry events in Redis yet", zap.String("redis", rr.h.url), zap.Error(err))
	}
	msgs := pubsub.Channel() // go-redis reconnects and resubscribes by itself

	rr.resyncNow(ctx)
	tick := time.NewTicker(rr.resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			rr.apply(m.Payload)
		case <-tick.C:
			rr.resyncNow(ctx)
		}
	}
}

// apply takes in another gateway's change. Events and resyncs run in one
// goroutine, so an event published during a resync is applied after it.
func (rr *redisRegistry) apply(payload string) {
	var ev registryEvent
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		rr.logger.Warn("ignoring an unreadable registry event from Redis", zap.Error(err))
		return
	}
	if ev.Origin == rr.origin {
		return // applied when it was made
	}
	switch ev.Op {
	case "put":
		if ev.Instance != nil {
			rr.reg.applyRemote([]remoteInstance{{inst: *ev.Instance, left: time.Duration(ev.PTTL) * time.Millisecond}}, false)
		}
	case "del":
		rr.reg.removeRemote(ev.Service, ev.IDs)
	}
}

// put writes an instance and tells the other gateways, in one transaction.
func (rr *redisRegistry) put(ctx context.Context, inst Instance) error {
	value, err := json.Marshal(inst)
	if err != nil {
		return err
	}
	ev, err := json.Marshal(registryEvent{Origin: rr.origin, Op: "put", Instance: &inst, PTTL: inst.TTL.Milliseconds()})
	if err != nil {
		return err
	}
	_, err = rr.h.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, redisInstanceKey(inst.Service, inst.ID), value, inst.TTL) // 0: no expiry
		p.Publish(ctx, redisEventsChannel, ev)
		return nil
	})
	return err
}

// del deletes instances and tells the other gateways, in one transaction.
func (rr *redisRegistry) del(ctx context.Context, service string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = redisInstanceKey(service, id)
	}
	ev, err := json.Marshal(registryEvent{Origin: rr.origin, Op: "del", Service: service, IDs: ids})
	if err != nil {
		return err
	}
	_, err = rr.h.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, keys...)
		p.Publish(ctx, redisEventsChannel, ev)
		return nil
	})
	return err
}

// resyncNow replaces the local copy with what Redis holds, after writing
// back what Redis lost, if it did.
func (rr *redisRegistry) resyncNow(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// no local write may slip between reading Redis and replacing the copy
	rr.reg.writeMu.Lock()
	defer rr.reg.writeMu.Unlock()

	runID, err := rr.serverRunID(ctx)
	if err == nil && (rr.runID == "" || rr.runID != runID || rr.unreachable) {
		// first contact, a restarted Redis, or the end of an outage
		err = rr.writeBack(ctx)
	}
	var instances []remoteInstance
	if err == nil {
		instances, err = rr.readAll(ctx)
	}
	if err != nil {
		if !rr.unreachable && ctx.Err() == nil {
			rr.logger.Error("cannot reach Redis; routing on the last known registrations, registrations refused until it is back",
				zap.String("redis", rr.h.url), zap.Error(err))
		}
		rr.unreachable = true
		return
	}
	if rr.unreachable {
		rr.logger.Info("Redis is reachable again; registry resynced", zap.String("redis", rr.h.url),
			zap.Int("instances", len(instances)))
	}
	rr.unreachable, rr.runID = false, runID
	rr.reg.applyRemote(instances, true)
}

func (rr *redisRegistry) serverRunID(ctx context.Context) (string, error) {
	info, err := rr.h.client.Info(ctx, "server").Result()
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
// the lease it has left.
func (rr *redisRegistry) writeBack(ctx context.Context) error {
	local := rr.reg.remaining()
	if len(local) == 0 {
		return nil
	}
	_, err := rr.h.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, ri := range local {
			value, err := json.Marshal(ri.inst)
			if err != nil {
				return err
			}
			p.SetNX(ctx, redisInstanceKey(ri.inst.Service, ri.inst.ID), value, ri.left)
		}
		return nil
	})
	if err == nil {
		rr.logger.Info("wrote the registrations this gateway knows back to Redis (where missing)",
			zap.String("redis", rr.h.url), zap.Int("instances", len(local)))
	}
	return err
}

// readAll reads every instance in Redis with its remaining lease.
func (rr *redisRegistry) readAll(ctx context.Context) ([]remoteInstance, error) {
	var keys []string
	iter := rr.h.client.Scan(ctx, 0, redisInstancePrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	gets := make([]*redis.StringCmd, len(keys))
	ttls := make([]*redis.DurationCmd, len(keys))
	_, err := rr.h.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			gets[i] = p.Get(ctx, k)
			ttls[i] = p.PTTL(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]remoteInstance, 0, len(keys))
	for i := range keys {
		value, err := gets[i].Result()
		if err != nil {
			continue // expired between SCAN and GET
		}
		var inst Instance
		if err := json.Unmarshal([]byte(value), &inst); err != nil {
			rr.logger.Warn("ignoring an unreadable registration in Redis", zap.String("key", keys[i]), zap.Error(err))
			continue
		}
		left, _ := ttls[i].Result()
		if left < 0 { // -1: no expiry
			left = 0
		}
		out = append(out, remoteInstance{inst: inst, left: left})
	}
	return out, nil
}

// remoteInstance is an instance as another gateway (or Redis) has it, with
// the lease it has left (0: none).
type remoteInstance struct {
	inst Instance
	left time.Duration
}

// remaining returns the local instances with the lease each has left.
func (r *Registry) remaining() []remoteInstance {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	var out []remoteInstance
	for _, instances := range r.services {
		for _, inst := range instances {
			ri := remoteInstance{inst: inst.clone()}
			if !inst.ExpiresAt.IsZero() {
				if ri.left = inst.ExpiresAt.Sub(now); ri.left <= 0 {
					continue
				}
			}
			out = append(out, ri)
		}
	}
	return out
}

// applyRemote takes in instances from Redis or another gateway. With all,
// they are the whole registry: local instances not among them go.
func (r *Registry) applyRemote(list []remoteInstance, all bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	changed := map[string]bool{}
	seen := map[string]map[string]bool{}
	for _, ri := range list {
		reg := Registration{Service: ri.inst.Service, ID: ri.inst.ID, Address: ri.inst.Address, TTL: ri.inst.TTL,
			Metadata: ri.inst.Metadata, HealthPath: ri.inst.HealthPath}
		if err := reg.Normalize(); err != nil {
			r.logger.Warn("ignoring an invalid registration from Redis", zap.String("service", ri.inst.Service),
				zap.String("id", ri.inst.ID), zap.Error(err))
			continue
		}
		if seen[reg.Service] == nil {
			seen[reg.Service] = map[string]bool{}
		}
		seen[reg.Service][reg.ID] = true
		inst := &Instance{Service: reg.Service, ID: reg.ID, Address: reg.Address, TTL: reg.TTL, Metadata: reg.Metadata,
			HealthPath: reg.HealthPath, RegisteredAt: ri.inst.RegisteredAt, RenewedAt: ri.inst.RenewedAt}
		if ri.left > 0 {
			inst.ExpiresAt = now.Add(ri.left)
		}
		carryHealth(r.services[reg.Service][reg.ID], inst)
		if old := r.putLocked(inst); old == nil || old.Address != inst.Address || old.health != inst.health {
			changed[reg.Service] = true
		}
	}
	if all {
		for service, instances := range r.services {
			for id, inst := range instances {
				if !seen[service][id] {
					r.removeLocked(inst)
					changed[service] = true
				}
			}
		}
	}
	r.publishSetLocked(changed)
}

// removeRemote takes in another gateway's deregistration.
func (r *Registry) removeRemote(service string, ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeIDsLocked(service, ids)
}

// errBackendDown is answered with 503 while Redis cannot be written.
func errBackendDown(err error) error {
	return apiErrorf(503, "the registry's Redis backend is unavailable (%v); nothing was changed, try again", err)
}
