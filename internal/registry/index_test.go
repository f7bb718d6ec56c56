package registry

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestLeasesAgainstAModel drives registrations, renewals, deregistrations
// and time at random and checks, after every step, that the registry holds
// exactly the instances a plain model (expiry times in a map) says are
// alive, that the routes list them in ID order, and that the indexes agree.
func TestLeasesAgainstAModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		r, clk := newTestRegistry()
		model := map[string]time.Time{} // "svc/id" -> expiry (zero: none)
		for step := range 400 {
			svc := fmt.Sprintf("s%d", rng.IntN(4))
			id := fmt.Sprintf("i%02d", rng.IntN(12))
			key := svc + "/" + id
			switch op := rng.IntN(10); {
			case op < 5:
				ttl := time.Duration(1+rng.IntN(20)) * time.Second
				if rng.IntN(5) == 0 {
					ttl = 0 // no lease
				}
				if _, _, err := r.Register(Registration{Service: svc, ID: id, Address: "10.0.0.1:80", TTL: ttl}); err != nil {
					t.Fatal(err)
				}
				model[key] = time.Time{}
				if ttl > 0 {
					model[key] = clk.Now().Add(ttl)
				}
			case op < 6:
				if _, err := r.Deregister(svc, id); err != nil {
					t.Fatal(err)
				}
				delete(model, key)
			default:
				clk.Advance(time.Duration(rng.IntN(3000)) * time.Millisecond)
				for k, exp := range model {
					if !exp.IsZero() && !clk.Now().Before(exp) {
						delete(model, k)
					}
				}
			}
			checkAgainstModel(t, r, model, fmt.Sprintf("seed %d step %d", seed, step))
		}
	}
}

func checkAgainstModel(t *testing.T, r *Registry, model map[string]time.Time, where string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count != len(model) {
		t.Fatalf("%s: registry holds %d, model %d", where, r.count, len(model))
	}
	leased := 0
	for _, exp := range model {
		if !exp.IsZero() {
			leased++
		}
	}
	if len(r.leases) != leased {
		t.Fatalf("%s: lease heap holds %d, model %d leases", where, len(r.leases), leased)
	}
	for i, inst := range r.leases {
		if inst.leaseIdx != i+1 || r.services[inst.Service][inst.ID] != inst {
			t.Fatalf("%s: lease heap entry %d (%s/%s) is stale", where, i, inst.Service, inst.ID)
		}
		if i > 0 && r.leases.Less(i, (i-1)/2) {
			t.Fatalf("%s: lease heap out of order at %d", where, i)
		}
	}
	for service, instances := range r.services {
		ids := r.order[service]
		if !slices.IsSorted(ids) || len(ids) != len(instances) {
			t.Fatalf("%s: order of %s = %v for %d instances", where, service, ids, len(instances))
		}
		for _, id := range ids {
			if _, ok := model[service+"/"+id]; !ok {
				t.Fatalf("%s: %s/%s is registered, the model has it gone", where, service, id)
			}
		}
		if got := len(r.Dials(service)); got != len(ids) {
			t.Fatalf("%s: %s routes %d of %d instances", where, service, got, len(ids))
		}
	}
	if r.names.Len() != len(r.services) {
		t.Fatalf("%s: %d service names for %d services", where, r.names.Len(), len(r.services))
	}
	if r.routes.len() != len(r.services) {
		t.Fatalf("%s: routes for %d services, registry has %d", where, r.routes.len(), len(r.services))
	}
}

// TestPackedMetadataRoundTrips: what packMeta packs, unpackMeta gives
// back, whatever the keys and values (empty values, long ones, any bytes),
// and equal maps pack equal (so a renewal compares them as strings).
func TestPackedMetadataRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for range 500 {
		md := map[string]string{}
		for range rng.IntN(6) {
			k := fmt.Sprintf("k%d/%d", rng.IntN(100), rng.IntN(3))
			v := make([]byte, rng.IntN(300))
			for i := range v {
				v[i] = byte(rng.IntN(256))
			}
			md[k] = string(v)
		}
		packed := packMeta(md)
		got := unpackMeta(packed)
		if len(md) == 0 {
			if packed != "" || len(got) != 0 {
				t.Fatalf("empty metadata packed as %q", packed)
			}
			continue
		}
		if !maps.Equal(got, md) {
			t.Fatalf("round trip: %v became %v", md, got)
		}
		if again := packMeta(maps.Clone(md)); again != packed {
			t.Fatal("equal maps packed differently")
		}
	}
}
