package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/hajimehoshi/ebiten/v2"
)

func main() {
	cfg, err := loadConfig()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "demo-client:", err)
		os.Exit(2)
	}
	ebiten.SetWindowSize(screenWidth, screenHeight)
	ebiten.SetWindowTitle("tickwire arena")
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	// Keep sending inputs (and so keep the seat) while another window
	// has the focus.
	ebiten.SetRunnableOnUnfocused(true)
	g := newGame(cfg)
	err = ebiten.RunGame(g)
	g.shutdown()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo-client:", err)
		os.Exit(1)
	}
}
