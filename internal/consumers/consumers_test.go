package consumers

import (
	"context"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

func TestKeyFormat(t *testing.T) {
	id, key := NewKey()
	if !strings.HasPrefix(key, "cgw_"+id+"_") || len(key) != keyLen {
		t.Fatalf("key %q (id %q) is not cgw_<id>_<secret>_<crc> of %d characters", key, id, keyLen)
	}
	got, ok := ParseKey(key)
	if !ok || got != id {
		t.Fatalf("ParseKey(%q) = %q, %v", key, got, ok)
	}
	if !ValidKeyID(id) {
		t.Fatalf("ValidKeyID(%q) = false", id)
	}
	// every single-character typo is caught by the checksum (or the form)
	alphabet := "abcdefghijklmnopqrstuvwxyz234567_A!"
	for i := len(KeyPrefix); i < len(key); i++ {
		for _, c := range alphabet {
			if byte(c) == key[i] {
				continue
			}
			typo := key[:i] + string(c) + key[i+1:]
			if _, ok := ParseKey(typo); ok {
				t.Fatalf("a typo at %d (%q) passes: %q", i, c, typo)
			}
		}
	}
	for _, bad := range []string{"", "cgw_", key[:len(key)-1], key + "a", "xyz" + key[3:], strings.ToUpper(key)} {
		if _, ok := ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) passes", bad)
		}
	}
	_, other := NewKey()
	if other == key {
		t.Fatal("two keys are the same")
	}
}

func newTestStore(t *testing.T) (*Store, *time.Time) {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := NewStore()
	s.Now = func() time.Time { return now }
	return s, &now
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	s, now := newTestStore(t)
	if _, err := s.Create(ctx, Consumer{ID: "acme", Plan: "pro", Metadata: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	key, k, err := s.AddKey(ctx, "acme", "ci", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mustJSON(t, s.All())), key) || strings.Contains(string(mustJSON(t, s.All())), key[len(KeyPrefix)+keyIDLen+1:checksumFrom-1]) {
		t.Fatal("the stored consumer holds the key's secret")
	}
	c, why := s.Authenticate(key, *now)
	if why != Accepted || c.ID != "acme" || c.Plan != "pro" {
		t.Fatalf("Authenticate = %v, %v", c, why)
	}
	// an unknown key of the right form, a wrong secret for a known id, a typo
	_, unknown := NewKey()
	if _, why := s.Authenticate(unknown, *now); why != Unknown {
		t.Errorf("unknown key: %v", why)
	}
	forged := KeyPrefix + k.ID + "_" + strings.Repeat("a", secretLen) + "_"
	forged += checksum(forged)
	if _, why := s.Authenticate(forged, *now); why != Unknown {
		t.Errorf("known id, wrong secret: %v", why)
	}
	if _, why := s.Authenticate(key[:len(key)-1]+"x", *now); why != Malformed {
		t.Errorf("typo: %v", why)
	}
	// expiry
	exp := now.Add(time.Hour)
	key2, _, err := s.AddKey(ctx, "acme", "", exp)
	if err != nil {
		t.Fatal(err)
	}
	if _, why := s.Authenticate(key2, exp.Add(-time.Nanosecond)); why != Accepted {
		t.Errorf("before expiry: %v", why)
	}
	if _, why := s.Authenticate(key2, exp); why != Expired {
		t.Errorf("at expiry: %v", why)
	}
	if _, _, err := s.AddKey(ctx, "acme", "", now.Add(-time.Second)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a key expiring in the past: %v", err)
	}
	// disabled consumer
	if _, err := s.Update(ctx, "acme", func(c *Consumer) error { c.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, why := s.Authenticate(key, *now); why != Disabled {
		t.Errorf("disabled: %v", why)
	}
	if _, err := s.Update(ctx, "acme", func(c *Consumer) error { c.Disabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	// rotation: delete the first key, the second still works
	if err := s.DeleteKey(ctx, "acme", k.ID); err != nil {
		t.Fatal(err)
	}
	if _, why := s.Authenticate(key, *now); why != Unknown {
		t.Errorf("deleted key: %v", why)
	}
	if _, why := s.Authenticate(key2, *now); why != Accepted {
		t.Errorf("the other key after a deletion: %v", why)
	}
	if err := s.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, why := s.Authenticate(key2, *now); why != Unknown {
		t.Errorf("key of a deleted consumer: %v", why)
	}
	if c, k := s.Len(); c != 0 || k != 0 {
		t.Errorf("after deleting everything: %d consumers, %d keys", c, k)
	}
}

func TestStoreErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	for _, c := range []Consumer{{ID: ""}, {ID: "../x"}, {ID: "a b"}, {ID: strings.Repeat("a", 129)},
		{ID: "ok", Metadata: map[string]string{"Bad": "x"}}, {ID: "ok", Metadata: map[string]string{"k": "a\nb"}}} {
		if _, err := s.Create(ctx, c); !errors.Is(err, ErrInvalid) {
			t.Errorf("Create(%+v) = %v, want ErrInvalid", c, err)
		}
	}
	if _, err := s.Create(ctx, Consumer{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, Consumer{ID: "a"}); !errors.Is(err, ErrExists) {
		t.Errorf("second Create: %v", err)
	}
	if _, err := s.Update(ctx, "b", func(*Consumer) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update of a missing consumer: %v", err)
	}
	if err := s.DeleteKey(ctx, "a", "aaaaaaaaaaaaa"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteKey of a missing key: %v", err)
	}
	for range MaxKeysPerConsumer {
		if _, _, err := s.AddKey(ctx, "a", "", time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.AddKey(ctx, "a", "", time.Time{}); !errors.Is(err, ErrFull) {
		t.Errorf("one key too many: %v", err)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	for _, id := range []string{"c", "a", "e", "b", "d"} {
		if _, err := s.Create(ctx, Consumer{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for {
		page := s.List(after, 2)
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			got = append(got, c.ID)
		}
		after = page[len(page)-1].ID
	}
	if strings.Join(got, "") != "abcde" {
		t.Fatalf("paged listing: %v", got)
	}
}

type failingBackend struct{ err error }

func (f failingBackend) Save(context.Context, *Consumer) error { return f.err }
func (f failingBackend) Remove(context.Context, string) error  { return f.err }

func TestBackendDownChangesNothing(t *testing.T) {
	ctx := context.Background()
	s, now := newTestStore(t)
	if _, err := s.Create(ctx, Consumer{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	key, k, err := s.AddKey(ctx, "a", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	s.SetBackend(failingBackend{errors.New("connection refused")})
	if err := s.DeleteKey(ctx, "a", k.ID); !errors.Is(err, ErrBackendDown) {
		t.Fatalf("revocation with the backend down: %v", err)
	}
	if _, why := s.Authenticate(key, *now); why != Accepted {
		t.Fatalf("a revocation that was refused took effect here only: %v", why)
	}
}

func TestCRCString(t *testing.T) {
	for _, s := range []string{"", "a", "cgw_abc", strings.Repeat("xyz", 30)} {
		if crcString(s) != crc32.ChecksumIEEE([]byte(s)) {
			t.Errorf("crcString(%q) differs from crc32.ChecksumIEEE", s)
		}
	}
}
