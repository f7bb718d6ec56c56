package registry

import (
	"container/heap"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"time"
)

// The registry's indexes, which keep the cost of a change independent of
// the registry's size:
//
//   - routeTable: service -> dial addresses, what the request path reads;
//     a change replaces one service's slice, never the table;
//   - order: service -> its instance IDs in order, so publishing a service
//     and listing it need no sort;
//   - leaseHeap: the instances with a lease, earliest expiry first, so the
//     lease timer looks at what runs out and nothing else.
//
// All three are changed under Registry.mu; routeTable is read without it.

// routeTable maps a service name to its Route. A published Route never
// changes.
type routeTable struct{ m sync.Map } // string -> *Route

func (t *routeTable) load(service string) *Route {
	v, ok := t.m.Load(service)
	if !ok {
		return nil
	}
	return v.(*Route)
}

func (t *routeTable) store(service string, rt *Route) {
	if rt == nil || len(rt.Dials) == 0 {
		t.m.Delete(service)
		return
	}
	t.m.Store(service, rt)
}

// Route is what the request path reads for one service: the instances that
// get new requests (healthy, weight above 0), in ID order, with what
// routing by metadata and by weight needs of them. It never changes once
// published.
type Route struct {
	// Dials are the instances' addresses.
	Dials []string
	// meta is each instance's packed metadata, aligned with Dials
	meta []string
	// index maps a metadata key and value to the positions (in Dials) of
	// the instances that have it; nil without metadata
	index map[string]map[string][]int32
	// weights maps an address to its weight (the sum over the instances at
	// it); nil when every weight is DefaultWeight
	weights map[string]int
}

// Weight returns the weight of the instance(s) at dial, DefaultWeight for
// an address the route does not hold (an upstream from elsewhere: drained
// instances are never offered, so they are never asked about).
func (rt *Route) Weight(dial string) int {
	if w, ok := rt.weights[dial]; ok {
		return w
	}
	return DefaultWeight
}

// Constraint asks for the instances whose metadata value for Key is one of
// Values.
type Constraint struct {
	Key    string
	Values []string
}

// CountMatching returns how many instances meet all constraints. With one
// constraint it is a sum of index lengths; with more, a pass over the
// rarest constraint's instances.
func (rt *Route) CountMatching(cs []Constraint) int {
	if len(cs) == 1 {
		n := 0
		for _, v := range cs[0].Values {
			n += len(rt.index[cs[0].Key][v])
		}
		return n
	}
	n := 0
	rt.Matching(cs, 0, func(int) bool { n++; return true })
	return n
}

// Matching calls visit with the position (in Dials) of every instance that
// meets all constraints, in a fixed order, from the skip-th on, until visit
// returns false. It reads the index built at publish: the cost is that of
// the instances of the rarest constrained value, not of the service (with
// one constraint, skipping costs nothing). It allocates nothing.
func (rt *Route) Matching(cs []Constraint, skip int, visit func(pos int) bool) {
	driver, best := -1, 0
	for i, c := range cs {
		n := 0
		for _, v := range c.Values {
			n += len(rt.index[c.Key][v])
		}
		if driver < 0 || n < best {
			driver, best = i, n
		}
	}
	if driver < 0 {
		for pos := skip; pos < len(rt.Dials); pos++ {
			if !visit(pos) {
				return
			}
		}
		return
	}
	for _, v := range cs[driver].Values {
		list := rt.index[cs[driver].Key][v]
		if len(cs) == 1 { // nothing else to check: skip by slicing
			if skip >= len(list) {
				skip -= len(list)
				continue
			}
			list, skip = list[skip:], 0
		}
		for _, pos := range list {
			if !rt.meets(int(pos), cs, driver) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if !visit(int(pos)) {
				return
			}
		}
	}
}

// meets reports whether the instance at pos meets every constraint but
// the one at skip.
func (rt *Route) meets(pos int, cs []Constraint, skip int) bool {
	for i, c := range cs {
		if i == skip {
			continue
		}
		v, ok := metaValue(rt.meta[pos], c.Key)
		if !ok || !slices.Contains(c.Values, v) {
			return false
		}
	}
	return true
}

// newRoute builds the route of instances (in ID order, those that get
// traffic).
//
// With indexed, it carries the instances' metadata and its index, which
// routing by match needs (about 100 bytes per instance with one metadata
// entry); without, only the addresses and weights.
func newRoute(instances []*Instance, indexed bool) *Route {
	rt := &Route{Dials: make([]string, len(instances))}
	if indexed {
		rt.meta = make([]string, len(instances))
	}
	for i, inst := range instances {
		rt.Dials[i] = inst.Address
		if inst.Weight != DefaultWeight && rt.weights == nil {
			rt.weights = make(map[string]int, len(instances))
		}
		if !indexed || inst.meta == "" {
			continue
		}
		rt.meta[i] = inst.meta
		if rt.index == nil {
			rt.index = map[string]map[string][]int32{}
		}
		for k, v := range unpackMeta(inst.meta) {
			if rt.index[k] == nil {
				rt.index[k] = map[string][]int32{}
			}
			rt.index[k][v] = append(rt.index[k][v], int32(i))
		}
	}
	if rt.weights != nil {
		for _, inst := range instances {
			rt.weights[inst.Address] += inst.Weight
		}
	}
	return rt
}

func (t *routeTable) len() int {
	n := 0
	t.m.Range(func(any, any) bool { n++; return true })
	return n
}

// listChunkServices is how many services a pass over the whole registry
// (a resync's sweep) handles per hold of the lock.
const listChunkServices = 256

// insertID puts id into the sorted ids, if it is not there yet.
func insertID(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

// removeID takes id out of the sorted ids.
func removeID(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if !found {
		return ids
	}
	return slices.Delete(ids, i, i+1)
}

// leaseHeap orders the instances with a lease by expiry. Each instance
// knows its place (leaseIdx, 1-based; 0: not in the heap), so a renewal
// moves it in O(log n).
type leaseHeap []*Instance

func (h leaseHeap) Len() int { return len(h) }
func (h leaseHeap) Less(i, j int) bool {
	if h[i].ExpiresAt.Equal(h[j].ExpiresAt) {
		// a total order, so that the heap's shape does not depend on map order
		if c := strings.Compare(h[i].Service, h[j].Service); c != 0 {
			return c < 0
		}
		return h[i].ID < h[j].ID
	}
	return h[i].ExpiresAt.Before(h[j].ExpiresAt)
}
func (h leaseHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].leaseIdx = i + 1
	h[j].leaseIdx = j + 1
}
func (h *leaseHeap) Push(x any) {
	inst := x.(*Instance)
	*h = append(*h, inst)
	inst.leaseIdx = len(*h)
}
func (h *leaseHeap) Pop() any {
	old := *h
	inst := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	inst.leaseIdx = 0
	return inst
}

// replace puts inst where old is in the heap (or into it), or takes old out
// when inst has no lease.
func (h *leaseHeap) replace(old, inst *Instance) {
	switch {
	case old != nil && old.leaseIdx > 0 && !inst.ExpiresAt.IsZero():
		i := old.leaseIdx - 1
		old.leaseIdx = 0
		(*h)[i] = inst
		inst.leaseIdx = i + 1
		heap.Fix(h, i)
	case old != nil && old.leaseIdx > 0:
		h.remove(old)
	case !inst.ExpiresAt.IsZero():
		heap.Push(h, inst)
	}
}

// remove takes inst out of the heap, if it is in it.
func (h *leaseHeap) remove(inst *Instance) {
	if inst.leaseIdx > 0 {
		heap.Remove(h, inst.leaseIdx-1)
	}
}

// moved restores the order after inst's ExpiresAt changed in place.
func (h *leaseHeap) moved(inst *Instance) {
	switch {
	case inst.leaseIdx > 0 && inst.ExpiresAt.IsZero():
		h.remove(inst)
	case inst.leaseIdx > 0:
		heap.Fix(h, inst.leaseIdx-1)
	case !inst.ExpiresAt.IsZero():
		heap.Push(h, inst)
	}
}

// earliest returns the first expiry, if any.
func (h leaseHeap) earliest() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].ExpiresAt, true
}

// packMeta packs metadata into one string, its entries sorted by key, each
// key and value preceded by its length (uvarint): one allocation of a few
// bytes where a map of one entry costs hundreds. "" for no metadata.
func packMeta(md map[string]string) string {
	if len(md) == 0 {
		return ""
	}
	keys := make([]string, 0, len(md))
	size := 0
	for k, v := range md {
		keys = append(keys, k)
		size += len(k) + len(v) + 2*binary.MaxVarintLen16
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(md[k])))
		b = append(b, md[k]...)
	}
	return string(b)
}

// metaValue returns the value of key in packed metadata.
func metaValue(s, key string) (string, bool) {
	for len(s) > 0 {
		var kv [2]string
		for i := range kv {
			n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
			if w <= 0 || uint64(len(s)-w) < n {
				return "", false
			}
			kv[i], s = s[w:w+int(n)], s[w+int(n):]
		}
		if kv[0] == key {
			return kv[1], true
		}
	}
	return "", false
}

// unpackMeta is the map packMeta packed; its keys and values share the
// packed string's memory.
func unpackMeta(s string) map[string]string {
	md := make(map[string]string)
	for len(s) > 0 {
		var kv [2]string
		for i := range kv {
			n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
			if w <= 0 || uint64(len(s)-w) < n {
				panic("registry: corrupt packed metadata") // only packMeta writes it
			}
			kv[i], s = s[w:w+int(n)], s[w+int(n):]
		}
		md[kv[0]] = kv[1]
	}
	return md
}
