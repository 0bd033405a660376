package delta

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/sim"
)

func TestHeaderRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		tick    sim.Tick
		h       Header
		maxSize int
	}{
		{"first full snapshot", 1, Header{}, 1},
		{"steady state, no timing", 1000, Header{Baseline: 999, LastInput: 1000}, 1},
		{"typical loopback", 1000, Header{Baseline: 998, LastInput: 1000, Timing: true, RTT: 1200 * time.Microsecond,
			InputLead: 3 * time.Millisecond, SendDelay: 300 * time.Microsecond}, 4},
		{"input repeated", 1000, Header{Baseline: 999, LastInput: 998, InputRepeated: true, Timing: true, RTT: time.Millisecond}, 5},
		{"typical internet", 90000, Header{Baseline: 89996, LastInput: 90001, InputRepeated: true, Timing: true, RTT: 95 * time.Millisecond,
			InputLead: -12 * time.Millisecond, SendDelay: 2 * time.Millisecond}, 8},
		{"extremes", 1<<32 - 1, Header{Baseline: 1, LastInput: 1<<32 - 1, Timing: true, RTT: 400000 * time.Second,
			InputLead: -400000 * time.Second, SendDelay: 400000 * time.Second}, 40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := []byte{0xAB, 0xCD}
			b := AppendHeader([]byte{0x55}, tc.tick, &tc.h)
			require.Equal(t, byte(0x55), b[0], "appends")
			assert.LessOrEqual(t, len(b)-1, tc.maxSize)
			got, rest, err := ParseHeader(tc.tick, append(b[1:], payload...))
			require.NoError(t, err)
			assert.Equal(t, tc.h, got)
			assert.Equal(t, payload, rest)
		})
	}
}

func TestHeaderRoundsAndClamps(t *testing.T) {
	t.Parallel()
	h := Header{Baseline: 50, Timing: true, RTT: 149 * time.Microsecond, InputLead: -151 * time.Microsecond, SendDelay: -time.Second}
	got, _, err := ParseHeader(40, AppendHeader(nil, 40, &h))
	require.NoError(t, err)
	assert.Equal(t, Header{Baseline: 0, Timing: true, RTT: 100 * time.Microsecond, InputLead: -200 * time.Microsecond}, got,
		"a baseline not before the tick means full; durations round to 100us; negative delays clamp to 0")
}

func TestParseHeaderRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		tick sim.Tick
		body []byte
	}{
		{"empty", 10, nil},
		{"baseline at tick 0", 10, binary.AppendUvarint(nil, 10<<headerFlagBits)},
		{"baseline before tick 0", 10, binary.AppendUvarint(nil, 11<<headerFlagBits)},
		{"last input at 0", 10, []byte{headerLastExplicit, 20, 0, 0, 0}},
		{"unknown flags", 10, []byte{headerLastMask, 0, 0, 0}},
		{"truncated varint", 10, []byte{0x80}},
		{"missing timing", 10, []byte{headerTiming}},
		{"overlong varint", 10, []byte{headerTiming, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0}},
		{"rtt too large", 10, []byte{headerTiming, 0x80, 0x80, 0x80, 0x80, 0x20, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseHeader(tc.tick, tc.body)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}
