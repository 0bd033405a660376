package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

func TestAPIKeyIsRequired(t *testing.T) {
	t.Parallel()
	off := servertest.Start(t, nil)
	code, body := callAPI(t, off, "anything", "GET", "/api/rooms", nil)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, "api_disabled", decodeJSON[apiErr](t, body).Code, "no key configured: the API is off")

	srv := startHost(t, nil)
	for _, key := range []string{"", "wrong", testAPIKey + "x"} {
		code, body := callAPI(t, srv, key, "GET", "/api/rooms", nil)
		assert.Equal(t, http.StatusUnauthorized, code, "key %q", key)
		e := decodeJSON[apiErr](t, body)
		assert.Equal(t, "unauthorized", e.Code)
		assert.Contains(t, e.Error, "Bearer")
	}
	code, body = callAPI(t, srv, "", "POST", "/api/matchmake", `{"player":"ann"}`)
	assert.Equal(t, http.StatusUnauthorized, code, "every operation is behind the key: %s", body)
	assert.Empty(t, srv.Rooms(), "an unauthorized matchmake created nothing")

	list := decodeJSON[struct{ Rooms []server.RoomStatus }](t, api(t, srv, "GET", "/api/rooms", nil, http.StatusOK))
	assert.Empty(t, list.Rooms)
	code, body = callAPI(t, srv, testAPIKey, "GET", "/api/nothing", nil)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "not_found", decodeJSON[apiErr](t, body).Code)
}

func TestAPIBadRequestsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	srv := startHost(t, nil)
	api(t, srv, "POST", "/api/rooms", server.RoomSpec{ID: "taken", Game: "sprint"}, http.StatusCreated)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, field, says  string
	}{
		{"empty body", "POST", "/api/rooms", "", 400, "bad_request", "", "empty"},
		{"not JSON", "POST", "/api/rooms", "{id:", 400, "bad_request", "", "invalid character"},
		{"unknown field", "POST", "/api/rooms", `{"game":"sprint","maxplayers":4}`, 400, "bad_request", "", `unknown field "maxplayers"`},
		{"trailing data", "POST", "/api/rooms", `{"game":"sprint"} {}`, 400, "bad_request", "", "after the JSON"},
		{"wrong type", "POST", "/api/rooms", `{"max_players":"four"}`, 400, "bad_request", "", "max_players"},
		{"bad id", "POST", "/api/rooms", server.RoomSpec{ID: "no spaces"}, 400, "bad_request", "id", "only letters"},
		{"unknown game", "POST", "/api/rooms", server.RoomSpec{Game: "chess"}, 400, "bad_request", "game", `"chess"`},
		{"negative seats", "POST", "/api/rooms", server.RoomSpec{MaxPlayers: -1}, 400, "bad_request", "max_players", "-1"},
		{"game refuses params", "POST", "/api/rooms", server.RoomSpec{Game: "sprint", Params: map[string]string{"goal": "far"}}, 400, "bad_request", "params", "goal"},
		{"taken id", "POST", "/api/rooms", server.RoomSpec{ID: "taken"}, 409, "conflict", "", "exists"},
		{"no such room", "GET", "/api/rooms/nope", nil, 404, "not_found", "", "nope"},
		{"reserve without player", "POST", "/api/rooms/taken/reservations", `{}`, 400, "bad_request", "player", "required"},
		{"reserve in no room", "POST", "/api/rooms/nope/reservations", `{"player":"ann"}`, 404, "not_found", "", "nope"},
		{"delete no room", "DELETE", "/api/rooms/nope", nil, 404, "not_found", "", "nope"},
		{"bad free_seats", "GET", "/api/rooms?free_seats=many", nil, 400, "bad_request", "free_seats", "many"},
		{"bad label filter", "GET", "/api/rooms?label=novalue", nil, 400, "bad_request", "label", "key:value"},
		{"matchmake without player", "POST", "/api/matchmake", `{"game":"sprint"}`, 400, "bad_request", "player", "required"},
		{"matchmake unknown game", "POST", "/api/matchmake", `{"game":"chess","player":"ann"}`, 400, "bad_request", "game", "chess"},
		{"matchmake control chars", "POST", "/api/matchmake", `{"player":"a\u0007b"}`, 400, "bad_request", "player", "unprintable"},
	}
	for _, tc := range cases {
		code, body := callAPI(t, srv, testAPIKey, tc.method, tc.path, tc.body)
		if !assert.Equal(t, tc.status, code, "%s: %s", tc.name, body) {
			continue
		}
		e := decodeJSON[apiErr](t, body)
		assert.Equal(t, tc.code, e.Code, tc.name)
		assert.Equal(t, tc.field, e.Field, tc.name)
		assert.Contains(t, e.Error, tc.says, tc.name)
	}
}

func TestAPIRoomLifecycle(t *testing.T) {
	t.Parallel()
	srv := startHost(t, nil)
	code, body := callAPI(t, srv, testAPIKey, "POST", "/api/rooms", server.RoomSpec{
		ID: "final-1", Game: "sprint", MaxPlayers: 4, Labels: map[string]string{"mode": "duel", "region": "eu"}, Private: true,
	})
	require.Equal(t, http.StatusCreated, code, "%s", body)
	created := decodeJSON[server.RoomStatus](t, body)
	assert.Equal(t, "final-1", created.ID)
	assert.Equal(t, "sprint", created.Game)
	assert.Equal(t, 4, created.MaxPlayers)
	assert.Equal(t, 4, created.FreeSeats)
	assert.True(t, created.Private)
	assert.NotEmpty(t, created.MatchID)

	api(t, srv, "POST", "/api/rooms", server.RoomSpec{ID: "casual-1", Game: "sprint", Labels: map[string]string{"mode": "ffa"}}, http.StatusCreated)
	generated := decodeJSON[server.RoomStatus](t, api(t, srv, "POST", "/api/rooms", server.RoomSpec{}, http.StatusCreated))
	assert.Regexp(t, `^r-[0-9a-f]{12}$`, generated.ID, "no id: one is made up")
	assert.Equal(t, "arena", generated.Game, "no game: the default")

	ids := func(query string) []string {
		list := decodeJSON[struct{ Rooms []server.RoomStatus }](t, api(t, srv, "GET", "/api/rooms"+query, nil, http.StatusOK))
		var out []string
		for _, r := range list.Rooms {
			out = append(out, r.ID)
		}
		return out
	}
	assert.Equal(t, []string{"casual-1", "final-1", generated.ID}, ids(""))
	assert.Equal(t, []string{"casual-1", "final-1"}, ids("?game=sprint"))
	assert.Equal(t, []string{"final-1"}, ids("?label=mode:duel&label=region:eu"))
	assert.Empty(t, ids("?label=mode:duel&label=region:us"))
	assert.Equal(t, []string{"final-1"}, ids("?private=true"))
	assert.Equal(t, []string{"casual-1", generated.ID}, ids("?private=false"))
	assert.Equal(t, []string{"casual-1"}, ids("?game=sprint&free_seats=5"), "final-1 has 4 seats, casual-1 the default 16")

	// A reservation, then its player joins with the token.
	res := decodeJSON[server.Reservation](t, api(t, srv, "POST", "/api/rooms/final-1/reservations", map[string]string{"player": "ann"}, http.StatusCreated))
	assert.Equal(t, "final-1", res.Room)
	assert.Equal(t, "ann", res.Player)
	assert.Equal(t, srv.URL, res.URL)
	assert.WithinDuration(t, time.Now().Add(15*time.Second), res.ExpiresAt, 2*time.Second)
	st := decodeJSON[server.RoomStatus](t, api(t, srv, "GET", "/api/rooms/final-1", nil, http.StatusOK))
	assert.Equal(t, 1, st.Reserved)
	assert.Equal(t, 3, st.FreeSeats)

	ann := joinWith(t, srv, res)
	require.Eventually(t, func() bool {
		st = decodeJSON[server.RoomStatus](t, api(t, srv, "GET", "/api/rooms/final-1", nil, http.StatusOK))
		return st.Seated == 1
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, 0, st.Reserved, "the reservation became the seat")
	require.Len(t, st.Players, 1)
	assert.Equal(t, "ann", st.Players[0].Name, "the reservation names the player, not the client")

	// Deleting the room tells its players why.
	api(t, srv, "DELETE", "/api/rooms/final-1?reason=tournament+cancelled", nil, http.StatusNoContent)
	code2, reason := closeCode(t, waitClosed(t, ann))
	assert.Equal(t, server.StatusRoomClosed, code2)
	assert.Contains(t, reason, "tournament cancelled")
	api(t, srv, "GET", "/api/rooms/final-1", nil, http.StatusNotFound)
}

// TestReservationHoldsItsSeat: a full room (seats taken or held) refuses a
// plain join but admits the reservation's holder.
func TestReservationHoldsItsSeat(t *testing.T) {
	t.Parallel()
	srv := startHost(t, nil)
	api(t, srv, "POST", "/api/rooms", server.RoomSpec{ID: "pair", Game: "sprint", MaxPlayers: 2}, http.StatusCreated)
	res := decodeJSON[server.Reservation](t, api(t, srv, "POST", "/api/rooms/pair/reservations", map[string]string{"player": "carol"}, http.StatusCreated))
	again := decodeJSON[server.Reservation](t, api(t, srv, "POST", "/api/rooms/pair/reservations", map[string]string{"player": "carol"}, http.StatusCreated))
	st := decodeJSON[server.RoomStatus](t, api(t, srv, "GET", "/api/rooms/pair", nil, http.StatusOK))
	assert.Equal(t, 1, st.Reserved, "reserving twice for one player holds one seat")

	dial(t, srv, netcode.Options{Room: "pair", Name: "walk-in"})
	code, reason := closeCode(t, dialErr(t, srv, netcode.Options{Room: "pair", Name: "late"}))
	assert.Equal(t, server.StatusRoomFull, code, "one seat taken, one held: %s", reason)
	code2, body := callAPI(t, srv, testAPIKey, "POST", "/api/rooms/pair/reservations", map[string]string{"player": "dave"})
	assert.Equal(t, http.StatusConflict, code2)
	assert.Equal(t, "room_full", decodeJSON[apiErr](t, body).Code)

	// The renewed token holds the seat; the first one was replaced.
	if res.Token != again.Token { // the same within one second
		code, _ = closeCode(t, dialErr(t, srv, netcode.Options{Room: "pair", Token: res.Token}))
		assert.Equal(t, server.StatusUnauthorized, code, "a replaced token claims nothing")
	}
	carol := joinWith(t, srv, again)
	assert.NotZero(t, carol.Welcome().PlayerID)
	st = decodeJSON[server.RoomStatus](t, api(t, srv, "GET", "/api/rooms/pair", nil, http.StatusOK))
	assert.Equal(t, 2, st.Seated)
	assert.Equal(t, 0, st.Reserved)
	assert.Equal(t, 0, st.FreeSeats)
}

// TestExpiredReservationIsRefusedAndFreesItsSeat, with and without auth
// mode (where reservation tokens are ordinary join tokens too).
func TestExpiredReservationIsRefusedAndFreesItsSeat(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"", "auth-secret"} {
		t.Run(fmt.Sprintf("auth=%v", secret != ""), func(t *testing.T) {
			t.Parallel()
			srv := startHost(t, &server.Options{ReservationTTL: 2 * time.Second, AuthSecret: []byte(secret)})
			api(t, srv, "POST", "/api/rooms", server.RoomSpec{ID: "solo", Game: "sprint", MaxPlayers: 1}, http.StatusCreated)
			res := decodeJSON[server.Reservation](t, api(t, srv, "POST", "/api/rooms/solo/reservations", map[string]string{"player": "ann"}, http.StatusCreated))
			assert.WithinDuration(t, time.Now().Add(2*time.Second), res.ExpiresAt, time.Second+100*time.Millisecond)

			walkIn := netcode.Options{Room: "solo", Name: "zed"}
			if secret != "" {
				walkIn.Token = server.MintJoinToken([]byte(secret), "solo", "zed", time.Now().Add(time.Minute))
			}
			code, _ := closeCode(t, dialErr(t, srv, walkIn))
			assert.Equal(t, server.StatusRoomFull, code, "the only seat is held")

			require.Eventually(t, func() bool {
				st := decodeJSON[server.RoomStatus](t, api(t, srv, "GET", "/api/rooms/solo", nil, http.StatusOK))
				return st.Reserved == 0 && st.FreeSeats == 1
			}, 5*time.Second, 50*time.Millisecond, "the unused reservation frees its seat")
			assert.False(t, time.Now().Before(res.ExpiresAt))

			code, reason := closeCode(t, dialErr(t, srv, netcode.Options{Room: "solo", Token: res.Token}))
			assert.Equal(t, server.StatusUnauthorized, code)
			assert.Regexp(t, "expired|no reservation", reason)

			// The freed seat is anyone's.
			zed := dial(t, srv, walkIn)
			assert.NotZero(t, zed.Welcome().PlayerID)
		})
	}
}

// TestConcurrentMatchmakingNeverOverfills: 200 players matchmaking at once
// for rooms of 10 fill exactly 20 rooms, and every one of a room's
// reservations gets in while a walk-in does not.
func TestConcurrentMatchmakingNeverOverfills(t *testing.T) {
	t.Parallel()
	srv := startHost(t, nil)
	const players, seats = 200, 10
	req := func(i int) server.MatchRequest {
		return server.MatchRequest{Game: "sprint", Labels: map[string]string{"mode": "ffa"}, MaxPlayers: seats, Player: fmt.Sprintf("p%03d", i)}
	}
	// A room with other labels, and a private one, must not be chosen.
	api(t, srv, "POST", "/api/rooms", server.RoomSpec{ID: "ranked", Game: "sprint", MaxPlayers: seats, Labels: map[string]string{"mode": "ranked"}}, http.StatusCreated)
	api(t, srv, "POST", "/api/rooms", server.RoomSpec{ID: "hidden", Game: "sprint", MaxPlayers: seats, Labels: map[string]string{"mode": "ffa"}, Private: true}, http.StatusCreated)

	results := make([]server.Reservation, players)
	var wg sync.WaitGroup
	for i := range players {
		wg.Go(func() {
			code, body := callAPI(t, srv, testAPIKey, "POST", "/api/matchmake", req(i))
			if assert.Equal(t, http.StatusOK, code, "%s", body) {
				assert.NoError(t, json.Unmarshal(body, &results[i]))
			}
		})
	}
	wg.Wait()
	perRoom := map[string][]server.Reservation{}
	for i, res := range results {
		assert.Equal(t, req(i).Player, res.Player)
		perRoom[res.Room] = append(perRoom[res.Room], res)
	}
	require.Len(t, perRoom, players/seats)
	assert.NotContains(t, perRoom, "ranked")
	assert.NotContains(t, perRoom, "hidden")
	for id, rs := range perRoom {
		assert.Len(t, rs, seats, "room %s", id)
	}
	list := decodeJSON[struct{ Rooms []server.RoomStatus }](t, api(t, srv, "GET", "/api/rooms?label=mode:ffa&private=false", nil, http.StatusOK))
	require.Len(t, list.Rooms, players/seats)
	for _, r := range list.Rooms {
		assert.Equal(t, seats, r.Reserved, r.ID)
		assert.Equal(t, 0, r.FreeSeats, r.ID)
	}

	// Everyone holding a seat in one room gets in; a walk-in does not.
	var room string
	for id := range perRoom {
		room = id
		break
	}
	for _, res := range perRoom[room] {
		c := joinWith(t, srv, res)
		assert.Equal(t, res.Room, c.Welcome().Room)
	}
	code, _ := closeCode(t, dialErr(t, srv, netcode.Options{Room: room, Name: "walk-in"}))
	assert.Equal(t, server.StatusRoomFull, code)
	st := decodeJSON[server.RoomStatus](t, api(t, srv, "GET", "/api/rooms/"+room, nil, http.StatusOK))
	assert.Equal(t, seats, st.Seated)

	// The next request opens a 21st room.
	res, err := srv.Matchmake(context.Background(), req(players))
	require.NoError(t, err)
	assert.NotContains(t, perRoom, res.Room)
}

func TestGameRefusesAJoinWithItsReason(t *testing.T) {
	t.Parallel()
	srv := startHost(t, nil)
	code, reason := closeCode(t, dialErr(t, srv, netcode.Options{Room: "track", Game: "sprint", Name: "mallory"}))
	assert.Equal(t, server.StatusJoinRefused, code)
	assert.Equal(t, "mallory is banned from sprinting", reason)
}

// TestReservationsAndWalkInsShareSeatsAtomically races reservations against
// plain joins for the same room: together they never take more seats than
// it has, and every seat is taken by exactly one of them.
func TestReservationsAndWalkInsShareSeatsAtomically(t *testing.T) {
	t.Parallel()
	srv := startHost(t, nil)
	const seats, each = 6, 6
	api(t, srv, "POST", "/api/rooms", server.RoomSpec{ID: "contested", Game: "sprint", MaxPlayers: seats}, http.StatusCreated)
	var reserved, walkedIn, refused sync.Map
	var wg sync.WaitGroup
	for i := range each {
		wg.Go(func() {
			if _, err := srv.Reserve("contested", fmt.Sprintf("r%d", i)); err == nil {
				reserved.Store(i, true)
			} else {
				assert.ErrorIs(t, err, server.ErrRoomFull)
			}
		})
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: "contested", Name: fmt.Sprintf("w%d", i)})
			if err == nil {
				walkedIn.Store(i, c)
				return
			}
			refused.Store(i, err)
		})
	}
	wg.Wait()
	count := func(m *sync.Map) (n int) {
		m.Range(func(_, v any) bool {
			if c, ok := v.(*netcode.Client); ok {
				t.Cleanup(func() { c.Close() })
			}
			n++
			return true
		})
		return n
	}
	r, w, x := count(&reserved), count(&walkedIn), count(&refused)
	assert.Equal(t, seats, r+w, "every seat went to exactly one reservation or walk-in")
	assert.Equal(t, 2*each-seats, x+(each-r), "the rest were turned away")
	refused.Range(func(_, v any) bool {
		code, _ := closeCode(t, v.(error))
		assert.Equal(t, server.StatusRoomFull, code)
		return true
	})
	st, err := srv.Room("contested")
	require.NoError(t, err)
	assert.Equal(t, w, st.Seated)
	assert.Equal(t, r, st.Reserved)
	assert.Equal(t, 0, st.FreeSeats)
}
