package transform

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func doc2KB() []byte {
	var b strings.Builder
	b.WriteString(`{"user":{"id":"someone","name":"Ada Lovelace","email":"ada@example.com"},"internal":{"db":"10.0.0.5","trace":"0af7651916cd43dd8448eb211c80319c"},"items":[`)
	for i := 0; b.Len() < 1900; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item number %d","price":%d.99,"tags":["a","b"]}`, i, i, i)
	}
	b.WriteString(`],"total":42}`)
	return []byte(b.String())
}

// BenchmarkSetDelete2KB compares the engine (gjson/sjson, with the
// duplicate-key check) with decoding into any and encoding again with
// encoding/json, for a set and a delete on a 2 KB document: the choice of
// library README names.
func BenchmarkSetDelete2KB(b *testing.B) {
	doc := doc2KB()
	b.Run("gjson-sjson", func(b *testing.B) {
		p := mustCompile(b, Spec{Op: "set", Path: "user.id", Value: "{u}"}, Spec{Op: "delete", Path: "internal"})
		expand := func(string) string { return "alice" }
		buf := make([]byte, 0, 4096)
		b.ReportAllocs()
		for b.Loop() {
			buf = append(buf[:0], doc...)
			if _, _, err := p.ApplyInPlace(buf, expand); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(doc, &v); err != nil {
				b.Fatal(err)
			}
			v["user"].(map[string]any)["id"] = "alice"
			delete(v, "internal")
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
