package waf

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
)

// verdictCache remembers which requests without a body an engine let
// through, so that the same request again skips the engine: a client
// polling the same URL with the same token and headers costs the CRS's
// ~200 rules once, not each time (docs/waf.md, "The same request again").
//
// The engine's verdict is a function of what inspect hands it: the client's
// address, the method, protocol, URL, Host and headers (and the body, which
// a remembered request has none of), under the engine's rules, which its
// pool key names (the directives, so the paranoia, threshold, limits and
// crs_only, and the bytes of every extra rule file). The CRS reads nothing
// else at its defaults (no time, no persistent collection, no sampling;
// UNIQUE_ID only when sampling is under 100%), nor do the gateway's rules.
// Extra rules may (TIME, REMOTE_PORT, @rbl), so the cache is off when
// `rules` are given unless `verdict_cache on` says they read only the
// request.
//
// What is remembered is a SHA-256 of that material, each part length-
// prefixed, never the request: a request that differs from a remembered
// one anywhere is a different key and is inspected. Only a verdict with
// no refusal, nothing logged and no limit reached is remembered: a refused
// request is inspected (and logged) every time.
//
// Bounded: 16 shards of two generations of at most verdictPerShard keys
// each (32,768 keys, about 2 MiB at most); when a shard's current
// generation is full the older one is dropped, so the keys in use stay
// (a hit in the older generation moves the key to the current one).
// Request material over verdictMaxKey bytes is not remembered (a miss
// costs hashing it once; the engine costs far more).
type verdictCache struct {
	shards [verdictShards]verdictShard
}

const (
	verdictShards   = 16
	verdictPerShard = 1024
	verdictMaxKey   = 8 << 10
)

type verdictShard struct {
	mu         sync.Mutex
	cur, prev  map[[sha256.Size]byte]struct{}
	hits, miss uint64 // for the tests and the docs' figures
}

// newVerdictCache is an empty cache. Its maps grow as keys come (and keep
// their room when cleared): an engine whose handlers have the cache off
// pays a few hundred bytes for it, not the 2.5 MiB of maps made at their
// largest (a review).
func newVerdictCache() *verdictCache {
	c := new(verdictCache)
	for i := range c.shards {
		c.shards[i].cur = make(map[[sha256.Size]byte]struct{})
		c.shards[i].prev = make(map[[sha256.Size]byte]struct{})
	}
	return c
}

// allowed reports whether the request of key k was let through before.
func (c *verdictCache) allowed(k *[sha256.Size]byte) bool {
	s := &c.shards[k[0]%verdictShards]
	s.mu.Lock()
	_, ok := s.cur[*k]
	if !ok {
		if _, ok = s.prev[*k]; ok {
			s.addLocked(k)
		}
	}
	if ok {
		s.hits++
	} else {
		s.miss++
	}
	s.mu.Unlock()
	return ok
}

// remember records that the request of key k was let through.
func (c *verdictCache) remember(k *[sha256.Size]byte) {
	s := &c.shards[k[0]%verdictShards]
	s.mu.Lock()
	s.addLocked(k)
	s.mu.Unlock()
}

func (s *verdictShard) addLocked(k *[sha256.Size]byte) {
	if len(s.cur) >= verdictPerShard {
		clear(s.prev)
		s.prev, s.cur = s.cur, s.prev
	}
	s.cur[*k] = struct{}{}
}

// stats are the keys held and the hits and misses so far.
func (c *verdictCache) stats() (keys int, hits, misses uint64) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		keys += len(s.cur) + len(s.prev)
		hits += s.hits
		misses += s.miss
		s.mu.Unlock()
	}
	return keys, hits, misses
}

// keyBuffers hold verdictKey's material between requests.
var keyBuffers = sync.Pool{New: func() any { return &keyBuffer{} }}

type keyBuffer struct {
	b     []byte
	names []string
	one   [1]byte // the body's first byte, if any (on the heap once, with the buffer)
}

// verdictKey is the key of a request without a body: a SHA-256 of
// everything inspect hands the engine (the client's host, as
// ProcessConnection gets it, the method, the protocol, every field of the
// URL, the Host and every header, its name and each of its values in
// order, the names sorted). ok is false for a request that has a body, a
// Transfer-Encoding or trailers, or whose material is over verdictMaxKey
// bytes.
//
// Without a body means a Content-Length of 0 (Go's server sets it so for
// an HTTP/1 request with neither Content-Length nor chunked, and for an
// HTTP/2 or 3 stream ended with its headers) and a body that reads
// nothing: Caddy wraps even an empty body (its access log counts the
// bytes read), and a handler before this one could have replaced it
// without setting the length, so one byte is read to see; a byte read is
// put back and the request has no key.
func verdictKey(r *http.Request) (k [sha256.Size]byte, ok bool) {
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 || len(r.Trailer) > 0 {
		return k, false
	}
	// the material's size first: a request over the bound costs a sum,
	// not a sort of its header names
	size := len(r.RemoteAddr) + len(r.Method) + len(r.Proto) + len(r.Host) + len(r.URL.Path) + len(r.URL.RawPath) +
		len(r.URL.RawQuery) + len(r.URL.Fragment) + len(r.URL.RawFragment) + len(r.URL.Opaque) + len(r.URL.Host) + len(r.URL.Scheme) + 32*binary.MaxVarintLen64
	for name, vs := range r.Header {
		size += len(name) + 2*binary.MaxVarintLen64
		for _, v := range vs {
			size += len(v) + binary.MaxVarintLen64
		}
		if size > verdictMaxKey {
			return k, false
		}
	}
	if size > verdictMaxKey || r.URL.User != nil && len(r.URL.User.String()) > verdictMaxKey {
		return k, false
	}
	kb := keyBuffers.Get().(*keyBuffer)
	defer keyBuffers.Put(kb)
	if r.Body != nil && r.Body != http.NoBody {
		n, err := r.Body.Read(kb.one[:])
		if n > 0 {
			r.Body = readCloser{io.MultiReader(bytes.NewReader([]byte{kb.one[0]}), r.Body), r.Body}
			return k, false
		}
		if err != io.EOF {
			return k, false
		}
	}
	b := kb.b[:0]
	put := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	client := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		client = host
	}
	put("verdict v1")
	put(client)
	put(r.Method)
	put(r.Proto)
	u := r.URL
	put(u.Scheme)
	put(u.Opaque)
	if u.User != nil {
		put(u.User.String())
	} else {
		put("\x00no user")
	}
	put(u.Host)
	put(u.Path)
	put(u.RawPath)
	if u.OmitHost {
		put("omit host")
	} else {
		put("")
	}
	if u.ForceQuery {
		put("force query")
	} else {
		put("")
	}
	put(u.RawQuery)
	put(u.Fragment)
	put(u.RawFragment)
	put(r.Host)
	names := kb.names[:0]
	for name := range r.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		vs := r.Header[name]
		b = binary.AppendUvarint(b, uint64(len(vs)))
		put(name)
		for _, v := range vs {
			put(v)
		}
	}
	clear(names) // the pool holds no request's header names
	kb.names = names[:0]
	k = sha256.Sum256(b)
	clear(b) // the pool holds no request's headers
	if cap(b) <= 2*verdictMaxKey {
		kb.b = b[:0]
	}
	return k, true
}
