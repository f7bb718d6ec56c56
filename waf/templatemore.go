package waf

import "strings"

// templateMoreRule is rule 210114: the template probes that rules 210110
// and 210113 let through, found by a fifth fresh-eyes attack (F3, F3b),
// every one a number-only computation or a read of a secret that no
// template a person writes holds:
//   - whitespace control and other openings: Jinja2's {{- 7*7 -}} and
//     {%- set x = 7*7 -%}, JsRender's {{:7*7}}, Latte's {=7*7};
//   - numbers as Jinja2 also writes them: 7e0, 7_0; Twig's and Jinja2's
//     ~ (concatenation: {{ 7~7 }} renders 77);
//   - arithmetic followed by a filter ({{ 7*7|string }}), or a number
//     times a number anywhere inside {{ }} or {% %} ({{ '%d'|format(7*7)
//     }}), a string times a number ({{'a'*7}}), a filter on a literal then
//     arithmetic ({{ '7'|int * 7 }}, {{ "abc"|length * 7 }}), a list of
//     numbers summed ({{ [7,7]|sum }}), divisibleby, max/min of numbers,
//     Twig's b-and/b-or/b-xor between numbers, a dunder method called
//     ({{ (7).__mul__(7) }}), Django's settings.UPPER_CASE and {%
//     widthratio %};
//   - {% with x = 7*7 %} and {% set x = 7 %}{{ x * x }};
//   - ERB's <%= 7.*(7) %> and <%= 7.send(:*, 7) %>, Cheetah's #set $x =
//     7*7, Razor's @{var x=7*7;}, Blade's @php ... @endphp.
//
// A number is bounded by a word boundary ({{ item2 * 3 }} is a variable
// times a number, not refused). Not refused: templates on variables
// ({{ user.name }}, {{ price * quantity }}, {{ items|length }}).
var templateMoreRule = `SecRule ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer "@rx ` +
	strings.ReplaceAll(strings.ReplaceAll(strings.Join([]string{
		// whitespace control, JsRender, Latte; exponents, separators, ~;
		// a filter after
		`(?:\{\{[-+~=:>]?|\{%[-+]?|\{=)\s*[\s(\[]*NUMQ[\s)\]]*(?:[*/%+~-]{1,2}|\s)\s*[\s(\[]*NUMQ[\s)\]]*(?:[-+~]?\}\}?|[-+]?%\}|\|)`,
		// assignments
		`\{%[-+]?\s*(?:set|with)\s+\w+\s*=\s*[\s(\[]*NUMQ[\s)\]]*[*/%+~-]{1,2}\s*[\s(\[]*NUMQ`,
		`\{%[-+]?\s*set\s+\w+\s*=\s*NUM\s*[-+]?%\}\s*\{\{[-+~]?\s*\w+\s*[*/%~]\s*\w+\s*[-+~]?\}\}`,
		// inside {{ }} or {% %}, anywhere
		`(?:\{\{|\{%)[^}]*?(?:\bNUM\s*\*\s*-?NUM|['\"][^'\"]*['\"]\s*\*\s*\d|\|\s*(?:int|float|length|count|abs|round|sum)\s*[*/%+~-]\s*\d|\[\s*-?NUM(?:\s*,\s*-?NUM)+\s*\]\s*\|\s*(?:sum|max|min)\b|\bdivisibleby\b|\b(?:max|min)\s*\(\s*-?NUM\s*,\s*-?NUM|\bNUM\s+b-(?:and|or|xor)\s+NUM|__\w+__\s*\(|\bsettings\.[A-Z][A-Z0-9_]+\b)`,
		`\{%[-+]?\s*widthratio\s`,
		// ERB's methods on numbers, Cheetah, Razor, Blade
		`<%[=-]?\s*\(?NUM\)?\s*\.\s*(?:[*/%+-]|(?:public_)?send\b|__send__\b)`,
		`#set\s+\$\w+\s*=\s*NUM\s*[*/%+-]\s*NUM`,
		`@\{[^}]*?=\s*NUM\s*[*/%+-]\s*NUM`,
		`@php\s[\s\S]*?@endphp`,
	}, "|"), "NUMQ", `['\"]?-?NUM['\"]?`), "NUM", `(?:0[xXoObB][0-9a-fA-F]+|\d+(?:[._]\d+)*(?:[eE][+-]?\d+)?)`) + `" "id:210114,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: arithmetic or a secret in other template forms',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`
