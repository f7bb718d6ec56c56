package waf

import (
	"net/url"
	"strings"
	"testing"
)

// TestAttack95SQL are attack 95's SQL finds, each run on MariaDB 10.11,
// PostgreSQL 15 and SQLite 3.40 behind string-built queries: a CASE
// expression after the closing quote and an operator or a comma (x'=case
// when 1 then 0 end-- - logged in; a WHEN with a subquery read another
// table), and an IN ('...') list's element that is no string
// (x',customer,' printed every row) (210229).
func TestAttack95SQL(t *testing.T) {
	operatorTable(t, "210229", sqlClosedQuoteExpr,
		[]string{"x'=case when 1 then 0 end-- -", "x'=case when 1 then 0 end#", "x'=case when 1 then 0 end;", "x'=case when 1 then 0 end and '",
			"x'=case 1 when 1 then 0 end-- -", "admin'=case when (select v from secrets limit 1) like 'sk%' then 1 end-- -",
			"x'=case when version() like '1%' then 0 end-- -", "x',case when password like 'S%' then username end,'",
			`x"=case when 1 then 0 end-- -`,
			"x',customer,'", "x',+customer,'", "x',customer*1,'", "x',replace(customer,password,''),'", "x', customer , '",
			"a','b',customer,'",
			// review 95
			`x\'=case when 1 then 0 end-- -`, `x\\'=case when 1 then 0 end-- -`,
			"x'=case when 1" + strings.Repeat(" ", 300) + "then 0 end-- -", "x',customer ||'','", "x'#\n=case when 1 then 0 end-- -"},
		[]string{"x' regexp case when 1 then '.' end-- -", "x' rlike case when 1 then '.' end-- -", "x' is not case when 1 then 5 end-- -",
			"x' glob case when 1 then '*' end-- -", "x'=(select case when 1 then 0 end)-- -", "x' or case when 1 then 1 end or '", "x' = ( case when 1 then 0 end ) -- -"},
		[]string{"print('Name:', name, 'Age:')", "the 'red', green, 'blue' set", "He said 'yes', then, 'no'", "x', and, 'y'",
			"In this 'case' when it rains then we end early", "'a',b,'c'",
			"Use 'case when' syntax", "don't, won't, can't", "I'm here, you're there, 'ok'", "Rock 'n' roll, baby, 'yeah'",
			"O'Brien, Smith, 'Jones'",
			// review 95
			"Don't mix 'red', green, 'blue'", "Here's my code: print('Name:', name, 'Age:')", "# don't\nfoo('a', bb, 'c')",
			"It's: SELECT * FROM t WHERE a IN ('x', col, 'y')"})
	// what the CRS alone refuses, the operator passes too
	for _, v := range []string{"I can't: SELECT name, 'x', CASE WHEN a THEN 1 END", "It's 'a'=CASE WHEN b THEN c END"} {
		if sqlClosedQuoteExpr(v) {
			t.Errorf("210229 matches %q", v)
		}
	}
}

// FuzzSQLClosedQuote: any value is read by 210229 without a panic, and a
// match needs a quote.
func FuzzSQLClosedQuote(f *testing.F) {
	for _, v := range []string{"x'=case when 1 then 0 end-- -", "x',customer,'", "print('a', b, 'c')", "'", "',(,'", "x',a(b,c),'"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if sqlClosedQuoteExpr(v) && !strings.ContainsAny(v, `'"`) {
			t.Fatalf("210229 matches %q, which holds no quote", v)
		}
	})
}

// TestCPUBoundAttack95 repeats the new readings' shapes to the body limit
// through a real Caddy.
func TestCPUBoundAttack95(t *testing.T) {
	repeatedJSONUnder(t, "'=case when ", "'=case ", "',a,", "',a(", "',(((", "' or case ", "a'", "x'=case when 1 then 0 end ",
		"'=case when"+strings.Repeat(" ", 60), "'#\n", "' is not like or ", "',a ||'',", "\\'=case ", "{% include '", "{% include 'a' ~ ", "{%{%{%", "{% include x %}{{ 'a' }}",
		"{%include'a'%}'~/"+strings.Repeat("{{/", 82), "'"+strings.Repeat("{", 250), "{{'a/b/c/d/e'", "{{ include "+strings.Repeat(`"a" `, 40)+"}}")
}

// TestAttack95Template: a template tag that includes a secret's file
// (Jinja 3.1 printed .env for {% include '.env' %}) (210231).
func TestAttack95Template(t *testing.T) {
	tableOnly(t)
	var misses, passes []probe
	for _, v := range []string{"{% include '.env' %}", "{% extends '.env' %}", "{{ source('.env') }}", `{%- include ".env.production" -%}`,
		"{% include 'config/master.key' %}", "{% import '/run/secrets/db_password' as x %}", "{{ include('/var/run/secrets/kubernetes.io/serviceaccount/token') }}",
		// review 95
		"{%include'.env'%}", "{% include ['.env'] %}", "{% include ('.env') %}", "{% include '.e' ~ 'nv' %}", "{% include '.e' + 'nv' %}",
		`{% include '\x2eenv' %}`, "{# {% include 'a.html' %} #}{% include '.env' %}", "{% include 'a.html' %}{% include '.env' %}",
		"{% set x='.env' %}{% include x %}", "{% render '.env' %}", "{% use '.env' %}",
		// attack 96: Caddy's templates
		`{{ include ".env" }}`, `{{ readFile ".env" }}`, `{{include ".env"}}`, "{{ readFile `.env` }}", `{{ include "/run/secrets/db_password" }}`,
		// review 96
		`{{ ".env" | include }}`, `{{".env"|readFile}}`, `{{ (include ".env") }}`,
		`{{ $f := ".env" }}{{ include $f }}`, `{{ include (print ".e" "nv") }}`, `{{ include "\056env" }}`,
		"{{ include" + strings.Repeat(" ", 260) + `".env" }}`, "{% include '.e' 'nv' %}", "{% include 'vne.'|reverse %}",
		"{% include '\\056env' %}", "{% include '\\N{FULL STOP}env' %}"} {
		misses = append(misses, probe{name: "query " + v, method: "GET", path: "/api/items?q=" + url.QueryEscape(v)},
			probe{name: "JSON " + v, method: "POST", path: "/api/items", contentType: "application/json", body: jsonString("q", v)})
	}
	for _, v := range []string{"{% include 'header.html' %}", "{% extends 'base.html' %}", "{{ source('partials/nav.twig') }}",
		"Copy .env.example to .env, then {% include 'a.html' %}", "{% include 'a' ~ 'b.html' %}", "{{ title }} {% if x %}.env{% endif %}",
		"{% set x = 'y' %}{{ x }}", `{{ include "header.html" }}`, `{{ readFile "notes.txt" }}`,
		// review 96
		`{{ include "app.fullname" . }} {{ default "/run/secrets/db_password" .Values.pwFile }}`,
		"{% include 'nav.html' %} Put your key in {{ '.env' }}", `{% extends 'base.html' %}{% block c %}Edit <code>{{ "id_rsa" }}</code>{% endblock %}`,
		"{% include 'nav.html' %}{{ form.password(placeholder='.env') }}"} {
		passes = append(passes, probe{name: "query " + v, method: "GET", path: "/api/items?q=" + url.QueryEscape(v)})
	}
	var crs []probe
	for _, v := range []string{`{{ print (include ".env") }}`, `{{ listFiles "/" }}`, "{% include ['.e','nv']|join %}"} {
		if !templateInclude(v) {
			t.Errorf("210231 misses %q", v)
		}
		crs = append(crs, probe{name: "query " + v, method: "GET", path: "/api/items?q=" + url.QueryEscape(v)})
	}
	if !templateInclude(`{{ include "\U0000002eenv" }}`) {
		t.Errorf("210231 misses \\U")
	}
	runBeyondTheCRS(t, crs, misses, passes)
}

// FuzzTemplateInclude: any value is read by 210231 without a panic, and a
// match needs a string (or Caddy's listFiles).
func FuzzTemplateInclude(f *testing.F) {
	for _, v := range []string{"{% include '.env' %}", "{% include '\\x2e' ~ 'env' %}", "{{ source('a') }}", "{%", "{% include '\\", "{% include '\\u00"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if templateInclude(v) && !strings.ContainsAny(v, "'\"`") && !strings.Contains(strings.ToLower(v), "listfiles") {
			t.Fatalf("210231 matches %q, which holds no string", v)
		}
	})
}
