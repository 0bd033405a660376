package arena

import "github.com/tickwire/tickwire/sim"

// point is a position in sim units.
type point struct{ x, y int32 }

// track is the rewind history of one hittable entity: its position after
// each of the last len(ring) ticks, so a shot can test the target where the
// shooter saw it. Positions before since belong to an earlier life (or to
// before a teleport) and are never read: a target is not rewound across a
// respawn.
type track struct {
	ring  []point // ring[t%len] is the position after tick t
	since sim.Tick
}

func newTrack(n int, since sim.Tick) track {
	return track{ring: make([]point, n), since: since}
}

// record stores the position after tick t.
func (tr *track) record(t sim.Tick, p point) {
	tr.ring[int(t)%len(tr.ring)] = p
}

// teleport marks that the entity jumped at tick t (and stores where to):
// history before t is not its history any more.
func (tr *track) teleport(t sim.Tick, p point) {
	tr.record(t, p)
	tr.since = t
}

// at returns the position at view time view, the newest recorded tick being
// now: interpolated between the two ticks around view (1/256 fraction),
// clamped to the history kept and to the current life.
func (tr *track) at(now sim.Tick, view sim.TickTime) point {
	oldest := tr.since
	if n := sim.Tick(len(tr.ring)); now >= n && now-n+1 > oldest {
		oldest = now - n + 1
	}
	t, frac := view.Tick()
	switch {
	case view <= 0 || t >= now || oldest >= now:
		return tr.ring[int(now)%len(tr.ring)]
	case t < oldest:
		return tr.ring[int(oldest)%len(tr.ring)]
	}
	a := tr.ring[int(t)%len(tr.ring)]
	if frac == 0 {
		return a
	}
	b := tr.ring[int(t+1)%len(tr.ring)]
	return point{sim.Lerp(a.x, b.x, frac), sim.Lerp(a.y, b.y, frac)}
}
