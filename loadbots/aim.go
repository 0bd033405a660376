package main

import (
	"math"

	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// aimRay is a hitscan shot as the arena tests it, in sim units: from an
// origin, along an aim (already rounded to arena.AimStep, as the game keeps
// it), for a range, against circles of a radius. The arena's own ray is
// unexported; this is the same integer arithmetic (Q16 sine and cosine, the
// projection shifted down by 16), so "on target in the shooter's view"
// means what the server's hit test would say about the world the shooter
// drew.
type aimRay struct {
	x, y     int64
	cos, sin int64
	length   int64
	radius2  int64
}

func newAimRay(x, y int32, aim uint16, rules arena.Params) aimRay {
	a := uint16(arena.QuantizeAim(aim))
	r := int64(rules.HitRadius) * arena.SimUnits
	return aimRay{
		x: int64(x), y: int64(y),
		cos:     int64(sim.Cos(a)),
		sin:     int64(sim.Sin(a)),
		length:  int64(rules.Range) * arena.SimUnits,
		radius2: r * r,
	}
}

// hits reports whether the circle of the ray's radius around (px, py)
// touches the ray's segment: the projection clamped to 0..length, and the
// squared distance from there, exactly as the arena's probe computes them.
func (r aimRay) hits(px, py int32) bool {
	dx, dy := int64(px)-r.x, int64(py)-r.y
	proj := (dx*r.cos + dy*r.sin) >> 16
	perp := (dy*r.cos - dx*r.sin) >> 16
	along := sim.Clamp(proj, 0, r.length)
	off := proj - along
	return off*off+perp*perp <= r.radius2
}

// aimAt is the aim from (x, y) to (tx, ty).
func aimAt(x, y, tx, ty int32) uint16 {
	return sim.Atan2(int64(ty)-int64(y), int64(tx)-int64(x))
}

// worldDistance is the distance between two points in sim units, in world
// units (for reports).
func worldDistance(ax, ay, bx, by int32) float64 {
	return math.Hypot(float64(ax)-float64(bx), float64(ay)-float64(by)) / arena.SimUnits
}
