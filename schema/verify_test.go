package schema

import (
	"bufio"
	"encoding/binary"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/schema/wire"
)

// fbsDecl is a table or struct of tickwire.fbs: its fields in order as
// (name, type) pairs.
type fbsDecl struct {
	isStruct bool
	fields   [][2]string
}

// parseFBS reads the table and struct declarations of tickwire.fbs. The
// schema keeps one field a line, which is all this needs to understand.
func parseFBS(t *testing.T) map[string]*fbsDecl {
	f, err := os.Open("tickwire.fbs")
	require.NoError(t, err)
	defer f.Close()
	start := regexp.MustCompile(`^(table|struct)\s+(\w+)\s*\{`)
	field := regexp.MustCompile(`^(\w+)\s*:\s*([\w\[\]]+)`)
	decls := map[string]*fbsDecl{}
	var cur *fbsDecl
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case cur == nil:
			if m := start.FindStringSubmatch(line); m != nil {
				cur = &fbsDecl{isStruct: m[1] == "struct"}
				decls[m[2]] = cur
			}
		case line == "}":
			cur = nil
		default:
			if m := field.FindStringSubmatch(line); m != nil {
				cur.fields = append(cur.fields, [2]string{m[1], m[2]})
			}
		}
	}
	require.NoError(t, sc.Err())
	return decls
}

var fbsScalarSize = map[string]int{
	"bool": 1, "byte": 1, "ubyte": 1, "int8": 1, "uint8": 1,
	"short": 2, "ushort": 2, "int16": 2, "uint16": 2,
	"int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4,
	"long": 8, "ulong": 8, "int64": 8, "uint64": 8, "double": 8,
}

// structSizeAlign lays out a struct of scalars the way flatc does.
func structSizeAlign(t *testing.T, d *fbsDecl) (size, align int) {
	align = 1
	for _, f := range d.fields {
		n, ok := fbsScalarSize[f[1]]
		require.True(t, ok, "struct field %s: only scalars are supported", f[0])
		size = (size + n - 1) / n * n
		size += n
		align = max(align, n)
	}
	return (size + align - 1) / align * align, align
}

// allLayouts collects every table descriptor reachable from rootTables.
func allLayouts() map[string]*tableLayout {
	out := map[string]*tableLayout{}
	var add func(*tableLayout)
	add = func(tl *tableLayout) {
		if _, seen := out[tl.name]; seen {
			return
		}
		out[tl.name] = tl
		for _, f := range tl.fields {
			if f.table != nil {
				add(f.table)
			}
		}
	}
	for _, tl := range rootTables {
		if tl != nil {
			add(tl)
		}
	}
	return out
}

// TestLayoutsMatchSchema pins the verifier's descriptors to tickwire.fbs:
// same tables, same fields in the same slots, same kinds and sizes.
func TestLayoutsMatchSchema(t *testing.T) {
	t.Parallel()
	decls := parseFBS(t)
	layouts := allLayouts()
	for name, d := range decls {
		if d.isStruct {
			continue
		}
		tl, ok := layouts[name]
		if !assert.True(t, ok, "table %s has no descriptor reachable from a message type", name) {
			continue
		}
		if !assert.Len(t, tl.fields, len(d.fields), "table %s", name) {
			continue
		}
		for slot, f := range d.fields {
			got := tl.fields[slot]
			where := name + "." + f[0]
			assert.Equal(t, f[0], got.name, "%s: slot %d", name, slot)
			typ := f[1]
			switch {
			case typ == "string":
				assert.Equal(t, kindString, got.kind, where)
			case fbsScalarSize[typ] != 0:
				assert.Equal(t, kindScalar, got.kind, where)
				assert.Equal(t, fbsScalarSize[typ], got.elemSize, where)
			case strings.HasPrefix(typ, "["):
				elem := strings.Trim(typ, "[]")
				switch ed := decls[elem]; {
				case fbsScalarSize[elem] != 0:
					assert.Equal(t, kindScalarVector, got.kind, where)
					assert.Equal(t, fbsScalarSize[elem], got.elemSize, where)
				case ed != nil && ed.isStruct:
					size, align := structSizeAlign(t, ed)
					assert.Equal(t, kindStructVector, got.kind, where)
					assert.Equal(t, size, got.elemSize, where)
					assert.Equal(t, align, got.elemAlign, where)
				case ed != nil:
					assert.Equal(t, kindTableVector, got.kind, where)
					require.NotNil(t, got.table, where)
					assert.Equal(t, elem, got.table.name, where)
				default:
					t.Errorf("%s: unsupported vector type %s", where, typ)
				}
			case decls[typ] != nil && !decls[typ].isStruct:
				assert.Equal(t, kindTable, got.kind, where)
				require.NotNil(t, got.table, where)
				assert.Equal(t, typ, got.table.name, where)
			default:
				t.Errorf("%s: type %s unsupported by the verifier (add a kind)", where, typ)
			}
		}
	}
	for name := range layouts {
		assert.Contains(t, decls, name, "descriptor %s has no table in tickwire.fbs", name)
	}
	// Every message type has a root table of the same name, and nothing else does.
	for mt, name := range wire.EnumNamesMessageType {
		if mt == wire.MessageTypeNone {
			assert.Nil(t, rootTables[mt])
			continue
		}
		require.NotNil(t, rootTables[mt], "message type %s has no root descriptor", name)
		assert.Equal(t, name, rootTables[mt].name)
		assert.Contains(t, rootTypes, mt, "walker has no root type for %s", name)
	}
	for i, tl := range rootTables {
		if tl != nil {
			assert.Contains(t, wire.EnumNamesMessageType, wire.MessageType(i))
		}
	}
}

func TestVerifyAcceptsBuiltMessages(t *testing.T) { // not parallel: AllocsPerRun
	msgs := sampleMessages()
	require.Len(t, msgs, len(wire.EnumNamesMessageType)-1, "a sample for every message type")
	for mt, msg := range msgs {
		t.Run(mt.String(), func(t *testing.T) {
			got, err := Verify(msg)
			require.NoError(t, err)
			assert.Equal(t, mt, got)
			calls, err := walkMessage(msg)
			require.NoError(t, err)
			assert.Positive(t, calls)
			assert.Zero(t, testing.AllocsPerRun(10, func() { _, _ = Verify(msg) }), "Verify allocates")
		})
	}
	// Values read back through the generated accessors, spot-checked.
	w := wire.GetRootAsWelcome(msgs[wire.MessageTypeWelcome][1:], 0)
	var k wire.EntityKind
	var f wire.Field
	require.True(t, w.Kinds(&k, 0))
	require.True(t, k.Fields(&f, 2))
	assert.Equal(t, "vx", string(f.Name()))
	assert.Equal(t, int32(102), f.Max())
}

func TestVerifyEmptyTablesUseDefaults(t *testing.T) {
	t.Parallel()
	for mt, tl := range rootTables {
		if tl == nil {
			continue
		}
		b := flatbuffers.NewBuilder(0)
		b.StartObject(0)
		b.Finish(b.EndObject())
		msg := append([]byte{byte(mt)}, b.FinishedBytes()...)
		_, err := Verify(msg)
		require.NoError(t, err, tl.name)
		_, err = walkMessage(msg)
		require.NoError(t, err, tl.name)
	}
}

func TestVerifyRejectsEnvelope(t *testing.T) {
	t.Parallel()
	join := sampleMessages()[wire.MessageTypeJoin]
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"empty", nil, "empty message"},
		{"unknown type", append([]byte{99}, join[1:]...), "unknown message type 99"},
		{"none type", append([]byte{0}, join[1:]...), "unknown message type 0"},
		{"no root", []byte{byte(wire.MessageTypePing), 4, 0}, "Ping: buffer too short for a root offset"},
		{"root past end", []byte{byte(wire.MessageTypePing), 8, 0, 0, 0}, "Ping: root offset out of bounds"},
		{"too big", append([]byte{byte(wire.MessageTypeLeave)}, make([]byte, MaxMessageSize)...), "over the"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.msg)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMalformed)
			var ve *VerifyError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// fieldPos finds where a table's field lives using the FlatBuffers runtime,
// independently of the verifier's descriptors.
func fieldPos(tab flatbuffers.Table, slot int) int {
	off := tab.Offset(flatbuffers.VOffsetT(4 + 2*slot))
	if off == 0 {
		panic("field absent")
	}
	return int(tab.Pos) + int(off)
}

func TestVerifyNamesTheBadField(t *testing.T) {
	t.Parallel()
	msgs := sampleMessages()
	put32 := func(b []byte, pos int, v uint32) { binary.LittleEndian.PutUint32(b[1+pos:], v) }
	get32 := func(b []byte, pos int) int { return int(binary.LittleEndian.Uint32(b[1+pos:])) }
	tests := []struct {
		name    string
		mt      wire.MessageType
		corrupt func(msg []byte)
		want    string
	}{
		{"string length", wire.MessageTypeJoin, func(m []byte) {
			j := wire.GetRootAsJoin(m[1:], 0)
			at := fieldPos(j.Table(), 1) // room
			put32(m, at+get32(m, at), 1<<20)
		}, "Join.room: string out of bounds"},
		{"string offset", wire.MessageTypeKick, func(m []byte) {
			k := wire.GetRootAsKick(m[1:], 0)
			put32(m, fieldPos(k.Table(), 1), 1<<30)
		}, "Kick.reason: string offset out of bounds"},
		{"string NUL", wire.MessageTypeLeave, func(m []byte) {
			l := wire.GetRootAsLeave(m[1:], 0)
			at := fieldPos(l.Table(), 0)
			s := at + get32(m, at)
			m[1+s+4+get32(m, s)] = 'x'
		}, "Leave.reason: string out of bounds"},
		{"struct vector length", wire.MessageTypeInputFrame, func(m []byte) {
			f := wire.GetRootAsInputFrame(m[1:], 0)
			at := fieldPos(f.Table(), 3)
			put32(m, at+get32(m, at), 0xFFFFFFFF)
		}, "InputFrame.inputs: vector out of bounds"},
		{"byte vector length", wire.MessageTypeSnapshot, func(m []byte) {
			s := wire.GetRootAsSnapshot(m[1:], 0)
			at := fieldPos(s.Table(), 1)
			put32(m, at+get32(m, at), 1<<20)
		}, "Snapshot.body: vector out of bounds"},
		{"nested table string", wire.MessageTypeWelcome, func(m []byte) {
			w := wire.GetRootAsWelcome(m[1:], 0)
			var k wire.EntityKind
			var f wire.Field
			w.Kinds(&k, 1)
			k.Fields(&f, 0)
			at := fieldPos(f.Table(), 0)
			put32(m, at+get32(m, at), 1<<16)
		}, "Welcome.kinds[1].fields[0].name: string out of bounds"},
		{"vector element offset", wire.MessageTypeJoin, func(m []byte) {
			j := wire.GetRootAsJoin(m[1:], 0)
			at := fieldPos(j.Table(), 6)
			vec := at + get32(m, at)
			put32(m, vec+4+4, 1<<20)
		}, "Join.params[1]: table offset out of bounds"},
		{"scalar outside table", wire.MessageTypePong, func(m []byte) {
			p := wire.GetRootAsPong(m[1:], 0)
			tab := p.Table()
			vt := int(tab.Pos) - int(int32(get32(m, int(tab.Pos))))
			binary.LittleEndian.PutUint16(m[1+vt+4+2*1:], 400) // server_time_us
		}, "Pong.server_time_us: field outside its table"},
		{"vtable", wire.MessageTypePing, func(m []byte) {
			put32(m, get32(m, 0), 1<<30)
		}, "Ping: vtable out of bounds or misaligned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := append([]byte(nil), msgs[tt.mt]...)
			tt.corrupt(msg)
			mt, err := Verify(msg)
			require.Error(t, err)
			assert.Equal(t, tt.mt, mt)
			assert.EqualError(t, err, tt.want)
		})
	}
}

// TestVerifyMutations flips every byte of every sample message in a few
// ways: Verify never panics, and whatever it accepts reads without panic.
func TestVerifyMutations(t *testing.T) {
	t.Parallel()
	for mt, orig := range sampleMessages() {
		msg := make([]byte, len(orig))
		for i := 1; i < len(orig); i++ {
			for _, v := range []byte{0, 0xFF, 0x80, 0x7F, orig[i] + 1, orig[i] - 4} {
				copy(msg, orig)
				msg[i] = v
				if _, err := Verify(msg); err == nil {
					_, err := walkMessage(msg)
					require.NoError(t, err, "%s byte %d = %#x accepted but unreadable", mt, i, v)
				} else {
					require.True(t, errors.Is(err, ErrMalformed))
				}
			}
		}
		// Every truncation, too.
		for n := 0; n < len(orig); n++ {
			if _, err := Verify(orig[:n]); err == nil {
				_, err := walkMessage(orig[:n])
				require.NoError(t, err, "%s truncated to %d accepted but unreadable", mt, n)
			}
		}
	}
}

// TestVerifyTableLimit: table vectors whose elements all point at one table
// cannot make verification quadratic.
func TestVerifyTableLimit(t *testing.T) {
	t.Parallel()
	b := flatbuffers.NewBuilder(0)
	wire.FieldStart(b)
	field := wire.FieldEnd(b)
	const n = 200 // n*n > MaxTables
	b.StartVector(4, n, 4)
	for range n {
		b.PrependUOffsetT(field)
	}
	fields := b.EndVector(n)
	wire.EntityKindStart(b)
	wire.EntityKindAddFields(b, fields)
	kind := wire.EntityKindEnd(b)
	b.StartVector(4, n, 4)
	for range n {
		b.PrependUOffsetT(kind)
	}
	kinds := b.EndVector(n)
	wire.WelcomeStart(b)
	wire.WelcomeAddKinds(b, kinds)
	b.Finish(wire.WelcomeEnd(b))
	msg := append([]byte{byte(wire.MessageTypeWelcome)}, b.FinishedBytes()...)
	_, err := Verify(msg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 16384 tables")
}

func BenchmarkVerify(b *testing.B) {
	msgs := sampleMessages()
	for _, mt := range []wire.MessageType{wire.MessageTypeInputFrame, wire.MessageTypeSnapshot, wire.MessageTypeWelcome} {
		msg := msgs[mt]
		b.Run(mt.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := Verify(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestTypeChecksOnlyTheTypeByte(t *testing.T) {
	mt, err := Type([]byte{byte(wire.MessageTypeSnapshot), 0xff})
	require.NoError(t, err, "the body is for Verify, not Type")
	assert.Equal(t, wire.MessageTypeSnapshot, mt)
	_, err = Type(nil)
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = Type([]byte{0xEE})
	assert.ErrorIs(t, err, ErrMalformed)
}
