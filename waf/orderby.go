package waf

import "strings"

// sortListRules is rule 210202: a value that is a sort list as a whole
// (sortListProbe), with a conversion of a column to a number or a call of
// a function whose error message shows its argument.
var sortListRules = `SecRule ` + valueHeaderTargets + ` "@` + sortListProbeOp + `" "id:210202,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,multiMatch,msg:'SQL injection: a sort list (names, commas, ASC or DESC) with a conversion to a number or a function whose error message holds its argument',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// sortListProbeOp is rule 210202's operator (sortListProbe).
const sortListProbeOp = "gatewaySortListProbe"

func init() { registerGoOperator(sortListProbeOp, sortListProbe) }

// sortListDepth bounds the brackets sortListProbe reads into (groups and
// calls' arguments): deeper, the value counts as a probe.
const sortListDepth = 8

// sortProbeWindow is how far a probe call's closing bracket (an error
// function's, CONVERT's, an Oracle package's) and a type's own brackets
// are searched for: past it, the value counts as a probe.
const sortProbeWindow = 256

// sortListProbe is rule 210202's operator: the value (white space and
// comments before it) starts as an ORDER BY list, items separated by
// commas, each an expression (names bare or quoted and dotted, numbers,
// strings, calls, brackets, signs, arithmetic and ||) with COLLATE and a
// collation, ASC or DESC and NULLS FIRST or LAST after it; and an item
// holds, at any depth, a probe: a conversion to a type whose error
// message shows the value it could not convert (sortTypeAt,
// sortProbeType: CAST(x AS INT), TRY_CAST and SQL Server's PARSE(x AS
// INT) read alike, CONVERT(INT, x) as tsqlConversionAt reads it,
// PostgreSQL's x::int, and int4(x), numeric(x), bool(x) and the other
// numeric names as calls of one argument), a call of one of MySQL's
// functions whose error quotes their argument (sortErrorFunction: rule
// 210105's) or a call of a function of Oracle's own packages (oracleName:
// rule 210101's). The list up to and including the item that holds the
// probe must read; what follows it is not read (a review: unknown syntax
// after the probe, cast(password as int) limit 1--, cast(password as int)
// using <, cast(password as int), name+N'a', hid it when the whole value
// had to read). Past sortListDepth brackets, or a probe call's closing
// bracket past sortProbeWindow bytes, the value counts as a probe
// (((((((((cast(password as int)))))))))), gtid_subtract(password, then
// 300 blanks, 1) passed before).
//
// An application that sorts by a column the client names (ORDER BY
// $sort) runs the conversion for each row, and SQL Server and PostgreSQL
// name the value in the error: ?sort=cast(password as int) shows a
// password ("Conversion failed when converting the varchar value 'pw1' to
// data type int", "invalid input syntax for type integer: "pw1""). With
// ?sort=1,convert(int,password), ?sort=name desc,cast(password as int)
// and ?sort=gtid_subtract(password,1) they passed the CRS and the gateway
// (a fresh-eyes attack, attack 74): rule 210201 reads a conversion at the
// value's start or after a quote and + or || only, rule 210105 a MySQL
// function after an operator only. Prose is not a list of names: "Use
// cast(x as int) to convert", "cast (the actors) as int", "sort by
// cast(price as int)" and "the cast of Dune" pass, as do sort lists with
// no probe (name desc, price asc; lower(name), id; length(name) desc;
// date(created_at) desc; OData's cast(Rating, Edm.Int32) desc),
// conversions to a type whose error shows nothing (MySQL's CAST(x AS
// SIGNED), character varying) and calls of more than one argument with a
// type's name (float4(1, 0, 0, 1): HLSL, Metal). A value that starts with
// a conversion, such as a search for the snippet cast(x as int) or
// "cast(password as int) in T-SQL shows the value", is refused, as is
// a date's (cast(created_at as date), created_at::date desc: its error
// shows the text too): the price. Left open: conversions by arithmetic
// (password*1, name, password+0 on SQL Server), which read like a sort
// list's own. PostgreSQL's x::int counts with the type bare in one case
// only (Ruby's Types::Integer is not read; nor is password::Int), or
// quoted (password::"int4"). Linear: the reader never goes back, brackets
// are read at most sortListDepth deep, a probe call's brackets are
// matched within sortProbeWindow bytes, and comments' ends are searched
// once (sqlReader).
func sortListProbe(v string) bool {
	if strings.IndexByte(v, '(') < 0 && strings.IndexByte(v, '\'') < 0 && strings.IndexByte(v, '$') < 0 && indexFold(v, "0x") < 0 && indexFold(v, "0b") < 0 && strings.IndexByte(v, '"') < 0 && !strings.Contains(v, "::") && indexFold(v, "case") < 0 && indexFold(v, "ilike") < 0 && indexFold(v, "rlike") < 0 &&
		indexFold(v, "regexp") < 0 && indexFold(v, "similar") < 0 && indexFold(v, "glob") < 0 {
		return false
	}
	if pagingSubquery(v) {
		return true
	}
	s := sortListReader{r: newSQLReader(v)}
	s.list(s.r.skip(0), 0)
	return s.found || s.over
}

// pagingWord: w is LIMIT, OFFSET, TOP, NEXT or FIRST, in any case.
func pagingWord(w string) bool {
	switch strings.ToLower(w) {
	case "limit", "offset", "top", "next", "first":
		return true
	}
	return false
}

// pagingSubquery: v holds a subquery (sortSubquery) right after LIMIT,
// OFFSET, TOP, or FETCH's NEXT or FIRST: a page's size or start computed
// from a guess (10 offset (select count(*) from users where password
// like 'a%'): the rows' count tells the guess on SQLite, PostgreSQL and
// SQL Server; attack 84). Each ( is looked back from once, 24 bytes at
// most.
func pagingSubquery(v string) bool {
	for off := 0; off < len(v); {
		i := strings.IndexByte(v[off:], '(')
		if i < 0 {
			return false
		}
		i += off
		off = i + 1
		// back from the ( over blanks, brackets, signs and one call's
		// name (10 offset (((select, offset -(select, offset abs((select:
		// a review), 48 bytes at most
		b, a, names := i, i, 0
		for b > 0 && i-b < 48 {
			if strings.IndexByte(sqlSpaceBytes+"(-+*/0123456789", v[b-1]) >= 0 {
				b-- // and arithmetic (offset 0+(select, offset/**/(select: a review)
				continue
			}
			a = b
			for a > 0 && b-a < 16 && (v[a-1]|0x20 >= 'a' && v[a-1]|0x20 <= 'z' || v[a-1] == '_') {
				a--
			}
			// a call's name, its bracket right after it (abs(abs((select:
			// a review; the offset value (select is prose's)
			if a == b || pagingWord(v[a:b]) || names == 2 || v[b] != '(' {
				break
			}
			names++
			b = a
		}
		if a < b && pagingWord(v[a:b]) {
			// with a condition, a call or a star inside, as a probe's
			// (Pick the first (select one from the list) is prose)
			if (a == 0 || !identByte(v[a-1], "")) && sortSubquery(v, sqlSkip(v, i+1)) {
				in := v[i+1 : min(len(v), i+1+sortProbeWindow)]
				if c := closingBracket(v, i, sortProbeWindow); c > i {
					in = v[i+1 : c]
				}
				if wordIndexFold(in, "where") >= 0 || strings.ContainsAny(in, "(*") {
					return true
				}
				// after a number (a page's size, the value's start:
				// 1 offset (select pin from users limit 1) reads a
				// number column, 10 offset unicode((select password
				// from users))-97 a password's first letter, on SQLite
				// and PostgreSQL: attack 86), any subquery
				if p := sqlSpaceBefore(v, a); p > 0 && v[p-1] >= '0' && v[p-1] <= '9' && !fromArticle(in) {
					return true
				}
			}
		}
	}
	return false
}

// fromArticle: the first FROM in the subquery's text in is followed by an
// article or a possessive, as prose's is (Buy 2 first (select one from
// the list)); no table is named so.
func fromArticle(in string) bool {
	f := wordIndexFold(in, "from")
	if f < 0 {
		return false
	}
	_, ok := sqlWordFold(in, sqlSkip(in, f+len("from")), "the", "a", "an", "this", "that", "these", "those", "my", "your", "our", "his", "her", "their", "its")
	return ok
}

// sortListReader reads a sort list (sortListProbe) and remembers whether
// a probe was read (found: in a part read to its end), or a bound passed
// (over).
type sortListReader struct {
	r           *sqlReader
	found, over bool
}

// list reads items separated by commas at v[j:] (with COLLATE, and at
// depth 0 ASC, DESC, NULLS FIRST or NULLS LAST, after each); it returns
// the index after the last item and the white space after it, and how
// many items it read. At depth 0 it stops after the first item that
// holds a probe.
func (s *sortListReader) list(j, depth int) (int, int, bool) {
	v := s.r.v
	for n := 1; ; n++ {
		e, ok := s.item(j, depth)
		if !ok {
			return j, n - 1, false
		}
		if depth == 0 && (s.found || s.over) {
			return e, n, true
		}
		k := s.r.skip(e)
		if c, ok := sqlWordFold(v, k, "collate"); ok {
			// a collation's name, bare, quoted or dotted
			// (pg_catalog."C")
			e := s.r.skip(c)
			for range 4 {
				m, _, _ := sqlNamePart(v, e)
				if m == e || m >= len(v) || v[m] != '.' {
					e = m
					break
				}
				e = m + 1
			}
			if e == s.r.skip(c) {
				return k, n, false
			}
			k = s.r.skip(e)
		}
		if depth == 0 {
			if m, ok := sqlWordFold(v, k, "asc", "desc"); ok {
				k = s.r.skip(m)
			}
			if m, ok := sqlWordFold(v, k, "nulls"); ok {
				m, ok := sqlWordFold(v, s.r.skip(m), "first", "last")
				if !ok {
					return k, n, false
				}
				k = s.r.skip(m)
			}
		}
		if k >= len(v) || v[k] != ',' {
			return k, n, true
		}
		j = s.r.skip(k + 1)
	}
}

// item reads an expression at v[j:]: terms joined by + - * / % or ||;
// an operator whose right side does not read is left out.
func (s *sortListReader) item(j, depth int) (int, bool) {
	v := s.r.v
	e, ok := s.term(j, depth)
	if n, _ := sortStringEnd(v, j); n > e && v[n-1] != '"' {
		// a literal the term reads in part (0b0110<=password,
		// x'6d'<password, _utf8'a'<password: a review of attack 82's
		// fixes), whole, for the reversed comparison below
		e, ok = n, true
	}
	if !ok {
		return j, false
	}
	for {
		k := s.r.skip(e)
		// IS [NOT] NULL|TRUE|FALSE|UNKNOWN after a term: name,
		// (xmlparse(document password) is null) (attack 76)
		if n, ok := sqlWordFold(v, k, "is"); ok {
			n = s.r.skip(n)
			if m, ok := sqlWordFold(v, n, "not"); ok {
				n = s.r.skip(m)
			}
			if m, ok := sqlWordFold(v, n, "null", "true", "false", "unknown"); ok {
				e = m
				continue
			}
		}
		// a comparison with a string as a sort key (name desc, password
		// ~ '^a'; not password > 'm'; password ^@ 'pw1': an ordering
		// oracle, attack 78, which 210200 reads at the value's start
		// only and without NOT); LIKE only with a wildcard in the
		// pattern (Looks like 'magic' is prose)
		if m, like := sortCompareEnd(v, k); m > k {
			q := s.r.skip(m)
			// a double-quoted string after LIKE only: a filter
			// language's (JQL's summary ~ "login", created >= "2024-01-01")
			if n, body := sortStringEnd(v, q); n > q && (!like || strings.ContainsAny(body, "%_")) && (like || v[n-1] != '"') {
				s.found = true
				e = n
				continue
			}
			// a literal compared with a column, reversed (0x6d<password:
			// a review of attack 81's fixes)
			if n, _ := sortStringEnd(v, j); n == e && !like && v[n-1] != '"' {
				if n, ok := s.term(q, depth); ok {
					s.found = true
					e = n
					continue
				}
			}
		}
		// [NOT] BETWEEN two literals (password between 0x61 and 0x6d)
		b := k
		if m, ok := sqlWordFold(v, k, "not"); ok {
			b = s.r.skip(m)
		}
		if m, ok := sqlWordFold(v, b, "between"); ok {
			q := s.r.skip(m)
			if n, _ := sortStringEnd(v, q); n > q {
				if a, ok := sqlWordFold(v, s.r.skip(n), "and"); ok {
					if n, ok := s.term(s.r.skip(a), depth); ok {
						s.found = true
						e = n
						continue
					}
				}
			}
		}
		// a match of a column as a sort key (password rlike '^a',
		// password similar to 'a%': an ordering oracle, attack 77)
		if m := sortTestEnd(v, k); m > k {
			q := s.r.skip(m)
			if q < len(v) && v[q] == '\'' {
				if n, ok := s.term(q, depth); ok {
					s.found = true
					e = n
					continue
				}
			}
			if n, _ := sortStringEnd(v, q); n > q {
				s.found = true // rlike 0x5E61 (attack 81)
				e = n
				continue
			}
		}
		switch {
		case strings.HasPrefix(v[k:], "||"):
			k = s.r.skip(k + 2)
		case k < len(v) && strings.IndexByte("+-*/%", v[k]) >= 0:
			k = s.r.skip(k + 1)
		default:
			return e, true
		}
		n, ok := s.term(k, depth)
		if !ok || s.over {
			return e, true
		}
		e = n
	}
}

// term reads one operand at v[j:] after signs: a number, a string, a
// bracketed expression, a name, or a call (a probe's, or another's with
// its arguments read as items), then PostgreSQL's ::type casts. A probe
// read in a term that does not read to its end is forgotten.
func (s *sortListReader) term(j, depth int) (int, bool) {
	found := s.found
	e, ok := s.operand(j, depth)
	if !ok {
		s.found = found
	}
	return e, ok
}

// operand is term's reading.
func (s *sortListReader) operand(j, depth int) (int, bool) {
	v, r := s.r.v, s.r
	for j < len(v) && strings.IndexByte("-+~", v[j]) >= 0 {
		j = r.skip(j + 1)
	}
	if n, ok := sqlWordFold(v, j, "not", "binary"); ok && depth < sortListDepth {
		// NOT and a test (not password like 'a%': attack 78); MySQL's
		// BINARY before a column (binary password<x'6d': a review)
		if k := r.skip(n); k < len(v) {
			return s.term(k, depth+1)
		}
	}
	if j >= len(v) {
		return j, false
	}
	e := j
	if k := sqlCaseEnd(v, j); k >= 0 && caseTests(v[j:k]) {
		// CASE WHEN ... THEN ... END: a sort that tests a column (case
		// when password like 'a%' then id else name end orders the rows
		// by a password's prefix, then 1 else 1/0 fails on it: attack
		// 75); no sort parameter of an API writes one
		s.found = true
		return k, true
	}
	switch c := v[j]; {
	case c == '(' && sortSubquery(v, r.skip(j+1)):
		// a subquery as a sort key or in one: name desc, 1/(select
		// count(*) from users where id=1 and pw < 'm') fails on a
		// guess (attack 79, run on PostgreSQL and SQLite); no API's sort
		// parameter writes one
		s.found = true
		if c := closingBracket(v, j, sortProbeWindow); c > 0 {
			return c + 1, true
		}
		s.over = true
		return j, false
	case c == '(':
		if depth >= sortListDepth {
			s.over = true
			return j, false
		}
		k, ok := s.item(r.skip(j+1), depth+1)
		if k = r.skip(k); !ok || k >= len(v) || v[k] != ')' {
			return j, false
		}
		e = k + 1
	case c == '\'':
		if e = sqlOperandEnd(v, j); e == j {
			return j, false
		}
	case c >= '0' && c <= '9' || c == '.':
		if e = sqlNumberEnd(v, j); e == j {
			return j, false
		}
	default:
		var ok bool
		if e, ok = s.name(j, depth); !ok {
			return j, false
		}
	}
	// PostgreSQL's casts, password::int, password::"int4",
	// password::int[]
	clr := false
	if _, ok := sqlWordFold(v, j, "geography", "geometry", "hierarchyid"); ok && e == j+len(strings.TrimRight(v[j:e], " ")) {
		clr = true
	}
	for k := r.skip(e); strings.HasPrefix(v[k:], "::"); k = r.skip(e) {
		t := r.skip(k + 2)
		n, w, quoted, array := s.typeAt(t)
		if n == t || strings.HasSuffix(v[:n], "()") {
			return j, false // Str::uuid() is PHP's
		}
		if clr && strings.HasSuffix(v[:n], ")") && bareNameArgument(v, strings.IndexByte(v[t:n], '(')+t, -1) {
			// SQL Server's CLR types' methods, geography::Parse(password):
			// .NET's FormatException quotes the text (attack 78)
			s.found = true
		}
		if array || sortProbeType(w) && (quoted || w == strings.ToLower(w) || w == strings.ToUpper(w)) {
			s.found = true
		}
		e = n
	}
	return e, true
}

// typeAt reads a type's name at v[t:]: parts bare or quoted ("int4",
// [int], pg_catalog.int4), the words after some (double precision,
// character varying, timestamp with time zone), its brackets
// (numeric(10,2), varchar(20)) and an array's ([], [3], ARRAY). It
// returns the end (t: none), the last part's name, whether it was quoted
// and whether the type is an array's (whose error, "malformed array
// literal", shows the text whatever its element).
func (s *sortListReader) typeAt(t int) (end int, name string, quoted, array bool) {
	v, r := s.r.v, s.r
	e := t
	for range 4 {
		k, text, quote := sqlNamePart(v, e)
		if k == e {
			break
		}
		end, name, quoted = k, text, quote != 0
		if k >= len(v) || v[k] != '.' {
			break
		}
		e = k + 1
	}
	if end <= t {
		return t, "", false, false
	}
	k := r.skip(end)
	zone := false
	switch strings.ToLower(name) {
	case "double":
		if m, ok := sqlWordFold(v, k, "precision"); ok {
			end, k = m, r.skip(m)
		}
	case "national", "character", "char", "nchar", "bit":
		if m, ok := sqlWordFold(v, k, "character", "char"); ok {
			end, k = m, r.skip(m)
		}
		if m, ok := sqlWordFold(v, k, "varying"); ok {
			end, k = m, r.skip(m)
		}
	case "timestamp", "time":
		zone = true
	}
	if k < len(v) && v[k] == '(' {
		c := closingBracket(v, k, sortProbeWindow)
		if c < 0 {
			s.over = s.over || len(v)-k >= sortProbeWindow && sortProbeType(name)
			return t, "", false, false
		}
		end, k = c+1, r.skip(c+1)
	}
	if zone {
		if m, ok := sqlWordFold(v, k, "with", "without"); ok {
			if m, ok := sqlWordFold(v, r.skip(m), "time"); ok {
				if m, ok := sqlWordFold(v, r.skip(m), "zone"); ok {
					end, k = m, r.skip(m)
				}
			}
		}
	}
	for k < len(v) {
		if v[k] == '[' {
			m := r.skip(k + 1)
			for m < len(v) && v[m] >= '0' && v[m] <= '9' {
				m++
			}
			if m = r.skip(m); m >= len(v) || v[m] != ']' {
				break
			}
			end, k, array = m+1, r.skip(m+1), true
			continue
		}
		if m, ok := sqlWordFold(v, k, "array"); ok {
			end, k, array = m, r.skip(m), true
			continue
		}
		break
	}
	return end, name, quoted, array
}

// name reads a name of at most four parts at v[j:], and its call's
// brackets if a bracket follows.
func (s *sortListReader) name(j, depth int) (int, bool) {
	v, r := s.r.v, s.r
	var parts [4]string
	n, e := 0, j
	for n < len(parts) {
		k, text, _ := sqlNamePart(v, e)
		if k == e {
			break
		}
		parts[n], n, e = text, n+1, k
		if k >= len(v) || v[k] != '.' {
			break
		}
		if k+1 < len(v) && v[k+1] == '.' {
			break
		}
		e = k + 1
	}
	if n == 0 || v[e-1] == '.' {
		return j, false
	}
	b := r.skip(e)
	if b >= len(v) || v[b] != '(' {
		return e, true
	}
	if depth >= sortListDepth {
		s.over = true
		return j, false
	}
	fn := parts[n-1]
	probe := false
	switch strings.ToLower(fn) {
	case "cast", "try_cast", "safe_cast", "parse", "try_parse":
		if n != 1 {
			break
		}
		// CAST(expr AS type), PARSE(expr AS type [USING culture]): the
		// expression read as an item
		k, ok := s.item(r.skip(b+1), depth+1)
		k = r.skip(k)
		a, as := sqlWordFold(v, k, "as")
		if !ok || !as {
			return j, false
		}
		t := r.skip(a)
		w, name, _, array := s.typeAt(t)
		if w == t {
			return j, false
		}
		k = r.skip(w)
		if u, ok := sqlWordFold(v, k, "using"); ok {
			u = r.skip(u)
			if k = sqlOperandEnd(v, u); k == u {
				return j, false
			}
			k = r.skip(k)
		}
		if k >= len(v) || v[k] != ')' {
			return j, false
		}
		if array || sortProbeType(name) {
			s.found = true
		}
		return k + 1, true
	case "exists":
		if n == 1 && sortSubquery(v, r.skip(b+1)) {
			s.found = true
			if c := closingBracket(v, b, sortProbeWindow); c > 0 {
				return c + 1, true
			}
			s.over = true
			return j, false
		}
	case "position":
		if n != 1 {
			break
		}
		// POSITION('a' IN password): the place of a guessed text in a
		// column as a sort key orders the rows by a secret's letters (an
		// ordering oracle, like a regex match; libinjection reads
		// INSTR and LOCATE, not this)
		q := r.skip(b + 1)
		if q >= len(v) || v[q] != '\'' {
			break
		}
		k := r.skip(sqlOperandEnd(v, q))
		if k == q {
			break
		}
		in, ok := sqlWordFold(v, k, "in")
		if !ok {
			break
		}
		k, ok = s.item(r.skip(in), depth+1)
		if k = r.skip(k); !ok || k >= len(v) || v[k] != ')' {
			return j, false
		}
		s.found = true
		return k + 1, true
	case "convert", "try_convert":
		probe = n == 1 && tsqlConversionAt(r, j)
	case "regexp_like", "regexp_match", "regexp_matches", "regexp_count", "regexp_instr", "regexp_substr", "regexp_replace", "starts_with",
		"textregexeq", "texticregexeq", "textlike", "texticlike", "charindex", "patindex", "instr", "locate", "strpos":
		// a match or a search of a column as a sort key
		// (regexp_like(password,'^pw1'): an ordering oracle, attack 78)
		probe = n == 1
	case "nchar", "char", "space":
		// SQL Server's functions of a number, given a column: its text
		// converted to one, and the error quotes it (nchar(password):
		// attack 78; char(65) and space(2) pass: a review)
		probe = n == 1 && bareNameArgument(v, b, 0)
	case "dateadd":
		// DATEADD(part, <number>, date) with a column as the number
		probe = n == 1 && bareNameArgument(v, b, 1)
	case "int", "integer", "bigint", "smallint", "int2", "int4", "int8", "float4", "float8", "numeric", "decimal", "real", "bool":
		if n != 1 {
			break
		}
		// PostgreSQL's casts written as calls, int4(password), of one
		// argument (float4(1, 0, 0, 1) is a shader's vector)
		k, items, ok := s.list(r.skip(b+1), depth+1)
		if k = r.skip(k); !ok || k >= len(v) || v[k] != ')' {
			return j, false
		}
		if items == 1 {
			s.found = true
		}
		return k + 1, true
	default:
		// PostgreSQL's other types called as functions and its input
		// functions (inet(password), int4in(textout(password)): attack 75)
		probe = n == 1 && pgConversionAt(r, j)
	}
	if !probe {
		probe = n == 1 && sortErrorFunction(fn) || oracleName(parts[:n])
	}
	if probe {
		c := closingBracket(v, b, sortProbeWindow)
		if c < 0 {
			// past the window a probe (gtid_subtract(password, then
			// 300 blanks, 1): a review); a bracket the value leaves
			// open is no call
			s.over = s.over || len(v)-b >= sortProbeWindow
			return j, false
		}
		s.found = true
		return c + 1, true
	}
	// another call: its arguments are items
	k := r.skip(b + 1)
	if k < len(v) && v[k] == ')' {
		return k + 1, true
	}
	k, _, ok := s.list(k, depth+1)
	if k = r.skip(k); !ok || k >= len(v) || v[k] != ')' {
		return j, false
	}
	return k + 1, true
}

// sortErrorFunction: name is one of MySQL's functions whose error message
// quotes their argument (rule 210105's: st_*geohash, uuid_to_bin,
// bin_to_uuid, the GTID sets' functions).
func sortErrorFunction(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "st_") && strings.HasSuffix(n, "geohash") {
		return true
	}
	switch n {
	case "uuid_to_bin", "bin_to_uuid", "gtid_subtract", "gtid_subset", "wait_for_executed_gtid_set", "wait_until_sql_thread_after_gtids":
		return true
	}
	return false
}

// sortProbeType: a conversion to the type t fails, for a column's text,
// with an error that shows the text (SQL Server's numbers; PostgreSQL's
// numbers, uuid, boolean, date and time, json, xml, inet, and the reg*
// types that look a name up: regclass's "relation "pw1" does not
// exist").
func sortProbeType(t string) bool {
	t = strings.ToLower(t)
	switch t {
	case "tinyint", "dec", "number", "double", "smallmoney", "uniqueidentifier", "regcollation", "hierarchyid", "geography", "geometry":
		return true
	}
	return pgCastType(t)
}

// caseTests: the CASE in c (its text to END) tests something between a
// WHEN and its THEN as SQL does: a comparison, a bracket, a quote, a
// number or LIKE/IS/IN/BETWEEN/EXISTS. Case closed when the tests pass,
// then we end the sprint is prose (a review).
func caseTests(c string) bool {
	w := wordIndexFold(c, "when")
	if w < 0 {
		return false
	}
	t := wordIndexFold(c[w:], "then")
	if t < 0 {
		return false
	}
	test := c[w+4 : w+t]
	if strings.ContainsAny(test, "=<>('\"0123456789~$") {
		return true // a comparison, a quote, PostgreSQL's ~ and $$...$$
	}
	for _, op := range []string{"like", "ilike", "rlike", "regexp", "glob", "similar", "is", "in", "between", "exists", "not"} {
		if wordIndexFold(test, op) >= 0 {
			return true
		}
	}
	return false
}

// sortSubquery: at v[k:] (inside a bracket) SELECT, then within
// sortProbeWindow bytes FROM and a name: a subquery ((Select one) is a
// form's placeholder).
func sortSubquery(v string, k int) bool {
	if n, ok := sqlWordFold(v, k, "with"); ok {
		// a CTE: (with x as (select ...) ...) (a review)
		if e, o := sqlName(v, sqlSkip(v, n)); e > sqlSkip(v, n) && o.kind == primName {
			if m, ok := sqlWordFold(v, sqlSkip(v, e), "as"); ok {
				m = sqlSkip(v, m)
				return m < len(v) && v[m] == '(' && sortSubquery(v, sqlSkip(v, m+1))
			}
		}
		return false
	}
	n, ok := sqlWordFold(v, k, "select")
	if !ok {
		return false
	}
	w := v[n:min(len(v), n+sortProbeWindow)]
	f := wordIndexFold(w, "from")
	if f < 0 {
		return false
	}
	t := sqlSkip(v, n+f+len("from"))
	if t < len(v) && v[t] == '(' {
		return true // a derived table or a bracketed name: from (select ...) x, from(users) (a review)
	}
	e, o := sqlName(v, t)
	if e <= t || o.kind != primName && o.kind != primQuotedName && o.kind != primCall {
		return false
	}
	// then what goes on after a table in SQL ((select one from the list)
	// is prose)
	e = sqlSkip(v, e)
	if e < len(v) && strings.IndexByte("),;", v[e]) >= 0 {
		return true
	}
	_, ok = sqlWordFold(v, e, "where", "join", "inner", "left", "cross", "group", "order", "limit", "as", "union", "having", "natural", "except",
		"intersect", "minus")
	if !ok {
		if m, ok2 := sqlName(v, e); m > e && ok2.kind == primName {
			// an alias, then one of those
			m = sqlSkip(v, m)
			_, ok = sqlWordFold(v, m, "where", "join", "inner", "left", "cross", "group", "order", "limit", "union", "having")
			ok = ok || m < len(v) && strings.IndexByte("),;", v[m]) >= 0
		}
	}
	return ok
}

// bareNameArgument: the call whose bracket opens at v[b] has as its
// argument number i (from 0; -1: any) a bare or quoted name (a column),
// not a number, a string or an expression: nchar(password),
// geography::Parse(password) but not char(65), geometry::Point(1, 2,
// 4326).
func bareNameArgument(v string, b, i int) bool {
	if b < 0 || b >= len(v) || v[b] != '(' {
		return false
	}
	c := closingBracket(v, b, sortProbeWindow)
	if c < 0 {
		return false
	}
	for n, arg := range strings.Split(v[b+1:c], ",") {
		if i >= 0 && n != i {
			continue
		}
		arg = strings.TrimSpace(arg)
		if e, o := sqlName(arg, 0); e == len(arg) && (o.kind == primName || o.kind == primQuotedName) {
			return true
		}
	}
	return false
}

// sortCompareEnd is the index after a comparison operator at v[k:] that
// orders (< > <= >= ~ ~* !~ !~* ~~ ~~* !~~ !~~* ^@, PostgreSQL's ~<~
// ~<=~ ~>=~ ~>~ and @@, IS [NOT] DISTINCT FROM, or [NOT] LIKE: like), or
// k; not = <> != (status='active', status != 'Done' are a filter
// language's, and an equality tells one guess at a time).
func sortCompareEnd(v string, k int) (int, bool) {
	j := k
	if n, ok := sqlWordFold(v, j, "not"); ok {
		j = sqlSkip(v, n)
	}
	if n, ok := sqlWordFold(v, j, "like"); ok {
		return n, true
	}
	if j != k {
		return k, false
	}
	if n, ok := sqlWordFold(v, k, "sounds"); ok {
		// MySQL's SOUNDS LIKE (password sounds like 0x6d)
		if m, ok := sqlWordFold(v, sqlSkip(v, n), "like"); ok {
			return m, false
		}
	}
	if n, ok := sqlWordFold(v, k, "is"); ok {
		n = sqlSkip(v, n)
		if m, ok := sqlWordFold(v, n, "not"); ok {
			n = sqlSkip(v, m)
		}
		if m, ok := sqlWordFold(v, n, "distinct"); ok {
			if m, ok := sqlWordFold(v, sqlSkip(v, m), "from"); ok {
				return m, false
			}
		}
		return k, false
	}
	for _, o := range [...]string{"~<=~", "~>=~", "~<~", "~>~", "!~~*", "~~*", "!~*", "~*", "!~~", "~~", "!~", "~", "^@", "@@", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(v[k:], o) {
			if (o == "<" || o == ">") && k+1 < len(v) && v[k+1] == '>' {
				return k, false // <>
			}
			return k + len(o), false
		}
	}
	return k, false
}

// sortStringEnd reads a string at v[q:] as PostgreSQL and the others
// write one: '...', with a prefix (E'...', N'...', U&'...', B'...',
// X'...') or dollar-quoted ($$...$$, $t$...$t$: a review); it returns its
// end (q: none) and its text.
func sortStringEnd(v string, q int) (int, string) {
	p := q
	// MySQL's BINARY and a character set's introducer before a literal
	// (password like binary 0x7a25, password>_binary 0x6d: a review of
	// attack 81's fixes, run on MariaDB)
	if n, ok := sqlWordFold(v, p, "binary"); ok {
		p = sqlSkip(v, n)
	} else if p < len(v) && v[p] == '_' {
		t := p + 1
		for t < len(v) && t-p < 32 && identByte(v[t], "") {
			t++
		}
		// before '...', "...", 0x, 0b, x'..' or b'..' (_latin1 x'6d': attack 82)
		if n := sqlSkip(v, t); t > p+1 && n < len(v) && (v[n] == '\'' || v[n] == '"' || v[n] == '0' ||
			n+1 < len(v) && strings.IndexByte("xXbB", v[n]) >= 0 && v[n+1] == '\'') {
			p = n
		}
	}
	if p < len(v) && v[p] == '"' {
		// MySQL's double-quoted string (its default sql_mode: password>"m")
		if c := strings.IndexByte(v[p+1:min(len(v), p+1+sortProbeWindow)], '"'); c > 0 {
			return p + 2 + c, v[p+1 : p+1+c]
		}
		return q, ""
	}
	if p+1 < len(v) && v[p] == '0' && v[p+1]|0x20 == 'b' {
		// MySQL's bit literal, a binary string too (password>0b01101101)
		e := p + 2
		for e < len(v) && (v[e] == '0' || v[e] == '1') {
			e++
		}
		if e == p+2 || e < len(v) && identByte(v[e], "") {
			return q, ""
		}
		return e, sqlBitText(v[p+2 : e])
	}
	if p < len(v) && strings.IndexByte("eEnNbBxX", v[p]) >= 0 && p+1 < len(v) && v[p+1] == '\'' {
		p++
	} else if p+2 < len(v) && (v[p] == 'u' || v[p] == 'U') && v[p+1] == '&' && v[p+2] == '\'' {
		p += 2
	}
	if p < len(v) && v[p] == '\'' {
		if n := sqlOperandEnd(v, p); n > p+1 {
			if p > q && v[p-1]|0x20 == 'x' {
				return n, sqlHexText(v[p+1 : n-1]) // x'6125' is a%
			}
			if p > q && v[p-1]|0x20 == 'b' {
				return n, sqlBitText(v[p+1 : n-1]) // b'0110000100100101' is a%
			}
			return n, v[p+1 : n-1]
		}
		return q, ""
	}
	if p+1 < len(v) && v[p] == '0' && v[p+1]|0x20 == 'x' {
		// MySQL's hex literal, a binary string compared with a column
		// (password>0x6d, password like 0x6125: attack 81, run on
		// MariaDB); its text decoded for LIKE's wildcard
		e := p + 2
		for e < len(v) && ishex(v[e]) {
			e++
		}
		if e == p+2 || e < len(v) && identByte(v[e], "") {
			return q, ""
		}
		return e, sqlHexText(v[p+2 : e])
	}
	if p < len(v) && v[p] == '$' {
		t := p + 1
		for t < len(v) && t-p < 64 && identByte(v[t], "") {
			t++
		}
		if t < len(v) && v[t] == '$' {
			tag := v[p : t+1]
			if c := strings.Index(v[t+1:min(len(v), t+1+sortProbeWindow)], tag); c >= 0 {
				return t + 1 + c + len(tag), v[t+1 : t+1+c]
			}
		}
	}
	return q, ""
}

// sqlBitText is the text a bit literal's digits spell, eight a byte from
// the right as MySQL pads them (01100001 is a); a byte not 0 or 1 ends it.
func sqlBitText(bits string) string {
	if k := strings.IndexFunc(bits, func(r rune) bool { return r != '0' && r != '1' }); k >= 0 {
		bits = bits[:k]
	}
	b := make([]byte, (len(bits)+7)/8)
	for i := len(b) - 1; len(bits) > 0; i-- {
		k := max(0, len(bits)-8)
		x := byte(0)
		for _, c := range bits[k:] {
			x = x<<1 | byte(c-'0')
		}
		b[i] = x
		bits = bits[:k]
	}
	return string(b)
}

// sqlHexText is the text a hex literal's digits spell (6125 is a%), as far
// as its pairs of hex digits go.
func sqlHexText(h string) string {
	var b strings.Builder
	for k := 0; k+1 < len(h) && ishex(h[k]) && ishex(h[k+1]); k += 2 {
		b.WriteByte(unhex(h[k])<<4 | unhex(h[k+1]))
	}
	return b.String()
}

// sortTestEnd is the index after a match at v[k:] (ILIKE, RLIKE, REGEXP,
// GLOB, SIMILAR TO, NOT before them), or k: not LIKE, which prose
// writes (Looks like 'magic'; rule 210200 reads password like 'a%').
func sortTestEnd(v string, k int) int {
	j := k
	if n, ok := sqlWordFold(v, j, "not"); ok {
		j = sqlSkip(v, n)
	}
	if n, ok := sqlWordFold(v, j, "ilike", "rlike", "regexp", "glob"); ok {
		return n
	}
	if n, ok := sqlWordFold(v, j, "similar"); ok {
		if m, ok := sqlWordFold(v, sqlSkip(v, n), "to"); ok {
			return m
		}
		return k
	}
	return k
}
