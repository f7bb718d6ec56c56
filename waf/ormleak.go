package waf

import (
	"regexp"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
)

// probeLeakRules are a fifteenth fresh-eyes attack's (attack 19) yes/no
// probe in a number position and "ORM leak" filters on a credential. Both
// are small Go operators (Go's regexp, no RE2 memory):
//
//   - 210163: a whole value that is a number, an arithmetic operator and
//     a comparison in parentheses, or the reverse (numberProbe): 1*(2=2),
//     1/(2=2), 7*(id=id), (2=2)*1. MySQL and SQLite evaluate a
//     comparison as 1 or 0, so id=1*(2=2) is id=1 and id=1*(2=1) is
//     id=0: a blind boolean probe, the first step of an extraction
//     (the forms that pull data, 1*(ascii(substr((select ...)))>97), are
//     the CRS's). A calculator's input has no comparison in parentheses
//     (2*(3+4), 1/(2+3) pass), a spreadsheet's formula starts with =
//     (=1*(A1=B1) passes), prose has words around it ("x = 1*(2=2) in
//     SQL is 1", "(a=b)" pass). The price: a value that is exactly such
//     an expression, a quiz's answer field say.
//   - 210164: an argument name that filters on a credential with a
//     lookup that reads it a piece at a time (ormLeak): Django's
//     .filter(**request.GET) with created_by__password__startswith=
//     pbkdf2_sha256$, author__reset_token__regex=^a,
//     author__api_key__startswith=sk_ (a lookup on a field that ends in
//     password, passwd, passphrase, secret or token, a password's hash or
//     digest, or an api, access, secret, private, session, master,
//     recovery, license, reset or signing key, through any relations,
//     perhaps after lower, upper or trim: contains, startswith, endswith,
//     regex, their i-forms, gt, gte, lt, lte, range), and Rails'
//     Ransack with q[user_encrypted_password_start]=$2a,
//     q[user_reset_password_token_start]=a, q[user_api_key_cont]=sk_
//     (the same fields' predicates under q: eq, in, cont, i_cont, start,
//     end, matches, lt, lteq, gt, gteq, their not_ forms, _any and _all,
//     does_not_match). The application answers with or without rows, so
//     the attacker reads a related user's password hash or reset token a
//     character at a time. Filters on other fields pass
//     (created_by__username__startswith, created_at__gte, groups__name,
//     q[title_cont]), and so do a credential's own name (?token=abc,
//     password_confirmation) and equality or null tests
//     (password__isnull). Not refused: a filter through a relation to a
//     non-credential field (created_by__groups__name__startswith=admin
//     reads who is an admin, as the application's own search may).
const probeLeakRules = `SecRule ARGS|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer|XML:/* "@` + numberProbeOp + `" "id:210163,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a number times a comparison (a blind boolean probe)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS_NAMES "@` + ormLeakOp + `" "id:210164,phase:2,block,t:none,msg:'ORM leak: a lookup on a credential (Django, Ransack)',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// numberProbeOp and ormLeakOp are rules 210163's and 210164's operators.
const (
	numberProbeOp = "gatewayNumberProbe"
	ormLeakOp     = "gatewayORMLeak"
)

func init() {
	plugins.RegisterOperator(numberProbeOp, func(plugintypes.OperatorOptions) (plugintypes.Operator, error) {
		return goMatch(numberProbe), nil
	})
	plugins.RegisterOperator(ormLeakOp, func(plugintypes.OperatorOptions) (plugintypes.Operator, error) {
		return goMatch(ormLeak), nil
	})
}

// goMatch is an operator that a Go function decides.
type goMatch func(string) bool

func (m goMatch) Evaluate(_ plugintypes.TransactionState, v string) bool { return m(v) }

// numberProbeRx is rule 210163's expression (see probeLeakRules).
var numberProbeRx = func() *regexp.Regexp {
	num := `[-+]?\d+(?:\.\d+)?`
	operand := `(?:` + num + `|[a-zA-Z_]\w*)`
	cmp := `\(\s*` + operand + `\s*(?:<=>|==?|!=|<>|<=|>=|<|>)\s*` + operand + `\s*\)`
	op := `\s*(?:[-+*/%&|^]|(?i:div|mod)\b)\s*`
	return regexp.MustCompile(`\A\s*(?:\(\s*)?(?:` + num + op + cmp + `|` + cmp + op + num + `)\s*(?:\)\s*)?\z`)
}()

// numberProbe: v is a number, an arithmetic operator and a comparison in
// parentheses, or the reverse (rule 210163).
func numberProbe(v string) bool {
	if len(v) > 200 {
		return false
	}
	return numberProbeRx.MatchString(v)
}

// ormCredential is a credential's field name for rule 210164.
const ormCredential = `[a-z0-9_]*(?:password|passwd|passphrase|secret|token|(?:password|passwd|pass|pwd)_?(?:hash|digest)|(?:api|access|secret|private|session|master|recovery|license|reset|signing)_?key)`

// ormLeakRx is rule 210164's expression: Django's lookups, Ransack's
// predicates under q (see probeLeakRules).
var ormLeakRx = regexp.MustCompile(`(?i)(?:^|[.\[])` + ormCredential + `(?:__(?:lower|upper|trim|unaccent))*__(?:i?contains|i?startswith|i?endswith|i?regex|gte?|lte?|range)(?:\[\]|[.\[]\d+\]?)?$` +
	`|(?:^|[.\[])q(?:\[[^\]]*\]|\.[^.\[]+)*[.\[]` + ormCredential + `_(?:(?:not_)?(?:eq|in|cont|i_cont|start|end|matches|lt|lteq|gt|gteq)(?:_any|_all)?|does_not_match(?:_any|_all)?)\]?(?:\[\]|[.\[]\d+\]?)?$`)

// ormLeak: the argument name v filters on a credential with a lookup
// that reads it a piece at a time (rule 210164).
func ormLeak(v string) bool {
	return len(v) <= 512 && ormLeakRx.MatchString(v)
}
