package main

// The soak test (go run ./bench -soak 1h): one real Caddy with the whole
// gateway, in cluster mode on a real Redis, under steady mixed load while
// everything around it churns; sampled every -soak-interval, and judged
// flat or not at the end. docs/soak.md has the method and the CI rule.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
)

// soakOptions are the -soak flags.
type soakOptions struct {
	duration    time.Duration
	interval    time.Duration // between samples
	reloadEvery time.Duration
	rps         int // the steady load, requests a second (the hammering clients come on top)
	out         string
	ci          bool
	caddyBin    string
	waf         bool // build Caddy with the waf module, and put waf in the stack
}

// soak is one soak run.
type soak struct {
	b    *bench
	opt  soakOptions
	dash string // the dashboard's address
	data string

	redisPort int
	redisURL  string
	redisCmd  *exec.Cmd
	rdb       *redis.Client

	backends []string // addresses of healthy backends (in this process)
	flaky    []string // addresses of backends that always fail

	tokens     []string // JWTs of many users
	hammerTok  string   // one user over its rate
	freeKey    atomic.Value
	consumerMu sync.Mutex
	keys       []consumerKey // live consumers' keys

	tmpMu    sync.Mutex
	tmpLive  []string // temporary services that currently exist
	configN  atomic.Int64
	statusMu sync.Mutex
	statuses map[int]int64
	requests atomic.Int64
	errs     atomic.Int64
	events   []soakEvent
	eventsMu sync.Mutex
	start    time.Time
}

type consumerKey struct{ id, key string }

type soakEvent struct {
	at   time.Duration
	what string
}

// soakSample is one row of the CSV.
type soakSample struct {
	at      time.Duration
	values  []float64
	reqs    int64
	rpsSeen float64
}

// soakMetrics name the sampled values, in CSV order; judged says whether
// the flatness verdict applies (a count that depends on the churn's phase,
// such as the registry's size, is judged too: it must not grow either).
var soakMetrics = []struct {
	name, unit string
}{
	{"rss", "MiB"},
	{"heap_after_gc", "MiB"},
	{"goroutines", ""},
	{"open_fds", ""},
	{"metric_series", ""},
	{"registry_instances", ""},
	{"cache_keys", ""},
	{"cache_bytes", "KiB"},
	{"consumers", ""},
	{"consumer_keys", ""},
	{"throttle_keys", ""},
	{"circuits", ""},
	{"redis_keys", ""},
	{"redis_memory", "MiB"},
}

func (b *bench) soakRun(opt soakOptions) error {
	s := &soak{b: b, opt: opt, statuses: map[int]int64{}}
	if err := os.MkdirAll(opt.out, 0o755); err != nil {
		return err
	}
	if err := s.setup(); err != nil {
		return err
	}
	defer s.rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), opt.duration)
	defer cancel()
	s.start = time.Now()
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(s.load)
	run(s.hammer)
	run(s.registryChurn)
	run(s.consumerChurn)
	run(s.purges)
	run(s.reloads)
	run(s.redisRestarts)
	samples := s.sampleLoop(ctx)
	wg.Wait()
	s.event("end")
	return s.report(samples)
}

func (s *soak) event(what string) {
	s.eventsMu.Lock()
	s.events = append(s.events, soakEvent{time.Since(s.start), what})
	s.eventsMu.Unlock()
	log.Printf("soak %6.0fs: %s", time.Since(s.start).Seconds(), what)
}

// setup builds Caddy, starts Redis, the backends and Caddy, and makes the
// users, consumers and services the load needs.
func (s *soak) setup() error {
	b := s.b
	b.unpinned = true
	if err := b.buildCaddy(s.opt.caddyBin, s.opt.waf); err != nil {
		return err
	}
	s.redisPort = freePort()
	s.redisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", s.redisPort)
	if err := s.startRedis(); err != nil {
		return err
	}
	s.rdb = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.redisPort)})

	// backends: in this process, each on its own port
	for i := range 6 {
		addr, err := serveSoakBackend(i%3 == 0 && i > 0)
		if err != nil {
			return err
		}
		if i%3 == 0 && i > 0 {
			s.flaky = append(s.flaky, addr)
		} else {
			s.backends = append(s.backends, addr)
		}
	}

	b.admin = fmt.Sprintf("127.0.0.1:%d", freePort())
	b.port = freePort()
	s.dash = fmt.Sprintf("127.0.0.1:%d", freePort())
	s.data = filepath.Join(b.dir, "data")
	b.caddyfile = filepath.Join(b.dir, "Caddyfile")
	if err := os.WriteFile(b.caddyfile, []byte(s.config(0)), 0o600); err != nil {
		return err
	}
	if err := b.startCaddy(); err != nil {
		return err
	}

	// users: many subjects, each with a token
	for i := range 2000 {
		s.tokens = append(s.tokens, s.token(fmt.Sprintf("user-%d", i), time.Now().Add(48*time.Hour)))
	}
	s.hammerTok = s.token("hammer", time.Now().Add(48*time.Hour))

	// stable services, renewed for the whole run
	for svc := range 4 {
		for i, addr := range s.backends {
			if err := s.register(fmt.Sprintf("stable-%d", svc), fmt.Sprintf("i%d", i), addr, "30s"); err != nil {
				return err
			}
		}
	}
	for i, addr := range s.flaky {
		if err := s.register("flaky", fmt.Sprintf("f%d", i), addr, "30s"); err != nil {
			return err
		}
	}
	// a consumer on the free plan, over its rate all run long
	key, err := s.newConsumer("free-hammer", "free")
	if err != nil {
		return err
	}
	s.freeKey.Store(key)
	for i := range 100 { // as many as consumerChurn keeps: no ramp to warm up
		if _, err := s.addConsumer(i); err != nil {
			return err
		}
	}
	return nil
}

func (s *soak) token(sub string, exp time.Time) string {
	t, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": sub, "iss": "soak", "exp": exp.Unix()}).SignedString([]byte(secret))
	if err != nil {
		log.Fatal(err)
	}
	return t
}

// startRedis starts (or restarts) redis-server on s.redisPort, persistence
// off: a restart loses everything, as a Redis without persistence does.
func (s *soak) startRedis() error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server is not installed (Debian: apt-get install redis-server)")
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(s.redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", "")
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	s.b.procs = append(s.b.procs, cmd)
	s.redisCmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.redisPort)); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("redis-server did not start")
}

// stopRedis stops the running redis-server by its PID, waits for it, and
// takes it off the list stopAll works through (its PID may be reused).
func (s *soak) stopRedis() {
	cmd := s.redisCmd
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	_ = cmd.Wait()
	s.b.procs = slices.DeleteFunc(s.b.procs, func(c *exec.Cmd) bool { return c == cmd })
}

// config is the Caddyfile; variant 0 and 1 alternate on every reload (the
// rates, the transform, the cache's size and a header differ, so the
// modules are provisioned anew rather than kept).
func (s *soak) config(variant int) string {
	b := s.b
	rate, marker, cacheSize := "20/1s", "a", "32MiB"
	if variant%2 == 1 {
		rate, marker = "25/1s", "b" // the same max_size: the stored responses carry over
	}
	r := s.redisURL
	wafLine := "# waf: not built in (-soak-waf=false)"
	if s.opt.waf {
		wafLine = "waf"
	}
	return fmt.Sprintf(`{
	admin %[1]s
	persist_config off
	storage file_system %[2]s
	metrics
	log {
		output file %[10]s {
			roll_size 10MiB
			roll_keep 2
		}
		level ERROR
	}
	service_registry {
		backend redis %[3]s
		default_ttl 30s
		resync_interval 5s
		health_path /healthz
		health_interval 5s
		allow 127.0.0.1/32
	}
	consumers {
		plan free {
			rate 5/1s
			quota 100000000/day
		}
		plan pro {
			rate 1000/1s
			quota 100000000/month
		}
		default_plan free
		backend redis %[3]s
	}
}

http://127.0.0.1:%[4]d {
	route {
		cors {
			origins http://app.example
			methods GET POST PUT DELETE
			headers Authorization Content-Type X-Api-Key
			expose RateLimit Retry-After
		}
		throttle {
			zone per_ip
			rate 1000000/1s
			backend redis %[3]s
		}
		@apikey header X-Api-Key *
		api_key @apikey
		@token not header X-Api-Key *
		jwt_auth @token {
			secret %[5]s
			issuer soak
			require exp
		}
		throttle {
			plan
			backend redis %[3]s
		}
		throttle {
			zone per_user
			key {http.auth.user.id}
			rate %[6]s
			backend redis %[3]s
		}
		%[11]s
		handle {
			vars service {http.request.uri.path.0}
			uri strip_prefix /{vars.service}
			header X-Soak-Config %[7]s
			transform {
				request {
					set caller "{http.auth.user.id}"
				}
				response {
					set gateway "%[7]s"
				}
			}
			response_cache {
				max_size %[8]s
				stale_if_error 5m
				backend redis %[3]s
			}
			circuit_breaker {
				key {vars.service}
			}
			load_shed {
				name soak
				key {vars.service}
				service {vars.service}
			}
			reverse_proxy {
				dynamic registry {vars.service}
				lb_policy round_robin
				lb_try_duration 1s
				fail_duration 5s
				transport http {
					response_header_timeout 10s
				}
			}
		}
	}
}

http://%[9]s {
	gateway_dashboard
}
`, b.admin, s.data, r, b.port, secret, rate, marker, cacheSize, s.dash, filepath.Join(s.opt.out, "caddy.log"), wafLine)
}

// serveSoakBackend serves an upstream on a port of its own: JSON answers,
// /public/... cacheable with a Cache-Tag, /healthz; a failing one answers
// 500 to everything but /healthz.
func serveSoakBackend(failing bool) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/healthz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":"down"}`))
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/public/"); ok {
			n, _ := strconv.Atoi(rest)
			w.Header().Set("Cache-Control", "public, max-age=120")
			w.Header().Set("Cache-Tag", fmt.Sprintf("t%d", n%10))
			fmt.Fprintf(w, `{"item":%d,"text":%q}`, n, strings.Repeat("x", 200+n%800))
			return
		}
		fmt.Fprintf(w, `{"message":"hello","path":%q}`, r.URL.Path)
	})
	go func() { _ = http.Serve(ln, h) }()
	return ln.Addr().String(), nil
}

// admin calls the admin API and returns the status and body.
func (s *soak) admin(method, path, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, "http://"+s.b.admin+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := adminClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

var adminClient = &http.Client{Timeout: 30 * time.Second}

func (s *soak) register(service, id, addr, ttl string) error {
	code, body, err := s.admin("POST", "/registry/services/"+service,
		fmt.Sprintf(`{"id":%q,"address":%q,"ttl":%q}`, id, addr, ttl))
	if err != nil {
		return err
	}
	if code != http.StatusOK && code != http.StatusCreated {
		return fmt.Errorf("registering %s/%s: %d %s", service, id, code, body)
	}
	return nil
}

func (s *soak) newConsumer(id, plan string) (string, error) {
	code, body, err := s.admin("POST", "/consumers/", fmt.Sprintf(`{"id":%q,"plan":%q}`, id, plan))
	if err != nil {
		return "", err
	}
	if code != http.StatusCreated {
		return "", fmt.Errorf("creating consumer %s: %d %s", id, code, body)
	}
	code, body, err = s.admin("POST", "/consumers/"+id+"/keys", `{"name":"soak"}`)
	if err == nil && code != http.StatusCreated {
		err = fmt.Errorf("creating a key for %s: %d %s", id, code, body)
	}
	if err != nil {
		_, _, _ = s.admin("DELETE", "/consumers/"+id, "") // not left behind, keyless, for the run
		return "", err
	}
	var k struct{ Key string }
	if err := json.Unmarshal(body, &k); err != nil || k.Key == "" {
		return "", fmt.Errorf("creating a key for %s: %s", id, body)
	}
	return k.Key, nil
}

// addConsumer makes consumer n, on the pro plan (every third on free).
func (s *soak) addConsumer(n int) (string, error) {
	plan := "pro"
	if n%3 == 0 {
		plan = "free"
	}
	id := fmt.Sprintf("c-%d", n)
	key, err := s.newConsumer(id, plan)
	if err != nil {
		return "", err
	}
	s.consumerMu.Lock()
	s.keys = append(s.keys, consumerKey{id, key})
	s.consumerMu.Unlock()
	return id, nil
}

// every runs f every d until ctx ends, after a first wait of d.
func every(ctx context.Context, d time.Duration, f func(i int)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(i)
		}
	}
}

// registryChurn: stable instances renewed; every 2 s a temporary service
// with two instances comes (ttl 20s); of the older ones, one in two is
// deregistered, the other left to expire; and an instance of a stable
// service is deregistered and registered again.
func (s *soak) registryChurn(ctx context.Context) {
	every(ctx, 2*time.Second, func(i int) {
		if i%5 == 0 { // renew the stable ones every 10 s
			for svc := range 4 {
				for j, addr := range s.backends {
					s.logErr(s.register(fmt.Sprintf("stable-%d", svc), fmt.Sprintf("i%d", j), addr, "30s"))
				}
			}
			for j, addr := range s.flaky {
				s.logErr(s.register("flaky", fmt.Sprintf("f%d", j), addr, "30s"))
			}
		}
		name := fmt.Sprintf("tmp-%d", i)
		for j := range 2 {
			s.logErr(s.register(name, fmt.Sprintf("t%d", j), s.backends[(i+j)%len(s.backends)], "20s"))
		}
		s.tmpMu.Lock()
		s.tmpLive = append(s.tmpLive, name)
		var old string
		if len(s.tmpLive) > 8 {
			old, s.tmpLive = s.tmpLive[0], s.tmpLive[1:]
		}
		s.tmpMu.Unlock()
		if old != "" && i%2 == 0 {
			code, _, err := s.admin("DELETE", "/registry/services/"+old, "")
			if err == nil && code != http.StatusNoContent && code != http.StatusNotFound {
				err = fmt.Errorf("deregistering %s: %d", old, code)
			}
			s.logErr(err)
		}
		// a stable instance leaves and comes back
		svc, j := fmt.Sprintf("stable-%d", i%4), i%len(s.backends)
		if _, _, err := s.admin("DELETE", fmt.Sprintf("/registry/services/%s/i%d", svc, j), ""); err == nil {
			s.logErr(s.register(svc, fmt.Sprintf("i%d", j), s.backends[j], "30s"))
		}
	})
}

// consumerChurn: every second a consumer with a key is made, and the
// oldest deleted once there are 100; every 5 s a consumer gets a second
// key and loses it again.
func (s *soak) consumerChurn(ctx context.Context) {
	n := 100
	every(ctx, time.Second, func(i int) {
		_, err := s.addConsumer(n)
		n++ // a consumer made without its key (Redis failed between) stays; the next has a new id
		if err != nil {
			s.logErr(err)
			return
		}
		s.consumerMu.Lock()
		var old consumerKey
		if len(s.keys) > 100 {
			old, s.keys = s.keys[0], s.keys[1:]
		}
		victim := s.keys[rand.IntN(len(s.keys))]
		s.consumerMu.Unlock()
		if old.id != "" {
			code, _, err := s.admin("DELETE", "/consumers/"+old.id, "")
			if err == nil && code != http.StatusNoContent {
				err = fmt.Errorf("deleting consumer %s: %d", old.id, code)
			}
			s.logErr(err)
		}
		if i%5 == 0 {
			code, body, err := s.admin("POST", "/consumers/"+victim.id+"/keys", `{"name":"second"}`)
			if err != nil || code != http.StatusCreated {
				return // it may just have been deleted
			}
			var k struct{ ID string }
			if json.Unmarshal(body, &k) == nil && k.ID != "" {
				_, _, err := s.admin("DELETE", "/consumers/"+victim.id+"/keys/"+k.ID, "")
				s.logErr(err)
			}
		}
	})
}

// purges: every 10 s one tag, every 30 s one URL, every 60 s everything.
func (s *soak) purges(ctx context.Context) {
	every(ctx, 10*time.Second, func(i int) {
		q := "?tag=t" + strconv.Itoa(i%10)
		switch {
		case i%6 == 5:
			q = ""
		case i%3 == 2:
			q = "?url=" + url.QueryEscape(fmt.Sprintf("http://127.0.0.1:%d/stable-%d/public/%d", s.b.port, i%4, i%300))
		}
		code, body, err := s.admin("DELETE", "/response_cache/"+q, "")
		if err == nil && code >= 300 {
			err = fmt.Errorf("purge %s: %d %s", q, code, body)
		}
		s.logErr(err)
	})
}

// reloads: the two configs alternate, loaded through the admin API.
func (s *soak) reloads(ctx context.Context) {
	every(ctx, s.opt.reloadEvery, func(int) {
		n := int(s.configN.Add(1))
		if err := loadConfig(s.b.admin, s.config(n)); err != nil {
			s.logErr(err)
			return
		}
		s.event(fmt.Sprintf("reload (config %c)", "ab"[n%2]))
	})
}

// redisRestarts stops Redis at a third and at two thirds of the run, for
// a few seconds each time.
func (s *soak) redisRestarts(ctx context.Context) {
	for k := 1; k <= 2; k++ {
		at := s.start.Add(s.opt.duration * time.Duration(k) / 3)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(at)):
		}
		s.stopRedis()
		s.event("Redis stopped")
		select {
		case <-ctx.Done():
		case <-time.After(3 * time.Second):
		}
		if err := s.startRedis(); err != nil {
			s.logErr(err)
			return
		}
		s.event("Redis started again (empty)")
	}
}

func (s *soak) logErr(err error) {
	if err != nil {
		s.errs.Add(1)
		if s.errs.Load() < 50 {
			log.Printf("soak: %v", err)
		}
	}
}

// load sends opt.rps requests a second, spread over 32 clients (each its
// own connection pool; one request in 20 on a new connection), in a mix.
func (s *soak) load(ctx context.Context) {
	const clients = 32
	tick := make(chan struct{}, clients)
	go func() {
		t := time.NewTicker(time.Second / time.Duration(s.opt.rps))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				close(tick)
				return
			case <-t.C:
				select {
				case tick <- struct{}{}:
				default: // every client is busy: the gateway is slow; drop the tick
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 15 * time.Second}
			fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 15 * time.Second}
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			for range tick {
				req := s.request(rng)
				cl := client
				if rng.IntN(20) == 0 {
					cl = fresh
				}
				s.do(cl, req)
			}
		}()
	}
	wg.Wait()
}

// hammer: one JWT user at 40 requests a second against a rate of 20-25,
// and a free-plan consumer at 10 a second against 5: both mostly 429.
func (s *soak) hammer(ctx context.Context) {
	client := &http.Client{Timeout: 15 * time.Second}
	every(ctx, 25*time.Millisecond, func(i int) {
		req, _ := http.NewRequest("GET", s.url("/stable-0/items/1"), nil)
		if i%4 == 0 {
			req.Header.Set("X-Api-Key", s.freeKey.Load().(string))
		} else {
			req.Header.Set("Authorization", "Bearer "+s.hammerTok)
		}
		s.do(client, req)
	})
	client.CloseIdleConnections()
}

func (s *soak) url(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", s.b.port, path) }

// request draws one request of the mix.
func (s *soak) request(rng *rand.Rand) *http.Request {
	svc := fmt.Sprintf("stable-%d", rng.IntN(4))
	tok := "Bearer " + s.tokens[rng.IntN(len(s.tokens))]
	get := func(path string) *http.Request {
		req, _ := http.NewRequest("GET", s.url(path), nil)
		req.Header.Set("Authorization", tok)
		return req
	}
	switch p := rng.IntN(100); {
	case p < 30: // a user's API call
		return get(fmt.Sprintf("/%s/items/%d", svc, rng.IntN(1000)))
	case p < 50: // a shared, cacheable answer (mostly hits)
		return get(fmt.Sprintf("/%s/public/%d", svc, rng.IntN(300)))
	case p < 60: // a consumer's API key
		req, _ := http.NewRequest("GET", s.url(fmt.Sprintf("/%s/items/%d", svc, rng.IntN(1000))), nil)
		s.consumerMu.Lock()
		k := s.keys[rng.IntN(len(s.keys))]
		s.consumerMu.Unlock()
		req.Header.Set("X-Api-Key", k.key)
		return req
	case p < 66: // a JSON POST, transformed on the way
		req, _ := http.NewRequest("POST", s.url("/"+svc+"/orders"), strings.NewReader(`{"order":{"id":"A-1","items":3}}`))
		req.Header.Set("Authorization", tok)
		req.Header.Set("Content-Type", "application/json")
		return req
	case p < 71: // a CORS preflight
		req, _ := http.NewRequest("OPTIONS", s.url("/"+svc+"/items/1"), nil)
		req.Header.Set("Origin", "http://app.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		return req
	case p < 75: // a browser's request
		req := get("/" + svc + "/items/2")
		req.Header.Set("Origin", "http://app.example")
		return req
	case p < 80: // a failing service (its circuit opens and closes)
		return get(fmt.Sprintf("/flaky/x/%d", rng.IntN(10)))
	case p < 86: // a temporary service (there, or just gone)
		s.tmpMu.Lock()
		name := "tmp-0"
		if len(s.tmpLive) > 0 {
			name = s.tmpLive[rng.IntN(len(s.tmpLive))]
		}
		s.tmpMu.Unlock()
		return get("/" + name + "/hello")
	case p < 89: // an attack: the waf refuses it
		return get("/" + svc + "/items?id=1%27%20OR%20%271%27%3D%271")
	case p < 92: // no token
		req, _ := http.NewRequest("GET", s.url("/"+svc+"/items/3"), nil)
		return req
	case p < 95: // a bad token, and an unknown key
		req := get("/" + svc + "/items/4")
		if rng.IntN(2) == 0 {
			req.Header.Set("Authorization", "Bearer "+s.tokens[0][:len(s.tokens[0])-4]+"AAAA")
		} else {
			req.Header.Del("Authorization")
			req.Header.Set("X-Api-Key", fmt.Sprintf("cgw_unknown%d_xxxxxxxxxxxxxxxxxxxx", rng.IntN(1e6)))
		}
		return req
	case p < 96: // a service that never was (held for lb_try_duration)
		return get(fmt.Sprintf("/nosuch-%d/x", rng.IntN(1e6)))
	default: // HEAD of a cached answer
		req := get(fmt.Sprintf("/%s/public/%d", svc, rng.IntN(300)))
		req.Method = "HEAD"
		return req
	}
}

func (s *soak) do(client *http.Client, req *http.Request) {
	resp, err := client.Do(req)
	s.requests.Add(1)
	code := 0
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
	}
	s.statusMu.Lock()
	s.statuses[code]++
	s.statusMu.Unlock()
}

// sampleLoop samples at once and then every interval until ctx ends.
func (s *soak) sampleLoop(ctx context.Context) []soakSample {
	var out []soakSample
	take := func() {
		smp, err := s.sample()
		if err != nil {
			log.Printf("soak: sample: %v", err)
			return
		}
		if n := len(out); n > 0 {
			smp.rpsSeen = float64(smp.reqs-out[n-1].reqs) / (smp.at - out[n-1].at).Seconds()
		}
		out = append(out, smp)
		var sb strings.Builder
		for i, m := range soakMetrics {
			fmt.Fprintf(&sb, " %s=%s", m.name, fmtVal(smp.values[i]))
		}
		log.Printf("soak %6.0fs: %.0f req/s%s", smp.at.Seconds(), smp.rpsSeen, sb.String())
	}
	take()
	every(ctx, s.opt.interval, func(int) { take() })
	return out
}

// sample reads every value once: RSS and fds from /proc, the heap after a
// GC and the goroutines from the admin endpoint's /debug, the series from
// /metrics, the counts from the dashboard's state.json, Redis's own.
func (s *soak) sample() (soakSample, error) {
	smp := soakSample{at: time.Since(s.start), reqs: s.requests.Load()}
	pid := s.b.caddyPID
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return smp, err
	}
	var rss float64
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			rss = kb / 1024
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return smp, err
	}
	// a GC first (the heap profile's gc=1), then the heap in use
	if _, _, err := s.admin("GET", "/debug/pprof/heap?gc=1", ""); err != nil {
		return smp, err
	}
	_, body, err := s.admin("GET", "/debug/vars", "")
	if err != nil {
		return smp, err
	}
	var vars struct{ Memstats struct{ HeapAlloc uint64 } }
	if err := json.Unmarshal(body, &vars); err != nil {
		return smp, fmt.Errorf("/debug/vars: %v", err)
	}
	_, body, err = s.admin("GET", "/debug/pprof/goroutine?debug=1", "")
	if err != nil {
		return smp, err
	}
	var goroutines float64
	if first, _, _ := strings.Cut(string(body), "\n"); strings.HasPrefix(first, "goroutine profile: total ") {
		goroutines, _ = strconv.ParseFloat(strings.TrimPrefix(first, "goroutine profile: total "), 64)
	}
	_, body, err = s.admin("GET", "/metrics", "")
	if err != nil {
		return smp, err
	}
	var series float64
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if len(line) > 0 && line[0] != '#' {
			series++
		}
	}
	resp, err := adminClient.Get("http://" + s.dash + "/state.json")
	if err != nil {
		return smp, err
	}
	var st struct {
		Registry struct{ Instances int }
		Circuits []struct{ Keys map[string]string }
		Throttle struct {
			Zones []struct {
				Keys int `json:"tracked_keys"`
			}
		}
		Cache struct {
			StoredBytes uint64 `json:"stored_bytes"`
			Keys        int
		} `json:"response_cache"`
		Consumers struct{ Total, Keys int }
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		return smp, fmt.Errorf("state.json: %v", err)
	}
	var throttleKeys, circuits int
	for _, z := range st.Throttle.Zones {
		throttleKeys += z.Keys
	}
	for _, c := range st.Circuits {
		circuits += len(c.Keys)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	redisKeys, _ := s.rdb.DBSize(ctx).Result()
	var redisMem float64
	if info, err := s.rdb.InfoMap(ctx, "memory").Result(); err == nil {
		v, _ := strconv.ParseFloat(info["Memory"]["used_memory"], 64)
		redisMem = v / (1 << 20)
	}
	smp.values = []float64{rss, float64(vars.Memstats.HeapAlloc) / (1 << 20), goroutines, float64(len(fds)), series,
		float64(st.Registry.Instances), float64(st.Cache.Keys), float64(st.Cache.StoredBytes) / 1024,
		float64(st.Consumers.Total), float64(st.Consumers.Keys), float64(throttleKeys), float64(circuits),
		float64(redisKeys), redisMem}
	return smp, nil
}

func fmtVal(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var t float64
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// column is metric i's values over samples.
func column(samples []soakSample, i int) []float64 {
	var out []float64
	for _, s := range samples {
		out = append(out, s.values[i])
	}
	return out
}

// report prints the verdicts and the table, writes the CSV and the plot,
// and in CI mode fails on growth (ciVerdict).
func (s *soak) report(samples []soakSample) error {
	if len(samples) < 8 {
		return fmt.Errorf("only %d samples: run longer", len(samples))
	}
	if err := os.WriteFile(filepath.Join(s.opt.out, "soak.csv"), []byte(soakCSV(samples)), 0o644); err != nil {
		return err
	}
	s.eventsMu.Lock()
	events := slices.Clone(s.events)
	s.eventsMu.Unlock()
	svg := soakSVG(samples, events, s.opt.duration)
	if err := os.WriteFile(filepath.Join(s.opt.out, "soak.svg"), []byte(svg), 0o644); err != nil {
		return err
	}
	var sb strings.Builder
	q := len(samples) / 4
	fmt.Fprintf(&sb, "| sample | start | end | 2nd quarter mean | last quarter mean | change | flat (within 10%%) |\n|---|---:|---:|---:|---:|---:|---|\n")
	for i, m := range soakMetrics {
		col := column(samples, i)
		q2, q4 := mean(col[q:2*q]), mean(col[len(col)-q:])
		change := (q4 - q2) / q2 * 100
		if q2 == 0 {
			change = 0
			if q4 != 0 {
				change = math.Inf(1)
			}
		}
		verdict := "flat"
		if math.Abs(change) > 10 {
			verdict = "NOT flat"
			if change < 0 {
				verdict = "NOT flat (fell)"
			}
		}
		name := m.name
		if m.unit != "" {
			name += " (" + m.unit + ")"
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %+.1f%% | %s |\n", name, fmtVal(col[0]), fmtVal(col[len(col)-1]),
			fmtVal(math.Round(q2*10)/10), fmtVal(math.Round(q4*10)/10), change, verdict)
	}
	s.statusMu.Lock()
	codes := make([]int, 0, len(s.statuses))
	for c := range s.statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var cs []string
	for _, c := range codes {
		cs = append(cs, fmt.Sprintf("%d: %d", c, s.statuses[c]))
	}
	s.statusMu.Unlock()
	fmt.Fprintf(&sb, "\n%d requests in %v (%.0f/s; answers by status, 0 = no answer: %s); %d reloads, 2 Redis restarts, %d churn errors; samples every %v; %s.\n",
		s.requests.Load(), s.opt.duration, float64(s.requests.Load())/s.opt.duration.Seconds(), strings.Join(cs, ", "),
		s.configN.Load(), s.errs.Load(), s.opt.interval, machine())
	table := sb.String()
	fmt.Println(table)
	if err := os.WriteFile(filepath.Join(s.opt.out, "soak.md"), []byte(table), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s (soak.csv, soak.svg, soak.md)", s.opt.out)
	if s.opt.ci {
		return ciVerdict(samples)
	}
	return nil
}

// ciBound is how far a sample may rise in the CI run above its
// post-warm-up baseline: a ratio and an absolute slack, whichever is larger.
var ciBound = map[string]struct{ ratio, slack float64 }{
	"rss":           {1.3, 64},   // MiB: the allocator returns memory lazily
	"heap_after_gc": {1.25, 24},  // MiB: an old config (its waf) may still be draining
	"goroutines":    {1.3, 100},  // connections come and go with the load
	"open_fds":      {1.3, 60},   // the same
	"metric_series": {1.2, 100},  // a new label value now and then
	"cache_keys":    {1.5, 1300}, // bounded by the 1,200 URLs, filling at the load's pace
	"consumers":     {1.2, 20},   // about 100, churned
	"consumer_keys": {1.2, 20},   //
	"throttle_keys": {1.5, 500},  // in Redis; local tracking bounded
	"redis_keys":    {1.5, 3000}, // the shared cache (two keys an URL) and quota counts; Redis restarts empty
}

// ciVerdict is the CI rule (docs/soak.md): the baseline of a value is the
// largest it was in the second quarter of the run (after warm-up); the run
// fails when the median of the last quarter is above baseline × ratio +
// slack. A leak per request (thousands over the run) or a large one per
// reload passes that; GC timing, connection churn and the registry's churn
// phase do not.
func ciVerdict(samples []soakSample) error {
	q := len(samples) / 4
	var failed []string
	for i, m := range soakMetrics {
		bound, ok := ciBound[m.name]
		if !ok {
			continue
		}
		col := column(samples, i)
		base := slices.Max(col[q : 2*q])
		last := slices.Clone(col[len(col)-q:])
		slices.Sort(last)
		med := last[len(last)/2]
		limit := max(base*bound.ratio, base+bound.slack)
		if med > limit {
			failed = append(failed, fmt.Sprintf("%s: last quarter's median %s > %s (2nd quarter's max %s)", m.name, fmtVal(med), fmtVal(limit), fmtVal(base)))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("soak: growth that is not warm-up:\n  %s", strings.Join(failed, "\n  "))
	}
	log.Printf("soak: CI rule passed (no value's last-quarter median above its post-warm-up bound)")
	return nil
}

func soakCSV(samples []soakSample) string {
	var sb strings.Builder
	sb.WriteString("seconds,requests_per_second")
	for _, m := range soakMetrics {
		sb.WriteString("," + m.name)
		if m.unit != "" {
			sb.WriteString("_" + strings.ToLower(m.unit))
		}
	}
	sb.WriteString("\n")
	for _, s := range samples {
		fmt.Fprintf(&sb, "%.0f,%.0f", s.at.Seconds(), s.rpsSeen)
		for _, v := range s.values {
			sb.WriteString("," + strconv.FormatFloat(v, 'f', -1, 64))
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// soakSVG draws one small panel per value (y from 0 to its largest), the
// Redis restarts as red lines and the second and last quarters shaded.
func soakSVG(samples []soakSample, events []soakEvent, total time.Duration) string {
	const cols, pw, ph, padX, padY = 3, 300, 130, 50, 40
	rows := (len(soakMetrics) + cols - 1) / cols
	w, h := cols*(pw+padX)+padX, rows*(ph+padY)+padY
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	span := samples[len(samples)-1].at.Seconds()
	if span <= 0 {
		span = total.Seconds()
	}
	q := len(samples) / 4
	for i, m := range soakMetrics {
		x0, y0 := padX+(i%cols)*(pw+padX), padY+(i/cols)*(ph+padY)
		col := column(samples, i)
		top := slices.Max(col) * 1.1
		if top <= 0 {
			top = 1
		}
		xs := func(t time.Duration) float64 { return float64(x0) + t.Seconds()/span*pw }
		ys := func(v float64) float64 { return float64(y0+ph) - v/top*ph }
		// the quarters compared
		for _, r := range [][2]int{{q, 2*q - 1}, {len(samples) - q, len(samples) - 1}} {
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#eef3fb"/>`+"\n", xs(samples[r[0]].at), y0, xs(samples[r[1]].at)-xs(samples[r[0]].at), ph)
		}
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", x0, y0, pw, ph)
		for _, e := range events {
			if strings.HasPrefix(e.what, "Redis stopped") {
				fmt.Fprintf(&sb, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d33" stroke-dasharray="3,2"/>`+"\n", xs(e.at), y0, xs(e.at), y0+ph)
			}
		}
		var pts []string
		for _, s := range samples {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xs(s.at), ys(s.values[soakIndex(m.name)])))
		}
		fmt.Fprintf(&sb, `<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="%s"/>`+"\n", strings.Join(pts, " "))
		title := m.name
		if m.unit != "" {
			title += " (" + m.unit + ")"
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", x0, y0-6, title)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", x0-4, y0+10, fmtVal(math.Round(top)))
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end">0</text>`+"\n", x0-4, y0+ph)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" fill="#666">%.0f min</text>`+"\n", x0+pw, y0+ph+13, span/60)
	}
	fmt.Fprintf(&sb, `<text x="%d" y="%d" fill="#666">shaded: the 2nd and last quarters compared; red dashes: Redis stopped</text>`+"\n", padX, h-8)
	sb.WriteString("</svg>\n")
	return sb.String()
}

func soakIndex(name string) int {
	return slices.IndexFunc(soakMetrics, func(m struct{ name, unit string }) bool { return m.name == name })
}

// soakFlags declares the soak's own flags.
func soakFlags() *soakOptions {
	o := &soakOptions{}
	flag.DurationVar(&o.interval, "soak-interval", 10*time.Second, "with -soak: time between samples")
	flag.DurationVar(&o.reloadEvery, "soak-reload", time.Minute, "with -soak: time between config reloads")
	flag.IntVar(&o.rps, "soak-rps", 200, "with -soak: requests a second of the steady mix")
	flag.StringVar(&o.out, "soak-out", "bench/soak-results", "with -soak: where to write soak.csv, soak.svg and soak.md")
	flag.BoolVar(&o.waf, "soak-waf", true, "with -soak: build Caddy with the waf module and put waf in the stack (-soak-waf=false builds what the e2e tests build, so CI finds it compiled)")
	flag.BoolVar(&o.ci, "ci", false, "with -soak: the CI version: samples every 5s, a reload every 15s, and an exit status of 1 on growth (docs/soak.md)")
	return o
}

// resolve applies -ci's defaults where the flags were not given.
func (o *soakOptions) resolve() soakOptions {
	r := *o
	if r.ci {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["soak-interval"] {
			r.interval = 5 * time.Second
		}
		if !set["soak-reload"] {
			r.reloadEvery = 15 * time.Second
		}
	}
	return r
}
