package sim

import "math/bits"

// Rand is a deterministic random number generator (SplitMix64): the same
// seed gives the same sequence on every platform, because it is nothing but
// 64-bit integer arithmetic. Its zero value is usable (seed 0). It is not
// safe for concurrent use, and not for secrets.
type Rand struct {
	state uint64
}

// NewRand returns a generator seeded with seed.
func NewRand(seed uint64) Rand { return Rand{state: seed} }

// Mix derives an independent seed for a sub-stream (one per NPC, say) from a
// seed and a stream number, so streams do not shift when another stream
// draws more or fewer numbers.
func Mix(seed, stream uint64) uint64 {
	r := Rand{state: seed ^ bits.RotateLeft64(stream, 32) ^ stream*0x9e3779b97f4a7c15}
	return r.Uint64()
}

// Uint64 returns the next 64 random bits.
func (r *Rand) Uint64() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Uint64n returns a uniform number in 0..n-1 (Lemire's multiply-and-reject,
// without modulo bias). It returns 0 when n is 0.
func (r *Rand) Uint64n(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// Between returns a uniform number in lo..hi inclusive; lo when hi < lo.
func (r *Rand) Between(lo, hi int32) int32 {
	if hi <= lo {
		return lo
	}
	return lo + int32(r.Uint64n(uint64(int64(hi)-int64(lo)+1)))
}

// Angle returns a uniform angle (65536 units a turn).
func (r *Rand) Angle() uint16 { return uint16(r.Uint64() >> 48) }
