package main

import (
	"unicode/utf8"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
)

// textField is one editable line of the connect screen.
type textField struct {
	label string
	value string
	max   int // most runes
}

// connectForm is the connect screen: server, room and name, with the focus
// on one of them. Tab, the arrows or a click move the focus; Enter
// connects.
type connectForm struct {
	fields  [3]textField
	focus   int
	message string // why we are back here (a refusal), or a bad address
	chars   []rune
}

const (
	fieldServer = iota
	fieldRoom
	fieldName
)

func newConnectForm(c config) connectForm {
	return connectForm{fields: [3]textField{
		{label: "Server", value: c.URL, max: 200},
		{label: "Room", value: c.Room, max: 64},
		{label: "Name", value: c.Name, max: 32},
	}}
}

// repeating reports a key press, repeated while it is held down.
func repeating(k ebiten.Key) bool {
	d := inpututil.KeyPressDuration(k)
	return d == 1 || (d > 30 && d%3 == 0)
}

// update handles one frame of keyboard and mouse; it returns true when the
// player asked to connect.
func (f *connectForm) update() bool {
	if inpututil.IsKeyJustPressed(ebiten.KeyTab) || inpututil.IsKeyJustPressed(ebiten.KeyArrowDown) {
		if ebiten.IsKeyPressed(ebiten.KeyShift) {
			f.focus = (f.focus + len(f.fields) - 1) % len(f.fields)
		} else {
			f.focus = (f.focus + 1) % len(f.fields)
		}
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyArrowUp) {
		f.focus = (f.focus + len(f.fields) - 1) % len(f.fields)
	}
	if inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) {
		x, y := ebiten.CursorPosition()
		for i := range f.fields {
			if fieldRect(i).contains(x, y) {
				f.focus = i
			}
		}
		if connectButtonRect().contains(x, y) {
			return true
		}
	}
	fld := &f.fields[f.focus]
	f.chars = ebiten.AppendInputChars(f.chars[:0])
	for _, r := range f.chars {
		if r >= 0x20 && r <= 0xff && utf8.RuneCountInString(fld.value) < fld.max {
			fld.value += string(r)
		}
	}
	if repeating(ebiten.KeyBackspace) && fld.value != "" {
		_, size := utf8.DecodeLastRuneInString(fld.value)
		fld.value = fld.value[:len(fld.value)-size]
	}
	return inpututil.IsKeyJustPressed(ebiten.KeyEnter) || inpututil.IsKeyJustPressed(ebiten.KeyNumpadEnter)
}

// rect is a screen rectangle in logical pixels.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

func fieldRect(i int) rect {
	return rect{x: screenWidth/2 - 240, y: 220 + i*64, w: 480, h: 32}
}

func connectButtonRect() rect {
	return rect{x: screenWidth/2 - 80, y: 220 + 3*64 + 8, w: 160, h: 36}
}
