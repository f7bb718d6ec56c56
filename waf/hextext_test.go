package waf

import (
	"encoding/hex"
	"net/url"
	"testing"
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
		"68656c6c6f20776f726c642":                                          "", // odd
		"0x68656c6c6f":                                                     "", // too short
		"deadbeefcafebabe":                                                 "",
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
		{name: "hex of a script tag in a form", method: "POST", path: "/api", contentType: "application/x-www-form-urlencoded", body: "data=" + url.QueryEscape(hex.EncodeToString([]byte("<script>alert(document.cookie)</script>")))},
	}
}

func hexBenign() []probe {
	return []probe{
		{name: "hashes, a UUID without dashes, a colour, a card-like number", method: "POST", path: "/api", contentType: "application/json",
			body: `{"md5": "d41d8cd98f00b204e9800998ecf8427e", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "id": "550e8400e29b41d4a716446655440000", "color": "ff00aa", "n": "4532756279624064", "tx": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}`},
		{name: "hex of plain text", method: "GET", path: "/?note=" + hex.EncodeToString([]byte("hello world, see you at 5 pm"))},
	}
}

func TestHexBeyondTheCRS(t *testing.T) {
	runBeyondTheCRS(t, nil, hexProbes(), hexBenign())
}
