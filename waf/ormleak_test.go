package waf

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// clickHouseAttacks are a fifteenth fresh-eyes attack's (attack 19)
// ClickHouse-only functions after a closed quote (rules 210156, 210162):
// a time-based test, blind booleans and a dictionary lookup.
var clickHouseAttacks = []string{
	"x' OR sleepEachRow(3)=0--", "x' AND sleepEachRow(3)=0 AND 'a'='a", "x' AND notEmpty(password) AND 'a'='a",
	"x' AND hasToken(currentDatabase(),'prod')--", "x' AND dictGet('users','password',toUInt64(1))='a' AND 'a'='a",
	"x' AND multiIf(notEmpty(password),1,0)=1 AND 'a'='a",
	// more of the same use
	"x' AND positionCaseInsensitive(password,'a')=1 AND 'a'='a", "x' AND hasAny([1],[1])--", "x' OR empty(password)--",
	"x' AND has([currentUser()],'default')--", "x' AND toString(1)='1' AND 'a'='a", "x' AND ilike(password,'a%') AND 'a'='a",
	"x' AND dictHas('users',toUInt64(1))--",
	"1 AND notEmpty(password)=1", "1 AND sleepEachRow(3)=0",
}

// clickHouseAttacksCRS are more of the same that the CRS alone refuses:
// on the expressions only.
var clickHouseAttacksCRS = []string{"x' AND like(password,'a%')--", "x' AND endsWith(password,'a')--"}

// clickHouseBenignCRS are near-misses the CRS alone refuses: on the
// expressions only.
var clickHouseBenignCRS = []string{"SELECT * FROM logs WHERE level = 'error' AND notEmpty(message)", "'Likes' and like (the button)", "position (CEO) and salary"}

// clickHouseBenign are near-misses: prose and code that name or call
// these functions without an injected tail.
var clickHouseBenign = []string{
	"use notEmpty(x) or empty(x)", "it's empty (for now)", "Tom's hobby: has (many) cats", "toString(x) in JS",
	"sleepEachRow(1) is a ClickHouse function", "She said 'yes' and has(them)", "'Fine' and toString(x) works",
}

// numberProbeAttacks are attack 19's yes/no probe in a number position
// (rule 210163): MySQL and SQLite evaluate 2=2 as 1.
var numberProbeAttacks = []string{"1*(2=2)", "1/(2=2)", "1*(2=1)", "1-(1<=>1)", "1*(2/**/=/**/2)",
	// attack 21's: SQL's other equalities, hex and exponent numbers,
	// brackets doubled, chains, a comment or a semicolon after
	"1*(2 is 2)", "1*(2 is not 2)", "1*(0x2=2)", "1*(2=2)#", "1e0*(2=2)", "1*(not 2=2)", "1*(2=2=1)", "1*(2=2)*1",
	"1*(2=2);", "1*(2 regexp 2)", "1*(2 glob 2)", "1*(2!=2)", "1*(2<>1)", "1*((2=2))", "-(-1*(2=2))"}

// numberProbeAttacksCRS are more of rule 210163's shapes that the CRS
// alone refuses in the query: on the expression only.
var numberProbeAttacksCRS = []string{"7 * ( id = id )", "(2=2)*1"}

// numberProbeBenign are calculator input and prose near rule 210163.
var numberProbeBenign = []string{"2*(3+4)", "1/(2+3)", "(a=b)", "x = 1*(2=2) in SQL is 1", "=1*(A1=B1)", "1*(2=2) and more", "3*(4)", "2(3=3)", "a*(b=c)",
	// attack 20's false positives: an expression evaluator's and a quiz's
	// comparisons other than =
	"3*(2<5)", "1-(1<2)"}

// numberProbeBenignCRS are more of attack 20's that the CRS alone
// refuses in the query (942100): on the expression only.
var numberProbeBenignCRS = []string{"10*(x>5)", "(1<2)*5"}

// ormLeakAttacks are attack 19's "ORM leak" filters on a credential
// (rule 210164): Django's lookups and Ransack's predicates, as names.
var ormLeakAttacks = []string{
	"created_by__password__startswith", "author__reset_token__regex", "author__api_key__startswith", "password__startswith",
	"json.created_by__user__password__regex", "q[user_encrypted_password_start]", "q[user_reset_password_token_start]",
	"q[user_api_key_cont]", "user__password__iregex", "author__password_digest__gte", "q[user_password_digest_matches]",
	"json.q.user_encrypted_password_start", "q[title_or_user_encrypted_password_cont]", "user__otp_secret__contains",
	"user__password__lower__startswith", "q[user_encrypted_password_start_any][]", "author__password__range",
	"token__startswith", "user__token__regex", "q[user_access_token_start]", "author__auth_token__startswith", "q[password_start]",
	// attack 20's: DRF's token and django-otp's keys through relations,
	// backup codes, Ransack under another key
	"created_by__auth_token__key__startswith", "created_by__totpdevice__key__startswith", "created_by__otp_backup_codes__contains",
	"q[user_otp_backup_codes_cont]", "search[user_encrypted_password_start]", "json.search.user_encrypted_password_start",
	// attack 21's: other packages' relations and names, Ransack's
	// combinations after the credential
	"created_by__password_reset_tokens__key__startswith", "created_by__phonedevice__key__startswith",
	"created_by__emailaddress__emailconfirmation__key__startswith", "created_by__socialaccount__socialtoken__token_secret__startswith",
	"created_by__oauth2_provider_grant__code__startswith", "created_by__auth_token_set__digest__startswith", "created_by__auth_token_set__token_key__startswith",
	"created_by__oauth2_provider_accesstoken__token_checksum__startswith", "created_by__crypted_password__startswith",
	"created_by__encrypted_otp_secret__startswith", "q[user_encrypted_password_or_title_start]", "q[user_encrypted_password_and_title_start]",
	"json.q.user_encrypted_password_or_title_start", "q[user_access_tokens_token_start]", "q[user_access_grants_token_start]",
	"search[user_access_tokens_token_start]", "q[user_authentication_token_start]", "q[user_perishable_token_start]",
	"q[user_persistence_token_start]", "q[user_reset_digest_start]", "q[user_remember_digest_start]", "q[user_activation_digest_start]",
	"q[user_perishable_token_or_id_start]",
}

// ormLeakBenign are filters on fields that are no credentials, and
// credential names without a lookup.
var ormLeakBenign = []string{
	"q[title_cont]", "created_by__username__startswith", "password_confirmation", "token", "created_at__gte", "groups__name",
	"json.token_end", "json.tokens.token_end", "q[token_count_gt]", "country__code__startswith", "commit__hash__startswith",
	"translation__key__startswith", "password__isnull", "reset_token", "q[s]", "json.user.password", "max_tokens__lte",
	// attack 20's false positives: names that end in a credential's word,
	// equality predicates
	"prompt_token__gte", "completion_token__lte", "q[prompt_token_gt]", "q[license_key_cont]", "license_key__icontains",
	"q[design_token_cont]", "q[invite_token_eq]", "session_key__startswith", "tracking_token__startswith",
	"q[user_password_eq]", "q[reset_password_sent_at_gteq]", "q[input_tokens_gt]",
	"created_by__device__name__startswith", "translation__key__icontains", "filter[title_cont]", "search[name_start]", "page[number]",
	"created_by__device__name__icontains", "order__grant__amount__gte", "q[title_or_body_cont]", "q[user_name_or_email_cont]",
	"created_by__devices__created__gte", "q[document_digest_eq]",
}

// TestNumberProbeAndORMLeakOperators: rules 210163's and 210164's expressions, and
// the ClickHouse rows on 210156's and 210162's.
func TestNumberProbeAndORMLeakOperators(t *testing.T) {
	comments := regexp.MustCompile(`/\*.*?\*/`)
	compile := func(e string) *regexp.Regexp { return regexp.MustCompile("(?sm)" + strings.ReplaceAll(e, `\"`, `"`)) }
	quote, tail, number := compile(sqlFunctionRule), compile(sqlInjectedTail), compile(sqlFunctionNumberRule)
	for _, v := range concat(clickHouseAttacks, clickHouseAttacksCRS) {
		c := comments.ReplaceAllString(v, " ")
		if !(quote.MatchString(c) && tail.MatchString(v) || number.MatchString(c)) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range concat(clickHouseBenign, clickHouseBenignCRS, sqlFunctionBenign, sqlFunctionCode, sqlFunctionBenign18) {
		c := comments.ReplaceAllString(v, " ")
		if quote.MatchString(c) && tail.MatchString(v) || number.MatchString(c) {
			t.Errorf("the benign %q: refused", v)
		}
	}
	for _, v := range concat(numberProbeAttacks, numberProbeAttacksCRS) {
		if !numberProbe(comments.ReplaceAllString(v, " ")) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range concat(numberProbeBenign, numberProbeBenignCRS) {
		if numberProbe(v) {
			t.Errorf("the benign %q: refused", v)
		}
	}
	for _, v := range ormLeakAttacks {
		if !ormLeak(v) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range ormLeakBenign {
		if ormLeak(v) {
			t.Errorf("the benign %q: refused", v)
		}
	}
}

// TestSQLProbesAndORMLeaksBeyondTheCRS: attack 19's ClickHouse functions, number
// probe and ORM leaks through a real Caddy, each passed by the CRS alone
// and refused with the additions; the near-misses pass.
func TestSQLProbesAndORMLeaksBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	q := url.QueryEscape
	var catches, misses, benign []probe
	for _, v := range clickHouseAttacks {
		misses = append(misses,
			probe{name: v + " in the query", method: "GET", path: "/search?name=" + q(v)},
			probe{name: v + " in JSON", method: "POST", path: "/search", contentType: "application/json", body: jsonString("name", v)})
	}
	misses = append(misses,
		probe{name: "sleepEachRow in a path segment", method: "GET", path: "/items/x'%20OR%20sleepEachRow(3)=0--"},
		probe{name: "notEmpty in a Basic user", method: "GET", path: "/account",
			header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("admin' OR notEmpty(password)--:x"))}}},
		probe{name: "hasToken in X-Original-URL's query", method: "GET", path: "/",
			header: http.Header{"X-Original-Url": {"/items?name=x'%20AND%20hasToken(currentDatabase(),'prod')%20AND%20'a'='a"}}},
	)
	for _, v := range clickHouseBenign {
		benign = append(benign,
			probe{name: v + " in the query", method: "GET", path: "/search?q=" + q(v)},
			probe{name: v + " in JSON", method: "POST", path: "/notes", contentType: "application/json", body: jsonString("v", v)})
	}
	for _, v := range numberProbeAttacks {
		misses = append(misses,
			probe{name: v + " in the query", method: "GET", path: "/items?id=" + q(v)},
			probe{name: v + " in X-User-Id", method: "GET", path: "/items", header: http.Header{"X-User-Id": {v}}})
	}
	for _, v := range numberProbeBenign {
		benign = append(benign, probe{name: v + " in the query", method: "GET", path: "/calc?expr=" + q(v)})
	}
	for _, n := range []string{"created_by__password__startswith", "author__reset_token__regex", "author__api_key__startswith",
		"q[user_encrypted_password_start]", "q[user_reset_password_token_start]", "q[user_api_key_cont]", "password__startswith"} {
		misses = append(misses, probe{name: n + " in the query", method: "GET", path: "/articles?" + q(n) + "=a"})
	}
	misses = append(misses,
		probe{name: "Django's regex on a related password in JSON", method: "POST", path: "/articles", contentType: "application/json", body: `{"created_by__user__password__regex":"^pbkdf2"}`},
		probe{name: "Ransack in JSON", method: "POST", path: "/articles", contentType: "application/json", body: `{"q":{"user_encrypted_password_start":"$2a"}}`},
	)
	for _, n := range []string{"q[title_cont]", "created_by__username__startswith", "password_confirmation", "token", "created_at__gte", "groups__name"} {
		benign = append(benign, probe{name: n + " in the query", method: "GET", path: "/articles?" + q(n) + "=2026-01-01"})
	}
	runBeyondTheCRS(t, catches, misses, benign)
}
