package caddykit

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// ParseRedisBackend reads `backend redis ...`, the same in every module
// that has it (docs/cluster.md), args being the line's arguments:
//
//	backend redis <url>
//	backend redis {
//		url      <redis:// or rediss:// URL>          # one server, or:
//		sentinel <master name> <host:port>...         # a Sentinel master, or:
//		cluster  <host:port>...                       # a Redis Cluster's seeds
//		username <ACL user>
//		password <password>
//		sentinel_username <ACL user of the sentinels>
//		sentinel_password <password of the sentinels>
//		db       <number>
//		tls
//		tls_ca   <PEM file>
//		tls_server_name <name>
//		timeout  <duration>
//	}
func ParseRedisBackend(d *caddyfile.Dispenser, directive string, args []string) (*RedisConfig, error) {
	if len(args) == 2 && args[0] == "redis" {
		rc := &RedisConfig{URL: args[1]}
		if err := rc.Check(); err != nil {
			return nil, d.Errf("%s: backend redis: %v", directive, err)
		}
		return rc, nil
	}
	if len(args) != 1 || args[0] != "redis" {
		return nil, d.Errf("%s: write `backend redis <url>` (e.g. backend redis redis://127.0.0.1:6379/0 or backend redis {env.REDIS_URL}) or a `backend redis { ... }` block for Sentinel, Cluster, TLS or ACL settings", directive)
	}
	rc := &RedisConfig{}
	var sentinelUser, sentinelPass string
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		vals := d.RemainingArgs()
		one := func() (string, error) {
			if len(vals) != 1 {
				return "", d.Errf("%s: backend redis: %s takes one value", directive, opt)
			}
			return vals[0], nil
		}
		var err error
		switch opt {
		case "url":
			rc.URL, err = one()
		case "sentinel":
			if len(vals) < 2 {
				return nil, d.Errf("%s: backend redis: write `sentinel <master name> <host:port>...`", directive)
			}
			rc.Sentinel = &RedisSentinel{MasterName: vals[0], Addresses: vals[1:]}
		case "cluster":
			if len(vals) == 0 {
				return nil, d.Errf("%s: backend redis: write `cluster <host:port>...` (some of the cluster's nodes)", directive)
			}
			rc.Cluster = vals
		case "username":
			rc.Username, err = one()
		case "password":
			rc.Password, err = one()
		case "sentinel_username":
			sentinelUser, err = one()
		case "sentinel_password":
			sentinelPass, err = one()
		case "db":
			var v string
			if v, err = one(); err == nil {
				if rc.DB, err = strconv.Atoi(v); err != nil || rc.DB < 0 {
					return nil, d.Errf("%s: backend redis: db %q is not a database number", directive, v)
				}
			}
		case "tls":
			if len(vals) != 0 {
				return nil, d.Errf("%s: backend redis: tls takes no value (tls_ca and tls_server_name are options of their own)", directive)
			}
			if rc.TLS == nil {
				rc.TLS = &RedisTLS{}
			}
		case "tls_ca", "tls_server_name":
			if rc.TLS == nil {
				rc.TLS = &RedisTLS{}
			}
			if opt == "tls_ca" {
				rc.TLS.CA, err = one()
			} else {
				rc.TLS.ServerName, err = one()
			}
		case "timeout":
			var v string
			if v, err = one(); err == nil {
				dur, perr := caddy.ParseDuration(v)
				if perr != nil || dur <= 0 {
					return nil, d.Errf("%s: backend redis: timeout %q is not a positive duration such as 250ms", directive, v)
				}
				rc.Timeout = caddy.Duration(dur)
			}
		default:
			return nil, d.Errf("%s: backend redis: unknown option %q (url, sentinel, cluster, username, password, sentinel_username, sentinel_password, db, tls, tls_ca, tls_server_name, timeout)", directive, opt)
		}
		if err != nil {
			return nil, err
		}
	}
	if sentinelUser != "" || sentinelPass != "" {
		if rc.Sentinel == nil {
			return nil, d.Errf("%s: backend redis: sentinel_username and sentinel_password need `sentinel <master name> <host:port>...`", directive)
		}
		rc.Sentinel.Username, rc.Sentinel.Password = sentinelUser, sentinelPass
	}
	if err := rc.Check(); err != nil {
		return nil, d.Errf("%s: backend redis: %v", directive, err)
	}
	return rc, nil
}
