package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// TestE2EActiveHealth: the registry's health_path, the admin API's view,
// and an instance coming back.
func TestE2EActiveHealth(t *testing.T) {
	g := startGateway(t, `service_registry {
		health_path /healthz
		health_interval 100ms
		health_fails 1
	}`, routeByService)
	a, b := testenv.NewSwitchable(t), testenv.NewSwitchable(t)
	g.register("svc", fmt.Sprintf(`{"address": %q, "id": "a"}`, a.Addr()))
	g.register("svc", fmt.Sprintf(`{"address": %q, "id": "b"}`, b.Addr()))

	a.Status.Store(http.StatusServiceUnavailable)
	testenv.Eventually(t, 5*time.Second, "the failing instance was not marked unhealthy", func() bool {
		_, body := g.adminCall("GET", "/registry/services/svc/a", "")
		return strings.Contains(body, `"healthy":false`)
	})
	for range 10 {
		if code, _ := g.get("/svc/"); code != http.StatusOK {
			t.Fatalf("with one instance unhealthy: %d", code)
		}
	}
	if _, body := g.adminCall("GET", "/registry/services/svc/b", ""); !strings.Contains(body, `"healthy":true`) {
		t.Fatalf("the healthy instance: %s", body)
	}

	a.Status.Store(http.StatusOK)
	testenv.Eventually(t, 5*time.Second, "the instance did not come back", func() bool {
		_, body := g.adminCall("GET", "/registry/services/svc/a", "")
		return strings.Contains(body, `"healthy":true`)
	})
}

// TestE2EActiveHealthRouting checks that an unhealthy instance gets no
// traffic through the gateway.
func TestE2EActiveHealthRouting(t *testing.T) {
	g := startGateway(t, `service_registry {
		health_interval 100ms
		health_fails 1
	}`, routeByService)
	var sickHits atomic.Int32
	sickStatus := atomic.Int32{}
	sickStatus.Store(200)
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			w.WriteHeader(int(sickStatus.Load()))
			return
		}
		sickHits.Add(1)
		fmt.Fprint(w, `{"instance": "sick"}`)
	}))
	defer sick.Close()
	well := newBackend(t, "well")
	// the per-registration path works without a global health_path
	g.register("svc", fmt.Sprintf(`{"address": %q, "id": "sick", "health": {"path": "/ready"}}`, strings.TrimPrefix(sick.URL, "http://")))
	g.register("svc", fmt.Sprintf(`{"address": %q, "id": "well"}`, well.addr()))

	sickStatus.Store(500)
	testenv.Eventually(t, 5*time.Second, "the instance was not marked unhealthy", func() bool {
		_, body := g.adminCall("GET", "/registry/services/svc/sick", "")
		return strings.Contains(body, `"healthy":false`)
	})
	before := sickHits.Load()
	for range 10 {
		if code, who := g.get("/svc/"); code != 200 || who != "well" {
			t.Fatalf("%d from %q, want the healthy instance", code, who)
		}
	}
	if sickHits.Load() != before {
		t.Fatal("the unhealthy instance still got requests")
	}
}

func TestE2ECircuitBreaker(t *testing.T) {
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	circuit_breaker {
		name e2e
		key {http.request.uri.path.0}
		min_requests 4
		failure_ratio 0.5
		open_for 1s
		half_open_requests 2
		# every request of this test comes from one client
		min_clients 1
		client_failures 10
	}
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}`)
	var failing atomic.Bool
	var hits atomic.Int32
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `{"instance": "be"}`)
	}))
	defer be.Close()
	g.register("svc", fmt.Sprintf(`{"address": %q}`, strings.TrimPrefix(be.URL, "http://")))

	failing.Store(true)
	for range 4 {
		if ans := fetch(t, g.client, g.url("/svc/")); ans.code != 500 {
			t.Fatalf("while failing: %d", ans.code)
		}
	}
	before := hits.Load()
	ans := fetch(t, g.client, g.url("/svc/"))
	if ans.code != 503 || ans.header.Get("Retry-After") != "1" || !strings.Contains(ans.body, "circuit open") || hits.Load() != before {
		t.Fatalf("open circuit: %d Retry-After %q %s, backend hits +%d", ans.code, ans.header.Get("Retry-After"), ans.body, hits.Load()-before)
	}

	failing.Store(false)
	testenv.Eventually(t, 5*time.Second, "the circuit did not close after the service recovered", func() bool {
		return fetch(t, g.client, g.url("/svc/")).code == 200
	})
	for range 5 {
		if ans := fetch(t, g.client, g.url("/svc/")); ans.code != 200 {
			t.Fatalf("after recovery: %d", ans.code)
		}
	}
}

// TestE2EMetrics checks that the documented series appear on the admin
// endpoint's /metrics.
func TestE2EMetrics(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
	}
	throttle {
		zone metrics_zone
		rate 1/1m
	}
	circuit_breaker {
		name metrics_breaker
	}
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}`)
	be := newBackend(t, "a")
	g.register("metrics_service", fmt.Sprintf(`{"address": %q}`, be.addr()))
	auth := http.Header{"Authorization": {"Bearer " + liveToken(t, secret, nil)}}
	fetchWith(t, g.client, "GET", g.url("/metrics_service/"), auth)
	fetchWith(t, g.client, "GET", g.url("/metrics_service/"), auth) // refused by throttle
	fetch(t, g.client, g.url("/metrics_service/"))                  // no token

	_, body := g.adminCall("GET", "/metrics", "")
	for _, want := range []string{
		`caddy_gateway_jwt_requests_total{outcome="accepted",reason="verified"}`,
		`caddy_gateway_jwt_requests_total{outcome="refused",reason="no_token"}`,
		`caddy_gateway_throttle_decisions_total{decision="allowed",zone="metrics_zone"} 1`,
		`caddy_gateway_throttle_decisions_total{decision="refused",zone="metrics_zone"} 1`,
		`caddy_gateway_registry_instances{service="metrics_service",state="registered"} 1`,
		`caddy_gateway_registry_instances{service="metrics_service",state="healthy"} 1`,
		`caddy_gateway_registry_events_total{event="registered"}`,
		`# TYPE caddy_gateway_circuit_transitions_total counter`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grepLines(body, "caddy_gateway"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestE2EAccessLogShowsTheJWTUser: jwt_auth sets {http.auth.user.id}, which
// Caddy's access log writes as user_id.
func TestE2EAccessLogShowsTheJWTUser(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	logFile := filepath.Join(t.TempDir(), "access.log")
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	log {
		output file `+logFile+`
	}
	jwt_auth {
		secret {env.GATEWAY_TEST_JWT_SECRET}
	}
	respond "ok"
}`)
	fetchWith(t, g.client, "GET", g.url("/"), http.Header{"Authorization": {"Bearer " + liveToken(t, secret, nil)}})
	testenv.Eventually(t, 5*time.Second, "the access log has no user_id", func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), `"user_id":"user-7"`)
	})
}
