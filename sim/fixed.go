package sim

//go:generate go run gen_tables.go

// One is 1.0 in the Q16 fixed point that Sin and Cos return.
const One = 1 << 16

// Angles are uint16: 65536 units make a full turn, counter-clockwise from +x,
// the same unit as Input.Aim. Overflow is a wrap-around, which is exactly
// what an angle does.
const (
	QuarterTurn = 1 << 14
	HalfTurn    = 1 << 15
)

// Sin returns the sine of angle a in Q16 (One is 1.0), exact at the table's
// 1025 points per quarter turn and linearly interpolated between them; the
// error against the true sine is under 2/65536.
func Sin(a uint16) int32 {
	u := int32(a & (QuarterTurn - 1))
	switch a >> 14 {
	case 0:
		return sinInQuarter(u)
	case 1:
		return sinInQuarter(QuarterTurn - u)
	case 2:
		return -sinInQuarter(u)
	default:
		return -sinInQuarter(QuarterTurn - u)
	}
}

// Cos returns the cosine of angle a in Q16.
func Cos(a uint16) int32 { return Sin(a + QuarterTurn) }

// sinInQuarter is the sine of u in 0..QuarterTurn (inclusive).
func sinInQuarter(u int32) int32 {
	const stepBits = 4 // QuarterTurn / 1024 table steps = 16 units a step
	i, f := u>>stepBits, u&(1<<stepBits-1)
	if f == 0 {
		return sinQuarter[i]
	}
	lo, hi := sinQuarter[i], sinQuarter[i+1]
	return lo + ((hi-lo)*f+1<<(stepBits-1))>>stepBits
}

// Atan2 returns the angle of the vector (x, y), as math.Atan2(y, x) would
// but in angle units (65536 a turn) and with integers only (CORDIC), so it is
// bit-identical on every platform. Its error is within 2 units. Atan2(0, 0)
// is 0.
func Atan2(y, x int64) uint16 {
	if x == 0 && y == 0 {
		return 0
	}
	// Scale so the larger component has about 2^30..2^31: enough bits for
	// 24 iterations, and CORDIC's gain of 1.65 stays far from overflow.
	for max(abs64(x), abs64(y)) >= 1<<31 {
		x, y = x>>1, y>>1
	}
	for max(abs64(x), abs64(y)) < 1<<30 {
		x, y = x<<1, y<<1
	}
	var z int64 // in 1/256 angle units, as atanSteps
	if x < 0 {
		x, y = -x, -y
		z = HalfTurn << 8
	}
	for i, step := range atanSteps {
		if y > 0 {
			x, y = x+y>>i, y-x>>i
			z += int64(step)
		} else {
			x, y = x-y>>i, y+x>>i
			z -= int64(step)
		}
	}
	return uint16((z + 128) >> 8)
}

// ISqrt returns the integer square root of x: the largest r with r*r <= x.
func ISqrt(x uint64) uint64 {
	var r uint64
	bit := uint64(1) << 62
	for bit > x {
		bit >>= 2
	}
	for bit != 0 {
		if x >= r+bit {
			x -= r + bit
			r = r>>1 + bit
		} else {
			r >>= 1
		}
		bit >>= 2
	}
	return r
}

// Integer is any integer type.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Clamp returns v limited to lo..hi (lo <= hi).
func Clamp[T Integer](v, lo, hi T) T { return min(max(v, lo), hi) }

// Lerp interpolates from a to b by frac/SubTicks (frac in 0..SubTicks), the
// fraction a TickTime carries past its tick. It rounds towards minus
// infinity, the same on every platform.
func Lerp(a, b, frac int32) int32 {
	return a + int32((int64(b)-int64(a))*int64(frac)>>8) // >>8: SubTicks is 256
}

// DivRound divides a by b (b > 0), rounding halves away from zero, so a
// value and its negation round to mirror images.
func DivRound(a, b int64) int64 {
	if a < 0 {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
