// Package caddykit holds what the gateway's Caddy layer (the root package
// and the modules under modules/) shares: refusals that go through
// handle_errors, placeholder templates checked at adapt time, and small
// response-writer helpers. It is Caddy-layer code, not an engine: engines
// under internal/ import nothing of Caddy; this package is the exception
// that exists so the module packages need not import the root.
package caddykit

import (
	"errors"
	"io"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Refuse ends a request that a handler of this plugin refuses (401, 429,
// 503). When the request's server has error routes (handle_errors), it
// returns a caddyhttp.Error, as Caddy's own handlers do, so those routes
// answer and {err.status_code} and {err.message} work there; the headers
// the handler set (WWW-Authenticate, Retry-After, RateLimit) stay on the
// response. Without error routes it writes the handler's own JSON body.
//
// Every header value it sets is a fresh slice: a response's header map must
// never hold a slice shared with another response, since Caddy's `header`
// directive edits values in place.
func Refuse(w http.ResponseWriter, r *http.Request, status int, msg string, body []byte) error {
	w.Header()["Cache-Control"] = []string{"no-store"}
	if HasErrorRoutes(r) {
		return caddyhttp.Error(status, errors.New(msg))
	}
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// HasErrorRoutes reports whether the server handling r has handle_errors
// routes that would take this request: a server shared by several sites
// has the error routes of each, behind host matchers, and a site without
// handle_errors keeps the plugin's own answers.
func HasErrorRoutes(r *http.Request) bool {
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

// CloseUnread marks a refusal answered before the request's body was
// read: on HTTP/1 the connection cannot carry another request, and saying
// so makes Go's server send the answer at once. Caddy wraps a site's
// request bodies, which hides an Expect: 100-continue from Go's server:
// without Connection: close it would try to drain the body before
// answering, waiting for a body the client, waiting for "100 Continue",
// never sends. (HTTP/2 has no Connection field and needs none: a stream is
// reset.)
func CloseUnread(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		w.Header()["Connection"] = []string{"close"}
	}
}

// WriteOnly hides every method of a writer but Write: io.Copy through it
// never takes a ReaderFrom of the writer underneath (a response wrapper's
// ReadFrom would hand the body past the wrapper).
type WriteOnly struct{ io.Writer }
