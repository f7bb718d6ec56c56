package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// startConsumersGateway starts a Caddy process whose consumers live in
// redisURL, with a plan "metered" of quota a month.
func startConsumersGateway(t *testing.T, bin, redisURL string, quota int) clusterGateway {
	t.Helper()
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	port := testenv.FreePort(t)
	caddyfile := fmt.Sprintf(`{
	admin %s
	http_port %d
	https_port %d
	persist_config off
	storage file_system %s
	consumers {
		plan metered {
			quota %d/month
		}
		default_plan metered
		backend redis %s
		redis_timeout 200ms
		resync_interval 500ms
	}
}

http://127.0.0.1:%d {
	api_key
	throttle {
		plan
	}
	respond "ok {http.auth.user.id}"
}
`, admin, port, testenv.FreePort(t), t.TempDir(), quota, redisURL, port)
	file := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(file, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	startCaddyBinary(t, bin, file, admin)
	return clusterGateway{admin: "http://" + admin, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

// TestClusterConsumers runs two gateway processes on one Redis: a key made
// on one works on the other within a second; a key revoked on either stops
// working on both within a second; N requests spread over both, with a
// quota of N/2, let exactly N/2 through; while Redis is down a revocation
// is refused with 503.
func TestClusterConsumers(t *testing.T) {
	bin := builtPrograms(t)
	srv := testenv.StartOwnRedis(t)
	const n = 60
	a := startConsumersGateway(t, bin, srv.URL(), n/2)
	b := startConsumersGateway(t, bin, srv.URL(), n/2)
	client := &http.Client{Timeout: 5 * time.Second}
	call := func(method, url, body string, header http.Header) (int, string) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	if code, body := call("POST", a.admin+"/consumers/", `{"id": "acme"}`, nil); code != http.StatusCreated {
		t.Fatalf("creating acme on a: %d %s", code, body)
	}
	newKey := func(g clusterGateway) (id, key string) {
		code, body := call("POST", g.admin+"/consumers/acme/keys", `{}`, nil)
		var k struct{ ID, Key string }
		if code != http.StatusCreated || json.Unmarshal([]byte(body), &k) != nil {
			t.Fatalf("creating a key: %d %s", code, body)
		}
		return k.ID, k.Key
	}
	withKey := func(key string) http.Header { return http.Header{"X-Api-Key": {key}} }

	id1, key1 := newKey(a)
	start := time.Now()
	testenv.Eventually(t, time.Second, "a key made on a does not work on b within a second", func() bool {
		code, _ := call("GET", b.base+"/", "", withKey(key1))
		return code == http.StatusOK
	})
	t.Logf("a key made on a worked on b after %v", time.Since(start))
	id2, key2 := newKey(b)
	if code, body := call("DELETE", b.admin+"/consumers/acme/keys/"+id1, "", nil); code != http.StatusNoContent {
		t.Fatalf("revoking on b: %d %s", code, body)
	}
	start = time.Now()
	testenv.Eventually(t, time.Second, "a key revoked on b still works on a after a second", func() bool {
		code, _ := call("GET", a.base+"/", "", withKey(key1))
		return code == http.StatusUnauthorized
	})
	t.Logf("a key revoked on b stopped working on a after %v", time.Since(start))
	testenv.Eventually(t, time.Second, "the key made on b does not work on a", func() bool {
		code, _ := call("GET", a.base+"/", "", withKey(key2))
		return code == http.StatusOK
	})

	// the quota across both: what passed so far counts
	_, usage := call("GET", a.admin+"/consumers/acme/usage", "", nil)
	var u struct{ Quotas []struct{ Used int } }
	if json.Unmarshal([]byte(usage), &u) != nil || len(u.Quotas) != 1 {
		t.Fatalf("usage: %s", usage)
	}
	used := u.Quotas[0].Used
	var passed, refused atomic.Int64
	passed.Add(int64(used))
	var wg sync.WaitGroup
	for i := range n - used {
		wg.Go(func() {
			g := a
			if i%2 == 1 {
				g = b
			}
			switch code, _ := call("GET", g.base+"/", "", withKey(key2)); code {
			case http.StatusOK:
				passed.Add(1)
			case http.StatusTooManyRequests:
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if passed.Load() != n/2 || int(refused.Load()) != n/2 {
		t.Fatalf("%d passed and %d were refused of %d requests through two gateways sharing a quota of %d", passed.Load(), refused.Load(), n, n/2)
	}

	// Redis down: a revocation is refused with 503 on either gateway
	srv.Stop()
	for _, g := range []clusterGateway{a, b} {
		if code, body := call("DELETE", g.admin+"/consumers/acme/keys/"+id2, "", nil); code != http.StatusServiceUnavailable {
			t.Fatalf("a revocation with Redis down: %d %s", code, body)
		}
	}
}
