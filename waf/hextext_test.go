package waf

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

func TestHexText(t *testing.T) {
	sqli := "1' UNION SELECT password FROM users--"
	for v, want := range map[string]string{
		hex.EncodeToString([]byte(sqli)):                                   sqli,
		"0x" + hex.EncodeToString([]byte(sqli)):                            sqli,
		"0X" + hex.EncodeToString([]byte("<svg/onload=alert(1)>")):         "<svg/onload=alert(1)>",
		"68656C6C6F20776F726C6421":                                         "hello world!",
		"d41d8cd98f00b204e9800998ecf8427e":                                 "", // an MD5
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": "", // a SHA-256
		"550e8400e29b41d4a716446655440000":                                 "", // a UUID without dashes
		"ff00aa":                                                           "", // a colour
		"4532756279624064":                                                 "", // digits only
		"68656c6c6f20776f726c64":                                           "hello world",
		"68656c6c6f20776f726c642":                                          "hello world", // odd: Node drops the last digit (attack 10, B4)
		hex.EncodeToString([]byte(sqli)) + "0":                             sqli,
		hex.EncodeToString([]byte(sqli)) + "zz":                            sqli, // Node stops at z
		"0x" + hex.EncodeToString([]byte(sqli)) + "g-1":                    sqli,
		"2626206964202020":                                                 "&& id   ", // digits only, with metacharacters
		"2626206964202020a":                                                "&& id   ", // the dropped digit is the only letter
		"60696460202020202020":                                             "`id`      ",
		"24286964292020202020":                                             "$(id)     ",
		"2626696420202020":                                                 "&&id    ",
		"2428292020202020":                                                 "", // $( without a command
		"2227202160202020":                                                 "", // one backquote
		"27206f7220273127":                                                 "' or '1'",
		"12345678901234567890":                                             "", // digits to control bytes
		"4532015112830366":                                                 "", // a card number: to a control byte
		"5555555555554444":                                                 "", // a card number: UUUUUUTD, no metacharacter
		"4242424242424242":                                                 "", // BBBBBBBB
		"2020202020202020":                                                 "", // spaces, no metacharacter
		"550e8400-e29b-41d4-a716-446655440000":                             "", // a UUID: 8 digits before the dash
		"d41d8cd98f00b204e9800998ecf8427e.jpg":                             "", // an MD5 then more
		"0x1234567890abcdefzz":                                             "",
		"0x68656c6c6f":                                                     "", // too short
		"deadbeefcafebabe":                                                 "",
		"32373230366637323230323733313237336432373331":                     "27206f72202731273d2731", // hex of hex
		"3132333435363738393031323334353637":                               "",                       // hex of digits alone: a number
		"3237323036663732":                                                 "",                       // hex of 8 hex digits: too short
	} {
		got, ok := hexText(v)
		if ok != (want != "") || got != want {
			t.Errorf("hexText(%q) = %q, %v; want %q", v, got, ok, want)
		}
	}
	// decodeOnce reads hex after base64 fails
	for _, v := range []string{hex.EncodeToString([]byte(sqli)), "0x" + hex.EncodeToString([]byte(sqli))} {
		s, suffix, ok, err := decodeOnce(v, 1<<20)
		if !ok || err != nil || s != sqli || suffix != suffixHex {
			t.Errorf("decodeOnce(%q) = %q %q %v %v, want the text as :hex", v, s, suffix, ok, err)
		}
	}
}

func FuzzHexText(f *testing.F) {
	for _, s := range []string{"0x3127", "68656c6c6f20776f726c6421", "ff00aa", "0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if s, ok := hexText(v); ok && len(s) > len(v)/2 {
			t.Fatalf("hexText(%q) = %q: longer than the bytes it encodes", v, s)
		}
	})
}

// hexProbes and hexBenign are the fifth attack's F14 and its near-misses
// for the tables through Caddy.
func hexProbes() []probe {
	sqli := "1' UNION SELECT password FROM users--"
	return []probe{
		{name: "hex of UNION SELECT in the query", method: "GET", path: "/?data=" + hex.EncodeToString([]byte(sqli))},
		{name: "0x hex of UNION SELECT in JSON", method: "POST", path: "/api", contentType: "application/json", body: `{"data": "0x` + hex.EncodeToString([]byte(sqli)) + `"}`},
		// since a sixth attack (attack 10, B4): as Node's Buffer.from(v,
		// 'hex') reads it, an odd digit dropped, stopping at the first
		// character not a hex digit; digits only
		{name: "hex of OR '1'='1' with an odd digit, in the query", method: "GET", path: "/api?id=" + hex.EncodeToString([]byte("1' or '1'='1' -- ")) + "0"},
		{name: "hex of OR '1'='1' then zz, in the query", method: "GET", path: "/api?id=" + hex.EncodeToString([]byte("1' or '1'='1' -- ")) + "zz"},
		{name: "hex of UNION SELECT with an odd digit, in JSON", method: "POST", path: "/api", contentType: "application/json", body: `{"id": "` + hex.EncodeToString([]byte(sqli)) + `0"}`},
		{name: "hex of a script tag then text, in a cookie", method: "GET", path: "/api", header: http.Header{"Cookie": {"pref=" + hex.EncodeToString([]byte("<script>alert(document.cookie)</script>")) + "-x"}}},
		{name: "hex of digits only: x$(id) in the query", method: "GET", path: "/api?c=" + hex.EncodeToString([]byte("x$(id)  "))},
		{name: "hex of digits only: `id` in JSON", method: "POST", path: "/api", contentType: "application/json", body: `{"c": "` + hex.EncodeToString([]byte("x`id`   ")) + `"}`},
		// hex of hex: digits alone (a seventh attack, attack 11)
		{name: "hex of hex of UNION SELECT in the query", method: "GET", path: "/api?id=" + hex.EncodeToString([]byte(hex.EncodeToString([]byte(sqli))))},
		{name: "hex of hex of OR '1'='1' in JSON", method: "POST", path: "/api", contentType: "application/json", body: `{"id": "` + hex.EncodeToString([]byte(hex.EncodeToString([]byte("1' or '1'='1' -- ")))) + `"}`},
		{name: "hex of a script tag in a form", method: "POST", path: "/api", contentType: "application/x-www-form-urlencoded", body: "data=" + url.QueryEscape(hex.EncodeToString([]byte("<script>alert(document.cookie)</script>")))},
	}
}

func hexBenign() []probe {
	return []probe{
		{name: "hashes, a UUID without dashes, a colour, a card-like number", method: "POST", path: "/api", contentType: "application/json",
			body: `{"md5": "d41d8cd98f00b204e9800998ecf8427e", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "id": "550e8400e29b41d4a716446655440000", "color": "ff00aa", "n": "4532756279624064", "tx": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}`},
		{name: "hex of plain text", method: "GET", path: "/?note=" + hex.EncodeToString([]byte("hello world, see you at 5 pm"))},
		{name: "numbers: cards, phones, timestamps, snowflake ids, an odd hex of text", method: "POST", path: "/api", contentType: "application/json",
			body: `{"card": "4532015112830366", "mc": "5555555555554444", "visa": "4242424242424242", "phone": "4915112345678", "ts": "1733212345678", "ns": "1733212345678901234", "id": "1234567890123456789", "n": "2020202020202020", "note": "` + hex.EncodeToString([]byte("hello world, see you at 5 pm")) + `7"}`},
		{name: "a hex run then text (an MD5 file name, a version)", method: "GET", path: "/?f=d41d8cd98f00b204e9800998ecf8427e.jpg&v=0x1234567890abcdefzz&u=550e8400-e29b-41d4-a716-446655440000"},
	}
}

func TestHexBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	runBeyondTheCRS(t, nil, hexProbes(), hexBenign())
}

// TestHexTextRandomValues measures what hexText decodes of random values
// that are not hex of text (hashes, UUIDs, tokens, numbers: cards,
// phones, timestamps, ids), now that it reads a hex run as Node does (an
// odd digit dropped, up to the first other character) and digits alone
// (attack 10, B4): of randomSamples of each kind at most the count given
// decode, and of those that do and a sample of the rest at most the count
// given is refused by the handler (in a JSON body), leaving out the values
// decoded before B4 as now (wholeEvenHex: a refusal of those is not B4's,
// and is logged).
func TestHexTextRandomValues(t *testing.T) {
	tableOnly(t)
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	w := &WAF{}
	if err := w.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Cleanup() }()
	w.logger = zap.NewNop()
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	code := func(v string) int {
		req := httptest.NewRequest("POST", "/api/items", strings.NewReader(jsonString("v", v)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		_ = w.ServeHTTP(rec, req, next)
		return rec.Code
	}
	rng := rand.New(rand.NewPCG(10, 4))
	digits := func(n int, first string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		if first != "" {
			copy(b, first)
		}
		return string(b)
	}
	hexOf := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return hex.EncodeToString(b)
	}
	for _, c := range []struct {
		kind          string
		make          func() string
		most, refuses int // decoded of randomSamples and refused of those sent, at most
	}{
		// hex with letters, even and whole, is decoded before B4 as now
		// (wholeEvenHex): 10 of 200,000 MD5s decode to text and one of
		// those ("00693140cd9c56282177d2b826da934f", "\x00i1@͜V(!wҸ&ړO")
		// is refused, not counted here; B4 adds none
		{"an MD5", func() string { return hexOf(16) }, 20, 0},
		{"a SHA-256", func() string { return hexOf(32) }, 0, 0},
		{"a UUID without dashes", func() string { return hexOf(16) }, 25, 0},
		{"a token of 8-24 random bytes in hex", func() string { return hexOf(8 + rng.IntN(17)) }, 120, 0},
		{"an MD5 file name", func() string { return hexOf(16) + ".jpg" }, 30, 0},
		// digits only, decoded since B4
		{"a card number (16 digits from 3-6)", func() string { return digits(16, fmt.Sprint(3+rng.IntN(4))) }, 60, 0},
		{"a phone number (10-15 digits)", func() string { return digits(10+rng.IntN(6), "") }, 0, 0},
		{"a timestamp in ms or ns", func() string { return digits(13+6*rng.IntN(2), "17") }, 0, 0},
		{"a snowflake id (18-19 digits)", func() string { return digits(18+rng.IntN(2), "1") }, 0, 0},
		{"a number of 16-32 digits", func() string { return digits(16+rng.IntN(17), "") }, 10, 0},
	} {
		decoded, refused, before, sampled := 0, 0, 0, 0
		for i := range randomSamples {
			v := c.make()
			_, ok := hexText(v)
			if ok {
				decoded++
			}
			if ok || i < 200 {
				sampled++
				if code(v) != http.StatusOK {
					if wholeEvenHex(v) {
						before++ // decoded before B4 as now
					} else {
						refused++
					}
					t.Logf("%s: %q refused (decoded before B4 too: %v)", c.kind, v, wholeEvenHex(v))
				}
			}
		}
		t.Logf("%s: %d of %d decoded; %d of %d sent refused, and %d decoded before B4 as now", c.kind, decoded, randomSamples, refused, sampled, before)
		if decoded > c.most || refused > c.refuses {
			t.Errorf("%s: %d of %d decoded (want at most %d), %d of %d refused through the handler (want at most %d)", c.kind, decoded, randomSamples, c.most, refused, sampled, c.refuses)
		}
	}
}

// wholeEvenHex is what hexText read before attack 10's B4: after an
// optional 0x, all hex digits, an even count of at least minHexLen, at
// least one a letter.
func wholeEvenHex(v string) bool {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X")
	if len(v) < minHexLen || len(v)%2 != 0 {
		return false
	}
	letter := false
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			letter = true
		default:
			return false
		}
	}
	return letter
}
