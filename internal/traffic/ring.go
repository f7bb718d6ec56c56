// Package traffic keeps the gateway's recent traffic in memory, for the
// dashboard: per second over the last 15 minutes, per service (requests by
// class, refusals by kind, cache results, a latency histogram), per
// throttle zone, per consumers' plan, the cache's stored bytes, and the
// circuits' changes of state.
//
// Everything is fixed-size: a series is a ring of Seconds one-second slots
// allocated once, tables hold at most a set number of named series (beyond
// that, one "(other)" series takes the rest), and the marks are a ring too,
// so memory is bounded whatever the traffic or the number of names
// ([Recorder.BoundBytes]). Recording is a few atomic adds into the current
// slot: no lock (but once a second per series, to clear the slot it moves
// into) and no allocation. The package knows nothing of Caddy or HTTP
// servers; times are passed in or read from an injected clock.
package traffic

import (
	"sync"
	"sync/atomic"
)

// Seconds is how many one-second slots a series keeps: 15 minutes.
const Seconds = 900

// ring is one series' counters: Seconds slots of cols counters each. A
// slot holds the counts of the second in its stamp; a slot whose stamp is
// another second holds nothing of the second asked for.
type ring struct {
	cols   int
	stamps [Seconds]atomic.Int64 // the unix second each slot holds, +1 (0: never used)
	counts []atomic.Uint32       // Seconds*cols
	mu     sync.Mutex            // taken only to move a slot to a new second
	latest atomic.Int64          // the latest second a slot moved to
}

func newRing(cols int) *ring {
	return &ring{cols: cols, counts: make([]atomic.Uint32, Seconds*cols)}
}

// ringBytes is what a ring of cols counters takes in memory: its two
// allocations, each rounded up to whole 8 KiB pages as Go's allocator
// does for objects this size.
func ringBytes(cols int) int { return pages(8*Seconds+64) + pages(4*Seconds*cols) }

func pages(n int) int { return (n + 8191) / 8192 * 8192 }

// slot returns the counters of second sec, cleared if they held an older
// second. It returns nil for a second the slot has already moved past (a
// writer that waited 15 minutes): its counts are dropped.
func (r *ring) slot(sec int64) []atomic.Uint32 {
	i := int(uint64(sec) % Seconds)
	st := &r.stamps[i]
	if s := st.Load(); s != sec+1 {
		if s > sec+1 {
			return nil
		}
		r.mu.Lock()
		if s = st.Load(); s < sec+1 {
			c := r.counts[i*r.cols : (i+1)*r.cols]
			for j := range c {
				c[j].Store(0)
			}
			st.Store(sec + 1) // after the clearing: a writer that sees the stamp adds to cleared counters
			if sec > r.latest.Load() {
				r.latest.Store(sec)
			}
		}
		r.mu.Unlock()
		if s > sec+1 {
			return nil
		}
	}
	return r.counts[i*r.cols : (i+1)*r.cols]
}

// add adds n to column col of second sec.
func (r *ring) add(sec int64, col int, n uint32) {
	if c := r.slot(sec); c != nil {
		c[col].Add(n)
	}
}

// read copies second sec's counters into dst (len cols) and reports
// whether the slot held that second; dst is zeroed when it did not.
func (r *ring) read(sec int64, dst []uint32) bool {
	i := int(uint64(sec) % Seconds)
	if r.stamps[i].Load() != sec+1 {
		clear(dst)
		return false
	}
	c := r.counts[i*r.cols : (i+1)*r.cols]
	for j := range dst {
		dst[j] = c[j].Load()
	}
	// cleared for a later second while we read: what we read is not sec's
	if r.stamps[i].Load() != sec+1 {
		clear(dst)
		return false
	}
	return true
}

// last is the latest second written to (0 before any).
func (r *ring) last() int64 { return r.latest.Load() }
