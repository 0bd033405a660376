package delta

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/tickwire/tickwire/sim"
)

// MaxKinds is the most entity kinds a schema may declare: a kind travels as
// a uint8.
const MaxKinds = 256

// MaxEntities is the most entities a decoded frame may hold. It bounds what
// a hostile snapshot can make a client allocate.
const MaxEntities = 65535

// maxPredictTicks caps the tick distance used for rate prediction so the
// prediction cannot overflow int64; both ends apply the same cap.
const maxPredictTicks = 1 << 20

// Errors. Every error this package returns wraps one of these.
var (
	// ErrSchema means a kind declaration was rejected by NewSchema.
	ErrSchema = errors.New("delta: invalid schema")
	// ErrMalformed means entity delta or header bytes could not be decoded.
	ErrMalformed = errors.New("delta: malformed data")
)

// Entity is one entity in quantized form: Values[i] is the wire integer of
// the kind's i-th field, in 0..round((Max-Min)/Step); unused values are 0.
type Entity struct {
	ID     sim.EntityID
	Kind   uint8
	Values [sim.MaxFields]int32
}

// Frame is the quantized world of one tick, sorted by entity ID.
type Frame struct {
	Tick     sim.Tick
	Entities []Entity
}

// field is a FieldSpec prepared for the codec.
type field struct {
	min, max, step int64
	qmax           int64 // largest wire value
	width          uint  // bits of a raw value: bits.Len(qmax)
	lenBits        uint  // bits of a residual's length prefix
	resWidth       uint  // bits of the largest zigzagged residual: bits.Len(2*qmax)
	rate           int   // index of the rate field, or -1
}

// kind is a KindSpec prepared for the codec.
type kind struct {
	fields []field
	// rated lists the fields predicted from a rate field (the tail of
	// order); an unchanged entity moves along these alone.
	rated []int
	// order lists the fields in wire order: fields without a rate first,
	// then the predicted ones, whose prediction needs their rate field's
	// new value.
	order []int
	// like[b][fi] is the field of kind b named like field fi, or -1: an
	// added entity may code such fields against an entity of kind b (a shot
	// against its shooter's x, y and aim). Only among the first maxRefKinds
	// kinds, to bound the table.
	like   [][sim.MaxFields]int8
	canRef bool // some kind has a field named like one of ours
}

// maxRefKinds bounds the kinds that take part in reference coding.
const maxRefKinds = 16

// Schema quantizes worlds into frames and decodes entity deltas for one set
// of entity kinds. It is immutable after NewSchema and safe for concurrent
// use; encoding state lives in an Encoder.
type Schema struct {
	kinds    []kind
	kindBits uint
}

// NewSchema checks the kinds and prepares them for the codec. Kinds are
// indexed by their position, which is the Kind of an entity.
func NewSchema(kinds []sim.KindSpec) (*Schema, error) {
	if len(kinds) > MaxKinds {
		return nil, fmt.Errorf("%w: %d kinds, at most %d", ErrSchema, len(kinds), MaxKinds)
	}
	s := &Schema{kinds: make([]kind, len(kinds))}
	if len(kinds) > 1 {
		s.kindBits = uint(bits.Len(uint(len(kinds) - 1)))
	}
	for ki, ks := range kinds {
		if len(ks.Fields) > sim.MaxFields {
			return nil, fmt.Errorf("%w: kind %d (%q) has %d fields, at most %d", ErrSchema, ki, ks.Name, len(ks.Fields), sim.MaxFields)
		}
		k := kind{fields: make([]field, len(ks.Fields))}
		for fi, fs := range ks.Fields {
			where := fmt.Sprintf("kind %d (%q) field %d (%q)", ki, ks.Name, fi, fs.Name)
			if slices.IndexFunc(ks.Fields[:fi], func(o sim.FieldSpec) bool { return o.Name == fs.Name }) >= 0 {
				return nil, fmt.Errorf("%w: %s: duplicate field name", ErrSchema, where)
			}
			if fs.Min >= fs.Max {
				return nil, fmt.Errorf("%w: %s: min %d must be below max %d", ErrSchema, where, fs.Min, fs.Max)
			}
			if fs.Step < 0 {
				return nil, fmt.Errorf("%w: %s: negative step %d", ErrSchema, where, fs.Step)
			}
			f := field{min: int64(fs.Min), max: int64(fs.Max), step: int64(fs.Step), rate: -1}
			if f.step == 0 {
				f.step = 1
			}
			f.qmax = (f.max - f.min + f.step/2) / f.step
			if f.qmax > math.MaxInt32 {
				// Wire values live in int32 (Entity.Values).
				return nil, fmt.Errorf("%w: %s: %d steps in the range, at most %d; raise the step", ErrSchema, where, f.qmax, math.MaxInt32)
			}
			f.width = uint(bits.Len64(uint64(f.qmax)))
			f.resWidth = uint(bits.Len64(uint64(2 * f.qmax)))
			if f.resWidth > 1 {
				f.lenBits = uint(bits.Len64(uint64(f.resWidth - 1)))
			}
			if fs.Rate != "" {
				r := slices.IndexFunc(ks.Fields, func(o sim.FieldSpec) bool { return o.Name == fs.Rate })
				switch {
				case r < 0:
					return nil, fmt.Errorf("%w: %s: rate names unknown field %q", ErrSchema, where, fs.Rate)
				case r == fi:
					return nil, fmt.Errorf("%w: %s: a field cannot be its own rate", ErrSchema, where)
				case ks.Fields[r].Rate != "":
					return nil, fmt.Errorf("%w: %s: rate field %q has a rate itself", ErrSchema, where, fs.Rate)
				}
				f.rate = r
			}
			k.fields[fi] = f
		}
		for pass := range 2 {
			for fi, f := range k.fields {
				if (f.rate >= 0) == (pass == 1) {
					k.order = append(k.order, fi)
				}
			}
		}
		k.rated = k.order[unrated(k.fields):]
		s.kinds[ki] = k
	}
	s.prepareRefs(kinds)
	return s, nil
}

// prepareRefs fills kind.like for reference coding of added entities.
func (s *Schema) prepareRefs(kinds []sim.KindSpec) {
	n := min(len(kinds), maxRefKinds)
	for a := range n {
		k := &s.kinds[a]
		k.like = make([][sim.MaxFields]int8, n)
		for b := range n {
			for fi, fa := range kinds[a].Fields {
				k.like[b][fi] = -1
				if fa.Name == "" {
					continue
				}
				if fj := slices.IndexFunc(kinds[b].Fields, func(o sim.FieldSpec) bool { return o.Name == fa.Name }); fj >= 0 {
					k.like[b][fi] = int8(fj)
					k.canRef = true
				}
			}
		}
	}
}

// quantize maps a game value to its wire integer: round((clamp(v)-Min)/Step).
func (f *field) quantize(v int64) int32 {
	v = min(max(v, f.min), f.max) - f.min
	q := (v + f.step/2) / f.step
	return int32(min(q, f.qmax))
}

// dequantize maps a wire integer back to game units: Min + q*Step, clamped
// to Max (the top step may overshoot Max when Step does not divide the
// range; clamping keeps Quantize(Dequantize(q)) == q).
func (f *field) dequantize(q int32) int64 {
	return min(f.min+int64(q)*f.step, f.max)
}

// predict returns the wire value a field is expected to have dt ticks after
// base: the base value, moved by the rate field's current value when it has
// one. Using the current rate (which the decoder reads first) rather than
// the base's makes a position free on the wire whenever the velocity field
// holds the last step's displacement and the baseline is one tick old, and
// halves the error of a turn when it is older. The prediction is made in
// game units and quantized again, so a position and its velocity may have
// different steps. Encoder and decoder share it.
func (k *kind) predict(fi int, base, cur *Entity, dt int64) int32 {
	f := &k.fields[fi]
	if f.rate < 0 || dt == 0 {
		return base.Values[fi]
	}
	r := &k.fields[f.rate]
	v := f.dequantize(base.Values[fi]) + r.dequantize(cur.Values[f.rate])*dt
	return f.quantize(v)
}

// refPredict is the wire value field fi of kind k would have if it equalled
// the like-named field of ref, in game units.
func (s *Schema) refPredict(k *kind, fi int, ref *Entity) int32 {
	rk := &s.kinds[ref.Kind]
	fj := k.like[ref.Kind][fi]
	return k.fields[fi].quantize(rk.fields[fj].dequantize(ref.Values[fj]))
}

// unrated counts the fields with no rate: the head of a kind's order.
func unrated(fields []field) int {
	n := 0
	for _, f := range fields {
		if f.rate < 0 {
			n++
		}
	}
	return n
}

// tickDistance is the dt both ends predict with.
func tickDistance(base, cur sim.Tick) int64 {
	dt := int64(cur) - int64(base)
	return min(max(dt, -maxPredictTicks), maxPredictTicks)
}

// Quantize fills dst with the quantized world of tick t, reusing its
// storage. world should be sorted by ID (the game's World is); it is sorted
// here if not. Entities with ID 0, an unknown kind, or an ID already seen are
// skipped, and entities beyond MaxEntities dropped, so the frame is always
// one the decoder accepts.
func (s *Schema) Quantize(dst *Frame, t sim.Tick, world []sim.EntityState) {
	dst.Tick = t
	dst.Entities = dst.Entities[:0]
	sorted := true
	for i := range world {
		w := &world[i]
		if w.ID == 0 || int(w.Kind) >= len(s.kinds) {
			continue
		}
		if n := len(dst.Entities); n > 0 && dst.Entities[n-1].ID >= w.ID {
			sorted = false
		}
		k := &s.kinds[w.Kind]
		e := Entity{ID: w.ID, Kind: w.Kind}
		for fi := range k.fields {
			e.Values[fi] = k.fields[fi].quantize(int64(w.Fields[fi]))
		}
		dst.Entities = append(dst.Entities, e)
	}
	if !sorted {
		slices.SortStableFunc(dst.Entities, func(a, b Entity) int { return cmpID(a.ID, b.ID) })
		dst.Entities = slices.CompactFunc(dst.Entities, func(a, b Entity) bool { return a.ID == b.ID })
	}
	if len(dst.Entities) > MaxEntities {
		dst.Entities = dst.Entities[:MaxEntities]
	}
}

func cmpID(a, b sim.EntityID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Dequantize returns an entity in the game's units. An entity of a kind the
// schema does not know comes back with zero fields.
func (s *Schema) Dequantize(e *Entity) sim.EntityState {
	var st sim.EntityState
	s.DequantizeInto(&st, e)
	return st
}

// DequantizeInto is Dequantize writing into dst, which it overwrites: a
// client fills its snapshot's entities in place rather than copying each
// one twice.
func (s *Schema) DequantizeInto(dst *sim.EntityState, e *Entity) {
	*dst = sim.EntityState{ID: e.ID, Kind: e.Kind}
	if int(e.Kind) >= len(s.kinds) {
		return
	}
	k := &s.kinds[e.Kind]
	for fi := range k.fields {
		v := k.fields[fi].dequantize(e.Values[fi])
		dst.Fields[fi] = int32(min(max(v, math.MinInt32), math.MaxInt32))
	}
}
