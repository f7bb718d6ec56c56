package waf

import "testing"

// tclAttacks are attack 60's Tcl spellings (each ran id on tclsh 8.6,
// read by subst of the value, or eval for those at its start), which
// rule 210146 passed before it read exec's command word as Tcl reads a
// word: an argument built by a command substitution or a variable the
// value sets, quoted, braced, escaped or expanded, after exec's options
// or a wrapper (env), after a tab; exec's name itself escaped.
var tclAttacks = []string{
	// built
	"[exec [join {i d} \"\"]]", "[exec [string reverse di]]", "[exec [format %s%s i d]]",
	"[exec [string cat i d]]", "[exec [lindex {id} 0]]", "[exec [string tolower ID]]",
	"[exec [set x id]]", "[set x id][exec $x]", "[exec -ignorestderr -- [string reverse di]]",
	// quoted or escaped
	"[exec {id}]", "[exec \\x69d]", "[exec i\\x64]", "[exec \"i\\x64\"]", "[exec {*}id]",
	// options and wrappers
	"[exec -- id]", "[exec -ignorestderr id]", "[exec -ignorestderr -- id]", "[exec -keepnewline id]", "[exec env id]",
	// a tab
	"[exec\tid]", "[exec\t-- {id}]",
	// at the value's start
	"exec -- id", "exec {id}", "exec i\\x64", "exec\tid",
}

// tclAttacksCRS are the same that the CRS alone refuses too (\u and
// \U escapes).
var tclAttacksCRS = []string{"[exec i\\u0064]", "[exe\\U00000063 id]", "[e\\U00000078ec id]"}

// tclBenign are near-misses: prose and posts about Tcl's exec.
var tclBenign = []string{
	// attack 60's false positive: an idiom's tip, $cmd the application's
	"Tcl tip: [exec {*}$cmd] expands the list",
}

// TestTclExec: rule 210146 refuses tclAttacks in the query and JSON
// through a real Caddy, which the CRS alone passes; tclBenign passes.
func TestTclExec(t *testing.T) {
	operatorTable(t, "210146", otherLangCommand, tclAttacks, tclAttacksCRS, tclBenign)
}

func FuzzTclExec(f *testing.F) {
	fuzzNeeds(f, otherLangCommand, "e[{(-%ms", tclAttacks, tclAttacksCRS, tclBenign)
}
