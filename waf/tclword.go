package waf

import "strings"

// tclWordsMax is how many words of a command tclReadCommand reads.
const tclWordsMax = 16

// tclCommand is a Tcl command read as Tcl reads its words
// (tclReadCommand): each word decoded (braces, quotes, backslash
// escapes, {*}), up to its first computed word.
type tclCommand struct {
	buf  [langCallWindow]byte
	ends [tclWordsMax]int // words[x] is buf[ends[x-1]:ends[x]]
	n    int              // words read
	// computed is the index of the word that a command substitution or
	// a variable builds (where the reading stopped), or -1; variable is
	// the variable's name when one does, at is its '$' in v
	computed int
	variable string
	at       int
	// end is the index in v where the reading stopped
	end int
	// otherwise: the first word is spelled otherwise than its text
	// (quoted, braced, escaped, expanded)
	otherwise bool
}

// word is the command's x'th word, decoded.
func (c *tclCommand) word(x int) []byte {
	s := 0
	if x > 0 {
		s = c.ends[x-1]
	}
	return c.buf[s:c.ends[x]]
}

// tclSpace: c separates Tcl's words (a newline ends the command).
func tclSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'
}

// tclReadCommand reads the words of the Tcl command at v[k] (after its
// '[' when inBracket, else at a value's start) as Tcl does, within
// langCallWindow bytes: braces (literal), quotes and bare words
// (backslash escapes \xHH \uHHHH \UHHHHHHHH \NNN and the like decoded),
// {*} before a word (its list's elements become words), any of Tcl's
// blanks between words. It stops at the command's end (']' in a bracket,
// ';', a newline), at the first word a command substitution or a
// variable builds (computed), and at a '[' inside braces: so each byte
// is read by the reading that starts at the last '[' before it, and a
// value of many brackets is read once. The first word is read within
// langNameMax bytes only (no command's name is longer): nameOnly stops
// after it.
func tclReadCommand(v string, k int, inBracket, nameOnly bool, c *tclCommand) {
	full := v[:min(len(v), k+langCallWindow)]
	s := full
	c.n, c.computed, c.variable, c.otherwise = 0, -1, "", false
	b := 0 // bytes of buf used
	put := func(x byte) bool {
		if b == len(c.buf) {
			return false
		}
		c.buf[b] = x
		b++
		return true
	}
	pos := k
	defer func() { c.end = pos }()
	for c.n < tclWordsMax {
		// the blanks after the first word are read in the whole window
		// (exec then 61 spaces then id was cut at the name's 64 bytes:
		// the review's)
		s = full
		for pos < len(s) && (tclSpace(s[pos]) || s[pos] == '\\' && pos+1 < len(s) && s[pos+1] == '\n') {
			if s[pos] == '\\' {
				pos++
			}
			pos++
		}
		if pos >= len(s) || s[pos] == '\n' || s[pos] == ';' || inBracket && s[pos] == ']' {
			return
		}
		start, first := pos, b
		if c.n == 0 {
			s = full[:min(len(full), pos+langNameMax)]
		}
		expand := strings.HasPrefix(s[pos:], "{*}") && pos+3 < len(s) && !tclSpace(s[pos+3]) && s[pos+3] != '\n'
		if expand {
			pos += 3
		}
		switch s[pos] {
		case '{':
			depth := 1
			for pos++; pos < len(s) && depth > 0; pos++ {
				switch s[pos] {
				case '[':
					return // a bracket in braces: read from it
				case '{':
					depth++
				case '}':
					depth--
				case '\\':
					if pos+1 < len(s) && s[pos+1] != '\n' {
						put('\\')
						pos++
					} else if pos+1 < len(s) {
						pos++
						put(' ')
						continue
					}
				}
				if depth > 0 && !put(s[pos]) {
					return
				}
			}
			if depth > 0 {
				return // cut short
			}
		case '"':
			for pos++; pos < len(s) && s[pos] != '"'; {
				if !tclWordByte(v, s, &pos, c, put) {
					return
				}
			}
			if pos >= len(s) {
				return // cut short
			}
			pos++
		default:
			for pos < len(s) && !tclSpace(s[pos]) && s[pos] != '\n' && s[pos] != ';' && !(inBracket && s[pos] == ']') &&
				!(s[pos] == '\\' && pos+1 < len(s) && s[pos+1] == '\n') { // a backslash-newline is a blank (attack 61)
				if !tclWordByte(v, s, &pos, c, put) {
					return
				}
			}
		}
		if c.n == 0 {
			c.otherwise = expand || s[start:pos] != string(c.buf[first:b])
		}
		if expand {
			// the list's elements: split at its blanks (a brace or a quote
			// in it is spelled otherwise, which the first word reads as
			// such)
			for x := first; x < b && c.n < tclWordsMax; x++ {
				if tclSpace(c.buf[x]) || c.buf[x] == '\n' {
					if x > first {
						c.ends[c.n] = x
						c.n++
					}
					first = x + 1
				}
			}
			if b > first && c.n < tclWordsMax {
				c.ends[c.n] = b
				c.n++
			}
		} else {
			c.ends[c.n] = b
			c.n++
		}
		if nameOnly {
			return
		}
		if pos < len(s) && !tclSpace(s[pos]) && s[pos] != '\n' && s[pos] != ';' && s[pos] != ']' && s[pos] != '\\' {
			return // a brace's or a quote's word with more after it: an error in Tcl
		}
	}
}

// tclWordByte reads the byte at s[*pos] of a quoted or bare word: an
// escape, decoded; a command substitution or a variable, which makes the
// word computed (false: the reading stops); any other byte as itself.
// false too when the buffer is full.
func tclWordByte(v, s string, pos *int, c *tclCommand, put func(byte) bool) bool {
	p := *pos
	switch s[p] {
	case '[':
		c.computed, c.at = c.n, p
		return false
	case '$':
		// a variable: $name (its :: parts), ${name}; $ before anything
		// else is itself
		if p+1 < len(s) && s[p+1] == '{' {
			e := strings.IndexByte(s[p+2:], '}')
			if e < 0 {
				c.computed, c.at = c.n, p
				return false
			}
			c.computed, c.variable, c.at = c.n, s[p+2:p+2+e], p
			return false
		}
		e := p + 1
		for e < len(s) && (identByte(s[e], "") || s[e] == ':' && e+1 < len(s) && s[e+1] == ':') {
			if s[e] == ':' {
				e++
			}
			e++
		}
		if e > p+1 {
			c.computed, c.variable, c.at = c.n, s[p+1:e], p
			return false
		}
	case '\\':
		n, e := tclEscape(s, p)
		*pos = e
		if n >= 0x80 {
			n = 0x80 // past ASCII: no command's name
		}
		return put(byte(n))
	}
	*pos = p + 1
	return put(s[p])
}

// tclEscape decodes Tcl's backslash escape at s[p] ('\\'): its value and
// the index after it.
func tclEscape(s string, p int) (rune, int) {
	if p+1 >= len(s) {
		return '\\', p + 1
	}
	d := s[p+1]
	digits := func(max int, ok func(byte) bool, base rune) (rune, int) {
		n, e := rune(0), p+2
		for e < len(s) && e < p+2+max && ok(s[e]) {
			// past Unicode's last code point the value stays there (eight
			// hex digits overflowed a rune to a negative: \UFFFFFF78 read
			// as x, the review's)
			n = min(n*base+rune(unhex(s[e])), 0x110000)
			e++
		}
		if e == p+2 {
			return rune(d), e // \x alone is x
		}
		return n, e
	}
	switch d {
	case 'a':
		return 7, p + 2
	case 'b':
		return 8, p + 2
	case 'f':
		return '\f', p + 2
	case 'n':
		return '\n', p + 2
	case 'r':
		return '\r', p + 2
	case 't':
		return '\t', p + 2
	case 'v':
		return '\v', p + 2
	case '\n':
		e := p + 2
		for e < len(s) && (s[e] == ' ' || s[e] == '\t') {
			e++
		}
		return ' ', e
	case 'x':
		return digits(2, ishex, 16)
	case 'u':
		return digits(4, ishex, 16)
	case 'U':
		return digits(8, ishex, 16)
	}
	if d >= '0' && d <= '7' {
		n, e := rune(0), p+1
		for e < len(s) && e < p+4 && s[e] >= '0' && s[e] <= '7' {
			n = n*8 + rune(s[e]-'0')
			e++
		}
		return n & 0xff, e
	}
	return rune(d), p + 2
}

// tclExecOptions are exec's options before its command.
var tclExecOptions = map[string]bool{"-ignorestderr": true, "-keepnewline": true}

// tclWrappers are commands that run the command after them (and their
// options, and at most one more argument: chroot /, flock /tmp/x):
// exec env id, exec nohup id, exec setpriv id (attack 61).
var tclWrappers = map[string]bool{"env": true, "nohup": true, "nice": true, "setsid": true, "timeout": true, "stdbuf": true,
	"time": true, "command": true, "sudo": true, "doas": true, "ionice": true, "chrt": true, "taskset": true, "xargs": true,
	"setpriv": true, "prlimit": true, "unshare": true, "runcon": true, "chroot": true, "su": true, "flock": true, "nsenter": true,
	"firejail": true, "systemd-run": true, "busybox": true, "strace": true, "ltrace": true, "unbuffer": true, "fakeroot": true,
	"proxychains": true, "torsocks": true, "watch": true, "script": true, "sg": true, "runuser": true, "cgexec": true, "numactl": true}

// tclExecRuns: the command c (its name already read as exec) runs a
// command a probe runs: after exec's options, its redirections and
// wrappers (env, nohup ...) with their options, the command's word is
// computed (built by a command substitution, or a variable the value
// sets: attack 60 made it so on purpose), or its words are a command
// (literalCommand: [exec id], not [exec summary] in an agenda).
func tclExecRuns(v string, c *tclCommand, names *tclNames) bool {
	return tclExecRunsFrom(v, c, 1, names)
}

// tclExecRunsFrom is tclExecRuns of exec's words from c's word first.
func tclExecRunsFrom(v string, c *tclCommand, first int, names *tclNames) bool {
	return tclExecRunsAt(v, c, first, names, true)
}

// tclExecRunsAt is tclExecRunsFrom; more: a wrapper's word after its
// options may be its argument (chroot /, flock /tmp/x), the command
// after it read once more (once: a value of wrappers costs two readings).
func tclExecRunsAt(v string, c *tclCommand, first int, names *tclNames, more bool) bool {
	i := first
	wrapped := -1 // the word after a wrapper's options
	for ; i < c.n; i++ {
		w := c.word(i)
		if string(w) == "--" {
			i++
			break
		}
		if !tclExecOptions[string(w)] {
			break
		}
	}
	for i < c.n {
		w := c.word(i)
		switch {
		case len(w) > 0 && strings.IndexByte("<>|", w[0]) >= 0, len(w) > 1 && w[0] == '2' && w[1] == '>':
			// a redirection: its target after it when it is the
			// operator alone
			if strings.Trim(string(w), "<>|&@2") == "" && string(w) != "|" {
				i++
			}
			i++
			continue
		case tclWrappers[string(w[bytesLastSlash(w)+1:])]:
			for i++; i < c.n; i++ {
				a := c.word(i)
				if len(a) == 0 || a[0] != '-' && !strings.Contains(string(a), "=") && (a[0] < '0' || a[0] > '9') {
					break
				}
			}
			wrapped = i
			continue
		case string(w[bytesLastSlash(w)+1:]) == "git":
			// git -c alias.x=!id x runs id (attack 61): any -c with =!
			for x := i + 1; x < c.n; x++ {
				if a := string(c.word(x)); strings.HasPrefix(a, "-c") && strings.Contains(a, "=!") ||
					a == "-c" && x+1 < c.n && strings.Contains(string(c.word(x+1)), "=!") {
					return true
				}
			}
		}
		break
	}
	if more && wrapped == i && i+1 < c.n && (c.computed < 0 || c.computed > i) && tclExecRunsAt(v, c, i+1, names, false) {
		return true
	}
	if c.computed >= 0 && c.computed <= i {
		// the command's word is computed: a command substitution, or a
		// variable the value gives a value (its name a word before it)
		// or the environment's ($env(SHELL)); an application's own
		// variable ([exec {*}$cmd] in a tip) is none a request sets
		return c.variable == "" || names.set(v, c.at, c.variable)
	}
	if i >= c.n {
		return false
	}
	if r, ok := tclHereRuns(v, c, i, names); ok {
		return r
	}
	var text [langCallWindow]byte
	t := text[:0]
	for x := i; x < c.n; x++ {
		w := c.word(x)
		if x == i {
			w = w[bytesLastSlash(w)+1:] // /usr/bin/id
		} else {
			t = append(t, ' ')
		}
		t = append(t, w...)
	}
	return names.command(string(t))
}

// tclStdinShells are shells that run the command lines on their stdin;
// tclStdinCode, interpreters that run the code on it (a version after
// the name: python3, php8.2).
var (
	tclStdinShells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "ash": true,
		"csh": true, "tcsh": true, "fish": true, "rbash": true, "yash": true, "posh": true}
	tclStdinCode = map[string]bool{"python": true, "perl": true, "ruby": true, "php": true, "node": true, "nodejs": true, "lua": true,
		"tclsh": true, "wish": true, "expect": true, "pwsh": true, "powershell": true, "bun": true, "deno": true, "irb": true, "jshell": true}
)

// tclHereRuns: exec's command at c's word i is a shell or an
// interpreter given a here-string (<< text, <<text) on its stdin, which
// it runs (attack 62: [exec sh << id], [exec sh << "echo hi;id"]): a
// shell's text is read as command lines (literalCommand on each
// statement: [exec sh << summary] passes), an interpreter's is code
// when it has any; a here-string a command substitution or a variable
// the value sets builds is refused. ok: the command is such a reader
// given a here-string.
func tclHereRuns(v string, c *tclCommand, i int, names *tclNames) (runs, ok bool) {
	w := c.word(i)
	name := strings.TrimRight(string(w[bytesLastSlash(w)+1:]), "0123456789.-")
	shell := tclStdinShells[name]
	if !shell && !tclStdinCode[name] {
		return false, false
	}
	for x := i + 1; x <= c.n; x++ {
		var here []byte
		switch {
		case x < c.n && len(c.word(x)) > 2 && string(c.word(x)[:2]) == "<<":
			here = c.word(x)[2:]
		case x < c.n && string(c.word(x)) == "<<":
			x++
			if x < c.n {
				here = c.word(x)
				break
			}
			fallthrough
		case x == c.n && c.computed == x:
			// the here-string (or a word before it) is computed
			if c.computed == x && x > 0 && strings.HasPrefix(string(c.word(x-1)), "<<") {
				return c.variable == "" || names.set(v, c.at, c.variable), true
			}
			continue
		default:
			continue
		}
		if !shell {
			return len(strings.TrimSpace(string(here))) > 0, true
		}
		for _, line := range strings.FieldsFunc(string(here), func(r rune) bool { return r == ';' || r == '\n' || r == '&' || r == '|' }) {
			if names.command(line) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// tclName is a command's name without a leading :: (::exec).
func tclName(w []byte) []byte {
	if len(w) >= 2 && w[0] == ':' && w[1] == ':' {
		return w[2:]
	}
	return w
}

// tclRunners are commands that run their arguments as a script:
// [uplevel #0 exec {id}], [eval exec i\x64], [namespace inscope ::
// exec -- id] read exec's words as Tcl does (attack 59's readings read
// them as text).
// coroutine runs its command after the coroutine's name ([coroutine c
// ex\x65c id]: attack 62).
// interp eval {} exec id and apply's lambda too.
var tclRunners = map[string]bool{"uplevel": true, "eval": true, "tailcall": true, "namespace": true, "coroutine": true,
	"interp": true, "apply": true}

// tclRunnerExec: the command c is a runner's (tclRunners) before exec
// and words that run a command (tclExecRunsFrom).
func tclRunnerExec(v string, c *tclCommand, names *tclNames) bool {
	// runners before runners: [coroutine c eval exec id] (attack 62's
	// reading), each word read once
	for i := 0; i+1 < c.n; {
		name := string(tclName(c.word(i)))
		if !tclRunners[name] {
			return name == "exec" && i > 0 && tclExecRunsFrom(v, c, i+1, names)
		}
		i++
		switch w := c.word(i); name {
		case "uplevel":
			if len(w) > 0 && (w[0] == '#' || w[0] >= '0' && w[0] <= '9') {
				i++ // a level
			}
		case "namespace":
			if string(w) != "inscope" && string(w) != "eval" {
				return false
			}
			i += 2 // the namespace
		case "interp":
			if string(w) != "eval" && string(w) != "invokehidden" {
				return false
			}
			i += 2 // the interpreter's path
		case "coroutine":
			i++ // the coroutine's name
		case "apply":
			// a lambda, {args body}: its body's command
			var lam, body tclCommand
			var inner tclNames
			tclReadCommand(string(w), 0, false, false, &lam)
			if lam.n < 2 {
				return false
			}
			script := string(lam.word(1))
			tclReadCommand(script, 0, false, false, &body)
			return body.n > 0 && string(tclName(body.word(0))) == "exec" && tclExecRuns(script, &body, &inner)
		}
	}
	return false
}

// tclScriptExec: a word of the command c after its name is a script
// whose command is exec with words that run one ([catch {exec id}],
// [uplevel #0 {exec id}], [if 1 "exec i\x64"]), read once more as a
// command (tclReadCommand).
//
// Or a script word's command is a variable the value names as a word
// before (foreach e exec {$e id}, [lassign {exec} e], [try {set e exec}
// finally {$e id}]: attack 62) in a value that holds exec, before words
// that run a command ({$e summary} passes).
func tclScriptExec(v string, c *tclCommand, names *tclNames) bool {
	for x := 1; x < c.n; x++ {
		if tclBodyVariable(v, c, string(c.word(x)), names) {
			return true
		}
		w := tclName(c.word(x))
		if len(w) < 5 || string(w[:4]) != "exec" || !tclSpace(w[4]) && w[4] != '\n' {
			continue
		}
		script := string(w)
		var sub tclCommand
		var inner tclNames
		tclReadCommand(script, 0, false, false, &sub)
		if sub.n > 0 && string(sub.word(0)) == "exec" && tclExecRuns(script, &sub, &inner) {
			return true
		}
	}
	return false
}

// tclBodyVariable: a command of the script body (a word of c) is a
// variable the value names as a word before c's end, in a value that
// holds exec, and its words run a command (see tclScriptExec).
func tclBodyVariable(v string, c *tclCommand, body string, names *tclNames) bool {
	if strings.IndexByte(body, '$') < 0 {
		return false
	}
	for k := 0; k < len(body); k++ {
		for k < len(body) && (tclSpace(body[k]) || body[k] == '\n' || body[k] == ';') {
			k++
		}
		if k < len(body) && body[k] == '$' {
			var sub tclCommand
			tclReadCommand(body, k, false, true, &sub)
			if sub.computed == 0 && sub.variable != "" && names.holdsExec(v) && names.set(v, c.end, sub.variable) {
				after := sub.at + 1 + len(sub.variable)
				if body[sub.at+1] == '{' {
					after += 2
				}
				var args tclCommand
				var inner tclNames
				tclReadCommand(body, after, false, false, &args)
				if tclExecRunsFrom(body, &args, 0, &inner) {
					return true
				}
			}
		}
		n := strings.IndexAny(body[k:], ";\n")
		if n < 0 {
			return false
		}
		k += n
	}
	return false
}

// tclNames remembers, for the last variable name tclNames.set looked
// for, how far it read and where the name last stood as a word, so
// that a value of many uses of one name ([exec $a [exec $a ...) reads
// each byte once, not setReach bytes at each use.
type tclNames struct {
	name       string
	upto, last int // v[:upto] read; the name's last word in it, or -1
	// the last text command read and what it said: a value of one
	// command repeated ([exec sh << a][exec sh << a]...) matches
	// literalCommand's expression once (attack 62's CPU)
	text          string
	ran, haveText bool
	// whether the value holds the word exec, decoded (holdsExec), once
	execKnown, exec bool
}

// command is literalCommand(text), remembered for the last text.
func (m *tclNames) command(text string) bool {
	text = strings.TrimSpace(text) // as literalCommand reads it
	if m.haveText && m.text == text {
		return m.ran
	}
	m.text, m.ran, m.haveText = text, literalCommand(text), true
	return m.ran
}

// holdsExec: the word exec stands in v as Tcl reads its escapes
// (ex\x65c), read once per value.
func (m *tclNames) holdsExec(v string) bool {
	if m.execKnown {
		return m.exec
	}
	m.execKnown = true
	if strings.IndexByte(v, '\\') < 0 {
		m.exec = eachWord(v, "exec", "", func(i int) bool { return i+4 >= len(v) || !identByte(v[i+4], "") })
		return m.exec
	}
	var w [6]byte // the last bytes read, decoded
	for p := 0; p < len(v); {
		b := v[p]
		if b == '\\' {
			r, e := tclEscape(v, p)
			p, b = e, byte(min(r, 0x80))
		} else {
			p++
		}
		copy(w[:], w[1:])
		w[5] = b
		if string(w[1:5]) == "exec" && !identByte(w[0], "") && !identByte(w[5], "") {
			m.exec = true
			return true
		}
	}
	m.exec = string(w[2:]) == "exec" && !identByte(w[1], "")
	return m.exec
}

// set: the variable name, used at v[at], is the environment's, or
// stands as a word in the setReach bytes before (set x id, lassign {id}
// x, foreach x ...). Uses come in order of at.
func (m *tclNames) set(v string, at int, name string) bool {
	name = strings.TrimPrefix(name, "::")
	if name == "env" {
		return true
	}
	if name == "" {
		return false // $:: (found by FuzzTclExec: an empty name was found at every index, past at)
	}
	from := max(0, at-setReach)
	if m.name == name && m.upto <= at && m.upto >= from {
		from = max(0, m.upto-len(name)) // read on from where the last use stopped
	} else {
		m.name, m.last = name, -1
	}
	for off := from; off < at; {
		i := strings.Index(v[off:at], name)
		if i < 0 {
			break
		}
		i += off
		off = i + 1
		if (i == 0 || !identByte(v[i-1], ":$") || i >= 2 && v[i-2:i] == "::" && (i == 2 || !identByte(v[i-3], ":$"))) && (i+len(name) == len(v) || !identByte(v[i+len(name)], "")) && i+len(name) <= at {
			m.last = i
		}
	}
	m.upto = at
	return m.last >= 0 && m.last >= at-setReach
}

// bytesLastSlash is the index of w's last '/', or -1.
func bytesLastSlash(w []byte) int {
	for x := len(w) - 1; x >= 0; x-- {
		if w[x] == '/' {
			return x
		}
	}
	return -1
}
