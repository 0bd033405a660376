//go:build !js

package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

// loadConfig reads the command line.
func loadConfig() (config, error) {
	fs := flag.NewFlagSet("demo-client", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.URL, "url", "ws://127.0.0.1:8080/ws", "server `address` (ws://host:port/ws; host:port and http:// work too)")
	fs.StringVar(&c.Room, "room", defaultRoom, "`room` to join (created on first join)")
	fs.StringVar(&c.Name, "name", defaultName, "player `name`")
	fs.StringVar(&c.Token, "token", "", "join `token`, for servers that require one")
	fs.BoolVar(&c.AutoConnect, "autoconnect", false, "connect at once, skipping the connect screen")
	fs.BoolVar(&c.Debug, "debug", false, "start with the F3 netcode overlay shown")
	fs.IntVar(&c.ExitAfter, "exit-after", 0, "exit after `N` frames of play (0: never)")
	fs.StringVar(&c.Screenshot, "screenshot", "", "save the last frame to `file` (PNG) on exit")
	fs.DurationVar(&c.Timeout, "timeout", 0, "with -exit-after: fail if it is not reached in this `duration`")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: demo-client [flags]\n\nThe tickwire arena: WASD move, mouse aim, click fire, F3 debug overlay, Tab scores.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		return c, err
	}
	if c.Timeout < 0 {
		c.Timeout = time.Duration(0)
	}
	return c, nil
}
