package waf

import "encoding/hex"

// suffixHex names the text a value of hex decodes to: q:hex.
const suffixHex = ":hex"

// minHexLen is the fewest hex digits read as hex of text: 8 bytes (a
// colour code, #ff00aa or ff00aa, is 6 digits; a payload is longer).
const minHexLen = 16

// hexText returns the text v encodes when v is plainly hex of text, as a
// backend decodes it (Node's Buffer.from(v, 'hex'), Python's
// bytes.fromhex, PHP's hex2bin, and MySQL's 0x... literals): all of it hex
// digits after an optional 0x, an even count of at least minHexLen, at
// least one of them a letter (a number of digits alone is an id, a phone
// or a card number, not hex), decoding to bytes of which at least 90% are
// printable text as plainBase64 says. Hashes, UUIDs without dashes and
// random tokens decode to binary and are left alone. One pass over v to
// check it, one to decode.
func hexText(v string) (string, bool) {
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		v = v[2:]
	}
	if len(v) < minHexLen || len(v)%2 != 0 {
		return "", false
	}
	letter := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			letter = true
		default:
			return "", false
		}
	}
	if !letter {
		return "", false
	}
	b, err := hex.DecodeString(v)
	if err != nil || !mostlyPrintable(b) {
		return "", false
	}
	return validText(b), true
}
