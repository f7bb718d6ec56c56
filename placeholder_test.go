package gateway

import "testing"

// TestTemplateRenderAgreesWithCaddy: the fast paths must give what Caddy's
// own ReplaceAll gives.
func TestTemplateRenderAgreesWithCaddy(t *testing.T) {
	repl := replacerWith(map[string]any{"a": "x", "n": 42, "nil": nil})
	for _, raw := range []string{"plain", "{a}", "{n}", "{missing}", "{nil}", "pre-{a}", "{a}{a}", "{a} {n}",
		"{unclosed", "", "{{a}}", "{missing}!", "{}"} {
		want := repl.ReplaceAll(raw, "")
		if got := newTemplate(raw).render(repl); got != want {
			t.Errorf("render(%q) = %q; Caddy's ReplaceAll gives %q", raw, got, want)
		}
	}
}
