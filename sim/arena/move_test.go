package arena

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tickwire/tickwire/sim"
)

func TestMoveSpeed(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "0"})
	pl := join(t, g, 1)
	place(pl, 500, 500)
	for tick := sim.Tick(1); tick <= 30; tick++ {
		g.Step(tick, []sim.PlayerInput{input(1, sim.Input{MoveX: 1})})
	}
	e := entity(t, g, pl.ent.ID)
	// 200 units/s for one second; the per-tick step rounds 106.7 to 107.
	assert.InDelta(t, 700*SimUnits, e.Fields[PlayerX], 30*0.5+1)
	assert.Equal(t, int32(500*SimUnits), e.Fields[PlayerY])
	assert.Equal(t, int32(107), e.Fields[PlayerVX], "vx is the last tick's move")
	assert.Zero(t, e.Fields[PlayerVY])

	// Diagonals are normalised: the move's length is the speed.
	for _, dir := range [][2]int8{{1, 1}, {-1, 1}, {-1, -1}, {1, -1}, {0, -1}, {-1, 0}} {
		in := sim.Input{MoveX: dir[0], MoveY: dir[1]}
		got := g.params.Move(e, in)
		vx, vy := int64(got.Fields[PlayerVX]), int64(got.Fields[PlayerVY])
		assert.InDelta(t, 107, sim.ISqrt(uint64(vx*vx+vy*vy)), 1, "direction %v", dir)
		assert.Equal(t, int64(dir[0]), sign(vx), "direction %v", dir)
		assert.Equal(t, int64(dir[1]), sign(vy), "direction %v", dir)
	}
	// Inputs beyond -1..1 are clamped, not faster.
	assert.Equal(t, g.params.Move(e, sim.Input{MoveX: 1}), g.params.Move(e, sim.Input{MoveX: 127}))
	assert.Equal(t, g.params.Move(e, sim.Input{MoveY: -1}), g.params.Move(e, sim.Input{MoveY: -128}))
}

func sign(v int64) int64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func TestMoveStopsAtWalls(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "0", "width": "100", "height": "50"})
	pl := join(t, g, 1)
	for tick := sim.Tick(1); tick <= 60; tick++ {
		g.Step(tick, []sim.PlayerInput{input(1, sim.Input{MoveX: 1, MoveY: -1})})
	}
	e := entity(t, g, pl.ent.ID)
	assert.Equal(t, int32(100*SimUnits), e.Fields[PlayerX])
	assert.Equal(t, int32(0), e.Fields[PlayerY])
	assert.Zero(t, e.Fields[PlayerVX], "blocked by the wall: moved nothing")
	assert.Zero(t, e.Fields[PlayerVY])
}

func TestMoveDeadOrOtherKinds(t *testing.T) {
	t.Parallel()
	p := DefaultParams()
	dead := sim.EntityState{ID: 5, Kind: KindPlayer}
	dead.Fields[PlayerX], dead.Fields[PlayerVX] = 1000, 40
	got := p.Move(dead, sim.Input{MoveX: 1, Aim: 1000})
	assert.Equal(t, int32(1000), got.Fields[PlayerX], "the dead do not move")
	assert.Zero(t, got.Fields[PlayerVX])
	assert.Equal(t, int32(960), got.Fields[PlayerAim], "aim rounds down to AimStep")

	npc := sim.EntityState{ID: 1, Kind: KindNPC}
	assert.Equal(t, npc, p.Move(npc, sim.Input{MoveX: 1}))
}

// TestMoveMatchesStep is what client prediction relies on: Params.Move,
// built from the parameters the game publishes, reproduces the own entity
// Step computes, tick after tick, whatever the input.
func TestMoveMatchesStep(t *testing.T) {
	t.Parallel()
	for _, tickRate := range []int{20, 30, 60} {
		g, err := New(sim.Config{TickRate: tickRate, Seed: 3, Params: map[string]string{"width": "300", "height": "200", "speed": "333"}})
		require.NoError(t, err)
		rules, err := ParseParams(g.Params())
		require.NoError(t, err)
		ent, err := g.Join(1, "me")
		require.NoError(t, err)
		predicted := entity(t, g, ent)
		script := sim.NewRand(5)
		for tick := sim.Tick(1); tick <= 1000; tick++ {
			in := sim.Input{MoveX: int8(script.Between(-2, 2)), MoveY: int8(script.Between(-2, 2)), Aim: script.Angle()}
			g.Step(tick, []sim.PlayerInput{input(1, in)})
			predicted = rules.Move(predicted, in)
			require.Equal(t, entity(t, g, ent), predicted, "tick %d at %d Hz", tick, tickRate)
		}
	}
}
