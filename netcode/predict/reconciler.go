package predict

import "github.com/tickwire/tickwire/sim"

// StepFunc is the game's movement of the own entity for one tick: the
// same deterministic code the server runs, so a prediction from the same
// state and inputs matches the server bit for bit.
type StepFunc func(own sim.EntityState, in sim.Input) sim.EntityState

// entry is one predicted tick: its input and, once a base state is known,
// the predicted state after it.
type entry struct {
	tick      sim.Tick
	in        sim.Input
	after     sim.EntityState
	predicted bool // after is valid
}

// Reconciler predicts the own entity ahead of the server and corrects it
// when the server's state arrives.
//
// Predict applies each labelled input at once on top of the predicted
// state and remembers it. Reconcile takes the server's state of the entity
// as of a tick, forgets the inputs up to that tick, and replays the rest on
// top of it: the server's word on the past, the client's inputs for the
// future. With deterministic movement and every input arriving in time, the
// replay reproduces the prediction exactly and the correction is 0.
//
// Inputs are kept in a ring of the capacity given to NewReconciler. When
// the server falls so far behind that it fills, the oldest unacknowledged
// input is forgotten (counted by Evicted), and a later replay lacks it.
//
// A tick the client skipped (its input clock jumped after a stall) is
// predicted with the previous input repeated, which is what the server does
// for a tick whose input never came.
//
// It is not safe for concurrent use.
type Reconciler struct {
	step StepFunc
	ring []entry
	head int // index of the oldest entry
	n    int // entries held

	state     sim.EntityState
	stateTick sim.Tick // the tick state is predicted through
	have      bool     // state is valid (a Reconcile has happened)
	last      sim.Tick // newest tick predicted; 0 none
	lastIn    sim.Input
	through   sim.Tick // newest tick reconciled
	evicted   uint64
}

// NewReconciler returns a Reconciler that predicts with step and remembers
// up to capacity unacknowledged inputs (at least 1).
func NewReconciler(step StepFunc, capacity int) *Reconciler {
	return &Reconciler{step: step, ring: make([]entry, max(capacity, 1))}
}

// Predict applies in as the input for tick t. Ticks at or before the
// newest one predicted, or already reconciled, are ignored: a tick is
// labelled once. Before the first Reconcile there is no state to apply it
// to; it is remembered and replayed then.
func (r *Reconciler) Predict(t sim.Tick, in sim.Input) {
	if (r.last != 0 && t <= r.last) || t <= r.through {
		return
	}
	if r.last != 0 && t > r.last+1 {
		// Skipped ticks: the server repeats the last input for them.
		gap := t - r.last - 1
		from := r.last + 1
		if gap > sim.Tick(len(r.ring)) {
			from = t - sim.Tick(len(r.ring))
		}
		for s := from; s < t; s++ {
			r.push(s, r.lastIn)
		}
	}
	r.push(t, in)
	r.last, r.lastIn = t, in
}

// push appends one tick's input, predicting it when a state is known.
func (r *Reconciler) push(t sim.Tick, in sim.Input) {
	e := entry{tick: t, in: in}
	if r.have {
		r.state = r.step(r.state, in)
		r.stateTick = t
		e.after, e.predicted = r.state, true
	}
	if r.n == len(r.ring) {
		r.head = (r.head + 1) % len(r.ring)
		r.n--
		r.evicted++
	}
	r.ring[(r.head+r.n)%len(r.ring)] = e
	r.n++
}

// Reconcile takes own, the server's state of the entity after tick
// through, drops the inputs up to and including through, and replays the
// remaining ones on top of own. It returns the corrected prediction and the
// size of the correction: the largest absolute difference in any field
// between the old prediction and the new one for the same tick (the newest
// predicted), or, when nothing newer was predicted, between the old
// prediction for through and own. It is 0 when the prediction was exact and
// for the first Reconcile.
//
// through should be the tick of the snapshot own comes from: the server
// stepped every tick up to it, with the client's input where it arrived in
// time and a repeat where it did not, and an input that missed its tick is
// never applied later. A through older than the last one reconciled is
// ignored.
func (r *Reconciler) Reconcile(own sim.EntityState, through sim.Tick) (sim.EntityState, int64) {
	if r.have && through < r.through {
		return r.state, 0
	}
	old, oldTick, hadOld := r.state, r.stateTick, r.have
	var point sim.EntityState
	havePoint := false
	for r.n > 0 && r.ring[r.head].tick <= through {
		if e := &r.ring[r.head]; e.tick == through && e.predicted {
			point, havePoint = e.after, true
		}
		r.head = (r.head + 1) % len(r.ring)
		r.n--
	}
	r.state, r.stateTick, r.have, r.through = own, through, true, through
	for i := range r.n {
		e := &r.ring[(r.head+i)%len(r.ring)]
		r.state = r.step(r.state, e.in)
		r.stateTick = e.tick
		e.after, e.predicted = r.state, true
	}
	var correction int64
	switch {
	case hadOld && oldTick == r.stateTick:
		correction = fieldDistance(&old, &r.state)
	case havePoint:
		correction = fieldDistance(&point, &own)
	}
	return r.state, correction
}

// Current returns the predicted state through the newest input, and false
// before the first Reconcile.
func (r *Reconciler) Current() (sim.EntityState, bool) { return r.state, r.have }

// Tick is the tick Current is predicted through (0 before the first
// Reconcile).
func (r *Reconciler) Tick() sim.Tick { return r.stateTick }

// Pending is how many inputs are remembered, not yet reconciled.
func (r *Reconciler) Pending() int { return r.n }

// Evicted counts inputs forgotten unacknowledged because the ring was full.
func (r *Reconciler) Evicted() uint64 { return r.evicted }

// fieldDistance is the largest absolute difference between two states'
// fields.
func fieldDistance(a, b *sim.EntityState) int64 {
	var d int64
	for i := range a.Fields {
		x := int64(a.Fields[i]) - int64(b.Fields[i])
		d = max(d, x, -x)
	}
	return d
}
