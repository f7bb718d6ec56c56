package waf

import (
	"net/url"
	"strings"
	"testing"
)

// TestReview90 are a review's finds in attack 90's fixes (SQL and
// templates; the shell, Windows and lookup ones are beside their rules):
// (TABLE t) with ONLY, a quoted name, FETCH FIRST, *, COLLATE, ||, ^@,
// E'...', ANY, ::, OPERATOR(...), comments around TABLE (210218, each a
// character of a secret on PostgreSQL 15); x'or with no blank and
// OPERATOR (210216); Caddy's env with a string, a variable or the dot,
// and a pipeline into placeholder, in a User-Agent (210215). Its false
// positives: prose's brackets (listed below (Table A)</p>, (Table S1) <
// 0.05) and an apostrophe after a digit (the 90's). And two crashes: an
// index past the value in tableCompared (130 blanks after TABLE) and in
// sqlWordCall (x' or time( with blanks to the end).
func TestReview90(t *testing.T) {
	operatorTable(t, "210218", tableCompared,
		[]string{"x' or (table only s) like 'tok%", `x' or (table"s") like 'tok%`, "x' or (table s fetch first 1 rows only) like 'tok%",
			`x' or (table s) collate "C" like 'tok%`, "x' or (table s *) like 'tok%", "x' or (table s) ^@ 'tok",
			"x' or (table s) like E'tok%", "x' or (table s) ilike any(array['tok%'])", "x' or (--c\ntable s) like 'tok%",
			"x' or (table--c\ns) like 'tok%", "x' or (\ftable s) like 'tok%", "x' or (table" + strings.Repeat(" ", 130) + "s) like 'a",
			"x' or (table s)||'' like 'tok%", "x' or (table s) like U&'tok%"},
		nil,
		[]string{"<p>Baseline characteristics are listed below (Table A)</p>", "Check the prices (table below)!",
			"Genes with q-values (Table S1) < 0.05 were kept", "<li>Results per site (see table below)</li><li>Cost (table below)</li>",
			"New desk lamp (table lamp) ~ $30", "Scores (Table B) => see appendix", "Fixed the sticky header (table header)!",
			"(table below) in the appendix", "(Table 1) > 2 rows", "cats and (table lamps) and chairs"})
	for _, v := range []string{"x' or (table s)::text like 'tok%", "x' or (table s) operator(pg_catalog.~~) 'tok%", "x' or (table s) like concat('tok','%')"} {
		if !tableCompared(v) {
			t.Errorf("210218 misses %q", v)
		}
	}
	operatorTable(t, "210216", pgOperatorCondition, []string{"x'or 1 operator(=) 1--"}, nil, nil)
	// the crashes: no panic, and what the value holds is read
	for _, v := range []string{"x' or time( ", "x' or time(\t\t", "x' or mod( ", "x' or (table" + strings.Repeat(" ", 130)} {
		sqlQuotedCall(v)
		tableCompared(v)
	}
	h := headerProbe
	runBeyondTheCRS(t, []probe{h("User-Agent time( crash", "User-Agent", "x' or time( 1)>0 or '")},
		[]probe{h("User-Agent (table s)::text", "User-Agent", "x' or (table s)::text like 'tok%"),
			h("User-Agent env string", "User-Agent", `{{env "SECRET_TOKEN"}}`),
			h("User-Agent env variable", "User-Agent", `{{ $f := "SECRET_TOKEN" }}{{ env $f }}`),
			h("User-Agent env dot", "User-Agent", `{{ with "SECRET_TOKEN" }}{{ env . }}{{ end }}`),
			h("User-Agent pipeline placeholder", "User-Agent", `{{ printf "%s.%s" "env" "SECRET_TOKEN" | placeholder }}`),
		},
		[]probe{{name: "the 90's", method: "GET", path: "/search?q=" + url.QueryEscape("Back in the 90's we wrote WHERE a = 'x' OR is_admin(id) = 1")},
			{name: "Blade env", method: "GET", path: "/search?q=" + url.QueryEscape("Blade: {{ env('APP_NAME', 'Laravel') }}")},
			{name: "crash shape", method: "GET", path: "/search?q=" + url.QueryEscape("x' or time( ")}})
}
