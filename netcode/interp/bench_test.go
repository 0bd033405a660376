package interp_test

import (
	"testing"

	"github.com/tickwire/tickwire/netcode/interp"
	"github.com/tickwire/tickwire/sim"
)

// BenchmarkSample draws 64 entities between two snapshots, as a renderer
// does every frame.
func BenchmarkSample(b *testing.B) {
	b.ReportAllocs()
	buf := interp.NewBuffer(&interp.Options{Fields: modes})
	for tk := sim.Tick(1); tk <= 32; tk++ {
		ents := make([]sim.EntityState, 64)
		for i := range ents {
			ents[i] = ent(sim.EntityID(i+1), 0, int32(tk)*10, int32(i), int32(tk)*100, 1, 5)
		}
		buf.Add(tk, ents)
	}
	dst := make([]sim.EntityState, 0, 64)
	b.ResetTimer()
	for i := range b.N {
		dst = buf.Sample(dst[:0], sim.TickTime(20*sim.SubTicks+i%sim.SubTicks))
	}
}
