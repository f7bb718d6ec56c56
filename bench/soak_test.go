package main

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// samplesOf makes n samples every 5 s where value i of sample k is f(i, k).
func samplesOf(n int, f func(i, k int) float64) []soakSample {
	var out []soakSample
	for k := range n {
		s := soakSample{at: time.Duration(k) * 5 * time.Second}
		for i := range soakMetrics {
			s.values = append(s.values, f(i, k))
		}
		out = append(out, s)
	}
	return out
}

// TestCIRule: warm-up and noise pass; growth through the run fails.
func TestCIRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	goroutines := soakIndex("goroutines")
	heap := soakIndex("heap_after_gc")
	// a warm-up (the first quarter climbs), then noise of ±20%
	warm := func(i, k int) float64 {
		base := 100.0
		if k < 6 {
			base = float64(20 + k*15)
		}
		return base * (0.8 + 0.4*rng.Float64())
	}
	if err := ciVerdict(samplesOf(24, warm)); err != nil {
		t.Errorf("warm-up and noise failed the rule: %v", err)
	}
	// one goroutine per request at 200 requests/s: +1000 per sample
	leak := func(i, k int) float64 {
		if i == goroutines {
			return 120 + 1000*float64(k)
		}
		return warm(i, k)
	}
	if err := ciVerdict(samplesOf(24, leak)); err == nil || !strings.Contains(err.Error(), "goroutines") {
		t.Errorf("a goroutine per request passed the rule: %v", err)
	}
	// 4 KB of heap per request at 200/s: +4 MiB per 5 s sample from 60 MiB
	heapLeak := func(i, k int) float64 {
		if i == heap {
			return 60 + 4*float64(k)
		}
		return warm(i, k)
	}
	if err := ciVerdict(samplesOf(24, heapLeak)); err == nil || !strings.Contains(err.Error(), "heap_after_gc") {
		t.Errorf("4 KB of heap per request passed the rule: %v", err)
	}
}

func TestSoakOutputs(t *testing.T) {
	smp := samplesOf(12, func(i, k int) float64 { return float64(i + k) })
	csv := soakCSV(smp)
	if lines := strings.Count(csv, "\n"); lines != 13 {
		t.Errorf("CSV: %d lines, want a header and 12 samples", lines)
	}
	if !strings.HasPrefix(csv, "seconds,requests_per_second,rss_mib,heap_after_gc_mib,goroutines,") {
		t.Errorf("CSV header: %q", strings.SplitN(csv, "\n", 2)[0])
	}
	svg := soakSVG(smp, []soakEvent{{at: 20 * time.Second, what: "Redis stopped"}}, time.Minute)
	if !strings.HasPrefix(svg, "<svg ") || strings.Count(svg, "<polyline") != len(soakMetrics) || !strings.Contains(svg, "stroke=\"#d33\"") {
		t.Errorf("SVG: want one line per value and the Redis stop marked:\n%s", svg)
	}
}
