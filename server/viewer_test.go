package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
)

// blink is a game with fog: dots drift along x, and each player sees two
// thirds of them, a set that changes every blinkPeriod ticks.
// Everything is a function of the tick, so a test knows what each player
// must see at any tick.
type blink struct {
	tick    sim.Tick
	players []sim.PlayerID
}

const (
	blinkDots   = 24
	blinkFirst  = 1000 // the first dot's entity ID; players' entities are their IDs
	blinkPeriod = 10
)

func (b *blink) Kinds() []sim.KindSpec {
	return []sim.KindSpec{{Name: "dot", Fields: []sim.FieldSpec{
		{Name: "x", Min: -1000, Max: 1000, Rate: "vx"},
		{Name: "vx", Min: -10, Max: 10},
	}}}
}

func (b *blink) Join(p sim.PlayerID, _ string) (sim.EntityID, error) {
	b.players = append(b.players, p)
	return sim.EntityID(p), nil
}

func (b *blink) Leave(p sim.PlayerID) {
	for i, q := range b.players {
		if q == p {
			b.players = append(b.players[:i], b.players[i+1:]...)
			return
		}
	}
}

func (b *blink) Step(t sim.Tick, _ []sim.PlayerInput) { b.tick = t }

func (b *blink) World(dst []sim.EntityState) []sim.EntityState {
	for _, p := range b.players {
		dst = append(dst, sim.EntityState{ID: sim.EntityID(p), Fields: [sim.MaxFields]int32{int32(p) * 10}})
	}
	for i := range blinkDots {
		dst = append(dst, blinkDot(b.tick, i))
	}
	return dst
}

func (b *blink) Visible(viewer sim.PlayerID, e *sim.EntityState) bool {
	return e.ID < blinkFirst || blinkSees(b.tick, viewer, int(e.ID-blinkFirst))
}

// blinkDot is dot i at tick t: moving right 3 a tick, wrapping at 200.
func blinkDot(t sim.Tick, i int) sim.EntityState {
	x := (i*37+int(t)*3)%400 - 200
	return sim.EntityState{ID: sim.EntityID(blinkFirst + i), Fields: [sim.MaxFields]int32{int32(x), 3}}
}

// blinkSees says whether viewer sees dot i at tick t.
func blinkSees(t sim.Tick, viewer sim.PlayerID, i int) bool {
	return (i+int(t)/blinkPeriod*int(viewer))%3 != 0
}

// seen is one decoded snapshot's dots, and the baseline it was coded against.
type seen struct {
	tick, baseline sim.Tick
	dots           []sim.EntityState
}

// TestViewerSnapshotsShowEachPlayerItsOwnWorld runs a game with a Viewer:
// every snapshot each player decodes holds exactly the dots it may see at
// that tick, with their exact state, while dots leave and re-enter its view
// against acknowledged baselines. Players 1 and 4 always see alike; 1 and
// 2 (and 3) see alike one period in three and otherwise not, so a room
// that shared an encoding across views, now or at the baseline, would show.
func TestViewerSnapshotsShowEachPlayerItsOwnWorld(t *testing.T) { forEachIO(t, testViewer) }

func testViewer(t *testing.T, netpoll bool) {
	srv := servertest.Start(t, &server.Options{NetpollIO: netpoll})
	srv.RegisterGame("blink", func(sim.Config) (server.Game, error) { return &blink{}, nil })

	const players = 4
	var mu sync.Mutex
	got := make([][]seen, players)
	clients := make([]*netcode.Client, players)
	for i := range players {
		clients[i] = dial(t, srv, netcode.Options{Room: "fog", Game: "blink", OnSnapshot: func(s *netcode.Snapshot) {
			var dots []sim.EntityState
			for _, e := range s.Entities {
				if e.ID >= blinkFirst {
					dots = append(dots, e)
				}
			}
			mu.Lock()
			got[i] = append(got[i], seen{tick: s.Tick, baseline: s.Header.Baseline, dots: dots})
			mu.Unlock()
		}})
		require.Equal(t, sim.PlayerID(i+1), clients[i].Welcome().PlayerID)
	}

	// Each plays as a game loop would, so its input frames acknowledge
	// what it decoded and the server codes against those baselines.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	var loops sync.WaitGroup
	defer loops.Wait()
	defer cancel() // before the Wait: it ends the loops
	for _, c := range clients {
		loops.Go(func() {
			frame := time.NewTicker(10 * time.Millisecond)
			defer frame.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-frame.C:
					if _, err := c.Update(sim.Input{}); err != nil {
						return
					}
				}
			}
		})
	}

	// Long enough for every player's view to change several times.
	start := clients[players-1].Welcome().ServerTick
	for _, c := range clients {
		_, err := c.WaitSnapshot(ctx, start+6*blinkPeriod)
		require.NoError(t, err)
	}

	// The callbacks run under each client's lock: take the record and let
	// go of ours before asking the clients anything.
	mu.Lock()
	record := make([][]seen, players)
	copy(record, got)
	mu.Unlock()
	for i := range players {
		viewer := sim.PlayerID(i + 1)
		require.GreaterOrEqual(t, len(record[i]), 3*blinkPeriod, "player %d decoded snapshots", viewer)
		deltas := 0
		for _, s := range record[i] {
			if s.baseline != 0 {
				deltas++
			}
			var want []sim.EntityState
			for d := range blinkDots {
				if blinkSees(s.tick, viewer, d) {
					want = append(want, blinkDot(s.tick, d))
				}
			}
			if !assert.Equal(t, want, s.dots, "player %d, tick %d (baseline %d)", viewer, s.tick, s.baseline) {
				return
			}
		}
		assert.Greater(t, deltas, len(record[i])/2, "player %d: most snapshots are deltas against a baseline", viewer)
	}
	for _, c := range clients {
		st := c.Stats()
		assert.Zero(t, st.MissingBaseline, "every baseline named was held")
	}
}
