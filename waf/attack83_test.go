package waf

import (
	"net/http"
	"strings"
	"testing"
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
	h := func(name, k, v string) probe {
		return probe{name: name, method: "GET", path: "/x", header: http.Header{k: {v}}}
	}
	runBeyondTheCRS(t, nil, []probe{h("X-File a hidden file under home", "X-File", "/home/u/.ssh/id_rsa")},
		[]probe{h("X-Matched-Path under app", "X-Matched-Path", "/app/[id]"), h("X-Matched-Path under data", "X-Matched-Path", "/data/[slug]"),
			h("X-Matched-Path under home", "X-Matched-Path", "/home/[slug]")})
}
