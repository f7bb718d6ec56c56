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
// expression.
var secretPathsRule = `SecRule ARGS|REQUEST_COOKIES "@rx ` + secretPathsPattern(secretPathsData) + `" "id:210170,phase:2,block,t:none,t:utf8toUnicode,t:urlDecodeUni,t:trimLeft,t:normalizePathWin,t:lowercase,msg:'Path traversal: a container or application secret by its path',tag:'application-multi',tag:'attack-lfi',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// secretPathsPattern makes rule 210170's expression of the data file's
// lines.
func secretPathsPattern(data string) string {
	var dirs, files []string
	for line := range strings.SplitSeq(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.HasSuffix(line, "/") {
			dirs = append(dirs, regexp.QuoteMeta(line))
		} else {
			files = append(files, regexp.QuoteMeta(line))
		}
	}
	return `^[\s\x0b\x1c-\x1f]*(?:file:/*|[a-z]:|~)?/(?:.*/)?(?:` + strings.Join(dirs, "|") + `|(?:` + strings.Join(files, "|") + `)(?:$|[^a-z0-9_.~-]))`
}
