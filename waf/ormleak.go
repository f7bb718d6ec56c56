package waf

import (
	"regexp"
	"strings"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
)

// probeLeakRules are a fifteenth fresh-eyes attack's (attack 19) yes/no
// probe in a number position and "ORM leak" filters on a credential. Both
// are small Go operators (Go's regexp, no RE2 memory):
//
//   - 210163: a whole value that is a number, an arithmetic operator and
//     an equality in parentheses, or the reverse (numberProbe): 1*(2=2),
//     1/(2=2), 7*(id=id), (2=2)*1. MySQL and SQLite evaluate a
//     comparison as 1 or 0, so id=1*(2=2) is id=1 and id=1*(2=1) is
//     id=0: a blind boolean probe, the first step of an extraction
//     (the forms that pull data, 1*(ascii(substr((select ...)))>97), are
//     the CRS's). A calculator's input has no comparison in parentheses
//     (2*(3+4), 1/(2+3) pass), a spreadsheet's formula starts with =
//     (=1*(A1=B1) passes), prose has words around it ("x = 1*(2=2) in
//     SQL is 1", "(a=b)" pass). Only = (and MySQL's <=>): a hunt for
//     false positives (attack 20) had (1<2)*5 and 10*(x>5) in an
//     expression evaluator and 3*(2<5) as a quiz's answer refused, so
//     1-(1<2) passes too. The price: a value that is exactly such an
//     expression with =, a quiz's answer field say.
//   - 210164: an argument name that filters on a credential with a
//     lookup that reads it a piece at a time (ormLeak): Django's
//     .filter(**request.GET) with created_by__password__startswith=
//     pbkdf2_sha256$, author__reset_token__regex=^a,
//     author__api_key__startswith=sk_ (a lookup on a field named as a
//     credential, ormCredential: a password, its hash or digest, a
//     secret, an api, access, private, signing, master or recovery key,
//     a reset, access, refresh, auth, api, remember, confirmation,
//     unlock or verification token, and for Django a bare token, through
//     any relations, perhaps after lower, upper or trim: contains,
//     startswith, endswith, regex, their i-forms, gt, gte, lt, lte,
//     range), and Rails'
//     Ransack with q[user_encrypted_password_start]=$2a,
//     q[user_reset_password_token_start]=a, q[user_api_key_cont]=sk_
//     (the same fields' predicates under q: cont, i_cont, start, end,
//     matches, lt, lteq, gt, gteq, their not_ forms, _any and _all,
//     does_not_match; not eq and in, which test a whole value and leak
//     nothing a character at a time: q[invite_token_eq]= is a lookup),
//     under q or any other key (ransack(params[:search]): attack 20's
//     search[user_encrypted_password_start]); and since attack 20,
//     Django REST framework's token through its relation
//     (created_by__auth_token__key__startswith), django-otp's device
//     keys (created_by__totpdevice__key__startswith) and backup codes
//     (otp_backup_codes__contains). Not refused: Ransack's sort
//     (q[s]=user_encrypted_password asc) and advanced conditions
//     (q[c][0][a][0][name]=user_encrypted_password), which name the
//     field in a value. Since attack 21: the keys, digests and codes of
//     a relation named for a token, a device, a confirmation or a grant
//     (django-rest-passwordreset's password_reset_tokens__key,
//     django-two-factor-auth's phonedevice__key, allauth's
//     emailconfirmation__key, django-oauth-toolkit's grant__code, knox's
//     auth_token_set__digest), more credentials' names (crypted_password,
//     token_secret, token_checksum, Authlogic's perishable_token,
//     Doorkeeper's access_tokens_token, the Rails Tutorial's
//     reset_digest), and Ransack's combinations after the credential
//     (q[user_encrypted_password_or_title_start]). The application answers with or without rows, so
//     the attacker reads a related user's password hash or reset token a
//     character at a time. Filters on other fields pass
//     (created_by__username__startswith, created_at__gte, groups__name,
//     q[title_cont]), and so do a credential's own name (?token=abc,
//     password_confirmation) and equality or null tests
//     (password__isnull). Not refused: a filter through a relation to a
//     non-credential field (created_by__groups__name__startswith=admin
//     reads who is an admin, as the application's own search may).
const probeLeakRules = `SecRule ` + valueHeaderTargets + ` "@` + numberProbeOp + `" "id:210163,phase:2,block,t:none,t:urlDecodeUni,t:replaceComments,msg:'SQL injection: a number times a comparison (a blind boolean probe)',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS_NAMES "@` + ormLeakOp + `" "id:210164,phase:2,block,t:none,msg:'ORM leak: a lookup on a credential (Django, Ransack)',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// numberProbeOp and ormLeakOp are rules 210163's and 210164's operators.
const (
	numberProbeOp = "gatewayNumberProbe"
	ormLeakOp     = "gatewayORMLeak"
)

func init() {
	registerGoOperator(numberProbeOp, numberProbe)
	registerGoOperator(ormLeakOp, ormLeak)
}

// goMatch is an operator that a Go function decides.
type goMatch func(string) bool

func (m goMatch) Evaluate(_ plugintypes.TransactionState, v string) bool { return m(v) }

// goOperators are the Go operators by name, as registerGoOperator
// registered them (written at init only; FuzzGoOperators runs each).
var goOperators = map[string]func(string) bool{}

// registerGoOperator registers the operator @name, which f decides (f
// must be safe for concurrent use; it takes no argument from the rule).
func registerGoOperator(name string, f func(string) bool) {
	goOperators[name] = f
	plugins.RegisterOperator(name, func(plugintypes.OperatorOptions) (plugintypes.Operator, error) {
		return goMatch(f), nil
	})
}

// numberProbeRx is rule 210163's expression (see probeLeakRules).
var numberProbeRx = func() *regexp.Regexp {
	num := `[-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)`
	operand := `(?:` + num + `|[a-zA-Z_]\w*)`
	// an equality, not < or > (attack 20), in SQL's spellings too: IS,
	// IS NOT, LIKE, RLIKE, REGEXP, GLOB, their NOT forms (attack 21)
	eq := `(?:\s*(?:<=>|==?|!=|<>)\s*|\s+(?i:is(?:\s+not)?|(?:not\s+)?(?:r?like|regexp|glob))\s+)`
	cmp := `\(+\s*(?i:not\s+)?` + operand + `(?:` + eq + operand + `)+\s*\)+`
	op := `\s*(?:[-+*/%&|^]|(?i:div|mod)\b)\s*`
	return regexp.MustCompile(`\A[\s(+-]*(?:(?:` + num + op + `)+` + cmp + `(?:` + op + operand + `)*|` + cmp + `(?:` + op + operand + `)+)[\s)]*(?:#(?s:.*)|--(?s:.*)|;\s*)?\z`)
}()

// numberProbe: v is a number, an arithmetic operator and a comparison in
// parentheses, or the reverse (rule 210163).
func numberProbe(v string) bool {
	// a byte scan first: the expression reads every value of a request
	if len(v) > 200 || strings.IndexByte(v, '(') < 0 {
		return false
	}
	if t := strings.TrimLeft(v, " \t\r\n("); t == "" || !(t[0] >= '0' && t[0] <= '9' || t[0] == '-' || t[0] == '+') {
		return false
	}
	return numberProbeRx.MatchString(v)
}

// ormCredential is a credential's field name for rule 210164: the whole
// name (Django's field between __; Ransack's after a _, its joins'
// separator). A hunt for false positives (attack 20) had names that end
// in one refused: prompt_token__gte (a usage dashboard),
// license_key__icontains (a support agent's search), design_token_cont,
// tracking_token__startswith, session_key__startswith (Django's
// session admin); a bare token is one only for Django, whose separator
// tells a field from its end.
const ormCredential = `(?:(?:encrypted_|hashed_|crypted_)?password(?:_(?:hash|digest))?|passwd|passphrase|pwd_hash|(?:encrypted_)?(?:client_|otp_|totp_|mfa_|api_|token_)?secret|secret_(?:access_)?key|api_?key|(?:access|private|signing|master|recovery|token)_key|recovery_codes?|(?:otp_)?backup_codes?` +
	`|(?:reset|remember|activation)_digest|token_(?:checksum|digest)` +
	`|(?:reset_password|password_reset|reset|access|refresh|auth|authentication|api|remember|confirmation|unlock|verification|personal_access|perishable|persistence|access_tokens?|access_grants?)_token)`

// ormLeakRx is rule 210164's expression: Django's lookups, Ransack's
// predicates under q (see probeLeakRules).
var ormLeakRx = regexp.MustCompile(`(?i)(?:^|[.\[]|[a-z0-9]__)(?:` + ormCredential + `|token|[a-z0-9_]*(?:token|device|confirmation|grant)[a-z0-9_]*__(?:key|digest|code|token_key))(?:__(?:lower|upper|trim|unaccent))*__(?:i?contains|i?startswith|i?endswith|i?regex|gte?|lte?|range)(?:\[\]|[.\[]\d+\]?)?$` +
	`|(?:^|[.\[])[a-z_]\w*(?:\[[^\]]*\]|\.[^.\[]+)*[.\[](?:[^.\[\]]*_)?` + ormCredential + `(?:_(?:or|and)_[a-z0-9_]+?)?_(?:(?:not_)?(?:cont|i_cont|start|end|matches|lt|lteq|gt|gteq)(?:_any|_all)?|does_not_match(?:_any|_all)?)\]?(?:\[\]|[.\[]\d+\]?)?$`)

// ormLeak: the argument name v filters on a credential with a lookup
// that reads it a piece at a time (rule 210164).
func ormLeak(v string) bool {
	// a byte scan first: the expression reads every name of a request,
	// and each credential's name holds one of these
	return len(v) <= 512 && containsFoldAny(v, "pass", "pwd", "secret", "key", "token", "code", "digest") && ormLeakRx.MatchString(v)
}

// containsFoldAny: s holds one of subs (lowercase ASCII), in any case.
func containsFoldAny(s string, subs ...string) bool {
	for i := range s {
		for _, sub := range subs {
			if len(s)-i >= len(sub) && asciiEqualFold(s[i:i+len(sub)], sub) {
				return true
			}
		}
	}
	return false
}

// asciiEqualFold: a equals the lowercase ASCII b in any case.
func asciiEqualFold(a, b string) bool {
	for j := 0; j < len(b); j++ {
		c := a[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[j] {
			return false
		}
	}
	return true
}
