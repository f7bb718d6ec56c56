package waf

import (
	"bytes"
	"encoding/json"
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
// ignores the rest). Here such JSON is found and its leaves become
// arguments, decoded further as any value is.

// sniffJSON returns the JSON document that a lenient backend reads in b:
// b's first byte after a UTF-8 byte-order mark and white space (ASCII's,
// form feed and vertical tab included, and Unicode's: U+00A0, U+2028,
// U+3000, ... as Python's strip and Json.NET skip them) is { or [, and
// what follows parses as one JSON value up to its end, whatever follows
// it (Go's json.Decoder stops there). Two passes over b at most.
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
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	if dec.Decode(&raw) != nil {
		return nil, false
	}
	return b[:dec.InputOffset()], true
}
