package server

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/netcode/timing"
	"github.com/tickwire/tickwire/sim"
)

// inputWindow is how many ticks ahead of the room a client may send inputs
// (and how far back the buffer remembers them). At 30 Hz it is two seconds,
// more lead than any sane connection needs.
const inputWindow = 64

// inputSlot holds the input for one tick, when it arrived, and the view
// time the client claimed in the frame that brought it: a shot is judged
// by what the shooter saw when it fired, not by a later frame's claim.
type inputSlot struct {
	tick    sim.Tick
	input   sim.Input
	arrived time.Duration
	claim   sim.TickTime
}

// player is a seat in a room. The fields under mu are written by the
// connection's reader goroutine and drained by the room at its tick; the
// rest belong to the room goroutine.
type player struct {
	id     sim.PlayerID
	entity sim.EntityID
	name   string
	room   *room

	mu        sync.Mutex
	slots     [inputWindow]inputSlot
	ackTick   sim.Tick     // newest snapshot tick the client decoded
	viewClaim sim.TickTime // the client's claimed view time
	rtt       timing.RTTEstimator
	arrival   timing.InputTimer
	newest    sim.Tick // newest input tick received
	late      uint64   // inputs that arrived after their tick ran
	early     uint64   // inputs too far ahead to buffer

	// Owned by the room goroutine.
	conn        *conn // nil while disconnected
	resumeToken string
	goneAt      time.Duration // when conn dropped, while it is nil
	last        sim.Input
	lastApplied sim.Tick
	fresh       bool
	firstSent   sim.Tick
	lastSent    sim.Tick
	pingDue     bool   // a Ping goes with the next snapshot
	pingID      uint32 // the last Ping's ID
	rosterSent  uint32 // the room's roster version this connection has
	// With a Viewer only: the player's own filtered frames, and which view
	// each sent tick had.
	views      *delta.History
	viewHashes []viewRecord
}

// viewRecord remembers the view hash a snapshot was sent with.
type viewRecord struct {
	tick sim.Tick
	hash uint64
}

func newPlayer(id sim.PlayerID, ent sim.EntityID, name string, c *conn, r *room) *player {
	return &player{id: id, entity: ent, name: name, conn: c, room: r}
}

// pushInputs stores the inputs of a frame that arrived at now. Every frame
// repeats the inputs not yet acknowledged, so only inputs newer than any seen
// before count; of those, the ones whose tick already ran are late (counted,
// and they teach the client to lead more), and the ones too far ahead are
// dropped. It never blocks on the room.
func (p *player) pushInputs(f *protocol.InputFrame, now time.Duration) {
	current := sim.Tick(p.room.current.Load())
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.AckTick > p.ackTick {
		p.ackTick = f.AckTick
	}
	p.viewClaim = f.ViewTime
	for i := range f.Inputs {
		in := &f.Inputs[i]
		if in.Tick <= p.newest {
			continue
		}
		p.newest = in.Tick
		p.arrival.Add(p.room.dueAt(in.Tick), now)
		switch {
		case in.Tick <= current:
			p.late++
			p.room.srv.metrics.inputsLate.Inc()
		case in.Tick > current+inputWindow:
			p.early++
		default:
			p.slots[in.Tick%inputWindow] = inputSlot{tick: in.Tick, input: in.Input, arrived: now, claim: f.ViewTime}
		}
	}
}

// addRTTSample feeds one round-trip measurement.
func (p *player) addRTTSample(d time.Duration) {
	p.mu.Lock()
	p.rtt.Add(d)
	p.mu.Unlock()
	p.room.srv.metrics.rtt.Observe(d.Seconds())
}

// takeInput returns the player's input for tick t: the one the client sent
// for t, or the last one repeated when it did not arrive in time.
func (p *player) takeInput(t sim.Tick, r *room) sim.PlayerInput {
	p.mu.Lock()
	s := &p.slots[t%inputWindow]
	p.fresh = s.tick == t
	arrived := s.arrived
	if p.fresh {
		p.last = s.input
		p.lastApplied = t
	}
	claim := p.viewClaim
	if p.fresh {
		claim = s.claim
	}
	srtt, rttvar := p.rtt.SRTT(), p.rtt.RTTVar()
	p.mu.Unlock()
	if !p.fresh {
		arrived = r.dueAt(t)
		r.stats.repeated++
	}
	return sim.PlayerInput{
		Player:   p.id,
		Input:    p.last,
		Fresh:    p.fresh,
		ViewTime: r.viewTime(t, arrived, srtt, rttvar, claim),
	}
}

// baseline returns the newest snapshot the player acknowledged that the
// room still holds, or nil when a full snapshot is needed.
func (p *player) baseline(h *delta.History, cur sim.Tick) *delta.Frame {
	p.mu.Lock()
	ack := p.ackTick
	p.mu.Unlock()
	// A client can only acknowledge what it was sent; anything else (a
	// bug or a lie) gets a full snapshot.
	if ack == 0 || ack < p.firstSent || ack > p.lastSent || ack >= cur {
		return nil
	}
	f, ok := h.Get(ack)
	if !ok {
		return nil
	}
	return f
}

// sentTick records that a snapshot of t, seen through view, was sent.
func (p *player) sentTick(t sim.Tick, view uint64) {
	if p.firstSent == 0 {
		p.firstSent = t
	}
	p.lastSent = t
	if len(p.viewHashes) > 0 {
		p.viewHashes[int(t)%len(p.viewHashes)] = viewRecord{tick: t, hash: view}
	}
}

// viewAt returns the view hash the snapshot of t was sent with.
func (p *player) viewAt(t sim.Tick) (uint64, bool) {
	if len(p.viewHashes) == 0 {
		return 0, true
	}
	rec := p.viewHashes[int(t)%len(p.viewHashes)]
	return rec.hash, rec.tick == t
}

// timingEvery is how often (in ticks) a player's snapshot carries the
// timing fields: RTT, input lead and send delay change slowly, and leaving
// them out of the other snapshots saves ~3 of a steady snapshot's ~40 bytes.
const timingEvery = 4

// header is the per-player part of the snapshot of tick t.
func (p *player) header(t, baseline sim.Tick, sendDelay time.Duration) delta.Header {
	h := delta.Header{
		Baseline:      baseline,
		LastInput:     p.lastApplied,
		InputRepeated: !p.fresh,
	}
	// Every few ticks, and in a connection's first snapshots so a client
	// syncs its clock at once.
	if t%timingEvery == 0 || t-p.firstSent < timingEvery || p.firstSent == 0 {
		p.mu.Lock()
		h.RTT, h.InputLead = p.rtt.SRTT(), p.arrival.Lead()
		p.mu.Unlock()
		h.Timing, h.SendDelay = true, max(sendDelay, 0)
	}
	return h
}

// newResumeToken returns an unguessable token that gives a dropped player
// its seat back.
func newResumeToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
