package waf

import (
	"sort"
	"strings"
)

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

// tsqlStatement is rule 210201's operator: after a closed quote, a
// statement that changes data, users or the server (tsqlStatementAt),
// anywhere after it (SQL Server needs nothing between two statements:
// x' print 1 delete from users--, x' and 1=0 delete from users--, x' if
// 1=1 delete from users--, labels, BEGIN TRAN t, nested BEGINs: attack 74
// and a review), that ends the way an injection must (tsqlEnds); or at a
// value that starts with a number (-1, (1), $1 too), the statement right
// after it and its closing brackets, or anywhere after a statement's
// first word there (1 if 1=1 delete from users, 1 print 1 delete from
// users); or after a quote and + or ||, a conversion to a number
// (convert(int, ...), try_convert, parse(... as int)) or a CASE. Prose
// with the words reads otherwise after them (Editors' delete button
// doesn't work, Click 'Delete all messages' to clear your inbox: each
// statement must go on as SQL does, tsqlStatementAt). Each place is read
// once: comments' ends (sqlReader), white space and comments from a
// place (tsqlReader.skip), the rest of the value as SQL (tailFrom).
func tsqlStatement(v string) bool {
	if !strings.ContainsAny(v, "'\"0123456789cC$:(;") {
		return leadCandidate(v) && newTSQLReader(v).led()
	}
	t := newTSQLReader(v)
	if t.numbered() || t.quoted() || t.led() || t.stacked() {
		return true
	}
	// a conversion or a CASE joined to a closed quote
	for i := strings.IndexAny(v, "'\""); i >= 0 && i < len(v); i++ {
		if c := v[i]; c != '\'' && c != '"' {
			continue
		}
		k := t.skip(i + 1)
		if strings.HasPrefix(v[k:], "||") {
			k = t.skip(k + 2)
		} else if k < len(v) && v[k] == '+' {
			k = t.skip(k + 1)
		} else if e, ok := sqlWordFold(v, k, "and", "or"); ok {
			// x' and xmlparse(document password) is null-- (attack 76)
			if k = t.skip(e); !pgConversionAt(t.sqlReader, k) {
				continue
			}
			return true
		} else {
			continue
		}
		if tsqlConversionAt(t.sqlReader, k) || sqlCaseAt(v, k) {
			return true
		}
	}
	return false
}

// newTSQLReader is a reader of v for tsqlStatement.
func newTSQLReader(v string) *tsqlReader {
	return &tsqlReader{sqlReader: newSQLReader(v), lastDashes: strings.LastIndex(v, "--"), lastBlock: strings.LastIndex(v, "/*")}
}

// numbered: v starts with a number (after signs and opening brackets; a
// money literal too: $1 shutdown) and then, after closing brackets, a
// statement (1 shutdown, 1) shutdown, -1 delete from users) or a
// statement's first word and a statement anywhere after it (1 if 1=1
// delete from users, 1 begin delete from users end); or a conversion
// (1+convert(int,password), convert(int,password)). The statement only
// needs to go on as SQL does (tsqlStatementAt): a numeric slot's value
// can end the query. "3 ways to delete files" passes; "10 delete files"
// is refused (WHERE id = 10 delete files deletes a table): the price.
func (t *tsqlReader) numbered() bool {
	v := t.v
	j := t.skip(0)
	for j < len(v) && (v[j] == '(' || v[j] == '-' || v[j] == '+') {
		j = t.skip(j + 1)
	}
	if j >= len(v) {
		return false
	}
	e := sqlNumberEnd(v, j)
	if v[j] == '$' {
		e = sqlNumberEnd(v, j+1)
		if e == j+1 {
			return false
		}
	}
	if e == j {
		return tsqlConversionAt(t.sqlReader, j)
	}
	k := t.skip(e)
	if k < len(v) && (v[k] == '+' || v[k] == '-') && tsqlConversionAt(t.sqlReader, t.skip(k+1)) {
		return true
	}
	for k < len(v) && v[k] == ')' {
		k = t.skip(k + 1)
	}
	if _, ok := tsqlStatementAt(t, k); ok {
		return true
	}
	if tsqlSelectEvident(t, k, true) {
		return true // 1 select convert(int,password) from users (attack 86)
	}
	if n, ok := sqlWordFold(v, k, tsqlStarts...); ok {
		return t.statementFrom(n, 0, false) || t.conditional(k)
	}
	return false
}

// led: v starts (after opening brackets and signs) with an operand or a
// sort list that is not a number (numbered reads those): NULL, a
// variable (@@spid, @id), a name bare, quoted or dotted, a call; then
// closing brackets, ASC or DESC, more keys after commas, OFFSET ... ROWS
// FETCH ... ONLY; and then a statement that goes on as SQL does
// (tsqlStatementAt), or a statement's first word and one after it. An
// application that puts the value in a numeric or sort slot (WHERE id =
// $id, ORDER BY $sort) runs the statement: SQL Server needs nothing
// between two (?sort=name desc delete from users, ?id=null shutdown,
// ?id=(id) delete from users: attack 78, which the CRS and the gateway
// passed). One bare word of letters alone before the statement is
// prose's shape too (Server shutdown, Admins drop table reservations,
// Please create user profiles): there the statement counts only where it
// is plainly SQL (tsqlEvident).
func (t *tsqlReader) led() bool {
	v := t.v
	j := t.skip(0)
	// sqlish: what a prose's lead does not hold (an operator, a number, a
	// string, NULL, a variable, a call, a dotted or _ name, ASC or DESC, a
	// second sort key, a closing bracket the value did not open); tag: a
	// word in brackets or quotes ([WIP], (Draft), "Admin"), which titles
	// write before a sentence too
	sqlish, tag, opened := false, false, 0
	for {
		// an item: operands joined by operators (id*1, null or 1=1), IS
		// [NOT] NULL, [NOT] IN (...), BETWEEN ... AND, [NOT] LIKE, COLLATE
		// <name> (a review of attack 78's fix)
		for {
			for j < len(v) && strings.IndexByte("+-~", v[j]) >= 0 && !strings.HasPrefix(v[j:], "--") {
				j, sqlish = t.skip(j+1), true
			}
			for j < len(v) && v[j] == '(' {
				j, opened = t.skip(j+1), opened+1
			}
			if j >= len(v) {
				return false
			}
			var e int
			switch c := v[j]; {
			case c == '@':
				s := j
				for j < len(v) && v[j] == '@' && j-s < 2 {
					j++
				}
				if e, _ = sqlName(v, j); e == j {
					return false
				}
				sqlish = true
			case c == '0' && j+1 < len(v) && v[j+1]|0x20 == 'x':
				// a binary literal, empty too (0x shutdown: attack 79)
				for e = j + 2; e < len(v) && ishex(v[e]); e++ {
				}
				sqlish = true
			case c >= '0' && c <= '9' || c == '.':
				if e = sqlNumberEnd(v, j); e == j {
					return false
				}
				sqlish = true
			case c|0x20 == 'n' && j+1 < len(v) && v[j+1] == '\'':
				// N'' delete users (attack 79)
				if e = sqlOperandEnd(v, j+1); e == j+1 {
					return false
				}
				sqlish = true
			case c == '{':
				// an ODBC escape: {d '2020-01-01'}, {fn now()}
				if e = closingBracket(v, j, 64); e < 0 {
					return false
				}
				e, sqlish = e+1, true
			case c == '\'':
				if e = sqlOperandEnd(v, j); e == j {
					return false
				}
				sqlish = true
			default:
				var o sqlOperand
				if e, o = sqlName(v, j); e == j || o.kind != primName && o.kind != primQuotedName && o.kind != primCall {
					return false
				}
				switch {
				case o.kind == primQuotedName:
					tag = true
				case o.kind == primCall && strings.IndexByte(v[j:e], ' ') >= 0 && !strings.ContainsAny(v[j:strings.IndexByte(v[j:e], '(')+j], "._0123456789$#"):
					tag = true // Name (asc): a label, not a call
				case o.kind == primCall || strings.ContainsAny(v[j:e], "._0123456789$#"):
					sqlish = true
				default:
					if _, ok := sqlWordFold(v, j, "null", "current_user", "session_user", "system_user"); ok {
						sqlish = true
					}
				}
			}
			k := t.skip(e)
			for k < len(v) && v[k] == ')' {
				if opened > 0 {
					opened, tag = opened-1, true
				} else {
					sqlish = true // id) delete from users
				}
				k = t.skip(k + 1)
			}
			// postfix tests
			if m, ok := sqlWordFold(v, k, "is"); ok {
				m = t.skip(m)
				if n, ok := sqlWordFold(v, m, "not"); ok {
					m = t.skip(n)
				}
				if n, ok := sqlWordFold(v, m, "null", "true", "false", "unknown"); ok {
					k, sqlish = t.skip(n), true
				}
			}
			if m, ok := sqlWordFold(v, k, "collate"); ok {
				if n, _ := sqlName(v, t.skip(m)); n > t.skip(m) {
					k, sqlish = t.skip(n), true
				}
			}
			n := k
			if m, ok := sqlWordFold(v, n, "not"); ok {
				n = t.skip(m)
			}
			if m, ok := sqlWordFold(v, n, "in"); ok && t.skip(m) < len(v) && v[t.skip(m)] == '(' {
				if c := closingBracket(v, t.skip(m), sortProbeWindow); c > 0 {
					k, sqlish = t.skip(c+1), true
				}
			}
			// an operator and the next operand
			if m, ok := sqlWordFold(v, n, "between"); ok {
				j, sqlish = t.skip(m), true
				continue
			}
			if m, ok := sqlWordFold(v, n, "and", "or", "like"); ok {
				j = t.skip(m)
				continue
			}
			o := k
			for o < len(v) && strings.IndexByte("*/%+-=<>!|&^", v[o]) >= 0 && !strings.HasPrefix(v[o:], "--") && !strings.HasPrefix(v[o:], "/*") {
				o++
			}
			if o > k {
				j, sqlish = t.skip(o), true
				continue
			}
			j = k
			break
		}
		if m, ok := sqlWordFold(v, j, "asc", "desc"); ok {
			j, sqlish = t.skip(m), true
		}
		if j < len(v) && v[j] == ',' {
			j, sqlish = t.skip(j+1), true
			continue
		}
		break
	}
	// OPTION (...) and FOR XML|JSON ... | FOR BROWSE, which end a query
	// after its ORDER BY (attack 79)
	for range 2 {
		if m, ok := sqlWordFold(v, j, "option"); ok && t.skip(m) < len(v) && v[t.skip(m)] == '(' {
			if c := closingBracket(v, t.skip(m), sortProbeWindow); c > 0 {
				j, sqlish = t.skip(c+1), true
			}
		}
		if m, ok := sqlWordFold(v, j, "for"); ok {
			if m, ok := sqlWordFold(v, t.skip(m), "xml", "json", "browse"); ok {
				j, sqlish = t.skip(m), true
				for range 8 {
					m, ok := sqlWordFold(v, j, "auto", "raw", "path", "explicit", "elements", "root", "type", "binary", "base64", "xmldata",
						"xmlschema", "include_null_values", "without_array_wrapper", "xsinil", "absent")
					if !ok {
						break
					}
					j = t.skip(m)
					if j < len(v) && v[j] == '(' {
						if c := closingBracket(v, j, 64); c > 0 {
							j = t.skip(c + 1)
						}
					}
					if j < len(v) && v[j] == ',' {
						j = t.skip(j + 1)
					}
				}
			}
		}
	}
	// a label (lbl: delete from users: T-SQL's GOTO target, a statement
	// of its own; attack 80)
	if e, o := sqlName(v, j); e > j && o.kind == primName && e < len(v) && v[e] == ':' && (e+1 >= len(v) || v[e+1] != ':') && sqlish {
		j = t.skip(e + 1)
	}
	plain := !sqlish
	// OFFSET n ROW[S] [FETCH FIRST|NEXT n ROW[S] ONLY]
	if m, ok := sqlWordFold(v, j, "offset"); ok {
		m = t.skip(m)
		n := sqlNumberEnd(v, m)
		if n == m {
			return false
		}
		if m, ok = sqlWordFold(v, t.skip(n), "rows", "row"); !ok {
			return false
		}
		j, plain = t.skip(m), false
		if m, ok := sqlWordFold(v, j, "fetch"); ok {
			if m, ok = sqlWordFold(v, t.skip(m), "first", "next"); !ok {
				return false
			}
			m = t.skip(m)
			n := sqlNumberEnd(v, m)
			if n == m {
				return false
			}
			if m, ok = sqlWordFold(v, t.skip(n), "rows", "row"); !ok {
				return false
			}
			if m, ok = sqlWordFold(v, t.skip(m), "only"); !ok {
				return false
			}
			j = t.skip(m)
		}
	}
	if j >= len(v) || !wordStart(v, j) {
		return false
	}
	// a SELECT that is plainly SQL (attack 86), strictly after prose's
	// leads: one bare word, a word in brackets, a list's number
	if tsqlSelectEvident(t, j, plain || tag || listNumbered(v)) {
		return true
	}
	if _, ok := tsqlStatementAt(t, j); ok {
		return !plain || tsqlEvident(v, j, tag)
	}
	if n, ok := sqlWordFold(v, j, tsqlStarts...); ok && !plain {
		return t.statementFrom(n, 0, false) || t.conditional(j)
	}
	return false
}

// listNumbered: v starts with a list's number (1. or 1) then a blank: a
// how-to's step (1. Select * from the menu), which tsqlSelectEvident
// reads strictly.
func listNumbered(v string) bool {
	j := sqlSkip(v, 0)
	k := j
	for k < len(v) && k-j < 4 && v[k] >= '0' && v[k] <= '9' {
		k++
	}
	return k > j && k+1 < len(v) && (v[k] == '.' || v[k] == ')') && (v[k+1] == ' ' || v[k+1] == '\t')
}

// tsqlTempTable is the index after the # or ## of a temporary table's
// name at v[j:] (INTO #x, INTO ##x), or j.
func tsqlTempTable(v string, j int) int {
	for k := j; k < len(v) && k-j < 2 && v[k] == '#'; k++ {
		if k+1 < len(v) && identByte(v[k+1], "") {
			return k + 1
		}
	}
	return j
}

// tsqlSelectWindow is how far tsqlSelectEvident reads after SELECT.
const tsqlSelectWindow = 256

// tsqlSelectEvident: at v[k:] a SELECT that is plainly SQL, read after a
// lead (led, numbered: SQL Server runs a second SELECT written right
// after ORDER BY <sort> or WHERE id = <n>, and its error or its time
// reads a password: name desc select convert(int,password) from users,
// name desc select 1/count(*) from users where password like 'a%',
// attack 86). Strict (a lead of one bare word, a word in brackets, a
// list's number: prose's shape, Name select (optional), 1. Select from
// the menu): a conversion to a number right after SELECT (convert(int,
// ...), cast(... as int), parse(... as int)), a number divided or
// multiplied by a bracket or a call (1/(select ...), 1/count(*)), or
// INTO a temporary table (#x, ##x) and FROM. Otherwise (a sort key with
// ASC or DESC, an operand) also a call right after SELECT with SQL in
// its brackets (count(*), substring(password,1,1), db_name(): not
// item(s)), * then INTO or FROM, or FROM then WHERE with SQL's
// punctuation after it (= ' ( @). Prose keeps passing: sort by name
// desc select the cheapest, 1 select all from the list, id select one.
// It reads tsqlSelectWindow bytes after SELECT at most.
func tsqlSelectEvident(t *tsqlReader, k int, strict bool) bool {
	v := t.v
	n, ok := sqlWordFold(v, k, "select")
	if !ok {
		return false
	}
	w := min(len(v), n+tsqlSelectWindow)
	r := v[:w] // every look below stays in the window
	n = sqlSkip(r, n)
	// TOP n | TOP (n), DISTINCT
	if m, ok := sqlWordFold(r, n, "top"); ok {
		m = sqlSkip(r, m)
		if m < len(r) && r[m] == '(' {
			if c := closingBracket(r, m, 64); c > 0 {
				n = sqlSkip(r, c+1)
			}
		} else if e := sqlNumberEnd(r, m); e > m {
			n = sqlSkip(r, e)
		}
	}
	if m, ok := sqlWordFold(r, n, "distinct"); ok {
		n = sqlSkip(r, m)
	}
	if n >= len(r) {
		return false
	}
	// a conversion to a number: its error shows the value
	if tsqlConversionAt(t.sqlReader, n) {
		return true
	}
	if e, ok := sqlWordFold(r, n, "cast", "try_cast"); ok && e < len(r) && r[e] == '(' {
		if c := closingBracket(r, e, 128); c > 0 {
			if last := lastAsIn(r, e, c); last >= 0 {
				if _, ok := sqlWordFold(r, sqlSkip(r, last+4), tsqlNumericTypes...); ok {
					return true
				}
			}
		}
	}
	// a number divided or multiplied by a bracket or a call: a division
	// by zero is a yes or no
	if e := sqlNumberEnd(r, n); e > n {
		if o := sqlSkip(r, e); o < len(r) && strings.IndexByte("/*%", r[o]) >= 0 {
			b := sqlSkip(r, o+1)
			if b < len(r) && r[b] == '(' {
				return true
			}
			if _, op := sqlName(r, b); op.kind == primCall {
				return true
			}
		}
	}
	// INTO #x [FROM]: a temporary table filled
	if i := wordIndexFold(r[n:], "into"); i >= 0 {
		m := sqlSkip(r, n+i+len("into"))
		if b := tsqlTempTable(r, m); b > m {
			if e, o := sqlName(r, b); o.kind == primName {
				if _, ok := sqlWordFold(r, sqlSkip(r, e), "from"); ok {
					return true
				}
			}
		}
	}
	// WHERE, then a comparison with a subquery: select 1 where 1=(select
	// top 1 password from users), whose conversion error shows the
	// password (attack 87; after a bare word too: id select 1 where ...)
	if i := wordIndexFold(r[n:], "where"); i >= 0 {
		a := n + i + len("where")
		w := r[a:min(len(r), a+64)]
		// a comparison or IN in the condition, on either side of the
		// subquery (1 in (select ...), (select ...)=1, 1=((select ...)):
		// a review)
		compared := strings.ContainsAny(w, "=<>") || wordIndexFold(w, "in") >= 0
		for q := strings.IndexByte(w, '('); q >= 0 && compared; {
			b := sqlSkip(w, q+1)
			for b < len(w) && w[b] == '(' {
				b = sqlSkip(w, b+1)
			}
			if _, ok := sqlWordFold(w, b, "select"); ok {
				return true
			}
			next := strings.IndexByte(w[q+1:], '(')
			if next < 0 {
				break
			}
			q += 1 + next
		}
	}
	if strict {
		return false
	}
	// a call with SQL in its brackets, right after SELECT
	if e, o := sqlName(r, n); o.kind == primCall {
		b := strings.IndexByte(r[n:e], '(')
		if b > 0 && identByte(r[n+b-1], "") {
			args := r[n+b+1 : e-1]
			if strings.TrimSpace(args) == "" || strings.ContainsAny(args, "*,'@(") || strings.ContainsRune(r[n:n+b], '_') {
				return true
			}
		}
	}
	// an operand and arithmetic with a number: SQL Server converts a
	// string to a number there, and its error shows the string
	// (password*1, [password]+1, @@version+1, (select top 1 password
	// from users)+1: a review)
	o := n
	switch r[n] {
	case '(':
		if c := closingBracket(r, n, 128); c > 0 {
			o = c + 1
		}
	case '[':
		if c := strings.IndexByte(r[n:min(len(r), n+130)], ']'); c > 1 {
			o = n + c + 1
		}
	case '@':
		a := n
		for a < len(r) && a-n < 2 && r[a] == '@' {
			a++
		}
		o = identEnd(r, a)
	default:
		if e, op := sqlName(r, n); op.kind == primName {
			o = e
		}
	}
	if p := sqlSkip(r, o); o > n && p < len(r) && strings.IndexByte("+-*/%", r[p]) >= 0 {
		if d := sqlSkip(r, p+1); sqlNumberEnd(r, d) > d {
			return true
		}
	}
	// * then INTO or FROM
	if r[n] == '*' {
		if _, ok := sqlWordFold(r, sqlSkip(r, n+1), "into", "from"); ok {
			return true
		}
	}
	// FROM ... WHERE and SQL's punctuation after WHERE
	if f := wordIndexFold(r[n:], "from"); f >= 0 {
		a := n + f + len("from")
		if i := wordIndexFold(r[a:], "where"); i >= 0 {
			a += i + len("where")
			if strings.ContainsAny(r[a:min(len(r), a+64)], "='(@") {
				return true
			}
		}
	}
	return false
}

// tsqlConditioned are the statements that make IF or WHILE a blind test
// when they run on a condition: output, a clock, an error, a call.
var tsqlConditioned = []string{"select", "print", "waitfor", "raiserror", "throw", "exec", "execute", "declare", "shutdown", "kill"}

// tsqlConditionedSQL: the statement word at v[j:m] goes on as SQL (a
// stacked IF's): SELECT's list, KILL's number, WAITFOR DELAY|TIME,
// RAISERROR( and THROW's number, EXEC's procedure, SHUTDOWN; not PRINT
// (PHP's, Perl's).
func tsqlConditionedSQL(v string, j, m int) bool {
	k := sqlSkip(v, m)
	switch strings.ToLower(v[j:m]) {
	case "select":
		return sqlSelectList(v, k)
	case "kill", "throw":
		return k < len(v) && v[k] >= '0' && v[k] <= '9'
	case "waitfor":
		_, ok := sqlWordFold(v, k, "delay", "time")
		return ok
	case "raiserror":
		return k < len(v) && v[k] == '('
	case "exec", "execute":
		e, o := sqlName(v, k)
		return e > k && (o.kind == primQuotedName || strings.ContainsAny(v[k:e], "_.(")) || k < len(v) && v[k] == '('
	case "shutdown":
		return true
	}
	return false
}

// conditional: at v[k:] IF or WHILE, a condition with SQL's punctuation
// in it (= < > ( @ '), then, outside SQL's tokens, one of
// tsqlConditioned: name desc if exists(select 1 from users where pw like
// N'a%') waitfor delay N'0:0:5', 1 if system_user=N'sa' select 1/0 (attack
// 79: a blind test with no statement that changes anything).
func (t *tsqlReader) conditional(k int) bool { return t.conditionalTo(k, len(t.v), false) }

// conditionalTo is conditional read up to v[end] (stacked's next ;).
// stacked (after a ; with nothing SQL's before it: PHP's, Perl's and the
// shell's if after a ;) asks more: the condition's punctuation = @ ' or a
// query's bracket (not < > alone: if price > 100 select express shipping),
// and the statement's own SQL after it (sqlSelectList, KILL's number).
func (t *tsqlReader) conditionalTo(k, end int, stacked bool) bool {
	v := t.v
	n, ok := sqlWordFold(v, k, "if", "while")
	if !ok {
		return false
	}
	punct := false
	for j := n; j < end; {
		if e := tsqlTokenEnd(v, j); e != j {
			if e < 0 {
				return false
			}
			punct = punct || v[j] == '\'' || v[j] == '['
			j = e
			continue
		}
		c := v[j]
		switch {
		case c == '{':
			return false // a block of PHP's, Perl's, C's
		case strings.IndexByte("=@", c) >= 0 || !stacked && (c == '<' || c == '>'):
			punct = true
		case c == '(':
			// a bracket counts when a query or a call opens it
			// (exists(select ...), (select count(*) ...)), not a
			// parenthesis of prose (5 if (you want) select all: a review)
			if _, ok := sqlWordFold(v, sqlSkip(v, j+1), "select"); ok || j > 0 && identByte(v[j-1], "") {
				punct = true
			}
		}
		if punct && sqlLetter(c) && wordStart(v, j) {
			if m, ok := sqlWordFold(v, j, tsqlConditioned...); ok {
				// not after a comma: 1 if the total > 100, select Express
				// shipping is prose
				if b := blanksBefore(v, j); (b == 0 || v[b-1] != ',') && (!stacked || tsqlConditionedSQL(v, j, m)) {
					return true
				}
			}
		}
		j++
	}
	return false
}

// stacked: after a ; (outside a string), a statement led by a CTE (WITH
// <name> [(...)] AS [[NOT] MATERIALIZED] (...) [, ...] and then a
// statement, or a data-modifying CTE: with d as (delete from users
// returning 1) select 1), PostgreSQL's EXPLAIN ANALYZE of a statement
// (it runs it) or DO $$...$$, or IF/WHILE's blind test (conditional).
// ?id=1;with x as (select 1 a) delete from users and ?sort=name
// desc;explain analyze delete from users emptied a table on PostgreSQL
// and SQLite for attack 80, and passed: libinjection reads no SQL in a
// part that starts with WITH, and 210201 read no ;. Each ; is read once;
// a CTE's brackets within sortProbeWindow bytes.
func (t *tsqlReader) stacked() bool {
	v := t.v
	for i := strings.IndexByte(v, ';'); i >= 0 && i < len(v); {
		n := strings.IndexByte(v[i+1:], ';')
		end := len(v)
		if n >= 0 {
			end = i + 1 + n
		}
		if t.stackedAt(t.skip(i+1), end) {
			return true
		}
		if n < 0 {
			return false
		}
		i = end
	}
	return false
}

// stackedCTEWindow is how far a CTE's body is read for its closing
// bracket (SQL's strings and comments skipped): past it, the CTE is not
// read.
const stackedCTEWindow = 4096

// stackedAt reads stacked's statement at v[k:]; end is where the next ;
// stands (the conditional's reading stops there: one scan per value).
func (t *tsqlReader) stackedAt(k, end int) bool {
	v := t.v
	dml := func(at int) bool {
		_, ok := tsqlStatementAt(t, at)
		return ok
	}
	if n, ok := sqlWordFold(v, k, "explain"); ok {
		// EXPLAIN [ANALYZE] [VERBOSE] | (options) <statement>: ANALYZE
		// runs it (a review: VERBOSE, a CTE, EXECUTE)
		n = t.skip(n)
		analyze := false
		if n < len(v) && v[n] == '(' {
			if c := closingBracket(v, n, 128); c > 0 {
				analyze = indexFold(v[n:c], "analy") >= 0
				n = t.skip(c + 1)
			}
		}
		for range 4 {
			m, ok := sqlWordFold(v, n, "analyze", "analyse", "verbose")
			if !ok {
				break
			}
			analyze = analyze || v[n]|0x20 == 'a'
			n = t.skip(m)
		}
		if !analyze {
			return false
		}
		if _, ok := sqlWordFold(v, n, "execute"); ok {
			return true
		}
		return dml(n) || t.stackedAt(n, end)
	}
	if n, ok := sqlWordFold(v, k, "prepare"); ok {
		// PREPARE p [(types)] AS <statement>
		if e, _ := sqlName(v, t.skip(n)); e > t.skip(n) {
			m := t.skip(e)
			if a, ok := sqlWordFold(v, m, "as"); ok {
				return dml(t.skip(a)) || t.stackedAt(t.skip(a), end)
			}
		}
		return false
	}
	if n, ok := sqlWordFold(v, k, "do"); ok {
		// DO [LANGUAGE l] $$...$$ (a dollar-quoted body: do 'npm
		// install' again and a shell loop's do $cmd are prose: a review)
		n = t.skip(n)
		if m, ok := sqlWordFold(v, n, "language"); ok {
			if e, _ := sqlName(v, t.skip(m)); e > t.skip(m) {
				n = t.skip(e)
			}
		}
		if n < len(v) && v[n] == '$' {
			q := n + 1
			for q < len(v) && q-n < 64 && identByte(v[q], "") {
				q++
			}
			return q < len(v) && v[q] == '$' && (q == n+1 || !(v[n+1] >= '0' && v[n+1] <= '9'))
		}
		return false
	}
	if _, ok := sqlWordFold(v, k, "if", "while"); ok {
		return t.conditionalTo(k, end, true)
	}
	n, ok := sqlWordFold(v, k, "with")
	if !ok {
		return false
	}
	n = t.skip(n)
	if m, ok := sqlWordFold(v, n, "recursive"); ok {
		n = t.skip(m)
	}
	for ctes := 0; ; ctes++ {
		if ctes >= 64 {
			return true // past the bound: a probe
		}
		e, o := sqlName(v, n)
		if e == n || o.kind != primName && o.kind != primQuotedName && o.kind != primCall {
			return false
		}
		n = t.skip(e) // a call's brackets are the columns: x(a)
		m, ok := sqlWordFold(v, n, "as")
		if !ok {
			return false
		}
		n = t.skip(m)
		if m, ok := sqlWordFold(v, n, "not"); ok {
			n = t.skip(m)
		}
		if m, ok := sqlWordFold(v, n, "materialized"); ok {
			n = t.skip(m)
		}
		if n >= len(v) || v[n] != '(' {
			return false
		}
		c := tsqlBracketEnd(v, n, stackedCTEWindow)
		if c < 0 {
			return false
		}
		if dml(t.skip(n + 1)) {
			return true // a data-modifying CTE
		}
		n = t.skip(c + 1)
		if n < len(v) && v[n] == ',' {
			n = t.skip(n + 1)
			continue
		}
		// the statement the CTE leads: one of this rule's, or a SELECT
		// of SQL's (an error or a clock: select cast(pw as int) from
		// users, select pg_sleep(5); a review)
		if dml(n) {
			return true
		}
		if m, ok := sqlWordFold(v, n, "select"); ok {
			return sqlSelectList(v, t.skip(m))
		}
		return false
	}
}

// tsqlBracketEnd is the index of the bracket that closes the one at
// v[b], SQL Server's strings, quoted names and comments skipped
// (tsqlTokenEnd: with x as (select ')') delete ... closed at the string's
// bracket before, a review), within window bytes, or -1.
func tsqlBracketEnd(v string, b, window int) int {
	depth := 0
	for j := b; j < len(v) && j-b < window; {
		if e := tsqlTokenEnd(v, j); e != j {
			if e < 0 {
				return -1
			}
			j = e
			continue
		}
		switch v[j] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return j
			}
		}
		j++
	}
	return -1
}

// sqlSelectList: at v[j:] (after SELECT) SQL's list starts, not prose: a
// number, *, @, a bracket, a quote, or a name called or followed by SQL's
// punctuation or FROM (select express shipping is prose).
func sqlSelectList(v string, j int) bool {
	if j >= len(v) {
		return false
	}
	if c := v[j]; !sqlLetter(c) && c != '_' {
		return strings.IndexByte("0123456789*@('\"[-+", c) >= 0
	}
	e, o := sqlName(v, j)
	if o.kind == primCall {
		return true
	}
	k := sqlSkip(v, e)
	if k >= len(v) {
		return false
	}
	if strings.IndexByte(",=<>+-*/|:", v[k]) >= 0 {
		return true
	}
	_, ok := sqlWordFold(v, k, "from", "into", "as")
	return ok
}

// leadCandidate: v starts, after white space, brackets and signs, with
// what led reads: a letter, @, [ or _ (a cheap test before a reader is
// made for values with none of tsqlStatement's other bytes).
func leadCandidate(v string) bool {
	j := sqlSkip(v, 0)
	for j < len(v) && strings.IndexByte("(+-~", v[j]) >= 0 {
		j = sqlSkip(v, j+1)
	}
	return j < len(v) && (sqlLetter(v[j]) || v[j] == '@' || v[j] == '[' || v[j] == '_')
}

// tsqlEvident: the statement at v[j:] after a lead of words (plain in
// led) is plainly SQL: SQL's punctuation in it (= ' @ ;, a bracket right
// after a word: values(, exec(; -- or /*): id update users set role=1,
// price create login x with password='...'; after bare words also DELETE
// FROM and TRUNCATE TABLE (name delete from users), not after a word in
// brackets or quotes (tag: [WIP] Delete from favorites, (Draft) Update
// users set inactive after 90 days are titles: a review). Not SHUTDOWN,
// ROLLBACK or REVERT, which take nothing (Server shutdown, Please revert
// -- don't merge: the price, name shutdown passes).
func tsqlEvident(v string, j int, tag bool) bool {
	if _, ok := sqlWordFold(v, j, "shutdown", "rollback", "revert"); ok {
		return false
	}
	if !tag {
		if e, ok := sqlWordFold(v, j, "delete"); ok {
			if _, ok := sqlWordFold(v, sqlSkip(v, e), "from"); ok {
				return true
			}
		}
		if e, ok := sqlWordFold(v, j, "truncate"); ok {
			if _, ok := sqlWordFold(v, sqlSkip(v, e), "table"); ok {
				return true
			}
		}
	}
	r := v[j:]
	if strings.ContainsAny(r, "='@;") || strings.Contains(r, "--") || strings.Contains(r, "/*") {
		return true
	}
	for i := strings.IndexByte(r, '('); i >= 0; {
		if i > 0 && identByte(r[i-1], "") {
			return true // values(, exec(
		}
		n := strings.IndexByte(r[i+1:], '(')
		if n < 0 {
			break
		}
		i += n + 1
	}
	return false
}

// quoted: after a quote, a statement that ends the way an injection
// must (tsqlEnds) for a quote of its kind: each kind read from its first.
func (t *tsqlReader) quoted() bool {
	for _, q := range [...]byte{'\'', '"'} {
		if i := strings.IndexByte(t.v, q); i >= 0 && t.statementFrom(i+1, q, q == '\'' && apostrophe(t.v, i)) {
			return true
		}
	}
	return false
}

// statementFrom: at a word start at or after v[j:] outside SQL Server's
// tokens, a statement (tsqlStatementAt) that ends the way an injection
// must after a quote (tsqlEnds), or after a number (quote 0) goes on as
// SQL does. From v[j:] on, the value is read as SQL Server reads it
// (tsqlTokenEnd): a statement inside a string, a quoted name or a
// comment does not run (It's 'merge into t using s' in Oracle: the
// second quote opens a string, attack 78's false positives). After a
// quote that is an English apostrophe (apos: Don't), ROLLBACK and
// REVERT, which need nothing after them, do not count: Don't rollback --
// it's fine is prose with an em-dash, and an apostrophe breaks out of a
// string only where SQL Server takes an alias after it (SELECT 'don't
// ...'), so an attacker writes x' rollback-- instead, which counts.
func (t *tsqlReader) statementFrom(j int, quote byte, apos bool) bool {
	v := t.v
	for j < len(v) {
		if e := tsqlTokenEnd(v, j); e != j {
			if e < 0 {
				return false // the rest is inside a token
			}
			j = e
			continue
		}
		if c := v[j] | 0x20; strings.IndexByte("abcdegimorstuw", c) < 0 || !wordStart(v, j) {
			j++
			continue
		}
		if _, bare := sqlWordFold(v, j, "rollback", "revert"); apos && bare {
			j++
			continue
		}
		if e, ok := tsqlStatementAt(t, j); ok && (quote == 0 || tsqlEnds(t, j, e, quote)) {
			return true
		}
		j++
	}
	return false
}

// quotedTokenEnd: the end of the quoted token that opens at v[j] (a
// string '...', a name "...", [...] or `...`), its closing character
// doubled inside it standing for one; -1 when the value leaves it open.
// tsqlTokenEnd and tailFrom read SQL Server's quoted tokens with it.
func quotedTokenEnd(v string, j int) int {
	closing := v[j]
	if closing == '[' {
		closing = ']'
	}
	q := j + 1
	for {
		k := strings.IndexByte(v[q:], closing)
		if k < 0 {
			return -1
		}
		q += k + 1
		if q < len(v) && v[q] == closing {
			q++ // doubled: one inside
			continue
		}
		return q
	}
}

// tsqlTokenEnd is the index after SQL Server's token at v[j:] that
// statements cannot stand in: a string ('...', "...": with
// QUOTED_IDENTIFIER off a string, on a name), a quoted name ([...],
// `...`), their closing character doubled inside them, a -- comment to
// the line's end or a /* */ comment, nested as SQL Server nests them;
// j where none starts, and -1 where one runs to the value's end.
func tsqlTokenEnd(v string, j int) int {
	switch c := v[j]; c {
	case '\'', '"', '[', '`':
		return quotedTokenEnd(v, j)
	case '-':
		if strings.HasPrefix(v[j:], "--") {
			if k := strings.IndexAny(v[j:], "\r\n"); k >= 0 {
				return j + k
			}
			return -1
		}
	case '/':
		if strings.HasPrefix(v[j:], "/*") {
			depth := 0
			for q := j; q+1 < len(v); q++ {
				switch {
				case v[q] == '/' && v[q+1] == '*':
					depth++
					q++
				case v[q] == '*' && v[q+1] == '/':
					depth--
					q++
					if depth == 0 {
						return q + 1
					}
				}
			}
			return -1
		}
	}
	return j
}

// tsqlReader is a value read by tsqlStatement: where its last -- and /*
// are, and what the rest of the value is read as SQL from a place outside
// any quote (tailFrom), kept for each place read so that the value is
// read a bounded number of times however many statements are judged in
// it.
type tsqlReader struct {
	*sqlReader
	lastDashes  int       // the index of the last -- in v, or -1
	lastBlock   int       // the index of the last /* in v, or -1 (tailFrom)
	tails       []int8    // tailFrom's answer from each place it read, 0 not yet
	openers     []int32   // and where the quote it left open stands, + 1
	visited     []int     // scratch: the places one reading of tailFrom passed
	read        int       // bytes read by tailFrom in all, bounded (tailBound)
	place       tsqlPlace // what stands before the last quote left open (stringPlace)
	selects     []int     // where each SELECT starts (stringPlace), once selectsRead
	selectsRead bool
}

// tailFrom's answers: v[p:] read as SQL ends outside any token, in a
// comment (-- or /*: tailFrom), or inside a quote not closed: ', " or a
// quoted name ([ or `).
const (
	tailClosed int8 = 1 + iota
	tailComment
	tailOpenSingle
	tailOpenDouble
	tailOpenName
)

// tailBound is how many bytes tailFrom reads in all for a value of n
// bytes before it answers tailComment (the statement counts, and the
// request is refused): a value made so that readings from different
// places never meet is an attacker's.
func tailBound(n int) int { return 8*n + 1024 }

// tailFrom reads v[p:] as SQL from outside any token: strings '...' and
// "..." and quoted names [...] and `...` (their closing character
// doubled inside them), other bytes one by one, up to a comment.
func (t *tsqlReader) tailFrom(p int) (end int8, opener int) {
	v := t.v
	if t.tails == nil {
		t.tails = make([]int8, len(v)+1)
		t.openers = make([]int32, len(v)+1)
	}
	visited := t.visited[:0]
	opener = -1
	for end == 0 {
		switch {
		case p >= len(v):
			end = tailClosed
			continue
		case t.tails[p] != 0:
			end, opener = t.tails[p], int(t.openers[p])-1
			continue
		case t.read > tailBound(len(v)):
			end = tailComment
			continue
		}
		visited = append(visited, p)
		t.read++
		switch c := v[p]; {
		case strings.HasPrefix(v[p:], "--"):
			end = tailComment
		case strings.HasPrefix(v[p:], "/*"):
			// SQL Server and PostgreSQL nest comments, MySQL does not:
			// where the comment ends depends on the database, so a
			// statement with one after it counts ('/* /* */ ' */ where
			// a=' is a comment then a string left open on SQL Server)
			end = tailComment
		case c == '\'' || c == '"' || c == '[' || c == '`':
			q := quotedTokenEnd(v, p)
			if q < 0 {
				opener = p
				switch c {
				case '\'':
					end = tailOpenSingle
				case '"':
					end = tailOpenDouble
				default:
					end = tailOpenName
				}
				q = len(v)
			}
			t.read += q - p
			p = q
		default:
			p++
		}
	}
	for _, a := range visited {
		t.tails[a], t.openers[a] = end, int32(opener)+1
	}
	t.visited = visited
	return end, opener
}

// tsqlEnds: a statement that starts at v[k:] and ends at v[e:] after a
// closed quote ends the way an injection's must for the query around it
// to run. SQL Server compiles a batch whole, so the application's text
// after the value (a closing quote at least) must be commented out (a --
// or a /* after the statement's start) or balanced: the rest of the
// value read as SQL (tailFrom) leaves a string in the same quote open for
// the application's to close (where 'a'='a, values('me','admin','). Prose
// after a plural's apostrophe has neither (Parents' insert into the
// newsletter: attack 74's false positives).
func tsqlEnds(t *tsqlReader, k, e int, quote byte) bool {
	if t.lastDashes >= k || t.lastBlock >= k {
		return true
	}
	end, opener := t.tailFrom(e)
	switch end {
	case tailComment:
		return true
	case tailOpenSingle:
		return quote == '\'' && !apostrophe(t.v, opener) && t.stringPlace(k, opener)
	case tailOpenDouble:
		return quote == '"' && t.stringPlace(k, opener)
	}
	return false
}

// tsqlStringWords are the words SQL Server takes a string right after
// (print 'x, waitfor delay 'x, bulk insert t from 'x, setuser 'x).
var tsqlStringWords = []string{"delay", "time", "from", "to", "null", "default", "setuser", "if", "while", "any", "all", "some",
	"union", "raiserror", "contains", "freetext"}

// stringPlace: the quote at v[o] that the value leaves open for the
// application's own opens a string where SQL Server takes one in the
// statement that starts at v[k:], so that the query around it compiles:
// after an operator, a comma or a bracket (x' update users set a='),
// after a word that takes a string (like, then, values, print, delay,
// from: sqlWordsBeforeString, tsqlStringWords), a variable (writetext
// t.c @p '), a procedure's name after EXEC (exec xp_dirtree '), or in a
// SELECT's list (an alias: select password '). After a name, a number or
// a closing bracket elsewhere it does not: Run 'CREATE INDEX ix ON
// users(name)' to speed it up and Use 'ALTER DATABASE SCOPED
// CONFIGURATION SET MAXDOP = 4' on Azure SQL quote a statement in prose
// (attack 78's false positives), and SQL Server would not compile the
// string after it. What stands before the quote is read once per quote
// (tsqlReader.place): many statements before one quote cost one reading.
func (t *tsqlReader) stringPlace(k, o int) bool {
	if t.place.opener != o+1 {
		t.place = tsqlPlaceAt(t.v, o)
	}
	p := t.place
	if p.always || p.exec >= k {
		return true
	}
	if !t.selectsRead {
		// every SELECT's place, once per value
		t.selectsRead = true
		for w := 0; w < len(t.v); {
			i := wordIndexFold(t.v[w:], "select")
			if i < 0 {
				break
			}
			t.selects = append(t.selects, w+i)
			w += i + len("select")
		}
	}
	// a SELECT between the statement's start and the quote
	n := sort.SearchInts(t.selects, k)
	return n < len(t.selects) && t.selects[n] < o
}

// tsqlPlace is what stands before a quote the value leaves open
// (stringPlace): whether a string goes there in any statement (always),
// and where the EXEC of the procedure whose name stands there starts (-1:
// none).
type tsqlPlace struct {
	opener int // the quote's index + 1 (0: none read)
	always bool
	exec   int
}

// tsqlPlaceAt reads what stands before the quote at v[o] (stringPlace).
func tsqlPlaceAt(v string, o int) tsqlPlace {
	p := tsqlPlace{opener: o + 1, exec: -1}
	i := o
	for i > 0 && (v[i-1] <= ' ' || v[i-1] == 0x7f) {
		i--
	}
	if i == 0 {
		return p
	}
	c := v[i-1]
	if strings.IndexByte("=<>!+-*/%,(&|^~", c) >= 0 {
		p.always = true
		return p
	}
	if !identByte(c, "@#$]\"`") {
		return p
	}
	w := i
	for w > 0 && identByte(v[w-1], "@#$") {
		w--
	}
	word := v[w:i]
	if strings.HasPrefix(word, "@") && !strings.HasPrefix(word, "@@") {
		p.always = true // a variable
		return p
	}
	for _, s := range sqlWordsBeforeString {
		if strings.EqualFold(word, s) {
			p.always = true
			return p
		}
	}
	for _, s := range tsqlStringWords {
		if strings.EqualFold(word, s) {
			p.always = true
			return p
		}
	}
	p.exec = tsqlExecBefore(v, i)
	return p
}

// tsqlExecBefore is the index of the EXEC or EXECUTE [@r =] before the
// name that ends at v[i] (bare, quoted or dotted: master..xp_dirtree,
// [dbo].[p]), or -1: a procedure, whose arguments follow its name.
func tsqlExecBefore(v string, i int) int {
	j := i
	for j > 0 && (identByte(v[j-1], "@#$.[]\"`")) {
		j--
	}
	if j == i {
		return -1
	}
	for j > 0 && v[j-1] <= ' ' {
		j--
	}
	if j > 0 && v[j-1] == '=' {
		// EXEC @r = <procedure>
		j--
		for j > 0 && v[j-1] <= ' ' {
			j--
		}
		e := j
		for j > 0 && identByte(v[j-1], "@") {
			j--
		}
		if j == e || v[j] != '@' {
			return -1
		}
		for j > 0 && v[j-1] <= ' ' {
			j--
		}
	}
	e := j
	for j > 0 && sqlLetter(v[j-1]) {
		j--
	}
	if w := v[j:e]; strings.EqualFold(w, "exec") || strings.EqualFold(w, "execute") {
		return j
	}
	return -1
}

// sqlWordsBeforeString are the words SQL writes right before a string
// with no blank between (like'a%', N'x', then'y'): a quote after one of
// them, between two letters, opens a string; after any other word it is
// an apostrophe.
var sqlWordsBeforeString = []string{"n", "x", "b", "e", "u", "like", "ilike", "rlike", "regexp", "glob", "then", "else", "when",
	"and", "or", "not", "in", "values", "select", "return", "print", "exec", "execute", "escape", "between", "case", "as", "by",
	"is", "set", "where", "having", "on", "collate"}

// apostrophe: the quote at v[i] stands between two letters after a word
// that is not one of sqlWordsBeforeString: English's (it's, can't,
// what's), not a string SQL opens there. The rest of a value that leaves
// such a quote open is prose's: Let's merge the branches using git, it's
// easy (attack 76's false positives).
func apostrophe(v string, i int) bool {
	if i <= 0 || i+1 >= len(v) || !sqlLetter(v[i-1]) || !contraction(v[i+1:]) {
		return false
	}
	w := i
	for w > 0 && identByte(v[w-1], "") {
		w--
	}
	word := v[w:i]
	if strings.HasPrefix(word, "_") || w > 0 && v[w-1] == '@' {
		return false // a character set's introducer (_utf8'x'), @@version'x
	}
	for _, s := range sqlWordsBeforeString {
		if strings.EqualFold(word, s) {
			return false
		}
	}
	return true
}

// contraction: s (after a quote) starts with one of English's
// contractions' endings, s, t, re, ve, ll, d or m, then no letter (it's,
// can't, we're): a name before a string is an alias to SQL Server
// (select user'x, select @@version'x: a review), so only these read as
// an apostrophe. select user's is one too: the price of the prose
// (Let's merge the branches using git, it's easy).
func contraction(s string) bool {
	for _, e := range [...]string{"s", "t", "re", "ve", "ll", "d", "m"} {
		if len(s) >= len(e) && strings.EqualFold(s[:len(e)], e) && (len(s) == len(e) || !sqlLetter(s[len(e)])) {
			return true
		}
	}
	return false
}

// sqlLetter: c is an ASCII letter.
func sqlLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

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
func sqlCaseAt(v string, n int) bool { return sqlCaseEnd(v, n) >= 0 }

// sqlCaseEnd is the index after the END of sqlCaseAt's CASE at v[n:], or
// -1.
func sqlCaseEnd(v string, n int) int {
	e, ok := sqlWordFold(v, n, "case")
	if !ok {
		return -1
	}
	end := min(len(v), e+sqlCaseWindow)
	for _, w := range [...]string{"when", "then", "end"} {
		k := wordIndexFold(v[e:end], w)
		if k < 0 {
			return -1
		}
		e += k + len(w)
	}
	return e
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

// tsqlPermissionWords are the words of SQL Server's permissions after
// their first (CONTROL SERVER, ALTER ANY LOGIN, VIEW SERVER STATE,
// ADMINISTER BULK OPERATIONS, UNSAFE ASSEMBLY): GRANT's permission reads
// them, so that prose's grant free shipping to members does not.
var tsqlPermissionWords = []string{"server", "any", "login", "state", "assembly", "access", "bulk", "operations", "database", "sql",
	"definition", "ownership", "endpoint", "linked", "credential", "event", "notification", "trace", "availability", "group", "role",
	"schema", "user", "securables", "connection", "resources", "settings", "session", "external", "audit", "certificate", "key",
	"performance", "ddl", "impersonate", "authenticate", "select", "all", "column", "encryption", "master", "symmetric",
	"asymmetric", "operation", "scoped", "configuration", "sensitivity", "classification", "mask", "unmask"}

// tsqlStarts are the words a T-SQL statement starts with: after a
// statement, one of them starts the next (SQL Server needs no ;), so the
// statement ended there.
var tsqlStarts = []string{"select", "insert", "update", "delete", "merge", "drop", "create", "alter", "truncate", "exec", "execute",
	"declare", "set", "print", "if", "else", "while", "begin", "end", "commit", "rollback", "save", "waitfor", "goto", "return", "shutdown",
	"backup", "restore", "grant", "deny", "revoke", "dbcc", "raiserror", "throw", "bulk", "use", "open", "close", "fetch", "deallocate",
	"kill", "checkpoint", "reconfigure", "break", "continue"}

// tsqlDDLKind are what CREATE, ALTER and DROP make or change in one word
// (TABLE, LOGIN, ROUTE).
var tsqlDDLKind = []string{"login", "user", "table", "procedure", "proc", "function", "trigger", "database", "view", "role", "assembly",
	"endpoint", "credential", "index", "schema", "synonym", "sequence", "certificate", "type", "audit", "route"}

// tsqlDDLKinds are the words of what CREATE, ALTER and DROP make or
// change in two to four (SERVER ROLE, EXTERNAL DATA SOURCE, EVENT
// SESSION, DATABASE SCOPED CONFIGURATION).
var tsqlDDLKinds = []string{"login", "user", "table", "procedure", "proc", "function", "trigger", "database", "view", "role", "assembly",
	"endpoint", "credential", "index", "schema", "synonym", "sequence", "certificate", "type", "audit", "server", "master", "service",
	"key", "event", "session", "route", "external", "data", "source", "availability", "group", "resource", "governor", "scoped",
	"configuration", "specification", "remote", "binding", "symmetric", "asymmetric", "workload", "message", "contract", "queue",
	"broker", "priority", "fulltext", "catalog", "stoplist", "partition", "scheme", "application", "cryptographic", "provider",
	"column", "encryption", "security", "policy", "statistics", "rule", "default", "notification", "file", "format", "library",
	"language", "pool"}

// tsqlDDLWords are what goes on after CREATE, ALTER or DROP and a name.
var tsqlDDLWords = []string{"with", "from", "for", "without", "on", "as", "add", "drop", "alter", "set", "enable", "disable",
	"authorization", "member", "modify", "remove", "collate", "transfer", "returns", "to", "switch", "rebuild", "nocheck", "check",
	"start", "increment", "restart", "state", "encryption", "if", "cascade", "force_failover_allow_data_loss", "failover", "clear",
	"offline", "online", "reconfigure", "transfer", "rebuild", "reorganize"}

// tsqlStatementAt reads at v[k:] a statement of tsqlStatement's and what
// goes on after it as SQL does (the value's end, a ;, the next
// statement's first word, or a word or bracket the statement takes
// there): Editors' delete button doesn't work is prose (doesn is none of
// them), so are Click 'Delete all messages' to clear your inbox, The
// teams' alter table migration didn't run. end is the index after the
// words read (white space and comments after them skipped), which
// tsqlEnds reads on from.
func tsqlStatementAt(t *tsqlReader, k int) (end int, ok bool) {
	v := t.v
	word := func(at int, words ...string) (int, bool) {
		e, ok := sqlWordFold(v, at, words...)
		return t.skip(e), ok
	}
	name := func(at int) (int, bool) {
		// a name, or a table with its columns (users(name,role)); not a
		// word's start before an apostrophe (drop table isn't)
		e, o := sqlName(v, at)
		if e < len(v) && v[e] == '\'' && o.kind == primName {
			return e, false
		}
		return t.skip(e), o.kind == primName || o.kind == primQuotedName || o.kind == primCall
	}
	// goesOn: at v[n:], the statement has ended (the value's end, a ;,
	// the next statement) or one of words or bytes goes on with it
	goesOn := func(n int, bytes string, words ...string) (int, bool) {
		// after a /*, where the comment ends depends on the database
		// (SQL Server and PostgreSQL nest them): x' delete from users /*
		// /* */ ' */ where a=1 or a='
		if n >= len(v) || v[n] == ';' || strings.IndexByte(bytes, v[n]) >= 0 || t.lastBlock >= k {
			return n, true
		}
		if _, ok := sqlWordFold(v, n, words...); ok {
			return n, true
		}
		_, ok := sqlWordFold(v, n, tsqlStarts...)
		return n, ok
	}
	// top: TOP (n) [PERCENT]
	top := func(n int) (int, bool) {
		m, ok := word(n, "top")
		if !ok {
			return n, true
		}
		if m >= len(v) || v[m] != '(' {
			return 0, false
		}
		c := closingBracket(v, m, 64)
		if c < 0 {
			return 0, false
		}
		n = t.skip(c + 1)
		if m, ok := word(n, "percent"); ok {
			n = m
		}
		return n, true
	}
	// target: [TOP (n) [PERCENT]] [<optional>] <name> (DELETE FROM,
	// INSERT INTO, MERGE INTO)
	target := func(n int, optional string) (int, bool) {
		n, ok := top(n)
		if !ok {
			return 0, false
		}
		if m, ok := word(n, optional); ok && optional != "" {
			n = m
		}
		return name(n)
	}
	// assign: one of words then = (TO DISK = ..., FROM URL = ...)
	assign := func(n int, words ...string) (int, bool) {
		if m, ok := word(n, words...); ok && m < len(v) && v[m] == '=' {
			return t.skip(m + 1), true
		}
		return 0, false
	}
	if k >= len(v) {
		return 0, false
	}
	switch c := v[k] | 0x20; {
	case c == 'd' || c == 'i':
		if n, ok := word(k, "delete"); ok {
			if m, ok := target(n, "from"); ok {
				return goesOn(m, "", "where", "from", "output", "with", "option")
			}
			return 0, false
		}
		if n, ok := word(k, "insert"); ok {
			m, ok := target(n, "into")
			if !ok {
				return 0, false
			}
			if m < len(v) && v[m] == '(' {
				// the columns after a space (users (name, role))
				if c := closingBracket(v, m, 512); c >= 0 {
					m = t.skip(c + 1)
				}
			}
			return word(m, "values", "select", "default", "exec", "execute", "output", "with")
		}
	}
	if n, ok := word(k, "truncate"); ok {
		if m, ok := word(n, "table"); ok {
			if m, ok = name(m); ok {
				return goesOn(m, "", "with")
			}
		}
		return 0, false
	}
	if n, ok := word(k, "create", "alter", "drop"); ok {
		// <kind> of one to four words (TABLE, SERVER ROLE, EVENT
		// SESSION, EXTERNAL DATA SOURCE, DATABASE SCOPED CONFIGURATION:
		// attack 77 found the last kinds), [IF EXISTS], a name, and what
		// goes on after it; or the kind and straight one of those words
		// (ALTER RESOURCE GOVERNOR DISABLE, ALTER SERVER CONFIGURATION
		// SET)
		if m, ok := word(n, "authorization"); ok {
			return word(m, "on")
		}
		kinds, first := 0, n
		_, alter := sqlWordFold(v, k, "alter")
		for kinds < 4 {
			if kinds > 1 || alter && kinds == 1 {
				// the kind read, then straight what goes on (CREATE
				// MASTER KEY ENCRYPTION BY, ALTER RESOURCE GOVERNOR
				// DISABLE)
				if m, ok := word(n, tsqlDDLWords...); ok {
					return m, true
				}
			}
			m, ok := word(n, tsqlDDLKinds...)
			if !ok {
				break
			}
			n, kinds = m, kinds+1
		}
		if kinds == 0 {
			return 0, false
		}
		if _, ok := word(first, tsqlDDLKind...); kinds == 1 && !ok {
			// one word alone is one of SQL's own (create event tickets
			// -- for Friday is prose)
			return 0, false
		}
		if kinds > 1 || alter {
			if m, ok := word(n, tsqlDDLWords...); ok {
				return m, true
			}
		}
		if m, ok := word(n, "if"); ok {
			// DROP TABLE IF EXISTS <name>
			if n, ok = word(m, "exists"); !ok {
				return 0, false
			}
		}
		if m, ok := name(n); ok {
			if _, table := word(first, "table"); table && kinds == 1 && !alter {
				if _, create := sqlWordFold(v, k, "create"); create {
					// CREATE TABLE <name> ( or AS (Synapse): Kids' art:
					// create table decorations from paper -- fun is prose
					// (attack 78)
					return goesOn(m, "(", "as", "with")
				}
			}
			return goesOn(m, "(@,", tsqlDDLWords...)
		}
		return 0, false
	}
	if n, ok := word(k, "open"); ok {
		// OPEN SYMMETRIC|MASTER KEY ... DECRYPTION (attack 77)
		if m, ok := word(n, "symmetric", "master"); ok {
			if m, ok = word(m, "key"); ok {
				if n, ok := name(m); ok {
					m = n // a symmetric key's name
				}
				return word(m, "decryption")
			}
		}
		return 0, false
	}
	if n, ok := word(k, "add"); ok {
		// ADD SENSITIVITY CLASSIFICATION TO (attack 77)
		if m, ok := word(n, "sensitivity"); ok {
			return word(m, "classification")
		}
		// ADD [COUNTER] SIGNATURE TO <module> BY CERTIFICATE|ASYMMETRIC
		// KEY: a procedure signed, so it runs with the certificate's
		// user's rights (attack 78)
		if m, ok := word(n, "counter"); ok {
			n = m
		}
		if m, ok := word(n, "signature"); ok {
			if m, ok = word(m, "to"); ok {
				if m, ok = name(m); ok {
					if m, ok = word(m, "by"); ok {
						return word(m, "certificate", "asymmetric")
					}
				}
			}
		}
		return 0, false
	}
	if n, ok := word(k, "waitfor"); ok {
		// WAITFOR DELAY|TIME '0:0:5': a blind test's clock (attack 79:
		// N'0:0:5' passed the CRS's 942280)
		if m, ok := word(n, "delay", "time"); ok {
			if m < len(v) && (v[m] == '\'' || v[m] == '@' || v[m]|0x20 == 'n' && m+1 < len(v) && v[m+1] == '\'') {
				return m, true
			}
			return 0, false
		}
		// WAITFOR (RECEIVE ...) (attack 78)
		if n < len(v) && v[n] == '(' {
			k = t.skip(n + 1)
		}
	}
	if n, ok := word(k, "kill"); ok {
		// KILL <session>: other sessions ended (attack 79)
		if e := sqlNumberEnd(v, n); e > n {
			e = t.skip(e)
			if m, ok := word(e, "with"); ok {
				// KILL n WITH STATUSONLY only (2 kill 3 with one stone)
				return word(m, "statusonly")
			}
			return goesOn(e, "")
		}
		return 0, false
	}
	if n, ok := word(k, "select"); ok {
		// SELECT ... INTO <name> FROM: a table copied (attack 79); a
		// temporary table's # or ## too (INTO #x, INTO ##x: attack 86)
		w := n + min(len(v)-n, sqlCaseWindow)
		if i := wordIndexFold(v[n:w], "into"); i >= 0 {
			a := n + i + len("into")
			b := t.skip(a)
			if m := tsqlTempTable(v, sqlSkip(v, a)); m > sqlSkip(v, a) {
				b = m // a # is no comment to SQL Server
			}
			if m, ok := name(b); ok {
				if _, ok := word(m, "from"); ok {
					return m, true
				}
			}
		}
		return 0, false
	}
	if n, ok := word(k, "receive"); ok {
		// RECEIVE [TOP (n)] * | <columns> FROM <queue>: Service
		// Broker's messages taken off a queue, so the application never
		// gets them (attack 78); the columns * or a list (I receive
		// mail from her is prose)
		r := n
		n, ok := top(n)
		if !ok {
			return 0, false
		}
		topped := n != r
		switch {
		case n < len(v) && v[n] == '*':
			n = t.skip(n + 1)
		default:
			m, ok := name(n)
			items := 1
			for ok && m < len(v) && v[m] == ',' && items < 64 {
				m, ok = name(t.skip(m + 1))
				items++
			}
			if !ok || items == 1 && !topped && !strings.ContainsAny(v[n:m], "_.") {
				return 0, false
			}
			n = m
		}
		if m, ok := word(n, "from"); ok {
			if m, ok = name(m); ok {
				return goesOn(m, ")", "into", "where")
			}
		}
		return 0, false
	}
	if n, ok := word(k, "rollback"); ok {
		// the application's own transaction undone (attack 77)
		if m, ok := word(n, "tran", "transaction", "work"); ok {
			n = m
		}
		return goesOn(n, "")
	}
	if n, ok := word(k, "revert"); ok {
		// back from the application's EXECUTE AS to the login's own
		// rights (attack 78's list)
		return goesOn(n, "")
	}
	if n, ok := word(k, "writetext", "updatetext"); ok {
		// WRITETEXT [BULK] table.column @ptr|0x... 'text': a column's text
		// overwritten (deprecated, still in SQL Server 2022)
		if m, ok := word(n, "bulk"); ok {
			n = m
		}
		if m, ok := name(n); ok && m < len(v) && (v[m] == '@' || v[m] == '0') {
			return m, true
		}
		return 0, false
	}
	if n, ok := word(k, "send"); ok {
		// SEND ON CONVERSATION: a message out over Service Broker's route
		if m, ok := word(n, "on"); ok {
			return word(m, "conversation")
		}
		return 0, false
	}
	if n, ok := word(k, "setuser"); ok {
		return n, n < len(v) && v[n] == '\''
	}
	if n, ok := word(k, "grant", "deny", "revoke"); ok {
		// <permission>[, ...] [ON [class::]<name>] TO|FROM <principal>,
		// a permission of up to six words (CONTROL SERVER, ALTER ANY
		// LOGIN, VIEW SERVER STATE: attack 83)
		permission := func(j int) (int, bool) {
			m, ok := name(j)
			for w := 1; ok && w < 6; w++ {
				e, more := word(m, tsqlPermissionWords...)
				if !more {
					break
				}
				m = e
			}
			return m, ok
		}
		m, ok := permission(n)
		for ok && m < len(v) && v[m] == ',' {
			m, ok = permission(t.skip(m + 1))
		}
		if !ok {
			return 0, false
		}
		if o, ok := word(m, "on"); ok {
			if m, ok = name(o); !ok {
				return 0, false
			}
			if m+1 < len(v) && v[m] == ':' && v[m+1] == ':' {
				if m, ok = name(t.skip(m + 2)); !ok {
					return 0, false
				}
			}
		}
		if m, ok = word(m, "to", "from"); !ok {
			return 0, false
		}
		if m, ok = name(m); ok {
			return goesOn(m, ",", "with", "as", "cascade")
		}
		return 0, false
	}
	if n, ok := word(k, "backup"); ok {
		// BACKUP DATABASE|LOG|CERTIFICATE <name> TO, BACKUP [SERVICE]
		// MASTER KEY TO (key material copied out); then DISK|URL|TAPE|
		// FILE =
		if m, ok := word(n, "database", "log", "certificate"); ok {
			if n, ok = name(m); !ok {
				return 0, false
			}
		} else {
			if m, ok := word(n, "service"); ok {
				n = m
			}
			if n, ok = word(n, "master"); !ok {
				return 0, false
			}
			if n, ok = word(n, "key"); !ok {
				return 0, false
			}
		}
		if n, ok = word(n, "to"); ok {
			return assign(n, "disk", "url", "tape", "file")
		}
		return 0, false
	}
	if n, ok := word(k, "restore"); ok {
		// RESTORE DATABASE|LOG <name> FROM, RESTORE HEADERONLY ... FROM
		// (a restore from \\host\share authenticates to the host); then
		// DISK|URL|TAPE|DATABASE_SNAPSHOT =
		if m, ok := word(n, "database", "log"); ok {
			if n, ok = name(m); !ok {
				return 0, false
			}
		} else if n, ok = word(n, "headeronly", "filelistonly", "verifyonly", "labelonly", "rewindonly"); !ok {
			return 0, false
		}
		if n, ok = word(n, "from"); ok {
			return assign(n, "disk", "url", "tape", "database_snapshot")
		}
		return 0, false
	}
	if n, ok := word(k, "bulk"); ok {
		// BULK INSERT <name> FROM '<file>'
		if m, ok := word(n, "insert"); ok {
			if m, ok = name(m); ok {
				if m, ok = word(m, "from"); ok && m < len(v) && (v[m] == '\'' || v[m]|0x20 == 'n' && m+1 < len(v) && v[m+1] == '\'') {
					return m, true
				}
			}
		}
		return 0, false
	}
	if n, ok := word(k, "merge"); ok {
		m, ok := target(n, "into")
		if !ok {
			return 0, false
		}
		if a, ok := word(m, "as"); ok {
			m = a
		}
		if a, ok := word(m, "using"); ok {
			return a, true
		}
		if a, ok := name(m); ok {
			return word(a, "using") // an alias
		}
		return 0, false
	}
	if n, ok := word(k, "execute", "exec"); ok {
		if m, ok := word(n, "as"); ok {
			if m, ok := word(m, "login", "user"); ok {
				return m, m < len(v) && v[m] == '='
			}
			if m, ok := word(m, "caller", "owner", "self"); ok {
				return goesOn(m, "")
			}
			return 0, false
		}
		if n < len(v) && v[n] == '(' {
			return n, true // EXEC('<batch>')
		}
		// EXEC [@r =] <procedure> and its arguments, or nothing after
		// it: a procedure runs whatever it is named (x' exec
		// "sp_executesql" N'drop table users'--, "xp_dirtree"
		// '\\host\a': attack 75; a name in double quotes is a name
		// to SQL Server, a string to libinjection)
		if n < len(v) && v[n] == '@' {
			if e, o := sqlName(v, n+1); o.kind == primName && t.skip(e) < len(v) && v[t.skip(e)] == '=' {
				n = t.skip(t.skip(e) + 1)
			}
		}
		m, ok := name(n)
		for ok && m < len(v) && v[m] == '.' {
			// an empty schema: master..xp_dirtree, [master]..[xp_dirtree]
			// (a review)
			q := m
			for q < len(v) && v[q] == '.' && q-m < 3 {
				q++
			}
			m, ok = name(q)
		}
		if ok {
			// a procedure's name: quoted, qualified or with a _
			// (sp_executesql, xp_dirtree, dbo.p, "p"), not a word
			// (kubectl exec mypod -- ls, We'll exec the script)
			if p := strings.TrimSpace(v[n:m]); p == "" || p[0] != '"' && p[0] != '[' && !strings.ContainsAny(p, "_.") {
				return 0, false
			}
			if m+1 < len(v) && v[m]|0x20 == 'n' && v[m+1] == '\'' {
				return m, true // N'...'
			}
			if a, ok := name(m); ok && a < len(v) && v[a] == ',' {
				return a, true // a bare word as the first argument
			}
			return goesOn(m, "'@-0123456789(", "null", "default", "with")
		}
		return 0, false
	}
	if n, ok := word(k, "update"); ok {
		if m, ok := word(n, "statistics"); ok {
			if m, ok = name(m); ok {
				return goesOn(m, "", "with")
			}
			return 0, false
		}
		// UPDATE [TOP (n)] <name> SET (x' update "users" set
		// "is_admin"=1--: attack 75)
		if m, ok := target(n, ""); ok {
			if w, ok := word(m, "with"); ok && w < len(v) && v[w] == '(' {
				// a table hint: UPDATE users WITH (TABLOCK) SET (a review)
				if c := closingBracket(v, w, 64); c > 0 {
					m = t.skip(c + 1)
				}
			}
			return word(m, "set")
		}
		return 0, false
	}
	if n, ok := word(k, "disable", "enable"); ok {
		// DISABLE TRIGGER <name>|ALL ON <table>|DATABASE|ALL SERVER
		if m, ok := word(n, "trigger"); ok {
			if m, ok = name(m); ok {
				for ok && m < len(v) && v[m] == ',' {
					m, ok = name(t.skip(m + 1))
				}
				if ok {
					return word(m, "on")
				}
			}
		}
		return 0, false
	}
	if n, ok := word(k, "set"); ok {
		// SET IDENTITY_INSERT <name> ON: rows with the ids one chooses
		if m, ok := word(n, "identity_insert"); ok {
			if m, ok = name(m); ok {
				if m, ok = word(m, "on", "off"); ok {
					return goesOn(m, "")
				}
			}
		}
		return 0, false
	}
	if n, ok := word(k, "dbcc"); ok {
		if m, ok := name(n); ok {
			return goesOn(m, "(", "with")
		}
		return 0, false
	}
	if n, ok := word(k, "shutdown"); ok {
		// then the value's end, a comment, a ; or the next statement
		// (Type 'shutdown now' to stop is prose)
		if m, ok := word(n, "with"); ok {
			if n, ok = word(m, "nowait"); !ok {
				return 0, false
			}
		}
		return goesOn(n, "")
	}
	if n, ok := word(k, "while"); ok {
		// WHILE <condition> BEGIN or a statement: a loop that never
		// ends, or a condition read by how long the answer takes (x'
		// while exists(select 1 from "users" where "pw" like 'a%') print
		// 1--: attack 75)
		e, _, ok := sqlExpr(t.sqlReader, n, 0)
		if ok {
			return word(t.skip(e), tsqlStarts...)
		}
		return 0, false
	}
	if n, ok := word(k, "raiserror"); ok {
		return n, n < len(v) && v[n] == '('
	}
	if n, ok := word(k, "throw"); ok {
		// THROW <number|@var>, <message>, <number|@var>
		arg := func(at int) (int, bool) {
			if at < len(v) && v[at] == '@' {
				e, o := sqlName(v, at+1)
				return t.skip(e), o.kind == primName
			}
			e := sqlNumberEnd(v, at)
			return t.skip(e), e > at && (e == len(v) || !identByte(v[e], ""))
		}
		m, ok := arg(n)
		if !ok || m >= len(v) || v[m] != ',' {
			return 0, false
		}
		c := strings.IndexByte(v[m+1:min(len(v), m+1+tsqlThrowWindow)], ',')
		if c < 0 {
			return 0, false
		}
		if m, ok = arg(t.skip(m + 1 + c + 1)); ok {
			return goesOn(m, "")
		}
	}
	return 0, false
}

// tsqlThrowWindow is how far THROW's message is read for the comma after
// it.
const tsqlThrowWindow = 160

// tsqlConversionAt reads at v[n:] a conversion to a number: convert or
// try_convert with a numeric type first, parse or try_parse with AS and a
// numeric type.
func tsqlConversionAt(r *sqlReader, n int) bool {
	v := r.v
	numeric := func(at int) bool {
		_, ok := sqlWordFold(v, r.skip(at), tsqlNumericTypes...)
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
		if last := lastAsIn(v, b, c); last >= 0 {
			return numeric(last + 4)
		}
		return false
	}
	return pgConversionAt(r, n)
}

// tsqlNumericTypes are SQL Server's number types: a conversion to one
// fails on text, and its error shows the text.
var tsqlNumericTypes = []string{"int", "integer", "bigint", "smallint", "tinyint", "numeric", "decimal", "float", "real", "money", "smallmoney", "bit"}

// lastAsIn is the index of the last " as " (any case) between the
// brackets at v[b] and v[c], or -1: CAST's and PARSE's type follows it
// (ASCII case folded in place: lowercasing text that is not UTF-8
// changes its length, a fuzz find).
func lastAsIn(v string, b, c int) int {
	last := -1
	for a := b + 1; a < c; {
		k := indexFold(v[a:c], " as ")
		if k < 0 {
			break
		}
		last, a = a+k, a+k+1
	}
	return last
}

// pgConversionAt reads at v[n:] one of PostgreSQL's conversions whose
// error shows the text converted: a name cast with :: to one of those
// types (password::int, password::"int4", password::regclass:
// relation "pw1" does not exist), a type's name called as a function
// (inet(password), "int4"(password), int4(password)) or a type's input
// function (int4in(password::cstring)): x'||inet(password)||' and
// 1-password::"int4" passed (attack 75, run on PostgreSQL 15). Dates
// and times called as functions are MySQL's and SQLite's functions too
// (date(created_at)) and are not read.
func pgConversionAt(r *sqlReader, n int) bool {
	v := r.v
	e, o := sqlName(v, n)
	switch o.kind {
	case primCall:
		if strings.EqualFold(o.text, "xmlparse") {
			// xmlparse(document password): "invalid XML document" and
			// the text (attack 76, run on PostgreSQL 15)
			b := strings.IndexByte(v[n:e], '(')
			_, ok := sqlWordFold(v, r.skip(n+b+1), "document", "content")
			return ok
		}
		if !oneArgument(v, n, e) || strings.HasSuffix(v[:e], "()") {
			return false // float4(1, 0, 0, 1) is HLSL's
		}
		name := strings.ToLower(o.text)
		if pgCastType(name) && !pgDateType(name) {
			return true
		}
		name = strings.TrimSuffix(strings.TrimSuffix(name, "in"), "_")
		return name != strings.ToLower(o.text) && pgCastType(name)
	case primName, primQuotedName:
		k := r.skip(e)
		if k < len(v) && v[k] == '(' && o.kind == primQuotedName {
			c := closingBracket(v, k, 64)
			return c > 0 && oneArgument(v, k, c+1) && pgCastType(strings.ToLower(o.text)) // "int4"(password)
		}
		if !strings.HasPrefix(v[k:], "::") {
			return false
		}
		return pgTypeAt(v, r.skip(k+2)) // not std::string
	}
	return false
}

// pgTypeAt: at v[j:] (after ::) one of pgCastType's types, in one case
// (int, INT, "int4"): Types::Integer, uuid::Uuid::new_v4() and
// Str::uuid() are Ruby's, Rust's and PHP's (a review).
func pgTypeAt(v string, j int) bool {
	e, t := sqlName(v, j)
	if t.kind == primNone || t.kind == primCall && strings.HasSuffix(v[:e], "()") {
		return false
	}
	if t.kind != primQuotedName && t.text != strings.ToLower(t.text) && t.text != strings.ToUpper(t.text) {
		return false
	}
	return pgCastType(strings.ToLower(t.text))
}

// oneArgument: the call at v[n:e] (e after its closing bracket) has one
// argument: no comma outside the brackets inside it.
func oneArgument(v string, n, e int) bool {
	b := strings.IndexByte(v[n:e], '(')
	if b < 0 {
		return false
	}
	depth := 0
	for _, c := range []byte(v[n+b+1 : e-1]) {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				return false
			}
		}
	}
	return true
}

// pgCastType: name is one of PostgreSQL's types whose input fails on
// text that is not one of its values.
func pgCastType(name string) bool {
	switch name {
	case "int", "int2", "int4", "int8", "integer", "smallint", "bigint", "numeric", "decimal", "real", "float", "float4", "float8",
		"bool", "boolean", "money", "inet", "cidr", "macaddr", "macaddr8", "uuid", "oid", "tid", "xid", "cid", "pg_lsn", "regclass",
		"regproc", "regprocedure", "regtype", "regoper", "regoperator", "regnamespace", "regrole", "regconfig", "regdictionary", "json",
		"jsonb", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle", "bit", "varbit", "tsquery", "interval",
		"txid_snapshot", "pg_snapshot", "xid8", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
		"int4multirange", "int8multirange", "nummultirange", "tsmultirange", "tstzmultirange", "datemultirange", "jsonpath":
		return true
	}
	return pgDateType(name)
}

// pgDateType: name is one of PostgreSQL's date and time types.
func pgDateType(name string) bool {
	switch name {
	case "date", "time", "timetz", "timestamp", "timestamptz":
		return true
	}
	return false
}
