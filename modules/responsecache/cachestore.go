package responsecache

import (
	"context"
	"net/http"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/httpcache"
)

// cacheStore is the state of response_cache handlers with the same
// max_size, max_item_size and backend: their stored responses and their
// flights of coalesced requests. stores (state.go) holds it, reference
// counted, so it survives a config reload that keeps those settings.
type cacheStore struct {
	mem     *httpcache.Store
	flights httpcache.Flights
	shared  *sharedCache // nil without backend redis
	logger  *zap.Logger
	// inflight is the bytes kept of responses being fetched, not yet
	// stored (by every cacheWriter of the store): at most max_size/2
	inflight atomic.Int64
	// halfMax is max_size/2, the bound of inflight plus mem.Held()
	halfMax int64
}

func newCacheStore(maxBytes uint64, redis *caddykit.RedisConfig, logger *zap.Logger) (*cacheStore, error) {
	s := &cacheStore{mem: httpcache.NewStore(maxBytes, nil), logger: logger, halfMax: int64(maxBytes / 2)}
	if redis.Configured() {
		sh, err := newSharedCache(*redis, s, logger)
		if err != nil {
			s.mem.Close()
			return nil, err
		}
		s.shared = sh
	}
	return s, nil
}

// Destruct frees the store when the last config using it is gone.
func (s *cacheStore) Destruct() error {
	if s.shared != nil {
		s.shared.close()
	}
	s.mem.PurgeAll()
	s.mem.Close()
	return nil
}

// lookup finds a stored variant for the request; keyFound tells whether
// anything is stored under the key. With a shared backend, a local miss
// asks Redis, unless what the store's entries pin after leaving it (hits
// to slow clients) has spent the in-flight half of max_size: what Redis
// holds would be stored past the bound, as a fetch would not.
func (s *cacheStore) lookup(ctx context.Context, key string, req http.Header) (e *httpcache.Entry, keyFound bool) {
	if e, found := s.mem.LookupKey(key, req); e != nil || found || s.shared == nil {
		return e, found
	}
	if s.mem.Held()+s.inflight.Load() >= s.halfMax {
		return nil, false
	}
	if s.shared.fetch(ctx, key) {
		return s.mem.LookupKey(key, req)
	}
	return nil, false
}

// put stores an entry and shares it. An entry the store refuses (a key
// over httpcache.MaxKeyBytes, a fetch that began before a purge) is not
// shared either.
func (s *cacheStore) put(key string, e *httpcache.Entry) {
	if s.mem.Put(key, e) && s.shared != nil {
		s.shared.publish(key, e)
	}
}

// invalidate drops a URL's entries here (and in the other gateways).
func (s *cacheStore) invalidate(url string) int {
	n := s.mem.InvalidateURL(url)
	if s.shared != nil {
		s.shared.purge(purgeURL, url)
	}
	return n
}

// cacheResult labels the cache metric.
