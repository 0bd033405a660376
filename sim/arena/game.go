package arena

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/tickwire/tickwire/sim"
)

// Errors Join returns.
var (
	// ErrAlreadyJoined: the player is in the game already.
	ErrAlreadyJoined = errors.New("arena: player already joined")
	// ErrNoEntityIDs: every player entity ID is taken (about a million).
	ErrNoEntityIDs = errors.New("arena: no free entity ID")
)

// Game is one arena match. It is not safe for concurrent use: the room's
// goroutine calls every method.
type Game struct {
	params    Params
	kinds     []sim.KindSpec
	rewind    int      // ticks of history kept (sim.Config.RewindTicks)
	shotTicks sim.Tick // how long a shot entity stays in the world

	tick  sim.Tick // the last tick stepped
	steps int64

	npcs     []npc     // NPC i has entity ID i+1
	players  []*player // by ascending entity ID
	byPlayer map[sim.PlayerID]*player
	nextBody sim.EntityID // next player entity ID to try
	shots    []shot       // by ascending ID except across an ID wrap
	nextShot uint32       // offset of the next shot ID from shotIDBase
	spawns   sim.Rand     // where players (re)spawn

	ended  bool
	result sim.Result
}

type player struct {
	id        sim.PlayerID
	name      string
	ent       sim.EntityState
	track     track
	in        sim.PlayerInput
	hasInput  bool     // an input for this tick arrived in Step
	nextFire  sim.Tick // first tick the cooldown allows a shot
	respawnAt sim.Tick // while dead: the tick it comes back
	hittable  bool     // alive when this tick's shots began
}

type npc struct {
	ent      sim.EntityState
	hp       int32
	rng      sim.Rand // its own stream: its path depends on the seed only
	turnAt   sim.Tick // when it picks a new heading
	track    track
	hittable bool
}

type shot struct {
	ent     sim.EntityState
	expires sim.Tick // first tick it is gone
}

// New creates a match from the room's configuration: cfg.Params are parsed
// by ParseParams; cfg.TickRate must be 1..1000 and agree with a "tick_rate"
// parameter if one is given. RewindTicks 0 keeps one second of history.
func New(cfg sim.Config) (*Game, error) {
	if cfg.TickRate < 1 || cfg.TickRate > maxTickRate {
		return nil, fmt.Errorf("arena: tick rate %d: want 1..%d", cfg.TickRate, maxTickRate)
	}
	p, err := ParseParams(cfg.Params)
	if err != nil {
		return nil, err
	}
	if v, ok := cfg.Params[paramTickRate]; ok && p.TickRate != cfg.TickRate {
		return nil, &ParamError{paramTickRate, v, "the room ticks at " + strconv.Itoa(cfg.TickRate) + "; the server sets the tick rate"}
	}
	p.TickRate = cfg.TickRate
	rewind := cfg.RewindTicks
	if rewind == 0 {
		rewind = cfg.TickRate
	}
	if rewind < 0 || rewind > 60*cfg.TickRate {
		return nil, fmt.Errorf("arena: rewind ticks %d: want 0..%d", rewind, 60*cfg.TickRate)
	}
	g := &Game{
		params:    p,
		kinds:     kinds(p),
		rewind:    rewind,
		shotTicks: sim.Tick(max(2, p.ticks(150))),
		byPlayer:  make(map[sim.PlayerID]*player),
		nextBody:  sim.EntityID(p.NPCs) + 1,
		spawns:    sim.NewRand(sim.Mix(cfg.Seed, 0)),
		npcs:      make([]npc, p.NPCs),
	}
	for i := range g.npcs {
		n := &g.npcs[i]
		n.rng = sim.NewRand(sim.Mix(cfg.Seed, uint64(i)+1))
		n.ent = sim.EntityState{ID: sim.EntityID(i + 1), Kind: KindNPC}
		n.track = newTrack(g.rewind+1, 1)
		g.respawnNPC(n)
		n.turnAt = sim.Tick(n.rng.Between(1, int32(3*p.TickRate)))
	}
	return g, nil
}

// Kinds returns the entity kinds: KindPlayer, KindNPC, KindShot.
func (g *Game) Kinds() []sim.KindSpec { return g.kinds }

// Params returns every parameter in effect, defaults included (and
// tick_rate), as ParseParams reads them: a client can build its Move from it.
func (g *Game) Params() map[string]string { return g.params.Map() }

// Rules returns the parsed parameters in effect.
func (g *Game) Rules() Params { return g.params }

// Join adds player p at a spawn point, alive, and returns its entity.
func (g *Game) Join(p sim.PlayerID, name string) (sim.EntityID, error) {
	if _, ok := g.byPlayer[p]; ok {
		return 0, fmt.Errorf("%w: %d", ErrAlreadyJoined, p)
	}
	id, ok := g.freeBodyID()
	if !ok {
		return 0, ErrNoEntityIDs
	}
	pl := &player{
		id:    p,
		name:  name,
		ent:   sim.EntityState{ID: id, Kind: KindPlayer},
		track: newTrack(g.rewind+1, g.tick+1),
	}
	pos := g.spawnPoint()
	pl.ent.Fields[PlayerX], pl.ent.Fields[PlayerY] = pos.x, pos.y
	pl.ent.Fields[PlayerHP] = g.params.HP
	pl.ent.Fields[PlayerLife] = 1
	i, _ := slices.BinarySearchFunc(g.players, id, cmpPlayerID)
	g.players = slices.Insert(g.players, i, pl)
	g.byPlayer[p] = pl
	return id, nil
}

// freeBodyID finds the next player entity ID not in use, wrapping to the
// first one above the NPCs after maxBodyID.
func (g *Game) freeBodyID() (sim.EntityID, bool) {
	first := sim.EntityID(g.params.NPCs) + 1
	if len(g.players) > int(maxBodyID-first) {
		return 0, false
	}
	id := g.nextBody
	for {
		if id > maxBodyID || id < first {
			id = first
		}
		_, used := slices.BinarySearchFunc(g.players, id, cmpPlayerID)
		if !used {
			g.nextBody = id + 1
			return id, true
		}
		id++
	}
}

// playerByEntity finds the player controlling entity id, or nil.
func (g *Game) playerByEntity(id sim.EntityID) *player {
	i, ok := slices.BinarySearchFunc(g.players, id, cmpPlayerID)
	if !ok {
		return nil
	}
	return g.players[i]
}

func cmpPlayerID(q *player, id sim.EntityID) int { return int(q.ent.ID) - int(id) }

// Leave removes player p and its entity.
func (g *Game) Leave(p sim.PlayerID) {
	pl, ok := g.byPlayer[p]
	if !ok {
		return
	}
	delete(g.byPlayer, p)
	g.players = slices.DeleteFunc(g.players, func(q *player) bool { return q == pl })
}

// Step advances the match to tick: respawns, movement (Params.Move for
// players, wandering for NPCs), the rewind history, then shots, damage,
// kills, and the end of the match. Players without an input stand still;
// only fresh inputs fire (a repeated input is the server's guess, and a shot
// the player never sent would also spend its cooldown). After the match
// ended, Step does nothing.
func (g *Game) Step(tick sim.Tick, inputs []sim.PlayerInput) {
	if g.ended {
		return
	}
	g.tick = tick
	g.steps++
	for _, pl := range g.players {
		pl.hasInput = false
	}
	for i := range inputs {
		if pl, ok := g.byPlayer[inputs[i].Player]; ok {
			pl.in, pl.hasInput = inputs[i], true
		}
	}
	g.shots = slices.DeleteFunc(g.shots, func(s shot) bool { return s.expires <= tick })

	for _, pl := range g.players {
		if pl.ent.Fields[PlayerHP] <= 0 && tick >= pl.respawnAt {
			g.respawnPlayer(pl)
		}
		if pl.hasInput {
			pl.ent = g.params.Move(pl.ent, pl.in.Input)
		} else {
			pl.ent.Fields[PlayerVX], pl.ent.Fields[PlayerVY] = 0, 0
		}
		pl.track.record(tick, point{pl.ent.Fields[PlayerX], pl.ent.Fields[PlayerY]})
		pl.hittable = pl.ent.Fields[PlayerHP] > 0
	}
	for i := range g.npcs {
		n := &g.npcs[i]
		g.moveNPC(n)
		n.track.record(tick, point{n.ent.Fields[NPCX], n.ent.Fields[NPCY]})
		n.hittable = n.hp > 0
	}

	for _, pl := range g.players {
		if pl.hittable && pl.hasInput && pl.in.Fresh && pl.in.Buttons&sim.ButtonFire != 0 && tick >= pl.nextFire {
			g.fire(pl)
		}
	}
	// NPCs killed this tick come back only now, so no later shot of the
	// same tick can hit them at their new place.
	for i := range g.npcs {
		if n := &g.npcs[i]; n.hp <= 0 {
			g.respawnNPC(n)
		}
	}
	g.checkEnd()
}

// respawnPlayer brings a dead player back at a spawn point with full hp.
func (g *Game) respawnPlayer(pl *player) {
	pos := g.spawnPoint()
	f := &pl.ent.Fields
	f[PlayerX], f[PlayerY] = pos.x, pos.y
	f[PlayerVX], f[PlayerVY] = 0, 0
	f[PlayerHP] = g.params.HP
	f[PlayerLife] = (f[PlayerLife] + 1) % lifeWrap
	pl.track.teleport(g.tick, pos)
}

// spawnPoint picks a deterministic spawn point, away from the walls.
func (g *Game) spawnPoint() point {
	mx := min(g.params.HitRadius*2*SimUnits, g.params.MaxX()/4)
	my := min(g.params.HitRadius*2*SimUnits, g.params.MaxY()/4)
	return point{
		g.spawns.Between(mx, g.params.MaxX()-mx),
		g.spawns.Between(my, g.params.MaxY()-my),
	}
}

// World appends every entity to dst, by ascending ID: NPCs, players, shots.
func (g *Game) World(dst []sim.EntityState) []sim.EntityState {
	for i := range g.npcs {
		dst = append(dst, g.npcs[i].ent)
	}
	for _, pl := range g.players {
		dst = append(dst, pl.ent)
	}
	n := len(dst)
	for i := range g.shots {
		dst = append(dst, g.shots[i].ent)
	}
	tail := dst[n:]
	byID := func(a, b sim.EntityState) int { return int(a.ID) - int(b.ID) }
	if !slices.IsSortedFunc(tail, byID) { // shot IDs wrapped
		slices.SortFunc(tail, byID)
	}
	return dst
}

// checkEnd ends the match on the score limit, then the time limit.
func (g *Game) checkEnd() {
	p := g.params
	if p.ScoreLimit > 0 {
		for _, pl := range g.players {
			if pl.ent.Fields[PlayerScore] >= p.ScoreLimit {
				g.end("score_limit")
				return
			}
		}
	}
	if p.TimeLimitS > 0 && g.steps >= int64(p.TimeLimitS)*int64(p.TickRate) {
		g.end("time_limit")
	}
}

// end freezes the match and ranks the players by score (ties share a rank;
// fewer deaths, then the lower player ID, list first).
func (g *Game) end(reason string) {
	g.ended = true
	ranked := slices.Clone(g.players)
	slices.SortStableFunc(ranked, func(a, b *player) int {
		fa, fb := &a.ent.Fields, &b.ent.Fields
		switch {
		case fa[PlayerScore] != fb[PlayerScore]:
			return int(fb[PlayerScore] - fa[PlayerScore])
		case fa[PlayerDeaths] != fb[PlayerDeaths]:
			return int(fa[PlayerDeaths] - fb[PlayerDeaths])
		default:
			return int(int64(a.id) - int64(b.id))
		}
	})
	res := sim.Result{Reason: reason, Players: make([]sim.PlayerResult, len(ranked)),
		Extra: map[string]string{"tick": strconv.FormatUint(uint64(g.tick), 10)}}
	for i, pl := range ranked {
		rank := i + 1
		if i > 0 && res.Players[i-1].Score == int64(pl.ent.Fields[PlayerScore]) {
			rank = res.Players[i-1].Rank
		}
		res.Players[i] = sim.PlayerResult{Player: pl.id, Name: pl.name, Score: int64(pl.ent.Fields[PlayerScore]), Rank: rank}
	}
	g.result = res
}

// Result reports how the match ended, once the score or time limit is
// reached: reason "score_limit" or "time_limit", players ranked by score.
func (g *Game) Result() (sim.Result, bool) {
	return g.result, g.ended
}
