package netcode

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/coder/websocket"
)

// link is one connection to the server as the client uses it: through
// coder/websocket for everything (wss://, the browser), or for plain ws://
// the library's handshake and close with the frames read and written
// straight on the socket (frameConn). The reader goroutine reads; any
// goroutine writes.
type link struct {
	ws *websocket.Conn
	fc *frameConn // nil: everything goes through ws
}

// closeWait bounds how long Close waits for the server to answer its
// close frame, as the library's close handshake does.
const closeWait = 5 * time.Second

// read returns the next message and its type, valid until the next read.
// ctx bounds the read; the read loop passes context.Background, for which
// nothing is armed per message. buf is the library path's buffer.
func (l link) read(ctx context.Context, buf *[]byte) (websocket.MessageType, []byte, error) {
	if l.fc != nil {
		if ctx.Done() != nil {
			// Only the dial's read of the Welcome is bounded.
			if deadline, ok := ctx.Deadline(); ok {
				l.fc.SetReadDeadline(deadline)
				defer l.fc.SetReadDeadline(time.Time{})
			}
			defer context.AfterFunc(ctx, func() { l.ws.CloseNow() })()
		}
		return l.fc.readMessage(maxServerMessage)
	}
	typ, r, err := l.ws.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			*buf = b
			return 0, nil, err
		}
	}
	*buf = b
	return typ, b, nil
}

// write sends msg as one binary message, bounded by ctx's deadline:
// straight to the socket with a frameConn, through the library otherwise.
// The hot paths (inputs, pongs) pass context.Background: a cancellable
// context costs a timer per message, and a write that never completes is
// a dead path, which the client's silence watchdog ends by closing the
// link.
func (l link) write(ctx context.Context, msg []byte) error {
	if l.fc != nil {
		if deadline, ok := ctx.Deadline(); ok {
			l.fc.SetWriteDeadline(deadline)
			defer l.fc.SetWriteDeadline(time.Time{})
		}
		return l.fc.writeBinary(msg)
	}
	return l.ws.Write(ctx, websocket.MessageBinary, msg)
}

// close starts the close handshake with code and reason. Through the
// library it is the whole handshake; with a frameConn it sends the close
// frame, and the reader ends the link when the server's answer comes
// (the caller waits for the reader, at most closeWait).
func (l link) close(code websocket.StatusCode, reason string) error {
	if l.fc != nil {
		return l.fc.writeClose(code, reason)
	}
	return l.ws.Close(code, reason)
}

// abort closes the link over an error found by its reader: the close
// frame, then the socket.
func (l link) abort(code websocket.StatusCode, reason string) {
	if l.fc != nil {
		l.fc.writeClose(code, reason)
		l.ws.CloseNow()
		return
	}
	l.ws.Close(code, reason)
}

// closeNow ends the link with no handshake.
func (l link) closeNow() { l.ws.CloseNow() }
