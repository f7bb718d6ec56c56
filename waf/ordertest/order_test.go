package ordertest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/caddygateway/caddy-gateway"
	_ "github.com/caddygateway/caddy-gateway/waf"
)

// TestWAFSortsAfterCheapRefusals: adapted from a Caddyfile, the handlers
// run cors, basic_auth, jwt_auth, throttle, registry_api, then waf, then
// request_header and the proxy: a request the cheap handlers refuse never
// costs the WAF's CPU. The order does not depend on which package's init
// runs first (waf is ordered before request_header, a standard directive;
// registry_api after forward_auth, so always before waf).
func TestWAFSortsAfterCheapRefusals(t *testing.T) {
	cfg := `http://127.0.0.1:1 {
	reverse_proxy 127.0.0.1:2
	request_header X-Seen yes
	waf
	registry_api
	throttle {
		rate 5/1m
	}
	jwt_auth {
		secret 0123456789abcdef0123456789abcdef
	}
	basic_auth {
		admin $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
	}
	cors {
		origins https://app.example
	}
}
`
	raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	js := string(raw)
	want := []string{"gateway_cors", "authentication", "jwt_auth", "throttle", "registry_api", "gateway_waf", "headers", "reverse_proxy"}
	last := -1
	for _, h := range want {
		i := strings.Index(js, `"handler":"`+h+`"`)
		if i < 0 {
			t.Fatalf("no %s handler in %s", h, js)
		}
		if i < last {
			t.Fatalf("handler order: %s is not after %s; want %v\n%s", h, want[slices(want, h)-1], want, js)
		}
		last = i
	}
}

func slices(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

const secret = "0123456789abcdef0123456789abcdef"

// token mints an HS256 token for sub, valid for an hour.
func token(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims := enc(fmt.Appendf(nil, `{"sub":%q,"exp":%d}`, sub, time.Now().Add(time.Hour).Unix()))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(head + "." + claims))
	return head + "." + claims + "." + enc(mac.Sum(nil))
}

func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestRefusedBeforeTheWAF: through a real Caddy with waf, jwt_auth and
// throttle written in that order, six 256 KB attack POSTs without a token
// get 401 from jwt_auth (not the WAF's 403) and cost next to no CPU (the
// WAF spends about a second on each); a client over its rate gets 429
// from throttle, never inspected.
func TestRefusedBeforeTheWAF(t *testing.T) {
	var hits atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer backend.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := fmt.Sprintf(`{
	admin off
	persist_config off
	log {
		output discard
	}
}
http://127.0.0.1:%d {
	waf
	jwt_auth {
		secret %s
	}
	throttle {
		key {http.auth.user.id}
		rate 2/1m
	}
	reverse_proxy %s
}
`, port, secret, strings.TrimPrefix(backend.URL, "http://"))
	raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cfg), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	if err := caddy.Load(raw, true); err != nil {
		t.Fatalf("loading: %v", err)
	}
	defer func() { _ = caddy.Stop() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(body, bearer string) int {
		req, _ := http.NewRequest("POST", base+"/api/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "Mozilla/5.0 gateway-test")
		req.Header.Set("Accept", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	attack := "q=" + url.QueryEscape("1' UNION SELECT username, password FROM users--")
	big := "text=" + strings.Repeat("lorem ipsum dolor sit amet ", 256*1024/27) + "&" + attack

	start, wall := cpu(), time.Now()
	for range 6 {
		if code := post(big, ""); code != http.StatusUnauthorized {
			t.Fatalf("a 256 KB attack POST without a token: %d, want jwt_auth's 401", code)
		}
	}
	spent := cpu() - start
	t.Logf("six 256 KB POSTs without a token: %v of CPU, %v of wall time", spent, time.Since(wall))
	if spent > 500*time.Millisecond {
		t.Errorf("six 256 KB POSTs refused by jwt_auth cost %v of CPU: the WAF looked at them", spent)
	}

	// with a token: the WAF inspects (and refuses the attack) while the
	// client is within its rate; over it, throttle answers first
	tok := token("user-7")
	for i, want := range []int{http.StatusForbidden, http.StatusForbidden, http.StatusTooManyRequests, http.StatusTooManyRequests} {
		if code := post(attack, tok); code != want {
			t.Fatalf("attack POST %d with a token: %d, want %d", i+1, code, want)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the backend got %d requests", hits.Load())
	}
}
