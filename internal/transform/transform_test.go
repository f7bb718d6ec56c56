package transform

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func mustCompile(t testing.TB, specs ...Spec) *Program {
	t.Helper()
	p, err := Compile(specs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("output is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestOperations(t *testing.T) {
	cases := []struct {
		name  string
		specs []Spec
		in    string
		want  string
	}{
		{"set a literal", []Spec{{Op: "set", Path: "a", Value: "42"}}, `{"b":1}`, `{"b":1,"a":42}`},
		{"set an object literal", []Spec{{Op: "set", Path: "meta", Value: `{"v":2}`}}, `{}`, `{"meta":{"v":2}}`},
		{"set creates parents", []Spec{{Op: "set", Path: "user.id", Value: "{user}"}}, `{}`, `{"user":{"id":"alice"}}`},
		{"set replaces", []Spec{{Op: "set", Path: "user.id", Value: "{user}"}}, `{"user":{"id":"mallory","x":1}}`, `{"user":{"id":"alice","x":1}}`},
		{"set text is a string", []Spec{{Op: "set", Path: "note", Value: `say "hi" {user}`}}, `{}`, `{"note":"say \"hi\" alice"}`},
		{"set an array element", []Spec{{Op: "set", Path: "items.1.name", Value: `"b2"`}}, `{"items":[{"name":"a"},{"name":"b"}]}`, `{"items":[{"name":"a"},{"name":"b2"}]}`},
		{"set appends with -1", []Spec{{Op: "set", Path: "tags.-1", Value: `"new"`}}, `{"tags":["a"]}`, `{"tags":["a","new"]}`},
		{"delete", []Spec{{Op: "delete", Path: "internal"}}, `{"a":1,"internal":{"x":2}}`, `{"a":1}`},
		{"delete nested", []Spec{{Op: "delete", Path: "user.password"}}, `{"user":{"name":"a","password":"p"}}`, `{"user":{"name":"a"}}`},
		{"delete an array element", []Spec{{Op: "delete", Path: "items.0"}}, `{"items":[1,2,3]}`, `{"items":[2,3]}`},
		{"delete missing is a no-op", []Spec{{Op: "delete", Path: "nope.deeper"}}, `{"a":1}`, `{"a":1}`},
		{"rename", []Spec{{Op: "rename", Path: "firstName", To: "first_name"}}, `{"firstName":"Ada","x":1}`, `{"first_name":"Ada","x":1}`},
		{"rename into a new parent", []Spec{{Op: "rename", Path: "name", To: "person.name"}}, `{"name":{"first":"Ada"}}`, `{"person":{"name":{"first":"Ada"}}}`},
		{"rename missing is a no-op", []Spec{{Op: "rename", Path: "x", To: "y"}}, `{"a":1}`, `{"a":1}`},
		{"in order", []Spec{{Op: "rename", Path: "a", To: "b"}, {Op: "set", Path: "b.c", Value: "true"}, {Op: "delete", Path: "z"}},
			`{"a":{"c":false},"z":0}`, `{"b":{"c":true}}`},
		// keys matched as decoders match them: case and escapes
		{"delete any case", []Spec{{Op: "delete", Path: "role"}}, `{"ROLE":"admin","a":1}`, `{"a":1}`},
		{"delete escaped", []Spec{{Op: "delete", Path: "role"}}, `{"r\u006fle":"admin","a":1}`, `{"a":1}`},
		{"set keeps the document's spelling", []Spec{{Op: "set", Path: "user.id", Value: "{user}"}}, `{"User":{"ID":"mallory"}}`, `{"User":{"ID":"alice"}}`},
		{"keys with dots and stars", []Spec{{Op: "delete", Path: "a"}}, `{"a.b":1,"*":2,"a":3}`, `{"a.b":1,"*":2}`},
		{"a key with a dot is not a path", []Spec{{Op: "delete", Path: "a.b"}}, `{"a.b":1}`, `{"a.b":1}`},
	}
	expand := func(s string) string { return strings.ReplaceAll(s, "{user}", "alice") }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.in)
			out, err := mustCompile(t, c.specs...).Apply(in, expand)
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, out, c.want)
			if string(in) != c.in {
				t.Fatalf("the input changed: %s", in)
			}
		})
	}
}

func TestRefusedDocuments(t *testing.T) {
	p := mustCompile(t, Spec{Op: "set", Path: "user.id", Value: `"alice"`})
	for _, in := range []string{`{"a":`, `{"a":1}x`, `nope`, `{"a":"\x01"}`, "{\"a\":\"\xff\"}", `[1,]`, `{"a":01}`, strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2)} {
		if _, err := p.Apply([]byte(in), nil); !errors.Is(err, ErrInvalidJSON) {
			t.Errorf("%.40q: err = %v, want invalid JSON", in, err)
		}
	}
	// one key twice, by any spelling a decoder would take for the same
	many := `{` + strings.Repeat(`"k`, 1)
	for i := 0; i < 40; i++ {
		many += `x` + strings.Repeat("y", i) + `":1,"k`
	}
	many += `XYYY":2}`
	for _, in := range []string{
		`{"user":{"id":"me","id":"you"}}`,
		`{"user":{"id":"me","ID":"you"}}`,
		`{"user":{"id":"me"},"USER":{"id":"you"}}`,
		`{"id":1,"\u0069d":2}`,
		`{"s":1,"ſ":2}`, // long s folds to s
		many,            // the map path, past 32 keys
	} {
		if _, err := p.Apply([]byte(in), nil); !errors.Is(err, ErrDuplicateKey) {
			t.Errorf("%.60q: err = %v, want a duplicate key", in, err)
		}
	}
	if _, err := p.Apply([]byte(`{"a":{"id":1},"b":{"id":2}}`), nil); err != nil {
		t.Errorf("the same key in two objects is fine: %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		says string
	}{
		{Spec{Op: "set", Path: "", Value: "1"}, "empty"},
		{Spec{Op: "set", Path: "a..b", Value: "1"}, "empty"},
		{Spec{Op: "delete", Path: "items.#.name"}, `character '#'`},
		{Spec{Op: "delete", Path: "a*"}, `character '*'`},
		{Spec{Op: "delete", Path: "a|@reverse"}, `character '|'`},
		{Spec{Op: "delete", Path: "list.-1"}, "only for set"},
		{Spec{Op: "rename", Path: "a", To: ""}, "empty"},
		{Spec{Op: "move", Path: "a"}, "unknown operation"},
	} {
		if _, err := Compile([]Spec{c.spec}); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: err = %v, want %q", c.spec, err, c.says)
		}
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\`, "ctl\x01\n\t\r\b\f", "<&>", "é世界", "\u2028\u2029", "bad\xffutf8"} {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}
