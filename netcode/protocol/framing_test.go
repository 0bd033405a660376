package protocol

import (
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/stretchr/testify/assert"

	"github.com/tickwire/tickwire/schema/wire"
)

// builtSnapshot builds a Snapshot table with the generated builder and
// returns the builder and the table, for the framing comparison.
func builtSnapshot(body []byte) (*flatbuffers.Builder, flatbuffers.UOffsetT) {
	b := flatbuffers.NewBuilder(0)
	v := b.CreateByteVector(body)
	wire.SnapshotStart(b)
	wire.SnapshotAddTick(b, 123456)
	wire.SnapshotAddBody(b, v)
	return b, wire.SnapshotEnd(b)
}

// unionSnapshot is the same snapshot framed the FlatBuffers way: a root
// table `Message { message_type: ubyte; message: MessageUnion; }` (what
// flatc generates for a union field) pointing at the Snapshot table.
func unionSnapshot(body []byte) []byte {
	b, snap := builtSnapshot(body)
	b.StartObject(2)
	b.PrependUOffsetTSlot(1, snap, 0)
	b.PrependByteSlot(0, byte(wire.MessageTypeSnapshot), 0)
	b.Finish(b.EndObject())
	return b.FinishedBytes()
}

// TestFramingOverhead measures what the type byte saves over a union on
// every snapshot; the numbers are the ones quoted in doc.go.
func TestFramingOverhead(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 37, 300} {
		body := make([]byte, n)
		ours := AppendSnapshot(nil, 123456, nil, body)
		b, snap := builtSnapshot(body)
		b.Finish(snap)
		typeByteBuilder := 1 + len(b.FinishedBytes())
		union := len(unionSnapshot(body))
		t.Logf("body %3d: hand layout %d bytes, type byte + builder %d, union %d (+%d)", n, len(ours), typeByteBuilder, union, union-len(ours))
		assert.Equal(t, 28+1+n, len(ours), "hand layout overhead")
		assert.LessOrEqual(t, len(ours), typeByteBuilder+3, "hand layout no bigger than the builder's, padding aside")
		// doc.go quotes 19 to 22 bytes (the spread is alignment padding).
		assert.GreaterOrEqual(t, union-len(ours), 19, "union overhead")
		assert.LessOrEqual(t, union-len(ours), 22, "union overhead")
	}
}
