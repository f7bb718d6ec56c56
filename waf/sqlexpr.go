package waf

import "strings"

// sqlReader is a value read by rule 210200's operator (and 210179's):
// the value, and where the last searches for a comment's end found it,
// so that reading from every ';' and every operand does not search the
// same comment again (16 KiB of ;# cost 47-97 ms before: a review).
type sqlReader struct {
	v string
	// no line end in v[lineFrom:lineEnd]; v[lineEnd] is one, or
	// lineEnd is len(v); lineFrom < 0: no search yet
	lineFrom, lineEnd int
	// no */ in v[blockFrom:blockAt]; v[blockAt:] starts with it, or
	// blockAt < 0: none after blockFrom
	blockFrom, blockAt int
	searched           bool // the block fields hold a search
	scanned            int  // bytes searched for comments' ends (tests)
	// skip's answer + 1 from the places a long skip passed (0: not yet),
	// its scratch, and the places and blanks it read (tests)
	skips   []int32
	skipped []int
	steps   int
}

// newSQLReader is a reader of v with nothing searched yet.
func newSQLReader(v string) *sqlReader { return &sqlReader{v: v, lineFrom: -1} }

// skip is the index after white space and comments (--, # and /* */)
// from j, with the searches remembered. Its answer is kept for each place a
// skip over more than two comments or 32 bytes passed: many quotes or ;s
// before one
// run of comments (';#;#...\n#\n#\n...) each walked the whole run
// (0.17-0.45 s for 12-16 KiB in 210200, 210179 and 210201: a review).
func (r *sqlReader) skip(j int) int {
	v := r.v
	visited := r.skipped[:0]
	for j < len(v) {
		if r.skips != nil && r.skips[j] != 0 {
			j = int(r.skips[j]) - 1
			break
		}
		visited = append(visited, j)
		k := sqlSkip(v, j)
		r.steps += k - j + 1
		if strings.HasPrefix(v[k:], "--") || strings.HasPrefix(v[k:], "#") {
			j = r.lineEndFrom(k)
			continue
		}
		if strings.HasPrefix(v[k:], "/*") {
			if e := r.blockEndFrom(k + 2); e >= 0 {
				j = e + 2
				continue
			}
			k = len(v)
		}
		j = k
		break
	}
	j = min(j, len(v))
	if len(visited) > 2 || len(visited) > 0 && j-visited[0] > 32 {
		if r.skips == nil {
			r.skips = make([]int32, len(v)+1)
		}
		for _, p := range visited {
			r.skips[p] = int32(j) + 1
		}
	}
	r.skipped = visited
	return j
}

// lineEndFrom is the index of the first \r or \n at or after j, or len(v).
func (r *sqlReader) lineEndFrom(j int) int {
	if r.lineFrom >= 0 && j >= r.lineFrom && j <= r.lineEnd {
		return r.lineEnd
	}
	stop := len(r.v)
	if r.lineFrom > j {
		stop = r.lineFrom // past it, the answer is known
	}
	e := stop
	if k := strings.IndexAny(r.v[j:stop], "\r\n"); k >= 0 {
		e = j + k
		r.scanned += k + 1
	} else if r.scanned += stop - j; stop < len(r.v) {
		e = r.lineEnd
	}
	r.lineFrom, r.lineEnd = j, e
	return e
}

// blockEndFrom is the index of the first */ at or after j, or -1.
func (r *sqlReader) blockEndFrom(j int) int {
	if r.searched && j >= r.blockFrom && (r.blockAt < 0 || j <= r.blockAt) {
		return r.blockAt
	}
	stop := len(r.v)
	if r.searched && j < r.blockFrom {
		stop = min(r.blockFrom+1, len(r.v)) // past it, the answer is known
	}
	e := strings.Index(r.v[j:stop], "*/")
	if e >= 0 {
		r.scanned += e + 2
		e += j
	} else if r.scanned += stop - j; stop < len(r.v) {
		e = r.blockAt
	}
	r.searched, r.blockFrom, r.blockAt = true, j, e
	return e
}

// numberOperandOp is rule 210200's operator (numberOperand).
const numberOperandOp = "gatewayNumberOperand"

func init() { registerGoOperator(numberOperandOp, numberOperand) }

// numberOperand is rule 210200's operator: at the value's start (or after
// a ';' and a name=), a number (bare or quoted), OR, AND, XOR, || or &&,
// and an operand that no prose writes there and that a numeric context
// reads as a condition: a name after a unary operator (-id, ~id, !id,
// NOT id), an operand with arithmetic on a number (id+0, 2*1), an operand
// then NOTNULL, ISNULL or COLLATE and a collation, or one of the names
// every table has or a date keyword (rowid, _rowid_, oid, id,
// user_id, uid, pk, current_date, localtime); then the value's end, a
// comment, a ';', a closing parenthesis or a clause (LIMIT, ORDER BY,
// UNION, ...). A number alone with NOTNULL (5 notnull: (id = 5) NOTNULL,
// every row) counts too. WHERE id = 5 or rowid, 5 or 1 notnull,
// 5 or 1 collate nocase, 5 or ~id, 5 or current_date are every row on
// SQLite (rowid on every rowid table, with no column to guess), MySQL
// (a non-zero id is true) or PostgreSQL (NOTNULL); they passed the CRS,
// libinjection (the shape of "1 or more") and rule 210155, which reads a
// constant or a comparison there (a fresh-eyes attack, attack 68). A
// bare word that is not one of those names passes: "5 or more",
// "18 or older", "10 or 20% off", "1 or 2 days"; "5 or 10-15" alone is
// refused (arithmetic): the price. A call is not read (the CRS knows
// SQL's functions, and 10 or iPhone12(mini), 1 or name (of it) are
// prose). Each start is read over a few
// operands (at most 64 bytes each).
func numberOperand(v string) bool { return numberOperandIn(newSQLReader(v)) }

// numberOperandIn is numberOperand on r's value.
func numberOperandIn(r *sqlReader) bool {
	v := r.v
	for j := 0; ; {
		k := j
		if j > 0 {
			// a part's name=
			if n := sqlSkip(v, j); n < len(v) && identByte(v[n], "") {
				e := n
				for e < len(v) && e-n < 64 && identByte(v[e], ".[]-") {
					e++
				}
				if e < len(v) && v[e] == '=' {
					k = e + 1
				}
			}
		}
		if numberOperandAt(r, k) || j == 0 && orderByProbe(r, k) {
			return true
		}
		n := strings.IndexByte(v[j:], ';')
		if n < 0 {
			return false
		}
		j += n + 1
	}
}

// numberOperandAt reads numberOperand's shape at v[j:]: a constant (a
// number, a string, NULL; signed or not), a logical operator and an
// expression no prose writes (sqlExpr), then an end; or a name and
// NOTNULL or ISNULL (WHERE id = rowid notnull, tableoid notnull: every
// row). Comments count as blanks (5--x<LF>or rowid, MySQL's #).
func numberOperandAt(r *sqlReader, j int) bool {
	v := r.v
	j = r.skip(j)
	e, left, _ := sqlSignedPrimary(r, j, 0)
	switch {
	case left.kind == primNumber || left.kind == primString || left.quoted && (e >= len(v) || v[e] != '.'):
		// a constant; "5" is a string to MySQL and to SQLite when no
		// column has that name ("5" or rowid, "" or rowid: a review)
	case left.kind == primCall && strings.EqualFold(left.text, "cast"):
		// cast(5 as int) or 1=1: every row on SQLite, PostgreSQL and
		// MariaDB (attack 71); the CRS knows the other calls
	case left.kind == primName || left.kind == primQuotedName:
		k := r.skip(e)
		if x, ok := sqlWordFold(v, k, "notnull", "isnull"); ok {
			return numberOperandEnds(v, x)
		}
		return left.strong && nameLeadTest(r, k)
	default:
		return false
	}
	k := r.skip(e)
	// arithmetic on constants (5+0, '5'+0, 5 div 1)
	arithmetic := false
	for range 4 {
		q, arith, ok := sqlBinary(r, k)
		if !ok || !arith {
			break
		}
		n, o, _ := sqlSignedPrimary(r, r.skip(q), 0)
		if !sqlConstant(o) {
			break
		}
		k, arithmetic = r.skip(n), true
	}
	// a test of the constant itself, which SQL reads after the slot's
	// own =: WHERE id = 5 is not 5 is (id = 5) IS NOT 5, every row on
	// SQLite (=, IS, IN, LIKE and GLOB share a level, read left to
	// right), as are 5 not in (5), 5 not like 5, 5 = 0 (every row but
	// one), 5 is not true and 5 is distinct from true on PostgreSQL;
	// 1 is not (password glob 'pw1*') read a password a letter a request
	// (attack 70). After arithmetic (5+0 is not true, 1+1<>2: attack
	// 71) = < > and their kin are prose's (1+1=2, 2*3>5), the tests and
	// <> != are not.
	if p, strong := sqlTests(r, k, left, arithmetic); strong && numberOperandEnds(v, p) {
		return true
	}
	switch {
	case strings.HasPrefix(v[k:], "||") || strings.HasPrefix(v[k:], "&&"):
		k += 2
	default:
		x, ok := sqlWordFold(v, k, "or", "and", "xor")
		if !ok {
			return false
		}
		k = x
	}
	end, strong, ok := sqlExpr(r, r.skip(k), 0)
	// after a cast, no prose: any operand (cast(5 as int) or true)
	cast := left.kind == primCall
	return ok && (strong || cast) && numberOperandEnds(v, end)
}

// nameLeadTest reads at v[k:], after a name every table has (id, rowid,
// [id], users.id: left), what makes WHERE id = <value> every row: OR,
// XOR or || and a constant or such a name (id or true, rowid or 5, id or
// rowid), AND and a constant (id and 1), IS NOT NULL, IS TRUE, IS NOT
// FALSE, IS NOT UNKNOWN, IS [NOT] a number, IS [NOT] DISTINCT FROM,
// [NOT] LIKE or GLOB a number, [NOT] IN (...), or <> and an operand
// (id <> 5, -id <> id); then an end (attack 71 and a review). = and !=
// are a filter language's (RSQL's id==5, id!=5), AND a word is prose's
// (ID and passport), and ID is null matches no row.
func nameLeadTest(r *sqlReader, k int) bool {
	v := r.v
	// OR, XOR or || and a constant or a name every table has (id or
	// true, rowid or 5, id or rowid); AND and a constant (id and 1)
	or := -1
	if strings.HasPrefix(v[k:], "||") {
		or = k + 2
	} else if x, ok := sqlWordFold(v, k, "or", "xor"); ok {
		or = x
	}
	if or >= 0 {
		e, o, _ := sqlSignedPrimary(r, r.skip(or), 0)
		return (sqlConstant(o) || o.strong) && numberOperandEnds(v, r.skip(e))
	}
	if x, ok := sqlWordFold(v, k, "and"); ok {
		e, o, _ := sqlSignedPrimary(r, r.skip(x), 0)
		return sqlConstant(o) && numberOperandEnds(v, r.skip(e))
	}
	if x, ok := sqlWordFold(v, k, "is"); ok {
		n := r.skip(x)
		negated := false
		if m, ok := sqlWordFold(v, n, "not"); ok {
			n, negated = r.skip(m), true
		}
		// true of (id = id): IS NOT NULL, IS TRUE, IS NOT FALSE, IS
		// NOT UNKNOWN (ID is null matches no row: prose's)
		if m, ok := sqlWordFold(v, n, "null", "unknown", "false"); ok && negated {
			return numberOperandEnds(v, m)
		}
		if m, ok := sqlWordFold(v, n, "true"); ok && !negated {
			return numberOperandEnds(v, m)
		}
		if m, ok := sqlWordFold(v, n, "distinct"); ok {
			if f, ok := sqlWordFold(v, r.skip(m), "from"); ok {
				e, o, _ := sqlSignedPrimary(r, r.skip(f), 0)
				return o.kind != primNone && numberOperandEnds(v, r.skip(e))
			}
			return false
		}
		// IS NOT a number, IS 1 ((id = id) is 1; id is not 5; ID is 5
		// and ID is null match no row)
		if _, ok := sqlWordFold(v, n, "null", "unknown", "false", "true"); ok {
			return false
		}
		e, o, _ := sqlSignedPrimary(r, n, 0)
		one := strings.TrimSpace(v[n:e]) == "1"
		return o.kind == primNumber && (negated || one) && numberOperandEnds(v, r.skip(e))
	}
	n := k
	if x, ok := sqlWordFold(v, n, "not"); ok {
		n = r.skip(x)
	}
	if m, ok := sqlWordFold(v, n, "like", "glob", "regexp", "rlike"); ok {
		// [NOT] LIKE a number (id like 1, rowid not glob 5)
		e, o, _ := sqlSignedPrimary(r, r.skip(m), 0)
		return o.kind == primNumber && numberOperandEnds(v, r.skip(e))
	}
	if m, ok := sqlWordFold(v, n, "in"); ok {
		if b := r.skip(m); b < len(v) && v[b] == '(' {
			if c := closingBracket(v, b, 64); c >= 0 {
				return numberOperandEnds(v, c+1)
			}
		}
		return false
	}
	if strings.HasPrefix(v[k:], "<>") {
		e, o, _ := sqlSignedPrimary(r, r.skip(k+2), 0)
		return o.kind != primNone && numberOperandEnds(v, r.skip(e))
	}
	return false
}

// sqlTests reads postfix tests (sqlPostfix) and comparisons
// (sqlComparison, not bitwise) of the operand left at v[p:], at most 4,
// with arithmetic on their right sides; strong: one of them is (a
// comparison with a constant or a strong operand).
func sqlTests(r *sqlReader, p int, left sqlOperand, arithmetic bool) (end int, strong bool) {
	v := r.v
	for range 4 {
		if q, s, ok := sqlPostfix(r, p, left, 0); ok {
			strong = strong || s
			p = r.skip(q)
			continue
		}
		if q, right, op, ok := sqlComparison(r, p, 0); ok && !sqlBitwise(op) {
			// with a constant or a strong operand (5 = 0, 5<5=0), not a
			// product's name (1=playStation5(slim)) or a word (10 = ten);
			// after arithmetic <> and != only (1+1=2 is prose's)
			if !arithmetic || op == "<>" || op == "!=" {
				strong = strong || right.strong || sqlConstant(right)
			} else if op == "=" || op == "==" {
				// = 0, = false, = '' (5+0=0: every row but one; 1-1=0
				// is refused: the price)
				switch rt := strings.TrimSpace(v[p+len(op) : q]); {
				case rt == "0" || rt == "''" || strings.EqualFold(rt, "false"):
					strong = true
				}
			}
			p = r.skip(q)
			continue
		}
		// arithmetic on the right side (5 is not 5-0)
		if q, arith, ok := sqlBinary(r, p); ok && arith && strong {
			if e, o, _ := sqlSignedPrimary(r, r.skip(q), 0); o.kind != primNone {
				p = r.skip(e)
				continue
			}
		}
		break
	}
	return p, strong
}

// orderByProbe reads at v[j:] a column compared with a string, the whole
// value (not a ';' part's: requests>=2.31; python_version>'3.8' is a
// pip requirement): a name, [NOT] LIKE, GLOB or ILIKE and a pattern with a wildcard
// (% _ *), or < > <= >= <> != and a string, inside brackets and signs or
// not, then the value's end, a comment, ASC, DESC or NULLS. An
// application that sorts by a column the client names (ORDER BY $sort)
// sorts the rows by the comparison: ORDER BY password like 'pw3%' put
// the row whose password starts so last, a password read a letter a
// request on PostgreSQL (attack 69; -(password>'pw3') too). A name
// compared with = is left: a filter language's shape (status='active').
func orderByProbe(r *sqlReader, j int) bool {
	v := r.v
	j = r.skip(j)
	prefix := func() {
		for j < len(v) && strings.IndexByte("-+~!(", v[j]) >= 0 && !strings.HasPrefix(v[j:], "--") {
			j = r.skip(j + 1)
		}
	}
	prefix()
	e, name := sqlPrimary(r, j, 4)
	if name.kind != primName && name.kind != primQuotedName {
		return false
	}
	// a column times the comparison (-id*(password glob 'pw3*'),
	// id%(password glob 'pw1*'): attack 71)
	if k := r.skip(e); k < len(v) && strings.IndexByte("*/%+-", v[k]) >= 0 && !strings.HasPrefix(v[k:], "--") && !strings.HasPrefix(v[k:], "/*") {
		j = r.skip(k + 1)
		prefix()
		if e, name = sqlPrimary(r, j, 4); name.kind != primName && name.kind != primQuotedName {
			return false
		}
	}
	k := r.skip(e)
	wildcard := false
	if n, ok := sqlWordFold(v, k, "not"); ok {
		k = r.skip(n)
	}
	if n, ok := sqlWordFold(v, k, "like", "glob", "ilike"); ok {
		k, wildcard = r.skip(n), true
	} else {
		op := ""
		for _, o := range []string{"!~~*", "~~*", "!~*", "~*", "!~~", "~~", "!~", "~", "<>", "!=", "<=", ">=", "<", ">"} {
			if strings.HasPrefix(v[k:], o) {
				op = o
				break
			}
		}
		if op == "" {
			return false
		}
		k = r.skip(k + len(op))
	}
	if k >= len(v) || v[k] != '\'' {
		return false
	}
	e = sqlOperandEnd(v, k)
	if e == k || wildcard && !strings.ContainsAny(v[k+1:e-1], "%_*") {
		return false
	}
	p := r.skip(e)
	for p < len(v) && v[p] == ')' {
		p = r.skip(p + 1)
	}
	// the comparison times a column ((password glob 'pw3*')*id: a
	// review)
	if p < len(v) && strings.IndexByte("*/%+-", v[p]) >= 0 && !strings.HasPrefix(v[p:], "--") && !strings.HasPrefix(v[p:], "/*") {
		j = r.skip(p + 1)
		prefix()
		if e, name = sqlPrimary(r, j, 4); name.kind != primName && name.kind != primQuotedName {
			return false
		}
		for p = r.skip(e); p < len(v) && v[p] == ')'; {
			p = r.skip(p + 1)
		}
	}
	if _, ok := sqlWordFold(v, p, "asc", "desc", "nulls"); ok {
		return true
	}
	return numberOperandEnds(v, p)
}

// The kinds of operand sqlPrimary reads.
const (
	primNone       = iota
	primNumber     // 5, 0x1, 1e0
	primString     // 'a', N'a', x'31'
	primName       // id, users.id
	primQuotedName // [id], `id`, "id"
	primCall       // f(...)
	primGroup      // (expr), {x expr}
)

// sqlOperand is what sqlPrimary read: its kind, its text (a name's or a
// quoted name's, for "the same as the left side") and whether it makes
// the expression one no prose writes (strong).
type sqlOperand struct {
	kind   int
	text   string
	strong bool
	quoted bool // a name of one part in double quotes: a string to MySQL
}

// sqlExpr reads an SQL expression at v[j:] for rule 210200: operands
// (sqlPrimary) with unary operators before them, postfix tests after
// them and binary operators between them, at most 64 operands and 8
// levels of brackets. It returns the end of the longest expression read
// (an operator whose right side does not read is left out), whether any
// part of it is one no prose writes (strong: a unary operator, a name
// every table has, a quoted name, a comparison, a bitwise operator,
// arithmetic on a number or on the same name, NOTNULL, ISNULL, COLLATE,
// IS with a constant or the same name, LIKE with a constant or the same
// name, BETWEEN constants, IN (...)), and whether an operand was read.
func sqlExpr(r *sqlReader, j, depth int) (end int, strong, ok bool) {
	v := r.v
	end = j
	var prev sqlOperand
	arithmetic := false
	for i := 0; i < 64; i++ {
		k, unary := j, false
		for k < len(v) {
			if strings.HasPrefix(v[k:], "||/") || strings.HasPrefix(v[k:], "|/") {
				// PostgreSQL's roots (5 or |/price > 0: attack 72)
				k, unary = r.skip(k+strings.IndexByte(v[k:], '/')+1), true
				continue
			}
			if strings.IndexByte("-+~!@", v[k]) >= 0 && !strings.HasPrefix(v[k:], "--") && !strings.HasPrefix(v[k:], "@@") {
				k, unary = r.skip(k+1), true
				continue
			}
			if e, ok := sqlWordFold(v, k, "not"); ok {
				k, unary = r.skip(e), true
				continue
			}
			break
		}
		e, left := sqlPrimary(r, k, depth)
		if left.kind == primNone {
			return end, strong, i > 0
		}
		if arithmetic && sqlArithmetic(prev, left) {
			strong = true // id+0, price*1, id-id
		}
		strong = strong || left.strong || unary
		p := r.skip(e)
		for range 4 {
			if q, s, ok := sqlPostfix(r, p, left, depth); ok {
				strong = strong || s
				p = r.skip(q)
				continue
			}
			if q, right, op, ok := sqlComparison(r, p, depth); ok {
				// a comparison; a bitwise operator as arithmetic is
				// (A & B, macBook(2020) & charger are prose)
				switch {
				case sqlBitwise(op):
					strong = strong || sqlArithmetic(left, right)
				case strings.Contains(op, "~") || op == "@@":
					// a pattern or the same name (5 or so ~ maybe is
					// prose's tilde)
					strong = strong || right.kind == primString || right.strong || sqlSame(left, right)
				default:
					strong = true
				}
				p = r.skip(q)
				continue
			}
			break
		}
		end = p
		q, arith, ok := sqlBinary(r, p)
		if !ok {
			return end, strong, true
		}
		prev, arithmetic, j = left, arith, r.skip(q)
	}
	// 64 operands: no prose (5 or id+id+...+1 passed at 9 when the bound
	// was 8 and ended the reading: attack 72); at the top, read as one
	// that ends
	if depth == 0 {
		return len(v), true, true
	}
	return end, true, true
}

// sqlPrimary reads one operand at v[j:] (sqlOperand's kinds), or none.
func sqlPrimary(r *sqlReader, j, depth int) (int, sqlOperand) {
	v := r.v
	if j >= len(v) {
		return j, sqlOperand{}
	}
	switch c := v[j]; {
	case c == '\'':
		if e := sqlOperandEnd(v, j); e > j {
			return e, sqlOperand{kind: primString}
		}
	case c == '"' || c == '`' || c == '[':
		if e, o := sqlName(v, j); o.kind != primNone {
			return e, o
		}
		if c == '"' {
			// text in double quotes that is not a name: a string
			rest := v[j+1:]
			if len(rest) > 64 {
				rest = rest[:64]
			}
			if k := strings.IndexByte(rest, '"'); k >= 0 {
				return j + 1 + k + 1, sqlOperand{kind: primString}
			}
		}
	case c == '(':
		if depth >= 8 {
			// brackets 8 deep: no prose; read to the closing one
			// ((((((rowid notnull))))) passed at 5 when the bound was 4
			// and ended the reading: attack 72)
			if c := closingBracket(v, j, 256); c >= 0 {
				return c + 1, sqlOperand{kind: primGroup, strong: true}
			}
			return j, sqlOperand{}
		}
		e, strong, ok := sqlExpr(r, r.skip(j+1), depth+1)
		if !ok || e >= len(v) || v[e] != ')' {
			return j, sqlOperand{}
		}
		return e + 1, sqlOperand{kind: primGroup, strong: strong}
	case c == '{':
		// MySQL's ODBC escape, {x expr}
		n := identEnd(v, j+1)
		if n == j+1 || depth >= 8 {
			return j, sqlOperand{}
		}
		e, _, ok := sqlExpr(r, r.skip(n), depth+1)
		if !ok || e >= len(v) || v[e] != '}' {
			return j, sqlOperand{}
		}
		return e + 1, sqlOperand{kind: primGroup, strong: true}
	case c >= '0' && c <= '9' || c == '.':
		if e := sqlNumberEnd(v, j); e > j {
			return e, sqlOperand{kind: primNumber}
		}
	case identByte(c, "$"):
		if e, ok := sqlWordFold(v, j, "null", "true", "false", "unknown"); ok {
			return e, sqlOperand{kind: primNumber}
		}
		if (c|0x20 == 'n' || c|0x20 == 'x' || c|0x20 == 'b') && j+1 < len(v) && v[j+1] == '\'' {
			if e := sqlOperandEnd(v, j+1); e > j+1 {
				return e, sqlOperand{kind: primString} // N'a', x'31', b'1'
			}
		}
		return sqlName(v, j)
	}
	return j, sqlOperand{}
}

// sqlName reads a name at v[j:]: parts bare ([\w$]), in double quotes,
// backticks or brackets (a name's characters inside), joined by dots (at
// most 4: main."u".[rowid]), then a call's brackets or not. Its text is
// the last part's. Strong: the last part is a name every table has, or
// a name in brackets or backticks without a space ([citation needed] is
// prose), or a call of a date function (time(), unixepoch(), strftime):
// true in a numeric context, and unknown to the CRS.
func sqlName(v string, j int) (int, sqlOperand) {
	var o sqlOperand
	e := j
	for part := 0; part < 4; part++ {
		k, text, quote := sqlNamePart(v, e)
		if k == e {
			if part == 0 {
				return j, sqlOperand{}
			}
			return e - 1, o // the dot is not the name's
		}
		o = sqlOperand{kind: primName, text: text, quoted: part == 0 && quote == '"'}
		if quote != 0 {
			o.kind = primQuotedName
			o.strong = quote != '"' && !strings.Contains(text, " ")
		}
		o.strong = o.strong || numberOperandName(text)
		e = k
		if e >= len(v) || v[e] != '.' {
			break
		}
		e++
	}
	if o.kind == primName {
		if b := sqlSkip(v, e); b < len(v) && v[b] == '(' {
			c := closingBracket(v, b, 64)
			if c < 0 {
				return j, sqlOperand{}
			}
			switch strings.ToLower(o.text) {
			case "time", "date", "datetime", "julianday", "unixepoch", "strftime":
				return c + 1, sqlOperand{kind: primCall, text: o.text, strong: true}
			}
			return c + 1, sqlOperand{kind: primCall, text: o.text}
		}
	}
	return e, o
}

// sqlNamePart reads one part of a name at v[j:] (sqlName): its end, its
// text and its quote (0 for a bare one); the end is j when there is none.
func sqlNamePart(v string, j int) (end int, text string, quote byte) {
	if j >= len(v) {
		return j, "", 0
	}
	switch c := v[j]; c {
	case '"', '`', '[':
		closer := c
		if c == '[' {
			closer = ']'
		}
		rest := v[j+1:]
		if len(rest) > 64 {
			rest = rest[:64]
		}
		k := strings.IndexByte(rest, closer)
		if k <= 0 {
			return j, "", 0
		}
		for i := 0; i < k; i++ {
			if !identByte(rest[i], "$ ") {
				return j, "", 0 // not a name: text in quotes
			}
		}
		return j + 1 + k + 1, rest[:k], c
	}
	k := j
	for k < len(v) && k-j < 64 && identByte(v[k], "$") {
		k++
	}
	if k == j || v[j] >= '0' && v[j] <= '9' {
		return j, "", 0
	}
	return k, v[j:k], 0
}

// sqlBitwise: op is a bitwise operator.
func sqlBitwise(op string) bool {
	return op == "<<" || op == ">>" || op == "|" || op == "&" || op == "^"
}

// sqlArithmetic: arithmetic between a and b is one no prose writes: on a
// name and a number or a name (id+0, price*1, id*id), or on a name
// every table has. Between two numbers it is prose's range (1 or 2-3 or
// more, 5 or 10-15), and a number less a word its dash (1 or 2 - maybe).
func sqlArithmetic(a, b sqlOperand) bool {
	named := func(o sqlOperand) bool { return o.kind == primName || o.kind == primQuotedName }
	return a.strong || b.strong || named(a) && (b.kind == primNumber || named(b))
}

// sqlSignedPrimary is sqlPrimary after unary operators (- + ~ !), and
// whether there were any.
func sqlSignedPrimary(r *sqlReader, j, depth int) (int, sqlOperand, bool) {
	v := r.v
	unary := false
	for j < len(v) && strings.IndexByte("-+~!", v[j]) >= 0 && !strings.HasPrefix(v[j:], "--") {
		j, unary = r.skip(j+1), true
	}
	e, o := sqlPrimary(r, j, depth)
	return e, o, unary
}

// collationEnd is the end of a collation's name at v[n:]: one in quotes
// or brackets ("C", `utf8mb4_bin`, pg_catalog."C"), a name with an
// underscore (utf8mb4_bin, latin1_swedish_ci, und_x_icu) or one of
// SQLite's, PostgreSQL's and MySQL's own (nocase, binary, rtrim, c,
// posix, default, ucs_basic, unicode, ascii, latin1, utf8, utf8mb4);
// or -1. A word of prose after collate (collate copies, collate them)
// is not one.
func collationEnd(r *sqlReader, n int) int {
	v := r.v
	if n >= len(v) {
		return -1
	}
	if e, o := sqlPrimary(r, n, 4); o.kind == primQuotedName || o.kind == primString {
		return e
	}
	e := n
	for e < len(v) && e-n < 64 && (identByte(v[e], "$") || v[e] == '.') {
		e++
	}
	if e > n && v[e-1] == '.' && e < len(v) && v[e] == '"' {
		if q := strings.IndexByte(v[e+1:], '"'); q >= 0 {
			return e + 1 + q + 1 // pg_catalog."C"
		}
	}
	name := strings.ToLower(v[n:e])
	if name == "" {
		return -1
	}
	if strings.Contains(name, "_") {
		return e
	}
	switch name {
	case "nocase", "binary", "rtrim", "c", "posix", "default", "unicode", "ascii", "latin1", "utf8", "utf8mb4", "utf16", "ucs2":
		return e
	}
	return -1
}

// sqlConstant: o is a number, a string, null, true or false.
func sqlConstant(o sqlOperand) bool { return o.kind == primNumber || o.kind == primString }

// sqlSame: o names what left names (id is id, rowid like rowid).
func sqlSame(left, o sqlOperand) bool {
	return left.text != "" && strings.EqualFold(left.text, o.text)
}

// sqlPostfix reads a postfix test at v[p:] after the operand left:
// NOTNULL, ISNULL, COLLATE name, IS [NOT] [DISTINCT FROM] x,
// [NOT] LIKE/GLOB/REGEXP/RLIKE/ILIKE/SIMILAR TO/SOUNDS LIKE x,
// [NOT] BETWEEN [SYMMETRIC] x AND y, [NOT] IN (...). strong: as sqlExpr
// counts them.
func sqlPostfix(r *sqlReader, p int, left sqlOperand, depth int) (end int, strong, ok bool) {
	v := r.v
	if x, ok := sqlWordFold(v, p, "notnull", "isnull"); ok {
		return x, true, true
	}
	if strings.HasPrefix(v[p:], "::") {
		// PostgreSQL's cast; to a type whose input fails on text, a
		// conversion whose error shows the value (1 and
		// password::regclass>0: attack 75)
		j := r.skip(p + 2)
		e, t := sqlName(v, j)
		if t.kind == primNone {
			return p, false, false
		}
		return e, pgTypeAt(v, j), true
	}
	if x, ok := sqlWordFold(v, p, "collate"); ok {
		if e := collationEnd(r, r.skip(x)); e >= 0 {
			return e, true, true
		}
		return p, false, false
	}
	if x, ok := sqlWordFold(v, p, "is"); ok {
		k := r.skip(x)
		if n, ok := sqlWordFold(v, k, "not"); ok {
			k = r.skip(n)
		}
		distinct := false
		if n, ok := sqlWordFold(v, k, "distinct"); ok {
			f, ok := sqlWordFold(v, r.skip(n), "from")
			if !ok {
				return p, false, false
			}
			k, distinct = r.skip(f), true
		}
		e, o, unary := sqlSignedPrimary(r, k, depth)
		if o.kind == primNone {
			return p, false, false
		}
		return e, distinct || unary || o.strong || sqlConstant(o) || sqlSame(left, o), true
	}
	k, negated := p, false
	if n, ok := sqlWordFold(v, k, "not"); ok {
		k, negated = r.skip(n), true
	}
	matchEnd := -1
	if n, ok := sqlWordFold(v, k, "like", "glob", "regexp", "rlike", "ilike"); ok {
		matchEnd = n
	} else if n, ok := sqlWordFold(v, k, "similar", "sounds"); ok {
		if m, ok := sqlWordFold(v, r.skip(n), "to", "like"); ok {
			matchEnd = m
		}
	}
	if matchEnd >= 0 {
		e, o, unary := sqlSignedPrimary(r, r.skip(matchEnd), depth)
		if o.kind == primNone {
			return p, false, false
		}
		// NOT, a quoted pattern, the same or a strong name, or constants
		// on both sides (5 like 0); a word like a number is prose
		// (10 or more like 20)
		return e, negated || unary || o.strong || o.kind == primString || sqlSame(left, o) || sqlConstant(left) && sqlConstant(o), true
	}
	if n, ok := sqlWordFold(v, k, "between"); ok {
		n = r.skip(n)
		if m, ok := sqlWordFold(v, n, "symmetric", "asymmetric"); ok {
			n = r.skip(m)
		}
		e, lo, _ := sqlSignedPrimary(r, n, depth)
		a, ok := sqlWordFold(v, r.skip(e), "and")
		if lo.kind == primNone || !ok {
			return p, false, false
		}
		e, hi, _ := sqlSignedPrimary(r, r.skip(a), depth)
		if hi.kind == primNone {
			return p, false, false
		}
		// a name between constants (id between 0 and 9); a number
		// between numbers is prose (1 or 2 between 3 and 4)
		named := left.kind == primName || left.kind == primQuotedName
		return e, lo.strong || hi.strong || named && sqlConstant(lo) && sqlConstant(hi), true
	}
	if n, ok := sqlWordFold(v, k, "in"); ok {
		n = r.skip(n)
		if n < len(v) && v[n] == '(' {
			if c := closingBracket(v, n, 64); c >= 0 {
				// a list of constants, or a subquery (3 in (the list)
				// is prose)
				_, first, _ := sqlSignedPrimary(r, r.skip(n+1), depth+1)
				_, sel := sqlWordFold(v, r.skip(n+1), "select", "values")
				return c + 1, sel || first.strong || sqlConstant(first) || sqlSame(left, first), true
			}
		}
	}
	return p, false, false
}

// sqlBinary reads a logical operator (OR, AND, XOR, ||, &&) or an
// arithmetic one (+ - * / % DIV MOD: arithmetic, strong by its sides in
// sqlExpr) at v[p:].
func sqlBinary(r *sqlReader, p int) (end int, arithmetic, ok bool) {
	v := r.v
	if p >= len(v) {
		return p, false, false
	}
	if strings.HasPrefix(v[p:], "||") || strings.HasPrefix(v[p:], "&&") {
		return p + 2, false, true
	}
	if e, ok := sqlWordFold(v, p, "or", "and", "xor"); ok {
		return e, false, true
	}
	if e, ok := sqlWordFold(v, p, "div", "mod"); ok {
		return e, true, true
	}
	if strings.HasPrefix(v[p:], "--") || strings.HasPrefix(v[p:], "/*") {
		return p, false, false
	}
	if strings.IndexByte("+-*/%", v[p]) >= 0 {
		return p + 1, true, true
	}
	return p, false, false
}

// sqlComparison reads a comparison or a bitwise operator at v[p:] and the
// operand after it (5 or id <> -id, 5 or rowid|0), and the operator.
func sqlComparison(r *sqlReader, p, depth int) (end int, right sqlOperand, op string, ok bool) {
	v := r.v
	// PostgreSQL's matches too: ~* !~* ~~* !~~* (ILIKE) ~ !~ ~~ !~~ @@
	// (5 or name ~* '', 0 or password ~* '^pw1': attack 72)
	for _, op := range []string{"!~~*", "~~*", "!~*", "~*", "!~~", "~~", "!~", "~", "@@", "<=>", "<<", ">>", "<>", "!=", "<=", ">=", "==", "=", "<", ">", "|", "&", "^"} {
		if strings.HasPrefix(v[p:], op) {
			e, o, _ := sqlSignedPrimary(r, r.skip(p+len(op)), depth)
			if o.kind == primNone {
				return p, o, "", false
			}
			return e, o, op, true
		}
	}
	return p, sqlOperand{}, "", false
}

// numberOperandName: name is one every table has (SQLite's rowid, _rowid_
// and oid), a table's id column (id, user_id, userid, uid, pk) or a date
// keyword, true in a numeric context on SQLite and MySQL.
func numberOperandName(name string) bool {
	switch strings.ToLower(name) {
	case "rowid", "_rowid_", "oid", "id", "uid", "pk", "userid", "current_date", "current_time", "current_timestamp",
		"localtime", "localtimestamp", "utc_date", "utc_time", "utc_timestamp":
		return true
	}
	return len(name) > 3 && len(name) <= 64 && strings.EqualFold(name[len(name)-3:], "_id")
}

// numberOperandEnds: at v[p] (after white space) the value ends, or a
// comment, a ';', a closing parenthesis or a clause that goes on with a
// query.
func numberOperandEnds(v string, p int) bool {
	p = sqlSkip(v, p)
	if p == len(v) || v[p] == ';' || v[p] == '#' || v[p] == ')' || strings.HasPrefix(v[p:], "--") || strings.HasPrefix(v[p:], "/*") {
		return true
	}
	if e, ok := sqlWordFold(v, p, "order", "group"); ok {
		_, ok = sqlWordFold(v, sqlSkip(v, e), "by")
		return ok
	}
	// a clause that ends a statement: FOR UPDATE, FOR SHARE, FOR NO KEY
	// UPDATE, FOR KEY SHARE, LOCK IN SHARE MODE, RETURNING (DELETE ...
	// WHERE id = 5 or id<>-id returning password deleted every row and
	// sent the passwords back on SQLite, PostgreSQL and MariaDB: attack
	// 71)
	if e, ok := sqlWordFold(v, p, "for"); ok {
		_, ok = sqlWordFold(v, sqlSkip(v, e), "update", "share", "no", "key")
		return ok
	}
	if e, ok := sqlWordFold(v, p, "lock"); ok {
		_, ok = sqlWordFold(v, sqlSkip(v, e), "in")
		return ok
	}
	_, ok := sqlWordFold(v, p, "limit", "offset", "having", "union", "except", "intersect", "window", "into", "procedure", "returning", "or", "and", "xor")
	return ok
}
