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

const period30 = time.Second / 30

func TestClockEstimatorMadeUpTimestamps(t *testing.T) {
	t.Parallel()
	c := timing.NewClockEstimator(30)
	assert.False(t, c.Synced())
	assert.Zero(t, c.ServerTime(time.Second))

	// Tick 300 was due at server time 12s; the Welcome arrived at client
	// time 1s. With no round trip known, the estimate is the tick clock of
	// the freshest message: tick 300 at client 1s.
	c.AddWelcome(300, 12_000_000, time.Second)
	require.True(t, c.Synced())
	assert.Equal(t, sim.Tick(300).Time(), c.ServerTime(time.Second))
	assert.Equal(t, sim.Tick(303).Time(), c.ServerTime(time.Second+3*period30))
	assert.Equal(t, sim.Tick(300).Time()+128, c.ServerTime(time.Second+period30/2+1), "half a tick is 128/256")

	// A snapshot of tick 301 sent 2ms after it was due, arriving 20ms
	// later than the Welcome's path: slower, so it does not move the
	// least-delay estimate.
	c.AddSnapshot(301, 2*time.Millisecond, time.Second+period30+22*time.Millisecond)
	assert.Equal(t, sim.Tick(305).Time(), c.ServerTime(time.Second+5*period30))

	// A snapshot that arrives faster than anything before pulls it ahead
	// (jumped: still warming up).
	c.AddSnapshot(302, 0, time.Second+2*period30-5*time.Millisecond)
	assert.Equal(t, sim.Tick(302).Time(), c.ServerTime(time.Second+2*period30-5*time.Millisecond))

	// Knowing the round trip (40ms), the estimate names the server's
	// current time: 20ms ahead of the freshest message, i.e. the median
	// sample plus half the round trip.
	now := time.Second + 2*period30
	c.SetRTT(40*time.Millisecond, now)
	median := c.ReceiveTime(now)
	assert.Equal(t, median+sim.TickTime(20*time.Millisecond*sim.SubTicks/period30), c.ServerTime(now))
}

func TestClockEstimatorConvergesAndIsMonotonic(t *testing.T) {
	t.Parallel()
	for _, rate := range []int{20, 30, 60} {
		for _, rtt := range []time.Duration{20 * time.Millisecond, 150 * time.Millisecond, 250 * time.Millisecond} {
			for _, jitter := range []time.Duration{0, 10 * time.Millisecond, 25 * time.Millisecond} {
				t.Run(fmt.Sprintf("%dHz/rtt%s/jitter%s", rate, rtt, jitter), func(t *testing.T) {
					t.Parallel()
					s := &netSim{tickRate: rate, rtt: rtt, jitter: jitter, setRTT: true,
						duration: 20 * time.Second, warmup: 3 * time.Second, seed: uint64(rate) ^ uint64(rtt) ^ uint64(jitter)}
					s.run()
					period := time.Second / time.Duration(rate)
					t.Logf("clock error p50 %s p99 %s max back %d/256", s.clockErrQuantile(0.5), s.clockErrQuantile(0.99), s.maxBackward)
					assert.Less(t, s.clockErrQuantile(0.99), period/4+jitter/2, "within a fraction of a tick (and of the jitter)")
					assert.Zero(t, s.maxBackward, "slewing never runs the clock backwards")
				})
			}
		}
	}
}

func TestClockEstimatorFollowsDroppedTicks(t *testing.T) {
	t.Parallel()
	s := &netSim{tickRate: 30, rtt: 100 * time.Millisecond, jitter: 10 * time.Millisecond, setRTT: true,
		duration: 20 * time.Second, warmup: 3 * time.Second, seed: 11,
		epochShifts: []shift{{10 * time.Second, 5 * period30}}}
	s.run()
	assert.Equal(t, 1, s.clock.Resyncs(), "one schedule move detected")
	for i, at := range s.clockErrAt {
		if at < 10*time.Second || at > 11*time.Second {
			assert.Less(t, s.clockErrs[i], period30/4, "error at %s", at)
		}
	}
}

func TestClockEstimatorPingsCarryItWhenSnapshotsStop(t *testing.T) {
	t.Parallel()
	c := timing.NewClockEstimator(30)
	// Server time = client time + 5s; tick t due at server 2s + t*period.
	epoch, offset := 2*time.Second, 5*time.Second
	oneWay := 30 * time.Millisecond
	send := func(server time.Duration) time.Duration { return server - offset + oneWay }
	c.AddWelcome(10, (epoch + 10*period30).Microseconds(), send(epoch+10*period30))
	for tk := sim.Tick(11); tk < 60; tk++ {
		due := epoch + time.Duration(tk)*period30
		c.AddSnapshot(tk, time.Millisecond, send(due+time.Millisecond))
		if tk%30 == 0 {
			c.AddPing(due.Microseconds(), send(due))
		}
	}
	// Snapshots stop; pings go on for five seconds.
	last := epoch + 60*period30
	for i := 1; i <= 5; i++ {
		server := last + time.Duration(i)*time.Second
		c.AddPing(server.Microseconds(), send(server))
	}
	// Without a round trip the estimate is the tick clock of the freshest
	// message: the tick clock when the last ping was sent.
	now := send(last + 5*time.Second)
	sent := sim.TickTime((last + 5*time.Second - epoch) * sim.SubTicks / period30)
	assert.InDelta(t, float64(sent), float64(c.ServerTime(now)), float64(sim.SubTicks/8))
	// Told the round trip, it slews (at 5%) to the server's current time.
	c.SetRTT(2*oneWay, now)
	later := sent + sim.TickTime((time.Second+oneWay)*sim.SubTicks/period30)
	assert.InDelta(t, float64(later), float64(c.ServerTime(now+time.Second)), float64(sim.SubTicks/8))
}
