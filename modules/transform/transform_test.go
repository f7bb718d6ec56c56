package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

func newTransform(t testing.TB, tr *Transform) *Transform {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := tr.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	tr.logger = zap.NewNop()
	return tr
}

// withUser is a request as jwt_auth leaves it: a replacer with the user.
func withUser(r *http.Request, user string) *http.Request {
	repl := caddy.NewReplacer()
	repl.Set("http.auth.user.id", user)
	return r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
}

func TestTransformRequestBodies(t *testing.T) {
	tr := newTransform(t, &Transform{Request: []TransformOp{
		{Op: "set", Path: "user.id", Value: "{http.auth.user.id}"},
		{Op: "delete", Path: "role"},
		{Op: "rename", Path: "firstName", To: "first_name"},
	}, MaxBody: 1024})
	var seen struct {
		body []byte
		cl   int64
		hdr  string
	}
	upstream := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		seen.body, _ = io.ReadAll(r.Body)
		seen.cl, seen.hdr = r.ContentLength, r.Header.Get("Content-Length")
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	do := func(ct, body string, extra http.Header) *httptest.ResponseRecorder {
		r := withUser(httptest.NewRequest("POST", "/x", strings.NewReader(body)), "alice")
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		for k, v := range extra {
			r.Header[k] = v
		}
		seen.body = nil
		w := httptest.NewRecorder()
		if err := tr.ServeHTTP(w, r, upstream); err != nil {
			t.Fatalf("%s %q: %v", ct, body, err)
		}
		return w
	}

	in := `{"user":{"id":"mallory"},"ROLE":"admin","firstName":"Ada"}`
	do("application/json; charset=utf-8", in, nil)
	testenv.JSONEqual(t, seen.body, `{"user":{"id":"alice"},"first_name":"Ada"}`)
	if seen.cl != int64(len(seen.body)) || seen.hdr != fmt.Sprint(len(seen.body)) {
		t.Fatalf("Content-Length %d / %q for %d bytes", seen.cl, seen.hdr, len(seen.body))
	}
	do("application/vnd.api+json", `{"role":"x"}`, nil)
	testenv.JSONEqual(t, seen.body, `{"user":{"id":"alice"}}`)

	// empty: nothing to edit, and no refusal
	if w := do("application/json", "", nil); w.Code != http.StatusNoContent || len(seen.body) != 0 {
		t.Fatalf("an empty body: %d %q", w.Code, seen.body)
	}
	// not declared JSON: untouched
	do("text/plain", in, nil)
	if string(seen.body) != in {
		t.Fatalf("a text body was changed: %s", seen.body)
	}
	// refusals, and the upstream never asked
	for _, tc := range []struct {
		body  string
		extra http.Header
		code  int
		says  string
	}{
		{`{"user":`, nil, 400, "not valid JSON"},
		{`{"user":{"id":"me","ID":"you"}}`, nil, 400, "same key twice"},
		{`{"user":[1,2]}`, nil, 400, "does not have the shape"},
		{`{"pad":"` + strings.Repeat("x", 2000) + `"}`, nil, 413, "larger than 1024 bytes"},
		{in, http.Header{"Content-Encoding": {"gzip"}}, 415, "without Content-Encoding"},
	} {
		w := do("application/json", tc.body, tc.extra)
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.says) || seen.body != nil {
			t.Errorf("%.30q: %d %s (upstream saw %q), want %d %q", tc.body, w.Code, w.Body.String(), seen.body, tc.code, tc.says)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Errorf("the refusal is not JSON: %s", w.Body.String())
		}
	}
}

// jsonUpstream answers body with the given fields, encoded as enc.
func jsonUpstream(t testing.TB, body string, enc string, h http.Header) caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		for k, v := range h {
			w.Header()[k] = v
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		b := []byte(body)
		if enc != "" {
			var err error
			if b, err = encodeBody(enc, b); err != nil {
				t.Fatal(err)
			}
			w.Header().Set("Content-Encoding", enc)
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(http.StatusOK)
		// in two writes, with a flush between, as reverse_proxy may
		_, _ = w.Write(b[:len(b)/2])
		http.NewResponseController(w).Flush()
		_, _ = w.Write(b[len(b)/2:])
		return nil
	})
}

func TestTransformResponseBodies(t *testing.T) {
	tr := newTransform(t, &Transform{Response: []TransformOp{
		{Op: "delete", Path: "internal"},
		{Op: "set", Path: "served_to", Value: "{http.auth.user.id}"},
	}, MaxBody: 4096})
	in := `{"data":[1,2],"internal":{"db":"10.0.0.5"}}`
	want := `{"data":[1,2],"served_to":"alice"}`
	for _, enc := range []string{"", "gzip", "br", "zstd"} {
		w := httptest.NewRecorder()
		r := withUser(httptest.NewRequest("GET", "/x", nil), "alice")
		if err := tr.ServeHTTP(w, r, jsonUpstream(t, in, enc, http.Header{"Etag": {`"v1"`}, "Content-Md5": {"x"}})); err != nil {
			t.Fatal(err)
		}
		if w.Header().Get("Content-Encoding") != enc {
			t.Fatalf("%s: Content-Encoding %q", enc, w.Header().Get("Content-Encoding"))
		}
		testenv.JSONEqual(t, testenv.Decode(t, enc, w.Body.Bytes()), want)
		if w.Header().Get("Content-Length") != fmt.Sprint(w.Body.Len()) || w.Header().Get("Etag") != `W/"v1"` || w.Header().Get("Content-Md5") != "" {
			t.Fatalf("%s: fields %v", enc, w.Header())
		}
	}
}

func TestTransformResponsesLeftAlone(t *testing.T) {
	tr := newTransform(t, &Transform{Response: []TransformOp{{Op: "delete", Path: "internal"}}, MaxBody: 64, OnError: "pass"})
	in := `{"internal":1}`
	for _, tc := range []struct {
		name   string
		method string
		h      http.Header
		enc    string
		body   string
	}{
		{"not JSON", "GET", http.Header{"Content-Type": {"text/plain"}}, "", in},
		{"a stream", "GET", http.Header{"Content-Type": {"application/json"}, "Incremental": {"?1"}}, "", in},
		{"HEAD", "HEAD", nil, "", in},
		{"an unknown encoding", "GET", http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"compress"}}, "", in},
		{"over max_body", "GET", nil, "", `{"internal":"` + strings.Repeat("x", 100) + `"}`},
	} {
		w := httptest.NewRecorder()
		if err := tr.ServeHTTP(w, httptest.NewRequest(tc.method, "/", nil), jsonUpstream(t, tc.body, tc.enc, tc.h)); err != nil {
			t.Fatal(err)
		}
		if w.Body.String() != tc.body && tc.method != "HEAD" {
			t.Errorf("%s: changed to %q", tc.name, w.Body.String())
		}
	}
	// over max_body without Content-Length: what was held goes out as it came
	big := `{"internal":"` + strings.Repeat("x", 100) + `"}`
	w := httptest.NewRecorder()
	chunked := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i < len(big); i += 10 {
			_, _ = w.Write([]byte(big[i:min(i+10, len(big))]))
		}
		return nil
	})
	if err := tr.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), chunked); err != nil || w.Body.String() != big {
		t.Fatalf("chunked over max_body: %v %q", err, w.Body.String())
	}
	// by default (on_error fail) a JSON response the operations cannot be
	// applied to is a 502, never the upstream's body with its internal field
	strict := newTransform(t, &Transform{Response: []TransformOp{{Op: "delete", Path: "internal"}}, MaxBody: 64})
	for name, up := range map[string]caddyhttp.Handler{
		"an unknown encoding": jsonUpstream(t, in, "", http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"compress"}}),
		"two encodings":       jsonUpstream(t, in, "", http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip", "gzip"}}),
		"over max_body":       jsonUpstream(t, big, "", nil),
		"chunked over":        chunked,
		"invalid JSON":        jsonUpstream(t, `{"internal":1,"internal":2}`, "", nil),
	} {
		w := httptest.NewRecorder()
		if err := strict.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), up); err != nil || w.Code != http.StatusBadGateway || strings.Contains(w.Body.String(), "internal") {
			t.Errorf("%s, on_error fail by default: %v %d %q", name, err, w.Code, w.Body.String())
		}
	}
	// JSON in other spellings, and undeclared JSON, are edited; an
	// undeclared body that is not JSON passes as it came
	undeclared := func(body string) caddyhttp.Handler {
		return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			_, err := io.WriteString(w, body)
			return err
		})
	}
	for ct, want := range map[string]string{"text/json": `{}`, "application/json x": `{}`, "application/x-ndjson": `{}`} {
		w := httptest.NewRecorder()
		if err := strict.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), jsonUpstream(t, in, "", http.Header{"Content-Type": {ct}})); err != nil || w.Body.String() != want {
			t.Errorf("Content-Type %q: %v %d %q, want %q", ct, err, w.Code, w.Body.String(), want)
		}
	}
	for body, want := range map[string]string{in: `{}`, " \n" + in: " \n{}", "internal=1": "internal=1", "": ""} {
		w := httptest.NewRecorder()
		if err := strict.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), undeclared(body)); err != nil || w.Code != 200 || w.Body.String() != want {
			t.Errorf("undeclared %q: %v %d %q, want %q", body, err, w.Code, w.Body.String(), want)
		}
	}
	// nothing to edit: the ETag stays strong, the bytes the upstream's
	w = httptest.NewRecorder()
	if err := tr.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), jsonUpstream(t, `{"kept": 1}`, "gzip", http.Header{"Etag": {`"v1"`}})); err != nil {
		t.Fatal(err)
	}
	if w.Header().Get("Etag") != `"v1"` || string(testenv.Decode(t, "gzip", w.Body.Bytes())) != `{"kept": 1}` {
		t.Fatalf("a response with nothing to edit: %v %q", w.Header(), testenv.Decode(t, "gzip", w.Body.Bytes()))
	}
	// 204, 206 and 304 untouched
	for _, code := range []int{http.StatusNoContent, http.StatusPartialContent, http.StatusNotModified} {
		w := httptest.NewRecorder()
		h := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Etag", `"x"`)
			w.WriteHeader(code)
			return nil
		})
		if err := tr.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), h); err != nil || w.Code != code || w.Header().Get("Etag") != `"x"` {
			t.Fatalf("%d: %v %d %v", code, err, w.Code, w.Header())
		}
	}
}

func TestTransformResponseErrors(t *testing.T) {
	broken := `{"internal": oops`
	for _, onError := range []string{"pass", "fail"} {
		tr := newTransform(t, &Transform{Response: []TransformOp{{Op: "delete", Path: "internal"}}, OnError: onError})
		w := httptest.NewRecorder()
		if err := tr.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), jsonUpstream(t, broken, "", http.Header{"X-Upstream": {"secret-detail"}})); err != nil {
			t.Fatal(err)
		}
		switch onError {
		case "pass":
			if w.Code != 200 || w.Body.String() != broken {
				t.Errorf("pass: %d %q", w.Code, w.Body.String())
			}
		case "fail":
			if w.Code != http.StatusBadGateway || strings.Contains(w.Body.String(), "oops") || w.Header().Get("X-Upstream") != "" {
				t.Errorf("fail: %d %q %v (nothing of the upstream's may show)", w.Code, w.Body.String(), w.Header())
			}
		}
	}
	// a decompression bomb is not decoded past max_body
	tr := newTransform(t, &Transform{Response: []TransformOp{{Op: "delete", Path: "x"}}, MaxBody: 64 << 10, OnError: "pass"})
	bomb := `{"x":"` + strings.Repeat("a", 1<<20) + `"}`
	w := httptest.NewRecorder()
	packed, err := encodeBody("gzip", []byte(bomb))
	if err != nil || len(packed) > 64<<10 {
		t.Fatalf("%v, %d bytes packed (it must fit max_body to be decoded)", err, len(packed))
	}
	up := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, err := w.Write(packed)
		return err
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := tr.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), up); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// decoding it whole would allocate 1 MiB and more
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 900<<10 {
		t.Fatalf("transforming a 1 MiB bomb allocated %d KiB", grown>>10)
	}
	if got := testenv.Decode(t, "gzip", w.Body.Bytes()); string(got) != bomb {
		t.Fatalf("the bomb was not passed as it came (%d bytes)", len(got))
	}
}

func TestResponseKind(t *testing.T) {
	for ct, want := range map[string]bodyKind{
		"application/json": bodyJSON, "Application/JSON; charset=utf-8": bodyJSON, " application/json ;x=y": bodyJSON,
		"application/vnd.api+json": bodyJSON, "application/problem+json": bodyJSON, "APPLICATION/LD+JSON": bodyJSON,
		"application/stream+json": bodyJSON, "text/json": bodyJSON, "application/jsonx": bodyJSON, "application/json x": bodyJSON,
		"application/json,text/plain": bodyJSON, "application/x-ndjson": bodyJSON, "application/x-json": bodyJSON,
		"text/plain": bodyOther, "text/event-stream": bodyOther, "text/plain; x=json": bodyOther, "": bodyUndeclared, " ": bodyUndeclared,
	} {
		if got := responseKind([]string{ct}); got != want {
			t.Errorf("responseKind(%q) = %d, want %d", ct, got, want)
		}
	}
	if got := responseKind(nil); got != bodyUndeclared {
		t.Errorf("no Content-Type: %d", got)
	}
	if got := responseKind([]string{"text/plain", "application/json"}); got != bodyJSON {
		t.Errorf("two Content-Types, one JSON: %d", got)
	}
}

// TestTransformPartialContentIsNotAnError: a 206 holds part of a document,
// which is not JSON; it passes untouched, even with on_error fail.
func TestTransformPartialContentIsNotAnError(t *testing.T) {
	tr := newTransform(t, &Transform{Response: []TransformOp{{Op: "delete", Path: "a"}}, OnError: "fail"})
	w := httptest.NewRecorder()
	h := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Range", "bytes 0-4/20")
		w.WriteHeader(http.StatusPartialContent)
		_, err := w.Write([]byte(`{"a":`))
		return err
	})
	if err := tr.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), h); err != nil || w.Code != http.StatusPartialContent || w.Body.String() != `{"a":` {
		t.Fatalf("206: %v %d %q", err, w.Code, w.Body.String())
	}
}

func TestRequestKind(t *testing.T) {
	for _, tc := range []struct {
		ct   []string
		want bodyKind
	}{
		{nil, bodyUndeclared},
		{[]string{""}, bodyUndeclared},
		{[]string{"text/plain"}, bodyOther},
		{[]string{"multipart/form-data; boundary=----json-boundary"}, bodyOther}, // json in a parameter only
		{[]string{"text/plain; x=application/json"}, bodyOther},
		{[]string{"application/x-www-form-urlencoded"}, bodyOther},
		{[]string{"application/json"}, bodyJSON},
		{[]string{"Application/JSON; Charset=\"UTF-8\""}, bodyJSON},
		{[]string{"application/json;charset=utf8"}, bodyJSON},
		{[]string{"application/problem+json"}, bodyJSON},
		{[]string{"application/stream+json"}, bodyJSON},
		{[]string{"application/x-ndjson"}, bodyJSON},
		{[]string{"text/json"}, bodyJSON},
		{[]string{"application/jsonx"}, bodyJSON},
		{[]string{"application/json x"}, bodyRefused},
		{[]string{"application/json,text/plain"}, bodyRefused},
		{[]string{"application/json; charset=utf-16"}, bodyRefused},
		{[]string{"application/json; charset=iso-8859-1"}, bodyRefused},
		{[]string{"application/json; charset*=utf-8''"}, bodyRefused},
		{[]string{"application/json; charset"}, bodyRefused},
		{[]string{"application/json", "application/json"}, bodyRefused},
		{[]string{"text/plain", "text/plain"}, bodyRefused},
	} {
		h := http.Header{}
		if tc.ct != nil {
			h["Content-Type"] = tc.ct
		}
		if got, why := requestKind(h); got != tc.want || (got == bodyRefused) != (why != "") {
			t.Errorf("%q: %d %q, want %d", tc.ct, got, why, tc.want)
		}
	}
	// the common case costs no allocation
	h := http.Header{"Content-Type": {"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"}}
	if n := testing.AllocsPerRun(100, func() { requestKind(h) }); n != 0 {
		t.Fatalf("a type without json: %v allocations", n)
	}
}

// shortBody declares more than it holds: the bytes that arrived, then a
// wait (here: an error, as a client that gave up).
type shortBody struct{ b []byte }

func (s *shortBody) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// TestTransformMemoryFollowsData: a request declaring 1 MB and sending a
// byte, and a response declaring 1 MB and sending two, cost kilobytes, not
// what they declare.
func TestTransformMemoryFollowsData(t *testing.T) {
	tr := newTransform(t, &Transform{
		Request:  []TransformOp{{Op: "set", Path: "a", Value: "1"}},
		Response: []TransformOp{{Op: "delete", Path: "a"}},
	})
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	for _, ct := range []string{"application/json", ""} {
		n := allocated(func() {
			r := httptest.NewRequest("POST", "/", &shortBody{[]byte("{")})
			r.ContentLength = 1_000_000
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			_ = tr.ServeHTTP(httptest.NewRecorder(), r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil }))
		})
		if n > 64<<10 {
			t.Errorf("%q: a request declaring 1 MB and sending a byte allocated %d KiB", ct, n>>10)
		}
	}
	n := allocated(func() {
		up := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000000")
			_, err := w.Write([]byte("{}"))
			return err
		})
		_ = tr.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), up)
	})
	if n > 64<<10 {
		t.Errorf("a response declaring 1 MB and sending two bytes allocated %d KiB", n>>10)
	}
}

// TestTransformUndeclaredBodies: a body without Content-Type is edited when
// it is JSON; another passes whole, however large, read once.
func TestTransformUndeclaredBodies(t *testing.T) {
	tr := newTransform(t, &Transform{Request: []TransformOp{{Op: "set", Path: "user.id", Value: "{http.auth.user.id}"}}, MaxBody: 64})
	var seen []byte
	upstream := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		seen, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	big := "upload " + strings.Repeat("x", 5000)
	for _, tc := range []struct {
		body, want string
		code       int
	}{
		{`{"user":{"id":"bob"}}`, `{"user":{"id":"alice"}}`, 204},
		{big, big, 204},                   // not JSON, larger than max_body: whole
		{"  \n" + big, "  \n" + big, 204}, // after blanks
		{"", "", 204},                     // nothing
		{" \n ", " \n ", 204},             // blanks
		{`{"pad":"` + strings.Repeat("x", 100) + `"}`, "", 413}, // JSON over max_body
		{strings.Repeat(" ", 100) + `{}`, "", 413},              // blanks past max_body
		{"\xef\xbb\xbf{}", "", 415},
	} {
		seen = nil
		r := withUser(httptest.NewRequest("PUT", "/", strings.NewReader(tc.body)), "alice")
		r.ContentLength = -1 // as sent chunked: nothing declared
		w := httptest.NewRecorder()
		if err := tr.ServeHTTP(w, r, upstream); err != nil {
			t.Fatal(err)
		}
		switch {
		case w.Code != tc.code:
			t.Errorf("%.20q: %d %s, want %d", tc.body, w.Code, w.Body.String(), tc.code)
		case tc.code == 204 && strings.HasPrefix(tc.want, "{"):
			testenv.JSONEqual(t, seen, tc.want)
		case tc.code == 204 && string(seen) != tc.want:
			t.Errorf("%.20q: the upstream saw %d bytes %.20q", tc.body, len(seen), seen)
		case tc.code != 204 && seen != nil:
			t.Errorf("%.20q: refused, and the upstream saw %.20q", tc.body, seen)
		}
	}
}

// TestTransformRangeAndBOM: a Range request cannot fetch the fields a
// delete removes (the range is dropped, the document edited whole), and an
// undeclared body with a byte order mark is not passed unedited (found by
// the second fresh attack).
func TestTransformRangeAndBOM(t *testing.T) {
	tr := newTransform(t, &Transform{Response: []TransformOp{{Op: "delete", Path: "secret"}}})
	doc := `{"ok":1,"secret":"S3CR3T"}`
	ranged := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Range") != "" {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(doc)-1, len(doc)))
			w.WriteHeader(http.StatusPartialContent)
		}
		_, err := io.WriteString(w, doc)
		return err
	})
	for _, rg := range []string{"bytes=0-", "bytes=-60", "bytes=0-10,11-"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Range", rg)
		req.Header.Set("If-Range", `"x"`)
		w := httptest.NewRecorder()
		if err := tr.ServeHTTP(w, req, ranged); err != nil || strings.Contains(w.Body.String(), "S3CR3T") || w.Code != 200 {
			t.Errorf("Range %s: %v %d %q", rg, err, w.Code, w.Body.String())
		}
	}
	for _, bom := range []string{"\xef\xbb\xbf", "\xfe\xff", "\xff\xfe"} {
		up := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			_, err := io.WriteString(w, bom+doc)
			return err
		})
		w := httptest.NewRecorder()
		if err := tr.ServeHTTP(w, httptest.NewRequest("GET", "/", nil), up); err != nil || strings.Contains(w.Body.String(), "S3CR3T") {
			t.Errorf("undeclared with a BOM %q: %v %d %q", bom, err, w.Code, w.Body.String())
		}
	}
}
