package consumers

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWindows(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := func(loc *time.Location, s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name       string
		p          Period
		loc        *time.Location
		t          string
		start, end string
		hours      float64
	}{
		{"day, last second", Day, time.UTC, "2026-03-01 23:59:59", "2026-03-01 00:00:00", "2026-03-02 00:00:00", 24},
		{"day, first second", Day, time.UTC, "2026-03-02 00:00:00", "2026-03-02 00:00:00", "2026-03-03 00:00:00", 24},
		{"spring forward day is 23h", Day, ny, "2026-03-08 12:00:00", "2026-03-08 00:00:00", "2026-03-09 00:00:00", 23},
		{"fall back day is 25h", Day, ny, "2026-11-01 01:30:00", "2026-11-01 00:00:00", "2026-11-02 00:00:00", 25},
		{"week from Monday", Week, time.UTC, "2026-03-01 10:00:00", "2026-02-23 00:00:00", "2026-03-02 00:00:00", 168},
		{"week on Monday", Week, time.UTC, "2026-03-02 00:00:00", "2026-03-02 00:00:00", "2026-03-09 00:00:00", 168},
		{"week across spring forward", Week, ny, "2026-03-08 23:00:00", "2026-03-02 00:00:00", "2026-03-09 00:00:00", 167},
		{"month, last second of February", Month, time.UTC, "2026-02-28 23:59:59", "2026-02-01 00:00:00", "2026-03-01 00:00:00", 672},
		{"month, December to January", Month, time.UTC, "2026-12-31 12:00:00", "2026-12-01 00:00:00", "2027-01-01 00:00:00", 744},
		{"month across fall back", Month, ny, "2026-11-15 00:00:00", "2026-11-01 00:00:00", "2026-12-01 00:00:00", 721},
	} {
		start, end := c.p.Window(at(c.loc, c.t), c.loc)
		if !start.Equal(at(c.loc, c.start)) || !end.Equal(at(c.loc, c.end)) || end.Sub(start).Hours() != c.hours {
			t.Errorf("%s: %s..%s (%vh), want %s..%s (%vh)", c.name, start, end, end.Sub(start).Hours(), c.start, c.end, c.hours)
		}
	}
	// the same instant is in different days in different zones
	instant := at(time.UTC, "2026-03-02 03:00:00")
	s1, _ := Day.Window(instant, time.UTC)
	s2, _ := Day.Window(instant, ny)
	if s1.Equal(s2) {
		t.Error("UTC and New York agree on the day of 03:00 UTC")
	}
}

func TestParseQuota(t *testing.T) {
	q, err := ParseQuota("1000/month")
	if err != nil || q.Limit != 1000 || q.Period != Month || q.String() != "1000/month" {
		t.Fatalf("ParseQuota = %+v, %v", q, err)
	}
	for _, bad := range []string{"", "10", "0/day", "-1/day", "10/hour", "x/day", "10/"} {
		if _, err := ParseQuota(bad); err == nil {
			t.Errorf("ParseQuota(%q) passes", bad)
		}
	}
}

// TestQuotaWindowEdge: a quota used up in the last second of a window is
// whole again at the first second of the next, and a refused request
// counts nothing.
func TestQuotaWindowEdge(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC)
	m := NewMemoryCounter(func() time.Time { return now })
	quotas := []Quota{{Limit: 2, Period: Day}, {Limit: 3, Period: Month}}
	take := func() Decision {
		d, err := m.Take(ctx, "acme", Windows(quotas, now, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for i := range 2 {
		if d := take(); !d.Allowed {
			t.Fatalf("request %d refused: %+v", i, d)
		}
	}
	d := take()
	if d.Allowed || d.Exceeded != 0 || !d.RenewsAt().Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("third request in the day: %+v, renews %s", d, d.RenewsAt())
	}
	if d.Uses[1].Used != 2 {
		t.Fatalf("the refused request was counted in the month: %+v", d.Uses[1])
	}
	now = now.Add(time.Second) // April 1st, 00:00:00: a new day and a new month
	for i := range 2 {
		if d := take(); !d.Allowed || d.Uses[0].Used != int64(i+1) || d.Uses[1].Used != int64(i+1) {
			t.Fatalf("request %d of the new window: %+v", i, d)
		}
	}
	now = now.Add(24 * time.Hour) // April 2nd: the day renews, the month's 3 are not all used
	if d := take(); !d.Allowed {
		t.Fatalf("first of April 2nd: %+v", d)
	}
	if d := take(); d.Allowed || d.Exceeded != 1 || !d.RenewsAt().Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("over the month's quota: %+v", d)
	}
	uses, _ := m.Read(ctx, "acme", Windows(quotas, now, time.UTC))
	if uses[0].Used != 1 || uses[1].Used != 3 || uses[1].Remaining() != 0 {
		t.Fatalf("Read: %+v", uses)
	}
	// ended windows are dropped
	now = now.Add(62 * 24 * time.Hour)
	take()
	if len(m.counts) != 2 {
		t.Fatalf("%d counts kept, want the 2 current windows", len(m.counts))
	}
}

// TestMemoryCounterSnapshotMerge: a snapshot holds the windows not ended
// and is taken only when something was counted; merging keeps the larger
// count of each window and drops ended ones.
func TestMemoryCounterSnapshotMerge(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	m := NewMemoryCounter(func() time.Time { return now })
	if _, ok := m.Snapshot(); ok {
		t.Fatal("a snapshot of a counter that counted nothing")
	}
	day := Windows([]Quota{{Limit: 10, Period: Day}}, now, time.UTC)
	for range 3 {
		if _, err := m.Take(context.Background(), "acme", day); err != nil {
			t.Fatal(err)
		}
	}
	b, ok := m.Snapshot()
	if !ok {
		t.Fatal("no snapshot after counting")
	}
	if _, ok := m.Snapshot(); ok {
		t.Fatal("a second snapshot with nothing counted since")
	}
	fresh := NewMemoryCounter(func() time.Time { return now })
	fresh.Take(context.Background(), "acme", Windows([]Quota{{Limit: 10, Period: Day}}, now, time.UTC))
	if err := fresh.Merge(b); err != nil {
		t.Fatal(err)
	}
	uses, _ := fresh.Read(context.Background(), "acme", Windows([]Quota{{Limit: 10, Period: Day}}, now, time.UTC))
	if uses[0].Used != 3 {
		t.Fatalf("after merge: used %d, want 3", uses[0].Used)
	}
	later := NewMemoryCounter(func() time.Time { return now.Add(48 * time.Hour) })
	if err := later.Merge(b); err != nil {
		t.Fatal(err)
	}
	if n := len(later.counts); n != 0 {
		t.Fatalf("an ended window was restored (%d counts)", n)
	}
}
