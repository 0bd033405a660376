package arena

import "github.com/tickwire/tickwire/sim"

// Move is the arena's movement rule for a player entity and one tick of
// input: the exact function Game.Step applies, so a client predicting its
// own player with it (netcode/predict.StepFunc) agrees with the server bit
// for bit. It sets the aim, and unless the player is dead (hp 0) moves it
// at the fixed speed in the direction of MoveX, MoveY (each clamped to
// -1..1, diagonals normalised), stopped by the arena's walls; vx, vy become
// the distance actually moved. Entities of other kinds come back unchanged.
func (p Params) Move(e sim.EntityState, in sim.Input) sim.EntityState {
	if e.Kind != KindPlayer {
		return e
	}
	e.Fields[PlayerAim] = QuantizeAim(in.Aim)
	if e.Fields[PlayerHP] <= 0 {
		e.Fields[PlayerVX], e.Fields[PlayerVY] = 0, 0
		return e
	}
	dx, dy := stepVector(in.MoveX, in.MoveY, p.PlayerStep())
	x := sim.Clamp(e.Fields[PlayerX]+dx, 0, p.MaxX())
	y := sim.Clamp(e.Fields[PlayerY]+dy, 0, p.MaxY())
	e.Fields[PlayerVX], e.Fields[PlayerVY] = x-e.Fields[PlayerX], y-e.Fields[PlayerY]
	e.Fields[PlayerX], e.Fields[PlayerY] = x, y
	return e
}

// QuantizeAim rounds an aim down to AimStep, as the game stores it.
func QuantizeAim(a uint16) int32 { return int32(a) &^ (AimStep - 1) }

// stepVector scales the direction (mx, my) to length step, in integers:
// length in Q16 from ISqrt, then each axis rounded half away from zero so
// opposite directions mirror each other exactly.
func stepVector(mx, my int8, step int32) (dx, dy int32) {
	x, y := int64(sim.Clamp(mx, -1, 1)), int64(sim.Clamp(my, -1, 1))
	if x == 0 && y == 0 {
		return 0, 0
	}
	length := int64(sim.ISqrt(uint64(x*x+y*y) << 32)) // Q16
	return int32(sim.DivRound(int64(step)*x<<16, length)), int32(sim.DivRound(int64(step)*y<<16, length))
}
