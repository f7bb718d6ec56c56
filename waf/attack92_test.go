package waf

import (
	"testing"

	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
)

// semicolonSQL is rule 210153's operator as a function of the value.
func semicolonSQL(v string) bool {
	var tx plugintypes.TransactionState
	return sqliAfterSemicolon{}.Evaluate(tx, v)
}

// TestAttack92 are attack 92's finds, each run on real software:
// PostgreSQL 15 statements stacked after a number (WHERE id = 1;table
// users printed every password; MERGE updated and deleted every row),
// with MySQL's and SQLite's own (210153's stackedStatement); database,
// cluster, cloud and disk tools after a shell separator (pg_dumpall,
// createuser -s evil and dropdb mydb ran as the database's account
// behind "getent hosts $host": 210227); and a false positive of 210220
// on "'or else'".
func TestAttack92(t *testing.T) {
	operatorTable(t, "210153", semicolonSQL,
		[]string{"1;table users", "1;table pg_shadow", "1; TABLE public.users", "id=1;table users--",
			"1;merge into users t using users s on t.name=s.name when matched then update set password='pwned'",
			"1;merge into users t using users s on t.name=s.name when matched then delete",
			"1;copy users to '/var/lib/postgresql/15/main/x'", "1;copy (select * from users) to stdout",
			"1;prepare p as select password from users", "1;execute p",
			"1;reassign owned by app to evil", "1;reindex database mydb",
			"1;refresh materialized view stats", "1;flush privileges", "1;uninstall plugin x", "1;optimize table users",
			"1;attach ':memory:' as a", "1;pragma writable_schema=1"},
		[]string{"1;declare c cursor for select * from users", "1;shutdown", "x';table users--"},
		[]string{"Step 1; table of contents", "1; table 5", "Order 1; check table 5", "2; analyze the results",
			"Chapter 1; begin here", "1; commit to the plan", "1; merge the branches", "1; copy the file to the folder",
			"1; prepare the table as shown", "1; flush the cache",
			"1; check table 5", "1; pragma is a word"})
	operatorTable(t, "210227", shellSysCommand,
		[]string{"127.0.0.1;pg_dumpall", "127.0.0.1;createuser -s evil", "127.0.0.1;dropdb mydb", "127.0.0.1|pg_dump mydb",
			"127.0.0.1&&redis-cli flushall", "127.0.0.1;mongoexport -c users", "127.0.0.1;kubectl get secrets -o yaml",
			"127.0.0.1;aws secretsmanager get-secret-value --secret-id db", "127.0.0.1;gcloud auth print-access-token",
			"127.0.0.1;az keyvault secret show", "127.0.0.1;vault kv get secret/db", "127.0.0.1;etcdctl get / --prefix",
			"127.0.0.1;consul kv get -recurse", "127.0.0.1;heroku config", "127.0.0.1;terraform output", "127.0.0.1;helm get values app",
			"127.0.0.1;wipefs -a /dev/sda", "127.0.0.1;mkfs.ext4 /dev/sda", "127.0.0.1;blkdiscard /dev/sda", "127.0.0.1;sgdisk -Z /dev/sda",
			"127.0.0.1;lvremove -f vg/data", "127.0.0.1;zpool destroy tank", "127.0.0.1;swapoff -a", "127.0.0.1;modprobe dummy",
			"127.0.0.1;pg_ctl stop"},
		[]string{"127.0.0.1;sudo -u postgres pg_dumpall"},
		[]string{"Install it; kubectl is the CLI", "Keep it in a vault; vault is safe",
			"Chart tools; helm and kustomize", "Infra as code; terraform is the tool", "Azure; az is its CLI",
			"The key; vault of secrets"})
	operatorTable(t, "210220", sqlTypedLiteral, nil, nil,
		[]string{"She said 'or else' and left", "Read 'or else' carefully", "\"Do it 'or else',\" he said.",
			"Pick 'one' or from 'two'", "x' or default 'y'"})
}

// TestCPUBoundAttack92: repetitions of attack 92's and its review's new
// readings through a real Caddy cost what any value of their size does
// (210220 read the whole value's tail once a quote before a review of
// the suite's bounds caught it: ' or b'1'= repeated cost 5 s).
func TestCPUBoundAttack92(t *testing.T) {
	repeatedJSONUnder(t, "1;table users;", "1;table ", "; table lamp ", "1;/* /* */", "--\n;", "1;merge into a using b on ",
		"; pg_dumpall ", ";kubectl get ", ";sudo -iu a ", ";timeout 5 ", "; aws s3 ", "' or bool 't", "' or bool ' ",
		"' or ", "; typeset -p A ", "; $env:API_KEY -join ", "& type a* ", "1+1;copy ", "; export -p ")
}
