package introspect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// endpoint is a fake introspection endpoint: tokens → answers.
type endpoint struct {
	srv     *httptest.Server
	mu      sync.Mutex
	answers map[string]map[string]any
	status  atomic.Int32 // non-zero: answer with it
	calls   atomic.Int64
	gate    chan struct{} // when set, calls wait for it to close
	auth    string
}

func newEndpoint(t *testing.T) *endpoint {
	e := &endpoint{answers: map[string]map[string]any{}}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.calls.Add(1)
		if e.gate != nil {
			<-e.gate
		}
		e.mu.Lock()
		e.auth = r.Header.Get("Authorization")
		e.mu.Unlock()
		if s := e.status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad request", 400)
			return
		}
		e.mu.Lock()
		a, ok := e.answers[r.PostFormValue("token")]
		e.mu.Unlock()
		if !ok {
			a = map[string]any{"active": false}
		}
		_ = json.NewEncoder(w).Encode(a)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) set(token string, answer map[string]any) {
	e.mu.Lock()
	e.answers[token] = answer
	e.mu.Unlock()
}

func newIntrospector(e *endpoint, clock *fakeClock, mod func(*Config[map[string]any])) *Introspector[map[string]any] {
	cfg := Config[map[string]any]{
		Endpoint: e.srv.URL, ClientID: "gate way", ClientSecret: "s:cret",
		MaxTTL: time.Minute, InactiveTTL: 10 * time.Second, Now: clock.Now,
		Prepare: func(c map[string]any) map[string]any { return c },
	}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func TestActiveAnswersAreCachedUntilExpOrTheBound(t *testing.T) {
	e := newEndpoint(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	in := newIntrospector(e, clock, nil)
	e.set("long", map[string]any{"active": true, "sub": "alice", "exp": float64(1e9 + 3600)})
	e.set("short", map[string]any{"active": true, "sub": "bob", "exp": float64(1e9 + 20)})

	check := func(tok string, active, cached bool) {
		t.Helper()
		a, err := in.Check(context.Background(), tok)
		if err != nil || a.Active != active || a.Cached != cached {
			t.Fatalf("%s: %+v, %v; want active %v cached %v", tok, a, err, active, cached)
		}
	}
	check("long", true, false)
	if a, _ := in.Check(context.Background(), "long"); a.Val["sub"] != "alice" {
		t.Fatalf("claims %v", a.Val)
	}
	check("short", true, false)
	check("short", true, true)
	clock.Add(20 * time.Second) // short's exp
	check("long", true, true)
	check("short", false, false) // asked again at its exp: expired, whatever the endpoint says
	// revoked: within the bound (a minute) the cache still answers, then not
	e.set("long", map[string]any{"active": false})
	clock.Add(39 * time.Second)
	check("long", true, true)
	clock.Add(time.Second)
	check("long", false, false)
	if got := e.calls.Load(); got != 4 {
		t.Fatalf("%d calls, want 4", got)
	}
}

func TestInactiveAnswersAreCachedBriefly(t *testing.T) {
	e := newEndpoint(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	in := newIntrospector(e, clock, nil)
	for range 3 {
		if a, err := in.Check(context.Background(), "nope"); err != nil || a.Active {
			t.Fatalf("%+v %v", a, err)
		}
	}
	if e.calls.Load() != 1 {
		t.Fatalf("%d calls", e.calls.Load())
	}
	clock.Add(10 * time.Second)
	e.set("nope", map[string]any{"active": true})
	if a, _ := in.Check(context.Background(), "nope"); !a.Active || a.Cached {
		t.Fatalf("after the inactive TTL: %+v", a)
	}
}

func TestCacheSizesAreBounded(t *testing.T) {
	e := newEndpoint(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	in := newIntrospector(e, clock, func(c *Config[map[string]any]) { c.CacheSize, c.InactiveCacheSize = 64, 32 })
	for i := range 500 {
		tok := fmt.Sprint("t", i)
		e.set(tok, map[string]any{"active": i%2 == 0})
		if _, err := in.Check(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	act, inact := in.Len()
	// each of the 32 shards holds at most ceil(size/32)
	if act > 64 || inact > 32 || act < 32 || inact < 16 {
		t.Fatalf("remembered %d active, %d inactive; bounds 64 and 32", act, inact)
	}
}

func TestConcurrentChecksOfOneTokenMakeOneCall(t *testing.T) {
	e := newEndpoint(t)
	e.gate = make(chan struct{})
	e.set("new", map[string]any{"active": true, "sub": "carol"})
	in := newIntrospector(e, &fakeClock{now: time.Unix(1e9, 0)}, nil)
	var wg sync.WaitGroup
	var active atomic.Int64
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a, err := in.Check(context.Background(), "new"); err == nil && a.Active {
				active.Add(1)
			}
		}()
	}
	for e.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the others queue behind the call
	close(e.gate)
	wg.Wait()
	if e.calls.Load() != 1 || active.Load() != 100 {
		t.Fatalf("%d calls, %d active; want 1 and 100", e.calls.Load(), active.Load())
	}
}

func TestEndpointFailuresAreUnavailableNeverInactive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		backoff bool
	}{
		{"503", 503, true},
		{"500", 500, false},
		{"401 (wrong client secret)", 401, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoint(t)
			e.status.Store(int32(tc.status))
			clock := &fakeClock{now: time.Unix(1e9, 0)}
			in := newIntrospector(e, clock, nil)
			_, err := in.Check(context.Background(), "tok")
			var u *UnavailableError
			if !errors.As(err, &u) || u.RetryAfter <= 0 {
				t.Fatalf("error %v", err)
			}
			_, _ = in.Check(context.Background(), "tok")
			want := int64(2)
			if tc.backoff {
				want = 1 // the second check failed fast
			}
			if e.calls.Load() != want {
				t.Fatalf("%d calls, want %d", e.calls.Load(), want)
			}
			// never remembered: once the endpoint answers, it counts
			e.status.Store(0)
			e.set("tok", map[string]any{"active": true})
			clock.Add(time.Second)
			if a, err := in.Check(context.Background(), "tok"); err != nil || !a.Active {
				t.Fatalf("after recovery: %+v %v", a, err)
			}
		})
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	e := newEndpoint(t)
	e.srv.Close()
	in := newIntrospector(e, &fakeClock{now: time.Unix(1e9, 0)}, nil)
	_, err := in.Check(context.Background(), "secret-token-value")
	var u *UnavailableError
	if !errors.As(err, &u) {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "secret-token-value") {
		t.Fatalf("the error names the token: %v", err)
	}
}

func TestClientAuthenticationAndTokenSize(t *testing.T) {
	e := newEndpoint(t)
	in := newIntrospector(e, &fakeClock{now: time.Unix(1e9, 0)}, func(c *Config[map[string]any]) { c.MaxTokenSize = 10 })
	if _, err := in.Check(context.Background(), strings.Repeat("x", 11)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if e.calls.Load() != 0 {
		t.Fatal("a too large token was sent")
	}
	_, _ = in.Check(context.Background(), "ok")
	// "gate way":"s:cret" form-encoded: gate+way:s%3Acret
	if e.auth != "Basic Z2F0ZSt3YXk6cyUzQWNyZXQ=" {
		t.Fatalf("Authorization %q", e.auth)
	}
}

func TestParseResponse(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"active":true,"sub":"a","exp":1700000000}`: true,
		`{"active":false}`:                           true,
		`{"active":"true"}`:                          false,
		`{"sub":"a"}`:                                false,
		`{"active":false,"active":true}`:             false,
		`{"active":true,"exp":"soon"}`:               false,
		`{"active":true} {"active":false}`:           false,
		`[]`:                                         false,
		``:                                           false,
	} {
		r, err := ParseResponse([]byte(body))
		if (err == nil) != ok {
			t.Errorf("%s: %+v %v", body, r, err)
		}
	}
	r, _ := ParseResponse([]byte(`{"active":true,"exp":1700000000.5}`))
	if !r.HasExp || !r.Exp.Equal(time.Unix(1700000000, 5e8)) {
		t.Fatalf("exp %v", r.Exp)
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"active":true,"sub":"a","scope":"read write","exp":1700000000,"aud":["x","y"]}`))
	f.Add([]byte(`{"active":false}`))
	f.Add([]byte(`{"active":true,"active":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			return
		}
		if r.Active != (r.Claims["active"] == true) {
			t.Fatalf("active %v, claims %v", r.Active, r.Claims)
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			t.Fatalf("accepted what encoding/json refuses: %q", b)
		}
	})
}

// TestRedirectsAreNotFollowed: an endpoint that redirects (to another
// host, perhaps over plain HTTP) makes the check unavailable; the
// client's secret and the token never reach where it points, and the
// answer from there is never trusted.
func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newEndpoint(t)
	elsewhere.set("tok", map[string]any{"active": true, "sub": "mallory"})
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.srv.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	e := &endpoint{srv: redirector}
	in := newIntrospector(e, &fakeClock{now: time.Unix(1e9, 0)}, nil)
	a, err := in.Check(context.Background(), "tok")
	var u *UnavailableError
	if !errors.As(err, &u) {
		t.Fatalf("a redirecting endpoint gave %+v, %v; want unavailable", a, err)
	}
	if n := elsewhere.calls.Load(); n != 0 {
		t.Fatalf("the redirect was followed: %d calls where it pointed", n)
	}
}

// TestActiveAnswerPastItsExpIsInactive: an endpoint that says active for
// a token whose exp has passed does not let it in.
func TestActiveAnswerPastItsExpIsInactive(t *testing.T) {
	e := newEndpoint(t)
	clock := &fakeClock{now: time.Unix(1e9, 0)}
	e.set("old", map[string]any{"active": true, "sub": "alice", "exp": clock.Now().Add(-100 * time.Second).Unix()})
	e.set("exact", map[string]any{"active": true, "sub": "alice", "exp": clock.Now().Unix()})
	in := newIntrospector(e, clock, nil)
	for _, tok := range []string{"old", "exact"} {
		if a, err := in.Check(context.Background(), tok); err != nil || a.Active {
			t.Fatalf("%s: active answer past exp gave %+v, %v; want inactive", tok, a, err)
		}
	}
}
