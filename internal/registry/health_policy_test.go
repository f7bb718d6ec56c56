package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// TestHealthChecksTheAddressPolicyBeforeProbing: a host name that resolves
// somewhere refused by the time of the check is not probed (health probes
// are no SSRF or port scanner) and is taken out of rotation at once.
func TestHealthChecksTheAddressPolicyBeforeProbing(t *testing.T) {
	r, _ := newTestRegistry()
	backend := testenv.NewSwitchable(t)
	_, port, _ := splitHostPort(backend.Addr())
	target := netip.MustParseAddr("127.0.0.1")
	r.settings.Policy = &addrpolicy.Policy{Resolve: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{target}, nil
	}}
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: "svc.test:" + port, HealthPath: "/healthz"})
	mustRegister(t, r, Registration{Service: "svc", ID: "b", Address: backend.Addr(), HealthPath: "/healthz"})

	// the probe goes to the address that was checked, with the name as Host
	r.checkHealth(context.Background(), http.DefaultClient)
	if backend.Probes.Load() != 2 {
		t.Fatalf("%d probes reached the backend, want 2", backend.Probes.Load())
	}

	// the name now resolves to a metadata service
	target = netip.MustParseAddr("169.254.169.254")
	r.checkHealth(context.Background(), http.DefaultClient)
	if backend.Probes.Load() != 3 {
		t.Fatalf("%d probes, want 3: the refused address must not be probed", backend.Probes.Load())
	}
	if got := r.Dials("svc"); !slices.Equal(got, []string{backend.Addr()}) {
		t.Fatalf("after one refused check: dials %v, want only b", got)
	}
}

// TestHealthCancelledProbesAreNoResult: a reload stops the checker, which
// cancels the probes in flight; those say nothing about the instances.
func TestHealthCancelledProbesAreNoResult(t *testing.T) {
	r, _ := newTestRegistry()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		<-release
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: strings.TrimPrefix(slow.URL, "http://"), HealthPath: "/healthz"})
	r.settings.Health.Timeout = time.Minute
	for range 3 { // more rounds than health_fails
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		r.checkHealth(ctx, http.DefaultClient)
	}
	inst, _ := r.Instance("svc", "a")
	if !inst.Healthy() || inst.health != nil && inst.health.fails != 0 {
		t.Fatalf("cancelled probes counted as failures: healthy=%v health=%+v", inst.Healthy(), inst.health)
	}
}

func splitHostPort(hostport string) (string, string, error) {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return "", "", err
	}
	return ap.Addr().String(), strconv.Itoa(int(ap.Port())), nil
}
