package delta

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

func mustSchema(t testing.TB) *Schema {
	t.Helper()
	s, err := NewSchema(arenaKinds())
	require.NoError(t, err)
	return s
}

// chaos is a random world for property tests: entities of every kind spawn
// and despawn (IDs are sometimes reused, with another kind), fields jump to
// random values (some outside their range, to exercise clamping), positions
// move along their velocity, and the world sometimes comes unsorted.
type chaos struct {
	rng    *rand.Rand
	kinds  []sim.KindSpec
	ents   []sim.EntityState
	nextID sim.EntityID
	out    []sim.EntityState
	// churn scales how much happens per tick (0..1).
	churn float64
}

func newChaos(seed uint64, n int, churn float64) *chaos {
	c := &chaos{rng: rand.New(rand.NewPCG(seed, 2)), kinds: arenaKinds(), churn: churn}
	for range n {
		c.spawn()
	}
	return c
}

func (c *chaos) randomValue(f sim.FieldSpec) int32 {
	lo, hi := int64(f.Min)-50, int64(f.Max)+50
	return int32(lo + c.rng.Int64N(hi-lo+1))
}

func (c *chaos) spawn() {
	var id sim.EntityID
	if len(c.ents) > 0 && c.rng.IntN(8) == 0 {
		// Reuse a live ID: the old entity is replaced by a new one.
		i := c.rng.IntN(len(c.ents))
		id = c.ents[i].ID
		c.ents = slices.Delete(c.ents, i, i+1)
	} else {
		c.nextID += sim.EntityID(1 + c.rng.IntN(3))
		id = c.nextID
	}
	e := sim.EntityState{ID: id, Kind: uint8(c.rng.IntN(len(c.kinds)))}
	for fi, f := range c.kinds[e.Kind].Fields {
		e.Fields[fi] = c.randomValue(f)
	}
	if len(c.ents) > 0 && c.rng.IntN(2) == 0 {
		// Spawned by another entity: like-named fields copied (a shot from
		// its shooter), sometimes a little off.
		parent := c.ents[c.rng.IntN(len(c.ents))]
		pfields := c.kinds[parent.Kind].Fields
		for fi, f := range c.kinds[e.Kind].Fields {
			if pj := slices.IndexFunc(pfields, func(o sim.FieldSpec) bool { return o.Name == f.Name }); pj >= 0 {
				e.Fields[fi] = parent.Fields[pj] + int32(c.rng.IntN(3)-1)*int32(c.rng.IntN(100))
			}
		}
	}
	c.ents = append(c.ents, e)
}

func (c *chaos) step() []sim.EntityState {
	for i := 0; i < len(c.ents); i++ {
		if c.rng.Float64() < 0.02*c.churn {
			c.ents = slices.Delete(c.ents, i, i+1)
			i--
		}
	}
	for c.rng.Float64() < 0.5*c.churn {
		c.spawn()
	}
	for i := range c.ents {
		e := &c.ents[i]
		fields := c.kinds[e.Kind].Fields
		for fi, f := range fields {
			if f.Rate != "" {
				r := slices.IndexFunc(fields, func(o sim.FieldSpec) bool { return o.Name == f.Rate })
				e.Fields[fi] += e.Fields[r]
			}
			if c.rng.Float64() < 0.05*c.churn {
				e.Fields[fi] = c.randomValue(f)
			}
		}
	}
	c.out = append(c.out[:0], c.ents...)
	if c.rng.IntN(4) != 0 {
		slices.SortFunc(c.out, func(a, b sim.EntityState) int { return cmpID(a.ID, b.ID) })
	} else {
		c.rng.Shuffle(len(c.out), func(i, j int) { c.out[i], c.out[j] = c.out[j], c.out[i] })
	}
	return c.out
}

func cloneFrame(f *Frame) Frame {
	return Frame{Tick: f.Tick, Entities: slices.Clone(f.Entities)}
}

// TestRoundTripRandom encodes random pairs of frames (and full frames) and
// checks the decoder rebuilds the current frame exactly.
func TestRoundTripRandom(t *testing.T) {
	t.Parallel()
	s := mustSchema(t)
	enc := NewEncoder(s)
	for seed := range uint64(40) {
		c := newChaos(seed, int(seed*3), float64(seed%5)/4)
		var base Frame
		s.Quantize(&base, 10, c.step())
		var cur, got Frame
		var buf []byte
		for tick := sim.Tick(11); tick < 40; tick++ {
			s.Quantize(&cur, tick, c.step())
			buf = enc.AppendDelta(buf[:0], &base, &cur)
			require.NoError(t, s.DecodeDelta(&got, &base, tick, buf), "seed %d tick %d", seed, tick)
			require.Equal(t, cur.Entities, got.Entities, "seed %d tick %d", seed, tick)
			require.Equal(t, tick, got.Tick)

			buf = enc.AppendDelta(buf[:0], nil, &cur)
			require.NoError(t, s.DecodeDelta(&got, nil, tick, buf))
			require.Equal(t, cur.Entities, got.Entities)
			if c.rng.IntN(3) == 0 {
				base = cloneFrame(&cur)
			}
		}
	}
}

// TestQuantizeDequantizeAgree pins that Dequantize then Quantize is the
// identity on wire values, and that clamping keeps values in range.
func TestQuantizeDequantizeAgree(t *testing.T) {
	t.Parallel()
	s := mustSchema(t)
	c := newChaos(7, 200, 1)
	var f Frame
	s.Quantize(&f, 1, c.step())
	require.NotEmpty(t, f.Entities)
	world := make([]sim.EntityState, 0, len(f.Entities))
	for i := range f.Entities {
		world = append(world, s.Dequantize(&f.Entities[i]))
	}
	var again Frame
	s.Quantize(&again, 1, world)
	require.Equal(t, f.Entities, again.Entities)
}

// link is one snapshot or ack in flight, delivered at a random tick.
type link[T any] struct {
	at  int
	val T
}

type sentSnapshot struct {
	tick sim.Tick
	msg  []byte
}

// TestServerClientSync runs a server and a client exactly as server/room.go
// and netcode/conn.go use this package: the server keeps a History of sent
// frames and encodes against the player's newest acknowledged tick it still
// holds (full otherwise); snapshots pass a one-slot latest mailbox (a newer
// one replaces an unsent older one), then a network that delays, loses and
// reorders them; the client skips snapshots not newer than its newest or
// whose baseline it no longer holds, decodes the rest into its own History,
// and acknowledges its newest over a network that also delays, loses and
// reorders. At every decoded tick the client's frame must equal the
// server's quantized frame exactly.
func TestServerClientSync(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                  string
		serverRing, clientRng int
		loss                  float64
		maxDelay              int
		churn                 float64
	}{
		{"calm", 30, 64, 0, 2, 0.2},
		{"lossy", 30, 64, 0.3, 6, 1},
		{"slow and lossy", 30, 64, 0.5, 40, 1},
		{"tiny client ring", 30, 4, 0.2, 8, 1},
		{"tiny server ring", 3, 64, 0.2, 8, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(8) {
				syncRun(t, seed, tc.serverRing, tc.clientRng, tc.loss, tc.maxDelay, tc.churn)
			}
		})
	}
}

func syncRun(t *testing.T, seed uint64, serverRing, clientRing int, loss float64, maxDelay int, churn float64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	s := mustSchema(t)
	world := newChaos(seed, 20, churn)
	enc := NewEncoder(s)
	server := NewHistory(serverRing)
	client := NewHistory(clientRing)
	expected := map[sim.Tick]Frame{}

	var (
		ackTick, firstSent, lastSent sim.Tick // server's view of the player
		mailbox                      *sentSnapshot
		snapsInFlight                []link[sentSnapshot]
		acksInFlight                 []link[sim.Tick]
		newest                       sim.Tick // client's newest decoded
		decoded, full                int
	)
	for now := 1; now <= 400; now++ {
		tick := sim.Tick(now)
		// Server tick: step, quantize into the history, encode, frame.
		frame := server.Next(tick)
		s.Quantize(frame, tick, world.step())
		expected[tick] = cloneFrame(frame)
		var base *Frame
		if !(ackTick == 0 || ackTick < firstSent || ackTick > lastSent || ackTick >= tick) {
			if f, ok := server.Get(ackTick); ok {
				base = f
			}
		}
		var baseTick sim.Tick
		if base != nil {
			baseTick = base.Tick
		} else {
			full++
		}
		body := AppendHeader(nil, tick, &Header{Baseline: baseTick, LastInput: tick, RTT: time.Millisecond})
		body = enc.AppendDelta(body, base, frame)
		if firstSent == 0 {
			firstSent = tick
		}
		lastSent = tick
		mailbox = &sentSnapshot{tick: tick, msg: body}

		// Writer: sometimes drains the mailbox onto the network.
		if rng.IntN(3) != 0 && mailbox != nil {
			if rng.Float64() >= loss {
				snapsInFlight = append(snapsInFlight, link[sentSnapshot]{at: now + rng.IntN(maxDelay+1), val: *mailbox})
			}
			mailbox = nil
		}

		// Client: handle arrived snapshots in random order.
		rng.Shuffle(len(snapsInFlight), func(i, j int) { snapsInFlight[i], snapsInFlight[j] = snapsInFlight[j], snapsInFlight[i] })
		snapsInFlight = slices.DeleteFunc(snapsInFlight, func(l link[sentSnapshot]) bool {
			if l.at > now {
				return false
			}
			h, rest, err := ParseHeader(l.val.tick, l.val.msg)
			require.NoError(t, err)
			if l.val.tick <= newest {
				return true
			}
			var cbase *Frame
			if h.Baseline != 0 {
				f, ok := client.Get(h.Baseline)
				if !ok {
					return true // missing baseline: skipped, the ack makes the server move on
				}
				cbase = f
			}
			got := client.Next(l.val.tick)
			require.NoError(t, s.DecodeDelta(got, cbase, l.val.tick, rest))
			want := expected[l.val.tick]
			require.Equal(t, want.Entities, got.Entities, "seed %d tick %d baseline %d", seed, l.val.tick, h.Baseline)
			newest = l.val.tick
			decoded++
			return true
		})
		// Client input frame: acknowledges its newest, maybe lost.
		if newest != 0 && rng.Float64() >= loss {
			acksInFlight = append(acksInFlight, link[sim.Tick]{at: now + rng.IntN(maxDelay+1), val: newest})
		}
		rng.Shuffle(len(acksInFlight), func(i, j int) { acksInFlight[i], acksInFlight[j] = acksInFlight[j], acksInFlight[i] })
		acksInFlight = slices.DeleteFunc(acksInFlight, func(l link[sim.Tick]) bool {
			if l.at > now {
				return false
			}
			ackTick = max(ackTick, l.val)
			return true
		})
	}
	require.Greater(t, decoded, 20, "the client should decode a fair share of snapshots")
	require.Less(t, full, 400, "the server should send deltas once acks arrive")
}

// TestDecodeIntoBaseline covers the client's ring handing back the baseline's
// own storage as the destination.
func TestDecodeIntoBaseline(t *testing.T) {
	t.Parallel()
	s := mustSchema(t)
	c := newChaos(3, 30, 1)
	var base, cur Frame
	s.Quantize(&base, 1, c.step())
	s.Quantize(&cur, 2, c.step())
	data := NewEncoder(s).AppendDelta(nil, &base, &cur)
	require.NoError(t, s.DecodeDelta(&base, &base, 2, data))
	require.Equal(t, cur, base)
}

// TestSteadyMotionIsFree pins the point of rate prediction: entities moving
// at constant velocity cost nothing beyond the fixed few bits.
func TestSteadyMotionIsFree(t *testing.T) {
	t.Parallel()
	s := mustSchema(t)
	world := make([]sim.EntityState, 50)
	for i := range world {
		world[i] = sim.EntityState{ID: sim.EntityID(i + 1), Kind: kindNPC, Fields: [sim.MaxFields]int32{1000, 2000, 37, -53}}
	}
	var base, cur Frame
	s.Quantize(&base, 100, world)
	for i := range world {
		world[i].Fields[0] += 3 * 37
		world[i].Fields[1] -= 3 * 53
	}
	s.Quantize(&cur, 103, world)
	data := NewEncoder(s).AppendDelta(nil, &base, &cur)
	require.Len(t, data, 1, "no change against the prediction: only the empty lists")
	var got Frame
	require.NoError(t, s.DecodeDelta(&got, &base, 103, data))
	require.Equal(t, cur.Entities, got.Entities)
}

// TestDecodeRejects feeds hostile bytes and checks each gives ErrMalformed.
func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	s := mustSchema(t)
	enc := NewEncoder(s)
	c := newChaos(5, 10, 0)
	var base, cur Frame
	s.Quantize(&base, 1, c.step())
	c.ents[0].Fields[5] += 7
	s.Quantize(&cur, 2, c.step())
	good := enc.AppendDelta(nil, &base, &cur)
	fullGood := enc.AppendDelta(nil, nil, &cur)

	w := bitWriter{}
	w.writeEG(70000) // too many added entities
	tooMany := w.finish()
	w = bitWriter{}
	w.writeEG(1)
	w.write(0, 1)
	w.writeEG(0)
	w.write(3, s.kindBits) // kind 3 of 3 kinds
	unknownKind := w.finish()
	w = bitWriter{}
	w.writeEG(1)
	w.write(0, 1)
	w.writeEG(0)
	w.write(kindNPC, s.kindBits)
	w.write(1<<15-1, s.kinds[kindNPC].fields[0].width) // x above its max of 32000
	outOfRange := w.finish()
	w = bitWriter{}
	w.writeEG(2)
	w.write(0, 1)
	w.writeEG(4)
	w.writeEG(1 << 31) // second ID overflows uint32
	overflow := w.finish()

	cases := []struct {
		name string
		base *Frame
		data []byte
	}{
		{"empty", &base, nil},
		{"truncated", &base, good[:len(good)-1]},
		{"trailing byte", &base, append(slices.Clone(good), 0)},
		{"trailing bits", &base, append(slices.Clone(good[:len(good)-1]), good[len(good)-1]|0x80)},
		{"too many added", nil, tooMany},
		{"unknown kind", nil, unknownKind},
		{"value out of range", nil, outOfRange},
		{"id overflow", nil, overflow},
		{"more changes than baseline", &base, []byte{0xff, 0xff, 0xff, 0xff}},
		{"full frame as delta", &base, fullGood},
		{"all ones", nil, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := Frame{Entities: make([]Entity, 3)}
			err := s.DecodeDelta(&dst, tc.base, 2, tc.data)
			require.ErrorIs(t, err, ErrMalformed)
			require.Empty(t, dst.Entities)
		})
	}
	var got Frame
	require.NoError(t, s.DecodeDelta(&got, &base, 2, good))
	require.Equal(t, cur.Entities, got.Entities)
}

// TestAddedEntityUsesReference pins reference coding: a shot spawned at its
// shooter's position and aim costs far less than one spawned elsewhere.
func TestAddedEntityUsesReference(t *testing.T) {
	t.Parallel()
	s := mustSchema(t)
	enc := NewEncoder(s)
	shooter := sim.EntityState{ID: 3, Kind: kindPlayer, Fields: [sim.MaxFields]int32{12345, 23456, 0, 0, 4096, 100}}
	npc := sim.EntityState{ID: 1, Kind: kindNPC, Fields: [sim.MaxFields]int32{500, 600}}
	var base Frame
	s.Quantize(&base, 1, []sim.EntityState{npc, shooter})
	size := func(shot sim.EntityState) int {
		var cur, got Frame
		s.Quantize(&cur, 2, []sim.EntityState{npc, shooter, shot})
		data := enc.AppendDelta(nil, &base, &cur)
		require.NoError(t, s.DecodeDelta(&got, &base, 2, data))
		require.Equal(t, cur.Entities, got.Entities)
		return len(data)
	}
	fields := [sim.MaxFields]int32{12345, 23456, 4096, 4800, 0, 30000, 20000}
	fromShooter := size(sim.EntityState{ID: 9, Kind: kindShot, Fields: fields})
	fields[0], fields[1], fields[2] = 31000, 100, 60000
	fromNowhere := size(sim.EntityState{ID: 9, Kind: kindShot, Fields: fields})
	require.LessOrEqual(t, fromShooter+4, fromNowhere, "x, y and aim come almost free from the shooter")
}

// TestSteadyStateDoesNotAllocate pins the hot path: once buffers have grown,
// encoding and decoding a snapshot allocate nothing.
func TestSteadyStateDoesNotAllocate(t *testing.T) {
	s := mustSchema(t)
	frames := recordScenario(s, newScenario(2, 10, 24), 60)
	enc := NewEncoder(s)
	var buf []byte
	var dst Frame
	j := 3
	run := func() {
		buf = enc.AppendDelta(buf[:0], &frames[j-3], &frames[j])
		if err := s.DecodeDelta(&dst, &frames[j-3], frames[j].Tick, buf); err != nil {
			t.Fatal(err)
		}
		j = 3 + (j-2)%(len(frames)-3)
	}
	for range len(frames) {
		run() // grow buffers
	}
	require.Zero(t, testing.AllocsPerRun(100, run))
}
