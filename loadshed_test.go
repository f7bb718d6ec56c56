package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func TestCaddyfileLoadShed(t *testing.T) {
	cfg, err := adapt(t, `:8080 {
	load_shed /api/* {
		name api
		key {http.request.uri.path.0}
		service {http.request.uri.path.0}
		client_key {http.request.header.X-Tenant}
		priority {http.auth.user.plan} {
			gold 2
			silver 1
			default -1
		}
		initial_limit 10
		min_limit 2
		max_limit 200
		tolerance 1.5
		queue_size 0
		max_wait 20ms
		max_keys 50
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	for _, want := range []string{
		`"handler":"load_shed"`, `"name":"api"`, `"key":"{http.request.uri.path.0}"`, `"service":"{http.request.uri.path.0}"`,
		`"client_key":"{http.request.header.X-Tenant}"`, `"priority":"{http.auth.user.plan}"`,
		`"priorities":{"gold":2,"silver":1}`, `"default_priority":-1`, `"initial_limit":10`, `"min_limit":2`,
		`"max_limit":200`, `"tolerance":1.5`, `"queue_size":-1`, `"max_wait":20000000`, `"max_keys":50`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("adapted config lacks %s:\n%s", want, raw)
		}
	}
}

func TestCaddyfileLoadShedErrors(t *testing.T) {
	site := func(body string) string { return ":8080 {\n" + body + "\n}" }
	for _, tc := range []struct{ caddyfile, says string }{
		{site("load_shed now"), `takes a block, not the argument "now"`},
		{site("load_shed {\n min_limit 0\n}"), `min_limit "0" must be a whole number from 1 up`},
		{site("load_shed {\n min_limit 10\n max_limit 5\n}"), "min_limit 10 is above max_limit 5"},
		{site("load_shed {\n tolerance 0.5\n}"), `tolerance "0.5" must be a ratio from 1 to 10`},
		{site("load_shed {\n max_wait soon\n}"), `max_wait "soon" is not a positive duration`},
		{site("load_shed {\n queue_size -1\n}"), `queue_size "-1" must be a whole number from 0 up`},
		{site("load_shed {\n key {http.auht.user.id}\n}"), "never has a value"},
		{site("load_shed {\n service bad/name\n}"), "service"},
		{site("load_shed {\n priority\n}"), "priority needs a placeholder"},
		{site("load_shed {\n priority {http.auth.user.plan} {\n gold high\n }\n}"), `priority gold: level "high" must be a whole number`},
		{site("load_shed {\n priority {http.auth.user.plan} {\n gold 1\n gold 2\n }\n}"), "priority gold is given twice"},
		{site("load_shed {\n limit 5\n}"), `unrecognized subdirective "limit"; load_shed knows: name`},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
	}
}

// load_shed sits right before reverse_proxy: after response_cache (a
// cached answer never waits for a slot) and after circuit_breaker (a
// request the open circuit refuses takes no slot), after throttle and
// authentication (a refused request takes no slot).
func TestLoadShedDirectiveOrder(t *testing.T) {
	cfg, err := adapt(t, `:8080 {
	reverse_proxy 127.0.0.1:9
	load_shed
	circuit_breaker
	response_cache
	throttle {
		rate 1/s
	}
	jwt_auth {
		secret x
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	s := string(raw)
	last := -1
	for _, h := range []string{`"jwt_auth"`, `"throttle"`, `"response_cache"`, `"circuit_breaker"`, `"load_shed"`, `"reverse_proxy"`} {
		i := strings.Index(s[last+1:], `"handler":`+h)
		if i < 0 {
			t.Fatalf("handler %s out of order (not after %d):\n%s", h, last, s)
		}
		last += 1 + i
	}
}

// Validate rejects what the Caddyfile parser cannot see (JSON configs).
func TestLoadShedValidate(t *testing.T) {
	for _, tc := range []struct {
		ls   LoadShed
		says string
	}{
		{LoadShed{MinLimit: 9, MaxLimit: 3}, "min_limit 9 is above max_limit 3"},
		{LoadShed{Tolerance: 0.9}, "tolerance"},
		{LoadShed{QueueSize: 1 << 20}, "queue_size"},
		{LoadShed{Priorities: map[string]int{"gold": 1}}, "priority placeholder"},
		{LoadShed{ClientKey: "{oops"}, "client_key"},
	} {
		if err := tc.ls.Validate(); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: %v, want it to say %q", tc.ls, err, tc.says)
		}
	}
	if err := (&LoadShed{}).Validate(); err != nil {
		t.Errorf("the zero config: %v", err)
	}
}

// BenchmarkLoadShedServeHTTP is the handler's own cost when the service is
// not saturated: placeholders, the client's hash, the admission and the
// release (the next handler does nothing). Goal: under 1 µs.
func BenchmarkLoadShedServeHTTP(b *testing.B) {
	for _, bc := range []struct {
		name string
		ls   LoadShed
	}{
		{"defaults", LoadShed{Name: "bench_defaults"}},
		{"key-and-priority", LoadShed{Name: "bench_keyed", Key: "{http.request.uri.path.0}", Priority: "{http.request.header.X-Plan}",
			Priorities: map[string]int{"gold": 2}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ls := bc.ls
			if err := ls.setup(processState.registry); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = ls.Cleanup() })
			r := httptest.NewRequest("GET", "/svc/items", nil)
			r.Header.Set("X-Plan", "gold")
			repl := caddyhttp.NewTestReplacer(r)
			ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
			ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{"client_ip": "203.0.113.7"})
			r = r.WithContext(ctx)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				if err := ls.ServeHTTP(w, r, passThrough); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A request the client gave up on is no latency sample (BROKE 2 of the
// fourth attack: clients abandoning hung requests after 2 s set the
// latency to 2 s and shrank the limit). The key's baseline is 1 ms, so
// before the fix each 5 ms abandoned request counted as a slow sample.
func TestLoadShedAbandonedIsNoSample(t *testing.T) {
	ls := LoadShed{Name: "test_abandoned_no_sample", MinLimit: 4, InitialLimit: 4}
	if err := ls.setup(processState.registry); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ls.Cleanup() })
	ls.engine.Seed("", 4, time.Millisecond) // the key: none set
	for range 30 {
		r := httptest.NewRequest("GET", "/hang", nil)
		repl := caddyhttp.NewTestReplacer(r)
		ctx, cancel := context.WithCancel(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
		ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{"client_ip": "203.0.113.7"})
		r = r.WithContext(ctx)
		hang := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
			time.Sleep(5 * time.Millisecond)
			cancel() // the client gives up; reverse_proxy returns its error
			return caddyhttp.Error(http.StatusBadGateway, context.Canceled)
		})
		_ = ls.ServeHTTP(httptest.NewRecorder(), r, hang)
	}
	s := ls.engine.Snapshot()
	if len(s) != 1 {
		t.Fatalf("snapshot %+v, want one key", s)
	}
	if s[0].Admitted != 0 || s[0].Latency != 0 || s[0].MinLatency != time.Millisecond || s[0].InFlight != 0 {
		t.Errorf("after 30 abandoned requests: %+v, want no sample (admitted 0, latency 0, min latency 1ms) and nothing in flight", s[0])
	}
}

// Fast 4xx answers are no latency samples (as fast 5xx): one client
// looping a 404 for a path that does not exist, answered at once, pulled
// the key's baseline to a few milliseconds and its limit to min_limit.
// Here the baseline is 50 ms, and 60 answers of 404 taking 5 ms each
// (three windows of 100 ms) leave it where it was.
func TestLoadShedFast4xxAreNoSamples(t *testing.T) {
	ls := LoadShed{Name: "test_fast_4xx_no_sample", MinLimit: 4, InitialLimit: 4}
	if err := ls.setup(processState.registry); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ls.Cleanup() })
	ls.engine.Seed("", 4, 50*time.Millisecond)
	for range 60 {
		r := httptest.NewRequest("GET", "/nf", nil)
		repl := caddyhttp.NewTestReplacer(r)
		ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
		ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{"client_ip": "203.0.113.7"})
		r = r.WithContext(ctx)
		notFound := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			time.Sleep(5 * time.Millisecond)
			repl.Set("http.reverse_proxy.status_code", http.StatusNotFound)
			w.WriteHeader(http.StatusNotFound)
			return nil
		})
		if err := ls.ServeHTTP(httptest.NewRecorder(), r, notFound); err != nil {
			t.Fatal(err)
		}
	}
	s := ls.engine.Snapshot()
	if len(s) != 1 {
		t.Fatalf("snapshot %+v, want one key", s)
	}
	if s[0].MinLatency != 50*time.Millisecond || s[0].Admitted != 0 {
		t.Errorf("after 60 fast 404s: baseline %v, samples %d; want 50ms, none", s[0].MinLatency, s[0].Admitted)
	}
}
