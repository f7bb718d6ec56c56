package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
	reg, _ := newTestRegistry()
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
	reg, _ := newTestRegistry()
	reg.settings.defaultTTL = time.Minute
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
	if got := reg.dials("hello_service"); len(got) != 1 || got[0] != "127.0.0.1:9091" {
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
		reg, _ := newTestRegistry()
		api := apiServer{reg: reg, logger: zap.NewNop()}
		code, hdr, body := apiCall(t, api, tc.method, tc.path, tc.body)
		msg, _ := body.(map[string]any)["error"].(string)
		if code != tc.status || !strings.Contains(msg, tc.says) {
			t.Errorf("%s %s %.60q: %d %q; want %d with an error saying %q", tc.method, tc.path, tc.body, code, msg, tc.status, tc.says)
		}
		if code == http.StatusMethodNotAllowed && hdr.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without an Allow header", tc.method, tc.path)
		}
		if reg.Len() != 0 {
			t.Errorf("%s %s %.60q: registered %d instances", tc.method, tc.path, tc.body, reg.Len())
		}
	}
}

func TestAPIOverCapIs409(t *testing.T) {
	reg, _ := newTestRegistry()
	reg.settings.maxPerService = 1
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
func checkRegistration(t *testing.T, reg Registration) {
	t.Helper()
	if again, err := normalizeAddress(reg.Address); err != nil || again != reg.Address {
		t.Fatalf("accepted address %q does not normalize to itself: %q, %v", reg.Address, again, err)
	}
	if err := validateServiceName(reg.Service); err != nil {
		t.Fatalf("accepted service name %q: %v", reg.Service, err)
	}
	if err := validateID(reg.ID); err != nil {
		t.Fatalf("accepted id %q: %v", reg.ID, err)
	}
	if reg.TTL != 0 && reg.TTL < MinTTL {
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
		r, _ := newTestRegistry()
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
			checkRegistration(t, Registration{Service: service, ID: address, Address: address})
		} else if statusOf(err) != http.StatusBadRequest {
			t.Fatalf("error is not a 400: %v", err)
		}
		service, address, err = parseTextDeregistration(body)
		if err == nil {
			if validateServiceName(service) != nil {
				t.Fatalf("accepted service %q", service)
			}
			if address != "" {
				checkRegistration(t, Registration{Service: service, ID: address, Address: address})
			}
		} else if statusOf(err) != http.StatusBadRequest {
			t.Fatalf("error is not a 400: %v", err)
		}
	})
}

func FuzzNormalizeAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "http://a:1/", "[::1]:1", "a:b:c", "https://x:1", "x:0", "[fe80::1%25eth0]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		got, err := normalizeAddress(addr)
		if err != nil {
			if statusOf(err) != http.StatusBadRequest {
				t.Fatalf("error is not a 400: %v", err)
			}
			return
		}
		if again, err := normalizeAddress(got); err != nil || again != got {
			t.Fatalf("%q -> %q -> %q, %v: not idempotent", addr, got, again, err)
		}
		if err := validateID(got); err != nil {
			t.Fatalf("normalized address %q is not a valid id: %v", got, err)
		}
	})
}
