package arena

import "github.com/tickwire/tickwire/sim"

// ray is a hitscan shot in sim units, its direction in Q16.
type ray struct {
	origin  point
	cos     int64
	sin     int64
	length  int64
	radius2 int64
}

// probe measures where p lies against the ray: along is the distance along
// it to the point of the segment nearest p, dist2 the squared distance from
// there to p, and within whether p's projection falls on the segment.
func (r *ray) probe(p point) (along, dist2 int64, within bool) {
	dx, dy := int64(p.x-r.origin.x), int64(p.y-r.origin.y)
	proj := (dx*r.cos + dy*r.sin) >> 16
	perp := (dy*r.cos - dx*r.sin) >> 16
	along = sim.Clamp(proj, 0, r.length)
	off := proj - along
	return along, off*off + perp*perp, proj == along
}

// candidate is the best target found so far.
type candidate struct {
	id    sim.EntityID
	pos   point
	along int64
	dist2 int64
	found bool
}

// fire resolves pl's shot this tick: the nearest hittable entity whose
// circle of HitRadius the ray passes, with each target where pl saw it
// (PlayerInput.ViewTime, interpolated in the rewind history) when lag
// compensation is on, else where it is now. The shot entity records what the
// server tested: on a hit the target and its tested position; on a miss the
// tested position of the entity that passed closest to the ray (or the
// ray's end, clamped to the arena, when none was level with it), target 0.
func (g *Game) fire(pl *player) {
	p := g.params
	pl.nextFire = g.tick + sim.Tick(p.ticks(p.CooldownMS))
	aim := uint16(pl.ent.Fields[PlayerAim])
	r := ray{
		origin:  point{pl.ent.Fields[PlayerX], pl.ent.Fields[PlayerY]},
		cos:     int64(sim.Cos(aim)),
		sin:     int64(sim.Sin(aim)),
		length:  int64(p.Range) * SimUnits,
		radius2: int64(p.HitRadius) * SimUnits * int64(p.HitRadius) * SimUnits,
	}
	view := g.tick.Time()
	if p.LagComp {
		view = pl.in.ViewTime
	}
	var hit, near candidate
	consider := func(id sim.EntityID, tr *track) {
		pos := tr.at(g.tick, view)
		along, dist2, within := r.probe(pos)
		if dist2 <= r.radius2 {
			if !hit.found || along < hit.along || along == hit.along && dist2 < hit.dist2 {
				hit = candidate{id, pos, along, dist2, true}
			}
		} else if within && (!near.found || dist2 < near.dist2) {
			near = candidate{id, pos, along, dist2, true}
		}
	}
	for i := range g.npcs {
		if n := &g.npcs[i]; n.hittable {
			consider(n.ent.ID, &n.track)
		}
	}
	for _, q := range g.players {
		if q != pl && q.hittable {
			consider(q.ent.ID, &q.track)
		}
	}

	s := shot{expires: g.tick + g.shotTicks}
	s.ent.ID = sim.EntityID(shotIDBase + g.nextShot)
	g.nextShot = (g.nextShot + 1) % shotIDRange
	s.ent.Kind = KindShot
	f := &s.ent.Fields
	f[ShotX], f[ShotY], f[ShotAim] = r.origin.x, r.origin.y, int32(aim)
	switch {
	case hit.found:
		f[ShotLength], f[ShotTarget] = int32(hit.along), int32(hit.id)
		f[ShotTX], f[ShotTY] = hit.pos.x, hit.pos.y
		g.damage(pl, hit.id)
	case near.found:
		f[ShotLength] = int32(r.length)
		f[ShotTX], f[ShotTY] = near.pos.x, near.pos.y
	default:
		f[ShotLength] = int32(r.length)
		f[ShotTX] = sim.Clamp(r.origin.x+int32((r.length*r.cos)>>16), 0, p.MaxX())
		f[ShotTY] = sim.Clamp(r.origin.y+int32((r.length*r.sin)>>16), 0, p.MaxY())
	}
	g.shots = append(g.shots, s)
}

// damage applies a hit by shooter on entity id. A target already killed
// earlier in the same tick absorbs the shot but gives no second kill.
func (g *Game) damage(shooter *player, id sim.EntityID) {
	if int(id) <= len(g.npcs) {
		n := &g.npcs[id-1]
		if n.hp > 0 {
			n.hp -= g.params.Damage
			if n.hp <= 0 {
				credit(shooter)
			}
		}
		return
	}
	if q := g.playerByEntity(id); q != nil {
		f := &q.ent.Fields
		if f[PlayerHP] > 0 {
			f[PlayerHP] = max(f[PlayerHP]-g.params.Damage, 0)
			if f[PlayerHP] == 0 {
				credit(shooter)
				f[PlayerDeaths] = min(f[PlayerDeaths]+1, maxCounter)
				q.respawnAt = g.tick + sim.Tick(max(g.params.ticks(g.params.RespawnMS), 1))
			}
		}
	}
}

func credit(shooter *player) {
	shooter.ent.Fields[PlayerScore] = min(shooter.ent.Fields[PlayerScore]+1, maxCounter)
}
