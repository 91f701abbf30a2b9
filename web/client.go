package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseProxies reads the trusted reverse proxies setting: a comma-separated
// list of addresses or CIDR prefixes ("10.0.0.1, 192.168.0.0/16"); empty
// means none.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		var pfx netip.Prefix
		var err error
		if strings.Contains(p, "/") {
			pfx, err = netip.ParsePrefix(p)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(p); err == nil {
				pfx = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("web: trusted proxy %q is not an address or a prefix like 10.0.0.0/8", p)
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}

// ClientIP returns the address of the client that sent r: the connection's
// peer, unless the peer is one of the trusted proxies; then the rightmost
// address in X-Forwarded-For that is not a trusted proxy. Every proxy
// appends the address it received the request from, so only the entries
// our own proxies wrote can be believed: whatever a client writes itself is
// to their left, and the leftmost entry is the client's to choose. The
// result is invalid when the peer's address cannot be read (not TCP).
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseHost(r.RemoteAddr)
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer
	}
	client := peer
	hops := r.Header.Values("X-Forwarded-For") // several header lines are one list, in order
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a := parseHost(strings.TrimSpace(parts[j]))
			if !a.IsValid() {
				// Our proxy wrote something unreadable: the last address
				// we can vouch for is the proxy that wrote it.
				return client
			}
			client = a
			if !isTrusted(a, trusted) {
				return client
			}
		}
	}
	return client
}

// RateKey is what a rate limit counts a client under: its IPv4 address, or
// its IPv6 /64. One subscriber's line gets at least a /64 and its devices
// pick any address inside it at will (privacy addresses rotate daily), so
// counting IPv6 addresses one by one would give each household millions
// of budgets.
func RateKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// parseHost reads "192.0.2.1", "192.0.2.1:5000", "2001:db8::1" or
// "[2001:db8::1]:5000" (some proxies write the port, RemoteAddr always has
// one), unmapping IPv4-in-IPv6.
func parseHost(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
