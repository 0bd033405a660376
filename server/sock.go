package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// A player's socket is driven three ways over its life (sockMode), and
// tickConn is the net.Conn coder/websocket runs over in all of them, so the
// WebSocket library never knows who moves the bytes:
//
//   - modeHandshake: Go's netpoller, blocking reads and writes by the
//     connection's goroutine. Only the Join and the Welcome pass.
//   - modeRoom (Linux, plain TCP): the socket is out of the netpoller. Once
//     a tick the room reads whatever arrived with one recvmsg, stamped by
//     the kernel with its arrival time, straight into the buffer the
//     parked reader goroutine offered, and waits until that goroutine has
//     parsed it; after stepping it writes the tick's messages (ping and
//     snapshot) with one non-blocking write. Between ticks nothing wakes
//     the process: on this machine a syscall costs 1–3 µs and a wake-up
//     more, and this is one read and one write per player per tick instead
//     of a read, an EAGAIN read and a write per message plus a netpoller
//     wake-up for most of them.
//   - modeQueued: the netpoller again, with a writer goroutine draining a
//     queue: for TLS, for other platforms, with Options.NetpollIO, and for
//     the close handshake of a connection that leaves modeRoom.
//
// Writes never block the room in any mode: what the kernel does not take
// waits in a backlog, and while a backlog waits the room skips that
// player's snapshots (each is a delta against what the client has
// acknowledged, so any later one decodes) and kicks it after WriteStall.
type sockMode uint8

const (
	modeHandshake sockMode = iota
	modeRoom
	modeQueued
	modeClosed
)

// maxBacklog bounds the bytes a connection may have waiting to be written.
// The room adds nothing while anything waits, so the backlog is at most one
// tick's messages plus the library's control frames; more is a bug or an
// abuse, and the connection is closed rather than grown.
const maxBacklog = 256 << 10

var errBacklogFull = errors.New("write backlog full")

// rawSocket is a socket taken out of the netpoller: non-blocking calls
// only, made by whoever holds the tickConn's lock.
type rawSocket interface {
	// recv reads what has arrived into p without blocking: the byte count
	// and the kernel's arrival stamp of the newest of them (Unix ns, 0 if
	// unknown). errWouldBlock when nothing has; io.EOF at the peer's end.
	recv(p []byte) (n int, stamp int64, err error)
	// send writes as much of p as the kernel takes now; errWouldBlock
	// when it takes nothing.
	send(p []byte) (int, error)
	// repoll hands the socket back to the netpoller as a net.Conn; the
	// rawSocket is closed.
	repoll() (net.Conn, error)
	close() error
}

var errWouldBlock = errors.New("would block")

// tickConn is the net.Conn under a player's WebSocket.
type tickConn struct {
	start  time.Time // the server's clock origin (Server.start)
	local  net.Addr
	remote net.Addr

	mu   sync.Mutex
	mode sockMode
	nc   net.Conn  // modeHandshake, modeQueued: the netpoller's socket
	raw  rawSocket // modeRoom
	pre  []byte    // bytes the HTTP server had read past the upgrade request

	// modeRoom reads. The reader goroutine parks in Read offering want;
	// the room's pump fills it, records got/rerr and the arrival, and
	// wakes it; the reader's next Read (or its end) releases batch, which
	// is how the room knows the bytes have been handled.
	want  []byte
	got   int
	rerr  error
	full  bool // the last recv filled the buffer: more may be waiting
	batch *readBatch
	wake  chan struct{} // capacity 1

	// arrival is the server time (ns) the bytes Read last returned
	// arrived: the kernel's stamp in modeRoom, the read's return otherwise.
	arrival atomic.Int64

	// Writes, every mode but modeHandshake: bytes accepted but not yet
	// written, in order.
	backlog   []byte
	busySince time.Duration // when backlog (or a write in flight) began; 0 when idle
	werr      error         // the socket failed a write: the connection is done
	sealed    bool          // closing: the room sends nothing more
	// modeQueued's writer goroutine.
	writerUp   bool
	writing    bool
	writerWake chan struct{} // capacity 1
	writerDone chan struct{} // closed when the writer goroutine has exited
	closeOnce  sync.Once
	closeErr   error
}

func newTickConn(nc net.Conn, pre []byte, start time.Time) *tickConn {
	t := &tickConn{
		start:  start,
		local:  nc.LocalAddr(),
		remote: nc.RemoteAddr(),
		nc:     nc,
		pre:    pre,
		wake:   make(chan struct{}, 1),
	}
	t.arrival.Store(int64(t.now()))
	return t
}

func (t *tickConn) now() time.Duration { return time.Since(t.start) }

// signal wakes whoever waits on ch, once, without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// readBatch is how a room waits for the readers it handed bytes to. It
// starts at one, the room's own count: the room adds one per reader it
// wakes, drops its own when it has woken them all, and whoever brings it to
// zero signals done. So done is signalled once per round, never early.
type readBatch struct {
	pending atomic.Int32
	done    chan struct{} // capacity 1
}

func newReadBatch() *readBatch { return &readBatch{done: make(chan struct{}, 1)} }

func (b *readBatch) release() {
	if b.pending.Add(-1) == 0 {
		b.done <- struct{}{}
	}
}

// releaseLocked tells the room waiting on t's delivery that t's reader is
// done with it.
func (t *tickConn) releaseLocked() {
	if b := t.batch; b != nil {
		t.batch = nil
		b.release()
	}
}

// startRoomIO moves the socket out of the netpoller into modeRoom when it
// can (Linux, plain TCP, not disabled), into modeQueued otherwise. The
// connection's goroutine calls it once, after the Welcome is written and
// before it reads again.
func (t *tickConn) startRoomIO(allowRaw bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mode != modeHandshake {
		return
	}
	if allowRaw {
		if raw, err := detachRaw(t.nc); err == nil {
			t.raw, t.nc, t.mode = raw, nil, modeRoom
			return
		}
	}
	t.mode = modeQueued
}

// roomDriven reports whether the room reads this socket at its tick.
func (t *tickConn) roomDriven() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mode == modeRoom
}

// leaveRoomIO puts a modeRoom socket back in the netpoller (modeQueued),
// so the close handshake can block on it without the room, and wakes the
// reader to read from it. Safe in any mode.
func (t *tickConn) leaveRoomIO() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mode != modeRoom {
		return
	}
	nc, err := t.raw.repoll()
	t.raw = nil
	t.releaseLocked()
	if err != nil {
		// The socket could not be re-registered: nothing more can be
		// said on it.
		t.mode = modeClosed
		t.rerr = net.ErrClosed
		signal(t.wake)
		return
	}
	t.nc, t.mode = nc, modeQueued
	if len(t.backlog) > 0 {
		t.startWriterLocked()
	}
	signal(t.wake)
}

// seal stops the room from sending anything more: the connection is
// closing, and what remains to say is the closer's.
func (t *tickConn) seal() {
	t.mu.Lock()
	t.sealed = true
	t.mu.Unlock()
}

// pump is the room's read of this socket for the tick: if the reader is
// parked waiting for bytes and some have arrived, it reads them into the
// reader's buffer, wakes it and adds it to b. It reports whether it did.
// clock converts the kernel's stamp to server time.
func (t *tickConn) pump(b *readBatch, clock stampClock) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mode != modeRoom || t.want == nil || t.batch != nil {
		return false
	}
	n, stamp, err := t.raw.recv(t.want)
	if err == errWouldBlock {
		return false
	}
	t.deliverLocked(n, stamp, err, clock)
	t.batch = b
	b.pending.Add(1)
	signal(t.wake)
	return true
}

func (t *tickConn) deliverLocked(n int, stamp int64, err error, clock stampClock) {
	if n == 0 && err == nil {
		err = io.EOF
	}
	t.got, t.rerr = n, err
	t.full = n > 0 && n == len(t.want)
	t.want = nil
	t.arrival.Store(int64(clock.arrival(stamp)))
}

// abandon releases b for a reader that did not finish in time; the room
// stops waiting for it.
func (t *tickConn) abandon(b *readBatch) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.batch != b {
		return false
	}
	t.releaseLocked()
	return true
}

// readerDone is called by the reader goroutine when it stops reading, so a
// room waiting for it goes on.
func (t *tickConn) readerDone() {
	t.mu.Lock()
	t.releaseLocked()
	t.mu.Unlock()
}

// Read is coder/websocket's read: blocking on the netpoller in
// modeHandshake and modeQueued; in modeRoom, parked until the room's pump
// brings bytes.
func (t *tickConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	t.mu.Lock()
	if len(t.pre) > 0 {
		n := copy(p, t.pre)
		t.pre = t.pre[n:]
		t.mu.Unlock()
		t.arrival.Store(int64(t.now()))
		return n, nil
	}
	for {
		if t.got > 0 || t.rerr != nil {
			// The room's delivery (or a failure); the room keeps
			// waiting until the reader comes back for more.
			n, err := t.got, t.rerr
			t.got = 0
			t.mu.Unlock()
			return n, err
		}
		switch t.mode {
		case modeHandshake, modeQueued:
			t.releaseLocked()
			nc := t.nc
			t.mu.Unlock()
			n, err := nc.Read(p)
			if n > 0 {
				t.arrival.Store(int64(t.now()))
			}
			if err != nil && t.isClosed() {
				// Close unblocked the read with a deadline; say what
				// happened, not how.
				err = net.ErrClosed
			}
			return n, err
		case modeClosed:
			t.releaseLocked()
			t.mu.Unlock()
			return 0, net.ErrClosed
		}
		if t.full {
			// The last read filled the buffer: read on now rather than
			// a tick later.
			t.full = false
			n, stamp, err := t.raw.recv(p)
			if err != errWouldBlock {
				t.want = p
				t.deliverLocked(n, stamp, err, newStampClock(t.start))
				continue
			}
		}
		// Everything delivered has been handled: the room may go on.
		t.releaseLocked()
		t.want = p
		t.mu.Unlock()
		<-t.wake
		t.mu.Lock()
		if t.got == 0 && t.rerr == nil {
			t.want = nil // woken for a change of mode, or spuriously
		}
	}
}

// Write is coder/websocket's write. In modeHandshake it blocks (only the
// handshake writes then); otherwise it never does: the bytes are written
// now if the kernel takes them, or wait in the backlog.
func (t *tickConn) Write(p []byte) (int, error) {
	t.mu.Lock()
	if t.mode == modeHandshake {
		nc := t.nc
		t.mu.Unlock()
		return nc.Write(p)
	}
	defer t.mu.Unlock()
	if err := t.enqueueLocked(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendResult is what became of a room's send.
type sendResult uint8

const (
	sendDone   sendResult = iota // written, or queued behind nothing
	sendBusy                     // earlier bytes still wait: the client is not keeping up
	sendClosed                   // not (or no longer) the room's to write: skipped
)

// send is the room's write of one tick's messages, already framed. It
// writes nothing while earlier bytes still wait or the connection is not
// in the room's hands.
func (t *tickConn) send(p []byte) sendResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sealed || t.werr != nil {
		return sendClosed
	}
	switch t.mode {
	case modeRoom:
		if len(t.backlog) > 0 {
			t.flushLocked()
			if len(t.backlog) > 0 {
				return sendBusy
			}
		}
	case modeQueued:
		if len(t.backlog) > 0 || t.writing {
			return sendBusy
		}
	default:
		return sendClosed
	}
	if t.enqueueLocked(p) != nil {
		return sendClosed
	}
	return sendDone
}

// enqueueLocked writes p in order after anything waiting: directly in
// modeRoom, through the writer goroutine in modeQueued.
func (t *tickConn) enqueueLocked(p []byte) error {
	if t.werr != nil {
		return t.werr
	}
	switch t.mode {
	case modeRoom:
		if len(t.backlog) == 0 {
			n, err := t.raw.send(p)
			if err != nil && err != errWouldBlock {
				t.werr = err
				return err
			}
			p = p[n:]
		}
	case modeQueued:
		t.startWriterLocked()
		signal(t.writerWake)
	default:
		return net.ErrClosed
	}
	if len(p) == 0 {
		return nil
	}
	if len(t.backlog)+len(p) > maxBacklog {
		t.werr = errBacklogFull
		return t.werr
	}
	if len(t.backlog) == 0 && !t.writing {
		t.busySince = t.now()
	}
	t.backlog = append(t.backlog, p...)
	return nil
}

// flushLocked writes what it can of the backlog (modeRoom).
func (t *tickConn) flushLocked() {
	n, err := t.raw.send(t.backlog)
	if err != nil && err != errWouldBlock {
		t.werr = err
		return
	}
	t.backlog = t.backlog[n:]
	if len(t.backlog) == 0 {
		t.backlog, t.busySince = nil, 0
	}
}

// stalled reports how long the connection has had bytes it could not
// write, and whether a write has failed.
func (t *tickConn) stalled(now time.Duration) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.werr != nil {
		return 0, true
	}
	if t.busySince == 0 {
		return 0, false
	}
	return now - t.busySince, false
}

func (t *tickConn) startWriterLocked() {
	if t.writerUp {
		return
	}
	t.writerUp = true
	t.writerWake = make(chan struct{}, 1)
	t.writerDone = make(chan struct{})
	go t.writeLoop(t.nc)
}

// writeLoop is modeQueued's writer: it writes the backlog as it comes,
// and after Close what is left (for a second at most), then closes.
func (t *tickConn) writeLoop(nc net.Conn) {
	defer close(t.writerDone)
	var buf []byte
	for {
		t.mu.Lock()
		for len(t.backlog) == 0 && t.mode != modeClosed && t.werr == nil {
			t.writing, t.busySince = false, 0
			t.mu.Unlock()
			<-t.writerWake
			t.mu.Lock()
		}
		closing := t.mode == modeClosed || t.werr != nil
		if len(t.backlog) == 0 || t.werr != nil {
			t.writing = false
			t.mu.Unlock()
			nc.Close()
			return
		}
		buf, t.backlog = t.backlog, buf[:0]
		t.writing = true
		t.mu.Unlock()
		if closing {
			nc.SetWriteDeadline(time.Now().Add(time.Second))
		}
		if _, err := nc.Write(buf); err != nil {
			t.mu.Lock()
			t.werr = err
			t.writing = false
			t.mu.Unlock()
			nc.Close()
			return
		}
	}
}

// Close ends the socket. In modeQueued the writer first writes what is
// queued (the close frame, usually), for at most a second.
func (t *tickConn) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		mode := t.mode
		t.mode = modeClosed
		t.sealed = true
		t.releaseLocked()
		signal(t.wake)
		switch {
		case mode == modeRoom:
			t.closeErr = t.raw.close()
			t.raw = nil
		case t.writerUp:
			// Unblock a reader now; the writer closes the socket when it
			// is done.
			t.nc.SetReadDeadline(time.Now())
			signal(t.writerWake)
		default:
			t.closeErr = t.nc.Close()
		}
		t.mu.Unlock()
	})
	return t.closeErr
}

func (t *tickConn) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mode == modeClosed
}

func (t *tickConn) LocalAddr() net.Addr  { return t.local }
func (t *tickConn) RemoteAddr() net.Addr { return t.remote }

// Deadlines apply while the netpoller has the socket; the room's reads and
// writes never block, so there is nothing for them to bound.
func (t *tickConn) SetDeadline(d time.Time) error {
	if nc := t.polled(); nc != nil {
		return nc.SetDeadline(d)
	}
	return nil
}

func (t *tickConn) SetReadDeadline(d time.Time) error {
	if nc := t.polled(); nc != nil {
		return nc.SetReadDeadline(d)
	}
	return nil
}

func (t *tickConn) SetWriteDeadline(d time.Time) error {
	if nc := t.polled(); nc != nil {
		return nc.SetWriteDeadline(d)
	}
	return nil
}

func (t *tickConn) polled() net.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mode == modeHandshake || t.mode == modeQueued {
		return t.nc
	}
	return nil
}

// stampClock converts kernel arrival stamps (Unix ns) to server time,
// from one reading of both clocks.
type stampClock struct {
	server time.Duration // server time now
	wall   int64         // Unix ns now
}

func newStampClock(start time.Time) stampClock {
	now := time.Now()
	return stampClock{server: now.Sub(start), wall: now.UnixNano()}
}

// maxStampAge bounds how old a kernel stamp is believed: a wall clock
// stepped under us must not make an input look seconds old.
const maxStampAge = time.Second

func (c stampClock) arrival(stamp int64) time.Duration {
	if stamp == 0 {
		return c.server
	}
	age := time.Duration(c.wall - stamp)
	return c.server - min(max(age, 0), maxStampAge)
}

// hijackWriter hands coder/websocket a tickConn instead of the HTTP
// server's socket, with small buffers: a connection's inputs and control
// frames are a few dozen bytes, and the HTTP server's 4 KB buffers were a
// good part of every player's memory.
type hijackWriter struct {
	http.ResponseWriter
	start time.Time
	conn  *tickConn
}

// wsBufferSize sizes the reader and writer coder/websocket gets. Writes
// in modeRoom are control frames (at most 127 bytes), so each reaches
// tickConn whole.
const wsBufferSize = 512

func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("http.ResponseWriter does not implement http.Hijacker")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	var pre []byte
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		pre = append([]byte(nil), b...)
	}
	h.conn = newTickConn(nc, pre, h.start)
	return h.conn, bufio.NewReadWriter(bufio.NewReaderSize(h.conn, wsBufferSize), bufio.NewWriterSize(h.conn, wsBufferSize)), nil
}

// appendFrame appends p as one unmasked binary WebSocket frame (RFC 6455
// §5.2), the form a server sends. The room frames its own messages so that
// a tick's ping and snapshot leave in one write, without the library's
// per-message locking.
func appendFrame(dst, p []byte) []byte {
	const finBinary = 0x82
	switch n := len(p); {
	case n < 126:
		dst = append(dst, finBinary, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, finBinary, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, finBinary, 127, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, p...)
}
