package sim

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSinCosAgainstMath(t *testing.T) {
	t.Parallel()
	for a := 0; a < 1<<16; a++ {
		rad := float64(a) / 65536 * 2 * math.Pi
		// Plain ifs: 131072 checks.
		if d := math.Abs(math.Sin(rad)*One - float64(Sin(uint16(a)))); d > 2 {
			t.Fatalf("sin %d off by %v", a, d)
		}
		if d := math.Abs(math.Cos(rad)*One - float64(Cos(uint16(a)))); d > 2 {
			t.Fatalf("cos %d off by %v", a, d)
		}
	}
}

func TestSinExactPoints(t *testing.T) {
	t.Parallel()
	assert.Equal(t, int32(0), Sin(0))
	assert.Equal(t, int32(One), Sin(QuarterTurn))
	assert.Equal(t, int32(0), Sin(HalfTurn))
	assert.Equal(t, int32(-One), Sin(3*QuarterTurn))
	assert.Equal(t, int32(One), Cos(0))
	assert.Equal(t, int32(-One), Cos(HalfTurn))
	// Symmetry: sin(-a) == -sin(a) exactly, so mirrored aims mirror shots.
	for a := 1; a < 1<<16; a += 7 {
		require.Equal(t, -Sin(uint16(a)), Sin(uint16(-a)), "angle %d", a)
	}
}

// TestTrigGolden pins values computed on amd64; the js/wasm run of this test
// proves that platform computes the same.
func TestTrigGolden(t *testing.T) {
	t.Parallel()
	var sum int64
	for a := 0; a < 1<<16; a += 3 {
		sum = sum*31 + int64(Sin(uint16(a))) + 7*int64(Atan2(int64(a)-30000, int64(a)*3-90000))
	}
	assert.Equal(t, int64(goldenTrig), sum)
}

const goldenTrig = 5041678034776999740

func TestAtan2(t *testing.T) {
	t.Parallel()
	assert.Equal(t, uint16(0), Atan2(0, 0))
	assert.Equal(t, uint16(0), Atan2(0, 5))
	assert.Equal(t, uint16(QuarterTurn), Atan2(5, 0))
	assert.Equal(t, uint16(HalfTurn), Atan2(0, -5))
	assert.Equal(t, uint16(3*QuarterTurn), Atan2(-5, 0))
	for _, v := range [][2]int64{{1, 1}, {-3, 7}, {100000, -1}, {-1 << 40, -1 << 39}, {3, -1000000}, {1 << 50, 1}} {
		want := math.Atan2(float64(v[0]), float64(v[1])) / (2 * math.Pi) * 65536
		if want < 0 {
			want += 65536
		}
		got := float64(Atan2(v[0], v[1]))
		diff := math.Mod(math.Abs(got-want), 65536)
		assert.LessOrEqual(t, min(diff, 65536-diff), 2.0, "atan2(%d, %d) = %v, want %v", v[0], v[1], got, want)
	}
	// Round trip: the angle of (cos a, sin a) is a.
	for a := 0; a < 1<<16; a += 13 {
		got := Atan2(int64(Sin(uint16(a))), int64(Cos(uint16(a))))
		d := int16(got - uint16(a))
		require.LessOrEqual(t, max(d, -d), int16(2), "angle %d came back as %d", a, got)
	}
}

func TestISqrt(t *testing.T) {
	t.Parallel()
	for x := uint64(0); x < 100000; x++ {
		if r := ISqrt(x); r*r > x || (r+1)*(r+1) <= x {
			t.Fatalf("isqrt(%d) = %d", x, r)
		}
	}
	for _, x := range []uint64{1 << 32, 1<<62 + 12345, math.MaxUint64, math.MaxUint64 - 1, 4294967295 * 4294967295} {
		r := ISqrt(x)
		assert.LessOrEqual(t, r, uint64(math.MaxUint32), "isqrt(%d)", x)
		assert.True(t, r*r <= x && (r == math.MaxUint32 || (r+1)*(r+1) > x), "isqrt(%d) = %d", x, r)
	}
}

func TestClampLerpDivRound(t *testing.T) {
	t.Parallel()
	assert.Equal(t, int32(5), Clamp(int32(9), 0, 5))
	assert.Equal(t, int8(-1), Clamp(int8(-128), -1, 1))
	assert.Equal(t, 3, Clamp(3, 0, 5))

	assert.Equal(t, int32(100), Lerp(100, 200, 0))
	assert.Equal(t, int32(150), Lerp(100, 200, SubTicks/2))
	assert.Equal(t, int32(200), Lerp(100, 200, SubTicks))
	assert.Equal(t, int32(-150), Lerp(-100, -200, SubTicks/2))
	assert.Equal(t, int32(-1), Lerp(0, -1, 1), "rounds toward minus infinity")

	assert.Equal(t, int64(3), DivRound(5, 2), "halves round away from zero")
	assert.Equal(t, int64(3), DivRound(6, 2))
	assert.Equal(t, int64(-3), DivRound(-5, 2))
	assert.Equal(t, int64(-2), DivRound(-4, 2))
	assert.Equal(t, int64(2), DivRound(3, 2))
	assert.Equal(t, int64(1), DivRound(4, 3))
}
