package waf

import (
	"bytes"
	"strings"
)

// codeCallRules is rule 210118: Ruby and Python code that runs a command
// in the spellings rule 210116's expression does not read, found by the
// sixteenth and seventeenth fresh-eyes attacks (attacks 20 and 21) and
// left open then (210116's expression could not grow: RE2's memory
// bound is spent, "The bound"). It is a Go operator (codeCall): each
// family is looked for by a fixed word, and only where the word stands is
// the text read further, forward over white space and a few words, so a
// value costs a few reads of each byte (BenchmarkCodeCall: 90 MB/s for a
// value that is ".send(:" over and over, the dearest) and allocates
// nothing:
//   - Ruby's send of a command method by any receiver
//     (Object.send(:system, "id"), x.public_send("exec", "id"),
//     obj.__send__(:spawn, ...)), not just Kernel's;
//   - Kernel's command methods with a character literal or a splat as the
//     argument (Kernel.system ?i+?d, Kernel.spawn(*["id"]));
//   - PTY.spawn and PTY.getpty with an argument ("PTY.spawn docs" passes);
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
//     and name= must be the module's name;
//   - asyncio's create_subprocess_shell and create_subprocess_exec
//     called;
//   - a decorator line that is a command function alone (@system,
//     @os.popen, @getoutput), which runs it on what it decorates (from os
//     import system / @system / @lambda c:c.__name__ / class id:pass runs
//     id).
//
// Passing: mailer.send(:welcome), obj.send("system_status"), "send
// 'exec' the report", the PTY docs, printf "%x/%d", __import__("json"),
// importlib.import_module("myapp.views"), prose naming
// create_subprocess_shell, an @system mention in a line of text. The
// false-positive risk, as 210116's: a forum post of Ruby or Python code
// that does these things.
var codeCallRules = `SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer|XML:/* "@` + codeCallOp + `" "id:210118,phase:2,block,t:none,t:urlDecodeUni,msg:'Code injection: Ruby or Python code that runs a command',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const codeCallOp = "gatewayCodeCall"

func init() { registerGoOperator(codeCallOp, codeCall) }

// codeCall is rule 210118's operator.
func codeCall(v string) bool {
	return eachAt(v, "send", rubySend) ||
		eachAt(v, "Kernel", kernelOddArgument) ||
		eachAt(v, "PTY", ptyCall) ||
		strings.Contains(v, "%x") && rubyCommandLiteral(v) ||
		eachAt(v, "__import__", func(v string, i int) bool { return pythonImport(v, i+len("__import__")) }) ||
		eachAt(v, "import_module", func(v string, i int) bool { return pythonImport(v, i+len("import_module")) }) ||
		eachAt(v, "create_subprocess_", asyncioShell) ||
		strings.IndexByte(v, '\n') >= 0 && commandDecorator(v)
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
	if start == i && !receiverDot(v, start) {
		return false // a bare send is a word of prose
	}
	j := skipSpace(v, end)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	if j >= len(v) || v[j] != ':' && v[j] != '\'' && v[j] != '"' {
		return false
	}
	j = skipSpace(v, j+1)
	if j < len(v) && v[j] == '`' {
		return true
	}
	_, ok := wordAt(v, j, rubyCommandMethods[:10]...)
	return ok
}

// kernelOddArgument (at "Kernel"): Kernel.m or Kernel::m, a command
// method, then ?c (a character literal) or * (a splat), bracketed or not.
func kernelOddArgument(v string, i int) bool {
	j, ok := receiverMethod(v, i, "Kernel")
	if !ok {
		return false
	}
	if strings.HasPrefix(v[j:], "`") {
		j++
	} else if j, ok = wordAt(v, j, rubyCommandMethods...); !ok {
		return false
	}
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	return j < len(v) && v[j] == '*' || j+1 < len(v) && v[j] == '?' && v[j+1] > ' '
}

// receiverMethod: the word receiver at v[i] starts a word and is
// followed by . or :: (white space around them); j is where the method's
// name starts.
func receiverMethod(v string, i int, receiver string) (j int, ok bool) {
	if !wordStart(v, i) {
		return i, false
	}
	j = skipSpace(v, i+len(receiver))
	switch {
	case strings.HasPrefix(v[j:], "."):
		j++
	case strings.HasPrefix(v[j:], "::"):
		j += 2
	default:
		return j, false
	}
	return skipSpace(v, j), true
}

// ptyCall (at "PTY"): PTY.spawn or PTY.getpty (or ::), then an argument
// that starts with a quote, %, ?, *, [ or a backtick.
func ptyCall(v string, i int) bool {
	j, ok := receiverMethod(v, i, "PTY")
	if !ok {
		return false
	}
	j, ok = wordAt(v, j, "spawn", "getpty")
	if !ok {
		return false
	}
	j = skipSpace(v, j)
	if j < len(v) && v[j] == '(' {
		j = skipSpace(v, j+1)
	}
	return j < len(v) && strings.IndexByte("'\"%?*[`", v[j]) >= 0
}

// asyncioShell (at "create_subprocess_"): create_subprocess_shell or
// create_subprocess_exec called.
func asyncioShell(v string, i int) bool {
	if !wordStart(v, i) {
		return false
	}
	j, ok := wordAt(v, i+len("create_subprocess_"), "shell", "exec")
	if !ok {
		return false
	}
	j = skipSpace(v, j)
	return j < len(v) && v[j] == '('
}

// commandDecorators are the functions commandDecorator reads, after an
// optional module and a dot.
var commandDecorators = []string{"system", "popen", "getoutput", "getstatusoutput", "check_output", "check_call", "Popen",
	"spawnl", "spawnlp", "spawnv", "spawnvp", "execl", "execlp", "execv", "execvp", "execve"}

// commandDecorator: a line of v is a decorator of a command function
// alone (@system, @os.popen), in a value of more than one line.
func commandDecorator(v string) bool {
	for line := range strings.SplitSeq(v, "\n") {
		j := skipSpace(line, 0)
		if j >= len(line) || line[j] != '@' {
			continue
		}
		j = skipSpace(line, j+1)
		if k, ok := wordAt(line, j, "os", "subprocess", "pty", "posix", "commands"); ok {
			if k = skipSpace(line, k); k < len(line) && line[k] == '.' {
				j = skipSpace(line, k+1)
			}
		}
		if k, ok := wordAt(line, j, commandDecorators...); ok && skipSpace(line, k) == len(line) {
			return true
		}
	}
	return false
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
		if !afterCodeStart(v[:i]) || off >= len(v) {
			continue
		}
		d := v[off]
		if d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d >= '0' && d <= '9' || d == ' ' || d == '\t' || d == '\n' || d == '\r' || d >= 0x80 {
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

// afterCodeStart: what comes before a %x (without its trailing white
// space) is nothing or ends in #{ ; = ( , | or &.
func afterCodeStart(before string) bool {
	before = strings.TrimRight(before, " \t\r\n")
	if before == "" {
		return true
	}
	return strings.HasSuffix(before, "#{") || strings.IndexByte(";=(,|&", before[len(before)-1]) >= 0
}

// commandModules are the Python modules whose import rule 210118 reads as
// a step to a command (210116's list).
var commandModules = map[string]bool{"os": true, "subprocess": true, "pty": true, "posix": true, "nt": true, "commands": true,
	"popen2": true, "builtins": true, "__builtin__": true, "importlib": true, "ctypes": true}

// pythonImport: the call at v[j:] (after __import__ or import_module)
// has a first argument that, without quotes, +, *, brackets, commas,
// white space and a name= keyword, is one of commandModules (or a dotted
// name under one: __import__("os.path") returns os). At most 64 bytes of
// the brackets are read for each call.
func pythonImport(v string, j int) bool {
	rest := v[skipSpace(v, j):]
	if !strings.HasPrefix(rest, "(") {
		return false
	}
	rest = rest[1:]
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
	arg := strings.TrimSpace(rest[:end])
	arg = strings.TrimPrefix(arg, "name")
	arg = strings.TrimLeft(arg, " \t=")
	var buf [32]byte // the longest module name is 11 bytes
	n := 0
	for k := 0; k < len(arg) && n < len(buf); k++ {
		switch c := arg[k]; c {
		case '\'', '"', '+', '*', '[', ']', '(', ')', ',', ' ', '\t', '\r', '\n':
		default:
			buf[n] = c
			n++
		}
	}
	name := buf[:n]
	if dot := bytes.IndexByte(name, '.'); dot > 0 {
		// __import__("os.path") returns os itself
		name = name[:dot]
	}
	return commandModules[string(name)] // no allocation: a map index
}
