package waf

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/caddyserver/caddy/v2"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	re2 "github.com/wasilibs/go-re2"
)

// re2LinearMemory is go-re2's one WebAssembly linear memory, which every
// compiled expression and every match shares (its pool of modules holds
// only their stacks, 16 KiB each, in it): its first field is the
// memory's bytes, whose length, stored atomically, is what RE2 has grown
// it to. A WebAssembly memory never shrinks.
//
//go:linkname re2LinearMemory github.com/wasilibs/go-re2/internal.hostMemory
var re2LinearMemory *struct{ buf []byte }

// re2Memory is the size of RE2's linear memory, in bytes (0 before RE2's
// first use).
func re2Memory() int {
	if re2LinearMemory == nil {
		return 0
	}
	b := &re2LinearMemory.buf
	return int(atomic.LoadUintptr((*uintptr)(unsafe.Add(unsafe.Pointer(b), unsafe.Sizeof(uintptr(0))))))
}

// adversarialValue is a value of n bytes meant to grow RE2's caches of
// DFA states: runs of random length of each byte class (letters, digits,
// punctuation and the characters attacks are made of, spaces and
// controls, bytes that are not UTF-8, runes of two, three and four bytes),
// so that each expression sees many distinct sequences of classes.
func adversarialValue(rng *rand.Rand, n int) string {
	classes := []string{
		"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
		"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", " \t\r\n\v\f", "\x00\x01\x02\x07\x08\x1b\x7f",
		"<script>alert(1)</script>", "' or 1=1 union select from where --", "../etc/passwd;|`$(){}",
	}
	var b strings.Builder
	for b.Len() < n {
		run := 1 + rng.IntN(12)
		switch k := rng.IntN(len(classes) + 3); {
		case k < len(classes):
			c := classes[k]
			for range run {
				b.WriteByte(c[rng.IntN(len(c))])
			}
		case k == len(classes): // bytes that are not UTF-8
			for range run {
				b.WriteByte(byte(0x80 + rng.IntN(0x80)))
			}
		case k == len(classes)+1: // runes of two and three bytes
			for range run {
				b.WriteRune(rune(0x80 + rng.IntN(0xd000)))
			}
		default: // runes of four bytes
			for range run {
				b.WriteRune(rune(0x10000 + rng.IntN(0x100000)))
			}
		}
	}
	return b.String()[:n]
}

// crsRXOptions are the CRS's @rx expressions as the WAF compiles them,
// observed once: an engine is built once per distinct configuration (and
// kept while in use), so a second WAF of the same configuration compiles
// none.
var crsRXOptions []plugintypes.OperatorOptions

// crsRX compiles every @rx expression of the CRS as the WAF does and
// returns the operators that run on RE2, and how many expressions there
// are in all.
func crsRX(t testing.TB) ([]*rx, int) {
	if crsRXOptions == nil {
		var opts []plugintypes.OperatorOptions
		observeRX = func(o plugintypes.OperatorOptions) { opts = append(opts, o) }
		ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
		defer cancel()
		// an anomaly threshold no other test uses: an engine of its own
		w := &WAF{Responses: true, AnomalyThreshold: 4999}
		start := time.Now()
		err := w.Provision(ctx)
		observeRX = nil
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("the CRS compiled in %v", time.Since(start).Round(time.Millisecond))
		crsRXOptions = opts
	}
	opts := crsRXOptions
	var ops []*rx
	for _, o := range opts {
		op, err := newRX(o)
		if err != nil {
			t.Fatal(err)
		}
		if ours, ok := op.(*rx); ok && ours.re != nil {
			ops = append(ops, ours)
		}
	}
	return ops, len(opts)
}

// re2Bound is the bound docs/waf.md states on RE2's memory for the CRS:
// the sum of its expressions' budgets, under which RE2 holds their
// programs and caches.
// 256 MiB for the CRS and the rules before the fifth attack; its
// findings' rules (210114, 210153, 210170, 210180-210186) add 5.5 MiB;
// 272 MiB until the twelfth attack (attack 16), whose rules took it past.
const re2Bound = 280 << 20

// TestRE2MemoryBounded: every CRS expression that runs on RE2 has a
// budget, their sum is under the bound docs/waf.md states, and an
// adversarial stream grows RE2's memory by no more than the budget of the
// expression it reads. Before the budgets (go-re2's default, 128 MiB each)
// the expression whose cache grows fastest (the CRS's template injection
// expression, [^}]{0,256}?) grew RE2's memory by 12 MiB over 16000 values
// of 4 KiB, and on without levelling off.
func TestRE2MemoryBounded(t *testing.T) {
	tableOnly(t)
	ops, all := crsRX(t)
	seen := map[*re2.Regexp]bool{}
	sum, most := 0, 0
	var fastest *rx
	for _, op := range ops {
		if op.budget <= 0 || op.budget > re2MaxBudget/8 { // none keeps go-re2's default
			t.Errorf("@rx %.80q: budget %d", op.re.String(), op.budget)
		}
		if strings.Contains(op.re.String(), `\bequation\s*=`) {
			fastest = op
		}
		most = max(most, op.budget)
		if !seen[op.re] {
			seen[op.re] = true
			sum += op.budget
		}
	}
	t.Logf("%d of %d expressions on RE2, budgets %d KiB in all (the largest %d KiB)", len(seen), all, sum>>10, most>>10)
	if len(seen) < 100 {
		t.Fatalf("only %d expressions on RE2", len(seen))
	}
	if sum > re2Bound {
		t.Errorf("the budgets add up to %d MiB, over the %d MiB docs/waf.md states", sum>>20, re2Bound>>20)
	}
	if fastest == nil {
		t.Fatal("the CRS's template injection expression (\\bequation\\s*=) is not on RE2")
	}
	n := 16000
	if raceEnabled {
		n = 2000
	}
	if _, ok := re2WASI.stderr.(re2Stderr); !ok {
		t.Errorf("RE2's standard error is %T: its logging reaches Caddy's", re2WASI.stderr)
	}
	rng := rand.New(rand.NewPCG(7, 9))
	before, fallbacks := re2Memory(), re2Fallbacks.Load()
	for range n {
		fastest.Evaluate(&captureTx{}, adversarialValue(rng, 4096))
	}
	grew := re2Memory() - before
	t.Logf("%d adversarial values of 4 KiB: RE2's memory grew %d KiB (budget %d KiB), %d searches handed to the NFA", n, grew>>10, fastest.budget>>10, re2Fallbacks.Load()-fallbacks)
	if grew > fastest.budget {
		t.Errorf("RE2's memory grew %d KiB reading %d values with one expression, over its budget of %d KiB", grew>>10, n, fastest.budget>>10)
	}
}

// BenchmarkRE2Memory feeds b.N adversarial values, of 64 bytes to 4 KiB,
// to every CRS expression RE2 runs (one in four capturing) and reports
// RE2's memory after them (re2-KiB) and the time per value: the
// measurement docs/waf.md's "Memory" quotes (-benchtime=8000x).
func BenchmarkRE2Memory(b *testing.B) {
	ops, _ := crsRX(b)
	rng := rand.New(rand.NewPCG(7, 9))
	values := make([]string, b.N)
	for i := range values {
		values[i] = adversarialValue(rng, 64+rng.IntN(4096))
	}
	b.ResetTimer()
	for i, v := range values {
		for _, op := range ops {
			op.Evaluate(&captureTx{capturing: i%4 == 0}, v)
		}
	}
	b.ReportMetric(float64(re2Memory()>>10), "re2-KiB")
}

// BenchmarkRxByLength is what set re2MinLen: every CRS expression RE2
// runs, on random printable values of each length, by Go's regexp
// (Coraza's @rx) and by RE2, per value (µs-per-value). On this VM, warm:
// Go's regexp 180-540 µs at 8 bytes, 310-480 at 16, 960-1,380 at 63;
// RE2 80-90 at 8, 95-240 at 16, 160-230 at 63 (cold, its DFA states not
// yet built, RE2 took 430-520 at every length from 16 up, 750 at 8).
func BenchmarkRxByLength(b *testing.B) {
	ops, _ := crsRX(b)
	rng := rand.New(rand.NewPCG(1, 2))
	const printable = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~ "
	for _, n := range []int{8, 16, 32, 63} {
		values := make([]string, 64)
		for i := range values {
			v := make([]byte, n)
			for j := range v {
				v[j] = printable[rng.IntN(len(printable))]
			}
			values[i] = string(v)
		}
		for _, engine := range []string{"goregexp", "re2"} {
			b.Run(fmt.Sprintf("%s/len=%d", engine, n), func(b *testing.B) {
				tx := &captureTx{}
				i := 0
				for b.Loop() {
					v := values[i%len(values)]
					i++
					for _, op := range ops {
						if engine == "re2" {
							op.re.MatchString(v)
						} else {
							op.coraza.Evaluate(tx, v)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs-per-value")
			})
		}
	}
}
