package main

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/arena"
)

var (
	colBackground = color.RGBA{0x0e, 0x12, 0x1a, 0xff}
	colFloor      = color.RGBA{0x18, 0x20, 0x2e, 0xff}
	colGrid       = color.RGBA{0x22, 0x2c, 0x3e, 0xff}
	colWall       = color.RGBA{0x5a, 0x6b, 0x8c, 0xff}
	colOwn        = color.RGBA{0x3c, 0xd6, 0xf0, 0xff}
	colOther      = color.RGBA{0xf0, 0x8c, 0x3c, 0xff}
	colNPC        = color.RGBA{0x8c, 0xb4, 0x6e, 0xff}
	colDead       = color.RGBA{0x50, 0x55, 0x60, 0xff}
	colShot       = color.RGBA{0xff, 0xe8, 0x5a, 0xff}
	colAuth       = color.RGBA{0xff, 0x40, 0x80, 0xff}
	colRewound    = color.RGBA{0xc0, 0x60, 0xff, 0xff}
	colText       = color.RGBA{0xe8, 0xec, 0xf4, 0xff}
	colDim        = color.RGBA{0x90, 0x98, 0xa8, 0xff}
	colPanel      = color.RGBA{0x08, 0x0b, 0x10, 0xd8}
	colField      = color.RGBA{0x20, 0x28, 0x38, 0xff}
	colFocus      = color.RGBA{0x3c, 0xd6, 0xf0, 0xff}
	colHPGood     = color.RGBA{0x50, 0xd0, 0x70, 0xff}
	colHPBad      = color.RGBA{0xe0, 0x40, 0x40, 0xff}
	colWarn       = color.RGBA{0xff, 0xb0, 0x40, 0xff}
)

// Screen layout, in logical pixels.
const (
	hudHeight   = 24
	arenaMargin = 10
)

// viewport maps the arena's units to the screen: the whole arena fitted
// below the HUD, +y down on both.
type viewport struct {
	scale, ox, oy float64
	lay           *layout
}

func newViewport(lay *layout) viewport {
	if lay == nil {
		lay = newLayout(nil, arena.DefaultParams())
	}
	w, h := float64(lay.maxX-lay.minX), float64(lay.maxY-lay.minY)
	availW, availH := float64(screenWidth-2*arenaMargin), float64(screenHeight-hudHeight-2*arenaMargin)
	s := min(availW/w, availH/h)
	return viewport{
		scale: s,
		ox:    arenaMargin + (availW-w*s)/2 - float64(lay.minX)*s,
		oy:    hudHeight + arenaMargin + (availH-h*s)/2 - float64(lay.minY)*s,
		lay:   lay,
	}
}

func (v viewport) toScreen(x, y float64) (float64, float64) {
	return v.ox + x*v.scale, v.oy + y*v.scale
}

func (v viewport) len(d float64) float32 { return float32(d * v.scale) }

func (g *game) drawConnect(screen *ebiten.Image) {
	screen.Fill(colBackground)
	g.txt.centered(screen, "tickwire arena", 90, 4, colOwn)
	g.txt.centered(screen, "authoritative server, predicted you, interpolated them", 160, 1, colDim)
	f := &g.form
	for i, fld := range f.fields {
		r := fieldRect(i)
		g.txt.draw(screen, fld.label, r.x, r.y-18, 1, colDim)
		vector.FillRect(screen, float32(r.x), float32(r.y), float32(r.w), float32(r.h), colField, false)
		border := colGrid
		if i == f.focus {
			border = colFocus
		}
		vector.StrokeRect(screen, float32(r.x), float32(r.y), float32(r.w), float32(r.h), 2, border, false)
		value := fld.value
		if i == f.focus && (time.Since(g.origin)/(500*time.Millisecond))%2 == 0 {
			value += "_"
		}
		maxChars := (r.w - 16) / 12
		if len(value) > maxChars {
			value = value[len(value)-maxChars:]
		}
		g.txt.draw(screen, value, r.x+8, r.y+1, 2, colText)
	}
	b := connectButtonRect()
	vector.FillRect(screen, float32(b.x), float32(b.y), float32(b.w), float32(b.h), colOwn, false)
	g.txt.draw(screen, "Connect", b.x+(b.w-textWidth("Connect", 2))/2, b.y+2, 2, colBackground)
	if f.message != "" {
		g.txt.centered(screen, f.message, b.y+56, 1, colWarn)
	}
	g.txt.centered(screen, "Tab: next field   Enter: connect", screenHeight-60, 1, colDim)
	g.txt.centered(screen, "In game: WASD move, mouse aim, click fire, Tab scores, F3 netcode overlay, Esc leave", screenHeight-40, 1, colDim)
}

func (g *game) drawPlay(screen *ebiten.Image) {
	screen.Fill(colBackground)
	lay := g.status.Layout
	v := newViewport(lay)
	g.drawArena(screen, v)
	if g.haveWorld && lay != nil {
		g.drawEntities(screen, v)
		if g.showDebug {
			g.drawDebug(screen, v)
		}
		g.drawOwnStatus(screen)
		if g.showScores {
			g.drawScores(screen, true)
		} else {
			g.drawScores(screen, false)
		}
	}
	g.drawHUD(screen)
	g.drawConnection(screen)
}

func (g *game) drawArena(screen *ebiten.Image, v viewport) {
	lay := v.lay
	x0, y0 := v.toScreen(float64(lay.minX), float64(lay.minY))
	x1, y1 := v.toScreen(float64(lay.maxX), float64(lay.maxY))
	vector.FillRect(screen, float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), colFloor, false)
	step := 200.0 * arena.SimUnits
	for x := float64(lay.minX) + step; x < float64(lay.maxX); x += step {
		sx, _ := v.toScreen(x, 0)
		vector.StrokeLine(screen, float32(sx), float32(y0), float32(sx), float32(y1), 1, colGrid, false)
	}
	for y := float64(lay.minY) + step; y < float64(lay.maxY); y += step {
		_, sy := v.toScreen(0, y)
		vector.StrokeLine(screen, float32(x0), float32(sy), float32(x1), float32(sy), 1, colGrid, false)
	}
	vector.StrokeRect(screen, float32(x0), float32(y0), float32(x1-x0), float32(y1-y0), 3, colWall, false)
}

// alive reports whether a player entity is in play (not waiting to
// respawn): hp above zero when the kind has hp.
func alive(k *kindLayout, e sim.EntityState) bool {
	return k.hp < 0 || k.get(e, k.hp) > 0
}

func (g *game) drawEntities(screen *ebiten.Image, v viewport) {
	lay := g.status.Layout
	for i := range g.view {
		e := &g.view[i]
		k := lay.kind(e.Kind)
		x, y := float64(k.get(*e, k.x)), float64(k.get(*e, k.y))
		switch int(e.Kind) {
		case lay.shot:
			g.drawShot(screen, v, k, *e, colShot)
		case lay.npc:
			sx, sy := v.toScreen(x, y)
			vector.FillCircle(screen, float32(sx), float32(sy), v.len(lay.hitRadius), colNPC, true)
		case lay.player:
			if e.ID == g.status.Own {
				continue // drawn predicted, below
			}
			g.drawPlayer(screen, v, k, x, y, float64(k.get(*e, k.aim)), alive(k, *e), colOther)
			sx, sy := v.toScreen(x, y)
			label := truncate(g.names.label(e.ID), 16)
			g.txt.draw(screen, label, int(sx)-textWidth(label, 1)/2, int(sy)+int(v.len(lay.hitRadius))+2, 1, colDim)
		default:
			if k.x >= 0 && k.y >= 0 {
				sx, sy := v.toScreen(x, y)
				vector.FillCircle(screen, float32(sx), float32(sy), 4, colDim, true)
			}
		}
	}
	if g.own.valid {
		k := lay.kind(uint8(max(lay.player, 0)))
		isAlive := true
		if own, ok := g.status.Buffer.Own(); ok {
			isAlive = alive(k, own)
		}
		g.drawPlayer(screen, v, k, g.own.x, g.own.y, float64(g.input.Aim), isAlive, colOwn)
	}
}

func (g *game) drawPlayer(screen *ebiten.Image, v viewport, k *kindLayout, x, y, aim float64, isAlive bool, clr color.RGBA) {
	sx, sy := v.toScreen(x, y)
	r := v.len(v.lay.hitRadius)
	if !isAlive {
		vector.StrokeCircle(screen, float32(sx), float32(sy), r, 2, colDead, true)
		return
	}
	vector.FillCircle(screen, float32(sx), float32(sy), r, clr, true)
	if k.aim >= 0 {
		dx, dy := aimVector(aim)
		vector.StrokeLine(screen, float32(sx), float32(sy), float32(sx+dx*float64(r)*1.8), float32(sy+dy*float64(r)*1.8), 3, clr, true)
	}
}

func (g *game) drawShot(screen *ebiten.Image, v viewport, k *kindLayout, e sim.EntityState, clr color.Color) {
	x, y := float64(k.get(e, k.x)), float64(k.get(e, k.y))
	length := float64(k.get(e, k.length))
	if length <= 0 {
		length = float64(v.lay.maxX-v.lay.minX) / 8
	}
	dx, dy := aimVector(float64(k.get(e, k.aim)))
	sx, sy := v.toScreen(x, y)
	ex, ey := v.toScreen(x+dx*length, y+dy*length)
	vector.StrokeLine(screen, float32(sx), float32(sy), float32(ex), float32(ey), 2, clr, true)
}

// drawDebug is the F3 overlay: where the server has the own player beside
// where this client predicts it, and the last shot's rewound target.
func (g *game) drawDebug(screen *ebiten.Image, v viewport) {
	lay := g.status.Layout
	if own, ok := g.status.Buffer.Own(); ok {
		k := lay.kind(own.Kind)
		sx, sy := v.toScreen(float64(k.get(own, k.x)), float64(k.get(own, k.y)))
		vector.StrokeCircle(screen, float32(sx), float32(sy), v.len(lay.hitRadius)+2, 2, colAuth, true)
		g.txt.draw(screen, "server", int(sx)+int(v.len(lay.hitRadius))+4, int(sy)-8, 1, colAuth)
	}
	lines := []string{"F3 netcode overlay"}
	if c := g.status.Client; c != nil {
		st := c.Stats()
		if p, ok := c.Predicted(); ok {
			k := lay.kind(p.Kind)
			lines = append(lines, fmt.Sprintf("predicted  x %6d y %6d", k.get(p, k.x), k.get(p, k.y)))
		}
		if own, ok := g.status.Buffer.Own(); ok {
			k := lay.kind(own.Kind)
			lines = append(lines, fmt.Sprintf("server     x %6d y %6d", k.get(own, k.x), k.get(own, k.y)))
		}
		lines = append(lines,
			fmt.Sprintf("last correction %d, corrections %d", st.LastCorrection, st.Corrections),
			fmt.Sprintf("drawing others at tick %.2f, %d ms behind; missing baselines %d",
				float64(g.renderAt)/sim.SubTicks, g.delay.Milliseconds(), st.MissingBaseline))
	}
	if s, mine, ok := g.status.Buffer.LastShot(); ok {
		k := lay.kind(s.Kind)
		g.drawShot(screen, v, k, s, colRewound)
		target := k.get(s, k.target)
		if k.tx >= 0 && k.ty >= 0 {
			// The hit circle where the server tested it: rewound to
			// the world as the shooter saw it.
			sx, sy := v.toScreen(float64(k.get(s, k.tx)), float64(k.get(s, k.ty)))
			r := v.len(lay.hitRadius)
			width, label := float32(2), fmt.Sprintf("rewound #%d", target)
			if target == 0 {
				width, label = 1, "tested (miss)"
			}
			vector.StrokeCircle(screen, float32(sx), float32(sy), r, width, colRewound, true)
			vector.StrokeRect(screen, float32(sx)-r, float32(sy)-r, 2*r, 2*r, 1, colRewound, false)
			g.txt.draw(screen, label, int(sx)+int(r)+4, int(sy)-8, 1, colRewound)
		}
		whose := "someone's"
		if mine {
			whose = "your"
		}
		if target != 0 {
			lines = append(lines, fmt.Sprintf("%s last shot hit #%d; the server tested it rewound to (%d, %d)",
				whose, target, k.get(s, k.tx), k.get(s, k.ty)))
		} else {
			lines = append(lines, fmt.Sprintf("%s last shot missed; nearest target tested at (%d, %d)",
				whose, k.get(s, k.tx), k.get(s, k.ty)))
		}
	}
	g.txt.panel(screen, lines, arenaMargin+6, hudHeight+arenaMargin+6, colText)
}

func (g *game) drawHUD(screen *ebiten.Image) {
	vector.FillRect(screen, 0, 0, screenWidth, hudHeight, colPanel, false)
	var b strings.Builder
	fmt.Fprintf(&b, "room %s", g.status.Room)
	if buf := g.status.Buffer; buf != nil && g.status.Client != nil {
		if tick, h, ok := buf.Newest(); ok {
			fmt.Fprintf(&b, "  RTT %d ms  tick %d", h.RTT.Milliseconds(), tick)
		}
		fmt.Fprintf(&b, "  snaps/s %.0f  down %.1f kB/s", g.rates.snapsPerS, g.rates.bytesS/1000)
		if g.haveWorld {
			fmt.Fprintf(&b, "  interp %d ms", g.delay.Milliseconds())
		}
	}
	fmt.Fprintf(&b, "  fps %.0f", ebiten.ActualFPS())
	g.txt.draw(screen, b.String(), 6, 4, 1, colText)
	hint := "F3 debug  Tab scores  Esc leave"
	g.txt.draw(screen, hint, screenWidth-textWidth(hint, 1)-8, 4, 1, colDim)
}

// drawOwnStatus shows health and deaths in the bottom-left corner (beside
// the arena when it is square), or the respawn wait.
func (g *game) drawOwnStatus(screen *ebiten.Image) {
	lay := g.status.Layout
	own, ok := g.status.Buffer.Own()
	if !ok || lay.player < 0 {
		return
	}
	k := lay.kind(own.Kind)
	const barWidth = 150
	x, y := arenaMargin+6, screenHeight-arenaMargin-44
	vector.FillRect(screen, float32(x), float32(y), barWidth+12, 42, colPanel, false)
	if k.hp >= 0 {
		hp := k.get(own, k.hp)
		frac := min(max(float64(hp)/float64(lay.hpMax), 0), 1)
		clr := colHPGood
		if frac < 0.35 {
			clr = colHPBad
		}
		vector.FillRect(screen, float32(x+6), float32(y+6), barWidth, 10, colField, false)
		vector.FillRect(screen, float32(x+6), float32(y+6), float32(barWidth*frac), 10, clr, false)
		g.txt.draw(screen, fmt.Sprintf("HP %d", hp), x+6, y+20, 1, colText)
	}
	if k.deaths >= 0 {
		g.txt.draw(screen, fmt.Sprintf("deaths %d", k.get(own, k.deaths)), x+76, y+20, 1, colDim)
	}
	if !alive(k, own) {
		g.txt.centered(screen, "You were hit. Respawning...", screenHeight/2-40, 3, colHPBad)
	}
}

// drawScores lists the players by score: all of them on a panel while Tab
// is held, the top three in a corner otherwise.
func (g *game) drawScores(screen *ebiten.Image, full bool) {
	lay := g.status.Layout
	type row struct {
		id                sim.EntityID
		score, deaths, hp int32
		own, alive        bool
	}
	var rows []row
	for i := range g.view {
		e := g.view[i]
		if int(e.Kind) != lay.player {
			continue
		}
		k := lay.kind(e.Kind)
		if e.ID == g.status.Own {
			if n, ok := g.status.Buffer.Own(); ok {
				e = n
			}
		}
		rows = append(rows, row{id: e.ID, score: k.get(e, k.score), deaths: k.get(e, k.deaths), hp: k.get(e, k.hp),
			own: e.ID == g.status.Own, alive: alive(k, e)})
	}
	slices.SortFunc(rows, func(a, b row) int {
		if a.score != b.score {
			return int(b.score - a.score)
		}
		if a.deaths != b.deaths {
			return int(a.deaths - b.deaths)
		}
		return int(int64(a.id) - int64(b.id))
	})
	name := func(r row) string {
		if r.own {
			return g.names.label(r.id) + " (you)"
		}
		return g.names.label(r.id)
	}
	if !full {
		lines := []string{"score"}
		for i, r := range rows {
			if i == 3 {
				break
			}
			lines = append(lines, fmt.Sprintf("%d. %-16s %3d", i+1, truncate(name(r), 16), r.score))
		}
		g.txt.panel(screen, lines, screenWidth-arenaMargin-6-textWidth(lines[len(lines)-1], 1)-12, hudHeight+arenaMargin+6, colText)
		return
	}
	lines := []string{fmt.Sprintf("%-3s %-22s %6s %6s %4s", "#", "player", "score", "deaths", "hp")}
	for i, r := range rows {
		state := fmt.Sprintf("%4d", r.hp)
		if !r.alive {
			state = "dead"
		}
		lines = append(lines, fmt.Sprintf("%-3d %-22s %6d %6d %4s", i+1, truncate(name(r), 22), r.score, r.deaths, state))
	}
	w := textWidth(lines[0], 1) + 12
	g.txt.panel(screen, lines, (screenWidth-w)/2, hudHeight+60, colText)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "~"
}

// drawConnection shows what the connection is doing when it is not simply
// up: connecting, waiting to reconnect (and why), or stopped (and why).
func (g *game) drawConnection(screen *ebiten.Image) {
	st := g.status
	var lines []string
	clr := color.Color(colText)
	switch st.Phase {
	case phaseConnected:
		if g.haveWorld {
			return
		}
		lines = []string{"Joined; waiting for the first snapshot..."}
	case phaseConnecting:
		lines = []string{"Connecting to " + g.sessURL() + " ..."}
		if st.Message != "" {
			lines = append(lines, st.Message)
		}
	case phaseRetrying:
		wait := max(time.Until(st.RetryAt), 0)
		lines = []string{st.Message, fmt.Sprintf("Reconnecting in %.1fs (attempt %d). Esc: back to the connect screen.", wait.Seconds(), st.Attempt)}
		clr = colWarn
	case phaseStopped:
		lines = []string{st.Message, "Enter: try again   Esc: back to the connect screen"}
		clr = colHPBad
	}
	w := 0
	for _, l := range lines {
		w = max(w, textWidth(l, 1))
	}
	g.txt.panel(screen, lines, (screenWidth-w)/2-6, screenHeight/2+20, clr)
}

func (g *game) sessURL() string {
	if g.sess == nil {
		return ""
	}
	return g.sess.url
}
