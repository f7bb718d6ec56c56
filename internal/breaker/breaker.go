// Package breaker is the circuit breaker engine behind the circuit_breaker
// handler: per key, a closed / open / half-open state machine over a sliding
// window of outcomes, built so that no client can use it to switch a
// service off for everyone (failures count per client, up to a bound, and
// must come from several clients and most instances; half-open trials time
// out and are taken one at a time per client).
//
// It knows nothing of HTTP or Caddy: callers say who a request is from (a
// client hash), which instance answered, and whether it failed. Times are
// nanoseconds on the caller's monotonic clock.
package breaker

import (
	"sync"
	"time"
)

// Buckets is the number of buckets the window is counted in.
const Buckets = 10

// per circuit, the most clients and instances whose shares are tracked
const (
	maxTrackedClients   = 256
	maxTrackedInstances = 64
)

// State is a circuit's state.
type State uint8

const (
	Closed State = iota
	Open
	HalfOpen
)

func (s State) String() string {
	switch s {
	case Open:
		return "open"
	case HalfOpen:
		return "half_open"
	}
	return "closed"
}

// Config says when circuits open and close. Every field must be set (the
// Caddy layer applies the defaults).
type Config struct {
	FailureRatio     float64
	MinRequests      int
	Window           time.Duration
	OpenFor          time.Duration
	HalfOpenRequests int
	MaxKeys          int
	MinClients       int
	ClientFailures   int
	TrialTimeout     time.Duration
}

// Transition is a change of a circuit's state, with what led to it.
type Transition struct {
	Key string
	To  State
	// for a circuit that opened from closed: the window's counts
	Requests, Failures                     int64
	FailingClients, FailingInstances, Seen int
}

// Breaker holds the circuits of one handler.
type Breaker struct {
	cfg       Config
	bucketLen int64
	notify    func(Transition)

	mu       sync.RWMutex
	circuits map[string]*circuit
}

// New returns a breaker; notify, if not nil, is told of every transition
// (with the circuit's lock held: it must not call back into the breaker).
func New(cfg Config, notify func(Transition)) *Breaker {
	if notify == nil {
		notify = func(Transition) {}
	}
	return &Breaker{cfg: cfg, bucketLen: max(1, int64(cfg.Window)/Buckets), notify: notify,
		circuits: make(map[string]*circuit)}
}

// circuit is the state of one key.
type circuit struct {
	mu        sync.Mutex
	state     State
	openUntil int64
	buckets   [Buckets]struct{ index, total, failures int64 }
	// clients and instances seen in the window, with their failures
	clients   map[uint64]*share
	instances map[string]*share
	// half-open: the trials of this round, in flight or finished, and how
	// many succeeded
	trials    []trialSlot
	successes int
	// round numbers the half-open rounds; a trial counts only in the
	// round that admitted it (one that finishes late, after the circuit
	// opened and half-opened again, tested nothing of the new round)
	round uint64
	// roundEnds is when an undecided half-open round ends: it opens again
	// if a trial failed, or starts a new round (so a client whose trial
	// failed gets another)
	roundEnds int64
}

// share is what one client or instance contributed within the window.
type share struct {
	since              int64 // start of its window
	requests, failures int64
}

// trialSlot is one half-open trial.
type trialSlot struct {
	client   uint64
	deadline int64
	failed   bool // finished and failed, or timed out: the client had its turn
	done     bool // finished and passed
}

// Ticket is what Admit hands a request and Done takes back.
type Ticket struct {
	c      *circuit
	key    string
	trial  bool
	round  uint64
	client uint64
}

// Trial reports whether the request is a half-open trial.
func (t Ticket) Trial() bool { return t.trial }

func (b *Breaker) circuitFor(key string) *circuit {
	b.mu.RLock()
	c := b.circuits[key]
	b.mu.RUnlock()
	if c != nil {
		return c
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c = b.circuits[key]; c != nil {
		return c
	}
	if len(b.circuits) >= b.cfg.MaxKeys {
		b.evictLocked()
	}
	c = new(circuit)
	b.circuits[key] = c
	return c
}

// evictLocked forgets a closed circuit (or, if all are open, any one).
func (b *Breaker) evictLocked() {
	var victim string
	for k, c := range b.circuits {
		c.mu.Lock()
		closed := c.state == Closed
		c.mu.Unlock()
		if closed {
			delete(b.circuits, k)
			return
		}
		if victim == "" {
			victim = k
		}
	}
	delete(b.circuits, victim)
}

// State returns the state of key's circuit (Closed for an unknown key).
func (b *Breaker) State(key string) State {
	b.mu.RLock()
	c := b.circuits[key]
	b.mu.RUnlock()
	if c == nil {
		return Closed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Admit decides whether a request of client for key may go through now;
// when not, retry is how long until it may.
func (b *Breaker) Admit(key string, client uint64, now int64) (t Ticket, retry int64, ok bool) {
	c := b.circuitFor(key)
	t = Ticket{c: c, key: key, client: client}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == Open {
		if now < c.openUntil {
			return t, c.openUntil - now, false
		}
		b.transition(c, key, HalfOpen, now, Transition{})
	}
	if c.state != HalfOpen {
		return t, 0, true
	}
	if now >= c.roundEnds {
		if c.anyTrialFailed() {
			b.open(c, key, now, Transition{})
			return t, c.openUntil - now, false
		}
		b.transition(c, key, HalfOpen, now, Transition{})
	}
	// trials that did not answer in time count as failed
	for i := range c.trials {
		if s := &c.trials[i]; !s.done && !s.failed && now >= s.deadline {
			s.failed = true
			if b.trialsFailedLocked(c, key, now) {
				return t, c.openUntil - now, false
			}
		}
	}
	inFlight := 0
	for _, s := range c.trials {
		if s.client == client && !s.done {
			// one trial in flight per client; a client whose trial failed
			// has had its say this round
			return t, int64(time.Second), false
		}
		if !s.done && !s.failed {
			inFlight++
		}
	}
	if inFlight+c.successes >= b.cfg.HalfOpenRequests {
		return t, int64(time.Second), false
	}
	c.trials = append(c.trials, trialSlot{client: client, deadline: now + int64(b.cfg.TrialTimeout)})
	t.trial, t.round = true, c.round
	return t, 0, true
}

// Done counts a finished request; instance is the upstream that answered
// it ("" when unknown).
func (b *Breaker) Done(t Ticket, now int64, failed bool, instance string) {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.trial {
		if c.state != HalfOpen || t.round != c.round {
			return // a trial of an earlier round: it says nothing of this one
		}
		slot := c.slotOf(t.client)
		if slot == nil {
			return // timed out meanwhile: already counted as failed
		}
		if failed {
			slot.failed = true
			b.trialsFailedLocked(c, t.key, now)
			return
		}
		slot.done = true
		if c.successes++; c.successes >= b.cfg.HalfOpenRequests {
			b.transition(c, t.key, Closed, now, Transition{})
		}
		return
	}
	if c.state != Closed {
		return // a request let through before the circuit opened
	}
	window := int64(b.cfg.Window)
	cs := trackShare(&c.clients, t.client, now, window, maxTrackedClients)
	if failed && cs != nil && cs.failures >= int64(b.cfg.ClientFailures) {
		return // this client has had its say in this window
	}
	if cs != nil {
		cs.requests++
		if failed {
			cs.failures++
		}
	}
	if instance != "" {
		if is := trackShare(&c.instances, instance, now, window, maxTrackedInstances); is != nil {
			is.requests++
			if failed {
				is.failures++
			}
		}
	}
	idx := now / b.bucketLen
	bk := &c.buckets[idx%Buckets]
	if bk.index != idx {
		bk.index, bk.total, bk.failures = idx, 0, 0
	}
	bk.total++
	if !failed {
		return
	}
	bk.failures++
	var total, failures int64
	for i := range c.buckets {
		if idx-c.buckets[i].index < Buckets {
			total += c.buckets[i].total
			failures += c.buckets[i].failures
		}
	}
	if total < int64(b.cfg.MinRequests) || float64(failures) < b.cfg.FailureRatio*float64(total) {
		return
	}
	failingClients := countShares(c.clients, now, window, func(s *share) bool { return s.failures > 0 })
	if failingClients < b.cfg.MinClients {
		return
	}
	seen := countShares(c.instances, now, window, func(*share) bool { return true })
	failingInstances := countShares(c.instances, now, window, func(s *share) bool {
		return float64(s.failures) >= b.cfg.FailureRatio*float64(s.requests)
	})
	if seen > 1 && 2*failingInstances < seen {
		return // failures confined to some instances: passive health's job
	}
	b.open(c, t.key, now, Transition{Requests: total, Failures: failures, FailingClients: failingClients,
		FailingInstances: failingInstances, Seen: seen})
}

// Abandon undoes a request that did not finish because its client left:
// that says nothing about the service.
func (b *Breaker) Abandon(t Ticket) {
	if !t.trial {
		return
	}
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != HalfOpen || t.round != c.round {
		return
	}
	for i := range c.trials {
		if s := c.trials[i]; s.client == t.client && !s.done && !s.failed {
			c.trials = append(c.trials[:i], c.trials[i+1:]...)
			return
		}
	}
}

// trialsFailedLocked reopens the circuit when trials of enough distinct
// clients failed this round, and reports whether it did.
func (b *Breaker) trialsFailedLocked(c *circuit, key string, now int64) bool {
	failed := 0
	for _, s := range c.trials {
		if s.failed {
			failed++
		}
	}
	if failed < min(b.cfg.HalfOpenRequests, b.cfg.MinClients) {
		return false
	}
	b.open(c, key, now, Transition{})
	return true
}

func (b *Breaker) open(c *circuit, key string, now int64, why Transition) {
	c.openUntil = now + int64(b.cfg.OpenFor)
	b.transition(c, key, Open, now, why)
}

// transition changes state; c.mu is held.
func (b *Breaker) transition(c *circuit, key string, to State, now int64, why Transition) {
	c.state = to
	c.trials, c.successes = c.trials[:0], 0
	switch to {
	case HalfOpen:
		c.round++
		c.roundEnds = now + int64(b.cfg.OpenFor)
	case Closed:
		c.buckets = [Buckets]struct{ index, total, failures int64 }{}
		clear(c.clients)
		clear(c.instances)
	}
	why.Key, why.To = key, to
	b.notify(why)
}

func (c *circuit) anyTrialFailed() bool {
	for _, s := range c.trials {
		if s.failed {
			return true
		}
	}
	return false
}

// slotOf returns the trial of client still in flight, if any.
func (c *circuit) slotOf(client uint64) *trialSlot {
	for i := range c.trials {
		if s := &c.trials[i]; s.client == client && !s.done && !s.failed {
			return s
		}
	}
	return nil
}

// trackShare returns the share of k within the window, starting a new one
// when its window passed; nil when the table is full of current shares.
func trackShare[K comparable](m *map[K]*share, k K, now, window int64, limit int) *share {
	if *m == nil {
		*m = make(map[K]*share)
	}
	s := (*m)[k]
	if s != nil && now-s.since < window {
		return s
	}
	if s == nil && len(*m) >= limit {
		for key, old := range *m {
			if now-old.since >= window {
				delete(*m, key)
			}
		}
		if len(*m) >= limit {
			return nil
		}
	}
	s = &share{since: now}
	(*m)[k] = s
	return s
}

func countShares[K comparable](m map[K]*share, now, window int64, match func(*share) bool) int {
	n := 0
	for _, s := range m {
		if now-s.since < window && match(s) {
			n++
		}
	}
	return n
}

// Len returns the number of circuits tracked.
func (b *Breaker) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.circuits)
}

// States returns every tracked circuit's state, by key (for monitoring).
func (b *Breaker) States() map[string]State {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make(map[string]State, len(b.circuits))
	for k, c := range b.circuits {
		c.mu.Lock()
		out[k] = c.state
		c.mu.Unlock()
	}
	return out
}
