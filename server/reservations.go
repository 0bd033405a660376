package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/coder/websocket"
)

// Seats and reservations. A room has MaxPlayers seats; a seat is taken by a
// seated player or held by a reservation. A reservation is made by the
// host's backend (POST /api/rooms/{id}/reservations, Server.Reserve, or
// matchmaking) for one player and comes with a join token bound to the room
// and that player; the player presents it in its Join and gets the held seat
// even when every other seat is taken. A reservation nobody claims expires
// after Options.ReservationTTL and its seat is free again.
//
// Seats are counted on the room goroutine only, by reservations and joins
// alike, so no two of them can take the same last seat. The atomics
// room.count and room.held mirror the counts for readers elsewhere (listing,
// matchmaking's quick skip of full rooms); they are hints, never the
// decision.

// Errors of the hosting API (Server.CreateRoom, Reserve, Matchmake,
// DeleteRoom and their HTTP face).
var (
	// ErrRoomNotFound: no open room has that id.
	ErrRoomNotFound = errors.New("tickwire: no such room")
	// ErrRoomExists: CreateRoom was asked for an id already open.
	ErrRoomExists = errors.New("tickwire: a room with that id already exists")
	// ErrRoomFull: every seat of the room is taken or held.
	ErrRoomFull = errors.New("tickwire: room is full")
)

// Reservation is a seat held in a room for one player. The player joins
// with Token (netcode.Options.Token, or Join.Token) before ExpiresAt.
type Reservation struct {
	// Room is the id of the room the seat is in.
	Room string `json:"room"`
	// Player is the host's name for the player; it becomes the player's
	// name in the room.
	Player string `json:"player"`
	// Token is the join token that claims the seat: a MintJoinToken token
	// for Room and Player that expires at ExpiresAt.
	Token string `json:"token"`
	// ExpiresAt is when an unclaimed reservation lapses and frees its seat.
	ExpiresAt time.Time `json:"expires_at"`
	// URL is the WebSocket endpoint to join at, when the server knows it
	// (the HTTP API derives it from the request).
	URL string `json:"url,omitempty"`
}

// reservation is a held seat, as the room keeps it.
type reservation struct {
	token   string
	player  string
	expires time.Time
}

// reserve holds a seat in r for player; room goroutine only. A player who
// already holds a seat here gets a fresh token and expiry for the same seat
// instead of a second one, so a retried request costs nothing.
func (r *room) reserve(player string, now time.Time) (Reservation, error) {
	ttl := r.srv.opts.ReservationTTL
	// Tokens carry whole seconds; the room's expiry is the token's.
	expires := time.Unix(now.Add(ttl).Unix(), 0)
	token := MintJoinToken(r.srv.hosting.secret, r.name, player, expires)
	res := Reservation{Room: r.name, Player: player, Token: token, ExpiresAt: expires}
	for i := range r.reserved {
		if r.reserved[i].player == player {
			r.reserved[i] = reservation{token: token, player: player, expires: expires}
			return res, nil
		}
	}
	if len(r.players)+len(r.reserved) >= r.maxPlayers {
		return Reservation{}, fmt.Errorf("%w (%d of %d seats taken or held)", ErrRoomFull, len(r.players)+len(r.reserved), r.maxPlayers)
	}
	r.reserved = append(r.reserved, reservation{token: token, player: player, expires: expires})
	r.held.Store(int32(len(r.reserved)))
	r.srv.hosting.reservations.WithLabelValues("made").Inc()
	return res, nil
}

// claimReservation lets a join take the seat its token reserved; room
// goroutine only. It reports whether a reservation was claimed (the join
// then has a seat, and the reserved player's name) or a close code and
// reason to refuse the join with. Without an AuthSecret a token is only
// ever a reservation, so one that names none is refused rather than
// silently treated as an ordinary join; with one, admit already checked the
// token and an unreserved token joins like any other.
func (r *room) claimReservation(req *joinRequest) (claimed bool, code websocket.StatusCode, reason string) {
	if req.token == "" {
		return false, 0, ""
	}
	for i, res := range r.reserved {
		if res.token != req.token {
			continue
		}
		r.dropReservation(i)
		if !time.Now().Before(res.expires) {
			r.srv.hosting.reservations.WithLabelValues("expired").Inc()
			return false, StatusUnauthorized, "your reservation has expired; ask for a new one"
		}
		r.srv.hosting.reservations.WithLabelValues("claimed").Inc()
		req.name = res.player
		return true, 0, ""
	}
	if len(r.srv.opts.AuthSecret) > 0 {
		return false, 0, ""
	}
	return false, StatusUnauthorized, "no reservation matches your token (expired, used, or for another room)"
}

// expireReservations frees the seats of reservations that lapsed by now;
// room goroutine only.
func (r *room) expireReservations(now time.Time) {
	for i := 0; i < len(r.reserved); i++ {
		if !now.Before(r.reserved[i].expires) {
			r.log.Info("reservation expired; seat freed", "player", r.reserved[i].player)
			r.srv.hosting.reservations.WithLabelValues("expired").Inc()
			r.dropReservation(i)
			i--
		}
	}
}

func (r *room) dropReservation(i int) {
	r.reserved = append(r.reserved[:i], r.reserved[i+1:]...)
	r.held.Store(int32(len(r.reserved)))
	if len(r.players) == 0 && len(r.reserved) == 0 {
		r.emptySince = r.srv.now()
	}
}

// seatsHint is how many seats are taken or held, read without asking the
// room: good enough to skip full rooms, never to decide.
func (r *room) seatsHint() int {
	return int(r.count.Load()) + int(r.held.Load())
}

// do runs f on the room goroutine and waits for it; false if the room
// stopped first (f then did not run, or did not finish).
func (r *room) do(f func()) bool {
	finished := make(chan struct{})
	select {
	case r.callc <- func() { f(); close(finished) }:
	case <-r.done:
		return false
	}
	select {
	case <-finished:
		return true
	case <-r.done:
		return false
	}
}

// Reserve holds a seat in the room id for player and returns the token that
// claims it; the seat frees itself after Options.ReservationTTL unless the
// player joins with the token first. Errors: ErrRoomNotFound, ErrRoomFull,
// or an invalid player name.
func (s *Server) Reserve(id, player string) (Reservation, error) {
	if msg := checkReservedPlayer(player, s.opts.MaxNameLen); msg != "" {
		return Reservation{}, &RequestError{Field: "player", Msg: msg}
	}
	r := s.rooms.get(id)
	if r == nil {
		return Reservation{}, fmt.Errorf("%w: %q", ErrRoomNotFound, id)
	}
	return reserveIn(r, player)
}

// reserveIn asks r's goroutine to reserve a seat for player.
func reserveIn(r *room, player string) (Reservation, error) {
	var res Reservation
	var err error
	if !r.do(func() { res, err = r.reserve(player, time.Now()) }) {
		return Reservation{}, fmt.Errorf("%w: %q closed", ErrRoomNotFound, r.name)
	}
	return res, err
}

// checkReservedPlayer checks the name a reservation is made for: it
// becomes a player name, and must be one.
func checkReservedPlayer(player string, max int) string {
	if player == "" {
		return "player is required: the host's name or id for the player"
	}
	return checkPlayerName(player, max)
}
