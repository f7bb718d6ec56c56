package waf

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAttack83 are attack 83's finds: XPath calls of literals alone
// (210104, run with libxml2); multi-word permissions after GRANT
// (210201); a list separated by blanks, a line's label or number
// (210205); git grep's -O<pager> (210204); a GraphQL string with a line
// break (graphql-core and a shell ran 127.0.0.1\nwhoami); tus's
// Upload-Metadata items, each base64; and its false positives: RFC
// 9421's Signature-Input and Accept-Signature, Vercel's X-Matched-Path,
// a request's Link.
func TestAttack83(t *testing.T) {
	operatorTable(t, "210104", xpathInjection,
		[]string{"' or string('x') or '", "' or contains('ab','a') or '", "' or starts-with('ab','a') or '", "' or number('1') or '",
			"admin' or string('x') or 'a'='b", "1 or string(1)", "1 or number(1)"},
		nil,
		[]string{"I said 'no' or string('x') when asked"})
	operatorTable(t, "210201/210204/210205", func(v string) bool {
		return tsqlStatement(v) || argumentOptions(v) || schemelessMetadata(strings.ToLower(v))
	}, []string{"name desc grant control server to public", "name desc grant alter any login to public",
		"name desc grant unsafe assembly to public", "name desc grant view server state to public",
		"name desc grant administer bulk operations to guest", "1 grant control server to public",
		"https://a.com 169.254.169.254/latest/meta-data/", "https://a.com\t169.254.169.254/latest/meta-data/",
		"https://example.com/a.png localhost:2375/containers/json", "urls: 169.254.169.254/latest/meta-data/",
		"1. 169.254.169.254/latest/meta-data/", "-Oid", "-Otouch pwned", "-nOtouch pwned", "-iOtouch pwned3",
		"-Osh", "-Obash -c id", "-O'sh -c id' main"},
		nil,
		[]string{"2 grant free shipping to members", "Please grant view access to the team",
			"On EC2, query 169.254.169.254/latest/meta-data/ from the instance", "Note: 169.254.169.254/latest/meta-data/ is the IMDS",
			"see https://docs.aws.amazon.com/ for details", "1. Open localhost:3000/admin", "-O2", "-Os", "-Ofast", "gcc -O2 -o x x.c"})
	tableOnly(t)
	h := func(name, k, v string) probe {
		return probe{name: name, method: "GET", path: "/files", header: http.Header{k: {v}}}
	}
	gql := func(name, q string) probe {
		return probe{name: name, method: "POST", path: "/graphql", contentType: "application/json", body: jsonString("query", q)}
	}
	misses := []probe{
		gql("GraphQL line break and whoami", `{ ping(host: "127.0.0.1\nwhoami") }`),
		gql("GraphQL line break and id", `{ ping(host: "127.0.0.1\nid") }`),
		h("tus SQL in the first item", "Upload-Metadata", "filename eCcgb3IgJzEnPScx,filetype dGV4dC9wbGFpbg=="),
		h("tus traversal in the second item", "Upload-Metadata", "filetype dGV4dC9wbGFpbg==,filename Li4vLi4vLi4vZXRjL2Nyb24uZC9ldmls"),
		h("tus XSS", "Upload-Metadata", "filetype dGV4dC9wbGFpbg==,name PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"),
		h("Signature-Input keyid SQL", "Signature-Input", `sig1=("@method" "@authority");created=1618884473;keyid="x' or '1'='1"`),
	}
	passes := []probe{
		h("RFC 9421 Signature-Input", "Signature-Input",
			`sig1=("@method" "@authority" "@path" "content-digest");created=1618884473;keyid="test-key-rsa-pss"`),
		h("RFC 9421 B.2.5", "Signature-Input", `sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`),
		h("Web Bot Auth", "Signature-Input",
			`sig2=("@authority" "signature-agent");created=1735689600;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=1735693200;nonce="e8N7S2MFd";tag="web-bot-auth"`),
		h("Accept-Signature", "Accept-Signature", `sig1=("@method" "@target-uri" "@authority");keyid="test-key-rsa-pss";created;tag="app-123"`),
		h("X-Matched-Path", "X-Matched-Path", "/api/users/[id]"),
		h("Link preload", "Link", "</styles.css>; rel=preload; as=style, </app.js>; rel=preload; as=script"),
		h("tus plain metadata", "Upload-Metadata", "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,filetype YXBwbGljYXRpb24vcGRm,is_confidential"),
		gql("GraphQL block string", "mutation { comment(body: \"\"\"Line one\nLine two\"\"\") { id } }"),
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// TestReview83 are the finds of a review of attacks 82's and 83's fixes:
// arithmetic and calls before OR in a numeric slot, string(), boolean()
// and number() of a child (210104, run with xmllint); git grep's -O after
// an upper-case option, sqlite3's dot-command as the whole value
// (210204); BINARY before a column (210202); a private IPv6 address, a
// permission of six words; and its false positives: routes under /app,
// /data, /home in a header, a settings form's label and a how-to's
// numbered step before an address (210205's weaker readings need a
// value's, a line's or a separated item's start).
func TestReview83(t *testing.T) {
	operatorTable(t, "210104", xpathInjection,
		[]string{"1+0 or true()", "--1 or true()", "1 div 1 or true()", "number(1) or true()", "count(/) or true()", "-(1) or true()",
			"0 or string(password)", "' or string(password) or '"},
		[]string{"0 or boolean(password)"},
		[]string{"1 + 1 or more", "count the 3 or 4 items", "2 or 3 (approx.)"})
	operatorTable(t, "210201/210202/210204/210205", func(v string) bool {
		return tsqlStatement(v) || sortListProbe(v) || argumentOptions(v) || schemelessMetadata(strings.ToLower(v))
	}, []string{"-IOtouch x", "-EOid", ".shell id", ".system id", "binary password<x'6d'",
		"name desc grant view any column encryption key definition to public", "[fd00::1]:2375/containers/json",
		"[::ffff:10.0.0.1]:2375/containers/json"},
		nil,
		[]string{"metrics_url: 10.0.0.5:9090/api/v1/query", "ES: 10.0.0.5:9200/_cluster/health", ".sh files run with bash",
			"sort by binary name"})
	// the CRS alone refuses these two (932235 reads a line's Install,
	// ...): the gateway's reading must not be why
	for _, v := range []string{"Steps:\n1. Install XAMPP\n2. 127.0.0.1/phpmyadmin\n3. Create the database",
		"prometheus:\n  url: 10.0.0.5:9090/api/v1/query"} {
		if schemelessMetadata(strings.ToLower(v)) {
			t.Errorf("210205 refuses %q", v)
		}
	}
	tableOnly(t)
	h := headerProbe
	runBeyondTheCRS(t, nil, []probe{h("X-File a hidden file under home", "X-File", "/home/u/.ssh/id_rsa")},
		[]probe{h("X-Matched-Path under app", "X-Matched-Path", "/app/[id]"), h("X-Matched-Path under data", "X-Matched-Path", "/data/[slug]"),
			h("X-Matched-Path under home", "X-Matched-Path", "/home/[slug]")})
}

// TestAttack84 are attack 84's finds: a number = a number where a value
// is otherwise plainly safe (a path segment, a custom header); a paging
// subquery (210202); a metadata address as one number in a header, a
// metadata host or API path alone as a field (210205); git difftool's
// --extcmd alone and -x, Subversion's and restic's commands, the
// frameworks' upload directories (210204); and its false positives:
// inline code and quoted long options (210150), a database's
// connection URL with a user and a loopback host (210205).
func TestAttack84(t *testing.T) {
	operatorTable(t, "210202/210204/210205", func(v string) bool {
		return sortListProbe(v) || argumentOptions(v) || schemelessMetadata(strings.ToLower(v))
	}, []string{"10 offset (select count(*) from users where password like 'a%')",
		"name desc, id offset (select count(*) from users where password glob 'a*')",
		"10 offset 0 rows fetch next (select len(password) from users) rows only",
		"169.254.169.254", "0xa9fea9fe", "metadata.google.internal", "[fd00:ec2::254]",
		"/latest/meta-data/iam/security-credentials/", "/computeMetadata/v1/instance/service-accounts/default/token",
		"--extcmd=id", "--extcmd=sh", "HEAD -x id", "HEAD~1 -x id", "HEAD -xid", "main -x sh", "--diff-cmd=id", "file.c --diff-cmd=id",
		"f.c --editor-cmd=sh", "x --config-option=config:helpers:editor-cmd=id", "--password-command=id", "repo --password-command=id",
		"host -oPKCS11Provider=storage/app/public/x.so", "host -oPKCS11Provider=media/avatars/a.so", "doc.md --lua-filter=storage/app/x.lua",
		"doc.md --lua-filter=public/files/x.lua"},
		nil,
		[]string{"Pick the first (select one from the list)", "Skip to next (select from the menu)", "169.254.1.1",
			"postgres://user:pw@localhost:5432/db", "mysql://root@127.0.0.1:3306/app", "tar -xvf a.tar -C out", "--help", "--no-cache",
			"sqlserver://sa@localhost:1433/master"})
	prose := []string{"Try `--no-cache`.", "Use the `--force` flag.", "Add `--save-dev` to the npm install command", "Run with `--help` for options",
		"Pass `--verbose`, or run make again.", "Set `--max-old-space-size=4096` in NODE_OPTIONS.", "Press `#` then enter",
		"In Markdown write `# Title` for a header", "Type `/*` to start a comment", "the `--` separator ends options"}
	for _, v := range prose {
		if !quotedTermsOnly(v) {
			t.Errorf("210150 refuses %q", v)
		}
	}
	// and a review of attack 84's fixes: a line break before the comment
	// and a backtick term after it, a quoted long option (admin '--x' on
	// SQL Server), a quote inside a backtick term
	for _, v := range []string{"admin'--", "admin'#", "admin' -- -", "admin '#", "admin '-- '", "name`#", "John Smith' -- -", "admin'/*",
		"x '--force", "Use the '--force' flag and admin'--", "admin'\n-- `--`", "admin'\r\n-- `#`", "admin'\n# `#`", "admin'\v# `#`",
		"admin'\u00a0# `#`", "admin '--x'", "admin \"--x\"", "Use the '--force' flag.", "admin')\f-- `#`"} {
		if quotedTermsOnly(v) {
			t.Errorf("210150 lets %q pass", v)
		}
	}
	tableOnly(t)
	h := headerProbe
	q := func(name, v string) probe {
		return probe{name: name, method: "GET", path: "/x?q=" + url.QueryEscape(v)}
	}
	misses := []probe{
		{name: "path 0=0", method: "GET", path: "/api/users/0=0"},
		{name: "path 1=1=0", method: "GET", path: "/api/orders/1=1=0"},
		h("X-User-Id 0=0", "X-User-Id", "0=0"),
		h("X-Tenant-Id 5=5=0", "X-Tenant-Id", "5=5=0"),
		h("X-Webhook-Target decimal metadata", "X-Webhook-Target", "2852039166/latest/meta-data/iam/security-credentials/"),
		h("X-Webhook-Target hex metadata", "X-Webhook-Target", "0xa9fea9fe/latest/meta-data/"),
		h("X-Original-URL proxy to decimal metadata", "X-Original-URL", "/proxy/2852039166/latest/meta-data/"),
	}
	passes := []probe{
		h("X-Token base64", "X-Token", "dGVzdA=="),
		h("X-Filter key=value", "X-Filter", "status=open"),
		{name: "path a version", method: "GET", path: "/api/v1=2/items"},
		h("X-Matched-Path route", "X-Matched-Path", "/api/users/[id]"),
	}
	for _, v := range prose {
		passes = append(passes, q(v, v))
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// TestReview84 are the finds of a review of attack 84's fixes (besides
// 210150's, in TestAttack84): brackets, a sign and a call between a
// paging word and its subquery (210202); a metadata address with a port,
// IPv4-mapped, with a trailing dot, a path without its first slash, and
// in a header with no path (210205); and its false positive, a decimal
// that is a metadata address's number (a timestamp: 1684301000).
func TestReview84(t *testing.T) {
	operatorTable(t, "210202/210205", func(v string) bool { return sortListProbe(v) || schemelessMetadata(strings.ToLower(v)) },
		[]string{"10 offset (((select count(*) from users where password like 'a%')))",
			"10 offset abs((select count(*) from users where password like 'a%'))",
			"10 offset -(select count(*) from users where password like 'a%')", "169.254.169.254:80", "[::ffff:a9fe:a9fe]",
			"[::ffff:169.254.169.254]", "latest/meta-data/", "169.254.169.254."},
		nil,
		[]string{"1684301000", "2852039166", "3221225664", "5 limit (select 1)"})
	tableOnly(t)
	runBeyondTheCRS(t, nil, []probe{{name: "X-Webhook-Host metadata", method: "GET", path: "/x",
		header: http.Header{"X-Webhook-Host": {"169.254.169.254"}}}},
		[]probe{{name: "since a timestamp", method: "GET", path: "/api/events?since=1684301000"}})
}

// TestAttack85 are attack 85's finds: a closed quote then GLOB (SQLite's
// login bypass, 210211); Accept-Language and DNT that break their
// grammar are read. (Its quadratic, a run of line breaks in 210144, is
// TestCPUBoundReview81's \n rows.)
func TestAttack85(t *testing.T) {
	operatorTable(t, "210211", quoteGlob,
		[]string{"x' glob '*", "x' not glob 'z*", "x'glob'*", "x' NOT GLOB 'x", "x' glob '*' --", "x' glob '[01]"},
		nil,
		[]string{"Use the 'glob' function", "it is a glob 'x'", "files matching '*.txt' glob pattern"})
	tableOnly(t)
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("Accept-Language php filter", "Accept-Language", "php://filter/convert.base64-encode/resource=config"),
			h("Accept-Language passwd", "Accept-Language", "/etc/passwd"),
			h("Accept-Language union", "Accept-Language", "en' union select password from users-- -"),
			{name: "form GLOB", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=admin&password=x%27+glob+%27*"}},
		[]probe{h("Accept-Language weights", "Accept-Language", "en-US,en;q=0.9,de;q=0.8,*;q=0.5"),
			h("Accept-Language zh-Hant-TW", "Accept-Language", "zh-Hant-TW,zh;q=0.9"), h("DNT", "DNT", "1")})
}

// TestCPUBoundAttack85: attack 85's quadratic, a multipart field of 16
// KiB of line breaks (257 ms before: 210144 read the rest of the run from
// each), costs what the bound allows.
func TestCPUBoundAttack85(t *testing.T) {
	tableOnly(t)
	base, _ := startCaddy(t, "waf")
	for _, unit := range []string{"\n", "\r\n", "\n\f"} {
		body := "--BB\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + strings.Repeat(unit, 15800/len(unit)) + "\r\n--BB--\r\n"
		req, _ := http.NewRequest("POST", base+"/api/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=BB")
		readUnder(t, req, fmt.Sprintf("multipart field of %q", unit), time.Duration(cpuMargin)*urlsBound)
	}
}

// TestReview85 are the finds of a review of attack 85's fixes: GLOB after
// a quote at the value's start, a blank before the quote, a bracket
// around it, a call or a sign after GLOB (210211, run on SQLite); a
// metadata name or inet_aton's spelling with a port alone (210205); two
// calls, arithmetic before a paging subquery (210202).
func TestReview85(t *testing.T) {
	operatorTable(t, "210202/210205/210211", func(v string) bool {
		return quoteGlob(v) || sortListProbe(v) || schemelessMetadata(strings.ToLower(v))
	}, []string{"' glob '*", "x ' glob '*", "x' glob char(42)||'", "x') glob ('*", "x' glob +'*", "metadata.google.internal:80", "0xa9fea9fe:80",
		"169.254.43518:80"},
		[]string{"10 offset abs(abs((select count(*) from users where password like 'a%')))",
			"10 offset 0+(select count(*) from users where password like 'a%')",
			"10 offset 1*(select count(*) from users where password like 'a%')"},
		[]string{"'glob' is a function", "Set the offset value (select one from the list)", "1.2.3.4:80", "12:30"})
}
