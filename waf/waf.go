// Package waf is the caddy-gateway's web application firewall: the `waf`
// directive, Coraza (github.com/corazawaf/coraza/v3) with the OWASP Core
// Rule Set embedded (github.com/corazawaf/coraza-coreruleset/v4). It is a
// Go module of its own so that Coraza is built into Caddy only when asked:
//
//	xcaddy build --with github.com/caddygateway/caddy-gateway --with github.com/caddygateway/caddy-gateway/waf
//
// The engine and the rules are Coraza's and OWASP's; this package is the
// Caddy integration: config, the request phases, the 403 answer and the
// log line.
package waf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/experimental"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/coraza/v3/types"
	"github.com/dustin/go-humanize"
	"github.com/jcchavezs/mergefs"
	mergefsio "github.com/jcchavezs/mergefs/io"
	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(WAF{})
	httpcaddyfile.RegisterHandlerDirective("waf", parseWAF)
	// last among the request checks, after the cheap refusals: cors,
	// authentication (basic_auth, jwt_auth, forward_auth), throttle and
	// registry_api come first, so a request without a token or over its
	// client's rate costs no WAF time (the WAF is by far the dearest
	// handler). Caddy takes only its own directives as anchors; right
	// before request_header is right after forward_auth and the gateway's
	// registry_api (ordered after forward_auth) whichever package's init
	// runs first. registry_api is not inspected: it takes only authorized
	// services' registrations, parses them strictly and passes nothing on
	// (docs/waf.md, "Where it goes").
	httpcaddyfile.RegisterDirectiveOrder("waf", httpcaddyfile.Before, "request_header")
}

// WAF inspects requests with the OWASP Core Rule Set and refuses attacks
// (SQL injection, XSS, path traversal, command injection, ...) with 403.
//
//	waf [<matcher>] {
//		paranoia <1-4>          # default 1
//		anomaly_threshold <n>   # default 5
//		mode block|detect       # default block; detect only logs
//		rules <file...>         # extra SecLang rules, after the CRS
//		responses               # inspect responses too (data leakage)
//		body_limit <size>       # default 16KiB; larger bodies get 413
//		max_arguments <n>       # default 128 per query, body, cookies, 2× in all; more get 400
//		crs_only                # the CRS alone: none of the checks added to it
//		verdict_cache on|off    # remember bodyless requests let through; default on (off with rules)
//	}
//
// A request's body (up to body_limit) is read before it is inspected, and
// the process inspects one request per core at a time (two at least), for
// all sites: an inspection holds up to 21 MB of memory while it runs
// (docs/waf.md, "Memory").
type WAF struct {
	// Paranoia is the Core Rule Set's paranoia level, 1 to 4: higher
	// levels catch more and refuse more legitimate requests. Default 1.
	Paranoia int `json:"paranoia,omitempty"`
	// AnomalyThreshold is the inbound anomaly score at which a request is
	// refused (a critical match scores 5). Default 5.
	AnomalyThreshold int `json:"anomaly_threshold,omitempty"`
	// Mode is "block" (the default) or "detect": log what would be
	// refused and let it through, for rolling the WAF out.
	Mode string `json:"mode,omitempty"`
	// Rules are files of extra SecLang rules, loaded after the CRS (e.g.
	// exclusions for an application).
	Rules []string `json:"rules,omitempty"`
	// Responses turns on the response phases: the CRS's outbound rules
	// (SQL, PHP, Java, IIS error messages and other data leakage) run on
	// the response's headers and its body (JSON, text, HTML, XML; the
	// first 512 KiB, held until inspected), and a response they refuse is
	// replaced by the 403. Off by default: it holds every response of
	// those types in memory and delays its first byte.
	Responses bool `json:"responses,omitempty"`
	// BodyLimit is the largest request body inspected, in bytes; a larger
	// one is refused with 413, before it is read when its Content-Length
	// says so. Default 16 KiB: the CRS costs about 3 ms of CPU per KiB of
	// body and 0.3 ms per argument, so this is what bounds a request's
	// cost (docs/waf.md, "What it costs").
	BodyLimit int64 `json:"body_limit,omitempty"`
	// MaxArguments is the most arguments inspected in each of the query,
	// the body (form or JSON fields) and the cookies, and twice it the
	// most in all of them together (with the path, header and credential
	// values inspected and the arguments derived from decoding values);
	// a request with more in any of them, or in all, is refused with 400
	// (rule id 200018 for all together). Default 128, so 256 in all.
	MaxArguments int `json:"max_arguments,omitempty"`
	// CRSOnly turns off what the gateway adds to the CRS's detection
	// (docs/waf.md, "Detection"): decoding plainly base64 or still
	// percent-encoded values and inspecting the decoded text, and the
	// rules for template injection and LDAP injection
	// (ids 210100-210299); inspecting the path's segments, custom
	// headers, Basic credentials and multipart text files, and the
	// rules for the shortest SQL and command injections and for XML
	// that reaches out (external DTDs, XSLT). Default false: they are on. For comparing
	// with the CRS alone (bench's -crs-tests), or a route where one of
	// them refuses legitimate traffic (or remove one rule with
	// SecRuleRemoveById in rules).
	CRSOnly bool `json:"crs_only,omitempty"`
	// VerdictCache remembers the requests without a body that the rules
	// let through (a SHA-256 of the client's address, the method, URL,
	// Host and every header; up to 32,768 of them, shared by the sites
	// and reloads that keep the same rules), so that the same request
	// again skips the engine (docs/waf.md, "The same request again").
	// Default on, off when Rules are given (extra rules may read what the
	// key leaves out: the time, the client's port, DNS lists); true turns
	// it on with Rules that read only the request. Not with Responses,
	// whose inspection needs the request's transaction.
	VerdictCache *bool `json:"verdict_cache,omitempty"`

	waf      coraza.WAF
	verdicts *verdictCache // nil: off
	poolKey  string
	logger   *zap.Logger
}

// CaddyModule returns the Caddy module information. The ID is not
// http.handlers.waf: that is github.com/corazawaf/coraza-caddy's, and Caddy
// panics at start when two modules share an ID, so a Caddy could not have
// both. The Caddyfile directive is waf all the same.
func (WAF) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.gateway_waf",
		New: func() caddy.Module { return new(WAF) },
	}
}

// Provision builds the rule engine once per config load.
func (w *WAF) Provision(ctx caddy.Context) error {
	w.logger = ctx.Logger()
	if w.Paranoia == 0 {
		w.Paranoia = 1
	}
	if w.AnomalyThreshold == 0 {
		w.AnomalyThreshold = 5
	}
	if w.Mode == "" {
		w.Mode = "block"
	}
	if w.BodyLimit == 0 {
		w.BodyLimit = defaultBodyLimit
	}
	if w.MaxArguments == 0 {
		w.MaxArguments = defaultMaxArguments
	}
	if err := w.Validate(); err != nil {
		return err
	}
	directives := w.directives()
	w.poolKey = engineKey(directives, w.Rules)
	val, _, err := engines.LoadOrNew(w.poolKey, func() (caddy.Destructor, error) {
		engine, err := coraza.NewWAF(coraza.NewWAFConfig().
			WithRootFS(mergefs.Merge(coreruleset.FS, mergefsio.OSFS)).
			WithDirectives(directives))
		if err != nil {
			return nil, fmt.Errorf("waf: loading the rules: %v", err)
		}
		return sharedEngine{engine, newVerdictCache()}, nil
	})
	if err != nil {
		return err
	}
	w.waf = val.(sharedEngine).WAF
	if w.verdictCacheOn() {
		w.verdicts = val.(sharedEngine).verdicts
	}
	return nil
}

// verdictCacheOn is VerdictCache with its default: on, unless extra rules
// are given (or the responses are inspected, which Validate checks).
func (w *WAF) verdictCacheOn() bool {
	if w.VerdictCache != nil {
		return *w.VerdictCache
	}
	return len(w.Rules) == 0 && !w.Responses
}

// Cleanup lets go of the rule engine; the last handler using it frees it.
func (w *WAF) Cleanup() error {
	if w.poolKey != "" {
		_, err := engines.Delete(w.poolKey)
		return err
	}
	return nil
}

// engines holds the rule engines of the loaded configs, one per
// configuration (the SecLang directives and the contents of the extra rule
// files), reference counted by the handlers using them: ten sites with the
// same settings share one engine (the CRS parsed into about 8 MiB of
// rules), and a reload that keeps the settings keeps the engine (the new
// config takes its reference before the old one lets go), so neither the
// sites nor the reloads multiply the memory or the load time.
// coraza.WAF is safe for concurrent use: each request has its own
// transaction.
var engines = caddy.NewUsagePool()

// sharedEngine is an engine in the pool, with the requests it let through
// (verdicts.go): the verdicts are the engine's, so they are kept, and
// shared, exactly as long as it is.
type sharedEngine struct {
	coraza.WAF
	verdicts *verdictCache
}

// Destruct closes the engine once no config uses it. Coraza keeps compiled
// patterns (regular expressions, Aho-Corasick automata) in a process-wide
// cache that lets go of a pattern only when every WAF using it is closed;
// without it, every engine a reload replaced (changed settings or rule
// files) kept its compiled patterns for the process's life.
func (e sharedEngine) Destruct() error {
	if c, ok := e.WAF.(experimental.WAFCloser); ok {
		return c.Close()
	}
	return nil
}

// engineKey names an engine by what it is built from: the directives and
// the bytes of every extra rule file, and of every file those include
// (Include) or read data from (@pmFromFile, @ipMatchFromFile), so a file
// edited between two loads gets a new engine. Until a fresh-eyes attack
// (attack 65) only the files named in the Caddyfile counted: an edit to
// an included exclusions file or to a word list, then a reload, kept the
// old engine (and the requests it had let through) until a restart. A
// file that cannot be read is left for Coraza to report; its key carries
// the error so it is never shared.
func engineKey(directives string, rules []string) string {
	h := sha256.New()
	h.Write([]byte(directives))
	seen := map[string]bool{}
	for _, pattern := range rules {
		hashRuleFiles(h, pattern, "", seen, 0)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ruleFileRefs finds, in a rules file, the files it includes and the data
// files its operators read.
var ruleFileRefs = regexp.MustCompile(`(?im)^[ \t]*Include[ \t]+"?([^"\s]+)|@(?:pmFromFile|pmf|ipMatchFromFile|ipMatchF)[ \t]+([^"\s]+)`)

// hashRuleFiles writes into h the files the pattern names (a glob, read
// relative to dir when it is not absolute and dir is given, as Coraza
// resolves an Include or a data file relative to the file that names
// it; as given too), and what they include, depth first, each file once,
// at most 8 levels and 512 files deep.
func hashRuleFiles(h io.Writer, pattern, dir string, seen map[string]bool, depth int) {
	candidates := []string{pattern}
	if dir != "" && !filepath.IsAbs(pattern) {
		candidates = []string{filepath.Join(dir, pattern), pattern}
	}
	for _, c := range candidates {
		files, err := filepath.Glob(c)
		if err != nil || len(files) == 0 {
			fmt.Fprintf(h, "\x00%s: %v", c, err)
			continue
		}
		for _, f := range files {
			if seen[f] || len(seen) >= 512 {
				fmt.Fprintf(h, "\x00%s again\x00", f)
				continue
			}
			seen[f] = true
			b, err := os.ReadFile(f)
			fmt.Fprintf(h, "\x00%s %d %v\x00", f, len(b), err)
			h.Write(b)
			if depth >= 8 || err != nil {
				continue
			}
			for _, m := range ruleFileRefs.FindAllSubmatch(b, -1) {
				ref := string(m[1])
				if ref == "" {
					ref = string(m[2])
				}
				hashRuleFiles(h, ref, filepath.Dir(f), seen, depth+1)
			}
		}
	}
}

// directives is the SecLang configuration: Coraza's recommended settings,
// the CRS setup with this config's paranoia and threshold, the CRS, then
// the extra rules.
func (w *WAF) directives() string {
	engine := "On"
	if w.Mode == "detect" {
		engine = "DetectionOnly"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Include @coraza.conf-recommended\n")
	fmt.Fprintf(&b, "SecRuleEngine %s\n", engine)
	b.WriteString(limitRules)
	// Coraza refuses a body that reaches SecRequestBodyLimit, so one byte
	// more lets a body of exactly BodyLimit through; held in memory
	fmt.Fprintf(&b, "SecRequestBodyLimit %d\n", w.BodyLimit+1)
	fmt.Fprintf(&b, "SecRequestBodyInMemoryLimit %d\n", w.BodyLimit+1)
	fmt.Fprintf(&b, "SecArgumentsLimit %d\n", w.MaxArguments)
	fmt.Fprintf(&b, "SecRule &REQUEST_COOKIES \"@gt %d\" \"id:200010,phase:1,t:none,log,deny,status:400,msg:'Cookie limit reached; request rejected'\"\n", w.MaxArguments)
	if w.Responses {
		fmt.Fprintf(&b, "SecResponseBodyAccess On\n")
		fmt.Fprintf(&b, "SecResponseBodyMimeType text/plain text/html text/xml application/json application/xml\n")
		fmt.Fprintf(&b, "SecResponseBodyLimit %d\n", responseLimit)
		fmt.Fprintf(&b, "SecResponseBodyLimitAction ProcessPartial\n")
	} else {
		fmt.Fprintf(&b, "SecResponseBodyAccess Off\n")
	}
	// Coraza's @rx prefilter (skip a regex when the input lacks the
	// literals every match needs) stays off: in 3.8.1 it skips inputs that
	// 7 loaded expressions match (CRS 942220, 943110/943120 and 951220 at
	// paranoia 1, 933152/933153, 932311; ours 210112), so the CRS let
	// "2x2250738585072011e-308" and "?cfsid=1" through
	// (TestRxPrefilterSameMatches, TestCRSPrefilterMisses); off costs
	// nothing measurable where RE2 runs (values of 64 bytes or more), about
	// 13% on a body of many short fields (docs/waf.md)
	fmt.Fprintf(&b, "SecRxPreFilter Off\n")
	fmt.Fprintf(&b, "Include @crs-setup.conf.example\n")
	fmt.Fprintf(&b, "SecAction \"id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=%d\"\n", w.Paranoia)
	fmt.Fprintf(&b, "SecAction \"id:900110,phase:1,pass,t:none,nolog,setvar:tx.inbound_anomaly_score_threshold=%d\"\n", w.AnomalyThreshold)
	// the CRS's allowed content types, plus text/plain: the registration
	// API's text body (the articles' "name,address") is one; and JSON
	// Merge Patch and JSON Patch (RFC 7396, 6902; PATCH in REST and
	// Kubernetes), which Coraza parses as JSON (its rule 200006 takes
	// every +json type)
	fmt.Fprintf(&b, "SecAction \"id:900220,phase:1,pass,t:none,nolog,setvar:'tx.allowed_request_content_type=|application/x-www-form-urlencoded| |multipart/form-data| |text/xml| |application/xml| |application/soap+xml| |application/json| |text/plain| |application/merge-patch+json| |application/json-patch+json|'\"\n")
	// the CRS allows GET, HEAD, POST and OPTIONS only; an API gateway
	// serves REST APIs (and its own registration API deregisters with
	// DELETE)
	fmt.Fprintf(&b, "SecAction \"id:900200,phase:1,pass,t:none,nolog,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'\"\n")
	if !w.CRSOnly {
		// before the CRS: phase 2 runs rules in the order they are
		// loaded, and these must score before its blocking evaluation
		b.WriteString(detectionRules)
		b.WriteString(templateMoreRule)
		b.WriteString(rubyFileReadRule)
		b.WriteString(latexRule)
		b.WriteString(secretPathsRule)
		b.WriteString(execRules)
		b.WriteString(placesRules)
		b.WriteString(charsetRule)
		b.WriteString(shortPayloadRules)
		b.WriteString(xmlRules)
		b.WriteString(sqlFunctionRules)
		b.WriteString(tsqlRules)
		b.WriteString(jsStringRules)
		b.WriteString(sortListRules)
		b.WriteString(probeLeakRules)
		b.WriteString(ssrfRules)
		b.WriteString(carrierRules)
		b.WriteString(wildcardDNSRule)
		b.WriteString(gadgetRules)
		b.WriteString(formatRules)
		b.WriteString(htmxRules)
		b.WriteString(codeCallRules)
		b.WriteString(langCallRules)
		b.WriteString(interpRules)
		b.WriteString(winStatementRules)
		b.WriteString(sqlCallRules)
		b.WriteString(shellStateRules)
		b.WriteString(shellSecretVarRule)
		b.WriteString(sqlClosedQuoteRule)
		b.WriteString(shellRunFileRule)
		b.WriteString(shellReadSecretRule)
		b.WriteString(shellInstallRules)
		b.WriteString(javaLookupRules)
		b.WriteString(sleepEachRowRule)
	}
	crsIncludes(&b, !w.CRSOnly, w.Paranoia)
	if !w.CRSOnly {
		b.WriteString(documentExclusions)
		b.WriteString(fileTextExclusions)
	}
	for _, f := range w.Rules {
		fmt.Fprintf(&b, "Include %s\n", f)
	}
	return b.String()
}

// The places the gateway's rules read values in, one list per kind of
// rule, so that a place added (as XML element text was, for attack 41) is
// one edit: query, body and cookie values (ARGS also holds the readings
// precheck.go adds: decoded base64, split text, separators), and XML
// element text; with ARGS_NAMES where a name can carry the payload (a
// JSON key an application evaluates); with User-Agent and Referer where
// the CRS's own rules of the family read them.
const (
	valueTargets           = "ARGS|REQUEST_COOKIES|XML:/*"
	valueNameTargets       = "ARGS|ARGS_NAMES|REQUEST_COOKIES|XML:/*"
	valueHeaderTargets     = "ARGS|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer|XML:/*"
	valueNameHeaderTargets = "ARGS|ARGS_NAMES|REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer|XML:/*"
)

// The defaults of BodyLimit and MaxArguments: what bounds the CPU a
// request costs (BenchmarkWAF's worst cases).
const (
	defaultBodyLimit    = 16 << 10
	defaultMaxArguments = 128
)

// limitRules refuse what the engine would otherwise hand on partly
// uninspected. Coraza keeps at most SecArgumentsLimit arguments per
// collection (query, body) and drops the rest, setting
// ARGUMENTS_LIMIT_REACHED: 1000 harmless fields, then the attack, passed.
// coraza-coreruleset's coraza.conf-recommended lacks the rules of Coraza's
// own that deny on it (and on a URI that does not parse), so they are
// here, with Coraza's ids. The other limits refuse already: a body past
// SecRequestBodyLimit (Reject, 413), JSON deeper than
// SecRequestBodyJsonDepthLimit or a body that does not parse
// (REQBODY_ERROR, 200002), a malformed multipart body (200003). Cookies
// have no limit in the engine: rule 200010 (in directives) refuses more
// than MaxArguments; multipart parts are bounded by the body's size;
// headers are all inspected (cheap: few rules read them).
// TestLimitsRefuseNotPass has a case for each.
//
// Names that are not UTF-8 are refused too (200016 in the query and the
// cookies, 200017 in the body, before any other rule of their phase):
// the engine lowercases an argument's name for every rule that reads the
// argument (its exceptions), and Go's strings.ToLower copies a name that
// is not UTF-8 rune by rune each time, so 127 form fields named by 112
// such bytes cost 310-340 ms of CPU where the same in ASCII cost 80-120,
// and the dearest request with such names everywhere 400-670 ms (a tenth
// fresh-eyes attack; TestCPUBoundNotUTF8Names). JSON (RFC 8259), cookie
// names (RFC 6265, tokens) and header names are UTF-8 or ASCII by
// definition; a form or query name in Latin-1 is all that is lost (a
// text/plain body is read whole, as one value, since attack 71: the
// engine's form pieces of it are dropped). Values need not be UTF-8.
const limitRules = `SecRule ARGUMENTS_LIMIT_REACHED "@eq 1" "id:200004,phase:1,t:none,log,deny,status:400,msg:'Argument limit reached; request rejected (GET/PATH args)'"
SecRule ARGUMENTS_LIMIT_REACHED "@eq 1" "id:200005,phase:2,t:none,log,deny,status:400,msg:'Argument limit reached; request rejected (POST args)'"
SecRule URI_PARSE_ERROR "@eq 1" "id:200009,phase:1,t:none,log,deny,status:400,msg:'URI failed to parse.'"
SecRule ARGS_GET_NAMES|REQUEST_COOKIES_NAMES "@validateUtf8Encoding" "id:200016,phase:1,t:none,log,deny,status:400,msg:'A query parameter or cookie name is not UTF-8; request rejected'"
SecRule ARGS_POST_NAMES|FILES_NAMES "@validateUtf8Encoding" "id:200017,phase:2,t:none,log,deny,status:400,msg:'A body argument name is not UTF-8; request rejected'"
`

// Validate checks the settings.
func (w *WAF) Validate() error {
	if w.Paranoia < 1 || w.Paranoia > 4 {
		return fmt.Errorf("waf: paranoia %d: want 1 to 4", w.Paranoia)
	}
	if w.AnomalyThreshold < 1 {
		return fmt.Errorf("waf: anomaly_threshold %d: want a positive score (a critical match scores 5)", w.AnomalyThreshold)
	}
	if w.Mode != "block" && w.Mode != "detect" {
		return fmt.Errorf("waf: mode %q: want block or detect", w.Mode)
	}
	if w.BodyLimit < 1 || w.BodyLimit > 1<<30 {
		return fmt.Errorf("waf: body_limit %d: want 1 byte to 1 GiB", w.BodyLimit)
	}
	if w.MaxArguments < 1 {
		return fmt.Errorf("waf: max_arguments %d: want at least 1", w.MaxArguments)
	}
	if w.Responses && w.VerdictCache != nil && *w.VerdictCache {
		return fmt.Errorf("waf: verdict_cache on with responses: a response is inspected in its request's transaction, which a remembered request skips; leave verdict_cache off")
	}
	return nil
}

// ServeHTTP runs the request phases (headers, then the body, which is
// buffered within the engine's limit and handed on unchanged) and refuses
// the request with 403 when the rules say so.
func (w *WAF) ServeHTTP(rw http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if r.ContentLength > w.BodyLimit && w.Mode == "block" {
		// refused before a byte of the body is read (a client that sent
		// Expect: 100-continue is never told to send it) and before the
		// engine costs anything
		w.logger.Warn("waf refused a request body over body_limit", zap.String("method", r.Method),
			zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr),
			zap.Int64("content_length", r.ContentLength), zap.Int64("body_limit", w.BodyLimit))
		body, _ := json.Marshal(map[string]string{
			"error":   "request entity too large",
			"message": fmt.Sprintf("the web application firewall inspects bodies of up to %d bytes", w.BodyLimit),
		})
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
		rw.Header().Set("Connection", "close")
		rw.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = rw.Write(append(body, '\n'))
		return nil
	}
	var vkey [sha256.Size]byte
	remember := false
	if w.verdicts != nil {
		if k, ok := verdictKey(r); ok {
			if w.verdicts.allowed(&k) {
				// the same request was let through by these rules
				return next.ServeHTTP(rw, r)
			}
			vkey, remember = k, true
		}
	}
	if err := readBodyAhead(r, w.BodyLimit); err != nil {
		return caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("waf: reading the request: %v", err))
	}
	slots := inspectionSlots()
	select {
	case slots <- struct{}{}:
	case <-r.Context().Done():
		return caddyhttp.Error(499, fmt.Errorf("waf: the client went away waiting for an inspection slot: %w", r.Context().Err()))
	}
	inSlot := true
	defer func() {
		if inSlot {
			<-slots
		}
	}()
	tx := w.waf.NewTransaction()
	txOpen := true
	defer func() {
		if txOpen {
			tx.ProcessLogging()
			_ = tx.Close()
		}
	}()
	decodeBudget := int(min(w.BodyLimit, 1<<30))
	if w.CRSOnly {
		decodeBudget = -1
	}
	it, err := inspect(tx, r, w.MaxArguments, decodeBudget)
	for _, l := range limitRefusals {
		if !errors.Is(err, l.err) {
			continue
		}
		w.logger.Warn(l.msg, zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr),
			zap.Int64("body_limit", w.BodyLimit), zap.Int("max_arguments", w.MaxArguments), zap.String("mode", w.Mode), zap.Int("rule_id", l.id))
		if w.Mode == "block" {
			return w.refuse(rw, tx, &types.Interruption{RuleID: l.id, Action: "deny", Status: http.StatusBadRequest})
		}
		remember = false // logged in detect mode: again each time
		it, err = tx.ProcessRequestBody()
		break
	}
	if err != nil {
		return caddyhttp.Error(http.StatusBadRequest, fmt.Errorf("waf: reading the request: %v", err))
	}
	inSlot = false // the request is inspected: the next one's turn
	<-slots
	if it == nil && w.Mode == "detect" && wouldBlock(tx.MatchedRules()) {
		w.logMatches("waf would refuse this request (mode detect)", tx, r)
		remember = false
	}
	if it == nil && !w.Responses {
		if remember {
			w.verdicts.remember(&vkey)
		}
		// nothing more to inspect: the transaction is done, and let go,
		// before the upstream is asked, not held for as long as the
		// upstream and the client take. It holds Coraza's cache of
		// transformed values, a map keyed by argument and transformation
		// that is emptied when a phase starts but never shrinks: 21 MB
		// for the dearest request of random text, held by each such
		// request in flight before this (TestDearRequestsReleaseMemory).
		// Closed, it goes back to Coraza's pool, which the next
		// collections empty.
		txOpen = false
		tx.ProcessLogging()
		_ = tx.Close()
		tx = nil
		return next.ServeHTTP(rw, r)
	}
	if it == nil {
		hw := &heldResponse{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: rw}, tx: tx, proto: r.Proto}
		if err := next.ServeHTTP(hw, r); err != nil {
			return err
		}
		if it = hw.finish(); it == nil {
			if w.Mode == "detect" && wouldBlock(tx.MatchedRules()) {
				w.logMatches("waf would refuse this response (mode detect)", tx, r)
			}
			return nil
		}
		w.logMatches("waf refused a response", tx, r)
		for k := range rw.Header() {
			delete(rw.Header(), k) // nothing of the refused response
		}
		return w.refuse(rw, tx, it)
	}
	w.logMatches("waf refused a request", tx, r)
	return w.refuse(rw, tx, it)
}

// refuse answers the interruption: 403 (or the rule's status) with a JSON
// body holding the transaction's id, never the rule.
func (w *WAF) refuse(rw http.ResponseWriter, tx types.Transaction, it *types.Interruption) error {
	status := it.Status
	if status < 400 || status > 599 {
		status = http.StatusForbidden
	}
	body, _ := json.Marshal(map[string]string{
		"error":      strings.ToLower(http.StatusText(status)), // forbidden; bad request (a limit)
		"message":    "the request was refused by the web application firewall",
		"request_id": tx.ID(),
	})
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	rw.WriteHeader(status)
	_, _ = rw.Write(append(body, '\n'))
	return nil
}

// inspect feeds the request to the transaction: connection, URI, headers,
// then the body (restored for the handlers after it), with what
// bodyChecks finds that the engine would not see. It returns
// errTooManyParts, the body not yet processed, for a multipart body past
// maxParts parts or maxFileParts file parts. With decodeBudget >= 0 the
// plainly encoded values of the query, the cookies and the body are
// decoded (at most decodeBudget bytes of decoded text, else
// errDecodeBudget) and the decoded texts added as body arguments, which
// count with the body's own against max_arguments (errDerivedArgs).
func inspect(tx types.Transaction, r *http.Request, maxParts, decodeBudget int) (*types.Interruption, error) {
	client, cport := r.RemoteAddr, 0
	if host, port, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		client = host
		cport, _ = strconv.Atoi(port)
	}
	tx.ProcessConnection(client, cport, "", 0)
	tx.ProcessURI(r.URL.String(), r.Method, r.Proto)
	if r.URL.RawQuery != "" {
		uniqueArgKeys(tx) // empty names: one address (keys.go)
	}
	for k, vs := range r.Header {
		for i, v := range vs {
			if i > 0 {
				// each value its own key string: Coraza's cache of
				// transformations tells values apart by it (keys.go)
				k = strings.Clone(k)
			}
			tx.AddRequestHeader(k, v)
		}
	}
	if len(r.Header["Cookie"]) > 0 {
		uniqueCookieKeys(tx)
	}
	if r.Host != "" {
		tx.AddRequestHeader("Host", r.Host)
		tx.SetServerName(r.Host)
	}
	for _, te := range r.TransferEncoding {
		tx.AddRequestHeader("Transfer-Encoding", te)
	}
	var placesErr error
	var placeVals []argument
	if decodeBudget >= 0 {
		placeVals, placesErr = placeArguments(tx, r, maxParts, decodeBudget)
	}
	if it := tx.ProcessRequestHeaders(); it != nil {
		return it, nil
	}
	if placesErr != nil {
		return nil, placesErr
	}
	var bodyValues []argument
	ownArgs := 0 // the body's arguments, which derived ones count with
	if tx.IsRequestBodyAccessible() && r.Body != nil && r.Body != http.NoBody {
		src, bom := io.Reader(r.Body), ""
		if jsonMedia(r.Header.Get("Content-Type")) {
			// the engine's JSON reader refuses a document that opens
			// with a UTF-8 byte order mark (REQBODY_ERROR, 400), which
			// Express's and Python's JSON readers take: it reads the
			// document after the mark, and the upstream gets the mark
			src, bom = skipBOM(r.Body)
		}
		it, _, err := tx.ReadRequestBodyFrom(src)
		if err != nil {
			return nil, err
		}
		if it != nil {
			return it, nil
		}
		rbr, err := tx.RequestBodyReader()
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(rbr) // at most body_limit bytes
		if err != nil {
			return nil, err
		}
		r.Body = readCloser{io.MultiReader(strings.NewReader(bom), bytes.NewReader(body), src), r.Body}
		// the body was read to its end (a longer one is refused above),
		// so a chunked request's trailers are in r.Trailer now; the rules
		// never see them and the upstream would get them: refused
		if hasTrailers(r.Trailer) {
			return nil, errTrailers
		}
		more, values, err := bodyChecks(r.Header.Get("Content-Type"), body, maxParts)
		if err != nil {
			return nil, err
		}
		for _, a := range more {
			if decodeBudget >= 0 && reservedName.MatchString(a.name) {
				return nil, errReservedName
			}
			tx.AddPostRequestArgument(a.name, a.value)
		}
		var files, fields []argument
		ownArgs = bodyArguments(values, more) // before the file texts' values join them
		if decodeBudget >= 0 {
			files, fields = fileArguments(r.Header.Get("Content-Type"), body)
			// parts named with filename*= only: fields to some backends
			// (fileArguments), decoded as a field's value is
			for _, a := range fields {
				if reservedName.MatchString(a.name) {
					return nil, errReservedName
				}
				tx.AddPostRequestArgument(a.name, a.value)
				if _, isJSON := sniffJSON([]byte(a.value)); !isJSON {
					values = append(values, a)
				}
			}
			for _, a := range files {
				if reservedName.MatchString(strings.TrimSuffix(a.name, suffixFileText)) {
					return nil, errReservedName
				}
				tx.AddPostRequestArgument(a.name, a.value)
				if _, isJSON := sniffJSON([]byte(a.value)); !isJSON && strings.HasSuffix(a.name, suffixFileText) {
					// decoded as a field's value is (base64 of SQL, of
					// JSON); a JSON file's leaves are countParts's
					values = append(values, argument{strings.TrimSuffix(a.name, suffixFileText), a.value})
				}
			}
		}
		bodyValues = values
		ownArgs += len(files) + len(fields)
	}
	derived := 0
	if decodeBudget >= 0 {
		// the query's parts after a ; and the Cookie header's after a ,
		// (separatorArguments): arguments, decoded as values are
		for _, a := range separatorArguments(r.URL.RawQuery, r.Header["Cookie"]) {
			if reservedName.MatchString(a.name) {
				return nil, errReservedName
			}
			tx.AddPostRequestArgument(a.name, a.value)
			bodyValues = append(bodyValues, a)
			ownArgs++
		}
		// the places' values are decoded as the query's are: JSON in a
		// header or a path segment, base64, X-Original-URL's parameters
		// (what is derived from them counts with the body's arguments)
		decoded, err := decodedArguments(tx, append(bodyValues, placeVals...), ownArgs, decodeBudget, maxParts)
		if err != nil {
			return nil, err
		}
		for _, a := range decoded {
			tx.AddPostRequestArgument(a.name, a.value)
		}
		derived = len(decoded)
	}
	// all places together, before phase 2 (where almost all of the CRS
	// runs): each place under maxParts, yet 3 × maxParts in all would
	// cost the CRS half again what 2 × maxParts does (errTotalArgs)
	if totalArguments(tx)+len(placeVals)+ownArgs+derived > 2*maxParts {
		return nil, errTotalArgs
	}
	return tx.ProcessRequestBody()
}

// errTotalArgs refuses a request whose arguments in all places together
// (the query's parameters, the path, header and credential values
// inspected, the cookies, the body's arguments and those derived from
// decoding values) are more than twice max_arguments, though each place is
// within it: the CRS's cost is per argument, so this bounds a request's
// cost at 2 × max_arguments arguments, not 3 × (docs/waf.md, "The bound on
// a request's cost").
var errTotalArgs = errors.New("arguments of all places together over twice max_arguments")

// totalArguments counts the query's parameters and the cookies as the
// engine holds them (no allocation): with the places' values, the body's
// own arguments and the derived ones, inspect's count against
// 2 × max_arguments.
func totalArguments(tx types.Transaction) int {
	st, ok := tx.(plugintypes.TransactionState)
	if !ok {
		return 0
	}
	type counted interface{ TotalValues() int }
	n := 0
	if c, ok := st.Variables().ArgsGet().(counted); ok {
		n += c.TotalValues()
	}
	if c, ok := st.Variables().RequestCookies().(counted); ok {
		n += c.TotalValues()
	}
	return n
}

// errTrailers refuses a request that carried trailers (header fields
// after a chunked body): no rule inspects them, and the upstream would
// receive them (a trailer User-Agent: ${jndi:...} passed).
var errTrailers = errors.New("request trailers are not inspected")

// hasTrailers: a trailer field with a value arrived.
func hasTrailers(h http.Header) bool {
	for _, vs := range h {
		if len(vs) > 0 {
			return true
		}
	}
	return false
}

// utf8BOM is UTF-8's byte order mark.
const utf8BOM = "\xef\xbb\xbf"

// skipBOM reads past a UTF-8 byte order mark at the start of body: what
// is left to read, and the mark if there was one.
func skipBOM(body io.Reader) (io.Reader, string) {
	var head [len(utf8BOM)]byte
	n, _ := io.ReadFull(body, head[:]) // an error is the next Read's too
	if string(head[:n]) == utf8BOM {
		return body, utf8BOM
	}
	return io.MultiReader(bytes.NewReader(head[:n]), body), ""
}

type readCloser struct {
	io.Reader
	io.Closer
}

// limitRefusals are the errors inspect returns for a request it does not
// hand the engine whole, each with its log message and the id its 400
// carries (mode detect logs it and lets the engine read what it has).
var limitRefusals = []struct {
	err error
	msg string
	id  int
}{
	{errDecodeBudget, "waf refused a request whose encoded values decode to more than body_limit", 210199},
	{errDecodeDepth, "waf refused a request with a value encoded more levels deep than it decodes", 210197},
	{errNamesTooLong, "waf refused a JSON body whose argument names are longer than the body", 200012},
	{errTooManyParts, "waf refused a multipart body with too many parts (max_arguments, or 16 file parts)", 200011},
	{errMultipartAmbiguous, "waf refused a multipart body that other parsers split otherwise (boundary named elsewhere in Content-Type, or a delimiter line in its preamble or epilogue)", 200019},
	{errTooManyXMLNodes, "waf refused an XML body with more elements, text nodes, attributes, comments and instructions than max_arguments", 200011},
	{errXMLTextTooLong, "waf refused an XML body whose elements' joined texts are longer than four times the body", 200011},
	{errTrailers, "waf refused a request with trailers", 200013},
	{errDerivedArgs, "waf refused a request whose body arguments, with those derived from values (decoded, template literals, JSON inside values), are over max_arguments", 200015},
	{errReservedName, "waf refused a request with an argument named as the WAF names decoded documents (:base64:markup, :base64:script)", 210198},
	{errPlacesLimit, "waf refused a request whose path, header and credential values to inspect are over max_arguments (with the query's) or body_limit", 200014},
	{errTotalArgs, "waf refused a request whose arguments in all places together (query, path, header and credential values, cookies, body, derived from values) are over twice max_arguments", 200018},
}

// blockingRules are the CRS rules that refuse a request (949110, 949111)
// or a response (959100) once its anomaly score is over the threshold,
// and the rules that refuse what the engine cannot inspect whole: a body
// that does not parse (200002), a malformed multipart body (200003), too
// many arguments (200004, 200005), a URI that does not parse (200009).
var blockingRules = []int{949110, 949111, 959100, 200002, 200003, 200004, 200005, 200009, 200010, 200016, 200017}

func wouldBlock(matched []types.MatchedRule) bool {
	return slices.ContainsFunc(matched, func(m types.MatchedRule) bool {
		return slices.Contains(blockingRules, m.Rule().ID()) || isEarlyCheckpoint(m.Rule().ID())
	})
}

// logMatches logs the rule ids, the variables they matched (names, never
// values: a value may hold a token) and the CRS's anomaly-score message.
func (w *WAF) logMatches(msg string, tx types.Transaction, r *http.Request) {
	var ids []int
	var vars []string
	score := ""
	for _, m := range tx.MatchedRules() {
		id := m.Rule().ID()
		if slices.Contains(blockingRules[:3], id) || isEarlyCheckpoint(id) { // the score rules
			score = m.Message()
			continue
		}
		if m.Message() == "" || id >= 900000 && id < 910000 {
			continue // the CRS's setup and flow rules, not a finding
		}
		ids = append(ids, id)
		for _, d := range m.MatchedDatas() {
			v := d.Variable().Name()
			if d.Key() != "" {
				// a name (ARGS:id, REQUEST_HEADERS:Referer), never a
				// value; but argument names and JSON keys are the
				// client's (a form line without "=" is a name), so only
				// a short plain identifier is logged as it is
				v += ":" + logName(d.Key())
			}
			if !slices.Contains(vars, v) {
				vars = append(vars, v)
			}
		}
	}
	w.logger.Warn(msg, zap.String("request_id", tx.ID()), zap.String("method", r.Method),
		zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr),
		zap.Ints("rule_ids", ids), zap.Strings("variables", vars), zap.String("anomaly", score))
}

// logName is a matched variable's key as the log line holds it: itself
// when it is a short plain identifier (at most maxLogName bytes of
// letters, digits and _ . - [ ] : $, as json.a.0, q:base64, user[$ne]),
// else "<redacted N bytes>": a name is client content and may be a
// secret, a line of a body, or control characters.
func logName(k string) string {
	if len(k) <= maxLogName {
		plain := true
		for i := 0; i < len(k) && plain; i++ {
			c := k[i]
			plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '_' || c == '.' || c == '-' || c == '[' || c == ']' || c == ':' || c == '$'
		}
		if plain {
			return k
		}
	}
	return "<redacted " + strconv.Itoa(len(k)) + " bytes>"
}

// maxLogName is the longest variable key logged as it is.
const maxLogName = 64

// UnmarshalCaddyfile reads the waf block (see WAF).
func (w *WAF) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive's name
	if d.NextArg() {
		return d.Errf("waf takes no arguments (only a matcher and a block); unexpected %q", d.Val())
	}
	for d.NextBlock(0) {
		opt := d.Val()
		args := d.RemainingArgs()
		switch opt {
		case "paranoia", "anomaly_threshold":
			if len(args) != 1 {
				return d.Errf("%s takes one number", opt)
			}
			n, err := strconv.Atoi(args[0])
			if err != nil {
				return d.Errf("%s %q: want a whole number", opt, args[0])
			}
			if opt == "paranoia" {
				w.Paranoia = n
			} else {
				w.AnomalyThreshold = n
			}
		case "mode":
			if len(args) != 1 || args[0] != "block" && args[0] != "detect" {
				return d.Errf("mode takes block or detect")
			}
			w.Mode = args[0]
		case "rules":
			if len(args) == 0 {
				return d.Errf("rules takes one or more files of SecLang rules")
			}
			w.Rules = append(w.Rules, args...)
		case "body_limit":
			if len(args) != 1 {
				return d.Errf("body_limit takes one size (bytes, or e.g. 64KiB)")
			}
			n, err := humanize.ParseBytes(args[0])
			if err != nil || n < 1 || n > 1<<30 {
				return d.Errf("body_limit %q: want a size from 1 byte to 1GiB, e.g. 64KiB", args[0])
			}
			w.BodyLimit = int64(n)
		case "max_arguments":
			if len(args) != 1 {
				return d.Errf("max_arguments takes one number")
			}
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 {
				return d.Errf("max_arguments %q: want a positive whole number", args[0])
			}
			w.MaxArguments = n
		case "responses":
			if len(args) != 0 {
				return d.Errf("responses takes no arguments; unexpected %q", args[0])
			}
			w.Responses = true
		case "crs_only":
			if len(args) != 0 {
				return d.Errf("crs_only takes no arguments; unexpected %q", args[0])
			}
			w.CRSOnly = true
		case "verdict_cache":
			if len(args) != 1 || args[0] != "on" && args[0] != "off" {
				return d.Errf("verdict_cache takes on or off")
			}
			on := args[0] == "on"
			w.VerdictCache = &on
		default:
			return d.Errf("unknown waf option %q; known: paranoia, anomaly_threshold, mode, rules, responses, body_limit, max_arguments, crs_only, verdict_cache", opt)
		}
	}
	return nil
}

func parseWAF(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	w := new(WAF)
	if err := w.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return w, nil
}

// Interface guards
var (
	_ caddyhttp.MiddlewareHandler = (*WAF)(nil)
	_ caddy.Provisioner           = (*WAF)(nil)
	_ caddy.CleanerUpper          = (*WAF)(nil)
	_ caddy.Validator             = (*WAF)(nil)
	_ caddyfile.Unmarshaler       = (*WAF)(nil)
)
