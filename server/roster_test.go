package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/schema/wire"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
)

// rosterOf waits until c's roster satisfies ok and returns it.
func rosterOf(t *testing.T, c *netcode.Client, ok func([]protocol.RosterEntry) bool, what string) []protocol.RosterEntry {
	t.Helper()
	var r []protocol.RosterEntry
	require.Eventually(t, func() bool {
		r = c.Roster()
		return ok(r)
	}, 10*time.Second, 5*time.Millisecond, "%s; last roster %+v", what, r)
	return r
}

func entry(c *netcode.Client, name string, connected bool) protocol.RosterEntry {
	w := c.Welcome()
	return protocol.RosterEntry{PlayerID: w.PlayerID, EntityID: w.EntityID, Name: name, Connected: connected}
}

func TestRosterNamesEveryPlayer(t *testing.T) { forEachIO(t, testRosterNamesEveryPlayer) }

func testRosterNamesEveryPlayer(t *testing.T, netpoll bool) {
	srv := servertest.Start(t, &server.Options{ResumeGrace: 5 * time.Second, NetpollIO: netpoll})
	noNPCs := map[string]string{"npcs": "0"}
	ann := dial(t, srv, netcode.Options{Room: "r", Name: "ann", Params: noNPCs})
	bob := dial(t, srv, netcode.Options{Room: "r", Name: "bob"})
	other := dial(t, srv, netcode.Options{Room: "elsewhere", Name: "cid"})

	both := []protocol.RosterEntry{entry(ann, "ann", true), entry(bob, "bob", true)}
	equals := func(want []protocol.RosterEntry) func([]protocol.RosterEntry) bool {
		return func(r []protocol.RosterEntry) bool { return assert.ObjectsAreEqual(want, r) }
	}
	rosterOf(t, ann, equals(both), "ann sees both, in join order")
	rosterOf(t, bob, equals(both), "bob sees both")
	rosterOf(t, other, equals([]protocol.RosterEntry{entry(other, "cid", true)}), "another room's roster is its own")

	// The roster is there before the snapshots that show the entities it
	// names: any snapshot decoded now names only listed players.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	snap, err := ann.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	listed := map[sim.EntityID]bool{}
	for _, e := range ann.Roster() {
		listed[e.EntityID] = true
	}
	for _, e := range snap.Entities {
		assert.True(t, listed[e.ID], "entity %d of tick %d is in the roster", e.ID, snap.Tick)
	}

	// A dropped player stays listed, not connected, and comes back.
	token := bob.Welcome().ResumeToken
	bob.Drop()
	away := []protocol.RosterEntry{entry(ann, "ann", true), entry(bob, "bob", false)}
	rosterOf(t, ann, equals(away), "bob is away")
	bob2 := dial(t, srv, netcode.Options{Room: "r", Name: "bob", ResumeToken: token})
	rosterOf(t, bob2, equals(both), "the resumed connection gets the roster")
	rosterOf(t, ann, equals(both), "bob is back")

	// A goodbye takes the player off.
	require.NoError(t, bob2.Close())
	rosterOf(t, ann, equals([]protocol.RosterEntry{entry(ann, "ann", true)}), "bob left")
}

// TestRosterComesBeforeTheEntitiesItNames reads a room's messages raw, in
// the order they come: every player entity of every snapshot has been named
// by a Roster before it, while players join.
func TestRosterComesBeforeTheEntitiesItNames(t *testing.T) {
	srv := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws := rawJoin(t, ctx, srv.URL, "order", map[string]string{"npcs": "0"})
	defer ws.CloseNow()
	_, msg, err := ws.Read(ctx)
	require.NoError(t, err)
	w, err := protocol.ParseWelcome(msg)
	require.NoError(t, err)
	schema, err := delta.NewSchema(w.Kinds)
	require.NoError(t, err)
	frames := delta.NewHistory(4)

	joined := make(chan struct{})
	go func() {
		defer close(joined)
		for i := range 4 {
			time.Sleep(100 * time.Millisecond)
			c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: "order", Name: fmt.Sprint("p", i)})
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()

	listed := map[sim.EntityID]string{}
	rosters, snapshots, most := 0, 0, 0
	for deadline := time.Now().Add(time.Second); ; {
		select {
		case <-joined:
			if time.Now().After(deadline) && most == 5 {
				assert.GreaterOrEqual(t, rosters, 5, "a roster per join")
				assert.Positive(t, snapshots)
				return
			}
		default:
		}
		_, msg, err := ws.Read(ctx)
		require.NoError(t, err)
		switch wire.MessageType(msg[0]) {
		case wire.MessageTypeRoster:
			r, err := protocol.ParseRoster(msg)
			require.NoError(t, err)
			clear(listed)
			for _, e := range r.Players {
				listed[e.EntityID] = e.Name
			}
			rosters++
		case wire.MessageTypeSnapshot:
			tick, body, err := protocol.ParseSnapshot(msg)
			require.NoError(t, err)
			h, entities, err := delta.ParseHeader(tick, body)
			require.NoError(t, err)
			require.Zero(t, h.Baseline, "nothing was acknowledged, so every snapshot is whole")
			frame := frames.Next(tick)
			require.NoError(t, schema.DecodeDelta(frame, nil, tick, entities))
			for _, e := range frame.Entities {
				_, ok := listed[e.ID]
				require.True(t, ok, "entity %d in the snapshot of tick %d before any roster named it", e.ID, tick)
			}
			most = max(most, len(frame.Entities))
			snapshots++
		}
	}
}
