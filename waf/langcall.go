package waf

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
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
//     what it is given (phpCallback): in a value that calls a function
//     taking a callable (array_walk, usort, call_user_func,
//     preg_replace_callback, ..., ReflectionFunction, Closure::fromCallable,
//     ReflectionClass->newInstance), a string literal anywhere a value
//     stands that names one, joined, escaped, interpolated, reversed or
//     built from a run of literals (phpCommandLiteral: attack 52 held the
//     name in variables and constants first, attack 53 built it with
//     join and str_pad); a callable built by a call in the taker's
//     callable position (builtCallable); and Twig's filters that call a
//     callable (|map, |filter, |sort, |reduce, |find) given anything but
//     an arrow function or Jinja's forms (twigCallbackAllowed).
//     usort($a, 'strcmp') and |map(x => x.name) pass.
//   - 210192: Node's child_process module loaded by a name the CRS's
//     934100 does not read (nodeChildProcess): require, import(),
//     Module._load, getBuiltinModule, require.call/apply and
//     Reflect.apply of node:child_process, of a name joined from literals
//     or an array, escaped, or decoded at run time (Buffer.from, atob,
//     String.fromCharCode); of any name built at run time when a command
//     method of child_process follows (require(x).execSync(...)); and
//     such a name built anywhere in a value naming a loader, which
//     (0,require), an alias or createRequire reach (nodeBuiltName).
//     require('./routes/' + name) passes.
//   - 210193: rule 210151's commands after words that run the next word
//     as a command (shellPrefixed: time, su -c, sg, runuser, nohup, env,
//     setarch's names, ... with their options), variables' assignments and
//     redirections, and after the shell's own words (!, do, then, case ...
//     in ..., f(){) a bare command; and a command from a variable the
//     value assigned before (shellVariableCommand: f=id;$f). 210151's
//     expression could not grow (RE2's memory budget is spent, "The
//     bound"); this reads the command with Go's own regexp from the
//     words' end, where 210151's expression (shellCommandBody) must match.
var langCallRules = `SecRule ` + valueNameHeaderTargets + ` "@` + phpCallbackOp + `" "id:210191,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Code injection: a PHP command function named as a callback',tag:'application-multi',tag:'attack-injection-php',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + nodeChildProcessOp + `" "id:210192,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Code injection: Node child_process loaded by a built name',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + shellPrefixedOp + `" "id:210193,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Command injection: a separator, a word that runs a command, then a probing command',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueTargets + ` "@` + argumentToolsOp + `" "id:210204,phase:2,block,t:none,t:urlDecodeUni,msg:'Remote command execution: an option that runs a command, among the arguments of a command line (argument injection)',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
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
// ways to make one from a name, each with the callable's position among
// its arguments (the first of several where the callable is last).
var phpCallbackTakers = map[string]int{
	"array_map": 1, "array_walk": 2, "array_walk_recursive": 2, "array_filter": 2, "array_reduce": 2,
	"usort": 2, "uasort": 2, "uksort": 2, "call_user_func": 1, "call_user_func_array": 1,
	"forward_static_call": 1, "forward_static_call_array": 1, "register_shutdown_function": 1,
	"register_tick_function": 1, "iterator_apply": 2, "preg_replace_callback": 2, "preg_replace_callback_array": 1,
	"mb_ereg_replace_callback": 2, "ob_start": 1, "set_error_handler": 1, "set_exception_handler": 1,
	"spl_autoload_register": 1, "header_register_callback": 1, "array_udiff": 3, "array_udiff_assoc": 3,
	"array_udiff_uassoc": 3, "array_uintersect": 3, "array_uintersect_assoc": 3, "array_uintersect_uassoc": 3,
	"array_diff_ukey": 3, "array_diff_uassoc": 3, "array_intersect_ukey": 3, "array_intersect_uassoc": 3,
	"session_set_save_handler": 1, "reflectionfunction": 1, "fromcallable": 1,
	// attack 52: new ReflectionClass("ReflectionFunction")->newInstance("system")
	"reflectionclass": 1, "newinstance": 1, "newinstanceargs": 1,
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
	taker, uncertain := false, false
	var callables [4]string
	nc := 0
	if eachCall(v, func(i, w, b int) bool {
		if b-w > len("preg_replace_callback_array") {
			return false
		}
		var lb [32]byte
		name := lowerASCII(lb[:0], v[w:b])
		p := blanksBefore(v, w)
		args := v[i+1 : min(len(v), i+1+langCallWindow)]
		if p > 0 && v[p-1] == '|' && twigCallbackFilters[string(name)] {
			// read by what the filter is given alone: a literal elsewhere
			// in the template (u => u.role == 'system') names no callable
			// (attack 55's false positives)
			return !twigCallbackAllowed(string(name), args)
		}
		switch string(name) {
		case "extract", "parse_str", "import_request_variables":
			uncertain = true // variables set from an array or a request
		}
		pos, ok := phpCallbackTakers[string(name)]
		if !ok || w > 0 && v[w-1] == '$' {
			return false
		}
		taker = true
		if c, varVar := callableVar(args, pos); varVar {
			return true // array_walk($a, $$x): a callable named by a variable's value
		} else if c != "" && nc < len(callables) {
			callables[nc], nc = c, nc+1
		}
		return builtCallable(args, pos)
	}) {
		return true
	}
	return taker && (phpCommandLiteral(v) || phpAssignedCommand(v, callables[:nc], uncertain || strings.Contains(v, "$$")))
}

// callableVar is the variable a taker's argument at position pos (its
// arguments from after its '(') is, when it is one alone ($f), and
// whether it is a variable variable ($$x, ${...}).
func callableVar(args string, pos int) (name string, varVar bool) {
	for range pos - 1 {
		if args = afterArgument(args, 0); args == "" {
			return "", false
		}
	}
	a := skipSpace(args, 0)
	for a < len(args) && args[a] == '@' {
		a++
	}
	if a+1 >= len(args) || args[a] != '$' {
		return "", false
	}
	if args[a+1] == '$' || args[a+1] == '{' {
		return "", true
	}
	e := identEnd(args, a+1)
	k := skipSpace(args, e)
	if e == a+1 || k >= len(args) || args[k] != ',' && args[k] != ')' {
		return "", false
	}
	return args[a+1 : e], false
}

// phpVarsMax is how many variables phpAssignedCommand holds: the first
// phpVarsMax assigned; the names of later ones replace the oldest.
const phpVarsMax = 16

// phpVars are the variables a value assigned, each with the text it was
// given when that is known (a join of literals and known variables).
type phpVars struct {
	n     int
	names [phpVarsMax]string
	known [phpVarsMax]bool
	lens  [phpVarsMax]int
	vals  [phpVarsMax][langNameMax]byte
}

// has: the value assigned name (and it is still held).
func (t *phpVars) has(name string) bool {
	return slices.Contains(t.names[:min(t.n, phpVarsMax)], name)
}

// get is name's text, ok when the value assigned it a known one.
func (t *phpVars) get(name string) ([]byte, bool) {
	for x := range min(t.n, phpVarsMax) {
		if t.names[x] == name {
			return t.vals[x][:t.lens[x]], t.known[x]
		}
	}
	return nil, false
}

// set gives name the text val, or none known.
func (t *phpVars) set(name string, val []byte, known bool) {
	x := 0
	for x < min(t.n, phpVarsMax) && t.names[x] != name {
		x++
	}
	if x == min(t.n, phpVarsMax) {
		x = t.n % phpVarsMax
		t.n++
	}
	t.names[x], t.known[x] = name, known
	t.lens[x] = copy(t.vals[x][:], val)
}

// phpAssignedCommand: v assigns a variable (= or .=) a text that names
// one of phpCommandFunctions (phpCommandName) and is joined (.) from
// literals and variables v assigned before, whole or interpolated in a
// double-quoted literal: $s='sys';$f=$s.'tem', $s='sys';$f="{$s}tem",
// $f='sys';$f.='tem' (names built across statements, the open item of
// attack 55; phpCommandLiteral reads literals joined within a
// statement). Since attack 57 (a string offset written, $f[3]='t', a
// chained assignment, a reference, ?:, a variable variable): a
// taker's callable variable (callables) that v assigns something not
// folded (not a join of known literals, a closure or an array) is
// refused whatever it holds, and so is one v does not assign when v
// sets variables by other means (uncertain: $$x=..., extract,
// parse_str) or assigns more than phpVarsMax. A variable given a call, a
// number or an array is not known, and a join with it names nothing.
// Each '$' that is an assignment's reads at most langCallWindow bytes
// of its value.
func phpAssignedCommand(v string, callables []string, uncertain bool) bool {
	var vars phpVars
	for off := 0; ; {
		i := strings.IndexByte(v[off:], '$')
		if i < 0 {
			break
		}
		i += off
		off = i + 1
		e := identEnd(v, i+1)
		if e == i+1 {
			continue
		}
		name := v[i+1 : e]
		k := skipSpace(v, e)
		join := false
		switch {
		case k+1 < len(v) && v[k] == '.' && v[k+1] == '=':
			join, k = true, k+2
		case k < len(v) && v[k] == '=' && (k+1 == len(v) || v[k+1] != '=' && v[k+1] != '>'):
			k++
		case k < len(v) && v[k] == '[':
			// an element or a string offset written: $f[3]='t'
			if c := bracketEnd(v, k+1, false); c >= 0 {
				a := skipSpace(v, c+1)
				if a < len(v) && (v[a] == '=' && (a+1 == len(v) || v[a+1] != '=' && v[a+1] != '>') || strings.HasPrefix(v[a:], ".=")) {
					vars.set(name, nil, false)
				}
			}
			continue
		default:
			continue
		}
		var buf [langNameMax]byte
		text := buf[:0]
		known := true
		if join {
			var prev []byte
			prev, known = vars.get(name)
			text = append(text, prev...)
		}
		a := skipSpace(v, k)
		if a < len(v) && v[a] == '&' {
			// a reference: both names hold what neither's folding knows
			if r := skipSpace(v, a+1); r < len(v) && v[r] == '$' {
				vars.set(v[r+1:identEnd(v, r+1)], nil, false)
			}
			known = false
		}
		if known {
			text, known = phpFoldJoin(v[k:min(len(v), k+langCallWindow)], &vars, text)
		}
		vars.set(name, text, known)
		if known {
			lowerInPlace(text)
			if phpCommandName(text) {
				return true
			}
		}
	}
	uncertain = uncertain || vars.n > phpVarsMax
	for _, c := range callables {
		_, known := vars.get(c)
		if vars.has(c) && !known || uncertain && !known {
			return true
		}
	}
	return false
}

// phpFoldJoin appends to buf the text of the expression at the start of
// w: literals and variables of vars joined by '.', ending at ; , ) or
// the window's end; ok only when each part is known and the text fits buf.
func phpFoldJoin(w string, vars *phpVars, buf []byte) ([]byte, bool) {
	if j := skipSpace(w, 0); j < len(w) && w[j] == '[' {
		return buf, true // an array: its literals are phpCommandLiteral's
	}
	if e := identEnd(w, skipSpace(w, 0)); e > 0 {
		switch strings.ToLower(w[skipSpace(w, 0):e]) {
		case "function", "fn", "static", "array", "new":
			return buf, true // a closure, an array, an object: no name
		}
	}
	for j := skipSpace(w, 0); ; {
		if j >= len(w) {
			return buf, false
		}
		switch c := w[j]; {
		case c == '\'':
			text, end, ok := phpLiteral(w, j, buf[len(buf):])
			if !ok {
				return buf, false
			}
			buf, j = buf[:len(buf)+len(text)], end
		case c == '"':
			var ok bool
			if buf, j, ok = phpInterpolated(w, j, vars, buf); !ok {
				return buf, false
			}
		case c == '$':
			e := identEnd(w, j+1)
			val, ok := vars.get(w[j+1 : e])
			if e == j+1 || !ok || len(buf)+len(val) > cap(buf) {
				return buf, false
			}
			buf, j = append(buf, val...), e
		default:
			return buf, false
		}
		j = skipSpace(w, j)
		switch {
		case j >= len(w) || w[j] == ';' || w[j] == ',' || w[j] == ')':
			return buf, true
		case w[j] == '.' && (j+1 == len(w) || w[j+1] != '.' && w[j+1] != '='):
			j = skipSpace(w, j+1)
		default:
			return buf, false
		}
	}
}

// phpInterpolated appends to buf the text of the double-quoted literal
// at w[j] with its interpolations ({$s}, ${s}, $s) of known variables
// filled in: its end, ok when each is known and the text fits buf.
func phpInterpolated(w string, j int, vars *phpVars, buf []byte) ([]byte, int, bool) {
	var scratch [langNameMax]byte
	_, end, _ := phpLiteral(w, j, scratch[:0])
	if end-1 <= j || w[end-1] != '"' {
		return buf, end, false // not closed
	}
	raw := w[j+1 : end-1]
	var lb [langCallWindow + 2]byte
	lit := append(lb[:0], '"')
	for x := 0; x < len(raw); x++ {
		var name string
		switch {
		case raw[x] == '{' && x+1 < len(raw) && raw[x+1] == '$', raw[x] == '$' && x+1 < len(raw) && raw[x+1] == '{':
			e := identEnd(raw, x+2)
			if e == x+2 || e >= len(raw) || raw[e] != '}' {
				return buf, end, false
			}
			name, x = raw[x+2:e], e
		case raw[x] == '$' && x+1 < len(raw) && identByte(raw[x+1], ""):
			e := identEnd(raw, x+1)
			if e < len(raw) && (raw[e] == '[' || strings.HasPrefix(raw[e:], "->")) {
				return buf, end, false
			}
			name, x = raw[x+1:e], e-1
		default:
			n := 1
			if raw[x] == '\\' && x+1 < len(raw) {
				n = 2 // an escape, \$ too, as it stands
			}
			if len(lit)+n > cap(lit)-1 {
				return buf, end, false
			}
			lit = append(lit, raw[x:x+n]...)
			x += n - 1
			continue
		}
		val, known := vars.get(name)
		if !known || bytes.ContainsAny(val, "\"$\\{") || len(lit)+len(val) > cap(lit)-1 {
			return buf, end, false
		}
		lit = append(lit, val...)
	}
	lit = append(lit, '"')
	text, _, ok := phpLiteral(string(lit), 0, buf[len(buf):])
	if !ok {
		return buf, end, false
	}
	return buf[:len(buf)+len(text)], end, true
}

// twigCallbackAllowed: a Twig (or Jinja) filter's arguments that call
// nothing a request could name: an arrow function ((a, b) => a.x <=> b.x),
// none, for map and sort a named argument (attribute=, reverse=,
// case_sensitive=: Jinja's), true or false, or a literal naming a filter
// (map('lower'), Ansible's map('extract', hostvars, 'x')) that is no PHP
// command or file function. Anything else, a string, a variable or an
// expression, names a PHP function to Twig before 3.11.1/3.14.1 (attack
// 53: 'sys<i>tem'|striptags, '%c...'|format(115,...), a {% set %} block).
func twigCallbackAllowed(filter, args string) bool {
	end := bracketEnd(args, 0, false)
	if end < 0 {
		return true // not closed within the window: no call read
	}
	a := strings.TrimSpace(args[:end])
	if a == "" || arrowFunction(a) {
		return true
	}
	if filter != "map" && filter != "sort" {
		return false
	}
	if e := identEnd(a, 0); e > 0 {
		rest := strings.TrimSpace(a[e:])
		switch {
		case strings.HasPrefix(rest, "=") && !strings.HasPrefix(rest, "=="):
			return slices.Contains([]string{"attribute", "reverse", "case_sensitive", "default"}, a[:e])
		case rest == "" && (a == "true" || a == "false"):
			return true
		}
	}
	if len(a) > 2 && (a[0] == '\'' || a[0] == '"') {
		// a filter's name first, perhaps with its arguments after
		// (Ansible's map('extract', hostvars, 'ansible_host'),
		// map('regex_replace', '^', 'x'): attack 54's false positives)
		e := 1
		for e < len(a) && (identByte(a[e], "") || a[e] == '.') {
			e++
		}
		if e > 1 && e < len(a) && a[e] == a[0] {
			rest := strings.TrimSpace(a[e+1:])
			name := strings.ToLower(a[1:e])
			return (rest == "" || rest[0] == ',') && !phpCommandFunctions[name] && !twigFileFunctions[name]
		}
	}
	return false
}

// twigFileFunctions are PHP functions that read a file or list a
// directory by a name given as the mapped item (map('file')): refused
// as a filter's name though no command.
var twigFileFunctions = map[string]bool{"file": true, "fopen": true, "glob": true, "scandir": true, "parse_ini_file": true,
	"mail": true, "dl": true, "opendir": true, "stat": true, "touch": true, "rmdir": true, "mkdir": true, "copy": true, "rename": true}

// arrowFunction: a (a Twig filter's argument) is an arrow function: a
// name or a bracketed list of names, then =>.
func arrowFunction(a string) bool {
	k := 0
	if a[0] == '(' {
		c := strings.IndexByte(a, ')')
		if c < 0 {
			return false
		}
		k = c + 1
	} else if k = identEnd(a, 0); k == 0 {
		return false
	}
	return strings.HasPrefix(strings.TrimLeft(a[k:], " \t"), "=>")
}

// builtCallable: the argument at position pos (1-based) of args (a
// callback taker's, from after its '(') is a name built by a call at run
// time (join(”, [...]), str_pad('sys', 6, 'tem'),
// array_key_first([...]): attack 53), not a closure (function, fn,
// static) nor a first-class callable (strlen(...)).
func builtCallable(args string, pos int) bool {
	for range pos - 1 {
		if args = afterArgument(args, 0); args == "" {
			return false
		}
	}
	a := skipSpace(args, 0)
	for a < len(args) && (args[a] == '@' || args[a] == '\\') {
		a++
	}
	if a < len(args) && (args[a] == '"' || args[a] == '<' || args[a] == '$') {
		// a name interpolated from variables ("{$s}tem", "$s$t", a
		// heredoc's {$s}tem) or joined from them ($s.$t): attack 55
		arg := args[a:]
		if k := bracketEnd(args, a, true); k >= 0 {
			arg = args[a:k]
		}
		switch args[a] {
		case '"', '<':
			return strings.IndexByte(arg, '$') >= 0 && (args[a] == '"' || strings.HasPrefix(arg, "<<<") && !strings.HasPrefix(strings.TrimLeft(arg[3:], " \t"), "'"))
		default:
			e := identEnd(args, a+1)
			k := skipSpace(args, e)
			return e > a+1 && k < len(args) && args[k] == '.' && k+1 < len(args) && args[k+1] != '.'
		}
	}
	e := identEnd(args, a)
	if e == a {
		return false
	}
	switch strings.ToLower(args[a:e]) {
	case "function", "fn", "static", "new", "array", "list", "isset", "empty":
		return false
	}
	k := skipSpace(args, e)
	if k >= len(args) || args[k] != '(' {
		return false
	}
	return !strings.HasPrefix(strings.TrimLeft(args[k+1:], " \t"), "...")
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
		b := blanksBefore(v, i)
		if w := identBefore(v, b); w < b && f(i, w, b) {
			return true
		}
	}
}

// phpCommandLiteral: a string literal of v (joined by . or ~, unescaped,
// its interpolations dropped: "pa{$z}ssthru", "sys#{”}tem") names one of
// phpCommandFunctions (phpCommandName), alone or joined to the literals
// before it when only brackets, commas, joins, numbers, white space and
// calls stand between (('sys')~('tem'), ['s','y','s','t','e','m'],
// str_pad('sys',6,'tem'), 'sy'.str_repeat('s',1).'tem': any run of them
// that ends at this one), or filling the one before's %s
// ('%stem'|format('sys')). A subscript's key ($r['system']) does not
// count; a hash's key ('system'=>1, read back by array_keys) does.
func phpCommandLiteral(v string) bool {
	var run [langNameMax]byte
	var starts [16]int // where each literal of the run starts in run
	rn, ns, prevEnd := 0, 0, 0
	for j := 0; j < len(v); j++ {
		var buf [langNameMax]byte
		var text []byte
		var end int
		switch {
		case v[j] == '\'' || v[j] == '"':
			text, end = phpJoined(v, j, buf[:0])
		case v[j] == '<' && strings.HasPrefix(v[j:], "<<<"):
			text, end = phpHeredoc(v, j, buf[:0])
		default:
			continue
		}
		if text == nil || subscriptKey(v, j, end) || !codePosition(v, j, end) {
			rn, ns, prevEnd, j = 0, 0, end, end-1
			continue
		}
		lowerInPlace(text)
		if phpCommandName(text) {
			return true
		}
		if ns > 0 && rn > 0 {
			if f := bytes.Index(run[starts[ns-1]:rn], []byte("%s")); f >= 0 && j-prevEnd <= 16 {
				var filled [2 * langNameMax]byte
				last := run[starts[ns-1]:rn]
				if phpCommandName(append(append(append(filled[:0], last[:f]...), text...), last[f+2:]...)) {
					return true
				}
			}
		}
		if ns == 0 || !literalGap(v[prevEnd:j]) || ns == len(starts) || rn+len(text) > len(run) {
			rn, ns = 0, 0
		}
		starts[ns], ns = rn, ns+1
		rn += copy(run[rn:], text)
		for x := range ns - 1 {
			if phpCommandName(run[starts[x]:rn]) {
				return true
			}
		}
		prevEnd, j = end, end-1
	}
	return false
}

// phpHeredoc reads PHP's heredoc or nowdoc at s[j] (<<<X, <<<"X" or
// <<<'X', a line break, the text, a line that starts, after white space,
// with X): its text trimmed, with a heredoc's escapes and interpolations
// read as a double-quoted literal's (attack 54: array_walk($a,<<<X
// system X)), nil when none is closed within langCallWindow bytes or the
// text is longer than buf holds; and the index after the label that
// closes it.
func phpHeredoc(s string, j int, buf []byte) ([]byte, int) {
	k := skipBlanks(s, j+3)
	q := byte('"')
	if k < len(s) && (s[k] == '\'' || s[k] == '"') {
		q = s[k]
		k++
	}
	e := identEnd(s, k)
	if e == k {
		return nil, j + 3
	}
	label := s[k:e]
	if e < len(s) && s[e] == q {
		e++
	}
	if e >= len(s) || (s[e] != '\n' && s[e] != '\r') {
		return nil, e
	}
	body := skipSpace(s, e)
	w := s[body:min(len(s), body+langCallWindow)]
	// line by line (each byte of the window read once): the first that
	// starts, after white space, with the label
	for line := 0; line < len(w); {
		next := strings.IndexByte(w[line:], '\n')
		if next < 0 {
			next = len(w)
		} else {
			next += line
		}
		l := strings.TrimLeft(w[line:next], " \t")
		if strings.HasPrefix(l, label) && (len(l) == len(label) || !identByte(l[len(label)], "")) {
			closed := body + next - len(l) + len(label)
			text := ""
			if line > 0 {
				text = strings.TrimRight(w[:line-1], " \t\r\n")
			}
			// read as a literal in quotes: escapes and interpolations for
			// a heredoc, none for a nowdoc
			if strings.IndexByte(text, q) >= 0 {
				return nil, closed
			}
			var lb [langCallWindow + 2]byte
			lit := append(append(append(lb[:0], q), text...), q)
			out, _, ok := phpLiteral(string(lit), 0, buf)
			if !ok {
				return nil, closed
			}
			return out, closed
		}
		line = next + 1
	}
	return nil, body
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
// (. ~ +), digits, white space and calls (a name then '('), at most 16
// bytes.
func literalGap(gap string) bool {
	if len(gap) > 16 {
		return false
	}
	for x := 0; x < len(gap); x++ {
		switch c := gap[x]; {
		case c >= '0' && c <= '9' || strings.IndexByte(" \t,.~+()[]", c) >= 0:
		case identByte(c, ""):
			e := identEnd(gap, x)
			if e >= len(gap) || gap[e] != '(' {
				return false
			}
			x = e
		default:
			return false
		}
	}
	return true
}

// subscriptKey: the literal v[a:e] is a subscript's key: after a '['
// right after a name, a variable or a closing bracket, and before ']'
// (in ['system'] is a list).
func subscriptKey(v string, a, e int) bool {
	b := blanksBefore(v, a)
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
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t' || v[b-1] == '\r') {
		b--
	}
	e = skipSpace(v, e)
	// a line's start counts (after a line comment: array_walk($a,#
	// 'system'), attack 54)
	if b > 0 && v[b-1] != '\n' && strings.IndexByte("(,=[:?@).~{>/!&|", v[b-1]) < 0 {
		return false
	}
	if e >= len(v) {
		return true
	}
	switch c := v[e]; {
	case c == '.':
		// a join or a method, not an ellipsis
		return e+1 < len(v) && v[e+1] != '.'
	case c == '=':
		return e+1 < len(v) && v[e+1] == '>' // a hash's key: 'system'=>1
	default:
		return strings.IndexByte(",);]}|?:~/-%", c) >= 0
	}
}

// errNotANumber is hexValue's and decimalValue's error (one value, so
// that a value full of bad escapes allocates nothing).
var errNotANumber = errors.New("not a number")

// hexValue is h's value in hexadecimal (1 to 6 digits).
func hexValue(h string) (uint64, error) { return digitsValue(h, 16) }

// decimalValue is d's value in decimal (1 to 6 digits).
func decimalValue(d string) (uint64, error) { return digitsValue(d, 10) }

// octalValue is o's value in octal (1 to 6 digits).
func octalValue(o string) (uint64, error) { return digitsValue(o, 8) }

// digitsValue is d's value in base (8, 10 or 16; 1 to 6 digits), or
// errNotANumber.
func digitsValue(d string, base uint64) (uint64, error) {
	if d == "" || len(d) > 6 {
		return 0, errNotANumber
	}
	var n uint64
	for x := 0; x < len(d); x++ {
		c := d[x]
		if !ishex(c) || uint64(unhex(c)) >= base {
			return 0, errNotANumber
		}
		n = n*base + uint64(unhex(c))
	}
	return n, nil
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
		start := len(buf)
		text, end, ok := phpLiteral(s, j, buf)
		if !ok {
			return nil, max(end, j+1)
		}
		buf = text
		if end+2 < len(s) && (s[end] == '[' || s[end] == '{') && s[end+1] >= '0' && s[end+1] <= '9' && (s[end+2] == ']' || s[end+2] == '}') {
			// one character of it: 'ss'[0].'ystem' (attack 54)
			if x := start + int(s[end+1]-'0'); x < len(buf) {
				buf = append(buf[:start], buf[x])
			} else {
				buf = buf[:start]
			}
			end += 3
		}
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
				n, err := hexValue(s[e+3 : e+3+k])
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
	n := len(buf)
	buf = append(buf, s...)
	lowerInPlace(buf[n:])
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
	if strings.Contains(v, "builtinModules") && nodeMethodCalled(v) {
		return true
	}
	return nodeBuiltName(v)
}

// nodeBuiltName: v names a loader (require, import, _load,
// getBuiltinModule, createRequire) and builds child_process's name
// anywhere (joined, escaped, decoded, lower-cased, or node: before it but
// not in a static import's from): require reached otherwise than by its
// name then '(' ((0,require)(...), [require][0](...), require.bind(0)(...),
// new Proxy(require,{})(...), const r=require; r(...),
// createRequire('/')(...): attack 53) still loads what the name says.
func nodeBuiltName(v string) bool {
	if strings.IndexByte(v, '(') < 0 || !strings.Contains(v, "require") && !strings.Contains(v, "import") && !strings.Contains(v, "_load") &&
		!strings.Contains(v, "getBuiltinModule") {
		return false // nothing is loaded without a call
	}
	for j := 0; j < len(v); j++ {
		switch c := v[j]; {
		case c == '\'' || c == '"' || c == '`' || c == '[':
		case c == 'B' && strings.HasPrefix(v[j:], "Buffer.from("), c == 'a' && strings.HasPrefix(v[j:], "atob("),
			c == 'S' && strings.HasPrefix(v[j:], "String.fromCharCode("):
		default:
			continue
		}
		var buf [langNameMax]byte
		name, end, _ := nodeModuleName(v[j:min(len(v), j+langCallWindow)], buf[:0])
		if name != nil && bytes.EqualFold(bytes.TrimPrefix(name, []byte("node:")), []byte("child_process")) {
			raw := strings.TrimSpace(v[j : j+end])
			plain := len(raw) >= 2 && raw[1:len(raw)-1] == string(name) && strings.IndexByte("'\"`", raw[0]) >= 0
			switch {
			case !plain:
				return true
			case bytes.HasPrefix(name, []byte("node:")) && !afterWord(v, j, "from"):
				return true
			}
		}
		if q := v[j]; q == '\'' || q == '"' || q == '`' {
			// on past this literal: each is read once as a start
			if k := strings.IndexByte(v[j+1:], q); k >= 0 {
				j += k + 1
			}
		}
	}
	return false
}

// afterWord: before v[j], over white space, stands the word w.
func afterWord(v string, j int, w string) bool {
	for j > 0 && (v[j-1] == ' ' || v[j-1] == '\t' || v[j-1] == '\n') {
		j--
	}
	return j >= len(w) && v[j-len(w):j] == w && (j == len(w) || !identByte(v[j-len(w)-1], "$"))
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
				n, err = hexValue(s[e+2 : e+4])
				e += 3
			case d == 'u' && e+2 < len(s) && s[e+2] == '{':
				k := strings.IndexByte(s[e+3:min(len(s), e+12)], '}')
				if k < 0 {
					return buf, e, false
				}
				n, err = hexValue(s[e+3 : e+3+k])
				e += 3 + k
			case d == 'u' && e+5 < len(s):
				n, err = hexValue(s[e+2 : e+6])
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
	var eb [16]byte
	enc := append(eb[:0], "base64"...)
	k = skipSpace(s, k)
	if buffer {
		enc = append(eb[:0], "utf8"...)
		if k < len(s) && s[k] == ',' {
			k = skipSpace(s, k+1)
			if k >= len(s) || (s[k] != '\'' && s[k] != '"' && s[k] != '`') {
				return buf, k, false
			}
			var ek int
			if enc, ek, ok = jsLiteral(s, k, eb[:0]); !ok {
				return buf, ek, false
			}
			lowerInPlace(enc)
			k = skipSpace(s, ek)
		}
	}
	if k >= len(s) || s[k] != ')' {
		return buf, k, false
	}
	// decoded on the stack: no allocation for what is read
	var ob [2 * langNameMax]byte
	var n int
	var err error
	switch string(enc) {
	case "base64", "base64url":
		t := bytes.TrimRight(lit, "=")
		if n, err = base64.RawStdEncoding.Decode(ob[:], t); err != nil {
			n, err = base64.RawURLEncoding.Decode(ob[:], t)
		}
	case "hex":
		n, err = hex.Decode(ob[:], lit)
	case "utf8", "utf-8", "ascii", "latin1", "binary":
		n = copy(ob[:], lit)
	default:
		return buf, k + 1, false
	}
	if err != nil || len(buf)+n > cap(buf) {
		return buf, k + 1, false
	}
	return append(buf, ob[:n]...), k + 1, true
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
		var n uint64
		var err error
		if d := s[j:k]; len(d) > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X') {
			n, err = hexValue(d[2:])
		} else {
			n, err = decimalValue(d)
		}
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
	readers := readersUnknown
	budget := tailBound(len(v)) // shellToolCommand's
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
		if shellVariableCommand(v, skipShellGrouping(v, k), &readers) {
			return true // x;$f, x;{ $f;}, x;( $f )
		}
		if a := skipBlanks(v, k); a+1 < len(v) && v[a] == '@' && v[a+1] != '@' && shellCommandAt.MatchString(v[a+1:]) {
			return true // x&@id: cmd.exe's @ before a command (attack 58)
		}
		words, runs := 0, false
		for range 16 {
			k = skipShellGrouping(v, k)
			if gitEnvCommand(v, k) {
				return true // x;GIT_SSH_COMMAND=id git ... (a review)
			}
			e, runner := shellPrefixWord(v, k)
			if e == k {
				break
			}
			k, words, runs = e, words+1, runs || runner
		}
		k = skipBlanks(v, k)
		if shellToolCommand(v, k, &budget) {
			return true // x;vim -es -c ':!env' (attack 75)
		}
		// a command starts with no separator (the expression would fail
		// there, at the cost of a search)
		if words == 0 || k >= len(v) || strings.IndexByte(";|&\n", v[k]) >= 0 {
			continue
		}
		if shellVariableCommand(v, k, &readers) {
			return true // do $i (attack 55)
		}
		if runs && shellCommandAt.MatchString(v[k:]) || !runs && shellBareCommandAt.MatchString(v[k:]) {
			return true
		}
	}
	return false
}

// shellToolCommand: at v[k:] (after a separator and runners), a tool
// given a command to run by an option, or an environment variable that
// names one before it: vim, vi, nvim, ex, view with -c, --cmd or + and a
// command that runs a shell (!cmd, r!cmd, %!cmd, silent !cmd, sh, shell,
// call system, terminal); git with -c or --config-env and a setting git
// runs as a command (gitCommandSetting), or --upload-pack, --receive-pack
// or --exec; zip with -TT or --unzip-command; GIT_SSH_COMMAND=, GIT_PAGER=,
// PAGER=, EDITOR=... set to one of rule 210151's commands. x;vim -es -c
// ':!env' -c ':q!' and x;git -c core.sshCommand=id ls-remote ssh://x/y
// ran (attack 75, run by the attacker) and passed every rule: the command
// is an option's value, not a word after the separator. A tool's name and
// its words are read with the shell's quotes and backslashes taken out
// (v""im, \vim, 'core.sshCommand'='id': a review), up to the command's
// end. Settings set to what runs nothing (core.pager=cat,
// core.hooksPath=/dev/null, protocol.ext.allow=never, an empty helper)
// are hardening advice and pass, as does "See git -c core.pager=less"
// with no separator before it (shellPrefixed reads after one). budget is
// what is left of the bytes the tools' words of a value may take.
func shellToolCommand(v string, k int, budget *int) bool {
	if gitEnvCommand(v, k) {
		return true
	}
	// a tool's name is short: a long word is read no further (16 KiB of
	// backticks, each a separator, read the rest each: 1.5 s)
	e := shellWordEnd(v[:min(len(v), k+langNameMax+1)], k)
	if e-k > langNameMax {
		return false
	}
	tool := shellUnquoted(v[k:e])
	if r := strings.IndexAny(tool, "<>"); r > 0 {
		tool = tool[:r] // vim</dev/null
	}
	tool = tool[strings.LastIndexByte(tool, '/')+1:] // /usr/bin/vim
	tool, _, _ = strings.Cut(tool, ".")              // vim.tiny
	switch tool {
	case "vim", "vi", "nvim", "ex", "view", "rvim", "rview", "gvim", "vimdiff", "git", "zip", "tar", "man", "ssh":
	default:
		return false
	}
	option := ""
	for j := skipBlanks(v, e); j < len(v) && strings.IndexByte(";|&\n", v[j]) < 0; j = skipBlanks(v, j) {
		n := shellWordEnd(v, j)
		if n == j {
			return false
		}
		// the words of every tool in a value are read at most
		// tailBound bytes in all: past that, words quoted across
		// separators were read from many of them, an attacker's value
		if *budget -= n - j; *budget < 0 {
			return true
		}
		word := shellUnquoted(v[j:n])
		if toolRunsOption(tool, option, word, false) {
			return true
		}
		option = word
		j = n
	}
	return false
}

// toolRunsOption: word, after option (the word before it), is tool's
// option that runs a command (shellToolCommand, argumentOptions): git's
// settings and hooks, zip's -TT and --unzip-command, tar's compressor,
// --to-command, --rsh-command, volume scripts and checkpoint actions,
// man's pager, ssh's ProxyCommand, LocalCommand and KnownHostsCommand,
// vim's Ex commands that run a shell. Long options are read as getopt_long
// and git's parse-options read them, abbreviated to any prefix of at least
// the length rules 210181-210190 read (--to-comm=sh, --upload-pa=id: a
// review). strict (the value's words read as a command's arguments, with
// no tool named: argumentOptions) asks what an option runs to start with
// one of rule 210151's commands (strictProbe: a separator alone is
// curl -I 'https://x/?a=1&b=2', awk -F'|', grep -P 'a|b', and a path is
// git clone --upload-pack=/opt/git/bin/git-upload-pack: a review's false
// positives), reads only the short options no everyday tool shares (zip's
// -TT, tar's I bundled after its letters, git's -c, ssh's -o; not -F,
// -P, -x, -O, -u) and leaves vim's -c out (bash -c "python x.py").
func toolRunsOption(tool, option, word string, strict bool) bool {
	probe := probingCommand
	if strict {
		probe = strictProbe
	}
	after := func(prefix string) (string, bool) {
		if len(word) > len(prefix) && strings.HasPrefix(word, prefix) {
			return word[len(prefix):], true
		}
		return "", false
	}
	// long: word is --name=value with name a prefix of full at least
	// least bytes long, or option is --name and word its value
	long := func(full string, least int) (string, bool) {
		if name, value, ok := strings.Cut(word, "="); ok && len(name) >= 2+least && strings.HasPrefix(name, "--") && strings.HasPrefix(full, name[2:]) {
			return value, value != ""
		}
		if len(option) >= 2+least && strings.HasPrefix(option, "--") && !strings.Contains(option, "=") && strings.HasPrefix(full, option[2:]) {
			return word, word != ""
		}
		return "", false
	}
	longProbes := func(options ...string) bool {
		for i := 0; i+1 < len(options); i += 2 {
			least, _ := strconv.Atoi(options[i+1]) // two digits too (editor-cmd's 10: its first digit was read before)
			// what an option names runs from its start: a separator
			// after it is a how-to's quoting (Run `tar xf a.tar
			// --to-command=cat` to print: attack 79's false positive)
			if c, ok := long(options[i], least); ok && (strictProbe(c) || uploadedPath(c)) {
				return true
			}
		}
		return false
	}
	switch tool {
	case "git":
		if !strict {
			if _, ok := long("upload-pack", 1); ok {
				return true
			}
			if _, ok := long("receive-pack", 1); ok {
				return true
			}
		}
		switch {
		case option == "-c" && gitCommandSetting(word),
			strings.HasPrefix(word, "-c") && len(word) > 2 && gitCommandSetting(word[2:]),
			// -c's long form (attack 79: --config core.sshCommand=id)
			option == "--config" && gitCommandSetting(word),
			strings.HasPrefix(word, "--config=") && gitCommandSetting(word[len("--config="):]),
			strings.HasPrefix(word, "--config-env=") && gitCommandSetting(strings.SplitN(strings.TrimPrefix(word, "--config-env="), "=", 2)[0]+"=$"),
			option == "--config-env" && gitCommandSetting(strings.SplitN(word, "=", 2)[0]+"=$"),
			// rebase --exec, difftool --extcmd, grep --open-files-in-pager,
			// daemon --access-hook, clone --upload-pack: a command
			longProbes("upload-pack", "1", "receive-pack", "1", "exec", "1", "extcmd", "2", "open-files-in-pager", "2", "access-hook", "2"):
			return true
		}
		if gitPagerOption(word) {
			return true
		}
		if strict {
			return false
		}
		if c, ok := after("-O"); ok && probe(c) {
			return true
		}
		return (option == "-u" || option == "-x" || option == "-O") && word != "" && probe(word)
	case "zip":
		if !strict {
			return strings.HasPrefix(word, "-TT") || strings.HasPrefix(word, "--unzip-command")
		}
		if c, ok := after("-TT"); ok && probe(strings.TrimLeft(c, "=")) {
			return true
		}
		return option == "-TT" && probe(word) || longProbes("unzip-command", "5")
	case "tar":
		// -I, --use-compress-program: the compressor runs (attack 77);
		// --to-command: a command gets each file (sh runs the archive's
		// scripts), --rsh-command, -F and the volume scripts,
		// --checkpoint-action=exec= (attack 78)
		if c, ok := long("checkpoint-action", 12); ok {
			if e, ok := strings.CutPrefix(c, "exec="); ok && e != "" && (!strict || probe(e)) {
				return true
			}
		}
		if longProbes("use-compress-program", "3", "to-command", "4", "rsh-command", "3", "info-script", "3", "new-volume-script", "5") {
			return true
		}
		// -I after tar's other letters, bundled (-xvIid) or before its
		// program (-xvI id)
		if len(word) > 2 && word[0] == '-' && word[1] != '-' {
			if i := strings.IndexByte(word, 'I'); i > 0 && strings.Trim(word[1:i], "abcdefghijklmnopqrstuvwxyz") == "" && i+1 < len(word) && probe(word[i+1:]) {
				return true
			}
		}
		if len(option) >= 2 && option[0] == '-' && option[1] != '-' && strings.HasSuffix(option, "I") &&
			strings.Trim(option[1:len(option)-1], "abcdefghijklmnopqrstuvwxyz") == "" && probe(word) {
			return true
		}
		if strict {
			return false
		}
		return (option == "-F") && probe(word) || strings.HasPrefix(word, "-F") && len(word) > 2 && probe(word[2:])
	case "man":
		// -P, --pager: the pager runs (attack 77)
		if longProbes("pager", "5") {
			return true
		}
		if strict {
			return false
		}
		return option == "-P" && probe(word) || strings.HasPrefix(word, "-P") && len(word) > 2 && probe(word[2:])
	case "other":
		// other tools' options that run a command (attack 79): find's
		// -exec, -execdir, -ok, -okdir; pandoc's --filter; wget's
		// --use-askpass and .wgetrc's use_askpass; rsync's --rsh;
		// Subversion's tunnels; Chromium's launchers and prefixes
		if option == "-exec" || option == "-execdir" || option == "-ok" || option == "-okdir" {
			// a shell, an interpreter or a network tool (find . -exec
			// rm {} \; is a how-to's)
			first, _, _ := strings.Cut(shellUnquoted(strings.TrimSpace(word)), " ")
			switch first[strings.LastIndexByte(first, '/')+1:] {
			case "sh", "bash", "dash", "zsh", "ksh", "python", "python2", "python3", "perl", "ruby", "node", "php", "lua", "nc", "ncat",
				"socat", "curl", "wget", "busybox", "env", "id", "whoami":
				return true
			}
		}
		if longProbes("filter", "6", "lua-filter", "5", "use-askpass", "5", "rsh", "3", "renderer-cmd-prefix", "9", "gpu-launcher", "5", "utility-cmd-prefix", "9",
			"browser-subprocess-path", "9", "compress-program", "8", "pre", "3",
			// Subversion's diff and editor commands, restic's password
			// command (attack 84)
			"diff-cmd", "8", "diff3-cmd", "9", "editor-cmd", "10", "password-command", "16",
			// ncat's --sh-exec and --lua-exec (attack 86)
			"sh-exec", "4", "lua-exec", "5") {
			return true
		}
		// sqlite3's -cmd ".shell ..." / ".system ..." (attack 81: through
		// escapeshellcmd, which leaves paired quotes alone)
		if (option == "-cmd" || option == "--cmd") && sqliteShellCommand(shellUnquoted(word)) {
			return true
		}
		// their short forms, pandoc's -F, rsync's -e and git clone's -u
		// (--upload-pack), before a command of 210151's only (a review:
		// src -e 'sh -c id' host:dst; attack 80: origin -u id; curl -F
		// 'file=@a.jpg', awk -F'|', sed -e 's/a/b/' and sudo -u postgres
		// psql pass)
		// and git difftool's -x (--extcmd: HEAD -x id ran id, attack 84)
		if (option == "-F" || option == "-e" || option == "-x") && probe(word) || option == "-e" && shellOrIdentity(word) {
			return true
		}
		if len(word) > 2 && (strings.HasPrefix(word, "-F") || strings.HasPrefix(word, "-e") || strings.HasPrefix(word, "-x")) && probe(word[2:]) {
			return true
		}
		// ncat's -c (--sh-exec), -e's twin through /bin/sh (attack 86:
		// 4444 -c sh, -csh), before a shell or an identity probe only: -c
		// is also ping's count, curl's cookie jar and bash -c's
		if option == "-c" && shellOrIdentity(word) || len(word) > 2 && strings.HasPrefix(word, "-c") && shellOrIdentity(word[2:]) {
			return true
		}
		if c, ok := long("exec", 4); ok && shellOrIdentity(c) {
			return true // ncat's --exec, -e's long form (a review)
		}
		// -u: not a user's name that is an interpreter's too (docker exec
		// -u node, sudo -u python3), nor -uid (find's test: a review)
		if option == "-u" && probe(word) {
			first, _, _ := strings.Cut(shellUnquoted(strings.TrimSpace(word)), " ")
			switch first {
			case "node", "python", "python2", "python3", "perl", "ruby", "php", "lua", "env", "nc", "socat", "busybox":
				return strings.ContainsAny(strings.TrimSpace(shellUnquoted(word)), " \t")
			}
			return true
		}
		for _, setting := range [...]string{"use_askpass=", "use-askpass=", "useaskpass="} {
			if i := strings.Index(strings.ToLower(word), setting); i >= 0 && (option == "-e" || option == "--execute" || i == 0 ||
				strings.HasPrefix(word, "--execute=") || strings.HasPrefix(word, "-e")) && probe(word[i+len(setting):]) {
				return true
			}
		}
		if c, ok := long("config-option", 8); ok {
			// its tunnels and its helpers' commands (config:helpers:editor-cmd=id: attack 84)
			if i := max(strings.Index(strings.ToLower(c), ":tunnels:"), strings.Index(strings.ToLower(c), ":helpers:")); i >= 0 {
				if _, cmd, ok := strings.Cut(c[i:], "="); ok && probe(cmd) {
					return true
				}
			}
		}
	case "ssh":
		// -oProxyCommand=, -o ProxyCommand=, -o 'ProxyCommand id': run to
		// reach the host (attack 78: host -oProxyCommand=id as one
		// command's arguments); a proxy's own (nc -X 5 -x proxy:1080 %h
		// %p) passes
		o := ""
		if c, ok := after("-o"); ok {
			o = c
		} else if option == "-o" {
			o = word
		}
		o = strings.TrimSpace(o)
		k := strings.IndexAny(o, "= \t")
		if k <= 0 {
			return false
		}
		switch strings.ToLower(o[:k]) {
		case "proxycommand", "localcommand", "knownhostscommand":
			c := strings.TrimLeft(o[k:], "= \t")
			return !strings.Contains(c, "%h") && probe(c) || uploadedPath(c)
		case "pkcs11provider", "securitykeyprovider":
			// a library ssh loads (attack 78's Open entry)
			return uploadedPath(strings.TrimLeft(o[k:], "= \t"))
		}
	default:
		if strict {
			return false
		}
		cmd, ok := "", false
		switch {
		case option == "-c" || option == "--cmd":
			cmd, ok = word, true
		case strings.HasPrefix(word, "+"):
			cmd, ok = word[1:], true
		case strings.HasPrefix(word, "-c") && len(word) > 2:
			cmd, ok = word[2:], true
		}
		return ok && vimShellCommand(cmd)
	}
	return false
}

// strictProbe: the command cmd starts with one of rule 210151's commands
// (probingCommand without its separators: argumentOptions), by its name
// or its absolute path (--compress-program=/bin/sh: a review of attack
// 81's fixes).
func strictProbe(cmd string) bool {
	c := shellUnquoted(strings.TrimSpace(cmd))
	if strings.HasPrefix(c, "/") {
		w, _, _ := strings.Cut(c, " ")
		c = c[strings.LastIndexByte(w, '/')+1:]
	}
	return shellCommandAt.MatchString(c + " ")
}

// optionThenArgument: v starts with an option whose argument is the next
// word, a short one alone (-c sh, -e cmd.exe) or a long one with no =
// (--sh-exec id): ncat's options given as the whole value (attack 87);
// -xid card and -Iid keep a random token's spelling.
func optionThenArgument(v string) bool {
	n := shellWordEnd(v, 0)
	if n >= len(v) || !strings.ContainsAny(v[n:], " \t") {
		return false
	}
	w := v[:n]
	return len(w) == 2 && w[0] == '-' && asciiLetter(w[1]) || len(w) > 3 && strings.HasPrefix(w, "--") && !strings.Contains(w, "=")
}

// shellOrIdentity: the command word's first word is a shell (Windows'
// too) or id or whoami, by its name or its path (ncat -c sh, -c
// /bin/bash, -c 'id', -e cmd.exe).
func shellOrIdentity(word string) bool {
	first, _, _ := strings.Cut(strings.TrimSpace(word), " ")
	first = shellUnquoted(first[strings.LastIndexAny(first, `/\`)+1:]) // C:\Windows\System32\cmd.exe (a review)
	first = strings.ToLower(first)
	switch strings.TrimSuffix(first, ".exe") {
	case "sh", "bash", "dash", "zsh", "ksh", "ash", "csh", "tcsh", "id", "whoami", "cmd", "powershell", "pwsh":
		return true
	}
	// a Windows path whose backslashes the word's reading took out
	// (C:WindowsSystem32cmd.exe)
	return strings.Contains(first, ":") && (strings.HasSuffix(first, "cmd.exe") || strings.HasSuffix(first, "powershell.exe") || strings.HasSuffix(first, "pwsh.exe"))
}

// gitPagerOption: word is git grep's -O<pager>, its value attached as an
// optional argument's is, after other short options or none (-Oid,
// -iOtouch x: GitList's CVE-2018-1000533, run by attack 83; -O2, -Os and
// -Ofast pass).
func gitPagerOption(word string) bool {
	if len(word) < 3 || word[0] != '-' {
		return false
	}
	m := 1 // other short options before it, -E, -I, -P too (-EOid: a review)
	for m < len(word) && word[m] != 'O' && (word[m] >= 'a' && word[m] <= 'z' || word[m] >= 'A' && word[m] <= 'Z') {
		m++
	}
	c := word[min(m+1, len(word)):]
	return m < len(word) && word[m] == 'O' && c != "" && (strictProbe(c) || shortOptionProgram(c))
}

// shortOptionProgram: the command c's first word is one of
// shortOptionPrograms (a shell, an interpreter, touch, cat, ...), by its
// name or its path.
func shortOptionProgram(c string) bool {
	w, _, _ := strings.Cut(strings.TrimSpace(c), " ")
	w = w[strings.LastIndexByte(w, '/')+1:]
	return shortOptionProgramRx.MatchString(w)
}

// shortOptionProgramRx is shortOptionPrograms as a whole word.
var shortOptionProgramRx = regexp.MustCompile(`\A(?:` + shortOptionPrograms + `)\z`)

// sqliteShellCommand: c (a word of sqlite3's arguments, unquoted) is a
// dot-command of sqlite3's shell that runs a command: .shell or .system
// (any prefix sqlite3 accepts: .sh, .she, .sy; blanks after the dot) and
// a command, or .once,
// .output, .read or .import from or to a pipe (.once |id). sqlite3 runs
// the dot-commands of -cmd and of its arguments after the database's
// name (a review of attack 81's fixes: data.db ".she id" and
// data.db ".shell id" ran id); a dot-command with no command after it
// (-cmd ".shell" is disabled) is prose.
func sqliteShellCommand(c string) bool {
	c = strings.TrimSpace(c)
	if len(c) < 3 || c[0] != '.' {
		return false
	}
	// blanks after the dot (".  shell id" runs: attack 82)
	n := len(c) - len(strings.TrimLeft(c[1:], " \t"))
	k := n
	for k < len(c) && c[k] >= 'a' && c[k] <= 'z' {
		k++
	}
	name, rest := c[n:k], strings.TrimLeft(c[k:], " \t")
	if rest == "" || k < len(c) && c[k] != ' ' && c[k] != '\t' {
		return false
	}
	prefix := func(full string, least int) bool { return len(name) >= least && strings.HasPrefix(full, name) }
	switch {
	case prefix("shell", 2), prefix("system", 2):
		// by its path too: a program's path is one to run (.system /bin/id,
		// .sh /tmp/x: a review)
		return probingCommand(rest) || strictProbe(rest) || strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "./")
	case prefix("once", 2), prefix("output", 2), prefix("read", 2), prefix("import", 2):
		return rest[0] == '|' && strings.TrimSpace(rest[1:]) != ""
	}
	return false
}

// argumentToolsOp is rule 210204's operator (argumentOptions).
const argumentToolsOp = "gatewayArgumentOptions"

func init() { registerGoOperator(argumentToolsOp, argumentOptions) }

// argumentOptions is rule 210204's operator: a word of the value after
// its first, read as one of a command's arguments, is an option of git,
// zip, tar, man or ssh that runs a command (toolRunsOption, strict):
// a.tar --to-command=sh, origin --upload-pack=id, host -oProxyCommand=id,
// a.zip -T -TT id. An application that splits a value into arguments
// (escapeshellcmd leaves spaces and dashes alone; shlex.split) runs
// them: tar -xf a.tar --to-command=sh ran the uploaded archive's script
// (attack 78, run with PHP and Python). Rules 210181-210190 read the
// options at the value's start only (prose that mentions one). The words
// are read once, at most tailBound bytes of them in all.
func argumentOptions(v string) bool {
	if !strings.Contains(v, " -") && !strings.Contains(v, "\t-") && !strings.Contains(v, "\n-") && !strings.Contains(v, "\".") && !strings.Contains(v, "'.") &&
		!strings.Contains(v, " .") && !optionThenArgument(v) {
		// a value that is one option: the rules 210181-210190 read the
		// tools' (-Iid is a random token's spelling to them), but git
		// grep's -O<pager> (attack 83)
		// and sqlite3's dot-command given whole (.shell id: a review)
		if strings.HasPrefix(v, "--") {
			// a long option alone (--extcmd=id: attack 84); a short one
			// is a random token's spelling (-Iid)
			w := shellUnquoted(v[:shellWordEnd(v, 0)])
			for _, tool := range [...]string{"git", "zip", "tar", "man", "ssh", "other"} {
				if toolRunsOption(tool, "", w, true) {
					return true
				}
			}
		}
		return strings.HasPrefix(v, "-") && gitPagerOption(shellUnquoted(v[:shellWordEnd(v, 0)])) ||
			strings.HasPrefix(v, ".") && sqliteShellCommand(v)
	}
	budget := tailBound(len(v))
	option := ""
	for j := skipBlanks(v, 0); j < len(v); j = skipBlanks(v, j) {
		n := shellWordEnd(v, j)
		if n == j {
			n = j + 1 // a separator: the next word is a command's
			option = ""
			j = n
			continue
		}
		if budget -= n - j; budget < 0 {
			return true
		}
		word := shellUnquoted(v[j:n])
		if strings.HasPrefix(word, ".") && sqliteShellCommand(word) {
			// a dot-command after sqlite3's database or as the whole
			// value, quoted or its blanks escaped (data.db ".shell id",
			// data.db .shell\ id: shlex.split makes either one argument)
			return true
		}
		if strings.HasPrefix(word, "-") || strings.HasPrefix(option, "-") {
			for _, tool := range [...]string{"git", "zip", "tar", "man", "ssh", "other"} {
				if toolRunsOption(tool, option, word, true) {
					return true
				}
			}
		}
		option = word
		j = n
	}
	return false
}

// shellUnquoted is a shell word with its quotes and backslashes taken
// out (v""im, "vim", \vim are vim).
func shellUnquoted(w string) string {
	if !strings.ContainsAny(w, `'"\`) {
		return w
	}
	return shellQuoteRemover.Replace(w)
}

// shellQuoteRemover takes a shell word's quotes and backslashes out (one
// for the process: a Replacer built per call cost its tables each time,
// two thirds of 210193's 9 ms on 15 KB of '||( ).
var shellQuoteRemover = strings.NewReplacer(`'`, "", `"`, "", `\`, "")

// vimShellCommand: cmd (an Ex command given with -c or +) runs a shell
// command that probes (probingCommand): after ! with a range or nothing
// before it (!id, %!id, '<,'>!id, .!id), r!, read !, w !, sil[ent] !,
// exe[cute] "!..."; or sh, shell, ter[minal]; or system( called
// (call system("id"), echo system(...), let x=system(...)), py3, lua,
// perl or ruby code. q! and wq! only force; %!jq . and %!xxd filter a
// buffer through an everyday tool (a review's false positives).
func vimShellCommand(cmd string) bool {
	cmd = strings.TrimLeft(cmd, ": ")
	if i := strings.IndexByte(cmd, '!'); i >= 0 && strings.TrimSpace(cmd[i+1:]) != "" {
		before := strings.TrimSpace(cmd[:i])
		before = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(before, `"`), `'`))
		switch before {
		case "", "r", "read", "w", "write", "sil", "silent", "silent!", "sil!", "%", ".", "$", "'<,'>", "exe", "execute":
			return probingCommand(strings.Trim(cmd[i+1:], `"' `))
		default:
			if strings.Trim(before, "0123456789,.$%") == "" {
				return probingCommand(strings.Trim(cmd[i+1:], `"' `)) // a range: 1,$!sort
			}
		}
	}
	word, _, _ := strings.Cut(cmd, " ")
	switch word {
	case "sh", "shell", "ter", "term", "terminal", "py", "py3", "python", "python3", "pyx", "lua", "perl", "ruby", "rub":
		return true
	}
	squeezed := strings.ReplaceAll(cmd, " ", "")
	for _, f := range []string{"system(", "libcall(", "libcallnr(", "jobstart(", "job_start(", "term_start(", "termopen("} {
		if strings.Contains(squeezed, f) {
			return true
		}
	}
	return false
}

// probingCommand: the shell command cmd starts with one of rule 210151's
// commands or holds a shell's separator or substitution.
func probingCommand(cmd string) bool {
	cmd = shellUnquoted(strings.TrimSpace(cmd))
	return strings.ContainsAny(cmd, ";|&`\n") || strings.Contains(cmd, "$(") || shellCommandAt.MatchString(cmd+" ")
}

// gitCommandSetting: s (a -c option's name=value) is one of the settings
// git runs as a command, set to one that probes (probingCommand): an
// editor, a pager, a credential store or a diff tool (core.editor=vim,
// core.pager='less -R', credential.helper=store, diff.external=difft:
// a review's false positives) pass.
func gitCommandSetting(s string) bool {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return false
	}
	name = strings.ToLower(name)
	switch {
	case name == "protocol.ext.allow", name == "protocol.allow":
		return value == "always" || value == "user"
	case strings.HasPrefix(name, "alias."):
		return strings.HasPrefix(strings.TrimLeft(value, `'"`), "!") && (value == "$" || probingCommand(strings.TrimLeft(strings.TrimLeft(value, `'"`), "!")))
	}
	switch {
	case name == "core.sshcommand", name == "core.pager", name == "core.editor", name == "core.fsmonitor", name == "core.hookspath",
		name == "core.askpass", name == "core.gitproxy", name == "uploadpack.packobjectshook", name == "sequence.editor",
		name == "diff.external", name == "credential.helper", name == "gpg.program", name == "gpg.ssh.program",
		name == "core.alternaterefscommand", strings.HasPrefix(name, "pager."),
		strings.HasPrefix(name, "diff.") && strings.HasSuffix(name, ".textconv"),
		strings.HasPrefix(name, "filter.") && (strings.HasSuffix(name, ".clean") || strings.HasSuffix(name, ".smudge") || strings.HasSuffix(name, ".process")),
		strings.HasPrefix(name, "merge.") && strings.HasSuffix(name, ".driver"),
		strings.HasPrefix(name, "remote.") && (strings.HasSuffix(name, ".uploadpack") || strings.HasSuffix(name, ".receivepack")):
	default:
		return false
	}
	if value == "$" {
		return true // --config-env names a variable
	}
	first, _, _ := strings.Cut(strings.TrimSpace(shellUnquoted(value)), " ")
	switch first {
	case "less", "more", "most", "cat", "bat", "delta", "vim", "vi", "nvim", "nano", "emacs", "code", "subl", "difft",
		"diff-so-fancy", "store", "cache", "ssh", "manager", "osxkeychain", "libsecret":
		return strings.ContainsAny(value, ";|&`") || strings.Contains(value, "$(")
	}
	return probingCommand(value) || uploadedPath(first)
}

// uploadedPath: p (a program's, a library's or a script's path an option
// names) is a file an attacker can have written first: in a temporary
// directory (/tmp, /var/tmp, /dev/shm), a process's own descriptor
// (/proc/self/fd/0: its standard input), or a directory named for
// uploads (ssh -oPKCS11Provider=/tmp/u.so loads the uploaded library,
// pandoc --lua-filter=/var/www/uploads/x.lua runs the uploaded script,
// git -c core.sshCommand=/tmp/x runs it: attack 78's Open entry). A
// system path (/usr/lib/opensc-pkcs11.so, /usr/local/bin/pandoc-crossref)
// is a how-to's.
func uploadedPath(p string) bool {
	p = strings.ToLower(strings.TrimSpace(shellUnquoted(p)))
	for _, dir := range [...]string{"/tmp/", "/var/tmp/", "/dev/shm/", "/proc/self/", "/dev/fd/", "/dev/stdin"} {
		if strings.HasPrefix(p, dir) {
			return true
		}
	}
	// a directory named for uploads, not a file (filters/upload-links.lua:
	// a review)
	// and the frameworks' public upload directories (Laravel's
	// storage/app/public, Django's media/: attack 84)
	for _, dir := range [...]string{"upload/", "uploads/", "uploaded/", "storage/app/", "media/", "public/files/", "public/uploads/"} {
		if strings.HasPrefix(p, dir) || strings.Contains(p, "/"+dir) {
			return true
		}
	}
	return false
}

// gitEnvCommand: at v[k:] an assignment of an environment variable that a
// tool runs as a command (GIT_SSH_COMMAND=id git ls-remote ...: a
// review) to one of rule 210151's commands.
func gitEnvCommand(v string, k int) bool {
	if k >= len(v) || v[k] < 'A' || v[k] > 'Z' {
		return false // the names are upper case
	}
	e := shellWordEnd(v[:min(len(v), k+langCallWindow)], k)
	name, value, ok := strings.Cut(v[k:e], "=")
	if !ok {
		return false
	}
	switch name {
	case "GIT_SSH_COMMAND", "GIT_SSH", "GIT_PAGER", "GIT_EDITOR", "GIT_ASKPASS", "GIT_EXTERNAL_DIFF", "GIT_PROXY_COMMAND",
		"GIT_SEQUENCE_EDITOR", "PAGER", "EDITOR", "VISUAL", "MANPAGER", "LESSOPEN", "SSH_ASKPASS":
	default:
		return false
	}
	return shellCommandAt.MatchString(shellUnquoted(value) + " ")
}

// shellVariableCommand: at v[k:] (after a separator), over white space,
// a word that expands a variable or the positional parameters ($f, ${f},
// "$f", $1$2, "$@"id) becomes, with the values the value gave them in the
// langCallWindow bytes before (f=id, f='who', set -- i d), a command that
// rule 210151 reads (shellCommandAt): x;f=id;$f, x;f=who;$f\ami,
// x;set -- id; "$@", x;set -- i d;$1$2 (attacks 53 and 54). An unset
// variable expands to nothing, as the shell's does.
func shellVariableCommand(v string, k int, readers *readersIn) bool {
	k = skipBlanks(v, k)
	// a word longer than a name is read no further (a value of one long
	// word, '$a='.'$b='..., would be read to its end at each separator)
	end := shellWordEnd(v[:min(len(v), k+langNameMax+1)], k)
	word := v[k:end]
	if strings.IndexByte(word, '$') < 0 || len(word) > langNameMax {
		return false
	}
	from := max(0, k-langCallWindow)
	window := v[from:k]
	if *readers == readersUnknown {
		*readers = readersNone
		for _, r := range shellReaders {
			if strings.Contains(v, r) {
				*readers = readersSome
				break
			}
		}
	}
	if *readers == readersSome && shellReadCommand(word, window) {
		return true
	}
	// a loop's variable takes each of its words in turn (for i in x id):
	// each pick reads the pick-th word of every loop variable
	for pick := range 4 {
		more := false
		var buf [2*langNameMax + 64]byte
		line := buf[:0]
		for x := 0; x < len(word); x++ {
			c := word[x]
			switch {
			case c == '\'' || c == '"' || c == '\\':
				continue
			case c != '$' || x+1 >= len(word):
				line = append(line, c)
				continue
			}
			n := x + 1
			brace := word[n] == '{'
			if brace {
				n++
			}
			if n >= len(word) {
				break
			}
			e := n + 1
			if word[n] != '@' && word[n] != '*' && (word[n] < '0' || word[n] > '9') {
				if e = identEnd(word, n); e == n {
					line = append(line, c)
					continue
				}
			}
			value, others := shellValue(v, from, window, word[n:e], pick)
			more = more || others
			if len(line)+len(value) > langNameMax {
				return false
			}
			line = append(line, value...)
			if brace && e < len(word) && word[e] == '}' {
				e++
			}
			x = e - 1
		}
		if len(line) > 0 {
			// the rest of the command's line (a line break ends it)
			rest := v[end:min(len(v), end+64)]
			if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
				rest = rest[:nl]
			}
			line = append(line, rest...)
			if shellCommandAt.Match(line) {
				return true
			}
		}
		if !more {
			return false
		}
	}
	return false
}

// shellAssigned is the value an assignment's word raw gives: its quotes
// dropped, the variables it expands given the values window (before the
// assignment) gave them (a=i;a="$a"d, a=$a'd': attack 57), and an
// array's first element (a=([0]=id) or a=(id x)); a variable in the
// value of one so expanded expands to nothing (one level deep: each
// level multiplies the searches).
func shellAssigned(v string, from int, window, raw string, pick, depth int) string {
	if len(raw) > 1 && raw[0] == '(' {
		raw = strings.TrimSuffix(raw[1:], ")")
		if f := strings.Fields(raw); len(f) > 0 {
			raw = f[0]
		}
		if strings.HasPrefix(raw, "[") {
			if eq := strings.Index(raw, "]="); eq >= 0 {
				raw = raw[eq+2:]
			}
		}
	}
	if strings.IndexByte(raw, '$') < 0 {
		return strings.Trim(raw, `'"`)
	}
	var b strings.Builder
	for x := 0; x < len(raw); x++ {
		c := raw[x]
		switch {
		case c == '\'' || c == '"':
			continue
		case c != '$' || x+1 == len(raw):
			b.WriteByte(c)
			continue
		case raw[x+1] == '"':
			continue // $"id": bash's locale quoting, a quote (attack 58)
		case raw[x+1] == '\'':
			// $'\x69d': ANSI-C quoting, decoded (attack 58)
			q := strings.IndexByte(raw[x+2:], '\'')
			if q < 0 {
				return b.String()
			}
			var buf [langNameMax]byte
			b.Write(perlUnescape(raw[x+2:x+2+q], buf[:0]))
			x += q + 2
			continue
		}
		n := x + 1
		brace := raw[n] == '{'
		if brace {
			n++
		}
		e := identEnd(raw, n)
		if e == n {
			b.WriteByte(c)
			continue
		}
		if depth < 1 {
			val, _ := shellValueAt(v, from, window, raw[n:e], pick, depth+1)
			b.WriteString(val)
		}
		if brace && e < len(raw) && raw[e] == '}' {
			e++
		}
		x = e - 1
	}
	return b.String()
}

// shellShifted is args (set's words) after the shifts in after (shift,
// shift N) drop their first ones.
func shellShifted(args, after string) string {
	for off := 0; ; {
		i := strings.Index(after[off:], "shift")
		if i < 0 {
			return args
		}
		i += off
		off = i + len("shift")
		if i > 0 && identByte(after[i-1], "") || off < len(after) && identByte(after[off], "") {
			continue
		}
		n := 1
		if k := skipBlanks(after, off); k < len(after) && after[k] >= '1' && after[k] <= '9' {
			n = int(after[k] - '0')
		}
		for range n {
			args = strings.TrimLeft(args, " \t")
			w := strings.IndexAny(args, " \t")
			if w < 0 {
				return ""
			}
			args = args[w:]
		}
	}
}

// shellReadCommand: the command word expands a variable that one of
// shellReaders in window sets (whatever it reads, from a here-string, a
// here-document or a pipe: x;read a<<<id;$a, x;echo id|{ read a;$a;}),
// and the window assigns it no value.
func shellReadCommand(word, window string) bool {
	for x := 0; x < len(word); x++ {
		if word[x] != '$' {
			continue
		}
		n := x + 1
		if n < len(word) && word[n] == '{' {
			n++
		}
		e := identEnd(word, n)
		if e > n && (word[n] < '0' || word[n] > '9') && shellReaderSets(window, word[n:e]) {
			return true
		}
	}
	return false
}

// shellValue is the value the window (v[from:k]) last gave the variable
// name: an assignment (name=value, quotes dropped), or for the positional
// parameters (1-9, @, *) what the last set (set -- a b) gave them; ""
// when none.
func shellValue(v string, from int, window, name string, pick int) (value string, more bool) {
	return shellValueAt(v, from, window, name, pick, 0)
}

// shellValueAt is shellValue for a variable whose value another's
// assignment expands, depth assignments deep (up to one).
func shellValueAt(v string, from int, window, name string, pick, depth int) (value string, more bool) {
	if name == "@" || name == "*" || name[0] >= '1' && name[0] <= '9' {
		var args string
		set := window
		for range 4 {
			s := strings.LastIndex(set, "set ")
			if s < 0 {
				return "", false
			}
			f := skipBlanks(v, from+s+len("set "))
			if strings.HasPrefix(v[f:], "--") {
				f = skipBlanks(v, f+2)
			}
			// the words up to the command's end
			stop := f
			for stop < len(v) && strings.IndexByte(";|&\n", v[stop]) < 0 {
				stop++
			}
			args = v[f:stop]
			if a := strings.Trim(strings.TrimSpace(args), `"`); a != "$@" && a != "$*" {
				// each shift after it drops the first (attack 58:
				// set -- x id;shift;$1)
				args = shellShifted(args, window[s:])
				break
			}
			set = set[:s] // set -- "$@" sets them again as they were
		}
		if name == "@" || name == "*" {
			return strings.TrimSpace(args), false
		}
		for n := int(name[0] - '1'); ; n-- {
			args = strings.TrimLeft(args, " \t")
			w := strings.IndexAny(args, " \t")
			if w < 0 {
				w = len(args)
			}
			if n == 0 {
				return shellAssigned(v, from, "", args[:w], pick, 1), false
			}
			if w == len(args) {
				return "", false
			}
			args = args[w:]
		}
	}
	// the last assignment, and the appends (name+=more: attack 56's
	// a=i;a+=d) after it, up to four
	var appends [4]string
	na := 0
	for w, tries := window, 0; tries < 8; tries++ {
		x := strings.LastIndex(w, name)
		if x < 0 {
			break
		}
		w = w[:x]
		r := x + len(name)
		if x > 0 && identByte(window[x-1], "") || r >= len(window) {
			continue
		}
		if window[r] == '[' {
			// an element: a[0]=id, a[1-1]=id (attack 58); $a is its
			// first, whatever the index says
			if c := strings.IndexByte(window[r:min(len(window), r+16)], ']'); c > 0 {
				r += c + 1
			}
			if r >= len(window) {
				continue
			}
		}
		plus := window[r] == '+' && r+1 < len(window) && window[r+1] == '='
		if window[r] != '=' && !plus {
			continue
		}
		f := from + r + 1
		if plus {
			f++
		}
		value = shellAssigned(v, from, window[:x], v[f:shellWordEnd(v[:min(len(v), f+langNameMax+1)], f)], pick, depth)
		if !plus {
			for n := na - 1; n >= 0; n-- {
				value += appends[n]
			}
			return value, false
		}
		if na == len(appends) {
			return "", false
		}
		appends[na], na = value, na+1
	}
	if na > 0 {
		// appends to a variable the window did not set: to nothing
		value = ""
		for n := na - 1; n >= 0; n-- {
			value += appends[n]
		}
		return value, false
	}
	return shellLoopValue(window, name, pick)
}

// readersIn is whether a value holds one of shellReaders' names, read
// once a value's first variable command needs it (each would search
// its window for each otherwise).
type readersIn int8

const (
	readersUnknown readersIn = iota
	readersNone
	readersSome
)

// shellReaders are bash's builtins that set a variable named as their
// argument to what they read (read a<<<id, mapfile a<<E, printf -v a
// id, getopts s a): attack 56's read and mapfile of a here-string or a
// here-document, then $a as the command.
var shellReaders = []string{"read", "mapfile", "readarray", "getopts", "printf"}

// shellReaderSets: one of shellReaders in window (at a word's start, on
// its command's line) names the variable name among its arguments (for
// printf, as -v's value).
func shellReaderSets(window, name string) bool {
	for _, r := range shellReaders {
		w := window
		for tries := 0; tries < 4; tries++ {
			x := strings.LastIndex(w, r)
			if x < 0 {
				break
			}
			w = w[:x]
			e := x + len(r)
			if x > 0 && strings.IndexByte(" \t;|&\n({`", window[x-1]) < 0 || e >= len(window) || window[e] != ' ' && window[e] != '\t' {
				continue
			}
			args := window[e:]
			if stop := strings.IndexAny(args, ";|&\n"); stop >= 0 {
				args = args[:stop]
			}
			prev := ""
			for a := 0; a < len(args); {
				a = skipBlanks(args, a)
				b := a
				for b < len(args) && args[b] != ' ' && args[b] != '\t' {
					b++
				}
				arg := args[a:b]
				if c := strings.IndexAny(arg, "<>"); c >= 0 {
					arg = arg[:c] // read a<<<id
				}
				if strings.Trim(arg, `'"`) == name && (r != "printf" || prev == "-v") {
					return true
				}
				prev, a = arg, b
			}
		}
	}
	return false
}

// shellLoopValue is the pick-th word a for loop in window gives the
// variable name (for i in x id; do $i; done: attack 55), and whether it
// gives more after it.
func shellLoopValue(window, name string, pick int) (string, bool) {
	head := "for " + name + " in "
	f := strings.LastIndex(window, head)
	if f < 0 {
		return "", false
	}
	list := window[f+len(head):]
	if stop := strings.IndexAny(list, ";\n"); stop >= 0 {
		list = list[:stop]
	}
	words := strings.Fields(list)
	if pick >= len(words) {
		return "", false
	}
	return strings.Trim(words[pick], `'"`), pick+1 < len(words)
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
		// attack 53: setarch and its own names for each architecture
		"setarch": true, "linux64": true, "linux32": true, "x86_64": true, "i386": true, "i686": true, "uname26": true,
		"aarch64": true, "arm64": true, "ppc64": true, "s390x": true,
		// attack 55
		"dbus-run-session": true, "fakeroot-sysv": true, "fakeroot-tcp": true, "gpg-agent": true, "ssh-agent": true,
		"dbus-launch": true, "xvfb-run": true, "logsave": true, "choom": true, "capsh": true,
		// attack 57: cmd.exe's start and PowerShell's alias of
		// Start-Process (x&start id)
		"start": true,
	}
	shellGrammar = map[string]bool{"!": true, "if": true, "then": true, "else": true, "elif": true, "do": true, "while": true,
		"until": true, "case": true}
)

// shellPrefixOperands are how many words (not options) a runner takes
// before the command: sg's group, chroot's directory, timeout's duration,
// taskset's mask, chrt's priority, flock's file, faketime's time.
var shellPrefixOperands = map[string]int{"sg": 1, "chroot": 1, "timeout": 1, "taskset": 1, "chrt": 1, "flock": 1, "faketime": 1,
	"setarch": 1, "logsave": 1}

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
	var wb [24]byte
	word := v[k:e]
	if q := shellUnquotedWord(v, k, wb[:0]); q.end > e && len(q.text) > 0 {
		// quotes or backslashes in the word, which the shell drops:
		// ti''me, "time", t\ime (attack 54)
		word, e = string(q.text), q.end
	}
	if e == k {
		return k, false
	}
	if e < len(v) && v[e] == '=' && v[k] != '!' && (v[k] < '0' || v[k] > '9') {
		// a variable's assignment: A=1 id, A='' id, A= id
		return shellWordEnd(v, e+1), true
	}
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
		// a function the value defined to run its arguments:
		// f(){ "$@";};f id (attack 54)
		if shellArgsRunner(v, k, word) {
			return e, true
		}
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
		case word == "start" && j < len(v) && (v[j] == '/' || v[j] == '"'):
			// cmd.exe's start: /b, /min, /wait, a title "" (attack 58)
			if v[j] == '"' {
				q := strings.IndexByte(v[j+1:min(len(v), j+1+langNameMax)], '"')
				if q < 0 {
					return k, false
				}
				j += q + 2
			} else {
				j = shellWordEnd(v, j)
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

// unquoted is a shell word read without its quotes and backslashes.
type unquoted struct {
	text []byte
	end  int
}

// shellUnquotedWord reads the word at v[k:] (letters, digits, _, -, !
// and the quotes and backslashes between them) into buf without its
// quotes and backslashes; end is k when it holds none of them or is
// longer than buf.
func shellUnquotedWord(v string, k int, buf []byte) unquoted {
	quoted, j := false, k
	for ; j < len(v); j++ {
		c := v[j]
		switch {
		case c == '\'' || c == '"' || c == '\\':
			quoted = true
		case identByte(c, "-!"):
			if len(buf) == cap(buf) {
				return unquoted{end: k}
			}
			buf = append(buf, c)
		default:
			if !quoted {
				return unquoted{end: k}
			}
			return unquoted{text: buf, end: j}
		}
	}
	if !quoted {
		return unquoted{end: k}
	}
	return unquoted{text: buf, end: j}
}

// shellArgsRunner: v defines, in the langCallWindow bytes before k, the
// function name whose body runs its arguments ($@, $*, $1, quoted or not:
// f(){ "$@";}, function f { $*; }), so that name before a command runs
// it.
func shellArgsRunner(v string, k int, name string) bool {
	if name == "" {
		return false
	}
	w := v[max(0, k-langCallWindow):k]
	for off := 0; off < len(w); {
		i := strings.Index(w[off:], name)
		if i < 0 {
			return false
		}
		i += off
		off = i + len(name)
		if i > 0 && identByte(w[i-1], "") {
			continue
		}
		b := skipSpace(w, off)
		if !strings.HasPrefix(w[b:], "()") && !strings.HasSuffix(strings.TrimRight(w[:i], " \t"), "function") {
			continue
		}
		open := strings.IndexByte(w[b:], '{')
		if open < 0 {
			return false
		}
		end := strings.IndexByte(w[b+open:], '}')
		if end < 0 {
			return false
		}
		body := w[b+open : b+open+end]
		if strings.Contains(body, "$@") || strings.Contains(body, "$*") || strings.Contains(body, "$1") {
			return true
		}
	}
	return false
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
		case '\\':
			// an escaped byte, a blank too (.shell\ id is one word:
			// attack 82)
			j = min(len(v), j+2)
		default:
			j++
		}
	}
	return j
}

// blanksBefore is i moved back over the spaces and tabs before v[i].
func blanksBefore(v string, i int) int {
	for i > 0 && (v[i-1] == ' ' || v[i-1] == '\t') {
		i--
	}
	return i
}

// skipBlanks skips spaces and tabs at v[j:].
func skipBlanks(v string, j int) int {
	for j < len(v) && (v[j] == ' ' || v[j] == '\t') {
		j++
	}
	return j
}
