package interp_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode/interp"
	"github.com/tickwire/tickwire/sim"
)

func ent(id sim.EntityID, kind uint8, fields ...int32) sim.EntityState {
	e := sim.EntityState{ID: id, Kind: kind}
	copy(e.Fields[:], fields)
	return e
}

func tt(tick sim.Tick, sub int) sim.TickTime { return tick.Time() + sim.TickTime(sub) }

// Kind 0: x, y (lerp), aim (angle, turn 65536), life (teleport), hp (hold).
var modes = [][]interp.Field{{
	{Mode: interp.Lerp}, {Mode: interp.Lerp}, {Mode: interp.Angle, Turn: 65536},
	{Mode: interp.Teleport}, {Mode: interp.Hold},
}}

func TestBufferSample(t *testing.T) {
	t.Parallel()
	b := interp.NewBuffer(&interp.Options{Fields: modes})
	b.Add(10, []sim.EntityState{ent(1, 0, 0, 100, 65000, 1, 50), ent(2, 0, 0, 0, 0, 1, 9)})
	b.Add(12, []sim.EntityState{ent(1, 0, 256, 100, 536, 1, 40), ent(3, 0, 7, 7, 0, 1, 1)})
	b.Add(13, []sim.EntityState{ent(1, 0, 512, 100, 536, 2, 40), ent(3, 0, 8, 8, 0, 1, 1)})

	cases := []struct {
		name string
		at   sim.TickTime
		want []sim.EntityState
	}{
		{"before the oldest draws the oldest", tt(5, 0),
			[]sim.EntityState{ent(1, 0, 0, 100, 65000, 1, 50), ent(2, 0, 0, 0, 0, 1, 9)}},
		{"exactly on a snapshot", tt(10, 0),
			[]sim.EntityState{ent(1, 0, 0, 100, 65000, 1, 50), ent(2, 0, 0, 0, 0, 1, 9)}},
		// Across the two-tick gap 10..12: a quarter of the way at 10.5.
		// Aim turns the short way through zero (65000 -> 536 is +1072).
		// Entity 2 is gone at 12 and drawn as it was; 3 appears at 12.
		{"a quarter across a gap", tt(10, 128),
			[]sim.EntityState{ent(1, 0, 64, 100, 65268, 1, 50), ent(2, 0, 0, 0, 0, 1, 9)}},
		{"halfway, aim wraps past zero", tt(11, 0),
			[]sim.EntityState{ent(1, 0, 128, 100, 0, 1, 50), ent(2, 0, 0, 0, 0, 1, 9)}},
		{"the later snapshot's entities at its tick", tt(12, 0),
			[]sim.EntityState{ent(1, 0, 256, 100, 536, 1, 40), ent(3, 0, 7, 7, 0, 1, 1)}},
		{"a teleport field change holds the entity", tt(12, 200),
			[]sim.EntityState{ent(1, 0, 256, 100, 536, 1, 40), ent(3, 0, 7, 7, 0, 1, 1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, b.Sample(nil, tc.at))
		})
	}
}

func TestBufferExtrapolationIsCapped(t *testing.T) {
	t.Parallel()
	b := interp.NewBuffer(&interp.Options{MaxExtrapolate: 2 * sim.SubTicks})
	b.Add(1, []sim.EntityState{ent(1, 0, 0)})
	b.Add(2, []sim.EntityState{ent(1, 0, 10), ent(2, 0, 5)})
	assert.Equal(t, []sim.EntityState{ent(1, 0, 15), ent(2, 0, 5)}, b.Sample(nil, tt(2, 128)), "motion runs on")
	assert.Equal(t, []sim.EntityState{ent(1, 0, 30), ent(2, 0, 5)}, b.Sample(nil, tt(4, 0)))
	assert.Equal(t, []sim.EntityState{ent(1, 0, 30), ent(2, 0, 5)}, b.Sample(nil, tt(40, 0)), "then stops")

	never := interp.NewBuffer(&interp.Options{MaxExtrapolate: -1})
	never.Add(1, []sim.EntityState{ent(1, 0, 0)})
	never.Add(2, []sim.EntityState{ent(1, 0, 10)})
	assert.Equal(t, []sim.EntityState{ent(1, 0, 10)}, never.Sample(nil, tt(3, 0)))
}

func TestBufferRingAndOrder(t *testing.T) {
	t.Parallel()
	b := interp.NewBuffer(&interp.Options{Capacity: 4})
	assert.Empty(t, b.Sample(nil, tt(1, 0)))
	for tk := sim.Tick(1); tk <= 10; tk++ {
		b.Add(tk, []sim.EntityState{ent(1, 0, int32(tk)*100)})
	}
	b.Add(9, []sim.EntityState{ent(1, 0, -1)}) // old: ignored
	assert.Equal(t, 4, b.Len())
	assert.Equal(t, sim.Tick(10), b.Newest())
	assert.Equal(t, []sim.EntityState{ent(1, 0, 700)}, b.Sample(nil, tt(2, 0)), "older than the ring: the oldest kept")
	assert.Equal(t, []sim.EntityState{ent(1, 0, 950)}, b.Sample(nil, tt(9, 128)))
	// Sample appends.
	dst := b.Sample([]sim.EntityState{ent(9, 0)}, tt(10, 0))
	assert.Len(t, dst, 2)
}

func TestBufferRecycledIDIsNotBlended(t *testing.T) {
	t.Parallel()
	b := interp.NewBuffer(nil)
	b.Add(1, []sim.EntityState{ent(1, 0, 0)})
	b.Add(2, []sim.EntityState{ent(1, 2, 1000)}) // same ID, other kind
	assert.Equal(t, []sim.EntityState{ent(1, 0, 0)}, b.Sample(nil, tt(1, 128)))
}

func TestFieldsFromKinds(t *testing.T) {
	t.Parallel()
	kinds := []sim.KindSpec{{Name: "p", Fields: []sim.FieldSpec{
		{Name: "x", Rate: "vx"}, {Name: "vx"}, {Name: "hp"},
	}}}
	assert.Equal(t, [][]interp.Field{{{Mode: interp.Lerp}, {Mode: interp.Lerp}, {Mode: interp.Hold}}}, interp.FieldsFromKinds(kinds))
}

func TestDelayTracker(t *testing.T) {
	t.Parallel()
	period := time.Second / 30
	steady := interp.NewDelayTracker(30)
	for tk := sim.Tick(1); tk < 100; tk++ {
		steady.Add(tk, time.Duration(tk)*period+50*time.Millisecond)
	}
	assert.Equal(t, 2*period, steady.Delay(), "never under two snapshot intervals")
	assert.Equal(t, sim.TickTime(2*sim.SubTicks), steady.DelayTicks())

	rng := rand.New(rand.NewPCG(5, 6))
	jittery := interp.NewDelayTracker(30)
	for tk := sim.Tick(1); tk < 300; tk++ {
		j := time.Duration(rng.Int64N(int64(60*time.Millisecond))) - 30*time.Millisecond
		jittery.Add(tk, time.Duration(tk)*period+50*time.Millisecond+j)
	}
	require.InDelta(t, float64(15*time.Millisecond), float64(jittery.Jitter()), float64(5*time.Millisecond), "mean deviation of ±30ms uniform")
	assert.Greater(t, jittery.Delay(), 2*period, "jitter beyond an interval raises the delay")
}

func TestBufferLerpStaysBetweenSnapshots(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for range 500 {
		b := interp.NewBuffer(nil)
		t1 := sim.Tick(1 + rng.IntN(1000))
		t2 := t1 + sim.Tick(1+rng.IntN(5))
		va, vb := int32(rng.Uint32()), int32(rng.Uint32())
		b.Add(t1, []sim.EntityState{ent(1, 0, va)})
		b.Add(t2, []sim.EntityState{ent(1, 0, vb)})
		at := t1.Time() + sim.TickTime(rng.Int64N(int64(t2.Time()-t1.Time())+1))
		got := b.Sample(nil, at)[0].Fields[0]
		require.GreaterOrEqual(t, got, min(va, vb), "%d..%d at %d", va, vb, at)
		require.LessOrEqual(t, got, max(va, vb), "%d..%d at %d", va, vb, at)
	}
}
