package waf

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestOpen81Loopback: attack 81's Open entry, a loopback address with no
// port as a value's or a line's whole start (210205), spelled as an
// address; an IP lookup's key, an id before a slash, a CIDR, a how-to's
// sentence pass.
func TestOpen81Loopback(t *testing.T) {
	operatorTable(t, "210205", func(v string) bool { return schemelessMetadata(strings.ToLower(v)) },
		[]string{"127.0.0.1/admin", "127.1/server-status", "[::1]/server-status", "0x7f000001/admin", "127.0.0.1/phpmyadmin/",
			"[::ffff:127.0.0.1]/admin", "notes\n127.0.0.1/admin", "  127.0.0.1/./admin"},
		nil,
		[]string{"127.0.0.1/32", "/ip/127.0.0.1/json", "2130706433/items", "Open 127.0.0.1/admin in your browser",
			"10.0.0.1/admin", "127.0.0.1 localhost", "/geo/127.0.0.1/", "v127.0.0.1/x"})
}

// TestOpen81XPath: attack 81's Open entry, XPath injection in a numeric
// slot (//user[id=1]): a union with another path after the predicate
// closed, or OR/AND and an XPath function (210104); prose with a number
// and "or" passes.
func TestOpen81XPath(t *testing.T) {
	operatorTable(t, "210104", xpathInjection,
		[]string{"1]|//user/password|//x[1", "1 or true()", "0]|//*|//*[0", " 1 ] | //*", "1 and text()"},
		[]string{"1 and starts-with(//user[1]/password,'a')", "1) or count(/*)=1 or (1", "-1 or string-length(name(/*))=4"},
		[]string{"1 or more", "page 1 or true() love", "5 | /usr/bin", "1 or 2 (both fine)", "1] see | note"})
}

// TestReview81 are the finds of a review of attack 81's fixes: SQL in a
// GraphQL string with \r or a comment for blanks, and 100 base64 ids
// (padding's =) that must pass; a PHP object's signed count (210210);
// sqlite3's abbreviated and argument dot-commands, a compressor by its
// path (210204); MySQL's bit literals, BINARY and introducers, a
// reversed comparison, BETWEEN and SOUNDS LIKE in a sort (210202); a
// list on one line, and a line's start in prose (210205).
func TestReview81(t *testing.T) {
	operatorTable(t, "210202/210204/210205", func(v string) bool {
		return sortListProbe(v) || argumentOptions(v) || schemelessMetadata(strings.ToLower(v))
	}, []string{"password>0b01101101", "password like binary 0x7a25", "password rlike binary 0x5e7a", "0x6d<password",
		"password sounds like 0x6d", "password>_binary 0x6d", `password like "a%"`,
		`data.db -cmd ".she id"`, `data.db -cmd ".sys id"`, `data.db ".shell id"`, "data.db -cmd \".sh\tid\"", `data.db -cmd ".once |id"`,
		"https://a.com, 169.254.169.254/latest/meta-data/", "https://a.com|localhost:2375/containers/json"},
		[]string{"password between 0x61 and 0x6d", "data.csv --compress-program=/bin/sh"},
		[]string{`summary ~ "login"`, `created >= "2024-01-01"`, `data.db -cmd ".shell" is disabled`, `Use the ".shell" command with care`,
			"pandoc a.md --filter=/usr/local/bin/pandoc-crossref",
			"The dashboard runs at\nlocalhost:3000/dashboard once you start it.", "Run the server and open\n127.0.0.1:5000/login in the browser",
			"Then the API docs are served at:\n\n    127.0.0.1:8000/docs\n\nThanks!",
			"On EC2 the instance metadata lives at\n169.254.169.254/latest/meta-data/ and needs a token.", "see\n127.0.0.1/phpmyadmin for the DB",
			"ports 3000, localhost:3000/admin"})
	if !phpObject(`O:8:"stdClass":+1:{s:1:"a";s:1:"b";}`) || !phpObject(`O:+8:"stdClass":1:{}`) || phpObject(`O:8:"stdClass":1:`) ||
		phpObject(`"O:1":2:{}`) || phpObject(`O:8:":1:{}`) {
		t.Errorf("phpObject misreads a head")
	}
	tableOnly(t)
	gql := func(name, q string) probe {
		return probe{name: name, method: "POST", path: "/graphql", contentType: "application/json", body: jsonString("query", q)}
	}
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = `"MDQ6VXNlcjU4MzIzMQ=="`
	}
	misses := []probe{
		gql("GraphQL comment for blanks", `{ product(id: "1/**/or/**/true") { name } }`),
		gql("GraphQL CR for blanks", `{ product(id: "1\ror\rtrue") { name } }`),
		gql("GraphQL form feed for blanks", `{ product(id: "1\u000cor\u000ctrue") { name } }`),
		{name: "cookie object with a signed count", method: "GET", path: "/x",
			header: http.Header{"Cookie": {"cart=O%3A8%3A%22stdClass%22%3A%2B1%3A%7Bs%3A1%3A%22a%22%3Bs%3A1%3A%22b%22%3B%7D"}}},
		{name: "query object with a signed class length", method: "GET", path: "/x?cart=" + url.QueryEscape(`O:+8:"stdClass":1:{s:1:"a";s:1:"b";}`)},
	}
	passes := []probe{
		gql("GraphQL 100 base64 ids", `query { nodes(ids: [`+strings.Join(ids, ", ")+`]) { id } }`),
		gql("GraphQL Shopify ids", `query { nodes(ids: ["Z2lkOi8vc2hvcGlmeS9Qcm9kdWN0LzE=", "Z2lkOi8vc2hvcGlmeS9Qcm9kdWN0LzI="]) { id } }`),
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// TestCPUBoundReview81: 16 KiB of the shapes this session's readings
// meet cost what the bound allows.
func TestCPUBoundReview81(t *testing.T) {
	repeatedJSONUnder(t, "https://a.com/x, ", "a.b/c, 1", "x\n", "a b\n", "0b1 ", "0x6d<a ", "a between 0x1 and ", "_binary ", `".sh `, `".once |`,
		`O:1:"`, `":1:{`, "1]|/", "1 or true() ", "127.0.0.1/", "\n127.0.0.1/a ",
		"a@", "u@127.0.0.1:1", "- a\n", `.sh\ `, "0 or (", "1][1]", "]/a", "_x x'", "' or (", ". ",
		"https://a.com ", "1. a.b/c\n", "x: 1.1.1.1/a ", "-O", " or string('", "grant control server ",
		"\n", "\r\n", "\n\f", "x' glob ", "0=0/")
}

// TestOpen78Headers: attack 78's Open entry, an application's own header
// with an absolute path or a metadata or loopback address with no scheme
// (read as arguments now, as a URL in one was since attack 16); a
// header's ordinary path, version and media type pass.
func TestOpen78Headers(t *testing.T) {
	tableOnly(t)
	h := headerProbe
	misses := []probe{
		h("X-File /etc/shadow", "X-File", "/etc/shadow"),
		h("X-Callback metadata", "X-Callback", "169.254.169.254/latest/meta-data/iam/security-credentials/"),
		h("X-Webhook loopback service", "X-Webhook", "127.0.0.1:2375/containers/json"),
		h("X-Target Google metadata", "X-Target", "metadata.google.internal/computeMetadata/v1/"),
	}
	passes := []probe{
		h("X-Request-Path", "X-Request-Path", "/api/v1/users/42"),
		h("X-Client version", "X-Client", "myapp.ios/1.2.3"),
		h("X-Upstream host and path", "X-Upstream", "api.example.com/v2/items"),
		h("X-Callback loopback no path", "X-Callback", "localhost:3000"),
	}
	runBeyondTheCRS(t, []probe{h("X-File traversal", "X-File", "/var/www/../../etc/passwd")}, misses, passes)
}

// TestOpen80Private: attack 80's Open entry, a private address with the
// port of an internal service an SSRF probes for and a path as a value's
// whole start (210205); in a path it is a target's name, with no path or
// a CIDR it is a setting, on another port a LAN device's (a review).
func TestOpen80Private(t *testing.T) {
	operatorTable(t, "210205", func(v string) bool { return schemelessMetadata(strings.ToLower(v)) },
		[]string{"10.0.0.5:2375/containers/json", "10.0.0.1:6443/api/v1/secrets", "172.16.0.5:8500/v1/kv/",
			"https://a.com, 10.1.2.3:9200/_cat/indices", "192.168.1.10:10250/pods"},
		nil,
		[]string{"Point it at 10.0.0.5:8080/api please", "10.0.0.1/24", "10.0.0.1:8080", "/upstreams/u/targets/10.0.0.1:8000/healthy",
			"1.2.3.4:80/x", "12:30/2", "192.168.0.10:554/stream1", "10.0.0.1:3306/mydb", "10.0.0.1:8080/health", "- 192.168.1.20:8080/video"})
}

// TestOpen78Uploaded: attack 78's Open entry, an option that loads or runs
// a file an attacker can have uploaded first (a temporary directory, an
// uploads directory, a process's standard input: 210204); a system path
// and a relative one pass.
func TestOpen78Uploaded(t *testing.T) {
	operatorTable(t, "210204", argumentOptions,
		[]string{"host -oSecurityKeyProvider=/dev/shm/k.so"},
		[]string{"host -oPKCS11Provider=/tmp/u.so", "host -o PKCS11Provider=/var/www/uploads/x.so", "a.md --lua-filter=/var/www/uploads/x.lua",
			"a.md --lua-filter /tmp/x.lua", "x -c core.sshCommand=/tmp/x", "host -oProxyCommand=/tmp/p", "a.md --filter=/tmp/f.py",
			"a.md --lua-filter=/proc/self/fd/0"},
		[]string{"host -oPKCS11Provider=/usr/lib/opensc-pkcs11.so", "a.md --lua-filter=filters/wordcount.lua",
			"pandoc a.md --lua-filter=/usr/share/pandoc/filters/x.lua",
			"Use ssh -o PKCS11Provider=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so host to log in", "a.tar --directory=out/uploaded"})
}

// attack82XPath are attack 82's XPath finds (210104), each run with
// libxml2 by the attacker: a bracketed condition, a path as the
// condition, XPath's other numbers, a predicate or a step before the
// union, and a child's name and a string as a blind test.
var attack82XPath = []string{"0 or (starts-with(password,'a'))", "0 or (contains(password,'pw'))", "0 or(true())", "1 or (true())",
	"1 or //user/password", "1 or//user", "0 or (//password)", "0 or .//password", "7 or .", "7 or *", ".5 or true()", ".0 or true()",
	"0. or true()", "1e0 or true()", "last() or true()", "1][1]|//password|//x[1", "1][true()]|//password|//x[1", "1]/ancestor::*|//x[1",
	"1]/descendant::*|//x[1", "1]/following::*|//x[1", "1]//..|//password|//x[1", "' or (true()) or '", "' or (//user) or '",
	"x' or (starts-with(password,'a')) or 'x'='y", "'][1]|//password|//x['"}

// TestAttack82 are attack 82's finds: XPath (above), a signed count's +
// in an argument (210210 before t:urlDecodeUni too), sqlite3's
// dot-commands with blanks after the dot, .sy, escaped blanks, ripgrep's
// --pre (210204), an introducer before a hex or bit string in a sort (210202), a
// user's name before a loopback host, the unspecified address, octal, a
// Markdown bullet (210205); and its false positive, a proxy allowlist on
// two lines.
func TestAttack82(t *testing.T) {
	operatorTable(t, "210104", xpathInjection, attack82XPath, nil,
		[]string{"1 or more", "1 or 2 (both fine)", "the 'name' and position (left)", "'maybe' or ... or 'no'", "| 'name' | /api/users |",
			"5 | /usr/bin", "1.5 or 2.5 liters", "Page 1 of 3 | /docs", "last (week) or never", "positions 1 or 2", "1 or * wildcard"})
	operatorTable(t, "210202/210204/210205", func(v string) bool {
		return sortListProbe(v) || argumentOptions(v) || schemelessMetadata(strings.ToLower(v))
	}, []string{`data.db ".  shell id"`, "data.db \".\tshell id\"", `data.db ". system id"`, `data.db ".sy id"`, `data.db .sh\ id`,
		`data.db ".she"ll\ id`, "foo --pre=sh", "foo --pre sh", "foo --pre-glob=* --pre=sh",
		"password>_utf8mb4 x'6d'", "password>_latin1 X'6D' desc", "password>_utf8mb4 b'01101101'", "password like _utf8mb4 x'6125'",
		"name,password>_latin1 x'6d'",
		`data.db .shell\ id`, `data.db -cmd .shell\ id`,
		"user@127.0.0.1:2375/containers/json", "@127.0.0.1:2375/containers/json", "user@localhost:2375/containers/json",
		"a@[::1]:2375/containers/json", "u:p@127.0.0.1:2019/config/", "x@kubernetes.default.svc/api/v1/secrets",
		"user@0.0.0.0:2375/containers/json", "0.0.0.0/server-status", "[::]/admin", "017700000001/admin",
		"localhost.localdomain:2375/containers/json", "https://a.com\n- 169.254.169.254/latest/meta-data/",
		"https://a.com, user@127.0.0.1:2375/containers/json"},
		nil,
		[]string{"pip install --pre requests", "127.0.0.1/32\n::1/128", "Email me at bob@127.0.0.1:2375/x please",
			"contact: bob@localhost:3000/admin", "- step one\n- open localhost:3000/admin", "0123/items", "00/items"})
	tableOnly(t)
	misses := []probe{
		{name: "query object with a signed count", method: "GET", path: "/x?data=" + url.QueryEscape(`O:3:"Foo":+1:{s:1:"x";s:2:"id";}`)},
		{name: "JSON object with a signed count", method: "POST", path: "/x", contentType: "application/json",
			body: jsonString("data", `O:3:"Foo":+1:{s:1:"x";s:2:"id";}`)},
		{name: "form Serializable with a signed count", method: "POST", path: "/x", contentType: "application/x-www-form-urlencoded",
			body: "data=" + url.QueryEscape(`C:3:"Foo":+1:{x}`)},
	}
	passes := []probe{
		{name: "proxy allowlist on two lines", method: "POST", path: "/settings", contentType: "application/x-www-form-urlencoded",
			body: "trusted_proxies=127.0.0.1%2F32%0A%3A%3A1%2F128"},
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// TestReview82 are the finds of a review of attack 82's fixes: an axis,
// a relative path after the union, a string, a child's name with a
// predicate or a comparison and text functions as a numeric slot's XPath
// condition, and prose that starts with a number and names a path
// (210104); reversed comparisons with a bit, hex or introduced literal,
// a bit string decoded, NOT BETWEEN (210202); sqlite3's command by its
// path, an uploads directory only as a directory (210204); a loopback
// address's /-/ and dotted paths, prose after it, scp's host:path, a
// LAN device's private address (210205).
func TestReview82(t *testing.T) {
	operatorTable(t, "210104", xpathInjection,
		[]string{"1 or self::*", "1]|*[1", "1]|user[1", "1 or string('x')", "1 or password[1]"},
		[]string{"1 or password='x'", "1 or substring(password,1,1)='h'", "1 or string-length(password)>0"},
		[]string{"2 or/and 3 are fine", "1 or /usr/local is fine", "1 or more", "2 or 3 items", "1 or 'two' apples"})
	operatorTable(t, "210202/210204/210205", func(v string) bool {
		return sortListProbe(v) || argumentOptions(v) || schemelessMetadata(strings.ToLower(v))
	}, []string{"0b01101101<=password", "x'6d'<password", "_utf8'a'<password", "password like b'0110000100100101'",
		`data.db ".sh /usr/local/bin/x"`, "a.md --lua-filter=/srv/app/uploads/x.lua", `".shell id"`,
		"127.0.0.1/-/metrics", "user:pw@127.0.0.1/admin"},
		[]string{"password not between 0x61 and 0x6d", `data.db ".system /bin/id"`, `x -cmd ".shell /opt/bin/sh"`},
		[]string{"pandoc a.md --lua-filter=filters/upload-links.lua", "a.md --lua-filter=./upload.lua", "127.0.0.1/admin is blocked",
			"- 127.0.0.1/32\n- 10.0.0.0/8", "0.0.0.0/0, ::/0", "git@10.0.0.5:group/repo.git"})
}
