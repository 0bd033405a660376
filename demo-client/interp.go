package main

import (
	"sync"
	"time"

	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/netcode/interp"
	"github.com/tickwire/tickwire/sim"
)

// Tuning of the playout clock.
const (
	// arrivalWindow is how many recent arrivals the playout clock looks at
	// for the least-delayed one.
	arrivalWindow = 64
	// clockSlew is the most the playout clock's offset moves per unit of
	// time when the best recent arrival changes (0.05: time runs at most 5%
	// faster or slower), so the picture never jumps.
	clockSlew = 0.05
	// delayGrow and delayShrink bound how fast the drawn delay follows the
	// DelayTracker's: growing, the picture slows to half speed at most
	// (never runs backwards); shrinking, it runs at most 5% fast.
	delayGrow   = 0.5
	delayShrink = 0.05
)

// snapshotBuffer is one connection's view of the others: the snapshots
// (netcode/interp.Buffer, which samples between them in integers), how
// irregularly they arrive (interp.DelayTracker, which sets the delay), and
// a playout clock: render time = (the tick a snapshot could have brought by
// now, judged by the least-delayed recent arrival) - delay. That render time
// is what the game draws and what it tells the server it saw.
//
// It also remembers facts the HUD and the debug overlay need from the
// newest snapshot (header, the own entity as the server has it, the last
// shot). One buffer per connection: a new connection is a new timeline.
//
// Add runs on the client's reader goroutine, the rest on the game loop; mu
// guards every field.
type snapshotBuffer struct {
	mu         sync.Mutex
	configured bool
	tickRate   float64
	lay        *layout
	own        sim.EntityID
	buf        *interp.Buffer
	delay      interp.DelayTracker

	arrivals    []float64 // tick - arrival (in ticks) of recent snapshots; ring
	next        int
	offset      float64 // the playout clock: tick time = now + offset
	haveOffset  bool
	drawnDelay  float64 // ticks: the delay drawn, following the tracker's
	lastClock   time.Duration
	newestTick  sim.Tick
	newestHead  delta.Header
	ownState    sim.EntityState
	haveOwn     bool
	lastShot    sim.EntityState
	haveShot    bool
	ownShot     bool // lastShot was fired by the own entity
	lastShotID  sim.EntityID
	interpModes [][]interp.Field
}

func newSnapshotBuffer() *snapshotBuffer { return &snapshotBuffer{} }

// configure readies the buffer for a room (from its Welcome). Snapshots
// that arrive before it are dropped; the next one is a tick away.
func (b *snapshotBuffer) configure(tickRate int, lay *layout, own sim.EntityID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tickRate = float64(tickRate)
	b.lay, b.own = lay, own
	b.buf = interp.NewBuffer(&interp.Options{Capacity: 32, Fields: lay.interpFields})
	b.delay = interp.NewDelayTracker(tickRate)
	b.configured = true
}

func (b *snapshotBuffer) ticksAt(t time.Duration) float64 { return t.Seconds() * b.tickRate }

// Add records a decoded snapshot that arrived at now (the buffer copies
// the entities).
func (b *snapshotBuffer) Add(tick sim.Tick, h delta.Header, entities []sim.EntityState, now time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.configured || tick <= b.newestTick {
		return
	}
	b.buf.Add(tick, entities)
	b.delay.Add(tick, now)
	sample := float64(tick) - b.ticksAt(now)
	if len(b.arrivals) < arrivalWindow {
		b.arrivals = append(b.arrivals, sample)
	} else {
		b.arrivals[b.next] = sample
		b.next = (b.next + 1) % arrivalWindow
	}
	b.newestTick, b.newestHead = tick, h
	b.ownState, b.haveOwn = findEntity(entities, b.own)
	b.noteShots(entities)
}

// noteShots remembers the newest shot, preferring the own entity's: the
// arena fires from the shooter's position of the same tick, so a new shot
// whose origin is the own entity's position in the same snapshot is ours.
func (b *snapshotBuffer) noteShots(entities []sim.EntityState) {
	lay := b.lay
	if lay.shot < 0 || lay.player < 0 {
		return
	}
	sk, pk := &lay.kinds[lay.shot], &lay.kinds[lay.player]
	for _, e := range entities {
		if int(e.Kind) != lay.shot || e.ID <= b.lastShotID {
			continue
		}
		b.lastShotID = e.ID
		mine := b.haveOwn && sk.get(e, sk.x) == pk.get(b.ownState, pk.x) && sk.get(e, sk.y) == pk.get(b.ownState, pk.y)
		if mine || !b.ownShot || !b.haveShot {
			b.lastShot, b.haveShot, b.ownShot = e, true, mine
		}
	}
}

func findEntity(entities []sim.EntityState, id sim.EntityID) (sim.EntityState, bool) {
	lo, hi := 0, len(entities)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case entities[m].ID < id:
			lo = m + 1
		case entities[m].ID > id:
			hi = m
		default:
			return entities[m], true
		}
	}
	return sim.EntityState{}, false
}

// renderTime advances the playout clock to now and returns the time to
// draw the others at and the interpolation delay. ok is false until a
// snapshot arrived.
func (b *snapshotBuffer) renderTime(now time.Duration) (at sim.TickTime, delay time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.configured || len(b.arrivals) == 0 {
		return 0, 0, false
	}
	best := b.arrivals[0]
	for _, a := range b.arrivals {
		best = max(best, a)
	}
	target := float64(b.delay.DelayTicks()) / sim.SubTicks
	if !b.haveOffset {
		b.offset, b.drawnDelay, b.haveOffset = best, target, true
	} else if dt := b.ticksAt(now - b.lastClock); dt > 0 {
		step := clockSlew * dt
		b.offset += min(max(best-b.offset, -step), step)
		b.drawnDelay += min(max(target-b.drawnDelay, -delayShrink*dt), delayGrow*dt)
	}
	b.lastClock = now
	clock := (b.ticksAt(now) + b.offset - b.drawnDelay) * sim.SubTicks
	delay = time.Duration(b.drawnDelay / b.tickRate * float64(time.Second))
	return max(sim.TickTime(clock), 0), delay, true
}

// Sample appends the others as drawn at time at.
func (b *snapshotBuffer) Sample(dst []sim.EntityState, at sim.TickTime) []sim.EntityState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.configured {
		return dst
	}
	return b.buf.Sample(dst, at)
}

// Newest returns the newest snapshot's tick and header.
func (b *snapshotBuffer) Newest() (sim.Tick, delta.Header, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.newestTick, b.newestHead, b.newestTick != 0
}

// Own returns the own entity as of the newest snapshot: the server's
// authoritative state, without interpolation delay.
func (b *snapshotBuffer) Own() (sim.EntityState, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ownState, b.haveOwn
}

// LastShot returns the last shot seen (the own entity's when it fired
// one), for the debug overlay.
func (b *snapshotBuffer) LastShot() (shot sim.EntityState, mine, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastShot, b.ownShot, b.haveShot
}
