//go:build !js

package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server/servertest"
)

// startXvfb starts a virtual X server on a display it picks itself
// (-displayfd: no guessing of free numbers, no races with other tests) and
// returns the DISPLAY value. It is stopped when the test ends.
func startXvfb(t *testing.T, xvfb string) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	cmd := exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	require.NoError(t, cmd.Start())
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		require.NotEmpty(t, n, "Xvfb did not report its display")
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not start within 30s")
		return ""
	}
}

// TestDesktopUnderXvfb runs the desktop build in a virtual X server: it
// starts, connects by itself, draws the arena, saves a screenshot of it and
// exits with status 0.
func TestDesktopUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the desktop client and runs it under Xvfb")
	}
	xvfb := requireTool(t, "Xvfb", "xvfb")
	display := startXvfb(t, xvfb)

	bin := filepath.Join(t.TempDir(), "demo-client")
	out, err := exec.Command(goTool(t), "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "building the desktop client: %s", out)

	srv := servertest.Start(t, nil)
	const room, name = "xvfb", "desk"
	screenshot := filepath.Join(t.TempDir(), "desktop.png")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"-url", srv.URL, "-room", room, "-name", name,
		"-autoconnect", "-debug", "-exit-after", "90", "-screenshot", screenshot, "-timeout", "150s")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	require.NoError(t, cmd.Start())

	// Watch the server while the client runs: it must be seen seated.
	var joined atomic.Bool
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for {
			if _, ok := findPlayer(srv, room, name); ok {
				joined.Store(true)
				return
			}
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	err = cmd.Wait()
	close(stopWatch)
	<-watchDone
	t.Logf("desktop client output:\n%s", output.String())
	require.NoError(t, err, "the desktop client must exit with status 0")
	require.True(t, joined.Load(), "the server never saw the desktop client join")

	png, err := os.ReadFile(screenshot)
	require.NoError(t, err, "the client wrote no screenshot")
	saveArtifact(t, "desktop-xvfb.png", png)
	requireDrawn(t, png)
}
