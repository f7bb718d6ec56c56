// Package testenv holds what the gateway's tests share across packages: free
// loopback ports and a real redis-server. Only tests import it.
package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SkipInShortMode skips a test under `go test -short` (the edit loop), never
// otherwise: CI runs everything.
func SkipInShortMode(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: this test %s", why)
	}
}

// FreePort returns a loopback TCP port that was free a moment ago and was
// never handed out before in this process. Caddy listens with SO_REUSEPORT,
// so two tests given the same port would both bind it and share traffic.
func FreePort(t testing.TB) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
	t.Fatal("no port that was not handed out before")
	return 0
}

var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// RedisServer is a real redis-server for a test, on a free loopback port,
// with persistence off; the test can stop and restart it. .ci/run installs
// redis-server when it is missing; GATEWAY_TEST_REDIS_SERVER names another
// binary.
type RedisServer struct {
	t    testing.TB
	bin  string
	Port int
	// Args are further redis-server arguments (e.g. --replicaof), given
	// at every Start.
	Args []string
	cmd  *exec.Cmd

	mu     sync.Mutex
	client *redis.Client
}

// StartRedis returns a Redis for a test that does not stop it: the one
// .ci/run started (GATEWAY_TEST_REDIS_URL), emptied, or else its own.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	SkipInShortMode(t, "needs a real Redis")
	if url := os.Getenv("GATEWAY_TEST_REDIS_URL"); url != "" {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("GATEWAY_TEST_REDIS_URL: %v", err)
		}
		_, port, _ := net.SplitHostPort(opt.Addr)
		s := &RedisServer{t: t}
		s.Port, _ = strconv.Atoi(port)
		if err := s.Client().FlushAll(context.Background()).Err(); err != nil {
			t.Fatalf("the shared Redis at %s: %v", url, err)
		}
		return s
	}
	return StartOwnRedis(t)
}

// StartOwnRedis starts a redis-server for this test alone, which the test
// may stop and start again.
func StartOwnRedis(t testing.TB) *RedisServer {
	t.Helper()
	SkipInShortMode(t, "starts redis-server")
	bin := os.Getenv("GATEWAY_TEST_REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			t.Fatal("redis-server is not installed: the cluster-mode tests need a real Redis. " +
				"Install it (apt-get install redis-server) or run .ci/run, which installs it.")
		}
	}
	s := &RedisServer{t: t, bin: bin, Port: FreePort(t)}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// StartRedisWith is StartOwnRedis with further redis-server arguments
// (later ones override earlier ones); the argument {port} stands for the
// server's port, e.g. --port 0 --tls-port {port} for TLS only.
func StartRedisWith(t testing.TB, args ...string) *RedisServer {
	t.Helper()
	SkipInShortMode(t, "starts redis-server")
	bin := os.Getenv("GATEWAY_TEST_REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			t.Fatal("redis-server is not installed: the cluster-mode tests need a real Redis. " +
				"Install it (apt-get install redis-server) or run .ci/run, which installs it.")
		}
	}
	s := &RedisServer{t: t, bin: bin, Port: FreePort(t), Args: args}
	for i, a := range s.Args {
		if a == "{port}" {
			s.Args[i] = strconv.Itoa(s.Port) // e.g. --port 0 --tls-port {port}
		}
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *RedisServer) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// URL is the server's redis:// URL.
func (s *RedisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.Port) }

// Start starts the server (again) and waits until it accepts connections.
func (s *RedisServer) Start() {
	s.t.Helper()
	args := []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--logfile", ""}
	s.cmd = exec.Command(s.bin, append(args, s.Args...)...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.waitListening()
}

// waitListening waits until the server accepts connections.
func (s *RedisServer) waitListening() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.Stop() // its cleanup is not registered yet: never leave it running
			s.t.Fatalf("redis-server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (by its PID) and waits for it to be gone.
func (s *RedisServer) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Client is a plain client for a test's own checks, closed with the test.
func (s *RedisServer) Client() *redis.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.Port), DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
		s.t.Cleanup(func() { c.Close() })
		s.client = c
	}
	return s.client
}

// Keys lists the keys matching pattern.
func (s *RedisServer) Keys(pattern string) []string {
	s.t.Helper()
	keys, err := s.Client().Keys(context.Background(), pattern).Result()
	if err != nil {
		s.t.Fatal(err)
	}
	return keys
}

// Eventually waits until cond holds, checking every 20ms, and fails the test
// with what after within. For state that converges over the network (Redis
// events, a health check) where no readiness signal exists.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Switchable is a backend whose health endpoint (/healthz) answers the
// status the test sets; every other path answers 200 "ok".
type Switchable struct {
	*httptest.Server
	Status atomic.Int32
	Probes atomic.Int32
}

// NewSwitchable starts a Switchable answering 200, closed with the test.
func NewSwitchable(t testing.TB) *Switchable {
	s := &Switchable{}
	s.Status.Store(http.StatusOK)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			s.Probes.Add(1)
			w.WriteHeader(int(s.Status.Load()))
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(s.Close)
	return s
}

// Addr is the backend's host:port.
func (s *Switchable) Addr() string { return strings.TrimPrefix(s.URL, "http://") }
