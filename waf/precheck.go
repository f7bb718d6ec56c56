package waf

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// What the CRS on Coraza does not see in a request body, or sees at a cost
// past the bound docs/waf.md states, looked at before the engine reads the
// (already bounded) body.

// maxFileParts bounds the file parts of a multipart body: Coraza writes
// each one to a temporary file (about a millisecond of system time each),
// so a body of hundreds of empty file parts cost 200-400 ms.
const maxFileParts = 16

// errTooManyParts refuses a multipart body with more parts than the
// arguments allowed, or more file parts than maxFileParts.
var errTooManyParts = errors.New("too many multipart parts")

// errMultipartAmbiguous refuses a multipart body that another parser would
// split otherwise than the engine does (ambiguousMultipart).
var errMultipartAmbiguous = errors.New("a multipart body whose boundary other parsers read otherwise")

// errTooManyXMLNodes refuses an XML body of more elements, text nodes,
// attributes, comments and instructions than the arguments allowed.
var errTooManyXMLNodes = errors.New("too many XML nodes")

// errXMLTextTooLong refuses an XML body whose elements' joined texts
// (xmlArguments) add up to more than xmlJoinedBound times the body.
var errXMLTextTooLong = errors.New("XML elements' joined text longer than its bound")

// xmlJoinedBound bounds the bytes of the joined texts xmlArguments makes,
// as a multiple of the body's length: a record's text is joined again
// by each element around it that holds more text, so a document of
// records in lists in sections joins its text three or four times.
const xmlJoinedBound = 4

// errNamesTooLong refuses a JSON body whose arguments' names add up to
// more bytes than the body itself (or minNameBudget, for a small body).
// The engine names each leaf by its whole path (json.a.b.c), and the rules
// read the names: a body of 900 nested objects with 10 leaves at the
// bottom is 14 KB but names 100 KB, which cost 0.3-0.7 s of CPU, past the
// bound docs/waf.md states. An ordinary document's names are shorter than
// it (each key is written in it once, and a leaf's path repeats only its
// parents' keys).
var errNamesTooLong = errors.New("JSON argument names longer than the body")

// minNameBudget is the least name budget: a small body's leaves may name
// a few levels of parents each.
const minNameBudget = 16 << 10

// argument is one more argument the rules see (as a body argument).
type argument struct{ name, value string }

// bodyChecks returns the arguments the engine does not make of a body:
//   - JSON: the keys whose value is an empty object or array, as Coraza
//     names arguments (json.a.b, json.list.0), with an empty value: its
//     JSON reader makes arguments of leaves only, so such a key ({"$ne":
//     []}, {"__proto__": {"isAdmin": {}}}, {"<script>": {}}) reached the
//     upstream uninspected;
//   - XML: attribute values (xml.attr.<name>), processing instructions and
//     declarations such as DOCTYPE (xml.directive): the CRS reads element
//     text only;
//   - multipart: the file names (multipart.filename), which few rules read.
//
// It also returns the values the engine makes arguments of (JSON string
// leaves, form and multipart fields), for decodedArguments. For a
// multipart body it returns errTooManyParts past maxParts parts or
// maxFileParts file parts.
func bodyChecks(contentType string, body []byte, maxParts int) (extra, values []argument, err error) {
	mt, params, perr := mime.ParseMediaType(contentType)
	if perr != nil {
		return nil, nil, nil // the engine's own checks refuse what it cannot parse
	}
	switch {
	case isJSONMedia(mt):
		empty, leaves, _, keys, names := jsonWalk(body) // the engine names the other leaves itself
		if names > max(len(body), minNameBudget) {
			return nil, nil, errNamesTooLong
		}
		for _, k := range empty {
			extra = append(extra, argument{k, ""})
		}
		return append(extra, keys...), leaves, nil
	case mt == "application/x-www-form-urlencoded":
		// JSON sent as a form: its leaves are arguments (the engine
		// makes one form name of the whole document)
		leaves, err := jsonLeaves(body)
		if leaves == nil && (!plainQuery(string(body)) || numberNamed(string(body))) || leaves != nil && !wholeJSON(body) {
			// a field not plainly named, or named by a number, or JSON
			// and more: the body whole too, for an application that
			// reads it whatever its type (PHP's php://input, Go's
			// io.ReadAll, Flask's get_data): curl -d "1' or '1'='1"
			// sends a form (attack 71), and so does 0=0 (every row in
			// WHERE id = 0=0, a review)
			leaves = append(leaves, argument{"body.text", string(body)})
		}
		return leaves, append(formValues(body), leaves...), err
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		leaves, err := jsonLeaves(body)
		if err != nil {
			return nil, nil, err
		}
		extra, texts, err := xmlArguments(body, maxParts)
		// JSON sent as XML: its leaves are arguments
		return append(extra, leaves...), append(leaves, texts...), err
	case mt == "multipart/form-data" && params["boundary"] != "":
		if ambiguousMultipart(contentType, body, params["boundary"]) {
			return nil, nil, errMultipartAmbiguous
		}
		return countParts(body, params["boundary"], maxParts)
	}
	// text/plain (the CRS refuses other types, 920420): the engine reads
	// it as a form, split at & and =, while the application reads it
	// whole (Express's text(), Flask's get_data(as_text=True), Spring's
	// @RequestBody String, what fetch(url, {body: text}) sends): ' or ''='
	// was a name ' or '' and a value ', and 1' or '1'='1 passed every
	// rule (a fresh-eyes attack, attack 69). JSON's leaves are arguments
	// (jsonLeaves); any other text is inspected whole too, as one
	// argument (JavaScript or JSON5 object text, [{$unionWith:'x'}],
	// since an earlier attack)
	leaves, err := jsonLeaves(body)
	if err == nil && len(bytes.TrimSpace(body)) > 0 && !wholeJSON(body) {
		// whole unless it is one JSON document and nothing else, whose
		// leaves are read: the reading of JSON stops after the first
		// document, so {"a":"x"}{"b":"<script>..."} was read as a's leaf
		// alone once the engine's form pieces were dropped (attack 71's
		// fix, found the same hour)
		leaves = append(leaves, argument{"body.text", string(body)})
	}
	return leaves, leaves, err
}

// wholeJSON: body is one JSON document as Go reads it, with nothing but
// white space (and a byte order mark) around it.
func wholeJSON(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n\f\v\ufeff")
	doc, ok := firstJSONValue(b)
	return ok && len(bytes.TrimSpace(b[len(doc):])) == 0
}

// isJSONMedia: the media type mt (lowercase, without parameters) is
// JSON's, which the engine reads with its JSON reader.
func isJSONMedia(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// jsonMedia: the Content-Type header contentType names JSON's media type.
func jsonMedia(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && isJSONMedia(mt)
}

// formValues reads a urlencoded body's fields as the engine does (a
// malformed escape is left as it is), for decodedArguments.
func formValues(body []byte) []argument {
	var out []argument
	for field := range strings.SplitSeq(string(body), "&") {
		if field == "" {
			continue
		}
		k, v, _ := strings.Cut(field, "=")
		out = append(out, argument{formUnescape(k), formUnescape(v)})
	}
	return out
}

// separatorArguments are the arguments Rails and Rack make of a
// query and of the Cookie header that the engine does not: Rails' query
// parser (and Rack 2.2's, WEBrick's, Ruby's CGI) splits a query on ;
// as on & (?a=1;q=P is a=1 and q=P, where the engine reads a as
// "1;q=P": every reading anchored at a value's start missed P), and Rack
// before 2.2.3 and 2.1.4 (CVE-2020-8184's fix) split the Cookie header
// on , as on ; (a=x, q=P): a forty-second fresh-eyes attack (attack 42)
// passed 201 of 699 of the additions' payloads so in the query and 268
// in a cookie. Each part of a piece that holds the separator and an = is
// an argument (percent- and +-decoded); a query or cookie without ; or
// , costs a byte scan.
//
// A query with a part whose name is not plainly a name (?1' or '1'='1,
// ?5 or id=id, ?5%20or%20rowid, ?5 or rowid&rowid) is an argument whole
// too, query.text: the engine splits it at & and at its first = into
// names and values that neither read as SQL, and the rules read no
// names, while an application that reads the query string whole (PHP's
// QUERY_STRING, Flask's query_string, /item?123) gets the injection
// (attack 69, a review).
func separatorArguments(rawQuery string, cookies []string) []argument {
	var out []argument
	if !plainQuery(rawQuery) {
		out = append(out, argument{"query.text", formUnescape(rawQuery)})
	}
	split := func(s, first, more string) {
		for piece := range strings.SplitSeq(s, first) {
			if !strings.Contains(piece, more) {
				continue
			}
			// every part, the first too: the engine reads the first
			// one's value with what follows it (q=`id`, a=b is q =
			// "`id`, a=b" to it: attack 43)
			for p := range strings.SplitSeq(piece, more) {
				// a part without = is a name without a value, which
				// carries nothing to an application (ids=1,2,3 in a
				// cookie makes no arguments)
				k, v, ok := strings.Cut(strings.TrimLeft(p, " "), "=")
				if ok {
					out = append(out, argument{formUnescape(k), formUnescape(v)})
				}
			}
		}
	}
	if strings.IndexByte(rawQuery, ';') >= 0 {
		split(rawQuery, "&", ";")
	}
	for _, c := range cookies {
		if strings.IndexByte(c, ',') >= 0 {
			split(c, ";", ",")
		}
	}
	return out
}

// plainQuery: every part of the query (split at & and ;) is named
// plainly, or there is none.
func plainQuery(rawQuery string) bool {
	for rawQuery != "" {
		part := rawQuery
		if i := strings.IndexAny(rawQuery, "&;"); i >= 0 {
			part, rawQuery = rawQuery[:i], rawQuery[i+1:]
		} else {
			rawQuery = ""
		}
		if part = strings.TrimLeft(part, " "); part == "" {
			continue
		}
		name, _, _ := strings.Cut(part, "=")
		if !plainName(formUnescape(name)) {
			return false
		}
	}
	return true
}

// numberNamed: a field of the form body is named by a number or a sign
// (0=0, id=1&0=0: what a form does not send, every row in WHERE id =
// <body>).
func numberNamed(body string) bool {
	for i := 0; i < len(body); i++ {
		if (i == 0 || body[i-1] == '&') && (body[i] >= '0' && body[i] <= '9' || body[i] == '-' || body[i] == '+') {
			return true
		}
	}
	return false
}

// plainName: s is a parameter's name as forms and APIs write them:
// letters, digits and _ . - [ ].
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !identByte(s[i], ".-[]") {
			return false
		}
	}
	return s != ""
}

func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return lenientUnescape(strings.ReplaceAll(s, "+", " "))
}

// xmlArguments reads an XML document (at most body_limit bytes) for what
// the CRS does not inspect: attribute values, processing instructions,
// directives (DOCTYPE, ENTITY) and comments. Elements and text nodes count
// as the arguments they cost the engine: past maxArgs the body is refused
// (errTooManyXMLNodes), as too many fields are. It also returns the values
// that may carry an encoded text, for decodedArguments: the attributes'
// and the text nodes' (xml.text.<element>).
//
// An element's text split into nodes by comments, processing
// instructions, CDATA sections or child elements (1' UNION
// SEL<!---->ECT password ..., 1' UNION <![CDATA[SELECT]]> ..., 1' UNION
// SEL<b/>ECT ...) is one argument more, xml.text.<element>: the text of
// every node inside it joined, as a parser hands it to an application
// that reads the element's text (the DOM's textContent, .NET's
// InnerText, ElementTree's itertext, XPath's string()). The engine reads
// each node alone, and fresh-eyes attacks passed SQL, Ruby and template
// code split so (attack 35 with comments and CDATA, attack 36 with child
// elements). An element whose text is one node costs nothing more, nor
// does one whose joined text is its last child's (an envelope around a
// body); the joined texts are bounded by xmlJoinedBound times the body
// (past it, errXMLTextTooLong) and count as nodes.
func xmlArguments(body []byte, maxArgs int) (out, values []argument, err error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.CharsetReader = xmlCharsetReader // as the engine reads it (xmlBody)
	nodes := 0
	element := "" // the innermost element started
	// text: every text node's bytes in document order; each open
	// element, where its text starts in it and how many text nodes of
	// more than white space came before it
	var text []byte
	type open struct {
		name          string
		start, pieces int
		mixed         bool // text of more than white space came right in it
	}
	var stack []open
	pieces := 0
	last := ""                           // the last joined text made an argument
	budget := xmlJoinedBound * len(body) // bytes of joined text left
	closeTop := func() error {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if pieces-top.pieces < 2 {
			return nil
		}
		t := bytes.TrimSpace(text[top.start:])
		if len(t) == 0 || string(t) == last {
			return nil
		}
		if budget -= len(t); budget < 0 {
			return errXMLTextTooLong
		}
		last = string(t)
		nodes++
		out = append(out, argument{"xml.text." + top.name, last})
		values = append(values, argument{"xml.text." + top.name, last})
		return nil
	}
	for first := true; ; first = false {
		tok, err := dec.RawToken()
		if err != nil {
			for len(stack) > 0 {
				if err := closeTop(); err != nil {
					return nil, nil, err
				}
			}
			if nodes+len(out) > maxArgs {
				return nil, nil, errTooManyXMLNodes
			}
			return out, values, nil // io.EOF, or what the engine refuses as it parses it
		}
		switch t := tok.(type) {
		case xml.StartElement:
			nodes++
			element = t.Name.Local
			stack = append(stack, open{name: element, start: len(text), pieces: pieces})
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue // a namespace declaration names a namespace, not data
				}
				name := a.Name.Local
				if a.Name.Space != "" {
					// prefix_name, not prefix:name: the CRS's 941130 reads
					// "xlink:href" in ARGS_NAMES as XSS, and every SVG has one
					// (attack 38's false positive); the value is read all the same
					name = a.Name.Space + "_" + name
				}
				out = append(out, argument{"xml.attr." + name, a.Value})
				values = append(values, argument{"xml.attr." + name, a.Value})
			}
		case xml.EndElement:
			if len(stack) > 0 {
				if err := closeTop(); err != nil {
					return nil, nil, err
				}
			}
		case xml.CharData:
			trimmed := bytes.TrimSpace(t)
			if len(trimmed) == 0 {
				// white space between elements (a pretty-printed
				// document's line breaks and indentation) is one space
				// in the joined text: the CRS's 932235 read a child's
				// text after a line break as a command at a line's start
				// ("\n<description>Join us ..."), and every pretty-printed
				// RSS item, SOAP call or POM starting so was refused,
				// crs_only too (attack 42's false positive). In an element
				// with text of its own before it (mixed content:
				// <host>127.0.0.1<x/>\n<x/>id</host>) it is kept: a line
				// break there may be a command's separator.
				if len(stack) > 0 && stack[len(stack)-1].mixed {
					text = append(text, t...)
				} else {
					text = append(text, ' ')
				}
				continue
			}
			if len(stack) > 0 {
				stack[len(stack)-1].mixed = true
			}
			text = append(text, t...)
			pieces++
			nodes++
			values = append(values, argument{"xml.text." + element, string(trimmed)})
		case xml.ProcInst:
			if !(first && t.Target == "xml" && xmlDeclaration.Match(t.Inst)) {
				out = append(out, argument{"xml.procinst", t.Target + " " + string(t.Inst)})
			}
		case xml.Directive:
			if !w3cDoctype.Match(t) {
				out = append(out, argument{"xml.directive", string(t)})
			}
		case xml.Comment:
			out = append(out, argument{"xml.comment", string(t)})
		}
		if nodes+len(out) > maxArgs {
			return nil, nil, errTooManyXMLNodes
		}
	}
}

// w3cDoctype is a W3C document type (XHTML, SVG, MathML) by its public
// identifier and a system identifier on www.w3.org, with no internal
// subset: not handed to the rules, which pass it (210160) or read it as
// XSS (the CRS's 941130 reads "xhtml": attack 38's false positive on an
// XHTML 1.0 Strict document).
var w3cDoctype = regexp.MustCompile(`(?i)\ADOCTYPE\s+[^\s\[>]+\s+PUBLIC\s+["']-//W3C//[^"']*["']\s+["']https?://www\.w3\.org/[^"'\s]*["']\s*\z`)

// xmlDeclaration is what a document's <?xml ...?> may hold and no more
// (the only processing instruction left uninspected, and only first).
var xmlDeclaration = regexp.MustCompile(`^\s*version\s*=\s*("1\.[0-9]"|'1\.[0-9]')(\s+encoding\s*=\s*("[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(\s+standalone\s*=\s*("(yes|no)"|'(yes|no)'))?\s*$`)

// jsonEmptyContainers walks a JSON document (at most body_limit bytes)
// and names the members and elements whose value is {} or [].
func jsonEmptyContainers(body []byte) []string {
	empty, _, _, _, _ := jsonWalk(body)
	return empty
}

// jsonWalk walks a JSON document (at most body_limit bytes): it names the
// members and elements whose value is {} or [], and returns the string
// leaves, named as the engine names them (json.a.b, json.list.0), the
// other leaves (numbers, true, false, null) of members whose key is not
// a plain word (wordKey: the engine makes arguments of them too, which
// JSON read from a value must as well, or {"$ne": 1} in a parameter has
// no $ne in it once its key is escaped, {'\x24ne': 1}: an eighth
// fresh-eyes attack, attack 12; only those, so that [1, 2, ...] and
// {"limit": 10} add no arguments), and the bytes of the
// names of all the arguments the engine makes of it (every leaf, and each
// empty container). keys are the members' keys that are not a plain
// word and hold a character of code (codeKey), each as an argument named by its member's path and
// suffixKey: the engine names a member json.<key> and reads that name
// as ARGS_NAMES, so a rule that reads a value from its start never sees
// a key's first byte ({"1 OR sleepEachRow(3)": 1}, {"system \"id\"": 1}
// passed: attack 32); as an argument of its own the key is read as any
// value is.
func jsonWalk(body []byte) (empty []string, leaves, scalars, keys []argument, names int) {
	return jsonWalkBounded(body, max(len(body), minNameBudget), true)
}

// jsonWalkBounded is jsonWalk with the bound on the names given (past it,
// names is overNames and the walk stops), counting the names of every
// leaf (all: a body's, whose leaves the engine names itself) or of the
// arguments it returns only (JSON inside a value, whose other leaves
// become no argument: a review found ?ids=[0,1,...] of 4,000 numbers
// refused when they counted).
func jsonWalkBounded(body []byte, limit int, all bool) (empty []string, leaves, scalars, keys []argument, names int) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// The path of the value being read is built in one buffer, each level
	// the length of its own path in it, and made a string only for an
	// argument: a string per level made [[[[...]]]] of 16 KiB cost 66 MB
	// and 255 ms (each level's path copied its parent's). Past the names'
	// bound the walk stops (overNames): the document is refused, and a
	// value of many leaves at depth costs no more.
	type level struct {
		path   int // the length of its path in buf
		array  bool
		index  int
		key    string // the member being read, in an object
		hasKey bool
		empty  bool // nothing in it yet
	}
	var stack []level
	buf := make([]byte, 0, 64)
	buf = append(buf, "json"...)
	child := func() []byte { // the path of the value being read, in buf
		if len(stack) == 0 {
			return buf[:4]
		}
		top := &stack[len(stack)-1]
		b := append(buf[:top.path], '.')
		if top.array {
			b = strconv.AppendInt(b, int64(top.index), 10)
		} else {
			b = append(b, top.key...)
		}
		buf = b
		return b
	}
	done := func() { // a value of the top container was read
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		top.empty = false
		if top.array {
			top.index++
		} else {
			top.hasKey = false
		}
	}
	for {
		if names > limit {
			return empty, leaves, scalars, keys, overNames
		}
		tok, err := dec.Token()
		if err != nil {
			return empty, leaves, scalars, keys, names // io.EOF, or a body the engine refuses as it parses it
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, level{path: len(child()), array: t == '[', empty: true})
			case '}', ']':
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if top.empty && len(stack) > 0 {
					empty = append(empty, string(buf[:top.path]))
					names += top.path
				}
				done()
			}
		case string:
			if len(stack) > 0 && !stack[len(stack)-1].array && !stack[len(stack)-1].hasKey {
				stack[len(stack)-1].key, stack[len(stack)-1].hasKey = t, true
				if codeKey(t) {
					keys = append(keys, argument{string(child()) + suffixKey, t})
					names += len(keys[len(keys)-1].name)
				}
				continue
			}
			leaves = append(leaves, argument{string(child()), t})
			names += len(leaves[len(leaves)-1].name)
			done()
		default:
			n := child()
			if all {
				names += len(n)
			}
			if top := len(stack) - 1; top >= 0 && !stack[top].array && !wordKey(stack[top].key) {
				v := "null"
				switch t := tok.(type) {
				case json.Number:
					v = string(t)
				case bool:
					v = strconv.FormatBool(t)
				}
				scalars = append(scalars, argument{string(n), v})
				if !all {
					names += len(n)
				}
			}
			done()
		}
	}
}

// overNames is jsonWalk's names for a document whose arguments' names
// went past its bound (the body's length, at least minNameBudget), where
// it stopped: over every caller's bound.
const overNames = math.MaxInt

// codeKey: k holds a character an injection needs (a quote, a bracket,
// an operator: keyChars): such a key is also an argument of its own
// (jsonWalk's keys). Keys of words, spaces, dots and punctuation
// ("Hello, world!", "a.b", "$ne", "user@example.com") are not: a
// dictionary's keys do not count twice against max_arguments.
func codeKey(k string) bool { return strings.ContainsAny(k, keyChars) }

// keyChars are the characters codeKey looks for.
const keyChars = "'\"`()<>;|&=*%{}[]\\#^~+"

// wordKey: k is made of letters, digits, '_' and '-' only (and not empty).
func wordKey(k string) bool {
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return k != ""
}

// countParts refuses a multipart body with more than maxParts parts or
// more than maxFileParts file parts (a body that does not parse is left to
// the engine, which refuses it), and returns its file names as arguments.
func countParts(body []byte, boundary string, maxParts int) (out, values []argument, err error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	parts, files := 0, 0
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			return out, values, nil
		}
		parts++
		file := false
		cd := p.Header.Get("Content-Disposition")
		_, params, perr := mime.ParseMediaType(cd)
		if perr == nil {
			name, ok := params["filename"]
			if !ok {
				name, ok = params["filename*"]
			}
			if ok {
				files++
				file = true
				out = append(out, argument{"multipart.filename", name})
			}
		} else if strings.Contains(strings.ToLower(cd), "filename") {
			files++ // as Coraza's lenient reading may take it
			file = true
			out = append(out, argument{"multipart.filename", cd})
		}
		if !file && perr == nil && params["name"] != "" {
			// a field: the engine makes an argument of it (a part is
			// at most the body, which is at most body_limit)
			b, _ := io.ReadAll(p)
			values = append(values, argument{params["name"], string(b)})
		} else if file {
			// a file part that is JSON (a browser's FormData Blob of
			// type application/json is a file named "blob", Spring's
			// @RequestPart parses it): its leaves, for decodedArguments
			b, _ := io.ReadAll(p)
			if doc, ok := sniffJSON(b); ok {
				values = append(values, argument{"multipart.file." + params["name"], string(doc)})
			}
		}
		_, _ = io.Copy(io.Discard, p)
		if parts > maxParts || files > maxFileParts {
			return nil, nil, errTooManyParts
		}
	}
}

// ambiguousMultipart reports a multipart body that a backend's parser may
// split into other parts than the engine reads (Go's, which takes the
// boundary parameter, skips the preamble before the first delimiter line
// and the epilogue after the close delimiter). Attack 64 hid a whole
// part from the rules in `Content-Type: multipart/form-data;
// action="boundary=AAA"; boundary=BBB`, the part delimited by --AAA" in
// the preamble: PHP takes the first "boundary" anywhere in the header
// (rfc1867.c's strstr, then the same lowercased), Node's formidable the
// first "boundary=", older Rack the last; each read SQL injection, a
// script tag, a PHP shell upload as fields. So it is ambiguous when:
//   - "boundary", in any case, stands in the header elsewhere than as the
//     name of the one boundary parameter and inside its value (a browser's
//     ----WebKitFormBoundary... is fine), or the parameter's name is not
//     in lowercase while its value holds "boundary" (PHP's case-sensitive
//     search would find the value first);
//   - the preamble or the epilogue holds a line that starts with "--" (a
//     delimiter line of another boundary, or of this one after the close
//     delimiter, where a parser that reads on finds more parts). Clients
//     send neither; mail-style preambles of prose pass.
//
// Bounded: a few scans of the header and the body, which is at most
// body_limit.
func ambiguousMultipart(contentType string, body []byte, boundary string) bool {
	// ASCII lowercased byte for byte, as PHP's zend_str_tolower does:
	// strings.ToLower changes the length of some letters (Ⱥ, the Kelvin
	// sign), and an index in it would not be one in contentType
	lower := asciiLower(contentType)
	inValue := strings.Count(asciiLower(boundary), "boundary")
	if strings.Count(lower, "boundary") != 1+inValue {
		return true
	}
	i := strings.Index(lower, "boundary")
	before := strings.TrimRight(lower[:i], " \t")
	if !strings.HasSuffix(before, ";") {
		return true
	}
	if inValue > 0 && contentType[i:i+len("boundary")] != "boundary" {
		return true
	}
	// the value as PHP reads it (from right after the =, up to a closing
	// quote, or to a ',' or ';'; no blank skipped) and formidable's
	// expression (boundary=, then a quoted string or up to a ';') must be
	// the engine's: boundary= BBB is " BBB" to them and BBB to Go, so
	// lines "-- BBB" inside one of the engine's parts were their parts
	// (a review of attack 64's fix)
	v := contentType[i+len("boundary"):]
	if v == "" || v[0] != '=' {
		return true
	}
	v = v[1:]
	if strings.HasPrefix(v, `"`) {
		end := strings.IndexByte(v[1:], '"')
		if end < 0 || v[1:1+end] != boundary {
			return true
		}
		rest := strings.TrimLeft(v[2+end:], " \t")
		if rest != "" && rest[0] != ';' {
			return true
		}
	} else if end := strings.IndexAny(v, ",;"); end >= 0 && v[:end] != boundary || end < 0 && v != boundary {
		return true
	}
	delim := []byte("--" + boundary)
	if strayDelimiter(body, delim) {
		return true
	}
	first := lineStarting(body, delim, 0)
	if first < 0 {
		return false // no part: the engine reads none, nor does any parser
	}
	if dashLine(body[:first]) {
		return true
	}
	closing := append(delim, '-', '-')
	end := lineStarting(body, closing, first)
	if end < 0 {
		return false // no close delimiter: no epilogue (the engine refuses a body cut short)
	}
	epilogue := body[end+len(closing):]
	if nl := bytes.IndexByte(epilogue, '\n'); nl >= 0 {
		return dashLine(epilogue[nl+1:])
	}
	return false
}

// strayDelimiter reports a multipart body in which the delimiter stands
// otherwise than at the body's start or after a CRLF, followed by a CRLF
// or by the close delimiter's "--", or a part whose headers other
// parsers read otherwise (ambiguousPartHeaders). Go's reader (the
// engine's) takes a delimiter only at a line's start, after LF alone too,
// and skips a delimiter line's trailing blanks; inside a part it does not
// read whole (a .js file, a picture), lines that were delimiters to other
// parsers hid a field: after LF alone (PHP, Werkzeug), CR alone
// (Werkzeug, Django), or anywhere in a line (Django splits on the
// delimiter wherever it stands): attack 66. Clients write a delimiter at
// a CRLF line's start only, and a boundary that no content holds.
func strayDelimiter(body, delim []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], delim)
		if j < 0 {
			return false
		}
		k := i + j
		if k != 0 && (k < 2 || body[k-2] != '\r' || body[k-1] != '\n') {
			return true
		}
		rest := body[k+len(delim):]
		next := k + len(delim)
		switch {
		case bytes.HasPrefix(rest, []byte("--")):
		case bytes.HasPrefix(rest, []byte("\r\n")):
			n, ambiguous := ambiguousPartHeaders(rest[2:], delim)
			if ambiguous {
				return true
			}
			// on after the headers: each byte is read once (a review:
			// 16 KiB of "--B\r\n" before one blank line cost 0.3 s
			// when each delimiter read the headers to that line)
			next += 2 + n
		default:
			return true
		}
		i = next
	}
}

// ambiguousPartHeaders reports part headers (h, up to the blank line)
// that parsers read otherwise: a line break other than CRLF (Go ends the
// headers at a blank line of LF alone, Django at CRLF CRLF only, and read
// the part's Content-Transfer-Encoding otherwise: attack 66), a folded
// line, no blank line at all; in Content-Disposition, an escaped quote
// (Go unescapes \", Django counts quotes without it, and a filename then
// names a field), a single quote outside double quotes in a parameter
// that is not an extended one (PHP groups parameters in single quotes:
// name="q"; x='; filename="a.js"; y=' is a field to PHP, a file to Go),
// and an unquoted value with a separator in it (filename={a.js: Werkzeug's
// token stops at the brace, so no file name, a field).
// It returns the headers' length with their blank line. A delimiter
// inside them is ambiguous too (a part whose headers run into the next).
func ambiguousPartHeaders(h, delim []byte) (int, bool) {
	if bytes.HasPrefix(h, []byte("\r\n")) {
		return 2, false // no headers
	}
	end := bytes.Index(h, []byte("\r\n\r\n"))
	if end < 0 {
		return 0, true
	}
	h = h[:end]
	if bytes.Contains(h, delim) {
		return 0, true
	}
	for i, c := range h {
		if c == '\n' && (i == 0 || h[i-1] != '\r') || c == '\r' && (i+1 >= len(h) || h[i+1] != '\n') {
			return 0, true
		}
		if c == '\n' && i+1 < len(h) && (h[i+1] == ' ' || h[i+1] == '\t') {
			return 0, true // a folded line
		}
	}
	for rest := h; len(rest) > 0; {
		line := rest
		if nl := bytes.Index(rest, []byte("\r\n")); nl >= 0 {
			line, rest = rest[:nl], rest[nl+2:]
		} else {
			rest = nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		switch name := string(bytes.TrimSpace(line[:colon])); {
		case strings.EqualFold(name, "content-transfer-encoding"):
			// Go's reader (the engine's) decodes a quoted-printable part
			// and drops the header, so the rules read the joined text
			// while PHP, Werkzeug, busboy and Rack hand the application
			// the raw bytes: onfocus=<CRLF>alert(1), '=<CRLF>' passed
			// (attack 67). The CRS refuses the other encodings (922120).
			return 0, true
		case strings.EqualFold(name, "content-disposition"):
			if ambiguousDisposition(string(line[colon+1:])) {
				return 0, true
			}
		}
	}
	return end + 4, false
}

// ambiguousDisposition: a Content-Disposition value's parameters as
// ambiguousPartHeaders reads them.
func ambiguousDisposition(v string) bool {
	semi := strings.IndexByte(v, ';')
	if semi < 0 {
		return false
	}
	v = v[semi+1:]
	for v != "" {
		eq := strings.IndexByte(v, '=')
		if eq < 0 {
			return strings.ContainsAny(v, `'"\`)
		}
		name := strings.TrimSpace(v[:eq])
		if strings.ContainsAny(name, `'"\`) {
			return true
		}
		v = strings.TrimLeft(v[eq+1:], " \t")
		if strings.HasPrefix(v, `"`) {
			end := strings.IndexByte(v[1:], '"')
			if end < 0 || strings.IndexByte(v[1:1+end], '\\') >= 0 {
				return true
			}
			v = strings.TrimLeft(v[2+end:], " \t")
			if v != "" && v[0] != ';' {
				return true
			}
		} else {
			end := strings.IndexByte(v, ';')
			if end < 0 {
				end = len(v)
			}
			value := strings.TrimRight(v[:end], " \t")
			extended := strings.HasSuffix(name, "*")
			if strings.ContainsAny(value, `"\{}()<>@,:/[]?= `) || !extended && strings.IndexByte(value, '\'') >= 0 {
				return true
			}
			v = v[end:]
		}
		v = strings.TrimPrefix(v, ";")
	}
	return false
}

// asciiLower is s with its ASCII capitals lowercased, byte for byte (the
// same length as s).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// lineStarting is the index of the first line of b at or after from that
// starts with prefix, or -1.
func lineStarting(b, prefix []byte, from int) int {
	for i := from; i <= len(b)-len(prefix); {
		j := bytes.Index(b[i:], prefix)
		if j < 0 {
			return -1
		}
		if k := i + j; k == 0 || b[k-1] == '\n' {
			return k
		}
		i += j + 1
	}
	return -1
}

// dashLine reports a line of b that starts with "--".
func dashLine(b []byte) bool {
	return bytes.HasPrefix(b, []byte("--")) || bytes.Contains(b, []byte("\n--"))
}
