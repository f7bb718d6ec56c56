package waf

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// formatAttacks are the twelfth fresh-eyes attack's (attack 16) values
// for rules 210165 and 210167, and more of their kind.
var formatAttacks = []string{
	// 210165: mail headers, SMTP
	"a@b.c\r\nBcc: victim@x.com", "a@b.c\nCc: victim@x.com", "ann@example.com\r\nSubject: you won", "a@b.c\r\n Reply-To: e@vil.x",
	"a@b.c\r\nReturn-Path: e@vil.x", "Ann\r\nBcc: victim@x.com", "a@b.c\r\nRCPT TO:<x@y.z>",
	// attack 18's: a display name, a routing header on the third line, a
	// folded header, a comment, a trailing comma or semicolon
	"a@b.c\r\nBcc: Victim <victim@x.com>", "a@b.c\r\nX-Mailer: 1\r\nBcc: victim@x.com", "a@b.c\r\nBcc:\r\n victim@x.com",
	"a@b.c\r\nBcc: victim@x.com (x)", "a@b.c\r\nbCC:victim@x.com,", "a@b.c\r\nTo: victim@x.com;",
	// 210167: PHP 5's signed lengths
	`O:+37:"Monolog\Handler\GroupHandler":1:{s:1:"x";i:1;}`, `a:1:{i:0;O:+8:"stdClass":0:{}}`, `C:+11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}`,
	`O:+8:"stdClass":+0:{}`,
}

// formatBenign are near-misses of rules 210165-210167 that pass.
var formatBenign = []string{
	"ann@example.com", "I got this:\nFrom: ann@example.com\nSubject: hi\nTo: bob@example.com", "Dear team,\r\nTo: whom it may concern",
	"ann@example.com\r\nthanks for the help", "Notes:\nCc: the manager next time", "list:\na@b.c\nd@e.f",
	// attack 17's false positives of 210165 before it read a first line
	// of one word and addresses alone after a routing header; spreadsheet
	// formulas (210166 was dropped for them)
	"ann@example.com\nCc: bob@example.com please, he's my manager", "Ann Lee\nann.lee@example.com\nTo: reach me faster call +1 555 0100",
	"ann@example.com\nbob@example.com\nCc: carol@example.com",
	"support@example.com\nFrom: the helpdesk team, with thanks", "Who was on it?\nBcc: hr@example.com (I added them myself)",
	"sales@example.com\nReply-To: use orders@example.com for orders", "ann@example.com\nTo: whom it may concern, I need a refund",
	// attack 18's closing kept these passing: a name before an address
	// in prose, header-like lines before a Cc of words
	"ann@example.com\nPhone: +1 555 0100\nCc: my manager (Bob), please", "ann@example.com\nTo: Bob <he has no email>",
	"ann@example.com\nCc: Bob, who is bob@example.com, knows",
	`=HYPERLINK("https://support.example.com/ticket/"&A2, A2)`, `=IMAGE("https://cdn.example.com/p/"&B2&".png")`,
	`=HYPERLINK("https://example.com","Example")`, `=SUM(A1:A3)&" total"`, `=IMAGE("https://example.com/logo.png")`,
	`=A1&B1`, "= hyperlink (docs)", `@image("x")`,
	`O:8 is the room number`, `s:+1`, `O:+ rating`, `a:2:{i:0;s:1:"a";i:1;s:1:"b";}`,
}

// formatBenignCRS are near-misses the CRS alone refuses too (a pasted
// SMTP log): on the expressions only.
var formatBenignCRS = []string{"My server log shows:\nMAIL FROM:<noreply@example.com>\nRCPT TO:<ann@example.com>\n550 5.1.1 user unknown. Why?"}

// TestFormatRules: the rules' expressions, as Coraza compiles them (with
// (?sm)), on the values (after the
// engine's decoding) match the attacks and none of the near-misses.
func TestFormatRules(t *testing.T) {
	var res []*regexp.Regexp
	for _, m := range regexp.MustCompile(`"@rx ([^"]*(?:\\"[^"]*)*)" "id:2101(?:65|67),`).FindAllStringSubmatch(formatRules, -1) {
		res = append(res, regexp.MustCompile("(?sm)"+m[1]))
	}
	if len(res) != 2 {
		t.Fatalf("%d expressions in formatRules, want 2", len(res))
	}
	matches := func(v string) bool {
		for _, re := range res {
			if re.MatchString(v) {
				return true
			}
		}
		return false
	}
	for _, v := range formatAttacks {
		if !matches(v) {
			t.Errorf("no rule matches the attack %q", v)
		}
	}
	for _, v := range append(append([]string{}, formatBenign...), formatBenignCRS...) {
		if matches(v) {
			t.Errorf("a rule matches the benign %q", v)
		}
	}
}

// TestFormatRulesBeyondTheCRS: through a real Caddy, in the query, JSON,
// a form and a cookie (the PHP object also base64-encoded, which the waf
// decodes).
func TestFormatRulesBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for _, s := range formatAttacks {
		misses = append(misses,
			probe{name: "query " + strconv.Quote(s), method: "GET", path: "/api/contact?v=" + url.QueryEscape(s)},
			probe{name: "JSON " + strconv.Quote(s), method: "POST", path: "/api/contact", contentType: "application/json", body: jsonString("v", s)},
			probe{name: "form " + strconv.Quote(s), method: "POST", path: "/api/contact", contentType: "application/x-www-form-urlencoded", body: "v=" + url.QueryEscape(s)})
	}
	for _, s := range []string{`O:+37:"Monolog\Handler\GroupHandler":1:{s:1:"x";i:1;}`, `a:1:{i:0;O:+8:"stdClass":0:{}}`} {
		misses = append(misses,
			probe{name: "cookie " + s, method: "GET", path: "/api/me", header: http.Header{"Cookie": {"d=" + url.QueryEscape(s)}}},
			probe{name: "base64 " + s, method: "GET", path: "/api/me?d=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(s)))})
	}
	for _, s := range formatBenign {
		if strings.ContainsAny(s, "\r\n") || strings.HasPrefix(s, "=") {
			benign = append(benign, probe{name: "JSON " + strconv.Quote(s), method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("v", s)})
			continue
		}
		benign = append(benign, probe{name: "query " + strconv.Quote(s), method: "GET", path: "/api/notes?v=" + url.QueryEscape(s)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

// TestProtoPathBeyondTheCRS: rule 210168, through a real Caddy: a path of
// keys to Object's prototype as a JSON array (its keys also as arrays)
// and as a form's or a query's indexed (sparse, from 1) and repeated
// names; the words apart, in another order, or as a list of two, pass.
func TestProtoPathBeyondTheCRS(t *testing.T) {
	const js, form = "application/json", "application/x-www-form-urlencoded"
	misses := []probe{
		{name: "JSON path", method: "POST", path: "/api/set", contentType: js, body: `{"path":["constructor","prototype","isAdmin"],"value":true}`},
		{name: "JSON path in an object", method: "POST", path: "/api/set", contentType: js, body: `{"op":{"path":["constructor","prototype","polluted"]},"value":1}`},
		{name: "JSON path, padded", method: "POST", path: "/api/set", contentType: js, body: `{"path":[" constructor ","prototype","x"]}`},
		{name: "form indexed path", method: "POST", path: "/api/set", contentType: form, body: "path[0]=constructor&path[1]=prototype&path[2]=isAdmin&value=1"},
		{name: "form repeated path", method: "POST", path: "/api/set", contentType: form, body: "path[]=constructor&path[]=prototype&path[]=isAdmin&value=1"},
		{name: "query indexed path", method: "GET", path: "/api/set?p[0]=constructor&p[1]=prototype&p[2]=x"},
		// attack 18's spellings
		{name: "JSON key as an array", method: "POST", path: "/api/set", contentType: js, body: `{"path":[["constructor"],"prototype","isAdmin"],"value":true}`},
		{name: "JSON keys as arrays", method: "POST", path: "/api/set", contentType: js, body: `{"path":[["constructor"],["prototype"],"isAdmin"],"value":true}`},
		{name: "query repeated name", method: "GET", path: "/api/set?path=constructor&path=prototype&path=isAdmin"},
		{name: "form repeated name", method: "POST", path: "/api/set", contentType: form, body: "path=constructor&path=prototype&path=isAdmin"},
		{name: "query sparse indices", method: "GET", path: "/api/set?path[0]=constructor&path[1]=prototype&path[3]=isAdmin"},
		{name: "query indices from 1", method: "GET", path: "/api/set?path[1]=constructor&path[2]=prototype&path[3]=isAdmin"},
		{name: "JSON root array", method: "POST", path: "/api/set", contentType: js, body: `["constructor","prototype","isAdmin"]`},
	}
	benign := []probe{
		{name: "JSON glossary", method: "POST", path: "/api/terms", contentType: js, body: `{"terms":["constructor","closure","prototype"]}`},
		{name: "JSON other order", method: "POST", path: "/api/terms", contentType: js, body: `{"terms":["prototype","constructor"]}`},
		{name: "JSON apart", method: "POST", path: "/api/terms", contentType: js, body: `{"a":["constructor"],"b":["prototype"]}`},
		{name: "JSON stage", method: "POST", path: "/api/projects", contentType: js, body: `{"stage":"prototype","role":"constructor"}`},
		{name: "form apart", method: "POST", path: "/api/terms", contentType: form, body: "a[0]=constructor&b[1]=prototype"},
		// attack 17's false positives before the path had to start with
		// the two words and go on
		{name: "JSON glossary of four", method: "POST", path: "/api/terms", contentType: js, body: `{"terms":["class","constructor","prototype","inheritance"]}`},
		{name: "JSON quiz", method: "POST", path: "/api/quiz", contentType: js, body: `{"answers":["constructor","prototype"]}`},
		{name: "form tags", method: "POST", path: "/api/tags", contentType: form, body: "tags[]=constructor&tags[]=prototype"},
		{name: "JSON steps", method: "POST", path: "/api/plan", contentType: js, body: `{"steps":["research","constructor","prototype","launch"]}`},
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

// TestElementIndex: the names rule 210168 reads.
func TestElementIndex(t *testing.T) {
	type split struct {
		prefix, suffix string
		n              int
	}
	for name, want := range map[string]*split{
		"json.path.1": {"json.path.", "", 1}, "json.a.b.12": {"json.a.b.", "", 12}, "path[1]": {"path[", "]", 1},
		"a[b][3]": {"a[b][", "]", 3}, "path[1][]": {"path[", "][]", 1}, "json.path.0": {"json.path.", "", 0},
		"path": nil, "json.path.01": nil, "path[x]": nil, "path[]": nil, "json.p.-1": nil, "1": nil, "json.p.+1": nil,
	} {
		prefix, suffix, n, ok := elementIndex(name)
		if ok != (want != nil) || ok && (prefix != want.prefix || suffix != want.suffix || n != want.n) {
			t.Errorf("elementIndex(%q) = %q, %q, %d, %v; want %+v", name, prefix, suffix, n, ok, want)
		}
	}
}

// FuzzElementIndex: any argument name, without a panic; put back
// together, the parts are the name.
func FuzzElementIndex(f *testing.F) {
	for _, s := range []string{"json.path.1", "path[1]", "path[1][]", "a[", "]", ".", "[]", "x.10", "x[10]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		prefix, suffix, n, ok := elementIndex(name)
		if ok && prefix+strconv.Itoa(n)+suffix != name {
			t.Errorf("elementIndex(%q) = %q, %q, %d", name, prefix, suffix, n)
		}
	})
}
