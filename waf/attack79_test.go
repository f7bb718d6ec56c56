package waf

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// attack79TSQL are attack 79's SQL Server finds (210201): what ends a
// query after its sort keys (COLLATE, OPTION, FOR XML/JSON/BROWSE), a
// conditional blind test (IF ... WAITFOR, SELECT 1/0), KILL, SELECT INTO,
// and a numeric slot's value that starts with an N string, 0x or an ODBC
// escape.
var attack79TSQL = []string{"name collate Latin1_General_CI_AS delete from users", "name desc option(recompile) delete from users",
	"name option (maxdop 1) drop table users", "name option(fast 1) shutdown", "name for xml auto delete from users",
	"name for json path drop table users", "name for browse delete from users", "name for xml raw,elements delete from users",
	"name desc,2 delete from users",
	"name desc if exists(select 1 from users where pw like N'a%') waitfor delay N'0:0:5'",
	"name asc if (select count(*) from users where left(pw,1)=N'a')=1 waitfor delay N'0:0:5'",
	"1 if exists(select * from users where pw like N'a%') waitfor delay N'0:0:5'", "1 if system_user=N'sa' waitfor delay N'0:0:5'",
	"name desc if exists(select 1 from users where pw like N'a%') select 1/0", "name desc kill 52", "1 kill 52",
	"name desc select * into x from users", "N'' delete users", "N'' drop table users", "N'' alter login sa enable", "N'1' delete users",
	"0x shutdown", "0x delete users", "{d '2020-01-01'} delete users"}

// attack79TSQLBenign are near-misses, and attack 79's false positives.
var attack79TSQLBenign = []string{"5 if you want, select all", "2 if needed print it", "Please kill 52 processes", "Select into the box from the list",
	"Pass --upload-pack to git fetch only if the remote needs a custom path.", "Remember --upload-pack is also spelled -u in git clone.",
	"See the --receive-pack docs for details.", "Run `tar xf a.tar --to-command=cat` to print each file to stdout.",
	"Azure IMDS is at 169.254.169.254/metadata/instance?api-version=2021-02-01 (needs Metadata: true)."}

// TestAttack79TSQL: the gateway refuses attack79TSQL through a real Caddy
// and none of attack79TSQLBenign.
func TestAttack79TSQL(t *testing.T) {
	operatorTable(t, "2102xx", func(v string) bool {
		return tsqlStatement(v) || argumentOptions(v) || shellPrefixed(v) || schemelessMetadata(strings.ToLower(v))
	}, attack79TSQL, []string{"x' waitfor delay N'0:0:5'--"}, attack79TSQLBenign)
}

// TestCPUBoundAttack79: 16 KiB of the shapes attack 79's readings meet
// cost what the bound allows.
func TestCPUBoundAttack79(t *testing.T) {
	repeatedJSONUnder(t, "a if (", "1 if (' ", "name for xml auto, ", "a option (", "N'' ", "0x ", "{d '", "if @a=1 x ", "select a into ", `\u0027`, `\x27a`, `query { a(b: "x") `, `{ a(b: """`, "//etc/", "constructor:{prototype:", ";with x as (", ";explain (", "; do ", "a lbl: ", " -u ", "//run/", "; if (", ";if @a=1 ", ";with x as (select ')'", "./", "a/./", "0x6d>a, ")
}

// attack79Sorts are attack 79's sort-slot oracles (210202): a subquery as
// a sort key or in one, after a first key.
var attack79Sorts = []string{"name desc, 1/(select count(*) from users where id=1 and pw < 'm')",
	"name desc, (select id from users where pw like 'a%' or id>0)", "name desc, 1/exists(select 1 from users where pw<'m')",
	"name desc, (select count(*) from generate_series(1,(select count(*) from users where pw<'m')*30000000))",
	"name asc, (select length(randomblob(300000000*(select count(*) from users where pw<'m'))))"}

// TestAttack79Sorts: rule 210202 refuses attack79Sorts, and passes a
// bracket with no query in it.
func TestAttack79Sorts(t *testing.T) {
	operatorTable(t, "210202", sortListProbe, attack79Sorts, nil, []string{"name desc, (price)", "name (select one) desc", "created_at desc, (id)"})
}

// TestAttack79Carriers: rules 210206-210208 and 210205's internal APIs,
// through a real Caddy: a cookie's percent-encoded PHP stream,
// constructor.prototype as JSON in a value and a cookie, an OS file after
// a double slash in the path, and loopback services with no scheme; their
// near misses pass.
func TestAttack79Carriers(t *testing.T) {
	tableOnly(t)
	get := func(name, path string, header ...string) probe {
		p := probe{name: name, method: "GET", path: path}
		if len(header) == 2 {
			p.header = http.Header{header[0]: {header[1]}}
		}
		return p
	}
	misses := []probe{
		get("cookie php://filter", "/x", "Cookie", "lang=php%3A%2F%2Ffilter%2Fconvert.base64-encode%2Fresource%3Dindex"),
		get("cookie php://input", "/x", "Cookie", "lang=php%3A//input"),
		get("query constructor.prototype JSON", "/x?q="+url.QueryEscape(`{"constructor":{"prototype":{"isAdmin":true}}}`)),
		get("cookie j: constructor.prototype", "/x", "Cookie", "prefs=j%3A%7B%22constructor%22%3A%7B%22prototype%22%3A%7B%22isAdmin%22%3Atrue%7D%7D%7D"),
		{name: "JSON string constructor.prototype", method: "POST", path: "/x", contentType: "application/json",
			body: jsonString("q", `{"constructor": {"prototype": {"isAdmin": true}}}`)},
		get("path //etc/passwd", "/download//etc/passwd"),
		get("path //etc/shadow", "/files//etc/shadow"),
	}
	for _, v := range []string{"127.0.0.1:2375/containers/json", "127.0.0.1:8500/v1/kv/?recurse", "localhost:2019/config/", "127.0.0.1:10250/pods",
		"kubernetes.default.svc/api/v1/namespaces/default/secrets", "[::1]:2375/containers/json", "127.1:2375/containers/json"} {
		misses = append(misses, get("query "+v, "/x?host="+url.QueryEscape(v)))
	}
	passes := []probe{
		get("cookie lang=en", "/x", "Cookie", "lang=en; theme=dark"),
		get("query constructor words", "/x?q="+url.QueryEscape("the constructor: a prototype of the class")),
		get("path //static", "/assets//css/site.css"),
		get("path etc after a single slash", "/docs/etc/passwd-reset-guide"),
		get("query localhost in prose", "/x?q="+url.QueryEscape("Open localhost:3000/admin in your browser")),
		get("query k8s health", "/x?q="+url.QueryEscape("kubernetes.default.svc/healthz")),
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// TestAttack79Escapes: a value's string escapes are decoded and read
// (:unescaped): SQL injection, SSRF and a command in a GraphQL query's
// string, and a JSON string literal inside a JSON leaf; text with escapes
// of other characters passes.
func TestAttack79Escapes(t *testing.T) {
	tableOnly(t)
	gql := func(name, q string) probe {
		return probe{name: name, method: "POST", path: "/graphql", contentType: "application/json", body: jsonString("query", q)}
	}
	misses := []probe{
		gql("GraphQL \\u0027--", `query { login(user: "admin\u0027--", password: "x") }`),
		gql("GraphQL \\u0027 or 1=1--", `query { login(user: "x\u0027 or 1=1--", password: "x") }`),
		gql("GraphQL command escaped", `query { ping(host: "127.0.0.1\u003b cat \u002fetc\u002fpasswd") }`),
		{name: "JSON string literal in a leaf", method: "POST", path: "/x", contentType: "application/json",
			body: jsonString("message", `"admin\u0027 or \u00271\u0027=\u00271"`)},
	}
	passes := []probe{
		gql("GraphQL with an accent escaped", `query { search(text: "caf\u00e9 cr\u00e8me") { id } }`),
		gql("GraphQL plain", `query { shop { name } }`),
		gql("GraphQL arguments", `mutation { addComment(postId: "p1", body: "Great post, thanks!") { id } }`),
		{name: "JSON escapes of quotes in prose", method: "POST", path: "/x", contentType: "application/json",
			body: jsonString("note", `He said \u0022hello\u0022 and left`)},
	}
	runBeyondTheCRS(t, nil, misses, passes)
	if u, ok := stringEscapes(`a\u0027b\x3c\u{3e}\u00e9\q`); !ok || u != `a'b<>\u00e9\q` {
		t.Errorf("stringEscapes = %q, %v", u, ok)
	}
}

// FuzzAttack79Readings: any value is read by attack 79's decoders without
// a panic, and neither makes a value longer.
func FuzzAttack79Readings(f *testing.F) {
	for _, v := range []string{`query { a(b: "x\u0027") }`, `{ a(b: """c""") }`, `a\x27\u{27}`, `\u00`, `"\`, `query # c` + "\n" + `{ a(b: "\\\"") }`} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if u, ok := stringEscapes(v); ok && len(u) > len(v) {
			t.Errorf("stringEscapes(%q) grew", v)
		}
		if graphQLDocument(v) {
			n := 0
			for _, s := range graphQLStrings(v, 1<<20) {
				n += len(s)
			}
			if n > len(v) {
				t.Errorf("graphQLStrings(%q) read more than the value", v)
			}
		}
	})
}

// TestAttack79Arguments: rule 210204 refuses attack 79's other tools'
// options after a value's first word; find's -exec of an everyday tool
// passes.
func TestAttack79Arguments(t *testing.T) {
	operatorTable(t, "210204", argumentOptions, []string{"file -execdir sh -c id ;", "repo --config core.sshCommand=id",
		"ssh://x/y --config=core.sshCommand=id", "a.md --filter=sh", "a.md --filter id", "http://h/f --use-askpass=sh", "x -e use_askpass=id",
		"x --execute=use_askpass=id", "src --rsh=id host:dst", "svn+ssh://h/r --config-option=config:tunnels:ssh=id", "x --gpu-launcher=id",
		"x --renderer-cmd-prefix=id"}, nil,
		[]string{"use find -name '*.log' -exec gzip {} +", "then --filter=pandoc-citeproc", "set --config user.name=Ann", "add --rsh=ssh"})
}

// TestReview79: a fresh-eyes review of attack 79's fixes: GraphQL
// documents behind a byte order mark, a comment or an inline fragment,
// an escaped quote in a block string; constructor's prototype not its
// first key; a . segment after //; IPv6's loopback spellings; derived
// tables, CTEs and bracketed names in a sort's subquery; pandoc's -F,
// rsync's -e; and the false positives (a query of 150 ids, loopback
// addresses in Markdown and prose, IF in prose).
func TestReview79(t *testing.T) {
	tableOnly(t)
	gql := func(name, q string) probe {
		return probe{name: name, method: "POST", path: "/graphql", contentType: "application/json", body: jsonString("query", q)}
	}
	get := func(name, path string) probe { return probe{name: name, method: "GET", path: path} }
	q := url.QueryEscape
	misses := []probe{
		gql("GraphQL behind a BOM", "\ufeffquery { login(user: \"admin\\u0027--\", password: \"x\") }"),
		gql("GraphQL comment after {", "{ #c\n login(user: \"admin\\u0027--\", password: \"x\") }"),
		gql("GraphQL inline fragment", `{ ... on Query { login(user: "admin\u0027--", password: "x") } }`),
		gql("GraphQL escaped block quote", `query { login(password: """\"""""", user: "admin\u0027--") }`),
		get("constructor's second key", "/x?q="+q(`{"constructor":{"a":1,"prototype":{"isAdmin":true}}}`)),
		get("constructor with a comment", "/x?q="+q(`{"constructor":/*c*/{"prototype":{"isAdmin":true}}}`)),
		get("//./etc/passwd", "/download//./etc/passwd"),
		get("[::ffff:127.0.0.1]", "/x?host="+q("[::ffff:127.0.0.1]:2375/containers/json")),
		get("[0:0:0:0:0:0:0:1]", "/x?host="+q("[0:0:0:0:0:0:0:1]:2375/containers/json")),
		get("[::]", "/x?host="+q("[::]:2375/containers/json")),
		get("sort derived table", "/x?sort="+q("name desc, 1/(select count(*) from (select 1 from users where pw<'m') x)")),
		get("sort CTE", "/x?sort="+q("name desc, 1/(with x as (select 1 from users where pw<'m') select count(*) from x)")),
		get("sort bracketed", "/x?sort="+q("name desc, 1/(select(count(*))from(users)where(pw<'m'))")),
		get("sort except", "/x?sort="+q("name desc, 1/(select 1 from users except select 1 from users where pw<'m')")),
		get("pandoc -F", "/x?f="+q("a.md -F id")),
		get("rsync -e", "/x?src="+q("src -e 'sh -c id' host:dst")),
	}
	ids := make([]string, 150)
	for i := range ids {
		ids[i] = `"gid://shopify/Product/` + strconv.Itoa(1000+i) + `"`
	}
	passes := []probe{
		gql("150 product ids", "query { nodes(ids: ["+strings.Join(ids, ", ")+"]) { id } }"),
		get("Markdown localhost", "/x?q="+q("The dev server runs on `localhost:3000/`")),
		get("parenthesized localhost", "/x?q="+q("Open the app (localhost:3000/admin) in a browser")),
		get("package.json proxy", "/x?q="+q(`"proxy": "localhost:5000/"`)),
		get("IF in prose", "/x?q="+q("5 if (you want) select all")),
		get("IF in prose with a comma", "/x?q="+q("1 if the total > 100, select Express shipping")),
		get("kill with", "/x?q="+q("2 kill 3 with one stone")),
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// TestAttack80: attack 80's finds: a statement stacked after a ; and led
// by a CTE, PostgreSQL's EXPLAIN ANALYZE and DO, a stacked IF (210201); a
// T-SQL label before a statement; git clone's -u among a command's
// arguments (210204); a secret's path after // in the request's path
// (210209).
func TestAttack80(t *testing.T) {
	operatorTable(t, "210201/210204", func(v string) bool { return tsqlStatement(v) || argumentOptions(v) }, []string{
		"1;with x as (select 1 a) delete from users", "1;\nwith x as (select 1 a) delete from users", "name desc;with x as (select 1 a) delete from users",
		"name;with x as (select 1 a) delete users", "name desc;with x as (select 1 a) update users set role='admin'",
		"name desc;with x as (select 1 a) select * into pub from users", "name desc;with c as (select * from users) update c set role='admin'",
		"name desc;with x(a) as (select 1) select 1/0 where exists(select 1 from users where pw like 'a%')",
		"1;with d as (delete from users returning 1) select 1", "1;with x as materialized (select 1) delete from users",
		"1;explain analyze delete from users", "1;explain (analyze) update users set role='admin'", "1;do $$begin delete from users; end$$",
		"name desc;if 1=1 select 1/0", "name;explain analyze delete from users", "name desc lbl: delete from users", "name desc x:shutdown",
		"1 lbl: delete from users", "origin -u id", "origin dst -u 'sh -c id'", "https://github.com/a/b.git -u id",
		"name desc;with x as (select 1 a) insert into users(name,role) values('e','admin')",
		// a review: a bracket in a CTE's string, EXPLAIN's options, a
		// CTE's SELECT of an error or a clock, PREPARE
		"1;with x as (select ')') delete from users", "1;with x as (select '(' a) delete from users",
		"1;explain analyze verbose delete from users", "1;with x as (select 1) select cast(pw as int) from users",
		"1;explain analyze with d as (delete from users returning 1) select 1", "1;explain analyze execute p"},
		[]string{"1;with x as (select 1) select pg_sleep(5)", "1;prepare p as delete from users;execute p"},
		[]string{"Note: with this, as (a) result, delete it; ok", "Done; with friends as (we said) we left", "Time: 10:30 delete later",
			"run it with -u root", "Ratio 3:1 drop table later",
			// a review's false positives
			"Delete node_modules; do 'npm install' again", "What should I do; do 'this' or that?", `for f in *.jpg; do $EDITOR "$f"; done`,
			"Check the total; if price > 100 select express shipping", "Finally done; with Jane as (the new) copy editor, the magazine ships",
			"find / -uid 0 -perm -4000", "docker exec -u node -it app bash"})
	tableOnly(t)
	var misses []probe
	for _, p := range []string{"/download//var/run/secrets/kubernetes.io/serviceaccount/token", "/download//run/secrets/db_password",
		"/download//root/.git-credentials"} {
		misses = append(misses, probe{name: "path " + p, method: "GET", path: p})
	}
	runBeyondTheCRS(t, nil, misses, []probe{{name: "path //assets", method: "GET", path: "/static//css/app.css"}})
}

// TestAttack81: attack 81's finds: SQL with no code character in a
// GraphQL string (an ID a resolver puts in WHERE id = ...); MySQL's 0x
// literals in a sort's comparison; GNU sort's --compress-program and
// sqlite3's -cmd .shell among a command's arguments; a serialized PHP
// object in a cookie, percent-encoded; a metadata or loopback address on
// a later line of a list; and a run of ./ read once.
func TestAttack81(t *testing.T) {
	operatorTable(t, "210202/210204/210205", func(v string) bool {
		return sortListProbe(v) || argumentOptions(v) || schemelessMetadata(strings.ToLower(v))
	}, []string{"password>0x6d", "password<0x6d", "(password>0x6d) desc", "name, password>0x6d", "password like 0x6125",
		"password rlike 0x5E61", "password regexp 0x5E61", "-(password>0x6d)",
		"data.csv -S 1K --compress-program=sh", "data.csv --compress-program sh -S 1K", "data.csv --compress-prog=sh",
		`data.db -cmd ".shell id"`, `data.db -cmd ".system id"`,
		"https://hooks.example.com/a\n169.254.169.254/latest/meta-data/iam/security-credentials/role",
		"example.com\r\nlocalhost:2375/containers/json"}, nil,
		[]string{"price like 0x", "name desc, 0x10", "data.csv --compress-program=gzip", `data.db -cmd ".tables"`,
			"line one\nsee 169.254.169.254/latest/meta-data/ for the id"})
	tableOnly(t)
	gql := func(name, q string) probe {
		return probe{name: name, method: "POST", path: "/graphql", contentType: "application/json", body: jsonString("query", q)}
	}
	misses := []probe{
		gql("GraphQL id 1 or 1=1", `{ product(id: "1 or 1=1") { name } }`),
		gql("GraphQL id like 0x", `{ product(id: "1 and password like 0x6125") { name } }`),
		gql("GraphQL default 1 OR true", `query($id: ID = "1 OR true") { product(id: $id) { name } }`),
		{name: "cookie serialized object", method: "GET", path: "/x",
			header: http.Header{"Cookie": {"cart=O%3A8%3A%22stdClass%22%3A1%3A%7Bs%3A1%3A%22a%22%3Bs%3A1%3A%22b%22%3B%7D"}}},
	}
	passes := []probe{
		gql("GraphQL tags with words", `mutation { productCreate(input: {title: "Rock and roll tee", tags: ["summer", "rock and roll"]}) { id } }`),
		{name: "cookie plain", method: "GET", path: "/x", header: http.Header{"Cookie": {"cart=3%20items; theme=dark"}}},
	}
	runBeyondTheCRS(t, nil, misses, passes)
	// a run of ./ is no address (TestCPUBoundAttack79 bounds its cost:
	// 83 ms for 16 KiB before, read once per dot)
	if schemelessMetadata(strings.Repeat("./", 8192)) || schemelessMetadata("/download"+strings.Repeat("/.", 8192)+"/latest/") {
		t.Errorf("./ read as an address")
	}
}
