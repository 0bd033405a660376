package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/sim"
)

// Shared by the hosting tests: a server with the rooms API on, a JSON
// client for it, and "sprint", a custom game registered through the public
// API.

const testAPIKey = "s3cret-api-key"

// startHost starts a server with the API key set and sprint registered.
func startHost(t *testing.T, o *server.Options) *servertest.Server {
	t.Helper()
	if o == nil {
		o = &server.Options{}
	}
	o.APIKey = testAPIKey
	srv := servertest.Start(t, o)
	srv.RegisterGame("sprint", newSprint)
	return srv
}

// callAPI sends a JSON request with key (none when empty) and returns the
// status and body. body may be nil, a string (sent as is) or a value.
func callAPI(t *testing.T, srv *servertest.Server, key, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		enc, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, srv.HTTP+path, rd)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// api calls with the right key and requires status want.
func api(t *testing.T, srv *servertest.Server, method, path string, body any, want int) []byte {
	t.Helper()
	code, out := callAPI(t, srv, testAPIKey, method, path, body)
	require.Equal(t, want, code, "%s %s: %s", method, path, out)
	return out
}

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return v
}

// apiErr is an API error body.
type apiErr struct {
	Error string `json:"error"`
	Code  string `json:"code"`
	Field string `json:"field"`
}

// joinWith dials room with a reservation's token.
func joinWith(t *testing.T, srv *servertest.Server, res server.Reservation) *netcode.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, srv.URL, &netcode.Options{Room: res.Room, Token: res.Token, Name: "ignored"})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// dialErr dials and returns the error (the test expects a refusal).
func dialErr(t *testing.T, srv *servertest.Server, o netcode.Options) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := netcode.Dial(ctx, srv.URL, &o)
	if err == nil {
		c.Close()
		return errors.New("joined")
	}
	return err
}

// sprint is a custom game: each tick a runner holding Fire advances one
// step, and the first to "goal" steps wins (0: no goal). With "ticks" set
// the match also ends after that many ticks, players or not. It refuses
// anyone called "mallory", with a reason.
type sprint struct {
	goal, ticks int
	steps       int
	runners     []sprinter // sorted by player
	ended       bool
	result      sim.Result
}

type sprinter struct {
	player sim.PlayerID
	name   string
	pos    int32
}

func newSprint(cfg sim.Config) (server.Game, error) {
	g := &sprint{goal: 30}
	for k, dst := range map[string]*int{"goal": &g.goal, "ticks": &g.ticks} {
		if v, ok := cfg.Params[k]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, errors.New("sprint: " + k + " must be a whole number")
			}
			*dst = n
		}
	}
	return g, nil
}

func (g *sprint) Kinds() []sim.KindSpec {
	return []sim.KindSpec{{Name: "runner", Fields: []sim.FieldSpec{{Name: "pos", Min: 0, Max: 10000}}}}
}

func (g *sprint) Join(p sim.PlayerID, name string) (sim.EntityID, error) {
	if name == "mallory" {
		return 0, errors.New("mallory is banned from sprinting")
	}
	i, _ := slices.BinarySearchFunc(g.runners, p, func(r sprinter, p sim.PlayerID) int { return int(r.player) - int(p) })
	g.runners = slices.Insert(g.runners, i, sprinter{player: p, name: name})
	return sim.EntityID(p), nil
}

func (g *sprint) Leave(p sim.PlayerID) {
	g.runners = slices.DeleteFunc(g.runners, func(r sprinter) bool { return r.player == p })
}

func (g *sprint) Step(_ sim.Tick, inputs []sim.PlayerInput) {
	if g.ended {
		return
	}
	g.steps++
	for _, in := range inputs {
		for i := range g.runners {
			if g.runners[i].player == in.Player && in.Buttons&sim.ButtonFire != 0 {
				g.runners[i].pos++
			}
		}
	}
	for _, r := range g.runners {
		if g.goal > 0 && int(r.pos) >= g.goal {
			g.end("finished")
			return
		}
	}
	if g.ticks > 0 && g.steps >= g.ticks {
		g.end("time")
	}
}

func (g *sprint) end(reason string) {
	g.ended = true
	ranked := slices.Clone(g.runners)
	slices.SortStableFunc(ranked, func(a, b sprinter) int { return int(b.pos - a.pos) })
	g.result = sim.Result{Reason: reason}
	for i, r := range ranked {
		g.result.Players = append(g.result.Players, sim.PlayerResult{Player: r.player, Name: r.name, Score: int64(r.pos), Rank: i + 1})
	}
}

func (g *sprint) World(dst []sim.EntityState) []sim.EntityState {
	for _, r := range g.runners {
		e := sim.EntityState{ID: sim.EntityID(r.player)}
		e.Fields[0] = r.pos
		dst = append(dst, e)
	}
	return dst
}

func (g *sprint) Result() (sim.Result, bool) { return g.result, g.ended }

// quietLog discards logs, for servers a test makes without servertest.
func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
