package server_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/netcode"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/sim"
	"github.com/tickwire/tickwire/sim/tag"
)

// receiver is a webhook endpoint as a host would write one: it checks the
// signature and takes each match once, by its idempotency key.
type receiver struct {
	secret []byte

	mu         sync.Mutex
	down       bool
	refused    map[string]int // attempts answered 503, by key
	taken      map[string]server.MatchResult
	accepted   int // 2xx answers
	duplicates int // deliveries of a key already taken
	badSigs    int
}

func newReceiver(secret []byte) *receiver {
	return &receiver{secret: secret, refused: map[string]int{}, taken: map[string]server.MatchResult{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	key := r.Header.Get(server.HeaderIdempotencyKey)
	if !server.VerifyWebhook(rc.secret, body, r.Header.Get(server.HeaderSignature)) {
		rc.badSigs++
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	if rc.down {
		rc.refused[key]++
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	rc.accepted++
	if _, dup := rc.taken[key]; dup {
		rc.duplicates++
		return
	}
	var res server.MatchResult
	if err := json.Unmarshal(body, &res); err != nil || res.MatchID != key {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	rc.taken[key] = res
}

func (rc *receiver) setDown(down bool) {
	rc.mu.Lock()
	rc.down = down
	rc.mu.Unlock()
}

func (rc *receiver) get(key string) (server.MatchResult, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	res, ok := rc.taken[key]
	return res, ok
}

func (rc *receiver) counts() (accepted, duplicates, badSigs, taken int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.accepted, rc.duplicates, rc.badSigs, len(rc.taken)
}

func (rc *receiver) refusedAll(keys []string, n int) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, k := range keys {
		if rc.refused[k] < n {
			return false
		}
	}
	return true
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	secret, body := []byte("k"), []byte(`{"match_id":"m"}`)
	sig := server.SignWebhook(secret, body)
	assert.Regexp(t, "^sha256=[0-9a-f]{64}$", sig)
	assert.True(t, server.VerifyWebhook(secret, body, sig))
	assert.False(t, server.VerifyWebhook([]byte("other"), body, sig))
	assert.False(t, server.VerifyWebhook(secret, []byte(`{"match_id":"n"}`), sig))
	assert.False(t, server.VerifyWebhook(secret, body, ""))
}

// TestCustomGameFullMatchDeliversResults plays a match of a game
// registered through the public API, with real clients holding
// reservations, to its end; the result reaches the callback and the
// webhook, once each.
func TestCustomGameFullMatchDeliversResults(t *testing.T) {
	t.Parallel()
	hookSecret := []byte("hook-secret")
	rc := newReceiver(hookSecret)
	hook := httptest.NewServer(rc)
	defer hook.Close()
	callbacks := make(chan server.MatchResult, 4)
	srv := startHost(t, &server.Options{
		WebhookURL:    hook.URL,
		WebhookSecret: hookSecret,
		OnResult:      func(r server.MatchResult) error { callbacks <- r; return nil },
	})
	room := decodeJSON[server.RoomStatus](t, api(t, srv, "POST", "/api/rooms", server.RoomSpec{
		ID: "final", Game: "sprint", MaxPlayers: 2, Params: map[string]string{"goal": "30"}, Labels: map[string]string{"mode": "duel"},
	}, http.StatusCreated))
	reserve := func(player string) server.Reservation {
		return decodeJSON[server.Reservation](t, api(t, srv, "POST", "/api/rooms/final/reservations", map[string]string{"player": player}, http.StatusCreated))
	}
	ann, bob := joinWith(t, srv, reserve("ann")), joinWith(t, srv, reserve("bob"))

	// Ann holds Fire; Bob presses it every other frame.
	fire := sim.Input{Buttons: sim.ButtonFire}
	deadline := time.After(20 * time.Second)
	for frame := 0; ; frame++ {
		select {
		case <-ann.Done():
		case <-deadline:
			t.Fatal("the match did not end")
		case <-time.After(5 * time.Millisecond):
			ann.Update(fire)
			if frame%4 < 2 {
				bob.Update(fire)
			} else {
				bob.Update(sim.Input{})
			}
			continue
		}
		break
	}
	code, reason := closeCode(t, waitClosed(t, ann))
	assert.Equal(t, server.StatusRoomClosed, code)
	assert.Equal(t, "match over", reason)

	var res server.MatchResult
	select {
	case res = <-callbacks:
	case <-time.After(10 * time.Second):
		t.Fatal("no result reached the callback")
	}
	assert.Equal(t, room.MatchID, res.MatchID)
	assert.Equal(t, "final", res.Room)
	assert.Equal(t, "sprint", res.Game)
	assert.Equal(t, map[string]string{"mode": "duel"}, res.Labels)
	assert.Equal(t, "finished", res.Result.Reason)
	require.Len(t, res.Result.Players, 2)
	assert.Equal(t, sim.PlayerResult{Player: ann.Welcome().PlayerID, Name: "ann", Score: 30, Rank: 1}, res.Result.Players[0])
	assert.Equal(t, "bob", res.Result.Players[1].Name)
	assert.Less(t, res.Result.Players[1].Score, int64(30))
	assert.Greater(t, res.Ticks, sim.Tick(29))
	assert.False(t, res.EndedAt.Before(res.StartedAt))

	require.Eventually(t, func() bool { _, ok := rc.get(res.MatchID); return ok }, 10*time.Second, 10*time.Millisecond, "webhook")
	hooked, _ := rc.get(res.MatchID)
	assert.Equal(t, res.Result, hooked.Result)
	assert.True(t, res.EndedAt.Equal(hooked.EndedAt))

	time.Sleep(200 * time.Millisecond)
	accepted, duplicates, badSigs, taken := rc.counts()
	assert.Equal(t, 1, accepted)
	assert.Zero(t, duplicates)
	assert.Zero(t, badSigs)
	assert.Equal(t, 1, taken)
	assert.Empty(t, callbacks, "the callback got the result once")

	metrics := httpGet(t, srv.HTTP+"/metrics")
	assert.Contains(t, metrics, `tickwire_reservations_total{outcome="claimed"} 2`)
	assert.Contains(t, metrics, `tickwire_result_deliveries_total{destination="callback",outcome="ok"} 1`)
	assert.Contains(t, metrics, `tickwire_result_deliveries_total{destination="webhook",outcome="ok"} 1`)
	assert.Contains(t, metrics, "tickwire_results_pending 0")
}

// TestResultsSurviveARestart: the webhook receiver and the host's own
// store (the callback) are down while matches end; the server is closed
// abruptly, and a new one on the same outbox file delivers every result,
// exactly once per match id.
func TestResultsSurviveARestart(t *testing.T) {
	t.Parallel()
	secret := []byte("hook-secret")
	rc := newReceiver(secret)
	rc.setDown(true)
	hook := httptest.NewServer(rc)
	defer hook.Close()
	path := filepath.Join(t.TempDir(), "outbox.db")
	options := func(onResult func(server.MatchResult) error) *server.Options {
		return &server.Options{
			OutboxPath:      path,
			WebhookURL:      hook.URL,
			WebhookSecret:   secret,
			WebhookRetryMin: 20 * time.Millisecond,
			WebhookRetryMax: 100 * time.Millisecond,
			OnResult:        onResult,
		}
	}

	var storeDown sync.Mutex
	failures := 0
	first := startHost(t, options(func(server.MatchResult) error {
		storeDown.Lock()
		defer storeDown.Unlock()
		failures++
		return errors.New("results store unavailable")
	}))
	var ids []string
	for _, id := range []string{"m1", "m2", "m3"} {
		st := decodeJSON[server.RoomStatus](t, api(t, first, "POST", "/api/rooms", server.RoomSpec{ID: id, Game: "sprint", Params: map[string]string{"ticks": "3"}}, http.StatusCreated))
		ids = append(ids, st.MatchID)
	}
	require.Eventually(t, func() bool { return rc.refusedAll(ids, 2) }, 10*time.Second, 10*time.Millisecond,
		"every match ended and its webhook was tried (and refused) more than once")
	require.NoError(t, first.Close(), "abruptly, as a crash would")
	first.Stop(t)
	storeDown.Lock()
	assert.GreaterOrEqual(t, failures, 3)
	storeDown.Unlock()

	rc.setDown(false)
	var mu sync.Mutex
	called := map[string]int{}
	second := startHost(t, options(func(r server.MatchResult) error {
		mu.Lock()
		called[r.MatchID]++
		mu.Unlock()
		return nil
	}))
	require.Eventually(t, func() bool {
		_, _, _, taken := rc.counts()
		return taken == len(ids)
	}, 10*time.Second, 10*time.Millisecond, "delivered after the restart")
	for _, id := range ids {
		res, ok := rc.get(id)
		require.True(t, ok, id)
		assert.Equal(t, "time", res.Result.Reason)
	}

	// A third start on the same file finds nothing left to send.
	time.Sleep(300 * time.Millisecond)
	second.Stop(t)
	startHost(t, options(nil))
	time.Sleep(300 * time.Millisecond)
	accepted, duplicates, badSigs, taken := rc.counts()
	assert.Equal(t, len(ids), taken)
	assert.Equal(t, len(ids), accepted, "each match delivered once")
	assert.Zero(t, duplicates)
	assert.Zero(t, badSigs)
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, called, len(ids))
	for _, id := range ids {
		assert.Equal(t, 1, called[id], "callback for %s", id)
	}
}

// TestOutboxFileInUseFailsServe: a second server on an outbox file a live
// one holds refuses to serve, rather than run without durability.
func TestOutboxFileInUseFailsServe(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "outbox.db")
	startHost(t, &server.Options{OutboxPath: path})
	second := server.New(&server.Options{Addr: "127.0.0.1:0", OutboxPath: path, Logger: quietLog()})
	defer second.Close()
	err := second.Run()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "outbox")
}

// TestTagIsPlayableByBots plays a whole match of the built-in tag game with
// three bot clients that predict their own runner with the game's own
// movement; the match ends on time with every runner ranked.
func TestTagIsPlayableByBots(t *testing.T) {
	t.Parallel()
	results := make(chan server.MatchResult, 1)
	srv := startHost(t, &server.Options{OnResult: func(r server.MatchResult) error { results <- r; return nil }})
	params := map[string]string{"duration": "2", "width": "12", "height": "12"}
	rules, err := tag.ParseParams(params)
	require.NoError(t, err)
	rules.TickRate = 30
	var bots []*netcode.Client
	for _, name := range []string{"ann", "bob", "cat"} {
		bots = append(bots, dial(t, srv, netcode.Options{Room: "playground", Game: "tag", Name: name, Params: params, Predict: rules.Move}))
	}
	assert.Equal(t, "tag", bots[0].Welcome().Game)
	assert.Equal(t, "2", bots[0].Welcome().Params["duration"])
	deadline := time.After(20 * time.Second)
	for frame := 0; ; frame++ {
		select {
		case res := <-results:
			assert.Equal(t, "tag", res.Game)
			assert.Equal(t, "time_limit", res.Result.Reason)
			require.Len(t, res.Result.Players, 3)
			var names []string
			for i, p := range res.Result.Players {
				names = append(names, p.Name)
				if i > 0 {
					assert.LessOrEqual(t, p.Score, res.Result.Players[i-1].Score, "ranked by score")
				}
			}
			assert.ElementsMatch(t, []string{"ann", "bob", "cat"}, names)
			assert.Contains(t, names, res.Result.Extra["it"])
			for _, b := range bots {
				snap, ok := b.Latest()
				assert.True(t, ok)
				assert.NotEmpty(t, snap.Entities, "bots saw the world")
			}
			return
		case <-deadline:
			t.Fatal("the tag match did not end")
		case <-time.After(10 * time.Millisecond):
			for i, b := range bots {
				// Each bot runs its own lap of the field.
				dir := (frame/30 + i) % 4
				b.Update(sim.Input{MoveX: [4]int8{1, 0, -1, 0}[dir], MoveY: [4]int8{0, 1, 0, -1}[dir]})
			}
		}
	}
}
