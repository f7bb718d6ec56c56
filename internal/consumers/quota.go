package consumers

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Period is a quota's calendar window.
type Period int

// Periods: a calendar day, an ISO week (from Monday 00:00), a calendar
// month; each in the quotas' time zone.
const (
	Day Period = iota + 1
	Week
	Month
)

func (p Period) String() string {
	switch p {
	case Day:
		return "day"
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return "period(" + strconv.Itoa(int(p)) + ")"
}

// ParsePeriod reads day, week or month.
func ParsePeriod(s string) (Period, error) {
	switch s {
	case "day":
		return Day, nil
	case "week":
		return Week, nil
	case "month":
		return Month, nil
	}
	return 0, fmt.Errorf("%w: quota period %q must be day, week or month", ErrInvalid, s)
}

// Window is the calendar window holding t, in loc: from its start
// (included) to its end (excluded). Midnight is taken in loc, so a day is
// 23 or 25 hours long when the clocks change.
func (p Period) Window(t time.Time, loc *time.Location) (start, end time.Time) {
	t = t.In(loc)
	y, m, d := t.Date()
	switch p {
	case Day:
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		end = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		start = time.Date(y, m, d-back, 0, 0, 0, 0, loc)
		end = time.Date(y, m, d-back+7, 0, 0, 0, 0, loc)
	default:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		end = time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	}
	return start, end
}

// Quota is a number of requests per calendar period.
type Quota struct {
	Limit  int64
	Period Period
}

// ParseQuota reads <n>/day|week|month.
func ParseQuota(s string) (Quota, error) {
	n, p, ok := strings.Cut(s, "/")
	limit, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || limit < 1 {
		return Quota{}, fmt.Errorf("%w: quota %q must read <n>/day, <n>/week or <n>/month with n a positive whole number", ErrInvalid, s)
	}
	period, err := ParsePeriod(p)
	if err != nil {
		return Quota{}, err
	}
	return Quota{Limit: limit, Period: period}, nil
}

func (q Quota) String() string { return strconv.FormatInt(q.Limit, 10) + "/" + q.Period.String() }

// Use is a consumer's use of one quota in its current window.
type Use struct {
	Quota
	Used  int64
	Start time.Time
	End   time.Time
}

// Remaining is what is left in the window.
func (u Use) Remaining() int64 { return max(0, u.Limit-u.Used) }

// Decision is a quota check's answer: whether the request is admitted
// (counted in every window), and the use of each quota after it. When it
// is refused, Exceeded is the index of a quota that is used up, and
// nothing was counted.
type Decision struct {
	Allowed  bool
	Uses     []Use
	Exceeded int
}

// RenewsAt is when the refused request could pass: the end of the window
// of the used-up quota.
func (d Decision) RenewsAt() time.Time { return d.Uses[d.Exceeded].End }

// Counter counts requests in calendar windows.
type Counter interface {
	// Take counts one request of the consumer in every quota's current
	// window if none is used up, atomically.
	Take(ctx context.Context, consumer string, windows []Use) (Decision, error)
	// Read returns the use of each window without counting.
	Read(ctx context.Context, consumer string, windows []Use) ([]Use, error)
}

// Windows makes the current window of each quota at now.
func Windows(quotas []Quota, now time.Time, loc *time.Location) []Use {
	uses := make([]Use, len(quotas))
	for i, q := range quotas {
		start, end := q.Period.Window(now, loc)
		uses[i] = Use{Quota: q, Start: start, End: end}
	}
	return uses
}

// counterKey names a consumer's count in one window. It holds the window's
// start and the period, not the limit: a plan whose limit changes keeps
// what was used.
func counterKey(consumer string, u Use) string {
	return consumer + "|" + u.Period.String() + "|" + strconv.FormatInt(u.Start.Unix(), 10)
}

// MemoryCounter counts in this process.
type MemoryCounter struct {
	mu     sync.Mutex
	counts map[string]memCount
	now    func() time.Time
	swept  time.Time
	dirty  bool // counted since the last Snapshot
}

type memCount struct {
	n   int64
	end int64 // unix seconds: the window's end, after which it is dropped
}

// NewMemoryCounter makes a counter; now is its clock (for dropping windows
// that have ended).
func NewMemoryCounter(now func() time.Time) *MemoryCounter {
	return &MemoryCounter{counts: map[string]memCount{}, now: now}
}

// Take implements Counter.
func (m *MemoryCounter) Take(_ context.Context, consumer string, windows []Use) (Decision, error) {
	keys := make([]string, len(windows))
	for i, u := range windows {
		keys[i] = counterKey(consumer, u)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked()
	d := Decision{Allowed: true, Uses: windows, Exceeded: -1}
	for i, k := range keys {
		d.Uses[i].Used = m.counts[k].n
		if d.Allowed && d.Uses[i].Used >= d.Uses[i].Limit {
			d.Allowed, d.Exceeded = false, i
		}
	}
	if !d.Allowed {
		return d, nil
	}
	for i, k := range keys {
		d.Uses[i].Used++
		m.counts[k] = memCount{n: d.Uses[i].Used, end: windows[i].End.Unix()}
	}
	m.dirty = true
	return d, nil
}

// Read implements Counter.
func (m *MemoryCounter) Read(_ context.Context, consumer string, windows []Use) ([]Use, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, u := range windows {
		windows[i].Used = m.counts[counterKey(consumer, u)].n
	}
	return windows, nil
}

// sweepLocked drops the counts of ended windows, at most once a minute.
func (m *MemoryCounter) sweepLocked() {
	now := m.now()
	if now.Sub(m.swept) < time.Minute {
		return
	}
	m.swept = now
	for k, c := range m.counts {
		if c.end <= now.Unix() {
			delete(m.counts, k)
		}
	}
}

// storedCount is a count as persisted (Snapshot, Merge).
type storedCount struct {
	N   int64 `json:"n"`
	End int64 `json:"end"`
}

// Snapshot is the counts of the windows not yet ended, in their stored
// form, and whether anything was counted since the last snapshot (when
// not, it returns nil, false).
func (m *MemoryCounter) Snapshot() ([]byte, bool) {
	m.mu.Lock()
	if !m.dirty {
		m.mu.Unlock()
		return nil, false
	}
	now := m.now().Unix()
	out := make(map[string]storedCount, len(m.counts))
	for k, c := range m.counts {
		if c.end > now {
			out[k] = storedCount{N: c.n, End: c.end}
		}
	}
	m.dirty = false
	m.mu.Unlock()
	b, _ := json.Marshal(out)
	return b, true
}

// MarkDirty has the next Snapshot taken (after a failed write).
func (m *MemoryCounter) MarkDirty() {
	m.mu.Lock()
	m.dirty = true
	m.mu.Unlock()
}

// Merge adds persisted counts: each window keeps the larger of its count
// here and the stored one; ended windows are dropped.
func (m *MemoryCounter) Merge(b []byte) error {
	var in map[string]storedCount
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().Unix()
	for k, c := range in {
		if c.End <= now || c.N <= 0 {
			continue
		}
		if cur, ok := m.counts[k]; !ok || cur.n < c.N {
			m.counts[k] = memCount{n: c.N, end: c.End}
		}
	}
	return nil
}
