package server_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/netcode/delta"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// fixedSeed registers the arena under "arena-fixed" with a known seed, so a
// test can replay the room's match in its own sim and compare.
const fixedSeed = 0x7157

func fixedArena(cfg sim.Config) (server.Game, error) {
	cfg.Seed = fixedSeed
	return arena.New(cfg)
}

func dial(t *testing.T, srv *servertest.Server, o netcode.Options) *netcode.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, srv.URL, &o)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// script is the input a scripted player sends for tick t: it walks a
// square, turns its aim, and fires now and then (lag compensation is off in
// the replayed room, so hits do not depend on measured latency).
func script(player int, t sim.Tick) sim.Input {
	phase := (int(t)/20 + player) % 4
	dirs := [4][2]int8{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	in := sim.Input{
		MoveX: dirs[phase][0],
		MoveY: dirs[phase][1],
		Aim:   uint16(int(t)*700 + player*9000),
	}
	if (int(t)+player)%9 == 0 {
		in.Buttons = sim.ButtonFire
	}
	return in
}

// received is one snapshot as a client decoded it.
type received struct {
	tick     sim.Tick
	entities []sim.EntityState
}

// TestScriptedMatchEqualsSim plays a few hundred ticks of scripted inputs
// from several real clients over loopback WebSockets and checks that every
// snapshot they decoded holds exactly the world the sim computes for the
// same joins and inputs.
func TestScriptedMatchEqualsSim(t *testing.T) { forEachIO(t, testScriptedMatchEqualsSim) }

func testScriptedMatchEqualsSim(t *testing.T, netpoll bool) {
	const (
		players  = 3
		ticks    = 240
		lead     = 20 // ticks ahead of the server that scripted inputs are sent
		tickRate = 60
	)
	srv := servertest.Start(t, &server.Options{TickRate: tickRate, HistoryTicks: tickRate, NetpollIO: netpoll})
	srv.RegisterGame("arena-fixed", fixedArena)
	params := map[string]string{"npcs": "6", "lagcomp": "off"}

	type seat struct {
		idx     int
		welcome protocol.Welcome
		start   sim.Tick // first scripted tick
		mu      sync.Mutex
		got     []received
		client  *netcode.Client
	}
	seats := make([]*seat, players)
	for i := range seats {
		s := &seat{idx: i}
		s.client = dial(t, srv, netcode.Options{
			Room: "replay", Name: fmt.Sprintf("p%d", i), Game: "arena-fixed", Params: params,
			OnSnapshot: func(snap *netcode.Snapshot) {
				s.mu.Lock()
				s.got = append(s.got, received{snap.Tick, append([]sim.EntityState(nil), snap.Entities...)})
				s.mu.Unlock()
			},
		})
		s.welcome = s.client.Welcome()
		s.start = s.welcome.ServerTick + lead
		seats[i] = s
	}

	// Feed each player's script ahead of the server until the last tick.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, s := range seats {
		wg.Go(func() {
			next := s.start
			last := s.start + ticks
			var seen sim.Tick
			for seen < last {
				var batch []protocol.TickInput
				for ; next <= min(seen+lead, last); next++ {
					batch = append(batch, protocol.TickInput{Tick: next, Input: script(i, next)})
				}
				if len(batch) > 0 {
					if !assert.NoError(t, s.client.SendInputs(batch)) {
						return
					}
				}
				snap, err := s.client.WaitSnapshot(ctx, seen)
				if !assert.NoError(t, err) {
					return
				}
				seen = snap.Tick
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())

	// Replay: the same game, the same joins before the same ticks, the same
	// inputs (zero until each player's script starts).
	first := seats[0]
	game, err := fixedArena(sim.Config{TickRate: tickRate, RewindTicks: tickRate, Params: params})
	require.NoError(t, err)
	schema, err := delta.NewSchema(game.Kinds())
	require.NoError(t, err)
	order := append([]*seat(nil), seats...)
	sort.Slice(order, func(a, b int) bool { return order[a].welcome.PlayerID < order[b].welcome.PlayerID })
	want := map[sim.Tick][]sim.EntityState{}
	end := first.start + ticks
	for _, s := range seats {
		end = max(end, s.start+ticks)
	}
	var joined []*seat
	var frame delta.Frame
	for tick := sim.Tick(1); tick <= end; tick++ {
		for _, s := range order {
			if s.welcome.ServerTick == tick-1 {
				ent, err := game.Join(s.welcome.PlayerID, fmt.Sprintf("p%d", s.idx))
				require.NoError(t, err)
				require.Equal(t, s.welcome.EntityID, ent, "entity ids are assigned in the same order")
				joined = append(joined, s)
			}
		}
		var inputs []sim.PlayerInput
		for _, s := range joined {
			in := sim.PlayerInput{Player: s.welcome.PlayerID, ViewTime: tick.Time()}
			if tick >= s.start {
				in.Input = script(s.idx, min(tick, s.start+ticks))
				in.Fresh = tick <= s.start+ticks
			}
			inputs = append(inputs, in)
		}
		game.Step(tick, inputs)
		schema.Quantize(&frame, tick, game.World(nil))
		w := make([]sim.EntityState, len(frame.Entities))
		for i := range frame.Entities {
			w[i] = schema.Dequantize(&frame.Entities[i])
		}
		want[tick] = w
	}

	for i, s := range seats {
		s.mu.Lock()
		got := s.got
		s.mu.Unlock()
		require.NotEmpty(t, got, "player %d decoded snapshots", i)
		compared := 0
		for _, snap := range got {
			if snap.tick < s.start || snap.tick > s.start+ticks {
				continue
			}
			w, ok := want[snap.tick]
			require.True(t, ok)
			require.Equal(t, w, snap.entities, "player %d, tick %d: snapshot differs from the sim", i, snap.tick)
			compared++
		}
		// Most ticks arrive as their own snapshot on loopback.
		assert.Greater(t, compared, ticks/2, "player %d compared snapshots", i)
	}
}

// closeCode returns the close status of err, a *netcode.CloseError.
func closeCode(t *testing.T, err error) (websocket.StatusCode, string) {
	t.Helper()
	var ce *netcode.CloseError
	require.ErrorAs(t, err, &ce)
	return ce.Code, ce.Reason
}

// waitClosed waits for c's connection to end and returns why.
func waitClosed(t *testing.T, c *netcode.Client) error {
	t.Helper()
	select {
	case <-c.Done():
		return c.Err()
	case <-time.After(10 * time.Second):
		t.Fatal("client still connected")
		return nil
	}
}

func TestRoomsAreIsolated(t *testing.T) {
	srv := servertest.Start(t, nil)
	noNPCs := map[string]string{"npcs": "0"}
	a := dial(t, srv, netcode.Options{Room: "a", Params: noNPCs})
	b := dial(t, srv, netcode.Options{Room: "b", Params: noNPCs})
	a2 := dial(t, srv, netcode.Options{Room: "a", Params: noNPCs})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Wait until a snapshot shows both players of room a.
	var snapA netcode.Snapshot
	for tick := sim.Tick(0); len(snapA.Entities) < 2; tick = snapA.Tick {
		var err error
		snapA, err = a.WaitSnapshot(ctx, tick)
		require.NoError(t, err)
	}
	snapB, err := b.WaitSnapshot(ctx, snapA.Tick)
	require.NoError(t, err)

	ids := func(s netcode.Snapshot) []sim.EntityID {
		var out []sim.EntityID
		for _, e := range s.Entities {
			out = append(out, e.ID)
		}
		return out
	}
	assert.ElementsMatch(t, []sim.EntityID{a.Welcome().EntityID, a2.Welcome().EntityID}, ids(snapA))
	assert.Equal(t, []sim.EntityID{b.Welcome().EntityID}, ids(snapB))

	rooms := srv.Rooms()
	require.Len(t, rooms, 2)
	assert.Equal(t, "a", rooms[0].Name)
	assert.Len(t, rooms[0].Players, 2)
	assert.Equal(t, "b", rooms[1].Name)
	assert.Len(t, rooms[1].Players, 1)
}

func TestFullRoomRefuses(t *testing.T) {
	srv := servertest.Start(t, &server.Options{MaxPlayers: 2})
	dial(t, srv, netcode.Options{Room: "small"})
	dial(t, srv, netcode.Options{Room: "small"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: "small"})
	code, reason := closeCode(t, err)
	assert.Equal(t, server.StatusRoomFull, code)
	assert.Contains(t, reason, "full")
	// Another room still has seats.
	dial(t, srv, netcode.Options{Room: "other"})
}

func TestEmptyRoomCloses(t *testing.T) {
	srv := servertest.Start(t, &server.Options{EmptyRoomTimeout: 200 * time.Millisecond})
	c := dial(t, srv, netcode.Options{Room: "brief"})
	require.Len(t, srv.Rooms(), 1)
	require.NoError(t, c.Close())
	require.Eventually(t, func() bool { return len(srv.Rooms()) == 0 }, 5*time.Second, 20*time.Millisecond)
	// Joining again makes a fresh room that starts from tick 0.
	c2 := dial(t, srv, netcode.Options{Room: "brief"})
	assert.Less(t, c2.Welcome().ServerTick, sim.Tick(10))
}

func TestShutdownClosesEveryClientWith1001(t *testing.T) {
	srv := servertest.Start(t, nil)
	clients := []*netcode.Client{
		dial(t, srv, netcode.Options{Room: "x"}),
		dial(t, srv, netcode.Options{Room: "x"}),
		dial(t, srv, netcode.Options{Room: "y"}),
	}
	srv.Stop(t)
	for _, c := range clients {
		code, reason := closeCode(t, waitClosed(t, c))
		assert.Equal(t, websocket.StatusGoingAway, code)
		assert.Contains(t, reason, "shutting down")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := netcode.Dial(ctx, srv.URL, nil)
	assert.Error(t, err, "a stopped server accepts no one")
}

// TestShutdownWhileClientsConnect stops servers while clients keep dialling
// them. A connection the HTTP server hands over just as the last of the
// server's goroutines ends must neither race Shutdown's wait (the race
// detector reports it) nor start after Shutdown has returned.
func TestShutdownWhileClientsConnect(t *testing.T) {
	baseline := runtime.NumGoroutine()
	for round := range 20 {
		srv := servertest.Start(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		var dialers sync.WaitGroup
		var upgraded atomic.Int32
		for range 3 {
			dialers.Go(func() {
				for ctx.Err() == nil {
					ws, _, err := websocket.Dial(ctx, srv.URL, nil)
					if err != nil {
						continue
					}
					upgraded.Add(1)
					ws.CloseNow() // no Join: no room, so nothing else keeps the server busy
				}
			})
		}
		require.Eventually(t, func() bool { return upgraded.Load() > 0 }, 10*time.Second, time.Millisecond)
		time.Sleep(time.Duration(round) * time.Millisecond)
		srv.Stop(t)
		cancel()
		dialers.Wait()
		assert.Empty(t, srv.Rooms())
	}
	settleGoroutines(t, baseline)
}

// TestNonReadingClientDoesNotSlowItsRoom seats a raw client that joins and
// then never reads, and checks the other player keeps getting snapshots at
// the tick rate.
func TestNonReadingClientDoesNotSlowItsRoom(t *testing.T) {
	forEachIO(t, testNonReadingClientDoesNotSlowItsRoom)
}

func testNonReadingClientDoesNotSlowItsRoom(t *testing.T, netpoll bool) {
	const tickRate = 30
	srv := servertest.Start(t, &server.Options{TickRate: tickRate, NetpollIO: netpoll})
	// Many NPCs make every snapshot large, so the silent client's socket
	// buffers fill while the test runs.
	params := map[string]string{"npcs": "200"}
	reader := dial(t, srv, netcode.Options{Room: "r", Params: params})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, srv.URL, nil)
	require.NoError(t, err)
	defer ws.CloseNow()
	join := protocol.AppendJoin(nil, &protocol.Join{ProtocolVersion: protocol.ProtocolVersion, Room: "r", PlayerName: "silent", Params: params})
	require.NoError(t, ws.Write(ctx, websocket.MessageBinary, join))
	require.Eventually(t, func() bool {
		rooms := srv.Rooms()
		return len(rooms) == 1 && len(rooms[0].Players) == 2
	}, 5*time.Second, 10*time.Millisecond)

	first, err := reader.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	before := reader.Stats().Snapshots
	const window = 3 * time.Second
	time.Sleep(window)
	last, err := reader.WaitSnapshot(ctx, first.Tick)
	require.NoError(t, err)
	got := reader.Stats().Snapshots - before

	// The room kept its schedule and the reader got (nearly) every tick.
	// Generous bounds: the machine is shared; a stalled room would deliver
	// nothing at all once the silent socket filled.
	ticked := int(last.Tick - first.Tick)
	assert.GreaterOrEqual(t, ticked, int(window.Seconds()*tickRate*0.8), "room ticks in %s", window)
	assert.GreaterOrEqual(t, int(got), ticked*8/10, "snapshots the reading player decoded")
	info := srv.Rooms()[0]
	var silent server.PlayerInfo
	for _, p := range info.Players {
		if p.Name == "silent" {
			silent = p
		}
	}
	t.Logf("silent player: %d snapshots replaced in its mailbox", silent.SnapshotsReplaced)
}

// TestBadInputClosesWithClearStatus sends each kind of bad message on a
// raw connection and checks the close status, while a well-behaved player in
// the same room keeps being served.
func TestBadInputClosesWithClearStatus(t *testing.T) {
	srv := servertest.Start(t, &server.Options{MaxMessageSize: 1024})
	good := dial(t, srv, netcode.Options{Room: "shared"})
	validJoin := protocol.AppendJoin(nil, &protocol.Join{ProtocolVersion: protocol.ProtocolVersion, Room: "shared", PlayerName: "raw"})
	oldJoin := protocol.AppendJoin(nil, &protocol.Join{ProtocolVersion: protocol.ProtocolVersion + 1, Room: "shared"})

	cases := []struct {
		name   string
		first  []byte // sent before msg; nil means msg is the first message
		typ    websocket.MessageType
		msg    []byte
		status websocket.StatusCode
		reason string
	}{
		{"text frame", nil, websocket.MessageText, []byte(`{"join":"shared"}`), server.StatusUnsupportedData, "text"},
		{"empty message", nil, websocket.MessageBinary, []byte{}, server.StatusProtocolError, "malformed"},
		{"unknown type", nil, websocket.MessageBinary, []byte{0xEE, 1, 2, 3, 4, 5, 6, 7}, server.StatusProtocolError, "malformed"},
		{"garbage join", nil, websocket.MessageBinary, append([]byte{1}, 0xff, 0xff, 0xff, 0x7f, 9, 9, 9, 9), server.StatusProtocolError, "malformed"},
		{"oversized", nil, websocket.MessageBinary, make([]byte, 4096), server.StatusTooBig, "bytes"},
		{"version mismatch", nil, websocket.MessageBinary, oldJoin, server.StatusVersionMismatch, "protocol version"},
		{"input before join", nil, websocket.MessageBinary, protocol.AppendInputFrame(nil, &protocol.InputFrame{}), server.StatusProtocolError, "expected Join"},
		{"server message from client", validJoin, websocket.MessageBinary, protocol.AppendPing(nil, &protocol.Ping{ID: 1}), server.StatusProtocolError, "unexpected"},
		{"truncated input frame", validJoin, websocket.MessageBinary, protocol.AppendInputFrame(nil, &protocol.InputFrame{Inputs: []protocol.TickInput{{Tick: 5}}})[:9], server.StatusProtocolError, "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, srv.URL, nil)
			require.NoError(t, err)
			defer ws.CloseNow()
			if tc.first != nil {
				require.NoError(t, ws.Write(ctx, websocket.MessageBinary, tc.first))
			}
			require.NoError(t, ws.Write(ctx, tc.typ, tc.msg))
			// Read until the close: a Welcome, pings and snapshots may come
			// first, then the Kick, then the close frame.
			for {
				_, _, err = ws.Read(ctx)
				if err != nil {
					break
				}
			}
			var ce websocket.CloseError
			require.True(t, errors.As(err, &ce), "closed with a status, got %v", err)
			assert.Equal(t, tc.status, ce.Code)
			assert.Contains(t, ce.Reason, tc.reason)
		})
	}
	// The good player was never disturbed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := good.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	_, err = good.WaitSnapshot(ctx, s.Tick)
	require.NoError(t, err)
	assert.NoError(t, good.Err())
}

// forEachIO runs test with the room-driven sockets (where the platform has
// them) and with every connection in the netpoller (Options.NetpollIO, the
// path TLS and other platforms take).
func forEachIO(t *testing.T, test func(t *testing.T, netpoll bool)) {
	t.Run("room-io", func(t *testing.T) { test(t, false) })
	t.Run("netpoll-io", func(t *testing.T) { test(t, true) })
}

func TestConnectionsAreRoomDrivenOnLinux(t *testing.T) {
	for _, netpoll := range []bool{false, true} {
		srv := servertest.Start(t, &server.Options{NetpollIO: netpoll})
		c := dial(t, srv, netcode.Options{Room: "io"})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s, err := c.WaitSnapshot(ctx, 0)
		require.NoError(t, err)
		_, err = c.WaitSnapshot(ctx, s.Tick+3)
		cancel()
		require.NoError(t, err)
		want := "tickwire_connections_room_driven 0\n"
		if runtime.GOOS == "linux" && !netpoll {
			want = "tickwire_connections_room_driven 1\n"
		}
		assert.Contains(t, httpGet(t, srv.HTTP+"/metrics"), want, "netpoll=%v", netpoll)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	srv := servertest.Start(t, nil)
	c := dial(t, srv, netcode.Options{Room: "m"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	_, err = c.WaitSnapshot(ctx, s.Tick)
	require.NoError(t, err)

	body := httpGet(t, srv.HTTP+"/metrics")
	for _, want := range []string{
		"tickwire_rooms 1",
		"tickwire_players 1",
		"tickwire_tick_duration_seconds_count",
		"tickwire_snapshots_total",
		"tickwire_snapshot_bytes_total",
		"process_cpu_seconds_total",
		"go_goroutines",
	} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, "tickwire_snapshots_total 0\n")
	// pprof is off unless asked for.
	assert.Equal(t, 404, httpStatus(t, srv.HTTP+"/debug/pprof/"))
}
