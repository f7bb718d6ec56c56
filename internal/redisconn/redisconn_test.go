package redisconn

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestBackoff(t *testing.T) {
	c := &Conn{Backoff: new(Backoff)}
	if err := c.Ready(); err != nil {
		t.Fatalf("a fresh client backs off: %v", err)
	}
	c.Result(io.EOF) // could not talk to Redis
	if err := c.Ready(); !errors.Is(err, ErrBackoff) {
		t.Fatalf("after a failure: %v, want ErrBackoff", err)
	}
	c.Result(ErrBackoff) // a call refused by the backoff changes nothing
	if c.Backoff.failures != 1 {
		t.Fatalf("failures %d after one failure and one refusal", c.Backoff.failures)
	}
	for range 10 {
		c.Result(io.EOF)
	}
	if left := time.Until(c.Backoff.downUntil); left > 2*time.Second || left < time.Second {
		t.Fatalf("after 11 failures the backoff is %v, want it capped at 2s", left)
	}
	c.Backoff.downUntil = time.Now() // time passes
	if err := c.Ready(); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
	c.Result(redis.Nil) // an answer, even "no such key", means Redis is up
	if c.Backoff.failures != 0 {
		t.Fatalf("an answer did not end the failures: %d", c.Backoff.failures)
	}
	var nilConn *Conn
	if nilConn.Ready() != nil {
		t.Fatal("a nil Conn backs off")
	}
	nilConn.Result(io.EOF) // must not panic
}

func TestIsReply(t *testing.T) {
	if !IsReply(redis.Nil) || IsReply(io.EOF) || IsReply(nil) {
		t.Fatal("IsReply: redis.Nil is a reply, EOF and nil are not")
	}
}
