package waf

import (
	"bytes"
	"encoding/base64"
	"strings"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
)

// gadgetRules are the rules for deserialization and expression-language
// payloads the CRS lets through (a twelfth fresh-eyes attack, attack 16):
//   - 210136: Spring Expression Language's constructor of a
//     java.lang type without its package, a ProcessBuilder built and
//     started in one expression: new ProcessBuilder('id').start(),
//     new ProcessBuilder({'id'}).inheritIO().start().waitFor(). SpEL's
//     new resolves java.lang's types by their simple names, and Spring
//     Cloud Function evaluates the spring.cloud.function.routing-expression
//     header as SpEL (CVE-2022-22963: Caddy drops a header whose name
//     has a dot unless the server's expected_dot_headers names it, and
//     then the waf hands its value to the rules as every header's,
//     TestSpELRoutingExpressionHeader); a backend that evaluates a user's
//     expression (@Value, a rule engine, a filter) runs the command. The
//     CRS refuses java.lang.ProcessBuilder, T(Runtime) and #{...} and
//     ${...}, not this. Only the constructor followed, within one
//     statement (no semicolon), by a call on the builder (start,
//     inheritIO, command, redirect..., directory, environment): "use new
//     ProcessBuilder to run it" and Java code that builds one and starts it
//     in another statement (pb = new ProcessBuilder(cmd); pb.start();)
//     pass. The false-positive risk: a forum post of Java code that
//     starts a ProcessBuilder in one expression.
//   - 210137: a YAML tag that builds an object of a named type, and a
//     Java gadget class named as a type by its whole name:
//     PyYAML's !!python/object/apply:, /new:, !!python/object:,
//     !!python/name: and !!python/module: (yaml.load with an unsafe or
//     full loader calls os.system: !!python/object/apply:os.system
//     ["id"]), in any value or a text file's contents (a multipart c.yml);
//     Ruby's (Psych's) !ruby/object:, !ruby/hash:, !ruby/struct:,
//     !ruby/marshal and !ruby/class (Gem::Installer chains); SnakeYAML's
//     global tag of a Java class (!!javax.script.ScriptEngineManager,
//     !!com.sun.rowset.JdbcRowSetImpl: a package then a capitalised
//     class after !!). And a value that starts with the name of a class
//     that Jackson's default typing and Fastjson's autoType instantiate
//     into a JNDI lookup or a class load (the blocklists of Jackson's
//     SubTypeValidator: com.sun.rowset.JdbcRowSetImpl,
//     com.mchange.v2.c3p0.*, ...trax.TemplatesImpl,
//     org.apache.xbean.propertyeditor.JndiConverter,
//     ch.qos.logback.core.db.*, com.zaxxer.hikari.HikariConfig (210139),
//     org.apache.commons.configuration(2).JNDIConfiguration,
//     org.apache.ibatis.datasource.jndi.*, Spring's PropertyPathFactoryBean
//     and its JNDI and context classes, the DBCP and BCEL class loaders,
//     OpenJPA, Shiro, log4j's receivers, Groovy's MethodClosure, ...),
//     shaded under another package too, and Fastjson's L...; and [
//     spellings: ["com.sun.rowset.JdbcRowSetImpl",{...}] (a JSON array's
//     first leaf) and {"@type":"com.mchange.v2.c3p0.JndiRefForwardingDataSource"}.
//     Passing: YAML's standard tags (!!str, !!binary, !!map), JSON-LD's
//     {"@type":"Person"}, prose that names a gadget class ("CVE about
//     com.sun.rowset.JdbcRowSetImpl": the name must start the value),
//     "python/object" without the tag, and "Wow!!great".
//     Since attack 18, a tag after an anchor (x: &a !!python/..., a
//     list item's &a !ruby/object:...), as a complex key (? !!python/...), a
//     verbatim Ruby tag (!<!ruby/object:Gem::Installer>), and a %TAG
//     directive whose prefix is python/'s or ruby/'s (or a Java package's
//     under tag:yaml.org,2002:), which makes !p!object/apply: PyYAML's
//     tag; prose that names a tag mid-sentence still passes.
//   - 210138: a serialized object's bytes, or their base64, at the start
//     of a value: Java's (base64 rO0AB, hex aced0005, in a cookie such as
//     Shiro's rememberMe or a parameter: ObjectInputStream runs the
//     commons-collections chain), .NET's BinaryFormatter (base64
//     AAEAAAD/////, and its URL-safe AAEAAAD_____), Python's pickle
//     (protocols 2 to 5: base64 gAJj, gANj, gASV, gAWV; protocols 0 and 1
//     and raw protocol 0 text: a GLOBAL of os, posix, nt, subprocess,
//     builtins, __builtin__, commands or pty, cos\nsystem\n...,
//     base64 Y29zC, Y3Bvc2l4C, ...): pickle.loads calls os.system. The waf's
//     base64 decoder leaves binary it decodes unread, so the markers are
//     read in the base64 text itself. A random base64 or hex token starts
//     with one of these prefixes about once in 2^22
//     (TestSerializedMarkersLeaveTokensAlone measures it); text that
//     mentions rO0AB or gASV elsewhere than at its start passes.
//     Since attack 18, pickles that start otherwise: raw protocol 0 after
//     MARK ((S'echo PWN'\nios\nsystem\n., an INST), its base64 (KFMn),
//     protocols 2 to 5 with MARK (gAIo, gAMo, gAQo, gAUo, then the first
//     letter of X, U, S, c or \x8c after it), with GLOBAL (gARj, gAVj) or
//     SHORT_BINUNICODE without FRAME (gAKM, gAOM, gASM, gAWM, a length
//     under 16 after it), and base64 after characters Python's b64decode
//     drops (!gAJj...). Fernet tokens (gAAAAA) pass; a list of words
//     ("ios\nandroid") passes: INST is read only after a MARK.
//   - 210142: Ruby Marshal data in base64 (BAh..., BAg...: Marshal 4.8's
//     \x04\x08) that names a gadget class (rubyMarshalGadget): the Rails
//     2.x-6.x universal gadget (ActiveSupport::Deprecation::
//     DeprecatedInstanceVariableProxy around an ERB whose @src is Ruby
//     code) and the Ruby 2.x/3.x RubyGems chains (Gem::Installer,
//     Gem::SpecFetcher, Gem::Requirement, Gem::StubSpecification,
//     Gem::Source::SpecificFile, Gem::RequestSet, Gem::Resolver,
//     Gem::Package::TarReader, Net::WriteAdapter, Net::BufferedIO, Kernel
//     or ObjectSpace as a symbol). An app that does
//     Marshal.load(Base64.decode64(params[:state])), and Rails's cookie
//     store with a leaked secret_key_base, runs the ERB's code. A
//     fifteenth fresh-eyes attack (attack 19) passed it as a JSON field
//     and as a cookie: 210138 read Java, .NET and pickle, not Marshal,
//     and the base64 decoder leaves binary unread. A Go operator decodes
//     the value as Ruby's Base64.decode64 does (characters outside the
//     alphabet skipped, URL-safe letters too, up to a signed cookie's
//     "--digest") and reads the bytes: no RE2 memory. Rails's signed
//     cookies of a session hash or a string (BAh7..., BAhJIgphZG1pbgY6BkVU)
//     are Marshal data too and pass: only a gadget class refuses. The
//     false-positive risk: a session that stores a string naming
//     Gem::Installer or Net::WriteAdapter (a RubyGems forum's draft).
var gadgetRules = `SecRule ` + valueNameHeaderTargets + ` "@rx \bnew\s+ProcessBuilder\s*\([^;]*?\)\s*\.\s*(?:start|inheritIO|command|redirect\w*|directory|environment)\s*\(" "id:210136,phase:2,block,t:none,t:urlDecodeUni,msg:'Expression language injection: SpEL new ProcessBuilder(...).start()',tag:'application-multi',tag:'attack-injection-generic',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueNameHeaderTargets + ` "@rx ` + gadgetTypeRule + `" "id:210137,phase:2,block,t:none,t:urlDecodeUni,msg:'Deserialization: a YAML tag that builds an object, or a gadget class named as a type',tag:'application-multi',tag:'attack-deserialization',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueHeaderTargets + ` "@rx ` + serializedMarkerRule + `" "id:210138,phase:2,block,t:none,t:urlDecodeUni,msg:'Deserialization: a Java, .NET or pickle serialized object (or its base64) starts the value',tag:'application-multi',tag:'attack-deserialization',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|XML:/* "@rx \A[\s\x22'\[]*L*(?:[\w$]+\.)*?com\.zaxxer\.hikari\.Hikari(?:Config|DataSource)\b" "id:210139,phase:2,block,t:none,t:urlDecodeUni,msg:'Deserialization: HikariCP named as a polymorphic type',tag:'application-multi',tag:'attack-deserialization',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VARS_NAMES "@rx (?:\.0|\[0\]|[.\[]@(?:type|class)\]?)\z" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ARGS|XML:/* "@pm ldap: ldaps: rmi: iiop: iiopname: corbaname:" "id:210141,phase:2,block,t:none,t:urlDecodeUni,t:lowercase,msg:'Deserialization: a gadget class property that does a JNDI lookup set to a remote URL',tag:'application-multi',tag:'attack-deserialization',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VARS_NAMES "@pm ` + jndiProperties + `" "t:none,t:lowercase,t:` + nameSeparatorsTransformation + `,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule ` + valueTargets + ` "@` + rubyMarshalOp + `" "id:210142,phase:2,block,t:none,msg:'Deserialization: Ruby Marshal data (base64) that names a gadget class',tag:'application-multi',tag:'attack-deserialization',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// jndiProperties are rule 210141's names: the properties through which
// the gadget classes of 210137 and 210139 do a JNDI lookup (HikariCP's
// metricRegistry and healthCheckRegistry, c3p0's and Spring's jndiName,
// JdbcRowSetImpl's and DBCP's dataSourceName, Oracle's
// xaDataSourceName, logback's and log4j's jndiLocation, Caucho's
// lookupName, Ignite's jndiNames, Aries' tmJndiName), read as substrings
// of an argument's name, lowercased (@pm). With a value naming a remote
// lookup (ldap:, rmi:, iiop:, corbaname:; not dns:, which loads no
// class and which a hunt for false positives, attack 20, had in a data
// source's description, "reporting (dns: reports.db.internal)"), whatever
// names the class: a fourteenth fresh-eyes attack (attack 18) passed
// HikariCP in Jackson's wrapper-object form ({"com.zaxxer.hikari.
// HikariConfig":{"metricRegistry":"ldap://..."}}), as @c, and under a
// custom type property, which 210139 does not read (attack 17 had
// HikariCP as a configuration value refused). A JNDI name in the
// application's own naming context (java:comp/env/jdbc/orders), an LDAP
// server's URL under any other name (ldapUrl) and a metrics registry's
// name pass. In snake, kebab and dot case too (Jackson's SNAKE_CASE,
// KEBAB_CASE and LOWER_DOT_CASE naming strategies: attacks 20 and 21
// passed metric_registry and metric.registry), and Xalan's
// JNDIConnectionPool's jndiPath (attack 21). Since 2026-12-04 the name is
// read without "_", "-" and "." (nameSeparatorsTransformation): Fastjson
// matches a property to its setter ignoring "_" and "-" anywhere in it
// (attack 21 passed metr_icRegistry), and the naming strategies' cases
// are then the same words; and with the JNDI properties of the other
// gadget classes, which attack 21 passed without their class: OpenJPA's
// RegistryManagedRuntime's registryName, Spring's JtaTransactionManager's
// transactionManagerName and userTransactionName, asText (a
// PropertyEditor's setAsText of a JNDI-backed editor); since attack 23
// iBATIS's UserTransaction (userTransaction is a substring of both),
// the cocoon-slide gadget's topic-factory, Spring's shareableResources
// and HikariCP's dataSourceJNDI; since attack 24 P6Spy's realDataSource
// (CVE-2019-16943), log4j's JMS appenders' *BindingName (CVE-2021-4104:
// topicBindingName, factoryBindingName, ...), OpenJPA's
// connectionFactoryName and connectionFactory2Name. Not resourceName (Shiro's
// JndiObjectFactory, refused by its class in 210137): as a bare name it
// is a monitoring check's (attack 23 had {"resourceName":
// "ldap://dc1.corp.example.com:389"} refused), and MyBatis's data_source
// is every data source's (docs/waf.md, Open).
const jndiProperties = `metricregistry healthcheckregistry jndiname datasourcename jndilocation lookupname jndipath registryname transactionmanagername usertransaction astext topicfactory shareableresources datasourcejndi realdatasource bindingname connectionfactoryname connectionfactory2name`

// nameSeparatorsTransformation drops "_", "-" and "." from an argument's
// name (rule 210141).
const nameSeparatorsTransformation = "gatewayDropNameSeparators"

func init() { plugins.RegisterTransformation(nameSeparatorsTransformation, dropNameSeparators) }

// dropNameSeparators is nameSeparatorsTransformation.
func dropNameSeparators(v string) (string, bool, error) {
	d := dropBytes(v, "_-.")
	return d, len(d) != len(v), nil
}

// yamlTagPlace is where a YAML tag stands in a document: the value's
// start, a line's (after a list's dash or a document's ---), after a
// key's colon, or inside a
// flow collection ([, {, ,). A fresh-eyes hunt for false positives
// (attack 17) had prose that names a tag refused ("Rails 7.1 complains
// about !ruby/object:ActiveSupport::HashWithIndifferentAccess in my
// fixtures", "SnakeYAML output has !!com.example.config.AppConfig at
// the top").
const yamlTagPlace = `(?:\A|[\r\n]|[:\[{,])[\t ]*(?:(?:-(?:--)?|\?)[\t ]+)*(?:&[^\s\[\]{},]+[\t ]+)?`

// gadgetTypeRule is rule 210137's expression (gadgetRules). HikariCP's
// classes are rule 210139's, only as a polymorphic type (a JSON array's
// first element, Fastjson's @type, Jackson's @class: ["com.zaxxer.hikari.
// HikariConfig",{"metricRegistry":"ldap://..."}]): attack 17 had Spring's
// spring.datasource.type=com.zaxxer.hikari.HikariDataSource and a
// dataSourceClassName refused; c3p0's only by its JNDI and
// user-overrides gadgets (ComboPooledDataSource is a driver class's
// value).
const gadgetTypeRule = yamlTagPlace + `(?:(?:!!|!<tag:yaml\.org,2002:|tag:yaml\.org,2002:)python/(?:object(?:/apply|/new)?|name|module)\s*:` +
	`|(?:!!?|!<!)ruby/(?:object|hash|struct|marshal|class|module|exception)\b` +
	`|%TAG[\t ]+!\S*[\t ]+(?:\S*(?:python|ruby)/|tag:yaml\.org,2002:[a-z_$][\w$]*\.)` +
	`|!!(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*)` +
	`|^[\s\x22'\[]*L*(?:[\w$]+\.)*?(?:` +
	`com\.sun\.rowset\.JdbcRowSetImpl|com\.mchange\.v2\.c3p0\.(?:JndiRefForwardingDataSource|WrapperConnectionPoolDataSource|JndiRefConnectionPoolDataSource)|trax\.TemplatesImpl` +
	`|org\.apache\.xbean\.propertyeditor\.JndiConverter|ch\.qos\.logback\.core\.db\.[\w$]+` +
	`|org\.apache\.commons\.configuration2?\.JNDIConfiguration` +
	`|org\.apache\.ibatis\.datasource\.jndi\.[\w$]+|org\.springframework\.beans\.factory\.config\.(?:PropertyPathFactoryBean|MethodInvokingFactoryBean|ObjectFactoryCreatingFactoryBean)` +
	`|org\.springframework\.aop\.(?:config\.MethodLocatingFactoryBean|support\.DefaultBeanFactoryPointcutAdvisor)|org\.springframework\.jndi\.[\w$]+` +
	`|org\.springframework\.context\.support\.(?:ClassPath|FileSystem)XmlApplicationContext` +
	`|org\.apache\.(?:tomcat\.dbcp\.)?(?:commons\.)?dbcp2?\.(?:BasicDataSource|cpdsadapter\.DriverAdapterCPDS|datasources\.[\w$]+)` +
	`|bcel\.(?:internal\.)?util\.ClassLoader|org\.apache\.openjpa\.ee\.[\w$]*ManagedRuntime` +
	`|org\.apache\.shiro\.(?:jndi\.JndiObjectFactory|realm\.jndi\.JndiRealmFactory)|org\.apache\.log4j\.receivers\.db\.[\w$]+` +
	`|org\.apache\.aries\.transaction\.jms\.[\w$]+|org\.apache\.cxf\.jaxrs\.provider\.XSLTJaxbProvider` +
	`|org\.codehaus\.groovy\.runtime\.(?:ConvertedClosure|MethodClosure)|com\.ibatis\.sqlmap\.engine\.transaction\.jta\.JtaTransactionConfig` +
	`|br\.com\.anteros\.dbcp\.[\w$]+|oracle\.jdbc\.connector\.OracleManagedConnectionFactory|net\.sf\.ehcache\.transaction\.manager\.[\w$]+` +
	`|com\.caucho\.config\.types\.ResourceRef|org\.apache\.ignite\.cache\.jta\.jndi\.CacheJndiTmLookup|org\.apache\.activemq\.(?:ActiveMQ(?:XA)?ConnectionFactory|jms\.pool\.[\w$]+|pool\.[\w$]+)` +
	`)`

// serializedMarkerRule is rule 210138's expression (gadgetRules): the
// first bytes of a serialized object, raw or in base64, at the value's
// start.
const serializedMarkerRule = `^(?:[^A-Za-z0-9+/]*(?:rO0AB|AAEAAAD(?://///|_____)|gA[JNRV]j|gA[SW]V|gA[IMQU]o[UVWYj]|gA[KOSW]M[A-D]|KFMn` +
	`|Y29zC|Y3Bvc2l4C|Y250C|Y3N1YnByb2Nlc3MK|Y2J1aWx0aW5zC|Y19fYnVpbHRpbl9fC|Y2NvbW1hbmRzC|Y3B0eQ)` +
	`|[\s\x22']*(?:(?i:aced0005)|c` + pickleModules + `\n\w+\n|\(+(?:(?:S'|I-?\d)[^\n]*\n(?:[^\n]*\n)*?)?[ci]` + pickleModules + `\n\w+\n))`

// pickleModules are the modules whose callables a pickle's GLOBAL (c) or
// INST (i) names to run a command (rule 210138).
const pickleModules = `(?:os|posix|nt|subprocess|builtins|__builtin__|commands|pty)`

// rubyMarshalOp is rule 210142's operator (rubyMarshalGadget).
const rubyMarshalOp = "gatewayRubyMarshal"

func init() { registerGoOperator(rubyMarshalOp, rubyMarshalGadget) }

// rubyMarshalGadgets are the class names (and, for Kernel and
// ObjectSpace, Marshal's symbol of them: ':', its length as Marshal
// writes a small integer, the name) of the Ruby deserialization gadget
// chains (rule 210142). ERB as Marshal's symbol: "o:\x08ERB".
var rubyMarshalGadgets = []string{
	"DeprecatedInstanceVariableProxy", "DeprecationProxy",
	":\x08ERB",
	"Gem::Installer", "Gem::SpecFetcher", "Gem::Requirement", "Gem::StubSpecification",
	"Gem::Source::SpecificFile", "Gem::RequestSet", "Gem::Resolver", "Gem::Package::TarReader",
	"Net::WriteAdapter", "Net::BufferedIO",
	":\x0bKernel", ":\x10ObjectSpace",
}

// rubyMarshalGadget: v is base64 of Ruby Marshal data (4.0 to 4.8,
// \x04\x00 to \x04\x08: "BA" and A to j first, after anything that is
// not base64) that names
// a gadget class (rubyMarshalGadgets). It is decoded as Ruby's
// Base64.decode64 (unpack("m")) reads it: characters outside the
// alphabet skipped, and URL-safe's - and _ as urlsafe_decode64 reads
// them; a Rails signed or encrypted cookie's "--" ends the data. A
// value that is no such base64 costs a look at its first bytes.
func rubyMarshalGadget(v string) bool {
	// decode64 skips what is not base64 (a leading -, attack 21)
	v = strings.TrimLeftFunc(v, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/')
	})
	// "BA" then A to j: \x04 and a minor version 0 to 8, all of which
	// Marshal.load reads (it warns, in verbose mode only, below 8:
	// attack 21 passed 4.7's BAdv...)
	if len(v) < 8 || v[0] != 'B' || v[1] != 'A' || !(v[2] >= 'A' && v[2] <= 'Z' || v[2] >= 'a' && v[2] <= 'j') {
		return false
	}
	if i := strings.Index(v, "--"); i > 0 {
		v = v[:i]
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			b = append(b, c)
		case c == '-':
			b = append(b, '+')
		case c == '_':
			b = append(b, '/')
		case c == ' ':
			b = append(b, '+') // a form's or a query's + read as a space
		case c == '%' && i+2 < len(v):
			// a cookie's %2B, %2F, %3D (PHP and Rack decode a cookie once)
			switch strings.ToUpper(v[i+1 : i+3]) {
			case "2B":
				b = append(b, '+')
				i += 2
			case "2F":
				b = append(b, '/')
				i += 2
			}
		}
	}
	if len(b)%4 == 1 {
		b = b[:len(b)-1]
	}
	data, err := base64.RawStdEncoding.DecodeString(string(b))
	if err != nil || len(data) < 2 || data[0] != 4 || data[1] > 8 {
		return false
	}
	for _, g := range rubyMarshalGadgets {
		if bytes.Contains(data, []byte(g)) {
			return true
		}
	}
	return false
}
