package waf

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// attack79TSQL are attack 79's SQL Server finds (210201): what ends a
// query after its sort keys (COLLATE, OPTION, FOR XML/JSON/BROWSE), a
// conditional blind test (IF ... WAITFOR, SELECT 1/0), KILL, SELECT INTO,
// and a numeric slot's value that starts with N'', 0x or an ODBC escape.
var attack79TSQL = []string{"name collate Latin1_General_CI_AS delete from users", "name desc option(recompile) delete from users",
	"name option (maxdop 1) drop table users", "name option(fast 1) shutdown", "name for xml auto delete from users",
	"name for json path drop table users", "name for browse delete from users", "name for xml raw,elements delete from users",
	"name desc,2 delete from users",
	"name desc if exists(select 1 from users where pw like N'a%') waitfor delay N'0:0:5'",
	"name asc if (select count(*) from users where left(pw,1)=N'a')=1 waitfor delay N'0:0:5'",
	"1 if exists(select * from users where pw like N'a%') waitfor delay N'0:0:5'", "1 if system_user=N'sa' waitfor delay N'0:0:5'",
	"name desc if exists(select 1 from users where pw like N'a%') select 1/0", "name desc kill 52", "1 kill 52",
	"name desc select * into x from users", "N'' delete users", "N'' drop table users", "N'' alter login sa enable", "N'1' delete users",
	"0x shutdown", "0x delete users", "{d '2020-01-01'} delete users"}

// attack79TSQLBenign are near-misses, and attack 79's false positives.
var attack79TSQLBenign = []string{"5 if you want, select all", "2 if needed print it", "Please kill 52 processes", "Select into the box from the list",
	"Pass --upload-pack to git fetch only if the remote needs a custom path.", "Remember --upload-pack is also spelled -u in git clone.",
	"See the --receive-pack docs for details.", "Run `tar xf a.tar --to-command=cat` to print each file to stdout.",
	"Azure IMDS is at 169.254.169.254/metadata/instance?api-version=2021-02-01 (needs Metadata: true)."}

// TestAttack79TSQL: the gateway refuses attack79TSQL through a real Caddy
// and none of attack79TSQLBenign.
func TestAttack79TSQL(t *testing.T) {
	operatorTable(t, "2102xx", func(v string) bool {
		return tsqlStatement(v) || argumentOptions(v) || shellPrefixed(v) || schemelessMetadata(strings.ToLower(v))
	}, attack79TSQL, []string{"x' waitfor delay N'0:0:5'--"}, attack79TSQLBenign)
}

// TestCPUBoundAttack79: 16 KiB of the shapes attack 79's readings meet
// cost what the bound allows.
func TestCPUBoundAttack79(t *testing.T) {
	tableOnly(t)
	base, _ := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	for _, unit := range []string{"a if (", "1 if (' ", "name for xml auto, ", "a option (", "N'' ", "0x ", "{d '", "if @a=1 x ", "select a into "} {
		body := repeatedJSON(unit)
		req, _ := http.NewRequest("POST", base+"/api/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		readUnder(t, req, unit+" over and over, JSON", margin*urlsBound)
	}
}
