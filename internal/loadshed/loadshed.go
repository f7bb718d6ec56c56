// Package loadshed is the engine behind the load_shed handler: per key
// (typically a service), an adaptive limit on the requests in flight,
// learned from their latency, with a short, bounded wait queue that admits
// fairly between clients and by priority when the limit is reached.
//
// The limit follows a gradient of latency, as Netflix's concurrency-limits
// (Gradient2) and Envoy's adaptive concurrency filter do: once per window,
//
//	gradient = clamp(tolerance × minLatency / windowLatency, 0.5, 1)
//	limit'   = limit × gradient + √limit
//	limit    = limit'                                     when limit' ≥ limit
//	limit    = limit × (1 − smoothing) + limit' × smoothing  otherwise
//
// so the limit grows by √limit per window (a window lasts at least one
// least latency) while latency stays within tolerance of the least latency
// seen, and shrinks smoothly when requests start queueing in the service.
// A window's latency is the mean over its clients of each client's mean
// (see [clientBuckets]), so one client cannot set it. The baseline is the
// minimum latency (as Envoy's minRTT: the least mean latency of windows
// that each cover two turnovers of the slots, so that the quick requests
// that end first while the requests in flight grow do not set it low), not Gradient2's long-term average,
// which drifts up under sustained overload and lets the limit creep with it;
// when the limit sits at its minimum and latency still exceeds the
// baseline, the service itself got slower, and the baseline is re-measured
// there (as Envoy does at minimum concurrency); and when latency stays over
// tolerance for ProbeAfter (30 s), the limit drops to its minimum for one
// window to measure the baseline again (Envoy's periodic minRTT probe, only
// when the baseline may be stale: about 1% of the requests of those 30 s
// are shed for it). A window in which the answered requests kept fewer
// than half the slots busy (their count times their mean latency over the
// window's length) does not raise the limit, so a quiet period does not
// leave a limit a spike would overrun, and slots held by requests that hang
// do not count as used.
//
// When the limit is reached, requests wait in the key's queue for at most
// MaxWait (by default half the key's least latency, see [AutoMaxWait]). A
// freed slot goes to the waiter of highest priority; among those, to the
// client with the fewest requests in flight (so as slots free, each client
// is brought towards an equal share of them, whatever it sends: one under
// its share, limit / clients, goes before one over it; slots already held
// are never taken back, so a client whose requests were admitted without
// contention and then hang holds them until they end, but when none frees
// for long the others under their share are admitted over the limit, up to
// a cap: see [Stall]), and between clients with as many,
// to the one served longest ago (round-robin; a client new to the key
// counts as served when it came); among that client's, to
// the newest (under sustained overload, the old waiters would time out
// anyway; serving the newest keeps the latency of what is admitted low).
// A client that holds its fair share of the slots and of the queue
// (QueueSize / clients) is refused at once: it cannot fill the queue. A
// full queue takes a newcomer only by pushing out a waiter of lower
// priority, or of the same priority and a client with more requests in
// flight and queued and over its equal share of the places (limit and
// QueueSize over the clients; the lowest ranked, the oldest of those); otherwise
// the newcomer is refused at once.
//
// Memory is bounded: at most MaxKeys keys (beyond, new keys share one
// overflow key until an idle key is dropped); per key, QueueSize waiters
// and one small record per client with requests in flight or queued (at
// most limit + QueueSize of them).
//
// It knows nothing of HTTP or Caddy: callers name the key, a hash of the
// client and a priority, and say when a request ends. Latencies are
// nanoseconds on the caller's monotonic clock (Config.Now).
package loadshed

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Config sets the limits. Zero fields take the defaults of [Defaults].
// Limits are per unit: the caller passes, per request, how many units the
// key has (e.g. a service's live instances), and the key's limit is the
// per-unit limit times that.
type Config struct {
	// InitialLimit is a new key's limit per unit.
	InitialLimit int
	// MinLimit and MaxLimit bound the limit per unit.
	MinLimit, MaxLimit int
	// Tolerance is how much slower than the least latency seen requests may
	// get before the limit shrinks: 1.25 means 25% slower.
	Tolerance float64
	// Smoothing (0..1] is how much of each lower estimate is taken.
	Smoothing float64
	// Window is the least time between two updates of a key's limit; an
	// update also waits for MinSamples requests and one least latency.
	Window time.Duration
	// MinSamples is the fewest requests that end in a window for it to
	// update the limit.
	MinSamples int
	// ProbeAfter is how long latency must stay over tolerance before the
	// baseline is measured again, for one window at MinLimit.
	ProbeAfter time.Duration
	// QueueSize is the most requests that wait per key; negative: none
	// wait.
	QueueSize int
	// MaxWait is the longest a request waits for a slot. Zero: automatic,
	// a fraction of the key's least latency (see [AutoMaxWait]).
	MaxWait time.Duration
	// MaxKeys is the most keys tracked.
	MaxKeys int
	// Now is the clock, in nanoseconds (monotonic). Default: time since
	// the engine was made.
	Now func() int64
}

// Defaults are the settings a zero Config field takes.
var Defaults = Config{
	InitialLimit: 20,
	MinLimit:     4,
	MaxLimit:     1000,
	Tolerance:    1.25,
	Smoothing:    0.2,
	Window:       100 * time.Millisecond,
	MinSamples:   10,
	ProbeAfter:   30 * time.Second,
	QueueSize:    100,
	MaxWait:      0, // automatic
	MaxKeys:      1000,
}

// AutoMaxWait is how long a request may wait for a slot when
// Config.MaxWait is zero: Factor times the key's least latency, from Min to
// Max; Unmeasured until a latency is measured. Half the least latency
// (measured in TestMaxWaitChoice: it lets a light client's request wait
// for the next slots its fair share gives it, and adds at most half a
// request's time to what is admitted).
var AutoMaxWait = struct {
	Factor               float64
	Min, Max, Unmeasured time.Duration
}{0.5, 5 * time.Millisecond, 250 * time.Millisecond, 50 * time.Millisecond}

// Stall is when a key whose slots are all taken counts as stalled, and
// what it may then admit over its limit. A key is stalled when none of the
// slots within its limit has freed for Factor times its least latency (at
// least Min; Min while no latency is measured): under normal saturation
// slots free about limit / latency times a second, so that long without one
// means the requests that hold them hang (a hung endpoint, a client that
// got every slot while there was no contention and never finishes). While
// it is stalled, a client under its fair share of the limit (limit /
// clients with requests in flight or waiting) is admitted over the limit,
// on arrival or when its wait ends, until the requests in flight reach Cap
// times the limit: that bounds what goes to the service. Once a slot within
// the limit frees again, the limit applies as before.
var Stall = struct {
	Factor float64
	Min    time.Duration
	Cap    float64
}{10, time.Second, 2}

// Errors Acquire returns.
var (
	// ErrQueueFull: the limit was reached and the queue was full (or the
	// request was pushed out of it by one that ranks higher).
	ErrQueueFull = errors.New("loadshed: limit reached and queue full")
	// ErrMaxWait: the request waited MaxWait without getting a slot.
	ErrMaxWait = errors.New("loadshed: no slot within the longest wait")
)

// OverflowKey is the key of the shared limit used by new keys while
// MaxKeys keys are tracked.
const OverflowKey = "(overflow)"

// idleDrop is how long a key must have been unused (nothing in flight or
// waiting) before a new key may take its place when MaxKeys are tracked.
const idleDrop = time.Minute

// Limiter holds the keys' limits. It is safe for concurrent use.
type Limiter struct {
	cfg      atomic.Pointer[Config]
	keys     sync.Map // string -> *keyState
	nkeys    atomic.Int64
	overflow *keyState
	addMu    sync.Mutex // serialises adding and dropping keys
}

// New returns a Limiter with cfg (zero fields take the defaults).
func New(cfg Config) *Limiter {
	l := &Limiter{}
	l.Reconfigure(cfg)
	l.overflow = l.newKey(OverflowKey)
	return l
}

// Reconfigure applies new settings at once: learned limits and least
// latencies are kept, clamped to the new bounds now, as are the requests in
// flight (their Done counts as before). Without cfg.Now the clock in use
// is kept: every time the engine holds (windows, admissions, the tickets
// in flight) is on it, and a new clock starting at zero froze each key's
// learning (its window seemed to start in the future) for as long as the
// engine had run, and made the tickets in flight end before they began.
func (l *Limiter) Reconfigure(cfg Config) {
	if prev := l.cfg.Load(); prev != nil && cfg.Now == nil {
		cfg.Now = prev.Now
	}
	c := withDefaults(cfg)
	l.cfg.Store(&c)
	clamp := func(k *keyState) {
		k.mu.Lock()
		k.limit = min(max(k.limit, float64(c.MinLimit)), float64(c.MaxLimit))
		if k.probeStart != 0 {
			k.probeLimit = min(max(k.probeLimit, float64(c.MinLimit)), float64(c.MaxLimit))
		}
		// a lower limit may leave waiters no slot; a higher one frees
		// slots for them now
		k.dispatchLocked(&c)
		k.mu.Unlock()
	}
	l.keys.Range(func(_, v any) bool {
		clamp(v.(*keyState))
		return true
	})
	if l.overflow != nil {
		clamp(l.overflow)
	}
}

func withDefaults(cfg Config) Config {
	d := Defaults
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&cfg.InitialLimit, d.InitialLimit)
	set(&cfg.MinLimit, d.MinLimit)
	set(&cfg.MaxLimit, d.MaxLimit)
	set(&cfg.MinSamples, d.MinSamples)
	set(&cfg.MaxKeys, d.MaxKeys)
	set(&cfg.QueueSize, d.QueueSize)
	if cfg.QueueSize < 0 {
		cfg.QueueSize = 0
	}
	if cfg.Tolerance < 1 {
		cfg.Tolerance = d.Tolerance
	}
	if cfg.Smoothing <= 0 || cfg.Smoothing > 1 {
		cfg.Smoothing = d.Smoothing
	}
	if cfg.Window <= 0 {
		cfg.Window = d.Window
	}
	if cfg.ProbeAfter <= 0 {
		cfg.ProbeAfter = d.ProbeAfter
	}
	if cfg.MaxWait < 0 {
		cfg.MaxWait = 0
	}
	cfg.MinLimit = max(cfg.MinLimit, 1)
	cfg.MaxLimit = max(cfg.MaxLimit, cfg.MinLimit)
	cfg.InitialLimit = min(max(cfg.InitialLimit, cfg.MinLimit), cfg.MaxLimit)
	if cfg.Now == nil {
		start := time.Now()
		cfg.Now = func() int64 { return int64(time.Since(start)) }
	}
	return cfg
}

// Config returns the settings in use.
func (l *Limiter) Config() Config { return *l.cfg.Load() }

// Request says who a request is from.
type Request struct {
	// Key is the limit the request counts against.
	Key string
	// Client is a hash of who sent it.
	Client uint64
	// Priority ranks it when the queue is full or a slot frees: higher is
	// served first, lower is shed first.
	Priority int
	// Units scales the key's limit (e.g. the service's live instances);
	// less than 1 counts as 1.
	Units int
}

// Ticket is an admitted request's slot; call Done exactly once.
type Ticket struct {
	k      *keyState
	c      *client
	start  int64
	queued bool
}

// Queued reports whether the request waited for its slot.
func (t Ticket) Queued() bool { return t.queued }

// Acquire admits the request, at once when its key has a free slot and
// nobody waits, else after waiting in the queue (at most the key's max
// wait, or until ctx ends). It returns ErrQueueFull or ErrMaxWait when the
// request is shed, and ctx's error when ctx ended first.
func (l *Limiter) Acquire(ctx context.Context, req Request) (Ticket, error) {
	cfg := l.cfg.Load()
	k := l.key(req.Key, cfg)
	t, w, maxWait, err := k.admit(cfg, req)
	if w == nil {
		return t, err
	}
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return l.granted(k, w, cfg)
	case <-ctx.Done():
		if k.leave(w, false) {
			return Ticket{}, ctx.Err()
		}
		// granted just as ctx ended: hand the slot on
		if t, err := l.granted(k, w, cfg); err == nil {
			t.Abandon()
		}
		return Ticket{}, ctx.Err()
	case <-timer.C:
		if k.leave(w, true) {
			return Ticket{}, ErrMaxWait
		}
		return l.granted(k, w, cfg)
	}
}

// admit takes a slot for req at once (a ticket), or queues it (a waiter,
// and how long it may wait), or refuses it (an error).
func (k *keyState) admit(cfg *Config, req Request) (Ticket, *waiter, time.Duration, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.units = max(req.Units, 1)
	if k == k.l.overflow {
		// the keys beyond MaxKeys share one limit, whatever their
		// services' instances: one unit, or the latest request's
		// service would set it for every other's (a 40-instance service
		// opened a 1-instance one's queue to 40 times its limit)
		k.units = 1
	}
	c := k.clientLocked(req.Client)
	limit := k.limitLocked(cfg)
	if len(k.queue) == 0 && k.inFlight < limit {
		now := cfg.Now()
		k.lastFree = now // a slot was free now
		k.grantLocked(c)
		return Ticket{k: k, c: c, start: now}, nil, 0, nil
	}
	if now := cfg.Now(); k.overLimitLocked(cfg, c, now, limit) {
		k.grantLocked(c)
		k.overLimit++
		return Ticket{k: k, c: c, start: now}, nil, 0, nil
	}
	w, err := k.enqueueLocked(cfg, c, req.Priority, limit)
	if err != nil {
		k.releaseClientLocked(c)
		k.shedFull++
		return Ticket{}, nil, 0, err
	}
	k.dispatchLocked(cfg)
	return Ticket{}, w, k.maxWaitLocked(cfg), nil
}

// maxWaitLocked is how long a request may wait for a slot.
func (k *keyState) maxWaitLocked(cfg *Config) time.Duration {
	switch {
	case cfg.MaxWait > 0:
		return cfg.MaxWait
	case k.minLatency == 0:
		return AutoMaxWait.Unmeasured
	}
	d := time.Duration(AutoMaxWait.Factor * float64(k.minLatency))
	return min(max(d, AutoMaxWait.Min), AutoMaxWait.Max)
}

// overLimitLocked reports whether c may be admitted over the limit now:
// the key is stalled (see [Stall]), c is under its fair share of the limit
// and the requests in flight are under the cap.
func (k *keyState) overLimitLocked(cfg *Config, c *client, now int64, limit int) bool {
	after := Stall.Min
	if k.minLatency > 0 {
		after = max(time.Duration(Stall.Factor*float64(k.minLatency)), Stall.Min)
	}
	return k.inFlight >= limit && now-k.lastFree >= int64(after) &&
		c.inFlight < max(limit/len(k.clients), 1) &&
		float64(k.inFlight) < Stall.Cap*float64(limit)
}

// grantLocked gives c a slot.
func (k *keyState) grantLocked(c *client) {
	k.inFlight++
	c.inFlight++
	k.grants++
	c.lastGrant = k.grants
	k.maxInFlight = max(k.maxInFlight, k.inFlight)
}

// granted turns a waiter that left the queue into its ticket or its
// refusal (pushed out).
func (l *Limiter) granted(k *keyState, w *waiter, cfg *Config) (Ticket, error) {
	<-w.ready
	if w.evicted {
		return Ticket{}, ErrQueueFull
	}
	return Ticket{k: k, c: w.c, start: cfg.Now(), queued: true}, nil
}

// MeasureFrom makes the request's latency count from at (on the engine's
// clock, [Limiter.Now]) rather than from its admission, e.g. from when its
// body was read in full: a slow upload is the client's time, not the
// service's. An at before the admission changes nothing.
func (t *Ticket) MeasureFrom(at int64) { t.start = max(t.start, at) }

// Now is the engine's clock (Config.Now), for [Ticket.MeasureFrom].
func (l *Limiter) Now() int64 { return l.cfg.Load().Now() }

// Done ends an admitted request and frees its slot. answered says whether
// the service answered it: false for requests that failed without an
// answer (an upstream that could not be reached or timed out). An
// unanswered request's time is only a lower bound of its latency: it counts
// only when that bound already says the service is slow (over tolerance
// times the least latency), so an upstream timeout on a saturated service
// still pushes the limit down, and a fast failure does not pull the
// baseline down. A request the client gave up on ends with [Ticket.Abandon]
// instead.
func (t Ticket) Done(answered bool) { t.end(answered, true) }

// Abandon ends an admitted request the client gave up on and frees its
// slot. Its time is no sample at all: it says when the client stopped
// waiting, not how long the service takes (a client abandoning hung
// requests after 2 s would otherwise set the latency to 2 s and shrink the
// limit, or, at the least concurrency, make 2 s the baseline).
func (t Ticket) Abandon() { t.end(false, false) }

// end frees the slot; sample says whether its time may be a sample.
func (t Ticket) end(answered, sample bool) {
	k := t.k
	if k == nil {
		return
	}
	cfg := k.l.cfg.Load()
	now := cfg.Now()
	k.mu.Lock()
	if k.inFlight <= k.limitLocked(cfg) {
		// a slot within the limit frees (one over it, admitted while the
		// key was stalled, does not end the stall)
		k.lastFree = now
	}
	k.inFlight--
	t.c.inFlight--
	clientID := t.c.id
	k.releaseClientLocked(t.c)
	k.lastUsed = now
	latency := now - t.start
	slow := k.minLatency > 0 && float64(latency) > cfg.Tolerance*float64(k.minLatency)
	if sample && (answered || slow) && t.start >= k.probeStart {
		k.sampleLocked(cfg, now, latency, clientID, answered)
	}
	k.dispatchLocked(cfg)
	k.mu.Unlock()
}

// key finds or adds the state of key.
func (l *Limiter) key(key string, cfg *Config) *keyState {
	if v, ok := l.keys.Load(key); ok {
		return v.(*keyState)
	}
	l.addMu.Lock()
	defer l.addMu.Unlock()
	if v, ok := l.keys.Load(key); ok {
		return v.(*keyState)
	}
	if l.nkeys.Load() >= int64(cfg.MaxKeys) && !l.dropIdle(cfg) {
		return l.overflow
	}
	k := l.newKey(key)
	l.keys.Store(key, k)
	l.nkeys.Add(1)
	return k
}

// dropIdle forgets one key unused for idleDrop, looking at a few keys.
func (l *Limiter) dropIdle(cfg *Config) bool {
	now := cfg.Now()
	looked, dropped := 0, false
	l.keys.Range(func(name, v any) bool {
		k := v.(*keyState)
		k.mu.Lock()
		idle := k.inFlight == 0 && len(k.queue) == 0 && now-k.lastUsed >= int64(idleDrop)
		k.mu.Unlock()
		if idle {
			l.keys.Delete(name)
			l.nkeys.Add(-1)
			dropped = true
			return false
		}
		looked++
		return looked < 16
	})
	return dropped
}

func (l *Limiter) newKey(name string) *keyState {
	cfg := l.cfg.Load()
	return &keyState{l: l, name: name, limit: float64(cfg.InitialLimit), units: 1,
		clients: map[uint64]*client{}, windowStart: cfg.Now(), lastUsed: cfg.Now(), lastFree: cfg.Now()}
}

// Seed sets a key's learned limit (per unit) and least latency, as a
// Snapshot reported them, e.g. to carry them from one Limiter to another.
func (l *Limiter) Seed(key string, limitPerUnit float64, minLatency time.Duration) {
	cfg := l.cfg.Load()
	k := l.key(key, cfg)
	k.mu.Lock()
	k.limit = min(max(limitPerUnit, float64(cfg.MinLimit)), float64(cfg.MaxLimit))
	k.minLatency = int64(minLatency)
	k.bFirm = minLatency > 0
	k.mu.Unlock()
}

// keyState is one key's limit, queue and clients.
type keyState struct {
	l    *Limiter
	name string

	mu       sync.Mutex
	limit    float64 // per unit
	units    int     // the units of the latest request
	inFlight int
	queue    []*waiter
	seq      uint64
	grants   uint64 // slots given, numbering each client's latest
	clients  map[uint64]*client
	free     []*client // spare client records, reused
	lastUsed int64
	// lastFree is when a slot within the limit was last free (found free
	// on arrival, or freed); overLimit counts the requests admitted over
	// the limit while the key was stalled (see [Stall])
	lastFree  int64
	overLimit uint64

	// the latency window: sum and count of every sample (the work done,
	// for Little's law, and the window's size); the latency it measures
	// is the mean over clients kept in buckets (see [clientBuckets])
	windowStart int64
	sum         int64
	count       int
	maxInFlight int
	minLatency  int64
	// the baseline's own window: bCount counts its samples until they
	// cover two turnovers of the slots; bFirm once one did
	bCount      int
	bMax        int // the most in flight in it
	bFirm       bool
	lastLatency int64
	// congestedSince is when latency went over tolerance (0: it is not);
	// probeStart when the limit was dropped to MinLimit to measure the
	// baseline again (0: no probe), probeLimit the limit before it
	congestedSince int64
	probeStart     int64
	probeLimit     float64

	shedFull, shedWait uint64
	admitted           uint64

	// buckets hold the windows' latencies by client (see clientBuckets)
	buckets [clientBuckets]latencyBucket
}

// clientBuckets is how many buckets a key's latencies are kept in, by a
// hash of their client: a window's latency (and the baseline's) is the
// mean over the buckets with samples of each bucket's mean, so one client
// moves it by its share of the clients, however many requests it sends.
// (One client looping a fast 404 beside twelve clients of a 188 ms service
// pulled the mean of the requests, and with it the baseline, to 2.7 ms:
// the limit fell from 29 to 4 and the twelve got 5% to 12% of their
// requests served, for 20 to 50 s after it stopped.) A fixed array, not a
// record per client: the work at a window's end and the memory per key
// are bounded (32 buckets, about 1.3 KB a key) however many clients send;
// clients that share a bucket share its weight. An attacker spread over
// many client keys fills as many buckets (all of them with 32 or more).
const clientBuckets = 32

// latencyBucket is one bucket's sums of latencies: of the limit's window
// (every sample, and answers alone) and of the baseline's window.
type latencyBucket struct {
	sum, aSum, bSum int64
	n, aN, bN       int32
}

// bucketOf is client's bucket (Fibonacci hashing: the top bits of the
// product, so the buckets do not depend on the hash's low bits alone).
func bucketOf(client uint64) int {
	return int((client * 0x9E3779B97F4A7C15) >> (64 - 5))
}

// client is one client's requests in flight and waiting under a key.
type client struct {
	id               uint64
	inFlight, queued int
	// lastGrant is k.grants when the client last got a slot: among
	// clients with as many in flight, the one served longest ago goes
	// first (round-robin)
	lastGrant uint64
}

// waiter is a request in the queue.
type waiter struct {
	c        *client
	priority int
	seq      uint64
	ready    chan struct{}
	evicted  bool
	done     bool // left the queue: granted or evicted
}

// limitLocked is the key's limit for its current units.
func (k *keyState) limitLocked(cfg *Config) int {
	return max(int(k.limit*float64(k.units)), 1)
}

func (k *keyState) clientLocked(id uint64) *client {
	if c, ok := k.clients[id]; ok {
		return c
	}
	var c *client
	if n := len(k.free); n > 0 {
		c, k.free = k.free[n-1], k.free[:n-1]
		*c = client{}
	} else {
		c = new(client)
	}
	c.id = id
	// a client new to the key (or back after its record was released)
	// takes its turn from now: with lastGrant 0 it would go before every
	// client served since, so a client sending one request at a time (its
	// record released after each) always went before one with several
	// outstanding (its record kept, its last grant real)
	c.lastGrant = k.grants
	k.clients[id] = c
	return c
}

// maxFreeClients bounds the spare client records a key keeps.
const maxFreeClients = 64

// releaseClientLocked forgets a client with nothing in flight or waiting.
func (k *keyState) releaseClientLocked(c *client) {
	if c.inFlight > 0 || c.queued > 0 {
		return
	}
	delete(k.clients, c.id)
	if len(k.free) < maxFreeClients {
		k.free = append(k.free, c)
	}
}

// enqueueLocked puts a request in the queue once the limit is reached.
// A client holding its fair share of the slots (limit / clients) and of
// the queue (QueueSize / clients) is refused at once, so that a heavy
// client cannot fill the queue; otherwise a full queue pushes out its
// lowest ranked waiter when the newcomer ranks above it.
func (k *keyState) enqueueLocked(cfg *Config, c *client, priority, limit int) (*waiter, error) {
	if cfg.QueueSize == 0 {
		return nil, ErrQueueFull
	}
	n := len(k.clients) // counts c
	if c.inFlight >= max(limit/n, 1) && c.queued >= max(cfg.QueueSize/n, 1) {
		return nil, ErrQueueFull
	}
	k.seq++
	w := &waiter{c: c, priority: priority, seq: k.seq, ready: make(chan struct{})}
	if len(k.queue) >= cfg.QueueSize {
		worst := 0
		for i, o := range k.queue[1:] {
			if sheddable(o, k.queue[worst]) {
				worst = i + 1
			}
		}
		victim := k.queue[worst]
		if !outranks(w, victim, max((limit+cfg.QueueSize)/n, 1)) {
			return nil, ErrQueueFull
		}
		// count the newcomer first: the victim may be c's own (of a lower
		// priority), and releasing c's record with the victim would
		// recycle a record still in use
		c.queued++
		k.removeAtLocked(worst)
		victim.evicted = true
		victim.done = true
		victim.c.queued--
		k.releaseClientLocked(victim.c)
		k.shedFull++
		close(victim.ready)
		k.queue = append(k.queue, w)
		return w, nil
	}
	c.queued++
	k.queue = append(k.queue, w)
	return w, nil
}

// sheddable reports whether a is shed before b: lower priority, then a
// client with more in flight and waiting, then older.
func sheddable(a, b *waiter) bool {
	if a.priority != b.priority {
		return a.priority < b.priority
	}
	la, lb := a.c.inFlight+a.c.queued, b.c.inFlight+b.c.queued
	if la != lb {
		return la > lb
	}
	return a.seq < b.seq
}

// outranks reports whether a newcomer may push victim out of a full
// queue: a higher priority, or the same and a client with fewer requests
// in flight and queued (counting the newcomer) whose victim's client is
// over its equal share of the places (share: the limit and the queue over
// the clients). A client at or under its share keeps its waiter however
// many requests it has outstanding: a browser's six connections against
// sixty clients sending one at a time lost theirs to every newcomer and
// got a tenth of an equal share.
func outranks(newcomer, victim *waiter, share int) bool {
	if newcomer.priority != victim.priority {
		return newcomer.priority > victim.priority
	}
	held := victim.c.inFlight + victim.c.queued
	return held > share && newcomer.c.inFlight+newcomer.c.queued+1 < held
}

// servedFirst reports whether a gets a free slot before b: higher
// priority, then a client with fewer in flight (under its fair share
// before over it), then the client served longest ago (round-robin
// between equals), then the newer request.
func servedFirst(a, b *waiter) bool {
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	if a.c.inFlight != b.c.inFlight {
		return a.c.inFlight < b.c.inFlight
	}
	if a.c.lastGrant != b.c.lastGrant {
		return a.c.lastGrant < b.c.lastGrant
	}
	return a.seq > b.seq
}

// dispatchLocked hands free slots to waiters.
func (k *keyState) dispatchLocked(cfg *Config) {
	limit := k.limitLocked(cfg)
	for len(k.queue) > 0 && k.inFlight < limit {
		best := 0
		for i, o := range k.queue[1:] {
			if servedFirst(o, k.queue[best]) {
				best = i + 1
			}
		}
		w := k.queue[best]
		k.removeAtLocked(best)
		w.done = true
		w.c.queued--
		k.grantLocked(w.c)
		close(w.ready)
	}
}

func (k *keyState) removeAtLocked(i int) {
	last := len(k.queue) - 1
	k.queue[i] = k.queue[last]
	k.queue[last] = nil
	k.queue = k.queue[:last]
}

// leave takes a waiter out of the queue, counting it shed when it timed
// out; false when it was already granted or pushed out (its ready channel
// is closed).
func (k *keyState) leave(w *waiter, timedOut bool) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if w.done {
		return false
	}
	for i, o := range k.queue {
		if o == w {
			k.removeAtLocked(i)
			break
		}
	}
	w.done = true
	w.c.queued--
	if timedOut {
		cfg := k.l.cfg.Load()
		if k.overLimitLocked(cfg, w.c, cfg.Now(), k.limitLocked(cfg)) {
			// the key is stalled and the client under its share: admitted
			// over the limit rather than shed
			k.grantLocked(w.c)
			k.overLimit++
			close(w.ready)
			return false
		}
		k.shedWait++
	}
	k.releaseClientLocked(w.c)
	return true
}

// sampleLocked adds a latency and, at the end of a window, updates the
// limit. Only answers measure the service's processing: a failure's time
// (answered false, only sampled when already slow) may shrink the limit but
// never becomes the baseline (a 504 after a long response_header_timeout
// made its timeout the baseline at MinLimit, and stalled keys then waited
// ten times that before admitting over the limit).
func (k *keyState) sampleLocked(cfg *Config, now, latency int64, clientID uint64, answered bool) {
	k.admitted++
	latency = max(latency, 1)
	k.sum += latency
	k.count++
	b := &k.buckets[bucketOf(clientID)]
	b.sum += latency
	b.n++
	if answered {
		b.aSum += latency
		b.aN++
		b.bSum += latency
		b.bN++
		k.bCount++
	}
	// a window lasts at least one least latency, so that what it measures
	// was admitted under the limit the last update set
	if now-k.windowStart < max(int64(cfg.Window), k.minLatency) || k.count < cfg.MinSamples {
		return
	}
	// the mean over clients (see clientBuckets): of every sample, of the
	// answers alone (0: none; only they may become a baseline), and of the
	// baseline's window
	var mean, answers, n, aN int64
	for i := range k.buckets {
		b := &k.buckets[i]
		if b.n > 0 {
			mean += b.sum / int64(b.n)
			n++
		}
		if b.aN > 0 {
			answers += b.aSum / int64(b.aN)
			aN++
		}
		b.sum, b.n, b.aSum, b.aN = 0, 0, 0, 0
	}
	mean = max(mean/max(n, 1), 1)
	answers /= max(aN, 1)
	limit := k.limit * float64(k.units)
	// the slots the answered requests kept busy over the window (Little's
	// law: answers × their mean latency / the window's length), not the
	// most in flight: requests that hang hold slots without being
	// answered, and counting their slots as used let a few fast answers
	// beside them raise the limit by √limit every window, up to MaxLimit
	busy := float64(k.sum) / float64(max(now-k.windowStart, 1))
	appLimited := busy < limit/2
	k.bMax = max(k.bMax, k.maxInFlight)
	k.lastLatency = mean
	k.windowStart, k.sum, k.count, k.maxInFlight = now, 0, 0, k.inFlight
	if k.probeStart != 0 {
		// the probe's window: its answers' latency at the least
		// concurrency is the new baseline, and the limit from before the
		// probe comes back
		if answers > 0 {
			k.minLatency = answers
		}
		k.limit, k.probeStart, k.congestedSince = k.probeLimit, 0, 0
		return
	}
	// at the least concurrency: within two of the least limit the
	// gradient can reach. With the gradient at its floor of 0.5 the limit
	// shrinks towards L = 0.5 L + √L, that is 4, whatever MinLimit (under
	// 4, the limit never got near it), and geometrically, the excess by
	// 5% a window near 4: it never reaches it (an attack saw 4.75 stay
	// there with MinLimit 4, and the baseline pulled low was never
	// measured again), and from 6.4 took 17 windows to come within one
	// (on a real Caddy, 4 s of legitimate traffic served at 10%)
	atMin := k.limit < float64(max(cfg.MinLimit, 4))+2
	over := float64(mean) > cfg.Tolerance*float64(k.minLatency)
	// The baseline is the least mean of windows of its own, each at
	// least two turnovers of the slots (twice the most in flight in it):
	// the limit's windows last one least latency, and while the requests
	// in flight grow (a key's first seconds, a limit that rises) the
	// quick ones end first in them, so their least mean is biased low
	// (a 250 ms ±50% service measured 160 to 200 ms; the limit then
	// settled under the service's slots, at 40 to 75 of 64). Until the
	// first such window, the first window's mean stands in.
	if k.bCount >= max(cfg.MinSamples, 2*k.bMax) {
		var bMean, bN int64
		for i := range k.buckets {
			b := &k.buckets[i]
			if b.bN > 0 {
				bMean += b.bSum / int64(b.bN)
				bN++
			}
			b.bSum, b.bN = 0, 0
		}
		bMean /= max(bN, 1)
		if bMean > 0 && (!k.bFirm || bMean < k.minLatency) {
			k.minLatency, k.bFirm = bMean, true
		}
		k.bCount, k.bMax = 0, 0
	}
	switch {
	case k.minLatency == 0:
		// (only answers are sampled before there is a baseline)
		k.minLatency = mean
	case atMin && answers > 0 && float64(answers) > cfg.Tolerance*float64(k.minLatency):
		// at the least concurrency, the answers are still slow: the
		// service got slower; measure the baseline again here, from
		// them only
		k.minLatency = answers
	}
	if !over || atMin {
		k.congestedSince = 0
	} else if k.congestedSince == 0 {
		k.congestedSince = now
	} else if now-k.congestedSince >= int64(cfg.ProbeAfter) {
		// latency has been over tolerance for ProbeAfter: either the
		// service is saturated, or it got slower for good and the baseline
		// is stale (the limit would settle above its minimum, where the
		// growth of √limit balances the gradient). Measure the latency at
		// the least concurrency to tell: the next window counts only the
		// requests admitted from now on, at MinLimit.
		k.probeStart, k.probeLimit = now, k.limit
		k.limit = float64(cfg.MinLimit)
		return
	}
	gradient := min(max(cfg.Tolerance*float64(k.minLatency)/float64(mean), 0.5), 1)
	next := limit*gradient + math.Sqrt(limit)
	if appLimited {
		next = min(next, limit)
	}
	if next < limit {
		// shrink smoothly (one slow window is no reason to halve); grow by
		// the whole √limit per window, which is one latency long, so the
		// limit reaches a slow service's capacity in seconds
		next = limit*(1-cfg.Smoothing) + next*cfg.Smoothing
	}
	limit = next
	k.limit = min(max(limit/float64(k.units), float64(cfg.MinLimit)), float64(cfg.MaxLimit))
}

// KeyState is a key's state, for dashboards and metrics.
type KeyState struct {
	Key string `json:"key"`
	// Limit is the limit now (per unit times units); LimitPerUnit the
	// learned limit per unit.
	Limit        int     `json:"limit"`
	LimitPerUnit float64 `json:"limit_per_unit"`
	Units        int     `json:"units"`
	InFlight     int     `json:"in_flight"`
	Queued       int     `json:"queued"`
	// MinLatency is the least latency seen (the baseline); Latency the
	// mean of the latest window.
	MinLatency time.Duration `json:"min_latency"`
	Latency    time.Duration `json:"latency"`
	// Clients is the number of clients with requests in flight or queued.
	Clients int `json:"clients"`
	// Admitted counts the requests that ended with a latency sample.
	Admitted uint64 `json:"admitted"`
	// ShedQueueFull and ShedMaxWait count the requests shed because the
	// queue was full (or they were pushed out of it) and because they
	// waited MaxWait.
	ShedQueueFull uint64 `json:"shed_queue_full"`
	ShedMaxWait   uint64 `json:"shed_max_wait"`
	// OverLimit counts the requests admitted over the limit because no
	// slot had freed for long (see [Stall]).
	OverLimit uint64 `json:"over_limit"`
}

// Snapshot returns every key's state (the overflow key only when used),
// in no particular order.
func (l *Limiter) Snapshot() []KeyState {
	var out []KeyState
	cfg := l.cfg.Load()
	add := func(k *keyState) {
		k.mu.Lock()
		out = append(out, KeyState{Key: k.name, Limit: k.limitLocked(cfg), LimitPerUnit: k.limit, Units: k.units,
			InFlight: k.inFlight, Queued: len(k.queue), MinLatency: time.Duration(k.minLatency),
			Latency: time.Duration(k.lastLatency), Clients: len(k.clients), Admitted: k.admitted,
			ShedQueueFull: k.shedFull, ShedMaxWait: k.shedWait, OverLimit: k.overLimit})
		k.mu.Unlock()
	}
	l.keys.Range(func(_, v any) bool {
		add(v.(*keyState))
		return true
	})
	o := l.overflow
	o.mu.Lock()
	used := o.admitted > 0 || o.inFlight > 0 || o.shedFull > 0 || o.shedWait > 0
	o.mu.Unlock()
	if used {
		add(o)
	}
	return out
}
