package main

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
)

// TestBinaryShutsDownGracefully builds the real binary, starts it on a
// random port, joins a player, sends SIGTERM, and checks the player is told
// why (1001) and the process exits cleanly within its deadline.
func TestBinaryShutsDownGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd, addr := startBinary(t, buildBinary(t), nil, nil, "-addr", "127.0.0.1:0", "-npcs", "3", "-shutdown-timeout", "5s")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, "ws://"+addr+"/ws", &netcode.Options{Room: "bin"})
	require.NoError(t, err)
	_, err = c.WaitSnapshot(ctx, 0)
	require.NoError(t, err)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("client not closed after SIGTERM")
	}
	var ce *netcode.CloseError
	require.True(t, errors.As(c.Err(), &ce), "close error, got %v", c.Err())
	assert.Equal(t, websocket.StatusGoingAway, ce.Code)

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		assert.NoError(t, err, "clean exit")
	case <-time.After(10 * time.Second):
		t.Fatal("process did not exit within its deadline")
	}
}
