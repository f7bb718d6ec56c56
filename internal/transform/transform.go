// Package transform edits JSON documents — the request and response bodies
// of the gateway's transform handler — with set, delete and rename on dot
// paths, without decoding them whole: github.com/tidwall/gjson finds the
// values, github.com/tidwall/sjson edits the bytes. It knows nothing of HTTP
// or Caddy.
//
// Keys are matched as upstream JSON decoders match them: after unescaping
// and regardless of case, and documents holding one key twice (by that
// comparison) are refused, so that no spelling of a key carries a value past
// a set or a delete.
package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Spec is one operation as configured.
type Spec struct {
	Op    string // set, delete or rename
	Path  string // dot path: user.id, items.0.name
	To    string // rename: the new path
	Value string // set: a JSON literal, or text with placeholders
}

type kind uint8

const (
	opSet kind = iota
	opDelete
	opRename
)

type op struct {
	kind     kind
	path, to []string
	literal  []byte // set: a JSON value
	template string // set: text expanded per document, set as a JSON string
}

// Program is a compiled list of operations, applied in order.
type Program struct {
	ops         []op
	hasTemplate bool
}

// ErrInvalidJSON wraps what is wrong with a document that is not JSON.
var ErrInvalidJSON = errors.New("not valid JSON")

// Compile checks and compiles operations.
func Compile(specs []Spec) (*Program, error) {
	p := &Program{}
	for _, s := range specs {
		o := op{}
		var err error
		if o.path, err = parsePath(s.Path); err != nil {
			return nil, fmt.Errorf("%s %q: %v", s.Op, s.Path, err)
		}
		switch s.Op {
		case "set":
			o.kind = opSet
			if json.Valid([]byte(s.Value)) {
				if err := check([]byte(s.Value)); err != nil {
					return nil, fmt.Errorf("set %q: the value %v", s.Path, err)
				}
				o.literal = []byte(s.Value)
			} else {
				o.template = s.Value
				p.hasTemplate = true
			}
			if last := o.path[len(o.path)-1]; last == "-1" && len(o.path) == 1 {
				return nil, fmt.Errorf("set %q: the document itself is not an array to append to", s.Path)
			}
		case "delete":
			o.kind = opDelete
		case "rename":
			o.kind = opRename
			if o.to, err = parsePath(s.To); err != nil {
				return nil, fmt.Errorf("rename %q to %q: %v", s.Path, s.To, err)
			}
		default:
			return nil, fmt.Errorf("unknown operation %q: want set, delete or rename", s.Op)
		}
		if o.kind != opSet && o.path[len(o.path)-1] == "-1" {
			return nil, fmt.Errorf("%s %q: -1 (append) is only for set", s.Op, s.Path)
		}
		p.ops = append(p.ops, o)
	}
	return p, nil
}

// HasTemplate tells whether a set needs placeholders expanded.
func (p *Program) HasTemplate() bool { return p.hasTemplate }

// MaxIndex bounds the array indexes of paths: a set past the end of an
// array fills the gap with nulls.
const MaxIndex = 10000

// parsePath splits a dot path, refusing what gjson/sjson would read as
// syntax (wildcards, queries, modifiers, escapes).
func parsePath(path string) ([]string, error) {
	if path == "" {
		return nil, errors.New("the path is empty")
	}
	if len(path) > 1024 {
		return nil, errors.New("the path is longer than 1024 bytes")
	}
	segs := strings.Split(path, ".")
	if len(segs) > 32 {
		return nil, errors.New("the path has more than 32 segments")
	}
	for _, s := range segs {
		if n, err := strconv.Atoi(s); err == nil && n > MaxIndex {
			return nil, fmt.Errorf("array index %d is above %d", n, MaxIndex)
		}
		if s == "" {
			return nil, errors.New("a segment of the path is empty (two dots, or a dot at an end)")
		}
		if i := strings.IndexAny(s, "*?#|@\\{}[]\"!=<>%~:,"); i >= 0 {
			return nil, fmt.Errorf("the character %q cannot be in a path", s[i])
		}
		for _, c := range []byte(s) {
			if c < 0x20 || c == 0x7f {
				return nil, errors.New("a path cannot hold control characters")
			}
		}
	}
	return segs, nil
}

// Apply runs the program on a JSON document and returns the new document;
// expand replaces placeholders in set's text values (nil: none). The
// document is refused (ErrInvalidJSON, ErrDuplicateKey) when it is not JSON
// or holds a key twice. doc is not changed.
func (p *Program) Apply(doc []byte, expand func(string) string) ([]byte, error) {
	out, _, err := p.apply(doc, expand, false)
	return out, err
}

// ApplyInPlace is Apply that may edit doc's memory (its capacity
// included) and return a slice of it: for a buffer the caller owns.
// changed tells whether any operation found something to edit (when it is
// false, out holds doc's bytes as they were).
func (p *Program) ApplyInPlace(doc []byte, expand func(string) string) (out []byte, changed bool, err error) {
	return p.apply(doc, expand, true)
}

// apply is Apply; owned tells whether doc's memory is ours to edit.
//
// Every document sjson returns is valid JSON without duplicate keys when
// the input was and the values set are (literals are checked when
// compiled, text is encoded here): FuzzApply checks it, so the result is
// not scanned again.
func (p *Program) apply(doc []byte, expand func(string) string, owned bool) ([]byte, bool, error) {
	if err := check(doc); err != nil {
		if errors.Is(err, ErrDuplicateKey) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("%w: %v", ErrInvalidJSON, err)
	}
	out := doc
	changed := false
	var scratch []byte
	for _, o := range p.ops {
		var err error
		switch o.kind {
		case opDelete:
			path, exists := resolve(out, o.path)
			if exists {
				out, err = sjson.DeleteBytesOptions(out, path, &sjson.Options{ReplaceInPlace: owned})
				owned, changed = true, true
			}
		case opSet:
			raw := o.literal
			if raw == nil {
				v := o.template
				if expand != nil {
					v = expand(v)
				}
				scratch = appendString(scratch[:0], v)
				raw = scratch
			}
			path, _ := resolve(out, o.path)
			out, err = sjson.SetRawBytesOptions(out, path, raw, &sjson.Options{ReplaceInPlace: owned})
			owned, changed = true, true
		case opRename:
			from, exists := resolve(out, o.path)
			if !exists {
				continue
			}
			raw := []byte(gjson.Get(unsafeString(out), from).Raw) // a copy: out changes below
			if out, err = sjson.DeleteBytesOptions(out, from, &sjson.Options{ReplaceInPlace: owned}); err != nil {
				break
			}
			owned, changed = true, true
			to, _ := resolve(out, o.to)
			out, err = sjson.SetRawBytesOptions(out, to, raw, &sjson.Options{ReplaceInPlace: true})
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s: %v", o.describe(), err)
		}
	}
	if !changed && !owned {
		return append([]byte(nil), doc...), false, nil
	}
	return out, changed, nil
}

func (o op) describe() string {
	name := map[kind]string{opSet: "set", opDelete: "delete", opRename: "rename"}[o.kind]
	return name + " " + strings.Join(o.path, ".")
}

// resolve turns configured path segments into the sjson path of the value
// in doc: object keys are matched regardless of case and escapes (the
// document's own spelling is used), array elements by index. Where the
// document has nothing, the rest of the path keeps the configured
// spelling (a set creates it). exists tells whether the whole path is in
// doc.
func resolve(doc []byte, segs []string) (string, bool) {
	if simple(segs) {
		// the path as configured is in the document: keys are unique (by
		// any spelling), so that is the one
		path := strings.Join(segs, ".")
		if gjson.GetBytes(doc, path).Exists() {
			return path, true
		}
	}
	cur := gjson.Parse(unsafeString(doc))
	var b strings.Builder
	exists := true
	for i, seg := range segs {
		if i > 0 {
			b.WriteByte('.')
		}
		if !exists {
			escapePath(&b, seg)
			continue
		}
		switch {
		case cur.IsObject():
			var found gjson.Result
			var name string
			cur.ForEach(func(k, v gjson.Result) bool {
				if strings.EqualFold(k.Str, seg) {
					found, name = v, k.Str
					return false
				}
				return true
			})
			if name == "" && !found.Exists() {
				exists = false
				escapePath(&b, seg)
				continue
			}
			escapePath(&b, name)
			cur = found
		case cur.IsArray():
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 {
				exists = false
				escapePath(&b, seg)
				continue
			}
			var found gjson.Result
			idx := 0
			cur.ForEach(func(_, v gjson.Result) bool {
				if idx == n {
					found = v
					return false
				}
				idx++
				return true
			})
			b.WriteString(seg)
			if !found.Exists() {
				exists = false
				continue
			}
			cur = found
		default:
			exists = false
			escapePath(&b, seg)
		}
	}
	return b.String(), exists
}

// simple tells whether the segments can be joined into a gjson path as
// they are: letters, digits, _ and -.
func simple(segs []string) bool {
	for _, s := range segs {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// escapePath writes a key into an sjson path, escaping what sjson reads as
// syntax.
func escapePath(b *strings.Builder, key string) {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c >= 0x80) {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
}
