//go:build linux

package server

import (
	"errors"
	"net"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tickwire/tickwire/netcode/rawsock"
)

// rawTCP is a TCP socket the netpoller no longer watches: a duplicate of
// the accepted socket's descriptor, non-blocking, with kernel receive
// timestamps on. Closing the original (which deregisters it from epoll) is
// what takes it out: an epoll registration lives as long as its
// descriptor, not the socket.
type rawTCP struct {
	fd  int
	msg unix.Msghdr
	iov unix.Iovec
	// oob receives one SCM_TIMESTAMPNS control message: a header and a
	// timespec, 8-byte aligned.
	oob [4]uint64
}

// detachRaw takes nc's socket out of the netpoller. nc is closed on
// success and untouched on failure.
func detachRaw(nc net.Conn) (rawSocket, error) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil, errors.New("not a TCP connection")
	}
	fd, err := rawsock.Detach(tc)
	if err != nil {
		return nil, err
	}
	// Without stamps arrival times fall back to the read's time, a tick
	// coarse; keep going rather than fail the player. The same fallback
	// covers the first segments after the process's first stamping socket:
	// Linux enables stamping through a static key switched on later, on a
	// workqueue, and a segment that lands before then carries no stamp.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	r := &rawTCP{fd: fd}
	r.msg.Iov = &r.iov
	r.msg.SetIovlen(1)
	return r, nil
}

func (r *rawTCP) recv(p []byte) (int, int64, error) {
	r.iov.Base = &p[0]
	r.iov.SetLen(len(p))
	r.msg.Control = (*byte)(unsafe.Pointer(&r.oob[0]))
	r.msg.SetControllen(int(unsafe.Sizeof(r.oob)))
	r.msg.Flags = 0
	for {
		n, _, errno := unix.Syscall(unix.SYS_RECVMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.msg)), 0)
		switch errno {
		case 0:
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, 0, errWouldBlock
		default:
			return 0, 0, errno
		}
		r.iov.Base = nil // do not keep the caller's buffer alive
		return int(n), r.stamp(), nil
	}
}

// stamp is the SCM_TIMESTAMPNS of the last recvmsg, in Unix ns, or 0.
func (r *rawTCP) stamp() int64 {
	hdr := unix.CmsgLen(0)
	if int(r.msg.Controllen) < unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
		return 0
	}
	h := (*unix.Cmsghdr)(unsafe.Pointer(&r.oob[0]))
	if h.Level != unix.SOL_SOCKET || h.Type != unix.SCM_TIMESTAMPNS {
		return 0
	}
	ts := (*unix.Timespec)(unsafe.Add(unsafe.Pointer(&r.oob[0]), hdr))
	return ts.Nano()
}

func (r *rawTCP) send(p []byte) (int, error) {
	for {
		n, err := unix.Write(r.fd, p)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, errWouldBlock
		default:
			return 0, err
		}
	}
}

func (r *rawTCP) repoll() (net.Conn, error) {
	f := os.NewFile(uintptr(r.fd), "tickwire-socket")
	nc, err := net.FileConn(f) // a new descriptor, in the netpoller
	f.Close()
	r.fd = -1
	return nc, err
}

func (r *rawTCP) close() error {
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}
