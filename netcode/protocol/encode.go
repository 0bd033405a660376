package protocol

import (
	"encoding/binary"
	"slices"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tickwire/tickwire/schema/wire"
	"github.com/tickwire/tickwire/sim"
)

// The hot messages (Snapshot, InputFrame, Ping, Pong) have a fixed shape,
// so they are laid out by hand: no builder, no allocation beyond growing
// dst, every field always present. Offsets below are relative to the start
// of the FlatBuffers buffer, the byte after the type byte, which is also
// what alignment is measured from. Each layout is: root offset, vtable,
// table, then the one vector if any. TestHandLayouts reads every one back
// through the generated accessors and schema.Verify.
//
// The rare messages (Join, Welcome, Kick, Leave) use the generated
// builders: strings, maps and nested tables are where a builder earns its
// keep, and one allocation per connection does not matter.

var le = binary.LittleEndian

// grow appends the type byte and n zero bytes for the buffer, returning
// dst and the buffer (a window of dst) to fill in.
func grow(dst []byte, mt wire.MessageType, n int) ([]byte, []byte) {
	dst = slices.Grow(dst, 1+n)
	dst = append(dst, byte(mt))
	start := len(dst)
	dst = dst[:start+n]
	buf := dst[start:]
	clear(buf)
	return dst, buf
}

// putVtable writes a vtable at pos: its own size, the table's inline size,
// then each field's offset in the table.
func putVtable(buf []byte, pos, tableSize int, fieldOffsets ...uint16) {
	le.PutUint16(buf[pos:], uint16(4+2*len(fieldOffsets)))
	le.PutUint16(buf[pos+2:], uint16(tableSize))
	for i, off := range fieldOffsets {
		le.PutUint16(buf[pos+4+2*i:], off)
	}
}

// putTableStart writes the root offset (at 0) to a table at pos whose
// vtable is at vtable.
func putTableStart(buf []byte, pos, vtable int) {
	le.PutUint32(buf[0:], uint32(pos))
	le.PutUint32(buf[pos:], uint32(int32(pos-vtable)))
}

// Snapshot: root@0 -> table@12, vtable@4 (tick@+4, body@+8), body vector@24.
const (
	snapshotTable  = 12
	snapshotVector = 24
)

// AppendSnapshot appends a Snapshot message for tick whose body vector is
// head followed by body (the per-player header and the shared entity
// delta, concatenated here so neither has to be copied twice).
func AppendSnapshot(dst []byte, tick sim.Tick, head, body []byte) []byte {
	n := len(head) + len(body)
	dst, buf := grow(dst, wire.MessageTypeSnapshot, snapshotVector+4+n)
	putVtable(buf, 4, 12, 4, 8)
	putTableStart(buf, snapshotTable, 4)
	le.PutUint32(buf[snapshotTable+4:], uint32(tick))
	le.PutUint32(buf[snapshotTable+8:], snapshotVector-(snapshotTable+8))
	le.PutUint32(buf[snapshotVector:], uint32(n))
	copy(buf[snapshotVector+4+copy(buf[snapshotVector+4:], head):], body)
	return dst
}

// InputFrame: root@0 -> table@16, vtable@4 (ack_tick@+4, ack_delay_us@+16,
// view_time@+8, inputs@+20), inputs vector@40 of 12-byte Input structs.
const (
	inputFrameTable  = 16
	inputFrameVector = 40
	inputSize        = 12
)

// AppendInputFrame appends an InputFrame message.
func AppendInputFrame(dst []byte, f *InputFrame) []byte {
	dst, buf := grow(dst, wire.MessageTypeInputFrame, inputFrameVector+4+inputSize*len(f.Inputs))
	putVtable(buf, 4, 24, 4, 16, 8, 20)
	putTableStart(buf, inputFrameTable, 4)
	t := buf[inputFrameTable:]
	le.PutUint32(t[4:], uint32(f.AckTick))
	le.PutUint64(t[8:], uint64(f.ViewTime))
	le.PutUint32(t[16:], f.AckDelayMicros)
	le.PutUint32(t[20:], inputFrameVector-(inputFrameTable+20))
	le.PutUint32(buf[inputFrameVector:], uint32(len(f.Inputs)))
	for i := range f.Inputs {
		in := &f.Inputs[i]
		e := buf[inputFrameVector+4+inputSize*i:]
		le.PutUint32(e[0:], uint32(in.Tick))
		le.PutUint16(e[4:], in.Buttons)
		le.PutUint16(e[6:], in.Aim)
		e[8] = byte(in.MoveX)
		e[9] = byte(in.MoveY)
	}
	return dst
}

// Ping: root@0 -> table@12, vtable@4 (id@+12, server_time_us@+4).
const pingTable = 12

// AppendPing appends a Ping message.
func AppendPing(dst []byte, p *Ping) []byte {
	dst, buf := grow(dst, wire.MessageTypePing, pingTable+16)
	putVtable(buf, 4, 16, 12, 4)
	putTableStart(buf, pingTable, 4)
	le.PutUint64(buf[pingTable+4:], uint64(p.ServerTimeMicros))
	le.PutUint32(buf[pingTable+12:], p.ID)
	return dst
}

// Pong: root@0 -> table@16, vtable@4 (id@+4, server_time_us@+8, hold_us@+16).
const pongTable = 16

// AppendPong appends a Pong message.
func AppendPong(dst []byte, p *Pong) []byte {
	dst, buf := grow(dst, wire.MessageTypePong, pongTable+20)
	putVtable(buf, 4, 20, 4, 8, 16)
	putTableStart(buf, pongTable, 4)
	le.PutUint32(buf[pongTable+4:], p.ID)
	le.PutUint64(buf[pongTable+8:], uint64(p.ServerTimeMicros))
	le.PutUint32(buf[pongTable+16:], p.HoldMicros)
	return dst
}

// finish appends the type byte and the builder's finished buffer.
func finish(dst []byte, mt wire.MessageType, b *flatbuffers.Builder, root flatbuffers.UOffsetT) []byte {
	b.Finish(root)
	dst = append(dst, byte(mt))
	return append(dst, b.FinishedBytes()...)
}

// createString returns the offset of s, or 0 (field absent) when empty.
func createString(b *flatbuffers.Builder, s string) flatbuffers.UOffsetT {
	if s == "" {
		return 0
	}
	return b.CreateString(s)
}

// createParams writes params as a vector of Param tables sorted by key, so
// the same map always encodes to the same bytes; 0 when there are none.
func createParams(b *flatbuffers.Builder, params map[string]string) flatbuffers.UOffsetT {
	if len(params) == 0 {
		return 0
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	offs := make([]flatbuffers.UOffsetT, len(keys))
	for i, k := range keys {
		key, value := b.CreateString(k), b.CreateString(params[k])
		wire.ParamStart(b)
		wire.ParamAddKey(b, key)
		wire.ParamAddValue(b, value)
		offs[i] = wire.ParamEnd(b)
	}
	return createTableVector(b, offs)
}

func createTableVector(b *flatbuffers.Builder, offs []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	b.StartVector(flatbuffers.SizeUOffsetT, len(offs), flatbuffers.SizeUOffsetT)
	for i := len(offs) - 1; i >= 0; i-- {
		b.PrependUOffsetT(offs[i])
	}
	return b.EndVector(len(offs))
}

// AppendJoin appends a Join message.
func AppendJoin(dst []byte, m *Join) []byte {
	b := flatbuffers.NewBuilder(128)
	room, name := createString(b, m.Room), createString(b, m.PlayerName)
	token, resume := createString(b, m.Token), createString(b, m.ResumeToken)
	game, params := createString(b, m.Game), createParams(b, m.Params)
	wire.JoinStart(b)
	wire.JoinAddProtocolVersion(b, m.ProtocolVersion)
	addOffset(b, wire.JoinAddRoom, room)
	addOffset(b, wire.JoinAddPlayerName, name)
	addOffset(b, wire.JoinAddToken, token)
	addOffset(b, wire.JoinAddResumeToken, resume)
	addOffset(b, wire.JoinAddGame, game)
	addOffset(b, wire.JoinAddParams, params)
	return finish(dst, wire.MessageTypeJoin, b, wire.JoinEnd(b))
}

// addOffset adds a string, vector or table field unless it is absent.
func addOffset(b *flatbuffers.Builder, add func(*flatbuffers.Builder, flatbuffers.UOffsetT), off flatbuffers.UOffsetT) {
	if off != 0 {
		add(b, off)
	}
}

// AppendWelcome appends a Welcome message. A FieldSpec.Rate travels as the
// index of the field it names; a name that is no field of the kind travels
// as "none" (the kinds were validated by whoever built the room's schema).
func AppendWelcome(dst []byte, m *Welcome) []byte {
	b := flatbuffers.NewBuilder(512)
	kinds := make([]flatbuffers.UOffsetT, len(m.Kinds))
	var fields []flatbuffers.UOffsetT
	for k := range m.Kinds {
		kind := &m.Kinds[k]
		fields = fields[:0]
		for i := range kind.Fields {
			f := &kind.Fields[i]
			name := createString(b, f.Name)
			wire.FieldStart(b)
			addOffset(b, wire.FieldAddName, name)
			wire.FieldAddMin(b, f.Min)
			wire.FieldAddMax(b, f.Max)
			wire.FieldAddStep(b, f.Step)
			wire.FieldAddRate(b, rateIndex(kind, f.Rate))
			fields = append(fields, wire.FieldEnd(b))
		}
		fv := createTableVector(b, fields)
		name := createString(b, kind.Name)
		wire.EntityKindStart(b)
		addOffset(b, wire.EntityKindAddName, name)
		wire.EntityKindAddFields(b, fv)
		kinds[k] = wire.EntityKindEnd(b)
	}
	var kv flatbuffers.UOffsetT
	if len(kinds) > 0 {
		kv = createTableVector(b, kinds)
	}
	params := createParams(b, m.Params)
	resume, room, game := createString(b, m.ResumeToken), createString(b, m.Room), createString(b, m.Game)
	wire.WelcomeStart(b)
	wire.WelcomeAddProtocolVersion(b, m.ProtocolVersion)
	wire.WelcomeAddPlayerId(b, uint32(m.PlayerID))
	wire.WelcomeAddEntityId(b, uint32(m.EntityID))
	wire.WelcomeAddTickRate(b, uint16(m.TickRate))
	wire.WelcomeAddServerTick(b, uint32(m.ServerTick))
	wire.WelcomeAddServerTimeUs(b, m.ServerTimeMicros)
	addOffset(b, wire.WelcomeAddResumeToken, resume)
	addOffset(b, wire.WelcomeAddRoom, room)
	addOffset(b, wire.WelcomeAddGame, game)
	addOffset(b, wire.WelcomeAddParams, params)
	addOffset(b, wire.WelcomeAddKinds, kv)
	return finish(dst, wire.MessageTypeWelcome, b, wire.WelcomeEnd(b))
}

// rateIndex is the index of the field named rate in kind, or -1.
func rateIndex(kind *sim.KindSpec, rate string) int8 {
	if rate == "" {
		return -1
	}
	for i := range kind.Fields {
		if kind.Fields[i].Name == rate && i <= 127 {
			return int8(i)
		}
	}
	return -1
}

// AppendKick appends a Kick message.
func AppendKick(dst []byte, m *Kick) []byte {
	b := flatbuffers.NewBuilder(64)
	reason := createString(b, m.Reason)
	wire.KickStart(b)
	wire.KickAddCode(b, m.Code)
	addOffset(b, wire.KickAddReason, reason)
	return finish(dst, wire.MessageTypeKick, b, wire.KickEnd(b))
}

// AppendRoster appends a Roster message.
func AppendRoster(dst []byte, m *Roster) []byte {
	b := flatbuffers.NewBuilder(32 + 32*len(m.Players))
	entries := make([]flatbuffers.UOffsetT, len(m.Players))
	for i := range m.Players {
		e := &m.Players[i]
		name := createString(b, e.Name)
		wire.RosterEntryStart(b)
		wire.RosterEntryAddPlayerId(b, uint32(e.PlayerID))
		wire.RosterEntryAddEntityId(b, uint32(e.EntityID))
		addOffset(b, wire.RosterEntryAddName, name)
		wire.RosterEntryAddConnected(b, e.Connected)
		entries[i] = wire.RosterEntryEnd(b)
	}
	var players flatbuffers.UOffsetT
	if len(entries) > 0 {
		players = createTableVector(b, entries)
	}
	wire.RosterStart(b)
	addOffset(b, wire.RosterAddPlayers, players)
	return finish(dst, wire.MessageTypeRoster, b, wire.RosterEnd(b))
}

// AppendLeave appends a Leave message.
func AppendLeave(dst []byte, m *Leave) []byte {
	b := flatbuffers.NewBuilder(64)
	reason := createString(b, m.Reason)
	wire.LeaveStart(b)
	addOffset(b, wire.LeaveAddReason, reason)
	return finish(dst, wire.MessageTypeLeave, b, wire.LeaveEnd(b))
}
