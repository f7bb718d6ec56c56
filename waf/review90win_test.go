package waf

import "testing"

// review90WinAttacks are a review of rule 210219 (attack 90's Windows
// statements): cmd.exe's reads and truncations of dot-files, files
// named by a wildcard or quoted with a blank, secret files with no
// extension, a handle's digit before '>', @ and brackets before the
// command, ',' as the delimiter, an option after the file; PowerShell's
// secret variable in brackets, a string, an expression, after the unary
// comma, type's parameters, $null redirected, clc, and variables whose
// names hold credentials with no secret's word (DATABASE_URL,
// MYSQL_PWD). Each passed before (the cmd.exe and PowerShell grammar;
// not run, no Windows here).
var review90WinAttacks = []string{
	// cmd.exe
	"127.0.0.1 & type .env",
	"127.0.0.1 & type *.config",
	"127.0.0.1 & type id_rsa",
	"127.0.0.1 & copy nul .env",
	// PowerShell
	"127.0.0.1; ($env:AWS_SECRET_ACCESS_KEY)",
	`127.0.0.1; "$env:AWS_SECRET_ACCESS_KEY"`,
	"127.0.0.1; $env:AWS_SECRET_ACCESS_KEY+''",
	"127.0.0.1; ,$env:AWS_SECRET_ACCESS_KEY",
	"127.0.0.1; type -Path appsettings.json",
	"127.0.0.1; type appsettings.json -Raw",
	"127.0.0.1; $null>appsettings.json",
	"127.0.0.1; $env:DATABASE_URL",
	"127.0.0.1; $env:MYSQL_PWD",
	// the how-to's shape in ping <value>: the assignment is ping's
	// arguments, the statement after ';' prints the real token
	"Set it first: $env:GITHUB_TOKEN = 'ghp_x'; $env:GITHUB_TOKEN",
	"127.0.0.1 $env:GITHUB_TOKEN = 'x'; $env:GITHUB_TOKEN",
	// more spellings
	"x & type .git-credentials",
	"x & type .env.local",
	"x | type known_hosts",
	"x & type *.json 2>nul",
	"x & echo:2>web.config",
	"x & break 1>app.db",
	`x & type "C:\my app\appsettings.json"`,
	"x; (($env:AWS_SECRET_ACCESS_KEY))",
	`x; "key: $env:AWS_SECRET_ACCESS_KEY"`,
	"x; @($env:AWS_SECRET_ACCESS_KEY)",
	"x; $env:AWS_SECRET_ACCESS_KEY + $null",
	"x; $env:AWS_SECRET_ACCESS_KEY,1",
	"x; type -LiteralPath appsettings.json -Encoding UTF8",
	"x; type appsettings.json -Tail 5",
	"x; $NULL > appsettings.json",
	"x; $env:MONGODB_URI",
	"x; $env:SQLCONNSTR_Main",
	"x; $env:ConnectionStrings__Default",
	"x; $env:SENTRY_DSN",
	"x; $env:DB_PASS",
	// no assignment before: a line the backtick continues, an assignment
	// after '&', += (t:urlDecodeUni reads the '+' as a blank), =+'a'
	// (fails), blanks around '=' (perhaps a '+'), a variable, another
	// name, a comment
	"x`\n$env:GITHUB_TOKEN='a'; $env:GITHUB_TOKEN",
	"x & $env:GITHUB_TOKEN='a'; $env:GITHUB_TOKEN",
	"x; $env:GITHUB_TOKEN+='a'; $env:GITHUB_TOKEN",
	"x; $env:GITHUB_TOKEN=+'a'; $env:GITHUB_TOKEN",
	"x; $env:GITHUB_TOKEN = 'a'; $env:GITHUB_TOKEN",
	"x; $env:GITHUB_TOKEN=$b; $env:GITHUB_TOKEN",
	"x; $env:GITHUB_TOKEN='a'; $env:AWS_SECRET_ACCESS_KEY",
	"x; $env:GITHUB_TOKEN='a' #; $env:GITHUB_TOKEN\n; $env:GITHUB_TOKEN",
	"x; $env:GITHUB_TOKEN='a'+$env:GITHUB_TOKEN; $env:GITHUB_TOKEN",
}

// review90WinCRSCatches are the review's spellings the CRS alone
// refuses in the query.
var review90WinCRSCatches = []string{
	"127.0.0.1 & echo. 2>web.config",
	"127.0.0.1 & type nul 1>web.config",
	`127.0.0.1 & type "my secrets.json"`,
	"127.0.0.1 & @type web.config",
	"127.0.0.1 & (type web.config)",
	"127.0.0.1 & type,web.config",
	"127.0.0.1 & copy nul web.config /y",
	"127.0.0.1; clc appsettings.json",
	"x & type C:/Users/app/.ssh/id_ed25519",
	"x & copy /y nul .npmrc",
	"x & ( type web.config )",
	"x & @(type web.config)",
	"x & type=web.config",
	"x & copy nul,web.config /y /b",
	`x; "$($env:AWS_SECRET_ACCESS_KEY)"`,
	"x; Clear-Content -Path appsettings.json",
	"x; ${env:REDIS_URL}",
	"x `; $env:GITHUB_TOKEN='a'; $env:GITHUB_TOKEN",
}

// review90WinBenign: near misses: prose after the separators with the
// words the rule reads, a file type in prose, a how-to that sets the
// variable in a statement of its own (a line or a ';' before it) and
// then prints what it set, the working directory's variable.
var review90WinBenign = []string{
	"R & type notes",
	"R & type your name",
	"Pick a file & type .config",
	"Use a PDF & type .pdf",
	"Q&A & type, then press Enter",
	"Tom & Jerry (type: cartoon)",
	"R & @type notes",
	"Fish & chips; ($env:GITHUB_TOKEN is read by the CLI)",
	`Set it; "$env:GITHUB_TOKEN" is how you reference it`,
	"Docs; $env:DATABASE_URL is the URL of the database",
	"x; $env:PWD",
	"x; $env:PASSPORT_ID",
	"x; $env:APP_URL",
	"x; $env:PATH + more",
	"Set it first:\n$env:GITHUB_TOKEN='ghp_x'; $env:GITHUB_TOKEN",
	"Set it first; $env:GITHUB_TOKEN='ghp_x'; $env:GITHUB_TOKEN",
	"x; $env:DB_PASSWORD=42; ($env:DB_PASSWORD)",
	"Set it first:\r\n$env:GITHUB_TOKEN='ghp_x' ; $env:GITHUB_TOKEN # prints ghp_x",
	"copy & paste; copy nul files? no",
	"cost: 5 & echo. 2 > 1",
	"Cats & type -- your name",
	"R & type -Raw text",
}

// review90WinProseCRS are near misses the CRS alone refuses in the
// query: read by the operator alone.
var review90WinProseCRS = []string{"Step 1 & (type your name)", "Rock & roll; clc is short for Clear-Content",
	"Save it; $null is PowerShell's nothing", "Step 2 & (type v2.5)",
	"Then; ${env:GITHUB_TOKEN}=\"ghp_x\"; $env:github_token"}

// TestReview90Win: rule 210219 refuses the review's statements through
// a real Caddy (query and JSON), where the CRS alone lets them through,
// and none of the near misses.
func TestReview90Win(t *testing.T) {
	for _, v := range review90WinProseCRS {
		if winStatement(v) {
			t.Errorf("210219 matches the benign %q", v)
		}
	}
	operatorTable(t, "210219", winStatement, review90WinAttacks, review90WinCRSCatches, review90WinBenign)
}
