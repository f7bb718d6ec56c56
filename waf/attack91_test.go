package waf

import (
	"net/url"
	"testing"
)

// TestAttack91 are attack 91's finds in SQL and templates: typed literals
// after a closed quote (x' or bool 't'--, x' or date '2020-01-01' = date
// '2020-01-01'#: logins on PostgreSQL 15 and MariaDB 10.11, and a
// password read through them, in every place; 210220, new); Caddy's
// placeholder with a name the template computes ({{ placeholder (printf
// "%s.X" "env") }}, {{ placeholder $x }}: a Caddy with templates returned
// the secret) and httpInclude (210215). Its shell finds are
// TestAttack91Shell.
func TestAttack91(t *testing.T) {
	operatorTable(t, "210220", sqlTypedLiteral,
		[]string{"x' or bool 't'-- ", "x' or date '2020-01-01' = date '2020-01-01'#", "x' or uuid '00000000-0000-0000-0000-000000000000' is not null-- ",
			"x' or inet '1.2.3.4' = inet '1.2.3.4'-- ", "x' OR (BOOL 't')-- ", "x')) or bool 't'-- "},
		nil,
		[]string{"Let's meet 'Friday' or date 'Saturday'", "It's 'x' or date 'y'", "pick 'a' or 'b'", "'Sales' and date 'Q3' numbers"})
	operatorTable(t, "210215", templateRuntime,
		[]string{`{{ placeholder (printf "%s.SECRET_TOKEN" "env") }}`, `{{ $x := "env.SECRET_TOKEN" }}{{ placeholder $x }}`,
			`{{ placeholder (b64dec "ZW52LlNFQ1JFVF9UT0tFTg==") }}`, `{{ placeholder (trim " env.SECRET_TOKEN ") }}`,
			`{{ httpInclude "/?q=nested" }}`, `{{ $x | ph }}`},
		[]string{`{{ listFiles "/" }}`},
		[]string{`{{ placeholder "http.request.uri" }}`, `{{ .ph }} {{ .placeholder }}`, `{{ .Page.Title }} imports`, "Set ph to 7 {{ph}}"})
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent typed literal union", "User-Agent", "x' and bool 't' union select 1,password from users-- "),
			{name: "form login bool 't'", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded",
				body: "user=" + url.QueryEscape("x' or bool 't'-- ") + "&pw=x"}},
		[]probe{{name: "prose date", method: "GET", path: "/search?q=" + url.QueryEscape("Let's meet 'Friday' or date 'Saturday'")}})
}
