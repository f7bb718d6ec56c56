package consumers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
	"unsafe"
)

// An API key reads cgw_<key id>_<secret>_<checksum>:
//
//   - cgw_ says what it is, so secret scanners (and people) recognise it;
//   - the key id (13 characters, 64 random bits) names the key in the
//     store, in the admin API and on the dashboard; it is not secret;
//   - the secret (52 characters, 256 random bits) is what proves the key;
//   - the checksum (CRC-32 of everything before it, 7 characters) lets a
//     mistyped or truncated key be refused before any lookup.
//
// Each part is lowercase base32 without padding, so a key needs no escaping
// in a header, a query string or a shell.
//
// Only SHA-256 of the whole key is stored. A slow hash (bcrypt, argon2)
// protects low-entropy secrets that people choose, which an attacker
// holding the hash could guess by brute force; a key's 256 random bits
// cannot be guessed whatever the hash's speed, so the fast hash loses
// nothing and keeps the check to a microsecond.
const (
	KeyPrefix    = "cgw_"
	keyIDBytes   = 8
	secretBytes  = 32
	keyIDLen     = 13 // base32 of 8 bytes
	secretLen    = 52 // base32 of 32 bytes
	checksumLen  = 7  // base32 of 4 bytes
	keyLen       = len(KeyPrefix) + keyIDLen + 1 + secretLen + 1 + checksumLen
	checksumFrom = len(KeyPrefix) + keyIDLen + 1 + secretLen + 1
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Hash is what the store keeps of a key.
type Hash [sha256.Size]byte

// HashKey is the stored form of a key.
func HashKey(key string) Hash { return sha256.Sum256(readOnlyBytes(key)) }

// readOnlyBytes is a string's bytes without a copy, for functions that
// only read them (sha256, crc32): the request path checks a key without
// copying it to the heap, which []byte(key) would, since crc32's and
// sha256's assembly make their argument escape.
func readOnlyBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// NewKey makes a fresh key: its id and the whole key, shown once.
func NewKey() (id, key string) {
	var raw [keyIDBytes + secretBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic(fmt.Sprintf("consumers: the system's random source failed: %v", err)) // crypto/rand never fails on supported systems
	}
	id = b32.EncodeToString(raw[:keyIDBytes])
	body := KeyPrefix + id + "_" + b32.EncodeToString(raw[keyIDBytes:]) + "_"
	return id, body + checksum(body)
}

func checksum(body string) string {
	var out [checksumLen]byte
	return string(appendChecksum(out[:0], body))
}

// appendChecksum appends body's checksum to dst (allocating nothing when
// dst has room).
func appendChecksum(dst []byte, body string) []byte {
	var c [4]byte
	s := crcString(body)
	c[0], c[1], c[2], c[3] = byte(s>>24), byte(s>>16), byte(s>>8), byte(s)
	n := len(dst)
	dst = append(dst, make([]byte, checksumLen)...)
	b32.Encode(dst[n:], c[:])
	return dst
}

// ParseKey checks a key's form and checksum and returns its id. It does
// not say whether the key exists: only Store.Authenticate does.
func ParseKey(key string) (id string, ok bool) {
	if len(key) != keyLen || !strings.HasPrefix(key, KeyPrefix) ||
		key[len(KeyPrefix)+keyIDLen] != '_' || key[checksumFrom-1] != '_' {
		return "", false
	}
	for i := len(KeyPrefix); i < keyLen; i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7' || c == '_') {
			return "", false
		}
	}
	var sum [checksumLen]byte
	if string(appendChecksum(sum[:0], key[:checksumFrom])) != key[checksumFrom:] {
		return "", false
	}
	return key[len(KeyPrefix) : len(KeyPrefix)+keyIDLen], true
}

// crcString is crc32.ChecksumIEEE of a string.
func crcString(s string) uint32 { return crc32.ChecksumIEEE(readOnlyBytes(s)) }

// KeyID is the id part of a key that ParseKey accepted.
func KeyID(key string) string { return key[len(KeyPrefix) : len(KeyPrefix)+keyIDLen] }

// ValidKeyID says whether s has the form of a key id.
func ValidKeyID(s string) bool {
	if len(s) != keyIDLen {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// MarshalText writes a hash as hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }

// UnmarshalText reads a hash written by MarshalText.
func (h *Hash) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(h) {
		return fmt.Errorf("%w: a key hash is %d hex digits, not %d", ErrInvalid, 2*len(h), len(b))
	}
	_, err := hex.Decode(h[:], b)
	return err
}
