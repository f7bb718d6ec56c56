package httpcache

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
)

// MaxVariants bounds the variants (by Vary) kept under one key; storing one
// more drops the oldest.
const MaxVariants = 16

// Store holds responses in memory, bounded by the bytes of their bodies and
// headers, evicting by W-TinyLFU (github.com/maypok86/otter/v2). A key is
// a request's URL and the response_cache's extra key parts; under it live
// the variants of that resource (one per combination of the Vary fields).
// It indexes keys by URL and by tag for purges. It is safe for concurrent
// use.
type Store struct {
	c   *otter.Cache[string, *variants]
	now func() time.Time

	mu    sync.Mutex
	byURL map[string]map[string]struct{} // URL → keys
	byTag map[string]map[string]struct{} // tag → keys
}

// variants are the stored variants of one key, newest first. A value is
// never changed once in the cache; changes store a new one.
type variants struct {
	url  string
	list []*Entry
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

// NewStore makes a store of at most maxBytes. now is the clock used for
// retention (time.Now when nil).
func NewStore(maxBytes uint64, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{now: now, byURL: map[string]map[string]struct{}{}, byTag: map[string]map[string]struct{}{}}
	s.c = otter.Must(&otter.Options[string, *variants]{
		MaximumWeight: max(maxBytes, 1),
		Weigher:       func(_ string, v *variants) uint32 { return v.size },
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *variants]) time.Duration {
			return s.retention(e.Value)
		}),
		OnAtomicDeletion: func(e otter.DeletionEvent[string, *variants]) {
			if e.Cause != otter.CauseReplacement {
				s.unindex(e.Key, e.Value, nil)
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
// Vary fields and values). An entry larger than the whole store is not
// stored.
func (s *Store) Put(key string, e *Entry) {
	if uint64(e.size) > s.c.GetMaximum() {
		return
	}
	s.c.Compute(key, func(old *variants, found bool) (*variants, otter.ComputeOp) {
		n := &variants{url: e.URL, list: make([]*Entry, 0, 4)}
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
		for _, x := range n.list {
			n.size += x.size
		}
		if found {
			s.unindex(key, old, n)
		}
		s.index(key, n)
		return n, otter.WriteOp
	})
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
		n := &variants{url: old.url, list: slices.Delete(slices.Clone(old.list), i, i+1)}
		for _, x := range n.list {
			n.size += x.size
		}
		s.unindex(key, old, n)
		s.index(key, n)
		return n, otter.WriteOp
	})
}

// InvalidateURL drops every key stored for url (every caller's and
// variant); it returns how many keys.
func (s *Store) InvalidateURL(url string) int { return s.drop(s.byURL, url) }

// PurgeTag drops every key with a variant tagged tag.
func (s *Store) PurgeTag(tag string) int { return s.drop(s.byTag, tag) }

// drop invalidates the keys an index lists under k (the index is emptied
// by the deletions themselves).
func (s *Store) drop(index map[string]map[string]struct{}, k string) int {
	s.mu.Lock()
	keys := setKeys(index[k])
	s.mu.Unlock()
	for _, key := range keys {
		s.c.Invalidate(key)
	}
	return len(keys)
}

// PurgeAll empties the store; it returns how many keys it held.
func (s *Store) PurgeAll() int {
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

func setKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// index records key under its URL and tags.
func (s *Store) index(key string, v *variants) {
	s.mu.Lock()
	defer s.mu.Unlock()
	add(s.byURL, v.url, key)
	for _, t := range v.tags() {
		add(s.byTag, t, key)
	}
}

// unindex removes key from old's URL and tags, except those next keeps.
func (s *Store) unindex(key string, old, next *variants) {
	if old == nil {
		return
	}
	var keepTags []string
	if next != nil {
		keepTags = next.tags()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if next == nil || next.url != old.url {
		remove(s.byURL, old.url, key)
	}
	for _, t := range old.tags() {
		if !slices.Contains(keepTags, t) {
			remove(s.byTag, t, key)
		}
	}
}

func add(m map[string]map[string]struct{}, k, key string) {
	set := m[k]
	if set == nil {
		set = map[string]struct{}{}
		m[k] = set
	}
	set[key] = struct{}{}
}

func remove(m map[string]map[string]struct{}, k, key string) {
	if set := m[k]; set != nil {
		delete(set, key)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}
