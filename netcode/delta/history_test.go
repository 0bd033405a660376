package delta

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

func TestHistoryRing(t *testing.T) {
	t.Parallel()
	h := NewHistory(3)
	for tick := sim.Tick(1); tick <= 5; tick++ {
		f := h.Next(tick)
		require.Equal(t, tick, f.Tick)
		require.Empty(t, f.Entities)
		f.Entities = append(f.Entities, Entity{ID: sim.EntityID(tick)})
	}
	for tick := sim.Tick(1); tick <= 2; tick++ {
		_, ok := h.Get(tick)
		assert.False(t, ok, "tick %d was evicted", tick)
	}
	for tick := sim.Tick(3); tick <= 5; tick++ {
		f, ok := h.Get(tick)
		require.True(t, ok)
		assert.Equal(t, sim.EntityID(tick), f.Entities[0].ID)
	}
	h.Drop(4)
	_, ok := h.Get(4)
	assert.False(t, ok)
	f := h.Next(6)
	require.Empty(t, f.Entities)
	assert.GreaterOrEqual(t, cap(f.Entities), 1, "the dropped frame's storage is reused")
	for _, tick := range []sim.Tick{3, 5, 6} {
		_, ok := h.Get(tick)
		assert.True(t, ok, "tick %d is held", tick)
	}
}

func TestHistoryKeepsLastGot(t *testing.T) {
	t.Parallel()
	h := NewHistory(2)
	h.Next(10)
	h.Next(20)
	base, ok := h.Get(10)
	require.True(t, ok)
	dst := h.Next(30)
	require.NotSame(t, base, dst, "the baseline a client just got is not handed out as the destination")
	_, ok = h.Get(10)
	require.True(t, ok)
	_, ok = h.Get(20)
	require.False(t, ok)
}

func TestHistoryReplacesSameTick(t *testing.T) {
	t.Parallel()
	h := NewHistory(4)
	a := h.Next(7)
	a.Entities = append(a.Entities, Entity{ID: 1})
	b := h.Next(7)
	require.Same(t, a, b)
	require.Empty(t, b.Entities)
	h.Next(8)
	h.Next(9)
	h.Next(10)
	_, ok := h.Get(7)
	require.True(t, ok, "one slot for tick 7, so four ticks fit")
}

func TestHistoryMinimumSize(t *testing.T) {
	t.Parallel()
	h := NewHistory(0)
	h.Next(1)
	h.Next(2)
	_, ok := h.Get(1)
	require.True(t, ok)
}
