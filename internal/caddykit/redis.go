package caddykit

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"
)

// Redis connects the gateway to Redis, for cluster mode: several gateways
// sharing one registry, one set of rate limits, consumers and cached
// responses. Redis may be one server, a master watched by Sentinel, or a
// Redis Cluster (docs/cluster.md).
//
// The client is github.com/redis/go-redis/v9: the most widely used Go client,
// maintained by Redis itself, with what the gateway needs (pub/sub, Lua
// scripts sent as EVALSHA with a fallback, pipelines, TLS and ACL users from
// the URL) and nothing the gateway would have to work around.

// redisClients holds one Redis client per server, Sentinel master or
// Cluster and settings (redisClient), shared by every module of every
// package naming them and closed when the last one lets go. It is
// package-level state, like Caddy's reverse proxy host pool: a config
// reload must not drop and redial the connections of modules whose Redis
// did not change (the new config takes its reference before the old one
// lets go). It holds no state that a fresh process would lack, so
// OnProcessReset has nothing to reset here.
var redisClients = caddy.NewUsagePool()

// RedisClients is the number of shared Redis clients open (for leak
// tests: a reload that keeps its Redis settings opens none).
func RedisClients() int {
	n := 0
	redisClients.Range(func(any, any) bool { n++; return true })
	return n
}

// DefaultRedisTimeout bounds every Redis call the gateway makes (dial, read,
// write). Requests wait on Redis only in throttle's decisions.
const DefaultRedisTimeout = 250 * time.Millisecond

// RedisConfig says how to reach Redis: one server (URL), a master watched
// by Sentinel (Sentinel), or a Redis Cluster (Cluster): exactly one of the
// three. Every string may hold placeholders such as {env.REDIS_PASSWORD},
// replaced when the config loads. The Caddyfile form, the same for every
// module with `backend redis`, is documented in docs/cluster.md.
//
// In JSON, a bare string is read as the URL: "redis": "redis://host:6379".
type RedisConfig struct {
	// One server: redis://[user:password@]host:port[/db], or rediss:// for
	// TLS (verified against the system's roots, or the tls ca).
	URL string `json:"url,omitempty"`

	// A master and its replicas watched by Redis Sentinel: the gateway asks
	// the sentinels where the master is, and follows a failover.
	Sentinel *RedisSentinel `json:"sentinel,omitempty"`

	// A Redis Cluster: the addresses (host:port) of some of its nodes; the
	// rest is discovered from them.
	Cluster []string `json:"cluster,omitempty"`

	// The ACL user and password for the data nodes (the server, the
	// master and replicas, or the cluster's nodes). With URL, they replace
	// the URL's. Default: none (the default user).
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// The database number, for a server or Sentinel (a Cluster has only
	// 0). With URL, it replaces the URL's. Default: 0.
	DB int `json:"db,omitempty"`

	// Talk TLS to every node (and every sentinel). rediss:// URLs turn it
	// on too. Default: off, unless the URL is rediss://.
	TLS *RedisTLS `json:"tls,omitempty"`

	// The longest any Redis call may take. Default: 250ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// RedisSentinel names a master watched by Sentinel.
type RedisSentinel struct {
	// The master's name, as in the sentinels' `sentinel monitor <name>`.
	MasterName string `json:"master_name"`
	// The sentinels' addresses (host:port); at least one.
	Addresses []string `json:"addresses"`
	// The sentinels' own ACL user and password, when they require one
	// (sentinel's requirepass / ACL). Default: none.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// RedisTLS configures TLS to Redis.
type RedisTLS struct {
	// A PEM file of the certificate authorities that sign the servers'
	// certificates. Default: the system's roots.
	CA string `json:"ca,omitempty"`
	// The name the servers' certificates must carry. Default: the host
	// name of each address.
	ServerName string `json:"server_name,omitempty"`
}

// UnmarshalJSON reads a RedisConfig, or a bare string as its URL (the
// form response_cache's "redis" had).
func (rc *RedisConfig) UnmarshalJSON(b []byte) error {
	var url string
	if err := json.Unmarshal(b, &url); err == nil {
		*rc = RedisConfig{URL: url}
		return nil
	}
	type plain RedisConfig
	return json.Unmarshal(b, (*plain)(rc))
}

// Configured reports whether the config names a server, a Sentinel master
// or a Cluster (a lone redis_timeout does not).
func (rc *RedisConfig) Configured() bool {
	return rc != nil && (rc.URL != "" || rc.Sentinel != nil || len(rc.Cluster) > 0)
}

// Check rejects a config that cannot work, before placeholders are
// replaced (so at adapt time too): not exactly one topology, a sentinel
// without master or addresses, addresses that are not host:port, a
// database on a Cluster.
func (rc *RedisConfig) Check() error {
	n := 0
	for _, set := range []bool{rc.URL != "", rc.Sentinel != nil, len(rc.Cluster) > 0} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return fmt.Errorf("redis: name a server (url), a Sentinel master (sentinel <master> <host:port>...) or a Cluster (cluster <host:port>...)")
	case n > 1:
		return fmt.Errorf("redis: url, sentinel and cluster exclude each other; name one")
	case rc.Sentinel != nil && rc.Sentinel.MasterName == "":
		return fmt.Errorf("redis: sentinel needs the master's name, as in the sentinels' `sentinel monitor <name> ...`")
	case rc.Sentinel != nil && len(rc.Sentinel.Addresses) == 0:
		return fmt.Errorf("redis: sentinel %s needs at least one sentinel address (host:port)", rc.Sentinel.MasterName)
	case len(rc.Cluster) > 0 && rc.DB != 0:
		return fmt.Errorf("redis: a Redis Cluster has only database 0; drop db %d", rc.DB)
	case rc.DB < 0:
		return fmt.Errorf("redis: db %d is negative", rc.DB)
	}
	if rc.URL != "" && !strings.Contains(rc.URL, "{") && !strings.HasPrefix(rc.URL, "redis://") && !strings.HasPrefix(rc.URL, "rediss://") {
		return fmt.Errorf("redis: %q is not a Redis URL such as redis://127.0.0.1:6379/0 (redis:// or rediss://)", maskURL(rc.URL))
	}
	var addrs []string
	if rc.Sentinel != nil {
		addrs = rc.Sentinel.Addresses
	}
	for _, a := range append(slices.Clone(addrs), rc.Cluster...) {
		if strings.Contains(a, "{") {
			continue // a placeholder; checked once replaced
		}
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			return fmt.Errorf("redis: %q is not an address such as 10.0.0.5:6379 (host:port)", a)
		}
	}
	return nil
}

// resolved returns the config with its placeholders replaced.
func (rc RedisConfig) resolved() (RedisConfig, error) {
	repl := caddy.NewReplacer()
	var empty []string
	replace := func(what string, s *string) {
		if *s == "" {
			return
		}
		v := repl.ReplaceKnown(*s, "")
		if v == "" {
			empty = append(empty, fmt.Sprintf("%s %q", what, maskURL(*s)))
		}
		*s = v
	}
	replace("the URL", &rc.URL)
	replace("the username", &rc.Username)
	replace("the password", &rc.Password)
	if rc.Sentinel != nil {
		s := *rc.Sentinel
		s.Addresses = slices.Clone(s.Addresses)
		replace("the sentinel master name", &s.MasterName)
		replace("the sentinel username", &s.Username)
		replace("the sentinel password", &s.Password)
		for i := range s.Addresses {
			replace("the sentinel address", &s.Addresses[i])
		}
		rc.Sentinel = &s
	}
	rc.Cluster = slices.Clone(rc.Cluster)
	for i := range rc.Cluster {
		replace("the cluster address", &rc.Cluster[i])
	}
	if rc.TLS != nil {
		t := *rc.TLS
		replace("the tls ca", &t.CA)
		replace("the tls server_name", &t.ServerName)
		rc.TLS = &t
	}
	if len(empty) > 0 {
		return rc, fmt.Errorf("redis: %s is empty once its placeholders are replaced; is the environment variable set?", strings.Join(empty, ", "))
	}
	return rc, rc.Check()
}

// tlsConfig returns the TLS settings for host, or nil when TLS is off.
func (rc RedisConfig) tlsConfig(urlTLS *tls.Config) (*tls.Config, error) {
	if rc.TLS == nil {
		return urlTLS, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: rc.TLS.ServerName}
	if urlTLS != nil && cfg.ServerName == "" {
		cfg.ServerName = urlTLS.ServerName
	}
	if rc.TLS.CA != "" {
		pem, err := os.ReadFile(rc.TLS.CA)
		if err != nil {
			return nil, fmt.Errorf("redis: tls ca: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis: tls ca %q holds no PEM certificate", rc.TLS.CA)
		}
	}
	return cfg, nil
}

// describe names the server(s) for logs, never a password.
func (rc RedisConfig) describe() string {
	switch {
	case rc.Sentinel != nil:
		return fmt.Sprintf("sentinel master %s via %s", rc.Sentinel.MasterName, strings.Join(rc.Sentinel.Addresses, ","))
	case len(rc.Cluster) > 0:
		return "cluster " + strings.Join(rc.Cluster, ",")
	}
	return maskURL(rc.URL)
}

// newClient makes the go-redis client for the (resolved) config: a
// *redis.Client for a server or a Sentinel master (a failover client), a
// *redis.ClusterClient for a Cluster. Every call makes one attempt bounded
// by timeout: a Redis that is down is left alone for a moment
// (redisconn.Backoff) rather than retried, and a failover shows as
// failures until the new master answers.
func (rc RedisConfig) newClient(timeout time.Duration) (redis.UniversalClient, error) {
	switch {
	case rc.Sentinel != nil:
		tlsCfg, err := rc.tlsConfig(nil)
		if err != nil {
			return nil, err
		}
		if rc.TLS != nil && tlsCfg.ServerName == "" {
			tlsCfg.ServerName = hostOf(rc.Sentinel.Addresses[0])
		}
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: rc.Sentinel.MasterName, SentinelAddrs: rc.Sentinel.Addresses,
			SentinelUsername: rc.Sentinel.Username, SentinelPassword: rc.Sentinel.Password,
			Username: rc.Username, Password: rc.Password, DB: rc.DB, TLSConfig: tlsCfg,
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, PoolTimeout: timeout,
			ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1,
		}), nil
	case len(rc.Cluster) > 0:
		tlsCfg, err := rc.tlsConfig(nil)
		if err != nil {
			return nil, err
		}
		if rc.TLS != nil && tlsCfg.ServerName == "" {
			tlsCfg.ServerName = hostOf(rc.Cluster[0])
		}
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: rc.Cluster, Username: rc.Username, Password: rc.Password, TLSConfig: tlsCfg,
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, PoolTimeout: timeout,
			ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1,
		}), nil
	}
	opt, err := redis.ParseURL(rc.URL)
	if err != nil {
		return nil, fmt.Errorf("redis: %q is not a Redis URL such as redis://127.0.0.1:6379/0: %v", maskURL(rc.URL), maskPasswords(err.Error()))
	}
	if rc.Username != "" {
		opt.Username = rc.Username
	}
	if rc.Password != "" {
		opt.Password = rc.Password
	}
	if rc.DB != 0 {
		opt.DB = rc.DB
	}
	if opt.TLSConfig, err = rc.tlsConfig(opt.TLSConfig); err != nil {
		return nil, err
	}
	if opt.TLSConfig != nil && opt.TLSConfig.ServerName == "" {
		opt.TLSConfig.ServerName = hostOf(opt.Addr)
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = timeout, timeout, timeout
	opt.ContextTimeoutEnabled = true
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	opt.PoolTimeout = timeout
	return redis.NewClient(opt), nil
}

func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// redisClient is a shared client, closed when its last user lets go.
type redisClient struct {
	redis.UniversalClient
	backoff *redisconn.Backoff
}

// Destruct closes the connections.
func (c redisClient) Destruct() error { return c.Close() }

// RedisHandle is a module's reference to a shared client; the module
// lets go of it with Release (in Cleanup).
type RedisHandle struct {
	*redisconn.Conn
	poolKey string
}

// Connect returns the shared client for the config: one per server (or
// Sentinel master, or Cluster), credentials and timeout for the whole
// process, whatever the number of modules using it.
func (rc RedisConfig) Connect() (*RedisHandle, error) {
	if rc.URL == "" && rc.Sentinel == nil && len(rc.Cluster) == 0 {
		return nil, fmt.Errorf("redis: no server: write `backend redis <url>` or a `backend redis { ... }` block")
	}
	r, err := rc.resolved()
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(r.Timeout)
	if timeout <= 0 {
		timeout = DefaultRedisTimeout
	}
	r.Timeout = caddy.Duration(timeout)
	raw, _ := json.Marshal(r)
	sum := sha256.Sum256(raw)
	key := hex.EncodeToString(sum[:])
	setRedisLogger()
	val, _, err := redisClients.LoadOrNew(key, func() (caddy.Destructor, error) {
		c, err := r.newClient(timeout)
		if err != nil {
			return nil, err
		}
		return redisClient{UniversalClient: c, backoff: new(redisconn.Backoff)}, nil
	})
	if err != nil {
		return nil, err
	}
	c := val.(redisClient)
	conn := &redisconn.Conn{Client: c.UniversalClient, URL: r.describe(), Timeout: timeout, Backoff: c.backoff}
	return &RedisHandle{Conn: conn, poolKey: key}, nil
}

var redisLoggerOnce sync.Once

// setRedisLogger sends go-redis's own log lines (reconnects, pool errors)
// to Caddy's log instead of standard error.
func setRedisLogger() {
	redisLoggerOnce.Do(func() { redis.SetLogger(zapRedisLogger{caddy.Log().Named("redis")}) })
}

type zapRedisLogger struct{ logger *zap.Logger }

func (l zapRedisLogger) Printf(_ context.Context, format string, v ...any) {
	l.logger.Warn(maskPasswords(fmt.Sprintf(format, v...)))
}

// maskPasswords hides anything that looks like the user info of a URL in a
// log line.
func maskPasswords(s string) string {
	for i := strings.Index(s, "://"); i >= 0; {
		rest := s[i+3:]
		end := strings.IndexAny(rest, " /\"\n")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			s = s[:i+3] + "***" + rest[at:]
			rest = s[i+3:]
		}
		next := strings.Index(rest, "://")
		if next < 0 {
			break
		}
		i += 3 + next
	}
	return s
}

// Key identifies the shared client: the same for every module naming the
// same Redis with the same settings (a hash of them, no secret in clear).
func (h *RedisHandle) Key() string { return h.poolKey }

// Release lets go of the shared client (nil: nothing to release).
func (h *RedisHandle) Release() {
	if h != nil {
		_, _ = redisClients.Delete(h.poolKey)
	}
}

// maskURL hides a password in a Redis URL, whether or not the URL parses:
// everything between the scheme and the last '@' of the authority (the user
// info) is replaced.
func maskURL(raw string) string {
	opt, err := redis.ParseURL(raw)
	if err == nil && opt.Password == "" {
		return raw
	}
	if err == nil {
		scheme := "redis"
		if opt.TLSConfig != nil {
			scheme = "rediss"
		}
		return fmt.Sprintf("%s://%s:***@%s/%d", scheme, opt.Username, opt.Addr, opt.DB)
	}
	rest := raw
	prefix := ""
	if i := strings.Index(raw, "://"); i >= 0 {
		prefix, rest = raw[:i+3], raw[i+3:]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		return prefix + "***@" + rest[i+1:]
	}
	return raw
}
