// Package redisconn is the gateway's handle on a Redis server in cluster
// mode: the client, the bound on each call, and a backoff that stops calls
// to a Redis known to be down for a short while, so that requests waiting on
// Redis fail fast instead of each waiting out its timeout.
package redisconn

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Conn is one user's reference to a shared client.
type Conn struct {
	Client redis.UniversalClient
	// URL names the server(s) for logs: a URL with any password masked,
	// or the Sentinel master or Cluster seeds.
	URL string
	// Timeout bounds every call.
	Timeout time.Duration
	// Backoff is shared by every user of the client; nil never backs off.
	Backoff *Backoff
}

// Backoff is a circuit per client: after a failure, calls fail at once for
// 100ms, doubling with each further failure up to 2s; the first call after
// that goes through and decides.
type Backoff struct {
	mu        sync.Mutex
	failures  int
	downUntil time.Time
}

// ErrBackoff is the answer while a Redis that failed is left alone.
var ErrBackoff = errors.New("the Redis server failed moments ago; not calling it again yet")

// Ready says whether a call may go to Redis now.
func (c *Conn) Ready() error {
	if c == nil || c.Backoff == nil {
		return nil
	}
	b := c.Backoff
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Now().Before(b.downUntil) {
		return ErrBackoff
	}
	return nil
}

// Result records how a call went: failures to reach Redis start or extend
// the backoff; an answer (an error reply included) ends it.
func (c *Conn) Result(err error) {
	if c == nil || c.Backoff == nil {
		return
	}
	b := c.Backoff
	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil || IsReply(err) {
		b.failures = 0
		return
	}
	if errors.Is(err, ErrBackoff) {
		return
	}
	b.failures++
	d := min(100*time.Millisecond<<min(b.failures-1, 5), 2*time.Second)
	b.downUntil = time.Now().Add(d)
}

// IsReply reports whether err is an error reply of the server (for one
// command, e.g. WRONGTYPE) or a missing key, rather than a failure to talk
// to it.
func IsReply(err error) bool {
	var rerr redis.Error
	return errors.Is(err, redis.Nil) || errors.As(err, &rerr)
}

// Scan hands fn every key matching match (a SCAN pattern), count at a
// time. SCAN walks one node: on a Redis Cluster it walks every master,
// each holding its own slots.
func Scan(ctx context.Context, c redis.UniversalClient, match string, count int64, fn func(key string) error) error {
	scan := func(ctx context.Context, node redis.UniversalClient) error {
		iter := node.Scan(ctx, 0, match, count).Iterator()
		for iter.Next(ctx) {
			if err := fn(iter.Val()); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		return scan(ctx, c)
	}
	// one master at a time: fn need not be safe for concurrent use
	var mu sync.Mutex
	return cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		return scan(ctx, node)
	})
}
