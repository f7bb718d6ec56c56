package waf

import (
	"strings"
	"testing"
)

// TestAttack95Shell are attack 95's shell finds, each run under dash
// through PHP's system(): set -v then . .env printed every secret in it;
// . (or source, or $0) ran a PNG the attacker had uploaded whose bytes
// are shell (210230); more secret variables' names ($LDAP_BIND_PW,
// $SMTP_URL, $SLACK_WEBHOOK_URL leaked through ping's error: 210228);
// and su's -c before a tool (su postgres -c pg_dumpall: 210227, 210223,
// 210224).
func TestAttack95Shell(t *testing.T) {
	operatorTable(t, "210230", shellRunFile,
		[]string{"127.0.0.1;set -v;. ./.env 2>&1", "127.0.0.1;set -o verbose;. .env", "127.0.0.1;set -v", "x;set -vx", "x;set -x",
			"127.0.0.1;. uploads/evil.png", "127.0.0.1;. ./settings.py", "x;source a.png", "x;source ./app.py 2>&1",
			"127.0.0.1;$0 uploads/evil.png", "127.0.0.1;$0<uploads/a.png", "x&$0 a.png", "x|$0 a.png",
			"x;\"$0\" a.png", "127.0.0.1\nset -v\n. ./.env 2>&1", "127.0.0.1\n. uploads/evil.png", "x;$0 -s<a",
			// review 95
			"127.0.0.1;. uploads/evil.png x", "x;source uploads/evil.png x", "x;$0 uploads/evil.png x", "127.0.0.1 -c1\n. uploads/evil.png",
			"\n. uploads/evil.png", "127.0.0.1:\n. uploads/evil.png", "x;X=1 . uploads/evil.png", "x;'.' uploads/evil.png",
			"x;\\. uploads/evil.png", "x;so''urce uploads/evil.png", "x;$0 -- uploads/evil.png", "x;$0\"\" uploads/evil.png", "x;set -v -o noglob", "x;set -vo noglob", "x;set -v +e",
			"x;set -xo pipefail", "x;set -o verbose -o pipefail", "x; set -euxo pipefail",
			"x|. /dev/shm/a", "x;. ./settings.py"},
		[]string{"x;set -e -x;id", "x;${0} a.png", "x;command . uploads/a.png", "x;builtin source uploads/a.png",
			"x;set -v +e;X=1 . ./.env 2>&1", "127.0.0.1;. /tmp/x"},
		[]string{"x; . is the current directory", "Q&A; source files are here", "Pricing; $0 setup fee", "Tip; set -x prints each command",
			"steps:\n  - run: |\n      set -x\n      npm test", "set -x\nmake", "Hello there\n. ./a.sh", "Free; $0 forever.",
			"Go; source code.", "a; set it up", "See below; . and .. are dirs",
			// review 95
			"Run `source venv/bin/activate` first", "Add `set -x` to debug",
			"Photo: John Doe; source en.wikipedia.org/wiki/Lynx", "Credits | source github.com/foo/bar |",
			"cd app && . ./env.sh", "Steps:\nsource .env\nnpm start", "steps:\n  - run: source .venv/bin/activate", "set -e; set -x then"})
	// what the CRS alone refuses, the operator passes too
	for _, v := range []string{"Then `. ~/.bashrc` again", "nvm install 18; source ~/.bashrc"} {
		if shellRunFile(v) {
			t.Errorf("210230 matches %q", v)
		}
	}
	operatorTable(t, "210228", shellSecretVar,
		[]string{"127.0.0.1 $LDAP_BIND_PW", "127.0.0.1 $SMTP_URL", "127.0.0.1 $SLACK_WEBHOOK_URL", "127.0.0.1 $WEBHOOK_URL",
			"127.0.0.1 $DB_CONN", "127.0.0.1 $MAIL_URL", "127.0.0.1 $KAFKA_SASL_JAAS", "127.0.0.1 $DISCORD_WEBHOOK",
			"127.0.0.1 $TWILIO_AUTH", "127.0.0.1 $APP_HMAC", "127.0.0.1 $PGPASS", "127.0.0.1 $LDAP_URI", "127.0.0.1 $SENTRY_URL",
			// review 95
			`127.0.0.1 \\$AWS_SECRET_ACCESS_KEY`, "127.0.0.1 $DB_CREDENTIAL", "127.0.0.1 $AWS_ACCESSKEY", "127.0.0.1 $PRIVATEKEY",
			"127.0.0.1 $APP_JWT", "127.0.0.1 $SESSION_SALT"},
		nil,
		[]string{"$BASE_URL/api", "open $APP_URL", "Set $AUTHOR", "$CONNECT_TIMEOUT", "$PUBLIC_URL", "$SSH_AUTH_SOCK is set", "$BYPASS_CACHE", "$AUTH",
			"Your new password is %PASSWORD%", "Bought $CONN today", "Hi %username%, your token is %token%", "50%PASS%", "$HOTKEY",
			"$MONKEY_ISLAND"})
	for _, v := range []string{"127.0.0.1;su postgres -c pg_dumpall", "127.0.0.1;su - postgres -c 'pg_dumpall'",
		"x;su --command=pg_dumpall postgres", "x;su -cpg_dumpall postgres", "x;sudo su postgres -c pg_dumpall",
		"x;su -s /bin/sh postgres -c 'kubectl get secrets'"} {
		if !shellSysCommand(v) {
			t.Errorf("210227 misses %q", v)
		}
	}
	if !shellTruncate("x;su app -c 'truncate -s0 db.sqlite'") {
		t.Errorf("210224 misses su -c truncate")
	}
	for _, v := range []string{"Hola; su casa es mi casa", "Q&A; su postgres -c is how you run it", "x; su root", "FYI; su -c runs a command"} {
		if shellSysCommand(v) || shellTruncate(v) || shellEnvDump(v) {
			t.Errorf("the benign %q is matched", v)
		}
	}
}

// FuzzShellRunFile: any value is read by 210230 without a panic, and a
// match needs a separator.
func FuzzShellRunFile(f *testing.F) {
	for _, v := range []string{"127.0.0.1;set -v;. ./.env 2>&1", "x;$0<a", "a\n. b/c", "x;source a.png", ";set -o xtrace"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if shellRunFile(v) && !strings.ContainsAny(v, ";|&`\n$") {
			t.Fatalf("210230 matches %q, which holds no separator", v)
		}
	})
}

// TestCPUBoundAttack95Shell repeats 210230's shapes to the body limit
// through a real Caddy.
func TestCPUBoundAttack95Shell(t *testing.T) {
	repeatedJSONUnder(t, ";. a", ";source ", ";$0 ", ";set -e -e -e ", ";set -o ", "\n. a/", "a\n", ";su -c ", ";su a b c d e ")
}
