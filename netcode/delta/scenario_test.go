package delta

import (
	"math/rand/v2"

	"github.com/tickwire/tickwire/sim"
)

// Kinds shaped like the demo arena's (sim/arena): 1 world unit = 16 sim
// units, positions predicted from velocities.
const (
	kindPlayer = 0
	kindNPC    = 1
	kindShot   = 2

	arenaSize   = 2000 * 16 // 2000 x 2000 world units
	playerSpeed = 200 * 16 / 30
)

func arenaKinds() []sim.KindSpec {
	pos := func(name, rate string) sim.FieldSpec {
		return sim.FieldSpec{Name: name, Min: 0, Max: arenaSize, Rate: rate}
	}
	vel := func(name string) sim.FieldSpec { return sim.FieldSpec{Name: name, Min: -256, Max: 256} }
	return []sim.KindSpec{
		{Name: "player", Fields: []sim.FieldSpec{
			pos("x", "vx"), pos("y", "vy"), vel("vx"), vel("vy"),
			{Name: "aim", Min: 0, Max: 65535},
			{Name: "hp", Min: 0, Max: 100},
			{Name: "score", Min: 0, Max: 10000},
			{Name: "deaths", Min: 0, Max: 10000},
			{Name: "life", Min: 0, Max: 255},
		}},
		{Name: "npc", Fields: []sim.FieldSpec{pos("x", "vx"), pos("y", "vy"), vel("vx"), vel("vy")}},
		{Name: "shot", Fields: []sim.FieldSpec{
			pos("x", ""), pos("y", ""),
			{Name: "aim", Min: 0, Max: 65535},
			{Name: "length", Min: 0, Max: 300 * 16, Step: 16},
			{Name: "target", Min: 0, Max: 65535},
			pos("tx", ""), pos("ty", ""),
		}},
	}
}

// walker is an entity of the benchmark scenario that moves in a straight
// line and redraws its direction every redrawMin..redrawMax ticks, like the
// loadbots `peer` scenario (each axis in {-1, 0, 1}, random aim).
type walker struct {
	state      sim.EntityState
	dx, dy     int32
	nextRedraw int
}

// scenario is a deterministic stand-in for the arena: players and NPCs
// walking with random direction changes, walls that stop them (the reported
// velocity is the displacement, so prediction holds), and occasional hits
// that cost hp and score a point.
type scenario struct {
	rng     *rand.Rand
	walkers []walker
	tick    int
	world   []sim.EntityState
	// hitsPerTick is the chance per tick that some player is hit.
	hitsPerTick float64
}

func newScenario(seed uint64, players, npcs int) *scenario {
	sc := &scenario{rng: rand.New(rand.NewPCG(seed, 1)), hitsPerTick: 1.0 / 30}
	for i := range players + npcs {
		w := walker{state: sim.EntityState{ID: sim.EntityID(i + 1)}}
		w.state.Fields[0] = sc.rng.Int32N(arenaSize)
		w.state.Fields[1] = sc.rng.Int32N(arenaSize)
		if i < players {
			w.state.Kind = kindPlayer
			w.state.Fields[5] = 100
			w.state.Fields[8] = 1
		} else {
			w.state.Kind = kindNPC
		}
		sc.redraw(&w)
		sc.walkers = append(sc.walkers, w)
	}
	return sc
}

func (sc *scenario) redraw(w *walker) {
	w.dx, w.dy = sc.rng.Int32N(3)-1, sc.rng.Int32N(3)-1
	if w.state.Kind == kindPlayer {
		w.state.Fields[4] = sc.rng.Int32N(65536)
	}
	w.nextRedraw = sc.tick + 15 + sc.rng.IntN(31) // 0.5-1.5 s at 30 Hz
}

// step advances one tick and returns the world, sorted by ID.
func (sc *scenario) step() []sim.EntityState {
	sc.tick++
	for i := range sc.walkers {
		w := &sc.walkers[i]
		if sc.tick >= w.nextRedraw {
			sc.redraw(w)
		}
		speed := int32(playerSpeed)
		if w.dx != 0 && w.dy != 0 {
			speed = speed * 7071 / 10000
		}
		for axis, d := range [2]int32{w.dx, w.dy} {
			old := w.state.Fields[axis]
			now := min(max(old+d*speed, 0), arenaSize)
			w.state.Fields[axis] = now
			w.state.Fields[2+axis] = now - old
		}
	}
	players := 0
	for _, w := range sc.walkers {
		if w.state.Kind == kindPlayer {
			players++
		}
	}
	if players > 1 && sc.rng.Float64() < sc.hitsPerTick {
		victim := &sc.walkers[sc.rng.IntN(players)].state
		shooter := &sc.walkers[sc.rng.IntN(players)].state
		victim.Fields[5] -= 10
		if victim.Fields[5] <= 0 {
			victim.Fields[5] = 100
			victim.Fields[7]++
			victim.Fields[0], victim.Fields[1] = sc.rng.Int32N(arenaSize), sc.rng.Int32N(arenaSize)
			shooter.Fields[6]++
		}
	}
	sc.world = sc.world[:0]
	for _, w := range sc.walkers {
		sc.world = append(sc.world, w.state)
	}
	return sc.world
}
