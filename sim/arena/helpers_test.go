package arena

import (
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tickwire/tickwire/sim"
)

// newGame creates a game at 30 Hz with seed 1 and the given parameters.
func newGame(tb testing.TB, params map[string]string) *Game {
	tb.Helper()
	g, err := New(sim.Config{TickRate: 30, Seed: 1, Params: params})
	require.NoError(tb, err)
	return g
}

// join adds a player and returns its internal record.
func join(tb testing.TB, g *Game, p sim.PlayerID) *player {
	tb.Helper()
	_, err := g.Join(p, "p")
	require.NoError(tb, err)
	return g.byPlayer[p]
}

// place puts a player at (x, y) in world units, standing still.
func place(pl *player, x, y int32) {
	pl.ent.Fields[PlayerX], pl.ent.Fields[PlayerY] = x*SimUnits, y*SimUnits
}

// entity finds id in the world.
func entity(tb testing.TB, g *Game, id sim.EntityID) sim.EntityState {
	tb.Helper()
	for _, e := range g.World(nil) {
		if e.ID == id {
			return e
		}
	}
	tb.Fatalf("entity %d not in the world", id)
	return sim.EntityState{}
}

// shotsIn returns the shot entities in the world.
func shotsIn(g *Game) []sim.EntityState {
	var out []sim.EntityState
	for _, e := range g.World(nil) {
		if e.Kind == KindShot {
			out = append(out, e)
		}
	}
	return out
}

// input is a fresh input of player p, viewing the current tick.
func input(p sim.PlayerID, in sim.Input) sim.PlayerInput {
	return sim.PlayerInput{Player: p, Input: in, Fresh: true}
}

// hashWorld folds a world into h, every byte of it in a fixed order.
func hashWorld(h interface{ Write([]byte) (int, error) }, world []sim.EntityState) {
	var b [4 + 1 + 4*sim.MaxFields]byte
	for _, e := range world {
		put32(b[0:], uint32(e.ID))
		b[4] = e.Kind
		for i, f := range e.Fields {
			put32(b[5+4*i:], uint32(f))
		}
		_, _ = h.Write(b[:])
	}
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// scriptedRun plays a match of 6 players with pseudo-random inputs (moving,
// aiming, firing, with view times up to 10 ticks old, some inputs missing or
// stale, a leave and a join) for ticks ticks, calling each after every step.
func scriptedRun(tb testing.TB, seed uint64, ticks int, params map[string]string, each func(sim.Tick, []sim.EntityState)) uint64 {
	tb.Helper()
	g, err := New(sim.Config{TickRate: 30, Seed: seed, Params: params})
	require.NoError(tb, err)
	players := []sim.PlayerID{1, 2, 3, 4, 5, 6}
	for _, p := range players {
		_, err := g.Join(p, "bot")
		require.NoError(tb, err)
	}
	script := sim.NewRand(99) // the inputs are the same whatever the game seed
	ins := make([]sim.Input, 8)
	var inputs []sim.PlayerInput
	var world []sim.EntityState
	h := fnv.New64a()
	for t := sim.Tick(1); t <= sim.Tick(ticks); t++ {
		if t == 200 {
			g.Leave(3)
		}
		if t == 260 {
			_, err := g.Join(7, "late")
			require.NoError(tb, err)
			players = append(players, 7)
		}
		inputs = inputs[:0]
		for _, p := range players {
			if p == 3 && t >= 200 {
				continue
			}
			if script.Uint64n(20) == 0 {
				ins[p] = sim.Input{
					MoveX:   int8(script.Between(-1, 1)),
					MoveY:   int8(script.Between(-1, 1)),
					Aim:     script.Angle(),
					Buttons: uint16(script.Uint64n(2)) * sim.ButtonFire,
				}
			}
			if script.Uint64n(30) == 0 {
				continue // lost
			}
			view := t.Time() - sim.TickTime(script.Between(0, 10*sim.SubTicks))
			inputs = append(inputs, sim.PlayerInput{Player: p, Input: ins[p], Fresh: script.Uint64n(10) != 0, ViewTime: view})
		}
		g.Step(t, inputs)
		world = g.World(world[:0])
		hashWorld(h, world)
		if each != nil {
			each(t, world)
		}
	}
	return h.Sum64()
}
