package waf

import "strings"

// winStatementRules is rule 210219: a Windows statement after a command
// separator (; & | && ||) that an application which hands the value to
// cmd.exe or PowerShell (ping <value>) runs, and which prints a secret or
// a file, or empties a file, with no command rule 210151's list holds
// (attack 90 passed each through a built Caddy):
//
//   - PowerShell: a statement that is an environment variable whose name
//     holds a secret's word (127.0.0.1; $env:AWS_SECRET_ACCESS_KEY: a
//     statement that is a value prints it), or a file by its drive in
//     braces (${C:\secret.txt}); psSecretVariableEnd reads both.
//   - cmd.exe: type or more with file names as every argument (a name
//     with an extension, or a path), then the statement's end
//     (127.0.0.1 & type appsettings.json, | more < web.config).
//   - cmd.exe's ways to empty a file: copy nul FILE, type nul>FILE,
//     echo.>FILE, break>FILE, cd.>FILE.
//
// Rule 210151's expression cannot take more (RE2's memory budget is
// spent), so this is a Go operator: at each separator (IndexByte per
// byte of ";&|") it reads one statement within langCallWindow bytes, 4
// arguments at most, so a value costs a bounded read per separator.
// Prose passes: a word with no extension after type or more (R & type
// your name, Q&A; & more info), type: (Tom & Jerry | type: cartoon), a
// word after the file (& type notes.txt to see it), echo. with no
// redirection (copy the notes; echo. is a blank line), a program's file
// (Press Win+R & type cmd.exe).
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
		if e := psSecretVariableEnd(w, 0); e > 0 {
			return winStatementEnd(w, e, whole, "#")
		}
		return winFileRead(w, whole) || winTruncation(w, whole)
	})
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

// winArg reads the argument at w[a] (in double quotes perhaps, to a
// blank, a separator or a redirection): its text and the index after
// it.
func winArg(w string, a int) (string, int) {
	if a < len(w) && w[a] == '"' {
		c := strings.IndexByte(w[a+1:], '"')
		if c < 0 {
			return "", a
		}
		return w[a+1 : a+1+c], a + 2 + c
	}
	e := a
	for e < len(w) && strings.IndexByte(" \t\r\n;&|<>\"", w[e]) < 0 {
		e++
	}
	return w[a:e], e
}

// winFileName: s names a file: a path (a backslash, a drive) or a name
// (after a slash's directories) with an extension of 2 to 6 letters or
// digits (a letter among them; .config), no program's (.exe .com .dll
// .msc .cpl).
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
	d := strings.LastIndexByte(s, '.')
	if d < 1 || len(s)-d-1 < 2 || len(s)-d-1 > 6 {
		return false
	}
	ext, letter := s[d+1:], false
	for x := 0; x < len(ext); x++ {
		if !identByte(ext[x], "") || ext[x] == '_' {
			return false
		}
		letter = letter || asciiLetter(ext[x])
	}
	for x := 0; x < d; x++ {
		if !identByte(s[x], "-.~") {
			return false
		}
	}
	var lb [8]byte
	switch string(lowerASCII(lb[:0], ext)) {
	case "exe", "com", "dll", "msc", "cpl":
		return false
	}
	return letter
}

// winFileRead: w (a statement) is type or more with a file name as every
// argument (options /x, +n and < aside; 4 at most), then its end or a
// redirection (type appsettings.json, more < web.config,
// type "C:\app\web.config" 2>nul).
func winFileRead(w string, whole bool) bool {
	k := winWord(w, "type", "", false)
	if k < 0 {
		k = winWord(w, "more", "<", false)
	}
	if k < 0 {
		return false
	}
	files := 0
	for range 4 {
		k = skipBlanks(w, k)
		if k < len(w) && w[k] == '<' {
			k = skipBlanks(w, k+1)
		}
		if winStatementEnd(w, k, whole, ">") || k+1 < len(w) && w[k] == '2' && w[k+1] == '>' {
			return files > 0
		}
		arg, e := winArg(w, k)
		switch {
		case e == k:
			return false
		case arg[0] == '/' && len(arg) <= 3, arg[0] == '+':
			// an option: /e, /c, /?, +5
		case winFileName(arg):
			files++
		default:
			return false // a word: type your name
		}
		k = e
	}
	return false
}

// winTruncation: w (a statement) empties the file it names: copy nul
// FILE (/y, /b before), or type nul, echo., echo(, echo:, break or cd.
// redirected (>, not >>) to FILE, then the statement's end.
func winTruncation(w string, whole bool) bool {
	if k := winWord(w, "copy", "", false); k >= 0 {
		for range 3 {
			k = skipBlanks(w, k)
			if k+1 < len(w) && w[k] == '/' && asciiLetter(w[k+1]) {
				k += 2 // /y, /b
				continue
			}
			break
		}
		n := winWord(w[k:], "nul", ":", false)
		if n < 0 {
			return false
		}
		k += n
		if k < len(w) && w[k] == ':' {
			k++
		}
		arg, e := winArg(w, skipBlanks(w, k))
		return winFileName(arg) && winStatementEnd(w, e, whole, ">")
	}
	k := -1
	if t := winWord(w, "type", "", false); t >= 0 {
		k = winWord(w[skipBlanks(w, t):], "nul", ">", false)
		if k >= 0 {
			k += skipBlanks(w, t)
		}
	}
	for _, word := range [...]string{"echo.", "echo(", "echo:", "break", "cd."} {
		if k >= 0 {
			break
		}
		k = winWord(w, word, ">", false)
	}
	if k < 0 {
		return false
	}
	k = skipBlanks(w, k)
	if k >= len(w) || w[k] != '>' || k+1 < len(w) && w[k+1] == '>' {
		return false
	}
	arg, e := winArg(w, skipBlanks(w, k+1))
	return winFileName(arg) && winStatementEnd(w, e, whole, "")
}
