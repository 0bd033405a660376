package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/sim"
)

// race is a complete custom game: each tick a player holds Fire, their
// runner moves one step; the first to the finish wins. It implements
// server.Game, and server.Ender to end the match with a result.
type race struct {
	finish  int32
	runners map[sim.PlayerID]*runner
	order   []sim.PlayerID // join order: entity IDs, sorted
	result  *sim.Result
}

type runner struct {
	name string
	pos  int32
}

func (g *race) Kinds() []sim.KindSpec {
	return []sim.KindSpec{{Name: "runner", Fields: []sim.FieldSpec{{Name: "pos", Min: 0, Max: g.finish}}}}
}

func (g *race) Join(p sim.PlayerID, name string) (sim.EntityID, error) {
	if g.result != nil {
		return 0, fmt.Errorf("the race is over")
	}
	g.runners[p] = &runner{name: name}
	g.order = append(g.order, p)
	return sim.EntityID(p), nil
}

func (g *race) Leave(p sim.PlayerID) { delete(g.runners, p) }

func (g *race) Step(_ sim.Tick, inputs []sim.PlayerInput) {
	for _, in := range inputs {
		r := g.runners[in.Player]
		if r == nil || in.Buttons&sim.ButtonFire == 0 || g.result != nil {
			continue
		}
		if r.pos++; r.pos == g.finish {
			g.result = &sim.Result{Reason: "finish", Players: []sim.PlayerResult{
				{Player: in.Player, Name: r.name, Score: int64(r.pos), Rank: 1},
			}}
		}
	}
}

func (g *race) World(dst []sim.EntityState) []sim.EntityState {
	for _, p := range g.order {
		if r, ok := g.runners[p]; ok {
			e := sim.EntityState{ID: sim.EntityID(p)}
			e.Fields[0] = r.pos
			dst = append(dst, e)
		}
	}
	return dst
}

func (g *race) Result() (sim.Result, bool) {
	if g.result == nil {
		return sim.Result{}, false
	}
	return *g.result, true
}

// Example hosts a custom game: register it, serve, let a player join and
// run, and receive the match result in a callback (a webhook works the
// same way, with Options.WebhookURL).
func Example() {
	results := make(chan server.MatchResult, 1)
	srv := server.New(&server.Options{
		Logger: slog.New(slog.DiscardHandler),
		OnResult: func(r server.MatchResult) error {
			results <- r
			return nil
		},
	})
	srv.RegisterGame("race", func(cfg sim.Config) (server.Game, error) {
		return &race{finish: 20, runners: map[sim.PlayerID]*runner{}}, nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	// A player joins room "heat-1", which the join creates with the race.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, "ws://"+ln.Addr().String()+"/ws",
		&netcode.Options{Room: "heat-1", Game: "race", Name: "ann"})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	// Hold Fire until the match is over.
	for {
		select {
		case res := <-results:
			winner := res.Result.Players[0]
			fmt.Printf("%s in %s: %s won with %d (%s)\n", res.Game, res.Room, winner.Name, winner.Score, res.Result.Reason)
			return
		case <-time.After(5 * time.Millisecond):
			c.Update(sim.Input{Buttons: sim.ButtonFire})
		case <-ctx.Done():
			fmt.Println("timed out")
			return
		}
	}
	// Output: race in heat-1: ann won with 20 (finish)
}
