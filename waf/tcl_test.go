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
	// their kin (run on tclsh 8.6.13): redirections before the command,
	// wrappers spelled otherwise, variables set otherwise or the
	// environment's, lists expanded, a path
	"[exec << x id]", "[exec >@stdout id]", "[exec nohup id]", "[exec -- env -i id]",
	"[exec env LC_ALL=C id]", "[exec\tenv\tid]", "[lassign {id} x][exec $x]", "[foreach x id {}][exec $x]",
	"[exec $::env(SHELL) -c id]", "[exec {*}i\\x64]",
	// an expansion after another: only a value's first {*} was read
	"{*} and [{*}\"exec id\"]",
	// exec after a command that runs its arguments, or in a script word
	"[uplevel #0 exec {id}]", "[namespace inscope :: exec -- id]", "[exec \\151d]", "[exec \"\\x69\\x64\"]", "exec -ignorestderr -- {id}",
}

// tclAttacksCRS are the same that the CRS alone refuses too (\u and
// \U escapes, paths, ${x}, $env).
var tclAttacksCRS = []string{"[exec i\\u0064]", "[exe\\U00000063 id]", "[e\\U00000078ec id]", "[exec </dev/null id]", "[exec /usr/bin/env id]",
	"[set x id][exec ${x}]", "[exec $env(SHELL) -c id]", "[exec /usr/bin/id]",
	"{*} marks [set c {exec id}][{*}$c]", "[uplevel #0 {exec id}]", "[eval exec i\\x64]", "[eval {exec id}]", "[catch {exec id}]",
	"[if 1 {exec id}]"}

// tclBenign are near-misses: prose and posts about Tcl's exec.
var tclBenign = []string{
	// attack 60's false positive: an idiom's tip, $cmd the application's
	"Tcl tip: [exec {*}$cmd] expands the list",
	// prose, posts and manual text about exec, its options and {*}: an
	// application's variables, words no probe runs
	"In Tcl, [exec] runs a program", "exec -- marks the end of options", "the exec -ignorestderr flag",
	"Call [exec $program] with care", "set result [exec $cmd $arg]", "exec summary: Q3", "exec team {review}", "[exec {summary}] notes",
	"[exec \"review\"] ok", "[exec -- review]", "exec\tdirector\tboard", "Synopsis: [exec ?-ignorestderr? ?--? arg ?arg ...?]",
	"[exec -keepnewline $prog] keeps the newline", "Tcl: exec ?switches? arg ?arg ...?",
	"[exec $prog {*}$args] in the wiki", "Tcl 8.5 added {*}, e.g. [list {*}$a {*}$b]", "{*}$args expands", "[exec review] and [exec summary] {*}$x",
	"[exec env] dumps the environment? no", "exec {summary}", "Agenda [exec nohup] items", "[exec -- -- --]", "Dear team, [exec {Q3 plan}] attached",
	"exec env vars are set in the job", "[exec \"$cmd\"] quoting", "[exec /opt/reports/summary] output", "exec\tsummary\t2024",
}

// tclCode are near-misses the CRS alone refuses ($argv is PHP's, {exec
// in a brace): read by the operator only.
var tclCode = []string{"Tcl's exec {*}$argv idiom", "Use [exec {*}$argv] to run argv", "[catch {exec summary}]", "[note {exec review}]"}

// TestTclExec: rule 210146 refuses tclAttacks in the query and JSON
// through a real Caddy, which the CRS alone passes; tclBenign passes.
func TestTclExec(t *testing.T) {
	nearMisses(t, "210146", otherLangCommand, tclCode)
	operatorTable(t, "210146", otherLangCommand, tclAttacks, tclAttacksCRS, tclBenign)
}

func FuzzTclExec(f *testing.F) {
	fuzzNeeds(f, otherLangCommand, "e[{(-%ms", tclAttacks, tclAttacksCRS, tclBenign, tclCode)
}

// TestTclExecEnds: a value that ends inside exec's words (a brace, a
// quote, an escape, a variable never closed) is read without reading
// past its end.
func TestTclExecEnds(t *testing.T) {
	for _, v := range []string{"[exec", "[exec ", "[exec {", "[exec {i", "[exec \"", "[exec \"i\\", "[exec \\", "[exec $", "[exec ${", "[exec ${x",
		"[exec \\x", "[exec \\U", "[exec \\1", "exec", "exec \\", "exec {", "[{*}", "{*}", "{*}$", "[exec -- ", "[exec env", "[exec env -i",
		"[exec <", "[exec 2>", "[exe\\", "[e[", "[e[a b]", "[exec {a\\\n", "[exec \\\n",
		"exec $::", "[exec $::]", "[exec ${}]", "{*}$::"} {
		otherLangCommand(v)
	}
}
