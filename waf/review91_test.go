package waf

import (
	"net/url"
	"testing"
)

// TestReview91 are a review's finds in attack 91's fixes and the rules
// before it (SQL and templates; the shell ones are TestReview91Shell):
// typed literals with dollar, escape and Unicode strings, NOT twice or
// after a bracket, any type's name (bpchar, regrole, double precision:
// each a login on PostgreSQL 15; 210220); quoted and U& names of a schema
// and a table after TABLE (210218); a line break inside a template's
// action, which Go's text/template runs (210215).
func TestReview91(t *testing.T) {
	operatorTable(t, "210220", sqlTypedLiteral,
		[]string{"x' or bool $$t$$--", "x' or bool E't'--", "x' or bool U&'t'--", "x' or not not bool 't'--", "x' or (not bool 'f')--",
			"x' or bpchar 't' = 't'--", "x' or regrole 'postgres' is not null--"},
		[]string{"x' or double precision '1' > 0--"},
		[]string{"Let's meet 'Friday' or date 'Saturday'", "Pick 'a' or maybe 'b'", "I'd prefer 'tea' or some 'coffee' today",
			"dogs' toys or cat 'treats'", "'Hello' or else 'bye'", "Use the 'x' or the 'y' option"})
	operatorTable(t, "210218", tableCompared,
		[]string{`x' or (table "public"."secrets") like 'tok%'--`, `x' or (table public."secrets") like 'tok%'--`, `x' or (table U&"secrets") like 'tok%'--`},
		nil, nil)
	operatorTable(t, "210215", templateRuntime,
		[]string{"{{ httpInclude\n\"/admin\" }}"},
		[]string{"{{ placeholder\r\n(printf \"%s.X\" \"env\") }}", "{{ \"X\"\n| env }}"},
		[]string{"{{ .Values.env\n| toYaml }}", "{{- include \"mychart.labels\"\n. }}"})
	runBeyondTheCRS(t, nil, nil,
		[]probe{{name: "prose typed literal", method: "GET", path: "/search?q=" + url.QueryEscape("I'd prefer 'tea' or some 'coffee' today")}})
}
