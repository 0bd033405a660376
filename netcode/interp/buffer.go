package interp

import "github.com/tickwire/tickwire/sim"

// Mode says how one field moves between two snapshots.
type Mode uint8

const (
	// Lerp moves linearly from the earlier snapshot's value to the later
	// one's (positions, velocities).
	Lerp Mode = iota
	// Hold keeps the earlier snapshot's value until the later snapshot's
	// tick (counters, hit points, anything discrete).
	Hold
	// Angle moves linearly the short way round a circle of Field.Turn
	// units (an aim that crosses zero turns a little, not a whole turn).
	Angle
	// Teleport holds like Hold, and when it differs between the two
	// snapshots the whole entity holds: it was respawned or teleported, so
	// sliding it between the two places would draw a lie.
	Teleport
)

// Field is the interpolation of one field.
type Field struct {
	Mode Mode
	// Turn is the value of a full turn, for Angle (65536 for a uint16
	// angle); 0 makes Angle behave as Lerp.
	Turn int32
}

// Options configures a Buffer. The zero value keeps 32 snapshots, lerps
// every field and extrapolates at most 3 ticks.
type Options struct {
	// Capacity is how many snapshots are kept. Default 32.
	Capacity int
	// Fields gives each kind's fields' modes, indexed by kind then field;
	// fields not listed lerp. FieldsFromKinds makes a sensible start.
	Fields [][]Field
	// MaxExtrapolate is how far past the newest snapshot Sample runs the
	// motion on; beyond it entities stop. Default 3 ticks; negative means
	// never extrapolate.
	MaxExtrapolate sim.TickTime
}

// FieldsFromKinds returns modes for kinds: a field with a Rate (a position)
// and a field that is another's Rate (a velocity) lerp; every other field
// holds. A game refines it (an aim as Angle, a respawn counter as
// Teleport).
func FieldsFromKinds(kinds []sim.KindSpec) [][]Field {
	out := make([][]Field, len(kinds))
	for k, kind := range kinds {
		rates := map[string]bool{}
		for _, f := range kind.Fields {
			if f.Rate != "" {
				rates[f.Rate] = true
			}
		}
		out[k] = make([]Field, len(kind.Fields))
		for i, f := range kind.Fields {
			if f.Rate == "" && !rates[f.Name] {
				out[k][i].Mode = Hold
			}
		}
	}
	return out
}

// frame is one stored snapshot.
type frame struct {
	tick     sim.Tick
	entities []sim.EntityState // sorted by ID
}

// Buffer keeps the last snapshots of the world and samples it at any
// TickTime between (or a little after) them, for drawing the entities the
// client does not predict. Arithmetic is integer: the fraction between two
// snapshots is in 1/256 tick.
//
// It is not safe for concurrent use.
type Buffer struct {
	opts   Options
	frames []frame // ring, oldest at head; ticks ascending
	head   int
	n      int
}

// NewBuffer returns an empty Buffer; opts may be nil.
func NewBuffer(opts *Options) *Buffer {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Capacity < 2 {
		o.Capacity = 32
	}
	if o.MaxExtrapolate == 0 {
		o.MaxExtrapolate = 3 * sim.SubTicks
	}
	return &Buffer{opts: o, frames: make([]frame, o.Capacity)}
}

// Add stores the entities (sorted by ID, as snapshots hold them) of the
// snapshot of tick; the Buffer copies them. A tick not newer than the
// newest held is ignored.
func (b *Buffer) Add(tick sim.Tick, entities []sim.EntityState) {
	if b.n > 0 && tick <= b.at(b.n-1).tick {
		return
	}
	var f *frame
	if b.n == len(b.frames) {
		f = &b.frames[b.head] // reuse the oldest's storage
		b.head = (b.head + 1) % len(b.frames)
	} else {
		f = &b.frames[(b.head+b.n)%len(b.frames)]
		b.n++
	}
	f.tick = tick
	f.entities = append(f.entities[:0], entities...)
}

// Len is how many snapshots are held.
func (b *Buffer) Len() int { return b.n }

// Newest is the tick of the newest snapshot held (0 when empty).
func (b *Buffer) Newest() sim.Tick {
	if b.n == 0 {
		return 0
	}
	return b.at(b.n - 1).tick
}

func (b *Buffer) at(i int) *frame { return &b.frames[(b.head+i)%len(b.frames)] }

// Sample appends to dst the world at time at, sorted by ID, and returns it.
//
// Between two snapshots each entity present in both is interpolated field
// by field; one only in the earlier is drawn as it was (it leaves at the
// later tick); one only in the later appears at its tick. Before the oldest
// snapshot the oldest is drawn. After the newest, motion continues from the
// last two snapshots for at most MaxExtrapolate and then stops.
func (b *Buffer) Sample(dst []sim.EntityState, at sim.TickTime) []sim.EntityState {
	if b.n == 0 {
		return dst
	}
	// The first snapshot later than at.
	lo, hi := 0, b.n
	for lo < hi {
		m := (lo + hi) / 2
		if b.at(m).tick.Time() > at {
			hi = m
		} else {
			lo = m + 1
		}
	}
	i := lo
	switch {
	case i == 0:
		return append(dst, b.at(0).entities...)
	case i == b.n:
		if b.n == 1 || b.opts.MaxExtrapolate < 0 {
			return append(dst, b.at(b.n-1).entities...)
		}
		newest := b.at(b.n - 1)
		at = min(at, newest.tick.Time()+b.opts.MaxExtrapolate)
		return b.blend(dst, b.at(b.n-2), newest, at, true)
	default:
		return b.blend(dst, b.at(i-1), b.at(i), at, false)
	}
}

// blend writes the entities between frames a and c at time at. When
// extrapolating, at is past c and the result follows c's entities.
func (b *Buffer) blend(dst []sim.EntityState, a, c *frame, at sim.TickTime, extrapolate bool) []sim.EntityState {
	num := int64(at - a.tick.Time())
	den := int64(c.tick.Time() - a.tick.Time())
	for den > 1<<24 {
		// Snapshots absurdly far apart: keep (vc-va)*num inside int64.
		num, den = num>>1, den>>1
	}
	ia, ic := 0, 0
	for ia < len(a.entities) || ic < len(c.entities) {
		switch {
		case ic == len(c.entities) || (ia < len(a.entities) && a.entities[ia].ID < c.entities[ic].ID):
			if !extrapolate {
				dst = append(dst, a.entities[ia]) // gone at c's tick
			}
			ia++
		case ia == len(a.entities) || c.entities[ic].ID < a.entities[ia].ID:
			if extrapolate {
				dst = append(dst, c.entities[ic]) // new at c: nothing to run on from
			}
			ic++
		default:
			dst = append(dst, b.mix(&a.entities[ia], &c.entities[ic], num, den, extrapolate))
			ia++
			ic++
		}
	}
	return dst
}

// mix interpolates one entity present in both snapshots at num/den of the
// way from ea to ec (num > den when extrapolating).
func (b *Buffer) mix(ea, ec *sim.EntityState, num, den int64, extrapolate bool) sim.EntityState {
	if ea.Kind != ec.Kind {
		return b.held(ea, ec, extrapolate) // a recycled ID: different entity
	}
	var modes []Field
	if int(ec.Kind) < len(b.opts.Fields) {
		modes = b.opts.Fields[ec.Kind]
	}
	for i, m := range modes {
		if m.Mode == Teleport && ea.Fields[i] != ec.Fields[i] {
			return b.held(ea, ec, extrapolate)
		}
	}
	out := *ec
	for i := range out.Fields {
		var m Field
		if i < len(modes) {
			m = modes[i]
		}
		va, vc := int64(ea.Fields[i]), int64(ec.Fields[i])
		switch m.Mode {
		case Hold, Teleport:
			out.Fields[i] = int32(va)
			if extrapolate {
				out.Fields[i] = int32(vc)
			}
			continue
		case Angle:
			if turn := int64(m.Turn); turn > 0 {
				d := ((vc-va)%turn + turn) % turn
				if d > turn/2 {
					d -= turn
				}
				v := (va + d*num/den) % turn
				if v < 0 {
					v += turn
				}
				out.Fields[i] = int32(v)
				continue
			}
		}
		out.Fields[i] = clampInt32(va + (vc-va)*num/den)
	}
	return out
}

// held is the entity without interpolation: the earlier state between the
// snapshots, the later when extrapolating.
func (b *Buffer) held(ea, ec *sim.EntityState, extrapolate bool) sim.EntityState {
	if extrapolate {
		return *ec
	}
	return *ea
}

func clampInt32(v int64) int32 {
	return int32(min(max(v, -1<<31), 1<<31-1))
}
