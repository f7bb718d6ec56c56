package loadshed

import (
	"context"
	"testing"
	"time"
)

// A reload while a key is saturated: the new bounds apply at once, the
// requests admitted before it still end with their latency (their slot
// freed once), and the limit keeps learning. The engine's clock is the
// real one here, as the handler's (a Config without Now): a reload made a
// new clock that started at zero, so an engine that had run for an hour saw
// every window start an hour in the future (no update for an hour) and
// every ticket in flight end before it began.
func TestReloadWhileSaturated(t *testing.T) {
	born := time.Now().Add(-time.Hour) // the engine has run for an hour
	old := Config{InitialLimit: 40, MinLimit: 4, MaxLimit: 100, QueueSize: -1, Window: time.Millisecond, MinSamples: 5,
		Now: func() int64 { return int64(time.Since(born)) }}
	l := New(old)
	ctx := context.Background()
	quick := func(n int) {
		for range n {
			for range 5 {
				tk, err := l.Acquire(ctx, Request{Key: "k"})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(200 * time.Microsecond)
				tk.Done(true)
			}
			time.Sleep(time.Millisecond)
		}
	}
	quick(5) // a baseline well under a millisecond
	// saturate: every slot of the limit learned so far (40, or a little
	// less on a busy machine, where a sleep of 200µs may take longer)
	limit := l.limitOf("k")
	if limit < 20 {
		t.Fatalf("limit %d after quick requests", limit)
	}
	var held []Ticket
	for range limit {
		tk, err := l.Acquire(ctx, Request{Key: "k"})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tk)
	}
	if _, err := l.Acquire(ctx, Request{Key: "k"}); err == nil {
		t.Fatalf("a request admitted over the limit of %d", limit)
	}
	time.Sleep(20 * time.Millisecond)
	before := l.Config().Now()
	// the new config, as a reload gives it: no clock of its own
	l.Reconfigure(Config{InitialLimit: 40, MinLimit: 4, MaxLimit: 10, QueueSize: -1, Window: time.Millisecond, MinSamples: 5})
	if now := l.Config().Now(); now < before {
		t.Fatalf("the clock went back %v at the reload", time.Duration(before-now))
	}
	if got := l.limitOf("k"); got != 10 {
		t.Fatalf("right after a reload to max_limit 10, the limit is %d", got)
	}
	// the requests admitted before the reload end: each frees its slot and
	// is a sample of its latency (20 ms and more)
	for _, tk := range held {
		tk.Done(true)
	}
	s := l.Snapshot()[0]
	if s.InFlight != 0 || s.Admitted != uint64(25+limit) {
		t.Fatalf("after the old requests ended: %d in flight, %d samples, want 0 and %d", s.InFlight, s.Admitted, 25+limit)
	}
	if s.Latency < 20*time.Millisecond || s.Latency > time.Minute {
		t.Errorf("the old requests' latency %v, want 20 ms and more (about their time)", s.Latency)
	}
	// far over the baseline: the limit shrinks from the new max_limit
	if s.Limit >= 10 || s.Limit < 4 {
		t.Errorf("after the slow old requests ended, the limit is %d, want it down from 10 (baseline %v)", s.Limit, s.MinLatency)
	}
	// and the requests admitted under the new config are samples too
	quick(5)
	if s = l.Snapshot()[0]; s.Latency >= 20*time.Millisecond || s.Admitted != uint64(25+limit+25) {
		t.Errorf("after the reload, quick requests: latest window %v, %d samples (want %d)", s.Latency, s.Admitted, 25+limit+25)
	}
}
