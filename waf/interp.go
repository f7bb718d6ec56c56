package waf

import (
	"bytes"
	"slices"
	"strings"
)

// interpRules are the rules for Perl, PowerShell and Java code that runs
// a command in spellings the CRS and the gateway's other rules did not
// read (a fifty-second fresh-eyes attack, attack 56: 25 Perl, 20
// PowerShell and cmd.exe, 5 SpEL and 4 OGNL spellings passed the CRS
// alone and every rule of ours). Each is a Go operator that looks only
// where a fixed byte or word stands and reads a bounded window from
// there (BenchmarkLangCall's Perl, PowerShell, Java and other-language
// shapes; TestCPUBoundLangCalls through Caddy). A fifty-third attack
// (attack 57) broke each in more spellings the same day; what it found
// is read too (see each function):
//
//   - 210143: Perl's ways to run a command that name no command
//     (perlCommand): qx with any delimiter (qx{id}, qx'id', qx|id|, the
//     CRS's 932 rules read qx only before a command they know), readpipe,
//     system and exec with an indirect object block (system{"id"} "id"),
//     and eval of string literals joined into code that runs one (eval
//     "sys"."tem('id')").
//   - 210144: PowerShell's ways to run a built or stored name
//     (powerShellCommand): the call operators & and . before an
//     expression, a string or a variable at a command's start (x;&('i'+
//     'ex') 'id', x;&(-join(...)), x;. $s), [ScriptBlock]::Create,
//     $ExecutionContext.InvokeCommand, [Diagnostics.Process]::Start,
//     $env:ComSpec; cmd.exe by a path (%windir%\system32\cmd /c ver); and
//     at a value's start, what an application that hands the value to
//     PowerShell or cmd.exe runs (iex 'id', icm {id}, pwsh
//     -EncodedCommand ..., c^m^d /c whoami).
//   - 210145: Java's ProcessBuilder named (new ProcessBuilder,
//     T(ProcessBuilder), "java.lang.ProcessBuilder") and its start called
//     anywhere in the value (javaProcess): SpEL's safe navigation
//     (new ProcessBuilder('id')?.start()), an inline list
//     ({new ProcessBuilder('id')}[0].start()), reflection
//     (T(ProcessBuilder).getConstructor(...).newInstance(...).start()) and
//     OGNL's sequences (#pb=new ProcessBuilder({'id'}),#pb.start()), which
//     rule 210136's one expression did not read.
//   - 210146: the languages a fifty-third attack (attack 57) found no
//     rule reading (otherLangCommand): Groovy's execute() on a built
//     string or by a method's name as a string, Lua's os.execute (and
//     os[...]), Tcl's exec in a command substitution or a variable, {*}
//     and e[]xec, R's system2, pipe and do.call("system"), Elixir's
//     System.cmd/System.shell/:os.cmd/Port.open, Erlang's os:cmd and
//     open_port, find's -exec and -ok given as arguments (a value without
//     the word find: argument injection), Ghostscript's %pipe% device.
//   - 210213: a PowerShell string broken out of with a grouped command
//     (psQuoteBreakout, attack 86): a quote that closes the string an
//     application put the value in (Get-Mailbox -Identity '<value>'),
//     then + , -f (an operator) or blanks, then a grouping ( $( @( that
//     holds a command PowerShell runs while it reads the expression or
//     the argument (x' + (cmd /c whoami) + ', x'+(.('who'+'ami'))+'),
//     then more of the expression (an operator, a quote, a comment); a
//     file read there (x' + (gc C:\secret.txt) + ') after a quote that
//     may close the application's string (attack 89). A rule of its own,
//     not 210144's: it reads a string's breakout, not a built name, and
//     an application whose users write such prose can exclude it alone.
var interpRules = `SecRule ` + valueNameHeaderTargets + ` "@` + perlCommandOp + `" "id:210143,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Code injection: a Perl command operator',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + powerShellCommandOp + `" "id:210144,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Command injection: PowerShell or cmd.exe running a built or stored name',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + javaProcessOp + `" "id:210145,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Expression language injection: a ProcessBuilder started',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@` + psQuoteBreakoutOp + `" "id:210213,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Command injection: a quoted PowerShell string broken out of with a grouped command',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + templateRuntimeOp + `" "id:210215,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Template injection: a Razor code block or expression that reaches the .NET runtime, or a Go template that reads the environment',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@` + otherLangCommandOp + `" "id:210146,phase:2,block,t:none,t:urlDecodeUni,multiMatch,msg:'Code injection: Groovy, Lua, Tcl, R, Elixir or Erlang running a command, find -exec, Ghostscript pipe',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const (
	perlCommandOp       = "gatewayPerlCommand"
	powerShellCommandOp = "gatewayPowerShellCommand"
	javaProcessOp       = "gatewayJavaProcess"
	otherLangCommandOp  = "gatewayOtherLangCommand"
	psQuoteBreakoutOp   = "gatewayPowerShellQuoteBreakout"
	templateRuntimeOp   = "gatewayTemplateRuntime"
)

func init() {
	registerGoOperator(perlCommandOp, perlCommand)
	registerGoOperator(powerShellCommandOp, powerShellCommand)
	registerGoOperator(javaProcessOp, javaProcess)
	registerGoOperator(otherLangCommandOp, otherLangCommand)
	registerGoOperator(psQuoteBreakoutOp, psQuoteBreakout)
	registerGoOperator(templateRuntimeOp, templateRuntime)
}

// templateRuntime is rule 210215's operator: a Razor expression, code
// block or call (@( ... ), @{ ... }, @if(, @foreach(, @functions{,
// @Html.Raw(, @Microsoft.VisualBasic...( ...) followed, within
// razorWindow bytes, by a .NET type or member that runs a program,
// writes or reads a file, loads an assembly, fetches a URL or reads the
// application's secrets (razorMembers), and a Go template's action that
// calls Sprig's expandenv ({{ expandenv "$AWS_SECRET_ACCESS_KEY" }},
// {{ "$X" | expandenv }}). Attack 88 passed
// @(Microsoft.VisualBasic.Interaction.Shell("cmd /c whoami")),
// @(System.IO.File.WriteAllBytes(...)), @{ new
// System.Net.WebClient().DownloadFile(...); },
// @(System.Reflection.Assembly.Load(...)) and
// @(System.Configuration.ConfigurationManager.AppSettings["ApiKey"])
// through the CRS and rule 210112 (which reads @System. and @{System.
// only), and expandenv through 932230 (which reads env "..."). Members,
// not namespaces: a view's @(System.IO.Path.GetExtension(...)) or
// @(System.Reflection.Assembly.GetEntryAssembly()...Version) is
// everyday code (a review's false positives).
func templateRuntime(v string) bool {
	// the next member (-1: none known) and how far the value has been
	// searched: the searches cover disjoint parts of the value, so 16 KiB
	// of @( costs one search of it
	next, searched := -1, 0
	if eachByteOf(v, "@", func(v string, i int) bool {
		j := i + 1
		e := j
		for e < len(v) && e-j < 64 && identByte(v[e], ".") {
			e++ // if, foreach, functions, Html.Raw, a namespace's call
		}
		k := skipBlanks(v, e)
		if k >= len(v) || v[k] != '(' && v[k] != '{' {
			return false
		}
		if next < j {
			searched = max(searched, j)
			if end := min(len(v), j+razorWindow); searched < end {
				next = razorMemberIn(v, searched, end)
				searched = end
				if next >= 0 {
					searched = next
				}
			}
		}
		return next >= j && next-j < razorWindow
	}) {
		return true
	}
	if eachFold(v, "expandenv", func(i int) bool {
		if i > 0 && identByte(v[i-1], "") || i+9 < len(v) && identByte(v[i+9], "") {
			return false
		}
		// inside a Go template's action: {{ before it, no }} between
		b := v[max(0, i-512):i]
		o := strings.LastIndex(b, "{{")
		return o >= 0 && !strings.Contains(b[o:], "}}")
	}) {
		return true
	}
	return goTemplateEnv(v)
}

// goTemplateEnv: a Go template's action ({{ ... }}, up to its }}, the next
// {{ or 512 bytes) reads the process's environment with Caddy's
// templates functions: placeholder or ph with a string that names an
// env. placeholder ({{placeholder "env.SECRET_TOKEN"}}, {{ "env.X" | ph
// }}: attack 90 read a secret through a Caddy with templates on the
// response), or env used as a function in a pipeline or with a raw
// string ({{ "X" | env }}, {{ env `X` }}; the CRS reads env "X"). The
// actions are disjoint parts of the value, read once each. White space
// includes line breaks, which an action may hold ({{ httpInclude\n"/admin"
// }}: a review).
func goTemplateEnv(v string) bool {
	return eachFold(v, "{{", func(i int) bool {
		a := v[i+2 : min(len(v), i+2+512)]
		if e := strings.Index(a, "}}"); e >= 0 {
			a = a[:e]
		}
		if e := strings.Index(a, "{{"); e >= 0 {
			a = a[:e]
		}
		word := func(w string, at func(k int) bool) bool {
			return eachFold(a, w, func(k int) bool {
				if k > 0 && identByte(a[k-1], ".$") || k+len(w) < len(a) && identByte(a[k+len(w)], "") {
					return false
				}
				return at(k)
			})
		}
		envString := func(int) bool {
			return eachFold(a, "env.", func(k int) bool { return k > 0 && (a[k-1] == '"' || a[k-1] == '`') })
		}
		// placeholder with a name the template computes ({{ placeholder
		// (printf "%s.X" "env") }}, {{ placeholder $x }}, {{ $x | ph }}:
		// attack 91 read a secret so), and the functions that read the
		// server's files or its other routes (httpInclude "/admin",
		// listFiles, fileStat, fileExists, import: attack 91's
		// httpInclude ran a subrequest)
		computed := func(k int) bool {
			p := k
			for p > 0 && (a[p-1] == ' ' || a[p-1] >= '\t' && a[p-1] <= '\r') {
				p--
			}
			if p > 0 && a[p-1] == '|' {
				return true
			}
			n := skipSpace(a, k)
			for n < len(a) && identByte(a[n], "") {
				n++ // the word itself
			}
			n = skipSpace(a, n)
			return n < len(a) && (a[n] == '(' || a[n] == '$' || a[n] == '.')
		}
		served := func(k int) bool {
			n := k
			for n < len(a) && identByte(a[n], "") {
				n++
			}
			m := skipSpace(a, n)
			return computed(k) || m > n && m < len(a) && (a[m] == '"' || a[m] == '`')
		}
		if word("placeholder", envString) || word("ph", envString) || word("placeholder", computed) || word("ph", computed) ||
			word("httpinclude", served) || word("listfiles", served) || word("filestat", served) || word("fileexists", served) ||
			word("import", served) {
			return true
		}
		return word("env", func(k int) bool {
			p := k
			for p > 0 && (a[p-1] == ' ' || a[p-1] >= '\t' && a[p-1] <= '\r') {
				p--
			}
			n := skipSpace(a, k+3)
			return p > 0 && a[p-1] == '|' || n < len(a) && n > k+3 && strings.IndexByte("`(\"$.", a[n]) >= 0
		})
	})
}

// razorWindow is how far after a Razor opener razorMembers are read (a
// code block pads its member out: 300 bytes passed a review).
const razorWindow = 4096

// razorMemberIn is the index of the first of razorMembers that starts in
// v[from:end] (not inside a word), or -1.
func razorMemberIn(v string, from, end int) int {
	best := end
	for _, m := range razorMembers {
		w := v[from:min(len(v), best+len(m))]
		eachFold(w, m, func(k int) bool {
			if p := from + k; p > 0 && identByte(v[p-1], "") {
				return false // a word's middle (myfile.copy)
			}
			best = min(best, from+k)
			return true
		})
	}
	if best == end {
		return -1
	}
	return best
}

// razorMembers are .NET types and members (lower case) whose use in a
// Razor template runs a program, writes or reads a file, loads an
// assembly or a serialized object, fetches a URL, or reads the
// application's secrets and environment.
var razorMembers = []string{"system.diagnostics.process", "process.start(", "processstartinfo", "file.writeall", "file.appendall",
	"file.readall", "file.copy(", "file.move(", "file.delete(", "file.open", "file.create(", "file.replace(", "directory.getfiles(",
	"directory.enumeratefiles(", "directory.delete(", "streamwriter(", "filestream(", "webclient(", "httpclient(", "webrequest.create(",
	"system.net.sockets.", "assembly.load", "assembly.unsafeloadfrom(", "binaryformatter", "system.runtime.serialization.",
	"configurationmanager.", "system.management.", "interaction.shell(", "microsoft.visualbasic.fileio", "registry.localmachine",
	"registry.currentuser", "getenvironmentvariable", "appdomain.currentdomain", "activator.createinstance(", "type.gettype("}

// eachWord calls f at each index where word stands in v with no letter,
// digit or _ before it (nor one of the bytes of notAfter), until f says
// true (then so does eachWord).
func eachWord(v, word, notAfter string, f func(i int) bool) bool {
	for off := 0; ; {
		i := strings.Index(v[off:], word)
		if i < 0 {
			return false
		}
		i += off
		off = i + len(word)
		if i > 0 && (identByte(v[i-1], "") || strings.IndexByte(notAfter, v[i-1]) >= 0) {
			continue
		}
		if f(i) {
			return true
		}
	}
}

// perlCommand is rule 210143's operator (see interpRules).
func perlCommand(v string) bool {
	// qx: not a variable's name ($qx), a method (->qx) or inside base64
	// (/qx/, +qx)
	if eachWord(v, "qx", "$@%&>/+", func(i int) bool { return perlQuoted(v, i+2, true) }) {
		return true
	}
	if eachWord(v, "readpipe", "$@%>", func(i int) bool {
		if i >= 6 && v[i-6:i] == "CORE::" {
			return true // \&CORE::readpipe (attack 58)
		}
		// an argument: a bracket, a quote, a variable, or a bare word
		// that is a command (readpipe+id, attack 57; "readpipe do?" and
		// "readpipe - execute ..." in prose pass, attack 58's)
		k := skipSpace(v, i+len("readpipe"))
		if k >= len(v) {
			return false
		}
		if strings.IndexByte("('\"q$`{@&", v[k]) >= 0 {
			return true
		}
		if v[k] == '+' {
			if k = skipSpace(v, k+1); k >= len(v) {
				return false // readpipe+id: a bare word after a unary +
			}
		}
		e := k
		for e < len(v) && v[e] != ';' && v[e] != '\n' && e-k < langNameMax {
			e++
		}
		return identByte(v[k], "") && literalCommand(v[k:e])
	}) {
		return true
	}
	// IPC::Cmd's run and IPC::Run's with a command (attack 57): a
	// command literal in a value naming them (IPC::Run in prose, attack
	// 58's false positive, passes)
	if eachWord(v, "IPC::", "", func(i int) bool {
		return wordAfter(v, i+len("IPC::"), "Cmd", "Run", "Run3", "System")
	}) && literalsHoldCommand(v) {
		return true
	}
	// a string eval: eval before a variable, a literal, a quote-like
	// operator, for, or nothing (eval; eval on $_, map{eval}): attack 58
	// reached it in eleven ways the joined literals' reading did not
	if eachWord(v, "eval", "$@%>.", func(i int) bool {
		k := skipBlanks(v, i+len("eval"))
		if k == len(v) {
			// the value's last statement: ...;eval
			b := blanksBefore(v, i)
			return b > 0 && (v[b-1] == ';' || v[b-1] == '{')
		}
		switch v[k] {
		case '$', ';', '}':
			return true
		case '"', '\'':
			// a literal with code in it, or joined or repeated ('this' in
			// prose is none)
			var lb [langCallWindow]byte
			t, e, _ := phpLiteral(v[:min(len(v), k+langCallWindow)], k, lb[:0])
			n := skipBlanks(v, e)
			if bytes.ContainsAny(t, "(;$@'\"`") {
				return true
			}
			// joined to another literal, or repeated ("x".length is none)
			if n < len(v) && (v[n] == '.' || v[n] == 'x') {
				a := skipBlanks(v, n+1)
				return a < len(v) && (v[a] == '"' || v[a] == '\'' || v[a] == 'q' || v[a] >= '0' && v[a] <= '9')
			}
			return false
		case 'q':
			return perlQuoteLike(v, k)
		}
		return wordAfter(v, k, "for", "foreach")
	}) {
		return true
	}
	// system and exec before a block, a literal or a quote-like operator,
	// eval before a literal: read from the '{', the quote or the q (rarer
	// in text than the words' letters); s///ee
	return eachByteOf(v, "{'\"q", perlBlockOrLiteral) || eachByteOf(v, "`", perlBacktick) || perlSubstEval(v)
}

// wordAfter: one of words stands at v[j:] as a word of its own.
func wordAfter(v string, j int, words ...string) bool {
	_, ok := wordAt(v, j, words...)
	return ok
}

// perlStringFuncs are Perl's functions that return a string built from
// their argument, read between system, exec or eval and a literal
// (system scalar reverse "di", eval pack("H*", ...), eval lc "SYSTEM
// 'ID'": attack 57).
var perlStringFuncs = map[string]bool{"scalar": true, "reverse": true, "lc": true, "uc": true, "lcfirst": true,
	"ucfirst": true, "join": true, "sprintf": true, "pack": true, "unpack": true, "chr": true, "decode_base64": true}

// perlSubstEval: Perl's substitution with the ee flags, whose
// replacement is evaluated as code twice over (s/x/"sys"."tem q(id)"/ee,
// s{x}{...}ee: attack 57): at each ee among the flags after a delimiter,
// the replacement before it holds code (a quote, $ or a bracket), and an
// s opens the pattern before it, within langCallWindow bytes. A path
// (/s/foo/see) has no code in its "replacement".
func perlSubstEval(v string) bool {
	for off := 0; ; {
		i := strings.IndexByte(v[off:], 'e')
		if i < 0 {
			return false
		}
		i += off
		off = i + 1
		// another e within the next four flags (a fast test: prose has e
		// in every other word)
		second := false
		for x := i + 1; x < min(len(v), i+5) && strings.IndexByte("msixpodualngcre", v[x]) >= 0; x++ {
			if v[x] == 'e' {
				second = true
				break
			}
		}
		if !second {
			continue
		}
		// the run of flags around this e: at least two e in it, read at
		// its first e only (/ee, /eee, /eeg, /ere: attack 58)
		f, g := i, i+1
		for f > 0 && i-f < 8 && strings.IndexByte("msixpodualngcre", v[f-1]) >= 0 {
			f--
		}
		for g < len(v) && g-i < 8 && strings.IndexByte("msixpodualngcre", v[g]) >= 0 {
			g++
		}
		if strings.IndexByte(v[f:i], 'e') >= 0 || strings.Count(v[f:g], "e") < 2 {
			continue
		}
		off = g
		if f == 0 || g < len(v) && identByte(v[g], "") {
			continue
		}
		d, open := v[f-1], v[f-1]
		switch d {
		case '}':
			open = '{'
		case ')':
			open = '('
		case ']':
			open = '['
		case '>':
			open = '<'
		}
		if identByte(d, "") || d <= ' ' || d >= 0x80 {
			continue
		}
		w := v[max(0, f-1-langCallWindow) : f-1]
		m := strings.LastIndexByte(w, open) // the replacement's start
		if m < 0 || !strings.ContainsAny(w[m+1:], "'\"$(") {
			continue
		}
		pat := strings.TrimRight(w[:m], " \t")
		if open != d {
			pat = strings.TrimSuffix(pat, string(d)) // s{x}{...}
		}
		r := strings.LastIndexByte(pat, open)
		if r > 0 {
			r = blanksBefore(pat, r) // s {x} {...}ee (attack 58)
		}
		if r > 0 && pat[r-1] == 's' && (r == 1 || !identByte(pat[r-2], "$@%")) {
			return true
		}
	}
}

// perlBacktick: at v[i] stands a backtick string with an escape in it
// that Perl, Ruby and PHP decode, as a double-quoted string's, before the
// shell runs it (`i\x64`, `\151d`, `i\x{64}`, Ruby's `\u{69 64}`: found
// while attack 57 ran), and decoded it is a command rule 210151 reads
// (shellCommandAt); without an escape the CRS and 210151 read it as it
// stands. (Ruby's %x{...} is rule 210118's.)
func perlBacktick(v string, i int) bool {
	e := strings.IndexByte(v[i+1:min(len(v), i+1+langCallWindow)], '`')
	if e < 0 {
		return false
	}
	if backtickInterpolation(v[i+1 : i+1+e]) {
		return true
	}
	if strings.IndexByte(v[i+1:i+1+e], '\\') < 0 {
		return false
	}
	var buf [langCallWindow + 1]byte
	text := perlUnescape(v[i+1:i+1+e], buf[:0])
	return text != nil && shellCommandAt.Match(append(text, '`'))
}

// backtickInterpolation: a backtick string's text s builds its command
// by interpolation (attack 58): Perl's @{[...]} and ${\...} anywhere,
// and Ruby's #{...}, PHP's {$...} and $x[...] joined to a letter or a
// digit (`i#{}d`, `i{$x}d`, `i$x[0]d`); an interpolation alone
// (`#{name}` in a post) is prose's.
func backtickInterpolation(s string) bool {
	if strings.Contains(s, "@{[") || strings.Contains(s, "${\\") {
		return true
	}
	for _, open := range []string{"#{", "{$"} {
		for off := 0; ; {
			j := strings.Index(s[off:], open)
			if j < 0 {
				break
			}
			j += off
			off = j + 2
			c := strings.IndexByte(s[j:], '}')
			if c < 0 {
				break
			}
			if j > 0 && identByte(s[j-1], "") || j+c+1 < len(s) && identByte(s[j+c+1], "") {
				return true
			}
		}
	}
	for off := 0; ; {
		j := strings.IndexByte(s[off:], '$')
		if j < 0 {
			return false
		}
		j += off
		off = j + 1
		e := identEnd(s, j+1)
		if e == j+1 || e >= len(s) || s[e] != '[' {
			continue
		}
		c := strings.IndexByte(s[e:], ']')
		if j > 0 && identByte(s[j-1], "") || c >= 0 && e+c+1 < len(s) && identByte(s[e+c+1], "") {
			return true // i$x[0]d
		}
	}
}

// perlUnescape appends s to buf with Perl's double-quote escapes decoded
// (\xHH, \x{H...}, \NNN, \o{N...}, \N{U+H...}; others drop their
// backslash, \cX its two characters); nil when a code is past ASCII or
// buf is full.
func perlUnescape(s string, buf []byte) []byte {
	lower := false
	defer func() {
		if lower {
			lowerInPlace(buf)
		}
	}()
	for x := 0; x < len(s); x++ {
		if len(buf) == cap(buf) {
			return nil
		}
		if s[x] != '\\' || x+1 == len(s) {
			buf = append(buf, s[x])
			continue
		}
		x++
		var n uint64
		var err error
		switch d := s[x]; {
		case d == 'x' && x+1 < len(s) && s[x+1] == '{', d == 'o' && x+1 < len(s) && s[x+1] == '{',
			d == 'N' && strings.HasPrefix(s[x+1:], "{U+"):
			c := strings.IndexByte(s[x:], '}')
			if c < 0 {
				return nil
			}
			digits := s[x+2 : x+c]
			switch d {
			case 'N':
				n, err = hexValue(digits[2:])
			case 'o':
				n, err = octalValue(digits)
			default:
				n, err = hexValue(digits)
			}
			x += c
		case d == 'x':
			k := x + 1
			for k < len(s) && k < x+3 && ishex(s[k]) {
				k++
			}
			n, err = hexValue(s[x+1 : k])
			if k == x+1 {
				n, err = 0, nil // \x alone is NUL
			}
			x = k - 1
		case d >= '0' && d <= '7':
			k := x
			for k < len(s) && k < x+3 && s[k] >= '0' && s[k] <= '7' {
				k++
			}
			n, err = octalValue(s[x:k])
			x = k - 1
		case d == 'u' && x+1 < len(s) && s[x+1] == '{':
			// Ruby's and PHP's \u{H...}, Ruby's of several: \u{69 64}
			c := strings.IndexByte(s[x:], '}')
			if c < 0 {
				return nil
			}
			for _, h := range strings.Fields(s[x+2 : x+c]) {
				if n, err = hexValue(h); err != nil || n >= 0x80 || len(buf) == cap(buf) {
					return nil
				}
				buf = append(buf, byte(n))
			}
			x += c
			continue
		case d == 'u' && x+4 < len(s):
			n, err = hexValue(s[x+1 : x+5]) // Ruby's \uHHHH
			x += 4
		case d == 'c':
			x++ // a control character: nothing a command's name holds
			continue
		case strings.IndexByte("LUEQlu", d) >= 0:
			// Perl's case escapes (`\LID`, `i\Ed`: attack 58): commands
			// are read in lower case below, so each drops out
			lower = lower || d == 'L' || d == 'l'
			continue
		default:
			n = uint64(d)
		}
		if err != nil || n >= 0x80 {
			return nil
		}
		buf = append(buf, byte(n))
	}
	return buf
}

// eachByteOf calls f at each index of v where one of the bytes of set
// stands, found by IndexByte, one byte of set after another (a value
// without them costs a fast scan per byte), until f says true (then so
// does eachByteOf).
func eachByteOf(v, set string, f func(v string, i int) bool) bool {
	for x := 0; x < len(set); x++ {
		for off := 0; ; {
			i := strings.IndexByte(v[off:], set[x])
			if i < 0 {
				break
			}
			i += off
			off = i + 1
			if f(v, i) {
				return true
			}
		}
	}
	return false
}

// perlBlockOrLiteral: at v[i] ('{' or a quote) stands system's or
// exec's indirect object block, or eval's joined literals, that run a
// command (perlIndirectObject, perlEvalJoined).
func perlBlockOrLiteral(v string, i int) bool {
	if v[i] == 'q' && !perlQuoteLike(v, i) {
		return false
	}
	if v[i] == '\'' || v[i] == '"' {
		// a CORE:: function named by joined literals:
		// &{'CORE::readpip'.'e'} (attack 58)
		var lb [langNameMax]byte
		if t, _ := phpJoined(v[:min(len(v), i+langCallWindow)], i, lb[:0]); bytes.HasPrefix(t, []byte("CORE::")) {
			switch string(t[len("CORE::"):]) {
			case "readpipe", "system", "exec":
				return true
			}
		}
	}
	if (v[i] == '\'' || v[i] == '"') && (i+1 == len(v) || strings.IndexByte(" \t\r\n,.;:)!?", v[i+1]) >= 0) {
		return false // a closing quote: 'operating system' is, map('system')
	}
	b := blanksBefore(v, i)
	funcs := false
	var w int
	for range 4 {
		if v[i] != '{' && b > 0 && v[b-1] == '(' {
			b = blanksBefore(v, b-1) // eval("..."), pack("H*", ...)
		}
		w = identBefore(v, b)
		if v[i] == '{' || !perlStringFuncs[v[w:b]] {
			break
		}
		funcs, b = true, blanksBefore(v, w)
	}
	if w > 0 && strings.IndexByte("$@%>.", v[w-1]) >= 0 {
		return false
	}
	switch v[w:b] {
	case "system", "exec":
		// a block (system{"id"} "id"), or since attack 57 a literal, a
		// quote-like operator or a string function's result (system
		// q(id), system qw(id), system 'i'.'d', system scalar reverse
		// "di")
		// ('system "Linux" or "Unix"' is prose: one literal alone is the
		// other rules')
		switch {
		case v[i] == '{':
			return perlIndirectObject(v, b)
		case v[i] == 'q' || funcs:
			return true
		}
		var lb [langNameMax]byte
		_, end, _ := phpLiteral(v[:min(len(v), i+langCallWindow)], i, lb[:0])
		if end-1 <= i || end > len(v) || v[end-1] != v[i] {
			return false // not closed
		}
		n := skipSpace(v, end)
		if n+1 >= len(v) || v[n] != '.' {
			return false
		}
		n = skipSpace(v, n+1)
		return n < len(v) && (v[n] == '\'' || v[n] == '"')
	case "eval":
		return v[i] != '{' && (funcs || v[i] == 'q' || perlEvalJoined(v, b))
	}
	return false
}

// perlQuoteLike: at v[i] stands Perl's q, qq or qw as a word of its
// own, then a delimited text (perlQuoted).
func perlQuoteLike(v string, i int) bool {
	if i > 0 && identByte(v[i-1], "$@%") {
		return false
	}
	e := i + 1
	if e < len(v) && (v[e] == 'q' || v[e] == 'w') {
		e++
	}
	return (e >= len(v) || !identByte(v[e], "")) && perlQuoted(v, e, false)
}

// perlQuoted: at v[j] (after qx) stands a quote-like operator's
// delimited text, closed within langCallWindow bytes, that starts as a
// command does (a letter, a path, a variable, a quote): qx{id}, qx'id',
// qx|id|, qx {id}. After white space Perl takes no # as the delimiter;
// qx => 1 is a hash key.
func perlQuoted(v string, j int, commandLike bool) bool {
	k := skipSpace(v, j)
	if k >= len(v) {
		return false
	}
	open := v[k]
	if identByte(open, "") || open == ' ' || open == '\t' || open == '\n' || open == '\r' || k > j && open == '#' ||
		open == '=' && k+1 < len(v) && v[k+1] == '>' || open >= 0x80 {
		return false
	}
	close := open
	switch open {
	case '(':
		close = ')'
	case '[':
		close = ']'
	case '{':
		close = '}'
	case '<':
		close = '>'
	}
	w := v[k+1 : min(len(v), k+1+langCallWindow)]
	depth := 0
	for e := 0; e < len(w); e++ {
		switch c := w[e]; {
		case c == '\\':
			e++
		case c == close && depth == 0:
			text := strings.TrimSpace(w[:e])
			if !commandLike {
				return text != ""
			}
			// a letter or a digit in it ("qx{...}" in prose names none)
			return text != "" && (identByte(text[0], "") && (text[0] < '0' || text[0] > '9') || strings.IndexByte("/$.~\\'\"@`", text[0]) >= 0) &&
				strings.IndexFunc(text, func(r rune) bool { return r < 0x80 && identByte(byte(r), "") }) >= 0
		case c == close:
			depth--
		case c == open && open != close:
			depth++
		}
	}
	return false
}

// perlIndirectObject: at v[j] (after system or exec) stands Perl's
// indirect object block, braces around a string or a variable, then an
// argument: system{"id"} "id", exec { $p } @args.
func perlIndirectObject(v string, j int) bool {
	k := skipSpace(v, j)
	if k >= len(v) || v[k] != '{' {
		return false
	}
	k = skipSpace(v, k+1)
	if k >= len(v) || strings.IndexByte("\"'$q", v[k]) < 0 {
		return false
	}
	c := strings.IndexByte(v[k:min(len(v), k+langCallWindow)], '}')
	if c < 0 {
		return false
	}
	a := skipSpace(v, k+c+1)
	return a < len(v) && (strings.IndexByte("\"'$@(q", v[a]) >= 0 || identByte(v[a], ""))
}

// perlEvalJoined: at v[j] (after eval) stand, over white space and an
// opening bracket, string literals joined by . whose text runs a command
// (a call of system, exec, qx, readpipe or a backtick): eval
// "sys"."tem('id')".
func perlEvalJoined(v string, j int) bool {
	k := skipSpace(v, j)
	if k < len(v) && v[k] == '(' {
		k = skipSpace(v, k+1)
	}
	if k >= len(v) || v[k] != '\'' && v[k] != '"' {
		return false
	}
	var buf [langCallWindow]byte
	text, _ := phpJoined(v[:min(len(v), k+langCallWindow)], k, buf[:0])
	if text == nil {
		return false
	}
	s := string(text) // a rare path: eval then a literal
	return strings.IndexByte(s, '`') >= 0 || perlCommand(s) ||
		eachWord(s, "system", "$@%>.", func(i int) bool { return perlCallAfter(s, i+len("system")) }) ||
		eachWord(s, "exec", "$@%>.", func(i int) bool { return perlCallAfter(s, i+len("exec")) })
}

// perlCallAfter: a call's argument follows at s[j]: a bracket, a quote,
// a variable, or white space and one of them.
func perlCallAfter(s string, j int) bool {
	k := skipSpace(s, j)
	return k < len(s) && strings.IndexByte("('\"$@q", s[k]) >= 0 && (k > j || s[k] == '(' || s[k] == '\'' || s[k] == '"')
}

// powerShellCommand is rule 210144's operator (see interpRules).
func powerShellCommand(v string) bool {
	return eachByteOf(v, ";|\n&:$\\{", psReadingAt) || psValueStart(v) || cmdSetCommand(v) || psComProcess(v) || psPipelineProcess(v) || psGetMethod(v)
}

// psReadingAt: what powerShellCommand reads at v[i] (one of ; | \n & : $
// \) says a command runs.
func psReadingAt(v string, i int) bool {
	if v[i] == '\n' {
		// a line break before another (white space between): the last
		// one reads the statement (attack 85: a run of line breaks)
		k := i + 1
		for k < len(v) && strings.IndexByte(" \t\f\v\r", v[k]) >= 0 {
			k++
		}
		if k < len(v) && v[k] == '\n' {
			return false
		}
	}
	var lb [64]byte
	switch v[i] {
	case ':':
		// ::Create( after a type naming ScriptBlock, ::Start( after one
		// naming a process, in the 64 bytes before ([ScriptBlock]::Create,
		// [System.Management.Automation.ScriptBlock]::Create,
		// ([type]'ScriptBlock')::Create, [Diagnostics.Process]::Start)
		if i+1 >= len(v) || v[i+1] != ':' || i == 0 {
			return false
		}
		// (the name quoted or joined, ::"Create"(, ::('Cre'+'ate')(, is
		// read folded: attack 60)
		var mb [16]byte
		m := psFold(mb[:0], v[i+2:min(len(v), i+2+4*len(mb))])
		if len(m) > 0 && m[0] == '(' {
			m = m[1:]
			if p := bytes.IndexByte(m, ')'); p >= 0 {
				m = m[:p+copy(m[p:], m[p+1:])]
			}
		}
		before := lowerASCII(lb[:0], v[max(0, i-len(lb)):i])
		// called: a bracket after the name ([ScriptBlock]::Create in
		// prose names it: attack 58's false positives)
		// or taken as a method group and invoked:
		// [ScriptBlock]::Create.Invoke('id') (attack 61)
		switch {
		case bytes.HasPrefix(m, []byte("create(")), bytes.HasPrefix(m, []byte("create.invoke(")):
			return bytes.Contains(before, []byte("scriptblock"))
		case bytes.HasPrefix(m, []byte("start(")), bytes.HasPrefix(m, []byte("start.invoke(")):
			return bytes.Contains(before, []byte("process"))
		}
		return false
	case '$':
		// $ExecutionContext's InvokeCommand (.InvokeCommand,
		// .SessionState.InvokeCommand) in the 64 bytes after, $env:ComSpec
		// (folded: .('Invoke'+'Command'), ."InvokeCommand": attack 60)
		t := psFold(lb[:0], v[i+1:min(len(v), i+1+2*len(lb))])
		if bytes.HasPrefix(t, []byte("executioncontext")) {
			// InvokeCommand and a method of it called after
			// (.InvokeScript(...)): its name in prose passes
			c := bytes.Index(t, []byte("invokecommand"))
			return c >= 0 && bytes.IndexByte(t[c:], '(') >= 0
		}
		if bytes.HasPrefix(t, []byte("env:comspec")) {
			return true
		}
		// a variable holding a script block, invoked: $s={id};$s.Invoke()
		e := identEnd(v, i+1)
		if e > i+1 && e+len(".invoke") <= len(v) && strings.EqualFold(v[e:e+len(".invoke")], ".invoke") {
			before := v[max(0, i-setReach):i]
			if strings.Contains(before, v[i:e]+"={") || strings.Contains(before, v[i:e]+" = {") || strings.Contains(before, v[i:e]+"= {") {
				return true
			}
			// or a method group: $m=[Diagnostics.Process]::Start;
			// $m.Invoke('id') (attack 61)
			return psMethodGroupSet(before, v[i:e])
		}
		return false
	case '\\':
		// cmd.exe by a path: %windir%\system32\cmd /c, "...\cmd.exe" /c
		return psCmdAt(v, i+1)
	}
	if v[i] == '{' {
		// a script block invoked: {id}.Invoke(), ({id}).Invoke(),
		// .InvokeReturnAsIs(), .InvokeWithContext( (attack 58)
		if c := strings.IndexByte(v[i:min(len(v), i+langCallWindow)], '}'); c > 0 {
			a := i + c + 1
			if a < len(v) && v[a] == ')' {
				a++
			}
			if strings.HasPrefix(v[a:], ".Invoke") {
				return true
			}
		}
	}
	// a separator (; | a line break & and &&) or a script block's {
	k := skipBlanks(v, i+1)
	if v[i] == '&' && k == i+1 && k < len(v) && v[k] == '&' {
		k = skipBlanks(v, k+1)
	}
	if v[i] == '&' && k < len(v) && v[k] == '{' {
		// & { after a separator (x;&{id}) was read from the separator,
		// which reads the same statement: read twice, x;&{ repeated cost
		// two regular expressions a statement (attack 61)
		if b := blanksBefore(v, i); b > 0 && strings.IndexByte(";|\n", v[b-1]) >= 0 {
			return false
		}
	}
	if v[i] != '{' && k < len(v) {
		// ForEach-Object's % before a block that runs a command (1|%{id},
		// % {id}) and a command spelled with PowerShell's escape (i`d):
		// attack 58
		if v[k] == '%' {
			b := skipBlanks(v, k+1)
			if b < len(v) && v[b] == '{' {
				if c := strings.IndexByte(v[b:min(len(v), b+langCallWindow)], '}'); c > 0 && literalCommand(v[b+1:b+c]) {
					return true
				}
			}
		}
		w := k
		for w < len(v) && (identByte(v[w], "-") || v[w] == '`') {
			w++
		}
		if w > k && strings.IndexByte(v[k:w], '`') > 0 {
			var buf [langNameMax]byte
			word := buf[:0]
			for x := k; x < w && len(word) < len(buf); x++ {
				if v[x] != '`' {
					word = append(word, v[x])
				}
			}
			if literalCommand(string(word) + v[w:min(len(v), w+langNameMax)]) {
				return true
			}
		}
	}
	if v[i] != '{' && (psStatementCommand(v, k, false) || cmdStart(v, k) || cmdRunas(v, k)) {
		return true
	}
	return psCallOperator(v, psFlowLead(v, k))
}

// psSkipComments: k moved over white space and up to 4 of PowerShell's
// block comments (<#...#>, each closed within langCallWindow bytes: one
// never closed is read as no comment); c: one was skipped. A comment is
// white space to PowerShell: x;<#c#>whoami runs whoami (attack 62).
func psSkipComments(s string, k int) (int, bool) {
	c := false
	for range 4 {
		// white space read langCallWindow bytes at most: a value of line
		// breaks was read to its end from each of them, quadratic (16 KiB
		// of \n cost 171 ms: attack 85)
		k = skipSpace(s[:min(len(s), k+langCallWindow)], k)
		if k+1 >= len(s) || s[k] != '<' || s[k+1] != '#' {
			break
		}
		e := strings.Index(s[k+2:min(len(s), k+langCallWindow)], "#>")
		if e < 0 {
			break
		}
		k, c = k+2+e+2, true
	}
	return k, c
}

// psFlowLead: k (a statement's start) moved over block comments and
// return, throw or exit (which take a pipeline: x;return &('i'+'ex')
// 'id', attack 62), up to 4 of them: where a call operator stands.
func psFlowLead(v string, k int) int {
	for range 4 {
		n, _ := psSkipComments(v, k)
		if a := psFlowWord(v, n); a > n {
			n = a
		}
		if n == k {
			break
		}
		k = n
	}
	return k
}

// psFlowWord: at s[k] stand return, throw or exit (any case) and then
// blanks or a bracket, a quote, a variable, an operator's & or .: the
// index of what follows (the pipeline they run), or k.
func psFlowWord(s string, k int) int {
	for _, w := range []string{"return", "throw", "exit"} {
		if !psWordAt(s, k, w) {
			continue
		}
		a := skipBlanks(s, k+len(w))
		if a < len(s) && (a > k+len(w) || strings.IndexByte("(@$&.'\"<", s[a]) >= 0) {
			return a
		}
	}
	return k
}

// psFold appends s to buf in lower case without what joins or quotes a
// literal name (' " + backticks and blanks), up to buf's capacity:
// ('Invoke'+'Command') reads as (invokecommand).
func psFold(buf []byte, s string) []byte {
	for x := 0; x < len(s) && len(buf) < cap(buf); x++ {
		c := s[x]
		switch c {
		case '\'', '"', '+', '`', ' ', '\t':
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}

// psStatementCommand: at v[k] (a statement's start) stand PowerShell's
// grouping and invocation tokens before the statement's command (attack
// 60): & { and . { (a script block invoked), { ( and ,( (grouping and
// the unary comma), $x= and $null= (an assignment), [type] (a cast),
// -join( -not, try{, if/while/switch/foreach(...){ and a switch's clause
// {, ?{ where{ %{ foreach{ (a pipeline's blocks) and select @{...e={ (a
// calculated property); the command after them (up to 12, within
// langCallWindow bytes, PowerShell's escape ` dropped from its word) is
// a probe (literalCommand), and what closes it (} or )) ends a statement
// (; | & a line break, another } or ), catch, finally, a member's .):
// "Notes; (id) is optional" is prose.
//
// At the value's start (atStart) only & . $x= and [type] open one: a
// value "{id}", "(id)", ",id" or "!id" is a placeholder's name or a
// list's.
func psStatementCommand(v string, k int, atStart bool) bool {
	s := v[:min(len(v), k+langCallWindow)]
	if atStart && (k >= len(s) || strings.IndexByte("&.$[", s[k]) < 0) {
		return false
	}
	opened, inSwitch, group, expr := false, false, false, false
	for range 12 {
		var c bool
		if k, c = psSkipComments(s, k); c {
			opened = true // <#c#>whoami: PowerShell's own (attack 62)
		}
		n, sw := psOpener(s, k, inSwitch)
		if n == k {
			break
		}
		// an expression's operator, an assignment or a cast before a
		// grouping: what closes it may be followed by more of the
		// expression ([string](id)+1: attack 61)
		expr = expr || s[k] == '[' || strings.IndexByte("+-*/%,=", s[n-1]) >= 0
		k, opened, inSwitch, group = n, true, sw, s[n-1] == '('
	}
	if k, _ = psSkipComments(s, k); !opened || k >= len(s) {
		return false
	}
	var buf [langCallWindow]byte
	word := buf[:0]
	w := k
	for ; w < len(s) && len(word) < langNameMax && (identByte(s[w], "-.") || s[w] == '`'); w++ {
		if s[w] != '`' {
			word = append(word, s[w])
		}
	}
	if len(word) == 0 {
		return false
	}
	e := w
	for e < len(s) && !psStatementEnd(s[e]) {
		e++
	}
	if group && (e == len(s) || s[e] != ')') {
		// a grouping holds one pipeline: (id) closes before any
		// separator (x;&( repeated is read without a regular expression
		// at each)
		return false
	}
	if e < len(s) && (s[e] == '}' || s[e] == ')') {
		a := skipBlanks(s, e+1)
		if a < len(v) && strings.IndexByte(";|&\n}).", v[a]) < 0 && !psWordAt(v, a, "catch") && !psWordAt(v, a, "finally") &&
			!(expr && s[e] == ')' && psOperandAfter(v, a)) {
			return false
		}
	}
	return literalCommand(string(append(word, s[w:e]...)))
}

// psStatementEnd: c ends a statement's command (} ) ; | & a line
// break).
func psStatementEnd(c byte) bool {
	switch c {
	case '}', ')', ';', '|', '&', '\n':
		return true
	}
	return false
}

// psWordAt: the word w (lower case) stands at v[a] in any case.
func psWordAt(v string, a int, w string) bool {
	return a+len(w) <= len(v) && strings.EqualFold(v[a:a+len(w)], w) && (a+len(w) == len(v) || !identByte(v[a+len(w)], "-"))
}

// psBlockWords are cmdlets (and their aliases) whose script block runs
// for each object piped to them (1|?{id}, 1|where{id}, 1|%{id}).
var psBlockWords = []string{"?", "%", "where", "where-object", "foreach", "foreach-object", "sort", "sort-object", "group", "group-object"}

// psOpener: the index after the opener at s[k] (see psStatementCommand),
// or k; sw: it opened a switch's body (whose clauses, 1{, open too).
func psOpener(s string, k int, inSwitch bool) (int, bool) {
	if k >= len(s) {
		return k, false
	}
	switch c := s[k]; c {
	case '&', '.':
		if a := skipBlanks(s, k+1); a < len(s) && s[a] == '{' {
			return a + 1, false
		}
		return k, false
	case '{', '(', ',', '!':
		return k + 1, false
	case '$':
		if k+1 < len(s) && s[k+1] == '(' {
			return k + 2, false // a subexpression: $(id)
		}
		e := identEnd(s, k+1)
		if a := skipBlanks(s, e); e > k+1 && a+1 < len(s) && s[a] == '=' && s[a+1] != '=' {
			return a + 1, false
		}
		if a := skipBlanks(s, e); e > k+1 && a+2 < len(s) && strings.IndexByte("+-*/%", s[a]) >= 0 && s[a+1] == '=' {
			return a + 2, false // $x+=(id)
		}
		return psOperand(s, k, e)
	case '[':
		e := k + 1
		for e < len(s) && e-k < langNameMax && (identByte(s[e], ".") || s[e] == '[' && e+1 < len(s) && s[e+1] == ']' || s[e] == ']' && s[e-1] == '[') {
			e++
		}
		if e < len(s) && s[e] == ']' && e > k+1 && (e+1 == len(s) || s[e+1] != ':') {
			return e + 1, false
		}
		return k, false
	case '-':
		for _, w := range []string{"-join", "-not", "-bnot", "-split"} {
			if psWordAt(s, k, w) {
				return k + len(w), false
			}
		}
		return k, false
	case '@':
		if k+1 < len(s) && s[k+1] == '(' {
			return k + 2, false // an array subexpression: @(id)
		}
		// a calculated property: @{n='a';e={...}}, expression={...}
		if k+1 < len(s) && s[k+1] == '{' {
			w := s[k+2 : min(len(s), k+2+langNameMax)]
			for p := strings.IndexByte(w, '='); p >= 0 && p < len(w); {
				if a := skipBlanks(w, p+1); a < len(w) && w[a] == '{' {
					return k + 2 + a + 1, false
				}
				q := strings.IndexByte(w[p+1:], '=')
				if q < 0 {
					break
				}
				p += q + 1
			}
		}
		return k, false
	case '\'', '"':
		if q := strings.IndexByte(s[k+1:min(len(s), k+1+langNameMax)], c); q >= 0 {
			return psOperand(s, k, k+1+q+1)
		}
		return k, false
	}
	if c := s[k]; c >= '0' && c <= '9' {
		e := k
		for e < len(s) && (s[e] >= '0' && s[e] <= '9' || s[e] == '.') {
			e++
		}
		if n, _ := psOperand(s, k, e); n > k {
			return n, false
		}
	}
	if inSwitch {
		// a switch's clause: a literal, a number, default, then {
		e := k
		for e < len(s) && e-k < langNameMax && s[e] != '{' && s[e] != '}' && s[e] != ';' {
			e++
		}
		if e < len(s) && s[e] == '{' && e > k {
			return e + 1, false
		}
		return k, false
	}
	e := k
	for e < len(s) && (identByte(s[e], "-") || s[e] == '?' || s[e] == '%') {
		e++
	}
	if e == k {
		return k, false
	}
	var lb [16]byte
	word := string(lowerASCII(lb[:0], s[k:min(e, k+len(lb))]))
	a := skipBlanks(s, e)
	switch word {
	case "try", "finally":
		if a < len(s) && s[a] == '{' {
			return a + 1, false
		}
	case "if", "elseif", "while", "switch", "foreach", "for":
		// (...) then the block
		if a < len(s) && s[a] == '(' {
			depth := 0
			for x := a; x < len(s); x++ {
				switch s[x] {
				case '(':
					depth++
				case ')':
					depth--
				}
				if depth == 0 {
					b := skipBlanks(s, x+1)
					if b < len(s) && s[b] == '{' {
						return b + 1, word == "switch"
					}
					break
				}
			}
		}
	case "return", "throw", "exit":
		// a pipeline follows: x;return whoami, x;exit (id) (attack 62)
		if n := psFlowWord(s, k); n > k {
			return n, false
		}
	case "trap":
		// a trap's block ([type] perhaps) then the next statement, no
		// terminator needed: x;trap{}whoami (attack 62); the block is
		// read to its first }
		b := a
		if b < len(s) && s[b] == '[' {
			if c := strings.IndexByte(s[b:min(len(s), b+langNameMax)], ']'); c > 0 {
				b = skipBlanks(s, b+c+1)
			}
		}
		if b < len(s) && s[b] == '{' {
			if c := strings.IndexByte(s[b:], '}'); c > 0 {
				return b + c + 1, false
			}
		}
	case "filter", "function":
		// a filter or a function defined, then called by its name at a
		// command's start later in s (filter z{id};'a'|z: attack 61):
		// its body is read as a statement
		n := a
		for n < len(s) && identByte(s[n], "-") {
			n++
		}
		b := skipBlanks(s, n)
		if n > a && b < len(s) && s[b] == '{' && psCalled(s, b, s[a:n]) {
			return b + 1, false
		}
	case "select", "select-object", "format-table", "ft", "format-list", "fl":
		if a < len(s) && s[a] == '@' {
			return a, false
		}
	}
	if slices.Contains(psBlockWords, word) && a < len(s) && s[a] == '{' {
		return a + 1, false
	}
	return k, false
}

// psMethodGroupSet: the last assignment of the variable name ($m) in
// before sets it to ::Create of a type naming ScriptBlock or ::Start of
// one naming a process, without a bracket after (a method group, a
// PSMethod, that .Invoke calls: attack 61). 64 bytes of it are read.
func psMethodGroupSet(before, name string) bool {
	p := strings.LastIndex(before, name)
	if p < 0 {
		return false
	}
	q := skipBlanks(before, p+len(name))
	if q >= len(before) || before[q] != '=' {
		return false
	}
	rhs := before[q+1 : min(len(before), q+1+64)]
	if c := strings.IndexAny(rhs, ";\n"); c >= 0 {
		rhs = rhs[:c]
	}
	var lb [64]byte
	f := psFold(lb[:0], rhs)
	for _, g := range [][2]string{{"::create", "scriptblock"}, {"::start", "process"}} {
		c := bytes.Index(f, []byte(g[0]))
		if c >= 0 && bytes.Contains(f[:c], []byte(g[1])) && (c+len(g[0]) == len(f) || f[c+len(g[0])] != '(' && !identByte(f[c+len(g[0])], "")) {
			return true
		}
	}
	return false
}

// psGetMethod: ScriptBlock's Create or a process's Start fetched by
// reflection and invoked (([ScriptBlock]).GetMethod('Create').Invoke(
// $null,@('id')): attack 61): GetMethod( with the name (quoted or
// joined) within 64 bytes after a type naming it, and .Invoke( within
// langCallWindow bytes after. Each GetMethod( reads 64 bytes before and
// langCallWindow after.
func psGetMethod(v string) bool {
	return eachFold(v, "getmethod(", func(p int) bool {
		off := p + len("getmethod(")
		var mb [16]byte
		m := psFold(mb[:0], v[off:min(len(v), off+4*len(mb))])
		var typ string
		switch {
		case bytes.HasPrefix(m, []byte("create)")), bytes.HasPrefix(m, []byte("create,")):
			typ = "scriptblock"
		case bytes.HasPrefix(m, []byte("start)")), bytes.HasPrefix(m, []byte("start,")):
			typ = "process"
		default:
			return false
		}
		var tb [64]byte
		return bytes.Contains(lowerASCII(tb[:0], v[max(0, p-len(tb)):p]), []byte(typ)) && indexFold(v[off:min(len(v), off+langCallWindow)], ".invoke(") >= 0
	})
}

// psOperandAfter: at v[a] (after a grouping that closes) stand an
// operator (+ - * / % ,) and an operand (a number, a string, a variable,
// a bracket): [string](id)+1. A word or a [ after it is prose: "x;
// [id](id) - the id field" is Markdown (a link).
func psOperandAfter(v string, a int) bool {
	if a >= len(v) || strings.IndexByte("+-*/%,", v[a]) < 0 {
		return false
	}
	b := skipBlanks(v, a+1)
	return b < len(v) && strings.IndexByte("0123456789'\"$(@", v[b]) >= 0
}

// psCalled: the command name stands at a command's start (after ; | &
// or a line break, over blanks) after the body whose { is at s[b] closes,
// as a word of its own in any case. One pass over s (langCallWindow
// bytes).
func psCalled(s string, b int, name string) bool {
	c := strings.IndexByte(s[b:], '}')
	if c < 0 {
		return false
	}
	for x := b + c + 1; x < len(s); x++ {
		d := strings.IndexAny(s[x:], ";|&\n")
		if d < 0 {
			return false
		}
		x += d
		a := skipBlanks(s, x+1)
		if a+len(name) <= len(s) && strings.EqualFold(s[a:a+len(name)], name) && (a+len(name) == len(s) || !identByte(s[a+len(name)], "-")) {
			return true
		}
	}
	return false
}

// psOperand: the operand at s[k:e] (a number, a string, a variable) is
// followed by an operator (+ - * / % ,) and a grouping ((, @( or $():
// the index after the operator, or k (1+(id), 'a'*(id), $a,(id): attack
// 61). A bare word after an operator is no command in an expression.
func psOperand(s string, k, e int) (int, bool) {
	a := skipBlanks(s, e)
	if a >= len(s) || strings.IndexByte("+-*/%,", s[a]) < 0 {
		return k, false
	}
	b := skipBlanks(s, a+1)
	if b < len(s) && (s[b] == '(' || b+1 < len(s) && (s[b] == '@' || s[b] == '$') && s[b+1] == '(') {
		return a + 1, false
	}
	return k, false
}

// psCallOperator: at v[k] (a command's start) stands PowerShell's call
// operator & or dot-sourcing . before what names the command at run
// time: a bracketed expression, a string, a variable or a cast
// (&('i'+'ex'), . 's', &$x, &([scriptblock]::create(...))); & {...},
// a script block, is the CRS's.
func psCallOperator(v string, k int) bool {
	if k >= len(v) || v[k] != '&' && v[k] != '.' {
		return false
	}
	a := skipBlanks(v, k+1)
	if a >= len(v) {
		return false
	}
	switch c := v[a]; c {
	case '\'', '"', '[':
		return true
	case '(':
		// a bracket that builds a name: a string, a variable, a type, a
		// join or a cmdlet that finds one (&('i'+'ex'), &(-join(...)),
		// &(gcm i*x)); "& (ampersand)" and "&(x) + 3" in prose pass
		// (attack 58's false positives)
		// (read to the first bracket or ';' within langCallWindow bytes:
		// read to the value's end, a value of x;&( repeated was read
		// again at each, quadratic, and to a ')' far on, 256 bytes at each
		// of them: attack 60; brackets opened first, &((gcm i*x)), are
		// read into)
		var inner string
		for range 4 {
			w := v[a+1 : min(len(v), a+langCallWindow)]
			c := 0
			for c < len(w) && w[c] != ')' && w[c] != '(' && w[c] != ';' {
				c++
			}
			inner = w[:c]
			if c > 0 || c == len(w) || w[c] != '(' {
				break
			}
			a++
		}
		if strings.ContainsAny(inner, "'\"$[+") {
			return true
		}
		var lb [24]byte
		b := skipBlanks(inner, 0)
		first := lowerASCII(lb[:0], inner[b:min(len(inner), b+len(lb))])
		for _, w := range []string{"-join", "gcm", "gal", "get-command", "get-alias", "gi", "get-item", "gci", "ls", "dir", "iex", "new-object"} {
			if bytes.HasPrefix(first, []byte(w)) && (len(first) == len(w) || !identByte(first[len(w)], "-")) {
				return true
			}
		}
		return false
	case '$':
		if a+1 >= len(v) || !(identByte(v[a+1], "") && (v[a+1] < '0' || v[a+1] > '9') || v[a+1] == '{' || v[a+1] == '(') {
			return false
		}
		// a variable the value sets to a literal that is no probe ($cmd =
		// "git"; & $cmd status: attack 60's false positive) is read as
		// that literal; a joined one ($x='i'+'d';&$x) or one set
		// elsewhere is a built name
		e := identEnd(v, a+1)
		if e == a+1 {
			return true
		}
		// the last assignment to it, not its last use ($cmd = "git";
		// echo $cmd; & $cmd status: the review's), among its last 16
		// mentions
		before := v[max(0, a-setReach):a]
		q := -1
		for p, n := len(before), 0; n < 16; n++ {
			if p = strings.LastIndex(before[:p], v[a:e]); p < 0 {
				break
			}
			r := p + e - a
			if r < len(before) && identByte(before[r], "") {
				continue // a longer name: $cmdx
			}
			if s := skipBlanks(before, r); s < len(before) && before[s] == '=' && (s+1 == len(before) || before[s+1] != '=') {
				q = s
				break
			}
		}
		if q < 0 {
			return true
		}
		q = skipBlanks(before, q+1)
		if q >= len(before) || before[q] != '\'' && before[q] != '"' {
			return true
		}
		var lb [langCallWindow]byte
		t, end, ok := phpLiteral(before[:min(len(before), q+langCallWindow)], q, lb[:0])
		if n := skipBlanks(before, end); !ok || n < len(before) && (before[n] == '+' || before[n] == '.') {
			return true
		}
		return literalCommand(string(t))
	}
	return false
}

// psCmdAt: at v[j] (after a path's \) stands cmd or cmd.exe, a closing
// quote perhaps, then /c or /k (any case).
func psCmdAt(v string, j int) bool {
	var lb [8]byte
	w := lowerASCII(lb[:0], v[j:min(len(v), j+len("cmd.exe"))])
	e := j + 3
	switch {
	case string(w) == "cmd.exe":
		e = j + len("cmd.exe")
	case len(w) >= 3 && string(w[:3]) == "cmd":
	default:
		return false
	}
	if e < len(v) && (v[e] == '"' || v[e] == '\'') {
		e++
	}
	k := skipBlanks(v, e)
	if k == e || k+1 >= len(v) || v[k] != '/' {
		return false
	}
	c := v[k+1] | 0x20
	return (c == 'c' || c == 'k') && (k+2 == len(v) || !identByte(v[k+2], ""))
}

// psValueStart: the value starts (over white space) as what an
// application that hands it to PowerShell or cmd.exe runs: iex or icm
// (lower case, as typed) or Invoke-Expression / Invoke-Command before a
// string, a variable, a bracket or a script block; powershell or pwsh
// with -EncodedCommand (-e, -ec, -enc) and a base64 argument; cmd with
// carets or quotes between its letters, or %COMSPEC%, then /c or /k;
// the call operator before a built name.
func psValueStart(v string) bool {
	k := skipSpace(v, 0)
	if k >= len(v) {
		return false
	}
	if psCallOperator(v, k) || psStatementCommand(v, k, true) || cmdRunas(v, k) {
		return true
	}
	var lb [24]byte
	head := lowerASCII(lb[:0], v[k:min(len(v), k+len("invoke-expression"))])
	word := 0
	for word < len(head) && (identByte(head[word], "-")) {
		word++
	}
	name := string(head[:word])
	rest := skipBlanks(v, k+word)
	switch {
	case name == "iex" || name == "icm":
		if v[k:k+3] != name {
			return false // IEX, ICM: prose's abbreviations
		}
		fallthrough
	case name == "invoke-expression" || name == "invoke-command":
		return rest < len(v) && strings.IndexByte("('\"${", v[rest]) >= 0
	case name == "powershell" || name == "pwsh":
		return psEncodedCommand(v, rest)
	}
	return cmdStart(v, k)
}

// psEncodedCommand: at v[j] (after powershell or pwsh), options and then
// -EncodedCommand (or -e, -ec, -enc, any case) and a base64 argument.
func psEncodedCommand(v string, j int) bool {
	for range 8 {
		if j >= len(v) || v[j] != '-' {
			return false
		}
		e := identEnd(v, j+1)
		var lb [16]byte
		opt := string(lowerASCII(lb[:0], v[j+1:min(e, j+1+16)]))
		j = skipBlanks(v, e)
		if opt == "e" || opt == "ec" || opt == "enc" || opt == "encodedcommand" {
			a := j
			for a < len(v) && (identByte(v[a], "+/=")) {
				a++
			}
			return a-j >= 4
		}
	}
	return false
}

// cmdStart: at v[k] stands cmd.exe with carets or quotes between its
// letters (c^m^d, "cmd"), or %COMSPEC%, then options and /c or /k.
//
// Its name spelled plainly (cmd, %COMSPEC%), the command after /c must
// be a probe (literalCommand) or built (%x%, !x!, carets, set): "cmd /c
// dir" and "%COMSPEC% /c build.cmd" are everyday (attack 60's false
// positives); %COMSPEC% with a substring or a substitution
// (%COMSPEC:~0%, %COMSPEC:cmd=cmd%) is no one's everyday (attack 60).
func cmdStart(v string, k int) bool {
	var lb [16]byte
	name := lb[:0]
	e, spelled := k, false
	for e < len(v) && len(name) < len(lb) && (identByte(v[e], "") || v[e] == '^' || v[e] == '"' || v[e] == '.' || v[e] == '%') {
		if v[e] != '^' && v[e] != '"' {
			name = append(name, v[e]|0x20)
		} else {
			spelled = true
		}
		e++
		if string(name) == "%comspec" && e < len(v) && v[e] == ':' {
			// a modifier: read to its closing %
			c := strings.IndexByte(v[e:min(len(v), e+langNameMax)], '%')
			if c < 0 {
				return false
			}
			name, e, spelled = append(name, '%'), e+c+1, true
			break
		}
	}
	switch string(name) {
	case "cmd", "cmd.exe", "%comspec%":
	default:
		return false
	}
	for range 4 {
		e = skipBlanks(v, e)
		if e+1 >= len(v) || v[e] != '/' {
			return false
		}
		c := v[e+1] | 0x20
		if (c == 'c' || c == 'k') && (e+2 == len(v) || !identByte(v[e+2], "")) {
			return spelled || cmdLineProbe(v, e+2)
		}
		// an option: /v:on, /q (a word, read no further than a name's
		// length: ;cmd/x repeated was read to the value's end at each
		// ';', the review's)
		for o := e; e < len(v) && e-o < langNameMax && v[e] != ' ' && v[e] != '\t'; e++ {
		}
	}
	return false
}

// cmdLineProbe: the command line at v[j] (after cmd's /c) is a probe
// (literalCommand) or built from what cmd.exe expands (%x%, !x!, a
// caret, set ...), quotes around it dropped.
func cmdLineProbe(v string, j int) bool {
	j = skipBlanks(v, j)
	for j < len(v) && v[j] == '"' {
		j++
	}
	line := v[j:min(len(v), j+langCallWindow)]
	if strings.ContainsAny(line, "%^") || cmdDelayedVariable(line) || len(line) > 4 && strings.EqualFold(line[:4], "set ") {
		return true
	}
	if q := strings.IndexByte(line, '"'); q >= 0 {
		line = line[:q]
	}
	return literalCommand(line)
}

// cmdDelayedVariable: line holds a delayed expansion, !name! (cmd /v:on):
// a lone '!' ("echo done!") is none (the review's).
func cmdDelayedVariable(line string) bool {
	for i := strings.IndexByte(line, '!'); i >= 0 && i+1 < len(line); {
		e := identEnd(line, i+1)
		if e > i+1 && e < len(line) && line[e] == '!' {
			return true
		}
		n := strings.IndexByte(line[i+1:], '!')
		if n < 0 {
			break
		}
		i += 1 + n
	}
	return false
}

// cmdRunas: at v[k] (a command's start) stands runas with its options
// (/trustlevel:0x20000, /user:x) before a probe (literalCommand, quoted
// or not): attack 60's runas /trustlevel:0x20000 id.
func cmdRunas(v string, k int) bool {
	if !psWordAt(v, k, "runas") {
		return false
	}
	e := k + len("runas")
	opts := 0
	for range 4 {
		e = skipBlanks(v, e)
		if e >= len(v) || v[e] != '/' {
			break
		}
		for o := e; e < len(v) && e-o < langNameMax && v[e] != ' ' && v[e] != '\t'; {
			e++
		}
		opts++
	}
	if opts == 0 || e >= len(v) {
		return false
	}
	line := v[e:min(len(v), e+langCallWindow)]
	if line[0] == '"' || line[0] == '\'' {
		if q := strings.IndexByte(line[1:], line[0]); q >= 0 {
			line = line[1 : q+1]
		}
	}
	return literalCommand(line)
}

// javaProcess is rule 210145's operator (see interpRules): start called
// (.start, ?.start, ::start, or the name in quotes for reflection) within
// javaProcessReach bytes of ProcessBuilder's name, with no ';' between:
// an expression language's one expression, not Java's statements
// (ProcessBuilder pb = new ProcessBuilder(cmd); pb.start(); in a post
// passes, as it passes rule 210136).
func javaProcess(v string) bool {
	if !strings.Contains(v, "ProcessBuilder") {
		return false
	}
	// a method of it found by reflection and invoked, whatever its name
	// is built from (getMethod('st'+'art'): attack 57)
	if eachWord(v, "invoke", "", func(i int) bool {
		return javaNear(v, i, i+len("invoke"), "ProcessBuilder") && (javaNear(v, i, i, "getMethod") || javaNear(v, i, i, "getDeclaredMethod"))
	}) {
		return true
	}
	return eachWord(v, "start", "", func(i int) bool {
		e := i + len("start")
		if strings.HasPrefix(v[e:], "Pipeline") {
			// ProcessBuilder.startPipeline (attack 58) of builders made
			// in its argument, not startPipeline(list) in prose (attack
			// 59's false positive)
			e += len("Pipeline")
			a := v[e:min(len(v), e+langCallWindow)]
			p := strings.Index(a, "ProcessBuilder(")
			if p < 0 || p+len("ProcessBuilder(") >= len(a) || strings.IndexByte("'\"{", a[p+len("ProcessBuilder(")]) < 0 {
				return false
			}
		}
		if e < len(v) && identByte(v[e], "") {
			return false
		}
		b := blanksBefore(v, i)
		switch {
		case b > 0 && v[b-1] == '.', b > 1 && v[b-1] == ':' && v[b-2] == ':':
		case b > 0 && v[b-1] == '[' && skipBlanks(v, e) < len(v) && v[skipBlanks(v, e)] == '(':
			// SpEL's projection and selection (.![start()],
			// .?[start()!=null]: attack 57)
		case b > 0 && (v[b-1] == '\'' || v[b-1] == '"') && e < len(v) && v[e] == v[b-1]:
		default:
			return false
		}
		return javaNear(v, i, e, "ProcessBuilder")
	})
}

// javaNear: name stands as a name of its own within javaProcessReach
// bytes before v[i] or after v[e], with no ';' between.
func javaNear(v string, i, e int, name string) bool {
	before := v[max(0, i-javaProcessReach):i]
	if p := strings.LastIndex(before, name); p >= 0 && javaName(before, p, name) && strings.IndexByte(before[p:], ';') < 0 {
		return true
	}
	after := v[e:min(len(v), e+javaProcessReach)]
	p := strings.Index(after, name)
	return p >= 0 && javaName(after, p, name) && strings.IndexByte(after[:p], ';') < 0
}

// javaProcessReach is how far from a start javaProcess looks for
// ProcessBuilder's name.
const javaProcessReach = 2 * langCallWindow

// javaName: name at s[p:] is a name of its own (no letter, digit or _
// around it).
func javaName(s string, p int, name string) bool {
	e := p + len(name)
	return (p == 0 || !identByte(s[p-1], "")) && (e == len(s) || !identByte(s[e], ""))
}

// cmdSetCommand: cmd.exe's command built from variables the value sets:
// a word at a command's start (after & | ; a line break or a bracket,
// and call or @) that expands (%x% or !x!) a variable set x=... sets in
// the value, joined to more (x & set x=who&& call %x%ami: found while
// attack 57 ran). Up to eight variables' names are read.
func cmdSetCommand(v string) bool {
	var names, vals [8]string
	n := 0
	for off := 0; n < len(names); {
		i := indexFold(v[off:], "set ")
		if i < 0 {
			break
		}
		i += off
		off = i + 4
		if i > 0 && identByte(v[i-1], "") {
			continue
		}
		a := skipBlanks(v, off)
		if a < len(v) && v[a] == '"' {
			a++ // set "x=who"
		}
		e := identEnd(v, a)
		if e > a && e < len(v) && v[e] == '=' {
			// its value: to & | a line break or a quote (set "a=who")
			val := v[e+1 : min(len(v), e+1+langNameMax)]
			if c := strings.IndexAny(val, "&|\n\""); c >= 0 {
				val = val[:c]
			}
			names[n], vals[n], n = v[a:e], val, n+1
		}
	}
	if n == 0 {
		return false
	}
	read := -1 // the start of the last word read (each of its %s finds it)
	return eachByteOf(v, "%!", func(v string, i int) bool {
		e := identEnd(v, i+1)
		if e+1 < len(v) && v[e] == ':' {
			// a substring, %a:~1% (attack 58), a substitution, %a:X=%,
			// %a:*x=% (attack 60)
			if c := strings.IndexByte(v[e:min(len(v), e+langNameMax)], v[i]); c > 0 {
				e += c
			}
		}
		if e == i+1 || e >= len(v) || v[e] != v[i] || !slices.ContainsFunc(names[:n], func(s string) bool { return strings.EqualFold(s, v[i+1:identEnd(v, i+1)]) }) {
			return false
		}
		// the word's start, and what stands before it
		w := i
		for w > 0 && i-w < langNameMax && strings.IndexByte(" \t&|;\n(", v[w-1]) < 0 {
			w-- // (a word longer than a name is no command's: %x%%x%... is read once)
		}
		if i-w == langNameMax || w == read {
			return false
		}
		read = w
		b := blanksBefore(v, w)
		if b >= 4 && strings.EqualFold(v[b-4:b], "call") {
			b = blanksBefore(v, b-4)
		}
		// start and its options (start /b %a%: attack 60)
		for x := 0; x < 4 && b > 1 && v[b-1] != ' '; x++ {
			o := b
			for o > 0 && b-o < 16 && v[o-1] != ' ' && v[o-1] != '\t' && strings.IndexByte("&|;\n(", v[o-1]) < 0 {
				o--
			}
			switch {
			case v[o] == '/' && o < b:
				b = blanksBefore(v, o)
				continue
			case strings.EqualFold(v[o:b], "start"):
				b = blanksBefore(v, o)
			}
			break
		}
		for b > 0 && v[b-1] == '@' {
			b--
		}
		if b != 0 && strings.IndexByte("&|;\n(", v[b-1]) < 0 {
			return false
		}
		// the word expanded: a variable's expansion that is the whole
		// word runs what it holds; one that is part of a word
		// (%cmd%.bat, deploy_%env%.cmd) names a script unless the word
		// expanded is a probe (%x%ami after set x=who: attack 60's false
		// positives)
		var buf [langCallWindow]byte
		word, whole := cmdExpand(v, w, names[:n], vals[:n], buf[:0])
		return whole || literalCommand(string(word))
	})
}

// cmdExpand is the word at v[w] (to a blank or a separator) with each
// %x% or !x! of names expanded to its value in vals (with a substring
// ~n,m or a substitution a=b, *a=b applied) appended to buf; whole: the
// word was expansions of names alone.
func cmdExpand(v string, w int, names, vals []string, buf []byte) (word []byte, whole bool) {
	whole = true
	for x := w; x < len(v) && len(buf) < cap(buf)-langNameMax && x-w < langCallWindow; {
		c := v[x]
		if c == ' ' || c == '\t' || strings.IndexByte("&|;\n()<>", c) >= 0 {
			break
		}
		if c == '%' || c == '!' {
			e := identEnd(v, x+1)
			end := e
			if e < len(v) && v[e] == ':' {
				if q := strings.IndexByte(v[e:min(len(v), e+langNameMax)], c); q > 0 {
					end = e + q
				}
			}
			if end < len(v) && v[end] == c && e > x+1 {
				if k := slices.IndexFunc(names, func(s string) bool { return strings.EqualFold(s, v[x+1:e]) }); k >= 0 {
					mod := ""
					if end > e {
						mod = v[e+1 : end]
					}
					buf = cmdModify(buf, vals[k], mod)
					x = end + 1
					continue
				}
			}
		}
		whole = false
		buf = append(buf, c)
		x++
	}
	return buf, whole && len(buf) > 0
}

// cmdModify appends val with cmd.exe's modifier mod applied: ~n[,m] a
// substring, a=b each a (any case) replaced by b, *a=b everything to the
// first a replaced by b.
func cmdModify(buf []byte, val, mod string) []byte {
	if mod == "" {
		return append(buf, val...)
	}
	if mod[0] == '~' {
		num := func(t string) (int, string) {
			neg := len(t) > 0 && t[0] == '-'
			if neg {
				t = t[1:]
			}
			n, x := 0, 0
			for ; x < len(t) && x < 6 && t[x] >= '0' && t[x] <= '9'; x++ {
				n = n*10 + int(t[x]-'0')
			}
			if neg {
				n = -n
			}
			return n, t[x:]
		}
		a, rest := num(mod[1:])
		if a < 0 {
			a += len(val)
		}
		a = max(0, min(a, len(val)))
		b := len(val)
		if len(rest) > 0 && rest[0] == ',' {
			m, _ := num(rest[1:])
			if m < 0 {
				b = len(val) + m
			} else {
				b = a + m
			}
			b = max(a, min(b, len(val)))
		}
		return append(buf, val[a:b]...)
	}
	eq := strings.IndexByte(mod, '=')
	if eq < 1 {
		return append(buf, val...)
	}
	from, to := mod[:eq], mod[eq+1:]
	if from[0] == '*' {
		if p := indexFoldAny(val, from[1:]); p >= 0 && len(from) > 1 {
			return append(append(buf, to...), val[p+len(from)-1:]...)
		}
		return append(buf, val...)
	}
	// (no further than a command a rule reads: a replacement repeated
	// at each match grew past the caller's buffer, the review's)
	for len(val) > 0 && len(buf) <= langCallWindow {
		p := indexFoldAny(val, from)
		if p < 0 {
			break
		}
		buf = append(append(buf, val[:p]...), to...)
		val = val[p+len(from):]
	}
	return append(buf, val...)
}

// indexFoldAny is the index of t in s in any ASCII case, or -1.
func indexFoldAny(s, t string) int {
	for p := 0; p+len(t) <= len(s); p++ {
		if strings.EqualFold(s[p:p+len(t)], t) {
			return p
		}
	}
	return -1
}

// psPipelineProcess: a runspace's pipeline made from a script and
// invoked ($host.Runspace.CreateNestedPipeline('id',$false).Invoke(),
// CreatePipeline), and a Process object's StartInfo.FileName set to a
// probe or a built name and started ($_.StartInfo.FileName='id';
// $_.Start()): attack 60. Each name's use reads langCallWindow bytes
// after it.
func psPipelineProcess(v string) bool {
	invoked := eachFold(v, "pipeline(", func(p int) bool {
		off := p + len("pipeline(")
		if p < 6 || indexFold(v[max(0, p-len("createnested")):p], "create") < 0 {
			return false
		}
		a := skipBlanks(v, off)
		return a < len(v) && v[a] != ')' && indexFold(v[off:min(len(v), off+langCallWindow)], ".invoke") >= 0
	})
	return invoked || eachFold(v, "startinfo.filename", func(p int) bool {
		off := p + len("startinfo.filename")
		a := skipBlanks(v, off)
		if a >= len(v) || v[a] != '=' {
			return false
		}
		w := v[:min(len(v), off+langCallWindow)]
		if indexFold(w[off:], ".start(") < 0 {
			return false
		}
		a = skipBlanks(w, a+1)
		switch {
		case a < len(w) && w[a] == '$':
			return true
		case a < len(w) && (w[a] == '\'' || w[a] == '"'):
			var lb [langCallWindow]byte
			t, end, ok := phpLiteral(w, a, lb[:0])
			n := skipBlanks(w, end)
			return ok && (n < len(w) && w[n] == '+' || literalCommand(string(t)))
		}
		return false
	})
}

// psComProcess: a process started through COM or WMI (attack 57):
// WScript.Shell's ProgID (New-Object -ComObject, [type]::GetTypeFromProgID,
// CreateObject), GetTypeFromProgID itself, and WMI's Win32_Process with
// Create in the 64 bytes after ([wmiclass]'win32_process').Create('id').
func psComProcess(v string) bool {
	if indexFold(v, "wscript.shell") >= 0 || indexFold(v, "gettypefromprogid") >= 0 || indexFold(v, "gettypefromclsid") >= 0 {
		return true
	}
	p := indexFold(v, "win32_process")
	return p >= 0 && indexFold(v[p:min(len(v), p+64)], "create") >= 0
}

// otherLangCommand is rule 210146's operator (see interpRules).
func otherLangCommand(v string) bool {
	// each reading needs a bracket, a quote, % or - (or Tcl's exec at the
	// value's start): a value without any costs seven fast scans
	gate := false
	for x := 0; !gate && x < len("([{%-'\""); x++ {
		gate = strings.IndexByte(v, "([{%-'\""[x]) >= 0
	}
	if !gate {
		// Tcl's script readings alone, with a backslash or exec (attack
		// 61: e\x78ec id, set e exec;$e id, rename exec e;e id)
		if strings.IndexByte(v, '\\') >= 0 || strings.Contains(v, "exec") {
			var names tclNames
			return tclScript(v, &names, true)
		}
		return false
	}
	return groovyExecute(v) || luaExecute(v) || tclExec(v) || otherLangCalls(v) || findExec(v) || ghostscriptPipe(v)
}

// setReach is how far before a name's use the other languages' readings
// look for the statement that sets it (set e ..., local o=os, $s={...}):
// each use reads at most this much, so a value of many costs a bounded
// amount per byte.
const setReach = 4 * langCallWindow

// (Each literal these readings read is read within langCallWindow bytes
// of its quote: phpLiteral reads on to a closing quote, and a value of
// escaped quotes, \"\"\"..., has none: read from every quote, that was
// quadratic, TestCPUBoundQuotes.)

// literalCommand: a string literal's text is a command rule 210151
// reads at a command line's end (id, whoami, cat /etc/passwd, sh -c
// ...): what a language's call that runs it probes a host with. git
// status, clear, mkdir x are not (attack 58's false positives were such
// calls in posts).
func literalCommand(text string) bool {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > langCallWindow {
		return false
	}
	var buf [langCallWindow + 1]byte
	return shellCommandAt.Match(append(append(buf[:0], text...), '`'))
}

// argCommand: at v[k] stands a call's argument that runs a command: a
// string literal that is one (literalCommand), a literal joined to more
// (.. + . <>), or anything else a request could build (a variable, a
// call); a tuple's first literal ({spawn, "id"}). No argument, ')', is
// none.
func argCommand(v string, k int) bool {
	k = skipSpace(v, k)
	if k >= len(v) || v[k] == ')' {
		return false
	}
	if v[k] == '{' {
		q := strings.IndexAny(v[k:min(len(v), k+langNameMax)], "'\"")
		if q < 0 {
			return true
		}
		k += q
	}
	var text string
	var end int
	switch {
	case v[k] == '\'' || v[k] == '"':
		var lb [langCallWindow]byte
		t, e, ok := phpLiteral(v[:min(len(v), k+langCallWindow)], k, lb[:0])
		if !ok {
			return e < len(v) // too long to be a name, yet closed
		}
		// an escape that spells a character by its code (\105,
		// \x69, \x{69}, \u{69}, Lua's \z): each language decodes its
		// own way, so a command literal with one is built (attack 63:
		// Lua's decimal \105d, Erlang's \x{69}d)
		if lit := v[k+1 : e-1]; strings.IndexByte(lit, '\\') >= 0 && codedEscape(lit) {
			return true
		}
		text, end = string(t), e
	case strings.HasPrefix(v[k:], "[[") || strings.HasPrefix(v[k:], "[="):
		// a Lua long string, of any level: [[id]], [==[id]==]
		t, e, ok := luaLongString(v, k)
		if !ok {
			return false
		}
		text, end = t, e
	default:
		return true // built: a variable, a call, a join
	}
	n := skipSpace(v, end)
	if n < len(v) && (v[n] == '+' || v[n] == '.' || v[n] == '<' || v[n] == '~' || v[n] == '"' || v[n] == '\'') {
		return true // joined to more: "i".."d", or side by side (Erlang's "i" "d": attack 63)
	}
	return literalCommand(text)
}

// codedEscape: lit holds a backslash escape that spells a character by
// its code, or Lua's \z (not \\, \", \', \n, \t, \r alone).
func codedEscape(lit string) bool {
	for i := strings.IndexByte(lit, '\\'); i >= 0 && i+1 < len(lit); {
		switch c := lit[i+1]; {
		case c >= '0' && c <= '9', c == 'x', c == 'u', c == 'U', c == 'z', c == 'N', c == 'o', c == 'e', c == 'c':
			return true
		}
		n := strings.IndexByte(lit[i+2:], '\\')
		if n < 0 {
			return false
		}
		i += 2 + n
	}
	return false
}

// luaLongString is the text of the Lua long string at v[k] ([[...]],
// [=[...]=], [==[...]==]: a level of up to 8 '='), read within
// langCallWindow bytes, and the index after it.
func luaLongString(v string, k int) (string, int, bool) {
	level := 0
	for k+1+level < len(v) && v[k+1+level] == '=' && level < 8 {
		level++
	}
	open := k + 1 + level
	if open >= len(v) || v[open] != '[' {
		return "", k, false
	}
	var closer [10]byte
	closer[0] = ']'
	for x := 1; x <= level; x++ {
		closer[x] = '='
	}
	closer[level+1] = ']'
	w := v[open+1 : min(len(v), open+1+langCallWindow)]
	c := strings.Index(w, string(closer[:level+2]))
	if c < 0 {
		return "", k, false
	}
	return w[:c], open + 1 + c + level + 2, true
}

// groovyStringMethods are Groovy's (and Java's) String and List methods
// whose result is a string built from their receiver: 'di'.reverse(),
// 'ID'.toLowerCase(), ['i','d'].join(”) before .execute() (attack 60).
var groovyStringMethods = map[string]bool{"reverse": true, "toLowerCase": true, "toUpperCase": true, "join": true, "trim": true,
	"replace": true, "replaceAll": true, "replaceFirst": true, "plus": true, "concat": true, "multiply": true, "capitalize": true,
	"strip": true, "stripIndent": true, "tr": true, "toString": true, "minus": true, "decodeBase64": true, "center": true,
	"padLeft": true, "padRight": true, "substring": true, "take": true, "drop": true, "sum": true, "inject": true, "format": true}

// groovyClosureMethods run a closure with its receiver as the delegate:
// "id".with{execute()}, "id".tap{execute()} (attack 60).
var groovyClosureMethods = map[string]bool{"with": true, "tap": true, "identity": true, "each": true, "collect": true,
	"every": true, "any": true, "find": true, "then": true, "also": true}

// groovyExecute: Groovy's String.execute() and its kin (a method
// reference .&execute, a spread *.execute(), invokeMethod,
// ProcessGroovyMethods) in a value holding a literal that is a command
// (literalCommand: def c="id";c.execute(), "id".with{it.execute()}), or
// on a grouping or a list that builds one (("i"+"d").execute()); a
// method named by a GString ('id'."$m"()).
func groovyExecute(v string) bool {
	// whether a literal of v is a command: read once, at the first
	// execute that asks (each would read 64 literals again)
	hasLit := literalsHoldCommandOnce(v)
	calls := eachWord(v, "execute", "", func(i int) bool {
		b := blanksBefore(v, i)
		if b > 0 && (v[b-1] == '"' || v[b-1] == '\'') {
			// the name as a string: ."execute"(), invokeMethod('execute',
			// a method pointer .&"execute" (attack 63)
			q := blanksBefore(v, b-1)
			return q > 0 && (v[q-1] == '.' || v[q-1] == '(' || v[q-1] == '&')
		}
		if b > 0 && v[b-1] == '{' {
			// the first statement of a closure run on a receiver:
			// "id".with{execute()}
			o := blanksBefore(v, b-1)
			return groovyClosureMethods[v[identBefore(v, o):o]] && hasLit()
		}
		if b == 0 || v[b-1] != '.' && v[b-1] != '&' {
			return false
		}
		if v[b-1] == '.' {
			if r := blanksBefore(v, b-1); r > 0 && groovySlashyCommand(v, r) {
				return true
			}
			r := blanksBefore(v, b-1)
			if r > 0 && v[r-1] == '*' {
				r-- // a spread: [...]*.execute()
			}
			if r > 0 && (v[r-1] == ')' || v[r-1] == ']') && groovyBuiltReceiver(v, r-1) {
				return true
			}
			if groovyStringResult(v, r) {
				return true
			}
		}
		return hasLit()
	})
	if calls {
		return true
	}
	if (strings.Contains(v, "invokeMethod") || strings.Contains(v, "ProcessGroovyMethods")) && hasLit() {
		return true
	}
	// code evaluated from a string that calls execute: Eval.me('"i"+"d"'
	// ...).execute(), evaluate("'id'.exe"+"cute()") (attack 63)
	for _, f := range []string{"Eval.me", "Eval.x", "evaluate"} {
		if eachWord(v, f, ".", func(i int) bool {
			k := skipBlanks(v, i+len(f))
			if k >= len(v) || v[k] != '(' {
				return false
			}
			k = skipBlanks(v, k+1)
			w := v[k:min(len(v), k+langCallWindow)]
			return k < len(v) && (v[k] == '"' || v[k] == '\'') && (strings.Contains(w, "exe") || strings.Contains(v[i:min(len(v), i+langCallWindow)], ".execute"))
		}) {
			return true
		}
	}
	return eachByteOf(v, ".", func(v string, i int) bool {
		// 'id'."$m"(): a method named by a GString
		k := skipBlanks(v, i+1)
		return k+1 < len(v) && v[k] == '"' && v[k+1] == '$' && strings.Contains(v[k:min(len(v), k+langNameMax)], "\"(")
	})
}

// groovyStringResult: before v[r] ends a chain of string methods
// (groovyStringMethods, at most 4) on a literal or a list:
// 'di'.reverse(), ['i','d'].join(”), 'ID'.trim().toLowerCase();
// db.prepare('x').toString() is not one.
func groovyStringResult(v string, r int) bool {
	for range 4 {
		if r == 0 || v[r-1] != ')' {
			return false
		}
		from := max(0, r-1-langNameMax)
		o := strings.LastIndexByte(v[from:r-1], '(')
		if o < 0 {
			return false
		}
		p := blanksBefore(v, from+o)
		w := identBefore(v, p)
		if w < 2 || v[w-1] != '.' || !groovyStringMethods[v[w:p]] {
			return false
		}
		r = blanksBefore(v, w-1)
		if r > 0 && strings.IndexByte("'\"]", v[r-1]) >= 0 {
			return true
		}
	}
	return false
}

// groovySlashyCommand: before v[r] ends a Groovy slashy string (/id/)
// or dollar-slashy string ($/id/$) whose text is a command.
func groovySlashyCommand(v string, r int) bool {
	end, open := r-1, "/"
	if v[end] == '$' && end > 0 && v[end-1] == '/' {
		end, open = end-1, "$/"
	}
	if v[end] != '/' {
		return false
	}
	from := max(0, end-langCallWindow)
	o := strings.LastIndex(v[from:end], open)
	if o < 0 {
		return false
	}
	return literalCommand(v[from+o+len(open) : end])
}

// groovyBuiltReceiver: the bracket closing at v[c] (')' or ']') is a
// grouping or a list (not a call's or a subscript's) that joins strings
// with + (("i"+"d"), ["i"+"d"]) or holds a literal that is a command.
func groovyBuiltReceiver(v string, c int) bool {
	open := byte('(')
	if v[c] == ']' {
		open = '['
	}
	from := max(0, c-langCallWindow)
	o := strings.LastIndexByte(v[from:c], open)
	if o < 0 {
		return false
	}
	o += from
	if p := blanksBefore(v, o); p > 0 && (identByte(v[p-1], "") || v[p-1] == ')' || v[p-1] == ']') {
		return false // db.prepare('x').execute(), tasks['build'].execute()
	}
	inner := v[o+1 : c]
	// joined: a + between literals; or a list of two or more (a command
	// and its arguments: ["sh","-c",...].execute())
	joined := strings.Contains(inner, "+") || open == '[' && strings.Count(inner, "\"")+strings.Count(inner, "'") >= 4
	return strings.ContainsAny(inner, "'\"") && (joined || literalsHoldCommand(inner))
}

// literalsHoldCommandOnce is literalsHoldCommand(v) asked at most once:
// the readings that ask it at each occurrence of a word (a value of many
// would read its 64 literals at each) ask the function it returns.
func literalsHoldCommandOnce(v string) func() bool {
	lit := 0
	return func() bool {
		if lit == 0 {
			lit = 2
			if literalsHoldCommand(v) {
				lit = 1
			}
		}
		return lit == 1
	}
}

// literalsHoldCommand: one of the first 64 string literals of v is a
// command (literalCommand); Groovy's and Perl's IPC readings ask it.
func literalsHoldCommand(v string) bool {
	n := 0
	found := false
	eachByteOf(v, "'\"", func(v string, i int) bool {
		if n++; n > 64 {
			return true
		}
		var lb [langCallWindow]byte
		t, _, ok := phpLiteral(v[:min(len(v), i+langCallWindow)], i, lb[:0])
		found = ok && literalCommand(string(t))
		return found
	})
	return found
}

// luaExecute: Lua's execute called as a method or an index of anything
// (os.execute, o.execute, (os).execute, _G.os.execute,
// _G["os"]["execute"]) with an argument that runs a command
// (argCommand); os or io indexed by a built name (os["exe".."cute"]);
// io.popen assigned to a name (local p=io.popen); load and loadstring of
// a literal (load("os.ex".."ecute(...)")).
func luaExecute(v string) bool {
	if eachWord(v, "execute", "", func(i int) bool {
		b := blanksBefore(v, i)
		e := i + len("execute")
		if !luaOSReceiver(v, b) {
			return false // cursor.execute(query): another library's
		}
		if b > 0 && v[b-1] == '.' {
			k := skipBlanks(v, e)
			if k < len(v) && v[k] == '(' {
				return argCommand(v, k+1)
			}
			return k < len(v) && (v[k] == '"' || v[k] == '\'' || strings.HasPrefix(v[k:], "[[") || strings.HasPrefix(v[k:], "[=")) && argCommand(v, k)
		}
		if b > 1 && (v[b-1] == '"' || v[b-1] == '\'') && v[b-2] == '[' && e+1 < len(v) && v[e] == v[b-1] && v[e+1] == ']' {
			k := skipBlanks(v, e+2)
			return k < len(v) && v[k] == '(' && argCommand(v, k+1)
		}
		return false
	}) {
		return true
	}
	for _, lib := range []string{"os", "io"} {
		if eachWord(v, lib, "$@.:", func(i int) bool {
			k := skipBlanks(v, i+len(lib))
			if k < len(v) && v[k] == '[' {
				// indexed by a string: built, or a command function's name
				k = skipBlanks(v, k+1)
				if k >= len(v) || v[k] != '"' && v[k] != '\'' {
					return false
				}
				var lb [langNameMax]byte
				t, e, ok := phpLiteral(v[:min(len(v), k+langCallWindow)], k, lb[:0])
				n := skipBlanks(v, e)
				return ok && (n < len(v) && v[n] == '.' || string(t) == "execute" || string(t) == "popen")
			}
			if lib == "io" && strings.HasPrefix(v[k:], ".popen") {
				a := blanksBefore(v, i)
				if a > 0 && v[a-1] == '=' {
					return true // local p=io.popen
				}
				// called: io.popen("id"), io.popen[[id]], io.popen[==[id]==]
				c := skipBlanks(v, k+len(".popen"))
				if c < len(v) && v[c] == '(' {
					return argCommand(v, c+1)
				}
				return c < len(v) && (v[c] == '"' || v[c] == '\'' || strings.HasPrefix(v[c:], "[[") || strings.HasPrefix(v[c:], "[=")) && argCommand(v, c)
			}
			return false
		}) {
			return true
		}
	}
	return eachCall(v, func(i, w, b int) bool {
		switch v[w:b] {
		case "load", "loadstring", "dostring":
			k := skipSpace(v, i+1)
			if k < len(v) && (v[k] == '"' || v[k] == '\'' || strings.HasPrefix(v[k:], "[[")) {
				return true
			}
			// code built by Lua's string library (not a method's
			// load: json.load(f)): load(string.char(111,115,...))()
			return (w == 0 || v[w-1] != '.' && v[w-1] != ':') && (strings.HasPrefix(v[k:], "string.") || strings.HasPrefix(v[k:], "(\"") || strings.HasPrefix(v[k:], "('"))
		}
		return false
	})
}

// luaOSReceiver: what stands before v[b] ('.' or '["' before execute)
// is Lua's os library: os, (os), _G.os, _G["os"], or a name the value
// gives it (local o=os).
func luaOSReceiver(v string, b int) bool {
	if b == 0 {
		return false
	}
	r := b - 1 // the '.', or the quote of ["execute"]
	if v[r] == '"' || v[r] == '\'' {
		if r--; r < 0 || v[r] != '[' {
			return false // the '[' of ["execute"]
		}
	}
	r = blanksBefore(v, r)
	if r > 0 && v[r-1] == ']' {
		// ["os"]
		return r >= 5 && (v[r-5:r] == `["os"]`[1:] || v[r-5:r] == `['os']`[1:])
	}
	if r > 0 && v[r-1] == ')' {
		r = blanksBefore(v, r-1)
	}
	w := identBefore(v, r)
	name := v[w:r]
	if name == "os" {
		return true
	}
	before := v[max(0, w-setReach):w]
	return name != "" && (strings.Contains(before, name+"=os") || strings.Contains(before, name+" = os") || strings.Contains(before, name+"= os"))
}

// tclExec: Tcl's exec in a command substitution before a command
// (literalCommand: [exec id], not [exec summary] in an agenda), at a
// value's start before one, or named otherwise as a command's word:
// quoted, braced, namespaced or escaped (["exec" id], [{exec} id],
// [::exec id], [ex\x65c id]); a variable the value sets as a command's
// word ([$e id] after set e ... or append e ...); a command substitution
// as one ([[string reverse cexe] id]); exec renamed or aliased; open of
// a pipe (open |id, open {|id}, open $p\id after set p |); the expansion
// operator {*} before a literal, a substitution or a variable the value
// sets; an empty substitution in a word (e[]xec). exec's words are read
// as Tcl reads them (tclReadCommand, tclExecRuns: attack 60).
func tclExec(v string) bool {
	var names tclNames
	if eachByteOf(v, "[", func(v string, i int) bool { return tclSubstitution(v, i, &names) }) {
		return true
	}
	if eachWord(v, "{*}", "", func(k int) bool {
		// the expansion of a literal or a substitution, or of a variable
		// the value sets ({*}$cmd in a tip is the application's)
		k += 3
		if k+1 < len(v) && v[k] == '$' {
			e := identEnd(v, k+1)
			return e > k+1 && names.set(v, k, v[k+1:e])
		}
		return k < len(v) && strings.IndexByte("\"[{", v[k]) >= 0
	}) {
		return true
	}
	if eachWord(v, "open", "$@.:", func(i int) bool {
		k := skipBlanks(v, i+4)
		if k < len(v) && (v[k] == '{' || v[k] == '"') {
			k++
		}
		if k < len(v) && v[k] == '|' {
			return true
		}
		if k+1 < len(v) && v[k] == '$' {
			e := identEnd(v, k+1)
			return e > k+1 && strings.Contains(v[max(0, k-setReach):k], "set "+v[k+1:e]+" |")
		}
		return false
	}) {
		return true
	}
	if eachWord(v, "rename", "$@.:", func(i int) bool { return wordAfter(v, skipBlanks(v, i+6), "exec", "::exec") }) {
		return true
	}
	if p := strings.Index(v, "interp alias"); p >= 0 && strings.Contains(v[p:min(len(v), p+langNameMax)], "exec") {
		return true
	}
	return tclScript(v, &names, true)
}

// tclScript: a command of v read as a script (an eval of the value), at
// its start or after a ';' or a line break that ends the command before
// (tclReadCommand: a brace's or a quote's ';' is in its word), runs one:
// its name, read as Tcl reads a word ({exec}, "exec", e\x78ec, {*}exec),
// is exec before a command, or a variable a command before set to exec
// (set e exec;$e id), or open of a pipe, or a runner before exec
// (uplevel exec id), or a script word exec's (catch {exec id}); a proc
// whose body runs one, its name after it (proc p {} {uplevel exec id};p;
// procs: read their bodies so). Each byte is read by one command's
// reading: linear in v.
func tclScript(v string, names *tclNames, procs bool) bool {
	var cmd tclCommand
	var execNames [4]string // variables a command set to exec
	var execAt [4]int       // where
	nexec, set := 0, 0
	for k := 0; k < len(v); {
		for k < len(v) && (tclSpace(v[k]) || v[k] == '\n' || v[k] == ';' || v[k] == '\\' && k+1 < len(v) && v[k+1] == '\n') {
			k++
		}
		if k >= len(v) {
			return false
		}
		tclReadCommand(v, k, false, true, &cmd)
		switch {
		case cmd.computed == 0 && cmd.variable != "":
			// $e id: e set to exec by a command before
			name, after := strings.TrimPrefix(cmd.variable, "::"), cmd.at+1+len(cmd.variable)
			if v[cmd.at+1] == '{' {
				after += 2
			}
			known := false
			for x := 0; x < nexec && !known; x++ {
				known = execNames[x] == name && cmd.at-execAt[x] <= setReach
			}
			// or a variable the value names as a word before in any way
			// (lassign {exec} e;$e id: attack 62) in a value that holds
			// exec
			if known || names.holdsExec(v) && names.set(v, cmd.at, name) {
				var args tclCommand
				tclReadCommand(v, after, false, false, &args)
				if tclExecRunsFrom(v, &args, 0, names) {
					return true
				}
				cmd.end = max(cmd.end, args.end)
			}
		case cmd.n == 0:
		default:
			switch string(tclName(cmd.word(0))) {
			case "exec":
				tclReadCommand(v, k, false, false, &cmd)
				if tclExecRuns(v, &cmd, names) {
					return true
				}
			case "open":
				tclReadCommand(v, k, false, false, &cmd)
				if tclOpenPipe(v, &cmd) {
					return true
				}
			case "set", "rename":
				// set e exec, rename exec e: e is exec after
				tclReadCommand(v, k, false, false, &cmd)
				from, to := 2, 1 // set to from
				if string(tclName(cmd.word(0))) == "rename" {
					from, to = 1, 2 // ::rename too (the review's)
				}
				if cmd.n == 3 && string(tclName(cmd.word(from))) == "exec" {
					execNames[set%len(execNames)], execAt[set%len(execAt)] = string(tclName(cmd.word(to))), k
					set++
					nexec = min(set, len(execNames))
				}
			case "proc":
				tclReadCommand(v, k, false, false, &cmd)
				// a proc named later as a word (not within another: p in
				// "pass"; no empty name: the review's), whose body runs
				// exec; the body is copied only then
				if procs && cmd.n == 4 && tclWordIn(v[cmd.end:min(len(v), cmd.end+setReach)], cmd.word(1)) {
					var inner tclNames
					if tclScript(string(cmd.word(3)), &inner, false) {
						return true
					}
				}
			default:
				tclReadCommand(v, k, false, false, &cmd)
				if tclRunnerExec(v, &cmd, names) || tclScriptExec(v, &cmd, names) {
					return true
				}
				// a name rename made exec: rename exec e;e id
				for x := 0; x < nexec; x++ {
					if execNames[x] == string(tclName(cmd.word(0))) && k-execAt[x] <= setReach && tclExecRuns(v, &cmd, names) {
						return true
					}
				}
			}
		}
		// the next command: after this one's end, its ';' or line break
		e := max(cmd.end, k+1)
		n := strings.IndexAny(v[e:], ";\n")
		if n < 0 {
			return false
		}
		k = e + n + 1
	}
	return false
}

// tclWordIn: w (not empty) stands in s as a word of its own: not inside
// a longer name.
func tclWordIn(s string, w []byte) bool {
	if len(w) == 0 {
		return false
	}
	for off := 0; ; {
		i := strings.IndexByte(s[off:], w[0])
		if i < 0 {
			return false
		}
		i += off
		off = i + 1
		e := i + len(w)
		if e <= len(s) && s[i:e] == string(w) && (i == 0 || !identByte(s[i-1], ":")) && (e == len(s) || !identByte(s[e], ":")) {
			return true
		}
	}
}

// tclOpenPipe: the command c, open's, opens a pipe: its file name, read
// as Tcl reads a word (\174id, "\x7cid"), starts with '|', or a command
// substitution builds it with a '|' in it (a '|', 124, %c, \174, \x7c:
// [open [format %cid 124]], attack 61); [open [file join $dir x.txt]]
// opens a file.
func tclOpenPipe(v string, c *tclCommand) bool {
	if c.n >= 2 && (c.computed < 0 || c.computed > 1) {
		w := c.word(1)
		return len(w) > 0 && w[0] == '|'
	}
	if c.computed != 1 || c.variable != "" || c.at >= len(v) || v[c.at] != '[' {
		return false
	}
	// the substitution's text, to its ']' (within langCallWindow bytes)
	depth, e := 0, c.at
	for ; e < len(v) && e < c.at+langCallWindow; e++ {
		if v[e] == '[' {
			depth++
		} else if v[e] == ']' {
			if depth--; depth == 0 {
				break
			}
		}
	}
	t := v[c.at:min(e, len(v))]
	return strings.IndexByte(t, '|') >= 0 || strings.Contains(t, "124") || strings.Contains(t, "%c") || strings.Contains(t, "\\174") ||
		indexFold(t, "\\x7c") >= 0 || indexFold(t, "\\u007c") >= 0 || indexFold(t, "\\U0000007c") >= 0
}

// tclSubstitution: at v[i] ('[') stands a command substitution that runs
// a command (see tclExec).
func tclSubstitution(v string, i int, names *tclNames) bool {
	if i+1 < len(v) && v[i+1] == ']' && i > 0 && i+2 < len(v) && identByte(v[i-1], "") && identByte(v[i+2], "") {
		return true // e[]xec
	}
	k := skipBlanks(v, i+1)
	if k >= len(v) {
		return false
	}
	// the words up to the next bracket, '[' or ']' (so each byte is in
	// one such stretch: [[[[ ... costs no more than [ ... ])
	if n := strings.IndexAny(v[k+1:min(len(v), k+1+langCallWindow)], "[]"); n >= 0 && v[k+1+n] == ']' && eachWord(v[k:k+1+n], "exec", "$:.", func(x int) bool {
		// exec after a command that runs its arguments ([uplevel #0 exec
		// id], [tailcall exec id], [namespace inscope :: exec id]: attack
		// 59), before a command
		return x > 0 && (v[k+x-1] == ' ' || v[k+x-1] == '\t') && names.command(v[k+x+len("exec"):k+1+n])
	}) {
		return true
	}
	if tclBuiltWord(v, k) {
		return true
	}
	switch v[k] {
	case '[':
		// [[...] arg]: a command named by a command substitution
		c := strings.IndexByte(v[k:min(len(v), k+langCallWindow)], ']')
		return c > 0 && k+c+1 < len(v) && v[k+c+1] == ' ' && strings.IndexByte(v[k+c+1:min(len(v), k+c+1+langNameMax)], ']') > 0 &&
			!strings.HasPrefix(v[k+c+1:], " ]")
	case '$':
		// a variable the value sets, as the command: [$e id], [$::e id]
		// after set ::e (attack 61)
		e := k + 1
		for e < len(v) && (identByte(v[e], "") || v[e] == ':' && e+1 < len(v) && v[e+1] == ':') {
			if v[e] == ':' {
				e++
			}
			e++
		}
		name := strings.TrimPrefix(v[k+1:e], "::")
		before := v[max(0, k-setReach):k]
		if name != "" && e < len(v) && v[e] == ' ' && (strings.Contains(before, "set "+name+" ") || strings.Contains(before, "append "+name+" ") ||
			strings.Contains(before, "set ::"+name+" ") || strings.Contains(before, "append ::"+name+" ")) {
			return true
		}
		// a variable the value names as a word before in any way
		// ([lassign {exec} e][$e id], attack 62) in a value that holds
		// exec, before words that run a command ([$e summary] passes)
		if name == "" || !names.holdsExec(v) || !names.set(v, k, name) {
			return false
		}
		var args tclCommand
		tclReadCommand(v, e, true, false, &args)
		return tclExecRunsFrom(v, &args, 0, names)
	}
	// the command's word as Tcl reads it (tclReadCommand): exec, named
	// otherwise too ([e\U00000078ec id], ["exec" id], [::exec id])
	var cmd tclCommand
	tclReadCommand(v, k, true, true, &cmd)
	if cmd.n == 0 {
		return false
	}
	if string(tclName(cmd.word(0))) == "open" {
		tclReadCommand(v, k, true, false, &cmd)
		return tclOpenPipe(v, &cmd)
	}
	if string(tclName(cmd.word(0))) != "exec" {
		// exec after a command that runs its arguments, or a script
		// word that is exec's ([catch {exec id}])
		tclReadCommand(v, k, true, false, &cmd)
		return tclRunnerExec(v, &cmd, names) || tclScriptExec(v, &cmd, names)
	}
	otherwise := cmd.otherwise || v[k] == ':'
	tclReadCommand(v, k, true, false, &cmd)
	if otherwise {
		return cmd.n > 1 || cmd.computed == 1 // spelled otherwise: a word no prose has
	}
	return tclExecRuns(v, &cmd, names)
}

// tclBuiltWord: the command's word at v[k] has a command substitution
// after its first letter that builds part of it, then an argument
// ([e[string range xxec 1 end] id], [ex[string tolower EC] id]: attack
// 59); [e[]xec is tclSubstitution's. A bracket in that substitution
// ends the reading (the word is built if a command built it, [e[string
// range [x] 1 end]): read on, each '[' of a value of [e[e[e[... read
// up to 256 bytes (attack 60: 0.2 MB/s).
func tclBuiltWord(v string, k int) bool {
	j, depth, built, command := k, 0, false, false
	for ; j < len(v) && j-k < langCallWindow; j++ {
		switch c := v[j]; {
		case c == '[':
			if depth > 0 {
				return built
			}
			// a command in it, a word then its arguments: [format xec],
			// not a subscript's [1]
			command = j > k && j+1 < len(v) && v[j+1] >= 'a' && v[j+1] <= 'z'
			depth++
		case c == ']':
			if depth == 0 {
				return false // the substitution's end: no argument
			}
			depth--
		case c == ' ' && depth > 0:
			built = built || command
		case (c == ' ' || c == '\t') && depth == 0:
			a := skipBlanks(v, j)
			return built && a < len(v) && v[a] != ']'
		case depth == 0 && !identByte(c, ""):
			return false
		}
	}
	return false
}

// otherLangCalls: R's system2(, pipe(" (not a method: .pipe( is
// Node's), do.call("system", ...), system assigned to a name
// (f<-system); Elixir's System.cmd, System.shell, :os.cmd, Port.open
// and apply of them; Erlang's os:cmd, open_port: with an argument that
// runs a command (argCommand; System.cmd("git", ["status"]) passes).
func otherLangCalls(v string) bool {
	if u, ok := beamUnquoted(v); ok && otherLangCallsIn(u) {
		return true
	}
	return otherLangCallsIn(v)
}

// otherLangCallsIn is otherLangCalls on v as it is.
func otherLangCallsIn(v string) bool {
	if eachCall(v, func(i, w, b int) bool {
		name := v[w:b]
		before := ""
		if p := blanksBefore(v, w); p > 0 {
			before = v[max(0, p-16):p]
		}
		switch name {
		case "system2", "open_port":
			return argCommand(v, i+1)
		case "pipe":
			// a literal only: pipe (noun) is prose
			a := skipSpace(v, i+1)
			return !strings.HasSuffix(before, ".") && a < len(v) && (v[a] == '"' || v[a] == '\'') && argCommand(v, a)
		case "call":
			if !strings.HasSuffix(before, "do.") {
				return false
			}
			a := skipSpace(v, i+1)
			if a < len(v) && v[a] == '`' {
				// a name in backticks, read as a quoted one:
				// do.call(`system`, ...)
			} else if a >= len(v) || v[a] != '"' && v[a] != '\'' {
				// a function's name built (paste0("sys","tem")) or
				// named bare (system); not another function
				// (do.call(rbind, lst), do.call(f, args): attack 60)
				e := identEnd(v, a)
				return e > a && (rCommandFunctions[v[a:e]] || skipSpace(v, e) < len(v) && v[skipSpace(v, e)] == '(')
			}
			if !strings.HasPrefix(v[a+1:], "system") && !strings.HasPrefix(v[a+1:], "shell") && !strings.HasPrefix(v[a+1:], "pipe") {
				return false
			}
			l := strings.Index(v[a+1:min(len(v), a+1+langCallWindow)], "list(")
			return l < 0 || argCommand(v, a+1+l+len("list("))
		case "cmd", "shell":
			// System.cmd, :os.cmd, os:cmd, Mix's shell (Mix.shell().cmd,
			// Mix.Shell.IO.cmd), Erlang's module in a variable (M=os,
			// M:cmd("id"))
			return (strings.HasSuffix(before, "System.") || strings.HasSuffix(before, ":os.") || strings.HasSuffix(before, "os:") ||
				strings.HasSuffix(before, "Mix.shell().") || strings.HasSuffix(before, "Shell.IO.") || erlangModuleVar(v, w, "os")) && argCommand(v, i+1)
		case "run":
			return strings.HasSuffix(before, "processx::") && argCommand(v, i+1)
		case "new":
			return strings.HasSuffix(before, "processx::process$") && argCommand(v, i+1)
		case "exec_wait", "exec_internal", "exec_background":
			return strings.HasSuffix(before, "sys::") && argCommand(v, i+1)
		case "lapply", "sapply", "vapply", "mapply", "Map", "Filter", "Reduce", "Find", "Position", "outer", "rapply", "tapply", "Recall", "map", "walk",
			"assign", "invoke", "exec":
			// R's system handed to a function that calls it:
			// lapply("id", system), Map(f=system, "id") (attack 60)
			return rFunctionArgument(v, i+1)
		case "open":
			return strings.HasSuffix(before, "Port.") && argCommand(v, i+1)
		case "apply":
			// apply(System, :cmd, ...), apply(:os, :cmd, ...)
			args := v[i+1 : min(len(v), i+1+langNameMax)]
			if strings.HasPrefix(strings.TrimLeft(args, " \t"), "os") && strings.Contains(args, "cmd") {
				return true // Erlang's apply(os, cmd, ["id"])
			}
			return (strings.Contains(args, "System") || strings.Contains(args, ":os")) && (strings.Contains(args, ":cmd") || strings.Contains(args, ":shell"))
		}
		return false
	}) {
		return true
	}
	// System.cmd "id", [] and :os.cmd 'id': Elixir's calls without brackets
	for _, f := range []string{"System.cmd", "System.shell", ":os.cmd"} {
		if eachWord(v, f, "", func(i int) bool {
			k := i + len(f)
			// a literal only: a word after the name is prose ("Don't
			// use :os.cmd here", attack 63's false positives)
			a := skipBlanks(v, k)
			return k < len(v) && (v[k] == ' ' || v[k] == '\t') && a < len(v) && (v[a] == '"' || v[a] == '\'') && argCommand(v, a)
		}) {
			return true
		}
	}
	// a command function captured (&:os.cmd/1, &System.cmd/2, fun
	// os:cmd/1) then called or in a value with a command literal (read
	// once: literalsHoldCommand reads 64 literals)
	hasLit := literalsHoldCommandOnce(v)
	for _, f := range []string{":os.cmd/", "System.cmd/", "System.shell/", "os:cmd/"} {
		if eachWord(v, f, "", func(i int) bool {
			p := blanksBefore(v, i)
			if !(p > 0 && v[p-1] == '&' || p > 2 && v[p-3:p] == "fun") {
				return false
			}
			rest := v[i+len(f) : min(len(v), i+len(f)+8)]
			return strings.Contains(rest, ")(") || strings.Contains(rest, ").(") || hasLit()
		}) {
			return true
		}
	}
	// a value piped into one: 'id' |> :os.cmd(), "i" <> "d" |> System.shell()
	if eachByteOf(v, "|", func(v string, i int) bool {
		if i+1 >= len(v) || v[i+1] != '>' {
			return false
		}
		k := skipSpace(v, i+2)
		if !strings.HasPrefix(v[k:], ":os.cmd") && !strings.HasPrefix(v[k:], "System.cmd") && !strings.HasPrefix(v[k:], "System.shell") &&
			!strings.HasPrefix(v[k:], "system(") && !strings.HasPrefix(v[k:], "system2(") && !strings.HasPrefix(v[k:], "shell(") {
			return false // (R's native pipe too: 'id' |> system2(), attack 63)
		}
		// the literal right before the |> (one read per |>: a value of
		// 'i' |> :os.cmd repeated read 64 literals at each, attack 61's
		// dearest request), or a join in the 64 bytes before
		if strings.Contains(v[max(0, i-langNameMax):i], "<>") {
			return true
		}
		e := blanksBefore(v, i)
		if e == 0 || v[e-1] != '"' && v[e-1] != '\'' {
			return false
		}
		o := strings.LastIndexByte(v[max(0, e-1-langNameMax):e-1], v[e-1])
		return o >= 0 && literalCommand(v[max(0, e-1-langNameMax)+o+1:e-1])
	}) {
		return true
	}
	// Erlang's os and cmd handed on as a module and a function
	// (apply(os, cmd, ["id"]), rpc:call(node(), os, cmd, [...]),
	// spawn(os, cmd, [...]), timer:apply_after(0, os, cmd, [...]),
	// make_fun(os, cmd, 1), Function.capture(:os, :cmd, 1): attack 63),
	// then their arguments' list or arity
	if beamOsCmd(v) {
		return true
	}
	// R's system held by another name: f<-system, f = system (attack 63),
	// or subscripted from an environment: baseenv()[["system"]]
	return eachWord(v, "system", "", func(i int) bool {
		b := blanksBefore(v, i)
		e := i + len("system")
		if b > 2 && v[b-3:b] == "[[\"" || b > 2 && v[b-3:b] == "[['" {
			return e < len(v) && (v[e] == '"' || v[e] == '\'')
		}
		if e < len(v) && (identByte(v[e], "") || v[e] == '(' || v[e] == '.') {
			return false
		}
		if b > 1 && v[b-1] == '-' && v[b-2] == '<' {
			return true
		}
		// with =, only when the name is called after ("theme = system"
		// is a setting)
		if b < 2 || v[b-1] != '=' || strings.IndexByte("=!<>", v[b-2]) >= 0 {
			return false
		}
		q := blanksBefore(v, b-1)
		w := identBefore(v, q)
		if w == q {
			return false
		}
		after := v[e:min(len(v), e+setReach)]
		for x := strings.Index(after, v[w:q]); x >= 0; {
			y := x + q - w
			if (x == 0 || !identByte(after[x-1], "")) && y < len(after) && after[y] == '(' {
				return true
			}
			n := strings.Index(after[x+1:], v[w:q])
			if n < 0 {
				break
			}
			x += 1 + n
		}
		return false
	})
}

// beamOsCmd: os (or :os, 'os') and cmd (or :cmd) stand as two arguments
// one after the other, then a list or an arity: Erlang's and Elixir's
// calls that take a module, a function and its arguments.
func beamOsCmd(v string) bool {
	return eachWord(v, "cmd", "", func(i int) bool {
		p := i
		if p > 0 && (v[p-1] == ':' || v[p-1] == '\'') {
			p--
		}
		p = blanksBefore(v, p)
		if p == 0 || v[p-1] != ',' {
			return false
		}
		p = blanksBefore(v, p-1)
		if p > 0 && v[p-1] == '\'' {
			p--
		}
		if p < 2 || v[p-2:p] != "os" || p > 2 && identByte(v[p-3], "") && v[p-3] != ':' {
			return false
		}
		e := i + len("cmd")
		if e < len(v) && v[e] == '\'' {
			e++
		}
		a := skipBlanks(v, e)
		if a >= len(v) || v[a] != ',' {
			return false
		}
		a = skipBlanks(v, a+1)
		return a < len(v) && (v[a] == '[' || v[a] >= '0' && v[a] <= '9')
	})
}

// rCommandFunctions are R's functions that run a command.
var rCommandFunctions = map[string]bool{"system": true, "system2": true, "shell": true, "pipe": true}

// rFunctionArgument: the call whose arguments start at v[k] is handed
// one of rCommandFunctions bare, as a function (lapply("id", system),
// Map(f=system, "id")), within langCallWindow bytes.
func rFunctionArgument(v string, k int) bool {
	args := v[k:min(len(v), k+langCallWindow)]
	for name := range rCommandFunctions {
		if eachWord(args, name, "$@.:", func(i int) bool {
			p := blanksBefore(args, i)
			e := skipBlanks(args, i+len(name))
			return (p == 0 || args[p-1] == ',' || args[p-1] == '=' || args[p-1] == '(') && (e >= len(args) || args[e] == ',' || args[e] == ')')
		}) {
			return true
		}
	}
	return false
}

// erlangModuleVar: the word before v[w] (and a ':') is an Erlang variable
// (a capital first) the value binds to module (M=os, M:cmd(...)), within
// setReach bytes before.
func erlangModuleVar(v string, w int, module string) bool {
	if w < 2 || v[w-1] != ':' {
		return false
	}
	s := identBefore(v, w-1)
	if s == w-1 || v[s] < 'A' || v[s] > 'Z' {
		return false
	}
	name := v[s : w-1]
	before := v[max(0, s-setReach):s]
	return strings.Contains(before, name+"="+module) || strings.Contains(before, name+" = "+module)
}

// beamUnquoted is v with Elixir's and Erlang's quoted names unquoted
// where a module or a function is named (:"os".cmd, :os."cmd"(...),
// System."cmd"(...), os:'cmd'(...): attack 60), when it has any.
func beamUnquoted(v string) (string, bool) {
	var b []byte
	last := 0
	for off := 0; ; {
		q := strings.IndexAny(v[off:], "\"'")
		if q < 0 {
			break
		}
		i := off + q
		off = i + 1
		e := identEnd(v, i+1)
		if e == i+1 || e-i > langNameMax || e >= len(v) || v[e] != v[i] || e+1 >= len(v) {
			continue
		}
		// a name after : or . (:"os", ."cmd"), or an Erlang module
		// quoted before its ':' ('os':cmd, attack 63)
		named := i > 0 && (v[i-1] == ':' || v[i-1] == '.') && strings.IndexByte(".(/:", v[e+1]) >= 0
		module := v[e+1] == ':' && e+2 < len(v) && (identByte(v[e+2], "") || v[e+2] == '\'' || v[e+2] == '"') && (i == 0 || !identByte(v[i-1], ""))
		if !named && !module {
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(v))
		}
		b = append(append(b, v[last:i]...), v[i+1:e]...)
		last, off = e+1, e+1
	}
	if b == nil {
		return "", false
	}
	return string(append(b, v[last:]...)), true
}

// postScriptEscapedPipe: the PostScript string at v[i] ('(') holds a
// backslash and, its escapes decoded as PostScript decodes them (\ddd
// octal, \n and its kin, a backslash before a line break dropped), opens
// with %pipe% or | and a command: (\045pipe\045id) (w) file, (%pi\
// pe%id) (attack 60). Read within langCallWindow bytes.
func postScriptEscapedPipe(v string, i int) bool {
	w := v[i+1 : min(len(v), i+1+langCallWindow)]
	c := strings.IndexByte(w, ')')
	if c < 0 || strings.IndexByte(w[:c], '\\') < 0 {
		return false
	}
	var buf [langCallWindow]byte
	out := buf[:0]
	for x := 0; x < len(w) && w[x] != ')'; x++ {
		// only a string that opens so is read on
		if n := len(out); n > 0 && out[0] != '|' && n <= len("%pipe%") && string(out) != "%pipe%"[:n] {
			return false
		}
		if w[x] != '\\' || x+1 == len(w) {
			out = append(out, w[x])
			continue
		}
		x++
		switch d := w[x]; {
		case d >= '0' && d <= '7':
			n, k := 0, x
			for k < len(w) && k < x+3 && w[k] >= '0' && w[k] <= '7' {
				n = n*8 + int(w[k]-'0')
				k++
			}
			out, x = append(out, byte(n)), k-1
		case d == '\r' && x+1 < len(w) && w[x+1] == '\n':
			x++ // dropped, as a line break alone
		case d == '\n' || d == '\r':
		case d == 'n':
			out = append(out, '\n')
		case d == 't':
			out = append(out, '\t')
		default:
			out = append(out, d) // \( \) \\ and any other: the character
		}
	}
	switch {
	case len(out) > len("%pipe%") && string(out[:len("%pipe%")]) == "%pipe%":
		return literalCommand(string(out[len("%pipe%"):]))
	case len(out) > 1 && out[0] == '|':
		return literalCommand(string(out[1:]))
	}
	return false
}

// findExec: find's -exec, -ok or -okdir with a command and its ; or +,
// given as arguments (. -exec id ;): a value without the word find
// before them (find . -exec rm {} \; in a post passes).
func findExec(v string) bool {
	find := -2 // where the word find first stands, read once
	return eachByteOf(v, "-", func(v string, i int) bool {
		if i > 0 && !strings.ContainsRune(" \t", rune(v[i-1])) {
			return false
		}
		e := identEnd(v, i+1)
		switch v[i+1 : e] {
		case "exec", "ok", "okdir":
		default:
			return false
		}
		if e >= len(v) || v[e] != ' ' && v[e] != '\t' || identEnd(v, skipBlanks(v, e)) == skipBlanks(v, e) {
			return false
		}
		rest := v[e:min(len(v), e+langCallWindow)]
		// its end: ; or +
		if !strings.Contains(rest, ";") && !strings.Contains(rest, " +") && !strings.HasSuffix(rest, "+") {
			return false
		}
		if find == -2 {
			find = indexFold(v, "find")
		}
		return find < 0 || find > i
	})
}

// ghostscriptPipe: Ghostscript's %pipe% device before a command
// ((%pipe%id) (w) file); its name in prose, or before lpr, passes.
func ghostscriptPipe(v string) bool {
	if eachByteOf(v, "(", func(v string, i int) bool { return postScriptEscapedPipe(v, i) }) {
		return true
	}
	return eachWord(v, "%pipe%", "", func(i int) bool {
		rest := v[i+len("%pipe%") : min(len(v), i+len("%pipe%")+langCallWindow)]
		if e := strings.IndexAny(rest, ")'\""); e >= 0 {
			rest = rest[:e]
		}
		return literalCommand(rest)
	})
}

// psQuoteBreakout is rule 210213's operator (see interpRules): at a
// quote (' or "), what psBreakoutAt reads. An application that builds
// Get-Mailbox -Identity '<value>' and runs it in PowerShell runs
// x' + (cmd /c whoami) + ' as a string, a grouped command and a string
// joined: PowerShell evaluates ( ... ), $( ... ) and @( ... ) where it
// reads an argument or an expression (attack 86: none of the CRS and no
// other addition read a command there).
//
// The quotes are read in order, ' and " together, counting each kind
// before the one read (psOuterQuote reads the counts): one IndexByte
// per kind and quote, from the last one of its kind.
func psQuoteBreakout(v string) bool {
	if strings.IndexByte(v, '(') < 0 && strings.IndexByte(v, '$') < 0 {
		return false
	}
	if strings.Contains(v, "\xe2\x80") {
		// PowerShell's tokenizer takes the typographic quotes for ' and "
		// (CharTraits.cs): x’ + (gc C:\secret.txt) + ’ (a review of
		// attack 89); one replacement pass, one copy
		v = psTypographicQuotes.Replace(v)
	}
	var n [2]int // the ' and the " before the quote read
	next := [2]int{strings.IndexByte(v, '\''), strings.IndexByte(v, '"')}
	for next[0] >= 0 || next[1] >= 0 {
		q := 0
		if next[0] < 0 || next[1] >= 0 && next[1] < next[0] {
			q = 1
		}
		i := next[q]
		if !psWordQuote(v, i) {
			// an apostrophe in a word (It's, Here's) neither breaks a
			// string out nor counts in the parity psOuterQuote reads (a
			// review: "It's simple: $msg = 'Size: ' + (gc
			// .\data.txt).Length" was refused)
			if psBreakoutAt(v, i, n) {
				return true
			}
			n[q]++
		}
		if a := strings.IndexByte(v[i+1:], v[i]); a >= 0 {
			next[q] = i + 1 + a
		} else {
			next[q] = -1
		}
	}
	return false
}

// psTypographicQuotes maps the quotes PowerShell's tokenizer reads as '
// (U+2018, U+2019, U+201A, U+201B) and as " (U+201C, U+201D, U+201E) to
// them.
var psTypographicQuotes = strings.NewReplacer("\u2018", "'", "\u2019", "'", "\u201a", "'", "\u201b", "'",
	"\u201c", `"`, "\u201d", `"`, "\u201e", `"`)

// psWordQuote: the quote at v[i] stands between two letters (ASCII, or
// a byte of a UTF-8 letter): an apostrophe in a word of prose.
func psWordQuote(v string, i int) bool {
	letter := func(c byte) bool { return asciiLetter(c) || c >= 0x80 }
	return v[i] == '\'' && i > 0 && i+1 < len(v) && letter(v[i-1]) && letter(v[i+1])
}

// psQuotesIn counts the quotes q in v[j:i] that are no apostrophe in a
// word (psWordQuote).
func psQuotesIn(v string, j, i int, q byte) int {
	c := 0
	for x := j; x < i; x++ {
		if v[x] == q && !psWordQuote(v, x) {
			c++
		}
	}
	return c
}

// psBreakoutAt: after the quote at v[i] stand blanks, a join (+, a
// comma, or an operator: -f, -join, a dash, up to 12 letters and a
// blank), blanks, and a grouping (( $( @() that closes within
// langCallWindow bytes; after it, over blanks, more of the expression
// or argument list: a quote, a comment (#), ; or |, + or an operator,
// and after a join a closing bracket, and after a comma a comma. The
// value's end or a word after the bracket is prose ("He said 'yes'
// (whoami is a command)", "'OK' (whoami) then"). What the grouping
// holds is a command (psGroupCommand), or, when the quote may close the
// string the application put the value in (psOuterQuote, n: the ' and
// " before v[i]), a file read or a command named by a variable or a
// path (psGroupRead). Each quote reads langNameMax bytes to the grouping
// and langCallWindow bytes in it, and 4 times langNameMax back.
//
// A grouping whose first word may be a command (psRegexWorth) costs one
// run of literalCommand's regular expression, about 5 µs: 16 KiB of
// x'+(ls a)+' cost 9 ms (TestCPUBoundAttack86 bounds it through Caddy).
func psBreakoutAt(v string, i int, n [2]int) bool {
	w := v[:min(len(v), i+1+2*langNameMax)]
	k := skipBlanks(w, i+1)
	join := byte(0)
	if k < len(w) && (w[k] == '+' || w[k] == ',') {
		join = w[k]
		k = skipBlanks(w, k+1)
	} else if k+1 < len(w) && w[k] == '-' && asciiLetter(w[k+1]) {
		e := k + 1
		for e < len(w) && e-k <= 12 && asciiLetter(w[e]) {
			e++
		}
		if e >= len(w) || w[e] != ' ' && w[e] != '\t' && w[e] != '(' {
			return false
		}
		join, k = '+', skipBlanks(w, e)
	}
	// before the grouping: operands joined with + (x' + $null + (gc
	// C:\secret.txt) + ', x' + 1 + (...): a review of attack 89), 4 at
	// most, within the window
	for range 4 {
		if join != '+' || psSecretVariable(w, k) {
			break
		}
		e := psOperandEnd(w, k)
		if e == k {
			break
		}
		a := skipBlanks(w, e)
		if a >= len(w) || w[a] != '+' {
			break
		}
		k = skipBlanks(w, a+1)
	}
	// before the grouping: a cast ([string]), PowerShell's not (!), the
	// unary comma (a review: x' + [string](cmd /c whoami) + ')
	for range 4 {
		if k < len(w) && (w[k] == '!' || w[k] == ',') {
			k = skipBlanks(w, k+1)
			continue
		}
		if k < len(w) && w[k] == '[' {
			c := strings.IndexByte(w[k:min(len(w), k+40)], ']')
			if c > 1 && identEnd(w, k+1) >= k+1 && strings.Trim(w[k+1:k+c], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == "" {
				k = skipBlanks(w, k+c+1)
				continue
			}
		}
		break
	}
	if join == '+' && psSecretVariable(w, k) {
		return true
	}
	if k+1 < len(w) && (w[k] == '$' || w[k] == '@') && w[k+1] == '(' {
		k++
	}
	if k >= len(w) || w[k] != '(' {
		return false
	}
	e := closingBracket(v, k, langCallWindow)
	if e < 0 {
		return false
	}
	a := skipBlanks(v[:min(len(v), e+1+langNameMax)], e+1)
	if a >= len(v) {
		return false
	}
	count := false // a number's member after the grouping: (gc a).Length
	switch c := v[a]; {
	case strings.IndexByte("'\"#;|+", c) >= 0:
	case c == '-' && a+1 < len(v) && asciiLetter(v[a+1]):
	case c == '.' && a+1 < len(v) && asciiLetter(v[a+1]):
		// a method of what the grouping returns: (New-Object
		// Net.WebClient).DownloadString(...)
		count = psCountMember(v[a+1 : min(len(v), a+1+langNameMax)])
	case c == ')' && join != 0, c == ',' && join == ',':
	case join != 0 && strings.IndexByte("[*/%,", c) >= 0:
		// indexed, multiplied, listed: more of the expression after a
		// join ((cmd /c whoami)[0], (...) * 1: a review)
	default:
		return false
	}
	inner := v[k+1 : e]
	if psGroupCommand(inner) {
		return true
	}
	read := psGroupRead(inner)
	if s := psGroupInner(inner); s != inner {
		// nested, prefixed or backtick-escaped: ((gc a)), ($null + (gc
		// a)), (-join(gc a)), $((gc a)), (g`c a) (a review of attack 89)
		if psGroupCommand(s) {
			return true
		}
		read = read || psGroupRead(s)
	}
	// a file read's length or count is a number, no file's content: a
	// post's 'Size: ' + (gc .\data.txt).Length
	return read && !count && psOuterQuote(v, i, n)
}

// psOperandEnd: the index after an operand at w[k] (a variable: $null,
// $x, $env:USERNAME, $x.Name; or a number), or k.
func psOperandEnd(w string, k int) int {
	if k >= len(w) {
		return k
	}
	if w[k] >= '0' && w[k] <= '9' {
		e := k
		for e < len(w) && (w[e] >= '0' && w[e] <= '9' || w[e] == '.') {
			e++
		}
		return e
	}
	if w[k] != '$' {
		return k
	}
	e := identEnd(w, k+1)
	if e == k+1 {
		return k
	}
	for e+1 < len(w) && (w[e] == ':' || w[e] == '.') && identEnd(w, e+1) > e+1 {
		e = identEnd(w, e+1)
	}
	return e
}

// psCountMember: m starts with .NET's members that are a number
// (Length, Count, LongLength) and no method's call or more of a path.
func psCountMember(m string) bool {
	e := identEnd(m, 0)
	if e < len(m) && (m[e] == '(' || m[e] == '.' || m[e] == '[') {
		return false
	}
	w := m[:e]
	return strings.EqualFold(w, "length") || strings.EqualFold(w, "count") || strings.EqualFold(w, "longlength")
}

// psGroupInner: a grouping's text (bounded by langCallWindow) with the
// backticks PowerShell drops (before a letter that is no escape's: g`c
// is gc, `n a newline) removed, then up to 4 of: operands joined with +
// ($null + ...), -join, and a grouping ( $( @( that holds the rest
// ((gc a)) taken off its front: what PowerShell evaluates first. The
// text itself when there is nothing to take off.
func psGroupInner(inner string) string {
	s := inner
	if strings.IndexByte(s, '`') >= 0 {
		b := make([]byte, 0, len(s))
		for x := 0; x < len(s); x++ {
			if s[x] == '`' && x+1 < len(s) && asciiLetter(s[x+1]) && strings.IndexByte("abefnrtuvABEFNRTUV", s[x+1]) < 0 {
				continue
			}
			b = append(b, s[x])
		}
		s = string(b)
	}
	for range 4 {
		s = strings.TrimSpace(s)
		if e := psOperandEnd(s, 0); e > 0 {
			if a := skipBlanks(s, e); a < len(s) && s[a] == '+' {
				s = s[a+1:]
				continue
			}
		}
		if len(s) > 5 && strings.EqualFold(s[:5], "-join") && (s[5] == '(' || s[5] == ' ' || s[5] == '\t') {
			s = s[5:]
			continue
		}
		k := 0
		if len(s) > 1 && (s[0] == '$' || s[0] == '@') && s[1] == '(' {
			k = 1
		}
		if k < len(s) && s[k] == '(' {
			if c := closingBracket(s, k, len(s)); c == len(s)-1 {
				s = s[k+1 : c]
				continue
			}
		}
		break
	}
	return s
}

// psOuterQuote: the quote at v[i] may close the string an application
// put the value in (n: the ' and the " before it in the value): it is
// the first, third, ... of its kind (x' + (gc a) + ', x'+'a'+(gc a)+',
// and after a doubled quote, PowerShell's escaped one), or it closes a
// string the value opened after a join (+ or a comma) after such a
// quote (x' + "" + (gc a) + ': 4 strings back at most, langNameMax
// bytes each). A string the value opens first and joins ("Total: " +
// (Get-Content file.txt).Count, 'a' + 'b' + (gc f): a post's
// PowerShell) closes none (attack 89).
func psOuterQuote(v string, i int, n [2]int) bool {
	for range 4 {
		q := 0
		if v[i] == '"' {
			q = 1
		}
		if n[q]%2 == 0 {
			return true
		}
		lo := max(0, i-langNameMax)
		w := v[lo:i]
		o := strings.LastIndexByte(w, v[i]) // the string's opening quote
		if o < 0 {
			return false
		}
		p := o
		for p > 0 && (w[p-1] == ' ' || w[p-1] == '\t') {
			p--
		}
		if p == 0 || w[p-1] != '+' && w[p-1] != ',' {
			return false
		}
		p--
		for p > 0 && (w[p-1] == ' ' || w[p-1] == '\t') {
			p--
		}
		if p == 0 || w[p-1] != '\'' && w[p-1] != '"' {
			return false
		}
		j := lo + p - 1
		n[0] -= psQuotesIn(v, j, i, '\'')
		n[1] -= psQuotesIn(v, j, i, '"')
		i = j
	}
	return false
}

// psReadWords are PowerShell's cmdlets, aliases and Windows' programs
// that write a file's content (gc C:\secret.txt, type
// ..\appsettings.json, Import-Csv, Select-String, findstr): joined to a
// string the application returns, they leak it (attack 89).
var psReadWords = []string{"gc", "get-content", "cat", "type", "import-csv", "ipcsv", "import-clixml", "select-string", "sls", "more", "findstr"}

// psGroupRead: the text a grouping holds reads a file (one of
// psReadWords with a path among its first 6 arguments: a quote, a
// variable, or a word with . \ / or :, no number or version; .NET's
// [IO.File]::ReadAllText(...) and its kin, [IO.StreamReader]::new(...)),
// or runs a command named by a variable or a path (& $x, . $x, .
// .\x.ps1, . \\host\s\x.ps1, .\x.ps1, C:\x\y.exe, \\host\s\x.ps1: a
// program's file, psProgramFile). Commands in forum posts' PowerShell,
// read only after a quote that may close the application's string
// (psOuterQuote); "(type of file)", "(cat food)", "(type 2.5)" are none.
func psGroupRead(inner string) bool {
	s := strings.TrimSpace(inner)
	if len(s) > 1 && (s[0] == '&' || s[0] == '.') {
		if psCallOperator(s, 0) {
			return true // & $x, . $x (the others psGroupCommand reads)
		}
		if s[1] == ' ' || s[1] == '\t' || s[0] == '&' && asciiLetter(s[1]) {
			// (. .\x.ps1), (. \\host\s\x.ps1); the call operator before
			// a file read: (. gc C:\secret.txt), (& type a), (&gc a) (a
			// review of attack 89: this returned before reading it)
			s = strings.TrimLeft(s[1:], " \t")
			if strings.HasPrefix(s, `\\`) || psProgramFile(s) {
				return true
			}
		}
	}
	if s == "" || psProse(s) || psExpression(s) {
		return false
	}
	if s[0] == '[' {
		return psFileMethod(s)
	}
	if (strings.HasPrefix(s, `\\`) || strings.HasPrefix(s, `.\`) || strings.HasPrefix(s, "./") || len(s) > 2 && asciiLetter(s[0]) && s[1] == ':') && psProgramFile(s) {
		return true
	}
	word, rest := psFirstWord(s)
	if !slices.Contains(psReadWords, word) {
		return false
	}
	for range 6 {
		if rest == "" {
			return false
		}
		a := 0
		for a < len(rest) && rest[a] != ' ' && rest[a] != '\t' {
			a++
		}
		arg := rest[:a]
		rest = rest[skipBlanks(rest, a):]
		switch {
		case arg[0] == '-':
			continue // -Path, -Raw, -Encoding
		case arg[0] == '\'' || arg[0] == '"' || arg[0] == '$':
			return true
		case strings.Trim(strings.TrimPrefix(arg, "v"), "0123456789.") == "":
			continue // a number or a version (type 2.5, -TotalCount 5)
		case strings.ContainsAny(arg, ".\\/:"):
			return true
		}
	}
	return false
}

// psFileMethod: s (a grouping's text) calls .NET's File class's readers
// ([IO.File]::ReadAllText(...), [System.IO.File]::ReadAllBytes,
// ReadAllLines, ReadLines, OpenText) or makes a StreamReader
// ([IO.StreamReader]::new(...)), any case, before a bracket.
func psFileMethod(s string) bool {
	c := strings.IndexByte(s[:min(len(s), 40)], ']')
	if c < 0 || !strings.HasPrefix(s[c+1:], "::") {
		return false
	}
	var tb, mb [24]byte
	typ := string(lowerASCII(tb[:0], strings.TrimSpace(s[1:min(c, 1+len(tb))])))
	typ = strings.TrimPrefix(strings.TrimPrefix(typ, "system."), "io.")
	m := s[c+3:]
	e := identEnd(m, 0)
	a := skipBlanks(m, e)
	if len(m)-a > 7 && strings.EqualFold(m[a:a+7], ".invoke") {
		// the method as an object, invoked: ReadAllText.Invoke(...) (a
		// review of attack 89)
		a = skipBlanks(m, a+7)
	}
	if a >= len(m) || m[a] != '(' {
		return false
	}
	method := string(lowerASCII(mb[:0], m[:min(e, len(mb))]))
	switch typ {
	case "file":
		return method == "readalltext" || method == "readallbytes" || method == "readalllines" || method == "readlines" || method == "opentext"
	case "streamreader":
		return method == "new"
	}
	return false
}

// psSecretVariable: at v[k] (after a quote and a +) stands an
// environment variable whose name holds a secret's word ($env:AWS_SECRET_ACCESS_KEY,
// ${env:DB_PASSWORD}, $env:GITHUB_TOKEN), with a property or a method
// perhaps, then what goes on with the expression or ends the statement
// (+, a quote, a comment, ;, a comma, a pipe, a bracket): x' +
// $env:AWS_SECRET_ACCESS_KEY + ' puts the secret where the string is
// shown (attack 87). Other variables ('C:\Users\' + $env:USERNAME +
// '\Documents', 'Running in ' + $Host.Name: forum posts' PowerShell, a
// review) pass. Since attack 89 also a file by its drive in braces,
// which PowerShell reads as a variable of the file system's provider:
// ${C:\inetpub\wwwroot\web.config} is the file's content.
func psSecretVariable(v string, k int) bool {
	e := psSecretVariableEnd(v, k)
	if e < 0 {
		return false
	}
	n := skipBlanks(v, e)
	return n < len(v) && strings.IndexByte("+'\"#;,|)", v[n]) >= 0
}

// psSecretVariableEnd: the index after the secret's variable (with its
// members) psSecretVariable reads at v[k], or -1.
func psSecretVariableEnd(v string, k int) int {
	if k+1 >= len(v) || v[k] != '$' {
		return -1
	}
	a := k + 1
	braced := v[a] == '{'
	if braced {
		a++
	}
	var e int
	if braced && a+3 < len(v) && asciiLetter(v[a]) && v[a+1] == ':' && (v[a+2] == '\\' || v[a+2] == '/') {
		// a file's content by the file system's drive: x' +
		// ${C:\secret.txt} + ' (attack 89's fix's note)
		c := strings.IndexByte(v[a:min(len(v), a+256)], '}')
		if c < 0 {
			return -1
		}
		e = a + c
	} else {
		if len(v)-a <= 4 || !strings.EqualFold(v[a:a+4], "env:") {
			return -1
		}
		e = identEnd(v, a+4)
		if e == a+4 || !psSecretName(v[a+4:e]) {
			return -1
		}
	}
	if braced {
		if e >= len(v) || v[e] != '}' {
			return -1
		}
		e++
	}
	for e < len(v) && v[e] == '.' && identEnd(v, e+1) > e+1 {
		e = identEnd(v, e+1) // .Substring
		if e < len(v) && v[e] == '(' {
			if c := closingBracket(v, e, 64); c > 0 {
				e = c + 1 // .Substring(0)
			}
		}
	}
	return e
}

// psSecretName: an environment variable's name holds a secret's word
// (SECRET, TOKEN, PASSWORD, PASSWD, KEY, CRED, PRIVATE, AUTH).
func psSecretName(n string) bool {
	var lb [64]byte
	l := lowerASCII(lb[:0], n[:min(len(n), len(lb))])
	for _, w := range [...]string{"secret", "token", "password", "passwd", "key", "cred", "private", "auth"} {
		if bytes.Contains(l, []byte(w)) {
			return true
		}
	}
	return false
}

// asciiLetter: c is an ASCII letter.
func asciiLetter(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z'
}

// psProbeWords are the commands that probe a host alone (no argument
// needed); psCmdletWords are PowerShell's cmdlets and aliases that run
// or fetch what their argument names (Start-Process calc, saps cmd, iwr
// evil.example), read with any argument; psProgramWords are Windows'
// programs that run or fetch one (certutil -urlcache -f http://...,
// mshta http://..., rundll32 x.dll,y), read with an argument that is no
// word of prose (an option, a quote, a variable, a bracket, a path or a
// host: "(cmd or PowerShell)" is prose). literalCommand (rule 210151's
// command list) holds none of them.
var (
	psProbeWords  = []string{"systeminfo", "tasklist", "ipconfig", "quser", "qwinsta", "netstat"}
	psCmdletWords = []string{"start-process", "saps", "invoke-command", "icm", "invoke-expression", "iex", "invoke-webrequest", "iwr",
		"invoke-restmethod", "irm", "new-object", "invoke-item", "invoke-wmimethod", "invoke-cimmethod", "start-job", "start-bitstransfer", "wmic"}
	psProgramWords = []string{"certutil", "bitsadmin", "mshta", "rundll32", "regsvr32", "powershell", "pwsh", "cscript", "wscript",
		"msiexec", "schtasks", "cmd", "runas", "curl", "wget", "net", "net1", "reg", "sc", "start"}
)

// psProseWords are words of prose; a grouping of three or more words of
// letters with one of them after the first is prose: "(whoami is a
// command)" (rule 210151's list reads whoami before any argument).
var psProseWords = []string{"is", "a", "an", "the", "of", "to", "and", "or", "for", "in", "on", "with", "command", "that", "this", "it"}

// psGroupCommand: the text a grouping holds is a command (after the call
// operator & or . perhaps): a probe (literalCommand), what psValueStart
// reads at a value's start (iex 'id', cmd /c, a built name), one of
// psProbeWords, one of psCmdletWords with an argument, one of
// psProgramWords with an argument that is no word of prose. "count of
// items", "net use", "cmd or PowerShell", "select ..." (SQL, rule
// 210212's) are none.
func psGroupCommand(inner string) bool {
	s := strings.TrimSpace(inner)
	if len(s) > 1 && (s[0] == '&' || s[0] == '.') {
		// the call operator or dot-sourcing before a built name:
		// (&('who'+'ami')), (.('who'+'ami')), (. 'whoami'), (.
		// ('i'+'ex') 'id'): . runs what it names as & does (attack 89);
		// before a variable, psGroupRead's
		if a := skipBlanks(s, 1); a < len(s) && s[a] != '$' && psCallOperator(s, 0) {
			return true
		}
		if s[1] == ' ' || s[1] == '\t' || s[0] == '&' && asciiLetter(s[1]) {
			s = strings.TrimLeft(s[1:], " \t") // (& whoami), (. cmd /c ver), (&cmd /c ver)
		}
	}
	if s == "" || psProse(s) || psExpression(s) {
		return false
	}
	word, rest := psFirstWord(s)
	if rest == "" && identEnd(s, 0) == len(s) {
		// a bare name: a variable's in code ('id: ' + (id) + ', ok',
		// 'http://' + (hostname) + ':8080'), a probe only if Windows'
		// own and no variable's name
		return word == "whoami" || slices.Contains(psProbeWords, word)
	}
	if v := strings.TrimPrefix(rest, "v"); v != "" && strings.Trim(v, "0123456789.") == "" && !slices.Contains(shellCommandsNumber, word) {
		// a program and its version ('curl' (curl 7.88.1) 'or later'):
		// a how-to's; sleep 5, ping 127.0.0.1 are probes (a review)
		return false
	}
	if psRegexWorth(s, word) && (literalCommand(s) || psValueStart(s)) {
		return true
	}
	if slices.Contains(psProbeWords, word) {
		return rest == "" || strings.IndexByte("/-|", rest[0]) >= 0
	}
	switch word {
	case "dir", "gci", "ls", "get-childitem", "gc", "get-content", "cat", "type", "gi", "get-item":
		// the environment drive listed or read (dir env:, gc
		// env:AWS_SECRET_ACCESS_KEY: attack 87; -Path env:, Get-Item
		// env:X: a review)
		r := rest
		if o, more := psFirstWord(r); o == "-path" || o == "-literalpath" {
			r = more
		}
		if len(r) >= 4 && strings.EqualFold(r[:4], "env:") {
			return true
		}
	case "net", "net1":
		// net user, net localgroup administrators: accounts listed
		// (attack 87); net use, net start are how-tos' words too
		next, more := psFirstWord(rest)
		switch next {
		case "user", "users", "accounts":
			// alone, or one account's name (net user administrator: a
			// review)
			return more == "" || !strings.ContainsAny(strings.TrimSpace(more), " \t")
		case "localgroup":
			return more == "" || !strings.ContainsAny(strings.TrimSpace(more), " \t") || more[0] == '"'
		}
	}
	if rest == "" {
		return false
	}
	if slices.Contains(psCmdletWords, word) {
		return true
	}
	if !slices.Contains(psProgramWords, word) {
		return false
	}
	if strings.IndexByte("-/\"'$({%", rest[0]) >= 0 {
		return true
	}
	next, _ := psFirstWord(rest)
	if word == "start" || word == "cmd" || word == "runas" {
		// start calc, start powershell: a program after it
		return slices.Contains(psProgramWords, next) || slices.Contains(psCmdletWords, next) || next == "calc" || next == "notepad" || psProgramFile(rest)
	}
	// a path, a file or a host: x.dll,y, c:\x, evil.example/x; not a
	// version or a number ((curl 7.88.1), (net 30.5): a review's false
	// positives)
	a := 0
	for a < len(rest) && rest[a] != ' ' && rest[a] != '\t' {
		a++
	}
	if strings.Trim(strings.TrimPrefix(rest[:a], "v"), "0123456789.") == "" {
		return false
	}
	return strings.ContainsAny(rest[:a], ".:\\/")
}

// psLiteralWords are the first words literalCommand (rule 210151's
// list) and psValueStart read: a grouping that starts with another word
// of letters runs no regular expression.
var psLiteralWords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range [][]string{shellCommandsAnyArgs, shellCommandsWords, shellCommandsFile, shellCommandsNumber,
		{"ip", "ps", "nc", "net", "net1", "ver", "start", "cmd", "iex", "icm", "invoke-expression", "invoke-command", "iwr", "irm",
			"invoke-webrequest", "invoke-restmethod", "powershell", "pwsh", "runas"}} {
		for _, w := range l {
			m[w] = true
		}
	}
	return m
}()

// psRegexWorth: s (a grouping's text, word its first word folded) may
// be what literalCommand or psValueStart reads: it starts with a byte
// other than a letter or a digit (a quote, a caret, & . $ [ %), its
// first word holds one (w^h^o^a^m^i, C:\...\net), or the word is one of
// psLiteralWords. 16 KiB of groupings of prose cost one regular
// expression each otherwise.
func psRegexWorth(s, word string) bool {
	e := 0
	for e < len(s) && identByte(s[e], "-.") {
		e++
	}
	if e == 0 || e < len(s) && strings.IndexByte(" \t\n(;|&", s[e]) < 0 {
		return true
	}
	return psLiteralWords[word]
}

// psExpression: s is an expression of code, not a command: a word then
// an operator standing alone ('Item ' + (id + 1), (n * 2), (a || b),
// (x == y)). A redirection (whoami > x) and a pipe (whoami | x) are a
// command's.
func psExpression(s string) bool {
	e := identEnd(s, 0)
	if e == 0 {
		return false
	}
	a := skipBlanks(s, e)
	if a == e {
		return false
	}
	o := a
	for o < len(s) && strings.IndexByte("+-*/%=!<>?|&", s[o]) >= 0 {
		o++
	}
	if o == a || o < len(s) && s[o] != ' ' && s[o] != '\t' {
		return false
	}
	switch s[a:o] {
	case "+", "-", "*", "/", "%", "==", "===", "!=", "!==", "<=", ">=", "?", "??", "||", "&&", "=", "+=", "-=":
		return true
	}
	return false
}

// psProse: s is three or more words of letters, one of psProseWords
// after the first (8 words read).
func psProse(s string) bool {
	words, prose := 0, false
	for x := 0; x < len(s) && words < 8; {
		e := x
		for e < len(s) && asciiLetter(s[e]) {
			e++
		}
		if e == x || e < len(s) && s[e] != ' ' && s[e] != '\t' {
			return false
		}
		var lb [16]byte
		if words > 0 && e-x <= len(lb) && slices.Contains(psProseWords, string(lowerASCII(lb[:0], s[x:e]))) {
			prose = true
		}
		words++
		x = skipBlanks(s, e)
	}
	return prose && words >= 3
}

// psFirstWord: the first word of s in lower case (letters, digits, - _
// and ., a path's directories and .exe dropped: C:\Windows\System32\
// certutil.exe reads as certutil; 24 bytes at most) and what follows
// it over blanks.
func psFirstWord(s string) (string, string) {
	e := 0
	for e < len(s) && (identByte(s[e], "-.:\\") || s[e] == '"') {
		e++
	}
	var lb [24]byte
	w := s[:e]
	if b := strings.LastIndexByte(w, '\\'); b >= 0 {
		w = w[b+1:]
	}
	w = strings.Trim(w, "\"")
	word := string(lowerASCII(lb[:0], w[:min(len(w), len(lb))]))
	word = strings.TrimSuffix(word, ".exe")
	return word, s[skipBlanks(s, e):]
}

// psProgramFile: s starts with a program's file name (.exe .bat .cmd
// .hta .ps1 .vbs .js .dll), quoted perhaps.
func psProgramFile(s string) bool {
	s = strings.TrimLeft(s, "\"'")
	e := 0
	for e < len(s) && e < langNameMax && s[e] != ' ' && s[e] != '\t' && s[e] != '"' && s[e] != '\'' {
		e++
	}
	var lb [langNameMax]byte
	f := string(lowerASCII(lb[:0], s[:e]))
	for _, x := range []string{".exe", ".bat", ".cmd", ".hta", ".ps1", ".vbs", ".js", ".dll"} {
		if strings.HasSuffix(f, x) {
			return true
		}
	}
	return false
}
