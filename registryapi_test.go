package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
	"github.com/caddygateway/caddy-gateway/internal/registry"
	"github.com/caddygateway/caddy-gateway/internal/testenv"
	"go.uber.org/zap"
)

// apiCall sends one request to the registration API and returns the status
// and the decoded JSON body (nil for an empty body).
func apiCall(t *testing.T, api apiServer, method, path, body string) (int, http.Header, any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	var v any
	if rec.Body.Len() > 0 {
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: Content-Type %q, want application/json", method, path, ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v: %s", method, path, err, rec.Body)
		}
	}
	return rec.Code, rec.Header(), v
}

func TestAPIRegisterRenewListDeregister(t *testing.T) {
	reg := newTestRegistry(t)
	api := apiServer{reg: reg, logger: zap.NewNop()}

	code, hdr, body := apiCall(t, api, "POST", "/registry/services/hello",
		`{"address": "http://127.0.0.1:9090", "ttl": "30s", "metadata": {"version": "1.2"}}`)
	if code != http.StatusCreated {
		t.Fatalf("register: %d %v", code, body)
	}
	if loc := hdr.Get("Location"); loc != "/registry/services/hello/127.0.0.1:9090" {
		t.Errorf("Location = %q", loc)
	}
	inst := body.(map[string]any)
	if inst["service"] != "hello" || inst["id"] != "127.0.0.1:9090" || inst["address"] != "127.0.0.1:9090" ||
		inst["ttl"] != "30s" || inst["metadata"].(map[string]any)["version"] != "1.2" || inst["expires_at"] == nil {
		t.Errorf("registered instance = %v", inst)
	}

	if code, _, body = apiCall(t, api, "POST", "/registry/services/hello", `{"address": "127.0.0.1:9090", "ttl": "30s"}`); code != http.StatusOK {
		t.Fatalf("renew: %d %v", code, body)
	}
	if code, _, body = apiCall(t, api, "POST", "/registry/services/hello", `{"address": "127.0.0.1:9091", "id": "second"}`); code != http.StatusCreated {
		t.Fatalf("second instance: %d %v", code, body)
	}

	code, _, body = apiCall(t, api, "GET", "/registry/services", "")
	all := body.(map[string]any)
	if code != http.StatusOK || len(all) != 1 || len(all["hello"].([]any)) != 2 {
		t.Fatalf("list all: %d %v", code, body)
	}
	code, _, body = apiCall(t, api, "GET", "/registry/services/hello", "")
	if list := body.([]any); code != http.StatusOK || len(list) != 2 || list[0].(map[string]any)["id"] != "127.0.0.1:9090" {
		t.Fatalf("list one service: %d %v", code, body)
	}
	if code, _, _ = apiCall(t, api, "GET", "/registry/services/hello/second", ""); code != http.StatusOK {
		t.Fatalf("get one instance: %d", code)
	}

	if code, _, _ = apiCall(t, api, "DELETE", "/registry/services/hello/second", ""); code != http.StatusNoContent {
		t.Fatalf("deregister instance: %d", code)
	}
	if code, _, _ = apiCall(t, api, "DELETE", "/registry/services/hello/second", ""); code != http.StatusNotFound {
		t.Fatalf("deregister it again: %d, want 404", code)
	}
	if code, _, _ = apiCall(t, api, "DELETE", "/registry/services/hello", ""); code != http.StatusNoContent {
		t.Fatalf("deregister service: %d", code)
	}
	if code, _, _ = apiCall(t, api, "GET", "/registry/services/hello", ""); code != http.StatusNotFound {
		t.Fatalf("get deregistered service: %d, want 404", code)
	}
	if code, _, body = apiCall(t, api, "GET", "/registry/services", ""); code != http.StatusOK || len(body.(map[string]any)) != 0 {
		t.Fatalf("list after deregistering everything: %d %v", code, body)
	}
}

func TestAPISeedTextEndpoints(t *testing.T) {
	reg := newTestRegistry(t, registry.Settings{DefaultTTL: time.Minute})
	api := apiServer{reg: reg, logger: zap.NewNop()}

	if code, _, body := apiCall(t, api, "POST", "/registry/register_service", "hello_service,127.0.0.1:9090\n"); code != http.StatusCreated ||
		body.(map[string]any)["ttl"] != "1m0s" {
		t.Fatalf("register: %d %v", code, body)
	}
	if code, _, _ := apiCall(t, api, "POST", "/registry/register_service", "hello_service, http://127.0.0.1:9090"); code != http.StatusOK {
		t.Fatalf("register again: %d, want 200", code)
	}
	apiCall(t, api, "POST", "/registry/register_service", "hello_service,127.0.0.1:9091")
	if code, _, _ := apiCall(t, api, "POST", "/registry/deregister_service", "hello_service,127.0.0.1:9090"); code != http.StatusNoContent {
		t.Fatalf("deregister one address: %d", code)
	}
	if got := reg.Dials("hello_service"); len(got) != 1 || got[0] != "127.0.0.1:9091" {
		t.Fatalf("dials after deregistering one address: %v", got)
	}
	if code, _, _ := apiCall(t, api, "POST", "/registry/deregister_service", "hello_service,127.0.0.1:9090"); code != http.StatusNotFound {
		t.Fatalf("deregister a gone address: %d, want 404", code)
	}
	if code, _, _ := apiCall(t, api, "POST", "/registry/deregister_service", "hello_service"); code != http.StatusNoContent {
		t.Fatalf("deregister service: %d", code)
	}
	if code, _, _ := apiCall(t, api, "POST", "/registry/deregister_service", "hello_service"); code != http.StatusNotFound {
		t.Fatalf("deregister a gone service: %d, want 404", code)
	}
}

// badInputCases are invalid requests to the registration API, each with the
// status and the words its JSON error must have. None may register anything.
var badInputCases = []struct {
	method, path, body string
	status             int
	says               string
}{
	{"POST", "/registry/services/hello", "", 400, "body is empty"},
	{"POST", "/registry/services/hello", "hello,127.0.0.1:1", 400, "invalid JSON"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1"`, 400, "ends too early"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1"} {}`, 400, "after the JSON object"},
	{"POST", "/registry/services/hello", `[]`, 400, "must be a JSON object"},
	{"POST", "/registry/services/hello", `{"adress": "127.0.0.1:1"}`, 400, `unknown field "adress"`},
	{"POST", "/registry/services/hello", `{}`, 400, `"address" is missing`},
	{"POST", "/registry/services/hello", `{"address": 9090}`, 400, `"address" must be a string`},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:9090", "weight": 1e4}`, 400, `"weight" must be a whole number`},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:9090", "wieght": 1}`, 400, `address, id, ttl, metadata, weight, health`},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1"}`, 400, "no port"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:99999"}`, 400, "1 to 65535"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:80/x"}`, 400, "path"},
	{"POST", "/registry/services/hello", `{"address": "https://127.0.0.1:443"}`, 400, "https://"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "ttl": 30}`, 400, "duration string"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "ttl": "soon"}`, 400, "not a positive duration"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "ttl": "-5s"}`, 400, "not a positive duration"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "ttl": "10ms"}`, 400, "too short"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "id": "a/b"}`, 400, "id"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "metadata": {"k": 1}}`, 400, "object of string values"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "metadata": [1]}`, 400, "object of string values"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "metadata": {"": "x"}}`, 400, "metadata key"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "service": "other"}`, 400, "names service"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "metadata": {"k": "` + strings.Repeat("v", 2000) + `"}}`, 400, "metadata value"},
	{"POST", "/registry/services/hello", `{"address": "127.0.0.1:1", "x": "` + strings.Repeat("v", maxBodyBytes) + `"}`, 413, "larger than"},
	{"POST", "/registry/services/bad%20name", `{"address": "127.0.0.1:1"}`, 400, "service name"},
	{"POST", "/registry/services/", `{"address": "127.0.0.1:1"}`, 405, "not allowed"},
	{"PUT", "/registry/services/hello", `{"address": "127.0.0.1:1"}`, 405, "use GET, POST, DELETE"},
	{"POST", "/registry/services/hello/id", `{"address": "127.0.0.1:1"}`, 405, "use GET, DELETE"},
	{"GET", "/registry/register_service", "", 405, "use POST"},
	{"GET", "/registry/nothing", "", 404, "no registry endpoint"},
	{"GET", "/registry/services/a/b/c", "", 404, "no registry endpoint"},
	{"POST", "/registry/register_service", "", 400, "body is empty"},
	{"POST", "/registry/register_service", "hello_service", 400, "no address"},
	{"POST", "/registry/register_service", "hello_service,127.0.0.1:1,x", 400, "commas"},
	{"POST", "/registry/register_service", "hello service,127.0.0.1:1", 400, "service name"},
	{"POST", "/registry/register_service", "hello,127.0.0.1", 400, "no port"},
	{"POST", "/registry/register_service", "a,127.0.0.1:1\nb,127.0.0.1:2", 400, "more than one line"},
	{"POST", "/registry/register_service", `{"address": "127.0.0.1:1"}`, 400, "looks like JSON"},
	{"POST", "/registry/deregister_service", "", 400, "body is empty"},
	{"POST", "/registry/deregister_service", "hello,nope", 400, "no port"},
}

// TestAPIBadInput checks that every invalid request is refused with the
// right status and a JSON error that says what is wrong, and that nothing
// gets registered by it.
func TestAPIBadInput(t *testing.T) {
	for _, tc := range badInputCases {
		reg := newTestRegistry(t)
		api := apiServer{reg: reg, logger: zap.NewNop()}
		code, hdr, body := apiCall(t, api, tc.method, tc.path, tc.body)
		msg, _ := body.(map[string]any)["error"].(string)
		if code != tc.status || !strings.Contains(msg, tc.says) {
			t.Errorf("%s %s %.60q: %d %q; want %d with an error saying %q", tc.method, tc.path, tc.body, code, msg, tc.status, tc.says)
		}
		if code == http.StatusMethodNotAllowed && hdr.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without an Allow header", tc.method, tc.path)
		}
		if registered(reg) != 0 {
			t.Errorf("%s %s %.60q: registered %d instances", tc.method, tc.path, tc.body, registered(reg))
		}
	}
}

func TestAPIOverCapIs409(t *testing.T) {
	reg := newTestRegistry(t, registry.Settings{MaxPerService: 1})
	api := apiServer{reg: reg, logger: zap.NewNop()}
	apiCall(t, api, "POST", "/registry/services/hello", `{"address": "127.0.0.1:1"}`)
	code, _, body := apiCall(t, api, "POST", "/registry/services/hello", `{"address": "127.0.0.1:2"}`)
	if msg := body.(map[string]any)["error"].(string); code != http.StatusConflict || !strings.Contains(msg, "max_instances_per_service") {
		t.Fatalf("over the cap: %d %q", code, msg)
	}
}

func TestParseRegistrationNormalizes(t *testing.T) {
	reg, err := parseRegistration("hello", []byte(`{"address": "HTTP://[::ffff:10.0.0.1]:80/", "ttl": "1m"}`))
	if err != nil {
		t.Fatal(err)
	}
	if reg.Address != "10.0.0.1:80" || reg.ID != "10.0.0.1:80" || reg.TTL != time.Minute || reg.Service != "hello" {
		t.Fatalf("ParseRegistration = %+v", reg)
	}
}

// checkRegistration asserts what every accepted registration must satisfy.
func checkRegistration(t *testing.T, reg registry.Registration) {
	t.Helper()
	if again, err := registry.NormalizeAddress(reg.Address); err != nil || again != reg.Address {
		t.Fatalf("accepted address %q does not normalize to itself: %q, %v", reg.Address, again, err)
	}
	if err := registry.ValidateServiceName(reg.Service); err != nil {
		t.Fatalf("accepted service name %q: %v", reg.Service, err)
	}
	if err := registry.ValidateID(reg.ID); err != nil {
		t.Fatalf("accepted id %q: %v", reg.ID, err)
	}
	if reg.TTL != 0 && reg.TTL < registry.MinTTL {
		t.Fatalf("accepted ttl %v", reg.TTL)
	}
}

func FuzzParseRegistration(f *testing.F) {
	for _, s := range []string{
		`{"address": "127.0.0.1:9090"}`,
		`{"address": "http://localhost:80/", "id": "a", "ttl": "30s", "metadata": {"k": "v"}}`,
		`{"address": "[::1]:1", "ttl": "1h30m"}`,
		`{"address": "127.0.0.1:1"} x`,
		`{"address": 1}`,
		`{"ttl": "1d"}`,
		``,
	} {
		f.Add("hello", []byte(s))
	}
	f.Fuzz(func(t *testing.T, service string, body []byte) {
		reg, err := parseRegistration(service, body)
		if err != nil {
			if statusOf(err) != http.StatusBadRequest {
				t.Fatalf("error is not a 400: %v", err)
			}
			return
		}
		checkRegistration(t, reg)
		r := newTestRegistry(t)
		if _, _, err := r.Register(reg); err != nil {
			t.Fatalf("parsed registration refused by the registry: %v", err)
		}
	})
}

func FuzzParseTextRegistration(f *testing.F) {
	for _, s := range []string{
		"hello_service,127.0.0.1:9090",
		"hello_service, http://127.0.0.1:9090/\n",
		"hello_service",
		"a,b,c",
		",",
		"x,[::1]:80",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		service, address, err := parseTextRegistration(body)
		if err == nil {
			checkRegistration(t, registry.Registration{Service: service, ID: address, Address: address})
		} else if statusOf(err) != http.StatusBadRequest {
			t.Fatalf("error is not a 400: %v", err)
		}
		service, address, err = parseTextDeregistration(body)
		if err == nil {
			if registry.ValidateServiceName(service) != nil {
				t.Fatalf("accepted service %q", service)
			}
			if address != "" {
				checkRegistration(t, registry.Registration{Service: service, ID: address, Address: address})
			}
		} else if statusOf(err) != http.StatusBadRequest {
			t.Fatalf("error is not a 400: %v", err)
		}
	})
}

// newTestRegistry is a registry of its own for a test, with the address
// policy of unit tests (host names resolved without DNS).
// Settings, when given, replace the defaults (with testPolicy if they
// name no policy).
func newTestRegistry(t testing.TB, settings ...registry.Settings) *registry.Registry {
	var s registry.Settings
	if len(settings) > 0 {
		s = settings[0]
	}
	if s.Policy == nil {
		s.Policy = testPolicy
	}
	r := registry.New(zap.NewNop())
	owner := new(int)
	r.Attach(owner, registry.Attachment{Settings: s, Logger: zap.NewNop()})
	t.Cleanup(func() { r.Detach(owner) })
	return r
}

// testPolicy is the address policy of unit tests: the fixed rules, with
// host names resolved without DNS (localhost to loopback, any other name
// to a documentation address).
var testPolicy = &addrpolicy.Policy{Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
	if host == "localhost" {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("203.0.113.77")}, nil
}}

func mustRegister(t *testing.T, r *registry.Registry, reg registry.Registration) {
	t.Helper()
	if _, _, err := r.Register(reg); err != nil {
		t.Fatalf("Register(%+v): %v", reg, err)
	}
}

// statusOf is the status the registration API answers err with (0 for
// no error).
func statusOf(err error) int {
	if err == nil {
		return 0
	}
	status, _ := errorAnswer(err)
	return status
}

// registered counts the registry's instances.
func registered(r *registry.Registry) int {
	n := 0
	for _, list := range r.All() {
		n += len(list)
	}
	return n
}

func TestHealthInTheAPI(t *testing.T) {
	r := newTestRegistry(t, registry.Settings{Health: registry.HealthSettings{Fails: 1, Interval: 100 * time.Millisecond}})
	sick := testenv.NewSwitchable(t)
	sick.Status.Store(http.StatusInternalServerError)
	api := apiServer{reg: r, logger: zap.NewNop()}
	code, _, body := apiCall(t, api, "POST", "/registry/services/svc", `{"address": "`+sick.Addr()+`", "health": {"path": "/healthz"}}`)
	if code != 201 || body.(map[string]any)["healthy"] != true || body.(map[string]any)["health"].(map[string]any)["path"] != "/healthz" {
		t.Fatalf("register with a health path: %d %v", code, body)
	}
	var inst map[string]any
	testenv.Eventually(t, 5*time.Second, "no failed check shown", func() bool {
		_, _, body = apiCall(t, api, "GET", "/registry/services/svc", "")
		inst = body.([]any)[0].(map[string]any)
		return inst["healthy"] == false
	})
	health := inst["health"].(map[string]any)
	if inst["healthy"] != false || health["consecutive_failures"] != 1.0 || health["unhealthy_since"] == nil || health["checked_at"] == nil {
		t.Fatalf("after a failed check: %v", inst)
	}
	for _, bad := range []string{`{"address": "127.0.0.1:1", "health": {"path": "healthz"}}`, `{"address": "127.0.0.1:1", "health": {}}`,
		`{"address": "127.0.0.1:1", "health": "/healthz"}`, `{"address": "127.0.0.1:1", "health": {"path": "/a b"}}`} {
		if code, _, body := apiCall(t, api, "POST", "/registry/services/other", bad); code != 400 {
			t.Errorf("%s: %d %v", bad, code, body)
		}
	}
}
