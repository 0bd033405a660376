package timing

import "time"

// leadDeviations is how many mean deviations InputTimer.Lead sits below the
// mean lead. Three mean deviations is about 2.4 standard deviations of a
// normal distribution (under 1% of inputs later than Lead), and for a
// uniform spread it reaches a quarter of the spread below the earliest
// input.
const leadDeviations = 3

// InputTimer measures how early a player's inputs arrive before the tick
// they are for is due. The zero value is ready; the first sample
// initialises it. It is not safe for concurrent use.
//
// Lead reports a conservative figure, not the mean: the mean minus three
// mean deviations. A lead controller that steers the mean to a safety
// margin gets about half its inputs late on a jittery path; one that steers
// this low edge to the margin protects nearly every input, and the figure
// still moves smoothly (unlike a windowed minimum, which one outlier holds
// down for a whole window).
type InputTimer struct {
	mean, dev time.Duration
	samples   int
}

// Add records one input for a tick due at server time due that arrived at
// server time arrived.
func (t *InputTimer) Add(due, arrived time.Duration) {
	lead := due - arrived
	if t.samples == 0 {
		t.mean, t.dev = lead, 0
	} else {
		diff := lead - t.mean
		if diff < 0 {
			diff = -diff
		}
		t.dev += (diff - t.dev) / 4
		t.mean += (lead - t.mean) / 8
	}
	t.samples++
}

// Lead is how long before their tick was due inputs arrive, on the early
// side of nearly all of them: the smoothed mean less three smoothed mean
// deviations. Negative means some inputs arrive late. 0 before the first
// sample.
func (t *InputTimer) Lead() time.Duration {
	return t.mean - leadDeviations*t.dev
}

// Mean is the smoothed mean lead (gain 1/8).
func (t *InputTimer) Mean() time.Duration { return t.mean }

// Deviation is the smoothed mean deviation of the lead (gain 1/4).
func (t *InputTimer) Deviation() time.Duration { return t.dev }

// Samples is how many inputs have been recorded.
func (t *InputTimer) Samples() int { return t.samples }
