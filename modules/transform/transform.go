// Package transform is the `transform` handler (http.handlers.transform):
// it edits JSON request and response bodies (set, delete, rename on dot
// paths), with the edits made by internal/transform.
package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	engine "github.com/caddygateway/caddy-gateway/internal/transform"
)

func init() {
	caddy.RegisterModule(Transform{})
}

// defaultTransformMaxBody is max_body's default.
const defaultTransformMaxBody = 1 << 20

// Transform edits JSON request bodies before the handlers after it (the
// upstream) and JSON response bodies before the client: set, delete and
// rename on dot paths (user.id, items.0.name). A set's value is a JSON
// literal, or text with placeholders expanded per request and set as a
// JSON string, so `set user.id {http.auth.user.id}` puts the caller's
// identity, from jwt_auth, into what the upstream receives.
//
// Request bodies are edited when an upstream could read them as JSON (see
// requestKind: a media type holding "json", or no Content-Type and a body
// starting with { or [), and refused with 415 when they could be read as
// JSON but not edited (several Content-Type fields, a malformed JSON type,
// a charset but UTF-8, UTF-16 without a type, Content-Encoding). One that
// does not parse, or that holds a key twice (compared as decoders compare
// keys: after unescaping, regardless of case), is refused with 400; one
// larger than max_body with 413 (by Content-Length before reading it). The
// body is read once, into a buffer that grows with what arrives, and
// Content-Length set to the new length. Other bodies pass untouched.
//
// Response bodies are edited when their Content-Type holds json (any case:
// application/json, +json types, text/json, application/x-ndjson; a
// client reads them all as JSON) or, without a Content-Type, when the body
// starts with { or [; gzip, br and zstd responses are decoded and encoded
// again. Streams (text/event-stream, Incremental), 1xx, 204, 304 and
// answers to HEAD pass untouched; a request's Range and If-Range are
// dropped, so the document comes whole (a 206 would hold the fields a
// delete removes).
// An edited response gets its new Content-Length, a strong ETag made weak,
// and no Content-MD5 or digest fields. A JSON response that cannot be
// edited (invalid JSON, duplicate keys, an encoding it cannot decode, over
// max_body) is replaced by a 502 (on_error fail, the default: a delete of
// an internal field must not be skipped), or with on_error pass passed as
// it came and logged.
//
// Keys are matched regardless of case and escapes, as upstream decoders
// (Go's encoding/json among them) match them, and the document's own
// spelling is kept.
type Transform struct {
	// Operations on request bodies, in order.
	Request []TransformOp `json:"request,omitempty"`

	// Operations on response bodies, in order.
	Response []TransformOp `json:"response,omitempty"`

	// The largest body edited, in bytes. Larger request bodies are refused
	// (413); larger responses pass untouched. Default: 1MiB.
	MaxBody int64 `json:"max_body,omitempty"`

	// What a JSON response that cannot be edited gets (invalid JSON,
	// duplicate keys, too deep, an encoding it cannot decode, over
	// max_body): "fail" (default: a 502 with a JSON body, nothing of the
	// upstream's, since the operations, a delete of an internal field
	// say, were not applied) or "pass" (the response as the upstream sent
	// it, and a warning in the log).
	OnError string `json:"on_error,omitempty"`

	request, response *engine.Program
	logger            *zap.Logger
}

// TransformOp is one operation.
type TransformOp struct {
	// set, delete or rename.
	Op string `json:"op"`
	// The dot path of the value: user.id, items.0.name, tags.-1 (append,
	// set only).
	Path string `json:"path"`
	// rename: the new path.
	To string `json:"to,omitempty"`
	// set: a JSON literal (42, true, "text", {"a":1}), or text with
	// placeholders, set as a JSON string.
	Value string `json:"value,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Transform) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.transform",
		New: func() caddy.Module { return new(Transform) },
	}
}

// Provision compiles the operations.
func (t *Transform) Provision(ctx caddy.Context) error {
	t.logger = ctx.Logger()
	if t.MaxBody == 0 {
		t.MaxBody = defaultTransformMaxBody
	}
	if t.OnError == "" {
		t.OnError = "fail"
	}
	var err error
	if t.request, err = compileOps("request", t.Request); err != nil {
		return err
	}
	if t.response, err = compileOps("response", t.Response); err != nil {
		return err
	}
	return t.Validate()
}

func compileOps(side string, ops []TransformOp) (*engine.Program, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	specs := make([]engine.Spec, len(ops))
	for i, o := range ops {
		specs[i] = engine.Spec{Op: o.Op, Path: o.Path, To: o.To, Value: o.Value}
		if o.Op == "set" && !json.Valid([]byte(o.Value)) { // text with placeholders
			if err := caddykit.CheckTemplate(o.Value); err != nil {
				return nil, fmt.Errorf("%s: set %s: %v", side, o.Path, err)
			}
		}
	}
	p, err := engine.Compile(specs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", side, err)
	}
	return p, nil
}

// Validate checks the settings.
func (t *Transform) Validate() error {
	if t.MaxBody < 0 || t.MaxBody > 1<<30 {
		return errors.New("max_body must be between 1 byte and 1GiB")
	}
	if t.OnError != "" && t.OnError != "pass" && t.OnError != "fail" {
		return fmt.Errorf("on_error %q: want pass or fail", t.OnError)
	}
	if len(t.Request) == 0 && len(t.Response) == 0 {
		return errors.New("no operations: give a request or response block")
	}
	return nil
}

// transformBufs recycles the buffers bodies are read into.
var transformBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return transformBufs.Get().(*bytes.Buffer) }

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 4<<20 { // do not keep the rare huge one
		b.Reset()
		transformBufs.Put(b)
	}
}

// ServeHTTP edits the request body, then the response body.
func (t *Transform) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	expand := func(s string) string {
		if repl == nil {
			return s
		}
		return repl.ReplaceAll(s, "")
	}
	if t.request != nil && r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		if ok, err := t.transformRequest(w, r, expand); !ok {
			return err
		}
	}
	if t.response == nil || r.Method == http.MethodHead {
		return next.ServeHTTP(w, r)
	}
	// a range of the upstream's document is part of what the operations
	// were to edit (a cache or the upstream would answer 206 with the
	// deleted fields in it): the whole document is asked for, and a 200
	// answers the range request, as a server may
	delete(r.Header, "Range")
	delete(r.Header, "If-Range")
	tw := &transformWriter{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}, t: t, expand: expand}
	err := next.ServeHTTP(tw, r)
	if tw.buf != nil {
		defer putBuf(tw.buf)
	}
	if err != nil {
		if tw.mode == modeTransform && !tw.flushed {
			// nothing was sent: let the error handling answer
			tw.discard()
		}
		return err
	}
	return tw.finish()
}

// transformRequest edits a request body the upstream could read as JSON;
// it returns false (and the error) when it answered the request instead.
//
// The new body is not in a pooled buffer: Go's transport may still be
// reading a request body after the handler is done (when the upstream
// answers before reading it all), and a recycled buffer would then send
// another request's bytes.
func (t *Transform) transformRequest(w http.ResponseWriter, r *http.Request, expand func(string) string) (bool, error) {
	kind, why := requestKind(r.Header)
	switch kind {
	case bodyOther:
		return true, nil
	case bodyRefused:
		caddykit.CloseUnread(w, r)
		return false, caddykit.Refuse(w, r, http.StatusUnsupportedMediaType, why,
			append(append([]byte(`{"error":"unsupported media type","error_description":`), strconv.Quote(why)...), "}\n"...))
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		caddykit.CloseUnread(w, r)
		return false, caddykit.Refuse(w, r, http.StatusUnsupportedMediaType, "compressed JSON request bodies are not accepted here",
			[]byte(`{"error":"unsupported media type","error_description":"send the JSON body without Content-Encoding"}`+"\n"))
	}
	if kind == bodyJSON && r.ContentLength > t.MaxBody {
		return false, t.tooLarge(w, r) // before reading: a client that sent Expect: 100-continue never sends it
	}
	buf := make([]byte, 0, readStart(r.ContentLength, t.MaxBody))
	var err error
	if kind == bodyUndeclared {
		var first byte
		var eof bool
		if buf, first, eof, err = sniff(r.Body, buf, t.MaxBody); err != nil {
			_ = r.Body.Close()
			if errors.Is(err, errNotUTF8) {
				caddykit.CloseUnread(w, r)
				return false, caddykit.Refuse(w, r, http.StatusUnsupportedMediaType, err.Error(),
					append(append([]byte(`{"error":"unsupported media type","error_description":`), strconv.Quote(err.Error())...), "}\n"...))
			}
			return false, caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("reading the request body: %w", err))
		}
		switch {
		case first == 0 && eof: // blanks, or nothing: as it came
			_ = r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(buf))
			return true, nil
		case first != 0 && first != '{' && first != '[': // not JSON: what was read, then the rest
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
			return true, nil
		case first == 0 || r.ContentLength > t.MaxBody: // blanks past max_body, or JSON declared larger
			_ = r.Body.Close()
			return false, t.tooLarge(w, r)
		}
	}
	buf, err = readUpTo(r.Body, buf, t.MaxBody)
	_ = r.Body.Close()
	if err != nil {
		return false, caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("reading the request body: %w", err))
	}
	if int64(len(buf)) > t.MaxBody {
		return false, t.tooLarge(w, r)
	}
	if len(buf) == 0 { // an empty body (sent chunked): nothing to edit
		r.Body, r.ContentLength = http.NoBody, 0
		return true, nil
	}
	out, _, err := t.request.ApplyInPlace(buf, expand)
	if err != nil {
		msg := "the request body is not valid JSON"
		switch {
		case errors.Is(err, engine.ErrDuplicateKey):
			msg = "the request body has an object with the same key twice"
		case !errors.Is(err, engine.ErrInvalidJSON):
			// valid JSON of another shape than the edit needs (set
			// user.id where user is a string)
			msg = "the request body's JSON does not have the shape this route's transform edits: " + err.Error()
		}
		if ce := t.logger.Check(zap.DebugLevel, "refused a request body"); ce != nil {
			ce.Write(zap.Error(err))
		}
		body := append(append([]byte(`{"error":"bad request","error_description":`), strconv.Quote(msg)...), "}\n"...)
		return false, caddykit.Refuse(w, r, http.StatusBadRequest, msg, body)
	}
	r.Body = io.NopCloser(bytes.NewReader(out))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(out)), nil }
	r.ContentLength = int64(len(out))
	r.Header["Content-Length"] = []string{strconv.Itoa(len(out))}
	r.TransferEncoding = nil
	return true, nil
}

// What a request body is to transform.
type bodyKind uint8

const (
	bodyOther      bodyKind = iota // declared, and not JSON: passes untouched
	bodyJSON                       // declared JSON: edited, or refused
	bodyUndeclared                 // no Content-Type: edited when it is JSON
	bodyRefused                    // a Content-Type that cannot be trusted: 415
)

// requestKind sorts a request body by its Content-Type, the way the most
// lenient upstream would, so that no body an upstream reads as JSON passes
// unedited:
//
//   - no Content-Type, or an empty one: undeclared (FastAPI, for one,
//     reads such a body as JSON; sniff decides);
//   - several Content-Type fields: refused (the upstream may read any of
//     them; Go's proxy forwards them all);
//   - a media type (what comes before the first ";") without "json" in it,
//     in any case: not JSON, untouched;
//   - one with "json" in it (application/json, */*+json, text/json,
//     application/jsonx, "application/json x"): JSON, if it parses as one
//     media type (mime.ParseMediaType: no trailing junk, no second type
//     after a comma, no RFC 2231 parameters) with no charset but utf-8;
//     otherwise refused, for upstreams read such types by their prefix
//     (Echo), by the part before a space (Gin), or decode the charset.
//
// The common case, a type without json, costs a scan and no allocation.
func requestKind(h http.Header) (bodyKind, string) {
	cts := h["Content-Type"]
	switch len(cts) {
	case 0:
		return bodyUndeclared, ""
	case 1:
	default:
		return bodyRefused, "the request has several Content-Type fields"
	}
	ct := cts[0]
	mt := ct
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		mt = ct[:i]
	}
	if !hasJSON(mt) {
		if strings.TrimSpace(ct) == "" {
			return bodyUndeclared, ""
		}
		return bodyOther, ""
	}
	if strings.EqualFold(ct, "application/json") {
		return bodyJSON, ""
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil || strings.IndexByte(ct, '*') >= 0 {
		return bodyRefused, "the Content-Type is not one JSON media type"
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return bodyRefused, "send JSON in UTF-8 (charset=utf-8, or no charset)"
	}
	return bodyJSON, ""
}

// hasJSON tells whether s holds "json", in any case.
func hasJSON(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if s[i]|0x20 == 'j' && s[i+1]|0x20 == 's' && s[i+2]|0x20 == 'o' && s[i+3]|0x20 == 'n' {
			return true
		}
	}
	return false
}

// errNotUTF8: an undeclared body that decoders could read as JSON in
// another encoding.
var errNotUTF8 = errors.New("send JSON in UTF-8, declared with Content-Type: application/json")

// sniff reads an undeclared body until its first byte that is not blank
// (at most max+1 bytes) and returns it (0: none, the body is blanks so
// far); { or [ make it JSON, the documents with fields. A body that starts
// with a byte order mark, or with a NUL in its first two bytes, is refused
// (errNotUTF8): Python's json decodes such bodies as UTF-8 with a BOM,
// UTF-16 or UTF-32.
func sniff(rd io.Reader, buf []byte, max int64) (_ []byte, first byte, eof bool, err error) {
	for {
		buf, eof, err = readMore(rd, buf, max)
		if err != nil {
			return buf, 0, false, err
		}
		if len(buf) < 4 && !eof {
			continue
		}
		if len(buf) > 0 && buf[0] == 0 || len(buf) > 1 && buf[1] == 0 ||
			bytes.HasPrefix(buf, []byte{0xef, 0xbb, 0xbf}) || bytes.HasPrefix(buf, []byte{0xfe, 0xff}) || bytes.HasPrefix(buf, []byte{0xff, 0xfe}) {
			return buf, 0, false, errNotUTF8
		}
		for _, c := range buf {
			if c > ' ' {
				return buf, c, eof, nil
			}
		}
		if eof || int64(len(buf)) > max {
			return buf, 0, eof, nil
		}
	}
}

// transformReadStart bounds the buffer a request body is first read into:
// it grows with the bytes that arrive, never with what Content-Length
// declares (400 connections declaring 1 MB and sending a byte each would
// otherwise hold 400 MB).
const transformReadStart = 8 << 10

// readStart is the first capacity for a body of the declared length (-1:
// unknown): the body and room to edit it in place when it is small, and
// transformReadStart at most.
func readStart(declared, max int64) int {
	n := int64(transformReadStart)
	if declared >= 0 && declared < n {
		n = declared + 1 // +1: the read that sees the end
	}
	return int(min(n, max+1)) + 512 // +512: room to grow in place
}

// readMore reads once into buf, growing it (doubling, up to max+1 bytes and
// the room to edit) when it is full; eof when the body ended.
func readMore(rd io.Reader, buf []byte, max int64) ([]byte, bool, error) {
	if len(buf) == cap(buf) {
		n := min(int64(2*cap(buf)+512), max+1+512)
		if n <= int64(cap(buf)) {
			return buf, false, nil // max+1 bytes are in: the caller stops
		}
		grown := make([]byte, len(buf), n)
		copy(grown, buf)
		buf = grown
	}
	end := min(int64(cap(buf)), max+1)
	m, err := rd.Read(buf[len(buf):end])
	buf = buf[:len(buf)+m]
	if err == io.EOF {
		return buf, true, nil
	}
	return buf, false, err
}

// readUpTo reads the rest of a body, at most max+1 bytes in all.
func readUpTo(rd io.Reader, buf []byte, max int64) ([]byte, error) {
	for int64(len(buf)) <= max {
		var eof bool
		var err error
		if buf, eof, err = readMore(rd, buf, max); eof || err != nil {
			return buf, err
		}
	}
	return buf, nil
}

func (t *Transform) tooLarge(w http.ResponseWriter, r *http.Request) error {
	caddykit.CloseUnread(w, r)
	body := fmt.Appendf(nil, `{"error":"request entity too large","error_description":"the JSON body is larger than %d bytes"}`+"\n", t.MaxBody)
	return caddykit.Refuse(w, r, http.StatusRequestEntityTooLarge, "the JSON body is too large", body)
}

// responseKind is what a response's Content-Type says of its body: JSON
// when a media type holds json (any case, as clients read it: a
// browser's fetch().json() parses whatever comes), undeclared when there
// is none (the body decides: { or [ is JSON), other otherwise.
func responseKind(cts []string) bodyKind {
	declared := false
	for _, ct := range cts {
		mt, _, _ := strings.Cut(ct, ";")
		if hasJSON(mt) {
			return bodyJSON
		}
		declared = declared || strings.TrimSpace(ct) != ""
	}
	if !declared {
		return bodyUndeclared
	}
	return bodyOther
}

// transformWriter holds a JSON response to edit it, or passes others on.
type transformWriter struct {
	*caddyhttp.ResponseWriterWrapper
	t       *Transform
	expand  func(string) string
	mode    writeMode // modePass, modeTransform while holding, or modeFail
	code    int
	enc     string // the response's Content-Encoding ("" for none)
	buf     *bytes.Buffer
	flushed bool
	sniff   bool // no Content-Type: edited only when the body is a JSON document
}

// modeTransform: the response is held to be edited.
const modeTransform = modeHold

// writeMode is what a transformWriter does with a response.
type writeMode uint8

const (
	modeUndecided writeMode = iota
	modePass                // to the client untouched
	modeHold                // held whole, to be edited
	modeFail                // JSON that cannot be edited, with on_error fail: a 502 at the end
)

func (tw *transformWriter) WriteHeader(code int) {
	if tw.mode != modeUndecided {
		return
	}
	if code < 200 {
		tw.ResponseWriterWrapper.WriteHeader(code)
		return
	}
	tw.code = code
	tw.mode = tw.decide(code, tw.Header())
	if tw.mode == modePass {
		tw.ResponseWriterWrapper.WriteHeader(code)
	}
}

// decide: edit only what can be edited whole. A JSON response that
// cannot be (an encoding it cannot decode, over max_body) is an error:
// on_error says whether it passes as it came or becomes a 502, since the
// operations (a delete of an internal field) would not have been applied.
func (tw *transformWriter) decide(code int, h http.Header) writeMode {
	if code == http.StatusNoContent || code == http.StatusNotModified || code == http.StatusPartialContent || caddyhttp.IsIncremental(h) {
		return modePass
	}
	kind := responseKind(h["Content-Type"])
	if kind == bodyOther {
		return modePass
	}
	tw.sniff = kind == bodyUndeclared
	encs := h["Content-Encoding"]
	enc := ""
	if len(encs) == 1 {
		enc = strings.ToLower(strings.TrimSpace(encs[0]))
	} else if len(encs) > 1 {
		enc = "several"
	}
	switch enc {
	case "", "identity":
		enc = ""
	case "gzip", "x-gzip", "br", "zstd":
	default:
		return tw.cannot("a Content-Encoding it cannot decode: " + strings.Join(encs, ", "))
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err != nil || n > tw.t.MaxBody {
			return tw.cannot("larger than max_body")
		}
	}
	tw.enc = enc
	tw.buf = getBuf()
	return modeTransform
}

// cannot is the mode of a response that cannot be edited: passed as it
// came (an undeclared one, which may be anything; or on_error pass), or
// failed.
func (tw *transformWriter) cannot(why string) writeMode {
	if tw.sniff {
		return modePass
	}
	if tw.t.OnError == "fail" {
		tw.t.logger.Warn("a JSON response cannot be transformed; answering 502", zap.Int("status", tw.code), zap.String("reason", why))
		return modeFail
	}
	tw.t.logger.Warn("a JSON response cannot be transformed; passing it as it came (on_error pass)", zap.Int("status", tw.code), zap.String("reason", why))
	return modePass
}

func (tw *transformWriter) Write(p []byte) (int, error) {
	if tw.mode == modeUndecided {
		tw.WriteHeader(http.StatusOK)
	}
	switch tw.mode {
	case modePass:
		return tw.ResponseWriterWrapper.Write(p)
	case modeFail:
		return len(p), nil
	}
	if int64(tw.buf.Len()+len(p)) > tw.t.MaxBody {
		// larger than max_body: with on_error pass (or undeclared), what
		// was held goes out as it came and the rest streams; else a 502
		if tw.mode = tw.cannot("larger than max_body"); tw.mode == modeFail {
			tw.buf.Reset()
			return len(p), nil
		}
		tw.mode = modeTransform
		tw.passHeld()
		return tw.ResponseWriterWrapper.Write(p)
	}
	return tw.buf.Write(p)
}

// ReadFrom copies through Write (see cacheWriter.ReadFrom).
func (tw *transformWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(caddykit.WriteOnly{Writer: tw}, r)
}

// Flush is held back while the response is held: the edited response is
// sent whole at the end (Caddy's reverse_proxy flushes after every write of
// a response without Content-Length).
func (tw *transformWriter) Flush() {
	if tw.mode == modePass {
		_ = http.NewResponseController(tw.ResponseWriterWrapper).Flush()
	}
}

// passHeld sends the held response untouched and switches to passing.
func (tw *transformWriter) passHeld() {
	tw.mode = modePass
	tw.flushed = true
	tw.ResponseWriterWrapper.WriteHeader(tw.code)
	_, _ = tw.ResponseWriterWrapper.Write(tw.buf.Bytes())
}

// discard drops a held response (the handler after failed).
func (tw *transformWriter) discard() { tw.buf.Reset() }

// finish edits and sends a held response.
func (tw *transformWriter) finish() error {
	if tw.mode == modeUndecided {
		tw.WriteHeader(http.StatusOK)
	}
	if tw.mode == modeFail {
		return tw.badGateway()
	}
	if tw.mode != modeTransform {
		return nil
	}
	if tw.sniff && !tw.startsJSON() {
		tw.passHeld() // no Content-Type, and not a JSON document
		return nil
	}
	body, changed, err := tw.edit()
	h := tw.Header()
	if err != nil {
		if tw.t.OnError == "fail" {
			tw.t.logger.Warn("a response could not be transformed; answering 502", zap.Int("status", tw.code), zap.Error(err))
			return tw.badGateway()
		}
		tw.t.logger.Warn("a response could not be transformed; passing it as it came (on_error pass)", zap.Int("status", tw.code), zap.Error(err))
		tw.passHeld()
		return nil
	}
	if !changed { // nothing to edit: the upstream's response as it came
		tw.ResponseWriterWrapper.WriteHeader(tw.code)
		_, err = tw.ResponseWriterWrapper.Write(body)
		return err
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	delete(h, "Content-Md5")
	delete(h, "Digest")
	delete(h, "Content-Digest")
	delete(h, "Repr-Digest")
	if et := h.Get("Etag"); et != "" && !strings.HasPrefix(et, "W/") {
		h["Etag"] = []string{"W/" + et} // the same meaning, other bytes
	}
	tw.ResponseWriterWrapper.WriteHeader(tw.code)
	_, err = tw.ResponseWriterWrapper.Write(body)
	return err
}

// badGateway answers 502 with nothing of the upstream's.
func (tw *transformWriter) badGateway() error {
	h := tw.Header()
	for k := range h {
		delete(h, k)
	}
	h["Content-Type"] = []string{"application/json"}
	h["Cache-Control"] = []string{"no-store"}
	tw.ResponseWriterWrapper.WriteHeader(http.StatusBadGateway)
	_, _ = tw.ResponseWriterWrapper.Write([]byte(`{"error":"bad gateway","error_description":"the upstream's answer could not be transformed"}` + "\n"))
	return nil
}

// startsJSON tells whether an undeclared body is a JSON document with
// fields: its first byte that is not blank, once decoded, is { or [.
func (tw *transformWriter) startsJSON() bool {
	b := tw.buf.Bytes()
	if tw.enc != "" {
		var err error
		if b, err = decodeBody(tw.enc, b, tw.t.MaxBody); err != nil {
			return false
		}
	}
	// a byte order mark first: clients (fetch().json(), Python's requests)
	// drop it and read JSON, so it is taken as JSON (and, as the JSON
	// reader refuses it, answered per on_error)
	if bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) || bytes.HasPrefix(b, []byte{0xff, 0xfe}) {
		return true
	}
	for _, c := range b {
		if c > ' ' {
			return c == '{' || c == '['
		}
	}
	return false
}

// edit decodes, transforms and encodes the held body again.
// changed is false when no operation found anything to edit: the body is
// then the upstream's, bytes and encoding.
func (tw *transformWriter) edit() (body []byte, changed bool, err error) {
	raw := tw.buf.Bytes()
	if tw.enc == "" {
		return tw.t.response.ApplyInPlace(raw, tw.expand)
	}
	plain, err := decodeBody(tw.enc, raw, tw.t.MaxBody)
	if err != nil {
		return nil, false, err
	}
	out, changed, err := tw.t.response.ApplyInPlace(plain, tw.expand)
	if err != nil || !changed {
		return raw, false, err
	}
	body, err = encodeBody(tw.enc, out)
	return body, true, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	transform [<matcher>] {
//		request {
//			set <path> <value>
//			delete <path>
//			rename <from> <to>
//		}
//		response {
//			...
//		}
//		max_body <size>
//		on_error pass|fail
//	}
func (t *Transform) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("transform takes a block (request, response, max_body, on_error), not the argument %q", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		switch opt {
		case "request", "response":
			if d.NextArg() {
				return d.Errf("%s takes a block of set, delete and rename lines, not the argument %q", opt, d.Val())
			}
			ops := &t.Request
			if opt == "response" {
				ops = &t.Response
			}
			for nesting := d.Nesting(); d.NextBlock(nesting); {
				o := TransformOp{Op: d.Val()}
				args := d.RemainingArgs()
				switch o.Op {
				case "set":
					if len(args) != 2 {
						return d.Errf("set takes a path and a value (a JSON literal, or text with placeholders; quote it if it has spaces)")
					}
					o.Path, o.Value = args[0], args[1]
				case "delete":
					if len(args) != 1 {
						return d.Errf("delete takes one path")
					}
					o.Path = args[0]
				case "rename":
					if len(args) != 2 {
						return d.Errf("rename takes a path and its new path")
					}
					o.Path, o.To = args[0], args[1]
				default:
					return d.Errf("unknown %s operation %q: want set, delete or rename", opt, o.Op)
				}
				*ops = append(*ops, o)
			}
		case "max_body":
			args := d.RemainingArgs()
			if len(args) != 1 {
				return d.Errf("max_body takes one size, such as 1MiB")
			}
			n, err := humanize.ParseBytes(args[0])
			if err != nil || n == 0 || n > 1<<30 {
				return d.Errf("max_body: %q is not a size from 1 byte to 1GiB, such as 512KiB", args[0])
			}
			t.MaxBody = int64(n)
		case "on_error":
			args := d.RemainingArgs()
			if len(args) != 1 || (args[0] != "pass" && args[0] != "fail") {
				return d.Errf("on_error takes pass or fail")
			}
			t.OnError = args[0]
		default:
			return d.Errf("unknown transform option %q (request, response, max_body, on_error)", opt)
		}
	}
	if err := t.Validate(); err != nil {
		return d.Err(err.Error())
	}
	for _, side := range []struct {
		name string
		ops  []TransformOp
	}{{"request", t.Request}, {"response", t.Response}} {
		if _, err := compileOps(side.name, side.ops); err != nil {
			return d.Err(err.Error())
		}
	}
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Transform)(nil)
	_ caddy.Validator             = (*Transform)(nil)
	_ caddyhttp.MiddlewareHandler = (*Transform)(nil)
	_ http.Flusher                = (*transformWriter)(nil)
	_ caddyfile.Unmarshaler       = (*Transform)(nil)
)
