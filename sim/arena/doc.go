// Package arena is tickwire's demo game: a top-down, bounded 2D arena where
// players move, aim and fire hitscan shots at each other and at wandering
// NPCs. The server runs it as its built-in game ("arena"); clients run its
// movement rule, Params.Move, to predict their own player; load tests play
// it with bots. It is also the worked example of a game a host could plug
// into the server: New, Kinds, Join, Leave, Step, World, Result.
//
// # Rules
//
// Positions are integers in sim units, SimUnits (16) to a world unit, so
// every platform computes the same world (see package sim). Players move at
// a fixed speed from MoveX, MoveY (diagonals normalised), stop at the walls,
// and aim with Input.Aim rounded down to AimStep. Fire (sim.ButtonFire, on a
// fresh input, at most once per cooldown) is a hitscan ray of the given
// range from the shooter: the nearest player or NPC whose hit radius it
// passes takes the damage. A player at 0 hp is dead (cannot move, fire or be
// hit) and respawns after respawn_ms at a spawn point drawn from the seeded
// generator; an NPC killed respawns at once elsewhere. Each kill, of a
// player or an NPC, scores 1 for the shooter. A match ends at score_limit or
// time_limit_s when set (Result). Every shot also appears for 150 ms as a
// "shot" entity saying what the server tested, for clients to draw and for a
// debug overlay to show lag compensation at work.
//
// # Lag compensation
//
// The game keeps, per player and NPC, its position after each of the last
// RewindTicks ticks (one second by default). With lagcomp on, a shot tests
// each target where the shooter saw it: at PlayerInput.ViewTime, which the
// server has already checked against measured latency, interpolated between
// the two recorded ticks around it by the 1/256 fraction, and clamped to the
// history kept and to the target's current life (no rewind across a respawn
// or teleport). With lagcomp off it tests where targets are now.
//
// # Parameters
//
// All optional, as room parameters (ParseParams; Game.Params lists the
// effective values): width, height (2000 x 2000 world units), speed (200
// units/s), npc_speed (100), cooldown_ms (500), range (300), hit_radius
// (20), damage (10), hp (100), respawn_ms (2000), npcs (24), lagcomp (on),
// score_limit (0 = none), time_limit_s (0 = none), and tick_rate, which the
// server sets and a client reads to build Params.Move. The defaults are
// loadbots' `peer` scenario, which adds npcs=0.
//
// # Entities
//
// IDs: NPCs 1..npcs, players above them, shots from 2^20. Kinds, with bounds
// derived from the parameters (positions 0..width*16 and so on):
//
//	0 player {x, y, vx, vy, aim, hp, score, deaths, life}
//	1 npc    {x, y, vx, vy}
//	2 shot   {x, y, aim, length, target, tx, ty}
//
// Measured on the 2-vCPU development VM (go test -bench, amd64): one Step
// plus World takes 1.2 µs for the peer room (10 players, no NPCs), 2.2 µs
// for 10 players and 24 NPCs, and 18.5 µs for 100 players and 24 NPCs, all
// with players moving and half of them firing; none allocates.
package arena
