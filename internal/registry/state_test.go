package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
)

// TestRestoreKeepsEveryRegistrationWhateverTheCaps: a restart restores
// every acknowledged registration, with the caps of the config being
// loaded, and never writes a truncated set back.
func TestRestoreKeepsEveryRegistrationWhateverTheCaps(t *testing.T) {
	var doc persistedRegistry
	doc.Version = 1
	for i := range 1200 {
		doc.Instances = append(doc.Instances, Instance{Service: "big", ID: fmt.Sprintf("i%d", i),
			Address: fmt.Sprintf("10.0.%d.%d:80", i/250, i%250)})
	}
	data, _ := json.Marshal(doc)
	for _, caps := range []struct{ perService, total int }{{1500, 10000}, {1000, 1100}} {
		storage := newMemStorage()
		storage.data[legacyStorageKey] = data
		r, _ := newTestRegistry()
		s := testSettings
		s.MaxPerService, s.MaxInstances = caps.perService, caps.total
		if err := r.Restore(context.Background(), storage, s, zap.NewNop()); err != nil {
			t.Fatal(err)
		}
		if got, _ := r.Instances("big"); len(got) != 1200 {
			t.Fatalf("caps %v: restored %d of 1200", caps, len(got))
		}
		// over a cap, new registrations are refused; renewals are not
		r.attach(nil, s, nil, nil, zap.NewNop())
		if _, _, err := r.Register(Registration{Service: "big", Address: "10.9.9.9:80"}); caps.perService < 1200 && err == nil {
			t.Fatalf("caps %v: a new registration over the cap was accepted", caps)
		}
		if _, _, err := r.Register(Registration{Service: "big", ID: "i7", Address: "10.0.0.7:80"}); err != nil {
			t.Fatalf("caps %v: a renewal was refused: %v", caps, err)
		}
		r.detach(nil)
	}
}

// TestRenewalKeepsAHealthTransition: a health check that takes an instance
// out of rotation while its renewal is in flight (between preparing and
// committing it, where the Redis write is) is not undone by the renewal.
func TestRenewalKeepsAHealthTransition(t *testing.T) {
	r, _ := newTestRegistry()
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: "10.0.0.1:80"})
	mustRegister(t, r, Registration{Service: "svc", ID: "b", Address: "10.0.0.2:80"})
	registerCommitHook = func() {
		r.mu.Lock()
		inst := r.services["svc"]["a"]
		inst.health = &instanceHealth{unhealthy: true}
		r.publishLocked("svc")
		r.mu.Unlock()
	}
	t.Cleanup(func() { registerCommitHook = nil })
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: "10.0.0.1:80"})
	registerCommitHook = nil
	if inst, _ := r.Instance("svc", "a"); inst.Healthy() {
		t.Fatal("the renewal brought an unhealthy instance back")
	}
	if got := r.Dials("svc"); len(got) != 1 || got[0] != "10.0.0.2:80" {
		t.Fatalf("dials %v, want only b", got)
	}
}

// TestHealthMetricsGoWithTheService: the health transition series of a
// service are deleted with it, so series do not grow with every service
// name ever seen.
func TestHealthMetricsGoWithTheService(t *testing.T) {
	r, _ := newTestRegistry()
	mustRegister(t, r, Registration{Service: "short_lived", Address: "10.0.0.1:80"})
	metrics.healthTransitions.WithLabelValues("short_lived", "unhealthy").Inc()
	before := testutil.CollectAndCount(metrics.healthTransitions)
	if _, err := r.DeregisterService("short_lived"); err != nil {
		t.Fatal(err)
	}
	if after := testutil.CollectAndCount(metrics.healthTransitions); after != before-1 {
		t.Fatalf("health transition series: %d before, %d after the service went", before, after)
	}
}
