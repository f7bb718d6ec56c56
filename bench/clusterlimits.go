package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// -cluster-limits: throttle with backend redis in mode leased against mode
// exact and the in-memory throttle, on three gateways (Caddy processes)
// sharing one Redis on loopback: CPU per request and requests/s under wrk
// on one hot key, Redis calls per 1000 requests, and the over-admission of
// the three gateways at 10x a limit, on one key and on 10k keys, against
// the bound docs/cluster.md states.

const clusterGateways = 3

type clusterGateway struct {
	admin string
	port  int
	pid   int
	data  string
}

func (b *bench) clusterLimitsRun(caddyBin string) (string, error) {
	var err error
	if b.wrk, err = ensureWrk(); err != nil {
		return "", err
	}
	if err := b.buildCaddy(caddyBin, false); err != nil {
		return "", err
	}
	redisPort := freePort()
	if err := b.start("redis-server", "--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"); err != nil {
		return "", fmt.Errorf("redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", redisPort)})
	defer rdb.Close()
	for i := 0; rdb.Ping(context.Background()).Err() != nil; i++ {
		if i > 100 {
			return "", fmt.Errorf("redis-server did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", redisPort)

	var gws []clusterGateway
	for i := range clusterGateways {
		g := clusterGateway{admin: fmt.Sprintf("127.0.0.1:%d", freePort()), port: freePort(), data: filepath.Join(b.dir, fmt.Sprintf("data%d", i))}
		cfg := filepath.Join(b.dir, fmt.Sprintf("gw%d.caddyfile", i))
		if err := writeFile(cfg, configFor(g.admin, g.port, g.data, "", `respond "ok"`)); err != nil {
			return "", err
		}
		if err := b.start(b.caddy, "run", "--config", cfg, "--adapter", "caddyfile"); err != nil {
			return "", err
		}
		g.pid = b.procs[len(b.procs)-1].Process.Pid
		if err := waitHTTP("http://" + g.admin + "/config/"); err != nil {
			return "", err
		}
		gws = append(gws, g)
	}
	load := func(site string) error {
		for _, g := range gws {
			if err := loadConfig(g.admin, configFor(g.admin, g.port, g.data, "", site)); err != nil {
				return err
			}
		}
		return nil
	}
	throttle := func(rate, key, backend string) string {
		return fmt.Sprintf("throttle {\n\t\tzone bench\n\t\tkey %s\n\t\trate %s\n\t\t%s\n\t}\n\trespond \"ok\"", key, rate, backend)
	}
	leased := "backend redis " + redisURL + "\n\t\tmode leased"
	exact := "backend redis " + redisURL + "\n\t\tmode exact"

	// 1. throughput on one hot key, everything admitted
	type tp struct{ name, site string }
	runs := []tp{
		{"respond only (no throttle)", `respond "ok"`},
		{"throttle in memory", throttle("1000000/1s", "hot", "")},
		{"throttle, backend redis, mode leased", throttle("1000000/1s", "hot", leased)},
		{"throttle, backend redis, mode exact", throttle("1000000/1s", "hot", exact)},
	}
	type agg struct{ rps, cpu, calls []float64 }
	res := map[string]*agg{}
	for round := 1; round <= b.rounds; round++ {
		for _, r := range runs {
			if err := load(r.site); err != nil {
				return "", err
			}
			if _, _, err := b.clusterWrk(gws, b.warmup); err != nil {
				return "", err
			}
			calls0 := scriptCalls(rdb)
			var cpu0 time.Duration
			for _, g := range gws {
				c, _ := cpuTime(g.pid)
				cpu0 += c
			}
			reqs, rps, err := b.clusterWrk(gws, b.duration)
			if err != nil {
				return "", err
			}
			var cpu1 time.Duration
			for _, g := range gws {
				c, _ := cpuTime(g.pid)
				cpu1 += c
			}
			calls := scriptCalls(rdb) - calls0
			a := res[r.name]
			if a == nil {
				a = &agg{}
				res[r.name] = a
			}
			a.rps = append(a.rps, rps)
			a.cpu = append(a.cpu, float64(cpu1-cpu0)/float64(reqs))
			a.calls = append(a.calls, float64(calls)*1000/float64(reqs))
			log.Printf("round %d/%d %-40s %8.0f req/s  CPU/req %v  Redis calls/1000 req %.2f", round, b.rounds, r.name, rps,
				time.Duration(float64(cpu1-cpu0)/float64(reqs)), float64(calls)*1000/float64(reqs))
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Three gateways (Caddy processes) on one Redis, all on loopback; wrk -t1 -c%d against each gateway at once, one hot key, every request admitted (rate 1000000/1s); medians of %d rounds of %v; %s.\n\n",
		max(1, b.conns/clusterGateways), b.rounds, b.duration, machine())
	sb.WriteString("| scenario | requests/s (3 gateways) | Caddy CPU per request | CPU vs in-memory | req/s vs in-memory | Redis calls per 1000 requests |\n|---|---|---|---|---|---|\n")
	mem := res["throttle in memory"]
	for _, r := range runs {
		a := res[r.name]
		fmt.Fprintf(&sb, "| %s | %.0f | %.1f µs | %.2fx | %.2fx | %.2f |\n", r.name, median(a.rps), median(a.cpu)/1000,
			median(a.cpu)/median(mem.cpu), median(a.rps)/median(mem.rps), median(a.calls))
	}

	// 2. over-admission at 10x a limit, one key
	sb.WriteString("\nOver-admission: the three gateways together, driven at about 10x the limit (`on_error deny`, so that a Redis call that times out on a loaded machine refuses rather than admits; those 503s are counted); the bound is the exact limit (burst + rate × time) plus min(3 × share, rate × 1s) + 1 per key (docs/cluster.md).\n\n")
	sb.WriteString("| case | mode | offered | offered / limit | admitted | exact limit | bound | over the exact limit | 503 (Redis timeouts) | Redis calls per 1000 requests |\n|---|---|---|---|---|---|---|---|---|---|\n")
	urls := make([]string, len(gws))
	for i, g := range gws {
		urls[i] = fmt.Sprintf("http://127.0.0.1:%d/", g.port)
	}
	for _, mode := range []string{"leased", "exact"} {
		_ = rdb.FlushAll(context.Background()).Err()
		backend := "backend redis " + redisURL + "\n\t\tmode " + mode + "\n\t\ton_error deny"
		if err := load(throttle("200/1s", "{http.request.header.X-Key}", backend)); err != nil {
			return "", err
		}
		const rate, share = 200, 10 // share: the burst of 200 / 20
		calls0 := scriptCalls(rdb)
		admitted, sent, span := paced(urls, 2000, 5*time.Second, func(int64) string { return "hot" })
		unavailable := admitted[unavailableKey]
		calls := scriptCalls(rdb) - calls0
		limit := int64(rate) + int64(rate*span.Seconds())
		bound := limit + min(clusterGateways*share, rate) + 1
		got := int64(admitted["hot"])
		fmt.Fprintf(&sb, "| one key, rate 200/1s, %.1fs | %s | %d | %.1fx | %d | %d | %d | %+d | %d | %.0f |\n", span.Seconds(), mode, sent,
			float64(sent)/float64(limit), got, limit, bound, got-limit, unavailable, float64(calls)*1000/float64(sent))
		log.Printf("one key, mode %s: sent %d, admitted %d, limit %d, bound %d", mode, sent, got, limit, bound)
	}

	// 3. 10k distinct keys, each at 10x its limit (a burst of 1 per hour)
	for _, mode := range []string{"leased", "exact"} {
		_ = rdb.FlushAll(context.Background()).Err()
		backend := "backend redis " + redisURL + "\n\t\tmode " + mode + "\n\t\ton_error deny"
		if err := load(throttle("1/1h", "{http.request.header.X-Key}", backend)); err != nil {
			return "", err
		}
		const keys, perKey = 10000, 10
		calls0 := scriptCalls(rdb)
		admitted, sent, span := paced(urls, 0, keys*perKey, func(n int64) string { return "k" + strconv.FormatInt(n%keys, 10) })
		calls := scriptCalls(rdb) - calls0
		total, worst := 0, 0
		unavailable := admitted[unavailableKey]
		delete(admitted, unavailableKey)
		for _, n := range admitted {
			total += n
			worst = max(worst, n)
		}
		// per key: limit 1 (the burst; no refill within the run), bound 2
		fmt.Fprintf(&sb, "| 10k keys, rate 1/1h each, %.1fs | %s | %d | %dx | %d (at most %d per key) | %d | %d | %+d | %d | %.0f |\n", span.Seconds(), mode, sent,
			perKey, total, worst, keys, 2*keys, total-keys, unavailable, float64(calls)*1000/float64(sent))
		log.Printf("10k keys, mode %s: sent %d, admitted %d (max %d per key)", mode, sent, total, worst)
	}
	return sb.String(), nil
}

// clusterWrk runs one wrk per gateway at once for d and returns the
// requests and requests/s of all.
func (b *bench) clusterWrk(gws []clusterGateway, d time.Duration) (int64, float64, error) {
	type out struct {
		s   sample
		err error
	}
	ch := make(chan out, len(gws))
	for _, g := range gws {
		go func() {
			args := []string{"-t", "1", "-c", strconv.Itoa(max(1, b.conns/len(gws))), "-d", fmt.Sprintf("%ds", int(d.Seconds())),
				"-H", "X-Key: hot", fmt.Sprintf("http://127.0.0.1:%d/", g.port)}
			o, err := exec.Command(b.wrk, args...).CombinedOutput()
			if err != nil {
				ch <- out{err: fmt.Errorf("wrk: %v\n%s", err, o)}
				return
			}
			var s sample
			if m := reqRE.FindStringSubmatch(string(o)); m != nil {
				s.requests, _ = strconv.ParseInt(m[1], 10, 64)
			}
			if m := rpsRE.FindStringSubmatch(string(o)); m != nil {
				s.rps, _ = strconv.ParseFloat(m[1], 64)
			}
			if m := non2xxRE.FindStringSubmatch(string(o)); m != nil {
				ch <- out{err: fmt.Errorf("wrk: %s answers not 2xx", m[1])}
				return
			}
			ch <- out{s: s}
		}()
	}
	var reqs int64
	var rps float64
	var firstErr error
	for range gws {
		o := <-ch
		if o.err != nil && firstErr == nil {
			firstErr = o.err
		}
		reqs += o.s.requests
		rps += o.s.rps
	}
	return reqs, rps, firstErr
}

var cmdstatRE = regexp.MustCompile(`cmdstat_(?:evalsha|eval):calls=(\d+)`)

// scriptCalls is how many scripts Redis has run (INFO commandstats).
func scriptCalls(rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return 0
	}
	var n int64
	for _, m := range cmdstatRE.FindAllStringSubmatch(info, -1) {
		v, _ := strconv.ParseInt(m[1], 10, 64)
		n += v
	}
	return n
}

// unavailableKey counts the 503s in paced's answer.
const unavailableKey = "\x00503"

// paced sends requests to the gateways in turn with X-Key from key: at
// perSecond for d when perSecond > 0, else count requests as fast as 64
// connections go (d is then the count). It returns the 200s per key, the
// requests sent and the time taken.
func paced(urls []string, perSecond int, d time.Duration, key func(n int64) string) (map[string]int, int64, time.Duration) {
	const workers = 64
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxIdleConns: 3 * workers}}
	jobs := make(chan int64, workers)
	var mu sync.Mutex
	admitted := map[string]int{}
	var sent atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				k := key(n)
				req, _ := http.NewRequest("GET", urls[(int(n)+w)%len(urls)], nil)
				req.Header.Set("X-Key", k)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				sent.Add(1)
				switch resp.StatusCode {
				case 200:
					mu.Lock()
					admitted[k]++
					mu.Unlock()
				case 503:
					mu.Lock()
					admitted[unavailableKey]++
					mu.Unlock()
				}
			}
		}()
	}
	began := time.Now()
	if perSecond > 0 {
		interval := time.Second / time.Duration(perSecond)
		for n := int64(0); time.Since(began) < d; n++ {
			if ahead := time.Duration(n)*interval - time.Since(began); ahead > 0 {
				time.Sleep(ahead)
			}
			jobs <- n
		}
	} else {
		for n := int64(0); n < int64(d); n++ {
			jobs <- n
		}
	}
	close(jobs)
	wg.Wait()
	return admitted, sent.Load(), time.Since(began)
}

func writeFile(name, text string) error { return os.WriteFile(name, []byte(text), 0o600) }
