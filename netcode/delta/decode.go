package delta

import (
	"fmt"
	"math"
	"slices"

	"github.com/tickwire/tickwire/sim"
)

// DecodeDelta decodes the entity delta data, written by AppendDelta against
// base (nil: a full frame), into dst as the frame of tick. dst's storage is
// reused; dst may be base itself (then base is copied first, which
// allocates). data is untrusted: any malformed input (truncated, trailing
// bytes, unknown kind, value out of its quantized range, IDs out of order,
// more than MaxEntities entities) gives an error wrapping ErrMalformed and
// leaves dst empty, never a panic. base must be a frame of this schema.
func (s *Schema) DecodeDelta(dst, base *Frame, tick sim.Tick, data []byte) error {
	var baseEnts []Entity
	var baseTick sim.Tick
	if base != nil {
		baseEnts, baseTick = base.Entities, base.Tick
		if base == dst || (len(baseEnts) > 0 && cap(dst.Entities) > 0 &&
			&baseEnts[:1][0] == &dst.Entities[:1][0]) {
			baseEnts = slices.Clone(baseEnts)
		}
	}
	out, err := s.decode(dst.Entities[:0], baseEnts, tickDistance(baseTick, tick), data)
	dst.Tick = tick
	if err != nil {
		dst.Entities = out[:0]
		return err
	}
	dst.Entities = out
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func (s *Schema) decode(out, base []Entity, dt int64, data []byte) ([]Entity, error) {
	r := bitReader{data: data}
	next := 0 // next base entity not yet accounted for
	if len(base) > 0 {
		nops := r.readEG()
		if r.failed || nops > uint64(len(base)) {
			return out, malformed("%d changes for a baseline of %d entities", nops, len(base))
		}
		for range nops {
			skip := r.readEG()
			if r.failed || skip >= uint64(len(base)-next) {
				return out, malformed("change skips past the baseline's %d entities", len(base))
			}
			var err error
			if out, err = s.predictRun(out, base[next:next+int(skip)], dt); err != nil {
				return out, err
			}
			next += int(skip)
			b := &base[next]
			next++
			if r.read(1) == 1 {
				continue // removed
			}
			ent, err := s.readChanged(&r, b, dt)
			if err != nil {
				return out, err
			}
			out = append(out, ent)
		}
	}
	out, err := s.predictRun(out, base[next:], dt)
	if err != nil {
		return out, err
	}

	nadd := r.readEG()
	if r.failed || nadd > uint64(MaxEntities-len(out)) || nadd > uint64(r.remaining()) {
		return out, malformed("%d added entities", nadd)
	}
	kept := len(out)
	out = slices.Grow(out, int(nadd))
	var prevID uint64 // IDs of added entities are coded as gaps
	if len(base) > 0 {
		prevID = uint64(base[len(base)-1].ID)
	}
	for i := range nadd {
		var id uint64
		switch {
		case i > 0:
			id = prevID + 1 + r.readEG()
		case r.read(1) == 0:
			id = prevID + 1 + r.readEG()
		default:
			id = prevID - min(r.readEG(), prevID)
		}
		if r.failed || id == 0 || id > math.MaxUint32 {
			return out, malformed("added entity %d: id %d", i, id)
		}
		prevID = id
		ent, err := s.readAdded(&r, sim.EntityID(id), out[:kept])
		if err != nil {
			return out, err
		}
		out = append(out, ent)
	}
	if r.failed {
		return out, malformed("truncated")
	}
	if !r.atCleanEnd() {
		return out, malformed("%d bits of trailing data", r.remaining())
	}
	// Added entities usually have IDs above every kept one; otherwise merge.
	if kept > 0 && len(out) > kept && out[kept].ID <= out[kept-1].ID {
		slices.SortFunc(out, func(a, b Entity) int { return cmpID(a.ID, b.ID) })
		for i := 1; i < len(out); i++ {
			if out[i].ID == out[i-1].ID {
				return out, malformed("entity %d added twice", out[i].ID)
			}
		}
	}
	return out, nil
}

// readAdded reads an added entity's kind and fields; kept are the
// entities it may name as its reference.
func (s *Schema) readAdded(r *bitReader, id sim.EntityID, kept []Entity) (Entity, error) {
	kindIdx := r.read(s.kindBits)
	if r.failed || kindIdx >= uint64(len(s.kinds)) {
		return Entity{}, malformed("added entity %d: kind %d", id, kindIdx)
	}
	ent := Entity{ID: id, Kind: uint8(kindIdx)}
	k := &s.kinds[kindIdx]
	var like *[sim.MaxFields]int8
	var ref *Entity
	if k.canRef && len(kept) > 0 && r.read(1) == 1 {
		idx := r.readEG()
		if r.failed || idx >= uint64(len(kept)) || int(kept[idx].Kind) >= len(k.like) {
			return Entity{}, malformed("entity %d: bad reference entity %d", id, idx)
		}
		ref = &kept[idx]
		like = &k.like[ref.Kind]
	}
	for fi := range k.fields {
		f := &k.fields[fi]
		if like == nil || like[fi] < 0 {
			q := r.read(f.width)
			if q > uint64(f.qmax) {
				return Entity{}, malformed("entity %d field %d: value %d out of range", id, fi, q)
			}
			ent.Values[fi] = int32(q)
			continue
		}
		ent.Values[fi] = s.refPredict(k, fi, ref)
		if r.read(1) == 1 {
			q, err := readResidual(r, f, ent.Values[fi])
			if err != nil {
				return Entity{}, fmt.Errorf("entity %d field %d: %w", id, fi, err)
			}
			ent.Values[fi] = q
		}
	}
	return ent, nil
}

// predictRun appends the base entities that did not change, moved along
// their rate fields.
func (s *Schema) predictRun(out, run []Entity, dt int64) ([]Entity, error) {
	for i := range run {
		b := &run[i]
		if int(b.Kind) >= len(s.kinds) {
			return out, malformed("baseline entity %d has unknown kind %d", b.ID, b.Kind)
		}
		k := &s.kinds[b.Kind]
		out = append(out, *b)
		if dt != 0 {
			// Rate fields are unrated, so the copy's rates are b's.
			ent := &out[len(out)-1]
			for _, fi := range k.rated {
				ent.Values[fi] = k.predict(fi, b, ent, dt)
			}
		}
	}
	return out, nil
}

// readChanged reads a changed entity's field mask and residuals.
func (s *Schema) readChanged(r *bitReader, b *Entity, dt int64) (Entity, error) {
	if int(b.Kind) >= len(s.kinds) {
		return Entity{}, malformed("baseline entity %d has unknown kind %d", b.ID, b.Kind)
	}
	k := &s.kinds[b.Kind]
	mask := r.read(uint(len(k.fields)))
	if r.failed || mask == 0 {
		return Entity{}, malformed("entity %d: empty or truncated change", b.ID)
	}
	ent := *b
	for _, fi := range k.order {
		pred := k.predict(fi, b, &ent, dt)
		ent.Values[fi] = pred
		if mask&(1<<fi) == 0 {
			continue
		}
		q, err := readResidual(r, &k.fields[fi], pred)
		if err != nil {
			return Entity{}, fmt.Errorf("entity %d field %d: %w", b.ID, fi, err)
		}
		ent.Values[fi] = q
	}
	return ent, nil
}

// readResidual reads what writeResidual wrote and applies it to pred.
func readResidual(r *bitReader, f *field, pred int32) (int32, error) {
	n := uint(r.read(f.lenBits)) + 1
	if n > f.resWidth {
		return 0, malformed("residual of %d bits", n)
	}
	zz := 1<<(n-1) | r.read(n-1)
	res := int64(zz>>1) ^ -int64(zz&1)
	q := int64(pred) + res
	if r.failed || q < 0 || q > f.qmax {
		return 0, malformed("value %d out of range", q)
	}
	return int32(q), nil
}
