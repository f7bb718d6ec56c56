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
	t := &tsqlReader{sqlReader: r, lastDashes: strings.LastIndex(v, "--"), lastBlock: strings.LastIndex(v, "/*")}
	// a number that starts the value (a money literal too: $1), or a
	// conversion (1 shutdown with nowait, 1) shutdown, 1+convert(int,
	// password), convert(int,password))
	if j := r.skip(0); j < len(v) {
		e := sqlNumberEnd(v, j)
		if v[j] == '$' {
			e = sqlNumberEnd(v, j+1)
		}
		if e > j+1 || e > j && v[j] != '$' {
			k := r.skip(e)
			if tsqlBatchAt(t, tsqlClosers(r, k), 0) || k < len(v) && (v[k] == '+' || v[k] == '-') && tsqlConversionAt(r, r.skip(k+1)) {
				return true
			}
		} else if tsqlConversionAt(r, j) {
			return true
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\'' && c != '"' {
			continue
		}
		k := r.skip(i + 1)
		if tsqlBatchAt(t, tsqlClosers(r, k), c) {
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

// tsqlClosers is the index after the closing brackets at v[k:] and the
// white space and comments between them: x') delete from users--
// closes the bracket of WHERE (name = '...') or VALUES('...') first
// (attack 74). Each run of brackets is read from the quote before it.
func tsqlClosers(r *sqlReader, k int) int {
	for k < len(r.v) && r.v[k] == ')' {
		k = r.skip(k + 1)
	}
	return k
}

// tsqlConditionWindow is how far after IF or WHILE a statement is looked
// for: the condition's bytes, each word start read as a statement's.
const tsqlConditionWindow = 160

// tsqlBatchAt: at v[k:], after a closed quote (quote, ' or ") or a
// number that starts the value (quote 0), a statement of tsqlStatementAt's,
// inside BEGIN [TRY|TRAN|TRANSACTION] or after IF or WHILE and a condition
// as well (x' if 1=1 delete from users--, x' begin try delete from users
// end try begin catch end catch--: SQL Server runs them, attack 74), that
// ends the way an injection must (tsqlEnds).
func tsqlBatchAt(t *tsqlReader, k int, quote byte) bool {
	r, v := t.sqlReader, t.v
	if n, ok := sqlWordFold(v, k, "if", "while"); ok {
		// the condition is anything SQL writes there ((select count(*)
		// from users) > 0, exists(...), @@version like '%2019%'): the
		// statement is looked for at each word start after it, a BEGIN
		// there ending the reading (while 1=1 begin print 1 end)
		limit := min(len(v), n+tsqlConditionWindow)
		for j := r.skip(n); j < limit; j++ {
			if c := v[j] | 0x20; c < 'a' || c > 'z' || !wordStart(v, j) {
				continue
			}
			if e, ok := t.blockAt(j); ok {
				return tsqlEnds(t, j, e, quote)
			}
			if e, ok := sqlWordFold(v, j, "begin"); ok {
				return tsqlEnds(t, j, e, quote)
			}
		}
		return false
	}
	e, ok := t.blockAt(k)
	return ok && tsqlEnds(t, k, e, quote)
}

// blockAt is tsqlBlockAt(k), read once for each place: IF's and WHILE's
// windows overlap (16 KiB of "' if " read each word start 30 times: 35
// ms).
func (t *tsqlReader) blockAt(k int) (end int, ok bool) {
	if k >= len(t.v) {
		return 0, false
	}
	if t.blocks == nil {
		t.blocks = make([]int32, len(t.v))
	}
	switch b := t.blocks[k]; {
	case b > 0:
		return int(b) - 1, true
	case b < 0:
		return 0, false
	}
	end, ok = tsqlBlockAt(t.sqlReader, k)
	t.blocks[k] = -1
	if ok {
		t.blocks[k] = int32(end) + 1
	}
	return end, ok
}

// tsqlBlockAt reads at v[k:] BEGIN, optionally TRY, TRAN, TRANSACTION or
// DISTRIBUTED TRAN[SACTION], a few times over, then a statement
// (tsqlStatementAt); or the statement alone. end is the statement's.
func tsqlBlockAt(r *sqlReader, k int) (end int, ok bool) {
	v := r.v
	for range 4 {
		n, ok := sqlWordFold(v, k, "begin")
		if !ok {
			break
		}
		k = r.skip(n)
		if m, ok := sqlWordFold(v, k, "distributed"); ok {
			k = r.skip(m)
		}
		if m, ok := sqlWordFold(v, k, "try", "tran", "transaction"); ok {
			k = r.skip(m)
		}
	}
	return tsqlStatementAt(r, k)
}

// tsqlReader is a value read by tsqlStatement: where its last -- is,
// and what the rest of the value is read as SQL from a place outside any
// quote (tsqlTail), kept for each place read so that the value is read
// once however many statements are judged in it.
type tsqlReader struct {
	*sqlReader
	lastDashes int     // the index of the last -- in v, or -1
	lastBlock  int     // the index of the last /* in v, or -1 (tailFrom)
	tails      []int8  // tailFrom's answer from each place it read, 0 not yet
	blocks     []int32 // blockAt's answer at each place: its end + 1, -1 none, 0 not yet
	visited    []int   // scratch: the places one reading passed
	read       int     // bytes read by tailFrom in all, bounded (tailBound)
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
func (t *tsqlReader) tailFrom(p int) int8 {
	v := t.v
	if t.tails == nil {
		t.tails = make([]int8, len(v)+1)
	}
	visited := t.visited[:0]
	var end int8
	for end == 0 {
		switch {
		case p >= len(v):
			end = tailClosed
			continue
		case t.tails[p] != 0:
			end = t.tails[p]
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
			closing := c
			if c == '[' {
				closing = ']'
			}
			q := p + 1
			for {
				k := strings.IndexByte(v[q:], closing)
				if k < 0 {
					switch c {
					case '\'':
						end = tailOpenSingle
					case '"':
						end = tailOpenDouble
					default:
						end = tailOpenName
					}
					break
				}
				q += k + 1
				if q < len(v) && v[q] == closing {
					q++ // doubled: one inside
					continue
				}
				break
			}
			t.read += q - p
			p = q
		default:
			p++
		}
	}
	for _, a := range visited {
		t.tails[a] = end
	}
	t.visited = visited
	return end
}

// tsqlEnds: a statement that starts at v[k:] and ends at v[e:] ends the
// way an injection's must for the query around it to run: a -- or a /*
// after its start (tailFrom) counts. SQL Server
// compiles a batch whole, so the application's text after the value (a
// closing quote at least) must be commented out or balanced: after a
// closed quote, the rest of the value read as SQL (tailFrom) is in a
// comment or leaves a string in the same quote open for the
// application's to close (where 'a'='a, values('me','admin','); after a
// number that starts the value, the value's end (WHERE id = 1 shutdown)
// or a ;. Prose after a plural's apostrophe has neither: Parents' insert
// into the newsletter, The admins' create user permission (attack 74's
// false positives); a later apostrophe (the admins' drop table is Bob's)
// opens a string that is not closed: the price.
func tsqlEnds(t *tsqlReader, k, e int, quote byte) bool {
	v := t.v
	if t.lastDashes >= k || t.lastBlock >= k {
		return true
	}
	if quote == 0 {
		// the blocks closed first (1 begin delete from users end)
		j := t.skip(e)
		for range 8 {
			n, ok := sqlWordFold(v, j, "end", "commit", "rollback")
			if !ok {
				break
			}
			j = t.skip(n)
			if n, ok := sqlWordFold(v, j, "try", "catch", "tran", "transaction"); ok {
				j = t.skip(n)
			}
		}
		return j == len(v) || v[j] == ';'
	}
	switch t.tailFrom(e) {
	case tailComment:
		return true
	case tailOpenSingle:
		return quote == '\''
	case tailOpenDouble:
		return quote == '"'
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

// tsqlStatementAt reads a statement of tsqlStatement's at v[k:]; end is
// the index after the words read (white space and comments after them
// skipped), which tsqlEnds reads on from.
func tsqlStatementAt(r *sqlReader, k int) (end int, ok bool) {
	v := r.v
	word := func(at int, words ...string) (int, bool) {
		e, ok := sqlWordFold(v, at, words...)
		return r.skip(e), ok
	}
	name := func(at int) (int, bool) {
		// a name, or a table with its columns (users(name,role)); not a
		// word's start before an apostrophe (drop table isn't)
		e, o := sqlName(v, at)
		if e < len(v) && v[e] == '\'' && o.kind == primName {
			return e, false
		}
		return r.skip(e), o.kind == primName || o.kind == primQuotedName || o.kind == primCall
	}
	// then: after the words at n, one of words
	then := func(n int, words ...string) (int, bool) {
		return word(n, words...)
	}
	if n, ok := word(k, "delete"); ok {
		// DELETE TOP (1) [PERCENT] (attack 74)
		if m, ok := word(n, "top"); ok {
			if m >= len(v) || v[m] != '(' {
				return 0, false
			}
			c := closingBracket(v, m, 64)
			if c < 0 {
				return 0, false
			}
			n = r.skip(c + 1)
			if m, ok := word(n, "percent"); ok {
				n = m
			}
		}
		if m, ok := word(n, "from"); ok {
			n = m
		}
		return name(n)
	}
	if n, ok := word(k, "insert"); ok {
		if m, ok := word(n, "into"); ok {
			n = m
		}
		if m, ok := name(n); ok {
			if e, ok := then(m, "values", "select", "default", "exec", "execute", "output", "with"); ok {
				return e, true
			}
			if m < len(v) && v[m] == '(' && v[m-1] != ' ' {
				return m, true
			}
			// users(name,role) values(...): the columns read as a call
			return then(m, "values", "select")
		}
		return 0, false
	}
	if n, ok := word(k, "truncate"); ok {
		if m, ok := word(n, "table"); ok {
			return name(m)
		}
		return 0, false
	}
	if n, ok := word(k, "create", "alter", "drop"); ok {
		if m, ok := word(n, "service"); ok {
			n = m
		}
		if m, ok := word(n, "master"); ok {
			return then(m, "key")
		}
		if m, ok := word(n, "login", "user", "table", "procedure", "proc", "function", "trigger", "database", "view", "role", "assembly", "endpoint", "credential", "server", "index", "schema", "synonym", "sequence", "certificate", "type", "audit"); ok {
			return name(m)
		}
		if m, ok := word(n, "authorization"); ok {
			return then(m, "on")
		}
		return 0, false
	}
	if n, ok := word(k, "grant", "deny", "revoke"); ok {
		if m, ok := name(n); ok {
			return then(m, "to", "on", "from")
		}
		return 0, false
	}
	if n, ok := word(k, "backup"); ok {
		// BACKUP DATABASE|LOG <name> TO, BACKUP [SERVICE] MASTER KEY TO,
		// BACKUP CERTIFICATE <name> TO (key material copied out)
		if m, ok := word(n, "database", "log", "certificate"); ok {
			if m, ok = name(m); ok {
				return then(m, "to")
			}
			return 0, false
		}
		if m, ok := word(n, "service"); ok {
			n = m
		}
		if m, ok := word(n, "master"); ok {
			if m, ok = word(m, "key"); ok {
				return then(m, "to")
			}
		}
		return 0, false
	}
	if n, ok := word(k, "restore"); ok {
		// RESTORE DATABASE|LOG <name> FROM, RESTORE HEADERONLY ... FROM
		// (a restore from \\host\share authenticates to the host)
		if m, ok := word(n, "database", "log"); ok {
			if m, ok = name(m); ok {
				return then(m, "from")
			}
			return 0, false
		}
		if m, ok := word(n, "headeronly", "filelistonly", "verifyonly", "labelonly", "rewindonly"); ok {
			return then(m, "from")
		}
		return 0, false
	}
	if n, ok := word(k, "bulk"); ok {
		if m, ok := word(n, "insert"); ok {
			if m, ok = name(m); ok {
				return then(m, "from")
			}
		}
		return 0, false
	}
	if n, ok := word(k, "merge"); ok {
		if m, ok := word(n, "into"); ok {
			n = m
		}
		if m, ok := name(n); ok {
			return then(m, "using", "as")
		}
		return 0, false
	}
	if n, ok := word(k, "execute", "exec"); ok {
		if m, ok := word(n, "as"); ok {
			return then(m, "login", "user", "caller", "owner", "self")
		}
		return 0, false
	}
	if n, ok := word(k, "disable", "enable"); ok {
		return then(n, "trigger")
	}
	if n, ok := word(k, "set"); ok {
		// SET IDENTITY_INSERT <name> ON: rows with the ids one chooses
		if m, ok := word(n, "identity_insert"); ok {
			if m, ok = name(m); ok {
				return then(m, "on", "off")
			}
		}
		return 0, false
	}
	if n, ok := word(k, "dbcc"); ok {
		return name(n)
	}
	if n, ok := word(k, "shutdown"); ok {
		// then the value's end, a comment or a ; (Type 'shutdown now'
		// to stop is prose)
		if m, ok := word(n, "with"); ok {
			return then(m, "nowait")
		}
		if _, ok := word(n, "end"); ok {
			return n, true // begin shutdown end
		}
		return n, n == len(v) || v[n] == ';'
	}
	if n, ok := word(k, "raiserror"); ok {
		return n, n < len(v) && v[n] == '('
	}
	if n, ok := word(k, "throw"); ok {
		// THROW <number|@var>, <message>, <number|@var>
		arg := func(at int) (int, bool) {
			if at < len(v) && v[at] == '@' {
				e, o := sqlName(v, at+1)
				return r.skip(e), o.kind == primName
			}
			e := sqlNumberEnd(v, at)
			return r.skip(e), e > at && (e == len(v) || !identByte(v[e], ""))
		}
		m, ok := arg(n)
		if !ok || m >= len(v) || v[m] != ',' {
			return 0, false
		}
		c := strings.IndexByte(v[m+1:min(len(v), m+1+tsqlConditionWindow)], ',')
		if c < 0 {
			return 0, false
		}
		return arg(r.skip(m + 1 + c + 1))
	}
	return 0, false
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
