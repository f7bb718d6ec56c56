package waf

import (
	"strings"
	"testing"
)

// psAttacks60 are attack 60's PowerShell and cmd.exe spellings that run
// id (not run: no pwsh here; read from the languages' grammar), which
// the CRS alone and rule 210144 passed: a statement that opens with
// grouping or invocation tokens before its command, member names quoted
// or joined, runspace pipelines and Process objects; cmd.exe's
// substitutions of a variable it set, start, %COMSPEC% with a modifier,
// runas.
var psAttacks60 = []string{
	"x;&{id}", "x;.{id}", "x;$null=&{id}", "x;&{i`d}", "x;1|?{id}", "x;1|where{id}",
	"x;1|select @{n='a';e={id}}", "x;try{id}catch{}", "x;try{id}finally{}", "x;switch(1){1{id}}",
	"x;[void](id)", "x;$a=(id)", "x;,(id)", "x;-join(id)",
	"x;$ExecutionContext.('Invoke'+'Command').InvokeScript('id')",
	"x;[ScriptBlock]::\"Create\"('id').Invoke()", "x;[ScriptBlock]::('Cre'+'ate')('id').Invoke()",
	"x;$host.Runspace.CreateNestedPipeline('id',$false).Invoke()",
	"x;[Management.Automation.Runspaces.Runspace]::DefaultRunspace.CreateNestedPipeline('id',0).Invoke()",
	"x;[Diagnostics.Process]::new()|%{$_.StartInfo.FileName='id';$_.Start()}",
	"x;[Diagnostics.Process]::new()|%{$_.StartInfo.FileName='i'+'d';$_.Start()}",
	// cmd.exe
	"x&set a=iXd&call %a:X=%", "x&set a=id&call %a: =%", "x&set a=xid&call %a:*x=%",
	"x&set a=id&start %a%", "x&set a=id&start /b %a%", "x&%COMSPEC:~0% /c id",
	"x&%COMSPEC:~0,99% /c id", "x&%COMSPEC:cmd=cmd% /c id", "x&runas /trustlevel:0x20000 id",
	// their kin: the same openers before another probe
	"x;$r = & {id}", "x;[string](whoami)", "x;.{i`d}", "x;$ExecutionContext.('InvokeCom'+'mand').('Invoke'+'Script')('id')",
	"x;$s=$host.Runspace.CreatePipeline('whoami');$s.Invoke()", "&{id}", "[void](id)", "runas /trustlevel:0x20000 whoami", "x&set a=whoXami&call %a:X=%",
}

// psAttacks60CRS are the same shapes that the CRS alone refuses too.
var psAttacks60CRS = []string{"x\n&{whoami}", "x|&{whoami}", "x;if(1){id}", "x;foreach($i in 1){id}", "x;1|ForEach-Object{id}", "x;1|Where-Object{whoami}",
	"x&set a=whoami&call %a:*w=w%"}

// psBenign60 are near-misses: attack 60's false positives of 210144 (a
// variable's expansion that is part of a script's name, commands that
// are no probe) and prose and code that name PowerShell's openers and
// cmd.exe's words.
var psBenign60 = []string{
	"set cmd=build&call %cmd%.bat", "set out=dist&& call %out%\\deploy.bat", "set env=prod & call deploy_%env%.cmd",
	"set name=report&call %name%.cmd", "$cmd = \"git\"; & $cmd status", "%COMSPEC% /c build.cmd", "cmd /c dir",
	"Fields: name; {id} is the key", "Sort with 1|sort{$_.Name}",
	"p.StartInfo.FileName = \"notepad.exe\"; p.Start();", "CreateNestedPipeline docs: use Invoke() to run it", "runas /user:admin notepad",
	"echo %date:~0,4%", "set v=1.2&call build_%v%.cmd", "x;switch($a){1{'one'}}", "{id}", "(id)", "/users/{id}", ",id", "!id", "-join id", "$host.Runspace is the current runspace",
}

// psCode60 are near-misses read by the operator only: the CRS alone or
// another rule (210151's ;(id)) refuses some, the others are PowerShell
// and cmd.exe as posts show it.
var psCode60 = []string{"Use & {} to run a block; & { Get-Date }", "Run: cmd /c echo hello", "x; cmd /c npm install",
	"see docs; try{ Get-Item x }catch{}", "set path=C:\\bin&call %path%\\setup.bat", "$p = 'notepad'; & $p", "Hi; {ps} means PostScript",
	"runas /user:admin \"mmc compmgmt.msc\"", "a | ?{ $_.Name -eq 'x' }", "1|%{ $_ * 2 }",
	"Notes; (id) is optional", "[void] discards; (id) stays", "Use try{...}catch{} in PowerShell", "In PowerShell & { ... } runs a block", "$a = (Get-Date); $b = [int]$x",
	"select @{n='Name';e={$_.Name}} for a column"}

// TestPowerShell60: rule 210144 refuses attack 60's spellings in the
// query and JSON through a real Caddy, which the CRS alone passes; its
// false positives and the near-misses pass.
func TestPowerShell60(t *testing.T) {
	nearMisses(t, "210144", powerShellCommand, psCode60)
	operatorTable(t, "210144", powerShellCommand, psAttacks60, psAttacks60CRS, psBenign60)
}

func FuzzPowerShell60(f *testing.F) {
	fuzzNeeds(f, powerShellCommand, "&.:$\\%{(;|\n[cipCIPrR", psAttacks60, psAttacks60CRS, psBenign60, psCode60)
}

// BenchmarkPowerShell60: rule 210144's operator alone on 16 KiB of
// each of attack 60's shapes (BenchmarkLangCall runs every language
// operator on them).
func BenchmarkPowerShell60(b *testing.B) {
	for _, c := range langCallUnits {
		if !strings.HasPrefix(c.name, "powershell") && !strings.HasPrefix(c.name, "cmd") {
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
