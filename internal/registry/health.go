package registry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
)

// Active health checks of registered instances. Caddy's own active health
// checks do not run for dynamic upstreams, so the registry probes its
// instances itself: from one place (not once per reverse_proxy), taking an
// unhealthy instance out of the routes and putting it back when it recovers,
// and deregistering it when it stays unhealthy too long.

// Health check defaults.
const (
	defaultHealthInterval = 10 * time.Second
	defaultHealthTimeout  = 2 * time.Second
	defaultHealthFails    = 2
	defaultHealthPasses   = 1
	maxParallelProbes     = 32
)

// HealthSettings is how the registry checks its instances.
type HealthSettings struct {
	Path            string // for every instance; "" checks only those that registered a path
	Interval        time.Duration
	Timeout         time.Duration
	Fails           int           // consecutive failures that make an instance unhealthy
	Passes          int           // consecutive passes that make it healthy again
	DeregisterAfter time.Duration // 0: never deregister for being unhealthy
}

var defaultHealth = HealthSettings{
	Interval: defaultHealthInterval,
	Timeout:  defaultHealthTimeout,
	Fails:    defaultHealthFails,
	Passes:   defaultHealthPasses,
}

// instanceHealth is the health state of one instance. Every instance starts
// healthy: one that registers gets traffic at once, as without checks.
type instanceHealth struct {
	unhealthy      bool
	unhealthySince time.Time
	fails, passes  int       // consecutive
	checkedAt      time.Time // zero: never checked
}

// probeTarget is one instance to probe, copied out of the registry so the
// probes run without its lock.
type probeTarget struct {
	service, id, address, path string
	origin                     addrpolicy.Origin
	result                     probeResult
}

// probeResult is what one probe found out.
type probeResult uint8

const (
	// probeNone: no result; the probe was cancelled (a config reload stops
	// the checker mid-round) and says nothing about the instance
	probeNone probeResult = iota
	probePassed
	probeFailed
	// probeRefused: the address policy refuses the address now (a host name
	// that resolves somewhere else, a new deny range); nothing was sent
	probeRefused
)

// healthPathFor is the path an instance is checked at, "" for none.
func (r *Registry) healthPathFor(inst *Instance) string {
	if inst.HealthPath != "" {
		return inst.HealthPath
	}
	return r.settings.Health.Path
}

// checkHealth probes every instance that has a health path once and applies
// the results. The health loop calls it every interval; tests call it
// directly.
func (r *Registry) checkHealth(ctx context.Context, client *http.Client) {
	r.mu.Lock()
	hs := r.settings.Health
	policy := r.settings.Policy
	var targets []probeTarget
	for service, instances := range r.services {
		for id, inst := range instances {
			if path := r.healthPathFor(inst); path != "" {
				targets = append(targets, probeTarget{service: service, id: id, address: inst.Address, path: path, origin: inst.Origin})
			}
		}
	}
	r.mu.Unlock()
	if len(targets) == 0 {
		return
	}

	sem := make(chan struct{}, maxParallelProbes)
	var wg sync.WaitGroup
	for i := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func(t *probeTarget) {
			defer func() { <-sem; wg.Done() }()
			t.result = probe(ctx, client, policy, hs.Timeout, t)
		}(&targets[i])
	}
	wg.Wait()

	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	changed := map[string]bool{}
	for _, t := range targets {
		inst := r.services[t.service][t.id]
		if inst == nil || inst.Address != t.address || t.result == probeNone {
			continue // deregistered or moved while we probed, or cancelled
		}
		if r.applyProbeLocked(inst, t, hs, now) {
			changed[t.service] = true
		}
	}
	if len(changed) > 0 {
		r.publishSetLocked(changed) // health is not stored: nothing to write
	}
}

// applyProbeLocked takes one probe's result into inst's health, and
// reports whether the instance's place in the routes changed.
func (r *Registry) applyProbeLocked(inst *Instance, t probeTarget, hs HealthSettings, now time.Time) (changed bool) {
	if inst.health == nil {
		inst.health = new(instanceHealth)
	}
	h := inst.health
	h.checkedAt = now
	if t.result == probeRefused {
		// out of rotation at once: the gateway must not send it traffic
		h.fails = max(h.fails, hs.Fails-1)
	}
	if t.result == probePassed {
		h.fails, h.passes = 0, h.passes+1
		if h.unhealthy && h.passes >= hs.Passes {
			h.unhealthy = false
			metrics.healthTransitions.WithLabelValues(t.service, "healthy").Inc()
			r.logger.Info("instance is healthy again", zap.String("service", t.service), zap.String("id", t.id),
				zap.String("address", t.address))
			return true
		}
		return false
	}
	h.passes, h.fails = 0, h.fails+1
	if !h.unhealthy && h.fails >= hs.Fails {
		h.unhealthy, h.unhealthySince = true, now
		changed = true
		metrics.healthTransitions.WithLabelValues(t.service, "unhealthy").Inc()
		r.logger.Warn("instance is unhealthy; taken out of rotation", zap.String("service", t.service),
			zap.String("id", t.id), zap.String("address", t.address), zap.String("path", t.path), zap.Int("failures", h.fails))
	}
	if h.unhealthy && hs.DeregisterAfter > 0 && now.Sub(h.unhealthySince) >= hs.DeregisterAfter {
		if r.remote != nil { // the other gateways learn it through Redis; best effort
			go func(remote *clusterSync, service, id string) {
				_, _ = remote.del(service, []string{id})
			}(r.remote, t.service, t.id)
		}
		r.removeLocked(inst)
		changed = true
		metrics.registryEvents.WithLabelValues("deregistered_unhealthy").Inc()
		r.logger.Warn("deregistered an instance that stayed unhealthy", zap.String("service", t.service),
			zap.String("id", t.id), zap.String("address", t.address), zap.Duration("unhealthy_for", now.Sub(h.unhealthySince)))
	}
	return changed
}

// probe checks the address against the policy (resolving a host name),
// then sends one GET to http://address+path on exactly the address that was
// checked; a 2xx or 3xx answer passes.
func probe(ctx context.Context, client *http.Client, policy *addrpolicy.Policy, timeout time.Duration, t *probeTarget) probeResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ips, err := policy.Check(ctx, t.address, t.origin)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return probeNone
		}
		var refused *addrpolicy.RefusedError
		if errors.As(err, &refused) {
			return probeRefused
		}
		return probeFailed
	}
	_, port, _ := net.SplitHostPort(t.address)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(ips[0].String(), port)+t.path, nil)
	if err != nil {
		return probeFailed
	}
	req.Host = t.address
	req.Header.Set("User-Agent", "caddy-gateway-health-check")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return probeNone // the checker was stopped: no verdict on the instance
		}
		return probeFailed
	}
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return probePassed
	}
	return probeFailed
}

// startHealthChecker runs checkHealth every interval until stopped.
func (r *Registry) startHealthChecker(interval time.Duration) *background {
	if interval <= 0 {
		interval = defaultHealthInterval
	}
	client := &http.Client{
		// never follow a redirect to somewhere else: a 3xx passes as it is
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	return runInBackground(func(ctx context.Context) {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				r.checkHealth(ctx, client)
			}
		}
	})
}

// background is one goroutine that runs until stop, which cancels its
// context and waits for it to return.
type background struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func runInBackground(run func(ctx context.Context)) *background {
	ctx, cancel := context.WithCancel(context.Background())
	b := &background{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		run(ctx)
	}()
	return b
}

func (b *background) stop() {
	b.cancel()
	<-b.done
}
