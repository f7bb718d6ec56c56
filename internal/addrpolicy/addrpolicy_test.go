package addrpolicy

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	p := &Policy{
		Admin:    []Listener{{IP: netip.MustParseAddr("127.0.0.1"), PortLo: 2019, PortHi: 2019}, {IP: netip.MustParseAddr("::1"), PortLo: 2019, PortHi: 2019}},
		Own:      []Listener{{PortLo: 8443, PortHi: 8443}, {IP: netip.MustParseAddr("10.1.2.3"), PortLo: 9000, PortHi: 9010}},
		LocalIPs: []netip.Addr{netip.MustParseAddr("192.0.2.7")},
		Deny:     []netip.Prefix{mustPrefix(t, "198.51.100.0/24")},
		Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "localhost":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}, nil
			case "metadata.internal":
				return []netip.Addr{netip.MustParseAddr("203.0.113.5"), netip.MustParseAddr("169.254.169.254")}, nil
			case "svc.example":
				return []netip.Addr{netip.MustParseAddr("203.0.113.9")}, nil
			}
			return nil, errors.New("no such host")
		},
	}
	cases := []struct {
		addr   string
		origin Origin
		rule   string // "" accepted, "resolve" a ResolveError
	}{
		{"203.0.113.9:80", Site, ""},
		{"svc.example:80", Site, ""},
		{"127.0.0.1:9090", Admin, ""},
		{"[::1]:9090", Admin, ""},
		{"localhost:9090", Admin, ""},
		{"127.0.0.1:9090", Site, "loopback"},
		{"127.9.9.9:9090", Site, "loopback"},
		{"localhost:9090", Site, "loopback"},
		{"[::ffff:127.0.0.1]:9090", Site, "loopback"},
		{"127.0.0.1:2019", Admin, "admin_endpoint"},
		{"localhost:2019", Admin, "admin_endpoint"},
		{"[::1]:2019", Admin, "admin_endpoint"},
		{"[::ffff:127.0.0.1]:2019", Admin, "admin_endpoint"},
		{"127.0.0.2:2019", Admin, ""}, // the admin endpoint listens on 127.0.0.1 only
		{"127.0.0.1:8443", Admin, "own_listener"},
		{"127.0.0.5:8443", Admin, "own_listener"},
		{"192.0.2.7:8443", Site, "own_listener"},
		{"10.1.2.3:9005", Site, "own_listener"},
		{"10.1.2.3:9011", Site, ""},
		{"169.254.169.254:80", Admin, "link_local"},
		{"[::ffff:169.254.169.254]:80", Admin, "link_local"},
		{"[::ffff:a9fe:a9fe]:80", Site, "link_local"},
		{"[fe80::1]:80", Admin, "link_local"},
		{"0.0.0.0:80", Admin, "unspecified"},
		{"[::]:80", Admin, "unspecified"},
		{"224.0.0.1:80", Admin, "multicast"},
		{"[ff02::1]:80", Admin, "multicast"},
		{"198.51.100.20:80", Admin, "deny"},
		{"metadata.internal:80", Site, "link_local"},
		// IPv4 inside IPv6 forms a translator turns back into IPv4 (a
		// fresh-eyes attack registered each of these before)
		{"[::169.254.169.254]:80", Admin, "link_local"},
		{"[64:ff9b::169.254.169.254]:80", Admin, "link_local"},
		{"[64:ff9b::a9fe:a9fe]:80", Site, "link_local"},
		{"[::ffff:0:169.254.169.254]:80", Admin, "link_local"},
		{"[2002:a9fe:a9fe::1]:80", Admin, "link_local"},
		{"[::224.0.0.1]:80", Admin, "multicast"},
		{"[::127.0.0.1]:2019", Admin, "admin_endpoint"},
		{"[::127.0.0.1]:9090", Site, "loopback"},
		{"[64:ff9b::127.0.0.1]:9090", Site, "loopback"},
		{"[64:ff9b::0.0.0.0]:80", Site, "unspecified"},
		{"[64:ff9b::198.51.100.20]:80", Admin, "deny"},
		{"[::198.51.100.20]:80", Admin, "deny"},
		{"[2002:c633:6414::1]:80", Admin, "deny"},
		{"[64:ff9b:1:a9fe:a9fe::]:80", Admin, "link_local"},      // local-use NAT64, /48
		{"[64:ff9b:1:00a9:00fe:a9fe::]:80", Admin, "link_local"}, // /56
		{"[64:ff9b:1::a9:fea9:fe00:0]:80", Admin, "link_local"},  // /64
		{"[64:ff9b:1::a9fe:a9fe]:80", Admin, "link_local"},       // /96
		// Teredo: server 192.0.2.1, client 169.254.169.254 (obfuscated)
		{"[2001:0:c000:201::5601:5601]:80", Admin, "link_local"},
		{"[64:ff9b::203.0.113.9]:80", Site, ""}, // a public address through NAT64
		{"[2002:cb00:7109::1]:80", Site, ""},
		{"[2001:db8::127.0.0.1]:80", Site, ""}, // documentation range: no IPv4 in it
		{"nowhere.invalid:80", Site, "resolve"},
	}
	for _, c := range cases {
		_, err := p.Check(context.Background(), c.addr, c.origin)
		var refused *RefusedError
		var unresolved *ResolveError
		switch {
		case c.rule == "" && err != nil:
			t.Errorf("%s via %s: refused: %v", c.addr, c.origin, err)
		case c.rule == "resolve" && !errors.As(err, &unresolved):
			t.Errorf("%s via %s: %v, want a ResolveError", c.addr, c.origin, err)
		case c.rule != "" && c.rule != "resolve" && (!errors.As(err, &refused) || refused.Rule != c.rule):
			t.Errorf("%s via %s: %v, want refused by %q", c.addr, c.origin, err, c.rule)
		}
	}
}

func TestAllowList(t *testing.T) {
	p := &Policy{Allow: []netip.Prefix{mustPrefix(t, "10.0.0.0/8"), mustPrefix(t, "127.0.0.1")}, Deny: []netip.Prefix{mustPrefix(t, "10.9.0.0/16")}}
	for addr, rule := range map[string]string{
		"10.1.1.1:80":    "",
		"10.9.1.1:80":    "deny", // deny wins
		"192.0.2.1:80":   "allow",
		"127.0.0.1:80":   "", // named: accepted through registry_api too
		"127.0.0.2:80":   "allow",
		"169.254.1.1:80": "link_local", // fixed rules hold whatever allow says
	} {
		_, err := p.Check(context.Background(), addr, Site)
		var refused *RefusedError
		if rule == "" && err != nil || rule != "" && (!errors.As(err, &refused) || refused.Rule != rule) {
			t.Errorf("%s: %v, want rule %q", addr, err, rule)
		}
	}

	// a range that only happens to contain loopback does not open it
	wide := &Policy{Allow: []netip.Prefix{mustPrefix(t, "0.0.0.0/0")}}
	var refused *RefusedError
	if _, err := wide.Check(context.Background(), "127.0.0.1:80", Site); !errors.As(err, &refused) || refused.Rule != "loopback" {
		t.Errorf("allow 0.0.0.0/0 opened loopback through registry_api: %v", err)
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.0/8":          "10.0.0.0/8",
		"10.1.2.3/8":          "10.0.0.0/8",
		"127.0.0.1":           "127.0.0.1/32",
		"::1":                 "::1/128",
		"::ffff:10.0.0.0/104": "10.0.0.0/8",
	} {
		p, err := ParsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "::ffff:0:0/80"} {
		if _, err := ParsePrefix(bad); err == nil {
			t.Errorf("ParsePrefix(%q) accepted", bad)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "[::ffff:169.254.169.254]:80", "[fe80::1%eth0]:1", "0:0"} {
		f.Add(s, true)
	}
	p := &Policy{Resolve: func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("offline") }}
	f.Fuzz(func(t *testing.T, addr string, site bool) {
		origin := Admin
		if site {
			origin = Site
		}
		ips, err := p.Check(context.Background(), addr, origin)
		if err != nil {
			return
		}
		for _, ip := range ips {
			if ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() || (site && ip.IsLoopback()) {
				t.Fatalf("%q accepted, resolving to %s", addr, ip)
			}
		}
	})
}
