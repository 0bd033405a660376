package main

import (
	"github.com/tickwire/tickwire/netcode/interp"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// layout is where the fields the client draws sit in each entity kind the
// room declared, and the room's sizes. Fields are looked up by name in the
// Welcome's kinds rather than by the arena's constants, so a room whose
// kinds differ (a newer server) is drawn as far as the names allow instead
// of misread.
type layout struct {
	kinds []kindLayout
	// Arena bounds in sim units: from the player kind's x and y ranges.
	minX, minY, maxX, maxY int32
	player, npc, shot      int   // kind indices, -1 when the room has none
	hpMax                  int32 // the top of the player's hp range
	// hitRadius is the radius of a player or NPC hit circle, in sim units.
	hitRadius float64
	// interpFields says how each field of each kind moves between
	// snapshots: positions and velocities lerp, aims turn the short way,
	// a changed life counter (a respawn) holds the entity instead of
	// sliding it across the arena, the rest holds.
	interpFields [][]interp.Field
}

// kindLayout holds field indices of one kind; -1 means absent.
type kindLayout struct {
	name                    string
	x, y, vx, vy, aim       int
	hp, score, deaths, life int
	length, target, tx, ty  int
}

// get returns e's field i, or 0 when the kind has no such field.
func (k *kindLayout) get(e sim.EntityState, i int) int32 {
	if i < 0 || i >= sim.MaxFields {
		return 0
	}
	return e.Fields[i]
}

// absentKind is the layout of a kind the room did not declare.
var absentKind = kindLayout{name: "?", x: -1, y: -1, vx: -1, vy: -1, aim: -1, hp: -1, score: -1,
	deaths: -1, life: -1, length: -1, target: -1, tx: -1, ty: -1}

// newLayout reads the kinds and the arena parameters of a room.
func newLayout(kinds []sim.KindSpec, params arena.Params) *layout {
	l := &layout{player: -1, npc: -1, shot: -1, hitRadius: float64(params.HitRadius) * arena.SimUnits,
		interpFields: interp.FieldsFromKinds(kinds)}
	for ki, ks := range kinds {
		k := absentKind
		k.name = ks.Name
		index := map[string]int{}
		for i, f := range ks.Fields {
			index[f.Name] = i
		}
		field := func(name string) int {
			if i, ok := index[name]; ok {
				return i
			}
			return -1
		}
		k.x, k.y, k.vx, k.vy, k.aim = field("x"), field("y"), field("vx"), field("vy"), field("aim")
		k.hp, k.score, k.deaths, k.life = field("hp"), field("score"), field("deaths"), field("life")
		k.length, k.target, k.tx, k.ty = field("length"), field("target"), field("tx"), field("ty")
		l.kinds = append(l.kinds, k)
		if k.aim >= 0 {
			l.interpFields[ki][k.aim] = interp.Field{Mode: interp.Angle, Turn: 1 << 16}
		}
		if k.life >= 0 {
			l.interpFields[ki][k.life] = interp.Field{Mode: interp.Teleport}
		}
		switch ks.Name {
		case "player":
			l.player = ki
			if k.x >= 0 && k.y >= 0 {
				l.minX, l.maxX = ks.Fields[k.x].Min, ks.Fields[k.x].Max
				l.minY, l.maxY = ks.Fields[k.y].Min, ks.Fields[k.y].Max
			}
			if k.hp >= 0 {
				l.hpMax = ks.Fields[k.hp].Max
			}
		case "npc":
			l.npc = ki
		case "shot":
			l.shot = ki
		}
	}
	if l.maxX <= l.minX || l.maxY <= l.minY {
		l.minX, l.minY, l.maxX, l.maxY = 0, 0, params.MaxX(), params.MaxY()
	}
	if l.maxX <= l.minX || l.maxY <= l.minY {
		l.minX, l.minY, l.maxX, l.maxY = 0, 0, 1, 1
	}
	if l.hitRadius <= 0 {
		l.hitRadius = float64(l.maxX-l.minX) / 100
	}
	if l.hpMax <= 0 {
		l.hpMax = 1
	}
	return l
}

// kind returns the layout of kind index i (an absent layout for unknown
// kinds, so a newer server's extra kinds are ignored, not a crash).
func (l *layout) kind(i uint8) *kindLayout {
	if int(i) < len(l.kinds) {
		return &l.kinds[i]
	}
	return &absentKind
}
