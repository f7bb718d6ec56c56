package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

func adapt(t *testing.T, caddyfile string) (map[string]any, error) {
	t.Helper()
	out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg, nil
}

func TestCaddyfileRegistryConfig(t *testing.T) {
	cfg, err := adapt(t, `{
	service_registry {
		default_ttl 30s
		max_instances 50
		max_instances_per_service 5
		persist off
	}
}
:8080 {
	registry_api
	reverse_proxy {
		dynamic registry {http.request.uri.path.0}
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	app := cfg["apps"].(map[string]any)["service_registry"].(map[string]any)
	if app["default_ttl"] != 30e9 || app["max_instances"] != 50.0 || app["max_instances_per_service"] != 5.0 || app["persist"] != false {
		t.Errorf("service_registry app = %v", app)
	}
	raw, _ := json.Marshal(cfg)
	for _, want := range []string{
		`"dynamic_upstreams":{"service":"{http.request.uri.path.0}","source":"registry"}`,
		`{"handler":"registry_api"}`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("adapted config lacks %s:\n%s", want, raw)
		}
	}
}

func TestCaddyfileErrorsSayWhatIsWrong(t *testing.T) {
	site := func(body string) string { return ":8080 {\n" + body + "\n}" }
	for _, tc := range []struct{ caddyfile, says string }{
		{site("reverse_proxy {\n dynamic registry\n}"), "the service name is missing"},
		{site("reverse_proxy {\n dynamic registry a b\n}"), `got another argument "b"`},
		{site("reverse_proxy {\n dynamic registry a {\n  refresh 1s\n }\n}"), `takes no block; unexpected "refresh"`},
		{site("registry_api foo"), `takes no arguments; unexpected "foo"`},
		{site("registry_api {\n x\n}"), `takes no block`},
		{"{\n service_registry {\n  bogus 1\n }\n}", `unknown service_registry option "bogus"`},
		{"{\n service_registry {\n  default_ttl soon\n }\n}", `default_ttl "soon" is not a duration`},
		{"{\n service_registry {\n  default_ttl\n }\n}", "wrong argument count"},
		{"{\n service_registry {\n  max_instances 0\n }\n}", `max_instances "0" must be a positive whole number`},
		{"{\n service_registry {\n  max_instances_per_service many\n }\n}", `max_instances_per_service "many" must be a positive`},
		{"{\n service_registry {\n  persist maybe\n }\n}", `"maybe" must be on or off`},
		{"{\n service_registry {\n  persist off on\n }\n}", `persist takes one argument; unexpected "on"`},
		{"{\n service_registry on\n}", "wrong argument count"},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
	}
}

// TestConfigLoadErrors covers what only provisioning can check.
func TestConfigLoadErrors(t *testing.T) {
	g := startGateway(t, "", "http://127.0.0.1:{HTTP} {\n\trespond ok\n}")
	for _, tc := range []struct{ globals, sites, says string }{
		{"", "http://127.0.0.1:{HTTP} {\n\treverse_proxy {\n\t\tdynamic registry \"a b\"\n\t}\n}", `service name "a b" has the character ' '`},
		{"service_registry {\n\t\tdefault_ttl 10ms\n\t}", "", "default_ttl 10ms must be at least 1s"},
	} {
		err := g.tryLoad(tc.globals, tc.sites)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("err = %v, want it to say %q", err, tc.says)
		}
	}
}
