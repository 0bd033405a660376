package main

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server/servertest"
)

// TestChurnRefillsSeats: with churn, bots leave and new ones take their
// seats; none of that counts as a lost bot, the seats stay filled, the soak
// section samples the server, and nothing outlives the run.
func TestChurnRefillsSeats(t *testing.T) {
	srv := servertest.Start(t, nil)
	rep, err := run(t.Context(), config{
		URL: srv.URL, Bots: 10, Rooms: 2, Churn: 20, Soak: true,
		Warmup: 500 * time.Millisecond, Duration: 2 * time.Second, Seed: 12,
	})
	require.NoError(t, err)
	require.NotNil(t, rep.Soak)
	assert.Greater(t, rep.Soak.Rejoined, int64(10), "about 20 a second for 2.5 s")
	assert.Zero(t, rep.Soak.RejoinFailures, "errors: %v", rep.Errors)
	assert.Zero(t, rep.Disconnects, "a churned bot is not a lost one")
	assert.InDelta(t, 10, rep.Connected, 2, "seats refilled (a rejoin or two in flight)")
	assert.GreaterOrEqual(t, rep.Soak.Samples, 2)
	assert.Positive(t, rep.Soak.Goroutines.Start)
	assert.Positive(t, rep.Soak.HeapInuseMB.Start)
	assert.Positive(t, rep.Soak.RSSMB.Start)

	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, fn := range []string{"main.(*swarm).churn", "main.(*swarm).rejoin", "main.(*shard).run", "netcode.(*Client)"} {
		assert.NotContains(t, stacks, fn, "a goroutine outlived run")
	}
}

func TestSoakFigures(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	series := func(g func(i int) float64, heap func(i int) float64, connected func(i int) int64) []soakSample {
		var s []soakSample
		for i := range 24 {
			s = append(s, soakSample{at: time.Duration(i) * 5 * time.Second,
				goroutines: g(i), heap: heap(i) * mb, gcTarget: 2 * heap(i&^3) * mb, rss: 40 * mb, connected: connected(i)})
		}
		return s
	}
	steady := func(int) float64 { return 2000 }
	sawtooth := func(i int) float64 { return 12 + float64(i%4)*3 } // GC cycles, no trend
	full := func(int) int64 { return 1000 }

	r := soakFigures(series(steady, sawtooth, full), 5*time.Second)
	assert.True(t, r.Flat, r.Verdict)
	assert.Equal(t, 12.0, r.HeapInuseMB.Start, "the heap's floor, not a GC peak")
	assert.Equal(t, 21.0, r.HeapInuseMB.Max)

	leak := func(i int) float64 { return 2000 + float64(i)*20 }
	r = soakFigures(series(leak, sawtooth, full), 5*time.Second)
	assert.False(t, r.Flat)
	assert.False(t, r.Goroutines.Flat)
	assert.Contains(t, r.Verdict, "goroutines")

	// Fewer bots connected at the end: fewer goroutines is expected.
	fewer := func(i int) int64 { return 1000 - int64(i)*10 }
	shrinking := func(i int) float64 { return 2000 - float64(i)*20 }
	r = soakFigures(series(shrinking, sawtooth, fewer), 5*time.Second)
	assert.True(t, r.Goroutines.Flat, "goroutines follow the bots: %+v", r.Goroutines)

	growing := func(i int) float64 { return 12 + float64(i) }
	r = soakFigures(series(steady, growing, full), 5*time.Second)
	assert.False(t, r.GCTargetMB.Flat, "the live heap grows")
	assert.False(t, r.Flat)
	assert.Contains(t, r.Verdict, "heap")

	r = soakFigures(nil, time.Second)
	assert.False(t, r.Flat)
	assert.Contains(t, r.Verdict, "too few samples")
}

func TestSoakEvery(t *testing.T) {
	t.Parallel()
	assert.Equal(t, time.Second, soakEvery(3*time.Second))
	assert.Equal(t, 5*time.Second, soakEvery(2*time.Minute))
	assert.Equal(t, 10*time.Second, soakEvery(10*time.Minute))
}
