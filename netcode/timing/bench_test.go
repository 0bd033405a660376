package timing_test

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/netcode/timing"
	"github.com/tickwire/tickwire/sim"
)

// BenchmarkClockPerSnapshot is the client's timing work for one snapshot:
// the clock sample, the round trip, the lead feedback, one ServerTime and
// one NextInputTick.
func BenchmarkClockPerSnapshot(b *testing.B) {
	b.ReportAllocs()
	period := time.Second / 30
	c := timing.NewClockEstimator(30)
	l := timing.NewLeadController(30)
	c.AddWelcome(1, int64(period/time.Microsecond), 0)
	var now time.Duration
	for i := range b.N {
		tk := sim.Tick(i + 2)
		now = time.Duration(tk)*period + time.Duration(i%7)*time.Millisecond
		c.AddSnapshot(tk, time.Millisecond, now)
		c.SetRTT(100*time.Millisecond, now)
		l.Feedback(5*time.Millisecond, 100*time.Millisecond, now)
		l.NextInputTick(now, c.ServerTime(now))
	}
}

func BenchmarkInputTimerAdd(b *testing.B) {
	b.ReportAllocs()
	var t timing.InputTimer
	for i := range b.N {
		d := time.Duration(i) * time.Millisecond
		t.Add(d, d-time.Duration(i%13)*time.Millisecond)
	}
}
