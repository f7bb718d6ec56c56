package waf

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// numberOperandAttacks are attack 68's: a number (the value of a numeric
// column, WHERE id = <value>), OR and an operand that is true there,
// which rule 210155 (a constant or a comparison) and libinjection (the
// shape of "1 or more") passed; each returned every row of a three-row
// table on SQLite, or is PostgreSQL's (NOTNULL) or MySQL's (a non-zero
// id is true).
var numberOperandAttacks = []string{"5 or 1 notnull", "5 or id notnull", "5 or 1 collate nocase", "5 or 1 collate nocase limit 9",
	"5 or'1' collate nocase", `5 or "1" collate nocase`, "5 or'1' COLLATE binary", "5 or rowid", "5 or _rowid_", "5 or oid", "5 or id",
	"5 or ~id", "5 or current_date", "5 notnull", "5 or user_id", "5 or not id", "5 or -id", "5 or +id", "5 or !id", "5 or id+0", "5 or id*1",
	"5 or current_timestamp", "5 or localtime", "'5' or rowid", "5\tOR\tROWID", "5 and rowid", "5 xor oid", "5 && rowid",
	"5 or rowid)", "5\u00a0or\u00a0rowid", "x=1;5 or rowid", "5 or 1 isnull", "5 or 1 notnull--"}

// numberOperandAttacksCRS are the same shape that the CRS refuses too.
var numberOperandAttacksCRS = []string{"5 or id--", "5 or rowid#", "5 or rowid;", "5 or rowid order by 1",
	"5 or id limit 1 offset 2", "5 or (rowid)"}

// numberOperandBenign are near-misses: a number, or and a word in prose.
var numberOperandBenign = []string{"1 or more", "18 or older", "1 or 2 days", "5 or fewer", "1 or none", "3 and up", "Take 1 or not",
	"2 or 3 id cards", "Rated 4 or higher", "10 or so", "1 or the other", "5 or ids", "5 or idea", "1 or identity", "5 or oids",
	"3 or 4 rows", "2 and current dates", "1 or not at all", "5 or id cards", "page 5 or rowid", "7 or 8 user_id values", "10 or iPhone12(mini)", "1 or name (of it)", "2 or f(x)"}

// TestNumberOperand: rule 210200 refuses numberOperandAttacks through a
// real Caddy (in the query and in JSON), where the CRS alone lets them
// through, and no near-miss.
func TestNumberOperand(t *testing.T) {
	operatorTable(t, "210200", numberOperand, numberOperandAttacks, numberOperandAttacksCRS, numberOperandBenign)
}

// TestNumberOperandInEveryPlace: attack 68 sent its values in a form, a
// path segment, a cookie and a header too.
func TestNumberOperandInEveryPlace(t *testing.T) {
	tableOnly(t)
	var misses []probe
	for _, v := range []string{"5 or rowid", "5 or 1 notnull", "5 or 1 collate nocase", "5 or id"} {
		misses = append(misses,
			probe{name: "form " + v, method: "POST", path: "/api/items", contentType: "application/x-www-form-urlencoded", body: "id=" + url.QueryEscape(v)},
			probe{name: "path " + v, method: "GET", path: "/api/users/" + url.PathEscape(v)},
			probe{name: "cookie " + v, method: "GET", path: "/api/items", header: http.Header{"Cookie": {"uid=" + url.QueryEscape(v)}}},
			probe{name: "header " + v, method: "GET", path: "/api/items", header: http.Header{"X-User-Id": {v}}})
	}
	// comments for spaces (t:replaceComments before the operator)
	misses = append(misses, probe{name: "query 5/**/or/**/rowid", method: "GET", path: "/api/items?id=" + url.QueryEscape("5/**/or/**/rowid")})
	// the string form: a closed quote, OR, an operand and COLLATE (210179)
	for _, v := range []string{"x' or 1 collate nocase or '", "x' or id collate nocase or '", "' OR 1 COLLATE NOCASE--", `x" or 1 collate binary or "`} {
		misses = append(misses, probe{name: "query " + v, method: "GET", path: "/api/items?name=" + url.QueryEscape(v)})
	}
	var benign []probe
	for _, v := range []string{"5 or more", "1 or 2 days", "He said 'yes' or no, collate later", "Pick 'A' or 'B'"} {
		benign = append(benign, probe{name: "form " + v, method: "POST", path: "/api/items", contentType: "application/x-www-form-urlencoded", body: "q=" + url.QueryEscape(v)},
			probe{name: "header " + v, method: "GET", path: "/api/items", header: http.Header{"X-Note": {v}}})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

// TestCPUBoundNumberOperand: rule 210200 reads from the value's start
// and from each ';', a few operands each: repetitions of its shapes cost
// what any value of their size does.
func TestCPUBoundNumberOperand(t *testing.T) {
	tableOnly(t)
	base, _ := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	for _, unit := range []string{";5 or ", ";5 or -", ";'5' or '", ";5 or (", ";5 or ~~~~", ";x=5 or id collate ", ";5 or ((((", ";5 or id is ",
		";5 or [", ";5 or {x ", ";5 or id between ", ";5 or (id+(id+(id", ";5 or id|", "'' or 1+", ";5--x\nor "} {
		q := url.QueryEscape(strings.Repeat(unit, 2500/len(unit)))
		body := repeatedJSON(unit)
		req, _ := http.NewRequest("POST", base+"/api/items?q="+q, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		readUnder(t, req, unit+" over and over, query and JSON", margin*urlsBound)
	}
}

// BenchmarkNumberOperand: the operator on 16 KiB of its shapes.
func BenchmarkNumberOperand(b *testing.B) {
	for _, unit := range []string{";5 or ", ";5 or -", ";'5' or '", ";5 or ~~~~", ";5 or ((((", ";5 or (id+(id+(id", "'' or 1+"} {
		v := strings.Repeat(unit, 16384/len(unit))
		b.Run(strings.TrimSpace(unit), func(b *testing.B) {
			for b.Loop() {
				numberOperand(v)
			}
		})
	}
}

// FuzzNumberOperand: any value is read without a panic, and prose of
// words, numbers and single spaces with none of SQL's operator words is
// never matched.
func FuzzNumberOperand(f *testing.F) {
	for _, v := range concat(numberOperandAttacks, numberOperandBenign, numberExprAttacks, constantTestAttacks) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !numberOperand(v) {
			return
		}
		for _, w := range strings.Fields(strings.ToLower(v)) {
			for i := 0; i < len(w); i++ {
				if !identByte(w[i], "") {
					return // punctuation: SQL's operators
				}
			}
			switch w {
			case "or", "and", "xor", "not", "is", "in", "like", "glob", "regexp", "rlike", "ilike", "similar", "sounds", "between",
				"notnull", "isnull", "collate", "div", "mod", "distinct":
				return
			}
		}
		t.Fatalf("%q: matched, though it is words with no operator", v)
	})
}
