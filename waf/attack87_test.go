package waf

import (
	"strings"
	"testing"
)

// TestAttack87 are attack 87's finds: PostgreSQL's functions that return
// a table's content with no SELECT, joined to a string
// (x'||table_to_xml('users',true,true,...)||' stored every password in a
// comment on PostgreSQL 15: 210212), in the User-Agent too; a SELECT
// after a sort key whose WHERE compares with a subquery (SQL Server's
// conversion error shows it: 210201); PowerShell's environment variables
// and drive, and net user, joined to a broken-out string (210213); and
// ncat's options as the whole value (210204).
func TestAttack87(t *testing.T) {
	operatorTable(t, "210212", quoteConcatSubquery,
		[]string{"x'||table_to_xml('users',true,true,'')||'", "x' || table_to_xml( 'users' , true , true , '' ) || '", "x'||table_to_xml($$users$$,true,true,'')||'",
			"x'||schema_to_xml('public',true,true,'')||'", "x'||table_to_xmlschema('users',true,true,'')||'", "x'||cursor_to_xml('c',1,true,true,'')||'"},
		[]string{"x'||lo_import('/etc/passwd')||'", "x'||(query_to_xml('select 1',true,true,''))::text||'"},
		[]string{"You can dump a table with table_to_xml('users', true, true, '') in psql.", "'foo' || 'bar'"})
	// no quote: 210212 reads none of these (the CRS refuses some)
	for _, v := range []string{"1 + (select one)", "5 + (select any two toppings)", "1 + (Table 2)", "2 + (case closed when done)"} {
		if quoteConcatSubquery(v) {
			t.Errorf("210212 matches %q", v)
		}
	}
	operatorTable(t, "210201", tsqlStatement,
		[]string{"name desc select 1 where 1=(select top 1 password from users)", "id select 1 where 1=(select top 1 name from sys.tables)",
			"name desc select 1 where 1 = ( select top 1 password from users)"},
		nil,
		[]string{"name desc select all where possible", "name desc select all where (possible)"})
	operatorTable(t, "210213", psQuoteBreakout,
		[]string{"x' + $env:AWS_SECRET_ACCESS_KEY + '", "x'+$env:GITHUB_TOKEN+'", "x' + (dir env:) + '",
			"x' + (gci env:) + '", "x' + (ls env:) + '", "x' + (net user) + '", "x' + (net localgroup administrators) + '"},
		nil,
		[]string{"'Path: ' + $env:PATH", "the 'Network' (net use) tab"})
	operatorTable(t, "210204", argumentOptions,
		[]string{"--sh-exec id", "--sh-exec 'id'", "-c id", "-c sh", "-l 4444 -e cmd.exe", "-l -p 4444 -e cmd"},
		nil,
		[]string{"-n 5 items", "-c 3 google.com", "--help me"})
	tableOnly(t)
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent query_to_xml", "User-Agent", "Mozilla/5.0'||query_to_xml('select * from users',true,true,'')||'"),
			h("User-Agent database_to_xml", "User-Agent", "Mozilla/5.0'||database_to_xml(true,true,'')||'"),
			h("Referer table_to_xml", "Referer", "https://a.example/'||table_to_xml('users',true,true,'')||'")},
		[]probe{h("User-Agent Firefox", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")})
}

// TestCPUBoundAttack87: 16 KiB of the shapes attack 87's fixes read cost
// a request what the bound allows, through Caddy.
func TestCPUBoundAttack87(t *testing.T) {
	repeatedJSONUnder(t, "'||table_to_xml", "1||", "' + $env:a ", "' + $", "x' + (net user ", " where 1=(", "-c ", "'|| --x\n", "'||a(b(", "'||$$")
}

// TestReview87 are the finds of a review of attack 87's fixes: a data
// function inside another call, after a dollar-quoted string, a comment,
// 170 blanks or a schema's name (210212, run on PostgreSQL 15); a
// secret's variable before a comment, a ; or a method, Get-Item env:,
// net user <name> (210213); ncat's -e with pwsh.exe, a Windows path,
// --exec (210204); IN, a subquery on the left, double brackets (210201).
// And its false positives: every environment variable joined to a string
// in forum posts' PowerShell ($env:USERNAME, $Host.Name), a number then
// + (select one) in prose.
func TestReview87(t *testing.T) {
	xml := "table_to_xml('users',true,true,'')"
	operatorTable(t, "210212", quoteConcatSubquery,
		[]string{"x'||text(" + xml + ")||'", "x'||xmlserialize(content " + xml + " as text)||'", "x'||$$a$$||" + xml + "||'",
			"x'||--a\n" + xml + "||'", "x'||" + strings.Repeat(" ", 170) + xml + "||'", "x'||\"table_to_xml\"('users',true,true,'')||'"},
		[]string{"x'||pg_catalog." + xml + "||'"},
		nil)
	if quoteConcatSubquery("x'||lower('a')||'") {
		t.Error("210212 matches a call of lower")
	}
	operatorTable(t, "210213", psQuoteBreakout,
		[]string{"x' + $env:AWS_SECRET_ACCESS_KEY #", "x' + $env:AWS_SECRET_ACCESS_KEY;'", "x' + $env:AWS_SECRET_ACCESS_KEY,'",
			"x' + (net user administrator) + '"},
		[]string{"x' + $env:AWS_SECRET_ACCESS_KEY.Substring(0) + '", "x' + (Get-Item env:AWS_SECRET_ACCESS_KEY).Value + '",
			"x' + (Get-ChildItem -Path env:) + '"},
		[]string{"'Running in ' + $Host.Name + ' host'"})
	for _, v := range []string{`$path = "C:\Users\" + $env:USERNAME + "\Documents"`, `Write-Host "Hello " + $env:USERNAME + "!"`,
		"$out = 'PowerShell ' + $PSVersionTable.PSVersion + ' on ' + $env:OS"} {
		if psQuoteBreakout(v) {
			t.Errorf("210213 matches %q", v)
		}
	}
	operatorTable(t, "210204", argumentOptions, []string{"-l 4444 -e pwsh.exe", "-l 4444 --exec cmd.exe"}, nil, []string{"-e production"})
	if !argumentOptions(`-l 4444 -e C:\Windows\System32\cmd.exe`) {
		t.Error("210204 misses -e with cmd.exe's Windows path")
	}
	operatorTable(t, "210201", tsqlStatement,
		[]string{"name desc select 1 where 1 in (select top 1 password from users)", "name desc select 1 where (select top 1 password from users)=1",
			"name desc select 1 where 1=((select top 1 password from users))"},
		nil,
		[]string{"name desc select all where (select one) applies"})
}
