package delta

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

func TestNewSchemaRejects(t *testing.T) {
	t.Parallel()
	f := func(name string, min, max, step int32, rate string) sim.FieldSpec {
		return sim.FieldSpec{Name: name, Min: min, Max: max, Step: step, Rate: rate}
	}
	tooManyFields := make([]sim.FieldSpec, sim.MaxFields+1)
	for i := range tooManyFields {
		tooManyFields[i] = f(string(rune('a'+i)), 0, 1, 0, "")
	}
	cases := []struct {
		name  string
		kinds []sim.KindSpec
		want  string
	}{
		{"too many kinds", make([]sim.KindSpec, MaxKinds+1), "257 kinds"},
		{"too many fields", []sim.KindSpec{{Name: "k", Fields: tooManyFields}}, "13 fields"},
		{"empty range", []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{f("x", 5, 5, 1, "")}}}, "min 5 must be below max 5"},
		{"inverted range", []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{f("x", 9, 1, 1, "")}}}, "min 9 must be below max 1"},
		{"negative step", []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{f("x", 0, 9, -1, "")}}}, "negative step"},
		{"unknown rate", []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{f("x", 0, 9, 1, "vx")}}}, `unknown field "vx"`},
		{"self rate", []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{f("x", 0, 9, 1, "x")}}}, "its own rate"},
		{"range too fine", []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{f("x", -2147483648, 2147483647, 1, "")}}}, "raise the step"},
		{"rate chain", []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{f("x", 0, 9, 1, "v"), f("v", 0, 9, 1, "a"), f("a", 0, 9, 1, "")}}}, "has a rate itself"},
		{"duplicate name", []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{f("x", 0, 9, 1, ""), f("x", 0, 9, 1, "")}}}, "duplicate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSchema(tc.kinds)
			require.ErrorIs(t, err, ErrSchema)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := NewSchema(make([]sim.KindSpec, MaxKinds))
	require.NoError(t, err, "256 kinds are allowed")
	_, err = NewSchema(nil)
	require.NoError(t, err, "a game without replicated entities is allowed")
}

func TestQuantizeRounding(t *testing.T) {
	t.Parallel()
	s, err := NewSchema([]sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{
		{Name: "a", Min: -100, Max: 100, Step: 10},
		{Name: "b", Min: 0, Max: 25, Step: 10}, // top step overshoots Max
		{Name: "c", Min: -2147483648, Max: 2147483647, Step: 3},
	}}})
	require.NoError(t, err)
	cases := []struct {
		in, q, out [3]int32
	}{
		{[3]int32{-100, 0, -2147483648}, [3]int32{0, 0, 0}, [3]int32{-100, 0, -2147483648}},
		{[3]int32{-96, 4, 0}, [3]int32{0, 0, 715827883}, [3]int32{-100, 0, 1}},
		{[3]int32{-95, 5, 2147483647}, [3]int32{1, 1, 1431655765}, [3]int32{-90, 10, 2147483647}},
		{[3]int32{1000, 24, 7}, [3]int32{20, 2, 715827885}, [3]int32{100, 20, 7}},
		{[3]int32{-1000, 99, -7}, [3]int32{0, 3, 715827880}, [3]int32{-100, 25, -8}},
	}
	for _, tc := range cases {
		var w sim.EntityState
		w.ID = 1
		copy(w.Fields[:], tc.in[:])
		var f Frame
		s.Quantize(&f, 1, []sim.EntityState{w})
		require.Len(t, f.Entities, 1)
		assert.Equal(t, tc.q[:], f.Entities[0].Values[:3], "in %v", tc.in)
		back := s.Dequantize(&f.Entities[0])
		assert.Equal(t, tc.out[:], back.Fields[:3], "in %v", tc.in)
	}
}

func TestQuantizeSortsAndSkips(t *testing.T) {
	t.Parallel()
	s := mustSchema(t)
	world := []sim.EntityState{
		{ID: 5, Kind: kindNPC},
		{ID: 0, Kind: kindNPC},  // ID 0 is never valid
		{ID: 3, Kind: 9},        // unknown kind
		{ID: 2, Kind: kindShot}, // out of order
		{ID: 5, Kind: kindPlayer},
	}
	var f Frame
	s.Quantize(&f, 7, world)
	require.Equal(t, sim.Tick(7), f.Tick)
	ids := []sim.EntityID{}
	for _, e := range f.Entities {
		ids = append(ids, e.ID)
	}
	require.Equal(t, []sim.EntityID{2, 5}, ids)
	require.Equal(t, uint8(kindNPC), f.Entities[1].Kind, "the first of duplicate IDs wins")
}
