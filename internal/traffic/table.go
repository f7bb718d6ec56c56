package traffic

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Other is the name of the series that takes what a full table has no
// series for.
const Other = "(other)"

// Series is one named series of a table: a ring of counters. Its methods
// are safe for concurrent use.
type Series struct {
	name string
	ring *ring
}

// Name is the series' name.
func (s *Series) Name() string { return s.name }

// table holds at most max named series of cols counters each, and the
// Other series. A name seen when the table is full takes over the series
// of a name idle for Seconds (its counts are all out of every window), or
// else is counted in Other.
type table struct {
	cols  int
	max   int
	names sync.Map // string -> *Series
	other *Series

	mu sync.Mutex // held to add or replace a series
	n  int        // named series (under mu)
	// fullUntil: while the current second is before it, the table is known
	// full with nothing idle, and a new name goes to Other without the lock
	fullUntil atomic.Int64
}

func newTable(cols, max int) *table {
	return &table{cols: cols, max: max, other: &Series{name: Other, ring: newRing(cols)}}
}

// lookup returns name's series, making one if the table has room (or an
// idle series to give up) at second sec, else Other.
func (t *table) lookup(name string, sec int64) *Series {
	if v, ok := t.names.Load(name); ok {
		return v.(*Series)
	}
	if name == Other || sec < t.fullUntil.Load() {
		return t.other
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.names.Load(name); ok {
		return v.(*Series)
	}
	if t.n >= t.max {
		// the series idle longest, if it is idle for a whole ring
		var idle *Series
		oldest := int64(1<<63 - 1)
		t.names.Range(func(_, v any) bool {
			s := v.(*Series)
			if l := s.ring.last(); l < oldest {
				oldest, idle = l, s
			}
			return true
		})
		if idle == nil || oldest > sec-Seconds {
			t.fullUntil.Store(oldest + Seconds + 1)
			return t.other
		}
		t.names.Delete(idle.name)
		t.n--
	}
	s := &Series{name: strings.Clone(name), ring: newRing(t.cols)}
	s.ring.latest.Store(sec) // new: not idle, even before its first count
	t.names.Store(name, s)
	t.n++
	return s
}

// each calls f for every series, Other last.
func (t *table) each(f func(*Series)) {
	t.names.Range(func(_, v any) bool {
		f(v.(*Series))
		return true
	})
	f(t.other)
}

// boundBytes is the most memory the table's series take.
func (t *table) boundBytes() int {
	const perSeries = 1024 // Series, a name of up to 64 bytes, the map's entry and nodes
	return (t.max + 1) * (ringBytes(t.cols) + perSeries)
}
