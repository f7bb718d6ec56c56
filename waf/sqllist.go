package waf

import "strings"

// sqlClosedQuoteRule is rule 210229 (attack 95): SQL that a value puts
// after the quote that closes the application's string, read by
// sqlClosedQuoteExpr:
//   - a CASE expression after an operator, a comma or a keyword:
//     x'=case when 1 then 0 end-- - logged in as the first user on
//     MariaDB and SQLite (x' = (... ) = 0 is true), and admin'=case when
//     (select v from secrets limit 1) like 'sk%' then 1 end-- - read
//     another table a letter a request; x',case when password like 'S%'
//     then username end,' did the same inside an IN ('...') list on
//     PostgreSQL, MariaDB and SQLite;
//   - an element of an IN ('...') list that is no string: x',customer,'
//     (IN ('x',customer,”) matched every row and printed every
//     customer's card), +customer, customer*1, replace(customer,...).
//
// "Closes" is read by parity: the value sits inside the application's
// quotes, so its first, third, ... quote closes a string and the next
// opens one, counted with a backslash escaping a quote (MySQL) and
// without (SQLite, PostgreSQL), and a quote between two letters (don't,
// O'Brien) not counted. Code and prose that open their
// own strings first (print('Name:', name, 'Age:'), "the 'red', green,
// 'blue' set" read as 'red' then 'blue') put the comma after an even
// quote and pass; a word of prose between the commas (x', then, 'y) is
// no element. t:replaceComments reads /**/ as a blank.
var sqlClosedQuoteRule = `SecRule ` + valueHeaderTargets + ` "@` + sqlClosedQuoteOp + `" "id:210229,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a CASE expression or a list element after a closed quote',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const sqlClosedQuoteOp = "gatewaySQLClosedQuote"

func init() { registerGoOperator(sqlClosedQuoteOp, sqlClosedQuoteExpr) }

// sqlElementWindow bounds the bytes of a list element.
const sqlElementWindow = 128

// sqlClosedQuoteExpr is rule 210229's operator (see sqlClosedQuoteRule).
// Each closing quote costs a read of at most sqlElementWindow bytes, and
// one that CASE follows sqlCaseScan more (sqlCaseWhenThen).
func sqlClosedQuoteExpr(v string) bool {
	if strings.IndexByte(v, '\'') < 0 && strings.IndexByte(v, '"') < 0 {
		return false
	}
	// per quote: its count with a backslash escaping it (MySQL's
	// reading) and without (SQLite's and PostgreSQL's: x\'=case ...
	// closes there); a quote between two letters is an apostrophe
	// (don't, O'Brien), which an injection cannot hold before its SQL
	var escaped, plain [2]int
	for i := 0; i < len(v); i++ {
		q := v[i]
		if q != '\'' && q != '"' {
			continue
		}
		if i > 0 && i+1 < len(v) && asciiLetter(v[i-1]) && asciiLetter(v[i+1]) {
			continue
		}
		x := 0
		if q == '"' {
			x = 1
		}
		plain[x]++
		closes := plain[x]%2 == 1
		if i == 0 || v[i-1] != '\\' || i > 1 && v[i-2] == '\\' {
			escaped[x]++
			closes = closes || escaped[x]%2 == 1
		}
		if closes && (sqlCaseAfter(v, i+1) || sqlListElementAfter(v, i+1, q)) {
			return true
		}
	}
	return false
}

// sqlCaseKeywords are the words that may stand between the closed quote
// and CASE (x' or case, x' regexp case, x' is not case).
var sqlCaseKeywords = []string{"or", "and", "xor", "not", "like", "ilike", "in", "is", "div", "mod", "regexp", "rlike", "glob",
	"match", "sounds", "between", "similar", "to", "select"}

// sqlCaseAfter: at v[j:], after a closing quote, comments (#, -- and
// what t:replaceComments leaves of /* */), an operator's bytes, a comma
// or a bracket (x'=case, x',case, x'||(case), x'#\n=case) or up to
// three keywords (x' or case, x' is not case), then a CASE expression
// (sqlCaseWhenThen).
func sqlCaseAfter(v string, j int) bool {
	start := j
	words, seen := 0, false
	for j < len(v) && j-start < sqlElementWindow {
		j = skipSpace(v, j)
		switch {
		case j >= len(v):
			return false
		case v[j] == '#' || v[j] == '-' && j+2 < len(v) && v[j+1] == '-' && (v[j+2] == ' ' || v[j+2] == '\n' || v[j+2] == '\t'):
			e := strings.IndexByte(v[j:], '\n')
			if e < 0 {
				return false
			}
			j += e + 1
		case strings.IndexByte("=<>!,+-*/|&^%~(", v[j]) >= 0:
			j++
			seen = true
		default:
			if e, ok := sqlWordFold(v, j, sqlCaseKeywords...); ok && words < 3 {
				words++
				j = e
				seen = true
				continue
			}
			return seen && sqlCaseWhenThen(v, j)
		}
	}
	return false
}

// sqlCaseScan bounds what sqlCaseWhenThen reads after CASE: up to
// sqlCaseWindow bytes that are no blanks (blanks and replaced comments
// pad for free) and sqlCaseScan bytes in all.
const sqlCaseScan = 2048

// sqlCaseWhenThen: at v[j:] the word CASE, then WHEN and THEN as whole
// words in that order, within sqlCaseWindow bytes that are no blanks
// (and sqlCaseScan in all). END is not needed: a padded or cut tail
// still runs on the database.
func sqlCaseWhenThen(v string, j int) bool {
	e, ok := sqlWordFold(v, j, "case")
	if !ok {
		return false
	}
	limit := min(len(v), e+sqlCaseScan)
	dense := 0
	for _, w := range [...]string{"when", "then"} {
		found := false
		for k := e; k < limit && dense < sqlCaseWindow; k++ {
			c := v[k]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				continue
			}
			dense++
			if c|0x20 == w[0] && wordStart(v, k) {
				if n, ok := sqlWordFold(v, k, w); ok {
					e, found = n, true
					break
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sqlListElementAfter: at v[j:], after a closing quote q, a comma, an
// element that is no string and no word of prose, a comma and q again
// (x',customer,', x', +customer ,', x',replace(customer,password,”),').
// The element is read to a comma or a blank outside brackets, within
// sqlElementWindow bytes; it holds a letter and two bytes or more.
func sqlListElementAfter(v string, j int, q byte) bool {
	j = skipSpace(v, j)
	if j >= len(v) || v[j] != ',' {
		return false
	}
	j = skipSpace(v, j+1)
	start := j
	limit := min(len(v), j+sqlElementWindow)
	depth, letter := 0, false
	for ; j < limit; j++ {
		c := v[j]
		if depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == q) {
			break
		}
		switch {
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth < 0 {
				return false
			}
		case asciiLetter(c):
			letter = true
		}
	}
	if j >= limit || depth != 0 || !letter || j-start < 2 || v[j] == q {
		return false
	}
	elem := v[start:j]
	if sqlListProse(elem) {
		return false
	}
	// more of the element after blanks: an operator and an operand
	// (customer ||'', customer + 0)
	for n := 0; n < 4; n++ {
		j = skipSpace(v, j)
		o := j
		for o < limit && strings.IndexByte("|+-*/%", v[o]) >= 0 {
			o++
		}
		if o == j || o-j > 2 {
			break
		}
		o = skipSpace(v, o)
		e := o
		if e+1 < limit && v[e] == q && v[e+1] == q {
			e += 2 // an empty string
		}
		for e < limit && identByte(v[e], ".") {
			e++
		}
		if e == o {
			return false
		}
		j = e
	}
	j = skipSpace(v, j)
	if j >= len(v) || v[j] != ',' {
		return false
	}
	j = skipSpace(v, j+1)
	return j < len(v) && v[j] == q
}

// sqlListProse: the element is a word of prose's that stands between
// commas ("x', then, 'y", "'a', and, 'b'").
func sqlListProse(elem string) bool {
	for i := 0; i < len(elem); i++ {
		if !asciiLetter(elem[i]) {
			return false
		}
	}
	switch strings.ToLower(elem) {
	case "and", "or", "then", "but", "so", "also", "too", "etc", "plus", "not", "yes", "no", "ok", "okay", "well", "now",
		"again", "though", "however", "say", "said", "says", "please", "thanks", "sir", "maam", "right", "sure":
		return true
	}
	return false
}
