package delta

import (
	"math/bits"

	"github.com/tickwire/tickwire/sim"
)

// Encoder writes entity deltas for one schema. It keeps scratch space
// between calls so steady-state encoding does not allocate; it is not safe
// for concurrent use (a room owns one).
type Encoder struct {
	s     *Schema
	ops   []op    // base entities that changed or went away, in base order
	added []int32 // indexes in cur of entities the base lacks, in ID order
	kept  []int32 // indexes in cur of entities the base has, in ID order
	w     bitWriter
}

// refBudget bounds the candidates AppendDelta examines when it looks for
// reference entities, so a frame with many additions stays cheap to encode.
const refBudget = 4096

// op is what happened to one base entity.
type op struct {
	base    int32  // index in the base frame
	cur     int32  // index in the current frame; -1 when removed
	changed uint16 // fields whose value differs from the prediction
}

// NewEncoder returns an encoder for s.
func NewEncoder(s *Schema) *Encoder {
	return &Encoder{s: s}
}

// AppendDelta appends to dst the entity delta that turns base into cur
// (base nil: a full frame) and returns the extended slice. Both frames must
// come from Quantize or DecodeDelta of the encoder's schema. The format is
// described in the package doc.
func (e *Encoder) AppendDelta(dst []byte, base, cur *Frame) []byte {
	var baseEnts []Entity
	var baseTick sim.Tick
	if base != nil {
		baseEnts, baseTick = base.Entities, base.Tick
	}
	dt := tickDistance(baseTick, cur.Tick)
	e.classify(baseEnts, cur.Entities, dt)

	e.w = bitWriter{buf: dst}
	w := &e.w
	if len(baseEnts) > 0 {
		w.writeEG(uint64(len(e.ops)))
		next := int32(0)
		for _, o := range e.ops {
			w.writeEG(uint64(o.base - next))
			next = o.base + 1
			if o.cur < 0 {
				w.write(1, 1)
				continue
			}
			w.write(0, 1)
			e.writeChanged(&baseEnts[o.base], &cur.Entities[o.cur], o.changed, dt)
		}
	}
	w.writeEG(uint64(len(e.added)))
	var prevID sim.EntityID // IDs of added entities are coded as gaps
	if len(baseEnts) > 0 {
		prevID = baseEnts[len(baseEnts)-1].ID
	}
	budget := refBudget
	for i, ci := range e.added {
		ent := &cur.Entities[ci]
		switch {
		case i > 0:
			w.writeEG(uint64(ent.ID - prevID - 1))
		case ent.ID > prevID:
			w.write(0, 1)
			w.writeEG(uint64(ent.ID - prevID - 1))
		default:
			w.write(1, 1)
			w.writeEG(uint64(prevID - ent.ID))
		}
		prevID = ent.ID
		e.writeAdded(ent, cur.Entities, &budget)
	}
	out := w.finish()
	e.w = bitWriter{}
	return out
}

// classify fills e.ops and e.added by walking both ID-sorted frames.
func (e *Encoder) classify(base, cur []Entity, dt int64) {
	e.ops, e.added, e.kept = e.ops[:0], e.added[:0], e.kept[:0]
	i, j := 0, 0
	for i < len(base) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(base) && base[i].ID < cur[j].ID):
			e.ops = append(e.ops, op{base: int32(i), cur: -1})
			i++
		case i == len(base) || cur[j].ID < base[i].ID:
			e.added = append(e.added, int32(j))
			j++
		case base[i].Kind != cur[j].Kind:
			// Same ID, new kind: the old entity went away and a new one came.
			e.ops = append(e.ops, op{base: int32(i), cur: -1})
			e.added = append(e.added, int32(j))
			i++
			j++
		default:
			e.kept = append(e.kept, int32(j))
			if m := e.changedFields(&base[i], &cur[j], dt); m != 0 {
				e.ops = append(e.ops, op{base: int32(i), cur: int32(j), changed: m})
			}
			i++
			j++
		}
	}
}

// changedFields returns the mask of fields of c that differ from their
// prediction from b.
func (e *Encoder) changedFields(b, c *Entity, dt int64) uint16 {
	k := &e.s.kinds[c.Kind]
	var m uint16
	for fi := range k.fields {
		if c.Values[fi] != k.predict(fi, b, c, dt) {
			m |= 1 << fi
		}
	}
	return m
}

// writeChanged writes the field mask and each changed field's residual.
func (e *Encoder) writeChanged(b, c *Entity, mask uint16, dt int64) {
	k := &e.s.kinds[c.Kind]
	e.w.write(uint64(mask), uint(len(k.fields)))
	for _, fi := range k.order {
		if mask&(1<<fi) == 0 {
			continue
		}
		e.writeResidual(&k.fields[fi], int64(c.Values[fi])-int64(k.predict(fi, b, c, dt)))
	}
}

// writeAdded writes an added entity's kind and fields, against a reference
// entity when one makes them cheaper.
func (e *Encoder) writeAdded(ent *Entity, cur []Entity, budget *int) {
	w := &e.w
	w.write(uint64(ent.Kind), e.s.kindBits)
	k := &e.s.kinds[ent.Kind]
	idx := -1
	if k.canRef && len(e.kept) > 0 {
		idx = e.findRef(k, ent, cur, budget)
		if idx < 0 {
			w.write(0, 1)
		} else {
			w.write(1, 1)
			w.writeEG(uint64(idx))
		}
	}
	var ref *Entity
	var like *[sim.MaxFields]int8
	if idx >= 0 {
		ref = &cur[e.kept[idx]]
		like = &k.like[ref.Kind]
	}
	for fi := range k.fields {
		if like == nil || like[fi] < 0 {
			w.write(uint64(uint32(ent.Values[fi])), k.fields[fi].width)
			continue
		}
		if res := int64(ent.Values[fi]) - int64(e.s.refPredict(k, fi, ref)); res != 0 {
			w.write(1, 1)
			e.writeResidual(&k.fields[fi], res)
		} else {
			w.write(0, 1)
		}
	}
}

// writeResidual writes a non-zero difference from a prediction: the bit
// length of its zigzag form in lenBits, then its bits below the top one.
func (e *Encoder) writeResidual(f *field, res int64) {
	zz := uint64(res<<1) ^ uint64(res>>63)
	n := uint(bits.Len64(zz))
	e.w.write(uint64(n-1), f.lenBits)
	e.w.write(zz&(1<<(n-1)-1), n-1)
}

// residualCost is the bits writeResidual spends on res, plus the flag bit.
func residualCost(f *field, res int64) uint {
	if res == 0 {
		return 1
	}
	zz := uint64(res<<1) ^ uint64(res>>63)
	return 1 + f.lenBits + uint(bits.Len64(zz)) - 1
}

// findRef returns the index in e.kept of the entity that codes ent's
// like-named fields cheapest, or -1 when raw values are cheaper. It stops
// at the first exact match (a later one would cost a longer index) or when
// the budget of candidates runs out.
func (e *Encoder) findRef(k *kind, ent *Entity, cur []Entity, budget *int) int {
	var raw uint
	for fi := range k.fields {
		raw += k.fields[fi].width
	}
	best, bestCost := -1, raw
	for idx, cj := range e.kept {
		if *budget <= 0 {
			break
		}
		*budget--
		ref := &cur[cj]
		if int(ref.Kind) >= len(k.like) {
			continue
		}
		like := &k.like[ref.Kind]
		cost, exact := egCost(uint64(idx)), true
		for fi := range k.fields {
			if like[fi] < 0 {
				cost += k.fields[fi].width
				continue
			}
			res := int64(ent.Values[fi]) - int64(e.s.refPredict(k, fi, ref))
			exact = exact && res == 0
			cost += residualCost(&k.fields[fi], res)
		}
		if cost < bestCost {
			best, bestCost = idx, cost
			if exact {
				break
			}
		}
	}
	return best
}
