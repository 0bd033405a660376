package protocol

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/schema"
	"github.com/tickwire/tickwire/sim"
)

// seedMessages is one valid message of every type.
func seedMessages() [][]byte {
	j, w := sampleJoin(), sampleWelcome()
	return [][]byte{
		AppendJoin(nil, &j),
		AppendWelcome(nil, &w),
		AppendInputFrame(nil, &InputFrame{AckTick: 3, AckDelayMicros: 4, ViewTime: 5, Inputs: []TickInput{{Tick: 6, Input: sim.Input{MoveX: 1, Aim: 7, Buttons: 1}}}}),
		AppendSnapshot(nil, 9, []byte{1, 2}, []byte{3, 4, 5}),
		AppendPing(nil, &Ping{ID: 1, ServerTimeMicros: 2}),
		AppendPong(nil, &Pong{ID: 1, ServerTimeMicros: 2, HoldMicros: 3}),
		AppendKick(nil, &Kick{Code: 4000, Reason: "why"}),
		AppendLeave(nil, &Leave{Reason: "bye"}),
		AppendRoster(nil, &Roster{Players: []RosterEntry{{PlayerID: 1, EntityID: 2, Name: "ann", Connected: true}, {PlayerID: 3, EntityID: 4, Name: "bob"}}}),
	}
}

// FuzzParse feeds any bytes to every Parse function: none panics, every
// error is one of the documented kinds, and whatever parses re-encodes to a
// message that parses to the same value.
func FuzzParse(f *testing.F) {
	for _, msg := range seedMessages() {
		f.Add(msg)
		mutant := append([]byte(nil), msg...)
		mutant[len(mutant)*2/3] ^= 0x5A
		f.Add(mutant)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, msg []byte) {
		check := func(err error) bool {
			if err != nil && !errors.Is(err, schema.ErrMalformed) && !errors.Is(err, ErrWrongType) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("undocumented error: %v", err)
			}
			return err == nil
		}
		if m, err := ParseJoin(msg); check(err) {
			again, err := ParseJoin(AppendJoin(nil, &m))
			require.NoError(t, err)
			require.Equal(t, m, again)
		}
		if m, err := ParseWelcome(msg); check(err) {
			again, err := ParseWelcome(AppendWelcome(nil, &m))
			require.NoError(t, err)
			require.Equal(t, m, again)
		}
		var frame InputFrame
		if check(ParseInputFrame(msg, &frame)) {
			var again InputFrame
			require.NoError(t, ParseInputFrame(AppendInputFrame(nil, &frame), &again))
			require.Equal(t, len(frame.Inputs), len(again.Inputs))
			if len(frame.Inputs) == 0 {
				again.Inputs = frame.Inputs
			}
			require.Equal(t, frame, again)
		}
		if tick, body, err := ParseSnapshot(msg); check(err) {
			t2, b2, err := ParseSnapshot(AppendSnapshot(nil, tick, body, nil))
			require.NoError(t, err)
			require.Equal(t, tick, t2)
			require.True(t, bytes.Equal(body, b2), "body %x became %x", body, b2) // absent and empty are both empty
		}
		if m, err := ParsePing(msg); check(err) {
			again, err := ParsePing(AppendPing(nil, &m))
			require.NoError(t, err)
			require.Equal(t, m, again)
		}
		if m, err := ParsePong(msg); check(err) {
			again, err := ParsePong(AppendPong(nil, &m))
			require.NoError(t, err)
			require.Equal(t, m, again)
		}
		if m, err := ParseKick(msg); check(err) {
			again, err := ParseKick(AppendKick(nil, &m))
			require.NoError(t, err)
			require.Equal(t, m, again)
		}
		if m, err := ParseLeave(msg); check(err) {
			again, err := ParseLeave(AppendLeave(nil, &m))
			require.NoError(t, err)
			require.Equal(t, m, again)
		}
		if m, err := ParseRoster(msg); check(err) {
			again, err := ParseRoster(AppendRoster(nil, &m))
			require.NoError(t, err)
			require.Equal(t, m, again)
		}
	})
}
