//go:build linux

package netcode_test

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
)

func newPoller(t *testing.T) *netcode.Poller {
	t.Helper()
	p, err := netcode.NewPoller()
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// Clients read by one Poller play as clients reading for themselves do:
// snapshots decoded (deltas, so their acks arrive), inputs applied on
// time, pings answered, a full snapshot larger than the read buffer
// decoded whole, and a clean goodbye. They run no goroutine of their own.
func TestPollerClientsPlay(t *testing.T) {
	srv := servertest.Start(t, nil)
	p := newPoller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const n = 20
	clients := make([]*netcode.Client, n)
	for i := range clients {
		opts := &netcode.Options{Room: "small", Poller: p}
		if i%2 == 1 {
			// Hundreds of NPCs: the first snapshot is a full one of
			// several kilobytes, past the reader's first buffer.
			opts.Room, opts.Params = "crowded", map[string]string{"npcs": "300"}
		}
		c, err := netcode.Dial(ctx, srv.URL, opts)
		require.NoError(t, err)
		clients[i] = c
	}

	// Play for a little over a second: a ping comes every second.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		for _, c := range clients {
			_, err := c.Update(sim.Input{MoveX: 1})
			require.NoError(t, err)
		}
		time.Sleep(time.Second / 60)
	}
	assert.Zero(t, readerGoroutines(), "the clients read through the Poller, not goroutines of their own")
	for i, c := range clients {
		s, ok := c.Latest()
		require.True(t, ok, "client %d", i)
		assert.NotZero(t, s.Header.Baseline, "client %d: a delta, so the server has its acks", i)
		// The inputs go out through the polled socket too.
		assert.InDelta(t, int(s.Tick), int(s.Header.LastInput), 2, "client %d: inputs arrive in time", i)
		if i%2 == 1 {
			assert.Greater(t, len(s.Entities), 300, "client %d: the crowded room's NPCs", i)
		}
		st := c.Stats()
		assert.GreaterOrEqual(t, st.PingsAnswered, uint64(1), "client %d", i)
		assert.GreaterOrEqual(t, st.Snapshots, uint64(30), "client %d", i)
		assert.Zero(t, st.MissingBaseline, "client %d", i)
	}
	for _, c := range clients {
		require.NoError(t, c.Close())
		<-c.Done()
	}
	assert.Eventually(t, func() bool {
		for _, r := range srv.Rooms() {
			if len(r.Players) > 0 {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "every goodbye reached the server")
}

// The ways a connection ends reach a polled client as they reach one
// that reads for itself.
func TestPollerClientsEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("drop", func(t *testing.T) {
		srv := servertest.Start(t, nil)
		c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Poller: newPoller(t)})
		require.NoError(t, err)
		_, err = c.WaitSnapshot(ctx, 0)
		require.NoError(t, err)
		c.Drop() // returns once the client is done
		assert.Error(t, c.Err())
	})

	t.Run("server shuts down", func(t *testing.T) {
		srv := servertest.Start(t, nil)
		c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Poller: newPoller(t)})
		require.NoError(t, err)
		_, err = c.WaitSnapshot(ctx, 0)
		require.NoError(t, err)
		srv.Stop(t)
		waitDone(ctx, t, c)
		var ce *netcode.CloseError
		require.ErrorAs(t, c.Err(), &ce)
		assert.Equal(t, websocket.StatusGoingAway, ce.Code)
	})

	t.Run("silent server", func(t *testing.T) {
		_, proxy, url := proxied(t, nil)
		c, err := netcode.Dial(ctx, url, &netcode.Options{DeadAfter: 500 * time.Millisecond, Poller: newPoller(t)})
		require.NoError(t, err)
		_, err = c.WaitSnapshot(ctx, 0)
		require.NoError(t, err)
		proxy.SetLatency(time.Hour, 0) // a black hole: no reset, no data
		waitDone(ctx, t, c)
		assert.ErrorIs(t, c.Err(), netcode.ErrServerSilent)
	})

	t.Run("churn", func(t *testing.T) {
		// Clients come and go from several goroutines at once, while the
		// Poller reads the others; then it closes with some still in.
		srv := servertest.Start(t, &server.Options{ResumeGrace: time.Millisecond, MaxConnsPerIP: 1000})
		p, err := netcode.NewPoller()
		require.NoError(t, err)
		var wg sync.WaitGroup
		var kept []*netcode.Client
		var mu sync.Mutex
		for g := range 4 {
			wg.Go(func() {
				for i := range 10 {
					c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: fmt.Sprintf("churn%d", g), Poller: p})
					if !assert.NoError(t, err) {
						return
					}
					c.Update(sim.Input{MoveY: 1})
					switch i % 3 {
					case 0:
						c.Drop()
					case 1:
						assert.NoError(t, c.Close())
					default:
						mu.Lock()
						kept = append(kept, c)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		for _, c := range kept {
			_, err := c.WaitSnapshot(ctx, 0)
			require.NoError(t, err)
		}
		require.NoError(t, p.Close())
		for _, c := range kept {
			waitDone(ctx, t, c)
		}
	})

	t.Run("poller closes", func(t *testing.T) {
		srv := servertest.Start(t, &server.Options{ResumeGrace: time.Millisecond})
		p, err := netcode.NewPoller()
		require.NoError(t, err)
		var clients []*netcode.Client
		for range 3 {
			c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Poller: p})
			require.NoError(t, err)
			clients = append(clients, c)
		}
		require.NoError(t, p.Close())
		for _, c := range clients {
			waitDone(ctx, t, c)
			assert.ErrorIs(t, c.Err(), netcode.ErrClosed)
		}
		assert.Eventually(t, func() bool {
			rooms := srv.Rooms()
			return len(rooms) == 1 && len(rooms[0].Players) == 0
		}, 10*time.Second, 20*time.Millisecond, "the server saw the sockets close")
		// A Poller that has closed takes no one: the client reads for itself.
		c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Poller: p})
		require.NoError(t, err)
		_, err = c.WaitSnapshot(ctx, 0)
		require.NoError(t, err)
		require.NoError(t, c.Close())
	})
}

// readerGoroutines counts the clients' own reader goroutines.
func readerGoroutines() int {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	return strings.Count(b.String(), "netcode.(*Client).run+")
}

func waitDone(ctx context.Context, t *testing.T, c *netcode.Client) {
	t.Helper()
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("the client never ended")
	}
}
