package arena

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Params are the arena's rules. Distances are in world units (SimUnits sim
// units each), times in milliseconds or seconds as named. The zero value is
// not useful: start from DefaultParams or ParseParams.
type Params struct {
	// TickRate is ticks per second, needed to turn speeds and times into
	// ticks. A game takes it from sim.Config; a client parsing the room's
	// parameters takes it from "tick_rate" or sets it from its Welcome.
	TickRate int
	// Width and Height bound the arena: positions are 0..Width*SimUnits.
	Width, Height int32
	// Speed is how fast players move, world units per second.
	Speed int32
	// NPCSpeed is how fast NPCs wander, world units per second.
	NPCSpeed int32
	// CooldownMS is the least time between two shots of a player.
	CooldownMS int32
	// Range is how far a hitscan shot reaches.
	Range int32
	// HitRadius is the radius around a target's centre a shot must pass.
	HitRadius int32
	// Damage is the hp a hit takes.
	Damage int32
	// HP is the hp players and NPCs start with.
	HP int32
	// RespawnMS is how long a dead player waits to respawn (NPCs respawn at
	// once).
	RespawnMS int32
	// NPCs is how many NPCs wander the arena.
	NPCs int32
	// LagComp tests shots against targets where the shooter saw them
	// (PlayerInput.ViewTime) rather than where they are now.
	LagComp bool
	// ScoreLimit ends the match when a player reaches it; 0 means none.
	ScoreLimit int32
	// TimeLimitS ends the match after that many seconds of ticks; 0 means
	// none.
	TimeLimitS int32
}

// SimUnits is how many sim units make one world unit: positions in entity
// state are world units times 16, so slow movement still moves.
const SimUnits = 16

// DefaultTickRate is the TickRate ParseParams assumes without "tick_rate".
const DefaultTickRate = 30

// ErrInvalidParam is what every *ParamError wraps, for errors.Is.
var ErrInvalidParam = errors.New("arena: invalid parameter")

// ParamError says which parameter was rejected and why.
type ParamError struct {
	Name, Value, Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("arena: parameter %s=%q: %s", e.Name, e.Value, e.Reason)
}

func (e *ParamError) Unwrap() error { return ErrInvalidParam }

// intParam describes one integer parameter: its name on the wire, default
// and accepted range.
type intParam struct {
	name          string
	def, min, max int32
	field         func(*Params) *int32
}

// intParams lists the integer parameters in the order Params' doc gives
// them. The limits keep every product the game computes inside int64 and
// every position inside int32.
var intParams = []intParam{
	{"width", 2000, 10, 100000, func(p *Params) *int32 { return &p.Width }},
	{"height", 2000, 10, 100000, func(p *Params) *int32 { return &p.Height }},
	{"speed", 200, 0, 100000, func(p *Params) *int32 { return &p.Speed }},
	{"npc_speed", 100, 0, 100000, func(p *Params) *int32 { return &p.NPCSpeed }},
	{"cooldown_ms", 500, 0, 3600000, func(p *Params) *int32 { return &p.CooldownMS }},
	{"range", 300, 1, 200000, func(p *Params) *int32 { return &p.Range }},
	{"hit_radius", 20, 1, 100000, func(p *Params) *int32 { return &p.HitRadius }},
	{"damage", 10, 0, 1000000, func(p *Params) *int32 { return &p.Damage }},
	{"hp", 100, 1, 1000000, func(p *Params) *int32 { return &p.HP }},
	{"respawn_ms", 2000, 0, 3600000, func(p *Params) *int32 { return &p.RespawnMS }},
	{"npcs", 24, 0, maxNPCs, func(p *Params) *int32 { return &p.NPCs }},
	{"score_limit", 0, 0, maxCounter, func(p *Params) *int32 { return &p.ScoreLimit }},
	{"time_limit_s", 0, 0, 7 * 24 * 3600, func(p *Params) *int32 { return &p.TimeLimitS }},
}

const (
	paramTickRate = "tick_rate"
	paramLagComp  = "lagcomp"
	maxTickRate   = 1000
	maxNPCs       = 4096
	// maxCounter bounds score and deaths (they saturate there).
	maxCounter = 1<<20 - 1
)

// DefaultParams returns the rules of a room created without parameters. They
// equal loadbots' `peer` scenario except for NPCs (peer plays with none).
func DefaultParams() Params {
	p := Params{TickRate: DefaultTickRate, LagComp: true}
	for _, d := range intParams {
		*d.field(&p) = d.def
	}
	return p
}

// ParamNames lists every parameter ParseParams accepts.
func ParamNames() []string {
	names := []string{paramTickRate, paramLagComp}
	for _, d := range intParams {
		names = append(names, d.name)
	}
	slices.Sort(names)
	return names
}

// ParseParams reads a room's parameters over the defaults. Every key is
// optional; unknown keys and bad values are errors (all of them, joined,
// each a *ParamError), because a typo silently ignored would run a match by
// rules nobody asked for. Integers are decimal; lagcomp is on or off (true,
// false, 1, 0 also do).
func ParseParams(m map[string]string) (Params, error) {
	p := DefaultParams()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // errors in a stable order
	var errs []error
	for _, k := range keys {
		v := m[k]
		switch k {
		case paramLagComp:
			switch strings.ToLower(v) {
			case "on", "true", "1":
				p.LagComp = true
			case "off", "false", "0":
				p.LagComp = false
			default:
				errs = append(errs, &ParamError{k, v, "want on or off"})
			}
		case paramTickRate:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxTickRate {
				errs = append(errs, &ParamError{k, v, fmt.Sprintf("want an integer in 1..%d", maxTickRate)})
				continue
			}
			p.TickRate = n
		default:
			i := slices.IndexFunc(intParams, func(d intParam) bool { return d.name == k })
			if i < 0 {
				errs = append(errs, &ParamError{k, v, "unknown parameter (known: " + strings.Join(ParamNames(), ", ") + ")"})
				continue
			}
			d := intParams[i]
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil || int32(n) < d.min || int32(n) > d.max {
				errs = append(errs, &ParamError{k, v, fmt.Sprintf("want an integer in %d..%d", d.min, d.max)})
				continue
			}
			*d.field(&p) = int32(n)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Params{}, err
	}
	return p, nil
}

// Map returns every parameter, defaults included, as ParseParams reads
// them: ParseParams(p.Map()) == p.
func (p Params) Map() map[string]string {
	m := make(map[string]string, len(intParams)+2)
	for _, d := range intParams {
		m[d.name] = strconv.Itoa(int(*d.field(&p)))
	}
	m[paramTickRate] = strconv.Itoa(p.TickRate)
	m[paramLagComp] = "off"
	if p.LagComp {
		m[paramLagComp] = "on"
	}
	return m
}

// perTick converts a speed in world units per second into sim units per
// tick, rounded; a non-zero speed moves at least one sim unit a tick.
func (p Params) perTick(unitsPerSecond int32) int32 {
	if unitsPerSecond <= 0 || p.TickRate <= 0 {
		return 0
	}
	v := (int64(unitsPerSecond)*SimUnits + int64(p.TickRate)/2) / int64(p.TickRate)
	return int32(max(v, 1))
}

// ticks converts milliseconds into ticks, rounding up so a cooldown or delay
// is never shorter than asked.
func (p Params) ticks(ms int32) int32 {
	return int32((int64(ms)*int64(p.TickRate) + 999) / 1000)
}

// PlayerStep is the most a player moves along one axis in a tick, in sim
// units.
func (p Params) PlayerStep() int32 { return p.perTick(p.Speed) }

// NPCStep is the most an NPC moves along one axis in a tick, in sim units.
func (p Params) NPCStep() int32 { return p.perTick(p.NPCSpeed) }

// MaxX is the largest x position, in sim units.
func (p Params) MaxX() int32 { return p.Width * SimUnits }

// MaxY is the largest y position, in sim units.
func (p Params) MaxY() int32 { return p.Height * SimUnits }
