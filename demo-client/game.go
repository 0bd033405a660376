package main

import (
	"fmt"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/sim"
)

// The game draws on a fixed logical screen; Ebitengine scales it to the
// window (or the browser page).
const (
	screenWidth  = 960
	screenHeight = 640
)

// ownSmoothing is the time constant with which the drawn own player eases
// toward its prediction: it hides the 30 Hz steps of prediction and the
// occasional reconciliation correction without a noticeable lag.
const ownSmoothing = 40 * time.Millisecond

// game is the ebiten.Game: the connect screen, then the arena. Ebitengine
// calls Update and Draw on one goroutine; the session's goroutine and the
// client's reader reach the game only through session.Status and the
// snapshot buffer, both locked.
type game struct {
	cfg     config
	origin  time.Time
	form    connectForm
	sess    *session // nil on the connect screen
	playing bool

	showDebug  bool
	showScores bool
	txt        textRenderer

	// Per frame, on the game loop.
	status    sessionStatus
	view      []sim.EntityState // the others, interpolated
	renderAt  sim.TickTime      // the server time they are drawn at
	delay     time.Duration     // the interpolation delay
	haveWorld bool
	input     sim.Input
	own       ownView
	rates     rateMeter
	names     playerNames

	// Automation (config.ExitAfter / Screenshot / Timeout).
	playFrames int
	finished   bool
	exitErr    error
}

// ownView is the own player as drawn: eased toward the prediction.
type ownView struct {
	valid      bool
	x, y       float64
	lastUpdate time.Duration
}

// rateMeter turns the client's counters into per-second rates, once a
// second.
type rateMeter struct {
	at                time.Duration
	snapshots, bytes  uint64
	snapsPerS, bytesS float64
}

func newGame(cfg config) *game {
	g := &game{cfg: cfg, origin: time.Now(), form: newConnectForm(cfg), showDebug: cfg.Debug}
	if cfg.AutoConnect {
		g.connect()
	}
	return g
}

// now is the game's monotonic clock (shared with the snapshot buffers).
func (g *game) now() time.Duration { return time.Since(g.origin) }

// connect starts a session with the form's values, or says what is wrong
// with them.
func (g *game) connect() {
	url, err := normalizeServerURL(g.form.fields[fieldServer].value)
	if err != nil {
		g.form.message = err.Error()
		g.playing = false
		return
	}
	room, name := g.form.fields[fieldRoom].value, g.form.fields[fieldName].value
	if room == "" {
		room = defaultRoom
	}
	if name == "" {
		name = defaultName
	}
	g.form.fields[fieldServer].value = url
	g.form.message = ""
	g.sess = startSession(url, room, name, g.cfg.Token, g.now)
	g.playing = true
	g.own = ownView{}
	g.rates = rateMeter{}
}

// disconnect ends the session and returns to the connect screen.
func (g *game) disconnect(message string) {
	if g.sess != nil {
		g.sess.Stop()
		g.sess = nil
	}
	g.playing = false
	g.haveWorld = false
	g.form.message = message
}

// shutdown closes the connection when the game ends.
func (g *game) shutdown() {
	if g.sess != nil {
		g.sess.Stop()
		g.sess = nil
	}
}

func (g *game) Layout(int, int) (int, int) { return screenWidth, screenHeight }

func (g *game) Update() error {
	if g.finished {
		return ebiten.Termination
	}
	if g.exitErr != nil {
		return g.exitErr
	}
	if g.cfg.Timeout > 0 && g.now() > g.cfg.Timeout {
		return fmt.Errorf("timed out after %v: %d of the %d frames of play -exit-after asked for", g.cfg.Timeout, g.playFrames, g.cfg.ExitAfter)
	}
	if !g.playing {
		if g.form.update() {
			g.connect()
		}
		return nil
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyEscape) {
		// Keep why the connection was down, if it was, on the form.
		g.disconnect(g.sess.Status().Message)
		return nil
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyF3) {
		g.showDebug = !g.showDebug
	}
	g.showScores = ebiten.IsKeyPressed(ebiten.KeyTab)

	g.status = g.sess.Status()
	if g.status.Phase == phaseStopped && inpututil.IsKeyJustPressed(ebiten.KeyEnter) {
		g.disconnect("")
		g.connect()
		return nil
	}
	c, buf := g.status.Client, g.status.Buffer
	if c == nil || buf == nil {
		return nil
	}
	now := g.now()
	g.names.update(c.Roster())
	g.updateOwn(c, now)
	g.input = g.readInput()
	// An error means the connection ended: the session sees that too and
	// says why, so there is nothing to do here.
	_, _ = c.Update(g.input)
	g.renderAt, g.delay, g.haveWorld = buf.renderTime(now)
	if g.haveWorld {
		// The lag-compensation claim: the server time the others were
		// drawn at.
		c.SetViewTime(g.renderAt)
		g.view = buf.Sample(g.view[:0], g.renderAt)
	}
	g.rates.update(c.Stats(), now)
	return nil
}

// updateOwn eases the drawn own player toward the prediction, snapping
// when it is far (a respawn).
func (g *game) updateOwn(c *netcode.Client, now time.Duration) {
	lay := g.status.Layout
	p, ok := c.Predicted()
	if !ok {
		if e, found := g.status.Buffer.Own(); found {
			p, ok = e, true
		}
	}
	if !ok {
		return
	}
	k := lay.kind(p.Kind)
	x, y := float64(k.get(p, k.x)), float64(k.get(p, k.y))
	dt := now - g.own.lastUpdate
	g.own.lastUpdate = now
	if !g.own.valid || math.Hypot(x-g.own.x, y-g.own.y) > 4*lay.hitRadius {
		g.own = ownView{valid: true, x: x, y: y, lastUpdate: now}
		return
	}
	f := 1 - math.Exp(-float64(dt)/float64(ownSmoothing))
	g.own.x += (x - g.own.x) * f
	g.own.y += (y - g.own.y) * f
}

// readInput maps the keyboard and mouse to the arena's input: WASD or the
// arrows move, the mouse aims from the own player, the left button fires.
func (g *game) readInput() sim.Input {
	var in sim.Input
	if ebiten.IsKeyPressed(ebiten.KeyA) || ebiten.IsKeyPressed(ebiten.KeyArrowLeft) {
		in.MoveX--
	}
	if ebiten.IsKeyPressed(ebiten.KeyD) || ebiten.IsKeyPressed(ebiten.KeyArrowRight) {
		in.MoveX++
	}
	if ebiten.IsKeyPressed(ebiten.KeyW) || ebiten.IsKeyPressed(ebiten.KeyArrowUp) {
		in.MoveY--
	}
	if ebiten.IsKeyPressed(ebiten.KeyS) || ebiten.IsKeyPressed(ebiten.KeyArrowDown) {
		in.MoveY++
	}
	if ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft) || ebiten.IsKeyPressed(ebiten.KeySpace) {
		in.Buttons |= sim.ButtonFire
	}
	in.Aim = g.input.Aim
	if g.own.valid {
		cx, cy := ebiten.CursorPosition()
		v := newViewport(g.status.Layout)
		ox, oy := v.toScreen(g.own.x, g.own.y)
		if dx, dy := float64(cx)-ox, float64(cy)-oy; dx*dx+dy*dy > 4 {
			in.Aim = aimFromVector(dx, dy)
		}
	}
	return in
}

// aimFromVector turns a direction (screen and world share axes: +y is
// down on both) into the arena's angle: 65536 a turn from +x toward +y.
func aimFromVector(dx, dy float64) uint16 {
	a := math.Atan2(dy, dx) / (2 * math.Pi) // -0.5..0.5 turn
	if a < 0 {
		a++
	}
	return uint16(int(math.Round(a*65536)) & 0xffff)
}

// aimVector is the unit direction of an arena angle.
func aimVector(aim float64) (float64, float64) {
	r := aim / 65536 * 2 * math.Pi
	return math.Cos(r), math.Sin(r)
}

func (r *rateMeter) update(s netcode.Stats, now time.Duration) {
	if r.at == 0 || s.Snapshots < r.snapshots {
		r.at, r.snapshots, r.bytes = now, s.Snapshots, s.Bytes
		return
	}
	if el := now - r.at; el >= time.Second {
		r.snapsPerS = float64(s.Snapshots-r.snapshots) / el.Seconds()
		r.bytesS = float64(s.Bytes-r.bytes) / el.Seconds()
		r.at, r.snapshots, r.bytes = now, s.Snapshots, s.Bytes
	}
}

func (g *game) Draw(screen *ebiten.Image) {
	if !g.playing {
		g.drawConnect(screen)
		return
	}
	g.drawPlay(screen)
	if g.haveWorld {
		g.playFrames++
	}
	if g.cfg.ExitAfter > 0 && g.playFrames >= g.cfg.ExitAfter && !g.finished {
		if g.cfg.Screenshot != "" {
			if err := saveScreenshot(screen, g.cfg.Screenshot); err != nil {
				g.exitErr = fmt.Errorf("screenshot: %w", err)
				return
			}
		}
		g.finished = true
	}
}
