//go:build !js

// The client tests run a real server, which does not build for js/wasm.

package netcode_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/netcode/nettest"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
)

// proxied starts a server and a proxy in front of it; clients dialled
// through the proxy can have their network cut.
func proxied(t *testing.T, opts *server.Options) (*servertest.Server, *nettest.LatencyProxy, string) {
	t.Helper()
	srv := servertest.Start(t, opts)
	p, err := nettest.NewLatencyProxy(srv.Addr, 0, 0)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return srv, p, "ws://" + p.Addr() + "/ws"
}

func TestReconnectResumesTheSamePlayer(t *testing.T) {
	srv, proxy, url := proxied(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, url, &netcode.Options{Room: "r", Reconnect: true})
	require.NoError(t, err)
	defer c.Close()
	first := c.Welcome()
	s, err := c.WaitSnapshot(ctx, 0)
	require.NoError(t, err)

	proxy.ResetConns()
	require.Eventually(t, func() bool { return c.Stats().Reconnects == 1 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, first.PlayerID, c.Welcome().PlayerID, "the same player")
	assert.Equal(t, first.EntityID, c.Welcome().EntityID, "the same entity")
	_, err = c.WaitSnapshot(ctx, s.Tick+5)
	require.NoError(t, err, "snapshots flow again")
	assert.NoError(t, c.Err())

	rooms := srv.Rooms()
	require.Len(t, rooms, 1)
	require.Len(t, rooms[0].Players, 1, "one seat, resumed; not a second player")
	assert.True(t, rooms[0].Players[0].Connected)
}

func TestSilentServerIsDetected(t *testing.T) {
	_, proxy, url := proxied(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, url, &netcode.Options{Room: "r", DeadAfter: 500 * time.Millisecond})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.WaitSnapshot(ctx, 0)
	require.NoError(t, err)

	proxy.SetLatency(time.Hour, 0) // a black hole: no reset, no data
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("a black-holed connection was never noticed")
	}
	assert.ErrorIs(t, c.Err(), netcode.ErrServerSilent)
}

func TestRefusalsAreNotRetried(t *testing.T) {
	srv, _, url := proxied(t, &server.Options{MaxPlayers: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := netcode.Dial(ctx, url, &netcode.Options{Room: "solo", Reconnect: true})
	require.NoError(t, err)
	defer a.Close()
	// A second client resumes a's seat: a is replaced (4007), which is
	// final, so a must not dial back and fight for the seat.
	b, err := netcode.Dial(ctx, url, &netcode.Options{Room: "solo", Reconnect: true, ResumeToken: a.Welcome().ResumeToken})
	require.NoError(t, err)
	defer b.Close()
	select {
	case <-a.Done():
	case <-ctx.Done():
		t.Fatal("the replaced client kept going")
	}
	var ce *netcode.CloseError
	require.ErrorAs(t, a.Err(), &ce)
	assert.Equal(t, server.StatusReplaced, ce.Code)
	assert.Zero(t, a.Stats().Reconnects)
	_, err = b.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	assert.Len(t, srv.Rooms()[0].Players, 1)
}

func TestUpdateLabelsTicksAheadOfTheServer(t *testing.T) {
	srv := servertest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: "r"})
	require.NoError(t, err)
	defer c.Close()
	// A game loop at 60 frames a second for two seconds.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		_, err := c.Update(sim.Input{MoveX: 1})
		require.NoError(t, err)
		time.Sleep(time.Second / 60)
	}
	st := c.Stats()
	// About one input a tick (30 Hz), each frame carrying a few.
	assert.InDelta(t, 60, int(st.InputsSent), 15)
	snap, ok := c.Latest()
	require.True(t, ok)
	// Inputs arrive in time: the server applied this very tick's input,
	// not a repeat.
	assert.False(t, snap.Header.InputRepeated)
	assert.Equal(t, snap.Tick, snap.Header.LastInput)
}
