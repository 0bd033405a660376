package delta

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/tickwire/tickwire/sim"
)

// Header is the per-player part of a snapshot, in front of the entity
// delta (which players sharing a baseline share).
type Header struct {
	// Baseline is the tick the entity delta is relative to; 0 means a full
	// frame.
	Baseline sim.Tick
	// LastInput is the tick of the newest input of this player the server
	// has applied; 0 means none yet.
	LastInput sim.Tick
	// InputRepeated is set when no fresh input arrived for this tick and the
	// server repeated the last one.
	InputRepeated bool
	// Timing says RTT, InputLead and SendDelay are present. They change
	// slowly and cost 3-4 bytes, a tenth of a steady-state snapshot, so the
	// server sends them only every few snapshots; without Timing they are
	// zero on the wire and a client keeps the last ones it got.
	Timing bool
	// RTT is the server's smoothed round-trip time to this player.
	RTT time.Duration
	// InputLead is how long before their tick was due this player's inputs
	// arrive (smoothed); negative means late.
	InputLead time.Duration
	// SendDelay is how long after the tick was due the snapshot was built.
	SendDelay time.Duration
}

// HeaderUnit is the precision of the header's durations on the wire.
const HeaderUnit = 100 * time.Microsecond

// maxHeaderUnits bounds a duration on the wire (about 4.9 days) so that
// decoding can never overflow a time.Duration.
const maxHeaderUnits = 1 << 32

// The low bits of the header's first varint.
const (
	headerRepeated     = 1 << 0 // InputRepeated
	headerLastIsTick   = 1 << 1 // LastInput == tick (the usual case): nothing follows
	headerLastExplicit = 2 << 1 // zigzag(tick-LastInput) follows
	headerLastMask     = 3 << 1 // neither bit: LastInput is 0
	headerTiming       = 1 << 3 // RTT, InputLead and SendDelay follow
	headerFlagBits     = 4
)

// AppendHeader appends h for the snapshot of tick to dst. It is byte-aligned
// varints, one byte in the usual case: (tick-Baseline)<<4|flags, zigzag
// (tick-LastInput) unless LastInput is 0 or tick (a flag says which), then
// with Timing: RTT, zigzag InputLead and SendDelay in HeaderUnit (3-5 more
// bytes). A Baseline not below tick is written as 0 (full), and durations
// are clamped to what the wire holds.
func AppendHeader(dst []byte, tick sim.Tick, h *Header) []byte {
	var first uint64
	if h.Baseline != 0 && h.Baseline < tick {
		first = uint64(tick-h.Baseline) << headerFlagBits
	}
	if h.InputRepeated {
		first |= headerRepeated
	}
	if h.Timing {
		first |= headerTiming
	}
	switch h.LastInput {
	case 0:
	case tick:
		first |= headerLastIsTick
	default:
		first |= headerLastExplicit
	}
	dst = binary.AppendUvarint(dst, first)
	if first&headerLastMask == headerLastExplicit {
		dst = binary.AppendVarint(dst, int64(tick)-int64(h.LastInput))
	}
	if h.Timing {
		dst = binary.AppendUvarint(dst, uint64(units(max(h.RTT, 0))))
		dst = binary.AppendVarint(dst, units(h.InputLead))
		dst = binary.AppendUvarint(dst, uint64(units(max(h.SendDelay, 0))))
	}
	return dst
}

// units rounds d to HeaderUnit, clamped to the wire range.
func units(d time.Duration) int64 {
	u := d / HeaderUnit
	if r := d % HeaderUnit; r >= HeaderUnit/2 {
		u++
	} else if r <= -HeaderUnit/2 {
		u--
	}
	return min(max(int64(u), -maxHeaderUnits), maxHeaderUnits)
}

// ParseHeader reads the header of the snapshot of tick from body and returns
// it with the rest of body (the entity delta). body is untrusted; errors
// wrap ErrMalformed.
func ParseHeader(tick sim.Tick, body []byte) (Header, []byte, error) {
	var h Header
	rest := body
	first, ok := uvarint(&rest)
	if !ok {
		return Header{}, nil, malformed("header: bad baseline")
	}
	if d := first >> headerFlagBits; d != 0 {
		if d >= uint64(tick) {
			return Header{}, nil, malformed("header: baseline %d ticks before tick %d", d, tick)
		}
		h.Baseline = tick - sim.Tick(d)
	}
	h.InputRepeated = first&headerRepeated != 0
	switch first & headerLastMask {
	case headerLastIsTick:
		h.LastInput = tick
	case headerLastExplicit:
		d, ok := varint(&rest)
		last := int64(tick) - d
		if !ok || last <= 0 || last > math.MaxUint32 {
			return Header{}, nil, malformed("header: bad last input")
		}
		h.LastInput = sim.Tick(last)
	case headerLastMask:
		return Header{}, nil, malformed("header: unknown flags")
	}
	h.Timing = first&headerTiming != 0
	if !h.Timing {
		return h, rest, nil
	}
	rtt, ok1 := uvarint(&rest)
	lead, ok2 := varint(&rest)
	delay, ok3 := uvarint(&rest)
	if !ok1 || !ok2 || !ok3 || rtt > maxHeaderUnits || delay > maxHeaderUnits ||
		lead > maxHeaderUnits || lead < -maxHeaderUnits {
		return Header{}, nil, malformed("header: bad timing")
	}
	h.RTT = time.Duration(rtt) * HeaderUnit
	h.InputLead = time.Duration(lead) * HeaderUnit
	h.SendDelay = time.Duration(delay) * HeaderUnit
	return h, rest, nil
}

func uvarint(b *[]byte) (uint64, bool) {
	v, n := binary.Uvarint(*b)
	if n <= 0 {
		return 0, false
	}
	*b = (*b)[n:]
	return v, true
}

func varint(b *[]byte) (int64, bool) {
	v, n := binary.Varint(*b)
	if n <= 0 {
		return 0, false
	}
	*b = (*b)[n:]
	return v, true
}
