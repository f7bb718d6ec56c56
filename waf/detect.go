package waf

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/coraza/v3/types"
)

// Detection beyond the CRS: what the Core Rule Set at paranoia 1 lets
// through (docs/waf.md, "Detection"). Two parts:
//   - decode-and-inspect (decodedArguments): a value that is plainly base64
//     or still percent-encoded after the engine's decoding is decoded and
//     handed to the engine as one more argument, so that every CRS rule
//     reads the decoded text as it reads any argument;
//   - detectionRules: SecLang rules, scored like the CRS's own (a critical
//     match adds 5 to the anomaly score), for server-side template
//     injection and LDAP filter injection.
//
// NoSQL query operators need no rule of ours: the CRS 4.25's 942290, at
// paranoia 1, refuses MongoDB's query operators ($ne, $gt, $where,
// $expr, $function, ...) in argument and cookie names and values, and
// leaves JSON Schema's $schema, $ref, $id and $defs alone (the benign
// table checks both). It lets aggregation stages and update operators
// ($lookup, $unionWith, $out, $set, ...) through: rules 210130-210131.
//
// Both are off with crs_only.

// maxDecodeLevels is how many decodings and parsings deep a value is
// read (valueAt): base64 inside base64 is two; base64 of JSON whose leaf
// is base64 is three (decoded, parsed, decoded). A value still encoded,
// or still holding JSON or a form, past it is refused (errDecodeDepth).
const maxDecodeLevels = 4

// minBase64Len is the shortest value taken as base64: 12 characters, 8 or
// 9 bytes decoded ("<script>" is 12). Shorter ones are words as often as
// encodings, and too short to hold most attacks.
const minBase64Len = 12

// errDecodeBudget refuses a request whose encoded values decode to more
// bytes than its body limit: the decoded text is inspected as arguments
// are, so it is bounded as the body is.
var errDecodeBudget = errors.New("encoded values decode to more than the body limit")

// decodedSuffix names what a decoded argument was decoded from: the
// argument q whose value is base64 gives the argument q:base64, which the
// log line names (ARGS:q:base64) and exclusions can target.
const (
	suffixBase64 = ":base64"
	suffixURL    = ":urldecoded"
)

// decoder decodes the values of one request within a budget of decoded
// bytes (the body limit: the decoded texts and the names and values of
// what is made of them) and of arguments (max_arguments).
type decoder struct {
	budget  int
	maxArgs int // 0: no bound (tests)
	out     []argument
}

// value decodes one value (the engine's own argument: a query parameter,
// form field, multipart field, cookie or JSON string leaf, already
// percent-decoded once for the query, forms and cookies), up to
// maxDecodeLevels deep (valueAt), and keeps each decoded text that
// differs from what it was decoded from, and the leaves of JSON text.
func (d *decoder) value(name, v string) error {
	return d.valueAt(name, v, 0)
}

// decodeOnce decodes v once when it is plainly encoded: base64 (after an
// optional data: URL prefix) that decodes to text, else percent-encoding
// that is still percent-encoding once decoded (encoded twice more than
// the engine decodes).
func decodeOnce(v string) (string, string, bool) {
	if s, ok := plainBase64(v); ok {
		return s, suffixBase64, true
	}
	if strings.IndexByte(v, '%') >= 0 && hasPercentEscape(v) {
		s, err := url.PathUnescape(v)
		if err != nil {
			s = lenientUnescape(v)
		}
		// only a value encoded once more than the CRS decodes: its
		// rules take one level themselves (t:urlDecodeUni), so a value
		// whose escapes are gone after one decoding is theirs already,
		// and decoding it here would only move it out of reach of the
		// CRS's exclusions (a percent-encoded tracking cookie, as the
		// CRS's tests 999999-2 to -9 have, is excluded by its name)
		if s != v && hasPercentEscape(s) {
			return s, suffixURL, true
		}
	}
	return "", "", false
}

// plainBase64 returns the text v encodes when v is plainly base64 as a
// lenient decoder (Node's Buffer.from, Python's b64decode) takes it: all
// of it in one alphabet (standard or URL-safe, not mixed) but for white
// space (removed: a MIME line break or a space inside), at least
// minBase64Len characters of it, padded right, wrongly or not at all (the
// '=' at its end are dropped; a last lone character, which encodes no
// whole byte, too), decoding to bytes of which at least 90% are printable
// text (a byte that is not valid UTF-8 counts as not printable). Binary
// (an image, a hash, a random token) is not text and is left alone. The
// text returned is the decoded bytes without those that are not valid
// UTF-8 (b64(payload + "\xff") gives the payload). A data: URL's base64
// payload counts.
func plainBase64(v string) (string, bool) {
	if i := strings.Index(v, ";base64,"); i > 0 && strings.HasPrefix(v, "data:") && i < 128 {
		v = v[i+len(";base64,"):]
	}
	v = strings.TrimSpace(v)
	if len(v) < minBase64Len {
		return "", false
	}
	if strings.ContainsAny(v, " \t\r\n") {
		v = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, v)
		if len(v) < minBase64Len {
			return "", false
		}
	}
	body := strings.TrimRight(v, "=")
	std, urlsafe := false, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '+' || c == '/':
			std = true
		case c == '-' || c == '_':
			urlsafe = true
		default:
			return "", false
		}
	}
	if std && urlsafe {
		return "", false
	}
	if len(body)%4 == 1 {
		body = body[:len(body)-1] // six bits: no byte (Node drops it)
	}
	enc := base64.RawStdEncoding
	if urlsafe {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(body)
	if err != nil || !mostlyPrintable(b) {
		return "", false
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), ""), true
	}
	return string(b), true
}

// mostlyPrintable: at least 90% of b's runes are printable or white
// space, a byte that is not valid UTF-8 counting as one rune that is not.
func mostlyPrintable(b []byte) bool {
	runes, bad := 0, 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		runes++
		if r == utf8.RuneError && n == 1 || !unicode.IsPrint(r) && r != '\n' && r != '\r' && r != '\t' {
			bad++
		}
	}
	return runes > 0 && bad*10 <= runes
}

// jsonLeaves returns the string leaves of a body of another type than
// JSON that is JSON all the same as a lenient backend reads it
// (sniffJSON: after a byte-order mark and white space, { or [, one JSON
// value, whatever follows it): many backends parse JSON whatever the
// content type says, so its leaves are arguments, inspected and decoded
// as a JSON body's are. The body is at most body_limit: one pass to check
// it, one to walk it.
// Its arguments' names are bounded as a JSON body's are (errNamesTooLong).
func jsonLeaves(body []byte) ([]argument, error) {
	b, ok := sniffJSON(body)
	if !ok {
		return nil, nil
	}
	empty, leaves, names := jsonWalk(b)
	if names > max(len(body), minNameBudget) {
		return nil, errNamesTooLong
	}
	for _, k := range empty {
		leaves = append(leaves, argument{k, ""})
	}
	return leaves, nil
}

// hasPercentEscape: v holds %XX with two hex digits (or %uXXXX).
func hasPercentEscape(v string) bool {
	for i := strings.IndexByte(v, '%'); i >= 0 && i+2 < len(v); {
		if ishex(v[i+1]) && ishex(v[i+2]) || v[i+1] == 'u' || v[i+1] == 'U' {
			return true
		}
		j := strings.IndexByte(v[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// lenientUnescape decodes the %XX escapes of v and leaves any other %
// as it is (as the CRS's urlDecodeUni does).
func lenientUnescape(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) && ishex(v[i+1]) && ishex(v[i+2]) {
			b.WriteByte(unhex(v[i+1])<<4 | unhex(v[i+2]))
			i += 2
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// decodedArguments decodes the request's plainly encoded values: the
// query's and the cookies' as the engine parsed them, and the body's
// (values, from bodyChecks), and the JSON in any of them (valueAt). It
// returns the decoded texts and the leaves found as arguments, or
// errDecodeBudget past budget bytes of them, or errDecodeDepth; past
// maxArgs arguments it stops and returns maxArgs+1, which the engine
// refuses as too many.
func decodedArguments(tx types.Transaction, values []argument, budget, maxArgs int) ([]argument, error) {
	d := decoder{budget: budget, maxArgs: maxArgs}
	err := d.all(tx, values)
	if errors.Is(err, errArgsFull) {
		// more than max_arguments: the engine, handed them, refuses the
		// request as one with too many arguments
		return d.out, nil
	}
	return d.out, err
}

// all decodes the query's, the cookies' and values.
func (d *decoder) all(tx types.Transaction, values []argument) error {
	if st, ok := tx.(plugintypes.TransactionState); ok {
		vars := st.Variables()
		for _, m := range vars.ArgsGet().FindAll() {
			if err := d.value(m.Key(), m.Value()); err != nil {
				return err
			}
		}
		for _, m := range vars.RequestCookies().FindAll() {
			// a cookie value may be quoted (RFC 6265 cookie-value),
			// and servers take it without the quotes
			v := m.Value()
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if j, ok := cookieJSON(v); ok {
				v = j // as Express reads it: percent-decoded, after j:
			}
			if err := d.value("cookie."+m.Key(), v); err != nil {
				return err
			}
		}
	}
	for _, a := range values {
		if err := d.value(a.name, a.value); err != nil {
			return err
		}
	}
	return nil
}

// detectionRules are the SecLang rules for what the CRS lets through at
// paranoia 1, loaded before the CRS (they run in phase 2 before its
// blocking evaluation, 949110) and scored as its critical rules are, so
// the anomaly threshold, detect mode and exclusions (SecRuleRemoveById in
// rules) work on them as on the CRS's. Ids 210100-210199 are the
// gateway's (210199: the decoding budget's refusal).
//
//   - 210110: template arithmetic, the probe of every SSTI scan: {{7*7}},
//     ${7*7}, #{7*7}, *{7*7}, @{7*7}, <%= 7*7 %>, {{7*'7'}}, {{=7*7}}
//     (doT), @(7*7) (Razor), {{ 7.0 * 7 }}, {{ 7//1 }}, {{7+7}} (whose +
//     t:urlDecodeUni reads as a space, so a space is an operator too).
//   - 210111: template code: object introspection and code execution
//     inside template delimiters (Jinja2 {{”.__class__.__mro__}},
//     {{config.items()}}, lipsum/cycler/joiner; Twig _self; Spring and
//     Java EL T(java.lang.Runtime), getClass(); Freemarker ?new(),
//     freemarker.template.utility; ERB <%= system(...) %>; Jinja2's
//     \x5f escapes of _, request[...], range(...), |list and print,
//     {%print(7*7)%}).
//   - 210112: Velocity (#set($x = ...), $class.inspect) and Smarty
//     ({php}, {system(...)}, {$smarty.version}) directives.
//   - 210130: NoSQL: a MongoDB aggregation stage or update operator
//     ($lookup, $unionWith, $graphLookup, $out, $merge, $match, $facet,
//     $set, $inc, ...) as an argument name: a JSON key (json.0.$match)
//     or a bracketed parameter name (a[$lookup]); the CRS's 942290
//     covers the query operators ($ne, $where, ...) but not these.
//     A plain top-level name (?$skip=10, OData's) is not refused.
//     JSON Schema's $schema, $ref, $id, $defs, $anchor, $dynamicRef,
//     $comment and $vocabulary are not in the list.
//   - 210131: the same names as keys in JSON text inside a value, and a
//     value that is a MongoDB system variable ($$ROOT, $$CURRENT, ...).
//   - 210120: LDAP filter injection: a filter closed and another opened
//     (*)(uid=*))(|(uid=*, admin)(&), *)(|(objectclass=*)) or an empty
//     and/or filter ((&), (|)).
const detectionRules = `SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@rx (?:\{\{[=~]?|[$#*@~]\{|@\(|<%[=-]?|\{%=?)\s*['\"]?-?\d+(?:\.\d+)?['\"]?\s*(?:[*/%+-]{1,2}|\s)\s*['\"]?-?\d+(?:\.\d+)?['\"]?\s*(?:\}|%>|\))" "id:210110,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: arithmetic in template delimiters',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@rx (?:\{\{|\{%|[$#*@]\{|<%|<#)[^}%>]{0,256}?(?:__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute|self|loader|spec)__|\b(?:_self|lipsum|cycler|joiner|get_flashed_messages|url_for)\b|\bconfig\s*(?:\.|\[|\||\}\})|\|\s*attr\s*\(|\.getClass\s*\(|\bgetRuntime\s*\(|\bProcessBuilder\b|\bT\s*\(\s*java\.|\bjava\.lang\.|freemarker\.template|\?new\s*\(|\bos\.(?:system|popen)|\bpopen\s*\(|\bsubprocess\b|\b(?:system|exec|eval|passthru|shell_exec)\s*\(|registerUndefinedFilterCallback|\bIO\.popen|\x5c(?:x5f|u005f)|\brequest\s*(?:\[|\.(?:application|environ|args)\b)|\brange\s*\(|\|\s*list\b|\bprint\b|` + "`" + `)" "id:210111,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: code in template delimiters',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@rx #set\s*\(\s*\$[\w.]+\s*=|\$class\.inspect|\{\$smarty\.|\{/?php\}|\{\s*(?:system|exec|passthru|shell_exec|eval)\s*\(" "id:210112,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: Velocity or Smarty directive',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@rx \)\s*\(\s*(?:[|&!]|[a-zA-Z][\w.;-]*\s*[~<>]?=)|\(\s*[|&]\s*\)" "id:210120,phase:2,block,t:none,t:urlDecodeUni,msg:'LDAP filter injection',tag:'application-multi',tag:'attack-injection-ldap',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS_NAMES "@rx [.\[]\$(?:addFields|bucket|bucketAuto|changeStream|collStats|count|densify|documents|facet|fill|geoNear|graphLookup|group|indexStats|limit|listSessions|lookup|match|merge|out|planCacheStats|project|redact|replaceRoot|replaceWith|sample|search|searchMeta|set|setWindowFields|skip|sort|sortByCount|unionWith|unset|unwind|vectorSearch|inc|mul|rename|setOnInsert|push|pushAll|pull|pullAll|addToSet|pop|currentDate|bit|min|max|each|position|slice)(?:$|[.\]])" "id:210130,phase:2,block,t:none,msg:'NoSQL injection: MongoDB stage or update operator as a name',tag:'application-multi',tag:'attack-injection-nosql',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|REQUEST_COOKIES "@rx [\"']\$(?:addFields|bucket|bucketAuto|changeStream|collStats|count|densify|documents|facet|fill|geoNear|graphLookup|group|indexStats|limit|listSessions|lookup|match|merge|out|planCacheStats|project|redact|replaceRoot|replaceWith|sample|search|searchMeta|set|setWindowFields|skip|sort|sortByCount|unionWith|unset|unwind|vectorSearch|inc|mul|rename|setOnInsert|push|pushAll|pull|pullAll|addToSet|pop|currentDate|bit|min|max|each|position|slice)[\"']\s*:|^\s*\$\$(?:ROOT|CURRENT|REMOVE|NOW|CLUSTER_TIME|DESCEND|PRUNE|KEEP|SEARCH_META|USER_ROLES)\b" "id:210131,phase:2,block,t:none,t:urlDecodeUni,msg:'NoSQL injection: MongoDB stage in JSON text or a system variable',tag:'application-multi',tag:'attack-injection-nosql',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`
