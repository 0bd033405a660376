package server

import (
	"sync"

	"github.com/tickwire/tickwire/sim"
)

// outBuf is one encoded snapshot on its way to a connection.
type outBuf struct {
	data []byte
	tick sim.Tick
}

// mailbox hands snapshots from a room to a connection's writer without ever
// blocking the room: it holds at most one unsent snapshot, and a newer one
// replaces it. Because every snapshot is a delta against a baseline the
// client acknowledged, any snapshot that gets through can be decoded; a slow
// client just sees fewer of them.
//
// It owns three buffers, recycled forever: one the writer is sending, one
// waiting, one the room is filling. So steady state allocates nothing.
type mailbox struct {
	mu       sync.Mutex
	pending  *outBuf
	spare    []*outBuf
	pingDue  bool
	replaced uint64        // snapshots overwritten before they were sent
	ready    chan struct{} // capacity 1: "there is something to send"
}

func newMailbox() *mailbox {
	m := &mailbox{ready: make(chan struct{}, 1)}
	for range 3 {
		m.spare = append(m.spare, &outBuf{data: make([]byte, 0, 256)})
	}
	return m
}

// get returns a buffer for the room to fill. There is always one: the
// writer holds at most one and the mailbox at most one.
func (m *mailbox) get() *outBuf {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.spare)
	if n == 0 {
		// Unreachable while the three-buffer invariant holds; recover by
		// reclaiming the pending snapshot rather than allocating.
		b := m.pending
		m.pending = nil
		m.replaced++
		return b
	}
	b := m.spare[n-1]
	m.spare = m.spare[:n-1]
	return b
}

// put publishes b as the latest snapshot, recycling any unsent older one.
// It reports whether an older one was replaced.
func (m *mailbox) put(b *outBuf) (replaced bool) {
	m.mu.Lock()
	if m.pending != nil {
		m.spare = append(m.spare, m.pending)
		m.replaced++
		replaced = true
	}
	m.pending = b
	m.mu.Unlock()
	m.signal()
	return replaced
}

// requestPing asks the writer to send a Ping with its next wake-up.
func (m *mailbox) requestPing() {
	m.mu.Lock()
	m.pingDue = true
	m.mu.Unlock()
	m.signal()
}

func (m *mailbox) signal() {
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// take gives the writer what there is to send: whether a ping is due and
// the latest snapshot (nil if none). The writer returns the snapshot with
// release once it is written.
func (m *mailbox) take() (ping bool, b *outBuf) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ping, b = m.pingDue, m.pending
	m.pingDue, m.pending = false, nil
	return ping, b
}

func (m *mailbox) release(b *outBuf) {
	m.mu.Lock()
	m.spare = append(m.spare, b)
	m.mu.Unlock()
}

func (m *mailbox) replacedCount() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.replaced
}
