//go:build js

package netcode

import (
	"errors"
	"time"

	"github.com/coder/websocket"
)

// frameConn does not exist in the browser: the browser's WebSocket frames
// every message.
type frameConn struct{}

var (
	errNoFrameConn     = errors.New("netcode: no direct frame writes in the browser")
	errFrameConnClosed = errors.New("netcode: connection closing")
)

func (*frameConn) writeBinary([]byte) error                      { return errNoFrameConn }
func (*frameConn) writePong([]byte) error                        { return errNoFrameConn }
func (*frameConn) writeClose(websocket.StatusCode, string) error { return errNoFrameConn }
func (*frameConn) readMessage(int) (websocket.MessageType, []byte, error) {
	return 0, nil, errNoFrameConn
}

func (*frameConn) SetReadDeadline(time.Time) error  { return errNoFrameConn }
func (*frameConn) SetWriteDeadline(time.Time) error { return errNoFrameConn }

func dialOptions(string) (*websocket.DialOptions, *frameConn) { return nil, nil }
