package gateway

import (
	"fmt"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

// template is a placeholder template prepared at provision. When it is one
// placeholder and nothing else, rendering reads that value directly instead
// of building a new string, which saves an allocation per request on the
// common configurations ({http.request.uri.path.0}, {client_ip}).
type template struct {
	raw    string
	single string // the placeholder's name when raw is exactly "{name}"
	plain  bool   // raw has no placeholder at all
}

func newTemplate(raw string) template {
	t := template{raw: raw, plain: !strings.ContainsRune(raw, '{')}
	if name, ok := strings.CutPrefix(raw, "{"); ok && strings.HasSuffix(name, "}") && !strings.ContainsAny(name[:len(name)-1], "{}") {
		t.single = name[:len(name)-1]
	}
	return t
}

// render returns the template's value for a request; unknown placeholders
// render empty.
func (t template) render(repl *caddy.Replacer) string {
	switch {
	case t.plain:
		return t.raw
	case t.single != "":
		v, ok := repl.Get(t.single)
		if !ok || v == nil {
			return ""
		}
		if s, ok := v.(string); ok {
			return s
		}
	}
	return repl.ReplaceAll(t.raw, "")
}

// httpNamespaces are the second parts of the http.* placeholders Caddy and
// this plugin provide; an http.* placeholder outside them (a typo such as
// {http.auht.user.id}) can never have a value.
var httpNamespaces = []string{"request", "response", "auth", "vars", "regexp", "matchers", "reverse_proxy",
	"error", "shutting_down", "time_until_shutdown", "handlers"}

// checkTemplate reports a placeholder template that cannot work: an
// unclosed or stray brace, an empty placeholder, or an http.* placeholder
// no module provides. Placeholders of other namespaces (env, vars, other
// plugins') are left alone.
func checkTemplate(tpl string) error {
	rest := tpl
	for {
		open := strings.IndexByte(rest, '{')
		closeAt := strings.IndexByte(rest, '}')
		switch {
		case open < 0 && closeAt < 0:
			return nil
		case open < 0 || (closeAt >= 0 && closeAt < open):
			return fmt.Errorf("%q has a '}' without its '{'", tpl)
		}
		end := strings.IndexByte(rest[open+1:], '}')
		if end < 0 {
			return fmt.Errorf("%q has a '{' that is never closed", tpl)
		}
		name := rest[open+1 : open+1+end]
		if name == "" || strings.ContainsRune(name, '{') {
			return fmt.Errorf("%q has an empty or nested placeholder", tpl)
		}
		if second, ok := strings.CutPrefix(name, "http."); ok {
			ns, _, _ := strings.Cut(second, ".")
			if !slices.Contains(httpNamespaces, ns) {
				return fmt.Errorf("%q: the placeholder {%s} never has a value (http.%s is not a placeholder namespace; known: http.%s)",
					tpl, name, ns, strings.Join(httpNamespaces, ", http."))
			}
		}
		rest = rest[open+1+end+1:]
	}
}

// orDefault sets *v to fallback when it holds its zero value (the field was not
// configured).
func orDefault[T comparable](v *T, fallback T) {
	var zero T
	if *v == zero {
		*v = fallback
	}
}
