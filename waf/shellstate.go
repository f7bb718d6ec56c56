package waf

import "strings"

// shellStateRules are rules 210223 and 210224: shell commands after a
// separator that dump the environment or empty a file, which attack 90
// passed (each run on bash) and which rule 210151's expression does not
// read and cannot take (RE2's memory budget for it is spent, "The
// bound"):
//   - 210223 (shellEnvDump): bash's typeset, declare's synonym (the CRS
//     refuses declare -p and -x, not typeset), alone or before its
//     options: 127.0.0.1;typeset -x, `typeset -x`, x;typeset -p, and
//     x;typeset alone, which prints every variable; declare alone too,
//     which does the same and which the CRS reads only with an option.
//   - 210224 (shellTruncate): truncate with an option
//     (127.0.0.1;truncate -s0 victim.sqlite) and a redirection that
//     empties a file with no command before it, or : (x;> db.sqlite,
//     x;:>victim.sqlite): rm, shred and mv are refused, these were not.
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
	shellEnvDumpOp  = "gatewayShellEnvDump"
	shellTruncateOp = "gatewayShellTruncate"
)

func init() {
	registerGoOperator(shellEnvDumpOp, shellEnvDump)
	registerGoOperator(shellTruncateOp, shellTruncate)
}

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
// separator and grouping, typeset or declare (shellRunWord) then the
// value's end, a separator, a comment or a closing ), as rule 210151
// reads a command word at its end (shellWordEnds); or then an option of
// theirs (-p, -x, -px, +x: shellDumpOption). "Q&A; typeset is a printing
// term" passes.
func shellEnvDump(v string) bool {
	for i := 0; i < len(v); i++ {
		k, ok := shellSeparatorEnd(v, i)
		if !ok {
			continue
		}
		k = skipShellGrouping(v, k)
		var a [16]byte
		w, e := shellRunWord(v, k, a[:0])
		if e == k || string(w) != "typeset" && string(w) != "declare" {
			continue
		}
		if shellWordEnds(v, e) || shellDumpOption(v, e) {
			return true
		}
	}
	return false
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

// shellDumpOption: blanks at v[e:], then an option of typeset's and
// declare's (- or + and their letters: -p, -x, -px, +x, -f), ending at
// the value's end, a blank or a separator. "typeset -- like" and
// "typeset -ish" are no options of theirs.
func shellDumpOption(v string, e int) bool {
	k := skipBlanks(v, e)
	if k == e || k >= len(v) || v[k] != '-' && v[k] != '+' {
		return false
	}
	n := k + 1
	for n < len(v) && n-k < 16 && strings.IndexByte("aAfFgiIlnprtux", v[n]) >= 0 {
		n++
	}
	return n > k+1 && (n == len(v) || strings.IndexByte(" \t\r\n;|&`)#", v[n]) >= 0)
}

// shellTruncate is rule 210224's operator (see shellStateRules): after a
// separator and grouping, truncate with an option of its own
// (truncateOption) or a redirection that empties a file
// (truncatingRedirection). After a line break or a backtick the
// redirection must end the command (strict): a Markdown quote's line
// ("> notes.txt has more") and inline code ("use `> out.txt` to save")
// are prose. "x; truncate the list" passes.
func shellTruncate(v string) bool {
	for i := 0; i < len(v); i++ {
		k, ok := shellSeparatorEnd(v, i)
		if !ok {
			continue
		}
		k = skipShellGrouping(v, k)
		if k >= len(v) {
			return false
		}
		if v[k] != '>' && v[k] != ':' && (v[k] < '0' || v[k] > '9') {
			var a [16]byte
			if w, e := shellRunWord(v, k, a[:0]); e > k && string(w) == "truncate" && truncateOption(v, e) {
				return true
			}
			continue
		}
		// |> and a blank is a pipe-forward operator (Elixir, F#, OCaml,
		// Elm, R: xs |> List.map f), <&> a functor's map (Haskell);
		// x|>db.sqlite, with no blank, is bash's
		if v[k] == '>' && k == i+1 && k+1 < len(v) && (v[k+1] == ' ' || v[k+1] == '\t') &&
			(v[i] == '|' || v[i] == '&' && i > 0 && v[i-1] == '<') {
			continue
		}
		if truncatingRedirection(v, k, v[i] == '\n' || v[i] == '`') {
			return true
		}
	}
	return false
}

// truncateOption: in the truncate command's words after v[e] (up to a
// separator, at most shellStateWindow bytes), one of its options: -s,
// -c, -o or -r (as -s0, -cs0, -s 0), or --size, --no-create,
// --reference, --io-blocks (or a prefix of one, as getopt takes it).
// Quotes around the option are taken out.
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
		for n < limit && (v[n] == '\'' || v[n] == '"') {
			n++
		}
		if n+1 < limit && v[n] == '-' {
			if strings.IndexByte("cors", v[n+1]) >= 0 || v[n+1] == '-' && n+2 < limit && strings.IndexByte("snri", v[n+2]) >= 0 {
				return true
			}
		}
		j = max(n, j+1)
	}
	return false
}

// truncatingRedirection: at v[k:] (after a separator), ':' and blanks or
// a file descriptor's digit or nothing, then > or >| (not >>, which
// appends), blanks, and a file's name (fileLikeName: a path or a name
// with an extension, quoted or not), then the value's end, a blank or a
// separator; when strict, then only the value's end or a separator
// (after blanks), or a closing backtick at the value's end or before an
// operator.
func truncatingRedirection(v string, k int, strict bool) bool {
	j := k
	switch {
	case v[j] == ':':
		j = skipBlanks(v, j+1)
	case v[j] >= '0' && v[j] <= '9':
		j++
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
	var quote byte
	if j < len(v) && (v[j] == '\'' || v[j] == '"') {
		quote = v[j]
		j++
	}
	s := j
	for j < len(v) && j-s < shellStateWindow && (identByte(v[j], "./~+-$") || v[j] == '{' || v[j] == '}') {
		j++
	}
	if j-s >= shellStateWindow || !fileLikeName(v[s:j]) {
		return false
	}
	if quote != 0 {
		if j >= len(v) || v[j] != quote {
			return false
		}
		j++
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
