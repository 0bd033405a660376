package delta

import (
	"encoding/binary"
	"math/bits"
)

// bitWriter appends a little-endian bit stream (first bit = lowest bit of the
// first byte) to a byte slice.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits, lowest first
	n   uint   // number of pending bits; < 32 between calls
}

// write appends the low k bits of v; k <= 32 and v < 1<<k.
func (w *bitWriter) write(v uint64, k uint) {
	w.acc |= v << w.n
	w.n += k
	if w.n >= 32 {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(w.acc))
		w.acc >>= 32
		w.n -= 32
	}
}

// writeEG appends v in order-0 Exp-Golomb code: the bit length L of v+1 as
// L-1 zeros and a one, then the low L-1 bits of v+1. 0 costs one bit, 1..2
// three, 3..6 five. v < 1<<32.
func (w *bitWriter) writeEG(v uint64) {
	v++
	l := uint(bits.Len64(v))
	w.write(0, l-1)
	w.write(1, 1)
	w.write(v&(1<<(l-1)-1), l-1)
}

// finish flushes the pending bits, zero-padded to a byte, and returns the
// stream.
func (w *bitWriter) finish() []byte {
	for w.n > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.n = w.n - min(w.n, 8)
	}
	return w.buf
}

// egCost is the number of bits writeEG spends on v.
func egCost(v uint64) uint {
	return 2*uint(bits.Len64(v+1)) - 1
}

// bitReader reads what bitWriter wrote. Reading past the end sets failed
// and yields zeros, so callers check once at the points that matter.
type bitReader struct {
	data   []byte
	pos    int    // next byte of data to load
	acc    uint64 // loaded bits, lowest first
	n      uint   // number of loaded bits
	failed bool
}

func (r *bitReader) refill() {
	for r.n <= 56 && r.pos < len(r.data) {
		r.acc |= uint64(r.data[r.pos]) << r.n
		r.pos++
		r.n += 8
	}
}

// read returns the next k bits; k <= 32.
func (r *bitReader) read(k uint) uint64 {
	if r.n < k {
		r.refill()
		if r.n < k {
			r.failed = true
			r.n, r.acc = 0, 0
			return 0
		}
	}
	v := r.acc & (1<<k - 1)
	r.acc >>= k
	r.n -= k
	return v
}

// readEG reads an order-0 Exp-Golomb value of at most 33 significant bits.
func (r *bitReader) readEG() uint64 {
	if r.n < 33 {
		r.refill()
	}
	z := uint(bits.TrailingZeros64(r.acc))
	if z > 32 || z >= r.n {
		r.failed = true
		r.n, r.acc = 0, 0
		return 0
	}
	r.acc >>= z + 1
	r.n -= z + 1
	return (1<<z | r.read(z)) - 1
}

// remaining is the number of unread bits.
func (r *bitReader) remaining() int {
	return int(r.n) + 8*(len(r.data)-r.pos)
}

// atCleanEnd reports whether only zero padding of less than a byte is left.
func (r *bitReader) atCleanEnd() bool {
	return !r.failed && r.remaining() < 8 && r.acc == 0
}
