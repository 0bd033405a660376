package timing

import "time"

// maxRTTSample caps a single round-trip sample. Anything longer is a stall,
// not a round trip, and would drag the smoothed value for many samples.
const maxRTTSample = time.Minute

// minWindowSamples is how many samples one bucket of the windowed minimum
// spans; the minimum covers the last one to two buckets.
const minWindowSamples = 32

// RTTEstimator smooths round-trip samples the way TCP does (RFC 6298, with
// its gains of 1/8 for the mean and 1/4 for the variation), and keeps the
// minimum over roughly the last 32 to 64 samples. The zero value is ready;
// the first sample initialises it. It is not safe for concurrent use.
type RTTEstimator struct {
	srtt, rttvar time.Duration
	samples      int
	// The windowed minimum is the smaller of two buckets: the current one
	// and the one before it, so it forgets a low outlier after at most two
	// buckets without keeping every sample.
	minCur, minPrev time.Duration
	inBucket        int
}

// Add feeds one round-trip sample. Negative samples (clock bugs) are
// ignored; samples over a minute are capped.
func (e *RTTEstimator) Add(sample time.Duration) {
	if sample < 0 {
		return
	}
	sample = min(sample, maxRTTSample)
	if e.samples == 0 {
		e.srtt = sample
		e.rttvar = sample / 2
	} else {
		diff := e.srtt - sample
		if diff < 0 {
			diff = -diff
		}
		// RFC 6298 order: the variation uses the mean before it moves.
		e.rttvar += (diff - e.rttvar) / 4
		e.srtt += (sample - e.srtt) / 8
	}
	e.samples++
	if e.inBucket == 0 || sample < e.minCur {
		e.minCur = sample
	}
	e.inBucket++
	if e.inBucket == minWindowSamples {
		e.minPrev, e.inBucket = e.minCur, 0
	}
}

// SRTT is the smoothed round trip; 0 before the first sample.
func (e *RTTEstimator) SRTT() time.Duration { return e.srtt }

// RTTVar is the smoothed mean deviation of the round trip; 0 before the
// first sample.
func (e *RTTEstimator) RTTVar() time.Duration { return e.rttvar }

// Min is the smallest round trip of roughly the last 32 to 64 samples: the
// path's delay without queueing. 0 before the first sample.
func (e *RTTEstimator) Min() time.Duration {
	prevValid := e.samples >= minWindowSamples
	switch {
	case e.inBucket > 0 && prevValid:
		return min(e.minCur, e.minPrev)
	case e.inBucket > 0:
		return e.minCur
	default:
		return e.minPrev // 0 before the first sample
	}
}

// Samples is how many samples have been added.
func (e *RTTEstimator) Samples() int { return e.samples }
