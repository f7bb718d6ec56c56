package waf

import (
	"strings"
	"testing"
)

// tclAttacks61 are attack 61's Tcl spellings (each ran id on tclsh
// 8.6.13), which rule 210146 passed: open's argument escaped or built
// into a pipe, a backslash-newline between exec's words, wrappers it did
// not know (setpriv, prlimit, unshare) and git's -c alias.x=!cmd, a
// namespace-qualified variable the value sets (read by subst of the
// value); exec named otherwise, through a variable, a rename or a proc
// at a script's command position (read by eval of the value).
var tclAttacks61 = []string{
	// open of a pipe
	"[read [open \\174id]]", "[read [open \\x7cid]]", "[read [open [string cat | id]]]", "[open [format %cid 124]]",
	"[read [open \"\\174id\"]]", "[read [open [format %c 124]id]]",
	// backslash-newline between words
	"[exec\\\nid]", "[exec\\\n\tid]", "[exec --\\\nid]",
	// wrappers
	"[exec setpriv id]", "[exec prlimit id]", "[exec unshare id]", "[exec git -c alias.x=!id x]",
	"[exec chroot / id]", "[exec runcon -t unconfined_t id]", "[exec taskset 1 id]",
	// a variable with a namespace
	"[set ::x id][exec $::x]",
	// a script's command position (eval)
	"set e exec;$e id", "rename exec e;e id", "{*}exec id", "\"exec\" id", "{exec} id", "e\\x78ec id",
	"proc p {} {uplevel exec id};p", "uplevel exec id", "puts a;exec\\\nid", "puts a\n{exec} id", "set ::e exec;$::e id",
	"[set ::e exec][$::e id]", "set e {exec};$e id", "rename ::exec e\ne id", "open \\174id",
}

// tclAttacks61CRS are the same the CRS alone refuses too.
var tclAttacks61CRS = []string{"[read [open \\u007cid]]", "[exec flock /tmp/x id]", "[set ::x id][exec ${::x}]", "proc p {} {exec id}\np"}

// tclBenign61 are near-misses: prose and code whose open and exec run no
// probe.
var tclBenign61 = []string{
	"[open [file join $dir x.txt]]", "set f [open [file join $dir data.csv] r]", "[open \"report.txt\" w]",
	"I set e to exec; see docs", "set e exec; $e summary", "rename exec to run; see the FAQ",
	"proc report {} {puts hi}; report", "uplevel exec summary", "{exec} summary", "\"exec\" is a Tcl command",
	"exec\\\nsummary", "[exec git status] in a tip", "[exec sudo] is a no",
	"set ::x 1; puts $::x", "[exec setpriv]",
	"In Tcl, e\\x78ec is exec escaped", "set e exec; $e {Q3 plan}", "rename exec e; e summary",
	"The exec\\\nteam", "[set ::e 1][$::e]",
}

// tclCode61 are near-misses the CRS alone refuses (a command after ';'
// or a line break, $path before r): read by the operator only.
var tclCode61 = []string{"[open $path r]", "exec summary; exec {Q3 plan}", "a; b; c; exec team notes", "exec review\nexec {Q3 plan}", "Please exec the plan; exec notes follow",
	"proc p {} {exec summary};p"}

// TestTclExec61: rule 210146 refuses tclAttacks61 in the query and JSON
// through a real Caddy, which the CRS alone passes; tclBenign61 passes.
func TestTclExec61(t *testing.T) {
	nearMisses(t, "210146", otherLangCommand, tclCode61)
	operatorTable(t, "210146", otherLangCommand, tclAttacks61, tclAttacks61CRS, tclBenign61)
}

func FuzzTclExec61(f *testing.F) {
	fuzzNeeds(f, otherLangCommand, "e[{(-%ms\\|o", tclAttacks61, tclAttacks61CRS, tclBenign61, tclCode61)
}

// BenchmarkTclExec61: rule 210146's operator alone on 16 KiB of each of
// attack 61's shapes (langCallUnits has them for all the operators), and
// of [exec a] for a measure: one command read per 8 bytes.
func BenchmarkTclExec61(b *testing.B) {
	units := []struct{ name, unit string }{{"brackets", "[exec a]"}, {"commands", "exec a;"}}
	for _, c := range langCallUnits {
		if strings.HasPrefix(c.name, "tcl61") {
			units = append(units, struct{ name, unit string }{c.name, c.unit})
		}
	}
	for _, c := range units {
		v := strings.Repeat(c.unit, 16<<10/len(c.unit))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				otherLangCommand(v)
			}
		})
	}
}
