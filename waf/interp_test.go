package waf

import (
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// perlCommandAttacks are attack 56's Perl spellings (each ran id on
// perl 5.36, as perl -e or an eval of the value) and their kin, which
// the CRS alone passes.
var perlCommandAttacks = []string{
	`print qx{id}`, `print qx/id/`, `print qx'id'`, `print qx(id)`, `print qx[id]`, `print qx<id>`, `print qx!id!`, `print qx|id|`,
	`print qx#id#`, `print qx"id"`, `print qx {id}`, `print(qx{id})`, `print for qx{id}`, `print readpipe 'id'`,
	`print readpipe("i"."d")`, `print readpipe q{id}`, `print scalar readpipe 'id'`, `print reverse scalar readpipe 'id'`,
	`print &{"CORE::readpipe"}('id')`, `print readpipe 'bash -c id'`, `system{"id"}"id"`, `exec{"id"}"id"`,
	`system{"sh"}"sh","-c","id"`, `eval "sys"."tem('id')"`, `@{[qx{id}]}`, `@{[readpipe 'id']}`, `".qx{id}."`,
	"print qx{id\n}", `system { "id" } "id"`,
	// a backtick string with escapes Perl decodes (found while attack 57
	// ran)
	"print `i\\x64`", "print `\\151d`", "print `i\\x{64}`", "print `\\x{77}hoami`", "print `\\N{U+69}d`", "print `i\\o{144}`",
	// Ruby and PHP decode them too
	"puts `i\\x64`", "puts `\\u{69 64}`", "echo `i\\x64`;", "echo `\\u{69}d`;",
	// attack 57's: system and exec before a quote-like operator, a joined
	// or built literal; eval of a string function's result; s///ee; a
	// bare readpipe argument; IPC::Cmd
	`system q(id)`, `system qq(id)`, `system qw(id)`, `exec qw(id)`, `system 'i'.'d'`, `system "i"."d"`, `system scalar reverse "di"`,
	`eval scalar reverse q{)'di'(metsys}`, `eval pack("H*","73797374656d282769642729")`, `eval lc "SYSTEM 'ID'"`,
	`eval join"",("sys","tem 'id'")`, `eval sprintf("%stem 'id'","sys")`, `$_="x";s/x/"sys"."tem q(id)"/ee`, `print readpipe+id`,
	`use IPC::Cmd q(run);run(command=>"id",verbose=>1)`, `$_="x";s{x}{"sys"."tem q(id)"}ee`,
	// attack 58's: s/// with more flags, a space before the delimiters;
	// readpipe through a code reference; eval reached otherwise;
	// backticks built by interpolation or case escapes (Ruby's and PHP's
	// too)
	`$_="x";s/x/"sys"."tem 'id'"/eee;`, `$_="x";s/x/"sys"."tem 'id'"/eeg;`, `$_="x";s/x/"sys"."tem 'id'"/ere;`,
	`$_="x";s{x}{"sys"."tem 'id'"}eee;`, `$_="x";s/x/'"sys"."tem q(id)"'/eee;`, `$_="x";s {x} {"sys"."tem 'id'"}ee;`,
	`print &{\&CORE::readpipe}("id");`, `print &{'CORE::readpip'.'e'}("id");`, `eval "sys"x1 ."tem 'id'";`, `eval "s\ys"."tem 'id'";`,
	`$_="s\x79stem 'id'";eval;`, `$_='sys'.'tem q(id)';eval;`, `map{eval}q(sys).q(tem 'id');`, `eval for "sys"."tem q(id)";`,
	`eval for q(sys).q(tem 'id');`, `eval$_ for"sys"."tem q(id)";`, `$x="sys"."tem q(id)";eval$x;`, `eval"\x{73}ystem 'id'";`,
	`@c=(q(sys),q(tem 'id'));eval"@c[0]@c[1]";`, "print `@{[\"i\".\"d\"]}`;", "print `@{[q(id)]}`;", "print `\\LID`;", "print `i\\Ed`;",
	"print `i@{[]}d`;", "puts `i#{}d`", "puts `i#{nil}d`", "puts `i#{\"\"}d`", "puts `i#{ }d`", "echo `i{$x}d`;", "echo `i$x[0]d`;",
}

// perlCommandAttacksCRS are the same shape that the CRS alone refuses
// too.
var perlCommandAttacksCRS = []string{`$x=qx{id};print $x`, `eval("ex"."ec 'id'")`, "puts `i\\u0064`"}

// perlCommandBenign are near-misses the CRS alone passes: words and
// names with qx, readpipe and eval in prose and data.
var perlCommandBenign = []string{"The Infiniti QX50 and qx60", "{qx: 5, qy: 6}", "use qx() sparingly", "model qx-5 series",
	"eval 'this' later", "namespace system { int x; }", "the system {is down}", "evaluation of the exec summary",
	"$qx{id} is a hash", "obj->qx(1)", "use `\\n` for a line break", "`C:\\Windows\\x86` is a folder",
	"https://x.example/s/foo/see", "I see (free) coffee", "The qx|...| operator", "Der Befehl qx{...} in Perl",
	// attack 58's false positives
	"Use readpipe + chomp to get output", "What does readpipe do?", "readpipe - execute a system command and collect standard output",
	"IPC::Run", "Install IPC::Run from CPAN for pipelines", "The IPC::Cmd module", "Don't use eval", "eval is evil", "Ruby's `#{name}` interpolation",
}

// powerShellAttacks are attack 56's PowerShell and cmd.exe spellings
// (not run: no pwsh here; read from the language's grammar) and their
// kin, which the CRS alone passes.
var powerShellAttacks = []string{
	`x;&('i'+'ex') 'whoami'`, `x;.('ie'+'x') 'whoami'`, `x;&('i'+'ex') 'id'`, `x;&('Invoke-'+'Expression') 'whoami'`,
	`x;&([scriptblock]::create('whoami'))`, `x;&([scriptblock]::create('who'+'ami'))`, `x;.([scriptblock]::Create('whoami'))`,
	`x;[ScriptBlock]::Create('whoami').Invoke()`, `x;[ScriptBlock]::Create('whoami').InvokeReturnAsIs()`,
	`x;$ExecutionContext.InvokeCommand.InvokeScript('whoami')`, `x;$ExecutionContext.InvokeCommand.NewScriptBlock('whoami').Invoke()`,
	`x;&(-join('w','h','o','a','m','i'))`, `x;&([string][char]119+'hoami')`, `x;& $env:ComSpec /c whoami`, `x;& $env:ComSpec /c ver`,
	`x;&("$env:ComSpec") /c dir`, `x;& "$env:windir\system32\cmd.exe" /c ver`, `x;[Diagnostics.Process]::Start('cmd','/c whoami')`,
	`x;[Diagnostics.Process]::Start('who'+'ami')`, `x & %windir%\system32\cmd /c ver`,
	// without a separator: for an application that hands the whole
	// value to PowerShell or cmd.exe
	`pwsh -EncodedCommand aQBkAA==`, `iex 'id'`, `icm {id}`, `$x='i'+'d';&$x`, `c^m^d /c whoami`, `c^md.exe /c who^ami`,
	`%COMSPEC% /c whoami`, `cmd /v:on /c "set x=who&&set y=ami&&!x!!y!"`,
	`x;[System.Management.Automation.ScriptBlock]::Create('id')`, `x & & ('i'+'ex') 'whoami'`, `x|. $s`,
	// found while attack 57 ran: InvokeCommand through SessionState, a
	// type named by a string, a call operator in a script block, cmd's
	// command from variables it set
	`x;$ExecutionContext.SessionState.InvokeCommand.InvokeScript("id")`, `x;([type]'ScriptBlock')::Create('id').Invoke()`,
	`x;{&('i'+'ex') 'id'}.Invoke()`, `x & set x=who&& call %x%ami`, `x & set x=who&& %x%ami`, `x & set "a=who" & set b=ami & !a!!b!`,
	`x&set a=id&call %a%`, `x;$s=[scriptblock];$s::Create('id').Invoke()`,
	"x;[Activator]::CreateInstance([type]::GetTypeFromProgID('WScript.Shell')).Run('id')", "x;([wmiclass]'win32_process').Create('id')",
	// attack 58's: a script block invoked, held or mapped, PowerShell's
	// escape in a command, COM by CLSID, and cmd.exe's substring of a
	// variable it set
	"x;{id}.Invoke()", "x;{id}.InvokeReturnAsIs()", "x;({id}).Invoke()", "x;{i`d}.Invoke()", "x;i`d", "x;$s={id};$s.Invoke()",
	"x;$b={id};$b.InvokeWithContext($null,$null)", "x;1|%{id}", "x;% {id}",
	"x;[Activator]::CreateInstance([type]::GetTypeFromCLSID('72C24DD5-D70A-438B-8A42-98424B88AFB8')).Run('id')",
	"x&set a=xid&call %a:~1%",
}

// powerShellBenign are near-misses: prose and code with & and ., the
// words of PowerShell's and cmd.exe's names.
var powerShellBenign = []string{"Tom & Jerry", "R&D; costs", "IEX 'tickers' list", "ICM {conference}",
	"a & &b", "see cmd.exe docs", "pwsh -NoProfile -File x.ps1", "cmd /? for help", "| .5 | 3 |", "a|./run.sh",
	"Q&A & 5 more", "[ScriptBlock] is a type", "Please set a=1; the value %a% shows",
	// attack 58's false positives
	"$ExecutionContext.InvokeCommand docs are here", "Use [ScriptBlock]::Create to build a block from a string", "[ScriptBlock]::Create",
	"ScriptBlock::Create vs [scriptblock]::Create", "Q1; & (ampersand) means and", "Notes; .(period) at the end", "Sum: 5; &(x) + 3",
	"{.5, .25}",
}

// powerShellCode are near-misses that the CRS alone refuses: read by
// the operator only.
var powerShellCode = []string{"set x=5 & echo %x% done", "if (a && (b || c)) {}", "C:\\Windows\\System32\\cmdkey", "$env:PATH += ';C:\\tools'"}

// javaProcessAttacks are attack 56's SpEL and OGNL spellings (not run:
// no Java here; read from SpEL's and OGNL's grammar) and their kin,
// which the CRS alone passes.
var javaProcessAttacks = []string{
	`new ProcessBuilder('id')?.start()`, `new ProcessBuilder({'id'})?.start()`, `{new ProcessBuilder('id')}[0].start()`,
	`T(ProcessBuilder).getConstructor(T(String[])).newInstance(new Object[]{new String[]{'id'}}).start()`,
	`T(ProcessBuilder).getDeclaredConstructor(T(String[])).newInstance(new Object[]{new String[]{'id'}})?.start()`,
	`#pb=new ProcessBuilder({'id'}),#pb.start()`, `(#pb=new ProcessBuilder({'id'})).(#pb.start())`,
	`%{#pb=new ProcessBuilder({'id'}),#pb.start()}`, `%{(#pb=new ProcessBuilder({'id'})).(#pb.start())}`,
	// attack 57's: SpEL's projection and selection, a method found by
	// reflection under a built name
	`{new ProcessBuilder('id')}.![start()]`, `{new ProcessBuilder('id')}.?[start()!=null]`,
	`#pb=new ProcessBuilder('id'),#m=#pb.getClass().getMethod('st'+'art'),#m.invoke(#pb)`,
	`new ProcessBuilder('id').getClass().getMethod('st'+'art').invoke(new ProcessBuilder('id'))`,
	`T(ProcessBuilder).startPipeline({new ProcessBuilder('id')})`,
}

// javaProcessAttacksCRS are the same shape that the CRS alone refuses
// too.
var javaProcessAttacksCRS = []string{`T(java.lang.ProcessBuilder).getMethod('start').invoke(new ProcessBuilder('id'))`}

// javaProcessBenign are near-misses: prose about ProcessBuilder, start
// elsewhere.
var javaProcessBenign = []string{"ProcessBuilder docs: call start() to launch", "How to start a ProcessBuilder?",
	"app.start() and ProcessBuilders", "restart the ProcessBuilder service", "[start] the ProcessBuilder; done",
	"ProcessBuilder.startPipeline(list) was added in Java 9"}

// javaProcessCode are near-misses that the CRS alone refuses: Java's
// statements, read by the operator only.
var javaProcessCode = []string{"ProcessBuilder pb = new ProcessBuilder(cmd); pb.start();",
	"var pb = new ProcessBuilder(\"ls\");\nProcess p = pb.start();"}

// TestPerlCommand, TestPowerShellCommand, TestJavaProcess: rules
// 210143-210145 refuse attack 56's spellings in the query and JSON
// through a real Caddy, which the CRS alone passes; the near-misses pass.
func TestPerlCommand(t *testing.T) {
	operatorTable(t, "210143", perlCommand, perlCommandAttacks, perlCommandAttacksCRS, perlCommandBenign)
}

func TestPowerShellCommand(t *testing.T) {
	nearMisses(t, "210144", powerShellCommand, powerShellCode)
	operatorTable(t, "210144", powerShellCommand, powerShellAttacks, nil, powerShellBenign)
}

func TestJavaProcess(t *testing.T) {
	nearMisses(t, "210145", javaProcess, javaProcessCode)
	operatorTable(t, "210145", javaProcess, javaProcessAttacks, javaProcessAttacksCRS, javaProcessBenign)
}

// TestPerlCommandOnBase64: base64 text (uploads, tokens) holds qx
// between its letters; rule 210143 reads none of 2,000 random 1 KiB
// blobs as Perl.
func TestPerlCommandOnBase64(t *testing.T) {
	r := rand.New(rand.NewPCG(56, 1))
	buf := make([]byte, 768)
	for range 2000 {
		for x := range buf {
			buf[x] = byte(r.Uint32())
		}
		v := base64.StdEncoding.EncodeToString(buf)
		if perlCommand(v) || powerShellCommand(v) || javaProcess(v) {
			t.Fatalf("matched base64 text %q", v)
		}
	}
}

func FuzzPerlCommand(f *testing.F) {
	fuzzNeeds(f, perlCommand, "qrse`", perlCommandAttacks, perlCommandAttacksCRS, perlCommandBenign)
}

func FuzzPowerShellCommand(f *testing.F) {
	fuzzNeeds(f, powerShellCommand, "&.:$\\%cipCIP", powerShellAttacks, powerShellBenign, powerShellCode)
}

func FuzzJavaProcess(f *testing.F) {
	fuzzNeeds(f, javaProcess, "P", javaProcessAttacks, javaProcessAttacksCRS, javaProcessBenign, javaProcessCode)
}

// TestInterpValueEnds: values that end where each operator reads on
// are read without reading past their end (an index past it panics,
// which fails the test: [start at a value's end did before it landed,
// and readpipe+ at one, found by FuzzPerlCommand, and "execute at a
// value's start, found by FuzzOtherLangCommand).
func TestInterpValueEnds(t *testing.T) {
	for _, v := range []string{"ProcessBuilder [start ", "ProcessBuilder [start", "readpipe+", "readpipe+ ", "\"execute", "[\"execute", "eval", ";eval", "x/ee", "`#{", "`$x[", "ProcessBuilder .start", "qx", "qx{", "readpipe", "IPC::",
		"system{", "system{'", "eval(", "eval '", "s/x/'/ee", "ee", "/ee", "`\\", "`\\x", "`\\N{U+", "`\\u{", "`\\o{", "&", ";&", ";.",
		"::", "]::", "$", "\\", "\\cmd", "\\cmd /", "set ", "set a=", "set a=1&%a", "%a%", "iex", "pwsh -e", "cmd /"} {
		for _, op := range []func(string) bool{perlCommand, powerShellCommand, javaProcess} {
			op(v)
		}
	}
}

// otherLangAttacks are attack 57's Groovy, Lua, Tcl, R, Elixir, Erlang,
// find and Ghostscript spellings (Tcl and find run here: tclsh and GNU
// find ran id; the others read from the language's grammar), which the
// CRS alone passes.
var otherLangAttacks = []string{
	`("i"+"d").execute()`, `'id'."execute"()`, `'id'.invokeMethod('execute',null)`, `def m='exe'+'cute';'id'."$m"()`,
	`os.execute("id")`, `os.execute'id'`, `os.execute[[id]]`, `os["execute"]("id")`, `os["exe".."cute"]("id")`, `local e=os.execute e"id"`,
	`exec id`, `puts [exec id]`, `set e exec;puts [$e id]`, `puts [[string reverse cexe] id]`, `puts [{*}"exec id"]`, `eval e[]xec id`,
	`system2("id")`, `do.call("system",list("id"))`, `pipe("id")`, `readLines(pipe("id"))`,
	`System.cmd("id",[])`, `System.shell("id")`, `:os.cmd('id')`, `Port.open({:spawn,"id"},[])`, `os:cmd("id").`, `open_port({spawn,"id"},[]).`,
	`. -exec id ;`, `. -exec id {} +`, `x -o -exec id \;`, `-ok id ;`, `(%pipe%id) (w) file`,
	// attack 58's: Tcl's exec named otherwise, held in a variable, open
	// of a pipe; Groovy's execute on a held or mapped literal; Lua's
	// execute reached otherwise, io.popen held, load; R's and Elixir's
	// calls reached otherwise (Tcl run here, the others from the grammar)
	`set f [open |id];puts [read $f]`, `puts [read [open |id]]`, `puts [read [open {|id}]]`, `set p |;puts [read [open $p\id]]`,
	`set e ex;append e ec;puts [$e id]`, `set e [string cat ex ec];puts [$e id]`, `set e [string reverse cexe];puts [$e id]`,
	`puts [ex\x65c id]`, `puts [\x65xec id]`, `puts ["exec" id]`, `puts [{exec} id]`, `puts [::exec id]`,
	`interp alias {} e {} exec;puts [e id]`, `rename exec e;puts [e id]`,
	`"id".with{it.execute().text}`, `def c="id";c.execute().text`, `def m="id".&execute;m().text`, `["i"+"d"]*.execute()`,
	`"id".invokeMethod("exe"+"cute",null)`, `org.codehaus.groovy.runtime.ProcessGroovyMethods.execute("id").text`,
	`local o=os;o.execute("id")`, `(os).execute("id")`, `_G.os.execute("id")`, `_G["os"]["execute"]("id")`, `load("os.ex".."ecute('id')")()`,
	`local p=io.popen;p("id")`, `io["po".."pen"]("id")`, `do.call(paste0("sys","tem"),list("id"))`, `f<-system;f("id")`,
	`apply(System, :cmd, ["id", []])`, `apply(:os, :cmd, ['id'])`, `:erlang.apply(:os, :cmd, ['id'])`, `Kernel.apply(System,:shell,["id"])`,
	`System.cmd "id", []`, `System.shell "id"`, `:os.cmd 'id'`,
	// attack 59's: exec after a command that runs its arguments, a
	// command's word built in part by a substitution (run on tclsh 8.6)
	"[uplevel #0 exec id]", "[uplevel exec id]", "[uplevel 1 exec id]", "[namespace inscope :: exec id]", "[tailcall exec id]",
	"[e[string range xxec 1 end] id]", "[e[format xec] id]", "[e[set x xec] id]", "[e[lindex xec] id]", "[ex[string tolower EC] id]",
}

// otherLangBenign are near-misses: the languages' words in prose and
// other code.
var otherLangBenign = []string{"find . -name x -exec rm {} \\;", "stmt.execute()", "readable.pipe(res)", "macOS tips", "The OS [1] paper",
	"Tcl's [list a b]", "see [[Main Page]] now", "set x 5", "open port 22", "the OS [see above] fix", "{*} marks",
	"System.out.println(x)", "pipe (noun): a tube", "exec summary", "plan: set up exec team", "db.prepare('x').execute(); tasks['build'].execute()",
	// attack 58's false positives: prose and everyday code that names
	// the languages' calls without a command a probe runs
	"cursor.execute(query); db.execute(sql, params)", "see [uplevel 1 exec summary] notes", "[a[1] and b]", "Agenda: [exec review] then lunch", "[exec summary] Q3 results attached", "Meeting notes [exec team] review; next week",
	"os.execute", "os.execute is disabled in the sandbox", "Use os.execute or io.popen in Lua", "lua os.execute returns true on success",
	"Die Funktion os.execute führt Befehle aus", "Lua's os.execute(\"clear\") clears the screen", "R's system2() function",
	"Erlang's os:cmd(\"git status\") returns a string", "{output, 0} = System.cmd(\"git\", [\"status\"])",
	"The %pipe% device in Ghostscript", "gs -sDEVICE=pdfwrite -sOutputFile=%pipe%lpr in.ps",
}

// otherLangCode are near-misses that other rules refuse (210153,
// 210116): read by the operator only.
var otherLangCode = []string{"set e exec; we set the exec flag on the job", "'git status'.execute() in Groovy"}

// TestOtherLangCommand: rule 210146 refuses otherLangAttacks in the query
// and JSON through a real Caddy, which the CRS alone passes.
func TestOtherLangCommand(t *testing.T) {
	nearMisses(t, "210146", otherLangCommand, otherLangCode)
	operatorTable(t, "210146", otherLangCommand, otherLangAttacks, nil, otherLangBenign)
}

func FuzzOtherLangCommand(f *testing.F) {
	fuzzNeeds(f, otherLangCommand, "e[{(-%ms", otherLangAttacks, otherLangBenign, otherLangCode)
}

// TestIndexFold: indexFold finds a word in any case, the first of
// several, at a value's end, and nothing where it is cut short.
func TestIndexFold(t *testing.T) {
	for _, c := range []struct {
		v, w string
		want int
	}{{"x SET a", "set ", 2}, {"sss SeT set ", "set ", 4}, {"abcset", "set", 3}, {"se", "set", -1}, {"SSSSSSE", "set", -1},
		{"", "set", -1}, {"1win32_Process", "win32_process", 1}, {"sEt", "set", 0}} {
		if got := indexFold(c.v, c.w); got != c.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", c.v, c.w, got, c.want)
		}
	}
}
