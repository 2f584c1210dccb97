// Package outbound decides where Roster's outbound calls for admins (webhook
// apps today) may go. The check runs when a connection is dialled, after
// DNS resolution, so a name that resolves inside, a DNS rebinding or a
// redirect cannot get round it.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// EnvAllow names the setting that lists the private ranges an installation
// calls; error messages point at it.
const EnvAllow = "ROSTER_ALLOW_PRIVATE_TARGETS"

// Policy says which addresses outbound calls may reach. Public addresses
// are always allowed over https; loopback, private, link-local, CGNAT,
// unspecified and multicast addresses only when Allow holds them or (for
// Roster's own sample receiver) Self names the exact address and port.
// Plain http:// is accepted only to such allowed targets. The zero Policy
// refuses everything inside.
type Policy struct {
	Allow []netip.Prefix
	// Self are Roster's own listening addresses, so that the built-in
	// sample receiver keeps working without opening the whole host.
	Self []netip.AddrPort
}

// RefusedError is a dial the policy refused.
type RefusedError struct {
	Addr   netip.Addr
	Reason string // "a private address", ...
	Range  netip.Prefix
	Plain  bool // refused because the call was plain http:// to a public address
}

func (e *RefusedError) Error() string {
	if e.Plain {
		return fmt.Sprintf("refused: plain http:// to %s, a public address; use https://", e.Addr)
	}
	return fmt.Sprintf("refused: %s is %s; set %s=%s to allow it", e.Addr, e.Reason, EnvAllow, e.Range)
}

// Refused reports whether err is, or wraps, a refusal by a Policy.
func Refused(err error) (*RefusedError, bool) {
	var re *RefusedError
	ok := errors.As(err, &re)
	return re, ok
}

// inside are the ranges refused unless allowed, most specific first, each
// with the words and range used in the message.
var inside = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (CGNAT) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "a reserved address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a reserved address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address"},   // embeds any IPv4 address
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a NAT64 address"}, // local-use NAT64
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address"},       // embeds any IPv4 address
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},     // embeds any IPv4 address
}

// Check says whether a call may reach addr; plain is true for http://.
func (p Policy) Check(addr netip.AddrPort, plain bool) error {
	ip := addr.Addr().Unmap().WithZone("")
	if p.allowed(netip.AddrPortFrom(ip, addr.Port())) {
		return nil
	}
	for _, r := range inside {
		if r.prefix.Contains(ip) {
			return &RefusedError{Addr: ip, Reason: r.reason, Range: r.prefix}
		}
	}
	if plain {
		return &RefusedError{Addr: ip, Plain: true}
	}
	return nil
}

func (p Policy) allowed(addr netip.AddrPort) bool {
	for _, a := range p.Allow {
		if a.Contains(addr.Addr()) {
			return true
		}
	}
	for _, s := range p.Self {
		if s.Addr().Unmap() == addr.Addr() && s.Port() == addr.Port() {
			return true
		}
	}
	return false
}

// Control is a net.Dialer Control hook for https:// calls: it sees the
// address actually dialled, after resolution.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	return p.control(address, false)
}

// ControlPlain is the Control hook for plain http:// calls.
func (p Policy) ControlPlain(network, address string, _ syscall.RawConn) error {
	return p.control(address, true)
}

func (p Policy) control(address string, plain bool) error {
	addr, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused: cannot read the dialled address %q", address)
	}
	return p.Check(addr, plain)
}

// Dialer returns a dialer that refuses what p refuses; plain is for
// http:// calls.
func (p Policy) Dialer(plain bool) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
	if plain {
		d.Control = p.ControlPlain
	}
	return d
}

// Transport returns a RoundTripper that dials through p: https:// and
// http:// requests go through separate transports so that each dial knows
// whether it carries plain text. No proxy is used: a proxy would be the
// address dialled, and the policy could not see the target.
func (p Policy) Transport() http.RoundTripper {
	return &schemeTransport{tls: p.transport(false), plain: p.transport(true)}
}

// transport bounds the steps before a request is sent; the whole attempt
// is bounded by the caller's context.
func (p Policy) transport(plain bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = p.Dialer(plain).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = time.Minute
	t.MaxIdleConnsPerHost = 8
	return t
}

type schemeTransport struct{ tls, plain *http.Transport }

func (t *schemeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" {
		return t.plain.RoundTrip(req)
	}
	return t.tls.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach both
// transports.
func (t *schemeTransport) CloseIdleConnections() {
	t.tls.CloseIdleConnections()
	t.plain.CloseIdleConnections()
}

// ParseAllow reads ROSTER_ALLOW_PRIVATE_TARGETS: comma-separated CIDRs or
// single addresses.
func ParseAllow(raw string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8", part)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8", part)
		}
		if pr.Addr().Is4In6() {
			pr = netip.PrefixFrom(pr.Addr().Unmap(), max(pr.Bits()-96, 0))
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

// SelfAddrs are the addresses Roster answers on, for Policy.Self: the
// listen address (loopback when it listens on all interfaces) and the
// addresses the base URL's host resolves to, each with its port.
func SelfAddrs(ctx context.Context, listen, baseURLHost, baseURLPort string) []netip.AddrPort {
	var out []netip.AddrPort
	add := func(host, port string) {
		var pn uint16
		if _, err := fmt.Sscan(port, &pn); err != nil || pn == 0 {
			return
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			out = append(out, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), pn), netip.AddrPortFrom(netip.IPv6Loopback(), pn))
			return
		}
		if a, err := netip.ParseAddr(host); err == nil {
			out = append(out, netip.AddrPortFrom(a.Unmap(), pn))
			return
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return
		}
		for _, a := range addrs {
			out = append(out, netip.AddrPortFrom(a.Unmap(), pn))
		}
	}
	if host, port, err := net.SplitHostPort(listen); err == nil {
		add(host, port)
	}
	if baseURLHost != "" {
		add(baseURLHost, baseURLPort)
	}
	return out
}

// Loopback allows 127.0.0.0/8 and ::1 besides public targets: what tests
// calling httptest servers (which listen on 127.0.0.1) need.
func Loopback() Policy {
	return Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
}
