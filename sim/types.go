package sim

// Tick numbers the fixed steps of a room. The first step is tick 1; tick 0
// means "before the first step" (and, as a baseline, "none").
type Tick uint32

// SubTicks is the number of fractions a tick is divided into in a TickTime.
const SubTicks = 256

// TickTime is a point in simulation time in 1/SubTicks of a tick, so a view
// time between two ticks (what a client renders while interpolating) can be
// named exactly without floating point.
type TickTime int64

// Time returns the TickTime at the start of tick t.
func (t Tick) Time() TickTime { return TickTime(t) * SubTicks }

// Tick returns the tick at or before tt, and the fraction past it in
// 1/SubTicks.
func (tt TickTime) Tick() (Tick, int32) {
	return Tick(tt / SubTicks), int32(tt % SubTicks)
}

// PlayerID names a player in a room; the server assigns it, never 0.
type PlayerID uint32

// EntityID names an entity in a world; never 0.
type EntityID uint32

// MaxFields is the most replicated fields an entity kind may declare.
const MaxFields = 12

// FieldSpec declares one replicated field of an entity kind: the range of its
// values (in the game's own integer units) and the precision the wire keeps.
// The wire carries round((v - Min) / Step), so both ends agree bit for bit.
type FieldSpec struct {
	Name     string
	Min, Max int32
	// Step is the precision on the wire; 0 means 1 (lossless).
	Step int32
	// Rate optionally names another field of the same kind that holds this
	// field's change per tick (a velocity for a position). The delta codec
	// then predicts this field from the baseline and sends only the error,
	// so steady motion costs nothing on the wire.
	Rate string
}

// KindSpec declares a replicated entity kind and its fields, in wire order.
type KindSpec struct {
	Name   string
	Fields []FieldSpec
}

// EntityState is the replicated state of one entity in the game's units:
// Fields[i] is the value of the kind's i-th declared field.
type EntityState struct {
	ID     EntityID
	Kind   uint8
	Fields [MaxFields]int32
}

// Input is one tick's worth of a player's intent.
type Input struct {
	// MoveX and MoveY are in -1..1; other values are clamped by the game.
	MoveX, MoveY int8
	// Aim is an angle: 65536 is a full turn, counter-clockwise from +x.
	Aim     uint16
	Buttons uint16
}

// Buttons a game may read from Input.Buttons.
const (
	ButtonFire uint16 = 1 << iota
	ButtonAlt
)

// PlayerInput is what the room hands the game for one player and one tick.
type PlayerInput struct {
	Player PlayerID
	Input
	// Fresh is false when no input arrived in time for this tick and Input
	// repeats the last one the player sent.
	Fresh bool
	// ViewTime is when the world the player aimed at was current, already
	// checked against measured latency and clamped by the server: hit tests
	// rewind to it. It is never after the tick being stepped.
	ViewTime TickTime
}

// Config is what a room gives a game when it creates it.
type Config struct {
	// TickRate is the room's ticks per second.
	TickRate int
	// Seed makes the game's randomness reproducible.
	Seed uint64
	// RewindTicks is how many ticks of hit-relevant history the game keeps
	// for lag compensation; 0 means one second's worth.
	RewindTicks int
	// Params are the room's creation parameters (game-specific).
	Params map[string]string
}

// PlayerResult is one player's line in a match result.
type PlayerResult struct {
	Player PlayerID `json:"player"`
	Name   string   `json:"name"`
	Score  int64    `json:"score"`
	Rank   int      `json:"rank"`
}

// Result is how a match ended.
type Result struct {
	Players []PlayerResult    `json:"players"`
	Reason  string            `json:"reason"`
	Extra   map[string]string `json:"extra,omitempty"`
}
