package testenv

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// SeedEnv names the environment variable that replays a randomized test:
// GATEWAY_TEST_SEED=<seed> go test -run '^TestName$' ./<package>.
const SeedEnv = "GATEWAY_TEST_SEED"

// Seed returns the seed for a randomized test's generator: SeedEnv's value
// when it is set, else a fresh one. It logs the seed with the command that
// replays it (the log is printed when the test fails, and with -v), so a
// failure seen once can be run again. A test whose outcome also depends on
// timing replays the same choices, not necessarily the same interleaving.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(SeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: want an unsigned decimal integer: %v", SeedEnv, s, err)
		}
	}
	t.Logf("seed %d; replay with %s=%d go test -run '^%s$'", seed, SeedEnv, seed, t.Name())
	return seed
}
