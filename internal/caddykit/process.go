package caddykit

import "sync"

// State that outlives a config load lives in package-level owners (the
// root's processState, one per module package that has such state). A new
// process starts each of them empty; the end-to-end tests, which run Caddy
// many times in one process, need the same fresh start for every test,
// including tests in other Go modules (e2e/) that cannot reach the owners'
// unexported fields. Each owner registers how to start afresh here.
var (
	resetMu sync.Mutex
	resets  []func()
)

// OnProcessReset registers how an owner of process-wide state starts
// afresh, as in a new process. Owners call it from init.
func OnProcessReset(reset func()) {
	resetMu.Lock()
	defer resetMu.Unlock()
	resets = append(resets, reset)
}

// ResetProcessState puts every registered owner of process-wide state back
// to what a new process starts with. For tests only, while no Caddy config
// is running (between caddy.Stop and the next caddy.Load): it replaces the
// state the modules of a running config hold.
func ResetProcessState() {
	resetMu.Lock()
	defer resetMu.Unlock()
	for _, reset := range resets {
		reset()
	}
}
