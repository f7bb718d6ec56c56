package traffic

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// View is the traffic of a window of whole seconds, oldest first: what
// the dashboard's traffic.json serves (see docs/dashboard.md).
type View struct {
	// From and To are the window's first and last second (unix seconds);
	// every array below has one entry per second of it.
	From int64 `json:"from"`
	To   int64 `json:"to"`
	// Services are those with a request in the window, the busiest first;
	// Other last when it has any.
	Services []ServiceView `json:"services"`
	Zones    []ZoneView    `json:"throttle_zones"`
	Plans    []PlanView    `json:"plans"`
	// CacheStoredBytes is the bytes response_cache held, sampled at most
	// once a second (null: no sample that second).
	CacheStoredBytes Samples `json:"cache_stored_bytes"`
	// Marks are the circuits' changes of state in the window, oldest first.
	Marks []Mark `json:"circuit_marks"`
}

// ServiceView is one service's counts per second and over the window.
type ServiceView struct {
	Name  string `json:"name"`
	Total Totals `json:"total"`
	// Per second: requests (answers of any kind), by class, refusals by
	// kind, cache results.
	Requests          Counts `json:"requests"`
	Class2xx          Counts `json:"2xx"`
	Class3xx          Counts `json:"3xx"`
	Class4xx          Counts `json:"4xx"`
	Class5xx          Counts `json:"5xx"`
	Refused401        Counts `json:"refused_401"`
	Refused403        Counts `json:"refused_403"`
	Refused429        Counts `json:"refused_429"`
	Refused503Circuit Counts `json:"refused_503_circuit"`
	Refused503Shed    Counts `json:"refused_503_shed"`
	CacheHit          Counts `json:"cache_hit"`
	CacheMiss         Counts `json:"cache_miss"`
	// Latency percentiles per second in milliseconds (null: no answer
	// that second), estimated from the histogram.
	P50 Millis `json:"p50_ms"`
	P99 Millis `json:"p99_ms"`
}

// Totals are a service's counts over the whole window.
type Totals struct {
	Requests          uint64   `json:"requests"`
	Class2xx          uint64   `json:"2xx"`
	Class3xx          uint64   `json:"3xx"`
	Class4xx          uint64   `json:"4xx"`
	Class5xx          uint64   `json:"5xx"`
	Refused401        uint64   `json:"refused_401"`
	Refused403        uint64   `json:"refused_403"`
	Refused429        uint64   `json:"refused_429"`
	Refused503Circuit uint64   `json:"refused_503_circuit"`
	Refused503Shed    uint64   `json:"refused_503_shed"`
	CacheHit          uint64   `json:"cache_hit"`
	CacheMiss         uint64   `json:"cache_miss"`
	P50               *float64 `json:"p50_ms"`
	P99               *float64 `json:"p99_ms"`
}

// ZoneView is one throttle zone's decisions per second.
type ZoneView struct {
	Name    string `json:"name"`
	Allowed Counts `json:"allowed"`
	Refused Counts `json:"refused"`
}

// PlanView is one plan's consumers' requests per second: counted in
// their quotas, or refused over quota.
type PlanView struct {
	Name      string `json:"name"`
	Allowed   Counts `json:"allowed"`
	OverQuota Counts `json:"over_quota"`
}

// Counts are counts per second.
type Counts []uint32

// MarshalJSON writes the counts as a JSON array of numbers (not base64,
// as a []uint8 would be; and without reflection).
func (c Counts) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+2*len(c))
	b = append(b, '[')
	for i, n := range c {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(n), 10)
	}
	return append(b, ']'), nil
}

// Millis are milliseconds per second; NaN for none (null in JSON).
type Millis []float64

// MarshalJSON writes the values rounded to microseconds, NaN as null.
func (m Millis) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+6*len(m))
	b = append(b, '[')
	for i, v := range m {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendFloat(b, math.Round(v*1000)/1000, 'f', -1, 64)
		}
	}
	return append(b, ']'), nil
}

// Samples are a gauge's samples per second; -1 for none (null in JSON).
type Samples []int64

// MarshalJSON writes the samples, -1 as null.
func (s Samples) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+4*len(s))
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if v < 0 {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, v, 10)
		}
	}
	return append(b, ']'), nil
}

// Read returns the last `seconds` whole seconds (1 to Seconds) before the
// current one: the current second is still being counted.
func (r *Recorder) Read(seconds int) View {
	seconds = max(1, min(seconds, Seconds))
	to := r.now().Unix() - 1
	from := to - int64(seconds) + 1
	return r.ReadRange(from, to)
}

// ReadRange returns the seconds from..to (unix seconds, inclusive), cut to
// the Seconds before the current one.
func (r *Recorder) ReadRange(from, to int64) View {
	last := r.now().Unix() - 1
	to = min(to, last)
	from = max(from, last-Seconds+1)
	if from > to {
		from = to + 1
	}
	n := int(to - from + 1)
	v := View{From: from, To: to, Services: []ServiceView{}, Zones: []ZoneView{}, Plans: []PlanView{}, Marks: []Mark{}}

	buf := make([]uint32, serviceCols)
	r.services.each(func(s *Series) {
		if sv, ok := readService(s, from, n, buf); ok {
			v.Services = append(v.Services, sv)
		}
	})
	slices.SortFunc(v.Services, func(a, b ServiceView) int {
		if (a.Name == Other) != (b.Name == Other) {
			if a.Name == Other {
				return 1
			}
			return -1
		}
		if a.Total.Requests != b.Total.Requests {
			if a.Total.Requests > b.Total.Requests {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	r.zones.each(func(s *Series) {
		cols, ok := readColumns(s, from, n, zoneCols, buf)
		if ok {
			v.Zones = append(v.Zones, ZoneView{Name: s.name, Allowed: cols[zoneAllowed], Refused: cols[zoneRefused]})
		}
	})
	slices.SortFunc(v.Zones, func(a, b ZoneView) int { return strings.Compare(a.Name, b.Name) })
	r.plans.each(func(s *Series) {
		cols, ok := readColumns(s, from, n, planCols, buf)
		if ok {
			v.Plans = append(v.Plans, PlanView{Name: s.name, Allowed: cols[planAllowed], OverQuota: cols[planOverQuota]})
		}
	})
	slices.SortFunc(v.Plans, func(a, b PlanView) int { return strings.Compare(a.Name, b.Name) })

	v.CacheStoredBytes = make(Samples, n)
	for i := range n {
		sec := from + int64(i)
		j := int(uint64(sec) % Seconds)
		v.CacheStoredBytes[i] = -1
		if r.gaugeStamps[j].Load() == sec+1 {
			val := r.gauge[j].Load()
			if r.gaugeStamps[j].Load() == sec+1 {
				v.CacheStoredBytes[i] = int64(min(val, math.MaxInt64))
			}
		}
	}

	r.marksMu.Lock()
	first := max(0, r.nMarks-MaxMarks)
	for k := first; k < r.nMarks; k++ {
		m := r.marks[k%MaxMarks]
		if s := m.At.Unix(); s >= from && s <= to {
			v.Marks = append(v.Marks, m)
		}
	}
	r.marksMu.Unlock()
	slices.SortStableFunc(v.Marks, func(a, b Mark) int { return a.At.Compare(b.At) })
	return v
}

// readColumns reads cols columns of n seconds from second from; ok is
// false when all are zero.
func readColumns(s *Series, from int64, n, cols int, buf []uint32) ([]Counts, bool) {
	out := make([]Counts, cols)
	for c := range out {
		out[c] = make(Counts, n)
	}
	nonzero := false
	for i := range n {
		if !s.ring.read(from+int64(i), buf[:cols]) {
			continue
		}
		for c := range cols {
			out[c][i] = buf[c]
			nonzero = nonzero || buf[c] != 0
		}
	}
	return out, nonzero
}

func readService(s *Series, from int64, n int, buf []uint32) (ServiceView, bool) {
	sv := ServiceView{Name: s.name, P50: make(Millis, n), P99: make(Millis, n)}
	cols := [colLatency]*Counts{&sv.Class2xx, &sv.Class3xx, &sv.Class4xx, &sv.Class5xx, &sv.Refused401, &sv.Refused403,
		&sv.Refused429, &sv.Refused503Circuit, &sv.Refused503Shed, &sv.CacheHit, &sv.CacheMiss}
	totals := [colLatency]*uint64{&sv.Total.Class2xx, &sv.Total.Class3xx, &sv.Total.Class4xx, &sv.Total.Class5xx,
		&sv.Total.Refused401, &sv.Total.Refused403, &sv.Total.Refused429, &sv.Total.Refused503Circuit,
		&sv.Total.Refused503Shed, &sv.Total.CacheHit, &sv.Total.CacheMiss}
	for _, c := range cols {
		*c = make(Counts, n)
	}
	sv.Requests = make(Counts, n)
	var hist [LatencyBuckets]uint64
	for i := range n {
		sv.P50[i], sv.P99[i] = math.NaN(), math.NaN()
		if !s.ring.read(from+int64(i), buf) {
			continue
		}
		for c := range colLatency {
			(*cols[c])[i] = buf[c]
			*totals[c] += uint64(buf[c])
		}
		req := buf[col2xx] + buf[col3xx] + buf[col4xx] + buf[col5xx]
		sv.Requests[i] = req
		sv.Total.Requests += uint64(req)
		var h [LatencyBuckets]uint64
		for b := range LatencyBuckets {
			h[b] = uint64(buf[colLatency+b])
			hist[b] += h[b]
		}
		sv.P50[i], sv.P99[i] = Quantile(h[:], 0.5), Quantile(h[:], 0.99)
	}
	if p := Quantile(hist[:], 0.5); !math.IsNaN(p) {
		p99 := Quantile(hist[:], 0.99)
		sv.Total.P50, sv.Total.P99 = &p, &p99
	}
	return sv, sv.Total.Requests > 0
}

// Quantile estimates the q-quantile (0 < q < 1) of a latency histogram in
// milliseconds, interpolating linearly within the bucket it falls in; NaN
// for an empty histogram. The last bucket has no upper end: a quantile in
// it is its lower end.
func Quantile(h []uint64, q float64) float64 {
	var total uint64
	for _, c := range h {
		total += c
	}
	if total == 0 {
		return math.NaN()
	}
	rank := q * float64(total) // the rank-th smallest, 0 < rank <= total
	var seen float64
	for b, c := range h {
		if c == 0 {
			continue
		}
		if seen+float64(c) >= rank || b == len(h)-1 {
			lo, hi := bucketBounds(b)
			if b == len(h)-1 {
				return lo / float64(time.Millisecond)
			}
			frac := (rank - seen) / float64(c)
			return (lo + frac*(hi-lo)) / float64(time.Millisecond)
		}
		seen += float64(c)
	}
	return math.NaN()
}

// bucketBounds are bucket b's lower and upper ends in ns.
func bucketBounds(b int) (lo, hi float64) {
	hi = float64(uint64(1) << (latencyShift + b))
	if b > 0 {
		lo = hi / 2
	}
	return lo, hi
}

// After cuts v's per-second arrays and marks to the seconds after sec,
// keeping the totals over the whole window: a page that has the earlier
// seconds asks only for the new ones.
func (v View) After(sec int64) View {
	if sec < v.From {
		return v
	}
	k := int(min(sec-v.From+1, v.To-v.From+1))
	v.From += int64(k)
	for i := range v.Services {
		s := &v.Services[i]
		for _, c := range []*Counts{&s.Requests, &s.Class2xx, &s.Class3xx, &s.Class4xx, &s.Class5xx, &s.Refused401,
			&s.Refused403, &s.Refused429, &s.Refused503Circuit, &s.Refused503Shed, &s.CacheHit, &s.CacheMiss} {
			*c = (*c)[k:]
		}
		s.P50, s.P99 = s.P50[k:], s.P99[k:]
	}
	for i := range v.Zones {
		v.Zones[i].Allowed, v.Zones[i].Refused = v.Zones[i].Allowed[k:], v.Zones[i].Refused[k:]
	}
	for i := range v.Plans {
		v.Plans[i].Allowed, v.Plans[i].OverQuota = v.Plans[i].Allowed[k:], v.Plans[i].OverQuota[k:]
	}
	v.CacheStoredBytes = v.CacheStoredBytes[k:]
	marks := v.Marks[:0:0]
	for _, m := range v.Marks {
		if m.At.Unix() > sec {
			marks = append(marks, m)
		}
	}
	v.Marks = marks
	return v
}
