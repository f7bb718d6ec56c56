package waf

import "testing"

// psAttacks62 are attack 62's PowerShell spellings that run id or whoami
// (not run: no pwsh here; read from the language's grammar), which the
// CRS alone and rule 210144 passed: return, throw and exit before a
// pipeline (flow-control-statement: return pipeline_opt), a block
// comment <#...#> before a statement's command (a comment is white
// space to the tokenizer), and a statement after a trap's block (a
// trap-statement needs no terminator before the next statement).
var psAttacks62 = []string{
	"x;return whoami", "x;return (id)", "x;return @(id)", "x;return &('i'+'ex') 'id'",
	"x;throw (whoami)", "x;exit (id)",
	"x;<# c #>whoami", "x;<#c#>&('i'+'ex') 'id'", "x;<#c#>.{id}",
	"x;trap{}whoami",
	// their kin: the keywords in any case, with $( ), comments before
	// the keyword and between an opener and its command, a typed trap
	"x; throw whoami", "x;exit(whoami)", "x;<#a#><#b#>return (id)",
	"x;&<#c#>{id}", "x;.{<#c#>id}", "x;(<#c#>whoami)", "x|<#c#>%{id}",
}

// psAttacks62CRS are the same shapes that the CRS alone refuses too.
var psAttacks62CRS = []string{"x;RETURN $(id)", "x;<# c #>. {whoami}", "x;trap [Exception] {} id", "x;return <#c#>(id)"}

// psBenign62 are near-misses: prose with return, throw and exit, and
// block comments in scripts.
var psBenign62 = []string{
	"Please return (id) card", "exit (the building)",
	"x;return (the id card)", "x; exit (id) door is closed", "Note; return the form (id) by Friday",
	"<# comment #>", "<# .SYNOPSIS Gets the id #>", "x;<# the id field #> is optional",
	"throw (the ball) to me", "x;throw it away", "Use trap {} to catch errors; id is the key",
	"Press return; id then enter", "On exit: id", "x;trap{} is a statement",
}

// psCode62 are near-misses read by the operator only: scripts with
// comment blocks, return, throw, exit and trap.
var psCode62 = []string{
	"<#\n.SYNOPSIS\n  Gets the user id\n#>\nfunction Get-UserId { return $id }",
	"function f { return (Get-Date) }; f", "if (-not $ok) { throw (New-Object Exception 'bad') }",
	"exit ($LASTEXITCODE)", "trap { Write-Error $_; continue }; Get-Item x", "return @($a, $b)",
	"$x = 1 <# inline #> + 2", "x;<# c #>Get-Date", "x;return $id", "x;exit 1", "x;throw 'id'",
}

// TestPowerShell62: rule 210144 refuses attack 62's spellings in the
// query and JSON through a real Caddy, which the CRS alone passes; the
// near-misses pass.
func TestPowerShell62(t *testing.T) {
	nearMisses(t, "210144", powerShellCommand, psCode62)
	operatorTable(t, "210144", powerShellCommand, psAttacks62, psAttacks62CRS, psBenign62)
}

func FuzzPowerShell62(f *testing.F) {
	fuzzNeeds(f, powerShellCommand, "&.:$\\%{(;|\n[cipCIPrRgG", psAttacks62, psAttacks62CRS, psBenign62, psCode62)
}

// TestPowerShellReview: the session's review's findings in 210144: a
// use of a variable after its assignment is no assignment, and a lone
// '!' after cmd /c is no delayed expansion (cmd's and runas's options
// read no further than a name's length: BenchmarkLangCall's "cmd
// options").
func TestPowerShellReview(t *testing.T) {
	for _, v := range []string{"$cmd = \"git\"; echo $cmd; & $cmd status", "$cmd = \"git\"; $cmdx = 1; & $cmd status", "cmd /c echo done!"} {
		if powerShellCommand(v) {
			t.Errorf("210144 matches %q", v)
		}
	}
	for _, v := range []string{"x&cmd /v:on /c \"set a=id&!a!\"", "$c = 'i'+'d'; echo $c; & $c", "x&cmd /c echo !a!"} {
		if !powerShellCommand(v) {
			t.Errorf("210144 misses %q", v)
		}
	}
}
