package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
)

// Where the registrations live in Caddy's storage: one record per service
// under servicesPrefix, so that a change rewrites one service's record and
// never the whole registry. legacyStorageKey is the single document that
// releases before per-service records wrote; it is read at restore and
// removed once every service it held is written as a record.
const (
	servicesPrefix   = "service_registry/services"
	legacyStorageKey = "service_registry/registrations.json"
	unreadablePrefix = "service_registry/unreadable"
)

// recordKey is where service's record lives. The name is followed by a hash
// of it, so that two names differing only in case ("Hello", "hello") stay
// two files on a case-insensitive file system.
func recordKey(service string) string {
	h := fnv.New32a()
	h.Write([]byte(service))
	return fmt.Sprintf("%s/%s~%08x.json", servicesPrefix, service, h.Sum32())
}

// persistInterval is the least time between two rounds of writes: a burst
// of changes to a service costs one write of its record, and a failed write
// is retried after it.
const persistInterval = time.Second

// restoreWorkers is how many records are read from storage at once.
const restoreWorkers = 8

// Storage is the part of Caddy's storage (certmagic.Storage) the
// registry uses.
type Storage interface {
	Store(ctx context.Context, key string, value []byte) error
	Load(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, path string, recursive bool) ([]string, error)
}

// storageID names a storage by what it says it is (certmagic's file
// storage says its path), or "" when it does not say.
func storageID(s Storage) string {
	if str, ok := s.(fmt.Stringer); ok {
		return fmt.Sprintf("%T:%s", s, str.String())
	}
	return ""
}

// persistedService is one service's record in storage (version 2), and
// persistedRegistry the whole-registry document of version 1.
type persistedService struct {
	Version   int        `json:"version"`
	Service   string     `json:"service"`
	Instances []Instance `json:"instances"`
}

// storedService is persistedService as read: the instances are decoded in
// the same pass as the record (Instance.UnmarshalJSON would decode each
// one again on its own).
type storedService struct {
	Version   int            `json:"version"`
	Service   string         `json:"service"`
	Instances []instanceJSON `json:"instances"`
}

type persistedRegistry struct {
	Version   int        `json:"version"`
	Instances []Instance `json:"instances"`
}

// persister writes the changed services' records to storage in the
// background, so that a registration never waits for storage. A change
// marks its service (Registry.changedServiceLocked) and kicks the persister;
// it writes the marked services at most once per persistInterval.
type persister struct {
	reg      *Registry
	storage  Storage
	logger   *zap.Logger
	interval time.Duration

	kickCh chan struct{}
	stopCh chan bool // true: write once more before stopping
	done   chan struct{}
}

func newPersister(reg *Registry, storage Storage, logger *zap.Logger) *persister {
	return &persister{
		reg:      reg,
		storage:  storage,
		logger:   logger,
		interval: persistInterval,
		kickCh:   make(chan struct{}, 1),
		stopCh:   make(chan bool, 1),
		done:     make(chan struct{}),
	}
}

func (p *persister) start() { go p.loop() }

// kick asks for a write; it never blocks.
func (p *persister) kick() {
	select {
	case p.kickCh <- struct{}{}:
	default:
	}
}

// stop ends the writer and waits for it; with flush it writes once more.
func (p *persister) stop(flush bool) {
	p.stopCh <- flush
	<-p.done
}

func (p *persister) loop() {
	defer close(p.done)
	for {
		select {
		case <-p.kickCh:
			if err := p.write(); err != nil {
				p.logger.Error("writing registrations to storage failed; will retry",
					zap.String("prefix", servicesPrefix), zap.Error(err))
				p.kick()
			}
		case flush := <-p.stopCh:
			p.final(flush)
			return
		}
		// coalesce: whatever changes in the meantime is one more round
		select {
		case <-time.After(p.interval):
		case flush := <-p.stopCh:
			p.final(flush)
			return
		}
	}
}

func (p *persister) final(flush bool) {
	if !flush {
		return
	}
	if err := p.write(); err != nil {
		p.logger.Error("writing registrations to storage at stop failed",
			zap.String("prefix", servicesPrefix), zap.Error(err))
	}
}

// write writes the record of every service changed since the last round
// (or deletes it, for a service without instances). A service whose write
// fails stays marked, for the next round.
func (p *persister) write() error {
	dirty, legacy := p.reg.takeDirty()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var failed []string
	var firstErr error
	for _, service := range dirty {
		if err := p.writeService(ctx, service); err != nil {
			failed = append(failed, service)
			if firstErr == nil {
				firstErr = fmt.Errorf("service %q: %w", service, err)
			}
		}
	}
	if len(failed) > 0 {
		p.reg.markDirty(failed, legacy)
		return fmt.Errorf("%d of %d records not written, e.g. %w", len(failed), len(dirty), firstErr)
	}
	if legacy {
		// every service of the old document is a record now
		if err := p.storage.Delete(ctx, legacyStorageKey); err != nil && !errors.Is(err, fs.ErrNotExist) {
			p.reg.markDirty(nil, true)
			return fmt.Errorf("removing the migrated %s: %w", legacyStorageKey, err)
		}
		p.logger.Info("registrations moved to one record per service", zap.String("from", legacyStorageKey),
			zap.String("to", servicesPrefix))
	}
	return nil
}

func (p *persister) writeService(ctx context.Context, service string) error {
	instances, ok := p.reg.Instances(service)
	if !ok {
		err := p.storage.Delete(ctx, recordKey(service))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	data, err := json.Marshal(persistedService{Version: 2, Service: service, Instances: instances})
	if err != nil {
		return err
	}
	return p.storage.Store(ctx, recordKey(service), data)
}

// Restore loads the persisted registrations into the registry, the first
// time it is called in this process: every service's record, and the
// whole-registry document of earlier releases if it is still there.
//
// A storage that cannot be read fails the config load: starting empty would
// soon overwrite the stored registrations with nothing. A record that cannot
// be parsed is moved under service_registry/unreadable/ (so nothing is lost)
// and the registry starts without it, with an error in the log.
func (r *Registry) Restore(ctx context.Context, storage Storage, s Settings, logger *zap.Logger) error {
	r.mu.Lock()
	done := r.restored
	r.mu.Unlock()
	if done {
		return nil
	}
	legacy, legacyFound, err := readLegacy(ctx, storage, logger)
	if err != nil {
		return err
	}
	records, stored, err := readRecords(ctx, storage, logger)
	if err != nil {
		return err
	}
	instances := slices.Concat(records, legacy) // a record is newer than the old document

	r.mu.Lock()
	saved := r.logger
	r.logger = logger
	empty := r.count == 0
	n := r.restoreLocked(instances, s.withDefaults())
	r.logger = saved
	r.restored = true
	if legacyFound {
		// the old document's services are to be written as records (a
		// persister attached next writes every service, storedID being
		// unset), and then it is removed
		r.legacyPending = true
	} else if empty && r.persist == nil {
		// memory holds what the records hold: a persister attached to this
		// storage has nothing to rewrite
		r.storedID = storageID(storage)
	}
	r.mu.Unlock()
	logger.Info("restored registrations from storage", zap.Int("instances", n),
		zap.Int("records", stored), zap.Bool("legacy_document", legacyFound), zap.String("prefix", servicesPrefix))
	return nil
}

// readLegacy reads the whole-registry document of earlier releases, if it
// is there; an unreadable one is set aside.
func readLegacy(ctx context.Context, storage Storage, logger *zap.Logger) ([]Instance, bool, error) {
	data, err := storage.Load(ctx, legacyStorageKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, unreadableStorage(legacyStorageKey, err)
	}
	var doc persistedRegistry
	if err := json.Unmarshal(data, &doc); err != nil || doc.Version != 1 {
		if err == nil {
			err = fmt.Errorf("unknown version %d", doc.Version)
		}
		return nil, false, setAside(ctx, storage, legacyStorageKey, data, err, logger)
	}
	return doc.Instances, true, nil
}

// readRecords reads every service's record, restoreWorkers at a time.
func readRecords(ctx context.Context, storage Storage, logger *zap.Logger) ([]Instance, int, error) {
	keys, err := storage.List(ctx, servicesPrefix, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, unreadableStorage(servicesPrefix, err)
	}
	results := make([][]Instance, len(keys))
	errs := make([]error, len(keys))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(restoreWorkers, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(keys); i = int(next.Add(1) - 1) {
				results[i], errs[i] = readRecord(ctx, storage, keys[i], logger)
			}
		}()
	}
	wg.Wait()
	total := 0
	for i := range keys {
		if errs[i] != nil {
			return nil, 0, errs[i]
		}
		total += len(results[i])
	}
	out := make([]Instance, 0, total)
	for _, rec := range results {
		out = append(out, rec...)
	}
	return out, len(keys), nil
}

// readRecord reads one service's record. One that does not parse, or whose
// instances are not all of the service it names, is set aside.
func readRecord(ctx context.Context, storage Storage, key string, logger *zap.Logger) ([]Instance, error) {
	data, err := storage.Load(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // deleted since the listing
	}
	if err != nil {
		return nil, unreadableStorage(key, err)
	}
	var rec storedService
	var instances []Instance
	err = json.Unmarshal(data, &rec)
	switch {
	case err != nil:
	case rec.Version != 2:
		err = fmt.Errorf("unknown version %d", rec.Version)
	case recordKey(rec.Service) != key:
		err = fmt.Errorf("the record of service %q is not at its key", rec.Service)
	default:
		instances = make([]Instance, len(rec.Instances))
		for i := range rec.Instances {
			if err = rec.Instances[i].to(&instances[i]); err != nil {
				break
			}
			if instances[i].Service != rec.Service {
				err = fmt.Errorf("an instance of service %q in the record of %q", instances[i].Service, rec.Service)
				break
			}
		}
	}
	if err != nil {
		if serr := setAside(ctx, storage, key, data, err, logger); serr != nil {
			return nil, serr
		}
		if derr := storage.Delete(ctx, key); derr != nil && !errors.Is(derr, fs.ErrNotExist) {
			logger.Warn("could not remove an unreadable record after setting it aside", zap.String("key", key), zap.Error(derr))
		}
		return nil, nil
	}
	return instances, nil
}

func unreadableStorage(key string, err error) error {
	return fmt.Errorf("service_registry: reading registrations from storage (key %q): %v; fix the storage, or turn persistence off with `persist off`",
		key, err)
}

// setAside keeps unreadable data under unreadablePrefix and logs it.
func setAside(ctx context.Context, storage Storage, key string, data []byte, cause error, logger *zap.Logger) error {
	aside := fmt.Sprintf("%s/%s.%d", unreadablePrefix, path.Base(key), time.Now().UnixNano())
	if err := storage.Store(ctx, aside, data); err != nil {
		return fmt.Errorf("service_registry: registrations in storage (key %q) are unreadable (%v) and could not be set aside (%v); fix or remove them, or turn persistence off with `persist off`",
			key, cause, err)
	}
	logger.Error("registrations in storage are unreadable; set them aside and starting without them",
		zap.String("key", key), zap.String("kept_as", aside), zap.Error(cause))
	return nil
}

// instanceJSON is how an Instance looks in the API and in storage.
type instanceJSON struct {
	Service      string            `json:"service"`
	ID           string            `json:"id"`
	Address      string            `json:"address"`
	TTL          string            `json:"ttl,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	RegisteredAt time.Time         `json:"registered_at"`
	RenewedAt    time.Time         `json:"renewed_at"`
	ExpiresAt    *time.Time        `json:"expires_at,omitempty"`
	Weight       *int              `json:"weight,omitempty"`
	Healthy      *bool             `json:"healthy,omitempty"`
	Health       *healthJSON       `json:"health,omitempty"`
	// RegisteredVia is "registry_api" for an instance registered through a
	// site route; absent for the admin endpoint
	RegisteredVia string `json:"registered_via,omitempty"`
}

// healthJSON is the health part of an instance: the path it registered
// (stored), and in the API the state of its checks.
type healthJSON struct {
	Path           string     `json:"path,omitempty"`
	CheckedAt      *time.Time `json:"checked_at,omitempty"`
	Failures       int        `json:"consecutive_failures,omitempty"`
	UnhealthySince *time.Time `json:"unhealthy_since,omitempty"`
}

// MarshalJSON writes the instance with its ttl as a duration string.
func (inst Instance) MarshalJSON() ([]byte, error) {
	return inst.AppendJSON(nil), nil
}

// toJSON is the instance as instanceJSON: what AppendJSON writes, the way
// encoding/json would write it.
func (inst *Instance) toJSON() instanceJSON {
	j := instanceJSON{
		Service:      inst.Service,
		ID:           inst.ID,
		Address:      inst.Address,
		Metadata:     inst.Metadata,
		RegisteredAt: inst.RegisteredAt,
		RenewedAt:    inst.RenewedAt,
		Weight:       &inst.Weight,
	}
	if inst.TTL > 0 {
		j.TTL = inst.TTL.String()
	}
	if inst.Origin == addrpolicy.Site {
		j.RegisteredVia = addrpolicy.Site.String()
	}
	if !inst.ExpiresAt.IsZero() {
		j.ExpiresAt = &inst.ExpiresAt
	}
	healthy := inst.Healthy()
	j.Healthy = &healthy
	var h instanceHealth
	if inst.health != nil {
		h = *inst.health
	}
	if inst.HealthPath != "" || !h.checkedAt.IsZero() {
		j.Health = &healthJSON{Path: inst.HealthPath, Failures: h.fails}
		if !h.checkedAt.IsZero() {
			j.Health.CheckedAt = &h.checkedAt
		}
		if h.unhealthy {
			j.Health.UnhealthySince = &h.unhealthySince
		}
	}
	return j
}

// UnmarshalJSON reads what MarshalJSON writes.
func (inst *Instance) UnmarshalJSON(b []byte) error {
	var j instanceJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	return j.to(inst)
}

// to sets inst to the instance j describes.
func (j *instanceJSON) to(inst *Instance) error {
	*inst = Instance{
		Service:      j.Service,
		ID:           j.ID,
		Address:      j.Address,
		Metadata:     j.Metadata,
		RegisteredAt: j.RegisteredAt,
		RenewedAt:    j.RenewedAt,
		Weight:       DefaultWeight, // written by releases without weights
	}
	if j.Weight != nil {
		inst.Weight = *j.Weight
	}
	if j.TTL != "" {
		d, err := time.ParseDuration(j.TTL)
		if err != nil {
			return fmt.Errorf("ttl: %w", err)
		}
		inst.TTL = d
	}
	if j.ExpiresAt != nil {
		inst.ExpiresAt = *j.ExpiresAt
	}
	switch j.RegisteredVia {
	case "":
	case addrpolicy.Site.String():
		inst.Origin = addrpolicy.Site
	default:
		return fmt.Errorf("registered_via %q: want registry_api or nothing", j.RegisteredVia)
	}
	if j.Health != nil {
		inst.HealthPath = j.Health.Path // the state of the checks starts afresh
	}
	return nil
}
