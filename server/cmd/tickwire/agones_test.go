package main

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
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
)

// -agones is on by default exactly when Agones set AGONES_SDK_HTTP_PORT.
func TestAgonesFlagFollowsTheSDKPort(t *testing.T) {
	var out bytes.Buffer
	t.Setenv("AGONES_SDK_HTTP_PORT", "")
	os.Unsetenv("AGONES_SDK_HTTP_PORT")
	c, err := parseFlags(nil, &out)
	require.NoError(t, err)
	assert.False(t, c.agones, "off outside Agones")
	c, err = parseFlags([]string{"-agones"}, &out)
	require.NoError(t, err)
	assert.True(t, c.agones, "-agones turns it on by hand")

	t.Setenv("AGONES_SDK_HTTP_PORT", "9358")
	c, err = parseFlags(nil, &out)
	require.NoError(t, err)
	assert.True(t, c.agones, "on inside an Agones pod")
	c, err = parseFlags([]string{"-agones=false"}, &out)
	require.NoError(t, err)
	assert.False(t, c.agones, "-agones=false wins")
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestBinaryUnderAgones runs the real binary beside the real Agones SDK
// server (local mode), the way a pod runs them: the binary finds the
// sidecar through AGONES_SDK_HTTP_PORT, reaches Ready, publishes its room,
// and on SIGTERM drains (its player hears 1001) and reports Shutdown before
// it exits.
func TestBinaryUnderAgones(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	sdkBin := filepath.Join("..", "..", "..", "..", "shared", "bin", "agones-sdk-server")
	if _, err := os.Stat(sdkBin); err != nil {
		t.Skipf("skipping: needs the real Agones SDK server at %s (%v); it ships in ../shared/bin", sdkBin, err)
	}
	dir := t.TempDir()
	gsFile := filepath.Join(dir, "gameserver.yaml")
	require.NoError(t, os.WriteFile(gsFile, []byte("apiVersion: agones.dev/v1\nkind: GameServer\nmetadata: {name: local}\n"+
		"spec: {ports: [{name: ws, containerPort: 8080}]}\nstatus: {state: Scheduled}\n"), 0o600))
	sdkPort := freeLoopbackPort(t)
	sdkOut := &lockedBuffer{}
	sdk := exec.Command(sdkBin, "--local", "-f", gsFile, "--http-port", strconv.Itoa(sdkPort),
		"--grpc-port", strconv.Itoa(freeLoopbackPort(t)), "--health-port", strconv.Itoa(freeLoopbackPort(t)),
		"--graceful-termination=false")
	sdk.Stdout, sdk.Stderr = sdkOut, sdkOut
	require.NoError(t, sdk.Start())
	t.Cleanup(func() {
		sdk.Process.Kill()
		sdk.Wait()
		if t.Failed() {
			t.Logf("agones-sdk-server log:\n%s", sdkOut)
		}
	})
	sdkURL := fmt.Sprintf("http://127.0.0.1:%d", sdkPort)
	gameServer := func() (state string, labels map[string]string) {
		resp, err := http.Get(sdkURL + "/gameserver")
		if err != nil {
			return "", nil
		}
		defer resp.Body.Close()
		var v struct {
			ObjectMeta struct {
				Labels map[string]string `json:"labels"`
			} `json:"object_meta"`
			Status struct {
				State string `json:"state"`
			} `json:"status"`
		}
		if json.NewDecoder(resp.Body).Decode(&v) != nil {
			return "", nil
		}
		return v.Status.State, v.ObjectMeta.Labels
	}

	logs := &lockedBuffer{}
	cmd, addr := startBinary(t, buildBinary(t), []string{"AGONES_SDK_HTTP_PORT=" + strconv.Itoa(sdkPort)}, logs,
		"-addr", "127.0.0.1:0", "-npcs", "0", "-shutdown-timeout", "5s")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, "ws://"+addr+"/ws", &netcode.Options{Room: "fleet"})
	require.NoError(t, err)
	defer c.Close()
	require.Eventually(t, func() bool {
		state, labels := gameServer()
		return state == "Ready" && labels["agones.dev/sdk-tickwire-rooms"] == "1"
	}, 15*time.Second, 20*time.Millisecond, "never Ready with its room published")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		require.NoError(t, err, "clean exit; log:\n%s", logs)
	case <-time.After(15 * time.Second):
		t.Fatalf("process did not exit after SIGTERM; log:\n%s", logs)
	}
	<-c.Done()
	var ce *netcode.CloseError
	require.ErrorAs(t, c.Err(), &ce)
	assert.EqualValues(t, 1001, ce.Code)
	state, labels := gameServer()
	assert.Equal(t, "Shutdown", state)
	assert.Equal(t, "false", labels["agones.dev/sdk-tickwire-accepting"])
}
