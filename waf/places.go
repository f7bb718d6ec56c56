package waf

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corazawaf/coraza/v3/experimental/plugins"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/coraza/v3/types"
	"golang.org/x/text/unicode/norm"
)

// Places the CRS at paranoia 1 does not read for injections, though
// backends commonly hand them to SQL, a shell or a template (docs/waf.md,
// "Detection", "Places the CRS does not read"):
//   - the path's segments (/api/users/1' UNION SELECT ...: a REST
//     backend reads the id from the path), and those with a '+' also
//     with it read as a space (/api/users/0+UNION+SELECT+...: a backend
//     that decodes the segment as a form value reads that); and the whole
//     path (decoded, named path:all) when two segments or more are not
//     plainly safe, as a catch-all route reads it;
//   - the values of headers other than the few the CRS reads (User-Agent,
//     Referer, Cookie) and the standard ones uninspectedHeader lists:
//     X-User-Id, X-Forwarded-For, X-Tenant, Host, ...;
//   - the user name and password of Authorization: Basic, which a backend
//     checks with SQL.
//
// A value made only of plainly safe bytes (safeValue: letters, digits and
// the punctuation of ids, tokens, dates, addresses and lists) cannot
// carry an injection and costs a byte scan, nothing more. Any other is
// handed to the engine as an argument of ARGS_PATH (which every rule that
// reads ARGS reads), named path:<n>, header:<name> or basic:user, so the
// whole CRS and the gateway's rules read it as they read a query
// parameter; the log line names it (ARGS:header:x-user-id) and an
// exclusion can target it. A Basic password is checked for SQL injection
// only (placesRules: the whole CRS refuses random passwords). The engine
// keeps at most max_arguments of them with the query's parameters, and
// body_limit bytes of them (past that: 400, errPlacesLimit). A multipart body's text files are inspected too
// (fileArguments). All of it is off with crs_only.

// errPlacesLimit refuses a request whose path segments, header values and
// credentials to inspect are, with its query's parameters, more than
// max_arguments, or whose bytes add up to more than body_limit: they are
// inspected as arguments are, so they are bounded as the query and the
// body are (the dearest request allowed does not grow with them).
var errPlacesLimit = errors.New("header, path and credential values to inspect over max_arguments or body_limit")

// Argument name prefixes of the places.
const (
	placePath   = "path:"
	placeHeader = "header:"
	placeBasic  = "basic:"
)

// uninspectedHeader reports the headers whose values are not handed to the
// rules as arguments: those the CRS reads already (User-Agent, Referer,
// Cookie, and Content-Type, which selects the body's parser and is
// checked against the allowed types), Authorization (read by
// basicCredentials, and as a header for other schemes), and the standard
// ones whose values browsers and proxies send with quotes, stars or
// spaces and whose grammar the server parses (content negotiation,
// conditional requests, fetch metadata and client hints, connection
// management), which an application does not read as data. Keys are in
// Go's canonical form (http.CanonicalHeaderKey).
func uninspectedHeader(k string) bool {
	switch k {
	case "User-Agent", "Referer", "Cookie", "Content-Type", "Content-Length", "Authorization",
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
		"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range",
		"Cache-Control", "Pragma", "Connection", "Keep-Alive", "Te", "Upgrade", "Via",
		"Priority", "Dnt", "Upgrade-Insecure-Requests", "Link":
		// Link: a preload's hints (</app.js>; rel=preload), which a
		// request carries for a server that relays them (103 Early
		// Hints) and no application reads as data; its </app.js> read
		// as a closing tag to 941160 (attack 83)
		return true
	}
	return strings.HasPrefix(k, "Sec-") // Sec-Fetch-*, Sec-Ch-Ua*, Sec-Websocket-*
}

// placeArguments hands the engine the request's unsafe path segments,
// header values and Basic credentials (placeValues): as arguments
// (ARGS_PATH), and a Basic password as TX:gateway_basic_password (see
// placesRules). It returns the arguments, which inspect hands to
// decodedArguments as the query's are decoded (JSON in a header or a path
// segment, base64, X-Original-URL's parameters: a fifth fresh-eyes
// attack's F15 and F17). They count against maxArgs with the query's parameters,
// and budget bounds their bytes: past either, errPlacesLimit and nothing
// added.
func placeArguments(tx types.Transaction, r *http.Request, maxArgs, budget int) ([]argument, error) {
	out, password := placeValues(r)
	if len(out) == 0 && password == "" {
		return nil, nil
	}
	budget -= len(password)
	for _, a := range out {
		budget -= len(a.value)
	}
	if budget < 0 {
		return nil, errPlacesLimit
	}
	st, _ := tx.(plugintypes.TransactionState)
	if st != nil && len(out) > 0 {
		query := 0
		if c, ok := st.Variables().ArgsGet().(interface{ TotalValues() int }); ok {
			query = c.TotalValues()
		}
		if query+len(out) > maxArgs {
			return nil, errPlacesLimit
		}
	}
	for _, a := range out {
		tx.AddPathRequestArgument(a.name, a.value)
	}
	if st != nil && password != "" {
		st.Variables().TX().Set(txBasicPassword, []string{password})
	}
	return out, nil
}

// placeValues returns the request's path segments, header values and
// Basic user name that are not plainly safe (safeValue), named path:<n>,
// header:<name> and basic:user, and its Basic password when that is not
// plainly safe. A request whose places are all plainly safe costs a scan
// of their bytes and no allocation.
func placeValues(r *http.Request) (out []argument, password string) {
	// the path's segments, split on '/' only: as the client sent them
	// when Go keeps that (r.URL.RawPath: an encoded slash, %2F, or other
	// escapes it would write otherwise; an encoded slash stays inside its
	// segment), else as decoded (r.URL.Path: then it holds no encoded
	// slash). A ;parameter stays in its segment.
	path, escaped := r.URL.Path, false
	if r.URL.RawPath != "" {
		path, escaped = r.URL.EscapedPath(), true
	}
	out = appendPathSegments(out, path, escaped, placePath)
	if len(out) >= 2 || len(out) == 1 && !strings.HasSuffix(r.URL.Path, out[0].value) {
		// two segments or more not plainly safe, or one before others:
		// the whole path too, as a catch-all route reads it (Express's
		// /files/*, Flask's <path:p>, Spring's {*rest}):
		// /files/1/**/UNION/**/SELECT/**/... is no SQL a segment at a
		// time (a fifth fresh-eyes attack's F9), and /x/;cat /etc/passwd
		// is a command whose file is the segments after it
		out = append(out, argument{placePath + "all", r.URL.Path})
	}
	if !safeValue(r.Host, false) {
		// Go keeps Host (HTTP/2's :authority) out of r.Header
		out = append(out, argument{placeHeader + "host", r.Host})
	}
	for k, vs := range r.Header {
		if uninspectedHeader(k) {
			if k == "Authorization" {
				out, password = appendAuthorization(out, vs)
			}
			for _, v := range vs {
				if !headerGrammar(k, v) {
					out = append(out, argument{placeHeader + strings.ToLower(k), v})
				}
			}
			continue
		}
		for _, v := range vs {
			if k == "Forwarded" {
				// its parameters only (appendForwarded): the whole
				// value's quotes and brackets, for="[2001:db8::17]" as
				// HAProxy sends it, read as JSON-like SQL (942550:
				// attack 38)
				out = appendForwarded(out, v)
				continue
			}
			if k == "Signature-Input" || k == "Accept-Signature" {
				out = appendParameters(out, v, placeHeader+strings.ToLower(k)+":")
				continue
			}
			if k == "Upload-Metadata" {
				out = appendUploadMetadata(out, v)
			}
			if !safeValue(v, false) || urlValue(k, v) {
				out = append(out, argument{placeHeader + strings.ToLower(k), v})
			}
			if urlHeader(k) {
				out = appendURLHeader(out, placeHeader+strings.ToLower(k)+":", v)
			}
		}
	}
	return out, password
}

// appendForwarded appends the parameters' values of a Forwarded header's
// value (RFC 7239: for=, by=, host=, proto=, in elements separated by
// commas, pairs by semicolons), unquoted, that are not plainly safe, as
// header:forwarded:<name>: a proxy's library reads them (Rack's
// forwarded_for, Spring's ForwardedHeaderFilter) and applications log or
// store the client's address, and the rules that read from a value's
// start saw for= first (a thirty-first fresh-eyes attack, attack 35,
// passed Forwarded: for="admin' --"). They count against max_arguments
// and body_limit as the other places' values do (errPlacesLimit).
func appendForwarded(out []argument, v string) []argument {
	return appendParameters(out, v, placeHeader+"forwarded:")
}

// appendUploadMetadata appends each value of a tus upload's metadata
// (Upload-Metadata: filename ZXhhbXBsZS5wZGY=,filetype YXBwbGljYXRpb24vcGRm:
// key and base64 value pairs separated by commas) as
// header:upload-metadata:<key>, plainly safe or not, for the decoder to
// read its base64 as it reads a query parameter's: tusd, @tus/server and
// Uppy's servers decode each and store the file by its filename or
// relativePath (attack 83: x' or '1'='1 and ../../../etc/cron.d/evil in
// the second item passed; the whole value read as one is no base64).
func appendUploadMetadata(out []argument, v string) []argument {
	for item := range strings.SplitSeq(v, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), " ")
		if value = strings.TrimSpace(value); ok && value != "" {
			out = append(out, argument{placeHeader + "upload-metadata:" + strings.ToLower(key), value})
		}
	}
	return out
}

// appendParameters appends the parameters' values of a header whose
// value is elements separated by commas, each name=value pairs separated
// by semicolons (Forwarded; RFC 9421's Signature-Input and
// Accept-Signature, whose members are a label and a list of components,
// then ;created=...;keyid="..."), unquoted, that are not plainly safe, as
// prefix<name>. An inner list, ("@method" "@authority"), names what a
// signature covers for the verifier to parse, and is not read: its quotes
// and spaces read as SQL to 942100 (attack 83: Cloudflare's Web Bot Auth
// signs every request of a verified bot so); keyid, tag and nonce are
// read, which a server looks a key up by.
func appendParameters(out []argument, v, prefix string) []argument {
	for elem := range strings.SplitSeq(v, ",") {
		for pair := range strings.SplitSeq(elem, ";") {
			name, value, ok := strings.Cut(pair, "=")
			if !ok {
				continue
			}
			value = strings.TrimSpace(value)
			if strings.HasPrefix(value, "(") {
				continue // an inner list's components
			}
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if !safeValue(value, false) {
				out = append(out, argument{prefix + strings.ToLower(strings.TrimSpace(name)), value})
			}
		}
	}
	return out
}

// headerGrammar: the value v of the uninspected header k keeps to its
// grammar where that is strict: Accept-Language's tags and weights
// (letters, digits, - _ * , ; = . and blanks), DNT's 0 or 1. A value
// that breaks it is handed to the rules as another header's is: a PHP
// locale loader includes lang/<Accept-Language>.php, a lookup puts it in
// SQL (attack 85: php://filter/..., /etc/passwd and en' union select
// passed), Sec-WebSocket-Protocol's names (attack 86). Others are true.
func headerGrammar(k, v string) bool {
	switch k {
	case "Accept-Language":
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_*,;=. \t", c) >= 0) {
				return false
			}
		}
	case "Dnt":
		return v == "0" || v == "1" || v == ""
	case "Sec-Websocket-Protocol":
		// since attack 86: subprotocols' names (graphql-ws, v12.stomp,
		// base64url.bearer.authorization.k8s.io.<token>), a list; an
		// application that carries a session token there (browsers set
		// no other header on a WebSocket) looks it up, so chat, x'
		// union select ..., $(id) and an address are read. RFC 6455's
		// tokens allow ' | & ` $ too: no real subprotocol's name has one
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~, \t", c) >= 0) {
				return false
			}
		}
	}
	return true
}

// urlValue: the value v of the header k (canonical) holds a URL
// (scheme://), so the SSRF rules must read it (the CRS's 934110, this
// module's 210121) though its characters are plainly safe: a callback or
// webhook header an application fetches (X-Callback-Url:
// http://169.254.169.254/latest/meta-data/ passed uninspected before,
// found by a twelfth fresh-eyes attack, attack 16). Origin is left to the
// server's CORS check, which compares it and does not fetch it (browsers
// send http://localhost:3000 from a developer's machine).
//
// Since attack 78's Open entry also a value that starts with an
// absolute path of the operating system's (osPath), or holds an address
// 210205 refuses with no scheme (what a file or callback header of an
// application's own carries).
//
// A URL's scheme is read as WHATWG URL reads it (attack 20 passed
// http:/0x7f.1/ and HTTP:/169.254.43518/ in a header, which the rules
// refuse in the query): a ':' then a slash or a backslash, or a value
// that starts with a special scheme (specialSchemes).
func urlValue(k, v string) bool {
	if k == "Origin" {
		return false
	}
	if strings.Contains(v, ":/") || strings.Contains(v, `:\`) {
		return true
	}
	for _, scheme := range specialSchemes {
		if len(v) > len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) {
			return true
		}
	}
	// since attack 78's Open entry: an absolute path (X-File:
	// /etc/shadow, an application's file header), or a metadata
	// server's or a loopback service's address and a path with no
	// scheme (X-Callback: 169.254.169.254/latest/meta-data/: 210205's)
	if v != "" && (v[0] == '\\' || v[0] == '/' && osPath(v)) {
		return true
	}
	// an address before a slash, in any of inet_aton's spellings
	// (2852039166/latest/..., 0xa9fea9fe/...: attack 84), or a path that
	// holds one (/proxy/2852039166/latest/meta-data/ in X-Original-URL)
	if i := strings.IndexByte(v, '/'); i >= 0 && !strings.ContainsAny(v[:i], " \t") {
		return schemelessMetadata(strings.ToLower(v))
	}
	// a metadata host alone (X-Webhook-Host: 169.254.169.254: a review),
	// looked at only when it is spelled as an address or the name
	// (a trace id, a list of addresses cost nothing)
	if len(v) < 7 || len(v) > 64 {
		return false
	}
	if strings.Trim(v, "0123456789abcdefABCDEFxX.:[]") == "" || len(v) >= 24 && strings.EqualFold(v[:24], "metadata.google.internal") {
		return bareMetadata(strings.ToLower(v))
	}
	return false
}

// osPath: v (which starts with /) names a file of the operating system
// or climbs out of a directory: its first segment is one of the
// Filesystem Hierarchy Standard's directories (/etc/shadow,
// /var/www/.env, /proc/self/environ) or it holds a segment that starts
// with a dot (.., .ssh, .env). An
// application's route (/api/users/[id] in Vercel's X-Matched-Path, which
// 932130 read as a shell's test: attack 83) is not handed over.
func osPath(v string) bool {
	if strings.Contains(v, "/.") {
		return true // .. or a hidden file or directory (/home/u/.ssh/id_rsa, /app/.env)
	}
	seg, _, _ := strings.Cut(v[1:], "/")
	switch strings.ToLower(seg) {
	case "etc", "proc", "var", "root", "usr", "dev", "sys", "tmp", "opt", "srv", "run", "boot", "bin", "sbin", "lib", "lib64",
		"mnt", "media", "windows", "private":
		return true // not home, app or data: routes' too (/app/[id]: a review)
	}
	return false
}

// specialSchemes are WHATWG URL's special schemes, which it reads with
// one slash after the colon or none as with two (attack 21 passed
// ws:0x7f.1/ and ftp:0x7f.1/ in a header).
var specialSchemes = []string{"http:", "https:", "ws:", "wss:", "ftp:"}

// urlHeader: the header k (canonical) carries a request's URL, which an
// application or an auth service behind a proxy routes by and reads as
// the request's (appendURLHeader): X-Original-URL and X-Rewrite-URL
// (Symfony, Laminas, Drupal 7, IIS's URL Rewrite), and since a sixth
// fresh-eyes attack (attack 10, B16), which passed base64 and JSON in
// their query, nginx auth_request's X-Original-URI, Traefik ForwardAuth's
// X-Forwarded-Uri, Envoy's X-Envoy-Original-Path and X-Forwarded-Prefix,
// and since a seventh (attack 11), which passed the same in
// X-Forwarded-Path, Kong's X-Forwarded-Path and the other names
// applications read the original path from: X-Original-Path,
// X-Request-Uri, X-Forwarded-Url.
func urlHeader(k string) bool {
	switch k {
	case "X-Original-Url", "X-Rewrite-Url", "X-Original-Uri", "X-Forwarded-Uri", "X-Envoy-Original-Path", "X-Forwarded-Prefix",
		"X-Forwarded-Path", "X-Original-Path", "X-Request-Uri", "X-Forwarded-Url":
		return true
	}
	return false
}

// appendPathSegments adds the segments of path that are not plainly safe,
// named prefix<n> (n counts from 0, the empty segment before the first
// '/'): split on '/' only; percent-decoded once when escaped; a segment
// that starts a URL (scheme://) with the rest of the path; a segment with
// a '+' also with it read as a space.
func appendPathSegments(out []argument, path string, escaped bool, prefix string) []argument {
	for i, n := 0, 0; i < len(path); n++ {
		j := strings.IndexByte(path[i:], '/')
		if j < 0 {
			j = len(path) - i
		}
		if j > 1 && path[i+j-1] == ':' && strings.HasPrefix(path[i+j:], "//") {
			// a URL in the path (scheme://...): a route that takes the
			// rest of the path as one parameter (/fetch/<path:url>)
			// reads it whole, so the rules do too: php://filter/...,
			// file:///etc/passwd (a proxy's or archive's route passes)
			v := path[i:]
			if escaped {
				v = lenientUnescape(v)
			}
			return append(out, argument{prefix + strconv.Itoa(n), v})
		}
		seg := path[i : i+j]
		if !safeValue(seg, escaped) {
			out = append(out, argument{prefix + strconv.Itoa(n), pathSegment(seg, escaped)})
			out = appendMatrixOptions(out, seg, escaped, prefix+strconv.Itoa(n))
		}
		if strings.IndexByte(seg, '+') >= 0 && !safeValueAs(seg, escaped, true) {
			// also as a backend that decodes the segment as a form
			// value reads it (PHP's urldecode, Java's URLDecoder):
			// /api/users/0+UNION+SELECT+password+FROM+users
			out = append(out, argument{prefix + strconv.Itoa(n), pathSegment(strings.ReplaceAll(seg, "+", " "), escaped)})
		}
		i += j + 1
	}
	return out
}

// appendMatrixOptions adds the values of a segment's matrix parameters
// (;name=value) that start as a command's option (optionLike), named
// <name>;<parameter>: Spring's @MatrixVariable hands each to the
// application as one argument, and the argument rules (210181-210186)
// read a value from its start, so /repos;x=--upload-pack=id passed a
// seventh fresh-eyes attack (attack 11) read as the segment whole. Only
// those: a segment's other values are read with it.
func appendMatrixOptions(out []argument, seg string, escaped bool, name string) []argument {
	_, params, _ := strings.Cut(seg, ";")
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(p, "=")
		if ok && optionLike(v, escaped) {
			out = append(out, argument{name + ";" + k[:min(len(k), 64)], pathSegment(v, escaped)})
		}
	}
	return out
}

// appendURLHeader adds what a header that carries a request URL holds
// (X-Original-URL, X-Rewrite-URL: Symfony, Laminas, Drupal 7 and IIS's
// URL Rewrite route by them, and the application then reads its path and
// query as the request's): its path's segments as the request line's
// (appendPathSegments, named <prefix>path:<n>, as sent: percent-encoded),
// and its query's parameters as a query's, split on '&', each name and
// value decoded as a form value ('+' a space), a value named
// <prefix>query:<name> (the name's first 64 bytes) and a name that is not
// plainly safe as <prefix>query-name. Of the path only what is not
// plainly safe; of the query every value that is not empty, as the
// request's own query is decoded whole (base64 is plainly safe).
// Read whole, as one value, /api/users/0+UNION+SELECT... was plainly safe
// and ?q=admin'%23 not read as a parameter (a fourth fresh-eyes attack);
// the whole value is still handed on too when it is not plainly safe (a
// route that reads the rest of the path whole, 1'/**/OR/**/1=1 split on
// its slashes).
func appendURLHeader(out []argument, prefix, v string) []argument {
	path, query, _ := strings.Cut(v, "?")
	out = appendPathSegments(out, path, true, prefix+"path:")
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		name, value, _ := strings.Cut(pair, "=")
		// every value, plainly safe or not: the request's own query is
		// decoded (base64 is plainly safe), and so is this one (a
		// fifth fresh-eyes attack's F17)
		if value != "" {
			n := queryUnescape(name)
			out = append(out, argument{prefix + "query:" + n[:min(len(n), 64)], queryUnescape(value)})
		}
		if !safeValueAs(name, true, true) {
			out = append(out, argument{prefix + "query-name", queryUnescape(name)})
		}
	}
	return out
}

// queryUnescape decodes a query's name or value as a form value: '+' is a
// space, %XX the byte, and a '%' that starts no escape is left as it is.
func queryUnescape(s string) string {
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	return lenientUnescape(strings.ReplaceAll(s, "+", " "))
}

// pathSegment is a path segment percent-decoded once (leniently when it
// does not decode), when it was read escaped.
func pathSegment(seg string, escaped bool) string {
	if !escaped {
		return seg
	}
	v, err := url.PathUnescape(seg)
	if err != nil {
		v = lenientUnescape(seg)
	}
	return v
}

// appendAuthorization adds what an Authorization header carries: the
// user name of Basic credentials when it is not plainly safe, and the
// credentials of any other scheme (Digest's username="...", a token) when
// they are not. It returns the Basic password apart (the last one, when
// it is not plainly safe): it is not an argument, see basicPasswordRule.
func appendAuthorization(out []argument, vs []string) ([]argument, string) {
	password := ""
	for _, v := range vs {
		// the scheme ends at a space or a tab, and more of them may
		// follow (RFC 9110's 1*SP; Express's basic-auth and Django REST
		// framework take tabs and runs of spaces)
		v = strings.TrimLeft(v, " \t")
		scheme, cred := v, ""
		if i := strings.IndexAny(v, " \t"); i >= 0 {
			scheme, cred = v[:i], strings.Trim(v[i+1:], " \t")
		}
		if !strings.EqualFold(scheme, "Basic") {
			if !safeValue(cred, false) {
				out = append(out, argument{placeHeader + "authorization", v})
			}
			continue
		}
		user, pass, ok := basicCredentials(cred)
		if !ok {
			continue // the backend refuses it as Werkzeug does
		}
		if !safeValue(user, false) {
			out = append(out, argument{placeBasic + "user", user})
		}
		if !safeValue(pass, false) {
			password = pass
		}
	}
	return out, password
}

// txBasicPassword is the TX variable that holds a Basic password that is
// not plainly safe, for basicPasswordRule.
const txBasicPassword = "gateway_basic_password"

// placesRules are the SecLang rules of the places, loaded with
// detectionRules (before the CRS; off with crs_only).
//
// 210140: SQL injection in a Basic password. A password is random by
// design, and the whole CRS refused 2.5% of random passwords of every
// printable character (and 0.4% of a password manager's letters, digits
// and !@#$%^&*): 932 (a shell command between ; and |), 942 (libinjection
// reads SQL into random punctuation), 941, 210111. So the password is not
// an argument; it is refused when libinjection (the CRS's 942100) takes it
// for SQL and, after a quote, it holds an SQL word (OR, UNION, SELECT,
// SLEEP, ...) or || before a quote, digit or parenthesis: what breaking
// out of the string literal of WHERE password = '...' takes
// (' OR '1'='1, ' OR 1=1 --, '; DROP TABLE ...), or when the whole
// password is a quote, an operator and a quote ('-', '='). Measured on
// 200,000 random passwords each (TestBasicPasswordRule): every printable
// character, 8-32 long, 4; a password manager's, none; passphrases of
// words with apostrophes, 7. Since attack 54, rules 210169's and 210173's
// operators read it too (210194, 210195): ClickHouse's and SQLite's
// calls that libinjection does not take for SQL (x' OR
// lengthUTF8(password)>5--, 1 OR sleepEachRow(3)) passed there while the
// same text in the user name was refused.
const placesRules = `SecRule TX:` + txBasicPassword + ` "@detectSQLi" "id:210140,phase:2,block,t:none,msg:'SQL injection in a Basic password',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule TX:` + txBasicPassword + ` "@rx ` + basicPasswordSQL + `" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule TX:` + txBasicPassword + ` "@` + sqlQuotedCallOp + `" "id:210194,phase:2,block,t:none,t:replaceComments,msg:'SQL injection in a Basic password: a closed quote, a logical operator and a call of a function no word names',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "@rx ` + sqlInjectedTail + `" "t:none,chain"
		SecRule MATCHED_VAR "@` + passwordLogicalOp + `" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
SecRule TX:` + txBasicPassword + ` "@` + sqlNumberCallOp + `" "id:210195,phase:2,block,t:none,t:replaceComments,msg:'SQL injection in a Basic password: a number, a logical operator and a call of a function no word names',tag:'application-multi',tag:'attack-sqli',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',chain"
	SecRule MATCHED_VAR "@` + passwordLogicalOp + `" "t:none,setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

// passwordLogical is what rules 210194 and 210195 also want in a Basic
// password: a logical operator as a word after a quote or a number (x'
// OR f(, 1 AND f(): 210169's and 210173's readings after a comparison
// alone matched 6 of 200,000 random printable passwords
// (TestBasicPasswordRule).
// A Go operator (passwordLogicalOp), not @rx: RE2's memory budget is
// spent.
const passwordLogical = `(?i)(?:['"` + "`" + `]|\d)[)\s]*(?:\b(?:or|and|xor)\b|\|\||&&)`

// passwordLogicalOp is passwordLogical's operator.
const passwordLogicalOp = "gatewayPasswordLogical"

func init() {
	logical := regexp.MustCompile(passwordLogical)
	registerGoOperator(passwordLogicalOp, logical.MatchString)
}

// basicPasswordSQL is 210140's second condition (see placesRules).
const basicPasswordSQL = `(?i)['\"` + "`" + `](?:.*?[\s'\"` + "`" + `()/*+=-])?(?:or|and|xor|not|union|select|insert|update|delete|drop|exec|execute|sleep|benchmark|waitfor|like|rlike|regexp|having|where|from|into|order|group|null|case|when)(?:[\s'\"` + "`" + `()/*+=-]|$)|\|\|\s*['\"\d(]` +
	// the whole password a quote, an operator and a quote ('-', '=',
	// '^', ' <> ', x'-0-'y): password = ''-'' is 0 = 0, true for any
	// stored password not starting with a digit (MySQL); anchored, as
	// random passwords hold quote, operator, quote often enough
	// ('<=>'# since a seventh fresh-eyes attack, attack 11: '' <=> '#'
	// is the same with the application's quote closing the string)
	// ('=''-' since an eighth, attack 12: (password = '') = (''-''),
	// 0 = 0)
	`|^\w*['\"` + "`" + `]\s*(?:<=>|[-+*/%^|&=<>!]{1,2})(?:\s*(?:\d+|''|\"\"|` + "``" + `)\s*[-+*/%^|&=<>!]{1,2}){0,2}\s*['\"` + "`" + `](?:\w*|#.*)$` +
	// a comparison chain then a comment: password = ''=0#' is
	// (password = '') = 0, true for every non-empty stored password
	// (MySQL), and '=''#, '!=1#, '<1#, '>-1# alike (a fifth fresh-eyes
	// attack's F7), and arithmetic the same way since a seventh (attack
	// 11): ''-0#' is '' - 0, 0, so password = 0, true for every stored
	// password not starting with a digit, and '+0#, '|0#, ' DIV 1#,
	// ' MOD 1#, '<=>0# alike
	// (anchored, a word before the quote and nothing or a space after
	// the comment, as random passwords hold the shape often enough)
	`|^\w*['\"` + "`" + `]\s*(?:<=>|[-+*/%^|&=<>]|!=|<>|<=|>=|\|\||&&|<<|>>|\s(?:div|mod)\s)\s*(?:-?\d+|''|\"\"|` + "``" + `)\s*(?:#|--|/\*)(?:\s.*)?$`

// basicCredentials decodes Basic credentials as leniently as the
// backends that take the most do (Express's basic-auth, Django REST
// framework, PHP): base64 with or without its '=' padding, in the
// standard or the URL-safe alphabet ('-' and '_' for '+' and '/'), or in
// a mix of them; the user name before the first colon, the password after
// it, or the whole value as the user name when there is no colon. Go's Request.BasicAuth takes only the padded standard alphabet, so
// credentials that only a lenient backend reads were passed uninspected
// (a fourth fresh-eyes attack).
//
// Werkzeug (Flask's request.authorization) decodes with Python's
// base64.b64decode, which drops every character outside the alphabet, so
// credentials with a space, a '!' or a '.' inside or after them are read
// (a fifth fresh-eyes attack's F6): when they do not decode as they are,
// they are decoded once more with every such character dropped.
func basicCredentials(cred string) (user, pass string, ok bool) {
	b, err := basicBase64(cred)
	if err != nil {
		kept := strings.Map(func(r rune) rune {
			if r < 0x80 && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '-' || r == '_') {
				return r
			}
			return -1
		}, cred)
		if kept == cred || kept == "" {
			return "", "", false
		}
		// Python drops a last partial character's bits too
		if b, err = basicBase64(kept); err != nil {
			if b, err = basicBase64(kept[:len(kept)/4*4]); err != nil {
				return "", "", false
			}
		}
	}
	if user, pass, ok = strings.Cut(string(b), ":"); ok {
		return user, pass, true
	}
	// no colon: Werkzeug and Django REST framework partition on ':' and
	// take the whole value as the user name (a sixth fresh-eyes attack,
	// attack 10, B11: "admin' or '1'='1' -- " without a colon passed);
	// Werkzeug refuses what is not UTF-8, but Django REST framework falls
	// back to latin-1, so bytes that are not UTF-8 are read as latin-1 (a
	// seventh fresh-eyes attack, attack 11, BROKE 11: the same name with a
	// byte 0xff after it passed, skipped as garbage)
	if !utf8.Valid(b) {
		return latin1(b), "", true
	}
	return string(b), "", true
}

// latin1 is b read as ISO-8859-1: each byte the rune of its value.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// basicBase64 decodes base64 with or without its padding, in the
// standard or the URL-safe alphabet or a mix of them.
func basicBase64(cred string) ([]byte, error) {
	cred = strings.TrimRight(cred, "=")
	if strings.ContainsAny(cred, "-_") {
		cred = strings.NewReplacer("-", "+", "_", "/").Replace(cred)
	}
	return base64.RawStdEncoding.DecodeString(cred)
}

// safeValue reports whether v is made only of bytes that carry no
// injection in SQL, a shell, HTML, a template or an LDAP filter, alone or
// together: letters and digits, - _ . ~ : / @ = + , [ ], and characters
// outside ASCII that are valid UTF-8 and not white space (a name, a
// slug; not a lone byte such as 0xA0, nor a no-break space, which some
// databases read as a space); a ';' only when what
// follows is a parameter (a token then '=': ;q=0.9, ;jsessionid=...), a
// space only after a ',' (a list: "a, b"), and a '.' not after another
// (no ../). That takes the values of ordinary traffic: UUIDs and numeric
// ids, tracing headers (traceparent, b3, X-Request-Id,
// X-Amzn-Trace-Id's Root=...;Parent=...), X-Forwarded-For lists, host
// names, dates in ISO form, base64, JWTs and bearer tokens, e-mail
// addresses, slugs. A value with a quote, a parenthesis, '<', '$', '{',
// '|', '&', '%', '*', '#', '\\', '`', '!', '?', a lone space or a control
// byte is not plainly safe: numeric SQL injection needs spaces or
// punctuation (1 OR 1=1, 1/**/OR), a shell needs ;cmd or $( ) or `, HTML
// needs <, a template { or $.
//
// In a path segment (escaped), %XX counts as the byte it encodes (a
// percent-encoded UTF-8 slug is safe, %27 is a quote); elsewhere '%' is
// not safe (the rules decode it).
//
// A value that starts as a command's option does (a '-' then a letter or
// another '-': --upload-pack=id, -oProxyCommand=/tmp/x.sh) is not
// plainly safe either: a path segment or a header handed to git, ssh or
// tar as an argument needs no space to run a file already on the host,
// and such values were never inspected (a sixth fresh-eyes attack,
// attack 10, B19), nor is a value with a matrix parameter (;name=) whose
// value starts so (attack 11). A number (-5) and a value with a '-'
// inside (Root=1-5759e988, a UUID) stay plainly safe.
func safeValue(v string, escaped bool) bool {
	return safeValueAs(v, escaped, false)
}

// safeValueAs is safeValue, reading a '+' as a space when plusIsSpace
// (a path segment as the backends that decode it as a form value read
// it; %2B stays a '+').
func safeValueAs(v string, escaped, plusIsSpace bool) bool {
	if optionLike(v, escaped) {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if plusIsSpace && c == '+' {
			c = ' '
		} else if escaped && c == '%' {
			if i+2 >= len(v) || !ishex(v[i+1]) || !ishex(v[i+2]) {
				return false
			}
			c = unhex(v[i+1])<<4 | unhex(v[i+2])
			if c == '%' || c == '/' {
				return false // encoded twice, or an encoded slash
			}
			if c >= 0x80 {
				n, r, ok := escapedRuneValue(v[i:])
				if !ok || foldsToSyntax(r) {
					return false
				}
				i += n - 1
				prev = 0x80
				continue
			}
			i += 2
		} else if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(v[i:])
			if r == utf8.RuneError || unicode.IsSpace(r) || foldsToSyntax(r) {
				return false
			}
			i += n - 1
			prev = 0x80
			continue
		}
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '=':
			// a number = a number: (id=0)=0, every row to MySQL and
			// SQLite (/api/users/0=0, X-Tenant-Id: 5=5=0: attack 84);
			// base64's padding and key=value pass
			if prev >= '0' && prev <= '9' && i+1 < len(v) && (v[i+1] >= '0' && v[i+1] <= '9' || v[i+1] == '-') {
				return false
			}
		case c == '-', c == '_', c == '~', c == ':', c == '/', c == '@', c == '+', c == ',', c == '[', c == ']':
		case c == '.':
			if prev == '.' {
				return false
			}
		case c == ' ':
			if prev != ',' {
				return false
			}
		case c == ';':
			if !parameterFollows(v[i+1:]) {
				return false
			}
			// a matrix parameter's value is an argument too
			// (/repos;x=--upload-pack=id: a seventh fresh-eyes attack,
			// attack 11)
			if j := strings.IndexByte(v[i+1:], '='); optionLike(v[i+2+j:], escaped) {
				return false
			}
		default:
			return false
		}
		prev = c
	}
	return true
}

// escapedRuneValue reads the percent-encoded UTF-8 character at the start
// of s (%C3%BC): its length in s, the character, and whether it is valid
// UTF-8 of a character
// that is not white space (an invalid byte, %A0 alone, or a no-break
// space, %C2%A0, is white space to some databases, which take 1%A0OR%A01=1
// as 1 OR 1=1).
func escapedRuneValue(s string) (int, rune, bool) {
	var buf [utf8.UTFMax]byte
	n, used := 0, 0
	for n < len(buf) && used+2 < len(s) && s[used] == '%' && ishex(s[used+1]) && ishex(s[used+2]) {
		b := unhex(s[used+1])<<4 | unhex(s[used+2])
		if n > 0 && (b < 0x80 || b > 0xBF) {
			break // not a continuation byte
		}
		buf[n] = b
		n++
		used += 3
		if utf8.FullRune(buf[:n]) {
			break
		}
	}
	r, size := utf8.DecodeRune(buf[:n])
	return used, r, size == n && r != utf8.RuneError && !unicode.IsSpace(r)
}

// foldsToSyntax: NFKC folds r to one of nfkcSyntax's characters (a
// full-width quote, slash, parenthesis, ...), so a value with it is not
// plainly safe: it is inspected, with its folded text (<name>:nfkc), as
// a value of the query is. A path segment or a header of full-width text
// alone (．．／etc／passwd, 1＇ＯＲ＇1＇＝＇1) passed uninspected until a
// fresh-eyes attack (attack 64, B4), though the same text in the query
// was refused; a backend that NFKC-normalises a path parameter or a
// header (a Python filename sanitiser, then open()) reads the ASCII.
// Letters, digits and CJK punctuation that folds to none of them (、。
// and full-width letters) stay plainly safe. No allocation: the
// decomposition is read from the normalisation tables.
func foldsToSyntax(r rune) bool {
	if r < 0xa0 {
		return false
	}
	switch r {
	case 0x2024, 0x2025, 0xfe52, 0xff0e:
		// the dot look-alikes (one and two dot leaders, small and
		// full-width full stops): ‥/‥/etc/passwd and ．．/．．/etc/passwd in a
		// path or a header passed uninspected (attack 86); not the
		// ellipsis (prose's …: "..." is no parent directory)
		return true
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFKC.Properties(buf[:n]).Decomposition()
	for _, c := range d {
		if c < 0x80 && strings.IndexByte(nfkcSyntax, c) >= 0 {
			return true
		}
	}
	return false
}

// optionLike: v starts with a '-' (%2D in a path segment) and then a
// letter or another '-', as a command's option does.
func optionLike(v string, escaped bool) bool {
	if escaped && len(v) >= 3 && v[0] == '%' && v[1] == '2' && (v[2] == 'D' || v[2] == 'd') {
		v = v[2:] // the 'D' stands for the '-'
	} else if len(v) == 0 || v[0] != '-' {
		return false
	}
	if len(v) < 2 {
		return false
	}
	c := v[1]
	if escaped && c == '%' && len(v) >= 4 && v[2] == '2' && (v[3] == 'D' || v[3] == 'd') {
		return true
	}
	return c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// parameterFollows: s starts with a parameter's name (letters, digits,
// - _ .) and '='.
func parameterFollows(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		case c == '=':
			return i > 0
		default:
			return false
		}
	}
	return false
}

// fileArguments returns the contents of a multipart body's text file
// parts as arguments (fileContents), which the engine does not inspect:
// it writes file parts to temporary files, and the CRS reads only their
// names and sizes. The body is at most body_limit; one that does not
// parse is left to the engine (which refuses it) and to countParts.
//
// A part named with filename*= only (RFC 5987; RFC 7578 forbids it in
// form-data) is a file to the engine, Go and Express's busboy, but a
// plain field to Bun's FormData, Rust's multer (Axum) and PHP, which
// read the filename parameter only: its text is returned in fields,
// under the part's name, for every rule as a field's value is (not as a
// file's text, which the command rules skip: a sixth fresh-eyes attack,
// attack 10, B8, passed "127.0.0.1; id" so).
func fileArguments(contentType string, body []byte) (files, fields []argument) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		// NextPart: a part sent quoted-printable is read decoded, as
		// the engine and Go's own form parsing read it
		p, err := mr.NextPart()
		if err != nil {
			return files, fields
		}
		cd := p.Header.Get("Content-Disposition")
		_, dp, err := mime.ParseMediaType(cd)
		if err != nil {
			continue // countParts counts it as a file; the engine may too
		}
		// Go's ParseMediaType reads filename*= into filename
		plain, star, spaced := filenameParams(cd)
		if !plain && !star && !spaced {
			continue // a field: the engine's own argument
		}
		if !plain {
			// filename*= only, or filename with white space around
			// its '=' (filename =h.txt), which Werkzeug (Flask's
			// request.form) does not read as a parameter: a field
			if text, ok := starFieldText(p); ok {
				fields = append(fields, argument{dp["name"], text})
			}
			continue
		}
		if p.Header.Get("Content-Type") == "" {
			// a file name but no Content-Type: formidable hands the
			// application such a part as a field, whatever its name
			// (a.js, a.svg: attack 66), so it is read as a field's text
			if text, ok := starFieldText(p); ok {
				fields = append(fields, argument{dp["name"], text})
			}
			continue
		}
		if a, ok := fileContents(p, dp["name"], markupOrCode(dp["filename"], p.Header.Get("Content-Type"))); ok {
			files = append(files, a)
		}
	}
}

// starFieldText is the text of a part named with filename*= only, which
// Bun, multer and PHP hand the application as a field: its bytes when
// they are UTF-8, else the text a backend reads in them (fileText), and
// nothing when they are plainly binary (a picture uploaded so by an old
// client is not read as a field: a field of binary bytes carries no
// command a backend runs).
func starFieldText(p io.Reader) (string, bool) {
	b, _ := io.ReadAll(p)
	if utf8.Valid(b) {
		return string(b), true
	}
	text, ok := fileText(b)
	return string(text), ok
}

// filenameParams reports whether a Content-Disposition value has a plain
// filename parameter, whether it has filename*= (or an RFC 2231
// continuation of it, filename*0=), and whether it has a filename
// parameter with white space before or after its '=' (filename =h.txt,
// filename= h.txt: a file to Go and the engine, no parameter to
// Werkzeug, so a field to Flask: a seventh fresh-eyes attack, attack 11,
// BROKE 9, passed "127.0.0.1; id" so), by the parameters' names as the
// value holds them: a quoted value is skipped whole, so
// name="x; filename=y" holds none.
func filenameParams(cd string) (plain, star, spaced bool) {
	i := strings.IndexByte(cd, ';')
	if i < 0 {
		return false, false, false
	}
	s := cd[i+1:]
	for s != "" {
		s = strings.TrimLeft(s, " \t;")
		eq := strings.IndexAny(s, "=;")
		if eq < 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		if s[eq] == ';' {
			s = s[eq:]
			continue
		}
		switch {
		case key == "filename" && (strings.TrimRight(s[:eq], " \t") != s[:eq] || eq+1 < len(s) && (s[eq+1] == ' ' || s[eq+1] == '\t')):
			spaced = true
		case key == "filename":
			plain = true
		case strings.HasPrefix(key, "filename*"):
			star = true
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		if strings.HasPrefix(s, `"`) {
			// a quoted string: to its closing quote, past \" escapes
			j := 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			s = s[min(j+1, len(s)):]
		}
		if k := strings.IndexByte(s, ';'); k >= 0 {
			s = s[k:]
		} else {
			break
		}
	}
	return plain, star, spaced
}

// markupOrCode: a file part is markup (HTML, SVG, XML) or source code (a
// script, a program, SQL) by its name's extension or its declared type.
// Its contents are not handed to the rules whole: the CRS refuses every
// SVG icon (941100, 941130, 941160 on <svg), HTML page (921130) and shell
// script (932160, 932235) as it refuses them in a form field, and such
// files are uploaded as files, not parsed as data. Only their document
// type declaration is (fileContents): XXE lives there. Any other type
// (text/csv, text/x-csv, application/csv, text/tab-separated-values,
// text/x-markdown, text/x-log, ...) is data, read whole.
func markupOrCode(filename, contentType string) bool {
	ext := strings.ToLower(filename)
	if i := strings.LastIndexByte(ext, '.'); i >= 0 {
		ext = ext[i+1:]
	} else {
		ext = ""
	}
	switch ext {
	case "svg", "html", "htm", "xhtml", "xml", "xsl", "xslt", "rss", "atom", "plist", "vue",
		"js", "mjs", "cjs", "ts", "jsx", "tsx", "css", "sh", "bash", "zsh", "ps1", "bat", "cmd",
		"py", "rb", "php", "pl", "go", "java", "kt", "scala", "c", "h", "cc", "cpp", "hpp", "cs", "rs", "swift", "lua", "r", "sql":
		return true
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "text/html", mt == "text/xml", mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "text/javascript", mt == "application/javascript", mt == "application/x-javascript",
		mt == "text/ecmascript", mt == "application/ecmascript", mt == "application/typescript",
		mt == "text/css", mt == "application/sql",
		mt == "application/x-sh", mt == "application/x-csh", mt == "application/x-httpd-php", mt == "application/x-php",
		mt == "application/x-python", mt == "application/x-perl", mt == "application/x-ruby", mt == "application/x-powershell":
		return true
	case strings.HasPrefix(mt, "text/x-"):
		// text/x-python, text/x-shellscript, text/x-c, ...: code; not
		// text/x-csv, text/x-comma-separated-values, text/x-markdown,
		// text/x-log and other data, which a backend parses
		sub := strings.TrimPrefix(mt, "text/x-")
		return codeSubtype[sub] || strings.HasPrefix(sub, "script.")
	}
	return false
}

// codeSubtype are the text/x-<subtype> types of source code (the IANA
// registry has few; these are the ones in use, file(1)'s, browsers' and
// shared-mime-info's).
var codeSubtype = map[string]bool{
	"c": true, "c++": true, "csrc": true, "chdr": true, "c++src": true, "c++hdr": true, "csharp": true,
	"objective-c": true, "objcsrc": true, "java": true, "java-source": true, "kotlin": true, "scala": true,
	"groovy": true, "go": true, "rust": true, "rustsrc": true, "swift": true, "dart": true,
	"python": true, "python3": true, "ruby": true, "perl": true, "php": true, "lua": true, "tcl": true,
	"sh": true, "shellscript": true, "bash": true, "zsh": true, "csh": true, "powershell": true,
	"msdos-batch": true, "bat": true, "sql": true, "javascript": true, "typescript": true,
	"coffeescript": true, "jsx": true, "tsx": true, "vue": true, "sass": true, "scss": true, "less": true,
	"haskell": true, "erlang": true, "elixir": true, "clojure": true, "lisp": true, "scheme": true,
	"ocaml": true, "fortran": true, "pascal": true, "asm": true, "r": true, "matlab": true,
	"makefile": true, "cmake": true, "dockerfile": true, "vb": true, "vbscript": true, "jsp": true,
	"asp": true, "aspx": true, "handlebars-template": true, "jinja": true, "django": true,
}

// doctype returns the document type declaration of markup (from
// <!DOCTYPE to its closing >, its internal subset in [...] included,
// without the <! and > around it as xmlArguments hands on an XML body's),
// or "".
func doctype(b []byte) string {
	i := bytes.Index(bytes.ToUpper(b[:min(len(b), 4096)]), []byte("<!DOCTYPE"))
	if i < 0 {
		return ""
	}
	rest := b[i:]
	end := bytes.IndexByte(rest, '>')
	if open := bytes.IndexByte(rest, '['); open >= 0 && (end < 0 || open < end) {
		if j := bytes.Index(rest[open:], []byte("]")); j >= 0 {
			if k := bytes.IndexByte(rest[open+j:], '>'); k >= 0 {
				end = open + j + k
			}
		}
	}
	if end < 0 {
		end = len(rest)
	}
	return string(rest[2:end]) // as xmlArguments names a declaration: without <! and >
}

// fileContents is the argument a multipart file part's contents make
// when they are text (fileText), whatever type the part declares (a .txt
// of a PNG is not text; a text/x-csv or an application/octet-stream of
// text is). It is named multipart.file.<field>:filetext
// (multipart.file:filetext for a part without a name). Of markup and source code (markupOrCode), only the
// document type declaration is handed on, named
// multipart.file.<field>.doctype. A part is at most the body, which is at
// most body_limit; its text at most half as long again (UTF-16 with a byte
// order mark of characters that take three bytes in UTF-8).
func fileContents(p io.Reader, field string, markup bool) (argument, bool) {
	b, _ := io.ReadAll(p)
	text, ok := fileText(b)
	if !ok {
		return argument{}, false
	}
	name := "multipart.file"
	if field != "" {
		name += "." + field
	}
	if markup {
		d := doctype(text)
		return argument{name + ".doctype", d}, d != ""
	}
	return argument{name + suffixFileText, string(text)}, true
}

// suffixFileText ends the name of a data file's text (fileContents):
// documentExclusions take it out of the command execution rules' targets.
// A client's own argument named so is refused (reservedName); a file
// part's field is checked without it.
const suffixFileText = ":filetext"

// fileTextExclusions take the text of uploaded data files (fileContents)
// out of the targets of the CRS's command execution rules (932xxx) and
// 210151: a notes.md with "Run `ls` then `cat` the file.", a log's
// "WARN retry; sleep 5s", a requirements.txt's python_version>'3.8' are
// what such files hold (932125, 932235 and 210151 refused them: a fifth
// fresh-eyes attack's F13), and a file's contents are not a command line
// (a backend that runs a shell on an uploaded file's lines is not
// covered), nor a file's name for Perl's open() (210158, a command and a
// trailing '|': a file's last line "ls -la|" is text). 210193, 210151's
// commands after a runner or the shell's own words, likewise (attack 54
// saw it read an ASCII text file's "x;A=1 id" and not a UTF-16 one's). Every other rule
// reads them: SQL injection, XSS, traversal
// and OS file names (930120), XXE, template and the gateway's. Loaded
// after the CRS (one id or range a line: Coraza reads only the first).
const fileTextExclusions = `SecRuleUpdateTargetById 932000-932999 "!ARGS:/:filetext$/"
SecRuleUpdateTargetById 210151 "!ARGS:/:filetext$/"
SecRuleUpdateTargetById 210158 "!ARGS:/:filetext$/"
SecRuleUpdateTargetById 210193 "!ARGS:/:filetext$/"
`

// fileText returns the text a backend reads in a file part's bytes, or
// false when they are plainly binary. A fourth fresh-eyes attack passed
// text that a test of 90% printable bytes took for binary: UTF-16 without
// a byte order mark, and text padded with control bytes. So:
//   - UTF-16 (a byte order mark, or the zero bytes of ASCII-range text in
//     one half of at least 90% of the code units: utf16Decode) is decoded;
//   - plainly binary, and not read: a file that starts with the magic
//     number of an image, audio or video, archive, compressed data, a
//     document format (PDF, OLE2, SQLite) or a program (binaryMagic) and
//     has at least 5% of bytes that are neither text nor UTF-8 (a NUL or
//     a byte of an invalid UTF-8 sequence: an image's or an archive's
//     compressed data has about 45%; a CSV behind a GIF header has next
//     to none and is read), and any file with at least 30% of them;
//   - any other is text, control bytes and all, with its NUL bytes taken
//     out (the CRS refuses any NUL in an argument, 920270, and a rule
//     reads UNI\x00ON as a backend that drops them does).
//
// Two passes over b (three for UTF-16).
func fileText(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	bad := 0
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == 0 || r == utf8.RuneError && n == 1 {
			bad++
		}
		i += n
	}
	switch u, utf16 := utf16Decode(b); {
	case bad*20 >= len(b) && binaryMagic(b):
		return nil, false
	case utf16:
		b = u
	case bad*10 >= len(b)*3:
		return nil, false
	}
	if bytes.IndexByte(b, 0) >= 0 {
		b = bytes.ReplaceAll(b, []byte{0}, nil)
	}
	return b, len(b) > 0
}

// binaryMagic: b starts with the magic number of a binary format that is
// uploaded as a file (images, audio and video, archives and compressed
// data, PDF, OLE2 and SQLite documents, programs and fonts).
func binaryMagic(b []byte) bool {
	for _, m := range binaryMagics {
		if len(b) >= m.at+len(m.magic) && string(b[m.at:m.at+len(m.magic)]) == m.magic {
			return true
		}
	}
	return false
}

var binaryMagics = []struct {
	at    int
	magic string
}{
	{0, "\x89PNG\r\n\x1a\n"}, {0, "\xff\xd8\xff"}, {0, "GIF87a"}, {0, "GIF89a"}, {0, "RIFF"}, // PNG, JPEG, GIF, WebP/WAV/AVI
	{0, "II*\x00"}, {0, "MM\x00*"}, {0, "\x00\x00\x01\x00"}, {0, "8BPS"}, {4, "ftyp"}, // TIFF, ICO, PSD, HEIC/AVIF/MP4/MOV
	{0, "\x1a\x45\xdf\xa3"}, {0, "OggS"}, {0, "fLaC"}, {0, "ID3"}, {0, "MThd"}, // WebM/MKV, Ogg, FLAC, MP3, MIDI
	{0, "PK\x03\x04"}, {0, "PK\x05\x06"}, {0, "PK\x07\x08"}, {0, "\x1f\x8b"}, {0, "BZh"}, // ZIP (and docx, xlsx, jar), gzip, bzip2
	{0, "\xfd7zXZ\x00"}, {0, "\x28\xb5\x2f\xfd"}, {0, "7z\xbc\xaf\x27\x1c"}, {0, "Rar!\x1a\x07"}, {257, "ustar"}, // xz, zstd, 7z, RAR, tar
	{0, "%PDF-"}, {0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"}, {0, "SQLite format 3\x00"}, // PDF, OLE2 (doc, xls, msi), SQLite
	{0, "\x7fELF"}, {0, "MZ"}, {0, "\xca\xfe\xba\xbe"}, {0, "\xcf\xfa\xed\xfe"}, {0, "\xce\xfa\xed\xfe"}, {0, "\x00asm"}, // ELF, PE, Mach-O and Java class, wasm
	{0, "wOFF"}, {0, "wOF2"}, {0, "\x00\x01\x00\x00"}, {0, "OTTO"}, // fonts
}

// charsetRule is rule 210174: the CRS's 920480 (a body's charset must be
// one of tx.allowed_request_content_type_charset: utf-8, iso-8859-1,
// iso-8859-15, windows-1252) reads the parameter's name in lowercase
// only, and parameter names are case-insensitive (RFC 9110): a
// thirty-first fresh-eyes attack (attack 35) sent JSON in UTF-7 with
// Content-Type: application/json; Charset=utf-7, which Express's
// body-parser decodes ({"q": "admin+ACc- +AC0-+AC0-"} is admin' --),
// and every payload passed. This reads the parameters of the header's
// value with the name in any case (contentTypeCharsets), in phase 2,
// after the CRS's 901 has set the list (the same list, which a rule of
// the user's may change); a Go transformation, not an expression: RE2's
// memory bound is spent. A second charset in another case is the CRS's
// 920530's (it lowercases).
const charsetRule = `SecRule REQUEST_HEADERS:Content-Type "!@within %{tx.allowed_request_content_type_charset}" "id:210174,phase:2,block,t:none,t:` + contentTypeCharsetsTransformation + `,msg:'Request content type charset is not allowed by policy (the parameter named in any case)',logdata:'%{MATCHED_VAR}',tag:'application-multi',tag:'attack-protocol',tag:'paranoia-level/1',tag:'caddy-gateway',ver:'caddy-gateway',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'"
`

const contentTypeCharsetsTransformation = "gatewayContentTypeCharsets"

func init() {
	plugins.RegisterTransformation(contentTypeCharsetsTransformation, contentTypeCharsets)
}

// contentTypeCharsets is contentTypeCharsetsTransformation: the values of
// the charset parameters of a Content-Type (v), named in any case,
// unquoted and lowercased, each as |value| (the CRS's list's form, for
// @within), separated by spaces; "" (which @within finds in any list)
// when there is none.
func contentTypeCharsets(v string) (string, bool, error) {
	var out []byte
	_, params, _ := strings.Cut(v, ";")
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "charset") {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, '|')
		out = append(out, strings.ToLower(value)...)
		out = append(out, '|')
	}
	return string(out), len(out) > 0, nil
}
