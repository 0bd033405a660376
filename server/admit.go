package server

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/tickwire/tickwire/netcode/protocol"
)

// defaultPlayerName is the name of a player who gave none.
const defaultPlayerName = "player"

// admit checks a Join against the server's rules before any room sees it:
// the room name, the player name and, in auth mode, the join token. It
// returns the name the player will have, or a close code and the reason.
func (s *Server) admit(j *protocol.Join) (name string, code websocket.StatusCode, reason string) {
	if err := checkRoomName(j.Room, s.opts.MaxRoomNameLen); err != "" {
		return "", StatusPolicy, err
	}
	name = strings.TrimSpace(j.PlayerName)
	if len(s.opts.AuthSecret) > 0 {
		player, err := VerifyJoinToken(s.opts.AuthSecret, j.Token, j.Room, time.Now())
		if err != nil {
			return "", StatusUnauthorized, err.Error()
		}
		// The host's backend named the player; the client does not get
		// to pick another name.
		name = player
	}
	if name == "" {
		name = defaultPlayerName
	}
	if err := checkPlayerName(name, s.opts.MaxNameLen); err != "" {
		return "", StatusPolicy, err
	}
	return name, 0, ""
}

// checkRoomName allows room names that are safe in URLs, logs and file
// names: 1 to max ASCII letters, digits and "-_.:".
func checkRoomName(name string, max int) string {
	if name == "" {
		return "room name is empty"
	}
	if len(name) > max {
		return fmt.Sprintf("room name longer than %d characters", max)
	}
	for _, r := range name {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:", r))) {
			return fmt.Sprintf("room name %q: only letters, digits and -_.: are allowed", name)
		}
	}
	return ""
}

// checkPlayerName allows any printable UTF-8 text up to max characters: it
// is shown to other players, so no control or formatting characters.
func checkPlayerName(name string, max int) string {
	if !utf8.ValidString(name) {
		return "player name is not valid UTF-8"
	}
	if utf8.RuneCountInString(name) > max {
		return fmt.Sprintf("player name longer than %d characters", max)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("player name %q contains unprintable characters", name)
		}
	}
	return ""
}
