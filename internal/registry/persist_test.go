package registry

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
)

// memStorage is an in-memory persistStorage that counts writes and can be
// told to fail.
type memStorage struct {
	mu      sync.Mutex
	data    map[string][]byte
	writes  int
	loadErr error
	failN   int // fail this many Store calls
	wrote   chan struct{}
}

func newMemStorage() *memStorage {
	return &memStorage{data: map[string][]byte{}, wrote: make(chan struct{}, 100)}
}

func (s *memStorage) Store(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN > 0 {
		s.failN--
		return errors.New("disk on fire")
	}
	s.data[key] = append([]byte(nil), value...)
	s.writes++
	select {
	case s.wrote <- struct{}{}:
	default:
	}
	return nil
}

func (s *memStorage) Load(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadErr != nil {
		return nil, s.loadErr
	}
	v, ok := s.data[key]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return v, nil
}

func (s *memStorage) get(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data[key]
}

func (s *memStorage) waitWrite(t *testing.T) {
	t.Helper()
	select {
	case <-s.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("no write to storage")
	}
}

func storedInstances(t *testing.T, s *memStorage) []Instance {
	t.Helper()
	var doc persistedRegistry
	if err := json.Unmarshal(s.get(registryStorageKey), &doc); err != nil {
		t.Fatalf("stored document: %v", err)
	}
	return doc.Instances
}

func TestPersistenceRoundTrip(t *testing.T) {
	storage := newMemStorage()
	a, clkA := newTestRegistry()
	p := newPersister(a, storage, zap.NewNop())
	p.interval = time.Millisecond
	a.attach(nil, testSettings, p, nil, zap.NewNop())

	mustRegister(t, a, Registration{Service: "hello", ID: "one", Address: "127.0.0.1:9001", TTL: 30 * time.Second,
		Metadata: map[string]string{"zone": "eu"}})
	mustRegister(t, a, Registration{Service: "hello", Address: "127.0.0.1:9002"})
	mustRegister(t, a, Registration{Service: "other", Address: "db.internal:5432"})
	a.detach(nil) // flushes
	if got := len(storedInstances(t, storage)); got != 3 {
		t.Fatalf("stored %d instances, want 3", got)
	}

	// a new process: an empty registry restores what was stored
	clkA.Advance(time.Hour)
	b, clkB := newTestRegistry()
	clkB.Advance(time.Hour)
	if err := b.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	want := a.All()
	got := b.All()
	if len(got) != 2 || len(got["hello"]) != 2 || len(got["other"]) != 1 {
		t.Fatalf("restored %v", got)
	}
	for svc, instances := range want {
		for i, w := range instances {
			g := got[svc][i]
			if g.ID != w.ID || g.Address != w.Address || g.TTL != w.TTL || !maps.Equal(g.Metadata, w.Metadata) ||
				!g.RegisteredAt.Equal(w.RegisteredAt) {
				t.Errorf("restored %+v, stored %+v", g, w)
			}
		}
	}
	// the lease starts afresh at the restore
	one, _ := b.Instance("hello", "one")
	if exp := one.ExpiresAt; !exp.Equal(clkB.Now().Add(30 * time.Second)) {
		t.Errorf("restored lease ends at %v, want 30s after the restore (%v)", exp, clkB.Now())
	}
	if d := b.Dials("hello"); len(d) != 2 {
		t.Errorf("restored instances are not routed: %v", d)
	}
	clkB.Advance(30 * time.Second)
	if d := b.Dials("hello"); len(d) != 1 || d[0] != "127.0.0.1:9002" {
		t.Errorf("restored lease did not expire: %v", d)
	}

	// restoring happens once per process
	storage.data[registryStorageKey] = []byte(`{"version":1,"instances":[{"service":"late","id":"x","address":"127.0.0.1:1"}]}`)
	if err := b.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Instances("late"); ok {
		t.Error("a second restore loaded registrations again")
	}
}

func TestRestoreKeepsNewerRegistrationsAndSkipsInvalidOnes(t *testing.T) {
	storage := newMemStorage()
	storage.data[registryStorageKey] = []byte(`{"version":1,"instances":[
		{"service":"hello","id":"a","address":"127.0.0.1:1"},
		{"service":"hello","id":"b","address":"not an address"},
		{"service":"bad name","id":"c","address":"127.0.0.1:3"},
		{"service":"hello","id":"d","address":"127.0.0.1:4"}]}`)
	r, _ := newTestRegistry()
	mustRegister(t, r, Registration{Service: "hello", ID: "a", Address: "127.0.0.1:99"})
	if err := r.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	got, _ := r.Instances("hello")
	if len(got) != 2 || got[0].Address != "127.0.0.1:99" || got[1].ID != "d" || r.Len() != 2 {
		t.Fatalf("after restore: %+v", got)
	}
}

func TestUnreadableStoredRegistrationsAreSetAsideNotLost(t *testing.T) {
	storage := newMemStorage()
	garbage := []byte(`{"version":1,"instances":[{"service":`)
	storage.data[registryStorageKey] = garbage
	r, _ := newTestRegistry()
	if err := r.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatalf("unparseable document should not fail the load: %v", err)
	}
	kept := false
	for k, v := range storage.data {
		if strings.HasPrefix(k, registryStorageKey+".unreadable-") && string(v) == string(garbage) {
			kept = true
		}
	}
	if !kept {
		t.Fatalf("unreadable document was not kept aside: keys %v", slicesKeys(storage.data))
	}
}

func TestUnreachableStorageFailsTheLoad(t *testing.T) {
	storage := newMemStorage()
	storage.loadErr = errors.New("permission denied")
	r, _ := newTestRegistry()
	err := r.Restore(context.Background(), storage, testSettings, zap.NewNop())
	if err == nil || !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), "persist off") {
		t.Fatalf("err = %v, want the cause and the way out", err)
	}
}

func TestPersisterWritesAfterChangesAndRetriesFailures(t *testing.T) {
	storage := newMemStorage()
	storage.failN = 2
	r, _ := newTestRegistry()
	p := newPersister(r, storage, zap.NewNop())
	p.interval = time.Millisecond
	r.attach(nil, testSettings, p, nil, zap.NewNop())
	defer r.detach(nil)

	storage.waitWrite(t) // the initial write, after two failures
	mustRegister(t, r, Registration{Service: "hello", Address: "127.0.0.1:1"})
	for {
		storage.waitWrite(t)
		if len(storedInstances(t, storage)) == 1 {
			break
		}
	}
	_, _ = r.Deregister("hello", "127.0.0.1:1")
	for {
		storage.waitWrite(t)
		if len(storedInstances(t, storage)) == 0 {
			break
		}
	}
}

func TestPersisterCoalescesBursts(t *testing.T) {
	storage := newMemStorage()
	r, _ := newTestRegistry()
	p := newPersister(r, storage, zap.NewNop())
	p.interval = time.Hour // nothing but the first write and the flush at stop can happen
	r.attach(nil, testSettings, p, nil, zap.NewNop())
	storage.waitWrite(t)
	for i := range 500 {
		mustRegister(t, r, Registration{Service: "hello", ID: string(rune('a' + i%26)), Address: "127.0.0.1:1"})
	}
	r.detach(nil)
	if storage.writes != 2 {
		t.Fatalf("%d writes for a burst of 500 registrations, want 2 (first, flush at stop)", storage.writes)
	}
	if got := len(storedInstances(t, storage)); got != 26 {
		t.Fatalf("flush at stop stored %d instances, want 26", got)
	}
}

func TestReattachStopsTheOldWriter(t *testing.T) {
	r, _ := newTestRegistry()
	old, next := newMemStorage(), newMemStorage()
	ownerA, ownerB := new(int), new(int)
	r.attach(ownerA, testSettings, newPersister(r, old, zap.NewNop()), nil, zap.NewNop())
	old.waitWrite(t)
	r.attach(ownerB, Settings{MaxInstances: 1, MaxPerService: 1}, newPersister(r, next, zap.NewNop()), nil, zap.NewNop())
	next.waitWrite(t)
	r.detach(ownerA) // the old app stops after the new one started: no effect
	if r.settings.MaxInstances != 1 || r.persist == nil {
		t.Fatal("stopping the replaced app undid the new app's settings")
	}
	mustRegister(t, r, Registration{Service: "hello", Address: "127.0.0.1:1"})
	r.detach(ownerB)
	if n := len(storedInstances(t, next)); n != 1 {
		t.Fatalf("new storage holds %d instances, want 1", n)
	}
	if n := len(storedInstances(t, old)); n != 0 {
		t.Fatalf("old writer kept writing after it was replaced: %d instances", n)
	}
	if r.settings != defaultSettings {
		t.Fatal("detaching the current owner did not restore the defaults")
	}
}

func slicesKeys(m map[string][]byte) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// TestRestoreKeepsTheOrigin: an instance registered through registry_api
// is restored as such, so the address policy's registry_api rules still
// apply to it before its health checks.
func TestRestoreKeepsTheOrigin(t *testing.T) {
	storage := newMemStorage()
	a, _ := newTestRegistry()
	p := newPersister(a, storage, zap.NewNop())
	p.interval = time.Millisecond
	a.attach(nil, testSettings, p, nil, zap.NewNop())
	mustRegister(t, a, Registration{Service: "svc", Address: "203.0.113.5:80", Origin: addrpolicy.Site})
	a.detach(nil)

	b, _ := newTestRegistry()
	if err := b.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	if inst, ok := b.Instance("svc", "203.0.113.5:80"); !ok || inst.Origin != addrpolicy.Site {
		t.Fatalf("restored %+v, want the registry_api origin", inst)
	}
}
