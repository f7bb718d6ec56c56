package waf

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestXMLValues: the engine's XML processor reads what Coraza's read
// (attribute values, trimmed text nodes, HTML's entities, a document cut
// short) and documents declared in the single-byte charsets the CRS
// allows, decoded; another declared charset is an error (REQBODY_ERROR).
func TestXMLValues(t *testing.T) {
	for _, c := range []struct {
		doc          string
		attrs, texts []string
		err          bool
	}{
		{doc: `<r a="1"><q b="x y">  hello  </q><e/>tail</r>`, attrs: []string{"1", "x y"}, texts: []string{"hello", "tail"}},
		{doc: `<r><q>caf&eacute; &amp; &lt;b&gt;&nbsp;</q></r>`, texts: []string{"café & <b>"}},
		{doc: `<r><q>1' UNION <![CDATA[SELECT]]> x</q></r>`, texts: []string{"1' UNION", "SELECT", "x"}},
		{doc: `<r><q>cut short`, texts: []string{"cut short"}},
		{doc: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r a=\"\xe9\"><q>Caf\xe9</q></r>", attrs: []string{"é"}, texts: []string{"Café"}},
		{doc: "<?xml version=\"1.0\" encoding=\"windows-1252\"?><r><q>\x93x\x94 \x80</q></r>", texts: []string{"\u201cx\u201d €"}},
		{doc: "<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><r><q>\xa4</q></r>", texts: []string{"€"}},
		{doc: `<?xml version="1.0" encoding="US-ASCII"?><r><q>plain</q></r>`, texts: []string{"plain"}},
		{doc: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><q>admin\uff07 --</q></r>", texts: []string{"admin\uff07 --"}},
		{doc: `<?xml version="1.0" encoding="UTF-16"?><r><q>x\xff</q></r>`, err: true},
		{doc: `<?xml version="1.0" encoding="Shift_JIS"?><r/>`, err: true},
		{doc: `<r><q>x</r>&bogus`, texts: []string{"x"}},
		// attack 38's: HTML's void elements are XML elements here (an RSS
		// feed's <link>, XML-RPC's <param>)
		{doc: `<rss><channel><link>https://example.com/</link><item><link>x</link></item></channel></rss>`, texts: []string{"https://example.com/", "x"}},
		{doc: `<methodCall><params><param><value><string>admin</string></value></param></params></methodCall>`, texts: []string{"admin"}},
		{doc: `<r><LINK>a</LINK><wsdl:input>b</wsdl:input><meta>c</meta></r>`, texts: []string{"a", "b", "c"}},
	} {
		attrs, texts, err := xmlValues(strings.NewReader(c.doc))
		if (err != nil) != c.err {
			t.Errorf("xmlValues(%q): error %v, want one: %v", c.doc, err, c.err)
			continue
		}
		if !slices.Equal(attrs, c.attrs) || !slices.Equal(texts, c.texts) {
			t.Errorf("xmlValues(%q) = %q, %q; want %q, %q", c.doc, attrs, texts, c.attrs, c.texts)
		}
	}
}

// FuzzXMLValues: any document is read without a panic, and what is read
// is UTF-8 text nodes, trimmed and not empty.
func FuzzXMLValues(f *testing.F) {
	for _, s := range []string{`<r a="1"><q>x</q></r>`, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>\xe9</r>", `<r><![CDATA[x]]><!--c--></r>`, `<?xml version="1.0" encoding="UTF-16"?>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		_, texts, err := xmlValues(strings.NewReader(doc))
		if err != nil {
			return
		}
		for _, s := range texts {
			if s == "" || strings.TrimSpace(s) != s {
				t.Fatalf("xmlValues(%q): text %q not trimmed", doc, s)
			}
			if utf8.ValidString(doc) && !utf8.ValidString(s) {
				t.Fatalf("xmlValues(%q): text %q not UTF-8", doc, s)
			}
		}
	})
}
