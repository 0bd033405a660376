package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// toxiproxy is a running toxiproxy server (github.com/Shopify/toxiproxy,
// installed by `make toxiproxy`) driven through its HTTP API.
type toxiproxy struct {
	t   *testing.T
	api string
}

// startToxiproxy starts the toxiproxy server binary on a free port. Under
// CI a missing binary fails the test; elsewhere the test is skipped.
func startToxiproxy(t *testing.T) *toxiproxy {
	t.Helper()
	bin := os.Getenv("TICKWIRE_TOXIPROXY")
	if bin == "" {
		bin, _ = filepath.Abs("../bin/tools/toxiproxy-server")
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("toxiproxy server not found at %s: make test installs it (make toxiproxy)", bin)
		}
		t.Skipf("toxiproxy server not found at %s; `make toxiproxy` installs it", bin)
	}
	port := freePort(t)
	cmd := exec.Command(bin, "-host", "127.0.0.1", "-port", fmt.Sprint(port))
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	tp := &toxiproxy{t: t, api: fmt.Sprintf("http://127.0.0.1:%d", port)}
	require.Eventually(t, func() bool {
		resp, err := http.Get(tp.api + "/version")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "toxiproxy API up")
	return tp
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (tp *toxiproxy) call(method, path string, body any, want int) map[string]any {
	tp.t.Helper()
	var rd bytes.Buffer
	if body != nil {
		require.NoError(tp.t, json.NewEncoder(&rd).Encode(body))
	}
	req, err := http.NewRequest(method, tp.api+path, &rd)
	require.NoError(tp.t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tp.t, err)
	defer resp.Body.Close()
	require.Equal(tp.t, want, resp.StatusCode, "%s %s", method, path)
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// proxy creates a proxy in front of upstream and returns its address.
func (tp *toxiproxy) proxy(name, upstream string) string {
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(tp.t))
	tp.call("POST", "/proxies", map[string]any{"name": name, "listen": listen, "upstream": upstream, "enabled": true}, http.StatusCreated)
	return listen
}

// toxic adds a toxic to both directions of proxy and returns a func that
// removes it.
func (tp *toxiproxy) toxic(proxy, kind string, attrs map[string]any) func() {
	for _, stream := range []string{"upstream", "downstream"} {
		tp.call("POST", "/proxies/"+proxy+"/toxics", map[string]any{
			"name": kind + "_" + stream, "type": kind, "stream": stream, "toxicity": 1.0, "attributes": attrs,
		}, http.StatusOK)
	}
	return func() {
		for _, stream := range []string{"upstream", "downstream"} {
			tp.call("DELETE", "/proxies/"+proxy+"/toxics/"+kind+"_"+stream, nil, http.StatusNoContent)
		}
	}
}

// TestFaultsThroughToxiproxy puts players behind toxiproxy and subjects
// them to a latency spike, a bandwidth limit, connection resets and a
// black hole. Through all of it the room keeps ticking for a player on a
// clean path, and every faulted player ends up with the same seat and
// entity it started with: clients resume within the grace period.
func TestFaultsThroughToxiproxy(t *testing.T) {
	const tickRate = 30
	tp := startToxiproxy(t)
	srv := servertest.Start(t, &server.Options{TickRate: tickRate})
	addr := tp.proxy("tickwire", srv.Addr)
	url := "ws://" + addr + "/ws"

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	params := map[string]string{"npcs": "4"}
	observer := dial(t, srv, netcode.Options{Room: "storm", Name: "observer", Params: params})
	const players = 3
	clients := make([]*netcode.Client, players)
	for i := range clients {
		c, err := netcode.Dial(ctx, url, &netcode.Options{
			Room: "storm", Name: fmt.Sprintf("p%d", i), Params: params,
			PredictFor: arenaPredictor, Reconnect: true, DeadAfter: time.Second,
		})
		require.NoError(t, err)
		defer c.Close()
		clients[i] = c
	}
	first := make([]struct {
		player sim.PlayerID
		entity sim.EntityID
	}, players)
	for i, c := range clients {
		first[i].player, first[i].entity = c.Welcome().PlayerID, c.Welcome().EntityID
	}

	// Everyone plays at the tick rate the whole time.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range append([]*netcode.Client{observer}, clients...) {
		wg.Go(func() {
			tk := time.NewTicker(time.Second / tickRate)
			defer tk.Stop()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-tk.C:
				}
				// Errors while the path is down are expected; the
				// client reconnects by itself.
				c.Update(sim.Input{MoveX: int8(1 - 2*((n/45+i)%2)), MoveY: int8(1 - 2*((n/70)%2))})
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()

	startSnap, err := observer.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	startCount := observer.Stats().Snapshots

	// recovered waits until every client decodes snapshots again.
	recovered := func(what string) {
		t.Helper()
		for i, c := range clients {
			latest, _ := c.Latest()
			wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := c.WaitSnapshot(wctx, latest.Tick+3)
			wcancel()
			require.NoError(t, err, "player %d gets snapshots again after %s", i, what)
		}
	}

	t.Run("latency spike", func(t *testing.T) {
		before := clients[0].Stats().Reconnects
		heal := tp.toxic("tickwire", "latency", map[string]any{"latency": 300, "jitter": 100})
		time.Sleep(2 * time.Second)
		heal()
		recovered("a latency spike")
		assert.Equal(t, before, clients[0].Stats().Reconnects, "latency alone does not drop the connection")
	})

	t.Run("bandwidth limit", func(t *testing.T) {
		heal := tp.toxic("tickwire", "bandwidth", map[string]any{"rate": 1}) // KB/s
		time.Sleep(2 * time.Second)
		heal()
		recovered("a bandwidth limit")
	})

	t.Run("connection reset", func(t *testing.T) {
		before := clients[1].Stats().Reconnects
		heal := tp.toxic("tickwire", "reset_peer", map[string]any{"timeout": 0})
		time.Sleep(500 * time.Millisecond)
		heal()
		recovered("a reset")
		assert.Greater(t, clients[1].Stats().Reconnects, before, "the reset was noticed and survived")
	})

	t.Run("black hole", func(t *testing.T) {
		before := clients[2].Stats().Reconnects
		heal := tp.toxic("tickwire", "timeout", map[string]any{"timeout": 0}) // drop everything, close nothing
		time.Sleep(2500 * time.Millisecond)
		heal()
		recovered("a black hole")
		assert.Greater(t, clients[2].Stats().Reconnects, before, "silence was noticed and survived")
	})

	// Nothing lost: every player is the one it was, in one seat each.
	for i, c := range clients {
		require.NoError(t, c.Err(), "player %d", i)
		assert.Equal(t, first[i].player, c.Welcome().PlayerID, "player %d keeps its id", i)
		assert.Equal(t, first[i].entity, c.Welcome().EntityID, "player %d keeps its entity", i)
		snap, ok := c.Latest()
		require.True(t, ok)
		own, ok := snap.Entity(first[i].entity)
		require.True(t, ok, "player %d's entity is in the world", i)
		assert.Equal(t, int32(1), own.Fields[arena.PlayerLife], "player %d never respawned: no one hurt it", i)
	}
	rooms := srv.Rooms()
	require.Len(t, rooms, 1)
	assert.Len(t, rooms[0].Players, players+1, "one seat per player, no duplicates")

	// The player on the clean path saw the room tick all along.
	endSnap, err := observer.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	ticks := int(endSnap.Tick - startSnap.Tick)
	got := int(observer.Stats().Snapshots - startCount)
	assert.GreaterOrEqual(t, got, ticks*8/10, "observer snapshots (%d ticks)", ticks)
}
