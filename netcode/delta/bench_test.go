package delta

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tickwire/tickwire/sim"
)

// recordScenario runs a scenario for n ticks and returns its frames.
func recordScenario(s *Schema, sc *scenario, n int) []Frame {
	frames := make([]Frame, n)
	for i := range frames {
		s.Quantize(&frames[i], sim.Tick(i+1), sc.step())
	}
	return frames
}

type benchScenario struct {
	name          string
	players, npcs int
}

var benchScenarios = []benchScenario{
	{"peer-10p", 10, 0},           // loadbots `peer`: 10 players, no NPCs
	{"arena-10p24npc", 10, 24},    // 10 players and 24 NPCs
	{"room-100p900npc", 100, 900}, // a big room: 1,000 entities
}

// typicalHeader is what a loopback player's header holds.
var typicalHeader = Header{Baseline: 1, LastInput: 1, Timing: true, RTT: 2 * time.Millisecond, InputLead: 4 * time.Millisecond, SendDelay: 300 * time.Microsecond}

// BenchmarkFormats compares entity-delta layouts on the scenarios, encoding
// every tick of 30 s against the frame `age` ticks older (the acked
// baseline: 1 on loopback, 3 at ~100 ms RTT). It reports the delta bytes per
// snapshot, the whole message (type byte, FlatBuffers envelope, header,
// delta) and the payload bytes per client per second at 30 Hz; ns/op is the
// encode time of one snapshot.
func BenchmarkFormats(b *testing.B) {
	s := mustSchema(b)
	layouts := []struct {
		name string
		make func() func(dst []byte, base, cur *Frame) []byte
	}{
		{"bits", func() func([]byte, *Frame, *Frame) []byte { return NewEncoder(s).AppendDelta }},
		{"varint", func() func([]byte, *Frame, *Frame) []byte { return NewEncoder(s).appendVarintDelta }},
		{"flatbuffers", func() func([]byte, *Frame, *Frame) []byte {
			e, f := NewEncoder(s), &fbDelta{}
			return func(dst []byte, base, cur *Frame) []byte { return f.append(e, dst, base, cur) }
		}},
	}
	for _, sc := range benchScenarios {
		frames := recordScenario(s, newScenario(1, sc.players, sc.npcs), 900)
		for _, age := range []int{1, 3} {
			for _, l := range layouts {
				b.Run(fmt.Sprintf("%s/age%d/%s", sc.name, age, l.name), func(b *testing.B) {
					enc := l.make()
					env := flatbuffers.NewBuilder(256)
					var buf []byte
					var delta, msg int
					for j := age; j < len(frames); j++ {
						h := typicalHeader
						h.Baseline = frames[j-age].Tick
						buf = AppendHeader(buf[:0], frames[j].Tick, &h)
						head := len(buf)
						buf = enc(buf, &frames[j-age], &frames[j])
						delta += len(buf) - head
						msg += envelopeSize(env, frames[j].Tick, buf)
					}
					n := float64(len(frames) - age)
					b.ReportAllocs()
					b.ResetTimer()
					for i := range b.N {
						j := age + i%(len(frames)-age)
						buf = enc(buf[:0], &frames[j-age], &frames[j])
					}
					b.ReportMetric(float64(delta)/n, "delta-B/snap")
					b.ReportMetric(float64(msg)/n, "msg-B/snap")
					b.ReportMetric(float64(msg)/n*30, "payload-B/s")
				})
			}
		}
	}
}

// BenchmarkFull reports the size of a full snapshot of each scenario.
func BenchmarkFull(b *testing.B) {
	s := mustSchema(b)
	for _, sc := range benchScenarios {
		frames := recordScenario(s, newScenario(1, sc.players, sc.npcs), 30)
		b.Run(sc.name, func(b *testing.B) {
			enc := NewEncoder(s)
			buf := enc.AppendDelta(nil, nil, &frames[29])
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				buf = enc.AppendDelta(buf[:0], nil, &frames[29])
			}
			b.ReportMetric(float64(len(buf)), "full-bytes")
		})
	}
}

// BenchmarkDecode measures DecodeDelta at baseline age 3 (0 allocs/op once
// the destination has grown).
func BenchmarkDecode(b *testing.B) {
	s := mustSchema(b)
	for _, sc := range benchScenarios {
		frames := recordScenario(s, newScenario(1, sc.players, sc.npcs), 300)
		enc := NewEncoder(s)
		data := make([][]byte, len(frames))
		for j := 3; j < len(frames); j++ {
			data[j] = enc.AppendDelta(nil, &frames[j-3], &frames[j])
		}
		b.Run(sc.name, func(b *testing.B) {
			var dst Frame
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				j := 3 + i%(len(frames)-3)
				if err := s.DecodeDelta(&dst, &frames[j-3], frames[j].Tick, data[j]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnchor is the published comparison case: 100 entities with x/y
// only (no velocity to predict from), 50 of them moved one tick's worth
// (200 units/s at 30 Hz in a random direction). Colyseus schema: 342 bytes;
// msgpack + fossil-delta: 684 bytes.
func BenchmarkAnchor(b *testing.B) {
	s, err := NewSchema([]sim.KindSpec{{Name: "dot", Fields: []sim.FieldSpec{
		{Name: "x", Min: 0, Max: arenaSize}, {Name: "y", Min: 0, Max: arenaSize},
	}}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	world := make([]sim.EntityState, 100)
	for i := range world {
		world[i] = sim.EntityState{ID: sim.EntityID(i + 1), Fields: [sim.MaxFields]int32{rng.Int32N(arenaSize), rng.Int32N(arenaSize)}}
	}
	var base, cur Frame
	s.Quantize(&base, 1, world)
	for _, i := range rng.Perm(100)[:50] {
		dx, dy := rng.Int32N(3)-1, rng.Int32N(3)-1
		if dx == 0 && dy == 0 {
			dx = 1
		}
		world[i].Fields[0] += dx * playerSpeed
		world[i].Fields[1] += dy * playerSpeed
	}
	s.Quantize(&cur, 2, world)
	enc := NewEncoder(s)
	buf := enc.AppendDelta(nil, &base, &cur)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf = enc.AppendDelta(buf[:0], &base, &cur)
	}
	b.ReportMetric(float64(len(buf)), "delta-bytes")
}

// BenchmarkHeader measures AppendHeader + ParseHeader of a typical header.
func BenchmarkHeader(b *testing.B) {
	var buf []byte
	h := typicalHeader
	b.ReportAllocs()
	for i := range b.N {
		tick := sim.Tick(1000 + i)
		h.Baseline, h.LastInput = tick-2, tick
		buf = AppendHeader(buf[:0], tick, &h)
		if _, _, err := ParseHeader(tick, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "header-bytes")
}
