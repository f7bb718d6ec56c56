package waf

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// codeCallRules is rule 210118: Ruby and Python code that runs a command
// in the spellings rule 210116's expression does not read, found by the
// sixteenth and seventeenth fresh-eyes attacks (attacks 20 and 21) and
// left open then (210116's expression could not grow: RE2's memory
// bound is spent, "The bound"). It is a Go operator (codeCall): each
// family is looked for by a fixed word, and only where the word stands is
// the text read further, forward over white space and a few words, so a
// value costs a bounded number of reads of each byte (BenchmarkCodeCall:
// 12 MB/s for "Kernel.then{ puts " over and over, whose blocks' windows
// overlap, and 15 MB/s for ";system x", the dearest; 37-50 MB/s for
// "method(:" and ".send(:") and allocates nothing:
//   - Ruby's send of a command method by any receiver
//     (Object.send(:system, "id"), x.public_send("exec", "id"),
//     obj.__send__(:spawn, ...)), not just Kernel's;
//   - Ruby's command methods as objects and procs (method(:system),
//     public_method, singleton_method, instance_method, :system.to_proc,
//     "system".to_sym.to_proc: attacks 23's and 24's
//     :system.to_proc.call(Kernel, "id"), Kernel.public_method(:system));
//   - Kernel's command methods with a character literal or a splat as the
//     argument (Kernel.system ?i+?d, Kernel.spawn(*["id"])), and a block
//     run on Kernel (Kernel.then{_1.system "id"}, Kernel.instance_eval{`id`},
//     Kernel.tap do ... end: attack 23), and Kernel reached so that
//     210116 does not see it, with any argument: Kernel.itself.system "id"
//     (attack 24), (Kernel).system, Kernel.freeze.system,
//     Kernel.dup.system, [Kernel].first.system, [Kernel][0].system,
//     Object.const_get(:Kernel).system (attack 26);
//   - PTY.spawn and PTY.getpty, and Open3's capture2, popen3, pipeline...
//     (attack 23), with an argument that starts with a quote, %, ?, *, [
//     or a backtick ("PTY.spawn docs" passes);
//   - Ruby's %x with any delimiter that is not a letter, a digit or white
//     space (%x^id^, %x/id/, %x~id~), at the value's start or after #{,
//     ;, =, (, ",", | or &, with no "%" inside (printf's formats pass);
//   - Python's __import__ and importlib.import_module of a module that
//     runs commands (os, subprocess, pty, posix, nt, commands, popen2,
//     builtins, __builtin__, importlib, ctypes), whatever the call's
//     argument looks like: a splat (__import__(*["subprocess"])), a
//     keyword (__import__(name="os")), strings joined by + or side by
//     side (__import__("sub"+"process"), __import__("o" "s")): the
//     brackets' text without quotes, +, *, brackets, commas, white space
//     and name= must be the module's name; and reached without the bare
//     call (attack 23): (__import__)(...), __import__.__call__(...),
//     getattr(__builtins__, "__import__")(...),
//     vars(__builtins__)["__import__"](...) (callAfter); since attack
//     24 the module's name with \xNN or \NNN escapes, a string prefix
//     (r"", f"", rb""), in any case ("SUBPROCESS".lower()), and
//     __import__ as string literals joined
//     (__dict__["__imp" "ort__"](...));
//   - asyncio's create_subprocess_shell and create_subprocess_exec and an
//     event loop's subprocess_shell and subprocess_exec, called, also
//     through getattr (attack 23), with the name joined from literals or
//     imported (from asyncio import create_subprocess_shell: attack 24);
//   - a decorator chain that ends at a def or class line and holds a
//     command function alone (@system, @os.popen, @exec, @getoutput),
//     which runs it on what it decorates (from os import system /
//     @system / @lambda c:c.__name__ / class id:pass runs id); since
//     attack 23 in brackets, with a comment after it, and by the aliases
//     the value's imports give (from os import system as s / @s, import
//     os as o / @o.system); since attack 24 anywhere in Python 3.9's
//     decorator expression outside strings (@[system][0],
//     @(s:=system), @os.system or 0), and the definition must be one
//     (def f(, class C: or class C(: "class of 2024 reunion" is not);
//     since attack 26 over lines (in brackets, or joined by a
//     backslash), with .__call__ (@os.system.__call__), and with an
//     alias imported after a ; (import sys; import os as o), and an
//     alias made by assignment (s = os.system, s = exec: open since
//     attack 23);
//   - since attack 26, modules that run commands (pydoc's pipepager,
//     distutils.spawn, webbrowser) imported by name, and os, subprocess
//     or sys reached as another module's attribute
//     (__import__("shutil").os, import_module("glob").os).
//
// Passing: mailer.send(:welcome), obj.send("system_status"), "send
// 'exec' the report", the PTY and Open3 docs, printf "%x/%d",
// __import__("json"), importlib.import_module("myapp.views"), prose
// naming create_subprocess_shell or loop.subprocess_shell, [1,2].map(&:to_s),
// `the method "system"`, an @system mention in a line of text and a list
// of mentions one per line (cc:\n@system\n@ops-team: no definition
// follows). The false-positive risk, as 210116's: a forum post of Ruby or
// Python code that does these things.
var codeCallRules = `SecRule ` + valueNameHeaderTargets + ` "@` + codeCallOp + `" "id:210118,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Code injection: Ruby or Python code that runs a command',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const codeCallOp = "gatewayCodeCall"

func init() { registerGoOperator(codeCallOp, codeCall) }

// codeCall is rule 210118's operator.
func codeCall(v string) bool {
	var al lazyAliases // the value's Python imports, read once if asked for
	var rs rubyScan    // where the value's command calls stand, read once if asked for
	var strCall int8   // whether the value calls with a string (stringCall), read once if asked for
	return eachAt(v, "send", rubySend) ||
		eachAt(v, "Kernel", func(v string, i int) bool { return kernelOddArgument(v, i, &rs) }) ||
		eachAt(v, "const_get", func(v string, i int) bool { return constGetCommand(v, i, &rs) }) ||
		eachAt(v, "eval", rubyEvalString) || eachAt(v, "alias", rubyAlias) ||
		// a constant named by a string that eval, module_eval... turns
		// into the constant, then a command method on what the bracket
		// closes: Object.module_eval("Op"+"en3").capture2("id") (attack 45)
		eachAt(v, "eval", func(v string, i int) bool { return !identByte(v[min(len(v)-1, i+4)], "") && rs.closerCallAfter(v, i) }) ||
		eachAt(v, "InstructionSequence", rubyVMCompile) ||
		// Kernel found by walking ObjectSpace, then a command method
		// called on what was found (attack 33)
		strings.Contains(v, "ObjectSpace") && strings.Contains(v, "each_object") && kernelCommandCall(v) ||
		(eachAt(v, "Kernel", moduleAsValue("Kernel")) || eachAt(v, "Open3", moduleAsValue("Open3")) ||
			eachAt(v, "Process", moduleAsValue("Process")) || eachAt(v, "PTY", moduleAsValue("PTY"))) && kernelCommandCall(v) ||
		eachAt(v, "system", bareRubyCommand) || eachAt(v, "spawn", bareRubyCommand) || eachAt(v, "exec", bareRubyCommand) ||
		eachAt(v, "PTY", ptyCall) || eachAt(v, "PTY", moduleOdd("PTY", &rs)) ||
		eachAt(v, "IO", func(v string, i int) bool { return receiverCall(v, i, "IO", "popen") || ioPipe(v, i) }) ||
		eachAt(v, "IO", moduleOdd("IO", &rs)) ||
		eachAt(v, "popen", rubyPopen) || eachAt(v, "open", kernelOpenPipe) ||
		eachAt(v, "capture", anyOpen3Call) || eachAt(v, "pipeline_", anyOpen3Call) ||
		eachAt(v, "Browser", pyBrowser) ||
		hiddenCommandName(v) || ctypesLookup(v) ||
		eachAt(v, "timeit", pyCodeRunner) || eachAt(v, "Timer", pyCodeRunner) || eachAt(v, "run", pyCodeRunner) ||
		strings.Contains(v, "%x") && rubyCommandLiteral(v) ||
		strings.Contains(v, "<<") && backtickHeredoc(v) ||
		strings.Contains(v, "`") && eachAt(v, "`", bracketedBacktick) ||
		open3Included(v) ||
		eachAt(v, "Open3", open3Call) || eachAt(v, "Open3", moduleOdd("Open3", &rs)) ||
		eachAt(v, "to_proc", rubyToProc) ||
		eachAt(v, "method", rubyMethodObject) ||
		eachAt(v, "__imp", joinedImport) ||
		eachAt(v, "import_module", func(v string, i int) bool { return pythonImport(v, i+len("import_module")) }) ||
		eachAt(v, "subprocess_", asyncioShell) ||
		eachAt(v, "Process", func(v string, i int) bool { return receiverCall(v, i, "Process", "spawn", "exec") }) ||
		// RubyGems' runners, loaded in every Ruby (attack 44:
		// Gem::Util.silent_system("id"); popen returns the output), and
		// the standard library's and Rake's (attack 45:
		// Gem::Ext::Builder.run(["id"], r, "x"), Rake.sh("id"),
		// FileUtils.sh, a C function called through Fiddle)
		eachAt(v, "Util", func(v string, i int) bool {
			return receiverCall(v, i, "Util", "popen", "silent_system", "_deprecated_silent_system")
		}) ||
		eachAt(v, "Ext::Builder", func(v string, i int) bool { return receiverCall(v, i+len("Ext::"), "Builder", "run") }) ||
		eachAt(v, "Rake", func(v string, i int) bool { return receiverCall(v, i, "Rake", "sh") }) ||
		eachAt(v, "FileUtils", func(v string, i int) bool { return receiverCall(v, i, "FileUtils", "sh") }) ||
		strings.Contains(v, "Fiddle") && eachAt(v, "Function", func(v string, i int) bool {
			j, ok := receiverMethod(v, i, "Function")
			if !ok {
				return false
			}
			j, ok = wordAt(v, j, "new")
			return ok && argumentAfter(v, j)
		}) ||
		eachAt(v, "Process", moduleOdd("Process", &rs)) ||
		eachAt(v, "pty", func(v string, i int) bool { return receiverCall(v, i, "pty", "spawn") }) ||
		eachAt(v, ".", func(v string, i int) bool { return moduleCall(v, i, &strCall) }) ||
		importAndModule(v) ||
		pyGetattrs(v, &al) ||
		eachAt(v, "methodcaller", operatorByName) || eachAt(v, "attrgetter", operatorByName) ||
		strings.Contains(v, "loads") && pickleCommand(v) ||
		strings.Contains(v, "__subclasses__") && pySubclassCommand(v) ||
		eachAt(v, "bind", rubyBind) || eachAt(v, "vars", pyVars) || eachAt(v, "getmembers", pyVars) || eachAt(v, "__dict__", pyDict) ||
		strings.Contains(v, "import") && importedCall(v, &al) ||
		strings.ContainsAny(v, "\n\r") && commandDecorator(v, &al)
}

// operatorByName (at "methodcaller" or "attrgetter"): operator's
// callables that reach a method by its name, given a command function's:
// operator.methodcaller("system", "id")(os) (attack 28),
// operator.attrgetter("sys"+"tem")(os)("id"), methodcaller(*["system",
// "id"]) (attack 29).
func operatorByName(v string, i int) bool {
	if !wordStart(v, i) {
		return false // before identEnd: "attrgetterattrgetter..." is one read
	}
	w := identEnd(v, i)
	if v[i:w] != "methodcaller" && v[i:w] != "attrgetter" {
		return false
	}
	j := skipSpace(v, w)
	return j < len(v) && v[j] == '(' && joinedCommandName(v, skipSplat(v, skipSpace(v, j+1)))
}

// moduleCall (at a "."): a command module's command function called
// with an argument (subprocess.call('id', shell=True),
// subprocess.run(...), os.execvp(...), os.posix_spawnp(...),
// pty.spawn(...)): attack 26 passed a plain subprocess.call in a JSON
// field, which the CRS reads only in some spellings (os.system,
// subprocess.Popen). Empty brackets pass (subprocess.run() in prose), as
// do other modules' functions of these names (app.run("0.0.0.0"),
// mock.call("x")). Each dot reads back over the word before it and on
// over one word: a few reads of each byte. Since attack 44 (the open item
// of attack 34) also the function taken as a value (followed by a comma,
// a closing bracket, ; or a line's end) in a value that calls something
// with a string (stringCall): [os.system][0]("id"),
// list(map(os.system,["id"])), f = os.system; f("id"); "use
// subprocess.run, not os.system." passes. strCall holds stringCall's
// answer once read (0: not yet, 1: yes, -1: no).
func moduleCall(v string, i int, strCall *int8) bool {
	b := i
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
		b--
	}
	m := identBefore(v, b)
	if m == b || !slices.Contains(callModules, v[m:b]) {
		return false // also as another module's attribute: shutil.os.system(...)
	}
	j := skipSpace(v, i+1)
	if functionCall(v, j) {
		return !pythonComment(v, m)
	}
	e := identEnd(v, j)
	if e == j || !commandFunction(v[j:e]) {
		return false
	}
	for e < len(v) && (v[e] == ' ' || v[e] == '\t') {
		e++
	}
	if e < len(v) && strings.IndexByte(",])};\n\r", v[e]) < 0 {
		return false
	}
	if *strCall == 0 {
		*strCall = -1
		if stringCall(v) {
			*strCall = 1
		}
	}
	return *strCall == 1 && !pythonComment(v, m)
}

// stringCall: v holds a bracket, ( or [, then a quote (over white
// space): a call with a string, or a list of them.
func stringCall(v string) bool {
	for k := 0; k < len(v); k++ {
		if v[k] == '(' || v[k] == '[' {
			if a := skipSpace(v, k+1); a < len(v) && (v[a] == '"' || v[a] == '\'') {
				return true
			}
		}
	}
	return false
}

// pythonComment: v[i] stands in a comment: a # before it on its line (of
// its last 256 bytes), outside quotes: "# we stopped using
// subprocess.run('make')" is prose (attack 32's false positive).
func pythonComment(v string, i int) bool {
	s := max(0, i-256)
	if l := strings.LastIndexAny(v[s:i], "\n\r"); l >= 0 {
		s += l + 1
	} else if s > 0 {
		return false // a line longer than that: its start is not read
	}
	var quote byte
	for k := s; k < i; k++ {
		switch c := v[k]; {
		case quote != 0:
			if c == '\\' {
				k++ // an escape: x='\'#';subprocess.call(...) (review)
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return true
		}
	}
	return false
}

// functionCall: at v[j:] a command function's name (commandFunction),
// then its bracket and an argument (no ) right after the bracket).
func functionCall(v string, j int) bool {
	e := identEnd(v, j)
	if e == j || !commandFunction(v[j:e]) {
		return false
	}
	if k := skipSpace(v, e); strings.HasPrefix(v[k:], ".__call__") {
		e = k + len(".__call__") // os.system.__call__("id") (attack 30)
	}
	return argumentAfter(v, e) && callCloses(v, e)
}

// callCloses: the bracket after v[e] closes within callWindow bytes, and
// a quote right after it is matched: a search for `"os.system(" python`
// or `os.system( vs subprocess` is no call (attack 49's false
// positives); Python runs no call left open.
func callCloses(v string, e int) bool {
	b := strings.IndexByte(v[e:], '(')
	if b < 0 {
		return false
	}
	a := skipSpace(v, e+b+1)
	w := v[a:min(len(v), a+callWindow)]
	if a < len(v) && (v[a] == '"' || v[a] == '\'') && strings.IndexByte(w[1:], v[a]) < 0 {
		return false
	}
	return strings.IndexByte(w, ')') >= 0
}

// callWindow bounds what callCloses reads.
const callWindow = 256

// argumentAfter: from v[e] on, over white space, a call's bracket opens
// and an argument follows (no ) right after the bracket).
func argumentAfter(v string, e int) bool {
	e = skipSpace(v, e)
	if e >= len(v) || v[e] != '(' {
		return false
	}
	e = skipSpace(v, e+1)
	return e < len(v) && v[e] != ')'
}

// commandFunction: name is a command module's command function
// (commandDecorators, moduleCommands, moreModuleCommands).
func commandFunction(name string) bool {
	return slices.Contains(commandDecorators, name) || slices.Contains(moduleCommands, name) || slices.Contains(moreModuleCommands, name)
}

// importedCall: in a value that imports, a command module called by an
// alias (import subprocess as sp / sp.call("id", shell=True)) or a
// command function imported by name and called (from subprocess import
// call / call("id", shell=True)): attack 26's open items. The names are
// the value's own imports (pyAliases, at most 8 of each), and each is
// looked for once: a few scans of the value.
func importedCall(v string, l *lazyAliases) bool {
	al := l.get(v)
	for _, m := range al.mods[:al.nm] {
		if slices.Contains(callModules, m) {
			continue // moduleCall reads it
		}
		if eachAt(v, m, func(v string, i int) bool {
			e := i + len(m)
			if !wordStart(v, i) || e < len(v) && identByte(v[e], "") {
				return false
			}
			e = skipSpace(v, e)
			return e < len(v) && v[e] == '.' && functionCall(v, skipSpace(v, e+1))
		}) {
			return true
		}
	}
	// a command function passed as a value: map(os.system, ["id"]),
	// (lambda f: f("id"))(os.system) (attack 27)
	lambda := strings.Contains(v, "lambda")
	if eachAt(v, ".", func(v string, d int) bool {
		m := identBefore(v, d)
		if m == d || !slices.Contains(callModules, v[m:d]) && !al.has(al.mods[:al.nm], v[m:d]) {
			return false
		}
		k := skipSpace(v, d+1)
		e := identEnd(v, k)
		if e == k || !commandFunction(v[k:e]) {
			return false
		}
		e = skipSpace(v, e)
		// or a lambda's default: (lambda f=os.system: f("id"))() (attack 31)
		// or a dict's value: {"a": os.system}["a"]("id") (attack 34)
		return e < len(v) && (v[e] == ',' || v[e] == ')' || v[e] == ']' || v[e] == '}' || v[e] == ':' && lambda)
	}) {
		return true
	}
	funcs := al.funcs[:al.nf]
	if al.star {
		funcs = starFunctions // from subprocess import * (attack 27)
	}
	for _, f := range funcs {
		importEnd := 0 // where the import statement the last name stood in ends
		if eachAt(v, f, func(v string, i int) bool {
			e := i + len(f)
			if !wordStart(v, i) || e < len(v) && identByte(v[e], "") || receiverDot(v, i) || !argumentAfter(v, e) || i < importEnd {
				return false
			}
			if !inImport(v, i) {
				return true
			}
			// the names after it in the same statement are read
			// without reading back again
			if k := strings.IndexAny(v[i:], "\n;"); k >= 0 {
				importEnd = i + k
			} else {
				importEnd = len(v)
			}
			return false
		}) {
			return true
		}
	}
	return false
}

// callModules are the modules whose functions moduleCall reads.
var callModules = []string{"os", "subprocess", "pty", "posix", "nt", "commands", "popen2", "pydoc"}

// moreModuleCommands are command functions moduleCall reads besides
// commandDecorators and moduleCommands.
var moreModuleCommands = []string{"posix_spawn", "posix_spawnp", "spawnle", "spawnlpe", "spawnve", "spawnvpe", "execle", "execlpe", "execvpe",
	"popen2", "popen3", "popen4", "pipepager", "tempfilepager"}

// pyGetattr (at "getattr"): getattr(<command module>, <a command
// function's name as string literals, joined or not>):
// getattr(os,"sys"+"tem")("id"), getattr(os, "sy" "stem") (attack 27).
func pyGetattr(v string, i int, al *lazyAliases) bool {
	return wordStart(v, i) && getattrArguments(v, i+len("getattr"), al)
}

// getattrArguments: at v[j:] getattr's bracket and arguments
// (pyGetattr).
func getattrArguments(v string, j int, al *lazyAliases) bool {
	j = skipSpace(v, j)
	if j >= len(v) || v[j] != '(' {
		return false
	}
	j = skipSplat(v, skipSpace(v, j+1))
	e := identEnd(v, j)
	if c, ok := ctypesLibrary(v, j); ok {
		e = c // getattr(ctypes.CDLL(None), "sys"+"tem") (attack 30)
	} else if e == j || !slices.Contains(callModules, v[j:e]) && !al.module(v, v[j:e]) {
		return false
	}
	j = skipSpace(v, e)
	if j >= len(v) || v[j] != ',' {
		return false
	}
	j = skipSpace(v, j+1)
	// any name but a plain string of another attribute
	// (getattr(os, "environ")): one made at run time is a command's
	// ("metsys"[::-1], "SYSTEM".lower(), *["system"], f"{'sys'}tem":
	// attack 28)
	return joinedCommandName(v, j) || !plainOtherName(v, j)
}

// maxLiterals bounds the string literals joinedLiterals reads.
const maxLiterals = 16

// ctypesLibrary: at v[j:] a C library loaded by ctypes (ctypes.CDLL(None),
// CDLL("libc.so.6"), ctypes.cdll.LoadLibrary(...)), whose system runs a
// command; end is after it (its first ctypesWindow bytes are read).
func ctypesLibrary(v string, j int) (end int, ok bool) {
	if _, ok := wordAt(v, j, "ctypes", "CDLL", "cdll", "PyDLL", "pydll"); !ok {
		return j, false
	}
	depth, k := 0, j
	for ; k < len(v) && k-j < ctypesWindow; k++ {
		c := v[k]
		switch {
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return k, true
			}
			depth--
		case c == ',' && depth == 0:
			return k, true
		}
	}
	return j, false
}

// ctypesWindow bounds what ctypesLibrary reads.
const ctypesWindow = 64

// pickleCommand (at "loads"): pickle.loads (or any loads) in a value
// that holds a pickle's reference to a command function: GLOBAL's
// "cposix\nsystem\n" (attack 30), raw or with its line breaks escaped,
// or protocol 4's module and name strings ("\x8c\x05posix\x94\x8c\x06system")
// and builtins' eval or exec. One scan of the value per module name.
func pickleCommand(v string) bool {
	for _, m := range pickleCodeModules {
		if eachAt(v, m, func(v string, i int) bool {
			e := i + len(m)
			if i > 0 && identByte(v[i-1], "") && v[i-1] != 'c' && (i < 4 || v[i-4:i-2] != "\\x") {
				return false // cos, cposix, \x05posix (protocol 4's length)
			}
			k := pickleSeparator(v, e)
			if k == e {
				return false
			}
			f := identEnd(v, k)
			if m == "builtins" || m == "__builtin__" {
				_, ok := wordAt(v[:f], k, "eval", "exec", "__import__")
				return ok
			}
			return f > k && commandFunction(v[k:f])
		}) {
			return true
		}
	}
	return false
}

// pickleCodeModules are the modules pickleCommand looks for (210138's
// pickleModules, which reads a raw pickle at the value's start).
var pickleCodeModules = []string{"os", "posix", "nt", "subprocess", "pty", "commands", "builtins", "__builtin__"}

// pickleSeparator: from v[e] over what stands between a pickle's module
// and name (line breaks, escaped or not, \xNN escapes, control and
// non-ASCII bytes), at most 16 bytes; the index after it.
func pickleSeparator(v string, e int) int {
	k := e
	for k < len(v) && k-e < 16 {
		switch c := v[k]; {
		case c == '\\' && k+1 < len(v) && v[k+1] == 'n':
			k += 2
		case c == '\\' && k+3 < len(v) && v[k+1] == 'x':
			k += 4
		case c < 0x20 || c >= 0x7f:
			k++
		default:
			return k
		}
	}
	return k
}

// skipSplat: at v[j:] a splat of a list or tuple (*[ or *(), skipped
// with the white space after it: getattr(*[os,"system"]),
// methodcaller(*["system","id"]) (attack 29).
func skipSplat(v string, j int) int {
	if j+1 < len(v) && v[j] == '*' && (v[j+1] == '[' || v[j+1] == '(') {
		return skipSpace(v, j+2)
	}
	return j
}

// pyGetattribute (at "__getattribute__"): getattr's other spelling,
// type(os).__getattribute__(os, "sys"+"tem") (attack 29), read as
// pyGetattr reads getattr; or called on a command module with a name
// made at run time (os.__getattribute__("sys"+"tem")).
func pyGetattribute(v string, i int, al *lazyAliases) bool {
	j := skipSpace(v, i+len("__getattribute__"))
	if j >= len(v) || v[j] != '(' {
		return false
	}
	if d := dotBefore(v, i); d < i {
		if m := identBefore(v, d); m < d && (slices.Contains(callModules, v[m:d]) || al.module(v, v[m:d])) {
			k := skipSpace(v, j+1)
			if joinedCommandName(v, k) || !plainOtherName(v, k) {
				return true
			}
		}
	}
	return getattrArguments(v, j, al)
}

// pyGetattrValue (at "getattr"): getattr taken as a value (after ( , =
// or [, no bracket after it) in a value that spells a command
// function's name in string literals: functools.reduce(getattr,
// ["system"], os), g=getattr / g(os,"sys"+"tem") (attack 29).
func pyGetattrValue(v string, i int, al *lazyAliases) bool {
	e := i + len("getattr")
	if !wordStart(v, i) || e < len(v) && identByte(v[e], "") {
		return false
	}
	if k := skipSpace(v, e); k < len(v) && v[k] == '(' {
		return false
	}
	b := i
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
		b--
	}
	return b > 0 && strings.IndexByte("(,=[", v[b-1]) >= 0 && al.commandName(v)
}

// anyCommandName: somewhere in v, string literals (joined or not) spell a
// command function's name. Each literal is read once (a reading goes on
// from where the last stopped; a quote that opens none costs at most 32
// bytes).
func anyCommandName(v string) bool {
	for i := 0; i < len(v); {
		k := strings.IndexAny(v[i:], `"'`)
		if k < 0 {
			return false
		}
		i += k
		var buf [32]byte
		n, end, ok := joinedLiterals(v, i, buf[:])
		if ok && n > 0 && commandFunction(string(buf[:n])) {
			return true
		}
		i = max(end, i+1)
	}
	return false
}

// lazyAliases are a value's imports and aliases (pyAliases), collected
// when first asked for: at most once per value however many of codeCall's
// readings (getattrs, imported calls, decorators) ask.
type lazyAliases struct {
	al        pyAliases
	collected bool
	// anyCommandName(v), read once when first asked for
	name, nameRead bool
}

// commandName is anyCommandName(v), read once per value.
func (l *lazyAliases) commandName(v string) bool {
	if !l.nameRead {
		l.nameRead = true
		l.name = anyCommandName(v)
	}
	return l.name
}

// get collects v's aliases on the first call and returns them.
func (l *lazyAliases) get(v string) *pyAliases {
	if !l.collected {
		l.collected = true
		l.al.collect(v)
	}
	return &l.al
}

// module: v imports a command module as name (import subprocess as s:
// attack 28's getattr(s, "check_output")). Only an import names a module.
func (l *lazyAliases) module(v, name string) bool {
	if !strings.Contains(v, "import") {
		return false
	}
	al := l.get(v)
	return al.has(al.mods[:al.nm], name)
}

// pyGetattrs: at one of the places where getattr stands, pyGetattr
// holds.
func pyGetattrs(v string, al *lazyAliases) bool {
	return eachAt(v, "getattr", func(v string, i int) bool { return pyGetattr(v, i, al) || pyGetattrValue(v, i, al) }) ||
		eachAt(v, "__getattribute__", func(v string, i int) bool { return pyGetattribute(v, i, al) })
}

// plainOtherName: at v[j:] a string literal of a name, then the
// getattr's closing bracket or its default (getattr(os, "environ"),
// getattr(os, "sep", "/")), or j is past the value.
func plainOtherName(v string, j int) bool {
	if j >= len(v) {
		return true
	}
	q := v[j]
	if q != '"' && q != '\'' {
		return false
	}
	e := identEnd(v, j+1)
	if e >= len(v) || v[e] != q {
		return false
	}
	k := skipSpace(v, e+1)
	return k >= len(v) || v[k] == ')' || v[k] == ','
}

// pyVars (at "vars"): vars(<command module>)[<a command function's
// name>]: vars(os)["system"]("id") (attack 27).
func pyVars(v string, i int) bool {
	if !wordStart(v, i) {
		return false // before identEnd: "varsvarsvars..." is one read
	}
	w := identEnd(v, i)
	j := skipSpace(v, w) // vars(os), inspect.getmembers(os) (attack 31)
	if v[i:w] != "vars" && v[i:w] != "getmembers" || j >= len(v) || v[j] != '(' {
		return false
	}
	j = skipSpace(v, j+1)
	e := identEnd(v, j)
	if e == j || !slices.Contains(callModules, v[j:e]) {
		return false
	}
	j = skipSpace(v, e)
	if j >= len(v) || v[j] != ')' {
		return false
	}
	return namespaceName(v, j+1)
}

// namespaceName: in the namespaceWindow bytes from v[j] on, the first
// string literal spells a command function's name: a module's namespace
// indexed, copied or looked up (vars(os)["system"], dict(vars(os))[...]
// (attack 28), {**vars(os)}["system"], vars(os).copy()["system"],
// dict(os.__dict__)["system"], vars(os).get("system"): attack 29).
func namespaceName(v string, j int) bool {
	k := strings.IndexAny(v[j:min(len(v), j+namespaceWindow)], `"'`)
	return k >= 0 && joinedCommandName(v, j+k)
}

// namespaceWindow bounds what namespaceName reads.
const namespaceWindow = 64

// pyDict (at "__dict__"): <command module>.__dict__[<a command
// function's name>]: os.__dict__["system"]("id") (attack 27).
func pyDict(v string, i int) bool {
	d := dotBefore(v, i)
	if d == i {
		return false
	}
	m := identBefore(v, d)
	if m == d || !slices.Contains(callModules, v[m:d]) {
		return false
	}
	return namespaceName(v, i+len("__dict__"))
}

// joinedCommandName: at v[j:] string literals, joined by + or white
// space or standing alone (at most 32 bytes of text), spell a command
// function's name ("sys"+"tem", "sy" "stem", 'system').
func joinedCommandName(v string, j int) bool {
	var buf [32]byte
	n, _, ok := joinedLiterals(v, j, buf[:])
	return ok && n > 0 && commandFunction(string(buf[:n]))
}

// joinedLiterals reads the string literals at v[j:] joined by + or white
// space into buf: n bytes of text, end where the reading stopped, ok
// when the text fit in buf (else buf holds its first len(buf) bytes).
// Each literal's closing quote is looked for in the len(buf) bytes after
// it opens, and at most maxLiterals literals are read ("" "" "" ... fills
// no buffer).
func joinedLiterals(v string, j int, buf []byte) (n, end int, ok bool) {
	for lit := 0; j < len(v); lit++ {
		if lit == maxLiterals {
			return n, j, false
		}
		q := v[j]
		if q != '"' && q != '\'' {
			break
		}
		k := strings.IndexByte(v[j+1:min(len(v), j+1+len(buf))], q)
		if k < 0 {
			return n, j + 1, false
		}
		c := copy(buf[n:], v[j+1:j+1+k])
		n += c
		if c < k {
			return n, j + k + 2, false
		}
		j = skipSpace(v, j+k+2)
		if j < len(v) && v[j] == '+' {
			j = skipSpace(v, j+1)
		}
	}
	return n, j, true
}

// importAndModule: v imports by name (__import__, import_module,
// load_module, sys.modules, __loader__) and names a command module in a
// string literal ('posix', "subprocess"): attack 25 reached a module
// through sys.modules['posix'], __loader__.load_module('posix'), an
// alias of import_module or of __import__ (i=__builtins__.__import__ /
// i('subprocess')), operator.attrgetter('__import__'), none of them the
// call pythonImport reads. The false-positive risk: Python code that
// imports by name and mentions such a module in a string.
func importAndModule(v string) bool {
	if !strings.Contains(v, "__import__") && !strings.Contains(v, "import_module") && !strings.Contains(v, "load_module") &&
		!strings.Contains(v, "sys.modules") && !strings.Contains(v, "__loader__") &&
		// a module reached through any object's sys: __globals__["sys"].modules["subprocess"] (attack 38)
		!strings.Contains(v, ".modules[") && !strings.Contains(v, ".modules.get(") {
		return false
	}
	for i := 0; i < len(v); i++ {
		q := v[i]
		if q != '\'' && q != '"' {
			continue
		}
		rest := v[i+1:]
		if len(rest) > 16 {
			rest = rest[:16]
		}
		if k := strings.IndexByte(rest, q); k > 0 && commandModules[rest[:k]] {
			return true
		}
	}
	return false
}

// pySubclassCommand: v walks object's subclasses (__subclasses__, the
// template injection's way to classes no import names) to a command:
// subprocess's Popen, os's _wrap_close (whose __init__.__globals__ is
// os's namespace: popen, system), or any class's __globals__ (attack 38:
// [x for x in object.__subclasses__() if "wrap_close" in str(x)][0]
// .__init__.__globals__["popen"]("id")). Listing subclasses alone, as
// debugging does, passes.
func pySubclassCommand(v string) bool {
	return strings.Contains(v, "Popen") || strings.Contains(v, "wrap_close") || strings.Contains(v, "__globals__") ||
		strings.Contains(v, "load_module") || strings.Contains(v, "BuiltinImporter")
}

// rubyBind (at "bind"): an unbound method bound to Kernel and called with
// a command method's name: Object.instance_method(:method).bind(Kernel)
// .call(:system), .bind_call(Kernel, :system), BasicObject
// .instance_method(:__send__).bind_call(Kernel, :system, "id") (attack
// 38): Kernel's methods reached without naming send or method where the
// other readings look.
func rubyBind(v string, i int) bool {
	if !receiverDot(v, i) {
		return false
	}
	j, ok := wordAt(v, i, "bind_call")
	if !ok {
		if j, ok = wordAt(v, i, "bind"); !ok {
			return false
		}
	}
	call := j-i == len("bind_call")
	j = skipSpace(v, j)
	paren := j < len(v) && v[j] == '('
	if paren {
		j = skipSpace(v, j+1)
	}
	if j, ok = wordAt(v, j, "Kernel"); !ok {
		return false
	}
	j = skipSpace(v, j)
	if call {
		// bind_call(Kernel, :system ...)
		return j < len(v) && v[j] == ',' && namedCommand(v, j+1)
	}
	// bind(Kernel).call(:system)
	if paren {
		if j >= len(v) || v[j] != ')' {
			return false
		}
		j = skipSpace(v, j+1)
	}
	if j >= len(v) || v[j] != '.' {
		return false
	}
	if j, ok = wordAt(v, skipSpace(v, j+1), "call"); !ok {
		return false
	}
	return namedCommand(v, j)
}

// nextLine splits rest at its first line break (\n or \r: Python reads a
// lone CR as one too, attack 25).
func nextLine(rest string) (line, after string) {
	if k := strings.IndexAny(rest, "\n\r"); k >= 0 {
		return rest[:k], rest[k+1:]
	}
	return rest, ""
}

// eachAt: at one of the places where word stands in v, at(v, i) holds.
// Each check reads forward from i over white space and a few words (and
// back over white space), so a value costs a few reads of each byte
// however many times the word stands in it: no expression is run (Go's
// regexp read a value of 64 KiB of ".send(:" at 9 MB/s).
func eachAt(v, word string, at func(v string, i int) bool) bool {
	for off := 0; ; {
		i := strings.Index(v[off:], word)
		if i < 0 {
			return false
		}
		i += off
		if at(v, i) {
			return true
		}
		off = i + len(word)
	}
}

// skipSpace is the index of the first byte at or after j that is not
// ASCII white space.
func skipSpace(v string, j int) int {
	for j < len(v) && (v[j] == ' ' || v[j] == '\t' || v[j] == '\n' || v[j] == '\r' || v[j] == '\f' || v[j] == '\v') {
		j++
	}
	return j
}

// wordAt: one of words stands at v[j:] and ends there (no letter, digit
// or _ after it); end is the index after it.
func wordAt(v string, j int, words ...string) (end int, ok bool) {
	for _, w := range words {
		if strings.HasPrefix(v[j:], w) && (j+len(w) == len(v) || !identByte(v[j+len(w)], "")) {
			return j + len(w), true
		}
	}
	return j, false
}

// wordStart: v[i] starts a word (nothing before it, or not a letter,
// digit or _).
func wordStart(v string, i int) bool { return i == 0 || !identByte(v[i-1], "") }

// receiverDot: before v[i], over white space, stands . or ::.
func receiverDot(v string, i int) bool {
	j := i
	for j > 0 && (v[j-1] == ' ' || v[j-1] == '\t' || v[j-1] == '\n' || v[j-1] == '\r') {
		j--
	}
	return j > 0 && v[j-1] == '.' || j > 1 && v[j-2:j] == "::"
}

// rubyCommandMethods are the methods rubySend and kernelOddArgument read.
var rubyCommandMethods = []string{"system", "exec", "spawn", "syscall", "popen", "fork", "eval", "instance_eval", "class_eval", "module_eval", "open", "send", "public_send", "__send__"}

// rubySend (at "send"): send, public_send or __send__ after a receiver's
// . or :: (public_send and __send__ anywhere), an optional bracket, then
// a symbol or a string that names a command method, or a backtick.
func rubySend(v string, i int) bool {
	start, end := i, i+len("send")
	switch {
	case i >= 7 && v[i-7:i] == "public_":
		start = i - 7
	case i >= 2 && v[i-2:i] == "__" && strings.HasPrefix(v[end:], "__"):
		start, end = i-2, end+2
	}
	if !wordStart(v, start) || end < len(v) && identByte(v[end], "") {
		return false
	}
	if builtName(v, end) && (start != i || receiverDot(v, start) || rubyStatementStart(v, start)) {
		return true // send "SYSTEM".downcase, "id", IO.send("POPEN".downcase, ...) (attack 46)
	}
	if sendOpenPipe(v, end) {
		return true // URI.send(:open, "|" "id") (attack 46)
	}
	if start == i && !receiverDot(v, start) && (end >= len(v) || v[end] != '(') {
		// a bare send is a word of prose; send(:system, ...) is Kernel's
		// (attack 28), and send :system, ... where a statement starts
		// (attack 29)
		if a := skipSpace(v, end); a == end || a >= len(v) || v[a] != ':' && v[a] != '*' && !identByte(v[a], "") || !rubyStatementStart(v, start) {
			return false // send *%w[system id] (attack 30), send m, ... (attack 31) too
		}
	}
	return namedCommand(v, end) || joinedRubyName(v, end) || kernelReceiver(v, start) && dynamicName(v, end) || sendVariable(v, start, end) || sendFoundMethod(v, end)
}

// sendOpenPipe: send's first argument at v[j:] names open (:open,
// "open") and a pipe made at run time follows (pipeInWindow), as
// kernelOpenPipe reads open's: obj.send(:open, 124.chr+"id").
func sendOpenPipe(v string, j int) bool {
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	switch {
	case strings.HasPrefix(v[j:], ":open"):
		j += len(":open")
	case strings.HasPrefix(v[j:], `"open"`), strings.HasPrefix(v[j:], "'open'"):
		j += len(`"open"`)
	default:
		return false
	}
	j = skipSpace(v, j)
	return j < len(v) && v[j] == ',' && pipeInWindow(v, j)
}

// sendFoundMethod: send's first argument (after j, at most 128 bytes, up
// to its comma) searches an object's list of methods
// (private_methods.grep(/^syste/)[0], methods.find { ... }): the method
// is found at run time by a piece of its name, and a command's is what
// such a call is for (attack 36 ran
// send(private_methods.grep(/^syste/)[0],"id")).
func sendFoundMethod(v string, j int) bool {
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j++
	}
	arg := v[j:min(len(v), j+128)]
	if c := strings.IndexByte(arg, ','); c >= 0 {
		arg = arg[:c]
	}
	return eachAt(arg, "methods", func(a string, i int) bool {
		e := skipSpace(a, i+len("methods"))
		return (i == 0 || !identByte(a[i-1], "") || a[i-1] == '_') && e < len(a) && (a[e] == '.' || a[e] == '[')
	})
}

// rubyPopen (at "popen"): a popen method called on any receiver (after .
// or ::) without brackets, with a string, a %-literal, an array, a splat
// or a variable alone as its argument: File.popen "id", &:read,
// Gem::Util.popen "id", IO.then{_1.popen "id"} (attack 36; with brackets
// the CRS's 933160 refuses it, and IO.popen is receiverCall's). Prose
// about it ("IO.popen with a block") passes.
func rubyPopen(v string, i int) bool {
	e := i + len("popen")
	if !receiverDot(v, i) || e < len(v) && identByte(v[e], "") {
		return false
	}
	j := skipSpace(v, e)
	if j < len(v) && strings.IndexByte("'\"`", v[j]) >= 0 {
		return true // File.popen"id" too
	}
	if j == e || j >= len(v) {
		return false // popen( is the CRS's, popen alone is a word
	}
	if strings.IndexByte("%*[:", v[j]) >= 0 {
		return true // :id.to_s too (attack 37)
	}
	if v[j] >= '0' && v[j] <= '9' {
		d := j
		for d < len(v) && v[d] >= '0' && v[d] <= '9' {
			d++
		}
		return d+1 < len(v) && v[d] == '.' && identByte(v[d+1], "") && !(v[d+1] >= '0' && v[d+1] <= '9') // 105.chr+100.chr (attack 37)
	}
	n := identEnd(v, j)
	if n == j || v[j] >= '0' && v[j] <= '9' {
		return false
	}
	k := skipSpace(v, n)
	if k < len(v) && v[k] == ',' {
		return true // a variable and more arguments: File.popen c, &:read
	}
	if k < len(v) && strings.IndexByte(";)}\n", v[k]) < 0 {
		return false
	}
	// a variable alone, assigned before: c="id";File.popen c ("call
	// File.popen instead" passes)
	name := v[j:n]
	back := v[max(0, i-lookBack):i]
	return eachAt(back, name, func(b string, p int) bool {
		e := skipSpace(b, p+len(name))
		return wordStart(b, p) && e+1 < len(b) && b[e] == '=' && b[e+1] != '=' && b[e+1] != '~'
	})
}

// sendVariable: send's name is a variable that holds a command method's
// name: assigned as the argument (send m="system", "id") or before it,
// in the lookBack bytes before the send (m=:system; send m, "id"):
// attack 31.
func sendVariable(v string, start, j int) bool {
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	n := identEnd(v, j)
	if n == j || v[j] >= '0' && v[j] <= '9' {
		return false
	}
	k := skipSpace(v, n)
	if k+1 < len(v) && v[k] == '=' && v[k+1] != '=' {
		return namedCommand(v, k+1)
	}
	if k >= len(v) || v[k] != ',' && v[k] != ')' {
		return false
	}
	name := v[j:n]
	back := v[max(0, start-lookBack):start]
	return eachAt(back, name, func(b string, i int) bool {
		e := i + len(name)
		if !wordStart(b, i) || e < len(b) && identByte(b[e], "") {
			return false
		}
		e = skipSpace(b, e)
		// a name, or a method found in the list of methods:
		// x=private_methods.grep(/^syste/)[0]; send x, "id" (attack 37)
		return e+1 < len(b) && b[e] == '=' && b[e+1] != '=' && b[e+1] != '~' && (namedCommand(b, e+1) || sendFoundMethod(b, e+1))
	})
}

// kernelReceiver: before v[i], over a dot, stands the word Kernel.
func kernelReceiver(v string, i int) bool { return namedReceiver(v, i, "Kernel") }

// namedReceiver: before v[i], over a dot, stands the word name.
func namedReceiver(v string, i int, name string) bool {
	d := dotBefore(v, i)
	if d == i {
		return false
	}
	k := identBefore(v, d)
	return v[k:d] == name
}

// dynamicName: the call at v[j:] (its bracket or white space) names the
// method with anything but a plain symbol or string: ("sys"+"tem").to_sym,
// [:system][0], ["sys","tem"].join, methods.grep(/^sys/)[0] (attack 27:
// Kernel's send and method with a name made at run time). Kernel.send(:puts,
// "x") and Kernel.method("print") pass.
func dynamicName(v string, j int) bool {
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	if j >= len(v) || v[j] == ')' {
		return false
	}
	k := j
	switch v[j] {
	case ':':
		k = identEnd(v, j+1)
		if k == j+1 {
			return true
		}
	case '"', '\'':
		e := identEnd(v, j+1)
		if e >= len(v) || v[e] != v[j] {
			return true
		}
		k = e + 1
	default:
		return true
	}
	k = skipSpace(v, k)
	return k < len(v) && v[k] != ',' && v[k] != ')' && v[k] != ';' && v[k] != '\n'
}

// rubyNamedCommands are the command methods a send or a method object
// names (rubyCommandMethods less the ones that only open or send), and
// Open3's (attack 25: Open3.send(:capture2, "id")).
var rubyNamedCommands = []string{"system", "exec", "spawn", "syscall", "popen", "fork", "eval", "instance_eval", "class_eval", "module_eval",
	"capture2", "capture2e", "capture3", "popen2", "popen2e", "popen3", "pipeline", "pipeline_r", "pipeline_w", "pipeline_rw", "pipeline_start"}

// namedCommand: from v[j] on, an optional bracket, then a symbol or a
// string that names a command method, or a backtick (:`). The symbol may
// be quoted (:"system", :'system') or a %s literal (%s(system)), and a
// quoted name may hold escapes (:"\163ystem", "\x73ystem") and empty
// interpolations ("sys#{}tem"): attack 25.
func namedCommand(v string, j int) bool {
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	if j < len(v) && v[j] == '*' {
		// a splat: send(*%w[system id]), send(*%i[system], "id"),
		// send(*[:system, "id"]) (attack 30)
		j = skipSpace(v, j+1)
		if j+2 < len(v) && v[j] == '%' && strings.IndexByte("wWiI", v[j+1]) >= 0 && strings.IndexByte("([{<|!/^~", v[j+2]) >= 0 {
			_, ok := wordAt(v, skipSpace(v, j+3), rubyNamedCommands...)
			return ok
		}
	}
	if j+2 < len(v) && v[j] == '%' && strings.IndexByte("wWiI", v[j+1]) >= 0 && strings.IndexByte("([{<|!/^~", v[j+2]) >= 0 {
		// a word array's item: send(%i[system][0], "id") (attack 37)
		_, ok := wordAt(v, skipSpace(v, j+3), rubyNamedCommands...)
		return ok
	}
	if j < len(v) && v[j] == '[' {
		j = skipSpace(v, j+1) // [:system][0] (attack 27)
	}
	switch {
	case j+2 < len(v) && v[j] == '%' && v[j+1] == 's' && strings.IndexByte("([{<|!/^~", v[j+2]) >= 0:
		return rubyQuotedName(v, j+3, rubyCloser(v[j+2]))
	case j < len(v) && v[j] == ':':
		j = skipSpace(v, j+1)
		if j < len(v) && (v[j] == '"' || v[j] == '\'') {
			return rubyQuotedName(v, j+1, v[j])
		}
	case j < len(v) && (v[j] == '"' || v[j] == '\''):
		if rubyQuotedName(v, j+1, v[j]) || rubyReversedName(v, j+1, v[j]) {
			return true
		}
		j = skipSpace(v, j+1)
	default:
		return false
	}
	if j < len(v) && v[j] == '`' {
		return true
	}
	_, ok := wordAt(v, j, rubyNamedCommands...)
	return ok
}

// rubyCloser is the character that closes a % literal opened by d.
func rubyCloser(d byte) byte {
	switch d {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	}
	return d
}

// rubyQuotedName: from v[j] up to closer, Ruby's string (escapes \NNN
// and \xNN read, #{} dropped; at most 24 bytes) is one of
// rubyNamedCommands.
func rubyQuotedName(v string, j int, closer byte) bool {
	var buf [24]byte
	n := 0
	for k := j; k < len(v) && k-j < 48; k++ {
		c := v[k]
		switch {
		case c == closer:
			return slices.Contains(rubyNamedCommands, string(buf[:n])) // no allocation: a comparison
		case n == len(buf):
			return false
		case strings.HasPrefix(v[k:], "#{}"):
			k += 2
		case strings.HasPrefix(v[k:], `#{"`) || strings.HasPrefix(v[k:], `#{'`):
			// an interpolated literal: :"#{"sys"}tem" (attack 37)
			q := v[k+2]
			e := strings.IndexByte(v[k+3:min(len(v), k+3+len(buf))], q)
			if e < 0 || k+3+e+1 >= len(v) || v[k+3+e+1] != '}' || n+e > len(buf) {
				return false
			}
			n += copy(buf[n:], v[k+3:k+3+e])
			k += 3 + e + 1
		case c == '\\' && k+3 < len(v) && v[k+1] == 'x' && ishex(v[k+2]) && ishex(v[k+3]):
			buf[n] = unhex(v[k+2])<<4 | unhex(v[k+3])
			n++
			k += 3
		case c == '\\' && k+3 < len(v) && octalDigit(v[k+1]) && octalDigit(v[k+2]) && octalDigit(v[k+3]):
			buf[n] = (v[k+1]-'0')<<6 | (v[k+2]-'0')<<3 | (v[k+3] - '0')
			n++
			k += 3
		default:
			buf[n] = c
			n++
		}
	}
	return false
}

// rubyReversedName: from v[j] up to closer, a string of letters whose
// reverse is one of rubyNamedCommands, reversed by the call after it:
// send("metsys".reverse, "id") (attack 37).
func rubyReversedName(v string, j int, closer byte) bool {
	e := strings.IndexByte(v[j:min(len(v), j+25)], closer)
	if e < 2 {
		return false
	}
	k := skipSpace(v, j+e+1)
	if k >= len(v) || v[k] != '.' {
		return false
	}
	if _, ok := wordAt(v, skipSpace(v, k+1), "reverse"); !ok {
		return false
	}
	var buf [24]byte
	for x := 0; x < e; x++ {
		buf[x] = v[j+e-1-x]
	}
	return slices.Contains(rubyNamedCommands, string(buf[:e]))
}

// rubyMethodObject (at "method"): method(:system), method :exec,
// public_method, singleton_method, instance_method (attack 24): a
// command method taken as an object, to be called (.call, .(), .to_proc,
// .bind_call).
func rubyMethodObject(v string, i int) bool {
	end, ok := wordAt(v, i, "method")
	start := i
	for _, p := range []string{"public_", "singleton_", "instance_"} {
		if i >= len(p) && v[i-len(p):i] == p {
			start = i - len(p) // public_method(:system), instance_method(:system).bind_call(...)
		}
	}
	if !ok || !wordStart(v, start) {
		return false
	}
	// without brackets only a symbol: `the method "system"` is prose
	j := skipSpace(v, end)
	return j < len(v) && (v[j] == '(' || v[j] == ':') && (namedCommand(v, j) || v[j] == '(' && joinedRubyName(v, j) || kernelReceiver(v, start) && v[j] == '(' && dynamicName(v, j) ||
		v[j] == '(' && sendFoundMethod(v, j) || // method(private_methods.grep(/^syste/)[0]) (attack 37)
		v[j] == '(' && builtName(v, j)) // instance_method(:systel.succ) (attack 46)
}

// builtName: the call at v[j:] (its bracket or white space) names a
// command method (rubyNamedCommands, or the backtick) with a literal
// changed at run time: a string or a symbol with a method called on it
// ("SYSTEM".downcase, :systel.succ), sliced ("xsystem"[1..]) or joined
// ("sys"<<"tem"), one written with escapes (:"\x60"), or a number made
// a character (96.chr): attack 46 named system and ` so to send, method
// and instance_method on any receiver. The changes Ruby makes are made
// here (at most 4, on at most 64 bytes) and the result compared;
// a change this reading does not know (tr, gsub) is taken as a command's
// name, as it is there to hide one. send("eman".reverse), method("to_" +
// "s"), send("#{attr}=", v) and "x".to_sym pass.
func builtName(v string, j int) bool {
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	var buf [64]byte
	name, k, changed, ok := rubyLiteral(v, j, buf[:0])
	if !ok && j < len(v) && v[j] == '[' {
		// an array of literals joined: ["sys","tem"]*"", ["sys","tem"].join
		// (attack 47)
		name, k, ok = rubyArrayJoined(v, j, buf[:0])
		changed = true
	}
	if !ok {
		return false
	}
	for step := 0; step < 4; step++ {
		for k < len(v) && (v[k] == ' ' || v[k] == '\t') {
			k++
		}
		if k >= len(v) {
			break
		}
		dotPlus := strings.HasPrefix(v[k:], ".+(")
		if v[k] == '+' || strings.HasPrefix(v[k:], "<<") || dotPlus || v[k] == '"' || v[k] == '\'' || v[k] == '?' || strings.HasPrefix(v[k:], "%q") {
			// joined: +, <<, .+(, or side by side ("sys" "tem": attack 47)
			n := k
			switch {
			case v[k] == '+':
				n++
			case v[k] == '<':
				n += 2
			case dotPlus:
				n += 3
			}
			more, e, _, ok := rubyLiteral(v, skipSpace(v, n), name)
			if !ok {
				break
			}
			if v[k] == '.' {
				if e = skipSpace(v, e); e >= len(v) || v[e] != ')' {
					break
				}
				e++
			}
			name, k, changed = more, e, true
			continue
		}
		if v[k] == '%' {
			// a format: "sys%s" % "tem" (attack 47)
			var ab [64]byte
			arg, e, _, ok := rubyLiteral(v, skipSpace(v, k+1), ab[:0])
			f := bytes.Index(name, []byte("%s"))
			if !ok || f < 0 || len(name)+len(arg) > 64 {
				return true
			}
			var out [64]byte
			joined := append(append(append(out[:0], name[:f]...), arg...), name[f+2:]...)
			name, k, changed = joined, e, true
			continue
		}
		if v[k] == '[' {
			e := strings.IndexByte(v[k:min(len(v), k+16)], ']')
			if e < 0 {
				return true
			}
			sliced, ok := rubySlice(name, v[k+1:k+e])
			if !ok {
				return true
			}
			name, k, changed = sliced, k+e+1, true
			continue
		}
		if v[k] != '.' {
			break
		}
		m := identEnd(v, k+1)
		switch v[k+1 : m] {
		case "to_sym", "to_s", "intern", "to_str", "freeze", "dup", "itself":
		case "downcase":
			for x := range name {
				if name[x] >= 'A' && name[x] <= 'Z' {
					name[x] += 'a' - 'A'
				}
			}
		case "upcase":
			for x := range name {
				if name[x] >= 'a' && name[x] <= 'z' {
					name[x] -= 'a' - 'A'
				}
			}
		case "reverse":
			slices.Reverse(name)
		case "succ", "next":
			rubySucc(name)
		case "":
			return false
		default:
			return true // a change not read here: tr, gsub, unpack...
		}
		k, changed = m, true
	}
	return changed && (string(name) == "`" || slices.Contains(rubyNamedCommands, string(name)))
}

// rubyArrayJoined reads an array of literals at v[j] ([) joined by * ""
// or .join (without a separator, or ""): its text and the index after.
func rubyArrayJoined(v string, j int, buf []byte) ([]byte, int, bool) {
	k := j + 1
	for range 8 {
		more, e, _, ok := rubyLiteral(v, skipSpace(v, k), buf)
		if !ok {
			return buf, j, false
		}
		buf, k = more, skipSpace(v, e)
		if k < len(v) && v[k] == ',' {
			k++
			continue
		}
		break
	}
	if k >= len(v) || v[k] != ']' {
		return buf, j, false
	}
	k = skipSpace(v, k+1)
	switch {
	case strings.HasPrefix(v[k:], "*\"\""), strings.HasPrefix(v[k:], "*''"):
		return buf, k + 3, true
	case strings.HasPrefix(v[k:], ".join"):
		e := k + len(".join")
		if strings.HasPrefix(v[e:], "(\"\")") || strings.HasPrefix(v[e:], "('')") {
			e += 4
		} else if strings.HasPrefix(v[e:], "()") {
			e += 2
		}
		return buf, e, true
	}
	return buf, j, false
}

// rubyJoined is the text of Ruby literals (rubyLiteral's) at v[j:]
// joined by +, << or side by side, at most 8 of them.
func rubyJoined(v string, j int, buf []byte) ([]byte, bool) {
	text, k, _, ok := rubyLiteral(v, j, buf)
	if !ok {
		return buf, false
	}
	for range 8 {
		n := k
		for n < len(v) && (v[n] == ' ' || v[n] == '\t') {
			n++
		}
		switch {
		case n < len(v) && v[n] == '+':
			n++
		case strings.HasPrefix(v[n:], "<<"):
			n += 2
		case n > k && n < len(v) && strings.IndexByte("\"'%?", v[n]) >= 0:
			// side by side ("sys" "tem")
		default:
			return text, true
		}
		more, e, _, ok := rubyLiteral(v, skipSpace(v, n), text)
		if !ok {
			return text, true
		}
		text, k = more, e
	}
	return text, true
}

// rubyLiteral appends to buf the text of the Ruby literal at v[j:] (a
// string or a symbol, quoted or not, with \xNN, \NNN and \uNNNN escapes
// read; a number made a character by .chr; a character literal ?c) and
// returns it with the index after the literal; escaped is whether it
// was written otherwise than it reads.
func rubyLiteral(v string, j int, buf []byte) (text []byte, end int, escaped, ok bool) {
	if j >= len(v) {
		return buf, j, false, false
	}
	switch c := v[j]; {
	case c == ':' && j+1 < len(v) && (v[j+1] == '"' || v[j+1] == '\''):
		j++
		fallthrough
	case c == '"' || c == '\'':
		q := v[j]
		for e := j + 1; e < len(v) && e-j < 64; e++ {
			switch v[e] {
			case q:
				return buf, e + 1, escaped, len(buf) <= 64
			case '\\':
				if q == '"' && e+1 < len(v) && (v[e+1] == '\n' || v[e+1] == '\r') {
					// a line continued: "sys\<line break>tem" is "system"
					// (attack 50)
					e++
					if v[e] == '\r' && e+1 < len(v) && v[e+1] == '\n' {
						e++
					}
					escaped = true
					continue
				}
				var n int
				if buf, n = rubyEscape(buf, v[e+1:]); n == 0 {
					return buf, e, escaped, false
				}
				escaped, e = true, e+n
			case '#':
				// a global or an instance variable interpolated, nil or
				// "" when unset: "sy#$;stem", "sy#@x#{}stem" (attack 50)
				if q == '"' && e+2 < len(v) && (v[e+1] == '$' || v[e+1] == '@') {
					n := e + 2
					if v[e+1] == '@' && v[n] == '@' {
						n++
					}
					if n < len(v) && identByte(v[n], "") {
						n = identEnd(v, n)
					} else if v[e+1] == '$' && n < len(v) && v[n] != q {
						n++ // a special variable: $; $, $/ ...
					}
					escaped, e = true, n-1
					continue
				}
				// a literal interpolated: "#{:sys}tem", "#{"sys"}tem"
				// (attack 47)
				if q == '"' && e+2 < len(v) && v[e+1] == '{' && v[e+2] == '}' {
					escaped, e = true, e+2 // "sy#{}stem"
					continue
				}
				if q == '"' && e+2 < len(v) && v[e+1] == '{' {
					inner, ie, _, ok := rubyLiteral(v, e+2, buf)
					if !ok || ie >= len(v) || v[ie] != '}' {
						return buf, j, false, false
					}
					buf, escaped, e = inner, true, ie
					continue
				}
				buf = append(buf, v[e])
			default:
				buf = append(buf, v[e])
			}
		}
		return buf, j, false, false
	case c == '%' && j+2 < len(v):
		// %q[system], %Q(...), %[...], %(...) (attack 47)
		k := j + 1
		if v[k] == 'q' || v[k] == 'Q' {
			k++
		}
		if k >= len(v) || identByte(v[k], "") || v[k] <= ' ' {
			return buf, j, false, false
		}
		closer := rubyCloser(v[k])
		e := strings.IndexByte(v[k+1:min(len(v), k+1+64)], closer)
		if e < 0 {
			return buf, j, false, false
		}
		return append(buf, v[k+1:k+1+e]...), k + 1 + e + 1, true, true
	case c == ':':
		e := identEnd(v, j+1)
		return append(buf, v[j+1:e]...), e, false, e > j+1
	case c == '?' && j+1 < len(v) && v[j+1] > ' ':
		return append(buf, v[j+1]), j + 2, true, true
	case c >= '0' && c <= '9':
		n, e := 0, j
		for e < len(v) && e-j < 3 && v[e] >= '0' && v[e] <= '9' {
			n = n*10 + int(v[e]-'0')
			e++
		}
		if n < 128 && strings.HasPrefix(v[e:], ".chr") {
			return append(buf, byte(n)), e + len(".chr"), true, true
		}
	}
	return buf, j, false, false
}

// rubyEscape reads the escape after a backslash at the start of s: it
// appends the ASCII bytes it stands for to buf and says how many bytes of
// s it takes (0: none read). \u{73 79 73} stands for several
// characters (attack 50's open item).
func rubyEscape(buf []byte, s string) ([]byte, int) {
	if s == "" {
		return buf, 0
	}
	switch {
	case s[0] == 'x' && len(s) >= 3 && ishex(s[1]) && ishex(s[2]):
		return append(buf, unhex(s[1])<<4|unhex(s[2])), 3
	case s[0] == 'u' && len(s) >= 5 && s[1] == '0' && s[2] == '0' && ishex(s[3]) && ishex(s[4]):
		return append(buf, unhex(s[3])<<4|unhex(s[4])), 5
	case s[0] == 'u' && len(s) >= 4 && s[1] == '{':
		// \u{73} (attack 47), \u{73 79 73} (several, white space
		// between); up to 64 bytes of s read
		start, k := len(buf), 2
		for k < len(s) && k < 64 {
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k < len(s) && s[k] == '}' {
				if len(buf) == start {
					break
				}
				return buf, k + 1
			}
			n, d := 0, k
			for k < len(s) && k-d < 6 && ishex(s[k]) {
				n = n<<4 | int(unhex(s[k]))
				k++
			}
			if k == d || n >= 128 {
				break
			}
			buf = append(buf, byte(n))
		}
		return buf[:start], 0
	case s[0] >= '0' && s[0] <= '7':
		n, k := 0, 0
		for k < len(s) && k < 3 && s[k] >= '0' && s[k] <= '7' {
			n = n*8 + int(s[k]-'0')
			k++
		}
		return append(buf, byte(n)), k
	}
	return append(buf, s[0]), 1
}

// rubySlice is name[spec] for a spec of integers: a..b, a...b, a.., a,n
// or a (negative from the end).
func rubySlice(name []byte, spec string) ([]byte, bool) {
	num := func(s string) (int, bool) {
		s = strings.TrimSpace(s)
		n, err := strconv.Atoi(s)
		if n < 0 {
			n += len(name)
		}
		return n, err == nil && n >= 0 && n <= len(name)
	}
	var a, b int
	var ok1, ok2 bool
	switch {
	case strings.Contains(spec, "..."):
		p := strings.SplitN(spec, "...", 2)
		a, ok1 = num(p[0])
		b, ok2 = num(p[1])
	case strings.Contains(spec, ".."):
		p := strings.SplitN(spec, "..", 2)
		a, ok1 = num(p[0])
		if strings.TrimSpace(p[1]) == "" {
			b, ok2 = len(name), true
		} else if b, ok2 = num(p[1]); ok2 {
			b = min(b+1, len(name))
		}
	case strings.Contains(spec, ","):
		p := strings.SplitN(spec, ",", 2)
		a, ok1 = num(p[0])
		var n int
		n, ok2 = num(p[1])
		b = min(a+n, len(name))
	default:
		a, ok1 = num(spec)
		b, ok2 = a+1, true
	}
	if !ok1 || !ok2 || a > b || b > len(name) {
		return nil, false
	}
	return name[a:b], true
}

// rubySucc is Ruby's String#succ on a name of letters and digits, in
// place: the last one is incremented, a carry going left (az is ba).
func rubySucc(name []byte) {
	for x := len(name) - 1; x >= 0; x-- {
		switch c := name[x]; {
		case c == 'z':
			name[x] = 'a'
		case c == 'Z':
			name[x] = 'A'
		case c == '9':
			name[x] = '0'
		case c >= 'a' && c < 'z' || c >= 'A' && c < 'Z' || c >= '0' && c < '9':
			name[x]++
			return
		default:
			return
		}
	}
}

// joinedRubyName: from v[j] on, an optional bracket, then string literals
// joined by + or white space spell a command method's name:
// method("sys"+"tem"), send("sys" "tem", "id") (attack 29).
func joinedRubyName(v string, j int) bool {
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	var buf [32]byte
	n, _, ok := joinedLiterals(v, j, buf[:])
	return ok && n > 0 && slices.Contains(rubyNamedCommands, string(buf[:n]))
}

// rubyEvalString (at "eval"): eval, instance_eval, class_eval or
// module_eval with a string (joined by + or white space, its first
// evalWindow bytes) that holds a command method's name as a word, a
// backtick or %x: instance_eval "sys"+"tem 'id'" (attack 29). eval
// "1 + 2" passes.
func rubyEvalString(v string, i int) bool {
	start, e := i, i+len("eval")
	for _, p := range []string{"instance_", "class_", "module_"} {
		if i >= len(p) && v[i-len(p):i] == p {
			start = i - len(p)
		}
	}
	if !wordStart(v, start) || e >= len(v) || identByte(v[e], "") {
		return false
	}
	j := skipSpace(v, e)
	if j == e && v[e] != '(' {
		return false
	}
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	if j < len(v) && v[j] == '[' && rubyStatementStart(v, start) {
		return true // eval [115,121,...].pack("c*") (attack 32): code built from numbers
	}
	if j < len(v) && (v[j] == '%' || v[j] == '?' || v[j] == '"' || v[j] == '\'') {
		// escapes read (eval "\x73ystem 'id'", eval "\x60id\x60": attack
		// 49), % literals and character literals, joined by + or <<:
		// Open3.class_eval %q(pipeline "id") (attack 45),
		// instance_eval(%q{sys}+%q{tem "id"}), instance_eval(?`+"id"+?`)
		// (attack 47)
		var jb [64]byte
		if text, ok := rubyJoined(v, j, jb[:0]); ok && rubyBlockCommand(string(text), 0, moduleCommandMethods) {
			return true
		}
	}
	var buf [evalWindow]byte
	n, end, ok := joinedLiterals(v, j, buf[:])
	if n > 0 && ok && end > j && end+1 < len(v) && v[end] == '.' {
		// eval "c3lz...".unpack1("m") (attack 32): code decoded or
		// rewritten at run time; eval "x".length is not
		if _, ok := wordAt(v, end+1, rubyDecodeMethods...); ok {
			return true
		}
	}
	// Open3's methods too: Open3.instance_eval "capture2 'id'" (attack 45)
	return n > 0 && rubyBlockCommand(string(buf[:n]), 0, moduleCommandMethods)
}

// rubyAlias (at "alias"): alias x system, alias_method :x, :system,
// alias $x system: a command method given another name, called by it
// after (attack 32). The first rubyAliasWindow bytes after the word are
// read.
func rubyAlias(v string, i int) bool {
	e := i + len("alias")
	if strings.HasPrefix(v[e:], "_method") {
		e += len("_method")
	}
	if !wordStart(v, i) || e >= len(v) || identByte(v[e], "") {
		return false
	}
	w := v[e:min(len(v), e+rubyAliasWindow)]
	// the second name: after white space or a comma, as a word or a
	// symbol
	k := 0
	for n := 0; n < 2 && k < len(w); n++ {
		k = skipSpace(w, k)
		for k < len(w) && (w[k] == '(' || w[k] == ':' || w[k] == '$' || w[k] == '"' || w[k] == '\'') {
			k++
		}
		if n == 1 && k < len(w) && w[k] == '`' {
			return true // alias run ` (the backtick method)
		}
		s := k
		k = identEnd(w, k)
		if s == k {
			return false
		}
		if n == 1 {
			_, ok := wordAt(w, s, rubyNamedCommands...)
			return ok || strings.HasPrefix(w[s:], "`")
		}
		for k < len(w) && (w[k] == '"' || w[k] == '\'' || w[k] == ',' || w[k] == ' ' || w[k] == '\t') {
			k++
		}
	}
	return false
}

// rubyAliasWindow bounds what rubyAlias reads.
const rubyAliasWindow = 64

// rubyDecodeMethods decode or rewrite a string (rubyEvalString).
var rubyDecodeMethods = []string{"unpack1", "unpack", "reverse", "tr", "tr_s", "gsub", "sub", "delete", "swapcase", "downcase", "upcase",
	"capitalize", "encode", "force_encoding", "squeeze", "succ", "next", "chars", "scan", "each_char", "bytes"}

// evalWindow bounds what rubyEvalString reads of eval's string.
const evalWindow = 64

// rubyToProc (at "to_proc"): a command method's symbol made a proc
// (:system.to_proc, "system".to_sym.to_proc), which calls it on its
// first argument (:system.to_proc.call(Kernel, "id")).
func rubyToProc(v string, i int) bool {
	if _, ok := wordAt(v, i, "to_proc"); !ok || !receiverDot(v, i) {
		return false
	}
	k := identBefore(v, dotBefore(v, i))
	name := v[k:dotBefore(v, i)]
	if name == "to_sym" || name == "intern" {
		// a string made a symbol: "system".to_sym
		d := dotBefore(v, k)
		if d < 2 || v[d-1] != '"' && v[d-1] != '\'' {
			return false
		}
		lo := max(0, d-1-16) // "instance_eval" is the longest name
		q := strings.LastIndexByte(v[lo:d-1], v[d-1])
		if q < 0 {
			return false
		}
		q += lo
		e, ok := wordAt(v[:d-1], q+1, rubyNamedCommands...)
		return ok && e == d-1
	}
	if k == 0 || v[k-1] != ':' || k > 1 && v[k-2] == ':' {
		return false
	}
	for _, m := range rubyNamedCommands {
		if name == m {
			return true
		}
	}
	return false
}

// dotBefore is the index of the . or :: (its first byte) before v[i] over
// white space, or i when there is none; then the white space before it is
// skipped too, so v[:dotBefore] ends where the receiver does.
func dotBefore(v string, i int) int {
	j := i
	for j > 0 && (v[j-1] == ' ' || v[j-1] == '\t' || v[j-1] == '\n' || v[j-1] == '\r') {
		j--
	}
	switch {
	case j > 1 && v[j-2:j] == "::":
		j -= 2
	case j > 0 && v[j-1] == '.':
		j--
	default:
		return i
	}
	for j > 0 && (v[j-1] == ' ' || v[j-1] == '\t' || v[j-1] == '\n' || v[j-1] == '\r') {
		j--
	}
	return j
}

// identBefore is the index where the word (letters, digits, _) that ends
// at v[j] starts (j when there is none).
func identBefore(v string, j int) int {
	for j > 0 && identByte(v[j-1], "") {
		j--
	}
	return j
}

// kernelOddArgument (at "Kernel"): a command method of Kernel called in
// a way rule 210116 does not read: Kernel.m or Kernel::m with ?c (a
// character literal), * (a splat) or a heredoc as the argument,
// bracketed or not; a block run on Kernel (Kernel.then{...}); or Kernel
// reached so that 210116 does not see it as the receiver, then called
// with any argument: by safe navigation (Kernel&.system, attack 25),
// through methods that return it (Kernel.itself, .freeze, .dup, .clone,
// .then, .tap, with or without brackets, chained: attacks 24 and 26), in
// brackets ((Kernel).system), in an array ([Kernel].first, [Kernel][0])
// or by name (Object.const_get(:Kernel).system: attack 26). At most
// kernelSteps steps are read after each Kernel. Since attack 44 also
// Kernel.system, spawn or exec with an argument that is code
// (receiverCall: Kernel.system c after c = "id").
func kernelOddArgument(v string, i int, rs *rubyScan) bool {
	return oddReceiver(v, i, "Kernel", rubyCommandMethods, rs) || receiverCall(v, i, "Kernel", "system", "spawn", "exec")
}

// oddReceiver is kernelOddArgument for the module at v[i] and its
// command methods. Only Kernel's calls without a disguise are read (with
// an odd argument): Open3's, Process's, PTY's and IO's are other
// readings' (open3Call, receiverCall), and since attack 40 theirs are
// read disguised as Kernel's are (Open3.itself.capture2("id"),
// [Open3].first.capture2 "id", (PTY).spawn("id"), Process.dup.spawn("id")).
// A block of then or tap that calls none of the methods is skipped as
// one more step (Open3.to_s.then{Object.const_get _1}.capture2("id")).
func oddReceiver(v string, i int, module string, methods []string, rs *rubyScan) bool {
	if !wordStart(v, i) {
		return false
	}
	kernel := module == "Kernel"
	j, disguised := i+len(module), false
	for step := 0; step < kernelSteps; step++ {
		j = skipSpace(v, j)
		if j >= len(v) {
			return false
		}
		switch c := v[j]; {
		case c == ')' || c == ']' || c == '"' || c == '\'':
			// (Kernel), [Kernel], const_get("Kernel")
			j, disguised = j+1, true
			continue
		case c == '[':
			// [Kernel][0], [Kernel][-1]
			k := j + 1
			for k < len(v) && k-j < 4 && (v[k] == '-' || v[k] >= '0' && v[k] <= '9') {
				k++
			}
			if k == j+1 || k >= len(v) || v[k] != ']' {
				return false
			}
			j, disguised = k+1, true
			continue
		case c == '`' && step == 0:
			return false
		}
		k, ok := methodDot(v, j)
		if !ok {
			return false
		}
		if strings.HasPrefix(v[j:], "&.") {
			disguised = true // Kernel&.system "id" (attack 25)
		}
		if strings.HasPrefix(v[k:], "`") {
			return true // Kernel.`("id")
		}
		if blockAfter(v, k, rs) {
			// Kernel.then{_1.system "id"}, Kernel.instance_eval{`id`}:
			// a block run with Kernel as its receiver or argument
			return true
		}
		if b, ok := selfBlock(v, k); ok {
			// a block of then or tap that calls none of the methods,
			// then a command method on what it returned
			// (Open3.to_s.then{Object.const_get _1}.capture2("id")):
			// wherever the block ends (attack 44 padded it past a window)
			return rs.closerCallAfter(v, b)
		}
		if e, ok := symbolBlock(v, k); ok {
			j, disguised = e, true // Open3.then(&:itself) (attack 44)
			continue
		}
		if e, ok := sendSelf(v, k); ok {
			// Process.send(:itself).spawn "id", PTY.send(:then){_1}
			// (attack 45)
			if b := skipSpace(v, e); b < len(v) && v[b] == '{' {
				return rs.closerCallAfter(v, b)
			}
			j, disguised = e, true
			continue
		}
		if e, ok := wordAt(v, k, moduleSelfMethods...); ok {
			// Kernel.itself, Kernel.freeze(): Kernel still
			e = skipSpace(v, e)
			if strings.HasPrefix(v[e:], "()") {
				e += 2
			}
			j, disguised = e, true
			continue
		}
		e, ok := wordAt(v, k, methods...)
		if !ok {
			return false
		}
		if disguised {
			return commandArgument(v, e)
		}
		if !kernel {
			return false
		}
		e = skipSpace(v, e)
		if e < len(v) && v[e] == '(' {
			e = skipSpace(v, e+1)
		}
		return e < len(v) && v[e] == '*' || e+1 < len(v) && (v[e] == '?' && v[e+1] > ' ' || v[e] == '<' && v[e+1] == '<')
	}
	return false
}

// blockAfter: at v[k] a method that runs a block with its receiver as
// self or as the argument (kernelBlockMethods: then, tap, instance_eval),
// then the block, { or do, and a command method is called after the
// block opens (rubyScan.callAfter: a backtick, %x, or one of
// moduleCommandMethods called): Kernel.then { |k| k.puts "hi" } passes
// (attack 27's false positives), and a name in a string is text
// (Kernel.tap { puts "system ready" }: attack 28's); Kernel.then{_1.system
// "id"} does not. Until attack 44 the block's first 256 bytes were read,
// skipping strings: 300 spaces, a long comment or a ?" (a character
// literal that opened a "string") before the call passed; where the
// block ends cannot be told without parsing Ruby (a } in a string), so
// the rest of the value is read, once.
func blockAfter(v string, k int, rs *rubyScan) bool {
	e, ok := wordAt(v, k, kernelBlockMethods...)
	if !ok {
		return false
	}
	b := skipSpace(v, e)
	if b < len(v) && v[b] == '{' {
		return rs.callAfter(v, b+1)
	}
	if d, ok := wordAt(v, b, "do"); ok {
		return rs.callAfter(v, d)
	}
	return false
}

// rubyScan is what the block readings learn of a value, read once when
// first asked (so that a value of many blocks costs one read of it):
// where its last command call stands (lastRubyCall) and its last bracket
// that a command call follows (lastCloserCall).
type rubyScan struct {
	calls, closers       bool // read yet
	lastCall, lastCloser int  // -1: none
}

// callAfter: a command method is called at or after v[j].
func (s *rubyScan) callAfter(v string, j int) bool {
	if !s.calls {
		s.calls, s.lastCall = true, lastRubyCall(v)
	}
	return s.lastCall >= j
}

// closerCallAfter: at or after v[j] a ) or } is followed by a call of a
// command method on what it closes (closerCall).
func (s *rubyScan) closerCallAfter(v string, j int) bool {
	if !s.closers {
		s.closers, s.lastCloser = true, -1
		for c := len(v) - 1; c >= 0; c-- {
			if (v[c] == ')' || v[c] == '}') && closerCall(v, c, s) {
				s.lastCloser = c
				break
			}
		}
	}
	return s.lastCloser >= j
}

// closerCall: after the bracket at v[c], a command method is called,
// after methods that return their receiver (moduleSelfMethods, at most
// kernelSteps), or a block handed what it closes calls one
// ((Object.const_get :Open3).capture2("id"), const_get(...).then{...}).
func closerCall(v string, c int, s *rubyScan) bool {
	j := c + 1
	for range kernelSteps {
		m, ok := methodDot(v, skipSpace(v, j))
		if !ok {
			return false
		}
		if blockAfter(v, m, s) {
			return true
		}
		if e, ok := wordAt(v, m, moduleCommandMethods...); ok {
			return commandArgument(v, e)
		}
		e, ok := wordAt(v, m, moduleSelfMethods...)
		if !ok {
			return false
		}
		if j = skipSpace(v, e); strings.HasPrefix(v[j:], "()") {
			j += 2
		}
	}
	return false
}

// lastRubyCall is the index of v's last backtick, %x, or call of one of
// moduleCommandMethods (rubyCallAt), or -1.
func lastRubyCall(v string) int {
	last := -1
	for k := 0; k < len(v); {
		c := v[k]
		if c == '`' || c == '%' && k+1 < len(v) && v[k+1] == 'x' {
			last, k = k, k+1
			continue
		}
		if !identByte(c, "") {
			k++
			continue
		}
		e := identEnd(v, k)
		// the names are 4 to 14 bytes and start with one of these
		if n := e - k; n >= 4 && n <= 14 && strings.IndexByte("sepfiocmg_", c) >= 0 && slices.Contains(moduleCommandMethods, v[k:e]) && rubyCallAt(v, k, e) {
			last = k
		}
		k = e
	}
	return last
}

// rubyCallAt: the method's name at v[k:e] is called or named as a
// method: after a dot (_1.system, a leading dot on the next line), ::
// or : (a symbol: send(:system)), in quotes of its own ("system"), or
// bare at a statement's start with an argument (system "id"). Not a word
// of text: puts "system ready", "the end. system".
func rubyCallAt(v string, k, e int) bool {
	if k > 0 && (v[k-1] == '.' || v[k-1] == ':') {
		return true
	}
	if k > 0 && (v[k-1] == '"' || v[k-1] == '\'') && e < len(v) && v[e] == v[k-1] {
		return true
	}
	b := k
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t' || v[b-1] == '\n' || v[b-1] == '\r') {
		b--
	}
	if b > 0 && v[b-1] == '.' && strings.ContainsAny(v[b:k], "\n\r") {
		return true // a trailing dot: _1.\n system "id"
	}
	return rubyStatementStart(v, k) && rubyArgumentStart(v, e)
}

// rubyBlockCommand: the text from v[j] (its first blockWindow bytes)
// holds one of names (command methods) as a word, a backtick or %x,
// outside strings (a string that eval runs: rubyEvalString).
func rubyBlockCommand(v string, j int, names []string) bool {
	w := v[j:min(len(v), j+blockWindow)]
	if strings.IndexByte(w, '`') >= 0 || strings.Contains(w, "%x") {
		return true
	}
	for k := 0; k < len(w); {
		if w[k] == '"' || w[k] == '\'' {
			// a word in a string is text: Kernel.tap { puts "system
			// ready" } (attack 28's false positive)
			if e := strings.IndexByte(w[k+1:], w[k]); e >= 0 {
				k += e + 2
				continue
			}
		}
		if !identByte(w[k], "") {
			k++
			continue
		}
		e := identEnd(w, k)
		// the names are 4 to 14 bytes and start with one of these
		if n := e - k; n >= 4 && n <= 14 && strings.IndexByte("sepfiocmg_", w[k]) >= 0 && slices.Contains(names, w[k:e]) {
			return true
		}
		k = e
	}
	return false
}

// blockWindow bounds what rubyBlockCommand reads of a block.
const blockWindow = 256

// moduleAsValue is a reading (at the module's name) of Kernel (or Open3,
// Process, PTY) taken as a value (after =, [, (, , or |: k=Kernel,
// [Kernel].each{|k| ...}) in a value that calls a command method on some
// receiver with an argument (k.system "id", k.spawn("id"),
// o.capture2("id")): attack 27 reached Kernel through a local variable
// and a block's parameter, attack 40 Open3, Process and PTY. The value
// is scanned for the call once, at the first such name.
func moduleAsValue(module string) func(v string, i int) bool {
	return func(v string, i int) bool { return asValue(v, i, module) }
}

// asValue: the module's name at v[i] is a value (moduleAsValue).
func asValue(v string, i int, module string) bool {
	if !wordStart(v, i) || i+len(module) < len(v) && identByte(v[i+len(module)], "") {
		return false
	}
	if a := skipSpace(v, i+len(module)); strings.HasPrefix(v[a:], "=>") {
		return true // Open3 => m (rightward assignment: attack 42)
	} else if _, ok := wordAt(v, a, "in"); ok && a > i+len(module) {
		return true // Open3 in m, case Open3; in m (pattern matching: attack 43)
	}
	b := blanksBefore(v, i)
	for b > 0 && (v[b-1] == ';' || v[b-1] == '\n') {
		b = blanksBefore(v, b-1) // begin; Open3; end (attack 42)
	}
	if b == 0 {
		return false
	}
	switch c := v[b-1]; {
	case c == '=':
		return b < 2 || v[b-2] != '=' // not x == Kernel
	case strings.IndexByte("[(,|{?", c) >= 0:
		// [Kernel], (k=Kernel), {Open3 => 1}, then{Open3}, c ? Open3 : x
		return true
	case c == '>':
		return b >= 2 && v[b-2] == '=' // {"k"=>PTY}
	case c == ':':
		// a hash's or a keyword argument's value: {a: Open3},
		// OpenStruct.new(o: Open3) (attack 41)
		k := identBefore(v, b-1)
		if k == b-1 {
			return false
		}
		k = blanksBefore(v, k)
		return k > 0 && strings.IndexByte("{(,[", v[k-1]) >= 0
	}
	// begin Open3 end.capture2("id") (attack 41)
	w := identBefore(v, b)
	_, ok := wordAt(v, w, "begin", "then", "else", "do", "return", "break", "next", "case")
	return ok && w < b
}

// kernelCommandCall: v calls a command method of Kernel, Open3, Process
// or PTY on a receiver, with an argument (moduleAsValue's second half;
// one scan of v).
func kernelCommandCall(v string) bool {
	return eachAt(v, ".", func(v string, d int) bool {
		k := skipSpace(v, d+1)
		e, ok := wordAt(v, k, valueCommandMethods...)
		return ok && commandArgument(v, e)
	})
}

// valueCommandMethods are the command methods kernelCommandCall reads.
var valueCommandMethods = append([]string{"system", "spawn", "exec", "syscall", "getpty"}, open3Methods...)

// bareRubyCommand (at "system", "spawn" or "exec"): Ruby's command
// method called without a receiver and without brackets, with a string
// (system "id", ->(){system "id"}.(), loop{exec 'id'}, x;spawn "id",
// self.system "id", Process.wait spawn "id"): the CRS reads system( with
// a bracket only, 210116 Kernel's (attack 27). The name must start a
// statement (the value's start, or after ; { ( | = , a line break, do,
// then, else, begin, self. or a method's name after a dot) and the
// string must close: "the system "Linux"" passes. The false-positive
// risk: a search for the words system, spawn or exec then a quoted
// phrase.
func bareRubyCommand(v string, i int) bool {
	var name string
	for _, n := range []string{"system", "spawn", "exec"} {
		if strings.HasPrefix(v[i:], n) {
			name = n
		}
	}
	e := i + len(name)
	if !wordStart(v, i) || e >= len(v) || !receiverDot(v, i) && !rubyStatementStart(v, i) {
		return false
	}
	if name == "spawn" && beamSpawn(v, e) {
		return false // Erlang's and Elixir's spawn: a process, no command
	}
	// after any receiver too (attack 46: Object.ancestors[1].system "id",
	// method(:puts).owner.system "id" reach Kernel so that no reading
	// of Kernel sees it; the CRS's 933160 reads .system( with a bracket
	// on any receiver)
	return rubyCommandArgument(v, e)
}

// beamSpawn: the bracket after spawn at v[e] holds what Erlang's and
// Elixir's spawn take (a function, fun ... / fn ->, a macro ?MODULE, or
// a module, a function and its arguments as three words: spawn(Mod, Fun,
// Args), spawn(echo, loop, [])), not Ruby's command: attack 63's false
// positives (spawn(fun() -> loop() end), pid = spawn(fn -> ... end)).
func beamSpawn(v string, e int) bool {
	a := skipSpace(v, e)
	if a >= len(v) || v[a] != '(' {
		return false
	}
	a = skipSpace(v, a+1)
	if a+2 < len(v) && v[a] == '?' && v[a+1] >= 'A' && v[a+1] <= 'Z' && identEnd(v, a+1) > a+2 {
		return true // ?MODULE (not Ruby's character literal, ?i)
	}
	w := identEnd(v, a)
	if n := v[a:w]; (n == "fun" || n == "fn") && (w == len(v) || !identByte(v[w], "")) {
		return true
	}
	// three arguments, the first two bare words
	for x := 0; x < 2; x++ {
		w = identEnd(v, a)
		if w == a {
			return false
		}
		a = skipSpace(v, w)
		if a >= len(v) || v[a] != ',' {
			return false
		}
		a = skipSpace(v, a+1)
	}
	c := strings.IndexAny(v[a:min(len(v), a+langCallWindow)], ",)")
	return c > 0 && v[a+c] == ')'
}

// rubyCommandArgument: after a Ruby command method's name, which ends at
// v[e], an argument follows that is code, not a word of prose: a string
// that closes the statement or goes on as an expression, a bracket and
// an argument, %, ?, *, [, a heredoc, a variable (a global, instance or
// class one, or a local one assigned before), an assignment, a symbol's,
// a number's or a constant's method, a block, a lambda, an element of a
// hash or an array (bareRubyCommand's argument; since attack 44 also a
// receiver's: Open3.capture2 c after c = "id").
func rubyCommandArgument(v string, e int) bool {
	if e >= len(v) {
		return false // the name ends the value (FuzzCodeCall: "(Kernel.system")
	}
	switch v[e] {
	case ' ', '\t', '"', '\'', '`': // system"id" too (attack 29)
	case '(':
		// spawn("id"), pid=spawn("id") (attack 29): the CRS reads
		// system( only; a bracket left open is a search (`"os.system("
		// python`: attack 49)
		return argumentAfter(v, e) && callCloses(v, e)
	default:
		return false
	}
	a := skipSpace(v, e)
	if a >= len(v) {
		return false
	}
	switch q := v[a]; q {
	case '"', '\'', '`':
		// the string must end the statement (or be followed by more
		// arguments, a modifier or rescue) or go on as an expression:
		// "system "maintenance" is scheduled" passes (attack 28's false
		// positives), system "id" or 1, system "i"+"d", system
		// "di".reverse, system "id" # note do not (attack 29's)
		if a == e && strings.HasPrefix(v[a:], "'s ") {
			return false // the system's clock
		}
		k := strings.IndexByte(v[a+1:min(len(v), a+1+256)], q)
		if k <= 0 || q != '`' && capitalisedText(v[a+1:a+1+k]) {
			return false // spawn "Shadow": a search (attack 29)
		}
		return rubyStatementEnd(v, a+1+k+1) || rubyStringGoesOn(v, a+1+k+1)
	case '%', '?', '*', '[':
		return a+1 < len(v) && v[a+1] > ' '
	case '<':
		return heredocAt(v, a) // "Open3.capture2 << 2 is no heredoc" passes
	case '$', '@':
		// a global, instance or class variable: $c="id";system $c
		// (attack 29), @@c (attack 31)
		b := a + 1
		if b < len(v) && v[b] == '@' {
			b++
		}
		n := identEnd(v, b)
		return n > b && rubyStatementEnd(v, n)
	case '(':
		// spawn ("id") (attack 31: the CRS reads system ( and exec ( only)
		k := skipSpace(v, a+1)
		return k < len(v) && (v[k] == '"' || v[k] == '\'')
	case '/':
		// a regular expression's text: system /id/.source (attack 32)
		k := strings.IndexByte(v[a+1:min(len(v), a+1+64)], '/')
		return k > 0 && a+k+3 < len(v) && v[a+k+2] == '.' && identByte(v[a+k+3], "")
	case '-', '+', '~':
		// a string's unary operator: system -"id" (attack 30); a lambda
		// called: system ->{"id"}.() (attack 32)
		// (attack 44: -> { "id" }.call, with spaces)
		if strings.HasPrefix(v[a:], "->") {
			k := skipSpace(v, a+2)
			return k < len(v) && (v[k] == '{' || v[k] == '(')
		}
		return a+1 < len(v) && (v[a+1] == '"' || v[a+1] == '\'')
	case ':':
		// a symbol made a string: system :id.to_s (attack 30), a
		// quoted one (system :"id".to_s), a constant from the top
		// (system ::Kernel.format("id")): attack 45
		if a+2 < len(v) && v[a+1] == ':' && v[a+2] >= 'A' && v[a+2] <= 'Z' {
			return true
		}
		if a+1 < len(v) && (v[a+1] == '"' || v[a+1] == '\'') {
			k := strings.IndexByte(v[a+2:min(len(v), a+2+256)], v[a+1])
			return k >= 0 && a+2+k+2 < len(v) && v[a+2+k+1] == '.' && identByte(v[a+2+k+2], "")
		}
		n := identEnd(v, a+1)
		return n > a+1 && n+1 < len(v) && v[n] == '.' && identByte(v[n+1], "")
	}
	if v[a] >= '0' && v[a] <= '9' {
		// a number's method: system 105.chr+100.chr (attack 30)
		n := a
		for n < len(v) && v[n] >= '0' && v[n] <= '9' {
			n++
		}
		return n+1 < len(v) && v[n] == '.' && identByte(v[n+1], "") && (v[n+1] < '0' || v[n+1] > '9')
	}
	// a variable assigned before (c="id";system c, |c| system c,
	// cmd = ...\nsystem cmd: attack 28)
	n := identEnd(v, a)
	if n > a {
		// an assignment as the argument: system c="id" (attack 29)
		if q := skipSpace(v, n); q+1 < len(v) && v[q] == '=' && strings.IndexByte("=~>", v[q+1]) < 0 {
			return true
		}
		if slices.Contains(rubySelfWords, v[a:n]) && rubyStatementEnd(v, n) {
			return true
		}
		if n < len(v) && v[n] == '{' {
			return true // system proc{"id"}.call (attack 32)
		}
		if k := skipSpace(v, n); (v[a:n] == "proc" || v[a:n] == "lambda") && k < len(v) && v[k] == '{' {
			return true // system proc {"id"}.call
		}
		if (v[a:n] == "nil" || v[a:n] == "true" || v[a:n] == "false" || v[a:n] == "self") && n+1 < len(v) && v[n] == '.' {
			return true // system nil.to_s+"id" (attack 32)
		}
		if n < len(v) && v[n] == '(' && slices.Contains(rubyConversions, v[a:n]) {
			return true // system Array("id")[0] (attack 44)
		}
		if k := skipSpace(v, n); k < len(v) && (v[k] == '"' || v[k] == '\'' || v[k] == '(') &&
			(slices.Contains(rubyConversions, v[a:n]) || v[a:n] == "sprintf" || v[a:n] == "format") {
			return true // system sprintf "id", system String "id" (attack 45)
		}
		if k := skipSpace(v, n); v[a:n] == "begin" && k < len(v) && (v[k] == '"' || v[k] == '\'' || v[k] == ';' || k > n && v[k-1] == '\n') {
			return true // system begin "id" end (attack 45)
		}
		if v[a] >= 'A' && v[a] <= 'Z' && n+1 < len(v) && (v[n] == '.' || v[n] == ':' && v[n+1] == ':') {
			// a constant's method: system String.new("id"),
			// system Object.new.then{"id"}, system Hash.new, "id"
			// (attack 31); "system Windows.old" passes
			m := n + 1
			if v[n] == ':' {
				m++
			}
			e := identEnd(v, m)
			return e > m && e < len(v) && strings.IndexByte("({.,", v[e]) >= 0
		}
	}
	if n > a && n < len(v) && v[n] == '[' {
		// an element of a hash or an array: system ENV["C"],
		// exec ARGV[0], system params[:cmd] (attack 28's open item)
		k := strings.IndexByte(v[n+1:min(len(v), n+1+64)], ']')
		return k > 0 && rubyStatementEnd(v, n+1+k+1)
	}
	return n > a && rubyStatementEnd(v, n) && rubyAssigned(v, a, v[a:n])
}

// commandArgument: after a receiver's command method (Open3.capture2,
// Process.spawn, o.capture2, const_get(...).spawn), which ends at v[e],
// an argument: one that rubyArgumentStart or rubyCommandArgument reads,
// or laxArgument's.
func commandArgument(v string, e int) bool {
	if j := skipSpace(v, e); j < len(v) && v[j] == '(' {
		// Kernel.spawn() and Open3.capture2 (see the docs) pass
		return argumentAfter(v, e) && (j == e || !proseBracket(v, j))
	}
	return rubyArgumentStart(v, e) || rubyCommandArgument(v, e) || laxArgument(v, e)
}

// laxArgument: after a receiver's command method, which ends at v[e],
// white space and an argument that prose does not start so (attack 45
// passed 40 such spellings that bare system's reading did not take):
// ::Kernel.format("id"), a quoted symbol (:"id".to_s), a bracket that is
// not a parenthesis of prose ((true ? "id" : 0), ((x))), a block, &:sym,
// begin, defined?(...), __method__, a variable with a sigil assigned
// (@c = "id"), or a word followed by a call's bracket, an index, a
// method (__method__.to_s, sprintf("id")), an assignment, or a string or
// a symbol after a space (sprintf "id", String "id", format :x). "Open3.capture2
// returns stdout", "Process.spawn 2 children", "Open3.capture2 (see the
// docs)" and "e.g." pass; "Open3.capture2 with "git" args" would not.
// Receivers only: bare system's argument is rubyCommandArgument's, as
// system is a word of prose.
func laxArgument(v string, e int) bool {
	if e >= len(v) || v[e] != ' ' && v[e] != '\t' {
		return false
	}
	a := e
	for a < len(v) && (v[a] == ' ' || v[a] == '\t') {
		a++
	}
	if a >= len(v) {
		return false
	}
	switch c := v[a]; {
	case c == ':':
		return a+1 < len(v) && (v[a+1] == ':' || v[a+1] == '"' || v[a+1] == '\'' || identByte(v[a+1], ""))
	case c == '(':
		return !proseBracket(v, a)
	case c == '{':
		return true
	case c == '&':
		return a+1 < len(v) && (v[a+1] == ':' || identByte(v[a+1], ""))
	case c == '@' || c == '$':
		for a < len(v) && (v[a] == '@' || v[a] == '$') {
			a++ // @c = "id", $c = "id" (attack 45)
		}
		n := identEnd(v, a)
		q := skipSpace(v, n)
		return n > a && q+1 < len(v) && v[q] == '=' && strings.IndexByte("=~>", v[q+1]) < 0
	case c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z'):
		return false
	}
	n := identEnd(v, a)
	if w := v[a:n]; w == "begin" || w == "defined" || w == "lambda" || w == "proc" || strings.HasPrefix(w, "__") {
		return true
	}
	if n < len(v) {
		switch v[n] {
		case '(', '[', '{', '"', '\'', '`':
			return true
		case '.':
			return n+1 < len(v) && identByte(v[n+1], "") && n-a > 1 // e.g. and i.e. are prose
		case ':':
			return n+1 < len(v) && v[n+1] == ':'
		case '=':
			return n+1 == len(v) || strings.IndexByte("=~>", v[n+1]) < 0
		}
	}
	k := n
	for k < len(v) && (v[k] == ' ' || v[k] == '\t') {
		k++
	}
	if k == n || k >= len(v) {
		return false
	}
	switch v[k] {
	case '"', '\'', '`':
		return true // sprintf "id", String "id"
	case ':':
		return k+1 < len(v) && (v[k+1] == '"' || v[k+1] == '\'' || identByte(v[k+1], ""))
	case '=':
		return k+1 < len(v) && strings.IndexByte("=~>", v[k+1]) < 0 // c = "id"
	}
	return false
}

// proseBracket: the bracket at v[a] holds words of prose (letters, white
// space, commas, dots, apostrophes, dashes) and closes within 64 bytes:
// "(see the docs)", "(deprecated)".
func proseBracket(v string, a int) bool {
	for k := a + 1; k < len(v) && k-a < 64; k++ {
		switch c := v[k]; {
		case c == ')':
			return k > a+1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ' ' || c == ',' || c == '.' || c == '\'' || c == '-':
		default:
			return false
		}
	}
	return false
}

// rubyConversions are Kernel's conversion methods, named as classes are:
// Array("id") is ["id"], String(:id) "id".
var rubyConversions = []string{"Array", "String", "Integer", "Float", "Hash", "Rational", "Complex"}

// rubyStringGoesOn: after a string at v[j:], over spaces and tabs, an
// expression goes on with it: or, and, a comment, +, *, %, [, ||, &&, a
// method (.reverse) or another string ("i" "d"): attack 29.
func rubyStringGoesOn(v string, j int) bool {
	j = skipSpace(v, j)
	if j >= len(v) {
		return false
	}
	switch v[j] {
	case '#', '+', '*', '%', '[', '"', '\'':
		return true
	case '?':
		// a ternary: system "id" ? "id" : 0 (attack 31)
		return j+1 < len(v) && (v[j+1] == ' ' || v[j+1] == '"' || v[j+1] == '\'')
	case '.':
		// a method, by name or an operator's (.reverse, .+ "d", .<< "d":
		// attack 30)
		return j+1 < len(v) && (identByte(v[j+1], "") && (v[j+1] < '0' || v[j+1] > '9') || strings.IndexByte("+-*/%<>=!&|^~[", v[j+1]) >= 0)
	case '|':
		return j+1 < len(v) && v[j+1] == '|'
	case '&':
		return j+1 < len(v) && (v[j+1] == '&' || v[j+1] == '.') // &. (attack 30)
	case '<':
		return j+1 < len(v) && v[j+1] == '<' // << "d" (attack 30)
	case ':':
		return j+1 < len(v) && v[j+1] == ':' // ::strip (attack 30)
	}
	// or, and before what goes on as Ruby: system "id" or 1, and
	// break, or exit (exec "summary" and system "overview" attached is
	// prose: attack 33's false positive)
	if k, ok := wordAt(v, j, "or", "and"); ok {
		k = skipSpace(v, k)
		if k == len(v) || strings.IndexByte("0123456789\"'(!:[{-", v[k]) >= 0 {
			return true
		}
		_, ok = wordAt(v, k, "break", "next", "exit", "exit!", "abort", "raise", "nil", "true", "false", "return", "redo", "retry", "puts", "p", "sleep", "fail")
		return ok
	}
	return false
}

// capitalisedText: s (a string's text) starts with a capital and holds
// only letters, digits, spaces and , . ' - ! ?: a title or a name, no
// command (Linux's are lowercase; a shell's would need ; | & $ = / or
// the like): spawn "Shadow", exec "Summary" pass. On a case-insensitive
// file system (macOS) "Id" could run id: the risk taken.
func capitalisedText(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !identByte(c, "") && strings.IndexByte(" ,.'-!?", c) < 0 || c == '_' {
			return false
		}
	}
	return true
}

// rubyStatementEnd: at v[j:], over spaces and tabs, the statement ends
// (the value's end, ; } ) or a line break), more arguments follow (,),
// or a modifier (if, unless, rescue).
func rubyStatementEnd(v string, j int) bool {
	for j < len(v) && (v[j] == ' ' || v[j] == '\t') {
		j++
	}
	if j == len(v) || strings.IndexByte(";})\n\r,", v[j]) >= 0 {
		return true
	}
	if e, ok := wordAt(v, j, "end"); ok {
		// begin system "id" end (attack 30); "begin system "upgrade"
		// end of year sale" passes
		e = skipSpace(v, e)
		return e == len(v) || strings.IndexByte(";})\n\r.", v[e]) >= 0
	}
	_, ok := wordAt(v, j, "if", "unless", "rescue", "do", "while", "until")
	return ok // system "id" do end (attack 30)
}

// rubyAssigned: in the lookBack bytes before v[i], name is assigned
// (name = ..., not ==) or is a block's parameter (|name|).
func rubyAssigned(v string, i int, name string) bool {
	back := v[max(0, i-lookBack):i]
	return eachAt(back, name, func(b string, k int) bool {
		e := k + len(name)
		if !wordStart(b, k) || e < len(b) && identByte(b[e], "") {
			return false
		}
		if k > 0 && b[k-1] == '|' && e < len(b) && b[e] == '|' {
			return true
		}
		// a parameter (def f(c), ->(c, d)), a for loop's variable (for c
		// in), a regular expression's named group ((?<c>...)): attack 31
		p := k
		for p > 0 && (b[p-1] == ' ' || b[p-1] == '\t') {
			p--
		}
		if q := skipSpace(b, e); p > 0 && q < len(b) && (b[p-1] == '(' || b[p-1] == ',') && (b[q] == ')' || b[q] == ',') {
			return true
		}
		if p < k && strings.HasSuffix(b[:p], "for") && wordStart(b, p-3) || k >= 3 && b[k-3:k] == "(?<" && e < len(b) && b[e] == '>' {
			return true
		}
		// a parameter of a method defined without brackets (def r c;
		// system c end: attack 44)
		if w := identBefore(b, p); p < k && w < p {
			d := w
			for d > 0 && (b[d-1] == ' ' || b[d-1] == '\t') {
				d--
			}
			if d < w && d >= 3 && b[d-3:d] == "def" && wordStart(b, d-3) {
				return true
			}
		}
		// "id" => c (rightward assignment), in c (a pattern), -> c { (a
		// lambda's parameter): attack 32
		if p >= 2 && (b[p-2:p] == "=>" || b[p-2:p] == "->") || p < k && strings.HasSuffix(b[:p], "in") && wordStart(b, p-2) {
			return true
		}
		if q := skipSpace(b, e); q+2 < len(b) && (b[q:q+3] == "||=" || b[q:q+3] == "&&=" || b[q+1] == '=' && strings.IndexByte("+-*/<", b[q]) >= 0 && b[q:q+2] != "<=") {
			return true // c ||= "id", c += "d" (attack 32)
		}
		e = skipSpace(b, e)
		if e < len(b) && b[e] == ',' {
			// c, = ["id"]; c, d = "id", 1 (attack 31): a list before =
			// on the same line
			for f := e; f < len(b) && f-e < 64 && b[f] != '\n' && b[f] != ';'; f++ {
				if b[f] == '=' {
					return f+1 == len(b) || b[f+1] != '=' && b[f+1] != '~'
				}
			}
			return false
		}
		return e < len(b) && b[e] == '=' && (e+1 == len(b) || b[e+1] != '=' && b[e+1] != '~')
	})
}

// rubySelfWords name the receiver or a block's own parameter: as the
// argument of a bare command they are its string ("id".then{system _1},
// "id".instance_eval{system self}: attack 31).
var rubySelfWords = []string{"_1", "_2", "it", "self", "to_s", "to_str", "dup", "itself", "clone", "inspect"}

// rubyStatementStart: v[i] starts a statement (bareRubyCommand), or
// stands after one of rubyValueMethods that does (puts system "id"; at
// most 4 of them: puts p puts system ...).
func rubyStatementStart(v string, i int) bool {
	for range 4 {
		w, ok, more := rubyStatementStartOnce(v, i)
		if !more {
			return ok
		}
		i = w
	}
	return false
}

// rubyStatementStartOnce: v[i] starts a statement (ok); or, when more,
// v[i] stands after one of rubyValueMethods at v[w], which may.
func rubyStatementStartOnce(v string, i int) (w int, ok, more bool) {
	b := i
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
		b--
	}
	if b == 0 || strings.IndexByte(";{(|=,\n\r!&", v[b-1]) >= 0 {
		return 0, true, false // also !system "id", x && system "id" (attack 30)
	}
	if v[b-1] == ')' && strings.Contains(v[max(0, b-64):b], "def ") {
		return 0, true, false // def f(c) system c end (attack 31)
	}
	if b >= 5 && v[b-5:b] == "self." {
		return 0, true, false
	}
	w = identBefore(v, b)
	if w == b {
		return 0, false, false
	}
	switch v[w:b] {
	case "do", "then", "else", "begin",
		// true and system "id", not system "id", 1 if system "id"
		// (attack 30)
		"and", "or", "not", "if", "unless", "while", "until", "elsif", "when":
		return 0, true, false
	}
	if slices.Contains(rubyValueMethods, v[w:b]) && (w == 0 || v[w-1] != '.') {
		return w, false, true // puts system "id" (attack 30)
	}
	return 0, w > 0 && v[w-1] == '.', false // Process.wait spawn "id"
}

// constGetCommand (at "const_get"): a constant looked up by a name made
// at run time, then a command method called on it with an argument:
// Object.const_get("Ker"+"nel").system "id",
// Object.const_get(%w[Ker nel].join).spawn("id") (attack 28's open
// item; a plain const_get(:Kernel) is kernelOddArgument's). Whatever the
// bracket holds: a constant with a command method, if it is not Kernel,
// is IO, Process or PTY, which run one too. Since attack 44 (a comment
// in the bracket past its 128 bytes, a string holding a ")") the
// bracket is not matched: any ) or } after const_get that a command call
// follows (rubyScan.closerCallAfter), read once per value.
// Object.const_get(name).new(x) passes. A block handed the constant is
// read as moduleOdd reads one.
func constGetCommand(v string, i int, rs *rubyScan) bool {
	return wordStart(v, i) && rs.closerCallAfter(v, i)
}

// moduleCommandMethods are the command methods of Kernel, IO, Process,
// PTY and Open3, which a block handed one of them may call.
var moduleCommandMethods = append(append([]string{"getpty"}, rubyCommandMethods...), open3Methods...)

// moduleOdd is oddReceiver as a reading (at the module's name) of a
// module that runs commands (Open3, Process, PTY, IO) with all of their
// command methods: handed to a block that calls one (Open3.then{_1.capture2
// "id"}, Open3.then{|o| o.capture2e "id"}, Process.tap{_1.wait
// _1.spawn("id")}: attack 39; 210116 and the readings of a call read
// Module.method only) or disguised (attack 40). Process.then { _1.pid }
// passes.
func moduleOdd(module string, rs *rubyScan) func(v string, i int) bool {
	return func(v string, i int) bool { return oddReceiver(v, i, module, moduleCommandMethods, rs) }
}

// kernelSteps bounds what kernelOddArgument reads after each Kernel:
// brackets, indexes and methods that return Kernel, then the call.
const kernelSteps = 8

// moduleSelfMethods return their receiver (or a copy of it, or its only
// element: [Kernel].first), so that a command method called on the
// result is Kernel's (or Open3's...); to_s and name are a module's name,
// which a block after may look up again (attack 40).
var moduleSelfMethods = []string{"itself", "then", "tap", "yield_self", "freeze", "dup", "clone", "first", "last", "sample", "min", "max", "to_s", "name"}

// selfBlock: at v[k] then, tap or yield_self and a block in braces,
// which opens at v[b].
func selfBlock(v string, k int) (b int, ok bool) {
	e, ok := wordAt(v, k, "then", "tap", "yield_self")
	if !ok {
		return k, false
	}
	b = skipSpace(v, e)
	return b, b < len(v) && v[b] == '{'
}

// sendSelf: at v[k] send, public_send or __send__ of one of
// moduleSelfMethods as a symbol or a string (send(:itself)), or method
// of one then called (method(:itself).call, .(), [] ); e is after it.
func sendSelf(v string, k int) (e int, ok bool) {
	name, ok := wordAt(v, k, "send", "public_send", "__send__", "method", "public_method")
	if !ok {
		return k, false
	}
	b := skipSpace(v, name)
	if b >= len(v) || v[b] != '(' {
		return k, false
	}
	s := skipSpace(v, b+1)
	if s < len(v) && (v[s] == ':' || v[s] == '"' || v[s] == '\'') {
		s++
	}
	w, ok := wordAt(v, s, moduleSelfMethods...)
	if !ok {
		return k, false
	}
	if w < len(v) && (v[w] == '"' || v[w] == '\'') {
		w++
	}
	if e = skipSpace(v, w); e >= len(v) || v[e] != ')' {
		return k, false
	}
	e++
	if strings.HasSuffix(v[k:name], "method") {
		// then called: .call, .(), [], .()
		c := skipSpace(v, e)
		switch {
		case strings.HasPrefix(v[c:], ".call"):
			e = c + len(".call")
		case strings.HasPrefix(v[c:], ".()"):
			return c + 3, true
		case strings.HasPrefix(v[c:], "[]"):
			return c + 2, true
		default:
			return k, false
		}
		if c = skipSpace(v, e); strings.HasPrefix(v[c:], "()") {
			e = c + 2
		}
	}
	return e, true
}

// symbolBlock: at v[k] then, tap or yield_self with a symbol's block
// (then(&:itself), tap(&:freeze)), which returns the receiver: e is
// after its bracket.
func symbolBlock(v string, k int) (e int, ok bool) {
	e, ok = wordAt(v, k, "then", "tap", "yield_self")
	if !ok {
		return k, false
	}
	if e = skipSpace(v, e); !strings.HasPrefix(v[e:], "(") {
		return k, false
	}
	if e = skipSpace(v, e+1); !strings.HasPrefix(v[e:], "&:") {
		return k, false
	}
	n := identEnd(v, e+2)
	if n == e+2 {
		return k, false
	}
	if e = skipSpace(v, n); e < len(v) && v[e] == ')' {
		return e + 1, true
	}
	return k, false
}

// methodDot: at v[j] a method call's . or :: or &. (white space after
// it); k is where the method's name starts.
func methodDot(v string, j int) (k int, ok bool) {
	switch {
	case strings.HasPrefix(v[j:], "."):
		j++
	case strings.HasPrefix(v[j:], "&."):
		j += 2
	case strings.HasPrefix(v[j:], "::"):
		j += 2
	default:
		return j, false
	}
	return skipSpace(v, j), true
}

// rubyArgumentStart: after white space from v[j], a call's argument
// starts: a bracket, a quote, a backtick, %, ?, *, [ or a heredoc (<<).
func rubyArgumentStart(v string, j int) bool {
	j = skipSpace(v, j)
	return j < len(v) && (strings.IndexByte("(\"'`%?*[", v[j]) >= 0 || heredocAt(v, j))
}

// kernelBlockMethods take a block that Kernel is the receiver (self) or
// the argument of.
var kernelBlockMethods = []string{"then", "tap", "yield_self", "instance_eval", "instance_exec", "class_eval", "class_exec", "module_eval", "module_exec"}

// receiverMethod: the word receiver at v[i] starts a word and is
// followed by . or :: (white space around them); j is where the method's
// name starts.
func receiverMethod(v string, i int, receiver string) (j int, ok bool) {
	if !wordStart(v, i) {
		return i, false
	}
	return methodDot(v, skipSpace(v, i+len(receiver)))
}

// ptyCall (at "PTY"): PTY.spawn or PTY.getpty (or ::), then an argument
// that starts with a quote, %, ?, *, [ or a backtick.
func ptyCall(v string, i int) bool { return receiverCall(v, i, "PTY", "spawn", "getpty") }

// open3Call (at "Open3"): Open3's command methods (capture2, popen3,
// pipeline...) with such an argument (attack 23: Open3.capture2(?i+?d),
// Open3.capture2(*["id"])), in brackets any argument (attack 33:
// Open3.capture2(c)), without them an argument that is code (attack 44:
// Open3.capture2 c after c = "id"); "Open3.capture2 docs" passes. And
// Open3's send or method with any argument.
func open3Call(v string, i int) bool {
	if receiverCall(v, i, "Open3", open3Methods...) {
		return true
	}
	// send and method with any name (attack 44's open item: a block's
	// parameter, [:capture2].each{Open3.send(_1,"id")}, a name joined at
	// run time): Open3's methods all run commands
	j, ok := receiverMethod(v, i, "Open3")
	if !ok {
		return false
	}
	if j, ok = wordAt(v, j, "send", "public_send", "__send__", "method", "public_method"); !ok {
		return false
	}
	return argumentAfter(v, j) || j < len(v) && (v[j] == ' ' || v[j] == '\t') && rubyCommandArgument(v, j)
}

// anyOpen3Call (at "capture" or "pipeline_"): one of Open3's command
// methods but pipeline (a word of prose) called on any receiver with an
// argument that is code: Marshal.load("...Op"+"en3").capture2 "id"
// (attack 46: Open3 made from a string no reading follows).
func anyOpen3Call(v string, i int) bool {
	if !receiverDot(v, i) {
		return false
	}
	e, ok := wordAt(v, i, open3Methods...)
	if !ok || v[i:e] == "pipeline" {
		return false
	}
	if e < len(v) && v[e] == '`' && strings.LastIndexByte(v[:i], '`') >= 0 {
		return false // Markdown's inline code
	}
	return commandArgument(v, e)
}

// pyCodeRunner (at "timeit", "Timer" or "run"): Python's functions that
// run a string as code without exec or eval, timeit.timeit, timeit.Timer,
// cProfile.run, profile.run, pdb.run and code's runsource, runcode and
// runctx, given string literals (joined by + or side by side) that hold
// code this rule refuses (attack 50: timeit.timeit("import o""s;o""s.sys""tem('id')")).
// The literals' first evalWindow bytes are read, as eval's are.
func pyCodeRunner(v string, i int) bool {
	start, end := i, identEnd(v, i)
	for start > 0 && identByte(v[start-1], "") {
		start--
	}
	switch name := v[start:end]; name {
	case "timeit", "Timer", "runsource", "runcode":
	case "run", "runctx", "runcall":
		d := dotBefore(v, start)
		if d == start {
			return false
		}
		if m := v[identBefore(v, d):d]; m != "cProfile" && m != "profile" && m != "pdb" {
			return false
		}
	default:
		return false
	}
	j := skipSpace(v, end)
	if j >= len(v) || v[j] != '(' {
		return false
	}
	j = skipSpace(v, j+1)
	if strings.HasPrefix(v[j:], "stmt") {
		j = skipSpace(v, j+len("stmt")) // timeit(stmt="...")
		if j < len(v) && v[j] == '=' {
			j = skipSpace(v, j+1)
		}
	}
	if j < len(v) && stringPrefix(v, j) {
		j++ // r"...", also rb: the prefix's letters
		if j < len(v) && v[j] != '"' && v[j] != '\'' {
			j++
		}
	}
	var buf [evalWindow]byte
	n, _, _ := joinedLiterals(v, j, buf[:])
	return n > 0 && codeCall(string(buf[:n]))
}

// hiddenCommandName: v holds a command method's or function's name
// (rubyNamedCommands, commandDecorators, the backtick) written so that
// no word of it shows, the ways attack 47 wrote system to hand it to
// send or method: a number in base 2 to 36 (1751504350.to_s(36),
// 0x73797374656d.to_s(16) then packed), the name's bytes as a list of
// numbers ([115,121,115,116,101,109].pack("U*"), Python's
// bytes([...]).decode()), or its hex digits ("73797374656d", packed
// with H*, bytes.fromhex). Each is decoded and compared: a value reads
// its digits once, and only a value with such a call (to_s(, pack,
// fromhex, bytes(, chr) is read.
func hiddenCommandName(v string) bool {
	radix := strings.Contains(v, ".to_s(")
	if !radix && !strings.Contains(v, "pack") && !strings.Contains(v, "fromhex") && !strings.Contains(v, "bytes(") && !strings.Contains(v, "chr") && !strings.Contains(v, "unhexlify") {
		return false
	}
	var buf [64]byte
	var hexBuf [32]byte
	var radices [4]int // the bases of the value's first .to_s(base) calls
	if radix {
		n := 0
		for off := 0; n < len(radices); {
			i := strings.Index(v[off:], ".to_s(")
			if i < 0 {
				break
			}
			r, e := 0, off+i+len(".to_s(")
			for e < len(v) && r < 100 && v[e] >= '0' && v[e] <= '9' {
				r = r*10 + int(v[e]-'0')
				e++
			}
			if r >= 2 && r <= 36 && !slices.Contains(radices[:n], r) {
				radices[n] = r
				n++
			}
			off = e
		}
	}
	for k := 0; k < len(v); k++ {
		c := v[k]
		if c < '0' || c > '9' || k > 0 && identByte(v[k-1], "") {
			continue
		}
		// a number: decimal, or 0x hex
		e, base := k, 10
		if c == '0' && k+1 < len(v) && (v[k+1] == 'x' || v[k+1] == 'X') {
			e, base = k+2, 16
		}
		s := e
		for e < len(v) && e-s < 20 && (base == 10 && v[e] >= '0' && v[e] <= '9' || base == 16 && ishex(v[e])) {
			e++
		}
		if radix && e-s >= 4 {
			// any number of 4 digits or more, in each base the value
			// names with .to_s(base): Integer("1751504350").to_s(36),
			// [1751504350].each{send(_1.to_s(36), ...)} (attack 47)
			if n, err := strconv.ParseUint(v[s:e], base, 64); err == nil {
				for _, r := range radices {
					if r > 0 && commandName(strconv.AppendUint(buf[:0], n, r)) {
						return true
					}
					if r == 16 && hexName(strconv.AppendUint(hexBuf[:0], n, 16), buf[:0]) {
						return true // 0x73797374656d.to_s(16), then packed with H*
					}
				}
			}
		}
		// a list of byte values: 115,121,115,...
		if base == 10 && k > 0 && (v[k-1] == '[' || v[k-1] == '(') {
			b := buf[:0]
			x := k
			for len(b) < 16 {
				y, n := x, 0
				for y < len(v) && y-x < 3 && v[y] >= '0' && v[y] <= '9' {
					n = n*10 + int(v[y]-'0')
					y++
				}
				if y == x || n < 32 || n > 126 {
					break
				}
				b = append(b, byte(n))
				if y = skipSpace(v, y); y >= len(v) || v[y] != ',' {
					break
				}
				x = skipSpace(v, y+1)
			}
			if len(b) >= 1 && commandName(b) {
				return true
			}
		}
		k = max(k, e-1)
	}
	// hex digits in quotes: "73797374656d"
	for k := 0; k < len(v); k++ {
		if v[k] != '"' && v[k] != '\'' {
			continue
		}
		e := k + 1
		for e < len(v) && e-k <= 33 && ishex(v[e]) {
			e++
		}
		if e < len(v) && v[e] == v[k] && e-k-1 >= 2 && hexName([]byte(v[k+1:e]), buf[:0]) {
			return true
		}
		k = e - 1
	}
	return false
}

// hexName: h, hex digits, spells a command's name.
func hexName(h []byte, buf []byte) bool {
	if len(h)%2 != 0 || len(h)/2 > cap(buf) {
		return false
	}
	for i := 0; i < len(h); i += 2 {
		buf = append(buf, unhex(h[i])<<4|unhex(h[i+1]))
	}
	return commandName(buf)
}

// commandName: n is a Ruby command method's name, a Python command
// function's, or the backtick (compared without a copy).
func commandName(n []byte) bool {
	if string(n) == "`" {
		return true
	}
	for _, c := range rubyNamedCommands {
		if string(n) == c {
			return true
		}
	}
	for _, c := range commandDecorators {
		if string(n) == c {
			return true
		}
	}
	return false
}

// ctypesLookup: a value that loads a C library through ctypes (CDLL,
// cdll, PyDLL, LoadLibrary) names one of the C library's command
// functions in a string (joined by + or side by side): attack 47's
// ctypes.CDLL(None)["system"](b"id"), ctypes.cdll["libc.so.6"]["sys"+"tem"],
// .__getitem__("system"), l["execlp"]; getattr's is pyGetattr's.
func ctypesLookup(v string) bool {
	if !strings.Contains(v, "DLL") && !strings.Contains(v, "dll") && !strings.Contains(v, "LoadLibrary") {
		return false
	}
	var buf [evalWindow]byte
	for k := 0; k < len(v); k++ {
		if v[k] != '"' && v[k] != '\'' {
			continue
		}
		n, end, _ := joinedLiterals(v, k, buf[:])
		if slices.Contains(cCommandFunctions, string(buf[:n])) {
			return true
		}
		k = max(k, end-1)
	}
	return false
}

// cCommandFunctions are the C library's functions that run a command.
var cCommandFunctions = []string{"system", "popen", "execl", "execlp", "execle", "execv", "execvp", "execvpe", "execve", "posix_spawn", "posix_spawnp", "fexecve"}

// pyBrowser (at "Browser"): Python's webbrowser.GenericBrowser or
// BackgroundBrowser made with an argument, a command that its open runs
// (attack 46: webbrowser.GenericBrowser(["id"]).open("x"), also through
// an alias of the module or imported by name).
func pyBrowser(v string, i int) bool {
	s := i
	for _, p := range []string{"Generic", "Background"} {
		if i >= len(p) && v[i-len(p):i] == p {
			s = i - len(p)
		}
	}
	return s < i && wordStart(v, s) && argumentAfter(v, i+len("Browser"))
}

// open3Methods are Open3's methods that run a command.
var open3Methods = []string{"capture2", "capture2e", "capture3", "popen2", "popen2e", "popen3",
	"pipeline", "pipeline_r", "pipeline_w", "pipeline_rw", "pipeline_start"}

// ioPipe (at "IO"): IO.read, readlines, foreach, binread, write or
// binwrite with a path made at run time that starts a command: a pipe in
// a string, escaped or built ("\x7cid", "\174id", "|"+"id", ["|","id"].join,
// 124.chr+"id": attack 34; rule 210151 reads the literal "|id"), in the
// first pipeWindow bytes after the bracket. IO.read(path) passes.
func ioPipe(v string, i int) bool {
	j, ok := receiverMethod(v, i, "IO")
	if !ok {
		return false
	}
	if j, ok = wordAt(v, j, "read", "readlines", "foreach", "binread", "write", "binwrite"); !ok {
		return false
	}
	j = skipSpace(v, j)
	if j >= len(v) || v[j] != '(' && v[j] != '"' && v[j] != '\'' && v[j] != '[' {
		return false
	}
	return pipeInWindow(v, j)
}

// kernelOpenPipe (at "open"): Kernel's open, bare or as Kernel.open,
// with a pipe made at run time in its first pipeWindow bytes, as ioPipe
// reads IO.read's: open("|" "id"), open(124.chr+"id") (attack 37; the
// literal "|id" is rule 210151's); URI.open too (attack 46). File.open
// and obj.open pass: only Kernel's open (and open-uri's) runs a command.
func kernelOpenPipe(v string, i int) bool {
	e := i + len("open")
	if !wordStart(v, i) || e < len(v) && identByte(v[e], "") {
		return false
	}
	// URI too: open-uri's URI.open hands a string that is no URL to
	// Kernel's open (attack 46's URI.open("|"+"id"))
	if receiverDot(v, i) && !kernelReceiver(v, i) && !namedReceiver(v, i, "URI") {
		return false
	}
	j := skipSpace(v, e)
	if j >= len(v) || v[j] != '(' && v[j] != '"' && v[j] != '\'' {
		return false
	}
	return pipeInWindow(v, j)
}

// pipeInWindow: the pipeWindow bytes from v[j] hold a pipe made at run
// time: in a string, escaped or built ("\x7cid", "\174id", "|"+"id",
// 124.chr+"id", ?|).
func pipeInWindow(v string, j int) bool {
	w := v[j:min(len(v), j+pipeWindow)]
	return strings.Contains(w, `"|`) || strings.Contains(w, `'|`) || strings.Contains(w, `\x7c`) || strings.Contains(w, `\x7C`) ||
		strings.Contains(w, `\174`) || strings.Contains(w, `\u007c`) || strings.Contains(w, `124.chr`) || strings.Contains(w, `?|`)
}

// pipeWindow bounds what ioPipe reads.
const pipeWindow = 64

// rubyVMCompile (at "InstructionSequence"): RubyVM::InstructionSequence's
// compile (or new, compile_file, load_from_binary) with an argument: code
// compiled to be run by .eval, as eval runs it (attack 33).
func rubyVMCompile(v string, i int) bool {
	j, ok := receiverMethod(v, i, "InstructionSequence")
	if !ok {
		return false
	}
	if j, ok = wordAt(v, j, "compile", "new", "compile_file", "compile_prism", "load_from_binary"); !ok {
		return false
	}
	return argumentAfter(v, j) || rubyArgumentStart(v, j) && j < len(v) && v[j] == ' '
}

// receiverCall: receiver.m or receiver::m at v[i], m one of methods, then
// an argument (bracketed or not) that starts with a quote, %, ?, *, [ or
// a backtick; for Ruby's modules also a bracket and any argument
// (Process.spawn(c)) or an argument without brackets that is code
// (rubyCommandArgument: Open3.capture2 c after c = "id", PTY.spawn
// c="id", IO.popen 105.chr+100.chr: attack 44). Python's pty (the
// receiver "pty") needs a bracket: pty.spawn(c) is a forum's example.
func receiverCall(v string, i int, receiver string, methods ...string) bool {
	j, ok := receiverMethod(v, i, receiver)
	if !ok {
		return false
	}
	j, ok = wordAt(v, j, methods...)
	if !ok {
		return false
	}
	if j < len(v) && v[j] == '`' && i > 0 && v[i-1] == '`' {
		return false // Markdown's inline code: "call `Open3.capture2` or ..." (attack 46)
	}
	if receiver != "pty" && j < len(v) && commandArgument(v, j) {
		return true
	}
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	// or a heredoc (Open3.capture2 <<E: attack 41)
	return j < len(v) && strings.IndexByte("'\"%?*[`", v[j]) >= 0 || heredocAt(v, j)
}

// bracketedBacktick (at a backtick): a command in backticks as a value
// in brackets, which Ruby runs: x = (`id`), p(`id`), puts [`id`].first
// (attack 42's open item; the CRS and rule 210151 read a backtick after
// a separator). The bracket must stand where code has one: right after
// a word (a call's), or after =, a comma, another bracket, |, ;, =>, a
// printing or returning word (puts, p, return) or at the value's start;
// and the closing backtick (within 256 bytes, on the same line) must be
// followed by ), ], ., + or a comma; what is inside must start as a
// command does (a name, a path, a variable, a quote). Markdown's "a flag
// (`--force`) that" passes: a bracket after a word and a space.
func bracketedBacktick(v string, i int) bool {
	b := i
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
		b--
	}
	if b == 0 || v[b-1] != '(' && v[b-1] != '[' {
		return false
	}
	e := strings.IndexByte(v[i+1:min(len(v), i+1+256)], '`')
	if e <= 0 || strings.ContainsAny(v[i+1:i+1+e], "\n\r") {
		return false
	}
	// a command starts so: a name, a path, a variable, a quote; R's
	// operators in backticks (Map(`+`, 1:3), sapply(x, `%in%`, y):
	// attack 60) do not
	if c := v[skipSpace(v, i+1)]; !identByte(c, "/.$\\~'\"") {
		return false
	}
	if a := skipSpace(v, i+1+e+1); a < len(v) && strings.IndexByte(").],+", v[a]) < 0 {
		return false
	}
	o := b - 1 // the bracket
	if o > 0 && identByte(v[o-1], "") {
		return true // p(`id`), x[`id`]
	}
	p := o
	for p > 0 && (v[p-1] == ' ' || v[p-1] == '\t') {
		p--
	}
	if p == 0 || strings.IndexByte("=,([{|;>", v[p-1]) >= 0 {
		return true
	}
	w := identBefore(v, p)
	return w < p && slices.Contains(rubyValueMethods, v[w:p]) && (w == 0 || v[w-1] != '.')
}

// backtickHeredoc: v holds a heredoc whose word is in backticks (<<`E`,
// <<~`E`, <<-`E`), which Ruby runs as a shell command (attack 42: x =
// <<`E`\nid\nE passed).
func backtickHeredoc(v string) bool {
	for _, h := range []string{"<<`", "<<~`", "<<-`"} {
		if i := strings.Index(v, h); i >= 0 && i+len(h) < len(v) && identByte(v[i+len(h)], "") {
			return true
		}
	}
	return false
}

// open3Included: a value that includes, extends or prepends a module
// (the word include, extend or prepend) and calls one of Open3's command
// methods bare with an argument (include Open3; capture2("id"): attack
// 42; include(Open3), Object.send(:include, Open3): attack 43). Since
// attack 44 whatever is included: an expression that yields Open3
// (include(*[Open3]), include [Open3].first, m = Open3; include m,
// include Object.const_get(:Open3)) is Open3 as much as its name, and a
// bare capture2("id") runs nothing otherwise. pipeline, an English word,
// counts only in a value that names Open3 ("we include a pipeline
// "deploy" step" passes). Read once per value: attack 44's 16 KB of
// "include Open3 " over and over cost 121 ms when each include read the
// value again.
func open3Included(v string) bool {
	if !includeWord(v, "include") && !includeWord(v, "extend") && !includeWord(v, "prepend") {
		return false
	}
	named := strings.Contains(v, "Open3")
	for _, m := range open3Methods {
		if (named || m != "pipeline") && eachAt(v, m, func(v string, k int) bool { return wordStart(v, k) && argumentAfterName(v, k+len(m)) }) {
			return true
		}
	}
	return false
}

// includeWord: v holds word as a whole word.
func includeWord(v, word string) bool {
	return strings.Contains(v, word) && eachAt(v, word, func(v string, k int) bool {
		e := k + len(word)
		return wordStart(v, k) && (e == len(v) || !identByte(v[e], ""))
	})
}

// argumentAfterName: after a method's name ending at v[e], a call's
// argument: a bracket, a quote, a heredoc...
func argumentAfterName(v string, e int) bool {
	if e < len(v) && identByte(v[e], "") {
		return false
	}
	return commandArgument(v, e) // capture2 sprintf("id") too (attack 45)
}

// heredocAt: a heredoc starts at v[j]: <<, <<- or <<~, then its word or
// a quote.
func heredocAt(v string, j int) bool {
	if !strings.HasPrefix(v[j:], "<<") {
		return false
	}
	j += 2
	if j < len(v) && (v[j] == '-' || v[j] == '~') {
		j++
	}
	return j < len(v) && (identByte(v[j], "") && (v[j] < '0' || v[j] > '9') || v[j] == '\'' || v[j] == '"' || v[j] == '`')
}

// asyncioShell (at "subprocess_"): asyncio's create_subprocess_shell
// or create_subprocess_exec, or an event loop's subprocess_shell or
// subprocess_exec (after a dot or a quote: loop.subprocess_shell(...),
// getattr(loop, "subprocess_exec")(...)), called (callAfter: also through
// getattr(asyncio, "create_subprocess_shell")(...)).
func asyncioShell(v string, i int) bool {
	start := i
	if i >= len("create_") && v[i-len("create_"):i] == "create_" {
		start = i - len("create_")
	} else if i == 0 || v[i-1] != '"' && v[i-1] != '\'' && !receiverDot(v, i) {
		return false
	}
	if !wordStart(v, start) {
		return false
	}
	j, ok := wordAt(v, skipConcat(v, i+len("subprocess_")), "shell", "exec")
	if !ok {
		return false
	}
	if start < i && importedHere(v, start) {
		return true // from asyncio import create_subprocess_shell as c
	}
	_, ok = callAfter(v, j)
	return ok
}

// skipConcat skips, from v[j], what joins two string literals into one
// name (getattr(asyncio, "create_subprocess_" "shell"), "__imp"+"ort__"):
// quotes, + and white space, at most 8 bytes.
func skipConcat(v string, j int) int {
	for k := j; k < len(v) && k-j < 8; k++ {
		if c := v[k]; c != '"' && c != '\'' && c != '+' && c != ' ' && c != '\t' {
			return k
		}
	}
	return j
}

// starFunctions are the names a star import of a command module gives
// that importedCall reads (the commandFunction names).
var starFunctions = slices.Concat(commandDecorators, moduleCommands, moreModuleCommands)

// inImport: the statement of v[i] (from the line's start or a ;, at
// most lookBack bytes before i) has the word import before i.
func inImport(v string, i int) bool {
	lo := max(0, i-lookBack)
	back := v[lo:i]
	return hasImport(back[max(strings.LastIndexByte(back, '\n'), strings.LastIndexByte(back, ';'))+1:])
}

// lookBack bounds how far inImport and importedHere read back from a
// name for the import statement it stands in: without it, a long line
// of names cost a read of the line for each (BenchmarkCodeCall's
// "create_" read 2.4 MB/s, "imported names" 0.9).
const lookBack = 256

// hasImport: s has the word import.
func hasImport(s string) bool {
	return eachAt(s, "import", func(l string, k int) bool {
		_, ok := wordAt(l, k, "import")
		return ok && wordStart(l, k)
	})
}

// importedHere: the line of v[i] has the word import before i (from
// asyncio import create_subprocess_shell as c: attack 24).
func importedHere(v string, i int) bool {
	back := v[max(0, i-lookBack):i]
	return hasImport(back[strings.LastIndexByte(back, '\n')+1:])
}

// joinedImport (at "__imp"): __import__, also spelled as string
// literals joined (__builtins__.__dict__["__imp" "ort__"],
// getattr(__builtins__, "__imp"+"ort__"): attack 24), then the call
// (pythonImport).
func joinedImport(v string, i int) bool {
	const name = "__import__"
	j, n := i, 0
	for n < len(name) && j < len(v) {
		if v[j] == name[n] {
			j, n = j+1, n+1
			continue
		}
		k := skipConcat(v, j)
		if k == j {
			return false
		}
		j = k
	}
	return n == len(name) && (j == len(v) || !identByte(v[j], "")) && pythonImport(v, j)
}

// callAfter: from v[j] on, over white space, up to four closing quotes
// and brackets (the name's own: getattr(__builtins__,"__import__")(...),
// (__import__)(...), vars(__builtins__)["__import__"](...)) and an
// optional .__call__, a call's bracket opens; k is the index after it.
func callAfter(v string, j int) (k int, ok bool) {
	for n := 0; n < 4; n++ {
		j = skipSpace(v, j)
		if j >= len(v) || strings.IndexByte(`)]"'`, v[j]) < 0 {
			break
		}
		j++
	}
	j = skipSpace(v, j)
	if strings.HasPrefix(v[j:], ".__call__") {
		j = skipSpace(v, j+len(".__call__"))
	}
	if j < len(v) && v[j] == '(' {
		return j + 1, true
	}
	return j, false
}

// commandDecorators are the functions commandDecorator reads, after an
// optional module and a dot.
var commandDecorators = []string{"system", "exec", "eval", "popen", "getoutput", "getstatusoutput", "check_output", "check_call", "Popen",
	"spawnl", "spawnlp", "spawnv", "spawnvp", "execl", "execlp", "execv", "execvp", "execve"}

// commandDecorator: a chain of decorator lines (blank and comment lines
// between them allowed) that ends at a def or class line holds a command
// function (decoratorCommand), in a value of more than one line. A line
// that starts with @ and is not followed by a definition (a list of
// mentions, "cc:\n@system\n@ops-team") is no decorator (attack 23 had
// that refused).
func commandDecorator(v string, l *lazyAliases) bool {
	inChain, hit := false, false
	depth, joined := 0, false // an expression that goes on past its line
	for rest := v; rest != ""; {
		var line string
		line, rest = nextLine(rest)
		j := skipSpace(line, 0)
		switch {
		case inChain && (depth > 0 || joined):
			// a decorator over lines: in brackets (@(\n system\n)) or
			// joined by a backslash (@\ then system): attack 26
			if !hit {
				hit = decoratorCommand(line, j, l.get(v))
			}
			depth, joined = bracketDepth(line, j, depth)
		case j < len(line) && line[j] == '@':
			if !inChain {
				inChain, hit = true, false
			}
			if !hit {
				hit = decoratorCommand(line, j+1, l.get(v))
			}
			depth, joined = bracketDepth(line, j+1, 0)
		case j >= len(line) || line[j] == '#':
		default:
			if inChain && hit && pythonDefinition(line, j) {
				return true
			}
			inChain = false
		}
	}
	return false
}

// bracketDepth: the bracket depth after line[j:], from depth before it
// (brackets in string literals and comments not counted; at most
// maxDepth), and whether the line ends in a backslash that joins the next
// to it.
func bracketDepth(line string, j, depth int) (int, bool) {
	for k := j; k < len(line); k++ {
		switch c := line[k]; c {
		case '(', '[', '{':
			depth = min(depth+1, maxDepth)
		case ')', ']', '}':
			depth = max(depth-1, 0)
		case '"', '\'':
			end := strings.IndexByte(line[k+1:], c)
			if end < 0 {
				return depth, false
			}
			k += end + 1
		case '#':
			return depth, false
		}
	}
	return depth, strings.HasSuffix(line, "\\")
}

// maxDepth bounds the bracket depth bracketDepth counts.
const maxDepth = 64

// decoratorModules are the modules whose command functions
// commandDecorators names.
var decoratorModules = []string{"os", "subprocess", "pty", "posix", "nt", "commands"}

// pythonDefinition: line[j:] starts a Python definition: def, async def
// or class, a name, then ( (or : after a class's name). "class of 2024
// reunion" after a list of mentions is none (attack 24).
func pythonDefinition(line string, j int) bool {
	k, ok := wordAt(line, j, "async")
	if ok {
		j = skipSpace(line, k)
	}
	isClass := false
	if k, ok = wordAt(line, j, "def"); !ok {
		if k, ok = wordAt(line, j, "class"); !ok {
			return false
		}
		isClass = true
	}
	n := skipSpace(line, k)
	e := identEnd(line, n)
	if e == n || n == k {
		return false
	}
	e = skipSpace(line, e)
	return e < len(line) && (line[e] == '(' || isClass && line[e] == ':')
}

// decoratorCommand: the decorator expression at line[j:] (after the @)
// names a command function: a name of commandDecorators or an alias of
// one (from os import system as s), bare or after a module or module
// alias and a dot, anywhere in the expression outside string literals
// and comments, and not as a keyword argument's name (@system,
// @os.popen, @(system), @system # x, @o.system after import os as o;
// Python 3.9's any expression, attack 24: @[system][0], @(s:=system),
// @system if 1 else 0, @os.system or 0). @app.route("/system") and
// @mock.patch("os.system") name it in a string; @pytest.mark.system
// after another name's dot; @system.setter, @system.command() and
// @exec.register an attribute of the user's own object named so
// (attack 25's false positives). Since attack 25 also a name in a string
// with getattr, vars or __dict__ (@getattr(os,'system')), and
// @subprocess.run, @subprocess.call, @pty.spawn.
func decoratorCommand(line string, j int, al *pyAliases) bool {
	prev, dotted := "", false // the word before, and a dot since it
	named, reflect := false, false
	for k := j; k < len(line); {
		c := line[k]
		switch {
		case c == '#':
			return named && reflect
		case c == '"' || c == '\'':
			end := strings.IndexByte(line[k+1:], c)
			if end < 0 {
				return named && reflect
			}
			// a command's name as a string, to getattr, vars(os)[...],
			// os.__dict__[...] (attack 25)
			named = named || slices.Contains(commandDecorators, line[k+1:k+1+end])
			k += end + 2
			prev, dotted = "", false
		case identByte(c, "") && !(c >= '0' && c <= '9'):
			e := identEnd(line, k)
			w := line[k:e]
			after := skipSpace(line, e)
			keyword := after < len(line) && line[after] == '=' && (after+1 == len(line) || line[after+1] != '=')
			module := dotted && (slices.Contains(decoratorModules, prev) || al.has(al.mods[:al.nm], prev))
			// @system.setter: an attribute of the user's own object;
			// not after a command module (@os.system.__call__: attack
			// 26) nor .__call__
			attribute := after < len(line) && line[after] == '.' && !module && !strings.HasPrefix(line[skipSpace(line, after+1):], "__call__")
			reflect = reflect || slices.Contains(reflectionNames, w)
			if !keyword && !attribute {
				if (!dotted || module) && slices.Contains(commandDecorators, w) || !dotted && al.has(al.funcs[:al.nf], w) ||
					module && slices.Contains(moduleCommands, w) {
					return true
				}
			}
			prev, dotted, k = w, false, e
		case c == '.':
			dotted = prev != ""
			k++
		case c == ' ' || c == '\t':
			k++
		case c >= '0' && c <= '9':
			prev, dotted, k = "", false, identEnd(line, k) // a number: 0x1f, 1e3
		default:
			prev, dotted = "", false
			k++
		}
	}
	return named && reflect
}

// reflectionNames turn a string into an attribute: with one, a command
// function's name in a string names the function.
var reflectionNames = []string{"getattr", "vars", "__dict__", "__getattribute__", "attrgetter", "globals", "locals"}

// moduleCommands are command functions too generic to read bare
// (@run), read after their module (@subprocess.run, @pty.spawn).
var moduleCommands = []string{"run", "call", "spawn", "startfile"}

// identEnd is the index after the word (letters, digits, _) at v[j].
func identEnd(v string, j int) int {
	for j < len(v) && identByte(v[j], "") {
		j++
	}
	return j
}

// pyAliases are the names a value's imports give the command modules
// (import os as o) and functions (from os import system as s,
// parenthesised over lines too), up to 8 of each: substrings of the
// value, no allocation.
type pyAliases struct {
	mods, funcs [8]string
	nm, nf      int
	star        bool // from os import *: every command function by its name
}

func (a *pyAliases) has(names []string, n string) bool { return n != "" && slices.Contains(names, n) }

// collect reads v's import lines.
func (a *pyAliases) collect(v string) {
	inBrackets := false
	for rest := v; rest != ""; {
		var line string
		line, rest = nextLine(rest)
		// statements after a ; too (import sys; import os as o:
		// attack 26)
		for stmt := range strings.SplitSeq(line, ";") {
			inBrackets = a.statement(stmt, inBrackets)
		}
	}
}

// statement reads one import statement, or a line of a from-import's
// brackets (inBrackets); it says whether those brackets go on.
func (a *pyAliases) statement(line string, inBrackets bool) bool {
	j := skipSpace(line, 0)
	items := line
	if !inBrackets && a.assignment(line, j) {
		return false
	}
	if !inBrackets {
		if k, ok := wordAt(line, j, "import"); ok {
			for item := range strings.SplitSeq(line[k:], ",") {
				if name, alias, ok := asAlias(item); ok && slices.Contains(decoratorModules, name) && a.nm < len(a.mods) && !a.has(a.mods[:a.nm], alias) {
					a.mods[a.nm] = alias
					a.nm++
				}
			}
			return false
		}
		k, ok := wordAt(line, j, "from")
		if !ok {
			return false
		}
		k = skipSpace(line, k)
		e := identEnd(line, k)
		fromCommands := slices.Contains(decoratorModules, line[k:e])
		for e < len(line) && (line[e] == '.' || identByte(line[e], "")) {
			e++
		}
		if k, ok = wordAt(line, skipSpace(line, e), "import"); !ok || !fromCommands {
			return false
		}
		items = line[k:]
		inBrackets = strings.IndexByte(items, '(') >= 0
	}
	if inBrackets && strings.IndexByte(items, ')') >= 0 {
		inBrackets = false
	}
	for item := range strings.SplitSeq(items, ",") {
		name, alias, ok := asAlias(item)
		if !ok {
			// a bare name (from subprocess import call): the name is
			// its own alias, for the calls importedCall reads
			item = strings.Trim(item, " \t\r()\\")
			if item == "*" {
				a.star = true
			}
			name = item[:identEnd(item, 0)]
			alias = name
		}
		if name != "" && commandFunction(name) && a.nf < len(a.funcs) && !a.has(a.funcs[:a.nf], alias) {
			a.funcs[a.nf] = alias
			a.nf++
		}
	}
	return inBrackets
}

// assignment reads line[j:] as an alias made by assignment: s =
// os.system, s = o.popen after import os as o, s = system after from os
// import system, s = exec (attacks 23 to 26 left it open: @s then ran
// the command). It says whether the line was one.
func (a *pyAliases) assignment(line string, j int) bool {
	k := identEnd(line, j)
	eq := skipSpace(line, k)
	if k == j || eq >= len(line) || line[eq] != '=' || eq+1 < len(line) && line[eq+1] == '=' {
		return false
	}
	r := skipSpace(line, eq+1)
	e := identEnd(line, r)
	name := line[r:e]
	if e < len(line) && line[e] == '.' {
		f := identEnd(line, e+1)
		if !slices.Contains(decoratorModules, name) && !a.has(a.mods[:a.nm], name) || !slices.Contains(commandDecorators, line[e+1:f]) {
			return true
		}
		e = f
	} else if !a.has(a.funcs[:a.nf], name) && !slices.Contains(commandDecorators, name) {
		return true
	}
	if end := skipSpace(line, e); end < len(line) && line[end] != '#' {
		return true // more after it: s = os.system("id") is a call
	}
	if a.nf < len(a.funcs) && !a.has(a.funcs[:a.nf], line[j:k]) {
		a.funcs[a.nf] = line[j:k]
		a.nf++
	}
	return true
}

// asAlias reads an import item "name as alias" (brackets, a backslash
// and white space around it ignored).
func asAlias(item string) (name, alias string, ok bool) {
	item = strings.Trim(item, " \t\r()\\")
	e := identEnd(item, 0)
	name = item[:e]
	k, ok := wordAt(item, skipSpace(item, e), "as")
	if !ok || e == 0 || k == e {
		return "", "", false
	}
	k = skipSpace(item, k)
	alias = item[k:identEnd(item, k)]
	return name, alias, alias != ""
}

// rubyCommandLiteral: v holds Ruby's %x with a delimiter that is not a
// letter, a digit or white space, at the value's start or after #{ ; =
// ( , | &, closed by the same character (or the bracket's closer) with
// text and no % between.
func rubyCommandLiteral(v string) bool {
	for off := 0; ; {
		i := strings.Index(v[off:], "%x")
		if i < 0 {
			return false
		}
		i += off
		off = i + 2
		if off >= len(v) {
			continue
		}
		d := v[off]
		if !afterCodeStart(v[:i]) && (strings.IndexByte("({[<", d) < 0 && d != ' ' && d != '\t' || !afterStatementWord(v, i)) &&
			((d != ' ' && d != '\t') || !afterValueStart(v[:i])) {
			continue
		}
		// a space or a tab delimits too where code stands (puts %x id :
		// attack 49); "the %x format" passes, as no statement starts there
		if d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d >= '0' && d <= '9' || d == '\n' || d == '\r' || d >= 0x80 {
			continue
		}
		closer := d
		switch d {
		case '(':
			closer = ')'
		case '[':
			closer = ']'
		case '{':
			closer = '}'
		case '<':
			closer = '>'
		}
		// up to the closer or a %, whichever first: each byte is read
		// once, as the next %x starts at that %
		rest := v[off+1:]
		j := 0
		for j < len(rest) && rest[j] != closer && rest[j] != '%' {
			j++
		}
		if j > 0 && j < len(rest) && rest[j] == closer {
			return true
		}
	}
}

// afterStatementWord: before v[i], over spaces and tabs (at least one),
// one of Ruby's methods that take a value, starting a statement: print
// %x(id), puts %x{id} (attack 29); "the %x(id) format" passes.
func afterStatementWord(v string, i int) bool {
	b := i
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
		b--
	}
	if b == i {
		return false
	}
	if b >= 2 && v[b-2:b] == "<<" {
		// $stdout << %x id  (attack 50's open item): an IO appended to
		r := b - 2
		for r > 0 && (v[r-1] == ' ' || v[r-1] == '\t') {
			r--
		}
		return r > 0 && identBefore(v, r) < r
	}
	w := identBefore(v, b)
	if w == b {
		return false
	}
	if w > 1 && v[w-1] == '.' && identByte(v[w-2], "") && slices.Contains(rubyWriteMethods, v[w:b]) {
		// $stdout.write %x id , STDOUT.print %x id  (attack 50's open
		// item): a receiver's writing method
		return true
	}
	return slices.Contains(rubyValueMethods, v[w:b]) && rubyStatementStart(v, w)
}

// rubyWriteMethods are IO's methods that write a value given without
// brackets (afterStatementWord, after a receiver and a dot).
var rubyWriteMethods = []string{"write", "syswrite", "write_nonblock", "print", "puts", "printf", "putc"}

// rubyValueMethods take a value without brackets (afterStatementWord).
var rubyValueMethods = []string{"print", "puts", "p", "pp", "warn", "printf", "putc", "return", "yield", "raise", "abort", "format", "sprintf"}

// afterCodeStart: what comes before a %x (without its trailing white
// space) is nothing or ends in #{ ; = ( , | or &.
func afterCodeStart(before string) bool {
	before = strings.TrimRight(before, " \t\r\n")
	if before == "" {
		return true
	}
	return strings.HasSuffix(before, "#{") || strings.IndexByte(";=(,|&", before[len(before)-1]) >= 0
}

// afterValueStart: before (without its white space) ends where a
// value starts in Ruby: an element ([ or a comma), a hash's value ({ or
// :), a splat (*) or a ternary's branch (?): [%x id ], {a: %x id },
// puts(*%x id ), 1 ? %x id : 2 (attack 50).
func afterValueStart(before string) bool {
	before = strings.TrimRight(before, " \t\r\n")
	return before != "" && strings.IndexByte("[{*?:", before[len(before)-1]) >= 0
}

// stringPrefix: arg[k] is a letter of a Python string literal's prefix
// (r"...", f'...', u"...", b"...", rb"...", Rb'...'): one or two of
// r, u, f, b in any case before a quote, starting a word.
func stringPrefix(arg string, k int) bool {
	isPrefix := func(c byte) bool { return strings.IndexByte("rRuUfFbB", c) >= 0 }
	start, end := k, k+1
	if !isPrefix(arg[k]) {
		return false
	}
	if end < len(arg) && isPrefix(arg[end]) {
		end++
	} else if k > 0 && isPrefix(arg[k-1]) {
		start = k - 1
	}
	return end < len(arg) && (arg[end] == '"' || arg[end] == '\'') && (start == 0 || !identByte(arg[start-1], ""))
}

func octalDigit(c byte) bool { return c >= '0' && c <= '7' }

// commandModules are the Python modules whose import rule 210118 reads as
// a step to a command (210116's list, and since attack 26 pydoc,
// distutils and webbrowser).
var commandModules = map[string]bool{"os": true, "subprocess": true, "pty": true, "posix": true, "nt": true, "commands": true,
	"popen2": true, "builtins": true, "__builtin__": true, "importlib": true, "ctypes": true,
	// attack 26: pydoc.pipepager and distutils.spawn run a command,
	// webbrowser a browser's command line
	"pydoc": true, "distutils": true, "webbrowser": true}

// moduleAttribute: at v[j], over white space, an attribute that is a
// command module (or sys, or __builtins__) another module imported:
// __import__("shutil").os, import_module("glob").os (attack 26).
func moduleAttribute(v string, j int) bool {
	j = skipSpace(v, j)
	if j >= len(v) || v[j] != '.' {
		return false
	}
	j = skipSpace(v, j+1)
	e := identEnd(v, j)
	w := v[j:e]
	return commandModules[w] || w == "sys" || w == "__builtins__"
}

// pythonImport: the call at v[j:] (after __import__ or import_module)
// has a first argument that, without quotes, +, *, brackets, commas,
// white space and a name= keyword, is one of commandModules (or a dotted
// name under one: __import__("os.path") returns os). At most 64 bytes of
// the brackets are read for each call.
func pythonImport(v string, j int) bool {
	k, ok := callAfter(v, j)
	if !ok {
		return false
	}
	rest := v[k:]
	if len(rest) > 64 {
		rest = rest[:64]
	}
	// the arguments up to the bracket that closes the call; an
	// argument is a module's name when it is the first one (the
	// rest of __import__'s are globals, locals, fromlist, level)
	depth, end := 0, len(rest)
scan:
	for k := 0; k < len(rest); k++ {
		switch rest[k] {
		case '(', '[':
			depth++
		case ']':
			depth--
		case ')':
			if depth == 0 {
				end = k
				break scan
			}
			depth--
		case ',':
			if depth <= 0 {
				end = k
				break scan
			}
		}
	}
	if end < len(rest) && rest[end] == ')' && moduleAttribute(v, k+end+1) {
		return true // __import__("shutil").os.system(...): attack 26
	}
	arg := strings.TrimSpace(rest[:end])
	arg = strings.TrimPrefix(arg, "name")
	arg = strings.TrimLeft(arg, " \t=")
	var buf [32]byte // the longest module name is 11 bytes
	n := 0
	for k := 0; k < len(arg) && n < len(buf); k++ {
		switch c := arg[k]; {
		case strings.IndexByte("'\"+*[](), \t\r\n", c) >= 0:
		case stringPrefix(arg, k):
		case c == '\\' && k+3 < len(arg) && arg[k+1] == 'x' && ishex(arg[k+2]) && ishex(arg[k+3]):
			// "\x73ubprocess" (attack 24)
			buf[n] = unhex(arg[k+2])<<4 | unhex(arg[k+3])
			n++
			k += 3
		case c == '\\' && k+3 < len(arg) && octalDigit(arg[k+1]) && octalDigit(arg[k+2]) && octalDigit(arg[k+3]):
			// "\157s"
			buf[n] = (arg[k+1]-'0')<<6 | (arg[k+2]-'0')<<3 | (arg[k+3] - '0')
			n++
			k += 3
		default:
			buf[n] = c
			n++
		}
	}
	// "SUBPROCESS".lower() (attack 24): the name in any case, up to
	// the dot that starts the method (cut below)
	for k := range n {
		if c := buf[k]; c >= 'A' && c <= 'Z' {
			buf[k] = c | 0x20
		}
	}
	name := buf[:n]
	if dot := bytes.IndexByte(name, '.'); dot > 0 {
		// __import__("os.path") returns os itself
		name = name[:dot]
	}
	return commandModules[string(name)] // no allocation: a map index
}
