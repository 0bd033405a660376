package server

// Tests of the Agones life cycle against the real SDK server (the Agones
// v1.56.0 sidecar in local mode, ../shared/bin/agones-sdk-server), started
// by each test on free loopback ports. They assert on what the SDK server
// reports back (GET /gameserver) and logs (Health pings). Where the binary
// is missing they skip and say why; the bad-input tests need no binary.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
)

// agonesSDKBinary returns the SDK server's path, or skips the test.
func agonesSDKBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("TICKWIRE_AGONES_SDK_SERVER")
	if path == "" {
		path = filepath.Join("..", "..", "shared", "bin", "agones-sdk-server")
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("skipping: this test runs the real Agones SDK server, and %s is missing (%v); "+
			"it ships in ../shared/bin, or set TICKWIRE_AGONES_SDK_SERVER to its path", path, err)
	}
	return path
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Count(s string) int { return strings.Count(b.String(), s) }

// sdkServer is a running local-mode Agones SDK server.
type sdkServer struct {
	URL string
	out *syncBuffer // its log (JSON lines)
}

// gameServerWithCounters declares the Counters tickwire updates: in local
// mode a Counter exists only when the file's status declares it.
const (
	gameServerWithCounters = `apiVersion: agones.dev/v1
kind: GameServer
metadata: {name: local, labels: {islocal: "true"}}
spec: {ports: [{name: default, containerPort: 8080}]}
status:
  state: Scheduled
  counters:
    rooms: {count: 0, capacity: 1}
    players: {count: 0, capacity: 1}
`
	gameServerPlain = `apiVersion: agones.dev/v1
kind: GameServer
metadata: {name: local}
spec: {ports: [{name: default, containerPort: 8080}]}
status: {state: Scheduled}
`
)

// startSDKServer runs the SDK server in local mode with REST on httpPort
// and waits until it answers; it is killed when the test ends.
func startSDKServer(t *testing.T, httpPort int, gameServer string) *sdkServer {
	t.Helper()
	bin := agonesSDKBinary(t)
	file := filepath.Join(t.TempDir(), "gameserver.yaml")
	require.NoError(t, os.WriteFile(file, []byte(gameServer), 0o600))
	out := &syncBuffer{}
	cmd := exec.Command(bin, "--local", "-f", file,
		"--http-port", strconv.Itoa(httpPort),
		"--grpc-port", strconv.Itoa(freePort(t)),
		"--health-port", strconv.Itoa(freePort(t)),
		"--graceful-termination=false")
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("agones-sdk-server log:\n%s", out.String())
		}
	})
	s := &sdkServer{URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort), out: out}
	require.Eventually(t, func() bool {
		resp, err := http.Get(s.URL + "/gameserver")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 15*time.Second, 20*time.Millisecond, "the SDK server did not come up; its log:\n%s", out)
	return s
}

// gameServerView is the part of GET /gameserver the tests read.
type gameServerView struct {
	ObjectMeta struct {
		Labels map[string]string `json:"labels"`
	} `json:"object_meta"`
	Status struct {
		State    string `json:"state"`
		Counters map[string]struct {
			Count    int64 `json:"count,string"`
			Capacity int64 `json:"capacity,string"`
		} `json:"counters"`
	} `json:"status"`
}

func (v gameServerView) label(key string) string {
	return v.ObjectMeta.Labels["agones.dev/sdk-"+key]
}

// counter returns a Counter as "count/capacity", "" when absent.
func (v gameServerView) counter(name string) string {
	c, ok := v.Status.Counters[name]
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d/%d", c.Count, c.Capacity)
}

func (s *sdkServer) gameServer(t *testing.T) gameServerView {
	t.Helper()
	resp, err := http.Get(s.URL + "/gameserver")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var v gameServerView
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

func (s *sdkServer) post(t *testing.T, path string) {
	t.Helper()
	resp, err := http.Post(s.URL+path, "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, path)
}

// healthPings counts the Health reports the SDK server received.
func (s *sdkServer) healthPings() int { return s.out.Count("Health Ping Received") }

// agonesTestServer is a tickwire Server serving on loopback, with its log.
type agonesTestServer struct {
	*Server
	URL   string // ws://.../ws
	HTTP  string
	log   *syncBuffer
	errc  chan error
	close sync.Once
}

func startAgonesTestServer(t *testing.T, opts Options) *agonesTestServer {
	t.Helper()
	logs := &syncBuffer{}
	var w io.Writer = logs
	if testing.Verbose() {
		w = io.MultiWriter(logs, os.Stderr)
	}
	opts.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &agonesTestServer{Server: New(&opts), log: logs, errc: make(chan error, 1)}
	s.URL = "ws://" + ln.Addr().String() + "/ws"
	s.HTTP = "http://" + ln.Addr().String()
	go func() { s.errc <- s.Serve(ln) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop shuts the server down, failing (not hanging) if that takes more
// than 30 s, and returns Shutdown's error.
func (s *agonesTestServer) stop(t *testing.T) (err error) {
	s.close.Do(func() {
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			done <- s.Shutdown(ctx)
		}()
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("Shutdown hung; server log:\n%s", s.log)
		}
		require.ErrorIs(t, <-s.errc, ErrServerClosed)
	})
	return err
}

func dialRoom(t *testing.T, url, room, name string) *netcode.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, url, &netcode.Options{Room: room, Name: name})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func fastAgones(sdkURL string) *AgonesOptions {
	return &AgonesOptions{
		SDKURL:         sdkURL,
		HealthInterval: 40 * time.Millisecond,
		SyncInterval:   20 * time.Millisecond,
		RequestTimeout: time.Second,
	}
}

// The whole life: Ready, Health flowing, rooms and seats published as real
// players come and go, then a drain that tells players 1001 and reports
// Shutdown.
func TestAgonesLifeCycle(t *testing.T) {
	t.Parallel()
	sdk := startSDKServer(t, freePort(t), gameServerWithCounters)
	srv := startAgonesTestServer(t, Options{
		TickRate: 20, MaxPlayers: 4, MaxRooms: 10, Agones: fastAgones(sdk.URL),
		// A closed connection frees its seat at once, whether or not the
		// client's Leave got there first.
		ResumeGrace: -1,
	})

	require.Eventually(t, func() bool {
		gs := sdk.gameServer(t)
		return gs.Status.State == "Ready" && gs.label(AgonesLabelAccepting) == "true"
	}, 10*time.Second, 20*time.Millisecond, "never Ready; server log:\n%s", srv.log)
	gs := sdk.gameServer(t)
	assert.Equal(t, "0", gs.label(AgonesLabelRooms))
	assert.Equal(t, "0", gs.label(AgonesLabelPlayers))
	assert.Equal(t, "40", gs.label(AgonesLabelFreeSeats), "10 rooms of 4 seats may still open")
	assert.Equal(t, "0/10", gs.counter(AgonesCounterRooms))
	assert.Equal(t, "0/40", gs.counter(AgonesCounterPlayers))

	pings := sdk.healthPings()
	require.Eventually(t, func() bool { return sdk.healthPings() >= pings+3 }, 10*time.Second, 20*time.Millisecond,
		"Health does not keep flowing")

	a1 := dialRoom(t, srv.URL, "a", "a1")
	dialRoom(t, srv.URL, "a", "a2")
	b1 := dialRoom(t, srv.URL, "b", "b1")
	want := map[string]string{
		AgonesLabelRooms: "2", AgonesLabelPlayers: "3",
		// Room a has 2 free, room b 3, and 8 more rooms of 4 may open.
		AgonesLabelFreeSeats: "37", AgonesLabelAccepting: "true",
	}
	require.Eventually(t, func() bool {
		gs := sdk.gameServer(t)
		for k, v := range want {
			if gs.label(k) != v {
				return false
			}
		}
		return gs.counter(AgonesCounterRooms) == "2/10" && gs.counter(AgonesCounterPlayers) == "3/40"
	}, 10*time.Second, 20*time.Millisecond, "labels/counters never showed 2 rooms, 3 players")

	require.NoError(t, a1.Close())
	require.Eventually(t, func() bool {
		gs := sdk.gameServer(t)
		return gs.label(AgonesLabelPlayers) == "2" && gs.label(AgonesLabelFreeSeats) == "38" &&
			gs.counter(AgonesCounterPlayers) == "2/40"
	}, 10*time.Second, 20*time.Millisecond, "a leaving player's seat never came back")
	assert.Equal(t, "Ready", sdk.gameServer(t).Status.State)

	// The drain: players are told 1001, then Agones hears Shutdown, with no
	// seats left on offer. Shutdown returns only after reporting it.
	require.NoError(t, srv.stop(t))
	gs = sdk.gameServer(t)
	assert.Equal(t, "Shutdown", gs.Status.State)
	assert.Equal(t, "false", gs.label(AgonesLabelAccepting))
	assert.Equal(t, "0", gs.label(AgonesLabelRooms))
	assert.Equal(t, "0/0", gs.counter(AgonesCounterPlayers))
	select {
	case <-b1.Done():
		var ce *netcode.CloseError
		require.ErrorAs(t, b1.Err(), &ce)
		assert.Equal(t, websocket.StatusGoingAway, ce.Code)
	case <-time.After(10 * time.Second):
		t.Fatal("a player was not closed by the drain")
	}
	assert.Contains(t, srv.log.String(), "agones: reported Shutdown")
}

// The sidecar may start after the game server: tickwire serves players
// meanwhile, logs its retries, and becomes Ready when the sidecar is up. A
// GameServer without Counters gets the labels only.
func TestAgonesSidecarStartsLate(t *testing.T) {
	t.Parallel()
	agonesSDKBinary(t)
	port := freePort(t)
	srv := startAgonesTestServer(t, Options{TickRate: 20, Agones: fastAgones(fmt.Sprintf("http://127.0.0.1:%d", port))})

	require.Eventually(t, func() bool { return srv.log.Count("retrying Ready") >= 2 }, 10*time.Second, 10*time.Millisecond,
		"no retry log lines while the sidecar is down")
	dialRoom(t, srv.URL, "early", "p1") // serving without Agones

	sdk := startSDKServer(t, port, gameServerPlain)
	require.Eventually(t, func() bool {
		gs := sdk.gameServer(t)
		return gs.Status.State == "Ready" && gs.label(AgonesLabelRooms) == "1" && gs.label(AgonesLabelPlayers) == "1"
	}, 15*time.Second, 20*time.Millisecond, "never Ready with the room published; server log:\n%s", srv.log)
	assert.Empty(t, sdk.gameServer(t).Status.Counters)
	require.Eventually(t, func() bool { return srv.log.Count("declares no such Counter") >= 1 }, 5*time.Second, 10*time.Millisecond)

	require.NoError(t, srv.stop(t))
	assert.Equal(t, "Shutdown", sdk.gameServer(t).Status.State)
}

// An SDK server that never comes up, or one that takes connections and
// never answers: tickwire keeps serving, logs retries, and Shutdown gives up
// on Agones after a bounded time instead of hanging.
func TestAgonesSidecarNeverUp(t *testing.T) {
	t.Parallel()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var held []net.Conn
	var heldMu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		silent.Close()
		heldMu.Lock()
		defer heldMu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})

	for name, url := range map[string]string{
		"refused": fmt.Sprintf("http://127.0.0.1:%d", freePort(t)),
		"silent":  "http://" + silent.Addr().String(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ao := fastAgones(url)
			ao.RequestTimeout = 100 * time.Millisecond
			srv := startAgonesTestServer(t, Options{TickRate: 20, Agones: ao})
			require.Eventually(t, func() bool { return srv.log.Count("retrying Ready") >= 2 }, 10*time.Second, 10*time.Millisecond)
			c := dialRoom(t, srv.URL, "r", "p")
			_, err := c.WaitSnapshot(context.Background(), 0)
			require.NoError(t, err, "the room must tick without Agones")
			resp, err := http.Get(srv.HTTP + "/healthz")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)

			require.NoError(t, srv.stop(t), "the drain itself succeeds")
			assert.Contains(t, srv.log.String(), "could not report Shutdown")
		})
	}
}

// A process whose own loop stopped withholds Health, so Agones marks it
// Unhealthy and replaces it; Health resumes if the loop comes back.
func TestAgonesHealthFollowsLiveness(t *testing.T) {
	t.Parallel()
	sdk := startSDKServer(t, freePort(t), gameServerPlain)
	var alive atomic.Bool
	alive.Store(true)
	logs := &syncBuffer{}
	opts := Options{TickRate: 20, Agones: fastAgones(sdk.URL), Logger: slog.New(slog.NewTextHandler(logs, nil))}
	s := New(&opts)
	s.agones.alive = alive.Load // before Serve starts the loop
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		require.NoError(t, s.Shutdown(context.Background()))
		<-errc
	})

	require.Eventually(t, func() bool { return sdk.healthPings() >= 3 }, 10*time.Second, 10*time.Millisecond)
	alive.Store(false)
	require.Eventually(t, func() bool { return logs.Count("withholding Health") == 1 }, 5*time.Second, 10*time.Millisecond)
	stopped := sdk.healthPings()
	time.Sleep(10 * opts.Agones.HealthInterval)
	assert.LessOrEqual(t, sdk.healthPings(), stopped+1, "Health went on while the process was wedged (one may have been in flight)")
	alive.Store(true)
	require.Eventually(t, func() bool { return sdk.healthPings() >= stopped+3 }, 10*time.Second, 10*time.Millisecond,
		"Health did not resume")
	assert.Equal(t, 1, logs.Count("withholding Health"), "the wedge is logged once, not per interval")
}

// The janitor's heartbeat is the default liveness probe.
func TestAgonesJanitorHeartbeat(t *testing.T) {
	t.Parallel()
	s := New(&Options{IdleTimeout: 40 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Agones: &AgonesOptions{SDKURL: "http://127.0.0.1:1", RequestTimeout: 50 * time.Millisecond}})
	defer s.Close()
	a := s.agones
	assert.Never(t, func() bool { return !a.janitorBeating() }, 300*time.Millisecond, 10*time.Millisecond,
		"a beating janitor counted as wedged")
	a.stale = time.Nanosecond
	s.heartbeat.Store(0)
	assert.False(t, a.janitorBeating(), "a janitor silent for longer than stale counts as wedged")
}

// An Allocated server left without rooms marks itself Ready again after
// IdleReady, so the fleet can reuse or retire it; one with a room stays
// Allocated.
func TestAgonesIdleAllocatedBecomesReady(t *testing.T) {
	t.Parallel()
	sdk := startSDKServer(t, freePort(t), gameServerPlain)
	ao := fastAgones(sdk.URL)
	ao.IdleReady = 150 * time.Millisecond
	srv := startAgonesTestServer(t, Options{TickRate: 20, EmptyRoomTimeout: 50 * time.Millisecond, ResumeGrace: -1, Agones: ao})
	require.Eventually(t, func() bool { return sdk.gameServer(t).Status.State == "Ready" }, 10*time.Second, 10*time.Millisecond)

	c := dialRoom(t, srv.URL, "busy", "p")
	require.Eventually(t, func() bool { return sdk.gameServer(t).label(AgonesLabelRooms) == "1" }, 10*time.Second, 10*time.Millisecond)
	sdk.post(t, "/allocate")
	require.Equal(t, "Allocated", sdk.gameServer(t).Status.State)
	time.Sleep(4 * ao.IdleReady)
	assert.Equal(t, "Allocated", sdk.gameServer(t).Status.State, "a server with a room must stay Allocated")

	require.NoError(t, c.Close()) // the room empties, closes, and the idle clock runs
	require.Eventually(t, func() bool { return sdk.gameServer(t).Status.State == "Ready" }, 10*time.Second, 10*time.Millisecond,
		"an idle Allocated server never became Ready; log:\n%s", srv.log)
	assert.Contains(t, srv.log.String(), "Allocated but empty")
}

func TestAgonesOptionsDefaults(t *testing.T) {
	t.Setenv("AGONES_SDK_HTTP_PORT", "19358")
	o := (&AgonesOptions{}).withDefaults()
	assert.Equal(t, "http://localhost:19358", o.SDKURL)
	assert.Equal(t, 2*time.Second, o.HealthInterval)
	assert.Equal(t, time.Minute, o.IdleReady)
	o = (&AgonesOptions{SDKURL: "http://sidecar:1/", IdleReady: -1, HealthInterval: -time.Second, SyncInterval: -1}).withDefaults()
	assert.Equal(t, "http://sidecar:1", o.SDKURL)
	assert.Negative(t, o.IdleReady, "negative IdleReady means never")
	assert.Equal(t, 2*time.Second, o.HealthInterval, "a ticker needs a positive period")
	assert.Equal(t, 500*time.Millisecond, o.SyncInterval)
	t.Setenv("AGONES_SDK_HTTP_PORT", "")
	assert.Equal(t, "http://localhost:9358", (&AgonesOptions{}).withDefaults().SDKURL)
}

func TestAgonesErrorCounterMissing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err     agonesError
		missing bool
	}{
		{agonesError{Status: 500, Message: "not found. rooms Counter not found"}, true},
		{agonesError{Status: 404, Message: "Not Found"}, true},
		{agonesError{Status: 400, Message: "CountsAndLists feature gate is not enabled"}, true},
		{agonesError{Status: 500, Message: "connection reset"}, false},
		{agonesError{Status: 503, Message: "unavailable"}, false},
	} {
		assert.Equal(t, tc.missing, tc.err.counterMissing(), "%d %s", tc.err.Status, tc.err.Message)
	}
}

// The numbers Agones gets: free seats are the empty seats of public rooms
// plus the rooms that may still open, and none once draining.
func TestAgonesOccupancy(t *testing.T) {
	t.Parallel()
	s := New(&Options{MaxPlayers: 4, MaxRooms: 3, MaxConns: 100, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	assert.Equal(t, occupancy{rooms: 0, roomCapacity: 3, freeSeats: 12, accepting: true}, s.occupancy())

	_, err := s.rooms.create(RoomSpec{ID: "secret", Game: "arena", Private: true})
	require.NoError(t, err)
	_, err = s.rooms.create(RoomSpec{ID: "duo", Game: "arena", MaxPlayers: 2})
	require.NoError(t, err)
	assert.Equal(t, occupancy{rooms: 2, roomCapacity: 3, freeSeats: 2 + 4, accepting: true}, s.occupancy(),
		"a private room's seats are not on offer")

	full := New(&Options{MaxPlayers: 4, MaxRooms: 3, MaxConns: 5, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer full.Close()
	assert.Equal(t, 5, full.occupancy().freeSeats, "bounded by the connection limit")

	s.beginStop()
	assert.Equal(t, occupancy{rooms: 2, roomCapacity: 2, freeSeats: 0, accepting: false}, s.occupancy())
	require.NoError(t, s.Close())
}

// On Agones the address players reach is only known at run time: with a
// shared directory and no -public-url, the server publishes the address and
// host port the sidecar reports.
func TestAgonesGivesTheClusterItsPublicURL(t *testing.T) {
	t.Parallel()
	agonesSDKBinary(t)
	port := freePort(t)
	startSDKServer(t, port, `apiVersion: agones.dev/v1
kind: GameServer
metadata: {name: local}
spec: {ports: [{name: default, containerPort: 9000}, {name: ws, containerPort: 8080}]}
status:
  state: Scheduled
  address: 203.0.113.7
  ports: [{name: default, port: 7001}, {name: ws, port: 7654}]
`)
	dir := NewMemoryDirectory()
	srv := startAgonesTestServer(t, Options{TickRate: 20, APIKey: "k",
		Agones:  fastAgones(fmt.Sprintf("http://127.0.0.1:%d", port)),
		Cluster: &ClusterOptions{Directory: dir}})
	dialRoom(t, srv.URL, "far", "p1")
	require.Eventually(t, func() bool {
		rooms, err := dir.Rooms(context.Background())
		return err == nil && len(rooms) == 1 && rooms[0].URL == "ws://203.0.113.7:7654/ws"
	}, 10*time.Second, 20*time.Millisecond, "the directory sends players to the node's address and the ws host port")
	require.NoError(t, srv.stop(t))
}
