package interp

import (
	"time"

	"github.com/tickwire/tickwire/sim"
)

// DelayTracker measures how irregularly snapshots arrive and says how far
// behind the newest server time a renderer should draw, so the Buffer has a
// snapshot on each side of the drawn time nearly always.
//
// Each arrival gives a sample of arrival - tick*period: constant on a
// perfect path, spread by jitter. The tracker smooths its mean (gain 1/8)
// and mean deviation (gain 1/4), like RTTVAR. The delay is one snapshot
// interval (the gap the Buffer interpolates across) plus three deviations,
// never under two intervals: the rule the server assumes when it checks a
// client's claimed view time (max(2 periods, period + 2 RTTVAR)), with a
// little more margin because being late here means drawing extrapolation.
//
// The zero value is not usable; NewDelayTracker it. Not safe for
// concurrent use.
type DelayTracker struct {
	period    time.Duration
	mean, dev time.Duration
	samples   int
}

// NewDelayTracker returns a tracker for a server ticking tickRate times a
// second (values below 1 count as 1).
func NewDelayTracker(tickRate int) DelayTracker {
	return DelayTracker{period: time.Second / time.Duration(max(tickRate, 1))}
}

// Add records that the snapshot of tick arrived at client time arrived.
func (d *DelayTracker) Add(tick sim.Tick, arrived time.Duration) {
	s := arrived - time.Duration(tick)*d.period
	if d.samples == 0 {
		d.mean = s
	} else {
		diff := s - d.mean
		if diff < 0 {
			diff = -diff
		}
		// A stall of seconds is not jitter; cap what one sample adds.
		d.dev += (min(diff, time.Second) - d.dev) / 4
		d.mean += (s - d.mean) / 8
	}
	d.samples++
}

// Jitter is the smoothed mean deviation of snapshot arrivals.
func (d *DelayTracker) Jitter() time.Duration { return d.dev }

// Delay is how far behind the newest snapshot's time to draw.
func (d *DelayTracker) Delay() time.Duration {
	return max(2*d.period, d.period+3*d.dev)
}

// DelayTicks is Delay as a TickTime span.
func (d *DelayTracker) DelayTicks() sim.TickTime {
	return sim.TickTime(d.Delay() * sim.SubTicks / d.period)
}
