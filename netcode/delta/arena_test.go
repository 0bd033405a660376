package delta

import (
	"fmt"
	"math/rand/v2"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// BenchmarkArenaPeer runs the real demo arena under the loadbots `peer`
// workload (10 players, no NPCs, 30 Hz; every 0.5-1.5 s each bot redraws its
// move axes in {-1,0,1}, a uniform aim and whether it fires, p = 0.5) and
// reports what each snapshot costs at baseline ages 1 and 3, shots included.
func BenchmarkArenaPeer(b *testing.B) {
	for _, npcs := range []int{0, 24} {
		g, err := arena.New(sim.Config{TickRate: 30, Seed: 5, Params: map[string]string{"npcs": fmt.Sprint(npcs)}})
		if err != nil {
			b.Fatal(err)
		}
		s, err := NewSchema(g.Kinds())
		if err != nil {
			b.Fatal(err)
		}
		const players = 10
		rng := rand.New(rand.NewPCG(5, 5))
		inputs := make([]sim.PlayerInput, players)
		redraw := make([]int, players)
		for p := range inputs {
			inputs[p].Player = sim.PlayerID(p + 1)
			if _, err := g.Join(inputs[p].Player, fmt.Sprint("bot", p)); err != nil {
				b.Fatal(err)
			}
		}
		frames := make([]Frame, 900)
		var world []sim.EntityState
		for i := range frames {
			tick := sim.Tick(i + 1)
			for p := range inputs {
				in := &inputs[p]
				if i >= redraw[p] {
					redraw[p] = i + 15 + rng.IntN(31)
					in.MoveX, in.MoveY = int8(rng.IntN(3)-1), int8(rng.IntN(3)-1)
					in.Aim = uint16(rng.IntN(65536))
					in.Buttons = 0
					if rng.IntN(2) == 0 {
						in.Buttons = sim.ButtonFire
					}
				}
				in.Fresh = true
				in.ViewTime = tick.Time()
			}
			g.Step(tick, inputs)
			world = g.World(world[:0])
			s.Quantize(&frames[i], tick, world)
		}
		for _, age := range []int{1, 3} {
			b.Run(fmt.Sprintf("npcs%d/age%d", npcs, age), func(b *testing.B) {
				enc := NewEncoder(s)
				env := flatbuffers.NewBuilder(256)
				var buf []byte
				var delta, msg, full int
				for j := age; j < len(frames); j++ {
					h := typicalHeader
					h.Baseline, h.LastInput = frames[j-age].Tick, frames[j].Tick
					// As the server does: timing every fourth snapshot.
					h.Timing = frames[j].Tick%4 == 0
					buf = AppendHeader(buf[:0], frames[j].Tick, &h)
					head := len(buf)
					buf = enc.AppendDelta(buf, &frames[j-age], &frames[j])
					delta += len(buf) - head
					msg += envelopeSize(env, frames[j].Tick, buf)
					full += len(enc.AppendDelta(buf[:0], nil, &frames[j]))
				}
				n := float64(len(frames) - age)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					j := age + i%(len(frames)-age)
					buf = enc.AppendDelta(buf[:0], &frames[j-age], &frames[j])
				}
				b.ReportMetric(float64(full)/n, "full-B/snap")
				b.ReportMetric(float64(delta)/n, "delta-B/snap")
				b.ReportMetric(float64(msg)/n, "msg-B/snap")
				b.ReportMetric(float64(msg)/n*30, "payload-B/s")
			})
		}
	}
}
