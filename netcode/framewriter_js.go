//go:build js

package netcode

import (
	"errors"

	"github.com/coder/websocket"
)

// frameConn does not exist in the browser: the browser's WebSocket frames
// every message.
type frameConn struct{}

var (
	errNoFrameConn     = errors.New("netcode: no direct frame writes in the browser")
	errFrameConnClosed = errors.New("netcode: connection closing")
)

func (*frameConn) writeBinary([]byte) error { return errNoFrameConn }

func dialOptions(string) (*websocket.DialOptions, *frameConn) { return nil, nil }
