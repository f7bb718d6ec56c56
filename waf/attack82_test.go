package waf

import (
	"strings"
	"testing"
)

// TestOpen81Loopback: attack 81's Open entry, a loopback address with no
// port as a value's or a line's whole start (210205), spelled as an
// address; an IP lookup's key, an id before a slash, a CIDR, a how-to's
// sentence pass.
func TestOpen81Loopback(t *testing.T) {
	operatorTable(t, "210205", func(v string) bool { return schemelessMetadata(strings.ToLower(v)) },
		[]string{"127.0.0.1/admin", "127.1/server-status", "[::1]/server-status", "0x7f000001/admin", "127.0.0.1/phpmyadmin/",
			"[::ffff:127.0.0.1]/admin", "notes\n127.0.0.1/admin", "  127.0.0.1/./admin"},
		nil,
		[]string{"127.0.0.1/32", "/ip/127.0.0.1/json", "2130706433/items", "Open 127.0.0.1/admin in your browser",
			"10.0.0.1/admin", "127.0.0.1 localhost", "/geo/127.0.0.1/", "v127.0.0.1/x"})
}

// TestOpen81XPath: attack 81's Open entry, XPath injection in a numeric
// slot (//user[id=1]): a union with another path after the predicate
// closed, or OR/AND and an XPath function (210104); prose with a number
// and "or" passes.
func TestOpen81XPath(t *testing.T) {
	operatorTable(t, "210104", xpathInjection,
		[]string{"1]|//user/password|//x[1", "1 or true()", "0]|//*|//*[0", " 1 ] | //*", "1 and text()"},
		[]string{"1 and starts-with(//user[1]/password,'a')", "1) or count(/*)=1 or (1", "-1 or string-length(name(/*))=4"},
		[]string{"1 or more", "page 1 or true() love", "5 | /usr/bin", "1 or 2 (both fine)", "1] see | note"})
}
