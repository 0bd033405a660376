package main

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
)

// A server limits connections per remote address (tickwire's default is 64),
// as it should against abuse; real players come from many addresses, a
// swarm on one machine from one. On loopback every address of 127.0.0.0/8
// is local, so loadbots gives each bot its own source address, from
// 127.1.0.1 up, and the server sees a crowd of players, not a flood from
// one.
//
// netcode.Dial takes no HTTP client (it uses http.DefaultClient), so the
// spread is installed on a transport's dialer: main installs it on
// http.DefaultTransport, once, for the whole command.

// loopbackSpreader hands out consecutive source addresses.
type loopbackSpreader struct {
	next atomic.Uint32
	base net.Dialer
}

// dialContext binds connections to loopback targets to the next source
// address; anything else dials as usual.
func (s *loopbackSpreader) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	if err != nil || ip == nil || !ip.IsLoopback() || ip.To4() == nil || (network != "tcp" && network != "tcp4") {
		return s.base.DialContext(ctx, network, addr)
	}
	d := s.base
	d.LocalAddr = &net.TCPAddr{IP: s.source()}
	return d.DialContext(ctx, network, addr)
}

// source returns 127.1.0.1, 127.1.0.2, ... wrapping within 127.1.0.0/16
// (never .0 or .255 in the last byte).
func (s *loopbackSpreader) source() net.IP {
	n := s.next.Add(1) - 1
	host := n % (256 * 254)
	return net.IPv4(127, 1, byte(host/254), byte(host%254+1))
}

// spreadLoopbackSources makes t dial loopback targets from many addresses.
func spreadLoopbackSources(t *http.Transport) {
	s := &loopbackSpreader{}
	t.DialContext = s.dialContext
}
