//go:build !race

package waf

const raceEnabled = false

// randomSamples is how many random texts the rules' false-positive
// measures draw (TestBasicPasswordRule, TestQuoteCommentOnProse,
// TestShellCommandRule, TestNumericTautologyOnProse): 200,000 for the figures in docs/waf.md, a tenth
// under the race detector, which slows the expressions tenfold and put
// the package past go test's ten minutes.
const randomSamples = 200000
