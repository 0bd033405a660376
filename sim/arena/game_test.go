package arena

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tickwire/tickwire/sim"
)

func TestNPCCount(t *testing.T) {
	t.Parallel()
	count := func(g *Game) int {
		n := 0
		for _, e := range g.World(nil) {
			if e.Kind == KindNPC {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 24, count(newGame(t, nil)), "default")
	assert.Equal(t, 0, count(newGame(t, map[string]string{"npcs": "0"})))
	assert.Equal(t, 3, count(newGame(t, map[string]string{"npcs": "3"})))
}

func TestNPCsWanderInBounds(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"width": "200", "height": "100", "npc_speed": "300"})
	start := g.World(nil)
	moved := make([]int, len(start))
	var world []sim.EntityState
	for tick := sim.Tick(1); tick <= 300; tick++ {
		prev := slices.Clone(world)
		g.Step(tick, nil)
		world = g.World(world[:0])
		for i, e := range world {
			require.Equal(t, KindNPC, e.Kind)
			require.Equal(t, sim.EntityID(i+1), e.ID)
			if x, y := e.Fields[NPCX], e.Fields[NPCY]; x < 0 || x > 200*SimUnits || y < 0 || y > 100*SimUnits {
				t.Fatalf("NPC %d at (%d, %d), outside the arena", e.ID, x, y)
			}
			if prev != nil && (e.Fields[NPCX] != prev[i].Fields[NPCX] || e.Fields[NPCY] != prev[i].Fields[NPCY]) {
				moved[i]++
			}
		}
	}
	for i, n := range moved {
		assert.Greater(t, n, 250, "NPC %d moves nearly every tick", i+1)
	}
}

func TestNPCsCanBeShot(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "1", "npc_speed": "0", "damage": "60", "cooldown_ms": "0"})
	n := &g.npcs[0]
	pos := point{n.ent.Fields[NPCX], n.ent.Fields[NPCY]}
	a := join(t, g, 1)
	a.ent.Fields[PlayerX], a.ent.Fields[PlayerY] = pos.x-50*SimUnits, pos.y
	if pos.x < 50*SimUnits {
		a.ent.Fields[PlayerX] = pos.x + 50*SimUnits
	}
	aim := sim.Atan2(int64(pos.y-a.ent.Fields[PlayerY]), int64(pos.x-a.ent.Fields[PlayerX]))
	g.Step(1, []sim.PlayerInput{fireAt(1, aim)})
	assert.Equal(t, int32(n.ent.ID), shotsIn(g)[0].Fields[ShotTarget])
	assert.Equal(t, pos, point{n.ent.Fields[NPCX], n.ent.Fields[NPCY]}, "60 of 100 hp: still there")
	g.Step(2, []sim.PlayerInput{fireAt(1, aim)})
	assert.NotEqual(t, pos, point{n.ent.Fields[NPCX], n.ent.Fields[NPCY]}, "killed: respawned elsewhere")
	assert.Equal(t, int32(1), entity(t, g, a.ent.ID).Fields[PlayerScore], "an NPC kill scores")
	assert.Equal(t, int32(100), n.hp)
}

// TestFieldsWithinKinds checks the promise the wire relies on: every value
// lies in its field's declared range and on its step, the world is sorted
// by ID, and each kind has its declared number of fields.
func TestFieldsWithinKinds(t *testing.T) {
	t.Parallel()
	for _, params := range []map[string]string{goldenParams, nil, {"score_limit": "3", "width": "300", "height": "300"}} {
		g, err := New(sim.Config{TickRate: 30, Seed: 7, Params: params})
		require.NoError(t, err)
		kinds := g.Kinds()
		require.Len(t, kinds, 3)
		seen := map[uint8]int{}
		scriptedRun(t, 7, 600, params, func(tick sim.Tick, w []sim.EntityState) {
			// Plain ifs: this runs for every field of every tick.
			for i, e := range w {
				if i > 0 && w[i-1].ID >= e.ID {
					t.Fatalf("tick %d: IDs %d, %d out of order", tick, w[i-1].ID, e.ID)
				}
				if int(e.Kind) >= len(kinds) {
					t.Fatalf("tick %d: entity %d of unknown kind %d", tick, e.ID, e.Kind)
				}
				seen[e.Kind]++
				k := kinds[e.Kind]
				for f, v := range e.Fields {
					if f >= len(k.Fields) {
						if v != 0 {
							t.Fatalf("tick %d: undeclared field %d of %s = %d", tick, f, k.Name, v)
						}
						continue
					}
					spec := k.Fields[f]
					if v < spec.Min || v > spec.Max {
						t.Fatalf("tick %d: %s.%s = %d outside %d..%d", tick, k.Name, spec.Name, v, spec.Min, spec.Max)
					}
					if spec.Step > 1 && (v-spec.Min)%spec.Step != 0 {
						t.Fatalf("tick %d: %s.%s = %d off its step %d", tick, k.Name, spec.Name, v, spec.Step)
					}
				}
			}
		})
		for kind := range kinds {
			assert.Positive(t, seen[uint8(kind)], "kind %d was checked", kind)
		}
	}
}

func TestKindsDeclared(t *testing.T) {
	t.Parallel()
	names := func(k sim.KindSpec) []string {
		var out []string
		for _, f := range k.Fields {
			out = append(out, f.Name)
		}
		return out
	}
	k := newGame(t, nil).Kinds()
	assert.Equal(t, "player", k[KindPlayer].Name)
	assert.Equal(t, []string{"x", "y", "vx", "vy", "aim", "hp", "score", "deaths", "life"}, names(k[KindPlayer]))
	assert.Equal(t, "npc", k[KindNPC].Name)
	assert.Equal(t, []string{"x", "y", "vx", "vy"}, names(k[KindNPC]))
	assert.Equal(t, "shot", k[KindShot].Name)
	assert.Equal(t, []string{"x", "y", "aim", "length", "target", "tx", "ty"}, names(k[KindShot]))
	assert.Equal(t, "vx", k[KindPlayer].Fields[PlayerX].Rate)
	assert.Equal(t, "vy", k[KindNPC].Fields[NPCY].Rate)
	assert.Equal(t, int32(32000), k[KindPlayer].Fields[PlayerX].Max)
	assert.Equal(t, int32(107), k[KindPlayer].Fields[PlayerVX].Max)
	assert.Equal(t, int32(-53), k[KindNPC].Fields[NPCVX].Min)
}

func TestJoinLeave(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "5"})
	e1, err := g.Join(10, "a")
	require.NoError(t, err)
	e2, err := g.Join(11, "b")
	require.NoError(t, err)
	assert.Equal(t, sim.EntityID(6), e1, "players come after the NPCs")
	assert.Equal(t, sim.EntityID(7), e2)
	_, err = g.Join(10, "again")
	assert.ErrorIs(t, err, ErrAlreadyJoined)

	g.Leave(10)
	g.Leave(10) // twice is harmless
	g.Leave(99)
	ids := []sim.EntityID{}
	for _, e := range g.World(nil) {
		ids = append(ids, e.ID)
	}
	assert.Equal(t, []sim.EntityID{1, 2, 3, 4, 5, 7}, ids)
	e3, err := g.Join(12, "c")
	require.NoError(t, err)
	assert.Equal(t, sim.EntityID(8), e3, "IDs are not reused at once")
	g.Step(1, []sim.PlayerInput{input(10, sim.Input{MoveX: 1})}) // input of a player who left: ignored

	// After the last ID, allocation wraps to free ones.
	g.nextBody = maxBodyID
	e4, err := g.Join(13, "d")
	require.NoError(t, err)
	assert.Equal(t, sim.EntityID(maxBodyID), e4)
	e5, err := g.Join(14, "e")
	require.NoError(t, err)
	assert.Equal(t, sim.EntityID(6), e5)
}

func TestResultOnScoreLimit(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "0", "score_limit": "2", "damage": "100", "respawn_ms": "0", "cooldown_ms": "0"})
	a, b, c := join(t, g, 1), join(t, g, 2), join(t, g, 3)
	g.byPlayer[1].name = "alice"
	place(a, 1000, 1000)
	place(b, 1100, 1000)
	place(c, 1000, 1100)
	_, over := g.Result()
	assert.False(t, over)
	g.Step(1, []sim.PlayerInput{fireAt(1, aimEast)}) // alice kills b
	_, over = g.Result()
	assert.False(t, over)
	g.Step(2, []sim.PlayerInput{fireAt(1, aimNorth)}) // and c: 2 kills
	res, over := g.Result()
	require.True(t, over)
	assert.Equal(t, "score_limit", res.Reason)
	assert.Equal(t, []sim.PlayerResult{
		{Player: 1, Name: "alice", Score: 2, Rank: 1},
		{Player: 2, Name: "p", Score: 0, Rank: 2},
		{Player: 3, Name: "p", Score: 0, Rank: 2},
	}, res.Players)
	assert.Equal(t, "2", res.Extra["tick"])

	before := g.World(nil)
	g.Step(3, []sim.PlayerInput{input(1, sim.Input{MoveX: 1})})
	assert.Equal(t, before, g.World(nil), "an ended match is frozen")
}

func TestResultOnTimeLimit(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"time_limit_s": "2"})
	join(t, g, 1)
	for tick := sim.Tick(1); tick < 60; tick++ {
		g.Step(tick, nil)
		_, over := g.Result()
		require.False(t, over, "tick %d", tick)
	}
	g.Step(60, nil)
	res, over := g.Result()
	require.True(t, over)
	assert.Equal(t, "time_limit", res.Reason)
	assert.Len(t, res.Players, 1)
}

func TestParams(t *testing.T) {
	t.Parallel()
	g := newGame(t, nil)
	assert.Equal(t, map[string]string{
		"width": "2000", "height": "2000", "speed": "200", "npc_speed": "100", "cooldown_ms": "500",
		"range": "300", "hit_radius": "20", "damage": "10", "hp": "100", "respawn_ms": "2000",
		"npcs": "24", "lagcomp": "on", "score_limit": "0", "time_limit_s": "0", "tick_rate": "30",
	}, g.Params())

	p, err := ParseParams(map[string]string{"lagcomp": "off", "npcs": "0", "tick_rate": "60", "width": "500"})
	require.NoError(t, err)
	assert.False(t, p.LagComp)
	assert.Equal(t, int32(0), p.NPCs)
	assert.Equal(t, 60, p.TickRate)
	assert.Equal(t, int32(500), p.Width)
	back, err := ParseParams(p.Map())
	require.NoError(t, err)
	assert.Equal(t, p, back, "Map round-trips")
	assert.Equal(t, DefaultParams(), mustParse(t, nil))
}

func mustParse(t *testing.T, m map[string]string) Params {
	t.Helper()
	p, err := ParseParams(m)
	require.NoError(t, err)
	return p
}

func TestParamErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		params map[string]string
		want   []string
	}{
		{map[string]string{"npcs": "-1"}, []string{`arena: parameter npcs="-1": want an integer in 0..4096`}},
		{map[string]string{"speed": "fast"}, []string{`arena: parameter speed="fast": want an integer in 0..100000`}},
		{map[string]string{"width": "99999999999"}, []string{`arena: parameter width="99999999999": want an integer in 10..100000`}},
		{map[string]string{"lagcomp": "maybe"}, []string{`arena: parameter lagcomp="maybe": want on or off`}},
		{map[string]string{"tick_rate": "0"}, []string{`arena: parameter tick_rate="0": want an integer in 1..1000`}},
		{map[string]string{"colour": "red"}, []string{`arena: parameter colour="red": unknown parameter (known: cooldown_ms, damage, height, hit_radius, hp, lagcomp, npc_speed, npcs, range, respawn_ms, score_limit, speed, tick_rate, time_limit_s, width)`}},
		{map[string]string{"hp": "0", "range": " 300"}, []string{
			`arena: parameter hp="0": want an integer in 1..1000000`,
			`arena: parameter range=" 300": want an integer in 1..200000`,
		}},
	} {
		_, err := ParseParams(tc.params)
		require.Error(t, err, "%v", tc.params)
		assert.ErrorIs(t, err, ErrInvalidParam)
		var pe *ParamError
		assert.True(t, errors.As(err, &pe))
		var got []string
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				got = append(got, e.Error())
			}
		}
		assert.Equal(t, tc.want, got)

		_, err = New(sim.Config{TickRate: 30, Params: tc.params})
		assert.ErrorIs(t, err, ErrInvalidParam, "New refuses them too")
	}
}

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	_, err := New(sim.Config{TickRate: 0})
	assert.EqualError(t, err, "arena: tick rate 0: want 1..1000")
	_, err = New(sim.Config{TickRate: 30, Params: map[string]string{"tick_rate": "60"}})
	assert.ErrorIs(t, err, ErrInvalidParam, "the server, not the room, sets the tick rate")
	_, err = New(sim.Config{TickRate: 30, Params: map[string]string{"tick_rate": "30"}})
	assert.NoError(t, err, "an agreeing tick_rate (Params() output) is fine")
	_, err = New(sim.Config{TickRate: 30, RewindTicks: -1})
	assert.Error(t, err)
	g, err := New(sim.Config{TickRate: 20})
	require.NoError(t, err)
	assert.Equal(t, 20, g.Rules().TickRate)
	assert.Equal(t, "20", g.Params()["tick_rate"])
}
