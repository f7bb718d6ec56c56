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

	for block, want := range map[string]string{
		"subset 8 {http.request.remote.host}": `"dynamic_upstreams":{"service":"svc","source":"registry","subset":8,"subset_key":"{http.request.remote.host}"}`,
		"subset all":                          `"dynamic_upstreams":{"service":"svc","source":"registry","subset":-1}`,
		"match version 2 {http.request.header.X-Version}\n\t\t\tfallback none": `"dynamic_upstreams":{"fallback":"none","match":{"version":["2","{http.request.header.X-Version}"]},"service":"svc","source":"registry"}`,
	} {
		cfg, err := adapt(t, ":8080 {\n\treverse_proxy {\n\t\tdynamic registry svc {\n\t\t\t"+block+"\n\t\t}\n\t}\n}")
		if err != nil {
			t.Fatal(err)
		}
		if raw, _ := json.Marshal(cfg); !strings.Contains(string(raw), want) {
			t.Errorf("%s: adapted config lacks %s:\n%s", block, want, raw)
		}
	}
}

func TestCaddyfileErrorsSayWhatIsWrong(t *testing.T) {
	site := func(body string) string { return ":8080 {\n" + body + "\n}" }
	for _, tc := range []struct{ caddyfile, says string }{
		{site("reverse_proxy {\n dynamic registry\n}"), "the service name is missing"},
		{site("reverse_proxy {\n dynamic registry a b\n}"), `got another argument "b"`},
		{site("reverse_proxy {\n dynamic registry a {\n  refresh 1s\n }\n}"), `unknown dynamic registry option "refresh"; known: subset, match, fallback`},
		{site("reverse_proxy {\n dynamic registry a {\n  match version\n }\n}"), "match takes a metadata key and one or more values"},
		{site("reverse_proxy {\n dynamic registry a {\n  match version 1\n  match version 2\n }\n}"), "match version is given twice"},
		{site("reverse_proxy {\n dynamic registry a {\n  fallback some\n }\n}"), `fallback "some": want all`},
		{site("reverse_proxy {\n dynamic registry a {\n  fallback\n }\n}"), "fallback takes one value"},
		{site("reverse_proxy {\n dynamic registry a {\n  match version {http.request.header.X\n }\n}"), "match version: the value"},
		{site("reverse_proxy {\n dynamic registry a\n lb_policy registry_weighted a b\n}"), "registry_weighted takes one key at most"},
		{site("reverse_proxy {\n dynamic registry a {\n  subset\n }\n}"), "subset takes a size and an optional key"},
		{site("reverse_proxy {\n dynamic registry a {\n  subset 0\n }\n}"), `subset "0": want a number of upstreams from 1 up, or all`},
		{site("reverse_proxy {\n dynamic registry a {\n  subset many\n }\n}"), `subset "many": want a number`},
		{site("reverse_proxy {\n dynamic registry a {\n  subset all {client_ip}\n }\n}"), "subset all takes no key"},
		{site("reverse_proxy {\n dynamic registry a {\n  subset 8 {http.request.remote.host\n }\n}"), "subset key"},
		{site("registry_api foo"), `takes no arguments; unexpected "foo"`},
		{site("registry_api {\n x\n}"), `unrecognized subdirective "x"; registry_api knows: services`},
		{site("registry_api {\n services\n}"), `services needs at least one`},
		{site("throttle {\n rate 1/s\n key {http.auht.user.id}\n}"), `the placeholder {http.auht.user.id} never has a value`},
		{site("throttle {\n rate 1/s\n key {http.auth.user.id\n}"), `never closed`},
		{site("circuit_breaker {\n client_key {http.auht.user.id}\n}"), `client_key "{http.auht.user.id}": the placeholder`},
		{site("reverse_proxy {\n dynamic registry {http.request.uri.path.0\n}"), `never closed`},
		{site("reverse_proxy {\n dynamic registry hello/x\n}"), `has the character '/'`},
		{site("registry_api {\n services ..\n}"), `dot segment`},
		{"{\n service_registry {\n  allow example.com\n }\n}", `neither an IP address nor a CIDR range`},
		{"{\n service_registry {\n  deny\n }\n}", `deny needs at least one IP range`},
		{site("jwt_auth {\n secret x\n preflight skip\n}"), `preflight "skip" must be pass or check`},
		{site("throttle {\n rate 1/s\n ipv6_prefix 200\n}"), `ipv6_prefix "200" must be a prefix length`},
		{"{\n service_registry {\n  bogus 1\n }\n}", `unrecognized subdirective "bogus"; service_registry knows: default_ttl`},
		{"{\n service_registry {\n  default_ttl soon\n }\n}", `default_ttl "soon" is not a duration`},
		{"{\n service_registry {\n  default_ttl\n }\n}", "wrong argument count"},
		{"{\n service_registry {\n  max_instances 0\n }\n}", `max_instances "0" must be a positive whole number`},
		{"{\n service_registry {\n  max_instances_per_service many\n }\n}", `max_instances_per_service "many" must be a positive`},
		{"{\n service_registry {\n  persist maybe\n }\n}", `"maybe" must be on or off`},
		{"{\n service_registry {\n  persist off on\n }\n}", `persist takes one argument; unexpected "on"`},
		{"{\n service_registry on\n}", "wrong argument count"},
		{site("cors {\n origins *\n credentials\n}"), "origins * with credentials"},
		{site("cors {\n methods GET\n}"), "no origins: name the origins"},
		{site("cors {\n origins https://a.*.example.com\n}"), "a * may only open the host"},
		{site("cors {\n origins https://app.example.com\n max_age soon\n}"), `max_age "soon" is not a duration`},
		{site("cors {\n origins https://app.example.com\n allow_all\n}"), `unrecognized subdirective "allow_all"; cors knows: origins`},
		{site("cors https://app.example.com"), "cors takes a block"},
		{site("response_cache 10m"), "response_cache takes a block"},
		{site("response_cache {\n max_size lots\n}"), `max_size: "lots" is not a size`},
		{site("response_cache {\n max_size 1MiB\n max_item_size 2MiB\n}"), "max_item_size (2097152) is larger than max_size (1048576)"},
		{site("response_cache {\n key\n}"), "key needs at least one template"},
		{site("response_cache {\n key {http.auht.user.id}\n}"), "the placeholder {http.auht.user.id} never has a value"},
		{site("response_cache {\n stale_if_error later\n}"), `stale_if_error: "later" is not a duration`},
		{site("response_cache {\n backend memcached x\n}"), "write `backend redis <url>`"},
		{site("response_cache {\n backend redis localhost:6379\n}"), "is not a Redis URL such as redis://127.0.0.1:6379/0"},
		{site("response_cache {\n ttl 1m\n}"), `unknown response_cache option "ttl"`},
		{site("transform"), "no operations: give a request or response block"},
		{site("transform {\n request {\n  set user.id\n }\n}"), "set takes a path and a value"},
		{site("transform {\n request {\n  move a b\n }\n}"), `unknown request operation "move"`},
		{site("transform {\n response {\n  delete items.#.id\n }\n}"), `response: delete "items.#.id": the character '#' cannot be in a path`},
		{site("transform {\n request {\n  set user.id {http.auht.user.id}\n }\n}"), "the placeholder {http.auht.user.id} never has a value"},
		{site("transform {\n request {\n  delete a\n }\n max_body huge\n}"), `max_body: "huge" is not a size`},
		{site("transform {\n request {\n  delete a\n }\n on_error ignore\n}"), "on_error takes pass or fail"},
		{site("transform {\n request {\n  set a {\"x\":1,\"X\":2}\n }\n}"), "the same key twice"},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
		if err != nil && strings.Contains(err.Error(), "cors': cors:") {
			t.Errorf("%q: a doubled prefix: %v", tc.caddyfile, err)
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

func TestCaddyfileThrottle(t *testing.T) {
	cfg, err := adapt(t, `:8080 {
	throttle /api/* {
		key {http.auth.user.id}
		rate 100/s
		rate 1000/1h
		burst 20
		zone api
		max_keys 5000
		dry_run
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	for _, want := range []string{
		`"handler":"throttle"`, `"key":"{http.auth.user.id}"`, `"zone":"api"`, `"max_keys":5000`, `"dry_run":true`,
		`"rates":[{"burst":20,"events":100,"window":1000000000},{"burst":20,"events":1000,"window":3600000000000}]`,
		`"path":["/api/*"]`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("adapted config lacks %s:\n%s", want, raw)
		}
	}
	// the shorthand {client_ip} becomes the full placeholder
	cfg, _ = adapt(t, ":8080 {\n\tthrottle {\n\t\tkey {client_ip}\n\t\trate 1/s\n\t}\n}")
	if raw, _ := json.Marshal(cfg); !strings.Contains(string(raw), `"key":"{http.vars.client_ip}"`) {
		t.Errorf("{client_ip} not expanded: %s", raw)
	}
}

func TestCaddyfileThrottleErrors(t *testing.T) {
	site := func(body string) string { return ":8080 {\n" + body + "\n}" }
	for _, tc := range []struct{ caddyfile, says string }{
		{site("throttle"), "no rate"},
		{site("throttle {\n key {client_ip}\n}"), "no rate"},
		{site("throttle fast"), `takes a block, not the argument "fast"`},
		{site("throttle {\n rate five/1m\n}"), `rate "five/1m" must be <requests>/<duration>`},
		{site("throttle {\n rate 5\n}"), `rate "5" must be <requests>/<duration>`},
		{site("throttle {\n rate 5/soon\n}"), `"soon" is not a positive duration`},
		{site("throttle {\n rate 5/-1m\n}"), `is not a positive duration`},
		{site("throttle {\n rate 5/1m\n burst 0\n}"), `burst "0" must be a positive whole number`},
		{site("throttle {\n rate 5/1m\n max_keys lots\n}"), `max_keys "lots" must be a positive`},
		{site("throttle {\n rate 5/1m\n dry_run yes\n}"), "dry_run takes no arguments"},
		{site("throttle {\n rate 5/1m 6/1m\n}"), "rate takes one argument, got 2"},
		{site("throttle {\n rate 5/1m\n window 1m\n}"), `unrecognized subdirective "window"; throttle knows: key`},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
	}
}

func TestCaddyfileJWTAuth(t *testing.T) {
	k := getKeys(t)
	cfg, err := adapt(t, `:8080 {
	jwt_auth {
		secret {env.JWT_SECRET}
		public_key `+k.pem("rsa.pem")+` `+k.pem("ed.pem")+`
		jwks https://idp.example/jwks.json
		jwks_refresh 10m
		jwks_cooldown 30s
		jwks_timeout 2s
		algorithms RS256 HS256
		issuer one two
		audience api
		leeway 30s
		require exp sub
		from cookie session
		from query token
		claim_header sub X-User-Id
		optional
		realm api
		max_token_size 4096
		cache_size off
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	for _, want := range []string{
		`"secret":"{env.JWT_SECRET}"`, `"public_keys":["` + k.pem("rsa.pem") + `","` + k.pem("ed.pem") + `"]`, `"jwks":["https://idp.example/jwks.json"]`,
		`"jwks_refresh":600000000000`, `"jwks_cooldown":30000000000`, `"jwks_timeout":2000000000`,
		`"algorithms":["RS256","HS256"]`, `"issuers":["one","two"]`, `"audiences":["api"]`, `"leeway":30000000000`,
		`"require":["exp","sub"]`, `"from":[{"name":"session","type":"cookie"},{"name":"token","type":"query"}]`,
		`"claim_headers":[{"claim":"sub","header":"X-User-Id"}]`, `"optional":true`, `"realm":"api"`,
		`"max_token_size":4096`, `"cache_size":-1`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("adapted config lacks %s:\n%s", want, raw)
		}
	}
}

func TestCaddyfileJWTAuthErrors(t *testing.T) {
	site := func(body string) string { return ":8080 {\n" + body + "\n}" }
	for _, tc := range []struct{ caddyfile, says string }{
		{site("jwt_auth secret"), `takes a block, not the argument "secret"`},
		{site("jwt_auth {\n secret\n}"), "secret takes the secret and, optionally, its key ID"},
		{site("jwt_auth {\n secret a b c\n}"), "secret takes the secret and, optionally, its key ID"},
		{site("jwt_auth {\n public_key\n}"), "public_key needs at least one argument"},
		{site("jwt_auth {\n leeway soon\n}"), `leeway "soon" is not a duration`},
		{site("jwt_auth {\n from body token\n}"), `from "body": want header, cookie or query`},
		{site("jwt_auth {\n from cookie\n}"), "from takes two arguments"},
		{site("jwt_auth {\n claim_header sub\n}"), "claim_header takes two arguments"},
		{site("jwt_auth {\n optional yes\n}"), "optional takes no arguments"},
		{site("jwt_auth {\n max_token_size big\n}"), `max_token_size "big" must be a positive`},
		{site("jwt_auth {\n cache_size none\n}"), `cache_size "none" must be a positive number or off`},
		{site("jwt_auth {\n issuers x\n}"), `unrecognized subdirective "issuers"; jwt_auth knows: secret,`},
		{site("jwt_auth {\n issuer x\n}"), `issuer "x" is not an absolute URL (OpenID Connect discovery`},
		{site("jwt_auth {\n issuer http://idp.example\n}"), `must be an https URL (http only for a loopback address)`},
		{site("jwt_auth {\n issuer https://a.example https://b.example\n}"), `discovery (no secret, public_key or jwks) takes one issuer, got 2`},
		{site("jwt_auth {\n leeway 1s\n}"), `no key configured; set secret, public_key, jwks, or issuer <url>`},
		{site("jwt_auth {\n secret x\n algorithms HS256 NONE\n}"), `algorithm "NONE" is never accepted`},
		{site("jwt_auth {\n secret x\n algorithms HS257\n}"), `unknown algorithm "HS257"`},
		{site("jwt_auth {\n public_key /nonexistent/key.pem\n}"), `public_key "/nonexistent/key.pem": open /nonexistent/key.pem`},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
	}
}

// TestDirectiveOrder checks the plugin's place in Caddy's directive order:
// authentication, then limits, then the registration API, then the rest.
func TestDirectiveOrder(t *testing.T) {
	cfg, err := adapt(t, `:8080 {
	reverse_proxy {
		dynamic registry x
	}
	registry_api
	throttle {
		rate 1/s
	}
	token_introspection {
		endpoint https://idp.example/introspect
		client_id gw
		client_secret s
	}
	jwt_auth {
		secret x
	}
	forward_auth 127.0.0.1:9999 {
		uri /check
	}
	basic_auth {
		u $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	s := string(raw)
	// forward_auth is a reverse_proxy to the auth server; registry_api comes
	// after it and before the site's own reverse_proxy
	order := []string{`"authentication"`, `"jwt_auth"`, `"token_introspection"`, `"throttle"`, `"reverse_proxy"`, `"registry_api"`, `"reverse_proxy"`}
	last := -1
	for _, h := range order {
		i := strings.Index(s[last+1:], `"handler":`+h)
		if i < 0 {
			t.Fatalf("handler %s out of order (not after %d):\n%s", h, last, s)
		}
		last += 1 + i
	}
	if !strings.Contains(s[:strings.Index(s, `"handler":"registry_api"`)], `"uri":"/check"`) {
		t.Fatalf("forward_auth does not come before registry_api:\n%s", s)
	}
}

func TestCaddyfileCircuitBreakerAndHealth(t *testing.T) {
	cfg, err := adapt(t, `{
	service_registry {
		health_path /healthz
		health_interval 5s
		health_timeout 1s
		health_fails 3
		health_passes 2
		deregister_unhealthy_after 10m
	}
}
:8080 {
	reverse_proxy {
		dynamic registry x
	}
	circuit_breaker {
		name api
		key {http.request.uri.path.0}
		failure_ratio 25%
		min_requests 10
		window 1m
		open_for 15s
		half_open_requests 5
		failure_status 5xx 429
		max_keys 100
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	s := string(raw)
	for _, want := range []string{
		`"health_path":"/healthz"`, `"health_interval":5000000000`, `"health_timeout":1000000000`, `"health_fails":3`,
		`"health_passes":2`, `"deregister_unhealthy_after":600000000000`,
		`"handler":"circuit_breaker"`, `"name":"api"`, `"key":"{http.request.uri.path.0}"`, `"failure_ratio":0.25`,
		`"min_requests":10`, `"window":60000000000`, `"open_for":15000000000`, `"half_open_requests":5`,
		`"failure_status":["5xx","429"]`, `"max_keys":100`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("adapted config lacks %s:\n%s", want, s)
		}
	}
	if strings.Index(s, `"handler":"circuit_breaker"`) > strings.Index(s, `"handler":"reverse_proxy"`) {
		t.Errorf("circuit_breaker is not before reverse_proxy:\n%s", s)
	}
}

func TestCaddyfileCircuitBreakerAndHealthErrors(t *testing.T) {
	site := func(body string) string { return ":8080 {\n" + body + "\n}" }
	for _, tc := range []struct{ caddyfile, says string }{
		{site("circuit_breaker now"), `takes a block, not the argument "now"`},
		{site("circuit_breaker {\n failure_ratio 2\n}"), `failure_ratio "2" must be more than 0 and at most 1`},
		{site("circuit_breaker {\n failure_ratio half\n}"), `failure_ratio "half"`},
		{site("circuit_breaker {\n min_requests 0\n}"), `min_requests "0" must be a positive whole number`},
		{site("circuit_breaker {\n window soon\n}"), `window "soon" is not a positive duration`},
		{site("circuit_breaker {\n failure_status\n}"), "failure_status needs at least one"},
		{site("circuit_breaker {\n trip 1\n}"), `unrecognized subdirective "trip"; circuit_breaker knows: name`},
		{"{\n service_registry {\n  health_interval never\n }\n}", `health_interval "never" is not a positive duration`},
		{"{\n service_registry {\n  health_fails 0\n }\n}", `health_fails "0" must be a positive whole number`},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
	}
}

func TestCaddyfileRedisBackends(t *testing.T) {
	cfg, err := adapt(t, `{
	service_registry {
		redis_timeout 300ms
		backend redis {env.REDIS_URL}
		resync_interval 5s
	}
}
:8080 {
	throttle {
		rate 5/1m
		backend redis rediss://user:pw@redis.internal:6380/2
		on_error deny
		redis_timeout 100ms
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	for _, want := range []string{
		`"redis":{"timeout":300000000,"url":"{env.REDIS_URL}"}`, `"resync_interval":5000000000`,
		`"redis":{"timeout":100000000,"url":"rediss://user:pw@redis.internal:6380/2"}`, `"on_error":"deny"`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("adapted config lacks %s:\n%s", want, raw)
		}
	}
	site := func(body string) string { return ":8080 {\n" + body + "\n}" }
	for _, tc := range []struct{ caddyfile, says string }{
		{site("throttle {\n rate 1/s\n backend memcached x\n}"), "write `backend redis <url>`"},
		{site("throttle {\n rate 1/s\n backend redis\n}"), "name a server (url), a Sentinel master"},
		{site("throttle {\n rate 1/s\n on_error maybe\n}"), `on_error "maybe" must be allow or deny`},
		{site("throttle {\n rate 1/s\n on_error deny\n}"), "on_error applies to `backend redis <url>` only"},
		{site("throttle {\n rate 1/s\n redis_timeout 1s\n}"), "redis_timeout without `backend redis <url>`"},
		{"{\n service_registry {\n  redis_timeout 1s\n }\n}", "redis_timeout without `backend redis <url>`"},
		{"{\n service_registry {\n  backend redis a b\n }\n}", "write `backend redis <url>`"},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
	}
}

func TestCaddyfileSecretRotation(t *testing.T) {
	cfg, err := adapt(t, `:8080 {
	jwt_auth {
		secret {env.OLD_SECRET}
		secret {env.NEW_SECRET} 2026-11
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	if !strings.Contains(string(raw), `"secret":"{env.OLD_SECRET}","secrets":[{"key_id":"2026-11","secret":"{env.NEW_SECRET}"}]`) {
		t.Fatalf("two secrets: %s", raw)
	}
}

func TestCaddyfileRegistryWeighted(t *testing.T) {
	cfg, err := adapt(t, ":8080 {\n\treverse_proxy {\n\t\tdynamic registry svc\n\t\tlb_policy registry_weighted {http.auth.user.id}\n\t}\n}")
	if err != nil {
		t.Fatal(err)
	}
	want := `"selection_policy":{"key":"{http.auth.user.id}","policy":"registry_weighted"}`
	if raw, _ := json.Marshal(cfg); !strings.Contains(string(raw), want) {
		t.Errorf("adapted config lacks %s:\n%s", want, raw)
	}
}

func TestCaddyfileTokenIntrospection(t *testing.T) {
	cfg, err := adapt(t, `:8080 {
	token_introspection {
		issuer https://idp.example/realms/x
		client_id gateway
		client_secret {env.IDP_SECRET}
		from header X-Token
		from query access_token
		cache_ttl 30s
		inactive_cache_ttl 5s
		cache_size 500
		inactive_cache_size 50
		timeout 2s
		max_concurrent 8
		max_token_size 2048
		optional
		realm api
	}
}`)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(cfg)
	for _, want := range []string{
		`"handler":"token_introspection"`, `"issuer":"https://idp.example/realms/x"`, `"client_id":"gateway"`,
		`"client_secret":"{env.IDP_SECRET}"`, `"from":[{"name":"X-Token","type":"header"},{"name":"access_token","type":"query"}]`,
		`"cache_ttl":30000000000`, `"inactive_cache_ttl":5000000000`, `"cache_size":500`, `"inactive_cache_size":50`,
		`"timeout":2000000000`, `"max_concurrent":8`, `"max_token_size":2048`, `"optional":true`, `"realm":"api"`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("adapted config lacks %s:\n%s", want, raw)
		}
	}
}

func TestCaddyfileTokenIntrospectionErrors(t *testing.T) {
	site := func(body string) string { return ":8080 {\n" + body + "\n}" }
	creds := "\n client_id gw\n client_secret s\n"
	for _, tc := range []struct{ caddyfile, says string }{
		{site("token_introspection x"), `takes a block, not the argument "x"`},
		{site("token_introspection {" + creds + "}"), `set endpoint <url>, or issuer <url> to discover it`},
		{site("token_introspection {\n endpoint https://idp.example/i\n}"), `client_id and client_secret are required`},
		{site("token_introspection {\n endpoint http://idp.example/i" + creds + "}"), `endpoint "http://idp.example/i" must be an https URL`},
		{site("token_introspection {\n issuer https://idp.example\n endpoint https://idp.example/i" + creds + "}"), `set endpoint or issuer (which discovers the endpoint), not both`},
		{site("token_introspection {\n endpoint https://idp.example/i\n cache_size 0" + creds + "}"), `cache_size "0" must be a positive number`},
		{site("token_introspection {\n endpoint https://idp.example/i\n cache_ttl soon" + creds + "}"), `cache_ttl "soon" is not a duration`},
		{site("token_introspection {\n endpoint https://idp.example/i\n from body t" + creds + "}"), `from "body": want header, cookie or query`},
		{site("token_introspection {\n endpoint https://idp.example/i\n secret s" + creds + "}"), `unrecognized subdirective "secret"`},
	} {
		_, err := adapt(t, tc.caddyfile)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: err = %v, want it to say %q", tc.caddyfile, err, tc.says)
		}
	}
}
