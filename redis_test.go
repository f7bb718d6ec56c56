package gateway

import (
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// TestRedisConnectFailsFast: a call to Redis makes one attempt bounded by
// the timeout, and modules naming the same server share one client and one
// backoff.
func TestRedisConnectFailsFast(t *testing.T) {
	rc := RedisConfig{URL: "redis://:secret@127.0.0.1:1/0", Timeout: caddy.Duration(300 * time.Millisecond)}
	h, err := rc.connect()
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	opt := h.Client.Options()
	if opt.MaxRetries > 0 || opt.DialerRetries != 1 || opt.ReadTimeout != 300*time.Millisecond || opt.PoolTimeout != 300*time.Millisecond {
		t.Fatalf("go-redis options: MaxRetries %d DialerRetries %d ReadTimeout %v PoolTimeout %v",
			opt.MaxRetries, opt.DialerRetries, opt.ReadTimeout, opt.PoolTimeout)
	}
	if h.URL != "redis://:***@127.0.0.1:1/0" {
		t.Fatalf("the URL for logs shows %q", h.URL)
	}
	h2, err := rc.connect()
	if err != nil {
		t.Fatal(err)
	}
	defer h2.release()
	if h2.Client != h.Client || h2.Backoff != h.Backoff {
		t.Fatal("two modules naming the same Redis got two clients")
	}
}
