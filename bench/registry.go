package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net/http"
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
)

// The registry's scale, measured on a real Caddy through its admin API
// (`go run ./bench -registry`):
//
//   - registrations/s and p99 with 16 concurrent clients, while the
//     registry holds 10% of the target size and while it holds all of it;
//   - renewals/s at the full size;
//   - Go heap per instance (after a forced GC, from Caddy's /debug/vars);
//   - the whole listing (GET /registry/services) at the full size;
//   - a restart: the time until every instance is restored and routed;
//   - cluster mode (with a redis-server on this machine): registrations
//     while resyncs run, and a second gateway joining the full Redis;
//   - the Caddy CPU per request to a service of 1 instance and of 1000
//     (each at its own address), with the default subset and `subset all`.
//
// Instances are 10 per service at addresses of 10.0.0.0/8 that nothing
// listens on (the registry never dials them; only the request-cost rows
// route, to real backends).

const (
	loadClients         = 16
	instancesPerService = 10
	bigService          = 1000 // instances of the request-cost service
)

// loadResult is one measured phase of registrations.
type loadResult struct {
	name     string
	n        int
	elapsed  time.Duration
	p50, p99 time.Duration
	lat      []time.Duration
}

func (l loadResult) rate() float64 { return float64(l.n) / l.elapsed.Seconds() }

// instanceOf is the i-th instance of the load: service, id, address.
func instanceOf(i int) (string, string, string) {
	return fmt.Sprintf("svc%06d", i/instancesPerService), fmt.Sprintf("i%07d", i),
		fmt.Sprintf("10.%d.%d.%d:8080", i>>16&0xff, i>>8&0xff, i&0xff)
}

// registerRange registers the instances of indices through admin with
// loadClients concurrent clients and reports the rate and latencies.
func registerRange(admin, name string, indices []int) (loadResult, error) {
	return loadRange(admin, name, http.MethodPost, indices)
}

// loadRange registers (POST) or deregisters (DELETE) the instances of
// indices with loadClients concurrent clients.
func loadRange(admin, name, method string, indices []int) (loadResult, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients}, Timeout: 30 * time.Second}
	var next atomic.Int64
	var failed atomic.Value
	lat := make([][]time.Duration, loadClients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(indices) || failed.Load() != nil {
					return
				}
				svc, id, addr := instanceOf(indices[k])
				url := "http://" + admin + "/registry/services/" + svc
				var body io.Reader
				if method == http.MethodPost {
					body = strings.NewReader(fmt.Sprintf(`{"id":%q,"address":%q,"ttl":"1h","metadata":{"zone":"z%d"}}`, id, addr, indices[k]%3))
				} else {
					url += "/" + id
				}
				req, _ := http.NewRequest(method, url, body)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
					failed.Store(fmt.Errorf("%s %s/%s: %s %s", method, svc, id, resp.Status, answer))
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return loadResult{}, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := loadResult{name: name, n: len(all), elapsed: time.Since(start), p50: all[len(all)/2], p99: all[len(all)*99/100]}
	r.lat = all
	if name != "" {
		log.Printf("%-44s %8.0f/s  p50 %-10v p99 %v", name, r.rate(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
	}
	return r, nil
}

// measureAt measures registrations while the registry holds size
// instances: rounds of batch new instances (in new services), each
// deregistered again after it is measured, so every round starts at the
// same size. The rate is the median round's; p50 and p99 are over all.
func measureAt(admin string, size, batch, rounds int) (loadResult, error) {
	var rates []float64
	var lat []time.Duration
	var elapsed time.Duration
	for round := range rounds {
		from := 10*size + round*batch // indices no other phase uses
		r, err := loadRange(admin, "", http.MethodPost, span(from, from+batch))
		if err != nil {
			return loadResult{}, err
		}
		rates = append(rates, r.rate())
		lat = append(lat, r.lat...)
		elapsed += r.elapsed
		if _, err := loadRange(admin, "", http.MethodDelete, span(from, from+batch)); err != nil {
			return loadResult{}, err
		}
	}
	slices.Sort(lat)
	rate := median(rates)
	r := loadResult{name: fmt.Sprintf("at %d: %d rounds of %d new", size, rounds, batch), n: len(lat),
		elapsed: time.Duration(float64(len(lat)) / rate * float64(time.Second)), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}
	log.Printf("%-44s %8.0f/s  p50 %-10v p99 %v (median round)", r.name, r.rate(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
	return r, nil
}

func span(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// heapBytes forces a GC in Caddy and returns its live heap.
func heapBytes(admin string) (uint64, error) {
	resp, err := http.Get("http://" + admin + "/debug/pprof/heap?gc=1")
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp, err = http.Get("http://" + admin + "/debug/vars")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var vars struct {
		Memstats struct{ HeapAlloc uint64 } `json:"memstats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		return 0, fmt.Errorf("/debug/vars: %v", err)
	}
	return vars.Memstats.HeapAlloc, nil
}

// rss is a process's resident set, from /proc.
func rss(pid int) uint64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// countInstances reads the whole listing and counts its instances.
func countInstances(admin string) (int, int, time.Duration, error) {
	start := time.Now()
	resp, err := http.Get("http://" + admin + "/registry/services")
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	if err != nil {
		return 0, 0, 0, err
	}
	var all map[string][]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return 0, 0, 0, fmt.Errorf("listing: %v", err)
	}
	n := 0
	for _, list := range all {
		n += len(list)
	}
	return n, len(data), elapsed, nil
}

// serviceHas reports whether the admin endpoint lists want instances for
// the service.
func serviceHas(admin, service string, want int) bool {
	resp, err := http.Get("http://" + admin + "/registry/services/" + service)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var list []json.RawMessage
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&list) == nil && len(list) == want
}

// waitRestored polls until a sample of services, the last one included,
// is complete, and returns how long that took from start.
func waitRestored(admin string, n int, start time.Time, limit time.Duration) (time.Duration, error) {
	services := n / instancesPerService
	sample := []int{services - 1, 0, services / 2}
	for range 5 {
		sample = append(sample, rand.IntN(services))
	}
	for time.Since(start) < limit {
		done := true
		for _, s := range sample {
			if !serviceHas(admin, fmt.Sprintf("svc%06d", s), instancesPerService) {
				done = false
				break
			}
		}
		if done {
			return time.Since(start), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("not restored within %v", limit)
}

// registryRun runs every phase and returns the results as Markdown.
func (b *bench) registryRun(caddyBin string, n int) (string, error) {
	if n < 20000 || n%instancesPerService != 0 {
		return "", fmt.Errorf("-instances %d: want a multiple of %d from 20000 up", n, instancesPerService)
	}
	b.globals = fmt.Sprintf("service_registry {\n\tmax_instances %d\n\tmax_instances_per_service %d\n}", n*2, bigService)
	b.extraPorts, b.extraCount = filepath.Join(b.dir, "ports"), bigService
	// the registration phases run on every CPU, as a gateway would; the
	// restart pins Caddy for the request costs, which need its CPU time
	// apart from the load generator's
	b.unpinned = true
	if err := b.prepare(caddyBin); err != nil {
		return "", err
	}
	data, err := os.ReadFile(b.extraPorts) // written before the backend answers
	if err != nil {
		return "", err
	}
	ports := strings.Fields(string(data))
	// the instance prepare registered is not part of the load
	req, _ := http.NewRequest(http.MethodDelete, "http://"+b.admin+"/registry/services/bench", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		return "", err
	} else {
		resp.Body.Close()
	}
	var out strings.Builder
	fmt.Fprintf(&out, "Registry at scale: `go run ./bench -registry -instances %d`, %s; the registrations with Caddy on every CPU beside the load generator, the request costs with Caddy pinned: %v.\n\n", n, machine(), b.pin)

	heap0, err := heapBytes(b.admin)
	if err != nil {
		return "", err
	}
	table, err := registrationPhases(b.admin, n)
	if err != nil {
		return "", err
	}
	out.WriteString(table)
	total := n

	heap1, err := heapBytes(b.admin)
	if err != nil {
		return "", err
	}
	count, size, listTime, err := countInstances(b.admin)
	if err != nil {
		return "", err
	}
	if count != total {
		return "", fmt.Errorf("the listing holds %d instances, want %d", count, total)
	}
	fmt.Fprintf(&out, "| at %d instances (%d services) | |\n|---|---:|\n", total, total/instancesPerService)
	fmt.Fprintf(&out, "| Go heap per instance (after GC; instance with one metadata entry) | %d bytes |\n", (heap1-heap0)/uint64(total))
	fmt.Fprintf(&out, "| Caddy RSS | %d MiB |\n", rss(b.caddyPID)>>20)
	fmt.Fprintf(&out, "| whole listing, `GET /registry/services` | %s, %d MiB |\n", fmtDur(listTime), size>>20)
	log.Printf("heap per instance %d bytes; listing %v, %d bytes", (heap1-heap0)/uint64(total), listTime, size)

	restore, err := b.restartAndWait(total)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&out, "| restart: process start → every instance restored and routed | %s |\n", fmtDur(restore))

	cluster, err := b.clusterRun(n)
	if err != nil {
		log.Printf("cluster phase skipped: %v", err)
		fmt.Fprintf(&out, "| cluster mode | not measured: %v |\n", err)
	} else {
		out.WriteString(cluster)
	}

	costs, err := b.requestCost(ports)
	if err != nil {
		return "", err
	}
	out.WriteString("\n" + costs)
	return out.String(), nil
}

// restartAndWait stops Caddy (which writes the registry's last state) and
// starts it again, and returns the time from the new process's start until
// every instance is back.
func (b *bench) restartAndWait(total int) (time.Duration, error) {
	b.stopProc(b.caddyPID)
	b.unpinned = false
	start := time.Now()
	if err := b.startCaddy(); err != nil {
		return 0, err
	}
	d, err := waitRestored(b.admin, total, start, 60*time.Second)
	if err != nil {
		return 0, err
	}
	if count, _, _, err := countInstances(b.admin); err != nil || count != total {
		return 0, fmt.Errorf("after the restart the listing holds %d instances, want %d (%v)", count, total, err)
	}
	log.Printf("restart: restored %d instances in %v", total, d)
	return d, nil
}

// stopProc stops one process bench started, and forgets it.
func (b *bench) stopProc(pid int) {
	for i, p := range b.procs {
		if p.Process != nil && p.Process.Pid == pid {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			_ = p.Wait()
			b.procs = slices.Delete(b.procs, i, i+1)
			return
		}
	}
}

// clusterRun fills a Redis with n instances through one gateway in cluster
// mode (resyncs run meanwhile) and then measures how long a second gateway
// joining it takes to hold them all.
func (b *bench) clusterRun(n int) (string, error) {
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server is not installed")
	}
	redisPort := freePort()
	if err := b.start(redisBin, "--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"); err != nil {
		return "", err
	}
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", redisPort)
	gw := func(name string) (string, int, error) {
		admin := fmt.Sprintf("127.0.0.1:%d", freePort())
		cfg := fmt.Sprintf("{\n\tadmin %s\n\tpersist_config off\n\tstorage file_system %s\n\tlog {\n\t\tlevel ERROR\n\t}\n\tservice_registry {\n\t\tbackend redis %s\n\t\tmax_instances %d\n\t\tresync_interval 5s\n\t}\n}\n",
			admin, filepath.Join(b.dir, name), redisURL, n*2)
		file := filepath.Join(b.dir, name+".caddyfile")
		if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
			return "", 0, err
		}
		// on every CPU, as deployed (pinned, two gateways would share one)
		if err := b.start(b.caddy, "run", "--config", file, "--adapter", "caddyfile"); err != nil {
			return "", 0, err
		}
		return admin, b.procs[len(b.procs)-1].Process.Pid, waitHTTP("http://" + admin + "/config/")
	}
	adminA, _, err := gw("cluster-a")
	if err != nil {
		return "", err
	}
	fill, err := registerRange(adminA, fmt.Sprintf("cluster: fill 0 → %d (resync every 5s)", n), span(0, n))
	if err != nil {
		return "", err
	}
	start := time.Now()
	adminB, _, err := gw("cluster-b")
	if err != nil {
		return "", err
	}
	join, err := waitRestored(adminB, n, start, 60*time.Second)
	if err != nil {
		return "", fmt.Errorf("joining gateway: %v", err)
	}
	log.Printf("cluster: a gateway joining a Redis of %d instances held them all after %v", n, join)
	var sb strings.Builder
	fmt.Fprintf(&sb, "| cluster: registrations/s filling Redis to %d, resyncs every 5s meanwhile (p99) | %.0f/s (%s) |\n", n, fill.rate(), fmtDur(fill.p99))
	fmt.Fprintf(&sb, "| cluster: a gateway joining a Redis of %d instances: process start → all held | %s |\n", n, fmtDur(join))
	return sb.String(), nil
}

// requestCost measures Caddy CPU per request to a service of 1 instance and
// to one of 1000, each instance at its own backend port.
func (b *bench) requestCost(ports []string) (string, error) {
	post := func(svc, body string) error {
		resp, err := http.Post("http://"+b.admin+"/registry/services/"+svc, "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			return fmt.Errorf("registering %s: %s", svc, resp.Status)
		}
		return nil
	}
	if err := post("one", fmt.Sprintf(`{"address":"127.0.0.1:%s"}`, ports[0])); err != nil {
		return "", err
	}
	for i, p := range ports {
		if err := post("big", fmt.Sprintf(`{"address":"127.0.0.1:%s"}`, p)); err != nil {
			return "", err
		}
		// the same count of instances, all at one address: what the
		// gateway itself costs, without the cost of connections to 1000
		// backends
		if err := post("wide", fmt.Sprintf(`{"address":"127.0.0.1:%s","id":"w%04d"}`, ports[0], i)); err != nil {
			return "", err
		}
	}
	proxy := func(svc, block string) string {
		return "reverse_proxy {\n\t\tdynamic registry " + svc + block + transport + "\n\t}"
	}
	scenarios := []scenario{
		{name: baseline, site: "reverse_proxy 127.0.0.1:" + ports[0] + " {" + transport + "\n\t}", path: "/"},
		{name: "dynamic registry, 1 instance", site: proxy("one", ""), path: "/"},
		{name: fmt.Sprintf("dynamic registry, %d instances at one address (default subset)", bigService), site: proxy("wide", ""), path: "/"},
		{name: fmt.Sprintf("dynamic registry, %d instances at %d addresses (default subset)", bigService, bigService), site: proxy("big", ""), path: "/"},
		{name: fmt.Sprintf("dynamic registry, %d instances, subset all", bigService), site: proxy("big", " {\n\t\t\tsubset all\n\t\t}"), path: "/"},
	}
	one, wide, big := scenarios[1].name, scenarios[2].name, scenarios[3].name
	// a Caddy built from an earlier release (-caddy, to measure "before")
	// may not take every config: its rows are left out
	scenarios = slices.DeleteFunc(scenarios, func(s scenario) bool {
		if err := b.load(s.site); err != nil {
			log.Printf("skipping %q: this Caddy does not take its config", s.name)
			return true
		}
		return false
	})
	results, err := b.run(scenarios)
	if err != nil {
		return "", err
	}
	ratio := func(of string) float64 {
		if len(results[of]) == 0 {
			return math.NaN()
		}
		var ratios []float64
		for i, base := range results[one] {
			ratios = append(ratios, float64(results[of][i].cpuPerReq)/float64(base.cpuPerReq))
		}
		return median(ratios)
	}
	return b.table(scenarios, results) + fmt.Sprintf("\nCaddy CPU per request vs 1 instance (medians of per-round ratios): %d instances at one address **%.2f×**, at %d addresses **%.2f×**.\n",
		bigService, ratio(wide), bigService, ratio(big)), nil
}

// registrationPhases fills the registry to n through admin, measuring
// registrations at a tenth of n and at n, and renewals at n; it returns
// the table.
func registrationPhases(admin string, n int) (string, error) {
	tenth := n / 10
	var loads []loadResult
	for _, phase := range []struct {
		name     string
		from, to int // a fill; or, with to 0, a measurement at from
	}{
		{fmt.Sprintf("fill 0 → %d", tenth), 0, tenth},
		{"", tenth, 0},
		{fmt.Sprintf("fill %d → %d", tenth, n), tenth, n},
		{"", n, 0},
	} {
		var r loadResult
		var err error
		if phase.to == 0 {
			r, err = measureAt(admin, phase.from, tenth/5, 5)
		} else {
			r, err = registerRange(admin, phase.name, span(phase.from, phase.to))
		}
		if err != nil {
			return "", err
		}
		loads = append(loads, r)
	}
	renewIdx := span(0, n)
	rand.Shuffle(len(renewIdx), func(i, j int) { renewIdx[i], renewIdx[j] = renewIdx[j], renewIdx[i] })
	renew, err := registerRange(admin, fmt.Sprintf("renewals at %d", n), renewIdx[:tenth])
	if err != nil {
		return "", err
	}
	loads = append(loads, renew)

	var out strings.Builder
	fmt.Fprintf(&out, "| phase (%d concurrent clients) | count | per second | p50 | p99 |\n|---|---:|---:|---:|---:|\n", loadClients)
	for _, l := range loads {
		fmt.Fprintf(&out, "| %s | %d | %.0f | %s | %s |\n", l.name, l.n, l.rate(), fmtDur(l.p50), fmtDur(l.p99))
	}
	fmt.Fprintf(&out, "\nRegistrations/s at %d vs at %d: **%.2f×**.\n\n", n, tenth, loads[3].rate()/loads[1].rate())
	return out.String(), nil
}
