package waf

import (
	"slices"
	"strings"
)

// latexRule is rule 210234 (attack 97): TeX that reads or writes a file
// or runs a command, in a value an application typesets (a certificate's
// name put into a .tex file and run through pdflatex). Read (latexFile):
//   - \write with 18 (the shell escape, with -shell-escape:
//     \immediate\write18{id > x.tex}\input{x} printed id's output in the
//     PDF) in any spelling of its number TeX reads (\write 018, \write+18,
//     \write"12, \write'22, \write`\^^R, \write\numexpr...), and \input|
//     with a command (the piped input);
//   - \openout, \pdfobj file, \pdffiledump and the filecontents
//     environment, which write a file or dump one;
//   - a command named in a way TeX reads but this rule does not: ^^
//     notation in a value with a backslash (\wr^^69te18), \csname,
//     \let or \expandafter before write, input, openin or openout, and a
//     \catcode that makes another character the escape (\catcode`\|=0);
//   - \input, \@@input, \include, \verbatiminput, \VerbatimInput,
//     \BVerbatimInput, \LVerbatimInput, \lstinputlisting, \inputminted,
//     \includeonly, \InputIfFileExists, \file_input:n and \openin in a
//     value where a group's or a word's name (quotes dropped, a stream's
//     number read over: \openin5=.env) is one of rule 210170's secrets:
//     \verbatiminput{.env} printed .env in the PDF under TeX Live 2022's
//     defaults (openin_any = a), as did \def\f{.env}\input\f.
//
// A document's own \input{chapter1}, \input{../common/preamble},
// \lstinputlisting{src/main.c}, \write\@auxout{...}, \write16{...} and
// MathJax's maths (\frac, \sqrt) pass. Each command is read within
// latexWindow bytes, and each brace group once.
var latexRule = `SecRule ` + valueNameHeaderTargets + ` "@` + latexFileOp + `" "id:210234,phase:2,block,t:none,t:urlDecodeUni,msg:'LaTeX injection: TeX that runs a command, writes a file or reads a secret file',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const latexFileOp = "gatewayLaTeXFile"

func init() { registerGoOperator(latexFileOp, latexFile) }

// latexWindow bounds the bytes read after a command.
const latexWindow = 1024

// latexReaders are the commands that read a file by name.
var latexReaders = []string{"input", "@@input", "include", "verbatiminput", "VerbatimInput", "BVerbatimInput", "LVerbatimInput",
	"lstinputlisting", "inputminted", "includeonly", "InputIfFileExists", "file_input:n", "openin"}

// latexFile is rule 210234's operator (see latexRule).
func latexFile(v string) bool {
	if strings.IndexByte(v, '\\') < 0 {
		return false
	}
	if strings.Contains(v, "^^") || strings.Contains(v, "{filecontents") {
		return true
	}
	reads := false
	for i := strings.IndexByte(v, '\\'); i >= 0 && i+1 < len(v); {
		e := i + 1
		for e < len(v) && (asciiLetter(v[e]) || v[e] == '@' || v[e] == '_' || v[e] == ':') {
			e++
		}
		name := v[i+1 : e]
		switch name {
		case "write":
			if latexWrite18(v, e) {
				return true
			}
		case "openout", "pdffiledump", "pdfobj":
			if name != "pdfobj" || strings.HasPrefix(strings.TrimLeft(v[e:min(len(v), e+64)], " "), "file") ||
				strings.Contains(v[e:min(len(v), e+64)], " file") {
				return true
			}
		case "csname", "let", "expandafter", "global":
			w := v[e:min(len(v), e+64)]
			for _, x := range [...]string{"write", "input", "openin", "openout"} {
				if strings.Contains(w, x) {
					return true
				}
			}
		case "catcode":
			// \catcode`\|=0: another escape character
			w := v[e:min(len(v), e+16)]
			if x := strings.IndexByte(w, '='); x >= 0 && strings.HasPrefix(strings.TrimLeft(w[x+1:], " "), "0") {
				return true
			}
		case "input":
			if n := skipSpace(v, e); n < len(v) && v[n] == '|' {
				return true
			}
		}
		if slices.Contains(latexReaders, name) {
			reads = true
		}
		k := strings.IndexByte(v[e:], '\\')
		if k < 0 {
			break
		}
		i = e + k
	}
	return reads && latexNamesSecret(v)
}

// latexWrite18: after \write at v[e:], the stream's number is 18 in a
// spelling TeX reads (blanks, signs and leading zeros, "hex, 'octal, a
// `character, \numexpr or a register).
func latexWrite18(v string, e int) bool {
	j := e
	for j < len(v) && (v[j] == ' ' || v[j] == '+' || v[j] == '=') {
		j++
	}
	if j >= len(v) {
		return false
	}
	switch c := v[j]; {
	case c == '"' || c == '\'' || c == '`':
		return true
	case c >= '0' && c <= '9':
		k := j
		for k < len(v) && v[k] == '0' {
			k++
		}
		return strings.HasPrefix(v[k:], "18") && (k+2 == len(v) || v[k+2] < '0' || v[k+2] > '9')
	case c == '\\':
		return strings.HasPrefix(v[j:], `\numexpr`) || strings.HasPrefix(v[j:], `\number`) || strings.HasPrefix(v[j:], `\count`)
	}
	return false
}

// latexNamesSecret: a brace group's text, a quoted name or a word after
// a reading command (quotes dropped, a stream's number and = read over)
// names one of rule 210170's secrets. Each group and word is read once.
func latexNamesSecret(v string) bool {
	for j := 0; j < len(v); j++ {
		switch v[j] {
		case '{':
			k := strings.IndexByte(v[j+1:min(len(v), j+1+latexWindow)], '}')
			if k < 0 {
				continue
			}
			if latexSecretFile(v[j+1 : j+1+k]) {
				return true
			}
		case ' ', '=', '"':
			// a word: \input .env, \openin5=.env, \input ".env"
			n := j + 1
			for n < len(v) && !strings.ContainsRune(" \t\r\n\\{}%=", rune(v[n])) {
				n++
			}
			if n > j+1 && latexSecretFile(v[j+1:n]) {
				return true
			}
		}
	}
	return false
}

// latexSecretFile: the name (quotes dropped) is one of 210170's secrets.
func latexSecretFile(f string) bool {
	f = strings.Trim(strings.TrimSpace(f), `"'`)
	if f == "" || len(f) > templateTagWindow {
		return false
	}
	return templateSecretName(f)
}
