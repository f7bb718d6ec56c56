package waf

import (
	"strings"
	"testing"
)

// tsqlApostropheBenign are attack 76's false positives of 210201 (a
// contraction's apostrophe before the statement, and a later one read as
// a string left open) and a review's (WHILE then USE, EXEC of a word).
var tsqlApostropheBenign = []string{"I can't delete from inbox where it's stuck", "It's a bug: you can't drop table users if it's locked",
	"Can't create user accounts on the admin page, it's broken", "We can't create table reservations on weekends, it's policy",
	"Let's merge the branches using git, it's easy", "The script's while loop print 1 never ends, what's wrong?",
	"We couldn't insert into table values it's weird", "Don't update users set their hopes high, it's fine",
	"Don't close the tab while you use it, it's still saving", "I'll update the set list tonight, it's almost done",
	"I'd run kubectl exec mypod -- ls to check", "We'll exec the script, it's in bin/", "uuid::Uuid::new_v4()"}

// tsqlApostropheAttacks keep a quote between letters where SQL opens a
// string (like's, N'x'and), a table hint in UPDATE (a review), and
// attack 76's xmlparse reads (run on PostgreSQL 15).
var tsqlApostropheAttacks = []string{"x' delete from users where 1=1 or name like's", "x' delete from users where name=N'x'and'a'='a",
	"x' update users with (tablock) set is_admin=1--", "x' update users with(rowlock) set is_admin=1 where name='me",
	"x'||xmlparse(document password)||'", "x' and xmlparse(document password) is null--", "name, (xmlparse(document password) is null)",
	"name, xmlparse(document password) is null"}

// TestTSQLApostrophes: rules 210201 and 210202 refuse
// tsqlApostropheAttacks through a real Caddy and none of
// tsqlApostropheBenign.
func TestTSQLApostrophes(t *testing.T) {
	operatorTable(t, "210201", func(v string) bool { return tsqlStatement(v) || sortListProbe(v) }, tsqlApostropheAttacks, nil, tsqlApostropheBenign)
}

// jsSinkAnywhereAttacks are attack 76's and a review's JavaScript string
// breakouts that 210203's first version missed: a sink passed as a
// callback or reached through constructor or Reflect, comparison and
// word operators, ] and } closers, comments and Unicode blanks before
// the sink, optional chaining, this., jQuery's evaluators, window.open.
// Node ran each inside var s = '...' (the attacker and the review).
var jsSinkAnywhereAttacks = []string{"'-[name].find(eval)-'", "'-[name].map(eval)-'", "'+[name].find(eval)+'", `"-[name].find(eval)-"`,
	"'-Reflect.apply(eval,0,[name])-'", "'-[].at.constructor(name)()-'", "'-top.open(name,'_self')-'", "'-open.call(0,name,'_self')-'",
	"'==location.assign(name)=='", "'<location.assign(name)<'", "'in location.assign(name)//", "'];location.assign(name)//",
	"'};location.assign(name)//", "'-/**/location.assign(name)-'", "'-\u00a0location.assign(name)-'", "'-location?.assign(name)-'",
	"'-this.location.assign(name)-'", "'-constructor.constructor(name)()-'", "'-$.getScript(name)-'", "'-jQuery.globalEval(name)-'",
	"'-window.open(name)-'"}

// jsSinkAnywhereBenign are a review's false positives of the first
// version (code quoted in posts, prose), which end as no breakout does.
var jsSinkAnywhereBenign = []string{"import a from 'a';", "UPDATE t SET name='x', location='NYC' WHERE id=1", `Attached: "Q3 budget", document.pdf`,
	`See "Q3 report" - document.docx`, `Meeting "kickoff", location = Room 4`, `"Sunset over the bay" - Image (c) Jane Doe`, "He said 'hi' - then left"}

// jsSinkAnywhereBenignCRS are more of them, which the CRS refuses alone.
var jsSinkAnywhereBenignCRS = []string{"const url = '/api/items'; fetch(url).then(r => r.json())", `el.textContent = "Saved"; alert("done")`,
	"x = input('> '); eval(x)", "import('./lazy.js')", "Click 'Save'; confirm (if asked) the dialog", "'Save' - open(file), it's done"}

// TestJSSinkAnywhere: rule 210203 refuses jsSinkAnywhereAttacks through a
// real Caddy and none of the benign texts (the CRS's own refusals checked
// on the operator only).
func TestJSSinkAnywhere(t *testing.T) {
	for _, v := range jsSinkAnywhereBenignCRS {
		if jsStringBreakout(v) {
			t.Errorf("210203 matches the benign %q", v)
		}
	}
	operatorTable(t, "210203", jsStringBreakout, jsSinkAnywhereAttacks, nil, jsSinkAnywhereBenign)
}

// shellToolReviewAttacks are a review's spellings of attack 75's tool
// commands (each run by the reviewer): quoted or escaped names, vim's
// other shell commands, padding, git's environment and other options.
var shellToolReviewAttacks = []string{"x;v''im -es -c ':!id' -c ':q!'", "x;\\vim -es -c ':!id' -c ':q!'", `x;"vim" -es -c ':!id' -c ':q!'`,
	"x;vim -es -c 'r!id' -c 'q!'", "x;vim -es -c 'silent !id' -c 'q!'", "x;vim -es -c '%!id' -c 'q!'", "x;vim -es +'%!id' -c 'q!'",
	"x;vim -es -c \\!id -c q\\!", "x;vim" + strings.Repeat(" ", 260) + " -es -c ':!id' -c ':q!'",
	"x;git" + strings.Repeat(" -c a.b=1", 30) + " -c core.sshCommand=id ls-remote ssh://x/y", "x;GIT_SSH_COMMAND=id git ls-remote ssh://x/y",
	"x;A=id git --config-env=core.sshCommand=A ls-remote ssh://x/y", "x;git ls-remote --upload-pack='id;git-upload-pack' .",
	"x;git -c pager.log='id;cat' log", "x;git -c 'core.sshCommand'='id' ls-remote ssh://x/y", `x;git -c core.ssh""Command=id ls-remote`,
	"x;zip z.zip a -T -TT='id #'"}

// shellToolReviewBenign are a review's false positives (hardening advice
// in Markdown, a sale's prose) and near-misses.
var shellToolReviewBenign = []string{"Use `git -c credential.helper= clone https://example.com/r.git` to skip the helper",
	"Try `git -c core.pager=cat log` if the pager hangs", "Hardening: `git -c protocol.ext.allow=never fetch`",
	"Slow status? `git -c core.fsmonitor=false status`", "x;vim -c ':set ff=unix' -c ':wq' file", "x;vim -c ':q!' file", "x;EDITOR=vim git commit"}

// TestShellToolReview: rule 210193 refuses shellToolReviewAttacks through
// a real Caddy and none of shellToolReviewBenign.
func TestShellToolReview(t *testing.T) {
	if shellPrefixed("Sale ends Friday; view +shoes and more") || shellPrefixed("Skip hooks once:\ngit -c core.hooksPath=/dev/null commit -m wip") {
		t.Error("210193 matches a review's false positive (the CRS refuses it alone)")
	}
	operatorTable(t, "210193", shellPrefixed, shellToolReviewAttacks, nil, shellToolReviewBenign)
}

// review4Attacks are a fourth review's: JavaScript breakouts ended by a
// string after typeof/in, a regular expression's quote, -->, padding;
// vim's and git's other commands; T-SQL aliases after a name; PostgreSQL's
// ~ and $$ in a sort CASE.
var review4Attacks = []string{"'-location.assign(name)-typeof'x", "'-location.assign(name)-/'/-'",
	"'-location.assign(name)\n-->''", "'-\"" + strings.Repeat("x", 300) + "\"-location.assign(name)-'", "'-" + strings.Repeat("1+", 140) + "location.assign(name)-'",
	"x;vim -es -c 'sil !id' -c 'q!'", "x;vim.tiny -es -c ':!id' -c ':q!'",
	"x;vim -es -c 'py3 import os'", "x;git rebase --exec id HEAD~1", "x;git rebase -x id HEAD~1",
	"x;git -c gpg.program=id verify-commit HEAD", "x;git -c diff.x.textconv=id diff", "x;git difftool -y -x id HEAD~1", "x;git grep -Oid x",
	"x;A=id git --config-env core.sshCommand=A ls-remote ssh://x/y", "x' delete from users select @@version'x", "x' delete from users select user'x",
	"x' delete from users select distinct'a", "case when password ilike $$a%$$ then id else name end",
	"case when password ~ $$^a$$ then id else name end"}

// review4Benign are its false positives: plural possessives after a
// quoted label, git's everyday settings, vim's filters.
var review4Benign = []string{"Select 'Export' - then the document, as in the teachers' guide.", "Caption: 'Sunset' - Image (c) the photographers' guild",
	"cd myrepo && git -c core.editor=vim rebase -i HEAD~3", "cd repo; git -c credential.helper=store push", "cd repo && git -c diff.external=difft diff",
	"cd repo && git -c core.pager='less -R' log", "x;vim -c '%!jq .' x.json", "x;vim -b -c '%!xxd' firmware.bin"}

// TestReview4: rules 210193, 210201, 210202 and 210203 refuse
// review4Attacks through a real Caddy and none of review4Benign.
func TestReview4(t *testing.T) {
	operatorTable(t, "2102xx", func(v string) bool {
		return jsStringBreakout(v) || shellPrefixed(v) || tsqlStatement(v) || sortListProbe(v)
	}, review4Attacks, []string{"'-alert(1)in'x", "';alert(1);/'/;'", "x;rview -c ':!id'", "x;vim</dev/null -es -c ':!id'",
		"x;vim -es -c 'echo system(\"id\")'", "x' update users set role=1 select user'x"}, review4Benign)
}
