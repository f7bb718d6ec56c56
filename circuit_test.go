package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
)

func newBreaker(t *testing.T, cb *CircuitBreaker, clk *fakeNanos) *CircuitBreaker {
	t.Helper()
	cb.now = clk.now
	// the tests of the state machine send each request as another client;
	// the client rules have tests of their own
	if cb.MinClients == 0 {
		cb.MinClients = 1
	}
	if err := cb.setup(zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	if err := cb.Validate(); err != nil {
		t.Fatal(err)
	}
	return cb
}

type breakerResult struct {
	code    int
	reached bool // the wrapped handler ran
	header  http.Header
	body    map[string]any
}

// through sends a request for path through the breaker to a handler that
// answers status (or fails with err).
func through(t *testing.T, cb *CircuitBreaker, path string, status int, err error) breakerResult {
	t.Helper()
	clientSeq++
	return throughAs(t, cb, fmt.Sprintf("client-%d", clientSeq), path, status, err)
}

var clientSeq int

// throughAs is through for a request of a given client (its user id).
func throughAs(t *testing.T, cb *CircuitBreaker, client, path string, status int, err error) breakerResult {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	repl := caddyhttp.NewTestReplacer(r)
	repl.Set("http.auth.user.id", client)
	r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
	rec := httptest.NewRecorder()
	var res breakerResult
	gotErr := cb.ServeHTTP(rec, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		res.reached = true
		if err != nil {
			return err
		}
		w.WriteHeader(status)
		return nil
	}))
	if !errors.Is(gotErr, err) {
		t.Fatalf("the breaker returned %v, want the wrapped handler's %v", gotErr, err)
	}
	res.code, res.header = rec.Code, rec.Header()
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(rec.Body.Bytes(), &res.body)
	}
	return res
}

func TestCircuitOpensHalfOpensAndCloses(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{Name: "t1", MinRequests: 4, FailureRatio: 0.5, Window: caddy.Duration(10 * time.Second),
		OpenFor: caddy.Duration(5 * time.Second), HalfOpenRequests: 2}, clk)
	opens := testutil.ToFloat64(metrics.circuitTransitions.WithLabelValues("t1", "open"))

	through(t, cb, "/", 200, nil)
	through(t, cb, "/", 500, nil)
	through(t, cb, "/", 200, nil)
	if res := through(t, cb, "/", 503, nil); !res.reached {
		t.Fatal("the 4th request (which opens the circuit) did not reach the service")
	}
	res := through(t, cb, "/", 200, nil)
	if res.reached || res.code != 503 || res.header.Get("Retry-After") != "5" || res.body["retry_after"] != 5.0 {
		t.Fatalf("open circuit: reached=%v %d Retry-After %q %v", res.reached, res.code, res.header.Get("Retry-After"), res.body)
	}
	if n := testutil.ToFloat64(metrics.circuitTransitions.WithLabelValues("t1", "open")) - opens; n != 1 {
		t.Fatalf("open transitions counted: %v", n)
	}
	clk.advance(4 * time.Second)
	if res := through(t, cb, "/", 200, nil); res.reached || res.header.Get("Retry-After") != "1" {
		t.Fatalf("1s before half-open: reached=%v Retry-After %q", res.reached, res.header.Get("Retry-After"))
	}

	// half-open: two trials pass and close the circuit
	clk.advance(time.Second)
	if res := through(t, cb, "/", 200, nil); !res.reached {
		t.Fatal("first trial refused")
	}
	if res := through(t, cb, "/", 200, nil); !res.reached {
		t.Fatal("second trial refused")
	}
	for i := range 10 {
		if res := through(t, cb, "/", 200, nil); !res.reached {
			t.Fatalf("closed again, request %d refused", i)
		}
	}
}

func TestCircuitFailedTrialOpensAgain(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{MinRequests: 2, OpenFor: caddy.Duration(time.Second), HalfOpenRequests: 3}, clk)
	through(t, cb, "/", 502, nil)
	through(t, cb, "/", 502, nil)
	clk.advance(time.Second)
	if res := through(t, cb, "/", 500, nil); !res.reached {
		t.Fatal("the trial was refused")
	}
	if res := through(t, cb, "/", 200, nil); res.reached || res.code != 503 {
		t.Fatalf("after a failed trial: reached=%v %d; want open again", res.reached, res.code)
	}
}

// A trial whose client goes away mid-answer (reverse_proxy panics with
// http.ErrAbortHandler, past the code after next.ServeHTTP) is abandoned,
// not left to time out as a failed trial that opens the circuit again.
func TestCircuitAbortedTrialIsAbandoned(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{MinRequests: 2, OpenFor: caddy.Duration(30 * time.Second), HalfOpenRequests: 1,
		TrialTimeout: caddy.Duration(time.Second)}, clk)
	through(t, cb, "/", 502, nil)
	through(t, cb, "/", 502, nil)
	clk.advance(30 * time.Second)
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		r := httptest.NewRequest("GET", "/", nil)
		repl := caddyhttp.NewTestReplacer(r)
		repl.Set("http.auth.user.id", "aborts")
		r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
		_ = cb.ServeHTTP(httptest.NewRecorder(), r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(200)
			panic(http.ErrAbortHandler) // as reverse_proxy does when the client goes away mid-answer
		}))
	}()
	clk.advance(2 * time.Second) // past trial_timeout
	if res := through(t, cb, "/", 200, nil); !res.reached {
		t.Fatal("after a trial aborted by its client, the next trial was refused: the aborted one counted as failed")
	}
	if res := through(t, cb, "/", 200, nil); !res.reached {
		t.Fatal("the circuit did not close after a good trial")
	}
}

func TestCircuitCountsOnlyWithinTheWindowAndPerKey(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{Key: "{http.request.uri.path.0}", MinRequests: 4, FailureRatio: 0.5,
		Window: caddy.Duration(10 * time.Second)}, clk)
	through(t, cb, "/a/x", 500, nil)
	through(t, cb, "/a/x", 500, nil)
	clk.advance(11 * time.Second) // those failures leave the window
	through(t, cb, "/a/x", 200, nil)
	through(t, cb, "/a/x", 200, nil)
	through(t, cb, "/a/x", 500, nil)
	if res := through(t, cb, "/a/x", 200, nil); !res.reached {
		t.Fatal("failures outside the window opened the circuit")
	}
	for range 4 {
		through(t, cb, "/b/x", 500, nil)
	}
	if res := through(t, cb, "/b/x", 200, nil); res.reached {
		t.Fatal("service b's circuit did not open")
	}
	if res := through(t, cb, "/a/x", 200, nil); !res.reached {
		t.Fatal("service b's failures opened service a's circuit")
	}
}

func TestCircuitCountsHandlerErrorsAndIgnoresGoneClients(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{MinRequests: 2, FailureStatus: []string{"502", "503"}}, clk)
	proxyErr := caddyhttp.Error(http.StatusBadGateway, errors.New("dial tcp: refused"))
	through(t, cb, "/", 0, proxyErr)
	through(t, cb, "/", 500, nil) // not in failure_status
	through(t, cb, "/", 0, proxyErr)
	if res := through(t, cb, "/", 200, nil); res.reached {
		t.Fatal("two 502 errors of three requests did not open the circuit")
	}

	// a client that gave up says nothing about the service
	cb2 := newBreaker(t, &CircuitBreaker{MinRequests: 1}, clk)
	r := httptest.NewRequest("GET", "/", nil)
	ctx, cancel := context.WithCancel(r.Context())
	cancel()
	r = r.WithContext(context.WithValue(ctx, caddy.ReplacerCtxKey, caddyhttp.NewTestReplacer(r)))
	_ = cb2.ServeHTTP(httptest.NewRecorder(), r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return context.Canceled }))
	if res := through(t, cb2, "/", 200, nil); !res.reached {
		t.Fatal("a canceled request counted as a failure")
	}
}

func TestCircuitKeysAreBounded(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{Key: "{http.request.uri.path.0}", MaxKeys: 10}, clk)
	for i := range 100 {
		through(t, cb, "/k"+strings.Repeat("x", i)+"/", 200, nil)
	}
	if n := cb.engine.Len(); n > 10 {
		t.Fatalf("%d circuits tracked; max_keys is 10", n)
	}
}

func TestCircuitConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cb   CircuitBreaker
		says string
	}{
		{CircuitBreaker{FailureStatus: []string{"6xx"}}, `failure_status "6xx"`},
		{CircuitBreaker{FailureStatus: []string{"abc"}}, `failure_status "abc"`},
		{CircuitBreaker{FailureRatio: 2}, "failure_ratio 2"},
		{CircuitBreaker{Window: caddy.Duration(time.Millisecond)}, "window 1ms must be at least 1s"},
	} {
		cb := tc.cb
		err := cb.setup(zap.NewNop())
		if err == nil {
			err = cb.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: err = %v, want %q", tc.cb, err, tc.says)
		}
	}
}

// TestCircuitLongKeysAreHashed: keys come from requests; a long one costs
// no more to remember than a short one.
func TestCircuitLongKeysAreHashed(t *testing.T) {
	clk := new(fakeNanos)
	cb := newBreaker(t, &CircuitBreaker{Key: "{http.request.uri.path}"}, clk)
	through(t, cb, "/"+strings.Repeat("a", 5000), 200, nil)
	for k := range cb.engine.States() {
		if len(k) > maxKeyLen+len(hashedKeyMark) {
			t.Fatalf("a circuit key of %d bytes is kept", len(k))
		}
	}
}
