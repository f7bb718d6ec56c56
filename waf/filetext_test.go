package waf

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// TestFileText: a file part's bytes are text unless plainly binary (an
// image's or an archive's magic number with binary bytes after it, or 30%
// of bytes that are neither text nor UTF-8); UTF-16 without a byte order
// mark is decoded, control bytes are kept, NUL bytes taken out.
func TestFileText(t *testing.T) {
	csv := "id,name\n1,x' UNION SELECT password FROM users --\n"
	noise := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdac\xfc\xff\x9f\xa1\x1e\x00\x07\x82\x02\x7f=\xc8H\xef\x00\x00\x00\x00IEND\xaeB`\x82' OR 1=1 --"
	for _, c := range []struct {
		name, in, want string
		text           bool
	}{
		{"CSV", csv, csv, true},
		{"UTF-16LE without BOM", string(utf16le(csv)), csv, true},
		{"UTF-16BE without BOM", string(utf16be(csv)), csv, true},
		{"UTF-16LE with BOM", "\xff\xfe" + string(utf16le("Grüße")), "Grüße", true},
		{"control bytes kept", control(csv), control(csv), true},
		{"NUL bytes taken out", strings.ReplaceAll(csv, ",", ",\x00\x00"), csv, true},
		{"Latin-1 text", "name,city\nJos\xe9,Z\xfcrich\n", "name,city\nJos\xe9,Z\xfcrich\n", true},
		{"GIF header then CSV", "GIF89a\n" + csv, "GIF89a\n" + csv, true},
		{"a PNG with text after its end", png, "", false},
		{"a JPEG", "\xff\xd8\xff\xe0\x00\x10JFIF\x00" + string(noise), "", false},
		{"noise", string(noise), "", false},
		{"NUL bytes only", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "", false},
		{"empty", "", "", false},
	} {
		got, ok := fileText([]byte(c.in))
		if ok != c.text || string(got) != c.want {
			t.Errorf("%s: %q, %v; want %q, %v", c.name, got, ok, c.want, c.text)
		}
	}
}

func TestMarkupOrCode(t *testing.T) {
	for _, c := range []struct {
		filename, ctype string
		want            bool
	}{
		{"a.csv", "text/x-csv", false},
		{"a.csv", "text/x-comma-separated-values", false},
		{"a.md", "text/x-markdown", false},
		{"a.tsv", "text/tab-separated-values", false},
		{"a.csv", "application/csv", false},
		{"a", "text/x-python", true},
		{"a", "text/x-shellscript", true},
		{"a", "text/x-script.python", true},
		{"a", "application/x-python", true},
		{"a.py", "text/plain", true},
		{"a.svg", "text/plain", true},
		{"a", "image/svg+xml", true},
	} {
		if got := markupOrCode(c.filename, c.ctype); got != c.want {
			t.Errorf("markupOrCode(%q, %q) = %v, want %v", c.filename, c.ctype, got, c.want)
		}
	}
}

// TestCPUBoundFileParts: file parts read as text whatever their control
// bytes or encoding stay within the bound of a request's cost: the
// dearest multipart body allowed, 16 file parts (maxFileParts) filling
// body_limit with random characters of every class and control bytes
// (what scores on the most rules), half of them UTF-16 without a byte
// order mark, with max_arguments cookies and query parameters up to the
// cap on all places together (94: 256 arguments in all, with two derived
// from the texts).
func TestCPUBoundFileParts(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	r := rand.New(rand.NewPCG(7, 7))
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789 '\"<>()[]{};:,.|&$#%*+-=/\\!?@^~`\x01\x02\x07\x0b\x1b"
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	per := (defaultBodyLimit - 16*200) / maxFileParts
	refs := 0 // texts with a reference to an ASCII character: an argument more each (charRefs)
	for i := range maxFileParts {
		text := make([]byte, 0, per)
		n := per
		if i%2 == 1 {
			n = per / 2 // UTF-16: two bytes a character
		}
		for range n {
			text = append(text, chars[r.IntN(len(chars))])
		}
		if _, ok := charRefs(string(text)); ok {
			refs++
		}
		if i%2 == 1 {
			text = utf16le(string(text))
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="f%d"; filename="f%d.csv"`, i, i))
		h.Set("Content-Type", "text/x-csv")
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write(text)
	}
	_ = mw.Close()
	// each file part is two body arguments (the part, its text), and two
	// of the texts give a derived argument (and those with character
	// references one more each): with max_arguments cookies,
	// the query fills the cap on all places together (2 × max_arguments)
	query := defaultMaxArguments - 2*maxFileParts - 2 - refs
	w := worstPerPlace(defaultBodyLimit, defaultMaxArguments)
	path, _, _ := strings.Cut(w.path, fmt.Sprintf("&q%d=", query))
	send := func(path string) (int, time.Duration) {
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Cookie", w.cookie)
		return cpuOfRequest(t, req)
	}
	code, spent := send(path)
	t.Logf("16 text file parts of %d bytes in all, %d query parameters, %d cookies: %d, %v of CPU", body.Len(), query, defaultMaxArguments, code, spent)
	if code < 200 || code > 499 || code == http.StatusBadRequest {
		t.Fatalf("%d, want it inspected", code)
	}
	if *hits > 1 {
		t.Fatalf("the upstream got %d requests", *hits)
	}
	if spent > margin*cpuBound {
		t.Errorf("the dearest multipart body allowed cost %v of CPU, over %d × the %v bound", spent, margin, cpuBound)
	}
	// with max_arguments query parameters, as allowed before the cap on
	// all places together: refused uninspected
	code, spent = send(w.path)
	t.Logf("16 text file parts, %d query parameters and cookies: %d, %v of CPU", defaultMaxArguments, code, spent)
	if code != http.StatusBadRequest {
		t.Errorf("16 text file parts, %d query parameters and cookies: %d, want 400", defaultMaxArguments, code)
	}
	if spent > margin*refusedBound {
		t.Errorf("16 text file parts, %d query parameters and cookies cost %v of CPU: inspected (want under %d × %v)", defaultMaxArguments, spent, margin, refusedBound)
	}
}

// TestFileTextNotCommands: the text of uploaded data files is not read by
// the command execution rules (932xxx, 210151; a fifth fresh-eyes
// attack's F13: a Markdown notes file, a log and a pip requirements file
// were refused), and is read by the others: SQL injection and an OS file
// name in a log still are. A client's argument named as the file text is
// (…:filetext) is refused.
func TestFileTextNotCommands(t *testing.T) {
	tableOnly(t)
	file := func(name, filename, ctype, contents string) probe {
		body, ct := multipartFile("f", fmt.Sprintf("filename=%q", filename), ctype, contents)
		return probe{name: name, method: "POST", path: "/upload", contentType: ct, body: body}
	}
	misses := []probe{
		file("SQL injection in a log", "app.log", "text/plain", "2026-12-03 INFO start\nuser=x' UNION SELECT password FROM users --\n"),
		{name: "a query parameter named as file text", method: "GET", path: "/search?q%3Afiletext=x"},
	}
	// the CRS alone reads no file contents
	misses = append(misses, file("an OS file name in a log", "run.log", "text/x-log", "127.0.0.1; cat /etc/passwd\n"))
	benign := []probe{
		file("a Markdown notes file", "notes.md", "text/markdown",
			"# Notes\n\n| id | name | email |\n|---|---|---|\n| 1 | Bob | b@x.io |\n\nRun `ls` then `cat` the file.\nSet the `id` field to a UUID.\n"),
		file("a log file", "app.log", "text/plain", "2026-12-03 INFO start\n2026-12-03 WARN retry; sleep 5s\n2026-12-03 INFO ok | id=7\n"),
		file("a pip requirements file, single quotes", "requirements.txt", "text/plain", "flask==3.0\nrequests>=2.31; python_version>'3.8'\n"),
		file("a pip requirements file, double quotes", "requirements.txt", "text/plain", "flask==3.0\nrequests>=2.31; python_version>\"3.8\"\n"),
		file("a shell history in a support ticket", "steps.txt", "text/plain", "$ uname -a\nLinux box 6.1\n$ whoami\nbob\n$ ps aux | head\n"),
		// near attack 13's trailing pipe (210158): a notes file's last line
		file("notes ending in a command and a pipe", "notes.txt", "text/plain", "To page the list, pipe it:\nid|\n"),
	}
	runBeyondTheCRS(t, nil, misses, benign)
	_ = caddy.Stop()
	// a file part's field named so: refused (400) by the additions' own
	// check. The CRS alone refuses it in most runs, not all (922130 on
	// the part's header, with 920350 for a numeric Host, makes the score;
	// 922130 did not fire in about one run in six), so it is no probe of
	// runBeyondTheCRS's, which wants the CRS alone's answer fixed.
	base, hits := startCaddy(t, "waf")
	body, ct := multipartFile("f:filetext", `filename="a.txt"`, "text/plain", "hello")
	if code, _ := send(t, base, probe{name: "a file part's field named as file text", method: "POST", path: "/upload", contentType: ct, body: body}); code != http.StatusBadRequest || *hits != 0 {
		t.Errorf("a file part's field named as file text: %d (upstream hits %d), want 400", code, *hits)
	}
}
