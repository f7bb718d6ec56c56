package loadshed

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

// fairRun is what simulateFair saw over its measured part.
type fairRun struct {
	heavy   float64   // the heavy client's success rate
	light   []float64 // each light client's
	goodput float64   // successes per second
	p99     time.Duration
	limit   float64       // the mean limit over the measured part
	least   time.Duration // the baseline at the end
	// why light clients' counted requests failed: refused on arrival,
	// waited max_wait, pushed out of the queue, admitted but late
	lightRefused, lightTimedOut, lightPushed, lightLate int
	// of lightTimedOut, those whose client was under its fair share of
	// the slots (limit / clients) when its wait ended
	lightTimedOutUnder int
}

func (r fairRun) String() string {
	lo, hi := 1.0, 0.0
	for _, s := range r.light {
		lo, hi = min(lo, s), max(hi, s)
	}
	return fmt.Sprintf("heavy %.0f%%, light %.0f%%..%.0f%%, goodput %.0f/s, p99 %v, limit %.1f, least %v; light lost: refused %d, waited %d (under their share %d), pushed out %d, late %d",
		100*r.heavy, 100*lo, 100*hi, r.goodput, r.p99.Round(time.Millisecond), r.limit, r.least.Round(time.Millisecond),
		r.lightRefused, r.lightTimedOut, r.lightTimedOutUnder, r.lightPushed, r.lightLate)
}

// timeouts is a heap of waiters by when they give up.
type simWaiter struct {
	w       *waiter
	who     int
	arrived int64
	until   int64
	counted bool
	gaveUp  bool
}
type timeouts []*simWaiter

func (t timeouts) Len() int           { return len(t) }
func (t timeouts) Less(i, j int) bool { return t[i].until < t[j].until }
func (t timeouts) Swap(i, j int)      { t[i], t[j] = t[j], t[i] }
func (t *timeouts) Push(x any)        { *t = append(*t, x.(*simWaiter)) }
func (t *timeouts) Pop() any {
	old := *t
	x := old[len(old)-1]
	*t = old[:len(old)-1]
	return x
}

// simulateFair offers rate requests per second to svc through l for d of
// fake time, as bench/loadshed.go does through a real Caddy: one client
// (0) sends 90% of them, nine light ones (1..9) 1.1% each; a request
// succeeds when it is answered within deadline of its arrival. Waiting,
// timeouts and grants are simulated on the fake clock. The last half is
// measured.
func simulateFair(t *testing.T, l *Limiter, clk *fakeClock, svc *service, rate float64, d, deadline time.Duration) fairRun {
	t.Helper()
	if svc.free == nil {
		svc.free = make([]int64, svc.servers)
	}
	cfg := l.cfg.Load()
	k := l.key("svc", cfg)
	type done struct {
		who     int
		arrived int64
		counted bool
	}
	var pending completions
	meta := map[int64]done{} // by completion id
	var seqs int64
	var waiting timeouts
	var queued []*simWaiter
	sent, good := make([]int, 10), make([]int, 10)
	var lats []time.Duration
	r := fairRun{}
	var limits float64
	var nlimits int
	step := int64(float64(time.Second) / rate)
	end := clk.Now() + int64(d)
	measureFrom := end - int64(d)/2
	start := func(now int64, tk Ticket, who int, arrived int64, counted bool) {
		seqs++
		tk.start = now
		meta[seqs] = done{who, arrived, counted}
		heap.Push(&pending, completion{at: svc.admit(now), t: tk, id: seqs})
	}
	granted := func(now int64) {
		kept := queued[:0]
		for _, sw := range queued {
			switch {
			case sw.gaveUp:
			case !sw.w.done:
				kept = append(kept, sw)
			case !sw.w.evicted:
				start(now, Ticket{k: k, c: sw.w.c, queued: true}, sw.who, sw.arrived, sw.counted)
			default:
				if sw.counted && sw.who > 0 {
					r.lightPushed++
				}
			}
		}
		queued = kept
	}
	i := 0
	for {
		// arrivals stop at end; the requests sent until then are
		// followed until they end (answered, shed or given up)
		at := int64(math.MaxInt64)
		if arrival := end - int64(d) + int64(i)*step; arrival < end {
			at = arrival
		}
		kind := 0 // 0 arrival, 1 completion, 2 timeout
		if pending.Len() > 0 && pending[0].at < at {
			at, kind = pending[0].at, 1
		}
		if waiting.Len() > 0 && waiting[0].until < at {
			at, kind = waiting[0].until, 2
		}
		if at == math.MaxInt64 {
			break
		}
		clk.now.Store(at)
		switch kind {
		case 0:
			i++
			who := 0
			if (i-1)%10 == 0 {
				who = 1 + ((i-1)/10)%9
			}
			counted := at >= measureFrom
			if counted {
				sent[who]++
				limits += float64(k.limitLocked(cfg))
				nlimits++
			}
			tk, w, maxWait, err := k.admit(cfg, Request{Key: "svc", Client: uint64(who) + 1})
			switch {
			case err != nil:
				if counted && who > 0 {
					r.lightRefused++
				}
			case w == nil:
				start(at, tk, who, at, counted)
			default:
				sw := &simWaiter{w: w, who: who, arrived: at, until: at + int64(maxWait), counted: counted}
				queued = append(queued, sw)
				heap.Push(&waiting, sw)
			}
			granted(at)
		case 1:
			c := heap.Pop(&pending).(completion)
			m := meta[c.id]
			delete(meta, c.id)
			c.t.Done(true)
			if m.counted {
				took := time.Duration(at - m.arrived)
				lats = append(lats, min(took, deadline))
				if took <= deadline {
					good[m.who]++
				} else if m.who > 0 {
					r.lightLate++
				}
			}
			granted(at)
		case 2:
			sw := heap.Pop(&waiting).(*simWaiter)
			if !sw.w.done {
				under := sw.w.c.inFlight < k.limitLocked(cfg)/len(k.clients)
				// shed, or admitted over the limit when the key is
				// stalled (then granted starts it)
				sw.gaveUp = k.leave(sw.w, true)
				if sw.gaveUp && sw.counted && sw.who > 0 && under {
					r.lightTimedOutUnder++
				}
				if sw.gaveUp && sw.counted && sw.who > 0 {
					r.lightTimedOut++
				}
				granted(at)
			}
		}
	}
	for pending.Len() > 0 {
		c := heap.Pop(&pending).(completion)
		clk.now.Store(c.at)
		c.t.Done(true)
	}
	for _, sw := range queued {
		if !sw.w.done {
			k.leave(sw.w, false)
		}
	}
	slices.Sort(lats)
	r.limit = limits / float64(max(nlimits, 1))
	r.least = time.Duration(k.minLatency)
	if len(lats) > 0 {
		r.p99 = lats[len(lats)*99/100]
	}
	total := 0
	for who := range sent {
		rate := float64(good[who]) / float64(max(sent[who], 1))
		if who == 0 {
			r.heavy = rate
		} else {
			r.light = append(r.light, rate)
		}
		total += good[who]
	}
	r.goodput = float64(total) / (float64(d) / 2 / float64(time.Second))
	return r
}

// The fairness case on a service of 64 slots × 250 ms (0.5 to 1.5
// times it): one client sends 90% of the requests, nine light ones 1.1%
// each. At 3x its capacity, every light client gets at least 90% of its
// requests answered in time. At 10x each light client sends 28.4
// requests/s, more than its tenth of the capacity (25.6/s), so an exact
// equal share answers 90.0% of them and no more: the goal sits exactly on
// it. What the light clients lose must be only that: none refused on
// arrival, pushed out of the queue or answered late, and (almost) none shed
// after waiting while under its fair share; each gets at least 85% and
// together about 90%, the heavy client about its tenth, and goodput is the
// capacity.
func TestFairShareHeavyAndLight(t *testing.T) {
	for _, c := range []struct {
		mult                  float64
		lightLeast, lightMean float64
	}{{3, 0.9, 0.99}, {10, 0.85, 0.89}} {
		clk := &fakeClock{}
		l := newTestLimiter(clk, Config{QueueSize: 100})
		svc := &service{servers: 64, service: 250 * time.Millisecond, noise: 0.5}
		r := simulateFair(t, l, clk, svc, c.mult*256, 20*time.Second, time.Second)
		t.Logf("%vx: %v", c.mult, r)
		mean := 0.0
		for i, s := range r.light {
			mean += s / float64(len(r.light))
			if s < c.lightLeast {
				t.Errorf("%vx: light client %d answered %.0f%%, want at least %.0f%%", c.mult, i+1, 100*s, 100*c.lightLeast)
			}
		}
		if mean < c.lightMean {
			t.Errorf("%vx: the light clients answered %.1f%% on average, want at least %.0f%%", c.mult, 100*mean, 100*c.lightMean)
		}
		if r.lightRefused+r.lightPushed+r.lightLate > 0 {
			t.Errorf("%vx: light requests refused on arrival %d, pushed out %d, late %d: want none", c.mult, r.lightRefused, r.lightPushed, r.lightLate)
		}
		lightSent := 0.1 * c.mult * 256 * 10 // over the 10 s measured
		if float64(r.lightTimedOutUnder) > 0.01*lightSent {
			t.Errorf("%vx: %d light requests shed after waiting while under their share, want at most 1%%", c.mult, r.lightTimedOutUnder)
		}
		if heavyShare := r.heavy * 0.9 * c.mult * 256 / r.goodput; heavyShare > 0.12 && c.mult == 10 {
			t.Errorf("10x: the heavy client got %.0f%% of the answers, want about its tenth", 100*heavyShare)
		}
		if r.goodput < 0.98*256 {
			t.Errorf("%vx: goodput %.0f/s of 256", c.mult, r.goodput)
		}
	}
}

// The choice of the automatic max_wait (go test -run MaxWaitChoice -v):
// fixed waits against a fraction of the least latency, on a slow service
// (64 × 250 ms) and a fast one (64 × 10 ms), at 10x with the heavy and
// light clients. A fixed 50 ms is about right for the slow service but
// five request times on the fast one, where it only adds latency; 10 ms
// sheds light clients of the slow one. Half the least latency does well
// on both.
func TestMaxWaitChoice(t *testing.T) {
	saved := AutoMaxWait
	defer func() { AutoMaxWait = saved }()
	type result struct {
		name string
		r    fairRun
	}
	for _, svcTime := range []time.Duration{250 * time.Millisecond, 10 * time.Millisecond} {
		var results []result
		for _, c := range []struct {
			name   string
			fixed  time.Duration
			factor float64
		}{{"fixed 10ms", 10 * time.Millisecond, 0}, {"fixed 50ms", 50 * time.Millisecond, 0},
			{"auto 0.25", 0, 0.25}, {"auto 0.5", 0, 0.5}, {"auto 1", 0, 1}} {
			AutoMaxWait.Factor = cmpOr(c.factor, 0.5)
			clk := &fakeClock{}
			l := newTestLimiter(clk, Config{QueueSize: 100, MaxWait: c.fixed})
			svc := &service{servers: 64, service: svcTime, noise: 0.5}
			rate := 10 * 64 / svcTime.Seconds()
			r := simulateFair(t, l, clk, svc, rate, 10*time.Second+100*svcTime, 4*svcTime)
			t.Logf("service 64 × %v, 10x, %s: %v", svcTime, c.name, r)
			results = append(results, result{c.name, r})
		}
		auto := results[3].r
		if least(auto.light) < least(results[0].r.light)-0.02 {
			t.Errorf("service %v: auto 0.5 serves light clients worse than a fixed 10ms", svcTime)
		}
		if auto.goodput < 0.9*64/svcTime.Seconds() {
			t.Errorf("service %v: auto 0.5 goodput %.0f/s", svcTime, auto.goodput)
		}
		if svcTime == 10*time.Millisecond && auto.p99 > results[1].r.p99 {
			t.Errorf("fast service: auto 0.5 p99 %v above a fixed 50ms's %v", auto.p99, results[1].r.p99)
		}
	}
}

func cmpOr(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

func least(s []float64) float64 {
	lo := 1.0
	for _, v := range s {
		lo = min(lo, v)
	}
	return lo
}

// Per-client state is bounded: one record per client with a request in
// flight or waiting (at most the limit plus QueueSize), none once they
// end, and at most maxFreeClients spare records kept for reuse, however
// many distinct clients come.
func TestClientRecordsBounded(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 4, MinLimit: 4, MaxLimit: 4, QueueSize: 10})
	cfg := l.cfg.Load()
	k := l.key("k", cfg)
	var tickets []Ticket
	var waiters []*waiter
	for id := range uint64(10000) {
		tk, w, _, err := k.admit(cfg, Request{Key: "k", Client: id})
		switch {
		case err != nil:
		case w != nil:
			waiters = append(waiters, w)
		default:
			tickets = append(tickets, tk)
		}
		if n := len(k.clients); n > k.inFlight+len(k.queue) || n > 4+10 {
			t.Fatalf("after client %d: %d client records for %d in flight and %d waiting", id, n, k.inFlight, len(k.queue))
		}
	}
	for _, w := range waiters {
		k.leave(w, false)
	}
	for _, tk := range tickets {
		tk.Done(true)
	}
	if len(k.clients) != 0 || len(k.free) > maxFreeClients {
		t.Errorf("after all ended: %d client records, %d spare (at most %d)", len(k.clients), len(k.free), maxFreeClients)
	}
}

// A client over its fair share of the slots that already holds its share
// of the queue is refused at once, without waiting or pushing anyone out,
// while a client under its share still queues ahead of it.
func TestOverShareRefusedAtOnce(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 4, MinLimit: 4, MaxLimit: 4, QueueSize: 10})
	cfg := l.cfg.Load()
	k := l.key("k", cfg)
	const heavy, light = 1, 2
	var held []Ticket
	for range 3 {
		tk, _, _, err := k.admit(cfg, Request{Key: "k", Client: heavy})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tk)
	}
	lt, _, _, err := k.admit(cfg, Request{Key: "k", Client: light})
	if err != nil {
		t.Fatal(err)
	}
	// two clients: a fair share of 2 slots and 5 waiters each; the heavy
	// one holds 3 slots, so it may queue 5 and no more
	var queued []*waiter
	for i := range 7 {
		_, w, _, err := k.admit(cfg, Request{Key: "k", Client: heavy})
		if i < 5 && (err != nil || w == nil) {
			t.Fatalf("heavy waiter %d: %v, want it queued", i, err)
		}
		if i >= 5 && !errors.Is(err, ErrQueueFull) {
			t.Fatalf("heavy waiter %d over its share of the queue: %v, want ErrQueueFull", i, err)
		}
		if w != nil {
			queued = append(queued, w)
		}
	}
	_, lw, _, err := k.admit(cfg, Request{Key: "k", Client: light})
	if err != nil || lw == nil {
		t.Fatalf("light waiter: %v, want it queued", err)
	}
	// the light client, under its share, takes the next slot
	held[0].Done(true)
	if !lw.done || lw.evicted {
		t.Fatal("the freed slot did not go to the light client under its share")
	}
	for _, w := range queued {
		if w.done {
			t.Fatal("a heavy waiter got the slot")
		}
		k.leave(w, false)
	}
	lt.Done(true)
	for _, tk := range held[1:] {
		tk.Done(true)
	}
	Ticket{k: k, c: lw.c}.Done(true)
	if len(k.clients) != 0 || k.inFlight != 0 || len(k.queue) != 0 {
		t.Errorf("left: %d clients, %d in flight, %d waiting", len(k.clients), k.inFlight, len(k.queue))
	}
}

// A client's request of a higher priority that pushes out its own waiter
// from a full queue keeps the client's record (it is not recycled while
// in use).
func TestPushOutOwnWaiterKeepsTheClient(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 1, MinLimit: 1, MaxLimit: 1, QueueSize: 1})
	cfg := l.cfg.Load()
	k := l.key("k", cfg)
	held, _, _, _ := k.admit(cfg, Request{Key: "k", Client: 1})
	_, low, _, err := k.admit(cfg, Request{Key: "k", Client: 2, Priority: 0})
	if err != nil || low == nil {
		t.Fatalf("first waiter: %v", err)
	}
	_, high, _, err := k.admit(cfg, Request{Key: "k", Client: 2, Priority: 1})
	if err != nil || high == nil || !low.evicted {
		t.Fatalf("the higher priority waiter: %v; the lower one pushed out: %v", err, low.evicted)
	}
	if got := k.clients[2]; got != high.c || got.queued != 1 {
		t.Fatalf("client 2's record %+v, want the waiter's, with 1 queued", got)
	}
	for _, f := range k.free {
		if f == high.c {
			t.Fatal("client 2's record is in the spare list while in use")
		}
	}
	held.Done(true)
	if !high.done || high.evicted {
		t.Fatal("the freed slot did not go to the waiter")
	}
	Ticket{k: k, c: high.c}.Done(true)
	if len(k.clients) != 0 || k.inFlight != 0 {
		t.Errorf("left: %d clients, %d in flight", len(k.clients), k.inFlight)
	}
}

// The learned limit is steady from run to run: on the service of 64 slots
// × 250 ms (0.5 to 1.5 times it), at 3x and 10x with the heavy and light
// clients, each of several runs (their service times drawn differently)
// settles at or above the slots, with the baseline near the service's
// mean time and goodput at its capacity. (With the least mean of the
// limit's own windows as the baseline, one run settled at 40 and answered
// 60% of the capacity: the first windows see the quick requests first.)
func TestBaselineSteady(t *testing.T) {
	for _, mult := range []float64{3, 10} {
		for seed := range uint64(6) {
			clk := &fakeClock{}
			l := newTestLimiter(clk, Config{QueueSize: 100})
			svc := &service{servers: 64, service: 250 * time.Millisecond, noise: 0.5, rng: seed * 7919}
			r := simulateFair(t, l, clk, svc, mult*256, 20*time.Second, time.Second)
			t.Logf("%vx, run %d: %v", mult, seed, r)
			if r.limit < 64 || r.limit > 64*1.6 {
				t.Errorf("%vx, run %d: the limit settled at %.1f, want from the slots (64) to 1.6 times them", mult, seed, r.limit)
			}
			if r.least < 200*time.Millisecond {
				t.Errorf("%vx, run %d: baseline %v, want near the mean service time (250ms)", mult, seed, r.least)
			}
			if r.goodput < 0.95*256 {
				t.Errorf("%vx, run %d: goodput %.0f/s, want at least 95%% of 256", mult, seed, r.goodput)
			}
		}
	}
}

// The baseline's first long window may raise the first window's (biased
// low) mean; a first window taken while the machine is slow (every
// request 2 or 4 times as long for the first 0.5 to 3 s) must not leave the
// baseline high: later windows lower it again, and the limit settles as
// without the slow start.
func TestBaselineAfterSlowStart(t *testing.T) {
	for _, by := range []float64{2, 4} {
		for _, until := range []time.Duration{500 * time.Millisecond, time.Second, 3 * time.Second} {
			clk := &fakeClock{}
			l := newTestLimiter(clk, Config{QueueSize: 100})
			svc := &service{servers: 64, service: 250 * time.Millisecond, noise: 0.5, slowUntil: int64(until), slowBy: by}
			r := simulateFair(t, l, clk, svc, 10*256, 20*time.Second, time.Second)
			t.Logf("%vx as slow for %v: %v", by, until, r)
			if r.least > 300*time.Millisecond || r.limit > 64*1.6 || r.goodput < 0.95*256 {
				t.Errorf("%vx as slow for %v: baseline %v, limit %.1f, goodput %.0f/s: want the baseline near 250ms, the limit under 1.6 times the slots, goodput the capacity",
					by, until, r.least, r.limit, r.goodput)
			}
		}
	}
}
