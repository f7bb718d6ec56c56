package caddykit

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
)

// TestRedisConnectFailsFast: a call to Redis makes one attempt bounded by
// the timeout, and modules naming the same server share one client and one
// backoff.
func TestRedisConnectFailsFast(t *testing.T) {
	rc := RedisConfig{URL: "redis://:secret@127.0.0.1:1/0", Timeout: caddy.Duration(300 * time.Millisecond)}
	h, err := rc.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	opt := h.Client.(*redis.Client).Options()
	if opt.MaxRetries > 0 || opt.DialerRetries != 1 || opt.ReadTimeout != 300*time.Millisecond || opt.PoolTimeout != 300*time.Millisecond {
		t.Fatalf("go-redis options: MaxRetries %d DialerRetries %d ReadTimeout %v PoolTimeout %v",
			opt.MaxRetries, opt.DialerRetries, opt.ReadTimeout, opt.PoolTimeout)
	}
	if h.URL != "redis://:***@127.0.0.1:1/0" {
		t.Fatalf("the URL for logs shows %q", h.URL)
	}
	h2, err := rc.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Release()
	if h2.Client != h.Client || h2.Backoff != h.Backoff {
		t.Fatal("two modules naming the same Redis got two clients")
	}
}

// TestRedisConfigResolves: placeholders are replaced in every field when
// the config loads; one left empty is named (never its value); a bare
// JSON string reads as a URL (response_cache's earlier form); each
// topology gets its go-redis client, with the timeouts and the one
// attempt per call.
func TestRedisConfigResolves(t *testing.T) {
	t.Setenv("GATEWAY_TEST_SENTINEL", "127.0.0.1:26379")
	t.Setenv("GATEWAY_TEST_REDIS_PW", "s3cret")
	rc := RedisConfig{Sentinel: &RedisSentinel{MasterName: "m", Addresses: []string{"{env.GATEWAY_TEST_SENTINEL}"}},
		Password: "{env.GATEWAY_TEST_REDIS_PW}"}
	r, err := rc.resolved()
	if err != nil {
		t.Fatal(err)
	}
	if r.Sentinel.Addresses[0] != "127.0.0.1:26379" || r.Password != "s3cret" || rc.Sentinel.Addresses[0] != "{env.GATEWAY_TEST_SENTINEL}" {
		t.Fatalf("resolved %+v (the original must stay as written: %+v)", r, rc.Sentinel)
	}
	if strings.Contains(r.describe(), "s3cret") || !strings.Contains(r.describe(), "sentinel master m via 127.0.0.1:26379") {
		t.Fatalf("describe: %s", r.describe())
	}
	rc.Password = "{env.GATEWAY_TEST_UNSET_VARIABLE}"
	if _, err := rc.resolved(); err == nil || !strings.Contains(err.Error(), "the password") {
		t.Fatalf("an unset password: %v", err)
	}

	var fromString struct {
		Redis *RedisConfig `json:"redis"`
	}
	if err := json.Unmarshal([]byte(`{"redis":"redis://127.0.0.1:6379/0"}`), &fromString); err != nil || fromString.Redis == nil || fromString.Redis.URL != "redis://127.0.0.1:6379/0" {
		t.Fatalf("a bare string: %v %+v", err, fromString.Redis)
	}

	for _, tc := range []struct {
		rc   RedisConfig
		want string
	}{
		{RedisConfig{URL: "redis://127.0.0.1:1/0", Password: "pw", DB: 3}, "*redis.Client"},
		{RedisConfig{Sentinel: &RedisSentinel{MasterName: "m", Addresses: []string{"127.0.0.1:1"}}}, "*redis.Client"},
		{RedisConfig{Cluster: []string{"127.0.0.1:1", "127.0.0.1:2"}, TLS: &RedisTLS{}}, "*redis.ClusterClient"},
	} {
		h, err := tc.rc.Connect()
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", h.Client); got != tc.want {
			t.Errorf("%s: a %s, want %s", h.URL, got, tc.want)
		}
		switch c := h.Client.(type) {
		case *redis.Client:
			o := c.Options()
			if o.MaxRetries > 0 || o.ReadTimeout != DefaultRedisTimeout || (tc.rc.URL != "" && (o.Password != "pw" || o.DB != 3)) {
				t.Errorf("%s: options %+v", h.URL, o)
			}
		case *redis.ClusterClient:
			o := c.Options()
			if o.MaxRetries > 0 || o.ReadTimeout != DefaultRedisTimeout || o.TLSConfig == nil || o.TLSConfig.ServerName != "127.0.0.1" {
				t.Errorf("%s: options %+v", h.URL, o)
			}
		}
		h.Release()
	}
	if _, err := (RedisConfig{Cluster: []string{"a:1"}, TLS: &RedisTLS{CA: "/nonexistent/ca.pem"}}).Connect(); err == nil || !strings.Contains(err.Error(), "tls ca") {
		t.Fatalf("a missing CA file: %v", err)
	}
}

func TestRedisConfigErrors(t *testing.T) {
	for _, tc := range []struct{ url, says string }{
		{"{env.GATEWAY_TEST_UNSET_VARIABLE}", "is empty once its placeholders are replaced"},
		{"http://127.0.0.1:6379", "is not a Redis URL"},
	} {
		if _, err := (RedisConfig{URL: tc.url}).Connect(); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want %q", tc.url, err, tc.says)
		}
	}
	if got := maskURL("redis://user:secret@host:6379/1"); strings.Contains(got, "secret") {
		t.Errorf("maskURL left the password in: %s", got)
	}
}

func TestMaskURLNeverPrintsAPassword(t *testing.T) {
	for _, raw := range []string{
		"redis://user:s3cret@host:6379/1",
		"redis://:s3cret@host:6379/x", // a database that is not a number: does not parse
		"redis://user:s3cret@host:notaport",
		"rediss://u:s3cret@h/",
		"redis://u:p@ss:s3cret@host:1/0",
	} {
		if got := maskURL(raw); strings.Contains(got, "s3cret") {
			t.Errorf("maskURL(%q) = %q", raw, got)
		}
	}
	if _, err := (RedisConfig{URL: "redis://:s3cret@host:6379/x"}).Connect(); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the config error shows the password: %v", err)
	}
}

func TestRedisURLErrorsHideThePassword(t *testing.T) {
	for _, raw := range []string{"redis://:s3cret@host:notaport/0", "redis://u:s3cret@[::1/0", "redis://:s3cret@host:6379/x"} {
		if _, err := (RedisConfig{URL: raw}).Connect(); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", raw, err)
		}
	}
}
