package gateway

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a real redis-server for a test, on a free loopback port,
// with persistence off; the test can stop and restart it. .ci/run installs
// redis-server when it is missing; GATEWAY_TEST_REDIS_SERVER names another
// binary.
type redisServer struct {
	t    testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
}

// startRedis returns a Redis for a test that does not stop it: the one
// .ci/run started (GATEWAY_TEST_REDIS_URL), emptied, or else its own.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	skipInShortMode(t, "needs a real Redis")
	if url := os.Getenv("GATEWAY_TEST_REDIS_URL"); url != "" {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("GATEWAY_TEST_REDIS_URL: %v", err)
		}
		_, port, _ := net.SplitHostPort(opt.Addr)
		s := &redisServer{t: t}
		s.port, _ = strconv.Atoi(port)
		if err := s.client().FlushAll(context.Background()).Err(); err != nil {
			t.Fatalf("the shared Redis at %s: %v", url, err)
		}
		return s
	}
	return startOwnRedis(t)
}

// startOwnRedis starts a redis-server for this test alone, which the test
// may stop and start again.
func startOwnRedis(t testing.TB) *redisServer {
	t.Helper()
	skipInShortMode(t, "starts redis-server")
	bin := os.Getenv("GATEWAY_TEST_REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			t.Fatal("redis-server is not installed: the cluster-mode tests need a real Redis. " +
				"Install it (apt-get install redis-server) or run .ci/run, which installs it.")
		}
	}
	s := &redisServer{t: t, bin: bin, port: freePort(t)}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--logfile", "")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server (by its PID) and waits for it to be gone.
func (s *redisServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// client is a plain client for a test's own checks.
func (s *redisServer) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port)})
	s.t.Cleanup(func() { c.Close() })
	return c
}

func (s *redisServer) keys(pattern string) []string {
	s.t.Helper()
	keys, err := s.client().Keys(context.Background(), pattern).Result()
	if err != nil {
		s.t.Fatal(err)
	}
	return keys
}
