package timing_test

import (
	"fmt"
	"time"

	"github.com/tickwire/tickwire/netcode/timing"
)

// The client's input clock: the estimated server time plus a lead, handing
// out each tick once.
func ExampleLeadController() {
	clock := timing.NewClockEstimator(30)
	lead := timing.NewLeadController(30)
	// Tick 90 was due at server time 3s; the Welcome arrived at client 0.
	clock.AddWelcome(90, 3_000_000, 0)
	now := 10 * time.Millisecond
	for {
		t, ok := lead.NextInputTick(now, clock.ServerTime(now))
		if !ok {
			break
		}
		fmt.Println("label input for tick", t)
	}
	// Output:
	// label input for tick 91
}
