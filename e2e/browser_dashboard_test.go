package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// The dashboard in headless Chromium. The JSON the page reads is tested in
// the root package (e2e_dashboard_test.go, dashboard_consumers_test.go,
// e2e_traffic_test.go); the sites and traffic shapes here are the same.

// dashboardSite is the dashboard on its own site, as Caddyfile.example
// serves it, beside a site that routes to the registry.
const dashboardSite = `
http://127.0.0.1:{HTTP} {
	handle /dashboard/* {
		uri strip_prefix /dashboard
		gateway_dashboard
	}
	handle {
		reverse_proxy {
			dynamic registry {http.request.uri.path.0}
		}
	}
}`

// TestE2EDashboardInABrowser opens the dashboard in headless Chromium: two
// healthy instances show as healthy; when one backend dies (its health
// checks fail) the page shows it unhealthy without a reload; metadata that
// holds HTML is shown as text, never run. A screenshot is saved in the
// test's temp dir (TestE2ETrafficInABrowser makes docs/dashboard.png).
func TestE2EDashboardInABrowser(t *testing.T) {
	ctx := browser(t)
	g := startGateway(t, "service_registry {\n\t\thealth_interval 200ms\n\t\thealth_timeout 1s\n\t}", dashboardSite)
	a, b := testenv.NewSwitchable(t), testenv.NewSwitchable(t)
	g.register("hello_service", fmt.Sprintf(`{"id": "a", "address": %q, "ttl": "30s", "health": {"path": "/healthz"}, "metadata": {"version": "1"}}`, a.Addr()))
	g.register("hello_service", fmt.Sprintf(`{"id": "b", "address": %q, "ttl": "30s", "health": {"path": "/healthz"}, "metadata": {"version": "1"}}`, b.Addr()))
	g.register("other", fmt.Sprintf(`{"id": "c", "address": %q, "metadata": {"note": "<img src=x onerror=\"window.pwned=1\">"}}`, a.Addr()))

	if _, err := chromedp.Run(ctx, chromedp.Navigate(g.url("/dashboard/"))); err != nil {
		t.Fatalf("opening the dashboard: %v", err)
	}
	health := func(id string) string {
		return fmt.Sprintf(`((document.querySelector('[data-instance="hello_service/%s"] td.health') || {}).textContent || "")`, id)
	}
	waitFor := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			shot(t, ctx, "failed")
			t.Fatalf("the page never showed %s: %v", what, err)
		}
	}
	waitFor("both instances healthy", health("a")+` === "healthy" && `+health("b")+` === "healthy"`)

	b.Close() // the backend dies
	waitFor("b unhealthy, without a reload", health("b")+`.startsWith("unhealthy") && `+health("a")+` === "healthy"`)

	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned === 1`))
	if err != nil || pwned {
		t.Fatalf("metadata holding HTML ran in the page (pwned=%v, %v)", pwned, err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-instance="other/c"] td[data-label="metadata"]').textContent`))
	if err != nil || !strings.Contains(shown, "<img") {
		t.Fatalf("the metadata is not shown as text: %q, %v", shown, err)
	}

	// a deregistration disappears from the page too
	if code, _ := g.adminCall("DELETE", "/registry/services/other", ""); code != http.StatusNoContent {
		t.Fatalf("deregistering other: %d", code)
	}
	waitFor("other gone", `document.querySelector('[data-instance="other/c"]') === null`)
	shot(t, ctx, "health")
}

// shot saves a screenshot of the page in the test's temp dir, and the one
// named "dashboard" to GATEWAY_DASHBOARD_SCREENSHOT when set: that is how
// docs/dashboard.png is made, by hand (in e2e/:
// `GATEWAY_DASHBOARD_SCREENSHOT=$PWD/../docs/dashboard.png go test -run
// TestE2ETrafficInABrowser .`), never by CI, so a test run
// leaves the tree clean.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	path := filepath.Join(t.TempDir(), name+".png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if dst := os.Getenv("GATEWAY_DASHBOARD_SCREENSHOT"); dst != "" && name == "dashboard" {
		if err := os.WriteFile(dst, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const dashboardConsumersSite = `
http://127.0.0.1:{HTTP} {
	handle /dashboard/* {
		uri strip_prefix /dashboard
		gateway_dashboard
	}
	handle {
		api_key
		throttle {
			plan
		}
		respond "ok"
	}
}`

const consumerPlans = `consumers {
		plan free {
			rate 5/1s
			quota 3/day
		}
		plan pro {
			rate 100/1s
			quota 1000/month
		}
		default_plan free
	}`

// TestE2EDashboardConsumersInABrowser: the page shows a consumer's key id
// and quota use; a key name holding HTML is shown as text, never run.
func TestE2EDashboardConsumersInABrowser(t *testing.T) {
	ctx := browser(t)
	g := startGateway(t, consumerPlans, dashboardConsumersSite)
	g.adminCall("POST", "/consumers/", `{"id": "acme", "plan": "pro"}`)
	keyID, key := g.createKey("acme", `{"name": "<img src=x onerror=window.pwned=1>"}`)
	g.call("GET", g.url("/"), "", http.Header{"X-Api-Key": {key}})
	if _, err := chromedp.Run(ctx, chromedp.Navigate(g.url("/dashboard/"))); err != nil {
		t.Fatal(err)
	}
	row := `(document.querySelector('[data-consumer="acme"]') || {textContent: ""}).textContent`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](row+`.includes("`+keyID+`") && `+row+`.includes("1 / 1000 per month")`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("consumers").textContent`))
		t.Fatalf("the page does not show acme's key and quota use: %v; it shows %q", err, text)
	}
	if pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned === 1`)); err != nil || pwned {
		t.Fatalf("a key name holding HTML ran in the page (%v, %v)", pwned, err)
	}
}

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

// TestE2ETrafficInABrowser opens the dashboard in headless Chromium while
// traffic of a known shape goes through: the page shows flaky's burst of
// 5xx and its circuit opening (numbers in the tables and in the charts'
// labels, a mark on the timeline), the throttled client's refusals in
// its zone, and fits a phone's width. GATEWAY_DASHBOARD_SCREENSHOT saves
// the screenshot (docs/dashboard.png).
func TestE2ETrafficInABrowser(t *testing.T) {
	ctx := browser(t)
	g := startGateway(t, "", trafficSite)
	trafficBackends(t, g)
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(1100, 900)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Navigate(g.url("/dashboard/"))); err != nil {
		t.Fatalf("opening the dashboard: %v", err)
	}
	// a few seconds of steady traffic, then the shape
	for i := range 40 {
		g.call("GET", g.url("/good/x"), "", http.Header{"X-Client": {fmt.Sprintf("warm%d", i)}})
		time.Sleep(60 * time.Millisecond)
	}
	trafficShape(t, g)

	waitFor := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			shot(t, ctx, "failed")
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("traffic").innerText`))
			t.Fatalf("the page never showed %s: %v\n%s", what, err, page)
		}
	}
	cellOf := func(attr, name, label string) string {
		return fmt.Sprintf(`((document.querySelector('[data-traffic-%s="%s"] td[data-label="%s"]') || {}).textContent || "")`, attr, name, label)
	}
	waitFor("flaky's 10 5xx", cellOf("service", "flaky", "5xx")+` === "10"`)
	waitFor("good's 5 refusals by throttle", cellOf("service", "good", "429")+` === "5"`)
	waitFor("the zone's 5 refusals", cellOf("zone", "per_client", "refused")+` === "5"`)
	waitFor("the chart's label carrying the numbers",
		`(document.querySelector('[data-traffic-service="flaky"] svg.chart') || {getAttribute: () => ""}).getAttribute("aria-label").includes("10 requests") &&
		 document.querySelector('[data-traffic-service="flaky"] svg.chart').getAttribute("aria-label").includes("10 5xx")`)
	waitFor("the circuit's opening on flaky's timeline",
		`[...document.querySelectorAll('[data-traffic-service="flaky"] line.mark.open title')].some((e) => e.textContent.startsWith("circuit flaky open"))`)
	waitFor("the circuit's opening in the list", `document.getElementById("traffic-marks").textContent.includes("flaky")`)
	waitFor("catalog's cache hits", cellOf("service", "catalog", "cache hits")+` === "67%"`)

	// the window buttons read the window again
	if _, err := chromedp.Run(ctx, chromedp.Click(`button[data-window="60"]`)); err != nil {
		t.Fatal(err)
	}
	waitFor("the 1 min window", `document.getElementById("traffic-note").textContent.startsWith("last 1 min") && `+cellOf("service", "flaky", "5xx")+` === "10"`)

	// a phone: nothing wider than the screen
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	waitFor("the page fitting 390 px", `document.documentElement.scrollWidth <= 390`)
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(1100, 900)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // a render at this width
	shot(t, ctx, "dashboard")
}
