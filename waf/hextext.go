package waf

import "encoding/hex"

// suffixHex names the text a value of hex decodes to: q:hex.
const suffixHex = ":hex"

// minHexLen is the fewest hex digits read as hex of text: 8 bytes (a
// colour code, #ff00aa or ff00aa, is 6 digits; a payload is longer).
const minHexLen = 16

// hexText returns the text v encodes when v is plainly hex of text, as a
// backend decodes it (Node's Buffer.from(v, 'hex'), Python's
// bytes.fromhex, PHP's hex2bin, and MySQL's 0x... literals): at least
// minHexLen hex digits after an optional 0x, read as Node reads them
// (since a sixth attack, attack 10, B4): an odd last digit is dropped and
// decoding stops at the first character that is not a hex digit
// (Buffer.from("<hex of a payload>0", "hex") and "<hex>zz" are the
// payload). The digits must decode to text:
//   - with at least one letter among them, bytes of which at least 90%
//     are printable text as plainBase64 says: hashes, UUIDs without
//     dashes and random tokens decode to binary and are left alone;
//   - digits only (a number: an id, a phone or a card number, a
//     timestamp), every byte printable ASCII with a shell's command
//     substitution or list in it (shellOfDigits): "2626206964" is
//     "&& id", "60696460" is "`id`"; a number decodes to a control byte
//     (a first digit 0, 1, 8 or 9 of a pair) or to no such shape far more
//     often (TestHexTextRandomValues measures it); or hex itself, of at
//     least minHexLen digits with a letter among them (hexWithLetter):
//     hex of hex is digits alone ('a' is 61, '3' is 33), and passed a
//     seventh fresh-eyes attack (attack 11) as a number; the caller
//     decodes the result once more.
//
// One pass over v to check it, one to decode.
func hexText(v string) (string, bool) {
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		v = v[2:]
	}
	firstLetter, n := -1, 0
	for ; n < len(v); n++ {
		c := v[n]
		if c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
			if firstLetter < 0 {
				firstLetter = n
			}
		} else if c < '0' || c > '9' {
			break // Node stops at the first character not a hex digit
		}
	}
	n &^= 1 // an odd last digit is dropped
	letter := firstLetter >= 0 && firstLetter < n
	if n < minHexLen {
		return "", false
	}
	b, err := hex.DecodeString(v[:n])
	if err != nil {
		return "", false
	}
	if !letter {
		if !shellOfDigits(b) && !hexWithLetter(b) {
			return "", false
		}
		return string(b), true
	}
	if !mostlyPrintable(b) {
		return "", false
	}
	return validText(b), true
}

// shellOfDigits reports whether b, hex of digits alone, is
// printable ASCII (a tab counts) with a shell's command substitution or
// list before a command's name in it: a backquote and a letter, with a
// second backquote after them (`id`), $( and a letter ($(id)), && and a
// letter after spaces (&& id). Digits alone encode the metacharacters of
// bytes 0x20-0x29 and 0x60 (quotes, !, #, $, &, parentheses, the
// backquote) and the letters a-i, p-y, A-I, P-Y (id, ps, cat, bash,
// wget); one metacharacter alone is too common in numbers (a card number
// of 16 digits decodes to printable text with one of them once in 50,
// and some of those, "E'! 7\t6f", the short-payload rules refuse), and
// so is $( alone ("Ib\"#P$(4"): TestHexTextRandomValues.
func shellOfDigits(b []byte) bool {
	shape, quote := false, -1
	for i, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\t' {
			return false
		}
		letter := isASCIILetter(c)
		switch {
		case c == '`' && quote >= 0 && i > quote+1:
			shape = true // a backquote, a letter, ..., a backquote
		case c == '`' && i+1 < len(b) && isASCIILetter(b[i+1]):
			quote = i
		case letter && i >= 2 && b[i-1] == '(' && b[i-2] == '$':
			shape = true
		case letter && i >= 2:
			j := i - 1
			for j > 0 && b[j] == ' ' {
				j--
			}
			if j >= 1 && b[j] == '&' && b[j-1] == '&' {
				shape = true
			}
		}
	}
	return shape
}

// hexWithLetter reports whether b is at least minHexLen hex digits with a
// letter (a-f, A-F) among them: hex, which hexText reads in turn. Of
// random digit pairs about one in five decodes to a hex digit, so a number
// of 16 digits or more decodes to one about once in 300,000.
func hexWithLetter(b []byte) bool {
	if len(b) < minHexLen {
		return false
	}
	letter := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			letter = true
		default:
			return false
		}
	}
	return letter
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
