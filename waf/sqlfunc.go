package waf

import (
	"regexp"
	"strings"
)

// sqlFunctionRules are the rules for SQL injection through functions the
// CRS and libinjection do not name, and for the commands after a shell's
// separator that rule 210151 does not list (a twelfth fresh-eyes attack,
// attack 16):
//
//   - 210156: a closed quote (or a number that starts the value), then
//     OR, AND, XOR, || or &&, optionally NOT, and a call of one of
//     sqlFunctionNames (sqlFunctionRule). x' OR json_valid('1') --,
//     ' OR json_type('1') IS 'integer' OR ', x' OR unlikely(1)-- -,
//     x' OR ISJSON('1')=1-- - are login bypasses (a tautology) and
//     admin' AND json_quote(password) LIKE '"s%,
//     1 AND json_extract(password,'$') LIKE 'a%' read a password one
//     prefix a request (SQLite's JSON1 and likely/unlikely/likelihood,
//     MySQL 5.7+'s JSON_* and REGEXP_*, SQL Server 2016+'s ISJSON and
//     JSON_VALUE, PostgreSQL's jsonb_*): libinjection takes none of these
//     for SQL (an unknown function's name is a word to it). Prose with the
//     names and no call ("it is json_valid or not", "select or json"),
//     a call after prose and not after a quote or a leading number
//     ("it's likely (1) of them") pass; code in a forum post that ANDs a
//     quoted string with one of these calls (WHERE a = 'x' AND
//     json_valid(b)) is refused: the price.
//   - 210159: after a shell's separator (; | & a backtick, a line break
//     or $(), a command rule 210151 does not know (shellExtraRule): the
//     shell itself as $0 or ${0} before an option or a redirection
//     (127.0.0.1;$0 -c id, |$0 -c uname, ;$0<<<id: $0 is the shell's
//     name in sh -c); a package runner that downloads and runs a package
//     (npx, bunx, uvx, pnpx, npm exec, yarn dlx, pnpm dlx, pipx run,
//     pip install, python -m pip install, gem install, cargo install,
//     go run of a module's path, deno run); and for cmd.exe, a Windows
//     program by its .exe name (& curl.exe -o x.bat e.vil/x.bat,
//     & tar.exe -xf ...), a UNC path run as a command (& \\e.vil\s\x.exe)
//     or a program under a variable's or a drive's path
//     (&& %TEMP%\x.exe). Prose after a separator passes: "Total; $0 fee",
//     "npx is faster", "go run fast", "Q&A: setup"; "; pip install x"
//     and "& setup.exe" in a how-to are refused: the price. Runners and
//     Windows programs count only after the value's first word (attack
//     17's false positives); since attack 18 also after one-word
//     commands chained on that line (;true;npx x), variables'
//     assignments or a directory (;FOO=1 npx x, ;/usr/bin/npx x), with
//     quotes or backslashes in the runner's name (;"npx", ;\npx,
//     ;n'p'x), and for cmd.exe after start, call, @, ^ or a double
//     quote, or as an .exe name with a caret in it (& cu^rl.exe).
var sqlFunctionRules = `SecRule ` + valueNameHeaderTargets + ` "@` + subqueryArgumentOp + `" "id:210101,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a function called with a subquery as its argument, or a call of a function of an Oracle package (DBMS_*, UTL_*, ORDSYS, CTXSYS, HTTPURITYPE)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + quoteGlobOp + `" "id:210211,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,multiMatch,msg:'SQL injection: a closed quote, then GLOB and a string (SQLite)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + quoteConcatSubqueryOp + `" "id:210212,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,multiMatch,msg:'SQL injection: a closed quote, then a string concatenation (|| or +) and a bracketed SELECT or CASE',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + jsonArrowOp + `" "id:210214,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,multiMatch,msg:'SQL injection: a closed quote or a number, a logical operator and a JSON operator (-> or ->>) as the condition',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + xpathInjectionOp + `" "id:210104,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'XPath injection: a closed quote, then a union with a path or OR/AND and an XPath function',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + errorFunctionOp + `" "id:210105,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,multiMatch,msg:'SQL injection: a logical operator and a MySQL function whose error message holds its argument (ST_LatFromGeoHash, UUID_TO_BIN, GTID_SUBTRACT)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + postfixAfterQuoteOp + `" "id:210106,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a closed quote or a number, then COLLATE, NOTNULL, ISNULL or USING and a condition, a clause or a comment',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + numberOperandOp + `" "id:210200,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,multiMatch,msg:'SQL injection: a number, a logical operator and an operand true in a numeric context (a row id, a unary operator, arithmetic, NOTNULL, COLLATE)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + tightTautologyOp + `" "id:210102,phase:2,block,t:none,t:urlDecodeUni,msg:'SQL injection: a number, a logical operator and a constant with no space between',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@rx ` + sqlFunctionRule + `" "id:210156,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a closed quote, a logical operator and an SQL function',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "@rx ` + sqlInjectedTail + `" "t:none,t:urlDecodeUni,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@rx ` + sqlFunctionNumberRule + `" "id:210162,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a number, a logical operator and an SQL function compared',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + tautologySuffixOp + `" "id:210179,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a closed quote, OR and a condition that NOTNULL or ISNULL ends, or a comparison then a clause that ends a query (FOR UPDATE, LOCK IN SHARE MODE, WINDOW, SETTINGS, FORMAT), or a bit or hex literal whose quote the query closes',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + setOperatorRowsOp + `" "id:210178,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a closed quote or a number, then UNION, EXCEPT or INTERSECT with rows written out (VALUES) or a whole table (TABLE)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@rx ` + shellExtraRule + `" "id:210159,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator then the shell as $0, a package runner or a Windows program',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// subqueryArgumentOp is rule 210101's operator (subqueryArgument; since
// attack 74 also a call of a function in one of Oracle's own packages,
// whatever its argument: oracleFunction, oraclePackageCall in oracle.go).
const subqueryArgumentOp = "gatewaySubqueryArgument"

func init() { registerGoOperator(subqueryArgumentOp, oracleFunction) }

// subqueryArgument is rule 210101's operator, in Go (RE2's memory budget
// for the CRS's and the gateway's expressions is spent): a function's
// name (qualified by a package and a schema, as Oracle's are) called with
// a parenthesised SELECT as its argument, name((select or name( (select.
// Oracle's error-based extraction puts a subquery's result into an error
// message through functions the CRS does not name:
// 1 and 1=dbms_xdb_version.checkin((select user from dual)),
// ctxsys.ctx_report.token_type((select ...),'x'),
// sys.dbms_aw_xml.readawmetadata(...), ordsys.ord_dicom.getmappingxpath
// (...) passed a fresh-eyes attack (attack 64, B3); the CRS knew
// utl_inaddr and ctxsys.drithsx.sn by name. A subquery as a call's
// argument is SQL whatever the function's name; prose writes a word
// between two opening parentheses. Linear: each "select" is read back
// over the parentheses and blanks before it, which no other "select"
// reads again (a word ends the walk).
func subqueryArgument(v string) bool {
	for i := 0; ; {
		j := indexFold(v[i:], "select")
		if j < 0 {
			return false
		}
		at := i + j
		i = at + len("select")
		if i >= len(v) || strings.IndexByte(selectFollows, v[i]) < 0 && !(v[i] == '(' && sqlAfterParens(v[i:])) {
			// selected, select_x, (select) => ..., (select).options,
			// select(x) for ...: code that names something select
			// (attack 66); select(user)from(dual) is SQL (a review)
			continue
		}
		k, parens := at, 0
		for k > 0 && (v[k-1] == '(' || strings.IndexByte(sqlSpaceBytes, v[k-1]) >= 0 || k >= 2 && v[k-2] == '\xc2' && v[k-1] == '\xa0') {
			if v[k-1] == '(' {
				parens++
			}
			if v[k-1] == '\xa0' && k >= 2 && v[k-2] == '\xc2' {
				k--
			}
			k--
		}
		if parens == 1 && k > 0 && strings.IndexByte(",|+", v[k-1]) >= 0 && injectedCall(v, argumentOfCall(v[:k-1])) {
			// f('x',(select ...)): a later argument (a review);
			// f(''||(select ...)), f(1+(select ...)): an argument built
			// with it (attack 65; '' is NULL to Oracle, so the argument
			// is the subquery's result)
			return true
		}
		if parens < 2 || k == 0 || !identByte(v[k-1], "$#") {
			continue
		}
		// the name: words and dots back to its start, which is a letter or _
		n := k
		for n > 0 && identByte(v[n-1], "$#.") {
			n--
		}
		if c := v[n]; (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') && injectedCall(v, n) {
			return true
		}
	}
}

// selectFollows are the bytes after "select" that begin a subquery's
// select list: a blank (a no-break space's bytes too), MySQL's @@ and *,
// a quote.
const selectFollows = " \t\n\r\x0b\x0c\xa0\xc2@*'\"`-+~!"

// sqlAfterParens: v opens a parenthesis whose match (within 64 bytes)
// is followed, after blanks, by one of SQL's clause words: select(user)
// from(dual), select(1)union... Code's select(x) goes on otherwise.
func sqlAfterParens(v string) bool {
	depth := 0
	for i := 0; i < len(v) && i < 64; i++ {
		switch v[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				rest := v[i+1:]
				for rest != "" && (rest[0] == '(' || strings.IndexByte(sqlSpaceBytes, rest[0]) >= 0) {
					rest = rest[1:]
				}
				for _, w := range []string{"from", "union", "where", "limit", "into", "order", "group", "having"} {
					if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) && (len(rest) == len(w) || !identByte(rest[len(w)], "$#")) {
						return true
					}
				}
				return false
			}
		}
	}
	return false
}

// injectedCall: the call whose name starts at v[n] stands where an
// injected condition puts it: at the value's start, or after an operator,
// a parenthesis, a comma, or a word of SQL's conditions (and, or, not,
// in, like, case, ...; case since a review: 1=case
// dbms_xdb_version.checkin(password) when 1 then 1 end). SQL in prose
// names the call after other words (Try EXISTS((select 1 from dual)),
// FROM unnest((SELECT ids ...)), Use ARRAY((SELECT ...)): attack 66's
// false positives). n < 0: no call.
func injectedCall(v string, n int) bool {
	if n < 0 {
		return false
	}
	m := n
	for m > 0 && strings.IndexByte(sqlSpaceBytes, v[m-1]) >= 0 {
		m--
	}
	if m == 0 {
		return true
	}
	if strings.IndexByte("=<>(,|+-*/!&'\";%^~", v[m-1]) >= 0 {
		return true
	}
	w := m
	for w > 0 && identByte(v[w-1], "") {
		w--
	}
	switch strings.ToLower(v[w:m]) {
	case "and", "or", "xor", "not", "in", "is", "like", "between", "select", "where", "case", "when", "then", "else", "having", "by", "on", "return", "div", "mod", "exec", "call":
		return true
	}
	return false
}

// errorFunctionOp is rule 210105's operator (errorFunction).
const errorFunctionOp = "gatewayErrorFunction"

func init() { registerGoOperator(errorFunctionOp, errorFunction) }

// errorFunctionRx is rule 210105's reading: and/or/xor (or && ||) and a
// call of a MySQL 8 function whose error message quotes its argument
// ("Incorrect geohash value: '<value>'", "Incorrect string value"), so
// 1 and st_latfromgeohash(password) shows the row's password to an
// application that shows database errors; 1 and uuid_to_bin(@@hostname)
// a setting. These passed a fresh-eyes attack (attack 66); the CRS names
// st_longfromgeohash but not the others. On Go's regexp after a byte
// scan for "geohash" or "uuid" (RE2's memory budget is spent). Since a
// review also after a comparison, NOT, a sign or a parenthesis
// (1 and 1=st_latfromgeohash(password), 1 or -uuid_to_bin(...)), and with
// MySQL's other blanks (a vertical tab, a no-break space). The GTID
// sets' functions are read by gtidErrorCall.
var errorFunctionRx = regexp.MustCompile(`(?i)(?:\b(?:and|or|xor|not)|&&|\|\||[=<>!(,+\-*/])[\s\x{0b}\x{a0}\x{fffd}(!~+\-]*(?:st_\w*geohash|uuid_to_bin|bin_to_uuid)[\s\x{0b}\x{a0}\x{fffd}]*\(`)

// errorFunction is rule 210105's operator.
func errorFunction(v string) bool {
	if indexFold(v, "gtid") >= 0 && gtidErrorCall(v) {
		return true
	}
	if indexFold(v, "geohash") < 0 && indexFold(v, "uuid") < 0 {
		return false
	}
	return errorFunctionRx.MatchString(v)
}

// gtidFunctions are MySQL's functions that parse a GTID set, whose error
// is "Malformed GTID set specification '<value>'".
var gtidFunctions = []string{"gtid_subtract", "gtid_subset", "wait_for_executed_gtid_set", "wait_until_sql_thread_after_gtids"}

// gtidOperatorWords are the words after which gtidErrorCall reads a
// call: logical operators, NOT, MySQL's matches and integer division,
// and CASE.
var gtidOperatorWords = []string{"and", "or", "xor", "not", "like", "regexp", "rlike", "div", "mod", "case"}

// gtidErrorCall is rule 210105's reading of the GTID sets' functions
// (gtidFunctions): an operator (a logical one, && ||, NOT, a comparison,
// LIKE, NOT LIKE, REGEXP, RLIKE, DIV, MOD, CASE, a bitwise or arithmetic
// one, a sign, ~, ! or an opening bracket or a comma), white space and
// comments (MySQL's # and -- line comments to the line's end among them),
// one of the names, white space and comments again, a bracket and a
// first argument that is not empty. x' and 1=gtid_subtract(password,1)--
// and name asc, gtid_subtract(password,1) show the password in the error
// (attack 74: they passed the CRS and the gateway; the CRS's 942151 names
// gtid_subset only). A review found x'|gtid_subtract(password,1)|',
// x'^gtid_subtract(password,1)^', x' like gtid_subtract(password,1)--,
// x' and#<newline>gtid_subtract(password,1)-- and
// gtid_subtract-- <newline>(password,1) passing the expression this
// reading replaces (MySQL reads the comments as white space), and "You
// can use GTID_SUBSET() and GTID_SUBTRACT() to compare GTID sets"
// refused: an empty first argument is no read. "Use GTID_SUBTRACT(set1,
// set2) to compare GTID sets" passes (no operator before it);
// "GTID_SUBTRACT(a,b) or GTID_SUBSET(a,b)?" is refused: the price. A call
// that is a sort slot's whole value (?sort=gtid_subtract(password,1)) is
// rule 210202's (sortListProbe, orderby.go). Linear: each operator is
// read once, the white space and comments after it are searched once
// (sqlReader), and a name is compared at one place only.
func gtidErrorCall(v string) bool {
	r := newSQLReader(v)
	for i := 0; i < len(v); i++ {
		e := -1
		switch c := v[i]; {
		case strings.IndexByte("=<>!(,+-*/%|^&~", c) >= 0:
			e = i + 1
		case (c|0x20 >= 'a' && c|0x20 <= 'z') && (i == 0 || !identByte(v[i-1], "$")):
			w := identEnd(v, i)
			if _, ok := sqlWordFold(v, i, gtidOperatorWords...); ok {
				e = w
			}
			i = w - 1
		}
		if e < 0 {
			continue
		}
		if gtidCallAt(r, r.skip(e)) {
			return true
		}
	}
	return false
}

// gtidCallAt: at v[k] one of gtidFunctions' names, white space and
// comments, a bracket and a first argument that is not empty.
func gtidCallAt(r *sqlReader, k int) bool {
	v := r.v
	for _, f := range gtidFunctions {
		if len(v)-k < len(f) || !strings.EqualFold(v[k:k+len(f)], f) {
			continue
		}
		n := k + len(f)
		if n < len(v) && identByte(v[n], "$") {
			return false
		}
		b := r.skip(n)
		if b >= len(v) || v[b] != '(' {
			return false
		}
		a := r.skip(b + 1)
		return a < len(v) && v[a] != ')' && v[a] != ','
	}
	return false
}

// postfixAfterQuoteOp is rule 210106's operator (postfixAfterQuote).
const postfixAfterQuoteOp = "gatewayPostfixAfterQuote"

func init() { registerGoOperator(postfixAfterQuoteOp, postfixAfterQuote) }

// postfixAfterQuoteRx is rule 210106's reading: a closed quote (or a
// number that starts the value, alone or OR-ed with a column), then a
// postfix that libinjection and the CRS do not read there, COLLATE and a
// collation's name (a word, or quoted as PostgreSQL's "C"), NOTNULL,
// ISNULL, or MySQL's USING <charset>) of CONVERT, then what an injection
// goes on with: a logical operator, HAVING, ORDER BY, GROUP BY, UNION, a
// comparison (LIKE, GLOB, =, <, >), a comment or a ';'. x' collate nocase
// or 'a'='a is every row on SQLite, admin' collate nocase-- - a login,
// 0 or pw collate nocase like 's1%' a password read one letter a request;
// all passed the CRS and the gateway in every place (attack 67; MySQL's
// utf8mb4_bin and PostgreSQL's "C" the same). Since a review also after
// closing parentheses (x' collate nocase) or ('a'='a), before IS [NOT]
// NULL and IN (...), with pg_catalog."C" and MySQL's other blanks. Since
// attack 86 closing brackets between the quote and the postfix too, where
// the application's query wraps the value in a call (password=md5('x')
// notnull --': a login on SQLite and PostgreSQL; x') collate
// utf8mb4_general_ci = ('0 on MariaDB), IS [NOT] DISTINCT FROM after it,
// and MySQL 8's MEMBER OF and a string (x') member of('[0]: the
// comparison, 0, is a member of [0]).
var postfixAfterQuoteRx = regexp.MustCompile(`(?i)(?:['"` + "`" + `]|^` + sqlBlank + `*[-+]?\d+(?:` + sqlBlank + `+(?:or|and|xor)` + sqlBlank + `+[\w.'"` + "`" + `]+)?)[\s\x{0b}\x{a0}\x{fffd})]*` +
	`(?:(?:collate(?:` + sqlBlank + `+[\w.]+(?:\."[^"]*")?|` + sqlBlank + `*"[^"]*"|` + sqlBlank + `*` + "`[^`]*`" + `)|notnull\b|isnull\b|using` + sqlBlank + `+\w+` + sqlBlank + `*\))` +
	`[\s\x{0b}\x{a0}\x{fffd})]*(?:\b(?:or|and|xor|having|order` + sqlBlank + `+by|group` + sqlBlank + `+by|union|like|glob|regexp|between)\b|\bis` + sqlBlank + `+(?:not` + sqlBlank + `+)?(?:null|true|false|distinct` + sqlBlank + `+from)\b|\b(?:not` + sqlBlank + `+)?in` + sqlBlank + `*\(|\|\||&&|--|#|/\*|;|[=<>!])` +
	`|member` + sqlBlank + `+of` + sqlBlank + `*\(` + sqlBlank + `*['"])`)

// sqlBlank is MySQL's white space for Go's regexp: \s, a vertical tab, a
// no-break space, and a lone byte 0xA0 (read as U+FFFD).
const sqlBlank = `[\s\x{0b}\x{a0}\x{fffd}]`

// postfixAfterQuote is rule 210106's operator: postfixAfterQuoteRx after a
// byte scan for its words.
func postfixAfterQuote(v string) bool {
	if indexFold(v, "collate") < 0 && indexFold(v, "null") < 0 && indexFold(v, "using") < 0 && indexFold(v, "member") < 0 {
		return false
	}
	return postfixAfterQuoteRx.MatchString(v)
}

// tightTautologyOp is rule 210102's operator (tightTautology).
const tightTautologyOp = "gatewayTightTautology"

func init() { registerGoOperator(tightTautologyOp, tightTautology) }

// tightTautologyRx is rule 210155's reading (numericTautologyRule) with
// or/and/xor written against the constant after it, with no space: a
// quoted string, a system variable, a number that starts with its dot
// (1 or'1', 1 OR"1", 1 or.1, 1 or@@version, the blind pair 1 and'0':
// every row and none on SQLite, true and false to MySQL, passed a
// fresh-eyes attack, attack 64, B2), optionally compared, then the value's
// end (or a ';', a comment, a closing parenthesis). On Go's regexp, after
// a byte scan for the operator against a quote, an @ or a dot (RE2's
// memory budget is spent, and 210155's expression is at its share).
var tightTautologyRx = regexp.MustCompile(`(?i)(?:^|;` + sqlSpace + `*(?:[\w.\[\]-]+=)?)` + sqlSpace + `*(?:[-+]?` + sqlNumber + `|'[-+]?` + sqlNumber + `'|\"[-+]?` + sqlNumber + `\")` +
	sqlSpace + `+(?:or|and|xor)(?:'[^']*'|\"[^\"]*\"|@@[\w.]+|\.\d+(?:e[-+]?\d+)?)(?:` + tautologyCompare + `)?` +
	sqlSpace + `*(?:\z|;|#|--|/\*|\))`)

// numberMatchRx is the other reading of rule 210102: a number or a
// closed quote, or/and/xor, and a number matched with GLOB, LIKE or
// REGEXP against a number (1 or 1 glob 1, x' or 1 glob 1--: every row on
// SQLite, attack 66; 210155 reads a quoted string or 0x there only), then
// the value's end, a ';', a comment or a closing parenthesis.
var numberMatchRx = regexp.MustCompile(`(?i)(?:^|;\s*(?:[\w.\[\]-]+=)?\s*[-+]?\d+|^\s*[-+]?\d+|['"])\s*(?:or|and|xor|\|\||&&)\s+[-+]?\d+(?:\.\d+)?\s+(?:not\s+)?(?:glob|r?like|regexp)\s+[-+]?\d+(?:\.\d+)?\s*(?:$|;|#|--|/\*|\)|(?:or|and)\s*['"])`)

// tightTautology is rule 210102's operator.
func tightTautology(v string) bool {
	if (indexFold(v, "glob") >= 0 || indexFold(v, "like") >= 0 || indexFold(v, "regexp") >= 0) && numberMatchRx.MatchString(v) {
		return true
	}
	// one run of the expression at most: at the first "or" or "and"
	// written against a quote, an @ or a dot
	for i := 2; i < len(v); i++ {
		switch v[i] {
		case '\'', '"', '@', '.':
			c1, c2 := v[i-1]|0x20, v[i-2]|0x20
			if c2 == 'o' && c1 == 'r' || i >= 3 && c2 == 'n' && c1 == 'd' && v[i-3]|0x20 == 'a' {
				return tightTautologyRx.MatchString(v)
			}
		}
	}
	return false
}

// quoteGlobOp is rule 210211's operator (quoteGlob).
const quoteGlobOp = "gatewayQuoteGlob"

func init() { registerGoOperator(quoteGlobOp, quoteGlob) }

// quoteGlob is rule 210211's operator: a quote, closing brackets and
// white space or none, [NOT] GLOB, then an operand: a quote, a bracket,
// a sign or a call (password='x' glob '*', ' glob '*, x') glob ('*,
// x' glob char(42)||': SQLite reads (password='x') GLOB '*', true for
// every row, a login bypass; attack 85 and a review, run on SQLite);
// libinjection reads LIKE and REGEXP there and not GLOB. A quote right
// before GLOB that opens a word of prose ('glob' after a blank or at the
// value's start: Use the 'glob' function) passes, as does GLOB before a
// word (files matching '*.txt' glob pattern). Each GLOB is read once.
func quoteGlob(v string) bool {
	return eachFold(v, "glob", func(g int) bool {
		if g > 0 && identByte(v[g-1], "") || g+4 < len(v) && identByte(v[g+4], "") {
			return false
		}
		q := blanksBefore(v, g)
		if n := q; n >= 3 && strings.EqualFold(v[n-3:n], "not") && (n == 3 || !identByte(v[n-4], "")) {
			q = blanksBefore(v, n-3)
		}
		for q > 0 && g-q < 64 && v[q-1] == ')' {
			q = blanksBefore(v, q-1)
		}
		if q == 0 || v[q-1] != '\'' && v[q-1] != '"' {
			return false
		}
		if q == g && (q == 1 || v[q-2] == ' ' || v[q-2] == '\t' || v[q-2] == '\n') {
			return false // 'glob' opened in prose
		}
		a := skipSpace(v, g+4)
		for a < len(v) && (v[a] == '+' || v[a] == '-') {
			a = skipSpace(v, a+1)
		}
		if a >= len(v) {
			return false
		}
		if c := v[a]; c == '\'' || c == '"' || c == '(' {
			return true
		}
		// a call: char(42), printf('*'), lower('*')
		e := identEnd(v, a)
		return e > a && skipSpace(v, e) < len(v) && v[skipSpace(v, e)] == '('
	})
}

// quoteConcatSubqueryOp is rule 210212's operator (quoteConcatSubquery).
const quoteConcatSubqueryOp = "gatewayQuoteConcatSubquery"

func init() { registerGoOperator(quoteConcatSubqueryOp, quoteConcatSubquery) }

// quoteConcatSubquery is rule 210212's operator: a quote, closing
// brackets, a string concatenation (|| of Oracle, PostgreSQL and SQLite,
// + of SQL Server), then a bracket that opens SELECT (or WITH, or
// PostgreSQL's TABLE) or CASE ... WHEN: the value of a subquery joined to
// the string the quote closed, x'||(select case when (select
// substr(password,1,1) from users limit 1)='a' then pg_sleep(2)
// end)||', a time-based test that reads a password a character at a
// time. Attack 85 passed it in the User-Agent and the Referer, which the
// CRS at paranoia 1 reads with libinjection alone (it lets the long CASE
// through); in arguments only a PHP rule of the CRS caught it, by
// substr(. Since a review, more operands may stand in the chain before
// the subquery (x'||1||(select ..., x'||chr(65)||(..., x'||E'a'||(...),
// casts after them (x'::text||(...), signs before the bracket
// (x'||-(select ...)), a CTE or TABLE in it. Each quote reads
// concatWindow bytes at most.
func quoteConcatSubquery(v string) bool {
	if !strings.Contains(v, "||") && strings.IndexByte(v, '+') < 0 {
		return false
	}
	return eachByteOf(v, "'\"", concatSubqueryAt)
}

// dataFunction: name (any case) is a function of PostgreSQL's that
// returns a table's or a file's content with no SELECT: the XML exports
// (table_to_xml('users',true,true,...), query_to_xml, cursor_to_xml,
// schema_to_xml, database_to_xml and their xmlschema forms), the large
// objects' lo_import and lo_get, pg_read_file, pg_read_binary_file,
// pg_stat_file, the pg_ls_ family (pg_ls_dir, pg_ls_logdir, ...), dblink
// and its dblink_ family, ts_stat and ts_rewrite; and those that write a
// file on the server, lo_export (x'||lo_export(lo_from_bytea(0,'<?php
// ...'),'/var/www/s.php')||' in a User-Agent passed) with lo_from_bytea,
// lo_put and adminpack's pg_file_write. Joined to a string,
// x'||table_to_xml('users',true,true,...)||' stored every user's password
// in a comment on PostgreSQL 15 (attack 87): no rule read it in any place.
func dataFunction(name string) bool {
	if len(name) < 6 || len(name) > 32 {
		return false
	}
	var lb [32]byte
	n := string(lowerASCII(lb[:0], name))
	switch n {
	case "lo_import", "lo_get", "lo_export", "lo_from_bytea", "lo_put", "pg_read_file", "pg_read_binary_file", "pg_stat_file",
		"pg_file_write", "dblink",
		// the text search's, which run a query given as a string
		// (x'||ts_stat($$select to_tsvector(password) from users$$)||'
		// stored every password on PostgreSQL 15: attack 88)
		"ts_stat", "ts_rewrite":
		return true
	}
	for _, p := range [...]string{"table_to_xml", "query_to_xml", "cursor_to_xml", "schema_to_xml", "database_to_xml", "pg_ls_", "dblink_"} {
		if strings.HasPrefix(n, p) {
			return true // and _and_xmlschema, and the xmlschema forms
		}
	}
	return strings.HasSuffix(n, "_to_xmlschema")
}

// concatWindow is how far a quote's concatenation chain is read.
const concatWindow = 160

// concatSubqueryAt: after the quote at v[q], a chain of concatenations
// (quoteConcatSubquery) reaches a bracketed subquery or a data
// function's call, six operands at most. White space and comments do
// not count against concatWindow (170 blanks after || passed a review);
// each run of them is read by the six quotes before it at most.
func concatSubqueryAt(v string, q int) bool {
	end := q + 1 + concatWindow
	k := q + 1
	// skip moves k over white space and -- comments, and the window's
	// end with it
	skip := func() {
		for {
			n := skipSpace(v, k)
			if n+1 < len(v) && v[n] == '-' && v[n+1] == '-' {
				if l := strings.IndexByte(v[n:], '\n'); l > 0 {
					n += l
				} else {
					n = len(v)
				}
			}
			if n == k {
				return
			}
			end += n - k
			k = n
		}
	}
	for range 6 {
		// closing brackets, casts (::text), then || or +
		for {
			skip()
			if k < min(len(v), end) && v[k] == ')' {
				k++
				continue
			}
			if k+2 < min(len(v), end) && v[k] == ':' && v[k+1] == ':' {
				if e := identEnd(v, skipSpace(v, k+2)); e > k+2 {
					k = e
					continue
				}
			}
			break
		}
		w := v[:min(len(v), end)]
		switch op, e := pgOperator(w, k); {
		case k+1 < len(w) && w[k] == '|' && w[k+1] == '|':
			k += 2
		case k < len(w) && w[k] == '+':
			k++
		case op == "||" || op == "+":
			k = e // x' operator(||) (select ...) operator(||) ': attack 89
		default:
			return false
		}
		// signs, then the next operand
		skip()
		for k < min(len(v), end) && (v[k] == '+' || v[k] == '~' || v[k] == '-' && (k+1 == len(v) || v[k+1] != '-')) {
			k++
			skip()
		}
		w = v[:min(len(v), end)]
		if k >= len(w) {
			return false
		}
		switch c := w[k]; {
		case c == '(':
			return subqueryOpens(v, k)
		case c == '\'' || c == '"':
			e := strings.IndexByte(w[k+1:], c)
			if e < 0 {
				return false
			}
			if c == '"' && k+e+2 < len(w) && w[k+e+2] == '(' && dataFunction(w[k+1:k+1+e]) {
				return true // a quoted name: "table_to_xml"(...)
			}
			k += e + 2
		case c == '$':
			// a dollar-quoted string: $$a$$, $t$a$t$
			t := strings.IndexByte(w[k+1:], '$')
			if t < 0 {
				return false
			}
			tag := w[k : k+t+2]
			e := strings.Index(w[k+len(tag):], tag)
			if e < 0 {
				return false
			}
			k += len(tag) + e + len(tag)
		case c >= '0' && c <= '9':
			// a number does not count against the window, as blanks
			// do not (x'||1111...(170 digits)||(select ...: a review)
			n := sqlNumberEnd(v, k)
			end += n - k
			k = n
		case identByte(c, ""):
			e := identEnd(w, k)
			for e+1 < len(w) && w[e] == '.' && identEnd(w, e+1) > e+1 {
				k, e = e+1, identEnd(w, e+1) // a schema's name: pg_catalog.table_to_xml
			}
			if dataFunction(w[k:e]) && skipSpace(w, e) < len(w) && w[skipSpace(w, e)] == '(' {
				return true // x'||table_to_xml('users',true,true,...)||'
			}
			if e-k == 1 && e < len(w) && (w[e] == '\'' || w[e] == '"') {
				// E'a', N'a', X'41': a string with its prefix
				s := strings.IndexByte(w[e+1:], w[e])
				if s < 0 {
					return false
				}
				k = e + s + 2
				break
			}
			name := w[k:e]
			k = skipSpace(w, e)
			if k < len(w) && w[k] == '[' && strings.EqualFold(name, "array") {
				// PostgreSQL's array[(select ...)] (a review)
				c := closingBracket(w, k, concatWindow)
				if c < 0 {
					return false
				}
				if callHoldsData(w[k:c]) {
					return true
				}
				k = c + 1
				break
			}
			if k < len(w) && w[k] == '(' {
				if (k == e || strings.EqualFold(name, "array") || strings.EqualFold(name, "exists")) && subqueryOpens(w, k) {
					// a call whose own bracket holds the subquery:
					// PostgreSQL's array(select ...) (attack 89 stored
					// every password from a User-Agent), exists(select ...)
					return true
				}
				c := closingBracket(w, k, concatWindow)
				if c < 0 {
					return false
				}
				if callHoldsData(w[k:c]) {
					return true // text(table_to_xml(...)), lower((select ...))
				}
				k = c + 1
			}
		default:
			return false
		}
	}
	return false
}

// pgOperator reads PostgreSQL's OPERATOR() syntax at v[k:] (any case,
// white space and comments inside, a schema's name before the operator,
// bare or in double quotes: OPERATOR(pg_catalog.||),
// OPERATOR("pg_catalog" . =)): the operator and the index after the
// closing bracket, or "" and k. x' operator(||) (select
// string_agg(password,',') from users) operator(||) ' stored every
// password on PostgreSQL 15, in every place (attack 89): 210212 read ||
// and + alone. An operator is at most 16 bytes, the syntax 256.
func pgOperator(v string, k int) (string, int) {
	v = v[:min(len(v), k+256)] // the whole syntax within 256 bytes
	e, ok := sqlWordFold(v, k, "operator")
	if !ok {
		return "", k
	}
	a := sqlSkipComments(v, e)
	if a >= len(v) || v[a] != '(' {
		return "", k
	}
	a = sqlSkipComments(v, a+1)
	for range 2 {
		// a schema's name and its dot
		t := identEnd(v, a)
		if a < len(v) && v[a] == '"' {
			c := strings.IndexByte(v[a+1:min(len(v), a+65)], '"')
			if c < 0 {
				break
			}
			t = a + c + 2
		}
		if t == a {
			break
		}
		d := sqlSkipComments(v, t)
		if d >= len(v) || v[d] != '.' {
			break
		}
		a = sqlSkipComments(v, d+1)
	}
	o := a
	for o < len(v) && o-a < 16 && strings.IndexByte("+-*/<>=~!@#%^&|`?", v[o]) >= 0 {
		o++
	}
	if o == a {
		return "", k
	}
	c := sqlSkipComments(v, o)
	if c >= len(v) || v[c] != ')' {
		return "", k
	}
	return v[a:o], c + 1
}

// sqlSkipComments is sqlSkip over SQL's comments too: -- to the line's
// end, /* */ (the value's end when either does not end).
func sqlSkipComments(v string, j int) int {
	for {
		j = sqlSkip(v, j)
		switch {
		case strings.HasPrefix(v[j:], "--"):
			l := strings.IndexByte(v[j:], '\n')
			if l < 0 {
				return len(v)
			}
			j += l
		case strings.HasPrefix(v[j:], "/*"):
			l := strings.Index(v[j+2:], "*/")
			if l < 0 {
				return len(v)
			}
			j += 2 + l + 2
		default:
			return j
		}
	}
}

// callHoldsData: a call's bracketed arguments a (its own bracket first)
// hold a subquery in brackets of its own or a data function's call
// (x'||text(table_to_xml(...))||', xmlserialize(content table_to_xml(...)
// as text), lower((select ...)): a review; "the 'a'||b (select one)" is
// prose).
func callHoldsData(a string) bool {
	for i := 1; i < len(a); i++ {
		switch {
		case a[i] == '(':
			if _, ok := sqlWordFold(a, skipSpace(a, i+1), "select"); ok {
				return true
			}
		case identByte(a[i], "") && (i == 0 || !identByte(a[i-1], "")):
			e := identEnd(a, i)
			if dataFunction(a[i:e]) && skipSpace(a, e) < len(a) && a[skipSpace(a, e)] == '(' {
				return true
			}
			i = e - 1
		}
	}
	return false
}

// subqueryOpens: the bracket at v[b] (more brackets and white space after
// it) opens SELECT, a call of a dataFunction, a CTE (WITH <name> ... AS), PostgreSQL's TABLE
// <name>, or CASE with a WHEN in the 128 bytes after it ('total' + (case
// sensitive) is prose).
func subqueryOpens(v string, b int) bool {
	a := skipSpace(v, b+1)
	for a < len(v) && a-b < 64 && v[a] == '(' {
		a = skipSpace(v, a+1)
	}
	if _, ok := sqlWordFold(v, a, "select"); ok {
		return true
	}
	if e := identEnd(v, a); e > a && dataFunction(v[a:e]) && skipSpace(v, e) < len(v) && v[skipSpace(v, e)] == '(' {
		return true // (query_to_xml('select ...',true,true,''))::text
	}
	if e, ok := sqlWordFold(v, a, "with"); ok {
		w := v[e:min(len(v), e+64)]
		if i := wordIndexFold(w, "as"); i > 0 {
			n := skipSpace(w, i+2)
			return n < len(w) && w[n] == '('
		}
		return false
	}
	if e, ok := sqlWordFold(v, a, "table"); ok {
		n := skipSpace(v, e)
		if t := identEnd(v, n); t > n {
			t = skipSpace(v, t)
			_, clause := sqlWordFold(v, t, "limit", "offset", "order")
			return t < len(v) && v[t] == ')' || clause
		}
		return false
	}
	if e, ok := sqlWordFold(v, a, "case"); ok {
		w := v[e:min(len(v), e+128)]
		return eachFold(w, "when", func(j int) bool { return !identByte(w[j-1], "") && (j+4 == len(w) || !identByte(w[j+4], "")) })
	}
	return false
}

// sqlSpaceBefore is i moved back over the white space before v[i] (SQL's:
// line breaks too).
func sqlSpaceBefore(v string, i int) int {
	for i > 0 && (v[i-1] == ' ' || v[i-1] == '\t' || v[i-1] == '\n' || v[i-1] == '\r' || v[i-1] == '\f' || v[i-1] == '\v') {
		i--
	}
	return i
}

// jsonArrowOp is rule 210214's operator (jsonArrow).
const jsonArrowOp = "gatewayJSONArrow"

func init() { registerGoOperator(jsonArrowOp, jsonArrow) }

// jsonArrow is rule 210214's operator: after a closed quote (or a number
// that starts the value) and OR, AND, XOR, || or &&, an operand (a
// string, a number or a name), SQLite's and MySQL's JSON operator -> or
// ->>, a string or a number, then the value's end, a logical operator, a
// quote, a comment, ; or ): x' or '1'->>'$' or ' is every row on SQLite
// 3.38 and later ('1'->>'$' is 1), a login with no password; 5 or
// 1->>'$' in a numeric slot, x' or prefs->>'a' or ' on a JSON column
// (attack 88: every place passed the CRS and the gateway). PHP's
// $obj->prop and an arrow before a word pass. Each arrow is read once,
// 64 bytes each side.
func jsonArrow(v string) bool {
	return eachFold(v, "->", func(i int) bool { return jsonArrowAt(v, i) })
}

// jsonArrowAt reads jsonArrow's shape around the arrow at v[i]. With a
// blank before or after -> (not ->>), the path must be SQLite's or
// MySQL's ('$', '$.a'): "Map 'yes' or 'no' -> 'true'" is a note's arrow
// (a review's false positives).
func jsonArrowAt(v string, i int) bool {
	// after: a string or a number, then what goes on in a condition
	a := i + 2
	double := a < len(v) && v[a] == '>'
	if double {
		a++
	}
	spaced := a < len(v) && (v[a] == ' ' || v[a] == '\t') || i > 0 && (v[i-1] == ' ' || v[i-1] == '\t')
	a = skipSpace(v, a)
	e := a
	switch {
	case a < len(v) && (v[a] == '\'' || v[a] == '"'):
		c := strings.IndexByte(v[a+1:min(len(v), a+65)], v[a])
		if c < 0 || spaced && !double && (c == 0 || v[a+1] != '$') {
			return false
		}
		e = a + c + 2
	case a < len(v) && v[a] >= '0' && v[a] <= '9' && !(spaced && !double):
		e = sqlNumberEnd(v, a)
	default:
		return false
	}
	n := skipSpace(v, e)
	if n < len(v) && strings.IndexByte(";)#'\"=<>!+-*/%|&", v[n]) < 0 {
		if _, ok := sqlWordFold(v, n, "or", "and", "xor", "is", "like", "glob", "regexp", "rlike", "in", "not", "between", "collate", "limit",
			"order", "group", "union", "div", "mod"); !ok {
			return false
		}
	}
	// before: an operand (a string, a number, a name), in brackets or
	// after signs or NOT perhaps
	b := sqlSpaceBefore(v, i)
	switch {
	case b > 0 && (v[b-1] == '\'' || v[b-1] == '"' || v[b-1] == '`'):
		o := strings.LastIndexByte(v[max(0, b-65):b-1], v[b-1])
		if o < 0 {
			return false
		}
		b = max(0, b-65) + o
	case b > 0 && v[b-1] == ')':
		o := strings.LastIndexByte(v[max(0, b-65):b-1], '(')
		if o < 0 {
			return false
		}
		b = max(0, b-65) + o // json('1')->>'$', ('1')->>'$'
		for b > 0 && i-b < 96 && identByte(v[b-1], ".") {
			b--
		}
	case b > 0 && identByte(v[b-1], "."):
		for b > 0 && i-b < 64 && identByte(v[b-1], ".") {
			b--
		}
	default:
		return false
	}
	for p := 0; p < 4; p++ {
		c := sqlSpaceBefore(v, b)
		switch {
		case c > 0 && (v[c-1] == '(' || v[c-1] == '+' || v[c-1] == '-' || v[c-1] == '~' || v[c-1] == '!'):
			b = c - 1
			continue
		case c >= 3 && strings.EqualFold(v[c-3:c], "not") && (c == 3 || !identByte(v[c-4], "")):
			b = c - 3
			continue
		}
		break
	}
	// then OR, AND, XOR, || or &&
	p := sqlSpaceBefore(v, b)
	switch {
	case p >= 2 && (v[p-2:p] == "||" || v[p-2:p] == "&&"):
		p -= 2
	case p >= 3 && (strings.EqualFold(v[p-3:p], "xor") || strings.EqualFold(v[p-3:p], "and")):
		p -= 3
	case p >= 2 && strings.EqualFold(v[p-2:p], "or"):
		p -= 2
	default:
		return false
	}
	if p > 0 && identByte(v[p-1], "") && !(v[p-1] >= '0' && v[p-1] <= '9') {
		return false // a word's end (for, nor)
	}
	// and before it, over closing brackets, a closed quote or a number
	// that starts the value (-1, 0x0 too)
	q := sqlSpaceBefore(v, p)
	for q > 0 && p-q < 16 && v[q-1] == ')' {
		q = sqlSpaceBefore(v, q-1)
	}
	if q > 0 && (v[q-1] == '\'' || v[q-1] == '"') {
		return true
	}
	d := q
	for d > 0 && q-d < 32 && (identByte(v[d-1], "")) {
		d--
	}
	if d == q || v[d] < '0' || v[d] > '9' {
		return false
	}
	for d > 0 && (v[d-1] == '-' || v[d-1] == '+' || v[d-1] == '(' || v[d-1] == ' ') {
		d--
	}
	return d == 0
}

// xpathInjectionOp is rule 210104's operator (xpathInjection).
const xpathInjectionOp = "gatewayXPathInjection"

func init() { registerGoOperator(xpathInjectionOp, xpathInjection) }

// xpathInjectionRx is rule 210104's reading: a quote that closes the
// string of an XPath predicate ([name='...']), then either the predicate
// closed and a union with another path (']|//user/password|a[': every
// user's password), or OR/AND and a call of an XPath function
// (' or count(/*)=1 or 'a'='b, ' or string-length(name(/*))=4 or ',
// ' and starts-with(//user[1]/password,'a') and 'a'='a: blind extraction,
// one character a request). No rule of the CRS reads XPath: both passed
// every fresh-eyes attack that tried them (attack 64 again); since
// attack 66 also true(), false(), node(), text() as the condition
// (' or true() or ', the commonest login bypass) and a path between two
// ORs that reopen the quote (' or .. or ', ' or //* or ',
// ' or child::* or '). The call's argument must start as XPath's do (a
// path, an attribute, a variable, (), or a name then a call, a step, an
// axis or a predicate; not a string: "He said 'yes' and name('x') was
// printed" passes, attack 66), so prose with a quote, "and" and a word
// in parentheses passes ("the 'name' and position (left)"), as does a
// Markdown table's "| 'x' | /path |" (one slash, no bracket).
var xpathInjectionRx = regexp.MustCompile(`(?i)['"][\s)]*(?:` + xpathUnion + `|\|\s*//` + xpathCalls +
	// the functions that fetch, whose argument is a string (a review)
	`|(?:or|and)\s*(?:doc|doc-available|unparsed-text|unparsed-text-lines|collection)\s*\(\s*['"]` +
	// a path as a condition between two ORs that reopen the quote:
	// ' or .. or ', ' or //* or ', ' or child::* or ' (attack 66), in
	// brackets too (' or (//user) or ': attack 82), and the quote
	// reopened in a bracket (x') or .//password or (': attack 86, where
	// the predicate brackets its test, [(name='x') and ...]); not an
	// ellipsis (' or ... or ')
	`|(?:or|and)\s*(?:\(\s*)*(?:\.\.?[\s/\[)]|\*|//?[\w*@.]|` + xpathAxis + `::)[^'"]{0,64}?(?:or|and)[\s(]*['"])`)

// xpathNumericRx is rule 210104's reading of a numeric slot
// (//user[id=1]): a value that starts with a number (or last(),
// position()), then the predicate closed and a union with another path
// (1]|//user/password|//x[1: every user's password), or OR/AND and an
// XPath function's call as xpathInjectionRx reads one (1 or true(), 1
// and starts-with(//user[1]/password,'a'): attack 81's Open entry;
// 210104 read after a closed quote only), or a path as the condition (1
// or //user, 0 or (//password), 7 or ., 7 or *: attack 82, every user).
// XPath's numbers: .5, 0., 1e0 (attack 82).
var xpathNumericRx = regexp.MustCompile(`(?i)^[\s(]*` + xpathOperand + `(?:\s*(?:[-+*]|div\b|mod\b)\s*` + xpathOperand + `){0,8}[\s)]*(?:` +
	xpathUnion + xpathCalls +
	// a path as the condition, to the value's end (the application's ]
	// closes it; 1 or /usr/local is fine and 2 or/and 3 are prose: a
	// review): // anywhere, else after a blank or a bracket a path, .,
	// .., *, an axis (1 or self::*: a review)
	`|(?:or|and)\s*(?:\(\s*)*//[^\s'"]*\s*\)*\s*$` +
	`|(?:or|and)(?:\s+|\s*\()\s*(?:\(\s*)*(?:\.{1,2}/{0,2}|/|\*|` + xpathAxis + `::)[^\s'"]*\s*\)*\s*$` +
	// a string as the condition, alone or in string() or boolean() (1 or
	// 'a', 1 or string('x'): true; a review)
	`|(?:or|and)\s*(?:(?:string|boolean)\s*\(\s*)?['"][^'"]{1,64}['"]\s*\)*\s*$` +
	// a child's name and a predicate or a comparison with a literal
	// (1 or password[1], 1 or password='x'; 1 or more passes)
	`|(?:or|and)\s+[a-z_][\w.-]*\s*(?:\[|(?:!?=|[<>]=?)\s*['"\d]))`)

// xpathOperand is a numeric slot's operand: signs, brackets, then a
// number or a call of a number's function (1, --1, -(1), .5, 1e0,
// last(), number(1), count(/)); xpathNumericRx reads up to nine joined
// by arithmetic (1+0 or true(), 1 div 1 or true(): a review).
const xpathOperand = `(?:[-+]\s*)*\(*\s*(?:(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|(?:last|position|number|count|string-length|sum|floor|ceiling|round)\s*\([^()]{0,64}\))\s*\)*`

// xpathAxis are XPath's axes.
const xpathAxis = `(?:self|child|parent|ancestor|descendant|following|preceding|attribute|namespace)(?:-or-self|-sibling)?`

// xpathUnion is 210104's union after a predicate closed: more predicates
// and steps may come between (1][1]|//password, 1]/ancestor::*|//x[1,
// '][true()]|//password: attack 82), and the other path may be relative
// (1]|*[1, 1]|user[1: a review).
const xpathUnion = `\](?:\s*(?:\[[^\]]{0,64}\]|/{1,2}[\w.*@:()-]{1,64}))*[\s)]*\|\s*(?:[/*@]|\.\.?[/\[|]|[a-z_][\w.-]*\s*(?:\[|/|::))`

// xpathCalls are 210104's alternatives for OR/AND and a call of an
// XPath function whose argument starts as XPath's do, or true(),
// false(), node(), text() (a condition of XPath's alone), after
// brackets and NOT (' or (true()) or ', 0 or (starts-with(password,'a')):
// attack 82).
const xpathCalls = `|(?:or|and)\s*(?:(?:not\s*)?\(\s*)*(?:count|contains|string-length|substring(?:-before|-after)?|local-name|namespace-uri|name|position|last|starts-with|ends-with|normalize-space|translate|boolean|string|number|sum|concat|lower-case|upper-case|matches|doc|unparsed-text)\s*\(\s*(?:[/.@)$*]|[\w-]+\s*(?:\(|/|::|\[))` +
	// a child's name and a string: a blind test of its text
	// (starts-with(password,'a'), contains(password,'pw'): attack 82)
	`|(?:or|and)\s*(?:(?:not\s*)?\(\s*)*(?:starts-with|ends-with|contains|substring-before|substring-after|matches)\s*\(\s*[\w-]+\s*,\s*['"]` +
	// substring(password,1,1)='h', string-length(password)>0 (a review)
	`|(?:or|and)\s*(?:(?:not\s*)?\(\s*)*(?:substring|string-length|normalize-space|translate|string|boolean|number)\s*\(\s*[\w-]+\s*[,)]` +
	// a call of literals alone, true as a condition (string('x'),
	// number(1), contains('ab','a'): attack 83, every user's password
	// with libxml2), then a condition's end: OR/AND and a quote that
	// reopens the string, a comparison, ] or the value's end (He said
	// 'yes' and name('x') was printed passes: attack 66)
	`|(?:or|and)\s*(?:(?:not\s*)?\(\s*)*(?:string|number|boolean|contains|starts-with|ends-with|normalize-space|lang|string-length|translate|concat|substring(?:-before|-after)?)\s*\(\s*(?:['"][^'"]{0,64}['"]|[\d.]+)(?:\s*,\s*(?:['"][^'"]{0,64}['"]|[\d.]+)){0,3}\s*\)[\s)]*(?:(?:or|and)\s*['"]|[=<>!]|\]|$)` +
	`|(?:or|and)\s*(?:(?:not\s*)?\(\s*)*(?:true|false|node|text|comment)\s*\(\s*\)`

// xpathInjection is rule 210104's operator: xpathNumericRx on a value
// that starts with a number, and xpathInjectionRx after a byte scan for a
// quote and a '(', a '|' or a second quote after it.
func xpathInjection(v string) bool {
	if t := strings.TrimLeft(v, " \t\r\n("); t != "" && (t[0] >= '0' && t[0] <= '9' || t[0] == '-' || t[0] == '+' || t[0] == '.' ||
		strings.IndexByte("lpncsfr", t[0]|0x20) >= 0) && strings.ContainsAny(t, "(|/.*'\"[=<>:") && xpathNumericRx.MatchString(v) {
		return true
	}
	q := strings.IndexAny(v, `'"`)
	if q < 0 || !strings.ContainsAny(v[q:], "(|") && !strings.ContainsAny(v[q+1:], `'"`) {
		return false // a path between ORs needs a second quote
	}
	return xpathInjectionRx.MatchString(v)
}

// argumentOfCall: v ends inside a call's parentheses, name(..., within
// its last 256 bytes: walking back, the first '(' not closed after it
// has a name before it (blanks between) that starts with a letter or _;
// the name's start, or -1. Bounded, so a value of many ",(select" costs
// 256 bytes each at most.
func argumentOfCall(v string) int {
	depth := 0
	for k := len(v) - 1; k >= 0 && k >= len(v)-256; k-- {
		switch v[k] {
		case ')':
			depth++
		case '(':
			if depth > 0 {
				depth--
				continue
			}
			n := k
			for n > 0 && strings.IndexByte(sqlSpaceBytes, v[n-1]) >= 0 {
				n--
			}
			e := n
			for n > 0 && identByte(v[n-1], "$#.") {
				n--
			}
			if n == e || !identByte(v[e-1], "$#") {
				return -1
			}
			if c := v[n]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' {
				return n
			}
			return -1
		}
	}
	return -1
}

// sqlSpaceBytes are sqlSpace's one-byte characters (a no-break space is
// also C2 A0, read apart; a lone A0 byte is here).
const sqlSpaceBytes = " \t\n\x0b\x0c\r\xa0"

// setOperatorRowsOp is rule 210178's operator (setOperatorRows).
const setOperatorRowsOp = "gatewaySetOperatorRows"

func init() { registerGoOperator(setOperatorRowsOp, setOperatorRows) }

// setOperatorRows is rule 210178's operator, in Go (RE2's memory budget
// is spent, "The bound"): a closed quote (or a bracket, or a number as a
// word of its own), then UNION, EXCEPT or INTERSECT (ALL or DISTINCT,
// brackets) and VALUES with its bracket (MySQL 8's VALUES ROW(...) too)
// or TABLE and a name: rows written out, or a whole table (PostgreSQL,
// MySQL 8.0.19+), joined to the query's without SELECT, which
// libinjection and the CRS read (attack 47: x' UNION
// VALUES(1,'admin','5f4d...')-- forged a login row in SQLite, 1 UNION
// VALUES(1,2,3) passed). "European Union values (peace)" and "the 'Union'
// values matter" pass. Each letter u, e or i is looked at once, and only
// where a word stands is the text read on over a few words.
func setOperatorRows(v string) bool {
	var r *sqlReader // comments' ends searched once (many UNION /* before one */)
	for i := 0; i < len(v); i++ {
		if c := v[i] | 0x20; c != 'u' && c != 'e' && c != 'i' || !wordStart(v, i) {
			continue
		}
		e, ok := sqlWordFold(v, i, "union", "except", "intersect")
		if !ok || !setOperand(v, i) {
			continue
		}
		if r == nil {
			r = newSQLReader(v)
		}
		k := r.skip(e)
		if a, ok := sqlWordFold(v, k, "all", "distinct"); ok {
			k = r.skip(a)
		}
		for k < len(v) && (v[k] == '(' || v[k] <= ' ') {
			k = r.skip(k + 1)
		}
		if a, ok := sqlWordFold(v, k, "values"); ok {
			a = r.skip(a)
			if a < len(v) && v[a] == '(' {
				return true
			}
			if r, ok := sqlWordFold(v, a, "row"); ok {
				if r = skipSpace(v, r); r < len(v) && v[r] == '(' {
					return true
				}
			}
		}
		if a, ok := sqlWordFold(v, k, "table"); ok {
			if n := r.skip(a); n > a && n < len(v) && (identByte(v[n], "$\"`[")) {
				return true
			}
		}
	}
	return false
}

// tautologySuffixOp is rule 210179's operator (tautologySuffix).
const tautologySuffixOp = "gatewayTautologySuffix"

func init() { registerGoOperator(tautologySuffixOp, tautologySuffix) }

// tautologySuffix is rule 210179's operator: after a closed quote (or a
// closing bracket), OR, XOR, AND, || or &&, an operand, then NOTNULL or
// ISNULL (SQLite's and PostgreSQL's postfix tests: ' OR 1 NOTNULL-- is
// true for every row) or COLLATE and a collation (x' or 1 collate nocase
// or ' is every row on SQLite: a fresh-eyes attack, attack 68), or a comparison and an operand followed by a
// clause that ends a query: FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE,
// WINDOW w AS, ClickHouse's SETTINGS x= and FORMAT (attack 50: 1' OR
// 1=1 FOR UPDATE#, ' OR 1 NOTNULL--, 1' OR 1=1 SETTINGS max_threads=1--
// passed the CRS, libinjection and the other rules); since attack 74 also
// a bit or hex literal whose quote the query closes, compared or alone
// (x' or b'1'=b'1: openLiteralTautology). Each quote is read on over a
// few words; a comment's end is searched once (sqlReader).
func tautologySuffix(v string) bool { return tautologySuffixIn(newSQLReader(v)) }

// pgGeometricOperators are PostgreSQL's geometric, range, array and
// network operators, longest first (none is another SQL's comparison).
var pgGeometricOperators = []string{"?-|", "?||", "<<|", "|>>", "&<|", "|&>", "<->", "@-@", "<<=", ">>=", "~=", "?|", "?-",
	"?#", "<^", ">^", "<@", "@>", "&<", "&>", "##"}

// tautologySuffixIn is tautologySuffix on r's value.
func tautologySuffixIn(r *sqlReader) bool {
	if openLiteralTautology(r) {
		return true
	}
	v := r.v
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\'' && c != '"' && c != '`' && c != ')' {
			continue
		}
		k := r.skip(i + 1)
		if strings.HasPrefix(v[k:], "||") || strings.HasPrefix(v[k:], "&&") {
			k += 2
		} else if e, ok := sqlWordFold(v, k, "or", "xor", "and"); ok {
			k = e
		} else {
			continue
		}
		a := r.skip(k)
		// PostgreSQL's roots as unary operators (x' or |/ 4>'1: attack
		// 93, every row on PostgreSQL 15)
		root := false
		if strings.HasPrefix(v[a:], "||/") {
			a, root = r.skip(a+3), true
		} else if strings.HasPrefix(v[a:], "|/") {
			a, root = r.skip(a+2), true
		}
		e := sqlOperandEnd(v, a)
		if e == a {
			continue
		}
		k = r.skip(e)
		// SQLite's row id by its other names, a condition alone (x' or
		// oid or ': every row; attack 93)
		if e-a <= 7 && (strings.EqualFold(v[a:e], "oid") || strings.EqualFold(v[a:e], "rowid") || strings.EqualFold(v[a:e], "_rowid_")) {
			if _, ok := sqlWordFold(v, k, "or", "and", "xor"); ok || k >= len(v) || strings.HasPrefix(v[k:], "--") || v[k] == '#' || v[k] == ';' {
				return true
			}
			if c := sqlCompareEnd(v, k); c >= 0 && strings.IndexByte("=<>!", v[k]) >= 0 { // x' or oid=2 or ': the row an attacker picks
				if b := r.skip(c); sqlOperandEnd(v, b) > b {
					return true
				}
			}
		}
		if c := sqlCompareEnd(v, k); root && c >= 0 {
			if b := r.skip(c); sqlOperandEnd(v, b) > b || b < len(v) && (v[b] == '\'' || v[b] == '"') {
				return true
			}
		}
		if _, ok := sqlWordFold(v, k, "notnull", "isnull"); ok {
			return true
		}
		// ILIKE, and PostgreSQL's geometric, range and array operators
		// (x' or 'a' ilike 'a' or 't, x' or point(1,1) ~= point(1,1) or
		// 't, ?|, <@, @>, <->: attack 93, logins on PostgreSQL 15), then
		// an operand
		if n, ok := sqlWordFold(v, k, "ilike"); ok {
			if m := r.skip(n); sqlOperandEnd(v, m) > m || m < len(v) && (v[m] == '\'' || v[m] == '"') {
				return true
			}
		}
		for _, op := range pgGeometricOperators {
			if strings.HasPrefix(v[k:], op) {
				if n := r.skip(k + len(op)); sqlOperandEnd(v, n) > n || n < len(v) && (v[n] == '\'' || v[n] == '"') {
					return true
				}
				break
			}
		}
		if x, ok := sqlWordFold(v, k, "collate"); ok && collationEnd(r, r.skip(x)) >= 0 {
			return true
		}
		// PostgreSQL's matches, which libinjection does not know:
		// ' or name ~* ''-- (a login on PostgreSQL), x' or password ~*
		// '^pw1' or 'a'='b (a password a letter a request: attack 72)
		for _, op := range []string{"!~~*", "~~*", "!~*", "~*", "!~~", "~~", "!~", "~", "@@"} {
			if strings.HasPrefix(v[k:], op) {
				if n := r.skip(k + len(op)); sqlOperandEnd(v, n) > n || n < len(v) && (v[n] == '\'' || v[n] == '"') {
					return true // a pattern, or the quote the query closes
				}
				break
			}
		}
		c := sqlCompareEnd(v, k)
		if c < 0 {
			continue
		}
		b := r.skip(c)
		if e = sqlOperandEnd(v, b); e > b && queryEndClause(r, r.skip(e)) {
			return true
		}
	}
	return false
}

// openLiteralTautology is rule 210179's reading of a bit or hex literal
// whose quote the query closes: the value ends in b' and binary digits or
// x' and hex digits (any case; a character set's introducer such as
// _binary or _utf8mb4 and white space before it or not), and before it
// stand a closed single quote (closing brackets after it or not), OR,
// XOR, AND, || or &&, NOT, opening brackets or unary operators (- + ~ !)
// or none, and either nothing more (x' or b'1: b'1' is 1, true; x' or
// -b'1, x' or ~b'0), a constant (literalConstantEnd: a number, a string,
// a bit or hex literal of any length, an introducer before it or not)
// then an operator (openLiteralOperatorEnd: a comparison, NOT LIKE, a
// bitwise or arithmetic operator, a logical one) and unary operators
// before the literal (x' or b'1'=b'1, x' or x'41'=x'41, x' or 1=b'1,
// x' or 0b1=b'1, x' or x'41' like x'41, x' or b'1'&b'1, x' or 1+b'0,
// x' or b'1'=_binary b'1; or a blank alone between them, which is how
// rule 210179's t:urlDecodeUni reads the + of x' or 1+b'0 that the
// application reads as +), or an SQL expression (sqlExpr) then such an
// operator before it (x' or 2-1=b'1, x' or id>0 or b'1). MariaDB and
// SQLite returned every row for the first two, which passed the CRS and
// the gateway in every place (a fresh-eyes attack, attack 74); a review
// then found the bitwise and arithmetic operators, the unary ones, NOT
// LIKE, introducers, a hex constant longer than 64 bytes (x' or x'
// and 80 hex digits '>x') and an expression past sqlExpr's 64 operands
// (x' or 1*1*...*1=b'1, which now counts as read to the literal)
// passing; "it's 'fine' or maybe b'1" passes. libinjection, the CRS's 942100, reads the classic x' or
// 'a'='a (and MySQL's n'a', _utf8mb4'a', e'a', u&'a') with its last
// string left open for the query's quote, but it reads b'1' and x'41' as
// a literal only when their quote is closed: left open, b is a word to it
// and the fingerprint is none of its list's. Closed, the same tautology
// (x' or b'1'=b'1'--, x' or x'41'=x'41' or ') is libinjection's.
// Prose rarely ends in b' or x' and digits right after a quoted word and
// "or": "Rock 'n' roll or b'52" and "Pick 'A' or b'52" pass (a word
// between, and 5 is no binary digit); "Pick 'A' or x'52" is refused: the
// price. Each single quote is read on over a few tokens of at most 64
// bytes (a bit or hex constant to its end: each is read from the one
// quote before it), white space and comments once (sqlReader), and an
// expression of at most 64 operands from the last openLiteralReads of
// them only, in a value that ends in the open literal (x' or f('a' or 'a'
// or ...)=b'1 with 16 such strings inside passes: the bound's price).
func openLiteralTautology(r *sqlReader) bool {
	v := r.v
	l := len(v)
	for l > 0 && (v[l-1] >= '0' && v[l-1] <= '9' || v[l-1]|0x20 >= 'a' && v[l-1]|0x20 <= 'f') {
		l--
	}
	if l < 2 || v[l-1] != '\'' {
		return false
	}
	p := l - 2 // the literal's letter
	if c := v[p] | 0x20; c != 'b' && c != 'x' || c == 'b' && strings.Trim(v[l:], "01") != "" || p > 0 && identByte(v[p-1], "$#'") {
		return false
	}
	p = introducerStart(v, p)
	// read to the literal only: an expression's last operand is not b
	r = newSQLReader(v[:p])
	v = r.v
	var starts [openLiteralReads]int // where the last quotes' operands start
	n := 0
	for i := 0; i < p; i++ {
		if v[i] != '\'' {
			continue
		}
		k := r.skip(i + 1)
		for k < p && v[k] == ')' {
			k = r.skip(k + 1)
		}
		if strings.HasPrefix(v[k:], "||") || strings.HasPrefix(v[k:], "&&") {
			k += 2
		} else if e, ok := sqlWordFold(v, k, "or", "xor", "and"); ok {
			k = e
		} else {
			continue
		}
		k = openLiteralUnary(r, r.skip(k))
		if k == p {
			return true // x' or b'1, x' or -b'1
		}
		if e := literalConstantEnd(v, k); e > k && e <= p {
			q := r.skip(e)
			if c := openLiteralOperatorEnd(r, q); c >= 0 && openLiteralUnary(r, r.skip(c)) == p {
				return true // x' or b'1'=b'1, x' or 0b1=b'1, x' or 1|b'1
			}
			if q == p && e < p && strings.IndexByte(sqlSpaceBytes, v[e]) >= 0 {
				return true // x' or 1+b'0, its + a space to t:urlDecodeUni
			}
		}
		starts[n%len(starts)], n = k, n+1
	}
	// an expression, then an operator (and NOT, brackets or unary
	// operators) before the literal: x' or 2-1=b'1, x' or id>0 or b'1;
	// read from the last openLiteralReads quotes only (each read is up to
	// 64 operands; past them sqlExpr reads to the value's end, here the
	// literal)
	for m := range min(n, len(starts)) {
		k := starts[(n-1-m)%len(starts)]
		e, _, ok := sqlExpr(r, k, 0)
		if !ok || e > p {
			continue
		}
		if e == p {
			// read to the literal: past the 64 operands (at depth 1
			// sqlExpr ends where it stopped), or an operand and white
			// space (x' or maybe b'1, prose)
			if d, _, _ := sqlExpr(r, k, 1); d < p {
				return true
			}
			continue
		}
		if c := openLiteralOperatorEnd(r, r.skip(e)); c >= 0 && openLiteralUnary(r, r.skip(c)) == p {
			return true
		}
	}
	return false
}

// introducerStart: the start of a character set's introducer (_binary,
// _utf8mb4: an _ and a word) and white space before v[p], or p.
func introducerStart(v string, p int) int {
	q := p
	for q > 0 && strings.IndexByte(sqlSpaceBytes, v[q-1]) >= 0 {
		q--
	}
	w := q
	for w > 0 && identByte(v[w-1], "") {
		w--
	}
	if q == p || q-w < 2 || v[w] != '_' || w > 0 && identByte(v[w-1], "$#'") {
		return p
	}
	return w
}

// openLiteralUnary skips NOT, opening brackets and unary operators (! - +
// ~) with the white space and comments after them at v[k:].
func openLiteralUnary(r *sqlReader, k int) int {
	v := r.v
	for k < len(v) {
		if e, ok := sqlWordFold(v, k, "not"); ok {
			k = r.skip(e)
		} else if strings.IndexByte("(!-+~", v[k]) >= 0 {
			k = r.skip(k + 1)
		} else {
			break
		}
	}
	return k
}

// openLiteralOperatorEnd is the end of an operator between a constant or
// an expression and the open literal at v[q:] (openLiteralTautology): a
// comparison (LIKE, NOT LIKE, REGEXP, IS), a bitwise or arithmetic
// operator (| & ^ << >> + - * / % DIV MOD), or a logical one (OR, AND,
// XOR, || &&); or -1.
func openLiteralOperatorEnd(r *sqlReader, q int) int {
	v := r.v
	if q >= len(v) {
		return -1
	}
	for _, op := range []string{"<<", ">>", "||", "&&", "<=>", "<>", "!=", "<=", ">=", "==", "=", "<", ">", "|", "&", "^", "+", "-", "*", "/", "%"} {
		if strings.HasPrefix(v[q:], op) {
			return q + len(op)
		}
	}
	if e, ok := sqlWordFold(v, q, "not"); ok {
		if m, ok := sqlWordFold(v, r.skip(e), "like", "ilike", "rlike", "regexp", "glob"); ok {
			return m
		}
		return -1
	}
	if e, ok := sqlWordFold(v, q, "like", "ilike", "rlike", "regexp", "glob", "is", "or", "and", "xor", "div", "mod"); ok {
		return e
	}
	return -1
}

// openLiteralReads is how many of the last quotes (each closed, then a
// logical operator) openLiteralTautology reads an expression from.
const openLiteralReads = 16

// literalConstantEnd is the end of a constant at v[j:]: a number (0x and
// 0b too), a string in single quotes of at most 64 bytes, one with a
// prefix (n'a'; b'1' and x'41' of any length), a character set's
// introducer and white space before a string or a number or not
// (_binary'a', _utf8mb4 x'41'); or j.
func literalConstantEnd(v string, j int) int {
	if j >= len(v) {
		return j
	}
	if v[j] == '_' {
		w := identEnd(v, j)
		if w-j < 2 {
			return j
		}
		k := sqlSkip(v, w)
		if k < len(v) && (v[k] == '\'' || v[k]|0x20 == 'b' || v[k]|0x20 == 'x' || v[k]|0x20 == 'n' || v[k] >= '0' && v[k] <= '9') {
			if e := literalConstantEnd(v, k); e > k {
				return e
			}
		}
		return j
	}
	if c := v[j] | 0x20; (c == 'b' || c == 'x' || c == 'n') && j+1 < len(v) && v[j+1] == '\'' {
		if c == 'n' {
			if e := sqlOperandEnd(v, j+1); e > j+1 {
				return e
			}
			return j
		}
		k := j + 2
		for k < len(v) && (v[k] == '0' || v[k] == '1' || c == 'x' && (v[k] >= '2' && v[k] <= '9' || v[k]|0x20 >= 'a' && v[k]|0x20 <= 'f')) {
			k++
		}
		if k < len(v) && v[k] == '\'' {
			return k + 1
		}
		return j
	}
	if strings.HasPrefix(v[j:], "0b") || strings.HasPrefix(v[j:], "0B") {
		k := j + 2
		for k < len(v) && (v[k] == '0' || v[k] == '1') {
			k++
		}
		if k > j+2 && (k == len(v) || !identByte(v[k], "")) {
			return k
		}
		return j
	}
	if v[j] == '\'' || v[j] >= '0' && v[j] <= '9' || v[j] == '.' {
		return sqlOperandEnd(v, j)
	}
	return j
}

// queryEndClause: at v[k] a clause that ends a SELECT: FOR UPDATE, FOR
// SHARE, FOR NO KEY UPDATE, FOR KEY SHARE, LOCK IN SHARE MODE, WINDOW
// name AS, SETTINGS name=, FORMAT name.
func queryEndClause(r *sqlReader, k int) bool {
	v := r.v
	if e, ok := sqlWordFold(v, k, "for"); ok {
		_, ok = sqlWordFold(v, r.skip(e), "update", "share", "no", "key")
		return ok
	}
	if e, ok := sqlWordFold(v, k, "lock"); ok {
		_, ok = sqlWordFold(v, r.skip(e), "in")
		return ok
	}
	if e, ok := sqlWordFold(v, k, "window"); ok {
		n := r.skip(e)
		m := identEnd(v, n)
		_, ok = sqlWordFold(v, r.skip(m), "as")
		return m > n && ok
	}
	if e, ok := sqlWordFold(v, k, "settings"); ok {
		n := r.skip(e)
		m := identEnd(v, n)
		m = r.skip(m)
		return m > n && m < len(v) && v[m] == '='
	}
	if e, ok := sqlWordFold(v, k, "format"); ok {
		n := r.skip(e)
		return n > e && identEnd(v, n) > n
	}
	return false
}

// setOperand: before the word at v[i], over white space, a closed quote
// (', ", a backtick), a closing bracket, or a number that is a word of
// its own (1 UNION, -1 UNION; not v1.2 union).
func setOperand(v string, i int) bool {
	b := i
	for b > 0 && v[b-1] <= ' ' {
		b--
	}
	if b == 0 {
		return false
	}
	switch v[b-1] {
	case '\'', '"', '`', ')':
		return true
	}
	d := b
	for d > 0 && v[d-1] >= '0' && v[d-1] <= '9' {
		d--
	}
	if d == b {
		return false
	}
	if d > 0 && v[d-1] == '-' {
		d--
	}
	return d == 0 || !identByte(v[d-1], ".")
}

// sqlFunctionNames are the SQL functions of rule 210156: SQLite's JSON1
// and core functions, MySQL's JSON_* and REGEXP_*, SQL Server's ISJSON,
// OPENJSON and IIF, PostgreSQL's json_*, jsonb_* and to_json. Not the
// functions spelled as English words (format, char, field, position,
// replace, round, sign, trim, lower, upper, reverse, quote, likely,
// unicode, hex, ascii, ...): "click 'Save' and format (the disk)" and
// "'ASCII' and unicode (UTF-8)" are prose, and libinjection reads most of
// those functions itself. Since a fifteenth fresh-eyes attack (attack
// 19), ClickHouse's functions that no other database has (sleepEachRow,
// notEmpty, hasToken, hasAny, currentDatabase, dictGet, multiIf,
// toUInt64, toString, positionCaseInsensitive, ilike, ...), and its
// English-word ones with the bracket right after (sqlFunctionWords).
const sqlFunctionNames = `jsonb?_\w+|isjson|openjson|to_jsonb?|\w+_to_jsonb?|regexp_\w+|unlikely|likelihood|iif|typeof|printf|instr|nchar|unhex|zeroblob|randomblob|sqlite_\w+|soundex|ifnull|nullif|coalesce|substr|substring|concat|concat_ws|lpad|rpad|strcmp|char_length|octet_length|bit_length|crc32|md5|sha1|sha2|find_in_set|make_set|last_insert_rowid|total_changes` +
	// ClickHouse's (attack 19): a time-based test, blind booleans, a
	// dictionary lookup, casts
	`|sleepEachRow|notEmpty|has(?:Any|All|Token\w*|Substr)|current(?:Database|User|Roles|Schemas)|dict(?:Get\w*|Has|IsIn)|multiIf` +
	`|multi(?:Search|Match|FuzzyMatch)\w*|to(?:U?Int(?:8|16|32|64|128|256)|Float(?:32|64)|String|FixedString|TypeName|Decimal\d*|UUID)(?:OrZero|OrNull|OrDefault)?` +
	`|position(?:CaseInsensitive\w*|UTF8)|ilike|notlike|notilike|starts_?with|ends_?with|countSubstrings\w*|extractAll\w*|splitBy\w+|arrayJoin` +
	`|array(?:Exists|Filter|First|Count|StringConcat)|base64Decode|tryBase64Decode|throwIf|getSetting|hostName|isNotNull|isNull|assumeNotNull|reinterpretAs\w+`

// sqlFunctionWords are ClickHouse's (and SQLite's like) functions spelled
// as English words: empty, has, like, position; since attack 52 SQLite's
// likely and glob (x' OR likely(length(password)>3)-- and
// 1 OR glob('a*',password) in a Referer, a User-Agent or a cookie, where
// the CRS at paranoia 1 reads no function's name). Rules 210156 and 210162
// take them only with the bracket right after the name (empty(password),
// not "it's empty (for now)"): a comment between (empty/**/(x)) is a
// space after t:replaceComments and passes, the price of prose.
const sqlFunctionWords = `empty|has|like|position|likely|glob`

// sqlFunctionRule is rule 210156's expression: a closed quote (any
// closing parentheses after it), then or/and/xor or ||/&&, optionally
// NOT or !, opening parentheses and a call of sqlFunctionNames. Comments
// are spaces (t:replaceComments).
const sqlFunctionRule = `(?i)['\"` + "`" + `]\)*` + sqlFunctionCall

// sqlFunctionNumberRule is rule 210162's expression: the same call after
// a number at the value's start (or after a ';' part's name=), and after
// the call's closing parenthesis a comparison (=, <, >, LIKE, IS, IN,
// REGEXP, BETWEEN) or the value's end or a comment: 1 AND
// json_valid(password)=0, 1 AND json_extract(password,'$') LIKE 'a%',
// 7 OR sqlite_version() LIKE '3%'. "1 and concat(the two lists) then
// sort them" and "1 and substr(name, 1, 3) gives the prefix" pass (a
// fresh-eyes hunt for false positives, attack 17). Since attack 18 the
// number may stand in parentheses or in an arithmetic expression and a
// sign, ~ or ! may come before the call ((1) OR json_valid('1'),
// 1-0 OR json_valid('1'), 1 OR-json_valid('1'), 1 OR~json_valid('1'):
// the value's end right after the call's closing parenthesis counts as
// the comparison).
const sqlFunctionNumberRule = `(?i)(?:^|;` + sqlSpace + `*(?:[\w.\[\]-]+=)?)[(` + sqlSpaceChars + `]*[-+]?` + sqlNumber +
	`(?:` + sqlSpace + `*[-+*/%]` + sqlSpace + `*[-+]?` + sqlNumber + `)*` + sqlSpace + `*\)*` + sqlFunctionCall +
	`[^;]*?\)` + sqlSpace + `*(?:[=<>!]|\b(?:like|rlike|regexp|glob|is|in|between|not)\b|--|#|/\*|\z)`

// sqlSpaceChars are sqlSpace's characters, for a class with more.
const sqlSpaceChars = " \\t\\n\\x0b\\x0c\\r\u00a0\ufffd"

// sqlFunctionCall is what follows the quote or the number in rules
// 210156 and 210162.
const sqlFunctionCall = `(?:` + sqlSpace + `*(?:\b(?:or|and|xor)\b|\|\||&&))` + sqlSpace + `*(?:not\b` + sqlSpace + `*|!` + sqlSpace + `*)?[-+~!(` + sqlSpaceChars + `]*` +
	`\b(?:(?:` + sqlFunctionNames + `)` + sqlSpace + `*|(?:` + sqlFunctionWords + `))\(`

// sqlInjectedTail is rule 210156's second condition, on the whole value:
// what an injection into a quoted string needs for the query to parse,
// which code and prose that quote a string and call a function
// ("WHERE type = 'click' AND json_extract(payload, '$.id') = 42",
// "x === 'undefined' || typeof(x) === 'undefined'", "- Fixed 'Export'
// and printf("%s") crash": attack 17 had 22 such refused) lack: an odd
// number of single or of double quotes in the whole value (\A and \z:
// Coraza compiles an expression with (?sm), where ^ and $ are a line's
// ends) (the application's closing quote
// is cut off by a comment or a null byte), a comment at the value's end
// (--, -- -, #, /*), or a last quote that opens a string after an
// operator or a keyword (' OR json_type('1') IS 'integer' OR ',
// ... LIKE '"s%, ... AND '1'='1), which the application's own closing
// quote then closes, also with a string literal's prefix before that
// quote (x' OR json_valid('1') OR X', OR b', OR N', OR _utf8mb4',
// ... OR 1=N': MySQL's X'...', b'...', _charset'...', SQL Server's
// N'...', PostgreSQL's E'...' and U&'...' absorb the closing quote as
// well: attack 18). Prose whose apostrophes are odd in number ("It's
// 'Fine' and concat(x)") is still refused: the price.
const sqlInjectedTail = `\A[^']*'(?:[^']*'[^']*')*[^']*\z|\A[^\"]*\"(?:[^\"]*\"[^\"]*\")*[^\"]*\z|(?:--[\s-]*|#|/\*)\s*\z` +
	`|(?i:\b(?:or|and|xor|not|like|rlike|regexp|glob|is|in|between|then|else|when)\b|[=<>(,+*/%&|^!-])\s*(?i:\b(?:[xbneu]|u&|_\w+))?['\"][^'\"]*\z`

// shellExtraRule is rule 210159's expression (see sqlFunctionRules).
var shellExtraRule = "(?:[;|&`\\n]|\\$\\()\\s*(?:[({]\\s*)*" +
	// the shell as $0 (quoted or not) before an option or a redirection
	`['\x22]?\$(?:0|\{0\})['\x22]?(?:[ \t]+-[a-zA-Z]|[ \t]*<<<|[ \t]*<[ \t]*[/.~])` +
	// the rest only after the value's first word (127.0.0.1;npx x,
	// ;pip install x, host && curl.exe ...): a how-to, a README or a chat
	// message has its install commands after words and line breaks
	// ("## Install\n\npip install requests", "python3 -m venv .venv &&
	// pip install -r requirements.txt", "Cannot reach the share:\n
	// \\fileserver01\finance\x.xlsx": a fresh-eyes hunt for false
	// positives, attack 17, had 11 refused)
	"|\\A\\s*[^\\s;|&`]*\\s*(?:&&|\\|\\||[;|&`\\n]|\\$\\()\\s*(?:[({]\\s*)*" +
	// then one-word commands chained on one line (127.0.0.1;true;npx x,
	// 127.0.0.1|true;npx x: attack 18), each perhaps after variables'
	// assignments
	"(?:(?:\\w+=[^\\s;|&`]*[ \\t]+)*[^\\s;|&`]+[ \\t]*(?:&&|\\|\\||[;|&])[ \\t]*(?:[({][ \\t]*)*)*(?:" +
	// package runners, after variables' assignments (FOO=1 npx x), env,
	// sudo or exec, a directory (/usr/bin/npx), and spelled with quotes
	// or backslashes anywhere in the name ("npx", \npx, n''px: attack 18)
	`(?:\w+=[^\s;|&` + "`" + `]*[ \t]+|(?:env|command|exec|nohup|sudo)[ \t]+)*(?:[\w.~-]*/)*(?:` +
	`(?:` + shellQuoted("npx") + `|` + shellQuoted("bunx") + `|` + shellQuoted("uvx") + `|` + shellQuoted("pnpx") + `)[ \t]+(?:-{1,2}[a-zA-Z]|[\w.-]*[:@/]|[\w.-]+[ \t]*(?:\z|[;&|#\n]|[ \t]+-))` +
	`|(?:` + shellQuoted("pipx") + `[ \t]+run|(?:` + shellQuoted("pip") + `[23]?(?:\.\d+)?` + shellQuote + `|` + shellQuoted("python") + `[23]?(?:\.\d+)?` + shellQuote + `[ \t]+-m[ \t]+pip)[ \t]+install|` +
	shellQuoted("gem") + `[ \t]+install|` + shellQuoted("cargo") + `[ \t]+install|` + shellQuoted("npm") + `[ \t]+(?:exec|x)|(?:` + shellQuoted("yarn") + `|` + shellQuoted("pnpm") + `)[ \t]+dlx|` +
	shellQuoted("pnpm") + `[ \t]+exec|` + shellQuoted("bun") + `[ \t]+x|` + shellQuoted("uv") + `[ \t]+(?:tool[ \t]+run|pip[ \t]+install)|` + shellQuoted("deno") + `[ \t]+(?:run|eval|install))[ \t]+\S` +
	`|` + shellQuoted("go") + `[ \t]+(?:run|install|get)[ \t]+(?:-\S+[ \t]+)*\S*(?:\w\.\w+/|@|\.go\b))` +
	// cmd.exe, after @, ^, a double quote, start (its options, a title)
	// or call (attack 18): a program by its .exe name (or any .exe name
	// with a caret in it: cu^rl.exe), a UNC path, a program under a
	// variable's or a drive's path
	`|(?i:@|\^|\x22|(?:start|call)[ \t]+(?:/\w+[ \t]+|\x22[^\x22\n]*\x22[ \t]+)*)*(?:` +
	`(?i:(?:curl|wget|tar|certutil|bitsadmin|powershell|pwsh|cmd|mshta|rundll32|regsvr32|wscript|cscript|msiexec|ftp|tftp|expand|extrac32|esentutl|schtasks|wmic|reg|sc|net1?|whoami|hostname|ipconfig|systeminfo|tasklist|taskkill|ping|nslookup|bash|wsl|msbuild|installutil|cmstp|forfiles|xcopy|robocopy|findstr|msdt|hh|odbcconf|curl)\.exe|[\w^]*\^[\w^]*\.exe)(?:[\s&|;\x22]|\z)` +
	`|\x5c\x5c[\w.-]+\x5c[^\s\x5c]` +
	`|(?i:(?:%\w+%|[a-z]:)\x5c(?:[^\s\x5c&|]+\x5c)*[^\s\x5c&|]+\.(?:exe|bat|cmd|ps1|vbs|hta|com|scr|msi))\b` +
	`))`

// shellQuote is what a shell drops from a command's name: quotes and
// backslashes ("npx", \npx, n'p'x, n"p"x all run npx).
const shellQuote = `['\x22\x5c]*`

// shellQuoted is name as rule 210159 reads it, with shellQuote before,
// between and after its letters.
func shellQuoted(name string) string {
	var b strings.Builder
	for _, c := range name {
		b.WriteString(shellQuote)
		b.WriteRune(c)
	}
	b.WriteString(shellQuote)
	return b.String()
}
