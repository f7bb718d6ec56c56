package consumers

import (
	"context"
	"testing"
	"time"
)

// BenchmarkAuthenticate: a known key, an unknown key id and a known id
// with a wrong secret cost the same (one SHA-256 and one constant-time
// compare); compare the three ns/op.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	s := NewStore()
	if _, err := s.Create(ctx, Consumer{ID: "acme"}); err != nil {
		b.Fatal(err)
	}
	key, k, err := s.AddKey(ctx, "acme", "", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	_, unknown := NewKey()
	wrong := KeyPrefix + k.ID + "_" + unknown[len(KeyPrefix)+keyIDLen+1:checksumFrom]
	wrong += checksum(wrong)
	now := time.Now()
	for _, c := range []struct{ name, key string }{{"known", key}, {"unknown_id", unknown}, {"wrong_secret", wrong}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Authenticate(c.key, now)
			}
		})
	}
}
