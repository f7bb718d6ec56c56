//go:build race

package waf

// raceEnabled: the race detector multiplies CPU times by 10 to 30.
const raceEnabled = true

// randomSamples is how many random texts the rules' false-positive
// measures draw (TestBasicPasswordRule, TestQuoteCommentOnProse,
// TestShellCommandRule, TestNumericTautologyOnProse): 200,000 for the figures in docs/waf.md, a tenth
// under the race detector, which slows the expressions tenfold and put
// the package past go test's ten minutes.
const randomSamples = 20000

// cpuMargin is how many times cpuBound the CPU bound tests
// (TestCPUBound*, TestPlacesBounded) allow one request: under the race
// detector the engine's walk costs 10-30x more (the dearest request took
// 5.35-5.9 s in a CI run on a busy machine, against about 200 ms without
// it), so here the tests only catch an unbounded cost (the 1 MB body the
// waf issue began with cost 7.45 s without the detector). The README's test
// command and .ci/run skip them under the detector (-short, see tableOnly)
// and run them without it, against 2x.
const cpuMargin = 40
