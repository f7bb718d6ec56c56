package gcra

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// redisZone returns a zone in a real Redis (skipped under -short), and the
// server.
func redisZone(t *testing.T, rates ...Rate) (*RedisZone, *testenv.RedisServer) {
	t.Helper()
	srv := testenv.StartRedis(t)
	c := srv.Client()
	t.Cleanup(func() { c.Close() })
	conn := &redisconn.Conn{Client: c, URL: srv.URL(), Timeout: 2 * time.Second}
	return NewRedisZone(conn, "test", rates), srv
}

func TestRedisBurstThenRefused(t *testing.T) {
	z, _ := redisZone(t, NewRate(3, time.Hour, 0))
	ctx := context.Background()
	tats := make([]int64, 1)
	var first int64
	for i := range 3 {
		ok, wait, now, err := z.Take(ctx, "k", tats)
		if err != nil || !ok || wait != 0 {
			t.Fatalf("request %d: allowed %v, wait %d, %v", i+1, ok, wait, err)
		}
		if i == 0 {
			first = now
		}
		// the TAT moves by one interval per request (Redis's clock runs on
		// between calls, by far less than an interval)
		if want := first + int64(i+1)*int64(20*time.Minute); tats[0] < want || tats[0] > want+int64(time.Minute) {
			t.Fatalf("request %d: TAT %d, want about %d", i+1, tats[0], want)
		}
	}
	before := tats[0]
	ok, wait, now, err := z.Take(ctx, "k", tats)
	if err != nil || ok {
		t.Fatalf("4th: allowed %v, %v", ok, err)
	}
	if want := before - now - int64(time.Hour) + int64(20*time.Minute); wait != want {
		t.Fatalf("wait %v, want %v", time.Duration(wait), time.Duration(want))
	}
	if tats[0] != before {
		t.Fatalf("a refusal changed the TAT: %d, was %d", tats[0], before)
	}
	// another key is independent
	if ok, _, _, err := z.Take(ctx, "other", tats); !ok || err != nil {
		t.Fatalf("another key: allowed %v, %v", ok, err)
	}
}

func TestRedisSeveralRatesAllOrNothing(t *testing.T) {
	z, srv := redisZone(t, NewRate(1, time.Hour, 0), NewRate(5, time.Hour, 0))
	ctx := context.Background()
	tats := make([]int64, 2)
	if ok, _, _, err := z.Take(ctx, "k", tats); !ok || err != nil {
		t.Fatalf("first: %v %v", ok, err)
	}
	second := tats[1]
	if ok, _, _, err := z.Take(ctx, "k", tats); ok || err != nil {
		t.Fatalf("second: %v %v", ok, err)
	}
	if tats[1] != second {
		t.Fatal("the rate that allowed was charged by a refused request")
	}
	// one key per rate, with the hash tag, expiring when full again
	keys := srv.Keys("caddy_gateway:throttle:test:*")
	if len(keys) != 2 || !strings.Contains(keys[0], "{k}") {
		t.Fatalf("keys %v", keys)
	}
	ttl, err := srv.Client().PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > time.Hour+time.Second {
		t.Fatalf("TTL %v, %v", ttl, err)
	}
}

func TestRedisPlantedValuesCountAsAbsent(t *testing.T) {
	z, srv := redisZone(t, NewRate(1, time.Hour, 0))
	ctx := context.Background()
	c := srv.Client()
	key := "caddy_gateway:throttle:test:{k}:0"
	tats := make([]int64, 1)
	for _, planted := range []func() error{
		func() error { return c.Set(ctx, key, "not a number", 0).Err() },
		func() error { return c.Set(ctx, key, "1.5", 0).Err() },
		func() error { return c.Set(ctx, key, "99999999999999999", 0).Err() }, // far in the future
		func() error { return c.LPush(ctx, key, "x").Err() },                  // another type
	} {
		c.Del(ctx, key)
		if err := planted(); err != nil {
			t.Fatal(err)
		}
		if ok, _, _, err := z.Take(ctx, "k", tats); !ok || err != nil {
			t.Fatalf("a planted value blocked the key: %v %v", ok, err)
		}
		c.Del(ctx, key)
	}
}

func TestRedisDownBacksOff(t *testing.T) {
	testenv.SkipInShortMode(t, "dials a closed port")
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer c.Close()
	conn := &redisconn.Conn{Client: c, Timeout: time.Second, Backoff: new(redisconn.Backoff)}
	z := NewRedisZone(conn, "test", []Rate{NewRate(1, time.Second, 0)})
	tats := make([]int64, 1)
	if _, _, _, err := z.Take(context.Background(), "k", tats); err == nil || errors.Is(err, redisconn.ErrBackoff) {
		t.Fatalf("an unreachable Redis: %v, want the dial error", err)
	}
	if _, _, _, err := z.Take(context.Background(), "k", tats); !errors.Is(err, redisconn.ErrBackoff) {
		t.Fatalf("right after a failure: %v, want ErrBackoff", err)
	}
}
