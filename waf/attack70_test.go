package waf

import (
	"strings"
	"testing"
)

// constantTestAttacks are attack 70's: a numeric slot given a constant
// and a test of it with no OR, which SQL reads after the slot's own =
// (WHERE id = 5 is not 5 is (id = 5) IS NOT 5: every row on SQLite, where
// =, IS, IN, LIKE and GLOB share a level; 5 is not true, 5 is false and
// 5 is distinct from true on PostgreSQL 15), and a password read a
// letter a request through IS NOT and GLOB. Each passed the CRS and the
// gateway in every place.
var constantTestAttacks = []string{"5 is not 5", "5 IS NOT 5", "5/**/is/**/not/**/5", "5\nis\nnot\n5", "5 is  not  5", "5 is not '5x'", "0x5 is not 5",
	"5 is not +5", "5 is not 5-0", "0 is not 5", "-1 is not -1", "5 is not 6", "1 is not 1;", "5 is not true", "5 is false", "5 is distinct from true",
	"5 not in (5)", "5 not in(5)", "5 not in (5,6)", "5 not like 5", "5 not glob 5", "5 like 0", "5 glob 0", "5 is 0", "5=0", "5 = 0", "5<5=0",
	"5 != 1 = 1", "5 <=> 0", "1 is not (password glob 'pw1*')", "1 is not (password glob 'pw[0-1]*')", "1 is not (password glob x'2A')"}

// constantTestBenign are near-misses: arithmetic before the test, a
// test with a word, a list of words.
var constantTestBenign = []string{"1+1=2", "2*3=6", "10/2=5", "5 is fine", "5 is not enough", "1 is the loneliest number", "3 in (the list)",
	"5 like this", "2 is my answer", "4 in (a row)", "7 is not a prime? yes it is"}

// TestConstantTests: rule 210200 refuses constantTestAttacks through a
// real Caddy (in the query and in JSON), and no near-miss.
func TestConstantTests(t *testing.T) {
	operatorTable(t, "210200", numberOperand, constantTestAttacks, nil, constantTestBenign)
}

// TestCommentsSearchedOnce: rules 210200 and 210179 read from every ';'
// and every quote, and a comment (# or -- to the line's end, /* to */)
// is searched for its end once: 16 KiB of ;# cost 47-97 ms when each
// start searched to the value's end (a review). The bytes searched are
// counted, not timed.
func TestCommentsSearchedOnce(t *testing.T) {
	for _, unit := range []string{";#", ";--", ";/*", ";a=#", ";5 or #", ";5 or /*", "'#", "' or 1 #", "') or /*", ";#\n", ";/**/"} {
		v := strings.Repeat(unit, 16384/len(unit))
		for name, read := range map[string]func(*sqlReader) bool{"210200": numberOperandIn, "210179": tautologySuffixIn} {
			r := newSQLReader(v)
			read(r)
			if r.scanned > 4*len(v) {
				t.Errorf("%s on %q ×%d: %d bytes searched for comments' ends, want at most %d", name, unit, len(v)/len(unit), r.scanned, 4*len(v))
			}
		}
	}
	// many starts before one run of comments: each walked the run (a
	// review: 0.17-0.2 s for 12 KiB); now each place is skipped from once
	for _, v := range []string{strings.Repeat(";#", 2048) + "\n" + strings.Repeat("#\n", 4096), strings.Repeat("'#", 2048) + "\n" + strings.Repeat("#\n", 4096),
		strings.Repeat("';--x", 1600) + "\n" + strings.Repeat("--\n", 2700), "5" + strings.Repeat(" or #", 800) + "\n" + strings.Repeat("#\n", 4096),
		strings.Repeat("'/*", 2700) + "*/" + strings.Repeat(" ", 8192), strings.Repeat(";/*", 2700) + "*/" + strings.Repeat(" ", 8192)} {
		for name, read := range map[string]func(*sqlReader) bool{"210200": numberOperandIn, "210179": tautologySuffixIn, "210201": func(r *sqlReader) bool {
			t := newTSQLReader(r.v)
			t.sqlReader = r
			return t.numbered() || t.quoted()
		}} {
			r := newSQLReader(v)
			read(r)
			if r.steps > 4*len(v) || r.scanned > 4*len(v) {
				t.Errorf("%s on %.12q...: %d places and blanks skipped, %d bytes searched for comments' ends, for a value of %d", name, v, r.steps, r.scanned, len(v))
			}
		}
	}
}

// exprReviewAttacks are a review's spellings that 210200 missed before
// it read a double-quoted constant, arithmetic on the constant, names of
// quoted parts and the date functions (each every row on SQLite).
var exprReviewAttacks = []string{`"5" or rowid`, `"x" or rowid`, `"" or rowid`, `"5" or [id]`, "5+0 or rowid", "5*1 or -id", "5-0 or ~id", "5+0 or id",
	`5 or "u"."rowid"`, "5 or [u].[rowid]", "5 or u.[rowid]", `5 or u."id"`, `5 or "u".rowid`, `5 or main."u"."rowid"`,
	"5 or time()", "5 or unixepoch()", "5 or datetime()", "5 or strftime('%Y')", "5 <> 7", "5<>7", "5 != 2", "5 is not 2", "5 is not 'x'",
	"5 is not -1", "5 <> 'a'", "5 not in (2)", "5 in (0,1)", "5 not like 2", "5 like '_'", "5 not glob 7", "5 == 5 <> 7"}

// exprReviewBenign are the review's prose that 210200 refused.
var exprReviewBenign = []string{"10 or more like 20", "20 or more like 30", "5 or less like 4", "5 or [citation needed]",
	"5 or 6 collate", "1 or 1/2 cup", "1.5 or 2.0 mm", "18 or over", "1 or ID card"}

// exprReviewCRS are prose the CRS alone refuses (its libinjection), which
// 210200 passes.
var exprReviewCRS = []string{"1 or 2 between 3 and 4", "2 or 3 -- not sure", "2 or 3*4", "4 or 5 ~ish"}

// TestExpressionReview: the review's rows through a real Caddy.
func TestExpressionReview(t *testing.T) {
	nearMisses(t, "210200", numberOperand, exprReviewCRS)
	operatorTable(t, "210200", numberOperand, exprReviewAttacks, nil, exprReviewBenign)
}

// TestQueryTextParts: a query is read whole when any part (split at &
// and ;) is not plainly named, with or without an =, with empty parts
// (a review: ?5%20or%20rowid, ?5 or id=id;, ?5 or rowid&rowid=rowid
// passed).
func TestQueryTextParts(t *testing.T) {
	for q, want := range map[string]bool{"5%20or%20rowid": true, "5%20or%20id%3Did": true, "5%20or%20[rowid]": true, "5%20or%20id=id;": true,
		"5%20or%20id=id&": true, "5%20or%20rowid&rowid=rowid": true, "5%20or%20rowid&rowid": true, "1'%20or%20'1'='1&": true,
		"id=5": false, "page=2&sort=name": false, "123": false, "a[b]=1&c.d=2": false, "": false, "x=1;y=2": false} {
		args := separatorArguments(q, nil)
		got := false
		for _, a := range args {
			got = got || a.name == "query.text"
		}
		if got != want {
			t.Errorf("?%s: query.text %v, want %v", q, got, want)
		}
	}
}
