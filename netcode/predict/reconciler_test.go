package predict_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode/predict"
	"github.com/tickwire/tickwire/sim"
)

// walk is a stand-in for a game's movement: velocity follows the stick
// with inertia, position integrates velocity; fields 0..3 are x, y, vx, vy.
func walk(e sim.EntityState, in sim.Input) sim.EntityState {
	e.Fields[2] += (int32(in.MoveX)*64 - e.Fields[2]) / 4
	e.Fields[3] += (int32(in.MoveY)*64 - e.Fields[3]) / 4
	e.Fields[0] += e.Fields[2]
	e.Fields[1] += e.Fields[3]
	return e
}

// inputFor is a made-up input stream that changes every few ticks.
func inputFor(t sim.Tick) sim.Input {
	return sim.Input{MoveX: int8(t/7%3) - 1, MoveY: int8(t/11%3) - 1, Aim: uint16(t * 100)}
}

var start = sim.EntityState{ID: 5, Fields: [sim.MaxFields]int32{1000, 2000}}

func TestReconcilerExactPredictionHasZeroCorrection(t *testing.T) {
	t.Parallel()
	r := predict.NewReconciler(walk, 64)
	_, ok := r.Current()
	assert.False(t, ok, "no prediction before the first server state")

	server := start
	const behind = 5 // the client's inputs run five ticks ahead
	for tk := sim.Tick(1); tk <= 200; tk++ {
		r.Predict(tk, inputFor(tk))
		if tk <= behind {
			continue
		}
		st := tk - behind
		server = walk(server, inputFor(st))
		got, corr := r.Reconcile(server, st)
		if tk > behind+1 {
			assert.Zero(t, corr, "tick %d", tk)
		}
		// The prediction is the server's state run forward through the
		// inputs it has not applied yet.
		want := server
		for s := st + 1; s <= tk; s++ {
			want = walk(want, inputFor(s))
		}
		require.Equal(t, want, got, "tick %d", tk)
		cur, ok := r.Current()
		require.True(t, ok)
		require.Equal(t, want, cur)
		require.Equal(t, tk, r.Tick())
		require.Equal(t, behind, r.Pending())
	}
}

func TestReconcilerReplaysOnTopOfServerCorrection(t *testing.T) {
	t.Parallel()
	r := predict.NewReconciler(walk, 64)
	server := start
	for tk := sim.Tick(1); tk <= 10; tk++ {
		r.Predict(tk, inputFor(tk))
	}
	for tk := sim.Tick(1); tk <= 4; tk++ {
		server = walk(server, inputFor(tk))
	}
	_, corr := r.Reconcile(server, 4)
	assert.Zero(t, corr, "first reconcile has nothing to compare")

	// At tick 5 the server pushes the entity 100 units (a hit, a wall).
	server = walk(server, inputFor(5))
	server.Fields[0] += 100
	got, corr := r.Reconcile(server, 5)
	assert.Equal(t, int64(100), corr)
	want := server
	for s := sim.Tick(6); s <= 10; s++ {
		want = walk(want, inputFor(s))
	}
	assert.Equal(t, want, got)

	// A server that applied another input for tick 6 (ours was late, it
	// repeated an older one) also shows as a correction, and the replay
	// starts after tick 6.
	server = walk(server, sim.Input{MoveX: 1, MoveY: 1})
	got, corr = r.Reconcile(server, 6)
	assert.NotZero(t, corr)
	want = server
	for s := sim.Tick(7); s <= 10; s++ {
		want = walk(want, inputFor(s))
	}
	assert.Equal(t, want, got)
}

func TestReconcilerPredictsBeforeFirstStateByReplay(t *testing.T) {
	t.Parallel()
	r := predict.NewReconciler(walk, 8)
	for tk := sim.Tick(10); tk <= 13; tk++ {
		r.Predict(tk, inputFor(tk))
	}
	_, ok := r.Current()
	require.False(t, ok)
	got, _ := r.Reconcile(start, 11)
	want := walk(walk(start, inputFor(12)), inputFor(13))
	assert.Equal(t, want, got)
	r.Predict(14, inputFor(14))
	cur, ok := r.Current()
	require.True(t, ok)
	assert.Equal(t, walk(want, inputFor(14)), cur)
}

func TestReconcilerCapacityOverflow(t *testing.T) {
	t.Parallel()
	r := predict.NewReconciler(walk, 4)
	for tk := sim.Tick(1); tk <= 10; tk++ {
		r.Predict(tk, inputFor(tk))
	}
	assert.Equal(t, 4, r.Pending())
	assert.Equal(t, uint64(6), r.Evicted())
	// Only ticks 7..10 are left to replay on top of the state after 2.
	got, corr := r.Reconcile(start, 2)
	assert.Zero(t, corr)
	want := start
	for s := sim.Tick(7); s <= 10; s++ {
		want = walk(want, inputFor(s))
	}
	assert.Equal(t, want, got)
	// Steady state afterwards never grows past capacity.
	for tk := sim.Tick(11); tk <= 100; tk++ {
		r.Predict(tk, inputFor(tk))
		assert.LessOrEqual(t, r.Pending(), 4)
	}
}

func TestReconcilerIgnoresRelabelsAndStaleStates(t *testing.T) {
	t.Parallel()
	r := predict.NewReconciler(walk, 16)
	for tk := sim.Tick(1); tk <= 5; tk++ {
		r.Predict(tk, inputFor(tk))
	}
	r.Reconcile(start, 3)
	before, _ := r.Current()
	r.Predict(5, sim.Input{MoveX: 1})  // already labelled
	r.Predict(2, sim.Input{MoveY: -1}) // already reconciled
	after, _ := r.Current()
	assert.Equal(t, before, after)
	assert.Equal(t, 2, r.Pending())

	got, corr := r.Reconcile(sim.EntityState{ID: 5}, 2) // older than tick 3
	assert.Zero(t, corr)
	assert.Equal(t, before, got)
}

func TestReconcilerFillsSkippedTicksWithRepeats(t *testing.T) {
	t.Parallel()
	r := predict.NewReconciler(walk, 16)
	r.Predict(1, inputFor(1))
	r.Reconcile(start, 0)
	in := sim.Input{MoveX: 1}
	r.Predict(2, in)
	r.Predict(5, sim.Input{MoveY: 1}) // 3 and 4 skipped: the server repeats in
	assert.Equal(t, 5, r.Pending(), "ticks 1 to 5")
	cur, _ := r.Current()
	want := walk(walk(walk(walk(walk(start, inputFor(1)), in), in), in), sim.Input{MoveY: 1})
	assert.Equal(t, want, cur)
	assert.Equal(t, sim.Tick(5), r.Tick())
}
