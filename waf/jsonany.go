package waf

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// JSON wherever a backend may parse it (docs/waf.md, "Detection"): the
// CRS reads an application/json body's string leaves as arguments, so an
// attack it catches only as a whole value ("admin' --", "1 or 1=1") passed
// when the same JSON arrived another way: as a body of another type (PHP's
// json_decode(php://input), Flask's get_json(force=True), Go's
// json.NewDecoder(r.Body) read any), after a byte-order mark, other white
// space or before trailing bytes (Go's decoder reads the first value and
// ignores the rest), or inside a value (a multipart part, ?filter={...},
// a JSON string holding JSON text, Express's j: cookies, a base64 value
// that decodes to JSON or to a form). Here such JSON is found and its
// leaves become arguments, decoded further as any value is.

// errDecodeDepth refuses a request with a value still encoded, or still
// holding JSON or a form, after maxDecodeLevels decodings and parsings:
// what is past them would reach the upstream uninspected.
var errDecodeDepth = errors.New("a value encoded more levels deep than the waf decodes")

// errArgsFull stops the decoder once it has made more arguments than it
// has room for (maxArgs): no more are made, and decodedArguments refuses
// the request (errDerivedArgs), so nothing is passed partly inspected.
var errArgsFull = errors.New("derived arguments over max_arguments")

// errDerivedArgs refuses a request whose body arguments, with the
// arguments derived from its values (decoded texts, template literals,
// JSON leaves inside values), are more than max_arguments: each derived
// argument is one more the rules inspect, so it counts as the body's own
// do, and the dearest request stays what max_arguments and body_limit
// say (attack 8 sent 127 fields of templates, each inspected twice).
var errDerivedArgs = errors.New("body arguments and the arguments derived from values over max_arguments")

// Suffixes of the arguments made of text found inside a value: q:json.a.b
// is the leaf a.b of the JSON text in q; q:base64:form.x the field x of
// the form q's base64 decodes to.
const (
	suffixJSON = ":"      // followed by the leaf's JSON name, json.a.b
	suffixForm = ":form." // followed by the field's name
	suffixKey  = ":key"   // after a member's path: its key, as a value (jsonWalk)
)

// sniffJSON returns the JSON document that a lenient backend reads in b:
// b's first byte after a UTF-8 byte-order mark and white space (ASCII's,
// form feed and vertical tab included, and Unicode's: U+00A0, U+2028,
// U+3000, ... as Python's strip and Json.NET skip them) is { or [, and
// what follows parses as one JSON value up to its end, whatever follows
// it (Go's json.Decoder stops there). JSON that lenient readers take
// and Go's does not (NaN, Infinity, comments, a trailing comma) counts,
// made standard (lenientJSON): the document returned is then that
// rewriting, not a part of b. Four passes over b at most.
func sniffJSON(b []byte) ([]byte, bool) {
	for len(b) > 0 && b[0] != '{' && b[0] != '[' {
		r, n := utf8.DecodeRune(b)
		if r != '\ufeff' && !unicode.IsSpace(r) {
			return nil, false
		}
		b = b[n:]
	}
	if len(b) < 2 {
		return nil, false
	}
	if doc, ok := firstJSONValue(b); ok {
		return doc, true
	}
	// not JSON as Go reads it: JSON as Python, JSON5 and JSONC readers
	// take it, made standard (lenientJSON), is JSON all the same
	if std, changed := lenientJSON(b); changed {
		return firstJSONValue(std)
	}
	return nil, false
}

// firstJSONValue is the JSON value at the start of b, when one parses
// there (what follows it does not count).
func firstJSONValue(b []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	if dec.Decode(&raw) != nil {
		return nil, false
	}
	return b[:dec.InputOffset()], true
}

// lenientJSON rewrites the JSON object or array at the start of b (b[0]
// is { or [) as standard JSON where lenient readers take what Go's
// encoding/json refuses, so that its leaves are arguments as a JSON
// body's are (a fourth fresh-eyes attack passed
// {"q": "1' UNION SELECT ...",} and {"n": NaN, "q": ...}):
//   - NaN, Infinity and -Infinity (Python's json.loads, Jackson with
//     ALLOW_NON_NUMERIC_NUMBERS, JSON5), read as 0;
//   - // and /* */ comments (JSON5, JSONC, Jackson's ALLOW_COMMENTS,
//     Json.NET), read as a space;
//   - a trailing comma before } or ] (JSON5, JSONC, Json.NET), dropped;
//   - a string in single quotes (JSON5, Python's ast.literal_eval, YAML),
//     made a JSON string of the same text;
//   - a bare word where JSON has a string: a key without quotes (JSON5,
//     JavaScript object text, YAML flow mappings) and a value that is not
//     a JSON number or literal (YAML's plain scalars: {id: 1 or true};
//     Python's True, False and None), made a JSON string of the word as
//     it stands, trimmed (a sixth fresh-eyes attack passed
//     {'id':'1 or true'} and {id: 1 or true} in a value).
//
// A string's bytes are copied as they are. It stops where the first value
// closes (what follows it does not count, as in sniffJSON) and reports
// whether it changed anything: when not, b is not JSON for these readers
// either. One pass over b; the result is never longer than six times b
// (a control byte in a string or a word becomes \u00XX).
func lenientJSON(b []byte) ([]byte, bool) {
	out := make([]byte, 0, len(b)+len(b)/4)
	changed := false
	depth := 0
	// inObject[depth-1]: the innermost container is an object; key: the
	// next word there is a key (after { or ,), else a value (after :)
	var inObject []bool
	key := false
	lastSignificant := -1 // index in out of the last byte that is not white space
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"' || c == '\'':
			var ok, ch bool
			out, i, ch, ok = appendLenientString(out, b, i, false)
			if !ok {
				return nil, false // not closed
			}
			changed = changed || ch
			lastSignificant = len(out) - 1
			continue
		case !key && pythonStringPrefix(b, i) > 0:
			// r'...', b'...', u"...": Python's string prefixes; raw
			// strings (r, rb, br) read backslashes as they stand
			n := pythonStringPrefix(b, i)
			raw := bytes.ContainsAny(b[i:i+n], "rR")
			var ok bool
			out, i, _, ok = appendLenientString(out, b, i+n, raw)
			if !ok {
				return nil, false
			}
			changed = true
			lastSignificant = len(out) - 1
			continue
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			end := bytes.IndexByte(b[i:], '\n')
			if end < 0 {
				end = len(b) - i
			}
			out = append(out, ' ')
			i += end - 1
			changed = true
			continue
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			end := bytes.Index(b[i+2:], []byte("*/"))
			if end < 0 {
				return nil, false // not closed
			}
			out = append(out, ' ')
			i += 2 + end + 1
			changed = true
			continue
		case c == '{' || c == '[':
			depth++
			inObject = append(inObject, c == '{')
			key = c == '{'
			out = append(out, c)
		case c == '}' || c == ']':
			if lastSignificant >= 0 && out[lastSignificant] == ',' {
				out[lastSignificant] = ' '
				changed = true
			}
			out = append(out, c)
			if depth--; depth == 0 {
				return out, changed
			}
			inObject = inObject[:depth]
			key = false
		case c == ',':
			key = depth > 0 && inObject[depth-1]
			out = append(out, c)
		case c == ':':
			key = false
			out = append(out, c)
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			out = append(out, c)
			continue
		default:
			// a word: to the next character that ends one where it
			// stands (a key ends at :), trimmed
			w := bytes.TrimRight(b[i:wordEnd(b, i, key)], " \t\r")
			if !key && (c == '!' || c == '&') && len(w) > 1 {
				// a YAML tag (!!str, !tag) or anchor (&a) before a
				// value: the value is what follows it
				n := bytes.IndexAny(w, " \t")
				if n < 0 {
					n = len(w)
				}
				i += n - 1
				changed = true
				continue
			}
			switch {
			case len(w) == 0:
				out = append(out, c) // a character JSON has no word for
			case !key && jsonWord(w):
				out = append(out, w...)
			case !key && (string(w) == "NaN" || string(w) == "Infinity" || string(w) == "-Infinity"):
				out = append(out, '0')
				changed = true
			default:
				out = appendJSONString(out, w)
				changed = true
			}
			if len(w) > 0 {
				i += len(w) - 1
			}
		}
		lastSignificant = len(out) - 1
	}
	return out, changed
}

// appendLenientString appends the string whose opening quote is b[i] (" or
// ', or three of either: Python's triple-quoted strings) as a JSON string
// of the same text, and returns the index of its last closing quote,
// whether the text was rewritten and whether the string is closed. The
// escapes JSON has are kept; the ones lenient readers add are made JSON's
// (JSON5 and JavaScript's \xHH, \v, \0, \' and a backslash before a line
// break, which continues the line; Python's \x, octal \044, \' and \a),
// and any other
// escaped character stands for itself, as JSON5 reads it. A raw string
// (Python's r'...') keeps its backslashes as characters. Never longer
// than six times what it reads (a control byte is \u00XX).
func appendLenientString(out, b []byte, i int, raw bool) ([]byte, int, bool, bool) {
	q := b[i]
	changed := q != '"'
	closing := 1
	if i+2 < len(b) && b[i+1] == q && b[i+2] == q {
		closing = 3 // ''' or """
		i += 2
		changed = true
	}
	out = append(out, '"')
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == q && (closing == 1 || j+2 < len(b) && b[j+1] == q && b[j+2] == q):
			return append(out, '"'), j + closing - 1, changed, true
		case c == '\\' && raw:
			out = append(out, '\\', '\\')
			changed = true
		case c == '\\':
			if j+1 >= len(b) {
				return out, j, changed, false
			}
			j++
			e := b[j]
			switch {
			case e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't' || e == 'u':
				out = append(out, '\\', e) // JSON's own (\u's digits follow as they stand)
				continue
			case e == 'x' && j+2 < len(b) && ishex(b[j+1]) && ishex(b[j+2]):
				out = append(out, '\\', 'u', '0', '0', b[j+1], b[j+2])
				j += 2
			case e == 'v':
				out = append(out, `\u000b`...)
			case e == 'a':
				out = append(out, `\u0007`...)
			case e >= '0' && e <= '7':
				// an octal escape of up to three digits (Python's,
				// JavaScript's legacy \044; JSON5's \0)
				v := int(e - '0')
				for k := 0; k < 2 && j+1 < len(b) && b[j+1] >= '0' && b[j+1] <= '7' && v*8+int(b[j+1]-'0') <= 0xff; k++ {
					j++
					v = v*8 + int(b[j]-'0')
				}
				out = append(out, '\\', 'u', '0', '0', "0123456789abcdef"[v>>4], "0123456789abcdef"[v&15])
			case e == '\n':
				// a line continued: nothing
			case e == '\r':
				if j+1 < len(b) && b[j+1] == '\n' {
					j++
				}
			default:
				out = appendJSONChar(out, e) // \' is ', \q is q
			}
			changed = true
		case c == '"' || c < 0x20:
			out = appendJSONChar(out, c)
			changed = true
		default:
			out = append(out, c)
		}
	}
	return out, len(b), changed, false
}

// appendJSONChar appends c as a JSON string holds it.
func appendJSONChar(out []byte, c byte) []byte {
	switch {
	case c == '"' || c == '\\':
		return append(out, '\\', c)
	case c < 0x20:
		return append(out, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
	}
	return append(out, c)
}

// pythonStringPrefix is the length of a Python string prefix (r, b, u,
// rb, br, any case) at b[i] right before a quote, or 0.
func pythonStringPrefix(b []byte, i int) int {
	isPrefix := func(c byte) bool { return c == 'r' || c == 'R' || c == 'b' || c == 'B' || c == 'u' || c == 'U' }
	for n := 1; n <= 2 && i+n < len(b); n++ {
		if !isPrefix(b[i+n-1]) {
			return 0
		}
		if b[i+n] == '\'' || b[i+n] == '"' {
			return n
		}
	}
	return 0
}

// wordEnd is where the bare word at b[i] ends (lenientJSON): at , { } [
// ] a quote, a line's end or a comment, and a key's at : too.
func wordEnd(b []byte, i int, key bool) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '{', '}', '[', ']', '"', '\'', '\n':
			return i
		case ':':
			if key {
				return i
			}
		case '/':
			if i+1 < len(b) && (b[i+1] == '/' || b[i+1] == '*') {
				return i
			}
		}
	}
	return i
}

// jsonWord: w is a JSON number or literal as it stands.
func jsonWord(w []byte) bool {
	switch string(w) {
	case "true", "false", "null":
		return true
	}
	var n json.Number
	return (w[0] == '-' || w[0] >= '0' && w[0] <= '9') && json.Unmarshal(w, &n) == nil
}

// appendJSONString appends w as a JSON string.
func appendJSONString(out, w []byte) []byte {
	out = append(out, '"')
	for _, c := range w {
		out = appendJSONChar(out, c)
	}
	return append(out, '"')
}

// sniffJSONString is sniffJSON of a value: a value that does not start
// with { or [ (after a byte-order mark and white space) costs no copy.
func sniffJSONString(v string) ([]byte, bool) {
	for i := 0; i < len(v); {
		if v[i] == '{' || v[i] == '[' {
			return sniffJSON([]byte(v[i:]))
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		if r != '\ufeff' && !unicode.IsSpace(r) {
			return nil, false
		}
		i += n
	}
	return nil, false
}

// jsonText makes arguments of the JSON document doc found in the value
// name (at the given level): each string leaf, named name + ":" + its
// JSON name (q:json.where.name), and each key whose value is {} or []
// (with an empty value, as a JSON body's are). Each leaf's value is then
// decoded as any value is, one level deeper.
func (d *decoder) jsonText(name string, doc []byte, level int) error {
	// the names of the arguments it makes, bounded by what is left of
	// the decoding budget (keep would refuse past it anyway; the walk
	// stops there, not after building them all)
	empty, leaves, scalars, keys, names := jsonWalkBounded(doc, d.budget, false)
	if names == overNames {
		return errDecodeBudget
	}
	for _, k := range empty {
		if err := d.keep(name+suffixJSON+k, ""); err != nil {
			return err
		}
	}
	for _, a := range keys {
		if err := d.keep(name+suffixJSON+a.name, a.value); err != nil {
			return err
		}
	}
	for _, a := range scalars {
		if err := d.keep(name+suffixJSON+a.name, a.value); err != nil {
			return err
		}
	}
	for _, a := range leaves {
		n := name + suffixJSON + a.name
		if reservedName.MatchString(n) {
			return errReservedName // a key named as decoded documents are
		}
		if err := d.keep(n, a.value); err != nil {
			return err
		}
		if err := d.valueAt(n, a.value, level+1); err != nil {
			return err
		}
	}
	return nil
}

// formText makes arguments of the fields of s, text decoded from the
// value name that is a urlencoded form (formLike), and decodes their
// values one level deeper.
func (d *decoder) formText(name, s string, level int) error {
	for _, a := range formValues([]byte(s)) {
		n := name + suffixForm + a.name
		if reservedName.MatchString(n) {
			return errReservedName
		}
		if err := d.keep(n, a.value); err != nil {
			return err
		}
		if err := d.valueAt(n, a.value, level+1); err != nil {
			return err
		}
	}
	return nil
}

// formLike: s is plainly a urlencoded form: no white space or control
// bytes, and every &-separated field is key=value with a key of at most
// 256 bytes of letters, digits and . _ - [ ] %. One pass over s.
func formLike(s string) bool {
	if strings.IndexByte(s, '=') < 0 {
		return false
	}
	for field := range strings.SplitSeq(s, "&") {
		k, _, ok := strings.Cut(field, "=")
		if !ok || k == "" || len(k) > 256 {
			return false
		}
		for i := 0; i < len(field); i++ {
			if c := field[i]; c <= ' ' || c == 0x7f {
				return false
			}
		}
		for i := 0; i < len(k); i++ {
			switch c := k[i]; {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			case c == '.' || c == '_' || c == '-' || c == '[' || c == ']' || c == '%':
			default:
				return false
			}
		}
	}
	return true
}

// valueAt decodes v, the value name (level 0: the engine's own argument)
// or a text decoded or parsed from one (level: how many decodings and
// parsings deep), and keeps what it finds:
//   - JSON text (sniffJSON) at any level: its leaves (jsonText);
//   - a text that is plainly encoded (decodeOnce): the decoded text,
//     decoded further in turn;
//   - in a text this decoded: a urlencoded form (formLike), its fields;
//     percent-encoding over base64 or JSON (once: the CRS's
//     t:urlDecodeUni reads the decoded argument's percent-encoding, but
//     decodes no base64 and parses no JSON under it).
//
// At most maxDecodeLevels deep: a text still encoded or holding JSON or a
// form there refuses the request (errDecodeDepth), never passes.
func (d *decoder) valueAt(name, v string, level int) error {
	decoded := false // v is a text this decoded
	for ; ; level++ {
		if err := d.template(name, v); err != nil {
			return err
		}
		if doc, ok := sniffJSONString(v); ok {
			if level >= maxDecodeLevels {
				return errDecodeDepth
			}
			return d.jsonText(name, doc, level)
		}
		if header, payload, ok := jwtSegments(v); ok {
			// a JWT: its header and its claims, each base64url of JSON
			if level >= maxDecodeLevels {
				return errDecodeDepth
			}
			if err := d.jwtSegment(name+suffixJWTHeader, header, level+1); err != nil {
				return err
			}
			return d.jwtSegment(name+suffixJWTPayload, payload, level+1)
		}
		s, suffix, ok, err := decodeOnce(v, d.budget)
		if err != nil {
			return err
		}
		if !ok && decoded && formLike(v) { // base64's padding is not a form
			if level >= maxDecodeLevels {
				return errDecodeDepth
			}
			return d.formText(name, v, level)
		}
		if !ok && decoded {
			s, suffix, ok = percentOver(v)
		}
		if !ok {
			return nil
		}
		if level >= maxDecodeLevels {
			return errDecodeDepth
		}
		if suffix == suffixBase64 || suffix == suffixBase64+suffixInflated {
			suffix += documentKind(s)
		}
		name += suffix
		if err := d.keep(name, s); err != nil {
			return err
		}
		v, decoded = s, true
	}
}

// suffixJWTHeader and suffixJWTPayload name a JWT's header and claims.
const (
	suffixJWTHeader  = ":jwt.header"
	suffixJWTPayload = ":jwt.payload"
)

// jwtSegments returns the header and payload segments of v when v is a
// compact JWT (JWS): three base64url segments joined by dots, the first
// starting "eyJ" (base64url of {"). A backend that reads a token's kid or
// claims before it checks the signature (a key looked up by kid in SQL,
// an alg:none token accepted) reads them: an eighth fresh-eyes attack
// (attack 12) passed {"kid":"x' UNION SELECT 'k'-- -"} in a token in the
// query, a cookie and a JSON body, where a lone segment was decoded but
// the whole token was not. The segments are decoded as any base64 value
// is (valueAt), within the same levels and budget.
func jwtSegments(v string) (header, payload string, ok bool) {
	if len(v) < 16 || !strings.HasPrefix(v, "eyJ") {
		return "", "", false
	}
	header, rest, ok1 := strings.Cut(v, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || len(payload) < 4 || strings.IndexByte(sig, '.') >= 0 {
		return "", "", false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '=':
		default:
			return "", "", false
		}
	}
	return header, payload, true
}

// jwtSegment reads a JWT's segment: when it is base64url of JSON, the
// JSON's leaves (not its text, whose \u escapes, as PyJWT writes a name
// that is not ASCII, the CRS's 920540 refuses; the leaves are decoded),
// else the segment as any value.
func (d *decoder) jwtSegment(name, seg string, level int) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err == nil {
		if doc, ok := sniffJSON(b); ok {
			return d.jsonText(name, doc, level)
		}
	}
	return d.valueAt(name, seg, level)
}

// percentOver decodes v once when it is percent-encoding over base64 or
// JSON (b64(urlencode(b64(attack))) has it under its first level).
func percentOver(v string) (string, string, bool) {
	if strings.IndexByte(v, '%') < 0 || !hasPercentEscape(v) {
		return "", "", false
	}
	u := lenientUnescape(v)
	if _, ok := plainBase64(u); ok {
		return u, suffixURL, true
	}
	if _, ok := sniffJSONString(u); ok {
		return u, suffixURL, true
	}
	return "", "", false
}

// keep adds one argument made of a value (every derived argument goes
// through it), counting its name and value against the decoding budget
// and the argument against the room left under max_arguments.
func (d *decoder) keep(name, value string) error {
	if d.budget -= len(name) + len(value); d.budget < 0 {
		return errDecodeBudget
	}
	d.out = append(d.out, argument{name, value})
	if d.maxArgs != 0 && len(d.out) > d.maxArgs {
		return errArgsFull
	}
	return nil
}

// cookieJSON returns the JSON text of an Express cookie-parser JSON
// cookie as the backend reads it: j: and JSON, percent-decoded. A cookie
// of percent-encoded JSON without j: is left as the engine reads it (the
// CRS's t:urlDecodeUni decodes it whole): the CRS excludes tracking
// cookies of that form by name (Google's FCCDCF, FCNEC; its tests
// 999999-2 and -4), which its leaves made arguments would escape. A
// cookie of JSON as it is ({"a": ...}) is read as any value.
func cookieJSON(v string) (string, bool) {
	if strings.IndexByte(v, '%') >= 0 {
		v = lenientUnescape(v)
	}
	j, ok := strings.CutPrefix(v, "j:")
	if !ok {
		return "", false
	}
	if _, ok := sniffJSONString(j); ok {
		return j, true
	}
	return "", false
}
