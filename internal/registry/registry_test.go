package registry

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
)

// fakeClock is a clock whose time only moves when the test says so. Timers
// fire, in order of their deadlines, during Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves time forward by d, firing every timer due on the way.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		var due *fakeTimer
		for i, t := range c.timers {
			if !t.stopped && !t.at.After(end) {
				due = t
				c.timers = append(c.timers[:i], c.timers[i+1:]...)
				break
			}
		}
		if due == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		if due.at.After(c.now) {
			c.now = due.at
		}
		due.stopped = true
		c.mu.Unlock()
		due.f()
	}
}

func newTestRegistry() (*Registry, *fakeClock) {
	c := newFakeClock()
	r := newRegistry(c, zap.NewNop())
	r.settings.Policy = testPolicy
	return r, c
}

// testPolicy is the address policy of unit tests: the fixed rules, with
// host names resolved without DNS (localhost to loopback, any other name
// to a documentation address).
var testPolicy = &addrpolicy.Policy{Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
	if host == "localhost" {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("203.0.113.77")}, nil
}}

func mustRegister(t *testing.T, r *Registry, reg Registration) (Instance, bool) {
	t.Helper()
	inst, created, err := r.Register(reg)
	if err != nil {
		t.Fatalf("Register(%+v): %v", reg, err)
	}
	return inst, created
}

func TestLeaseExpiresWithoutRenewal(t *testing.T) {
	r, clk := newTestRegistry()
	mustRegister(t, r, Registration{Service: "svc", Address: "127.0.0.1:9001", TTL: 10 * time.Second})
	mustRegister(t, r, Registration{Service: "svc", Address: "127.0.0.1:9002"}) // no lease

	clk.Advance(9*time.Second + 999*time.Millisecond)
	if got := r.Dials("svc"); !slices.Equal(got, []string{"127.0.0.1:9001", "127.0.0.1:9002"}) {
		t.Fatalf("before the lease ends: dials = %v", got)
	}
	clk.Advance(time.Millisecond)
	if got := r.Dials("svc"); !slices.Equal(got, []string{"127.0.0.1:9002"}) {
		t.Fatalf("when the lease ends: dials = %v, want only the instance without a lease", got)
	}
	if _, ok := r.Instance("svc", "127.0.0.1:9001"); ok {
		t.Fatal("expired instance is still listed")
	}
	clk.Advance(1000 * time.Hour)
	if r.Len() != 1 {
		t.Fatalf("instance without a ttl was removed: Len = %d", r.Len())
	}
}

func TestRegisteringAgainRenewsTheLease(t *testing.T) {
	r, clk := newTestRegistry()
	reg := Registration{Service: "svc", Address: "127.0.0.1:9001", TTL: 10 * time.Second}
	first, created := mustRegister(t, r, reg)
	if !created {
		t.Fatal("first registration not reported as new")
	}
	clk.Advance(6 * time.Second)
	renewed, created := mustRegister(t, r, reg)
	if created {
		t.Fatal("renewal reported as new")
	}
	if !renewed.RegisteredAt.Equal(first.RegisteredAt) {
		t.Errorf("renewal changed registered_at: %v -> %v", first.RegisteredAt, renewed.RegisteredAt)
	}
	if want := first.RegisteredAt.Add(16 * time.Second); !renewed.ExpiresAt.Equal(want) {
		t.Errorf("renewed lease ends at %v, want %v", renewed.ExpiresAt, want)
	}
	clk.Advance(9 * time.Second) // 15 s after the first registration, 9 after the renewal
	if len(r.Dials("svc")) != 1 {
		t.Fatal("renewed instance expired on its first lease")
	}
	clk.Advance(time.Second)
	if len(r.Dials("svc")) != 0 {
		t.Fatal("renewed instance did not expire at the end of its renewed lease")
	}
}

func TestDefaultTTLAppliesWhenRegistrationHasNone(t *testing.T) {
	r, clk := newTestRegistry()
	r.settings.DefaultTTL = 30 * time.Second
	inst, _ := mustRegister(t, r, Registration{Service: "svc", Address: "127.0.0.1:9001"})
	if inst.TTL != 30*time.Second {
		t.Fatalf("TTL = %v, want the default 30s", inst.TTL)
	}
	own, _ := mustRegister(t, r, Registration{Service: "svc", Address: "127.0.0.1:9002", TTL: time.Minute})
	if own.TTL != time.Minute {
		t.Fatalf("TTL = %v, want the registration's own 1m", own.TTL)
	}
	clk.Advance(30 * time.Second)
	if got := r.Dials("svc"); !slices.Equal(got, []string{"127.0.0.1:9002"}) {
		t.Fatalf("after 30s: dials = %v", got)
	}
	clk.Advance(30 * time.Second)
	if got := r.Dials("svc"); len(got) != 0 {
		t.Fatalf("after 60s: dials = %v", got)
	}
}

func TestManyLeasesExpireInOrder(t *testing.T) {
	r, clk := newTestRegistry()
	for i := 1; i <= 20; i++ {
		mustRegister(t, r, Registration{Service: "svc", Address: fmt.Sprintf("127.0.0.1:%d", 9000+i),
			TTL: time.Duration(i) * time.Second})
	}
	for i := 1; i <= 20; i++ {
		clk.Advance(time.Second)
		if got := r.Len(); got != 20-i {
			t.Fatalf("after %ds: %d instances, want %d", i, got, 20-i)
		}
	}
}

func TestUpdateReplacesTheEntry(t *testing.T) {
	r, _ := newTestRegistry()
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: "127.0.0.1:9001",
		Metadata: map[string]string{"version": "1"}})
	inst, created := mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: "127.0.0.1:9009"})
	if created {
		t.Fatal("update of an existing id reported as new")
	}
	if inst.Address != "127.0.0.1:9009" || inst.Metadata != nil {
		t.Fatalf("entry not replaced: %+v", inst)
	}
	if got := r.Dials("svc"); !slices.Equal(got, []string{"127.0.0.1:9009"}) {
		t.Fatalf("dials = %v after the address changed", got)
	}
}

func TestDialsAreOrderedByID(t *testing.T) {
	r, _ := newTestRegistry()
	for _, id := range []string{"c", "a", "b"} {
		mustRegister(t, r, Registration{Service: "svc", ID: id, Address: "10.0.0." + map[string]string{"a": "1", "b": "2", "c": "3"}[id] + ":80"})
	}
	want := []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"}
	for range 5 {
		if got := r.Dials("svc"); !slices.Equal(got, want) {
			t.Fatalf("dials = %v, want %v", got, want)
		}
	}
}

func TestDeregister(t *testing.T) {
	r, _ := newTestRegistry()
	mustRegister(t, r, Registration{Service: "svc", ID: "a", Address: "127.0.0.1:9001"})
	mustRegister(t, r, Registration{Service: "svc", ID: "b", Address: "127.0.0.1:9002"})
	mustRegister(t, r, Registration{Service: "svc", ID: "c", Address: "127.0.0.1:9002"})
	mustRegister(t, r, Registration{Service: "other", Address: "127.0.0.1:9003"})

	if found, _ := r.Deregister("svc", "zz"); found {
		t.Error("deregistering an unknown id reported success")
	}
	if found, _ := r.Deregister("svc", "a"); !found {
		t.Error("deregistering a known id reported failure")
	}
	if n, _ := r.DeregisterAddress("svc", "127.0.0.1:9002"); n != 2 {
		t.Errorf("DeregisterAddress removed %d, want 2", n)
	}
	if _, ok := r.Instances("svc"); ok {
		t.Error("service with no instances left is still listed")
	}
	if n, _ := r.DeregisterService("other"); n != 1 {
		t.Errorf("DeregisterService removed %d, want 1", n)
	}
	if n, _ := r.DeregisterService("other"); n != 0 {
		t.Errorf("second DeregisterService removed %d, want 0", n)
	}
	if r.Len() != 0 || len(r.All()) != 0 || r.routes.len() != 0 {
		t.Errorf("registry not empty: Len=%d All=%v routes=%v", r.Len(), r.All(), r.routes.len())
	}
}

func TestCapsRefuseNewInstancesButNotRenewals(t *testing.T) {
	r, _ := newTestRegistry()
	r.settings.MaxPerService = 2
	r.settings.MaxInstances = 3
	mustRegister(t, r, Registration{Service: "a", Address: "127.0.0.1:1"})
	mustRegister(t, r, Registration{Service: "a", Address: "127.0.0.1:2"})
	_, _, err := r.Register(Registration{Service: "a", Address: "127.0.0.1:3"})
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "max_instances_per_service") {
		t.Fatalf("third instance of a service: err = %v, want 409 naming max_instances_per_service", err)
	}
	mustRegister(t, r, Registration{Service: "a", Address: "127.0.0.1:2"}) // renewal at the cap
	mustRegister(t, r, Registration{Service: "b", Address: "127.0.0.1:4"})
	_, _, err = r.Register(Registration{Service: "c", Address: "127.0.0.1:5"})
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "max_instances") {
		t.Fatalf("fourth instance in all: err = %v, want 409 naming max_instances", err)
	}
	if r.Len() != 3 {
		t.Fatalf("Len = %d after refusals, want 3", r.Len())
	}
}

func TestRegisterRefusesInvalidInput(t *testing.T) {
	r, _ := newTestRegistry()
	for _, reg := range []Registration{
		{Service: "", Address: "127.0.0.1:1"},
		{Service: "a/b", Address: "127.0.0.1:1"},
		{Service: "a", Address: "127.0.0.1"},
		{Service: "a", Address: "127.0.0.1:1", ID: "x/y"},
		{Service: "a", Address: "127.0.0.1:1", TTL: time.Millisecond},
		{Service: "a", Address: "127.0.0.1:1", Metadata: map[string]string{"": "x"}},
	} {
		if _, _, err := r.Register(reg); !errors.Is(err, ErrInvalid) {
			t.Errorf("Register(%+v): err = %v, want a 400", reg, err)
		}
	}
	if r.Len() != 0 {
		t.Fatalf("invalid registrations registered something: Len = %d", r.Len())
	}
}

func TestConcurrentRegisterDeregisterLookup(t *testing.T) {
	r, _ := newTestRegistry()
	const writers, rounds = 8, 300
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := range writers {
					for _, d := range r.Dials(fmt.Sprintf("svc%d", i)) {
						if !strings.HasPrefix(d, "127.0.0.1:") {
							t.Errorf("bad dial %q", d)
							return
						}
					}
				}
				_ = r.All()
			}
		}()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := fmt.Sprintf("svc%d", w)
			for i := range rounds {
				addr := fmt.Sprintf("127.0.0.1:%d", 1000+i%50)
				if _, _, err := r.Register(Registration{Service: svc, Address: addr, TTL: time.Hour}); err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					_, _ = r.Deregister(svc, addr)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	// the published routes agree with the registry's own state
	total := 0
	for svc, instances := range r.All() {
		total += len(instances)
		var want []string
		for _, inst := range instances {
			want = append(want, inst.Address)
		}
		if got := r.Dials(svc); !slices.Equal(got, want) {
			t.Errorf("%s: dials %v, instances %v", svc, got, want)
		}
	}
	if total != r.Len() {
		t.Errorf("count %d, instances listed %d", r.Len(), total)
	}
}

func TestNormalizeAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:9090", "127.0.0.1:9090"},
		{"http://127.0.0.1:9090", "127.0.0.1:9090"},
		{"HTTP://127.0.0.1:9090/", "127.0.0.1:9090"},
		{"localhost:80", "localhost:80"},
		{"svc.internal:8080", "svc.internal:8080"},
		{"[::1]:8080", "[::1]:8080"},
		{"[::ffff:127.0.0.1]:8080", "127.0.0.1:8080"},
		{"[2001:DB8::1]:443", "[2001:db8::1]:443"},
		{"127.0.0.1:08080", "127.0.0.1:8080"},
	} {
		got, err := NormalizeAddress(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeAddress(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, says string }{
		{"", "empty"},
		{"127.0.0.1", "no port"},
		{"localhost", "no port"},
		{"[::1]", "no port"},
		{"127.0.0.1:0", "1 to 65535"},
		{"127.0.0.1:65536", "1 to 65535"},
		{"127.0.0.1:-1", "1 to 65535"},
		{"127.0.0.1:+80", "1 to 65535"},
		{"127.0.0.1:http", "1 to 65535"},
		{":8080", "no host"},
		{"127.0.0.1:80/api", "path"},
		{"http://127.0.0.1:80/api", "path"},
		{"127.0.0.1:80?x=1", "query"},
		{"https://127.0.0.1:443", "https:// is not accepted"},
		{"ftp://127.0.0.1:21", "scheme"},
		{"unix//run/x.sock", "path"},
		{"user@127.0.0.1:80", "user info"},
		{"bad host:80", "neither an IP address nor a valid DNS name"},
		{"a..b:80", "neither an IP address"},
		{"[fe80::1%eth0]:80", "zones"},
		{"1.2.3.4:5:6", "not host:port"},
		{strings.Repeat("a", 400) + ":80", "long"},
	} {
		_, err := NormalizeAddress(tc.in)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("NormalizeAddress(%q): err = %v; want a 400 saying %q", tc.in, err, tc.says)
		}
	}
}

func TestValidateServiceName(t *testing.T) {
	for _, ok := range []string{"hello_service", "a", "A-b.c_d", "v2", strings.Repeat("x", 128)} {
		if err := ValidateServiceName(ok); err != nil {
			t.Errorf("ValidateServiceName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "a/b", "é", "{x}", "a%20", strings.Repeat("x", 129)} {
		if err := ValidateServiceName(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateServiceName(%q) = %v, want a 400", bad, err)
		}
	}
}

// testSettings are the registry's defaults with the test address policy.
var testSettings = func() Settings {
	s := defaultSettings
	s.Policy = testPolicy
	return s
}()

// Len returns the number of registered instances.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

func FuzzNormalizeAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "http://a:1/", "[::1]:1", "a:b:c", "https://x:1", "x:0", "[fe80::1%25eth0]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		got, err := NormalizeAddress(addr)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error is not a 400: %v", err)
			}
			return
		}
		if again, err := NormalizeAddress(got); err != nil || again != got {
			t.Fatalf("%q -> %q -> %q, %v: not idempotent", addr, got, again, err)
		}
		if err := ValidateID(got); err != nil {
			t.Fatalf("normalized address %q is not a valid id: %v", got, err)
		}
	})
}
