//go:build js

package main

import (
	"errors"

	"github.com/hajimehoshi/ebiten/v2"
)

// saveScreenshot is a desktop feature: a page has no file system to write
// to (the browser test screenshots through the DevTools protocol instead).
func saveScreenshot(*ebiten.Image, string) error {
	return errors.New("screenshots to a file are not available in the browser")
}
