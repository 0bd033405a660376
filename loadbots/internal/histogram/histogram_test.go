package histogram

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucketsCoverEveryValueOnce(t *testing.T) {
	t.Parallel()
	// Walk the buckets: each starts one past where the previous ended, and
	// every value inside one maps back to it.
	next := int64(0)
	for i := 0; i < nBuckets; i++ {
		lo, hi := bounds(i)
		require.Equal(t, next, lo, "bucket %d", i)
		require.GreaterOrEqual(t, hi, lo)
		for _, v := range []int64{lo, (lo + hi) / 2, hi} {
			require.Equal(t, i, bucketOf(v), "value %d", v)
		}
		next = hi + 1
	}
	assert.Equal(t, MaxValue+1, next)
}

func TestRelativeErrorIsSmall(t *testing.T) {
	t.Parallel()
	for _, v := range []int64{31, 32, 33, 100, 999, 33_333, 1_000_000, 123_456_789} {
		h := New()
		h.Record(v)
		got := h.Snapshot().Quantile(0.5)
		assert.InEpsilon(t, float64(v), got, 0.016, "value %d", v)
	}
}

func TestClamps(t *testing.T) {
	t.Parallel()
	h := New()
	h.Record(-5)
	h.Record(math.MaxInt64)
	s := h.Snapshot()
	assert.Equal(t, 0.0, s.Quantile(0))
	assert.InEpsilon(t, float64(MaxValue), s.Quantile(1), 0.016)
}

func TestQuantilesMatchSortedSamples(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	h := New()
	var vals []int64
	for range 100_000 {
		// Log-uniform between 10 µs and 1 s, the spread of RTTs and gaps.
		v := int64(math.Exp(math.Log(10) + rng.Float64()*(math.Log(1e6)-math.Log(10))))
		vals = append(vals, v)
		h.Record(v)
	}
	slices.Sort(vals)
	s := h.Snapshot()
	require.Equal(t, uint64(len(vals)), s.Count())
	for _, q := range []float64{0.01, 0.5, 0.95, 0.99, 0.999} {
		want := float64(vals[int(math.Ceil(q*float64(len(vals))))-1])
		assert.InEpsilon(t, want, s.Quantile(q), 0.02, "q=%v", q)
	}
}

func TestEmptyIsNaN(t *testing.T) {
	t.Parallel()
	s := New().Snapshot()
	assert.True(t, math.IsNaN(s.Quantile(0.5)))
	assert.True(t, math.IsNaN(s.Max()))
	assert.Zero(t, s.Count())
}

func TestSubIsTheWindow(t *testing.T) {
	t.Parallel()
	h := New()
	for range 1000 {
		h.Record(10)
	}
	before := h.Snapshot()
	for range 100 {
		h.Record(5000)
	}
	w := h.Snapshot().Sub(before)
	assert.Equal(t, uint64(100), w.Count())
	assert.InEpsilon(t, 5000, w.Quantile(0.5), 0.016)
	assert.InEpsilon(t, 5000, w.Max(), 0.04)
	// Subtracting an empty (zero) snapshot is the identity.
	assert.Equal(t, uint64(1100), h.Snapshot().Sub(Snapshot{}).Count())
}

func TestConcurrentRecord(t *testing.T) {
	t.Parallel()
	h := New()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Record(int64(g*1000 + i))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, uint64(8000), h.Snapshot().Count())
}

func BenchmarkRecord(b *testing.B) {
	h := New()
	b.ReportAllocs()
	v := int64(1)
	for b.Loop() {
		h.Record(v)
		v = v*7 + 13&0xfffff
	}
}
