package predict_test

import (
	"fmt"

	"github.com/tickwire/tickwire/netcode/predict"
	"github.com/tickwire/tickwire/sim"
)

func ExampleReconciler() {
	// The game's movement: one unit a tick in the stick's direction.
	step := func(e sim.EntityState, in sim.Input) sim.EntityState {
		e.Fields[0] += int32(in.MoveX)
		return e
	}
	r := predict.NewReconciler(step, 64)
	right := sim.Input{MoveX: 1}
	for t := sim.Tick(1); t <= 5; t++ {
		r.Predict(t, right) // labelled and applied at once
	}
	// The server's state after tick 3: x = 3, as predicted.
	own, corr := r.Reconcile(sim.EntityState{Fields: [sim.MaxFields]int32{3}}, 3)
	fmt.Println(own.Fields[0], corr)
	// The server says a wall stopped us at x = 3 after tick 4.
	own, corr = r.Reconcile(sim.EntityState{Fields: [sim.MaxFields]int32{3}}, 4)
	fmt.Println(own.Fields[0], corr)
	// Output:
	// 5 0
	// 4 1
}
