// Command bench measures what the gateway costs per request, against plain
// Caddy and the backend alone, on loopback.
//
// From the repository root:
//
//	go run ./bench
//
// It builds Caddy with the plugin (xcaddy, as README says), installs wrk from
// Debian's packages when it is missing, starts a small backend (this program
// again, with -serve-backend) and one Caddy, and then, interleaved over
// several rounds, loads each scenario's config into Caddy through its admin
// API and drives it with wrk. For each scenario it reports requests/s, p50 and
// p99 latency, and Caddy's CPU time (user+system, from /proc) per request,
// as medians over the rounds, with the ratio to plain reverse_proxy. The table
// is printed and written to bench/results.md. Every process it starts is
// stopped by its PID; everything listens on 127.0.0.1.
//
// With -coraza-caddy BIN (a Caddy built with github.com/corazawaf/coraza-caddy,
// which you build; nothing of it is in this repository), that Caddy runs as
// a second process beside ours and takes the waf scenarios' GET and POST
// with its coraza_waf and the same CRS, and a side-by-side table of plain
// reverse_proxy, coraza-caddy and ours follows:
//
//	go run ./bench -only waf,POST -coraza-caddy /tmp/caddy-coraza
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const secret = "bench-secret-bench-secret-bench-secret"

func main() {
	serve := flag.String("serve-backend", "", "run as the backend on this address (used by bench itself)")
	extraPorts := flag.String("extra-ports", "", "with -serve-backend: serve on -extra-count more ports and list them in this file (used by bench itself)")
	extraCount := flag.Int("extra-count", 0, "with -extra-ports: how many more ports")
	cacheTests := flag.Bool("cache-tests", false, "run the public HTTP cache test suite (npm package http-cache-tests) through response_cache instead and print its score next to the published ones; writes bench/cache-tests-results.md")
	registryMode := flag.Bool("registry", false, "measure the service registry at scale instead (registrations, renewals, memory, listing, restore, cluster join, request cost by instance count); writes bench/registry-results.md")
	instances := flag.Int("instances", 100000, "with -registry: the registry's size to measure at")
	loadShedMode := flag.Bool("load-shed", false, "measure load_shed instead: goodput and latency against a service of known capacity at 1x, 3x and 10x it, with and without, and fairness (bench/loadshed.go); writes bench/loadshed-results.md and docs/load_shed.svg")
	wafReloadsMode := flag.Bool("waf-reloads", false, "measure the RSS of a Caddy with 10 sites using the waf across 20 config reloads instead (and of the -coraza-caddy build beside it); writes bench/waf-reloads-results.md")
	clusterLimits := flag.Bool("cluster-limits", false, "measure throttle with backend redis instead: mode leased vs exact vs in memory on three gateways sharing one Redis (CPU, req/s, Redis calls per 1000 requests, over-admission at 10x a limit on one key and on 10k keys; bench/clusterlimits.go); writes bench/cluster-limits-results.md")
	rounds := flag.Int("rounds", 5, "rounds over all scenarios (medians are reported)")
	duration := flag.Duration("duration", 8*time.Second, "how long wrk drives each scenario per round")
	warmup := flag.Duration("warmup", 2*time.Second, "load before each measurement, not counted")
	conns := flag.Int("connections", 64, "wrk connections")
	threads := flag.Int("threads", 2, "wrk threads")
	only := flag.String("only", "", "run only the scenarios whose names contain one of these comma-separated words (the baseline always runs)")
	caddyBin := flag.String("caddy", "", "use this Caddy binary instead of building one")
	corazaCaddy := flag.String("coraza-caddy", "", "also measure this Caddy binary, built with github.com/corazawaf/coraza-caddy (xcaddy build --with github.com/corazawaf/coraza-caddy/v2), as a second Caddy process beside ours: its waf (coraza_waf with the same CRS at paranoia 1) on the waf scenarios' GET and POST, and a side-by-side table of the three")
	pin := flag.Bool("pin", runtime.NumCPU() >= 2, "pin Caddy to CPU 0 and wrk and the backend to the other CPUs (taskset), so that Caddy's CPU time is not disturbed by them")
	out := flag.String("out", "", "where to write the table (default bench/results.md, or bench/registry-results.md with -registry)")
	crsTests := flag.String("crs-tests", "", "run the CRS's regression tests instead: this coreruleset checkout's tests/regression/tests (same version as the waf's embedded CRS), with go-ftw against a Caddy with waf, the CRS alone and with the gateway's additions (bench/crstests.go); writes bench/crs-tests-results.md; not in CI")
	ftwBin := flag.String("ftw", "", "with -crs-tests: the go-ftw binary (default: go-ftw on PATH, else go install github.com/coreruleset/go-ftw/v2 into a temporary directory)")
	soakFor := flag.Duration("soak", 0, "run the soak test for this long instead (whole stack, cluster mode, churn, reloads, Redis restarts; see docs/soak.md)")
	soakOpt := soakFlags()
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")

	if *serve != "" {
		serveBackend(*serve, *extraPorts, *extraCount)
		return
	}
	if *out == "" {
		*out = "bench/results.md"
		if *registryMode {
			*out = "bench/registry-results.md"
		}
		if *cacheTests {
			*out = "bench/cache-tests-results.md"
		}
		if *loadShedMode {
			*out = "bench/loadshed-results.md"
		}
		if *wafReloadsMode {
			*out = "bench/waf-reloads-results.md"
		}
		if *clusterLimits {
			*out = "bench/cluster-limits-results.md"
		}
		if *crsTests != "" {
			*out = "bench/crs-tests-results.md"
		}
	}

	b := &bench{rounds: *rounds, duration: *duration, warmup: *warmup, conns: *conns, threads: *threads, pin: *pin, corazaBin: *corazaCaddy}
	var err error
	if b.dir, err = os.MkdirTemp("", "gateway-bench-"); err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(b.dir)

	// stop what was started, by PID, whatever happens
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		b.stopAll()
		os.Exit(1)
	}()
	defer b.stopAll()

	if *soakFor > 0 {
		soakOpt.duration, soakOpt.caddyBin = *soakFor, *caddyBin
		if err := b.soakRun(soakOpt.resolve()); err != nil {
			b.stopAll()
			log.Fatal(err)
		}
		return
	}
	if *registryMode || *cacheTests || *loadShedMode || *wafReloadsMode || *clusterLimits || *crsTests != "" {
		run := func() (string, error) { return b.registryRun(*caddyBin, *instances) }
		if *cacheTests {
			run = func() (string, error) { return b.cacheTestsRun(*caddyBin) }
		}
		if *wafReloadsMode {
			run = func() (string, error) { return b.wafReloadsRun(*caddyBin, wafReloads{sites: 10, reloads: 20}) }
		}
		if *clusterLimits {
			run = func() (string, error) { return b.clusterLimitsRun(*caddyBin) }
		}
		if *crsTests != "" {
			run = func() (string, error) { return b.crsTestsRun(*caddyBin, *crsTests, *ftwBin) }
		}
		if *loadShedMode {
			run = func() (string, error) {
				return b.loadShedRun(*caddyBin, "docs/load_shed.svg", *warmup*5, *duration, *only)
			}
		}
		table, err := run()
		if err != nil {
			b.stopAll()
			log.Fatal(err)
		}
		fmt.Println(table)
		if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote %s", *out)
		return
	}
	if err := b.prepare(*caddyBin); err != nil {
		b.stopAll()
		log.Fatal(err)
	}
	scenarios := b.scenarios()
	if *only != "" {
		words := strings.Split(*only, ",")
		scenarios = slices.DeleteFunc(scenarios, func(s scenario) bool {
			return s.name != baseline && !slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s.name, w) })
		})
	}
	results, err := b.run(scenarios)
	if err != nil {
		b.stopAll()
		log.Fatal(err)
	}
	table := b.table(scenarios, results)
	fmt.Println(table)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote %s", *out)
	}
}

var bigBody = make([]byte, 64<<10)

// serveBackend is the upstream: a small fixed answer, keep-alive.
// With extraPorts, it serves on extraCount more ports of 127.0.0.1 too, the
// system's choice, and lists them in that file: many instances, each at its
// own address.
func serveBackend(addr, extraPorts string, extraCount int) {
	body := []byte(`{"message":"Hello from the Service!"}`)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // a POST's body, read before answering
		switch r.URL.Path {
		case "/cached": // fresh for an hour, for everyone (the requests carry a token)
			w.Header().Set("Cache-Control", "public, max-age=3600")
		case "/stale": // storable, but stale at once: every request refetches and stores
			w.Header().Set("Cache-Control", "public, max-age=0")
		}
		if strings.HasPrefix(r.URL.Path, "/big/") { // 64 KiB, cacheable, one per URL (the cache memory test)
			w.Header().Set("Cache-Control", "public, max-age=3600")
			_, _ = w.Write(bigBody)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	main, err := net.Listen("tcp", addr) // first, so no extra port takes it
	if err != nil {
		log.Fatal(err)
	}
	if extraPorts != "" {
		var ports []string
		for range extraCount {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				log.Fatal(err)
			}
			ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
			go func() { log.Fatal(http.Serve(ln, handler)) }()
		}
		if err := os.WriteFile(extraPorts+".tmp", []byte(strings.Join(ports, "\n")), 0o600); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(extraPorts+".tmp", extraPorts); err != nil {
			log.Fatal(err)
		}
	}
	log.Fatal(http.Serve(main, handler))
}

type bench struct {
	rounds   int
	duration time.Duration
	warmup   time.Duration
	conns    int
	threads  int
	pin      bool

	dir       string
	caddy     string
	wrk       string
	procs     []*exec.Cmd
	caddyPID  int
	admin     string
	port      int // the gateway's HTTP port
	backend   string
	hsToken   string
	rsToken   string
	rsKeyFile string

	globals    string // global options besides admin, storage and log
	extraPorts string // a file the backend lists its extraCount more ports in
	extraCount int
	caddyfile  string // the config Caddy was started with
	unpinned   bool   // start Caddy on every CPU, whatever pin says

	// a second Caddy, built with coraza-caddy (-coraza-caddy), for the
	// scenarios marked coraza
	corazaBin string
	coraza    *otherCaddy
}

// otherCaddy is a second Caddy process, measured the same way as the
// first: its own admin endpoint, port and PID.
type otherCaddy struct {
	admin   string
	port    int
	pid     int
	globals string
	data    string
}

type scenario struct {
	name   string
	direct bool   // wrk against the backend itself
	site   string // the site block's body
	header string // Authorization header, if any
	path   string
	body   string // a JSON body to POST (GET when empty)
	coraza bool   // on the second Caddy, the coraza-caddy build
	// distinct: each request's query gets &n=<thread>-<count>, so no two
	// are the same (the waf's verdict cache remembers a request let
	// through; these measure the engine on every request)
	distinct bool
}

type sample struct {
	rps        float64
	p50, p99   time.Duration
	cpuPerReq  time.Duration
	requests   int64
	non2xx     int64
	socketErrs string
}

func (b *bench) prepare(caddyBin string) error {
	var err error
	if b.wrk, err = ensureWrk(); err != nil {
		return err
	}
	if err := b.buildCaddy(caddyBin, true); err != nil {
		return err
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	b.backend = fmt.Sprintf("127.0.0.1:%d", freePort())
	backendArgs := []string{"-serve-backend", b.backend}
	if b.extraPorts != "" {
		backendArgs = append(backendArgs, "-extra-ports", b.extraPorts, "-extra-count", strconv.Itoa(b.extraCount))
	}
	if err := b.start(b.pinned(others, self, backendArgs...)...); err != nil {
		return err
	}
	if err := waitHTTP("http://" + b.backend + "/"); err != nil {
		return fmt.Errorf("backend: %v", err)
	}

	b.admin = fmt.Sprintf("127.0.0.1:%d", freePort())
	b.port = freePort()
	b.caddyfile = filepath.Join(b.dir, "Caddyfile")
	if err := os.WriteFile(b.caddyfile, []byte(b.config("respond ok")), 0o600); err != nil {
		return err
	}
	if err := b.startCaddy(); err != nil {
		return err
	}
	if b.corazaBin != "" {
		if err := b.startCorazaCaddy(); err != nil {
			return err
		}
	}

	// the registered instance, and the tokens
	resp, err := http.Post("http://"+b.admin+"/registry/services/bench", "application/json",
		strings.NewReader(fmt.Sprintf(`{"address": %q}`, b.backend)))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("registering the backend: %s", resp.Status)
	}
	claims := jwt.MapClaims{"sub": "bench-user", "iss": "bench", "exp": time.Now().Add(24 * time.Hour).Unix()}
	if b.hsToken, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret)); err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	if b.rsToken, err = jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key); err != nil {
		return err
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	b.rsKeyFile = filepath.Join(b.dir, "rsa.pem")
	return os.WriteFile(b.rsKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
}

// orderJSON is a 2 KB JSON body of an API: a few fields and one long text,
// the waf benchmark's body.
var orderJSON = `{"order": {"id": "A-1042", "customer": "Jane Doe", "email": "jane@example.com", "note": "` +
	strings.Repeat("Please deliver after five. ", 70) + `", "items": 3, "total": 37.5}}`

// transport is the same for every proxying scenario: Caddy keeps 32 idle
// connections per upstream by default, fewer than wrk's 64 connections, so
// it would keep opening new ones; README recommends raising it.
const transport = `
		transport http {
			keepalive_idle_conns_per_host 128
		}`

// scenarios are the rows of the table. Every request through Caddy carries
// the same kind of bearer token (HS256, or RS256 for the RS256 rows), also
// where nothing checks it, so that each row differs from the one before only
// in what Caddy does.
func (b *bench) scenarios() []scenario {
	hs := "Bearer " + b.hsToken
	rs := "Bearer " + b.rsToken
	jwtHS := "jwt_auth {\n\t\tsecret " + secret + "\n\t\tissuer bench\n\t}"
	jwtRS := func(cache string) string {
		return "jwt_auth {\n\t\tpublic_key " + b.rsKeyFile + "\n\t\tissuer bench\n\t\tcache_size " + cache + "\n\t}"
	}
	registry := "reverse_proxy {\n\t\tdynamic registry bench" + transport + "\n\t}"
	// a rate nothing in the run comes near, so every request is counted and passes
	perIP := "throttle {\n\t\tzone per_ip\n\t\trate 1000000000/1s\n\t}"
	perUser := "throttle {\n\t\tzone per_user\n\t\tkey {http.auth.user.id}\n\t\trate 1000000000/1s\n\t}"
	byName := "reverse_proxy {\n\t\tdynamic registry {http.request.uri.path.0}" + transport + "\n\t}"
	indent := func(s string) string { return strings.ReplaceAll(s, "\n", "\n\t") }
	plain := "reverse_proxy " + b.backend + " {" + transport + "\n\t}"
	cached := "response_cache\n\t" + plain
	list := []scenario{
		{name: "direct backend", direct: true, path: "/"},
		{name: "reverse_proxy, default keep-alive", site: "reverse_proxy " + b.backend, header: hs, path: "/"},
		{name: baseline, site: "reverse_proxy " + b.backend + " {" + transport + "\n\t}", header: hs, path: "/"},
		{name: "dynamic registry", site: registry, header: hs, path: "/"},
		{name: "+ jwt_auth HS256", site: jwtHS + "\n\t" + registry, header: hs, path: "/"},
		{name: "+ jwt_auth RS256 (cache)", site: jwtRS("10000") + "\n\t" + registry, header: rs, path: "/"},
		{name: "+ jwt_auth RS256 (no cache)", site: jwtRS("off") + "\n\t" + registry, header: rs, path: "/"},
		{name: "+ throttle", site: perIP + "\n\t" + registry, header: hs, path: "/"},
		// jwt_auth, both throttle blocks and the registry routing by the
		// first path segment, in the plugin's directive order
		{name: "whole stack", site: perIP + "\n\t" + jwtHS + "\n\t" + perUser + "\n\t" + byName, header: hs, path: "/bench/"},
		// the same in a route, as Caddyfile.example writes it (route keeps
		// the written order; Caddy builds the route's chain per request)
		{name: "whole stack in a route", site: "route {\n\t\t" + indent(perIP+"\n\t"+jwtHS+"\n\t"+perUser+"\n\t"+byName) + "\n\t}",
			header: hs, path: "/bench/"},
		// response_cache before the baseline's reverse_proxy: a hit never
		// reaches the backend; a refetch (max-age=0) goes upstream and
		// stores every time; an answer it cannot store passes through
		{name: "response_cache hit", site: cached, header: hs, path: "/cached"},
		{name: "response_cache refetch + store", site: cached, header: hs, path: "/stale"},
		{name: "response_cache not storable", site: cached, header: hs, path: "/"},
		// the waf module (OWASP CRS on Coraza) at paranoia 1, before the
		// baseline's reverse_proxy: a small GET, and a POST of a 2 KB JSON
		// body next to the same POST through plain reverse_proxy
		{name: "waf GET", site: "waf\n\t" + plain, header: hs, path: "/api/items?page=2&sort=name"},
		{name: "waf GET, each distinct", site: "waf\n\t" + plain, header: hs, path: "/api/items?page=2&sort=name", distinct: true},
		{name: "reverse_proxy POST 2 KB JSON", site: plain, header: hs, path: "/api/orders", body: orderJSON},
		{name: "waf POST 2 KB JSON", site: "waf\n\t" + plain, header: hs, path: "/api/orders", body: orderJSON},
	}
	if b.corazaBin != "" {
		// the same two requests through coraza-caddy (a second Caddy
		// process, measured by its own CPU time), the same CRS and paranoia
		list = append(list,
			scenario{name: "coraza-caddy waf GET", site: corazaWAF + "\n\t" + plain, header: hs, path: "/api/items?page=2&sort=name", coraza: true},
			scenario{name: "coraza-caddy waf GET, each distinct", site: corazaWAF + "\n\t" + plain, header: hs, path: "/api/items?page=2&sort=name", coraza: true, distinct: true},
			scenario{name: "coraza-caddy waf POST 2 KB JSON", site: corazaWAF + "\n\t" + plain, header: hs, path: "/api/orders", body: orderJSON, coraza: true})
	}
	return list
}

// startCaddy starts Caddy with b.caddyfile, on CPU 0 when pinning (unless
// unpinned is set), and waits for its admin endpoint.
func (b *bench) startCaddy() error {
	argv := b.pinned("0", b.caddy, "run", "--config", b.caddyfile, "--adapter", "caddyfile")
	if b.unpinned {
		argv = []string{b.caddy, "run", "--config", b.caddyfile, "--adapter", "caddyfile"}
	}
	if err := b.start(argv...); err != nil {
		return err
	}
	b.caddyPID = b.procs[len(b.procs)-1].Process.Pid
	if err := waitHTTP("http://" + b.admin + "/config/"); err != nil {
		return fmt.Errorf("caddy: %v", err)
	}
	return nil
}

// startCorazaCaddy starts the coraza-caddy build beside ours, pinned like
// it (the two never take load at the same time), and waits for its admin
// endpoint.
func (b *bench) startCorazaCaddy() error {
	c := &otherCaddy{admin: fmt.Sprintf("127.0.0.1:%d", freePort()), port: freePort(),
		// coraza-caddy's README: its handler must be ordered explicitly
		globals: "order coraza_waf first", data: filepath.Join(b.dir, "data-coraza")}
	file := filepath.Join(b.dir, "Caddyfile.coraza")
	if err := os.WriteFile(file, []byte(configFor(c.admin, c.port, c.data, c.globals, "respond ok")), 0o600); err != nil {
		return err
	}
	argv := b.pinned("0", b.corazaBin, "run", "--config", file, "--adapter", "caddyfile")
	if err := b.start(argv...); err != nil {
		return err
	}
	c.pid = b.procs[len(b.procs)-1].Process.Pid
	if err := waitHTTP("http://" + c.admin + "/config/"); err != nil {
		return fmt.Errorf("coraza-caddy: %v", err)
	}
	b.coraza = c
	return nil
}

// corazaWAF is coraza-caddy's handler as its README configures the OWASP
// CRS (coraza-coreruleset's embedded copy, the version its go.mod
// requires: v4.25.0 as ours), at the CRS's default paranoia level, 1.
const corazaWAF = `coraza_waf {
		load_owasp_crs
		directives ` + "`" + `
			Include @coraza.conf-recommended
			Include @crs-setup.conf.example
			Include @owasp_crs/*.conf
			SecRuleEngine On
		` + "`" + `
	}`

// config is a whole Caddyfile around a site body.
func (b *bench) config(site string) string {
	return configFor(b.admin, b.port, filepath.Join(b.dir, "data"), b.globals, site)
}

// configFor is a whole Caddyfile for a Caddy with this admin endpoint,
// port, storage and global options.
func configFor(admin string, port int, data, globals, site string) string {
	return fmt.Sprintf(`{
	admin %s
	persist_config off
	storage file_system %s
	log {
		level ERROR
	}
	%s
}

http://127.0.0.1:%d {
	%s
}
`, admin, data, strings.ReplaceAll(globals, "\n", "\n\t"), port, site)
}

func (b *bench) load(site string) error {
	return loadConfig(b.admin, b.config(site))
}

func loadConfig(admin, config string) error {
	resp, err := http.Post("http://"+admin+"/load", "text/caddyfile", strings.NewReader(config))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("loading config: %s: %s\n%s", resp.Status, body, config)
	}
	return nil
}

func (b *bench) run(scenarios []scenario) (map[string][]sample, error) {
	results := map[string][]sample{}
	for round := 1; round <= b.rounds; round++ {
		for _, s := range scenarios {
			target := fmt.Sprintf("http://127.0.0.1:%d%s", b.port, s.path)
			pid := b.caddyPID
			if s.direct {
				target = "http://" + b.backend + s.path
			} else if s.coraza {
				c := b.coraza
				target = fmt.Sprintf("http://127.0.0.1:%d%s", c.port, s.path)
				pid = c.pid
				if err := loadConfig(c.admin, configFor(c.admin, c.port, c.data, c.globals, s.site)); err != nil {
					return nil, err
				}
			} else if err := b.load(s.site); err != nil {
				return nil, err
			}
			if _, err := b.wrkRun(target, s.header, s.body, s.distinct, b.warmup); err != nil {
				return nil, err
			}
			before, err := cpuTime(pid)
			if err != nil {
				return nil, err
			}
			smp, err := b.wrkRun(target, s.header, s.body, s.distinct, b.duration)
			if err != nil {
				return nil, err
			}
			after, err := cpuTime(pid)
			if err != nil {
				return nil, err
			}
			if !s.direct && smp.requests > 0 {
				smp.cpuPerReq = (after - before) / time.Duration(smp.requests)
			}
			if smp.non2xx > 0 {
				return nil, fmt.Errorf("%s: %d answers were not 2xx; the scenario is broken", s.name, smp.non2xx)
			}
			log.Printf("round %d/%d %-34s %9.0f req/s  p50 %-9v p99 %-9v caddy CPU/req %v", round, b.rounds, s.name,
				smp.rps, smp.p50, smp.p99, smp.cpuPerReq)
			results[s.name] = append(results[s.name], smp)
		}
	}
	return results, nil
}

var (
	reqRE     = regexp.MustCompile(`(\d+) requests in`)
	rpsRE     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	pctRE     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)`)
	non2xxRE  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	sockErrRE = regexp.MustCompile(`Socket errors:.*`)
)

// distinctLua makes each request's query unique: &n=<thread>-<count>.
const distinctLua = `local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local count = 0
function request()
  count = count + 1
  return wrk.format(nil, wrk.path .. "&n=" .. tid .. "-" .. count)
end
`

func (b *bench) wrkRun(target, header, body string, distinct bool, d time.Duration) (sample, error) {
	args := []string{"-t", strconv.Itoa(b.threads), "-c", strconv.Itoa(b.conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency"}
	if header != "" {
		args = append(args, "-H", "Authorization: "+header)
	}
	if body != "" {
		script := filepath.Join(b.dir, "post.lua")
		lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", body)
		if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
			return sample{}, err
		}
		args = append(args, "-s", script)
	} else if distinct {
		script := filepath.Join(b.dir, "distinct.lua")
		if err := os.WriteFile(script, []byte(distinctLua), 0o600); err != nil {
			return sample{}, err
		}
		args = append(args, "-s", script)
	}
	cmd := b.pinned(others, b.wrk, append(args, target)...)
	out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
	if err != nil {
		return sample{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	text := string(out)
	var s sample
	if m := reqRE.FindStringSubmatch(text); m != nil {
		s.requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := rpsRE.FindStringSubmatch(text); m != nil {
		s.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	for _, m := range pctRE.FindAllStringSubmatch(text, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		if m[1] == "50" {
			s.p50 = time.Duration(v * float64(unit))
		} else {
			s.p99 = time.Duration(v * float64(unit))
		}
	}
	if m := non2xxRE.FindStringSubmatch(text); m != nil {
		s.non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	s.socketErrs = sockErrRE.FindString(text)
	if s.requests == 0 || s.rps == 0 {
		return s, fmt.Errorf("could not read wrk's output:\n%s", text)
	}
	return s, nil
}

// cpuTime is a process's user+system CPU time, from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// the command name (field 2) may hold spaces; count from after its ')'
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// baseline is the scenario the ratios compare with.
const baseline = "reverse_proxy (static upstream)"

// table reports medians over the rounds. The ratios are medians of per-round
// ratios: each scenario against the baseline measured in the same round, so
// that drift between rounds (a shared, noisy machine) cancels out.
func (b *bench) table(scenarios []scenario, results map[string][]sample) string {
	base := results[baseline]
	var sb strings.Builder
	fmt.Fprintf(&sb, "| scenario | requests/s | p50 | p99 | Caddy CPU per request | CPU vs reverse_proxy | req/s vs reverse_proxy |\n")
	fmt.Fprintf(&sb, "|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range scenarios {
		var rps, cpuRatio, rpsRatio []float64
		var p50, p99, cpu []time.Duration
		for i, smp := range results[s.name] {
			rps = append(rps, smp.rps)
			p50 = append(p50, smp.p50)
			p99 = append(p99, smp.p99)
			cpu = append(cpu, smp.cpuPerReq)
			if i < len(base) {
				rpsRatio = append(rpsRatio, smp.rps/base[i].rps)
				if base[i].cpuPerReq > 0 {
					cpuRatio = append(cpuRatio, float64(smp.cpuPerReq)/float64(base[i].cpuPerReq))
				}
			}
		}
		if len(rps) == 0 {
			continue
		}
		cpuCell, cpuRatioCell, rpsRatioCell := "—", "—", "—"
		if !s.direct {
			cpuCell = fmt.Sprintf("%.1f µs", float64(median(cpu))/float64(time.Microsecond))
			if len(cpuRatio) > 0 {
				pct := math.Round((median(cpuRatio) - 1) * 100)
				if pct == 0 {
					pct = 0 // not -0
				}
				cpuRatioCell = fmt.Sprintf("%+.0f%%", pct)
			}
		}
		if len(rpsRatio) > 0 {
			rpsRatioCell = fmt.Sprintf("%.2f×", median(rpsRatio))
		}
		fmt.Fprintf(&sb, "| %s | %.0f | %s | %s | %s | %s | %s |\n", s.name, median(rps), fmtDur(median(p50)), fmtDur(median(p99)),
			cpuCell, cpuRatioCell, rpsRatioCell)
	}
	sb.WriteString(sideBySide(results))
	placement := "wrk, Caddy and the backend sharing all CPUs"
	if b.pin {
		placement = "Caddy pinned to CPU 0, wrk and the backend to CPUs " + others
	}
	fmt.Fprintf(&sb, "\nMedians of %d interleaved rounds of %v each (after %v of warm-up); the ratios are medians of per-round ratios to %q. "+
		"wrk -t%d -c%d, plain HTTP on loopback, %s; %s.\n",
		b.rounds, b.duration, b.warmup, baseline, b.threads, b.conns, placement, machine())
	return sb.String()
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*:\s*(.+)`).FindSubmatch(data); m != nil {
			model = strings.TrimSpace(string(m[1]))
		}
	}
	return fmt.Sprintf("%s, %d cores, %s", model, runtime.NumCPU(), runtime.Version())
}

// others is the CPU list for everything but Caddy when pinning.
var others = fmt.Sprintf("1-%d", runtime.NumCPU()-1)

// pinned prefixes a command with taskset when pinning is on.
func (b *bench) pinned(cpus, name string, args ...string) []string {
	if !b.pin {
		return append([]string{name}, args...)
	}
	return append([]string{"taskset", "-c", cpus, name}, args...)
}

func (b *bench) start(argv ...string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	b.procs = append(b.procs, cmd)
	return nil
}

// stopAll stops every process bench started, by PID.
func (b *bench) stopAll() {
	for _, p := range b.procs {
		if p.Process != nil {
			_ = syscall.Kill(p.Process.Pid, syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(p.Process.Pid, syscall.SIGKILL)
			}
		}
	}
	b.procs = nil
}

func ensureWrk() (string, error) {
	if p, err := exec.LookPath("wrk"); err == nil {
		return p, nil
	}
	log.Printf("installing wrk from Debian's packages...")
	sudo := []string{}
	if os.Geteuid() != 0 {
		sudo = []string{"sudo"}
	}
	for _, args := range [][]string{{"apt-get", "update", "-qq"}, {"apt-get", "install", "-y", "-qq", "wrk"}} {
		cmd := exec.Command(append(sudo, args...)[0], append(sudo, args...)[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("installing wrk: %v\n%s", err, out)
		}
	}
	return exec.LookPath("wrk")
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitHTTP(url string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer", url)
}

// sideBySide is the waf against coraza-caddy and plain reverse_proxy, when
// all three ran: Caddy CPU per request (medians), and the ratios as medians
// of per-round ratios (each taken within one round).
func sideBySide(results map[string][]sample) string {
	rows := []struct{ name, plain, coraza, ours string }{
		{"small GET (`/api/items?page=2&sort=name`), the same again", baseline, "coraza-caddy waf GET", "waf GET"},
		{"small GET, each distinct (`&n=<count>` added)", baseline, "coraza-caddy waf GET, each distinct", "waf GET, each distinct"},
		{"POST of a 2 KB JSON body", "reverse_proxy POST 2 KB JSON", "coraza-caddy waf POST 2 KB JSON", "waf POST 2 KB JSON"},
	}
	us := func(smps []sample) string {
		var cpu []time.Duration
		for _, s := range smps {
			cpu = append(cpu, s.cpuPerReq)
		}
		return fmt.Sprintf("%.0f µs", float64(median(cpu))/float64(time.Microsecond))
	}
	ratio := func(a, b []sample) string {
		var r []float64
		for i := range min(len(a), len(b)) {
			if b[i].cpuPerReq > 0 {
				r = append(r, float64(a[i].cpuPerReq)/float64(b[i].cpuPerReq))
			}
		}
		if len(r) == 0 {
			return "—"
		}
		return fmt.Sprintf("%.2f×", median(r))
	}
	var sb strings.Builder
	for _, row := range rows {
		p, c, o := results[row.plain], results[row.coraza], results[row.ours]
		if len(p) == 0 || len(c) == 0 || len(o) == 0 {
			continue
		}
		if sb.Len() == 0 {
			sb.WriteString("\nSide by side, Caddy CPU per request:\n\n")
			sb.WriteString("| request | plain `reverse_proxy` | coraza-caddy | ours (`waf`) | ours ÷ coraza-caddy | ours ÷ plain | coraza-caddy ÷ plain |\n")
			sb.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s | %s |\n", row.name, us(p), us(c), us(o), ratio(o, c), ratio(o, p), ratio(c, p))
	}
	return sb.String()
}

// buildCaddy sets the Caddy the bench runs: bin when given, else one built
// here with xcaddy from this repository (with the waf module when waf).
func (b *bench) buildCaddy(bin string, waf bool) error {
	b.caddy = bin
	if b.caddy != "" {
		return nil
	}
	b.caddy = filepath.Join(b.dir, "caddy")
	repo, _ := os.Getwd()
	// xcaddy is a tool of the e2e/ module (e2e/go.mod), kept out of the
	// module users import; -C runs it there, and every path is absolute
	args := []string{"-C", filepath.Join(repo, "e2e"), "tool", "xcaddy", "build", "v2.11.9", "--with", "github.com/caddygateway/caddy-gateway@v0.0.0=" + repo}
	if waf {
		args = append(args, "--with", "github.com/caddygateway/caddy-gateway/waf@v0.0.0="+filepath.Join(repo, "waf"))
	}
	log.Printf("building Caddy with the plugin (waf: %v) (xcaddy)...", waf)
	if out, err := exec.Command("go", append(args, "--output", b.caddy)...).CombinedOutput(); err != nil {
		return fmt.Errorf("xcaddy build: %v\n%s", err, out)
	}
	return nil
}
