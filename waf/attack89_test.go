package waf

import (
	"net/url"
	"testing"
)

// TestOwn89 are finds of attack 89's session, made while the attack ran:
// SQLite's date functions and mod after a closed quote (x' or time()>0
// or ', x' or unixepoch() or ', x' or mod(3,2) or ': each a login on
// SQLite 3.40, run for real; libinjection does not read them; 210169),
// and PostgreSQL's functions that write a file or list a directory,
// joined to a string (x'||lo_export(lo_from_bytea(0,'...'),'/var/www/s.php')||'
// in a User-Agent, where the CRS reads libinjection alone; 210212).
func TestOwn89(t *testing.T) {
	operatorTable(t, "210169", sqlQuotedCall,
		[]string{"x' or time()>0 or '", "x' or unixepoch() or '", "x' or strftime('%s')>0 or '",
			"x' or datetime()>0 or '", "x' or mod(3,2) or '"},
		[]string{"x' or julianday() or '", "x'or date()or'", "x' and timediff('2024-01-01','2023-01-01') or '"},
		[]string{"It's 'late' or time (for bed)", "Jim's 'mod' or mod(s) for the game", "O'Brien's 'mod' or mod (3) pack"})
	operatorTable(t, "210212", quoteConcatSubquery,
		[]string{"x'||pg_ls_logdir()||'", "x'||pg_ls_waldir()||'", "x'||dblink_exec('dbname=postgres','drop table users')||'",
			"x'||pg_ls_tmpdir()||'"},
		[]string{"x'||lo_export(lo_from_bytea(0,'<?php system($_GET[c]);?>'),'/var/www/s.php')||'", "x'||lo_put(1,0,'abc')||'"},
		[]string{"it's 'lo' || export(them)"})
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent lo_export", "User-Agent", "x'||lo_export(lo_from_bytea(0,'abc'),'/var/www/s.php')||'"),
			h("User-Agent unixepoch", "User-Agent", "x' or unixepoch() or '"),
			{name: "form login time()", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=x%27+or+time%28%29%3E0+or+%27&pass=zz"}},
		[]probe{{name: "prose with time()", method: "GET", path: "/search?q=What%27s+%27x%27+or+time%28%29%3F+It%27s+the+clock"},
			{name: "prose with date('now')", method: "GET", path: "/search?q=Use+%27now%27+or+date%28%27now%27%29+in+SQLite"}})
}

// TestAttack89 are attack 89's finds: PostgreSQL's OPERATOR(||) joining a
// subquery to a string (every password stored in a comment on
// PostgreSQL 15, in every place; 210212) and OPERATOR() as a condition
// (210216, 210217); array(select ...) joined in a User-Agent (210212);
// logins by functions no rule knew after a closed quote: PostgreSQL's
// txid_current, num_nonnulls, gen_random_uuid, MariaDB's st_x,
// sys_guid, natural_sort_key, lengthb, sformat, Oracle's lnnvl, instrb,
// SQL Server's len, newid (each run for real where the database was at
// hand; 210169 reads names joined by underscores when SQL follows the
// call). And its false positives of 210153: prose with a quoted 'or'
// after a ';'.
func TestAttack89(t *testing.T) {
	operatorTable(t, "210212", quoteConcatSubquery,
		[]string{"x' operator(||) (select string_agg(password,',') from users) operator(||) '",
			"x' operator(||) (with t as (select password from users) select * from t) operator(||) '"},
		[]string{"x' OPERATOR(pg_catalog.||) (SELECT password FROM users) OPERATOR(pg_catalog.||) '",
			"x' operator(||) query_to_xml('select * from users',true,true,'') operator(||) '",
			"x' operator( || ) pg_read_file('/etc/hostname') operator(||) '", "Mozilla/5.0'||array(select name||':'||password from users)::text||'",
			"x'||exists(select 1 from users where password like 'a%')::text||'"},
		[]string{"the 'a'||b (select one)", "use the operator(||) to join 'a' and 'b'", "'Total' + array(of things)", "'a' operator(||) 'b'"})
	operatorTable(t, "210216", pgOperatorCondition,
		[]string{"x' or 1 operator(=) 1 or '", "x' or 'a' operator(=) 'a' or '"},
		[]string{"x' or 1 OPERATOR(pg_catalog.>) 0--"},
		[]string{"use operator(=) in SQL", "the operator (=) sign", "x' or a operator b"})
	operatorTable(t, "210217", pgOperatorAfterNumber,
		[]string{"5 or 1 operator(=) 1", "(5) and 2 operator(>) 1"},
		[]string{"1 or 2 OPERATOR(pg_catalog.<>) 3"},
		[]string{"5 or more operators (+) are here", "10 or so operator(s) needed", "5 operator(=) 5"})
	operatorTable(t, "210169", sqlQuotedCall,
		[]string{"x' or txid_current()>0--", "x' or num_nonnulls(1)>0 or 'f", "x' or gen_random_uuid() is not null or 'f",
			"x' or pg_current_xact_id() is not null or 'f", "x' or st_x(point(1,1)) or '", "x' or st_srid(point(1,1))=0 or '",
			"x' or sformat('1') or '", "x' or natural_sort_key('1') or '", "x' or column_check(column_create('a',1)) or '",
			"x' or wsrep_last_seen_gtid() is not null or '", "x' or lengthb('a') or '", "x' or add_months(now(),1) or '",
			"x' or sys_guid() or '", "x' or lnnvl(1=2) or '", "x' or instrb('a','a')=1 or '", "x' or len('a')=1 or '",
			"x' or newid() is not null or '", "x' or st_isempty(point(1,1))=0 or '"},
		nil,
		[]string{"Don't use 'x' or get_value(y) here", "Don't write x == 'a' or is_admin(u) in your code", "I'd say 'yes' or my_func(x), whatever",
			"the 'len' or len(x) question", "Let's call 'foo' or do_thing() and see"})
	operatorTable(t, "210173", sqlNumberCall,
		[]string{"5 or txid_current()>0", "5 or num_nonnulls(1)>0"},
		nil,
		[]string{"- DBMS_OUTPUT.PUT_LINE('Hello')", "(see_also(x))", "1 or get_value(x) for now"})
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent OPERATOR(||)", "User-Agent", "x' operator(||) (select password from users where name='admin') operator(||) '"),
			h("User-Agent array(select)", "User-Agent", "Mozilla/5.0'||array(select name||':'||password from users)::text||'"),
			h("Cookie sys_guid", "Cookie", "session=x'%20or%20sys_guid()%20or%20'"),
			h("User-Agent PowerShell file variable", "User-Agent", `x' + ${C:\inetpub\wwwroot\web.config} + '`),
			{name: "form login st_x", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=admin&password=x'%20or%20st_x(point(1,1))%20or%20'"},
			{name: "form login txid_current", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded", body: "user=admin&password=x'%20or%20txid_current()%3E0--"}},
		[]probe{{name: "prose after ; with 'or not'", method: "POST", path: "/comments", contentType: "application/x-www-form-urlencoded",
			body: "body=" + url.QueryEscape(`She said "it's fine" and left; then he said 'or not'.`)},
			{name: "prose after ; with 'or'", method: "POST", path: "/comments", contentType: "application/json",
				body: jsonString("body", `"Don't" and 'won't' are contractions; 'or' is a conjunction.`)},
			{name: "Python in prose", method: "GET", path: "/search?q=" + url.QueryEscape("Don't write x == 'a' or is_admin(u) in your code")}})
}

// TestCPUBoundAttack89: 16 KiB of the shapes attack 89's fixes read cost
// a request what the bound allows, through Caddy.
func TestCPUBoundAttack89(t *testing.T) {
	repeatedJSONUnder(t, "x' operator(||) ", "operator(", "' or a_b(", "x' or a_b(1)>0 or '", "'||array(", "5 or operator(=)", "a b; c 'or' d;", "' or time(", "x'||lo_export(")
}
