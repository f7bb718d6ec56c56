package waf

import (
	"net/url"
	"strings"
	"testing"
)

// TestAttack90 are attack 90's finds in SQL and templates: PostgreSQL's
// (TABLE t) compared, which read a whole secret a character at a time on
// PostgreSQL 15 in every place (210218, new); Caddy's templates reading
// the environment with placeholder "env.X" (a Caddy with templates on
// the response returned the secret) and env in a pipeline (210215). The
// shell and Windows finds are TestAttack90Shell, TestAttack90Lookups and
// TestAttack90Win.
func TestAttack90(t *testing.T) {
	operatorTable(t, "210218", tableCompared,
		[]string{"x' or (table secrets) like 'tok_9%", "x' or (table secrets)>'m", "x' or (table secrets) ~ '^tok_9",
			"x' or (table secrets) between 'a' and 'u", "x' or (table secrets) in ('a','b", "1 and (table secrets)<'m'",
			"name,((table secrets limit 1)>'m')"},
		[]string{"x' or 'm'<(table secrets) or '", "x' or ( table public.secrets order by s desc limit 1 ) similar to 'tok%"},
		[]string{"see (table below) is great", "results (table 3) > 2 rows", "the (table of contents) = index", "(table below) in the appendix",
			"Set the (table name) like this"})
	operatorTable(t, "210215", templateRuntime,
		[]string{`{{placeholder "env.SECRET_TOKEN"}}`, `{{ "env.SECRET_TOKEN" | placeholder }}`, "{{ph `env.X`}}"},
		[]string{`{{ "SECRET" | env }}`, "{{ env `SECRET` }}"},
		[]string{`{{ placeholder "http.request.uri" }}`, `{{ .Values.env | toYaml }}`, `Set {{ .Env }} in the env. file`, `{{ph "http.request.host"}} env.X`})
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent (table) compared", "User-Agent", "x' or (table secrets) like 'tok_9%"),
			h("Referer placeholder env", "Referer", `{{placeholder "env.SECRET_TOKEN"}}`)},
		[]probe{{name: "Caddy templates how-to", method: "GET", path: "/search?q=" + url.QueryEscape(`Use {{placeholder "http.request.uri.path"}} in a page`)}})
}

// TestReview89 are a review's finds in attack 89's SQL fixes: OPERATOR()
// padded past 64 bytes, with a comment, a quoted schema, a blank before
// the dot, a longer operator, a sign before the number (210216, 210217);
// a long number in a concatenation and array[(select ...)] (210212);
// arithmetic, a cast or || after a call of a name joined by underscores,
// || before it (MariaDB's OR), blanks around SQLite's time( ) (210169);
// each run on PostgreSQL 15, MariaDB 10.11 or SQLite 3.40. And its false
// positives: an apostrophe that made a quote look odd (Here's the fix:
// WHERE a = 'x' OR is_admin(id) = 1; Don't use OPERATOR(=) ...).
func TestReview89(t *testing.T) {
	pad := strings.Repeat(" ", 70)
	ones := strings.Repeat("1", 70)
	operatorTable(t, "210216", pgOperatorCondition,
		[]string{"x'" + pad + "or 1 operator(=) 1--", "x' or " + ones + " operator(=) " + ones + "--", "x' or 1 operator(--c\n=) 1--"},
		[]string{`x' or 1 operator("pg_catalog".=) 1--`, "x' or 1 operator(pg_catalog .=) 1--", "x' or 'a' operator(pg_catalog.~<=~) 'b'--",
			`x' or 1 operator("pg_catalog".=) 1 or 'f`},
		[]string{"Don't use OPERATOR(=) unless you need schema-qualified operators", "5 reasons I don't use OPERATOR(=) in views"})
	operatorTable(t, "210217", pgOperatorAfterNumber,
		[]string{"-5 or 1 operator(=) 1", "5 or " + ones + " operator(=) " + ones, "5--c\nor 1 operator(=) 1"},
		[]string{`5 or 1 operator("pg_catalog".=) 1`}, nil)
	operatorTable(t, "210212", quoteConcatSubquery,
		nil,
		[]string{"x'||" + strings.Repeat("1", 170) + "||(select string_agg(password,',') from users)||'",
			"x'||array[(select string_agg(password,',') from users)]::text||'", `x' operator("pg_catalog".||) (select string_agg(password,',') from users) operator("pg_catalog".||) '`,
			"x' operator(pg_catalog .||) (select string_agg(password,',') from users) operator(pg_catalog .||) '"},
		[]string{"'a'||array[1,2]||'b'"})
	operatorTable(t, "210169", sqlQuotedCall,
		[]string{"x' or txid_current()+0>0--", "x' || st_x(point(1,1)) || '", "x' || sys_guid() || '", "x' or sys_guid() || '",
			"x' or natural_sort_key('1') || '", "x' or st_x(point(1,1))+0 or '", "x' or time ()>0 or '", "x' or time( )>0 or '", "x' or mod (3,2) or '"},
		[]string{"x' or txid_current()::int>0--"},
		nil)
	h := headerProbe
	runBeyondTheCRS(t, []probe{h("User-Agent long number", "User-Agent", "x'||"+strings.Repeat("1", 170)+"||(select string_agg(password,',') from users)||'")},
		[]probe{h("User-Agent quoted schema", "User-Agent", `x' or 1 operator("pg_catalog".=) 1--`),
			h("User-Agent array[", "User-Agent", "x'||array[(select string_agg(password,',') from users)]::text||'"),
			h("User-Agent operator(pg_catalog .||)", "User-Agent", "x' operator(pg_catalog .||) (select string_agg(password,',') from users) operator(pg_catalog .||) '"),
			h("User-Agent union after prose and ;", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64);1 union select password from users")},
		[]probe{{name: "Here's the fix", method: "GET", path: "/search?q=" + url.QueryEscape("Here's the fix: WHERE a = 'x' OR is_admin(id) = 1")},
			{name: "I've tried", method: "GET", path: "/search?q=" + url.QueryEscape("I've tried WHERE role = 'admin' OR has_role(id, 'admin') = true")},
			{name: "Here's my code", method: "GET", path: "/search?q=" + url.QueryEscape("Here's my code: name = d.get('name') or default_name() # fallback")},
			{name: "It's foo", method: "GET", path: "/search?q=" + url.QueryEscape("It's 'foo' or get_value(x) > 3 that matters")},
			{name: "Don't use OPERATOR", method: "GET", path: "/search?q=" + url.QueryEscape("Don't use OPERATOR(=) unless you need schema-qualified operators")},
			{name: "5 reasons", method: "GET", path: "/search?q=" + url.QueryEscape("5 reasons I don't use OPERATOR(=) in views")}})
}

// TestCPUBoundAttack90: 16 KiB of the shapes attack 90's and the
// review's fixes read cost a request what the bound allows, through Caddy.
func TestCPUBoundAttack90(t *testing.T) {
	repeatedJSONUnder(t, "(table a", "(table a)", "((table a limit 1", "{{ph \"env.", "{{", "{{ env", "operator(--", "operator(\"", "'operator(=)", "x' or a_b()+", "'||array[")
}
