// Package registry is the gateway's service registry: instances with
// leases, the route table the request path reads, active health checks,
// persistence to a key-value storage, and the Redis sync of cluster mode.
//
// It knows nothing of Caddy or of the registration API: errors are typed
// (ErrInvalid, ErrFull, ErrBackendDown, and addrpolicy's refusals) and the
// API layer maps them to statuses. One Registry serves a whole process; the
// owner of the current config attaches its settings, storage and Redis to
// it (Attach) and a config reload hands them over without losing an
// instance.
package registry

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/btree"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
	"github.com/caddygateway/caddy-gateway/internal/redisconn"
)

// Registry limits. The caps bound the registry's memory: an instance costs
// a few hundred bytes plus its metadata, and metadata is capped too.
const (
	// defaultMaxInstances is the default cap on registered instances in all.
	defaultMaxInstances = 100000
	// defaultMaxInstancesPerService is the default cap per service.
	defaultMaxInstancesPerService = 1000

	// MinTTL is the shortest lease accepted; shorter ones only make churn.
	MinTTL = time.Second

	maxServiceNameLen   = 128
	maxIDLen            = 300
	maxAddressLen       = 300
	maxMetadataEntries  = 32
	maxMetadataKeyLen   = 128
	maxMetadataValueLen = 1024
	maxMetadataBytes    = 4096

	// DefaultWeight is an instance's weight when its registration names
	// none; MaxWeight the largest accepted. Weight 0 drains an instance:
	// registered, offered no new request.
	DefaultWeight = 1
	MaxWeight     = 10000
)

// The kinds of error the registry returns; match them with errors.Is. The
// registration API answers them with 400, 409 and 503. Each error's message
// says what was wrong, for the client that sent the registration.
var (
	// ErrInvalid: a registration, name, id or address that does not validate.
	ErrInvalid = errors.New("invalid registration")
	// ErrFull: a cap (max_instances, max_instances_per_service) is reached.
	ErrFull = errors.New("registry full")
	// ErrBackendDown: the shared store (Redis) cannot be written.
	ErrBackendDown = errors.New("registry backend unavailable")
)

// registryError is an error of one of the kinds above with its message.
type registryError struct {
	kind error
	msg  string
}

func (e *registryError) Error() string { return e.msg }
func (e *registryError) Unwrap() error { return e.kind }

func invalidf(format string, args ...any) error {
	return &registryError{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

func fullf(format string, args ...any) error {
	return &registryError{kind: ErrFull, msg: fmt.Sprintf(format, args...)}
}

// Instance is one registered instance of a service. Values returned by the
// Registry are copies; the registry never changes an Instance it handed out.
type Instance struct {
	// Service is the name of the service the instance belongs to.
	Service string
	// ID tells instances of one service apart. Default: the address.
	ID string
	// Address is the host:port requests are proxied to.
	Address string
	// TTL is the lease: without a renewal within TTL the instance is
	// removed. Zero: the instance stays until it is deregistered.
	TTL time.Duration
	// Metadata is free-form string data the service registered with.
	// (The registry stores it packed, in meta; the copies it hands out
	// have it here.)
	Metadata map[string]string
	// RegisteredAt is when the instance was first registered.
	RegisteredAt time.Time
	// RenewedAt is when the instance last registered again (renewal).
	RenewedAt time.Time
	// ExpiresAt is when the lease runs out; zero without a TTL.
	ExpiresAt time.Time
	// HealthPath is where this instance is health checked ("" for the
	// registry's health_path, if any).
	HealthPath string
	// Origin is the path the instance registered through; the address
	// policy's rules for that path apply again before every health check.
	Origin addrpolicy.Origin
	// Weight is the instance's share of traffic under lb_policy
	// registry_weighted (0 to MaxWeight); 0 drains it under every policy.
	Weight int

	// health is the state of the instance's health checks; nil: never
	// checked (healthy)
	health *instanceHealth
	// meta is Metadata packed (see packMeta), as the registry stores it
	meta string
	// version orders the changes of an instance in cluster mode: the
	// Redis-assigned number of the write that made this entry
	version int64
	// seq is the registry's change count when this entry was stored
	seq uint64
	// leaseIdx is the entry's place in the lease heap, 1-based; 0: none
	leaseIdx int
}

// Healthy reports whether the instance gets traffic: it passes its health
// checks, or is not checked.
func (inst Instance) Healthy() bool { return inst.health == nil || !inst.health.unhealthy }

// Registration is a request to register (or renew) one instance.
// Registry.Register normalizes it (see Normalize) before anything else.
type Registration struct {
	Service    string
	ID         string
	Address    string
	TTL        time.Duration // 0: the registry's default_ttl
	Metadata   map[string]string
	HealthPath string // "" for the registry's health_path
	// Origin is the path the registration came through; it decides which
	// address policy rules apply (loopback is accepted only from Admin).
	Origin addrpolicy.Origin
	// Weight: nil for DefaultWeight
	Weight *int
}

// Registry is the in-memory service registry.
//
// Writers (register, deregister, lease expiry) serialize on a mutex and then
// publish an immutable route table through an atomic pointer; the request
// path (dials) only loads that pointer, so it never waits for a writer.
// Renewing a lease does not change any route, so it publishes nothing.
type Registry struct {
	routes routeTable

	clock clock

	// writeMu serializes the writes of the registration API (which may go
	// through Redis, in cluster mode) and the cluster resync; readers,
	// lease expiry and health checks only take mu.
	writeMu sync.Mutex
	// remote is the Redis sync in cluster mode; nil otherwise
	remote *clusterSync

	mu       sync.Mutex
	services map[string]map[string]*Instance // service -> id -> instance
	// order holds each service's instance IDs, sorted; names the services
	// in order, for listing by pages
	order map[string][]string
	names *btree.BTreeG[string]
	// leases holds the instances with a lease, earliest expiry first
	leases   leaseHeap
	count    int
	settings Settings
	logger   *zap.Logger
	// defaultLogger is used while no service_registry app is attached
	defaultLogger *zap.Logger

	// the lease timer fires at nextExpiry (the earliest lease known when it
	// was set; renewals may have moved that lease since, which is harmless)
	stopTimer  func() bool
	nextExpiry time.Time

	// persistence: the writer attached by the service_registry app, and
	// whether the persisted registrations were loaded into memory yet
	persist  *persister
	restored bool
	// dirty: the services whose records the persister is to write;
	// legacyPending: the old whole-registry document is to be removed once
	// they are written
	dirty         map[string]bool
	legacyPending bool
	// storedID names the storage whose records match memory but for the
	// dirty services ("": none, or a storage that cannot tell)
	storedID string
	// indexMeta: routes carry the metadata index (see IndexMetadata)
	indexMeta atomic.Bool
	// owner is the app that attached the current settings and persister
	owner any
	// checker runs the active health checks while an app is attached
	checker *background

	// cluster mode: the version of the last resync (every change up to it
	// is in the local copy) and the versions of deletions since, so that
	// no older write of a deleted instance comes back
	versionFloor int64
	tombstones   map[string]tombstone
	// seq counts the local changes; each entry notes the count it was
	// stored at, so a resync knows what was there before it began
	seq uint64
}

type Settings struct {
	DefaultTTL    time.Duration
	MaxInstances  int
	MaxPerService int
	Health        HealthSettings
	// Policy decides which addresses may be registered; never nil
	Policy *addrpolicy.Policy
}

var defaultSettings = Settings{
	MaxInstances:  defaultMaxInstances,
	MaxPerService: defaultMaxInstancesPerService,
	Health:        defaultHealth,
	Policy:        &addrpolicy.Policy{},
}

// New returns an empty registry with the default settings, which logs to
// logger until an owner attaches its own.
func New(logger *zap.Logger) *Registry {
	return newRegistry(systemClock{}, logger)
}

// withDefaults fills the settings left zero with the defaults (DefaultTTL
// and DeregisterAfter stay: zero means none).
func (s Settings) withDefaults() Settings {
	if s.MaxInstances <= 0 {
		s.MaxInstances = defaultSettings.MaxInstances
	}
	if s.MaxPerService <= 0 {
		s.MaxPerService = defaultSettings.MaxPerService
	}
	h, d := &s.Health, defaultSettings.Health
	if h.Interval <= 0 {
		h.Interval = d.Interval
	}
	if h.Timeout <= 0 {
		h.Timeout = d.Timeout
	}
	if h.Fails <= 0 {
		h.Fails = d.Fails
	}
	if h.Passes <= 0 {
		h.Passes = d.Passes
	}
	if s.Policy == nil {
		s.Policy = defaultSettings.Policy
	}
	return s
}

func newRegistry(c clock, logger *zap.Logger) *Registry {
	r := &Registry{
		clock:         c,
		services:      make(map[string]map[string]*Instance),
		order:         make(map[string][]string),
		names:         btree.NewOrderedG[string](32),
		settings:      defaultSettings,
		logger:        logger,
		defaultLogger: logger,
	}
	return r
}

// Dials returns the dial addresses of the live instances of service, in a
// stable order (by instance ID). It is the request path's only read: one
// lock-free map lookup. The slice must not be modified.
func (r *Registry) Dials(service string) []string {
	if rt := r.routes.load(service); rt != nil {
		return rt.Dials
	}
	return nil
}

// IndexMetadata makes every route carry its instances' metadata and their
// index, which routing by match needs; a process that never routes by
// match does without them (about 100 bytes per instance). Once on, it
// stays on; the first call republishes every service.
func (r *Registry) IndexMetadata() {
	if r.indexMeta.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.indexMeta.Swap(true) {
		return
	}
	r.publishLocked(slices.Collect(maps.Keys(r.services))...)
}

// Route returns what the request path needs of service to route by
// metadata and weight; nil when no instance gets traffic. One lock-free
// lookup; the Route must not be modified.
func (r *Registry) Route(service string) *Route {
	return r.routes.load(service)
}

// Register adds an instance, or renews and replaces the instance of the same
// service and ID. It reports whether the instance is new.
func (r *Registry) Register(reg Registration) (Instance, bool, error) {
	if err := reg.Normalize(); err != nil {
		return Instance{}, false, err
	}
	r.mu.Lock()
	policy := r.settings.Policy
	r.mu.Unlock()
	if _, err := policy.Check(context.Background(), reg.Address, reg.Origin); err != nil {
		metrics.registryEvents.WithLabelValues("refused").Inc()
		return Instance{}, false, err
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()

	r.mu.Lock()
	inst, old, err := r.prepareLocked(reg)
	remote := r.remote
	r.mu.Unlock()
	if err != nil {
		return Instance{}, false, err
	}
	if remote != nil {
		v, err := remote.put(inst.clone())
		if err != nil {
			return Instance{}, false, errBackendDown(err)
		}
		inst.version = v
	}

	if registerCommitHook != nil {
		registerCommitHook()
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if remote != nil && !r.newerLocked(inst.Service, inst.ID, inst.version) {
		// a later change of this instance (another gateway's) is applied
		// already: this one is history
		return inst.clone(), old == nil, nil
	}
	// the entry may have changed meanwhile (its lease ran out, a health
	// check): build on what is there now
	cur := r.services[inst.Service][inst.ID]
	carryHealth(cur, inst)
	if cur != old {
		old = cur
		if old != nil {
			inst.RegisteredAt = old.RegisteredAt
		}
	}
	r.putLocked(inst)
	if routeChanged(old, inst) {
		r.publishLocked(reg.Service)
	}
	if old == nil || !old.sameRegistration(inst) {
		// a plain renewal changes no stored field but the times, which a
		// restore starts afresh anyway: it writes nothing
		r.changedServiceLocked(inst.Service)
	}

	if old == nil {
		metrics.registryEvents.WithLabelValues("registered").Inc()
		r.logger.Info("registered instance", zap.String("service", inst.Service),
			zap.String("id", inst.ID), zap.String("address", inst.Address), zap.Duration("ttl", inst.TTL))
	} else {
		metrics.registryEvents.WithLabelValues("renewed").Inc()
		r.logger.Debug("renewed instance", zap.String("service", inst.Service),
			zap.String("id", inst.ID), zap.String("address", inst.Address), zap.Duration("ttl", inst.TTL))
	}
	return inst.clone(), old == nil, nil
}

// prepareLocked checks the caps and builds the instance a registration
// makes, without changing anything.
func (r *Registry) prepareLocked(reg Registration) (inst, old *Instance, err error) {
	instances := r.services[reg.Service]
	old = instances[reg.ID]
	if old == nil {
		if len(instances) >= r.settings.MaxPerService {
			metrics.registryEvents.WithLabelValues("refused").Inc()
			return nil, nil, fullf(
				"service %q already has %d instances, the most allowed (service_registry max_instances_per_service); deregister one or raise the limit",
				reg.Service, len(instances))
		}
		if r.count >= r.settings.MaxInstances {
			metrics.registryEvents.WithLabelValues("refused").Inc()
			return nil, nil, fullf(
				"the registry holds %d instances, the most allowed (service_registry max_instances); deregister some or raise the limit",
				r.count)
		}
	}
	now := r.clock.Now()
	inst = reg.instance(now, now)
	if inst.TTL == 0 {
		inst.TTL = r.settings.DefaultTTL
	}
	if inst.TTL > 0 {
		inst.ExpiresAt = now.Add(inst.TTL)
	}
	if old != nil {
		inst.RegisteredAt = old.RegisteredAt
	}
	return inst, old, nil
}

// carryHealth gives inst the health state of the entry it replaces, when
// that entry is the same instance at the same address checked at the same
// path: a renewal (or another gateway's copy of it) does not make a sick
// instance healthy, and health is each gateway's own view. The caller holds
// mu and calls it right before storing inst, so no health transition can
// fall between the two.
func carryHealth(old, inst *Instance) {
	if old != nil && old.Address == inst.Address && old.HealthPath == inst.HealthPath {
		inst.health = old.health // old is replaced: the state moves over
	}
}

// registerCommitHook, when set by a test, runs between a registration's
// preparation and its commit, where a Redis write would be.
var registerCommitHook func()

// Deregister removes one instance and reports whether it was registered.
func (r *Registry) Deregister(service, id string) (bool, error) {
	n, err := r.deregister(service, "deregistered instance", func(inst *Instance) bool { return inst.ID == id })
	return n > 0, err
}

// DeregisterAddress removes every instance of service registered with
// address and returns how many there were.
func (r *Registry) DeregisterAddress(service, address string) (int, error) {
	return r.deregister(service, "deregistered instances by address", func(inst *Instance) bool { return inst.Address == address })
}

// DeregisterService removes every instance of service and returns how many
// there were.
func (r *Registry) DeregisterService(service string) (int, error) {
	return r.deregister(service, "deregistered service", func(*Instance) bool { return true })
}

// deregister removes the instances of service that match, through Redis
// first in cluster mode.
func (r *Registry) deregister(service, logMsg string, match func(*Instance) bool) (int, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()

	r.mu.Lock()
	var ids []string
	for id, inst := range r.services[service] {
		if match(inst) {
			ids = append(ids, id)
		}
	}
	remote := r.remote
	r.mu.Unlock()
	if len(ids) == 0 {
		return 0, nil
	}
	var version int64
	if remote != nil {
		v, err := remote.del(service, ids)
		if err != nil {
			return 0, errBackendDown(err)
		}
		version = v
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	var n int
	if remote != nil {
		n = r.removeVersionedLocked(service, ids, version)
	} else {
		n = r.removeIDsLocked(service, ids)
	}
	if n > 0 {
		r.changedServiceLocked(service)
		metrics.registryEvents.WithLabelValues("deregistered").Add(float64(n))
		r.logger.Info(logMsg, zap.String("service", service), zap.Strings("ids", ids))
	}
	return n, nil
}

// Instances returns the instances of service ordered by ID, and whether the
// service is registered at all.
func (r *Registry) Instances(service string) ([]Instance, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.services[service]
	return r.sortedCopiesLocked(service, r.order[service]), ok
}

// InstancesPage returns at most limit (<= 0: all) instances of service
// whose IDs come after after, in ID order, whether more follow, and whether
// the service is registered at all.
func (r *Registry) InstancesPage(service, after string, limit int) (page []Instance, more, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok = r.services[service]
	ids := r.order[service]
	if after != "" {
		i, found := slices.BinarySearch(ids, after)
		if found {
			i++
		}
		ids = ids[i:]
	}
	if limit > 0 && len(ids) > limit {
		ids, more = ids[:limit], true
	}
	return r.sortedCopiesLocked(service, ids), more, ok
}

// Service is a service with its instances, ordered by ID.
type Service struct {
	Name      string
	Instances []Instance
}

// ServicesPage returns at most limit (<= 0: all) services whose names come
// after after, in name order, with their instances, and whether more
// follow. With budget > 0 the page also ends once it holds budget instances
// (never before its first service), so a caller that reads the registry in
// pieces holds the lock for a bounded time. The cost is that of the page,
// whatever the registry's size.
func (r *Registry) ServicesPage(after string, limit, budget int) (page []Service, more bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	names, more := r.namesAfterLocked(after, limit)
	held := 0
	for i, name := range names {
		if budget > 0 && i > 0 && held >= budget {
			return page, true
		}
		ids := r.order[name]
		page = append(page, Service{Name: name, Instances: r.sortedCopiesLocked(name, ids)})
		held += len(ids)
	}
	return page, more
}

// namesAfterLocked returns at most limit (<= 0: all) service names that
// come after after, in order, and whether more follow.
func (r *Registry) namesAfterLocked(after string, limit int) (names []string, more bool) {
	r.names.AscendGreaterOrEqual(after, func(name string) bool {
		if name == after {
			return true
		}
		if limit > 0 && len(names) == limit {
			more = true
			return false
		}
		names = append(names, name)
		return true
	})
	return names, more
}

// Instance returns one instance.
func (r *Registry) Instance(service, id string) (Instance, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst := r.services[service][id]
	if inst == nil {
		return Instance{}, false
	}
	return inst.clone(), true
}

// All returns every registered service with its instances ordered by ID.
func (r *Registry) All() map[string][]Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := make(map[string][]Instance, len(r.services))
	for name := range r.services {
		all[name] = r.sortedCopiesLocked(name, r.order[name])
	}
	return all
}

// sortedCopiesLocked returns copies of service's instances with these ids
// (sorted).
func (r *Registry) sortedCopiesLocked(service string, ids []string) []Instance {
	instances := r.services[service]
	out := make([]Instance, 0, len(ids))
	for _, id := range ids {
		out = append(out, instances[id].clone())
	}
	return out
}

// clone returns a copy of a stored instance that shares nothing mutable
// with it, its metadata unpacked.
func (inst *Instance) clone() Instance {
	c := *inst
	if inst.meta != "" {
		c.Metadata = unpackMeta(inst.meta)
	} else {
		c.Metadata = maps.Clone(inst.Metadata)
	}
	if inst.health != nil {
		h := *inst.health
		c.health = &h
	}
	c.meta, c.leaseIdx = "", 0
	return c
}

// removeLocked drops inst from the registry's maps; the caller publishes.
func (r *Registry) removeLocked(inst *Instance) {
	instances := r.services[inst.Service]
	delete(instances, inst.ID)
	if len(instances) == 0 {
		delete(r.services, inst.Service)
		delete(r.order, inst.Service)
		r.names.Delete(inst.Service)
	} else {
		r.order[inst.Service] = removeID(r.order[inst.Service], inst.ID)
	}
	r.leases.remove(inst)
	r.count--
}

// putLocked stores inst in place of the instance of the same service and ID,
// if any, which it returns, and sets the lease timer. The caller publishes.
func (r *Registry) putLocked(inst *Instance) (old *Instance) {
	instances := r.services[inst.Service]
	if instances == nil {
		instances = make(map[string]*Instance)
		r.services[inst.Service] = instances
		r.names.ReplaceOrInsert(inst.Service)
	} else if name, ok := r.names.Get(inst.Service); ok {
		inst.Service = name // one copy of the name for all its instances
	}
	old = instances[inst.ID]
	r.seq++
	inst.seq = r.seq
	instances[inst.ID] = inst
	if old == nil {
		r.count++
		r.order[inst.Service] = insertID(r.order[inst.Service], inst.ID)
	}
	r.leases.replace(old, inst)
	if !inst.ExpiresAt.IsZero() {
		r.scheduleLocked(inst.ExpiresAt)
	}
	return old
}

// removeIDsLocked removes the instances of service with these IDs, publishes
// the service's routes if any went, and returns how many did.
func (r *Registry) removeIDsLocked(service string, ids []string) int {
	n := 0
	for _, id := range ids {
		if inst := r.services[service][id]; inst != nil {
			r.removeLocked(inst)
			n++
		}
	}
	if n > 0 {
		r.publishLocked(service)
	}
	return n
}

// publishSetLocked publishes the routes of a set of services.
func (r *Registry) publishSetLocked(services map[string]bool) {
	if len(services) > 0 {
		r.publishLocked(slices.Collect(maps.Keys(services))...)
	}
}

// publishLocked publishes the routes of these services: each gets a new
// slice of dial addresses; nothing else is copied.
func (r *Registry) publishLocked(services ...string) {
	for _, service := range services {
		instances := r.services[service]
		if len(instances) == 0 {
			r.routes.store(service, nil)
			metrics.registryInstances.DeleteLabelValues(service, "registered")
			metrics.registryInstances.DeleteLabelValues(service, "healthy")
			metrics.healthTransitions.DeleteLabelValues(service, "healthy")
			metrics.healthTransitions.DeleteLabelValues(service, "unhealthy")
			continue
		}
		live := make([]*Instance, 0, len(instances))
		healthy := 0
		for _, id := range r.order[service] {
			if inst := instances[id]; inst.Healthy() {
				healthy++
				if inst.Weight > 0 { // weight 0: drained, no new requests
					live = append(live, inst)
				}
			}
		}
		r.routes.store(service, newRoute(live, r.indexMeta.Load())) // none: every instance unhealthy or drained, 503
		metrics.registryInstances.WithLabelValues(service, "registered").Set(float64(len(instances)))
		metrics.registryInstances.WithLabelValues(service, "healthy").Set(float64(healthy))
	}
}

// scheduleLocked makes sure the lease timer fires no later than at.
func (r *Registry) scheduleLocked(at time.Time) {
	if r.stopTimer != nil && !at.Before(r.nextExpiry) {
		return
	}
	if r.stopTimer != nil {
		r.stopTimer()
	}
	r.nextExpiry = at
	r.stopTimer = r.clock.AfterFunc(at.Sub(r.clock.Now()), r.expire)
}

// expire removes every instance whose lease has run out and sets the timer
// for the next lease to run out.
//
// In cluster mode a lease runs out only if Redis was reachable when it ran
// out, or after (self-preservation: while the shared store is unreachable,
// no service can renew, so a lease running out says nothing about the
// instance; leases start afresh once Redis is back). What the calls to
// Redis since then say is enough; else one bounded PING, made without the
// lock, decides for every lease due (see clusterSync.checkReachable).
func (r *Registry) expire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	r.stopTimer = nil
	for r.remote != nil {
		at, ok := r.leases.earliest()
		if !ok || now.Before(at) {
			break
		}
		remote := r.remote
		if remote.isDown() {
			r.scheduleLocked(now.Add(outageExpiryRecheck))
			return
		}
		if remote.reachedSince(at) {
			break
		}
		r.mu.Unlock()
		askAgainAt := remote.checkReachable(at)
		r.mu.Lock()
		now = r.clock.Now()
		if !askAgainAt.IsZero() && r.remote == remote {
			r.scheduleLocked(askAgainAt)
			return
		}
		// look again: the check's answer, or the sync of a config loaded
		// meanwhile, decides
	}
	changed := map[string]bool{}
	for {
		at, ok := r.leases.earliest()
		if !ok {
			break
		}
		if now.Before(at) || r.remote != nil && !r.remote.reachedSince(at) {
			// not yet, or it ran out after the last answer from Redis:
			// the next round checks
			r.scheduleLocked(at)
			break
		}
		inst := r.leases[0]
		r.removeLocked(inst)
		changed[inst.Service] = true
		metrics.registryEvents.WithLabelValues("expired").Inc()
		r.logger.Info("lease expired", zap.String("service", inst.Service),
			zap.String("id", inst.ID), zap.String("address", inst.Address),
			zap.Time("renewed_at", inst.RenewedAt))
	}
	r.publishSetLocked(changed)
	r.changedLocked(changed)
}

// changedServiceLocked notes that service's stored record is out of date
// and kicks the persister, if there is one.
func (r *Registry) changedServiceLocked(service string) {
	if r.persist == nil {
		return
	}
	if r.dirty == nil {
		r.dirty = map[string]bool{}
	}
	r.dirty[service] = true
	r.persist.kick()
}

// changedLocked is changedServiceLocked for a set of services.
func (r *Registry) changedLocked(services map[string]bool) {
	for service := range services {
		r.changedServiceLocked(service)
	}
}

// takeDirty hands the persister the services to write, and whether the old
// whole-registry document is to be removed after them.
func (r *Registry) takeDirty() ([]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	services := slices.Sorted(maps.Keys(r.dirty))
	clear(r.dirty)
	return services, r.legacyPending
}

// markDirty gives back what a failed round did not write.
func (r *Registry) markDirty(services []string, legacy bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dirty == nil {
		r.dirty = map[string]bool{}
	}
	for _, s := range services {
		r.dirty[s] = true
	}
	r.legacyPending = legacy
}

// routeChanged reports whether replacing old (nil: none) with inst changes
// what the service's route holds: the address, health, weight or metadata.
func routeChanged(old, inst *Instance) bool {
	return old == nil || old.Address != inst.Address || old.Healthy() != inst.Healthy() ||
		old.Weight != inst.Weight || old.meta != inst.meta
}

// sameRegistration reports whether inst stores what old does: only the
// times of a renewal differ.
func (old *Instance) sameRegistration(inst *Instance) bool {
	return old.Address == inst.Address && old.TTL == inst.TTL && old.HealthPath == inst.HealthPath &&
		old.Origin == inst.Origin && old.meta == inst.meta && old.Weight == inst.Weight
}

// restoreLocked loads persisted instances. Instances already in memory win
// (they were registered since the process started). Each restored lease
// starts afresh: the services could not renew while the gateway was down.
// An entry that no longer validates is skipped with a warning. The caps of
// the config being loaded (s) do not drop anything: every registration that
// was acknowledged is kept, with one warning when the registry is over a
// cap (new registrations are then refused until it is under). Restoring
// never fails as a whole.
func (r *Registry) restoreLocked(instances []Instance, s Settings) int {
	now := r.clock.Now()
	touched := make(map[string]bool)
	n := 0
	for _, in := range instances {
		reg := in.registration()
		if err := reg.Normalize(); err != nil {
			r.logger.Warn("skipping persisted registration", zap.String("service", in.Service),
				zap.String("id", in.ID), zap.Error(err))
			continue
		}
		if r.services[reg.Service][reg.ID] != nil {
			continue
		}
		inst := reg.instance(in.RegisteredAt, in.RenewedAt)
		if inst.TTL > 0 {
			inst.ExpiresAt = now.Add(inst.TTL)
		}
		r.putLocked(inst)
		metrics.registryEvents.WithLabelValues("restored").Inc()
		touched[reg.Service] = true
		n++
	}
	r.publishSetLocked(touched)
	overService := ""
	for service := range touched {
		if len(r.services[service]) > s.MaxPerService {
			overService = service
		}
	}
	if r.count > s.MaxInstances || overService != "" {
		r.logger.Warn("the restored registry is over a cap; every restored registration is kept, and new ones are refused until it is under",
			zap.Int("instances", r.count), zap.Int("max_instances", s.MaxInstances),
			zap.String("service_over_max_instances_per_service", overService), zap.Int("max_instances_per_service", s.MaxPerService))
	}
	return n
}

// instance is the entry a (normalized) registration makes, with its times;
// the one conversion from a Registration to an Instance.
func (reg Registration) instance(registeredAt, renewedAt time.Time) *Instance {
	return &Instance{
		Service:      reg.Service,
		ID:           reg.ID,
		Address:      reg.Address,
		TTL:          reg.TTL,
		meta:         packMeta(reg.Metadata),
		RegisteredAt: registeredAt,
		RenewedAt:    renewedAt,
		HealthPath:   reg.HealthPath,
		Origin:       reg.Origin,
		Weight:       reg.weight(),
	}
}

// weight is the registration's weight, DefaultWeight when it names none.
func (reg Registration) weight() int {
	if reg.Weight == nil {
		return DefaultWeight
	}
	return *reg.Weight
}

// registration is the registration that made inst, to check again (a
// restore, a value read from Redis) before it is trusted.
func (inst *Instance) registration() Registration {
	md := inst.Metadata
	if inst.meta != "" {
		md = unpackMeta(inst.meta)
	}
	weight := inst.Weight
	return Registration{Service: inst.Service, ID: inst.ID, Address: inst.Address, TTL: inst.TTL,
		Metadata: md, HealthPath: inst.HealthPath, Origin: inst.Origin, Weight: &weight}
}

// Normalize checks every field, writes the address as host:port (see
// normalizeAddress) and fills in the ID from the address when it is empty.
// Its errors say what is wrong, for the client that sent the registration.
func (reg *Registration) Normalize() error {
	if err := ValidateServiceName(reg.Service); err != nil {
		return err
	}
	addr, err := NormalizeAddress(reg.Address)
	if err != nil {
		return err
	}
	reg.Address = addr
	if reg.ID == "" {
		reg.ID = reg.Address
	}
	if err := ValidateID(reg.ID); err != nil {
		return err
	}
	if reg.TTL != 0 && reg.TTL < MinTTL {
		return invalidf("ttl %s is too short: the least is %s", reg.TTL, MinTTL)
	}
	if err := ValidateHealthPath(reg.HealthPath); err != nil {
		return err
	}
	if w := reg.weight(); w < 0 || w > MaxWeight {
		return invalidf("weight %d: want a whole number from 0 (drained: no new requests) to %d", w, MaxWeight)
	}
	return validateMetadata(reg.Metadata)
}

// ValidateHealthPath checks a health check path: empty, or an absolute path
// (with an optional query) of printable ASCII without spaces, at most 256
// bytes.
func ValidateHealthPath(path string) error {
	if path == "" {
		return nil
	}
	if path[0] != '/' || len(path) > 256 {
		return invalidf("health path %q must start with / and be at most 256 bytes", path)
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return invalidf("health path %q has the character %q; use a plain URL path", path, rune(c))
		}
	}
	return nil
}

// ValidateServiceName checks that name is a usable service name: 1 to 128
// letters, digits, '.', '_' or '-', and not the dot segments "." or "..".
func ValidateServiceName(name string) error {
	if name == "" {
		return invalidf("service name is empty")
	}
	if name == "." || name == ".." {
		return invalidf("service name %q is a dot segment, never a name: a path holding it means something else once cleaned", name)
	}
	if len(name) > maxServiceNameLen {
		return invalidf("service name is %d bytes long; the most is %d", len(name), maxServiceNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return invalidf("service name %q has the character %q; use letters, digits, '.', '_' and '-'",
				name, rune(name[i]))
		}
	}
	return nil
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// ValidateID allows what a name allows plus ':', '[' and ']', so that an
// address (the default ID) is always a valid ID.
func ValidateID(id string) error {
	if id == "" {
		return invalidf("id is empty")
	}
	if id == "." || id == ".." {
		return invalidf("id %q is a dot segment, never an id", id)
	}
	if len(id) > maxIDLen {
		return invalidf("id is %d bytes long; the most is %d", len(id), maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isNameByte(c) && c != ':' && c != '[' && c != ']' {
			return invalidf("id %q has the character %q; use letters, digits, '.', '_', '-', ':', '[' and ']'",
				id, rune(c))
		}
	}
	return nil
}

func validateMetadata(md map[string]string) error {
	if len(md) > maxMetadataEntries {
		return invalidf("metadata has %d entries; the most is %d", len(md), maxMetadataEntries)
	}
	total := 0
	for k, v := range md {
		if k == "" || len(k) > maxMetadataKeyLen {
			return invalidf("metadata key %q must be 1 to %d bytes long", k, maxMetadataKeyLen)
		}
		for i := 0; i < len(k); i++ {
			if c := k[i]; !isNameByte(c) && c != '/' {
				return invalidf("metadata key %q has the character %q; use letters, digits, '.', '_', '-' and '/'",
					k, rune(c))
			}
		}
		if len(v) > maxMetadataValueLen {
			return invalidf("metadata value of %q is %d bytes long; the most is %d", k, len(v), maxMetadataValueLen)
		}
		total += len(k) + len(v)
	}
	if total > maxMetadataBytes {
		return invalidf("metadata is %d bytes in all; the most is %d", total, maxMetadataBytes)
	}
	return nil
}

// NormalizeAddress checks an instance address and returns it as host:port.
// It accepts host:port and http://host:port (with at most a trailing "/");
// the host is an IP address or a DNS name. Anything else is an error that
// says what is wrong.
func NormalizeAddress(addr string) (string, error) {
	if addr == "" {
		return "", invalidf("address is empty: write host:port, e.g. 127.0.0.1:9090")
	}
	if len(addr) > maxAddressLen {
		return "", invalidf("address is %d bytes long; the most is %d", len(addr), maxAddressLen)
	}
	hostport := addr
	if scheme, rest, ok := strings.Cut(addr, "://"); ok {
		switch strings.ToLower(scheme) {
		case "http":
		case "https":
			return "", invalidf("address %q: https:// is not accepted here; register host:port and turn on TLS to the upstreams in reverse_proxy (transport http { tls })", addr)
		default:
			return "", invalidf("address %q: scheme %q is not supported; write host:port or http://host:port", addr, scheme)
		}
		hostport = strings.TrimSuffix(rest, "/")
	}
	if i := strings.IndexAny(hostport, "/?#"); i >= 0 {
		return "", invalidf("address %q has a path, query or fragment (%q); write only host:port", addr, hostport[i:])
	}
	if strings.Contains(hostport, "@") {
		return "", invalidf("address %q has user info; write only host:port", addr)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		if !strings.Contains(hostport, ":") || strings.HasSuffix(hostport, "]") {
			return "", invalidf("address %q has no port: write host:port, e.g. 127.0.0.1:9090", addr)
		}
		return "", invalidf("address %q is not host:port: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 || port[0] == '+' {
		return "", invalidf("address %q: port %q must be a number from 1 to 65535", addr, port)
	}
	if host == "" {
		return "", invalidf("address %q has no host: write host:port, e.g. 127.0.0.1:9090", addr)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return "", invalidf("address %q: IPv6 zones are not supported", addr)
		}
		host = ip.Unmap().String()
	} else if err := validateHostname(host); err != nil {
		return "", invalidf("address %q: %v", addr, err)
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

func validateHostname(host string) error {
	if len(host) > 253 {
		return fmt.Errorf("host name is longer than 253 bytes")
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("host %q is neither an IP address nor a valid DNS name (empty or over-long label)", host)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("host %q is neither an IP address nor a valid DNS name (character %q)", host, rune(c))
			}
		}
	}
	return nil
}

// clock is the registry's view of time, so that tests can control leases.
type clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d and returns a function
	// that cancels the call.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Attachment is what the owner of a config (the service_registry app)
// gives the registry: its settings and where the registrations live besides
// memory.
type Attachment struct {
	// Settings left zero take the defaults.
	Settings Settings
	// Storage, when set, receives every change shortly after it is made.
	Storage Storage
	// Redis, when set, is the shared store of cluster mode: writes go
	// through it and every gateway on it sees them.
	Redis *redisconn.Conn
	// ResyncInterval is how often cluster mode reads the whole registry
	// from Redis; 0 means every 10s.
	ResyncInterval time.Duration
	Logger         *zap.Logger
}

// Attach makes a's settings, storage and Redis the registry's, until Attach
// is called by another owner or Detach by this one. A config reload attaches
// the new config's owner before the old one detaches; the old one's Detach
// then does nothing.
func (r *Registry) Attach(owner any, a Attachment) {
	var p *persister
	if a.Storage != nil {
		p = newPersister(r, a.Storage, a.Logger)
	}
	var remote *clusterSync
	if a.Redis != nil {
		remote = newClusterSync(r, a.Redis, a.ResyncInterval, a.Logger)
	}
	r.attach(owner, a.Settings, p, remote, a.Logger)
}

// Detach writes the last state to storage and puts the registry back to its
// defaults, unpersisted, if owner is still the one attached.
func (r *Registry) Detach(owner any) { r.detach(owner) }

// attach makes owner's settings and persister the registry's. The previous
// persister is stopped first (waiting for a write in flight) so that it can
// never overwrite what the new one writes.
func (r *Registry) attach(owner any, s Settings, p *persister, remote *clusterSync, logger *zap.Logger) {
	r.mu.Lock()
	old, oldChecker, oldRemote := r.persist, r.checker, r.remote
	r.persist, r.checker, r.remote = nil, nil, nil
	r.mu.Unlock()
	if old != nil {
		old.stop(false)
	}
	if oldChecker != nil {
		oldChecker.stop()
	}
	if oldRemote != nil {
		oldRemote.stop()
	}

	s = s.withDefaults()
	r.mu.Lock()
	r.owner = owner
	r.settings = s
	r.logger = logger
	r.persist = p
	if p == nil {
		clear(r.dirty)
		r.storedID = ""
	} else {
		p.start()
		if id := storageID(p.storage); id == "" || id != r.storedID {
			// another storage (or one that cannot tell): write every
			// service's record to it
			for service := range r.services {
				r.changedServiceLocked(service)
			}
			r.storedID = id
		}
		if len(r.dirty) > 0 || r.legacyPending {
			p.kick()
		}
	}
	r.checker = r.startHealthChecker(s.Health.Interval)
	r.remote = remote
	r.enforcePolicyLocked()
	r.mu.Unlock()
	if remote != nil {
		remote.start()
	}
}

// enforcePolicyLocked removes the instances whose address the policy now
// refuses (a new deny range, a listener that moved onto a registered
// address, an entry restored from storage). Only IP addresses are checked
// here, without DNS; the health checker checks names before every probe.
func (r *Registry) enforcePolicyLocked() {
	changed := map[string]bool{}
	for service, instances := range r.services {
		for _, inst := range instances {
			if _, err := netip.ParseAddrPort(inst.Address); err != nil {
				continue
			}
			var refused *addrpolicy.RefusedError
			if _, err := r.settings.Policy.Check(context.Background(), inst.Address, inst.Origin); errors.As(err, &refused) {
				r.removeLocked(inst)
				changed[service] = true
				metrics.registryEvents.WithLabelValues("deregistered_policy").Inc()
				r.logger.Warn("deregistered an instance whose address the address policy refuses",
					zap.String("service", service), zap.String("id", inst.ID), zap.String("address", inst.Address),
					zap.String("rule", refused.Rule))
			}
		}
	}
	r.publishSetLocked(changed)
	r.changedLocked(changed)
}

// detach undoes attach if owner is still the current owner: the last state
// is written and the registry goes back to its defaults, unpersisted.
func (r *Registry) detach(owner any) {
	r.mu.Lock()
	if r.owner != owner {
		r.mu.Unlock()
		return
	}
	p, checker, remote := r.persist, r.checker, r.remote
	r.persist, r.checker, r.remote = nil, nil, nil
	r.owner = nil
	r.storedID = ""
	r.settings = defaultSettings
	r.logger = r.defaultLogger
	r.mu.Unlock()
	if checker != nil {
		checker.stop()
	}
	if remote != nil {
		remote.stop()
	}
	if p != nil {
		p.stop(true)
	}
}

// Mode says where the registry lives: in memory (cluster false) or in
// Redis, and then whether Redis answered at the last attempt.
func (r *Registry) Mode() (cluster, reachable bool) {
	r.mu.Lock()
	remote := r.remote
	r.mu.Unlock()
	if remote == nil {
		return false, true
	}
	return true, !remote.isDown()
}

// RegisteredVia is "registry_api" for an instance registered through a
// site route, "" for the admin endpoint.
func (inst Instance) RegisteredVia() string {
	if inst.Origin == addrpolicy.Site {
		return addrpolicy.Site.String()
	}
	return ""
}

// UnhealthySince is when the instance's health checks took it out of
// rotation; zero while it is healthy.
func (inst Instance) UnhealthySince() time.Time {
	if inst.health == nil || !inst.health.unhealthy {
		return time.Time{}
	}
	return inst.health.unhealthySince
}

// CheckedAt is the time of the instance's last health check; zero if never.
func (inst Instance) CheckedAt() time.Time {
	if inst.health == nil {
		return time.Time{}
	}
	return inst.health.checkedAt
}
