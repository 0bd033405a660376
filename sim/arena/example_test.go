package arena_test

import (
	"fmt"

	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// The game the room drives, and the same movement rule a client predicts
// with, built from the parameters the game publishes.
func Example() {
	g, err := arena.New(sim.Config{TickRate: 30, Seed: 1, Params: map[string]string{"npcs": "0"}})
	if err != nil {
		panic(err)
	}
	me, _ := g.Join(1, "alice")
	rules, _ := arena.ParseParams(g.Params())

	var world []sim.EntityState
	world = g.World(world[:0])
	predicted := world[0]
	in := sim.Input{MoveX: 1, Aim: 1000}
	g.Step(1, []sim.PlayerInput{{Player: 1, Input: in, Fresh: true, ViewTime: sim.Tick(1).Time()}})
	predicted = rules.Move(predicted, in)

	world = g.World(world[:0])
	fmt.Println("entity", me, "moved", world[0].Fields[arena.PlayerVX], "sim units, aim", world[0].Fields[arena.PlayerAim])
	fmt.Println("prediction matches:", predicted == world[0])
	// Output:
	// entity 1 moved 107 sim units, aim 960
	// prediction matches: true
}

// Game is what the server's room drives (server.Game, server.Ender) plus
// Params for the welcome.
var _ interface {
	Kinds() []sim.KindSpec
	Join(p sim.PlayerID, name string) (sim.EntityID, error)
	Leave(p sim.PlayerID)
	Step(tick sim.Tick, inputs []sim.PlayerInput)
	World(dst []sim.EntityState) []sim.EntityState
	Result() (sim.Result, bool)
	Params() map[string]string
} = (*arena.Game)(nil)
