package gateway

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
	h, err := rc.connect()
	if err != nil {
		t.Fatal(err)
	}
	defer h.release()
	opt := h.Client.(*redis.Client).Options()
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

// TestCaddyfileRedisTopologies: every module with `backend redis` takes
// the same block, for a server, a Sentinel master or a Cluster, with TLS
// and ACL settings; impossible configs fail at adapt time, naming the
// problem.
func TestCaddyfileRedisTopologies(t *testing.T) {
	cfg, err := adapt(t, `{
	service_registry {
		backend redis {
			sentinel mymaster 10.0.0.1:26379 10.0.0.2:26379 {env.SENTINEL3}
			sentinel_password {env.SENTINEL_PASSWORD}
			username gateway
			password {env.REDIS_PASSWORD}
			db 2
			tls
			tls_ca /etc/redis/ca.pem
		}
	}
	consumers {
		backend redis {
			cluster 10.0.1.1:6379 10.0.1.2:6379
			password {env.REDIS_PASSWORD}
			timeout 400ms
		}
	}
}
:8080 {
	throttle {
		rate 10/s
		backend redis {
			url rediss://redis.internal:6380/1
			tls_server_name redis.example
		}
	}
	response_cache {
		backend redis {
			cluster 10.0.1.1:6379
		}
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	for _, want := range []string{
		`"redis":{"db":2,"password":"{env.REDIS_PASSWORD}","sentinel":{"addresses":["10.0.0.1:26379","10.0.0.2:26379","{env.SENTINEL3}"],"master_name":"mymaster","password":"{env.SENTINEL_PASSWORD}"},"tls":{"ca":"/etc/redis/ca.pem"},"username":"gateway"}`,
		`"redis":{"cluster":["10.0.1.1:6379","10.0.1.2:6379"],"password":"{env.REDIS_PASSWORD}","timeout":400000000}`,
		`"redis":{"tls":{"server_name":"redis.example"},"url":"rediss://redis.internal:6380/1"}`,
		`"redis":{"cluster":["10.0.1.1:6379"]}`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("adapted config lacks %s:\n%s", want, raw)
		}
	}
	block := func(body string) string {
		return "{\n service_registry {\n  backend redis {\n" + body + "\n  }\n }\n}"
	}
	for _, tc := range []struct{ caddyfile, says string }{
		{block("sentinel mymaster"), "write `sentinel <master name> <host:port>...`"},
		{block("cluster"), "write `cluster <host:port>...`"},
		{block("url redis://a:1\ncluster b:1"), "url, sentinel and cluster exclude each other"},
		{block("cluster 10.0.0.1"), `"10.0.0.1" is not an address such as 10.0.0.5:6379`},
		{block("sentinel m 10.0.0.1:26379 nope"), `"nope" is not an address`},
		{block("cluster a:1\ndb 3"), "a Redis Cluster has only database 0"},
		{block("url redis://a:1\nsentinel_password x"), "sentinel_password need `sentinel"},
		{block("url redis://a:1\ndb x"), `db "x" is not a database number`},
		{block("url redis://a:1\ntls on"), "tls takes no value"},
		{block("url redis://a:1\ntimeout 0s"), "not a positive duration"},
		{block("url redis://a:1\nhost b"), `unknown option "host"`},
		{block("username u"), "name a server (url), a Sentinel master"},
		{block("url http://a:1"), "is not a Redis URL"},
		{":8080 {\n throttle {\n  rate 1/s\n  backend redis {\n   sentinel m\n  }\n }\n}", "throttle: backend redis: write `sentinel"},
		{":8080 {\n response_cache {\n  backend redis {\n   cluster x\n  }\n }\n}", "response_cache: backend redis"},
		{"{\n consumers {\n  backend redis {\n   cluster a:1\n   db 1\n  }\n }\n}", "consumers: backend redis: redis: a Redis Cluster has only database 0"},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
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

	var fromString ResponseCache
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
		h, err := tc.rc.connect()
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
		h.release()
	}
	if _, err := (RedisConfig{Cluster: []string{"a:1"}, TLS: &RedisTLS{CA: "/nonexistent/ca.pem"}}).connect(); err == nil || !strings.Contains(err.Error(), "tls ca") {
		t.Fatalf("a missing CA file: %v", err)
	}
}
