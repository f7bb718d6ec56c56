package waf

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// attack64Tables are a fresh-eyes attack's bypasses (attack 64) that the
// CRS alone passes: a numeric tautology with no space after OR or AND
// (210155), Oracle's error-based functions called with a subquery
// (210101), and a path segment or a header of full-width text alone,
// which was plainly safe and so uninspected (foldsToSyntax); with the
// near-misses that must pass.
func attack64Tables() (crsCatches, crsMisses, benign []probe) {
	q := func(name, v string) probe {
		return probe{name: name, method: "GET", path: "/api/items?id=" + url.QueryEscape(v)}
	}
	for _, v := range []string{"1 or'1'", "1 OR'1'", `1 or"1"`, "1 or.1", "1 or@@version", "1 and'0'", "1 xor'1'"} {
		crsMisses = append(crsMisses, q("tautology "+v, v))
	}
	for _, v := range []string{"1 or 1 glob 1", "x' or 1 glob 1--", "1 AND 3 GLOB 3", "x' or 1 glob 1 or '"} {
		crsMisses = append(crsMisses, q("number matched "+v, v))
	}
	benign = append(benign, q("number matched near-miss", "1 or 2 like 3 apples"), q("number matched near-miss 2", "Pick 1 or 2 glob patterns"))
	for _, v := range []string{"7 or'1'='1'", "1 or'1'-- -", "1 OR'1';"} {
		crsCatches = append(crsCatches, q("tautology "+v, v))
	}
	crsMisses = append(crsMisses, probe{name: "tautology in SOAP", method: "POST", path: "/soap", contentType: "text/xml", body: "<q>1 or'1'</q>"})
	for _, v := range []string{"1 and 1=dbms_xdb_version.checkin((select user from dual))",
		"1 and 1=dbms_xdb_version.checkin((select banner from v$version where rownum=1))",
		"1 and 1=dbms_xdb_version.uncheckout((select user from dual))",
		"1 and 1=ctxsys.ctx_report.token_type((select user from dual),'x')",
		"1 and 1=sys.dbms_aw_xml.readawmetadata((select user from dual),null)",
		"1 and 1=ordsys.ord_dicom.getmappingxpath((select user from dual),user,user)",
		"1 and 1=dbms_xdb_version.makeversioned((select user from dual))",
		"x' and 1=dbms_xdb_version.checkin(( select user from dual))--",
		// a later argument (a review)
		"1 and 1=dbms_xdb_version.checkin('x',(select user from dual))", "1 and 1=ctxsys.ctx_report.token_type('x',(select user from dual))",
		"1 and 1=ordsys.ord_dicom.getmappingxpath(user,(select banner from v$version where rownum=1),user)",
		// joined to the argument (attack 65)
		"1 and 1=dbms_xdb_version.checkin(1||(select user from dual))", "1 and 1=dbms_xdb_version.checkin(''||(select user from dual))",
		// a review of attack 66's fixes
		"1 and 1=dbms_xdb_version.checkin((select(user)from(dual)))", "1 and 1=dbms_xdb_version.checkin((select-1 from dual))",
		"1;dbms_xdb_version.checkin((select user from dual))", "1 and 1 div dbms_xdb_version.checkin((select user from dual))"} {
		crsMisses = append(crsMisses, q("oracle "+v, v))
	}
	crsMisses = append(crsMisses,
		probe{name: "full-width traversal in a path segment", method: "GET", path: "/download/%ef%bc%8e%ef%bc%8e%ef%bc%8fetc%ef%bc%8fpasswd"},
		probe{name: "full-width tautology in a path segment", method: "GET", path: "/calc/1%EF%BC%87%EF%BC%AF%EF%BC%B2%EF%BC%871%EF%BC%87%EF%BC%9D%EF%BC%871"},
		probe{name: "full-width tautology in a header", method: "GET", path: "/", header: http.Header{"X-Expr": {"1＇ＯＲ＇1＇＝＇1"}}},
	)
	// a backslash scheme-relative URL of a metadata address in a spelling
	// no Windows share's path has
	for _, v := range []string{`\\0xa9fea9fe\latest\meta-data`, `\\[fd00:ec2::254]/latest/`, `\\2852039166\latest`, `\\0251.0376.0251.0376\latest`, `//0251.0376.0251.0376/latest`, `/\0251.0376.0251.0376\latest`, `//0x7f.1/admin`} {
		crsMisses = append(crsMisses, probe{name: "backslash scheme-relative " + v, method: "GET", path: "/login?next=" + url.QueryEscape(v)})
	}
	benign = append(benign, probe{name: "a share's path by its dotted quad", method: "GET", path: "/files?path=" + url.QueryEscape(`\\10.0.0.5\share\report.pdf`)},
		probe{name: "a share's path by its name", method: "GET", path: "/files?path=" + url.QueryEscape(`\\fileserver\share\q3.xlsx`)})
	// a postfix after the closed quote (210106, attack 67)
	for _, v := range []string{"x' collate nocase or 'a'='a", "x' collate utf8mb4_bin or 'a'='a", "x' collate latin1_swedish_ci or 1=1-- -", "x' COLLATE \"C\" or 'a'='a",
		"x' collate nocase or 1 --", "x' collate nocase having 1=1 --", "x' collate nocase order by 3 --", "admin' collate nocase-- -", "admin' collate \"C\"-- -",
		"admin' collate nocase#", "x' notnull or 'a'='a", "x' isnull or 'a'='a", "x' using latin1) or 'a'='a", "0 or pw collate nocase like 's1%'",
		"0 or pw collate binary >= 's2'", "-1 collate nocase or 1",
		"x' collate nocase) or ('a'='a", "x' collate nocase is not null or 'a'='a", "x' collate nocase in ('x') or 'a'='a",
		"x'\x0bcollate\x0bnocase\x0bor\x0b'a'='a"} {
		crsMisses = append(crsMisses, q("postfix "+v, v))
	}
	for _, v := range []string{"the 'C' collation and the 'POSIX' one", "Use COLLATE NOCASE in SQLite for case-insensitive names", "3 people collate the papers and staple them",
		"Check whether 'email' isnull in the report", "He said 'yes' using his phone) and left"} {
		benign = append(benign, q("postfix near-miss "+v, v))
	}
	// MySQL functions whose error quotes their argument (210105, attack 66)
	for _, v := range []string{"1 and st_latfromgeohash(password)", "1 and st_pointfromgeohash(password,1)", "1 and uuid_to_bin(password)", "1 and bin_to_uuid(password)",
		"0 or st_latfromgeohash(password)", "1 and uuid_to_bin(@@hostname)", "x' and st_latfromgeohash(password)-- -",
		"1 and 1=st_latfromgeohash(password)", "1 and not st_latfromgeohash(password)", "1 or -uuid_to_bin(@@hostname)",
		"1 and\x0bst_latfromgeohash(password)", "1\xa0and\xa0st_latfromgeohash(password)"} {
		crsMisses = append(crsMisses, q("mysql "+v, v))
	}
	for _, v := range []string{"Use ST_LatFromGeoHash(hash) to read a geohash", "uuid_to_bin and bin_to_uuid convert UUIDs"} {
		benign = append(benign, q("mysql near-miss "+v, v))
	}
	// XPath injection (210104)
	for _, v := range []string{"']|//user/password|a['", "x']|//*|a['", "' or count(/*)=1 or 'a'='b",
		"x\" or contains(//user/name,\"adm\") or \"", "') or name()='user' or ('",
		// attack 66
		"' or true() or '", "x' or true() or 'x", "'or true()or'", "' or not(false()) or '", "' or node() or '", "' or .. or '", "' or self::* or '",
		"' or //* or '", "' or ./name or '", "' or ../* or '", "' or child::* or '", "' or ancestor::* or '", "\" or true() or \"",
		"' or doc('http://evil.example/a.xml')/a or '"} {
		crsMisses = append(crsMisses, q("xpath "+v, v))
	}
	for _, v := range []string{"' or string-length(name(/*))=5 or 'a'='b", "' and starts-with(//user[1]/password,'a') and ''='", "' or substring(//user[1]/password,1,1)='a' or ''='"} {
		crsCatches = append(crsCatches, q("xpath "+v, v))
	}
	for _, v := range []string{"| 'name' | /api/users |", "it's 'red' or blue (see below)", "He said 'yes' or not", "Use 'contains' or 'equals'", "'a' | 'b'", "'x' and name(first)", "Il a dit 'oui' and position('z') est bonne", "She said 'maybe' or ... or 'no'",
		"She's fine or (maybe) not", "the 'name' and position (left)"} {
		benign = append(benign, q("xpath near-miss "+v, v))
	}
	crsCatches = append(crsCatches, probe{name: "full-width traversal in a header", method: "GET", path: "/", header: http.Header{"X-File": {"．．／．．／etc／passwd"}}})
	for _, v := range []string{"1 or 2 days", "1 or more", "page 1 or 2 of the list", "1 orange", "2 and a half", "1 or so", "Rated 1 or better",
		"see (select menu)", "call f((x)) then select", "Options: a, (select one)", "f(a) b, (select all)",
		// attack 66's false positives: code that names something select, SQL in prose
		"options.map((select) => select.value)", "Array.from((select).options)", "count((select))", "Python: max((select(x) for x in xs))",
		"R: filter(df, (select(df, age) > 3))", "Try EXISTS((select 1 from dual)) in Oracle", "Use ARRAY((SELECT id FROM t)) to collect ids",
		"In Postgres: SELECT array_agg(x) FROM unnest((SELECT ids FROM lists WHERE id=1)) x;", "dbms_xdb_version.checkin is an Oracle package", "the ((selected)) items", "Choose (one (select two))"} {
		benign = append(benign, q("near-miss "+v, v))
	}
	benign = append(benign,
		probe{name: "a Japanese path with full-width parentheses", method: "GET", path: "/" + url.PathEscape("株式会社（ＡＢＣ）") + "/info"},
		probe{name: "a Japanese path of full-width letters and digits", method: "GET", path: "/" + url.PathEscape("検索") + "/" + url.PathEscape("ＡＢＣ１２３")},
		probe{name: "a header of Japanese prose with a full-width equals", method: "GET", path: "/", header: http.Header{"X-Title": {"価格＝１００円（税込）"}}},
		probe{name: "a Chinese path with CJK punctuation", method: "GET", path: "/" + url.PathEscape("你好，世界。")},
	)
	return crsCatches, crsMisses, benign
}

// TestAttack64BeyondTheCRS runs attack64Tables through a real Caddy with
// waf { crs_only } and with waf.
func TestAttack64BeyondTheCRS(t *testing.T) {
	tableOnly(t)
	crsCatches, crsMisses, benign := attack64Tables()
	runBeyondTheCRS(t, crsCatches, crsMisses, benign)
}

// FuzzFoldsToSyntax: no panic, and a character that folds to a quote is
// never plainly safe in a path segment.
func FuzzFoldsToSyntax(f *testing.F) {
	f.Add("．．／etc", true)
	f.Add("%EF%BC%87", true)
	f.Add("株式会社", false)
	f.Fuzz(func(t *testing.T, v string, escaped bool) {
		safe := safeValue(v, escaped)
		if safe && !escaped && foldsSomewhere(v) {
			t.Fatalf("%q: plainly safe, though a character folds to code", v)
		}
	})
}

func foldsSomewhere(v string) bool {
	for _, r := range v {
		if foldsToSyntax(r) {
			return true
		}
	}
	return false
}

// subqueryArgumentRef is rule 210101's reading as an expression, for
// FuzzSubqueryArgument (ASCII: the operator also takes a no-break space).
var subqueryArgumentRef = regexp.MustCompile(`(?i)(?:^|[^\w$#.])[a-z_](?:[\w$#.]*[\w$#])?[ \t\n\x0b\x0c\r]*\([ \t\n\x0b\x0c\r]*\([( \t\n\x0b\x0c\r]*select(?:[^\w$#]|\z)`)

// subqueryArgumentLater is the later-argument form, f(a,(select, which
// the operator reads within 256 bytes of the call's parenthesis: the
// fuzz target takes a match of either as the operator's.
var subqueryArgumentLater = regexp.MustCompile(`(?i)(?:^|[^\w$#.])[a-z_](?:[\w$#.]*[\w$#])?[ \t\n\x0b\x0c\r]*\([^()]{0,200}[,|+][ \t\n\x0b\x0c\r]*\([ \t\n\x0b\x0c\r]*select(?:[^\w$#]|\z)`)

// FuzzSubqueryArgument: rule 210101's operator finds nothing its
// expressions do not.
func FuzzSubqueryArgument(f *testing.F) {
	for _, v := range []string{"1 and 1=dbms_xdb_version.checkin((select user from dual))", "see (select menu)", "f( (\t(select", "1((select", "a.b.c.d((select x", "x((selectx", "_((SELECT"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for i := 0; i < len(v); i++ {
			if v[i] >= 0x80 {
				return
			}
		}
		// the operator reads less than the expressions (a select list's
		// first byte, the call's context: attack 66's false positives),
		// never more
		if subqueryArgument(v) && !subqueryArgumentRef.MatchString(v) && !subqueryArgumentLater.MatchString(v) {
			t.Fatalf("%q: operator true, neither expression", v)
		}
	})
}

// FuzzTightTautology: rule 210102's byte scan never keeps its expression
// from a value the expression matches.
func FuzzTightTautology(f *testing.F) {
	fuzzPrefilter(f, tightTautology, func(v string) bool { return tightTautologyRx.MatchString(v) || numberMatchRx.MatchString(v) }, []string{"1 or'1'", "1 AND'0'", "1 or.1", "x=1;2 xor@@v", "1 or 2", "for'", "1 Or\"1\""})
}

// FuzzXPathInjection: rule 210104's byte scan never keeps its expression
// from a value the expression matches.
func FuzzXPathInjection(f *testing.F) {
	fuzzPrefilter(f, xpathInjection, xpathInjectionRx.MatchString, []string{"']|//user/password|a['", "' or count(/*)=1", "| 'name' | /api/users |", "x\" and name()=\"a"})
}

// FuzzErrorFunction: rule 210105's byte scan never keeps its expression
// from a value the expression matches.
func FuzzErrorFunction(f *testing.F) {
	fuzzPrefilter(f, errorFunction, errorFunctionRx.MatchString, []string{"1 and st_latfromgeohash(password)", "1 or UUID_TO_BIN(x)", "geohash", "a||bin_to_uuid ("})
}

// FuzzPostfixAfterQuote: rule 210106's byte scan never keeps its
// expression from a value the expression matches.
func FuzzPostfixAfterQuote(f *testing.F) {
	fuzzPrefilter(f, postfixAfterQuote, postfixAfterQuoteRx.MatchString, []string{"x' collate nocase or 'a'='a", "admin' collate \"C\"-- -", "0 or pw collate nocase like 's1%'", "x' notnull or 1", "the 'C' collation"})
}

// fuzzPrefilter: an operator that runs its expression after a byte scan
// answers as the expression alone does, on the seeds and on what the
// fuzzer makes of them: the scan never keeps the expression from a value
// it matches.
func fuzzPrefilter(f *testing.F, op, expr func(string) bool, seeds []string) {
	for _, v := range seeds {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := op(v), expr(v); got != want {
			t.Fatalf("%q: operator %v, expression %v", v, got, want)
		}
	})
}
