package nettest

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// LatencyProxy forwards TCP connections to a target, delaying every chunk of
// bytes in each direction by half the round trip, plus or minus up to half
// the jitter. Order is kept, as TCP keeps it: a chunk is never delivered
// before the one sent ahead of it, so jitter stretches gaps but cannot
// reorder. Bandwidth is not limited.
type LatencyProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	rtt    time.Duration
	jitter time.Duration
	rng    *rand.Rand
	conns  map[net.Conn]struct{}
	closed bool
	quit   chan struct{} // closed by Close: pending deliveries are dropped
	wg     sync.WaitGroup
}

// NewLatencyProxy listens on a random loopback port and forwards to target
// (host:port) with the given round trip and jitter.
func NewLatencyProxy(target string, rtt, jitter time.Duration) (*LatencyProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &LatencyProxy{
		ln:     ln,
		target: target,
		rtt:    rtt,
		jitter: jitter,
		rng:    rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x7157)),
		conns:  make(map[net.Conn]struct{}),
		quit:   make(chan struct{}),
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port; dial it instead of the target.
func (p *LatencyProxy) Addr() string { return p.ln.Addr().String() }

// SetLatency changes the round trip and jitter for chunks sent from now on.
func (p *LatencyProxy) SetLatency(rtt, jitter time.Duration) {
	p.mu.Lock()
	p.rtt, p.jitter = rtt, jitter
	p.mu.Unlock()
}

// ResetConns closes every proxied connection at once, as a network failure
// would, and goes on accepting new ones.
func (p *LatencyProxy) ResetConns() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		if tcp, ok := c.(*net.TCPConn); ok {
			tcp.SetLinger(0) // a reset, not a polite FIN
		}
		c.Close()
	}
}

// Close stops accepting, closes every proxied connection and waits for the
// proxy's goroutines.
func (p *LatencyProxy) Close() error {
	p.mu.Lock()
	if !p.closed {
		close(p.quit)
	}
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

// delay is one chunk's one-way delay.
func (p *LatencyProxy) delay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.rtt / 2
	if p.jitter > 0 {
		d += time.Duration(p.rng.Int64N(int64(p.jitter)+1)) - p.jitter/2
	}
	return max(d, 0)
}

func (p *LatencyProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *LatencyProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *LatencyProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		if !p.track(client) || !p.track(server) {
			client.Close()
			server.Close()
			return
		}
		p.wg.Add(2)
		go p.pipe(client, server)
		go p.pipe(server, client)
	}
}

// chunk is bytes on their way, and when they may arrive.
type chunk struct {
	data []byte
	at   time.Time
}

// pipe copies src to dst through a delay line: a reader stamps each chunk
// with its delivery time, a writer waits until then. When either side
// ends, both connections close; data still in the line is delivered on a
// clean end (EOF) and dropped on a reset or when the proxy closes.
func (p *LatencyProxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	line := make(chan chunk, 4096)
	abort := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		timer := time.NewTimer(0)
		defer timer.Stop()
		for c := range line {
			if wait := time.Until(c.at); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-abort:
					return
				case <-p.quit:
					return
				}
			}
			if _, err := dst.Write(c.data); err != nil {
				return
			}
		}
	}()
	var last time.Time
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			at := time.Now().Add(p.delay())
			if at.Before(last) {
				at = last // keep TCP's order
			}
			last = at
			line <- chunk{data: append([]byte(nil), buf[:n]...), at: at}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				close(abort) // a reset or a close: what is in flight is lost
			}
			break
		}
	}
	close(line)
	<-done
	src.Close()
	dst.Close()
	p.untrack(src)
	p.untrack(dst)
}
