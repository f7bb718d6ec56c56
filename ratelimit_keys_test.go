package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestThrottleIPv6ClientsCountByPrefix: one client holds a whole /64; the
// default key counts it once.
func TestThrottleIPv6ClientsCountByPrefix(t *testing.T) {
	clk := new(fakeNanos)
	zones := newZones()
	th := newThrottle(t, &Throttle{Rates: []Rate{perWindow(1, time.Minute)}}, zones, clk)
	if !hit(t, th, "2001:db8:1:2::1", nil).passed {
		t.Fatal("first request refused")
	}
	if hit(t, th, "2001:db8:1:2:ffff::9", nil).passed {
		t.Fatal("a second address of the same /64 got a fresh bucket")
	}
	if !hit(t, th, "2001:db8:1:3::1", nil).passed {
		t.Fatal("another /64 shares the bucket")
	}
	if !hit(t, th, "192.0.2.1", nil).passed || hit(t, th, "192.0.2.1", nil).passed || !hit(t, th, "192.0.2.2", nil).passed {
		t.Fatal("IPv4 clients are not counted per address")
	}

	exact := newThrottle(t, &Throttle{Rates: []Rate{perWindow(1, time.Minute)}, IPv6Prefix: 128}, zones, clk)
	if !hit(t, exact, "2001:db8::1", nil).passed || !hit(t, exact, "2001:db8::2", nil).passed {
		t.Fatal("ipv6_prefix 128 does not count each address")
	}
	if err := (&Throttle{Rates: []Rate{perWindow(1, time.Minute)}, IPv6Prefix: 129}).Validate(); err == nil {
		t.Fatal("ipv6_prefix 129 accepted")
	}
}

// TestThrottleFallbackKeyIsNamespaced: with a custom key, a request whose
// key renders empty is counted by its IP, in a bucket no custom key can
// name, so a client cannot drain someone else's anonymous budget by sending
// the victim's IP as its key.
func TestThrottleFallbackKeyIsNamespaced(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Key: "{http.request.header.X-Api-Key}", Rates: []Rate{perWindow(1, time.Minute)}}, newZones(), clk)
	for range 5 {
		hit(t, th, "10.0.0.66", map[string]any{"http.request.header.X-Api-Key": "192.0.2.7"})
		hit(t, th, "10.0.0.66", map[string]any{"http.request.header.X-Api-Key": "\x00192.0.2.7"})
	}
	if !hit(t, th, "192.0.2.7", nil).passed {
		t.Fatal("the victim's anonymous bucket was drained through a custom key")
	}
	if hit(t, th, "192.0.2.7", nil).passed {
		t.Fatal("anonymous requests are not limited by IP")
	}
}

// TestThrottleFloodNeverFreesALimitedKey: a flood of new keys into a full
// zone evicts, but never a key that is being limited.
func TestThrottleFloodNeverFreesALimitedKey(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Rates: []Rate{perWindow(5, time.Minute)}, MaxKeys: 64}, newZones(), clk)
	var tats [maxRates]int64
	for range 5 {
		th.zone.Take("abuser", clk.now(), tats[:1])
	}
	if ok, _ := th.zone.Take("abuser", clk.now(), tats[:1]); ok {
		t.Fatal("the burst of 5 did not limit")
	}
	for i := range 100000 {
		th.zone.Take(fmt.Sprintf("flood-%d", i), clk.now(), tats[:1])
		if i%1000 == 0 {
			if ok, _ := th.zone.Take("abuser", clk.now(), tats[:1]); ok {
				t.Fatalf("after %d new keys, the limited key was let through: it was evicted", i)
			}
		}
	}
	// the zone stayed bounded
	if n := th.zone.Keys(); n > 64 {
		t.Fatalf("%d keys tracked; max_keys is 64", n)
	}
}

func TestThrottleLogsNoCustomKey(t *testing.T) {
	th := &Throttle{Key: "{http.request.header.X-Api-Key}"}
	f := th.keyField("sk_live_secret")
	if f.Key != "key_sha256" || strings.Contains(f.String, "secret") {
		t.Fatalf("a custom key is logged as %s=%q", f.Key, f.String)
	}
	if f := th.keyField(fallbackKeyMark + "192.0.2.1"); f.Key != "key" || f.String != "192.0.2.1" {
		t.Fatalf("a fallback key is logged as %s=%q", f.Key, f.String)
	}
}

// TestThrottleLongKeysShareNoBucketWithShortOnes: a key over 64 bytes is
// kept hashed; a client sending that hash as its key (raw bytes or the
// hex form earlier releases of circuit_breaker and load_shed used) gets a
// bucket of its own. Before the fix the raw 32-byte digest was the key.
func TestThrottleLongKeysShareNoBucketWithShortOnes(t *testing.T) {
	clk := new(fakeNanos)
	th := newThrottle(t, &Throttle{Key: "{http.request.header.X-Api-Key}", Rates: []Rate{perWindow(1, time.Minute)}}, newZones(), clk)
	long := strings.Repeat("k", 100)
	sum := sha256.Sum256([]byte(long))
	hit(t, th, "10.0.0.1", map[string]any{"http.request.header.X-Api-Key": long})
	if hit(t, th, "10.0.0.1", map[string]any{"http.request.header.X-Api-Key": long}).passed {
		t.Fatal("the long key is not limited")
	}
	for _, short := range []string{string(sum[:]), "sha256:" + hex.EncodeToString(sum[:16]), "sha256:" + hex.EncodeToString(sum[:28])} {
		if !hit(t, th, "10.0.0.2", map[string]any{"http.request.header.X-Api-Key": short}).passed {
			t.Fatalf("the %d-byte key %q shares the long key's bucket", len(short), short)
		}
	}
}

// TestBoundKeyKeepsHashedAndRawKeysApart: every hashed key is longer than
// any key kept as it is, so the two sets cannot meet; both stay bounded.
func TestBoundKeyKeepsHashedAndRawKeysApart(t *testing.T) {
	for n := 0; n <= 3*maxKeyLen; n++ {
		k := strings.Repeat("a", n)
		b := boundKey(k)
		switch {
		case n <= maxKeyLen && b != k:
			t.Fatalf("a %d-byte key was changed", n)
		case n > maxKeyLen && (len(b) <= maxKeyLen || !strings.HasPrefix(b, hashedKeyMark)):
			t.Fatalf("a %d-byte key is kept as %q, which a raw key could equal", n, b)
		case len(b) > maxKeyLen+len(hashedKeyMark):
			t.Fatalf("a %d-byte key is kept in %d bytes", n, len(b))
		}
	}
	if boundKey(strings.Repeat("a", 65)) == boundKey(strings.Repeat("a", 66)) {
		t.Fatal("two long keys hashed alike")
	}
}

// TestRefusedKeysStayBounded: mode exact's memory of refused keys holds at
// most max_keys; keys whose wait is over make room for new refusals, and an
// admission forgets a key.
func TestRefusedKeysStayBounded(t *testing.T) {
	clk := new(fakeNanos)
	r := newRefusedKeys(32, clk.now)
	tats := make([]int64, 1)
	for i := range 1000 {
		r.note(fmt.Sprint("k", i), false, int64(time.Minute), 0, tats)
	}
	if n := r.n.Load(); n > 32 || n == 0 {
		t.Fatalf("%d refused keys remembered; want 1 to 32", n)
	}
	clk.advance(2 * time.Minute)
	r.note("late", false, int64(time.Minute), 0, tats)
	if _, _, ok := r.hold("late", tats); !ok {
		t.Fatal("a refusal found no room although every remembered wait was over")
	}
	r.note("late", true, 0, 0, tats)
	if _, _, ok := r.hold("late", tats); ok {
		t.Fatal("an admitted key is still held refused")
	}
	if n := r.n.Load(); n > 32 {
		t.Fatalf("%d keys after eviction, over 32", n)
	}
}
