package consumers

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// TestRedisSyncOnACluster: on a three-master Redis Cluster, a change (a
// MULTI writing the record and its version, on one hash slot) made on one
// gateway reaches the other through pub/sub, and a quota counts exactly.
func TestRedisSyncOnACluster(t *testing.T) {
	cl := testenv.StartCluster(t, 3)
	ctx := context.Background()
	conn := func() *redisconn.Conn {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), DialTimeout: time.Second,
			ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1, ContextTimeoutEnabled: true})
		t.Cleanup(func() { c.Close() })
		return &redisconn.Conn{Client: c, URL: "cluster", Timeout: time.Second, Backoff: new(redisconn.Backoff)}
	}
	store := func() *Store {
		cn := conn()
		s := NewStore()
		s.SetBackend(RedisBackend{Conn: cn})
		sync := NewRedisSync(cn, s, 200*time.Millisecond, zap.NewNop())
		sync.Start()
		t.Cleanup(sync.Stop)
		return s
	}
	a, b := store(), store()
	if _, err := a.Create(ctx, Consumer{ID: "acme", Plan: "pro"}); err != nil {
		t.Fatal(err)
	}
	key, _, err := a.AddKey(ctx, "acme", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 2*time.Second, "the key made on a does not work on b", func() bool {
		_, why := b.Authenticate(key, time.Now())
		return why == Accepted
	})

	counter := RedisCounter{Conn: conn()}
	now := time.Now()
	windows := func() []Use {
		return []Use{
			{Quota: Quota{Period: Day, Limit: 3}, Start: now.Truncate(time.Hour), End: now.Add(time.Hour)},
			{Quota: Quota{Period: Month, Limit: 100}, Start: now.Truncate(time.Hour), End: now.Add(2 * time.Hour)},
		}
	}
	allowed := 0
	for range 5 {
		d, err := counter.Take(ctx, "acme", windows())
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("%d of 5 passed a quota of 3 on the cluster", allowed)
	}
	uses, err := counter.Read(ctx, "acme", windows())
	if err != nil || uses[0].Used != 3 || uses[1].Used != 3 {
		t.Fatalf("read back: %v %+v", err, uses)
	}
}
