package waf

import (
	"net/http"
	"testing"
)

// TestOpen85HeaderSQL is attack 85's Open entry: a subquery joined by
// || or + to the string a quote closes, a time-based test in the
// User-Agent and the Referer, which the CRS reads with libinjection alone
// there (run on PostgreSQL and SQLite by the attacker): rule 210212.
func TestOpen85HeaderSQL(t *testing.T) {
	pg := "https://a.com/'||(select case when (select substr(password,1,1) from users limit 1)='a' then pg_sleep(2) end)||'"
	lite := "Mozilla/5.0'||(SELECT CASE WHEN (SELECT substr(password,1,1) FROM users LIMIT 1)='a' THEN randomblob(300000000) ELSE 1 END)||'"
	oracle := "x'||(select case when substr(password,1,1)='a' then to_char(1/0) else 'x' end from users where rownum=1)||'"
	// in arguments the CRS refuses each (libinjection, 942xxx, or PHP's
	// substr(); and the shapes below that read as SQL to it)
	operatorTable(t, "210212", quoteConcatSubquery, nil,
		[]string{pg, lite, oracle, "x' || (select 1) || '", "x'+(select top 1 name from sysobjects)+'", "x'||((select 'a'))||'",
			"x')||(case when 1=1 then 'a' end)||'", "x\"||\n(select 1)||\"", "x' ||(SELECT/**/1)"},
		[]string{"it's 'a'+(selected items)", "the 'a'||b (select one)", "I'd say (select all)"})
	for _, v := range []string{"'total' + (case sensitive)", "x||(select 1)", "'a' + (b) select", "a'||('b')"} {
		if quoteConcatSubquery(v) {
			t.Errorf("210212 matches %q", v)
		}
	}
	tableOnly(t)
	h := func(name, k, v string) probe {
		return probe{name: name, method: "GET", path: "/x", header: http.Header{k: {v}}}
	}
	runBeyondTheCRS(t, nil,
		[]probe{h("Referer PostgreSQL", "Referer", pg), h("User-Agent SQLite", "User-Agent", lite), h("User-Agent Oracle", "User-Agent", oracle)},
		[]probe{h("Referer search", "Referer", "https://www.google.com/search?q=sql+%27a%27%7C%7C%27b%27+concat"),
			h("User-Agent Chrome", "User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")})
}

// FuzzGoOperators: every Go operator the rules name reads any value
// without a panic, and decides it the same way twice (no state kept
// between values).
func FuzzGoOperators(f *testing.F) {
	for _, v := range []string{"x'||(select 1)||'", "x' glob '*", "1 or true()", "O:8:\"stdClass\":+1:{}", "127.0.0.1:2375/containers", "--pre=sh", "limit 10 offset (select 1)", "\n\n\r\n", "'" + "||(" + "case when"} {
		f.Add(v)
	}
	if len(goOperators) < 40 {
		f.Fatalf("%d Go operators registered: the registry lost some", len(goOperators))
	}
	f.Fuzz(func(t *testing.T, v string) {
		for name, op := range goOperators {
			if first := op(v); op(v) != first {
				t.Fatalf("%s decides %q two ways", name, v)
			}
		}
	})
}
