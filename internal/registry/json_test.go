package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/zap"

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

// FuzzParseRedisValue: a value from Redis (untrusted) never panics the
// parser, and what parses either validates as a registration would or is
// refused.
func FuzzParseRedisValue(f *testing.F) {
	f.Add(`{"v":3,"instance":{"service":"s","id":"a","address":"10.0.0.1:80","ttl":"30s","metadata":{"k":"v"}}}`)
	f.Add(`{"service":"s","id":"a","address":"10.0.0.1:80"}`)
	f.Add(`{"v":1,"instance":{"service":"s","id":"..","address":"169.254.169.254:80","registered_via":"x"}}`)
	f.Add(`{"v":-1,"instance":null}`)
	f.Fuzz(func(t *testing.T, value string) {
		inst, _, err := parseRedisValue(value)
		if err != nil {
			return
		}
		ri := remoteInstance{key: redisInstanceKey(inst.Service, inst.ID), inst: inst}
		reg, err := validRemote(ri, testSettings.Policy)
		if err != nil {
			return
		}
		if reg.Normalize() != nil || reg.Service != inst.Service {
			t.Fatalf("validRemote accepted %+v", reg)
		}
	})
}

// FuzzReadRecord: a stored record, whatever its bytes, is read or set
// aside, never half-read; what is read is all of the service it names.
func FuzzReadRecord(f *testing.F) {
	f.Add([]byte(`{"version":2,"service":"svc","instances":[{"service":"svc","id":"a","address":"10.0.0.1:80","ttl":"1m"}]}`))
	f.Add([]byte(`{"version":2,"service":"svc","instances":[{"service":"other","id":"a","address":"10.0.0.1:80"}]}`))
	f.Add([]byte(`{"version":2,"service":"svc","instances":[{"service":"svc","ttl":"1d"}]}`))
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		storage := newMemStorage()
		key := recordKey("svc")
		storage.data[key] = data
		instances, err := readRecord(context.Background(), storage, key, zap.NewNop())
		if err != nil {
			t.Fatalf("a record in a readable storage failed the load: %v", err)
		}
		for _, inst := range instances {
			if inst.Service != "svc" {
				t.Fatalf("read an instance of %q from svc's record", inst.Service)
			}
		}
		if instances == nil && storage.get(key) != nil && len(storage.data) < 2 {
			t.Fatal("an unreadable record was neither read nor set aside")
		}
	})
}
