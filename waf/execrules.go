package waf

import (
	"fmt"
	"regexp"
	"strings"
)

// execRules are rules 210180 and 210181: command execution that needs no
// shell separator, found by a fifth fresh-eyes attack (F19, F20), which
// the CRS at paranoia 1 and rule 210151 (a separator first) let through:
//   - 210180: PostgreSQL's COPY ... TO PROGRAM / FROM PROGRAM, a stacked
//     statement that runs a command on the database's host (node-postgres
//     and psycopg's simple-query protocol run several statements):
//     1;COPY (SELECT 1) TO PROGRAM 'id', 1; copy users to program
//     $$curl ...$$. Only COPY of a table or a query to or from PROGRAM
//     and a string literal ('...', E'...', $$...$$): "Copy the installer
//     to Program Files" is text. SQL comments (/**/) read as spaces.
//     Since a sixth attack (attack 10, B7), without the spaces
//     PostgreSQL does not need (1;COPY(SELECT 1)TO PROGRAM'id', a quoted
//     table's name: COPY"t"TO), a Unicode-escape string (U&'\0069d'),
//     and a query of VALUES, WITH, TABLE or a statement with RETURNING.
//   - 210181: argument injection: a value that is one argument of a
//     command a backend runs without a shell (execFile('git', ['clone',
//     repo]), ssh host, tar with a user's file name, find) and that is
//     an option of that command which runs another: ssh's
//     -oProxyCommand= and -oLocalCommand=, git's --upload-pack,
//     --receive-pack, --exec, --open-files-in-pager, -c or --config of
//     core.sshCommand, core.pager, core.editor, core.fsmonitor,
//     core.hooksPath or core.gitProxy, and its ext:: transport, tar's
//     --use-compress-program, --to-command, --rsh-command,
//     --checkpoint-action=exec, find's -exec and -execdir. The whole value
//     must start with the option (an argument is the whole value); prose
//     that mentions one ("use find -exec to ...") is not refused. One rule
//     for each shape, 210181 to 210189 (argumentShapes): Coraza 3.8.1's @rx prefilter
//     (SecRxPreFilter, which the waf now leaves off for this and other
//     misses, waf.go) misses "-oProxyCommand=id" with the shapes as
//     alternatives of one expression (-o\s*... and --(...) side by
//     side), each alone it matches; TestExecRules runs them through
//     Coraza with the prefilter on, so they hold either way.
var execRules = `SecRule ` + valueTargets + ` "@rx (?i)\bcopy(?:\s*\(\s*(?:select|values|with|table|insert|update|delete|merge)\b[^;]*?\)\s*|\s+[\w.]+(?:\s*\([^)]*\)\s*|\s+)|\s*\x22[^\x22;]*\x22(?:\s*\([^)]*\))?\s*)(?:to|from)\s+program\s*(?:'|e'|u&'|\$\w*\$)" "id:210180,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: PostgreSQL COPY to or from PROGRAM (command execution)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
` + argumentInjectionRules()

// argumentShapes are rule 210181's to 210186's expressions, one each.
// Since a sixth attack (attack 10, B6), the other spellings the commands
// take: ssh's keyword and value with white space between them
// (-oProxyCommand id) and KnownHostsCommand (OpenSSH 8.5 runs it); the
// long options' abbreviations that git's parse-options and GNU tar's
// getopt_long accept (any prefix unique among the command's options:
// --upload-pa=, --ex=, --use-c=, --to-com=, --checkpoint-act=), tar's
// --info-script, --new-volume-script and its short forms -I (a
// compression program) and -F (a volume script), case-sensitive, with a
// space or a / in the program ("-I id", "-Itouch /tmp/x; cat",
// "-F/tmp/x.sh"): without either, "-Iid" is a random token's spelling too
// (nanoid's and base64url's ids start with "-I" or "-F" once in 2,048),
// and "-Inf" and "-Infinity" are left out; git's -c with the other keys that run a
// command (core.askPass, credential.*helper, alias.*=!, diff.external
// and a diff driver's textconv or command, filter.*.clean, smudge and
// process, merge.*.driver, sequence.editor, pager.*, gpg.*program, a
// tool's cmd or path, remote.*.uploadpack and receivepack,
// sendemail.sendmailcmd, include.path, uploadpack.packObjectsHook) or
// allow the ext:: transport (protocol.ext.allow, protocol.allow).
// Since an eighth (attack 12), wget's --use-askpass (a program it runs
// for a URL's credentials) and git clone's --template (a directory whose
// hooks it runs). Since a ninth (attack 13), rsync's --rsync-path and
// -e with a program (-esh -c id), Chromium's --gpu-launcher,
// --renderer-cmd-prefix, --utility-cmd-prefix and
// --browser-subprocess-path, man's --pager and -P with a program (-Pid),
// Mercurial's --config of ui.ssh, ui.editor, hooks and extensions, wget's
// -e/--execute of a .wgetrc command that sends or writes a file or sets a
// proxy (--execute=post_file=/app/.env, -ehttp_proxy=http://e.vil), and
// pip's index and links before a URL (--index-url=http://e.vil/,
// -i http://e.vil/): the short options only before a program, a path or a
// URL, so "-e mail", "-i love it" and Maven's -Pprod pass. Since a seventh attack (attack 11, BROKE 5), short options bundled as
// getopt reads them: ssh's letters then o (-4oProxyCommand=id,
// -Cvo ProxyCommand=id), tar's lower-case letters then I (-xvI id) and
// an -I after other options (-cvf x -I id), and git clone's -u
// (--upload-pack's short form) alone or after -q, -v, -n, -l or -s, with
// a space after it (-u id, -qu id) or a shell's or a path's character in
// its first word (-uid;x, -u/srv/uploads/run): without either, "-uid" and
// "-qutouch" are spelled as random tokens and as words ("-updated",
// "-summary of") are.
var argumentShapes = []string{
	`-[0-9a-z]*o\s*(?:proxycommand|localcommand|knownhostscommand)(?:\s*=|\s+\S)`,
	`--(?:(?:` + strings.Join([]string{
		abbreviations("upload-pack", 1), abbreviations("receive-pack", 1), abbreviations("exec", 1),
		abbreviations("open-files-in-pager", 2), abbreviations("use-compress-program", 3),
		abbreviations("to-command", 4), abbreviations("rsh-command", 3), abbreviations("info-script", 3),
		abbreviations("new-volume-script", 5), abbreviations("use-askpass", 5), abbreviations("template", 4),
		abbreviations("rsync-path", 7), abbreviations("pager", 5), "gpu-launcher", "renderer-cmd-prefix", "utility-cmd-prefix",
		"browser-subprocess-path",
		// since a fifteenth (attack 19): ripgrep's --pre (a command it
		// runs on every file it searches; no abbreviations), GNU sort's
		// --compress-program (--compress= below), aria2c's hooks
		// (--on-download-complete and the others, --on-bt-download-complete),
		// yt-dlp's --exec-before-download and fd's --exec-batch
		"pre", abbreviations("compress-program", 10), `on-(?:bt-)?download-[a-z]+`,
		abbreviations("exec-before-download", 6), abbreviations("exec-batch", 7),
		// since attack 21: ripgrep's --hostname-bin, yt-dlp's
		// --netrc-cmd and --use-postprocessor's Exec
		abbreviations("hostname-bin", 10), abbreviations("netrc-cmd", 7), `use-postprocessor[=\s]+exec`}, "|") + `)(?:=|\s|:)|compress=\S)`,
	`(?:--` + abbreviations("checkpoint-action", 12) + `\s*[=\s]\s*exec|(?:(?-i:-[a-z]*I|-[a-z]+(?:\s+\S+)*?\s+-[a-z]*I)|(?-i:-F))(?:\s+\S|/[^\s/]+/|` + programThenArgument + `))`,
	`(?:-c\s*|--` + abbreviations("config", 2) + `(?:=|\s+))(?:(?:core\.(?:sshcommand|pager|editor|fsmonitor|hookspath|gitproxy|askpass)|credential\.(?:[^=\s]*\.)?helper|diff\.(?:external|[^=\s]+\.(?:textconv|command))|filter\.[^=\s]+\.(?:clean|smudge|process)|merge\.[^=\s]+\.driver|sequence\.editor|pager\.[^=\s]+|gpg\.(?:[^=\s]+\.)?program|(?:difftool|mergetool|browser|man)\.[^=\s]+\.(?:cmd|path)|remote\.[^=\s]+\.(?:uploadpack|receivepack)|sendemail\.sendmailcmd|include(?:if\.[^=\s]+)?\.path|uploadpack\.packobjectshook|protocol\.(?:[^=\s]+\.)?allow` +
		// Mercurial's --config keys that run a command or load code
		`|ui\.(?:ssh|editor|remotecmd|merge)|hooks\.[^=\s]+|extensions\.[^=\s]+|merge-tools\.[^=\s]+\.executable)\s*=|alias\.[^=\s]+\s*=\s*!)`,
	"(?:-exec(?:dir)?\\s+\\S|(?-i:-[qvnls]*u)(?:\\s+\\S|\\S*[;|&$`/<>()]))",
	`ext::`,
	// rsync's -e (the remote shell) and man's -P (the pager) before a
	// program an attacker runs, then an option, a path, or the value's
	// end (-esh -c id, -e id, -Pid, -P/srv/x.sh); "-e mail", "-eshop",
	// "-P id card" and Maven's -Pprod pass; since attack 19, fd's -x
	// and -X (--exec, --exec-batch: -x id, -X sh -c id); "-x" alone and
	// "-x marks the spot" pass
	`(?-i:-[ePxX])\s*['\"]?(?:(?:` + shortOptionPrograms + `)(?:\s+-|\s+/|/|['\"]?\s*\z)|/[^\s/]+/)`,
	// wget's -e/--execute, a .wgetrc command: any after --execute, the
	// ones that send a file, set a proxy, write a file or run a program
	// after -e (-ehttp_proxy=http://e.vil, --execute=post_file=/app/.env;
	// wget ignores _ and - in a command's name)
	`(?:--` + abbreviations("execute", 5) + `(?:=|\s+)['\"]?[\w-]+\s*=|(?-i:-e)\s*['\"]?(?:` + wgetCommands + `)\s*=)`,
	// pip's index and links before a URL (--index-url=http://e.vil/,
	// -i http://e.vil/: a package of the attacker's runs its setup.py);
	// "-i love it" passes
	`(?:--(?:` + abbreviations("index-url", 5) + `|` + abbreviations("extra-index-url", 5) + `|` + abbreviations("find-links", 4) + `)|(?-i:-[if]))\s*=?\s*['\"]?(?:https?|ftp|file)://`,
	// since a tenth attack (attack 14), one rule (210190) for five more
	// programs: GNU sed's e command after an address, or s///e (the
	// value a sed script: 1e id, $e id, /x/e id, s/x/id/e); docker run's
	// bind mounts and --privileged (-v /:/host, --volume=/:/host,
	// --mount type=bind,...); psql's meta-commands that run a shell or
	// pipe (\! id, \o |id, -c '\! id', and after a closed quote, as a
	// script psql reads: x'; \! id); npm's --script-shell and --prefix
	// before a path; 7-Zip's -so (the archive to standard output). "e
	// mail", "-v", "-verbose", "--prefix" alone and "-sort" pass. Since
	// a twelfth (attack 16, B15), zip's, sqlite3's and Ghostscript's
	// options that run a program (see below); "-TT", "-T",
	// "-cmd .tables", "-sOutputFile=out.pdf" pass. Since a fresh-eyes
	// hunt for false positives (attack 17): docker's mounts only of the
	// host's root, its system directories or its runtime's socket
	// (hostPaths: "-v /data:/var/lib/postgresql/data" and "-v
	// /srv/app:/app" were refused), not --privileged (docker-in-docker's
	// own) nor npm's --prefix ("--prefix ./frontend run build"); sed's e
	// without an address before a program only then an option or the
	// end ("e id card renewal" was refused); 7-Zip's -so only alone
	// ("-so -tzip archive.zip", "-so what"). Since attack 59: s///e
	// only as a script, before its end, a ';', a '}' or a line break
	// ("s/foo/bar/ge replaces with code in Perl" is prose).
	`(?:(?:` + sedAddress + `(?:\s*,\s*` + sedAddress + `)?\s*!?\s*(?:\{\s*)?(?-i:e)\s*(?:` + shortOptionPrograms + `)\b|(?-i:e)\s+(?:` + shortOptionPrograms + `)(?:\s+-|\s*\z))|(?:` + sedAddress + `(?:\s*,\s*` + sedAddress + `)?\s*!?\s*(?:\{\s*)?)?(?-i:s)(?:/[^/\n]*/[^/\n]*/|\|[^|\n]*\|[^|\n]*\||#[^#\n]*#[^#\n]*#|:[^:\n]*:[^:\n]*:|,[^,\n]*,[^,\n]*,|@[^@\n]*@[^@\n]*@|![^!\n]*![^!\n]*!|_[^_\n]*_[^_\n]*_|%[^%\n]*%[^%\n]*%)[gpimw0-9]*(?-i:e)[gpimw0-9]*\s*(?:\z|[;}\n])|(?:(?-i:-v)(?:=|\s*)|--volume(?:=|\s+))` + hostPaths + `:\S|--mount(?:=|\s+)\S*?\b(?:source|src)=` + hostPaths + `(?:,|\s|\z)|(?:-c\s*|--command(?:=|\s+))?['\"]?\x5c(?:!|[ogw]\s*\|)\s*\S|[^\n]*?'\s*;?\s*\x5c(?:!|[ogw]\s*\|)\s*\S|--script-shell(?:=|\s+)['\"]?[/.~]|(?-i:-so)\s*\z` +
		// since a twelfth (attack 16, B15): zip's -TT and --unzip-command
		// (the program that tests the archive, -T), after other options
		// too (-T -TT id, --unzip-command=id); sqlite3's -cmd of .shell or
		// .system (-cmd .shell id); Ghostscript's output file as a pipe
		// (-sOutputFile=%pipe%id, -sOutputFile=|id, -o %pipe%id)
		`|(?:-\S+\s+)*?(?:(?:--` + abbreviations("unzip-command", 5) + `|(?-i:-TT))(?:=|\s+)['\"]?\S` +
		`|(?:-s\s*outputfile\s*[=#]?|(?-i:-o)\s*)['\"]?(?:%pipe%\s*|\|)\S)` +
		`|--?cmd(?:=|\s+)['\"]?\.(?:(?:sh(?:e(?:ll?)?)?|sy(?:s(?:t(?:em?)?)?)?)(?:\s|\z|['\"])|import\s+['\"]?\|))`,
}

// hostPaths are the host's paths whose mount into a container gives it
// the host (rule 210190): the root, /etc, /root, /proc, /sys, /dev,
// /boot, /home, /var/run and /run (the container runtime's socket), and
// the runtime's and the kubelet's state; with the slashes doubled and
// the dot segments the daemon cleans (//, /./, /.: attack 18).
const hostPaths = `/[/.]*(?:(?:etc|root|proc|sys|dev|boot|home|var/+run|run|var/+lib/+docker|var/+lib/+containerd|var/+lib/+kubelet)\b[^:\s,]*)?`

// sedAddress is a GNU sed address (rule 210190): a line, first~step, the
// last line, or a /regex/.
const sedAddress = `(?:\d+(?:~\d+)?|\$|/[^/\n]*/)`

// shortOptionPrograms are the programs after rsync's -e and man's -P
// that rule 210187 reads as an attack.
const shortOptionPrograms = `sh|bash|dash|zsh|ksh|python[23]?|perl|ruby|node|php|lua|nc|ncat|socat|curl|wget|busybox|env|id|touch|cat|xargs|awk|sed|openssl|base64`

// wgetCommands are .wgetrc's commands after wget's -e that rule 210188
// refuses: they send a file, set a proxy, write or read a file, or run a
// program (_ and - optional, as wget reads them).
const wgetCommands = `https?[_-]?proxy|ftp[_-]?proxy|use[_-]?proxy|no[_-]?proxy|post[_-]?file|post[_-]?data|body[_-]?file|body[_-]?data|method|output[_-]?document|dir[_-]?prefix|header|load[_-]?cookies|save[_-]?cookies|use[_-]?askpass|logfile|ca[_-]?certificate|certificate|private[_-]?key|input|base`

// programThenArgument is what follows tar's -I or -F, with no space
// between, for rules 210181-210186 to read it as a program run with an
// argument: a program's name an attacker runs (touch, curl, sh, ...) then
// white space or a '/' and more (-Itouch x; cat, -Icurl -o x http://e/x),
// or any word then a shell's operator later in the value (-Ifoo x; id).
// Words of prose after a dash are not (an eighth fresh-eyes attack,
// attack 12, had "-Facebook privacy settings", "-Italy pizza", a
// changelog's "-Fixed crash when saving" refused): before it, any word
// then white space was. A path after -I or -F (/srv/uploads/run) needs a
// directory in it ("-F/A-18 Hornet" passes).
const programThenArgument = `(?:` + tarPrograms + `)[\s/]+\S` +
	"|[^\\s/]*[\\s/][^;|&$`<>()]*(?:[;|&`\\n]|\\$\\()\\s*(?:" + tarPrograms + ")\\b"

// tarPrograms are the programs an attacker runs that programThenArgument
// names: after tar's -I or -F, and after a shell's operator later in the
// value. Since attack 16's session, any word then an operator counts only
// before one of these (-Ifoo x; id, -Ifoo x|sh, -Ifoo x$(id)): before,
// any operator at all did, and changelog lines and list items were
// refused ("-Fixed crash when saving (issue 12)", "-Improved sync speed
// (2x)", "-Italy pizza & pasta", "-Fixed a crash; thanks to Ann").
const tarPrograms = `sh|bash|dash|zsh|ksh|python[23]?|perl|ruby|node|php|lua|nc|ncat|socat|curl|wget|touch|id|cat|cp|mv|rm|chmod|chown|busybox|env|xargs|awk|sed|tee|openssl|base64|echo|printf|sleep|ping|find|dd`

// abbreviations is an expression of option's prefixes of at least least
// bytes, as getopt_long and git's parse-options accept a long option
// abbreviated (--upload-pa for --upload-pack): nested optional groups,
// linear, no repetition.
func abbreviations(option string, least int) string {
	re := regexp.QuoteMeta(option[:least])
	tail := ""
	for i := len(option) - 1; i >= least; i-- {
		tail = `(?:` + regexp.QuoteMeta(option[i:i+1]) + tail + `)?`
	}
	return re + tail
}

// otherOptions are the options (and their values) that may come before
// the one an argument-injection rule reads, when an application splits a
// value into several arguments (docker run $ARGS): "--rm -v /:/host",
// "-p 80:80 -v /:/host", "--checkpoint=1 --checkpoint-action=exec=id"
// (a fresh-eyes attack, attack 18: only the value's first option was
// read).
const otherOptions = `(?:-\S+(?:\s+[^-\s]\S*)?\s+)*?`

func argumentInjectionRules() string {
	var b strings.Builder
	for i, shape := range argumentShapes {
		fmt.Fprintf(&b, "SecRule "+valueTargets+" \"@rx (?i)\\A\\s*%s%s\" \"id:%d,phase:2,block,t:none,t:urlDecodeUni,msg:'Remote command execution: an option that runs a command, as one argument (argument injection)',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%%{tx.critical_anomaly_score}'\"\n", otherOptions, shape, 210181+i)
	}
	return b.String()
}
