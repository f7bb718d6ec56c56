package caddykit

import (
	"fmt"
	"slices"
	"strings"
)

// httpNamespaces are the second parts of the http.* placeholders Caddy and
// this plugin provide; an http.* placeholder outside them (a typo such as
// {http.auht.user.id}) can never have a value.
var httpNamespaces = []string{"request", "response", "auth", "vars", "regexp", "matchers", "reverse_proxy",
	"error", "shutting_down", "time_until_shutdown", "handlers"}

// CheckTemplate reports a placeholder template that cannot work: an
// unclosed or stray brace, an empty placeholder, or an http.* placeholder
// no module provides. Placeholders of other namespaces (env, vars, other
// plugins') are left alone.
func CheckTemplate(tpl string) error {
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
