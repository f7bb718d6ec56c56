package testenv

import (
	"strconv"
	"testing"
)

func TestSeedFromTheEnvironment(t *testing.T) {
	t.Setenv(SeedEnv, "12345678901234567890")
	if s := Seed(t); s != 12345678901234567890 {
		t.Fatalf("Seed = %d, want the one in %s", s, SeedEnv)
	}
}

func TestSeedFresh(t *testing.T) {
	t.Setenv(SeedEnv, "")
	a := Seed(t)
	t.Setenv(SeedEnv, strconv.FormatUint(a, 10))
	if b := Seed(t); b != a {
		t.Fatalf("replaying seed %d gave %d", a, b)
	}
}
