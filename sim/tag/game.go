package tag

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/tickwire/tickwire/sim"
)

// Errors Join refuses with; the text is what the player reads.
var (
	ErrFull  = errors.New("the match is full")
	ErrEnded = errors.New("the match is over")
)

// firstRunnerID is the entity ID of player 1's runner; pads take the IDs
// below it, so World is sorted by ID without sorting.
const firstRunnerID = 64

// runner is one player in the match.
type runner struct {
	player sim.PlayerID
	name   string
	ent    sim.EntityState
	joined int64 // steps at join: the tie-break after score
}

// Game is one match of tag. It is driven by one goroutine (the room's).
type Game struct {
	params  Params
	rng     sim.Rand
	tick    sim.Tick
	steps   int64
	runners []*runner // sorted by player (so by entity ID)
	pads    []sim.EntityState
	ended   bool
	result  sim.Result
}

// New starts a match with cfg's tick rate, seed and parameters.
func New(cfg sim.Config) (*Game, error) {
	p, err := ParseParams(cfg.Params)
	if err != nil {
		return nil, err
	}
	if cfg.TickRate > 0 {
		p.TickRate = int32(cfg.TickRate)
	}
	g := &Game{params: p, rng: sim.NewRand(sim.Mix(cfg.Seed, 0x7a6))}
	for i := range p.Pads {
		pad := sim.EntityState{ID: sim.EntityID(i + 1), Kind: KindPad}
		pad.Fields[PadX] = g.rng.Between(SimUnits, p.MaxX()-SimUnits)
		pad.Fields[PadY] = g.rng.Between(SimUnits, p.MaxY()-SimUnits)
		g.pads = append(g.pads, pad)
	}
	return g, nil
}

// Kinds declares the replicated kinds: runners and pads.
func (g *Game) Kinds() []sim.KindSpec { return g.params.Kinds() }

// Params returns the match's parameters, defaults filled in.
func (g *Game) Params() map[string]string { return g.params.Map() }

// Rules returns the match's parameters.
func (g *Game) Rules() Params { return g.params }

// Join adds a runner at a random spot. The first runner, and anyone who
// joins while nobody is "it", is "it". A full or finished match refuses.
func (g *Game) Join(p sim.PlayerID, name string) (sim.EntityID, error) {
	if g.ended {
		return 0, ErrEnded
	}
	if int32(len(g.runners)) >= g.params.MaxRunners {
		return 0, fmt.Errorf("%w (%d runners)", ErrFull, g.params.MaxRunners)
	}
	if g.find(p) != nil {
		return 0, fmt.Errorf("player %d is already in the match", p)
	}
	r := &runner{player: p, name: name, joined: g.steps}
	r.ent = sim.EntityState{ID: firstRunnerID + sim.EntityID(p) - 1, Kind: KindRunner}
	r.ent.Fields[RunnerX] = g.rng.Between(0, g.params.MaxX())
	r.ent.Fields[RunnerY] = g.rng.Between(0, g.params.MaxY())
	i, _ := slices.BinarySearchFunc(g.runners, p, func(q *runner, p sim.PlayerID) int { return cmpPlayer(q.player, p) })
	g.runners = slices.Insert(g.runners, i, r)
	if g.it() == nil {
		r.ent.Fields[RunnerIt] = 1
	}
	return r.ent.ID, nil
}

// Leave removes a runner; if it was "it", the runner who joined first
// among the rest becomes "it".
func (g *Game) Leave(p sim.PlayerID) {
	for i, r := range g.runners {
		if r.player != p {
			continue
		}
		g.runners = slices.Delete(g.runners, i, i+1)
		if r.ent.Fields[RunnerIt] != 0 && len(g.runners) > 0 {
			next := slices.MinFunc(g.runners, func(a, b *runner) int { return cmpInt(a.joined, b.joined) })
			next.ent.Fields[RunnerIt] = 1
		}
		return
	}
}

// Step advances the match to tick: movement, pads, the tag, scores, and
// the clock. A finished match stands still.
func (g *Game) Step(tick sim.Tick, inputs []sim.PlayerInput) {
	if g.ended {
		return
	}
	g.tick = tick
	g.steps++
	for i := range inputs {
		if r := g.find(inputs[i].Player); r != nil {
			r.ent = g.params.Move(r.ent, inputs[i].Input)
		}
	}
	for _, r := range g.runners {
		f := &r.ent.Fields
		f[RunnerFrozen] = max(f[RunnerFrozen]-1, 0)
		f[RunnerBoost] = max(f[RunnerBoost]-1, 0)
	}
	g.stepPads()
	g.stepTag()
	for _, r := range g.runners {
		if r.ent.Fields[RunnerIt] == 0 {
			r.ent.Fields[RunnerScore] = min(r.ent.Fields[RunnerScore]+1, maxScore)
		}
	}
	if d := g.params.Duration; d > 0 && g.steps >= int64(d)*int64(g.params.TickRate) {
		g.end("time_limit")
	}
}

// stepPads recharges pads and gives a ready pad's boost to the first
// runner (by player ID) on it.
func (g *Game) stepPads() {
	boost, recharge := g.params.ticks(BoostMillis), g.params.ticks(RechargeMillis)
	for i := range g.pads {
		pad := &g.pads[i].Fields
		if pad[PadRecharge] > 0 {
			pad[PadRecharge]--
			continue
		}
		for _, r := range g.runners {
			if within(&r.ent, pad[PadX], pad[PadY], PadReach) {
				r.ent.Fields[RunnerBoost] = boost
				pad[PadRecharge] = recharge
				break
			}
		}
	}
}

// stepTag lets "it", unless frozen, tag the nearest runner in reach who is
// not frozen: the tagged runner becomes "it" and freezes.
func (g *Game) stepTag() {
	it := g.it()
	if it == nil || it.ent.Fields[RunnerFrozen] > 0 {
		return
	}
	var tagged *runner
	best := int64(-1)
	for _, r := range g.runners {
		if r == it || r.ent.Fields[RunnerFrozen] > 0 {
			continue
		}
		if d := dist2(&it.ent, r.ent.Fields[RunnerX], r.ent.Fields[RunnerY]); d <= TagReach*TagReach && (best < 0 || d < best) {
			tagged, best = r, d
		}
	}
	if tagged == nil {
		return
	}
	it.ent.Fields[RunnerIt] = 0
	tagged.ent.Fields[RunnerIt] = 1
	tagged.ent.Fields[RunnerFrozen] = g.params.ticks(g.params.FreezeMillis)
	tagged.ent.Fields[RunnerVX], tagged.ent.Fields[RunnerVY] = 0, 0
}

// World appends the pads, then the runners: sorted by entity ID.
func (g *Game) World(dst []sim.EntityState) []sim.EntityState {
	dst = append(dst, g.pads...)
	for _, r := range g.runners {
		dst = append(dst, r.ent)
	}
	return dst
}

// Result reports how the match ended, once its time is up: runners ranked
// by score (ties share a rank; the earlier joiner lists first).
func (g *Game) Result() (sim.Result, bool) { return g.result, g.ended }

func (g *Game) end(reason string) {
	g.ended = true
	ranked := slices.Clone(g.runners)
	slices.SortStableFunc(ranked, func(a, b *runner) int {
		if sa, sb := a.ent.Fields[RunnerScore], b.ent.Fields[RunnerScore]; sa != sb {
			return int(sb - sa)
		}
		return cmpInt(a.joined, b.joined)
	})
	g.result = sim.Result{Reason: reason, Players: make([]sim.PlayerResult, len(ranked)),
		Extra: map[string]string{"tick": strconv.FormatUint(uint64(g.tick), 10)}}
	for i, r := range ranked {
		score := int64(r.ent.Fields[RunnerScore])
		rank := i + 1
		if i > 0 && g.result.Players[i-1].Score == score {
			rank = g.result.Players[i-1].Rank
		}
		g.result.Players[i] = sim.PlayerResult{Player: r.player, Name: r.name, Score: score, Rank: rank}
		if r.ent.Fields[RunnerIt] != 0 {
			g.result.Extra["it"] = r.name
		}
	}
}

// it returns the runner who is "it", or nil in an empty match.
func (g *Game) it() *runner {
	for _, r := range g.runners {
		if r.ent.Fields[RunnerIt] != 0 {
			return r
		}
	}
	return nil
}

func (g *Game) find(p sim.PlayerID) *runner {
	i, ok := slices.BinarySearchFunc(g.runners, p, func(q *runner, p sim.PlayerID) int { return cmpPlayer(q.player, p) })
	if !ok {
		return nil
	}
	return g.runners[i]
}

func dist2(e *sim.EntityState, x, y int32) int64 {
	dx, dy := int64(e.Fields[RunnerX]-x), int64(e.Fields[RunnerY]-y)
	return dx*dx + dy*dy
}

func within(e *sim.EntityState, x, y, reach int32) bool {
	return dist2(e, x, y) <= int64(reach)*int64(reach)
}

func cmpPlayer(a, b sim.PlayerID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
