// Package gcra is the rate limiter engine behind the throttle handler: the
// Generic Cell Rate Algorithm, the token bucket written as one timestamp per
// key and rate, in a sharded table bounded in memory.
//
// It knows nothing of HTTP or Caddy. Times are nanoseconds on the caller's
// monotonic clock.
package gcra

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

const (
	shards       = 64
	minShardKeys = 16
	// SweepInterval is how often a zone drops the buckets that are full
	// again, so idle keys cost nothing.
	SweepInterval = time.Minute
	// how many keys a full shard samples to find one to drop
	evictionSamples = 8
)

// Rate is a rate in the form GCRA uses it.
type Rate struct {
	Interval  int64 // ns between two requests at the rate
	Tolerance int64 // ns of burst: burst * interval
	Burst     int
	Window    int64 // whole seconds to refill the burst, for headers
}

// NewRate returns the rate of events per window with a burst (0: events).
// The caller has checked that the window is positive, events and burst at
// least 1, and that burst*interval fits an int64.
func NewRate(events int, window time.Duration, burst int) Rate {
	if burst == 0 {
		burst = events
	}
	interval := int64(window) / int64(events)
	return Rate{
		Interval:  interval,
		Tolerance: interval * int64(burst),
		Burst:     burst,
		Window:    int64(math.Ceil(float64(interval*int64(burst)) / float64(time.Second))),
	}
}

// Zone is the buckets of one zone: for each key and rate, the theoretical
// arrival time (TAT) of the next request. A bucket whose TAT is not after
// now is full.
type Zone struct {
	rates  []Rate
	seed   maphash.Seed
	shards []shard
	mask   uint64
	now    func() int64
	stop   chan struct{}
}

type shard struct {
	mu   sync.Mutex
	tats []map[string]int64 // one map per rate, same keys in each
	max  int
	// no bucket of the shard is full before nextFull (a lower bound): until
	// then a sweep would find nothing to drop
	nextFull int64
	// keep shards on cache lines of their own (two, for the adjacent-line
	// prefetcher), so cores locking different shards do not share a line
	_ [128 - 48]byte
}

// NewZone returns a zone tracking at most maxKeys keys; it sweeps full
// buckets every SweepInterval (reading the time from now) until Close.
func NewZone(rates []Rate, maxKeys int, now func() int64) *Zone {
	n := shards
	for n > 1 && maxKeys/n < minShardKeys {
		n /= 2
	}
	z := &Zone{rates: rates, seed: maphash.MakeSeed(), shards: make([]shard, n), mask: uint64(n - 1),
		now: now, stop: make(chan struct{})}
	for i := range z.shards {
		z.shards[i].max = max(1, maxKeys/n)
		z.shards[i].tats = make([]map[string]int64, len(rates))
		for j := range rates {
			z.shards[i].tats[j] = make(map[string]int64)
		}
	}
	go z.sweepLoop()
	return z
}

// Rates returns the zone's rates.
func (z *Zone) Rates() []Rate { return z.rates }

// Take decides one request for key at now. If every rate allows it, it is
// counted against every rate; otherwise nothing changes and wait is how long
// until it would be allowed. tats receives each rate's TAT afterwards.
func (z *Zone) Take(key string, now int64, tats []int64) (allowed bool, wait int64) {
	s := &z.shards[maphash.String(z.seed, key)&z.mask]
	s.mu.Lock()
	allowed = true
	_, known := s.tats[0][key]
	var fullAt int64
	for i, r := range z.rates {
		tat := max(s.tats[i][key], now)
		next := tat + r.Interval
		if over := next - now - r.Tolerance; over > 0 {
			allowed = false
			wait = max(wait, over)
		}
		tats[i] = next
		fullAt = max(fullAt, next)
	}
	if !allowed {
		// nothing is consumed: report every rate as it stands
		for i := range z.rates {
			tats[i] = s.tats[i][key]
		}
	} else {
		if known || len(s.tats[0]) < s.max || s.makeRoom(now, z.rates) {
			for i := range z.rates {
				s.tats[i][key] = tats[i]
			}
		}
		if fullAt < s.nextFull {
			s.nextFull = fullAt
		}
	}
	s.mu.Unlock()
	return allowed, wait
}

// makeRoom frees one place in a full shard and reports whether it did.
// Buckets that are full again go first: they carry no information. When
// there is none, the fullest of a few keys sampled at random goes (map
// iteration starts at a random place); that key starts over with a full
// bucket if it comes back. A key that is being limited (its next request
// would be refused) is never dropped: if every sampled key is, nothing is,
// and the new key goes uncounted for now (its first request passes, as it
// would with a fresh bucket). So a flood of new keys cannot free a limited
// client.
func (s *shard) makeRoom(now int64, rates []Rate) bool {
	if now >= s.nextFull {
		s.sweep(now)
		if len(s.tats[0]) < s.max {
			return true
		}
	}
	victim, victimFull, n := "", int64(math.MaxInt64), 0
	for k := range s.tats[0] {
		n++
		if !s.limited(k, now, rates) {
			fullAt := int64(0)
			for _, m := range s.tats {
				fullAt = max(fullAt, m[k])
			}
			if fullAt < victimFull {
				victim, victimFull = k, fullAt
			}
		}
		if n >= evictionSamples {
			break
		}
	}
	if victim == "" {
		return false
	}
	s.drop(victim)
	return true
}

// limited reports whether key's next request would be refused now.
func (s *shard) limited(key string, now int64, rates []Rate) bool {
	for i, r := range rates {
		if max(s.tats[i][key], now)+r.Interval-now > r.Tolerance {
			return true
		}
	}
	return false
}

// sweep drops every full bucket and computes nextFull for the rest.
func (s *shard) sweep(now int64) {
	next := int64(math.MaxInt64)
	for k := range s.tats[0] {
		fullAt := int64(0)
		for _, m := range s.tats {
			fullAt = max(fullAt, m[k])
		}
		if fullAt <= now {
			s.drop(k)
		} else if fullAt < next {
			next = fullAt
		}
	}
	s.nextFull = next
}

func (s *shard) drop(k string) {
	for _, m := range s.tats {
		delete(m, k)
	}
}

func (z *Zone) sweepLoop() {
	tick := time.NewTicker(SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-z.stop:
			return
		case <-tick.C:
			z.Sweep()
		}
	}
}

// Sweep drops the buckets that are full again, in every shard where some
// can be.
func (z *Zone) Sweep() {
	now := z.now()
	for i := range z.shards {
		s := &z.shards[i]
		s.mu.Lock()
		if now >= s.nextFull {
			s.sweep(now)
		}
		s.mu.Unlock()
	}
}

// Keys returns the number of keys tracked (for monitoring).
func (z *Zone) Keys() int {
	n := 0
	for i := range z.shards {
		z.shards[i].mu.Lock()
		n += len(z.shards[i].tats[0])
		z.shards[i].mu.Unlock()
	}
	return n
}

// Close stops the sweeper.
func (z *Zone) Close() { close(z.stop) }
