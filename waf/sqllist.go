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
// quotes, so its first, third, ... quote (not one a backslash escapes)
// closes a string and the next opens one. Code and prose that open their
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
// one that CASE follows sqlCaseWindow more (sqlCaseAt).
func sqlClosedQuoteExpr(v string) bool {
	if strings.IndexByte(v, '\'') < 0 && strings.IndexByte(v, '"') < 0 {
		return false
	}
	var single, double int
	for i := 0; i < len(v); i++ {
		q := v[i]
		if q != '\'' && q != '"' || i > 0 && v[i-1] == '\\' {
			continue
		}
		n := &single
		if q == '"' {
			n = &double
		}
		*n++
		if *n%2 == 0 {
			continue // opens a string
		}
		if sqlCaseAfter(v, i+1) || sqlListElementAfter(v, i+1, q) {
			return true
		}
	}
	return false
}

// sqlCaseAfter: at v[j:], after a closing quote, an operator's bytes,
// a comma or a bracket (x'=case, x',case, x'||(case) or a keyword (x' or
// case), then a CASE expression (sqlCaseAt: CASE, and its WHEN, THEN
// and END in order within sqlCaseWindow bytes).
func sqlCaseAfter(v string, j int) bool {
	j = skipSpace(v, j)
	start := j
	for j < len(v) && strings.IndexByte("=<>!,+-*/|&^%~(", v[j]) >= 0 {
		j = skipSpace(v, j+1)
	}
	if j == start {
		e := j
		for e < len(v) && asciiLetter(v[e]) {
			e++
		}
		switch strings.ToLower(v[j:min(e, j+4)]) {
		case "or", "and", "xor", "not", "like", "in", "is", "div", "mod":
			if e-j > 4 {
				return false
			}
			j = skipSpace(v, e)
			for j < len(v) && v[j] == '(' {
				j = skipSpace(v, j+1)
			}
		default:
			return false
		}
		if j == e {
			return false
		}
	}
	return sqlCaseAt(v, j)
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
