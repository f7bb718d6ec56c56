package httpcache

import (
	"context"
	"sync"
	"time"
)

// Flights coalesces concurrent misses: the first request for a key goes
// upstream (the leader), the others wait for it to finish and then look in
// the store again. A waiter gives up after a bound and goes upstream itself,
// so a slow or hanging leader holds nobody for long.
type Flights struct {
	mu sync.Mutex
	m  map[string]*Flight
}

// Flight is one upstream request others may wait for.
type Flight struct {
	done    chan struct{}
	waiters int
}

// Join returns the flight for key and whether the caller leads it (and must
// call Land when its response is stored or known not to be).
func (g *Flights) Join(key string) (*Flight, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]*Flight{}
	}
	if f, ok := g.m[key]; ok {
		f.waiters++
		return f, false
	}
	f := &Flight{done: make(chan struct{})}
	g.m[key] = f
	return f, true
}

// Land ends the leader's flight and wakes its waiters; it returns how many
// waited.
func (g *Flights) Land(key string, f *Flight) int {
	g.mu.Lock()
	if g.m[key] == f {
		delete(g.m, key)
	}
	n := f.waiters
	g.mu.Unlock()
	close(f.done)
	return n
}

// Wait waits for the flight to land, at most for bound or until ctx ends;
// it tells whether it landed.
func (f *Flight) Wait(ctx context.Context, bound time.Duration) bool {
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-f.done:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}
