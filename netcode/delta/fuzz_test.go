package delta

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

// FuzzDecodeDelta feeds arbitrary bytes to the decoder against a fixed
// baseline (flag set) or none. It must never panic; when it accepts the
// bytes, the frame must be valid and encoding it again must decode to the
// same frame.
func FuzzDecodeDelta(f *testing.F) {
	s := mustSchema(f)
	enc := NewEncoder(s)
	c := newChaos(11, 12, 1)
	var base, cur Frame
	s.Quantize(&base, 100, c.step())
	for range 3 {
		c.step()
	}
	s.Quantize(&cur, 104, c.step())
	f.Add(true, enc.AppendDelta(nil, &base, &cur))
	f.Add(false, enc.AppendDelta(nil, nil, &cur))
	f.Add(true, enc.AppendDelta(nil, &base, &base))
	f.Add(false, []byte{})
	f.Add(true, []byte{0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, withBase bool, data []byte) {
		var b *Frame
		if withBase {
			b = &base
		}
		var got Frame
		if err := s.DecodeDelta(&got, b, 104, data); err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			require.Empty(t, got.Entities)
			return
		}
		require.LessOrEqual(t, len(got.Entities), MaxEntities)
		for i, e := range got.Entities {
			require.NotZero(t, e.ID)
			if i > 0 {
				require.Less(t, got.Entities[i-1].ID, e.ID, "sorted and unique")
			}
			require.Less(t, int(e.Kind), len(s.kinds))
			for fi, fl := range s.kinds[e.Kind].fields {
				require.True(t, e.Values[fi] >= 0 && int64(e.Values[fi]) <= fl.qmax)
			}
		}
		again := enc.AppendDelta(nil, b, &got)
		var back Frame
		require.NoError(t, s.DecodeDelta(&back, b, 104, again))
		require.Equal(t, got.Entities, back.Entities)
	})
}

// FuzzParseHeader checks the header parser never panics and that what it
// accepts round-trips (AppendHeader output is canonical, so compare values).
func FuzzParseHeader(f *testing.F) {
	f.Add(uint32(1000), AppendHeader(nil, 1000, &Header{Baseline: 997, LastInput: 1000, Timing: true, RTT: 30e6, InputLead: -2e6}))
	f.Add(uint32(1), AppendHeader(nil, 1, &Header{}))
	f.Add(uint32(5), []byte{0x80, 0x80})
	f.Fuzz(func(t *testing.T, tick uint32, body []byte) {
		h, rest, err := ParseHeader(sim.Tick(tick), body)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.LessOrEqual(t, len(rest), len(body))
		b := AppendHeader(nil, sim.Tick(tick), &h)
		h2, rest2, err := ParseHeader(sim.Tick(tick), b)
		require.NoError(t, err)
		require.Empty(t, rest2)
		require.Equal(t, h, h2)
	})
}
