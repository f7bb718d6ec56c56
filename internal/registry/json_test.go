package registry

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
)

// FuzzAppendJSON: the hand-written encoder writes byte for byte what
// encoding/json writes for the same instance, whatever the strings hold.
func FuzzAppendJSON(f *testing.F) {
	f.Add("hello", "a:1", "127.0.0.1:80", "zone", "eu", "/healthz", int64(30), int64(1700000000123456789), 2, true, false)
	f.Add("x", "<&>", "[::1]:80", "k/1", "\x00\x1f\"\\\u2028\u2029\xff\xfe", "", int64(0), int64(-1), 0, false, true)
	f.Add("s", "id", "h:1", "", "", "/p?q=<x>", int64(1), int64(0), 5, true, true)
	f.Fuzz(func(t *testing.T, service, id, addr, key, value, path string, ttl, nanos int64, fails int, checked, site bool) {
		at := time.Unix(0, nanos).UTC()
		inst := Instance{Service: service, ID: id, Address: addr, TTL: time.Duration(ttl) * time.Second,
			RegisteredAt: at, RenewedAt: at.Add(time.Second), HealthPath: path}
		if key != "" {
			inst.Metadata = map[string]string{key: value, key + "2": path}
		}
		if ttl > 0 {
			inst.ExpiresAt = at.Add(time.Minute)
		}
		if checked {
			inst.health = &instanceHealth{checkedAt: at, fails: fails, unhealthy: fails > 2, unhealthySince: at}
		}
		if site {
			inst.Origin = addrpolicy.Site
		}
		want, err := json.Marshal(inst.toJSON())
		if err != nil {
			t.Fatalf("encoding/json: %v", err) // times from int64 nanoseconds are always in range
		}
		got := inst.AppendJSON(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON:\n%s\nencoding/json:\n%s", got, want)
		}
		var back Instance
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("what AppendJSON writes does not read back: %v\n%s", err, got)
		}
	})
}
