package gateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// routeByService is the site block most tests use: the first path segment
// names the service.
const routeByService = `
http://127.0.0.1:{HTTP} {
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
		lb_policy round_robin
	}
}
`

func TestE2ELoadBalancesAndFollowsDeregistration(t *testing.T) {
	g := startGateway(t, "", routeByService)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	g.register("hello_service", fmt.Sprintf(`{"address": %q, "id": "a"}`, a.addr()))
	g.register("hello_service", fmt.Sprintf(`{"address": "http://%s", "id": "b"}`, b.addr()))

	seen := map[string]int{}
	for range 20 {
		code, who := g.get("/hello_service/greet")
		if code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		seen[who]++
	}
	if seen["a"] != 10 || seen["b"] != 10 {
		t.Fatalf("round_robin over two instances answered %v, want 10 each", seen)
	}

	if code, body := g.adminCall("DELETE", "/registry/services/hello_service/a", ""); code != http.StatusNoContent {
		t.Fatalf("deregister a: %d %s", code, body)
	}
	before := a.hitCount()
	for range 10 {
		if code, who := g.get("/hello_service/greet"); code != http.StatusOK || who != "b" {
			t.Fatalf("after deregistering a: %d from %q, want 200 from b", code, who)
		}
	}
	if a.hitCount() != before {
		t.Fatal("a deregistered instance still received requests")
	}

	g.adminCall("DELETE", "/registry/services/hello_service", "")
	if code, _ := g.get("/hello_service/greet"); code != http.StatusServiceUnavailable {
		t.Fatalf("service without instances: %d, want 503", code)
	}
}

func TestE2EPlaceholderRoutesByServiceName(t *testing.T) {
	g := startGateway(t, "", routeByService)
	hello, other := newBackend(t, "hello"), newBackend(t, "other")
	g.register("hello_service", fmt.Sprintf(`{"address": %q}`, hello.addr()))
	g.register("other", fmt.Sprintf(`{"address": %q}`, other.addr()))
	for path, want := range map[string]string{"/hello_service/x": "hello", "/hello_service": "hello", "/other/y/z": "other"} {
		if code, who := g.get(path); code != http.StatusOK || who != want {
			t.Errorf("%s: %d from %q, want 200 from %q", path, code, who, want)
		}
	}
	for _, path := range []string{"/", "/unknown/x", "/hello_service.x/"} {
		if code, _ := g.get(path); code != http.StatusServiceUnavailable {
			t.Errorf("%s: %d, want 503", path, code)
		}
	}
}

func TestE2ELeaseExpires(t *testing.T) {
	g := startGateway(t, "", routeByService)
	a := newBackend(t, "a")
	g.register("hello_service", fmt.Sprintf(`{"address": %q, "ttl": "1s"}`, a.addr()))
	if code, who := g.get("/hello_service/"); code != http.StatusOK || who != "a" {
		t.Fatalf("before expiry: %d %q", code, who)
	}
	testenv.Eventually(t, 5*time.Second, "the lease did not expire", func() bool {
		code, _ := g.get("/hello_service/")
		return code == http.StatusServiceUnavailable
	})
	if code, _ := g.adminCall("GET", "/registry/services/hello_service", ""); code != http.StatusNotFound {
		t.Fatalf("expired service still listed: %d", code)
	}
}

func TestE2EDefaultTTLFromGlobalOption(t *testing.T) {
	g := startGateway(t, "service_registry {\n\t\tdefault_ttl 1s\n\t}", routeByService)
	a := newBackend(t, "a")
	g.register("hello_service", fmt.Sprintf(`{"address": %q}`, a.addr()))
	_, body := g.adminCall("GET", "/registry/services/hello_service", "")
	if !strings.Contains(body, `"ttl":"1s"`) {
		t.Fatalf("registration without ttl did not get default_ttl: %s", body)
	}
	testenv.Eventually(t, 5*time.Second, "the default lease did not expire", func() bool {
		code, _ := g.get("/hello_service/")
		return code == http.StatusServiceUnavailable
	})
}

func TestE2EReloadKeepsRegistrations(t *testing.T) {
	g := startGateway(t, "", routeByService)
	a := newBackend(t, "a")
	g.register("hello_service", fmt.Sprintf(`{"address": %q}`, a.addr()))

	// a different config: a header on every answer, and a lease default
	g.load("service_registry {\n\t\tdefault_ttl 1m\n\t}", `
http://127.0.0.1:{HTTP} {
	header X-Config two
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}`)
	ans := fetch(t, g.client, g.url("/hello_service/"))
	if ans.code != http.StatusOK || ans.header.Get("X-Config") != "two" {
		t.Fatalf("after reload: %d, X-Config %q", ans.code, ans.header.Get("X-Config"))
	}
	if code, _ := g.adminCall("GET", "/registry/services/hello_service", ""); code != http.StatusOK {
		t.Fatalf("registration gone after reload: %d", code)
	}
}

func TestE2ERestartRestoresRegistrations(t *testing.T) {
	g := startGateway(t, "", routeByService)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	g.register("hello_service", fmt.Sprintf(`{"address": %q, "ttl": "1h", "metadata": {"v": "1"}}`, a.addr()))
	g.register("other", fmt.Sprintf(`{"address": %q}`, b.addr()))

	g.restart("", routeByService)
	if code, who := g.get("/hello_service/"); code != http.StatusOK || who != "a" {
		t.Fatalf("after restart: %d from %q", code, who)
	}
	if code, who := g.get("/other/"); code != http.StatusOK || who != "b" {
		t.Fatalf("after restart: %d from %q", code, who)
	}
	_, body := g.adminCall("GET", "/registry/services/hello_service", "")
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 1 ||
		list[0]["ttl"] != "1h0m0s" || list[0]["metadata"].(map[string]any)["v"] != "1" {
		t.Fatalf("restored instance: %s", body)
	}

	// with persistence off, a restart starts empty
	g.restart("service_registry {\n\t\tpersist off\n\t}", routeByService)
	if code, _ := g.get("/hello_service/"); code != http.StatusServiceUnavailable {
		t.Fatalf("persist off: restart restored registrations (%d)", code)
	}
}

func TestE2ESeedTextEndpoints(t *testing.T) {
	g := startGateway(t, "", routeByService)
	a := newBackend(t, "a")
	code, body := g.adminCall("POST", "/registry/register_service", "hello_service,"+a.addr())
	if code != http.StatusCreated {
		t.Fatalf("register_service: %d %s", code, body)
	}
	if code, who := g.get("/hello_service"); code != http.StatusOK || who != "a" {
		t.Fatalf("through the gateway: %d %q", code, who)
	}
	if code, body = g.adminCall("POST", "/registry/deregister_service", "hello_service"); code != http.StatusNoContent {
		t.Fatalf("deregister_service: %d %s", code, body)
	}
	if code, _ := g.get("/hello_service"); code != http.StatusServiceUnavailable {
		t.Fatalf("after deregister_service: %d, want 503", code)
	}
}

// TestE2EBadInputOnBothEndpoints sends every invalid request of the unit
// table to the admin endpoint and to a registry_api site route.
func TestE2EBadInputOnBothEndpoints(t *testing.T) {
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	registry_api
	respond "not the registry" 418
}`)
	for _, base := range []string{"http://" + g.admin, g.url("")} {
		for _, tc := range badInputCases {
			code, body := g.call(tc.method, base+tc.path, tc.body, nil)
			var answer map[string]string
			if err := json.Unmarshal([]byte(body), &answer); err != nil {
				t.Errorf("%s %s%s: body is not JSON: %q", tc.method, base, tc.path, body)
				continue
			}
			if code != tc.status || !strings.Contains(answer["error"], tc.says) {
				t.Errorf("%s %s%s %.50q: %d %q; want %d saying %q", tc.method, base, tc.path, tc.body, code, answer["error"], tc.status, tc.says)
			}
		}
		if code, body := g.call("GET", base+"/registry/services", "", nil); code != http.StatusOK || strings.TrimSpace(body) != "{}" {
			t.Errorf("%s: bad input registered something: %s", base, body)
		}
	}
	// registry_api passes other paths on
	if code, body := g.call("GET", g.url("/elsewhere"), "", nil); code != 418 || body != "not the registry" {
		t.Errorf("non-registry path: %d %q", code, body)
	}
}

func TestE2ERegistryAPIOnSiteRoute(t *testing.T) {
	g := startGateway(t, "service_registry {\n allow 127.0.0.1/32\n}", `
http://127.0.0.1:{HTTP} {
	handle /registry/* {
		registry_api
	}
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}`)
	a := newBackend(t, "a")
	code, body := g.call("POST", g.url("/registry/services/hello_service"), fmt.Sprintf(`{"address": %q}`, a.addr()), nil)
	if code != http.StatusCreated {
		t.Fatalf("register through the site: %d %s", code, body)
	}
	if code, who := g.get("/hello_service/"); code != http.StatusOK || who != "a" {
		t.Fatalf("through the gateway: %d %q", code, who)
	}
	// the admin endpoint sees the same registry
	if code, _ := g.adminCall("GET", "/registry/services/hello_service", ""); code != http.StatusOK {
		t.Fatalf("admin endpoint does not see the site's registration: %d", code)
	}
}

// TestE2ERetriesAndPassiveHealth registers a dead instance first: with
// lb_policy first, every request tries it, fails, and is retried on the live
// one; passive health then takes the dead one out of rotation.
func TestE2ERetriesAndPassiveHealth(t *testing.T) {
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	reverse_proxy {
		dynamic registry hello_service
		lb_policy first
		lb_try_duration 2s
		lb_try_interval 10ms
		fail_duration 1m
	}
}`)
	live := newBackend(t, "live")
	dead := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	g.register("hello_service", fmt.Sprintf(`{"address": %q, "id": "a-dead"}`, dead))
	g.register("hello_service", fmt.Sprintf(`{"address": %q, "id": "b-live"}`, live.addr()))
	for i := range 10 {
		if code, who := g.get("/x"); code != http.StatusOK || who != "live" {
			t.Fatalf("request %d: %d from %q, want a retry onto the live instance", i, code, who)
		}
	}
	if live.hitCount() != 10 {
		t.Fatalf("live instance got %d requests, want 10", live.hitCount())
	}
}

func TestE2ECapIsA409(t *testing.T) {
	g := startGateway(t, "service_registry {\n\t\tmax_instances_per_service 1\n\t}", routeByService)
	g.register("hello_service", `{"address": "127.0.0.1:1"}`)
	code, body := g.adminCall("POST", "/registry/services/hello_service", `{"address": "127.0.0.1:2"}`)
	if code != http.StatusConflict || !strings.Contains(body, "max_instances_per_service") {
		t.Fatalf("over the cap: %d %s", code, body)
	}
}

// TestE2ESubsetSpreadsAndStaysSticky: with a subset smaller than the
// service, round_robin still reaches every instance over time, and a keyed
// subset with a hashing policy sends one client to one instance.
func TestE2ESubsetSpreadsAndStaysSticky(t *testing.T) {
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	handle /spread/* {
		reverse_proxy {
			dynamic registry svc {
				subset 4
			}
			lb_policy round_robin
		}
	}
	handle /sticky/* {
		reverse_proxy {
			dynamic registry svc {
				subset 4 {http.request.header.X-User}
			}
			lb_policy header X-User
		}
	}
}`)
	const n = 24
	for i := range n {
		b := newBackend(t, fmt.Sprintf("b%02d", i))
		g.register("svc", fmt.Sprintf(`{"address": %q, "id": "b%02d"}`, b.addr(), i))
	}
	seen := map[string]int{}
	for range 20 * n {
		code, who := g.get("/spread/x")
		if code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		seen[who]++
	}
	if len(seen) != n {
		t.Fatalf("subset 4 of %d with round_robin reached %d instances: %v", n, len(seen), seen)
	}

	firstOf := map[string]string{}
	for round := range 3 {
		for u := range 40 {
			user := fmt.Sprintf("user-%d", u)
			code, body := g.call("GET", g.url("/sticky/x"), "", http.Header{"X-User": {user}})
			var answer struct{ Instance string }
			_ = json.Unmarshal([]byte(body), &answer)
			if code != http.StatusOK || answer.Instance == "" {
				t.Fatalf("%s: %d %s", user, code, body)
			}
			if round == 0 {
				firstOf[user] = answer.Instance
			} else if firstOf[user] != answer.Instance {
				t.Fatalf("%s went to %s, then to %s: the keyed subset is not sticky", user, firstOf[user], answer.Instance)
			}
		}
	}
	distinct := map[string]bool{}
	for _, who := range firstOf {
		distinct[who] = true
	}
	if len(distinct) < n/3 {
		t.Fatalf("40 users landed on only %d of %d instances", len(distinct), n)
	}
}

// TestE2EOldRegistryDocumentIsMigrated: a registry an earlier release
// persisted as one document is restored at start, written as one record
// per service, and the old document removed.
func TestE2EOldRegistryDocumentIsMigrated(t *testing.T) {
	g := startGateway(t, "", routeByService)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	dir := filepath.Join(g.storageDir, "service_registry")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(`{"version":1,"instances":[{"service":"hello_service","id":"a","address":%q,"ttl":"1h0m0s","registered_at":"2026-01-02T03:04:05Z","renewed_at":"2026-01-02T03:04:05Z"},{"service":"other","id":"b","address":%q,"registered_at":"2026-01-02T03:04:05Z","renewed_at":"2026-01-02T03:04:05Z"}]}`,
		a.addr(), b.addr())
	if err := os.WriteFile(filepath.Join(dir, "registrations.json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}

	g.restart("", routeByService)
	if code, who := g.get("/hello_service/"); code != http.StatusOK || who != "a" {
		t.Fatalf("after the restart: %d from %q", code, who)
	}
	if code, who := g.get("/other/"); code != http.StatusOK || who != "b" {
		t.Fatalf("after the restart: %d from %q", code, who)
	}
	testenv.Eventually(t, 10*time.Second, "the old document removed", func() bool {
		_, err := os.Stat(filepath.Join(dir, "registrations.json"))
		return errors.Is(err, fs.ErrNotExist)
	})
	records, _ := filepath.Glob(filepath.Join(dir, "services", "*.json"))
	if len(records) != 2 {
		t.Fatalf("records after the migration: %v", records)
	}
	// and the next start restores from the records
	g.restart("", routeByService)
	if code, who := g.get("/other/"); code != http.StatusOK || who != "b" {
		t.Fatalf("after a second restart: %d from %q", code, who)
	}
}

// TestE2ERegistryAPIBodyOverCapWith100Continue: a client that declares a
// body over the cap and asks before sending it (Expect: 100-continue, as
// curl does for bodies over 1 MB) gets a 413 at once, and is never asked
// for the body: no 100 Continue, and the connection ends cleanly, not with
// a reset. A chunked body (no length declared) over the cap is read only up
// to the cap and answered with a 413 too. On the admin endpoint and on a
// site route alike.
func TestE2ERegistryAPIBodyOverCapWith100Continue(t *testing.T) {
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	handle /registry/* {
		registry_api
	}
}`)
	endpoints := map[string]string{"admin": g.admin, "site": fmt.Sprintf("127.0.0.1:%d", g.httpPort)}
	for name, addr := range endpoints {
		t.Run(name+"/declared", func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /registry/services/big HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
				"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, 2<<20)
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			raw, err := io.ReadAll(conn)
			if err != nil {
				t.Fatalf("reading the answer: %v (a reset or a server waiting for the body); read %q", err, raw)
			}
			status, _, _ := strings.Cut(string(raw), "\r\n")
			if strings.HasPrefix(status, "HTTP/1.1 100") {
				t.Fatalf("the server answered %q: it asked for a body it will refuse", status)
			}
			if status != "HTTP/1.1 413 Request Entity Too Large" {
				t.Fatalf("status line %q; want a 413\n%s", status, raw)
			}
			if !strings.Contains(string(raw), "larger than") {
				t.Fatalf("the 413 does not say why: %q", raw)
			}
		})
		t.Run(name+"/chunked", func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /registry/services/big HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
				"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", addr)
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusContinue {
				t.Fatalf("status %d before the body was sent; want 100 (nothing said it is too large yet)", resp.StatusCode)
			}
			// the body, 4 MiB in 4 KiB chunks, sent while the answer is read
			go func() {
				chunk := fmt.Sprintf("%x\r\n%s\r\n", 4096, strings.Repeat("x", 4096))
				for range 1024 {
					if _, err := io.WriteString(conn, chunk); err != nil {
						return
					}
				}
				_, _ = io.WriteString(conn, "0\r\n\r\n")
			}()
			resp, err = http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("reading the answer to a chunked body over the cap: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading the 413's body: %v", err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "larger than") {
				t.Fatalf("chunked body over the cap: %d %s; want 413", resp.StatusCode, body)
			}
		})
	}
}
