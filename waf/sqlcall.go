package waf

import (
	"regexp"
	"slices"
	"strings"
)

// sqlCallRules are rules 210169 and 210173 (and 210216, 210217, 210218:
// pgOperatorCondition, pgOperatorAfterNumber, tableCompared): the SQL
// function calls after
// a closed quote or a leading number that 210156's and 210162's
// expressions do not read, which attacks 20 and 21 passed and which
// those expressions could not take (RE2's memory bound is spent):
//   - a function that is no word of prose, not in 210156's list:
//     ClickHouse's camelCase and numbered functions (lengthUTF8,
//     base64Encode, sipHash64, bitAnd, toDateTime64, ...): a name with a
//     lowercase letter before a capital, or a letter next to a digit;
//   - a comparison before the call (x' OR 0=sleepEachRow(3)--,
//     x' AND 'a'=json_extract(password,'$')--);
//   - a function's name in double quotes, backticks or square brackets,
//     which SQLite, MySQL and SQL Server read as the name
//     (x' OR "json_valid"('1') -- -): any name, since a quoted word with
//     a bracket right after it is a call.
//
// The shapes are 210156's and 210162's: after a quote (and closing
// brackets), OR, AND or XOR (as words; || and && too for a quoted or
// listed name), an optional NOT or !, signs and opening brackets, then the
// call; the quote's value must then hold what an injection needs for the
// query to parse (210169's chain: 210156's sqlInjectedTail, the same
// compiled program). After a number at the value's start (210173), the
// call's closing bracket must be followed by a comparison, a comment or
// the value's end, as in 210162. A Go operator, no expression on the
// value: it reads on from each quote over operands of at most 64 bytes
// and a name of 64, as many operands as there are (since attack 26), and
// a start of an operand that one quote's reading reached is not read
// again from another (sqlSeen), so a value costs a few reads of each
// byte (BenchmarkSQLCall: 50 MB/s for the dearest shape, ' or ' over and
// over).
//
// Passing: prose and code whose quotes are balanced ("x === 'a' ||
// isNaN(y)", "WHERE a = 'x' AND lengthUTF8(b) > 3" with no injected
// tail), a call of a word (x' OR greater(1,0)--: ClickHouse's English
// words, left open as 210156's are, but for empty, has, like, position).
// The false-positive risk, as 210156's: text with an odd number of
// apostrophes that quotes a string, then ORs a camelCase call.
var sqlCallRules = `SecRule ` + valueNameHeaderTargets + ` "@` + sqlQuotedCallOp + `" "id:210169,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a closed quote, a logical operator and a call of a function no word names, after a comparison, or quoted',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "@rx ` + sqlInjectedTail + `" "t:none,t:urlDecodeUni,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + pgOperatorCondOp + `" "id:210216,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a closed quote, then PostgreSQL OPERATOR() syntax',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "@rx ` + sqlInjectedTail + `" "t:none,t:urlDecodeUni,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + pgOperatorNumberOp + `" "id:210217,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a number, a logical operator, then PostgreSQL OPERATOR() syntax',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + typedLiteralOp + `" "id:210220,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a closed quote, a logical operator and a typed literal',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + tableComparedOp + `" "id:210218,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a bracketed TABLE compared',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + sqlNumberCallOp + `" "id:210173,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a number, a logical operator and a call of a function no word names, after a comparison, or quoted, then a comparison',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const (
	sqlQuotedCallOp    = "gatewaySQLQuotedCall"
	sqlNumberCallOp    = "gatewaySQLNumberCall"
	pgOperatorCondOp   = "gatewayPGOperatorCondition"
	pgOperatorNumberOp = "gatewayPGOperatorAfterNumber"
	tableComparedOp    = "gatewayTableCompared"
	typedLiteralOp     = "gatewaySQLTypedLiteral"
)

func init() {
	registerGoOperator(sqlQuotedCallOp, sqlQuotedCall)
	registerGoOperator(sqlNumberCallOp, sqlNumberCall)
	registerGoOperator(pgOperatorCondOp, pgOperatorCondition)
	registerGoOperator(pgOperatorNumberOp, pgOperatorAfterNumber)
	registerGoOperator(tableComparedOp, tableCompared)
	registerGoOperator(typedLiteralOp, sqlTypedLiteral)
}

// apostropheAt: the single quote at v[i] stands between a letter or a
// digit and a letter: an apostrophe inside a word (It's, Here's, the
// 90's), which the quote parities of 210169, 210216 and 210220 do not
// count.
func apostropheAt(v string, i int) bool {
	return i > 0 && i+1 < len(v) && (asciiLetter(v[i-1]) || v[i-1] >= '0' && v[i-1] <= '9') && asciiLetter(v[i+1])
}

// sqlTypedLiteral is rule 210220's operator: after a quote that may close
// the application's string (the first, third, ... of its kind,
// apostrophes inside words not counted, as 210169 reads them), closing
// brackets, OR, AND, XOR, || or && and perhaps NOT and opening brackets,
// a typed literal: a type's name, then a quoted string (x' or
// bool 't'--, x' or date '2020-01-01' = date '2020-01-01'#: logins on
// PostgreSQL 15 and MariaDB 10.11 that no reading of the CRS's or ours
// saw, in every place; attack 91 read a password through them). A
// literal the value closes wants what an injection into a quoted string
// needs (sqlInjectedTail, as the chains of 210169 and 210216); "Let's
// meet 'Friday' or date 'Saturday'" closes a string it opened itself and
// passes. A literal the value leaves open is closed by the application's
// own quote (x' or bool 't: a review of attack 92's fixes, which the
// chain let through) unless it holds prose's words (proseLiteral). Each
// quote reads 256 bytes at most.
func sqlTypedLiteral(v string) bool {
	if strings.IndexByte(v, '\'') < 0 {
		return false
	}
	count := 0 // the single quotes before v[i], apostrophes in words not counted
	tail := 0  // injectedTail on v: 0 not read yet, 1 matches, 2 does not
	for i := 0; i < len(v); i++ {
		if v[i] != '\'' {
			continue
		}
		outer := count%2 == 0
		if !apostropheAt(v, i) {
			count++
		}
		if !outer {
			continue
		}
		lit := typedLiteralAfter(v[:min(len(v), i+256)], i+1)
		if lit < 0 {
			continue
		}
		if q := strings.IndexByte(v[lit:min(len(v), lit+3)], '\''); q >= 0 && strings.IndexByte(v[lit+q+1:], '\'') < 0 {
			if !proseLiteral(v, lit+q) {
				return true // left open: the application's quote closes it
			}
			continue
		}
		if tail == 0 { // once a value: the whole value's reading
			tail = 2
			if injectedTail.MatchString(v) {
				tail = 1
			}
		}
		if tail == 1 {
			return true
		}
	}
	return false
}

// injectedTail is sqlInjectedTail on Go's regexp, with Coraza's flags.
var injectedTail = regexp.MustCompile(`(?sm)` + sqlInjectedTail)

// sqlSkipClosers reads comments and closing brackets from v[j:] (the
// brackets an injection closes after its quote); the index after them.
func sqlSkipClosers(v string, j int) int {
	for {
		j = sqlSkipComments(v, j)
		if j >= len(v) || v[j] != ')' {
			return j
		}
		j++
	}
}

// typedLiteralAfter reads sqlTypedLiteral's shape from v[j:]: the index
// of its literal, or -1.
func typedLiteralAfter(v string, j int) int {
	j = sqlSkipClosers(v, j)
	if k, ok := sqlWordFold(v, j, "or", "and", "xor"); ok {
		j = k
	} else if strings.HasPrefix(v[j:], "||") || strings.HasPrefix(v[j:], "&&") {
		j += 2
	} else {
		return -1
	}
	// NOT, ! and brackets, any number of them (not not bool 't', (not
	// bool 'f'): a review)
	for {
		j = sqlSkipComments(v, j)
		if k, ok := sqlWordFold(v, j, "not"); ok {
			j = k
			continue
		}
		if j < len(v) && (v[j] == '(' || v[j] == '!') {
			j++
			continue
		}
		break
	}
	// the type's name (bool, date, uuid, ...): since PostgreSQL takes any
	// type's name so (bpchar 't', regrole 'postgres': a review), any name
	// of up to three words (double precision, timestamp with time zone)
	// that is no keyword of a condition
	words := 0
	for ; words < 3; words++ {
		e := identEnd(v, j)
		if e == j || e-j > 32 || v[j] >= '0' && v[j] <= '9' {
			break
		}
		if _, kw := sqlWordFold(v, j, "not", "null", "true", "false", "is", "in", "like", "between", "and", "or", "xor", "select", "case", "exists"); kw {
			break
		}
		// a reserved word is no type's name either ("She said 'or else'
		// and left" was refused: attack 92)
		if _, kw := sqlWordFold(v, j, "else", "then", "end", "when", "from", "where", "as", "on", "to", "by", "order", "group",
			"limit", "union", "having", "with", "for", "into", "values", "all", "any", "some", "distinct", "default", "do", "only", "if"); kw {
			break
		}
		j = sqlSkipComments(v, e)
		if sqlStringStart(v, j) {
			return j
		}
	}
	return -1
}

// proseLiteral: the string whose quote is v[j], which the value does not
// close, is the rest of a quoted phrase in prose ("She said 'or never' and
// left": never, then ' and left; a review of attack 92's fixes): it has
// a blank at its ends or inside, and a word of two letters or more. An
// injection's literal that the application's quote closes is a type's
// value (x' or bool 't, date '2020-01-01, bool ' t, bool ' true); an
// empty one is none ("Requires 'curl' 'or later'"). The price: x' or
// interval ' 1 day and bool ' on pass.
func proseLiteral(v string, j int) bool {
	rest := strings.TrimSpace(v[j+1:])
	if rest == "" {
		return true // the closing quote of a phrase: 'or later'
	}
	switch strings.ToLower(rest) {
	case "true", "false":
		return false // bool ' true
	}
	if rest == v[j+1:] && !strings.ContainsAny(rest, " \t\r\n") {
		return false // no blank: bool 't, date '2020-01-01
	}
	run := 0
	for x := 0; x < len(rest); x++ {
		if asciiLetter(rest[x]) {
			if run++; run == 2 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// sqlStringStart: a string constant starts at v[j]: a quote, PostgreSQL's
// dollar quoting ($$...$$, $t$...$t$), an escape or Unicode string
// (E'...', U&'...'), a bit or hex string (B'...', X'...'), N'...'.
func sqlStringStart(v string, j int) bool {
	if j >= len(v) {
		return false
	}
	switch c := v[j] | 0x20; {
	case v[j] == '\'':
		return true
	case v[j] == '$':
		e := identEnd(v, j+1)
		return e < len(v) && v[e] == '$'
	case c == 'e' || c == 'b' || c == 'x' || c == 'n':
		return j+1 < len(v) && v[j+1] == '\''
	case c == 'u':
		return j+2 < len(v) && v[j+1] == '&' && v[j+2] == '\''
	}
	return false
}

// tableCompared is rule 210218's operator: PostgreSQL's and MySQL 8's
// TABLE <name> (SELECT * FROM <name>) in brackets of its own (ONLY, *, a
// quoted name, LIMIT, OFFSET, FETCH FIRST, ORDER BY inside), after what
// SQL puts before an operand (OR, AND, XOR, NOT, WHEN, THEN, WHERE, a
// comparison, ||, && or a comma and brackets: tableOperandBefore), and
// then SQL's: a comparison or another operator, ::, COLLATE, LIKE,
// SIMILAR TO, BETWEEN, IN, IS, OPERATOR(...) (tableComparison). x' or
// (table secrets) like 'tok_9% reads a one-column table a character at
// a time on PostgreSQL 15 (attack 90 took a whole secret in 33 s), in
// every place; 210212 read it only joined to a string and 210178 after
// UNION. Prose's brackets follow a word: "listed below (Table A)</p>",
// "(Table S1) < 0.05", "prices (table below)!" pass (a review's false
// positives of the first version). Each TABLE word reads 128 bytes
// after it and 64 before.
func tableCompared(v string) bool {
	if len(v) < 12 {
		return false
	}
	return eachFold(v, "table", func(i int) bool {
		if i+5 < len(v) && identByte(v[i+5], "") || i > 0 && identByte(v[i-1], "") {
			return false
		}
		// the brackets before it, and what stands before them
		b := i
		brackets := 0
		crossed := false // a line break since the last other byte
		for b > 0 && i-b < 256 {
			switch c := v[b-1]; {
			case c == '(':
				brackets++
				b--
				crossed = false
				continue
			case c == ' ' || c >= '\t' && c <= '\r':
				crossed = crossed || c == '\n'
				b--
				continue
			}
			if crossed {
				// a -- comment that ends the line before: (--c\ntable s)
				lo := max(0, b-128)
				ls := lo + strings.LastIndexByte(v[lo:b], '\n') + 1
				if d := strings.Index(v[ls:b], "--"); d >= 0 {
					b, crossed = ls+d, false
					continue
				}
			}
			break
		}
		before := tableOperandBefore(v, b)
		if brackets == 0 || before == 0 {
			return false
		}
		// blanks and comments after TABLE (1 KiB at most) do not count
		// against the 128 bytes read (a review padded it past them)
		n := sqlSkipComments(v[:min(len(v), i+1024)], i+5)
		w := v[:min(len(v), n+128)]
		if k, ok := sqlWordFold(w, n, "only"); ok {
			n = sqlSkipComments(w, k)
		}
		if n >= len(w) {
			return false
		}
		// the name, its parts bare, quoted or U&"..." (a schema's name
		// before it: "public"."secrets", a review)
		e := n
		for part := 0; part < 3; part++ {
			p := e
			if strings.HasPrefix(w[p:], "U&\"") || strings.HasPrefix(w[p:], "u&\"") {
				p += 2
			}
			if p < len(w) && w[p] == '"' {
				c := strings.IndexByte(w[p+1:], '"')
				if c < 0 {
					return false
				}
				e = p + c + 2
			} else if t := identEnd(w, p); t > p && (w[p] < '0' || w[p] > '9') {
				e = t
			} else {
				return false
			}
			if d := sqlSkipComments(w, e); d < len(w) && w[d] == '.' {
				e = sqlSkipComments(w, d+1)
				continue
			}
			break
		}
		a := sqlSkipComments(w, e)
		if a < len(w) && w[a] == '*' {
			a = sqlSkipComments(w, a+1) // TABLE t * (its children too)
		}
		// LIMIT n, OFFSET n [ROWS], FETCH FIRST n ROWS ONLY, ORDER BY <name> [ASC|DESC]
		for range 4 {
			if k, ok := sqlWordFold(w, a, "limit", "offset", "fetch", "order"); ok {
				for c := 0; c < 4 && k < len(w); c++ {
					m := sqlSkipComments(w, k)
					e := identEnd(w, m)
					if _, clause := sqlWordFold(w, m, "limit", "offset", "fetch", "order"); e == m || clause {
						break
					}
					k = e // its words and number (FIRST 1 ROWS ONLY, BY name DESC)
				}
				a = sqlSkipComments(w, k)
				continue
			}
			break
		}
		if a >= len(w) || w[a] != ')' {
			return false
		}
		for a < len(w) && w[a] == ')' {
			a = sqlSkipComments(w, a+1)
		}
		switch before {
		case 3:
			return true // after a comparison: 'm' < (table secrets)
		case 1:
			// at the value's start: a comparison with a string
			// ((table secrets limit 1)>'m' in a sort); "(table below) in
			// the appendix", "(Table 1) > 2" are prose's
			o := a
			for o < len(w) && o-a < 3 && strings.IndexByte("=<>!~", w[o]) >= 0 {
				o++
			}
			o = sqlSkipComments(w, o)
			return o > a && o < len(w) && w[o] == '\''
		}
		return tableComparison(w, a)
	})
}

// tableOperandBefore: what stands before v[b] (white space skipped) puts
// an operand there in SQL: 3 for a comparison (= < > ! ~); 2 for OR,
// AND, XOR, NOT, WHEN, THEN, ELSE, WHERE, HAVING, ON, SELECT, ||, &&, a
// comma or an arithmetic operator; 1 for the value's start; 0 for prose.
func tableOperandBefore(v string, b int) int {
	for b > 0 && (v[b-1] == ' ' || v[b-1] >= '\t' && v[b-1] <= '\r') {
		b--
	}
	if b == 0 {
		return 1
	}
	if strings.IndexByte("=<>!~", v[b-1]) >= 0 {
		return 3
	}
	if strings.IndexByte("|&,+-*/%^", v[b-1]) >= 0 {
		return 2
	}
	s := b
	for s > 0 && b-s < 8 && asciiLetter(v[s-1]) {
		s--
	}
	if s > 0 && identByte(v[s-1], "") {
		return 0
	}
	switch strings.ToLower(v[s:b]) {
	case "or", "and", "xor", "not", "when", "then", "else", "where", "having", "on", "select":
		return 2
	}
	return 0
}

// tableComparison: at v[a] what SQL goes on with after an operand: a
// comparison or another operator, ::, COLLATE, LIKE, ILIKE, SIMILAR,
// BETWEEN, IN, IS, NOT, GLOB, REGEXP, OPERATOR(...) (tableCompared).
func tableComparison(v string, a int) bool {
	if a >= len(v) {
		return false
	}
	if strings.IndexByte("=<>!~^@|&:+-*/%#", v[a]) >= 0 {
		return true
	}
	_, ok := sqlWordFold(v, a, "like", "ilike", "similar", "between", "glob", "regexp", "rlike", "in", "is", "not", "collate", "operator", "escape")
	return ok
}

// pgOperatorCondition is rule 210216's operator: PostgreSQL's
// OPERATOR() syntax (pgOperator: OPERATOR(=), OPERATOR(pg_catalog.||))
// with, among the 8 quotes nearest before it within pgOperatorWindow
// bytes, one that an injection closes the application's string with
// (pgBreakoutQuote). x' or 1 operator(=) 1 or ' is a login on
// PostgreSQL that no reading of =, <> or || sees (attack 89's session);
// the rule's chain wants what an injection into a quoted string needs
// (sqlInjectedTail), so a how-to that quotes a string and names the
// syntax passes. Each "operator" word reads pgOperatorWindow bytes
// before it at most.
func pgOperatorCondition(v string) bool {
	if len(v) < 12 {
		return false
	}
	return eachFold(v, "operator", func(i int) bool {
		if i > 0 && identByte(v[i-1], "") {
			return false
		}
		if op, _ := pgOperator(v, i); op == "" {
			return false
		}
		lo := max(0, i-pgOperatorWindow)
		hi := i
		for range 8 {
			q := strings.LastIndexAny(v[lo:hi], "'\"")
			if q < 0 {
				return false
			}
			q += lo
			if pgBreakoutQuote(v[:i+1], q) {
				return true
			}
			hi = q
		}
		return false
	})
}

// pgOperatorWindow is how far before OPERATOR() rules 210216 and 210217
// look (padding of blanks or digits before it: a review).
const pgOperatorWindow = 512

// pgBreakoutQuote: the quote at v[q] is no apostrophe in a word (Don't
// use OPERATOR(=) ... passes: a review), and after it (closing brackets,
// white space, comments) stands what an injection goes on with: OR, AND,
// XOR, NOT, IS, IN, LIKE, BETWEEN, a comparison, ||, && or OPERATOR
// itself. v ends after the OPERATOR word's first byte, so each reading
// stays before it.
func pgBreakoutQuote(v string, q int) bool {
	if v[q] == '\'' && apostropheAt(v, q) {
		// an apostrophe in a word, but for x'or ... (a review)
		if _, ok := sqlWordFold(v, q+1, "or", "and", "xor"); !ok {
			return false
		}
	}
	a := sqlSkipClosers(v, q+1)
	if a >= len(v) {
		return false
	}
	if strings.IndexByte("=<>!~|&", v[a]) >= 0 || a == len(v)-1 {
		return true // a comparison, || or &&, or the OPERATOR word itself
	}
	_, ok := sqlWordFold(v, a, "or", "and", "xor", "not", "is", "in", "like", "ilike", "between", "similar")
	return ok
}

// pgOperatorAfterNumber is rule 210217's operator: the value starts with
// a number (brackets and a sign before it), then OR, AND or XOR, and the
// pgOperatorWindow bytes after that hold PostgreSQL's OPERATOR() syntax
// (pgOperator): 5 or 1 operator(=) 1 in a numeric slot (attack 89's
// session), which has no quote for 210216's chain; comments count as
// blanks (5--c\nor ...: a review).
func pgOperatorAfterNumber(v string) bool {
	j := sqlSkipComments(v, 0)
	for j < len(v) && j < 64 && (v[j] == '(' || v[j] == '-' || v[j] == '+') {
		j = sqlSkipComments(v, j+1)
	}
	k := sqlNumberEnd(v, j)
	if k == j {
		return false
	}
	a := sqlSkipComments(v, k)
	for a < len(v) && a-k < 64 && v[a] == ')' {
		a = sqlSkipComments(v, a+1)
	}
	e, ok := sqlWordFold(v, a, "or", "and", "xor")
	if !ok {
		return false
	}
	w := v[:min(len(v), e+pgOperatorWindow)]
	return eachFold(w[e:], "operator", func(i int) bool {
		op, _ := pgOperator(w, e+i)
		return op != "" && !identByte(w[e+i-1], "")
	})
}

// sqlListedName is 210156's list of names, for a name alone (at most 64
// bytes): Go's regexp on a short name, never on the value.
var sqlListedName = regexp.MustCompile(`(?i)\A(?:` + sqlFunctionNames + `|` + sqlFunctionWords + `)\z`)

// sqlQuotedCall is rule 210169's operator: at a quote, the call.
func sqlQuotedCall(v string) bool {
	seen := sqlSeen{n: len(v)}
	return sqlQuotedCallSeen(v, &seen)
}

// sqlQuotedCallSeen reads on from each quote, with the starts read
// before in seen (nil: each quote's reading goes on to its end, the
// reference FuzzSQLCall compares with).
//
// Each quote's reading knows whether the quote may close the string the
// application put the value in (sqlOuterQuote): the first, third, ...
// of its kind, apostrophes inside words not counted. Only then do the
// names that are no words by a weaker sign (sqlWordless: names joined by
// underscores, SQLite's date functions) count: "Here's the fix: WHERE
// a = 'x' OR is_admin(id) = 1" closes a string it opened itself (a
// review of attack 89's fixes).
func sqlQuotedCallSeen(v string, seen *sqlSeen) bool {
	var count [3]int // the quotes of each kind before v[i], apostrophes in words not counted
	for i := 0; i < len(v); i++ {
		c := v[i]
		kind := strings.IndexByte("'\"`", c)
		if kind < 0 {
			continue
		}
		outer := count[kind]%2 == 0
		if !(c == '\'' && apostropheAt(v, i)) {
			count[kind]++
		}
		j := i + 1
		for j < len(v) && v[j] == ')' {
			j++
		}
		if sqlLogicCallEnd(v, j, true, outer, seen) >= 0 {
			return true
		}
	}
	return false
}

// sqlSeen are the operands' starts that a reading from an earlier quote
// reached (and so found no call from), one bit each for a reading after
// OR, AND or XOR and one after || or &&: what sqlCallAt finds from a
// start depends on the start alone, so a reading that reaches one stops
// there. Each start is read once, however many operands a chain has
// (attack 26 passed x' OR 1=1 AND 2=2 AND 3=3 AND 4=4 AND
// lengthUTF8(password)>5-- when four were read), and the value costs a
// few reads of each byte. The bits of the first 4096 bytes' starts are
// on the stack; a longer value's are allocated once, when a reading
// reaches a start past them.
type sqlSeen struct {
	small [4 * 4096 / 64]uint64
	large []uint64
	n     int // the value's length, set by who makes it
	// sqlEndsQuery(v), read once when first asked for: 0 not yet, 1
	// true, 2 false
	ends int8
}

// endsQuery is sqlEndsQuery(v), read once per value (each time on a
// nil s).
func (s *sqlSeen) endsQuery(v string) bool {
	if s == nil {
		return sqlEndsQuery(v)
	}
	if s.ends == 0 {
		s.ends = 2
		if sqlEndsQuery(v) {
			s.ends = 1
		}
	}
	return s.ends == 1
}

// visit marks start j (of a strict reading or not, that takes
// sqlWordless names or not) and says whether it was marked before.
func (s *sqlSeen) visit(j int, strict, wordless bool) bool {
	b := 4 * j
	if strict {
		b++
	}
	if wordless {
		b += 2
	}
	words := s.small[:]
	if b/64 >= len(words) {
		if s.large == nil {
			s.large = make([]uint64, (4*s.n+3)/64+1)
			copy(s.large, s.small[:])
		}
		words = s.large
	}
	w, m := b/64, uint64(1)<<(b%64)
	if w >= len(words) {
		return false
	}
	was := words[w]&m != 0
	words[w] |= m
	return was
}

// sqlNumberCall is rule 210173's operator: a number at the value's
// start (in brackets, signed, or an arithmetic expression of numbers),
// the call, and after its closing bracket a comparison, a comment or the
// value's end.
func sqlNumberCall(v string) bool {
	j := sqlSkip(v, 0)
	for j < len(v) && v[j] == '(' {
		j = sqlSkip(v, j+1)
	}
	end := -1 // the call, when an operator takes it: 1-sleepEachRow(3) (attack 32)
	if e := sqlOperandCall(v, j); e >= 0 && (j > 0 || v[0] == '-' || v[0] == '+' || v[0] == '~') {
		end = e // (sleepEachRow(3)), -sleepEachRow(3) (attack 33)
	} else if k := sqlLeadingWord(v, j); k > j {
		j = sqlSkip(v, k) // null OR f(3), id AND f(3) (attack 32)
		if j < len(v) && v[j] == ',' {
			end = sqlOperandCall(v, sqlSkip(v, j+1)) // id, f(3) (attack 34)
		}
	} else {
		for first := true; ; first = false {
			if !first {
				// , of a list: 3,4) OR f(3, 1, f(3) (attack 34)
				if j >= len(v) || strings.IndexByte("-+*/%,", v[j]) < 0 {
					break
				}
				j = sqlSkip(v, j+1)
				if e := sqlOperandCall(v, j); e >= 0 {
					end = e // 1-sleepEachRow(3), 1*(lengthUTF8(password)>5)
					break
				}
			}
			if j < len(v) && (v[j] == '-' || v[j] == '+') {
				j++
			}
			k := sqlNumberEnd(v, j)
			if k == j {
				return false
			}
			j = sqlSkip(v, k)
			for j < len(v) && v[j] == ')' {
				j = sqlSkip(v, j+1)
			}
		}
		if end < 0 && j < len(v) && strings.IndexByte("=<>!|&^", v[j]) >= 0 {
			// a comparison or a bitwise operator, then the call: 1=f(3),
			// 1<f(3), 1|f(3) (attack 32)
			k := j
			for k < len(v) && k-j < 2 && strings.IndexByte("=<>!|&^", v[k]) >= 0 {
				k++
			}
			end = sqlOperandCall(v, sqlSkip(v, k))
		} else if end < 0 && j > 0 && j < len(v) && (v[j-1] == ' ' || v[j-1] == '\t') {
			// a + that urlDecodeUni made a space: 1 sleepEachRow(3)
			end = sqlOperandCall(v, j)
		}
	}
	closed := false // the number was followed by a closing bracket: 1) OR f(3
	if k := strings.LastIndexByte(v[:j], ')'); k >= 0 {
		closed = true
	}
	if end < 0 {
		// a sqlSeen for its comment reading, once per value (a review
		// found 1||2||aaB()||aaB()||... read the value's end per call)
		seen := sqlSeen{n: len(v)}
		end = sqlLogicCallEnd(v, j, false, true, &seen)
	}
	if end < 0 {
		return false
	}
	if v[end-1] != '(' {
		return true // a pattern compared with a column (sqlPatternProbe)
	}
	if closed && strings.IndexByte(v[end:], ')') < 0 {
		// 1) OR sleepEachRow(3: the application's bracket closes the
		// call (WHERE (id = 1) OR sleepEachRow(3)): attack 27
		return true
	}
	// a closing bracket, then a comparison, a comment or the end
	for k := end; k < len(v) && v[k] != ';'; k++ {
		if v[k] != ')' {
			continue
		}
		a := sqlSkip(v, k+1)
		// closing brackets, subscripts and a tuple's element after the
		// call: [sleepEachRow(3)][1], (1, f(3)).1 (attack 27)
		for c := 0; c < 8 && a < len(v); c++ {
			if v[a] == ']' || v[a] == '}' || v[a] == ')' {
				a = sqlSkip(v, a+1)
			} else if e := sqlSubscriptEnd(v, a); e > a {
				a = sqlSkip(v, e)
			} else {
				break
			}
		}
		// since attack 25 also a cast, arithmetic and another term
		// (1 OR sleepEachRow(3) AND 1, sleepEachRow(3)::UInt8, ...)+0)
		// (| & ^: SQLite's and ClickHouse's || and bitwise operators:
		// attack 30)
		if a == len(v) || strings.IndexByte("=<>!#+-*/%;|&^~,", v[a]) >= 0 || strings.HasPrefix(v[a:], "::") {
			return true
		}
		if a > k+1 && v[a-1] == ' ' && (v[a] >= '0' && v[a] <= '9' || v[a] == '\'') {
			// a + that urlDecodeUni made a space, then a number or a
			// string: 1 OR sleepEachRow(3)+0 (attack 42)
			return true
		}
		// a clause after the call (1 OR sleepEachRow(3) LIMIT 1, ORDER
		// BY, SETTINGS, FORMAT JSON, AS x: attack 28; EXCEPT, INTERSECT,
		// COLLATE, ISNULL, NOTNULL and, in an ORDER BY, ASC, DESC, NULLS
		// FIRST: attack 29)
		// QUALIFY, PREWHERE, FINAL, WITH TOTALS, RETURNING, FOR UPDATE,
		// ON CONFLICT, AT TIME ZONE, a join: attack 31)
		if _, ok := sqlWordFold(v, a, "limit", "order", "group", "having", "settings", "format", "union", "offset", "as", "into", "window", "fetch",
			"except", "intersect", "collate", "isnull", "notnull", "asc", "desc", "nulls",
			"qualify", "prewhere", "where", "final", "with", "returning", "for", "on", "at", "using", "join", "inner", "left", "right", "full",
			"cross", "natural", "array", "sample", "then", "else", "end", "when", "escape"); ok {
			return true
		}
		if v[a] == ':' && strings.IndexByte(v[:k], '?') >= 0 {
			return true // the ternary's else (1 OR 1 ? sleepEachRow(3) : 0: attack 26)
		}
		if _, ok := sqlWordFold(v, a, "like", "rlike", "regexp", "glob", "is", "in", "between", "not", "and", "or", "xor", "div", "mod", "match", "sounds", "ilike", "similar"); ok {
			return true
		}
		if sqlAliasLast(v, a, end) {
			return true
		}
	}
	return false
}

// sqlAliasLast: at v[a:], after the closing bracket of the call whose
// opening bracket ends at v[call-1], an alias without AS that ends the
// value or a list's item, or is followed by a comment: 1 OR
// sleepEachRow(3) x, 1 OR sleepEachRow(3) "x" -- in a select list (left
// open by attack 34). The alias a name in double quotes, backticks or
// square brackets, or any word after a comment, or any word after a call
// of a camelCase name (sqlCodeName) or a quoted one: "1 or sha256(x)
// works" and "1 or getValue() calls are made" pass, "2 or toString()
// calls" (a number, OR and a camelCase call, then one word) is refused,
// the price.
func sqlAliasLast(v string, a, call int) bool {
	_, quoted, e := sqlNameAt(v, a)
	if e == a {
		return false
	}
	b := sqlSkip(v, e)
	if b < len(v) && (v[b] == '#' || strings.HasPrefix(v[b:], "--")) {
		return true
	}
	if b < len(v) && v[b] != ',' {
		return false
	}
	n := call - 1 // the call's name before its bracket and white space
	for n > 0 && (v[n-1] == ' ' || v[n-1] == '\t') {
		n--
	}
	s := n
	for s > 0 && n-s <= 64 && identByte(v[s-1], "$") {
		s--
	}
	return quoted || s == n || sqlCodeName(v[s:n])
}

// sqlOperandCall: at v[j:], after opening brackets and a sign, a call
// (sqlCallHere, as 210173 reads one); the index after its opening
// bracket, or -1.
func sqlOperandCall(v string, j int) int {
	for c := 0; c < 8 && j < len(v) && (v[j] == '(' || v[j] == '-' || v[j] == '+' || v[j] == '~'); c++ {
		j = sqlSkip(v, j+1)
	}
	return sqlCallHere(v, j, false, false, false, nil)
}

// sqlLeadingWord: the value starts (at v[j]) with one word (null, true,
// a column's name: letters, digits and _, at most 64 bytes), then OR,
// AND or XOR: the end of the word, or j. A word that is OR, AND, XOR or
// NOT, or a call's name, is none.
func sqlLeadingWord(v string, j int) int {
	if j >= len(v) || !(v[j] >= 'a' && v[j] <= 'z' || v[j] >= 'A' && v[j] <= 'Z' || v[j] == '_') {
		return j
	}
	k := j
	for k < len(v) && k-j <= 64 && identByte(v[k], "") {
		k++
	}
	if k-j > 64 {
		return j
	}
	if _, ok := sqlWordFold(v, j, "or", "and", "xor", "not"); ok {
		return j
	}
	a := sqlSkip(v, k)
	if w, ok := sqlWordFold(v, a, "asc", "desc"); ok {
		a = sqlSkip(v, w) // id DESC, f(3) (attack 34)
	}
	if a < len(v) && v[a] == ',' && sqlOperandCall(v, sqlSkip(v, a+1)) >= 0 {
		return a // id, sleepEachRow(3): a list's or a sort's next item (attack 34)
	}
	if _, ok := sqlWordFold(v, a, "or", "and", "xor"); !ok || a == k {
		return j
	}
	return k
}

// sqlSubscriptEnd is the end of a subscript ([1], [-1], ['a']) or a
// tuple's element (.1) at v[j:], or j.
func sqlSubscriptEnd(v string, j int) int {
	if j+1 < len(v) && v[j] == '.' && v[j+1] >= '0' && v[j+1] <= '9' {
		k := j + 1
		for k < len(v) && v[k] >= '0' && v[k] <= '9' {
			k++
		}
		return k
	}
	if j < len(v) && v[j] == '[' {
		if k := strings.IndexByte(v[j:min(len(v), j+16)], ']'); k > 0 {
			return j + k + 1
		}
	}
	return j
}

// sqlLogicCallEnd: at v[j:], over SQL's white space, OR, AND, XOR, || or
// &&, then the call (sqlCallAt); || and && only before a quoted or
// listed name (a camelCase call after || is JavaScript's). It returns the
// index after the call's opening bracket, or -1. numbered: a name with a
// letter next to a digit is no word (sqlNoWord); else only a camelCase
// name that no product name is (sqlCodeName).
//
// wordless: names that are no words by a weaker sign count too
// (sqlWordless), after OR, AND, XOR, || or &&.
func sqlLogicCallEnd(v string, j int, numbered, wordless bool, seen *sqlSeen) int {
	j = sqlSkip(v, j)
	symbol := false
	if k, ok := sqlWordFold(v, j, "or", "and", "xor"); ok {
		j = k
	} else if strings.HasPrefix(v[j:], "||") || strings.HasPrefix(v[j:], "&&") {
		j, symbol = j+2, true
	} else if k := sqlCompareEnd(v, j); k >= 0 && numbered {
		j = k // x' = lengthUTF8(password) > '5 (attack 33)
	} else if k, ok := sqlWordFold(v, j, "in", "like", "ilike", "glob", "regexp", "rlike", "not"); ok && numbered {
		// x' IN (likelihood(...)) --, x' NOT IN (...), x' LIKE f(...)
		// (attack 33)
		if strings.EqualFold(v[j:k], "not") {
			if k, ok = sqlWordFold(v, sqlSkip(v, k), "in", "like", "ilike", "glob", "regexp", "rlike"); !ok {
				return -1
			}
		}
		j = k
	} else {
		return -1
	}
	return sqlCallAt(v, j, symbol, numbered, wordless, seen)
}

// sqlCallAt reads, from j: an optional NOT or !, signs, ~ and opening
// brackets, operands (a number, a quoted string, a column, a keyword or
// a call), each followed by a comparison (=, <, >, <>, !=, <=, >=, LIKE,
// IS, IN, GLOBAL IN), an arithmetic operator, ClickHouse's ternary ? and
// :, AND, OR, XOR, BETWEEN or NOT (attack 24 passed x' OR 1 BETWEEN 0
// AND sleepEachRow(3)--, x' OR 1=1 AND sleepEachRow(3)=0--, x' OR 1 = 1
// + sleepEachRow(3)--; attack 26 five operands and more, 1 ? f(3) : 0,
// id GLOBAL IN (f(3))), then a function's name and its opening bracket.
// The name must be quoted, listed (210156's list) or no word (sqlNoWord
// when numbered, else sqlCodeName); after || or && (strict), quoted or
// listed. It returns the index after the opening bracket, or -1. seen
// (nil for 210173, which reads from one place) holds the starts read
// before.
func sqlCallAt(v string, j int, strict, numbered, wordless bool, seen *sqlSeen) int {
	j = sqlSkip(v, j)
	if k, ok := sqlWordFold(v, j, "not"); ok {
		j = sqlSkip(v, k)
	} else if j < len(v) && v[j] == '!' {
		j = sqlSkip(v, j+1)
	}
	j = sqlSkipPrefix(v, j)
	for n := 0; ; n++ {
		if n > 0 && seen != nil && seen.visit(j, strict, wordless) {
			return -1 // read from here before, with no call found
		}
		if end := sqlCallHere(v, j, strict, numbered, wordless, seen); end >= 0 {
			return end
		}
		k := sqlOperandEnd(v, j)
		if k == j {
			return -1
		}
		a := sqlSkip(v, k)
		for c := 0; c < 8 && a < len(v) && (v[a] == ')' || v[a] == ']' || v[a] == '}'); c++ {
			a = sqlSkip(v, a+1) // [1] = f(...), (1, 2) OR f(...): attack 27
		}
		if w, ok := sqlWordFold(v, a, "collate"); ok {
			// a collation after the operand: password COLLATE BINARY
			// GLOB 's*' (attack 37)
			if n := identEnd(v, sqlSkip(v, w)); n > sqlSkip(v, w) {
				a = sqlSkip(v, n)
			}
		}
		{
			// x' OR password GLOB 's*, NOT GLOB: a pattern compared with
			// a column, the application's quote closing it (210169:
			// attacks 36 and 37), or after a number, with a collation
			// (210173: 0 OR password COLLATE BINARY GLOB 's*', which
			// 210155's expression does not read)
			b := a
			if w, ok := sqlWordFold(v, b, "not"); ok {
				b = sqlSkip(v, w)
			}
			if op := sqlCompareEnd(v, b); op >= 0 && sqlPatternProbe(v, b, op) {
				return op
			}
		}
		if op := sqlCompareEnd(v, a); op >= 0 {
			a = op
		} else if strings.HasPrefix(v[a:], "||") || strings.HasPrefix(v[a:], "&&") || strings.HasPrefix(v[a:], "::") {
			a += 2
		} else if strings.HasPrefix(v[a:], "->") {
			a += 2 // a lambda's arrow: arrayMap(x -> f(x), [1]) (attack 27)
		} else if a < len(v) && strings.IndexByte("+-*/%&|^?:,", v[a]) >= 0 {
			// ? and : of ClickHouse's 1 ? sleepEachRow(3) : 0 (attack
			// 26); the , of a tuple, an array or arguments:
			// (1, sleepEachRow(3)).1, [1, f(3)][1] (attack 27)
			a++
		} else if w, ok := sqlWordFold(v, a, "and", "or", "xor", "between", "not", "div", "mod", "global"); ok {
			word := v[a:w]
			a = w
			if strings.EqualFold(word, "global") {
				// ClickHouse's GLOBAL IN, GLOBAL NOT IN (attack 26)
				w, ok = sqlWordFold(v, sqlSkip(v, a), "not")
				if ok {
					a = w
				}
				if w, ok = sqlWordFold(v, sqlSkip(v, a), "in"); !ok {
					return -1
				}
				a = w
			} else if strings.EqualFold(word, "not") {
				// NOT BETWEEN, NOT LIKE, NOT IN (attack 25)
				if w, ok = sqlWordFold(v, sqlSkip(v, a), "between", "like", "ilike", "rlike", "regexp", "glob", "in", "similar"); ok {
					a = w
				}
			}
		} else if a > k && a < len(v) && identByte(v[a], "") && (v[j] >= '0' && v[j] <= '9' || v[j] == '\'' || v[j] == '"' || sqlCallHere(v, a, strict, numbered, wordless, seen) >= 0) {
			// a + that urlDecodeUni made a space (1 = 1 + f(3) is read as
			// 1 = 1   f(3)): after a number or a string, a name follows;
			// after a name, only the call itself (id + f(3)), so words of
			// a search ("3 cases for ...") end the reading
		} else {
			return -1
		}
		j = sqlSkipPrefix(v, sqlSkip(v, a))
	}
}

// sqlCallHere: at v[j:] a function's name and its opening bracket, the
// name quoted, listed (210156's list or sqlKnownNames) or no word
// (sqlNoWord when numbered, else sqlCodeName); after || or && (strict),
// quoted or listed. It returns the index after the bracket, or -1.
func sqlCallHere(v string, j int, strict, numbered, wordless bool, seen *sqlSeen) int {
	name, quoted, k := sqlNameAt(v, j)
	for q := 0; q < 2 && name != "" && !quoted && k+1 < len(v) && v[k] == '.'; q++ {
		// a schema's or a table's name before the function's:
		// public."bitAnd"(1, 1), t."lengthUTF8"(password) (attacks 27 to
		// 29), db.sleepEachRow(3)
		n, qu, e := sqlNameAt(v, k+1)
		if n == "" {
			break
		}
		name, quoted, k = n, qu, e
	}
	if name == "" {
		return -1
	}
	nameEnd := k
	k = sqlSkip(v, k)
	if k >= len(v) || v[k] != '(' {
		return -1
	}
	if quoted || sqlListedName.MatchString(name) || sqlKnownName(name) || sqlSubquery(v, name, j, k+1) {
		return k + 1
	}
	if wordless && sqlWordless(v, name, nameEnd, k) {
		return k + 1
	}
	if !strict && (numbered && sqlNoWord(name) && (sqlCodeName(name) || sqlLowerNumbered(name)) || !numbered && sqlCodeName(name)) {
		return k + 1
	}
	if strict && sqlCodeName(name) && seen.endsQuery(v) {
		// after || or &&, a camelCase call in a value that comments out
		// the rest of the query (x' || lengthUTF8(password)>5--: attacks
		// 27 to 29) or closes it with a quote after an operator (x' ||
		// lengthUTF8(password) > '5: attack 32); "It's 'Fine' ||
		// getValue(x)" passes
		return k + 1
	}
	return -1
}

// sqlSnakeName: name is words joined by underscores (txid_current,
// num_nonnulls, gen_random_uuid, st_x, sys_guid, natural_sort_key): a
// function's or a column's name, no word of prose. Every database has
// functions of this shape that libinjection does not know, and after a
// closed quote and OR each is a login: x' or txid_current()>0-- and
// x' or num_nonnulls(1)>0 or 'f on PostgreSQL 15, x' or st_x(point(1,1))
// or ' and x' or sys_guid() or ' on MariaDB 10.11 (attack 89), read
// only when SQL follows the call (sqlCallThenSQL).
func sqlSnakeName(name string) bool {
	if len(name) < 3 || name[0] == '_' || name[len(name)-1] == '_' {
		return false
	}
	under := false
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '_':
			if name[i-1] == '_' {
				return false
			}
			under = true
		case c == '$':
			return false
		}
	}
	return under
}

// sqlCallThenSQL: the call whose opening bracket is v[open] closes
// within 256 bytes, and after it stands what a query goes on with: the
// value's end, a comment (--, #, /*), ;, a comparison, IS, IN, LIKE,
// BETWEEN, or OR, AND or XOR before a quote, a number, a bracket or the
// value's end (x' or sys_guid() or ', x' or txid_current()>0--); since
// a review of attack 89's fixes also a cast (::), || or && (MariaDB's
// OR) or arithmetic before an operand. Prose goes on with words ("Don't
// use 'x' or get_value(y) here").
func sqlCallThenSQL(v string, open int) bool {
	c := closingBracket(v, open, 256)
	if c < 0 {
		return false
	}
	a := sqlSkip(v, c+1)
	if a >= len(v) || strings.IndexByte("#;=<>!", v[a]) >= 0 || strings.HasPrefix(v[a:], "--") || strings.HasPrefix(v[a:], "/*") {
		return true
	}
	// what an operator's operand starts with: a quote, a bracket, a
	// number, or the value's end (the application's quote)
	operand := func(b int) bool {
		b = sqlSkip(v, b)
		return b >= len(v) || v[b] == '\'' || v[b] == '"' || v[b] == '(' || v[b] >= '0' && v[b] <= '9'
	}
	if strings.HasPrefix(v[a:], "::") {
		return true // a cast: txid_current()::int>0 (a review)
	}
	if v[a] == '~' || strings.HasPrefix(v[a:], "!~") {
		// PostgreSQL's matches: right(password,1)~'t, ~~ 't%, ~* 'T
		// (a review of attack 93's fixes)
		b := a + 1
		for b < len(v) && (v[b] == '~' || v[b] == '*') {
			b++
		}
		return operand(b)
	}
	if strings.HasPrefix(v[a:], "||") || strings.HasPrefix(v[a:], "&&") {
		return operand(a + 2) // x' or sys_guid() || ' (MariaDB's OR: a review)
	}
	if strings.IndexByte("+-*/%", v[a]) >= 0 && !strings.HasPrefix(v[a:], "--") && !strings.HasPrefix(v[a:], "/*") {
		return operand(a + 1) // txid_current()+0>0 (a review)
	}
	if a > c+1 && (v[a] >= '0' && v[a] <= '9' || v[a] == '\'') {
		return true // a + that t:urlDecodeUni made a space: txid_current() 0>0
	}
	if w, ok := sqlWordFold(v, a, "is"); ok {
		b := sqlSkip(v, w)
		if n, ok := sqlWordFold(v, b, "not"); ok {
			b = sqlSkip(v, n)
		}
		_, word := sqlWordFold(v, b, "null", "true", "false", "unknown", "distinct")
		return word || operand(b)
	}
	if w, ok := sqlWordFold(v, a, "not"); ok {
		a = sqlSkip(v, w)
	}
	if w, ok := sqlWordFold(v, a, "in", "like", "ilike", "rlike", "regexp", "glob", "between", "or", "and", "xor"); ok {
		return operand(w) // "Don't write x == 'a' or is_admin(u) in your code" passes
	}
	return false
}

// sqlWordCall: name is SQLite's time, date or mod, or SQL Server's len
// (x' or len('a')=1 or ': attack 89), English words, with
// its bracket (at v[open]) at most 4 blanks after it (time (), a review)
// and then a call's arguments: none, a quoted string or a number
// (time(), time( ), date('now'), mod(3,2)). After a
// closed quote each is true (x' or time()>0 or ', x' or mod(3,2) or ':
// a login on SQLite, which libinjection does not read: found in attack
// 89's session); "a 'mod' or mod(s)" and "it's 'late' or time (for bed)"
// are prose's.
func sqlWordCall(v, name string, end, open int) bool {
	if len(name) > 4 || open-end > 4 || open+1 >= len(v) {
		return false
	}
	if !strings.EqualFold(name, "time") && !strings.EqualFold(name, "date") && !strings.EqualFold(name, "mod") && !strings.EqualFold(name, "len") {
		return false
	}
	a := sqlSkip(v, open+1)
	if a >= len(v) {
		return false // blanks to the value's end (x' or time( : a review's crash)
	}
	c := v[a]
	return c == ')' || c == '\'' || c == '"' || c >= '0' && c <= '9'
}

// sqlPatternProbe: at v[a:op] stands GLOB, REGEXP or RLIKE, and after
// it a quote: SQLite's and MySQL's pattern matches of a
// column, which guess a password a letter at a time (x' OR password GLOB
// 's*, x' AND password GLOB 's*' OR 'a'='b: attack 36; the CRS reads
// LIKE there, and 210155 after a number). LIKE is prose's word and stays
// the CRS's.
func sqlPatternProbe(v string, a, op int) bool {
	if _, ok := sqlWordFold(v, a, "glob", "regexp", "rlike"); !ok {
		return false // LIKE is prose's word too; the CRS reads it, and SIMILAR TO
	}
	b := sqlSkip(v, op)
	return b < len(v) && (v[b] == '\'' || v[b] == '"')
}

// sqlSubquery: name (at v[start]) is EXISTS and its bracket (ending at
// v[j-1]) opens a subquery: SELECT, VALUES, WITH or TABLE after brackets
// (x' OR EXISTS(VALUES(1)) --, 1 OR EXISTS(VALUES(unicode(password)>100)):
// a tautology and a test of the password that the CRS does not name,
// attack 36; it reads EXISTS(SELECT ...)); or name is VALUES in a bracket
// of its own, a scalar subquery (x' OR (VALUES(unicode(password)>100))--,
// 1 OR (VALUES(1)): attack 37).
func sqlSubquery(v, name string, start, j int) bool {
	if strings.EqualFold(name, "values") {
		b := start
		for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t' || v[b-1] == '\n' || v[b-1] == '\r') {
			b--
		}
		return b > 0 && v[b-1] == '('
	}
	if !strings.EqualFold(name, "exists") {
		return false
	}
	for c := 0; c < 8; c++ {
		j = sqlSkip(v, j)
		if j >= len(v) || v[j] != '(' {
			break
		}
		j++
	}
	_, ok := sqlWordFold(v, j, "select", "values", "with", "table")
	return ok
}

// sqlLastQuoteOpens: v's last quote of kind q opens a string. A value
// whose first such quote follows a word starts inside the application's
// string (x' ...: that quote closes it), so its quotes pair from the
// second on; otherwise from the first (x = 'a' || getValueX(b, ',')
// closes its last one).
func sqlLastQuoteOpens(v string, q byte) bool {
	n := strings.Count(v, string(q))
	f := strings.IndexByte(v, q)
	if f > 0 && identByte(v[f-1], "") {
		return n%2 == 0
	}
	return n%2 == 1
}

// sqlEndsQuery: v ends the query it is put in: with a comment that hides
// the rest of it (--, # or /*, as sqlInjectedTail's comment, then only
// white space, and dashes after --), or with a quote after an operator
// that the query's own closing quote closes (> '5, || ':
// sqlInjectedTail's last alternative).
func sqlEndsQuery(v string) bool {
	if q := strings.LastIndexAny(v, `'"`); q >= 0 && sqlLastQuoteOpens(v, v[q]) {
		b := q
		for b > 0 && (v[b-1] == ' ' || v[b-1] == '\t') {
			b--
		}
		if b > 0 && strings.IndexByte("=<>!|+-*/%&^(,", v[b-1]) >= 0 {
			return true
		}
	}
	e := len(v)
	for e > 0 && (v[e-1] == ' ' || v[e-1] == '\t' || v[e-1] == '\n' || v[e-1] == '\r' || v[e-1] == '\f' || v[e-1] == '\v') {
		e--
	}
	if e > 0 && v[e-1] == '#' || e > 1 && v[e-2:e] == "/*" {
		return true
	}
	d := e
	for d > 0 && (v[d-1] == '-' || v[d-1] == ' ' || v[d-1] == '\t' || v[d-1] == '\n' || v[d-1] == '\r' || v[d-1] == '\f' || v[d-1] == '\v') {
		d--
	}
	return strings.Contains(v[d:e], "--")
}

// sqlSkipPrefix skips signs, ~, ! and opening brackets (and, since
// attack 27, ClickHouse's array and map literals' [ and {) with white
// space.
func sqlSkipPrefix(v string, j int) int {
	for j < len(v) && strings.IndexByte("-+~!([{", v[j]) >= 0 {
		if _, quoted, _ := sqlNameAt(v, j); quoted {
			break // [ISJSON](...): SQL Server's quoted name
		}
		j = sqlSkip(v, j+1)
	}
	return j
}

// sqlSkip is the index of the first byte at or after j that is not SQL's
// white space (sqlSpace's characters: ASCII, U+00A0, U+FFFD), nor one of
// the control characters SQL Server reads as white space (0x01-0x1F:
// x'\x01shutdown--, attack 74).
func sqlSkip(v string, j int) int {
	for j < len(v) {
		switch {
		case v[j] == ' ' || v[j] >= 0x01 && v[j] <= 0x1f:
			j++
		case strings.HasPrefix(v[j:], "\u00a0"):
			j += len("\u00a0")
		case strings.HasPrefix(v[j:], "\ufffd"):
			j += len("\ufffd")
		default:
			return j
		}
	}
	return j
}

// sqlWordFold: one of words (lowercase) stands at v[j:] in any case,
// not followed by a letter, a digit or _; end is after it.
func sqlWordFold(v string, j int, words ...string) (end int, ok bool) {
	if j >= len(v) || v[j]|0x20 < 'a' || v[j]|0x20 > 'z' {
		return j, false
	}
	for _, w := range words {
		if len(v)-j >= len(w) && strings.EqualFold(v[j:j+len(w)], w) && (j+len(w) == len(v) || !identByte(v[j+len(w)], "")) {
			return j + len(w), true
		}
	}
	return j, false
}

// sqlNumberEnd is the end of a number at v[j:] (digits, a point, an
// exponent; 0x hex), or j.
func sqlNumberEnd(v string, j int) int {
	k := j
	if strings.HasPrefix(v[k:], "0x") || strings.HasPrefix(v[k:], "0X") {
		k += 2
		for k < len(v) && (v[k] >= '0' && v[k] <= '9' || v[k]|0x20 >= 'a' && v[k]|0x20 <= 'f') {
			k++
		}
		if k == j+2 {
			return j
		}
		return k
	}
	for k < len(v) && (v[k] >= '0' && v[k] <= '9' || v[k] == '.') {
		k++
	}
	if k == j || v[j:k] == "." {
		return j
	}
	if k < len(v) && v[k]|0x20 == 'e' {
		e := k + 1
		if e < len(v) && (v[e] == '-' || v[e] == '+') {
			e++
		}
		if e < len(v) && v[e] >= '0' && v[e] <= '9' {
			for k = e; k < len(v) && v[k] >= '0' && v[k] <= '9'; k++ {
			}
		}
	}
	if k < len(v) && identByte(v[k], "") {
		return j // 3days, 1password: a word
	}
	return k
}

// sqlOperandEnd is the end of an operand at v[j:]: a number, a string
// in single or double quotes of at most 64 bytes, a name (dotted; at most
// 64 bytes) with its call's brackets (at most 64 bytes); or j.
func sqlOperandEnd(v string, j int) int {
	if j >= len(v) {
		return j
	}
	if q := v[j]; q == '\'' || q == '"' {
		rest := v[j+1:]
		if len(rest) > 64 {
			rest = rest[:64]
		}
		if k := strings.IndexByte(rest, q); k >= 0 {
			return j + 1 + k + 1
		}
		return j
	}
	if k := sqlNumberEnd(v, j); k > j || !identByte(v[j], "") {
		return k
	}
	// a column (t.id), a keyword (true, NULL) or a call (e()): attack 25
	k := j
	for k < len(v) && k-j < 64 && (identByte(v[k], "$") || v[k] == '.') {
		k++
	}
	if b := sqlSkip(v, k); b < len(v) && v[b] == '(' {
		if e := closingBracket(v, b, 64); e >= 0 {
			return e + 1
		}
		return j
	}
	return k
}

// closingBracket is the index of the bracket that closes the one at v[b]
// ((, { or [), within window bytes of it, or -1. The first closing
// bracket is found by a fast scan: with none, or no opening one before
// it, the walk is not needed (16 KiB of '( cost a walk of the window
// each).
func closingBracket(v string, b, window int) int {
	opening, closing := v[b], byte(')')
	switch opening {
	case '{':
		closing = '}'
	case '[':
		closing = ']'
	}
	if window < 1 {
		return -1
	}
	w := v[:min(len(v), b+window)]
	c := strings.IndexByte(w[b+1:], closing)
	if c < 0 {
		return -1
	}
	if strings.IndexByte(w[b+1:b+1+c], opening) < 0 {
		return b + 1 + c
	}
	depth := 0
	for e := b; e < len(v) && e-b < window; e++ {
		switch v[e] {
		case opening:
			depth++
		case closing:
			if depth--; depth == 0 {
				return e
			}
		}
	}
	return -1
}

// sqlCompareEnd is the end of a comparison operator at v[j:], or -1.
func sqlCompareEnd(v string, j int) int {
	if j >= len(v) || strings.IndexByte("<>!=lLiIrRgG", v[j]) < 0 {
		return -1
	}
	for _, op := range []string{"<=>", "<>", "!=", "<=", ">=", "==", "=", "<", ">"} {
		if strings.HasPrefix(v[j:], op) {
			return j + len(op)
		}
	}
	if k, ok := sqlWordFold(v, j, "like", "ilike", "rlike", "regexp", "glob", "is", "in"); ok {
		return k
	}
	return -1
}

// sqlNameAt reads a function's name at v[j:]: a word of letters, digits,
// _ and $ (at most 64 bytes), bare or in double quotes, backticks or
// square brackets.
func sqlNameAt(v string, j int) (name string, quoted bool, end int) {
	if j >= len(v) {
		return "", false, j
	}
	closer := byte(0)
	switch v[j] {
	case '"':
		closer = '"'
	case '`':
		closer = '`'
	case '[':
		closer = ']'
	}
	k := j
	if closer != 0 {
		k++
	}
	s := k
	for k < len(v) && k-s < 64 && identByte(v[k], "$") {
		k++
	}
	if k == s || v[s] >= '0' && v[s] <= '9' {
		return "", false, j
	}
	if closer != 0 {
		if k >= len(v) || v[k] != closer {
			return "", false, j
		}
		return v[s:k], true, k + 1
	}
	if k < len(v) && identByte(v[k], "$") {
		return "", false, j // longer than 64 bytes
	}
	return v[s:k], false, k
}

// sqlCodeName: name is a function's, no product's: camelCase that starts
// lowercase with a hump after at least two lowercase letters or digits
// (sleepEachRow, lengthUTF8, sipHash64, h3ToGeo, toInt32), or that
// starts with two capitals (IPv4NumToString, UUIDStringToNum). iPhone12, iPad9, eBay, MacBook and PlayStation5 are
// not (attack 24 had "10 or iPhone12(mini)" refused as a search).
func sqlCodeName(name string) bool {
	if len(name) < 3 {
		return false
	}
	if sqlShortHump(name) {
		// pyTorch, airPods, macOS: a product's shape as much as bitAnd's
		// or toDate's (attack 29's false positives), so only ClickHouse's
		// own functions of this shape count
		return sqlShortFunction(name)
	}
	if strings.ContainsAny(name, "0123456789") && !sqlDigitsOfCode(name) {
		return false // galaxyS23, airPodsPro2 (attack 32's false positives)
	}
	upper := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	lower := func(c byte) bool { return c >= 'a' && c <= 'z' }
	if lower(name[0]) || upper(name[0]) && upper(name[1]) {
		run := 0 // lowercase letters and digits before the capital
		for i := 0; i < len(name); i++ {
			switch c := name[i]; {
			case upper(c):
				if run >= 2 {
					return true
				}
				run = 0
			case lower(c) || c >= '0' && c <= '9':
				run++
			default:
				run = 0
			}
		}
	}
	return false
}

// sqlDigitsOfCode: a run of digits in name follows what functions number:
// a type (Int, UInt, Float, Decimal, Date, DateTime, Time, Timestamp), a
// hash or an encoding (Hash, MD, SHA, CRC, UTF, Base/base, bech,
// Fingerprint, HLL, Exp), an address (IPv, UUIDv), H3 and S2 (geoToH3,
// h3ToGeo, s2CellsIntersect) or a norm (L2Distance): lengthUTF8, toInt32,
// sipHash64, base64Encode, toIPv4, murmurHash3_32. A product's model
// number follows a word or a letter of its own (galaxyS23, airPodsPro2,
// macBookPro16, playStation5), which is none of these.
func sqlDigitsOfCode(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < '0' || c > '9' || i > 0 && (name[i-1] >= '0' && name[i-1] <= '9' || name[i-1] == '_') {
			continue
		}
		// the token before the run: from its last capital, or from the
		// name's start when it has none
		t := i
		for t > 0 && name[t-1] >= 'a' && name[t-1] <= 'z' {
			t--
		}
		for t > 0 && name[t-1] >= 'A' && name[t-1] <= 'Z' {
			t--
			if t > 0 && name[t-1] >= 'a' && name[t-1] <= 'z' {
				break // one capital starts the token (Hash); a run of them is one (UTF, IPv)
			}
		}
		tok := name[t:i]
		if slices.Contains(sqlNumberedTokens, tok) || t == 0 && (tok == "h" || tok == "s" || tok == "L" || tok == "Lp") ||
			(tok == "H" || tok == "S") && t >= 2 && name[t-2:t] == "To" {
			return true
		}
	}
	return false
}

// sqlNumberedTokens are what sqlDigitsOfCode takes before a run of digits.
var sqlNumberedTokens = []string{"Int", "UInt", "Float", "Decimal", "Date", "DateTime", "Time", "Timestamp", "Hash", "MD", "SHA", "CRC",
	"UTF", "Base", "base", "bech", "Fingerprint", "HLL", "Exp", "IPv", "UUIDv"}

// sqlShortHump: name is 2 to 5 lowercase letters, then one capitalised
// word or a run of capitals, no digit (bitAnd, toDate, hasAny, uniqHLL;
// pyTorch, airPods, macOS, webOS): the shape a product's name shares
// with ClickHouse's short functions.
func sqlShortHump(name string) bool {
	k := 0
	for k < len(name) && name[k] >= 'a' && name[k] <= 'z' {
		k++
	}
	if k < 2 || k > 5 || k == len(name) || name[k] < 'A' || name[k] > 'Z' {
		return false
	}
	rest := name[k+1:]
	lower, upper := 0, 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= 'a' && c <= 'z':
			lower++
		case c >= 'A' && c <= 'Z':
			upper++
		default:
			return false
		}
	}
	return upper == 0 && lower > 0 || lower == 0 && upper > 0
}

// sqlShortFunction: name is one of sqlShortFunctions.
func sqlShortFunction(name string) bool {
	return slices.Contains(sqlShortFunctions, name)
}

// sqlShortFunctions are ClickHouse's functions of sqlShortHump's shape
// (from its documentation's function names; one-hump names of 2 to 5
// lowercase letters). A function of this shape missing here is read as
// a product's name: a bypass of the class ClickHouse's English-word
// functions are (length, sleep, greater), left open as 210156's are.
var sqlShortFunctions = []string{
	"addDate", "addDays", "addHours", "addMinutes", "addMonths", "addSeconds", "addWeeks", "addYears", "addQuarters", "addInterval",
	"anyHeavy", "anyLast", "anyIf", "argMax", "argMin", "avgWeighted",
	"arrayAll", "arrayAvg", "arrayAUC", "arrayCompact", "arrayConcat", "arrayCount", "arrayDifference", "arrayDistinct", "arrayElement",
	"arrayEnumerate", "arrayExists", "arrayFill", "arrayFilter", "arrayFirst", "arrayFlatten", "arrayFold", "arrayIntersect", "arrayJoin",
	"arrayLast", "arrayMap", "arrayMax", "arrayMin", "arrayProduct", "arrayReduce", "arrayResize", "arrayReverse", "arrayShingles",
	"arrayShuffle", "arraySlice", "arraySort", "arraySplit", "arraySum", "arrayUniq", "arrayZip",
	"bitAnd", "bitCount", "bitNot", "bitOr", "bitSlice", "bitTest", "bitXor", "byteSize", "byteSlice", "byteSwap",
	"corrStable", "covarPop", "covarSamp", "cutWWW", "cutFragment", "dateDiff", "dateName", "dateTrunc", "dateAdd", "dateSub",
	"deltaSum", "dictGet", "dictHas", "dotProduct", "endsWith", "fuzzBits", "fuzzJSON", "fuzzQuery", "getMacro", "getSetting",
	"groupArray", "groupBitmap", "groupConcat", "hasAll", "hasAny", "hasSubstr", "hasToken", "hiveHash", "hopEnd", "hopStart",
	"hostName", "idnaDecode", "idnaEncode", "ifNull", "indexHint", "indexOf", "intDiv", "isFinite", "isInfinite", "isNull",
	"isNullable", "isConstant", "javaHash", "joinGet", "kurtPop", "kurtSamp", "leftPad", "makeDate",
	"mapAdd", "mapAll", "mapApply", "mapConcat", "mapContains", "mapExists", "mapFilter", "mapKeys", "mapSort", "mapSubtract",
	"mapUpdate", "mapValues", "maxMap", "minMap", "monthName", "multiIf", "notEmpty", "notEquals", "notIn", "notLike",
	"nullIf", "nullIn", "pathFull", "queryID", "queryString", "randNormal", "randPoisson", "randUniform", "randConstant",
	"randBernoulli", "randBinomial", "randCanonical", "randExponential", "rankCorr", "rightPad", "roundAge", "roundDown",
	"roundDuration", "roundBankers", "shardCount", "shardNum", "skewPop", "skewSamp", "sparkBar", "sqidDecode", "sqidEncode",
	"subDate", "subBitmap", "sumCount", "sumKahan", "sumMap", "sumIf", "tcpPort", "throwIf", "timeDiff", "timeSlot",
	"timeSlots", "timeZone", "toBool", "toDate", "toDecimal", "toFloat", "toHour", "toInt", "toInterval", "toMinute",
	"toMonday", "toMonth", "toQuarter", "toSecond", "toString", "toTime", "toType", "toUUID", "toWeek", "toYear",
	"toNullable", "toMillisecond", "trimBoth", "trimLeft", "trimRight", "tryDecrypt", "tupleConcat", "tupleDivide",
	"tupleElement", "tupleMinus", "tupleModulo", "tupleMultiply", "tupleNames", "tupleNegate", "tuplePlus", "uniqExact",
	"uniqHLL", "uniqTheta", "uniqCombined", "urlCluster", "varPop", "varSamp",
}

// sqlKnownName: name, in any case, is one of sqlKnownNames.
func sqlKnownName(name string) bool {
	var buf [20]byte
	if len(name) > len(buf) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		buf[i] = c
	}
	return sqlKnownNames[string(buf[:len(name)])] // no allocation: a map index
}

// sqlKnownNames are functions whose names sqlCodeName cannot tell from a
// product's by their shape (lowercase with digits; ClickHouse's distances
// and norms, L2Distance: attack 25) or that 210156's list lacks
// (PostgreSQL's dblink: attack 25), lowercased.
var sqlKnownNames = map[string]bool{
	"l1distance": true, "l2distance": true, "l2squareddistance": true, "linfdistance": true, "lpdistance": true,
	"l1norm": true, "l2norm": true, "l2squarednorm": true, "linfnorm": true, "lpnorm": true, "l1normalize": true, "l2normalize": true,
	"linfnormalize": true, "lpnormalize": true, "dblink": true, "dblink_connect": true, "dblink_connect_u": true, "dblink_exec": true,
	"dblink_send_query": true, "dblink_open": true, "sha224": true, "sha256": true, "sha384": true, "sha512": true, "crc32c": true, "crc64": true,
	"xxh3": true, "xxhash32": true, "xxhash64": true, "log10": true, "log2": true, "exp2": true, "exp10": true, "atan2": true,
	"md4": true, "ripemd160": true, "blake3": true, "murmurhash2_32": true, "murmurhash3_32": true, "murmurhash3_64": true}

// sqlWordlessNames are functions that are no words, read as sqlWordless
// reads names joined by underscores: SQLite's date functions
// (x' or unixepoch() or ', x' or strftime('%s')>0 or ': logins on
// SQLite that libinjection does not read; attack 89's session), MariaDB's,
// Oracle's and SQL Server's (x' or lengthb('a') or ', x' or lnnvl(1=2)
// or ': attack 89), lowercased.
//
// Since attack 93 (each a login or a password read a letter a request
// on PostgreSQL 15 or MariaDB 10.11, after a closed quote and before a
// comparison: x' or right(password,99) like 's3%, x' or sind(90)>'0,
// x' or rownum()>'0) PostgreSQL's numeric, trigonometric, geometric and
// text functions and MariaDB's that libinjection does not know, words
// among them (right, scale, second, point, width): SQL after the call
// is what makes them a condition.
var sqlWordlessNames = map[string]bool{"unixepoch": true, "julianday": true, "strftime": true, "datetime": true, "timediff": true,
	"lengthb": true, "sformat": true, "lnnvl": true, "instrb": true, "newid": true, "nvl2": true,
	"gcd": true, "lcm": true, "factorial": true, "scale": true, "sind": true, "cosd": true, "tand": true, "cotd": true,
	"asind": true, "acosd": true, "atand": true, "atan2d": true, "sinh": true, "cosh": true, "tanh": true, "asinh": true,
	"acosh": true, "atanh": true, "dexp": true, "dsqrt": true, "dcbrt": true, "dround": true, "dtrunc": true, "dpow": true,
	"dlog1": true, "dlog10": true, "hashtext": true, "hashtextextended": true, "textlen": true, "npoints": true,
	"numnode": true, "abbrev": true, "cardinality": true, "area": true, "diameter": true, "width": true,
	"family": true, "masklen": true, "netmask": true, "right": true, "left": true, "point": true, "box": true, "circle": true,
	"rownum": true, "second": true, "minute": true, "hour": true, "mbrcontains": true, "mbrwithin": true,
	"mbrintersects": true, "mbroverlaps": true, "mbrequals": true, "mbrdisjoint": true, "mbrtouches": true,
	// a review of attack 93's fixes: more of PostgreSQL's and MariaDB's
	// spatial ones (x(point(ascii(password),0))>'100 read a character
	// on MariaDB; x and y alone are left: a maths text's)
	"div": true, "normalize": true, "lseg": true, "path": true, "polygon": true, "center": true, "radius": true,
	"isclosed": true, "isopen": true, "pclose": true, "popen": true, "slope": true, "host": true, "hostmask": true,
	"broadcast": true, "network": true, "strip": true, "setweight": true, "corr": true, "srid": true, "glength": true,
	"dimension": true, "contains": true, "within": true, "equals": true, "issimple": true, "isring": true,
	"envelope": true, "boundary": true, "centroid": true, "numpoints": true, "intersects": true, "touches": true,
	"crosses": true, "disjoint": true, "distance": true}

// sqlWordless: at the call of name (its end at v[end], its bracket at
// v[open]) a function no word names by a weaker sign than sqlCodeName's
// shape: words joined by underscores (sqlSnakeName) or one of
// sqlWordlessNames, when SQL follows the call (sqlCallThenSQL); or
// SQLite's time, date, mod and SQL Server's len with a call's arguments
// (sqlWordCall). Read only after a quote that may close the
// application's string, or a number and a logical operator
// (sqlLogicCallEnd's wordless).
func sqlWordless(v, name string, end, open int) bool {
	if sqlWordCall(v, name, end, open) {
		return true
	}
	if len(name) > 32 {
		return false
	}
	var buf [32]byte
	l := lowerASCII(buf[:0], name)
	return (sqlSnakeName(name) || sqlWordlessNames[string(l)]) && sqlCallThenSQL(v, open)
}

// sqlLowerNumbered: name is lowercase letters and digits with a letter
// next to a digit (md5, crc32, xxh64), a function's shape that
// sqlCodeName does not take. Since attack 28, 210169 takes a name that
// is no word only in one of these two shapes: Women's 'Classic' or
// eBay(used), Levi's 501 'original' or iPhone(15) were refused.
func sqlLowerNumbered(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return sqlNoWord(name)
}

// sqlNoWord: name is no word of prose: a lowercase letter before a
// capital (sleepEachRow, lengthUTF8), or a letter next to a digit
// (sipHash64, base64Encode, md5).
func sqlNoWord(name string) bool {
	for i := 1; i < len(name); i++ {
		a, b := name[i-1], name[i]
		if a >= 'a' && a <= 'z' && b >= 'A' && b <= 'Z' {
			return true
		}
		letter := func(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
		digit := func(c byte) bool { return c >= '0' && c <= '9' }
		if letter(a) && digit(b) || digit(a) && letter(b) {
			return true
		}
	}
	return false
}

// sleepEachRowRule is rule 210176: ClickHouse's sleepEachRow called
// anywhere in a value, as the CRS's 942160 refuses MySQL's sleep( and
// benchmark( anywhere: a time-based test in any position of a query, an
// ORDER BY's lone call (?sort=sleepEachRow(3)) or a condition's
// (if(substring(password,1,1)='a', sleepEachRow(1), 0)), which 210169
// and 210173 read only after a quote or a number (attack 37): the call,
// then (after its closing bracket) the value's end, a comment,
// punctuation or an operator, or a word of SQL that may follow an
// expression (ASC, DESC, AND, OR, LIMIT, ...). Text about ClickHouse
// that names the call ("sleepEachRow(1) is a ClickHouse function")
// passes.
const sleepEachRowRule = `SecRule ` + valueNameHeaderTargets + ` "@` + sleepEachRowOp + `" "id:210176,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: ClickHouse sleepEachRow called (a time-based test)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const sleepEachRowOp = "gatewaySleepEachRow"

func init() {
	registerGoOperator(sleepEachRowOp, sleepEachRowCall)
}

// sleepEachRowCall: v calls sleepEachRow (any case, quoted or not, white
// space before its bracket).
func sleepEachRowCall(v string) bool {
	const name = "sleepeachrow"
	return eachFold(v, name, func(i int) bool {
		j := i + len(name)
		if j < len(v) && (v[j] == '"' || v[j] == '`' || v[j] == ']') {
			j++
		}
		j = sqlSkip(v, j)
		return j < len(v) && v[j] == '(' && (i == 0 || !identByte(v[i-1], "")) && sqlAfterCall(v, j)
	})
}

// sqlAfterCall: the call whose bracket opens at v[j] closes within 128
// bytes, and what follows its closing bracket goes on as SQL: the
// value's end, a comment, punctuation or an operator, or a word that may
// follow an expression.
func sqlAfterCall(v string, j int) bool {
	k := closingBracket(v, j, 128)
	if k < 0 {
		return false
	}
	a := sqlSkip(v, k+1)
	if a == len(v) || strings.IndexByte(",)=<>!+-*/%|&^;#:]", v[a]) >= 0 {
		return true
	}
	_, ok := sqlWordFold(v, a, "asc", "desc", "nulls", "and", "or", "xor", "limit", "offset", "then", "else", "end", "as", "from", "settings", "format", "union")
	return ok
}

// eachFold calls at with the index of each occurrence of the ASCII word
// lower (lowercase) in v in any case, left to right, and is true as soon
// as at is (the loop several operators wrote out: quoteGlob,
// psGetMethod).
func eachFold(v, lower string, at func(i int) bool) bool {
	for off := 0; off < len(v); {
		i := indexFold(v[off:], lower)
		if i < 0 {
			return false
		}
		i += off
		off = i + len(lower)
		if at(i) {
			return true
		}
	}
	return false
}

// indexFold is the index of the ASCII word lower (lowercase) in v in any
// case, or -1, without allocating.
func indexFold(v, lower string) int {
	// the first byte in either case found by IndexByte (a fast scan),
	// the next of each kept until it is passed
	c, u := lower[0], lower[0]
	if c >= 'a' && c <= 'z' {
		u = c - 'a' + 'A'
	}
	next := func(b byte, from int) int {
		if from >= len(v) {
			return len(v)
		}
		if i := strings.IndexByte(v[from:], b); i >= 0 {
			return from + i
		}
		return len(v)
	}
	p1, p2 := next(c, 0), next(u, 0)
	for {
		p := min(p1, p2)
		if p+len(lower) > len(v) {
			return -1
		}
		if asciiEqualFold(v[p:p+len(lower)], lower) {
			return p
		}
		if p == p1 {
			p1 = next(c, p+1)
		}
		if p == p2 {
			p2 = next(u, p+1)
		}
	}
}
