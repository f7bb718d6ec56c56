package gateway

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/redisconn"
)

// Redis connects the gateway to a Redis server, for cluster mode: several
// gateways sharing one registry and one set of rate limits.
//
// The client is github.com/redis/go-redis/v9: the most widely used Go client,
// maintained by Redis itself, with what the gateway needs (pub/sub, Lua
// scripts sent as EVALSHA with a fallback, pipelines, TLS and ACL users from
// the URL) and nothing the gateway would have to work around.

// DefaultRedisTimeout bounds every Redis call the gateway makes (dial, read,
// write). Requests wait on Redis only in throttle's decisions.
const DefaultRedisTimeout = 250 * time.Millisecond

// RedisConfig says how to reach Redis.
type RedisConfig struct {
	// The server: redis://[user:password@]host:port[/db] or rediss:// for
	// TLS (verified against the system's roots). Placeholders such as
	// {env.REDIS_URL} are replaced when the config loads.
	URL string `json:"url"`

	// The longest any Redis call may take. Default: 250ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// redisClient is a shared client, closed when its last user lets go.
type redisClient struct {
	*redis.Client
	backoff *redisconn.Backoff
}

// Destruct closes the connections.
func (c redisClient) Destruct() error { return c.Close() }

// redisHandle is a module's reference to a shared client.
type redisHandle struct {
	*redisconn.Conn
	poolKey string
}

// connect returns the shared client for the config: one per URL and timeout
// for the whole process, whatever the number of modules using it.
func (rc RedisConfig) connect() (*redisHandle, error) {
	url := caddy.NewReplacer().ReplaceKnown(rc.URL, "")
	if url == "" {
		return nil, fmt.Errorf("redis: the URL %q is empty once its placeholders are replaced; is the environment variable set?", rc.URL)
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: %q is not a Redis URL such as redis://127.0.0.1:6379/0: %v", maskURL(url), maskPasswords(err.Error()))
	}
	timeout := time.Duration(rc.Timeout)
	if timeout <= 0 {
		timeout = DefaultRedisTimeout
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = timeout, timeout, timeout
	opt.ContextTimeoutEnabled = true
	// one attempt: a call waits at most its timeout, and a Redis that is
	// down is left alone for a moment (redisBackoff) rather than retried
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	opt.PoolTimeout = timeout
	setRedisLogger()
	key := fmt.Sprintf("%s|%s", url, timeout)
	val, _, err := processState.redisClients.LoadOrNew(key, func() (caddy.Destructor, error) {
		return redisClient{Client: redis.NewClient(opt), backoff: new(redisconn.Backoff)}, nil
	})
	if err != nil {
		return nil, err
	}
	c := val.(redisClient)
	conn := &redisconn.Conn{Client: c.Client, URL: maskURL(url), Timeout: timeout, Backoff: c.backoff}
	return &redisHandle{Conn: conn, poolKey: key}, nil
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

// release lets go of the shared client.
func (h *redisHandle) release() {
	if h != nil {
		_, _ = processState.redisClients.Delete(h.poolKey)
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
