package waf

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// jsonAnyAttacks is JSON where a backend parses it, carrying what the CRS
// refuses in an application/json body's leaves (or the additions refuse
// in a base64 leaf): a third fresh-eyes attack passed each of these
// (BROKE 6, 8, 12 in its findings).
func jsonAnyAttacks() []probe {
	sqli := "1' UNION SELECT password FROM users--"
	login := `{"user": "admin' --", "pass": "x"}`
	form := "application/x-www-form-urlencoded"
	bom := "\ufeff"
	b64Leaf := `{"q": "` + b64(sqli) + `"}`
	lookup := `[{"$lookup": {"from": "users", "as": "x"}}]`
	var out []probe
	// JSON sent with another type: its leaves are arguments
	for _, ct := range []string{form, "application/xml", "text/xml"} {
		out = append(out,
			probe{name: "JSON login bypass as " + ct, method: "POST", path: "/login", contentType: ct, body: login},
			probe{name: "JSON 1 or 1=1 as " + ct, method: "POST", path: "/login", contentType: ct, body: `{"user": "1 or 1=1"}`},
			probe{name: "JSON LDAP as " + ct, method: "POST", path: "/login", contentType: ct, body: `{"dn": "admin)(&)"}`},
			probe{name: "JSON $lookup stage as " + ct, method: "POST", path: "/api", contentType: ct, body: lookup},
			probe{name: "JSON PHP object as " + ct, method: "POST", path: "/api", contentType: ct, body: `{"user": "O:8:\"stdClass\":0:{}"}`},
		)
	}
	// a byte-order mark, other white space, trailing bytes
	for _, ct := range []string{"text/plain", form, "application/xml", "text/xml", "application/soap+xml"} {
		out = append(out, probe{name: "BOM, JSON with a base64 leaf, as " + ct, method: "POST", path: "/api", contentType: ct, body: bom + b64Leaf})
	}
	out = append(out,
		probe{name: "BOM, a $lookup stage as text/plain", method: "POST", path: "/api", contentType: "text/plain", body: bom + lookup},
		probe{name: "trailing bytes: login bypass and a base64 leaf as text/plain", method: "POST", path: "/login", contentType: "text/plain",
			body: `{"user": "admin' --", "q": "` + b64(sqli) + `"} x`},
		probe{name: "trailing bytes: a $lookup stage", method: "POST", path: "/api", contentType: "text/plain", body: lookup + " x"},
		probe{name: "trailing bytes: 1 or 1=1", method: "POST", path: "/api", contentType: "text/plain", body: `{"user": "1 or 1=1"} x`},
		probe{name: "trailing bytes: a second value", method: "POST", path: "/api", contentType: "text/plain", body: `{"user": "1 or 1=1"}` + "\n{}"},
		probe{name: "trailing bytes as a form", method: "POST", path: "/login", contentType: form, body: login + " //"},
		probe{name: "a leading form feed", method: "POST", path: "/api", contentType: "text/plain", body: "\f" + b64Leaf},
		probe{name: "a leading vertical tab", method: "POST", path: "/api", contentType: "text/plain", body: "\v" + b64Leaf},
		probe{name: "a leading no-break space", method: "POST", path: "/api", contentType: "text/plain", body: "\u00a0" + b64Leaf},
		probe{name: "no content type", method: "POST", path: "/api", body: `{"user": "1 or 1=1"}`},
	)
	return out
}

// jsonAnyBenign is ordinary JSON in bodies of other types: none of it
// may be refused.
func jsonAnyBenign() []probe {
	return []probe{
		{name: "JSON with a BOM as text/plain", method: "POST", path: "/api", contentType: "text/plain",
			body: "\ufeff" + `{"title": "Grüße", "content": "` + b64("Hello, world! This is a plain text file.") + `"}`},
		// not here: JSON sent as a form, or as text/plain ending in a
		// newline, which the CRS alone refuses (as it does "hello\n" as
		// text/plain)
		{name: "JSON and trailing spaces as text/plain", method: "POST", path: "/api", contentType: "text/plain",
			body: `{"title": "a note", "tags": []}  `},
		{name: "JSON with a leading no-break space as XML", method: "POST", path: "/api", contentType: "application/xml",
			body: "\u00a0" + `{"title": "Trip to Zürich", "tags": ["travel"]}`},
	}
}

// TestJSONAnywhere runs jsonAnyAttacks and jsonAnyBenign through a real
// Caddy with waf (paranoia 1): every attack refused, the upstream getting
// none of them; no benign request refused, with the additions and with
// crs_only (the leaves of a body that is JSON are arguments with crs_only
// too: its count is logged).
func TestJSONAnywhere(t *testing.T) {
	for _, block := range []string{"waf {\n\t\tcrs_only\n\t}", "waf"} {
		base, hits := startCaddy(t, block)
		passed := 0
		for _, p := range jsonAnyBenign() {
			if code, body := send(t, base, p); code != http.StatusOK {
				t.Errorf("%s: %s: %d %s, want 200 (a false positive)", block, p.name, code, body)
			} else {
				passed++
			}
		}
		refused := 0
		for _, p := range jsonAnyAttacks() {
			before := *hits
			code, _ := send(t, base, p)
			if code != http.StatusForbidden && code != http.StatusBadRequest {
				if block == "waf" {
					t.Errorf("%s: %d, want it refused", p.name, code)
				}
				continue
			}
			if *hits != before {
				t.Errorf("%s: %s: the upstream got it", block, p.name)
			}
			refused++
		}
		t.Logf("%s: attacks refused: %d of %d", block, refused, len(jsonAnyAttacks()))
		t.Logf("%s: benign passed: %d of %d", block, passed, len(jsonAnyBenign()))
		_ = caddy.Stop()
	}
}

func TestSniffJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a": 1}`:                  `{"a": 1}`,
		"\ufeff{\"a\": 1}":          `{"a": 1}`,
		" \t\r\n\f\v[1]":            `[1]`,
		"\u00a0\u3000\u2028[1]":     `[1]`,
		`{"a": 1} x`:                `{"a": 1}`,
		"{\"a\": 1}\n{\"b\": 2}":    `{"a": 1}`,
		`[{"$lookup": {}}]}}`:       `[{"$lookup": {}}]`,
		`{not json}`:                "",
		`"a string"`:                "",
		`12`:                        "",
		`x{"a": 1}`:                 "",
		`{"a": 1`:                   "",
		"":                          "",
		"\ufeff":                    "",
		"\xff{\"a\": 1}":            "",
		`[]`:                        `[]`,
		`{"a": "b\"}"} trailing`:    `{"a": "b\"}"}`,
		"\ufeff\ufeff{\"a\": \"\"}": `{"a": ""}`,
	} {
		got, ok := sniffJSON([]byte(in))
		if ok != (want != "") || string(got) != want {
			t.Errorf("sniffJSON(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func FuzzSniffJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1} x`, "\ufeff[1]", "\f{}", `{"a"`, "\xef\xbb", `[{"b": "c"}]]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc, ok := sniffJSON([]byte(s))
		if !ok {
			return
		}
		// one JSON object or array, found in s
		if !strings.Contains(s, string(doc)) || !json.Valid(doc) || doc[0] != '{' && doc[0] != '[' {
			t.Fatalf("%q: %q", s, doc)
		}
	})
}
