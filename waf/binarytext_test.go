package waf

import (
	"math/rand/v2"
	"testing"
)

// Random bytes are not raw DEFLATE: as fixed-Huffman literals they
// inflated to text often enough that one session-token cookie in fifty
// (12 random letters and digits, base64 of 9 bytes) was inspected as
// ":base64:inflated" text, and with a body near max_arguments two such
// derived values refused the request (400).
func TestRandomTokensDoNotInflate(t *testing.T) {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	rng := rand.New(rand.NewPCG(7, 8))
	inflated := 0
	for range 20000 {
		b := make([]byte, 12)
		for i := range b {
			b[i] = alnum[rng.IntN(len(alnum))]
		}
		_, bin, _ := base64Decoded(string(b))
		if bin == nil {
			continue
		}
		if _, suffix, ok, _ := binaryText(bin, 1<<16); ok && suffix == suffixInflated {
			inflated++
		}
	}
	if inflated > 0 {
		t.Errorf("%d of 20,000 random 12-character tokens inflated to text as raw DEFLATE", inflated)
	}
}
