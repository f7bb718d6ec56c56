package waf

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// refusalLog sends a GET of the query through a provisioned w and returns
// its status and the fields of its "refused" (or "would refuse") log line.
func refusalLog(t *testing.T, w *WAF, query string) (int, map[string]any) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	w.logger = zap.New(core)
	req := httptest.NewRequest("GET", "/items?"+query, nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 gateway-test")
	rec := httptest.NewRecorder()
	passed := false
	if err := w.ServeHTTP(rec, req, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		passed = true
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	code := rec.Code
	if passed {
		code = http.StatusOK
	}
	for _, e := range logs.All() {
		if strings.Contains(e.Message, "refuse") {
			return code, e.ContextMap()
		}
	}
	return code, nil
}

// provisioned is w provisioned as Caddy would, released when t ends.
func provisioned(t testing.TB, w *WAF) *WAF {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := w.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Cleanup() }) // lets its engine go (reload_test counts them)
	return w
}

// TestEarlyCheckpointStops: a request whose score reaches the threshold
// in one of the CRS's files is refused there (crsIncludes), and the files
// after it do not read it: a value that is SQL injection (942) and names
// a Java class the Java file (944) refuses is logged with 942's rules
// alone, and the message says where it stopped. Before the checkpoints
// every rule read every value and 949110 refused at the end (the ninth
// attack's dearest refused request: 230-400 ms of CPU, now 19-49 ms,
// TestCPUBoundAttackMix).
func TestEarlyCheckpointStops(t *testing.T) {
	tableOnly(t)
	w := provisioned(t, &WAF{})
	java := url.QueryEscape("java.lang.Runtime.getRuntime()")
	code, f := refusalLog(t, w, "j="+java)
	ids := fmt.Sprint(f["rule_ids"])
	if code != http.StatusForbidden || !strings.Contains(ids, "944") {
		t.Fatalf("the Java class alone: %d, rules %s; want 403 by the Java file", code, ids)
	}
	code, f = refusalLog(t, w, "id="+url.QueryEscape("1' OR '1'='1' --")+"&j="+java)
	ids = fmt.Sprint(f["rule_ids"])
	if code != http.StatusForbidden || !strings.Contains(ids, "942") || strings.Contains(ids, "944") {
		t.Fatalf("SQL injection and a Java class: %d, rules %s; want 403 by 942's rules before the Java file reads it", code, ids)
	}
	if a := fmt.Sprint(f["anomaly"]); !strings.Contains(a, "(Total Score: ") || !strings.Contains(a, "early after REQUEST-942-APPLICATION-ATTACK-SQLI; the rules after it not run") {
		t.Fatalf("anomaly message %q", a)
	}
}

// TestEarlyCheckpointsNeverRefuseMore: the checkpoints refuse only what
// 949110 would: a request that scores under the threshold at paranoia 1
// (one warning, 3 of 5) passes every checkpoint; with anomaly_threshold
// raised, a request of one critical match (5) passes too; in detect mode
// they refuse nothing and the log still says the request would be
// refused; at paranoia 2 the message names the level 1 score.
func TestEarlyCheckpointsNeverRefuseMore(t *testing.T) {
	tableOnly(t)
	sqli := "id=" + url.QueryEscape("1' OR '1'='1' --")
	if code, f := refusalLog(t, provisioned(t, &WAF{AnomalyThreshold: 10}), sqli); code != http.StatusOK {
		t.Fatalf("one critical match under anomaly_threshold 10: %d (%v), want it passed", code, f)
	}
	code, f := refusalLog(t, provisioned(t, &WAF{AnomalyThreshold: 10}), sqli+"&j="+url.QueryEscape("java.lang.Runtime.getRuntime()"))
	if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(f["anomaly"]), "early after REQUEST-944") {
		t.Fatalf("two critical matches (10) under anomaly_threshold 10: %d (%v), want 403 after the Java file", code, f)
	}
	code, f = refusalLog(t, provisioned(t, &WAF{Mode: "detect"}), sqli)
	if code != http.StatusOK || f == nil || !strings.Contains(fmt.Sprint(f["anomaly"]), "Total Score") {
		t.Fatalf("detect mode: %d (%v), want it passed and logged as one it would refuse", code, f)
	}
	code, f = refusalLog(t, provisioned(t, &WAF{Paranoia: 2}), sqli)
	if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(f["anomaly"]), "Paranoia Level 1 Score") {
		t.Fatalf("paranoia 2: %d (%v)", code, f)
	}
	// a warning (3) alone: a numeric Host passes at paranoia 1
	w := provisioned(t, &WAF{})
	core, logs := observer.New(zap.DebugLevel)
	w.logger = zap.New(core)
	req := httptest.NewRequest("GET", "http://127.0.0.1/items?q=shoes", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 gateway-test")
	passed := false
	_ = w.ServeHTTP(httptest.NewRecorder(), req, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		passed = true
		return nil
	}))
	if !passed || slices.ContainsFunc(logs.All(), func(e observer.LoggedEntry) bool { return strings.Contains(e.Message, "refuse") }) {
		t.Fatalf("a request of one warning (numeric Host): passed %v, logs %v", passed, logs.All())
	}
}
