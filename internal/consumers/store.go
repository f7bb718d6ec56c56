// Package consumers is the engine of the gateway's consumers: the callers
// an operator hands API keys to, each in a plan that sets its rates and
// quotas. It holds the consumers and their keys (only as hashes),
// authenticates keys, counts calendar quotas, writes the consumers to a
// storage and shares them through Redis. It knows nothing of Caddy or HTTP;
// the Caddy layer maps its typed errors to statuses.
package consumers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/google/btree"
)

// Errors of the store; the admin API maps them to statuses.
var (
	ErrNotFound    = errors.New("not found")
	ErrExists      = errors.New("already exists")
	ErrInvalid     = errors.New("invalid")
	ErrFull        = errors.New("full")
	ErrBackendDown = errors.New("the shared store (Redis) is unreachable; nothing was changed, try again")
)

// Limits on what one consumer holds, so that a record stays small.
const (
	MaxKeysPerConsumer = 20
	MaxMetadata        = 32
	maxMetadataKey     = 64
	maxMetadataValue   = 1024
	maxIDLen           = 128
	maxKeyNameLen      = 128
)

// Consumer is a caller holding API keys. Values handed out by the store are
// copies or immutable: the store replaces a consumer on every change.
type Consumer struct {
	ID        string            `json:"id"`
	Plan      string            `json:"plan,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
	Disabled  bool              `json:"disabled,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	Keys      []Key             `json:"keys,omitempty"`
}

// Key is one API key of a consumer: never the key itself, only its hash.
type Key struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Expires is when the key stops working; zero: never.
	Expires time.Time `json:"expires,omitzero"`
	Hash    Hash      `json:"hash"`
}

// Reason is why a key is refused (0: accepted).
type Reason int

// Reasons a key is refused.
const (
	Accepted Reason = iota
	// Malformed: not the form of a key, or a wrong checksum (a typo).
	Malformed
	// Unknown: no such key, or a key that was deleted.
	Unknown
	// Expired: the key is past its expiry.
	Expired
	// Disabled: the key's consumer is disabled.
	Disabled
)

func (r Reason) String() string {
	return [...]string{"accepted", "malformed", "unknown", "expired", "disabled"}[r]
}

// Description says why, for the client.
func (r Reason) Description() string {
	return [...]string{"", "the API key is malformed (mistyped or truncated?)", "the API key is not valid",
		"the API key has expired", "the API key's consumer is disabled"}[r]
}

// keyEntry is what a key's lookup finds.
type keyEntry struct {
	consumer *Consumer
	hash     Hash
	expires  int64 // unix ns; 0 never
}

// Backend is where a store in cluster mode writes every change before
// applying it, so that a change the other gateways cannot see is refused
// rather than made on one gateway only.
type Backend interface {
	Save(ctx context.Context, c *Consumer) error
	Remove(ctx context.Context, id string) error
}

// Store holds the consumers. Reads (Authenticate, Get) take a read lock;
// writes are serialized.
type Store struct {
	writeMu sync.Mutex // serializes changes, across the backend write

	mu        sync.RWMutex
	consumers map[string]*Consumer
	keys      map[string]keyEntry
	ids       *btree.BTreeG[string]
	nkeys     int

	backend  Backend
	onChange func(id string)

	// Now is the clock; tests set it.
	Now func() time.Time
}

// dummyHash is compared against when a key id is unknown, so that an
// unknown id costs what a known one does.
var dummyHash = HashKey("cgw_aaaaaaaaaaaaa_" + string(make([]byte, secretLen)))

// NewStore makes an empty store.
func NewStore() *Store {
	return &Store{
		consumers: map[string]*Consumer{},
		keys:      map[string]keyEntry{},
		ids:       btree.NewOrderedG[string](32),
		Now:       time.Now,
	}
}

// SetBackend sets (or, with nil, clears) the shared store every change is
// written to first.
func (s *Store) SetBackend(b Backend) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.backend = b
}

// OnChange sets the function called (outside the store's locks) with the
// id of every consumer changed through the store's API or Apply.
func (s *Store) OnChange(f func(id string)) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.onChange = f
}

// Authenticate finds the consumer of a key. The key's hash is compared in
// constant time, and an unknown key id is compared against a dummy hash,
// so the time taken does not tell a known key id from an unknown one.
func (s *Store) Authenticate(key string, now time.Time) (*Consumer, Reason) {
	id, ok := ParseKey(key)
	if !ok {
		return nil, Malformed
	}
	sum := HashKey(key)
	s.mu.RLock()
	e, found := s.keys[id]
	s.mu.RUnlock()
	want := e.hash
	if !found {
		want = dummyHash
	}
	if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !found {
		return nil, Unknown
	}
	if e.expires != 0 && now.UnixNano() >= e.expires {
		return nil, Expired
	}
	if e.consumer.Disabled {
		return nil, Disabled
	}
	return e.consumer, Accepted
}

// Holder is the consumer a key id belongs to now (nil: no such key), and
// the key's hash and expiry (unix ns, 0: never). A cache of keys already
// checked (api_key's) asks it to learn whether a key it holds still works:
// the consumer is replaced on every change, so a cached pointer that is no
// longer the holder means the key, or its consumer, changed.
func (s *Store) Holder(keyID string) (c *Consumer, hash Hash, expires int64) {
	s.mu.RLock()
	e := s.keys[keyID]
	s.mu.RUnlock()
	return e.consumer, e.hash, e.expires
}

// Get returns a consumer (shared: do not change it).
func (s *Store) Get(id string) (*Consumer, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.consumers[id]
	return c, ok
}

// Len is the number of consumers and of keys.
func (s *Store) Len() (consumers, keys int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.consumers), s.nkeys
}

// List returns at most limit consumers whose id sorts after after, in
// order.
func (s *Store) List(after string, limit int) []*Consumer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Consumer, 0, min(limit, len(s.consumers)))
	s.ids.AscendGreaterOrEqual(after, func(id string) bool {
		if id == after {
			return true
		}
		if len(out) >= limit {
			return false
		}
		out = append(out, s.consumers[id])
		return true
	})
	return out
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@:-]*$`)

// ValidateID checks a consumer id: 1 to 128 letters, digits and . _ @ : -,
// starting with a letter or digit (so it is safe in a path, a header and a
// storage key).
func ValidateID(id string) error {
	if id == "" || len(id) > maxIDLen || !idPattern.MatchString(id) {
		return fmt.Errorf("%w: consumer id %q must be 1 to %d letters, digits and . _ @ : -, starting with a letter or digit", ErrInvalid, id, maxIDLen)
	}
	return nil
}

var metadataKeyPattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// validate checks what a client may set on a consumer.
func validate(c *Consumer) error {
	if err := ValidateID(c.ID); err != nil {
		return err
	}
	if len(c.Plan) > maxIDLen {
		return fmt.Errorf("%w: plan name longer than %d bytes", ErrInvalid, maxIDLen)
	}
	if len(c.Metadata) > MaxMetadata {
		return fmt.Errorf("%w: %d metadata entries; at most %d", ErrInvalid, len(c.Metadata), MaxMetadata)
	}
	for k, v := range c.Metadata {
		if len(k) > maxMetadataKey || !metadataKeyPattern.MatchString(k) {
			return fmt.Errorf("%w: metadata key %q must be 1 to %d lowercase letters, digits and _", ErrInvalid, k, maxMetadataKey)
		}
		if len(v) > maxMetadataValue {
			return fmt.Errorf("%w: metadata %q is longer than %d bytes", ErrInvalid, k, maxMetadataValue)
		}
		for i := range len(v) {
			if v[i] < 0x20 || v[i] == 0x7f {
				return fmt.Errorf("%w: metadata %q holds a control character", ErrInvalid, k)
			}
		}
	}
	return nil
}

// Create adds a consumer (its keys are ignored: keys are made by AddKey).
func (s *Store) Create(ctx context.Context, c Consumer) (*Consumer, error) {
	if err := validate(&c); err != nil {
		return nil, err
	}
	return s.change(ctx, c.ID, func(old *Consumer) (*Consumer, error) {
		if old != nil {
			return nil, fmt.Errorf("%w: consumer %q", ErrExists, c.ID)
		}
		now := s.Now().UTC()
		n := &Consumer{ID: c.ID, Plan: c.Plan, Metadata: maps.Clone(c.Metadata), Disabled: c.Disabled,
			CreatedAt: now, UpdatedAt: now}
		return n, nil
	})
}

// Update changes a consumer's plan, metadata and disabled flag with edit,
// which gets a copy; keys and times are kept.
func (s *Store) Update(ctx context.Context, id string, edit func(c *Consumer) error) (*Consumer, error) {
	return s.change(ctx, id, func(old *Consumer) (*Consumer, error) {
		if old == nil {
			return nil, fmt.Errorf("%w: consumer %q", ErrNotFound, id)
		}
		n := old.clone()
		if err := edit(n); err != nil {
			return nil, err
		}
		n.ID, n.Keys, n.CreatedAt = old.ID, old.Keys, old.CreatedAt
		if err := validate(n); err != nil {
			return nil, err
		}
		n.UpdatedAt = s.Now().UTC()
		return n, nil
	})
}

// Delete removes a consumer and its keys.
func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := s.change(ctx, id, func(old *Consumer) (*Consumer, error) {
		if old == nil {
			return nil, fmt.Errorf("%w: consumer %q", ErrNotFound, id)
		}
		return nil, nil
	})
	return err
}

// MaxExpires is the latest expiry a key can carry: its expiry is checked
// in Unix nanoseconds, which end in April 2262.
var MaxExpires = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// AddKey makes a new key for a consumer and returns the key itself (to be
// shown once) with what is stored of it.
func (s *Store) AddKey(ctx context.Context, consumerID, name string, expires time.Time) (string, Key, error) {
	if len(name) > maxKeyNameLen {
		return "", Key{}, fmt.Errorf("%w: key name longer than %d bytes", ErrInvalid, maxKeyNameLen)
	}
	for i := range len(name) {
		if name[i] < 0x20 || name[i] == 0x7f {
			return "", Key{}, fmt.Errorf("%w: key name %q holds a control character", ErrInvalid, name)
		}
	}
	now := s.Now().UTC()
	if !expires.IsZero() && !expires.After(now) {
		return "", Key{}, fmt.Errorf("%w: expires %s is not in the future", ErrInvalid, expires.Format(time.RFC3339))
	}
	if expires.After(MaxExpires) {
		return "", Key{}, fmt.Errorf("%w: expires %s is after %s, the latest a key can carry; omit expires for a key that never expires",
			ErrInvalid, expires.UTC().Format(time.RFC3339), MaxExpires.Format(time.RFC3339))
	}
	id, secret := NewKey()
	k := Key{ID: id, Name: name, CreatedAt: now, Expires: expires.UTC(), Hash: HashKey(secret)}
	if expires.IsZero() {
		k.Expires = time.Time{}
	}
	_, err := s.change(ctx, consumerID, func(old *Consumer) (*Consumer, error) {
		if old == nil {
			return nil, fmt.Errorf("%w: consumer %q", ErrNotFound, consumerID)
		}
		if len(old.Keys) >= MaxKeysPerConsumer {
			return nil, fmt.Errorf("%w: consumer %q holds %d keys, the most allowed; delete one first", ErrFull, consumerID, len(old.Keys))
		}
		n := old.clone()
		n.Keys = append(slices.Clip(n.Keys), k)
		n.UpdatedAt = now
		return n, nil
	})
	if err != nil {
		return "", Key{}, err
	}
	return secret, k, nil
}

// DeleteKey removes one key of a consumer; it stops working at once.
func (s *Store) DeleteKey(ctx context.Context, consumerID, keyID string) error {
	_, err := s.change(ctx, consumerID, func(old *Consumer) (*Consumer, error) {
		if old == nil {
			return nil, fmt.Errorf("%w: consumer %q", ErrNotFound, consumerID)
		}
		i := slices.IndexFunc(old.Keys, func(k Key) bool { return k.ID == keyID })
		if i < 0 {
			return nil, fmt.Errorf("%w: consumer %q has no key %q", ErrNotFound, consumerID, keyID)
		}
		n := old.clone()
		n.Keys = slices.Delete(slices.Clone(old.Keys), i, i+1)
		n.UpdatedAt = s.Now().UTC()
		return n, nil
	})
	return err
}

// change computes a consumer's new value (nil: removed) from its old one,
// writes it to the backend if there is one, then applies it.
func (s *Store) change(ctx context.Context, id string, f func(old *Consumer) (*Consumer, error)) (*Consumer, error) {
	s.writeMu.Lock()
	old, _ := s.Get(id)
	n, err := f(old)
	if err != nil {
		s.writeMu.Unlock()
		return nil, err
	}
	if s.backend != nil {
		if n != nil {
			err = s.backend.Save(ctx, n)
		} else {
			err = s.backend.Remove(ctx, id)
		}
		if err != nil {
			s.writeMu.Unlock()
			return nil, fmt.Errorf("%w (%v)", ErrBackendDown, err)
		}
	}
	s.apply(id, n)
	notify := s.onChange
	s.writeMu.Unlock()
	if notify != nil {
		notify(id)
	}
	return n, nil
}

// Apply sets a consumer as read from storage or from the shared store
// (nil removes it), without writing it to the backend.
func (s *Store) Apply(id string, c *Consumer) {
	s.writeMu.Lock()
	s.apply(id, c)
	notify := s.onChange
	s.writeMu.Unlock()
	if notify != nil {
		notify(id)
	}
}

// Restore sets consumers read at start, without notifying.
func (s *Store) Restore(cs []*Consumer) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for _, c := range cs {
		s.apply(c.ID, c)
	}
}

// apply publishes a consumer's new value; s.writeMu is held.
func (s *Store) apply(id string, c *Consumer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.consumers[id]; ok {
		for _, k := range old.Keys {
			if e, ok := s.keys[k.ID]; ok && e.consumer == old {
				delete(s.keys, k.ID)
				s.nkeys--
			}
		}
	}
	if c == nil {
		delete(s.consumers, id)
		s.ids.Delete(id)
		return
	}
	s.consumers[id] = c
	s.ids.ReplaceOrInsert(id)
	for _, k := range c.Keys {
		var exp int64
		if !k.Expires.IsZero() {
			exp = k.Expires.UnixNano()
		}
		if _, dup := s.keys[k.ID]; !dup {
			s.nkeys++
		}
		s.keys[k.ID] = keyEntry{consumer: c, hash: k.Hash, expires: exp}
	}
}

// All returns every consumer (for a full write or a resync).
func (s *Store) All() []*Consumer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Collect(maps.Values(s.consumers))
}

func (c *Consumer) clone() *Consumer {
	n := *c
	n.Metadata = maps.Clone(c.Metadata)
	n.Keys = slices.Clone(c.Keys)
	return &n
}
