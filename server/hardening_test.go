package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/schema/wire"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// rawJoin opens a raw WebSocket and sends a valid Join for room.
func rawJoin(t *testing.T, ctx context.Context, url, room string, params ...map[string]string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	j := protocol.Join{ProtocolVersion: protocol.ProtocolVersion, Room: room, PlayerName: "raw"}
	if len(params) > 0 {
		j.Params = params[0]
	}
	join := protocol.AppendJoin(nil, &j)
	require.NoError(t, ws.Write(ctx, websocket.MessageBinary, join))
	return ws
}

// readUntilClose reads a raw connection until it ends and returns the close
// status the server sent.
func readUntilClose(t *testing.T, ctx context.Context, ws *websocket.Conn) websocket.CloseError {
	t.Helper()
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			var ce websocket.CloseError
			require.True(t, errors.As(err, &ce), "closed with a status, got %v", err)
			return ce
		}
	}
}

// keepsTicking checks that c still receives snapshots at about the tick
// rate: at least 2/3 of the ticks of a second.
func keepsTicking(t *testing.T, c *netcode.Client, tickRate int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, err := c.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	before := c.Stats().Snapshots
	time.Sleep(time.Second)
	last, err := c.WaitSnapshot(ctx, first.Tick)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, int(last.Tick-first.Tick), tickRate*2/3, "room ticks in a second")
	assert.GreaterOrEqual(t, int(c.Stats().Snapshots-before), tickRate*2/3, "snapshots in a second")
}

// settleGoroutines waits for the goroutine count to come back to at most
// baseline (plus slack for the runtime's own).
func settleGoroutines(t *testing.T, baseline int) {
	t.Helper()
	assert.Eventually(t, func() bool { return runtime.NumGoroutine() <= baseline+5 }, 10*time.Second, 50*time.Millisecond,
		"goroutines: baseline %d, now %d", baseline, runtime.NumGoroutine())
}

func TestHostileClients(t *testing.T) {
	const tickRate = 30
	srv := servertest.Start(t, &server.Options{
		TickRate:      tickRate,
		JoinTimeout:   300 * time.Millisecond,
		IdleTimeout:   time.Second,
		MaxConnsPerIP: 40,
		// Dropped connections hold their seats briefly, and empty rooms
		// go soon, so the goroutine count can settle within the test.
		ResumeGrace:      200 * time.Millisecond,
		EmptyRoomTimeout: 300 * time.Millisecond,
	})
	good := dial(t, srv, netcode.Options{Room: "arena"})
	// The good player keeps its connection alive the whole time.
	stop := make(chan struct{})
	var feeding sync.WaitGroup
	feeding.Go(func() {
		tk := time.NewTicker(time.Second / tickRate)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if _, err := good.Update(sim.Input{MoveX: 1}); err != nil {
					return
				}
			}
		}
	})
	defer func() { close(stop); feeding.Wait() }()
	baseline := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("random bytes", func(t *testing.T) {
		rng := mrand.New(mrand.NewPCG(1, 2))
		for range 50 {
			ws, _, err := websocket.Dial(ctx, srv.URL, nil)
			require.NoError(t, err)
			msg := make([]byte, 1+rng.IntN(200))
			for i := range msg {
				msg[i] = byte(rng.Uint32())
			}
			require.NoError(t, ws.Write(ctx, websocket.MessageBinary, msg))
			ce := readUntilClose(t, ctx, ws)
			// Random bytes are rejected; in the unlikely case they form a
			// valid Join, the silent "player" is closed as idle.
			assert.Contains(t, []websocket.StatusCode{server.StatusProtocolError, server.StatusPolicy,
				server.StatusVersionMismatch, server.StatusIdle}, ce.Code, ce.Reason)
			ws.CloseNow()
		}
	})

	t.Run("bit-flipped and truncated frames after join", func(t *testing.T) {
		rng := mrand.New(mrand.NewPCG(3, 4))
		valid := protocol.AppendInputFrame(nil, &protocol.InputFrame{AckTick: 3, ViewTime: 700,
			Inputs: []protocol.TickInput{{Tick: 100, Input: sim.Input{MoveX: 1}}, {Tick: 101}}})
		closed := 0
		for i := range 60 {
			ws := rawJoin(t, ctx, srv.URL, "mutants")
			msg := append([]byte(nil), valid...)
			if i%2 == 0 {
				msg = msg[:rng.IntN(len(msg))]
			} else {
				for range 1 + rng.IntN(4) {
					msg[rng.IntN(len(msg))] ^= 1 << rng.IntN(8)
				}
			}
			require.NoError(t, ws.Write(ctx, websocket.MessageBinary, msg))
			// A mutant may still be a valid frame; then the server keeps
			// the player. Either way it must not fall over.
			ws.Close(websocket.StatusNormalClosure, "")
			closed++
		}
		assert.Equal(t, 60, closed)
	})

	t.Run("oversized and text", func(t *testing.T) {
		ws := rawJoin(t, ctx, srv.URL, "arena")
		require.NoError(t, ws.Write(ctx, websocket.MessageBinary, make([]byte, 1<<20)))
		assert.Equal(t, server.StatusTooBig, readUntilClose(t, ctx, ws).Code)
		ws = rawJoin(t, ctx, srv.URL, "arena")
		require.NoError(t, ws.Write(ctx, websocket.MessageText, []byte("hello")))
		assert.Equal(t, server.StatusUnsupportedData, readUntilClose(t, ctx, ws).Code)
	})

	t.Run("connect and never join", func(t *testing.T) {
		ws, _, err := websocket.Dial(ctx, srv.URL, nil)
		require.NoError(t, err)
		ce := readUntilClose(t, ctx, ws)
		assert.Equal(t, server.StatusJoinTimeout, ce.Code)
		assert.Contains(t, ce.Reason, "no join")
	})

	t.Run("join and go silent", func(t *testing.T) {
		ws := rawJoin(t, ctx, srv.URL, "quiet")
		ce := readUntilClose(t, ctx, ws)
		assert.Equal(t, server.StatusIdle, ce.Code)
	})

	t.Run("input flood", func(t *testing.T) {
		ws := rawJoin(t, ctx, srv.URL, "flooder")
		frame := protocol.AppendInputFrame(nil, &protocol.InputFrame{Inputs: []protocol.TickInput{{Tick: 1}}})
		var err error
		for i := 0; i < 5000 && err == nil; i++ {
			err = ws.Write(ctx, websocket.MessageBinary, frame)
		}
		ce := readUntilClose(t, ctx, ws)
		assert.Equal(t, server.StatusPolicy, ce.Code)
		assert.Contains(t, ce.Reason, "messages a second")
	})

	t.Run("join flood", func(t *testing.T) {
		var conns []*websocket.Conn
		refused := 0
		for range 60 {
			ws, _, err := websocket.Dial(ctx, srv.URL, nil)
			require.NoError(t, err)
			conns = append(conns, ws)
		}
		for _, ws := range conns {
			join := protocol.AppendJoin(nil, &protocol.Join{ProtocolVersion: protocol.ProtocolVersion, Room: "flood"})
			if ws.Write(ctx, websocket.MessageBinary, join) != nil {
				refused++
			}
		}
		// The per-address limit (40) refuses the rest with 1008, or the
		// full room (16 players) with 4001.
		codes := map[websocket.StatusCode]int{}
		for _, ws := range conns {
			rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
			for {
				typ, msg, err := ws.Read(rctx)
				if err != nil {
					var ce websocket.CloseError
					if errors.As(err, &ce) {
						codes[ce.Code]++
					}
					break
				}
				if typ == websocket.MessageBinary && len(msg) > 0 && wire.MessageType(msg[0]) == wire.MessageTypeWelcome {
					codes[0]++ // seated
					break
				}
			}
			rcancel()
			ws.CloseNow()
		}
		assert.Equal(t, 16, codes[0], "a room seats MaxPlayers: %v", codes)
		assert.Positive(t, codes[server.StatusPolicy], "the per-address limit refused some: %v", codes)
		assert.Positive(t, codes[server.StatusRoomFull], "the full room refused some: %v", codes)
	})

	t.Run("1000 connect and disconnect cycles", func(t *testing.T) {
		for i := range 1000 {
			c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: fmt.Sprintf("churn-%d", i%50)})
			require.NoError(t, err, "cycle %d", i)
			if i%2 == 0 {
				require.NoError(t, c.Close())
			} else {
				c.Drop()
			}
		}
	})

	// Everyone else was served the whole time.
	keepsTicking(t, good, tickRate)
	require.NoError(t, good.Err())
	settleGoroutines(t, baseline)
}

func TestNonReadingClientIsEventuallyClosed(t *testing.T) {
	forEachIO(t, testNonReadingClientIsEventuallyClosed)
}

func testNonReadingClientIsEventuallyClosed(t *testing.T, netpoll bool) {
	srv := servertest.Start(t, &server.Options{WriteStall: 300 * time.Millisecond, NetpollIO: netpoll})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Big snapshots fill the socket buffers of a client that never reads.
	ws := rawJoin(t, ctx, srv.URL, "big", map[string]string{"npcs": "4000"})
	defer ws.CloseNow()
	require.Eventually(t, func() bool {
		rooms := srv.Rooms()
		return len(rooms) == 1 && len(rooms[0].Players) == 1
	}, 5*time.Second, 10*time.Millisecond)
	// The client keeps sending inputs (so it is not idle) but never reads.
	frame := protocol.AppendInputFrame(nil, &protocol.InputFrame{})
	kicked := false
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ws.Write(ctx, websocket.MessageBinary, frame) != nil || len(srv.Rooms()) == 0 || len(srv.Rooms()[0].Players) == 0 {
			kicked = true
			break
		}
	}
	assert.True(t, kicked, "a client that never reads is closed once its writes stall")
}

func TestResumeGivesBackTheSamePlayer(t *testing.T) {
	srv := servertest.Start(t, &server.Options{ResumeGrace: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	noNPCs := map[string]string{"npcs": "0"}
	c1 := dial(t, srv, netcode.Options{Room: "res", Params: noNPCs})
	w1 := c1.Welcome()
	require.NotEmpty(t, w1.ResumeToken)

	// Walk right for a while.
	start := w1.ServerTick + 5
	var batch []protocol.TickInput
	for tk := start; tk < start+30; tk++ {
		batch = append(batch, protocol.TickInput{Tick: tk, Input: sim.Input{MoveX: 1}})
	}
	require.NoError(t, c1.SendInputs(batch))
	var before netcode.Snapshot
	for before.Tick < start+40 {
		var err error
		before, err = c1.WaitSnapshot(ctx, before.Tick)
		require.NoError(t, err)
	}
	own1, ok := before.Entity(w1.EntityID)
	require.True(t, ok)

	c1.Drop()
	require.Eventually(t, func() bool {
		rooms := srv.Rooms()
		return len(rooms) == 1 && len(rooms[0].Players) == 1 && !rooms[0].Players[0].Connected
	}, 5*time.Second, 10*time.Millisecond, "the seat is held while the player is away")

	c2 := dial(t, srv, netcode.Options{Room: "res", ResumeToken: w1.ResumeToken})
	w2 := c2.Welcome()
	assert.Equal(t, w1.PlayerID, w2.PlayerID)
	assert.Equal(t, w1.EntityID, w2.EntityID)
	assert.Equal(t, w1.ResumeToken, w2.ResumeToken)
	snap, err := c2.WaitSnapshot(ctx, 0)
	require.NoError(t, err)
	assert.Zero(t, snap.Header.Baseline, "a resumed player starts from a full snapshot")
	own2, ok := snap.Entity(w1.EntityID)
	require.True(t, ok)
	// Same entity, same state: it stood still while away (so only its
	// velocity changed, to zero).
	for _, f := range []int{arena.PlayerX, arena.PlayerY, arena.PlayerHP, arena.PlayerScore, arena.PlayerDeaths, arena.PlayerLife} {
		assert.Equal(t, own1.Fields[f], own2.Fields[f], "field %d", f)
	}
	assert.Zero(t, own2.Fields[arena.PlayerVX])
	rooms := srv.Rooms()
	require.Len(t, rooms[0].Players, 1)
	assert.True(t, rooms[0].Players[0].Connected)
}

func TestSeatIsFreedAfterTheGrace(t *testing.T) {
	srv := servertest.Start(t, &server.Options{ResumeGrace: 300 * time.Millisecond})
	c1 := dial(t, srv, netcode.Options{Room: "g"})
	token := c1.Welcome().ResumeToken
	c1.Drop()
	require.Eventually(t, func() bool {
		rooms := srv.Rooms()
		return len(rooms) == 1 && len(rooms[0].Players) == 0
	}, 5*time.Second, 20*time.Millisecond)
	// The token no longer resumes anything: a fresh player.
	c2 := dial(t, srv, netcode.Options{Room: "g", ResumeToken: token})
	assert.NotEqual(t, c1.Welcome().PlayerID, c2.Welcome().PlayerID)
	assert.NotEqual(t, token, c2.Welcome().ResumeToken)
}

func TestResumeReplacesALiveConnection(t *testing.T) {
	srv := servertest.Start(t, nil)
	c1 := dial(t, srv, netcode.Options{Room: "twice"})
	c2 := dial(t, srv, netcode.Options{Room: "twice", ResumeToken: c1.Welcome().ResumeToken})
	code, _ := closeCode(t, waitClosed(t, c1))
	assert.Equal(t, server.StatusReplaced, code)
	assert.Equal(t, c1.Welcome().PlayerID, c2.Welcome().PlayerID)
	keepsTicking(t, c2, 30)
}

func TestJoinTokens(t *testing.T) {
	secret := []byte("test-secret")
	srv := servertest.Start(t, &server.Options{AuthSecret: secret})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	try := func(token string) error {
		c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: "vip", Name: "chosen-by-client", Token: token})
		if err == nil {
			c.Close()
		}
		return err
	}
	for name, tc := range map[string]struct {
		token  string
		reason string
	}{
		"missing":    {"", "requires a join token"},
		"expired":    {server.MintJoinToken(secret, "vip", "ann", time.Now().Add(-time.Second)), "expired"},
		"forged":     {server.MintJoinToken([]byte("guess"), "vip", "ann", time.Now().Add(time.Hour)), "signature"},
		"other room": {server.MintJoinToken(secret, "lobby", "ann", time.Now().Add(time.Hour)), "another room"},
	} {
		code, reason := closeCode(t, try(tc.token))
		assert.Equal(t, server.StatusUnauthorized, code, name)
		assert.Contains(t, reason, tc.reason, name)
	}
	c := dial(t, srv, netcode.Options{Room: "vip", Name: "chosen-by-client",
		Token: server.MintJoinToken(secret, "vip", "ann", time.Now().Add(time.Hour))})
	require.Eventually(t, func() bool {
		rooms := srv.Rooms()
		return len(rooms) == 1 && len(rooms[0].Players) == 1
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, "ann", srv.Rooms()[0].Players[0].Name, "the token names the player")
	_ = c
}

func TestOriginChecks(t *testing.T) {
	srv := servertest.Start(t, &server.Options{AllowedOrigins: []string{"game.example"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dialFrom := func(origin string) error {
		h := http.Header{}
		h.Set("Origin", origin)
		ws, _, err := websocket.Dial(ctx, srv.URL, &websocket.DialOptions{HTTPHeader: h})
		if err == nil {
			ws.CloseNow()
		}
		return err
	}
	assert.NoError(t, dialFrom("http://"+srv.Addr), "the server's own origin")
	assert.NoError(t, dialFrom("https://game.example"), "an allowed origin")
	assert.Error(t, dialFrom("https://evil.example"), "another origin")
	ws, _, err := websocket.Dial(ctx, srv.URL, nil)
	assert.NoError(t, err, "no Origin: not a browser")
	if err == nil {
		ws.CloseNow()
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, keyPEM, 0o600))
	srv := servertest.Start(t, &server.Options{TLSCertFile: certFile, TLSKeyFile: keyFile})

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(certPEM))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "wss://" + srv.Addr + "/ws"
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: client})
	require.NoError(t, err)
	defer ws.CloseNow()
	join := protocol.AppendJoin(nil, &protocol.Join{ProtocolVersion: protocol.ProtocolVersion, Room: "secure", PlayerName: "tls"})
	require.NoError(t, ws.Write(ctx, websocket.MessageBinary, join))
	_, msg, err := ws.Read(ctx)
	require.NoError(t, err)
	w, err := protocol.ParseWelcome(msg)
	require.NoError(t, err)
	assert.Equal(t, "secure", w.Room)

	// Plain ws to a TLS port fails.
	_, _, err = websocket.Dial(ctx, "ws://"+srv.Addr+"/ws", nil)
	assert.Error(t, err)
}

// selfSigned makes a certificate for 127.0.0.1 that expires in an hour.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tickwire test"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// bomb is a game whose Step panics at a given tick.
type bomb struct{ at sim.Tick }

func (b *bomb) Kinds() []sim.KindSpec {
	return []sim.KindSpec{{Name: "thing", Fields: []sim.FieldSpec{{Name: "v", Min: 0, Max: 10}}}}
}
func (b *bomb) Join(p sim.PlayerID, name string) (sim.EntityID, error) { return sim.EntityID(p), nil }
func (b *bomb) Leave(sim.PlayerID)                                     {}
func (b *bomb) World(dst []sim.EntityState) []sim.EntityState          { return dst }
func (b *bomb) Step(t sim.Tick, _ []sim.PlayerInput) {
	if t == b.at {
		panic("boom")
	}
}

func TestRoomPanicClosesOnlyThatRoom(t *testing.T) {
	srv := servertest.Start(t, nil)
	srv.RegisterGame("bomb", func(sim.Config) (server.Game, error) { return &bomb{at: 20}, nil })
	calm := dial(t, srv, netcode.Options{Room: "calm"})
	doomed := dial(t, srv, netcode.Options{Room: "doomed", Game: "bomb"})
	code, reason := closeCode(t, waitClosed(t, doomed))
	assert.Equal(t, server.StatusInternalError, code)
	assert.Contains(t, reason, "room failed")
	keepsTicking(t, calm, 30)
	assert.Contains(t, httpGet(t, srv.HTTP+"/metrics"), "tickwire_room_panics_total 1")
	names := []string{}
	for _, r := range srv.Rooms() {
		names = append(names, r.Name)
	}
	assert.Equal(t, "calm", strings.Join(names, ","))
}

func TestResumeOutlivesTheJoinToken(t *testing.T) {
	secret := []byte("s")
	srv := servertest.Start(t, &server.Options{AuthSecret: secret})
	token := server.MintJoinToken(secret, "vip", "ann", time.Now().Add(1500*time.Millisecond))
	c1 := dial(t, srv, netcode.Options{Room: "vip", Token: token})
	time.Sleep(2 * time.Second) // the token expires; the player plays on
	c1.Drop()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: "vip", Token: token})
	code, reason := closeCode(t, err)
	assert.Equal(t, server.StatusUnauthorized, code, "a new join with the expired token is refused")
	assert.Contains(t, reason, "expired")

	c2 := dial(t, srv, netcode.Options{Room: "vip", Token: token, ResumeToken: c1.Welcome().ResumeToken})
	assert.Equal(t, c1.Welcome().PlayerID, c2.Welcome().PlayerID, "the held seat comes back")
}
