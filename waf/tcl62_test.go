package waf

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// tclAttacks62 are attack 62's Tcl spellings (each ran id on tclsh
// 8.6), which rule 210146 passed: coroutine's command escaped or
// expanded; a shell or an interpreter exec runs with a here-string (<<)
// on its stdin; a variable set to exec by foreach, lmap, lassign or a
// set in another script word, as a command's word.
var tclAttacks62 = []string{
	// coroutine runs its command
	"[coroutine c exec i\\x64]", "coroutine c exec i\\x64", "[coroutine c ex\\x65c id]", "[coroutine c {*}exec id]",
	"[coroutine d uplevel #0 exec i\\x64]",
	// a shell reading a here-string
	"[exec sh << id]", "[exec bash << id]", "[exec dash << {id}]", "[exec sh <<id]", "[exec sh << \"i\\x64\"]",
	"[exec sh << \"echo hi;id\"]", "[exec sh << [string cat i d]]",
	"exec zsh << id", "[exec bash << \"id\"]",
	// a variable set to exec, as a command's word
	"[lmap c exec {$c id}]", "lmap c exec {$c id}", "foreach e exec {$e id}", "[foreach e exec {$e id}]",
	"[foreach e {exec} {$e id}]", "[foreach {a e} {x exec} {$e id}]", "[lassign {exec} e][$e id]",
	"[try {set e exec} finally {$e id}]", "lassign {exec} e;$e id", "[foreach e ex\\x65c {$e id}]",
}

// tclAttacks62CRS are the same the CRS alone refuses too.
var tclAttacks62CRS = []string{"[exec /bin/sh << {uname -a}]", "[exec busybox sh << id]", "[exec python3 << {import os;os.system('id')}]",
	"[interp eval {} exec i\\x64]", "[apply {{} {exec i\\x64}}]", "[coroutine c eval exec i\\x64]"}

// tclBenign62 are near-misses: prose and code whose coroutine, here-
// string or variable runs no probe.
var tclBenign62 = []string{
	"[coroutine gen generator 10]", "[coroutine c eval summary]", "coroutine c exec is how you run a command in a coroutine",
	"[exec sh << summary]", "[exec sh << {Q3 plan}]", "[coroutine c exec summary]", "In Tcl, exec sh << text feeds text to the shell",
	"[exec sh << \"the plan\"]", "foreach e {a b c} {$e configure}", "foreach e $list {puts $e}", "lassign $args e; $e summary",
	"set e exec; $e summary", "[lassign {exec} e][$e summary]", "foreach w $widgets {$w configure -state disabled}",
	"[try {open $f} finally {close $f}]",
}

// tclCode62 are near-misses the CRS alone refuses (a variable after a
// bracket, a command after ';'): read by the operator only.
var tclCode62 = []string{"[apply {{x} {expr {$x*2}}} 3]", "[interp eval $child {exec summary}]", "[exec wc -l << $text]", "lmap x {1 2 3} {expr {$x * 2}}", "Use exec to run commands; foreach e $items {$e destroy}"}

// TestTclExec62: rule 210146 refuses tclAttacks62 in the query and JSON
// through a real Caddy, which the CRS alone passes; tclBenign62 passes.
func TestTclExec62(t *testing.T) {
	nearMisses(t, "210146", otherLangCommand, tclCode62)
	operatorTable(t, "210146", otherLangCommand, tclAttacks62, tclAttacks62CRS, tclBenign62)
}

func FuzzTclExec62(f *testing.F) {
	fuzzNeeds(f, otherLangCommand, "e[{(-%ms\\|o", tclAttacks62, tclAttacks62CRS, tclBenign62, tclCode62)
}

// tclCPU62 are attack 62's CPU shapes: 60-byte values of a unit repeated
// (120 of them in a query measured 85 ms through Caddy, prose 38 ms).
var tclCPU62 = []struct{ name, unit string }{
	{"prose", "lorem ipsum dolor sit amet "}, {"heres", "[exec sh << a]"}, {"coroutines", "[coroutine c exec a]"},
}

// BenchmarkTclExec62: rule 210146's operator on one 60-byte value of each
// of tclCPU62's shapes, and the whole WAF on a query of 120 of them.
func BenchmarkTclExec62(b *testing.B) {
	for _, c := range tclCPU62 {
		v := strings.Repeat(c.unit, 60/len(c.unit)+1)[:60]
		b.Run("op/"+c.name, func(b *testing.B) {
			for b.Loop() {
				otherLangCommand(v)
			}
		})
	}
	w := provisioned(b, &WAF{})
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	for _, c := range tclCPU62 {
		v := url.QueryEscape(strings.Repeat(c.unit, 60/len(c.unit)+1)[:60])
		var q strings.Builder
		for i := range 120 {
			if i > 0 {
				q.WriteByte('&')
			}
			fmt.Fprintf(&q, "p%d=%s", i, v)
		}
		path := "/api/items?" + q.String()
		b.Run("waf/"+c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				rec := httptest.NewRecorder()
				w.ServeHTTP(rec, req, next)
			}
		})
	}
}

// TestTclReview: the session's review's findings in 210146: blanks
// after exec past a name's length, ::rename, a \U escape past Unicode,
// a proc's name inside another word.
func TestTclReview(t *testing.T) {
	for _, v := range []string{"exec" + strings.Repeat(" ", 61) + "id", "x [exec" + strings.Repeat(" ", 61) + "id]", "::rename exec e;e id",
		"proc p {} {exec id};p"} {
		if !otherLangCommand(v) {
			t.Errorf("210146 misses %q", v)
		}
	}
	for _, v := range []string{"e\\UFFFFFF78ec id", "proc p {} {exec id}; pass the salt", "proc {} {} {exec id}; x"} {
		if otherLangCommand(v) {
			t.Errorf("210146 matches %q", v)
		}
	}
}
