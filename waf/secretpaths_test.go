package waf

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var secretPathAttacks = []string{
	"/var/run/secrets/kubernetes.io/serviceaccount/token",
	"/run/secrets/kubernetes.io/serviceaccount/token",
	"/run/secrets/db_password",
	"/etc/kubernetes/admin.conf",
	"/root/.git-credentials",
	"/usr/src/app/.env",
	"/app/config/master.key",
	"/opt/app/application.properties",
	"/var/lib/postgresql/data/pg_hba.conf",
	"/home/node/.npmrc",
	"file:///app/.env.production",
	"/proc/self/root/var/run/secrets/kubernetes.io/serviceaccount/namespace",
	"/app/./config/../config/master.key",
	"/APP/.ENV",
	"C:\\inetpub\\app\\appsettings.json",
	// attack 10, B3
	"/vault/secrets/config",
	"/mnt/secrets-store/db-password",
	"/app/config/credentials/production.key",
	"/app/config/credentials/production.yml.enc",
	"/app/.streamlit/secrets.toml",
	"/app/serviceAccountKey.json",
	"/app/.flaskenv",
	// attack 10, B17: after white space (an application strips it)
	" /run/secrets/db_password",
	"\t/run/secrets/db_password",
	"\x0b /var/run/secrets/kubernetes.io/serviceaccount/token",
	// attack 11, BROKE 6: after Unicode white space; more mounts and files
	"\u3000/run/secrets/db_password", "\u2028/run/secrets/x", "\u0085/run/secrets/x", "\u2029\u205f/run/secrets/x",
	"\u1680/run/secrets/x", "\u202f/run/secrets/x", "\u2009/run/secrets/x", "\u3000 \u3000/app/.env",
	"/etc/secrets/db_password", "/var/openfaas/secrets/x", "/app/.env.production.local", "/home/node/app/.env.test.local",
	"/app/application-prod.yml", "/app/application-prod.properties", "/app/config/application-k8s.yaml", "/app/bootstrap.yml",
	"/root/.terraformrc", "C:\\ProgramData\\Docker\\secrets\\db_password",
	// an eighth fresh-eyes attack's (attack 12): build tools' credentials
	"/root/.m2/settings.xml", "/root/.gradle/gradle.properties", "/root/.composer/auth.json", "/home/app/.config/composer/auth.json",
	"/home/ci/.ivy2/.credentials", "/root/.sbt/.credentials", "/root/.m2/settings-security.xml",
	// a ninth fresh-eyes attack's (attack 13): relative paths (open()
	// reads them from the application's directory, its working one) of
	// the files marked + in secretpaths.data
	".env", "./.env", ".env.local", "app/.env.local", "app/.env", "config/master.key", "WEB-INF/classes/application.properties",
	"WEB-INF/web.xml", "./config/credentials/production.key", ".git-credentials",
	"/usr/local/tomcat/webapps/ROOT/WEB-INF/web.xml",
	// a twelfth fresh-eyes attack's (attack 16): more relative names
	"id_rsa", "keys/id_ed25519", "id_ecdsa", ".pypirc", "/srv/infra/terraform.tfstate", "/srv/infra/terraform.tfstate.backup", "local_settings.py",
	"mysite/local_settings.py", "db.sqlite3", "storage/logs/laravel.log", "/srv/deploy/id_rsa",
	// a fifteenth fresh-eyes attack's (attack 19): after an option (dig -f)
	"-f config/master.key", "-f .env", "--file=config/master.key", "-f  ./config/credentials/production.key", "-f /run/secrets/db_password", "--file=/app/.env",
}

var secretPathBenign = []string{
	"src/settings.py", "config/database.yml", "the .env file holds the settings",
	"/app/.environment", "/app/.env-example", "/docs/application-properties", "/run/scripts/start.sh",
	"/api/secrets", "/var/run/app.pid", "/docs/kubernetes/secrets", "https://example.com/run/secrets/guide",
	"/home/ann/notes.md", "master.key rotation", "/blog/how-to-use-dotenv",
	"vault/secrets/config", "/docs/vault/secrets-engines", "/mnt/secrets-store-guide.md", "/app/config/credentials.md",
	"\u3000see /run/scripts/start.sh", "\u2028/run/scripts/x", "/etc/secrets.md", "/docs/openfaas/secrets",
	"/app/.env.local.example", "/app/.env..local", "/docs/application-guide.md", "/app/application-.yml", "/app/bootstrap.yml.md",
	"/root/.terraformrc.bak", "C:\\ProgramData\\Docker\\config\\daemon.json", "x\u3000/run/secrets/x",
	"/app/src/main/resources/settings.xml", "/app/gradle.properties", "/app/composer.json", "/root/.m2/repository/org/x.jar",
	" see /run/scripts/start.sh", "\t/app/.environment", "/app/.flaskenv.example", "/app/.streamlit/style.css", "/app/serviceAccountKey.json.md", "/docs/credentials/",
	// near attack 13's relative paths: prose, other files, the files
	// not marked + in secretpaths.data
	"copy .env.example to .env and edit it", ".env is where the settings go", "environment.txt", "config/app.yaml", ".env.example",
	"app/.env.example", ".environment", "docs/.env.md", "config/master.key.example", "master.key", "src/main/resources/application.yml",
	"application.properties", "web-inf", "docs/web-inf.md", "see WEB-INF/ in the servlet spec", "x.env", "dotenv/.env-sample",
	// near attack 16's: public keys, prose, other files
	"id_rsa.pub", "keys/id_ed25519.pub", "generate id_rsa with ssh-keygen", "terraform.tfstate is kept in S3", "terraform.tf",
	"local_settings.py.example", "db.sqlite3-journal.md", "storage/logs/", "storage/logs/app.md", "laravel.log", "my_id_rsa_notes",
	// attack 17's: a remote state's key, a .gitignore's lines
	"envs/prod/terraform.tfstate", "terraform.tfstate", "node_modules/\n.env\n.env.local\n*.tfstate\nid_rsa\n",
	// near attack 19's: an option before other files, prose
	"-f file.txt", "- .env", "-fast", "-f master.key rotation", "-f .env.example", "use -f .env to load it",
}

// TestSecretPathsRule: rule 210170's expression, on the values as the
// engine's transformations leave them (decoded, normalized, lower case),
// matches the fifth attack's paths and none of the near-misses.
func TestSecretPathsRule(t *testing.T) {
	i := strings.Index(secretPathsRule, `"@rx `)
	j := strings.Index(secretPathsRule, `" "id:`)
	re := regexp.MustCompile("(?sm)" + secretPathsRule[i+5:j])
	norm := func(s string) string { // as t:utf8toUnicode, t:urlDecodeUni, t:normalizePathWin and t:lowercase leave it
		s = strings.Map(func(r rune) rune { // a space's best fit, else its low byte (a byte not UTF-8 as U+FFFD)
			switch {
			case r == 0xa0 || r >= 0x2000 && r <= 0x2006:
				return ' '
			case r > 0x7f && r&0xff > 0x7f:
				return utf8.RuneError
			case r > 0x7f:
				return r & 0xff
			}
			return r
		}, s)
		s = strings.ToLower(strings.ReplaceAll(s, `\`, "/"))
		c := path.Clean(s) // t:normalizePathWin's filepath.Clean
		if strings.HasSuffix(s, "/") {
			c += "/"
		}
		return c
	}
	for _, s := range secretPathAttacks {
		if !re.MatchString(norm(s)) {
			t.Errorf("210170 misses %q", s)
		}
	}
	for _, s := range secretPathBenign {
		if re.MatchString(norm(s)) {
			t.Errorf("210170 matches the benign %q", s)
		}
	}
}

// TestSecretPathsBeyondTheCRS: through a real Caddy, the paths pass the
// CRS alone and are refused with the additions, in the query and in JSON;
// the near-misses pass both.
func TestSecretPathsBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var catches, misses, benign []probe
	crs := map[string]bool{ // the CRS's own (930120's .npmrc, /proc/self/, a traversal)
		"/home/node/.npmrc": true, "/proc/self/root/var/run/secrets/kubernetes.io/serviceaccount/namespace": true,
		"/app/./config/../config/master.key": true,
		// the CRS refuses these near-misses itself (930120 names
		// database.yml and .env as words)
		"config/database.yml": true, "the .env file holds the settings": true,
		// 930120 names these (.config/, .credentials)
		"/home/app/.config/composer/auth.json": true, "/home/ci/.ivy2/.credentials": true, "/root/.sbt/.credentials": true,
	}
	for _, s := range secretPathAttacks {
		if crs[s] {
			catches = append(catches,
				probe{name: "query " + strconv.Quote(s), method: "GET", path: "/download?file=" + url.QueryEscape(s)},
				probe{name: "JSON " + strconv.Quote(s), method: "POST", path: "/api/files", contentType: "application/json", body: jsonString("path", s)})
			continue
		}
		misses = append(misses,
			probe{name: "query " + strconv.Quote(s), method: "GET", path: "/download?file=" + url.QueryEscape(s)},
			probe{name: "JSON " + strconv.Quote(s), method: "POST", path: "/api/files", contentType: "application/json", body: jsonString("path", s)})
	}
	for _, s := range secretPathBenign {
		if crs[s] {
			continue
		}
		benign = append(benign, probe{name: "JSON " + strconv.Quote(s), method: "POST", path: "/api/files", contentType: "application/json", body: jsonString("path", s)})
	}
	runBeyondTheCRS(t, catches, misses, benign)
}

// pathParamAttacks are a ninth fresh-eyes attack's (attack 13) paths
// with a path parameter (;...) inside a segment, which Tomcat, Jetty and
// Spring drop before they map the path: in the request's path (rule
// 210171) and in a value (210172, and 210170 for its own paths).
var pathParamAttacks = []string{"/.git;/config", "/.git;jsessionid=1/HEAD", "/home/.ssh;/id_rsa", "/app/.git;a=b;c=d/config"}

// pathParamValueAttacks are attack 13's values with a path parameter.
var pathParamValueAttacks = []string{"/home/.ssh;/id_rsa", ".git;/config", "/run/secrets;x=1/db_password", "/app/WEB-INF;x/web.xml"}

// pathParamBenign are paths and values with ';' near attack 13's.
var pathParamBenign = []string{"/api/users;jsessionid=ABC123/profile", "/shop;v=1/items;color=red", "/docs;lang=en/git/config-guide",
	"/ssh;v=2/keys"}

// pathParamValueBenign are values with ';' and '/' near attack 13's.
var pathParamValueBenign = []string{"a; b/c", "Q1; see docs/guide", "rock;pop/jazz", "1/2; 3/4", "git; see /docs/config",
	"env; see /docs/x", "keys: .ssh; see /docs/id", "keys: .ssh;\tsee /docs/id"}

// TestDropPathParams: the transformation drops each ';' and what follows
// it up to the next '/'.
func TestDropPathParams(t *testing.T) {
	for in, want := range map[string]string{"/.git;/config": "/.git/config", "/.git;jsessionid=1/HEAD": "/.git/HEAD", "/a;b": "/a",
		"/a;b;c/d;e/f": "/a/d/f", "no": "no", ";": "", "/x;/y;": "/x/y", "a;b/c": "a/c",
		"a; b/c": "a; b/c", ".ssh; see /docs": ".ssh; see /docs", "a;b /c;d/e": "a;b /c/e", "x;\u3000/y": "x;\u3000/y"} {
		if got, changed, _ := dropPathParams(in); got != want || changed != (in != want) {
			t.Errorf("%q: %q %v, want %q", in, got, changed, want)
		}
	}
}

// TestPathParamsBeyondTheCRS: through a real Caddy, attack 13's paths
// with a path parameter pass the CRS alone and are refused with the
// additions, in the request's path, the query and JSON; the near-misses
// pass both.
func TestPathParamsBeyondTheCRS(t *testing.T) {
	var misses, benign []probe
	for _, p := range pathParamAttacks {
		misses = append(misses, probe{name: "path " + p, method: "GET", path: p})
	}
	for _, s := range pathParamValueAttacks {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/download?file=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/files", contentType: "application/json", body: jsonString("path", s)})
	}
	for _, p := range pathParamBenign {
		benign = append(benign, probe{name: "path " + p, method: "GET", path: p})
	}
	for _, s := range pathParamValueBenign {
		benign = append(benign,
			probe{name: "query " + s, method: "GET", path: "/search?q=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("text", s)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}
