package timing_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tickwire/tickwire/netcode/timing"
)

func TestRTTEstimatorFirstSampleInitialises(t *testing.T) {
	t.Parallel()
	var e timing.RTTEstimator
	assert.Zero(t, e.SRTT())
	assert.Zero(t, e.Min())
	e.Add(100 * time.Millisecond)
	assert.Equal(t, 100*time.Millisecond, e.SRTT())
	assert.Equal(t, 50*time.Millisecond, e.RTTVar(), "RFC 6298: RTTVAR = R/2")
	assert.Equal(t, 100*time.Millisecond, e.Min())
}

func TestRTTEstimatorRFC6298Step(t *testing.T) {
	t.Parallel()
	var e timing.RTTEstimator
	e.Add(100 * time.Millisecond)
	e.Add(180 * time.Millisecond)
	// RTTVAR = 3/4*50 + 1/4*|100-180| = 57.5; SRTT = 7/8*100 + 1/8*180 = 110.
	assert.Equal(t, 57500*time.Microsecond, e.RTTVar())
	assert.Equal(t, 110*time.Millisecond, e.SRTT())
}

func TestRTTEstimatorConvergesUnderJitter(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var e timing.RTTEstimator
	e.Add(time.Second) // a slow first sample must not stick
	for range 200 {
		e.Add(150*time.Millisecond + time.Duration(rng.Int64N(int64(20*time.Millisecond))) - 10*time.Millisecond)
	}
	assert.InDelta(t, float64(150*time.Millisecond), float64(e.SRTT()), float64(5*time.Millisecond))
	assert.InDelta(t, float64(5*time.Millisecond), float64(e.RTTVar()), float64(3*time.Millisecond), "mean deviation of ±10ms uniform is 5ms")
	assert.InDelta(t, float64(140*time.Millisecond), float64(e.Min()), float64(2*time.Millisecond))
}

func TestRTTEstimatorIgnoresNegativeAndCapsHuge(t *testing.T) {
	t.Parallel()
	var e timing.RTTEstimator
	e.Add(-time.Millisecond)
	assert.Zero(t, e.Samples())
	e.Add(0) // a loopback round trip can measure as zero
	assert.Equal(t, 1, e.Samples())
	e.Add(time.Hour)
	assert.Less(t, e.SRTT(), 8*time.Second, "a one-hour sample counts as one minute")
}

func TestRTTEstimatorMinForgetsOldLows(t *testing.T) {
	t.Parallel()
	var e timing.RTTEstimator
	e.Add(10 * time.Millisecond)
	for range 64 {
		e.Add(100 * time.Millisecond)
	}
	assert.Equal(t, 100*time.Millisecond, e.Min(), "a low from over 64 samples ago is forgotten")
	e.Add(90 * time.Millisecond)
	assert.Equal(t, 90*time.Millisecond, e.Min())
}

func TestInputTimerLead(t *testing.T) {
	t.Parallel()
	var it timing.InputTimer
	assert.Zero(t, it.Lead())
	it.Add(time.Second, time.Second-30*time.Millisecond)
	assert.Equal(t, 30*time.Millisecond, it.Lead(), "first sample initialises, no deviation yet")

	rng := rand.New(rand.NewPCG(3, 4))
	late, n := 0, 2000
	for i := range n {
		due := time.Duration(i) * time.Second / 30
		lead := 20*time.Millisecond + time.Duration(rng.NormFloat64()*float64(5*time.Millisecond))
		it.Add(due, due-lead)
		if lead < it.Lead() {
			late++
		}
	}
	assert.InDelta(t, float64(20*time.Millisecond), float64(it.Mean()), float64(2*time.Millisecond))
	assert.Less(t, it.Lead(), it.Mean())
	assert.Greater(t, it.Lead(), time.Duration(0))
	assert.Less(t, float64(late)/float64(n), 0.03, "Lead sits below nearly every input's lead")

	var lateTimer timing.InputTimer
	for i := range 50 {
		due := time.Duration(i) * time.Second / 30
		lateTimer.Add(due, due+10*time.Millisecond)
	}
	assert.Equal(t, -10*time.Millisecond, lateTimer.Lead(), "late inputs give a negative lead")
}
