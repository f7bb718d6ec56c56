//go:build !race

package waf

const raceEnabled = false

// randomSamples is how many random texts the rules' false-positive
// measures draw (TestBasicPasswordRule, TestQuoteCommentOnProse,
// TestShellCommandRule, TestNumericTautologyOnProse): 200,000 for the figures in docs/waf.md, a tenth
// under the race detector, which slows the expressions tenfold and put
// the package past go test's ten minutes.
const randomSamples = 200000

// cpuMargin is how many times cpuBound the CPU bound tests
// (TestCPUBound*, TestPlacesBounded) allow one request: 2, for a busy
// machine (the dearest request, the first of its shape, cost 250-310 ms
// at load 5-7 and 205-243 ms at load 1.2).
const cpuMargin = 2
