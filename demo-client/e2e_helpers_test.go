//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

// requireTool returns the path of a program the end-to-end tests need. A
// developer without it gets a skip that says what to install; under CI
// (CI set) a missing tool fails, so the suite can not pass by skipping.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " is not installed (Debian: apt-get install " + debianPackage + "; `make deps` does it)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this test must run")
	}
	t.Skip(msg)
	return ""
}

// artifactDir is where the end-to-end tests keep their screenshots:
// $TICKWIRE_ARTIFACTS when set (CI collects it), else a fixed directory
// under the system's temp dir that outlives the test, so a developer can
// look at what the test saw. The path is logged.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TICKWIRE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "tickwire-artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// saveArtifact writes b under the artifact directory and logs where.
func saveArtifact(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(artifactDir(t), name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	t.Logf("artifact: %s", p)
	return p
}

// requireDrawn checks that a screenshot shows a drawn scene, not a blank
// or single-colour canvas: many distinct colours, and no one colour
// covering nearly everything.
func requireDrawn(t *testing.T, pngBytes []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	require.NoError(t, err, "screenshot is not a PNG")
	counts := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	total := b.Dx() * b.Dy()
	require.Greater(t, total, 0)
	require.GreaterOrEqual(t, len(counts), 16, "the screenshot has only %d colours: nothing drawn", len(counts))
	require.Less(t, float64(top)/float64(total), 0.97, "one colour covers %.1f%% of the screenshot", 100*float64(top)/float64(total))
	return img
}

// waitPlayer polls the server until a connected player named name sits in
// room, and returns it.
func waitPlayer(t *testing.T, srv *servertest.Server, room, name string, timeout time.Duration) server.PlayerInfo {
	t.Helper()
	var found server.PlayerInfo
	require.Eventually(t, func() bool {
		p, ok := findPlayer(srv, room, name)
		found = p
		return ok
	}, timeout, 50*time.Millisecond, "no connected player %q in room %q within %v (rooms: %+v)", name, room, timeout, srv.Rooms())
	return found
}

func findPlayer(srv *servertest.Server, room, name string) (server.PlayerInfo, bool) {
	for _, r := range srv.Rooms() {
		if r.Name != room {
			continue
		}
		for _, p := range r.Players {
			if p.Name == name && p.Connected {
				return p, true
			}
		}
	}
	return server.PlayerInfo{}, false
}

// watcher is a plain netcode client in the same room, reading the server's
// authoritative world (a test's eyes on the server's state).
type watcher struct {
	c *netcode.Client
}

func newWatcher(t *testing.T, srv *servertest.Server, room string) *watcher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: room, Name: "watcher"})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &watcher{c: c}
}

// entity waits for the next snapshot and returns entity id in it.
func (w *watcher) entity(t *testing.T, id sim.EntityID) sim.EntityState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	last, _ := w.c.Latest()
	s, err := w.c.WaitSnapshot(ctx, last.Tick)
	require.NoError(t, err)
	e, ok := s.Entity(id)
	require.True(t, ok, "entity %d is not in the world", id)
	require.Equal(t, arena.KindPlayer, e.Kind)
	return e
}

// sawShot waits for the next snapshot and reports whether it holds a shot.
func (w *watcher) sawShot(t *testing.T) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	last, _ := w.c.Latest()
	s, err := w.c.WaitSnapshot(ctx, last.Tick)
	require.NoError(t, err)
	for _, e := range s.Entities {
		if e.Kind == arena.KindShot {
			return true
		}
	}
	return false
}

// buildWebBundle builds what `make wasm` builds into a temp dir: the page,
// wasm_exec.js, the game as WebAssembly, and gzip copies of the last two.
func buildWebBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	goBin := goTool(t)
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "demo.wasm"), ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building the wasm bundle: %s", out)

	goroot, err := exec.Command(goBin, "env", "GOROOT").Output()
	require.NoError(t, err)
	execJS, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasm_exec.js"), execJS, 0o644))
	page, err := os.ReadFile(filepath.Join("web", "index.html"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), page, 0o644))
	for _, name := range []string{"demo.wasm", "wasm_exec.js"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, err = zw.Write(raw)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".gz"), buf.Bytes(), 0o644))
	}
	return dir
}

// goTool is the go command building this test (so the bundle matches it).
func goTool(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to build the client")
	return p
}
