package responsecache

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

// adminResponseCacheAPI purges response_cache entries on Caddy's admin
// endpoint:
//
//	DELETE /response_cache/            everything
//	DELETE /response_cache/?url=<url>  what is stored for one URL (every caller's and variant)
//	DELETE /response_cache/?tag=<tag>  what its upstream tagged (Cache-Tag, Surrogate-Key)
//
// It answers 200 with {"purged": <entries dropped from memory>}; with
// backend redis the purge also reaches Redis and every other gateway. Like
// every admin module it holds no state: Caddy creates it anew on every
// config load and never cleans it up.
type adminResponseCacheAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminResponseCacheAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.response_cache",
		New: func() caddy.Module { return new(adminResponseCacheAPI) },
	}
}

// Routes returns the purge route.
func (adminResponseCacheAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/response_cache/", Handler: caddy.AdminHandlerFunc(servePurge)}}
}

func servePurge(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodDelete {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("purge with DELETE, not %s", r.Method)}
	}
	if r.URL.Path != "/response_cache/" {
		return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: fmt.Errorf("no such path: %s (purge at /response_cache/)", r.URL.Path)}
	}
	q := r.URL.Query()
	for k := range q {
		if k != "url" && k != "tag" {
			return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("unknown parameter %q: use url=<url> or tag=<tag>", k)}
		}
	}
	if len(q["url"]) > 1 || len(q["tag"]) > 1 || (q.Has("url") && q.Has("tag")) {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("give one url or one tag per purge")}
	}
	kind, arg := purgeAll, ""
	switch {
	case q.Has("url"):
		u, err := purgeTarget(q.Get("url"))
		if err != nil {
			return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
		}
		kind, arg = purgeURL, u
	case q.Has("tag"):
		arg = strings.TrimSpace(q.Get("tag"))
		if arg == "" || len(arg) > 1024 {
			return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("tag must be 1 to 1024 characters")}
		}
		kind = purgeTag
	}
	n := 0
	var sharedErr error
	stores().Range(func(_, v any) bool {
		s, ok := v.(*cacheStore)
		if !ok {
			return true
		}
		switch kind {
		case purgeURL:
			n += s.mem.InvalidateURL(arg)
		case purgeTag:
			n += s.mem.PurgeTag(arg)
		default:
			n += s.mem.PurgeAll()
		}
		if s.shared != nil {
			msg, _ := json.Marshal(purgeMessage{Kind: kind, Arg: arg})
			if _, err := s.shared.purgeNow(r.Context(), kind, arg, msg); err != nil {
				sharedErr = err
			}
		}
		return true
	})
	if sharedErr != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadGateway, Err: fmt.Errorf("purged %d entries here, but not in Redis: %v", n, sharedErr)}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]int{"purged": n})
}

// purgeTarget reads the url parameter: an absolute http(s) URL, as clients
// request it, put in the form entries are stored under.
func purgeTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("url must be an absolute http:// or https:// URL such as http://localhost:8080/hello, not %q", raw)
	}
	target := u.RequestURI()
	if u.Opaque != "" || u.User != nil {
		return "", fmt.Errorf("url must be an absolute http:// or https:// URL without user info, not %q", raw)
	}
	return canonicalURL(u.Scheme, u.Host, target), nil
}

var _ caddy.AdminRouter = (*adminResponseCacheAPI)(nil)
