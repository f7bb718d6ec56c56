package gateway

import (
	"hash/maphash"
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

// orDefault sets *v to fallback when it holds its zero value (the field was not
// configured).
func orDefault[T comparable](v *T, fallback T) {
	var zero T
	if *v == zero {
		*v = fallback
	}
}

// clientHash is the hash of who a request comes from: the template's
// value (a user, a consumer), or the client's IP when it renders empty,
// each in its own space so that no value can pose as an IP.
func (t template) clientHash(seed maphash.Seed, repl *caddy.Replacer) uint64 {
	id := t.render(repl)
	if id == "" {
		ip, _ := repl.GetString("http.vars.client_ip")
		return maphash.String(seed, "ip\x00"+ip)
	}
	return maphash.String(seed, "k\x00"+id)
}
