package loadshed

import (
	"container/heap"
	"fmt"
	"testing"
	"time"
)

// fastAnswersRun is what legitimate clients saw while one client looped
// fast answers under their key, and after it stopped.
type fastAnswersRun struct {
	before, during, after     float64 // the limit at the end of each phase
	baseBefore, baseDuring    time.Duration
	servedDuring, servedAfter float64 // the legitimate requests admitted, of those sent
	minLimit                  int     // the least limit during and after the attack
	backAfter                 time.Duration
}

// runFastAnswers simulates the shape of a fresh-eyes attack: twelve
// clients loop requests to a service of 16 slots × 200 ms (±50%, queueing
// beyond them); after warm of fake time, one more client loops requests
// the service answers in 1 ms without work (a 404 for a path that does
// not exist) on four connections (or one per client key, when it has
// more than four keys) for attack, then stops, and the twelve
// go on for after. sampled says whether those answers end with Done(true)
// (latency samples) or Done(false) (failures: fast ones are no sample).
// A request that is shed is sent again 20 ms later (the attacker's 1 ms
// later).
func runFastAnswers(t *testing.T, sampled bool, keys int, warm, attack, after time.Duration) fastAnswersRun {
	t.Helper()
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 20, QueueSize: 32})
	cfg := l.cfg.Load()
	k := l.key("k", cfg)
	svc := &service{servers: 16, service: 200 * time.Millisecond, noise: 0.5, free: make([]int64, 16), rng: 7}
	const legit = 12
	clients := make([]uint64, legit+max(keys, 4))
	for i := range clients {
		clients[i] = uint64(i + 1)
		if i >= legit {
			clients[i] = 1000 + uint64((i-legit)%keys)
		}
	}
	attackFrom, attackTo := int64(warm), int64(warm+attack)
	end := int64(warm + attack + after)
	tickets := make([]Ticket, len(clients))
	waiters := make([]*waiter, len(clients))
	var ev loopEvents
	seq := 0
	push := func(at int64, kind, loop int) {
		seq++
		heap.Push(&ev, loopEvent{at: at, kind: kind, loop: loop, seq: seq})
	}
	retry := func(at int64, loop int) {
		if loop >= legit {
			push(at+int64(time.Millisecond), 0, loop)
		} else {
			push(at+int64(20*time.Millisecond), 0, loop)
		}
	}
	var sentDuring, admittedDuring, sentAfter, admittedAfter int
	count := func(now int64, loop int, admitted bool) {
		if loop >= legit {
			return
		}
		switch {
		case now >= attackFrom+int64(attack)/2 && now < attackTo:
			sentDuring++
			if admitted {
				admittedDuring++
			}
		case now >= attackTo:
			sentAfter++
			if admitted {
				admittedAfter++
			}
		}
	}
	serve := func(now int64, loop int, tk Ticket) {
		tk.start = now
		tickets[loop] = tk
		count(now, loop, true)
		if loop >= legit {
			push(now+int64(time.Millisecond), 1, loop)
		} else {
			push(svc.admit(now), 1, loop)
		}
	}
	granted := func(now int64) {
		for i, w := range waiters {
			if w == nil || !w.done {
				continue
			}
			waiters[i] = nil
			if w.evicted {
				count(now, i, false)
				retry(now, i)
				continue
			}
			serve(now, i, Ticket{k: k, c: w.c, queued: true})
		}
	}
	for i := range clients {
		at := int64(i) * int64(10*time.Millisecond)
		if i >= legit {
			at += attackFrom
		}
		push(at, 0, i)
	}
	var run fastAnswersRun
	run.minLimit = 1 << 30
	phase := 0
	for ev.Len() > 0 {
		e := heap.Pop(&ev).(loopEvent)
		if e.at > end {
			break
		}
		clk.now.Store(e.at)
		if phase == 0 && e.at >= attackFrom {
			phase, run.before, run.baseBefore = 1, k.limit, time.Duration(k.minLatency)
		}
		if phase == 1 && e.at >= attackTo {
			phase, run.during, run.baseDuring = 2, k.limit, time.Duration(k.minLatency)
		}
		if phase >= 1 {
			run.minLimit = min(run.minLimit, k.limitLocked(cfg))
		}
		if phase == 2 && run.backAfter == 0 && k.limit >= 0.8*run.before {
			run.backAfter = time.Duration(e.at - attackTo)
		}
		if e.loop >= legit && e.kind == 0 && e.at >= attackTo {
			continue // the attacker stopped
		}
		switch e.kind {
		case 0:
			tk, w, maxWait, err := k.admit(cfg, Request{Key: "k", Client: clients[e.loop]})
			switch {
			case err != nil:
				count(e.at, e.loop, false)
				retry(e.at, e.loop)
			case w == nil:
				serve(e.at, e.loop, tk)
			default:
				waiters[e.loop] = w
				push(e.at+int64(maxWait), 2, e.loop)
			}
		case 1:
			tickets[e.loop].Done(e.loop < legit || sampled)
			tickets[e.loop] = Ticket{}
			push(e.at, 0, e.loop)
		case 2:
			w := waiters[e.loop]
			if w == nil || w.done {
				break
			}
			waiters[e.loop] = nil
			if k.leave(w, true) {
				count(e.at, e.loop, false)
				retry(e.at, e.loop)
			} else {
				serve(e.at, e.loop, Ticket{k: k, c: w.c, queued: true})
			}
		}
		granted(e.at)
	}
	run.after = k.limit
	run.servedDuring = float64(admittedDuring) / float64(max(sentDuring, 1))
	run.servedAfter = float64(admittedAfter) / float64(max(sentAfter, 1))
	if run.backAfter == 0 {
		run.backAfter = time.Duration(end - attackTo)
	}
	return run
}

// One client looping answers that cost the service nothing (a 404 for a
// path that does not exist), beside twelve clients of a service of 16
// slots × 200 ms, does not set the key's latency: each window's latency
// is the mean over clients, so it moves the baseline by about a
// thirteenth. The limit stays near what the twelve had taught it, they
// keep nearly every request served, and once it stops the limit is back
// within 20% of where it was in a few seconds. Before, the mean over the
// requests, nearly all the attacker's, pulled the baseline to a few
// milliseconds and the limit to min_limit (4.75, which "at min_limit"
// never matched, so the baseline was not measured again): the twelve got
// 5% to 12% of their requests served, for 20 to 50 s after it stopped.
//
// Measured both ways for such answers (4xx): as latency samples, and as
// failures (Done(false): a fast one is no sample, as a fast 5xx). From one
// client key both hold (the baseline 187 -> 143 ms as samples, 178 ms as
// failures); from four keys and more, samples do not (below, and
// TestFastAnswersOfManyClientKeys): the handler counts 4xx as failures.
func TestFastAnswersOfOneClientDoNotSetTheLatency(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		r := runFastAnswers(t, sampled, 1, 4*time.Second, 10*time.Second, 10*time.Second)
		t.Logf("fast answers sampled %v: limit %.1f before (baseline %v), %.1f at the attack's end (baseline %v), least %d, %.1f at the end; "+
			"legitimate requests served %.0f%% in the attack's last 5 s, %.0f%% after it; limit back within 20%% %v after it stopped",
			sampled, r.before, r.baseBefore, r.during, r.baseDuring, r.minLimit, r.after, 100*r.servedDuring, 100*r.servedAfter, r.backAfter)
		if r.baseDuring < r.baseBefore*3/4 {
			t.Errorf("sampled %v: the baseline fell from %v to %v under one client's fast answers", sampled, r.baseBefore, r.baseDuring)
		}
		if float64(r.minLimit) < 0.6*r.before {
			t.Errorf("sampled %v: the limit fell to %d from %.1f under one client's fast answers", sampled, r.minLimit, r.before)
		}
		if r.servedDuring < 0.9 || r.servedAfter < 0.95 {
			t.Errorf("sampled %v: legitimate requests served %.0f%% during the attack, %.0f%% after it; want ≥ 90%%, ≥ 95%%",
				sampled, 100*r.servedDuring, 100*r.servedAfter)
		}
		if r.backAfter > 3*time.Second {
			t.Errorf("sampled %v: the limit took %v after the attack to come back within 20%% of %.1f", sampled, r.backAfter, r.before)
		}
	}
}

// A limit that shrinks towards MinLimit approaches it geometrically and
// never reaches it, and with the gradient at its floor it settles at 4
// whatever MinLimit: "at the least concurrency" holds within two of
// max(MinLimit, 4), so the baseline is measured again there (the attack
// saw 4.75 stay over 4, and a baseline pulled low was never corrected).
func TestAtMinLimitWithinOne(t *testing.T) {
	for _, c := range []struct {
		minLimit int
		limit    float64
	}{{4, 4.75}, {4, 5.9}, {1, 4.5}} {
		t.Run(fmt.Sprintf("min_limit %d, limit %.2f", c.minLimit, c.limit), func(t *testing.T) { atMinLimit(t, c.minLimit, c.limit) })
	}
}

func atMinLimit(t *testing.T, minLimit int, limit float64) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 4, MinLimit: minLimit, MinSamples: 1})
	l.Seed("k", limit, 3*time.Millisecond) // a baseline pulled low, the limit just over its minimum
	for range 40 {
		tk, err := l.Acquire(t.Context(), Request{Key: "k"})
		if err != nil {
			t.Fatal(err)
		}
		clk.advance(200 * time.Millisecond)
		tk.Done(true)
		clk.advance(10 * time.Millisecond)
	}
	s := l.Snapshot()[0]
	if s.MinLatency < 150*time.Millisecond {
		t.Errorf("baseline %v after answers of 200 ms with the limit within one of min_limit: not measured again", s.MinLatency)
	}
}

// An attacker spread over many client keys: fast failures (4xx, as
// shipped) move nothing, asserted; fast answers taken as samples (the
// choice not made) pull the baseline down with each key, one more bucket
// in the mean over clients: measured and logged for docs/load_shed.md.
func TestFastAnswersOfManyClientKeys(t *testing.T) {
	for _, keys := range []int{4, 12, 32, 100} {
		for _, sampled := range []bool{true, false} {
			r := runFastAnswers(t, sampled, keys, 4*time.Second, 10*time.Second, 10*time.Second)
			t.Logf("%d attacker keys, fast answers sampled %v: baseline %v -> %v, limit %.1f -> least %d; legitimate served %.0f%% during, %.0f%% after; back within 20%% after %v",
				keys, sampled, r.baseBefore, r.baseDuring, r.before, r.minLimit, 100*r.servedDuring, 100*r.servedAfter, r.backAfter)
			if sampled {
				continue // the choice not made, measured for docs/load_shed.md
			}
			// what ships: fast failures from any number of keys move
			// neither the baseline nor what the others get
			if r.baseDuring < r.baseBefore*8/10 {
				t.Errorf("%d attacker keys of fast 4xx: baseline %v -> %v, want within 20%%", keys, r.baseBefore, r.baseDuring)
			}
			if r.servedDuring < 0.9 || r.servedAfter < 0.9 {
				t.Errorf("%d attacker keys of fast 4xx: legitimate served %.0f%% during, %.0f%% after, want at least 90%%", keys, 100*r.servedDuring, 100*r.servedAfter)
			}
		}
	}
}
