package arena

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tickwire/tickwire/sim"
)

// FuzzParams feeds room parameters, which arrive from players' join
// messages, to ParseParams and New, then plays a few ticks by whatever rules
// were accepted: nothing may panic, accepted rules must round-trip through
// Map, and every field must stay inside its declared range. The input is
// "key=value;key=value".
func FuzzParams(f *testing.F) {
	for _, s := range []string{
		"", "npcs=0", "lagcomp=off;npcs=3", "width=10;height=10;speed=100000;npc_speed=100000",
		"range=200000;hit_radius=100000;damage=1000000;cooldown_ms=0", "tick_rate=30;npcs=4096",
		"hp=1;respawn_ms=0;score_limit=1", "width=-5", "bogus=1", "speed=1e3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := map[string]string{}
		for kv := range strings.SplitSeq(s, ";") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				m[k] = v
			}
		}
		p, err := ParseParams(m)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidParam)
			return
		}
		back, err := ParseParams(p.Map())
		require.NoError(t, err)
		require.Equal(t, p, back)
		g, err := New(sim.Config{TickRate: p.TickRate, Seed: 1, RewindTicks: 3, Params: m})
		require.NoError(t, err)
		kinds := g.Kinds()
		for i := sim.PlayerID(1); i <= 3; i++ {
			_, err := g.Join(i, "f")
			require.NoError(t, err)
		}
		var world []sim.EntityState
		for tick := sim.Tick(1); tick <= 5; tick++ {
			g.Step(tick, []sim.PlayerInput{
				{Player: 1, Input: sim.Input{MoveX: 1, MoveY: 1, Aim: 100, Buttons: sim.ButtonFire}, Fresh: true, ViewTime: 1},
				{Player: 2, Input: sim.Input{MoveX: -1, Aim: 40000, Buttons: sim.ButtonFire}, Fresh: true, ViewTime: tick.Time()},
				{Player: 3, Input: sim.Input{MoveY: 1, Aim: 20000, Buttons: sim.ButtonFire}, Fresh: true},
			})
			world = g.World(world[:0])
			for _, e := range world {
				for i, spec := range kinds[e.Kind].Fields {
					if v := e.Fields[i]; v < spec.Min || v > spec.Max {
						t.Fatalf("%s.%s = %d outside %d..%d", kinds[e.Kind].Name, spec.Name, v, spec.Min, spec.Max)
					}
				}
			}
		}
	})
}
