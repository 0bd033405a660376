package arena

import (
	"testing"

	"github.com/tickwire/tickwire/sim"
)

// benchStep steps a room of players that move, aim and fire (the peer
// workload: inputs redrawn about every second, half of them firing) with
// view times 5 ticks old, plus World, as the room does each tick.
func benchStep(b *testing.B, players int, params map[string]string) {
	g, err := New(sim.Config{TickRate: 30, Seed: 1, Params: params})
	if err != nil {
		b.Fatal(err)
	}
	for p := 1; p <= players; p++ {
		if _, err := g.Join(sim.PlayerID(p), "bot"); err != nil {
			b.Fatal(err)
		}
	}
	script := sim.NewRand(2)
	inputs := make([]sim.PlayerInput, players)
	for i := range inputs {
		inputs[i] = sim.PlayerInput{Player: sim.PlayerID(i + 1), Fresh: true}
	}
	var world []sim.EntityState
	tick := sim.Tick(0)
	step := func() {
		tick++
		for i := range inputs {
			in := &inputs[i]
			if script.Uint64n(30) == 0 {
				in.Input = sim.Input{
					MoveX: int8(script.Between(-1, 1)), MoveY: int8(script.Between(-1, 1)),
					Aim: script.Angle(), Buttons: uint16(script.Uint64n(2)) * sim.ButtonFire,
				}
			}
			in.ViewTime = tick.Time() - 5*sim.SubTicks
		}
		g.Step(tick, inputs)
		world = g.World(world[:0])
	}
	for range 300 { // past the first respawns and a full shot turnover
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
}

func BenchmarkStep10Players24NPCs(b *testing.B) {
	benchStep(b, 10, map[string]string{"npcs": "24"})
}

func BenchmarkStep10PlayersPeer(b *testing.B) {
	benchStep(b, 10, map[string]string{"npcs": "0"})
}

func BenchmarkStep100Players(b *testing.B) {
	benchStep(b, 100, map[string]string{"npcs": "24"})
}
