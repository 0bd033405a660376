package arena

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tickwire/tickwire/sim"
)

const aimEast, aimNorth = 0, sim.QuarterTurn

func fireAt(p sim.PlayerID, aim uint16) sim.PlayerInput {
	return input(p, sim.Input{Aim: aim, Buttons: sim.ButtonFire})
}

func TestFireCooldownDamageDeathRespawnScore(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "0"})
	a, b := join(t, g, 1), join(t, g, 2)
	place(a, 1000, 1000)
	place(b, 1100, 1000)
	var shotIDs []sim.EntityID
	seen := map[sim.EntityID]bool{}
	var deathTick sim.Tick
	for tick := sim.Tick(1); deathTick == 0 && tick < 1000; tick++ {
		g.Step(tick, []sim.PlayerInput{fireAt(1, aimEast), input(2, sim.Input{})})
		for _, s := range shotsIn(g) {
			if !seen[s.ID] {
				seen[s.ID] = true
				shotIDs = append(shotIDs, s.ID)
				assert.Equal(t, int32(b.ent.ID), s.Fields[ShotTarget], "shot at tick %d hits", tick)
				assert.Equal(t, int32(100*SimUnits), s.Fields[ShotLength], "length reaches the target")
				assert.Equal(t, [2]int32{1100 * SimUnits, 1000 * SimUnits}, [2]int32{s.Fields[ShotTX], s.Fields[ShotTY]})
				assert.Equal(t, [2]int32{1000 * SimUnits, 1000 * SimUnits}, [2]int32{s.Fields[ShotX], s.Fields[ShotY]})
			}
		}
		if entity(t, g, b.ent.ID).Fields[PlayerHP] == 0 {
			deathTick = tick
		}
	}
	// 100 hp, 10 a hit: ten hits, one every 500 ms = 15 ticks from tick 1.
	require.Len(t, shotIDs, 10)
	assert.Equal(t, sim.Tick(1+9*15), deathTick)
	ea, eb := entity(t, g, a.ent.ID), entity(t, g, b.ent.ID)
	assert.Equal(t, int32(1), ea.Fields[PlayerScore])
	assert.Equal(t, int32(1), eb.Fields[PlayerDeaths])
	assert.Equal(t, int32(1), eb.Fields[PlayerLife])

	// Dead: not hittable, and cannot move; shots pass through its body.
	tick := deathTick + 1
	for ; tick < deathTick+2*30; tick++ {
		g.Step(tick, []sim.PlayerInput{fireAt(1, aimEast), input(2, sim.Input{MoveX: 1, Buttons: sim.ButtonFire})})
		e := entity(t, g, b.ent.ID)
		require.Zero(t, e.Fields[PlayerHP], "dead until 2 s passed (tick %d)", tick)
		require.Equal(t, int32(1100*SimUnits), e.Fields[PlayerX])
		for _, s := range shotsIn(g) {
			if seen[s.ID] {
				continue
			}
			seen[s.ID] = true
			require.Zero(t, s.Fields[ShotTarget], "no hits on the dead")
			require.Equal(t, int32(1000*SimUnits), s.Fields[ShotX], "the dead do not fire")
		}
	}
	// Respawned after 2000 ms = 60 ticks, elsewhere, with full hp.
	g.Step(tick, []sim.PlayerInput{input(1, sim.Input{}), input(2, sim.Input{})})
	e := entity(t, g, b.ent.ID)
	assert.Equal(t, deathTick+60, tick)
	assert.Equal(t, int32(100), e.Fields[PlayerHP])
	assert.Equal(t, int32(2), e.Fields[PlayerLife], "life counts the respawn")
	assert.NotEqual(t, int32(1100*SimUnits), e.Fields[PlayerX])
}

func TestShotLifetimeAndStaleInputs(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "0"})
	join(t, g, 1)
	stale := fireAt(1, aimEast)
	stale.Fresh = false
	g.Step(1, []sim.PlayerInput{stale})
	assert.Empty(t, shotsIn(g), "a repeated input does not fire")
	g.Step(2, []sim.PlayerInput{fireAt(1, aimEast)})
	require.Len(t, shotsIn(g), 1)
	shot := shotsIn(g)[0]
	assert.Zero(t, shot.Fields[ShotTarget])
	assert.Equal(t, int32(300*SimUnits), shot.Fields[ShotLength], "a miss is as long as the range")
	// 150 ms = 5 ticks at 30 Hz, then gone.
	for tick := sim.Tick(3); tick <= 6; tick++ {
		g.Step(tick, []sim.PlayerInput{input(1, sim.Input{})})
		require.Len(t, shotsIn(g), 1, "tick %d", tick)
	}
	g.Step(7, []sim.PlayerInput{input(1, sim.Input{})})
	assert.Empty(t, shotsIn(g))
}

func TestShotRangeRadiusAndNearest(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "0", "cooldown_ms": "0"})
	a, near, far, off := join(t, g, 1), join(t, g, 2), join(t, g, 3), join(t, g, 4)
	place(a, 500, 500)
	place(near, 500, 700) // 200 north
	place(far, 500, 780)  // behind near
	place(off, 521, 900)  // beyond range and beside the line
	tick := sim.Tick(1)
	step := func(aim uint16) sim.EntityState {
		g.Step(tick, []sim.PlayerInput{fireAt(1, aim)})
		tick++
		s := shotsIn(g)
		return s[len(s)-1]
	}
	assert.Equal(t, int32(near.ent.ID), step(aimNorth).Fields[ShotTarget], "the nearest target takes the shot")
	place(near, 519, 700) // 19 units off the line: inside the radius of 20
	assert.Equal(t, int32(near.ent.ID), step(aimNorth).Fields[ShotTarget])
	place(near, 521, 700) // 21 off: outside
	s := step(aimNorth)
	assert.Equal(t, int32(far.ent.ID), s.Fields[ShotTarget])
	place(far, 500, 821) // 321 away: range 300 + radius 20 is short of it
	s = step(aimNorth)
	assert.Zero(t, s.Fields[ShotTarget])
	assert.Equal(t, [2]int32{521 * SimUnits, 700 * SimUnits}, [2]int32{s.Fields[ShotTX], s.Fields[ShotTY]}, "a miss shows the closest target tested")
	place(far, 500, 819) // 319: its circle reaches the ray's end
	assert.Equal(t, int32(far.ent.ID), step(aimNorth).Fields[ShotTarget])
	assert.Zero(t, step(aimEast).Fields[ShotTarget], "nothing to the east")
}

func TestLagCompensatedHit(t *testing.T) {
	t.Parallel()
	for _, lagcomp := range []string{"on", "off"} {
		t.Run(lagcomp, func(t *testing.T) {
			t.Parallel()
			g := newGame(t, map[string]string{"npcs": "0", "lagcomp": lagcomp})
			a, b := join(t, g, 1), join(t, g, 2)
			place(a, 1000, 1000)
			place(b, 1100, 1000)
			// The target runs north for 10 ticks, 6.7 units a tick.
			for tick := sim.Tick(1); tick <= 10; tick++ {
				g.Step(tick, []sim.PlayerInput{input(1, sim.Input{}), input(2, sim.Input{MoveY: 1})})
			}
			// At tick 11 the shooter fires at where it saw the target,
			// halfway between ticks 4 and 5 (the target is now 40 units
			// further north, twice the hit radius).
			at4 := point{1100 * SimUnits, 1000*SimUnits + 4*107}
			at5 := point{1100 * SimUnits, 1000*SimUnits + 5*107}
			aim := sim.Atan2(int64(at4.y+at5.y)/2-1000*SimUnits, 100*SimUnits)
			shot := fireAt(1, aim)
			shot.ViewTime = sim.Tick(4).Time() + sim.SubTicks/2
			g.Step(11, []sim.PlayerInput{shot, input(2, sim.Input{MoveY: 1})})
			s := shotsIn(g)
			require.Len(t, s, 1)
			if lagcomp == "on" {
				assert.Equal(t, int32(b.ent.ID), s[0].Fields[ShotTarget], "hit where the shooter saw it")
				assert.Equal(t, int32(90), entity(t, g, b.ent.ID).Fields[PlayerHP])
				assert.Equal(t, [2]int32{at4.x, (at4.y + at5.y) / 2}, [2]int32{s[0].Fields[ShotTX], s[0].Fields[ShotTY]}, "tested at the interpolated view time")
			} else {
				assert.Zero(t, s[0].Fields[ShotTarget], "the target has moved on")
				assert.Equal(t, int32(100), entity(t, g, b.ent.ID).Fields[PlayerHP])
				assert.Equal(t, int32(1000*SimUnits+11*107), s[0].Fields[ShotTY], "tested where it is now")
			}
		})
	}
}

func TestRewindClampedToHistory(t *testing.T) {
	t.Parallel()
	g, err := New(sim.Config{TickRate: 30, Seed: 1, RewindTicks: 5, Params: map[string]string{"npcs": "0"}})
	require.NoError(t, err)
	a, b := join(t, g, 1), join(t, g, 2)
	place(a, 1000, 1000)
	place(b, 1100, 1000)
	for tick := sim.Tick(1); tick <= 20; tick++ {
		g.Step(tick, []sim.PlayerInput{input(1, sim.Input{}), input(2, sim.Input{MoveY: 1})})
	}
	// A claim of tick 2 is older than the 5 ticks kept: judged at tick 16,
	// the oldest, where the target was (not where the shooter claims).
	at16 := int32(1000*SimUnits + 16*107)
	shot := fireAt(1, sim.Atan2(int64(at16-1000*SimUnits), 100*SimUnits))
	shot.ViewTime = sim.Tick(2).Time()
	g.Step(21, []sim.PlayerInput{shot, input(2, sim.Input{MoveY: 1})})
	s := shotsIn(g)
	require.Len(t, s, 1)
	assert.Equal(t, int32(b.ent.ID), s[0].Fields[ShotTarget])
	assert.Equal(t, at16, s[0].Fields[ShotTY])
}

func TestNoRewindAcrossRespawn(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "0", "damage": "100", "respawn_ms": "0", "cooldown_ms": "0"})
	a, b := join(t, g, 1), join(t, g, 2)
	place(a, 1000, 1000)
	place(b, 1100, 1000)
	g.Step(1, []sim.PlayerInput{input(1, sim.Input{}), input(2, sim.Input{})})
	g.Step(2, []sim.PlayerInput{fireAt(1, aimEast), input(2, sim.Input{})})
	require.Zero(t, entity(t, g, b.ent.ID).Fields[PlayerHP])
	g.Step(3, []sim.PlayerInput{input(1, sim.Input{}), input(2, sim.Input{})}) // respawns elsewhere
	require.Equal(t, int32(100), entity(t, g, b.ent.ID).Fields[PlayerHP])
	// A shot viewing tick 1, when b stood east, must not hit the new life.
	shot := fireAt(1, aimEast)
	shot.ViewTime = sim.Tick(1).Time()
	g.Step(4, []sim.PlayerInput{shot, input(2, sim.Input{})})
	s := shotsIn(g)
	assert.Zero(t, s[len(s)-1].Fields[ShotTarget])
	assert.Equal(t, int32(100), entity(t, g, b.ent.ID).Fields[PlayerHP])
}

func TestSimultaneousKills(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "0", "damage": "100"})
	a, b := join(t, g, 1), join(t, g, 2)
	place(a, 1000, 1000)
	place(b, 1100, 1000)
	g.Step(1, []sim.PlayerInput{fireAt(1, aimEast), fireAt(2, sim.HalfTurn)})
	ea, eb := entity(t, g, a.ent.ID), entity(t, g, b.ent.ID)
	assert.Zero(t, ea.Fields[PlayerHP], "both fired in the same tick: both die")
	assert.Zero(t, eb.Fields[PlayerHP])
	assert.Equal(t, int32(1), ea.Fields[PlayerScore])
	assert.Equal(t, int32(1), eb.Fields[PlayerScore])
}

func TestShotIDsWrapSorted(t *testing.T) {
	t.Parallel()
	g := newGame(t, map[string]string{"npcs": "2", "cooldown_ms": "0"})
	join(t, g, 1)
	g.nextShot = shotIDRange - 1
	g.Step(1, []sim.PlayerInput{fireAt(1, aimEast)})
	g.Step(2, []sim.PlayerInput{fireAt(1, aimEast)})
	var ids []sim.EntityID
	for _, e := range g.World(nil) {
		ids = append(ids, e.ID)
	}
	assert.Equal(t, []sim.EntityID{1, 2, 3, shotIDBase, shotIDBase + shotIDRange - 1}, ids)
}
