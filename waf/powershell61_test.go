package waf

import (
	"strings"
	"testing"
)

// psAttacks61 are attack 61's PowerShell spellings that run id (not
// run: no pwsh here; read from the language's grammar), which the CRS
// alone and rule 210144 passed: a grouping inside a statement's
// expression (after an operator or a cast) runs its pipeline, a filter
// defined and then called, and ::Start or ::Create taken as a method
// group (a PSMethod) and invoked.
var psAttacks61 = []string{
	"x;1+(id)", "x;$y=1+(id)", "x;'a'*(id)", "x;[string](id)+1", "x;$y=@(id)",
	"x;filter z{id};'a'|z", "x;filter z{id};z",
	"x;[Diagnostics.Process]::Start.Invoke('id')", "x;[Diagnostics.Process]::Start.Invoke('i'+'d')",
	"x;$m=[Diagnostics.Process]::Start;$m.Invoke('id')", "x;[ScriptBlock]::Create.Invoke('id').Invoke()",
	"x;([ScriptBlock]).GetMethod('Create').Invoke($null,@('id')).Invoke()",
	// their kin: other operators, $( ), a function, the method group
	// assigned or fetched with options
	"x;2 - (whoami)", "x;$a=1,(id)", "x;$x+=(id)", "x;\"a\"+(whoami)", "x;$y = 3 % (id)",
	"x;[int](whoami)-1", "x;$y=2*@(whoami)",
	"x;$m = [ScriptBlock]::Create; $m.Invoke('id').Invoke()", "x;[System.Diagnostics.Process]::Start.Invoke('whoami')",
	"x;[scriptblock]::create.invoke('id').invoke()", "x;([Diagnostics.Process]).GetMethod('Start',[type[]]@([string])).Invoke($null,@('id'))",
	"x;[ScriptBlock].GetMethod(\"Create\").Invoke($null,'id').Invoke()",
}

// psAttacks61CRS are the same shapes that the CRS alone refuses too.
var psAttacks61CRS = []string{"x;$y=$(id)", "x;filter z { whoami }; 1 | z", "x;function z{id};1|z"}

// psBenign61 are near-misses: arithmetic with groupings, groupings
// that hold no probe, filters and functions that are no probe or are
// never called, and prose naming ::Start, ::Create and GetMethod.
var psBenign61 = []string{
	"x;1+(2*3)", "$total = 1 + ($a * 2)", "[string]($x)+1", "Use filter blocks: filter double { $_ * 2 }",
	"filter double { $_ * 2 }; 1..3 | double", "$a = 1, (2+3)",
	"total: 2*(id) rows", "price = 10 + (tax)", "x = 1 + (id)",
	"[ScriptBlock]::Create is the method; call it with a string", "The [Diagnostics.Process]::Start method starts a process",
	"$m = [Math]::Max; $m.Invoke(1,2)", "[Diagnostics.Process]::Start.OverloadDefinitions lists them",
	"typeof(Foo).GetMethod('Create').Invoke(null, args)", "function id { 42 }", "filter id{$_}",
	"a filter z{id} is never called", "x; [id](id) - the id field", "See; [ps](ps), [ls](ls) and more",
}

// psCode61 are near-misses read by the operator only: scripts and posts
// that use groupings, filters and method groups.
var psCode61 = []string{
	"$y=(Get-Date)", "$y = @(Get-ChildItem)", "$n = $(Get-Date).Year", "Columns; (id), name, email", "function prompt { 'PS> ' }; prompt",
	"$sum = $a + ($b * $c); $avg = $sum / (2)", "$list = @($a, $b) + @(1)", "Write-Host (\"a\" + $b)",
	"filter Get-Odd { if ($_ % 2) { $_ } }; 1..9 | Get-Odd", "[math]::Round.Invoke(2.5)",
	"See [ScriptBlock]::Create; then .Invoke() the block", "Notes; 1 + (id) is the next id",
}

// TestPowerShell61: rule 210144 refuses attack 61's spellings in the
// query and JSON through a real Caddy, which the CRS alone passes; the
// near-misses pass.
func TestPowerShell61(t *testing.T) {
	nearMisses(t, "210144", powerShellCommand, psCode61)
	operatorTable(t, "210144", powerShellCommand, psAttacks61, psAttacks61CRS, psBenign61)
}

func FuzzPowerShell61(f *testing.F) {
	fuzzNeeds(f, powerShellCommand, "&.:$\\%{(;|\n[cipCIPrRgG", psAttacks61, psAttacks61CRS, psBenign61, psCode61)
}

// BenchmarkPowerShell61: rule 210144's operator alone on 16 KiB of each
// of attack 61's shapes (BenchmarkLangCall runs every operator on them).
func BenchmarkPowerShell61(b *testing.B) {
	for _, c := range langCallUnits {
		if !strings.HasPrefix(c.name, "powershell") {
			continue
		}
		v := strings.Repeat(c.unit, 16<<10/len(c.unit))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				powerShellCommand(v)
			}
		})
	}
}
