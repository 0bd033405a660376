package server

import "github.com/tickwire/tickwire/sim"

// Game is what a room drives. One goroutine, the room's, calls every method,
// so an implementation needs no locks. The arena (sim/arena) is one Game; a
// host registers its own with Server.RegisterGame.
type Game interface {
	// Kinds declares the replicated entity kinds; it must not change.
	Kinds() []sim.KindSpec
	// Join adds a player and returns the entity it controls. A non-nil error
	// refuses the join; its text is the reason the player is told.
	Join(p sim.PlayerID, name string) (sim.EntityID, error)
	// Leave removes a player.
	Leave(p sim.PlayerID)
	// Step advances the world to tick, one input per joined player.
	Step(tick sim.Tick, inputs []sim.PlayerInput)
	// World appends the replicated state of every entity to dst, sorted by
	// ascending ID, and returns it.
	World(dst []sim.EntityState) []sim.EntityState
}

// GameFactory creates a game for a new room.
type GameFactory func(cfg sim.Config) (Game, error)

// Viewer is implemented by a game whose players do not all see the whole
// world. Players for whom Visible answers alike share one snapshot encoding.
type Viewer interface {
	Visible(viewer sim.PlayerID, e *sim.EntityState) bool
}

// Ender is implemented by a game whose matches end. The room asks after every
// step; once it reports ended, the room closes and its result is delivered.
type Ender interface {
	Result() (res sim.Result, ended bool)
}

// Parameterized is implemented by a game that reports its effective
// parameters (its defaults filled in). Players receive them in the Welcome,
// so a client can render and predict with the room's own rules.
type Parameterized interface {
	Params() map[string]string
}
