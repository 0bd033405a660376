package tag

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

func newGame(t *testing.T, params map[string]string) *Game {
	t.Helper()
	g, err := New(sim.Config{TickRate: 30, Seed: 42, Params: params})
	require.NoError(t, err)
	return g
}

// place puts p's runner at (x, y) world units.
func place(g *Game, p sim.PlayerID, x, y int32) {
	r := g.find(p)
	r.ent.Fields[RunnerX], r.ent.Fields[RunnerY] = x*SimUnits, y*SimUnits
}

func field(g *Game, p sim.PlayerID, f int) int32 { return g.find(p).ent.Fields[f] }

func idle(players ...sim.PlayerID) []sim.PlayerInput {
	var in []sim.PlayerInput
	for _, p := range players {
		in = append(in, sim.PlayerInput{Player: p, Fresh: true})
	}
	return in
}

func TestParseParams(t *testing.T) {
	p, err := ParseParams(nil)
	require.NoError(t, err)
	assert.Equal(t, DefaultParams(), p)

	p, err = ParseParams(map[string]string{"duration": "10", "max_runners": "3", "npcs": "24"})
	require.NoError(t, err, "the server's npcs parameter is for the arena and ignored")
	assert.Equal(t, int32(10), p.Duration)
	assert.Equal(t, int32(3), p.MaxRunners)

	for _, bad := range []map[string]string{
		{"durashun": "10"}, {"duration": "-1"}, {"speed": "fast"}, {"max_runners": "1"}, {"width": "100000"},
	} {
		_, err := ParseParams(bad)
		assert.ErrorIs(t, err, ErrInvalidParam, "%v", bad)
	}

	back, err := ParseParams(p.Map())
	require.NoError(t, err)
	assert.Equal(t, p, back, "Map round-trips")
}

func TestFirstRunnerIsItAndFullMatchRefuses(t *testing.T) {
	g := newGame(t, map[string]string{"max_runners": "2"})
	e1, err := g.Join(1, "ann")
	require.NoError(t, err)
	e2, err := g.Join(2, "bob")
	require.NoError(t, err)
	assert.NotEqual(t, e1, e2)
	assert.Equal(t, int32(1), field(g, 1, RunnerIt))
	assert.Equal(t, int32(0), field(g, 2, RunnerIt))

	_, err = g.Join(3, "cat")
	assert.ErrorIs(t, err, ErrFull)
	assert.Contains(t, err.Error(), "full")
}

func TestTagPassesItAndFreezesTheTagged(t *testing.T) {
	g := newGame(t, map[string]string{"pads": "0", "freeze_ms": "100"}) // 3 ticks
	g.Join(1, "ann")
	g.Join(2, "bob")
	place(g, 1, 10, 10)
	place(g, 2, 10, 20)
	g.Step(1, idle(1, 2))
	assert.Equal(t, int32(1), field(g, 1, RunnerIt), "out of reach: no tag")

	place(g, 2, 10, 10)
	g.Step(2, idle(1, 2))
	assert.Equal(t, int32(0), field(g, 1, RunnerIt))
	assert.Equal(t, int32(1), field(g, 2, RunnerIt), "bob was touched: bob is it")
	assert.Equal(t, int32(3), field(g, 2, RunnerFrozen))

	// Frozen: bob neither moves nor tags back.
	x := field(g, 2, RunnerX)
	g.Step(3, []sim.PlayerInput{{Player: 1, Fresh: true}, {Player: 2, Fresh: true, Input: sim.Input{MoveX: 1}}})
	assert.Equal(t, x, field(g, 2, RunnerX))
	assert.Equal(t, int32(1), field(g, 2, RunnerIt), "no tag-back while frozen")
	g.Step(4, idle(1, 2))
	g.Step(5, idle(1, 2))
	assert.Equal(t, int32(0), field(g, 2, RunnerFrozen))
	g.Step(6, idle(1, 2))
	assert.Equal(t, int32(1), field(g, 1, RunnerIt), "thawed, bob tags ann back")
}

func TestScoreCountsTicksNotBeingIt(t *testing.T) {
	g := newGame(t, map[string]string{"pads": "0"})
	g.Join(1, "ann")
	g.Join(2, "bob")
	place(g, 1, 0, 0)
	place(g, 2, 30, 20)
	for tick := sim.Tick(1); tick <= 10; tick++ {
		g.Step(tick, idle(1, 2))
	}
	assert.Equal(t, int32(0), field(g, 1, RunnerScore))
	assert.Equal(t, int32(10), field(g, 2, RunnerScore))
}

func TestLeavingItPassesIt(t *testing.T) {
	g := newGame(t, nil)
	g.Join(1, "ann")
	g.Step(1, idle(1))
	g.Join(3, "cat")
	g.Step(2, idle(1, 3))
	g.Join(2, "bob")
	g.Leave(1)
	assert.Equal(t, int32(1), field(g, 3, RunnerIt), "cat joined before bob")
	assert.Equal(t, int32(0), field(g, 2, RunnerIt))
	g.Leave(3)
	assert.Equal(t, int32(1), field(g, 2, RunnerIt))
	g.Leave(2)
	assert.Empty(t, g.World(nil)[len(g.pads):])
}

func TestPadBoostsAndRecharges(t *testing.T) {
	g := newGame(t, map[string]string{"pads": "1"})
	g.Join(1, "ann")
	g.Join(2, "bob")
	pad := g.pads[0].Fields
	r := g.find(2)
	r.ent.Fields[RunnerX], r.ent.Fields[RunnerY] = pad[PadX], pad[PadY]
	place(g, 1, 0, 0)
	if within(&g.find(1).ent, pad[PadX], pad[PadY], 4*TagReach) {
		t.Skip("seeded pad too near the corner")
	}
	g.Step(1, idle(1, 2))
	assert.Equal(t, g.params.ticks(BoostMillis)-0, field(g, 2, RunnerBoost))
	assert.Equal(t, g.params.ticks(RechargeMillis), g.pads[0].Fields[PadRecharge])

	x := field(g, 2, RunnerX)
	g.Step(2, []sim.PlayerInput{{Player: 1, Fresh: true}, {Player: 2, Fresh: true, Input: sim.Input{MoveX: -1}}})
	moved := x - field(g, 2, RunnerX)
	assert.Equal(t, 2*g.params.step(false, false), moved, "boosted runners run twice as fast")
}

func TestMatchEndsAtItsTimeWithRanks(t *testing.T) {
	g := newGame(t, map[string]string{"duration": "1", "pads": "0"})
	g.Join(1, "ann")
	g.Join(2, "bob")
	g.Join(3, "cat")
	place(g, 1, 0, 0)
	place(g, 2, 20, 20)
	place(g, 3, 39, 29)
	var tick sim.Tick
	for tick = 1; tick <= 29; tick++ {
		g.Step(tick, idle(1, 2, 3))
		_, over := g.Result()
		require.False(t, over, "tick %d", tick)
	}
	g.Step(30, idle(1, 2, 3))
	res, over := g.Result()
	require.True(t, over)
	assert.Equal(t, "time_limit", res.Reason)
	require.Len(t, res.Players, 3)
	assert.Equal(t, []sim.PlayerResult{
		{Player: 2, Name: "bob", Score: 30, Rank: 1},
		{Player: 3, Name: "cat", Score: 30, Rank: 1},
		{Player: 1, Name: "ann", Score: 0, Rank: 3},
	}, res.Players)
	assert.Equal(t, "ann", res.Extra["it"])

	_, err := g.Join(4, "dan")
	assert.ErrorIs(t, err, ErrEnded)
	before := g.World(nil)
	g.Step(31, idle(1, 2, 3))
	assert.Equal(t, before, g.World(nil), "a finished match stands still")
}

func TestMoveStaysInTheField(t *testing.T) {
	p := DefaultParams()
	e := sim.EntityState{Kind: KindRunner}
	for range 1000 {
		e = p.Move(e, sim.Input{MoveX: -1, MoveY: 127})
	}
	assert.Equal(t, int32(0), e.Fields[RunnerX])
	assert.Equal(t, p.MaxY(), e.Fields[RunnerY])
	assert.Equal(t, int32(0), e.Fields[RunnerVY], "standing at the wall")
}

// TestDeterministic plays the same inputs through two games with the same
// seed: every tick's world is identical, and it is sorted by ID, as the
// server's delta codec needs.
func TestDeterministic(t *testing.T) {
	play := func() [][]sim.EntityState {
		g := newGame(t, map[string]string{"duration": "0", "width": "10", "height": "10"})
		for p := sim.PlayerID(1); p <= 5; p++ {
			_, err := g.Join(p, "bot")
			require.NoError(t, err)
		}
		var worlds [][]sim.EntityState
		rng := sim.NewRand(7)
		for tick := sim.Tick(1); tick <= 600; tick++ {
			var in []sim.PlayerInput
			for p := sim.PlayerID(1); p <= 5; p++ {
				in = append(in, sim.PlayerInput{Player: p, Fresh: true, Input: sim.Input{
					MoveX: int8(rng.Between(-1, 1)), MoveY: int8(rng.Between(-1, 1)),
				}})
			}
			g.Step(tick, in)
			w := g.World(nil)
			require.True(t, slices.IsSortedFunc(w, func(a, b sim.EntityState) int { return int(a.ID) - int(b.ID) }))
			worlds = append(worlds, w)
		}
		return worlds
	}
	a, b := play(), play()
	assert.Equal(t, a, b)
	// Tags happened: "it" moved between runners at least once.
	its := map[sim.EntityID]bool{}
	for _, w := range a {
		for _, e := range w {
			if e.Kind == KindRunner && e.Fields[RunnerIt] == 1 {
				its[e.ID] = true
			}
		}
	}
	assert.Greater(t, len(its), 1, "someone got tagged in 20 seconds of random running")
}

// TestKindsFitTheWorld checks every field of every entity stays inside the
// range its kind declares (the delta codec clamps otherwise).
func TestKindsFitTheWorld(t *testing.T) {
	g := newGame(t, map[string]string{"duration": "0", "width": "10", "height": "10", "pads": "8"})
	kinds := g.Kinds()
	for p := sim.PlayerID(1); p <= 8; p++ {
		g.Join(p, "bot")
	}
	rng := sim.NewRand(1)
	for tick := sim.Tick(1); tick <= 900; tick++ {
		var in []sim.PlayerInput
		for p := sim.PlayerID(1); p <= 8; p++ {
			in = append(in, sim.PlayerInput{Player: p, Input: sim.Input{MoveX: int8(rng.Between(-1, 1)), MoveY: int8(rng.Between(-1, 1))}})
		}
		g.Step(tick, in)
		for _, e := range g.World(nil) {
			for i, f := range kinds[e.Kind].Fields {
				v := e.Fields[i]
				require.True(t, v >= f.Min && v <= f.Max, "tick %d entity %d %s.%s=%d not in [%d,%d]", tick, e.ID, kinds[e.Kind].Name, f.Name, v, f.Min, f.Max)
			}
		}
	}
}
