package gateway

import (
	"time"

	"github.com/caddygateway/caddy-gateway/internal/caddykit"
)

// retryAfterSeconds is a wait in ns as whole seconds, rounded up, for
// Retry-After.
func retryAfterSeconds(wait int64) int64 {
	return (wait + int64(time.Second) - 1) / int64(time.Second)
}

// The Caddy layer's shared helpers, by the names this package uses.
var (
	refuse        = caddykit.Refuse
	closeUnread   = caddykit.CloseUnread
	checkTemplate = caddykit.CheckTemplate
)

// writeOnly hides every method of a writer but Write (caddykit.WriteOnly).
type writeOnly = caddykit.WriteOnly
