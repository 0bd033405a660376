package histogram

import (
	"math"
	"math/bits"
	"sync/atomic"
)

const (
	// subBits sets the precision: 1<<subBits buckets per power of two.
	subBits = 5
	subN    = 1 << subBits
	// maxBits bounds recorded values to below 1<<maxBits; larger ones are
	// clamped (in microseconds that is 12 days).
	maxBits = 40
	// nBuckets covers [0, subN) exactly and every octave above it.
	nBuckets = (maxBits - subBits + 1) * subN
	// MaxValue is the largest value a Histogram keeps exactly in its
	// bucket; larger values are recorded as MaxValue.
	MaxValue = int64(1)<<maxBits - 1
)

// Histogram counts non-negative integer values (loadbots records
// microseconds) in log-linear buckets. The zero value is not usable; call
// New. Record is safe for concurrent use with itself and with Snapshot.
type Histogram struct {
	counts [nBuckets]atomic.Uint64
}

// New returns an empty histogram.
func New() *Histogram { return &Histogram{} }

// bucketOf returns the bucket index of v (clamped to [0, MaxValue]).
func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v > MaxValue {
		v = MaxValue
	}
	if v < subN {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1 // v in [1<<e, 1<<(e+1)), e >= subBits
	shift := e - subBits
	sub := int(v>>shift) - subN // 0..subN-1
	return (e-subBits+1)*subN + sub
}

// bounds returns the smallest and largest value that land in bucket i.
func bounds(i int) (lo, hi int64) {
	if i < subN {
		return int64(i), int64(i)
	}
	octave := i/subN - 1 // e - subBits
	sub := int64(i % subN)
	lo = (subN + sub) << octave
	return lo, lo + int64(1)<<octave - 1
}

// Record counts one value. Negative values count as 0 and values above
// MaxValue as MaxValue.
func (h *Histogram) Record(v int64) {
	h.counts[bucketOf(v)].Add(1)
}

// Snapshot is a copy of a histogram's counts at one moment. Two snapshots
// subtract to the values recorded between them.
type Snapshot struct {
	counts []uint64
	total  uint64
}

// Snapshot copies the current counts. Values recorded concurrently may or
// may not be included.
func (h *Histogram) Snapshot() Snapshot {
	s := Snapshot{counts: make([]uint64, nBuckets)}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.counts[i] = c
		s.total += c
	}
	return s
}

// Sub returns the values recorded after older was taken and before s was.
// Both must come from the same histogram, older first.
func (s Snapshot) Sub(older Snapshot) Snapshot {
	if older.counts == nil {
		return s
	}
	d := Snapshot{counts: make([]uint64, nBuckets)}
	for i := range s.counts {
		var c uint64
		if s.counts[i] > older.counts[i] {
			c = s.counts[i] - older.counts[i]
		}
		d.counts[i] = c
		d.total += c
	}
	return d
}

// Count is how many values the snapshot holds.
func (s Snapshot) Count() uint64 { return s.total }

// Quantile returns the value at quantile q (0..1): the midpoint of the
// bucket holding the ceil(q*Count())-th smallest value, so within about 1.5 %
// of the true value (exact below 32). It returns NaN for an empty snapshot.
func (s Snapshot) Quantile(q float64) float64 {
	if s.total == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(s.total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			lo, hi := bounds(i)
			return float64(lo) + float64(hi-lo)/2
		}
	}
	lo, hi := bounds(nBuckets - 1)
	return float64(lo) + float64(hi-lo)/2
}

// Max returns the upper bound of the highest non-empty bucket, or NaN when
// the snapshot is empty.
func (s Snapshot) Max() float64 {
	for i := len(s.counts) - 1; i >= 0; i-- {
		if s.counts[i] != 0 {
			_, hi := bounds(i)
			return float64(hi)
		}
	}
	return math.NaN()
}
