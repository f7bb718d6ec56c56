package loadshed

import (
	"testing"
	"time"
)

// stallRun is what runStall saw.
type stallRun struct {
	maxInFlight   int
	lightSent     int // light requests that arrived while the key was stalled, before freeAt
	lightServed   int // of those, admitted (at once or when their wait ended)
	heavyMax      int // the most the heavy client held
	overAfterFree int // the most in flight once the heavy client's slots freed and the light ones over the limit ended
	overLimitEnd  uint64
	overLimitFree uint64
}

// runStall: a key of a fixed limit of 8, a least latency of 200 ms (so it
// counts as stalled after 2 s without a free slot, and a request waits at
// most 100 ms). At 0 the heavy client (1) takes all 8 slots and its
// requests hang until freeAt; it keeps sending one request each 10 ms
// (those admitted from freeAt on are served in 200 ms).
// nLight light clients (2...) each send one request each 300 ms, served in
// 200 ms. Events on a fake clock, 10 ms apart, until end.
func runStall(t *testing.T, nLight int, freeAt, end time.Duration) stallRun {
	t.Helper()
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 8, MinLimit: 8, MaxLimit: 8, QueueSize: 100})
	l.Seed("k", 8, 200*time.Millisecond)
	cfg := l.cfg.Load()
	k := l.key("k", cfg)
	stallAfter := 10 * 200 * time.Millisecond
	var hung []Ticket
	for range 8 {
		tk, w, _, err := k.admit(cfg, Request{Key: "k", Client: 1})
		if err != nil || w != nil {
			t.Fatalf("the heavy client's first requests: %v, want admitted at once", err)
		}
		hung = append(hung, tk)
	}
	type running struct {
		tk  Ticket
		end int64
	}
	type waiting struct {
		w      *waiter
		until  int64
		light  bool
		counts bool
	}
	var run []running
	var queue []waiting
	var r stallRun
	heldBy := func(id uint64) int {
		if c, ok := k.clients[id]; ok {
			return c.inFlight
		}
		return 0
	}
	served := func(light, counts bool, tk Ticket, now int64) {
		if counts {
			r.lightServed++
		}
		if light || now >= int64(freeAt) {
			run = append(run, running{tk, now + int64(200*time.Millisecond)})
		} else {
			hung = append(hung, tk)
		}
	}
	step := int64(10 * time.Millisecond)
	for now := step; now < int64(end); now += step {
		clk.now.Store(now)
		if now == int64(freeAt) {
			for _, tk := range hung {
				tk.Done(true)
			}
			hung = nil
			r.overLimitFree = l.Snapshot()[0].OverLimit
		}
		kept := run[:0]
		for _, x := range run {
			if x.end <= now {
				x.tk.Done(true)
			} else {
				kept = append(kept, x)
			}
		}
		run = kept
		// waits that end: granted by a freed slot, shed, or admitted over
		// the limit
		kq := queue[:0]
		for _, q := range queue {
			switch {
			case q.w.done && !q.w.evicted:
				served(q.light, q.counts, Ticket{k: k, c: q.w.c, start: now}, now)
			case q.w.done:
			case q.until <= now:
				if !k.leave(q.w, true) && !q.w.evicted {
					served(q.light, q.counts, Ticket{k: k, c: q.w.c, start: now}, now)
				}
			default:
				kq = append(kq, q)
			}
		}
		queue = kq
		arrive := func(id uint64, light bool) {
			counts := light && now >= int64(stallAfter) && now < int64(freeAt)
			if counts {
				r.lightSent++
			}
			tk, w, maxWait, err := k.admit(cfg, Request{Key: "k", Client: id})
			switch {
			case err != nil:
			case w == nil:
				served(light, counts, tk, now)
			default:
				queue = append(queue, waiting{w, now + int64(maxWait), light, counts})
			}
		}
		arrive(1, false)
		for i := range nLight {
			if (now/step)%30 == int64(i) {
				arrive(uint64(2+i), true)
			}
		}
		r.maxInFlight = max(r.maxInFlight, k.inFlight)
		r.heavyMax = max(r.heavyMax, heldBy(1))
		if freeAt < end && now > int64(freeAt+300*time.Millisecond) {
			r.overAfterFree = max(r.overAfterFree, k.inFlight)
		}
	}
	r.overLimitEnd = l.Snapshot()[0].OverLimit
	return r
}

// A client whose requests took every slot while there was no contention,
// and hang, does not lock the others out: once no slot has freed for ten
// least latencies (2 s here), the light clients under their share are
// admitted over the limit, each request at once or when its wait (100 ms)
// ends; the heavy client gets nothing more; and once its slots free, the
// limit applies again.
func TestStuckSlotsDoNotLockOthersOut(t *testing.T) {
	r := runStall(t, 6, 6*time.Second, 10*time.Second)
	t.Logf("%+v", r)
	if r.lightSent == 0 || r.lightServed < r.lightSent {
		t.Errorf("light requests from the stall on: %d of %d admitted, want all", r.lightServed, r.lightSent)
	}
	if r.heavyMax > 8 {
		t.Errorf("the heavy client held %d slots, want at most its 8", r.heavyMax)
	}
	if r.maxInFlight > 16 {
		t.Errorf("%d in flight, want at most twice the limit, 16", r.maxInFlight)
	}
	if r.overAfterFree > 8 || r.overLimitEnd != r.overLimitFree {
		t.Errorf("after the slots freed: up to %d in flight, %d admitted over the limit (%d before), want the limit of 8 again",
			r.overAfterFree, r.overLimitEnd, r.overLimitFree)
	}
}

// The cap: however many light clients come while the key is stalled, the
// requests in flight never exceed twice the limit.
func TestStallCap(t *testing.T) {
	r := runStall(t, 25, time.Hour, 8*time.Second)
	t.Logf("%+v", r)
	if r.maxInFlight != 16 {
		t.Errorf("at most %d in flight with 25 light clients, want the cap, 16", r.maxInFlight)
	}
	if r.heavyMax > 8 {
		t.Errorf("the heavy client held %d slots, want at most its 8", r.heavyMax)
	}
}

// Under normal saturation (slots free at the usual rate) nothing is
// admitted over the limit.
func TestNoOverLimitUnderSaturation(t *testing.T) {
	for _, mult := range []float64{3, 10} {
		clk := &fakeClock{}
		l := newTestLimiter(clk, Config{QueueSize: 100})
		svc := &service{servers: 64, service: 250 * time.Millisecond, noise: 0.5}
		simulateFair(t, l, clk, svc, mult*256, 30*time.Second, time.Second)
		if s := l.Snapshot()[0]; s.OverLimit != 0 {
			t.Errorf("%vx: %d requests admitted over the limit, want none", mult, s.OverLimit)
		}
	}
}
