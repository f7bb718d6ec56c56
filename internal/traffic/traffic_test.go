package traffic

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a fake clock the tests move by hand.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

func service(v View, name string) *ServiceView {
	for i := range v.Services {
		if v.Services[i].Name == name {
			return &v.Services[i]
		}
	}
	return nil
}

// TestRecordAndRead: each second's answers land in that second, by class,
// refusal and cache result; the totals and percentiles are over the window.
func TestRecordAndRead(t *testing.T) {
	c := newClock()
	r := New(c.now)
	start := c.now()
	s := r.Service("hello", start)
	for i := range 10 {
		s.Record(start, 200, 2*time.Millisecond, NotRefused, CacheMiss)
		if i < 3 {
			s.Record(start, 503, time.Millisecond, Refused503Circuit, NoCache)
		}
	}
	next := start.Add(time.Second)
	s.Record(next, 500, 40*time.Millisecond, NotRefused, NoCache)
	s.Record(next, 401, 0, Refused401, NoCache)
	s.Record(next, 429, 0, Refused429, NoCache)
	s.Record(next, 403, 0, Refused403, NoCache)
	s.Record(next, 200, 0, NotRefused, CacheHit)
	s.Record(next, 304, time.Millisecond, NotRefused, CacheHit)

	c.add(2 * time.Second) // both seconds are over
	v := r.Read(3)
	if v.To != next.Unix() || v.From != start.Unix()-1 {
		t.Fatalf("window %d..%d, want %d..%d", v.From, v.To, start.Unix()-1, next.Unix())
	}
	sv := service(v, "hello")
	if sv == nil {
		t.Fatalf("no hello in %+v", v.Services)
	}
	want := map[string][3]uint32{ // [idle second, start, next]
		"requests": {0, 13, 6}, "2xx": {0, 10, 1}, "3xx": {0, 0, 1}, "4xx": {0, 0, 3}, "5xx": {0, 3, 1},
		"401": {0, 0, 1}, "403": {0, 0, 1}, "429": {0, 0, 1}, "circuit": {0, 3, 0}, "hit": {0, 0, 2}, "miss": {0, 10, 0},
	}
	got := map[string]Counts{"requests": sv.Requests, "2xx": sv.Class2xx, "3xx": sv.Class3xx, "4xx": sv.Class4xx,
		"5xx": sv.Class5xx, "401": sv.Refused401, "403": sv.Refused403, "429": sv.Refused429,
		"circuit": sv.Refused503Circuit, "hit": sv.CacheHit, "miss": sv.CacheMiss}
	for k, w := range want {
		if g := got[k]; len(g) != 3 || g[0] != w[0] || g[1] != w[1] || g[2] != w[2] {
			t.Errorf("%s: %v, want %v", k, g, w)
		}
	}
	if sv.Total.Requests != 19 || sv.Total.Class5xx != 4 || sv.Total.Refused503Circuit != 3 {
		t.Errorf("totals %+v", sv.Total)
	}
	// the first second: 10 answers of 2 ms (bucket [1.05, 2.1) ms); refusals are not in the histogram
	if p := sv.P50[1]; p < 1 || p > 2.1 {
		t.Errorf("p50 of the first second %v ms, want within the 2 ms bucket", p)
	}
	if !math.IsNaN(sv.P50[0]) {
		t.Errorf("p50 of an idle second %v, want none", sv.P50[0])
	}
	// the second: 40 ms, 0 ms, 1 ms: p99 in 40 ms's bucket [33.5, 67.1)
	if p := sv.P99[2]; p < 33 || p > 67.2 {
		t.Errorf("p99 of the second second %v ms", p)
	}
	if sv.Total.P99 == nil || *sv.Total.P99 < 33 {
		t.Errorf("p99 over the window %v", sv.Total.P99)
	}
}

// TestWrapAround: a slot reused 15 minutes later holds only the new
// second; the old one is out of every window.
func TestWrapAround(t *testing.T) {
	c := newClock()
	r := New(c.now)
	t0 := c.now()
	s := r.Service("svc", t0)
	for range 5 {
		s.Record(t0, 200, time.Millisecond, NotRefused, NoCache)
	}
	c.add(Seconds * time.Second) // the same slot, a ring later
	t1 := c.now()
	s.Record(t1, 500, time.Millisecond, NotRefused, NoCache)
	c.add(time.Second)
	v := r.Read(Seconds)
	sv := service(v, "svc")
	if sv == nil || sv.Total.Requests != 1 || sv.Total.Class5xx != 1 || sv.Requests[len(sv.Requests)-1] != 1 {
		t.Fatalf("after a wrap: %+v", sv)
	}
	if v.From != t1.Unix()-Seconds+1 || len(sv.Requests) != Seconds {
		t.Fatalf("window %d..%d (%d seconds)", v.From, v.To, len(sv.Requests))
	}
	// a late writer, still in the second the slot moved past, is dropped
	s.Record(t0, 200, time.Millisecond, NotRefused, NoCache)
	if sv := service(r.Read(Seconds), "svc"); sv.Total.Requests != 1 {
		t.Fatalf("a write for a second 15 minutes gone counted: %+v", sv.Total)
	}
	// a window asked beyond the ring is cut to it
	if v := r.ReadRange(0, 1<<40); v.To-v.From+1 != Seconds {
		t.Fatalf("ReadRange(0, far) gave %d seconds", v.To-v.From+1)
	}
	if v := r.ReadRange(t1.Unix()+5, t1.Unix()); v.From <= v.To || len(v.CacheStoredBytes) != 0 {
		t.Fatalf("an empty range gave %d..%d", v.From, v.To)
	}
}

// TestServiceBound: however many names, at most MaxServices series and
// Other; a name idle for a whole ring gives its series up.
func TestServiceBound(t *testing.T) {
	c := newClock()
	r := New(c.now)
	now := c.now()
	for i := range 10 * MaxServices {
		r.Service(fmt.Sprintf("svc-%d", i), now).Record(now, 200, 0, NotRefused, NoCache)
	}
	if r.services.n != MaxServices {
		t.Fatalf("%d series, want %d", r.services.n, MaxServices)
	}
	c.add(time.Second)
	v := r.Read(1)
	if len(v.Services) != MaxServices+1 || v.Services[len(v.Services)-1].Name != Other ||
		v.Services[len(v.Services)-1].Total.Requests != 9*MaxServices {
		t.Fatalf("%d services shown, the last %+v", len(v.Services), v.Services[len(v.Services)-1].Total)
	}
	// a name long enough to cost memory is cut
	long := string(make([]byte, 10000))
	if s := r.Service(long, c.now()); len(s.Name()) > MaxName {
		t.Fatalf("a name of %d bytes", len(s.Name()))
	}
	// svc-0 keeps writing; the others go idle for a ring: a new name takes one of theirs
	c.add(Seconds * time.Second)
	now = c.now()
	r.Service("svc-0", now).Record(now, 200, 0, NotRefused, NoCache)
	if s := r.Service("newcomer", now); s.Name() != "newcomer" {
		t.Fatalf("a new name after the others went idle got %q", s.Name())
	}
	if s := r.Service("svc-0", now); s.Name() != "svc-0" {
		t.Fatal("the busy series was given up")
	}
	if r.services.n != MaxServices {
		t.Fatalf("%d series after replacing", r.services.n)
	}
}

// TestMemoryBound: filling every table and mark takes no more than
// BoundBytes.
func TestMemoryBound(t *testing.T) {
	c := newClock()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := New(c.now)
	for sec := range 3 {
		now := c.now()
		for i := range 4 * MaxServices {
			name := fmt.Sprintf("%064d", i) // names of MaxName bytes
			r.Service(name, now).Record(now, 200, time.Millisecond, NotRefused, CacheHit)
			r.Zone(name, now).Decision(now, true)
			r.Plan(name, now).Quota(now, false)
		}
		for i := range 2 * MaxMarks {
			r.Mark(now, fmt.Sprintf("%0100d", i), fmt.Sprintf("%0100d", sec), "open")
		}
		r.StoredBytes(now, 1<<20)
		c.add(time.Second)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	runtime.KeepAlive(r)
	t.Logf("full recorder: %d bytes on the heap, bound %d (%.1f MiB)", used, r.BoundBytes(), float64(r.BoundBytes())/(1<<20))
	if used > int64(r.BoundBytes()) {
		t.Fatalf("a full recorder takes %d bytes, more than its bound %d", used, r.BoundBytes())
	}
	if r.BoundBytes() > 9<<20 {
		t.Fatalf("the bound grew to %d bytes; docs/dashboard.md says under 9 MiB", r.BoundBytes())
	}
	if v := r.Read(Seconds); len(v.Marks) != MaxMarks || len(v.Zones) != MaxZones+1 || len(v.Plans) != MaxPlans+1 {
		t.Fatalf("%d marks, %d zones, %d plans", len(v.Marks), len(v.Zones), len(v.Plans))
	}
}

// TestConcurrentWriters: writers on every core across second boundaries
// lose no count (run with -race).
func TestConcurrentWriters(t *testing.T) {
	c := newClock()
	r := New(c.now)
	const writers, each = 8, 5000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var reads atomic.Int64
	go func() { // reading while writing
		for {
			select {
			case <-stop:
				return
			default:
				v := r.Read(Seconds)
				if sv := service(v, "svc"); sv != nil && sv.Total.Requests > writers*each {
					t.Errorf("read %d requests, more than were written", sv.Total.Requests)
				}
				reads.Add(1)
			}
		}
	}()
	base := c.now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				at := base.Add(time.Duration(i%7) * time.Second) // seven seconds, each slot moved by whoever comes first
				r.Service("svc", at).Record(at, 200+100*(w%4), time.Duration(i)*time.Microsecond, NotRefused, NoCache)
				r.Zone("z", at).Decision(at, i%2 == 0)
			}
		}()
	}
	wg.Wait()
	close(stop)
	c.add(8 * time.Second)
	sv := service(r.Read(10), "svc")
	if sv == nil || sv.Total.Requests != writers*each {
		t.Fatalf("concurrent writers: %+v, want %d requests", sv, writers*each)
	}
	if sv.Total.Class2xx != 2*each || sv.Total.Class5xx != 2*each {
		t.Fatalf("classes %+v", sv.Total)
	}
	t.Logf("%d reads during the writes", reads.Load())
}

// TestMarksAndGauge: marks in the window, oldest first, the last
// MaxMarks only; gauge samples per second, null where none.
func TestMarksAndGauge(t *testing.T) {
	c := newClock()
	r := New(c.now)
	t0 := c.now()
	r.Mark(t0, "cb", "hello", "open")
	r.Mark(t0.Add(2*time.Second), "cb", "hello", "half_open")
	r.StoredBytes(t0, 100)
	r.StoredBytes(t0, 150) // the last sample of the second wins
	r.StoredBytes(t0.Add(2*time.Second), 10)
	c.add(3 * time.Second)
	v := r.Read(3)
	if len(v.Marks) != 2 || v.Marks[0].To != "open" || v.Marks[1].To != "half_open" {
		t.Fatalf("marks %+v", v.Marks)
	}
	if got := fmt.Sprint(v.CacheStoredBytes); got != "[150 -1 10]" {
		t.Fatalf("stored bytes %s", got)
	}
	if b, _ := v.CacheStoredBytes.MarshalJSON(); string(b) != "[150,null,10]" {
		t.Fatalf("JSON %s", b)
	}
	if v := r.Read(1); len(v.Marks) != 1 || v.Marks[0].To != "half_open" {
		t.Fatalf("marks of the last second %+v", v.Marks)
	}
}

func TestQuantile(t *testing.T) {
	h := make([]uint64, LatencyBuckets)
	if !math.IsNaN(Quantile(h, 0.5)) {
		t.Fatal("empty histogram")
	}
	h[bucket(int64(5*time.Millisecond))] = 99
	h[bucket(int64(time.Second))] = 1
	if p := Quantile(h, 0.5); p < 4.19 || p > 8.39 {
		t.Errorf("p50 %v, want in 5 ms's bucket [4.19, 8.39)", p)
	}
	if p := Quantile(h, 0.995); p < 537 || p > 1074 {
		t.Errorf("p99.5 %v, want in 1 s's bucket", p)
	}
	h[LatencyBuckets-1] = 1000
	if p := Quantile(h, 0.99); p != float64(uint64(1)<<(latencyShift+LatencyBuckets-2))/1e6 {
		t.Errorf("p99 in the open-ended bucket: %v", p)
	}
	if bucket(0) != 0 || bucket(-5) != 0 || bucket(1<<62) != LatencyBuckets-1 || bucket(1<<17) != 1 || bucket(1<<17-1) != 0 {
		t.Error("bucket edges")
	}
}

// TestRecordAllocatesNothing: the request path's recording, in a new
// second and within one, allocates nothing.
func TestRecordAllocatesNothing(t *testing.T) {
	c := newClock()
	r := New(c.now)
	r.Service("svc", c.now())
	n := testing.AllocsPerRun(1000, func() {
		c.add(3 * time.Millisecond)
		now := c.now()
		r.Service("svc", now).Record(now, 200, time.Millisecond, NotRefused, CacheHit)
		r.Zone("z", now).Decision(now, false)
	})
	if n != 0 {
		t.Fatalf("%v allocations per record", n)
	}
}

// BenchmarkRecord is the request path's cost: finding the service's
// series and counting one answer.
func BenchmarkRecord(b *testing.B) {
	r := New(nil)
	now := time.Now()
	r.Service("hello_service", now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		at := now.Add(time.Duration(i) * time.Microsecond)
		r.Service("hello_service", at).Record(at, 200, time.Millisecond, NotRefused, NoCache)
	}
}

// BenchmarkRecordParallel: the same from every core, into one series.
func BenchmarkRecordParallel(b *testing.B) {
	r := New(nil)
	now := time.Now()
	r.Service("hello_service", now)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			at := now.Add(time.Duration(i) * time.Microsecond)
			r.Service("hello_service", at).Record(at, 200, time.Millisecond, NotRefused, NoCache)
		}
	})
}

// TestAfter: only the seconds after `since` per second, the totals over
// the whole window.
func TestAfter(t *testing.T) {
	c := newClock()
	r := New(c.now)
	t0 := c.now()
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Second)
		r.Service("svc", at).Record(at, 200, time.Millisecond, NotRefused, NoCache)
		r.Zone("z", at).Decision(at, true)
	}
	r.Mark(t0, "cb", "svc", "open")
	r.Mark(t0.Add(4*time.Second), "cb", "svc", "closed")
	c.add(5 * time.Second)
	v := r.Read(10).After(t0.Unix() + 2) // seconds t0+3 and t0+4
	sv := service(v, "svc")
	if v.From != t0.Unix()+3 || len(sv.Requests) != 2 || len(sv.P99) != 2 || len(v.Zones[0].Refused) != 2 || len(v.CacheStoredBytes) != 2 {
		t.Fatalf("from %d, %d seconds", v.From, len(sv.Requests))
	}
	if sv.Total.Requests != 5 || len(v.Marks) != 1 || v.Marks[0].To != "closed" {
		t.Fatalf("totals %d, marks %+v", sv.Total.Requests, v.Marks)
	}
	if v := r.Read(10).After(t0.Unix() + 100); v.From != v.To+1 || len(service(v, "svc").Requests) != 0 {
		t.Fatalf("after the last second: %d..%d", v.From, v.To)
	}
}
