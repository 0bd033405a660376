package predict_test

import (
	"testing"

	"github.com/tickwire/tickwire/netcode/predict"
	"github.com/tickwire/tickwire/sim"
)

// BenchmarkReconcile is one snapshot's reconciliation with five inputs in
// flight (about 150ms of round trip at 30 Hz), plus the next Predict.
func BenchmarkReconcile(b *testing.B) {
	b.ReportAllocs()
	r := predict.NewReconciler(walk, 64)
	for tk := sim.Tick(1); tk <= 5; tk++ {
		r.Predict(tk, inputFor(tk))
	}
	own := start
	for i := range b.N {
		tk := sim.Tick(i + 1)
		r.Reconcile(own, tk)
		r.Predict(tk+5, inputFor(tk+5))
	}
}
