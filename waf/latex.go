package waf

import "strings"

// latexRule is rule 210234 (attack 97): TeX that reads or writes a file
// or runs a command, in a value an application typesets (a certificate's
// name put into a .tex file and run through pdflatex). Read (latexFile):
//   - \write18 (the shell escape, with -shell-escape: \immediate\write18{id
//     > x.tex}\input{x} printed id's output in the PDF) in any spelling
//     of its number (\write 18, \write18{...});
//   - \openout, which writes a file (TeX Live allows it under the working
//     directory by default);
//   - \input, \include, \verbatiminput, \lstinputlisting, \inputminted,
//     \VerbatimInput, \includeonly and \openin with a file that names one
//     of rule 210170's secrets (.env, /run/secrets/...), an absolute path
//     or a .. segment: \verbatiminput{.env} printed .env in the PDF under
//     TeX Live 2022's defaults (openin_any = a), as did \input{.env} with
//     \catcode changes and \openin\f=.env\read\f to\l.
//
// A document's own \input{chapter1}, \include{intro} and
// \lstinputlisting{src/main.c}, and MathJax's maths (\frac, \sqrt) pass.
// Each command is read within latexWindow bytes.
var latexRule = `SecRule ` + valueNameHeaderTargets + ` "@` + latexFileOp + `" "id:210234,phase:2,block,t:none,t:urlDecodeUni,msg:'LaTeX injection: TeX that runs a command, writes a file or reads a secret file',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const latexFileOp = "gatewayLaTeXFile"

func init() { registerGoOperator(latexFileOp, latexFile) }

// latexWindow bounds the bytes read after a command for its file.
const latexWindow = 256

// latexReaders are the commands that read a file by name.
var latexReaders = []string{"input", "include", "verbatiminput", "lstinputlisting", "inputminted", "VerbatimInput",
	"includeonly", "openin", "InputIfFileExists", "IfFileExists"}

// latexFile is rule 210234's operator (see latexRule).
func latexFile(v string) bool {
	for i := strings.IndexByte(v, '\\'); i >= 0 && i+1 < len(v); {
		e := i + 1
		for e < len(v) && asciiLetter(v[e]) {
			e++
		}
		name := v[i+1 : e]
		switch {
		case name == "write":
			n := skipSpace(v, e)
			if strings.HasPrefix(v[n:], "18") {
				return true
			}
		case name == "openout":
			return true
		default:
			for _, r := range latexReaders {
				if name == r && latexFileArgument(v, e) {
					return true
				}
			}
		}
		k := strings.IndexByte(v[e:], '\\')
		if k < 0 {
			break
		}
		i = e + k
	}
	return false
}

// latexFileArgument: at v[e:], after a reading command, its file (after
// options in [ ], a language's braces for \inputminted, a stream's name
// and =, or a blank): a secret of 210170's, an absolute path or a ..
// segment.
func latexFileArgument(v string, e int) bool {
	limit := min(len(v), e+latexWindow)
	j := e
	for n := 0; n < 4 && j < limit; n++ {
		j = skipSpace(v, j)
		if j >= limit {
			return false
		}
		var end int
		switch v[j] {
		case '[':
			k := strings.IndexByte(v[j:limit], ']')
			if k < 0 {
				return false
			}
			j += k + 1
			continue
		case '{':
			k := strings.IndexByte(v[j:limit], '}')
			if k < 0 {
				return false
			}
			if latexSecretFile(v[j+1 : j+k]) {
				return true
			}
			j += k + 1
			continue
		case '\\':
			// \openin\f=.env: the stream's name, then = and the file
			k := j + 1
			for k < limit && asciiLetter(v[k]) {
				k++
			}
			j = k
			continue
		case '=':
			j++
			continue
		default:
			end = j
			for end < limit && !strings.ContainsRune(" \t\r\n\\{}%", rune(v[end])) {
				end++
			}
			return latexSecretFile(v[j:end])
		}
	}
	return false
}

// latexSecretFile: the name is a secret of 210170's, an absolute path or
// holds a .. segment.
func latexSecretFile(f string) bool {
	f = strings.TrimSpace(f)
	if f == "" {
		return false
	}
	return f[0] == '/' || f[0] == '~' || strings.Contains(f, "..") || templateSecretName(f)
}
