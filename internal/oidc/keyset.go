package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// KeySetConfig says which provider a KeySet follows and how.
type KeySetConfig struct {
	// Issuer is the provider's issuer URL (CheckURL must accept it).
	Issuer string
	// Client fetches; its Timeout bounds each fetch. nil: a client with
	// Timeout.
	Client *http.Client
	// Timeout bounds one refresh (discovery and key set together), and so
	// how long a request with an unknown kid waits for one. Default: 3s.
	Timeout time.Duration
	// Refresh is how often the keys are refetched. Default: 15m.
	Refresh time.Duration
	// Cooldown is the least time between two refetches caused by unknown
	// kids. Default: 1m.
	Cooldown time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// OnRefresh, when set, is called after every fetch with its error
	// (nil on success) and whether keys from an earlier fetch are kept
	// in use; for logs.
	OnRefresh func(err error, keptOld bool)
}

// Status is what a KeySet knows of its provider, for logs and dashboards.
type Status struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri,omitempty"`
	Keys    int    `json:"keys"`
	// Fetches counts refreshes tried (periodic and for unknown kids).
	Fetches int64 `json:"fetches"`
	// LastSuccess is when keys were last fetched; zero: never.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastError is the last refresh's error, "" when it succeeded.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// KeySet is a provider's signing keys, kept current. Lookups are
// lock-free; fetches are serialized.
type KeySet struct {
	cfg  KeySetConfig
	keys atomic.Pointer[keyTable]
	// gen changes whenever a key is removed, so caches of verified tokens
	// can drop what a removed key vouched for (Generation).
	gen atomic.Uint64

	fetchMu sync.Mutex // one fetch at a time

	mu          sync.Mutex
	status      Status
	lastUnknown time.Time     // the last refetch for an unknown kid
	inflight    chan struct{} // closed when the refetch for an unknown kid ends
}

type keyTable struct {
	byKid map[string][]key
	all   []any
}

type key struct {
	key any
	alg string // "" when the JWK names none
}

// Errors of Keyfunc.
var (
	ErrNoKeys     = errors.New("no keys fetched from the provider yet")
	ErrUnknownKid = errors.New("no key of the provider has the token's kid")
	ErrKeyAlg     = errors.New("the key with the token's kid is for another algorithm")
)

// NewKeySet returns a KeySet for cfg, with no keys yet: call Refresh or
// Run.
func NewKeySet(cfg KeySetConfig) *KeySet {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 15 * time.Minute
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = NewClient(cfg.Timeout)
	}
	k := &KeySet{cfg: cfg}
	k.status.Issuer = cfg.Issuer
	k.keys.Store(&keyTable{})
	return k
}

// Run refreshes now and then every Refresh until ctx ends. While no keys
// were ever fetched it retries sooner: after 1s, doubling up to Refresh.
func (k *KeySet) Run(ctx context.Context) {
	retry := time.Second
	for {
		wait := k.cfg.Refresh
		if err := k.Refresh(ctx); err != nil && len(k.keys.Load().all) == 0 {
			wait = min(retry, k.cfg.Refresh)
			retry *= 2
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Refresh fetches the metadata and the key set now. On failure the keys
// in use stay.
func (k *KeySet) Refresh(ctx context.Context) error {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, k.cfg.Timeout)
	defer cancel()
	uri, table, err := k.fetch(ctx)
	now := k.cfg.Now()
	k.mu.Lock()
	k.status.Fetches++
	if err != nil {
		k.status.LastError, k.status.LastErrorAt = err.Error(), now
	} else {
		old := k.keys.Load()
		if removed(old, table) {
			k.gen.Add(1)
		}
		k.keys.Store(table)
		k.status.JWKSURI, k.status.Keys = uri, len(table.all)
		k.status.LastSuccess, k.status.LastError, k.status.LastErrorAt = now, "", time.Time{}
	}
	kept := len(k.keys.Load().all) > 0
	k.mu.Unlock()
	if k.cfg.OnRefresh != nil {
		k.cfg.OnRefresh(err, err != nil && kept)
	}
	return err
}

func (k *KeySet) fetch(ctx context.Context) (string, *keyTable, error) {
	m, err := Discover(ctx, k.cfg.Client, k.cfg.Issuer)
	if err != nil {
		return "", nil, err
	}
	if m.JWKSURI == "" {
		return "", nil, fmt.Errorf("the metadata of %s has no jwks_uri", k.cfg.Issuer)
	}
	body, err := Get(ctx, k.cfg.Client, m.JWKSURI, MaxJWKSBytes)
	if err != nil {
		return "", nil, err
	}
	table, err := parseKeySet(body)
	if err != nil {
		return "", nil, fmt.Errorf("jwks_uri %s: %w", m.JWKSURI, err)
	}
	return m.JWKSURI, table, nil
}

// parseKeySet reads a JSON Web Key Set: at most MaxKeys keys, public
// signature keys only (keys with use "enc", private or symmetric keys and
// key types this package does not know are left out). A set without one
// usable key is an error.
func parseKeySet(body []byte) (*keyTable, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	if len(doc.Keys) > MaxKeys {
		return nil, fmt.Errorf("the key set has %d keys; the most taken is %d", len(doc.Keys), MaxKeys)
	}
	t := &keyTable{byKid: map[string][]key{}}
	for _, raw := range doc.Keys {
		var m jwkset.JWKMarshal
		if json.Unmarshal(raw, &m) != nil || m.USE == jwkset.UseEnc || m.D != "" || m.K != "" {
			continue
		}
		m.X5U = "" // never fetched
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			continue
		}
		pub := jwk.Key()
		switch p := pub.(type) {
		case *rsa.PublicKey:
			if p.N.BitLen() < 2048 {
				continue
			}
		case *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			continue
		}
		t.all = append(t.all, pub)
		t.byKid[m.KID] = append(t.byKid[m.KID], key{key: pub, alg: string(m.ALG)})
	}
	if len(t.all) == 0 {
		return nil, errors.New("the key set has no usable signature key")
	}
	return t, nil
}

// removed tells whether next lacks a key old has.
func removed(old, next *keyTable) bool {
	for kid, keys := range old.byKid {
		for _, o := range keys {
			if !slices.ContainsFunc(next.byKid[kid], func(n key) bool { return sameKey(o.key, n.key) }) {
				return true
			}
		}
	}
	return false
}

func sameKey(a, b any) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// Generation changes whenever a fetch removes a key.
func (k *KeySet) Generation() uint64 { return k.gen.Load() }

// Status reports what the KeySet knows now.
func (k *KeySet) Status() Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.status
}

// Keyfunc returns the key for a token (a jwt.Keyfunc): the key with the
// token's kid (of the token's algorithm when the key names one), or every
// key for a token without kid. An unknown kid triggers one refetch, unless
// one was made less than Cooldown ago; concurrent requests with unknown
// kids wait for the same refetch.
func (k *KeySet) Keyfunc(t *jwt.Token) (any, error) {
	kid, ok := t.Header["kid"].(string)
	if !ok {
		set, err := k.VerificationKeySet(context.Background())
		if err != nil {
			return nil, err
		}
		return set, nil
	}
	key, err := k.lookup(kid, t.Method.Alg())
	if errors.Is(err, ErrUnknownKid) || errors.Is(err, ErrNoKeys) {
		// look again even without a refetch of our own: one may have
		// ended since the lookup
		k.refetchForUnknown()
		key, err = k.lookup(kid, t.Method.Alg())
	}
	return key, err
}

func (k *KeySet) lookup(kid, alg string) (any, error) {
	table := k.keys.Load()
	if len(table.all) == 0 {
		return nil, ErrNoKeys
	}
	keys := table.byKid[kid]
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w %q", ErrUnknownKid, kid)
	}
	var fits []jwt.VerificationKey
	for _, c := range keys {
		if c.alg == "" || c.alg == alg {
			fits = append(fits, c.key)
		}
	}
	switch len(fits) {
	case 0:
		return nil, fmt.Errorf("%w (%s)", ErrKeyAlg, alg)
	case 1:
		return fits[0], nil
	}
	return jwt.VerificationKeySet{Keys: fits}, nil
}

// refetchForUnknown refetches for an unknown kid, or waits for the refetch
// under way; it does nothing when the cooldown forbids one.
func (k *KeySet) refetchForUnknown() {
	now := k.cfg.Now()
	k.mu.Lock()
	ch := k.inflight
	if ch == nil {
		if !k.lastUnknown.IsZero() && now.Sub(k.lastUnknown) < k.cfg.Cooldown {
			k.mu.Unlock()
			return
		}
		k.lastUnknown = now
		ch = make(chan struct{})
		k.inflight = ch
		k.mu.Unlock()
		_ = k.Refresh(context.Background())
		k.mu.Lock()
		k.inflight = nil
		k.mu.Unlock()
		close(ch)
		return
	}
	k.mu.Unlock()
	<-ch // bounded by the refresh's timeout
}

// VerificationKeySet is every key, for a token without kid.
func (k *KeySet) VerificationKeySet(context.Context) (jwt.VerificationKeySet, error) {
	table := k.keys.Load()
	if len(table.all) == 0 {
		return jwt.VerificationKeySet{}, ErrNoKeys
	}
	set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, len(table.all))}
	for i, key := range table.all {
		set.Keys[i] = key
	}
	return set, nil
}
