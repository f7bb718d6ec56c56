package waf

import (
	"bytes"
	_ "embed"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
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
//
// Rule 210231 (attack 95) reads the same paths as the string a template
// tag includes (templateInclude).
var secretPathsRule = `SecRule ` + valueTargets + ` "@rx ` + secretPathsPattern(secretPathsData) + `" "id:210170,phase:2,block,t:none,t:utf8toUnicode,t:urlDecodeUni,t:trimLeft,t:` + pathParamsTransformation + `,t:normalizePathWin,t:lowercase,msg:'Path traversal: a container or application secret by its path',tag:'application-multi',tag:'attack-lfi',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule REQUEST_FILENAME "@contains //" "id:210209,phase:2,block,t:none,msg:'Path traversal: a container or application secret by its absolute path after a double slash in the path',tag:'application-multi',tag:'attack-lfi',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule REQUEST_FILENAME "@rx ` + secretPathsPattern(secretPathsData) + `" "t:none,t:` + afterDoubleSlashTransformation + `,t:utf8toUnicode,t:urlDecodeUni,t:trimLeft,t:` + pathParamsTransformation + `,t:normalizePathWin,t:lowercase,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueTargets + ` "@` + templateIncludeOp + `" "id:210231,phase:2,block,t:none,t:urlDecodeUni,msg:'Path traversal: a template tag that includes a container or application secret',tag:'application-multi',tag:'attack-lfi',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule REQUEST_FILENAME "@contains ;" "id:210171,phase:2,block,t:none,msg:'Restricted file access behind a path parameter',tag:'application-multi',tag:'attack-lfi',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule REQUEST_FILENAME "@pmFromFile @owasp_crs/restricted-files.data" "t:none,t:utf8toUnicode,t:urlDecodeUni,t:` + pathParamsTransformation + `,t:normalizePathWin,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueTargets + ` "@rx ;[^/\s]*/" "id:210172,phase:2,block,t:none,t:urlDecodeUni,msg:'OS file access behind a path parameter',tag:'application-multi',tag:'attack-lfi',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VARS "@pmFromFile @owasp_crs/lfi-os-files.data" "t:none,t:utf8toUnicode,t:urlDecodeUni,t:` + pathParamsTransformation + `,t:normalizePathWin,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// pathParamsTransformation drops a path's parameters (a ';' and what
// follows it up to the next '/' or the end, no white space in it: a
// parameter of a path has none, prose after a semicolon has: ".ssh; see
// /docs/id" stays as it is; /.git;/config and
// /.git;jsessionid=1/HEAD are /.git/config and /.git/HEAD), as Tomcat,
// Jetty and Spring do before they map a path (a ninth fresh-eyes attack,
// attack 13), for rules 210170 to 210172: 210171 reads the request's path
// with the CRS's restricted-files.data (930130's) and 210172 a value with
// a ';' before a '/' with its lfi-os-files.data (930120's), each only
// when a ';' is there, so a path or a value without one costs a byte
// scan and is never scored twice with the CRS's own. Dropping text joins
// what was around it, so a name appears only where a parameter stood
// inside it: no value without a ';' changes.
const pathParamsTransformation = "gatewayPathParams"

// afterDoubleSlashTransformation (rule 210209, attack 80) is a path from
// its first // on, with one slash: /download//var/run/secrets/x is
// /var/run/secrets/x, what Express's app.get('/download/*') hands the
// application (req.params[0]) and 210170's expression reads as an
// absolute path. The same expression as 210170's, so the same compiled
// program (no more of RE2's memory).
const afterDoubleSlashTransformation = "gatewayAfterDoubleSlash"

func init() {
	plugins.RegisterTransformation(pathParamsTransformation, dropPathParams)
	plugins.RegisterTransformation(afterDoubleSlashTransformation, func(v string) (string, bool, error) {
		i := strings.Index(v, "//")
		if i < 0 {
			return v, false, nil
		}
		return v[i+1:], true, nil
	})
}

// dropPathParams is pathParamsTransformation.
func dropPathParams(v string) (string, bool, error) {
	i := strings.IndexByte(v, ';')
	if i < 0 {
		return v, false, nil
	}
	var b strings.Builder
	b.Grow(len(v))
	changed := false
	for i >= 0 {
		b.WriteString(v[:i])
		v = v[i:]
		j := strings.IndexFunc(v, func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
		switch {
		case j < 0:
			return b.String(), true, nil
		case v[j] != '/':
			// white space: not a parameter; keep the ';'
			b.WriteByte(';')
			v = v[1:]
		default:
			v = v[j:]
			changed = true
		}
		i = strings.IndexByte(v, ';')
	}
	if !changed {
		return b.String() + v, false, nil
	}
	b.WriteString(v)
	return b.String(), true, nil
}

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
	// and "copy .env.example to .env" are prose, not a path. The value's
	// start and end (\A, \z): Coraza compiles an expression with (?m),
	// where ^ and $ are a line's, and a fresh-eyes hunt for false
	// positives (attack 17) had a .gitignore's contents (".env\n
	// node_modules/") refused. Since a fifteenth fresh-eyes attack (attack
	// 19), after one option too (-f config/master.key, --file=/run/secrets/x):
	// a value that is a command's argument list, as dig -f reads a file
	// of queries and prints its lines; the option is a dash and a word
	// then white space, '=' or nothing (t:normalizePathWin strips a
	// segment's trailing spaces: "-f /run/x" reaches the expression as
	// "-f/run/x"), so "- .env" (a list item) and prose before a path
	// still pass.
	return `\A[\s\x00\x07\x08\x0b\x1c-\x1f()_` + "\ufffd" + `]*(?:--?[a-z][a-z-]*(?:\s+|=)?)?(?:(?:file:/*|[a-z]:|~)?/(?:.*/)?(?:` + strings.Join(dirs, "|") + `|(?:` + strings.Join(files, "|") + `)(?:\z|[^a-z0-9_.~-]))` +
		`|(?:[^\s/]+/)*(?:(?:` + strings.Join(relDirs, "|") + `)\S*|(?:` + strings.Join(relFiles, "|") + `))\s*\z)`
}

// secretPathLine is one line of the data file as an expression: quoted,
// a * a name of letters, digits, _ and - (a Spring profile's, a dotenv
// mode's: application-*.yml, .env.*.local).
func secretPathLine(line string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(line), `\*`, `[a-z0-9_-]+`)
}

const templateIncludeOp = "gatewayTemplateInclude"

func init() { registerGoOperator(templateIncludeOp, templateInclude) }

// secretPathRx is rule 210170's expression in Go, for templateInclude.
var secretPathRx = regexp.MustCompile(secretPathsPattern(secretPathsData))

// templateTagWindow bounds the bytes of a template tag read (and the
// longest name read).
const templateTagWindow = 1024

// templateIncludeWords are the words that make a tag an include: in {%
// %} as its first word, in {{ }} anywhere (Caddy's {{ ".env" | include
// }}, {{ print (include ".env") }}; Twig's {{ source(...) }}).
var templateIncludeWords = []string{"include", "extends", "import", "from", "embed", "use", "render", "include_relative",
	"sandbox", "source", "readfile", "httpinclude", "listfiles"}

// templateInclude is rule 210231's operator: a template tag that
// includes a file by name (Jinja's and Nunjucks' {% include %}, {%
// extends %}, {% import %}, {% from %}, Twig's {% embed %} and {% use %},
// Liquid's {% render %}, Twig's {{ source(...) }} and {{ include(...) }},
// Caddy's {{ include ".env" }}, {{ readFile ".env" }}, {{ httpInclude }}
// and {{ import }} anywhere in the tag, a pipeline's too: attack 96 had a
// Caddy with templates print .env) whose strings name a secret of
// 210170's list (as 210170 reads a value: lower case, \ as /, ./
// dropped): {% include '.env' %} printed .env under Jinja 3.1 where the
// loader's root held it (attack 95). Caddy's {{ listFiles }} counts with
// any argument (it lists a directory). Strings joined by ~ or + or
// written side by side are read joined ('.e' ~ 'nv', '.e' 'nv', (print
// ".e" "nv")), escapes decoded (\x, \u, \U, octal; \N{...} counts),
// and a filter on a string in an include tag counts ('vne.'|reverse).
// Strings of the tags that set a variable ({% set x='.env' %}, {{ $f :=
// ".env" }}) are read too when the value holds an include. {% include
// 'header.html' %} passes. Each tag is read once, within
// templateTagWindow bytes, and the reading goes on after it: linear in
// the value.
func templateInclude(v string) bool {
	if templateIncludeCall(v) || ejsInclude(v) {
		return true
	}
	if !strings.Contains(v, "{%") && !strings.Contains(v, "{{") {
		return false
	}
	includes := false
	for pass := 0; pass < 2; pass++ {
		for i := 0; i+1 < len(v); i++ {
			if v[i] != '{' || v[i+1] != '%' && v[i+1] != '{' {
				continue
			}
			end, include, set := templateTag(v, i)
			if pass == 0 {
				includes = includes || include
			} else if include || set {
				if templateTagNamesSecret(v, i+2, end, include) {
					return true
				}
			}
			i = max(i, end-1)
		}
		if !includes {
			return false
		}
	}
	return false
}

// templateIncludeCall: other engines' includes (attack 97): include
// after <# (FreeMarker), # (Velocity's
// #include and #parse), @ (Blade) or { (Smarty's {include file=...}),
// with a string to the tag's end (%>, >, ) or }) that names a secret
// (templateTagNamesSecret). Each occurrence is read within
// templateTagWindow bytes, and the search goes on after what it read.
func templateIncludeCall(v string) bool {
	for _, w := range [...]string{"include", "parse"} {
		for a := 0; a < len(v); {
			k := strings.Index(v[a:], w)
			if k < 0 {
				break
			}
			k += a
			a = k + len(w)
			if !wordStart(v, k) || a < len(v) && identByte(v[a], "") {
				continue
			}
			// the marker before it, over blanks and EJS's -, =, _
			m := k
			for m > 0 && k-m < 4 && strings.IndexByte(" \t-=_", v[m-1]) >= 0 {
				m--
			}
			marker := m > 0 && (v[m-1] == '#' || v[m-1] == '@' || v[m-1] == '{' && w == "include" ||
				m > 1 && v[m-2:m] == "<#") // <% is ejsInclude's
			if !marker || w == "parse" && v[m-1] != '#' {
				continue
			}
			limit := min(len(v), a+templateTagWindow)
			end := limit
			for j := a; j < limit; j++ {
				c := v[j]
				if c == ')' || c == '>' || c == '}' {
					end = j
					break
				}
				if c == '\'' || c == '"' {
					n := strings.IndexByte(v[j+1:limit], c)
					if n < 0 {
						break
					}
					j += n + 1
				}
			}
			if templateTagNamesSecret(v, a, end, true) {
				return true
			}
			a = max(a, end) // each byte read for one include: linear
		}
	}
	return false
}

// ejsInclude: an EJS (or ERB-like) tag, <% ... %>, that calls include
// anywhere in it (review 97: <%- (include)('.env.production') %>, <%- x=
// include(...) %>, a second include in the tag, a newline before it),
// in a value whose <% %> tags hold a string at brace depth 0 that names
// a secret (templateSecretName; strings joined by + read joined): a
// name set in one tag and included in another (<% var f='.env.production'
// %><%- include(f) %>) counts; an options object's strings
// (include('header', {title: '.env'})) do not. Each tag is read once,
// within templateTagWindow bytes.
func ejsInclude(v string) bool {
	if !strings.Contains(v, "<%") || !strings.Contains(v, "include") {
		return false
	}
	includes, secret := false, false
	for i := 0; i+1 < len(v); i++ {
		if v[i] != '<' || v[i+1] != '%' {
			continue
		}
		end := min(len(v), i+2+templateTagWindow)
		if e := strings.Index(v[i+2:end], "%>"); e >= 0 {
			end = i + 2 + e
		}
		t := v[i+2 : end]
		if k := strings.Index(t, "include"); k >= 0 && (k+7 == len(t) || !identByte(t[k+7], "")) {
			includes = true
		}
		if !secret {
			secret = ejsTagNamesSecret(t)
		}
		if includes && secret {
			return true
		}
		i = max(i, end-1)
	}
	return false
}

// ejsTagNamesSecret: a string of the tag's text t at brace depth 0
// (joined to the next by +) names a secret.
func ejsTagNamesSecret(t string) bool {
	var b [templateTagWindow]byte
	name := b[:0]
	depth := 0
	for j := 0; j < len(t); j++ {
		switch c := t[j]; c {
		case '{':
			depth++
		case '}':
			depth = max(0, depth-1)
		case '\'', '"', '`':
			n := strings.IndexByte(t[j+1:], c)
			if n < 0 {
				return false
			}
			if depth == 0 {
				name = append(name, t[j+1:j+1+n]...)
				k := skipSpace(t, j+n+2)
				if k < len(t) && t[k] == '+' {
					j += n + 1
					continue
				}
				if templateSecretName(string(name)) {
					return true
				}
				name = name[:0]
			}
			j += n + 1
		}
	}
	return false
}

// templateTag reads the tag at v[i:] ({% or {{): its end (after %} or
// }}, or its window's end), whether it includes (templateIncludeWords)
// and whether it sets a variable (set, :=).
func templateTag(v string, i int) (end int, include, set bool) {
	stmt := v[i+1] == '%'
	limit := min(len(v), i+2+templateTagWindow)
	end = limit
	first := true
	for k := i + 2; k < limit; k++ {
		c := v[k]
		if (c == '%' || c == '}') && k+1 < len(v) && v[k+1] == '}' {
			end = k + 2
			break
		}
		if c == '\'' || c == '"' || c == '`' {
			n := strings.IndexByte(v[k+1:limit], c)
			if n < 0 {
				break
			}
			k += n + 1
			first = false
			continue
		}
		if c == ':' && k+1 < limit && v[k+1] == '=' {
			set = true
		}
		if !asciiLetter(c) || !wordStart(v, k) {
			continue
		}
		e := k
		for e < limit && identByte(v[e], "") {
			e++
		}
		var b [32]byte
		w := v[k:e]
		if len(w) <= len(b) {
			lw := string(lowerASCII(b[:0], w))
			if (!stmt || first) && slices.Contains(templateIncludeWords, lw) {
				include = true
			}
			if stmt && first && lw == "set" {
				set = true
			}
		}
		first = false
		k = e - 1
	}
	return end, include, set
}

// templateTagNamesSecret: the strings of the tag at v[j:end], joined
// where ~, + or blanks join them, name a secret (templateSecretName);
// in an include tag, a filter on a string and Caddy's listFiles count
// too (the name is computed).
func templateTagNamesSecret(v string, j, end int, include bool) bool {
	var b [templateTagWindow]byte
	name := b[:0]
	joined := false
	for j < end {
		c := v[j]
		switch {
		case c == '\'' || c == '"' || c == '`':
			if !joined {
				name = name[:0]
			}
			j++
			for j < end && v[j] != c {
				if v[j] == '\\' && j+1 < end && c != '`' {
					r, n, named := templateEscape(v[j+1 : end])
					if named && include {
						return true
					}
					name = append(name, r)
					j += 1 + n
					continue
				}
				name = append(name, v[j])
				j++
			}
			j++
			// joined to the next string by ~, + or blanks (Jinja joins
			// adjacent literals; print joins its arguments)?
			k := skipSpace(v, j)
			if k < end && (v[k] == '~' || v[k] == '+') {
				j, joined = k+1, true
				continue
			}
			if k < end && (v[k] == '\'' || v[k] == '"' || v[k] == '`') {
				j, joined = k, true
				continue
			}
			if include && k < end && v[k] == '|' {
				return true // 'vne.'|reverse
			}
			joined = false
			if templateSecretName(string(name)) {
				return true
			}
		case include && c == ']' && j+1 < end && skipSpace(v, j+1) < end && v[skipSpace(v, j+1)] == '|':
			return true // ['.e','nv']|join
		case include && (c == 'l' || c == 'L') && wordStart(v, j) && len(v) >= j+9 && strings.EqualFold(v[j:j+9], "listfiles"):
			return true
		default:
			j++
		}
	}
	return false
}

// templateEscape decodes the escape after a backslash at s (\xNN, \uNNNN,
// \UNNNNNNNN of an ASCII character, \NNN in octal, or the character
// itself); n is what it took; named is Python's \N{...}, which names a
// character.
func templateEscape(s string) (c byte, n int, named bool) {
	if s == "" {
		return '\\', 0, false
	}
	if s[0] == 'N' && len(s) > 1 && s[1] == '{' {
		return 0, 1, true
	}
	for _, p := range [...]struct {
		c    byte
		n    int
		base int
	}{{'x', 2, 16}, {'u', 4, 16}, {'U', 8, 16}} {
		if s[0] == p.c && len(s) > p.n {
			if x, err := strconv.ParseUint(s[1:1+p.n], p.base, 8); err == nil {
				return byte(x), 1 + p.n, false
			}
		}
	}
	if s[0] >= '0' && s[0] <= '7' && len(s) >= 3 {
		if x, err := strconv.ParseUint(s[:3], 8, 8); err == nil {
			return byte(x), 3, false
		}
	}
	return s[0], 1, false
}

// templateSecretName: name, read as rule 210170 reads a value (lower
// case, backslashes as slashes, ./ segments dropped), is a secret's path.
func templateSecretName(name string) bool {
	if len(name) < 2 || len(name) > templateTagWindow {
		return false
	}
	var b [templateTagWindow]byte
	l := lowerASCII(b[:0], name)
	for k, c := range l {
		if c == '\\' {
			l[k] = '/'
		}
	}
	for len(l) > 2 && l[0] == '.' && l[1] == '/' {
		l = l[2:]
	}
	if bytes.Contains(l, []byte("/./")) {
		l = bytes.ReplaceAll(l, []byte("/./"), []byte("/"))
	}
	return secretPathRx.Match(l)
}
