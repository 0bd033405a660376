//go:build !js

package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim/arena"
)

// TestBrowserEndToEnd plays the WASM build in headless Chromium against a
// real server that serves the page: the client connects with the
// WebSocket URL derived from the page's address, holding a movement key
// moves the player's authoritative position, and the canvas shows the
// arena.
func TestBrowserEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the WASM bundle and drives a browser")
	}
	chromium := requireTool(t, "chromium", "chromium")
	webDir := buildWebBundle(t)
	srv := servertest.Start(t, &server.Options{WebDir: webDir})

	// The bundle is served compressed, with the types a browser insists on.
	req, err := http.NewRequest(http.MethodGet, srv.HTTP+"/demo.wasm", nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Keep requestAnimationFrame running at full rate in the
		// background tab headless mode may consider it.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(screenWidth, screenHeight),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancel()

	// The page's console goes to the test log: a failure to start the
	// WASM shows up there.
	consoleCtx, stopConsole := context.WithCancel(ctx)
	defer stopConsole()
	messages := chromedp.Console(consoleCtx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			t.Logf("browser console: %s", m)
		}
	}()

	const room, name = "e2e", "bot"
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.HTTP+"/?autoconnect=1&room="+room+"&name="+name)))

	// Loading and compiling the module is slow on a busy machine.
	player := waitPlayer(t, srv, room, name, 120*time.Second)
	require.NotZero(t, player.Entity)
	t.Logf("browser player joined: %+v", player)

	w := newWatcher(t, srv, room)
	before := w.entity(t, player.Entity)
	x0 := before.Fields[arena.PlayerX]
	// The others see the browser's player under the name it joined with:
	// the roster is what the scoreboard and the labels draw.
	var named bool
	for _, e := range w.c.Roster() {
		named = named || (e.EntityID == player.Entity && e.Name == name && e.Connected)
	}
	assert.True(t, named, "the watcher's roster names entity %d %q: %+v", player.Entity, name, w.c.Roster())

	// Hold D (or A when the player spawned in the right half, so the wall
	// can not stop it), then check the server moved it that way.
	key, code, vk, sign := "d", "KeyD", int64(68), int32(1)
	p, err := arena.ParseParams(nil)
	require.NoError(t, err)
	if x0 > p.MaxX()/2 {
		key, code, vk, sign = "a", "KeyA", 65, -1
	}
	dispatch := func(typ input.DispatchKeyEventType) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			params := input.DispatchKeyEventParams{Type: typ, Key: key, Code: code,
				WindowsVirtualKeyCode: vk, NativeVirtualKeyCode: vk}
			if typ == input.DispatchKeyEventTypeKeyDown {
				params.Text = key
			}
			_, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, params)
			return err
		})
	}
	focus := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const c = document.querySelector("canvas"); if (c) c.focus(); return !!c; })()`)(ctx, tg)
		return err
	})
	require.NoError(t, chromedp.Do(ctx, focus, dispatch(input.DispatchKeyEventTypeKeyDown)))

	moved := false
	deadline := time.Now().Add(20 * time.Second)
	var last int32
	for time.Now().Before(deadline) {
		last = w.entity(t, player.Entity).Fields[arena.PlayerX]
		if (last-x0)*sign > 20*arena.SimUnits {
			moved = true
			break
		}
	}
	require.NoError(t, chromedp.Do(ctx, dispatch(input.DispatchKeyEventTypeKeyUp)))
	require.True(t, moved, "holding %q did not move the player: x %d -> %d", key, x0, last)
	t.Logf("holding %q moved the player from x=%d to x=%d (sim units)", key, x0, last)

	// F3 shows the netcode overlay; holding the mouse button fires: the
	// server puts a shot fired from the player's position into the world.
	f3 := func(typ input.DispatchKeyEventType) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, input.DispatchKeyEventParams{
				Type: typ, Key: "F3", Code: "F3", WindowsVirtualKeyCode: 114, NativeVirtualKeyCode: 114})
			return err
		})
	}
	mouse := func(typ input.DispatchMouseEventType) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, input.DispatchMouseEvent, input.DispatchMouseEventParams{
				Type: typ, X: screenWidth / 2, Y: screenHeight / 4, Button: input.MouseButtonLeft, Buttons: 1, ClickCount: 1})
			return err
		})
	}
	require.NoError(t, chromedp.Do(ctx, f3(input.DispatchKeyEventTypeRawKeyDown), f3(input.DispatchKeyEventTypeKeyUp),
		mouse(input.DispatchMouseEventTypeMouseMoved), mouse(input.DispatchMouseEventTypeMousePressed)))
	fired := false
	deadline = time.Now().Add(20 * time.Second)
	for !fired && time.Now().Before(deadline) {
		fired = w.sawShot(t)
	}
	// The screenshot while the button is held: the overlay and the shot.
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, chromedp.Do(ctx, mouse(input.DispatchMouseEventTypeMouseReleased)))
	require.NoError(t, err)
	saveArtifact(t, "browser-e2e.png", shot)
	requireDrawn(t, shot)
	require.True(t, fired, "holding the mouse button fired no shot the server saw")

	_, stillThere := findPlayer(srv, room, name)
	assert.True(t, stillThere, "the browser player should still be connected")
}
