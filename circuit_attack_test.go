package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// throughInstance sends a request of client to the breaker; the wrapped
// handler answers status as if from the upstream instance.
func throughInstance(t *testing.T, cb *CircuitBreaker, client, instance string, status int) breakerResult {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	repl := caddyhttp.NewTestReplacer(r)
	repl.Set("http.auth.user.id", client)
	r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
	rec := httptest.NewRecorder()
	var res breakerResult
	_ = cb.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		res.reached = true
		repl.Set("http.reverse_proxy.upstream.hostport", instance)
		w.WriteHeader(status)
		return nil
	}))
	res.code = rec.Code
	return res
}

// TestCircuitAFewClientsCannotOpenIt: three users requesting a path that
// fails, as often as they like, do not switch the service off; many
// clients failing do.
func TestCircuitAFewClientsCannotOpenIt(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{MinClients: 3}, clk) // the defaults otherwise: 20 requests, ratio 0.5, 2 per client
	for range 30 {
		for _, attacker := range []string{"mallory", "trudy", "eve"} {
			throughInstance(t, cb, attacker, "10.0.0.1:80", 500)
		}
		clk.advance(100 * time.Millisecond)
	}
	if res := throughInstance(t, cb, "alice", "10.0.0.1:80", 200); !res.reached {
		t.Fatalf("three clients opened the circuit for everyone: %d", res.code)
	}
	// an outage: twelve clients see failures
	for i := range 12 {
		for range 2 {
			throughInstance(t, cb, fmt.Sprintf("user-%d", i), "10.0.0.1:80", 500)
		}
	}
	if res := throughInstance(t, cb, "alice", "10.0.0.1:80", 200); res.reached || res.code != 503 {
		t.Fatalf("failures of twelve clients did not open the circuit: reached=%v %d", res.reached, res.code)
	}
}

// TestCircuitFailuresOnSomeInstancesLeaveItClosed: failures confined to
// one instance of three are passive health's to handle, not a reason to
// cut the whole service off.
func TestCircuitFailuresOnSomeInstancesLeaveItClosed(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{MinClients: 3}, clk)
	for i := range 30 {
		user := fmt.Sprintf("user-%d", i)
		throughInstance(t, cb, user, "10.0.0.1:80", 500)
		throughInstance(t, cb, user, "10.0.0.2:80", 200)
		throughInstance(t, cb, user, "10.0.0.3:80", 200)
		throughInstance(t, cb, user, "10.0.0.1:80", 500)
	}
	if res := throughInstance(t, cb, "alice", "10.0.0.2:80", 200); !res.reached {
		t.Fatal("failures of one instance of three opened the service's circuit")
	}
	for i := range 30 {
		user := fmt.Sprintf("other-%d", i)
		throughInstance(t, cb, user, "10.0.0.2:80", 500)
		throughInstance(t, cb, user, "10.0.0.3:80", 500)
	}
	if res := throughInstance(t, cb, "alice", "10.0.0.2:80", 200); res.reached {
		t.Fatal("failures of every instance did not open the circuit")
	}
}
