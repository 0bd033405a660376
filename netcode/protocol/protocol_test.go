package protocol

import (
	"math"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/schema"
	"github.com/tickwire/tickwire/schema/wire"
	"github.com/tickwire/tickwire/sim"
)

func sampleWelcome() Welcome {
	return Welcome{
		ProtocolVersion:  ProtocolVersion,
		PlayerID:         7,
		EntityID:         42,
		TickRate:         30,
		ServerTick:       123456,
		ServerTimeMicros: 9_876_543_210,
		ResumeToken:      "resume-me",
		Room:             "lobby",
		Game:             "arena",
		Params:           map[string]string{"npcs": "24", "size": "64", "z": ""},
		Kinds: []sim.KindSpec{
			{Name: "player", Fields: []sim.FieldSpec{
				{Name: "x", Min: -1 << 20, Max: 1 << 20, Step: 1, Rate: "vx"},
				{Name: "y", Min: -1 << 20, Max: 1 << 20, Step: 4, Rate: "vy"},
				{Name: "vx", Min: -64, Max: 64},
				{Name: "vy", Min: -64, Max: 64, Rate: "vy"},
			}},
			{Name: "npc"},
			{Name: "shot", Fields: []sim.FieldSpec{{Name: "aim", Max: 65535, Step: 16}}},
		},
	}
}

func sampleJoin() Join {
	return Join{
		ProtocolVersion: ProtocolVersion,
		Room:            "lobby",
		PlayerName:      "ann ✓",
		Token:           "tok",
		ResumeToken:     "res",
		Game:            "arena",
		Params:          map[string]string{"b": "2", "a": "1"},
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	t.Run("Join", func(t *testing.T) {
		for _, m := range []Join{{}, sampleJoin(), {ProtocolVersion: math.MaxUint16, Room: "r"}} {
			got, err := ParseJoin(AppendJoin(nil, &m))
			require.NoError(t, err)
			assert.Equal(t, m, got)
		}
	})
	t.Run("Welcome", func(t *testing.T) {
		for _, m := range []Welcome{{}, sampleWelcome()} {
			got, err := ParseWelcome(AppendWelcome(nil, &m))
			require.NoError(t, err)
			assert.Equal(t, m, got)
		}
	})
	t.Run("InputFrame", func(t *testing.T) {
		frames := []InputFrame{
			{},
			{AckTick: 99, AckDelayMicros: 1234, ViewTime: 99<<8 | 17, Inputs: []TickInput{
				{Tick: 100, Input: sim.Input{MoveX: -1, MoveY: 1, Aim: 40000, Buttons: sim.ButtonFire | sim.ButtonAlt}},
				{Tick: 101, Input: sim.Input{MoveX: 127, MoveY: -128, Aim: math.MaxUint16, Buttons: math.MaxUint16}},
			}},
			{AckTick: math.MaxUint32, AckDelayMicros: math.MaxUint32, ViewTime: math.MinInt64},
		}
		var got InputFrame
		for _, m := range frames {
			require.NoError(t, ParseInputFrame(AppendInputFrame(nil, &m), &got))
			if len(m.Inputs) == 0 {
				assert.Empty(t, got.Inputs)
				got.Inputs = m.Inputs
			}
			assert.Equal(t, m, got)
		}
	})
	t.Run("Snapshot", func(t *testing.T) {
		for _, c := range []struct{ head, body []byte }{{nil, nil}, {[]byte{1, 2}, nil}, {nil, []byte{3}}, {[]byte{1, 2, 3}, []byte{4, 5, 6, 7, 8}}} {
			msg := AppendSnapshot([]byte("junk"), 77, c.head, c.body)[4:]
			tick, body, err := ParseSnapshot(msg)
			require.NoError(t, err)
			assert.Equal(t, sim.Tick(77), tick)
			assert.Equal(t, append(append([]byte{}, c.head...), c.body...), append([]byte{}, body...))
		}
	})
	t.Run("Ping", func(t *testing.T) {
		for _, m := range []Ping{{}, {ID: math.MaxUint32, ServerTimeMicros: math.MinInt64}, {ID: 3, ServerTimeMicros: 1e12}} {
			got, err := ParsePing(AppendPing(nil, &m))
			require.NoError(t, err)
			assert.Equal(t, m, got)
		}
	})
	t.Run("Pong", func(t *testing.T) {
		for _, m := range []Pong{{}, {ID: 9, ServerTimeMicros: math.MaxInt64, HoldMicros: math.MaxUint32}} {
			got, err := ParsePong(AppendPong(nil, &m))
			require.NoError(t, err)
			assert.Equal(t, m, got)
		}
	})
	t.Run("Kick", func(t *testing.T) {
		for _, m := range []Kick{{}, {Code: 4003, Reason: "room full"}} {
			got, err := ParseKick(AppendKick(nil, &m))
			require.NoError(t, err)
			assert.Equal(t, m, got)
		}
	})
	t.Run("Leave", func(t *testing.T) {
		for _, m := range []Leave{{}, {Reason: "bye"}} {
			got, err := ParseLeave(AppendLeave(nil, &m))
			require.NoError(t, err)
			assert.Equal(t, m, got)
		}
	})
	t.Run("Roster", func(t *testing.T) {
		for _, m := range []Roster{{}, {Players: []RosterEntry{
			{PlayerID: 1, EntityID: 7, Name: "ann ✓", Connected: true},
			{PlayerID: math.MaxUint32, EntityID: math.MaxUint32},
		}}} {
			got, err := ParseRoster(AppendRoster(nil, &m))
			require.NoError(t, err)
			assert.Equal(t, m, got)
		}
	})
}

// TestHandLayouts proves the hand-written layouts are real FlatBuffers:
// schema.Verify accepts them and the generated accessors read back every
// field.
func TestHandLayouts(t *testing.T) {
	t.Parallel()
	verify := func(t *testing.T, msg []byte, want wire.MessageType) []byte {
		t.Helper()
		mt, err := schema.Verify(msg)
		require.NoError(t, err)
		require.Equal(t, want, mt)
		return msg[1:]
	}
	t.Run("Snapshot", func(t *testing.T) {
		buf := verify(t, AppendSnapshot(nil, 0xA1B2C3D4, []byte{9, 8}, []byte{7}), wire.MessageTypeSnapshot)
		s := wire.GetRootAsSnapshot(buf, 0)
		assert.Equal(t, uint32(0xA1B2C3D4), s.Tick())
		assert.Equal(t, 3, s.BodyLength())
		assert.Equal(t, []byte{9, 8, 7}, s.BodyBytes())
		assert.Equal(t, byte(7), s.Body(2))
	})
	t.Run("InputFrame", func(t *testing.T) {
		f := InputFrame{AckTick: 5, AckDelayMicros: 6, ViewTime: -7, Inputs: []TickInput{
			{Tick: 8, Input: sim.Input{MoveX: -1, MoveY: 1, Aim: 9, Buttons: 10}},
			{Tick: 11, Input: sim.Input{MoveX: 0, MoveY: -1, Aim: 12, Buttons: 13}},
		}}
		buf := verify(t, AppendInputFrame(nil, &f), wire.MessageTypeInputFrame)
		r := wire.GetRootAsInputFrame(buf, 0)
		assert.Equal(t, uint32(5), r.AckTick())
		assert.Equal(t, uint32(6), r.AckDelayUs())
		assert.Equal(t, uint64(math.MaxUint64-6), r.ViewTime())
		require.Equal(t, 2, r.InputsLength())
		var in wire.Input
		for j, want := range f.Inputs {
			require.True(t, r.Inputs(&in, j))
			assert.Equal(t, uint32(want.Tick), in.Tick())
			assert.Equal(t, want.MoveX, in.MoveX())
			assert.Equal(t, want.MoveY, in.MoveY())
			assert.Equal(t, want.Aim, in.Aim())
			assert.Equal(t, want.Buttons, in.Buttons())
		}
	})
	t.Run("Ping", func(t *testing.T) {
		buf := verify(t, AppendPing(nil, &Ping{ID: 3, ServerTimeMicros: -4}), wire.MessageTypePing)
		p := wire.GetRootAsPing(buf, 0)
		assert.Equal(t, uint32(3), p.Id())
		assert.Equal(t, int64(-4), p.ServerTimeUs())
	})
	t.Run("Pong", func(t *testing.T) {
		buf := verify(t, AppendPong(nil, &Pong{ID: 3, ServerTimeMicros: -4, HoldMicros: 5}), wire.MessageTypePong)
		p := wire.GetRootAsPong(buf, 0)
		assert.Equal(t, uint32(3), p.Id())
		assert.Equal(t, int64(-4), p.ServerTimeUs())
		assert.Equal(t, uint32(5), p.HoldUs())
	})
}

// TestParseBuilderMessages: the Parse functions read what any FlatBuffers
// writer produces (here the generated builders, fields in another order and
// with defaults omitted), not just this package's layouts.
func TestParseBuilderMessages(t *testing.T) {
	t.Parallel()
	b := flatbuffers.NewBuilder(0)
	wire.InputFrameStartInputsVector(b, 1)
	wire.CreateInput(b, 31, 2, 3, -1, 1)
	inputs := b.EndVector(1)
	wire.InputFrameStart(b)
	wire.InputFrameAddInputs(b, inputs)
	wire.InputFrameAddViewTime(b, 30<<8)
	b.Finish(wire.InputFrameEnd(b))
	var f InputFrame
	require.NoError(t, ParseInputFrame(append([]byte{byte(wire.MessageTypeInputFrame)}, b.FinishedBytes()...), &f))
	assert.Equal(t, InputFrame{ViewTime: 30 << 8, Inputs: []TickInput{{Tick: 31, Input: sim.Input{MoveX: -1, MoveY: 1, Aim: 3, Buttons: 2}}}}, f)

	b = flatbuffers.NewBuilder(0)
	body := b.CreateByteVector([]byte{1, 2, 3})
	wire.SnapshotStart(b)
	wire.SnapshotAddBody(b, body)
	wire.SnapshotAddTick(b, 12)
	b.Finish(wire.SnapshotEnd(b))
	tick, got, err := ParseSnapshot(append([]byte{byte(wire.MessageTypeSnapshot)}, b.FinishedBytes()...))
	require.NoError(t, err)
	assert.Equal(t, sim.Tick(12), tick)
	assert.Equal(t, []byte{1, 2, 3}, got)
}

func TestParamsEncodeDeterministically(t *testing.T) {
	t.Parallel()
	params := map[string]string{}
	for _, k := range []string{"q", "w", "e", "r", "t", "y", "u", "i", "o", "p"} {
		params[k] = k + k
	}
	j := Join{Room: "r", Params: params}
	w := Welcome{Room: "r", Params: params}
	first, firstW := AppendJoin(nil, &j), AppendWelcome(nil, &w)
	for range 20 { // map iteration order changes between runs
		assert.Equal(t, first, AppendJoin(nil, &j))
		assert.Equal(t, firstW, AppendWelcome(nil, &w))
	}
	r := wire.GetRootAsJoin(first[1:], 0)
	var p wire.Param
	prev := ""
	for i := 0; i < r.ParamsLength(); i++ {
		r.Params(&p, i)
		assert.Less(t, prev, string(p.Key()), "params sorted by key")
		prev = string(p.Key())
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	ping := AppendPing(nil, &Ping{ID: 1})

	t.Run("wrong type", func(t *testing.T) {
		_, err := ParsePong(ping)
		require.ErrorIs(t, err, ErrWrongType)
		assert.EqualError(t, err, "protocol: wrong message type: got Ping, want Pong")
		var f InputFrame
		assert.ErrorIs(t, ParseInputFrame(ping, &f), ErrWrongType)
		_, _, err = ParseSnapshot(ping)
		assert.ErrorIs(t, err, ErrWrongType)
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := ParsePing(ping[:len(ping)-3])
		require.ErrorIs(t, err, schema.ErrMalformed)
		_, err = ParseKick(nil)
		require.ErrorIs(t, err, schema.ErrMalformed)
	})
	t.Run("too many inputs", func(t *testing.T) {
		f := InputFrame{AckTick: 1, Inputs: make([]TickInput, MaxInputsPerFrame+1)}
		got := InputFrame{AckTick: 5}
		err := ParseInputFrame(AppendInputFrame(nil, &f), &got)
		require.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "129 inputs, at most 128")
		assert.Equal(t, InputFrame{AckTick: 5}, got, "left unchanged on error")
		f.Inputs = f.Inputs[:MaxInputsPerFrame]
		require.NoError(t, ParseInputFrame(AppendInputFrame(nil, &f), &got))
		assert.Len(t, got.Inputs, MaxInputsPerFrame)
	})
	t.Run("rate out of range", func(t *testing.T) {
		b := flatbuffers.NewBuilder(0)
		wire.FieldStart(b)
		wire.FieldAddRate(b, 1) // the kind has one field
		field := wire.FieldEnd(b)
		fields := createTableVector(b, []flatbuffers.UOffsetT{field})
		wire.EntityKindStart(b)
		wire.EntityKindAddFields(b, fields)
		kinds := createTableVector(b, []flatbuffers.UOffsetT{wire.EntityKindEnd(b)})
		wire.WelcomeStart(b)
		wire.WelcomeAddKinds(b, kinds)
		msg := finish(nil, wire.MessageTypeWelcome, b, wire.WelcomeEnd(b))
		_, err := ParseWelcome(msg)
		require.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "Welcome.kinds[0].fields[0].rate: index 1 out of range")
	})
	t.Run("duplicate param", func(t *testing.T) {
		b := flatbuffers.NewBuilder(0)
		var ps []flatbuffers.UOffsetT
		for range 2 {
			k := b.CreateString("k")
			wire.ParamStart(b)
			wire.ParamAddKey(b, k)
			ps = append(ps, wire.ParamEnd(b))
		}
		pv := createTableVector(b, ps)
		wire.JoinStart(b)
		wire.JoinAddParams(b, pv)
		_, err := ParseJoin(finish(nil, wire.MessageTypeJoin, b, wire.JoinEnd(b)))
		require.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), `Join.params[1]: duplicate key "k"`)
	})
	t.Run("roster", func(t *testing.T) {
		twice := Roster{Players: []RosterEntry{{PlayerID: 4, Name: "a"}, {PlayerID: 5}, {PlayerID: 4, Name: "b"}}}
		_, err := ParseRoster(AppendRoster(nil, &twice))
		require.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "Roster.players[2]: player 4 listed twice")

		crowd := Roster{Players: make([]RosterEntry, MaxRosterPlayers+1)}
		for i := range crowd.Players {
			crowd.Players[i].PlayerID = sim.PlayerID(i + 1)
		}
		_, err = ParseRoster(AppendRoster(nil, &crowd))
		require.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "1001 players, at most 1000")
		crowd.Players = crowd.Players[:MaxRosterPlayers]
		got, err := ParseRoster(AppendRoster(nil, &crowd))
		require.NoError(t, err)
		assert.Len(t, got.Players, MaxRosterPlayers)
	})
}

func TestUnknownRateTravelsAsNone(t *testing.T) {
	t.Parallel()
	w := Welcome{Kinds: []sim.KindSpec{{Name: "k", Fields: []sim.FieldSpec{{Name: "x", Rate: "nope"}}}}}
	got, err := ParseWelcome(AppendWelcome(nil, &w))
	require.NoError(t, err)
	assert.Empty(t, got.Kinds[0].Fields[0].Rate)
}

// TestHotPathsDoNotAllocate pins the steady state of the per-tick messages:
// appending into a buffer with room and parsing into a reused frame cost no
// allocation.
func TestHotPathsDoNotAllocate(t *testing.T) { // not parallel: AllocsPerRun
	head, body := make([]byte, 12), make([]byte, 300)
	frame := InputFrame{AckTick: 9, Inputs: make([]TickInput, 8)}
	buf := make([]byte, 0, 1024)
	msgFrame := AppendInputFrame(nil, &frame)
	msgSnap := AppendSnapshot(nil, 1, head, body)
	var parsed InputFrame
	require.NoError(t, ParseInputFrame(msgFrame, &parsed))
	cases := map[string]func(){
		"AppendSnapshot":   func() { buf = AppendSnapshot(buf[:0], 5, head, body) },
		"AppendInputFrame": func() { buf = AppendInputFrame(buf[:0], &frame) },
		"AppendPing":       func() { buf = AppendPing(buf[:0], &Ping{ID: 1}) },
		"AppendPong":       func() { buf = AppendPong(buf[:0], &Pong{ID: 1}) },
		"ParseInputFrame":  func() { _ = ParseInputFrame(msgFrame, &parsed) },
		"ParseSnapshot":    func() { _, _, _ = ParseSnapshot(msgSnap) },
	}
	for name, fn := range cases {
		assert.Zero(t, testing.AllocsPerRun(50, fn), name)
	}
}

func BenchmarkAppendSnapshot(b *testing.B) {
	head, body := make([]byte, 12), make([]byte, 300)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(head) + len(body)))
	for b.Loop() {
		buf = AppendSnapshot(buf[:0], 5, head, body)
	}
}

func BenchmarkAppendInputFrame(b *testing.B) {
	frame := InputFrame{AckTick: 9, Inputs: make([]TickInput, 4)}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendInputFrame(buf[:0], &frame)
	}
}

func BenchmarkParseInputFrame(b *testing.B) {
	msg := AppendInputFrame(nil, &InputFrame{AckTick: 9, Inputs: make([]TickInput, 4)})
	var f InputFrame
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseInputFrame(msg, &f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSnapshot(b *testing.B) {
	msg := AppendSnapshot(nil, 5, make([]byte, 12), make([]byte, 300))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseSnapshot(msg); err != nil {
			b.Fatal(err)
		}
	}
}
