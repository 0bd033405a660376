package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/schema/wire"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
)

// A connection's read buffer starts small and grows on demand, so a message
// bigger than the starting size but within MaxMessageSize must be read whole
// and accepted, and the connection must go on receiving snapshots.
func TestMessagesOverTheStartingReadBufferAreAccepted(t *testing.T) {
	srv := servertest.Start(t, &server.Options{TickRate: 30})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws := rawJoin(t, ctx, srv.URL, "big-frames")
	defer ws.CloseNow()
	typ, msg, err := ws.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageBinary, typ)
	welcome, err := protocol.ParseWelcome(msg)
	require.NoError(t, err)

	frame := protocol.InputFrame{}
	for i := range 100 {
		frame.Inputs = append(frame.Inputs, protocol.TickInput{Tick: welcome.ServerTick + sim.Tick(i), Input: sim.Input{MoveX: 1}})
	}
	big := protocol.AppendInputFrame(nil, &frame)
	require.Greater(t, len(big), 1024, "the frame must not fit the starting buffer")
	require.Less(t, len(big), 4096, "the frame must fit the default read limit")
	require.NoError(t, ws.Write(ctx, websocket.MessageBinary, big))

	snapshots := 0
	for snapshots < 10 {
		_, msg, err := ws.Read(ctx)
		require.NoError(t, err, "the server closed the connection after a large, valid frame")
		if wire.MessageType(msg[0]) == wire.MessageTypeSnapshot {
			snapshots++
		}
	}
}
