package timing_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode/timing"
	"github.com/tickwire/tickwire/sim"
)

func TestLeadControllerOnTimeAcrossPaths(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{30, 60} {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 80 * time.Millisecond, 150 * time.Millisecond, 200 * time.Millisecond} {
			for _, setRTT := range []bool{false, true} {
				name := fmt.Sprintf("%dHz/rtt%s/setRTT=%v", rate, rtt, setRTT)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					s := &netSim{tickRate: rate, rtt: rtt, jitter: 10 * time.Millisecond,
						duration: 40 * time.Second, warmup: 5 * time.Second, setRTT: setRTT, seed: uint64(rtt) + uint64(rate)}
					s.run()
					t.Logf("inputs %d on time %.4f mean lead %s lead %s clock p50 %s p99 %s late %v",
						s.inputs, s.onTimeRate(), s.meanLead(), s.lead.Target(), s.clockErrQuantile(0.5), s.clockErrQuantile(0.99), s.lateAfter)
					require.Greater(t, s.inputs, 30*rate)
					assert.GreaterOrEqual(t, s.onTimeRate(), 0.99)
					assert.Less(t, s.meanLead(), 50*time.Millisecond, "on time without hoarding lead")
					assertIncreasing(t, s.labelled)
					assertConsecutive(t, s.labelled[5*rate:])
				})
			}
		}
	}
}

// assertIncreasing checks no tick was handed out twice or out of order.
func assertIncreasing(t *testing.T, ticks []sim.Tick) {
	t.Helper()
	for i := 1; i < len(ticks); i++ {
		if ticks[i] <= ticks[i-1] {
			t.Fatalf("tick %d followed by %d at label %d", ticks[i-1], ticks[i], i)
		}
	}
}

// assertConsecutive checks ticks were handed out once each, in order,
// without gaps.
func assertConsecutive(t *testing.T, ticks []sim.Tick) {
	t.Helper()
	for i := 1; i < len(ticks); i++ {
		if ticks[i] != ticks[i-1]+1 {
			t.Fatalf("tick %d followed by %d at label %d", ticks[i-1], ticks[i], i)
		}
	}
}

func TestLeadControllerRecoversAfterStalls(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		sim  netSim
	}{
		{"client paused 3s", netSim{clientStalls: []span{{20 * time.Second, 23 * time.Second}}}},
		{"network stalled 1s", netSim{netStalls: []span{{20 * time.Second, 21 * time.Second}}}},
		{"route change 120ms to 250ms", netSim{rttSteps: []rttStep{{20 * time.Second, 250 * time.Millisecond}}}},
		{"route change 120ms to 40ms", netSim{rttSteps: []rttStep{{20 * time.Second, 40 * time.Millisecond}}}},
		{"server dropped 10 ticks", netSim{epochShifts: []shift{{20 * time.Second, 10 * time.Second / 30}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.sim
			s.tickRate, s.rtt, s.jitter, s.setRTT, s.seed = 30, 120*time.Millisecond, 10*time.Millisecond, true, 7
			s.duration, s.warmup = 40*time.Second, 5*time.Second
			s.run()
			t.Logf("on time %.4f late by second %v skipped %d", s.onTimeRate(), s.lateAfter, s.lead.Skipped())
			assertIncreasing(t, s.labelled)
			// Inputs go late only during the stall and the second after
			// it (the stall itself holds back up to a second of them);
			// after that every input is on time again.
			late := 0
			for sec, n := range s.lateAfter {
				assert.GreaterOrEqual(t, sec, 20*time.Second, "%d late inputs at %s", n, sec)
				assert.Less(t, sec, 24*time.Second, "%d late inputs at %s", n, sec)
				late += n
			}
			assert.LessOrEqual(t, late, 30+15)
		})
	}
}

func TestLeadControllerHandsOutEachTickOnce(t *testing.T) {
	t.Parallel()
	l := timing.NewLeadController(30)
	period := time.Second / 30
	var got []sim.Tick
	// The server clock runs with the client's; a backward correction at
	// 1s and a forward jump at 2s.
	for now := time.Duration(0); now < 3*time.Second; now += time.Millisecond {
		server := 100*sim.SubTicks + sim.TickTime(now*sim.SubTicks/period)
		switch {
		case now >= 2*time.Second:
			server += 20 * sim.SubTicks
		case now >= time.Second:
			server -= 3 * sim.SubTicks
		}
		for {
			tk, ok := l.NextInputTick(now, server)
			if !ok {
				break
			}
			got = append(got, tk)
		}
	}
	assertIncreasing(t, got)
	// Before the jump, no gaps; after it, only the ticks the server ran
	// were skipped.
	require.Greater(t, len(got), 60)
	// The jump moves the server 23 ticks (from -3 to +20); the ticks it
	// passed, less the one or two the lead had labelled, are skipped.
	assert.GreaterOrEqual(t, l.Skipped(), uint64(21))
	assert.LessOrEqual(t, l.Skipped(), uint64(22))
}

func TestLeadControllerHeavyJitterAndSlowFrames(t *testing.T) {
	t.Parallel()
	// A bot that updates at 20 fps on a path with ±40ms jitter each way:
	// labelling waits up to a frame, and arrivals spread over 80ms.
	for _, setRTT := range []bool{false, true} {
		s := &netSim{tickRate: 30, rtt: 100 * time.Millisecond, jitter: 40 * time.Millisecond, setRTT: setRTT,
			frame: 50 * time.Millisecond, duration: 60 * time.Second, warmup: 5 * time.Second, seed: 3}
		s.run()
		t.Logf("setRTT=%v on time %.4f mean lead %s", setRTT, s.onTimeRate(), s.meanLead())
		assert.GreaterOrEqual(t, s.onTimeRate(), 0.99)
		// The margin follows the spread; it does not balloon.
		assert.Less(t, s.meanLead(), 120*time.Millisecond)
		assertIncreasing(t, s.labelled)
	}
}
