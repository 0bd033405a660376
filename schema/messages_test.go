package schema

import (
	"fmt"
	"reflect"
	"strings"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tickwire/tickwire/schema/wire"
)

// sampleMessages builds one message of every type with the generated
// builders and every field set to a non-default value, so each field's slot
// is present in its vtable.
func sampleMessages() map[wire.MessageType][]byte {
	msgs := map[wire.MessageType][]byte{}
	finish := func(mt wire.MessageType, b *flatbuffers.Builder, root flatbuffers.UOffsetT) {
		b.Finish(root)
		msgs[mt] = append([]byte{byte(mt)}, b.FinishedBytes()...)
	}
	params := func(b *flatbuffers.Builder, kv ...string) flatbuffers.UOffsetT {
		var offs []flatbuffers.UOffsetT
		for i := 0; i < len(kv); i += 2 {
			k, v := b.CreateString(kv[i]), b.CreateString(kv[i+1])
			wire.ParamStart(b)
			wire.ParamAddKey(b, k)
			wire.ParamAddValue(b, v)
			offs = append(offs, wire.ParamEnd(b))
		}
		b.StartVector(4, len(offs), 4)
		for i := len(offs) - 1; i >= 0; i-- {
			b.PrependUOffsetT(offs[i])
		}
		return b.EndVector(len(offs))
	}

	b := flatbuffers.NewBuilder(0)
	room, name, token, resume, game := b.CreateString("lobby"), b.CreateString("ann"), b.CreateString("tok"), b.CreateString("res"), b.CreateString("arena")
	ps := params(b, "npcs", "3", "size", "64")
	wire.JoinStart(b)
	wire.JoinAddProtocolVersion(b, 7)
	wire.JoinAddRoom(b, room)
	wire.JoinAddPlayerName(b, name)
	wire.JoinAddToken(b, token)
	wire.JoinAddResumeToken(b, resume)
	wire.JoinAddGame(b, game)
	wire.JoinAddParams(b, ps)
	finish(wire.MessageTypeJoin, b, wire.JoinEnd(b))

	b = flatbuffers.NewBuilder(0)
	wire.InputFrameStartInputsVector(b, 2)
	wire.CreateInput(b, 11, 2, 300, 1, 0)
	wire.CreateInput(b, 10, 1, 200, -1, 1)
	inputs := b.EndVector(2)
	wire.InputFrameStart(b)
	wire.InputFrameAddAckTick(b, 9)
	wire.InputFrameAddAckDelayUs(b, 1500)
	wire.InputFrameAddViewTime(b, 9<<8|128)
	wire.InputFrameAddInputs(b, inputs)
	finish(wire.MessageTypeInputFrame, b, wire.InputFrameEnd(b))

	b = flatbuffers.NewBuilder(0)
	wire.PongStart(b)
	wire.PongAddId(b, 5)
	wire.PongAddServerTimeUs(b, 123456789)
	wire.PongAddHoldUs(b, 42)
	finish(wire.MessageTypePong, b, wire.PongEnd(b))

	b = flatbuffers.NewBuilder(0)
	reason := b.CreateString("bye")
	wire.LeaveStart(b)
	wire.LeaveAddReason(b, reason)
	finish(wire.MessageTypeLeave, b, wire.LeaveEnd(b))

	b = flatbuffers.NewBuilder(0)
	var kinds []flatbuffers.UOffsetT
	for k, kind := range [][]string{{"player", "x", "y", "vx"}, {"npc", "x"}} {
		var fields []flatbuffers.UOffsetT
		for i, f := range kind[1:] {
			fname := b.CreateString(f)
			wire.FieldStart(b)
			wire.FieldAddName(b, fname)
			wire.FieldAddMin(b, -100)
			wire.FieldAddMax(b, 100+int32(i))
			wire.FieldAddStep(b, 2)
			wire.FieldAddRate(b, int8(k))
			fields = append(fields, wire.FieldEnd(b))
		}
		wire.EntityKindStartFieldsVector(b, len(fields))
		for i := len(fields) - 1; i >= 0; i-- {
			b.PrependUOffsetT(fields[i])
		}
		fv := b.EndVector(len(fields))
		kname := b.CreateString(kind[0])
		wire.EntityKindStart(b)
		wire.EntityKindAddName(b, kname)
		wire.EntityKindAddFields(b, fv)
		kinds = append(kinds, wire.EntityKindEnd(b))
	}
	wire.WelcomeStartKindsVector(b, len(kinds))
	for i := len(kinds) - 1; i >= 0; i-- {
		b.PrependUOffsetT(kinds[i])
	}
	kv := b.EndVector(len(kinds))
	ps = params(b, "size", "64")
	resume, room, game = b.CreateString("res"), b.CreateString("lobby"), b.CreateString("arena")
	wire.WelcomeStart(b)
	wire.WelcomeAddProtocolVersion(b, 1)
	wire.WelcomeAddPlayerId(b, 3)
	wire.WelcomeAddEntityId(b, 4)
	wire.WelcomeAddTickRate(b, 30)
	wire.WelcomeAddServerTick(b, 1000)
	wire.WelcomeAddServerTimeUs(b, 33_000_000)
	wire.WelcomeAddResumeToken(b, resume)
	wire.WelcomeAddRoom(b, room)
	wire.WelcomeAddGame(b, game)
	wire.WelcomeAddParams(b, ps)
	wire.WelcomeAddKinds(b, kv)
	finish(wire.MessageTypeWelcome, b, wire.WelcomeEnd(b))

	b = flatbuffers.NewBuilder(0)
	body := b.CreateByteVector([]byte{1, 2, 3, 4, 5})
	wire.SnapshotStart(b)
	wire.SnapshotAddTick(b, 77)
	wire.SnapshotAddBody(b, body)
	finish(wire.MessageTypeSnapshot, b, wire.SnapshotEnd(b))

	b = flatbuffers.NewBuilder(0)
	wire.PingStart(b)
	wire.PingAddId(b, 6)
	wire.PingAddServerTimeUs(b, 987654321)
	finish(wire.MessageTypePing, b, wire.PingEnd(b))

	b = flatbuffers.NewBuilder(0)
	reason = b.CreateString("room full")
	wire.KickStart(b)
	wire.KickAddCode(b, 4003)
	wire.KickAddReason(b, reason)
	finish(wire.MessageTypeKick, b, wire.KickEnd(b))

	b = flatbuffers.NewBuilder(0)
	var entries []flatbuffers.UOffsetT
	for i, name := range []string{"ann", "bob"} {
		n := b.CreateString(name)
		wire.RosterEntryStart(b)
		wire.RosterEntryAddPlayerId(b, uint32(i+1))
		wire.RosterEntryAddEntityId(b, uint32(i+10))
		wire.RosterEntryAddName(b, n)
		wire.RosterEntryAddConnected(b, i == 0)
		entries = append(entries, wire.RosterEntryEnd(b))
	}
	wire.RosterStartPlayersVector(b, len(entries))
	for i := len(entries) - 1; i >= 0; i-- {
		b.PrependUOffsetT(entries[i])
	}
	players := b.EndVector(len(entries))
	wire.RosterStart(b)
	wire.RosterAddPlayers(b, players)
	finish(wire.MessageTypeRoster, b, wire.RosterEnd(b))
	return msgs
}

// rootTypes names the generated type of each message's root table.
var rootTypes = map[wire.MessageType]reflect.Type{
	wire.MessageTypeJoin:       reflect.TypeFor[wire.Join](),
	wire.MessageTypeInputFrame: reflect.TypeFor[wire.InputFrame](),
	wire.MessageTypePong:       reflect.TypeFor[wire.Pong](),
	wire.MessageTypeLeave:      reflect.TypeFor[wire.Leave](),
	wire.MessageTypeWelcome:    reflect.TypeFor[wire.Welcome](),
	wire.MessageTypeSnapshot:   reflect.TypeFor[wire.Snapshot](),
	wire.MessageTypePing:       reflect.TypeFor[wire.Ping](),
	wire.MessageTypeKick:       reflect.TypeFor[wire.Kick](),
	wire.MessageTypeRoster:     reflect.TypeFor[wire.Roster](),
}

// walkMessage calls every generated accessor reachable from msg's root
// table (every field, string, vector element, struct and nested table),
// through reflection so a field added to the schema is walked without
// touching this code. It returns how many accessor calls it made, or the
// panic an accessor raised as an error.
func walkMessage(msg []byte) (calls int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("accessor panicked after %d calls: %v", calls, r)
		}
	}()
	typ, ok := rootTypes[wire.MessageType(msg[0])]
	if !ok {
		return 0, fmt.Errorf("no root type for message type %d", msg[0])
	}
	buf := msg[1:]
	root := reflect.New(typ)
	root.MethodByName("Init").Call([]reflect.Value{reflect.ValueOf(buf), reflect.ValueOf(flatbuffers.GetUOffsetT(buf))})
	walkValue(root, &calls)
	return calls, nil
}

func walkValue(obj reflect.Value, calls *int) {
	t := obj.Type()
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		if m.Name == "Init" || m.Name == "Table" || strings.HasPrefix(m.Name, "Mutate") {
			continue
		}
		fn := obj.Method(i)
		ft := fn.Type()
		intType := reflect.TypeFor[int]()
		switch {
		case ft.NumIn() == 0 && ft.NumOut() == 1:
			// scalar, string ([]byte), XLength, XBytes
			fn.Call(nil)
			*calls++
		case ft.NumIn() == 1 && ft.In(0) == intType && ft.NumOut() == 1:
			// element j of a vector of scalars
			n := int(obj.MethodByName(m.Name + "Length").Call(nil)[0].Int())
			for j := 0; j < n; j++ {
				fn.Call([]reflect.Value{reflect.ValueOf(j)})
				*calls++
			}
		case ft.NumIn() == 2 && ft.In(0).Kind() == reflect.Pointer && ft.In(1) == intType:
			// element j of a vector of tables or structs
			n := int(obj.MethodByName(m.Name + "Length").Call(nil)[0].Int())
			for j := 0; j < n; j++ {
				elem := reflect.New(ft.In(0).Elem())
				if !fn.Call([]reflect.Value{elem, reflect.ValueOf(j)})[0].Bool() {
					panic(fmt.Sprintf("%s.%s(%d) returned false within its length", t, m.Name, j))
				}
				*calls++
				walkValue(elem, calls)
			}
		case ft.NumIn() == 1 && ft.In(0).Kind() == reflect.Pointer && ft.NumOut() == 1:
			// a nested table
			elem := reflect.New(ft.In(0).Elem())
			if !fn.Call([]reflect.Value{elem})[0].IsNil() {
				walkValue(elem, calls)
			}
			*calls++
		default:
			panic(fmt.Sprintf("walkValue does not know the accessor shape %s.%s %s", t, m.Name, ft))
		}
	}
}
