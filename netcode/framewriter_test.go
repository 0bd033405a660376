//go:build !js

package netcode

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// Frames written directly must be what a WebSocket server reads as binary
// messages, at every length encoding, in order with the library's own
// writes; and once the library has sent a close frame, no data frame may
// follow it.
func TestDirectFramesAreReadByAWebSocketServer(t *testing.T) {
	got := make(chan []byte, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(1 << 20)
		for {
			typ, msg, err := ws.Read(context.Background())
			if err != nil {
				close(got)
				return
			}
			if typ != websocket.MessageBinary {
				msg = append([]byte("text:"), msg...)
			}
			got <- msg
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + srv.URL[len("http"):]
	opts, fc := dialOptions(url)
	require.NotNil(t, fc, "plain ws:// gets direct frames")
	ws, _, err := websocket.Dial(ctx, url, opts)
	require.NoError(t, err)
	defer ws.CloseNow()

	var sent [][]byte
	for i, n := range []int{0, 1, 125, 126, 1000, 65535, 65536, 70000} {
		p := bytes.Repeat([]byte{byte(i + 1)}, n)
		require.NoError(t, fc.writeBinary(p))
		sent = append(sent, p)
		if i == 3 {
			// The library's own writes go through the same connection.
			lib := []byte("from the library")
			require.NoError(t, ws.Write(ctx, websocket.MessageBinary, lib))
			sent = append(sent, lib)
		}
	}
	for i, want := range sent {
		select {
		case msg := <-got:
			require.Equal(t, want, msg, "message %d (%d bytes)", i, len(want))
		case <-ctx.Done():
			t.Fatalf("message %d never arrived", i)
		}
	}
	// Once the library's close frame is out, direct writes are refused
	// (and stay refused), so no data frame can follow it.
	go ws.Close(websocket.StatusNormalClosure, "bye")
	require.Eventually(t, func() bool { return fc.writeBinary([]byte("late")) == errFrameConnClosed },
		5*time.Second, time.Millisecond)
	require.ErrorIs(t, fc.writeBinary([]byte("later")), errFrameConnClosed)
	for range got {
	}

	_, fc = dialOptions("wss://example.invalid/ws")
	require.Nil(t, fc, "TLS sits between frames and socket: no direct frames")
}
