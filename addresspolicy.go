package gateway

import (
	"context"
	"net"
	"net/netip"
	"reflect"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
)

// The address policy's view of the running config: where Caddy's admin
// endpoint and the gateway's own servers listen. Registrations that point
// there are refused (see internal/addrpolicy), so that no registration can
// turn the gateway into a proxy to its own admin endpoint or into a loop.

// adminListeners returns the addresses of the admin endpoint of the config
// being loaded.
//
// Caddy keeps the config a Context belongs to unexported, and offers no
// getter for the admin address; this reads the exported fields of that
// config by reflection, and falls back to Caddy's default address (also what
// Caddy uses when the config names none). TestAdminListenersReadsTheConfig
// fails if a Caddy upgrade changes that shape.
func adminListeners(ctx caddy.Context, logger *zap.Logger) []addrpolicy.Listener {
	listen, disabled := caddy.DefaultAdminListen, false
	if v := reflect.ValueOf(ctx).FieldByName("cfg"); v.IsValid() && v.Kind() == reflect.Pointer && !v.IsNil() {
		admin := v.Elem().FieldByName("Admin")
		if admin.IsValid() && admin.Kind() == reflect.Pointer && !admin.IsNil() {
			if l := admin.Elem().FieldByName("Listen"); l.IsValid() && l.Kind() == reflect.String && l.String() != "" {
				listen = l.String()
			}
			if d := admin.Elem().FieldByName("Disabled"); d.IsValid() && d.Kind() == reflect.Bool {
				disabled = d.Bool()
			}
		}
	} else {
		logger.Warn("cannot read the admin endpoint's address from the config; assuming Caddy's default",
			zap.String("address", listen))
	}
	if disabled {
		return nil
	}
	return listenersOf([]string{listen}, logger)
}

// serverListeners returns the listen addresses of every HTTP server of the
// config, once the http app is provisioned.
func serverListeners(ctx caddy.Context, logger *zap.Logger) []addrpolicy.Listener {
	app, err := ctx.AppIfConfigured("http")
	if err != nil || app == nil {
		return nil
	}
	httpApp, ok := app.(*caddyhttp.App)
	if !ok {
		return nil
	}
	var all []string
	for _, srv := range httpApp.Servers {
		all = append(all, srv.Listen...)
	}
	return listenersOf(all, logger)
}

// listenersOf parses Caddy listen addresses; sockets that are not TCP/UDP
// (unix, fd) cannot be registered anyway and are left out.
func listenersOf(addrs []string, logger *zap.Logger) []addrpolicy.Listener {
	var out []addrpolicy.Listener
	repl := caddy.NewReplacer()
	for _, a := range addrs {
		na, err := caddy.ParseNetworkAddress(repl.ReplaceAll(a, ""))
		if err != nil || na.IsUnixNetwork() || na.IsFdNetwork() || na.StartPort == 0 {
			continue
		}
		lo, hi := uint16(na.StartPort), uint16(na.EndPort)
		if na.Host == "" {
			out = append(out, addrpolicy.Listener{PortLo: lo, PortHi: hi})
			continue
		}
		if ip, err := netip.ParseAddr(na.Host); err == nil {
			out = append(out, addrpolicy.Listener{IP: ip.Unmap(), PortLo: lo, PortHi: hi})
			continue
		}
		ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", na.Host)
		if err != nil {
			logger.Warn("cannot resolve a listen address; registrations of it are refused only by port",
				zap.String("listen", a), zap.Error(err))
			out = append(out, addrpolicy.Listener{PortLo: lo, PortHi: hi})
			continue
		}
		for _, ip := range ips {
			out = append(out, addrpolicy.Listener{IP: ip.Unmap(), PortLo: lo, PortHi: hi})
		}
	}
	return out
}

// localIPs returns the addresses of this host's interfaces.
func localIPs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out
}
