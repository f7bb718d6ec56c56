package waf

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// corazaCaddyStandIn is registered under the module ID that
// github.com/corazawaf/coraza-caddy registers, as its init does: a Caddy
// built with both must start.
type corazaCaddyStandIn struct{}

func (corazaCaddyStandIn) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.waf", New: func() caddy.Module { return new(corazaCaddyStandIn) }}
}

var registerStandIn sync.Once

// TestModuleIDLeavesCorazaCaddysFree: the module is http.handlers.gateway_waf
// (the directive stays waf), so coraza-caddy's http.handlers.waf can be
// built into the same Caddy; a JSON config naming gateway_waf loads and
// refuses an attack through a real Caddy, and the Caddyfile's waf adapts to it.
func TestModuleIDLeavesCorazaCaddysFree(t *testing.T) {
	registerStandIn.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("registering coraza-caddy's module ID next to this one: %v", r)
			}
		}()
		caddy.RegisterModule(corazaCaddyStandIn{})
	})
	if mi, err := caddy.GetModule("http.handlers.gateway_waf"); err != nil {
		t.Fatalf("http.handlers.gateway_waf: %v", err)
	} else if _, ok := mi.New().(*WAF); !ok {
		t.Fatalf("http.handlers.gateway_waf is %T", mi.New())
	}

	raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte("http://127.0.0.1:1 {\n\twaf\n\trespond ok\n}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"handler":"gateway_waf"`) {
		t.Fatalf("the Caddyfile's waf adapts to %s", raw)
	}

	port := freePort(t)
	cfg := map[string]any{
		"admin": map[string]any{"disabled": true},
		"logging": map[string]any{"logs": map[string]any{"default": map[string]any{
			"writer": map[string]any{"output": "discard"}}}},
		"apps": map[string]any{"http": map[string]any{"servers": map[string]any{"srv": map[string]any{
			"listen": []string{fmt.Sprintf("127.0.0.1:%d", port)},
			"routes": []any{map[string]any{"handle": []any{
				map[string]any{"handler": "gateway_waf", "paranoia": 1},
				map[string]any{"handler": "static_response", "body": "ok"},
			}}},
		}}}},
	}
	b, _ := json.Marshal(cfg)
	if err := caddy.Load(b, true); err != nil {
		t.Fatalf("loading a JSON config with handler gateway_waf: %v", err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if code, _ := send(t, base, probe{name: "sqli", method: "GET", path: "/items?id=" + url.QueryEscape("1' OR '1'='1' --")}); code != http.StatusForbidden {
		t.Fatalf("an attack through gateway_waf: %d, want 403", code)
	}
	if code, body := send(t, base, probe{name: "benign", method: "GET", path: "/items?id=7"}); code != http.StatusOK || body != "ok" {
		t.Fatalf("a benign request through gateway_waf: %d %q", code, body)
	}
}
