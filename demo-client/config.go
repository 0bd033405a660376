package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// config is what the player (or a test) chose before the game starts.
type config struct {
	URL         string // the server's WebSocket endpoint, ws://host:port/ws
	Room        string
	Name        string
	Token       string // a join token, for servers that require one
	AutoConnect bool
	// Debug starts with the F3 netcode overlay shown.
	Debug bool
	// ExitAfter, when positive, ends the game after that many frames of
	// play (counted from the first frame that drew the world).
	ExitAfter int
	// Screenshot, when set, is where the last frame goes as PNG on exit
	// (desktop only).
	Screenshot string
	// Timeout, when positive, ends the game with an error if ExitAfter has
	// not been reached by then (so an automated run can not hang).
	Timeout time.Duration
}

const (
	defaultRoom = "lobby"
	defaultName = "player"
)

// normalizeServerURL accepts what people type into a server field and
// returns a WebSocket URL: "host:port" and http(s):// become ws(s)://, and
// a URL without a path gets the server's endpoint /ws.
func normalizeServerURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("no server address")
	}
	if !strings.Contains(s, "://") {
		s = "ws://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("server address %q: %v", s, err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("server address %q: scheme %q is not ws, wss, http or https", s, u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("server address %q has no host", s)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/ws"
	}
	return u.String(), nil
}

// wsURLForPage derives the game's WebSocket URL from the address of the
// page that loaded it: same host, ws for http and wss for https, and the
// endpoint "ws" beside the page, so a page served under a proxy prefix
// (https://example.com/game/) talks to wss://example.com/game/ws.
func wsURLForPage(page string) (string, error) {
	base, err := url.Parse(page)
	if err != nil {
		return "", err
	}
	u := base.ResolveReference(&url.URL{Path: "ws"})
	u.RawQuery, u.Fragment = "", ""
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	default:
		return "", fmt.Errorf("page %q is not served over http or https", page)
	}
	return u.String(), nil
}

// parseBool reads a query-string flag: present and not "0"/"false"/"no"/"off".
func parseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "0", "false", "no", "off":
		return false
	}
	return true
}
