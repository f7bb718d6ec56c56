package gateway

import (
	"errors"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// refuse ends a request that a handler of this plugin refuses (401, 429,
// 503). When the request's server has error routes (handle_errors), it
// returns a caddyhttp.Error, as Caddy's own handlers do, so those routes
// answer and {err.status_code} and {err.message} work there; the headers
// the handler set (WWW-Authenticate, Retry-After, RateLimit) stay on the
// response. Without error routes it writes the handler's own JSON body.
//
// Every header value it sets is a fresh slice: a response's header map must
// never hold a slice shared with another response, since Caddy's `header`
// directive edits values in place.
func refuse(w http.ResponseWriter, r *http.Request, status int, msg string, body []byte) error {
	w.Header()["Cache-Control"] = []string{"no-store"}
	if hasErrorRoutes(r) {
		return caddyhttp.Error(status, errors.New(msg))
	}
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// hasErrorRoutes reports whether the server handling r has handle_errors
// routes that would take this request: a server shared by several sites
// has the error routes of each, behind host matchers, and a site without
// handle_errors keeps the plugin's own answers.
func hasErrorRoutes(r *http.Request) bool {
	srv, _ := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	if srv == nil || srv.Errors == nil {
		return false
	}
	for _, route := range srv.Errors.Routes {
		if len(route.MatcherSets) == 0 {
			return true
		}
		if ok, err := route.MatcherSets.AnyMatchWithError(r); ok && err == nil {
			return true
		}
	}
	return false
}

// retryAfterSeconds is a wait in ns as whole seconds, rounded up, for
// Retry-After.
func retryAfterSeconds(wait int64) int64 {
	return (wait + int64(time.Second) - 1) / int64(time.Second)
}
