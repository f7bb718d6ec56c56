package waf

import "strings"

// winStatementRules is rule 210219: a Windows statement after a command
// separator (; & | && ||) that an application which hands the value to
// cmd.exe or PowerShell (ping <value>) runs, and which prints a secret or
// a file, or empties a file, with no command rule 210151's list holds
// (attack 90 passed each through a built Caddy; a review more):
//
//   - PowerShell: a value that holds an environment variable whose name
//     is a secret's (127.0.0.1; $env:AWS_SECRET_ACCESS_KEY: a statement
//     that is a value prints it; $env:DATABASE_URL, $env:MYSQL_PWD:
//     winSecretName), or a file by its drive in braces (${C:\secret.txt}),
//     alone, in brackets, in a double-quoted string, after the unary
//     comma or with an operand after + (($env:X), "$env:X", ,$env:X,
//     $env:X+'a': winPSValue). A statement that prints what the
//     statement before it set (x; $env:GITHUB_TOKEN='ghp_x';
//     $env:GITHUB_TOKEN, a how-to) passes (winAssignedBefore).
//   - cmd.exe's type or more, PowerShell's type (Get-Content) and clc
//     (Clear-Content) with file names as every argument (a name with an
//     extension, a wildcard's (*.config), a dot-file's (.git-credentials),
//     a path, a secret's file by its name: id_rsa, .env, credentials;
//     options /x, -Path, -Raw aside), then the statement's end
//     (127.0.0.1 & type appsettings.json, | more < web.config,
//     ; type appsettings.json -Raw), after @ or a bracket perhaps
//     (& @type a, & (type a)), ',' or '=' as a blank (type,web.config).
//   - cmd.exe's ways to empty a file: copy nul FILE (/y before or
//     after), type nul>FILE, echo.>FILE, break>FILE, cd.>FILE, a
//     handle's digit before '>' (echo. 2>FILE); PowerShell's $null>FILE.
//
// Rule 210151's expression cannot take more (RE2's memory budget is
// spent), so this is a Go operator: at each separator (IndexByte per
// byte of ";&|") it reads one statement within langCallWindow bytes, 4
// arguments at most (and the statement before it, as far back, for an
// assignment), so a value costs a bounded read per separator.
// Prose passes: a word with no extension after type or more (R & type
// your name, R & type notes, Q&A; & more info), an extension alone
// (Pick a file & type .config), type: (Tom & Jerry | type: cartoon), a
// word after the file (& type notes.txt to see it), echo. with no
// redirection (copy the notes; echo. is a blank line), a program's file
// (Press Win+R & type cmd.exe), a variable before words (Save it;
// $env:GITHUB_TOKEN is read by the CLI), $env:PWD.
var winStatementRules = `SecRule ` + valueHeaderTargets + ` "@` + winStatementOp + `" "id:210219,phase:2,block,t:none,t:urlDecodeUni,msg:'Command injection: a Windows statement after a separator that prints a secret variable or a file, or empties a file',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const winStatementOp = "gatewayWindowsStatement"

func init() { registerGoOperator(winStatementOp, winStatement) }

// winStatement is rule 210219's operator (see winStatementRules).
func winStatement(v string) bool {
	return eachByteOf(v, ";&|", func(v string, i int) bool {
		if i > 0 && v[i-1] == v[i] && v[i] != ';' {
			return false // the second of && or ||, read at the first
		}
		a := i + 1
		if a < len(v) && v[a] == v[i] && v[i] != ';' {
			a++
		}
		a = skipBlanks(v, a)
		// one statement, langCallWindow bytes; whole: the window holds
		// the value's end
		w := v[a:min(len(v), a+langCallWindow)]
		whole := a+langCallWindow >= len(v)
		if ok, name := winPSValue(w, whole); ok {
			// a how-to that sets the variable, then prints it, prints
			// its own value (see winAssignedBefore)
			return v[i] != ';' || !winAssignedBefore(v, i, name)
		}
		return winCmdStatement(w, whole)
	})
}

// winPSValue: w (a statement) is a PowerShell value that holds a secret
// variable (winSecretVariable), which PowerShell prints: the variable
// in brackets, in a double-quoted string, after the unary comma or in
// $( ) or @( ) (($env:X), "$env:X", "key: $env:X", ,$env:X, "$($env:X)"),
// each closed after it, then the statement's end (or a comment), or +
// or , and another operand ($env:X+'a', $env:X + $null, $env:X,1); name is
// the variable's (empty for a file by its drive).
func winPSValue(w string, whole bool) (bool, string) {
	var closers [8]byte
	n, k := 0, 0
openers:
	for ; ; n++ {
		k = skipBlanks(w, k)
		if k+1 >= len(w) || n == len(closers) {
			return false, ""
		}
		switch c := w[k]; {
		case c == '(':
			closers[n], k = ')', k+1
		case (c == '$' || c == '@') && w[k+1] == '(':
			closers[n], k = ')', k+2
		case c == '"':
			closers[n], k = '"', winStringText(w, k+1)
		case c == ',':
			k, n = k+1, n-1 // the unary comma: no closer
		default:
			break openers // the variable
		}
	}
	e, name := winSecretVariable(w, k)
	if e < 0 {
		return false, ""
	}
	for n--; n >= 0; n-- {
		if closers[n] == '"' {
			e = winStringText(w, e)
		} else {
			e = skipBlanks(w, e)
		}
		if e >= len(w) || w[e] != closers[n] {
			return false, ""
		}
		e++
	}
	if winStatementEnd(w, e, whole, "#") {
		return true, name
	}
	b := skipBlanks(w, e)
	if winPSOperator(w, b) {
		return true, name
	}
	if b < len(w) && (w[b] == '+' || w[b] == ',') {
		b = skipBlanks(w, b+1)
		return b < len(w) && strings.IndexByte("'\"$(@[0123456789", w[b]) >= 0, name
	}
	// a blank may be a '+' t:urlDecodeUni decoded ($env:X+'' reads
	// $env:X ''): a quote or a variable after it
	return b > e && b < len(w) && strings.IndexByte("'\"$", w[b]) >= 0, name
}

// winStringText: the index of the first '"', '$', '`' or line's end at
// or after w[k] (the text of a double-quoted string).
func winStringText(w string, k int) int {
	for k < len(w) && strings.IndexByte("\"$`\r\n", w[k]) < 0 {
		k++
	}
	return k
}

// winSecretVariable: at w[k] stands an environment variable whose name
// is a secret's (winSecretName: $env:AWS_SECRET_ACCESS_KEY,
// ${env:DATABASE_URL}), with its members perhaps (.Substring(0)), or a
// file by its drive in braces (${C:\secret.txt}, psSecretVariableEnd):
// the index after it and the variable's name, or -1.
func winSecretVariable(w string, k int) (int, string) {
	if k+1 >= len(w) || w[k] != '$' {
		return -1, ""
	}
	a := k + 1
	braced := w[a] == '{'
	if braced {
		a++
	}
	if len(w)-a <= 4 || !strings.EqualFold(w[a:a+4], "env:") {
		return psSecretVariableEnd(w, k), ""
	}
	e := identEnd(w, a+4)
	name := w[a+4 : e]
	if name == "" || !winSecretName(name) {
		return -1, ""
	}
	if braced {
		if e >= len(w) || w[e] != '}' {
			return -1, ""
		}
		e++
	}
	for e < len(w) {
		if w[e] == '[' { // an index or a range: $env:API_KEY[0..99]
			c := closingBracket(w, e, 64)
			if c < 0 {
				break
			}
			e = c + 1
			continue
		}
		if w[e] != '.' || identEnd(w, e+1) == e+1 {
			break
		}
		e = identEnd(w, e+1) // .Substring
		if e < len(w) && w[e] == '(' {
			if c := closingBracket(w, e, 64); c > 0 {
				e = c + 1 // .Substring(0)
			}
		}
	}
	return e, name
}

// winPSOperators are PowerShell's binary operators whose result, with a
// secret's variable on the left, prints the secret or a piece of it
// ($env:API_KEY -join "", -split "", -replace 'x','y') or answers a
// question about it, one bit at a time (-like 'a*', -match '^a').
var winPSOperators = map[string]bool{"join": true, "split": true, "csplit": true, "isplit": true, "replace": true,
	"creplace": true, "ireplace": true, "f": true, "as": true, "is": true, "isnot": true, "band": true, "bor": true,
	"bxor": true, "shl": true, "shr": true, "and": true, "or": true, "xor": true}

// winPSCompare are PowerShell's comparison operators, each also with c
// (case-sensitive) or i before it (-cgt, -ieq, -cnotlike).
var winPSCompare = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true,
	"like": true, "notlike": true, "match": true, "notmatch": true, "contains": true, "notcontains": true,
	"in": true, "notin": true}

// winPSOperator: at w[b] stands one of winPSOperators or winPSCompare
// (-join, -cnotlike), then an operand.
func winPSOperator(w string, b int) bool {
	if b+2 >= len(w) || w[b] != '-' {
		return false
	}
	e := b + 1
	for e < len(w) && asciiLetter(w[e]) {
		e++
	}
	var lb [16]byte
	if e-b-1 > len(lb) {
		return false
	}
	op := string(lowerASCII(lb[:0], w[b+1:e]))
	if !winPSOperators[op] && !winPSCompare[op] && !(len(op) > 2 && (op[0] == 'c' || op[0] == 'i') && winPSCompare[op[1:]]) {
		return false
	}
	// an operand after it (blanks or a backtick's line continuation
	// perhaps): "$env:API_KEY -join the team" is prose
	for e < len(w) && (w[e] == ' ' || w[e] == '\t' || w[e] == '`' || w[e] == '\r' || w[e] == '\n') {
		e++
	}
	return e < len(w) && strings.IndexByte("'\"$([{@0123456789", w[e]) >= 0
}

// winSecretName: an environment variable's name is a secret's: a
// secret's word (psSecretName: SECRET, TOKEN, PASSWORD, KEY, ...), or,
// among its words (split at _), PWD, PASS or DSN (MYSQL_PWD, DB_PASS,
// SENTRY_DSN; PWD alone is the working directory), a connection string
// (CONNECTION_STRING, ConnectionString, Azure's SQLCONNSTR_x), or a data
// store's URL or URI, which holds its credentials (DATABASE_URL,
// REDIS_URL, MONGODB_URI).
func winSecretName(n string) bool {
	if psSecretName(n) {
		return true
	}
	var lb [64]byte
	l := string(lowerASCII(lb[:0], n[:min(len(n), len(lb))]))
	if l == "pwd" {
		return false
	}
	if strings.Contains(l, "connstr") || strings.Contains(l, "connectionstring") || strings.Contains(l, "connection_string") {
		return true
	}
	prev := ""
	for word := range strings.SplitSeq(l, "_") {
		switch word {
		case "pwd", "pass", "dsn":
			return true
		case "url", "uri":
			if winDataStores[prev] {
				return true
			}
		}
		prev = word
	}
	return false
}

// winDataStores are the words before _URL or _URI that name a data
// store, whose URL holds its user and password.
var winDataStores = map[string]bool{"database": true, "db": true, "redis": true, "mongo": true, "mongodb": true, "postgres": true,
	"postgresql": true, "pg": true, "mysql": true, "mariadb": true, "mssql": true, "sql": true, "jdbc": true, "amqp": true,
	"rabbitmq": true, "cloudamqp": true, "broker": true, "cache": true, "elasticsearch": true, "opensearch": true, "kafka": true,
	"clickhouse": true, "neo4j": true, "couchdb": true, "memcached": true, "supabase": true}

// winAssignedBefore: the statement before the separator at v[i] (a ';')
// sets the variable name to a literal, so the statement after it prints
// that literal, not a secret (x; $env:GITHUB_TOKEN='ghp_x';
// $env:GITHUB_TOKEN, a how-to): it follows a ';' (no backtick before
// it, which makes it a literal ';') or a line's end (not one a backtick
// continues), and is, to v[i] with blanks only, $env:NAME='text'
// ("text", or digits). The literal holds no quote, $, backtick, # or <>,
// so neither a string nor a comment opened before can hold the
// assignment and not the statement after it. No blank around '=': the
// rule's t:urlDecodeUni reads a '+' as a blank, and $env:X += 'a' (or
// = +'a', which fails and leaves the variable) prints the real secret.
// An assignment after prose on its line (Set it first: $env:X = 'a';
// $env:X) is no statement in ping <value> but the command's arguments,
// and the statement after ';' prints the real secret: it is refused.
func winAssignedBefore(v string, i int, name string) bool {
	if name == "" {
		return false
	}
	s := -1
	for j := i - 1; j >= max(0, i-langCallWindow); j-- {
		if strings.IndexByte(";&|\r\n", v[j]) >= 0 {
			s = j
			break
		}
	}
	if s < 0 || v[s] != ';' && v[s] != '\n' || s > 0 && v[s-1] == '`' {
		return false // `; is a literal ';': the command's argument
	}
	if v[s] == '\n' {
		t := s - 1
		if t >= 0 && v[t] == '\r' {
			t--
		}
		if t >= 0 && v[t] == '`' {
			return false // a continued line: the command's arguments
		}
	}
	st := v[s+1 : i]
	k := skipBlanks(st, 0)
	if k >= len(st) || st[k] != '$' {
		return false
	}
	k++
	braced := k < len(st) && st[k] == '{'
	if braced {
		k++
	}
	if len(st)-k <= 4 || !strings.EqualFold(st[k:k+4], "env:") {
		return false
	}
	e := identEnd(st, k+4)
	if !strings.EqualFold(st[k+4:e], name) {
		return false
	}
	if braced {
		if e >= len(st) || st[e] != '}' {
			return false
		}
		e++
	}
	if e+1 >= len(st) || st[e] != '=' {
		return false
	}
	e++
	switch {
	case e < len(st) && (st[e] == '\'' || st[e] == '"'):
		c := strings.IndexByte(st[e+1:], st[e])
		if c < 0 || strings.ContainsAny(st[e+1:e+1+c], "'\"$`#<>\r\n") {
			return false
		}
		e += c + 2
	case e < len(st) && st[e] >= '0' && st[e] <= '9':
		for e < len(st) && st[e] >= '0' && st[e] <= '9' {
			e++
		}
	default:
		return false
	}
	return skipBlanks(st, e) == len(st)
}

// winCmdStatement: w (a statement, after @ and brackets: & @type a,
// & (type a)) reads a file or empties one (winFileCommand,
// winTruncation).
func winCmdStatement(w string, whole bool) bool {
	k, more := 0, ""
	for ; k < len(w) && k < 16 && strings.IndexByte("@( \t", w[k]) >= 0; k++ {
		if w[k] == '(' {
			more = ")"
		}
	}
	w = w[k:]
	return winFileCommand(w, whole, more) || winTruncation(w, whole, more)
}

// winStatementEnd: over blanks from w[e], the statement ends: the
// value's end (whole: w reaches it), a separator, a line's end, or one
// of more.
func winStatementEnd(w string, e int, whole bool, more string) bool {
	e = skipBlanks(w, e)
	if e >= len(w) {
		return whole
	}
	return strings.IndexByte(";&|\r\n", w[e]) >= 0 || strings.IndexByte(more, w[e]) >= 0
}

// winWord: w starts with word (any case) and a blank or one of after
// follows it (or w's end, when end): the index after the word, or -1.
func winWord(w, word, after string, end bool) int {
	if len(w) < len(word) || !strings.EqualFold(w[:len(word)], word) {
		return -1
	}
	n := len(word)
	if n == len(w) {
		if end {
			return n
		}
		return -1
	}
	if w[n] == ' ' || w[n] == '\t' || strings.IndexByte(after, w[n]) >= 0 {
		return n
	}
	return -1
}

// winSkip skips blanks and cmd.exe's other delimiters between a
// command's arguments (',' and '=': type,web.config).
func winSkip(w string, k int) int {
	for k < len(w) && strings.IndexByte(" \t,=", w[k]) >= 0 {
		k++
	}
	return k
}

// winArg reads the argument at w[a] (in double quotes perhaps, to a
// blank, a delimiter, a bracket, a separator or a redirection): its
// text and the index after it.
func winArg(w string, a int) (string, int) {
	if a < len(w) && w[a] == '"' {
		c := strings.IndexByte(w[a+1:], '"')
		if c < 0 {
			return "", a
		}
		return w[a+1 : a+1+c], a + 2 + c
	}
	e := a
	for e < len(w) && strings.IndexByte(" \t\r\n;&|<>\",=)", w[e]) < 0 {
		e++
	}
	return w[a:e], e
}

// winSecretFiles are files that hold secrets by their names alone, with
// no extension or a dot before it (type id_rsa, type .env).
var winSecretFiles = map[string]bool{"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "credentials": true,
	"known_hosts": true, "authorized_keys": true, "shadow": true, "passwd": true, ".env": true, ".npmrc": true, ".netrc": true,
	"_netrc": true, ".pgpass": true, ".pypirc": true, ".htpasswd": true, ".dockercfg": true, ".git-credentials": true}

// winFileName: s names a file: a path (a backslash, a drive), a secret's
// file by its name (winSecretFiles), or a name (after a slash's
// directories) that is a dot-file with a -, _ or another dot in it
// (.git-credentials, .bash_history, .env.local; .config alone is an
// extension in prose: & type .config) or has an extension of 2 to 6
// letters or digits (a letter among them; .config), no program's (.exe
// .com .dll .msc .cpl), with wildcards (*.config) and, quoted, blanks
// (my secrets.json) in the name.
func winFileName(s string) bool {
	if len(s) < 3 || s[0] == '/' || s[0] == '-' {
		return false
	}
	if strings.IndexByte(s, '\\') >= 0 || asciiLetter(s[0]) && s[1] == ':' && (s[2] == '\\' || s[2] == '/') {
		return true
	}
	if b := strings.LastIndexByte(s, '/'); b > 0 {
		s = s[b+1:] // app/appsettings.json; and/or is prose
	}
	var lb [24]byte
	if len(s) <= len(lb) && winSecretFiles[string(lowerASCII(lb[:0], s))] {
		return true
	}
	d := strings.LastIndexByte(s, '.')
	if d < 0 || d == 0 && strings.ContainsAny(s, "*?") {
		// a wildcard with no extension (appsettings*, web*, .env*,
		// .en?): two letters at least, and nothing but a name's
		// characters
		return winWildName(s)
	}
	if d == 0 {
		if len(s) < 3 || !strings.ContainsAny(s[1:], "-_") {
			return false
		}
		for x := 1; x < len(s); x++ {
			if !identByte(s[x], "-") {
				return false
			}
		}
		return true
	}
	ext := s[d+1:]
	// a wildcard's extension: appsettings.*, web.?onfig
	wild := strings.ContainsAny(ext, "*?")
	if d < 1 || len(ext) < 1 || len(ext) < 2 && !wild || len(ext) > 6 {
		return false
	}
	letter := wild
	for x := 0; x < len(ext); x++ {
		if !identByte(ext[x], "*?") || ext[x] == '_' {
			return false
		}
		letter = letter || asciiLetter(ext[x])
	}
	for x := 0; x < d; x++ {
		if !identByte(s[x], "-.~*? ") {
			return false
		}
	}
	switch string(lowerASCII(lb[:0], ext)) {
	case "exe", "com", "dll", "msc", "cpl":
		return false
	}
	return letter
}

// winWildName: s is a name with a wildcard (* or ?) and two letters at
// least, of letters, digits, - _ . and the wildcards only.
func winWildName(s string) bool {
	if !strings.ContainsAny(s, "*?") {
		return false
	}
	letters := 0
	for x := 0; x < len(s); x++ {
		if !identByte(s[x], "-.*?") {
			return false
		}
		if asciiLetter(s[x]) {
			letters++
		}
	}
	return letters >= 2
}

// winValueOptions are PowerShell's Get-Content and Clear-Content
// parameters that take a value (-Encoding UTF8, -Tail 5).
var winValueOptions = map[string]bool{"encoding": true, "totalcount": true, "head": true, "first": true, "tail": true, "last": true,
	"readcount": true, "delimiter": true, "stream": true, "filter": true, "include": true, "exclude": true}

// winFileCommand: w (a statement) reads or empties the files it names:
// type or more (cmd.exe's, or PowerShell's alias of Get-Content), or
// clc or Clear-Content (PowerShell's), with a file name as every
// argument (options /x, +n, -Path, -Raw, -Encoding UTF8 and < aside; 4
// at most), then its end, a redirection or one of more (type
// appsettings.json, more < web.config, type "C:\app\web.config" 2>nul,
// type -Path appsettings.json -Raw, clc appsettings.json).
func winFileCommand(w string, whole bool, more string) bool {
	k := winWord(w, "type", ",=", false)
	for _, word := range [...]string{"more", "clc", "clear-content"} {
		if k >= 0 {
			break
		}
		k = winWord(w, word, "<,=", false)
	}
	if k < 0 {
		return false
	}
	files := 0
	for range 4 {
		k = winSkip(w, k)
		if k < len(w) && w[k] == '<' {
			k = skipBlanks(w, k+1)
		}
		if winStatementEnd(w, k, whole, ">"+more) || k+1 < len(w) && w[k] == '2' && w[k+1] == '>' {
			return files > 0
		}
		arg, e := winArg(w, k)
		switch {
		case e == k:
			return false
		case arg[0] == '/' && len(arg) <= 3, arg[0] == '+':
			// an option: /e, /c, /?, +5
		case arg[0] == '-' && len(arg) > 1 && len(arg) <= 16 && winLetters(arg[1:]):
			// PowerShell's parameter: -Path, -Raw; -Encoding UTF8
			var lb [16]byte
			if winValueOptions[string(lowerASCII(lb[:0], arg[1:]))] {
				if _, e2 := winArg(w, winSkip(w, e)); e2 > winSkip(w, e) {
					e = e2
				}
			}
		case winFileName(arg):
			files++
		default:
			return false // a word: type your name
		}
		k = e
	}
	return false
}

// winLetters: s is ASCII letters only.
func winLetters(s string) bool {
	for x := 0; x < len(s); x++ {
		if !asciiLetter(s[x]) {
			return false
		}
	}
	return true
}

// winTruncation: w (a statement) empties the file it names: copy nul
// FILE (/y, /b before or after), or type nul, echo., echo(, echo:,
// break, cd. or PowerShell's $null redirected (>, not >>; a handle's
// digit before it: 1>, 2>) to FILE, then the statement's end.
func winTruncation(w string, whole bool, more string) bool {
	if k := winWord(w, "copy", ",=", false); k >= 0 {
		for range 3 {
			k = winSkip(w, k)
			if k+1 < len(w) && w[k] == '/' && asciiLetter(w[k+1]) {
				k += 2 // /y, /b
				continue
			}
			break
		}
		n := winWord(w[k:], "nul", ":,=", false)
		if n < 0 {
			return false
		}
		k += n
		if k < len(w) && w[k] == ':' {
			k++
		}
		arg, e := winArg(w, winSkip(w, k))
		if !winFileName(arg) {
			return false
		}
		for range 2 {
			x := winSkip(w, e)
			if x+1 < len(w) && w[x] == '/' && asciiLetter(w[x+1]) && (x+2 == len(w) || !identByte(w[x+2], "")) {
				e = x + 2 // /y after the file
			}
		}
		return winStatementEnd(w, e, whole, ">"+more)
	}
	k := -1
	if t := winWord(w, "type", ",=", false); t >= 0 {
		t = winSkip(w, t)
		k = winWord(w[t:], "nul", ">", false)
		if k >= 0 {
			k += t
		}
	}
	for _, word := range [...]string{"echo.", "echo(", "echo:", "break", "cd.", "$null"} {
		if k >= 0 {
			break
		}
		after := ">"
		if word[0] == 'e' {
			after = ">0123456789" // echo.2>FILE: a handle, or 2 the text
		}
		k = winWord(w, word, after, false)
	}
	if k < 0 {
		return false
	}
	k = skipBlanks(w, k)
	if k+1 < len(w) && w[k] >= '0' && w[k] <= '9' && w[k+1] == '>' {
		k++ // a handle: 1>, 2>
	}
	if k >= len(w) || w[k] != '>' || k+1 < len(w) && w[k+1] == '>' {
		return false
	}
	arg, e := winArg(w, skipBlanks(w, k+1))
	return winFileName(arg) && winStatementEnd(w, e, whole, more)
}
