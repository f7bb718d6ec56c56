package waf

import "strings"

// sortListRules is rule 210202: a value that is a sort list as a whole
// (sortListProbe), with a conversion of a column to a number or a call of
// a function whose error message shows its argument.
var sortListRules = `SecRule ` + valueHeaderTargets + ` "@` + sortListProbeOp + `" "id:210202,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a sort list (names, commas, ASC or DESC) with a conversion to a number or a function whose error message holds its argument',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// sortListProbeOp is rule 210202's operator (sortListProbe).
const sortListProbeOp = "gatewaySortListProbe"

func init() { registerGoOperator(sortListProbeOp, sortListProbe) }

// sortListDepth bounds the brackets sortListProbe reads into (groups and
// calls' arguments): deeper, the value is not read as a sort list.
const sortListDepth = 8

// sortListProbe is rule 210202's operator: the whole value (white space
// and comments around it) is an ORDER BY list, items separated by commas,
// each an expression (names bare or quoted and dotted, numbers, strings,
// calls, brackets, signs, arithmetic and ||) with ASC or DESC and NULLS
// FIRST or LAST after it; and one item holds, at any depth, a probe: a
// conversion to a type whose error message shows the value it could not
// convert (sortProbeType: CAST(x AS INT) and TRY_CAST, SQL Server's
// CONVERT(INT, x) and PARSE(x AS INT) as tsqlConversionAt reads them,
// PostgreSQL's x::int and int4(x)), a call of one of MySQL's functions
// whose error quotes their argument (sortErrorFunction: rule 210105's) or
// a call of a function of Oracle's own packages (oracleName: rule
// 210101's).
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
// no probe (name desc, price asc; lower(name), id) and conversions to a
// type whose error shows nothing (MySQL's CAST(x AS SIGNED)). A value
// that is a conversion alone, such as a search for the snippet
// cast(x as int), is refused: the price. PostgreSQL's x::int counts with
// the type in one case only (Ruby's Types::Integer is not read; nor is
// password::Int). Linear: the reader never goes back, brackets are read
// at most sortListDepth deep, a probe's brackets are matched within 256
// bytes, and comments' ends are searched once (sqlReader).
func sortListProbe(v string) bool {
	if strings.IndexByte(v, '(') < 0 && !strings.Contains(v, "::") {
		return false
	}
	s := sortListReader{r: newSQLReader(v)}
	e, ok := s.list(s.r.skip(0), 0)
	if !ok {
		return false
	}
	if e < len(v) && v[e] == ';' {
		e = s.r.skip(e + 1)
	}
	return e == len(v) && s.found
}

// sortListReader reads a sort list (sortListProbe) and remembers whether
// a probe was read.
type sortListReader struct {
	r     *sqlReader
	found bool
}

// list reads items separated by commas at v[j:] (at depth 0 with ASC,
// DESC, NULLS FIRST or NULLS LAST after each); it returns the index after
// the last item and the white space after it.
func (s *sortListReader) list(j, depth int) (int, bool) {
	v := s.r.v
	for {
		e, ok := s.item(j, depth)
		if !ok {
			return j, false
		}
		k := s.r.skip(e)
		if depth == 0 {
			if n, ok := sqlWordFold(v, k, "asc", "desc"); ok {
				k = s.r.skip(n)
			}
			if n, ok := sqlWordFold(v, k, "nulls"); ok {
				m, ok := sqlWordFold(v, s.r.skip(n), "first", "last")
				if !ok {
					return k, false
				}
				k = s.r.skip(m)
			}
		}
		if k >= len(v) || v[k] != ',' {
			return k, true
		}
		j = s.r.skip(k + 1)
	}
}

// item reads an expression at v[j:]: terms joined by + - * / % or ||.
func (s *sortListReader) item(j, depth int) (int, bool) {
	v := s.r.v
	for {
		e, ok := s.term(j, depth)
		if !ok {
			return j, false
		}
		k := s.r.skip(e)
		switch {
		case strings.HasPrefix(v[k:], "||"):
			j = s.r.skip(k + 2)
		case k < len(v) && strings.IndexByte("+-*/%", v[k]) >= 0:
			j = s.r.skip(k + 1)
		default:
			return e, true
		}
	}
}

// term reads one operand at v[j:] after signs: a number, a string, a
// bracketed expression, a name, or a call (a probe's, or another's with
// its arguments read as items), then PostgreSQL's ::type casts.
func (s *sortListReader) term(j, depth int) (int, bool) {
	v, r := s.r.v, s.r
	for j < len(v) && strings.IndexByte("-+~", v[j]) >= 0 {
		j = r.skip(j + 1)
	}
	if j >= len(v) {
		return j, false
	}
	e := j
	switch c := v[j]; {
	case c == '(':
		if depth >= sortListDepth {
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
	// PostgreSQL's casts, password::int
	for k := r.skip(e); strings.HasPrefix(v[k:], "::"); k = r.skip(e) {
		t := r.skip(k + 2)
		n := identEnd(v, t)
		if n == t {
			return j, false
		}
		if w := v[t:n]; sortProbeType(w) && (w == strings.ToLower(w) || w == strings.ToUpper(w)) {
			s.found = true
		}
		e = n
	}
	return e, true
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
		return j, false
	}
	fn := parts[n-1]
	probe := false
	switch strings.ToLower(fn) {
	case "cast", "try_cast", "safe_cast":
		if n != 1 {
			break
		}
		// CAST(expr AS type): the expression read as an item
		k, ok := s.item(r.skip(b+1), depth+1)
		k = r.skip(k)
		a, as := sqlWordFold(v, k, "as")
		if !ok || !as {
			return j, false
		}
		t := r.skip(a)
		w := identEnd(v, t)
		if w == t {
			return j, false
		}
		if sortProbeType(v[t:w]) {
			s.found = true
		}
		// the type's own brackets, decimal(10,2), and the cast's
		k = r.skip(w)
		if strings.EqualFold(v[t:w], "double") {
			if p, ok := sqlWordFold(v, k, "precision"); ok {
				k = r.skip(p)
			}
		}
		if k < len(v) && v[k] == '(' {
			if k = closingBracket(v, k, 64); k < 0 {
				return j, false
			}
			k = r.skip(k + 1)
		}
		if k >= len(v) || v[k] != ')' {
			return j, false
		}
		return k + 1, true
	case "convert", "try_convert", "parse", "try_parse":
		probe = n == 1 && tsqlConversionAt(r, j)
	case "int2", "int4", "int8", "float4", "float8":
		probe = n == 1 // PostgreSQL's casts written as calls, int4(password)
	}
	if !probe {
		probe = n == 1 && sortErrorFunction(fn) || oracleName(parts[:n])
	}
	if probe {
		c := closingBracket(v, b, 256)
		if c < 0 {
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
	k, ok := s.list(k, depth+1)
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
	case "uuid_to_bin", "bin_to_uuid", "gtid_subtract", "gtid_subset", "wait_for_executed_gtid_set":
		return true
	}
	return false
}

// sortProbeType: a conversion to the type t fails, for a column's text,
// with an error that shows the text (SQL Server's numbers; PostgreSQL's
// numbers, uuid, boolean, date and time, json, xml, inet).
func sortProbeType(t string) bool {
	switch strings.ToLower(t) {
	case "int", "integer", "bigint", "smallint", "tinyint", "int2", "int4", "int8", "numeric", "decimal", "dec", "number",
		"float", "float4", "float8", "real", "double", "money", "smallmoney", "bit",
		"uuid", "uniqueidentifier", "bool", "boolean", "date", "timestamp", "timestamptz", "json", "jsonb", "xml", "inet":
		return true
	}
	return false
}
