package waf

import "testing"

// otherLangAttacks60 are attack 60's Groovy, Lua, R, Elixir, Erlang and
// Ghostscript spellings that ran a command past rule 210146 (not run
// here: no interpreter for those languages; read from each grammar).
var otherLangAttacks60 = []string{
	// Groovy: slashy strings, a string method's result, a closure whose
	// delegate is the string
	"/id/.execute()", "$/id/$.execute()", "['i','d'].join('').execute()", "'di'.reverse().execute()", "'ID'.toLowerCase().execute()",
	`"id".tap{execute()}`, `"id".with{execute()}`,
	// Lua: a long string without brackets, code built by string.char
	`io.popen[[id]]:read"*a"`, `io.popen[==[id]==]:read'a'`,
	"load(string.char(111,115,46,101,120,101,99,117,116,101,40,39,105,100,39,41))()",
	// R: system handed to a function that calls it; processx and sys
	`lapply("id", system)`, `sapply("id",system)`, `vapply("id", system, 1L)`, `mapply(system, "id")`, `Map(system,"id")`,
	`Map(f=system, "id")`, `Filter(system,"id")`, `processx::run("id")`, `sys::exec_wait("id")`, "do.call(system, list(\"id\"))",
	"do.call(`system`, list(\"id\"))",
	// Elixir: quoted names, a pipe into the call, a capture, Mix's shell
	`:os."cmd"('id')`, `System."cmd"("id",[])`, `:"os".cmd('id')`, `'id' |> :os.cmd()`, `"id" |> System.shell()`,
	`(&:os.cmd/1).('id')`, `Mix.shell().cmd("id")`, `Mix.Shell.IO.cmd("id")`,
	// Erlang: a quoted name, apply, a fun, the module in a variable
	`os:'cmd'("id").`, `apply(os, cmd, ["id"]).`, `(fun os:cmd/1)("id").`, `M=os, M:cmd("id").`,
	// Ghostscript: %pipe% written with PostScript's escapes
	`(\045pipe\045id) (w) file`, `(%pipe\045id) (w) file`, "(%pi\\\npe%id) (w) file", `(\174id) (r) file`,
}

// otherLangAttacks60CRS are the same shapes that the CRS alone refuses
// too.
var otherLangAttacks60CRS = []string{"'ID'.trim().toLowerCase().execute()", `io.popen("id"):read("*a")`}

// otherLangBenign60 are attack 60's false positives of 210146 (R's
// do.call of a function) and near-misses of the new readings.
var otherLangBenign60 = []string{"do.call(rbind, lst)", "do.call(cbind, results)", `do.call(paste, c(parts, sep = ""))`, "do.call(f, args)",
	"Check (system, network) logs", "lapply(files, read.csv)", "json.load(f)", "load(file)", "the io.popen docs", "os:cmd/1 runs a command",
	"&System.cmd/3 is the function", "db.prepare('x').toString().execute()", "a/b/c.execute() is a path",
	"(see \\(note\\)) and (\\045 off)", "The 'ID'.toLowerCase() call", `"hello" |> String.upcase()`, "Map(f, xs)",
	"Use :os.cmd('uname') sparingly", // a probe is refused; not this: uname is a command of 210151's, so this IS refused (see below)
}

// TestOtherLangCommand60: rule 210146 refuses attack 60's spellings
// through a real Caddy, where the CRS alone passes them, and none of the
// near-misses.
func TestOtherLangCommand60(t *testing.T) {
	operatorTable(t, "210146", otherLangCommand, otherLangAttacks60, otherLangAttacks60CRS, otherLangBenign60[:len(otherLangBenign60)-1])
	if !otherLangCommand(otherLangBenign60[len(otherLangBenign60)-1]) {
		t.Errorf("210146 passes %q: a call that runs a probing command", otherLangBenign60[len(otherLangBenign60)-1])
	}
}

func FuzzOtherLangCommand60(f *testing.F) {
	fuzzNeeds(f, otherLangCommand, "([{%-'\"e", otherLangAttacks60, otherLangAttacks60CRS, otherLangBenign60)
}
