package waf

import "testing"

// tsqlApostropheBenign are attack 76's false positives of 210201 (a
// contraction's apostrophe before the statement, and a later one read as
// a string left open) and a review's (WHILE then USE, EXEC of a word).
var tsqlApostropheBenign = []string{"I can't delete from inbox where it's stuck", "It's a bug: you can't drop table users if it's locked",
	"Can't create user accounts on the admin page, it's broken", "We can't create table reservations on weekends, it's policy",
	"Let's merge the branches using git, it's easy", "The script's while loop print 1 never ends, what's wrong?",
	"We couldn't insert into table values it's weird", "Don't update users set their hopes high, it's fine",
	"Don't close the tab while you use it, it's still saving", "I'll update the set list tonight, it's almost done",
	"I'd run kubectl exec mypod -- ls to check", "We'll exec the script, it's in bin/", "uuid::Uuid::new_v4()"}

// tsqlApostropheAttacks keep a quote between letters where SQL opens a
// string (like's, N'x'and), a table hint in UPDATE (a review), and
// attack 76's xmlparse reads (run on PostgreSQL 15).
var tsqlApostropheAttacks = []string{"x' delete from users where 1=1 or name like's", "x' delete from users where name=N'x'and'a'='a",
	"x' update users with (tablock) set is_admin=1--", "x' update users with(rowlock) set is_admin=1 where name='me",
	"x'||xmlparse(document password)||'", "x' and xmlparse(document password) is null--", "name, (xmlparse(document password) is null)",
	"name, xmlparse(document password) is null"}

// TestTSQLApostrophes: rules 210201 and 210202 refuse
// tsqlApostropheAttacks through a real Caddy and none of
// tsqlApostropheBenign.
func TestTSQLApostrophes(t *testing.T) {
	operatorTable(t, "210201", func(v string) bool { return tsqlStatement(v) || sortListProbe(v) }, tsqlApostropheAttacks, nil, tsqlApostropheBenign)
}
