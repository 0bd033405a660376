package server

import (
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpPair returns both ends of a loopback TCP connection: the server's
// wrapped in a tickConn, and the peer's.
func tcpPair(t *testing.T) (*tickConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { peer.Close() })
	nc, err := ln.Accept()
	require.NoError(t, err)
	tc := newTickConn(nc, nil, time.Now())
	t.Cleanup(func() { tc.Close() })
	return tc, peer
}

// parkedReader is the reader goroutine a connection runs under
// coder/websocket: it reads into a small buffer and hands each chunk over.
type parkedReader struct {
	chunks chan []byte
	errs   chan error
}

func startReader(tc *tickConn, size int) *parkedReader {
	r := &parkedReader{chunks: make(chan []byte, 64), errs: make(chan error, 1)}
	go func() {
		buf := make([]byte, size)
		for {
			n, err := tc.Read(buf)
			if n > 0 {
				r.chunks <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				tc.readerDone() // as conn.serve does when its read loop ends
				r.errs <- err
				return
			}
		}
	}()
	return r
}

// waitParked waits until tc's reader offers a buffer to the room.
func waitParked(t *testing.T, tc *tickConn) {
	t.Helper()
	require.Eventually(t, func() bool {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		return tc.want != nil
	}, 5*time.Second, time.Millisecond)
}

// pumpUntil pumps tc as a room's beat does until a delivery happens, and
// waits for the reader to be done with it.
func pumpUntil(t *testing.T, tc *tickConn) {
	t.Helper()
	b := newReadBatch()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.pending.Store(1)
		delivered := tc.pump(b, newStampClock(tc.start))
		if b.pending.Add(-1) != 0 {
			select {
			case <-b.done:
			case <-time.After(5 * time.Second):
				t.Fatal("the reader never came back for more")
			}
		}
		if delivered {
			return
		}
		require.True(t, time.Now().Before(deadline), "nothing arrived to pump")
		time.Sleep(time.Millisecond)
	}
}

func TestRoomDrivenSocketReadsAtThePumpWithKernelArrivalTimes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("room-driven sockets are Linux-only")
	}
	tc, peer := tcpPair(t)
	tc.startRoomIO(true)
	require.True(t, tc.roomDriven())
	r := startReader(tc, 64)
	waitParked(t, tc)

	// Nothing has arrived: the pump reads nothing and wakes no one.
	b := newReadBatch()
	b.pending.Store(1)
	require.False(t, tc.pump(b, newStampClock(tc.start)))
	require.EqualValues(t, 0, b.pending.Add(-1))

	// Each message arrives well before the room reads it, so a kernel stamp
	// is earlier than the read. Linux turns receive stamping on through a
	// static key whose first enabling runs later, on a workqueue; a segment
	// that arrives before then carries no stamp and the arrival falls back
	// to the read time. So a few tries are allowed, each of which must be a
	// sane time, and at least one must be the kernel's.
	stamped := false
	for try := 0; try < 5 && !stamped; try++ {
		sentAt := tc.now()
		_, err := peer.Write([]byte("hello"))
		require.NoError(t, err)
		time.Sleep(30 * time.Millisecond)
		readAt := tc.now()
		pumpUntil(t, tc)
		doneAt := tc.now()
		require.Equal(t, []byte("hello"), <-r.chunks)
		arrived := time.Duration(tc.arrival.Load())
		require.GreaterOrEqual(t, arrived, sentAt-time.Millisecond, "an arrival is never before the send")
		require.LessOrEqual(t, arrived, doneAt, "an arrival is never after the read")
		stamped = arrived < readAt
	}
	assert.True(t, stamped, "the arrival is when the bytes came (the kernel's stamp), not when the room read them")

	// More than the reader's buffer: it reads on by itself rather than
	// waiting a beat for the rest.
	big := make([]byte, 200)
	for i := range big {
		big[i] = byte(i)
	}
	_, err := peer.Write(big)
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	pumpUntil(t, tc)
	var got []byte
	for len(got) < len(big) {
		select {
		case c := <-r.chunks:
			got = append(got, c...)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d of %d bytes", len(got), len(big))
		}
	}
	require.Equal(t, big, got)

	// The peer's end reaches the reader as EOF at the next pump.
	peer.Close()
	pumpUntil(t, tc)
	require.ErrorIs(t, <-r.errs, io.EOF)
}

func TestRoomDrivenSocketWritesOnceAndBacksOffFromASlowPeer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("room-driven sockets are Linux-only")
	}
	tc, peer := tcpPair(t)
	tc.startRoomIO(true)
	require.True(t, tc.roomDriven())

	msg := appendFrame(nil, []byte("snapshot"))
	require.Equal(t, sendDone, tc.send(msg))
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(peer, buf)
	require.NoError(t, err)
	require.Equal(t, msg, buf)

	// A peer that reads nothing: the kernel's buffers fill, the rest waits
	// in the backlog, and the room is told to skip until it drains.
	chunk := make([]byte, 64<<10)
	sent := 0
	for i := 0; ; i++ {
		require.Less(t, i, 10_000, "the socket never filled")
		res := tc.send(chunk)
		if res == sendBusy {
			break
		}
		require.Equal(t, sendDone, res)
		sent += len(chunk)
	}
	stall, failed := tc.stalled(tc.now() + time.Second)
	require.False(t, failed)
	require.GreaterOrEqual(t, stall, time.Second, "a backlog waiting is a stall")

	// Once the peer reads, the next send writes the backlog first, then
	// the new bytes, in order.
	done := make(chan int)
	go func() {
		n, _ := io.Copy(io.Discard, io.LimitReader(peer, int64(sent+len(msg))))
		done <- int(n)
	}()
	require.Eventually(t, func() bool { return tc.send(msg) == sendDone }, 5*time.Second, time.Millisecond)
	require.Equal(t, sent+len(msg), <-done)
	stall, failed = tc.stalled(tc.now())
	require.False(t, failed)
	require.Zero(t, stall)
}

func TestRoomDrivenSocketGoesBackToTheNetpollerToClose(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("room-driven sockets are Linux-only")
	}
	tc, peer := tcpPair(t)
	tc.startRoomIO(true)
	r := startReader(tc, 64)
	waitParked(t, tc)

	// Leaving modeRoom wakes the reader, which now blocks in the
	// netpoller: bytes reach it with no pump at all.
	tc.leaveRoomIO()
	require.False(t, tc.roomDriven())
	_, err := peer.Write([]byte("bye"))
	require.NoError(t, err)
	select {
	case c := <-r.chunks:
		require.Equal(t, []byte("bye"), c)
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not move to the netpoller")
	}
	// The room sends nothing once sealed; the closer's writes still go.
	tc.seal()
	require.Equal(t, sendClosed, tc.send([]byte("late snapshot")))
	_, err = tc.Write([]byte("close frame"))
	require.NoError(t, err)
	require.NoError(t, tc.Close())
	got, err := io.ReadAll(peer)
	require.NoError(t, err)
	require.Equal(t, "close frame", string(got), "queued bytes are written before the socket closes")
	require.ErrorIs(t, <-r.errs, net.ErrClosed)
}

func TestClosingARoomDrivenSocketWakesItsReader(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("room-driven sockets are Linux-only")
	}
	tc, peer := tcpPair(t)
	tc.startRoomIO(true)
	r := startReader(tc, 64)
	waitParked(t, tc)
	require.NoError(t, tc.Close())
	select {
	case err := <-r.errs:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("the parked reader was not woken")
	}
	_, err := peer.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the socket itself is closed")
	require.Equal(t, sendClosed, tc.send([]byte("x")))
}

// The queued mode (TLS, other platforms, Options.NetpollIO) reads through
// the netpoller and writes through a writer goroutine: the room never
// blocks, and skips while a write is in flight or waiting.
func TestQueuedSocketNeverBlocksTheRoom(t *testing.T) {
	tc, peer := tcpPair(t)
	tc.startRoomIO(false)
	require.False(t, tc.roomDriven())
	r := startReader(tc, 64)
	_, err := peer.Write([]byte("input"))
	require.NoError(t, err)
	require.Equal(t, []byte("input"), <-r.chunks)

	msg := appendFrame(nil, []byte("snapshot"))
	require.Equal(t, sendDone, tc.send(msg))
	buf := make([]byte, len(msg))
	_, err = io.ReadFull(peer, buf)
	require.NoError(t, err)
	require.Equal(t, msg, buf)

	// A peer that reads nothing: sends return at once, busy, never block.
	chunk := make([]byte, 256<<10)
	busy := false
	for i := 0; i < 200 && !busy; i++ {
		start := time.Now()
		res := tc.send(chunk)
		require.Less(t, time.Since(start), time.Second, "send blocked")
		busy = res == sendBusy
		if !busy {
			time.Sleep(time.Millisecond)
		}
	}
	require.True(t, busy, "a stalled writer must make the room skip")
	stall, _ := tc.stalled(tc.now() + time.Second)
	require.Greater(t, stall, time.Duration(0))
}

func TestAppendFrameIsAnRFC6455ServerFrame(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 1000, 65535, 65536, 70000} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 7)
		}
		f := appendFrame([]byte("prefix"), p)
		require.Equal(t, "prefix", string(f[:6]))
		f = f[6:]
		require.Equal(t, byte(0x82), f[0], "FIN and the binary opcode")
		require.Zero(t, f[1]&0x80, "a server's frames are not masked")
		var length, header int
		switch l := int(f[1] & 0x7F); {
		case l < 126:
			length, header = l, 2
		case l == 126:
			length, header = int(binary.BigEndian.Uint16(f[2:])), 4
			require.GreaterOrEqual(t, length, 126, "minimal length encoding")
		default:
			length, header = int(binary.BigEndian.Uint64(f[2:])), 10
			require.Greater(t, length, 0xFFFF, "minimal length encoding")
		}
		require.Equal(t, n, length, "length of %d", n)
		require.Equal(t, p, f[header:], "payload of %d", n)
	}
}

func TestStampClockTrustsOnlyPlausibleStamps(t *testing.T) {
	c := stampClock{server: 10 * time.Second, wall: 1_000_000_000_000}
	assert.Equal(t, 10*time.Second, c.arrival(0), "no stamp: now")
	assert.Equal(t, 10*time.Second-3*time.Millisecond, c.arrival(c.wall-int64(3*time.Millisecond)))
	assert.Equal(t, 10*time.Second, c.arrival(c.wall+int64(time.Second)), "a stamp from the future (clock stepped back) is now")
	assert.Equal(t, 10*time.Second-maxStampAge, c.arrival(c.wall-int64(time.Hour)), "an ancient stamp (clock stepped forward) is clamped")
}

// A batch signals done once per round, after the room's own count and
// every reader's are released, in any order.
func TestReadBatchSignalsOnceAllAreDone(t *testing.T) {
	b := newReadBatch()
	for round := 0; round < 3; round++ {
		b.pending.Store(1)
		for range 5 {
			b.pending.Add(1)
		}
		for range 5 {
			go b.release()
		}
		if b.pending.Add(-1) != 0 {
			select {
			case <-b.done:
			case <-time.After(5 * time.Second):
				t.Fatal("done never signalled")
			}
		}
		select {
		case <-b.done:
			t.Fatal("done signalled twice")
		default:
		}
	}
}
