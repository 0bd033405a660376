package server

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/netcode/protocol"
	"github.com/tickwire/tickwire/sim"
)

// The hosting API: what a game's backend uses to run matches on tickwire
// without forking it. Each operation is a Server method (CreateRoom, Room,
// ListRooms, Reserve, Matchmake, DeleteRoom) and the same operation over
// JSON under /api/, behind Options.APIKey (openapi.yaml documents it):
//
//	POST   /api/rooms                    create a room (RoomSpec)
//	GET    /api/rooms                    list rooms (?game= &label=k:v &free_seats=n &private=)
//	GET    /api/rooms/{id}               one room, with its players
//	DELETE /api/rooms/{id}               end a room; its players are told why (?reason=)
//	POST   /api/rooms/{id}/reservations  hold a seat for a player: a join token
//	POST   /api/matchmake                join or create by game and labels: a reservation

// Limits on what a request may ask for.
const (
	maxSeats       = protocol.MaxRosterPlayers // seats in one room: what a Roster may list
	maxLabels      = 16
	maxLabelLen    = 64 // bytes, keys and values alike
	maxRequestBody = 64 << 10
)

// RoomSpec describes a room to create.
type RoomSpec struct {
	// ID names the room (what players join); letters, digits and "-_.:".
	// Default: a random id.
	ID string `json:"id,omitempty"`
	// Game is the registered game the room runs. Default
	// Options.DefaultGame.
	Game string `json:"game,omitempty"`
	// Params are the game's parameters, over Options.GameParams.
	Params map[string]string `json:"params,omitempty"`
	// MaxPlayers is the room's seats. Default Options.MaxPlayers.
	MaxPlayers int `json:"max_players,omitempty"`
	// Labels are the host's own tags (mode, region, skill band...):
	// listing filters on them and matchmaking selects by them.
	Labels map[string]string `json:"labels,omitempty"`
	// Private keeps the room out of matchmaking; players still join it by
	// id, typically with reservations.
	Private bool `json:"private,omitempty"`
}

// RoomStatus describes an open room at one moment.
type RoomStatus struct {
	ID         string            `json:"id"`
	Game       string            `json:"game"`
	Params     map[string]string `json:"params"`
	Labels     map[string]string `json:"labels"`
	Private    bool              `json:"private"`
	MaxPlayers int               `json:"max_players"`
	// Seated players, seats held by reservations, and seats left.
	Seated    int `json:"seated"`
	Reserved  int `json:"reserved"`
	FreeSeats int `json:"free_seats"`
	// Tick is the last tick the room stepped.
	Tick sim.Tick `json:"tick"`
	// MatchID names the match this room plays; its result carries it.
	MatchID   string    `json:"match_id"`
	CreatedAt time.Time `json:"created_at"`
	// Players are the seated players, in Room (one room) and the monitor;
	// lists leave them out.
	Players []PlayerInfo `json:"players,omitempty"`
}

// RoomFilter selects rooms in ListRooms; the zero value selects all.
type RoomFilter struct {
	Game string
	// Labels a room must carry, all of them, with these values.
	Labels map[string]string
	// MinFreeSeats selects rooms with at least this many free seats.
	MinFreeSeats int
	// Private, when set, selects private (true) or public (false) rooms.
	Private *bool
}

// RequestError says which field of a hosting request is wrong and why; the
// HTTP API answers it with 400.
type RequestError struct {
	Field string
	Msg   string
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// CreateRoom opens a room as spec says and returns its status. Errors:
// ErrRoomExists, ErrUnknownGame, a *RequestError for a bad spec, the
// server's room limit, or the game's own refusal of its parameters.
func (s *Server) CreateRoom(spec RoomSpec) (RoomStatus, error) {
	if spec.ID == "" {
		spec.ID = newRoomID("r-")
	}
	if spec.Game == "" {
		spec.Game = s.opts.DefaultGame
	}
	if msg := checkRoomName(spec.ID, s.opts.MaxRoomNameLen); msg != "" {
		return RoomStatus{}, &RequestError{Field: "id", Msg: msg}
	}
	if !s.hasGame(spec.Game) {
		return RoomStatus{}, &RequestError{Field: "game", Msg: fmt.Sprintf("no game %q is registered", spec.Game)}
	}
	if spec.MaxPlayers < 0 || spec.MaxPlayers > maxSeats {
		return RoomStatus{}, &RequestError{Field: "max_players", Msg: fmt.Sprintf("%d: want 0 (the server's default) to %d", spec.MaxPlayers, maxSeats)}
	}
	if err := checkLabels(spec.Labels); err != nil {
		return RoomStatus{}, err
	}
	r, err := s.rooms.create(spec)
	if err != nil {
		return RoomStatus{}, err
	}
	return roomStatus(r, false)
}

// Room returns the status of the open room id, with its players.
func (s *Server) Room(id string) (RoomStatus, error) {
	r := s.rooms.get(id)
	if r == nil {
		return RoomStatus{}, fmt.Errorf("%w: %q", ErrRoomNotFound, id)
	}
	return roomStatus(r, true)
}

// ListRooms returns the open rooms f selects, sorted by id.
func (s *Server) ListRooms(f RoomFilter) []RoomStatus {
	out := []RoomStatus{}
	for _, r := range s.rooms.list() {
		if f.Game != "" && r.gameName != f.Game {
			continue
		}
		if f.Private != nil && r.private != *f.Private {
			continue
		}
		if !labelsInclude(r.labels, f.Labels) {
			continue
		}
		st, err := roomStatus(r, false)
		if err != nil || st.FreeSeats < f.MinFreeSeats {
			continue
		}
		out = append(out, st)
	}
	return out
}

// DeleteRoom ends the room id: its players are closed with
// StatusRoomClosed and reason, and no result is recorded (the match did
// not end by its rules). It waits until the room has stopped.
func (s *Server) DeleteRoom(id, reason string) error {
	r := s.rooms.get(id)
	if r == nil {
		return fmt.Errorf("%w: %q", ErrRoomNotFound, id)
	}
	if reason == "" {
		reason = "the host ended the room"
	}
	r.requestClose(StatusRoomClosed, "room deleted: "+reason)
	select {
	case <-r.done:
	case <-s.shutdown:
	}
	return nil
}

// roomStatus asks r's goroutine for its status.
func roomStatus(r *room, withPlayers bool) (RoomStatus, error) {
	var st RoomStatus
	if !r.do(func() { st = r.status(withPlayers) }) {
		return RoomStatus{}, fmt.Errorf("%w: %q closed", ErrRoomNotFound, r.name)
	}
	return st, nil
}

// status describes r; room goroutine only.
func (r *room) status(withPlayers bool) RoomStatus {
	st := RoomStatus{
		ID:         r.name,
		Game:       r.gameName,
		Params:     maps.Clone(r.params),
		Labels:     maps.Clone(r.labels),
		Private:    r.private,
		MaxPlayers: r.maxPlayers,
		Seated:     len(r.players),
		Reserved:   len(r.reserved),
		FreeSeats:  max(r.maxPlayers-len(r.players)-len(r.reserved), 0),
		Tick:       r.tick,
		MatchID:    r.matchID,
		CreatedAt:  r.created.UTC(),
	}
	if st.Params == nil {
		st.Params = map[string]string{}
	}
	if st.Labels == nil {
		st.Labels = map[string]string{}
	}
	if withPlayers {
		st.Players = r.describe().Players
	}
	return st
}

// applySpec sets the hosting settings of a room not yet started.
func (r *room) applySpec(spec RoomSpec) {
	if spec.MaxPlayers > 0 {
		r.maxPlayers = spec.MaxPlayers
	}
	r.labels = maps.Clone(spec.Labels)
	r.private = spec.Private
}

func labelsInclude(have, want map[string]string) bool {
	for k, v := range want {
		if h, ok := have[k]; !ok || h != v {
			return false
		}
	}
	return true
}

func checkLabels(labels map[string]string) error {
	if len(labels) > maxLabels {
		return &RequestError{Field: "labels", Msg: fmt.Sprintf("%d labels: at most %d", len(labels), maxLabels)}
	}
	for k, v := range labels {
		if k == "" || len(k) > maxLabelLen || len(v) > maxLabelLen {
			return &RequestError{Field: "labels", Msg: fmt.Sprintf("label %q: keys must be 1 to %d bytes and values at most %d", k, maxLabelLen, maxLabelLen)}
		}
	}
	return nil
}

func (s *Server) hasGame(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.games[name]
	return ok
}

// apiRoute is one operation of the HTTP API. The table is the API: Handler
// mounts it and the OpenAPI test checks openapi.yaml against it.
type apiRoute struct {
	method, pattern string
	handle          func(s *Server, w http.ResponseWriter, r *http.Request)
}

var apiRoutes = []apiRoute{
	{"POST", "/api/rooms", (*Server).apiCreateRoom},
	{"GET", "/api/rooms", (*Server).apiListRooms},
	{"GET", "/api/rooms/{id}", (*Server).apiGetRoom},
	{"DELETE", "/api/rooms/{id}", (*Server).apiDeleteRoom},
	{"POST", "/api/rooms/{id}/reservations", (*Server).apiReserve},
	{"POST", "/api/matchmake", (*Server).apiMatchmake},
}

// mountAPI adds the API's routes to mux, each behind the API key.
func (s *Server) mountAPI(mux *http.ServeMux) {
	for _, rt := range apiRoutes {
		handle := rt.handle
		mux.Handle(rt.method+" "+rt.pattern, s.requireAPIKey(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handle(s, w, r)
		})))
	}
	mux.Handle("/api/", s.requireAPIKey(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no API operation %s %s", r.Method, r.URL.Path))
	})))
}

// requireAPIKey lets a request through only with "Authorization: Bearer
// <Options.APIKey>". With no key configured the API is off: nobody could
// be told apart from anybody.
func (s *Server) requireAPIKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.APIKey == "" {
			writeError(w, http.StatusUnauthorized, "api_disabled", "this server has no API key (-api-key), so its rooms API is off")
			return
		}
		if !s.hasAPIKey(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tickwire"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong API key: send Authorization: Bearer <key>")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hasAPIKey reports whether r carries the API key as a Bearer token.
func (s *Server) hasAPIKey(r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.opts.APIKey != "" && keyEqual(key, s.opts.APIKey)
}

// keyEqual compares secrets in time that does not depend on where they
// differ (hashing first makes the lengths equal too).
func keyEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// apiError is the body of every API error.
type apiError struct {
	// Error says what is wrong, for a person.
	Error string `json:"error"`
	// Code is a stable token for programs: bad_request, unauthorized,
	// api_disabled, not_found, conflict, room_full, unavailable,
	// directory_unavailable, no_capacity.
	Code string `json:"code"`
	// Field names the request field at fault, when one is.
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: msg, Code: code})
}

// writeAPIError answers err with the status that fits it.
func writeAPIError(w http.ResponseWriter, err error) {
	var re *RequestError
	switch {
	case errors.As(err, &re):
		writeJSON(w, http.StatusBadRequest, apiError{Error: re.Error(), Code: "bad_request", Field: re.Field})
	case errors.Is(err, ErrRoomNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrRoomExists):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, ErrRoomFull):
		writeError(w, http.StatusConflict, "room_full", err.Error())
	case errors.Is(err, ErrServerClosed), errors.Is(err, errTooManyRooms):
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	case errors.Is(err, ErrDirectoryUnavailable):
		writeError(w, http.StatusServiceUnavailable, "directory_unavailable", err.Error())
	case errors.Is(err, ErrNoCapacity):
		writeError(w, http.StatusServiceUnavailable, "no_capacity", err.Error())
	case errors.Is(err, ErrUnknownGame):
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "bad_request", Field: "game"})
	default:
		// The game refused its parameters, most likely: the caller's
		// request, so 400, with the game's words.
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "bad_request", Field: "params"})
	}
}

// decodeBody reads a JSON body into v, refusing unknown fields (a typo
// would otherwise be silently ignored), trailing data and oversized bodies.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("unexpected data after the JSON object")
	}
	if err != nil {
		msg := "request body: " + err.Error()
		if errors.Is(err, io.EOF) {
			msg = "request body is empty; send a JSON object"
		}
		writeError(w, http.StatusBadRequest, "bad_request", msg)
		return false
	}
	return true
}

// joinURL is the WebSocket endpoint a client of r's caller joins at.
func joinURL(r *http.Request) string {
	scheme := "ws"
	if r.TLS != nil {
		scheme = "wss"
	}
	return scheme + "://" + r.Host + "/ws"
}

func (s *Server) apiCreateRoom(w http.ResponseWriter, r *http.Request) {
	var spec RoomSpec
	if !decodeBody(w, r, &spec) {
		return
	}
	st, err := s.CreateRoom(spec)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	w.Header().Set("Location", "/api/rooms/"+st.ID)
	writeJSON(w, http.StatusCreated, st)
}

// roomList is the body of GET /api/rooms.
type roomList struct {
	Rooms []RoomStatus `json:"rooms"`
}

// clusterRoomList is the body of GET /api/rooms on a cluster member.
type clusterRoomList struct {
	Rooms []ClusterRoom `json:"rooms"`
}

func (s *Server) apiListRooms(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := RoomFilter{Game: q.Get("game")}
	for _, l := range q["label"] {
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" {
			writeJSON(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("label %q: want key:value", l), Code: "bad_request", Field: "label"})
			return
		}
		if f.Labels == nil {
			f.Labels = map[string]string{}
		}
		f.Labels[k] = v
	}
	if v := q.Get("free_seats"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("free_seats %q: want a number, 0 or more", v), Code: "bad_request", Field: "free_seats"})
			return
		}
		f.MinFreeSeats = n
	}
	if v := q.Get("private"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("private %q: want true or false", v), Code: "bad_request", Field: "private"})
			return
		}
		f.Private = &b
	}
	if s.cluster != nil {
		// Cluster-wide, with where each room lives.
		rooms, err := s.cluster.rooms(r.Context(), f)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, clusterRoomList{Rooms: rooms})
		return
	}
	writeJSON(w, http.StatusOK, roomList{Rooms: s.ListRooms(f)})
}

func (s *Server) apiGetRoom(w http.ResponseWriter, r *http.Request) {
	if s.cluster != nil {
		st, err := s.cluster.room(r.Context(), r.PathValue("id"))
		if err != nil {
			writeAPIError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
		return
	}
	st, err := s.Room(r.PathValue("id"))
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiDeleteRoom(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteRoom(r.PathValue("id"), r.URL.Query().Get("reason")); err != nil {
		writeAPIError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reservationRequest is the body of POST /api/rooms/{id}/reservations.
type reservationRequest struct {
	Player string `json:"player"`
}

func (s *Server) apiReserve(w http.ResponseWriter, r *http.Request) {
	var req reservationRequest
	if !decodeBody(w, r, &req) {
		return
	}
	res, err := s.Reserve(r.PathValue("id"), req.Player)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	res.URL = joinURL(r)
	writeJSON(w, http.StatusCreated, res)
}

func (s *Server) apiMatchmake(w http.ResponseWriter, r *http.Request) {
	var req MatchRequest
	if !decodeBody(w, r, &req) {
		return
	}
	res, err := s.Matchmake(r.Context(), req)
	if err != nil {
		if s.cluster != nil && (errors.Is(err, ErrDirectoryUnavailable) || errors.Is(err, ErrNoCapacity)) {
			s.log.Warn("cluster matchmaking failed", "err", err)
		}
		writeAPIError(w, err)
		return
	}
	if res.URL == "" { // the cluster's matchmaker names the owning process's
		res.URL = joinURL(r)
	}
	writeJSON(w, http.StatusOK, res)
}

// hosting is what the hosting API adds to a Server: the reservation
// secret, the matchmaker and the results outbox.
type hosting struct {
	// secret signs reservation tokens: Options.AuthSecret, so that admit
	// accepts them, or a random per-process key without one.
	secret     []byte
	matchmaker Matchmaker
	outbox     *outbox
	results    *results
	// err is why the outbox file would not open; Serve returns it rather
	// than run without the durability the host asked for.
	err       error
	closeOnce sync.Once

	// Counters on the server's metrics registry.
	reservations *prometheus.CounterVec // by outcome: made, claimed, expired
	deliveries   *prometheus.CounterVec // by destination and outcome
}

// initHosting sets up the hosting API's state and starts the results
// deliverer, which replays whatever the outbox holds from before.
func (s *Server) initHosting() {
	h := &s.hosting
	h.secret = s.opts.AuthSecret
	if len(h.secret) == 0 {
		h.secret = make([]byte, 32)
		crand.Read(h.secret)
	}
	h.matchmaker = &localMatchmaker{srv: s}
	box, err := openOutbox(s.opts.OutboxPath)
	if err != nil {
		s.log.Error("results outbox unavailable; the server will not serve", "err", err)
		h.err = err
		box, _ = openOutbox("")
	}
	h.outbox = box
	h.results = newResults(s, box)
	h.reservations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tickwire_reservations_total", Help: "Seat reservations, by outcome: made, claimed (the player joined), expired.",
	}, []string{"outcome"})
	h.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tickwire_result_deliveries_total", Help: "Match result delivery attempts, by destination (callback, webhook) and outcome (ok, failed).",
	}, []string{"destination", "outcome"})
	s.metrics.registry.MustRegister(h.reservations, h.deliveries, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tickwire_results_pending", Help: "Match results in the outbox waiting for delivery.",
	}, func() float64 {
		pending, _ := box.pending()
		return float64(len(pending))
	}))
	// Stopping the server cancels a webhook request in flight.
	ctx, cancel := context.WithCancel(context.Background())
	s.goroutine(func() {
		<-s.shutdown
		cancel()
	})
	s.goroutine(func() { h.results.run(ctx) })
}

// closeHosting closes the outbox once every goroutine that writes it has
// stopped.
func (s *Server) closeHosting() {
	s.hosting.closeOnce.Do(func() {
		if err := s.hosting.outbox.close(); err != nil {
			s.log.Error("closing the results outbox", "err", err)
		}
	})
}
