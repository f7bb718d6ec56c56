package gateway

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// modulePath is this Go module's path: a Caddy module whose Go type lives
// under it is one of the plugin's.
const modulePath = "github.com/caddygateway/caddy-gateway"

// separateModules are the plugin's Caddy modules that live in Go modules of
// their own, which this package cannot import (waf/ requires this module),
// with the directory holding their source.
var separateModules = map[string]string{
	"http.handlers.gateway_waf": "waf",
}

// caddyModuleID finds the ID of a CaddyModule method's ModuleInfo.
var caddyModuleID = regexp.MustCompile(`\bID:\s+"([^"]+)"`)

// pluginModules lists the Caddy modules this plugin registers: those of
// its Go types linked into this package, and the separate ones.
func pluginModules(t *testing.T) []string {
	t.Helper()
	var ids []string
	for _, id := range caddy.Modules() {
		info, err := caddy.GetModule(id)
		if err != nil {
			t.Fatal(err)
		}
		typ := reflect.TypeOf(info.New())
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if pkg := typ.PkgPath(); pkg == modulePath || strings.HasPrefix(pkg, modulePath+"/") {
			ids = append(ids, id)
		}
	}
	for id, dir := range separateModules {
		// the separate module still has that ID
		if !slices.Contains(sourceModuleIDs(t, dir), id) {
			t.Errorf("%s/ no longer defines the Caddy module %s: update separateModules", dir, id)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// sourceModuleIDs reads the module IDs written in the non-test Go files of
// dir.
func sourceModuleIDs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range caddyModuleID.FindAllSubmatch(src, -1) {
			ids = append(ids, string(m[1]))
		}
	}
	return ids
}

// readmeModules reads the module IDs of README.md's module table: every
// `quoted` word of its "module ID" column.
func readmeModules(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const header = "| what | Caddyfile | module ID |"
	_, table, ok := strings.Cut(string(text), header+"\n")
	if !ok {
		t.Fatalf("README.md has no module table (a line %q)", header)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	quoted := regexp.MustCompile("`([^`]+)`")
	var ids []string
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 || strings.HasPrefix(cells[0], "---") {
			continue
		}
		for _, m := range quoted.FindAllStringSubmatch(cells[2], -1) {
			ids = append(ids, m[1])
		}
	}
	slices.Sort(ids)
	return ids
}

// packageDocModules reads the module IDs module.go's package doc lists
// (`  - <id> (...)` items), and the whole doc.
func packageDocModules(t *testing.T) ([]string, string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "module.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatal("module.go has no package doc")
	}
	doc := f.Doc.Text()
	item := regexp.MustCompile(`(?m)^\s+- ([a-z_.]+)[ :]`)
	var ids []string
	for _, m := range item.FindAllStringSubmatch(doc, -1) {
		ids = append(ids, m[1])
	}
	slices.Sort(ids)
	return ids, doc
}

// TestModulesDocumented: README.md's module table and module.go's package
// doc (the reference a newcomer reads first) name every Caddy module the
// plugin registers, and nothing else.
func TestModulesDocumented(t *testing.T) {
	registered := pluginModules(t)
	if len(registered) < 2 {
		t.Fatalf("found only %v registered: is the package-path filter wrong?", registered)
	}
	readme := readmeModules(t)
	listed, doc := packageDocModules(t)
	for _, id := range registered {
		if !slices.Contains(readme, id) {
			t.Errorf("README.md's module table lacks %s", id)
		}
		_, separate := separateModules[id]
		if separate && !strings.Contains(doc, id) {
			t.Errorf("module.go's package doc does not mention %s", id)
		}
		if !separate && !slices.Contains(listed, id) {
			t.Errorf("module.go's package doc does not list %s", id)
		}
	}
	for _, id := range readme {
		if !slices.Contains(registered, id) {
			t.Errorf("README.md's module table names %s, which the plugin does not register", id)
		}
	}
	for _, id := range listed {
		if !slices.Contains(registered, id) {
			t.Errorf("module.go's package doc lists %s, which the plugin does not register", id)
		}
	}
	if t.Failed() {
		t.Logf("registered: %v", registered)
	}
}

// TestModulesAllLinked: every Caddy module defined in this Go module's
// source is registered when this package is imported (a handler in a
// package nothing imports would be missing from Caddy builds).
func TestModulesAllLinked(t *testing.T) {
	registered := pluginModules(t)
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
			return filepath.SkipDir // another Go module (waf/)
		}
		for _, id := range sourceModuleIDs(t, path) {
			if !slices.Contains(registered, id) {
				t.Errorf("%s defines the Caddy module %s, which importing the plugin does not register", path, id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDesignFileMap: docs/design.md's map of the code names every file of
// the root package, every module package under modules/ and every engine
// under internal/; and every Go file it or module.go's package doc names
// exists (module.go named a health.go long after it had moved).
func TestDesignFileMap(t *testing.T) {
	text, err := os.ReadFile("docs/design.md")
	if err != nil {
		t.Fatal(err)
	}
	design := string(text)
	_, doc := packageDocModules(t)
	named := regexp.MustCompile("`([A-Za-z0-9_/.-]+\\.go)`").FindAllStringSubmatch(design, -1)
	named = append(named, regexp.MustCompile(`([A-Za-z0-9_/.-]+\.go)\b`).FindAllStringSubmatch(doc, -1)...)
	for _, m := range named {
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("docs/design.md or module.go's package doc names %s, which does not exist (paths are from the repository's root)", m[1])
		}
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") && !strings.Contains(design, "`"+f+"`") {
			t.Errorf("docs/design.md does not name %s", f)
		}
	}
	engines, _ := filepath.Glob("internal/*")
	packages, _ := filepath.Glob("modules/*")
	for _, e := range append(engines, packages...) {
		if st, err := os.Stat(e); err == nil && st.IsDir() && !strings.Contains(design, "`"+filepath.ToSlash(e)+"`") {
			t.Errorf("docs/design.md does not name the package %s", e)
		}
	}
}
