//go:build !js

package netcode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// errBadFrame is a frame no server may send: masked, with reserved bits
// (no extension is negotiated), an unknown opcode, a fragmented or long
// control frame, or a continuation out of place. The connection is closed
// with 1002.
var errBadFrame = errors.New("netcode: malformed WebSocket frame")

// errMessageTooBig is a message over the client's read limit (1009).
var errMessageTooBig = errors.New("netcode: message too big")

// frameReader parses the frames a server sends from the bytes of a plain
// ws:// socket, after the library's handshake: coder/websocket's reader
// takes channel-based locks, a select and a byte-at-a-time header read for
// every message, which was about a tenth of a load-test bot's CPU for a
// 40-byte snapshot 30 times a second. Only the reader goroutine uses it.
type frameReader struct {
	buf  []byte // buf[r:w] was read from the socket and is not yet parsed
	r, w int
	msg  []byte // the fragments so far of a fragmented data message
	frag byte   // that message's opcode; 0 when none is open
}

// next returns the next data, ping or close frame (a fragmented data
// message whole, pongs skipped), reading from src when the buffer holds no
// whole frame. payload is valid until the next call.
func (fr *frameReader) next(src io.Reader, limit int) (op byte, payload []byte, err error) {
	for {
		op, payload, ok, err := fr.parse(limit)
		if err != nil {
			return 0, nil, err
		}
		if !ok {
			if err := fr.fill(src); err != nil {
				return 0, nil, err
			}
			continue
		}
		if op == opPong {
			continue
		}
		return op, payload, nil
	}
}

// parse takes one frame from the buffer; ok is false when it holds less
// than a whole frame. A fragment is kept, and parse goes on to the next.
func (fr *frameReader) parse(limit int) (op byte, payload []byte, ok bool, err error) {
	for {
		b := fr.buf[fr.r:fr.w]
		if len(b) < 2 {
			return 0, nil, false, nil
		}
		fin, rsv, op := b[0]&0x80 != 0, b[0]&0x70, b[0]&0x0F
		if rsv != 0 {
			return 0, nil, false, fmt.Errorf("%w: reserved bits %#x", errBadFrame, rsv)
		}
		if b[1]&0x80 != 0 {
			return 0, nil, false, fmt.Errorf("%w: masked by the server", errBadFrame)
		}
		head, n := 2, uint64(b[1]&0x7F)
		switch n {
		case 126:
			head = 4
		case 127:
			head = 10
		}
		if len(b) < head {
			fr.reserve(head)
			return 0, nil, false, nil
		}
		switch head {
		case 4:
			n = uint64(binary.BigEndian.Uint16(b[2:]))
		case 10:
			n = binary.BigEndian.Uint64(b[2:])
		}
		control := op&0x8 != 0
		switch {
		case control && (!fin || n > 125):
			return 0, nil, false, fmt.Errorf("%w: control frame fragmented or over 125 bytes", errBadFrame)
		case control && op != opClose && op != opPing && op != opPong,
			!control && op > opBinary:
			return 0, nil, false, fmt.Errorf("%w: opcode %#x", errBadFrame, op)
		case n > uint64(limit) || op == opContinuation && uint64(len(fr.msg))+n > uint64(limit):
			return 0, nil, false, fmt.Errorf("%w: over %d bytes", errMessageTooBig, limit)
		}
		size := head + int(n)
		if len(b) < size {
			fr.reserve(size)
			return 0, nil, false, nil
		}
		payload = b[head:size]
		fr.r += size
		switch {
		case control:
			return op, payload, true, nil
		case op == opContinuation && fr.frag == 0:
			return 0, nil, false, fmt.Errorf("%w: continuation with no message open", errBadFrame)
		case op != opContinuation && fr.frag != 0:
			return 0, nil, false, fmt.Errorf("%w: new message inside a fragmented one", errBadFrame)
		case op != opContinuation && fin:
			return op, payload, true, nil
		case op != opContinuation:
			fr.frag, fr.msg = op, append(fr.msg[:0], payload...)
		default:
			fr.msg = append(fr.msg, payload...)
			if fin {
				op, fr.frag = fr.frag, 0
				return op, fr.msg, true, nil
			}
		}
	}
}

// reserve makes room for a frame of size bytes starting at r.
func (fr *frameReader) reserve(size int) {
	if len(fr.buf)-fr.r >= size {
		return
	}
	if size > len(fr.buf) {
		grown := make([]byte, max(size, 2*len(fr.buf)))
		fr.w = copy(grown, fr.buf[fr.r:fr.w])
		fr.buf, fr.r = grown, 0
		return
	}
	fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
	fr.r = 0
}

// frameReadSize is the reader's first buffer: a tick's snapshot and ping
// are a few dozen bytes; a full snapshot of a large room grows it.
const frameReadSize = 2048

// fill reads once from src into the free end of the buffer.
func (fr *frameReader) fill(src io.Reader) error {
	if fr.buf == nil {
		fr.buf = make([]byte, frameReadSize)
	}
	if fr.r == fr.w {
		fr.r, fr.w = 0, 0
	} else if fr.w == len(fr.buf) {
		fr.reserve(len(fr.buf) - fr.r + 1)
	}
	n, err := src.Read(fr.buf[fr.w:])
	fr.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	if err == io.EOF && fr.r != fr.w {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// closeFrame reads a close frame's payload as the library reports it.
func closeFrame(p []byte) (websocket.CloseError, error) {
	switch {
	case len(p) == 0:
		return websocket.CloseError{Code: websocket.StatusNoStatusRcvd}, nil
	case len(p) == 1 || !utf8.Valid(p[2:]):
		return websocket.CloseError{}, fmt.Errorf("%w: close frame payload", errBadFrame)
	}
	return websocket.CloseError{Code: websocket.StatusCode(binary.BigEndian.Uint16(p)), Reason: string(p[2:])}, nil
}

// readMessage is the reader goroutine's read of the next data message and
// its type, straight from the socket. It answers WebSocket pings, and the
// server's close frame by echoing it and closing the socket (returning the
// server's code and reason as a websocket.CloseError, as the library
// does). A frame no server may send closes the connection with 1002, a
// message over limit with 1009.
func (f *frameConn) readMessage(limit int) (websocket.MessageType, []byte, error) {
	for {
		op, p, err := f.rd.next(f, limit)
		switch {
		case errors.Is(err, errBadFrame):
			f.fail(websocket.StatusProtocolError, err)
			return 0, nil, err
		case errors.Is(err, errMessageTooBig):
			f.fail(websocket.StatusMessageTooBig, err)
			return 0, nil, err
		case err != nil:
			return 0, nil, err
		}
		switch op {
		case opPing:
			// A failed write shows on the next read or write.
			f.writePong(p)
		case opClose:
			ce, err := closeFrame(p)
			if err != nil {
				f.fail(websocket.StatusProtocolError, err)
				return 0, nil, err
			}
			echo := ce.Code
			if echo == websocket.StatusNoStatusRcvd {
				echo = websocket.StatusNormalClosure
			}
			// The server has said all it will: answer and hang up.
			f.writeClose(echo, "")
			f.Conn.Close()
			return 0, nil, ce
		default:
			// The library's message types are the opcodes' numbers.
			return websocket.MessageType(op), p, nil
		}
	}
}

// fail closes the connection over a frame the server should not have sent.
func (f *frameConn) fail(code websocket.StatusCode, err error) {
	f.writeClose(code, err.Error())
	f.Conn.Close()
}
