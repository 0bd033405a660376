//go:build !js

package netcode

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// frameConn is the TCP connection under a plain ws:// WebSocket, which
// the client dials itself so that, once coder/websocket has done the
// handshake, it reads and writes the frames itself: each input frame is
// one masked binary frame in one write under one lock, and the server's
// frames are parsed straight from the socket (frameReader). The library's
// Write wraps every message in channel-based locks, a select and its
// message-writer's reset (about a seventh of a load-test bot's CPU for a
// 60-byte frame 30 times a second), and its reader as much again. The
// library still dials, writes the Join, and closes the socket (CloseNow);
// its writes reach this connection through Write, under the same lock, one
// whole frame each, so frames never interleave. wss:// and the browser
// use the library for everything.
type frameConn struct {
	net.Conn
	mu        sync.Mutex
	closed    bool // a close frame went out: no data frame may follow it
	buf       []byte
	rng       *rand.ChaCha8 // masking keys (RFC 6455 §5.3 wants them unpredictable)
	keys      uint64        // the unused half of the last draw of rng
	spareKeys int           // how many keys the last draw has left

	// The read side, used by one goroutine at a time (see Read).
	upgraded  bool   // the handshake response's headers have been read
	lineStart bool   // the last byte of the response so far ended a line
	pending   []byte // bytes read past the headers, not yet returned
	rd        frameReader
}

var errFrameConnClosed = errors.New("netcode: connection closing")

// Write is coder/websocket's write of one frame.
func (f *frameConn) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(p) > 0 && p[0]&0x0F == opClose {
		f.closed = true
	}
	return f.Conn.Write(p)
}

// writeBinary sends p as one masked binary frame.
func (f *frameConn) writeBinary(p []byte) error { return f.writeOpen(opBinary, p) }

// writePong answers a WebSocket ping (the server's library may send them;
// tickwire's own pings are binary messages).
func (f *frameConn) writePong(p []byte) error { return f.writeOpen(opPong, p) }

// writeOpen sends one frame unless the close frame has gone out.
func (f *frameConn) writeOpen(op byte, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errFrameConnClosed
	}
	return f.writeFrameLocked(op, p)
}

// writeClose sends the close frame (RFC 6455 §5.5.1) with code and reason,
// once: after it no frame may follow.
func (f *frameConn) writeClose(code websocket.StatusCode, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errFrameConnClosed
	}
	f.closed = true
	if len(reason) > maxCloseReason {
		reason = reason[:maxCloseReason]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	var p [2 + maxCloseReason]byte
	binary.BigEndian.PutUint16(p[:], uint16(code))
	n := 2 + copy(p[2:], reason)
	return f.writeFrameLocked(opClose, p[:n])
}

// maxCloseReason keeps a close frame's payload within the 125 bytes a
// control frame may carry.
const maxCloseReason = 123

func (f *frameConn) writeFrameLocked(op byte, p []byte) error {
	const fin, masked = 0x80, 0x80
	b := append(f.buf[:0], fin|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, masked|byte(n))
	case n <= 0xFFFF:
		b = append(b, masked|126, byte(n>>8), byte(n))
	default:
		b = append(b, masked|127, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	// One draw of the generator keys two frames.
	if f.spareKeys == 0 {
		f.keys, f.spareKeys = f.rng.Uint64(), 2
	}
	k := uint32(f.keys)
	f.keys >>= 32
	f.spareKeys--
	key := [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	b = append(b, key[:]...)
	for i, c := range p {
		b = append(b, c^key[i&3])
	}
	f.buf = b
	_, err := f.Conn.Write(b)
	return err
}

// Read is the HTTP client's read of the handshake response, then the
// frame reader's. Until the response's headers have ended it returns no
// byte past them, so that nothing the server sends after the upgrade waits
// in the HTTP client's buffer, where the frame reader would never see it.
// Only one goroutine reads at a time: the dial's, then the reader.
func (f *frameConn) Read(p []byte) (int, error) {
	if len(f.pending) > 0 {
		n := copy(p, f.pending)
		f.pending = f.pending[n:]
		return n, nil
	}
	n, err := f.Conn.Read(p)
	if f.upgraded || n == 0 {
		return n, err
	}
	for i, c := range p[:n] {
		switch {
		case c == '\n' && f.lineStart: // a blank line: the headers end here
			f.upgraded = true
			f.pending = append([]byte(nil), p[i+1:n]...)
			return i + 1, nil
		case c == '\n':
			f.lineStart = true
		case c != '\r':
			f.lineStart = false
		}
	}
	return n, err
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
