package waf

import (
	"testing"
)

// review89PSAttacks are a review of attack 89's fixes to rule 210213:
// breakouts of a PowerShell string (Get-Mailbox -Identity '<value>')
// that still passed: typographic quotes, which PowerShell's tokenizer
// reads as ' (CharTraits.cs), operands before the grouping, groupings
// nested or prefixed, the call operator before a file read, a backtick
// in a command's name, and a .NET method invoked as an object.
var review89PSAttacks = []string{
	"x\u2019 + (gc C:\\secret.txt) + \u2019",
	"x\u2019 + (cmd /c whoami) + \u2019",
	`x' + $null + (gc C:\secret.txt) + '`,
	`x' + 1 + (gc C:\secret.txt) + '`,
	`x' + $null + (cmd /c whoami) + '`,
	`x' + ($null + (gc C:\secret.txt)) + '`,
	`x' + ((gc C:\secret.txt)) + '`,
	`x' + (-join(gc C:\secret.txt)) + '`,
	`x' + (. gc C:\secret.txt) + '`,
	`x' + (& type C:\secret.txt) + '`,
	"x' + (g`c C:\\secret.txt) + '",
	`x' + ([IO.File]::ReadAllText.Invoke('C:\secret.txt')) + '`,
	// the same shapes in more spellings
	"x\u2018 + (type ..\\appsettings.json) + \u2018",
	"x\u201b+(gc C:\\secret.txt)+\u201a",
	"x\u201d + (gc C:\\secret.txt) + \u201c",
	`x' + $a + 2 + (type ..\appsettings.json) + '`,
	"x' + (ty`pe ..\\appsettings.json) + '",
	`x' + @((gc C:\secret.txt)) + '`,
	`x' + (&type ..\appsettings.json) + '`,
}

// review89PSCRSCatches are the review's spellings the CRS alone refuses
// in the query (its 932 rules read & gc and $( before a command).
var review89PSCRSCatches = []string{
	`x' + $((gc C:\secret.txt)) + '`,
	`x' + (& gc C:\secret.txt) + '`,
	`x' + (&gc C:\secret.txt) + '`,
}

// review89PSBenign: the review's two false positives (an apostrophe in
// prose flipped the parity psOuterQuote reads) and near misses: posts'
// PowerShell that joins a file's length or count, typographic quotes in
// prose, nested and prefixed groupings in a string the text opens.
var review89PSBenign = []string{
	`It's simple: $msg = 'Size: ' + (gc .\data.txt).Length`,
	`Here's a trick: $s = 'Result: ' + (& $cmd) + ' ok'`,
	"It\u2019s easy: $n = \u2018Lines: \u2019 + (gc .\\log.txt).Count",
	"The \u2018Pets\u2019 (cat food) + \u2018toys\u2019 aisle",
	`Don't forget: 'Total: ' + $null + (gc a.txt).Count`,
	`'Rows: ' + ((gc .\users.csv)).Count`,
	`"Chars: " + (-join(gc .\a.txt)).Length`,
	"Tom's note: 'a' + (g`c notes.txt).Count",
	`x' + (gc C:\logs\app.log).Length + '`,
	`I'd say 'A' + 1 + (type 2.5) + 'B'`,
	"He said \u2018yes\u2019 (whoami is a command)",
	`We're done: "Lines: " + (type .\a.txt).Count`,
}

// TestReview89PS: rule 210213 refuses the review's breakouts through a
// real Caddy (query, JSON, and a User-Agent for a few), where the CRS
// alone lets them through, and none of the benign texts.
func TestReview89PS(t *testing.T) {
	operatorTable(t, "210213", psQuoteBreakout, review89PSAttacks, review89PSCRSCatches, review89PSBenign)
	var agents []probe
	for _, v := range review89PSAttacks[:4] {
		agents = append(agents, headerProbe("User-Agent "+v, "User-Agent", v))
	}
	runBeyondTheCRS(t, nil, agents, nil)
}

// attack90WinAttacks are attack 90's Windows statements after a
// separator, each passed through a built Caddy: a PowerShell statement
// that is a secret's environment variable, cmd.exe's file reads (type,
// more) and its ways to empty a file; then more spellings.
var attack90WinAttacks = []string{
	"127.0.0.1; $env:AWS_SECRET_ACCESS_KEY",
	"127.0.0.1 & type appsettings.json",
	"127.0.0.1 | type appsettings.json",
	"127.0.0.1 & more appsettings.json",
	`x & copy nul C:\app\db.mdb`,
	`x & echo.>C:\app\db.mdb`,
	`x & break>C:\app\db.mdb`,
	// more spellings
	"127.0.0.1; $env:DB_PASSWORD # x",
	"127.0.0.1 & more < appsettings.json",
	`x || type ..\appsettings.json 2>nul`,
	`x & copy /y nul C:\app\db.mdb`,
	`x & type nul > C:\app\db.mdb`,
	`x & echo. > C:\app\db.mdb`,
	`x & break > app.db & y`,
	"x | type App_Data/users.xml",
}

// attack90WinCRSCatches are spellings the CRS alone refuses in the query.
var attack90WinCRSCatches = []string{
	"127.0.0.1;${env:GITHUB_TOKEN}",
	"127.0.0.1 && type web.config",
	`127.0.0.1 & type "C:\inetpub\wwwroot\web.config"`,
	`x & cd.>C:\app\db.mdb`,
}

// attack90WinBenign: prose with the separators and the words near them.
var attack90WinBenign = []string{
	"R & type your name",
	"Q&A; & more info",
	"Tom & Jerry | type: cartoon",
	"copy the notes; echo. is a blank line in batch files",
	"Press Win+R & type cmd.exe",
	"Open it & type notes.txt to see it",
	"Step 2 & type v2.5",
	"Pick a file & type .config",
	"Ask questions; more e.g. below",
	"Save it; $env:GITHUB_TOKEN is read by the CLI",
	"x & $env:USERNAME",
	"Fish & chips | more details.See you",
	"copy & paste; copy nul files? no",
	"tea & break > coffee",
	"Cats & type and/or breed",
	"Rock & roll; echo. and break are cmd words",
}

// TestAttack90Win: rule 210219 refuses attack 90's Windows statements
// through a real Caddy (query, JSON, a User-Agent for a few), where the
// CRS alone lets them through, and none of the near misses.
func TestAttack90Win(t *testing.T) {
	operatorTable(t, "210219", winStatement, attack90WinAttacks, attack90WinCRSCatches, attack90WinBenign)
	var agents []probe
	for _, v := range attack90WinAttacks[:4] {
		agents = append(agents, headerProbe("User-Agent "+v, "User-Agent", v))
	}
	runBeyondTheCRS(t, nil, agents, nil)
}

// FuzzWinStatement: any value is read without a panic.
func FuzzWinStatement(f *testing.F) {
	for _, v := range concat(attack90WinAttacks, attack90WinBenign, review90WinAttacks, review90WinCRSCatches, review90WinBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { winStatement(v) })
}
