package gcra

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock for a zone's sweeper.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() int64 { return c.ns.Load() }

const sec = int64(time.Second)

// newZone returns a zone of rates on a clock at 0, closed at the test's end.
func newZone(t *testing.T, maxKeys int, rates ...Rate) (*Zone, *clock) {
	t.Helper()
	c := new(clock)
	z := NewZone(rates, maxKeys, c.now)
	t.Cleanup(z.Close)
	return z, c
}

// take is one request for key at now, with the zone's tats.
func take(z *Zone, key string, now int64) (bool, int64, []int64) {
	tats := make([]int64, len(z.Rates()))
	ok, wait := z.Take(key, now, tats)
	return ok, wait, tats
}

func TestNewRateRoundsTheWindowUp(t *testing.T) {
	// 3 per 10s: an interval of 3.333s, a burst of 10s
	r := NewRate(3, 10*time.Second, 0)
	if r.Interval != 10*sec/3 || r.Tolerance != 3*(10*sec/3) || r.Burst != 3 || r.Window != 10 {
		t.Fatalf("3/10s: %+v", r)
	}
	// 1 per 1500ms, burst 1: the window in whole seconds is 2
	if r := NewRate(1, 1500*time.Millisecond, 0); r.Window != 2 {
		t.Fatalf("1/1.5s: window %d, want 2", r.Window)
	}
	// a burst smaller than the events
	if r := NewRate(10, time.Second, 2); r.Burst != 2 || r.Tolerance != 2*(sec/10) || r.Window != 1 {
		t.Fatalf("10/s burst 2: %+v", r)
	}
}

func TestBurstThenRefused(t *testing.T) {
	z, _ := newZone(t, 1000, NewRate(5, time.Minute, 0))
	for i := range 5 {
		ok, wait, tats := take(z, "k", 0)
		if !ok || wait != 0 {
			t.Fatalf("request %d of the burst: allowed %v, wait %d", i+1, ok, wait)
		}
		if want := int64(i+1) * 12 * sec; tats[0] != want {
			t.Fatalf("request %d: TAT %d, want %d", i+1, tats[0], want)
		}
	}
	ok, wait, tats := take(z, "k", 0)
	if ok {
		t.Fatal("the 6th request at once passed a burst of 5")
	}
	if wait != 12*sec {
		t.Fatalf("wait %v, want 12s", time.Duration(wait))
	}
	if tats[0] != 60*sec {
		t.Fatalf("a refusal reports TAT %d, want the bucket as it stands (60s)", tats[0])
	}
	// a refusal consumes nothing: the wait stays the same
	if _, again, _ := take(z, "k", 0); again != wait {
		t.Fatalf("a second refusal waits %v, want %v: the refusal consumed", time.Duration(again), time.Duration(wait))
	}
}

func TestRetryAfterIsExact(t *testing.T) {
	z, _ := newZone(t, 1000, NewRate(2, 10*time.Second, 0))
	take(z, "k", 0)
	take(z, "k", 0)
	ok, wait, _ := take(z, "k", 1*sec)
	if ok || wait != 4*sec {
		t.Fatalf("at 1s: allowed %v, wait %v; want refused for 4s", ok, time.Duration(wait))
	}
	if ok, w, _ := take(z, "k", 1*sec+wait-1); ok || w != 1 {
		t.Fatalf("1ns before the wait ends: allowed %v, wait %d", ok, w)
	}
	if ok, _, _ := take(z, "k", 1*sec+wait); !ok {
		t.Fatal("refused when the wait ended")
	}
	// that took the one slot that had come back
	if ok, w, _ := take(z, "k", 1*sec+wait); ok || w != 5*sec {
		t.Fatalf("again at once: allowed %v, wait %v; want 5s", ok, time.Duration(w))
	}
}

func TestRefillOneIntervalAtATime(t *testing.T) {
	z, _ := newZone(t, 1000, NewRate(5, time.Minute, 0))
	for range 5 {
		take(z, "k", 0)
	}
	// every 12s, one more request
	for i := int64(1); i <= 3; i++ {
		if ok, _, _ := take(z, "k", i*12*sec); !ok {
			t.Fatalf("refused at %ds", i*12)
		}
		if ok, _, _ := take(z, "k", i*12*sec); ok {
			t.Fatalf("two passed at %ds", i*12)
		}
	}
	// a whole window after the last, the whole burst is back, and no more
	last := int64(36 * sec)
	for i := range 5 {
		if ok, _, _ := take(z, "k", last+60*sec); !ok {
			t.Fatalf("request %d of the refilled burst refused", i+1)
		}
	}
	if ok, _, _ := take(z, "k", last+60*sec); ok {
		t.Fatal("an idle bucket saved up more than its burst")
	}
	// a long idle time saves up no more than the burst
	n := 0
	for {
		if ok, _, _ := take(z, "k", 1000*sec); !ok {
			break
		}
		n++
	}
	if n != 5 {
		t.Fatalf("after a long idle time %d passed at once, want the burst, 5", n)
	}
}

func TestWindowEdges(t *testing.T) {
	// 1 per second, burst 1: exactly one per interval, at the interval's edge
	z, _ := newZone(t, 1000, NewRate(1, time.Second, 0))
	if ok, _, _ := take(z, "k", 0); !ok {
		t.Fatal("first refused")
	}
	if ok, w, _ := take(z, "k", sec-1); ok || w != 1 {
		t.Fatalf("1ns before the edge: allowed %v, wait %d", ok, w)
	}
	if ok, _, _ := take(z, "k", sec); !ok {
		t.Fatal("refused at the edge")
	}
	// a request late by a little does not shift the schedule by more than
	// that: the next is due a whole interval after this one
	if ok, _, tats := take(z, "k", 2*sec+sec/2); !ok || tats[0] != 3*sec+sec/2 {
		t.Fatalf("late request: allowed %v, TAT %d", ok, tats[0])
	}
	// a clock that goes back (another caller's earlier reading) is refused,
	// not granted extra
	if ok, _, _ := take(z, "k", 2*sec); ok {
		t.Fatal("a request from the past passed")
	}
}

func TestBurstLargerThanRate(t *testing.T) {
	// 1/s with a burst of 20: 20 at once, then one a second
	z, _ := newZone(t, 1000, NewRate(1, time.Second, 20))
	for i := range 20 {
		if ok, _, _ := take(z, "k", 0); !ok {
			t.Fatalf("request %d of the burst of 20 refused", i+1)
		}
	}
	if ok, w, _ := take(z, "k", 0); ok || w != sec {
		t.Fatalf("21st: allowed %v, wait %v", ok, time.Duration(w))
	}
	if ok, _, _ := take(z, "k", sec); !ok {
		t.Fatal("refused a second later")
	}
}

func TestBurstSmallerThanRate(t *testing.T) {
	// 10/s with a burst of 2: 2 at once, then one every 100ms
	z, _ := newZone(t, 1000, NewRate(10, time.Second, 2))
	take(z, "k", 0)
	take(z, "k", 0)
	ok, w, _ := take(z, "k", 0)
	if ok || w != sec/10 {
		t.Fatalf("3rd at once: allowed %v, wait %v", ok, time.Duration(w))
	}
}

func TestSeveralRatesAllOrNothing(t *testing.T) {
	// 2 per second and 3 per minute
	z, _ := newZone(t, 1000, NewRate(2, time.Second, 0), NewRate(3, time.Minute, 0))
	for i := range 2 {
		if ok, _, _ := take(z, "k", 0); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	// the per-second rate refuses; the per-minute one must not be charged
	ok, wait, tats := take(z, "k", 0)
	if ok || wait != sec/2 {
		t.Fatalf("3rd at once: allowed %v, wait %v; want the per-second rate's 500ms", ok, time.Duration(wait))
	}
	if tats[0] != sec || tats[1] != 40*sec {
		t.Fatalf("refused: TATs %v, want them as they stand [1s 40s]", tats)
	}
	// a second later the per-second rate allows, and the per-minute one has
	// one left: it was not charged by the refusal
	if ok, _, _ := take(z, "k", sec); !ok {
		t.Fatal("the per-minute rate was charged by a refused request")
	}
	// now the per-minute rate refuses, for the longest wait of the two
	ok, wait, _ = take(z, "k", 2*sec)
	if ok {
		t.Fatal("a 4th request passed 3 per minute")
	}
	if want := 80*sec - 60*sec - 2*sec; wait != want {
		t.Fatalf("wait %v, want %v (the per-minute rate's)", time.Duration(wait), time.Duration(want))
	}
}

func TestKeysAreIndependent(t *testing.T) {
	z, _ := newZone(t, 1000, NewRate(1, time.Minute, 0))
	for i := range 100 {
		if ok, _, _ := take(z, fmt.Sprint("client-", i), 0); !ok {
			t.Fatalf("client %d refused: another key's requests counted", i)
		}
	}
	if ok, _, _ := take(z, "client-7", 0); ok {
		t.Fatal("a second request of one key passed")
	}
	if n := z.Keys(); n != 100 {
		t.Fatalf("Keys() = %d, want 100", n)
	}
}

func TestSweepDropsOnlyFullBuckets(t *testing.T) {
	z, c := newZone(t, 1000, NewRate(2, 10*time.Second, 0))
	take(z, "idle", 0) // full again at 5s
	take(z, "busy", 0)
	take(z, "busy", 0) // full again at 10s
	c.ns.Store(5 * sec)
	z.Sweep()
	if n := z.Keys(); n != 1 {
		t.Fatalf("after the first bucket refilled: %d keys, want 1", n)
	}
	// busy is still limited: its state was kept
	if ok, _, _ := take(z, "busy", 5*sec); !ok {
		t.Fatal("busy refused at 5s")
	}
	if ok, _, _ := take(z, "busy", 5*sec); ok {
		t.Fatal("busy's bucket was dropped while it carried information")
	}
	c.ns.Store(20 * sec)
	z.Sweep()
	if n := z.Keys(); n != 0 {
		t.Fatalf("every bucket full again: %d keys, want 0", n)
	}
}

func TestFullZoneEvictsButNeverFreesALimitedKey(t *testing.T) {
	// 16 keys: one shard of 16
	z, _ := newZone(t, 16, NewRate(1, time.Minute, 0))
	if len(z.shards) != 1 {
		t.Fatalf("%d shards", len(z.shards))
	}
	for i := range 16 {
		take(z, fmt.Sprint("limited-", i), 0)
	}
	// every tracked key is limited: a flood of new keys passes (as a fresh
	// bucket would) but evicts none of them
	for i := range 1000 {
		if ok, _, _ := take(z, fmt.Sprint("new-", i), sec); !ok {
			t.Fatalf("new key %d refused", i)
		}
	}
	if n := z.Keys(); n != 16 {
		t.Fatalf("%d keys, want 16", n)
	}
	for i := range 16 {
		if ok, _, _ := take(z, fmt.Sprint("limited-", i), sec); ok {
			t.Fatalf("limited-%d was freed by a flood of new keys", i)
		}
	}
	// once they are full again, new keys take their places, and are counted
	if ok, _, _ := take(z, "late", 61*sec); !ok {
		t.Fatal("late refused")
	}
	if ok, _, _ := take(z, "late", 61*sec); ok {
		t.Fatal("a key admitted into a full shard was not counted")
	}
}

func TestFullZoneEvictsTheFullestSampledKey(t *testing.T) {
	// 2 per minute: a key with one request is not limited, but not full
	z, _ := newZone(t, 16, NewRate(2, time.Minute, 0))
	for i := range 16 {
		take(z, fmt.Sprint("half-", i), 0)
	}
	// no bucket is full, none is limited: a new key evicts one and is counted
	take(z, "new", sec)
	if n := z.Keys(); n != 16 {
		t.Fatalf("%d keys, want 16", n)
	}
	take(z, "new", sec)
	if ok, _, _ := take(z, "new", sec); ok {
		t.Fatal("the new key was not counted")
	}
}

func TestConcurrentTakesGrantExactlyTheBurst(t *testing.T) {
	const burst, workers, each = 50, 8, 100
	z, _ := newZone(t, 100000, NewRate(burst, time.Hour, 0))
	var granted atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tats := make([]int64, 1)
			for i := range each {
				if ok, _ := z.Take("shared", 0, tats); ok {
					granted.Add(1)
				}
				// and keys of their own, on every shard
				z.Take(fmt.Sprint(w, "-", i), 0, tats)
			}
		}()
	}
	wg.Add(1)
	go func() { // the sweeper running at the same time
		defer wg.Done()
		for range 50 {
			z.Sweep()
			z.Keys()
		}
	}()
	wg.Wait()
	if g := granted.Load(); g != burst {
		t.Fatalf("%d concurrent requests granted %d, want exactly the burst, %d", workers*each, g, burst)
	}
	if n := z.Keys(); n != 1+workers*each {
		t.Fatalf("%d keys, want %d", n, 1+workers*each)
	}
}

func TestCloseStopsTheSweeper(t *testing.T) {
	z := NewZone([]Rate{NewRate(1, time.Second, 0)}, 10, func() int64 { return 0 })
	z.Close()
	select {
	case <-z.stop:
	default:
		t.Fatal("Close did not signal the sweeper")
	}
}
