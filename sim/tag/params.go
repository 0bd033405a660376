package tag

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tickwire/tickwire/sim"
)

// SimUnits is the number of sim units in one world unit.
const SimUnits = 16

// ErrInvalidParam is wrapped by every parameter error.
var ErrInvalidParam = errors.New("tag: invalid parameter")

// Params are the rules of a match; ParseParams fills in defaults.
type Params struct {
	TickRate int32 // ticks per second (from sim.Config)
	// Width and Height of the field in world units.
	Width, Height int32
	// Duration of the match in seconds; 0: it never ends.
	Duration int32
	// MaxRunners is the most players a match admits.
	MaxRunners int32
	// Speed of a runner, world units per second; "it" runs a tenth faster
	// so that it can catch someone.
	Speed int32
	// FreezeMillis is how long a freshly tagged runner stands still.
	FreezeMillis int32
	// Pads is the number of boost pads.
	Pads int32
}

// DefaultParams are the rules without any parameter set.
func DefaultParams() Params {
	return Params{TickRate: 30, Width: 40, Height: 30, Duration: 90, MaxRunners: 8, Speed: 8, FreezeMillis: 1500, Pads: 4}
}

// paramSpec binds a parameter name to its field and range.
type paramSpec struct {
	name    string
	field   func(*Params) *int32
	min, mx int32
}

var paramSpecs = []paramSpec{
	{"width", func(p *Params) *int32 { return &p.Width }, 10, 500},
	{"height", func(p *Params) *int32 { return &p.Height }, 10, 500},
	{"duration", func(p *Params) *int32 { return &p.Duration }, 0, 3600},
	{"max_runners", func(p *Params) *int32 { return &p.MaxRunners }, 2, 64},
	{"speed", func(p *Params) *int32 { return &p.Speed }, 1, 100},
	{"freeze_ms", func(p *Params) *int32 { return &p.FreezeMillis }, 0, 10000},
	{"pads", func(p *Params) *int32 { return &p.Pads }, 0, 16},
}

// ParseParams reads the game's parameters from a room's parameter map;
// unknown names are refused, so a typo does not silently play default
// rules. Parameters the server sets for every game (the arena's "npcs")
// are ignored.
func ParseParams(m map[string]string) (Params, error) {
	p := DefaultParams()
	for k, v := range m {
		spec, ok := findParam(k)
		if !ok {
			if k == "npcs" {
				continue
			}
			return p, fmt.Errorf("%w: unknown parameter %q", ErrInvalidParam, k)
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || int32(n) < spec.min || int32(n) > spec.mx {
			return p, fmt.Errorf("%w: %s=%q: want a whole number from %d to %d", ErrInvalidParam, k, v, spec.min, spec.mx)
		}
		*spec.field(&p) = int32(n)
	}
	return p, nil
}

func findParam(name string) (paramSpec, bool) {
	for _, s := range paramSpecs {
		if s.name == name {
			return s, true
		}
	}
	return paramSpec{}, false
}

// Map returns the parameters as a room's parameter map.
func (p Params) Map() map[string]string {
	m := make(map[string]string, len(paramSpecs))
	for _, s := range paramSpecs {
		m[s.name] = strconv.Itoa(int(*s.field(&p)))
	}
	return m
}

// MaxX and MaxY are the field's size in sim units.
func (p Params) MaxX() int32 { return p.Width * SimUnits }
func (p Params) MaxY() int32 { return p.Height * SimUnits }

// step is how far a runner moves along one axis in a tick, in sim units:
// it runs 11/10 as fast, a boosted runner twice as fast.
func (p Params) step(it, boosted bool) int32 {
	perSecond := p.Speed * SimUnits
	if it {
		perSecond = perSecond * 11 / 10
	}
	if boosted {
		perSecond *= 2
	}
	return max(perSecond/p.TickRate, 1)
}

// ticks converts milliseconds to ticks, rounding up.
func (p Params) ticks(ms int32) int32 {
	return int32((int64(ms)*int64(p.TickRate) + 999) / 1000)
}

// Move is one tick of a runner's movement under in: the same code on the
// server and in a predicting client. A frozen runner does not move.
func (p Params) Move(e sim.EntityState, in sim.Input) sim.EntityState {
	f := &e.Fields
	if f[RunnerFrozen] > 0 {
		f[RunnerVX], f[RunnerVY] = 0, 0
		return e
	}
	step := p.step(f[RunnerIt] != 0, f[RunnerBoost] > 0)
	mx := int32(sim.Clamp(in.MoveX, -1, 1))
	my := int32(sim.Clamp(in.MoveY, -1, 1))
	if mx != 0 && my != 0 {
		step = step * 181 / 256 // ~1/√2: diagonals are no faster
	}
	x := sim.Clamp(f[RunnerX]+mx*step, 0, p.MaxX())
	y := sim.Clamp(f[RunnerY]+my*step, 0, p.MaxY())
	f[RunnerVX], f[RunnerVY] = x-f[RunnerX], y-f[RunnerY]
	f[RunnerX], f[RunnerY] = x, y
	return e
}
