package cors

import (
	"strings"
	"testing"
	"time"
)

func mustNew(t *testing.T, c Config) *Policy {
	t.Helper()
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAllowOrigin(t *testing.T) {
	p := mustNew(t, Config{Origins: []string{"https://app.example.com", "https://*.example.org", "http://localhost:8080", "https://secure.example.net:443"}})
	for origin, want := range map[string]bool{
		"https://app.example.com":         true,
		"HTTPS://APP.EXAMPLE.COM":         true,
		"http://app.example.com":          false, // another scheme is another origin
		"https://app.example.com:8443":    false,
		"https://app.example.com.evil.io": false,
		"https://evilapp.example.com":     false,
		"https://a.example.org":           true,
		"https://a.b.example.org":         true,
		"https://example.org":             false, // * stands for at least one label
		"https://.example.org":            false,
		"https://evilexample.org":         false,
		"https://a@b.example.org":         false,
		"https://a.example.org:8443":      false,
		"http://a.example.org":            false,
		"https://a..example.org":          false,
		"http://localhost:8080":           true,
		"http://localhost":                false,
		"https://secure.example.net":      true, // the default port is left out
		"null":                            false,
		"":                                false,
	} {
		if got := p.AllowOrigin(origin); got != want {
			t.Errorf("AllowOrigin(%q) = %v, want %v", origin, got, want)
		}
	}
}

func TestWildcardOrigin(t *testing.T) {
	p := mustNew(t, Config{Origins: []string{"*"}})
	if !p.AllowOrigin("https://anything.example") || p.AllowOriginValue("https://anything.example") != "*" {
		t.Fatal("origins * must allow any origin with the value *")
	}
	if p.AllowOrigin("null") {
		t.Fatal("the null origin is allowed only when listed, even with *")
	}
	withNull := mustNew(t, Config{Origins: []string{"*", "null"}})
	if !withNull.AllowOrigin("null") || withNull.AllowOriginValue("null") != "null" {
		t.Fatal("a listed null origin")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		says string
	}{
		{Config{}, "no origins"},
		{Config{Origins: []string{"*"}, Credentials: true}, "origins * with credentials"},
		{Config{Origins: []string{"https://a.example"}, Headers: []string{"*"}, Credentials: true}, "headers * with credentials"},
		{Config{Origins: []string{"app.example.com"}}, "is not scheme://host"},
		{Config{Origins: []string{"https://app.example.com/path"}}, "is not scheme://host"},
		{Config{Origins: []string{"ftp://app.example.com"}}, "is not scheme://host"},
		{Config{Origins: []string{"https://u:p@app.example.com"}}, "is not scheme://host"},
		{Config{Origins: []string{"https://*.com"}}, "whole labels"},
		{Config{Origins: []string{"https://a.*.example.com"}}, "may only open the host"},
		{Config{Origins: []string{"https://*.*.example.com"}}, "whole labels"},
		{Config{Origins: []string{"https://a.example"}, Methods: []string{"GE T"}}, "not an HTTP method"},
		{Config{Origins: []string{"https://a.example"}, Headers: []string{"X:Y"}}, "not a header name"},
		{Config{Origins: []string{"https://a.example"}, Expose: []string{""}}, "not a header name"},
		{Config{Origins: []string{"https://a.example"}, MaxAge: -time.Second}, "negative"},
	} {
		if _, err := New(tc.c); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tc.c, err, tc.says)
		}
	}
}

func TestMethodsAndHeaders(t *testing.T) {
	p := mustNew(t, Config{Origins: []string{"https://a.example"}, Methods: []string{"get", "put", "PATCH"},
		Headers: []string{"Authorization", "Content-Type"}, Expose: []string{"X-Request-Id", "RateLimit"}, MaxAge: 90 * time.Second})
	if !p.AllowMethod("GET") || !p.AllowMethod("PUT") || !p.AllowMethod("PATCH") || p.AllowMethod("patch") || p.AllowMethod("POST") {
		t.Fatal("methods: get/put are normalized to upper case, PATCH is case-sensitive, POST is not listed")
	}
	if !p.AllowHeaders([]string{"authorization, content-type"}) || !p.AllowHeaders([]string{"Authorization", "content-type"}) || !p.AllowHeaders(nil) {
		t.Fatal("listed headers, in any case, on one or several lines")
	}
	if p.AllowHeaders([]string{"authorization, x-other"}) {
		t.Fatal("an unlisted header was allowed")
	}
	if p.Expose() != "X-Request-Id, RateLimit" || p.MaxAge() != "90" || p.Credentials() {
		t.Fatalf("expose %q max-age %q", p.Expose(), p.MaxAge())
	}
	def := mustNew(t, Config{Origins: []string{"https://a.example"}})
	if !def.AllowMethod("GET") || !def.AllowMethod("HEAD") || !def.AllowMethod("POST") || def.AllowMethod("DELETE") {
		t.Fatal("default methods are GET HEAD POST")
	}
	if def.AllowHeaders([]string{"authorization"}) {
		t.Fatal("by default no header beyond the safelisted ones")
	}
	if !mustNew(t, Config{Origins: []string{"*"}, Headers: []string{"*"}}).AllowHeaders([]string{"x-anything"}) {
		t.Fatal("headers *")
	}
}

func FuzzAllowOrigin(f *testing.F) {
	for _, s := range []string{"https://a.example.org", "https://example.org", "https://a@b.example.org", "null", "HTTPS://A.EXAMPLE.ORG:443"} {
		f.Add(s)
	}
	p, err := New(Config{Origins: []string{"https://*.example.org", "https://app.example.com"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		if p.AllowHeaders([]string{origin}) && strings.TrimSpace(strings.ReplaceAll(origin, ",", " ")) != "" {
			t.Fatalf("headers %q allowed by a policy that allows none", origin)
		}
		if !p.AllowOrigin(origin) {
			return
		}
		o := strings.ToLower(origin)
		if o == "https://app.example.com" {
			return
		}
		host, ok := strings.CutPrefix(o, "https://")
		if !ok || !strings.HasSuffix(host, ".example.org") || strings.ContainsAny(host, "@:/?#* ") || strings.Contains(host, "..") || strings.HasPrefix(host, ".") {
			t.Fatalf("%q was allowed", origin)
		}
	})
}
