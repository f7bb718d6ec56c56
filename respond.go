package gateway

import (
	"net/http"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
	"github.com/caddygateway/caddy-gateway/internal/traffic"
)

// retryAfterSeconds is a wait in ns as whole seconds, rounded up, for
// Retry-After.
func retryAfterSeconds(wait int64) int64 {
	return (wait + int64(time.Second) - 1) / int64(time.Second)
}

// refuse is caddykit.Refuse, noting 401s and 429s for the dashboard's
// traffic (traffic.go).
func refuse(w http.ResponseWriter, r *http.Request, status int, msg string, body []byte) error {
	switch status {
	case http.StatusUnauthorized:
		trafficRefused(r, traffic.Refused401)
	case http.StatusTooManyRequests:
		trafficRefused(r, traffic.Refused429)
	}
	return caddykit.Refuse(w, r, status, msg, body)
}

// The Caddy layer's shared helpers, by the names this package uses.
var (
	closeUnread   = caddykit.CloseUnread
	checkTemplate = caddykit.CheckTemplate
)
