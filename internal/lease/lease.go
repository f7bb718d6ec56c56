// Package lease makes rate-limit decisions at local speed against a shared
// store: each gateway leases a share of a key's allowance from the store
// (Redis, in one atomic script) and spends it locally, so a hot key costs
// one store call per share rather than one per request.
//
// # Scheme
//
// The store keeps the key's GCRA state (one theoretical arrival time per
// rate, as gcra.RedisZone does, in the same keys and units, so exact and
// leased gateways can share a zone). A lease call takes up to Share tokens,
// as Share requests at once would: granted only if every rate has room for
// them, and no more than there is room for. The gateway spends the tokens
// on the key's next requests for at most TTL. What is left then goes back
// with the next lease call for the key, or with the sweep that drops idle
// keys, but only if the key's state in the store is still what this
// gateway's grant left (no grant or return since) and only the tokens whose
// slots are still ahead of the store's clock: then taking them back leaves
// exactly the state as if they had never been granted. Otherwise they
// expire unspent, as the bucket refills. When the store grants nothing, the
// answer says how long until a whole share fits again, and the gateway
// refuses the key locally until then, so a key hammered far over its limit
// costs about one store call per gateway per share, too.
//
// # Bound
//
// The store's state is always that of the GCRA having admitted the tokens
// granted and not taken back, and every request admitted spends one of
// them, so over a long run the gateways together admit at most the limit.
// A token is spent at most TTL after the store granted it, and each gateway
// holds at most one share per key, so over any interval the gateways
// together admit at most what one exact limiter would, plus min(N × Share,
// rate × TTL) + 1, whatever N, the number of gateways. A gateway that stops
// (a crash, a reload that drops the table) loses its unspent tokens: the
// key is under-admitted by at most Share until the bucket refills, never
// over-admitted. Times that decide are the store's (Redis's TIME); a
// gateway's own clock only measures TTL and refusal waits relative to
// itself, so clock skew between gateways changes nothing; a gateway's clock
// running slow lengthens its TTL by the same factor.
//
// # Store failures
//
// A store error is the caller's to handle (throttle's on_error), with one
// exception: a key whose last store answer left it no room (a wait before
// another share fits: a key being held to its limit) stays refused, once
// its tokens are spent, while the store cannot be asked (Take answers
// "refused, wait TTL" instead of the error), and its entry is not dropped,
// until the store answers for it again. So an outage (or a flood of new keys timing the store out) never
// releases a key that was being refused: on_error applies only to keys
// this gateway knows nothing against. Those entries are bounded by MaxKeys
// like any other.
//
// Memory is bounded: at most MaxKeys keys (sharded maps); a key that does
// not fit while every tracked key still holds state is decided by one
// store call without being tracked, so the bound never costs correctness.
package lease

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/gcra"
)

// Store is where the allowance lives.
type Store interface {
	// Lease gives back give unspent tokens of key and takes up to want
	// more. gaveAt is each rate's theoretical arrival time (store clock)
	// right after the grant the given tokens came from: the store takes
	// them back only if the key's state is still that (no other grant or
	// return since), and only as many as are still ahead of its clock, so
	// that a return never credits what the bucket has refilled meanwhile
	// or what another gateway took on top. It reports how many were
	// granted (0 to want), how long (ns) until want more would fit after
	// this call (0 if they fit now), the store's time (ns), and each
	// rate's theoretical arrival time after the call, on the store's
	// clock, in tats.
	Lease(ctx context.Context, key string, give int64, gaveAt []int64, want int64, tats []int64) (granted, wait, now int64, err error)
}

// Returner is a Store that can give back many keys' unspent tokens in one
// round trip (the sweep uses it when the store has it), under the same
// condition as Lease's give.
type Returner interface {
	Return(ctx context.Context, keys []string, counts []int64, gaveAt [][]int64) error
}

// Defaults.
const (
	DefaultTTL = time.Second
	// DefaultShareDivisor: a share is the smallest burst / 20 (at least 1),
	// so N gateways hold at most N/20 of a burst unspent.
	DefaultShareDivisor = 20
	shards              = 64
	minShardKeys        = 16
	evictionSamples     = 8
	// the most tokens a sweep returns in one round trip
	returnBatch = 256
)

// Config configures a Table.
type Config struct {
	Rates []gcra.Rate
	// Tokens taken per lease call. Default: the smallest burst / 20, at
	// least 1; at most the smallest burst.
	Share int64
	// How long a gateway may spend a lease. Default: 1s.
	TTL time.Duration
	// The most keys tracked. Required.
	MaxKeys int
	// The gateway's monotonic clock, ns. Required.
	Now func() int64
}

// DefaultShare is the share for rates when none is configured.
func DefaultShare(rates []gcra.Rate) int64 {
	return max(1, int64(minBurst(rates))/DefaultShareDivisor)
}

func minBurst(rates []gcra.Rate) int {
	b := rates[0].Burst
	for _, r := range rates[1:] {
		b = min(b, r.Burst)
	}
	return b
}

// Table is one gateway's leases for one zone.
type Table struct {
	store  Store
	rates  []gcra.Rate
	share  int64
	ttl    int64
	now    func() int64
	seed   maphash.Seed
	shards []shard
	mask   uint64
	// failing: the store's last answer (to any key) was an error; while it
	// is, refused keys are kept (see idle)
	failing atomic.Bool
}

type shard struct {
	mu  sync.Mutex
	m   map[string]*entry
	max int
	_   [128 - 24]byte // a cache line pair of its own
}

// entry is one key's lease on this gateway.
type entry struct {
	tokens  int64 // granted and not yet spent
	expires int64 // local ns: tokens are not spent from then on
	until   int64 // local ns: with no tokens, the key is refused until then
	// each rate's TAT on the local clock after the last grant, counting
	// the tokens still held as spent (for the RateLimit header)
	tats []int64
	// each rate's TAT on the store's clock right after the last grant
	granted []int64
	flight  chan struct{} // a lease call under way; closed when it is done
	// refused: the store's last answer for the key left no room for
	// another share (a wait); once the tokens are spent, while the store
	// fails, the key stays refused (not released by on_error)
	refused bool
}

// New returns a table of leases in store.
func New(store Store, c Config) *Table {
	n := shards
	for n > 1 && c.MaxKeys/n < minShardKeys {
		n /= 2
	}
	t := &Table{store: store, rates: c.Rates, share: c.Share, ttl: int64(c.TTL), now: c.Now,
		seed: maphash.MakeSeed(), shards: make([]shard, n), mask: uint64(n - 1)}
	if t.share <= 0 {
		t.share = DefaultShare(c.Rates)
	}
	t.share = min(t.share, int64(minBurst(c.Rates)))
	if t.ttl <= 0 {
		t.ttl = int64(DefaultTTL)
	}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*entry)
		t.shards[i].max = max(1, c.MaxKeys/n)
	}
	return t
}

// Share is the tokens taken per lease call.
func (t *Table) Share() int64 { return t.share }

// TTL is how long a lease is spent.
func (t *Table) TTL() time.Duration { return time.Duration(t.ttl) }

// Take decides one request for key: allowed or not, how long (ns) to wait
// when not, and the local time of the decision. tats receives each rate's
// theoretical arrival time on the local clock (for headers). A store error
// is returned as is, with nothing decided; the tokens being returned in
// that call are lost (under-admission, never over-admission).
func (t *Table) Take(ctx context.Context, key string, tats []int64) (allowed bool, wait, now int64, err error) {
	s := &t.shards[maphash.String(t.seed, key)&t.mask]
	now = t.now()
	s.mu.Lock()
	e := s.m[key]
	for e != nil {
		if ok, decided, w := t.decide(e, now, tats); decided {
			s.mu.Unlock()
			return ok, w, now, nil
		}
		ch := e.flight
		if ch == nil {
			break
		}
		// another request of this gateway is leasing: wait for its answer
		// rather than calling the store too, and look again (its share may
		// be spent by then, and a next call under way: one call per key at
		// a time, or two grants overwrite each other and tokens are lost)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false, 0, now, ctx.Err()
		}
		now = t.now()
		s.mu.Lock()
		e = s.m[key]
	}
	if e == nil {
		if len(s.m) >= s.max && !s.makeRoom(now, t.failing.Load()) {
			s.mu.Unlock()
			return t.untracked(ctx, key, tats)
		}
		both := make([]int64, 2*len(t.rates))
		e = &entry{tats: both[:len(t.rates):len(t.rates)], granted: both[len(t.rates):]}
		s.m[key] = e
	}
	give := e.tokens
	e.tokens = 0
	ch := make(chan struct{})
	e.flight = ch
	s.mu.Unlock()

	// e.granted is read by the store call outside the lock: only the
	// request holding the flight writes it
	granted, w, storeNow, err := t.store.Lease(ctx, key, give, e.granted, t.share, tats)

	s.mu.Lock()
	e.flight = nil
	close(ch)
	now = t.now()
	if err != nil {
		t.failing.Store(true)
		if e.refused {
			// the store refused this key and cannot be asked again: it
			// stays refused (on_error is for keys nothing is known against)
			t.report(e, tats)
			s.mu.Unlock()
			return false, t.ttl, now, nil
		}
		e.until = 0
		s.mu.Unlock()
		return false, 0, now, err
	}
	t.answered()
	e.refused = w > 0
	e.tokens = granted
	e.expires = now + t.ttl
	e.until = now + w
	for i := range tats {
		e.granted[i] = tats[i]
		e.tats[i] = now + tats[i] - storeNow
	}
	allowed = granted > 0
	if allowed {
		e.tokens--
		w = 0
	}
	t.report(e, tats)
	s.mu.Unlock()
	return allowed, w, now, nil
}

// answered notes a store answer: it is reachable again.
func (t *Table) answered() {
	if t.failing.Load() {
		t.failing.Store(false)
	}
}

// decide answers from the lease alone when it can.
func (t *Table) decide(e *entry, now int64, tats []int64) (allowed, decided bool, wait int64) {
	if e.tokens > 0 && now < e.expires {
		e.tokens--
		t.report(e, tats)
		return true, true, 0
	}
	if e.tokens == 0 && now < e.until {
		t.report(e, tats)
		return false, true, e.until - now
	}
	return false, false, 0
}

// report writes each rate's TAT as the key's client sees it: the store's
// at the last grant, less the tokens this gateway still holds.
func (t *Table) report(e *entry, tats []int64) {
	for i, r := range t.rates {
		tats[i] = e.tats[i] - e.tokens*r.Interval
	}
}

// untracked decides a key the full table has no room for: one store call
// for one token, as exact mode does.
func (t *Table) untracked(ctx context.Context, key string, tats []int64) (bool, int64, int64, error) {
	granted, w, storeNow, err := t.store.Lease(ctx, key, 0, nil, 1, tats)
	now := t.now()
	if err != nil {
		t.failing.Store(true)
		return false, 0, now, err
	}
	t.answered()
	for i := range tats {
		tats[i] = now + tats[i] - storeNow
	}
	return granted > 0, w, now, nil
}

// Held reports the tokens held unspent for key (for tests and monitoring).
func (t *Table) Held(key string) int64 {
	s := &t.shards[maphash.String(t.seed, key)&t.mask]
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[key]; e != nil {
		return e.tokens
	}
	return 0
}

// idle reports whether the entry decides nothing any more: no lease call
// under way, and its lease over (with tokens) or its refusal over
// (without), unless the store refused it and is failing (then the refusal
// is all there is to hold the key back).
func (e *entry) idle(now int64, failing bool) bool {
	if e.flight != nil || e.refused && failing {
		return false
	}
	if e.tokens > 0 {
		return now >= e.expires
	}
	return now >= e.until
}

// makeRoom frees one place in a full shard: an entry that decides nothing
// any more (no live lease, no refusal pending) goes; its unspent tokens
// are lost to this gateway (the store gets them back by the TTL's end at
// the latest as the GCRA refills). Reports whether it freed one.
func (s *shard) makeRoom(now int64, failing bool) bool {
	n := 0
	for k, e := range s.m {
		if e.idle(now, failing) {
			delete(s.m, k)
			return true
		}
		if n++; n >= evictionSamples {
			break
		}
	}
	return false
}

// Sweep drops the keys whose lease has ended and whose refusal is over,
// returning their unspent tokens to the store (in batches, when the store
// is a Returner). Call it about every TTL.
func (t *Table) Sweep(ctx context.Context) error {
	now := t.now()
	failing := t.failing.Load()
	var keys []string
	var counts []int64
	var at [][]int64
	ret, canReturn := t.store.(Returner)
	var firstErr error
	flush := func() {
		if len(keys) > 0 && canReturn {
			if err := ret.Return(ctx, keys, counts, at); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		keys, counts, at = keys[:0], counts[:0], at[:0]
	}
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if !e.idle(now, failing) {
				continue
			}
			if e.tokens > 0 {
				keys = append(keys, k)
				counts = append(counts, e.tokens)
				at = append(at, e.granted)
			}
			delete(s.m, k)
		}
		s.mu.Unlock()
		if len(keys) >= returnBatch {
			flush()
		}
	}
	flush()
	return firstErr
}

// Keys is the number of keys tracked.
func (t *Table) Keys() int {
	n := 0
	for i := range t.shards {
		t.shards[i].mu.Lock()
		n += len(t.shards[i].m)
		t.shards[i].mu.Unlock()
	}
	return n
}

// ReturnAll gives every unspent token back (when the table is retired,
// e.g. the zone's last config unloaded) and forgets every key.
func (t *Table) ReturnAll(ctx context.Context) error {
	var keys []string
	var counts []int64
	var at [][]int64
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if e.tokens > 0 {
				keys = append(keys, k)
				counts = append(counts, e.tokens)
				at = append(at, e.granted)
			}
			delete(s.m, k)
		}
		s.mu.Unlock()
	}
	ret, ok := t.store.(Returner)
	if !ok || len(keys) == 0 {
		return nil
	}
	for len(keys) > 0 {
		n := min(len(keys), returnBatch)
		if err := ret.Return(ctx, keys[:n], counts[:n], at[:n]); err != nil {
			return err
		}
		keys, counts, at = keys[n:], counts[n:], at[n:]
	}
	return nil
}
