// Package addrpolicy decides which network addresses a service may register
// with the gateway: the rules that keep a registration from pointing the
// gateway back at itself (its admin endpoint, its own listeners) or at
// addresses that are never services (link-local cloud metadata endpoints,
// unspecified and multicast addresses), plus the operator's allow and deny
// ranges.
//
// It knows nothing of Caddy or HTTP: the Caddy layer fills a Policy from the
// running config and maps the errors to statuses.
package addrpolicy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// Origin is the path a registration came through.
type Origin uint8

const (
	// Admin is Caddy's admin endpoint: processes on the gateway's host.
	Admin Origin = iota
	// Site is the registry_api handler on a site route: remote services.
	Site
)

func (o Origin) String() string {
	if o == Site {
		return "registry_api"
	}
	return "admin"
}

// Listener is an address the gateway itself listens on: one IP (or every
// interface, when IP is not valid) and a range of ports.
type Listener struct {
	IP             netip.Addr
	PortLo, PortHi uint16
}

func (l Listener) String() string {
	host := "*"
	if l.IP.IsValid() {
		host = l.IP.String()
	}
	if l.PortLo == l.PortHi {
		return net.JoinHostPort(host, strconv.Itoa(int(l.PortLo)))
	}
	return net.JoinHostPort(host, fmt.Sprintf("%d-%d", l.PortLo, l.PortHi))
}

// Policy is the set of rules an address must pass. The zero Policy applies
// only the fixed rules (unspecified, link-local, multicast; loopback only
// from the admin endpoint).
type Policy struct {
	// Allow, when not empty, lists the only ranges an address may be in. A
	// loopback address registered through registry_api must be in a range
	// that is itself a loopback range (127.0.0.0/8, ::1/128, ...).
	Allow []netip.Prefix
	// Deny lists ranges that are refused; deny wins over allow.
	Deny []netip.Prefix
	// Admin is the address of Caddy's admin endpoint.
	Admin []Listener
	// Own are the gateway's listeners.
	Own []Listener
	// LocalIPs are the addresses of this host's interfaces: a listener on
	// every interface is reached through any of them.
	LocalIPs []netip.Addr
	// Resolve looks a host name up; nil uses the system's resolver.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// ResolveTimeout bounds a lookup. Default: 2s.
	ResolveTimeout time.Duration
}

// RefusedError is an address that a rule refuses. Rule is a short stable
// name of the rule, for clients and logs.
type RefusedError struct {
	Address string
	IP      netip.Addr
	Rule    string
	Reason  string
}

func (e *RefusedError) Error() string {
	if e.IP.IsValid() && e.IP.String() != hostOf(e.Address) {
		return fmt.Sprintf("address %q (%s) is refused by the rule %q: %s", e.Address, e.IP, e.Rule, e.Reason)
	}
	return fmt.Sprintf("address %q is refused by the rule %q: %s", e.Address, e.Rule, e.Reason)
}

// ResolveError is a host name that could not be looked up.
type ResolveError struct {
	Address string
	Err     error
}

func (e *ResolveError) Error() string {
	return fmt.Sprintf("address %q: the host name does not resolve (%v); register an IP address or a name this gateway can resolve", e.Address, e.Err)
}

func (e *ResolveError) Unwrap() error { return e.Err }

func hostOf(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return h
}

// Check resolves hostport (host:port; the host an IP address or a name) and
// checks every address it resolves to. It returns those addresses, so a
// caller can connect to exactly what was checked.
func (p *Policy) Check(ctx context.Context, hostport string, origin Origin) ([]netip.Addr, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("address %q is not host:port: %w", hostport, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("address %q: bad port: %w", hostport, err)
	}
	ips, err := p.resolve(ctx, host)
	if err != nil {
		return nil, &ResolveError{Address: hostport, Err: err}
	}
	if len(ips) == 0 {
		return nil, &ResolveError{Address: hostport, Err: errors.New("no addresses")}
	}
	for i, ip := range ips {
		ip = ip.Unmap().WithZone("")
		ips[i] = ip
		if err := p.checkIP(hostport, ip, uint16(port), origin, false); err != nil {
			return nil, err
		}
		// an IPv6 address that a translator on the way turns into an IPv4
		// one reaches that IPv4 address: it passes the rules as it too
		for _, v4 := range EmbeddedIPv4(ip) {
			if err := p.checkIP(hostport, v4, uint16(port), origin, true); err != nil {
				return nil, err
			}
		}
	}
	return ips, nil
}

func (p *Policy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	timeout := p.ResolveTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if p.Resolve != nil {
		return p.Resolve(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// checkIP applies the rules to one address. embedded is an IPv4 address
// found inside the IPv6 one registered: the allow ranges were checked
// against the IPv6 address itself, every other rule applies to both.
func (p *Policy) checkIP(addr string, ip netip.Addr, port uint16, origin Origin, embedded bool) error {
	refuse := func(rule, reason string) error {
		if embedded {
			reason = "it carries the IPv4 address " + ip.String() + " (IPv4-compatible, NAT64, SIIT, 6to4 or Teredo form), and " + reason
		}
		return &RefusedError{Address: addr, IP: ip, Rule: rule, Reason: reason}
	}
	switch {
	case ip.IsUnspecified():
		return refuse("unspecified", "0.0.0.0 and :: are not addresses of a service")
	case ip.IsLinkLocalUnicast():
		return refuse("link_local", "link-local addresses (169.254.0.0/16, fe80::/10) hold cloud metadata services and are never registered")
	case ip.IsMulticast():
		return refuse("multicast", "multicast addresses are not addresses of a service")
	}
	for _, l := range p.Admin {
		if p.reaches(l, ip, port) {
			return refuse("admin_endpoint", "it is Caddy's admin endpoint ("+l.String()+")")
		}
	}
	for _, l := range p.Own {
		if p.reaches(l, ip, port) {
			return refuse("own_listener", "it is one of this gateway's own listeners ("+l.String()+"); the gateway would proxy to itself")
		}
	}
	for _, d := range p.Deny {
		if d.Contains(ip) {
			return refuse("deny", "it is in service_registry deny "+d.String())
		}
	}
	if !embedded && len(p.Allow) > 0 && !containsAny(p.Allow, ip, false) {
		return refuse("allow", "it is in none of the ranges of service_registry allow")
	}
	if ip.IsLoopback() && origin == Site && !containsAny(p.Allow, ip, true) {
		return refuse("loopback", "loopback addresses are accepted only on the admin endpoint; to accept them through registry_api, name them in service_registry allow (e.g. allow 127.0.0.1/32)")
	}
	return nil
}

// Well-known IPv6 ranges whose addresses carry an IPv4 address that a
// translator on the path (NAT64, SIIT, a 6to4 or Teredo relay) connects to.
var (
	compatible  = netip.MustParsePrefix("::/96")           // IPv4-compatible (RFC 4291, deprecated)
	siit        = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT's IPv4-translated (RFC 2765)
	nat64       = netip.MustParsePrefix("64:ff9b::/96")    // NAT64's well-known prefix (RFC 6052)
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48")  // NAT64's local-use prefix (RFC 8215)
	sixToFour   = netip.MustParsePrefix("2002::/16")       // 6to4 (RFC 3056)
	teredo      = netip.MustParsePrefix("2001::/32")       // Teredo (RFC 4380)
	loopback6   = netip.IPv6Loopback()
	unspecified = netip.IPv6Unspecified()
)

// EmbeddedIPv4 returns the IPv4 addresses an IPv6 address carries in the
// well-known translation forms: IPv4-compatible (::a.b.c.d), SIIT
// (::ffff:0:a.b.c.d), NAT64's well-known 64:ff9b::/96 and, in every
// position RFC 6052 allows its prefix lengths, its local-use 64:ff9b:1::/48,
// 6to4 (2002:AABB:CCDD::/48) and Teredo (its server and its obfuscated
// client). IPv4-mapped addresses (::ffff:a.b.c.d) are unmapped before the
// rules; a network-specific NAT64 prefix is the operator's to deny.
func EmbeddedIPv4(ip netip.Addr) []netip.Addr {
	if !ip.Is6() || ip.Is4In6() {
		return nil
	}
	b := ip.As16()
	v4 := func(x []byte) netip.Addr { return netip.AddrFrom4([4]byte(x)) }
	switch {
	case ip == loopback6 || ip == unspecified:
		return nil
	case compatible.Contains(ip), siit.Contains(ip), nat64.Contains(ip):
		return []netip.Addr{v4(b[12:16])}
	case nat64Local.Contains(ip):
		// RFC 6052 2.2: the IPv4 address after a /48, /56, /64 or /96
		// prefix, skipping bits 64-71 (the "u" octet); which length the
		// network uses is not known here, so every position counts, but
		// the zeros of the positions it does not use are not an address
		var out []netip.Addr
		for _, a := range []netip.Addr{
			v4([]byte{b[6], b[7], b[9], b[10]}),
			v4([]byte{b[7], b[9], b[10], b[11]}),
			v4(b[9:13]),
			v4(b[12:16]),
		} {
			if !a.IsUnspecified() {
				out = append(out, a)
			}
		}
		return out
	case sixToFour.Contains(ip):
		return []netip.Addr{v4(b[2:6])}
	case teredo.Contains(ip):
		return []netip.Addr{v4(b[4:8]), v4([]byte{^b[12], ^b[13], ^b[14], ^b[15]})}
	}
	return nil
}

// reaches reports whether a connection to ip:port lands on listener l.
func (p *Policy) reaches(l Listener, ip netip.Addr, port uint16) bool {
	if port < l.PortLo || port > l.PortHi {
		return false
	}
	if l.IP.IsValid() && !l.IP.IsUnspecified() {
		return l.IP.Unmap() == ip
	}
	// every interface: any loopback address or any address of this host
	if ip.IsLoopback() {
		return true
	}
	for _, local := range p.LocalIPs {
		if local.Unmap() == ip {
			return true
		}
	}
	return false
}

func containsAny(prefixes []netip.Prefix, ip netip.Addr, loopbackOnly bool) bool {
	for _, pr := range prefixes {
		if pr.Contains(ip) && (!loopbackOnly || pr.Addr().IsLoopback()) {
			return true
		}
	}
	return false
}

// ParsePrefix reads a CIDR range, or a single address as a range of one.
func ParsePrefix(s string) (netip.Prefix, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		ip = ip.Unmap()
		return netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an IP address nor a CIDR range such as 10.0.0.0/8", s)
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("%q mixes IPv4-mapped and plain IPv6 addresses; write the IPv4 range", s)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}
