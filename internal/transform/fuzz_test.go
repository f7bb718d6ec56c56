package transform

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzCheck: the scanner accepts exactly what encoding/json accepts, but
// for documents it refuses for a duplicate key, depth, or invalid UTF-8
// (which encoding/json lets through, RFC 8259 does not).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `{"a":1,"A":2}`, `"\ud800"`, `-0.5e+3`, `[`, `{"\u0061":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := check(b)
		valid := json.Valid(b)
		if err == nil && !valid {
			t.Fatalf("check accepted invalid JSON %q", b)
		}
		if err != nil && valid && !errors.Is(err, ErrDuplicateKey) && len(b) < MaxDepth && utf8.Valid(b) {
			t.Fatalf("check refused valid JSON %q: %v", b, err)
		}
	})
}

// FuzzApply feeds random documents, paths and values: no panic, and every
// document it returns is JSON without duplicate keys.
func FuzzApply(f *testing.F) {
	f.Add([]byte(`{"user":{"id":"x"},"items":[{"a":1}]}`), "user.id", "{v}", "items.0.a", "b")
	f.Add([]byte(`[1,2]`), "0", "true", "1", "x.y")
	f.Add([]byte(`{"a.b":{"c":1}}`), "a", `{"x":[1]}`, "a", "A")
	f.Fuzz(func(t *testing.T, doc []byte, path, value, from, to string) {
		for _, specs := range [][]Spec{
			{{Op: "set", Path: path, Value: value}},
			{{Op: "delete", Path: path}},
			{{Op: "rename", Path: from, To: to}},
			{{Op: "delete", Path: from}, {Op: "set", Path: to, Value: value}, {Op: "rename", Path: path, To: from}},
		} {
			p, err := Compile(specs)
			if err != nil {
				continue
			}
			out, err := p.Apply(doc, func(s string) string { return s + "\x00\"" })
			if err != nil {
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("%+v on %q gave invalid JSON %q", specs, doc, out)
			}
			if err := check(out); err != nil {
				t.Fatalf("%+v on %q gave %q: %v", specs, doc, out, err)
			}
		}
	})
}
