package waf

import (
	"net/url"
	"strings"
	"testing"
)

// sqlCallAttacks are attacks 20's and 21's SQL calls that 210156 and
// 210162 let through (ClickHouse's unlisted functions, a comparison
// before the call, SQLite's quoted names), and more of their kind.
var sqlCallAttacks = []string{
	"x' OR lengthUTF8(password)>5--", "x' OR base64Encode(password) LIKE 'c2%'--", "x' AND sipHash64(password)>0 -- -",
	"x' OR bitAnd(1,1)=1--", "x' OR 0=sleepEachRow(3)--", "admin' AND 'a'=json_extract(password,'$')--",
	`x' OR "json_valid"('1') -- -`, "x' OR `json_valid`('1') -- -", "x' OR [ISJSON]('1')=1--", "x') OR toDateTime64(now(),3)>0--",
	"x' OR NOT 1=lengthUTF8(password)--", "x' || \"sqlite_version\"() LIKE '3%'--",
	"1 OR lengthUTF8(password)>5", "1 AND 0=sleepEachRow(3)", "(1) OR \"json_valid\"('1')", "1 OR bitAnd(1,1)",
	// attack 24's: BETWEEN ... AND, another term, arithmetic before the
	// call
	"x' OR 1 BETWEEN 0 AND sleepEachRow(3)--", "x' OR 1 BETWEEN 0 AND lengthUTF8(password)--", "x' OR 1 AND sleepEachRow(3)=0--",
	"x' OR 1=1 AND sleepEachRow(3)=0--", "x' OR 1 = 1 + sleepEachRow(3)--", "1 OR 1 BETWEEN 0 AND sleepEachRow(3)",
	"1 OR 1 AND sleepEachRow(3)=0", "1 OR 0 = 1 + sleepEachRow(3)",
	// attack 25's: a column, true, NULL or a call as an operand, NOT
	// BETWEEN and NOT LIKE, more after the call, ClickHouse's distances,
	// PostgreSQL's dblink
	"x' OR id > sleepEachRow(3)--", "x' OR id BETWEEN 0 AND sleepEachRow(3)--", "x' OR name LIKE toString(sleepEachRow(3))--",
	"x' OR id + sleepEachRow(3) = 0--", "x' OR true AND sleepEachRow(3)=0--", "x' OR NULL IS NULL AND sleepEachRow(3)=0--",
	"x' OR e()>0 AND lengthUTF8(password)>5--", "x' OR 1 NOT BETWEEN 1 AND sleepEachRow(3)--", "x' OR 1 NOT LIKE toString(sleepEachRow(3))--",
	"x' OR dblink_connect('host=evil.example')='OK'--",
	"1 OR sleepEachRow(3) AND 1", "1 OR sleepEachRow(3) OR 1", "1 OR toUInt8(sleepEachRow(3)) AND 1", "1 OR sleepEachRow(3)::UInt8",
	"1 OR id + sleepEachRow(3) = 0", "1 OR 1 NOT BETWEEN sleepEachRow(3) AND 0", "1 OR L2Distance([1],[sleepEachRow(3)])=0",
}

// sqlCallBenign are near-misses: code and prose with balanced quotes,
// JavaScript's || before a camelCase call, numbers before words.
var sqlCallBenign = []string{
	"WHERE a = 'x' AND lengthUTF8(b) > 3", "It's 'Fine' || getValue(x)", "Bob's \"book\" or the 2nd(one)", "1 or 2 days",
	"1 or sha256(x) works", "3 and md5sum(file) runs", "Pick 'A' or toString(x) and go", "the 'x' or myFunc (later)",
	// attack 24's false positives: shop searches
	"10 or iPhone12(mini)", "64 or iPad9(2021)", "128GB or iPhone13(mini)", "2 or PlayStation5(slim)", "1 or eBay(used)",
	"5 and 2 or iPhone15(pro)",
	// near attack 25's: searches with numbers, words and brackets
	"16 or 32 GB (DDR5)", "1 or 2 USB(C)", "2 or 3 cases for iPhone12(mini)", "10 or more items (max 20)", "3 or 4 L2(cache)",
}

func TestSQLCall(t *testing.T) {
	for _, s := range sqlCallAttacks {
		if !sqlQuotedCall(s) && !sqlNumberCall(s) {
			t.Errorf("210169/210173 miss %q", s)
		}
	}
	re := seclangRx(sqlInjectedTail)
	for _, s := range sqlCallBenign {
		if sqlQuotedCall(s) && re.MatchString(s) || sqlNumberCall(s) {
			t.Errorf("210169/210173 match the benign %q", s)
		}
	}
	for _, s := range []string{"plain text", strings.Repeat("' or '' or ", 1000), strings.Repeat("x' OR a(", 1000), "It's 'Fine' || getValue(x)"} {
		if raceEnabled && strings.Contains(s, "getValue") {
			continue // the name's regexp (sqlListedName) takes its machine from a sync.Pool, which -race empties at random
		}
		if a := testing.AllocsPerRun(100, func() { sqlQuotedCall(s); sqlNumberCall(s) }); a != 0 {
			t.Errorf("%.40q: %v allocations", s, a)
		}
	}
}

// TestSQLCallBeyondTheCRS: rules 210169 and 210173 refuse sqlCallAttacks
// in the query and in JSON, and no near-miss.
func TestSQLCallBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var crsCatches, misses, benign []probe
	for _, s := range sqlCallAttacks {
		p := []probe{{name: "query " + s, method: "GET", path: "/login?user=" + url.QueryEscape(s)},
			{name: "JSON " + s, method: "POST", path: "/login", contentType: "application/json", body: jsonString("user", s)}}
		if crsCatchesSQLCall[s] {
			crsCatches = append(crsCatches, p...)
		} else {
			misses = append(misses, p...)
		}
	}
	for _, s := range sqlCallBenign {
		benign = append(benign,
			probe{name: "query " + s, method: "GET", path: "/api/notes?q=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("v", s)})
	}
	runBeyondTheCRS(t, crsCatches, misses, benign)
}

// crsCatchesSQLCall are sqlCallAttacks the CRS alone refuses.
var crsCatchesSQLCall = map[string]bool{"admin' AND 'a'=json_extract(password,'$')--": true}

// FuzzSQLCall: any value is read without a panic.
func FuzzSQLCall(f *testing.F) {
	for _, s := range append(append([]string{}, sqlCallAttacks...), sqlCallBenign...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		_ = sqlQuotedCall(v)
		_ = sqlNumberCall(v)
	})
}

// BenchmarkSQLCall: the operators on 64 KiB values built to make them
// read the most.
func BenchmarkSQLCall(b *testing.B) {
	for _, c := range []struct{ name, unit string }{
		{"plain", "lorem ipsum dolor sit amet "},
		{"quotes", "' or '"},
		{"calls", "x' OR 0=aB(1) "},
		{"operands", "' or '" + strings.Repeat("a", 60) + "'='"},
		{"names", "' or ab(cd) and ef "},
		{"open brackets", "' or e" + strings.Repeat("(", 60)},
	} {
		v := strings.Repeat(c.unit, 64<<10/len(c.unit))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				sqlQuotedCall(v)
				sqlNumberCall(v)
			}
		})
	}
}
