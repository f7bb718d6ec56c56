package waf

import (
	"fmt"
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
//     for each shape, 210181 to 210186: Coraza 3.8.1's @rx prefilter
//     (SecRxPreFilter, which the waf now leaves off for this and other
//     misses, waf.go) misses "-oProxyCommand=id" with the shapes as
//     alternatives of one expression (-o\s*... and --(...) side by
//     side), each alone it matches; TestExecRules runs them through
//     Coraza with the prefilter on, so they hold either way.
var execRules = `SecRule ARGS|REQUEST_COOKIES "@rx (?i)\bcopy\s+(?:\(\s*select\b[^;]*?\)|[\w.\x22]+(?:\s*\([^)]*\))?)\s+(?:to|from)\s+program\s+(?:e?'|\$\w*\$)" "id:210180,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: PostgreSQL COPY to or from PROGRAM (command execution)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
` + argumentInjectionRules()

// argumentShapes are rule 210181's to 210186's expressions, one each.
var argumentShapes = []string{
	`-o\s*(?:proxycommand|localcommand)\s*=`,
	`--(?:upload-pack|receive-pack|exec|open-files-in-pager|use-compress-program|to-command|rsh-command)(?:=|\s)`,
	`--checkpoint-action\s*=\s*exec`,
	`(?:-c\s*|--config(?:=|\s+))core\.(?:sshcommand|pager|editor|fsmonitor|hookspath|gitproxy)\s*=`,
	`-exec(?:dir)?\s+\S`,
	`ext::`,
}

func argumentInjectionRules() string {
	var b strings.Builder
	for i, shape := range argumentShapes {
		fmt.Fprintf(&b, "SecRule ARGS|REQUEST_COOKIES \"@rx (?i)^\\s*%s\" \"id:%d,phase:2,block,t:none,t:urlDecodeUni,msg:'Remote command execution: an option that runs a command, as one argument (argument injection)',tag:'application-multi',tag:'attack-rce',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%%{tx.critical_anomaly_score}'\"\n", shape, 210181+i)
	}
	return b.String()
}
