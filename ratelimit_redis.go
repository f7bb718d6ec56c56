package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/gcra"
)

// Cluster mode of throttle: `throttle { backend redis <url> }`. The
// decisions are gcra.RedisZone's; this file adds on_error.

// redisLimiter makes throttle's decisions in Redis.
type redisLimiter struct {
	*gcra.RedisZone
	h       *redisHandle
	allow   bool // on_error allow
	logger  *zap.Logger
	lastLog atomic.Int64 // unix seconds of the last error logged
}

func newRedisLimiter(h *redisHandle, zoneID string, rates []gcra.Rate, allowOnError bool, logger *zap.Logger) *redisLimiter {
	return &redisLimiter{RedisZone: gcra.NewRedisZone(h.Conn, zoneID, rates), h: h, allow: allowOnError, logger: logger}
}

// redisZoneID names a zone's keys: what a zone is called and how it counts,
// so gateways with the same config share buckets and changed rates start
// afresh, as in memory.
func redisZoneID(name, identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return name + ":" + hex.EncodeToString(sum[:6])
}

// failed handles a Redis error by on_error: with allow the request goes on
// (unlimited, proceed), with deny it is refused with 503 (see refuse).
// Errors are logged at most once a second.
func (rl *redisLimiter) failed(w http.ResponseWriter, r *http.Request, zone string, err error) (proceed bool, refusal error) {
	now := time.Now().Unix()
	if last := rl.lastLog.Load(); now != last && rl.lastLog.CompareAndSwap(last, now) {
		rl.logger.Error("throttle: Redis failed; applying on_error", zap.String("zone", zone), zap.String("redis", rl.h.URL),
			zap.Bool("allow", rl.allow), zap.Error(err))
	}
	if rl.allow {
		return true, nil
	}
	w.Header()["Retry-After"] = []string{"1"}
	return false, refuse(w, r, http.StatusServiceUnavailable, "throttle: the rate limiter is unavailable",
		[]byte(`{"error":"rate limiter unavailable","retry_after":1}`+"\n"))
}
