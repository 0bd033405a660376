package delta

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

// historyModel is History's documented contract and nothing else: a set of
// held ticks; Next(t) replaces t if held, else takes a free slot, else
// evicts the oldest tick other than the one the latest Get returned.
type historyModel struct {
	n    int
	held map[sim.Tick]bool
	got  sim.Tick // 0: none
}

func (m *historyModel) next(t sim.Tick) {
	if m.held[t] || len(m.held) < m.n {
		m.held[t] = true
		return
	}
	var oldest sim.Tick
	for u := range m.held {
		if u != m.got && (oldest == 0 || u < oldest) {
			oldest = u
		}
	}
	delete(m.held, oldest)
	m.held[t] = true
}

// History keeps frames in home slots to make Get cheap; whatever the order
// of calls (ticks that collide modulo the ring size, gaps, drops, Gets of
// old and missing ticks), what it holds must be exactly what the contract
// says, and each frame must still be the one written for its tick.
func TestHistoryMatchesItsContract(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 2 + rng.IntN(7)
		h := NewHistory(n)
		m := &historyModel{n: n, held: map[sim.Tick]bool{}}
		tick := sim.Tick(1)
		for op := 0; op < 300; op++ {
			switch r := rng.IntN(10); {
			case r < 5: // mostly forward, sometimes skipping, sometimes a repeat
				switch rng.IntN(4) {
				case 0:
					tick += sim.Tick(1 + rng.IntN(2*n))
				case 1:
				default:
					tick++
				}
				f := h.Next(tick)
				require.Equal(t, tick, f.Tick)
				require.Empty(t, f.Entities)
				f.Entities = append(f.Entities, Entity{ID: sim.EntityID(tick)})
				m.next(tick)
			case r < 8:
				q := tick - sim.Tick(rng.IntN(3*n))
				f, ok := h.Get(q)
				require.Equal(t, m.held[q], ok, "seed %d op %d: Get(%d)", seed, op, q)
				if ok {
					require.Equal(t, sim.EntityID(q), f.Entities[0].ID, "seed %d: frame of %d", seed, q)
					m.got = q
				}
			default:
				q := tick - sim.Tick(rng.IntN(2*n))
				h.Drop(q)
				delete(m.held, q)
				if q == m.got {
					m.got = 0
				}
			}
			for u := tick; u+sim.Tick(4*n) > tick && u > 0; u-- {
				// Membership only: Get would move "got".
				held := false
				for i := range h.frames {
					held = held || (h.held[i] && h.frames[i].Tick == u)
				}
				require.Equal(t, m.held[u], held, "seed %d op %d: tick %d", seed, op, u)
			}
		}
	}
}

func TestDequantizeIntoEqualsDequantize(t *testing.T) {
	t.Parallel()
	s := mustSchema(t)
	rng := rand.New(rand.NewPCG(3, 4))
	dst := sim.EntityState{ID: 99, Kind: 1}
	for i := range dst.Fields {
		dst.Fields[i] = -1 // stale values must not survive
	}
	for range 1000 {
		e := Entity{ID: sim.EntityID(rng.Uint32()), Kind: uint8(rng.IntN(len(s.kinds) + 1))}
		for fi := range e.Values {
			e.Values[fi] = rng.Int32() - rng.Int32()
		}
		s.DequantizeInto(&dst, &e)
		require.Equal(t, s.Dequantize(&e), dst)
	}
}

// BenchmarkHistoryClientSnapshot is a client's history work per snapshot:
// Get the baseline (two ticks back, as an ack a round trip old names) and
// Next the new frame, in the client's 64-frame ring.
func BenchmarkHistoryClientSnapshot(b *testing.B) {
	h := NewHistory(64)
	for t := sim.Tick(1); t <= 64; t++ {
		h.Next(t)
	}
	tick := sim.Tick(64)
	b.ReportAllocs()
	for b.Loop() {
		tick++
		if _, ok := h.Get(tick - 2); !ok {
			b.Fatal("baseline missing")
		}
		h.Next(tick)
	}
}
