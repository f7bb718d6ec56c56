package waf

import (
	"strings"
	"sync"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
)

// templateMoreRule is rule 210114: the template probes that rules 210110
// and 210113 let through, found by a fifth fresh-eyes attack (F3, F3b),
// every one a number-only computation or a read of a secret that no
// template a person writes holds:
//   - whitespace control and other openings: Jinja2's {{- 7*7 -}} and
//     {%- set x = 7*7 -%}, JsRender's {{:7*7}}, Latte's {=7*7};
//   - numbers as Jinja2 also writes them: 7e0, 7_0, and an attribute of
//     a number (7.real, 7 .real: a sixth fresh-eyes attack, attack 10,
//     B21); Twig's and Jinja2's ~ (concatenation: {{ 7~7 }} renders 77);
//   - arithmetic followed by a filter ({{ 7*7|string }}), or a number
//     times a number anywhere inside {{ }} or {% %} ({{ '%d'|format(7*7)
//     }}), a string times a number ({{'a'*7}}), a filter on a literal then
//     arithmetic ({{ '7'|int * 7 }}, {{ "abc"|length * 7 }}, and since B21
//     {{ [7]|first * 7 }}), a list or a tuple of numbers summed
//     ({{ [7,7]|sum }}, {{ (7,7)|sum }}), divisibleby, max/min of numbers,
//     Twig's b-and/b-or/b-xor between numbers, a dunder method called
//     ({{ (7).__mul__(7) }}), Django's settings.UPPER_CASE and {%
//     widthratio %};
//   - since a seventh (attack 11): a number in parentheses then its
//     attribute ({{ (7).real*7 }}), wordcount then arithmetic, sum with
//     a start ({{ [7]|sum(start=42) }}), center(49)|length, and a dict
//     literal subscripted, read or filtered, then arithmetic
//     ({{ {'a':7}['a']*7 }}, {{ {7:7}|length*7 }});
//   - {% with x = 7*7 %} and {% set x = 7 %}{{ x * x }};
//   - ERB's <%= 7.*(7) %> and <%= 7.send(:*, 7) %>, Cheetah's #set $x =
//     7*7, Razor's @{var x=7*7;}, Blade's @php ... @endphp.
//
// A number is bounded by a word boundary ({{ item2 * 3 }} is a variable
// times a number, not refused). Not refused: templates on variables
// ({{ user.name }}, {{ price * quantity }}, {{ items|length }}).
var templateMoreRule = `SecRule ` + valueNameHeaderTargets + ` "@rx ` +
	strings.ReplaceAll(strings.ReplaceAll(strings.Join([]string{
		// whitespace control, JsRender, Latte; exponents, separators, ~;
		// a filter after
		`(?:\{\{[-+~=:>]?|\{%[-+]?|\{=)\s*[\s(\[]*NUMQ[\s)\]]*(?:[*/%+~-]{1,2}|\s)\s*[\s(\[]*NUMQ[\s)\]]*(?:[-+~]?\}\}?|[-+]?%\}|\|)`,
		// assignments
		`\{%[-+]?\s*(?:set|with)\s+\w+\s*=\s*[\s(\[]*NUMQ[\s)\]]*[*/%+~-]{1,2}\s*[\s(\[]*NUMQ`,
		`\{%[-+]?\s*set\s+\w+\s*=\s*NUM\s*[-+]?%\}\s*\{\{[-+~]?\s*\w+\s*[*/%~]\s*\w+\s*[-+~]?\}\}`,
		// inside {{ }} or {% %}, anywhere
		`(?:\{\{|\{%)[^}]*?(?:\bNUM\s*\*\s*-?NUM|['\"][^'\"]*['\"]\s*\*\s*\d|\|\s*(?:int|float|length|count|abs|round|sum|first|last|max|min|wordcount)\s*[*/%+~-]\s*\d|[\[(]\s*-?NUM(?:\s*,\s*-?NUM)*\s*,?\s*[\])]\s*\|\s*sum\s*\(\s*(?:start\s*=\s*)?-?NUM|\|\s*center\s*\(\s*NUM\s*\)\s*\|\s*(?:length|count|wordcount)\b|[\[(]\s*-?NUM(?:\s*,\s*-?NUM)+\s*,?\s*[\])]\s*\|\s*(?:sum|max|min)\b|\bdivisibleby\b|\b(?:max|min)\s*\(\s*-?NUM\s*,\s*-?NUM|\bNUM\s+b-(?:and|or|xor)\s+NUM|__\w+__\s*\(|\bsettings\.[A-Z][A-Z0-9_]+\b)`,
		// a dict literal subscripted, read or filtered, then arithmetic
		`\{\{[-+~]?\s*\(?\s*\{[^{}]*\}\s*\)?\s*(?:\[[^\]]*\]|\.\s*\w+(?:\s*\([^)]*\))?|\|\s*\w+)\s*[*/%+~-]\s*[\s(]*['\"]?-?\d`,
		`\{%[-+]?\s*widthratio\s`,
		// ERB's methods on numbers, Cheetah, Razor, Blade
		`<%[=-]?\s*\(?NUM\)?\s*\.\s*(?:[*/%+-]|(?:public_)?send\b|__send__\b)`,
		`#set\s+\$\w+\s*=\s*NUM\s*[*/%+-]\s*NUM`,
		`@\{[^}]*?=\s*NUM\s*[*/%+-]\s*NUM`,
		`@php\s[\s\S]*?@endphp`,
	}, "|"), "NUMQ", `['\"]?-?NUM['\"]?`), "NUM", `(?:0[xXoObB][0-9a-fA-F]+|\d+(?:[._]\d+)*(?:[eE][+-]?\d+)?)(?:\)?\s*\.\s*(?:real|imag|numerator|denominator)\b)?`) + `" "id:210114,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: arithmetic or a secret in other template forms',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@rx ` + templateCodeRule + `" "id:210116,phase:2,block,t:none,t:urlDecodeUni,msg:'Code injection: Groovy, Ruby or Python code that runs a command',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@rx ` + formatFieldRule + `" "id:210117,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection: a format field that reads a dunder attribute',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
` + templateSpaceRule

// formatFieldRule is rule 210117: a replacement field of Python's
// str.format (Flask or Django code that runs
// user_template.format(user=current_user)) whose chain of attributes and
// keys reaches a dunder attribute that leads to a module's globals, the
// builtins or an object's fields: {user.__class__.__init__.__globals__
// [CONFIG][SECRET_KEY]}, {0.__init__.__globals__[os].environ},
// {user.__dict__} (a tenth fresh-eyes attack, attack 14: rule 210111
// reads them inside {{ }}, {% %}, ${} and #{} only). One "{", an
// argument's name or index, then only .name and [key] up to the dunder:
// str.format's field syntax, without spaces. Not refused: {0}, {name},
// {user.name}, {0.__class__} and f"{self.__class__.__name__}" (__class__
// and __name__ lead nowhere without a call), and prose that names
// __init__ or __globals__ outside braces. What it costs: a code snippet
// with an f-string that reads __dict__ or __init__ ({self.__dict__}).
const formatFieldRule = `\{\w*(?:\.\w+|\[[^\]{}]*\])*\.__(?:init|globals|builtins|dict|subclasses|mro|bases?|func|self|loader|spec|closure|code|defaults|kwdefaults|getattribute|import)__`

// templateCodeRule is rule 210116: Groovy and ERB code that runs a
// command or reads the environment, in the forms rule 210111 (a
// function's name then "(" inside template delimiters) does not read (a
// tenth fresh-eyes attack, attack 14: each reached the upstream):
//   - Groovy (SimpleTemplateEngine and GStringTemplateEngine's <% %>, the
//     markup template engine's yieldUnescaped, which has no delimiters):
//     a string or list literal's .execute() ('id'.execute(),
//     "id".execute(), ['bash','-c','...'].execute()), anywhere: no
//     language but Groovy gives a literal an execute method, and a
//     method's receiver that is a variable, a call or an element
//     (job.execute(), db.prepare('...').execute(), tasks['build'].execute(),
//     cursor.execute('...')) is not a literal: the list's "[" stands
//     after neither a word, a "]" nor a ")". Inside <% ... %>, Groovy's
//     evaluate(...) and Eval.me/x/xy/xyz(...) (page.evaluate(...), a
//     method of an object, is not read);
//   - ERB (Rails's render inline:, ERB.new(params[:t]).result), inside
//     <% up to the next ">": Ruby's %x with any delimiter (%x[whoami],
//     %x(id); a printf "%x" is followed by a quote, a letter or a space),
//     system/exec/spawn/syscall followed by a space and a string (system
//     'id'; <%= system_name %> is a word), a command method named by a
//     symbol or a string to send/public_send/__send__/method
//     (Kernel.send(:system, 'id')), Kernel's command and eval methods,
//     instance_eval/class_eval/module_eval/instance_exec, Open3 and
//     PTY.spawn, and ENV dumped whole (<%= ENV %>, ENV.to_h, .inspect,
//     .keys, .each ...; <%= ENV['RAILS_ENV'] %> and ENV.fetch(...), one
//     variable as a config file reads it, pass).
//
// Since a fifteenth fresh-eyes attack (attack 19), outside ERB tags too
// (a parameter given to eval or instance_eval, #{} interpolation in Slim,
// Haml or a Ruby string): Ruby's %x with a bracket or ! delimiter at the
// value's start or after #{ ; = ( , | & (%x(id), %x{id}; its text holds no
// "%", so printf's "%x(%d)" passes), Kernel's command, eval and send
// methods with a string, a symbol or a backtick as their argument
// (Kernel.spawn("id"), Kernel.public_send(:exec,"id"),
// #{Kernel.spawn("id")}; "the Kernel.spawn docs say" passes), Open3's
// methods with a string; and Python's __import__ of a module that runs
// commands (os, subprocess, pty, posix, nt, commands, popen2, builtins,
// importlib, ctypes): __import__("subprocess").getoutput("id") passed
// (the CRS refuses __import__("os").system but not getoutput or
// check_output), and with look-alike letters that Python folds (NFKC)
// it is read in the value's :nfkc argument (nfkcFolded).
//
// Not refused: ERB as documentation shows it (<%= @user.name %>,
// <%= link_to 'Home', root_path %>, <% if x %>, <%= render 'form' %>);
// C's printf formats (printf("%x(%d)\n", a, b)), prose that names
// Kernel's methods or Linux kernel text, and __import__ of a module
// that runs no command (__import__("json")). The false-positive risk: a
// forum post of Ruby code that calls Kernel.system("...") or of Python
// code with __import__("os").
const templateCodeRule = `(?:'[^']*'|\"[^\"]*\")\s*\.\s*execute\s*\(|(?:^|[^\w\])])\s*\[\s*['\"][^\]]*\]\s*\.\s*execute\s*\(|<%(?:[^>]*?[^.\w>])?(?:evaluate|Eval\s*\.\s*(?:me|xyz|xy|x))\s*\(|<%[^>]*?(?:%x[^\w\s'\"=>]|\b(?:system|exec|spawn|syscall)\s+['\"%\x60]|\b(?:send|public_send|__send__|method|instance_method|public_method)\s*\(?\s*[:'\"]\s*(?:system|exec|spawn|syscall|fork|eval|instance_eval|class_eval|module_eval|open|popen|require|load|\x60)|\bKernel\s*(?:\.|::)\s*(?:system|exec|spawn|syscall|fork|open|eval|send|public_send|__send__|method|require|load|\x60)|\b(?:instance|class|module)_(?:eval|exec)\b|\bOpen3\b|\bPTY\s*\.\s*spawn\b|\bENV\s*(?:%>|\.\s*(?:to_h|to_hash|to_a|to_s|inspect|keys|values|each\w*|map|collect|select|filter\w*|reject|sort\w*|entries|find_all|grep\w*|sum|first|invert|slice|except|values_at|pretty_inspect)\b))` +
	`|(?:\A|#\{|[;=(,|&])\s*%x(?:\([^%()]*\)|\{[^%{}]*\}|\[[^%\[\]]*\]|<[^%<>]*>|\|[^%|]*\||![^%!]*!)` +
	`|\bKernel\s*(?:\.|::)\s*(?:system|exec|spawn|syscall|fork|open|eval|send|public_send|__send__|method|require|load|instance_eval|\x60)\s*\(?\s*[:'\"%\x60]` +
	`|\bOpen3\s*(?:\.|::)\s*(?:popen\w*|capture\w*|pipeline\w*)\s*\(?\s*['\"%]` +
	`|\b__import__\s*\(\s*['\"](?:os|subprocess|pty|posix|nt|commands|popen2|builtins|__builtin__|importlib|ctypes)['\"]\s*\)`

// templateSpaceRule is rule 210115: template injection with white space
// that Go's \s does not take between a template's tokens. Jinja2's lexer
// reads Python's \s, every Unicode white space (U+00A0, U+1680,
// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, NEL U+0085,
// and the ASCII \v and \x1c-\x1f), and JavaScript's (Pug's #{}, EJS)
// U+FEFF too; the template rules' \s is [\t\n\f\r ]. So {{7\u00a0*\u00a07}},
// {{\u00a0config\u00a0}} and #{7\u2003*\u20037} passed while the same
// with ASCII spaces was refused (a sixth fresh-eyes attack, attack 10,
// B5). A value with such a character (the first condition, a character
// class) is read once more by every template rule's expression (210110 to
// 210114: detectionRules' and templateMoreRule's, taken from their text)
// with each such character read as a space (templateSpaceOp). The
// expressions are compiled as the rules' own @rx compiles them (shared
// through Coraza's memoizer: no more memory for RE2). A value without such
// a character costs one scan of a character class.
var templateSpaceRule = `SecRule ` + valueNameHeaderTargets + ` "@rx ` + templateSpaceChars + `" "id:210115,phase:2,block,t:none,t:urlDecodeUni,msg:'Template injection behind Unicode white space',tag:'application-multi',tag:'attack-injection-template',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "@` + templateSpaceOp + `" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// templateSpaceChars is the white space the template rules' \s does not
// take (templateSpace), as an expression: the characters themselves (an
// escape above \x7f would make Coraza match bytes, not runes).
const templateSpaceChars = "[\\x0b\\x1c-\\x1f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"

// templateSpace: r is white space to Python's or JavaScript's \s that a
// template engine skips between tokens.
func templateSpace(r rune) bool {
	return r == '\v' || r >= 0x1c && r <= 0x1f || r == 0x85 || r == 0xa0 || r == 0x1680 || r >= 0x2000 && r <= 0x200a ||
		r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000 || r == 0xfeff
}

// templateSpaceOp is rule 210115's second condition: the value, each
// templateSpace character read as a space, matches a template rule's
// expression.
const templateSpaceOp = "gatewayTemplateSpace"

func init() {
	plugins.RegisterOperator(templateSpaceOp, func(o plugintypes.OperatorOptions) (plugintypes.Operator, error) {
		var ops []plugintypes.Operator
		for _, expr := range templateExpressions() {
			op, err := newRX(plugintypes.OperatorOptions{Arguments: expr, Memoizer: o.Memoizer, RxPreFilterEnabled: o.RxPreFilterEnabled})
			if err != nil {
				return nil, err
			}
			ops = append(ops, op)
		}
		return templateSpaceMatch(ops), nil
	})
}

type templateSpaceMatch []plugintypes.Operator

// Evaluate: v with its templateSpace characters read as spaces matches
// one of the template rules' expressions.
func (m templateSpaceMatch) Evaluate(tx plugintypes.TransactionState, v string) bool {
	v = strings.Map(func(r rune) rune {
		if templateSpace(r) {
			return ' '
		}
		return r
	}, v)
	for _, op := range m {
		if op.Evaluate(tx, v) {
			return true
		}
	}
	return false
}

// templateExpressions are the @rx expressions of the template injection
// rules (tagged attack-injection-template) in detectionRules and
// templateMoreRule, as Coraza hands them to @rx.
var templateExpressions = sync.OnceValue(func() []string {
	var out []string
	for _, line := range strings.Split(detectionRules+templateMoreRule, "\n") {
		if !strings.HasPrefix(line, "SecRule ") || !strings.Contains(line, "tag:'attack-injection-template'") || strings.Contains(line, "id:210115,") {
			continue
		}
		i := strings.Index(line, `"@rx `)
		j := strings.Index(line, `" "id:`)
		if i < 0 || j < i {
			continue
		}
		out = append(out, strings.ReplaceAll(line[i+5:j], `\"`, `"`))
	}
	return out
})
