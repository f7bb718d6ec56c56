package waf

import "testing"

// tableOnly marks a test that drives the engine from one goroutine over a
// large table, many random texts or the CPU bound's dearest requests. The
// race detector can find nothing in such a test (nothing in it runs
// concurrently) and multiplies its CPU 10-30x: with them, the package took
// 30 minutes under -race and went past CI's timeout. So the README's test
// command and .ci/run run this package twice: `go test -race -short`, which
// skips these and keeps every test that shares an engine between goroutines
// or across reloads, then `go test` in full without the race detector, where
// the CPU bound tests also hold their real margin (cpuMargin).
func tableOnly(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("one goroutine over a large table: run by the full `go test` without -race (see tableOnly)")
	}
}
