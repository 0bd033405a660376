package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/tickwire/tickwire/schema/wire"
)

// Limits on what Verify accepts. They bound the work one message can cost,
// not the protocol: every real message is far below them.
const (
	// MaxMessageSize is the largest message Verify accepts, type byte
	// included. It also keeps every offset sum far from overflowing the
	// runtime's 32-bit arithmetic.
	MaxMessageSize = 1 << 24
	// MaxDepth is how deeply tables may nest (Welcome > kinds > fields is 3).
	MaxDepth = 8
	// MaxTables is the most tables one message may contain. Table vectors
	// may share elements, so without it a small message could make the
	// verifier walk the same table a quadratic number of times.
	MaxTables = 1 << 14
)

// ErrMalformed is wrapped by every error Verify returns, so callers can tell
// bad bytes (close the peer) from their own failures with errors.Is.
var ErrMalformed = errors.New("malformed message")

// VerifyError says where in a message Verify found a problem.
type VerifyError struct {
	// Path names the table and field, such as "Welcome.kinds[2].name"; it
	// is only the root table's name for problems with the table itself.
	Path string
	// Problem says what is wrong, such as "string out of bounds".
	Problem string
}

func (e *VerifyError) Error() string {
	if e.Path == "" {
		return e.Problem
	}
	return e.Path + ": " + e.Problem
}

// Unwrap makes every VerifyError match ErrMalformed.
func (e *VerifyError) Unwrap() error { return ErrMalformed }

// Verify checks that msg (a whole WebSocket message: the MessageType byte,
// then a FlatBuffers buffer) is a well-formed message of a known type: the
// root table, its vtable, every field, string, vector, struct and nested
// table of that type lie inside the buffer, so every accessor generated in
// package wire reads in bounds and never panics. It does not judge values
// (ranges, UTF-8): that is the reader's job.
//
// It returns the message's type; on error the type is MessageTypeNone when
// the type byte itself is unknown. Errors wrap ErrMalformed and are
// *VerifyError. Verify does not allocate unless it fails.
func Verify(msg []byte) (wire.MessageType, error) {
	mt, err := Type(msg)
	if err != nil {
		return mt, err
	}
	root := rootTables[mt]
	if len(msg) > MaxMessageSize {
		return mt, &VerifyError{Path: root.name, Problem: fmt.Sprintf("message of %d bytes is over the %d limit", len(msg), MaxMessageSize)}
	}
	v := verifier{buf: msg[1:]}
	if len(v.buf) < 4 {
		return mt, &VerifyError{Path: root.name, Problem: "buffer too short for a root offset"}
	}
	pos, ok := v.follow(0)
	if !ok {
		return mt, &VerifyError{Path: root.name, Problem: "root offset out of bounds"}
	}
	if err := v.table(pos, root, 1); err != nil {
		err.Path = root.name + joinPath(err.Path)
		return mt, err
	}
	return mt, nil
}

// Type returns the message type msg's first byte names, checking only that
// it is a known type. Readers dispatch on it; the protocol's Parse
// functions then Verify the whole message before reading a field, so a
// message is walked once.
func Type(msg []byte) (wire.MessageType, error) {
	if len(msg) == 0 {
		return wire.MessageTypeNone, &VerifyError{Problem: "empty message"}
	}
	mt := wire.MessageType(msg[0])
	if rootTables[mt] == nil {
		return wire.MessageTypeNone, &VerifyError{Problem: "unknown message type " + strconv.Itoa(int(msg[0]))}
	}
	return mt, nil
}

// joinPath prefixes a nested path with "." unless it is empty or an index.
func joinPath(p string) string {
	if p == "" || p[0] == '[' {
		return p
	}
	return "." + p
}

// verifier walks one buffer (the message without its type byte); offsets
// are relative to the buffer's start, which is also what alignment is
// measured from, as every FlatBuffers builder does.
type verifier struct {
	buf    []byte
	tables int
}

// follow reads the uoffset at pos (which must be in bounds and aligned)
// and returns the position it points to, if that is inside the buffer.
func (v *verifier) follow(pos int) (int, bool) {
	if pos%4 != 0 || !v.inBounds(pos, 4) {
		return 0, false
	}
	target := uint64(pos) + uint64(binary.LittleEndian.Uint32(v.buf[pos:]))
	if target >= uint64(len(v.buf)) {
		return 0, false
	}
	return int(target), true
}

// inBounds reports whether n bytes at pos lie inside the buffer, without
// overflowing for any pos, n >= 0.
func (v *verifier) inBounds(pos int, n uint64) bool {
	return pos >= 0 && pos <= len(v.buf) && n <= uint64(len(v.buf)-pos)
}

func problem(path, format string, args ...any) *VerifyError {
	return &VerifyError{Path: path, Problem: fmt.Sprintf(format, args...)}
}

// table verifies the table at pos and, through its fields, everything it
// reaches. Errors carry the path below this table; callers prefix it.
func (v *verifier) table(pos int, t *tableLayout, depth int) *VerifyError {
	if depth > MaxDepth {
		return problem("", "tables nested deeper than %d", MaxDepth)
	}
	if v.tables++; v.tables > MaxTables {
		return problem("", "more than %d tables", MaxTables)
	}
	if pos%4 != 0 || !v.inBounds(pos, 4) {
		return problem("", "table out of bounds or misaligned")
	}
	vt := int64(pos) - int64(int32(binary.LittleEndian.Uint32(v.buf[pos:])))
	if vt < 0 || vt%2 != 0 || vt > int64(len(v.buf)) || !v.inBounds(int(vt), 4) {
		return problem("", "vtable out of bounds or misaligned")
	}
	vtable := int(vt)
	vsize := int(binary.LittleEndian.Uint16(v.buf[vtable:]))
	tsize := int(binary.LittleEndian.Uint16(v.buf[vtable+2:]))
	if vsize < 4 || vsize%2 != 0 || !v.inBounds(vtable, uint64(vsize)) {
		return problem("", "vtable size %d invalid or out of bounds", vsize)
	}
	if tsize < 4 || !v.inBounds(pos, uint64(tsize)) {
		return problem("", "table size %d invalid or out of bounds", tsize)
	}
	for slot := range t.fields {
		entry := 4 + 2*slot
		if entry >= vsize {
			break // absent: an older writer, the accessor returns the default
		}
		off := int(binary.LittleEndian.Uint16(v.buf[vtable+entry:]))
		if off == 0 {
			continue // absent
		}
		f := &t.fields[slot]
		size := f.inlineSize()
		if off < 4 || off+size > tsize {
			return problem(f.name, "field outside its table")
		}
		at := pos + off
		if at%size != 0 {
			return problem(f.name, "field misaligned")
		}
		if f.kind == kindScalar {
			continue
		}
		if err := v.reference(at, f, depth); err != nil {
			err.Path = f.name + joinPath(err.Path)
			return err
		}
	}
	return nil
}

// reference verifies what the uoffset field at pos points to.
func (v *verifier) reference(pos int, f *fieldLayout, depth int) *VerifyError {
	target, ok := v.follow(pos)
	if !ok {
		return problem("", "%s offset out of bounds", f.kind)
	}
	switch f.kind {
	case kindTable:
		return v.table(target, f.table, depth+1)
	case kindString:
		n, ok := v.vectorLen(target, 1, 1)
		if !ok || !v.inBounds(target+4+n, 1) || v.buf[target+4+n] != 0 {
			return problem("", "string out of bounds")
		}
		return nil
	case kindScalarVector, kindStructVector:
		if _, ok := v.vectorLen(target, f.elemSize, f.elemAlign); !ok {
			return problem("", "vector out of bounds")
		}
		return nil
	case kindTableVector:
		n, ok := v.vectorLen(target, 4, 4)
		if !ok {
			return problem("", "vector out of bounds")
		}
		for i := 0; i < n; i++ {
			elem := target + 4 + 4*i
			at, ok := v.follow(elem)
			if !ok {
				return problem("["+strconv.Itoa(i)+"]", "table offset out of bounds")
			}
			if err := v.table(at, f.table, depth+1); err != nil {
				err.Path = "[" + strconv.Itoa(i) + "]" + joinPath(err.Path)
				return err
			}
		}
		return nil
	}
	return problem("", "unknown field kind %d", f.kind) // a bad descriptor
}

// vectorLen checks the vector (or string) whose length prefix is at pos:
// prefix aligned, elements aligned and all n*elemSize bytes in bounds.
func (v *verifier) vectorLen(pos, elemSize, elemAlign int) (int, bool) {
	if pos%4 != 0 || (pos+4)%elemAlign != 0 || !v.inBounds(pos, 4) {
		return 0, false
	}
	n := uint64(binary.LittleEndian.Uint32(v.buf[pos:]))
	// n < 2^32 and elemSize is small, so the product cannot overflow.
	if !v.inBounds(pos+4, n*uint64(elemSize)) {
		return 0, false
	}
	return int(n), true
}

// The descriptors below mirror tickwire.fbs: a table's fields in slot order
// (the order they are declared in), each with what its slot holds. Adding a
// field to the schema is adding its line here, at the same position;
// TestLayoutsMatchSchema fails until the two agree.

// fieldKind is what a table's field slot holds.
type fieldKind uint8

const (
	kindScalar       fieldKind = iota // inline scalar of elemSize bytes
	kindString                        // uoffset to length, bytes, NUL
	kindScalarVector                  // uoffset to [scalar]
	kindStructVector                  // uoffset to [struct], inline structs
	kindTableVector                   // uoffset to [table], uoffsets to tables
	kindTable                         // uoffset to a table
)

func (k fieldKind) String() string {
	switch k {
	case kindScalar:
		return "scalar"
	case kindString:
		return "string"
	case kindScalarVector, kindStructVector, kindTableVector:
		return "vector"
	case kindTable:
		return "table"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

type fieldLayout struct {
	name string
	kind fieldKind
	// elemSize and elemAlign are the scalar's size (kindScalar) or the size
	// and alignment of one element (scalar and struct vectors).
	elemSize, elemAlign int
	table               *tableLayout // kindTable, kindTableVector
}

// inlineSize is how many bytes the field takes inside its table.
func (f *fieldLayout) inlineSize() int {
	if f.kind == kindScalar {
		return f.elemSize
	}
	return 4
}

type tableLayout struct {
	name   string
	fields []fieldLayout // index = slot
}

func scalar(name string, size int) fieldLayout {
	return fieldLayout{name: name, kind: kindScalar, elemSize: size, elemAlign: size}
}

func str(name string) fieldLayout { return fieldLayout{name: name, kind: kindString} }

func scalars(name string, size int) fieldLayout {
	return fieldLayout{name: name, kind: kindScalarVector, elemSize: size, elemAlign: size}
}

func structs(name string, size, align int) fieldLayout {
	return fieldLayout{name: name, kind: kindStructVector, elemSize: size, elemAlign: align}
}

func tables(name string, t *tableLayout) fieldLayout {
	return fieldLayout{name: name, kind: kindTableVector, table: t}
}

// inputSize and inputAlign are the layout of struct Input.
const inputSize, inputAlign = 12, 4

var (
	paramTable = &tableLayout{"Param", []fieldLayout{
		str("key"),
		str("value"),
	}}
	joinTable = &tableLayout{"Join", []fieldLayout{
		scalar("protocol_version", 2),
		str("room"),
		str("player_name"),
		str("token"),
		str("resume_token"),
		str("game"),
		tables("params", paramTable),
	}}
	inputFrameTable = &tableLayout{"InputFrame", []fieldLayout{
		scalar("ack_tick", 4),
		scalar("ack_delay_us", 4),
		scalar("view_time", 8),
		structs("inputs", inputSize, inputAlign),
	}}
	pongTable = &tableLayout{"Pong", []fieldLayout{
		scalar("id", 4),
		scalar("server_time_us", 8),
		scalar("hold_us", 4),
	}}
	leaveTable = &tableLayout{"Leave", []fieldLayout{
		str("reason"),
	}}
	fieldTable = &tableLayout{"Field", []fieldLayout{
		str("name"),
		scalar("min", 4),
		scalar("max", 4),
		scalar("step", 4),
		scalar("rate", 1),
	}}
	entityKindTable = &tableLayout{"EntityKind", []fieldLayout{
		str("name"),
		tables("fields", fieldTable),
	}}
	welcomeTable = &tableLayout{"Welcome", []fieldLayout{
		scalar("protocol_version", 2),
		scalar("player_id", 4),
		scalar("entity_id", 4),
		scalar("tick_rate", 2),
		scalar("server_tick", 4),
		scalar("server_time_us", 8),
		str("resume_token"),
		str("room"),
		str("game"),
		tables("params", paramTable),
		tables("kinds", entityKindTable),
	}}
	snapshotTable = &tableLayout{"Snapshot", []fieldLayout{
		scalar("tick", 4),
		scalars("body", 1),
	}}
	pingTable = &tableLayout{"Ping", []fieldLayout{
		scalar("id", 4),
		scalar("server_time_us", 8),
	}}
	kickTable = &tableLayout{"Kick", []fieldLayout{
		scalar("code", 2),
		str("reason"),
	}}
	rosterEntryTable = &tableLayout{"RosterEntry", []fieldLayout{
		scalar("player_id", 4),
		scalar("entity_id", 4),
		str("name"),
		scalar("connected", 1),
	}}
	rosterTable = &tableLayout{"Roster", []fieldLayout{
		tables("players", rosterEntryTable),
	}}
)

// rootTables maps each message type byte to its root table; nil = unknown.
var rootTables = [256]*tableLayout{
	wire.MessageTypeJoin:       joinTable,
	wire.MessageTypeInputFrame: inputFrameTable,
	wire.MessageTypePong:       pongTable,
	wire.MessageTypeLeave:      leaveTable,
	wire.MessageTypeWelcome:    welcomeTable,
	wire.MessageTypeSnapshot:   snapshotTable,
	wire.MessageTypePing:       pingTable,
	wire.MessageTypeKick:       kickTable,
	wire.MessageTypeRoster:     rosterTable,
}
