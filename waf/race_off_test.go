//go:build !race

package waf

const raceEnabled = false

// randomSamples is how many random texts the rules' false-positive
// measures draw (TestBasicPasswordRule, TestQuoteCommentOnProse,
// TestShellCommandRule, TestNumericTautologyOnProse): 200,000 for the figures in docs/waf.md, a tenth
// under the race detector, which slows the expressions tenfold and put
// the package past go test's ten minutes.
const randomSamples = 200000

// cpuMargin is how many times the 200 ms bound the CPU bound tests
// (TestCPUBound*, TestPlacesBounded) allow one request: 3, for a busy
// machine (the dearest request costs about 200 ms on a quiet one).
const cpuMargin = 3
