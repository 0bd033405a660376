package arena

import "github.com/tickwire/tickwire/sim"

// moveNPC moves an NPC one tick: straight on, bouncing off the walls, and
// every one to three seconds (drawn from its own random stream) a new
// heading. NPCs keep moving, so the world is never static, and their paths
// depend on the seed alone, not on what players do.
func (g *Game) moveNPC(n *npc) {
	if g.tick >= n.turnAt {
		g.headNPC(n)
	}
	f := &n.ent.Fields
	f[NPCX], f[NPCVX] = bounce(f[NPCX], f[NPCVX], g.params.MaxX())
	f[NPCY], f[NPCVY] = bounce(f[NPCY], f[NPCVY], g.params.MaxY())
}

// headNPC gives an NPC a random heading at NPC speed and schedules its next
// turn.
func (g *Game) headNPC(n *npc) {
	a := n.rng.Angle()
	step := int64(g.params.NPCStep())
	n.ent.Fields[NPCVX] = int32(sim.DivRound(step*int64(sim.Cos(a)), sim.One))
	n.ent.Fields[NPCVY] = int32(sim.DivRound(step*int64(sim.Sin(a)), sim.One))
	rate := int32(g.params.TickRate)
	n.turnAt = g.tick + sim.Tick(n.rng.Between(rate, 3*rate))
}

// bounce moves pos by v within 0..hi, reflecting off a wall it would cross.
func bounce(pos, v, hi int32) (int32, int32) {
	pos += v
	switch {
	case pos < 0:
		pos, v = -pos, -v
	case pos > hi:
		pos, v = 2*hi-pos, -v
	}
	return sim.Clamp(pos, 0, hi), v
}

// respawnNPC puts an NPC at a random place with full hp and a new heading.
// Its history restarts there, so no shot rewinds across the jump.
func (g *Game) respawnNPC(n *npc) {
	pos := point{n.rng.Between(0, g.params.MaxX()), n.rng.Between(0, g.params.MaxY())}
	n.ent.Fields[NPCX], n.ent.Fields[NPCY] = pos.x, pos.y
	n.hp = g.params.HP
	g.headNPC(n)
	n.track.teleport(g.tick, pos)
}
