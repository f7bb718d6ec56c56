package waf

import (
	"strings"
	"testing"
)

// review90EnvDump are the review's environment dumps that passed 210223
// (each printed the secret environment on bash): a redirection after
// typeset, a variable bash expands to nothing, --, an assignment before
// it; and their spellings.
var review90EnvDump = []string{"127.0.0.1; typeset 2>&1", "127.0.0.1; typeset $u", "127.0.0.1; typeset --", "127.0.0.1; a=1 typeset",
	"x;typeset -p -x", "x; typeset -- $u", "x; a=\"1 2\" b=3 typeset -p"}

// review90EnvDumpCRS are those the CRS alone refuses in an argument
// (runners, a pipe, a redirection from a path), sent in the User-Agent
// too.
var review90EnvDumpCRS = []string{"127.0.0.1; builtin typeset -p", "127.0.0.1; command declare", "127.0.0.1; typeset|grep SECRET",
	"127.0.0.1; typeset </dev/null", "x; typeset -x 2>/dev/null", "x; typeset ${u}$v", "x; declare -F"}

// review90EnvDumpBenign are near misses: declarations (an option that
// prints no environment, then a name), bash how-tos, prose after
// typeset, a Markdown table's cells and the review's false positive.
var review90EnvDumpBenign = []string{"In ksh you write x=1; typeset -i x to make it an integer", "declare -A seen", "typeset -i n=0",
	"x; typeset -i n=0", "Output: 2>&1 is stderr", "a=1 b=2; typeset it", "x; typeset -- the old way", "x; typeset $5 fonts",
	"x; typeset -i",
	"| typeset -i | integer |", "Command | Meaning\ntypeset | prints variables", "x; a=1 typeset it", "x; typeset -x PATH",
	"## Bash\n\n- `declare -A seen` makes a map; `typeset -i n` an integer"}

// review90ProseCRS are declarations the CRS alone refuses in an argument
// (declare and an option after a ';'), read by 210223 alone and sent in
// the User-Agent.
var review90ProseCRS = []string{"x; declare -r CONST=1", "x; declare -A seen", "x; declare -a arr", "x; declare -a"}

// review90Truncate are the review's truncations that passed 210224
// (each emptied the file on bash): the option quoted or escaped, a
// multi-digit or a named descriptor, a quoted name, a path before
// truncate; and their spellings.
var review90Truncate = []string{"127.0.0.1; truncate \\-s0 /var/lib/app/db.sqlite", "127.0.0.1; truncate -''s0 /var/lib/app/db.sqlite",
	"127.0.0.1; truncate $'-s0' /var/lib/app/db.sqlite", "127.0.0.1;10>db.sqlite", "127.0.0.1; >db''.sqlite",
	"127.0.0.1; >\"db\".sqlite", "127.0.0.1; /usr/bin/truncate -s0 db.sqlite", "127.0.0.1; {fd}>db.sqlite", "x; >db\\.sqlite",
	"x; a=1 truncate -s 0 a.db", "x; truncate \"--size\"=0 a.db", "x; ./truncate -s0 a.db"}

// review90TruncateBenign are near misses: comparisons after a
// separator, a quoted word or a brace before no file, an unclosed
// quote, a name with a blank.
var review90TruncateBenign = []string{"x; 10 > 5 items", "see; >\"quoted\" text", "v2;10>v1.2", "Tip; {note}> see below",
	"a; > 'b' is c", "Output; 2>&1 is stderr", "x; >\"my notes.txt\"", "x; >'unclosed.txt", "x; {a b}>c.txt"}

// TestReview90Shell: rules 210223 and 210224 refuse what the review of
// attack 90's rules ran on bash and passed, in the query, JSON and the
// User-Agent, where the CRS alone lets it through, and no near miss (a
// declaration, typeset -i x, among them).
func TestReview90Shell(t *testing.T) {
	// every reading stays in its windows: what follows a long run of
	// assignments, words or digits is not read, and a long value costs a
	// read of each separator's windows
	for _, v := range []string{"x; " + strings.Repeat("a=1 ", 40) + "typeset", "x; typeset " + strings.Repeat("-i ", 50) + "-x",
		"x;" + strings.Repeat("1", 200) + ">db.sqlite", "x; truncate " + strings.Repeat("a ", 80) + "-s0 f",
		strings.Repeat("x; typeset -i ", 5000), strings.Repeat("x;{", 5000), strings.Repeat("x; a=", 5000), strings.Repeat(";>'", 5000),
		strings.Repeat("x; /usr/bin/", 5000), strings.Repeat("; typeset $", 5000), strings.Repeat("x;9", 5000)} {
		if shellEnvDump(v) || shellTruncate(v) {
			t.Errorf("210223 or 210224 reads past its window in %.40q", v)
		}
	}
	operatorTable(t, "210223", shellEnvDump, review90EnvDump, review90EnvDumpCRS, review90EnvDumpBenign)
	operatorTable(t, "210224", shellTruncate, review90Truncate, nil, review90TruncateBenign)
	for _, v := range review90ProseCRS {
		if shellEnvDump(v) {
			t.Errorf("210223 matches the benign %q", v)
		}
	}
	h := headerProbe
	var misses, passes []probe
	for _, v := range concat(review90EnvDumpCRS, []string{"127.0.0.1; typeset 2>&1", "127.0.0.1; a=1 typeset"}) {
		misses = append(misses, h("User-Agent "+v, "User-Agent", v))
	}
	for _, v := range []string{"127.0.0.1; truncate \\-s0 /var/lib/app/db.sqlite", "127.0.0.1;10>db.sqlite", "127.0.0.1; >\"db\".sqlite",
		"127.0.0.1; {fd}>db.sqlite"} {
		misses = append(misses, h("User-Agent "+v, "User-Agent", v))
	}
	for _, v := range concat(review90ProseCRS, []string{"In ksh you write x=1; typeset -i x to make it an integer", "x; typeset -i n=0",
		"a=1 b=2; typeset it", "x; 10 > 5 items"}) {
		passes = append(passes, h("User-Agent "+v, "User-Agent", v))
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// FuzzReview90Shell: any value is read by 210223 and 210224 without a
// panic.
func FuzzReview90Shell(f *testing.F) {
	for _, v := range concat(review90EnvDump, review90EnvDumpCRS, review90EnvDumpBenign, review90Truncate, review90TruncateBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		shellEnvDump(v)
		shellTruncate(v)
	})
}
