package waf

import (
	"encoding/base64"
	"errors"
	"html"
	"math"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/coraza/v3/types"
	"golang.org/x/text/unicode/norm"
)

// Detection beyond the CRS: what the Core Rule Set at paranoia 1 lets
// through (docs/waf.md, "Detection"). Two parts:
//   - decode-and-inspect (decodedArguments): a value that is plainly base64
//     or still percent-encoded after the engine's decoding is decoded and
//     handed to the engine as one more argument, so that every CRS rule
//     reads the decoded text as it reads any argument (base64 as lenient
//     decoders read it, and compressed or UTF-16 text inside it,
//     binaryText; a value's template literals joined and unescaped,
//     templateLiterals; decoded documents, documentKind);
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

// minBase64Len is the length from which a value is taken as base64 as
// plainBase64 says: 12 characters, 8 or 9 bytes decoded ("<script>" is
// 12). From shortBase64Len to it, a value is taken only when it is in one
// alphabet and decodes to printable ASCII alone: short payloads fit in
// fewer than 12 characters ('or 1=1# in 11, {{7*7}} in 10, ${7*7} and
// $(id) in 8), and short words decode to binary or to other scripts
// ("InferSchema" to `"wޭ'!zf`), which the ASCII test leaves out.
const (
	minBase64Len   = 12
	shortBase64Len = 8
)

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
	maxArgs int // the most arguments made; 0: no bound (tests), < 0: none
	out     []argument
}

// value decodes one value (the engine's own argument: a query parameter,
// form field, multipart field, cookie or JSON string leaf, already
// percent-decoded once for the query, forms and cookies), up to
// maxDecodeLevels deep (valueAt), and keeps each decoded text that
// differs from what it was decoded from, and the leaves of JSON text.
func (d *decoder) value(name, v string) error {
	if n, ok := nfkcFolded(v); ok {
		if err := d.keep(name+suffixNFKC, n); err != nil {
			return err
		}
	}
	if graphQLDocument(v) {
		// each string argument of a GraphQL document, as its server reads
		// it (attack 79: login(user: "admin\u0027--") logged in)
		n := name + suffixGraphQL
		for _, lit := range graphQLStrings(v, d.budget) {
			// only a string with a character code is made of (a quote,
			// a backslash, < > ; | & $ ` { } ( ) %): a query of 250
			// product ids (gid://shopify/Product/1) is no code, and each
			// string read costs an argument (a review: 128 of them
			// refused the request); = but a base64 id's padding
			// (GitHub's MDQ6VXNlcjU4MzIzMQ==: a review of attack 81's
			// fixes, where 100 of them refused a nodes query), and a
			// comment's /* (1/**/or/**/true); a line break, a
			// shell's separator (127.0.0.1\nwhoami ran through
			// graphql-core and subprocess: attack 83)
			if !strings.ContainsAny(strings.TrimRight(lit, "="), "'\"\\<>;|&$`{}()%=\n\r") && !strings.Contains(lit, "/*") && !graphQLSQLWords(lit) {
				continue
			}
			if err := d.keep(n, lit); err != nil {
				return err
			}
			if err := d.valueAt(n, lit, 1); err != nil {
				return err
			}
		}
	}
	if u, ok := stringEscapes(v); ok {
		n := name + suffixUnescaped
		if err := d.keep(n, u); err != nil {
			return err
		}
		if err := d.valueAt(n, u, 1); err != nil {
			return err
		}
	}
	if u, ok := charRefs(v); ok {
		n := name + suffixEntities
		if err := d.keep(n, u); err != nil {
			return err
		}
		if err := d.valueAt(n, u, 1); err != nil {
			return err
		}
	}
	return d.valueAt(name, v, 0)
}

// derive keeps the argument name (derived from a value: a quoted
// cookie unquoted, a repeated name's values joined, a key in a name) and
// decodes its value as any value is.
func (d *decoder) derive(name, v string) error {
	if err := d.keep(name, v); err != nil {
		return err
	}
	return d.value(name, v)
}

// suffixEntities names a value with its character references decoded
// (charRefs).
const suffixEntities = ":entities"

// suffixGraphQL names a string argument of a GraphQL document
// (graphQLStrings).
const suffixGraphQL = ":graphql"

// graphQLDocument: v starts (after white space and # comments) as a
// GraphQL document does: { or query, mutation, subscription or fragment
// and then a name, ( or {.
func graphQLDocument(v string) bool {
	j := graphQLSkip(v, 0)
	if j < len(v) && v[j] == '{' {
		// a selection set: { field(...) }, { ... on T }, not JSON's
		// {"key": ...}
		k := graphQLSkip(v, j+1)
		return k < len(v) && (sqlLetter(v[k]) || v[k] == '_' || strings.HasPrefix(v[k:], "...")) && strings.Contains(v[j:], "(") &&
			strings.Contains(v[j:], "\"")
	}
	for _, w := range [...]string{"query", "mutation", "subscription", "fragment"} {
		if strings.HasPrefix(v[j:], w) {
			k := j + len(w)
			for k < len(v) && (v[k] == ' ' || v[k] == '\t' || v[k] == '\n' || v[k] == '\r') {
				k++
			}
			return k > j+len(w) && k < len(v) && identByte(v[k], "") || k < len(v) && (v[k] == '(' || v[k] == '{')
		}
	}
	return false
}

// graphQLSkip is the index after GraphQL's ignored tokens at v[j:]:
// white space, commas, the byte order mark and # comments (a review:
// U+FEFF or a comment before the first field hid a document).
func graphQLSkip(v string, j int) int {
	for j < len(v) {
		switch {
		case v[j] == ' ' || v[j] == '\t' || v[j] == '\n' || v[j] == '\r' || v[j] == ',':
			j++
		case strings.HasPrefix(v[j:], "\ufeff"):
			j += len("\ufeff")
		case v[j] == '#':
			k := strings.IndexAny(v[j:], "\r\n")
			if k < 0 {
				return len(v)
			}
			j += k
		default:
			return j
		}
	}
	return j
}

// graphQLStrings are the string values of the GraphQL document v ("..."
// with its escapes decoded as GraphQL decodes them, and """...""" block
// strings), at most budget bytes of them in all.
func graphQLStrings(v string, budget int) []string {
	var out []string
	for i := 0; i < len(v) && budget > 0; i++ {
		switch v[i] {
		case '#':
			// a comment to the line's end
			k := strings.IndexByte(v[i:], '\n')
			if k < 0 {
				return out
			}
			i += k
		case '"':
			if strings.HasPrefix(v[i:], `"""`) {
				// a block string, \""" inside it an escaped quote (a
				// review: it ended the string there before)
				k := i + 3
				for {
					m := strings.Index(v[k:], `"""`)
					if m < 0 {
						return out
					}
					k += m
					if v[k-1] != '\\' {
						break
					}
					k += 3
				}
				out = append(out, strings.ReplaceAll(v[i+3:k], `\"""`, `"""`))
				budget -= k - i
				i = k + 2
				continue
			}
			var b strings.Builder
			j := i + 1
			for ; j < len(v) && v[j] != '"' && v[j] != '\n'; j++ {
				if v[j] != '\\' || j+1 >= len(v) {
					b.WriteByte(v[j])
					continue
				}
				if c, n := asciiEscape(v[j:]); n > 0 {
					b.WriteByte(c)
					j += n - 1
					continue
				}
				switch e := v[j+1]; e {
				case '"', '\\', '/':
					b.WriteByte(e)
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				default:
					b.WriteByte('\\')
					b.WriteByte(e)
				}
				j++
			}
			if b.Len() > 0 {
				out = append(out, b.String())
				budget -= b.Len()
			}
			i = j
		}
	}
	return out
}

// graphQLSQLWords: s has a blank and one of SQL's words that a condition
// or a clause in a numeric slot is made of (1 or 1=1, 1 and password like
// 0x6125, 1 order by 5: an ID argument a resolver puts in WHERE id = ...;
// attack 81).
func graphQLSQLWords(s string) bool {
	if !strings.ContainsAny(s, " \t\n\r\f\v") { // MariaDB reads 1\ror\rtrue as 1 or true (a review)
		return false
	}
	for _, w := range [...]string{"or", "and", "xor", "like", "rlike", "regexp", "between", "collate", "order", "union", "select",
		"having", "where", "sleep", "benchmark", "waitfor", "is", "not", "div", "mod"} {
		if wordIndexFold(s, w) >= 0 {
			return true
		}
	}
	return false
}

// suffixUnescaped names a value with its string escapes decoded
// (stringEscapes).
const suffixUnescaped = ":unescaped"

// stringEscapes is v with the escapes of an ASCII character that
// JavaScript, JSON, GraphQL, Python and PHP's strings read decoded
// (\u0027, \u{27}, \x27), and whether v held one. A value that is code
// or a query language's text holds strings the application's parser
// unescapes: a GraphQL query in a JSON body, query { login(user:
// "admin\u0027--") }, reached graphql-core as admin'-- and logged in
// (attack 79), and the CRS reads the escape as it stands. Escapes of
// other characters (\u00e9) are left: text, not code. Never longer than v.
func stringEscapes(v string) (string, bool) {
	i := strings.IndexByte(v, '\\')
	if i < 0 {
		return "", false
	}
	var b strings.Builder
	changed := false
	last := 0
	for ; i >= 0 && i < len(v); i = nextBackslash(v, i) {
		c, n := asciiEscape(v[i:])
		if n == 0 {
			continue
		}
		if !changed {
			b.Grow(len(v))
		}
		b.WriteString(v[last:i])
		b.WriteByte(c)
		last, changed = i+n, true
		i += n - 1
	}
	if !changed {
		return "", false
	}
	b.WriteString(v[last:])
	return b.String(), true
}

// nextBackslash is the index of the next \ after v[i], or -1.
func nextBackslash(v string, i int) int {
	k := strings.IndexByte(v[i+1:], '\\')
	if k < 0 {
		return -1
	}
	return i + 1 + k
}

// asciiEscape reads an escape of an ASCII character at the start of e
// (\uXXXX, \u{X...}, \xXX): the character and the escape's length, or 0.
func asciiEscape(e string) (byte, int) {
	if len(e) < 4 || e[0] != '\\' {
		return 0, 0
	}
	hexAt := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			if !ishex(s[i]) {
				return 0, false
			}
			n = n<<4 | int(unhex(s[i]))
		}
		return n, len(s) > 0
	}
	var n, l int
	var ok bool
	switch e[1] {
	case 'u':
		if e[2] == '{' {
			k := strings.IndexByte(e[3:min(len(e), 12)], '}')
			if k < 0 {
				return 0, 0
			}
			n, ok = hexAt(e[3 : 3+k])
			l = 4 + k
		} else if len(e) >= 6 {
			n, ok = hexAt(e[2:6])
			l = 6
		}
	case 'x':
		n, ok = hexAt(e[2:4])
		l = 4
	}
	if !ok || n == 0 || n >= 0x80 {
		return 0, 0
	}
	return byte(n), l
}

// charRefs is v with its character references decoded as HTML5 does
// (Python's html.unescape, PHP's html_entity_decode with ENT_HTML5:
// &#39;, &#x27;, &#0000039; and &#39 without its semicolon, &apos;,
// &lpar;), with the references Python deletes deleted and decimal
// references past U+FFFF to an ASCII character as qs's
// interpretNumericEntities did (readRefs), and whether that changed v. A
// browser sends a character that a form's charset lacks so (a page in
// ISO-8859-1), and Express's body-parser decodes them with qs, so
// q=admin&#39; -- reached an application as admin' -- (a thirty-fourth
// fresh-eyes attack, attack 38; its references of more than seven digits,
// without a semicolon and named passed the next, attack 39); the SQL
// and command rules do not decode HTML's entities. Only a value with a
// reference to an ASCII character (asciiRef), or one that readRefs
// deletes or reads as qs did, is decoded: &eacute; and
// &copy are no code, and a form of French text or of URLs with &para=
// costs no argument more. Never longer than v (&acE; is as long decoded;
// FuzzCharRefs).
func charRefs(v string) (string, bool) {
	if strings.IndexByte(v, '&') < 0 {
		return "", false
	}
	q, changed := readRefs(v)
	if !changed && !asciiRef(v) {
		return "", false
	}
	u := html.UnescapeString(q)
	return u, u != v
}

// asciiRef: v holds a character reference that HTML5 decodes to an
// ASCII character (&#39;, &#x27, &apos;, &lt), or that may (a name that
// starts as one of the names without a semicolon does: &ltimes; is ⋉).
func asciiRef(v string) bool {
	for i := strings.IndexByte(v, '&'); i >= 0 && i+1 < len(v); {
		j := i + 1
		if v[j] == '#' {
			// past U+FFFF no ASCII (readRefs reads qs's)
			if x, d, k, _ := numericRef(v, i); k > d && x > 0 && x < utf8.RuneSelf {
				return true
			}
		} else {
			k := j
			for k < len(v) && k-j < maxEntityName && (v[k] >= 'a' && v[k] <= 'z' || v[k] >= 'A' && v[k] <= 'Z' || v[k] >= '0' && v[k] <= '9') {
				k++
			}
			name := v[j:k]
			if k < len(v) && v[k] == ';' && slices.Contains(asciiEntities, name) {
				return true
			}
			for _, p := range asciiLegacyEntities {
				if strings.HasPrefix(name, p) {
					return true
				}
			}
		}
		n := strings.IndexByte(v[j:], '&')
		if n < 0 {
			return false
		}
		i = j + n
	}
	return false
}

// maxEntityName is the longest name of an entity HTML5 names
// (CounterClockwiseContourIntegral, 31 bytes), and a byte more.
const maxEntityName = 32

// asciiEntities are the names (before their semicolon) of HTML5's
// entities of an ASCII character (or that start with one: &bne; is =
// and U+20E5), as Go's html package (and Python's, and PHP's ENT_HTML5)
// decodes them.
var asciiEntities = []string{"AMP", "DiacriticalGrave", "GT", "Hat", "LT", "NewLine", "QUOT", "Tab", "UnderBar", "VerticalLine",
	"amp", "apos", "ast", "bne", "bsol", "colon", "comma", "commat", "dollar", "equals", "excl", "fjlig", "grave", "gt",
	"lbrace", "lbrack", "lcub", "lowbar", "lpar", "lsqb", "lt", "midast", "num", "nvgt", "nvlt", "percnt", "period", "plus",
	"quest", "quot", "rbrace", "rbrack", "rcub", "rpar", "rsqb", "semi", "sol", "verbar", "vert"}

// asciiLegacyEntities are the entities of an ASCII character that HTML5
// decodes without their semicolon too, as the start of a longer name
// (&ltx is <x).
var asciiLegacyEntities = []string{"AMP", "GT", "LT", "QUOT", "amp", "gt", "lt", "quot"}

// readRefs is v with the numeric references that Python's html.unescape
// deletes deleted (U+0001-U+0008, U+000B, U+000E-U+001F, U+007F,
// U+FDD0-U+FDEF, and U+xFFFE and U+xFFFF of every plane: un&#1;ion and
// un&#65535;ion are union to it, where HTML5 keeps a character that
// splits the word; attack 40), and each decimal reference past U+FFFF
// whose number modulo 2^16 is an ASCII character replaced by it, as qs
// before 6.14 decodes it (parseInt, then String.fromCharCode; HTML5 and
// later qs read a character past the Basic Multilingual Plane, which no
// rule reads); and whether it changed v (v itself when not).
func readRefs(v string) (string, bool) {
	var b []byte
	last := 0
	for i := strings.Index(v, "&#"); i >= 0; {
		x, j, k, hex := numericRef(v, i)
		semi := k < len(v) && v[k] == ';'
		end := k
		if semi {
			end++
		}
		var with []byte
		switch {
		case k == j:
		case x <= unicode.MaxRune && pythonDeletes(rune(x)):
			with = []byte{}
		case !hex && semi && x > 0xFFFF:
			// parseInt's double, exact modulo 2^16 (Infinity is 0)
			if f, err := strconv.ParseFloat(v[j:k], 64); err == nil {
				if c := math.Mod(f, 1<<16); c > 0 && c < utf8.RuneSelf {
					with = []byte{byte(c)}
				}
			}
		}
		if with != nil {
			if b == nil {
				b = make([]byte, 0, len(v))
			}
			b = append(append(b, v[last:i]...), with...)
			last = end
		}
		n := strings.Index(v[k:], "&#")
		if n < 0 {
			break
		}
		i = k + n
	}
	if b == nil {
		return v, false
	}
	return string(append(b, v[last:]...)), true
}

// numericRef reads the numeric reference at v[i] (&#): its digits are
// v[j:k] (hex after an x), its number x (past U+10FFFF, some number
// past it).
func numericRef(v string, i int) (x, j, k int, hex bool) {
	j = i + 2
	hex = j < len(v) && (v[j] == 'x' || v[j] == 'X')
	if hex {
		j++
	}
	for k = j; k < len(v) && (v[k] >= '0' && v[k] <= '9' || hex && ishex(v[k])); k++ {
		if x <= unicode.MaxRune {
			if hex {
				x = x<<4 | int(unhex(v[k]))
			} else {
				x = x*10 + int(v[k]-'0')
			}
		}
	}
	return x, j, k, hex
}

// pythonDeletes: Python's html.unescape reads a reference to r as none
// (its _invalid_codepoints, but for U+0080-U+009F, which it reads as
// windows-1252's characters).
func pythonDeletes(r rune) bool {
	return r >= 1 && r <= 8 || r == 0xB || r >= 0xE && r <= 0x1F || r == 0x7F ||
		r >= 0xFDD0 && r <= 0xFDEF || r&0xFFFE == 0xFFFE
}

// suffixNFKC names a value NFKC-normalised (nfkcFolded): q:nfkc.
const suffixNFKC = ":nfkc"

// nfkcFolded returns v NFKC-normalised when v holds a character that
// NFKC maps to ASCII letters, digits or punctuation, and the text
// changes. Python reads identifiers NFKC-normalised (PEP 3131), so
// __ｉｍｐｏｒｔ__("os").ｓｙｓｔｅｍ("id") and the same in mathematical
// letters (𝘪𝘮𝘱𝘰𝘳𝘵, 𝐢𝐦𝐩𝐨𝐫𝐭) is __import__("os").system("id") to eval
// and to Tornado's and Jinja's templates: a fifteenth fresh-eyes attack
// (attack 19) ran id so past the rules, which read the ASCII spelling
// only. The normalised text is handed to the rules as one more argument
// (<name>:nfkc), within the decoding budget and max_arguments as the
// other derived arguments are. The characters looked for, by their
// UTF-8 bytes (a value without them costs one scan of its bytes and
// allocates nothing): full-width forms (U+FF01-U+FF5E, EF BC/BD),
// Mathematical Alphanumeric Symbols (U+1D400-U+1D7FF, F0 9D 90-9F),
// letter-like symbols and Roman numerals (U+2100-U+218F, E2 84/85),
// super- and subscript letters (U+2070-U+209F, E2 81/82; U+1D2C-U+1DBF,
// E1 B4-B6), the Latin ligatures (U+FB00-U+FB06, EF AC), the CJK
// compatibility and small form variants (U+FE30-U+FE6F: ︳ and ﹍ fold to
// _, attack 20's _︳import︳_), Ĳ ĳ, Ǉ to ǌ and Ǳ to ǳ, U+A7F2-A7F4,
// U+2C7C-2C7D, the segmented digits (U+1FBF0-1FBF9), since attack 21
// the circled Latin letters (U+24B6-24E9: ⓢⓔⓛⓔⓒⓣ), since attack 24
// the parenthesized digits and letters (U+2474-249B, U+249C-24B5: ⑸ is
// (5)), and squared Latin
// capitals (U+1F130-1F149: 🄰), which a backend that NFKC-normalises its
// input (Django's usernames, search indexes) reads as ASCII, since
// attack 23 the spacing modifier letters that fold to ASCII (U+02B0-02B8,
// U+02E0-02E4: ʳ ˢ ˣ), the one and two dot leaders (U+2024-2025: ‥ is
// ..) and the Greek varia (U+1FEF, a backtick), long s
// (U+017F, C5 BF) and ª º (C2 AA, C2 BA) between a word's characters
// (1º piso, Nº 5 and 2ª edición make no argument). Japanese text with
// full-width letters and digits (ＡＢＣ株式会社　１２３) is read as ABC株式会社 123,
// which no rule refuses.
func nfkcFolded(v string) (string, bool) {
	if !nfkcCandidate(v) {
		return "", false
	}
	n := norm.NFKC.String(v)
	return n, n != v && (strings.ContainsAny(n, nfkcSyntax) || strings.IndexByte(n, '@') >= 0 && strings.ContainsAny(n, "\n\r"))
}

// nfkcSyntax are the characters without which a folded value is no code
// (a call, a tag, a path, a quote, a template): a folded value with none
// of them is not handed on. A hunt for false positives (attack 20) had a
// Japanese form of 65 fields of full-width digits (１２３) or letters
// (ＡＢＣ　回答) refused with 400: each value's :nfkc argument counted
// against max_arguments, halving it for such forms. A value in
// full-width parentheses (株式会社（ＡＢＣ）) still makes one. So does a
// value of more than one line with an @: a Python decorator chain needs
// none of them (from os import ſystem / @ſystem / @lambda c:c.__name__ /
// class id:pass: attack 26).
const nfkcSyntax = "()'\"<>/\\;|&$`{}[]*=%"

// identByte: c is an ASCII letter, digit or _, or one of more.
func identByte(c byte, more string) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || strings.IndexByte(more, c) >= 0
}

// nfkcCandidate: v holds one of nfkcFolded's characters.
func nfkcCandidate(v string) bool {
	for i := 0; i+1 < len(v); i++ {
		c := v[i]
		if c < 0xc2 {
			continue
		}
		c1 := v[i+1]
		switch c {
		case 0xc2:
			// ª and º only inside a word (__impºrt__, .ºpen): Spanish
			// and Portuguese write them after a number or N (1º piso,
			// Nº 5, 2ª edición), and every value with one would be
			// one more argument
			if (c1 == 0xaa || c1 == 0xba) && i > 0 && i+2 < len(v) && identByte(v[i-1], ".") && identByte(v[i+2], "(") {
				return true
			}
		case 0xca:
			if c1 >= 0xb0 && c1 <= 0xb8 { // modifier letters ʰ-ʸ, U+02B0-02B8
				return true
			}
		case 0xcb:
			if c1 >= 0xa0 && c1 <= 0xa4 { // modifier letters ˠ-ˤ, U+02E0-02E4
				return true
			}
		case 0xc4:
			if c1 == 0xb2 || c1 == 0xb3 { // Ĳ ĳ
				return true
			}
		case 0xc5:
			if c1 == 0xbf {
				return true
			}
		case 0xc7:
			if c1 >= 0x87 && c1 <= 0x8c || c1 >= 0xb1 && c1 <= 0xb3 { // Ǉ-ǌ, Ǳ-ǳ
				return true
			}
		case 0xea:
			if c1 == 0x9f && i+2 < len(v) && v[i+2] >= 0xb2 && v[i+2] <= 0xb4 { // U+A7F2-A7F4
				return true
			}
		case 0xe1:
			if c1 >= 0xb4 && c1 <= 0xb6 {
				return true
			}
			if c1 == 0xbf && i+2 < len(v) && v[i+2] == 0xaf { // Greek varia, U+1FEF: a backtick
				return true
			}
		case 0xe2:
			if c1 >= 0x81 && c1 <= 0x82 || c1 >= 0x84 && c1 <= 0x85 {
				return true
			}
			// one and two dot leaders (U+2024 ․ U+2025 ‥): . and ..
			if c1 == 0x80 && i+2 < len(v) && (v[i+2] == 0xa4 || v[i+2] == 0xa5) {
				return true
			}
			if c1 == 0xb1 && i+2 < len(v) && (v[i+2] == 0xbc || v[i+2] == 0xbd) { // U+2C7C-2C7D
				return true
			}
			// circled Latin letters, U+24B6-24E9 (E2 92 B6 - E2 93 A9);
			// not the circled digits (① in a numbered list); since
			// attack 24 the parenthesized digits and letters and the
			// digits with a full stop, U+2474-24B5 (E2 91 B4 - E2 92 B5:
			// sleep⑸ is sleep(5))
			if i+2 < len(v) && (c1 == 0x92 || c1 == 0x93 && v[i+2] <= 0xa9 || c1 == 0x91 && v[i+2] >= 0xb4) {
				return true
			}
		case 0xef:
			// ligatures; the CJK compatibility forms and small form
			// variants (U+FE30-FE6F: ︳ and ﹍ fold to _, ﹙ to ( ...);
			// full-width forms
			if c1 == 0xac || c1 == 0xb8 && i+2 < len(v) && v[i+2] >= 0xb0 || c1 == 0xb9 || c1 == 0xbc || c1 == 0xbd {
				return true
			}
		case 0xf0:
			if c1 == 0x9d && i+2 < len(v) && v[i+2] >= 0x90 && v[i+2] <= 0x9f {
				return true
			}
			if c1 == 0x9f && i+3 < len(v) && v[i+2] == 0xaf && v[i+3] >= 0xb0 && v[i+3] <= 0xb9 { // U+1FBF0-1FBF9
				return true
			}
			// squared Latin capitals, U+1F130-1F149 (F0 9F 84 B0 - F0 9F 85 89)
			if c1 == 0x9f && i+3 < len(v) && (v[i+2] == 0x84 && v[i+3] >= 0xb0 || v[i+2] == 0x85 && v[i+3] <= 0x89) {
				return true
			}
		}
	}
	return false
}

// template keeps v's string literals as a template engine reads them
// (templateLiterals), when v holds template delimiters and they differ.
func (d *decoder) template(name, v string) error {
	if s, ok := templateLiterals(v); ok {
		return d.keep(name+suffixTemplate, s)
	}
	return nil
}

// Documents decoded from base64: an e-mail message, an HTML, SVG or XML
// document (Gmail's API raw, SendGrid's attachments, an icon, SAML's
// messages) is markup by nature, and a shell script is shell code, so the
// CRS's rules for those (XSS and response splitting; command execution
// and OS file names, 930120) would refuse every such document. Such a decoded text is named
// <name>:base64:markup or <name>:base64:script (:base64:inflated:markup
// when it was compressed), and documentExclusions take it out of those
// rules' targets; every other rule (SQL injection, traversal, XXE, PHP,
// Java, template, NoSQL, LDAP, ours) reads it. A client's own argument
// named so is refused (errReservedName). What it costs: XSS inside a
// base64 markup document, and shell code inside a base64 script, pass
// (docs/waf.md, "Detection").
const (
	suffixMarkup = ":markup"
	suffixScript = ":script"
	// docMinLen: a shorter text is no markup document (a payload of an
	// HTML tag is a few dozen bytes)
	docMinLen = 128
	// docMinLines: a text of fewer lines that are not blank is no
	// document (textDocument)
	docMinLines = 3
)

// documentKind is ":markup" for an e-mail message (RFC 5322 header
// fields, From, To, Subject, MIME-Version or Content-Type among them, then
// an empty line) or an HTML, SVG or XML document (<!DOCTYPE, <html, <?xml,
// <svg with SVG's namespace, or a root element of a namespace prefix that
// it declares, as SAML's <samlp:AuthnRequest xmlns:samlp=...>) of at least
// docMinLen bytes; ":script" for a script (#!/ first, two lines or
// more); else "".
func documentKind(s string) string {
	t := strings.TrimLeft(s, " \t\r\n\ufeff")
	if strings.HasPrefix(t, "#!/") && strings.Contains(strings.TrimRight(t, " \t\r\n"), "\n") {
		return suffixScript // of any size: a command to inject has no #! line
	}
	if len(s) < docMinLen {
		return textDocument(t)
	}
	head := strings.ToLower(t[:min(len(t), 512)])
	switch {
	case strings.HasPrefix(head, "<!doctype"), strings.HasPrefix(head, "<html"), strings.HasPrefix(head, "<?xml"):
		return suffixMarkup
	case strings.HasPrefix(head, "<svg") && strings.Contains(head, `xmlns="http://www.w3.org/2000/svg"`):
		return suffixMarkup
	case namespacedRoot.MatchString(head):
		return suffixMarkup
	case mailMessage(t):
		return suffixMarkup
	}
	return textDocument(t)
}

// textDocument is suffixFileText for a text of at least docMinLines
// lines that are not blank, as a multipart text file's contents are
// named (fileContents), so fileTextExclusions take it out of the command
// execution rules' targets (the CRS's 932xxx, 210151, 210158) for the
// same reason: a document's lines are not a command line. A fifteenth
// fresh-eyes attack's hunt for false positives (attack 19) had GitHub's
// contents API refused by 210151: {"content": "<base64 of a README>"}
// whose install line is "curl -fsSL https://example.com/install.sh | sh".
// A command to inject is one line ("id;cat /etc/passwd", "$(id)"); a
// text of one or two lines that are not blank is still read by every
// rule, and a document of three lines or more by every rule but those
// (SQL injection, XSS, traversal, template and the gateway's others).
func textDocument(t string) string {
	lines := 0
	for line := range strings.SplitSeq(t, "\n") {
		if strings.TrimSpace(line) != "" {
			lines++
			if lines >= docMinLines {
				return suffixFileText
			}
		}
	}
	return ""
}

// namespacedRoot: a root element of a prefix that it declares.
var namespacedRoot = regexp.MustCompile(`^<([a-z_][\w.-]*):[\w.-]+\s[^>]*\bxmlns:([a-z_][\w.-]*)\s*=`)

// mailMessage: s opens with header fields (name: value lines, folded
// lines allowed) up to an empty line, one of them a message's own.
func mailMessage(s string) bool {
	head, _, ok := strings.Cut(strings.ReplaceAll(s[:min(len(s), 16<<10)], "\r\n", "\n"), "\n\n")
	if !ok {
		return false
	}
	own := false
	for line := range strings.SplitSeq(head, "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			continue // folded
		}
		name, _, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t<>()") {
			return false
		}
		switch strings.ToLower(name) {
		case "from", "to", "subject", "mime-version", "content-type":
			own = true
		}
	}
	return own
}

// documentExclusions take decoded documents (documentKind) out of the
// targets of the rules that would refuse every one of their kind; loaded
// after the CRS, before the user's rules.
const documentExclusions = `SecRuleUpdateTargetByTag "attack-xss" "!ARGS:/:base64(:inflated)?:markup$/"
SecRuleUpdateTargetById 921120 "!ARGS:/:base64(:inflated)?:markup$/"
SecRuleUpdateTargetById 921130 "!ARGS:/:base64(:inflated)?:markup$/"
SecRuleUpdateTargetByTag "attack-rce" "!ARGS:/:base64(:inflated)?:script$/"
SecRuleUpdateTargetById 930120 "!ARGS:/:base64(:inflated)?:script$/"
`

// reservedName matches the names documentExclusions and
// fileTextExclusions exempt: a client's
// own argument named so would be exempt too, and is refused.
var reservedName = regexp.MustCompile(`:base64(:inflated)?:(markup|script)$|:filetext$`)

// errReservedName refuses a request with an argument named as decoded
// documents are (reservedName).
var errReservedName = errors.New("an argument named as the WAF names decoded documents")

// decodeOnce decodes v once when it is plainly encoded: base64 (after an
// optional data: URL prefix) that decodes to text, else hex that decodes
// to text (hexText), else percent-encoding
// that is still percent-encoding once decoded (encoded twice more than
// the engine decodes).
func decodeOnce(v string, limit int) (string, string, bool, error) {
	s, bin, ok := base64Decoded(v)
	if ok {
		return s, suffixBase64, true, nil
	}
	if bin != nil {
		if s, suffix, ok, err := binaryText(bin, limit); ok || err != nil {
			return s, suffixBase64 + suffix, ok, err
		}
	}
	if s, ok := mimeWords(v); ok {
		return s, suffixMIMEWord, true, nil
	}
	if s, ok := hexText(v); ok {
		return s, suffixHex, true, nil
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
			return s, suffixURL, true, nil
		}
	}
	return "", "", false, nil
}

// suffixMIMEWord names a value's text with its RFC 2047 encoded-words
// decoded.
const suffixMIMEWord = ":mimeword"

// mimeWords decodes the RFC 2047 encoded-words in v (=?UTF-8?B?...?=,
// =?UTF-8?Q?admin=27#?=) as a mail library does (Go's mime.WordDecoder,
// as Python's email package with policy.default, Java's
// MimeUtility.decodeText, PHP's iconv_mime_decode): a subject or a name
// taken from a mail, or a raw message in a form field (SendGrid's Inbound
// Parse), reaches the application decoded. An eighth fresh-eyes attack
// (attack 12) passed x' UNION SELECT ... and admin'# so. Only a value with
// "=?" in it is looked at; one whose words do not decode (an unknown
// charset, bad base64) is left as it is. At most 1.5 times as long as v
// (a Latin-1 byte is two in UTF-8).
func mimeWords(v string) (string, bool) {
	if !strings.Contains(v, "=?") || !strings.Contains(v, "?=") {
		return "", false
	}
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil || s == v {
		return "", false
	}
	return s, true
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
// payload counts. A value that is not plainly base64 is read as the
// lenient decoders read it all the same (lenientBase64): characters
// outside the alphabet skipped, both alphabets at once.
func plainBase64(v string) (string, bool) {
	s, _, ok := base64Decoded(v)
	return s, ok
}

// base64Decoded is plainBase64, and the bytes a value plainly in one
// alphabet decodes to when they are not text (binary, for binaryText).
func base64Decoded(v string) (text string, binary []byte, ok bool) {
	if i := strings.Index(v, ";base64,"); i > 0 && strings.HasPrefix(v, "data:") && i < 128 {
		v = v[i+len(";base64,"):]
	}
	v = strings.TrimSpace(v)
	if len(v) < minBase64Len {
		return shortBase64(v)
	}
	if strings.ContainsAny(v, " \t\r\n") {
		v = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, v)
		if len(v) < minBase64Len {
			return "", nil, false
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
			s, ok := lenientBase64(v)
			return s, nil, ok
		}
	}
	if std && urlsafe {
		s, ok := lenientBase64(v)
		return s, nil, ok
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
		if s, ok := lenientBase64(v); ok || err != nil {
			return s, nil, ok
		}
		return "", b, false
	}
	return validText(b), nil, true
}

// shortBase64 decodes a value of shortBase64Len to minBase64Len
// characters (see minBase64Len): one alphabet, padded right or not at all,
// printable ASCII decoded.
func shortBase64(v string) (string, []byte, bool) {
	if len(v) < shortBase64Len {
		return "", nil, false
	}
	body := strings.TrimRight(v, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(body, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(body)
	if err != nil || len(b) < 5 {
		return "", nil, false
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return "", nil, false
		}
	}
	return string(b), nil, true
}

// validText is b without the bytes that are not valid UTF-8.
func validText(b []byte) string {
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "")
	}
	return string(b)
}

// lenientBase64 decodes v (white space already removed) as the lenient
// decoders do what is not plainly base64: Node's Buffer.from(v, 'base64')
// takes both alphabets at once (- as +, _ as /), skips any other character
// and stops at the first '='; Python's b64decode (validate=False, the
// default) skips every character outside the standard alphabet, - and _
// included, and stops at an '=' that ends a group of four. v counts when
// one of the two readings (Node's first) decodes to text as plainBase64
// says, from at least minBase64Len characters of the alphabet, with at
// most one character outside it for every three in it (dots or dashes
// between groups of four are one in five). One pass over v for each
// reading.
func lenientBase64(v string) (string, bool) {
	alpha, other, std, dashes := 0, 0, false, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			alpha++
		case c == '+' || c == '/':
			alpha++
			std = true
		case c == '-' || c == '_':
			alpha++
			dashes = true
		case c == '=':
		default:
			other++
		}
	}
	if alpha < minBase64Len || other*3 > alpha {
		return "", false
	}
	innerPad := strings.IndexByte(strings.TrimRight(v, "="), '=') >= 0
	// plainBase64 has decoded a value in one alphabet as Node does: Node's
	// reading is new with other characters, an '=' inside or both
	// alphabets; Python's differs from Node's with - or _ (skipped) and
	// with an '=' inside (which ends the data only when it pads a group)
	buf := make([]byte, 0, alpha)
	if other > 0 || innerPad || std && dashes {
		if s, ok := sextetText(sextets(buf, v, true)); ok {
			return s, true
		}
	}
	if dashes || innerPad {
		if s, ok := sextetText(sextets(buf, v, false)); ok {
			return s, true
		}
	}
	return "", false
}

// sextetText is the text that six-bit values (at least minBase64Len of
// them) decode to, when it is text as plainBase64 says.
func sextetText(s []byte) (string, bool) {
	if len(s) < minBase64Len {
		return "", false
	}
	b := packSextets(s)
	if !mostlyPrintable(b) {
		return "", false
	}
	return validText(b), true
}

// sextets appends to buf the six-bit values of v's base64 characters as
// Node (node) or Python reads them (lenientBase64).
func sextets(buf []byte, v string, node bool) []byte {
	buf = buf[:0]
	pads := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		var x byte
		switch {
		case c >= 'A' && c <= 'Z':
			x = c - 'A'
		case c >= 'a' && c <= 'z':
			x = c - 'a' + 26
		case c >= '0' && c <= '9':
			x = c - '0' + 52
		case c == '+' || node && c == '-':
			x = 62
		case c == '/' || node && c == '_':
			x = 63
		case c == '=':
			if node {
				return buf
			}
			// Python: padding ends the data once it completes a group
			if pos := len(buf) % 4; pos >= 2 {
				if pads++; pos+pads >= 4 {
					return buf
				}
			}
			continue
		default:
			continue
		}
		pads = 0
		buf = append(buf, x)
	}
	return buf
}

// packSextets turns six-bit values into bytes; a last lone value, which
// encodes no whole byte, is dropped.
func packSextets(s []byte) []byte {
	out := make([]byte, 0, len(s)*3/4)
	for len(s) >= 4 {
		out = append(out, s[0]<<2|s[1]>>4, s[1]<<4|s[2]>>2, s[2]<<6|s[3])
		s = s[4:]
	}
	switch len(s) {
	case 2:
		out = append(out, s[0]<<2|s[1]>>4)
	case 3:
		out = append(out, s[0]<<2|s[1]>>4, s[1]<<4|s[2]>>2)
	}
	return out
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
			if bad++; bad*10 > runes+len(b) {
				return false // over 10% of any count of runes b can still hold
			}
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
	empty, leaves, scalars, keys, names := jsonWalkBounded(b, max(len(body), minNameBudget), true)
	if names > max(len(body), minNameBudget) {
		return nil, errNamesTooLong
	}
	for _, k := range empty {
		leaves = append(leaves, argument{k, ""})
	}
	return append(append(leaves, scalars...), keys...), nil
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
// errDecodeBudget past budget bytes of them, or errDecodeDepth. The
// derived arguments are body arguments to the rules, so they count with
// the body's own (own of them) against maxArgs: past maxArgs in all it
// stops and returns errDerivedArgs.
func decodedArguments(tx types.Transaction, values []argument, own, budget, maxArgs int) ([]argument, error) {
	room := maxArgs - own
	if room <= 0 {
		room = -1 // no room: the first derived argument is one too many
	}
	d := decoder{budget: budget, maxArgs: room}
	err := d.all(tx, values)
	if errors.Is(err, errArgsFull) {
		return nil, errDerivedArgs
	}
	return d.out, err
}

// bodyArguments counts the body's own arguments for decodedArguments:
// the values the engine makes arguments of, and those added to them
// (bodyChecks' extra, fileArguments), each once (JSON leaves of a body of
// another type are among both).
func bodyArguments(values []argument, added ...[]argument) int {
	n := len(values)
	var seen map[argument]int
	for _, as := range added {
		for _, a := range as {
			if len(values) > 0 {
				if seen == nil {
					seen = make(map[argument]int, len(values))
					for _, v := range values {
						seen[v]++
					}
				}
				if seen[a] > 0 {
					seen[a]--
					continue
				}
			}
			n++
		}
	}
	return n
}

// all decodes the query's, the cookies' and values.
func (d *decoder) all(tx types.Transaction, values []argument) error {
	if st, ok := tx.(plugintypes.TransactionState); ok {
		vars := st.Variables()
		args := vars.ArgsGet().FindAll()
		if mayRepeat(args, matchKey) {
			// the query's repeated names joined: its arguments copied
			// only when one may repeat
			query := make([]argument, len(args))
			for k, m := range args {
				query[k] = argument{m.Key(), m.Value()}
			}
			if err := d.repeatedJoined(query); err != nil {
				return err
			}
		}
		for _, m := range args {
			if reservedName.MatchString(m.Key()) {
				return errReservedName
			}
			if err := d.value(m.Key(), m.Value()); err != nil {
				return err
			}
			if err := d.bracketKeys(m.Key()); err != nil {
				return err
			}
		}
		for _, m := range vars.RequestCookies().FindAll() {
			// a cookie value may be quoted (RFC 6265 cookie-value),
			// and servers take it without the quotes
			v := m.Value()
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
				u, ok := cookieUnquote(v)
				if !ok && !safeValue(v, false) {
					// without a backslash, the value without its
					// quotes, as every server reads it: the rules that
					// read from a value's start saw the quote first
					// (attack 35 passed q="admin' --", q="1 or 1=1",
					// q="`id`"); a quoted id or base64 (plainly safe)
					// costs no argument
					u, ok = v, true
				}
				if ok {
					// as Python reads a quoted cookie (Werkzeug's
					// parse_cookie, Django's, http.cookies): its
					// escapes decoded, "admin\047#" is admin'#
					if err := d.derive("cookie."+m.Key()+suffixUnquoted, u); err != nil {
						return err
					}
				}
			}
			if j, ok := cookieJSON(v); ok {
				v = j // as Express reads it: percent-decoded, after j:
			} else if strings.IndexByte(v, '%') >= 0 {
				// PHP and Express percent-decode a cookie value once: base64
				// whose padding or + and / are written %3D, %2B, %2F is
				// base64 to them (only base64: a percent-encoded cookie
				// that is not stays the CRS's, see decodeOnce)
				if u := lenientUnescape(v); u != v {
					if _, ok := plainBase64(u); ok {
						v = u
					} else if j, ok := percentJSON(u); ok && !trackingCookie(m.Key()) {
						// percent-encoded JSON: its leaves as the
						// backend reads them (attack 33 passed
						// q=%7B%22a%22%3A%22system%20'id'%22%7D), but for
						// the tracking cookies the CRS excludes by name
						v = j
					}
				}
			}
			if err := d.value("cookie."+m.Key(), v); err != nil {
				return err
			}
			if err := d.bracketKeys("cookie." + m.Key()); err != nil {
				return err
			}
		}
	}
	if err := d.repeatedJoined(values); err != nil {
		return err
	}
	for _, a := range values {
		if reservedName.MatchString(a.name) {
			return errReservedName
		}
		if err := d.value(a.name, a.value); err != nil {
			return err
		}
		if err := d.bracketKeys(a.name); err != nil {
			return err
		}
	}
	return nil
}

// suffixJoined names the values of a repeated name joined with commas.
const suffixJoined = ":joined"

// repeatedJoined makes an argument, <name>:joined, of the values of each
// name that args repeat, joined with commas in their order: ASP.NET
// hands an application ?sort=id&sort=sleepEachRow(3) as
// "id,sleepEachRow(3)", and a template of Express's qs array
// (`ORDER BY ${req.query.sort}`) writes it so (a thirty-third fresh-eyes
// attack, attack 37); each value alone is no injection. A request
// without a repeated name costs a comparison of its names (a map past
// 16 of them); the joined values
// count against the decoding budget (keep). An XML document's text nodes
// and a JSON body's leaves are left alone, and so are values of words
// only (no character of code: codeKey), which joined read as SQL
// (tag=union&tag=select&tag=from).
func (d *decoder) repeatedJoined(args []argument) error {
	if !mayRepeat(args, argumentName) {
		return nil
	}
	seen := make(map[string]int, len(args))
	repeated := 0
	for _, a := range args {
		if strings.HasPrefix(a.name, "xml.") || strings.HasPrefix(a.name, "json.") {
			continue // a document's nodes and leaves: not one parameter's values
		}
		if seen[a.name]++; seen[a.name] == 2 {
			repeated++
		}
	}
	if repeated == 0 {
		return nil
	}
	for _, a := range args {
		if seen[a.name] < 2 {
			continue
		}
		code := false
		for _, o := range args {
			code = code || o.name == a.name && codeKey(o.value)
		}
		if !code {
			// words only: tag=union&tag=select&tag=from joined is SQL
			// to the CRS, and an injection that words alone make the
			// CRS reads in each value (attack 38's false positives)
			seen[a.name] = 0
			continue
		}
		var b strings.Builder
		for _, o := range args {
			if o.name == a.name {
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				b.WriteString(o.value)
			}
		}
		seen[a.name] = 0 // joined once
		if err := d.derive(a.name+suffixJoined, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// mayRepeat: two of xs share a key (compared pairwise, allocating
// nothing, for up to 16; more may, and repeatedJoined's map says).
func mayRepeat[T any](xs []T, key func(T) string) bool {
	if len(xs) > 16 {
		return true
	}
	for i, a := range xs {
		for _, b := range xs[i+1:] {
			if key(a) == key(b) {
				return true
			}
		}
	}
	return false
}

func matchKey(m types.MatchData) string { return m.Key() }

func argumentName(a argument) string { return a.name }

// bracketKeys makes an argument of each bracketed part of the name of a
// query parameter or a form field that holds a character of code
// (codeKey), named by the name up to it and suffixKey: PHP, Rails and
// Express's qs read q[k]=v as a map with the key k, which an application
// may take as a column's or a field's name (filter[<column>]=...,
// sort[<column>]=asc), and the rules read the name whole only, where
// those that read from a value's start never see the key (a thirty-first
// fresh-eyes attack, attack 35, passed q[admin' --]=1). Names without
// brackets, and brackets of words or indices (filter[name], a[0][b],
// a[]), cost a byte scan. Every part is read (PHP nests 64 deep: a
// review passed a key in the ninth part when eight were); the keys kept
// count against the derived arguments' bound (keep). Cookies' names too:
// PHP reads q[k]=v in $_COOKIE so.
func (d *decoder) bracketKeys(name string) error {
	if err := d.dottedKeys(name); err != nil {
		return err
	}
	for i := strings.IndexByte(name, '['); i >= 0; {
		j := strings.IndexByte(name[i+1:], ']')
		if j < 0 {
			return nil
		}
		end := i + 1 + j
		if k := name[i+1 : end]; codeKey(k) {
			if err := d.derive(name[:end+1]+suffixKey, k); err != nil {
				return err
			}
		}
		next := strings.IndexByte(name[end+1:], '[')
		if next < 0 {
			return nil
		}
		i = end + 1 + next
	}
	return nil
}

// dottedKeys is bracketKeys for qs's allowDots spelling of a map's keys
// (filter.(select password from users)=1 is {filter: {"(select ...)":
// "1"}}: attack 38): each part after a dot of a query's or a form's name
// that holds a character of code is an argument of its own, named by the
// name up to it and suffixKey. A JSON body's, an XML document's and a
// cookie's names are left alone (their dots are the WAF's own or no
// map's).
func (d *decoder) dottedKeys(name string) error {
	if strings.HasPrefix(name, "json.") || strings.HasPrefix(name, "xml.") || strings.HasPrefix(name, "cookie.") || !strings.ContainsAny(name, keyChars) {
		return nil
	}
	for i := strings.IndexByte(name, '.'); i >= 0; {
		end := len(name)
		if n := strings.IndexAny(name[i+1:], ".["); n >= 0 {
			end = i + 1 + n
		}
		if k := name[i+1 : end]; codeKey(k) {
			if err := d.derive(name[:end]+suffixKey, k); err != nil {
				return err
			}
		}
		next := strings.IndexByte(name[end:], '.')
		if next < 0 {
			return nil
		}
		i = end + next
	}
	return nil
}

// percentJSON: u (a cookie percent-decoded) is JSON as a backend reads
// it, with its + as spaces when it is not JSON with them as they stand
// (PHP's $_COOKIE decodes + as a space, Express's decodeURIComponent does
// not).
func percentJSON(u string) (string, bool) {
	if _, ok := sniffJSON([]byte(u)); ok {
		return u, true
	}
	if strings.IndexByte(u, '+') >= 0 {
		if p := strings.ReplaceAll(u, "+", " "); p != u {
			if _, ok := sniffJSON([]byte(p)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// trackingCookie: name is one of the advertising and analytics cookies
// the CRS excludes from some rules by name (FCCDCF, FCNEC, __gads, _ga*,
// _pk_ref*, pbjs-*, ...): their percent-encoded JSON stays as the engine
// reads it, whole, so that those exclusions hold.
func trackingCookie(name string) bool {
	switch name {
	case "FCCDCF", "FCNEC", "__gads", "__gpi", "__eoi", "sharedid", "_clsk", "_clck", "_awl":
		return true
	}
	return strings.HasPrefix(name, "_ga") || strings.HasPrefix(name, "_pk_ref") || strings.HasPrefix(name, "pbjs-")
}

// suffixUnquoted names a quoted cookie's value with its escapes decoded.
const suffixUnquoted = ":unquoted"

// cookieUnquote decodes the backslash escapes of a quoted cookie's value
// (without its quotes) as Python's http.cookies does, which Werkzeug's
// parse_cookie and Django's parse_cookie call: \OOO (three octal digits)
// is that byte, and a backslash before any other character is that
// character. It reports whether v held an escape. An eighth fresh-eyes
// attack (attack 12) passed "admin\047#", "1\047 or \0471\047=\0471"
// and a payload wholly in octal so. At most as long as v.
func cookieUnquote(v string) (string, bool) {
	i := strings.IndexByte(v, '\\')
	if i < 0 || i == len(v)-1 {
		return "", false
	}
	b := make([]byte, 0, len(v))
	b = append(b, v[:i]...)
	for ; i < len(v); i++ {
		c := v[i]
		if c != '\\' || i == len(v)-1 {
			b = append(b, c)
			continue
		}
		if i+3 < len(v) && isOctal(v[i+1]) && v[i+1] <= '3' && isOctal(v[i+2]) && isOctal(v[i+3]) {
			b = append(b, (v[i+1]-'0')<<6|(v[i+2]-'0')<<3|(v[i+3]-'0'))
			i += 3
			continue
		}
		i++
		b = append(b, v[i])
	}
	return string(b), true
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// mongoStages are MongoDB's aggregation stages (MongoDB 8.x: $currentOp,
// $queryStats, $listSearchIndexes, $rankFusion, ...) and update operators,
// for rules 210130 and 210131. Its query operators ($ne, $where, $expr,
// ...) are the CRS's (942290).
const mongoStages = `addFields|bucket|bucketAuto|changeStream|changeStreamSplitLargeEvent|collStats|count|currentOp|densify|documents|facet|fill|geoNear|graphLookup|group|indexStats|limit|listClusterCatalog|listLocalSessions|listSampledQueries|listSearchIndexes|listSessions|lookup|match|merge|out|planCacheStats|project|querySettings|queryStats|rankFusion|redact|replaceRoot|replaceWith|sample|score|scoreFusion|search|searchMeta|set|setWindowFields|shardedDataDistribution|skip|sort|sortByCount|unionWith|unset|unwind|vectorSearch` +
	`|inc|mul|rename|setOnInsert|push|pushAll|pull|pullAll|addToSet|pop|currentDate|bit|min|max|each|position|slice` +
	// query operators and modifiers the CRS's 942290 lacks: Extended
	// JSON's regular expression, geo queries, $regex's options, the
	// legacy query modifiers
	`|regularExpression|geoWithin|geoIntersects|near|nearSphere|options|query|hint|returnKey|showDiskLoc|explain|maxScan|snapshot`

// credentialOperator is rule 210133's pattern: an argument name that is a
// credential-like field (password, passwd, pass, pwd, passphrase,
// passcode, passkey, pin, otp, totp, code, mfa_code, otp_code, hash,
// signature, answer, key, session_id; a name ending in password, token or
// secret: newPassword, reset_token, clientSecret, and a digit after it:
// password1; a code of recovery, auth, two-factor, verification, reset,
// activation, invite, pin, backup, confirmation or security: resetCode,
// verification_code; a key of api, access, secret, private, session,
// master, recovery or license: apiKey, secret_key; a password's hash:
// passwordHash; securityAnswer; since a sixth attack, attack 10, B2, the
// one-time codes of sms, email, login, one-time, phone, mobile, device,
// magic, access, two-fa and tfa: smsCode, one_time_code, tfa_code;
// Supabase's token_hash; pw, pword, pass_phrase, userPass, loginPass;
// pin_number, securityPin, mpin, upiPin and other PINs; cvv, cvc; since
// a seventh attack, attack 11, BROKE 8, the same prefixes' one-time
// passwords and totp's and an authenticator's codes: smsOtp, emailOtp,
// totpCode, authenticatorCode; resetKey; pass_word) then a
// query operator as a key or a bracketed name (json.password.not,
// user[password][not], json.otp.notIn.0), itself anywhere above the
// leaf (json.password.not.equals, password[not][equals],
// password[notIn][]: Prisma's {not: {equals: x}}): an ORM or a query
// builder that takes the field's value as it is (Prisma's where:
// {password}, Sequelize, Objection, Hasura's and Directus's where,
// LoopBack) reads {"not": ""} as "password is not empty", a login bypass.
// The operators are Prisma's (not, notIn, lt, lte, gt, gte, contains,
// startsWith, endsWith, search), Sequelize's and LoopBack's without $
// (ne, neq, nin, like, notLike, ilike, nlike, regexp, between, exists),
// Hasura's and Directus's with _ (_neq, _nin, _ilike, _ncontains,
// _nnull, ...; since a sixth attack, attack 10, B1, their other negated
// ones: _nregex, _niregex, _nsimilar, _nempty, _null, _nstarts_with,
// _nends_with, _nicontains, and notContains, not_contains, nregexp;
// since attack 11, BROKE 8, Sequelize's notRegexp, notIRegexp and
// notBetween, and not_starts_with, not_ends_with),
// Payload's (not_equals, not_in, greater_than, ...). Not
// equals, eq, is or in: an object of them matches no more than the string
// would. With $ they are the CRS's (942290).
const credentialOperator = `(?i)(?:^|[.\[])(?:[a-z0-9_-]*(?:password|pass_word|passwd|passphrase|passcode|secret|token)\d?|pass|pwd|pw|pword|pass_?phrase|(?:user|login|db|admin|account)_?pass|pin|(?:security|upi|m|atm|card|user|login|wallet|transaction|txn|account)_?pin|pin_?(?:number|no)|otp|totp|code|mfa_?code|otp_?code|cvv2?|cvc2?|passkey|key|hash|token_?hash|signature|session_?id|(?:security_?)?answer|(?:password|passwd|pass|pwd)_?hash|(?:recovery|auth|two_?factor|2fa|two_?fa|tfa|verification|verify|reset|activation|invite|invitation|pin|backup|confirmation|confirm|security|sms|email|login|one_?time|phone|mobile|device|magic|access|totp|authenticator)_?(?:code|otp)|(?:api|access|secret|private|session|master|recovery|license|reset)_?key)\]?[.\[]_?(?:not|ne|neq|not_?equals|not_?in|nin|lt|lte|gt|gte|greater_than(?:_equal)?|less_than(?:_equal)?|(?:not_?|n)?i?contains|(?:not_?|n)?i?starts_?with|(?:not_?|n)?i?ends_?with|n?i?like|not_?i?like|(?:not_?|n)?i?regexp?|(?:not_?|n)?similar|search|(?:not_?|n)?between|exists|is_?not|is_?null|n?null|n?empty)\]?(?:[.\[][^.\[\]]*\]?)*$`

// operatorWrapper leaves rule 210133 out of a query that a client sends
// as such (a filter API's where, filter, filters, query, search,
// conditions or criteria: {"where": {"code": {"not": "X"}}}): there the
// client writes the query by design, and an operator on a field is what
// it is for.
const operatorWrapper = `(?i)(?:^|[.\[])(?:where|filters?|query|search|conditions?|criteria)[.\]]`

// detectionRules are the SecLang rules for what the CRS lets through at
// paranoia 1, loaded before the CRS (they run in phase 2 before its
// blocking evaluation, 949110) and scored as its critical rules are, so
// the anomaly threshold, detect mode and exclusions (SecRuleRemoveById in
// rules) work on them as on the CRS's. Ids 210100-210199 and
// 210200-210299 are the gateway's (210199: the decoding budget's
// refusal; 210198: an argument named as decoded documents are,
// errReservedName). The first range is full but for 210107-210109,
// 210119 and 210147-210149; new rules take ids from 210200 up.
//
//   - 210110: template arithmetic, the probe of every SSTI scan: {{7*7}},
//     ${7*7}, #{7*7}, *{7*7}, @{7*7}, <%= 7*7 %>, {{7*'7'}}, {{=7*7}}
//     (doT), @(7*7) (Razor), {{ 7.0 * 7 }}, {{ 7//1 }}, {{7+7}} (whose +
//     t:urlDecodeUni reads as a space, so a space is an operator too),
//     {% set x = 7*7 %}, {{[7]*7}}, {{0x7*0x7}} (hex, octal and binary
//     numbers, brackets around them), OGNL's %{7*7}, FreeMarker's [=7*7],
//     Smarty's {7*7} (* or / only: {1-2} is a range), Velocity's
//     #{set}(...), Django's {% debug %}. Two
//     numbers with only a space between them count inside {{ }} and {% %}
//     only (Ticket #{123 456} is text).
//   - 210111: template code: object introspection and code execution
//     inside template delimiters (Jinja2 {{”.__class__.__mro__}},
//     {{config.items()}}, lipsum/cycler/joiner; Twig _self; Spring and
//     Java EL T(java.lang.Runtime), getClass(); Freemarker ?new(),
//     freemarker.template.utility; ERB <%= system(...) %>; Jinja2's
//     \x5f escapes of _, request[...], range(...), |list and print,
//     {%print(7*7)%}; a PHP function named as a string argument, Twig's
//     {{['id']|filter('system')}}, |map, |sort, |reduce (since attack 54
//     rule 210191's, which reads them in and out of delimiters:
//     {{ theme|default('system') }}, a setting, passes); Flask's request
//     cookies, headers, values, form... read as names, which move every
//     name of a chain out of the template; Twig's _context and
//     app.request; since a ninth fresh-eyes attack, attack 13, Django's
//     request.META, .session, .COOKIES, .GET, .POST, .FILES and .body:
//     {{ request.META.DJANGO_SECRET_KEY }} and {{request.session}}
//     printed the server's environment and the session, while
//     {{ request.path }} and {{ request.user.username }} pass). It reads the
//     value's template literals joined and unescaped too (the argument
//     q:template, templateLiterals): '_' '_init_' '_', '\137\137class',
//     'sys'~'tem'.
//   - 210112: Velocity (#set($x = ...), $class.inspect) and Smarty
//     ({php}, {system(...)}, {$smarty.version}) directives, Razor's
//     .NET calls (@System.Diagnostics.Process.Start(...), @{ System.IO...
//     }), Ruby's #{%x(id)} and #{`id`}. Not Go's text/template ranging
//     over its whole data ({{ range $k, $v := . }}, attack 16's B17): it
//     is the idiom for a template whose data is a slice (attack 17).
//   - 210113: template arithmetic by a named filter or function, and
//     Smarty's {math equation=...} (CVE-2021-29454: its equation is
//     evaluated as PHP, {math equation="(\"\163\171...\")(\"id\")"}):
//     Liquid's {{ 7 | times: 7 }}, | plus:, | minus:, | divided_by:,
//     | modulo:; Go's sprig (Helm, Hugo) {{ mul 7 7 }}, {{ add 7 7 }},
//     {{ add1 7 }}, {{ 7 | mul 7 }}, inside {{ }} or {% %} and with
//     numbers as operands: {{ product.price | times: 1.1 }} and
//     {{ add .Count 1 }} (a variable) are not refused.
//   - 210130: NoSQL: a MongoDB aggregation stage or update operator
//     ($lookup, $unionWith, $graphLookup, $out, $merge, $match, $facet,
//     $set, $inc, ...) as an argument name: a JSON key (json.0.$match)
//     or a bracketed parameter name (a[$lookup]); the CRS's 942290
//     covers the query operators ($ne, $where, ...) but not these.
//     A plain top-level name (?$skip=10, OData's) is not refused.
//     JSON Schema's $schema, $ref, $id, $defs, $anchor, $dynamicRef,
//     $comment and $vocabulary are not in the list.
//   - 210131: the same names as keys in JSON text inside a value or a
//     name, quoted or not as JavaScript and JSON5 take them
//     ([{$unionWith:'x'}]), and a value that is a MongoDB system variable
//     ($$ROOT, $$CURRENT, ...).
//   - 210132: NoSQL: JavaScript written into a string that a backend
//     puts in a $where expression: a quote closed then || or && and a
//     comparison (' || 'a'=='a, '||1==1//, ' && this.password.match(/.*/)),
//     this.<field> compared or matched, ; return this..., and
//     .constructor.constructor or process.exit.
//   - 210133: NoSQL and ORM: an operator without $ under a credential
//     field ({"password": {"not": ""}}, Prisma's and Sequelize's; see
//     credentialOperator), outside a where or filter object.
//   - 210134: SQL injection into Node's mysql and mysql2: a value equal
//     to 1 (true, 1, "1") whose name's last key repeats its parent's
//     ({"password": {"password": 1}}, password[password]=1; see
//     repeatedKey), which those drivers turn into password = `password`
//     = 1, true for every row.
//   - 210135: Cypher injection (Neo4j): a closed quote, then a Cypher
//     clause and a graph pattern (cypherRule): x' RETURN 1 UNION MATCH
//     (u:User) RETURN u.password//.
//   - 210120: LDAP filter injection: a value that closes a filter it did
//     not open and opens another (*)(uid=*))(|(uid=*, admin)(&),
//     x:admin)(|(objectclass=*)), an empty and/or filter ((&), (|)), or
//     an or-filter whose first term matches every entry ((|(uid=*)...);
//     since attack 16, after more than one opening bracket
//     (admin*)((|userPassword=*)).
//     A whole filter sent as data ((&(objectClass=user)(mail=a@b.c)), an
//     admin API's) is not refused.
const detectionRules = `SecRule ` + valueNameHeaderTargets + ` "@rx (?:\{\{[=~]?|\{%=?(?:\s*(?:set\s+\w+\s*=|print\b))?)\s*[\s(\[]*['\"]?-?(?:0[xXoObB][0-9a-fA-F]+|\d+(?:\.\d+)?)['\"]?[\s)\]]*(?:[*/%+-]{1,2}|\s)\s*[\s(\[]*['\"]?-?(?:0[xXoObB][0-9a-fA-F]+|\d+(?:\.\d+)?)['\"]?[\s)\]]*(?:\}|%\})|(?:[$#*@~%]\{|@\(|<%[=-]?|\[=)\s*[\s(\[]*['\"]?-?(?:0[xXoObB][0-9a-fA-F]+|\d+(?:\.\d+)?)['\"]?[\s)\]]*[*/%+-]{1,2}\s*[\s(\[]*['\"]?-?(?:0[xXoObB][0-9a-fA-F]+|\d+(?:\.\d+)?)['\"]?[\s)\]]*(?:\}|%>|\)|\])|\{\s*-?(?:0[xXoObB][0-9a-fA-F]+|\d+(?:\.\d+)?)\s*[*/]\s*-?(?:0[xXoObB][0-9a-fA-F]+|\d+(?:\.\d+)?)\s*\}|#\{set\}\s*\(|\{%\s*debug\s*%\}" "id:210110,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: arithmetic in template delimiters',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@rx (?:\{\{|\{%|[$#*@]\{|<%|<#)[^}%>]*?(?:__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute|self|loader|spec)__|\b(?:_self|lipsum|cycler|joiner|get_flashed_messages|url_for)\b|\bconfig\s*(?:\.|\[|\||\}\}|\)|~|(?:or|and|if)\b)|__context\b|\bself\s*\.\s*_|\|\s*attr\s*\(|\.getClass\s*\(|\bgetRuntime\s*\(|\bProcessBuilder\b|\bT\s*\(\s*java\.|\bjava\.lang\.|freemarker\.template|\?new\s*\(|\bos\.(?:system|popen)|\bpopen\s*\(|\bsubprocess\b|\b(?:system|exec|eval|passthru|shell_exec)\s*\(|registerUndefinedFilterCallback|\bIO\.popen|\x5c(?:x5f|u005f)|\brequest\s*(?:\[|\.(?:application|environ|args|cookies|headers|values|form|files|json|data|get_json|view_args|query_string|user_agent|META|session|COOKIES|GET|POST|FILES|body)\b|[)\],|]|[-+]?%\})|=\s*request\b|\bin\s*[(\[]\s*request\b|\b_context\b|\bapp\.request\b|\brange\s*\(|\|\s*list\b|\bprint\b|\bconstructor\s*[.(\[]|\.\s*constructor\b|` + "`" + `)" "id:210111,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: code in template delimiters',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@rx #set\s*\(\s*\$[\w.]+\s*=|\$class\.inspect|@\{?\s*System\.(?:Diagnostics|IO|Reflection|Runtime|Net)\b|\bSystem\.Diagnostics\.Process(?:StartInfo)?\b\]?\s*(?:\.|::)\s*(?:Start|new)\b|\bnew\s+System\.Diagnostics\.Process(?:StartInfo)?\b|#\{\s*(?:%x|` + "`" + `)|\{\$smarty\.|\{/?php\}|\{\s*(?:system|exec|passthru|shell_exec|eval)\s*\(" "id:210112,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: Velocity or Smarty directive',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@rx \{\s*math\s[^}]*?\bequation\s*=|(?:\{\{|\{%)[^}]*?(?:\b(?:mul|add|sub|div|mod|max|min|add1|addf|subf|mulf|divf|add1f|maxf|minf)\s+[\s(]*['\"]?-?\d+(?:\.\d+)?['\"]?[\s)]*(?:\s['\"]?-?\d+(?:\.\d+)?['\"]?|[)}%-])|['\"]?-?\d+(?:\.\d+)?['\"]?\s*\|\s*(?:times|plus|minus|divided_by|modulo|at_least|at_most|mul|add|sub|div|mod)\b\s*:?\s*['\"]?-?\d+(?:\.\d+)?['\"]?)" "id:210113,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: arithmetic by a named filter or function, Smarty math',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@rx ` + ldapFilterRule + `" "id:210120,phase:2,block,t:none,t:urlDecodeUni,msg:'LDAP filter injection',tag:'application-multi',tag:'attack-injection-ldap',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS_NAMES "@rx [.\[]\$(?:` + mongoStages + `)(?:$|[.\]])" "id:210130,phase:2,block,t:none,msg:'NoSQL injection: MongoDB stage or update operator as a name',tag:'application-multi',tag:'attack-injection-nosql',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameTargets + ` "@rx (?:[\"']|[{,]\s*)\$(?:` + mongoStages + `)[\"']?\s*:|^\s*\$\$(?:ROOT|CURRENT|REMOVE|NOW|CLUSTER_TIME|DESCEND|PRUNE|KEEP|SEARCH_META|USER_ROLES)\b" "id:210131,phase:2,block,t:none,t:urlDecodeUni,msg:'NoSQL injection: MongoDB stage in JSON text or a system variable',tag:'application-multi',tag:'attack-injection-nosql',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueTargets + ` "@rx ['\"]\s*(?:\|\||&&)\s*(?:['\"]?\w*['\"]?\s*[=!]==?|this\b|true\b|!|\d)|\bthis\.\w+(?:\.\w+)*\s*(?:[=!<>]=|\.match\s*\()|;\s*return\s+(?:this\b|true\b|!|['\"])|\.constructor\.constructor\b|\bprocess\.(?:exit|kill|mainModule|binding)\b" "id:210132,phase:2,block,t:none,t:urlDecodeUni,msg:'NoSQL injection: JavaScript for a $where expression',tag:'application-multi',tag:'attack-injection-nosql',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS_NAMES "@rx ` + credentialOperator + `" "id:210133,phase:2,block,t:none,msg:'NoSQL injection: a query operator for a credential',tag:'application-multi',tag:'attack-injection-nosql',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "!@rx ` + operatorWrapper + `" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS "@rx ` + truthyValue + `" "id:210134,phase:2,block,t:none,msg:'SQL injection: an object whose key repeats its parent key (Node mysql)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VARS_NAMES "@` + repeatedKeyOp + `" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS "@rx ^\s*prototype\s*$" "id:210168,phase:2,block,t:none,msg:'Prototype pollution: constructor then prototype as a path of keys',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VARS_NAMES "@` + protoPathOp + `" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameTargets + ` "@rx ` + cypherRule + `" "id:210135,phase:2,block,t:none,t:urlDecodeUni,msg:'Cypher injection: a closed quote then Cypher clauses',tag:'application-multi',tag:'attack-injection-nosql',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "!@rx ` + cypherQuery + `" "t:none,t:urlDecodeUni,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// truthyValue is rule 210134's first condition: a value that MySQL
// finds equal to 1, the result of comparing a column with itself: true,
// 1, "1", 01, 1.0, "1e0", "1abc" (a string cast to a number reads its
// leading digits); not 0, 7, 12, 1.5 or -1.
const truthyValue = `(?i)\A\s*(?:true|\+?0*1(?:\.0*)?(?:[^\d.]|\z))`

// ldapFilterRule is rule 210120's expression: a value that closes the
// filter it is pasted into and opens another, or an OR of a presence
// test. Anchored on \A, not ^: Coraza compiles with (?m), and the value
// is what is pasted, not each of its lines (the CRS's 921200 reads each
// line).
const ldapFilterRule = `\A[^(]*\)\s*(?:\(\s*)+(?:[|&!]|[a-zA-Z][\w.;-]*\s*[~<>]?=)|\(\s*\|\s*\(\s*[a-zA-Z][\w.;-]*\s*=\s*\*\s*\)`

// repeatedKeyOp is rule 210134's second condition (repeatedKey): the
// name of a value that is truthyValue ends in a key that repeats its
// parent's.
const repeatedKeyOp = "gatewayRepeatedKey"

func init() { registerGoOperator(repeatedKeyOp, repeatedKeyEntry) }

// repeatedKeyEntry reads a MATCHED_VARS_NAMES entry
// (ARGS:json.password.password).
func repeatedKeyEntry(v string) bool { return repeatedKey(matchedName(v)) }

// matchedName is the argument's name in a MATCHED_VARS_NAMES entry
// (ARGS:json.path.1 is json.path.1).
func matchedName(v string) string {
	if _, name, ok := strings.Cut(v, ":"); ok {
		return name
	}
	return v
}

// repeatedKey: the argument name's last key repeats its parent's, the
// same name up to case (MySQL's column names are case-insensitive): a
// JSON body's json.password.password ({"password": {"password": 1}}),
// a bracketed name's password[password] (Express's qs, PHP), nested
// (json.user.password.password, user[password][password]) or with an
// empty [] after (password[password][]). Node's mysql and mysql2 (their
// sqlstring) turn an object given for a placeholder into key = value
// pairs: "WHERE password = ?" with {"password": 1} is
// "WHERE password = `password` = 1", (password = password) = 1, true for
// every row: a login bypass (a tenth fresh-eyes attack, attack 14). A
// number (an array's index: json.matrix.0.0) is no key; a JSON body's
// root, json., is no parent ({"json": 1} is json.json).
func repeatedKey(name string) bool {
	name = strings.TrimPrefix(name, "json.")
	keys := strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
	if len(keys) < 2 {
		return false
	}
	last, parent := keys[len(keys)-1], keys[len(keys)-2]
	return strings.EqualFold(last, parent) && strings.Trim(last, "0123456789") != ""
}

// cypherQuery is rule 210135's second condition, negated: a value that
// starts with a Cypher clause is a whole query sent as data (a graph
// console's, a saved query's), not a value that breaks out of one: a
// fresh-eyes hunt for false positives (attack 17) had "MATCH
// (a:Actor)-[:ACTED_IN]->(m:Movie) WHERE m.title = 'Heat' RETURN a.name
// // list cast" and "MATCH (u:User) WHERE u.name = 'x' OR u.name = 'y'
// WITH u MATCH (u)-[:OWNS]->(d) RETURN d" refused. A whole query's clause
// is followed by white space or a bracket: since attack 18, a value that
// starts with a clause word and a quote right after it (Match' RETURN
// u.password//) is read by cypherRule.
const cypherQuery = `(?i)\A\s*(?:optional\s+)?(?:match|create|merge|with|unwind|call|return|foreach|load\s+csv|using|explain|profile)[\s(\[{]`

// cypherRule is rule 210135: Cypher injection into a query that
// concatenates a value inside quotes (Neo4j: "MATCH (u:User) WHERE
// u.name = '" + name + "' RETURN u"): a quote (or a backtick) closes the
// string, then, optionally after closing brackets and a condition (OR
// 1=1, OR 1 = 1, AND true), a Cypher clause (RETURN, WITH, UNION, WHERE, UNWIND, CALL, MERGE,
// CREATE, DELETE, SET, ...) that a graph pattern follows: MATCH ( or a
// node with a label ((u:User), (:User {...})); or a MATCH of a labelled
// node that a RETURN follows; or a RETURN of a variable, a property or
// *, a DELETE of variables or a SET of a property, that a comment ends
// (x' RETURN u.password//, x' RETURN u, u.email//, x' DETACH DELETE n//,
// x' SET u.admin = true//: attack 14's, open until attack 16's session),
// the comment ending the value; since attack 18, any clause after the
// quote (and the condition) and anything up to a comment that ends the
// value (x' RETURN u{.password}//, x' RETURN properties(u)//, x' WITH u
// RETURN u.password//, x' SET u += {admin:true}//, x' REMOVE
// u.password//, x' FOREACH (n IN [u] | DETACH DELETE n)//), the comment
// not a URL's // (Jones' return to https://). A MATCH after the clause must be a node's
// pattern (MATCH (u), MATCH (u:User), MATCH (:User {): since attack 17,
// "It's 'Fine' with me: match (the red one)" passes. x' RETURN 1 UNION MATCH (u:User) RETURN
// u.password//, x' WITH 1 as a MATCH (u:User) RETURN u.password//,
// x' OR 1=1 WITH u MATCH (u) RETURN u// (a tenth fresh-eyes attack,
// attack 14; also as \u0027 in JSON values and keys, which the body
// processor decodes). The clause must stand right after the quote and
// the pattern after it without a quote between: prose with an apostrophe
// ("it's a match (finally) with the return", "I won't return the match
// (it was bad)", "Jones' match (home: away)") does not match.
const cypherRule = `(?i)['\"\x60]\s*[)\]}]*\s*(?:(?:or|and|xor)\s+[^\s'\"\x60]+(?:\s*[=<>!]{1,2}\s*[^\s'\"\x60]+)?\s+)?(?:(?:optional\s+)?match\s*\(\s*\w*\s*:\s*\w+\s*[){][^'\"\x60]*?\breturn\b|(?:return|with|union|where|unwind|call|merge|create|delete|detach|set|remove|foreach)\b[^'\"\x60]*?(?:\bmatch\s*\(\s*\w*\s*(?::\s*\w+\s*)?[){]|\(\s*\w*\s*:\s*\w+\s*[){])|(?:return|with|union|where|unwind|call|merge|create|delete|detach|set|remove|foreach|match|optional)\b[\s\S]*?[^:/]//\s*\z)`

// protoPathOp is rule 210168's second condition (protoPath): a value
// "prototype" that is its array's second element, after "constructor",
// with a third after it (the property set on Object's prototype). A deep
// setter given a path as an array of keys (set-value before 4.0.1,
// object-path, a hand-written set(obj, req.body.path, value)) walks
// obj.constructor.prototype, Object's prototype:
// {"path":["constructor","prototype","isAdmin"],"value":true} gives
// every object isAdmin (a twelfth fresh-eyes attack, attack 16; the
// CRS's 934130 reads "constructor.prototype" and "__proto__" in one
// value, not a path's elements one by one). JSON's path.0 and path.1,
// a form's path[0] and path[1] (Express's qs, PHP), and path[] twice,
// are read. A list of words does not set a property of Object's
// prototype: before a fresh-eyes hunt for false positives (attack 17),
// the two words side by side anywhere were refused, and a glossary
// (["class","constructor","prototype","inheritance"]), a quiz's
// ["constructor","prototype"] and a blog post's tags were; now the path
// must start with them and go on. A path below the root
// (["a","constructor","prototype","x"]) is not refused.
const protoPathOp = "gatewayProtoPath"

func init() {
	plugins.RegisterOperator(protoPathOp, func(plugintypes.OperatorOptions) (plugintypes.Operator, error) {
		return protoPathMatch{}, nil
	})
}

type protoPathMatch struct{}

// Evaluate reads a MATCHED_VARS_NAMES entry (ARGS:json.path.1): the
// array the value "prototype" is an element of, whatever its spelling,
// starts with "constructor" and "prototype" and goes on. The arguments
// are grouped by array once per transaction (protoPaths), whatever the
// number of values "prototype" (up to max_arguments of them), and the
// result kept in TX:gateway_proto_paths.
func (protoPathMatch) Evaluate(tx plugintypes.TransactionState, v string) bool {
	name := matchedName(v)
	if tx == nil {
		return false
	}
	vars := tx.Variables()
	paths := vars.TX().Get(protoPathsKey)
	if len(paths) == 0 {
		paths = append([]string{"scanned"}, protoPaths(vars.Args().FindAll())...)
		vars.TX().Set(protoPathsKey, paths)
	}
	base := arrayBase(name)
	for _, p := range paths[1:] {
		if strings.EqualFold(p, base) {
			return true
		}
	}
	return false
}

// protoPathsKey is the TX variable where rule 210168 keeps, for the
// transaction, "scanned" and then the arrays that are paths to Object's
// prototype.
const protoPathsKey = "gateway_proto_paths"

// arrayBase is an element's name without its indices: json.path.1,
// json.path.0.0, path[1], path[] and path are all path's elements
// (json.path's).
func arrayBase(name string) string {
	for {
		prefix, _, _, ok := elementIndex(name)
		switch {
		case ok:
			name = strings.TrimSuffix(strings.TrimSuffix(prefix, "."), "[")
		case strings.HasSuffix(name, "[]"):
			name = strings.TrimSuffix(name, "[]")
		default:
			return name
		}
	}
}

// protoPaths are the arrays (by arrayBase) of the arguments that start
// with "constructor" and "prototype" and have a third element, in the
// order an array's parser puts them (Express's qs, a JSON body: an
// indexed one by its first index after its base, which qs compacts from
// any start, so that path[1], path[2], path[3] is a path of three; a
// repeated name in the order sent, before the indexed ones). Since a
// fresh-eyes attack (attack 18), these spellings too:
// path=constructor&path=prototype&path=isAdmin, path[0]=...&path[1]=...
// &path[3]=..., [["constructor"],"prototype","isAdmin"] (a key that is
// an array is its string). One pass over the arguments and a sort of
// each array's: it runs once per transaction, and only for one with a
// value "prototype".
func protoPaths(args []types.MatchData) []string {
	type element struct {
		index int
		value string
	}
	keys := make(map[string]bool, len(args))
	for _, a := range args {
		keys[strings.ToLower(a.Key())] = true
	}
	arrays := map[string][]element{}
	for _, a := range args {
		k := a.Key()
		if keys[strings.ToLower(k)+".0"] {
			continue // Coraza's JSON body: an array's length, under its name
		}
		base := arrayBase(k)
		rest := k[len(base):]
		index := -1 // unindexed: in the order sent, first
		if rest != "" && rest != "[]" {
			first := strings.TrimLeft(rest, ".[")
			if i := strings.IndexAny(first, ".]"); i >= 0 {
				first = first[:i]
			}
			n, err := strconv.Atoi(first)
			if err != nil {
				continue
			}
			index = n
		}
		base = strings.ToLower(base)
		arrays[base] = append(arrays[base], element{index, strings.TrimSpace(a.Value())})
	}
	var paths []string
	for base, elems := range arrays {
		if len(elems) < 3 {
			continue
		}
		sort.SliceStable(elems, func(i, j int) bool { return elems[i].index < elems[j].index })
		if elems[0].value == "constructor" && elems[1].value == "prototype" {
			paths = append(paths, base)
		}
	}
	return paths
}

// elementIndex splits an array element's name around its index:
// json.path.2 is json.path., "" and 2; path[2] is path[, ] and 2;
// path[1][] is path[, ][] and 1; false for a name without an index (or
// one written with a leading zero or a sign).
func elementIndex(name string) (prefix, suffix string, n int, ok bool) {
	base := strings.TrimSuffix(name, "[]")
	closing := ""
	i := strings.LastIndexByte(base, '.') + 1
	if strings.HasSuffix(base, "]") {
		i, closing = strings.LastIndexByte(base, '[')+1, "]"
	}
	digits := strings.TrimSuffix(base[i:], closing)
	n, err := strconv.Atoi(digits)
	if i == 0 || err != nil || n < 0 || strconv.Itoa(n) != digits {
		return "", "", 0, false
	}
	return base[:i], closing + name[len(base):], n, true
}
