package predict_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tickwire/tickwire/netcode/predict"
	"github.com/tickwire/tickwire/sim"
)

func TestSmootherGlidesToCorrection(t *testing.T) {
	t.Parallel()
	s := predict.NewSmoother([]int{0, 1}, 3*sim.SubTicks, 1000)
	before := ent(100, 100, 7)
	after := ent(40, 130, 9)
	s.Correct(before, after)
	drawn := s.Apply(after)
	assert.Equal(t, ent(100, 100, 9), drawn, "drawn where it was; unsmoothed fields snap")

	prev := int32(60)
	for range 60 { // 60 frames of a third of a tick: 20 ticks, over 6 time constants
		s.Advance(sim.SubTicks / 3)
		o := s.Offset(0)
		assert.LessOrEqual(t, o, prev, "decays monotonically")
		assert.GreaterOrEqual(t, o, int32(0), "never overshoots")
		prev = o
	}
	assert.LessOrEqual(t, s.Offset(0), int32(1))
	for range 10 {
		s.Advance(sim.SubTicks)
	}
	assert.Zero(t, s.Offset(0), "reaches zero")
	assert.Zero(t, s.Offset(1))
	assert.Equal(t, after, s.Apply(after))
}

func TestSmootherSnapsLargeCorrections(t *testing.T) {
	t.Parallel()
	s := predict.NewSmoother([]int{0}, 0, 500)
	s.Correct(ent(0), ent(10_000)) // a respawn
	assert.Zero(t, s.Offset(0))
	s.Correct(ent(0), ent(100))
	s.Correct(ent(0), ent(100)) // offsets accumulate
	assert.Equal(t, int32(-200), s.Offset(0))
}

func ent(fields ...int32) sim.EntityState {
	var e sim.EntityState
	copy(e.Fields[:], fields)
	return e
}
