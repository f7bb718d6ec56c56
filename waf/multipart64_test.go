package waf

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMultipartBoundaryAmbiguous: attack 64 hid a part from the rules in a
// multipart body whose Content-Type names "boundary" twice
// (action="boundary=AAA"; boundary=BBB): the engine reads the BBB parts,
// PHP and Node's formidable the AAA part in the preamble, with SQL
// injection, a script tag, a PHP shell upload in it; all passed. Such a
// body, and one with a delimiter line in its preamble or epilogue, is
// refused (400, rule 200019); what browsers, curl and HTTP libraries send
// passes.
func TestMultipartBoundaryAmbiguous(t *testing.T) {
	base, hits := startCaddy(t, "waf")
	hidden := func(b string) string {
		return "--" + b + "\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n1' union select password from users--\r\n--" + b + "--\r\n"
	}
	plain := "--BBB\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nhello\r\n--BBB--\r\n"
	shell := "--AAA\"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"shell.php\"\r\nContent-Type: application/octet-stream\r\n\r\n<?php system($_GET['c']); ?>\r\n--AAA\"--\r\n"
	refused := []struct{ name, ctype, body string }{
		{"decoy in action, part in the preamble", `multipart/form-data; action="boundary=AAA"; boundary=BBB`, hidden(`AAA"`) + plain},
		{"decoy in component", `multipart/form-data; component="boundary=AAA"; boundary=BBB`, hidden(`AAA"`) + plain},
		{"decoy in action, part in the epilogue", `multipart/form-data; action="boundary=AAA"; boundary=BBB`, plain + hidden(`AAA"`)},
		{"decoy after the boundary (older Rack)", `multipart/form-data; boundary=BBB; action="boundary=AAA"`, plain + hidden("AAA")},
		{"a shell upload in the preamble", `multipart/form-data; action="boundary=AAA"; boundary=BBB`, shell + plain},
		{"decoy in upper case", `multipart/form-data; action="BOUNDARY=AAA"; boundary=BBB`, hidden(`AAA"`) + plain},
		{"a part of this boundary after the close delimiter", `multipart/form-data; boundary=BBB`, plain + hidden("BBB")},
		{"another boundary's part in the preamble", `multipart/form-data; boundary=BBB`, hidden("AAA") + plain},
		{"the name in capitals, the value holding boundary", `multipart/form-data; BOUNDARY=xboundaryx`, strings.ReplaceAll(plain, "BBB", "xboundaryx")},
		{"the word before the parameter", `multipart/form-data; xboundary; boundary=BBB`, plain},
		// a review: PHP and formidable read " BBB" after "boundary= ", Go
		// reads BBB, so "-- BBB" lines inside Go's part are their parts
		{"a blank after =", "multipart/form-data; boundary= BBB", "--BBB\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\x02\xff\r\n-- BBB\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n;id\r\n-- BBB--\r\n\r\n--BBB--\r\n"},
		{"a blank before =", "multipart/form-data; boundary =BBB", plain},
		{"blanks around =, quoted", `multipart/form-data; boundary = "BBB"`, plain},
		{"a blank after the value", "multipart/form-data; boundary=BBB ; charset=utf-8", plain},
		{"capitals that lowercase to more bytes before it", `multipart/form-data; action="ȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺ"; boundary=zboundary`, strings.ReplaceAll(plain, "BBB", "zboundary")},
	}
	// attack 66: a delimiter line that other parsers take, inside a part
	// the engine does not read whole, or part headers they read otherwise
	P := "1' union select password from users-- -"
	js := "--BBB\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.js\"\r\nContent-Type: application/javascript\r\n\r\nvar x=1;"
	refused = append(refused, []struct{ name, ctype, body string }{
		{"a delimiter after LF alone in a .js part (PHP, Werkzeug)", "multipart/form-data; boundary=BBB", js + "\n--BBB\nContent-Disposition: form-data; name=\"q\"\n\n" + P + "\n\r\n--BBB--\r\n"},
		{"a delimiter after CR alone (Werkzeug)", "multipart/form-data; boundary=BBB", js + "\r--BBB\rContent-Disposition: form-data; name=\"q\"\r\r" + P + "\r\n--BBB--\r\n"},
		{"a CR before the first delimiter (Werkzeug, Django)", "multipart/form-data; boundary=BBB", "xx\r--BBB\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + P + "\r\n--BBB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nok\r\n--BBB--\r\n"},
		{"a delimiter inside a line (Django)", "multipart/form-data; boundary=BBB", js + "//--BBB\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + P + "\r\n--BBB--\r\n"},
		{"a delimiter with more after it", "multipart/form-data; boundary=BBB", js + "\r\n--BBBx\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + P + "\r\n--BBB--\r\n"},
		{"an escaped quote in Content-Disposition (Django)", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"q\"; x=\"a\\\"b\"; filename=\"a.js\"\r\nContent-Type: application/javascript\r\n\r\n" + P + "\r\n--BBB--\r\n"},
		{"headers ended by LF alone (Django)", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"q\"\r\n\n\r\nContent-Transfer-Encoding: base64\r\n\r\nMScgdW5pb24gc2VsZWN0IHBhc3N3b3JkIGZyb20gdXNlcnMtLSAt\r\n--BBB--\r\n"},
		{"single quotes grouping parameters (PHP)", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"q\"; x='; filename=\"a.js\"; y='\r\n\r\n" + P + "\r\n--BBB--\r\n"},
		{"a file name with a brace (Werkzeug)", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"q\"; filename={a.js\r\nContent-Type: application/octet-stream\r\n\r\n" + P + "\r\n--BBB--\r\n"},
		{"a folded header line", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data;\r\n name=\"q\"; filename=\"a.js\"\r\nContent-Type: application/javascript\r\n\r\n" + P + "\r\n--BBB--\r\n"},
		{"a quoted-printable part (attack 67: the engine reads it decoded, backends raw)", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"comment\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<input autofocus onfocus=\r\nalert(1)>\r\n--BBB--\r\n"},
		{"a quoted-printable part in lower case", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"user\"\r\ncontent-transfer-encoding: Quoted-Printable\r\n\r\n'=\r\n'\r\n--BBB--\r\n"},
		{"a .js file without a Content-Type (formidable: a field)", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"q\"; filename=\"a.js\"\r\n\r\n" + P + "\r\n--BBB--\r\n"},
	}...)
	for _, c := range refused {
		code, _ := send(t, base, probe{name: c.name, method: "POST", path: "/upload", contentType: c.ctype, body: c.body})
		if code != http.StatusBadRequest && code != http.StatusForbidden {
			t.Errorf("%s: %d, want 400", c.name, code)
		}
	}
	if *hits != 0 {
		t.Fatalf("%d ambiguous multipart bodies reached the backend", *hits)
	}
	passed := []struct{ name, ctype, body string }{
		{"Chrome's", "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", strings.ReplaceAll(plain, "BBB", "----WebKitFormBoundary7MA4YWxkTrZu0gW")},
		{"Firefox's", "multipart/form-data; boundary=----geckoformboundary9a6f8d1c2b3e4f5a", strings.ReplaceAll(plain, "BBB", "----geckoformboundary9a6f8d1c2b3e4f5a")},
		{"curl's", "multipart/form-data; boundary=------------------------d74496d66958873e", strings.ReplaceAll(plain, "BBB", "------------------------d74496d66958873e")},
		{"quoted", `multipart/form-data; boundary="BBB"`, plain},
		{"quoted, then another parameter", `multipart/form-data; boundary="BBB"; charset=utf-8`, plain},
		{"a blank before the parameter", "multipart/form-data;boundary=BBB", plain},
		{"a charset too", `multipart/form-data; charset=utf-8; boundary=BBB`, plain},
		{"a CRLF before the first delimiter", "multipart/form-data; boundary=BBB", "\r\n" + plain},
		{"a mail-style preamble and epilogue of prose", "multipart/form-data; boundary=BBB", "This is a multi-part message in MIME format.\r\n" + plain + "That was all.\r\n"},
		{"a line of dashes inside a part", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nhello\r\n-- \r\nsignature\r\n--BBB--\r\n"},
		{"a file with blanks and parentheses in its quoted name", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"f\"; filename=\"report (1).txt\"\r\nContent-Type: text/plain\r\n\r\nmeeting at noon\r\n--BBB--\r\n"},
		{"an extended file name (RFC 5987)", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''na%C3%AFve.txt\r\nContent-Type: text/plain\r\n\r\nhello\r\n--BBB--\r\n"},
		{"a file without a Content-Type (Python requests)", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=\"f\"; filename=\"notes.txt\"\r\n\r\nmeeting at noon; bring the slides\r\n--BBB--\r\n"},
		{"an unquoted name", "multipart/form-data; boundary=BBB", "--BBB\r\nContent-Disposition: form-data; name=title\r\n\r\nhello\r\n--BBB--\r\n"},
	}
	for _, c := range passed {
		before := *hits
		code, _ := send(t, base, probe{name: c.name, method: "POST", path: "/upload", contentType: c.ctype, body: c.body})
		if code != http.StatusOK || *hits != before+1 {
			t.Errorf("%s: %d, want 200", c.name, code)
		}
	}
}

// FuzzAmbiguousMultipart: any header and body, no panic, and a body
// refused for its Content-Type is refused whatever its body.
func FuzzAmbiguousMultipart(f *testing.F) {
	f.Add(`multipart/form-data; action="boundary=AAA"; boundary=BBB`, "--AAA\"\r\n\r\nx\r\n--BBB--\r\n", "BBB")
	f.Add("multipart/form-data; boundary=BBB", "--BBB\r\n\r\nx\r\n--BBB--\r\n--", "BBB")
	f.Add("multipart/form-data; boundary=x", "", "x")
	f.Add(`multipart/form-data; action="ȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺ"; boundary=zboundary`, "--zboundary\r\n\r\nx\r\n--zboundary--\r\n", "zboundary")
	f.Add(`multipart/form-data; x="ȺȺȺȺȺȺȺȺȺȺȺ"; BOUNDARY="xboundary=AAA"`, "", "xboundary=AAA")
	f.Fuzz(func(t *testing.T, ctype, body, boundary string) {
		if boundary == "" {
			return
		}
		got := ambiguousMultipart(ctype, []byte(body), boundary)
		if !got && ambiguousMultipart(ctype, nil, boundary) {
			t.Fatalf("refused without a body, passed with one: %q %q", ctype, body)
		}
	})
}

// TestMultipartDelimitersBounded: a body of delimiters that share one far
// blank line is refused for the cost of one read of it. Each delimiter
// read the headers to that line (a review: 16 KiB of "--B\r\n" cost
// 0.3 s of CPU, 64 KiB with body_limit 128KiB 5.2 s); through Caddy it
// costs what any refused request does (refusedBound, with the margin of
// a busy machine).
func TestMultipartDelimitersBounded(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	body := strings.Repeat("--B\r\n", (defaultBodyLimit-32)/5) + "\r\nx\r\n--B--\r\n"
	req, _ := http.NewRequest("POST", base+"/upload", strings.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	code, spent := cpuOfRequest(t, req)
	t.Logf("%d bytes of delimiters: %d, %v of CPU", len(body), code, spent)
	if code != http.StatusBadRequest || *hits != 0 {
		t.Fatalf("%d, want 400", code)
	}
	if spent > time.Duration(cpuMargin)*refusedBound {
		t.Errorf("%v of CPU, want under %d × %v", spent, cpuMargin, refusedBound)
	}
}

// BenchmarkAmbiguousMultipart: the check's cost grows with the body, not
// with its square.
func BenchmarkAmbiguousMultipart(b *testing.B) {
	for _, n := range []int{16 << 10, 256 << 10} {
		body := []byte(strings.Repeat("--B\r\n", n/5) + "\r\nx\r\n--B--\r\n")
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				ambiguousMultipart("multipart/form-data; boundary=B", body, "B")
			}
		})
	}
}
