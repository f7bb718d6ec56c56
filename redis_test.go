package gateway

import (
	"encoding/json"
	"strings"
	"testing"
)

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
