package gateway

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// caddyfileBlock finds the ```caddyfile blocks of a Markdown file. Syntax
// blocks (with <placeholders>) are fenced as caddy-d and are not adapted.
var caddyfileBlock = regexp.MustCompile("(?s)```caddyfile\n(.*?)```")

// TestDocsCaddyfileSnippets adapts every Caddyfile example in README.md and
// docs/ (a fragment of directives inside a site block), so no example in
// the documentation is broken, and checks each is formatted as caddy fmt
// writes it.
func TestDocsCaddyfileSnippets(t *testing.T) {
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	texts := map[string][]byte{}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		texts[file] = text
	}
	// the key files the examples name (jwt_auth reads a literal public_key
	// path when the Caddyfile is adapted)
	k := getKeys(t)
	t.Chdir(t.TempDir())
	pem, err := os.ReadFile(k.pem("ec256.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("keys", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("keys/app-es256.pem", pem, 0o600); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, file := range files {
		text := texts[file]
		for _, m := range caddyfileBlock.FindAllSubmatch(text, -1) {
			block := m[1]
			n++
			if formatted := caddyfile.Format(block); !bytes.Equal(formatted, block) {
				t.Errorf("%s: a block is not formatted as caddy fmt writes it:\n%s\ncaddy fmt:\n%s", file, block, formatted)
			}
			config := string(block)
			if !isWholeCaddyfile(config) {
				config = ":8080 {\n" + config + "}\n"
			}
			if _, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(config), nil); err != nil {
				t.Errorf("%s: a Caddyfile example does not adapt: %v\n%s", file, err, block)
			}
		}
	}
	if n < 8 {
		t.Fatalf("found %d Caddyfile examples; the pattern misses them", n)
	}
}

// isWholeCaddyfile tells a whole Caddyfile (global options or site blocks)
// from a fragment of directives.
func isWholeCaddyfile(block string) bool {
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if line == "{" {
			return true
		}
		first, _, _ := strings.Cut(line, " ")
		return strings.HasSuffix(line, "{") && (strings.Contains(first, ".") || strings.Contains(first, ":") ||
			strings.HasPrefix(first, "localhost"))
	}
	return false
}
