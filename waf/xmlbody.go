package waf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"golang.org/x/text/encoding/charmap"
)

// xmlBody is the engine's XML body processor ("xml", which Coraza's
// rules select with ctl:requestBodyProcessor=XML), registered in place of
// Coraza's own for the whole process: it reads a document as Coraza's
// does (not strict, HTML's entities; every
// attribute's value in XML://@*, every text node, trimmed, in XML:/*; a
// document cut short ends the reading, any other error is REQBODY_ERROR,
// which rule 200002 refuses), and also a document that declares one of
// the charsets the CRS allows in a Content-Type (ISO-8859-1, ISO-8859-15,
// windows-1252) or US-ASCII, which Coraza's refused with 400 whatever it
// held: <?xml version="1.0" encoding="ISO-8859-1"?> heads much of SOAP's
// and older systems' XML (a thirty-first fresh-eyes attack, attack 35,
// found it a false positive with crs_only too). Another declared charset
// (UTF-16, Shift_JIS, EBCDIC) is still refused: the rules read UTF-8.
type xmlBody struct{}

func init() {
	plugins.RegisterBodyProcessor("xml", func() plugintypes.BodyProcessor { return xmlBody{} })
}

// ProcessRequest reads the request's XML document into the XML
// collection.
func (xmlBody) ProcessRequest(r io.Reader, v plugintypes.TransactionVariables, _ plugintypes.BodyProcessorOptions) error {
	attrs, texts, err := xmlValues(r)
	if err != nil {
		return err
	}
	col := v.RequestXML()
	col.Set("//@*", attrs)
	col.Set("/*", texts)
	return nil
}

// ProcessResponse reads nothing, as Coraza's XML processor does.
func (xmlBody) ProcessResponse(io.Reader, plugintypes.TransactionVariables, plugintypes.BodyProcessorOptions) error {
	return nil
}

// xmlValues reads a document's attribute values and text nodes.
func xmlValues(r io.Reader) (attrs, texts []string, err error) {
	dec := xml.NewDecoder(r)
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = xmlCharsetReader
	for {
		// RawToken, without HTML's self-closing elements: Coraza's
		// reader closed <link>, <param>, <input>, <meta>, <img>, ...
		// itself, as HTML does, and then refused the document at their
		// end tag (400): every RSS 2.0 feed (<link>) and every XML-RPC
		// call (<param>) was refused (a thirty-fourth fresh-eyes attack,
		// attack 38). Tags need not match: the text and attributes are
		// read all the same, as the gateway's own XML reading does.
		tok, err := dec.RawToken()
		if err != nil {
			var syn *xml.SyntaxError
			if err == io.EOF || errors.As(err, &syn) && syn.Msg == "unexpected EOF" {
				return attrs, texts, nil
			}
			return nil, nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			for _, a := range t.Attr {
				attrs = append(attrs, a.Value)
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(t)); s != "" {
				texts = append(texts, s)
			}
		}
	}
}

// xmlCharsetReader decodes a document that declares US-ASCII or one of
// the single-byte charsets the CRS allows (tx.allowed_request_content_type_charset)
// to UTF-8; encoding/xml reads UTF-8 itself. A document that is valid
// UTF-8 is read as UTF-8 whatever it declares: an application that reads
// it by its Content-Type's charset=utf-8, or after its framework decoded
// the body as UTF-8 (Express, a Python str), sees that, and a review
// passed <?xml ... encoding="ISO-8859-1"?><r><q>admin＇ --</q></r> (the
// full-width apostrophe, which the WAF folds, read as three Latin-1
// letters). Read either way, its ASCII is the same bytes.
func xmlCharsetReader(label string, input io.Reader) (io.Reader, error) {
	var cm *charmap.Charmap
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii":
		cm = charmap.ISO8859_1
	case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin-9", "latin9":
		cm = charmap.ISO8859_15
	case "windows-1252", "cp1252", "x-cp1252":
		cm = charmap.Windows1252
	default:
		return nil, fmt.Errorf("xml: a document in %q: the WAF reads UTF-8, US-ASCII, ISO-8859-1, ISO-8859-15 and windows-1252", label)
	}
	rest, err := io.ReadAll(input) // at most the body, body_limit bytes
	if err != nil {
		return nil, err
	}
	if utf8.Valid(rest) {
		return bytes.NewReader(rest), nil
	}
	return cm.NewDecoder().Reader(bytes.NewReader(rest)), nil
}
