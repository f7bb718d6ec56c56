package caddykit

import (
	"net/url"
	"strings"
)

// credentialParams are query parameters that commonly carry a credential.
// Their values never reach a log line the plugin writes, nor do those of
// the query parameters the loaded modules read credentials from
// (AddCredentialSources: jwt_auth's `from query`, response_cache's
// `credentials query`).
var credentialParams = []string{
	"access_token", "id_token", "refresh_token", "token", "jwt", "auth", "authorization",
	"api_key", "apikey", "api-key", "key", "password", "passwd", "secret", "client_secret", "code", "sig", "signature",
}

// RedactURI is the request's path and query as sent, with the values of
// credential-bearing query parameters replaced by REDACTED.
func RedactURI(u *url.URL) string {
	path := u.EscapedPath()
	if u.RawQuery == "" {
		return path
	}
	return path + "?" + RedactQuery(u.RawQuery)
}

// RedactURL is a URL or request target (as response_cache keeps them) with
// the values of credential-bearing query parameters replaced by REDACTED.
func RedactURL(s string) string {
	base, query, ok := strings.Cut(s, "?")
	if !ok {
		return s
	}
	return base + "?" + RedactQuery(query)
}

// RedactQuery replaces the values of credential-bearing parameters of a raw
// query string, keeping everything else as it is.
func RedactQuery(raw string) string {
	extra := credentials.current().Query
	var b strings.Builder
	b.Grow(len(raw))
	for raw != "" {
		// ';' separates parameters for some servers, as '&' does
		i := strings.IndexAny(raw, "&;")
		part, sep := raw, ""
		if i >= 0 {
			part, sep, raw = raw[:i], raw[i:i+1], raw[i+1:]
		} else {
			raw = ""
		}
		k, _, hasValue := strings.Cut(part, "=")
		if hasValue && isCredentialParam(normalizeParamName(k), extra) {
			b.WriteString(k)
			b.WriteString("=REDACTED")
		} else {
			b.WriteString(part)
		}
		b.WriteString(sep)
	}
	return b.String()
}

func isCredentialParam(name string, extra []string) bool {
	for _, p := range extra {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	for _, p := range credentialParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}
