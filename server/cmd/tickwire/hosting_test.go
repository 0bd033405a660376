package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tickwire/tickwire/server"
)

func TestHostingFlags(t *testing.T) {
	c, err := parseFlags([]string{"-api-key", "k", "-outbox", "/var/lib/tickwire/outbox.db", "-webhook", "https://example.com/hook", "-webhook-secret", "s", "-reservation-ttl", "30s"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "k", c.apiKey)
	assert.Equal(t, "/var/lib/tickwire/outbox.db", c.outbox)
	assert.Equal(t, "https://example.com/hook", c.webhook)
	assert.Equal(t, "s", c.webhookSecret)
	assert.Equal(t, 30*time.Second, c.reservationTTL)
	for _, args := range [][]string{{"-webhook", "example.com/hook"}, {"-webhook", "ftp://x/y"}, {"-reservation-ttl", "10ms"}} {
		_, err := parseFlags(args, &bytes.Buffer{})
		assert.Error(t, err, args)
	}
}

// hookReceiver refuses every delivery while down, and takes each match
// once by its idempotency key once up.
type hookReceiver struct {
	mu       sync.Mutex
	down     bool
	refused  map[string]int
	taken    map[string]int // deliveries answered 2xx, by key
	badSigns int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get(server.HeaderIdempotencyKey)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !server.VerifyWebhook([]byte("hook-secret"), body, r.Header.Get(server.HeaderSignature)) {
		h.badSigns++
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if h.down {
		h.refused[key]++
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	h.taken[key]++
}

func (h *hookReceiver) state() (refused, taken map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	refused, taken = map[string]int{}, map[string]int{}
	for k, v := range h.refused {
		refused[k] = v
	}
	for k, v := range h.taken {
		taken[k] = v
	}
	return refused, taken
}

// TestKilledServerDeliversResultsAfterRestart runs the real binary with an
// outbox and a webhook that is down, ends two matches of the built-in tag
// game, kills the process with SIGKILL, brings the webhook up and starts
// the binary again on the same outbox: each match's result arrives, once.
func TestKilledServerDeliversResultsAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)

	rc := &hookReceiver{down: true, refused: map[string]int{}, taken: map[string]int{}}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	args := []string{"-addr", "127.0.0.1:0", "-api-key", "key", "-outbox", filepath.Join(t.TempDir(), "outbox.db"),
		"-webhook", hook.URL, "-webhook-secret", "hook-secret"}

	first, addr := startBinary(t, bin, nil, nil, args...)
	var ids []string
	for range 2 {
		body := bytes.NewBufferString(`{"game":"tag","params":{"duration":"1"}}`)
		req, err := http.NewRequest("POST", "http://"+addr+"/api/rooms", body)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer key")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var st server.RoomStatus
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		ids = append(ids, st.MatchID)
	}
	require.Eventually(t, func() bool {
		refused, _ := rc.state()
		return refused[ids[0]] > 0 && refused[ids[1]] > 0
	}, 15*time.Second, 20*time.Millisecond, "both matches ended and their webhooks were refused")

	require.NoError(t, first.Process.Kill())
	first.Wait()
	rc.mu.Lock()
	rc.down = false
	rc.mu.Unlock()

	startBinary(t, bin, nil, nil, args...)
	require.Eventually(t, func() bool {
		_, taken := rc.state()
		return len(taken) == 2
	}, 15*time.Second, 20*time.Millisecond, "delivered after the restart")
	time.Sleep(500 * time.Millisecond)
	_, taken := rc.state()
	assert.Equal(t, map[string]int{ids[0]: 1, ids[1]: 1}, taken, "exactly once per match id")
	rc.mu.Lock()
	assert.Zero(t, rc.badSigns)
	rc.mu.Unlock()
}
