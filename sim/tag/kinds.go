package tag

import "github.com/tickwire/tickwire/sim"

// Entity kinds, the index of each in Kinds.
const (
	KindRunner uint8 = iota
	KindPad
)

// Fields of a runner (KindRunner).
const (
	RunnerX      = iota // sim units, 0..MaxX
	RunnerY             // sim units, 0..MaxY
	RunnerVX            // sim units moved along x in the last tick
	RunnerVY            // sim units moved along y in the last tick
	RunnerIt            // 1 while this runner is "it"
	RunnerScore         // ticks spent not being "it"
	RunnerFrozen        // ticks left standing still after being tagged
	RunnerBoost         // ticks of boost left
)

// Fields of a boost pad (KindPad).
const (
	PadX        = iota // sim units
	PadY               // sim units
	PadRecharge        // ticks until it boosts again; 0: ready
)

// Sizes, in sim units.
const (
	// TagReach is the distance at which "it" tags a runner.
	TagReach = SimUnits
	// PadReach is the distance at which a runner takes a pad's boost.
	PadReach = SimUnits
)

// Timings, in milliseconds.
const (
	BoostMillis    = 1000
	RechargeMillis = 5000
)

// maxScore bounds the score field: an hour of ticks at the highest rate.
const maxScore = 3600 * 240

// Kinds declares the replicated kinds for p.
func (p Params) Kinds() []sim.KindSpec {
	maxTicks := p.ticks(max(BoostMillis, RechargeMillis, p.FreezeMillis))
	return []sim.KindSpec{
		{Name: "runner", Fields: []sim.FieldSpec{
			{Name: "x", Min: 0, Max: p.MaxX(), Rate: "vx"},
			{Name: "y", Min: 0, Max: p.MaxY(), Rate: "vy"},
			{Name: "vx", Min: -4 * p.step(true, true), Max: 4 * p.step(true, true)},
			{Name: "vy", Min: -4 * p.step(true, true), Max: 4 * p.step(true, true)},
			{Name: "it", Min: 0, Max: 1},
			{Name: "score", Min: 0, Max: maxScore},
			{Name: "frozen", Min: 0, Max: maxTicks},
			{Name: "boost", Min: 0, Max: maxTicks},
		}},
		{Name: "pad", Fields: []sim.FieldSpec{
			{Name: "x", Min: 0, Max: p.MaxX()},
			{Name: "y", Min: 0, Max: p.MaxY()},
			{Name: "recharge", Min: 0, Max: maxTicks},
		}},
	}
}
