package waf

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
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
	var misses, benign []probe
	for _, s := range templateMoreProbes {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/hello?name=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api", contentType: "application/json", body: jsonString("name", s)})
	}
	for _, s := range templateMoreBenign {
		benign = append(benign, probe{name: "JSON " + s, method: "POST", path: "/api/templates", contentType: "application/json", body: jsonString("body", s)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}

func jsonString(k, v string) string {
	b, _ := json.Marshal(map[string]string{k: v})
	return string(b)
}
