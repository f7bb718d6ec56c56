package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/httpcache"
)

// In cluster mode (backend redis) a response_cache shares what it stores
// through Redis:
//
//	caddy-gateway:cache:e:<sha256(key)>   hash: variant -> entry (JSON), expiring with its last variant
//	caddy-gateway:cache:u:<sha256(url)>   set of entry keys stored for a URL
//	caddy-gateway:cache:t:<sha256(tag)>   set of entry keys stored with a tag
//
// and purges through the pub/sub channel caddy-gateway:cache:purge, which
// every gateway listens to and applies to its memory. Responses are always
// served from memory: Redis is asked on a local miss, written after a store
// (in the background, dropped when Redis is slow), and a gateway that
// cannot reach it goes on alone.
const (
	cacheRedisPrefix    = "caddy-gateway:cache:"
	cacheRedisChannel   = "caddy-gateway:cache:purge"
	sharedQueueLength   = 256
	maxSharedEntryBytes = 64 << 20
)

type purgeKind string

const (
	purgeURL purgeKind = "url"
	purgeTag purgeKind = "tag"
	purgeAll purgeKind = "all"
)

// sharedCache is a cacheStore's link to Redis.
type sharedCache struct {
	h      *redisHandle
	store  *cacheStore
	logger *zap.Logger
	queue  chan func(context.Context)
	cancel context.CancelFunc
	done   chan struct{}
}

// purgeMessage is what goes over the purge channel.
type purgeMessage struct {
	Kind purgeKind `json:"kind"`
	Arg  string    `json:"arg,omitempty"`
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
}

func newSharedCache(url string, s *cacheStore, logger *zap.Logger) (*sharedCache, error) {
	h, err := RedisConfig{URL: url}.connect()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc := &sharedCache{h: h, store: s, logger: logger, queue: make(chan func(context.Context), sharedQueueLength),
		cancel: cancel, done: make(chan struct{})}
	go sc.run(ctx)
	return sc, nil
}

// close stops the background work and lets go of the client.
func (sc *sharedCache) close() {
	sc.cancel()
	<-sc.done
	sc.h.release()
}

// run applies the other gateways' purges and does the queued writes.
func (sc *sharedCache) run(ctx context.Context) {
	defer close(sc.done)
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
			sc.purgeLocal(pm)
		case job := <-sc.queue:
			job(ctx)
		}
	}
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

// enqueue hands a write to the background; when the queue is full (Redis
// slow or down) it is dropped: the entry stays local.
func (sc *sharedCache) enqueue(job func(context.Context)) {
	select {
	case sc.queue <- job:
	default:
	}
}

func hashKey(kind, s string) string {
	sum := sha256.Sum256([]byte(s))
	return cacheRedisPrefix + kind + ":" + hex.EncodeToString(sum[:16])
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

// publish writes a stored entry to Redis, in the background.
func (sc *sharedCache) publish(key string, e *httpcache.Entry) {
	if e.Size() > maxSharedEntryBytes {
		return
	}
	se := sharedEntry{Key: key, URL: e.URL, Status: e.Status, Header: e.Header, Body: e.Body,
		RequestTime: e.RequestTime, ResponseTime: e.ResponseTime, Lifetime: e.Lifetime, Retain: e.Retain, VaryKey: e.VaryKey}
	sc.enqueue(func(ctx context.Context) {
		b, err := json.Marshal(se)
		if err != nil {
			return
		}
		ttl := e.TTL(time.Now()) + e.Retain
		if ttl <= 0 {
			return
		}
		ekey := hashKey("e", key)
		err = sc.call(ctx, func(ctx context.Context) error {
			p := sc.h.Client.TxPipeline()
			p.HSet(ctx, ekey, hashKey("v", e.VaryKey), b)
			expire := func(k string) {
				p.ExpireNX(ctx, k, ttl.Round(time.Second)+time.Second)
				p.ExpireGT(ctx, k, ttl.Round(time.Second)+time.Second)
			}
			expire(ekey)
			ukey := hashKey("u", e.URL)
			p.SAdd(ctx, ukey, ekey)
			expire(ukey)
			for _, t := range e.Tags {
				tkey := hashKey("t", t)
				p.SAdd(ctx, tkey, ekey)
				expire(tkey)
			}
			_, err := p.Exec(ctx)
			return err
		})
		if err != nil {
			sc.logger.Debug("cannot share a stored response through Redis", zap.String("redis", sc.h.URL), zap.Error(err))
		}
	})
}

// fetch asks Redis for the variants stored under key and puts them in
// memory; it tells whether there were any.
func (sc *sharedCache) fetch(ctx context.Context, key string) bool {
	var vals map[string]string
	err := sc.call(ctx, func(ctx context.Context) error {
		var err error
		vals, err = sc.h.Client.HGetAll(ctx, hashKey("e", key)).Result()
		return err
	})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			sc.logger.Debug("cannot read shared responses from Redis", zap.String("redis", sc.h.URL), zap.Error(err))
		}
		return false
	}
	found := false
	for _, v := range vals {
		var se sharedEntry
		if len(v) > maxSharedEntryBytes*2 || json.Unmarshal([]byte(v), &se) != nil || se.Key != key ||
			se.Status < 200 || se.Status > 599 || se.Header == nil {
			continue
		}
		e := httpcache.NewEntry(se.Status, se.Header, se.Body, se.RequestTime, se.ResponseTime)
		e.Lifetime, e.Retain, e.URL, e.VaryKey = se.Lifetime, se.Retain, se.URL, se.VaryKey
		sc.store.mem.Put(key, e)
		found = true
	}
	return found
}

// purge drops entries from Redis and tells every gateway (this one too) to
// drop them from memory. It returns the number of shared entries dropped.
func (sc *sharedCache) purge(kind purgeKind, arg string) {
	msg, _ := json.Marshal(purgeMessage{Kind: kind, Arg: arg})
	sc.enqueue(func(ctx context.Context) { _, _ = sc.purgeNow(ctx, kind, arg, msg) })
}

// purgeNow is purge, waiting for Redis.
func (sc *sharedCache) purgeNow(ctx context.Context, kind purgeKind, arg string, msg []byte) (int, error) {
	n := 0
	err := sc.call(ctx, func(ctx context.Context) error {
		c := sc.h.Client
		switch kind {
		case purgeURL, purgeTag:
			set := hashKey(map[purgeKind]string{purgeURL: "u", purgeTag: "t"}[kind], arg)
			keys, err := c.SMembers(ctx, set).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				m, err := c.Unlink(ctx, keys...).Result()
				if err != nil {
					return err
				}
				n = int(m)
			}
			if err := c.Unlink(ctx, set).Err(); err != nil {
				return err
			}
		case purgeAll:
			iter := c.Scan(ctx, 0, cacheRedisPrefix+"*", 1000).Iterator()
			var batch []string
			for iter.Next(ctx) {
				batch = append(batch, iter.Val())
				if len(batch) == 1000 {
					m, err := c.Unlink(ctx, batch...).Result()
					if err != nil {
						return err
					}
					n += int(m)
					batch = batch[:0]
				}
			}
			if err := iter.Err(); err != nil {
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
		return c.Publish(ctx, cacheRedisChannel, msg).Err()
	})
	return n, err
}
