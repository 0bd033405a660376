package delta

import (
	"encoding/binary"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tickwire/tickwire/sim"
)

// The alternatives the bit-packed format was measured against (see doc.go).
// They share the encoder's classification and rate prediction, so only the
// layout differs.

// appendVarintDelta is the byte-aligned layout: the same lists as the
// bit-packed format with every number a varint.
func (e *Encoder) appendVarintDelta(dst []byte, base, cur *Frame) []byte {
	var baseEnts []Entity
	var baseTick sim.Tick
	if base != nil {
		baseEnts, baseTick = base.Entities, base.Tick
	}
	dt := tickDistance(baseTick, cur.Tick)
	e.classify(baseEnts, cur.Entities, dt)
	if len(baseEnts) > 0 {
		dst = binary.AppendUvarint(dst, uint64(len(e.ops)))
		next := int32(0)
		for _, o := range e.ops {
			removed := uint64(0)
			if o.cur < 0 {
				removed = 1
			}
			dst = binary.AppendUvarint(dst, uint64(o.base-next)<<1|removed)
			next = o.base + 1
			if o.cur < 0 {
				continue
			}
			b, c := &baseEnts[o.base], &cur.Entities[o.cur]
			k := &e.s.kinds[c.Kind]
			dst = binary.AppendUvarint(dst, uint64(o.changed))
			for fi := range k.fields {
				if o.changed&(1<<fi) != 0 {
					dst = binary.AppendVarint(dst, int64(c.Values[fi])-int64(k.predict(fi, b, c, dt)))
				}
			}
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.added)))
	var ref sim.EntityID
	if len(baseEnts) > 0 {
		ref = baseEnts[len(baseEnts)-1].ID
	}
	for i, ci := range e.added {
		ent := &cur.Entities[ci]
		if i == 0 {
			dst = binary.AppendVarint(dst, int64(ent.ID)-int64(ref))
		} else {
			dst = binary.AppendUvarint(dst, uint64(ent.ID-ref-1))
		}
		ref = ent.ID
		dst = append(dst, ent.Kind)
		for fi := range e.s.kinds[ent.Kind].fields {
			dst = binary.AppendUvarint(dst, uint64(ent.Values[fi]))
		}
	}
	return dst
}

// fbDelta is the FlatBuffers layout: one table of seven vectors (removed
// IDs; changed IDs, field masks and residuals; added IDs, kinds and values).
type fbDelta struct {
	b                             *flatbuffers.Builder
	removed, changedIDs, addedIDs []uint32
	masks                         []uint16
	residuals, addedValues        []int32
	addedKinds                    []byte
	vecs                          [7]flatbuffers.UOffsetT
}

func (f *fbDelta) append(e *Encoder, dst []byte, base, cur *Frame) []byte {
	if f.b == nil {
		f.b = flatbuffers.NewBuilder(1024)
	}
	var baseEnts []Entity
	var baseTick sim.Tick
	if base != nil {
		baseEnts, baseTick = base.Entities, base.Tick
	}
	dt := tickDistance(baseTick, cur.Tick)
	e.classify(baseEnts, cur.Entities, dt)
	f.removed, f.changedIDs, f.addedIDs = f.removed[:0], f.changedIDs[:0], f.addedIDs[:0]
	f.masks, f.residuals, f.addedValues, f.addedKinds = f.masks[:0], f.residuals[:0], f.addedValues[:0], f.addedKinds[:0]
	for _, o := range e.ops {
		b := &baseEnts[o.base]
		if o.cur < 0 {
			f.removed = append(f.removed, uint32(b.ID))
			continue
		}
		c := &cur.Entities[o.cur]
		f.changedIDs = append(f.changedIDs, uint32(c.ID))
		f.masks = append(f.masks, o.changed)
		k := &e.s.kinds[c.Kind]
		for fi := range k.fields {
			if o.changed&(1<<fi) != 0 {
				f.residuals = append(f.residuals, c.Values[fi]-k.predict(fi, b, c, dt))
			}
		}
	}
	for _, ci := range e.added {
		c := &cur.Entities[ci]
		f.addedIDs = append(f.addedIDs, uint32(c.ID))
		f.addedKinds = append(f.addedKinds, c.Kind)
		f.addedValues = append(f.addedValues, c.Values[:len(e.s.kinds[c.Kind].fields)]...)
	}
	fb := f.b
	fb.Reset()
	u32 := func(v []uint32) flatbuffers.UOffsetT {
		fb.StartVector(4, len(v), 4)
		for i := len(v) - 1; i >= 0; i-- {
			fb.PrependUint32(v[i])
		}
		return fb.EndVector(len(v))
	}
	i32 := func(v []int32) flatbuffers.UOffsetT {
		fb.StartVector(4, len(v), 4)
		for i := len(v) - 1; i >= 0; i-- {
			fb.PrependInt32(v[i])
		}
		return fb.EndVector(len(v))
	}
	f.vecs[0] = u32(f.removed)
	f.vecs[1] = u32(f.changedIDs)
	fb.StartVector(2, len(f.masks), 2)
	for i := len(f.masks) - 1; i >= 0; i-- {
		fb.PrependUint16(f.masks[i])
	}
	f.vecs[2] = fb.EndVector(len(f.masks))
	f.vecs[3] = i32(f.residuals)
	f.vecs[4] = u32(f.addedIDs)
	f.vecs[5] = fb.CreateByteVector(f.addedKinds)
	f.vecs[6] = i32(f.addedValues)
	fb.StartObject(7)
	for i, v := range f.vecs {
		if fb.Offset() != 0 {
			fb.PrependUOffsetTSlot(i, v, 0)
		}
	}
	fb.Finish(fb.EndObject())
	return append(dst, fb.FinishedBytes()...)
}

// envelopeSize is the size of the whole WebSocket message carrying body:
// the type byte and a FlatBuffers Snapshot{tick, body}.
func envelopeSize(b *flatbuffers.Builder, tick sim.Tick, body []byte) int {
	b.Reset()
	vec := b.CreateByteVector(body)
	b.StartObject(2)
	b.PrependUint32Slot(0, uint32(tick), 0)
	b.PrependUOffsetTSlot(1, vec, 0)
	b.Finish(b.EndObject())
	return 1 + len(b.FinishedBytes())
}
