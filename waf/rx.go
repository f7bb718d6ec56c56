package waf

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	_ "unsafe" // go:linkname, for Coraza's own @rx

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	re2 "github.com/wasilibs/go-re2"
	re2x "github.com/wasilibs/go-re2/experimental"
)

// The @rx operator on long inputs runs RE2 (github.com/wasilibs/go-re2:
// Google's C++ RE2, compiled to WebAssembly and from that to Go, no cgo)
// instead of Go's regexp. Go's regexp runs the CRS's large expressions
// with its NFA on anything longer than a few hundred bytes, at some
// microseconds per byte per rule: two thirds of a 2 KB JSON POST's time
// went there. RE2's lazy DFA scans the same input in one pass at a few
// nanoseconds a byte, but each call costs a fraction of a microsecond
// to cross into it, and more until its DFA states for the expression are
// built: on values of 8 bytes Go's regexp costs about what RE2 does, from
// 16 bytes on two to four times more (BenchmarkRxByLength; the threshold
// was 64 bytes until a sixth fresh-eyes attack's dearest request, 127
// values of 63 random bytes in each place, cost 260-520 ms); so a value
// shorter than re2MinLen, or that is not valid UTF-8 (where RE2 would stop reading
// and Go's regexp reads on, one U+FFFD per bad byte), goes to Coraza's own
// @rx as before (its prefilter off: see waf.go); a long value that is not valid UTF-8
// goes to RE2 with each bad byte replaced by the U+FFFD Go's regexp reads
// there (asGoRegexpReads). Both engines implement RE2's syntax
// and leftmost-first semantics, so the matches are the same:
// TestRE2MatchesGoRegexp runs every CRS @rx expression through both on the
// attack and benign tables' values, long and short.
//
// Operators are registered by name for the whole process: a Caddy built
// with this module and coraza-caddy runs this @rx in both.
const re2MinLen = 16

// corazaOperators is Coraza's registry of operator factories, for its own
// @rx: the plugin API registers operators but does not hand them out. A
// Coraza that renames it fails to link, never silently.
//
//go:linkname corazaOperators github.com/corazawaf/coraza/v3/internal/operators.operators
var corazaOperators map[string]plugintypes.OperatorFactory

// re2Compile is go-re2's compiler with its options: the package hands out
// the options type (experimental.CompileOptions) but compiles with them
// only sets of expressions, so it is linked by name, as corazaOperators
// is; a go-re2 that renames it fails to link, never silently.
//
//go:linkname re2Compile github.com/wasilibs/go-re2/internal.Compile
func re2Compile(expr string, opts re2x.CompileOptions) (*re2.Regexp, error)

// RE2's memory. RE2 keeps, for each expression, its compiled program and
// a cache of the DFA states it builds while it reads, which grows with the
// variety of what it reads until it reaches what is left of the
// expression's budget (MaxMem: two thirds for the program and the forward
// DFAs, a third for the reverse program and its DFA), and is then reset.
// go-re2's default budget is 128 MiB for every expression: for the CRS's
// 300-odd, no bound at all (the WebAssembly memory never shrinks, and an
// adversarial stream grew it without levelling off). Each expression gets
// instead re2Room times the least budget it compiles in (re2MinBudget,
// doubled until it compiles): the DFA's states are sized by the program
// (a state holds a list of its instructions), so a budget in proportion
// to the program leaves room for as many states whatever the expression.
// RE2 then holds at most the sum of the budgets (by its own accounting,
// which leaves out its allocator's overhead; each operator keeps its
// own); a DFA whose cache fills too fast hands the search to RE2's
// NFA, slower, which is what re2Room is measured against (docs/waf.md,
// "Memory").
const (
	re2MinBudget = 16 << 10
	re2MaxBudget = 128 << 20 // go-re2's default
)

// re2Room is the multiple of an expression's least budget it is given;
// a variable for the tests that measure it.
var re2Room = 32

// re2Release frees an expression's memory in RE2 (go-re2 frees it when
// the collector finalizes the expression otherwise).
//
//go:linkname re2Release github.com/wasilibs/go-re2/internal.Release
func re2Release(re *re2.Regexp)

// re2WASI is go-re2's WebAssembly system interface, whose first fields
// are where the module's standard output and error go (os.Stdout and
// os.Stderr).
//
//go:linkname re2WASI github.com/wasilibs/go-re2/internal.hostWASI
var re2WASI *struct{ stdout, stderr io.Writer }

// re2Fallbacks counts the searches RE2 handed from a DFA out of its
// budget to its NFA. RE2 logs each ("DFA out of memory: ..."), and each
// expression that does not compile in a budget the ladder tries ("Error
// compiling ... pattern too large"), to the module's standard error,
// which would be Caddy's: a line an attacker could have written per long
// value. re2Stderr drops what RE2 writes there (nothing else writes
// there: RE2's logging alone), counting the fallbacks.
var re2Fallbacks atomic.Int64

type re2Stderr struct{}

func (re2Stderr) Write(p []byte) (int, error) {
	re2Fallbacks.Add(int64(bytes.Count(p, []byte("DFA out of memory"))))
	return len(p), nil
}

// quietRE2 sets re2Stderr as go-re2's standard error, once, after a first
// compile (which sets up the module) and before any of ours.
var quietRE2 sync.Once

func quiet() {
	if probe, err := re2Compile("", re2x.CompileOptions{}); err == nil {
		re2Release(probe)
	}
	// only where go-re2 keeps what this expects (a go-re2 that moves
	// them keeps its standard error, and TestRE2MemoryBounded fails)
	if re2WASI != nil && re2WASI.stdout == io.Writer(os.Stdout) && re2WASI.stderr == io.Writer(os.Stderr) {
		re2WASI.stderr = re2Stderr{}
	}
}

// compiledRE2 is an expression compiled with its budget.
type compiledRE2 struct {
	re     *re2.Regexp
	budget int
}

// compileRE2 compiles expr with re2Room times the least budget it
// compiles in (each budget tried is compiled and released: about 0.3 s for
// the CRS, once per process through Coraza's memoizer).
func compileRE2(expr string, latin1 bool) (compiledRE2, error) {
	quietRE2.Do(quiet)
	opts := re2x.CompileOptions{Latin1: latin1}
	for least := re2MinBudget; ; least *= 2 {
		opts.MaxMem = least
		probe, err := re2Compile(expr, opts)
		if err == nil {
			re2Release(probe) // now, not when the collector gets to it
			break
		}
		if least >= re2MaxBudget || !strings.Contains(err.Error(), "expression too large") {
			return compiledRE2{}, err // not for want of a budget
		}
	}
	opts.MaxMem = min(opts.MaxMem*re2Room, re2MaxBudget)
	re, err := re2Compile(expr, opts)
	return compiledRE2{re, opts.MaxMem}, err
}

// corazaRX is Coraza's @rx, taken before this package replaces it.
var corazaRX = corazaOperators["rx"]

// byteEscape finds \x80 to \xff and \x{...} in an expression.
var byteEscape = regexp.MustCompile(`\\x(\{|[89a-fA-F])`)

func init() {
	if corazaRX == nil {
		panic("waf: Coraza's @rx operator is not registered")
	}
	plugins.RegisterOperator("rx", newRX)
}

// rx is Coraza's @rx with RE2 on long inputs.
type rx struct {
	coraza plugintypes.Operator
	re     *re2.Regexp // nil: Coraza's alone (an expression RE2 does not take)
	budget int         // the memory RE2 may hold for re (its MaxMem)
	binary bool        // Latin-1: matched against bytes, any input
}

// observeRX, when set (by a test), is told each expression compiled.
var observeRX func(o plugintypes.OperatorOptions)

func newRX(o plugintypes.OperatorOptions) (plugintypes.Operator, error) {
	if observeRX != nil {
		observeRX(o)
	}
	op, err := corazaRX(o)
	if err != nil {
		return nil, err
	}
	// Coraza compiles @rx with (?sm) (dot matches newline, ^ and $ at
	// lines) unless built with coraza.rule.no_regex_multiline, and an
	// expression with an escape of a byte that is not UTF-8 (\xff) without
	// them, matched against bytes (rsc.io/binaryregexp): RE2's Latin-1
	// mode, where \xff is that byte too
	binary := reflect.TypeOf(op).String() == "*operators.binaryRX"
	expr := "(?sm)" + o.Arguments
	if binary {
		expr = o.Arguments
	} else if byteEscape.MatchString(o.Arguments) {
		return &rx{coraza: op}, nil // not told apart: Coraza's alone
	}
	var re any
	if o.Memoizer != nil { // shared across WAF instances, as Coraza's own
		re, err = o.Memoizer.Do(fmt.Sprintf("gateway-re2:%v:%d:%s", binary, re2Room, expr), func() (any, error) { return compileRE2(expr, binary) })
	} else {
		re, err = compileRE2(expr, binary)
	}
	if err != nil {
		// Coraza took it, RE2 does not: Coraza's alone
		return &rx{coraza: op}, nil
	}
	c := re.(compiledRE2)
	return &rx{coraza: op, re: c.re, budget: c.budget, binary: binary}, nil
}

func (o *rx) Evaluate(tx plugintypes.TransactionState, value string) bool {
	if o.re == nil || len(value) < re2MinLen {
		return o.coraza.Evaluate(tx, value)
	}
	if !o.binary && !utf8.ValidString(value) {
		// Go's regexp reads each byte that is not UTF-8 as one U+FFFD;
		// RE2 would stop at it. Handing RE2 the text with each such byte
		// replaced by U+FFFD gives it the runes Go's regexp reads, so the
		// same match, at RE2's speed: on Go's regexp a 16 KB cookie
		// starting with \xff cost 100-165 ms (a fresh attack). Captures
		// hold U+FFFD where the input had the bad byte.
		value = asGoRegexpReads(value)
	}
	if !tx.Capturing() {
		return o.re.MatchString(value)
	}
	// as Coraza's: the match and up to 8 groups into TX.0-TX.8
	m := o.re.FindStringSubmatchIndex(value)
	if m == nil {
		return false
	}
	for i := 0; i < len(m)/2 && i < 9; i++ {
		if m[2*i] >= 0 {
			tx.CaptureField(i, value[m[2*i]:m[2*i+1]])
		} else {
			tx.CaptureField(i, "")
		}
	}
	return true
}

// asGoRegexpReads returns s with each byte that does not start a valid
// UTF-8 sequence replaced by U+FFFD: the runes Go's regexp reads in s
// (utf8.DecodeRuneInString's RuneError of width 1), as valid UTF-8.
func asGoRegexpReads(s string) string {
	b := make([]byte, 0, len(s)+len(s)/2)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}
