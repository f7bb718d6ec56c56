package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
)

// registryStorageKey is where the registrations live in Caddy's storage.
const registryStorageKey = "service_registry/registrations.json"

// persistInterval is the least time between two writes: a burst of changes
// costs one write, and a failed write is retried after it.
const persistInterval = time.Second

// Storage is the part of Caddy's storage (certmagic.Storage) the
// registry uses.
type Storage interface {
	Store(ctx context.Context, key string, value []byte) error
	Load(ctx context.Context, key string) ([]byte, error)
}

// persistedRegistry is the document written to storage.
type persistedRegistry struct {
	Version   int        `json:"version"`
	Instances []Instance `json:"instances"`
}

// persister writes the registry to storage in the background, so that a
// registration never waits for storage. Changes kick it; it writes the whole
// registry at most once per persistInterval.
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
					zap.String("key", registryStorageKey), zap.Error(err))
				p.kick()
			}
		case flush := <-p.stopCh:
			p.final(flush)
			return
		}
		// coalesce: whatever changes in the meantime is one more write
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
			zap.String("key", registryStorageKey), zap.Error(err))
	}
}

func (p *persister) write() error {
	p.reg.mu.Lock()
	doc := persistedRegistry{Version: 1, Instances: p.reg.exportLocked()}
	p.reg.mu.Unlock()
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.storage.Store(ctx, registryStorageKey, data)
}

// Restore loads the persisted registrations into the registry, the first
// time it is called in this process.
//
// A storage that cannot be read fails the config load: starting empty would
// soon overwrite the stored registrations with nothing. A document that
// cannot be parsed is kept under another key (so nothing is lost) and the
// registry starts without it, with an error in the log.
func (r *Registry) Restore(ctx context.Context, storage Storage, s Settings, logger *zap.Logger) error {
	r.mu.Lock()
	done := r.restored
	r.mu.Unlock()
	if done {
		return nil
	}

	data, err := storage.Load(ctx, registryStorageKey)
	if errors.Is(err, fs.ErrNotExist) {
		r.mu.Lock()
		r.restored = true
		r.mu.Unlock()
		return nil
	}
	if err != nil {
		return fmt.Errorf("service_registry: reading registrations from storage (key %q): %v; fix the storage, or turn persistence off with `persist off`",
			registryStorageKey, err)
	}

	var doc persistedRegistry
	if err := json.Unmarshal(data, &doc); err != nil || doc.Version != 1 {
		if err == nil {
			err = fmt.Errorf("unknown version %d", doc.Version)
		}
		aside := fmt.Sprintf("%s.unreadable-%d", registryStorageKey, time.Now().Unix())
		if serr := storage.Store(ctx, aside, data); serr != nil {
			return fmt.Errorf("service_registry: registrations in storage (key %q) are unreadable (%v) and could not be set aside (%v); fix or remove them, or turn persistence off with `persist off`",
				registryStorageKey, err, serr)
		}
		logger.Error("registrations in storage are unreadable; set them aside and starting without them",
			zap.String("key", registryStorageKey), zap.String("kept_as", aside), zap.Error(err))
		r.mu.Lock()
		r.restored = true
		r.mu.Unlock()
		return nil
	}

	r.mu.Lock()
	saved := r.logger
	r.logger = logger
	n := r.restoreLocked(doc.Instances, s.withDefaults())
	r.logger = saved
	r.restored = true
	r.mu.Unlock()
	logger.Info("restored registrations from storage", zap.Int("instances", n),
		zap.Int("stored", len(doc.Instances)), zap.String("key", registryStorageKey))
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
	j := instanceJSON{
		Service:      inst.Service,
		ID:           inst.ID,
		Address:      inst.Address,
		Metadata:     inst.Metadata,
		RegisteredAt: inst.RegisteredAt,
		RenewedAt:    inst.RenewedAt,
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
	healthy := !inst.health.unhealthy
	j.Healthy = &healthy
	h := inst.health
	if inst.HealthPath != "" || !h.checkedAt.IsZero() {
		j.Health = &healthJSON{Path: inst.HealthPath, Failures: h.fails}
		if !h.checkedAt.IsZero() {
			j.Health.CheckedAt = &h.checkedAt
		}
		if h.unhealthy {
			j.Health.UnhealthySince = &h.unhealthySince
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (inst *Instance) UnmarshalJSON(b []byte) error {
	var j instanceJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*inst = Instance{
		Service:      j.Service,
		ID:           j.ID,
		Address:      j.Address,
		Metadata:     j.Metadata,
		RegisteredAt: j.RegisteredAt,
		RenewedAt:    j.RenewedAt,
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
