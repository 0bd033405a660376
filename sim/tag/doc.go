// Package tag is a second small game for tickwire, beside the arena: a game
// of tag. One runner is "it"; touching another runner passes "it" on, and
// the newly tagged runner is frozen for a moment so it cannot tag straight
// back. Every tick a runner is not "it" scores a point. Boost pads on the
// floor double a runner's speed for a second and then recharge. The match
// ends when its time runs out, and the runners are ranked by score.
//
// It exists to prove that the server's Game interface is not shaped around
// the arena: different entity kinds (runners and pads, no shots, no NPCs,
// no hit tests or rewind), a game-wide role that moves between players, a
// join refused with a reason (the match is full, or over), and a result.
// Like every sim package it has no clocks and no floats: time is the tick,
// positions are integers (1 world unit = SimUnits), so a client can predict
// with Params.Move and agree with the server bit for bit.
//
// Entry points: New(cfg) returns a *Game with the methods the server drives
// (Kinds, Join, Leave, Step, World, Result, Params); ParseParams and
// Params.Move serve clients and bots. The server registers it as "tag".
package tag
