package transform

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// body2KB is a 2 KB JSON document of an API: a user, a list of items, and
// fields to hide.
func body2KB() []byte {
	var b strings.Builder
	b.WriteString(`{"user":{"id":"someone","name":"Ada Lovelace","email":"ada@example.com"},"internal":{"db":"10.0.0.5","trace":"0af7651916cd43dd8448eb211c80319c"},"items":[`)
	for i := 0; b.Len() < 1900; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item number %d","price":%d.99,"tags":["a","b"]}`, i, i, i)
	}
	b.WriteString(`],"total":42}`)
	return []byte(b.String())
}

// BenchmarkTransform: a set (of a placeholder) and a delete on a 2 KB body,
// on the request (read, edited, handed on) and on the response (held,
// edited, written), in the handler; and the same with nothing to edit (a
// non-JSON body) for the handler's own floor.
func BenchmarkTransform(b *testing.B) {
	body := body2KB()
	ops := []TransformOp{{Op: "set", Path: "user.id", Value: "{http.auth.user.id}"}, {Op: "delete", Path: "internal"}}
	discard := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	b.Run("request", func(b *testing.B) {
		tr := newTransform(b, &Transform{Request: ops})
		r := withUser(httptest.NewRequest("POST", "/", nil), "alice")
		r.Header.Set("Content-Type", "application/json")
		w := &headerOnlyWriter{h: http.Header{}}
		rd := bytes.NewReader(body)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(body)
			r.Body, r.ContentLength = io.NopCloser(rd), int64(len(body))
			if err := tr.ServeHTTP(w, r, discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("response", func(b *testing.B) {
		tr := newTransform(b, &Transform{Response: ops})
		r := withUser(httptest.NewRequest("GET", "/", nil), "alice")
		w := &headerOnlyWriter{h: http.Header{}}
		upstream := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			w.Header()["Content-Type"] = []string{"application/json"}
			w.WriteHeader(http.StatusOK)
			_, err := w.Write(body)
			return err
		})
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			if err := tr.ServeHTTP(w, r, upstream); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("not-json", func(b *testing.B) {
		tr := newTransform(b, &Transform{Request: ops, Response: ops})
		r := withUser(httptest.NewRequest("GET", "/", nil), "alice")
		w := &headerOnlyWriter{h: http.Header{}}
		upstream := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			w.Header()["Content-Type"] = []string{"text/html"}
			w.WriteHeader(http.StatusOK)
			_, err := w.Write(body)
			return err
		})
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			if err := tr.ServeHTTP(w, r, upstream); err != nil {
				b.Fatal(err)
			}
		}
	})
	// a request body of another type (a form): the Content-Type is
	// scanned for json (no allocation: TestRequestKind), nothing is read
	b.Run("request-not-json", func(b *testing.B) {
		tr := newTransform(b, &Transform{Request: ops})
		form := strings.NewReader("a=1&b=2")
		r := withUser(httptest.NewRequest("POST", "/", form), "alice")
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := &headerOnlyWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			if err := tr.ServeHTTP(w, r, discard); err != nil {
				b.Fatal(err)
			}
			form.Reset("a=1&b=2")
		}
	})
}

// headerOnlyWriter is a ResponseWriter that keeps nothing but its header
// map (httptest.ResponseRecorder copies the headers on WriteHeader, which
// would weigh on the figures).
type headerOnlyWriter struct{ h http.Header }

func (w *headerOnlyWriter) Header() http.Header         { return w.h }
func (w *headerOnlyWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnlyWriter) WriteHeader(int)             {}
