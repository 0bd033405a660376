package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzAPIRequestBodies sends arbitrary bodies to every API operation that
// reads one: the answer is never a server error, and never a panic.
func FuzzAPIRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"id":"r1","game":"arena","max_players":4,"labels":{"mode":"duel"},"private":true}`,
		`{"game":"tag","params":{"duration":"5"}}`,
		`{"player":"ann"}`,
		`{"game":"arena","labels":{"a":"b"},"max_players":10,"player":"p1"}`,
		`{"max_players":-5}`, `{"labels":{"":""}}`, `{"player":"\u0000"}`, `[]`, `null`, `{`, ``,
	} {
		for _, path := range []string{"/api/rooms", "/api/rooms/r1/reservations", "/api/matchmake"} {
			f.Add(path, []byte(seed))
		}
	}
	srv := New(&Options{APIKey: "k", MaxRooms: 8, Logger: slog.New(slog.DiscardHandler)})
	f.Cleanup(func() { srv.Close() })
	h := srv.Handler()
	srv.CreateRoom(RoomSpec{ID: "r1", Game: "tag"})
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		switch path {
		case "/api/rooms", "/api/rooms/r1/reservations", "/api/matchmake":
		default:
			return
		}
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
			t.Fatalf("POST %s %q: %d without a JSON error: %s", path, body, rec.Code, rec.Body)
		}
	})
}
