package waf

import (
	"net/url"
	"testing"
)

// numberExprAttacks are attack 69's and a review's numeric-context
// tautologies that rule 210200's first reading (a number, OR and one
// operand from a list) passed; each returned every row of a table on
// SQLite (or on PostgreSQL: IS NOT DISTINCT FROM, BETWEEN SYMMETRIC,
// num_nonnulls; MySQL's DIV, MOD, SOUNDS LIKE and {x ...} by its
// grammar).
var numberExprAttacks = []string{"5 or id <> -id", "5 or id != -id", "5 or id <> ~id", "5 or id <> id+1", "5 or id is not distinct from id",
	"5 or name is not distinct from name", "5 or [rowid]", "5 or [id]", "5 or `rowid`", "5 or `id`", "5 or rowid is rowid", "5 or id is id",
	"5 or name is name", "5 or id is not 0", "5 or id is not -id", "5 or -id is not id", "5 or rowid|0", "5 or id|0", "5 or id<<0", "5 or id>>0",
	"5 or id not like 0", "5 or id not glob 0", "5 or users.id", "5 or users.rowid", "5 or main.users.id", "5 or u.oid", "5 or users.id>0",
	"5 or id between symmetric 0 and 9", "5 or num_nonnulls(id)=1", "rowid notnull", "id notnull", "name notnull", "tableoid notnull",
	"5 or id div 1", "5 or id mod 7", "5 or {x id}", "5 or id sounds like id", "5 or id+id", "5 or id*id", "5 or rowid<<1", "5 or id%7+1",
	"5 or +rowid<<0", "5 or price+0", "5--x\nor rowid", "5 or--x\nrowid", "5 or#x\nrowid", "5#x\nor id", "5/**/or/**/rowid+0",
	"5/**/or/**/id*id", "'' or rowid", "'x' or rowid", "x'35' or rowid", "~5 or rowid", "5 or rowid like rowid", "5 or rowid glob rowid",
	"5 or rowid window w as ()", "a=1;;b=5 or rowid", ";5 or rowid", "x;;5 or rowid",
	// ORDER BY a comparison with a string (orderByProbe)
	"password like 'pw3%'", "password>'pw3'", "-(password>'pw3')", "password not like 'a%'", "u.password like 'a%' desc", "[password] >= 'm' nulls first"}

// numberExprBenign are near-misses: ranges, dashes and the verb collate
// in prose.
var numberExprBenign = []string{"1 or 2-3 or more", "5 or 6-7 and up", "2 or 3-4 or so", "1 or 2-3 and that's it", "20 or 30-40 or more people",
	"2 or 3-4 or 5-6 days", "1 or 2-3)", "2 or 3-4 ;)", "5 or 6 and we collate them", "3 or 4 and up", "4 or 5 id", "5 or 6 oid", "12 or -12 months",
	"2 or 3x", "1 or 2 of them", "3 or 4 (or more)", "2 or 3 [optional]", "1 or {2}", "5 or e.g.", "10 or iPhone12(mini)", "Rated 4 or higher",
	"Looks like 'magic'", "status='active'", "name asc", "It's like 'that'", "sort by 'name'", "created_at desc"}

// TestNumberExpression: rule 210200 reads the operand after the OR as
// an SQL expression (unary, binary and postfix operators, quoted and
// qualified names, brackets), refusing numberExprAttacks through a real
// Caddy, and no near-miss.
func TestNumberExpression(t *testing.T) {
	operatorTable(t, "210200", numberOperand, numberExprAttacks, nil, numberExprBenign)
}

// TestCollateProse: rule 210179's COLLATE (attack 68) needs a
// collation's name after it; the verb in prose passes (a review).
func TestCollateProse(t *testing.T) {
	for _, v := range []string{`Click "Print" and then collate copies`, `He said "yes" and we collate them`, `Choose 'Print' and printers collate sets`, `Tick "2-sided" and Word collate sheets`} {
		if tautologySuffix(v) || numberOperand(v) {
			t.Errorf("%q: matched", v)
		}
	}
	for _, v := range []string{"x' or 1 collate nocase or '", `x' or 1 collate "C" or '`, "x' or id collate utf8mb4_bin or '", `x' or 1 collate pg_catalog."C" or '`} {
		if !tautologySuffix(v) {
			t.Errorf("%q: missed", v)
		}
	}
}

// TestWholeText: a text/plain body and a query of one part are inspected
// whole too (body.text, query.text): the engine split them at their
// first = into a name and a value that neither reads as SQL, while an
// application reads them whole (attack 69: ' or ”=' as the body that
// fetch(url, {body: text}) sends, every classic login bypass with an =
// in it; ?1' or '1'='1 for an application that reads the query string).
func TestWholeText(t *testing.T) {
	tableOnly(t)
	var crs, misses, benign []probe
	text := func(v string) probe {
		return probe{name: "text/plain " + v, method: "POST", path: "/login", contentType: "text/plain;charset=UTF-8", body: v}
	}
	// the body read whole is the gateway's with crs_only too (as the
	// other parsing fixes are): the CRS's own rules refuse these then
	for _, v := range []string{"' or ''='", "1' or '1'='1", "admin' or 'a'='a", "x' or 'a'='a", "' OR 'x'='x", "1' or '1'='1' -- ", "' or 'a'='a' or '",
		"x' or name='admin", "1 or 1=1"} {
		crs = append(crs, text(v))
	}
	for _, v := range []string{"5 or id=id", "' || 'a'=='a", "5 or rowid", "5 or 1 notnull", "5 or ~id", "5 or current_date"} {
		misses = append(misses, text(v))
	}
	for _, v := range []string{"1' or '1'='1", "x' or name='admin", "123 or 1=1", "5 or id=id"} {
		misses = append(misses, probe{name: "query " + v, method: "GET", path: "/item?" + url.PathEscape(v)})
	}
	for _, v := range []string{"Hello, this is a plain note. See you at five = fine.", "a=1&b=2", "name=John O'Brien&city=Paris", "It's a 'test' = ok", "x=1"} {
		benign = append(benign, probe{name: "text/plain " + v, method: "POST", path: "/notes", contentType: "text/plain", body: v})
	}
	for _, q := range []string{"id=5", "q=it%27s+fine", "page[size]=10", "utm_source=news"} {
		benign = append(benign, probe{name: "query " + q, method: "GET", path: "/item?" + q})
	}
	runBeyondTheCRS(t, crs, misses, benign)
}
