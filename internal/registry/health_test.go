package registry

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHealthTakesUnhealthyInstancesOutAndPutsThemBack(t *testing.T) {
	r, _ := newTestRegistry()
	a, b := testenv.NewSwitchable(t), testenv.NewSwitchable(t)
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: a.Addr(), HealthPath: "/healthz"})
	mustRegister(t, r, Registration{Service: "svc", ID: "b", Address: b.Addr(), HealthPath: "/healthz"})
	client := http.DefaultClient
	ctx := context.Background()
	unhealthyBefore := testutil.ToFloat64(metrics.healthTransitions.WithLabelValues("svc", "unhealthy"))

	a.Status.Store(http.StatusInternalServerError)
	r.checkHealth(ctx, client)
	if got := r.Dials("svc"); len(got) != 2 {
		t.Fatalf("one failed check (of the 2 needed) took an instance out: %v", got)
	}
	r.checkHealth(ctx, client)
	if got := r.Dials("svc"); !slices.Equal(got, []string{b.Addr()}) {
		t.Fatalf("after 2 failed checks: dials %v, want only b", got)
	}
	if inst, _ := r.Instance("svc", "a"); inst.Healthy() {
		t.Fatal("the instance is not reported unhealthy")
	}
	if got := testutil.ToFloat64(metrics.healthTransitions.WithLabelValues("svc", "unhealthy")) - unhealthyBefore; got != 1 {
		t.Fatalf("unhealthy transitions counted: %v", got)
	}

	// renewing does not make it healthy
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: a.Addr(), HealthPath: "/healthz"})
	if got := r.Dials("svc"); len(got) != 1 {
		t.Fatalf("a renewal put an unhealthy instance back: %v", got)
	}

	a.Status.Store(http.StatusOK)
	r.checkHealth(ctx, client)
	if got := r.Dials("svc"); len(got) != 2 {
		t.Fatalf("after a passed check: dials %v, want both", got)
	}

	// every instance unhealthy: the service has no route (503)
	a.Status.Store(http.StatusServiceUnavailable)
	b.Status.Store(http.StatusServiceUnavailable)
	r.checkHealth(ctx, client)
	r.checkHealth(ctx, client)
	if got := r.Dials("svc"); len(got) != 0 {
		t.Fatalf("all unhealthy: dials %v", got)
	}
	if n := r.Len(); n != 2 {
		t.Fatalf("unhealthy instances were deregistered (%d left) without deregister_unhealthy_after", n)
	}
}

func TestHealthGlobalPathAndUnreachableInstances(t *testing.T) {
	r, _ := newTestRegistry()
	r.settings.Health.Path = "/healthz"
	r.settings.Health.Fails = 1
	up := testenv.NewSwitchable(t)
	dead := "127.0.0.1:1" // nothing listens there
	mustRegister(t, r, Registration{Service: "svc", Address: up.Addr()})
	mustRegister(t, r, Registration{Service: "svc", Address: dead})
	r.checkHealth(context.Background(), &http.Client{Timeout: time.Second})
	if got := r.Dials("svc"); !slices.Equal(got, []string{up.Addr()}) {
		t.Fatalf("dials %v; the unreachable instance should be out", got)
	}
	if up.Probes.Load() != 1 {
		t.Fatalf("health_path was probed %d times on the live instance, want 1", up.Probes.Load())
	}
}

func TestHealthDeregistersInstancesUnhealthyTooLong(t *testing.T) {
	r, clk := newTestRegistry()
	r.settings.Health.Fails = 1
	r.settings.Health.DeregisterAfter = time.Minute
	sick := testenv.NewSwitchable(t)
	sick.Status.Store(http.StatusInternalServerError)
	mustRegister(t, r, Registration{Service: "svc", Address: sick.Addr(), HealthPath: "/healthz"})
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
