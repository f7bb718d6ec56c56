package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// TestDecide: what the cache does with a request, for each kind of stored
// entry, on a fixed clock (the entry was received at t0 with a lifetime of
// 60 s; "now" is t0 plus the case's offset).
func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	entry := func(cc string, status int) *Entry {
		h := hdr("Cache-Control", cc, "Date", t0.Format(http.TimeFormat))
		e := NewEntry(status, h, []byte("body"), t0, t0)
		e.Lifetime = Policy{}.Lifetime(status, h, e.CC, e.SC)
		return e
	}
	req := func(cc string) Request { return Request{CC: ParseCacheControl([]string{cc})} }
	withCred := func(q Request, separated bool) Request { q.Credential, q.Separated = true, separated; return q }
	withRange := func(q Request) Request { q.Range = true; return q }
	withSWR := func(q Request, d time.Duration) Request { q.Policy.StaleWhileRevalidate = d; return q }

	for _, c := range []struct {
		name   string
		q      Request
		e      *Entry
		at     time.Duration
		found  bool
		action Action
		status string
		stale  bool
	}{
		{"no entry", req(""), nil, 0, false, Fetch, "fwd=uri-miss", false},
		{"another variant only", req(""), nil, 0, true, Fetch, "fwd=vary-miss", false},
		{"fresh", req(""), entry("max-age=60", 200), 10 * time.Second, false, Serve, "hit", false},
		{"stale, no stale rules", req(""), entry("max-age=60", 200), 70 * time.Second, false, Revalidate, "", false},
		{"request no-cache", req("no-cache"), entry("max-age=60", 200), 0, false, Revalidate, "", false},
		{"response no-cache", req(""), entry("no-cache, max-age=60", 200), 0, false, Revalidate, "", false},
		{"request max-age below the age", req("max-age=5"), entry("max-age=60", 200), 10 * time.Second, false, Revalidate, "", false},
		{"request min-fresh above the ttl", req("min-fresh=55"), entry("max-age=60", 200), 10 * time.Second, false, Revalidate, "", false},
		{"max-stale allows it", req("max-stale=30"), entry("max-age=60", 200), 80 * time.Second, false, Serve, "hit; ttl=-20; detail=max-stale", true},
		{"max-stale, but must-revalidate", req("max-stale=30"), entry("max-age=60, must-revalidate", 200), 80 * time.Second, false, Revalidate, "", false},
		{"stale-while-revalidate of the response", req(""), entry("max-age=60, stale-while-revalidate=30", 200), 80 * time.Second, false, ServeThenRevalidate, "hit; ttl=-20; detail=stale-while-revalidate", true},
		{"stale-while-revalidate of the policy", withSWR(req(""), time.Minute), entry("max-age=60", 200), 80 * time.Second, false, ServeThenRevalidate, "hit; ttl=-20; detail=stale-while-revalidate", true},
		{"past stale-while-revalidate", req(""), entry("max-age=60, stale-while-revalidate=30", 200), 100 * time.Second, false, Revalidate, "", false},
		{"only-if-cached, fresh", req("only-if-cached"), entry("max-age=60", 200), 0, false, Serve, "hit", false},
		{"only-if-cached, stale", req("only-if-cached"), entry("max-age=60", 200), 70 * time.Second, false, Unsatisfiable, "fwd=miss; detail=only-if-cached", false},
		{"only-if-cached, none", req("only-if-cached"), nil, 0, false, Unsatisfiable, "fwd=miss; detail=only-if-cached", false},
		{"credentials, not shared", withCred(req(""), false), entry("max-age=60", 200), 0, false, Fetch, "fwd=uri-miss", false},
		{"credentials, public", withCred(req(""), false), entry("public, max-age=60", 200), 0, false, Serve, "hit", false},
		{"credentials, s-maxage", withCred(req(""), false), entry("s-maxage=60", 200), 0, false, Serve, "hit", false},
		{"credentials, separated by the key", withCred(req(""), true), entry("max-age=60", 200), 0, false, Serve, "hit", false},
		{"range of a fresh 200", withRange(req("")), entry("max-age=60", 200), 0, false, Serve, "hit", false},
		{"range of a stale 200", withRange(req("")), entry("max-age=60", 200), 70 * time.Second, false, Pass, "fwd=bypass; detail=range", false},
		{"range of a 404", withRange(req("")), entry("max-age=60", 404), 0, false, Pass, "fwd=bypass; detail=range", false},
		{"range with credentials, not shared", withRange(withCred(req(""), false)), entry("max-age=60", 200), 0, false, Pass, "fwd=bypass; detail=range", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.q, c.e, c.found, t0.Add(c.at))
			if d.Action != c.action || d.Status != c.status || d.Stale != c.stale {
				t.Fatalf("got action %d %q stale=%v, want %d %q stale=%v", d.Action, d.Status, d.Stale, c.action, c.status, c.stale)
			}
			if (d.Action == Serve || d.Action == ServeThenRevalidate || d.Action == Revalidate) != (d.Entry != nil) {
				t.Fatalf("action %d with entry %v", d.Action, d.Entry)
			}
			if d.Entry != nil && d.Entry != c.e {
				t.Fatal("the decision names another entry")
			}
		})
	}
}

func TestRequestWaits(t *testing.T) {
	for cc, want := range map[string]bool{"": true, "max-age=10": true, "no-cache": false, "max-age=0": false, "only-if-cached": true} {
		if got := (Request{CC: ParseCacheControl([]string{cc})}).Waits(); got != want {
			t.Errorf("Cache-Control %q: Waits() = %v, want %v", cc, got, want)
		}
	}
}
