package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
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

func (s *memStorage) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN > 0 {
		s.failN--
		return errors.New("disk on fire")
	}
	delete(s.data, key)
	s.writes++
	select {
	case s.wrote <- struct{}{}:
	default:
	}
	return nil
}

func (s *memStorage) List(_ context.Context, prefix string, recursive bool) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loadErr != nil {
		return nil, s.loadErr
	}
	var keys []string
	for k := range s.data {
		if rest, ok := strings.CutPrefix(k, prefix+"/"); ok && (recursive || !strings.Contains(rest, "/")) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, fs.ErrNotExist
	}
	return keys, nil
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

// storedInstances returns the instances of every service record.
func storedInstances(t *testing.T, s *memStorage) []Instance {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Instance
	for k, v := range s.data {
		if !strings.HasPrefix(k, servicesPrefix+"/") {
			continue
		}
		var rec persistedService
		if err := json.Unmarshal(v, &rec); err != nil {
			t.Fatalf("stored record %s: %v", k, err)
		}
		out = append(out, rec.Instances...)
	}
	return out
}

// legacyDocument is a whole-registry document as earlier releases wrote it.
func legacyDocument(instances ...Instance) []byte {
	data, err := json.Marshal(persistedRegistry{Version: 1, Instances: instances})
	if err != nil {
		panic(err)
	}
	return data
}

func TestPersistenceRoundTrip(t *testing.T) {
	storage := newMemStorage()
	a, clkA := newTestRegistry()
	p := newPersister(a, storage, zap.NewNop())
	p.interval = time.Millisecond
	a.attach(nil, testSettings, p, nil, zap.NewNop())

	five := 5
	mustRegister(t, a, Registration{Service: "hello", ID: "one", Address: "127.0.0.1:9001", TTL: 30 * time.Second,
		Metadata: map[string]string{"zone": "eu"}, Weight: &five})
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
				!g.RegisteredAt.Equal(w.RegisteredAt) || g.Weight != w.Weight {
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
	storage.data[recordKey("late")] = []byte(`{"version":2,"service":"late","instances":[{"service":"late","id":"x","address":"127.0.0.1:1"}]}`)
	if err := b.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Instances("late"); ok {
		t.Error("a second restore loaded registrations again")
	}
}

func TestRestoreKeepsNewerRegistrationsAndSkipsInvalidOnes(t *testing.T) {
	storage := newMemStorage()
	storage.data[legacyStorageKey] = []byte(`{"version":1,"instances":[
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
	storage.data[legacyStorageKey] = garbage
	badRecord := []byte(`{"version":2,"service":"b","instances":[{"service":"b","id":`)
	storage.data[recordKey("b")] = badRecord
	misplaced := []byte(`{"version":2,"service":"c","instances":[{"service":"c","id":"x","address":"127.0.0.1:3"}]}`)
	storage.data[recordKey("d")] = misplaced
	stranger := []byte(`{"version":2,"service":"e","instances":[{"service":"f","id":"x","address":"127.0.0.1:3"}]}`)
	storage.data[recordKey("e")] = stranger
	storage.data[recordKey("g")] = []byte(`{"version":2,"service":"g","instances":[{"service":"g","id":"x","address":"127.0.0.1:4"}]}`)
	r, _ := newTestRegistry()
	if err := r.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatalf("unparseable records should not fail the load: %v", err)
	}
	for _, bad := range [][]byte{garbage, badRecord, misplaced, stranger} {
		kept := false
		for k, v := range storage.data {
			if strings.HasPrefix(k, unreadablePrefix+"/") && string(v) == string(bad) {
				kept = true
			}
		}
		if !kept {
			t.Errorf("unreadable %s was not kept aside: keys %v", bad, slicesKeys(storage.data))
		}
	}
	for _, key := range []string{recordKey("b"), recordKey("d"), recordKey("e")} {
		if storage.get(key) != nil {
			t.Errorf("unreadable record %s is still in place", key)
		}
	}
	if storage.get(legacyStorageKey) == nil {
		t.Error("the unreadable old document was removed; it is only set aside")
	}
	if r.Len() != 1 {
		t.Errorf("restored %d instances, want the one readable record's", r.Len())
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
	mustRegister(t, r, Registration{Service: "hello", ID: "first", Address: "127.0.0.1:1"})
	storage.waitWrite(t)
	for i := range 500 {
		mustRegister(t, r, Registration{Service: "hello", ID: string(rune('a' + i%25)), Address: "127.0.0.1:1"})
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
	r.attach(ownerB, Settings{MaxInstances: 1, MaxPerService: 1}, newPersister(r, next, zap.NewNop()), nil, zap.NewNop())
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

// TestLegacyDocumentMigratesToRecords: the whole-registry document of
// earlier releases is restored, written as one record per service, and
// removed only after every record is written.
func TestLegacyDocumentMigratesToRecords(t *testing.T) {
	storage := newMemStorage()
	storage.data[legacyStorageKey] = legacyDocument(
		Instance{Service: "a", ID: "1", Address: "127.0.0.1:1"},
		Instance{Service: "a", ID: "2", Address: "127.0.0.1:2"},
		Instance{Service: "b", ID: "1", Address: "127.0.0.1:3"})
	storage.data[recordKey("a")] = []byte(`{"version":2,"service":"a","instances":[{"service":"a","id":"1","address":"127.0.0.1:9"}]}`)
	r, _ := newTestRegistry()
	if err := r.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	if inst, _ := r.Instance("a", "1"); inst.Address != "127.0.0.1:9" {
		t.Errorf("a/1 = %s: the record, newer than the old document, should win", inst.Address)
	}
	if r.Len() != 3 {
		t.Fatalf("restored %d instances, want 3", r.Len())
	}
	storage.failN = 1 // the first record write fails: the old document must stay
	p := newPersister(r, storage, zap.NewNop())
	p.interval = time.Millisecond
	r.attach(nil, testSettings, p, nil, zap.NewNop())
	testenv.Eventually(t, 10*time.Second, "the old document removed", func() bool { return storage.get(legacyStorageKey) == nil })
	r.detach(nil)
	if got := len(storedInstances(t, storage)); got != 3 {
		t.Fatalf("records hold %d instances, want 3", got)
	}

	b, _ := newTestRegistry()
	if err := b.Restore(context.Background(), storage, testSettings, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 3 {
		t.Fatalf("a restart after the migration restored %d instances, want 3", b.Len())
	}
}

// TestPersistenceWritesOnlyWhatChanged: a change rewrites its service's
// record only; a plain renewal writes nothing; a service that empties has
// its record deleted.
func TestPersistenceWritesOnlyWhatChanged(t *testing.T) {
	storage := newMemStorage()
	r, _ := newTestRegistry()
	p := newPersister(r, storage, zap.NewNop())
	p.interval = time.Millisecond
	r.attach(nil, testSettings, p, nil, zap.NewNop())
	defer r.detach(nil)
	for i := range 50 {
		mustRegister(t, r, Registration{Service: fmt.Sprintf("svc%02d", i), Address: "127.0.0.1:1", TTL: time.Minute})
	}
	testenv.Eventually(t, 10*time.Second, "50 records", func() bool { return len(storedInstances(t, storage)) == 50 })
	time.Sleep(20 * time.Millisecond) // let the persister go idle
	storage.mu.Lock()
	before := storage.writes
	storage.mu.Unlock()

	for range 5 { // renewals
		mustRegister(t, r, Registration{Service: "svc07", Address: "127.0.0.1:1", TTL: time.Minute})
	}
	mustRegister(t, r, Registration{Service: "svc03", Address: "127.0.0.1:1", TTL: time.Minute,
		Metadata: map[string]string{"v": "2"}}) // a real change
	_, _ = r.DeregisterService("svc04")
	testenv.Eventually(t, 10*time.Second, "svc04's record deleted", func() bool { return storage.get(recordKey("svc04")) == nil })
	time.Sleep(20 * time.Millisecond)
	storage.mu.Lock()
	writes := storage.writes - before
	storage.mu.Unlock()
	if writes != 2 {
		t.Fatalf("%d storage writes for one changed and one deleted service (and five renewals), want 2", writes)
	}
	var rec persistedService
	if err := json.Unmarshal(storage.get(recordKey("svc03")), &rec); err != nil || len(rec.Instances) != 1 ||
		rec.Instances[0].Metadata["v"] != "2" {
		t.Fatalf("svc03's record = %+v (%v)", rec, err)
	}
}

// TestRecordKeysKeepCaseApart: services whose names differ only in case
// get different keys, whatever the file system's case rules.
func TestRecordKeysKeepCaseApart(t *testing.T) {
	a, b := strings.ToLower(recordKey("Hello")), strings.ToLower(recordKey("hello"))
	if a == b {
		t.Fatalf("records of Hello and hello collide on a case-insensitive file system: %s", a)
	}
	if !strings.HasPrefix(recordKey("hello"), servicesPrefix+"/hello~") {
		t.Fatalf("record key %s does not name its service", recordKey("hello"))
	}
}

// namedStorage is a memStorage that says what it is, as certmagic's file
// storage does.
type namedStorage struct {
	*memStorage
	name string
}

func (n namedStorage) String() string { return n.name }

// TestReattachRewritesOnlyForAnotherStorage: a restart (restore, then
// attach to the same storage) and a reload (attach again) write nothing
// that is already stored, and lose no pending change; attaching another
// storage writes every record to it.
func TestReattachRewritesOnlyForAnotherStorage(t *testing.T) {
	disk := namedStorage{newMemStorage(), "/var/lib/caddy"}
	for i := range 20 {
		svc := fmt.Sprintf("svc%02d", i)
		disk.data[recordKey(svc)] = []byte(`{"version":2,"service":"` + svc + `","instances":[{"service":"` + svc + `","id":"x","address":"127.0.0.1:1"}]}`)
	}
	r, _ := newTestRegistry()
	if err := r.Restore(context.Background(), disk, testSettings, zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	attach := func(owner any, s Storage) {
		p := newPersister(r, s, zap.NewNop())
		p.interval = time.Millisecond
		r.attach(owner, testSettings, p, nil, zap.NewNop())
	}
	first, second := new(int), new(int)
	attach(first, disk)
	time.Sleep(30 * time.Millisecond)
	if disk.writes != 0 {
		t.Fatalf("attaching the storage just restored from wrote %d records", disk.writes)
	}

	// a change, then at once a reload onto the same storage: the new
	// persister writes it (the old one was stopped without a last write)
	mustRegister(t, r, Registration{Service: "svc03", ID: "y", Address: "127.0.0.1:2"})
	attach(second, namedStorage{disk.memStorage, "/var/lib/caddy"})
	r.detach(first)
	testenv.Eventually(t, 10*time.Second, "svc03's record rewritten", func() bool {
		var rec persistedService
		return json.Unmarshal(disk.get(recordKey("svc03")), &rec) == nil && len(rec.Instances) == 2
	})
	time.Sleep(30 * time.Millisecond)
	disk.mu.Lock()
	writes := disk.writes
	disk.mu.Unlock()
	if writes != 1 {
		t.Fatalf("the reload wrote %d records, want only the changed one", writes)
	}

	other := namedStorage{newMemStorage(), "/mnt/elsewhere"}
	attach(new(int), other)
	testenv.Eventually(t, 10*time.Second, "every record written to the new storage", func() bool {
		return len(storedInstances(t, other.memStorage)) == 21
	})
}
