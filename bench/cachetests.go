package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
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
	mem, err := b.cacheMemory()
	if err != nil {
		return "", err
	}
	out.WriteString("\n" + mem + "\n")
	fmt.Fprintf(&out, "\nRequired tests not passed: %s\n\nOptimal tests not passed: %s\n",
		strings.Join(ours.Failed["required"], ", "), strings.Join(ours.Failed["optimal"], ", "))
	return out.String(), nil
}

// cacheMemory sends 1200 distinct cacheable responses of 64 KiB (75 MiB)
// through response_cache { max_size 8MiB } and reports how Caddy's resident
// set and live heap grew.
func (b *bench) cacheMemory() (string, error) {
	if err := b.load("response_cache {\n\t\tmax_size 8MiB\n\t}\n\treverse_proxy " + b.backend); err != nil {
		return "", err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path string) error {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d%s", b.port, path))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
	for i := range 50 { // warm up: connections, buffers
		if err := get(fmt.Sprintf("/warm/%d", i)); err != nil {
			return "", err
		}
	}
	heap0, err := heapBytes(b.admin)
	if err != nil {
		return "", err
	}
	rss0 := rss(b.caddyPID)
	for i := range 1200 {
		if err := get(fmt.Sprintf("/big/%d", i)); err != nil {
			return "", err
		}
	}
	rss1 := rss(b.caddyPID)
	heap1, err := heapBytes(b.admin)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Memory: 1200 cacheable responses of 64 KiB (75 MiB) through `response_cache { max_size 8MiB }`: Caddy's resident set grew by %.1f MiB, its live heap by %.1f MiB.",
		float64(int64(rss1)-int64(rss0))/(1<<20), float64(int64(heap1)-int64(heap0))/(1<<20)), nil
}
