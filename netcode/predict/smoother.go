package predict

import "github.com/tickwire/tickwire/sim"

// Smoother hides prediction corrections from the eye. When Reconcile moves
// the prediction, the entity is drawn with an offset (old prediction less
// new) that decays toward zero, so it glides to the corrected place instead
// of jumping; a correction larger than a threshold (a respawn, a teleport)
// is shown at once. Only the fields it is given are smoothed (positions);
// the rest are drawn as predicted.
//
// The decay is exponential with time constant Tau, integer-only:
// each Advance of d removes offset*d/(d+Tau) of what is left (at least one
// unit), which is stable for any step and reaches zero.
//
// It is not safe for concurrent use.
type Smoother struct {
	fields    []int
	tau       sim.TickTime
	snapAbove int32
	offset    [sim.MaxFields]int32
}

// NewSmoother smooths the given field indexes with time constant tau (in
// TickTime; 3 ticks when not positive) and snaps corrections of a field
// larger than snapAbove (never, when not positive).
func NewSmoother(fields []int, tau sim.TickTime, snapAbove int32) *Smoother {
	if tau <= 0 {
		tau = 3 * sim.SubTicks
	}
	var keep []int
	for _, f := range fields {
		if f >= 0 && f < sim.MaxFields {
			keep = append(keep, f)
		}
	}
	return &Smoother{fields: keep, tau: tau, snapAbove: snapAbove}
}

// Correct records that the prediction moved from before to after (the
// Current state before and after Reconcile, for the same tick).
func (s *Smoother) Correct(before, after sim.EntityState) {
	for _, f := range s.fields {
		d := int64(s.offset[f]) + int64(before.Fields[f]) - int64(after.Fields[f])
		if s.snapAbove > 0 && max(d, -d) > int64(s.snapAbove) {
			d = 0
		}
		s.offset[f] = int32(min(max(d, -1<<31), 1<<31-1))
	}
}

// Advance decays the offset by elapsed time d (in TickTime; a frame's
// length).
func (s *Smoother) Advance(d sim.TickTime) {
	if d <= 0 {
		return
	}
	for _, f := range s.fields {
		o := int64(s.offset[f])
		if o == 0 {
			continue
		}
		cut := o * int64(d) / (int64(d) + int64(s.tau))
		if cut == 0 {
			cut = 1
			if o < 0 {
				cut = -1
			}
		}
		s.offset[f] = int32(o - cut)
	}
}

// Apply returns e as it should be drawn: with the remaining offset added.
func (s *Smoother) Apply(e sim.EntityState) sim.EntityState {
	for _, f := range s.fields {
		e.Fields[f] = int32(min(max(int64(e.Fields[f])+int64(s.offset[f]), -1<<31), 1<<31-1))
	}
	return e
}

// Offset is the remaining offset of field f (0 for fields not smoothed).
func (s *Smoother) Offset(f int) int32 {
	if f < 0 || f >= sim.MaxFields {
		return 0
	}
	return s.offset[f]
}
