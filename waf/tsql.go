package waf

import "strings"

// tsqlRules is rule 210201: SQL Server's injections that need no ';'
// (tsqlStatement). SQL Server runs a statement written right after
// another with only white space between, so after a closed quote
// x' delete from users-- deletes every row, and x' insert into users
// values('me','admin')-- adds an administrator; and it names a value it
// cannot convert in its error, so '+convert(int,password)+' shows a
// password to an application that shows database errors. The CRS's
// stacked-query rules need the ';' (942350, 942540), and libinjection
// takes neither for SQL: both passed the CRS and the gateway in every
// place (a fresh-eyes attack, attack 73). It reads a value as decoded
// once and, when it holds a % or a +, decoded twice (multiMatch: the
// second decoding reads '+convert as ' convert).
var tsqlRules = `SecRule ` + valueHeaderTargets + ` "@` + tsqlStatementOp + `" "id:210201,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,multiMatch,msg:'SQL injection: a SQL Server statement after a closed quote with no semicolon, or a value converted to a number to show it in an error',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// tsqlStatementOp is rule 210201's operator (tsqlStatement).
const tsqlStatementOp = "gatewayTSQLStatement"

func init() { registerGoOperator(tsqlStatementOp, tsqlStatement) }

// tsqlStatement is rule 210201's operator: after a closed quote (or a
// number that starts the value), white space and comments, a statement
// that changes data, users or the server, in the words only SQL writes
// after its keyword (delete from <name>, insert into <name>, truncate
// table <name>, create login|user|table ... <name>, alter login|table|
// database|server role ..., grant|deny <word> to|on, revoke <word> from|
// on, backup database|log <name> to, bulk insert <name> from, merge into
// <name> using, execute as login|user, disable trigger, dbcc <word>,
// shutdown, while <condition> begin, raiserror(, throw <number>,) ; or
// after a quote and + or ||, a conversion to a number: convert(int, ...),
// try_convert, parse(... as int). Prose with the words and no quote before
// them, or other words after them, passes ("Click 'Edit' then delete the
// row"). Each quote is read on over a few words; comments' ends are
// searched once (sqlReader).
func tsqlStatement(v string) bool {
	if !strings.ContainsAny(v, "'\"0123456789cC") {
		return false
	}
	r := newSQLReader(v)
	// a number that starts the value, or a conversion (1 shutdown with
	// nowait, 1+convert(int,password), convert(int,password))
	if j := r.skip(0); j < len(v) {
		if e := sqlNumberEnd(v, j); e > j {
			k := r.skip(e)
			if tsqlStatementAt(r, k) || k < len(v) && (v[k] == '+' || v[k] == '-') && tsqlConversionAt(r, r.skip(k+1)) {
				return true
			}
		} else if tsqlConversionAt(r, j) {
			return true
		}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\'' && c != '"' {
			continue
		}
		k := r.skip(i + 1)
		if tsqlStatementAt(r, k) {
			return true
		}
		if strings.HasPrefix(v[k:], "||") {
			k = r.skip(k + 2)
		} else if k < len(v) && v[k] == '+' {
			k = r.skip(k + 1)
		} else {
			continue
		}
		if tsqlConversionAt(r, k) || sqlCaseAt(v, k) {
			return true
		}
	}
	return false
}

// sqlCaseWindow is how far sqlCaseAt reads after CASE for its WHEN, THEN
// and END: each joined CASE costs at most three scans of it.
const sqlCaseWindow = 256

// sqlCaseAt reads at v[n:] a CASE expression: the word case, then within
// sqlCaseWindow bytes the words when, then and end in that order, each
// whole. Joined to a closed quote with + or || ('+case username when
// 'admin' then password else 1 end+'), it puts a column's value, or a
// test of it, in the string the query compares: a blind read, which the
// CRS and libinjection passed in a string slot (noted since attack 71,
// found again in a review). A CASE in brackets is the CRS's already.
func sqlCaseAt(v string, n int) bool {
	e, ok := sqlWordFold(v, n, "case")
	if !ok {
		return false
	}
	end := min(len(v), e+sqlCaseWindow)
	for _, w := range [...]string{"when", "then", "end"} {
		k := wordIndexFold(v[e:end], w)
		if k < 0 {
			return false
		}
		e += k + len(w)
	}
	return true
}

// wordIndexFold is the index in v of the first whole word w (ASCII case
// folded; w lower case), or -1.
func wordIndexFold(v, w string) int {
	for a := 0; a+len(w) <= len(v); {
		k := indexFold(v[a:], w)
		if k < 0 {
			return -1
		}
		k += a
		if wordStart(v, k) && (k+len(w) == len(v) || !identByte(v[k+len(w)], "")) {
			return k
		}
		a = k + 1
	}
	return -1
}

// tsqlStatementAt reads a statement of tsqlStatement's at v[k:].
func tsqlStatementAt(r *sqlReader, k int) bool {
	v := r.v
	word := func(at int, words ...string) (int, bool) {
		e, ok := sqlWordFold(v, at, words...)
		return r.skip(e), ok
	}
	name := func(at int) (int, bool) {
		// a name, or a table with its columns (users(name,role))
		e, o := sqlName(v, at)
		return r.skip(e), o.kind == primName || o.kind == primQuotedName || o.kind == primCall
	}
	if n, ok := word(k, "delete"); ok {
		if m, ok := word(n, "from"); ok {
			_, ok = name(m)
			return ok
		}
		m, ok := name(n)
		return ok && (m == len(v) || strings.HasPrefix(v[m:], "--") || strings.HasPrefix(v[m:], "#") || v[m] == ';')
	}
	if n, ok := word(k, "insert"); ok {
		if m, ok := word(n, "into"); ok {
			_, ok = name(m)
			return ok
		}
		if m, ok := name(n); ok {
			_, ok = word(m, "values", "select", "default", "exec", "execute")
			return ok || m < len(v) && v[m] == '('
		}
		return false
	}
	if n, ok := word(k, "truncate"); ok {
		if m, ok := word(n, "table"); ok {
			_, ok = name(m)
			return ok
		}
		return false
	}
	if n, ok := word(k, "create", "alter", "drop"); ok {
		if m, ok := word(n, "login", "user", "table", "procedure", "proc", "function", "trigger", "database", "view", "role", "assembly", "endpoint", "credential", "server"); ok {
			_, ok = name(m)
			return ok
		}
		return false
	}
	if n, ok := word(k, "grant", "deny", "revoke"); ok {
		if m, ok := name(n); ok {
			_, ok = word(m, "to", "on", "from")
			return ok
		}
		return false
	}
	if n, ok := word(k, "backup"); ok {
		if m, ok := word(n, "database", "log"); ok {
			if m, ok = name(m); ok {
				_, ok = word(m, "to")
				return ok
			}
		}
		return false
	}
	if n, ok := word(k, "bulk"); ok {
		if m, ok := word(n, "insert"); ok {
			if m, ok = name(m); ok {
				_, ok = word(m, "from")
				return ok
			}
		}
		return false
	}
	if n, ok := word(k, "merge"); ok {
		if m, ok := word(n, "into"); ok {
			n = m
		}
		if m, ok := name(n); ok {
			_, ok = word(m, "using", "as")
			return ok
		}
		return false
	}
	if n, ok := word(k, "execute", "exec"); ok {
		if m, ok := word(n, "as"); ok {
			_, ok = word(m, "login", "user", "caller", "owner", "self")
			return ok
		}
		return false
	}
	if n, ok := word(k, "disable", "enable"); ok {
		_, ok = word(n, "trigger")
		return ok
	}
	if n, ok := word(k, "dbcc"); ok {
		_, ok = name(n)
		return ok
	}
	if n, ok := word(k, "shutdown"); ok {
		_, with := word(n, "with")
		return with || n == len(v) || strings.HasPrefix(v[n:], "--") || strings.HasPrefix(v[n:], "#") || v[n] == ';'
	}
	if n, ok := word(k, "while"); ok {
		e, _, ok := sqlExpr(r, n, 0)
		if ok {
			_, ok = word(r.skip(e), "begin")
		}
		return ok
	}
	if n, ok := word(k, "raiserror"); ok {
		return n < len(v) && v[n] == '('
	}
	if n, ok := word(k, "throw"); ok {
		if e := sqlNumberEnd(v, n); e > n {
			return r.skip(e) < len(v) && v[r.skip(e)] == ','
		}
		return false
	}
	return false
}

// tsqlConversionAt reads at v[n:] a conversion to a number: convert or
// try_convert with a numeric type first, parse or try_parse with AS and a
// numeric type.
func tsqlConversionAt(r *sqlReader, n int) bool {
	v := r.v
	numeric := func(at int) bool {
		_, ok := sqlWordFold(v, r.skip(at), "int", "integer", "bigint", "smallint", "tinyint", "numeric", "decimal", "float", "real", "money", "smallmoney", "bit")
		return ok
	}
	if e, ok := sqlWordFold(v, n, "convert", "try_convert"); ok {
		if b := r.skip(e); b < len(v) && v[b] == '(' {
			return numeric(b + 1)
		}
		return false
	}
	if e, ok := sqlWordFold(v, n, "parse", "try_parse"); ok {
		b := r.skip(e)
		if b >= len(v) || v[b] != '(' {
			return false
		}
		c := closingBracket(v, b, 128)
		if c < 0 {
			return false
		}
		// the last " as " (ASCII case folded in place: lowercasing text
		// that is not UTF-8 changes its length, a fuzz find)
		last := -1
		for a := b + 1; a < c; {
			k := indexFold(v[a:c], " as ")
			if k < 0 {
				break
			}
			last, a = a+k, a+k+1
		}
		if last >= 0 {
			return numeric(last + 4)
		}
	}
	return false
}
