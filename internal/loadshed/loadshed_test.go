package loadshed

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) Now() int64              { return c.now.Load() }
func (c *fakeClock) advance(d time.Duration) { c.now.Add(int64(d)) }

// service simulates a backend that serves at most servers requests at once,
// each in service, and queues the rest first come, first served, so
// latency grows with its queue.
type service struct {
	servers int
	service time.Duration
	noise   float64 // each service time is off by up to ±noise of it
	free    []int64 // when each server is next free
	rng     uint64
	// requests arriving before slowUntil take slowBy times as long (a
	// machine busy with something else)
	slowUntil int64
	slowBy    float64
}

// admit returns when a request arriving at now finishes.
func (s *service) admit(now int64) int64 {
	best := 0
	for i, f := range s.free {
		if f < s.free[best] {
			best = i
		}
	}
	start := max(now, s.free[best])
	d := int64(s.service)
	if s.noise > 0 {
		s.rng = s.rng*6364136223846793005 + 1442695040888963407
		u := float64(s.rng>>11)/float64(1<<53)*2 - 1
		d += int64(u * s.noise * float64(s.service))
	}
	if now < s.slowUntil {
		d = int64(float64(d) * s.slowBy)
	}
	s.free[best] = start + d
	return s.free[best]
}

type completion struct {
	at int64
	t  Ticket
	id int64
}
type completions []completion

func (c completions) Len() int           { return len(c) }
func (c completions) Less(i, j int) bool { return c[i].at < c[j].at }
func (c completions) Swap(i, j int)      { c[i], c[j] = c[j], c[i] }
func (c *completions) Push(x any)        { *c = append(*c, x.(completion)) }
func (c *completions) Pop() any {
	old := *c
	x := old[len(old)-1]
	*c = old[:len(old)-1]
	return x
}

// simResult is what a simulated run saw in its last quarter.
type simResult struct {
	limit      int     // the limit at the end
	meanLimit  float64 // over the last quarter
	p99        time.Duration
	throughput float64 // completions per second
}

// simulate offers rate requests per second to svc through l (no queue:
// admitted or refused at once) for d of fake time.
func simulate(t *testing.T, l *Limiter, clk *fakeClock, svc *service, rate float64, d time.Duration) simResult {
	t.Helper()
	if svc.free == nil {
		svc.free = make([]int64, svc.servers)
	}
	var pending completions
	step := time.Duration(float64(time.Second) / rate)
	end := clk.Now() + int64(d)
	measureFrom := end - int64(d)/4
	var lats []time.Duration
	var limits, done float64
	var samples int
	for next := clk.Now(); next < end; next += int64(step) {
		for pending.Len() > 0 && pending[0].at <= next {
			c := heap.Pop(&pending).(completion)
			clk.now.Store(c.at)
			c.t.Done(true)
			if c.at >= measureFrom {
				lats = append(lats, time.Duration(c.at-c.t.start))
				done++
			}
		}
		clk.now.Store(next)
		tk, err := l.Acquire(context.Background(), Request{Key: "svc", Client: uint64(next % 7)})
		if err == nil {
			heap.Push(&pending, completion{at: svc.admit(next), t: tk})
		}
		if next >= measureFrom {
			limits += float64(l.limitOf("svc"))
			samples++
		}
	}
	for pending.Len() > 0 {
		c := heap.Pop(&pending).(completion)
		clk.now.Store(c.at)
		c.t.Done(true)
	}
	return simResult{limit: l.limitOf("svc"), meanLimit: limits / float64(samples), p99: percentile(lats, 0.99),
		throughput: done / (float64(d) / 4 / float64(time.Second))}
}

func (l *Limiter) limitOf(key string) int {
	for _, s := range l.Snapshot() {
		if s.Key == key {
			return s.Limit
		}
	}
	return 0
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	for i := 1; i < len(s); i++ { // insertion sort is enough for tests
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[int(p*float64(len(s)-1))]
}

func newTestLimiter(clk *fakeClock, cfg Config) *Limiter {
	cfg.Now = clk.Now
	if cfg.QueueSize == 0 {
		cfg.QueueSize = -1
	}
	return New(cfg)
}

// The limit climbs from its minimum to the service's capacity, and no
// further than the tolerance allows, under ten times the load it can take.
func TestConvergesUpToCapacity(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 4, MinLimit: 4})
	svc := &service{servers: 64, service: 100 * time.Millisecond}
	res := simulate(t, l, clk, svc, 6400, 60*time.Second)
	t.Logf("limit %d (mean %.1f), p99 %v, throughput %.0f/s", res.limit, res.meanLimit, res.p99, res.throughput)
	if res.meanLimit < 64 || res.meanLimit > 64*1.6 {
		t.Errorf("mean limit %.1f: want between the capacity (64) and 1.6x it", res.meanLimit)
	}
	if res.throughput < 0.95*640 {
		t.Errorf("throughput %.0f/s: want at least 95%% of the capacity, 640/s", res.throughput)
	}
	if res.p99 > 200*time.Millisecond {
		t.Errorf("p99 %v: want within 2x the service time", res.p99)
	}
}

// When the service loses half its capacity, the limit follows it down.
func TestConvergesDownWhenCapacityDrops(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{})
	svc := &service{servers: 64, service: 100 * time.Millisecond}
	before := simulate(t, l, clk, svc, 6400, 30*time.Second)
	svc2 := &service{servers: 16, service: 100 * time.Millisecond}
	svc2.free = make([]int64, 16)
	for i := range svc2.free {
		svc2.free[i] = clk.Now()
	}
	after := simulate(t, l, clk, svc2, 6400, 30*time.Second)
	t.Logf("before: limit %.1f p99 %v; after: limit %.1f p99 %v", before.meanLimit, before.p99, after.meanLimit, after.p99)
	if after.meanLimit > 16*1.6 || after.meanLimit < 16 {
		t.Errorf("mean limit %.1f after the drop: want between 16 and 1.6x it", after.meanLimit)
	}
	if after.p99 > 200*time.Millisecond {
		t.Errorf("p99 %v after the drop: want within 2x the service time", after.p99)
	}
}

// A service that gets slower for good (every request twice as long, the
// same concurrency) is measured again at the least limit: the limit comes
// back up rather than staying at its minimum.
func TestRebaselinesWhenServiceGetsSlower(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{})
	simulate(t, l, clk, &service{servers: 64, service: 50 * time.Millisecond}, 12800, 20*time.Second)
	slow := &service{servers: 64, service: 100 * time.Millisecond, free: make([]int64, 64)}
	for i := range slow.free {
		slow.free[i] = clk.Now()
	}
	res := simulate(t, l, clk, slow, 6400, 60*time.Second)
	t.Logf("limit %.1f, throughput %.0f/s", res.meanLimit, res.throughput)
	if res.meanLimit < 64 || res.throughput < 0.9*640 {
		t.Errorf("limit %.1f, throughput %.0f/s: want the capacity again (64 at once, 640/s)", res.meanLimit, res.throughput)
	}
}

// A quiet service does not grow its limit: only windows that use half the
// slots may raise it.
func TestQuietKeyKeepsItsLimit(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 20})
	res := simulate(t, l, clk, &service{servers: 64, service: 10 * time.Millisecond}, 200, 30*time.Second)
	if res.limit > 20 {
		t.Errorf("limit %d after a quiet period (2 in flight): want it to stay at 20", res.limit)
	}
}

// Units scale the limit: the same per-unit limit, times the instances.
func TestUnitsScaleTheLimit(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 10})
	var tickets []Ticket
	for i := range 40 {
		tk, err := l.Acquire(context.Background(), Request{Key: "svc", Client: uint64(i), Units: 4})
		if err != nil {
			t.Fatalf("request %d of 40 refused with 4 units of 10: %v", i, err)
		}
		tickets = append(tickets, tk)
	}
	if _, err := l.Acquire(context.Background(), Request{Key: "svc", Units: 4}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("the 41st: %v, want ErrQueueFull", err)
	}
	for _, tk := range tickets {
		tk.Done(false)
	}
	if got := l.Snapshot()[0]; got.InFlight != 0 || got.Clients != 0 {
		t.Errorf("after every Done: %+v, want nothing in flight and no client", got)
	}
}

// waitQueued waits until key has n waiters.
func waitQueued(t *testing.T, l *Limiter, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range l.Snapshot() {
			if s.Key == key && s.Queued == n {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("key %s never had %d waiting: %+v", key, n, l.Snapshot())
}

type outcome struct {
	t   Ticket
	err error
	id  int
}

// acquireAsync starts Acquire in a goroutine and waits until it is queued.
func acquireAsync(t *testing.T, l *Limiter, ctx context.Context, req Request, id int, out chan<- outcome, queuedAfter int) {
	t.Helper()
	go func() {
		tk, err := l.Acquire(ctx, req)
		out <- outcome{tk, err, id}
	}()
	waitQueued(t, l, req.Key, queuedAfter)
}

// The queue holds QueueSize waiters; the next one is refused at once, and
// a waiter that gets no slot within MaxWait is shed.
func TestQueueBound(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 1, MinLimit: 1, QueueSize: 3, MaxWait: 300 * time.Millisecond})
	held, err := l.Acquire(context.Background(), Request{Key: "k", Client: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan outcome, 8)
	for i := range 3 {
		acquireAsync(t, l, context.Background(), Request{Key: "k", Client: 1}, i, out, i+1)
	}
	start := time.Now()
	if _, err := l.Acquire(context.Background(), Request{Key: "k", Client: 1}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("a fourth waiter with a queue of 3: %v, want ErrQueueFull", err)
	}
	if time.Since(start) > 50*time.Millisecond {
		t.Errorf("the refusal took %v: it must not wait", time.Since(start))
	}
	for range 3 {
		o := <-out
		if !errors.Is(o.err, ErrMaxWait) {
			t.Errorf("waiter %d: %v, want ErrMaxWait", o.id, o.err)
		}
	}
	if waited := time.Since(start); waited < 250*time.Millisecond || waited > 2*time.Second {
		t.Errorf("the waiters were shed after %v: want about MaxWait (300ms)", waited)
	}
	held.Done(false)
	s := l.Snapshot()[0]
	if s.ShedQueueFull != 1 || s.ShedMaxWait != 3 || s.Queued != 0 || s.InFlight != 0 || s.Clients != 0 {
		t.Errorf("state %+v: want 1 shed queue full, 3 shed at max wait, and nothing left", s)
	}
}

// A freed slot goes to the client with the fewest in flight, whatever the
// order they queued in; and a full queue pushes out the heavy client's
// waiter for a light one.
func TestFairness(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 4, MinLimit: 4, QueueSize: 3, MaxWait: 10 * time.Second})
	const heavy, light = 1, 2
	var held []Ticket
	for range 4 {
		tk, err := l.Acquire(context.Background(), Request{Key: "k", Client: heavy})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tk)
	}
	out := make(chan outcome, 8)
	for i := range 3 {
		acquireAsync(t, l, context.Background(), Request{Key: "k", Client: heavy}, i, out, i+1)
	}
	// the queue is full of the heavy client's requests: the light one
	// pushes one out
	acquireAsync(t, l, context.Background(), Request{Key: "k", Client: light}, 100, out, 3)
	o := <-out
	if !errors.Is(o.err, ErrQueueFull) || o.id == 100 {
		t.Fatalf("pushed out: request %d with %v; want a heavy one with ErrQueueFull", o.id, o.err)
	}
	// another heavy request finds the queue full and ranks lowest
	if _, err := l.Acquire(context.Background(), Request{Key: "k", Client: heavy}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("a heavy newcomer on a full queue: %v, want ErrQueueFull", err)
	}
	// the light request was queued last, yet gets the first free slot
	held[0].Done(true)
	o = <-out
	if o.err != nil || o.id != 100 {
		t.Fatalf("first slot: request %d (%v), want the light client's (100)", o.id, o.err)
	}
	if !o.t.Queued() {
		t.Error("the light request's ticket says it did not wait")
	}
	held = append(held[1:], o.t)
	// the rest are the heavy client's, newest first
	held[0].Done(true)
	o = <-out
	if o.err != nil || o.id != 2 {
		t.Fatalf("second slot: request %d (%v), want the newest heavy waiter (2)", o.id, o.err)
	}
	held = append(held[1:], o.t)
	held[0].Done(true)
	o = <-out
	if o.err != nil {
		t.Fatal(o.err)
	}
	for _, tk := range append(held[1:], o.t) {
		tk.Done(true)
	}
	if s := l.Snapshot()[0]; s.InFlight != 0 || s.Queued != 0 || s.Clients != 0 {
		t.Errorf("left: %+v", s)
	}
}

// Under sustained overload, each client gets an equal share of the slots:
// a client sending 90% of the requests gets no more than the others.
func TestFairShareUnderOverload(t *testing.T) {
	l := New(Config{InitialLimit: 10, MinLimit: 10, MaxLimit: 10, QueueSize: 20, MaxWait: 20 * time.Millisecond})
	var wg sync.WaitGroup
	var admitted [10]atomic.Int64
	var sent [10]atomic.Int64
	stop := make(chan struct{})
	worker := func(c int) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			sent[c].Add(1)
			tk, err := l.Acquire(context.Background(), Request{Key: "k", Client: uint64(c)})
			if err != nil {
				time.Sleep(time.Millisecond)
				continue
			}
			admitted[c].Add(1)
			time.Sleep(2 * time.Millisecond)
			tk.Done(false)
		}
	}
	// client 0 runs 27 concurrent senders, each other client one
	for range 27 {
		wg.Add(1)
		go worker(0)
	}
	for c := 1; c < 10; c++ {
		wg.Add(1)
		go worker(c)
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	total := int64(0)
	for c := range admitted {
		total += admitted[c].Load()
	}
	heavyShare := float64(admitted[0].Load()) / float64(total)
	t.Logf("heavy sent %d, admitted %d (%.0f%% of slots)", sent[0].Load(), admitted[0].Load(), 100*heavyShare)
	// the light clients have one sender each, no more than their fair
	// share of the ten slots; the heavy one gets what they leave
	for c := 1; c < 10; c++ {
		rate := float64(admitted[c].Load()) / float64(sent[c].Load())
		if rate < 0.9 {
			t.Errorf("light client %d: %.0f%% admitted, want at least 90%%", c, 100*rate)
		}
	}
}

// Higher priority is served first and shed last.
func TestPriority(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 1, MinLimit: 1, QueueSize: 2, MaxWait: 10 * time.Second})
	held, _ := l.Acquire(context.Background(), Request{Key: "k", Client: 1})
	out := make(chan outcome, 8)
	acquireAsync(t, l, context.Background(), Request{Key: "k", Client: 2, Priority: 0}, 0, out, 1)
	acquireAsync(t, l, context.Background(), Request{Key: "k", Client: 3, Priority: 1}, 1, out, 2)
	// a priority-2 newcomer pushes out the priority-0 waiter
	acquireAsync(t, l, context.Background(), Request{Key: "k", Client: 4, Priority: 2}, 2, out, 2)
	if o := <-out; o.id != 0 || !errors.Is(o.err, ErrQueueFull) {
		t.Fatalf("pushed out: %d (%v), want the priority-0 request", o.id, o.err)
	}
	// a priority-0 newcomer ranks lowest: refused
	if _, err := l.Acquire(context.Background(), Request{Key: "k", Client: 5, Priority: 0}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("priority-0 newcomer: %v", err)
	}
	held.Done(true)
	o := <-out
	if o.id != 2 || o.err != nil {
		t.Fatalf("first served: %d (%v), want the priority-2 request", o.id, o.err)
	}
	o.t.Done(true)
	o = <-out
	if o.id != 1 || o.err != nil {
		t.Fatalf("then: %d (%v), want the priority-1 request", o.id, o.err)
	}
	o.t.Done(true)
}

// A waiter whose context ends leaves the queue at once, and its place
// goes to the next one; a slot granted as the context ends is handed on.
func TestAbortWhileQueuedFreesItsPlace(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 1, MinLimit: 1, QueueSize: 1, MaxWait: 10 * time.Second})
	held, _ := l.Acquire(context.Background(), Request{Key: "k", Client: 1})
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan outcome, 4)
	acquireAsync(t, l, ctx, Request{Key: "k", Client: 2}, 0, out, 1)
	cancel()
	if o := <-out; !errors.Is(o.err, context.Canceled) {
		t.Fatalf("aborted waiter: %v, want context.Canceled", o.err)
	}
	// its place is free: another request can queue (the queue holds one)
	acquireAsync(t, l, context.Background(), Request{Key: "k", Client: 3}, 1, out, 1)
	held.Done(true)
	o := <-out
	if o.id != 1 || o.err != nil {
		t.Fatalf("after the abort: %d (%v), want request 1 admitted", o.id, o.err)
	}
	o.t.Done(true)
	if s := l.Snapshot()[0]; s.InFlight != 0 || s.Queued != 0 || s.Clients != 0 || s.ShedMaxWait != 0 {
		t.Errorf("left: %+v", s)
	}
}

// Races between a grant, a timeout and an abort never lose or double a
// slot (run with -race).
func TestNoSlotLostUnderRaces(t *testing.T) {
	l := New(Config{InitialLimit: 3, MinLimit: 3, MaxLimit: 3, QueueSize: 5, MaxWait: time.Millisecond})
	var wg sync.WaitGroup
	var inFlight, peak atomic.Int64
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%3)*time.Millisecond)
				tk, err := l.Acquire(ctx, Request{Key: "k", Client: uint64(g % 4), Priority: i % 2})
				if err == nil {
					n := inFlight.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					time.Sleep(50 * time.Microsecond)
					inFlight.Add(-1)
					tk.Done(i%2 == 0)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	if peak.Load() > 3 {
		t.Errorf("peak in flight %d over the limit of 3", peak.Load())
	}
	s := l.Snapshot()[0]
	if s.InFlight != 0 || s.Queued != 0 || s.Clients != 0 {
		t.Errorf("left: %+v", s)
	}
}

// Keys are bounded: beyond MaxKeys, new keys share the overflow key, and
// a key idle for a minute makes room.
func TestMaxKeys(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{MaxKeys: 2})
	for _, k := range []string{"a", "b", "c"} {
		tk, err := l.Acquire(context.Background(), Request{Key: k})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tk.k.name, map[string]string{"a": "a", "b": "b", "c": OverflowKey}[k]; got != want {
			t.Errorf("key %s counted under %s, want %s", k, got, want)
		}
		tk.Done(true)
	}
	clk.advance(2 * idleDrop)
	tk, _ := l.Acquire(context.Background(), Request{Key: "d"})
	if tk.k.name != "d" {
		t.Errorf("after an idle minute, d counted under %s", tk.k.name)
	}
	tk.Done(true)
	if n := l.nkeys.Load(); n != 2 {
		t.Errorf("%d keys tracked, want 2", n)
	}
}

// The overflow key's limit is one unit, whatever the units of the
// requests it takes: with the latest request's units, one for a
// 40-instance service lifted the shared limit forty times for every other
// service in the overflow (a fresh-eyes attack: 61 in flight at once at a
// 1-instance service of limit 5).
func TestOverflowKeyIsOneUnit(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{MaxKeys: 1, InitialLimit: 5, QueueSize: 1})
	first, err := l.Acquire(context.Background(), Request{Key: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Done(true)
	var tickets []Ticket
	for i := range 40 {
		units := 1
		if i%2 == 1 {
			units = 40 // a big service's request between the small one's
		}
		tk, err := l.Acquire(context.Background(), Request{Key: fmt.Sprintf("svc%d", i), Client: uint64(i), Units: units})
		if err == nil {
			if tk.k.name != OverflowKey {
				t.Fatalf("request %d counted under %s, want %s", i, tk.k.name, OverflowKey)
			}
			tickets = append(tickets, tk)
		}
	}
	// the limit (5) and the stall admission's cap (twice it) bound what
	// is in flight; 40 units would have admitted all 40
	if n := len(tickets); n > 10 {
		t.Errorf("%d requests in flight in the overflow key of limit 5, want at most 10", n)
	}
	for _, s := range l.Snapshot() {
		if s.Key == OverflowKey && (s.Units != 1 || s.Limit != 5) {
			t.Errorf("overflow key: units %d, limit %d; want 1 and 5", s.Units, s.Limit)
		}
	}
	for _, tk := range tickets {
		tk.Done(true)
	}
}

// Reconfigure keeps what was learned; Seed sets it.
func TestReconfigureAndSeed(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{})
	l.Seed("svc", 77, 40*time.Millisecond)
	l.Reconfigure(Config{Now: clk.Now, MaxLimit: 500})
	s := l.Snapshot()
	if len(s) != 1 || s[0].Limit != 77 || s[0].MinLatency != 40*time.Millisecond {
		t.Fatalf("after Seed and Reconfigure: %+v", s)
	}
	l.Seed("svc", 5000, 0)
	if got := l.limitOf("svc"); got != 500 {
		t.Errorf("a seed over max_limit: %d, want 500", got)
	}
}

// The cost when not saturated: one Acquire and one Done.
func BenchmarkAcquireDone(b *testing.B) {
	l := New(Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tk, err := l.Acquire(context.Background(), Request{Key: "svc", Client: 7})
			if err != nil {
				b.Fatal(err)
			}
			tk.Done(true)
		}
	})
}

// The choice of tolerance, measured (go test -run Tolerance -v): at 10x
// the capacity of a service with ±10% noise on its service time, the
// limit, the p99 latency and the throughput each tolerance settles at.
func TestToleranceChoice(t *testing.T) {
	for _, tol := range []float64{1.05, 1.1, 1.25, 1.5, 2} {
		clk := &fakeClock{}
		l := newTestLimiter(clk, Config{Tolerance: tol})
		svc := &service{servers: 64, service: 100 * time.Millisecond, noise: 0.1}
		res := simulate(t, l, clk, svc, 6400, 60*time.Second)
		t.Logf("tolerance %.2f: limit %.1f, p99 %v (%.2fx the service time), throughput %.0f/s of 640",
			tol, res.meanLimit, res.p99.Round(time.Millisecond), float64(res.p99)/float64(100*time.Millisecond), res.throughput)
		if res.throughput < 0.85*640 {
			t.Errorf("tolerance %.2f: throughput %.0f/s", tol, res.throughput)
		}
	}
}

// Requests that fail without an answer (an upstream timeout) still push
// the limit down when they took long: a service slower than the proxy's
// timeout is not left with the limit it had.
func TestSlowFailuresShrinkTheLimit(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 50, MinSamples: 1})
	run := func(latency time.Duration, answered bool) {
		for range 20 {
			tk, _ := l.Acquire(context.Background(), Request{Key: "k"})
			clk.advance(latency)
			tk.Done(answered)
			clk.advance(100 * time.Millisecond)
		}
	}
	run(10*time.Millisecond, true)
	before := l.limitOf("k")
	run(time.Second, false) // every request timed out at the proxy after 1s
	if after := l.limitOf("k"); after >= before/2 {
		t.Errorf("limit %d after slow failures, was %d: want it well down", after, before)
	}
	// fast failures (no answer, quick) do not move the baseline
	run(time.Millisecond, false)
	if s := l.Snapshot()[0]; s.MinLatency != 10*time.Millisecond {
		t.Errorf("least latency %v after fast failures, want 10ms", s.MinLatency)
	}
}

// Requests the client gave up on are no samples at all (BROKE 2 of the
// fourth attack): clients abandoning hung requests after 2 s set the
// latency to 2 s and shrank the limit, and at the least concurrency made
// 2 s the baseline.
func TestAbandonedRequestsAreNoSamples(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 50, MinLimit: 4, MinSamples: 1})
	run := func(n, limit int, latency time.Duration, abandon bool) {
		for range n {
			var tks []Ticket
			for range limit {
				tk, err := l.Acquire(context.Background(), Request{Key: "k"})
				if err != nil {
					break
				}
				tks = append(tks, tk)
			}
			clk.advance(latency)
			for _, tk := range tks {
				if abandon {
					tk.Abandon()
				} else {
					tk.Done(true)
				}
			}
			clk.advance(100 * time.Millisecond)
		}
	}
	run(20, 30, 10*time.Millisecond, false)
	before := l.Snapshot()[0]
	run(20, 30, 2*time.Second, true) // every client gave up after 2s
	after := l.Snapshot()[0]
	if after.Limit < before.Limit || after.Latency != before.Latency || after.MinLatency != before.MinLatency || after.Admitted != before.Admitted {
		t.Errorf("after abandoned requests: %+v, was %+v: want no sample (same latency, baseline, count; limit not down)", after, before)
	}
	// at the least concurrency too: the baseline stays
	l.Seed("k", 4, 10*time.Millisecond)
	run(20, 4, 2*time.Second, true)
	if s := l.Snapshot()[0]; s.MinLatency != 10*time.Millisecond || s.InFlight != 0 {
		t.Errorf("at min_limit after abandoned requests: %+v, want the baseline 10ms and nothing in flight", s)
	}
}

// The limit reaches a slow service's capacity in seconds: it grows by
// √limit per window of one latency.
func TestConvergesUpQuickly(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{})
	svc := &service{servers: 64, service: 500 * time.Millisecond}
	res := simulate(t, l, clk, svc, 1280, 8*time.Second)
	if res.limit < 64 {
		t.Errorf("limit %d after 8s at 10x of a 64 × 500ms service: want at least 64", res.limit)
	}
}

// Hung requests do not ratchet the limit up (BROKE 1 of the fourth
// attack): a client whose requests hang takes every slot it can while a
// few fast requests are answered. The slots look used, and the fast
// answers keep the gradient at 1, so the limit grew by √limit per window
// (24 -> 96 -> 354 at a 16-slot service). It grows only from windows whose
// answered requests kept half the limit busy.
func TestHungRequestsDoNotRaiseTheLimit(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 24})
	l.Seed("k", 24, 100*time.Millisecond)
	const fast = 4 // the fast requests in flight at once
	hung := 0
	for range 300 { // 30 s of 100 ms rounds
		s := l.Snapshot()[0]
		for n := s.InFlight; n < s.Limit-fast; n++ {
			if _, err := l.Acquire(context.Background(), Request{Key: "k", Client: 1}); err != nil {
				t.Fatalf("hung request refused with a free slot: %v", err)
			}
			hung++ // never ends
		}
		var tks []Ticket
		for c := range fast {
			tk, err := l.Acquire(context.Background(), Request{Key: "k", Client: uint64(2 + c)})
			if err != nil {
				t.Fatalf("fast request refused with a free slot: %v", err)
			}
			tks = append(tks, tk)
		}
		clk.advance(100 * time.Millisecond)
		for _, tk := range tks {
			tk.Done(true)
		}
	}
	if s := l.Snapshot()[0]; s.Limit > 24 || hung > 20 {
		t.Errorf("after 30 s of %d fast requests beside hung ones: limit %d, %d hung requests admitted; want the limit at most 24 (it was) and at most 20 hung", fast, s.Limit, hung)
	}
}
