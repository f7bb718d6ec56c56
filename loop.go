package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	"go.uber.org/zap"
)

// Loop detection. A registration that leads back to the gateway (directly,
// through a host name, or through another proxy) would turn one request
// into an endless chain of requests. The address policy refuses the obvious
// cases at registration; this catches the rest: every request the registry
// upstream source proxies carries this process's hop marker, and a request
// that arrives with it already passed through this gateway. It is answered
// 508 Loop Detected at once.

// hopHeader carries the markers of the gateways a request passed through.
const hopHeader = "Caddy-Gateway-Hop"

// hopVar marks, in the request's vars, that this request was marked here
// (reverse_proxy asks for upstreams again on each retry).
const hopVar = "caddy_gateway.hop_marked"

// hopToken is this process's marker: random, so that it names one process.
var hopToken = func() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// markHop adds this gateway's marker to a request about to be proxied and
// reports whether the request had passed through this gateway before.
func markHop(r *http.Request) (loop bool) {
	vars, ok := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	if !ok {
		return false // not inside a Caddy server: nothing to remember the mark in
	}
	if marked, _ := vars[hopVar].(bool); marked {
		return false
	}
	vals := r.Header[hopHeader]
	if slices.Contains(vals, hopToken) {
		return true
	}
	// a fresh slice: header_up may edit value slices in place
	r.Header[hopHeader] = append(vals[:len(vals):len(vals)], hopToken)
	vars[hopVar] = true
	return false
}

// loopRefuser answers every request with 508. reverse_proxy has no way to
// answer a request from an upstream source, so the source hands it this
// upstream instead: a listener on loopback, started the first time a loop
// is seen, for the life of the process.
var loopRefuser struct {
	once sync.Once
	addr string
}

func loopUpstreams() []*reverseproxy.Upstream {
	loopRefuser.once.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			caddy.Log().Named("registry").Error("cannot start the loop refuser", zap.Error(err))
			return
		}
		loopRefuser.addr = ln.Addr().String()
		srv := &http.Server{
			ReadHeaderTimeout: 5 * time.Second,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusLoopDetected)
				_, _ = w.Write([]byte(`{"error":"loop detected: this request already passed through this gateway; a registered address leads back to it"}` + "\n"))
			}),
		}
		go func() { _ = srv.Serve(ln) }()
	})
	if loopRefuser.addr == "" {
		return nil // 503, as for a service without instances
	}
	return []*reverseproxy.Upstream{{Dial: loopRefuser.addr}}
}
