package waf

import "strings"

// carrierRules are rules 210206-210208: what the CRS reads in one place
// and not in another that carries it the same way (attack 79):
//   - 210206: PHP's I/O streams (933140's expression, php://filter,
//     php://input, php://fd) in a cookie percent-encoded: PHP decodes
//     $_COOKIE's values, and include($_COOKIE['lang'].'.php') with
//     lang=php%3A%2F%2Ffilter%2Fconvert.base64-encode%2Fresource%3Dindex
//     reads a file; 933140 reads cookies as they came (t:none), where the
//     escapes still stand, and passed it.
//   - 210207: prototype pollution through constructor.prototype written
//     as JSON inside a value or a cookie ({"constructor":{"prototype":
//     {"isAdmin":true}}} in a query parameter, a JSON string, an
//     Express j: cookie), which a JSON.parse and a deep merge of the
//     application's turn into Object.prototype's; 934130 reads
//     __proto__ anywhere and constructor.prototype as a path
//     (constructor.prototype, constructor[prototype]), not as JSON's
//     keys. A JSON body's own keys are names the CRS reads already.
//   - 210210 (attack 81): a PHP serialized object in a cookie,
//     percent-encoded (933170's shape, after t:urlDecodeUni): PHP's
//     setcookie('cart', serialize($x)) sends it so, and
//     unserialize($_COOKIE['cart']) reads it; 933170 reads cookies as they
//     came, where the quotes are %22. Since a review of attack 81's
//     fixes, a Go operator (phpObject) that also reads a count with a
//     sign, which unserialize accepts and 933170's \d+ does not
//     (O:8:"stdClass":+1:{...} ran __wakeup on PHP 8.2; O:+8: on PHP 7),
//     in arguments as in cookies; read before t:urlDecodeUni too
//     (multiMatch), which makes an argument's + a space (attack 82:
//     data=O:3:"Foo":%2B1:{...} passed).
//   - 210208: an OS file by its absolute path after a double slash in the
//     request's path (/download//etc/passwd: Express's
//     app.get('/download/*') gives req.params[0] = "/etc/passwd", Gin's
//     *filepath starts with /), with the CRS's lfi-os-files.data (930120's,
//     which reads arguments and not the path). A path without // costs a
//     byte scan.
var carrierRules = `SecRule REQUEST_COOKIES "@rx (?i)php://(?:std(?:in|out|err)|(?:in|out)put|f(?:d|ilter)|memory|temp)" "id:210206,phase:2,block,t:none,t:urlDecodeUni,msg:'PHP Injection: an I/O stream in a cookie, percent-encoded',tag:'application-multi',tag:'attack-injection-php',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|REQUEST_COOKIES|XML:/* "@` + jsonPrototypeOp + `" "id:210207,phase:2,block,t:none,t:urlDecodeUni,t:jsDecode,msg:'Prototype pollution: constructor.prototype as JSON keys inside a value',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule REQUEST_COOKIES|REQUEST_COOKIES_NAMES|ARGS|ARGS_NAMES|XML:/* "@` + phpObjectOp + `" "id:210210,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'PHP Injection: a serialized object, percent-encoded or with a signed count',tag:'application-multi',tag:'attack-injection-php',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule REQUEST_FILENAME "@contains //" "id:210208,phase:2,block,t:none,msg:'Path traversal: an OS file by its absolute path after a double slash in the path',tag:'application-multi',tag:'attack-lfi',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule REQUEST_FILENAME "@` + rootAfterSlashesOp + `" "t:none,t:urlDecodeUni,t:lowercase,chain"
		SecRule REQUEST_FILENAME "@pmFromFile @owasp_crs/lfi-os-files.data" "t:none,t:urlDecodeUni,t:normalizePathWin,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// The operators of rules 210207 and 210208: Go, so that they hold none
// of RE2's memory, whose bound is spent (docs/waf.md, "RE2's bound").
const (
	jsonPrototypeOp    = "gatewayJSONPrototype"
	rootAfterSlashesOp = "gatewayRootAfterSlashes"
	phpObjectOp        = "gatewayPHPObject"
)

func init() {
	registerGoOperator(jsonPrototypeOp, jsonPrototype)
	registerGoOperator(rootAfterSlashesOp, rootAfterSlashes)
	registerGoOperator(phpObjectOp, phpObject)
}

// phpObject is rule 210210's operator: v holds a PHP serialized object's
// head, O:<n>:"<class>":<count>:{ (C: for a Serializable's), then a }
// somewhere after it, each number with an optional sign as unserialize
// reads it: 933170's [oOcC]:\d+:".+?":\d+:\{.*} with [+-]? before each
// \d+. One pass: the first head's quote is where a class name may start,
// and any later ":<count>:{ whose quote stands a byte past it, with a }
// after its brace, completes the shape.
func phpObject(v string) bool {
	last := strings.LastIndexByte(v, '}')
	if last < 0 {
		return false
	}
	open := -1 // the opening quote of the first O:<n>:" (a class name's start)
	for i := 0; i+1 < len(v); i++ {
		switch v[i] {
		case 'o', 'O', 'c', 'C':
			if open < 0 && v[i+1] == ':' {
				if e := signedDigitsEnd(v, i+2); e > i+2 && e+1 < len(v) && v[e] == ':' && v[e+1] == '"' {
					open = e + 1
				}
			}
		case '"':
			// the class name's closing quote, then :<count>:{
			if open < 0 || i < open+2 || v[i+1] != ':' {
				continue
			}
			if e := signedDigitsEnd(v, i+2); e > i+2 && e+1 < len(v) && v[e] == ':' && v[e+1] == '{' && last > e+1 {
				return true
			}
		}
	}
	return false
}

// signedDigitsEnd is the end of the digits at v[j:] after an optional
// sign (+1, -0, 12), or j when there are none.
func signedDigitsEnd(v string, j int) int {
	k := j
	if k < len(v) && (v[k] == '+' || v[k] == '-') {
		k++
	}
	e := k
	for e < len(v) && v[e] >= '0' && v[e] <= '9' {
		e++
	}
	if e == k {
		return j
	}
	return e
}

// jsonPrototype is rule 210207's operator: v holds constructor as a JSON
// (or JavaScript) key whose value is an object with prototype as its
// first key: "constructor": {"prototype": ...}, constructor:{prototype:.
func jsonPrototype(v string) bool {
	for off := 0; off < len(v); {
		i := strings.Index(v[off:], "constructor")
		if i < 0 {
			return false
		}
		i += off
		off = i + len("constructor")
		if i > 0 && identByte(v[i-1], "$") {
			continue
		}
		j := prototypeSkip(v, off, true)
		if j >= len(v) || v[j] != ':' {
			continue
		}
		j = prototypeSkip(v, j+1, false)
		if j >= len(v) || v[j] != '{' {
			continue
		}
		if prototypeKey(v, j+1) {
			return true
		}
	}
	return false
}

// prototypeWindow is how far into constructor's object prototypeKey
// looks for its key: past it, a prototype anywhere after counts.
const prototypeWindow = 2048

// prototypeKey: the object whose body starts at v[j:] has prototype as a
// key of its own, in any place ({"constructor":{"a":1,"prototype":{}}}:
// a deep merge recurses whatever the keys' order; a review).
func prototypeKey(v string, j int) bool {
	depth := 1
	for k := j; k < len(v); k++ {
		if k-j > prototypeWindow {
			return strings.Contains(v[k:], "prototype")
		}
		switch c := v[k]; c {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return false
			}
		case '"', '\'':
			e := strings.IndexByte(v[k+1:], c)
			if e < 0 {
				return false
			}
			if depth == 1 && v[k+1:k+1+e] == "prototype" {
				if n := prototypeSkip(v, k+2+e, false); n < len(v) && v[n] == ':' {
					return true
				}
			}
			k += e + 1
		default:
			if depth == 1 && strings.HasPrefix(v[k:], "prototype") && (k == 0 || !identByte(v[k-1], "$")) {
				if n := prototypeSkip(v, k+len("prototype"), false); n < len(v) && v[n] == ':' {
					return true
				}
			}
		}
	}
	return false
}

// prototypeSkip skips white space, /* */ comments (JSON5's, JavaScript's)
// and a quote, when quotes, at v[j:].
func prototypeSkip(v string, j int, quotes bool) int {
	for j < len(v) {
		switch {
		case v[j] == ' ' || v[j] == '\t' || v[j] == '\n' || v[j] == '\r' || quotes && (v[j] == '"' || v[j] == '\''):
			j++
		case strings.HasPrefix(v[j:], "/*"):
			e := strings.Index(v[j+2:min(len(v), j+2+prototypeWindow)], "*/")
			if e < 0 {
				return j
			}
			j += e + 4
		default:
			return j
		}
	}
	return j
}

// rootAfterSlashes is rule 210208's operator: after two or more slashes
// in the path, a segment that is a system directory's (etc, proc, root,
// var, home, usr, boot, dev, sys, run, windows, winnt), then a slash.
func rootAfterSlashes(v string) bool {
	for off := 0; off < len(v); {
		i := strings.Index(v[off:], "//")
		if i < 0 {
			return false
		}
		j := off + i
		for j < len(v) && (v[j] == '/' || v[j] == '.' && (j+1 == len(v) || v[j+1] == '/') && v[j-1] == '/') {
			j++ // slashes and . segments (//./etc/passwd: a review)
		}
		off = j
		k := strings.IndexByte(v[j:], '/')
		if k <= 0 {
			continue
		}
		switch v[j : j+k] {
		case "etc", "proc", "root", "var", "home", "usr", "boot", "dev", "sys", "run", "windows", "winnt":
			return true
		}
	}
	return false
}
