package traffic

import (
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the tables: how many names each keeps a series for (beyond
// them, Other), and how long a name may be (longer names are cut).
const (
	MaxServices = 64
	MaxZones    = 32
	MaxPlans    = 16
	MaxMarks    = 256
	MaxName     = 64
)

// Refusal says which refusal a request's answer was, if any.
type Refusal uint8

// The refusals counted apart.
const (
	NotRefused        Refusal = iota
	Refused401                // jwt_auth, api_key: no valid credentials
	Refused403                // a 403 before routing: the WAF
	Refused429                // throttle: a rate or a quota
	Refused503Circuit         // circuit_breaker: the circuit is open
	Refused503Shed            // load_shed: the gateway is overloaded
)

// Cache is a request's response_cache result, if it met one.
type Cache uint8

// The cache results counted.
const (
	NoCache   Cache = iota
	CacheHit        // answered from the cache (fresh, stale, or coalesced)
	CacheMiss       // went upstream
)

// The columns of a service's slot.
const (
	col2xx = iota // 1xx and 2xx (and no status: Go writes 200)
	col3xx
	col4xx
	col5xx
	col401
	col403
	col429
	col503Circuit
	col503Shed
	colHit
	colMiss
	colLatency  // first of LatencyBuckets histogram columns
	serviceCols = colLatency + LatencyBuckets
)

// LatencyBuckets is the histogram's size: bucket 0 holds latencies under
// 2^17 ns (131 µs), bucket k under 2^(17+k) ns, the last one everything
// from 2^35 ns (34 s) up.
const LatencyBuckets = 20

const latencyShift = 17

// bucket is the histogram bucket of a latency in ns.
func bucket(ns int64) int {
	if ns <= 0 {
		return 0
	}
	return min(bits.Len64(uint64(ns)>>latencyShift), LatencyBuckets-1)
}

// The columns of a zone's and a plan's slots.
const (
	zoneAllowed = iota
	zoneRefused
	zoneCols
)

const (
	planAllowed = iota
	planOverQuota
	planCols
)

// Recorder is the gateway's traffic of the last Seconds, per second. Its
// methods are safe for concurrent use.
type Recorder struct {
	now      func() time.Time
	services *table
	zones    *table
	plans    *table

	// the cache's stored bytes, a sample per second (the last one written)
	gaugeStamps [Seconds]atomic.Int64
	gauge       [Seconds]atomic.Uint64

	marksMu sync.Mutex
	marks   [MaxMarks]Mark
	nMarks  int // marks ever made
}

// Mark is a circuit's change of state.
type Mark struct {
	At      time.Time `json:"at"`
	Breaker string    `json:"breaker"`
	Key     string    `json:"key"`
	To      string    `json:"to"`
}

// New makes a recorder reading the time from now (time.Now by default).
func New(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{
		now:      now,
		services: newTable(serviceCols, MaxServices),
		zones:    newTable(zoneCols, MaxZones),
		plans:    newTable(planCols, MaxPlans),
	}
}

// BoundBytes is the most memory the recorder takes, whatever the traffic
// and the names: every table full, every mark made.
func (r *Recorder) BoundBytes() int {
	const recorder = Seconds*16 + 512
	const mark = 24 + 3*16 + 2*MaxName + 16
	return recorder + r.services.boundBytes() + r.zones.boundBytes() + r.plans.boundBytes() + MaxMarks*mark
}

func cut(name string) string {
	if len(name) > MaxName {
		return name[:MaxName]
	}
	return name
}

// Service returns the series of a service (or Other, when MaxServices
// others are in use), for [Series.Record]. at is the time of the request.
func (r *Recorder) Service(name string, at time.Time) *Series {
	return r.services.lookup(cut(name), at.Unix())
}

// Record counts one answer of the service at time at: its status, how long
// it took, and what refused or answered it. Refusals do not count in the
// latency histogram (a flood of fast refusals would hide a slow service).
func (s *Series) Record(at time.Time, status int, latency time.Duration, refusal Refusal, cache Cache) {
	c := s.ring.slot(at.Unix())
	if c == nil {
		return
	}
	switch status / 100 {
	case 3:
		c[col3xx].Add(1)
	case 4:
		c[col4xx].Add(1)
	case 5:
		c[col5xx].Add(1)
	default:
		c[col2xx].Add(1)
	}
	switch refusal {
	case NotRefused:
		c[colLatency+bucket(int64(latency))].Add(1)
	case Refused401:
		c[col401].Add(1)
	case Refused403:
		c[col403].Add(1)
	case Refused429:
		c[col429].Add(1)
	case Refused503Circuit:
		c[col503Circuit].Add(1)
	case Refused503Shed:
		c[col503Shed].Add(1)
	}
	switch cache {
	case CacheHit:
		c[colHit].Add(1)
	case CacheMiss:
		c[colMiss].Add(1)
	}
}

// Zone returns the series of a throttle zone.
func (r *Recorder) Zone(name string, at time.Time) *Series {
	return r.zones.lookup(cut(name), at.Unix())
}

// Decision counts one throttle decision of the zone.
func (s *Series) Decision(at time.Time, refused bool) {
	col := zoneAllowed
	if refused {
		col = zoneRefused
	}
	s.ring.add(at.Unix(), col, 1)
}

// Plan returns the series of a consumers' plan.
func (r *Recorder) Plan(name string, at time.Time) *Series {
	return r.plans.lookup(cut(name), at.Unix())
}

// Quota counts one request of a consumer of the plan: counted in its
// quotas, or refused over quota.
func (s *Series) Quota(at time.Time, overQuota bool) {
	col := planAllowed
	if overQuota {
		col = planOverQuota
	}
	s.ring.add(at.Unix(), col, 1)
}

// StoredBytes records the cache's stored bytes at time at (the last
// sample of a second is kept).
func (r *Recorder) StoredBytes(at time.Time, bytes uint64) {
	sec := at.Unix()
	i := int(uint64(sec) % Seconds)
	r.gauge[i].Store(bytes)
	r.gaugeStamps[i].Store(sec + 1)
}

// Mark records a circuit's change of state. Only the last MaxMarks are
// kept; names and keys are cut to MaxName bytes.
func (r *Recorder) Mark(at time.Time, breaker, key, to string) {
	r.marksMu.Lock()
	r.marks[r.nMarks%MaxMarks] = Mark{At: at.UTC(), Breaker: strings.Clone(cut(breaker)), Key: strings.Clone(cut(key)), To: strings.Clone(cut(to))}
	r.nMarks++
	r.marksMu.Unlock()
}
