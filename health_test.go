package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
)

// switchable is a backend whose health endpoint answers what the test says.
type switchable struct {
	*httptest.Server
	status atomic.Int32
	probes atomic.Int32
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{}
	s.status.Store(http.StatusOK)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			s.probes.Add(1)
			w.WriteHeader(int(s.status.Load()))
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *switchable) addr() string { return strings.TrimPrefix(s.URL, "http://") }

func TestHealthTakesUnhealthyInstancesOutAndPutsThemBack(t *testing.T) {
	r, _ := newTestRegistry()
	a, b := newSwitchable(t), newSwitchable(t)
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: a.addr(), HealthPath: "/healthz"})
	mustRegister(t, r, Registration{Service: "svc", ID: "b", Address: b.addr(), HealthPath: "/healthz"})
	client := http.DefaultClient
	ctx := context.Background()
	unhealthyBefore := testutil.ToFloat64(metrics.healthTransitions.WithLabelValues("svc", "unhealthy"))

	a.status.Store(http.StatusInternalServerError)
	r.checkHealth(ctx, client)
	if got := r.dials("svc"); len(got) != 2 {
		t.Fatalf("one failed check (of the 2 needed) took an instance out: %v", got)
	}
	r.checkHealth(ctx, client)
	if got := r.dials("svc"); !slices.Equal(got, []string{b.addr()}) {
		t.Fatalf("after 2 failed checks: dials %v, want only b", got)
	}
	if inst, _ := r.Instance("svc", "a"); inst.Healthy() {
		t.Fatal("the instance is not reported unhealthy")
	}
	if got := testutil.ToFloat64(metrics.healthTransitions.WithLabelValues("svc", "unhealthy")) - unhealthyBefore; got != 1 {
		t.Fatalf("unhealthy transitions counted: %v", got)
	}

	// renewing does not make it healthy
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: a.addr(), HealthPath: "/healthz"})
	if got := r.dials("svc"); len(got) != 1 {
		t.Fatalf("a renewal put an unhealthy instance back: %v", got)
	}

	a.status.Store(http.StatusOK)
	r.checkHealth(ctx, client)
	if got := r.dials("svc"); len(got) != 2 {
		t.Fatalf("after a passed check: dials %v, want both", got)
	}

	// every instance unhealthy: the service has no route (503)
	a.status.Store(http.StatusServiceUnavailable)
	b.status.Store(http.StatusServiceUnavailable)
	r.checkHealth(ctx, client)
	r.checkHealth(ctx, client)
	if got := r.dials("svc"); len(got) != 0 {
		t.Fatalf("all unhealthy: dials %v", got)
	}
	if n := r.Len(); n != 2 {
		t.Fatalf("unhealthy instances were deregistered (%d left) without deregister_unhealthy_after", n)
	}
}

func TestHealthGlobalPathAndUnreachableInstances(t *testing.T) {
	r, _ := newTestRegistry()
	r.settings.health.path = "/healthz"
	r.settings.health.fails = 1
	up := newSwitchable(t)
	dead := "127.0.0.1:1" // nothing listens there
	mustRegister(t, r, Registration{Service: "svc", Address: up.addr()})
	mustRegister(t, r, Registration{Service: "svc", Address: dead})
	r.checkHealth(context.Background(), &http.Client{Timeout: time.Second})
	if got := r.dials("svc"); !slices.Equal(got, []string{up.addr()}) {
		t.Fatalf("dials %v; the unreachable instance should be out", got)
	}
	if up.probes.Load() != 1 {
		t.Fatalf("health_path was probed %d times on the live instance, want 1", up.probes.Load())
	}
}

func TestHealthDeregistersInstancesUnhealthyTooLong(t *testing.T) {
	r, clk := newTestRegistry()
	r.settings.health.fails = 1
	r.settings.health.deregisterAfter = time.Minute
	sick := newSwitchable(t)
	sick.status.Store(http.StatusInternalServerError)
	mustRegister(t, r, Registration{Service: "svc", Address: sick.addr(), HealthPath: "/healthz"})
	ctx := context.Background()
	r.checkHealth(ctx, http.DefaultClient) // unhealthy from now
	clk.Advance(59 * time.Second)
	r.checkHealth(ctx, http.DefaultClient)
	if r.Len() != 1 {
		t.Fatal("deregistered before deregister_unhealthy_after")
	}
	clk.Advance(time.Second)
	r.checkHealth(ctx, http.DefaultClient)
	if r.Len() != 0 {
		t.Fatal("still registered after a minute of being unhealthy")
	}
}

func TestHealthInTheAPI(t *testing.T) {
	r, _ := newTestRegistry()
	r.settings.health.fails = 1
	sick := newSwitchable(t)
	sick.status.Store(http.StatusInternalServerError)
	api := apiServer{reg: r, logger: zap.NewNop()}
	code, _, body := apiCall(t, api, "POST", "/registry/services/svc", `{"address": "`+sick.addr()+`", "health": {"path": "/healthz"}}`)
	if code != 201 || body.(map[string]any)["healthy"] != true || body.(map[string]any)["health"].(map[string]any)["path"] != "/healthz" {
		t.Fatalf("register with a health path: %d %v", code, body)
	}
	r.checkHealth(context.Background(), http.DefaultClient)
	_, _, body = apiCall(t, api, "GET", "/registry/services/svc", "")
	inst := body.([]any)[0].(map[string]any)
	health := inst["health"].(map[string]any)
	if inst["healthy"] != false || health["consecutive_failures"] != 1.0 || health["unhealthy_since"] == nil || health["checked_at"] == nil {
		t.Fatalf("after a failed check: %v", inst)
	}
	for _, bad := range []string{`{"address": "127.0.0.1:1", "health": {"path": "healthz"}}`, `{"address": "127.0.0.1:1", "health": {}}`,
		`{"address": "127.0.0.1:1", "health": "/healthz"}`, `{"address": "127.0.0.1:1", "health": {"path": "/a b"}}`} {
		if code, _, body := apiCall(t, api, "POST", "/registry/services/other", bad); code != 400 {
			t.Errorf("%s: %d %v", bad, code, body)
		}
	}
}

func TestHealthPathIsPersisted(t *testing.T) {
	inst := Instance{Service: "svc", ID: "a", Address: "127.0.0.1:1", HealthPath: "/healthz"}
	b, err := json.Marshal(inst)
	if err != nil {
		t.Fatal(err)
	}
	var back Instance
	if err := json.Unmarshal(b, &back); err != nil || back.HealthPath != "/healthz" {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}
