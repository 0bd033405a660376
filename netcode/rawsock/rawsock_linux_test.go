package rawsock

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// tcpPair returns the two ends of a real loopback TCP connection.
func tcpPair(t *testing.T) (*net.TCPConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	dialed, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	peer := <-accepted
	require.NotNil(t, peer)
	t.Cleanup(func() { dialed.Close(); peer.Close() })
	return dialed.(*net.TCPConn), peer
}

func TestDetachHandsOverTheConnection(t *testing.T) {
	tc, peer := tcpPair(t)
	fd, err := Detach(tc)
	require.NoError(t, err)
	defer func() {
		if fd >= 0 {
			unix.Close(fd)
		}
	}()

	// The original is closed; the connection is not.
	_, err = tc.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)

	// Non-blocking: nothing to read is EAGAIN, not a wait.
	buf := make([]byte, 16)
	_, err = unix.Read(fd, buf)
	require.ErrorIs(t, err, unix.EAGAIN)

	n, err := unix.Write(fd, []byte("ping"))
	require.NoError(t, err)
	require.Equal(t, 4, n)
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(5*time.Second)))
	got := make([]byte, 4)
	_, err = peer.Read(got)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(got))

	_, err = peer.Write([]byte("pong"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n, err = unix.Read(fd, buf)
		return err == nil
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, "pong", string(buf[:n]))

	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	assert.NotZero(t, flags&unix.FD_CLOEXEC, "a child process must not inherit a player's socket")

	// Closing the duplicate ends the connection for the peer.
	require.NoError(t, unix.Close(fd))
	_, err = peer.Read(got)
	assert.Error(t, err)
	fd = -1
}

func TestDetachRefusesAClosedConnection(t *testing.T) {
	tc, _ := tcpPair(t)
	require.NoError(t, tc.Close())
	fd, err := Detach(tc)
	require.Error(t, err)
	assert.Equal(t, -1, fd)

	_, err = Detach(nil)
	require.Error(t, err)
}
