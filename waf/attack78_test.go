package waf

import "testing"

// attack78Attacks are attack 78's finds and the Open list's sort probes
// closed with them: POSITION('a' IN password) as a sort key, a JavaScript
// breakout into a template compiler (Vue.compile, _.template), SQL Server's
// REVERT, WRITETEXT, UPDATETEXT and SEND ON CONVERSATION.
var attack78Attacks = []string{"position('a' in password)", "POSITION ( 'ab' IN users.password )",
	"'-Vue.compile(name)-'", "'-_.template(name)()-'", "'-Handlebars.compile(name)()-'", "');Vue.compile(location.hash.slice(1))//",
	"x' revert--", "x' writetext users.bio @p 'pwned'--", "x' updatetext users.bio @p 0 null 'pwned'--", "x' writetext bulk users.bio 0x1 'x'--",
	"x' send on conversation @h ('x')--"}

// attack78CRS are refused by the CRS alone too.
var attack78CRS = []string{"name,position('a' in password) desc"}

// attack78Benign are near-misses.
var attack78Benign = []string{"position", "position desc, name", "sort by position('a' in b) for prose", "the position (x) of a point",
	"Run 'npm run build' - compile(x) takes a while", "The 'Blog' template (template.html) is ready", "Vue.compile('<div/>') returns a render function",
	"Don't rollback -- it's fine", "Don't revert -- it is fine", "The 'send' button -- send on conversation threads", "Please revert -- don't merge"}

// TestAttack78: the gateway's rules refuse attack78Attacks through a real
// Caddy (in the query and JSON) and none of attack78Benign.
func TestAttack78(t *testing.T) {
	operatorTable(t, "2101xx/2102xx", func(v string) bool {
		return tsqlStatement(v) || sortListProbe(v) || oracleFunction(v) || jsStringBreakout(v) || shellPrefixed(v)
	}, attack78Attacks, attack78CRS, attack78Benign)
}
