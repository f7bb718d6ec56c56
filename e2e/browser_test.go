package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// browser returns a context driving a headless Chromium for the test
// (github.com/chromedp/chromedp), closed with the test. .ci/run installs
// Debian's chromium; GATEWAY_TEST_CHROMIUM names another binary. Without
// one the test fails, saying how to get it: a browser test never skips
// silently (it skips only under -short).
func browser(t testing.TB) context.Context {
	t.Helper()
	testenv.SkipInShortMode(t, "drives a headless Chromium")
	bin := os.Getenv("GATEWAY_TEST_CHROMIUM")
	if bin == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		t.Fatal("no Chromium: the browser tests need one. Install it (apt-get install chromium) " +
			"or run .ci/run, which installs it; GATEWAY_TEST_CHROMIUM names another binary.")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}
