package cors

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func benchCORS(b *testing.B) *CORS {
	c := &CORS{Origins: []string{"https://app.example.com", "https://*.preview.example.com"},
		Headers: []string{"Authorization"}, Expose: []string{"RateLimit"}, Credentials: true}
	if err := c.Provision(caddy.Context{}); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkCORS: what cors adds to a request: an actual request of an
// allowed origin (the headers, and the writer that keeps them over the
// upstream's), a preflight answered, and a request without Origin.
func BenchmarkCORS(b *testing.B) {
	c := benchCORS(b)
	writes := caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusOK)
		return nil
	})
	for _, tc := range []struct {
		name   string
		method string
		header http.Header
	}{
		{"actual", "GET", http.Header{"Origin": {"https://a.preview.example.com"}}},
		{"preflight", "OPTIONS", http.Header{"Origin": {"https://app.example.com"},
			"Access-Control-Request-Method": {"GET"}, "Access-Control-Request-Headers": {"authorization"}}},
		{"no-origin", "GET", http.Header{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest(tc.method, "/", nil)
			r.Header = tc.header
			w := &headerOnlyWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				if err := c.ServeHTTP(w, r, writes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// headerOnlyWriter is a ResponseWriter that keeps nothing but its header
// map (httptest.ResponseRecorder copies the headers on WriteHeader, which
// would weigh on the figures).
type headerOnlyWriter struct{ h http.Header }

func (w *headerOnlyWriter) Header() http.Header         { return w.h }
func (w *headerOnlyWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnlyWriter) WriteHeader(int)             {}
