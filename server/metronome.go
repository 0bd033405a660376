package server

import (
	"slices"
	"sync"
	"time"
)

// metronome beats for every room at once. A timer per room fires at its
// own phase, so a hundred rooms woke the process three thousand times a
// second; beating on one grid (multiples of the tick period in server time)
// wakes it thirty times, and each beat does every room's reads, steps and
// writes together. It runs only while there are rooms.
//
// Rooms are signalled in the same order every beat, so each player's
// snapshot leaves at the same point of the beat's burst: with a map's
// random order a player's place moved by up to the whole burst (~15 ms at
// 1,000 players) from one beat to the next, and that showed as jitter in
// every client's snapshot interval.
type metronome struct {
	srv    *Server
	period time.Duration

	mu      sync.Mutex
	rooms   []*room
	running bool
}

func newMetronome(s *Server) *metronome {
	return &metronome{
		srv:    s,
		period: time.Second / time.Duration(s.opts.TickRate),
	}
}

// grid is the latest beat at or before d.
func (m *metronome) grid(d time.Duration) time.Duration {
	return d - d%m.period
}

// join has r's tickc signalled at every beat until leave.
func (m *metronome) join(r *room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rooms = append(m.rooms, r)
	if !m.running {
		m.running = true
		m.srv.goroutine(m.run)
	}
}

func (m *metronome) leave(r *room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := slices.Index(m.rooms, r); i >= 0 {
		m.rooms = slices.Delete(m.rooms, i, i+1)
	}
}

func (m *metronome) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := m.srv.now()
		// Timers fire late, never early, so every room's tick is due by
		// the time its beat arrives.
		timer.Reset(m.grid(now) + m.period - now)
		<-timer.C
		m.mu.Lock()
		if len(m.rooms) == 0 {
			m.running = false
			m.mu.Unlock()
			return
		}
		for _, r := range m.rooms {
			signal(r.tickc)
		}
		m.mu.Unlock()
	}
}
