package main

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// testLayout is the default arena's layout.
func testLayout(t *testing.T) *layout {
	t.Helper()
	p := arena.DefaultParams()
	return newLayout(p.Kinds(), p)
}

func player(id sim.EntityID, x, y, vx, vy, life int32) sim.EntityState {
	e := sim.EntityState{ID: id, Kind: arena.KindPlayer}
	e.Fields[arena.PlayerX], e.Fields[arena.PlayerY] = x, y
	e.Fields[arena.PlayerVX], e.Fields[arena.PlayerVY] = vx, vy
	e.Fields[arena.PlayerHP] = 100
	e.Fields[arena.PlayerLife] = life
	return e
}

func shot(id sim.EntityID, x, y int32, target sim.EntityID) sim.EntityState {
	e := sim.EntityState{ID: id, Kind: arena.KindShot}
	e.Fields[arena.ShotX], e.Fields[arena.ShotY] = x, y
	e.Fields[arena.ShotTarget] = int32(target)
	return e
}

const testTickRate = 30

// at is the arrival time of tick n on a perfect path (a fixed transit).
func at(n float64) time.Duration {
	return time.Duration(n*float64(time.Second)/testTickRate) + 40*time.Millisecond
}

// tt is the TickTime of a fractional tick.
func tt(ticks float64) sim.TickTime { return sim.TickTime(math.Round(ticks * sim.SubTicks)) }

func newTestBuffer(t *testing.T, own sim.EntityID) *snapshotBuffer {
	t.Helper()
	b := newSnapshotBuffer()
	b.configure(testTickRate, testLayout(t), own)
	return b
}

func TestNewLayoutFindsArenaFields(t *testing.T) {
	t.Parallel()
	p := arena.DefaultParams()
	l := newLayout(p.Kinds(), p)
	assert.Equal(t, int(arena.KindPlayer), l.player)
	assert.Equal(t, int(arena.KindNPC), l.npc)
	assert.Equal(t, int(arena.KindShot), l.shot)
	assert.Equal(t, int32(0), l.minX)
	assert.Equal(t, p.MaxX(), l.maxX)
	assert.Equal(t, p.MaxY(), l.maxY)
	assert.Equal(t, p.HP, l.hpMax)
	assert.Equal(t, float64(p.HitRadius*arena.SimUnits), l.hitRadius)
	pk := l.kind(arena.KindPlayer)
	assert.Equal(t, arena.PlayerX, pk.x)
	assert.Equal(t, arena.PlayerLife, pk.life)
	sk := l.kind(arena.KindShot)
	assert.Equal(t, arena.ShotTX, sk.tx)
	assert.Equal(t, arena.ShotTarget, sk.target)
	assert.Equal(t, -1, l.kind(200).x, "an unknown kind has no fields")
}

func TestSnapshotBufferDropsSnapshotsBeforeConfigure(t *testing.T) {
	t.Parallel()
	b := newSnapshotBuffer()
	b.Add(1, delta.Header{}, []sim.EntityState{player(30, 1, 1, 0, 0, 1)}, at(1))
	_, _, ok := b.renderTime(at(2))
	assert.False(t, ok)
	assert.Empty(t, b.Sample(nil, tt(1)))
}

func TestSnapshotBufferSamplesBetweenSnapshots(t *testing.T) {
	t.Parallel()
	b := newTestBuffer(t, 99)
	for n := sim.Tick(1); n <= 10; n++ {
		b.Add(n, delta.Header{}, []sim.EntityState{player(30, int32(n)*100, 500, 100, 0, 1)}, at(float64(n)))
	}
	view := b.Sample(nil, tt(7.5))
	require.Len(t, view, 1)
	assert.Equal(t, int32(750), view[0].Fields[arena.PlayerX])
	assert.Equal(t, int32(500), view[0].Fields[arena.PlayerY])
}

func TestSnapshotBufferDoesNotSlideAcrossRespawn(t *testing.T) {
	t.Parallel()
	b := newTestBuffer(t, 99)
	b.Add(1, delta.Header{}, []sim.EntityState{player(30, 1000, 1000, 0, 0, 1)}, at(1))
	b.Add(2, delta.Header{}, []sim.EntityState{player(30, 20000, 9000, 0, 0, 2)}, at(2))
	mid := b.Sample(nil, tt(1.5))
	require.Len(t, mid, 1)
	x := mid[0].Fields[arena.PlayerX]
	assert.True(t, x == 1000 || x == 20000, "a respawned player is at one place or the other, never between: x=%d", x)
}

func TestSnapshotBufferKeepsOwnStateAndHeader(t *testing.T) {
	t.Parallel()
	b := newTestBuffer(t, 30)
	_, ok := b.Own()
	assert.False(t, ok)
	ents := []sim.EntityState{player(30, 100, 100, 0, 0, 1), player(31, 5, 5, 0, 0, 1)}
	b.Add(5, delta.Header{RTT: 42 * time.Millisecond, LastInput: 7}, ents, at(5))
	ents[0].Fields[arena.PlayerX] = 999 // the client reuses its storage
	b.Add(4, delta.Header{}, []sim.EntityState{player(30, 1, 1, 0, 0, 1)}, at(6))

	own, ok := b.Own()
	require.True(t, ok)
	assert.Equal(t, int32(100), own.Fields[arena.PlayerX], "a copy, and an older tick does not replace it")
	tick, h, ok := b.Newest()
	require.True(t, ok)
	assert.Equal(t, sim.Tick(5), tick)
	assert.Equal(t, 42*time.Millisecond, h.RTT)
}

func TestSnapshotBufferFindsOwnShot(t *testing.T) {
	t.Parallel()
	const own = 30
	b := newTestBuffer(t, own)
	_, _, ok := b.LastShot()
	assert.False(t, ok)

	// Someone else's shot first: remembered, not ours.
	b.Add(1, delta.Header{}, []sim.EntityState{player(own, 100, 100, 0, 0, 1), player(31, 900, 900, 0, 0, 1),
		shot(1<<20+1, 900, 900, 0)}, at(1))
	s, mine, ok := b.LastShot()
	require.True(t, ok)
	assert.False(t, mine)
	assert.Equal(t, sim.EntityID(1<<20+1), s.ID)

	// Ours: fired from our position of the same tick.
	b.Add(2, delta.Header{}, []sim.EntityState{player(own, 120, 100, 0, 0, 1), player(31, 900, 900, 0, 0, 1),
		shot(1<<20+2, 120, 100, 31)}, at(2))
	s, mine, ok = b.LastShot()
	require.True(t, ok)
	assert.True(t, mine)
	assert.Equal(t, sim.EntityID(1<<20+2), s.ID)

	// A later shot by someone else does not hide ours from the overlay.
	b.Add(3, delta.Header{}, []sim.EntityState{player(own, 140, 100, 0, 0, 1), player(31, 900, 900, 0, 0, 1),
		shot(1<<20+3, 900, 900, 0)}, at(3))
	s, mine, _ = b.LastShot()
	assert.True(t, mine)
	assert.Equal(t, sim.EntityID(1<<20+2), s.ID)
}

func TestRenderTimeTrailsTheNewestSnapshot(t *testing.T) {
	t.Parallel()
	b := newTestBuffer(t, 99)
	for n := sim.Tick(1); n <= 30; n++ {
		b.Add(n, delta.Header{}, nil, at(float64(n)))
	}
	// When tick 30 arrives on a perfect path, the others are drawn the
	// delay behind it: at least two snapshot intervals.
	rt, delay, ok := b.renderTime(at(30))
	require.True(t, ok)
	assert.GreaterOrEqual(t, delay, 2*time.Second/testTickRate)
	assert.Less(t, delay, 3*time.Second/testTickRate)
	wantDelayTicks := delay.Seconds() * testTickRate
	assert.InDelta(t, 30-wantDelayTicks, float64(rt)/sim.SubTicks, 0.02)

	// Half a tick later the render time has moved on half a tick.
	rt2, _, _ := b.renderTime(at(30.5))
	assert.InDelta(t, 0.5, float64(rt2-rt)/sim.SubTicks, 0.02)
}

func TestRenderTimeDoesNotJumpWhenArrivalsChange(t *testing.T) {
	t.Parallel()
	b := newTestBuffer(t, 99)
	for n := sim.Tick(1); n <= 10; n++ {
		b.Add(n, delta.Header{}, nil, at(float64(n)))
	}
	prev, _, _ := b.renderTime(at(10))
	// One snapshot arrives five ticks early (a clock step, or a path that
	// got much faster): the playout clock slews toward it, never leaps.
	b.Add(11, delta.Header{}, nil, at(11-5))
	for f := 1; f <= 60; f++ {
		now := at(10) + time.Duration(f)*time.Second/60
		rt, _, _ := b.renderTime(now)
		step := float64(rt-prev) / sim.SubTicks
		assert.LessOrEqual(t, step, 0.5*(1+clockSlew+delayShrink)+0.01, "frame %d moved %.3f ticks", f, step)
		assert.Greater(t, step, 0.0, "time never runs backwards")
		prev = rt
	}
}

func TestAimMatchesTheArenasDirection(t *testing.T) {
	t.Parallel()
	// The arena fires along (sim.Cos(aim), sim.Sin(aim)) in its own axes;
	// the screen shares them (+y down), so aiming at a screen vector must
	// give an aim whose direction points the same way.
	for _, v := range [][2]float64{{1, 0}, {0, 1}, {-1, 0}, {0, -1}, {3, 4}, {-5, 2}, {1, -1}} {
		aim := aimFromVector(v[0], v[1])
		q := uint16(arena.QuantizeAim(aim))
		cx, cy := float64(sim.Cos(q)), float64(sim.Sin(q))
		n := math.Hypot(v[0], v[1])
		dot := (cx*v[0] + cy*v[1]) / (math.Hypot(cx, cy) * n)
		assert.Greater(t, dot, 0.999, "vector %v -> aim %d", v, aim)
		dx, dy := aimVector(float64(aim))
		assert.InDelta(t, v[0]/n, dx, 1e-3)
		assert.InDelta(t, v[1]/n, dy, 1e-3)
	}
}
