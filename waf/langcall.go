package waf

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
)

// langCallRules are the rules for code that runs a command in PHP, in
// Node and in the shell, in spellings the CRS and the gateway's other
// rules did not read (a forty-seventh fresh-eyes attack, attack 51: 4 Node,
// 7 PHP, 16 shell and 3 Twig spellings ran id through an application
// that evaluates a parameter, and the CRS alone passed every one). Each is
// a Go operator that looks only where a fixed character stands (a '(' or
// a shell's separator) and reads a bounded window from there, so a value
// costs a bounded number of reads of each byte (BenchmarkLangCall):
//
//   - 210191: PHP's command functions named as a string where PHP calls
//     what it is given (phpCallback): a function that takes a callable
//     (array_walk, array_walk_recursive, array_map, array_filter, usort,
//     call_user_func, register_shutdown_function, preg_replace_callback,
//     ...), Reflection (new ReflectionFunction("system")->invoke("id"),
//     Closure::fromCallable), and Twig's filters that call one (|map,
//     |filter, |sort, |reduce, |find: {{ {'id':1}|keys|map('system') }},
//     whose dict's '}' ended rule 210111's reading), with the name in a
//     string literal, joined from several by . or ~, or escaped
//     ("sys"."tem", "\x73ystem"). usort($a, 'strcmp') passes.
//   - 210192: Node's child_process module loaded by a name the CRS's
//     934100 does not read (nodeChildProcess): require, import() or
//     Module._load of node:child_process, of a name joined from literals
//     or an array ('child_'+'process', ['child','process'].join('_')),
//     escaped, or decoded at run time (Buffer.from('Y2hp...','base64'),
//     atob, String.fromCharCode); or of any name built at run time when a
//     command method of child_process follows (require(x).execSync(...)).
//     require('./routes/' + name) passes.
//   - 210193: rule 210151's commands after a word that runs the next
//     word as a command (shellPrefixed): time, sg, su -c, runuser, nohup,
//     exec, nice, timeout, env, xargs ...; the shell's own words before a
//     command (!, if, then, else, do, until, while, case ... in ... ) and
//     a function's body (f(){ id;}): x;time id, x;su -c id, x;! id,
//     x;case 1 in 1) id;;esac ran id on dash. 210151's expression could
//     not grow (RE2's memory budget is spent, "The bound"); this reads
//     the command with Go's own regexp from the word's end, where
//     210151's expression (shellCommandBody) must match.
var langCallRules = `SecRule ` + valueNameHeaderTargets + ` "@` + phpCallbackOp + `" "id:210191,phase:2,block,t:none,t:urlDecodeUni,msg:'Code injection: a PHP command function named as a callback',tag:'application-multi',tag:'attack-injection-php',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + nodeChildProcessOp + `" "id:210192,phase:2,block,t:none,t:urlDecodeUni,msg:'Code injection: Node child_process loaded by a built name',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + shellPrefixedOp + `" "id:210193,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator, a word that runs a command, then a probing command',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const (
	phpCallbackOp      = "gatewayPHPCallback"
	nodeChildProcessOp = "gatewayNodeChildProcess"
	shellPrefixedOp    = "gatewayShellPrefixed"
)

func init() {
	registerGoOperator(phpCallbackOp, phpCallback)
	registerGoOperator(nodeChildProcessOp, nodeChildProcess)
	registerGoOperator(shellPrefixedOp, shellPrefixed)
}

// langCallWindow is how many bytes after a call's '(' are read for its
// arguments (phpCallback) or its module's name (nodeChildProcess).
const langCallWindow = 256

// langNameMax is the longest literal text read as a name: the names
// compared are shorter.
const langNameMax = 64

// phpCallbackTakers are PHP's functions that call a callable they are
// given (lower case: PHP's names are not case sensitive), and Reflection's
// ways to make one from a name.
var phpCallbackTakers = map[string]bool{
	"array_map": true, "array_walk": true, "array_walk_recursive": true, "array_filter": true, "array_reduce": true,
	"usort": true, "uasort": true, "uksort": true, "call_user_func": true, "call_user_func_array": true,
	"forward_static_call": true, "forward_static_call_array": true, "register_shutdown_function": true,
	"register_tick_function": true, "iterator_apply": true, "preg_replace_callback": true, "preg_replace_callback_array": true,
	"mb_ereg_replace_callback": true, "ob_start": true, "set_error_handler": true, "set_exception_handler": true,
	"spl_autoload_register": true, "header_register_callback": true, "array_udiff": true, "array_udiff_assoc": true,
	"array_udiff_uassoc": true, "array_uintersect": true, "array_uintersect_assoc": true, "array_uintersect_uassoc": true,
	"array_diff_ukey": true, "array_diff_uassoc": true, "array_intersect_ukey": true, "array_intersect_uassoc": true,
	"session_set_save_handler": true, "reflectionfunction": true, "fromcallable": true,
	// attack 52: new ReflectionClass("ReflectionFunction")->newInstance("system")
	"reflectionclass": true, "newinstance": true, "newinstanceargs": true,
}

// twigCallbackFilters are Twig's filters that call a callable given as
// their argument (a PHP function's name, in Twig before 3.11.1 and 3.14.1).
var twigCallbackFilters = map[string]bool{"map": true, "filter": true, "sort": true, "reduce": true, "find": true}

// phpCommandFunctions are PHP's functions that run a command, evaluate
// code, or read or write a file by name: the names rule 210111 reads in
// a template (lower case).
var phpCommandFunctions = map[string]bool{
	"system": true, "exec": true, "passthru": true, "shell_exec": true, "popen": true, "proc_open": true,
	"pcntl_exec": true, "assert": true, "create_function": true, "file_get_contents": true,
	"file_put_contents": true, "readfile": true, "unlink": true, "phpinfo": true, "putenv": true,
	"show_source": true, "highlight_file": true,
}

// phpCallback is rule 210191's operator: v calls one of
// phpCallbackTakers (or | and one of twigCallbackFilters), and a string
// literal anywhere in v names one of phpCommandFunctions
// (phpCommandLiteral): the callable may be given as a literal, or held in
// a variable, a constant, an array or a hash first (attack 52: $f =
// "passthru"; array_walk($a, $f), const S = "...", callback: "...",
// {% set f = 'system' %}...|map(f)).
func phpCallback(v string) bool {
	return eachCall(v, func(i, w, b int) bool {
		if b-w > len("preg_replace_callback_array") {
			return false
		}
		var lb [32]byte
		name := lowerASCII(lb[:0], v[w:b])
		p := w
		for p > 0 && (v[p-1] == ' ' || v[p-1] == '\t') {
			p--
		}
		twig := p > 0 && v[p-1] == '|' && twigCallbackFilters[string(name)]
		return twig || phpCallbackTakers[string(name)] && (w == 0 || v[w-1] != '$')
	}) && phpCommandLiteral(v)
}

// eachCall calls f at each '(' of v that a name stands before (over
// spaces and tabs), with the bracket's index i and the name's v[w:b],
// until f says true (then so does eachCall).
func eachCall(v string, f func(i, w, b int) bool) bool {
	for off := 0; ; {
		i := strings.IndexByte(v[off:], '(')
		if i < 0 {
			return false
		}
		i += off
		off = i + 1
		b := i
		for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
			b--
		}
		if w := identBefore(v, b); w < b && f(i, w, b) {
			return true
		}
	}
}

// phpCommandLiteral: a string literal of v (joined by . or ~, unescaped,
// its interpolations dropped: "pa{$z}ssthru", "sys#{”}tem") names one of
// phpCommandFunctions (phpCommandName), alone or joined to the literal
// before it when only brackets, commas, joins and white space stand
// between (('sys')~('tem'), ['sys','tem']|join(”)), or filling that
// literal's %s ('%stem'|format('sys')). A subscript's key ($r['system'])
// does not count.
func phpCommandLiteral(v string) bool {
	var prev [langNameMax]byte
	pn, prevEnd := -1, 0
	for j := 0; j < len(v); j++ {
		if v[j] != '\'' && v[j] != '"' {
			continue
		}
		var buf [langNameMax]byte
		text, end := phpJoined(v, j, buf[:0])
		if text == nil || subscriptKey(v, j, end) || !codePosition(v, j, end) {
			pn, prevEnd, j = -1, end, end-1
			continue
		}
		lowerInPlace(text)
		if phpCommandName(text) {
			return true
		}
		if pn >= 0 {
			var both [2 * langNameMax]byte
			if literalGap(v[prevEnd:j]) && phpCommandName(append(append(both[:0], prev[:pn]...), text...)) {
				return true
			}
			if f := bytes.Index(prev[:pn], []byte("%s")); f >= 0 && j-prevEnd <= 16 {
				filled := append(append(append(both[:0], prev[:f]...), text...), prev[f+2:pn]...)
				if phpCommandName(filled) {
					return true
				}
			}
		}
		pn, prevEnd, j = copy(prev[:], text), end, end-1
	}
	return false
}

// phpCommandName: text (lower case), trimmed of white space and a leading
// \, is one of phpCommandFunctions, reversed ('metsys'|reverse), or
// with at most two characters more before or after it
// ('xsystem'|slice(1)).
func phpCommandName(text []byte) bool {
	text = bytes.TrimPrefix(bytes.TrimSpace(text), []byte{'\\'})
	if len(text) < len("exec") || len(text) > len("file_put_contents")+2 {
		return false
	}
	if phpCommandFunctions[string(text)] {
		return true
	}
	var rb [langNameMax]byte
	r := rb[:len(text)]
	for x, c := range text {
		r[len(text)-1-x] = c
	}
	if phpCommandFunctions[string(r)] {
		return true
	}
	for cut := 1; cut <= 2 && cut < len(text); cut++ {
		if phpCommandFunctions[string(text[cut:])] || phpCommandFunctions[string(text[:len(text)-cut])] {
			return true
		}
	}
	return false
}

// literalGap: between two literals stand only brackets, commas, joins
// (. ~ +) and white space, at most 8 bytes.
func literalGap(gap string) bool {
	if len(gap) > 8 {
		return false
	}
	for x := 0; x < len(gap); x++ {
		if strings.IndexByte(" \t,.~+()[]", gap[x]) < 0 {
			return false
		}
	}
	return true
}

// subscriptKey: the literal v[a:e] is a subscript's key: after a '['
// right after a name, a variable or a closing bracket, and before ']'
// (in ['system'] is a list).
func subscriptKey(v string, a, e int) bool {
	b := a
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
		b--
	}
	if b == 0 || v[b-1] != '[' {
		return false
	}
	b--
	e = skipSpace(v, e)
	return b > 0 && (identByte(v[b-1], "$") || v[b-1] == ']' || v[b-1] == ')') && e < len(v) && v[e] == ']'
}

// codePosition: the literal v[a:e] stands where code puts a value:
// after a bracket, a comma, an operator, a cast or a comment's end, or
// at the value's start; and before a bracket, a comma, a semicolon, an
// operator, a filter's | or a comment, or at the value's end. Prose that
// quotes a name (see "system" in the manual, "system" ...) does not.
func codePosition(v string, a, e int) bool {
	b := a
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t' || v[b-1] == '\n' || v[b-1] == '\r') {
		b--
	}
	e = skipSpace(v, e)
	if b > 0 && strings.IndexByte("(,=[:?@).~{>/!&|", v[b-1]) < 0 {
		return false
	}
	if e >= len(v) {
		return true
	}
	switch c := v[e]; {
	case c == '.':
		// a join or a method, not an ellipsis
		return e+1 < len(v) && v[e+1] != '.'
	default:
		return strings.IndexByte(",);]}|?:~/-%", c) >= 0
	}
}

// lowerInPlace lowers text's ASCII letters.
func lowerInPlace(text []byte) {
	for x, c := range text {
		if c >= 'A' && c <= 'Z' {
			text[x] = c + 'a' - 'A'
		}
	}
}

// phpJoined reads PHP's (or Twig's) string literals at s[j:] joined by .
// or ~: their text (nil when longer than buf holds or unclosed) and the
// index after the last.
func phpJoined(s string, j int, buf []byte) ([]byte, int) {
	for range 8 {
		text, end, ok := phpLiteral(s, j, buf)
		if !ok {
			return nil, max(end, j+1)
		}
		buf = text
		n := skipSpace(s, end)
		if n >= len(s) || (s[n] != '.' && s[n] != '~') {
			return buf, end
		}
		n = skipSpace(s, n+1)
		if n >= len(s) || (s[n] != '\'' && s[n] != '"') {
			return buf, end
		}
		j = n
	}
	return buf, j
}

// phpLiteral appends the text of the quoted literal at s[j] to buf:
// single quotes read \' and \\, double quotes PHP's escapes (\xNN, \NNN,
// \u{N}, and \ before any other character kept or dropped as PHP does).
// ok is false when the literal is unclosed or longer than buf's capacity.
func phpLiteral(s string, j int, buf []byte) (text []byte, end int, ok bool) {
	q, over := s[j], false
	for e := j + 1; e < len(s); e++ {
		if len(buf) >= cap(buf) {
			// too long to be a name: read on to the closing quote
			buf, over = buf[:0], true
		}
		c := s[e]
		switch {
		case c == q:
			return buf, e + 1, !over
		case q == '"' && e+1 < len(s) && (c == '{' && s[e+1] == '$' || (c == '#' || c == '$') && s[e+1] == '{'):
			// an interpolation, dropped: {$z}, ${z} (PHP), #{...} (Twig)
			k := strings.IndexByte(s[e+1:min(len(s), e+1+langNameMax)], '}')
			if k < 0 {
				return buf, e, false
			}
			e += k + 1
		case q == '"' && c == '$' && e+1 < len(s) && identByte(s[e+1], "") && (s[e+1] < '0' || s[e+1] > '9'):
			e = identEnd(s, e+1) - 1 // "pa$z" (PHP)
		case c == '\\' && e+1 < len(s):
			d := s[e+1]
			switch {
			case d == q || d == '\\':
				buf = append(buf, d)
				e++
			case q == '\'':
				buf = append(buf, c)
			case d == 'x' && e+2 < len(s) && ishex(s[e+2]):
				n, k := 0, e+2
				for k < len(s) && k < e+4 && ishex(s[k]) {
					n = n<<4 | int(unhex(s[k]))
					k++
				}
				buf, e = append(buf, byte(n)), k-1
			case d >= '0' && d <= '7':
				n, k := 0, e+1
				for k < len(s) && k < e+4 && s[k] >= '0' && s[k] <= '7' {
					n = n*8 + int(s[k]-'0')
					k++
				}
				buf, e = append(buf, byte(n)), k-1
			case d == 'u' && e+2 < len(s) && s[e+2] == '{':
				k := strings.IndexByte(s[e+3:min(len(s), e+12)], '}')
				if k < 0 {
					return buf, e, false
				}
				n, err := strconv.ParseUint(s[e+3:e+3+k], 16, 32)
				if err != nil || n >= 0x80 {
					return buf, e, false
				}
				buf, e = append(buf, byte(n)), e+3+k
			default:
				buf = append(buf, c)
			}
		default:
			buf = append(buf, c)
		}
	}
	return buf, len(s), false
}

// lowerASCII appends s in lower case (ASCII letters only) to buf.
func lowerASCII(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

// nodeLoaders load a module by name: require (also
// process.mainModule.require and module.require), import(),
// Module._load (module.constructor._load) and, since Node 20.16 and 22.3,
// process.getBuiltinModule.
var nodeLoaders = map[string]bool{"require": true, "import": true, "_load": true, "getBuiltinModule": true}

// nodeCommandMethods are child_process's functions that run a command.
var nodeCommandMethods = map[string]bool{"exec": true, "execSync": true, "execFile": true, "execFileSync": true,
	"spawn": true, "spawnSync": true, "fork": true}

// nodeChildProcess is rule 210192's operator: at each '(' after one of
// nodeLoaders, the module's name read as Node would build it
// (nodeModuleName) is child_process, with or without node:; or it is
// built at run time (not one literal) and the loaded module's command
// method is called on it (require(x).execSync, require(x)['exec'+'Sync']).
func nodeChildProcess(v string) bool {
	if eachCall(v, func(i, w, b int) bool {
		if b-w > len("getBuiltinModule") || w > 0 && v[w-1] == '$' {
			return false
		}
		args := v[i+1 : min(len(v), i+1+langCallWindow)]
		switch name := v[w:b]; {
		case nodeLoaders[name]:
		case name == "call" || name == "apply":
			// require.call(0, name), require?.call, require.apply(0,
			// [name]) (attack 52): the loader before the dot, the name
			// after the first argument
			p := w - 1
			if p < 0 || v[p] != '.' {
				return false
			}
			if p > 0 && v[p-1] == '?' {
				p--
			}
			if l := identBefore(v, p); l == p || !nodeLoaders[v[l:p]] {
				if name == "apply" && p >= len("Reflect") && v[p-len("Reflect"):p] == "Reflect" {
					// Reflect.apply(require, 0, [name])
					a := skipSpace(args, 0)
					if !nodeLoaders[args[a:identEnd(args, a)]] {
						return false
					}
					args = afterArgument(args, a)
				} else {
					return false
				}
			}
			args = afterArgument(args, 0)
			if name == "apply" {
				a := skipSpace(args, 0)
				if a >= len(args) || args[a] != '[' {
					return false
				}
				args = args[a+1:]
			}
		default:
			return false
		}
		var buf [langNameMax]byte
		name, end, literal := nodeModuleName(args, buf[:0])
		if name != nil && string(bytes.TrimPrefix(name, []byte("node:"))) == "child_process" {
			return true
		}
		// a name built otherwise: the call's closing bracket, then a
		// command method
		c := jsCallEnd(args, end)
		return !literal && c > 0 && nodeMethodAfter(args, c)
	}) {
		return true
	}
	// the builtin modules' list searched for it (attack 52:
	// builtinModules.filter(...).map(require)[0].execSync('id'))
	return strings.Contains(v, "builtinModules") && nodeMethodCalled(v)
}

// afterArgument is args after the argument that starts at or after a
// (up to the comma at its own depth), "" when the call ends first.
func afterArgument(args string, a int) string {
	if k := bracketEnd(args, a, true); k >= 0 && args[k] == ',' {
		return args[k+1:]
	}
	return ""
}

// bracketEnd is the index of the first closing bracket (or, with
// commas, comma) at args[from:]'s own depth, over nested brackets and
// quoted strings; -1 when none.
func bracketEnd(args string, from int, commas bool) int {
	depth := 0
	for k := from; k < len(args); k++ {
		switch args[k] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				return k
			}
			depth--
		case ',':
			if depth == 0 && commas {
				return k
			}
		case '\'', '"', '`':
			if q := strings.IndexByte(args[k+1:], args[k]); q >= 0 {
				k += q + 1
			}
		}
	}
	return -1
}

// nodeMethodCalled: v calls one of nodeCommandMethods by a dot
// (.execSync( ).
func nodeMethodCalled(v string) bool {
	for m := range nodeCommandMethods {
		for off := 0; ; {
			i := strings.Index(v[off:], "."+m)
			if i < 0 {
				break
			}
			off += i + 1 + len(m)
			if k := skipSpace(v, off); k < len(v) && v[k] == '(' {
				return true
			}
		}
	}
	return false
}

// nodeModuleName reads a module's name at the start of args (after a
// call's '('): string literals joined by + (with escapes), an array of
// literals joined ([...].join('_')), Buffer.from(literal, 'base64' or
// 'hex'), atob(literal), String.fromCharCode(numbers), each perhaps
// followed by .toString() or + "". name is nil when it is none of these;
// end is where the reading stopped; literal says the argument was one
// plain literal alone (require('express')).
func nodeModuleName(args string, buf []byte) (name []byte, end int, literal bool) {
	j := skipSpace(args, 0)
	start := j
	pieces := 0
	for range 8 {
		if j >= len(args) {
			return nil, j, false
		}
		var ok bool
		k := j
		switch c := args[j]; {
		case c == '\'' || c == '"' || c == '`':
			buf, k, ok = jsLiteral(args, j, buf)
		case c == '[':
			buf, k, ok = jsJoinedArray(args, j, buf)
		case strings.HasPrefix(args[j:], "Buffer.from("):
			buf, k, ok = jsDecoded(args, j+len("Buffer.from("), buf, true)
		case strings.HasPrefix(args[j:], "atob("):
			buf, k, ok = jsDecoded(args, j+len("atob("), buf, false)
		case strings.HasPrefix(args[j:], "String.fromCharCode("):
			buf, k, ok = jsCharCodes(args, j+len("String.fromCharCode("), buf)
		}
		if !ok {
			return nil, j, false
		}
		pieces++
		j = skipSpace(args, k)
		for _, m := range []string{".toString()", ".valueOf()", ".trim()", ".toLowerCase()"} {
			if strings.HasPrefix(args[j:], m) {
				j = skipSpace(args, j+len(m))
			}
		}
		if j < len(args) && args[j] == '+' {
			j = skipSpace(args, j+1)
			continue
		}
		if j > k && j < len(args) && strings.IndexByte("'\"`", args[j]) >= 0 {
			continue // a + that t:urlDecodeUni made a space
		}
		plain := pieces == 1 && (args[start] == '\'' || args[start] == '"' || args[start] == '`')
		return buf, j, plain && j < len(args) && args[j] == ')'
	}
	return nil, j, false
}

// jsLiteral appends the text of the JavaScript string at s[j] (quotes or
// a backtick without ${}) to buf, with its escapes: \xNN, \uNNNN, \u{N}
// and \ before another character.
func jsLiteral(s string, j int, buf []byte) ([]byte, int, bool) {
	q := s[j]
	for e := j + 1; e < len(s); e++ {
		if len(buf) >= cap(buf) {
			return buf, e, false
		}
		c := s[e]
		switch {
		case c == q:
			return buf, e + 1, true
		case c == '$' && q == '`' && e+1 < len(s) && s[e+1] == '{':
			return buf, e, false
		case c == '\\' && e+1 < len(s):
			d := s[e+1]
			var n uint64
			var err error
			switch {
			case d == 'x' && e+3 < len(s):
				n, err = strconv.ParseUint(s[e+2:e+4], 16, 8)
				e += 3
			case d == 'u' && e+2 < len(s) && s[e+2] == '{':
				k := strings.IndexByte(s[e+3:min(len(s), e+12)], '}')
				if k < 0 {
					return buf, e, false
				}
				n, err = strconv.ParseUint(s[e+3:e+3+k], 16, 32)
				e += 3 + k
			case d == 'u' && e+5 < len(s):
				n, err = strconv.ParseUint(s[e+2:e+6], 16, 16)
				e += 5
			default:
				n = uint64(d)
				e++
			}
			if err != nil || n >= 0x80 {
				return buf, e, false
			}
			buf = append(buf, byte(n))
		default:
			buf = append(buf, c)
		}
	}
	return buf, len(s), false
}

// jsJoinedArray reads [lit, lit, ...].join(lit) at s[j] (or .join() with
// no argument: a comma) into buf.
func jsJoinedArray(s string, j int, buf []byte) ([]byte, int, bool) {
	var items [8][2]int // each item's text in buf
	n, k := 0, j+1
	for {
		k = skipSpace(s, k)
		if k >= len(s) || n == len(items) {
			return buf, k, false
		}
		if s[k] == ']' && n == 0 {
			break
		}
		if s[k] != '\'' && s[k] != '"' && s[k] != '`' {
			return buf, k, false
		}
		a := len(buf)
		var ok bool
		if buf, k, ok = jsLiteral(s, k, buf); !ok {
			return buf, k, false
		}
		items[n] = [2]int{a, len(buf)}
		n++
		k = skipSpace(s, k)
		if k < len(s) && s[k] == ',' {
			k++
			continue
		}
		if k < len(s) && s[k] == ']' {
			break
		}
		return buf, k, false
	}
	k = skipSpace(s, k+1)
	if !strings.HasPrefix(s[k:], ".join(") {
		return buf, k, false
	}
	k = skipSpace(s, k+len(".join("))
	var sep [8]byte
	sepText := []byte(",")
	if k < len(s) && s[k] != ')' {
		var ok bool
		if sepText, k, ok = jsLiteral(s, k, sep[:0]); !ok {
			return buf, k, false
		}
		k = skipSpace(s, k)
	}
	if k >= len(s) || s[k] != ')' {
		return buf, k, false
	}
	// the items joined, in place: copied through a second buffer, as the
	// separator goes between them
	var joined [langNameMax]byte
	out := joined[:0]
	base := items[0][0]
	for x := range n {
		if x > 0 {
			out = append(out, sepText...)
		}
		out = append(out, buf[items[x][0]:items[x][1]]...)
		if len(out) > langNameMax {
			return buf, k, false
		}
	}
	buf = append(buf[:base], out...)
	return buf, k + 1, len(buf) <= cap(buf)
}

// jsDecoded reads the literal of Buffer.from(lit, 'base64'|'hex'|...)
// (buffer) or atob(lit) at s[j] (after the '('), decodes it and appends
// the text to buf.
func jsDecoded(s string, j int, buf []byte, buffer bool) ([]byte, int, bool) {
	j = skipSpace(s, j)
	if j >= len(s) || (s[j] != '\'' && s[j] != '"' && s[j] != '`') {
		return buf, j, false
	}
	var lb [2 * langNameMax]byte
	lit, k, ok := jsLiteral(s, j, lb[:0])
	if !ok {
		return buf, k, false
	}
	enc := "base64"
	k = skipSpace(s, k)
	if buffer {
		enc = "utf8"
		if k < len(s) && s[k] == ',' {
			k = skipSpace(s, k+1)
			if k >= len(s) || (s[k] != '\'' && s[k] != '"' && s[k] != '`') {
				return buf, k, false
			}
			var eb [16]byte
			e, ek, ok := jsLiteral(s, k, eb[:0])
			if !ok {
				return buf, ek, false
			}
			enc, k = strings.ToLower(string(e)), skipSpace(s, ek)
		}
	}
	if k >= len(s) || s[k] != ')' {
		return buf, k, false
	}
	var out []byte
	var err error
	switch enc {
	case "base64", "base64url":
		t := strings.TrimRight(string(lit), "=")
		if out, err = base64.RawStdEncoding.DecodeString(t); err != nil {
			out, err = base64.RawURLEncoding.DecodeString(t)
		}
	case "hex":
		out, err = hex.DecodeString(string(lit))
	case "utf8", "utf-8", "ascii", "latin1", "binary":
		out = lit
	default:
		return buf, k + 1, false
	}
	if err != nil || len(buf)+len(out) > cap(buf) {
		return buf, k + 1, false
	}
	return append(buf, out...), k + 1, true
}

// jsCharCodes reads String.fromCharCode's numbers at s[j] (after the
// '(') into buf.
func jsCharCodes(s string, j int, buf []byte) ([]byte, int, bool) {
	for {
		j = skipSpace(s, j)
		k := j
		for k < len(s) && (s[k] >= '0' && s[k] <= '9' || s[k] == 'x' || ishex(s[k])) {
			k++
		}
		n, err := strconv.ParseUint(s[j:k], 0, 8)
		if err != nil || n >= 0x80 || len(buf) >= cap(buf) {
			return buf, k, false
		}
		buf = append(buf, byte(n))
		j = skipSpace(s, k)
		if j < len(s) && s[j] == ')' {
			return buf, j + 1, true
		}
		if j >= len(s) || s[j] != ',' {
			return buf, j, false
		}
		j++
	}
}

// jsCallEnd is the index after the bracket that closes the call whose
// arguments start args, searched from j (0: none within args).
func jsCallEnd(args string, j int) int {
	if k := bracketEnd(args, j, false); k >= 0 && args[k] == ')' {
		return k + 1
	}
	return 0
}

// nodeMethodAfter: at s[k], over white space, one of nodeCommandMethods
// is reached by a dot (.execSync) or a bracket with a name joined from
// literals (['exec'+'Sync']).
func nodeMethodAfter(s string, k int) bool {
	k = skipSpace(s, k)
	if k < len(s) && s[k] == '.' {
		k = skipSpace(s, k+1)
		return nodeCommandMethods[s[k:identEnd(s, k)]]
	}
	if k < len(s) && s[k] == '[' {
		var buf [langNameMax]byte
		name, _, _ := nodeModuleName(s[k+1:], buf[:0])
		return name != nil && nodeCommandMethods[string(name)]
	}
	return false
}

// shellCommandAt is rule 210151's command and what must follow it,
// anchored: read where shellPrefixed's words end. shellBareCommandAt is
// the same for the commands read after the shell's own words only
// (shellCommandBody's bare form).
var (
	shellCommandAt     = regexp.MustCompile(`\A` + shellLead + shellCommandBody(false))
	shellBareCommandAt = regexp.MustCompile(`\A` + shellLead + shellCommandBody(true))
)

// shellPrefixed is rule 210193's operator: after a shell's separator (;
// | & a backtick, a line break or $(), white space and grouping, one to
// four words that run what follows as a command, variables' assignments
// or redirections (shellPrefixWord), then rule 210151's command
// (shellCommandAt); after the shell's own words alone (do, then, if,
// !...), the bare form (shellBareCommandAt): a loop's "do echo $f" is
// everyday shell, "do id;" is not.
func shellPrefixed(v string) bool {
	for i := 0; i < len(v); i++ {
		k := i + 1
		switch v[i] {
		case ';', '|', '&', '`', '\n':
		case '$':
			if k >= len(v) || v[k] != '(' {
				continue
			}
			k++
		default:
			continue
		}
		words, runs := 0, false
		for range 4 {
			k = skipShellGrouping(v, k)
			e, runner := shellPrefixWord(v, k)
			if e == k {
				break
			}
			k, words, runs = e, words+1, runs || runner
		}
		k = skipBlanks(v, k)
		// a command starts with no separator (the expression would fail
		// there, at the cost of a search)
		if words == 0 || k >= len(v) || strings.IndexByte(";|&\n", v[k]) >= 0 {
			continue
		}
		if runs && shellCommandAt.MatchString(v[k:]) || !runs && shellBareCommandAt.MatchString(v[k:]) {
			return true
		}
	}
	return false
}

// skipShellGrouping skips white space, a subshell's '(' and a group's '{'
// at v[k:].
func skipShellGrouping(v string, k int) int {
	for k < len(v) && (v[k] == ' ' || v[k] == '\t' || v[k] == '(' || v[k] == '{') {
		k++
	}
	return k
}

// shellRunners run the next word as a command (time id, nohup id, exec
// id, su -c id); shellGrammar are the shell's own words before a command
// (! id, then id, do id).
var (
	shellRunners = map[string]bool{
		"time": true, "nohup": true, "exec": true, "command": true, "builtin": true, "eval": true, "setsid": true,
		"xargs": true, "doas": true, "nice": true, "ionice": true, "timeout": true, "stdbuf": true, "env": true,
		"sg": true, "su": true, "runuser": true, "chroot": true, "unbuffer": true, "strace": true, "ltrace": true,
		"watch": true, "taskset": true, "chrt": true, "flock": true, "script": true, "unshare": true, "nsenter": true,
		// attack 52
		"fakeroot": true, "setpriv": true, "prlimit": true, "pkexec": true, "runcon": true, "numactl": true,
		"systemd-run": true, "catchsegv": true, "faketime": true, "chpst": true, "nocache": true, "torsocks": true,
		"proxychains": true, "proxychains4": true, "firejail": true, "bwrap": true,
	}
	shellGrammar = map[string]bool{"!": true, "if": true, "then": true, "else": true, "elif": true, "do": true, "while": true,
		"until": true, "case": true}
)

// shellPrefixOperands are how many words (not options) a runner takes
// before the command: sg's group, chroot's directory, timeout's duration,
// taskset's mask, chrt's priority, flock's file, faketime's time.
var shellPrefixOperands = map[string]int{"sg": 1, "chroot": 1, "timeout": 1, "taskset": 1, "chrt": 1, "flock": 1, "faketime": 1}

// shellOptionValues are, for each runner, its options that take the next
// word as their value (nice -n 5, su -s /bin/sh, timeout -s KILL).
var shellOptionValues = map[string]string{"su": "gGsw", "runuser": "ugGsw", "nice": "n", "ionice": "cnp", "timeout": "sk",
	"flock": "wEc", "env": "uSC", "xargs": "nIdsLPaE", "stdbuf": "ioe", "nsenter": "tSG", "sg": "", "numactl": "CNmp",
	"prlimit": "p", "systemd-run": "pEu", "chpst": "ugUn", "firejail": "", "taskset": "", "chrt": "", "setpriv": ""}

// shellPrefixWord reads at v[k:] one of shellRunners with its options
// (-p, -n 5, -u root) and operands, one of shellGrammar, a variable's
// assignment (A=1 id, A= id), a redirection (2>&1 id, >/tmp/x id, 0<&-
// id), a function's head (f() or function f) or a case's pattern list
// (case x in a|b) ): the index where the command may start (k when none
// stands there), and whether what stands there runs a command (runner;
// not so for the shell's own words).
func shellPrefixWord(v string, k int) (end int, runner bool) {
	if k >= len(v) {
		return k, false
	}
	if r := shellRedirection(v, k); r > k {
		return r, true
	}
	e := identEnd(v, k)
	if e == k && v[k] == '!' {
		e = k + 1
	}
	for e < len(v) && v[e] == '-' && e > k && identByte(v[min(e+1, len(v)-1)], "") {
		e = identEnd(v, e+1) // systemd-run
	}
	if e == k {
		return k, false
	}
	if e < len(v) && v[e] == '=' && v[k] != '!' && (v[k] < '0' || v[k] > '9') {
		// a variable's assignment: A=1 id, A='' id, A= id
		return shellWordEnd(v, e+1), true
	}
	word := v[k:e]
	if e+1 < len(v) && v[e] == '(' && v[e+1] == ')' {
		return e + 2, false // f(){ id;}
	}
	if e >= len(v) || (v[e] != ' ' && v[e] != '\t') {
		return k, false
	}
	switch {
	case word == "function":
		f := skipSpace(v, e)
		g := identEnd(v, f)
		if g == f {
			return k, false
		}
		if strings.HasPrefix(v[g:], "()") {
			g += 2
		}
		return g, false
	case word == "case":
		// case WORD in PATTERN) : up to the pattern's bracket, on its line
		c := strings.IndexByte(v[e:min(len(v), e+langCallWindow)], ')')
		if c < 0 || strings.IndexByte(v[e:e+c], '\n') >= 0 || !strings.Contains(v[e:e+c], " in ") {
			return k, false
		}
		return e + c + 1, false
	case shellGrammar[word]:
		return e, false
	case !shellRunners[word]:
		return k, false
	}
	j := e
	operands, user := shellPrefixOperands[word], false
	values := shellOptionValues[word]
	for range 8 {
		j = skipBlanks(v, j)
		switch {
		case j < len(v) && v[j] == '-':
			// an option, and for the runner's options that take one,
			// its value when it is a word apart (su -c 'id' takes the
			// command as -c's value: stop there)
			o := j
			j = shellWordEnd(v, j)
			opt := v[o:j]
			if opt == "-c" || opt == "--command" {
				return j, true
			}
			if len(opt) == 2 && strings.IndexByte(values, opt[1]) >= 0 {
				user = user || opt[1] == 'u'
				j = shellWordEnd(v, skipBlanks(v, j))
			}
		case word == "env" && identEnd(v, j) > j && identEnd(v, j) < len(v) && v[identEnd(v, j)] == '=':
			j = shellWordEnd(v, j) // env FOO=1 id
		case (word == "su" || word == "runuser" && !user) && j < len(v) && identByte(v[j], ""):
			// su root -c id: a user, then an option
			j = shellWordEnd(v, j)
			if n := skipBlanks(v, j); n >= len(v) || v[n] != '-' {
				return k, false
			}
		case operands > 0 && j < len(v) && v[j] != ';' && v[j] != '|' && v[j] != '&':
			j = shellWordEnd(v, j)
			operands--
		default:
			if word == "su" {
				return k, false // su without -c runs a shell, not the word after
			}
			return j, true
		}
	}
	return k, false
}

// shellRedirection reads a redirection at v[k:] (2>&1, 0<&-, >/tmp/x,
// >> log, <in, &>x) with its target: the index after it, k when none.
func shellRedirection(v string, k int) int {
	j := k
	for j < len(v) && j-k < 2 && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	if j == k && j < len(v) && v[j] == '&' && j+1 < len(v) && v[j+1] == '>' {
		j++ // &>file
	}
	if j >= len(v) || (v[j] != '<' && v[j] != '>') {
		return k
	}
	j++
	if j < len(v) && (v[j] == '>' || v[j] == '|' || (v[j] == '<' && v[j-1] == '<') || (v[j] == '>' && v[j-1] == '<')) {
		j++
	}
	if j < len(v) && v[j] == '&' {
		j++
		if j < len(v) && (v[j] == '-' || v[j] >= '0' && v[j] <= '9') {
			return j + 1
		}
		return k
	}
	j = skipBlanks(v, j)
	if e := shellWordEnd(v, j); e > j {
		return e
	}
	return k
}

// shellWordEnd is the end of the shell word at v[j:]: up to a blank or
// a separator, over quoted strings (A='x y' id).
func shellWordEnd(v string, j int) int {
	for j < len(v) {
		switch c := v[j]; c {
		case ' ', '\t', '\n', ';', '|', '&':
			return j
		case '\'', '"':
			q := strings.IndexByte(v[j+1:min(len(v), j+1+langCallWindow)], c)
			if q < 0 {
				return j
			}
			j += q + 2
		default:
			j++
		}
	}
	return j
}

// skipBlanks skips spaces and tabs at v[j:].
func skipBlanks(v string, j int) int {
	for j < len(v) && (v[j] == ' ' || v[j] == '\t') {
		j++
	}
	return j
}
