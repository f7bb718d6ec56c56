package waf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// multipartJSONPart is a multipart body of one part of type
// application/json (Spring's @RequestPart), a field or, with a file name,
// a file part (a browser's FormData Blob is the file "blob").
func multipartJSONPart(name, filename, content string) (string, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	cd := fmt.Sprintf(`form-data; name=%q`, name)
	if filename != "" {
		cd += fmt.Sprintf(`; filename=%q`, filename)
	}
	h.Set("Content-Disposition", cd)
	h.Set("Content-Type", "application/json")
	w, _ := mw.CreatePart(h)
	_, _ = w.Write([]byte(content))
	_ = mw.Close()
	return b.String(), mw.FormDataContentType()
}

// jsonAnyAttacks is JSON where a backend parses it, carrying what the CRS
// refuses in an application/json body's leaves (or the additions refuse
// in a base64 leaf): a third fresh-eyes attack passed each of these
// (BROKE 5, 6, 8, 11, 12 in its findings).
func jsonAnyAttacks() []probe {
	q := url.QueryEscape
	sqli := "1' UNION SELECT password FROM users--"
	login := `{"user": "admin' --", "pass": "x"}`
	form := "application/x-www-form-urlencoded"
	js := "application/json"
	bom := "\ufeff"
	b64Leaf := `{"q": "` + b64(sqli) + `"}`
	lookup := `[{"$lookup": {"from": "users", "as": "x"}}]`
	mpLogin, mpLoginType := multipartJSONPart("data", "", `{"user": "admin' --"}`)
	mpB64, mpB64Type := multipartJSONPart("data", "", b64Leaf)
	mpBlob, mpBlobType := multipartJSONPart("data", "blob", `{"user": "1 or 1=1"}`)
	mpNaN, mpNaNType := multipartJSONPart("data", "blob", `{"score": NaN, "user": "1 or 1=1",}`)
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
	// a byte-order mark before a JSON body, which the engine's JSON
	// reader is handed without (it refused such a body, 400)
	for _, ct := range []string{js, "application/merge-patch+json", "application/json; charset=utf-8"} {
		out = append(out,
			probe{name: "BOM, a login bypass as " + ct, method: "POST", path: "/login", contentType: ct, body: bom + login},
			probe{name: "BOM, JSON with a base64 leaf, as " + ct, method: "POST", path: "/api", contentType: ct, body: bom + b64Leaf},
			probe{name: "BOM, an empty-object key as " + ct, method: "POST", path: "/api", contentType: ct, body: bom + `{"user": {"$ne": {}}}`},
		)
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
	// JSON inside a value
	out = append(out,
		probe{name: "a multipart part of type application/json", method: "POST", path: "/api", contentType: mpLoginType, body: mpLogin},
		probe{name: "a multipart JSON part with a base64 leaf", method: "POST", path: "/api", contentType: mpB64Type, body: mpB64},
		probe{name: "a multipart JSON file part (a FormData Blob)", method: "POST", path: "/api", contentType: mpBlobType, body: mpBlob},
		probe{name: "?filter= of JSON", method: "GET", path: "/api?filter=" + q(`{"user": "admin' --"}`)},
		probe{name: "?filter= of JSON with a base64 leaf", method: "GET", path: "/api?filter=" + q(`{"where": {"name": "`+b64(sqli)+`"}}`)},
		probe{name: "a JSON string holding JSON", method: "POST", path: "/api", contentType: js, body: `{"filter": "{\"user\": \"1 or 1=1\"}"}`},
		probe{name: "a form field holding JSON", method: "POST", path: "/api", contentType: form, body: "filter=" + q(`{"user": "1 or 1=1"}`)},
		probe{name: "an Express j: cookie with a base64 leaf", method: "GET", path: "/",
			header: http.Header{"Cookie": {"prefs=j:" + url.PathEscape(`{"q":"`+b64(sqli)+`"}`)}}},
		probe{name: "an Express j: cookie, 1 or 1=1", method: "GET", path: "/",
			header: http.Header{"Cookie": {"prefs=j:" + url.PathEscape(`{"user":"1 or 1=1"}`)}}},
	)
	// JSON as lenient readers take it (a fourth fresh-eyes attack):
	// NaN and Infinity (Python's json.loads), comments and a trailing
	// comma (JSON5, JSONC, Json.NET)
	out = append(out,
		probe{name: "a trailing comma as text/plain", method: "POST", path: "/api", contentType: "text/plain", body: `{"q": "` + sqli + `",}`},
		probe{name: "a trailing comma in an array as text/plain", method: "POST", path: "/api", contentType: "text/plain", body: `["` + sqli + `",]`},
		probe{name: "NaN as text/plain", method: "POST", path: "/api", contentType: "text/plain", body: `{"n": NaN, "user": "admin' --"}`},
		probe{name: "-Infinity as a form", method: "POST", path: "/login", contentType: form, body: `{"n": -Infinity, "user": "1 or 1=1"}`},
		probe{name: "a // comment as text/plain", method: "POST", path: "/api", contentType: "text/plain", body: "{\"user\": \"admin' --\" // who\n}"},
		probe{name: "a /* */ comment as XML", method: "POST", path: "/api", contentType: "application/xml", body: `{/* q */ "q": "` + b64(sqli) + `"}`},
		probe{name: "?filter= of JSON with a trailing comma", method: "GET", path: "/api?filter=" + q(`{"user": "admin' --",}`)},
		probe{name: "?filter= of JSON with Infinity", method: "GET", path: "/api?filter=" + q(`{"limit": Infinity, "where": {"name": "1 or 1=1"}}`)},
		probe{name: "a JSON string holding JSON with a comment", method: "POST", path: "/api", contentType: js,
			body: `{"filter": "{/* x */ \"user\": \"1 or 1=1\"}"}`},
		probe{name: "base64 of JSON with a trailing comma", method: "GET", path: "/api?cursor=" + q(b64(`{"q": "`+sqli+`",}`))},
		probe{name: "a multipart JSON file part with NaN", method: "POST", path: "/api", contentType: mpNaNType, body: mpNaN},
	)
	// single quotes and bare words (JSON5, Python's ast.literal_eval,
	// YAML's flow mappings: a sixth fresh-eyes attack, B20)
	out = append(out,
		probe{name: "?f= of a Python dict", method: "GET", path: "/api?f=" + q(`{'id':'1 or true'}`)},
		probe{name: "?f= of a YAML flow mapping", method: "GET", path: "/api?f=" + q(`{id: 1 or true}`)},
		probe{name: "?f= of JSON5 with an unquoted key", method: "GET", path: "/api?f=" + q(`{id:"1 or true"}`)},
		probe{name: "a JSON5 login as text/plain", method: "POST", path: "/login", contentType: "text/plain", body: `{user: 'admin\' --', pass: 'x'}`},
		probe{name: "a YAML flow sequence in a form field", method: "POST", path: "/api", contentType: form, body: "ids=" + q(`[1, 1 or 1=1]`)},
		// JSON5's \x escapes, Python's triple quotes and raw strings,
		// YAML's tags and anchors (a seventh fresh-eyes attack, attack 11)
		probe{name: "?f= of JSON5 with \\x27", method: "GET", path: "/api?f=" + q(`{'id': '1\x27 or \x271\x27=\x271'}`)},
		probe{name: "?f= of a Python dict with a triple-quoted value", method: "GET", path: "/api?f=" + q(`{'id': '''1' or '1'='1'''}`)},
		probe{name: "?f= of a Python dict with a raw string", method: "GET", path: "/api?f=" + q(`{'id': r'1 or true'}`)},
		probe{name: "?f= of a YAML flow mapping with a tag", method: "GET", path: "/api?f=" + q(`{id: !!str 1 or true}`)},
		// escaped NoSQL operators in keys, their value a number (an eighth
		// fresh-eyes attack, attack 12): the number is an argument too
		probe{name: "?filter= of a Python dict with \\x24ne in a key", method: "GET", path: "/api?filter=" + q(`{'user':{'\x24ne':1}}`)},
		probe{name: "?filter= of JSON with \\x24ne in a key", method: "GET", path: "/api?filter=" + q(`{"user":{"\x24ne":1}}`)},
		probe{name: "?filter= of a Python dict with octal \\044ne in a key", method: "GET", path: "/api?filter=" + q(`{'user':{'\044ne':1}}`)},
		probe{name: "a JSON5 login with \\x24ne as text/plain", method: "POST", path: "/login", contentType: "text/plain", body: `{username:'admin',password:{'\x24ne':1}}`},
		probe{name: "?f= of a YAML flow mapping with an anchor", method: "GET", path: "/api?f=" + q(`{id: &a 1 or true}`)},
	)
	// base64 of JSON or of a form whose own values are encoded
	inner := `{"q": "` + b64(sqli) + `"}`
	out = append(out,
		probe{name: "Pub/Sub push: base64 of JSON with a base64 leaf", method: "POST", path: "/push", contentType: js,
			body: `{"message": {"data": "` + b64(inner) + `"}}`},
		probe{name: "?cursor= base64 of JSON with a base64 leaf", method: "GET", path: "/api?cursor=" + q(b64(inner))},
		probe{name: "base64 of JSON with an unpadded base64url XSS leaf", method: "GET",
			path: "/api?cursor=" + q(b64(`{"q": "`+b64url("<script>alert(document.domain)</script>")+`"}`))},
		probe{name: "base64 of a form with a base64 field", method: "GET", path: "/api?state=" + q(b64("a=1&q="+q(b64(sqli))))},
		probe{name: "base64 of percent-encoded base64", method: "GET", path: "/api?t=" + q(b64(q(b64(sqli))))},
		probe{name: "base64 three levels deep", method: "GET", path: "/api?t=" + q(b64(b64(b64(sqli))))},
		probe{name: "base64 five levels deep (past the levels: refused)", method: "GET", path: "/api?t=" + q(b64(b64(b64(b64(b64("hello there, friend"))))))},
	)
	return out
}

// jsonAnyBenign is ordinary JSON in values and bodies of other types:
// none of it may be refused.
func jsonAnyBenign() []probe {
	q := url.QueryEscape
	js := "application/json"
	mp, mpType := multipartJSONPart("meta", "", `{"title": "Trip to Zürich", "tags": ["travel", "alps"], "public": true}`)
	blob, blobType := multipartJSONPart("meta", "blob", `{"title": "O'Brien's notes", "size": 12}`)
	return []probe{
		{name: "GraphQL variables as a JSON string", method: "POST", path: "/graphql", contentType: js,
			body: `{"operationName": "Search", "variables": "{\"term\": \"Zürich cafés\", \"first\": 10, \"after\": \"` + b64("arrayconnection:9") + `\"}"}`},
		{name: "a JSON config field holding JSON", method: "POST", path: "/api/apps", contentType: js,
			body: `{"name": "web", "config": "{\"retries\": 3, \"region\": \"eu-west-1\", \"tags\": [\"a\", \"b\"], \"limits\": {}}"}`},
		{name: "?filter= with ordinary values", method: "GET", path: "/api/people?filter=" + q(`{"where": {"name": "O'Brien", "city": "Zürich", "age": {"gt": 21}}, "limit": 10, "order": "name ASC"}`)},
		{name: "a form field of JSON", method: "POST", path: "/api", contentType: "application/x-www-form-urlencoded",
			body: "payload=" + q(`{"event": "signup", "plan": "pro", "note": "50% off"}`)},
		{name: "a multipart JSON part", method: "POST", path: "/upload", contentType: mpType, body: mp},
		{name: "a multipart JSON file part (a FormData Blob)", method: "POST", path: "/upload", contentType: blobType, body: blob},
		{name: "an Express j: cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"prefs=j:" + url.PathEscape(`{"theme":"dark","lang":"de-CH"}`)}}},
		// Express's body-parser (iconv-lite) and Python's json.loads of
		// bytes read past a byte order mark; the engine's JSON reader
		// refused the body (400, crs_only too, coraza-caddy too)
		{name: "JSON with a BOM as application/json", method: "POST", path: "/api", contentType: js,
			body: "\ufeff" + `{"title": "Grüße", "tags": ["travel"], "n": 3}`},
		{name: "JSON with a BOM as application/merge-patch+json", method: "PATCH", path: "/api/1", contentType: "application/merge-patch+json",
			body: "\ufeff" + `{"title": "Trip to Zürich"}`},
		{name: "JSON with a BOM as text/plain", method: "POST", path: "/api", contentType: "text/plain",
			body: "\ufeff" + `{"title": "Grüße", "content": "` + b64("Hello, world! This is a plain text file.") + `"}`},
		// not here: JSON sent as a form, or as text/plain ending in a
		// newline, which the CRS alone refuses (as it does "hello\n" as
		// text/plain)
		{name: "JSON and trailing spaces as text/plain", method: "POST", path: "/api", contentType: "text/plain",
			body: `{"title": "a note", "tags": []}  `},
		{name: "JSON with a leading no-break space as XML", method: "POST", path: "/api", contentType: "application/xml",
			body: "\u00a0" + `{"title": "Trip to Zürich", "tags": ["travel"]}`},
		{name: "?tags= of a Python list", method: "GET", path: "/api?tags=" + q(`['travel', 'alps', "O'Brien"]`)},
		{name: "?opts= of a YAML flow mapping", method: "GET", path: "/api?opts=" + q(`{sort: name, order: asc, page: 2, note: it is fine}`)},
		{name: "a title in brackets", method: "GET", path: "/api?title=" + q(`[draft] Trip to Zürich, day 2`)},
		{name: "JSON with NaN, a comment and a trailing comma as text/plain", method: "POST", path: "/api", contentType: "text/plain",
			body: `{"title": "Trip to Zürich", /* draft */ "score": NaN, "max": Infinity, "tags": ["travel", "alps",],}`},
		{name: "?filter= of JSON with a trailing comma", method: "GET", path: "/api/people?filter=" + q(`{"where": {"name": "O'Brien",}, "limit": 10,}`)},
		{name: "a base64 cursor of JSON", method: "GET", path: "/api/items?cursor=" + q(b64(`{"id": 42, "sort": "created_at", "dir": "desc"}`))},
		{name: "an OAuth state of base64 of a form", method: "GET", path: "/callback?code=abc123&state=" + q(b64("returnTo=/dashboard&nonce=n-0S6_WzA2Mj"))},
		{name: "Pub/Sub push of ordinary data", method: "POST", path: "/push", contentType: js,
			body: `{"message": {"data": "` + b64(`{"order": 17, "status": "shipped", "note": "`+b64("left at the door")+`"}`) + `", "messageId": "136969346945"}}`},
	}
}

// TestJSONAnywhere runs jsonAnyAttacks and jsonAnyBenign through a real
// Caddy with waf (paranoia 1): every attack refused, the upstream getting
// none of them; no benign request refused, with the additions and with
// crs_only (with crs_only, the leaves of a body that is JSON are still
// arguments, JSON inside values is not read: its count is logged).
func TestJSONAnywhere(t *testing.T) {
	tableOnly(t)
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
		// a body of type JSON that the engine does not parse (NaN, a
		// comment, a trailing comma: gjson.Valid refuses them) is refused
		// (400, rule 200002), however harmless, never passed partly read
		before := *hits
		for _, body := range []string{`{"q": "hello",}`, `{"n": NaN}`, "{\"a\": 1 // c\n}", `[1, /* c */ 2]`, `{"n": -Infinity}`} {
			p := probe{name: "JSON body " + body, method: "POST", path: "/api", contentType: "application/json", body: body}
			if code, _ := send(t, base, p); code != http.StatusBadRequest {
				t.Errorf("%s: %s: %d, want 400 (the engine does not parse it)", block, p.name, code)
			}
		}
		if *hits != before {
			t.Errorf("%s: the upstream got a JSON body the engine does not parse", block)
		}
		// a JSON body with a byte order mark: the upstream gets it whole,
		// the mark too; a body of the mark's first bytes only, or of two
		// marks, is not JSON (400); the mark alone is an empty body (200)
		withBOM := "\ufeff" + `{"q": "hello"}`
		if code, body := send(t, base, probe{name: "BOM", method: "POST", path: "/api", contentType: "application/json", body: withBOM}); code != http.StatusOK || body != fmt.Sprintf(`{"got": %q}`, withBOM) {
			t.Errorf("%s: a JSON body with a BOM: %d %s, want 200 and the body whole", block, code, body)
		}
		for _, b := range []string{"\xef\xbb", "\xef\xbb\xbf\xef\xbb\xbf{}", "\xef", "\xef\xbb{}"} {
			if code, _ := send(t, base, probe{name: "BOM", method: "POST", path: "/api", contentType: "application/json", body: b}); code != http.StatusBadRequest {
				t.Errorf("%s: a JSON body %q: %d, want 400", block, b, code)
			}
		}
		for _, b := range []string{"", "\xef\xbb\xbf"} {
			if code, _ := send(t, base, probe{name: "BOM", method: "POST", path: "/api", contentType: "application/json", body: b}); code != http.StatusOK {
				t.Errorf("%s: a JSON body %q: %d, want 200 (empty)", block, b, code)
			}
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
		// as lenient readers take it (lenientJSON), made standard
		`{"q": "x",}`: `{"q": "x" }`,
		`[1, 2,]`:     `[1, 2 ]`,
		"[1, 2,\n]":   "[1, 2 \n]",
		`{"n": NaN, "i": Infinity, "m": -Infinity}`: `{"n": 0, "i": 0, "m": 0}`,
		"{\"a\": 1 // a comment\n}":                 "{\"a\": 1  \n}",
		`{/* a */"a": 1}`:                           `{ "a": 1}`,
		`{"a": "/* not a comment */, NaN",}`:        `{"a": "/* not a comment */, NaN" }`,
		`{"a": "\"//",}`:                            `{"a": "\"//" }`,
		`{"a": 1,} // trailing`:                     `{"a": 1 }`,
		`{"a": 1, /* not closed`:                    "",
		`{"a": NaNa}`:                               `{"a": "NaNa"}`, // YAML's plain scalar
		// single quotes and bare words (JSON5, Python, YAML flow): a sixth
		// fresh-eyes attack passed these in a value
		`{'id':'1 or true'}`:             `{"id":"1 or true"}`,
		`{id: 1 or true}`:                `{"id": "1 or true"}`,
		`{id:"1 or true"}`:               `{"id":"1 or true"}`,
		`{'a': True, 'b': None, 'c': 2}`: `{"a": "True", "b": "None", "c": 2}`,
		`{'q': 'it\'s "x"'}`:             `{"q": "it's \"x\""}`,
		`[{$unionWith: 'secrets'}]`:      `[{"$unionWith": "secrets"}]`,
		`{a: -1.5e3, b: -x, c: null}`:    `{"a": -1.5e3, "b": "-x", "c": null}`,
		"{a: 1 // one\n}":                "{\"a\": 1  \n}",
		"{a: x\ty\t, b: [p q, r]}":       "{\"a\": \"x\\u0009y\"\t, \"b\": [\"p q\", \"r\"]}",
		`{a b: c}`:                       `{"a b": "c"}`,
		// JSON5's and Python's escapes, Python's prefixes and triple
		// quotes, YAML's tags and anchors (a seventh fresh-eyes attack,
		// attack 11, passed each around 1' or '1'='1)
		`{'q': '\x27 or \x271\x27=\x271'}`:    `{"q": "\u0027 or \u00271\u0027=\u00271"}`,
		`{"q": "\x27 or 1=1"}`:                `{"q": "\u0027 or 1=1"}`,
		`{"q": "a\'b\v\0"}`:                   `{"q": "a'b\u000b\u0000"}`,
		"{\"q\": \"1' or \\\n'1'='1\"}":       `{"q": "1' or '1'='1"}`,
		`{'q': r'\x27 or 1'}`:                 `{"q": "\\x27 or 1"}`,
		`{'q': b'1 or 1', 'r': u"x"}`:         `{"q": "1 or 1", "r": "x"}`,
		`{'q': '''1' or '1'='1'''}`:           `{"q": "1' or '1'='1"}`,
		`{"q": """a "b" c"""}`:                `{"q": "a \"b\" c"}`,
		`{q: !!str 1 or 1=1}`:                 `{"q":  "1 or 1=1"}`,
		`{q: &a 1 or 1=1, r: !t 'x'}`:         `{"q":  "1 or 1=1", "r":  "x"}`,
		`{rb: 1, u: 'x'}`:                     `{"rb": 1, "u": "x"}`,
		`{'q': 'a\`:                           "",
		`{'q': '''a'}`:                        "",
		`{'q': {'\044ne': 1, 'b': '\1\400'}}`: `{"q": {"\u0024ne": 1, "b": "\u0001\u00200"}}`,
		`{'not closed}`:                       "",
		`[1, 'a]`:                             "",
		`{"a": 1,,}`:                          "",
		`{"a": "not closed,}`:                 "",
	} {
		got, ok := sniffJSON([]byte(in))
		if ok != (want != "") || string(got) != want {
			t.Errorf("sniffJSON(%q) = %q, %v; want %q", in, got, ok, want)
		}
		got, ok = sniffJSONString(in)
		if ok != (want != "") || string(got) != want {
			t.Errorf("sniffJSONString(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestDecoderReadsJSONInValues: the leaves of JSON text in a value, of
// base64 of JSON and of a form, are arguments, decoded in turn; levels,
// the budget (names and values) and max_arguments bound them.
func TestDecoderReadsJSONInValues(t *testing.T) {
	sqli := "1' UNION SELECT password FROM users--"
	find := func(d decoder, name string) (string, bool) {
		for _, a := range d.out {
			if a.name == name {
				return a.value, true
			}
		}
		return "", false
	}
	for _, c := range []struct{ v, name, want string }{
		{`{"where": {"name": "x"}}`, "f:json.where.name", "x"},
		{`{"filter": "{\"user\": \"admin\"}"}`, "f:json.filter:json.user", "admin"},
		{b64(`{"q": "` + b64(sqli) + `"}`), "f:base64:json.q:base64", sqli},
		{b64("a=1&q=" + url.QueryEscape(b64(sqli))), "f:base64:form.q:base64", sqli},
		// the percent-encoded padding: lenient base64 skips "%3D%3D" as
		// stray characters (Node and Python do), before percentOver would
		// decode it, and the decoded text starts with the attack
		{b64(url.QueryEscape(b64(sqli))), "f:base64:base64", sqli},
		{`{"a": {"$ne": []}}`, "f:json.a.$ne", ""},
	} {
		d := decoder{budget: 10000, maxArgs: 128}
		if err := d.value("f", c.v); err != nil {
			t.Fatalf("%q: %v", c.v, err)
		}
		if got, ok := find(d, c.name); !ok || !strings.HasPrefix(got, c.want) || len(got) > len(c.want)+2 {
			t.Errorf("%q: %s = %q (%v), want %q; got %+v", c.v, c.name, got, ok, c.want, d.out)
		}
	}
	// a form is read only in a decoded text, not in a value as sent
	d := decoder{budget: 10000}
	if err := d.value("f", "a=1&b=2"); err != nil || len(d.out) != 0 {
		t.Errorf("a value that is a form: %v %+v", err, d.out)
	}
	// JSON in JSON in JSON ... past maxDecodeLevels: refused
	v := `"x"`
	for range maxDecodeLevels + 1 {
		v = fmt.Sprintf(`{"a": %q}`, v)
	}
	d = decoder{budget: 10000}
	if err := d.value("f", v); !errors.Is(err, errDecodeDepth) {
		t.Errorf("JSON %d levels deep: %v, want errDecodeDepth", maxDecodeLevels+1, err)
	}
	// the budget counts names: 100 leaves named 300 bytes each
	long := strings.Repeat("k", 290)
	var b strings.Builder
	b.WriteString("[")
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{%q: "v"}`, long)
	}
	b.WriteString("]")
	d = decoder{budget: 20000}
	if err := d.value("f", b.String()); !errors.Is(err, errDecodeBudget) {
		t.Errorf("30 KB of names on a budget of 20 KB: %v, want errDecodeBudget", err)
	}
	// max_arguments: it stops one past it
	d = decoder{budget: 1 << 20, maxArgs: 10}
	if err := d.value("f", `["a","b","c","d","e","f","g","h","i","j","k","l","m"]`); !errors.Is(err, errArgsFull) || len(d.out) != 11 {
		t.Errorf("13 leaves, max_arguments 10: %v, %d arguments", err, len(d.out))
	}
}

// TestJSONInValuesCountAgainstTheLimits: the leaves of JSON inside a value
// are arguments, so a request whose values hold more of them than
// max_arguments gets 400, never passes partly inspected; one of a few
// leaves passes.
func TestJSONInValuesCountAgainstTheLimits(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	leaves := func(n int, last string) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			fmt.Fprintf(&b, `"v%d", `, i)
		}
		fmt.Fprintf(&b, "%q]", last)
		return b.String()
	}
	if code, resp := send(t, base, probe{name: "10 leaves", method: "GET", path: "/api?filter=" + url.QueryEscape(leaves(10, "x"))}); code != http.StatusOK {
		t.Fatalf("?filter= of 10 leaves: %d %s", code, resp)
	}
	before := *hits
	for _, p := range []probe{
		{name: "?filter= of 200 leaves", method: "GET", path: "/api?filter=" + url.QueryEscape(leaves(200, "1 or 1=1"))},
		{name: "a JSON field of 200 leaves", method: "POST", path: "/api", contentType: "application/json",
			body: fmt.Sprintf(`{"filter": %q}`, leaves(200, "1 or 1=1"))},
		{name: "base64 of 200 leaves", method: "GET", path: "/api?cursor=" + url.QueryEscape(b64(leaves(200, "1 or 1=1")))},
	} {
		if code, _ := send(t, base, p); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", p.name, code)
		}
	}
	if *hits != before {
		t.Errorf("the upstream got %d of the refused requests", *hits-before)
	}
}

func FuzzSniffJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1} x`, "\ufeff[1]", "\f{}", `{"a"`, "\xef\xbb", `[{"b": "c"}]]`, `{"a": NaN, /* c */ "b": [1,],} // x`, `{a: 'b', c: d e}`, `[x, 'y\\'z', {k: v}]`,
		`{'q': '\x27 or 1=1'}`, `{q: r'\x'}`, `{q: '''a'b'''}`, `{q: !!str 1 or 1=1}`, "{q: \"a\\\nb\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc, ok := sniffJSON([]byte(s))
		if !ok {
			return
		}
		// one JSON object or array, found in s or made standard from
		// it (lenientJSON: at most six times as long)
		if len(doc) > 6*len(s) || !json.Valid(doc) || doc[0] != '{' && doc[0] != '[' {
			t.Fatalf("%q: %q", s, doc)
		}
		// its keys of code are arguments named by their member's path
		// (jsonWalk), counted in the names' bytes
		_, _, _, keys, names := jsonWalk(doc)
		n := 0
		for _, k := range keys {
			if !codeKey(k.value) || !strings.HasSuffix(k.name, k.value+suffixKey) {
				t.Fatalf("%q: key argument %v", s, k)
			}
			n += len(k.name)
		}
		if names < n {
			t.Fatalf("%q: names %d, fewer than the keys' %d", s, names, n)
		}
	})
}

// TestCookieJSON: an Express j: cookie is read as its JSON; a
// percent-encoded JSON cookie without j: (Google's FCCDCF, which the CRS
// excludes by name) is left to the CRS.
func TestCookieJSON(t *testing.T) {
	for v, want := range map[string]string{
		"j:%7B%22q%22%3A%22x%22%7D": `{"q":"x"}`,
		`j:{"q":"x"}`:               `{"q":"x"}`,
		"j:%5B1%2C2%5D":             "[1,2]",
		"j:not json":                "",
		"%5Bnull%2Cnull%2C%5B%5B32%2C%22%5B%5C%2217891cd2%5C%22%5D%22%5D%5D%5D": "",
		`{"q":"x"}`: "", // read as any value is, by valueAt
		"":          "",
	} {
		got, ok := cookieJSON(v)
		if ok != (want != "") || got != want {
			t.Errorf("cookieJSON(%q) = %q, %v; want %q", v, got, ok, want)
		}
	}
}

func FuzzJWTSegments(f *testing.F) {
	for _, s := range []string{"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "eyJ.a.b.c", "eyJhbGciOiJIUzI1NiJ9", "eyJ!.x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h, p, ok := jwtSegments(v)
		if ok && (len(h)+len(p)+2 > len(v) || !strings.HasPrefix(v, h+"."+p+".")) {
			t.Fatalf("jwtSegments(%q) = %q, %q", v, h, p)
		}
	})
}

// TestJSONScalarsOfOddKeys: jsonWalk names the numbers, booleans and nulls
// of members whose key is not a plain word ($ne), and no others: an array
// of numbers or {"limit": 10} in a parameter adds no arguments to count
// against max_arguments.
func TestJSONScalarsOfOddKeys(t *testing.T) {
	_, _, scalars, _, _ := jsonWalk([]byte(`{"limit": 10, "ids": [1, 2, 3], "on": true, "user": {"$ne": 1, "$gt": null, "a.b": false}}`))
	want := []argument{{"json.user.$ne", "1"}, {"json.user.$gt", "null"}, {"json.user.a.b", "false"}}
	if len(scalars) != len(want) {
		t.Fatalf("scalars %v; want %v", scalars, want)
	}
	for i := range want {
		if scalars[i] != want[i] {
			t.Errorf("scalar %d: %v; want %v", i, scalars[i], want[i])
		}
	}
	var b strings.Builder
	b.WriteString("[")
	for i := range 1000 {
		fmt.Fprintf(&b, "%d,", i)
	}
	b.WriteString("0]")
	if _, _, scalars, _, _ := jsonWalk([]byte(b.String())); len(scalars) != 0 {
		t.Errorf("an array of 1001 numbers: %d scalars, want none", len(scalars))
	}
}

// TestJSONKeysInspected: a JSON member's key that holds code is read as a
// value is (jsonWalk's keys), at any depth and in JSON found in a value
// too: attack 32 passed {"system \"id\"": 1} and {"1 OR
// sleepEachRow(3)": 1}, which the same text as a value does not. Keys of
// words, spaces and punctuation add no argument.
func TestJSONKeysInspected(t *testing.T) {
	tableOnly(t)
	var crsCatches, misses, benign []probe
	for _, k := range []string{`system "id"`, `system %(id)`, `1 OR sleepEachRow(3)`, `x' OR lengthUTF8(password)>5--`, `import os;getattr(os,"sys"+"tem")("id")`} {
		body, _ := json.Marshal(map[string]any{k: 1})
		nested, _ := json.Marshal(map[string]any{"filter": map[string]any{k: map[string]any{}}})
		misses = append(misses,
			probe{name: "key " + k, method: "POST", path: "/api/search", contentType: "application/json", body: string(body)},
			probe{name: "nested key " + k, method: "POST", path: "/api/search", contentType: "application/json", body: string(nested)})
		q := probe{name: "key in a query's JSON " + k, method: "GET", path: "/api/search?f=" + url.QueryEscape(string(body))}
		if strings.HasPrefix(k, "x'") {
			crsCatches = append(crsCatches, q) // the CRS reads the quote in the whole parameter
		} else {
			misses = append(misses, q)
		}
	}
	for _, b := range []string{`{"Hello, world!": "Hola", "a.b": 1}`, `{"first name": "Ada", "2024-01-01": [1, 2]}`,
		`{"user@example.com": true, "price (EUR)": 12}`, `{"notes": {"it's fine": "yes"}}`} {
		benign = append(benign, probe{name: "benign keys " + b, method: "POST", path: "/api/items", contentType: "application/json", body: b})
	}
	runBeyondTheCRS(t, crsCatches, misses, benign)
	_, _, _, keys, _ := jsonWalk([]byte(`{"a": {"x(1)": 1, "plain key": 2}, "list": [{"y=2": 3}]}`))
	want := []argument{{"json.a.x(1)" + suffixKey, "x(1)"}, {"json.list.0.y=2" + suffixKey, "y=2"}}
	if fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("keys %v; want %v", keys, want)
	}
}

// TestPercentEncodedJSONCookie: a cookie of percent-encoded JSON is read
// as the backend reads it, its leaves as arguments (attack 33 passed
// q=%7B%22a%22%3A%20%22system%20'id'%22%7D), but for the tracking cookies
// the CRS excludes by name, which stay whole.
func TestPercentEncodedJSONCookie(t *testing.T) {
	tableOnly(t)
	cookie := func(name, value string) http.Header { return http.Header{"Cookie": {name + "=" + value}} }
	var misses, benign []probe
	for _, v := range []string{`{"a": "system 'id'"}`, `["system 'id'"]`, `{"a": "Kernel::system \"id\""}`, `{"a": {"b": "exec 'id'"}}`} {
		e := url.QueryEscape(v)
		misses = append(misses, probe{name: "cookie " + v, method: "GET", path: "/api/items", header: cookie("q", e)})
	}
	for _, c := range [][2]string{{"prefs", url.QueryEscape(`{"theme": "dark", "lang": "en"}`)}, {"FCCDCF", url.QueryEscape(`[null,null,null,["x"]]`)},
		{"cart", url.QueryEscape(`{"items": [1, 2], "note": "gift"}`)}} {
		benign = append(benign, probe{name: "cookie " + c[0], method: "GET", path: "/api/items", header: cookie(c[0], c[1])})
	}
	runBeyondTheCRS(t, nil, misses, benign)
	if !trackingCookie("_ga_ABC") || !trackingCookie("FCCDCF") || trackingCookie("q") {
		t.Errorf("trackingCookie: wrong names")
	}
}
