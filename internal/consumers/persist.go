package consumers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// recordsPrefix is where the consumers live in Caddy's storage: one
// record per consumer, so a change rewrites one small record.
const recordsPrefix = "consumers/records"

// countsKey is where the calendar quota counts of a single gateway
// (MemoryCounter) are kept.
const countsKey = "consumers/quota_counts.json"

// CountsInterval is how often the quota counts are written when they
// changed: a crash (not a stop) loses at most this much of the counting.
const CountsInterval = 5 * time.Second

// LoadCounts merges the persisted quota counts into m.
func LoadCounts(ctx context.Context, storage Storage, m *MemoryCounter) error {
	b, err := storage.Load(ctx, countsKey)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the quota counts from storage: %w", err)
	}
	if err := m.Merge(b); err != nil {
		return fmt.Errorf("the stored quota counts cannot be read: %w", err)
	}
	return nil
}

// recordVersion is the version of the stored record's format.
const recordVersion = 1

// Storage is the part of Caddy's storage (certmagic.Storage) the store
// uses.
type Storage interface {
	Store(ctx context.Context, key string, value []byte) error
	Load(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, path string, recursive bool) ([]string, error)
}

// RecordKey is where a consumer's record lives. The id is followed by a
// hash of it, so that ids differing only in case stay two files on a
// case-insensitive file system.
func RecordKey(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return fmt.Sprintf("%s/%s~%08x.json", recordsPrefix, id, h.Sum32())
}

// record is a consumer as stored (in Caddy's storage and in Redis).
type record struct {
	Version int `json:"version"`
	*Consumer
}

// Encode is a consumer's stored form.
func Encode(c *Consumer) ([]byte, error) {
	return json.Marshal(record{Version: recordVersion, Consumer: c})
}

// Decode reads a stored consumer.
func Decode(b []byte) (*Consumer, error) {
	r := record{Consumer: new(Consumer)}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if r.Version != recordVersion {
		return nil, fmt.Errorf("record version %d; this gateway reads version %d", r.Version, recordVersion)
	}
	if err := ValidateID(r.ID); err != nil {
		return nil, err
	}
	return r.Consumer, nil
}

// Persister writes changed consumers to storage in the background, at most
// once per interval, so that an admin call never waits for storage.
type Persister struct {
	store    *Store
	storage  Storage
	logger   *zap.Logger
	interval time.Duration
	counts   *MemoryCounter // written every CountsInterval, and at stop

	mu    sync.Mutex
	dirty map[string]struct{}

	// writeMu orders the writes of one record: a background write that
	// read a consumer before a revocation cannot store it after WriteNow
	// stored the revocation
	writeMu sync.Mutex

	kick chan struct{}
	stop chan bool
	done chan struct{}
}

// NewPersister makes a persister; Start starts it.
func NewPersister(s *Store, storage Storage, logger *zap.Logger) *Persister {
	return &Persister{store: s, storage: storage, logger: logger, interval: time.Second,
		dirty: map[string]struct{}{}, kick: make(chan struct{}, 1), stop: make(chan bool, 1), done: make(chan struct{})}
}

// Changed marks a consumer for the next write.
func (p *Persister) Changed(id string) {
	p.mu.Lock()
	p.dirty[id] = struct{}{}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// SaveCounts has the writer persist m's quota counts too (before Start).
func (p *Persister) SaveCounts(m *MemoryCounter) { p.counts = m }

// writeCounts writes the quota counts if they changed.
func (p *Persister) writeCounts() {
	if p.counts == nil {
		return
	}
	b, ok := p.counts.Snapshot()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.storage.Store(ctx, countsKey, b); err != nil {
		p.counts.MarkDirty()
		p.logger.Error("writing the quota counts to storage failed; will retry", zap.Error(err))
	}
}

// Start runs the writer.
func (p *Persister) Start() { go p.loop() }

// Stop ends the writer; with flush, it writes what is pending first.
func (p *Persister) Stop(flush bool) {
	p.stop <- flush
	<-p.done
}

func (p *Persister) loop() {
	defer close(p.done)
	tick := time.NewTicker(CountsInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			p.writeCounts()
			continue
		case <-p.kick:
			if err := p.Write(); err != nil {
				p.logger.Error("writing consumers to storage failed; will retry", zap.Error(err))
			}
		case flush := <-p.stop:
			if flush {
				if err := p.Write(); err != nil {
					p.logger.Error("writing consumers to storage at stop failed", zap.Error(err))
				}
				p.writeCounts()
			}
			return
		}
		select {
		case <-time.After(p.interval):
		case flush := <-p.stop:
			if flush {
				if err := p.Write(); err != nil {
					p.logger.Error("writing consumers to storage at stop failed", zap.Error(err))
				}
				p.writeCounts()
			}
			return
		}
	}
}

// Write writes every changed consumer's record (or deletes it); those that
// fail stay marked for the next round.
func (p *Persister) Write() error {
	p.mu.Lock()
	dirty := p.dirty
	p.dirty = map[string]struct{}{}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var firstErr error
	failed := 0
	for id := range dirty {
		if err := p.writeOne(ctx, id); err != nil {
			failed++
			if firstErr == nil {
				firstErr = fmt.Errorf("consumer %q: %w", id, err)
			}
			p.mu.Lock()
			p.dirty[id] = struct{}{}
			p.mu.Unlock()
		}
	}
	if failed > 0 {
		select {
		case p.kick <- struct{}{}:
		default:
		}
		return fmt.Errorf("%d of %d records not written, e.g. %w", failed, len(dirty), firstErr)
	}
	return nil
}

// writeOne writes a consumer's record as the store has it now, or deletes
// it.
func (p *Persister) writeOne(ctx context.Context, id string) error {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	if c, ok := p.store.Get(id); ok {
		b, err := Encode(c)
		if err != nil {
			return err
		}
		return p.storage.Store(ctx, RecordKey(id), b)
	}
	if err := p.storage.Delete(ctx, RecordKey(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// WriteNow writes one consumer's record at once (revocations, disables
// and deletions: the admin API answers only once they are in storage).
// On failure the record stays marked for the background writer.
func (p *Persister) WriteNow(ctx context.Context, id string) error {
	p.mu.Lock()
	delete(p.dirty, id)
	p.mu.Unlock()
	if err := p.writeOne(ctx, id); err != nil {
		p.Changed(id)
		return err
	}
	return nil
}

// Load reads every consumer from storage. A record that cannot be read is
// logged and skipped, so one bad file does not keep the rest out.
func Load(ctx context.Context, storage Storage, logger *zap.Logger) ([]*Consumer, error) {
	keys, err := storage.List(ctx, recordsPrefix, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s in storage: %w", recordsPrefix, err)
	}
	out := make([]*Consumer, len(keys))
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(8, len(keys)) {
		wg.Go(func() {
			for i := range work {
				key := keys[i]
				if !strings.HasSuffix(key, ".json") {
					continue
				}
				b, err := storage.Load(ctx, key)
				if err == nil {
					out[i], err = Decode(b)
				}
				if err != nil {
					logger.Error("a stored consumer cannot be read; skipped", zap.String("key", key), zap.Error(err))
					out[i] = nil
				}
			}
		})
	}
	for i := range keys {
		work <- i
	}
	close(work)
	wg.Wait()
	n := 0
	for _, c := range out {
		if c != nil {
			out[n] = c
			n++
		}
	}
	return out[:n], nil
}
