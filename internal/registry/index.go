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

// routeTable maps a service name to the dial addresses of its healthy
// instances, ordered by instance ID. A published slice never changes.
type routeTable struct{ m sync.Map } // string -> []string

func (t *routeTable) load(service string) []string {
	v, ok := t.m.Load(service)
	if !ok {
		return nil
	}
	return v.([]string)
}

func (t *routeTable) store(service string, dials []string) {
	if len(dials) == 0 {
		t.m.Delete(service)
		return
	}
	t.m.Store(service, dials)
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
