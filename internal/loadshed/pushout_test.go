package loadshed

import (
	"container/heap"
	"testing"
	"time"
)

// loopEvent is one closed loop's next event on the fake clock.
type loopEvent struct {
	at   int64
	kind int // 0 send, 1 answer ends, 2 wait ends
	loop int
	seq  int
}
type loopEvents []loopEvent

func (e loopEvents) Len() int { return len(e) }
func (e loopEvents) Less(i, j int) bool {
	if e[i].at != e[j].at {
		return e[i].at < e[j].at
	}
	return e[i].seq < e[j].seq
}
func (e loopEvents) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *loopEvents) Push(x any)   { *e = append(*e, x.(loopEvent)) }
func (e *loopEvents) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// simulateLoops runs closed loops against key "k" of l for d of fake time:
// loops[i] is the client of loop i. A loop sends a request, and when it is
// answered sends the next at once; when it is shed (refused, pushed out of
// the queue or waited max_wait) it sends again after retry. Each admitted
// request takes svcTime (±50%, no queueing in the service: the limit is
// fixed at or under its slots). It returns the admissions per client.
func simulateLoops(t *testing.T, l *Limiter, clk *fakeClock, loops []uint64, svcTime, retry, d time.Duration) map[uint64]int {
	t.Helper()
	cfg := l.cfg.Load()
	k := l.key("k", cfg)
	admitted := map[uint64]int{}
	tickets := make([]Ticket, len(loops))
	waiters := make([]*waiter, len(loops))
	var ev loopEvents
	seq := 0
	push := func(at int64, kind, loop int) {
		seq++
		heap.Push(&ev, loopEvent{at: at, kind: kind, loop: loop, seq: seq})
	}
	rng := uint64(1)
	serve := func(now int64, loop int, tk Ticket) {
		rng = rng*6364136223846793005 + 1442695040888963407
		u := float64(rng>>11)/float64(1<<53) - 0.5
		tk.start = now
		tickets[loop] = tk
		admitted[loops[loop]]++
		push(now+int64(svcTime)+int64(u*float64(svcTime)), 1, loop)
	}
	// granted starts the loops whose waiters got a slot, and schedules a
	// retry for those pushed out
	granted := func(now int64) {
		for i, w := range waiters {
			if w == nil || !w.done {
				continue
			}
			waiters[i] = nil
			if w.evicted {
				push(now+int64(retry), 0, i)
				continue
			}
			serve(now, i, Ticket{k: k, c: w.c, queued: true})
		}
	}
	for i := range loops {
		push(int64(i)*int64(svcTime)/int64(len(loops)), 0, i)
	}
	end := clk.Now() + int64(d)
	for ev.Len() > 0 {
		e := heap.Pop(&ev).(loopEvent)
		if e.at > end {
			break
		}
		clk.now.Store(e.at)
		switch e.kind {
		case 0:
			tk, w, maxWait, err := k.admit(cfg, Request{Key: "k", Client: loops[e.loop]})
			switch {
			case err != nil:
				push(e.at+int64(retry), 0, e.loop)
			case w == nil:
				serve(e.at, e.loop, tk)
			default:
				waiters[e.loop] = w
				push(e.at+int64(maxWait), 2, e.loop)
			}
		case 1:
			tickets[e.loop].Done(true)
			tickets[e.loop] = Ticket{}
			push(e.at, 0, e.loop)
		case 2:
			w := waiters[e.loop]
			if w == nil || w.done {
				break // granted or pushed out before its wait ended
			}
			waiters[e.loop] = nil
			if k.leave(w, true) {
				push(e.at+int64(retry), 0, e.loop)
			} else {
				serve(e.at, e.loop, Ticket{k: k, c: w.c, queued: true})
			}
		}
		granted(e.at)
	}
	return admitted
}

// A client with several requests outstanding (a browser's six
// connections) against sixty clients sending one at a time, at saturation
// with a full queue (16 slots, 32 waiters, 66 requests outstanding), gets
// at least 0.7 of an equal share of the admissions, whatever its loops wait
// after a 503. Before, it got 0.10 with a 100 ms retry: a client sending
// one at a time has its record released after each request, and a new
// record had lastGrant 0, so it went before the browser (whose record
// lives on, its last grant real) in every round-robin tie, and the
// browser's waiters waited max_wait. 0.7: the least served one-at-a-time
// client itself gets 0.65 to 0.81 of an equal share in these runs (each
// 503 costs it a whole retry, where the browser's six loops overlap theirs),
// so a bound nearer 1 would test that noise, not the browser's fairness.
func TestManyConnectionsGetAnEqualShare(t *testing.T) {
	for _, c := range []struct {
		name  string
		retry time.Duration
	}{{"retry after 10ms", 10 * time.Millisecond}, {"retry after 100ms", 100 * time.Millisecond}, {"retry after 1s", time.Second}} {
		clk := &fakeClock{}
		l := newTestLimiter(clk, Config{InitialLimit: 16, MinLimit: 16, MaxLimit: 16, QueueSize: 32, MaxWait: 200 * time.Millisecond})
		loops := make([]uint64, 0, 66)
		for range 6 {
			loops = append(loops, 1000) // the browser
		}
		for i := range 60 {
			loops = append(loops, uint64(i+1))
		}
		got := simulateLoops(t, l, clk, loops, 100*time.Millisecond, c.retry, 60*time.Second)
		total := 0
		for _, n := range got {
			total += n
		}
		equal := float64(total) / 61
		ratio := float64(got[1000]) / equal
		least := 1e9
		for id, n := range got {
			if id != 1000 {
				least = min(least, float64(n)/equal)
			}
		}
		t.Logf("%s: %d admitted, the six-connection client %d (%.2f of an equal share), the least one-at-a-time client %.2f", c.name, total, got[1000], ratio, least)
		if ratio < 0.7 {
			t.Errorf("%s: the six-connection client got %.2f of an equal share, want at least 0.7", c.name, ratio)
		}
	}
}
