package waf

import (
	"strings"
	"unicode/utf8"
)

// suffixTemplate names the normalised text of a value holding template
// delimiters: q:template (see templateLiterals).
const suffixTemplate = ":template"

// templateLiterals returns v with its string literals as a template engine
// reads them, when v holds a template delimiter ({{, {%, ${ or #{) and
// that changes anything: adjacent literals joined ('_' '_init_' '_', 'a'
// 'b', and with Jinja2's and Twig's ~ or a + between them: '__init__'),
// and escapes decoded (\137 octal, \x5f, \u005f, \U0000005f,
// \N{LOW LINE}, \\, \', \"). The rules then read __init__ and 'system'
// where a template engine will; the text outside literals is unchanged.
// One pass; the result is never longer than v (an escape decodes to fewer
// bytes than it is written with, and joining drops characters).
//
// Which literals: from the first delimiter to the end of v, a quote (' or
// ") opens one and the next unescaped same quote closes it; an unclosed
// one is left as it is.
func templateLiterals(v string) (string, bool) {
	start := firstTemplateDelimiter(v)
	if start < 0 || strings.IndexByte(v[start:], '\'') < 0 && strings.IndexByte(v[start:], '"') < 0 {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(v))
	b.WriteString(v[:start])
	changed := false
	i := start
	for i < len(v) {
		c := v[i]
		if c != '\'' && c != '"' {
			b.WriteByte(c)
			i++
			continue
		}
		// a literal, and the literals joined to it
		lit, end, ok := readLiteral(v, i)
		if !ok {
			b.WriteString(v[i:])
			break
		}
		if lit != v[i+1:end-1] {
			changed = true
		}
		b.WriteByte(c)
		b.WriteString(lit)
		i = end
		for {
			j := skipJoin(v, i)
			if j >= len(v) || v[j] != '\'' && v[j] != '"' {
				break
			}
			next, nend, ok := readLiteral(v, j)
			if !ok {
				break
			}
			changed = true
			b.WriteString(next)
			i = nend
		}
		b.WriteByte(c)
	}
	if !changed {
		return "", false
	}
	return b.String(), true
}

// firstTemplateDelimiter is the index of the first {{, {%, ${ or #{ in v,
// or -1.
func firstTemplateDelimiter(v string) int {
	for off := 0; ; {
		j := strings.IndexByte(v[off:], '{')
		if j < 0 {
			return -1
		}
		i := off + j
		if i > 0 && (v[i-1] == '$' || v[i-1] == '#') {
			return i - 1
		}
		if i+1 < len(v) && (v[i+1] == '{' || v[i+1] == '%') {
			return i
		}
		off = i + 1
	}
}

// skipJoin skips what may stand between two joined literals: white space
// and at most one ~ or +.
func skipJoin(v string, i int) int {
	op := false
	for i < len(v) {
		switch c := v[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case (c == '~' || c == '+') && !op:
			op = true
		default:
			return i
		}
		i++
	}
	return i
}

// readLiteral reads the literal opened by the quote at v[i]: its text with
// the escapes decoded, and the index after its closing quote; ok is false
// when it is not closed.
func readLiteral(v string, i int) (lit string, end int, ok bool) {
	q := v[i]
	var b strings.Builder
	for j := i + 1; j < len(v); j++ {
		c := v[j]
		if c == q {
			return b.String(), j + 1, true
		}
		if c != '\\' || j+1 >= len(v) {
			b.WriteByte(c)
			continue
		}
		r, n := literalEscape(v[j+1:])
		if n == 0 {
			b.WriteByte(c) // not an escape decoded here: as it is
			continue
		}
		if r < utf8.RuneSelf {
			b.WriteByte(byte(r))
		} else {
			b.WriteRune(r)
		}
		j += n
	}
	return "", 0, false
}

// literalEscape decodes the escape that s (the text after a backslash)
// opens: the rune and how many bytes of s it took, or 0 bytes for one it
// does not decode.
func literalEscape(s string) (rune, int) {
	switch c := s[0]; {
	case c == '\\' || c == '\'' || c == '"':
		return rune(c), 1
	case c >= '0' && c <= '7': // octal, one to three digits
		r, n := rune(0), 0
		for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			r = r*8 + rune(s[n]-'0')
			n++
		}
		return r, n
	case c == 'x':
		return hexEscape(s, 2)
	case c == 'u':
		return hexEscape(s, 4)
	case c == 'U':
		return hexEscape(s, 8)
	case c == 'N' && len(s) >= 2 && s[1] == '{':
		if end := strings.IndexByte(s, '}'); end > 0 && end < 40 {
			if r, ok := unicodeNames[strings.ToUpper(s[2:end])]; ok {
				return r, end + 1
			}
		}
	}
	return 0, 0
}

// hexEscape decodes \x, \u or \U (s[0]) and its n hex digits.
func hexEscape(s string, n int) (rune, int) {
	if len(s) < 1+n {
		return 0, 0
	}
	r := rune(0)
	for k := 1; k <= n; k++ {
		if !ishex(s[k]) {
			return 0, 0
		}
		r = r<<4 | rune(unhex(s[k]))
	}
	if !utf8.ValidRune(r) {
		return 0, 0
	}
	return r, 1 + n
}

// unicodeNames are the \N{...} names (Python's, which Jinja2's literals
// take) of the characters template payloads spell out: the underscore
// above all (__class__), the dot, the slash and the brackets.
var unicodeNames = map[string]rune{
	"LOW LINE":             '_',
	"FULL STOP":            '.',
	"SOLIDUS":              '/',
	"LEFT SQUARE BRACKET":  '[',
	"RIGHT SQUARE BRACKET": ']',
	"LEFT PARENTHESIS":     '(',
	"RIGHT PARENTHESIS":    ')',
	"APOSTROPHE":           '\'',
	"QUOTATION MARK":       '"',
	"SPACE":                ' ',
}
