package waf

import (
	"net/http"
	"strings"
	"testing"
	"time"
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
			"x'||schema_to_xml('public',true,true,'')||'", "x'||table_to_xmlschema('users',true,true,'')||'", "x'||cursor_to_xml('c',1,true,true,'')||'",
			"1||table_to_xml('users',true,true,'')"},
		[]string{"x'||lo_import('/etc/passwd')||'", "x'||(query_to_xml('select 1',true,true,''))::text||'"},
		[]string{"You can dump a table with table_to_xml('users', true, true, '') in psql.", "'foo' || 'bar'"})
	operatorTable(t, "210201", tsqlStatement,
		[]string{"name desc select 1 where 1=(select top 1 password from users)", "id select 1 where 1=(select top 1 name from sys.tables)",
			"name desc select 1 where 1 = ( select top 1 password from users)"},
		nil,
		[]string{"name desc select all where possible", "name desc select all where (possible)"})
	operatorTable(t, "210213", psQuoteBreakout,
		[]string{"x' + $env:AWS_SECRET_ACCESS_KEY + '", "x'+$env:USERPROFILE+'", "x' + $PSVersionTable.PSVersion + '", "x' + (dir env:) + '",
			"x' + (gci env:) + '", "x' + (ls env:) + '", "x' + (net user) + '", "x' + (net localgroup administrators) + '"},
		[]string{"x' + ${env:PATH} + '"},
		[]string{"'Path: ' + $env:PATH", "the 'Network' (net use) tab"})
	operatorTable(t, "210204", argumentOptions,
		[]string{"--sh-exec id", "--sh-exec 'id'", "-c id", "-c sh", "-l 4444 -e cmd.exe", "-l -p 4444 -e cmd"},
		nil,
		[]string{"-n 5 items", "-c 3 google.com", "--help me"})
	tableOnly(t)
	h := func(name, k, v string) probe {
		return probe{name: name, method: "GET", path: "/x", header: http.Header{k: {v}}}
	}
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent query_to_xml", "User-Agent", "Mozilla/5.0'||query_to_xml('select * from users',true,true,'')||'"),
			h("User-Agent database_to_xml", "User-Agent", "Mozilla/5.0'||database_to_xml(true,true,'')||'"),
			h("Referer table_to_xml", "Referer", "https://a.example/'||table_to_xml('users',true,true,'')||'")},
		[]probe{h("User-Agent Firefox", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")})
}

// TestCPUBoundAttack87: 16 KiB of the shapes attack 87's fixes read cost
// a request what the bound allows, through Caddy.
func TestCPUBoundAttack87(t *testing.T) {
	tableOnly(t)
	base, _ := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	for _, unit := range []string{"'||table_to_xml", "1||", "' + $env:a ", "' + $", "x' + (net user ", " where 1=(", "-c "} {
		req, _ := http.NewRequest("POST", base+"/api/items", strings.NewReader(repeatedJSON(unit)))
		req.Header.Set("Content-Type", "application/json")
		readUnder(t, req, unit+" over and over, JSON", margin*urlsBound)
	}
}
