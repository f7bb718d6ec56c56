package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/consumers"
	"github.com/caddygateway/caddy-gateway/internal/redisconn"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// peerGateway is a second gateway on the same Redis, as the engine runs in
// one: its store and quota counter (Caddy runs once per process).
func peerGateway(t *testing.T, srv *testenv.RedisServer) (*consumers.Store, consumers.RedisCounter) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", srv.Port), MaxRetries: -1,
		DialTimeout: 250 * time.Millisecond, ReadTimeout: 250 * time.Millisecond, WriteTimeout: 250 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	conn := &redisconn.Conn{Client: c, URL: srv.URL(), Timeout: 250 * time.Millisecond, Backoff: new(redisconn.Backoff)}
	s := consumers.NewStore()
	s.SetBackend(consumers.RedisBackend{Conn: conn})
	sync := consumers.NewRedisSync(conn, s, 200*time.Millisecond, zap.NewNop())
	sync.Start()
	t.Cleanup(sync.Stop)
	return s, consumers.RedisCounter{Conn: conn}
}

// TestE2EConsumersCluster: a gateway in cluster mode shares consumers,
// keys and quotas with another through Redis: a key made on either works
// on both within a second, a revocation on either stops it on both, a
// revocation while Redis is down is refused with 503, and a quota of N/2
// lets exactly N/2 of N requests spread over both through.
func TestE2EConsumersCluster(t *testing.T) {
	srv := testenv.StartOwnRedis(t)
	const n = 40
	g := startGateway(t, fmt.Sprintf(`consumers {
		plan metered {
			quota %d/month
		}
		default_plan metered
		backend redis %s
		redis_timeout 200ms
		resync_interval 500ms
	}`, n/2, srv.URL()), `
http://127.0.0.1:{HTTP} {
	api_key
	throttle {
		plan
	}
	respond "ok {http.auth.user.id}"
}`)
	peer, peerCounter := peerGateway(t, srv)
	ctx := context.Background()
	get := func(key string) answer {
		return fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Api-Key": {key}})
	}

	// made on the peer, used on the gateway
	if _, err := peer.Create(ctx, consumers.Consumer{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	peerKey, peerKeyInfo, err := peer.AddKey(ctx, "acme", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Second, "a key made on the peer does not work on the gateway", func() bool {
		return get(peerKey).code == 200
	})
	// made on the gateway's admin API, used on the peer
	keyID, key := g.createKey("acme", "")
	testenv.Eventually(t, time.Second, "a key made on the gateway does not work on the peer", func() bool {
		_, why := peer.Authenticate(key, time.Now())
		return why == consumers.Accepted
	})
	// revoked on the peer, refused by the gateway
	if err := peer.DeleteKey(ctx, "acme", peerKeyInfo.ID); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Second, "a key revoked on the peer still works on the gateway", func() bool {
		return get(peerKey).code == 401
	})

	// the quota: what passed so far (2 requests at least) is counted; fill
	// up to n requests in all, half through each gateway, all at once
	_, usage := g.adminCall("GET", "/consumers/acme/usage", "")
	var used int
	if _, err := fmt.Sscanf(usage[strings.Index(usage, `"used":`)+7:], "%d", &used); err != nil {
		t.Fatalf("usage: %s", usage)
	}
	var passed atomic.Int64
	passed.Add(int64(used))
	var wg sync.WaitGroup
	for i := range n - used {
		wg.Go(func() {
			if i%2 == 0 {
				if ans, err := tryFetch(g.client, "GET", g.url("/"), http.Header{"X-Api-Key": {key}}); err == nil && ans.code == 200 {
					passed.Add(1)
				}
				return
			}
			d, err := peerCounter.Take(ctx, "acme", consumers.Windows([]consumers.Quota{{Limit: n / 2, Period: consumers.Month}}, time.Now(), time.UTC))
			if err == nil && d.Allowed {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if passed.Load() != n/2 {
		t.Fatalf("%d of %d requests passed a shared quota of %d", passed.Load(), n, n/2)
	}

	// nothing in Redis holds a key
	for _, rk := range srv.Keys("*") {
		if v := srv.Client().Dump(ctx, rk).Val(); strings.Contains(v, key) || strings.Contains(v, peerKey) {
			t.Fatalf("Redis key %s holds an API key", rk)
		}
	}

	// Redis down: a revocation is refused with 503, the key keeps working
	srv.Stop()
	if code, body := g.adminCall("DELETE", "/consumers/acme/keys/"+keyID, ""); code != 503 {
		t.Fatalf("a revocation with Redis down: %d %s", code, body)
	}
	if _, why := peer.Authenticate(key, time.Now()); why != consumers.Accepted {
		t.Fatalf("the peer after the refused revocation: %v", why)
	}
	srv.Start()
	testenv.Eventually(t, 5*time.Second, "the revocation is refused after Redis came back", func() bool {
		code, _ := g.adminCall("DELETE", "/consumers/acme/keys/"+keyID, "")
		return code == 204
	})
	testenv.Eventually(t, time.Second, "the revocation on the gateway did not reach the peer", func() bool {
		_, why := peer.Authenticate(key, time.Now())
		return why == consumers.Unknown
	})
}
