//go:build race

package waf

// raceEnabled: the race detector multiplies CPU times by 5 to 10.
const raceEnabled = true
