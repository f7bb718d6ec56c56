package lease

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/gcra"
)

// clock is a settable clock shared by the store and the gateways of a test.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() int64          { return c.ns.Load() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func newClock() *clock               { c := &clock{}; c.ns.Store(int64(time.Hour)); return c }

// memStore is the lease script in Go, on an injected clock: the store of
// the engine tests (redis_test.go checks the real script against it).
type memStore struct {
	mu    sync.Mutex
	now   func() int64
	rates []gcra.Rate
	tats  map[string][]int64
	calls atomic.Int64
	fail  atomic.Bool
}

func newMemStore(now func() int64, rates []gcra.Rate) *memStore {
	return &memStore{now: now, rates: rates, tats: map[string][]int64{}}
}

var errDown = fmt.Errorf("store down")

func (m *memStore) Lease(_ context.Context, key string, give int64, gaveAt []int64, want int64, out []int64) (int64, int64, int64, error) {
	m.calls.Add(1)
	if m.fail.Load() {
		return 0, 0, 0, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	cur := m.tats[key]
	if cur == nil {
		cur = make([]int64, len(m.rates))
		m.tats[key] = cur
	}
	if len(gaveAt) != len(m.rates) {
		give = 0
	}
	for i, r := range m.rates {
		if give > 0 && cur[i] != gaveAt[i] {
			give = 0
		}
		if give > 0 {
			give = min(give, (cur[i]-now)/r.Interval)
		}
	}
	give = max(give, 0)
	grant := want
	for i, r := range m.rates {
		cur[i] = max(cur[i]-give*r.Interval, now)
		grant = min(grant, (now+r.Tolerance-cur[i])/r.Interval)
	}
	grant = max(grant, 0)
	var wait int64
	for i, r := range m.rates {
		cur[i] += grant * r.Interval
		wait = max(wait, cur[i]+want*r.Interval-r.Tolerance-now)
		out[i] = cur[i]
	}
	return grant, wait, now, nil
}

func (m *memStore) Return(ctx context.Context, keys []string, counts []int64, gaveAt [][]int64) error {
	out := make([]int64, len(m.rates))
	for i, k := range keys {
		if _, _, _, err := m.Lease(ctx, k, counts[i], gaveAt[i], 0, out); err != nil {
			return err
		}
	}
	return nil
}

func newTable(store Store, c *clock, rates []gcra.Rate, share int64) *Table {
	return New(store, Config{Rates: rates, Share: share, TTL: time.Second, MaxKeys: 100000, Now: c.now})
}

func TestLeaseSpendsLocally(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(100, time.Minute, 0)}
	st := newMemStore(c.now, rates)
	tb := newTable(st, c, rates, 10)
	tats := make([]int64, 1)
	for i := range 10 {
		ok, _, _, err := tb.Take(context.Background(), "k", tats)
		if !ok || err != nil {
			t.Fatalf("request %d refused: %v", i, err)
		}
	}
	if n := st.calls.Load(); n != 1 {
		t.Fatalf("10 requests on a share of 10 made %d store calls, want 1", n)
	}
	if ok, _, _, _ := tb.Take(context.Background(), "k", tats); !ok || st.calls.Load() != 2 {
		t.Fatalf("the 11th request: allowed %v after %d calls, want a second lease", ok, st.calls.Load())
	}
	if h := tb.Held("k"); h != 9 {
		t.Fatalf("held %d, want 9", h)
	}
}

// TestRefusedLocallyUntilAShareFits: a key over its limit is refused by
// the gateway alone until the store has a whole share again.
func TestRefusedLocallyUntilAShareFits(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(10, 10*time.Second, 0)} // one per second
	st := newMemStore(c.now, rates)
	tb := newTable(st, c, rates, 2)
	tats := make([]int64, 1)
	admitted := 0
	for range 20 {
		if ok, _, _, _ := tb.Take(context.Background(), "k", tats); ok {
			admitted++
		}
	}
	if admitted != 10 {
		t.Fatalf("admitted %d of a burst of 10", admitted)
	}
	calls := st.calls.Load()
	ok, wait, _, _ := tb.Take(context.Background(), "k", tats)
	if ok || wait != int64(2*time.Second) {
		t.Fatalf("allowed %v, wait %v; want refused for 2s (a share of 2 at one per second)", ok, time.Duration(wait))
	}
	if st.calls.Load() != calls {
		t.Fatal("a refusal within the wait called the store")
	}
	c.add(2 * time.Second)
	for i := range 2 {
		if ok, _, _, _ := tb.Take(context.Background(), "k", tats); !ok {
			t.Fatalf("after 2s, request %d refused", i)
		}
	}
	if ok, _, _, _ := tb.Take(context.Background(), "k", tats); ok {
		t.Fatal("a third request within the share's time passed")
	}
}

// TestUnspentShareGoesBack: tokens not spent within the TTL go back with
// the sweep, when nothing happened to the key in the store since.
func TestUnspentShareGoesBack(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(10, time.Hour, 0)}
	st := newMemStore(c.now, rates)
	a := newTable(st, c, rates, 5)
	tats := make([]int64, 1)
	ctx := context.Background()
	if ok, _, _, _ := a.Take(ctx, "k", tats); !ok {
		t.Fatal("refused")
	}
	c.add(2 * time.Second) // a's lease is over, 4 unspent
	if err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if a.Keys() != 0 {
		t.Fatalf("a's expired lease is still tracked")
	}
	// the 4 tokens a gave back are the store's again: 9 in all
	out := make([]int64, 1)
	if g, _, _, _ := st.Lease(ctx, "k", 0, nil, 10, out); g != 9 {
		t.Fatalf("the store granted %d after a's return, want 9", g)
	}
}

// TestReturnNeverCreditsTwice: a share given back after another gateway
// took tokens on top of it, or after the bucket refilled past it, is not
// credited (it would let more through than the limit).
func TestReturnNeverCreditsTwice(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(10, 10*time.Second, 0)} // one per second
	st := newMemStore(c.now, rates)
	a, b := newTable(st, c, rates, 10), newTable(st, c, rates, 10)
	tats := make([]int64, 1)
	ctx := context.Background()
	a.Take(ctx, "k", tats) // a holds 9 of the burst of 10
	c.add(10 * time.Second)
	// the bucket has refilled all 10: b takes them
	if ok, _, _, _ := b.Take(ctx, "k", tats); !ok {
		t.Fatal("b refused")
	}
	if err := a.Sweep(ctx); err != nil { // a gives its 9 back: too late
		t.Fatal(err)
	}
	out := make([]int64, 1)
	if g, _, _, _ := st.Lease(ctx, "k", 0, nil, 10, out); g != 0 {
		t.Fatalf("the store granted %d after a stale return; b holds the whole burst", g)
	}

	// alone, but after part of the share refilled: only what is still ahead
	c2 := newClock()
	st2 := newMemStore(c2.now, rates)
	g := newTable(st2, c2, rates, 10)
	g.Take(ctx, "k", tats) // holds 9; TAT now+10s
	c2.add(4 * time.Second)
	if err := g.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _, _, _ := st2.Lease(ctx, "k", 0, nil, 20, out); got != 10 {
		t.Fatalf("granted %d after the return; want the burst of 10 (1 spent 4s ago has refilled)", got)
	}
}

// TestExpiredLeaseReturnedOnRenewal: the next lease call carries the
// unspent tokens of an expired lease.
func TestExpiredLeaseReturnedOnRenewal(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(10, time.Hour, 0)}
	st := newMemStore(c.now, rates)
	tb := newTable(st, c, rates, 10)
	tats := make([]int64, 1)
	tb.Take(context.Background(), "k", tats) // holds 9 of 10
	c.add(2 * time.Second)
	tb.Take(context.Background(), "k", tats) // gives 9 back, takes the 9 there are room for
	if h := tb.Held("k"); h != 8 {
		t.Fatalf("held %d after renewal, want 8 (10 minus the two spent)", h)
	}
}

// simulate runs gateways gateways hammering one key from many goroutines
// at random-ish times for the given simulated duration and returns the
// admitted count.
func simulate(t *testing.T, gateways int, rates []gcra.Rate, share int64, perStep int, steps int, step time.Duration, keys int) (admitted int64, st *memStore) {
	c := newClock()
	st = newMemStore(c.now, rates)
	tables := make([]*Table, gateways)
	for i := range tables {
		tables[i] = newTable(st, c, rates, share)
	}
	ctx := context.Background()
	for s := range steps {
		var wg sync.WaitGroup
		for g, tb := range tables {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tats := make([]int64, len(rates))
				for i := range perStep {
					key := "hot"
					if keys > 1 {
						key = fmt.Sprintf("k%d", (i*gateways+g+s*7)%keys)
					}
					if ok, _, _, err := tb.Take(ctx, key, tats); err != nil {
						t.Error(err)
					} else if ok {
						atomic.AddInt64(&admitted, 1)
					}
				}
			}()
		}
		wg.Wait()
		c.add(step)
		if s%10 == 0 {
			for _, tb := range tables {
				_ = tb.Sweep(ctx)
			}
		}
	}
	return admitted, st
}

// TestBoundWithGateways: N gateways at 10x the limit together admit no
// more than the exact limit plus min(N × share, rate × TTL) + 1, and not
// much less than it.
func TestBoundWithGateways(t *testing.T) {
	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("%d gateways", n), func(t *testing.T) {
			rates := []gcra.Rate{gcra.NewRate(100, time.Second, 0)}
			share := int64(5)
			step := 10 * time.Millisecond
			steps := 300 // 3s
			// 10x the limit: 1000/s = 10 per 10ms step, split among gateways
			per := max(1, 10/n)
			admitted, st := simulate(t, n, rates, share, per, steps, step, 1)
			span := time.Duration(steps) * step
			exact := int64(100) + int64(100*span/time.Second) + 1
			bound := exact + min(int64(n)*share, int64(100*DefaultTTL/time.Second)) + 1
			if admitted > bound {
				t.Fatalf("%d gateways admitted %d, over the bound %d", n, admitted, bound)
			}
			if admitted < exact*8/10 {
				t.Fatalf("%d gateways admitted %d, far under the limit's %d", n, admitted, exact)
			}
			offered := int64(per * n * steps)
			t.Logf("%d gateways: offered %d, admitted %d (exact %d, bound %d), %d store calls", n, offered, admitted, exact, bound, st.calls.Load())
			if calls := st.calls.Load(); calls > offered/4 {
				t.Fatalf("%d store calls for %d requests: leasing did not save calls", calls, offered)
			}
		})
	}
}

// TestConvergence: over a long run at a steady overload, the admitted rate
// is the limit's.
func TestConvergence(t *testing.T) {
	rates := []gcra.Rate{gcra.NewRate(50, time.Second, 10)}
	admitted, _ := simulate(t, 3, rates, 2, 3, 2000, 10*time.Millisecond, 1) // 20s at ~900/s
	want := int64(10 + 50*20)
	if admitted > want+3*2+1 || admitted < want*95/100 {
		t.Fatalf("admitted %d over 20s, want about %d", admitted, want)
	}
}

// TestBoundManyKeys: the bound holds per key with many keys at once.
func TestBoundManyKeys(t *testing.T) {
	rates := []gcra.Rate{gcra.NewRate(2, time.Second, 0)}
	keys := 500
	// each step offers every key ~0.6 requests per gateway; 100 steps of 50ms = 5s
	admitted, _ := simulate(t, 3, rates, 1, keys/5*3, 100, 50*time.Millisecond, keys)
	exactPerKey := int64(2 + 2*5 + 1)
	bound := int64(keys) * (exactPerKey + 3 + 1)
	if admitted > bound {
		t.Fatalf("admitted %d over %d keys, over the bound %d", admitted, keys, bound)
	}
}

// TestStoreDown: an error is the caller's to handle (on_error); a lease
// held still spends.
func TestStoreDown(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(100, time.Minute, 0)}
	st := newMemStore(c.now, rates)
	tb := newTable(st, c, rates, 5)
	tats := make([]int64, 1)
	tb.Take(context.Background(), "k", tats)
	st.fail.Store(true)
	for range 4 {
		if ok, _, _, err := tb.Take(context.Background(), "k", tats); !ok || err != nil {
			t.Fatalf("a held lease did not spend while the store is down: %v %v", ok, err)
		}
	}
	if _, _, _, err := tb.Take(context.Background(), "k", tats); err == nil {
		t.Fatal("no error once the lease is spent and the store is down")
	}
	st.fail.Store(false)
	if ok, _, _, err := tb.Take(context.Background(), "k", tats); !ok || err != nil {
		t.Fatalf("after the store came back: %v %v", ok, err)
	}
}

// TestStoreDownKeepsARefusedKeyRefused: a key the store refused is not
// released by on_error while the store fails (an outage, or a flood of new
// keys timing it out): it stays refused, is not swept nor evicted, until
// the store answers for it again. A key nothing is known against still
// gets the error (on_error). Before the fix the refused key got the error
// and, with on_error allow, went through unlimited.
func TestStoreDownKeepsARefusedKeyRefused(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(2, 10*time.Second, 0)}
	st := newMemStore(c.now, rates)
	tb := New(st, Config{Rates: rates, Share: 1, TTL: time.Second, MaxKeys: 16, Now: c.now})
	tats := make([]int64, 1)
	ctx := context.Background()
	for range 2 {
		if ok, _, _, err := tb.Take(ctx, "hot", tats); !ok || err != nil {
			t.Fatalf("within the burst: %v %v", ok, err)
		}
	}
	if ok, _, _, err := tb.Take(ctx, "hot", tats); ok || err != nil {
		t.Fatalf("over the burst: %v %v", ok, err)
	}
	st.fail.Store(true)
	for i := range 100 {
		c.add(100 * time.Millisecond) // 10 s: the refusal's wait passes many times over
		ok, wait, _, err := tb.Take(ctx, "hot", tats)
		if ok || err != nil || wait <= 0 {
			t.Fatalf("request %d of the refused key while the store is down: allowed %v, wait %v, err %v; want refused", i, ok, wait, err)
		}
		if _, _, _, err := tb.Take(ctx, fmt.Sprint("new", i), tats); err == nil {
			t.Fatal("a key nothing is known against got no error (on_error) while the store is down")
		}
		if err := tb.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if tb.Keys() > 16 {
		t.Fatalf("%d keys tracked, over max_keys 16", tb.Keys())
	}
	st.fail.Store(false)
	if ok, _, _, err := tb.Take(ctx, "hot", tats); !ok || err != nil {
		t.Fatalf("once the store answers again (the bucket refilled): %v %v", ok, err)
	}
}

// TestMultipleRates: a share is granted only as far as every rate has room.
func TestMultipleRates(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(100, time.Minute, 0), gcra.NewRate(3, time.Second, 0)}
	st := newMemStore(c.now, rates)
	tb := newTable(st, c, rates, 10) // capped at the smallest burst, 3
	if tb.Share() != 3 {
		t.Fatalf("share %d, want 3", tb.Share())
	}
	tats := make([]int64, 2)
	n := 0
	for range 10 {
		if ok, _, _, _ := tb.Take(context.Background(), "k", tats); ok {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("admitted %d, want 3 (the 3/s rate)", n)
	}
}

// TestMemoryBound: 10k distinct keys stay within maxKeys and cost at most
// 300 bytes each (key of ~8 bytes, one rate).
func TestMemoryBound(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(100, time.Minute, 0)}
	st := newMemStore(c.now, rates)
	small := New(st, Config{Rates: rates, Share: 5, TTL: time.Second, MaxKeys: 1000, Now: c.now})
	tats := make([]int64, 1)
	keys := make([]string, 10000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key%05d", i)
	}
	for _, k := range keys {
		if ok, _, _, err := small.Take(context.Background(), k, tats); !ok || err != nil {
			t.Fatalf("key %s refused: %v", k, err)
		}
	}
	if n := small.Keys(); n > 1000 {
		t.Fatalf("a table of max 1000 keys tracks %d", n)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	big := New(st, Config{Rates: rates, Share: 5, TTL: time.Second, MaxKeys: 100000, Now: c.now})
	for _, k := range keys {
		big.Take(context.Background(), k, tats)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(len(keys))
	t.Logf("%d bytes per key", per)
	if per > 300 {
		t.Fatalf("%d bytes per key, over the stated 300", per)
	}
	runtime.KeepAlive(big)
}

// TestHitPathAllocatesNothing: a decision from a held lease or a pending
// refusal allocates nothing.
func TestHitPathAllocatesNothing(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(1_000_000, time.Second, 0)}
	st := newMemStore(c.now, rates)
	tb := newTable(st, c, rates, 1_000_000)
	tats := make([]int64, 1)
	ctx := context.Background()
	tb.Take(ctx, "k", tats)
	if n := testing.AllocsPerRun(1000, func() { tb.Take(ctx, "k", tats) }); n != 0 {
		t.Fatalf("%v allocations per held-lease decision", n)
	}
	hourly := []gcra.Rate{gcra.NewRate(1, time.Hour, 0)}
	slow := newTable(newMemStore(c.now, hourly), c, hourly, 1)
	slow.Take(ctx, "s", tats)
	slow.Take(ctx, "s", tats)
	if n := testing.AllocsPerRun(1000, func() { slow.Take(ctx, "s", tats) }); n != 0 {
		t.Fatalf("%v allocations per local refusal", n)
	}
}

// TestConcurrentMissesShareOneCall: requests arriving while a lease call
// is under way wait for it instead of calling too.
func TestConcurrentMissesShareOneCall(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(1000, time.Second, 0)}
	st := &slowStore{memStore: newMemStore(c.now, rates), gate: make(chan struct{})}
	tb := newTable(st, c, rates, 50)
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tats := make([]int64, 1)
			if a, _, _, _ := tb.Take(context.Background(), "k", tats); a {
				ok.Add(1)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(st.gate)
	wg.Wait()
	if ok.Load() != 20 || st.calls.Load() != 1 {
		t.Fatalf("%d admitted with %d store calls, want 20 with 1", ok.Load(), st.calls.Load())
	}
}

type slowStore struct {
	*memStore
	gate chan struct{}
}

func (s *slowStore) Lease(ctx context.Context, key string, give int64, gaveAt []int64, want int64, out []int64) (int64, int64, int64, error) {
	<-s.gate
	return s.memStore.Lease(ctx, key, give, gaveAt, want, out)
}

func BenchmarkHeldLease(b *testing.B) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(1_000_000_000, time.Second, 0)}
	tb := newTable(newMemStore(c.now, rates), c, rates, 0)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		tats := make([]int64, 1)
		for pb.Next() {
			tb.Take(ctx, "k", tats)
		}
	})
}

// TestOneStoreCallPerKeyAtATime: requests that waited for a lease call and
// find its share spent must wait for the next call another of them started,
// not start their own beside it: two calls at once overwrite each other's
// grant, and the tokens of one are lost (CI saw 85 of a burst of 100
// admitted by two gateways).
func TestOneStoreCallPerKeyAtATime(t *testing.T) {
	c := newClock()
	rates := []gcra.Rate{gcra.NewRate(200, time.Hour, 0)}
	st := &countingStore{memStore: newMemStore(c.now, rates)}
	tb := newTable(st, c, rates, 5)
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tats := make([]int64, 1)
			for range 20 {
				if a, _, _, err := tb.Take(context.Background(), "k", tats); err != nil {
					t.Error(err)
				} else if a {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if st.most.Load() != 1 || ok.Load() != 200 {
		t.Fatalf("%d of 400 admitted (want the burst, 200) with up to %d store calls for the key at once (want 1)", ok.Load(), st.most.Load())
	}
}

// countingStore notes how many calls are under way at once.
type countingStore struct {
	*memStore
	now, most atomic.Int64
}

func (s *countingStore) Lease(ctx context.Context, key string, give int64, gaveAt []int64, want int64, out []int64) (int64, int64, int64, error) {
	n := s.now.Add(1)
	defer s.now.Add(-1)
	for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
	}
	time.Sleep(100 * time.Microsecond)
	return s.memStore.Lease(ctx, key, give, gaveAt, want, out)
}
