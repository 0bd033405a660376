package main

import (
	"image/color"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
	"github.com/hajimehoshi/ebiten/v2/vector"
)

// Glyph size of Ebitengine's built-in debug font.
const (
	glyphWidth  = 6
	glyphHeight = 16
)

// textCacheSize bounds the cached text images; past it the cache starts
// over (the labels of one frame are far fewer).
const textCacheSize = 256

// textRenderer draws text with Ebitengine's built-in debug font, which keeps
// the bundle free of font files. The font draws white at one size, so a
// string is drawn once into its own image and that image is tinted and
// scaled; the images are cached by string because the same labels come
// back every frame, and redrawing into one scratch image would force a
// flush of the GPU queue per label.
type textRenderer struct {
	cache map[string]*ebiten.Image
}

func (t *textRenderer) image(s string) *ebiten.Image {
	if img, ok := t.cache[s]; ok {
		return img
	}
	if t.cache == nil || len(t.cache) >= textCacheSize {
		for _, img := range t.cache {
			img.Deallocate()
		}
		t.cache = make(map[string]*ebiten.Image)
	}
	w, h, lineW := 1, glyphHeight, 0
	for _, r := range s {
		if r == '\n' {
			h += glyphHeight
			lineW = 0
			continue
		}
		lineW++
		w = max(w, lineW*glyphWidth+2)
	}
	img := ebiten.NewImage(w, h)
	ebitenutil.DebugPrint(img, s)
	t.cache[s] = img
	return img
}

// draw draws s with its top-left at (x, y), scaled and coloured. Plain
// white text at scale 1 (the HUD, which changes every frame) skips the
// cache.
func (t *textRenderer) draw(dst *ebiten.Image, s string, x, y int, scale float64, clr color.Color) {
	if scale == 1 && clr == colText {
		ebitenutil.DebugPrintAt(dst, s, x, y)
		return
	}
	op := &ebiten.DrawImageOptions{}
	op.GeoM.Scale(scale, scale)
	op.GeoM.Translate(float64(x), float64(y))
	op.ColorScale.ScaleWithColor(clr)
	dst.DrawImage(t.image(s), op)
}

// centered draws s centred horizontally on the screen.
func (t *textRenderer) centered(dst *ebiten.Image, s string, y int, scale float64, clr color.Color) {
	t.draw(dst, s, (screenWidth-textWidth(s, scale))/2, y, scale, clr)
}

// panel draws lines of text on a dark box with its top-left at (x, y).
func (t *textRenderer) panel(dst *ebiten.Image, lines []string, x, y int, clr color.Color) {
	w := 0
	for _, l := range lines {
		w = max(w, textWidth(l, 1))
	}
	vector.FillRect(dst, float32(x), float32(y), float32(w+12), float32(glyphHeight*len(lines)+8), colPanel, false)
	for i, l := range lines {
		t.draw(dst, l, x+6, y+4+glyphHeight*i, 1, clr)
	}
}

// textWidth is the width of one line of s in logical pixels.
func textWidth(s string, scale float64) int { return int(float64(len(s)*glyphWidth) * scale) }
