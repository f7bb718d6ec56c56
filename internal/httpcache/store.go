package httpcache

import (
	"hash/maphash"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"
)

// MaxVariants bounds the variants (by Vary) kept under one key; storing one
// more drops the oldest.
const MaxVariants = 16

// MaxKeyBytes bounds a key and a URL: a response stored under a longer
// one is refused (Put returns false), so a flood of long unique URLs
// cannot fill the memory with keys (a key of 8 KiB already weighs 16
// times a small response).
const MaxKeyBytes = 8 << 10

// The fixed costs Put charges besides the bytes of strings, bodies and
// header fields (measured with TestStoreWeightCoversMemory, rounded up):
const (
	// keyOverhead: otter's node for the key (its links, deadline and
	// weight), its slot in otter's table and frequency sketch, the
	// variants value and its list.
	keyOverhead = 384
	// indexOverhead: the key's slot in one URL or tag set of the purge
	// indexes, and that set's own map when the key is alone in it.
	indexOverhead = 256
	// purgeScopes bounds the URLs and tags whose purge time is
	// remembered; past it they are folded into the time of the last
	// purge of everything.
	purgeScopes = 4096
)

// Store holds responses in memory, bounded by the bytes they keep alive
// (keys, URLs, bodies, header fields, the indexes and otter's own per-key
// cost), evicting by W-TinyLFU (github.com/maypok86/otter/v2). A key is a
// request's URL and the response_cache's extra key parts; under it live
// the variants of that resource (one per combination of the Vary fields).
// It indexes keys by URL and by tag for purges, and remembers when URLs
// and tags were purged, so that a response whose fetch began before a
// purge is not stored after it. It is safe for concurrent use.
type Store struct {
	c    *otter.Cache[string, *variants]
	now  func() time.Time
	seed maphash.Seed

	mu     sync.Mutex
	byURL  map[uint64]map[string]uint64 // hash of a URL → keys → id of the variants that listed them
	byTag  map[uint64]map[string]uint64 // hash of a tag → keys → id
	nextID uint64
	purged purgeTimes

	refusedLong, refusedPurged atomic.Uint64
	// held is the bytes of entries that left the store (evicted, expired,
	// invalidated, replaced) while responses were still being written from
	// them: they stay in memory until their last writer is done
	held atomic.Int64
}

// purgeTimes tells when scopes were last purged.
type purgeTimes struct {
	all       time.Time            // everything (and every scope forgotten since)
	url, tag  map[uint64]time.Time // by hash of the URL or tag
	sequence  uint64               // purges so far
	forgotten int
}

// variants are the stored variants of one key, newest first. A value is
// never changed once in the cache; changes store a new one.
type variants struct {
	key  string // the key as otter holds it; the entries' URLs share its bytes when they are its prefix
	url  string
	list []*Entry
	id   uint64 // tells this value's index entries from its successor's
	size uint32
}

func (v *variants) tags() []string {
	var out []string
	for _, e := range v.list {
		for _, t := range e.Tags {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// weigh sets v.size: everything the value keeps alive.
func (v *variants) weigh() {
	n := int64(keyOverhead) + int64(len(v.key)) + 8*int64(cap(v.list))
	if !sharesBytes(v.key, v.url) {
		n += int64(len(v.url))
	}
	n += indexOverhead * int64(1+len(v.tags()))
	for _, e := range v.list {
		n += e.weight()
		if !sharesBytes(v.key, e.URL) && !sharesBytes(v.url, e.URL) {
			n += int64(len(e.URL))
		}
	}
	v.size = uint32(min(n, 1<<32-1))
}

// sharesBytes tells whether s is a prefix of whole sharing its memory.
func sharesBytes(whole, s string) bool {
	return len(s) <= len(whole) && (len(s) == 0 || unsafe.StringData(s) == unsafe.StringData(whole))
}

// NewStore makes a store of at most maxBytes. now is the clock used for
// retention and purge times (time.Now when nil).
func NewStore(maxBytes uint64, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{now: now, seed: maphash.MakeSeed(),
		byURL: map[uint64]map[string]uint64{}, byTag: map[uint64]map[string]uint64{},
		purged: purgeTimes{url: map[uint64]time.Time{}, tag: map[uint64]time.Time{}}}
	s.c = otter.Must(&otter.Options[string, *variants]{
		MaximumWeight: max(maxBytes, 1),
		Weigher:       func(_ string, v *variants) uint32 { return v.size },
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *variants]) time.Duration {
			return s.retention(e.Value)
		}),
		// every way a value leaves (eviction, expiry, invalidation and
		// replacement, by a value with other URLs and tags or none) takes
		// its index entries with it; a successor's are left alone
		OnAtomicDeletion: func(e otter.DeletionEvent[string, *variants]) {
			s.unindex(e.Key, e.Value)
			if e.Cause != otter.CauseReplacement && e.Value != nil {
				// a replacement keeps some of the entries: Put and Remove
				// mark the ones it drops
				for _, en := range e.Value.list {
					s.left(en)
				}
			}
		},
	})
	return s
}

// retention is how long a key stays: until its last variant is past its
// freshness and its retention.
func (s *Store) retention(v *variants) time.Duration {
	now := s.now()
	keep := time.Duration(0)
	for _, e := range v.list {
		keep = max(keep, e.TTL(now)+e.Retain)
	}
	return max(keep, time.Second)
}

// Lookup returns the newest stored variant under key that matches the
// request's fields, or nil.
func (s *Store) Lookup(key string, req http.Header) *Entry {
	e, _ := s.LookupKey(key, req)
	return e
}

// LookupKey is Lookup that also tells whether anything is stored under
// the key (a variant for other request fields, say).
func (s *Store) LookupKey(key string, req http.Header) (*Entry, bool) {
	v, ok := s.c.GetIfPresent(key)
	if !ok {
		return nil, false
	}
	for _, e := range v.list {
		if e.Matches(req) {
			return e, true
		}
	}
	return nil, true
}

// Variants returns every variant stored under key, newest first.
func (s *Store) Variants(key string) []*Entry {
	v, ok := s.c.GetIfPresent(key)
	if !ok {
		return nil
	}
	return v.list
}

// Put stores e under key, in place of the variant it replaces (the same
// Vary fields and values), as a response whose fetch began at
// e.RequestTime; see PutSince.
func (s *Store) Put(key string, e *Entry) bool { return s.PutSince(key, e, e.RequestTime) }

// PutSince stores e under key, in place of the variant it replaces, as a
// response whose fetch began at began, and tells whether it did. It
// refuses (and counts, see Refused) an entry whose key or URL is longer
// than MaxKeyBytes, and one whose fetch began before a purge of
// everything, of its URL or of one of its tags: a purge wins over every
// store that began before it. An entry larger than the whole store is not
// stored either. Put may set e.URL to an equal string that shares the
// key's memory.
func (s *Store) PutSince(key string, e *Entry, began time.Time) bool {
	if len(key) > MaxKeyBytes || len(e.URL) > MaxKeyBytes {
		s.refusedLong.Add(1)
		return false
	}
	if uint64(e.weight()+int64(len(key))+keyOverhead) > s.c.GetMaximum() {
		return false
	}
	// the key otter holds, when it holds one: the new value's strings
	// share its bytes instead of keeping another copy alive
	if old, ok := s.c.GetEntryQuietly(key); ok && old.Value.key == key {
		key = old.Value.key
	}
	if strings.HasPrefix(key, e.URL) {
		e.URL = key[:len(e.URL)]
	}
	stored, sequence := false, uint64(0)
	s.c.Compute(key, func(old *variants, found bool) (*variants, otter.ComputeOp) {
		n := &variants{key: key, url: e.URL, list: make([]*Entry, 0, 4)}
		if found && old.url == e.URL {
			n.url = old.url
			if !sharesBytes(key, e.URL) {
				e.URL = old.url
			}
		}
		n.list = append(n.list, e)
		if found && old.url == e.URL {
			for _, o := range old.list {
				if len(n.list) == MaxVariants {
					break
				}
				if o.VaryKey == e.VaryKey && slices.Equal(o.VaryFields, e.VaryFields) {
					continue
				}
				n.list = append(n.list, o)
			}
		}
		n.weigh()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.purgedSince(began, e) {
			if found {
				return old, otter.CancelOp
			}
			return nil, otter.CancelOp
		}
		sequence = s.purged.sequence
		s.nextID++
		n.id = s.nextID
		s.indexLocked(key, n)
		stored = true
		if found {
			for _, o := range old.list {
				if !slices.Contains(n.list, o) {
					s.left(o)
				}
			}
		}
		return n, otter.WriteOp
	})
	if !stored {
		s.refusedPurged.Add(1)
		return false
	}
	// a purge that ran while the value was being written may have missed
	// it (PurgeAll's sweep, say): it is taken back
	s.mu.Lock()
	missed := s.purged.sequence != sequence && s.purgedSince(began, e)
	s.mu.Unlock()
	if missed {
		s.Remove(key, e)
		s.refusedPurged.Add(1)
		return false
	}
	return true
}

// purgedSince tells whether everything, e's URL or one of its tags was
// purged at or after began. s.mu is held.
func (s *Store) purgedSince(began time.Time, e *Entry) bool {
	after := func(t time.Time) bool { return !t.IsZero() && !began.After(t) }
	if after(s.purged.all) {
		return true
	}
	if t, ok := s.purged.url[s.hash(e.URL)]; ok && after(t) {
		return true
	}
	for _, tag := range e.Tags {
		if t, ok := s.purged.tag[s.hash(tag)]; ok && after(t) {
			return true
		}
	}
	return false
}

// Refused counts the entries Put refused: for a key or URL over
// MaxKeyBytes, and for a fetch that began before a purge.
func (s *Store) Refused() (tooLong, purged uint64) {
	return s.refusedLong.Load(), s.refusedPurged.Load()
}

// Remove drops one stored variant.
func (s *Store) Remove(key string, e *Entry) {
	s.c.Compute(key, func(old *variants, found bool) (*variants, otter.ComputeOp) {
		if !found {
			return nil, otter.CancelOp
		}
		i := slices.Index(old.list, e)
		if i < 0 {
			return old, otter.CancelOp
		}
		if len(old.list) == 1 {
			return nil, otter.InvalidateOp
		}
		n := &variants{key: old.key, url: old.url, list: slices.Delete(slices.Clone(old.list), i, i+1)}
		n.weigh()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.nextID++
		n.id = s.nextID
		s.indexLocked(key, n)
		s.left(e)
		return n, otter.WriteOp
	})
}

// BeginServe tells the store that a response is being written from e,
// until EndServe(e): should e leave the store meanwhile (evicted, expired,
// invalidated, replaced), its bytes are counted in Held until the last
// such response is written, since the memory stays in use. It allocates
// nothing.
func (s *Store) BeginServe(e *Entry) {
	if e.serving.Add(1) == leftStore+1 {
		s.held.Add(int64(e.Size())) // it left before this writer began
	}
}

// EndServe ends what BeginServe(e) began.
func (s *Store) EndServe(e *Entry) {
	if e.serving.Add(-1) == leftStore {
		s.held.Add(-int64(e.Size()))
	}
}

// left marks e as no longer stored; from then on, while responses are
// being written from it, its bytes count in Held. An entry that left is
// not stored again.
func (s *Store) left(e *Entry) {
	if old := e.serving.Or(leftStore); old&leftStore == 0 && old > 0 {
		s.held.Add(int64(e.Size()))
	}
}

// Held is the bytes of entries that left the store while responses were
// being written from them, and are still being written: memory in use
// that the store's maximum no longer counts. A caller that bounds what it
// keeps besides the store (responses being fetched) counts these too.
func (s *Store) Held() int64 { return s.held.Load() }

// InvalidateURL drops every key stored for url (every caller's and
// variant); it returns how many keys. Responses for url whose fetch began
// before are not stored after.
func (s *Store) InvalidateURL(url string) int { return s.drop(s.byURL, s.purged.url, url) }

// PurgeTag drops every key with a variant tagged tag; responses tagged
// tag whose fetch began before are not stored after.
func (s *Store) PurgeTag(tag string) int { return s.drop(s.byTag, s.purged.tag, tag) }

// drop records the purge of k and invalidates the keys an index lists
// under it (the index is emptied by the deletions themselves). Index
// entries are by a 64-bit hash: two URLs (or tags) of the same hash would
// be purged together.
func (s *Store) drop(index map[uint64]map[string]uint64, times map[uint64]time.Time, k string) int {
	h := s.hash(k)
	s.mu.Lock()
	s.purged.sequence++
	if len(times) >= purgeScopes {
		s.forgetPurgesLocked()
	}
	times[h] = s.now()
	keys := setKeys(index[h])
	s.mu.Unlock()
	for _, key := range keys {
		s.c.Invalidate(key)
	}
	return len(keys)
}

// forgetPurgesLocked folds the remembered URL and tag purges into the
// purge time of everything: a fetch that began before the newest of them
// is not stored, whatever its URL. s.mu is held.
func (s *Store) forgetPurgesLocked() {
	for _, m := range []map[uint64]time.Time{s.purged.url, s.purged.tag} {
		for _, t := range m {
			if t.After(s.purged.all) {
				s.purged.all = t
			}
		}
		clear(m)
	}
	s.purged.forgotten++
}

// PurgeAll empties the store; it returns how many keys it held. Responses
// whose fetch began before are not stored after.
func (s *Store) PurgeAll() int {
	s.mu.Lock()
	s.purged.sequence++
	s.purged.all = s.now()
	clear(s.purged.url)
	clear(s.purged.tag)
	s.mu.Unlock()
	n := s.c.EstimatedSize()
	s.c.InvalidateAll()
	return n
}

// Stats reports the bytes stored and the number of keys.
func (s *Store) Stats() (bytes uint64, keys int) {
	return s.c.WeightedSize(), s.c.EstimatedSize()
}

// Close stops the store's background work.
func (s *Store) Close() { s.c.StopAllGoroutines() }

func (s *Store) hash(k string) uint64 { return maphash.String(s.seed, k) }

func setKeys(m map[string]uint64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// indexLocked lists key under its URL and tags as v's. s.mu is held.
func (s *Store) indexLocked(key string, v *variants) {
	add(s.byURL, s.hash(v.url), key, v.id)
	for _, t := range v.tags() {
		add(s.byTag, s.hash(t), key, v.id)
	}
}

// unindex removes the index entries old made, leaving those its successor
// under the key made.
func (s *Store) unindex(key string, old *variants) {
	if old == nil {
		return
	}
	tags := old.tags()
	s.mu.Lock()
	defer s.mu.Unlock()
	remove(s.byURL, s.hash(old.url), key, old.id)
	for _, t := range tags {
		remove(s.byTag, s.hash(t), key, old.id)
	}
}

func add(m map[uint64]map[string]uint64, h uint64, key string, id uint64) {
	set := m[h]
	if set == nil {
		set = map[string]uint64{}
		m[h] = set
	}
	set[key] = id
}

func remove(m map[uint64]map[string]uint64, h uint64, key string, id uint64) {
	if set := m[h]; set != nil && set[key] == id {
		delete(set, key)
		if len(set) == 0 {
			delete(m, h)
		}
	}
}
