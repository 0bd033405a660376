package rawsock

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"
)

// Detach returns a duplicate of tc's descriptor, non-blocking and
// close-on-exec, and closes tc. Closing the original is what takes the
// socket out of the netpoller's epoll set (a registration lives as long
// as its descriptor); the duplicate keeps the connection open and is the
// caller's to close. On failure tc is untouched and still usable.
func Detach(tc *net.TCPConn) (int, error) {
	if tc == nil {
		return -1, errors.New("rawsock: nil connection")
	}
	sc, err := tc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	if err := sc.Control(func(f uintptr) {
		fd, dupErr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if dupErr != nil {
		return -1, dupErr
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	tc.Close()
	return fd, nil
}
