package main

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/sim"
)

// sentRing is how many ticks of send times a bot remembers to time the
// round trip of its inputs: four seconds at 30 Hz, far past any ack.
const sentRing = 128

// maxCatchUp is the most input ticks one frame labels after the bot fell
// behind the server's clock (a stall); older ones would arrive late anyway.
const maxCatchUp = 8

// sentSlot is when the input for one tick first left. Written by the
// bot's shard goroutine, read by its client's reader goroutine.
type sentSlot struct {
	tick atomic.Uint32
	at   atomic.Int64 // swarm time, ns
}

// bot is one simulated player. Its fields are split by owner: the shard
// goroutine that sends its inputs, and the netcode.Client reader goroutine
// that calls onSnapshot; the atomics are what they share.
type bot struct {
	idx    int
	room   string
	sw     *swarm
	client *netcode.Client // set once dialled, before the bot joins a shard

	// Owned by the shard goroutine.
	rng        *rand.Rand
	input      sim.Input
	nextRedraw time.Duration
	lastLabel  sim.Tick
	extraLead  time.Duration // lead beyond RTT/2, grown when inputs arrive late
	nextAdjust time.Duration
	calmChecks int
	aheadWakes int
	batch      []protocol.TickInput
	dead       bool

	// Owned by the reader goroutine (onSnapshot).
	lastArrival   time.Duration
	lastInputSeen sim.Tick

	// Shared.
	retired   atomic.Bool // churned out: its seat went to a new bot
	counted   atomic.Bool // counted in measures.connected
	sent      [sentRing]sentSlot
	headerRTT atomic.Int64  // the server's RTT estimate from the newest header, ns
	repeats   atomic.Uint32 // snapshots whose header said our input was repeated
}

func newBot(sw *swarm, idx int, room string) *bot {
	return &bot{
		idx:  idx,
		room: room,
		sw:   sw,
		rng:  rand.New(rand.NewPCG(sw.cfg.Seed, uint64(idx))),
	}
}

// redraw picks new behaviour the way the peer workload's bots do: each
// move axis uniform in {-1, 0, 1}, a uniform aim, fire with the scenario's
// probability, and the next redraw uniformly between the scenario's bounds.
func (b *bot) redraw(now time.Duration) {
	sc := &b.sw.sc
	b.input.MoveX = int8(b.rng.IntN(3) - 1)
	b.input.MoveY = int8(b.rng.IntN(3) - 1)
	b.input.Aim = uint16(b.rng.Uint32())
	b.input.Buttons = 0
	if b.rng.Float64() < sc.FireProbability {
		b.input.Buttons = sim.ButtonFire
	}
	span := sc.RedrawMax - sc.RedrawMin
	b.nextRedraw = now + sc.RedrawMin + time.Duration(b.rng.Int64N(int64(span)+1))
}

// step runs on the bot's shard goroutine once per tick: it labels the
// input tick(s) now due and sends one frame, which also acknowledges the
// newest snapshot. It reports false once the connection has ended.
func (b *bot) step(now time.Duration) bool {
	if b.dead || b.retired.Load() {
		return false
	}
	if now >= b.nextRedraw {
		b.redraw(now)
	}
	b.adjustLead(now)
	from, to, ok := b.ticksToLabel()
	if !ok {
		return true
	}
	b.batch = b.batch[:0]
	for t := from; t <= to; t++ {
		b.batch = append(b.batch, protocol.TickInput{Tick: t, Input: b.input})
		slot := &b.sent[t%sentRing]
		slot.at.Store(int64(now))
		slot.tick.Store(uint32(t))
	}
	if err := b.client.SendInputs(b.batch); err != nil {
		b.dead = true
		if !b.retired.Load() {
			b.sw.botLost(b, err)
		}
		return false
	}
	b.lastLabel = to
	b.sw.m.inputs.Add(uint64(len(b.batch)))
	b.sw.m.frames.Add(1)
	return true
}

// ticksToLabel decides which input ticks this wake sends. The target is the
// tick the server will be running when the frame arrives, plus a margin:
// the client's estimate of server time, plus half the RTT the server
// reports, plus extraLead.
func (b *bot) ticksToLabel() (from, to sim.Tick, ok bool) {
	period := b.sw.period
	lead := time.Duration(b.headerRTT.Load())/2 + b.extraLead
	st := b.client.ServerTime() + sim.TickTime(int64(lead)*sim.SubTicks/int64(period))
	want := sim.Tick(0)
	if st > 0 {
		want = sim.Tick((st + sim.SubTicks - 1) / sim.SubTicks)
	}
	if b.lastLabel == 0 && want == 0 {
		want = b.client.Welcome().ServerTick + 2 // no clock estimate yet
	}
	from, to, ok = planLabels(b.lastLabel, want)
	if !ok {
		// Ahead of the server: wait for it, but never longer than a
		// second, so a wrong clock estimate cannot silence a bot.
		if b.aheadWakes < b.sw.tickRate {
			b.aheadWakes++
			b.sw.m.skippedWakes.Add(1)
			return 0, 0, false
		}
		from, to = b.lastLabel+1, b.lastLabel+1
	}
	b.aheadWakes = 0
	return from, to, true
}

// planLabels picks the input ticks to send given the last one sent (0:
// none yet) and the one the clock wants now. Normally that is the tick
// after the last; after a stall it catches up, labelling at most maxCatchUp
// ticks; when the bot is two or more ticks ahead it sends nothing (ok
// false). One tick ahead is jitter: it sends the next tick anyway.
func planLabels(last, want sim.Tick) (from, to sim.Tick, ok bool) {
	if last == 0 {
		return want, want, true
	}
	next := last + 1
	switch {
	case want > next:
		if want-next >= maxCatchUp {
			return want - maxCatchUp + 1, want, true
		}
		return next, want, true
	case want+1 < next:
		return 0, 0, false
	}
	return next, next, true
}

// adjustLead grows the bot's input lead when the server reports it had to
// repeat inputs (they arrived after their tick), and shrinks it slowly
// after a calm spell, as a game client's lead controller would.
func (b *bot) adjustLead(now time.Duration) {
	if now < b.nextAdjust {
		return
	}
	period := b.sw.period
	if b.nextAdjust == 0 {
		b.extraLead = period / 2
		b.nextAdjust = now + time.Second
		b.repeats.Store(0)
		return
	}
	b.nextAdjust = now + time.Second
	if b.repeats.Swap(0) >= 2 {
		b.extraLead = min(b.extraLead+period/4, 3*period)
		b.calmChecks = 0
		return
	}
	b.calmChecks++
	if b.calmChecks >= 10 {
		b.extraLead = max(b.extraLead-period/8, period/4)
		b.calmChecks = 0
	}
}

// onSnapshot runs on the client's reader goroutine for every decoded
// snapshot (under the client's lock: it must not call the client).
func (b *bot) onSnapshot(s *netcode.Snapshot) {
	m := b.sw.m
	now := b.sw.now()
	m.snapshots.Add(1)
	m.bytes.Add(uint64(s.Bytes))
	if b.lastArrival != 0 {
		m.interval.Record((now - b.lastArrival).Microseconds())
	}
	b.lastArrival = now
	h := &s.Header
	if h.RTT > 0 {
		b.headerRTT.Store(int64(h.RTT))
		m.serverRTT.Record(h.RTT.Microseconds())
	}
	if h.InputRepeated {
		b.repeats.Add(1)
		m.repeated.Add(1)
	}
	if h.LastInput <= b.lastInputSeen {
		return
	}
	b.lastInputSeen = h.LastInput
	slot := &b.sent[h.LastInput%sentRing]
	at := time.Duration(slot.at.Load())
	if slot.tick.Load() != uint32(h.LastInput) || at == 0 {
		return
	}
	// The input round trip: from the frame that first carried this tick's
	// input to the first snapshot saying the server applied it.
	latency := now - at
	m.inputLatency.Record(latency.Microseconds())
	// Less the time the input waited at the server for its tick (the
	// header's smoothed lead) and the time from the tick to the snapshot
	// (its send delay): what is left is the network round trip plus both
	// ends' scheduling.
	rtt := latency - max(h.InputLead, 0) - h.SendDelay
	m.rtt.Record(max(rtt, 0).Microseconds())
}
