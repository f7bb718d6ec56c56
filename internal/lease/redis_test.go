package lease

import (
	"context"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/gcra"
	"github.com/caddygateway/caddy-gateway/internal/redisconn"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

func redisStore(t *testing.T, rates ...gcra.Rate) (*RedisStore, *gcra.RedisZone) {
	t.Helper()
	srv := testenv.StartRedis(t)
	c := srv.Client()
	t.Cleanup(func() { c.Close() })
	conn := &redisconn.Conn{Client: c, URL: srv.URL(), Timeout: 2 * time.Second}
	return NewRedisStore(conn, "test", rates), gcra.NewRedisZone(conn, "test", rates)
}

// TestRedisLeaseScript: the script grants what fits, takes tokens back,
// and reports the wait for a whole share; exact mode (gcra.RedisZone)
// counts in the same buckets.
func TestRedisLeaseScript(t *testing.T) {
	rates := []gcra.Rate{gcra.NewRate(10, time.Hour, 0), gcra.NewRate(100, 24*time.Hour, 0)}
	s, exact := redisStore(t, rates...)
	ctx := context.Background()
	tats := make([]int64, 2)
	g, wait, now, err := s.Lease(ctx, "k", 0, nil, 4, tats)
	if err != nil || g != 4 || wait != 0 {
		t.Fatalf("first lease: granted %d, wait %v, %v", g, time.Duration(wait), err)
	}
	if want := now + 4*rates[0].Interval; tats[0] != want {
		t.Fatalf("TAT %d, want %d", tats[0], want)
	}
	if g, _, _, _ := s.Lease(ctx, "k", 0, nil, 4, tats); g != 4 {
		t.Fatalf("second lease granted %d", g)
	}
	// two left: a lease of 4 gets 2, and waits for 4 more
	g, wait, _, err = s.Lease(ctx, "k", 0, nil, 4, tats)
	if err != nil || g != 2 {
		t.Fatalf("third lease granted %d, %v", g, err)
	}
	if want := 4 * rates[0].Interval; wait < want-int64(time.Second) || wait > want {
		t.Fatalf("wait %v, want about %v", time.Duration(wait), time.Duration(want))
	}
	// exact mode sees the same bucket: empty
	if ok, _, _, err := exact.Take(ctx, "k", tats); ok || err != nil {
		t.Fatalf("exact mode admitted from a bucket the leases emptied: %v", err)
	}
	// give 3 back with the TAT the last grant left: exact mode gets them
	at := []int64{tats[0], tats[1]}
	if g, _, _, _ := s.Lease(ctx, "k", 3, at, 0, tats); g != 0 {
		t.Fatalf("a return granted %d", g)
	}
	for i := range 3 {
		if ok, _, _, err := exact.Take(ctx, "k", tats); !ok || err != nil {
			t.Fatalf("exact take %d after the return refused: %v", i, err)
		}
	}
	if ok, _, _, _ := exact.Take(ctx, "k", tats); ok {
		t.Fatal("more came back than was returned")
	}
	// a stale return (others took since) is not credited; an over-return
	// with the current TAT gives back what is ahead of now, no more
	stale := []int64{tats[0] - rates[0].Interval, tats[1] - rates[1].Interval}
	if err := s.Return(ctx, []string{"k"}, []int64{5}, [][]int64{stale}); err != nil {
		t.Fatal(err)
	}
	if ok, _, _, _ := exact.Take(ctx, "k", tats); ok {
		t.Fatal("a stale return was credited")
	}
	if err := s.Return(ctx, []string{"k", "other"}, []int64{1000, 5}, [][]int64{{tats[0], tats[1]}, {0, 0}}); err != nil {
		t.Fatal(err)
	}
	// (9: the first of the 10 slots is partly behind Redis's clock by now)
	if g, _, _, _ := s.Lease(ctx, "k", 0, nil, 20, tats); g != 9 && g != 10 {
		t.Fatalf("after an over-return the lease got %d, want 9 or 10 (the burst, no more)", g)
	}
}

// TestRedisGatewaysBound: three tables on one real Redis, many goroutines
// each, one key at about 10x its limit for 2s.
func TestRedisGatewaysBound(t *testing.T) {
	rates := []gcra.Rate{gcra.NewRate(50, time.Second, 0)}
	s, _ := redisStore(t, rates...)
	tables := make([]*Table, 3)
	for i := range tables {
		tables[i] = New(s, Config{Rates: rates, MaxKeys: 1000, Now: func() int64 { return int64(time.Since(start)) }})
	}
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Second)
	began := time.Now()
	admitted := make(chan int, 12)
	for g := range 12 {
		go func() {
			tb := tables[g%3]
			tats := make([]int64, 1)
			n := 0
			for time.Now().Before(deadline) {
				if ok, _, _, err := tb.Take(ctx, "hot", tats); err != nil {
					t.Error(err)
				} else if ok {
					n++
				}
				time.Sleep(5 * time.Millisecond) // 12 × 200/s ≈ 2400/s offered, ~10x... more
			}
			admitted <- n
		}()
	}
	total := 0
	for range 12 {
		total += <-admitted
	}
	span := time.Since(began)
	exact := 50 + int(50*span.Seconds()) + 1
	bound := exact + 3*int(tables[0].Share()) + 1
	t.Logf("admitted %d in %v (exact %d, bound %d)", total, span, exact, bound)
	// the lower end is loose: on a loaded machine the goroutines send late
	if total > bound || total < exact*6/10 {
		t.Fatalf("admitted %d, want from %d to %d", total, exact*6/10, bound)
	}
}

var start = time.Now()

// TestRedisPlantedValues: values the scripts did not write (NaN, far
// future, not whole, another type) count as absent: the full burst.
func TestRedisPlantedValues(t *testing.T) {
	rates := []gcra.Rate{gcra.NewRate(3, time.Minute, 0)}
	s, _ := redisStore(t, rates...)
	ctx := context.Background()
	tats := make([]int64, 1)
	key := s.keys("k")[0]
	c := s.conn.Client
	for _, plant := range []func(){
		func() { c.Set(ctx, key, "nan", 0) },
		func() { c.Set(ctx, key, "inf", 0) },
		func() { c.Set(ctx, key, "1e30", 0) },
		func() { c.Set(ctx, key, "12.5", 0) },
		func() { c.Del(ctx, key); c.HSet(ctx, key, "x", "1") },
	} {
		plant()
		g, _, _, err := s.Lease(ctx, "k", 0, nil, 10, tats)
		if err != nil || g != 3 {
			t.Fatalf("after a planted value: granted %d, %v; want the burst of 3", g, err)
		}
		c.Del(ctx, key)
	}
}
