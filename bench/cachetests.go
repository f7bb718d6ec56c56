package main

import (
	"context"
	"fmt"
	"log"
	"sort"
	"strings"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/cachetests"
)

// cacheTestsRun runs the public HTTP cache test suite through
// response_cache in the Caddy built with the plugin, and returns a table of
// its score next to the results the suite publishes for other caches.
func (b *bench) cacheTestsRun(caddyBin string) (string, error) {
	if err := b.prepare(caddyBin); err != nil {
		return "", err
	}
	log.Printf("installing the HTTP cache test suite (npm)...")
	pkg, err := cachetests.Install(cachetests.DefaultDir())
	if err != nil {
		return "", err
	}
	kinds, err := cachetests.Kinds(pkg)
	if err != nil {
		return "", err
	}
	srv, err := cachetests.StartServer(pkg)
	if err != nil {
		return "", err
	}
	defer srv.Stop()
	if err := b.load(fmt.Sprintf("response_cache\n\treverse_proxy 127.0.0.1:%d", srv.Port)); err != nil {
		return "", err
	}
	log.Printf("running the suite through response_cache...")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	results, err := cachetests.Run(ctx, pkg, fmt.Sprintf("http://127.0.0.1:%d", b.port))
	if err != nil {
		return "", err
	}
	ours := cachetests.Compute(kinds, results)
	published, err := cachetests.Published(pkg)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	fmt.Fprintf(&out, "HTTP cache test suite (http-cache-tests %s, %d required, %d optimal tests run by its command line): `go run ./bench -cache-tests`, %s.\n\n",
		cachetests.Version, ours.Total["required"], ours.Total["optimal"], machine())
	out.WriteString("| cache | required passed | optimal passed |\n|---|---:|---:|\n")
	fmt.Fprintf(&out, "| **response_cache (this run)** | **%d** | **%d** |\n", ours.Passed["required"], ours.Passed["optimal"])
	var names []string
	for name := range published {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := cachetests.Compute(kinds, published[name])
		fmt.Fprintf(&out, "| %s (published with the suite) | %d | %d |\n", name, s.Passed["required"], s.Passed["optimal"])
	}
	out.WriteString("\nThe published rows are the results files shipped in the package, measured by their publishers with the suite of their day: tests added since count as not passed there, so they understate those caches against today's suite (cache-tests.fyi has current runs).\n")
	fmt.Fprintf(&out, "\nRequired tests not passed: %s\n\nOptimal tests not passed: %s\n",
		strings.Join(ours.Failed["required"], ", "), strings.Join(ours.Failed["optimal"], ", "))
	return out.String(), nil
}
