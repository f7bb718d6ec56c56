package waf

import (
	_ "embed"
	"regexp"
	"strings"
)

// secretPathsData lists the paths of rule 210170 (secretpaths.data).
//
//go:embed secretpaths.data
var secretPathsData string

// secretPathsRule is rule 210170: a value that names a container's or an
// application's secret by its path (a fifth fresh-eyes attack, F16: an
// LFI parameter, open(request.args['file']), read
// /var/run/secrets/kubernetes.io/serviceaccount/token,
// /run/secrets/db_password, /root/.git-credentials, /usr/src/app/.env,
// /app/config/master.key, which the CRS's lfi-os-files.data, rule 930120,
// does not name). The paths are secretpaths.data's, read as the CRS reads
// its OS files (percent-decoded, Windows and dot segments normalized,
// lower case) in a value that is an absolute path (/..., ~/..., c:/...,
// file:///...): a relative one (src/settings.py, config/database.yml) is
// what a code-hosting or editor API sends, and reaching a secret from the
// application's directory takes a traversal, the CRS's 930100-930110. A
// directory's entry matches any path under it; a file's only the file
// (/app/.env, not /app/.environment or /app/.env-example). Since a sixth
// attack (attack 10, B17), after white space too (" /run/secrets/x": an
// application that strips the name, as Python's strip() and JavaScript's
// trim() do, opens the path): t:trimLeft before t:normalizePathWin, which
// would drop a first segment of spaces and leave a relative path, and
// the separators 0x1c-0x1f (Python's strip() takes them) in the
// expression. Since a seventh attack (attack 11, BROKE 6), after any
// Unicode white space (U+3000, U+2028, U+0085, U+1680, U+2000-U+200A,
// U+202F, U+205F: Python's strip() takes each, JavaScript's trim() all
// but U+0085) as t:utf8toUnicode and t:urlDecodeUni leave it: the
// space's best-fit ' ', or its low byte (0x00, 0x07-0x0a, '(', ')', '/',
// '_', or a byte that is not UTF-8, read as U+FFFD); and Render's, OpenFaaS's
// and Windows Docker's secret mounts, .env.<mode>.local, Spring's profile
// and bootstrap files, .terraformrc. Since a ninth attack (attack 13), a
// relative path too for the files marked + in secretpaths.data (.env,
// ./.env, app/.env.local, config/master.key, WEB-INF/...): an application
// opens a relative name from its working directory, its checkout's root,
// where those files are; the value must be only the path (no white
// space, ending in the file or under the directory), so prose that
// names one ("copy .env.example to .env") passes, and the files a
// repository browser names as often as any (application.yml,
// database.yml, settings.xml) are not marked.
var secretPathsRule = `SecRule ARGS|REQUEST_COOKIES "@rx ` + secretPathsPattern(secretPathsData) + `" "id:210170,phase:2,block,t:none,t:utf8toUnicode,t:urlDecodeUni,t:trimLeft,t:normalizePathWin,t:lowercase,msg:'Path traversal: a container or application secret by its path',tag:'application-multi',tag:'attack-lfi',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// secretPathsPattern makes rule 210170's expression of the data file's
// lines: any line after a / in an absolute path, and a line marked with +
// in a value that is only a relative path (no white space in it) ending in
// the file or under the directory.
func secretPathsPattern(data string) string {
	var dirs, files, relDirs, relFiles []string
	for line := range strings.SplitSeq(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		rel := line[0] == '+'
		line = strings.TrimPrefix(line, "+")
		if strings.HasSuffix(line, "/") {
			dirs = append(dirs, secretPathLine(line))
			if rel {
				relDirs = append(relDirs, secretPathLine(line))
			}
		} else {
			files = append(files, secretPathLine(line))
			if rel {
				relFiles = append(relFiles, secretPathLine(line))
			}
		}
	}
	// U+FFFD as itself, not \x{fffd} (Coraza compiles an expression with
	// an escape above \x7f with a matcher of bytes, short.go's sqlSpace).
	// A relative path: segments without white space (t:normalizePathWin
	// has dropped ./ and dir/../), then the file and the value's end, or
	// the directory and anything but white space: ".env is where it goes"
	// and "copy .env.example to .env" are prose, not a path.
	return `^[\s\x00\x07\x08\x0b\x1c-\x1f()_` + "\ufffd" + `]*(?:(?:file:/*|[a-z]:|~)?/(?:.*/)?(?:` + strings.Join(dirs, "|") + `|(?:` + strings.Join(files, "|") + `)(?:$|[^a-z0-9_.~-]))` +
		`|(?:[^\s/]+/)*(?:(?:` + strings.Join(relDirs, "|") + `)\S*|(?:` + strings.Join(relFiles, "|") + `))\s*$)`
}

// secretPathLine is one line of the data file as an expression: quoted,
// a * a name of letters, digits, _ and - (a Spring profile's, a dotenv
// mode's: application-*.yml, .env.*.local).
func secretPathLine(line string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(line), `\*`, `[a-z0-9_-]+`)
}
