package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddyserver/caddy/v2"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/net/http/httpguts"
)

// jwt_auth's request side: where a token is read from (header, cookie,
// query; shared with token_introspection), and how a verified token's
// claims become placeholders and upstream headers. jwtauth.go holds the
// module.

// buildSources prepares where tokens are read from and which headers carry
// claims upstream.
func (j *JWTAuth) buildSources() {
	j.sources = j.From
	if len(j.sources) == 0 {
		j.sources = []TokenSource{{Type: "header", Name: "Authorization"}}
	}
	j.sourceNames = make([]string, len(j.sources))
	for i, s := range j.sources {
		j.sourceNames[i] = caddykit.CredentialSourceOf(s.Type, s.Name)
		switch s.Type {
		case "header":
			j.sources[i].Name = http.CanonicalHeaderKey(s.Name)
		}
	}
	j.headers = make([]ClaimHeader, len(j.ClaimHeaders))
	for i, ch := range j.ClaimHeaders {
		j.headers[i] = ClaimHeader{Claim: ch.Claim, Header: http.CanonicalHeaderKey(ch.Header)}
		j.claimHeaderNames = append(j.claimHeaderNames, strings.ReplaceAll(strings.ToLower(ch.Header), "_", "-"))
	}
}

// stripClaimHeaders removes every request header that an upstream could
// take for one of the claim headers: the name in any case, and with '_'
// for '-' (CGI, PHP, nginx and others fold both into one name).
func (j *JWTAuth) stripClaimHeaders(h http.Header) {
	if len(j.claimHeaderNames) == 0 {
		return
	}
	for name := range h {
		if j.isClaimHeader(name) {
			delete(h, name)
		}
	}
}

func (j *JWTAuth) isClaimHeader(name string) bool {
	for _, want := range j.claimHeaderNames {
		if len(name) != len(want) {
			continue
		}
		same := true
		for i := 0; i < len(name) && same; i++ {
			c := name[i]
			if c == '_' {
				c = '-'
			} else if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			same = c == want[i]
		}
		if same {
			return true
		}
	}
	return false
}

// extract returns the token the request carries. A request that carries
// two different tokens (two Authorization headers, or a header token and a
// different cookie or query token) is ambiguous: which one an upstream
// reads is anyone's guess, so it is refused rather than guessed.
func (j *JWTAuth) extract(r *http.Request) (token string, src int, ambiguous bool) {
	return extractToken(j.sources, r)
}

// extractToken is extract for any list of sources (header names
// canonical), shared by jwt_auth and token_introspection.
func extractToken(sources []TokenSource, r *http.Request) (token string, src int, ambiguous bool) {
	for i, s := range sources {
		var tok string
		var dup bool
		switch s.Type {
		case "header":
			switch vals := r.Header[s.Name]; len(vals) {
			case 0:
			case 1:
				tok = tokenFromHeader(vals[0])
			default:
				dup = true // two headers of one name: never guess which counts
			}
		case "cookie":
			tok, dup = cookieValue(r.Header["Cookie"], s.Name)
		case "query":
			tok, dup = queryValue(r.URL.RawQuery, s.Name)
		}
		if dup {
			return "", 0, true
		}
		if tok == "" {
			continue
		}
		if token != "" && tok != token {
			return "", 0, true
		}
		if token == "" {
			src = i
		}
		token = tok
	}
	return token, src, false
}

// tokenFromHeader reads `Bearer <token>` (any case) or a bare token. Another
// scheme (e.g. Basic) is not a token.
func tokenFromHeader(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	if strings.ContainsAny(v, " \t") {
		return ""
	}
	return v
}

// cookieValue returns the value of the cookie name, and whether the request
// sends that cookie more than once with different values.
func cookieValue(lines []string, name string) (value string, dup bool) {
	found := false
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			if !ok || k != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if found && v != value {
				return "", true
			}
			value, found = v, true
		}
	}
	return value, false
}

// queryValue returns the value of the query parameter name, and whether
// the query holds it more than once with different values.
func queryValue(raw, name string) (value string, dup bool) {
	found := false
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			un, err := url.QueryUnescape(v)
			if err != nil {
				return "", true // unreadable: never guess
			}
			v = un
		}
		if found && v != value {
			return "", true
		}
		value, found = v, true
	}
	return value, false
}

// verifiedToken is what the request path needs of a verified token.
type verifiedToken struct {
	vars     map[string]any     // "http.auth.user.<claim>" -> value
	realm    any                // caddykit.AuthRealmVar: "jwt_auth" and the token's iss (boxed once)
	provider caddy.ReplacerFunc // serves vars; made once, so no request allocates it
	headers  []string           // claim header values, "" when absent or unsafe

	// consumer_claim: whether the token has the claim, and its value when
	// it is a non-empty string ("" otherwise)
	hasConsumer bool
	consumer    string
}

// consumerPlaceholder tells the placeholders only a consumer sets
// (bindConsumer, api_key): a token's claims of these names never fill
// them, so that a token cannot pass for a consumer, a plan, a key or a
// consumer's metadata to what follows.
func consumerPlaceholder(key string) bool {
	rest, ok := strings.CutPrefix(key, userPrefix)
	if !ok {
		return false
	}
	switch rest {
	case "consumer", "plan", "key_id", "metadata":
		return true
	}
	return strings.HasPrefix(rest, "metadata.")
}

const userPrefix = "http.auth.user."

func (j *JWTAuth) newVerified(claims jwt.MapClaims) *verifiedToken {
	v := &verifiedToken{
		vars:    make(map[string]any, len(claims)+1),
		headers: make([]string, len(j.headers)),
	}
	for name, val := range claims {
		v.vars[userPrefix+name] = claimString(val)
	}
	// {http.auth.user.id} is set whenever a token was accepted, to "" when
	// it has no sub (service tokens): it marks the request authenticated
	// (response_cache then never shares a per-caller answer with it).
	v.vars[userPrefix+"id"] = ""
	v.realm = "jwt_auth\x00" + claimString(claims["iss"])
	if sub, ok := v.vars[userPrefix+"sub"]; ok {
		v.vars[userPrefix+"id"] = sub
	}
	for i, h := range j.headers {
		if s, ok := v.vars[userPrefix+h.Claim].(string); ok && httpguts.ValidHeaderFieldValue(s) {
			v.headers[i] = s
		}
	}
	if j.ConsumerClaim != "" {
		var raw any
		raw, v.hasConsumer = claims[j.ConsumerClaim]
		v.consumer, _ = raw.(string)
	}
	vars := v.vars
	v.provider = func(key string) (any, bool) {
		if consumerPlaceholder(key) {
			return nil, false
		}
		val, ok := vars[key]
		return val, ok
	}
	return v
}

// claimString renders a claim for placeholders and headers.
func claimString(val any) string {
	switch x := val.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				b, _ := json.Marshal(x)
				return string(b)
			}
			parts = append(parts, claimString(e))
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(val)
	return string(b)
}
