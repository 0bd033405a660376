package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
)

// MatchRequest asks for a seat in a room running Game whose labels include
// every one of Labels, for Player.
type MatchRequest struct {
	// Game is the registered game to play. Default Options.DefaultGame.
	Game string `json:"game,omitempty"`
	// Labels a room must carry (all of them, with these values) to be
	// chosen; a room created for the request gets exactly these.
	Labels map[string]string `json:"labels,omitempty"`
	// Params are the game parameters of a room created for the request.
	// They do not select rooms: rooms are told apart by labels.
	Params map[string]string `json:"params,omitempty"`
	// MaxPlayers, when set, selects rooms of exactly that many seats and
	// sizes a created room. Default Options.MaxPlayers.
	MaxPlayers int `json:"max_players,omitempty"`
	// Player is the host's name or id for the player (required).
	Player string `json:"player"`
}

// Matchmaker finds a room with a free seat for a request, or creates one,
// and reserves the seat atomically: two requests never take the same last
// seat, however many run at once. The server's own (the default) looks at
// the rooms of this process; a directory shared by many processes plugs in
// here.
type Matchmaker interface {
	Matchmake(ctx context.Context, req MatchRequest) (Reservation, error)
}

// Matchmake joins or creates: it reserves a seat for req.Player in an open,
// public room running req.Game with req.Labels, creating one when every
// such room is full, and returns the reservation.
func (s *Server) Matchmake(ctx context.Context, req MatchRequest) (Reservation, error) {
	if req.Game == "" {
		req.Game = s.opts.DefaultGame
	}
	if err := s.checkMatchRequest(&req); err != nil {
		return Reservation{}, err
	}
	return s.hosting.matchmaker.Matchmake(ctx, req)
}

// checkMatchRequest validates what a caller controls in req.
func (s *Server) checkMatchRequest(req *MatchRequest) error {
	if msg := checkReservedPlayer(req.Player, s.opts.MaxNameLen); msg != "" {
		return &RequestError{Field: "player", Msg: msg}
	}
	if !s.hasGame(req.Game) {
		return &RequestError{Field: "game", Msg: fmt.Sprintf("no game %q is registered", req.Game)}
	}
	if req.MaxPlayers < 0 || req.MaxPlayers > maxSeats {
		return &RequestError{Field: "max_players", Msg: fmt.Sprintf("%d: want 0 (the server's default) to %d", req.MaxPlayers, maxSeats)}
	}
	return checkLabels(req.Labels)
}

// localMatchmaker matchmakes among this process's rooms. It serializes
// requests: each one looks for a room before it creates one, so concurrent
// requests fill rooms one after another instead of each opening its own.
// The seat itself is reserved on the chosen room's goroutine, which also
// seats joins, so a request and a join cannot both take the last seat.
type localMatchmaker struct {
	srv *Server
	mu  sync.Mutex
}

func (m *localMatchmaker) Matchmake(ctx context.Context, req MatchRequest) (Reservation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Reservation{}, err
	}
	seats := req.MaxPlayers
	if seats == 0 {
		seats = m.srv.opts.MaxPlayers
	}
	for _, r := range m.srv.rooms.list() {
		if !r.matches(req.Game, req.Labels, seats) || r.seatsHint() >= r.maxPlayers {
			continue
		}
		res, err := reserveIn(r, req.Player)
		if err == nil {
			return res, nil
		}
		// Full after all (a join got there first) or closed: next.
	}
	r, err := m.srv.rooms.create(RoomSpec{
		ID:         newRoomID("mm-"),
		Game:       req.Game,
		Params:     req.Params,
		MaxPlayers: seats,
		Labels:     req.Labels,
	})
	if err != nil {
		return Reservation{}, err
	}
	return reserveIn(r, req.Player)
}

// matches reports whether r is a public room of game with maxPlayers seats
// whose labels include want.
func (r *room) matches(game string, want map[string]string, maxPlayers int) bool {
	return !r.private && r.gameName == game && r.maxPlayers == maxPlayers && labelsInclude(r.labels, want)
}

// newRoomID returns prefix and 12 random hex digits: a room id that is
// valid as a room name and unguessable enough that nobody stumbles into a
// matchmade room by name.
func newRoomID(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
