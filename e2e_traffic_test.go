package gateway

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// trafficSite routes to the registry behind throttle (per X-Client, 3 a
// minute), response_cache and a circuit_breaker that opens after 5
// failures of one client, with the dashboard under /dashboard/.
const trafficSite = `
http://127.0.0.1:{HTTP} {
	handle /dashboard/* {
		uri strip_prefix /dashboard
		gateway_dashboard
	}
	handle {
		throttle {
			zone per_client
			key {http.request.header.X-Client}
			rate 3/1m
		}
		response_cache
		circuit_breaker {
			key {http.request.uri.path.0}
			min_requests 5
			min_clients 1
			client_failures 1000
			client_key {http.request.header.X-Client}
			open_for 1m
		}
		reverse_proxy {
			dynamic registry {http.request.uri.path.0}
		}
	}
}`

// trafficShape sends traffic of a known shape: good answers 20 clients
// once each, flaky fails 10 times in a row (its circuit opens after 5),
// catalog is cached (1 miss, 2 hits), the client "greedy" sends 8
// requests to good (3 pass, 5 are refused), and 2 requests name no
// registered service.
func trafficShape(t *testing.T, g *testGateway) {
	t.Helper()
	send := func(path, client string) int {
		code, _ := g.call("GET", g.url(path), "", http.Header{"X-Client": {client}})
		return code
	}
	for i := range 20 {
		if code := send("/good/x", fmt.Sprintf("c%d", i)); code != http.StatusOK {
			t.Fatalf("good: %d", code)
		}
	}
	for i := range 10 {
		if code := send("/flaky/x", fmt.Sprintf("f%d", i)); code != http.StatusInternalServerError && code != http.StatusServiceUnavailable {
			t.Fatalf("flaky: %d", code)
		}
	}
	for i := range 3 {
		send("/catalog/list", fmt.Sprintf("k%d", i))
	}
	refused := 0
	for range 8 {
		if send("/good/x", "greedy") == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 5 {
		t.Fatalf("greedy was refused %d times, want 5", refused)
	}
	for i := range 2 {
		send("/nosuch/x", fmt.Sprintf("n%d", i))
	}
}

func trafficBackends(t *testing.T, g *testGateway) {
	good := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(1+rand.IntN(8)) * time.Millisecond)
		fmt.Fprint(w, "ok")
	})
	flaky := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	})
	catalog := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		fmt.Fprint(w, "shared")
	})
	for name, o := range map[string]*origin{"good": good, "flaky": flaky, "catalog": catalog} {
		g.register(name, fmt.Sprintf(`{"address": %q}`, o.addr()))
	}
}

// trafficDoc is the part of traffic.json the tests read.
type trafficDoc struct {
	From, To int64
	Window   int `json:"window_seconds"`
	Bound    int `json:"memory_bound_bytes"`
	Services []struct {
		Name     string
		Total    map[string]any
		Requests []int
		P99      []*float64 `json:"p99_ms"`
	}
	Zones []struct {
		Name             string
		Allowed, Refused []int
	} `json:"throttle_zones"`
	Marks []struct{ Breaker, Key, To string } `json:"circuit_marks"`
}

func (d trafficDoc) total(service, what string) int {
	for _, s := range d.Services {
		if s.Name == service {
			n, _ := s.Total[what].(float64)
			return int(n)
		}
	}
	return -1
}

func readTraffic(t *testing.T, g *testGateway, query string) (trafficDoc, string) {
	t.Helper()
	code, body := g.call("GET", g.url("/dashboard/traffic.json"+query), "", nil)
	var d trafficDoc
	if code != http.StatusOK || json.Unmarshal([]byte(body), &d) != nil {
		t.Fatalf("traffic.json%s: %d %.300s", query, code, body)
	}
	return d, body
}

func sumInts(a []int) (s int) {
	for _, v := range a {
		s += v
	}
	return s
}

// TestE2ETrafficJSON: traffic.json counts each request once, under its
// service, by class, refusal and cache result; throttle refusals by zone;
// the circuit's opening as a mark; it survives a config reload; bad
// parameters get 400.
func TestE2ETrafficJSON(t *testing.T) {
	g := startGateway(t, "", trafficSite)
	trafficBackends(t, g)
	trafficShape(t, g)

	var d trafficDoc
	testenv.Eventually(t, 10*time.Second, "traffic.json showing the requests sent", func() bool {
		d, _ = readTraffic(t, g, "?window=60")
		return d.total("good", "requests") == 28 && d.total("(other)", "requests") == 2
	})
	want := map[string]map[string]int{
		"good":    {"requests": 28, "2xx": 23, "4xx": 5, "5xx": 0, "refused_429": 5, "refused_401": 0},
		"flaky":   {"requests": 10, "5xx": 10, "2xx": 0, "refused_429": 0},
		"catalog": {"requests": 3, "2xx": 3, "cache_hit": 2, "cache_miss": 1},
		"(other)": {"requests": 2, "5xx": 2},
	}
	for svc, kinds := range want {
		for k, n := range kinds {
			if got := d.total(svc, k); got != n {
				t.Errorf("%s %s: %d, want %d", svc, k, got, n)
			}
		}
	}
	if c := d.total("flaky", "refused_503_circuit"); c < 1 || c > 5 {
		t.Errorf("flaky's circuit refused %d, want 1 to 5 (it opens after 5 failures)", c)
	}
	if p := d.total("good", "p99_ms"); p < 1 || p > 1000 { // its answers take 1 to 9 ms
		t.Errorf("good's p99: %d ms", p)
	}
	for _, s := range d.Services {
		if len(s.Requests) != 60 || len(s.P99) != 60 || sumInts(s.Requests) != d.total(s.Name, "requests") {
			t.Errorf("%s: %d seconds, %d requests per second summed", s.Name, len(s.Requests), sumInts(s.Requests))
		}
	}
	if len(d.Zones) != 1 || d.Zones[0].Name != "per_client" || sumInts(d.Zones[0].Refused) != 5 || sumInts(d.Zones[0].Allowed) != 38 {
		t.Errorf("zones %+v", d.Zones)
	}
	opened := false
	for _, m := range d.Marks {
		opened = opened || (m.Key == "flaky" && m.To == "open" && m.Breaker == "circuit_breaker")
	}
	if !opened {
		t.Errorf("no mark of flaky's circuit opening: %+v", d.Marks)
	}
	if d.Bound <= 0 || d.Bound > 9<<20 || d.Window != 60 {
		t.Errorf("bound %d, window %d", d.Bound, d.Window)
	}

	// only the seconds after since, the totals over the window
	later, _ := readTraffic(t, g, fmt.Sprintf("?window=60&since=%d", d.To))
	if later.total("good", "requests") != 28 || later.From != d.To+1 {
		t.Errorf("since=%d: from %d, good %d", d.To, later.From, later.total("good", "requests"))
	}
	for _, s := range later.Services {
		if len(s.Requests) != int(later.To-later.From+1) {
			t.Errorf("since: %s has %d seconds for %d..%d", s.Name, len(s.Requests), later.From, later.To)
		}
	}

	// a reload keeps the traffic
	g.load("", strings.Replace(trafficSite, "rate 3/1m", "rate 4/1m", 1))
	after, _ := readTraffic(t, g, "?window=900")
	if after.total("good", "requests") != 28 || after.total("flaky", "5xx") != 10 || len(after.Services[0].Requests) != 900 {
		t.Errorf("after a reload: good %d, flaky 5xx %d", after.total("good", "requests"), after.total("flaky", "5xx"))
	}

	for _, q := range []string{"?window=0", "?window=901", "?window=abc", "?since=x", "?since=-1"} {
		if code, _ := g.call("GET", g.url("/dashboard/traffic.json"+q), "", nil); code != http.StatusBadRequest {
			t.Errorf("traffic.json%s: %d, want 400", q, code)
		}
	}
}
