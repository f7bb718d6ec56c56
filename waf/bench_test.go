package waf

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// BenchmarkWAF is the handler's own cost at paranoia 1: a small GET, and a
// 2 KB JSON POST (the body inspected), before the next handler.
func BenchmarkWAF(b *testing.B) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	w := &WAF{}
	if err := w.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	body := `{"order": {"id": "A-1042", "customer": "Jane Doe", "email": "jane@example.com", "note": "` + strings.Repeat("Please deliver after five. ", 70) + `", "items": 3, "total": 37.5}}`
	var fields strings.Builder
	fields.WriteString("{")
	for i := 0; fields.Len() < 2000; i++ {
		if i > 0 {
			fields.WriteString(",")
		}
		fmt.Fprintf(&fields, `"field%d": "v%d"`, i, i)
	}
	fields.WriteString("}")
	for _, c := range []struct {
		name, method, body string
	}{{"GET", "GET", ""}, {"POST 2KB JSON", "POST", body}, {"POST 2KB JSON of short fields", "POST", fields.String()}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(c.method, "/api/items?page=2&sort=name", strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "Mozilla/5.0")
				req.Header.Set("Accept", "application/json")
				rec := httptest.NewRecorder()
				if err := w.ServeHTTP(rec, req, next); err != nil || rec.Code != http.StatusOK {
					b.Fatalf("%v %d", err, rec.Code)
				}
			}
		})
	}
}
