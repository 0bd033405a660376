package protocol

import (
	"errors"

	"github.com/tickwire/tickwire/sim"
)

// ProtocolVersion is the version of the wire protocol this package speaks.
// A Join with another version is refused with a clear close reason.
// Version 2 added the Roster.
const ProtocolVersion uint16 = 2

// MaxRosterPlayers is the most entries ParseRoster accepts: the largest
// room the server allows.
const MaxRosterPlayers = 1000

// MaxInputsPerFrame is the most inputs ParseInputFrame accepts in one
// frame: about four seconds at 30 Hz of unacknowledged inputs. More means a
// broken or hostile client, and refusing it bounds the work one frame costs.
const MaxInputsPerFrame = 128

// Errors the Parse functions return besides schema.ErrMalformed (bytes that
// are not a well-formed message of any type).
var (
	// ErrWrongType: the message is well formed but of another type than
	// the Parse function reads.
	ErrWrongType = errors.New("protocol: wrong message type")
	// ErrInvalid: the message is well formed but a value in it is not
	// acceptable (too many inputs, a field index out of range, ...).
	ErrInvalid = errors.New("protocol: invalid message")
)

// Join is the first message of every connection (client -> server).
type Join struct {
	ProtocolVersion uint16
	Room            string
	PlayerName      string
	// Token is a join token signed by the server's secret (auth mode).
	Token string
	// ResumeToken, from an earlier Welcome, asks for the same player back.
	ResumeToken string
	// Game names the registered game to create the room with; empty means
	// the server's default. Ignored when the room exists.
	Game string
	// Params are game parameters, used when this join creates the room.
	Params map[string]string
}

// TickInput is one tick's input, labelled with the tick it is for. The tick
// is also the input's sequence number.
type TickInput struct {
	Tick sim.Tick
	sim.Input
}

// InputFrame carries every input the server has not acknowledged yet,
// oldest first, so a lost or late frame loses nothing (client -> server).
type InputFrame struct {
	// AckTick is the newest snapshot tick the client has decoded.
	AckTick sim.Tick
	// AckDelayMicros is how long the client held that snapshot before the
	// frame left, so the server can take it out of its RTT sample.
	AckDelayMicros uint32
	// ViewTime is the time at which the client rendered the others: the
	// lag-compensation claim.
	ViewTime sim.TickTime
	Inputs   []TickInput
}

// Pong answers a Ping at once (client -> server).
type Pong struct {
	ID uint32
	// ServerTimeMicros echoes the Ping's.
	ServerTimeMicros int64
	// HoldMicros is how long the client held the Ping before answering.
	HoldMicros uint32
}

// Leave says goodbye before the client closes (client -> server).
type Leave struct {
	Reason string
}

// Welcome accepts a Join (server -> client).
type Welcome struct {
	ProtocolVersion uint16
	PlayerID        sim.PlayerID
	EntityID        sim.EntityID
	// TickRate is in Hz; it travels as a ushort (up to 65535).
	TickRate         int
	ServerTick       sim.Tick
	ServerTimeMicros int64
	ResumeToken      string
	Room             string
	Game             string
	// Params are the room's game parameters after defaults.
	Params map[string]string
	// Kinds are the replicated entity kinds, indexed by EntityState.Kind.
	Kinds []sim.KindSpec
}

// Ping asks for a Pong (server -> client).
type Ping struct {
	ID               uint32
	ServerTimeMicros int64
}

// Kick tells the client why it is being closed (server -> client); the
// close frame that follows carries the same code.
type Kick struct {
	Code   uint16
	Reason string
}

// RosterEntry is one seated player in a Roster.
type RosterEntry struct {
	PlayerID sim.PlayerID
	EntityID sim.EntityID
	Name     string
	// Connected is false while the seat is held for the player to come
	// back (see the server's resume grace).
	Connected bool
}

// Roster lists a room's seated players, whole (server -> client). It comes
// before a player's first snapshot and again whenever it changes; each
// replaces the one before.
type Roster struct {
	Players []RosterEntry
}
