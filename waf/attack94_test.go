package waf

import (
	"strings"
	"testing"
)

// TestAttack94 is attack 94's find: a secret's environment variable as a
// bare argument, which a shell expands wherever the value lands in a
// command line (127.0.0.1 $AWS_SECRET_ACCESS_KEY: PHP's system("ping
// ".$host) printed the secret in ping's error message), and its cmd.exe
// spelling (210228).
func TestAttack94(t *testing.T) {
	operatorTable(t, "210228", shellSecretVar,
		[]string{"127.0.0.1 $AWS_SECRET_ACCESS_KEY", "127.0.0.1 $DATABASE_URL", "127.0.0.1 $PGPASSWORD", "127.0.0.1 $GITHUB_TOKEN",
			"$AWS_SECRET_ACCESS_KEY", `127.0.0.1 "$GITHUB_TOKEN"`, "x$PGPASSWORD", "127.0.0.1$STRIPE_API_KEY", "a $MYSQL_PWD b",
			"127.0.0.1 $DB_PASS", "127.0.0.1 $SENTRY_DSN", "127.0.0.1 $REDIS_URL", "127.0.0.1 $MONGODB_URI", "h $SQLCONNSTR_MAIN",
			"127.0.0.1 $DB_PASSWORD2", "127.0.0.1 $OPENAI_API_KEY", "127.0.0.1 $SECRET_KEY_BASE", "127.0.0.1 $TOKEN",
			"127.0.0.1 %AWS_SECRET_ACCESS_KEY%", "127.0.0.1 %github_token%", "127.0.0.1 %DB_PASSWORD%", "127.0.0.1 %DATABASE_URL%",
			"127.0.0.1 %API_KEY:~0,5%"},
		nil,
		[]string{"It costs $5 per KEY", "$token = getToken();",
			"Press $KEY to continue", "Written by $AUTHOR", "a $KEYBOARD deal", `price \$API_KEY`, "50% off TOKEN% sale",
			"100%TOKEN", "Save 20% now, 30% later", "$USER_ID and $SESSION_ID",
			"$1 for the first match", "Revenue $2M; KEY metrics",
			"Save it; $env:GITHUB_TOKEN is read by the CLI"})
	// what the CRS alone refuses, the operator passes too
	for _, v := range []string{"Use $PATH and $HOME", "$password = $_POST['password'];", "$PWD is the working directory",
		"${x} is a template"} {
		if shellSecretVar(v) {
			t.Errorf("210228 matches %q", v)
		}
	}
}

// TestAttack94Encoded reads %NAME% before t:urlDecodeUni, which decodes
// %DB and %DA (hex digits) into a byte: through a real Caddy, a query
// value of %DB_PASSWORD% (sent as %25DB_PASSWORD%25) is refused.
func TestAttack94Encoded(t *testing.T) {
	tableOnly(t)
	runBeyondTheCRS(t, nil, []probe{
		{name: "query %DB_PASSWORD%", method: "GET", path: "/api/items?q=127.0.0.1+%25DB_PASSWORD%25"},
		{name: "query %DATABASE_URL%", method: "GET", path: "/api/items?q=127.0.0.1+%25DATABASE_URL%25"},
		{name: "form $AWS_SECRET_ACCESS_KEY", method: "POST", path: "/api/items", contentType: "application/x-www-form-urlencoded",
			body: "host=127.0.0.1+%24AWS_SECRET_ACCESS_KEY"},
	}, []probe{
		{name: "query 20% of TOKEN holders", method: "GET", path: "/api/items?q=20%25+of+TOKEN+holders"},
	})
}

// TestCPUBoundAttack94 repeats 210228's shapes to the body limit through a
// real Caddy (repeatedJSONUnder: each under the stated CPU bound).
func TestCPUBoundAttack94(t *testing.T) {
	repeatedJSONUnder(t, "$A", "$AWS_X ", "%A", "%a%", "%DB_X:", "$env:", "$env:A ", "$A_B_C_D_E_F_G_H", "\\$", "$$$$")
}

// FuzzShellSecretVar: any value is read by 210228 without a panic, and a
// match needs a $ or a % before a secret's name.
func FuzzShellSecretVar(f *testing.F) {
	for _, v := range []string{"127.0.0.1 $AWS_SECRET_ACCESS_KEY", "%db_password%", "$env:API_KEY", "%API_KEY:~0,5%", "\\$TOKEN", "$", "%"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if shellSecretVar(v) && !strings.ContainsAny(v, "$%") {
			t.Fatalf("210228 matches %q, which holds no $ or %%", v)
		}
	})
}
