package responsecache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/httpcache"
	"github.com/caddygateway/caddy-gateway/internal/redisconn"
)

// In cluster mode (backend redis) a response_cache shares what it stores
// through Redis, under one hash tag ({caddy-gateway:cache}, so the scripts
// below touch one hash slot and would run on a Redis Cluster too):
//
//	{caddy-gateway:cache}:e:<sha256(key)>    hash: variant -> entry (JSON), expiring with its last variant
//	{caddy-gateway:cache}:u:<sha256(url)>    set of entry keys stored for a URL
//	{caddy-gateway:cache}:t:<sha256(tag)>    set of entry keys stored with a tag
//	{caddy-gateway:cache}:gen                the purge generation: raised by every purge
//	{caddy-gateway:cache}:gen:all            the generation of the last purge of everything
//	{caddy-gateway:cache}:gen:u:<sha256(url)> ... of the last purge of a URL (for an hour)
//	{caddy-gateway:cache}:gen:t:<sha256(tag)> ... of a tag (for an hour)
//
// and purges through the pub/sub channel caddy-gateway:cache:purge, which
// every gateway listens to and applies to its memory. Responses are always
// served from memory: Redis is asked on a local miss, written after a store
// (in the background, dropped when Redis is slow), and a gateway that
// cannot reach it goes on alone.
//
// A purge wins over every store that began before it, on every gateway: a
// purge raises the generation (to at least Redis's clock in milliseconds,
// so it never goes back, even after Redis lost it) and records it for its
// scope, atomically with dropping the scope's entries; a publish carries
// the generation its gateway knew when the response's fetch began, and the
// publish script writes only when no scope of the entry (everything, its
// URL, its tags) was purged at a later generation. A gateway knows the
// generation from Redis's answers and the purge messages, each noted with
// the local time it arrived: what it knew at a time is at most what the
// generation was then, so a publish is never let through by a purge it
// did not see. Readers also compare: an entry of a generation older than
// the last purge of everything (in the moment between that purge's raise
// and its sweep) is not taken, and a gateway's memory refuses what was
// read from Redis before a purge it applied since.
const (
	// RedisPrefix starts every key the shared cache writes in Redis (one
	// hash slot, so its scripts run on a Redis Cluster too).
	RedisPrefix         = "{caddy-gateway:cache}:"
	cacheRedisChannel   = "caddy-gateway:cache:purge"
	sharedQueueLength   = 256
	maxSharedEntryBytes = 64 << 20
	// publishHorizon: a stored response whose fetch began longer ago is
	// not shared (the generations of URLs and tags are kept longer than
	// this, scopeGenerationTTL, so a late publish still meets them).
	publishHorizon     = 10 * time.Minute
	scopeGenerationTTL = time.Hour
)

type purgeKind string

const (
	purgeURL purgeKind = "url"
	purgeTag purgeKind = "tag"
	purgeAll purgeKind = "all"
)

// sharedCache is a cacheStore's link to Redis.
type sharedCache struct {
	h      *caddykit.RedisHandle
	store  *cacheStore
	logger *zap.Logger
	queue  chan func(context.Context)
	purges pendingPurges
	cancel context.CancelFunc
	done   chan struct{}
	gens   generations
}

// maxPendingPurges bounds the purges waiting for Redis; past it they fold
// into one purge of everything (over-purging is safe, losing one is not).
const maxPendingPurges = 4096

// pendingPurges are the purges (an unsafe method's invalidations, the
// admin API's background ones) that have not reached Redis yet. Unlike
// publishes, which may be dropped (the entry just stays local), a purge is
// kept until Redis has taken it, retried every second while Redis fails,
// so no other gateway keeps serving what this one invalidated.
type pendingPurges struct {
	mu   sync.Mutex
	set  map[purgeMessage]struct{} // kind and arg; Gen unused
	all  bool
	wake chan struct{}
	// failing: the last try failed (read and written by the worker only)
	failing bool
	// retry pokes the worker a second after a failed try: one timer,
	// re-armed (by the worker only), however many purges fail
	retry *time.Timer
}

// add records a purge and wakes the worker.
func (p *pendingPurges) add(kind purgeKind, arg string) {
	p.hold(kind, arg)
	p.poke()
}

// hold records a purge without waking the worker: a failed one, which the
// retry timer brings back (waking the worker at once would have it try
// again at once, in a loop, while Redis is down).
func (p *pendingPurges) hold(kind purgeKind, arg string) {
	p.mu.Lock()
	if kind == purgeAll || len(p.set) >= maxPendingPurges {
		p.all, p.set = true, nil
	} else if !p.all {
		if p.set == nil {
			p.set = map[purgeMessage]struct{}{}
		}
		p.set[purgeMessage{Kind: kind, Arg: arg}] = struct{}{}
	}
	p.mu.Unlock()
}

func (p *pendingPurges) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// take hands the pending purges to the worker.
func (p *pendingPurges) take() (all bool, set map[purgeMessage]struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	all, set = p.all, p.set
	p.all, p.set = false, nil
	return all, set
}

// purgeMessage is what goes over the purge channel.
type purgeMessage struct {
	Kind purgeKind `json:"kind"`
	Arg  string    `json:"arg,omitempty"`
	Gen  int64     `json:"gen,omitempty"` // the purge's generation
}

// sharedEntry is an entry as stored in Redis.
type sharedEntry struct {
	Key          string        `json:"key"`
	URL          string        `json:"url"`
	Status       int           `json:"status"`
	Header       http.Header   `json:"header"`
	Body         []byte        `json:"body"`
	RequestTime  time.Time     `json:"request_time"`
	ResponseTime time.Time     `json:"response_time"`
	Lifetime     time.Duration `json:"lifetime"`
	Retain       time.Duration `json:"retain"`
	VaryKey      string        `json:"vary_key"`
	Gen          int64         `json:"gen"` // the generation known when its fetch began
}

// generations is what a gateway knows of the purge generation: values
// noted with the local time they were known at, increasing.
type generations struct {
	mu  sync.Mutex
	obs []generationAt
}

type generationAt struct {
	at  time.Time
	gen int64
}

// maxGenerations bounds the generations remembered; a fetch that began
// before the oldest is not shared.
const maxGenerations = 1024

// observe notes that the generation is at least gen now.
func (g *generations) observe(gen int64) {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(g.obs); n > 0 && gen <= g.obs[n-1].gen {
		return
	}
	g.obs = append(g.obs, generationAt{now, gen})
	// keep the newest noted before the horizon: it answers for fetches
	// that began since
	drop := 0
	for drop+1 < len(g.obs) && now.Sub(g.obs[drop+1].at) > publishHorizon {
		drop++
	}
	drop = max(drop, len(g.obs)-maxGenerations)
	if drop > 0 {
		g.obs = append(g.obs[:0], g.obs[drop:]...)
	}
}

// at is the generation known at t, if one was.
func (g *generations) at(t time.Time) (int64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := sort.Search(len(g.obs), func(i int) bool { return g.obs[i].at.After(t) })
	if i == 0 {
		return 0, false
	}
	return g.obs[i-1].gen, true
}

// raiseGeneration is the start of every purge script: KEYS[1] is the
// generation, which goes to at least Redis's time in milliseconds.
const raiseGeneration = `
local t = redis.call('TIME')
local g = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + 1, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local gs = string.format('%.0f', g)
redis.call('SET', KEYS[1], gs)
`

var (
	// publishScript: KEYS gen, gen:all, gen:u:<url>, entry, url set, then
	// per tag gen:t:<tag>, tag set; ARGV the publish's generation, the
	// variant's field, the entry, its time to live in ms. It writes unless
	// a scope was purged at a later generation; it answers {written, gen}.
	publishScript = redis.NewScript(`
local g0 = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local function purged(k)
  local v = redis.call('GET', k)
  return v and tonumber(v) > g0
end
if purged(KEYS[2]) or purged(KEYS[3]) then return {0, cur} end
for i = 6, #KEYS, 2 do
  if purged(KEYS[i]) then return {0, cur} end
end
local ttl = tonumber(ARGV[4])
local function keep(k)
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
keep(KEYS[4])
redis.call('SADD', KEYS[5], KEYS[4])
keep(KEYS[5])
for i = 7, #KEYS, 2 do
  redis.call('SADD', KEYS[i], KEYS[4])
  keep(KEYS[i])
end
return {1, cur}
`)
	// purgeScopeScript: KEYS gen, gen:u|t:<arg>, the URL's or tag's set;
	// ARGV the scope generation's time to live in ms. It raises the
	// generation, records it for the scope and drops the scope's entries;
	// it answers {gen, entries dropped}.
	purgeScopeScript = redis.NewScript(raiseGeneration + `
redis.call('SET', KEYS[2], gs, 'PX', ARGV[1])
local members = redis.call('SMEMBERS', KEYS[3])
local n = 0
for i = 1, #members, 500 do
  n = n + redis.call('UNLINK', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('UNLINK', KEYS[3])
return {g, n}
`)
	// purgeAllScript: KEYS gen, gen:all. It raises the generation and
	// records it for everything (the entries are swept after); it answers
	// the generation.
	purgeAllScript = redis.NewScript(raiseGeneration + `
redis.call('SET', KEYS[2], gs)
return g
`)
	// fetchScript: KEYS gen, gen:all, entry. It answers {gen, gen:all,
	// the entry's variants}.
	fetchScript = redis.NewScript(`
return {redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[2]) or '0', redis.call('HGETALL', KEYS[3])}
`)
)

var (
	genKey    = RedisPrefix + "gen"
	genAllKey = RedisPrefix + "gen:all"
)

func newSharedCache(rc caddykit.RedisConfig, s *cacheStore, logger *zap.Logger) (*sharedCache, error) {
	h, err := rc.Connect()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc := &sharedCache{h: h, store: s, logger: logger, queue: make(chan func(context.Context), sharedQueueLength),
		cancel: cancel, done: make(chan struct{})}
	sc.purges.wake = make(chan struct{}, 1)
	sc.readGeneration(ctx) // what is stored from now on can be shared
	go sc.run(ctx)
	return sc, nil
}

// readGeneration asks Redis for the generation.
func (sc *sharedCache) readGeneration(ctx context.Context) {
	_ = sc.call(ctx, func(ctx context.Context) error {
		g, err := sc.h.Client.Get(ctx, genKey).Int64()
		if errors.Is(err, redis.Nil) {
			g, err = 0, nil
		}
		if err == nil {
			sc.gens.observe(g)
		}
		return err
	})
}

// close stops the background work and lets go of the client.
func (sc *sharedCache) close() {
	sc.cancel()
	<-sc.done
	sc.h.Release()
}

// run applies the other gateways' purges and does the queued writes.
func (sc *sharedCache) run(ctx context.Context) {
	defer close(sc.done)
	defer func() {
		if sc.purges.retry != nil {
			sc.purges.retry.Stop()
		}
	}()
	pubsub := sc.h.Client.Subscribe(ctx, cacheRedisChannel)
	defer pubsub.Close()
	msgs := pubsub.Channel() // go-redis reconnects and resubscribes by itself
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			var pm purgeMessage
			if len(m.Payload) > 64<<10 || json.Unmarshal([]byte(m.Payload), &pm) != nil {
				sc.logger.Warn("ignoring an unreadable purge message from Redis")
				continue
			}
			if pm.Gen > 0 {
				sc.gens.observe(pm.Gen) // published after the raise
			}
			sc.purgeLocal(pm)
		case job := <-sc.queue:
			job(ctx)
		case <-sc.purges.wake:
			sc.runPurges(ctx)
		}
	}
}

// runPurges sends the pending purges to Redis; what fails is kept and
// tried again a second later.
func (sc *sharedCache) runPurges(ctx context.Context) {
	all, set := sc.purges.take()
	failed := false
	if all {
		if _, err := sc.purgeNow(ctx, purgeAll, "", nil); err != nil {
			sc.purges.hold(purgeAll, "")
			failed = true
		}
	}
	for pm := range set {
		if _, err := sc.purgeNow(ctx, pm.Kind, pm.Arg, nil); err != nil {
			sc.purges.hold(pm.Kind, pm.Arg)
			failed = true
		}
	}
	if failed && ctx.Err() == nil {
		if !sc.purges.failing {
			sc.logger.Warn("purges cannot reach Redis; trying again every second (the other gateways keep their copies until then)")
		}
		if sc.purges.retry == nil {
			sc.purges.retry = time.AfterFunc(time.Second, sc.purges.poke)
		} else {
			sc.purges.retry.Reset(time.Second)
		}
	} else if !failed && sc.purges.failing {
		sc.logger.Info("the purges held while Redis failed have reached it")
	}
	sc.purges.failing = failed
}

// purgeLocal applies a purge to this gateway's memory.
func (sc *sharedCache) purgeLocal(pm purgeMessage) {
	switch pm.Kind {
	case purgeURL:
		sc.store.mem.InvalidateURL(pm.Arg)
	case purgeTag:
		sc.store.mem.PurgeTag(pm.Arg)
	case purgeAll:
		sc.store.mem.PurgeAll()
	}
}

// enqueue hands a publish to the background; when the queue is full
// (Redis slow or down) it is dropped: the entry stays local. (Purges do not
// go through here: see pendingPurges.)
func (sc *sharedCache) enqueue(job func(context.Context)) {
	select {
	case sc.queue <- job:
	default:
	}
}

func hashKey(kind, s string) string {
	sum := sha256.Sum256([]byte(s))
	return RedisPrefix + kind + ":" + hex.EncodeToString(sum[:16])
}

// call runs one Redis call under the backoff and the timeout.
func (sc *sharedCache) call(ctx context.Context, f func(context.Context) error) error {
	if err := sc.h.Ready(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sc.h.Timeout*4)
	defer cancel()
	err := f(ctx)
	sc.h.Result(err)
	return err
}

// publish writes a stored entry to Redis, in the background, unless a
// purge that covers it came after its fetch began (e.RequestTime).
func (sc *sharedCache) publish(key string, e *httpcache.Entry) {
	if e.Size() > maxSharedEntryBytes {
		return
	}
	began := e.RequestTime
	se := sharedEntry{Key: key, URL: e.URL, Status: e.Status, Header: e.Header, Body: e.Body,
		RequestTime: e.RequestTime, ResponseTime: e.ResponseTime, Lifetime: e.Lifetime, Retain: e.Retain, VaryKey: e.VaryKey}
	tags := e.Tags
	sc.enqueue(func(ctx context.Context) {
		if time.Since(began) > publishHorizon {
			return
		}
		gen, known := sc.gens.at(began)
		if !known { // Redis was not reached yet when the fetch began
			sc.readGeneration(ctx)
			return
		}
		se.Gen = gen
		b, err := json.Marshal(se)
		if err != nil {
			return
		}
		ttl := e.TTL(time.Now()) + e.Retain
		if ttl <= 0 {
			return
		}
		ekey := hashKey("e", key)
		keys := []string{genKey, genAllKey, hashKey("gen:u", se.URL), ekey, hashKey("u", se.URL)}
		for _, t := range tags {
			keys = append(keys, hashKey("gen:t", t), hashKey("t", t))
		}
		ms := (ttl.Round(time.Second) + time.Second).Milliseconds()
		var res []int64
		err = sc.call(ctx, func(ctx context.Context) error {
			var err error
			res, err = publishScript.Run(ctx, sc.h.Client, keys, gen, hashKey("v", se.VaryKey), b, ms).Int64Slice()
			return err
		})
		if err != nil || len(res) != 2 {
			sc.logger.Debug("cannot share a stored response through Redis", zap.String("redis", sc.h.URL), zap.Error(err))
			return
		}
		sc.gens.observe(res[1])
		if res[0] == 0 {
			// a purge came after its fetch began: it goes here too, even
			// if this gateway missed the purge's message
			sc.store.mem.Remove(key, e)
			sc.logger.Debug("not sharing a response fetched before a purge")
		}
	})
}

// fetch asks Redis for the variants stored under key and puts them in
// memory; it tells whether there were any.
func (sc *sharedCache) fetch(ctx context.Context, key string) bool {
	began := time.Now()
	var res []any
	err := sc.call(ctx, func(ctx context.Context) error {
		var err error
		res, err = fetchScript.Run(ctx, sc.h.Client, []string{genKey, genAllKey, hashKey("e", key)}).Slice()
		return err
	})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			sc.logger.Debug("cannot read shared responses from Redis", zap.String("redis", sc.h.URL), zap.Error(err))
		}
		return false
	}
	if len(res) != 3 {
		return false
	}
	gen, _ := strconv.ParseInt(asString(res[0]), 10, 64)
	genAll, _ := strconv.ParseInt(asString(res[1]), 10, 64)
	sc.gens.observe(gen)
	fields, _ := res[2].([]any)
	found := false
	for i := 1; i < len(fields); i += 2 {
		v := asString(fields[i])
		var se sharedEntry
		if len(v) > maxSharedEntryBytes*2 || json.Unmarshal([]byte(v), &se) != nil || se.Key != key ||
			se.Status < 200 || se.Status > 599 || se.Header == nil || se.Gen < genAll {
			continue
		}
		e := httpcache.NewEntry(se.Status, se.Header, se.Body, se.RequestTime, se.ResponseTime)
		e.Lifetime, e.Retain, e.URL, e.VaryKey = se.Lifetime, se.Retain, se.URL, se.VaryKey
		// read before a purge this gateway applied since: not taken
		if sc.store.mem.PutSince(key, e, began) {
			found = true
		}
	}
	return found
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// purge drops entries from Redis and tells every gateway (this one too) to
// drop them from memory, in the background, and never drops the purge:
// it waits in pendingPurges until Redis has taken it.
func (sc *sharedCache) purge(kind purgeKind, arg string) {
	sc.purges.add(kind, arg)
}

// purgeNow is purge, waiting for Redis; it returns the number of shared
// entries dropped. It raises the purge generation first, so that no
// publish that began before lands after. (The message published is made
// here, with the generation; the last argument is not used.)
func (sc *sharedCache) purgeNow(ctx context.Context, kind purgeKind, arg string, _ []byte) (int, error) {
	n := 0
	var gen int64
	err := sc.call(ctx, func(ctx context.Context) error {
		c := sc.h.Client
		switch kind {
		case purgeURL, purgeTag:
			scope := map[purgeKind]string{purgeURL: "u", purgeTag: "t"}[kind]
			res, err := purgeScopeScript.Run(ctx, c, []string{genKey, hashKey("gen:"+scope, arg), hashKey(scope, arg)},
				scopeGenerationTTL.Milliseconds()).Int64Slice()
			if err != nil {
				return err
			}
			if len(res) == 2 {
				gen, n = res[0], int(res[1])
			}
		case purgeAll:
			g, err := purgeAllScript.Run(ctx, c, []string{genKey, genAllKey}).Int64()
			if err != nil {
				return err
			}
			gen = g
			// the entries and sets; a publish after the raise is refused,
			// a read between it and the sweep is dropped by the reader
			var batch []string
			err = redisconn.Scan(ctx, c, RedisPrefix+"[eut]:*", 1000, func(key string) error {
				batch = append(batch, key)
				if len(batch) < 1000 {
					return nil
				}
				m, err := c.Unlink(ctx, batch...).Result()
				n += int(m)
				batch = batch[:0]
				return err
			})
			if err != nil {
				return err
			}
			if len(batch) > 0 {
				m, err := c.Unlink(ctx, batch...).Result()
				if err != nil {
					return err
				}
				n += int(m)
			}
		}
		sc.gens.observe(gen)
		msg, _ := json.Marshal(purgeMessage{Kind: kind, Arg: arg, Gen: gen})
		return c.Publish(ctx, cacheRedisChannel, msg).Err()
	})
	return n, err
}
