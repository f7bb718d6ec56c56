package waf

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// TestReplacedEnginesReleaseTheirRules: Coraza keeps compiled patterns in
// a process-wide cache, released only when the WAF that used them is
// closed. A reload that changes the rules builds a new engine and lets the
// old one go; unless it is closed then, every such reload keeps the old
// rules' automata for the process's life. Twenty loads of a rule with its
// own large @pm list (about 170 KB kept each, before the fix) must not
// keep them.
func TestReplacedEnginesReleaseTheirRules(t *testing.T) {
	dir := t.TempDir()
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	// as Caddy reloads: the new config is provisioned, then the old one
	// cleaned up (so the patterns both use stay compiled)
	var previous *WAF
	load := func(i int) {
		words := make([]string, 400)
		for j := range words {
			words[j] = fmt.Sprintf("reload%dword%d", i, j)
		}
		file := filepath.Join(dir, fmt.Sprintf("rules%d.conf", i))
		rule := fmt.Sprintf("SecRule ARGS \"@pm %s\" \"id:%d,phase:2,deny,status:403\"\n", strings.Join(words, " "), 990000+i%1000)
		if err := os.WriteFile(file, []byte(rule), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
		defer cancel()
		w := &WAF{Rules: []string{file}}
		if err := w.Provision(ctx); err != nil {
			t.Fatal(err)
		}
		if c, ok := any(previous).(caddy.CleanerUpper); ok && previous != nil { // what Caddy does when it unloads a config
			if err := c.Cleanup(); err != nil {
				t.Fatal(err)
			}
		}
		previous = w
	}
	for i := range 3 {
		load(i)
	}
	before := heap()
	const n = 20
	for i := range n {
		load(3 + i)
	}
	after := heap()
	if err := previous.Cleanup(); err != nil { // the pool is the process's: leave it empty
		t.Fatal(err)
	}
	grown := int64(after) - int64(before)
	t.Logf("heap after %d more loads: %+d bytes (%d per load)", n, grown, grown/n)
	if grown > 1<<20 {
		t.Errorf("%d config loads kept %d bytes of heap (%d per load): unloaded WAFs keep their compiled rules", n, grown, grown/n)
	}
}
