package gateway

import (
	"net/url"
	"strings"
)

// credentialParams are query parameters that commonly carry a credential.
// Their values never reach a log line the plugin writes; jwt_auth adds the
// query parameters it reads tokens from.
var credentialParams = []string{
	"access_token", "id_token", "refresh_token", "token", "jwt", "auth", "authorization",
	"api_key", "apikey", "key", "password", "passwd", "secret", "client_secret", "code", "sig", "signature",
}

// redactURI is the request's path and query as sent, with the values of
// credential-bearing query parameters replaced by REDACTED.
func redactURI(u *url.URL, extra ...string) string {
	path := u.EscapedPath()
	if u.RawQuery == "" {
		return path
	}
	return path + "?" + redactQuery(u.RawQuery, extra)
}

// redactQuery replaces the values of credential-bearing parameters of a raw
// query string, keeping everything else as it is.
func redactQuery(raw string, extra []string) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i, part := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, _, hasValue := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && isCredentialParam(name, extra) {
			b.WriteString(k)
			b.WriteString("=REDACTED")
			continue
		}
		b.WriteString(part)
	}
	return b.String()
}

func isCredentialParam(name string, extra []string) bool {
	for _, p := range extra {
		if name == p {
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
