package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
	"github.com/caddygateway/caddy-gateway/internal/registry"
)

// TestAPIRefusesDotSegments: a path matcher in front of registry_api sees
// the cleaned path, in which /registry/services/.. is /registry; the API
// must never act on such a path.
func TestAPIRefusesDotSegments(t *testing.T) {
	for _, origin := range []addrpolicy.Origin{addrpolicy.Admin, addrpolicy.Site} {
		for _, c := range []struct{ method, path, body string }{
			{"POST", "/registry/services/..", `{"address": "203.0.113.1:80"}`},
			{"POST", "/registry/services/%2e%2e", `{"address": "203.0.113.1:80"}`},
			{"POST", "/registry/services/%2E%2e/", `{"address": "203.0.113.1:80"}`},
			{"POST", "/registry/services/.", `{"address": "203.0.113.1:80"}`},
			{"POST", "/registry/services/%2e", `{"address": "203.0.113.1:80"}`},
			{"POST", "/registry/./services/x", `{"address": "203.0.113.1:80"}`},
			{"POST", "/registry/services/x/../y", `{"address": "203.0.113.1:80"}`},
			{"DELETE", "/registry/services/x/..", ""},
			{"DELETE", "/registry/services/x/%2e%2e", ""},
			{"GET", "/registry/services/../services", ""},
			{"POST", "/registry/services/a%2Fb", `{"address": "203.0.113.1:80"}`},
			{"POST", "/registry/register_service", "..,203.0.113.1:80"},
			{"POST", "/registry/register_service", ".,203.0.113.1:80"},
			{"POST", "/registry/services/x", `{"address": "203.0.113.1:80", "id": ".."}`},
		} {
			reg := newTestRegistry(t)
			api := apiServer{reg: reg, logger: zap.NewNop(), origin: origin}
			code, _, body := apiCall(t, api, c.method, c.path, c.body)
			if code != http.StatusBadRequest {
				t.Errorf("%s %s %s via %s: %d %v, want 400", c.method, c.path, c.body, origin, code, body)
			}
			if registered(reg) != 0 {
				t.Errorf("%s %s via %s registered something", c.method, c.path, origin)
			}
		}
	}
}

// TestAPIAddressPolicy: addresses that lead back into the gateway or to
// metadata services are refused with 403 naming the rule, on both APIs;
// loopback only on the admin endpoint.
func TestAPIAddressPolicy(t *testing.T) {
	policy := &addrpolicy.Policy{
		Admin: []addrpolicy.Listener{{IP: netip.MustParseAddr("127.0.0.1"), PortLo: 2019, PortHi: 2019}},
		Own:   []addrpolicy.Listener{{PortLo: 8443, PortHi: 8443}},
		Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
			if host == "localhost" {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		},
	}
	cases := []struct {
		addr   string
		origin addrpolicy.Origin
		status int
		rule   string
	}{
		{"127.0.0.1:2019", addrpolicy.Admin, 403, "admin_endpoint"},
		{"localhost:2019", addrpolicy.Admin, 403, "admin_endpoint"},
		{"http://localhost:2019", addrpolicy.Site, 403, "admin_endpoint"},
		{"127.0.0.1:8443", addrpolicy.Admin, 403, "own_listener"},
		{"169.254.169.254:80", addrpolicy.Admin, 403, "link_local"},
		{"[::ffff:169.254.169.254]:80", addrpolicy.Site, 403, "link_local"},
		{"[fe80::1]:80", addrpolicy.Site, 403, "link_local"},
		{"0.0.0.0:80", addrpolicy.Admin, 403, "unspecified"},
		{"[::]:80", addrpolicy.Admin, 403, "unspecified"},
		{"224.0.0.251:5353", addrpolicy.Admin, 403, "multicast"},
		{"metadata.example:80", addrpolicy.Site, 403, "link_local"},
		{"127.0.0.1:9090", addrpolicy.Site, 403, "loopback"},
		{"127.0.0.1:9090", addrpolicy.Admin, 201, ""},
		{"203.0.113.1:9090", addrpolicy.Site, 201, ""},
	}
	for _, c := range cases {
		reg := newTestRegistry(t, registry.Settings{Policy: policy})
		api := apiServer{reg: reg, logger: zap.NewNop(), origin: c.origin}
		code, _, body := apiCall(t, api, "POST", "/registry/services/hello", `{"address": "`+c.addr+`"}`)
		m, _ := body.(map[string]any)
		if code != c.status || c.rule != "" && m["rule"] != c.rule {
			t.Errorf("%s via %s: %d %v, want %d rule %q", c.addr, c.origin, code, body, c.status, c.rule)
		}
		if c.status != 201 && registered(reg) != 0 {
			t.Errorf("%s via %s: refused but registered", c.addr, c.origin)
		}
		// the seed's text endpoint applies the same rules
		code, _, _ = apiCall(t, apiServer{reg: reg, logger: zap.NewNop(), origin: c.origin}, "POST", "/registry/register_service", "other,"+c.addr)
		if want := c.status; code != want && !(want == 201 && code == 200) {
			t.Errorf("text registration of %s via %s: %d, want %d", c.addr, c.origin, code, want)
		}
	}
}

// TestAPIServicesLimitWrites: registry_api's services limits which services
// a caller may register or deregister, per request.
func TestAPIServicesLimitWrites(t *testing.T) {
	reg := newTestRegistry(t)
	mustRegister(t, reg, registry.Registration{Service: "payments", Address: "203.0.113.1:80"})
	api := apiServer{reg: reg, logger: zap.NewNop(), origin: addrpolicy.Admin,
		services: []template{newTemplate("{http.auth.user.services}"), newTemplate("public")}}
	call := func(method, path, body, claim string) int {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		repl := caddy.NewReplacer()
		if claim != "" {
			repl.Set("http.auth.user.services", claim)
		}
		r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		return rec.Code
	}
	for _, c := range []struct {
		method, path, body, claim string
		want                      int
	}{
		{"POST", "/registry/services/payments", `{"address": "203.0.113.66:80"}`, "orders,billing", 403},
		{"POST", "/registry/services/payments", `{"address": "203.0.113.66:80"}`, "", 403},
		{"POST", "/registry/register_service", "payments,203.0.113.66:80", "orders", 403},
		{"DELETE", "/registry/services/payments", "", "orders", 403},
		{"DELETE", "/registry/services/payments/203.0.113.1:80", "", "orders", 403},
		{"POST", "/registry/deregister_service", "payments", "orders", 403},
		{"POST", "/registry/services/orders", `{"address": "203.0.113.2:80"}`, "orders, billing", 201},
		{"POST", "/registry/services/billing", `{"address": "203.0.113.3:80"}`, "orders, billing", 201},
		{"POST", "/registry/services/public", `{"address": "203.0.113.4:80"}`, "", 201},
		{"GET", "/registry/services/payments", "", "", 200},
	} {
		if got := call(c.method, c.path, c.body, c.claim); got != c.want {
			t.Errorf("%s %s with services %q: %d, want %d", c.method, c.path, c.claim, got, c.want)
		}
	}
	if insts, _ := reg.Instances("payments"); len(insts) != 1 || insts[0].Address != "203.0.113.1:80" {
		t.Fatalf("payments changed: %v", insts)
	}
}

// FuzzRegistrationAPI drives both APIs with arbitrary paths and bodies and
// fails on any 2xx for a name or address that must be refused.
func FuzzRegistrationAPI(f *testing.F) {
	for _, s := range []struct{ path, body string }{
		{"/registry/services/hello", `{"address": "203.0.113.1:80"}`},
		{"/registry/services/%2e%2e", `{"address": "203.0.113.1:80"}`},
		{"/registry/services/..", `{"address": "203.0.113.1:80"}`},
		{"/registry/services/x", `{"address": "169.254.169.254:80"}`},
		{"/registry/services/x", `{"address": "[::ffff:a9fe:a9fe]:80"}`},
		{"/registry/services/x", `{"address": "127.0.0.1:2019"}`},
		{"/registry/register_service", "x,[fe80::1]:80"},
		{"/registry/register_service", "x,0.0.0.0:80"},
		{"/registry/services/x", `{"address": "http://127.0.0.1:9"}`},
	} {
		f.Add(s.path, s.body, false)
		f.Add(s.path, s.body, true)
	}
	policy := &addrpolicy.Policy{
		Admin: []addrpolicy.Listener{{IP: netip.MustParseAddr("127.0.0.1"), PortLo: 2019, PortHi: 2019}},
		Resolve: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil // every name is a metadata service
		},
	}
	f.Fuzz(func(t *testing.T, path, body string, site bool) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") {
			return
		}
		req, err := http.NewRequest("POST", "http://gw"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		reg := newTestRegistry(t, registry.Settings{Policy: policy})
		origin := addrpolicy.Admin
		if site {
			origin = addrpolicy.Site
		}
		rec := httptest.NewRecorder()
		apiServer{reg: reg, logger: zap.NewNop(), origin: origin}.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			return
		}
		for service, insts := range reg.All() {
			if service == "." || service == ".." {
				t.Fatalf("%s %q: registered the service %q", path, body, service)
			}
			for _, inst := range insts {
				ap, err := netip.ParseAddrPort(inst.Address)
				if inst.ID == "." || inst.ID == ".." || err != nil {
					t.Fatalf("%s %q: registered %+v (a host name resolving to link-local, or a dot id)", path, body, inst)
				}
				ip := ap.Addr().Unmap()
				if ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() || (site && ip.IsLoopback()) ||
					(ip.IsLoopback() && ap.Port() == 2019 && ip == netip.MustParseAddr("127.0.0.1")) {
					t.Fatalf("%s %q via %s: registered the refused address %s", path, body, origin, inst.Address)
				}
			}
		}
	})
}
