//go:build !js

package netcode

import (
	"context"
	crand "crypto/rand"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// frameConn is the TCP connection under a plain ws:// WebSocket, which
// the client dials itself so that it can write its input frames directly:
// one masked binary frame, one write, under one lock. coder/websocket's
// Write wraps every message in channel-based locks, a select and its
// message-writer's reset, about a seventh of a load-test bot's CPU for a
// 60-byte frame 30 times a second. Everything else (the handshake, reads,
// pongs, Leave, the close handshake) still goes through coder/websocket,
// whose writes reach this connection through Write, under the same lock:
// each is one whole frame (they are far smaller than its 4 KB buffer), so
// frames never interleave.
type frameConn struct {
	net.Conn
	mu     sync.Mutex
	closed bool // a close frame went out: no data frame may follow it
	buf    []byte
	rng    *rand.ChaCha8 // masking keys (RFC 6455 §5.3 wants them unpredictable)
}

var errFrameConnClosed = errors.New("netcode: connection closing")

// Write is coder/websocket's write of one frame.
func (f *frameConn) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const opClose = 0x8
	if len(p) > 0 && p[0]&0x0F == opClose {
		f.closed = true
	}
	return f.Conn.Write(p)
}

// writeBinary sends p as one masked binary frame.
func (f *frameConn) writeBinary(p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errFrameConnClosed
	}
	const finBinary, masked = 0x82, 0x80
	b := append(f.buf[:0], finBinary)
	switch n := len(p); {
	case n < 126:
		b = append(b, masked|byte(n))
	case n <= 0xFFFF:
		b = append(b, masked|126, byte(n>>8), byte(n))
	default:
		b = append(b, masked|127, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	k := uint32(f.rng.Uint64())
	key := [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	b = append(b, key[:]...)
	for i, c := range p {
		b = append(b, c^key[i&3])
	}
	f.buf = b
	_, err := f.Conn.Write(b)
	return err
}

// dialOptions returns how to dial url and, for a plain ws:// URL, the
// connection the dial will make (filled in by the dial). It dials the way
// http.DefaultClient would (its transport's dialer, proxy and settings), so
// a program that shapes that client keeps doing so. wss:// goes through
// the library untouched: TLS sits between the frames and the socket; so
// does a default client whose transport is not an *http.Transport.
func dialOptions(url string) (*websocket.DialOptions, *frameConn) {
	if !strings.HasPrefix(url, "ws://") && !strings.HasPrefix(url, "http://") {
		return nil, nil
	}
	rt := http.DefaultClient.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	base, ok := rt.(*http.Transport)
	if !ok {
		return nil, nil
	}
	dial := base.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	var seed [32]byte
	crand.Read(seed[:])
	fc := &frameConn{rng: rand.NewChaCha8(seed)}
	tr := base.Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		fc.Conn = nc
		return fc, nil
	}
	return &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}}, fc
}
