package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

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

// TestDashboardJSONAndHeaders: state.json describes the registry and holds
// no secret; the page and its files are served with a strict CSP; the
// handler is read-only.
func TestE2EDashboardJSONAndHeaders(t *testing.T) {
	g := startGateway(t, "service_registry {\n\t\tbackend redis redis://:s3cret-pass@127.0.0.1:1/0\n\t\tpersist off\n\t}", dashboardSite)
	var body string
	testenv.Eventually(t, 10*time.Second, "state.json showing the Redis unreachable", func() bool {
		var code int
		code, body = g.call("GET", g.url("/dashboard/state.json"), "", nil)
		var st struct {
			Registry struct {
				Backend        string `json:"backend"`
				RedisReachable *bool  `json:"redis_reachable"`
			} `json:"registry"`
			Services []any `json:"services"`
		}
		return code == http.StatusOK && json.Unmarshal([]byte(body), &st) == nil && st.Registry.Backend == "redis" &&
			st.Registry.RedisReachable != nil && !*st.Registry.RedisReachable && st.Services != nil
	})
	if strings.Contains(body, "s3cret") || strings.Contains(body, "redis://") || strings.Contains(body, "127.0.0.1:1") {
		t.Fatalf("state.json leaks the Redis URL: %s", body)
	}
	for _, p := range []string{"/dashboard/", "/dashboard/app.js", "/dashboard/style.css"} {
		req, _ := http.NewRequest("GET", g.url(p), nil)
		resp, err := g.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.ContentLength > 100<<10 {
			t.Errorf("%s: %d, headers %v, %d bytes", p, resp.StatusCode, resp.Header, resp.ContentLength)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if code, _ := g.call(m, g.url("/dashboard/state.json"), "{}", nil); code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 405 (read-only)", m, code)
		}
	}
}

// TestE2EDashboardCounters: state.json shows the circuits of the loaded
// config by key, the throttle zones with their keys and decisions, and
// jwt_auth's outcomes, response_cache's results and stored bytes, as
// requests go through them.
func TestE2EDashboardCounters(t *testing.T) {
	secret := "dash-secret-dash-secret-dash-secret-da"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	handle /dashboard/* {
		uri strip_prefix /dashboard
		gateway_dashboard
	}
	handle {
		throttle {
			zone dash_zone
			rate 1000/1s
		}
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
			issuer my_issuer
		}
		response_cache
		circuit_breaker {
			name dash_breaker
			key {http.request.uri.path.0}
		}
		reverse_proxy {
			dynamic registry {http.request.uri.path.0}
		}
	}
}`)
	be := newBackend(t, "a")
	g.register("hello_service", fmt.Sprintf(`{"address": %q}`, be.addr()))
	token := liveToken(t, secret, nil)
	for range 3 {
		if code, _ := g.call("GET", g.url("/hello_service/x"), "", http.Header{"Authorization": {"Bearer " + token}}); code != http.StatusOK {
			t.Fatalf("an authenticated request: %d", code)
		}
	}
	if code, _ := g.call("GET", g.url("/hello_service/x"), "", nil); code != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", code)
	}
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		fmt.Fprint(w, "shared")
	})
	g.register("catalog", fmt.Sprintf(`{"address": %q}`, o.addr()))
	for range 3 {
		g.call("GET", g.url("/catalog/list"), "", http.Header{"Authorization": {"Bearer " + token}})
	}
	_, body := g.call("GET", g.url("/dashboard/state.json"), "", nil)
	var st struct {
		Circuits []struct {
			Name string            `json:"name"`
			Keys map[string]string `json:"keys"`
		} `json:"circuits"`
		Throttle struct {
			Zones []struct {
				Name string `json:"name"`
				Keys int    `json:"tracked_keys"`
			} `json:"zones"`
			Decisions map[string]map[string]int64 `json:"decisions"`
		} `json:"throttle"`
		JWT struct {
			Outcomes map[string]int64 `json:"outcomes"`
			Refused  map[string]int64 `json:"refused"`
		} `json:"jwt_auth"`
		Cache struct {
			Requests    map[string]int64 `json:"requests"`
			StoredBytes int64            `json:"stored_bytes"`
			Keys        int              `json:"keys"`
		} `json:"response_cache"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("state.json: %v: %s", err, body)
	}
	if len(st.Circuits) != 1 || st.Circuits[0].Name != "dash_breaker" || st.Circuits[0].Keys["hello_service"] != "closed" {
		t.Errorf("circuits: %+v", st.Circuits)
	}
	if len(st.Throttle.Zones) != 1 || st.Throttle.Zones[0].Name != "dash_zone" || st.Throttle.Zones[0].Keys < 1 ||
		st.Throttle.Decisions["dash_zone"]["allowed"] < 3 { // the 401 stops at jwt_auth, before throttle
		t.Errorf("throttle: %+v", st.Throttle)
	}
	if st.JWT.Outcomes["accepted"] < 3 || st.JWT.Refused["no_token"] < 1 {
		t.Errorf("jwt_auth: %+v", st.JWT)
	}
	if st.Cache.Requests["hit"] < 2 || st.Cache.Requests["miss"] < 4 || st.Cache.Keys < 1 || st.Cache.StoredBytes < 6 {
		t.Errorf("response_cache: %+v", st.Cache)
	}
	if strings.Contains(body, secret) || strings.Contains(body, token) {
		t.Fatal("state.json holds the secret or a token")
	}
}
