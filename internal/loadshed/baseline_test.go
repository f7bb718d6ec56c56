package loadshed

import (
	"context"
	"testing"
	"time"
)

// At MinLimit, only answers re-measure the baseline: slow failures (a 504
// after a 10 s response_header_timeout, a slow 5xx) keep the limit down
// but do not become the baseline (they did: one window of them at the
// least concurrency made 10 s the least latency, and a stalled key then
// waited 100 s before admitting anyone over the limit). Answers that are
// slow for good still re-measure it.
func TestSlowFailuresAreNoBaseline(t *testing.T) {
	clk := &fakeClock{}
	l := newTestLimiter(clk, Config{InitialLimit: 4, MinLimit: 4, MaxLimit: 4, MinSamples: 1})
	run := func(n int, latency time.Duration, answered bool) {
		for range n {
			tk, err := l.Acquire(context.Background(), Request{Key: "k"})
			if err != nil {
				t.Fatal(err)
			}
			clk.advance(latency)
			tk.Done(answered)
			clk.advance(100 * time.Millisecond)
		}
	}
	run(20, 100*time.Millisecond, true)
	if s := l.Snapshot()[0]; s.MinLatency != 100*time.Millisecond {
		t.Fatalf("baseline %v after answers of 100ms", s.MinLatency)
	}
	run(20, 10*time.Second, false) // every request timed out at the proxy
	s := l.Snapshot()[0]
	if s.MinLatency != 100*time.Millisecond {
		t.Errorf("baseline %v after slow failures at min_limit, want 100ms still", s.MinLatency)
	}
	if s.Latency < time.Second {
		t.Errorf("the failures' window %v: they still count as (slow) samples", s.Latency)
	}
	run(20, 400*time.Millisecond, true) // the service got slower for good
	if s := l.Snapshot()[0]; s.MinLatency != 400*time.Millisecond {
		t.Errorf("baseline %v after answers of 400ms at min_limit, want 400ms", s.MinLatency)
	}
}
