package waf

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"unicode/utf16"
)

// Suffixes of the text binaryText finds in the bytes of a base64 value.
const (
	suffixInflated = ":inflated"
	suffixUTF16    = ":utf16"
)

// binaryText returns the text that the binary bytes of a base64 value
// carry where a backend reads them as such, or false:
//   - compressed: gzip (1f 8b), zlib (78 ..) or raw DEFLATE, which SAML's
//     HTTP-Redirect binding sends (SAMLRequest is base64 of raw DEFLATE,
//     and every identity provider inflates it and parses the XML);
//   - UTF-16 text, little- or big-endian, with or without a byte order
//     mark (.NET's Encoding.Unicode over Convert.FromBase64String,
//     PowerShell's -EncodedCommand).
//
// The text counts when it is text as plainBase64 says. Inflating stops at
// limit bytes (the request's decoding budget): a compressed value whose
// text goes past it is refused (errDecodeBudget), as base64 decoding past
// it is, never inspected in part; one whose first bytes are not text is
// binary and left alone.
func binaryText(b []byte, limit int) (string, string, bool, error) {
	if s, ok := utf16Text(b); ok {
		return s, suffixUTF16, true, nil
	}
	if len(b) < 4 {
		return "", "", false, nil
	}
	var r io.Reader
	switch {
	case b[0] == 0x1f && b[1] == 0x8b:
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return "", "", false, nil
		}
		r = zr
	case b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0:
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return "", "", false, nil
		}
		r = zr
	default:
		// raw DEFLATE has no header to tell it from random bytes, and
		// random bytes inflate, as fixed-Huffman literals, to text often
		// enough (12 random letters and digits, a session token, did, one
		// cookie in fifty): taken only when it is long enough to be a
		// document and ends, cleanly, where the value does
		if len(b) < minRawDeflate {
			return "", "", false, nil
		}
		br := bytes.NewReader(b)
		out, err := io.ReadAll(io.LimitReader(flate.NewReader(br), int64(max(limit, 0))+1))
		if len(out) <= limit && (err != nil || br.Len() > 0) {
			return "", "", false, nil
		}
		return inflatedText(out, limit)
	}
	out, _ := io.ReadAll(io.LimitReader(r, int64(max(limit, 0))+1)) // what inflated before an error counts
	return inflatedText(out, limit)
}

// minRawDeflate is the fewest bytes taken as raw DEFLATE (a SAMLRequest
// is hundreds; an injection compressed, a few dozen).
const minRawDeflate = 16

// inflatedText: what a compressed value inflated to, when it is text.
func inflatedText(out []byte, limit int) (string, string, bool, error) {
	if len(out) < minBase64Len*3/4 || !mostlyPrintable(out[:min(len(out), 4096)]) {
		return "", "", false, nil
	}
	if len(out) > limit {
		return "", "", false, errDecodeBudget
	}
	if !mostlyPrintable(out) {
		return "", "", false, nil
	}
	return validText(out), suffixInflated, true, nil
}

// utf16Text: b is UTF-16 text (a byte order mark, or a zero byte in the
// same half of at least 90% of its code units, as ASCII-range text has)
// that is mostly printable once decoded.
func utf16Text(b []byte) (string, bool) {
	s, ok := utf16Decode(b)
	if !ok || !mostlyPrintable(s) {
		return "", false
	}
	return validText(s), true
}

// utf16Decode: b is UTF-16 (a byte order mark, or a zero byte in the same
// half of at least 90% of its code units, as ASCII-range text has, at
// least 8 bytes), and its text as UTF-8 (a lone surrogate as U+FFFD).
func utf16Decode(b []byte) ([]byte, bool) {
	if len(b) < 8 {
		return nil, false
	}
	le := true
	switch {
	case b[0] == 0xff && b[1] == 0xfe:
		b = b[2:]
	case b[0] == 0xfe && b[1] == 0xff:
		b, le = b[2:], false
	default:
		lo, hi := 0, 0
		for i := 0; i+1 < len(b); i += 2 {
			if b[i+1] == 0 {
				lo++
			}
			if b[i] == 0 {
				hi++
			}
		}
		units := len(b) / 2
		switch {
		case lo*10 >= units*9:
		case hi*10 >= units*9:
			le = false
		default:
			return nil, false
		}
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if le {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	return []byte(string(utf16.Decode(u))), true
}
