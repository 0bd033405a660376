package netcode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tickwire/tickwire/netcode/rawsock"
)

// Poller reads many clients' connections from one goroutine: the
// connections' sockets leave Go's netpoller for an epoll set of the
// Poller's own, and when the server writes to any of them the Poller's
// goroutine reads each ready socket once and handles what came (decode,
// acknowledge, answer pings, OnSnapshot) right there. A client of its own
// costs a goroutine wake-up, a read and a second read that finds nothing
// (Go reads until EAGAIN) per message; through a Poller it is one read,
// and one wake-up for every socket the server wrote since the last. That
// is what lets one core drive a load test's 1,500 clients honestly (see
// loadbots). A game has one connection and no use for it.
//
// The Poller's epoll set sits in Go's netpoller itself, so its goroutine
// waits like any other, holding no thread. Clients are added by Dial
// (Options.Poller) and leave when their connection ends.
type Poller struct {
	epfd   int
	file   *os.File // epfd, registered in Go's netpoller
	events []unix.EpollEvent

	mu      sync.Mutex
	wakefd  int       // an eventfd in the set: closes and Close wake the goroutine; -1 once shut
	slots   []*polled // by index; nil when free
	gens    []int32   // by index: bumped at each reuse, so a stale event is known
	free    []int32
	woken   []*polled // closed from outside: the goroutine ends them
	closing bool

	stopOnce  sync.Once
	stopWatch chan struct{}
	watchDone chan struct{} // closed when the watchdog has exited
	done      chan struct{} // closed when the goroutine has ended every client and exited
}

// polled is one client in a Poller.
type polled struct {
	c         *Client
	l         link
	sock      *polledSocket
	idx       int32
	gen       int32
	lastHeard atomic.Int64 // client time, ns
	silent    atomic.Bool  // the watchdog closed it
	ended     atomic.Bool  // end has run
}

// wakeSlot is the epoll data of the Poller's eventfd.
const wakeSlot = -1

// NewPoller starts a Poller. Close stops it.
func NewPoller() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netcode: epoll: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("netcode: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeSlot}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, fmt.Errorf("netcode: epoll add: %w", err)
	}
	// Non-blocking, so that os.NewFile hands it to the netpoller: an
	// epoll set is readable while it has events ready.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, err
	}
	p := &Poller{
		epfd:      epfd,
		file:      os.NewFile(uintptr(epfd), "netcode-poller"),
		wakefd:    wakefd,
		events:    make([]unix.EpollEvent, 256),
		stopWatch: make(chan struct{}),
		watchDone: make(chan struct{}),
		done:      make(chan struct{}),
	}
	rc, err := p.file.SyscallConn()
	if err != nil {
		p.file.Close()
		unix.Close(wakefd)
		return nil, err
	}
	go p.run(rc)
	go p.watch()
	return p, nil
}

// Close ends every client still in the Poller (as if its connection had
// dropped) and stops it.
func (p *Poller) Close() error {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	p.stopOnce.Do(func() { close(p.stopWatch) })
	p.wake()
	<-p.watchDone
	<-p.done
	return nil
}

// wake makes the Poller's goroutine look at woken and closing. The lock
// keeps the write off a descriptor number shut has given back.
func (p *Poller) wake() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wakefd >= 0 {
		one := [8]byte{1}
		unix.Write(p.wakefd, one[:])
	}
}

// add takes l's socket out of the netpoller and into p, after handling
// whatever already arrived. false leaves l as it was: the client then
// reads for itself.
func (p *Poller) add(c *Client, l link) bool {
	p.mu.Lock()
	closing := p.closing
	p.mu.Unlock()
	if closing {
		return false
	}
	sock, err := detachSocket(l.fc)
	if err != nil {
		return false
	}
	s := &polled{c: c, l: l, sock: sock}
	s.lastHeard.Store(int64(c.now()))
	sock.onClose = func() { p.closedOutside(s) }
	// What came with the Welcome (the first snapshot, often) is in the
	// frame reader or the socket now: handle it before the socket is
	// watched, so only one goroutine reads at a time. What arrives after
	// this drain finds the socket ready when it joins the set.
	if s.drain(time.Duration(c.opts.DeadAfter)) {
		return true
	}
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		s.end(ErrClosed)
		return true
	}
	if n := len(p.free); n > 0 {
		s.idx = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		s.idx = int32(len(p.slots))
		p.slots = append(p.slots, nil)
		p.gens = append(p.gens, 0)
	}
	p.gens[s.idx]++
	s.gen = p.gens[s.idx]
	p.slots[s.idx] = s
	// Under the lock, so shut cannot close the set (and its number be
	// reused) in between.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: s.idx, Pad: s.gen}
	err = sock.register(p.epfd, &ev)
	p.mu.Unlock()
	if err != nil {
		p.release(s)
		s.end(err)
	}
	return true
}

func (p *Poller) release(s *polled) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.slots[s.idx] == s {
		p.slots[s.idx] = nil
		p.free = append(p.free, s.idx)
	}
}

// closedOutside hears that s's socket was closed by another goroutine
// (Client.Drop or Close, the watchdog): the Poller's goroutine ends it.
func (p *Poller) closedOutside(s *polled) {
	p.mu.Lock()
	p.woken = append(p.woken, s)
	p.mu.Unlock()
	p.wake()
}

// run is the Poller's goroutine. The netpoller wakes it when the set has
// events; it takes them until none are left, then waits again.
func (p *Poller) run(rc interface {
	Read(func(fd uintptr) bool) error
}) {
	defer close(p.done)
	var batch []*polled
	for {
		stop := false
		err := rc.Read(func(uintptr) bool {
			for {
				n, err := unix.EpollWait(p.epfd, p.events, 0)
				if err == unix.EINTR {
					continue
				}
				if n <= 0 {
					return false // wait for the netpoller
				}
				batch = batch[:0]
				woke := false
				p.mu.Lock()
				for _, ev := range p.events[:n] {
					if ev.Fd == wakeSlot {
						woke = true
						continue
					}
					if s := p.slots[ev.Fd]; s != nil && s.gen == ev.Pad {
						batch = append(batch, s)
					}
				}
				p.mu.Unlock()
				for _, s := range batch {
					p.readable(s)
				}
				if woke {
					var b [8]byte
					p.mu.Lock()
					unix.Read(p.wakefd, b[:])
					p.mu.Unlock()
					if p.takeWoken() {
						stop = true
						return true
					}
				}
			}
		})
		if stop || err != nil {
			p.shut()
			return
		}
	}
}

// takeWoken ends the clients closed from outside; true when the Poller is
// closing.
func (p *Poller) takeWoken() bool {
	p.mu.Lock()
	woken := p.woken
	p.woken = nil
	closing := p.closing
	p.mu.Unlock()
	for _, s := range woken {
		p.readable(s) // the read finds the socket closed and ends it
	}
	return closing
}

// shut ends every client left and releases the Poller's descriptors.
func (p *Poller) shut() {
	p.mu.Lock()
	p.closing = true // no more adds
	left := make([]*polled, 0, len(p.slots))
	for _, s := range p.slots {
		if s != nil {
			left = append(left, s)
		}
	}
	p.mu.Unlock()
	for _, s := range left {
		p.release(s)
		s.end(ErrClosed)
	}
	p.mu.Lock()
	wakefd := p.wakefd
	p.wakefd = -1
	p.file.Close()
	p.mu.Unlock()
	unix.Close(wakefd)
}

// readable handles what s's socket has brought.
func (p *Poller) readable(s *polled) {
	if s.ended.Load() {
		return
	}
	s.sock.drained = false
	if s.drain(time.Duration(s.c.opts.DeadAfter)) {
		p.release(s)
	}
}

// drain handles every whole message that has arrived, reading the socket
// once more only if the last read filled the buffer; true when the
// connection ended (and the client with it).
func (s *polled) drain(deadAfter time.Duration) bool {
	for {
		mt, msg, err := s.c.readMessage(context.Background(), s.l)
		if err == errWouldBlock {
			return false
		}
		if err != nil {
			if s.silent.Load() {
				err = fmt.Errorf("%w for %s", ErrServerSilent, deadAfter)
			}
			s.end(err)
			return true
		}
		now := s.c.now()
		s.lastHeard.Store(int64(now))
		if err := s.c.handle(s.l, mt, msg, now); err != nil {
			s.end(err)
			return true
		}
	}
}

// end finishes the client as its reader goroutine would: socket closed,
// error recorded, Done closed.
func (s *polled) end(err error) {
	if !s.ended.CompareAndSwap(false, true) {
		return
	}
	s.l.closeNow()
	s.c.fail(err)
	close(s.c.done)
}

// watch is the clients' silence watchdog (Options.DeadAfter): a playing
// server sends every tick, so silence is a dead path.
func (p *Poller) watch() {
	defer close(p.watchDone)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var silent []*polled
	for {
		select {
		case <-p.stopWatch:
			return
		case <-t.C:
		}
		silent = silent[:0]
		p.mu.Lock()
		for _, s := range p.slots {
			if s == nil || s.c.opts.DeadAfter <= 0 {
				continue
			}
			if s.c.now()-time.Duration(s.lastHeard.Load()) > s.c.opts.DeadAfter {
				silent = append(silent, s)
			}
		}
		p.mu.Unlock()
		for _, s := range silent {
			s.silent.Store(true)
			s.sock.Close() // the Poller's goroutine hears it and ends the client
		}
	}
}

// polledSocket is the net.Conn under a polled client's frameConn: a
// duplicate of the dialled socket's descriptor, non-blocking, out of the
// netpoller. Reads are the Poller goroutine's and never block: once a
// read has come back short, everything that had arrived is in, and the
// next returns errWouldBlock until the Poller hears of more. Writes come
// from any goroutine (under the frameConn's lock) and wait, rarely, for
// room in the kernel's buffer.
type polledSocket struct {
	local, remote net.Addr
	onClose       func()
	drained       bool // Poller goroutine only

	mu            sync.RWMutex // fd's life: read and write share, Close excludes
	fd            int          // -1 once closed
	writeDeadline atomic.Int64 // Unix ns, 0 for none
}

var errWouldBlock = errors.New("netcode: would block")

// detachSocket moves fc's socket out of the netpoller, under fc's write
// lock so no write sees the swap half done. fc.Conn is closed on success
// and untouched on failure.
func detachSocket(fc *frameConn) (*polledSocket, error) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	tc, ok := fc.Conn.(*net.TCPConn)
	if !ok {
		return nil, errors.New("netcode: not a TCP connection")
	}
	local, remote := tc.LocalAddr(), tc.RemoteAddr()
	fd, err := rawsock.Detach(tc)
	if err != nil {
		return nil, err
	}
	s := &polledSocket{local: local, remote: remote, fd: fd}
	fc.Conn = s
	return s, nil
}

func (s *polledSocket) register(epfd int, ev *unix.EpollEvent) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.fd < 0 {
		return net.ErrClosed
	}
	return unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, s.fd, ev)
}

func (s *polledSocket) Read(p []byte) (int, error) {
	if s.drained {
		return 0, errWouldBlock
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.fd < 0 {
		return 0, net.ErrClosed
	}
	for {
		n, err := unix.Read(s.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			s.drained = true
			return 0, errWouldBlock
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		if n < len(p) {
			s.drained = true
		}
		return n, nil
	}
}

// writeWait is how long a blocked write waits for room before it checks
// its deadline and whether the socket was closed.
const writeWait = 100 * time.Millisecond

func (s *polledSocket) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		s.mu.RLock()
		fd := s.fd
		if fd < 0 {
			s.mu.RUnlock()
			return written, net.ErrClosed
		}
		n, err := unix.Write(fd, p[written:])
		s.mu.RUnlock()
		if n > 0 {
			written += n
		}
		switch {
		case err == nil || err == unix.EINTR:
			continue
		case err != unix.EAGAIN:
			return written, err
		}
		if d := s.writeDeadline.Load(); d != 0 && time.Now().UnixNano() >= d {
			return written, os.ErrDeadlineExceeded
		}
		// The kernel's buffer is full: the server is not reading. Wait
		// for room (a closed and reused descriptor only wakes us early).
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		unix.Poll(fds, int(writeWait/time.Millisecond))
	}
	return written, nil
}

// Close closes the socket, once; the Poller hears of it unless its own
// goroutine is the closer.
func (s *polledSocket) Close() error {
	s.mu.Lock()
	fd := s.fd
	s.fd = -1
	s.mu.Unlock()
	if fd < 0 {
		return net.ErrClosed
	}
	// Closing the descriptor takes it out of the Poller's set: it was
	// the socket's only one.
	err := unix.Close(fd)
	if s.onClose != nil {
		s.onClose()
	}
	return err
}

func (s *polledSocket) LocalAddr() net.Addr  { return s.local }
func (s *polledSocket) RemoteAddr() net.Addr { return s.remote }

// SetDeadline and SetReadDeadline bound nothing: reads never block.
func (s *polledSocket) SetDeadline(t time.Time) error   { return s.SetWriteDeadline(t) }
func (s *polledSocket) SetReadDeadline(time.Time) error { return nil }

func (s *polledSocket) SetWriteDeadline(t time.Time) error {
	if t.IsZero() {
		s.writeDeadline.Store(0)
	} else {
		s.writeDeadline.Store(t.UnixNano())
	}
	return nil
}
